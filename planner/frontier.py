"""The frequency-travel frontier: ``planner frontier SCENARIO``.

Territories are designed once (as ``planner run`` would); then the visit calendars are rebuilt for
each value of the swept parameter and the resulting key-customer frequency and travel time are
recorded:

* ``--param lambda`` (default): the value of a visit in seconds of travel (``schedule.lambda``).
  Low values let the solver give up visits whose travel costs more than they are worth; high
  values keep every visit that fits in the shifts.
* ``--param key_visits``: the required visits per 4-week cycle of the key classes (e.g. 2, 4, 6,
  8): more frequent key-customer visits cost travel time and, past the managers' capacity,
  crowd out other visits.

Outputs (written atomically to a new folder): ``frontier.csv`` (one row per value),
``frontier_managers.csv`` (one row per value and manager), ``frontier.png`` (key-customer
frequency met against travel hours per manager) and ``frontier.json`` (the settings).
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import PlannerError

DEFAULT_VALUES = {"lambda": [0.0, 120.0, 300.0, 600.0, 1200.0, 2400.0, 3600.0, 7200.0],
                  "key_visits": [1.0, 2.0, 4.0, 6.0, 8.0]}


def compute_frontier(loaded, *, param: str = "lambda", values: list[float] | None = None, seed: int | None = None,
                     progress=None, time_limit_s: float | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Sweep ``param`` over ``values``; return (per-value table, per-manager table, settings)."""
    from planner import run as runmod
    from planner.plan import Plan  # noqa: F401  (the tables below follow the plan's KPIs)

    if param not in DEFAULT_VALUES:
        raise PlannerError(f"unknown frontier parameter {param!r}; use lambda or key_visits")
    values = list(DEFAULT_VALUES[param] if not values else values)
    if any(v < 0 for v in values):
        raise PlannerError("frontier values must be >= 0")
    if param == "key_visits" and any(v != int(v) for v in values):
        raise PlannerError("key_visits values must be whole numbers of visits per 4-week cycle")
    progress = progress or runmod.Progress()
    sc = loaded.scenario
    if time_limit_s is not None:
        solver = sc.solver.model_copy(update={"schedule_time_limit_s": time_limit_s})
        sc = sc.model_copy(update={"solver": solver})
        loaded.scenario = sc
    ctx = runmod.prepare(loaded, seed=seed, progress=progress)
    progress.step("Designing territories (once for the whole sweep)")
    terr = runmod.market_territories(ctx) if sc.territories.method == "market" else runmod.administrative_territories(ctx)
    keys = sorted(sc.key_class_set)
    weeks = sc.calendar.weeks
    rows, mrows = [], []
    for v in values:
        t0 = time.perf_counter()
        kw: dict = {}
        if param == "lambda":
            kw["lam"] = float(v)
        else:
            kw["required_override"] = {c: int(round(v * weeks / 4)) for c in keys}
        progress.step(f"{param} = {v:g}")
        plan = runmod.build_plan(ctx, terr, kind="frontier", **kw)
        if param == "key_visits":
            # compliance against the swept requirement, not the scenario's
            plan.kpis = _kpis_with_override(ctx, plan, terr, kw["required_override"])
        g = plan.kpis["global"]
        mgr = pd.DataFrame(plan.kpis["managers"])
        row = {"param": param, "value": v, "lambda": kw.get("lam", sc.schedule.lam),
               "key_visits_per_cycle": v if param == "key_visits" else None,
               "key_frequency_compliance": g["key_frequency_compliance"], "travel_hours": g["travel_hours"],
               "travel_hours_per_manager": float(mgr["travel_hours"].mean()) if len(mgr) else 0.0,
               "max_travel_hours_manager": float(mgr["travel_hours"].max()) if len(mgr) else 0.0,
               "service_hours": g["service_hours"], "travel_share": g["travel_share"],
               "visits_planned": g["visits_planned"], "visits_required": g["visits_required"],
               "unplanned_visits": g["unplanned_visits"], "imbalance": g["imbalance"],
               "runtime_s": round(time.perf_counter() - t0, 2)}
        for c, x in sorted(g["frequency_compliance"].items()):
            row[f"frequency_compliance_{c}"] = x
        for reason, n in g.get("unplanned_by_reason", {}).items():
            row[f"unplanned_{reason}"] = n
        rows.append(row)
        for m in plan.kpis["managers"]:
            mrows.append({"value": v, "manager_id": m["manager_id"], "travel_hours": m["travel_hours"],
                          "service_hours": m["service_hours"], "visits": m["visits"],
                          "unplanned_visits": m["unplanned_visits"], "travel_share": m["travel_share"]})
    table = pd.DataFrame(rows).fillna({c: 0 for c in pd.DataFrame(rows).columns if c.startswith("unplanned_")})
    settings = {"scenario": str(loaded.path), "scenario_sha256": loaded.sha256, "param": param, "values": values,
                "seed": ctx.seed, "key_classes": keys, "territories": terr.method,
                "schedule_time_limit_s": sc.solver.schedule_time_limit_s}
    return table, pd.DataFrame(mrows), settings


def _kpis_with_override(ctx, plan, terr, override: dict[str, int]) -> dict:
    from planner.kpis import compute_kpis

    sc = ctx.loaded.scenario
    required = {c: override.get(c, sc.required_visits(c)) for c in sc.classes}
    routed = {c: sc.classes[c].mode == "visit" for c in sc.classes}
    return compute_kpis(plan, retailers=ctx.ds.retailers, required=required, routed=routed,
                        key_classes=set(sc.key_class_set))


def frontier_png(table: pd.DataFrame, title: str) -> bytes:
    """Key-customer frequency met against travel hours per manager, one point per value."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.8), dpi=120)
    x = table["travel_hours_per_manager"].to_numpy(float)
    y = 100 * table["key_frequency_compliance"].astype(float).to_numpy()
    ax.plot(x, y, "-o", color="#1f77b4")
    label = "λ" if table["param"].iat[0] == "lambda" else "key visits"
    for xi, yi, v in zip(x, y, table["value"], strict=True):
        ax.annotate(f"{label}={v:g}", (xi, yi), textcoords="offset points", xytext=(5, -12), fontsize=8)
    ax.set_xlabel("travel hours per manager (4-week horizon)")
    ax.set_ylabel("key-customer visits planned / required (%)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def write_frontier(folder: Path, table: pd.DataFrame, managers: pd.DataFrame, settings: dict, title: str) -> Path:
    """Write the frontier files into a new folder, atomically (the folder must not exist)."""
    import os
    import shutil
    import tempfile

    from planner.errors import PlanExistsError

    folder = Path(folder).resolve()
    if folder.exists() and any(folder.iterdir()):
        raise PlanExistsError(f"{folder} already exists; choose another --out folder")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
    try:
        table.to_csv(tmp / "frontier.csv", index=False)
        managers.to_csv(tmp / "frontier_managers.csv", index=False)
        (tmp / "frontier.png").write_bytes(frontier_png(table, title))
        (tmp / "frontier.json").write_text(json.dumps(settings, indent=2, default=_num), encoding="utf-8")
        os.chmod(tmp, 0o755)
        if folder.exists():
            folder.rmdir()
        os.rename(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def _num(o):
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(type(o))

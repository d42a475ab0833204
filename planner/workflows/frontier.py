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

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from planner.design.context import prepare
from planner.design.territories import administrative_territories, market_territories
from planner.errors import PlannerError, Progress
from planner.plan.files import write_folder
from planner.plan.kpis import compute_kpis
from planner.report.plots import frontier_png
from planner.workflows.pipeline import build_plan

DEFAULT_VALUES = {"lambda": [0.0, 120.0, 300.0, 600.0, 1200.0, 2400.0, 3600.0, 7200.0],
                  "key_visits": [1.0, 2.0, 4.0, 6.0, 8.0]}


def compute_frontier(loaded, *, param: str = "lambda", values: list[float] | None = None, seed: int | None = None,
                     progress=None, time_limit_s: float | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Sweep ``param`` over ``values``; return (per-value table, per-manager table, settings)."""
    from planner.plan.model import Plan  # noqa: F401  (the tables below follow the plan's KPIs)

    if param not in DEFAULT_VALUES:
        raise PlannerError(f"unknown frontier parameter {param!r}; use lambda or key_visits")
    values = list(DEFAULT_VALUES[param] if not values else values)
    if any(v < 0 for v in values):
        raise PlannerError("frontier values must be >= 0")
    if param == "key_visits" and any(v != int(v) for v in values):
        raise PlannerError("key_visits values must be whole numbers of visits per 4-week cycle")
    progress = progress or Progress()
    sc = loaded.scenario
    if time_limit_s is not None:
        solver = sc.solver.model_copy(update={"schedule_time_limit_s": time_limit_s})
        sc = sc.model_copy(update={"solver": solver})
        loaded.scenario = sc
    ctx = prepare(loaded, seed=seed, progress=progress)
    progress.step("Designing territories (once for the whole sweep)")
    terr = market_territories(ctx) if sc.territories.method == "market" else administrative_territories(ctx)
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
        plan = build_plan(ctx, terr, kind="frontier", **kw)
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
    sc = ctx.loaded.scenario
    required = {c: override.get(c, sc.required_visits(c)) for c in sc.classes}
    routed = {c: sc.classes[c].mode == "visit" for c in sc.classes}
    return compute_kpis(plan, retailers=ctx.ds.retailers, required=required, routed=routed,
                        key_classes=set(sc.key_class_set))


def write_frontier(folder: Path, table: pd.DataFrame, managers: pd.DataFrame, settings: dict, title: str) -> Path:
    """Write the frontier files into a new folder, atomically (the folder must not exist)."""
    return write_folder(folder, {
        "frontier.csv": table.to_csv(index=False).encode("utf-8"),
        "frontier_managers.csv": managers.to_csv(index=False).encode("utf-8"),
        "frontier.png": frontier_png(table, title),
        "frontier.json": json.dumps(settings, indent=2, default=_num).encode("utf-8"),
    })


def _num(o):
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(type(o))

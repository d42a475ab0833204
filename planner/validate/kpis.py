"""Every KPI of ``kpis.json`` recomputed by the validator from the plan tables and the inputs.

The definitions are those documented for ``kpis.json`` (README, the planner's KPI module
docstring); the code is the validator's own. Hours are seconds / 3600. Travel is the validator's
re-timed routes (travel model legs, the trip back included), service the retailers' service times
(remote classes: every required contact, at the retailer's service time), waiting ``begin -
arrival`` per visit.

Per manager (rows of ``managers.csv``, in order): ``retailers``, ``key_customers``,
``sales_volume``, ``visits``, ``visits_required`` (classes visited in person), ``unplanned_visits``
(rows of ``unplanned.csv`` naming the manager), ``service_hours``, ``travel_hours``,
``wait_hours``, ``workload_hours`` (service + travel), ``travel_share`` (travel / workload),
``days_worked`` (days with a route), ``max_day_hours`` (longest route end - start),
``compactness_min`` (base-to-retailer travel time, weighted by the design's workload estimate
``w``, minutes), ``service_radius_max_min``, ``service_radius_p95_min`` (numpy's linear
percentile), ``designed_workload_hours`` (sum of ``w``), ``estimated_workload_hours``, ``parts``
(see :mod:`planner.validate.design`), ``workload_vs_mean`` (workload / mean - 1, the mean over
managers with work, or over all when nobody has work).

Global: ``imbalance`` (max / mean - 1 of the same workloads), ``workload_cv`` (population std /
mean), ``travel_share``, ``frequency_compliance`` per class and ``key_frequency_compliance``
(planned / required over the assigned retailers; a remote class counts every contact as made;
``None`` when nothing is required), ``unplanned_visits``, ``unplanned_by_reason``,
``travel_hours``, ``service_hours``, ``workload_hours``, ``wait_hours``, ``visits_planned``,
``visits_required``, ``remote_contacts``, ``retailers``, ``managers``, ``routes``
(``routes.geojson`` features), ``compactness_min`` (pooled over managers),
``service_radius_p95_min`` (pooled), ``design_imbalance`` (max / mean - 1 of the designed
workload over managers with retailers), ``non_contiguous_territories`` (territories in more than
one part). Base travel times use the soft travel model (as territory design does).

Comparison: integers must be equal, floats within a relative 1e-6, ``None`` only where the
recomputation gives ``None``.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import numpy as np

from planner.validate.design import (
    adjacency_edges,
    estimated_hours,
    metres_to_seconds,
    territory_parts,
    workload_estimate,
)
from planner.validate.findings import ValidationReport
from planner.validate.inputs import Inputs
from planner.validate.planfiles import PlanFiles
from planner.validate.routes import RouteFacts, Visit
from planner.validate.structure import Manager
from solvers.common import UNREACHABLE

RELATIVE_TOLERANCE = 1e-6
KPIS = "kpis.json"
IGNORED_SECTIONS = ("solver", "rezone")


def _ratio(a: float, b: float) -> float | None:
    return float(a) / float(b) if b else None


def design_facts(inp: Inputs) -> dict:
    """What the KPIs need of the territory design, computed once per set of inputs."""
    cached = inp.cache.get("design")
    if cached is not None:
        return cached
    sc = inp.loaded.scenario
    r = inp.ds.retailers
    xy = r[["x", "y"]].to_numpy(float)
    cls = r["class"].astype(str).to_numpy()
    required = np.array([inp.classes[c].required for c in cls], dtype=float)
    routed = np.array([inp.classes[c].routed for c in cls], dtype=bool)
    spm = metres_to_seconds(model=sc.travel.model, circuity=sc.travel.circuity, speed_kmh=sc.travel.speed_kmh,
                            xy=xy, soft_travel=inp.travel.soft, seed=sc.solver.seed)
    w, visits = workload_estimate(xy=xy, required=required, routed=routed, service_s=r["service_s"].to_numpy(),
                                  n_days=len(inp.days), seconds_per_m=spm, factor=sc.territories.access_factor)
    facts = {"w": w, "visits": visits, "required": required, "routed": routed, "edges": adjacency_edges(xy),
             "seconds_per_m": spm}
    inp.cache["design"] = facts
    return facts


def recompute(files: PlanFiles, inp: Inputs, managers: dict[str, Manager], owner: dict[str, str],
              visits: list[Visit], routes: list[RouteFacts]) -> dict:
    """``{"global": {...}, "managers": [...]}`` recomputed (see module docstring)."""
    r = inp.ds.retailers
    rid = r["retailer_id"].astype(str).to_numpy()
    cls = r["class"].astype(str).to_numpy()
    design = design_facts(inp)
    w, in_person, required, routed = design["w"], design["visits"], design["required"], design["routed"]
    key = np.array([inp.classes[c].key for c in cls], dtype=bool)
    svc = r["service_s"].to_numpy(float)
    sales = r["sales_volume"].to_numpy(float)
    own = np.array([owner.get(x, "") for x in rid], dtype=object)
    assigned = own != ""
    n_visits = Counter(v.retailer_id for v in visits)
    planned = np.array([n_visits.get(x, 0) for x in rid], dtype=float)
    planned = np.where(routed, planned, required)  # remote contacts count as made
    by_mgr: dict[str, list[RouteFacts]] = defaultdict(list)
    for rt in routes:
        by_mgr[rt.manager_id].append(rt)
    visits_by_mgr = Counter(v.manager_id for v in visits)
    unplanned_by_mgr = Counter(files.unplanned.col("manager_id"))
    ids = list(managers)
    bases = [managers[m].base_loc for m in ids]
    known = [k for k, b in enumerate(bases) if b is not None]
    base_rows = inp.travel.soft.from_sources(np.array([bases[k] for k in known], dtype=np.int64)) if known else None
    base_row_of = {ids[k]: base_rows[j, : len(rid)] for j, k in enumerate(known)} if base_rows is not None else {}
    parts = territory_parts(own, design["edges"])
    n_working = sum(1 for d in inp.days if d.working)
    rows, pooled_t, pooled_w = [], [], []
    for m in ids:
        mine = own == m
        rts = by_mgr.get(m, [])
        travel = float(sum(rt.travel_s for rt in rts))
        service = float(sum(rt.service_s for rt in rts)) + float((required * svc)[mine & ~routed].sum())
        row = {
            "manager_id": m, "team": managers[m].team, "retailers": int(mine.sum()),
            "key_customers": int((mine & key).sum()), "sales_volume": float(sales[mine].sum()),
            "visits": int(visits_by_mgr.get(m, 0)), "visits_required": int(required[mine & routed].sum()),
            "unplanned_visits": int(unplanned_by_mgr.get(m, 0)), "service_hours": service / 3600.0,
            "travel_hours": travel / 3600.0, "wait_hours": sum(rt.wait_s for rt in rts) / 3600.0,
            "workload_hours": (service + travel) / 3600.0, "travel_share": _ratio(travel, travel + service),
            "days_worked": len({rt.day_index for rt in rts}),
            "max_day_hours": max(((rt.end_s - rt.start_s) / 3600.0 for rt in rts), default=0.0),
        }
        if m in base_row_of and mine.any():
            bt = base_row_of[m][mine].astype(float)
            wt = w[mine]
            ok = bt < UNREACHABLE
            bt, wt = bt[ok], wt[ok]
            if len(bt):
                row["compactness_min"] = float((bt * wt).sum() / wt.sum() / 60.0) if wt.sum() > 0 else float(
                    bt.mean() / 60.0)
                row["service_radius_max_min"] = float(bt.max() / 60.0)
                row["service_radius_p95_min"] = float(np.percentile(bt, 95) / 60.0)
                pooled_t.append(bt)
                pooled_w.append(wt)
        row["designed_workload_hours"] = float(w[mine].sum() / 3600.0)
        if m in base_row_of:
            bt_all = base_row_of[m][mine].astype(float)
            row["estimated_workload_hours"] = estimated_hours(w[mine], in_person[mine], bt_all, n_working)
        row["parts"] = int(parts.get(m, 0))
        rows.append(row)
    work = np.array([x["workload_hours"] for x in rows], dtype=float)
    active = work[work > 0] if (work > 0).any() else work
    mean = float(active.mean()) if len(active) else 0.0
    for x in rows:
        x["workload_vs_mean"] = x["workload_hours"] / mean - 1.0 if mean > 0 else None
    travel_h = float(sum(x["travel_hours"] for x in rows))
    service_h = float(sum(x["service_hours"] for x in rows))
    compliance = {}
    for c in sorted(set(cls[assigned])):
        sel = assigned & (cls == c)
        compliance[c] = _ratio(planned[sel].sum(), required[sel].sum())
    reasons = Counter(files.unplanned.col("reason"))
    t_all = np.concatenate(pooled_t) if pooled_t else np.zeros(0)
    w_all = np.concatenate(pooled_w) if pooled_w else np.zeros(0)
    designed = np.array([x["designed_workload_hours"] for x in rows if x["retailers"] > 0])
    g = {
        "imbalance": float(active.max()) / mean - 1.0 if mean > 0 else None,
        "travel_share": _ratio(travel_h, travel_h + service_h),
        "frequency_compliance": compliance,
        "key_frequency_compliance": _ratio(planned[assigned & key].sum(), required[assigned & key].sum()),
        "unplanned_visits": len(files.unplanned),
        "unplanned_by_reason": {k: int(v) for k, v in sorted(reasons.items())},
        "travel_hours": travel_h, "service_hours": service_h, "workload_hours": travel_h + service_h,
        "wait_hours": float(sum(x["wait_hours"] for x in rows)),
        "visits_planned": len(visits), "visits_required": int(required[assigned & routed].sum()),
        "remote_contacts": int(required[assigned & ~routed].sum()),
        "retailers": int(assigned.sum()), "managers": len(rows), "routes": len(files.routes),
        "workload_cv": float(active.std() / mean) if mean > 0 else None,
        "compactness_min": float((t_all * w_all).sum() / w_all.sum() / 60.0) if w_all.sum() > 0 else None,
        "service_radius_p95_min": float(np.percentile(t_all, 95) / 60.0) if len(t_all) else None,
        "design_imbalance": float(designed.max() / designed.mean() - 1.0)
        if len(designed) and designed.mean() > 0 else None,
        "non_contiguous_territories": sum(1 for x in rows if x["parts"] > 1),
    }
    return {"global": g, "managers": rows}


# --- comparison --------------------------------------------------------------------------------

def same_value(claimed, mine) -> bool:
    """Equal under the KPI tolerance: integers exactly, floats within a relative 1e-6."""
    if claimed is None or mine is None:
        return claimed is None and mine is None
    if isinstance(claimed, bool) or isinstance(mine, bool):
        return claimed is mine
    if isinstance(claimed, dict) or isinstance(mine, dict):
        return (isinstance(claimed, dict) and isinstance(mine, dict) and set(claimed) == set(mine)
                and all(same_value(claimed[k], mine[k]) for k in mine))
    if not isinstance(claimed, (int, float)) or not isinstance(mine, (int, float)):
        return claimed == mine
    if isinstance(claimed, int) and isinstance(mine, int):
        return claimed == mine
    a, b = float(claimed), float(mine)
    if not (math.isfinite(a) and math.isfinite(b)):
        return a == b
    return abs(a - b) <= RELATIVE_TOLERANCE * max(abs(a), abs(b)) + 1e-12


def _show(x) -> str:
    if isinstance(x, float):
        return f"{x:.10g}"
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in x.items()) + "}"
    return repr(x) if isinstance(x, str) else str(x)


def compare_section(claimed: dict, mine: dict, label: str, rep: ValidationReport, *,
                    file: str = KPIS, skip: tuple[str, ...] = ()) -> None:
    """Every key of ``claimed`` against ``mine`` (``label`` names the section in messages)."""
    for k in claimed:
        if k in skip:
            continue
        rep.count("kpis")
        if k not in mine:
            rep.warn("kpis", f"{label}.{k} is not a KPI the validator knows; not checked", file=file)
        elif not same_value(claimed[k], mine[k]):
            rep.error("kpis", f"{label}.{k} = {_show(claimed[k])} but the plan tables give {_show(mine[k])}", file=file)
    for k in mine:
        if k not in claimed:
            rep.warn("kpis", f"{label}.{k} is missing", file=file)


def compare_plan_kpis(claimed: dict, mine: dict, rep: ValidationReport) -> None:
    """``global`` and every ``managers`` row of ``kpis.json`` against the recomputation."""
    if not isinstance(claimed.get("global"), dict):
        rep.error("kpis", "kpis.json has no 'global' section", file=KPIS)
    else:
        compare_section(claimed["global"], mine["global"], "global", rep)
    rows = claimed.get("managers")
    if not isinstance(rows, list):
        rep.error("kpis", "kpis.json has no 'managers' list", file=KPIS)
        return
    by_id = {x["manager_id"]: x for x in mine["managers"]}
    seen = set()
    for row in rows:
        mid = row.get("manager_id") if isinstance(row, dict) else None
        if mid not in by_id or mid in seen:
            rep.error("kpis", f"managers entry {mid!r} is not a manager of managers.csv (or listed twice)", file=KPIS)
            continue
        seen.add(mid)
        compare_section(row, by_id[mid], f"managers[{mid}]", rep)
    for mid in by_id:
        if mid not in seen:
            rep.error("kpis", f"managers has no entry for {mid}", file=KPIS, manager_id=mid)


def compare_baseline_kpis(claimed: dict, plan: dict, base: dict, base_method: str | None,
                          rep: ValidationReport) -> None:
    """The ``baseline`` and ``comparison`` sections against the recomputed plan and baseline KPIs."""
    known = {"global", "managers", "baseline", "comparison", "service_vacuum", *IGNORED_SECTIONS}  # service_vacuum: targets.py
    for k in claimed:
        if k not in known:
            rep.warn("kpis", f"section {k!r} of kpis.json is not checked", file=KPIS)
    section = claimed.get("baseline")
    if isinstance(section, dict):
        compare_section(section.get("global") or {}, base["global"], "baseline.global", rep)
        older = base_method.split("; calendar: ")[0] if base_method else None  # plans made before it named the calendar
        if base_method is not None and section.get("method") not in (None, base_method, older):
            rep.error("kpis", f"baseline.method {section.get('method')!r} differs from the baseline's manifest "
                      f"({base_method!r})", file=KPIS)
    comp = claimed.get("comparison")
    if not isinstance(comp, dict):
        return
    for k, entry in comp.items():
        rep.count("kpis")
        if k not in plan["global"] or not isinstance(entry, dict):
            rep.warn("kpis", f"comparison.{k} is not a KPI the validator knows; not checked", file=KPIS)
            continue
        p, b = plan["global"][k], base["global"].get(k)
        numeric = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (p, b))
        want = {"plan": p, "baseline": b, "delta": (p - b) if numeric else None}
        for part, value in want.items():
            if not same_value(entry.get(part), value):
                rep.error("kpis", f"comparison.{k}.{part} = {_show(entry.get(part))} but the plan tables give "
                          f"{_show(value)}", file=KPIS)

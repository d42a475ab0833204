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
managers with work, or over all when nobody has work; with ``territories.balance_by:
available_time`` and every manager's available hours known, workload per available hour).

Global: ``imbalance`` (max / mean - 1 of the same workloads), ``balance_by`` (which of the two),
``workload_cv`` (population std / mean), ``travel_share``, ``frequency_compliance`` per class and ``key_frequency_compliance``
(planned / required over the assigned retailers; a remote class counts every contact as made;
``None`` when nothing is required), ``unplanned_visits``, ``unplanned_by_reason``,
``travel_hours``, ``service_hours``, ``workload_hours``, ``wait_hours``, ``visits_planned``,
``visits_required``, ``remote_contacts``, ``retailers``, ``managers``, ``routes``
(``routes.geojson`` features), ``compactness_min`` (pooled over managers),
``service_radius_p95_min`` (pooled), ``design_imbalance`` (max / mean - 1 of the estimated
workload, the designed one where it is not known, over managers with retailers), ``non_contiguous_territories`` (territories in more than
one part). Base travel times use the soft travel model (as territory design does).

Since contacts, specialists, leave and duties (plans with ``contacts.csv``): the managers'
figures are over role ``manager`` only; service includes the planned contacts (their
``end - start``) instead of counting remote contacts as made, and ``frequency_compliance`` of a
remote class is planned / required contacts; the workload estimate adds ``remote_per_cycle``
contacts (scaled) x ``remote_min`` of visited classes; estimated workload counts daily trips on
the manager's worked days. Rows gain ``role``, ``contacts``, ``contacts_unplanned``,
``available_hours``, ``leave_days``, ``duty_hours`` (:mod:`planner.validate.availability`); a
specialist's row counts its specialist visits and the retailers it visits, ``workload_vs_mean``
against its team's specialists with work, and has no territory measures. Global:
``contacts_planned``, ``contacts_unplanned``, ``specialists``, ``specialist_visits_required`` /
``_planned`` / ``_unplanned``, ``specialist_travel_hours``, ``specialist_service_hours``,
``specialist_imbalance`` (the worst team's max / mean - 1), ``leave_days``, ``duty_hours``.

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
from planner.validate.planfiles import PlanFiles, parse_time_of_day
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
    # contacts a visited class adds take their time at the desk (a remote class's are its required visits)
    w = w + np.array([inp.classes[c].contacts * inp.classes[c].contact_s if inp.classes[c].routed else 0
                      for c in cls], dtype=float)
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
    need_contacts = np.array([inp.classes[c].contacts for c in cls], dtype=float)
    need_special = np.array([inp.classes[c].specialist for c in cls], dtype=float)
    svc = r["service_s"].to_numpy(float)
    sales = r["sales_volume"].to_numpy(float)
    own = np.array([owner.get(x, "") for x in rid], dtype=object)
    assigned = own != ""
    team = files.contacts is not None  # a plan made since contacts, specialists, leave and duties
    regular = [v for v in visits if v.kind != "specialist"]
    special = [v for v in visits if v.kind == "specialist"]
    kinds = [files.kind(files.unplanned, k) for k in range(len(files.unplanned))]
    un_mgr = files.unplanned.col("manager_id")
    n_visits = Counter(v.retailer_id for v in regular)
    planned = np.array([n_visits.get(x, 0) for x in rid], dtype=float)
    contact_s: dict[str, float] = defaultdict(float)
    n_contacts: Counter[str] = Counter()
    if team:
        made = Counter(files.contacts.col("retailer_id"))
        planned = np.where(routed, planned, np.array([made.get(x, 0) for x in rid], dtype=float))
        for m, a, b in zip(files.contacts.col("manager_id"), files.contacts.col("start"), files.contacts.col("end"),
                           strict=True):
            ta, tb = parse_time_of_day(a), parse_time_of_day(b)
            contact_s[m] += (tb - ta) if ta is not None and tb is not None else 0
            n_contacts[m] += 1
    else:
        planned = np.where(routed, planned, required)  # remote contacts count as made
        for m in set(own[assigned & ~routed]):
            contact_s[m] = float((required * svc)[(own == m) & ~routed].sum())
    by_mgr: dict[str, list[RouteFacts]] = defaultdict(list)
    for rt in routes:
        by_mgr[rt.manager_id].append(rt)
    ids = list(managers)
    bases = [managers[m].base_loc for m in ids]
    known = [k for k, b in enumerate(bases) if b is not None and managers[ids[k]].role == "manager"]
    base_rows = inp.travel.soft.from_sources(np.array([bases[k] for k in known], dtype=np.int64)) if known else None
    base_row_of = {ids[k]: base_rows[j, : len(rid)] for j, k in enumerate(known)} if base_rows is not None else {}
    parts = territory_parts(own, design["edges"])
    rows, pooled_t, pooled_w = [], [], []
    for m in ids:
        person = managers[m]
        specialist = person.role == "specialist"
        rts = by_mgr.get(m, [])
        if specialist:
            mine_v = [v for v in special if v.manager_id == m]
            mine_u = [k for k, x in enumerate(un_mgr) if x == m and kinds[k] == "specialist"]
            served = {v.retailer_id for v in mine_v} | {files.unplanned.col("retailer_id")[k] for k in mine_u}
            mine = np.isin(rid, sorted(served))
            need = int(need_special[mine].sum())
        else:
            mine_v = [v for v in regular if v.manager_id == m]
            mine_u = [k for k, x in enumerate(un_mgr) if x == m and kinds[k] == "regular"]
            mine = own == m
            need = int(required[mine & routed].sum())
        travel = float(sum(rt.travel_s for rt in rts))
        service = float(sum(rt.service_s for rt in rts)) + contact_s.get(m, 0.0)
        row = {
            "manager_id": m, "team": person.team, "retailers": int(mine.sum()),
            "key_customers": int((mine & key).sum()), "sales_volume": float(sales[mine].sum()),
            "visits": len(mine_v), "visits_required": need, "unplanned_visits": len(mine_u),
            "service_hours": service / 3600.0,
            "travel_hours": travel / 3600.0, "wait_hours": sum(rt.wait_s for rt in rts) / 3600.0,
            "workload_hours": (service + travel) / 3600.0, "travel_share": _ratio(travel, travel + service),
            "days_worked": len({rt.day_index for rt in rts}),
            "max_day_hours": max(((rt.end_s - rt.start_s) / 3600.0 for rt in rts), default=0.0),
        }
        if team:
            row.update({
                "role": person.role, "contacts": int(n_contacts.get(m, 0)),
                "contacts_unplanned": sum(1 for k, x in enumerate(un_mgr) if x == m and kinds[k] == "contact"),
                "available_hours": sum(d.available_s for d in person.days) / 3600.0,
                "leave_days": sum(1 for d in person.days if d.leave),
                "duty_hours": sum(d.duty_s for d in person.days) / 3600.0})
        if not specialist:
            territory_rows(row, m, mine, w, in_person, base_row_of, sum(1 for d in person.days if d.working),
                           pooled_t, pooled_w)
            row["parts"] = int(parts.get(m, 0))
        rows.append(row)
    mgrs = [x for x in rows if x.get("role", "manager") == "manager"]
    specs = [x for x in rows if x.get("role") == "specialist"]
    work = np.array([x["workload_hours"] for x in mgrs], dtype=float)
    by_time = (inp.loaded.scenario.territories.balance_by == "available_time"
               and all(x.get("available_hours", 0) > 0 for x in mgrs))
    if by_time:  # hours per available hour
        work = work / np.array([x["available_hours"] for x in mgrs], dtype=float)
    active = work[work > 0] if (work > 0).any() else work
    mean = float(active.mean()) if len(active) else 0.0
    for x, wk in zip(mgrs, work, strict=True):
        x["workload_vs_mean"] = float(wk) / mean - 1.0 if mean > 0 else None
    worst = None
    for tm in sorted({x["team"] for x in specs}):  # specialists against their team's specialists
        group = [x for x in specs if x["team"] == tm]
        busy = [x["workload_hours"] for x in group if x["workload_hours"] > 0]
        avg = sum(busy) / len(busy) if busy else 0.0
        for x in group:
            x["workload_vs_mean"] = x["workload_hours"] / avg - 1.0 if avg > 0 else None
        if avg > 0:
            worst = max(worst if worst is not None else -1.0, max(busy) / avg - 1.0)
    travel_h = float(sum(x["travel_hours"] for x in mgrs))
    service_h = float(sum(x["service_hours"] for x in mgrs))
    compliance = {}
    for c in sorted(set(cls[assigned])):
        sel = assigned & (cls == c)
        compliance[c] = _ratio(planned[sel].sum(), required[sel].sum())
    reasons = Counter(reason for reason, kind in zip(files.unplanned.col("reason"), kinds, strict=True)
                      if kind == "regular")
    t_all = np.concatenate(pooled_t) if pooled_t else np.zeros(0)
    w_all = np.concatenate(pooled_w) if pooled_w else np.zeros(0)
    col = "estimated_workload_hours" if all("estimated_workload_hours" in x for x in mgrs) else "designed_workload_hours"
    designed = np.array([x[col] for x in mgrs if x["retailers"] > 0])
    manager_ids = {x["manager_id"] for x in mgrs}
    g = {
        "imbalance": float(active.max()) / mean - 1.0 if mean > 0 else None,
        "balance_by": "available_time" if by_time else "equal",
        "travel_share": _ratio(travel_h, travel_h + service_h),
        "frequency_compliance": compliance,
        "key_frequency_compliance": _ratio(planned[assigned & key].sum(), required[assigned & key].sum()),
        "unplanned_visits": sum(reasons.values()),
        "unplanned_by_reason": {k: int(v) for k, v in sorted(reasons.items())},
        "travel_hours": travel_h, "service_hours": service_h, "workload_hours": travel_h + service_h,
        "wait_hours": float(sum(x["wait_hours"] for x in mgrs)),
        "visits_planned": len(regular), "visits_required": int(required[assigned & routed].sum()),
        "remote_contacts": int(need_contacts[assigned].sum()),
        "retailers": int(assigned.sum()), "managers": len(mgrs),
        "routes": sum(1 for f in files.routes if str((f.get("properties") or {}).get("manager_id")) in manager_ids),
        "workload_cv": float(active.std() / mean) if mean > 0 else None,
        "compactness_min": float((t_all * w_all).sum() / w_all.sum() / 60.0) if w_all.sum() > 0 else None,
        "service_radius_p95_min": float(np.percentile(t_all, 95) / 60.0) if len(t_all) else None,
        "design_imbalance": float(designed.max() / designed.mean() - 1.0)
        if len(designed) and designed.mean() > 0 else None,
        "non_contiguous_territories": sum(1 for x in mgrs if x["parts"] > 1),
    }
    if team:
        g.update({
            "contacts_planned": len(files.contacts), "contacts_unplanned": kinds.count("contact"),
            "specialists": len(specs), "specialist_visits_required": int(need_special[assigned].sum()),
            "specialist_visits_planned": len(special), "specialist_visits_unplanned": kinds.count("specialist"),
            "specialist_travel_hours": float(sum(x["travel_hours"] for x in specs)),
            "specialist_service_hours": float(sum(x["service_hours"] for x in specs)),
            "specialist_imbalance": worst,
            "leave_days": int(sum(x["leave_days"] for x in rows)),
            "duty_hours": float(sum(x["duty_hours"] for x in rows))})
    return {"global": g, "managers": rows}


def territory_rows(row: dict, m: str, mine: np.ndarray, w: np.ndarray, in_person: np.ndarray,
                   base_row_of: dict, worked_days: int, pooled_t: list, pooled_w: list) -> None:
    """The territory measures of a manager's row: compactness, service radius, designed and
    estimated workload (daily trips on the manager's worked days)."""
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
        row["estimated_workload_hours"] = estimated_hours(w[mine], in_person[mine], base_row_of[m][mine].astype(float),
                                                          worked_days)


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

"""KPIs computed from a plan's tables and the inputs (never from solver internals).

Global keys (``kpis["global"]``)::

    imbalance               max manager workload / mean - 1 (workload = service + travel hours;
                            per available hour when ``balance_by`` is available_time)
    balance_by              equal | available_time: what imbalance measures against
    travel_share            travel / (travel + service), over all routes
    frequency_compliance    per class: planned visits / required visits (remote classes: contacts)
    key_frequency_compliance  the same over the key classes together
    unplanned_visits        required visits not in the calendar
    unplanned_by_reason     {reason: count}
    travel_hours, service_hours, workload_hours, wait_hours
    visits_planned, visits_required, retailers, managers, routes
    compactness_min         workload-weighted mean travel time base -> retailer (minutes)
    service_radius_p95_min  95th percentile of travel time base -> retailer (minutes)
    workload_cv             coefficient of variation of manager workload
    design_imbalance        the same as imbalance for the design's workload estimate (service +
                            estimated access time per visit + daily trips from the base), before routing
    non_contiguous_territories  territories in more than one piece on the adjacency graph

    remote_contacts         contacts required (mode remote classes' visits, remote_per_cycle)
    contacts_planned, contacts_unplanned   contacts.csv rows; unplanned.csv rows of kind contact
    specialists, specialist_visits_required/_planned/_unplanned, specialist_travel_hours,
    specialist_service_hours, specialist_imbalance (worst team: max / mean - 1 of its specialists)
    leave_days, duty_hours  summed over managers and specialists

The managers' figures (imbalance, workload_cv, travel and service hours, visits, routes,
unplanned visits) are over the rows of role ``manager`` only: specialists are never mixed in.

Per manager and specialist (``kpis["managers"]``): role, retailers (a specialist: those it
visits), key_customers, sales_volume, visits, visits_required, unplanned_visits, contacts,
contacts_unplanned, service_hours (visits and planned contacts), travel_hours, wait_hours,
workload_hours, travel_share, workload_vs_mean (a specialist: against its team's specialists),
days_worked, max_day_hours, available_hours, leave_days, duty_hours; managers only:
compactness_min, service_radius_max_min, service_radius_p95_min, designed_workload_hours (service
and access per visit), estimated_workload_hours (the design's estimate including daily trips from the
base on the manager's worked days), parts (connected pieces).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.plan.model import Plan


def _ratio(a: float, b: float) -> float | None:
    return float(a) / float(b) if b else None


def compute_kpis(plan: Plan, *, retailers: pd.DataFrame, required: dict[str, int], routed: dict[str, bool],
                 key_classes: set[str], base_travel_s: dict[str, np.ndarray] | None = None,
                 workload_s: np.ndarray | None = None, estimated_hours: dict[str, float] | None = None,
                 adjacency: np.ndarray | None = None, contacts_required: dict[str, int] | None = None,
                 specialist_required: dict[str, int] | None = None,
                 availability: dict[str, dict] | None = None, balance_by: str = "equal") -> dict:
    """KPIs of ``plan``.

    Parameters
    ----------
    retailers:
        The input retailers (retailer_id, class, sales_volume, service_s).
    required, routed:
        Per class: visits required in the horizon, and whether the class is visited in person.
    base_travel_s:
        Per manager: travel time (s) from the base to each of the manager's retailers, in the order
        of ``plan.assignments`` rows of that manager (for compactness and service radius).
    workload_s:
        Per retailer (input order): the workload estimate used for compactness weights.
    estimated_hours:
        Per manager: the workload estimated during territory design.
    adjacency:
        ``(e, 2)`` retailer index pairs (input order) of the territory-design adjacency graph;
        gives each territory's number of connected parts (``parts``) and the global count of
        territories that are not contiguous.
    contacts_required, specialist_required:
        Per class: contacts and specialist visits required in the horizon (default none).
    availability:
        Per manager or specialist: ``available_hours``, ``leave_days``, ``duty_hours``.
    balance_by:
        ``territories.balance_by``: with ``available_time`` (and ``availability``) each manager's
        workload is measured against its share of the available hours (``imbalance``,
        ``workload_vs_mean``), as the territories were balanced; ``equal``: the hours themselves.
    """
    r = retailers.set_index("retailer_id")
    a = plan.assignments.copy()
    a["class"] = r.loc[a["retailer_id"], "class"].to_numpy()
    a["sales_volume"] = r.loc[a["retailer_id"], "sales_volume"].to_numpy()
    a["required"] = a["class"].map(required).astype(int)
    a["routed"] = a["class"].map(routed).astype(bool)
    a["key"] = a["class"].isin(key_classes)
    a["contacts_required"] = a["class"].map(contacts_required or {}).fillna(0).astype(int)
    a["specialist_required"] = a["class"].map(specialist_required or {}).fillna(0).astype(int)
    kind = plan.visits["kind"] if "kind" in plan.visits.columns else pd.Series("regular", index=plan.visits.index)
    v = plan.visits[kind != "specialist"]
    vs = plan.visits[kind == "specialist"]
    ukind = plan.unplanned["kind"] if "kind" in plan.unplanned.columns else pd.Series("regular", index=plan.unplanned.index)
    up, ups, upc = (plan.unplanned[ukind == k] for k in ("regular", "specialist", "contact"))
    cont = plan.contacts
    per_retailer_planned = v.groupby("retailer_id").size()
    a["planned"] = a["retailer_id"].map(per_retailer_planned).fillna(0).astype(int)
    if cont is None:  # a plan made before contacts were scheduled: every remote contact counts as made
        a.loc[~a["routed"], "planned"] = a.loc[~a["routed"], "required"]
        remote_s = (a.loc[~a["routed"]].assign(s=lambda d: d["required"] * r.loc[d["retailer_id"], "service_s"].to_numpy())
                    .groupby("manager_id")["s"].sum())
        cont = pd.DataFrame(columns=["manager_id", "retailer_id", "start", "end"])
    else:
        a.loc[~a["routed"], "planned"] = a.loc[~a["routed"], "retailer_id"].map(
            cont.groupby("retailer_id").size()).fillna(0).astype(int)
        dur = clock_s(cont["end"]) - clock_s(cont["start"])
        remote_s = pd.Series(dur, index=cont.index).groupby(cont["manager_id"]).sum()
    routes = pd.DataFrame([f["properties"] for f in plan.routes]) if plan.routes else pd.DataFrame(
        columns=["manager_id", "day_index", "travel_s", "service_s", "wait_s", "start_s", "end_s"])
    roles = plan.managers["role"] if "role" in plan.managers.columns else pd.Series("manager", index=plan.managers.index)
    mgr_rows = []
    all_radius: list[np.ndarray] = []
    weighted_num = weighted_den = 0.0
    wl_by_id = None
    if workload_s is not None:
        wl_by_id = pd.Series(workload_s, index=retailers["retailer_id"].to_numpy())
    for mid, role in zip(plan.managers["manager_id"], roles, strict=True):
        specialist = role == "specialist"
        rm = routes[routes["manager_id"] == mid] if len(routes) else routes
        if specialist:
            vm, um = vs[vs["manager_id"] == mid], ups[ups["manager_id"] == mid]
            am = a[a["retailer_id"].isin(set(vm["retailer_id"]) | set(um["retailer_id"]))]
            need = int(am["specialist_required"].sum())
        else:
            vm, um = v[v["manager_id"] == mid], up[up["manager_id"] == mid]
            am = a[a["manager_id"] == mid]
            need = int(am.loc[am["routed"], "required"].sum())
        cm = cont[cont["manager_id"] == mid]
        travel = float(rm["travel_s"].sum()) if len(rm) else 0.0
        service = float(vm["service_s"].sum()) + float(remote_s.get(mid, 0.0))
        wait = float(rm["wait_s"].sum()) if len(rm) and "wait_s" in rm else 0.0
        day_h = ((rm["end_s"] - rm["start_s"]) / 3600.0) if len(rm) else pd.Series(dtype=float)
        row = {
            "manager_id": mid,
            "team": str(plan.managers.loc[plan.managers["manager_id"] == mid, "team"].iloc[0]),
            "role": str(role),
            "retailers": int(len(am)),
            "key_customers": int(am["key"].sum()),
            "sales_volume": float(am["sales_volume"].sum()),
            "visits": int(len(vm)),
            "visits_required": need,
            "unplanned_visits": int(len(um)),
            "contacts": int(len(cm)),
            "contacts_unplanned": int((upc["manager_id"] == mid).sum()),
            "service_hours": service / 3600.0,
            "travel_hours": travel / 3600.0,
            "wait_hours": wait / 3600.0,
            "workload_hours": (service + travel) / 3600.0,
            "travel_share": _ratio(travel, travel + service),
            "days_worked": int(rm["day_index"].nunique()) if len(rm) else 0,
            "max_day_hours": float(day_h.max()) if len(day_h) else 0.0,
        }
        if availability is not None and mid in availability:
            row.update({k: availability[mid][k] for k in ("available_hours", "leave_days", "duty_hours")})
        if not specialist and base_travel_s is not None and mid in base_travel_s and len(base_travel_s[mid]):
            bt = np.asarray(base_travel_s[mid], dtype=float)
            bt = bt[bt < 1e12]
            if len(bt):
                w = wl_by_id.loc[am["retailer_id"]].to_numpy()[: len(bt)] if wl_by_id is not None else np.ones(len(bt))
                row["compactness_min"] = float(np.average(bt, weights=w) / 60.0) if w.sum() > 0 else float(bt.mean() / 60)
                row["service_radius_max_min"] = float(bt.max() / 60.0)
                row["service_radius_p95_min"] = float(np.percentile(bt, 95) / 60.0)
                all_radius.append(bt)
                weighted_num += float((bt * w).sum())
                weighted_den += float(w.sum())
        if not specialist and wl_by_id is not None:
            row["designed_workload_hours"] = float(wl_by_id.loc[am["retailer_id"]].sum() / 3600.0)
        if not specialist and estimated_hours is not None and mid in estimated_hours:
            row["estimated_workload_hours"] = float(estimated_hours[mid])
        mgr_rows.append(row)
    if adjacency is not None:
        parts = territory_parts(retailers["retailer_id"].to_numpy(), a, adjacency)
        for m in mgr_rows:
            if m["role"] == "manager":
                m["parts"] = int(parts.get(m["manager_id"], 0))
    mgrs = [m for m in mgr_rows if m["role"] == "manager"]
    specs = [m for m in mgr_rows if m["role"] == "specialist"]
    work = np.array([m["workload_hours"] for m in mgrs], dtype=float)
    by_time = balance_by == "available_time" and all(m.get("available_hours", 0) > 0 for m in mgrs)
    if by_time:  # workload per available hour: a manager with leave is balanced on a smaller share
        work = work / np.array([m["available_hours"] for m in mgrs], dtype=float)
    active = work[work > 0] if (work > 0).any() else work
    mean = float(active.mean()) if len(active) else 0.0
    for m, w in zip(mgrs, work, strict=True):
        m["workload_vs_mean"] = (float(w) / mean - 1.0) if mean > 0 else None
    spec_imbalance = specialist_balance(specs)
    travel_h = float(sum(m["travel_hours"] for m in mgrs))
    service_h = float(sum(m["service_hours"] for m in mgrs))
    comp = {}
    for cls, g in a.groupby("class"):
        comp[str(cls)] = _ratio(g["planned"].sum(), g["required"].sum())
    keys = a[a["key"]]
    g = {
        "imbalance": (float(active.max()) / mean - 1.0) if mean > 0 else None,
        "balance_by": "available_time" if by_time else "equal",
        "travel_share": _ratio(travel_h, travel_h + service_h),
        "frequency_compliance": comp,
        "key_frequency_compliance": _ratio(keys["planned"].sum(), keys["required"].sum()),
        "unplanned_visits": int(len(up)),
        "unplanned_by_reason": {str(k): int(c) for k, c in up["reason"].value_counts().sort_index().items()},
        "travel_hours": travel_h,
        "service_hours": service_h,
        "workload_hours": travel_h + service_h,
        "wait_hours": float(sum(m["wait_hours"] for m in mgrs)),
        "visits_planned": int(len(v)),
        "visits_required": int(a.loc[a["routed"], "required"].sum()),
        "remote_contacts": int(a["contacts_required"].sum()) if contacts_required is not None
        else int(a.loc[~a["routed"], "required"].sum()),
        "retailers": int(len(a)),
        "managers": int(len(mgrs)),
        "routes": int(sum(1 for f in plan.routes if f["properties"].get("kind", "regular") != "specialist")),
        "workload_cv": float(active.std() / mean) if mean > 0 else None,
        "compactness_min": (weighted_num / weighted_den / 60.0) if weighted_den > 0 else None,
        "service_radius_p95_min": float(np.percentile(np.concatenate(all_radius), 95) / 60.0) if all_radius else None,
    }
    if plan.contacts is not None:
        g["contacts_planned"] = int(len(cont))
        g["contacts_unplanned"] = int(len(upc))
    if specialist_required is not None:
        g.update({
            "specialists": len(specs),
            "specialist_visits_required": int(a["specialist_required"].sum()),
            "specialist_visits_planned": int(len(vs)),
            "specialist_visits_unplanned": int(len(ups)),
            "specialist_travel_hours": float(sum(m["travel_hours"] for m in specs)),
            "specialist_service_hours": float(sum(m["service_hours"] for m in specs)),
            "specialist_imbalance": spec_imbalance,
        })
    if availability is not None:
        g["leave_days"] = int(sum(m.get("leave_days", 0) for m in mgr_rows))
        g["duty_hours"] = float(sum(m.get("duty_hours", 0.0) for m in mgr_rows))
    if wl_by_id is not None:
        # the whole estimate (daily trips from the base included) where the territories have it
        col = "estimated_workload_hours" if all("estimated_workload_hours" in m for m in mgrs) else "designed_workload_hours"
        dw = np.array([m[col] for m in mgrs if m["retailers"] > 0])
        g["design_imbalance"] = float(dw.max() / dw.mean() - 1.0) if len(dw) and dw.mean() > 0 else None
    if adjacency is not None:
        g["non_contiguous_territories"] = int(sum(1 for m in mgrs if m.get("parts", 0) > 1))
    return {"global": g, "managers": mgr_rows}


def specialist_balance(specs: list[dict]) -> float | None:
    """Sets each specialist's ``workload_vs_mean`` against the mean of its team's specialists
    with work; returns the largest ``max / mean - 1`` over teams (``None``: no specialist work)."""
    worst = None
    for team in sorted({m["team"] for m in specs}):
        rows = [m for m in specs if m["team"] == team]
        work = np.array([m["workload_hours"] for m in rows], dtype=float)
        active = work[work > 0]
        mean = float(active.mean()) if len(active) else 0.0
        for m in rows:
            m["workload_vs_mean"] = (m["workload_hours"] / mean - 1.0) if mean > 0 else None
        if mean > 0:
            x = float(active.max()) / mean - 1.0
            worst = x if worst is None else max(worst, x)
    return worst


def clock_s(series: pd.Series) -> np.ndarray:
    """``HH:MM:SS`` texts -> seconds."""
    parts = series.astype(str).str.split(":", expand=True)
    if not len(series):
        return np.zeros(0, dtype=np.int64)
    return (parts[0].astype(int) * 3600 + parts[1].astype(int) * 60 + parts[2].astype(int)).to_numpy()


def territory_parts(retailer_ids: np.ndarray, assignments: pd.DataFrame, adjacency: np.ndarray) -> dict[str, int]:
    """Number of connected parts of each manager's territory in the adjacency graph."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    owner = assignments.set_index("retailer_id").loc[retailer_ids, "manager_id"].to_numpy()
    codes, names = pd.factorize(owner)
    e = np.asarray(adjacency, dtype=np.int64).reshape(-1, 2)
    same = codes[e[:, 0]] == codes[e[:, 1]]
    n = len(retailer_ids)
    g = coo_matrix((np.ones(int(same.sum())), (e[same, 0], e[same, 1])), shape=(n, n))
    _, labels = connected_components(g, directed=False)
    out = {}
    for k, name in enumerate(names):
        out[str(name)] = int(len(np.unique(labels[codes == k])))
    return out


HEADLINE = ["imbalance", "design_imbalance", "travel_share", "key_frequency_compliance", "unplanned_visits", "travel_hours",
            "service_hours", "compactness_min", "service_radius_p95_min", "non_contiguous_territories"]


def comparison(plan_kpis: dict, base_kpis: dict) -> dict:
    """Headline KPIs of a plan against its baseline: ``{kpi: {"plan", "baseline", "delta"}}``."""
    out = {}
    for k in HEADLINE:
        p, b = plan_kpis["global"].get(k), base_kpis["global"].get(k)
        out[k] = {"plan": p, "baseline": b,
                  "delta": (p - b) if isinstance(p, (int, float)) and isinstance(b, (int, float)) else None}
    return out


def solver_section(terr, calendars: dict, *, schedule_method: str, schedule_runtime_s: float) -> dict:
    """``kpis.json`` -> ``solver``: how the plan was solved, in the documented format of
    ``kpis.schema.json`` (not the engine's internal statistics)::

        {"territories": {"method", "levels": [{"level", "units", "territories", "status",
                                                "objective", "violations", "runtime_s"}],
                         "assigned_by": {...}},            # administrative territories only
         "schedule": {"method", "runtime_s",
                      "managers": [{"manager_id", "status", "objective", "iterations",
                                    "runtime_s", "visits", "unplanned_visits"}]}}
    """
    details = dict(terr.details)
    tsec = {"method": terr.method, "levels": list(details.get("levels", []))}
    if "assigned_by" in details:
        tsec["assigned_by"] = dict(details["assigned_by"])
    if "calendar_balance" in details:
        tsec["calendar_balance"] = dict(details["calendar_balance"])
    if "calibration" in details:
        tsec["calibration"] = dict(details["calibration"])
    managers = []
    for k, (_units, res) in sorted(calendars.items()):
        st = res.stats
        managers.append({"manager_id": terr.slots[k].manager_id, "status": res.status.value,
                         "objective": float(res.objective), "iterations": st.iterations,
                         "runtime_s": st.runtime_s, "visits": int(sum(len(r.stops) for r in res.routes)),
                         "unplanned_visits": len(res.unplanned)})
    return {"territories": tsec, "schedule": {"method": schedule_method, "runtime_s": round(schedule_runtime_s, 3),
                                              "managers": managers}}

"""``targets.csv``: what the plan asks of each manager and specialist, the reference ``planner
assess`` compares a field log with, and the extras every plan carries for it (the service vacuum
of :mod:`planner.plan.vacuum` in ``kpis.json``).

One row per row of ``managers.csv`` (managers, specialists and vacant positions), in that order::

    manager_id, team, role        role: managers.csv's ``role`` column, else "manager"
    retailers, key_customers      assigned in assignments.csv (key: the scenario's key classes)
    visits                        door visits in visits.csv (regular and specialist)
    specialist_visits             of which visits.csv ``kind`` = specialist (0 without a kind column)
    key_visits                    door visits to key customers
    key_visits_required           sum over the post's key customers of: the class's required visits
                                  in the horizon when the post is the retailer's manager in
                                  assignments.csv, else the visits planned (a specialist's)
    contacts                      remote contacts: rows of contacts.csv when the plan has one, else
                                  the required contacts of the post's retailers of remote classes
    service_hours                 visits' service_s + contact time (contacts.csv end - start, else
                                  each contact at the retailer's service time), / 3600
    travel_hours                  travel of the post's day routes (routes.geojson travel_s, the trip
                                  back to the base included), / 3600
    planned_hours                 service_hours + travel_hours (= kpis.json managers workload_hours)
    days_worked                   days with a route
    designed_workload_hours       the workload estimate territory design balances, summed over the
                                  post's retailers (service + estimated access per visit, see
                                  planner.design.workload), / 3600
    workload_index                designed_workload_hours / mean of it over posts with retailers
                                  (1.0 = an average territory; empty for a post without retailers)
    planned_hours_index           planned_hours / mean of it over posts with planned hours

The two indices are what makes posts of different difficulty comparable: ``planner assess`` may
divide count-type indicators by ``planned_hours_index`` (``per_workload: true``).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from planner.config.scenario import parse_clock
from planner.plan.model import Plan
from planner.plan.vacuum import plan_service_vacuum

TARGET_COLUMNS = ["manager_id", "team", "role", "retailers", "key_customers", "visits", "specialist_visits",
                  "key_visits", "key_visits_required", "contacts", "service_hours", "travel_hours", "planned_hours",
                  "days_worked", "designed_workload_hours", "workload_index", "planned_hours_index"]
SPECIALIST = "specialist"


def plan_contacts(plan: Plan) -> pd.DataFrame | None:
    """The plan's scheduled remote contacts (``contacts.csv``: ``manager_id, date, start, end,
    retailer_id, ...``) when the plan has them, else ``None``."""
    table = getattr(plan, "contacts", None)
    if isinstance(table, pd.DataFrame):
        return table
    data = plan.extra_files.get("contacts.csv")
    if data is None:
        return None
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _seconds(text) -> int | None:
    """``HH:MM[:SS]`` -> seconds; ``None`` for an empty or unreadable value."""
    s = str(text).strip()
    if not s:
        return None
    parts = s.split(":")
    try:
        if len(parts) == 3:
            return int(parts[0]) * 3600 + int(parts[1]) * 60 + int(parts[2])
        return parse_clock(s)
    except ValueError:
        return None


def contact_seconds(contacts: pd.DataFrame, service_of: dict[str, float]) -> np.ndarray:
    """Time of each contact: ``end - start`` when both are given, else the retailer's service time."""
    out = np.zeros(len(contacts))
    starts = contacts["start"] if "start" in contacts else pd.Series([""] * len(contacts))
    ends = contacts["end"] if "end" in contacts else pd.Series([""] * len(contacts))
    for k, (rid, a, b) in enumerate(zip(contacts["retailer_id"].astype(str), starts, ends, strict=True)):
        sa, sb = _seconds(a), _seconds(b)
        out[k] = (sb - sa) if sa is not None and sb is not None and sb >= sa else float(service_of.get(rid, 0.0))
    return out


def targets_table(plan: Plan, *, retailers: pd.DataFrame, required: dict[str, int], routed: dict[str, bool],
                  key_classes: set[str], workload_s: np.ndarray) -> pd.DataFrame:
    """``targets.csv`` of ``plan`` (see the module docstring).

    ``retailers``: the input retailers (``retailer_id``, ``class``, ``service_s``), row-aligned with
    ``workload_s`` (the design's workload estimate per retailer, seconds); ``required``/``routed``:
    per class, the visits (or contacts) required in the horizon and whether it is visited in person.
    """
    r = retailers.set_index("retailer_id")
    a = plan.assignments[["retailer_id", "manager_id"]].astype(str).copy()
    a["class"] = r.loc[a["retailer_id"], "class"].astype(str).to_numpy()
    a["key"] = a["class"].isin(key_classes)
    a["required"] = a["class"].map(required).fillna(0).astype(int)
    a["routed"] = a["class"].map(routed).fillna(True).astype(bool)
    w = pd.Series(np.asarray(workload_s, float), index=retailers["retailer_id"].astype(str).to_numpy())
    a["w"] = w.loc[a["retailer_id"]].to_numpy()
    service_of = r["service_s"].astype(float).to_dict()
    owner = dict(zip(a["retailer_id"], a["manager_id"], strict=True))
    key_of = dict(zip(a["retailer_id"], a["key"], strict=True))
    req_of = dict(zip(a["retailer_id"], a["required"], strict=True))

    v = plan.visits.copy()
    v["manager_id"] = v["manager_id"].astype(str)
    v["retailer_id"] = v["retailer_id"].astype(str)
    v["key"] = v["retailer_id"].map(key_of).fillna(False).astype(bool)
    kind = v["kind"].astype(str) if "kind" in v.columns else pd.Series([""] * len(v), index=v.index)
    v["specialist"] = kind.str.strip().str.lower() == SPECIALIST

    contacts = plan_contacts(plan)
    if contacts is not None:
        c = contacts.astype(str)
        c_count = c.groupby("manager_id").size()
        c_time = pd.Series(contact_seconds(c, service_of), index=c.index).groupby(c["manager_id"]).sum()
    else:
        rem = a[~a["routed"]]
        c_count = rem.groupby("manager_id")["required"].sum()
        c_time = (rem["required"] * rem["retailer_id"].map(service_of)).groupby(rem["manager_id"]).sum()

    routes = pd.DataFrame([f["properties"] for f in plan.routes]) if plan.routes else pd.DataFrame(
        columns=["manager_id", "day_index", "travel_s"])
    routes["manager_id"] = routes["manager_id"].astype(str)
    mg = plan.managers
    roles = mg["role"].astype(str) if "role" in mg.columns else pd.Series(["manager"] * len(mg), index=mg.index)
    rows = []
    for mid, team, role in zip(mg["manager_id"].astype(str), mg["team"].astype(str), roles, strict=True):
        am = a[a["manager_id"] == mid]
        vm = v[v["manager_id"] == mid]
        rm = routes[routes["manager_id"] == mid]
        key_req = 0
        planned_at = vm[vm["key"]].groupby("retailer_id").size()
        own_keys = set(am.loc[am["key"], "retailer_id"])
        for rid in sorted(own_keys | set(planned_at.index)):
            key_req += int(req_of.get(rid, 0)) if owner.get(rid) == mid else int(planned_at.get(rid, 0))
        service = float(vm["service_s"].astype(float).sum()) + float(c_time.get(mid, 0.0))
        travel = float(rm["travel_s"].astype(float).sum()) if len(rm) else 0.0
        rows.append({
            "manager_id": mid, "team": team, "role": role.strip() or "manager",
            "retailers": int(len(am)), "key_customers": int(am["key"].sum()),
            "visits": int(len(vm)), "specialist_visits": int(vm["specialist"].sum()),
            "key_visits": int(vm["key"].sum()), "key_visits_required": key_req,
            "contacts": int(c_count.get(mid, 0)),
            "service_hours": service / 3600.0, "travel_hours": travel / 3600.0,
            "planned_hours": (service + travel) / 3600.0,
            "days_worked": int(rm["day_index"].nunique()) if len(rm) else 0,
            "designed_workload_hours": float(am["w"].sum()) / 3600.0})
    t = pd.DataFrame(rows, columns=TARGET_COLUMNS[:-2])
    t["workload_index"] = index_of(t["designed_workload_hours"], t["retailers"] > 0)
    t["planned_hours_index"] = index_of(t["planned_hours"], t["planned_hours"] > 0)
    return t[TARGET_COLUMNS]


def index_of(values: pd.Series, active: pd.Series) -> list[float | None]:
    """``value / mean(value over active rows)`` for active rows, ``None`` for the others."""
    vals = values.astype(float).to_numpy()
    on = active.to_numpy(bool)
    mean = float(vals[on].mean()) if on.any() else 0.0
    return [float(x) / mean if ok and mean > 0 else None for x, ok in zip(vals, on, strict=True)]


def targets_csv(table: pd.DataFrame) -> bytes:
    """The table as ``targets.csv`` (UTF-8, floats at full precision, empty for a missing index)."""
    return table.to_csv(index=False, encoding="utf-8").encode("utf-8")


def add_targets_and_vacuum(ctx, plan: Plan) -> None:
    """The plan pipeline's hook: ``targets.csv`` into the plan's files and ``service_vacuum`` into
    its KPIs (``ctx``: the run context, :class:`planner.design.context.Context`)."""
    sc = ctx.loaded.scenario
    required = {c: sc.required_visits(c) for c in sc.classes}
    routed = {c: sc.classes[c].mode == "visit" for c in sc.classes}
    table = targets_table(plan, retailers=ctx.ds.retailers, required=required, routed=routed,
                          key_classes=set(sc.key_class_set), workload_s=ctx.work.total_s)
    plan.extra_files["targets.csv"] = targets_csv(table)
    plan.kpis["service_vacuum"] = plan_service_vacuum(ctx, plan)


__all__ = ["TARGET_COLUMNS", "targets_table", "targets_csv", "plan_contacts", "contact_seconds", "index_of",
           "add_targets_and_vacuum"]

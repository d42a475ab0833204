"""The team's service beyond the territories' own calendars, into the plan tables: the
specialists' visits (``visits.csv`` rows of ``kind`` specialist, their day routes in
``routes.geojson``, their unplanned visits), the specialists as rows of ``managers.csv``
(``role`` specialist, ``skills``, ``leave``) and the phone and messaging contacts
(``contacts.csv``; contacts that found no desk time in ``unplanned.csv`` with ``kind`` contact).
"""

from __future__ import annotations

import pandas as pd

from planner.config.scenario import format_clock
from planner.design.contacts import CONTACT_COLUMNS
from planner.design.context import Context
from planner.design.specialists import SpecialistPlan
from planner.plan.assemble import calendar_rows, slot_text
from planner.plan.model import UNPLANNED_OUT, VISIT_OUT, Plan


def add_team_service(ctx: Context, plan: Plan, spec: SpecialistPlan, contacts: pd.DataFrame,
                     contact_unplanned: list[tuple]) -> None:
    """Add the specialists' calendars, the specialists and the contacts to ``plan`` (in place)."""
    r = ctx.ds.retailers
    rid = r["retailer_id"].to_numpy()
    cls = r["class"].to_numpy()
    dates = [d.date.isoformat() for d in ctx.days]
    vrows, urows, routes = calendar_rows(ctx, spec.slots, spec.calendars, kind="specialist")
    for i, _team, reason, message in spec.no_pool:
        n = ctx.loaded.scenario.required_specialist_visits(cls[i])
        urows.extend((rid[i], "", cls[i], "", "", reason, message, "specialist") for _ in range(n))
    for i, mid, d, message in contact_unplanned:
        urows.append((rid[i], mid, cls[i], d, dates[d], "shift_capacity", message, "contact"))
    if vrows:
        plan.visits = pd.concat([plan.visits, pd.DataFrame(vrows, columns=VISIT_OUT)], ignore_index=True)
    if urows:
        plan.unplanned = pd.concat([plan.unplanned, pd.DataFrame(urows, columns=UNPLANNED_OUT)], ignore_index=True)
    plan.routes = plan.routes + routes
    if spec.slots:
        rows = pd.DataFrame({
            "manager_id": [s.manager_id for s in spec.slots], "team": [s.team for s in spec.slots],
            "lon": [s.lon_input for s in spec.slots], "lat": [s.lat_input for s in spec.slots],
            "lon_wgs84": [s.lon for s in spec.slots], "lat_wgs84": [s.lat for s in spec.slots],
            "shift_start": [format_clock(s.shift_start_s) for s in spec.slots],
            "shift_end": [format_clock(s.shift_end_s) for s in spec.slots], "vacant": False, "role": "specialist",
            "skills": [slot_text(ctx, s, "skills") for s in spec.slots],
            "leave": [slot_text(ctx, s, "leave_text") for s in spec.slots]})
        plan.managers = pd.concat([plan.managers, rows], ignore_index=True)
    plan.contacts = contacts[CONTACT_COLUMNS].copy()


def specialist_solver_rows(spec: SpecialistPlan) -> list[dict]:
    """Rows of ``kpis.json`` -> ``solver.schedule.managers`` for the specialists' calendars."""
    out = []
    for j, (_units, res) in sorted(spec.calendars.items()):
        st = res.stats
        out.append({"manager_id": spec.slots[j].manager_id, "status": res.status.value,
                    "objective": float(res.objective), "iterations": st.iterations, "runtime_s": st.runtime_s,
                    "visits": int(sum(len(rt.stops) for rt in res.routes)), "unplanned_visits": len(res.unplanned)})
    return out

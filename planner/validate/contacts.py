"""Phone and messaging contacts: every row of ``contacts.csv`` re-checked against the inputs.

Checks (``contacts``, ``leave``, ``duties``, ``horizon``) of each row: the retailer is in the
inputs, its class asks for contacts, the manager is the retailer's territory owner (a manager);
the date is a day of the horizon matching ``day_index`` (when given), not a holiday, not a day of
the manager's leave nor a day duties take entirely; ``start``/``end`` are clock times and the
contact lasts its time (a ``mode: remote`` class: the retailer's service time; else the class's
``remote_min``); it lies inside the day's shift (after duties at its start or end), overlaps no
blocked interval of a duty, no window of the day's breaks, not the manager's route of that day
(leaving the base to being back) and no other contact of the manager; ``phone`` is the
retailer's. Returns the contacts planned per retailer for the frequency check.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from planner.validate.findings import ValidationReport
from planner.validate.inputs import Inputs
from planner.validate.planfiles import CONTACTS, PlanFiles, clock_times, hhmm, parse_whole
from planner.validate.routes import RouteFacts, inp_index
from planner.validate.structure import Manager


def check_contacts(files: PlanFiles, inp: Inputs, managers: dict[str, Manager], owner: dict[str, str],
                   routes: list[RouteFacts], rep: ValidationReport) -> dict[str, int] | None:
    """Every check of the module docstring; the contacts planned per retailer (``None`` without
    ``contacts.csv``: a plan made before contacts were scheduled)."""
    t = files.contacts
    if t is None:
        return None
    index = inp_index(inp)
    r = inp.ds.retailers
    cls = r["class"].astype(str).to_numpy()
    svc = r["service_s"].to_numpy()
    phone = r["phone"].astype(str).to_numpy() if "phone" in r.columns else None
    by_date = {d.date.isoformat(): d for d in inp.days}
    route_of = {(rt.manager_id, rt.day_index): (rt.start_s, rt.end_s) for rt in routes}
    starts, ends = clock_times(t, "start", rep), clock_times(t, "end", rep)
    made: Counter[str] = Counter()
    taken: dict[tuple[str, int], list[tuple[int, int, int]]] = defaultdict(list)
    for k, row in enumerate(t.rows):
        rid, mid, date = t.col("retailer_id")[k], t.col("manager_id")[k], t.col("date")[k]
        at = {"file": CONTACTS, "row": row, "retailer_id": rid, "manager_id": mid}
        rep.count("contacts")
        i = index.get(rid)
        if i is None:
            rep.error("contacts", f"retailer {rid} is not in the input data", **at)
            continue
        made[rid] += 1
        rule = inp.classes[cls[i]]
        if not rule.contacts:
            rep.error("contacts", f"class {rule.name} asks for no contacts", **at)
        if owner.get(rid) != mid or mid not in managers or managers[mid].role != "manager":
            rep.error("contacts", f"{mid} is not the manager of {rid} ({owner.get(rid, 'no territory')})", **at)
        if phone is not None and t.col("phone")[k] != phone[i]:
            rep.error("contacts", f"phone {t.col('phone')[k]!r} is not the retailer's ({phone[i]!r})", **at)
        day = by_date.get(date)
        if day is None:
            rep.error("horizon", f"date {date!r} is not a day of the horizon", **at)
            continue
        if "day_index" in t.columns and parse_whole(t.col("day_index")[k]) != day.index:
            rep.error("horizon", f"day_index {t.col('day_index')[k]!r} does not match {date} (day {day.index})", **at)
        if not day.working:
            rep.error("horizon", f"a contact on a holiday ({date})", **at)
            continue
        mgr = managers.get(mid)
        if mgr is None or starts[k] is None or ends[k] is None:
            continue
        wd = mgr.day(day.index)
        if not wd.working:
            rep.error("leave" if wd.leave else "duties", f"{mid} is {'on leave' if wd.leave else 'at duties all day'} "
                      f"on {date}", **at)
            continue
        a, b = starts[k], ends[k]
        want = int(svc[i]) if rule.contact_s is None else rule.contact_s
        if b - a != want:
            rep.error("contacts", f"the contact lasts {b - a} s, class {rule.name} contacts take {want} s", **at)
        if a < wd.start_s or b > wd.end_s:
            rep.error("contacts", f"contact {hhmm(a)}-{hhmm(b)} is outside the day's shift "
                      f"{hhmm(wd.start_s)}-{hhmm(wd.end_s)}", **at)
        for x, y, what in wd.blocked:
            if a < y and x < b:
                rep.error("duties", f"contact {hhmm(a)}-{hhmm(b)} overlaps {what} {hhmm(x)}-{hhmm(y)}", **at)
        for brk in wd.breaks:
            x, y = brk.earliest_s, brk.latest_s + brk.duration_s
            if a < y and x < b:
                rep.error("contacts", f"contact {hhmm(a)}-{hhmm(b)} is inside the break window {hhmm(x)}-{hhmm(y)}",
                          **at)
        route = route_of.get((mid, day.index))
        if route is not None and a < route[1] and route[0] < b:
            rep.error("contacts", f"contact {hhmm(a)}-{hhmm(b)} overlaps the day's route "
                      f"{hhmm(route[0])}-{hhmm(route[1])}", **at)
        for x, y, other in taken[(mid, day.index)]:
            if a < y and x < b:
                rep.error("contacts", f"contact {hhmm(a)}-{hhmm(b)} overlaps the contact of row {other}", **at)
        taken[(mid, day.index)].append((a, b, row))
    return dict(made)

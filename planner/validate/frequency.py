"""Visit frequency: planned + listed unplanned visits = required visits, on regular days.

Checks per input retailer (class rules from :mod:`planner.validate.calendar`):

* ``frequency``: a remote class has no visits; otherwise no more visits than required, and the
  visits in ``visits.csv`` plus the rows of ``unplanned.csv`` equal the required visits; the same
  for specialist visits (``kind`` specialist) and for contacts (``contacts.csv`` rows plus
  ``unplanned.csv`` rows of ``kind`` contact);
* ``specialist``: a retailer's specialist visits are made by one specialist, on regular days;
  a specialist named in ``unplanned.csv`` is of the retailer's team and has the skill;
* ``pattern``: the visit days are a subset of one allowed pattern of the class;
* ``unplanned``: each row of ``unplanned.csv`` names a known retailer, its class, its manager
  (the owner in ``assignments.csv``), a known reason, and a day of the horizon (or none).
"""

from __future__ import annotations

from collections import defaultdict

from planner.validate.calendar import allowed_patterns, class_patterns, is_regular
from planner.validate.findings import ValidationReport
from planner.validate.inputs import Inputs
from planner.validate.planfiles import PlanFiles, parse_whole
from planner.validate.routes import Visit

try:  # the engine's list of reasons, once it is public there
    from solvers.common import UNPLANNED_REASONS as REASONS
except ImportError:  # until then the validator's own copy of the documented list (README, unplanned.csv)
    REASONS = ("shift_capacity", "opening_hours", "unreachable", "low_value", "vehicle_capacity")

UNPLANNED = "unplanned.csv"
KINDS = ("regular", "specialist", "contact")
"""Kinds of ``unplanned.csv`` rows: a regular visit, a specialist visit, a contact."""


def check_unplanned(files: PlanFiles, inp: Inputs, owner: dict[str, str], rep: ValidationReport,
                    managers: dict | None = None) -> dict[tuple[str, str], int]:
    """Check ``unplanned.csv``; return the number of listed visits per (retailer, kind)."""
    t = files.unplanned
    r = inp.ds.retailers
    cls_of = dict(zip(r["retailer_id"].astype(str), r["class"].astype(str), strict=True))
    listed: dict[tuple[str, str], int] = defaultdict(int)
    managers = managers or {}
    for k, row in enumerate(t.rows):
        rid, mid, cls = t.col("retailer_id")[k], t.col("manager_id")[k], t.col("class")[k]
        reason, day_text, date = t.col("reason")[k], t.col("day_index")[k], t.col("date")[k]
        kind = files.kind(t, k)
        at = {"file": UNPLANNED, "row": row, "retailer_id": rid, "manager_id": mid or None}
        rep.unmet.append({"retailer_id": rid, "manager_id": mid, "day_index": day_text, "reason": reason,
                          "message": t.col("message")[k], "kind": kind})
        if reason not in REASONS:
            rep.error("unplanned", f"unknown reason {reason!r} (known: {', '.join(REASONS)})", **at)
        if kind not in KINDS:
            rep.error("unplanned", f"unknown kind {kind!r} (known: {', '.join(KINDS)})", **at)
        if rid not in cls_of:
            rep.error("unplanned", f"retailer {rid} is not in the input data", **at)
            continue
        listed[(rid, kind)] += 1
        if cls != cls_of[rid]:
            rep.error("unplanned", f"class {cls!r} but the retailer's class is {cls_of[rid]!r}", **at)
        if kind == "specialist":
            spec = managers.get(mid)
            own = managers.get(owner.get(rid, ""))
            rule = inp.classes[cls_of[rid]]
            if mid and (spec is None or spec.role != "specialist" or rule.skill not in spec.skills
                        or own is None or own.team != spec.team):
                rep.error("specialist", f"{mid!r} is not a specialist of the retailer's team with skill "
                          f"{rule.skill!r}", **at)
        elif owner.get(rid) is not None and mid != owner[rid]:
            rep.error("unplanned", f"manager {mid!r} but the retailer belongs to {owner[rid]}", **at)
        if day_text or date:
            d = parse_whole(day_text)
            if d is None or not 0 <= d < len(inp.days):
                rep.error("unplanned", f"day_index {day_text!r} is not a day of the horizon", **at)
            elif date != inp.days[d].date.isoformat():
                rep.error("horizon", f"date {date!r} does not match day index {d} ({inp.days[d].date})", **at)
        rep.count("unplanned")
    return listed


def check_frequency(inp: Inputs, visits: list[Visit], listed: dict[tuple[str, str], int], rep: ValidationReport,
                    contacts: dict[str, int] | None = None) -> None:
    """Planned + listed = required, and regular visit days, for every input retailer: regular
    visits, specialist visits and (``contacts``: planned per retailer; ``None`` for plans made
    before contacts were scheduled) contacts."""
    sc = inp.loaded.scenario
    weeks, W = sc.calendar.weeks, len(sc.calendar.working_days)
    r = inp.ds.retailers
    rfile = r.attrs.get("file", "retailers")
    planned: dict[str, list[Visit]] = defaultdict(list)
    special: dict[str, list[Visit]] = defaultdict(list)
    for v in visits:
        (special if v.kind == "specialist" else planned)[v.retailer_id].append(v)
    check_team_service(inp, special, listed, contacts, rep)
    listed = {rid: n for (rid, kind), n in listed.items() if kind == "regular"}
    patterns = {c: class_patterns(visits=rule.required, weeks=weeks, days_per_week=W, custom=rule.custom_patterns)
                for c, rule in inp.classes.items()}
    for rid, cls, in_row in zip(r["retailer_id"].astype(str), r["class"].astype(str), r["row"], strict=True):
        rule = inp.classes[cls]
        got = sorted(planned.get(rid, []), key=lambda v: (v.day_index, v.row))
        n_listed = listed.get(rid, 0)
        row = got[0].row if got else None
        at = {"file": "visits.csv", "row": row, "retailer_id": rid}
        rep.count("frequency")
        if not rule.routed:
            if got:
                rep.error("frequency", f"class {cls} is contacted remotely but has {len(got)} visits", **at)
            if n_listed:
                rep.error("frequency", f"class {cls} is contacted remotely but has {n_listed} unplanned visits "
                          "(its contacts are kind contact)", file=UNPLANNED, retailer_id=rid)
            continue
        need = rule.required
        if len(got) > need:
            rep.error("frequency", f"{len(got)} visits planned, class {cls} requires {need}", **at)
        elif len(got) + n_listed != need:
            rep.error("frequency", f"{len(got)} visits planned and {n_listed} listed in unplanned.csv, but class "
                      f"{cls} requires {need} ({rfile} row {in_row})", **at)
        if got:
            check_pattern(got, patterns[cls], cls, rep)


def check_pattern(got: list[Visit], allowed, cls: str, rep: ValidationReport) -> None:
    """``pattern`` error at the first visit whose day leaves every allowed pattern."""
    days = [v.day_index for v in got]
    if is_regular(days, allowed):
        return
    k = 1
    while k < len(days) and is_regular(days[: k + 1], allowed):
        k += 1
    bad = got[min(k, len(got) - 1)] if is_regular(days[:1], allowed) else got[0]
    shown = "; ".join(str(list(p)) for p in allowed[:4]) + (" ..." if len(allowed) > 4 else "")
    rep.error("pattern", f"visit days {days} are not part of an allowed pattern of class {cls} "
              f"(allowed: {shown or 'none'})", file="visits.csv", row=bad.row, retailer_id=bad.retailer_id,
              manager_id=bad.manager_id, day_index=bad.day_index)


def check_team_service(inp: Inputs, special: dict[str, list[Visit]], listed: dict[tuple[str, str], int],
                       contacts: dict[str, int] | None, rep: ValidationReport) -> None:
    """Specialist visits (planned + listed = required, regular days, one specialist per retailer)
    and contacts (planned + listed = required) of every input retailer."""
    sc = inp.loaded.scenario
    weeks, W = sc.calendar.weeks, len(sc.calendar.working_days)
    r = inp.ds.retailers
    for rid, cls in zip(r["retailer_id"].astype(str), r["class"].astype(str), strict=True):
        rule = inp.classes[cls]
        got = sorted(special.get(rid, []), key=lambda v: (v.day_index, v.row))
        n_listed = listed.get((rid, "specialist"), 0)
        at = {"file": "visits.csv", "row": got[0].row if got else None, "retailer_id": rid}
        if len(got) > rule.specialist or len(got) + n_listed != rule.specialist:
            rep.error("frequency", f"{len(got)} specialist visits planned and {n_listed} listed in unplanned.csv, "
                      f"but class {cls} requires {rule.specialist}", **at)
        if got:
            who = sorted({v.manager_id for v in got})
            if len(who) > 1:
                rep.error("specialist", f"specialist visits by {', '.join(who)}: a retailer has one specialist", **at)
            check_pattern(got, allowed_patterns(rule.specialist, weeks, W), cls, rep)
        n_contact = listed.get((rid, "contact"), 0)
        if contacts is None:
            continue
        made = contacts.get(rid, 0)
        if made > rule.contacts or made + n_contact != rule.contacts:
            rep.error("frequency", f"{made} contacts planned and {n_contact} listed in unplanned.csv, but class {cls} "
                      f"requires {rule.contacts}", file="contacts.csv", retailer_id=rid)

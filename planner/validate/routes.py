"""Day routes: ``visits.csv`` and ``routes.geojson`` re-timed with the travel model and the inputs.

For each manager and day (the visits of that manager and day index, in ``sequence`` order):

* ``routes``: the day is in the horizon and not a holiday, its date matches the day index,
  sequences are ``1..n``, the manager is in ``managers.csv``, every retailer is the manager's own
  (``assignments.csv``) and visited at most once that day (by anyone), at most the manager's
  ``max_visits_per_day`` visits; exactly one route feature with these visits, starting and ending
  at the manager's base, and no route feature without visits;
* ``timing``: ``travel_s`` of each visit equals the travel model's time from the previous stop
  (the base for the first), ``service_s`` the retailer's service time; with ``begin = departure
  - service``: ``arrival >= previous departure + travel`` (a break may delay it),
  ``begin >= arrival``; the route starts (leaves the base) and ends (is back at the base) inside
  the manager's shift, no earlier than the visits allow, and its totals (visits, travel, service,
  waiting, return trip) agree with the visits;
* ``opening_hours``: ``[begin, departure]`` lies inside one opening window of the day's weekday;
* ``breaks``: every due break fits into the route's idle time: at a stop before travelling on
  (``previous departure .. arrival - travel``), on arrival (``arrival .. begin``), at the base
  before leaving, and before the trip back (see :func:`planner.validate.calendar.fit_breaks`);
  the day's breaks after duties (:mod:`planner.validate.availability`);
* ``leave`` / ``duties``: no route on a day of the person's leave or a day duties take entirely;
  visits inside the day's shift after duties, none overlapping a blocked interval, and the route
  idle during each blocked interval it spans (a blocked interval is a break of fixed time);
* ``specialist``: a visit of ``kind`` specialist is made by a specialist (role) of the retailer's
  team (its territory owner's) with the skill its class asks for, and takes the class's
  specialist service time; a regular visit by the retailer's manager. A retailer may get a
  regular and a specialist visit on the same day (the day rule is soft), never two of a kind.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from planner.validate.calendar import BreakWindow, fit_breaks
from planner.validate.findings import ValidationReport
from planner.validate.inputs import Inputs
from planner.validate.planfiles import PlanFiles, clock_times, hhmm, whole_numbers
from planner.validate.structure import Manager
from solvers.common import UNREACHABLE

VISITS = "visits.csv"
ROUTES = "routes.geojson"
BASE_TOLERANCE_DEG = 1e-5


@dataclass(frozen=True, slots=True, kw_only=True)
class Visit:
    """One row of ``visits.csv`` with its numbers parsed."""

    row: int
    manager_id: str
    day_index: int
    date: str
    sequence: int
    retailer_id: str
    arrival_s: int
    departure_s: int
    travel_s: int
    service_s: int
    kind: str = "regular"  # regular (the territory's manager) or specialist


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteFacts:
    """A day route as the validator recomputes it (for the KPIs)."""

    manager_id: str
    day_index: int
    n_visits: int
    travel_s: int  # recomputed legs, return trip included
    service_s: int  # the retailers' service times
    wait_s: int  # sum of begin - arrival
    start_s: int
    end_s: int


def read_visits(files: PlanFiles, rep: ValidationReport) -> list[Visit]:
    """The rows of ``visits.csv`` whose numbers and times parse (the others are ``format`` errors)."""
    t = files.visits
    cols = {c: whole_numbers(t, c, rep) for c in ("day_index", "sequence", "travel_s", "service_s")}
    arr, dep = clock_times(t, "arrival", rep), clock_times(t, "departure", rep)
    out = []
    for k, row in enumerate(t.rows):
        nums = [cols[c][k] for c in cols] + [arr[k], dep[k]]
        if any(x is None for x in nums):
            continue
        out.append(Visit(row=row, manager_id=t.col("manager_id")[k], day_index=cols["day_index"][k],
                         date=t.col("date")[k], sequence=cols["sequence"][k], retailer_id=t.col("retailer_id")[k],
                         arrival_s=arr[k], departure_s=dep[k], travel_s=cols["travel_s"][k],
                         service_s=cols["service_s"][k], kind=files.kind(t, k)))
    rep.count("visits", len(out))
    return out


def route_features(files: PlanFiles, rep: ValidationReport) -> dict[tuple[str, int], tuple[int, dict, list]]:
    """``(manager, day) -> (feature number, properties, coordinates)`` of ``routes.geojson``."""
    out: dict[tuple[str, int], tuple[int, dict, list]] = {}
    for k, f in enumerate(files.routes, start=1):
        p = f.get("properties") or {} if isinstance(f, dict) else {}
        coords = ((f.get("geometry") or {}).get("coordinates") or []) if isinstance(f, dict) else []
        try:
            key = (str(p["manager_id"]), int(p["day_index"]))
            for name in ("start_s", "end_s", "n_visits", "travel_s", "service_s", "wait_s", "return_travel_s"):
                int(p[name])
        except (KeyError, TypeError, ValueError) as e:
            rep.error("format", f"route feature lacks a whole-number property ({e})", file=ROUTES, row=k)
            continue
        if key in out:
            rep.error("routes", "a second route for the same manager and day", file=ROUTES, row=k,
                      manager_id=key[0], day_index=key[1])
            continue
        out[key] = (k, p, coords)
    return out


def check_routes(files: PlanFiles, inp: Inputs, managers: dict[str, Manager], owner: dict[str, str],
                 rep: ValidationReport) -> tuple[list[Visit], list[RouteFacts]]:
    """Run every route check of the module docstring; return the visits and recomputed routes."""
    visits = read_visits(files, rep)
    features = route_features(files, rep)
    groups: dict[tuple[str, int], list[Visit]] = defaultdict(list)
    for v in visits:
        groups[(v.manager_id, v.day_index)].append(v)
    seen: dict[tuple[str, int], int] = {}
    facts = []
    for key in sorted(groups):
        g = sorted(groups[key], key=lambda v: (v.sequence, v.row))
        fact = check_one_route(g, features.get(key), inp, managers, owner, seen, rep)
        if fact is not None:
            facts.append(fact)
            rep.count("routes")
    for key in sorted(set(features) - set(groups)):
        rep.error("routes", "route has no visits in visits.csv", file=ROUTES, row=features[key][0],
                  manager_id=key[0], day_index=key[1])
    return visits, facts


def check_one_route(g: list[Visit], feature, inp: Inputs, managers: dict[str, Manager], owner: dict[str, str],
                    seen: dict[tuple[str, int], int], rep: ValidationReport) -> RouteFacts | None:
    """Check one manager-day route (see module docstring); ``None`` if it cannot be re-timed."""
    m, d = g[0].manager_id, g[0].day_index
    first = g[0].row
    where = {"manager_id": m, "day_index": d}
    days = inp.days
    if not 0 <= d < len(days):
        rep.error("horizon", f"day index {d} is outside the horizon (0..{len(days) - 1})", file=VISITS, row=first, **where)
        return None
    day = days[d]
    if not day.working:
        rep.error("horizon", f"visits on a holiday ({day.date})", file=VISITS, row=first, **where)
    kinds = sorted({v.kind for v in g})
    if len(kinds) > 1 or kinds[0] not in ("regular", "specialist"):
        rep.error("routes", f"visit kinds {kinds} on one route (regular or specialist, one per route)", file=VISITS,
                  row=first, **where)
    for v in g:
        if v.date != day.date.isoformat():
            rep.error("horizon", f"date {v.date} does not match day index {d} ({day.date})", file=VISITS, row=v.row,
                      retailer_id=v.retailer_id, **where)
    if [v.sequence for v in g] != list(range(1, len(g) + 1)):
        rep.error("routes", f"sequence numbers {[v.sequence for v in g][:12]} are not 1..{len(g)}", file=VISITS,
                  row=first, **where)
    mgr = managers.get(m)
    if mgr is None:
        rep.error("routes", f"manager {m} is not in managers.csv", file=VISITS, row=first, **where)
        return None
    index = inp_index(inp)
    ok = True
    if day.working and not mgr.day(d).working:
        off = mgr.day(d)
        rep.error("leave" if off.leave else "duties", f"{m} is {'on leave' if off.leave else 'at duties all day'} "
                  f"on {day.date}", file=VISITS, row=first, **where)
    for v in g:
        if v.retailer_id not in index:
            rep.error("routes", f"retailer {v.retailer_id} is not in the input data", file=VISITS, row=v.row, **where)
            ok = False
            continue
        if v.kind == "specialist":
            check_specialist(v, inp, managers, owner, rep, **where)
        elif mgr.role != "manager":
            rep.error("routes", f"{m} is a {mgr.role}: a regular visit is made by the retailer's manager", file=VISITS,
                      row=v.row, retailer_id=v.retailer_id, **where)
        elif owner.get(v.retailer_id) != m:
            rep.error("routes", f"retailer {v.retailer_id} belongs to {owner.get(v.retailer_id, 'no territory')}, "
                      f"not to {m}", file=VISITS, row=v.row, retailer_id=v.retailer_id, **where)
        key = (v.retailer_id, d, v.kind)  # a specialist may come the day of the regular visit (where unavoidable)
        if key in seen:
            rep.error("routes", f"retailer {v.retailer_id} is visited twice on day {d} (also visits.csv row "
                      f"{seen[key]})", file=VISITS, row=v.row, retailer_id=v.retailer_id, **where)
        else:
            seen[key] = v.row
    if mgr.max_visits is not None and len(g) > mgr.max_visits:
        rep.error("routes", f"{len(g)} visits exceed the limit of {mgr.max_visits} a day", file=VISITS, row=first,
                  **where)
    if feature is None:
        rep.error("routes", f"no route in {ROUTES} for these visits", file=VISITS, row=first, **where)
    if not ok or mgr.base_loc is None:
        return None
    return retime(g, feature, day.weekday, inp, mgr, rep)


def check_specialist(v: Visit, inp: Inputs, managers: dict[str, Manager], owner: dict[str, str],
                     rep: ValidationReport, **where) -> None:
    """A specialist visit: by a specialist of the retailer's team (its territory owner's) who has the
    skill the retailer's class asks for; the class asks for specialist visits at all."""
    at = {"file": VISITS, "row": v.row, "retailer_id": v.retailer_id, **where}
    mgr = managers[v.manager_id]
    rule = inp.classes[str(inp.ds.retailers["class"].iat[inp_index(inp)[v.retailer_id]])]
    own = managers.get(owner.get(v.retailer_id, ""))
    if mgr.role != "specialist":
        rep.error("specialist", f"{v.manager_id} is not a specialist (role {mgr.role})", **at)
    if not rule.specialist:
        rep.error("specialist", f"class {rule.name} asks for no specialist visits", **at)
    elif rule.skill not in mgr.skills:
        rep.error("specialist", f"{v.manager_id} lacks the skill {rule.skill!r} class {rule.name} asks for "
                  f"(skills: {', '.join(sorted(mgr.skills)) or 'none'})", **at)
    if own is None or own.team != mgr.team:
        rep.error("specialist", f"{v.manager_id} (team {mgr.team}) is not of the retailer's team "
                  f"({own.team if own else 'no territory'})", **at)


def specialist_service(inp: Inputs) -> np.ndarray:
    """Seconds of a specialist visit per retailer (input order): its class's specialist service."""
    cached = inp.cache.get("specialist_service")
    if cached is None:
        cached = np.array([inp.classes[c].specialist_s for c in inp.ds.retailers["class"].astype(str)], dtype=np.int64)
        inp.cache["specialist_service"] = cached
    return cached


def inp_index(inp: Inputs) -> dict[str, int]:
    """Retailer id -> input position (computed once per inputs)."""
    cached = inp.cache.get("index")
    if cached is None:
        cached = {x: i for i, x in enumerate(inp.ds.retailers["retailer_id"].astype(str))}
        inp.cache["index"] = cached
    return cached


def retailer_columns(inp: Inputs) -> tuple[np.ndarray, np.ndarray]:
    """Service seconds and parsed opening hours per retailer (input order), read once per inputs."""
    cached = inp.cache.get("service_hours")
    if cached is None:
        r = inp.ds.retailers
        cached = (r["service_s"].to_numpy(), r["hours"].to_numpy())
        inp.cache["service_hours"] = cached
    return cached


def retime(g: list[Visit], feature, weekday: int, inp: Inputs, mgr: Manager, rep: ValidationReport) -> RouteFacts:
    """Timing, opening-hours and break checks of one route; its recomputed totals."""
    m, d = mgr.manager_id, g[0].day_index
    where = {"manager_id": m, "day_index": d}
    index = inp_index(inp)
    idx = [index[v.retailer_id] for v in g]
    locs = np.array([mgr.base_loc, *idx, mgr.base_loc], dtype=np.int64)
    tm = inp.travel.oracle.matrix(locs)
    legs = [int(tm[k, k + 1]) for k in range(len(locs) - 1)]
    svc, hours = retailer_columns(inp)
    if g[0].kind == "specialist":
        svc = specialist_service(inp)
    wd = mgr.day(d)
    shift0, shift1 = (wd.start_s, wd.end_s) if wd.working else mgr.shift_s
    props = feature[1] if feature is not None else None
    first_leg = legs[0] if legs[0] < UNREACHABLE else g[0].travel_s
    start_s = int(props["start_s"]) if props else g[0].arrival_s - first_leg
    prev_dep = start_s
    gaps: list[tuple[int, int]] = []
    travel = wait = service = 0
    for k, v in enumerate(g):
        i = idx[k]
        at = {"file": VISITS, "row": v.row, "retailer_id": v.retailer_id, **where}
        leg = legs[k]
        if leg >= UNREACHABLE:
            rep.error("timing", f"retailer {v.retailer_id} cannot be reached in the travel model", **at)
            leg = v.travel_s
        elif v.travel_s != leg:
            rep.error("timing", f"travel_s {v.travel_s} differs from the travel model ({leg} s)", **at)
        if v.service_s != int(svc[i]):
            rep.error("timing", f"service_s {v.service_s} differs from the retailer's service time {int(svc[i])} s",
                      **at)
        begin = v.departure_s - int(svc[i])
        if v.arrival_s < prev_dep + leg:
            rep.error("timing", f"arrival {hhmm(v.arrival_s)} is earlier than the previous departure "
                      f"{hhmm(prev_dep)} + {leg} s of travel", **at)
        if begin < v.arrival_s:
            rep.error("timing", f"the visit would begin at {hhmm(begin)} (departure - service), before the arrival "
                      f"{hhmm(v.arrival_s)}", **at)
        if begin < shift0:
            rep.error("timing" if begin < mgr.shift_s[0] else "duties",
                      f"visit {hhmm(begin)} starts before the shift {hhmm(shift0)}", **at)
        if v.departure_s > shift1:
            rep.error("timing" if v.departure_s > mgr.shift_s[1] else "duties",
                      f"visit ends {hhmm(v.departure_s)}, after the shift end {hhmm(shift1)}", **at)
        for a, b, what in wd.blocked:
            if begin < b and a < v.departure_s:
                rep.error("duties", f"visit {hhmm(begin)}-{hhmm(v.departure_s)} overlaps {what} "
                          f"{hhmm(a)}-{hhmm(b)}", **at)
        week = hours[i]
        if week is not None and not any(a <= begin and v.departure_s <= b for a, b in week[weekday]):
            shown = ", ".join(f"{hhmm(a)}-{hhmm(b)}" for a, b in week[weekday]) or "closed"
            rep.error("opening_hours", f"visit {hhmm(begin)}-{hhmm(v.departure_s)} is outside the opening hours "
                      f"of that day ({shown})", **at)
        gaps.append((prev_dep, v.arrival_s - leg))
        gaps.append((v.arrival_s, begin))
        travel += leg
        wait += max(begin - v.arrival_s, 0)
        service += int(svc[i])
        prev_dep = v.departure_s
    back = legs[-1] if legs[-1] < UNREACHABLE else 0
    travel += back
    end_s = int(props["end_s"]) if props else prev_dep + back
    gaps.append((prev_dep, end_s - back))
    if props is not None:
        check_feature(feature, g, mgr, start_s=start_s, end_s=end_s, prev_dep=prev_dep,
                      totals=(travel, service, wait, back), rep=rep)
    fixed = [BreakWindow(earliest_s=a, latest_s=a, duration_s=b - a) for a, b, _ in wd.blocked]
    due = sorted([*(wd.breaks if wd.working else inp.breaks), *fixed],
                 key=lambda b: (b.earliest_s, b.latest_s, b.duration_s))
    for b in fit_breaks(gaps, due, end_s):
        row = feature[0] if feature is not None else g[0].row
        if b in fixed:
            rep.error("duties", f"the route ({hhmm(start_s)}-{hhmm(end_s)}) is not idle during the duty "
                      f"{hhmm(b.earliest_s)}-{hhmm(b.earliest_s + b.duration_s)}",
                      file=ROUTES if feature is not None else VISITS, row=row, **where)
            continue
        rep.error("breaks", f"no idle time for the {b.duration_s // 60}-min break starting {hhmm(b.earliest_s)}-"
                  f"{hhmm(b.latest_s)} (route {hhmm(start_s)}-{hhmm(end_s)})",
                  file=ROUTES if feature is not None else VISITS, row=row, **where)
    rep.count("breaks")
    return RouteFacts(manager_id=m, day_index=d, n_visits=len(g), travel_s=travel, service_s=service, wait_s=wait,
                      start_s=start_s, end_s=end_s)


def check_feature(feature, g: list[Visit], mgr: Manager, *, start_s: int, end_s: int, prev_dep: int,
                  totals: tuple[int, int, int, int], rep: ValidationReport) -> None:
    """The route feature against the visits: base, shift, start and end, totals."""
    num, props, coords = feature
    where = {"file": ROUTES, "row": num, "manager_id": mgr.manager_id, "day_index": g[0].day_index}
    wd = mgr.day(g[0].day_index)
    shift0, shift1 = (wd.start_s, wd.end_s) if wd.working else mgr.shift_s
    ends = [coords[0], coords[-1]] if len(coords) >= 2 else []
    if len(ends) != 2 or any(abs(float(c[0]) - mgr.lon) > BASE_TOLERANCE_DEG or abs(float(c[1]) - mgr.lat)
                             > BASE_TOLERANCE_DEG for c in ends):
        rep.error("routes", "route does not start and end at the manager's base", **where)
    if start_s < shift0:
        rep.error("timing", f"route starts {hhmm(start_s)}, before the shift {hhmm(shift0)}", **where)
    if end_s > shift1:
        rep.error("timing", f"route ends {hhmm(end_s)}, after the shift end {hhmm(shift1)}", **where)
    if end_s < prev_dep + totals[3]:
        rep.error("timing", f"route ends {hhmm(end_s)}, before the manager can be back at the base "
                  f"({hhmm(prev_dep)} + {totals[3]} s)", **where)
    travel, service, wait, back = totals
    claimed = {"n_visits": len(g), "travel_s": travel, "service_s": service, "wait_s": wait, "return_travel_s": back}
    for name, want in claimed.items():
        if int(props[name]) != want:
            rep.error("timing", f"{name} {props[name]} but the visits give {want}", **where)
    if props.get("date") is not None and props.get("date") != g[0].date:
        rep.error("horizon", f"date {props.get('date')} differs from the visits' date {g[0].date}", **where)

"""The simplest correct visit calendar: greedy day assignment and nearest-neighbour routes.

This is the reference method the optimising schedule solver (:func:`solvers.schedule.solve`) is
compared with, and the fallback used when a scenario asks for ``schedule.method: greedy``. Its
entry point has the shape of every engine solver, :func:`solve`; it is deterministic, so the
stopping rule and the seed are accepted but not used.

Method
------
1. Customers are taken by decreasing visit value (then decreasing frequency, then index). Each
   takes the allowed pattern whose days have the smallest estimated load, where a day's load is
   the service time plus an access-time estimate of the visits already placed on it (ties go to
   the pattern whose days are geographically closest to the customer's already-placed
   neighbours). In team mode each visit goes to the least-loaded vehicle working that day.
2. Each vehicle-day is routed by nearest neighbour (in time) from the depot, always choosing the
   next customer that can still be served inside its window and leave time to return to the
   depot before the shift ends; breaks are inserted by :func:`_time_route` (at the first point
   where they are due, before leaving a stop; a fixed break, a blocked interval, before a visit
   that would still go on at its start). Each day has the vehicle's shift and breaks of that day
   (:meth:`~solvers.schedule.problem.Vehicle.shift_on`, ``breaks_on``).
3. Visits that cannot be placed are reported with a reason: ``unreachable`` (no finite travel
   from/to the depot), ``opening_hours`` (the window cannot be met even by a route with only this
   visit), ``shift_capacity`` (otherwise), ``vehicle_capacity``.
"""

from __future__ import annotations

import numpy as np

from solvers.common import UNREACHABLE, Status, Stop, UnplannedReason
from solvers.schedule.params import ScheduleParams
from solvers.schedule.problem import (
    Route,
    ScheduleProblem,
    ScheduleResult,
    ScheduleStats,
    Unplanned,
    Vehicle,
    Visit,
)


def _time_route(problem: ScheduleProblem, vehicle: Vehicle, day: int, seq: list[int]) -> Route | None:
    """Exact timing of visiting ``seq`` in order; ``None`` if infeasible.

    The vehicle leaves the depot as late as possible without delaying the first service (never
    before the shift starts); it waits at a customer until the window opens; a break is taken,
    at the first point where it is due, before leaving a stop (or the depot), starting at
    ``max(now, earliest)`` and no later than ``latest``. A route that returns before a break's
    earliest start skips it.
    """
    s0 = vehicle.shift_on(day)[0]
    if not seq:
        return Route(vehicle=-1, day=day, start_s=s0, end_s=s0, stops=())
    t0 = int(problem.travel_s[vehicle.depot, seq[0]])
    if t0 >= UNREACHABLE:
        return None
    late = max(s0, int(problem.windows[seq[0], day, 0]) - t0)
    route = _time_from(problem, vehicle, day, seq, late)
    if route is None and late > s0:
        # leaving late can miss a break window: leave at the shift start and wait instead
        route = _time_from(problem, vehicle, day, seq, s0)
    return route


def _time_from(problem: ScheduleProblem, vehicle: Vehicle, day: int, seq: list[int], start: int) -> Route | None:
    T = problem.travel_s
    depot = vehicle.depot
    breaks = sorted(vehicle.breaks_on(day), key=lambda b: b.earliest_s)
    now = start
    prev = depot
    stops: list[Visit] = []
    taken: list[tuple[int, int]] = []
    pending = list(breaks)
    load = 0
    for c in seq:
        tt = int(T[prev, c])
        if tt >= UNREACHABLE:
            return None
        o, cl = int(problem.windows[c, day, 0]), int(problem.windows[c, day, 1])
        if o > cl:
            return None
        # break due before this leg? (a fixed break, a blocked interval, also when the visit
        # would still go on at its start)
        svc = int(problem.service_s[c])
        while pending and (max(now + tt, o) > pending[0].earliest_s
                           or (pending[0].latest_s == pending[0].earliest_s
                               and max(now + tt, o) + svc > pending[0].earliest_s)):
            b = pending.pop(0)
            bs = max(now, b.earliest_s)
            if bs > b.latest_s:
                return None
            taken.append((bs, b.duration_s))
            now = bs + b.duration_s
        arrival = now + tt
        begin = max(arrival, o)
        if begin > cl:
            return None
        dep = begin + svc
        stops.append(Visit(customer=c, arrival_s=arrival, start_s=begin, departure_s=dep, travel_s=tt))
        now = dep
        prev = c
        if problem.demand is not None:
            load += int(problem.demand[c])
    back = int(T[prev, depot])
    if back >= UNREACHABLE:
        return None
    while pending and now + back > pending[0].earliest_s:
        b = pending.pop(0)
        bs = max(now, b.earliest_s)
        if bs > b.latest_s:
            return None
        taken.append((bs, b.duration_s))
        now = bs + b.duration_s
    end = now + back
    if end > vehicle.shift_on(day)[1]:
        return None
    if vehicle.max_visits is not None and len(seq) > vehicle.max_visits:
        return None
    if vehicle.capacity is not None and load > vehicle.capacity:
        return None
    if vehicle.max_duration_s is not None and end - start > vehicle.max_duration_s:
        return None
    return Route(vehicle=-1, day=day, start_s=start, end_s=end, stops=tuple(stops),
                 breaks=tuple(taken), return_travel_s=back)


def _with_vehicle(r: Route, v: int) -> Route:
    return Route(vehicle=v, day=r.day, start_s=r.start_s, end_s=r.end_s, stops=r.stops,
                 breaks=r.breaks, return_travel_s=r.return_travel_s)


def _alone_reason(problem: ScheduleProblem, vehicle: Vehicle, day: int, c: int) -> UnplannedReason:
    T = problem.travel_s
    if T[vehicle.depot, c] >= UNREACHABLE or T[c, vehicle.depot] >= UNREACHABLE:
        return "unreachable"
    if problem.demand is not None and vehicle.capacity is not None and problem.demand[c] > vehicle.capacity:
        return "vehicle_capacity"
    if _time_route(problem, vehicle, day, [c]) is None:
        return "opening_hours"
    return "shift_capacity"


def solve(
    problem: ScheduleProblem, *, stop: Stop, seed: int, params: ScheduleParams | None = None
) -> ScheduleResult:
    """Greedy pattern assignment + nearest-neighbour routes (see module docstring).

    Parameters
    ----------
    problem:
        The calendar instance.
    stop, seed, params:
        Accepted for the common solver shape and not used: the method is deterministic and has
        no tuning values.
    """
    n, T = problem.n_customers, problem.n_days
    tt = problem.travel_s
    vehicles = problem.vehicles
    # access-time estimate per visit: mean travel to the 3 nearest other customers
    if n > 1:
        sub = tt[:n, :n].astype(float)
        sub = np.where(sub >= UNREACHABLE, np.nan, sub)
        np.fill_diagonal(sub, np.nan)
        k = min(3, n - 1)
        with np.errstate(all="ignore"):
            part = np.sort(np.nan_to_num(sub, nan=np.inf), axis=1)[:, :k]
            access = np.where(np.isfinite(part), part, 0).mean(axis=1)
    else:
        access = np.zeros(n)
    cap = np.zeros((len(vehicles), T))
    for v, veh in enumerate(vehicles):
        for d in range(T):
            if veh.days[d]:
                s0, s1 = veh.shift_on(d)
                cap[v, d] = s1 - s0 - sum(b.duration_s for b in veh.breaks_on(d))
    load = np.zeros((len(vehicles), T))
    day_members: list[list[list[int]]] = [[[] for _ in range(T)] for _ in vehicles]
    order = sorted(range(n), key=lambda i: (-float(problem.value[i]), -int(problem.required[i]), i))
    chosen: list[tuple[int, ...] | None] = [None] * n
    unplanned: list[Unplanned] = []
    for i in order:
        pats = problem.patterns[i]
        if not pats or problem.required[i] == 0:
            continue
        work = float(problem.service_s[i] + access[i])
        best = None
        for p in pats:
            vs = []
            score = 0.0
            for d in p:
                avail = [v for v in range(len(vehicles)) if vehicles[v].days[d]]
                if not avail:
                    vs = None
                    break
                v = min(avail, key=lambda v: (load[v, d] / max(cap[v, d], 1.0), v))
                vs.append(v)
                score = max(score, (load[v, d] + work) / max(cap[v, d], 1.0))
            if vs is None:
                continue
            closed = sum(1 for d in p if problem.windows[i, d, 0] > problem.windows[i, d, 1])
            near = 0.0
            for d, v in zip(p, vs, strict=True):
                mem = day_members[v][d]
                if mem:
                    near += float(np.min(tt[i, mem]))
            key = (closed, round(score, 3), near, p)
            if best is None or key < best[0]:
                best = (key, p, vs)
        if best is None:
            unplanned.extend(Unplanned(customer=i, day=None, reason="shift_capacity",
                                       message="no manager works on any allowed pattern's days")
                             for _ in range(int(problem.required[i])))
            continue
        _, p, vs = best
        chosen[i] = p
        for d, v in zip(p, vs, strict=True):
            load[v, d] += work
            day_members[v][d].append(i)
    routes: list[Route] = []
    for v, veh in enumerate(vehicles):
        for d in range(T):
            members = sorted(day_members[v][d])
            if not members:
                continue
            seq: list[int] = []
            current = _time_route(problem, veh, d, [])
            left = set(members)
            pos = veh.depot
            while left:
                cands = sorted(left, key=lambda c: (int(tt[pos, c]), c))
                placed = False
                for c in cands:
                    r = _time_route(problem, veh, d, seq + [c])
                    if r is not None:
                        seq.append(c)
                        current = r
                        left.discard(c)
                        pos = c
                        placed = True
                        break
                if not placed:
                    break
            for c in sorted(left):
                reason = _alone_reason(problem, veh, d, c)
                msg = {"unreachable": "no road connection to the customer",
                       "opening_hours": "cannot arrive within opening hours and return within the shift",
                       "shift_capacity": "the day's route is full (shift length, breaks or visit limit)",
                       "vehicle_capacity": "demand exceeds vehicle capacity"}[reason]
                unplanned.append(Unplanned(customer=c, day=d, reason=reason, message=msg))
            if seq and current is not None:
                routes.append(_with_vehicle(current, v))
    travel = sum(r.travel_s for r in routes)
    missing_value = sum(float(problem.value[u.customer]) for u in unplanned)
    status = Status.FEASIBLE
    return ScheduleResult(status=status, objective=float(travel + problem.lam * missing_value), travel_s=int(travel),
                          routes=tuple(routes), pattern=tuple(chosen), unplanned=tuple(unplanned),
                          stats=ScheduleStats(method="greedy + nearest neighbour"))

"""Recompute a :class:`ScheduleResult` from the problem alone and list every violation.

This does not trust any solver internals: it re-derives travel from the matrix and checks the
timing rules of :mod:`solvers.schedule.timing`, shifts and breaks (each day's own, where a
vehicle has per-day availability: a fixed break is a blocked interval no visit or travel
overlaps), windows, loads, patterns and the
accounting of unplanned visits, and recomputes the objective.
"""

from __future__ import annotations

import numpy as np

from solvers.schedule.problem import ScheduleProblem, ScheduleResult


def verify(problem: ScheduleProblem, result: ScheduleResult, *, rtol: float = 1e-6) -> list[str]:
    """Return a list of human-readable violations (empty = consistent and feasible)."""
    p = problem
    tt = np.asarray(p.travel_s)
    err: list[str] = []
    n = p.n_customers
    visits: dict[int, list[int]] = {i: [] for i in range(n)}
    seen_vd: set[tuple[int, int]] = set()
    travel_total = 0
    cost_total = 0.0
    costm = tt if p.distance is None else np.asarray(p.distance)
    for r in result.routes:
        tag = f"vehicle {r.vehicle} day {r.day}"
        v = p.vehicles[r.vehicle]
        if (r.vehicle, r.day) in seen_vd:
            err.append(f"{tag}: two routes")
        seen_vd.add((r.vehicle, r.day))
        if not v.days[r.day]:
            err.append(f"{tag}: vehicle does not work that day")
        s0, s1 = v.shift_on(r.day)
        if r.start_s < s0 or r.end_s > s1:
            err.append(f"{tag}: outside shift [{s0}, {s1}]")
        if v.max_visits is not None and len(r.stops) > v.max_visits:
            err.append(f"{tag}: {len(r.stops)} visits > max {v.max_visits}")
        if v.capacity is not None and p.demand is not None:
            load = int(sum(int(p.demand[s.customer]) for s in r.stops))
            if load > v.capacity:
                err.append(f"{tag}: load {load} > {v.capacity}")
        if v.max_duration_s is not None and r.end_s - r.start_s > v.max_duration_s:
            err.append(f"{tag}: duration {r.end_s - r.start_s} > {v.max_duration_s}")
        brks = sorted(r.breaks)
        # each break must be a declared break, started in its window, at most once each
        decl = sorted(v.breaks_on(r.day), key=lambda b: (b.earliest_s, b.latest_s, b.duration_s))
        used = [False] * len(decl)
        for bs, bd in brks:
            for k, b in enumerate(decl):
                if not used[k] and b.duration_s == bd and b.earliest_s <= bs <= b.latest_s:
                    used[k] = True
                    break
            else:
                err.append(f"{tag}: break at {bs} (+{bd}) matches no declared break window")
        for k, b in enumerate(decl):
            if not used[k] and r.end_s > b.earliest_s:
                err.append(f"{tag}: break {b} not taken although the route ends at {r.end_s}")
        prev_loc, prev_dep = v.depot, r.start_s
        bi = 0
        for s in r.stops:
            c = s.customer
            tr = int(tt[prev_loc, c])
            if s.travel_s != tr:
                err.append(f"{tag}: customer {c} travel {s.travel_s} != matrix {tr}")
            # breaks in this gap
            gap_breaks = []
            while bi < len(brks) and brks[bi][0] < s.start_s:
                gap_breaks.append(brks[bi])
                bi += 1
            bsum = sum(b[1] for b in gap_breaks)
            for bs, bd in gap_breaks:
                if bs < prev_dep or bs + bd > s.start_s:
                    err.append(f"{tag}: break at {bs} overlaps a visit or travel before customer {c}")
                elif bs + bd > s.arrival_s - tr and bs < s.arrival_s:
                    err.append(f"{tag}: break at {bs} (+{bd}) overlaps the travel to customer {c}")
            if s.start_s < prev_dep + tr + bsum:
                err.append(f"{tag}: customer {c} starts {s.start_s} before departure+travel+breaks "
                           f"{prev_dep + tr + bsum}")
            if not gap_breaks and s.arrival_s != prev_dep + tr:
                err.append(f"{tag}: customer {c} arrival {s.arrival_s} != {prev_dep} + {tr}")
            if gap_breaks and not (prev_dep + tr <= s.arrival_s <= s.start_s):
                err.append(f"{tag}: customer {c} arrival {s.arrival_s} inconsistent")
            if s.start_s < s.arrival_s:
                err.append(f"{tag}: customer {c} starts before arrival")
            o, cl = int(p.windows[c, r.day, 0]), int(p.windows[c, r.day, 1])
            if not (o <= s.start_s <= cl):
                err.append(f"{tag}: customer {c} starts {s.start_s} outside window [{o}, {cl}]")
            if s.departure_s != s.start_s + int(p.service_s[c]):
                err.append(f"{tag}: customer {c} departure != start + service")
            visits[c].append(r.day)
            travel_total += tr
            cost_total += float(costm[prev_loc, c])
            prev_loc, prev_dep = c, s.departure_s
        tr = int(tt[prev_loc, v.depot])
        if r.return_travel_s != tr:
            err.append(f"{tag}: return travel {r.return_travel_s} != {tr}")
        last = brks[bi:]
        bsum = sum(b[1] for b in last)
        for bs, bd in last:
            if bs < prev_dep or bs + bd + tr > r.end_s:
                err.append(f"{tag}: final break at {bs} inconsistent")
        if r.end_s < prev_dep + tr + bsum:
            err.append(f"{tag}: end {r.end_s} before last departure + travel + breaks")
        travel_total += tr
        cost_total += float(costm[prev_loc, v.depot])
    if travel_total != result.travel_s:
        err.append(f"travel_s {result.travel_s} != recomputed {travel_total}")
    unpl: dict[int, list] = {i: [] for i in range(n)}
    for u in result.unplanned:
        unpl[u.customer].append(u)
    moved = 0
    lost = 0.0
    for i in range(n):
        days = sorted(visits[i])
        if len(set(days)) != len(days):
            err.append(f"customer {i}: two visits on one day")
        pat = result.pattern[i]
        need = int(p.required[i])
        if pat is not None:
            if tuple(pat) not in {tuple(q) for q in p.patterns[i]}:
                err.append(f"customer {i}: pattern {pat} not allowed")
            if not set(days) <= set(pat):
                err.append(f"customer {i}: visits {days} outside pattern {pat}")
        elif days:
            err.append(f"customer {i}: visited without a pattern")
        if len(days) + len(unpl[i]) != need:
            err.append(f"customer {i}: {len(days)} visits + {len(unpl[i])} unplanned != {need}")
        for u in unpl[i]:
            if u.day is not None and (pat is None or u.day not in pat or u.day in days):
                err.append(f"customer {i}: unplanned day {u.day} inconsistent with pattern {pat}")
        lost += float(p.lam * p.value[i]) * max(need - len(days), 0)
        if p.previous_weekday is not None and int(p.previous_weekday[i]) >= 0:
            wds = {d % p.days_per_week for d in (pat or ())}
            if int(p.previous_weekday[i]) not in wds:
                moved += 1
    obj = cost_total + lost + p.move_penalty * moved
    if abs(obj - result.objective) > rtol * max(1.0, abs(obj)):
        err.append(f"objective {result.objective} != recomputed {obj}")
    return err

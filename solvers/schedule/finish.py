"""Final exact pass of the calendar solver and the result.

Every route is timed exactly with breaks (:mod:`solvers.schedule.timing`); a route that cannot
be timed loses stops (least lateness first) until it can (:func:`repair_routes`); then every
visit still missing is inserted where the exact timing allows and its travel costs less than its
prize (:func:`final_insert`); each visit still missing gets a reason (:func:`diagnose`), and
:func:`build_result` recomputes travel and objective from the timed routes.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from solvers.common import Status
from solvers.schedule.model import COST_CAP, Model, weekday_moved
from solvers.schedule.problem import Reason, Route, ScheduleResult, ScheduleStats, Unplanned, Visit
from solvers.schedule.state import Solution, visited_days
from solvers.schedule.timing import Timing, time_route, violation


def timed_route(m: Model, v: int, d: int, seq: list[int]) -> Timing | None:
    """Exact timing of ``seq`` for vehicle ``v`` on day ``d`` (None if it does not fit: shift,
    windows, breaks, visit count or capacity)."""
    sh = m.shifts[v][d]
    if sh is None:
        return None
    veh = m.p.vehicles[v]
    if veh.max_visits is not None and len(seq) > veh.max_visits:
        return None
    if veh.capacity is not None and int(m.demand[seq].sum() if seq else 0) > veh.capacity:
        return None
    return time_route(m.p.travel_s, sh, seq, m.service, m.open_[:, d], m.close[:, d])


def repair_routes(m: Model, sol: Solution) -> None:
    """Drop stops from every route that cannot be timed until it can (the stop whose removal
    makes it feasible, else least capacity excess, lateness, prize, position)."""
    for key in sorted(sol.routes):
        v, d = key
        r = sol.routes[key]
        while r and timed_route(m, v, d, r) is None:
            best = None
            for k in range(len(r)):
                rr = r[:k] + r[k + 1:]
                feas = timed_route(m, v, d, rr) is not None
                sh = m.shifts[v][d]
                assert sh is not None
                viol = 0 if feas else violation(m.p.travel_s, sh, rr, m.service, m.open_[:, d], m.close[:, d])
                cap_excess = 0
                veh = m.p.vehicles[v]
                if veh.capacity is not None:
                    cap_excess = max(0, int(m.demand[rr].sum() if rr else 0) - veh.capacity)
                score = (not feas, cap_excess, viol, int(m.prize[r[k]]), k)
                if best is None or score < best[0]:
                    best = (score, k)
            assert best is not None
            r.pop(best[1])


def exact_insertion(m: Model, sol: Solution, i: int, d: int, *, max_checks: int = 12,
                     relax_window: bool = False, relax_load: bool = False
                     ) -> tuple[int, tuple[int, int] | None, int]:
    """Cheapest insertion of ``i`` on day ``d`` that passes the exact timing (cost, key, pos)."""
    cands = []
    for v in m.day_vehicles[d]:
        key = (v, d)
        r = sol.routes.setdefault(key, [])
        if i in r:
            continue
        dep = m.p.vehicles[v].depot
        a = np.array([dep, *r], dtype=np.int64)
        b = np.array([*r, dep], dtype=np.int64)
        dc = m.cost[a, i] + m.cost[i, b] - m.cost[a, b]
        for k in np.argsort(dc, kind="stable")[:max_checks]:
            cands.append((int(dc[k]), v, int(k)))
    cands.sort()
    for c, v, k in cands:
        r = sol.routes[(v, d)]
        seq = r[:k] + [i] + r[k:]
        if relax_window or relax_load:
            sh = m.shifts[v][d]
            assert sh is not None
            veh = m.p.vehicles[v]
            if not relax_load:
                if veh.max_visits is not None and len(seq) > veh.max_visits:
                    continue
                if veh.capacity is not None and int(m.demand[seq].sum()) > veh.capacity:
                    continue
            op, cl = m.open_[:, d], m.close[:, d]
            if relax_window:
                op, cl = op.copy(), cl.copy()
                op[i], cl[i] = sh.start_s, sh.end_s
            ok = time_route(m.p.travel_s, sh, seq, m.service, op, cl) is not None
        else:
            ok = timed_route(m, v, d, seq) is not None
        if ok:
            return c, (v, d), k
    return COST_CAP, None, -1


def final_insert(m: Model, sol: Solution) -> None:
    """Insert every missing visit where the exact timing allows and it is worth its prize
    (customers by decreasing prize); a customer without any visit takes its best pattern."""
    vis = visited_days(sol, m.n)
    req = np.asarray(m.p.required)
    order = sorted(range(m.n), key=lambda i: (-int(m.prize[i]), i))
    for i in order:
        if req[i] == 0 or len(vis[i]) >= req[i]:
            continue
        if vis[i] or (sol.pattern[i] is not None and not m.grouped[i]):
            pat = sol.pattern[i] if sol.pattern[i] is not None else tuple(sorted(vis[i]))
            for d in pat:
                if d in vis[i] or not m.alive[i, d]:
                    continue
                c, key, k = exact_insertion(m, sol, i, d)
                if key is not None and (m.must[i] or c < m.prize[i]):
                    sol.routes[key].insert(k, i)
                    vis[i].add(d)
            continue
        # no visit at all: choose the pattern with the best exact insertion
        best = None
        for pat in m.pats[i]:
            tot, plan = 0, []
            for d in pat:
                c, key, k = exact_insertion(m, sol, i, d) if m.alive[i, d] else (COST_CAP, None, -1)
                if key is not None and (m.must[i] or c < m.prize[i]):
                    tot += c
                    plan.append((key, k))
                else:
                    tot += int(m.prize[i])
            if m.move_pen and weekday_moved(m, i, pat):
                tot += m.move_pen
            if plan and (best is None or tot < best[0]):
                best = (tot, pat, plan)
        if best is not None and best[0] < int(m.prize[i]) * int(req[i]) + (m.move_pen if m.prev_wd[i] >= 0 else 0):
            _, pat, plan = best
            for key, k in plan:
                sol.routes[key].insert(k, i)
                vis[i].add(key[1])
            sol.pattern[i] = pat


def diagnose(m: Model, sol: Solution, i: int, d: int) -> tuple[Reason, str]:
    """Why the visit of ``i`` on day ``d`` is not planned: reason and message."""
    if not m.alive[i, d]:
        r = m.alone_reason[i, d]
        if r == "opening_hours":
            return "opening_hours", f"closed on day {d}"
        return "unreachable", f"no vehicle working on day {d} can visit it even alone (travel, window or shift)"
    c, key, _ = exact_insertion(m, sol, i, d, max_checks=40)
    if key is not None:
        val = c / m.scale
        return "low_value", (f"the cheapest insertion costs {val:.6g} travel, more than lam*value = "
                             f"{m.prize_f[i]:.6g}")
    _, key, _ = exact_insertion(m, sol, i, d, max_checks=40, relax_window=True)
    if key is not None:
        return "opening_hours", f"no route of day {d} passes during its opening hours"
    _, key, _ = exact_insertion(m, sol, i, d, max_checks=40, relax_load=True)
    if key is not None:
        vv = [m.p.vehicles[v] for v in m.day_vehicles[d]]
        if any(x.capacity is not None for x in vv) and m.demand[i] > 0:
            return "vehicle_capacity", f"every route of day {d} is at its load capacity"
        return "shift_capacity", f"every route of day {d} is at its maximum number of visits"
    return "shift_capacity", f"no route of day {d} has time left in its shift"


def build_result(m: Model, sol: Solution, stats: ScheduleStats) -> ScheduleResult:
    """The result of the final calendar: exact timings, patterns, unplanned visits with their
    reasons, objective recomputed in problem units; ``stats`` completed with the plan's
    travel cost, unplanned value, moved customers and visits."""
    p = m.p
    routes = []
    travel_total = 0
    cost_total = 0.0
    for key in sorted(sol.routes, key=lambda k: (k[1], k[0])):
        v, d = key
        r = sol.routes[key]
        if not r:
            continue
        tm = timed_route(m, v, d, r)
        assert tm is not None, "final routes must be timed"
        stops = tuple(Visit(customer=int(c), arrival_s=int(a), start_s=int(s), departure_s=int(de),
                            travel_s=int(tr))
                      for c, a, s, de, tr in zip(r, tm.arrival, tm.start, tm.departure, tm.travel, strict=True))
        routes.append(Route(vehicle=v, day=d, start_s=tm.start_s, end_s=tm.end_s, stops=stops,
                            breaks=tuple((int(s), int(du)) for s, du in tm.breaks),
                            return_travel_s=int(tm.return_travel)))
        travel_total += sum(tm.travel) + tm.return_travel
        dep = p.vehicles[v].depot
        locs = [dep, *r, dep]
        cost_total += float(m.cost_f[locs[:-1], locs[1:]].sum())
    vis = visited_days(sol, m.n)
    unplanned: list[Unplanned] = []
    patterns: list[tuple[int, ...] | None] = []
    moved = 0
    lost_value = 0.0
    for i in range(m.n):
        need = int(p.required[i])
        days = sorted(vis[i])
        pat = sol.pattern[i]
        if not days:
            pat = None  # no visit planned: no pattern assigned
        elif m.grouped[i] or pat is None:
            pat = tuple(days)
            if pat is not None and pat not in m.pats[i]:
                pat = next((q for q in m.pats[i] if set(days) <= set(q)), pat)
        patterns.append(pat)
        if m.prev_wd[i] >= 0 and weekday_moved(m, i, pat):
            moved += 1
        missing = need - len(days)
        if missing <= 0:
            continue
        lost_value += missing * float(m.prize_f[i])
        if pat is None:
            alive_pats = [q for q in m.pats[i] if any(m.alive[i, d] for d in q)]
            if not m.pats[i]:
                reason, msg = "opening_hours", "no allowed pattern"
            elif not alive_pats:
                rs = {m.alone_reason[i, d] for q in m.pats[i] for d in q}
                reason = "opening_hours" if rs == {"opening_hours"} else "unreachable"
                msg = ("closed on every allowed day" if reason == "opening_hours"
                       else "cannot be visited on any allowed day, even alone")
            else:
                q = max(alive_pats, key=lambda q: sum(m.alive[i, d] for d in q))
                d0 = next(d for d in q if m.alive[i, d])
                reason, msg = diagnose(m, sol, i, d0)
                msg = f"no pattern assigned ({msg})"
            for _ in range(missing):
                unplanned.append(Unplanned(customer=i, day=None, reason=reason, message=msg))
        else:
            for d in pat:
                if d in vis[i]:
                    continue
                reason, msg = diagnose(m, sol, i, d)
                unplanned.append(Unplanned(customer=i, day=d, reason=reason, message=msg))
            extra = missing - sum(1 for d in pat if d not in vis[i])
            for _ in range(max(extra, 0)):
                unplanned.append(Unplanned(customer=i, day=None, reason="opening_hours",
                                           message="pattern shorter than the required visits"))
    objective = cost_total + lost_value + m.move_pen_f * moved
    stats = replace(stats, travel_cost=cost_total, unplanned_value=lost_value, moved_customers=moved,
                    visits=sum(len(r.stops) for r in routes))
    return ScheduleResult(status=Status.FEASIBLE, objective=float(objective), travel_s=int(travel_total),
                          routes=tuple(routes), pattern=tuple(patterns), unplanned=tuple(unplanned),
                          stats=stats)

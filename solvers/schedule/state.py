"""Solution state of the calendar solver: routes per (vehicle, day) and a pattern per customer,
the penalised objective, and the load bookkeeping of the insertion estimates used by
construction and pattern moves.

Objective (scaled integer cost units, see :class:`~solvers.schedule.model.Model`)::

    sum of route costs + prize of every required visit not planned + weekday-move penalties
    + hard_factor * (pen_load * load excess + pen_time * (travel + service) time excess)

When opening hours bind (``Model.windows_bind``) the insertion estimates also time each route
as the router does (earliest and latest service starts, breaks reserved at the end of the shift,
late arrivals counted as time warp) and penalise the time warp an insertion adds, so that the
first calendar fits the opening hours instead of packing days the router must then empty; the
objective itself ignores windows, and the exact timing happens at the end
(:mod:`solvers.schedule.finish`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solvers.schedule.model import COST_CAP, Model, weekday_moved


@dataclass(slots=True)
class Solution:
    """Routes per (vehicle, day) and a pattern per customer; ``obj`` caches :func:`objective`."""

    routes: dict[tuple[int, int], list[int]]  # (vehicle, day) -> customers
    pattern: list[tuple[int, ...] | None]  # per customer (grouped: the visited day or None)
    obj: int = 0

    def copy(self) -> Solution:
        return Solution(routes={k: list(r) for k, r in self.routes.items()},
                        pattern=list(self.pattern), obj=self.obj)


def visited_days(sol: Solution, n: int) -> list[set[int]]:
    """Per customer the days it is visited on."""
    out: list[set[int]] = [set() for _ in range(n)]
    for (_, d), r in sol.routes.items():
        for c in r:
            out[c].add(d)
    return out


def objective(m: Model, sol: Solution) -> int:
    """Scaled objective plus a large penalty for load or (travel + service) time in excess."""
    tot = 0
    for (v, d), r in sol.routes.items():
        if r:
            veh = m.p.vehicles[v]
            dep = veh.depot
            locs = [dep, *r, dep]
            tot += int(m.cost[locs[:-1], locs[1:]].sum())
            if veh.capacity is not None:
                tot += int(m.hard_factor * m.pen_load * max(0, int(m.demand[r].sum()) - veh.capacity))
            used = int(m.dur[locs[:-1], locs[1:]].sum() + m.service[r].sum())
            tot += int(m.hard_factor * m.pen_time * max(0, used - m.avail[v][d]))
    vis = visited_days(sol, m.n)
    req = m.p.required
    for i in range(m.n):
        missing = int(req[i]) - len(vis[i])
        tot += int(m.prize[i]) * max(missing, 0)
        if m.move_pen and weekday_moved(m, i, tuple(sorted(vis[i])) if m.grouped[i] else sol.pattern[i]):
            tot += m.move_pen
    return tot


class Loads:
    """Per-route load bookkeeping for insertion estimates (routes timed when windows bind)."""

    def __init__(self, m: Model, sol: Solution, factor: float = 1.0) -> None:
        self.m = m
        self.sol = sol
        self.factor = factor  # multiplies the excess penalties (large = nearly hard limits)
        self.time: dict[tuple[int, int], int] = {}
        self.load: dict[tuple[int, int], int] = {}
        # when windows bind, per route: the departure from each stop (the depot first) after the
        # earliest service start (late arrivals warp to the closing time, as in the router), and
        # the latest service start at each stop that keeps the rest on time (the latest return
        # to the depot last)
        self.depart: dict[tuple[int, int], np.ndarray] = {}
        self.latest: dict[tuple[int, int], np.ndarray] = {}
        for key in sol.routes:
            self.refresh(key)

    def refresh(self, key: tuple[int, int]) -> None:
        m = self.m
        r = self.sol.routes[key]
        dep = m.p.vehicles[key[0]].depot
        locs = [dep, *r, dep]
        self.time[key] = int(m.dur[locs[:-1], locs[1:]].sum() + m.service[r].sum()) if r else 0
        self.load[key] = int(m.demand[r].sum()) if r else 0
        if m.windows_bind:
            self._time_route(key, r, dep)

    def _time_route(self, key: tuple[int, int], r: list[int], dep: int) -> None:
        m = self.m
        v, d = key
        sh = m.shifts[v][d]
        if sh is None:
            return
        end = sh.end_s - sum(b[2] for b in sh.breaks)  # breaks reserved at the end, as the router
        opn, cls, svc, dur = m.open_[:, d], m.close[:, d], m.service, m.dur
        depart = [sh.start_s]
        t, prev = sh.start_s, dep
        for c in r:
            t = min(max(t + int(dur[prev, c]), int(opn[c])), int(cls[c])) + int(svc[c])
            depart.append(t)
            prev = c
        latest = [end]
        nxt, lt = dep, end
        for c in reversed(r):
            lt = min(int(cls[c]), lt - int(dur[c, nxt]) - int(svc[c]))
            latest.append(lt)
            nxt = c
        latest.reverse()  # latest[k]: latest service start at r[k]; latest[-1]: back at the depot
        self.depart[key] = np.asarray(depart, dtype=np.int64)
        self.latest[key] = np.asarray(latest, dtype=np.int64)

    def _warp(self, i: int, key: tuple[int, int], a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Time warp added by inserting ``i`` between ``a[k]`` and ``b[k]`` (per position ``k``):
        ``i`` reached after its closing time, plus the lateness pushed onto ``b`` beyond its
        latest start, less the lateness ``b`` had already."""
        m = self.m
        d = key[1]
        dep_a, late_b = self.depart[key], self.latest[key]
        arr = np.maximum(dep_a + m.dur[a, i], m.open_[i, d])
        cl = int(m.close[i, d])
        warp = np.maximum(arr - cl, 0)
        arr_b = np.minimum(arr, cl) + m.service[i] + m.dur[i, b]
        old_b = dep_a + m.dur[a, b]
        if len(b) > 1:  # opening of the next stop (the depot, last, has none)
            ob = m.open_[b[:-1], d]
            arr_b[:-1] = np.maximum(arr_b[:-1], ob)
            old_b[:-1] = np.maximum(old_b[:-1], ob)
        return warp + np.maximum(arr_b - late_b, 0) - np.maximum(old_b - late_b, 0)

    def best_insertion(self, i: int, d: int) -> tuple[int, tuple[int, int] | None, int]:
        """Cheapest insertion of ``i`` on day ``d``: (cost delta + penalties, route key, position).

        Capacity and shift time are soft here (penalised per unit of excess, like the router's
        penalty manager), so that full routes still give a usable estimate; a maximum number of
        visits is hard.
        """
        m = self.m
        best = (COST_CAP, None, -1)
        if not m.alive[i, d]:
            return best
        for v in m.day_vehicles[d]:
            key = (v, d)
            veh = m.p.vehicles[v]
            r = self.sol.routes.setdefault(key, [])
            if key not in self.time:
                self.refresh(key)
            if veh.max_visits is not None and len(r) + 1 > veh.max_visits:
                continue
            pen = 0
            if veh.capacity is not None:
                pen += m.pen_load * (max(0, self.load[key] + int(m.demand[i]) - veh.capacity)
                                     - max(0, self.load[key] - veh.capacity))
            dep = veh.depot
            a = np.array([dep, *r], dtype=np.int64)
            b = np.array([*r, dep], dtype=np.int64)
            dc = m.cost[a, i] + m.cost[i, b] - m.cost[a, b]
            dt = m.dur[a, i] + m.dur[i, b] - m.dur[a, b] + m.service[i]
            av = m.avail[v][d]
            over = np.maximum(self.time[key] + dt - av, 0) - max(self.time[key] - av, 0)
            if m.windows_bind and key in self.depart:
                over = over + np.maximum(self._warp(i, key, a, b), 0)
            tot = dc + self.factor * (pen + m.pen_time * over)
            k = int(np.argmin(tot))
            if tot[k] < best[0]:
                best = (int(min(tot[k], COST_CAP)), key, k)
        return best

    def removal_saving(self, i: int, key: tuple[int, int]) -> int:
        """Arc cost saved by removing ``i`` from route ``key``."""
        m = self.m
        r = self.sol.routes[key]
        k = r.index(i)
        dep = m.p.vehicles[key[0]].depot
        a = r[k - 1] if k > 0 else dep
        b = r[k + 1] if k + 1 < len(r) else dep
        return int(m.cost[a, i] + m.cost[i, b] - m.cost[a, b])

    def insert(self, i: int, key: tuple[int, int], pos: int) -> None:
        self.sol.routes[key].insert(pos, i)
        self.refresh(key)

    def remove(self, i: int, key: tuple[int, int]) -> None:
        self.sol.routes[key].remove(i)
        self.refresh(key)


def visit_routes(sol: Solution, n: int) -> list[dict[int, tuple[int, int]]]:
    """Per customer: day -> key (vehicle, day) of the route visiting it that day."""
    out: list[dict[int, tuple[int, int]]] = [{} for _ in range(n)]
    for key, r in sol.routes.items():
        for c in r:
            out[c][key[1]] = key
    return out


def pattern_cost(m: Model, ld: Loads, i: int, pat: tuple[int, ...] | None,
                 where: dict[int, tuple[int, int]], cache: dict[int, int]) -> int:
    """Estimated cost of customer ``i`` under ``pat`` given its current visits ``where``."""
    tot = 0
    days = pat or ()
    for d in days:
        if d in where:
            continue
        if d not in cache:
            cache[d] = ld.best_insertion(i, d)[0]
        c = cache[d]
        tot += c if m.must[i] else min(c, int(m.prize[i]))
    tot += int(m.prize[i]) * max(int(m.p.required[i]) - len(days), 0)
    for d, key in where.items():
        if d not in days:
            tot -= ld.removal_saving(i, key)
    if m.move_pen and weekday_moved(m, i, pat):
        tot += m.move_pen
    return tot


def apply_pattern(m: Model, ld: Loads, sol: Solution, i: int, pat: tuple[int, ...] | None,
                  where: dict[int, tuple[int, int]]) -> None:
    """Give customer ``i`` pattern ``pat``: drop its visits on other days, insert the missing ones
    at their cheapest estimated position where worth its prize (always for a must visit)."""
    days = set(pat or ())
    for d, key in sorted(where.items()):
        if d not in days:
            ld.remove(i, key)
    for d in sorted(days):
        if d in where:
            continue
        c, key, pos = ld.best_insertion(i, d)
        if key is not None and (m.must[i] or c < m.prize[i]):
            ld.insert(i, key, pos)
    sol.pattern[i] = pat

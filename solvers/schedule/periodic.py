"""Periodic large-neighbourhood search (pattern and day choice, per-day local search), then a
whole-horizon iterated local search.

Used by :func:`solvers.schedule.solve` when opening hours do not bind (every window covers the
shifts, no breaks), so that a day's routes are constrained only by loads: capacity, number of
visits and shift time (travel + service, at most the shift or the maximum route duration). This
is the periodic VRP of the literature.

Method
------
The state is a pattern per customer and the routes of every (vehicle, day). Each step

1. **removes** ``q`` customers entirely (every visit, so that they may change pattern), chosen
   by one of four operators: *related* (a random customer and its nearest customers, by rank
   with a random bias), *string* (SISR-like: strings of consecutive visits around a random visit
   in the routes of the same day that hold its nearest customers), *route* (every customer of a
   random route) or *random*;
2. **reinserts** them one by one (random order, or most visits / largest demand / farthest from
   the depot first): each takes the allowed pattern whose summed cheapest insertion cost over
   its days is smallest (insertion deltas on the current routes, loads within limits when
   possible, otherwise the least penalised excess), and gives up a visit whose insertion costs
   more than its prize (``lam * value``) unless the visit is required;
3. **re-optimises** every changed day by one exhaustive descent of PyVRP's local search
   (:class:`solvers.routing.DescentSession`, one session per day built once, with penalties on
   load and time excess: a factor times the model's estimates, starting at ``PEN_FACTOR`` and
   raised or lowered every ``PEN_UPDATE`` steps so that about ``PEN_TARGET`` of the states
   visited are without excess);
4. **accepts** the new state by simulated annealing on the penalised objective (travel + prizes
   of visits given up + weekday moves + penalties); the temperature falls geometrically from
   ``START_TEMP`` to ``END_TEMP`` times the mean cost per visit of the first solution over the
   budget. The best state without excess is kept.

Finally the best calendar goes to PyVRP's iterated local search **as one routing problem over
the whole horizon** (:func:`horizon_encoding`): vehicles of day ``d`` work in ``[d H, (d+1) H)``,
a single-visit customer that may take any day of a range is one client whose window spans those
days (so the router moves it between days as between routes), every other visit is fixed to
its day. The LNS is strong where the patterns of multi-visit customers decide (p23, p27-p32),
the horizon ILS where most customers are visited once on any day (p06, p12, p13: a CVRP over
all the days' vehicles); so the searches split the budget differently (``HORIZON_SHARES``:
the first search gives the horizon ILS 10 % of it, the second 50 %).

An *iteration* is one remove-reinsert-descend step; with an iteration limit ``N`` the LNS runs
``N`` steps and the horizon ILS ``max(HORIZON_MIN, N // 4)`` iterations, so the result depends
only on the seed and ``N``. With several workers (processes) independent searches run side by
side and the best calendar is kept.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from solvers.common import Stop
from solvers.parallel import best_of_workers
from solvers.routing import (
    DescentSession,
    RoutingClient,
    RoutingParams,
    RoutingProblem,
    RoutingRoute,
)
from solvers.routing import solve as solve_routing

if TYPE_CHECKING:
    from solvers.schedule.solver import _Encoder, _Encoding, _Model, _Sol

# measured at 60 s (p01, p02, p06, p08, p10, p12, p23): 1.0 / 0.02 gave lower costs than
# 0.3 / 0.005 on 5 of 7 (p01 1.60 -> 0.00 %, p10 3.41 -> 1.63 %, p12 7.53 -> 5.96 %); the
# colder schedule settled in the first deep basin
START_TEMP = 1.0
END_TEMP = 0.02
# share of each search's budget for the final whole-horizon ILS (search k takes entry k modulo the
# length; a single search the first). Measured at 60 s, one search, LNS 30 s + horizon 30 s vs
# LNS 60 s (seed 1): p13 3479 vs 3695, p06 838.6 vs 849.9, p05 2041 vs 2049, p12 1228 vs 1224,
# but p27 22105 vs 21963, p30 75329 vs 74648, p32 79571 vs 78274 (others within 0.2 %); with
# the pair (0.1, 0.5) on two cores: p13 3464 (-0.82 % to BKS), p12 1210.5, p06 840.5, p31 76809
# (before: 3663, 1236.5, 847.2, 77365), p30/p32 unchanged. 0.1 matches the former per-day polish
HORIZON_SHARES = (0.1, 0.5)
HORIZON_MIN = 200
NEIGHBOURS = 40
# excess penalties (x the model's estimates) inside the search; only plans without excess are
# kept as best. Measured at 60 s: 2 rather than 100 gave p30 76091 -> 74951, p23 6621 -> 6519,
# p12 1242 -> 1235, p10 1611 -> 1610, p13 3623 -> 3657 (cheaper detours through overloaded days)
PEN_FACTOR = 2.0
# adaptive penalties: PEN_FACTOR is the start; every PEN_UPDATE steps the factor grows by
# PEN_UP when fewer than PEN_TARGET - 5 % of the states visited were without excess, shrinks
# by PEN_DOWN when more than PEN_TARGET + 5 % were (as HGS does for its penalties). Measured at
# 60 s, one search, seeds 1/2/3, adaptive vs fixed: p12 1230/1226/1205 vs 1262/1273/1213, p13
# 3667/3664/3628 vs 3659/3680/3696, p23 6542/6517/6519 vs 6621/6621/6621, p08 (seeds 2/3)
# 2039/2035 vs 2056/2056, p10 and p05 (seed 1) 1610/2038 vs 1625/2044; fixed was better on p11
# (783.8/784.9 vs 782.5/781.1) and on p06 with two seeds of three (by up to 1.9 %)
PEN_UPDATE = 100
PEN_TARGET = 0.5
PEN_UP, PEN_DOWN = 1.25, 0.85
PEN_MIN, PEN_MAX = 0.05, 1000.0
OPERATORS = ("related", "string", "route", "random")
OPERATOR_WEIGHTS = (0.35, 0.35, 0.15, 0.15)
STRING_MAX = 10  # longest string (SISR's L_max)
STRING_MEAN = 10  # mean number of removed customers of the string operator (SISR's c-bar)
QMIN = 3  # fewest customers removed per step (the most: QMAX_SHARE of them, within QMAX_CAP)
QMAX_SHARE, QMAX_CAP = 0.15, 30
_NO_POS = np.iinfo(np.int64).max


class _Day:
    """Insertion arrays of one day's routes (rebuilt when the day changes)."""

    __slots__ = ("A", "B", "R", "P", "cAB", "dAB", "load", "time", "cnt", "cap", "avail", "maxv", "room", "vfree")


class PeriodicSearch:
    """State and operators of the periodic LNS (see module docstring)."""

    def __init__(self, m: _Model, enc: _Encoder, sol: _Sol, rng: np.random.Generator) -> None:
        self.m = m
        self.enc = enc
        self.rng = rng
        n, T = m.n, m.T
        self.req = np.asarray(m.p.required, dtype=np.int64)
        self.active = [i for i in range(n) if self.req[i] > 0 and m.pats[i]]
        self.days_of = [sorted({d for q in m.pats[i] for d in q if m.alive[i, d]}) for i in range(n)]
        self.day_keys = [[(v, d) for v in m.day_vehicles[d]] for d in range(T)]
        self.routes: dict[tuple[int, int], list[int]] = {k: [] for ks in self.day_keys for k in ks}
        for k, r in sol.routes.items():
            if k in self.routes:
                self.routes[k] = list(r)
        self.pattern: list[tuple[int, ...] | None] = list(sol.pattern)
        self.vis: list[set[int]] = [set() for _ in range(n)]
        for (_, d), r in self.routes.items():
            for c in r:
                self.vis[c].add(d)
        for i in range(n):  # single-visit customers routed by day: pattern = visited day
            if self.vis[i] and (self.pattern[i] is None or not self.vis[i] <= set(self.pattern[i])):
                vd = tuple(sorted(self.vis[i]))
                self.pattern[i] = next((q for q in m.pats[i] if set(vd) <= set(q)), vd)
        # penalties (scaled cost units per unit of excess) = factor x the model's estimates
        dep = sorted({v.depot for v in m.p.vehicles})
        self.base_pen = (m.pen_load, m.pen_time,
                         float(np.median(m.cost[np.ix_(dep, np.arange(n))])) if n else 1.0)
        self._scale_penalties(PEN_FACTOR)
        veh = m.p.vehicles
        self.cap = np.array([v.capacity if v.capacity is not None else 2**40 for v in veh], dtype=np.int64)
        self.maxv = np.array([v.max_visits if v.max_visits is not None else 2**40 for v in veh], dtype=np.int64)
        self.avail = np.array([[m.avail[v][d] for d in range(T)] for v in range(len(veh))], dtype=np.int64)
        self.depot = [v.depot for v in veh]
        self.timed = [bool(any(self.avail[v, d] < 10**8 for v in m.day_vehicles[d])) for d in range(T)]
        # nearest customers (by cost both ways) for the removal operators
        act = np.array(self.active, dtype=np.int64)
        order = _nearest(m.cost, act, 60)
        self.near: dict[int, list[int]] = {int(act[a]): [int(act[b]) for b in order[a]] for a in range(len(act))}
        dcost = np.array([min(int(m.cost[dp, i]) for dp in dep) for i in range(n)]) if n else np.zeros(0)
        self.depot_dist = dcost
        self._days: list[_Day | None] = [None] * T
        self._build_sessions()
        self.day_cost = np.zeros(T, dtype=np.int64)
        self.day_feas = np.ones(T, dtype=bool)
        for d in range(T):
            self._descend(d)
        self.cust = np.array([self._cust_term(i) for i in range(n)], dtype=np.float64)
        self.total = self._total()

    # ---------------------------------------------------------------- sessions (one per day)
    def _build_sessions(self) -> None:
        m, enc = self.m, self.enc
        self.pool: list[list[int]] = []
        self.pidx: list[dict[int, int]] = []
        self.vt: list[list[list[int]]] = []  # per day: per session vehicle type the vehicles
        self.sessions: list[DescentSession | None] = []
        allv = enc.vehicle_types(False)
        for d in range(m.T):
            pool = [i for i in self.active if d in self.days_of[i]]
            self.pool.append(pool)
            self.pidx.append({c: k for k, c in enumerate(pool)})
            keep = [k for k, (dd, _) in enumerate(enc.vtypes) if dd == d]
            self.vt.append([list(enc.vtypes[k][1]) for k in keep])
            if not pool or not keep:
                self.sessions.append(None)
                continue
            clients = tuple(enc.client(i, d, 0, False, False) for i in pool)
            nb = _nearest(m.cost, np.array(pool, dtype=np.int64), NEIGHBOURS)
            prob = RoutingProblem(duration=m.dur, cost=m.cost, clients=clients,
                                  vehicle_types=tuple(allv[k] for k in keep),
                                  neighbours=tuple(tuple(int(x) for x in row) for row in nb))
            self.sessions.append(DescentSession(prob, load_penalty=self._dim_penalties(), time_penalty=self.pen_time,
                                                seed=int(self.rng.integers(2**31))))

    def _session_routes(self, d: int) -> list[RoutingRoute]:
        pidx = self.pidx[d]
        tmap: dict[int, int] = {v: t for t, vs in enumerate(self.vt[d]) for v in vs}
        return [RoutingRoute(vehicle_type=tmap[v], clients=tuple(pidx[c] for c in self.routes[(v, dd)]))
                for v, dd in self.day_keys[d] if self.routes[(v, dd)]]

    def _scale_penalties(self, factor: float) -> None:
        self.pen_factor = factor
        self.pen_load, self.pen_time, self.pen_visit = (factor * b for b in self.base_pen)

    def _dim_penalties(self) -> tuple[float, ...]:
        """The sessions' load penalties: demand excess, and visits over the maximum per day."""
        return tuple(self.pen_load if dim == "demand" else self.pen_visit for dim in self.enc.dims)

    def set_penalty_factor(self, factor: float) -> None:
        """Penalties = ``factor`` x the model's estimates; re-prices the current state."""
        self._scale_penalties(factor)
        dims = self._dim_penalties()
        for d, s in enumerate(self.sessions):
            if s is not None:
                s.set_penalties(dims, self.pen_time)
                self.day_cost[d], self.day_feas[d] = s.evaluate(self._session_routes(d))
        self.total = self._total()

    def _descend(self, d: int) -> None:
        s = self.sessions[d]
        if s is None:
            self.day_cost[d] = 0
            self.day_feas[d] = True
            return
        out, cost, feas = s.descend(self._session_routes(d))
        for key in self.day_keys[d]:
            self.routes[key] = []
        used = [0] * len(self.vt[d])
        pool = self.pool[d]
        for r in out:
            v = self.vt[d][r.vehicle_type][used[r.vehicle_type]]
            used[r.vehicle_type] += 1
            self.routes[(v, d)] = [pool[c] for c in r.clients]
        self.day_cost[d] = cost
        self.day_feas[d] = feas
        self._days[d] = None

    # ---------------------------------------------------------------- objective
    def _cust_term(self, i: int) -> float:
        m = self.m
        t = float(m.prize[i]) * max(int(self.req[i]) - len(self.vis[i]), 0)
        if m.move_pen and m.prev_wd[i] >= 0:
            days = tuple(sorted(self.vis[i]))
            if not days or int(m.prev_wd[i]) not in {x % m.p.days_per_week for x in days}:
                t += m.move_pen
        return t

    def _total(self) -> float:
        return float(self.day_cost.sum()) + float(self.cust.sum())

    def feasible(self) -> bool:
        return bool(self.day_feas.all())

    # ---------------------------------------------------------------- insertion
    def _day(self, d: int) -> _Day:
        x = self._days[d]
        if x is not None:
            return x
        m = self.m
        x = _Day()
        A: list[int] = []
        B: list[int] = []
        R: list[int] = []
        P: list[int] = []
        keys = self.day_keys[d]
        load, tim, cnt = [], [], []
        for ri, key in enumerate(keys):
            r = self.routes[key]
            dep = self.depot[key[0]]
            A.append(dep)
            A.extend(r)
            B.extend(r)
            B.append(dep)
            R.extend([ri] * (len(r) + 1))
            P.extend(range(len(r) + 1))
            load.append(int(m.demand[r].sum()) if r else 0)
            cnt.append(len(r))
            if self.timed[d]:
                locs = [dep, *r, dep]
                tim.append(int(m.dur[locs[:-1], locs[1:]].sum() + m.service[r].sum()) if r else 0)
        x.A = np.array(A, dtype=np.int64)
        x.B = np.array(B, dtype=np.int64)
        x.R = np.array(R, dtype=np.int64)
        x.P = np.array(P, dtype=np.int64)
        x.cAB = m.cost[x.A, x.B]
        vs = np.array([k[0] for k in keys], dtype=np.int64)
        x.load = np.array(load, dtype=np.int64)[x.R] if keys else np.zeros(0, dtype=np.int64)
        x.cnt = np.array(cnt, dtype=np.int64)[x.R] if keys else np.zeros(0, dtype=np.int64)
        x.cap = self.cap[vs][x.R] if keys else np.zeros(0, dtype=np.int64)
        x.maxv = self.maxv[vs][x.R] if keys else np.zeros(0, dtype=np.int64)
        x.room = x.cap - x.load
        x.vfree = x.cnt < x.maxv
        if self.timed[d]:
            x.dAB = m.dur[x.A, x.B]
            x.time = np.array(tim, dtype=np.int64)[x.R]
            x.avail = self.avail[vs, d][x.R]
        self._days[d] = x
        return x

    def best_insertion(self, i: int, d: int) -> tuple[float, int, int, bool]:
        """(cost incl. penalties, route index in day_keys[d], position, within limits)."""
        x = self._day(d)
        if x.A.size == 0:
            return math.inf, -1, -1, False
        m = self.m
        dc = m.cost[x.A, i] + m.cost[i, x.B] - x.cAB
        dem = int(m.demand[i])
        # fast path (the hot loop of the search): the cheapest position within every limit
        ok = x.vfree & (x.room >= dem) if dem > 0 else x.vfree
        if self.timed[d]:
            dt = m.dur[x.A, i] + m.dur[i, x.B] - x.dAB + int(m.service[i])
            ext = np.maximum(x.time + dt - x.avail, 0) - np.maximum(x.time - x.avail, 0)
            ok = ok & (ext <= 0)
        if ok.any():
            k = int(np.argmin(np.where(ok, dc, _NO_POS)))
            return float(dc[k]), int(x.R[k]), int(x.P[k]), True
        exl = np.maximum(dem - x.room, 0) - np.maximum(-x.room, 0)
        pen = self.pen_load * exl + self.pen_visit * (~x.vfree)
        if self.timed[d]:
            pen = pen + self.pen_time * ext
        tot = dc + pen
        k = int(np.argmin(tot))
        return float(tot[k]), int(x.R[k]), int(x.P[k]), False

    # ---------------------------------------------------------------- remove / insert
    def _touch(self, d: int, saved: dict) -> None:
        if d not in saved:
            saved[d] = ({k: list(self.routes[k]) for k in self.day_keys[d]},
                        int(self.day_cost[d]), bool(self.day_feas[d]))

    def remove(self, i: int, saved: dict) -> None:
        for d in self.vis[i]:
            self._touch(d, saved)
            for key in self.day_keys[d]:
                r = self.routes[key]
                if i in r:
                    r.remove(i)
                    break
            self._days[d] = None
        self.vis[i] = set()

    def insert(self, i: int, saved: dict) -> None:
        m = self.m
        prize = float(m.prize[i])
        must = bool(m.must[i])
        ins: dict[int, tuple[float, int, int, bool]] = {}
        for d in self.days_of[i]:
            ins[d] = self.best_insertion(i, d)
        best = None
        for q in m.pats[i]:
            tot = 0.0
            for d in q:
                c = ins[d][0] if d in ins else math.inf
                tot += c if must else min(c, prize)
            if m.move_pen and m.prev_wd[i] >= 0 and int(m.prev_wd[i]) not in {x % m.p.days_per_week for x in q}:
                tot += m.move_pen
            if best is None or tot < best[0]:
                best = (tot, q)
        if best is None:
            return
        q = best[1]
        for d in q:
            if d not in ins:
                continue
            c, ri, pos, _ok = ins[d]
            if ri < 0 or not (must or c < prize):
                continue
            self._touch(d, saved)
            self.routes[self.day_keys[d][ri]].insert(pos, i)
            self.vis[i].add(d)
            self._days[d] = None
        self.pattern[i] = q

    # ---------------------------------------------------------------- removal operators
    def _pick_q(self, lo: int, hi: int) -> int:
        return int(self.rng.integers(lo, hi + 1))

    def removal(self, op: str, qmax: int) -> list[int]:
        rng = self.rng
        act = self.active
        lo = min(QMIN, len(act))
        q = self._pick_q(lo, max(min(qmax, len(act)), lo))
        if op == "random":
            return [act[int(k)] for k in rng.choice(len(act), size=q, replace=False)]
        if op == "related":
            s = act[int(rng.integers(len(act)))]
            cand = list(self.near.get(s, []))
            out = [s]
            while len(out) < q and cand:
                k = int((float(rng.random()) ** 3) * len(cand))
                out.append(cand.pop(k))
            return out
        if op == "route":
            keys = [k for k, r in self.routes.items() if r]
            if not keys:
                return []
            key = keys[int(rng.integers(len(keys)))]
            return list(self.routes[key])
        # string (SISR-like, restricted to the day of the seed visit)
        s = act[int(rng.integers(len(act)))]
        if not self.vis[s]:
            return [s]
        days = sorted(self.vis[s])
        d = days[int(rng.integers(len(days)))]
        where = {c: key for key in self.day_keys[d] for c in self.routes[key]}
        lens = [len(self.routes[k]) for k in self.day_keys[d] if self.routes[k]]
        lmax = min(STRING_MAX, int(np.mean(lens)) if lens else 1)
        ks_max = 4.0 * STRING_MEAN / (1.0 + lmax) - 1.0
        ks = int(float(rng.random()) * ks_max) + 1
        out: list[int] = []
        done: set[tuple[int, int]] = set()
        for c in [s, *self.near.get(s, [])]:
            if len(done) >= ks:
                break
            key = where.get(c)
            if key is None or key in done:
                continue
            r = self.routes[key]
            ell = int(rng.integers(1, min(lmax, len(r)) + 1))
            pos = r.index(c)
            start = int(rng.integers(max(0, pos - ell + 1), min(pos, len(r) - ell) + 1))
            out.extend(r[start:start + ell])
            done.add(key)
        return list(dict.fromkeys(out))

    # ---------------------------------------------------------------- one step
    def step(self, temp: float, qmax: int) -> bool:
        """One remove-reinsert-descend step; returns whether it was accepted."""
        rng = self.rng
        op = OPERATORS[int(rng.choice(len(OPERATORS), p=OPERATOR_WEIGHTS))]
        rem = self.removal(op, qmax)
        if not rem:
            return False
        saved: dict = {}
        old_pat = {i: self.pattern[i] for i in rem}
        old_vis = {i: set(self.vis[i]) for i in rem}
        old_cust = {i: float(self.cust[i]) for i in rem}
        for i in rem:
            self.remove(i, saved)
        u = float(rng.random())
        m = self.m
        if u < 0.4:
            order = [rem[int(k)] for k in rng.permutation(len(rem))]
        elif u < 0.7:
            order = sorted(rem, key=lambda i: (-int(self.req[i]), float(rng.random())))
        elif u < 0.85:
            order = sorted(rem, key=lambda i: (-int(m.demand[i]), float(rng.random())))
        else:
            order = sorted(rem, key=lambda i: (-int(self.depot_dist[i]), float(rng.random())))
        for i in order:
            self.insert(i, saved)
        for d in sorted(saved):
            self._descend(d)
        for i in rem:
            self.cust[i] = self._cust_term(i)
        new_total = self._total()
        # annealing: accept when not worse than the current total plus -temp * ln(U) >= 0
        if new_total < self.total - temp * math.log(max(float(rng.random()), 1e-300)) + 1e-9:
            self.total = new_total
            return True
        # undo
        for d, (rs, c, f) in saved.items():
            for k, r in rs.items():
                self.routes[k] = r
            self.day_cost[d] = c
            self.day_feas[d] = f
            self._days[d] = None
        for i in rem:
            self.pattern[i] = old_pat[i]
            self.vis[i] = old_vis[i]
            self.cust[i] = old_cust[i]
        return False

    def snapshot(self) -> tuple[dict[tuple[int, int], list[int]], list[tuple[int, ...] | None]]:
        return {k: list(r) for k, r in self.routes.items()}, list(self.pattern)


def _nearest(cost: np.ndarray, locs: np.ndarray, k: int) -> np.ndarray:
    """Per location of ``locs``: indices (into ``locs``) of its ``k`` nearest others by the
    symmetric cost ``cost[a, b] + cost[b, a]`` (ties: lower index)."""
    if locs.size == 0:
        return np.zeros((0, 0), dtype=np.int64)
    sub = cost[np.ix_(locs, locs)].astype(np.float64)
    prox = sub + sub.T
    np.fill_diagonal(prox, np.inf)
    return np.argsort(prox, axis=1, kind="stable")[:, :min(k, locs.size - 1)]


def run_periodic(m: _Model, enc: _Encoder, sol: _Sol, *, stop: Stop, clock, rng: np.random.Generator,  # noqa: ANN001
                 reserve_s: float, workers: int = 1) -> tuple[_Sol, dict]:
    """Periodic LNS from ``sol`` followed by the whole-horizon ILS (see module docstring).

    With ``workers > 1`` that many independent searches (seeds drawn from ``rng`` in order) run
    in separate processes over the same budget and the best calendar is kept (ties: the first
    worker), so the result still depends only on the seed and the limits. Inside a daemonic
    process (which may not start children, e.g. a batch worker) the search runs alone.
    """
    seeds = [int(rng.integers(2**31)) for _ in range(max(int(workers), 1))]
    tasks = [(m, enc, sol, stop, clock, s, reserve_s, HORIZON_SHARES[k % len(HORIZON_SHARES)])
             for k, s in enumerate(seeds)]
    from solvers.schedule.solver import _objective

    runs, k = best_of_workers(_run_one, tasks, key=lambda run: _objective(m, run[0]))
    best, st = runs[k]
    if len(runs) == 1:
        return best, st
    objs = [_objective(m, b) for b, _ in runs]
    st = dict(st, workers=len(seeds), worker_best=k, worker_objectives=[o / m.scale for o in objs],
              worker_penalty_factors=[r[1]["penalty_factor"] for r in runs],
              lns_iterations=sum(r[1]["lns_iterations"] for r in runs))
    return best, st


def _run_one(m: _Model, enc: _Encoder, sol: _Sol, stop: Stop, clock, seed: int,  # noqa: ANN001
             reserve_s: float, horizon_share: float) -> tuple[_Sol, dict]:
    """One search: the LNS for the budget less ``horizon_share``, then the whole-horizon ILS."""
    from solvers.schedule.solver import _Sol

    rng = np.random.default_rng(seed)
    ps = PeriodicSearch(m, enc, sol, rng)
    n_visits = max(int(sum(len(r) for r in ps.routes.values())), 1)
    unit = max(ps.total, 1.0) / n_visits
    t_hot, t_cold = START_TEMP * unit, END_TEMP * unit
    qmax = max(5, min(QMAX_CAP, int(QMAX_SHARE * len(ps.active))))
    best_routes, best_pat = ps.snapshot()
    best_total = ps.total if ps.feasible() else math.inf
    limit_it = stop.max_iterations
    t_lns = None
    if stop.time_limit_s is not None:
        t_lns = max(stop.time_limit_s * (1.0 - horizon_share) - reserve_s - clock.elapsed(), 0.0)
    t0 = time.perf_counter()
    it = acc = imp = feas_n = 0
    while True:
        frac = 0.0
        if limit_it is not None:
            if it >= limit_it:
                break
            frac = it / limit_it
        if t_lns is not None:
            el = time.perf_counter() - t0
            if el >= t_lns:
                break
            frac = max(frac, el / t_lns if t_lns > 0 else 1.0)
        temp = t_hot * (t_cold / t_hot) ** frac
        ok = ps.step(temp, qmax)
        it += 1
        acc += ok
        feas_n += ps.feasible()
        if it % PEN_UPDATE == 0:
            share = feas_n / PEN_UPDATE
            feas_n = 0
            f = ps.pen_factor
            if share < PEN_TARGET - 0.05:
                f = min(f * PEN_UP, PEN_MAX)
            elif share > PEN_TARGET + 0.05:
                f = max(f * PEN_DOWN, PEN_MIN)
            if f != ps.pen_factor:
                ps.set_penalty_factor(f)
        if ok and ps.total < best_total - 1e-9 and ps.feasible():
            best_total = ps.total
            best_routes, best_pat = ps.snapshot()
            imp += 1
    if best_total == math.inf:  # never without excess: the final state
        best_routes, best_pat = ps.snapshot()
    best = _Sol(routes=best_routes, pattern=best_pat)
    secs = None
    if stop.time_limit_s is not None:
        secs = max(stop.time_limit_s - reserve_s - clock.elapsed(), 0.02)
    best = _horizon_ils(m, enc, best, seconds=secs, seed=int(rng.integers(2**31)),
                        iterations=None if limit_it is None else max(HORIZON_MIN, limit_it // 4))
    return best, {"lns_iterations": it, "lns_accepted": acc, "lns_improvements": imp,
                  "lns_best": best_total / m.scale, "penalty_factor": ps.pen_factor}


def _day_free(m: _Model, i: int) -> tuple[int, int] | None:
    """(first, last) day when single-visit customer ``i`` may take any day of that range (and no
    weekday-move penalty makes its day matter): one client of the whole-horizon problem whose
    window spans those days. Else None (its visits stay on the days of its pattern)."""
    if not m.grouped[i] or (m.move_pen and m.prev_wd[i] >= 0):
        return None
    days = sorted({q[0] for q in m.pats[i] if m.alive[i, q[0]]})
    if len(days) < 2 or days[-1] - days[0] + 1 != len(days):
        return None
    return days[0], days[-1]


def horizon_encoding(m: _Model, enc: _Encoder, sol: _Sol) -> tuple[_Encoding, tuple[RoutingRoute, ...]]:
    """The whole calendar as one routing problem, and ``sol`` as its warm start.

    Vehicles of day ``d`` work in ``[d H, (d + 1) H)``. A day-free single-visit customer (see
    :func:`_day_free`) is one client whose window spans its days, so the router moves it between
    days like between routes; every other customer has one client per day of its pattern,
    fixed to that day. Exact on the periodic path, where opening hours cover the shifts.
    """
    from solvers.schedule.solver import _Encoding, _to_routes

    clients: list[RoutingClient] = []
    copies: list[tuple[int, int]] = []
    index: dict[tuple[int, int], int] = {}
    req = m.p.required
    for i in range(m.n):
        if int(req[i]) <= 0 or not m.pats[i]:
            continue
        must = bool(m.must[i])
        prize = 0 if must else int(m.prize[i])
        span = _day_free(m, i)
        if span is not None:
            lo, hi = enc.client(i, span[0], prize, must, True), enc.client(i, span[1], prize, must, True)
            for d in range(span[0], span[1] + 1):
                index[(i, d)] = len(clients)
            copies.append((i, span[0]))
            clients.append(RoutingClient(location=lo.location, service_s=lo.service_s, tw_early=lo.tw_early,
                                         tw_late=hi.tw_late, demand=lo.demand, prize=prize, required=must))
            continue
        for d in sol.pattern[i] or ():
            if m.alive[i, d]:
                index[(i, d)] = len(clients)
                copies.append((i, d))
                clients.append(enc.client(i, d, prize, must, True))
    prob = RoutingProblem(duration=m.dur, cost=m.cost, clients=tuple(clients),
                          vehicle_types=tuple(enc.vehicle_types(True)), num_neighbours=NEIGHBOURS)
    e = _Encoding(problem=prob, copies=copies, index=index, vtypes=enc.vtypes)
    return e, _to_routes(e, sol)  # a day-free client is indexed under each day of its span


def _horizon_ils(m: _Model, enc: _Encoder, sol: _Sol, *, seconds: float | None, iterations: int | None,
                 seed: int) -> _Sol:
    """PyVRP's iterated local search on the whole calendar (:func:`horizon_encoding`) from
    ``sol``; the result replaces ``sol`` when it has no excess and is not worse."""
    from solvers.schedule.solver import _from_routes, _objective

    e, init = horizon_encoding(m, enc, sol)
    if not e.problem.clients:
        return sol
    rs = solve_routing(replace(e.problem, initial=init), seed=seed, params=RoutingParams(backend="pyvrp"),
                       stop=Stop(time_limit_s=seconds, max_iterations=iterations))
    if not rs.feasible:
        return sol
    cand = _from_routes(m, e, rs.routes, sol)
    return cand if _objective(m, cand) <= _objective(m, sol) else sol

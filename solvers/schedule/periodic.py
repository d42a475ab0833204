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
   load and time excess: a factor times the model's estimates, starting at ``pen_factor`` and
   raised or lowered every ``pen_update`` steps so that about ``pen_target`` of the states
   visited are without excess);
4. **accepts** the new state by simulated annealing on the penalised objective (travel + prizes
   of visits given up + weekday moves + penalties); the temperature falls geometrically from
   ``start_temp`` to ``end_temp`` times the mean cost per visit of the first solution over the
   budget. The best state without excess is kept.

Finally the best calendar goes to PyVRP's iterated local search **as one routing problem over
the whole horizon** (:func:`solvers.schedule.horizon.horizon_encoding`): vehicles of day ``d`` work in ``[d H, (d+1) H)``,
a single-visit customer that may take any day of a range is one client whose window spans those
days (so the router moves it between days as between routes), every other visit is fixed to
its day. The LNS is strong where the patterns of multi-visit customers decide (p23, p27-p32),
the horizon ILS where most customers are visited once on any day (p06, p12, p13: a CVRP over
all the days' vehicles); so the searches split the budget differently (``horizon_shares``:
the first search gives the horizon ILS 10 % of it, the second 50 %).

An *iteration* is one remove-reinsert-descend step; with an iteration limit ``N`` the LNS runs
``N`` steps and the horizon ILS ``max(horizon_min, N // 4)`` iterations, so the result depends
only on the seed and ``N``. With several workers (processes) independent searches run side by
side and the best calendar is kept. Tuning values: :class:`~solvers.schedule.params.PeriodicParams`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from solvers.common import Stop, StopClock
from solvers.parallel import best_of_workers
from solvers.routing import DescentSession, RoutingProblem, RoutingRoute
from solvers.schedule.encoding import Encoder
from solvers.schedule.horizon import horizon_ils
from solvers.schedule.model import Model
from solvers.schedule.params import PeriodicParams
from solvers.schedule.state import Solution, objective

_NO_POS = np.iinfo(np.int64).max


class _Day:
    """Insertion arrays of one day's routes (rebuilt when the day changes)."""

    __slots__ = ("A", "B", "R", "P", "cAB", "dAB", "load", "time", "cnt", "cap", "avail", "maxv", "room", "vfree")


class PeriodicSearch:
    """State and operators of the periodic LNS (see module docstring)."""

    def __init__(self, m: Model, enc: Encoder, sol: Solution, rng: np.random.Generator,
                 params: PeriodicParams) -> None:
        self.m = m
        self.enc = enc
        self.rng = rng
        self.params = params
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
        self._scale_penalties(params.pen_factor)
        veh = m.p.vehicles
        self.cap = np.array([v.capacity if v.capacity is not None else 2**40 for v in veh], dtype=np.int64)
        self.maxv = np.array([v.max_visits if v.max_visits is not None else 2**40 for v in veh], dtype=np.int64)
        self.avail = np.array([[m.avail[v][d] for d in range(T)] for v in range(len(veh))], dtype=np.int64)
        self.depot = [v.depot for v in veh]
        self.timed = [bool(any(self.avail[v, d] < 10**8 for v in m.day_vehicles[d])) for d in range(T)]
        # nearest customers (by cost both ways) for the removal operators
        act = np.array(self.active, dtype=np.int64)
        order = nearest(m.cost, act, 60)
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
            nb = nearest(m.cost, np.array(pool, dtype=np.int64), self.params.neighbours)
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
        lo = min(self.params.qmin, len(act))
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
        lmax = min(self.params.string_max, int(np.mean(lens)) if lens else 1)
        ks_max = 4.0 * self.params.string_mean / (1.0 + lmax) - 1.0
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
        ops = self.params.operators
        op = ops[int(rng.choice(len(ops), p=self.params.operator_weights))]
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


def nearest(cost: np.ndarray, locs: np.ndarray, k: int) -> np.ndarray:
    """Per location of ``locs``: indices (into ``locs``) of its ``k`` nearest others by the
    symmetric cost ``cost[a, b] + cost[b, a]`` (ties: lower index)."""
    if locs.size == 0:
        return np.zeros((0, 0), dtype=np.int64)
    sub = cost[np.ix_(locs, locs)].astype(np.float64)
    prox = sub + sub.T
    np.fill_diagonal(prox, np.inf)
    return np.argsort(prox, axis=1, kind="stable")[:, :min(k, locs.size - 1)]


@dataclass(frozen=True, slots=True, kw_only=True)
class PeriodicStats:
    """What :func:`run_periodic` did (fields of :class:`~solvers.schedule.problem.ScheduleStats`).

    ``lns_iterations`` is summed over the workers; the other LNS figures are those of the search
    kept. The worker fields are ``None`` with a single search.
    """

    lns_iterations: int
    lns_accepted: int
    lns_improvements: int
    lns_best: float  # best penalised objective without excess (problem units; inf if none)
    penalty_factor: float  # final penalty factor
    workers: int | None = None
    worker_best: int | None = None
    worker_objectives: tuple[float, ...] | None = None
    worker_penalty_factors: tuple[float, ...] | None = None


def run_periodic(m: Model, enc: Encoder, sol: Solution, *, stop: Stop, clock: StopClock,
                 rng: np.random.Generator, reserve_s: float, workers: int,
                 params: PeriodicParams) -> tuple[Solution, PeriodicStats]:
    """Periodic LNS from ``sol`` followed by the whole-horizon ILS (see module docstring).

    With ``workers > 1`` that many independent searches (seeds drawn from ``rng`` in order;
    search ``k`` gives the horizon ILS ``params.horizon_shares[k % len]`` of its budget) run in
    separate processes over the same budget (:func:`solvers.parallel.best_of_workers`) and the
    best calendar is kept (ties: the first worker), so the result still depends only on the seed
    and the limits. Inside a daemonic process (which may not start children, e.g. a batch
    worker) the first search runs alone.
    """
    shares = params.horizon_shares
    seeds = [int(rng.integers(2**31)) for _ in range(max(int(workers), 1))]
    tasks = [(m, enc, sol, stop, clock, s, reserve_s, shares[k % len(shares)], params)
             for k, s in enumerate(seeds)]
    runs, k = best_of_workers(_run_one, tasks, key=lambda run: objective(m, run[0]))
    best, st = runs[k]
    if len(runs) == 1:
        return best, st
    objs = [objective(m, b) for b, _ in runs]
    st = PeriodicStats(lns_iterations=sum(r[1].lns_iterations for r in runs), lns_accepted=st.lns_accepted,
                       lns_improvements=st.lns_improvements, lns_best=st.lns_best,
                       penalty_factor=st.penalty_factor, workers=len(seeds), worker_best=k,
                       worker_objectives=tuple(o / m.scale for o in objs),
                       worker_penalty_factors=tuple(r[1].penalty_factor for r in runs))
    return best, st


def _run_one(m: Model, enc: Encoder, sol: Solution, stop: Stop, clock: StopClock, seed: int,
             reserve_s: float, horizon_share: float, params: PeriodicParams) -> tuple[Solution, PeriodicStats]:
    """One search (a worker task): the LNS for the budget less ``horizon_share``, then the
    whole-horizon ILS."""
    rng = np.random.default_rng(seed)
    ps = PeriodicSearch(m, enc, sol, rng, params)
    n_visits = max(int(sum(len(r) for r in ps.routes.values())), 1)
    unit = max(ps.total, 1.0) / n_visits
    t_hot, t_cold = params.start_temp * unit, params.end_temp * unit
    qmax = max(5, min(params.qmax_cap, int(params.qmax_share * len(ps.active))))
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
        if it % params.pen_update == 0:
            share = feas_n / params.pen_update
            feas_n = 0
            f = ps.pen_factor
            if share < params.pen_target - 0.05:
                f = min(f * params.pen_up, params.pen_max)
            elif share > params.pen_target + 0.05:
                f = max(f * params.pen_down, params.pen_min)
            if f != ps.pen_factor:
                ps.set_penalty_factor(f)
        if ok and ps.total < best_total - 1e-9 and ps.feasible():
            best_total = ps.total
            best_routes, best_pat = ps.snapshot()
            imp += 1
    if best_total == math.inf:  # never without excess: the final state
        best_routes, best_pat = ps.snapshot()
    best = Solution(routes=best_routes, pattern=best_pat)
    secs = None
    if stop.time_limit_s is not None:
        secs = max(stop.time_limit_s - reserve_s - clock.elapsed(), 0.02)
    best = horizon_ils(m, enc, best, seconds=secs, seed=int(rng.integers(2**31)),
                       iterations=None if limit_it is None else max(params.horizon_min, limit_it // 4),
                       neighbours=params.neighbours)
    return best, PeriodicStats(lns_iterations=it, lns_accepted=acc, lns_improvements=imp,
                               lns_best=best_total / m.scale, penalty_factor=ps.pen_factor)

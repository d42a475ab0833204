"""Periodic visit-calendar solver: pattern choice + daily routing + exact timing.

Method
------
1. **Preprocessing.** For every customer ``i`` and day ``d`` we check whether a visit is possible
   *alone* (depot -> i -> depot of some vehicle working that day, inside shift, window and breaks;
   exact timing). Days where it is not are *dead* (reason ``opening_hours`` if closed, else
   ``unreachable``).
2. **Encoding as one routing problem over the whole horizon.** Day ``d`` is the time slot
   ``[d*H, (d+1)*H)`` of a global clock; each (vehicle signature, day) becomes a vehicle type whose
   shift lies in that slot, and each possible visit ``(i, d)`` a client (a *copy*) whose window
   lies in it, so a copy can only be served on its day. Customers with one visit and several
   possible days become a *mutually exclusive group* of copies (the routing backend then chooses
   the day itself, e.g. PyVRP's ``RelocateAlternative``); customers with several visits have the
   copies of their current pattern. An optional copy's prize is ``lam * value`` (so the router may
   give up a visit when it costs more travel than that); when ``lam * value`` exceeds any possible
   saving, the copy (or group) is required. Load dimensions carry ``demand``/``capacity`` and
   ``max_visits`` (demand 1 per visit). Breaks are reserved for the router (see
   :mod:`solvers.routing`) and timed exactly at the end.
3. **Construction.** Sequential cheapest insertion (largest frequency first) picks a first pattern
   per customer under a load model (travel + service within the shift, capacity, visit count).
4. **Rounds** (until the stop rule): (a) *pattern search* on the multi-visit customers: moves
   are a customer taking another allowed pattern, or two customers exchanging patterns; they are
   ranked by an estimate (removal savings, cheapest insertions with soft load/shift penalties,
   the prize of visits given up, the weekday move penalty) and, best first, evaluated exactly:
   the visits are moved, day-flexible customers are ejected from days that became overfull,
   and every changed day is re-optimised by one local-search descent of the routing backend;
   a move is kept if the objective decreases (first improvement, repeated while it improves).
   If no move improves, a few random customers are moved to their best other pattern
   (perturbation). (b) The routing backend improves the whole calendar for a fixed number of
   iterations, warm-started. (c) The result becomes the incumbent if better; it becomes the
   starting point of the next round if it is at most ``ACCEPT_THRESHOLD`` (0.5 %, decreasing
   linearly to 0 over the budget) worse than the current one (threshold accepting).
   **When opening hours do not bind** (every window covers the shifts, no breaks: the
   periodic VRP of the literature) and the backend is PyVRP, step 4 is replaced by the periodic
   large-neighbourhood search of :mod:`solvers.schedule.periodic` (remove customers with all
   their visits, reinsert each on its cheapest allowed pattern, one PyVRP descent per changed
   day, simulated annealing; then PyVRP's iterated local search on the whole horizon, where a
   customer visited once on any day of a range is one client free to change day). On the
   Cordeau PVRP set at 60 s it brought the mean gap to the best known values from 2.37 % to
   below 1 % (``python -m benchmarks.pvrp``; figures in ``benchmarks/RESULTS.md``).
5. **Final exact pass.** Every route is timed exactly with breaks (:mod:`.timing`); a route that
   cannot be timed loses stops (least lateness first) until it can; then every visit still
   missing is inserted where the exact timing allows and its travel costs less than its prize;
   each visit still missing gets a reason.

Iterations
----------
``Stop.max_iterations`` counts routing-backend iterations summed over all rounds (PyVRP: one
perturbation + local search of its iterated local search; OR-Tools: one accepted solution) plus
one per exactly evaluated pattern move. A round uses ``round_iterations`` backend iterations
(see :func:`solve`), so the same seed and iteration limit give the same calendar. With a time
limit the number of rounds (and the pattern search, which also stops at half the remaining
time) depends on the machine. In the periodic LNS an iteration is one remove-reinsert-descend
step (see :mod:`solvers.schedule.periodic`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from solvers.common import UNREACHABLE, Status, Stop
from solvers.routing import (
    RoutingClient,
    RoutingGroup,
    RoutingParams,
    RoutingProblem,
    RoutingRoute,
    RoutingVehicleType,
    improve_routes,
    slot_neighbours,
)
from solvers.routing import solve as solve_routing
from solvers.schedule.periodic import run_periodic
from solvers.schedule.problem import (
    Reason,
    Route,
    ScheduleProblem,
    ScheduleResult,
    Unplanned,
    Visit,
)
from solvers.schedule.timing import Shift, Timing, time_route, violation

COST_CAP = 10**12
"""Integer cost of an unreachable arc inside the solver (keeps sums far from overflow)."""
DISTANCE_SCALE = 1000.0
"""When ``problem.distance`` (float) is given, the routers see ``round(1000 * distance)``."""
BIG_LOAD = 10**9
DEFAULT_STOP = Stop(time_limit_s=20.0)
MASTER_NEIGHBOURS = 50
PATTERN_EVALS = 150
HARD_FACTOR = 100.0
SWAP_NEIGHBOURS = 3
EST_SLACK = 2.0
ROUND_FACTOR = 2.0
ROUND_MAX = 4000
ACCEPT_THRESHOLD = 0.005


# --------------------------------------------------------------------------------------------
# Model: everything precomputed once
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Model:
    p: ScheduleProblem
    n: int
    T: int
    H: int
    cost: np.ndarray  # (L, L) int64 scaled cost
    cost_f: np.ndarray  # (L, L) float objective cost (travel_s or distance)
    scale: float  # int cost = scale * objective unit
    dur: np.ndarray  # (L, L) int64 travel seconds, clamped
    shifts: list[list[Shift | None]]  # [v][d]
    alive: np.ndarray  # (n, T) bool: visit possible alone on that day
    alone_reason: np.ndarray  # (n, T) object: None / 'opening_hours' / 'unreachable'
    prize: np.ndarray  # (n,) int64 scaled lam*value (capped)
    prize_f: np.ndarray  # (n,) float lam*value
    prize_cap: np.ndarray  # (n,) int64 router prize of a must visit in the soft encoding
    must: np.ndarray  # (n,) bool: never worth giving up
    pats: list[list[tuple[int, ...]]]  # per customer: allowed patterns
    grouped: np.ndarray  # (n,) bool: single visit, day chosen by the router
    day_vehicles: list[list[int]]  # vehicles working on day d
    demand: np.ndarray
    avail: list[list[int]]  # [v][d] usable seconds (shift - breaks, <= max duration)
    open_: np.ndarray  # (n, T)
    close: np.ndarray  # (n, T)
    service: np.ndarray
    prev_wd: np.ndarray  # (n,) -1 none
    move_pen: int  # scaled
    move_pen_f: float
    pen_load: float = 0.0  # estimate penalty per unit of excess load
    pen_time: float = 0.0  # estimate penalty per second of excess shift time


def _build_model(p: ScheduleProblem, backend: str) -> _Model:
    n, T = p.n_customers, p.n_days
    travel = np.asarray(p.travel_s, dtype=np.int64)
    H = int(max([v.shift_end_s for v in p.vehicles] + [1])) + 1
    # no feasible route can use a longer travel; the cap keeps the router's penalties
    # (time warp x penalty) far from int64 overflow
    dur = np.minimum(travel, 10 * (T + 1) * H)
    if p.distance is not None:
        cost_f = np.asarray(p.distance, dtype=np.float64)
        scale = DISTANCE_SCALE
        cost = np.where(travel >= UNREACHABLE, COST_CAP,
                        np.minimum(np.rint(cost_f * scale), COST_CAP)).astype(np.int64)
    else:
        cost_f = travel.astype(np.float64)
        scale = 1.0
        cost = np.minimum(travel, COST_CAP)
    service = np.asarray(p.service_s, dtype=np.int64)
    open_ = np.asarray(p.windows[:, :, 0], dtype=np.int64)
    close = np.asarray(p.windows[:, :, 1], dtype=np.int64)
    shifts: list[list[Shift | None]] = []
    avail: list[list[int]] = []
    for v in p.vehicles:
        brks = tuple(sorted((b.earliest_s, b.latest_s, b.duration_s) for b in v.breaks))
        sh = Shift(depot=v.depot, start_s=v.shift_start_s, end_s=v.shift_end_s, breaks=brks,
                   max_duration_s=v.max_duration_s)
        shifts.append([sh if v.days[d] else None for d in range(T)])
        a = v.shift_end_s - v.shift_start_s
        if v.max_duration_s is not None:
            a = min(a, v.max_duration_s)
        a -= sum(b[2] for b in brks)
        avail.append([a if v.days[d] else 0 for d in range(T)])
    day_vehicles = [[v for v in range(len(p.vehicles)) if p.vehicles[v].days[d]] for d in range(T)]
    demand = np.zeros(n, dtype=np.int64) if p.demand is None else np.asarray(p.demand, dtype=np.int64)
    # alone feasibility (cache per shift signature)
    alive = np.zeros((n, T), dtype=bool)
    alone_reason = np.full((n, T), None, dtype=object)
    for d in range(T):
        sigs: dict[Shift, int] = {}
        for v in day_vehicles[d]:
            sh = shifts[v][d]
            assert sh is not None
            sigs.setdefault(sh, v)
        for i in range(n):
            if open_[i, d] > close[i, d]:
                alone_reason[i, d] = "opening_hours"
                continue
            ok = False
            for sh, v in sigs.items():
                cap = p.vehicles[v].capacity
                if cap is not None and demand[i] > cap:
                    continue
                if p.vehicles[v].max_visits is not None and p.vehicles[v].max_visits < 1:
                    continue
                if travel[sh.depot, i] >= UNREACHABLE or travel[i, sh.depot] >= UNREACHABLE:
                    continue
                if time_route(travel, sh, [i], service, open_[:, d], close[:, d]) is not None:
                    ok = True
                    break
            if ok:
                alive[i, d] = True
            else:
                alone_reason[i, d] = "unreachable"
    value = np.asarray(p.value, dtype=np.float64)
    prize_f = p.lam * value
    prize = np.minimum(np.rint(prize_f * scale), COST_CAP).astype(np.int64)
    # a visit is never worth giving up when its prize exceeds the most that removing it from any
    # route can save: cost[a, i] + cost[i, b] - cost[a, b] <= 2 * max(cost[i, :], cost[:, i])
    fin = np.where(cost < COST_CAP, cost, 0)
    reach = np.maximum(fin[:n].max(axis=1), fin[:, :n].max(axis=0)) if n else np.zeros(0)
    must = prize > 2 * reach
    prize_cap = np.minimum(prize, 2 * reach.astype(np.int64) + 1)
    pats = [list(dict.fromkeys(tuple(sorted(x)) for x in pp)) for pp in p.patterns]
    req = np.asarray(p.required, dtype=np.int64)
    grouped = np.zeros(n, dtype=bool)
    if backend == "pyvrp":
        for i in range(n):
            if req[i] == 1:
                days = {q[0] for q in pats[i] if alive[i, q[0]]}
                grouped[i] = len(days) > 1
    prev_wd = (np.full(n, -1, dtype=np.int64) if p.previous_weekday is None
               else np.asarray(p.previous_weekday, dtype=np.int64))
    # penalties of the insertion estimates: one unit of excess load costs a depot radius per
    # average demand; one second of excess time costs 10x the cost of a second of travel
    dep_locs = sorted({v.depot for v in p.vehicles})
    radius = float(np.median(cost[np.ix_(dep_locs, np.arange(n))])) if n else 1.0
    pen_load = radius / max(float(demand.mean()) if n else 1.0, 1.0)
    fin = (dur > 0) & (cost < COST_CAP)
    pen_time = 10.0 * float(np.median(cost[fin] / dur[fin])) if fin.any() else 10.0
    return _Model(p=p, n=n, T=T, H=H, pen_load=pen_load, pen_time=pen_time, cost=cost, cost_f=cost_f, scale=scale, dur=dur,
                  shifts=shifts, alive=alive, alone_reason=alone_reason, prize=prize,
                  prize_cap=prize_cap,
                  prize_f=prize_f, must=must, pats=pats, grouped=grouped,
                  day_vehicles=day_vehicles, demand=demand, avail=avail, open_=open_,
                  close=close, service=service, prev_wd=prev_wd,
                  move_pen=int(round(p.move_penalty * scale)), move_pen_f=float(p.move_penalty))


def _moved(m: _Model, i: int, days: tuple[int, ...] | None) -> bool:
    """Weekday move: previous weekday set and not among the planned weekdays."""
    pw = int(m.prev_wd[i])
    if pw < 0:
        return False
    if not days:
        return True
    return pw not in {d % m.p.days_per_week for d in days}


# --------------------------------------------------------------------------------------------
# Solution state
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Sol:
    routes: dict[tuple[int, int], list[int]]  # (vehicle, day) -> customers
    pattern: list[tuple[int, ...] | None]  # per customer (grouped: the visited day or None)
    obj: int = 0

    def copy(self) -> _Sol:
        return _Sol(routes={k: list(r) for k, r in self.routes.items()},
                    pattern=list(self.pattern), obj=self.obj)


def _visited_days(sol: _Sol, n: int) -> list[set[int]]:
    out: list[set[int]] = [set() for _ in range(n)]
    for (_, d), r in sol.routes.items():
        for c in r:
            out[c].add(d)
    return out


def _objective(m: _Model, sol: _Sol) -> int:
    """Scaled objective plus a large penalty for load or (travel + service) time in excess."""
    tot = 0
    for (v, d), r in sol.routes.items():
        if r:
            veh = m.p.vehicles[v]
            dep = veh.depot
            locs = [dep, *r, dep]
            tot += int(m.cost[locs[:-1], locs[1:]].sum())
            if veh.capacity is not None:
                tot += int(HARD_FACTOR * m.pen_load * max(0, int(m.demand[r].sum()) - veh.capacity))
            used = int(m.dur[locs[:-1], locs[1:]].sum() + m.service[r].sum())
            tot += int(HARD_FACTOR * m.pen_time * max(0, used - m.avail[v][d]))
    vis = _visited_days(sol, m.n)
    req = m.p.required
    for i in range(m.n):
        missing = int(req[i]) - len(vis[i])
        tot += int(m.prize[i]) * max(missing, 0)
        if m.move_pen and _moved(m, i, tuple(sorted(vis[i])) if m.grouped[i] else sol.pattern[i]):
            tot += m.move_pen
    return tot


# --------------------------------------------------------------------------------------------
# Load model used by construction and pattern moves (capacity, visit count, travel+service)
# --------------------------------------------------------------------------------------------


class _Loads:
    """Per-route load bookkeeping for insertion estimates (time windows ignored)."""

    def __init__(self, m: _Model, sol: _Sol, factor: float = 1.0) -> None:
        self.m = m
        self.sol = sol
        self.factor = factor  # multiplies the excess penalties (large = nearly hard limits)
        self.time: dict[tuple[int, int], int] = {}
        self.load: dict[tuple[int, int], int] = {}
        for key in sol.routes:
            self.refresh(key)

    def refresh(self, key: tuple[int, int]) -> None:
        m = self.m
        r = self.sol.routes[key]
        dep = m.p.vehicles[key[0]].depot
        locs = [dep, *r, dep]
        self.time[key] = int(m.dur[locs[:-1], locs[1:]].sum() + m.service[r].sum()) if r else 0
        self.load[key] = int(m.demand[r].sum()) if r else 0

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
            tot = dc + self.factor * (pen + m.pen_time * over)
            k = int(np.argmin(tot))
            if tot[k] < best[0]:
                best = (int(min(tot[k], COST_CAP)), key, k)
        return best

    def removal_saving(self, i: int, key: tuple[int, int]) -> int:
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


def _where(sol: _Sol, n: int) -> list[dict[int, tuple[int, int]]]:
    out: list[dict[int, tuple[int, int]]] = [{} for _ in range(n)]
    for key, r in sol.routes.items():
        for c in r:
            out[c][key[1]] = key
    return out


def _pattern_cost(m: _Model, ld: _Loads, i: int, pat: tuple[int, ...] | None,
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
    if m.move_pen and _moved(m, i, pat):
        tot += m.move_pen
    return tot


def _apply_pattern(m: _Model, ld: _Loads, sol: _Sol, i: int, pat: tuple[int, ...] | None,
                   where: dict[int, tuple[int, int]]) -> None:
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


def _construct(m: _Model, rng: np.random.Generator) -> _Sol:
    sol = _Sol(routes={(v, d): [] for d in range(m.T) for v in m.day_vehicles[d]},
               pattern=[None] * m.n)
    ld = _Loads(m, sol, factor=HARD_FACTOR)
    req = np.asarray(m.p.required)
    order = sorted(range(m.n), key=lambda i: (-int(req[i]), -int(m.prize[i]), float(rng.random())))
    for i in order:
        if req[i] == 0 or not m.pats[i]:
            continue
        best, bestp = None, None
        for pat in m.pats[i]:
            c = _pattern_cost(m, ld, i, pat, {}, {})
            if best is None or c < best:
                best, bestp = c, pat
        _apply_pattern(m, ld, sol, i, bestp, {})
    return sol


def _pattern_moves(m: _Model, sol: _Sol, rng: np.random.Generator, movable: list[int],
                   perturb: int, force: bool = False) -> int:
    """Greedy improving pattern changes (estimated); else (or if ``force``) ``perturb`` random
    customers moved to their best other pattern (perturbation)."""
    ld = _Loads(m, sol)
    where = _where(sol, m.n)
    cands = []
    for i in movable:
        cache: dict[int, int] = {}
        cur = _pattern_cost(m, ld, i, sol.pattern[i], where[i], cache)
        best, bestp = None, None
        for pat in m.pats[i]:
            if pat == sol.pattern[i]:
                continue
            c = _pattern_cost(m, ld, i, pat, where[i], cache)
            if best is None or c < best:
                best, bestp = c, pat
        if best is not None:
            cands.append((best - cur, float(rng.random()), i, bestp))
    cands.sort()
    applied = 0
    for delta, _, i, _pat in cands:
        if delta >= 0 or force:
            break
        # re-evaluate against the current routes
        where = _where(sol, m.n)
        cache = {}
        cur = _pattern_cost(m, ld, i, sol.pattern[i], where[i], cache)
        best, bestp = None, None
        for pat in m.pats[i]:
            if pat == sol.pattern[i]:
                continue
            c = _pattern_cost(m, ld, i, pat, where[i], cache)
            if best is None or c < best:
                best, bestp = c, pat
        if best is not None and best - cur < 0:
            _apply_pattern(m, ld, sol, i, bestp, where[i])
            applied += 1
    if applied == 0 and cands and perturb > 0:
        k = min(perturb, len(cands))
        idx = rng.choice(len(cands), size=k, replace=False)
        for j in sorted(int(x) for x in idx):
            _, _, i, pat = cands[j]
            where = _where(sol, m.n)
            _apply_pattern(m, ld, sol, i, pat, where[i])
            applied += 1
    return applied


def _exact_pattern_search(m: _Model, enc: _Encoder, sol: _Sol, rng: np.random.Generator,
                          movable: list[int], backend: str, deadline: float | None,
                          max_evals: int) -> tuple[_Sol, int, int]:
    """First-improvement pattern changes, each evaluated by re-optimising the affected days.

    Candidates (customer, pattern) are ranked by the insertion estimate; for each, the days whose
    visits change are rebuilt (removal, cheapest insertion) and improved by one local-search
    descent of the backend; the change is kept if the exact objective decreases.
    Returns (solution, evaluations, applied).
    """
    ld = _Loads(m, sol)
    ld0 = _Loads(m, sol, factor=0.0)
    where = _where(sol, m.n)
    cands: list[tuple[float, float, tuple[tuple[int, tuple[int, ...]], ...]]] = []
    raw: dict[tuple[int, tuple[int, ...]], int] = {}
    for i in movable:
        cache: dict[int, int] = {}
        cache0: dict[int, int] = {}
        cur = _pattern_cost(m, ld, i, sol.pattern[i], where[i], cache)
        cur0 = _pattern_cost(m, ld0, i, sol.pattern[i], where[i], cache0)
        for pat in m.pats[i]:
            if pat == sol.pattern[i]:
                continue
            c = _pattern_cost(m, ld, i, pat, where[i], cache)
            cands.append((c - cur, float(rng.random()), ((i, pat),)))
            raw[(i, pat)] = _pattern_cost(m, ld0, i, pat, where[i], cache0) - cur0
    # swaps: i takes pattern q of a nearby j, j takes i's pattern (relieves a full day)
    by_pat: dict[tuple[int, ...], list[int]] = {}
    for j in movable:
        if sol.pattern[j] is not None:
            by_pat.setdefault(sol.pattern[j], []).append(j)
    for i in movable:
        pi = sol.pattern[i]
        if pi is None:
            continue
        for q, js in by_pat.items():
            if q == pi or (i, q) not in raw:
                continue
            js2 = [j for j in js if j != i and pi in m.pats[j] and (j, pi) in raw]
            if not js2:
                continue
            js2.sort(key=lambda j: (int(m.cost[i, j]), j))
            for j in js2[:SWAP_NEIGHBOURS]:
                if i < j or (j, pi) not in raw:
                    est = raw[(i, q)] + raw[(j, pi)]
                    cands.append((est, float(rng.random()), ((i, q), (j, pi))))
    cands.sort()
    evals = applied = 0
    n_arcs = sum(len(r) + 1 for r in sol.routes.values() if r)
    arc = _objective(m, sol) / max(n_arcs, 1)
    for est, _, move in cands[:max_evals]:
        if deadline is not None and time.perf_counter() > deadline:
            break
        if est > EST_SLACK * arc:
            break  # the rest cannot plausibly improve after re-optimisation
        if any(pat == sol.pattern[i] for i, pat in move):
            continue
        evals += 1
        trial = sol.copy()
        tl = _Loads(m, trial)
        before = _where(trial, m.n)
        for i, pat in move:
            _apply_pattern(m, tl, trial, i, pat, _where(trial, m.n)[i])
        after = _where(trial, m.n)
        changed_set = {d for i, _ in move for d in set(before[i]) ^ set(after[i])}
        for d in sorted(changed_set):
            changed_set |= _eject(m, tl, trial, d, {i for i, _ in move})
        changed = sorted(changed_set)
        ok = True
        for d in changed:
            e = enc.encode(trial, days=[d])
            if not e.problem.clients:
                continue
            rs = improve_routes(replace(e.problem, initial=_to_routes(e, trial)),
                                seed=int(rng.integers(2**31)), params=RoutingParams(backend=backend))
            if not rs.feasible:
                ok = False
                break
            trial = _from_routes(m, e, rs.routes, trial, days=[d])
        if not ok:
            continue
        trial.obj = _objective(m, trial)
        if trial.obj < sol.obj:
            sol = trial
            applied += 1
    return sol, evals, applied


def _day_excess(m: _Model, ld: _Loads, d: int) -> float:
    """Aggregate load and time excess of day ``d`` (estimate units, 0 = fits)."""
    load = cap = used = avail = 0
    has_cap = False
    for v in m.day_vehicles[d]:
        key = (v, d)
        if key not in ld.time:
            ld.refresh(key)
        veh = m.p.vehicles[v]
        if veh.capacity is not None:
            has_cap = True
            cap += veh.capacity
            load += ld.load[key]
        used += ld.time[key]
        avail += m.avail[v][d]
    ex = m.pen_time * max(0, used - avail)
    if has_cap:
        ex += m.pen_load * max(0, load - cap)
    return ex


def _eject(m: _Model, ld: _Loads, sol: _Sol, d: int, fixed: set[int]) -> set[int]:
    """Move day-flexible (single-visit) customers off an overfull day ``d``; returns the days
    that received them."""
    out: set[int] = set()
    for _ in range(8):
        if _day_excess(m, ld, d) <= 0:
            break
        best = None
        for v in m.day_vehicles[d]:
            for g in sol.routes.get((v, d), []):
                if not m.grouped[g] or g in fixed:
                    continue
                save = ld.removal_saving(g, (v, d))
                for q in m.pats[g]:
                    d2 = q[0]
                    if d2 == d or not m.alive[g, d2]:
                        continue
                    c, key, pos = ld.best_insertion(g, d2)
                    if key is None:
                        continue
                    sc = c - save
                    if best is None or sc < best[0]:
                        best = (sc, g, (v, d), key, pos)
        if best is None:
            break
        _, g, src, key, pos = best
        ld.remove(g, src)
        ld.insert(g, key, pos)
        sol.pattern[g] = (key[1],)
        out.add(key[1])
    return out


# --------------------------------------------------------------------------------------------
# Encoding for the routing backends
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Encoding:
    problem: RoutingProblem
    copies: list[tuple[int, int]]  # client index -> (customer, day)
    index: dict[tuple[int, int], int]
    vtypes: list[tuple[int, list[int]]]  # vehicle type -> (day, vehicles)


@dataclass(slots=True)
class _Encoder:
    m: _Model
    vtypes: list[tuple[int, list[int]]] = field(default_factory=list)
    rtypes: list[RoutingVehicleType] = field(default_factory=list)
    dims: tuple[str, ...] = ()
    master_copies: list[tuple[int, int]] | None = None
    soft: bool = False  # must visits optional (capped prize) instead of required
    master_lists: tuple[tuple[int, ...], ...] | None = None

    def __post_init__(self) -> None:
        m = self.m
        p = m.p
        dims = []
        if p.demand is not None and any(v.capacity is not None for v in p.vehicles):
            dims.append("demand")
        if any(v.max_visits is not None for v in p.vehicles):
            dims.append("visits")
        self.dims = tuple(dims)
        # Required visits suit the router when time is loose (measured: PVRP); with opening
        # hours narrower than the shifts or breaks, PyVRP often fails to get feasible with
        # required clients, so must visits start optional there (capped prize).
        lo = min((v.shift_start_s for v in p.vehicles), default=0)
        hi = max((v.shift_end_s for v in p.vehicles), default=0)
        open_days = m.open_ <= m.close
        narrow = bool(np.any(open_days & ((m.open_ > lo) | (m.close < hi))))
        self.soft = narrow or any(v.breaks for v in p.vehicles)
        for d in range(m.T):
            sigs: dict[tuple, list[int]] = {}
            for v in m.day_vehicles[d]:
                veh = p.vehicles[v]
                sig = (veh.depot, veh.shift_start_s, veh.shift_end_s, veh.breaks, veh.max_visits,
                       veh.capacity, veh.max_duration_s)
                sigs.setdefault(sig, []).append(v)
            for _sig, vs in sorted(sigs.items(), key=lambda kv: kv[1][0]):
                self.vtypes.append((d, vs))

    def vehicle_types(self, day_offset: bool) -> list[RoutingVehicleType]:
        m = self.m
        out = []
        for d, vs in self.vtypes:
            veh = m.p.vehicles[vs[0]]
            off = d * m.H if day_offset else 0
            cap = []
            for dim in self.dims:
                if dim == "demand":
                    cap.append(BIG_LOAD if veh.capacity is None else int(veh.capacity))
                else:
                    cap.append(BIG_LOAD if veh.max_visits is None else int(veh.max_visits))
            out.append(RoutingVehicleType(
                start_depot=veh.depot, end_depot=veh.depot, count=len(vs),
                tw_early=off + veh.shift_start_s, tw_late=off + veh.shift_end_s,
                capacity=tuple(cap), max_duration_s=veh.max_duration_s,
                breaks=tuple((off + b.earliest_s, off + b.latest_s, b.duration_s) for b in veh.breaks),
            ))
        return out

    def client(self, i: int, d: int, prize: int, required: bool, day_offset: bool) -> RoutingClient:
        m = self.m
        off = d * m.H if day_offset else 0
        dem = tuple(int(m.demand[i]) if dim == "demand" else 1 for dim in self.dims)
        o = max(int(m.open_[i, d]), 0)
        c = min(int(m.close[i, d]), m.H - 1)
        return RoutingClient(location=i, service_s=int(m.service[i]), tw_early=off + o,
                             tw_late=off + c, demand=dem, prize=int(prize), required=required)

    def encode(self, sol: _Sol, days: list[int] | None = None) -> _Encoding:
        """Clients: grouped customers -> all alive copies; others -> copies of their pattern.

        ``days``: restrict to these days and use local time (per-day problems, no groups).
        """
        m = self.m
        day_offset = days is None
        daysel = set(range(m.T)) if days is None else set(days)
        clients: list[RoutingClient] = []
        copies: list[tuple[int, int]] = []
        groups: list[RoutingGroup] = []
        for i in range(m.n):
            # a must visit is required by the router, unless the encoding is soft (after the
            # router failed to find a feasible calendar): then it is optional with a prize just
            # above the most its removal can save, so it is only dropped when it cannot fit
            req = bool(m.must[i]) and not self.soft
            pz = int(m.prize[i]) if not m.must[i] else int(m.prize_cap[i])
            if m.grouped[i] and day_offset:
                opts = sorted({q[0] for q in m.pats[i] if m.alive[i, q[0]]})
                members = []
                for d in opts:
                    pr = 0 if req else pz
                    if m.move_pen and m.prev_wd[i] >= 0 and d % m.p.days_per_week == m.prev_wd[i]:
                        pr += m.move_pen
                    members.append(len(clients))
                    clients.append(self.client(i, d, pr, False, True))
                    copies.append((i, d))
                groups.append(RoutingGroup(clients=tuple(members), required=req))
            else:
                for d in sol.pattern[i] or ():
                    if d not in daysel or not m.alive[i, d]:
                        continue
                    clients.append(self.client(i, d, 0 if req else pz, req, day_offset))
                    copies.append((i, d))
        if day_offset:
            vts = self.vehicle_types(True)
            vmap = self.vtypes
        else:
            keep = [k for k, (d, _) in enumerate(self.vtypes) if d in daysel]
            allv = self.vehicle_types(False)
            vts = [allv[k] for k in keep]
            vmap = [self.vtypes[k] for k in keep]
        neighbours = self.neighbours(copies) if day_offset else None
        prob = RoutingProblem(duration=m.dur, cost=m.cost, clients=tuple(clients),
                              vehicle_types=tuple(vts), groups=tuple(groups), neighbours=neighbours)
        return _Encoding(problem=prob, copies=copies,
                         index={c: k for k, c in enumerate(copies)}, vtypes=vmap)


    def neighbours(self, copies: list[tuple[int, int]]) -> tuple[tuple[int, ...], ...] | None:
        """Granular neighbourhood of the active copies, filtered from a master list computed
        once over every possible copy (:func:`solvers.routing.slot_neighbours`)."""
        m = self.m
        if self.master_copies is None:
            mc: list[tuple[int, int]] = []
            clients: list[RoutingClient] = []
            groups: list[RoutingGroup] = []
            for i in range(m.n):
                days = sorted({d for q in m.pats[i] for d in q if m.alive[i, d]})
                if not days or int(m.p.required[i]) == 0:
                    continue
                if m.grouped[i]:
                    groups.append(RoutingGroup(clients=tuple(range(len(clients), len(clients) + len(days))),
                                               required=False))
                for d in days:
                    mc.append((i, d))
                    clients.append(self.client(i, d, 1, False, True))
            master = RoutingProblem(duration=m.dur, cost=m.cost, clients=tuple(clients),
                                    vehicle_types=tuple(self.vehicle_types(True)), groups=tuple(groups),
                                    num_neighbours=MASTER_NEIGHBOURS)
            self.master_copies = mc
            self.master_lists = slot_neighbours(master)
        if self.master_lists is None:
            return None
        midx = {c: k for k, c in enumerate(self.master_copies)}
        aidx = {c: k for k, c in enumerate(copies)}
        mc = self.master_copies
        out = []
        for c in copies:
            lst = self.master_lists[midx[c]]
            out.append(tuple(aidx[mc[x]] for x in lst if mc[x] in aidx))
        return tuple(out)


def _to_routes(enc: _Encoding, sol: _Sol) -> tuple[RoutingRoute, ...]:
    """Current solution as warm-start routes of the encoding (vehicle order within a type)."""
    tmap = {}
    for t, (d, vs) in enumerate(enc.vtypes):
        for v in vs:
            tmap[(v, d)] = t
    out = []
    for key in sorted(sol.routes):
        r = sol.routes[key]
        if key not in tmap:
            continue
        idx = [enc.index[(c, key[1])] for c in r if (c, key[1]) in enc.index]
        if idx:
            out.append(RoutingRoute(vehicle_type=tmap[key], clients=tuple(idx)))
    return tuple(out)


def _from_routes(m: _Model, enc: _Encoding, routes: tuple[RoutingRoute, ...], base: _Sol,
                 days: list[int] | None = None) -> _Sol:
    sol = base.copy()
    daysel = set(range(m.T)) if days is None else set(days)
    for key in list(sol.routes):
        if key[1] in daysel:
            sol.routes[key] = []
    used: dict[int, int] = {}
    for r in routes:
        d, vs = enc.vtypes[r.vehicle_type]
        k = used.get(r.vehicle_type, 0)
        used[r.vehicle_type] = k + 1
        v = vs[k]
        sol.routes[(v, d)] = [enc.copies[c][0] for c in r.clients]
    # grouped customers: pattern = visited day
    if days is None:
        vis = _visited_days(sol, m.n)
        for i in range(m.n):
            if m.grouped[i]:
                sol.pattern[i] = (min(vis[i]),) if vis[i] else None
    return sol


# --------------------------------------------------------------------------------------------
# Final exact pass
# --------------------------------------------------------------------------------------------


def _time(m: _Model, v: int, d: int, seq: list[int]) -> Timing | None:
    sh = m.shifts[v][d]
    if sh is None:
        return None
    veh = m.p.vehicles[v]
    if veh.max_visits is not None and len(seq) > veh.max_visits:
        return None
    if veh.capacity is not None and int(m.demand[seq].sum() if seq else 0) > veh.capacity:
        return None
    return time_route(m.p.travel_s, sh, seq, m.service, m.open_[:, d], m.close[:, d])


def _repair_routes(m: _Model, sol: _Sol) -> None:
    for key in sorted(sol.routes):
        v, d = key
        r = sol.routes[key]
        while r and _time(m, v, d, r) is None:
            best = None
            for k in range(len(r)):
                rr = r[:k] + r[k + 1:]
                feas = _time(m, v, d, rr) is not None
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


def _exact_insertion(m: _Model, sol: _Sol, i: int, d: int, *, max_checks: int = 12,
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
            ok = _time(m, v, d, seq) is not None
        if ok:
            return c, (v, d), k
    return COST_CAP, None, -1


def _final_insert(m: _Model, sol: _Sol) -> None:
    vis = _visited_days(sol, m.n)
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
                c, key, k = _exact_insertion(m, sol, i, d)
                if key is not None and (m.must[i] or c < m.prize[i]):
                    sol.routes[key].insert(k, i)
                    vis[i].add(d)
            continue
        # no visit at all: choose the pattern with the best exact insertion
        best = None
        for pat in m.pats[i]:
            tot, plan = 0, []
            for d in pat:
                c, key, k = _exact_insertion(m, sol, i, d) if m.alive[i, d] else (COST_CAP, None, -1)
                if key is not None and (m.must[i] or c < m.prize[i]):
                    tot += c
                    plan.append((key, k))
                else:
                    tot += int(m.prize[i])
            if m.move_pen and _moved(m, i, pat):
                tot += m.move_pen
            if plan and (best is None or tot < best[0]):
                best = (tot, pat, plan)
        if best is not None and best[0] < int(m.prize[i]) * int(req[i]) + (m.move_pen if m.prev_wd[i] >= 0 else 0):
            _, pat, plan = best
            for key, k in plan:
                sol.routes[key].insert(k, i)
                vis[i].add(key[1])
            sol.pattern[i] = pat


def _diagnose(m: _Model, sol: _Sol, i: int, d: int) -> tuple[Reason, str]:
    if not m.alive[i, d]:
        r = m.alone_reason[i, d]
        if r == "opening_hours":
            return "opening_hours", f"closed on day {d}"
        return "unreachable", f"no vehicle working on day {d} can visit it even alone (travel, window or shift)"
    c, key, _ = _exact_insertion(m, sol, i, d, max_checks=40)
    if key is not None:
        val = c / m.scale
        return "low_value", (f"the cheapest insertion costs {val:.6g} travel, more than lam*value = "
                             f"{m.prize_f[i]:.6g}")
    _, key, _ = _exact_insertion(m, sol, i, d, max_checks=40, relax_window=True)
    if key is not None:
        return "opening_hours", f"no route of day {d} passes during its opening hours"
    _, key, _ = _exact_insertion(m, sol, i, d, max_checks=40, relax_load=True)
    if key is not None:
        vv = [m.p.vehicles[v] for v in m.day_vehicles[d]]
        if any(x.capacity is not None for x in vv) and m.demand[i] > 0:
            return "vehicle_capacity", f"every route of day {d} is at its load capacity"
        return "shift_capacity", f"every route of day {d} is at its maximum number of visits"
    return "shift_capacity", f"no route of day {d} has time left in its shift"


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


def _round_iterations(m: _Model, n_copies: int) -> int:
    return int(min(ROUND_MAX, max(200, ROUND_FACTOR * n_copies)))


def solve(
    problem: ScheduleProblem,
    *,
    stop: Stop = DEFAULT_STOP,
    seed: int = 0,
    backend: str = "pyvrp",
    round_iterations: int | None = None,
    workers: int = 1,
) -> ScheduleResult:
    """Choose a visit pattern per customer and daily routes (see module docstring).

    Parameters
    ----------
    problem:
        The calendar instance (:class:`~solvers.schedule.problem.ScheduleProblem`).
    stop:
        Time and/or iteration limit; an iteration is one routing-backend iteration (module doc).
    seed:
        Seed of every random choice (``numpy.random.Generator`` and the backend's seed).
    backend:
        ``"pyvrp"`` (default: whole-horizon routing with day choice by the router) or
        ``"ortools"`` (day-by-day routing; day choice only by pattern moves).
    round_iterations:
        Backend iterations per round (default: ``min(4000, max(200, 2 * copies))``).
    workers:
        Processes for the periodic LNS (independent searches, best kept; see
        :func:`solvers.schedule.periodic.run_periodic`). Other paths use one.

    Returns
    -------
    ScheduleResult
        Routes with exact timings, the chosen pattern per customer, every required visit that
        is not planned with its reason, and statistics (``rounds``, ``iterations``,
        ``pattern_moves``, ``initial_objective``, ``runtime_s``, ...).
    """
    if backend not in ("pyvrp", "ortools"):
        raise ValueError(f"unknown backend {backend!r}")
    clock = stop.clock()
    rng = np.random.default_rng(seed)
    m = _build_model(problem, backend)
    req = np.asarray(problem.required)
    movable = [i for i in range(m.n) if not m.grouped[i] and req[i] > 0 and len(m.pats[i]) > 1]
    searchable = movable  # day-flexible single-visit customers are moved by the router
    enc = _Encoder(m)
    sol = _construct(m, rng)
    sol.obj = _objective(m, sol)
    initial_obj = sol.obj
    best = sol.copy()
    current = best
    has_best_feasible = False
    rounds = 0
    iterations = 0
    moves = 0
    evals = 0
    accepted = 0
    t_final_reserve = 0.0 if stop.time_limit_s is None else min(0.1 * stop.time_limit_s, 5.0)
    n_clients = 0
    if backend == "pyvrp" and not enc.soft and m.n > 0:
        # opening hours do not bind: periodic LNS (module periodic)
        reserve = 0.0 if stop.time_limit_s is None else min(0.02 * stop.time_limit_s, 1.0)
        best, lstats = run_periodic(m, enc, sol, stop=stop, clock=clock, rng=rng, reserve_s=reserve,
                                     workers=workers)
        best.obj = _objective(m, best)
        _repair_routes(m, best)
        _final_insert(m, best)
        return _result(m, best, stats={
            "backend": backend, "method": "periodic_lns", "rounds": 0,
            "iterations": lstats["lns_iterations"], "pattern_moves": lstats["lns_accepted"],
            "initial_objective": initial_obj / m.scale, "router_objective": best.obj / m.scale,
            "runtime_s": clock.elapsed(), "seed": seed, **lstats,
        })
    while True:
        if stop.max_iterations is not None and iterations >= stop.max_iterations:
            break
        remaining = None
        if stop.time_limit_s is not None:
            remaining = stop.time_limit_s - clock.elapsed() - t_final_reserve
            if remaining <= 0.05 and rounds > 0:
                break
            remaining = max(remaining, 0.05)
        cur = current.copy() if rounds > 0 else sol
        if rounds > 0 and searchable:
            deadline = None
            if stop.time_limit_s is not None:
                deadline = time.perf_counter() + 0.5 * remaining
            ap = 0
            while True:  # passes until no improving move (or budget)
                cur, ev, ap1 = _exact_pattern_search(m, enc, cur, rng, searchable, backend, deadline,
                                                     max_evals=PATTERN_EVALS)
                evals += ev
                iterations += ev
                ap += ap1
                if ap1 == 0 or (deadline is not None and time.perf_counter() > deadline):
                    break
                if stop.max_iterations is not None and iterations >= stop.max_iterations:
                    break
            moves += ap
            if ap and cur.obj < best.obj:
                best = cur.copy()
                current = cur.copy()
            if ap == 0:
                moves += _pattern_moves(m, cur, rng, searchable, perturb=int(rng.integers(1, 6)),
                                        force=True)
            if stop.max_iterations is not None and iterations >= stop.max_iterations:
                break
            if stop.time_limit_s is not None:
                remaining = max(stop.time_limit_s - clock.elapsed() - t_final_reserve, 0.05)
        it = round_iterations
        if backend == "pyvrp":
            e = enc.encode(cur)
            n_clients = len(e.problem.clients)
            it = it or _round_iterations(m, n_clients)
            if not searchable:
                # nothing for the pattern search to do: one long routing run keeps the
                # router's penalty and acceptance state
                it = 10**9 if stop.max_iterations is None else stop.max_iterations
            if stop.max_iterations is not None:
                it = min(it, stop.max_iterations - iterations)
            rs = solve_routing(replace(e.problem, initial=_to_routes(e, cur)), seed=int(rng.integers(2**31)),
                               stop=Stop(time_limit_s=remaining, max_iterations=it),
                               params=RoutingParams(backend="pyvrp"))
            used_it = it if rs.stats.iterations is None else rs.stats.iterations
            iterations += max(int(used_it), 1)  # >= 1: the loop ends
            nothing_to_route = n_clients == 0
            feasible = rs.feasible
            new = _from_routes(m, e, rs.routes, cur)
        else:
            feasible = True
            new = cur.copy()
            it = it or 200
            if stop.max_iterations is not None:
                it = min(it, stop.max_iterations - iterations)
            days = [d for d in range(m.T) if any(c for (v, dd), c in cur.routes.items() if dd == d)]
            nothing_to_route = not days
            iterations += 0 if days else 1
            for d in days:
                e = enc.encode(new, days=[d])
                if not e.problem.clients:
                    continue
                per = None if remaining is None else max(remaining / max(len(days), 1), 0.05)
                rs = solve_routing(replace(e.problem, initial=_to_routes(e, new)), seed=0,
                                   params=RoutingParams(backend="ortools"),
                                   stop=Stop(time_limit_s=per, max_iterations=max(it // len(days), 1)))
                if rs.routes or not e.problem.clients:
                    cand = _from_routes(m, e, rs.routes, new, days=[d])
                    if rs.feasible:
                        new = cand
                    else:
                        feasible = False
                iterations += max(it // len(days), 1)
        rounds += 1
        new.obj = _objective(m, new)
        if feasible and (not has_best_feasible or new.obj < best.obj):
            best = new
            has_best_feasible = True
            accepted += 1
        elif not has_best_feasible and rounds == 1:
            best = new
        if not feasible and not has_best_feasible and not enc.soft:
            enc.soft = True  # required visits do not fit: let the router give some up
        # threshold acceptance of the round's result as the next starting point: up to
        # ACCEPT_THRESHOLD worse at the start, decreasing linearly to 0 with the budget used
        if feasible:
            used = clock.elapsed() / stop.time_limit_s if stop.time_limit_s else 0.0
            if stop.max_iterations:
                used = max(used, iterations / stop.max_iterations)
            tau = ACCEPT_THRESHOLD * max(0.0, 1.0 - used)
            if new.obj <= best.obj or new.obj < current.obj * (1.0 + tau):
                current = new
        if has_best_feasible and current.obj > best.obj * (1.0 + ACCEPT_THRESHOLD):
            current = best
        if clock.done() or (nothing_to_route and not movable):
            break
    sol = best
    _repair_routes(m, sol)
    _final_insert(m, sol)
    return _result(m, sol, stats={
        "backend": backend, "rounds": rounds, "iterations": iterations, "pattern_moves": moves,
        "accepted_rounds": accepted, "pattern_evaluations": evals, "initial_objective": initial_obj / m.scale,
        "router_objective": best.obj / m.scale, "runtime_s": clock.elapsed(),
        "routing_clients": n_clients, "seed": seed,
    })


def _result(m: _Model, sol: _Sol, stats: dict) -> ScheduleResult:
    p = m.p
    routes = []
    travel_total = 0
    cost_total = 0.0
    for key in sorted(sol.routes, key=lambda k: (k[1], k[0])):
        v, d = key
        r = sol.routes[key]
        if not r:
            continue
        tm = _time(m, v, d, r)
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
    vis = _visited_days(sol, m.n)
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
        if m.prev_wd[i] >= 0 and _moved(m, i, pat):
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
                reason, msg = _diagnose(m, sol, i, d0)
                msg = f"no pattern assigned ({msg})"
            for _ in range(missing):
                unplanned.append(Unplanned(customer=i, day=None, reason=reason, message=msg))
        else:
            for d in pat:
                if d in vis[i]:
                    continue
                reason, msg = _diagnose(m, sol, i, d)
                unplanned.append(Unplanned(customer=i, day=d, reason=reason, message=msg))
            extra = missing - sum(1 for d in pat if d not in vis[i])
            for _ in range(max(extra, 0)):
                unplanned.append(Unplanned(customer=i, day=None, reason="opening_hours",
                                           message="pattern shorter than the required visits"))
    objective = cost_total + lost_value + m.move_pen_f * moved
    stats = dict(stats)
    stats.update({"travel_cost": cost_total, "unplanned_value": lost_value, "moved_customers": moved,
                  "visits": sum(len(r.stops) for r in routes)})
    return ScheduleResult(status=Status.FEASIBLE, objective=float(objective), travel_s=int(travel_total),
                          routes=tuple(routes), pattern=tuple(patterns), unplanned=tuple(unplanned),
                          stats=stats)

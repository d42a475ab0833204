"""Driver of the periodic visit-calendar solver: pattern choice + daily routing + exact timing.

:func:`solve` builds the model and a first calendar, then runs one of two paths: the periodic
path (:func:`solve_periodic`) or the rounds path (:func:`solve_rounds`).

Method
------
1. **Preprocessing.** For every customer ``i`` and day ``d`` we check whether a visit is possible
   *alone* (depot -> i -> depot of some vehicle working that day, inside shift, window and breaks;
   exact timing). Days where it is not are *dead* (reason ``opening_hours`` if closed, else
   ``unreachable``). (:mod:`.model`)
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
   :mod:`solvers.routing`) and timed exactly at the end. (:mod:`.encoding`)
3. **Construction.** Sequential cheapest insertion (largest frequency first) picks a first pattern
   per customer under a load model (travel + service within the shift, capacity, visit count);
   with a warm start (``problem.initial_days``) the customers whose previous days form one of
   their patterns are placed on those days first. (:mod:`.state`, :mod:`.moves`)
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
   starting point of the next round if it is at most ``accept_threshold`` (0.5 %, decreasing
   linearly to 0 over the budget) worse than the current one (threshold accepting).
   (:func:`solve_rounds`, :mod:`.moves`)
   **When opening hours do not bind** (every window covers the shifts, no breaks: the
   periodic VRP of the literature) and the backend is PyVRP, step 4 is replaced by the periodic
   large-neighbourhood search of :mod:`solvers.schedule.periodic` (:func:`solve_periodic`;
   remove customers with all
   their visits, reinsert each on its cheapest allowed pattern, one PyVRP descent per changed
   day, simulated annealing; then PyVRP's iterated local search on the whole horizon, where a
   customer visited once on any day of a range is one client free to change day;
   :mod:`solvers.schedule.horizon`). On the
   Cordeau PVRP set at 60 s it brought the mean gap to the best known values from 2.37 % to
   below 1 % (``python -m benchmarks.pvrp``; figures in ``benchmarks/RESULTS.md``).
5. **Final exact pass.** Every route is timed exactly with breaks (:mod:`.timing`); a route that
   cannot be timed loses stops (least lateness first) until it can; then every visit still
   missing is inserted where the exact timing allows and its travel costs less than its prize;
   each visit still missing gets a reason. (:mod:`.finish`)

Iterations
----------
``Stop.max_iterations`` counts routing-backend iterations summed over all rounds (PyVRP: one
perturbation + local search of its iterated local search; OR-Tools: one accepted solution) plus
one per exactly evaluated pattern move. A round uses ``ScheduleParams.round_iterations`` backend
iterations, so the same seed and iteration limit give the same calendar. With a time
limit the number of rounds (and the pattern search, which also stops at half the remaining
time) depends on the machine. In the periodic LNS an iteration is one remove-reinsert-descend
step (see :mod:`solvers.schedule.periodic`).
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from solvers import routing
from solvers.common import Stop, StopClock
from solvers.routing import RoutingParams
from solvers.schedule.encoding import Encoder, from_routes, to_routes
from solvers.schedule.finish import build_result, final_insert, repair_routes
from solvers.schedule.model import Model, build_model
from solvers.schedule.moves import construct, exact_pattern_search, pattern_moves
from solvers.schedule.params import ScheduleParams
from solvers.schedule.periodic import run_periodic
from solvers.schedule.problem import ScheduleProblem, ScheduleResult, ScheduleStats
from solvers.schedule.state import Solution, objective


def solve(
    problem: ScheduleProblem, *, stop: Stop, seed: int, params: ScheduleParams | None = None
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
    params:
        Backend, workers and tuning values (:class:`~solvers.schedule.params.ScheduleParams`;
        default: PyVRP, one worker).

    Returns
    -------
    ScheduleResult
        Routes with exact timings, the chosen pattern per customer, every required visit that
        is not planned with its reason, and statistics (:class:`ScheduleStats`: ``rounds``,
        ``iterations``, ``pattern_moves``, ``initial_objective``, ``runtime_s``, ...).
    """
    params = params or ScheduleParams()
    if params.backend not in ("pyvrp", "ortools"):
        raise ValueError(f"unknown backend {params.backend!r}")
    clock = stop.clock()
    rng = np.random.default_rng(seed)
    m = build_model(problem, params)
    enc = Encoder(m, master_neighbours=params.master_neighbours)
    sol = construct(m, rng)
    sol.obj = objective(m, sol)
    if params.backend == "pyvrp" and not enc.soft and m.n > 0:
        # opening hours do not bind: periodic LNS (module periodic)
        return solve_periodic(m, enc, sol, stop=stop, clock=clock, rng=rng, seed=seed, params=params)
    return solve_rounds(m, enc, sol, stop=stop, clock=clock, rng=rng, seed=seed, params=params)


def solve_periodic(m: Model, enc: Encoder, sol: Solution, *, stop: Stop, clock: StopClock,
                   rng: np.random.Generator, seed: int, params: ScheduleParams) -> ScheduleResult:
    """The periodic path: the periodic LNS and the whole-horizon ILS
    (:func:`solvers.schedule.periodic.run_periodic`) from ``sol``, then the final exact pass."""
    initial_obj = sol.obj
    reserve = 0.0 if stop.time_limit_s is None else min(0.02 * stop.time_limit_s, 1.0)
    best, ls = run_periodic(m, enc, sol, stop=stop, clock=clock, rng=rng, reserve_s=reserve,
                            workers=params.workers, params=params.periodic)
    best.obj = objective(m, best)
    repair_routes(m, best)
    final_insert(m, best)
    return build_result(m, best, stats=ScheduleStats(
        backend=params.backend, method="periodic_lns", rounds=0,
        iterations=ls.lns_iterations, pattern_moves=ls.lns_accepted,
        initial_objective=initial_obj / m.scale, router_objective=best.obj / m.scale,
        runtime_s=clock.elapsed(), seed=seed,
        lns_iterations=ls.lns_iterations, lns_accepted=ls.lns_accepted, lns_improvements=ls.lns_improvements,
        lns_best=ls.lns_best, penalty_factor=ls.penalty_factor, workers=ls.workers,
        worker_best=ls.worker_best, worker_objectives=ls.worker_objectives,
        worker_penalty_factors=ls.worker_penalty_factors,
    ))


def _round_iterations(n_copies: int, params: ScheduleParams) -> int:
    return int(min(params.round_max, max(200, params.round_factor * n_copies)))


def solve_rounds(m: Model, enc: Encoder, sol: Solution, *, stop: Stop, clock: StopClock,
                 rng: np.random.Generator, seed: int, params: ScheduleParams) -> ScheduleResult:
    """The rounds path (module docstring, step 4) from the first calendar ``sol``, then the
    final exact pass."""
    backend = params.backend
    req = np.asarray(m.p.required)
    movable = [i for i in range(m.n) if not m.grouped[i] and req[i] > 0 and len(m.pats[i]) > 1]
    searchable = movable  # day-flexible single-visit customers are moved by the router
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
    gain_mark, last_gain, stalled = float("inf"), 0, False
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
                cur, ev, ap1 = exact_pattern_search(m, enc, cur, rng, searchable, params, deadline)
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
                moves += pattern_moves(m, cur, rng, searchable, perturb=int(rng.integers(1, 6)),
                                       force=True)
            if stop.max_iterations is not None and iterations >= stop.max_iterations:
                break
            if stop.time_limit_s is not None:
                remaining = max(stop.time_limit_s - clock.elapsed() - t_final_reserve, 0.05)
        if backend == "pyvrp":
            new, feasible, route_its, n_clients = _route_whole_horizon(
                m, enc, cur, stop=stop, done_iterations=iterations, remaining=remaining,
                long_run=not searchable, rng=rng, params=params)
            nothing_to_route = n_clients == 0
        else:
            new, feasible, route_its, nothing_to_route = _route_day_by_day(
                m, enc, cur, stop=stop, done_iterations=iterations, remaining=remaining, params=params)
        iterations += route_its
        rounds += 1
        new.obj = objective(m, new)
        if feasible and (not has_best_feasible or new.obj < best.obj):
            best = new
            has_best_feasible = True
            accepted += 1
        elif not has_best_feasible and rounds == 1:
            best = new
        if not feasible and not has_best_feasible and not enc.soft:
            enc.soft = True  # required visits do not fit: let the router give some up
        # threshold acceptance of the round's result as the next starting point: up to
        # accept_threshold worse at the start, decreasing linearly to 0 with the budget used
        if feasible:
            used = clock.elapsed() / stop.time_limit_s if stop.time_limit_s else 0.0
            if stop.max_iterations:
                used = max(used, iterations / stop.max_iterations)
            tau = params.accept_threshold * max(0.0, 1.0 - used)
            if new.obj <= best.obj or new.obj < current.obj * (1.0 + tau):
                current = new
        if has_best_feasible and current.obj > best.obj * (1.0 + params.accept_threshold):
            current = best
        if has_best_feasible and best.obj < gain_mark * (1.0 - params.stall_tolerance):
            gain_mark, last_gain = best.obj, rounds
        if clock.done() or (nothing_to_route and not movable):
            break
        if params.stall_rounds is not None and rounds >= 2 and rounds - last_gain >= params.stall_rounds:
            stalled = True  # the calendar stopped improving: no need to use the rest of the budget
            break
    sol = best
    repair_routes(m, sol)
    final_insert(m, sol)
    return build_result(m, sol, stats=ScheduleStats(
        backend=backend, rounds=rounds, iterations=iterations, pattern_moves=moves,
        accepted_rounds=accepted, pattern_evaluations=evals, initial_objective=initial_obj / m.scale,
        router_objective=best.obj / m.scale, runtime_s=clock.elapsed(),
        routing_clients=n_clients, seed=seed, stalled=stalled,
    ))


def _route_whole_horizon(m: Model, enc: Encoder, cur: Solution, *, stop: Stop, done_iterations: int,
                         remaining: float | None, long_run: bool, rng: np.random.Generator,
                         params: ScheduleParams) -> tuple[Solution, bool, int, int]:
    """Step (b) of a round with PyVRP: the whole calendar as one routing problem, warm-started
    from ``cur``, for a round's iterations (all that are left when ``long_run``: nothing for the
    pattern search to do). Returns ``(calendar, feasible, iterations used (>= 1), clients)``."""
    e = enc.encode(cur)
    n_clients = len(e.problem.clients)
    it = params.round_iterations or _round_iterations(n_clients, params)
    if long_run:
        # one long routing run keeps the router's penalty and acceptance state
        it = 10**9 if stop.max_iterations is None else stop.max_iterations
    if stop.max_iterations is not None:
        it = min(it, stop.max_iterations - done_iterations)
    rs = routing.solve(replace(e.problem, initial=to_routes(e, cur)),
                       stop=Stop(time_limit_s=remaining, max_iterations=it),
                       seed=int(rng.integers(2**31)), params=RoutingParams(backend="pyvrp"))
    used_it = it if rs.stats.iterations is None else rs.stats.iterations
    used = max(int(used_it), 1)  # >= 1: the loop ends
    return from_routes(m, e, rs.routes, cur), rs.feasible, used, n_clients


def _route_day_by_day(m: Model, enc: Encoder, cur: Solution, *, stop: Stop, done_iterations: int,
                      remaining: float | None, params: ScheduleParams) -> tuple[Solution, bool, int, bool]:
    """Step (b) of a round with OR-Tools: each day with visits routed on its own, warm-started,
    sharing the round's iterations and time. Returns ``(calendar, feasible, iterations used,
    nothing to route)``."""
    feasible = True
    new = cur.copy()
    it = params.round_iterations or 200
    if stop.max_iterations is not None:
        it = min(it, stop.max_iterations - done_iterations)
    days = [d for d in range(m.T) if any(c for (v, dd), c in cur.routes.items() if dd == d)]
    used = 0 if days else 1
    for d in days:
        e = enc.encode(new, days=[d])
        if not e.problem.clients:
            continue
        per = None if remaining is None else max(remaining / max(len(days), 1), 0.05)
        rs = routing.solve(replace(e.problem, initial=to_routes(e, new)),
                           stop=Stop(time_limit_s=per, max_iterations=max(it // len(days), 1)),
                           seed=0, params=RoutingParams(backend="ortools"))
        if rs.routes or not e.problem.clients:
            cand = from_routes(m, e, rs.routes, new, days=[d])
            if rs.feasible:
                new = cand
            else:
                feasible = False
        used += max(it // len(days), 1)
    return new, feasible, used, not days

"""Construction and pattern moves of the rounds path.

* :func:`construct`: sequential cheapest insertion (largest frequency first) picks a first
  pattern per customer under the load model (travel + service within the shift, capacity,
  visit count).
* :func:`pattern_moves`: greedy improving pattern changes by the insertion estimate, else a few
  random customers moved to their best other pattern (perturbation).
* :func:`exact_pattern_search`: moves (a customer taking another allowed pattern, or two
  customers exchanging patterns) ranked by the estimate and, best first, evaluated exactly:
  the visits are moved, day-flexible customers are ejected from days that became overfull
  (:func:`eject`), every changed day is re-optimised by one local-search descent of the routing
  backend, and the move is kept if the objective decreases.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from solvers.routing import RoutingParams, improve_routes
from solvers.schedule.encoding import Encoder, from_routes, to_routes
from solvers.schedule.model import Model
from solvers.schedule.params import ScheduleParams
from solvers.schedule.state import (
    Loads,
    Solution,
    apply_pattern,
    objective,
    pattern_cost,
    visit_routes,
)


def construct(m: Model, rng: np.random.Generator) -> Solution:
    """First calendar: customers by decreasing frequency, then prize (ties random), each on the
    pattern of least estimated cost under nearly hard load limits (``m.hard_factor``). With a warm
    start (``problem.initial_days``) the customers whose previous days form one of their patterns
    are placed first, on those days, in the same order; the others follow as above."""
    sol = Solution(routes={(v, d): [] for d in range(m.T) for v in m.day_vehicles[d]},
                   pattern=[None] * m.n)
    ld = Loads(m, sol, factor=m.hard_factor)
    req = np.asarray(m.p.required)
    warm = [None] * m.n
    if m.p.initial_days is not None:
        for i, days in enumerate(m.p.initial_days):
            pat = tuple(sorted(int(d) for d in days))
            if pat and pat in m.pats[i]:
                warm[i] = pat
    order = sorted(range(m.n), key=lambda i: (warm[i] is None, -int(req[i]), -int(m.prize[i]), float(rng.random())))
    for i in order:
        if req[i] == 0 or not m.pats[i]:
            continue
        best, bestp = None, warm[i]
        if bestp is None:
            for pat in m.pats[i]:
                c = pattern_cost(m, ld, i, pat, {}, {})
                if best is None or c < best:
                    best, bestp = c, pat
        apply_pattern(m, ld, sol, i, bestp, {})
    return sol


def pattern_moves(m: Model, sol: Solution, rng: np.random.Generator, movable: list[int],
                  perturb: int, force: bool = False) -> int:
    """Greedy improving pattern changes (estimated); else (or if ``force``) ``perturb`` random
    customers moved to their best other pattern (perturbation)."""
    ld = Loads(m, sol)
    where = visit_routes(sol, m.n)
    cands = []
    for i in movable:
        cache: dict[int, int] = {}
        cur = pattern_cost(m, ld, i, sol.pattern[i], where[i], cache)
        best, bestp = None, None
        for pat in m.pats[i]:
            if pat == sol.pattern[i]:
                continue
            c = pattern_cost(m, ld, i, pat, where[i], cache)
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
        where = visit_routes(sol, m.n)
        cache = {}
        cur = pattern_cost(m, ld, i, sol.pattern[i], where[i], cache)
        best, bestp = None, None
        for pat in m.pats[i]:
            if pat == sol.pattern[i]:
                continue
            c = pattern_cost(m, ld, i, pat, where[i], cache)
            if best is None or c < best:
                best, bestp = c, pat
        if best is not None and best - cur < 0:
            apply_pattern(m, ld, sol, i, bestp, where[i])
            applied += 1
    if applied == 0 and cands and perturb > 0:
        k = min(perturb, len(cands))
        idx = rng.choice(len(cands), size=k, replace=False)
        for j in sorted(int(x) for x in idx):
            _, _, i, pat = cands[j]
            where = visit_routes(sol, m.n)
            apply_pattern(m, ld, sol, i, pat, where[i])
            applied += 1
    return applied


def exact_pattern_search(m: Model, enc: Encoder, sol: Solution, rng: np.random.Generator,
                         movable: list[int], params: ScheduleParams,
                         deadline: float | None) -> tuple[Solution, int, int]:
    """First-improvement pattern changes, each evaluated by re-optimising the affected days.

    Candidates (customer, pattern) are ranked by the insertion estimate; for each, the days whose
    visits change are rebuilt (removal, cheapest insertion) and improved by one local-search
    descent of the backend; the change is kept if the exact objective decreases. At most
    ``params.pattern_evals`` evaluations; exchanges with the ``params.swap_neighbours`` nearest
    holders of the other pattern; stops at an estimate above ``params.est_slack`` mean arcs.
    Returns (solution, evaluations, applied).
    """
    ld = Loads(m, sol)
    ld0 = Loads(m, sol, factor=0.0)
    where = visit_routes(sol, m.n)
    cands: list[tuple[float, float, tuple[tuple[int, tuple[int, ...]], ...]]] = []
    raw: dict[tuple[int, tuple[int, ...]], int] = {}
    for i in movable:
        cache: dict[int, int] = {}
        cache0: dict[int, int] = {}
        cur = pattern_cost(m, ld, i, sol.pattern[i], where[i], cache)
        cur0 = pattern_cost(m, ld0, i, sol.pattern[i], where[i], cache0)
        for pat in m.pats[i]:
            if pat == sol.pattern[i]:
                continue
            c = pattern_cost(m, ld, i, pat, where[i], cache)
            cands.append((c - cur, float(rng.random()), ((i, pat),)))
            raw[(i, pat)] = pattern_cost(m, ld0, i, pat, where[i], cache0) - cur0
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
            for j in js2[:params.swap_neighbours]:
                if i < j or (j, pi) not in raw:
                    est = raw[(i, q)] + raw[(j, pi)]
                    cands.append((est, float(rng.random()), ((i, q), (j, pi))))
    cands.sort()
    evals = applied = 0
    n_arcs = sum(len(r) + 1 for r in sol.routes.values() if r)
    arc = objective(m, sol) / max(n_arcs, 1)
    rparams = RoutingParams(backend=params.backend)
    for est, _, move in cands[:params.pattern_evals]:
        if deadline is not None and time.perf_counter() > deadline:
            break
        if est > params.est_slack * arc:
            break  # the rest cannot plausibly improve after re-optimisation
        if any(pat == sol.pattern[i] for i, pat in move):
            continue
        evals += 1
        trial = sol.copy()
        tl = Loads(m, trial)
        before = visit_routes(trial, m.n)
        for i, pat in move:
            apply_pattern(m, tl, trial, i, pat, visit_routes(trial, m.n)[i])
        after = visit_routes(trial, m.n)
        changed_set = {d for i, _ in move for d in set(before[i]) ^ set(after[i])}
        for d in sorted(changed_set):
            changed_set |= eject(m, tl, trial, d, {i for i, _ in move})
        changed = sorted(changed_set)
        ok = True
        for d in changed:
            e = enc.encode(trial, days=[d])
            if not e.problem.clients:
                continue
            rs = improve_routes(replace(e.problem, initial=to_routes(e, trial)),
                                seed=int(rng.integers(2**31)), params=rparams)
            if not rs.feasible:
                ok = False
                break
            trial = from_routes(m, e, rs.routes, trial, days=[d])
        if not ok:
            continue
        trial.obj = objective(m, trial)
        if trial.obj < sol.obj:
            sol = trial
            applied += 1
    return sol, evals, applied


def day_excess(m: Model, ld: Loads, d: int) -> float:
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


def eject(m: Model, ld: Loads, sol: Solution, d: int, fixed: set[int]) -> set[int]:
    """Move day-flexible (single-visit) customers off an overfull day ``d``; returns the days
    that received them."""
    out: set[int] = set()
    for _ in range(8):
        if day_excess(m, ld, d) <= 0:
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

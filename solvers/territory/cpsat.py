"""CP-SAT model of the cut-edges districting problem (small graphs): LNS, improvement, proof.

Formulation
-----------
Over a set of units ``U`` (all units, or the units of a few territories ``J`` re-optimised
together while the others stay fixed): binary ``x[i, j]`` (unit ``i`` in territory ``j``),
``sum_j x[i, j] = 1``; balance ``ceil(T_jm (1 - tol_m)) <= sum_i a[i, m] x[i, j] <=
floor(T_jm (1 + tol_m))`` for integral measures (scaled by 1000 and rounded otherwise); cut
indicator ``y_e >= x[u, j] - x[v, j]`` and ``y_e >= x[v, j] - x[u, j]`` for the edges inside
``U`` (edges leaving ``U`` are cut whatever happens inside); minimise ``sum_e y_e``.
Contiguity by a single-commodity flow per territory: root ``r[i, j] <= x[i, j]`` with
``sum_i r[i, j] = 1``, arc flows ``0 <= f[u->v, j] <= (|U| - 1) x[u, j]`` (and ``x[v, j]``),
and for each unit ``inflow - outflow >= x[i, j] - |U| r[i, j]``: every non-root unit of a
territory is fed from its root through units of the same territory (in a sub-problem the root
of each territory is fixed to its deepest unit). Symmetry (whole problem, no locks): the root is the territory's smallest unit index and roots increase with ``j``.
Locks fix ``x``. The current plan is given as a hint.
"""

from __future__ import annotations

import math

import numpy as np
from ortools.sat.python import cp_model

from solvers.territory.model import Model


def solve_cut_cpsat(
    model: Model,
    hint: np.ndarray | None,
    time_limit_s: float,
    seed: int = 0,
    workers: int = 2,
    terr: list[int] | None = None,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray | None, float, bool, float]:
    """Solve the whole problem (``terr=None``) or re-optimise the territories ``terr`` of
    ``hint`` (the others fixed). Returns ``(assignment or None, objective over the
    re-optimised edges, proven_optimal, best_bound)``; the assignment is the full plan. With
    ``terr`` the root of each territory is fixed to one of its deepest units (the deepest, or a
    random one of depth >= max - 1 if ``rng`` is given)."""
    import time

    t_build = time.perf_counter()
    full = terr is None
    if full:
        units = np.arange(model.n)
        tl = list(range(model.k))
    else:
        assert hint is not None
        tl = sorted(terr)
        units = np.flatnonzero(np.isin(hint, tl))
    n, k = len(units), len(tl)
    loc = {int(u): i for i, u in enumerate(units.tolist())}
    e = model.graph.edges
    inside = np.isin(e[:, 0], units) & np.isin(e[:, 1], units)
    le = [(loc[u], loc[v]) for u, v in e[inside].tolist()]
    nbrs: list[list[int]] = [[] for _ in range(n)]
    for u, v in le:
        nbrs[u].append(v)
        nbrs[v].append(u)
    m = cp_model.CpModel()
    x = [[m.new_bool_var(f"x{i}_{j}") for j in range(k)] for i in range(n)]
    locked = model.locked[units]
    any_lock = bool(np.any(locked >= 0))
    for i in range(n):
        m.add_exactly_one(x[i])
        if locked[i] >= 0:
            if int(locked[i]) not in tl:
                return None, math.inf, False, math.inf
            m.add(x[i][tl.index(int(locked[i]))] == 1)
    for mi in range(model.m):
        if not model.bal[mi]:
            continue
        col = model.a[units, mi]
        integral = np.allclose(model.a[:, mi], np.rint(model.a[:, mi]))
        sc = 1.0 if integral else 1000.0
        coef = np.rint(col * sc).astype(np.int64)
        for jj, j in enumerate(tl):
            t = model.target[j, mi] * sc
            lo = math.ceil(t * (1 - model.tol[mi]) - 1e-9)
            hi = math.floor(t * (1 + model.tol[mi]) + 1e-9)
            expr = sum(int(coef[i]) * x[i][jj] for i in range(n) if coef[i])
            m.add_linear_constraint(expr, lo, hi)
    y = []
    for u, v in le:
        ye = m.new_bool_var(f"y{u}_{v}")
        for j in range(k):
            m.add(ye >= x[u][j] - x[v][j])
            m.add(ye >= x[v][j] - x[u][j])
        y.append(ye)
    m.minimize(sum(y))
    sym = full and not any_lock
    fixed_root = None if full or hint is None else _deepest_units(model, hint, tl, loc, rng)
    if model.p.contiguous:
        roots = []
        for j in range(k):
            if fixed_root is not None:
                # sub-problem: the territory keeps its deepest unit (fewer symmetric roots)
                r = [m.new_constant(1 if i == fixed_root[j] else 0) for i in range(n)]
            else:
                r = [m.new_bool_var(f"r{i}_{j}") for i in range(n)]
            m.add_exactly_one(r)
            for i in range(n):
                m.add_implication(r[i], x[i][j])
                if sym:
                    for i2 in range(i):
                        m.add_implication(r[i], x[i2][j].Not())
            f = {}
            for u in range(n):
                for v in nbrs[u]:
                    fv = m.new_int_var(0, n - 1, f"f{u}_{v}_{j}")
                    m.add(fv <= (n - 1) * x[u][j])
                    m.add(fv <= (n - 1) * x[v][j])
                    f[(u, v)] = fv
            for i in range(n):
                inflow = sum(f[(v, i)] for v in nbrs[i])
                outflow = sum(f[(i, v)] for v in nbrs[i])
                m.add(inflow - outflow >= x[i][j] - n * r[i])
            roots.append(sum(i * r[i] for i in range(n)))
        if sym:
            for j in range(k - 1):
                m.add(roots[j] < roots[j + 1])
    relabel = {t: jj for jj, t in enumerate(tl)}
    if hint is not None:
        h = hint[units]
        if sym:
            firsts = sorted(tl, key=lambda t: int(np.flatnonzero(h == t).min()) if np.any(h == t) else n)
            relabel = {t: jj for jj, t in enumerate(firsts)}
        for i in range(n):
            for jj in range(k):
                m.add_hint(x[i][jj], int(relabel.get(int(h[i]), -1) == jj))
    solver = cp_model.CpSolver()
    # the model building time counts against the limit
    solver.parameters.max_time_in_seconds = max(time_limit_s - (time.perf_counter() - t_build), 0.05)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = int(seed)
    st = solver.solve(m)
    if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        bound = math.inf if st == cp_model.INFEASIBLE else float(solver.best_objective_bound)
        return None, math.inf, False, bound
    out = np.zeros(model.n, np.int64) if hint is None else hint.copy()
    lab = np.array([next(jj for jj in range(k) if solver.boolean_value(x[i][jj])) for i in range(n)])
    if sym:
        out[units] = lab  # labels follow the symmetry order
    else:
        out[units] = np.array(tl)[lab]
    return out, float(solver.objective_value), st == cp_model.OPTIMAL, float(solver.best_objective_bound)


def _deepest_units(model: Model, x: np.ndarray, tl: list[int], loc: dict[int, int],
                   rng: np.random.Generator | None) -> list[int]:
    """Per territory of ``tl``: local index of its unit farthest (in edges) from any other
    territory (ties: smallest index), or with ``rng`` a random unit of depth >= max - 1."""
    from collections import deque

    nb = model.graph.nbrs
    out = []
    for j in tl:
        mem = np.flatnonzero(x == j)
        ms = set(mem.tolist())
        dist = {u: 0 for u in mem.tolist() if any(v not in ms for v in nb[u])}
        if not dist:
            dist = {int(mem[0]): 0}
        dq = deque(sorted(dist))
        while dq:
            u = dq.popleft()
            for v in nb[u]:
                if v in ms and v not in dist:
                    dist[v] = dist[u] + 1
                    dq.append(v)
        top = max(dist.values())
        if rng is None:
            best = min(u for u in dist if dist[u] == top)
        else:
            deep = sorted(u for u in dist if dist[u] >= top - 1)
            best = deep[int(rng.integers(len(deep)))]
        out.append(loc[best])
    return out

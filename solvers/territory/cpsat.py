"""CP-SAT model of the cut-edges districting problem (small graphs): improvement and proof.

Formulation
-----------
Binary ``x[i, j]`` (unit ``i`` in territory ``j``), ``sum_j x[i, j] = 1``; balance
``ceil(T_jm (1 - tol_m)) <= sum_i a[i, m] x[i, j] <= floor(T_jm (1 + tol_m))`` for integral
measures (scaled by 1000 and rounded otherwise); cut indicator ``y_e >= x[u, j] - x[v, j]``
and ``y_e >= x[v, j] - x[u, j]``; minimise ``sum_e y_e``. Contiguity by a single-commodity
flow per territory: root ``r[i, j] <= x[i, j]`` with ``sum_i r[i, j] = 1``, arc flows
``0 <= f[u->v, j] <= (n - 1) x[u, j]`` (and ``x[v, j]``), and for each unit ``inflow - outflow
>= x[i, j] - n r[i, j]``: every non-root unit of a territory is fed from its root through
units of the same territory. Symmetry (no locks): the root is the territory's smallest unit
index and roots increase with ``j`` (only when all territories have the same targets).
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
) -> tuple[np.ndarray | None, float, bool, float]:
    """Solve the problem, hinted by ``hint`` if given. Returns ``(assignment or None,
    cut edges, proven_optimal, best_bound)``."""
    import time

    t_build = time.perf_counter()
    n, k = model.n, model.k
    le = [(int(u), int(v)) for u, v in model.graph.edges.tolist()]
    nbrs: list[list[int]] = [[] for _ in range(n)]
    for u, v in le:
        nbrs[u].append(v)
        nbrs[v].append(u)
    m = cp_model.CpModel()
    x = [[m.new_bool_var(f"x{i}_{j}") for j in range(k)] for i in range(n)]
    locked = model.locked
    any_lock = bool(np.any(locked >= 0))
    for i in range(n):
        m.add_exactly_one(x[i])
        if locked[i] >= 0:
            m.add(x[i][int(locked[i])] == 1)
    for mi in range(model.m):
        if not model.bal[mi]:
            continue
        col = model.a[:, mi]
        integral = np.allclose(model.a[:, mi], np.rint(model.a[:, mi]))
        sc = 1.0 if integral else 1000.0
        coef = np.rint(col * sc).astype(np.int64)
        for j in range(k):
            t = model.target[j, mi] * sc
            lo = math.ceil(t * (1 - model.tol[mi]) - 1e-9)
            hi = math.floor(t * (1 + model.tol[mi]) + 1e-9)
            expr = sum(int(coef[i]) * x[i][j] for i in range(n) if coef[i])
            m.add_linear_constraint(expr, lo, hi)
    y = []
    for u, v in le:
        ye = m.new_bool_var(f"y{u}_{v}")
        for j in range(k):
            m.add(ye >= x[u][j] - x[v][j])
            m.add(ye >= x[v][j] - x[u][j])
        y.append(ye)
    m.minimize(sum(y))
    # root symmetry breaking only when territories are interchangeable
    sym = not any_lock and bool(np.allclose(model.target, model.target[:1]))
    if model.p.contiguous:
        roots = []
        for j in range(k):
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
    relabel = {t: t for t in range(k)}
    if hint is not None:
        h = hint
        if sym:
            firsts = sorted(range(k), key=lambda t: int(np.flatnonzero(h == t).min()) if np.any(h == t) else n)
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
    # labels follow the symmetry order (or the locks)
    out = np.array([next(jj for jj in range(k) if solver.boolean_value(x[i][jj])) for i in range(n)], np.int64)
    return out, float(solver.objective_value), st == cp_model.OPTIMAL, float(solver.best_objective_bound)

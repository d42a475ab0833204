"""CP-SAT model of the cut-edges districting problem (small graphs): improvement and proof.

Formulation
-----------
Binary ``x[i, j]`` (unit ``i`` in territory ``j``), ``sum_j x[i, j] = 1``; balance
``ceil(T_jm (1 - tol_m)) <= sum_i a[i, m] x[i, j] <= floor(T_jm (1 + tol_m))`` for integral
measures (scaled by 1000 and rounded otherwise); cut indicator ``y_e >= x[u, j] - x[v, j]``
and ``y_e >= x[v, j] - x[u, j]``; minimise ``sum_e y_e``. Contiguity by a single-commodity
flow per territory: root ``r[i, j] <= x[i, j]`` with ``sum_i r[i, j] = 1``, arc flows
``0 <= f[u->v, j] <= (n - 1) x[u, j]`` (and ``x[v, j]``), and for each unit
``inflow - outflow >= x[i, j] - n r[i, j]``, so every non-root unit of a territory is fed from
its root through units of the same territory. Symmetry: the root is the territory's smallest
unit index and roots increase with ``j``. Locks fix ``x``. A heuristic plan is given as hint.
"""

from __future__ import annotations

import math

import numpy as np
from ortools.sat.python import cp_model

from solvers.territory.model import Model


def solve_cut_cpsat(
    model: Model, hint: np.ndarray | None, time_limit_s: float, seed: int = 0, workers: int = 2
) -> tuple[np.ndarray | None, float, bool, float]:
    """Returns ``(assignment or None, objective, proven_optimal, best_bound)``."""
    n, k = model.n, model.k
    e = model.graph.edges
    m = cp_model.CpModel()
    x = [[m.new_bool_var(f"x{i}_{j}") for j in range(k)] for i in range(n)]
    for i in range(n):
        m.add_exactly_one(x[i])
        if model.locked[i] >= 0:
            m.add(x[i][int(model.locked[i])] == 1)
    for mi in range(model.m):
        if not model.bal[mi]:
            continue
        col = model.a[:, mi]
        integral = np.allclose(col, np.rint(col))
        sc = 1.0 if integral else 1000.0
        coef = np.rint(col * sc).astype(np.int64)
        for j in range(k):
            t = model.target[j, mi] * sc
            lo = math.ceil(t * (1 - model.tol[mi]) - 1e-9)
            hi = math.floor(t * (1 + model.tol[mi]) + 1e-9)
            expr = sum(int(coef[i]) * x[i][j] for i in range(n) if coef[i])
            m.add_linear_constraint(expr, lo, hi)
    y = []
    for u, v in e.tolist():
        ye = m.new_bool_var(f"y{u}_{v}")
        for j in range(k):
            m.add(ye >= x[u][j] - x[v][j])
            m.add(ye >= x[v][j] - x[u][j])
        y.append(ye)
    m.minimize(sum(y))
    if model.p.contiguous:
        nbrs = model.graph.nbrs
        any_lock = bool(np.any(model.locked >= 0))
        for j in range(k):
            r = [m.new_bool_var(f"r{i}_{j}") for i in range(n)]
            m.add_exactly_one(r)
            for i in range(n):
                m.add_implication(r[i], x[i][j])
                if not any_lock:
                    # root = smallest index of the territory
                    for i2 in range(i):
                        m.add_implication(r[i], x[i2][j].Not())
            if not any_lock and j == 0:
                m.add(r[0] == 1)
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
            if not any_lock:
                model_roots = getattr(m, "_roots", [])
                model_roots.append(sum(i * r[i] for i in range(n)))
                m._roots = model_roots  # type: ignore[attr-defined]
        if not any_lock:
            roots = m._roots  # type: ignore[attr-defined]
            for j in range(k - 1):
                m.add(roots[j] < roots[j + 1])
    if hint is not None:
        # relabel the hint so that territories are ordered by their smallest unit
        firsts = sorted(range(k), key=lambda t: int(np.flatnonzero(hint == t).min()) if np.any(hint == t) else n)
        relabel = {t: j for j, t in enumerate(firsts)}
        if np.any(model.locked >= 0):
            relabel = {t: t for t in range(k)}
        h = np.array([relabel[int(t)] for t in hint])
        for i in range(n):
            for j in range(k):
                m.add_hint(x[i][j], int(h[i] == j))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(time_limit_s, 0.1)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = int(seed)
    st = solver.solve(m)
    if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, math.inf, False, float(solver.best_objective_bound) if st != cp_model.INFEASIBLE else math.inf
    out = np.array([next(j for j in range(k) if solver.boolean_value(x[i][j])) for i in range(n)])
    return out, float(solver.objective_value), st == cp_model.OPTIMAL, float(solver.best_objective_bound)

"""Large-neighbourhood search with an exact sub-solver (CP-SAT) for the cut-edges objective.

A step frees a region of the current plan and re-optimises it exactly, the rest fixed:

* *band*: a cut edge picks two adjacent territories ``a`` and ``b``; the free units are the
  units of ``a`` and ``b`` nearest (in hops) to their common boundary, up to ``size`` units;
* *ball*: a cut edge picks a centre; the free units are the ``size`` units nearest to it (any
  territory), and the territories present in the ball take part.

Sub-problem (territories ``D`` taking part, free units ``F``, fixed units keep their
territory): binary ``y[u, j]`` for ``u`` in ``F``, ``j`` in ``D``, ``sum_j y[u, j] = 1``;
balance ``lo_j <= A_j(fixed) + sum_u a_u y[u, j] <= hi_j`` for every balanced measure;
minimise the cut edges that touch ``F``: ``1 - y[u, x_v]`` for an edge from free ``u`` to
fixed ``v`` of ``D``, ``z_e >= |y[u, j] - y[v, j]|`` for an edge of two free units.
Contiguity of each ``j`` in ``D`` by a single-commodity flow on the graph whose nodes are the
free units and the connected pieces of ``j``'s fixed units: the largest piece is the root,
every other piece and every free unit with ``y[u, j] = 1`` consumes one unit of flow, and arcs
carry flow only between nodes of ``j``. Each ``j`` keeps at least one fixed unit (a district
inside the region keeps one unit fixed). The current plan is a feasible hint, so the
sub-problem's optimum never has more cut edges: a step never worsens the plan and keeps the
bounds, the locks (locked units are never free) and contiguity.

The sub-solver runs with one worker and a deterministic-time limit (``max_deterministic_time``)
besides the wall-clock limit, so a run with an iteration limit is reproducible. Neighbourhood
size adapts: it grows by 10 % after a sub-problem solved to optimality without improvement,
and shrinks by 10 % after one that hit its limit.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from solvers.territory.graph import Graph
from solvers.territory.model import Model


@dataclass(frozen=True, slots=True, kw_only=True)
class LnsStats:
    """What the exact large-neighbourhood search did."""

    steps: int
    improvements: int
    proven: int  # sub-problems solved to optimality
    size: int  # neighbourhood size at the end


def cut_count(x: np.ndarray, edges: np.ndarray) -> int:
    """Cut edges of plan ``x``."""
    return int(np.count_nonzero(x[edges[:, 0]] != x[edges[:, 1]]))


def balance_bounds(model: Model) -> tuple[np.ndarray, np.ndarray]:
    """Integer bounds ``(lo, hi)`` of shape ``(k, m)`` on scaled measures (see :func:`scaled`)."""
    k, m = model.k, model.m
    lo = np.full((k, m), -(1 << 60), np.int64)
    hi = np.full((k, m), 1 << 60, np.int64)
    for mi in range(m):
        if not model.bal[mi]:
            continue
        sc = _scale(model, mi)
        for j in range(k):
            t = model.target[j, mi] * sc
            lo[j, mi] = math.ceil(t * (1 - model.tol[mi]) - 1e-9)
            hi[j, mi] = math.floor(t * (1 + model.tol[mi]) + 1e-9)
    return lo, hi


def _scale(model: Model, mi: int) -> float:
    col = model.a[:, mi]
    return 1.0 if np.allclose(col, np.rint(col)) else 1000.0


def scaled(model: Model) -> np.ndarray:
    """``(n, m)`` int64 measures as CP-SAT sees them (integral ones as they are, others x1000)."""
    out = np.zeros((model.n, model.m), np.int64)
    for mi in range(model.m):
        if model.bal[mi]:
            out[:, mi] = np.rint(model.a[:, mi] * _scale(model, mi)).astype(np.int64)
    return out


def bfs_order(graph: Graph, sources: list[int], allowed: np.ndarray, limit: int) -> list[int]:
    """Units reachable from ``sources`` through ``allowed`` units, nearest first (hops; ties in
    discovery order), at most ``limit``."""
    seen = set(sources)
    order = list(sources)
    q = deque(sources)
    nb = graph.nbrs
    while q and len(order) < limit:
        u = q.popleft()
        for v in nb[u]:
            if v not in seen and allowed[v]:
                seen.add(v)
                order.append(v)
                q.append(v)
    return order[:limit]


def neighbourhood(model: Model, x: np.ndarray, rng: np.random.Generator, size: int,
                  kind: str) -> np.ndarray:
    """Free units of a *band* or *ball* neighbourhood (see module docstring), sorted."""
    e = model.graph.edges
    cut = np.flatnonzero(x[e[:, 0]] != x[e[:, 1]])
    if cut.size == 0:
        return np.zeros(0, np.int64)
    u, v = (int(t) for t in e[cut[int(rng.integers(cut.size))]])
    movable = model.locked < 0
    if kind == "ball":
        return np.array(sorted(bfs_order(model.graph, [u], movable, size)), np.int64)
    a, b = int(x[u]), int(x[v])
    ends = e[cut]
    xa, xb = x[ends[:, 0]], x[ends[:, 1]]
    pair = ((xa == a) & (xb == b)) | ((xa == b) & (xb == a))
    seeds = sorted(set(ends[pair].ravel().tolist()))
    rng.shuffle(seeds)
    allowed = movable & ((x == a) | (x == b))
    seeds = [s for s in seeds if allowed[s]]
    return np.array(sorted(bfs_order(model.graph, seeds, allowed, size)), np.int64)


def reoptimise(model: Model, x: np.ndarray, free: np.ndarray, *, meas: np.ndarray,
               lo: np.ndarray, hi: np.ndarray, time_limit_s: float, det_limit: float,
               seed: int) -> tuple[np.ndarray, int, bool]:
    """Exact re-optimisation of the units ``free`` of plan ``x`` (sub-problem of the module
    docstring). Returns ``(plan, change of cut edges (<= 0), proven optimal)``; the plan is
    ``x`` itself when nothing better was found."""
    n = model.n
    nb = model.graph.nbrs
    isfree = np.zeros(n, bool)
    isfree[free] = True
    terr = sorted(set(x[free].tolist()))
    # every territory taking part keeps a fixed unit
    for j in terr:
        if not np.any((x == j) & ~isfree):
            isfree[int(np.flatnonzero((x == j) & isfree)[0])] = False
    free = np.flatnonzero(isfree)
    if free.size == 0:
        return x, 0, True
    loc = {int(u): i for i, u in enumerate(free.tolist())}
    dset = set(terr)
    m = cp_model.CpModel()
    y = {(u, j): m.new_bool_var("") for u in free.tolist() for j in terr}
    for u in free.tolist():
        m.add_exactly_one([y[u, j] for j in terr])
        m.add_hint(y[u, int(x[u])], 1)
        for j in terr:
            if j != x[u]:
                m.add_hint(y[u, j], 0)
    # balance
    for j in terr:
        fixed = meas[(x == j) & ~isfree].sum(axis=0)
        for mi in range(model.m):
            if not model.bal[mi]:
                continue
            c = meas[free, mi]
            expr = sum(int(c[i]) * y[int(u), j] for i, u in enumerate(free.tolist()) if c[i])
            m.add_linear_constraint(expr, int(lo[j, mi] - fixed[mi]), int(hi[j, mi] - fixed[mi]))
    # objective over edges touching free units inside the territories taking part
    obj = []
    const = 0
    for u in free.tolist():
        for v in nb[u]:
            if isfree[v]:
                if v < u:
                    continue
                z = m.new_bool_var("")
                for j in terr:
                    m.add(z >= y[u, j] - y[v, j])
                obj.append(z)
            elif int(x[v]) in dset:
                const += 1
                obj.append(-y[u, int(x[v])])
    # contiguity: one flow per territory on free units + pieces of its fixed units
    for j in terr:
        fixed_j = (x == j) & ~isfree
        piece = _pieces(model.graph, fixed_j)
        sizes = np.bincount(piece[fixed_j]) if np.any(fixed_j) else np.zeros(1, np.int64)
        n_pieces = int(piece.max()) + 1
        root = int(np.argmax(sizes))
        cap = free.size + n_pieces - 1
        # node ids: free unit i -> i, piece p -> free.size + p
        arcs: dict[tuple[int, int], cp_model.IntVar] = {}
        for u in free.tolist():
            iu = loc[u]
            for v in nb[u]:
                if isfree[v]:
                    iv = loc[v]
                elif fixed_j[v]:
                    iv = free.size + int(piece[v])
                else:
                    continue
                for s, t in ((iu, iv), (iv, iu)):
                    if (s, t) not in arcs:
                        f = m.new_int_var(0, cap, "")
                        arcs[s, t] = f
        inflow: list[list] = [[] for _ in range(free.size + n_pieces)]
        outflow: list[list] = [[] for _ in range(free.size + n_pieces)]
        for (s, t), f in arcs.items():
            for node in (s, t):
                if node < free.size:
                    m.add(f <= cap * y[int(free[node]), j])
            inflow[t].append(f)
            outflow[s].append(f)
        for node in range(free.size + n_pieces):
            if node == free.size + root:
                continue
            need = y[int(free[node]), j] if node < free.size else 1
            m.add(sum(inflow[node]) - sum(outflow[node]) >= need)
    m.minimize(sum(obj))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    if math.isfinite(time_limit_s):
        solver.parameters.max_time_in_seconds = max(time_limit_s, 0.01)
    solver.parameters.max_deterministic_time = det_limit
    solver.parameters.random_seed = int(seed)
    solver.parameters.linearization_level = 2
    st = solver.solve(m)
    if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return x, 0, False
    proven = st == cp_model.OPTIMAL
    out = x.copy()
    for u in free.tolist():
        out[u] = next(j for j in terr if solver.boolean_value(y[u, j]))
    e = model.graph.edges
    delta = cut_count(out, e) - cut_count(x, e)
    if delta >= 0:
        return x, 0, proven
    return out, delta, proven


def _pieces(graph: Graph, mask: np.ndarray) -> np.ndarray:
    """Connected-component label of each unit of ``mask`` in the graph induced on ``mask``
    (``-1`` elsewhere), labels in order of the smallest unit."""
    lab = np.full(graph.n, -1, np.int64)
    nb = graph.nbrs
    c = 0
    for s in np.flatnonzero(mask).tolist():
        if lab[s] >= 0:
            continue
        lab[s] = c
        stack = [s]
        while stack:
            u = stack.pop()
            for v in nb[u]:
                if mask[v] and lab[v] < 0:
                    lab[v] = c
                    stack.append(v)
        c += 1
    return lab


def lns_search(model: Model, x: np.ndarray, rng: np.random.Generator, *, done,
               left_s, size: int = 60, max_size: int = 300, det_per_unit: float = 0.003,
               det_min: float = 0.1, step_time_s: float = 5.0) -> tuple[np.ndarray, int, LnsStats]:
    """Exact large-neighbourhood search from the feasible contiguous plan ``x`` until
    ``done(steps)`` is true. ``left_s()`` gives the seconds left (``math.inf`` without a time
    limit); a sub-problem gets ``max(det_min, det_per_unit * free units)`` deterministic
    seconds of CP-SAT and at most ``step_time_s`` wall-clock seconds (none without a time
    limit, so that an iteration-limited run is reproducible). Neighbourhoods alternate between
    *band* and *ball*. Returns ``(plan, cut edges, statistics)``; the plan is never worse than
    ``x``."""
    e = model.graph.edges
    meas = scaled(model)
    lo, hi = balance_bounds(model)
    x = np.asarray(x, np.int64).copy()
    cut = cut_count(x, e)
    steps = improvements = proven = 0
    size = min(size, model.n)
    while not done(steps):
        left = left_s()
        if left <= 0.05:
            break
        kind = "band" if steps % 2 == 0 else "ball"
        free = neighbourhood(model, x, rng, size, kind)
        steps += 1
        if free.size == 0:
            break
        nx_, delta, ok = reoptimise(model, x, free, meas=meas, lo=lo, hi=hi,
                                    time_limit_s=min(step_time_s, left) if math.isfinite(left) else math.inf,
                                    det_limit=max(det_min, det_per_unit * free.size),
                                    seed=int(rng.integers(1 << 30)))
        if delta < 0:
            x, cut = nx_, cut + delta
            improvements += 1
        if ok:
            proven += 1
            if delta == 0:
                size = min(int(size * 1.1) + 1, max_size, model.n)
        else:
            size = max(int(size * 0.9), 20)
    return x, cut, LnsStats(steps=steps, improvements=improvements, proven=proven, size=size)

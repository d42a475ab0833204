"""Recombination moves (ReCom-style) for the cut-edges objective.

A move merges two adjacent territories ``a`` and ``b``, draws ``n_trees`` random spanning
trees of the merged subgraph (minimum spanning trees under random edge weights), and among
all tree edges whose removal leaves two sides that satisfy the balance bounds of ``a`` and
``b`` (and the locks) picks the split with the fewest edges cut inside the merged region.
Both sides of a tree split are connected, so contiguity holds by construction. The split is
accepted by simulated annealing on the number of cut edges: always if it does not increase
it, else with probability ``exp(-delta / T)``, ``T`` falling geometrically from ``t0`` to
``t1`` over the phase; after ``restart_after`` moves without a new best the walk returns to
the best plan seen, which is returned at the end.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from solvers.common import StopClock
from solvers.territory.model import Model


def recom_search(
    model: Model,
    x: np.ndarray,
    rng: np.random.Generator,
    clock: StopClock,
    until_s: float,
    n_trees: int = 24,
    t0: float = 0.5,
    t1: float = 0.05,
    restart_after: int = 400,
) -> tuple[np.ndarray, int, int]:
    """Improve ``x`` (feasible, contiguous) by recombination moves until ``until_s`` elapsed.

    Returns ``(best plan, its cut edges, number of moves tried)``.
    """
    x = x.copy()
    e = model.graph.edges
    lo = model.target * (1 - np.where(model.bal, model.tol, np.inf))
    hi = model.target * (1 + np.where(model.bal, model.tol, np.inf))
    cut = int(np.count_nonzero(x[e[:, 0]] != x[e[:, 1]]))
    best, best_cut = x.copy(), cut
    tries = last_best = 0
    t_start = clock.elapsed()
    while clock.elapsed() < until_s:
        d = np.flatnonzero(x[e[:, 0]] != x[e[:, 1]])
        if d.size == 0:
            break
        pe = e[d[int(rng.integers(d.size))]]
        a, b = int(x[pe[0]]), int(x[pe[1]])
        tries += 1
        res = _best_split(model, x, a, b, lo, hi, rng, n_trees)
        if res is None:
            continue
        units, side_a, new_inner, old_inner = res
        delta = new_inner - old_inner
        frac = min(max((clock.elapsed() - t_start) / max(until_s - t_start, 1e-9), 0.0), 1.0)
        temp = t0 * (t1 / t0) ** frac
        if delta <= 0 or rng.random() < np.exp(-delta / temp):
            x[units] = np.where(side_a, a, b)
            cut += new_inner - old_inner
            if cut < best_cut:
                best, best_cut, last_best = x.copy(), cut, tries
        if tries - last_best > restart_after:
            x, cut, last_best = best.copy(), best_cut, tries  # back to the best plan
    return best, best_cut, tries


def _best_split(model: Model, x: np.ndarray, a: int, b: int, lo: np.ndarray, hi: np.ndarray,
                rng: np.random.Generator, n_trees: int):
    units = np.flatnonzero((x == a) | (x == b))
    n = units.size
    if n < 2:
        return None
    e = model.graph.edges
    pos = np.full(model.n, -1, np.int64)
    pos[units] = np.arange(n)
    inner = (pos[e[:, 0]] >= 0) & (pos[e[:, 1]] >= 0)
    eu, ev = pos[e[inner, 0]], pos[e[inner, 1]]
    old_inner = int(np.count_nonzero(x[units][eu] != x[units][ev]))
    meas = model.a[units]
    total = meas.sum(axis=0)
    lock = model.locked[units]
    la, lb = lock == a, lock == b
    best = None
    best_val = old_inner + 1
    for _ in range(n_trees):
        wts = rng.random(eu.size) + 1e-9
        g = sparse.coo_matrix((wts, (eu, ev)), shape=(n, n)).tocsr()
        t = csgraph.minimum_spanning_tree(g)
        order, pred = csgraph.depth_first_order(t, int(rng.integers(n)), directed=False)
        if order.size < n:
            return None  # merged region not connected (should not happen)
        pos = np.empty(n, np.int64)
        pos[order] = np.arange(n)
        size = np.ones(n, np.int64)
        pl = pred.tolist()
        sl = size.tolist()
        for v in order[::-1].tolist():
            p = pl[v]
            if p >= 0:
                sl[p] += sl[v]
        size = np.array(sl)
        cs = np.vstack([np.zeros((1, meas.shape[1])), np.cumsum(meas[order], axis=0)])
        child = order[1:]
        st, en = pos[child], pos[child] + size[child]
        s1 = cs[en] - cs[st]  # measures of the subtree below each tree edge
        s2 = total[None, :] - s1
        ok_ab = np.all((s1 >= lo[a] - 1e-9) & (s1 <= hi[a] + 1e-9) & (s2 >= lo[b] - 1e-9) & (s2 <= hi[b] + 1e-9), axis=1)
        ok_ba = np.all((s1 >= lo[b] - 1e-9) & (s1 <= hi[b] + 1e-9) & (s2 >= lo[a] - 1e-9) & (s2 <= hi[a] + 1e-9), axis=1)
        cand = np.flatnonzero(ok_ab | ok_ba)
        if cand.size == 0:
            continue
        insub = (pos[None, :] >= st[cand, None]) & (pos[None, :] < en[cand, None])  # (c, n)
        vals = np.count_nonzero(insub[:, eu] != insub[:, ev], axis=1)
        for r in np.argsort(vals + 0.5 * rng.random(vals.size), kind="stable").tolist():
            if vals[r] >= best_val:
                break
            ci = cand[r]
            for first_is_a in (True, False):
                if not (ok_ab[ci] if first_is_a else ok_ba[ci]):
                    continue
                side_a = insub[r] if first_is_a else ~insub[r]
                if np.any(la & ~side_a) or np.any(lb & side_a):
                    continue
                best_val, best = int(vals[r]), side_a.copy()
                break
            if best is not None and best_val == vals[r]:
                break
    if best is None:
        return None
    return units, best, best_val, old_inner

"""Recombination (ReCom) random walk for the cut-edges objective.

A step picks a cut edge uniformly at random, merges the two territories ``a`` and ``b`` it
joins, draws a random spanning tree of the merged subgraph (minimum spanning tree under random
edge weights; up to ``tree_tries`` trees until one has a balanced edge) and removes one of the
tree edges whose two sides satisfy the balance bounds of ``a`` and ``b`` and the locks, chosen
uniformly at random. Both sides of a tree split are connected, so contiguity holds by
construction. Every step is accepted (the ReCom Markov chain of DeFord, Duchin & Solomon,
2021, as in GerryChain); the best plan seen is kept. The walk is not steered towards fewer
cut edges: on tightly balanced county graphs steering (greedy best-of-n splits, annealing)
was measured to get stuck in a few basins, while the unsteered walk crosses between them and
meets the optimum of every instance of ``districting-cutedges`` (see ``benchmarks/RESULTS.md``).

Restarts: a walk that has not improved its best for ``stall`` steps restarts from a fresh
random plan (:func:`tree_plan`: territories split off one by one along random spanning
trees); the start plan of the first walk is the given one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from solvers.common import StopClock
from solvers.territory.model import Model


@dataclass(frozen=True, slots=True, kw_only=True)
class RecomStats:
    """What a recombination walk did: steps taken and restarts from fresh random plans."""

    steps: int
    restarts: int


def recom_search(
    model: Model,
    x: np.ndarray,
    rng: np.random.Generator,
    clock: StopClock,
    until_s: float,
    stall: int = 5000,
    tree_tries: int = 10,
) -> tuple[np.ndarray, int, RecomStats]:
    """Walk from ``x`` (feasible, contiguous) until ``until_s`` seconds have elapsed.

    Returns ``(best plan, its cut edges, statistics)``.
    """
    e = model.graph.edges
    lo, hi = _bounds(model)
    x = np.asarray(x, np.int64).copy()
    cut = _cut(x, e)
    best, best_cut = x.copy(), cut
    steps = walks = 0
    seg_best, seg_last = cut, 0
    while clock.elapsed() < until_s:
        steps += 1
        d = np.flatnonzero(x[e[:, 0]] != x[e[:, 1]])
        if d.size:
            pe = e[d[int(rng.integers(d.size))]]
            a, b = int(x[pe[0]]), int(x[pe[1]])
            split = _random_split(model, x, a, b, lo, hi, rng, tree_tries)
            if split is not None:
                units, side_a = split
                x[units] = np.where(side_a, a, b)
                cut = _cut(x, e)
                if cut < best_cut:
                    best, best_cut = x.copy(), cut
                if cut < seg_best:
                    seg_best, seg_last = cut, steps
        if steps - seg_last > stall:
            fresh = tree_plan(model, rng)
            if fresh is not None:
                x = fresh
                walks += 1
            else:  # no random plan found: go on from the best plan
                x = best.copy()
            cut = _cut(x, e)
            seg_best, seg_last = cut, steps
    return best, best_cut, RecomStats(steps=steps, restarts=walks)


def _cut(x: np.ndarray, e: np.ndarray) -> int:
    return int(np.count_nonzero(x[e[:, 0]] != x[e[:, 1]]))


def _bounds(model: Model) -> tuple[np.ndarray, np.ndarray]:
    """Per territory and measure the balance bounds (k, m); unbalanced measures unbounded."""
    tol = np.where(model.bal, model.tol, np.inf)
    lo = model.target * (1 - tol) - 1e-9
    hi = model.target * (1 + tol) + 1e-9
    return np.nan_to_num(lo, nan=-np.inf), np.nan_to_num(hi, nan=np.inf)


def _random_tree(n: int, eu: np.ndarray, ev: np.ndarray, rng: np.random.Generator):
    """A random spanning tree of the graph on ``n`` nodes with edges ``eu``-``ev``:
    ``(order, pred, start, end)`` — DFS order, parents, and for every node the range
    ``[start, end)`` of DFS positions of its subtree; ``None`` if the graph is disconnected."""
    wts = rng.random(eu.size) + 1e-9
    t = csgraph.minimum_spanning_tree(sparse.coo_matrix((wts, (eu, ev)), shape=(n, n)).tocsr())
    order, pred = csgraph.depth_first_order(t, int(rng.integers(n)), directed=False)
    if order.size < n:
        return None
    pos = np.empty(n, np.int64)
    pos[order] = np.arange(n)
    sl = [1] * n
    pl = pred.tolist()
    for v in order[::-1].tolist():
        p = pl[v]
        if p >= 0:
            sl[p] += sl[v]
    return order, pos, pos + np.array(sl)


def _subgraph(model: Model, units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    e = model.graph.edges
    pos = np.full(model.n, -1, np.int64)
    pos[units] = np.arange(units.size)
    inner = (pos[e[:, 0]] >= 0) & (pos[e[:, 1]] >= 0)
    return pos[e[inner, 0]], pos[e[inner, 1]]


def _subtree_measures(meas: np.ndarray, order: np.ndarray, start: np.ndarray, end: np.ndarray):
    cs = np.vstack([np.zeros((1, meas.shape[1])), np.cumsum(meas[order], axis=0)])
    return cs[end] - cs[start]  # (n, m): measures of the subtree below each node


class _Pair(NamedTuple):
    """The union of two territories, ready for a split (:func:`_pair`)."""

    units: np.ndarray  # the units, globally numbered
    n: int
    eu: np.ndarray  # edges of the union, local numbering
    ev: np.ndarray
    meas: np.ndarray  # measures of the units
    total: np.ndarray
    la: np.ndarray  # units locked to a, to b
    lb: np.ndarray
    has_locks: bool


def _pair(model: Model, x: np.ndarray, a: int, b: int) -> _Pair | None:
    """The union of territories ``a`` and ``b`` for a split, or ``None`` below two units."""
    units = np.flatnonzero((x == a) | (x == b))
    n = units.size
    if n < 2:
        return None
    eu, ev = _subgraph(model, units)
    meas = model.a[units]
    lock = model.locked[units]
    la, lb = lock == a, lock == b
    return _Pair(units, n, eu, ev, meas, meas.sum(axis=0), la, lb, bool(np.any(la | lb)))


def _balanced_edges(pair: _Pair, a: int, b: int, lo: np.ndarray, hi: np.ndarray, rng: np.random.Generator,
                    trees: int):
    """For each of ``trees`` random spanning trees of the union ``pair`` (from :func:`_pair`), drawn
    one at a time: ``(start, end, ok_ab, ok_ba)``, the DFS ranges of the subtrees and, per node,
    whether cutting the edge above it leaves the subtree within ``a``'s bounds and the rest
    within ``b``'s (``ok_ab``) or the reverse (``ok_ba``; never at the root). Stops at once when
    the union is disconnected."""
    for _ in range(trees):
        tree = _random_tree(pair.n, pair.eu, pair.ev, rng)
        if tree is None:
            return
        order, start, end = tree
        s1 = _subtree_measures(pair.meas, order, start, end)
        s2 = pair.total[None, :] - s1
        ok_ab = np.all((s1 >= lo[a]) & (s1 <= hi[a]) & (s2 >= lo[b]) & (s2 <= hi[b]), axis=1)
        ok_ba = np.all((s1 >= lo[b]) & (s1 <= hi[b]) & (s2 >= lo[a]) & (s2 <= hi[a]), axis=1)
        ok_ab[order[0]] = ok_ba[order[0]] = False  # the root has no edge above it
        yield start, end, ok_ab, ok_ba


def _random_split(model: Model, x: np.ndarray, a: int, b: int, lo: np.ndarray, hi: np.ndarray,
                  rng: np.random.Generator, tree_tries: int):
    """A uniformly drawn balanced split of territories ``a`` and ``b`` along a random spanning
    tree: ``(units, side_a)`` or ``None`` if ``tree_tries`` trees have no balanced edge."""
    pair = _pair(model, x, a, b)
    if pair is None:
        return None
    units, la, lb, has_locks = pair.units, pair.la, pair.lb, pair.has_locks
    for start, end, ok_ab, ok_ba in _balanced_edges(pair, a, b, lo, hi, rng, tree_tries):
        cand = [(int(v), True) for v in np.flatnonzero(ok_ab)] + [(int(v), False) for v in np.flatnonzero(ok_ba)]
        while cand:
            v, sub_is_a = cand.pop(int(rng.integers(len(cand))))
            insub = (start >= start[v]) & (start < end[v])
            side_a = insub if sub_is_a else ~insub
            if has_locks and (np.any(la & ~side_a) or np.any(lb & side_a)):
                continue
            return units, side_a
    return None


def tree_plan(model: Model, rng: np.random.Generator, attempts: int = 200,
              tree_tries: int = 50) -> np.ndarray | None:
    """A random feasible contiguous plan: territories ``0 .. k-2`` are split off one after the
    other along random spanning trees of the units left (each within its bounds, the rest
    within the summed bounds of the territories still to come), the last takes the rest.
    ``None`` if the graph is disconnected, there are locks, or ``attempts`` tries fail."""
    if np.any(model.locked >= 0):
        return None
    k = model.k
    lo, hi = _bounds(model)
    for _ in range(attempts):
        x = np.full(model.n, -1, np.int64)
        rest = np.arange(model.n)
        for t in range(k - 1):
            eu, ev = _subgraph(model, rest)
            meas = model.a[rest]
            total = meas.sum(axis=0)
            rlo, rhi = lo[t + 1:].sum(axis=0), hi[t + 1:].sum(axis=0)
            chosen = None
            for _ in range(tree_tries):
                tree = _random_tree(rest.size, eu, ev, rng)
                if tree is None:
                    return None
                order, start, end = tree
                s1 = _subtree_measures(meas, order, start, end)
                s2 = total[None, :] - s1
                ok = np.all((s1 >= lo[t]) & (s1 <= hi[t]) & (s2 >= rlo) & (s2 <= rhi), axis=1)
                ok[order[0]] = False
                c = np.flatnonzero(ok)
                if c.size:
                    v = int(c[int(rng.integers(c.size))])
                    chosen = (start >= start[v]) & (start < end[v])
                    break
            if chosen is None:
                break
            x[rest[chosen]] = t
            rest = rest[~chosen]
        else:
            x[rest] = k - 1
            if np.all((model.a[rest].sum(axis=0) >= lo[k - 1]) & (model.a[rest].sum(axis=0) <= hi[k - 1])):
                return x
    return None


def steered_walk(
    model: Model,
    x: np.ndarray,
    rng: np.random.Generator,
    *,
    done,
    temperature: float = 2.0,
    trees: int = 10,
) -> tuple[np.ndarray, int, RecomStats]:
    """Recombination walk steered towards few cut edges, from ``x`` (feasible, contiguous)
    until ``done(steps)`` is true.

    A step picks a cut edge uniformly at random (so a pair of territories with a long common
    boundary is picked more often), merges its two territories and draws ``trees`` random
    spanning trees of the merged subgraph; among the balanced tree edges of all of them (locks
    respected) the proposal is the split with the fewest cut edges between the two sides
    (:func:`best_split`). It is accepted with the Metropolis rule
    ``min(1, exp(-delta / temperature))`` on the change ``delta`` of the plan's cut edges. The
    best plan seen is returned with its cut edges. Unlike :func:`recom_search` (unsteered, for
    the small county graphs) this walk is meant for graphs of several hundred units, where
    the plans an unsteered walk visits have several times the optimal number of cut edges.
    """
    e = model.graph.edges
    lo, hi = _bounds(model)
    x = np.asarray(x, np.int64).copy()
    cut = _cut(x, e)
    best, best_cut = x.copy(), cut
    steps = 0
    while not done(steps):
        steps += 1
        d = np.flatnonzero(x[e[:, 0]] != x[e[:, 1]])
        if d.size == 0:
            break
        pe = e[d[int(rng.integers(d.size))]]
        a, b = int(x[pe[0]]), int(x[pe[1]])
        split = best_split(model, x, a, b, lo, hi, rng, trees)
        if split is None:
            continue
        units, side_a, new_inner = split
        eu, ev = _subgraph(model, units)
        old_inner = int(np.count_nonzero(x[units][eu] != x[units][ev]))
        delta = new_inner - old_inner
        if delta <= 0 or rng.random() < np.exp(-delta / temperature):
            x[units] = np.where(side_a, a, b)
            cut += delta
            if cut < best_cut:
                best, best_cut = x.copy(), cut
    return best, best_cut, RecomStats(steps=steps, restarts=0)


def best_split(model: Model, x: np.ndarray, a: int, b: int, lo: np.ndarray, hi: np.ndarray,
               rng: np.random.Generator, trees: int):
    """The balanced split of territories ``a`` and ``b`` with the fewest cut edges between its
    sides over the balanced edges of ``trees`` random spanning trees of their union (ties
    broken at random): ``(units, side_a, cut edges between the sides)``, or ``None`` if no
    tree has a balanced edge that respects the locks."""
    pair = _pair(model, x, a, b)
    if pair is None:
        return None
    units, eu, ev, la, lb, has_locks = pair.units, pair.eu, pair.ev, pair.la, pair.lb, pair.has_locks
    best = None
    for start, end, ok_ab, ok_ba in _balanced_edges(pair, a, b, lo, hi, rng, trees):
        cand = np.flatnonzero(ok_ab | ok_ba)
        if cand.size == 0:
            continue
        # cut edges between the sides of each candidate: edges with one end in its subtree
        su, sv = start[eu], start[ev]
        in_u = (su[None, :] >= start[cand][:, None]) & (su[None, :] < end[cand][:, None])
        in_v = (sv[None, :] >= start[cand][:, None]) & (sv[None, :] < end[cand][:, None])
        cuts = np.count_nonzero(in_u != in_v, axis=1)
        for i in np.lexsort((rng.random(cand.size), cuts)).tolist():
            if best is not None and cuts[i] >= best[2]:
                break
            v = int(cand[i])
            insub = (start >= start[v]) & (start < end[v])
            for sub_is_a in (True, False):
                if not (ok_ab[v] if sub_is_a else ok_ba[v]):
                    continue
                side_a = insub if sub_is_a else ~insub
                if has_locks and (np.any(la & ~side_a) or np.any(lb & side_a)):
                    continue
                best = (units, side_a, int(cuts[i]))
                break
            if best is not None and best[2] == cuts[i]:
                break
    return best

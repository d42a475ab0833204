"""Editing assignments outside the searches: completing a partial assignment, growing a new
territory, finding the parts a change cuts off.

Two ways of giving units without a territory (``-1``) one, for two purposes:

* :func:`complete_initial` (the solver's warm start): each new unit joins the territory of an
  assigned neighbour, the one with the cheapest centre when travel rows are given, else the
  lowest index; a unit with no assigned neighbour at all goes to the cheapest centre (or 0).
* :func:`place_free` (re-zoning in the application): layer by layer from the assigned units,
  each joins the adjacent territory that is least loaded relative to the mean, so that a
  dissolved territory is shared among all its neighbours; isolated units go to the nearest base.

:func:`grow_territory` and :func:`cut_off_parts` make room for a new territory (a manager who
joins). Connectivity tests use :func:`solvers.territory.graph.stays_connected`. The functions on
plain arrays take duplicate-free neighbour lists ``nbrs`` (``nbrs[u]``: units adjacent to ``u``,
e.g. :attr:`solvers.territory.graph.Graph.nbrs` or built from a
:func:`~solvers.territory.graph.delaunay_adjacency` edge list).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence

import numpy as np

from solvers.territory.graph import stays_connected
from solvers.territory.model import Model


def complete_initial(model: Model, rows: np.ndarray | None = None) -> np.ndarray:
    """The initial assignment with locks applied and new units (-1) given a territory.

    New units join the territory of their nearest assigned neighbour in the graph (cheapest
    centre if ``rows`` is given and they have none).
    """
    x = model.initial.copy()
    lk = model.locked >= 0
    x[lk] = model.locked[lk]
    nb = model.graph.nbrs
    for _ in range(model.n):
        rest = np.flatnonzero(x < 0)
        if rest.size == 0:
            break
        progress = False
        for u in rest.tolist():
            cand = sorted({int(x[v]) for v in nb[u] if x[v] >= 0})
            if cand:
                if rows is not None:
                    x[u] = min(cand, key=lambda t: (rows[t, u], t))
                else:
                    x[u] = cand[0]
                progress = True
        if not progress:
            rest = np.flatnonzero(x < 0)
            x[rest] = np.argmin(rows[:, rest], axis=0) if rows is not None else 0
            break
    return x


def place_free(initial: np.ndarray, nbrs: Sequence[Sequence[int]], wl: np.ndarray, k: int,
               base_cost: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Give every unit without a territory (-1) one, layer by layer from the assigned ones.

    Each unit of a layer (the unassigned units with an assigned neighbour, in index order) joins
    the adjacent territory that is least loaded relative to the mean workload ``sum(wl) / k``
    (ties: lowest index), and the loads are updated at once; so a dissolved territory is shared
    among all its neighbours and every territory stays in one piece. Units with no assigned
    neighbour at all go to the nearest base (``base_cost(units) -> (len(units), k)`` travel
    times).
    """
    x = np.asarray(initial, dtype=np.int64).copy()
    has = x >= 0
    loads = np.bincount(x[has], weights=wl[has], minlength=k).astype(float)
    target = max(float(wl.sum()) / max(k, 1), 1e-9)
    pending = set(np.flatnonzero(x < 0).tolist())
    while pending:
        layer = [u for u in sorted(pending) if any(x[v] >= 0 for v in nbrs[u])]
        if not layer:
            rest = np.array(sorted(pending), dtype=np.int64)
            x[rest] = np.argmin(np.asarray(base_cost(rest), dtype=float), axis=1)
            break
        for u in layer:
            cands = sorted({int(x[v]) for v in nbrs[u] if x[v] >= 0})
            c = min(cands, key=lambda j: (loads[j] / target, j))
            x[u] = c
            loads[c] += wl[u]
        pending.difference_update(layer)
    return x


def grow_territory(t: np.ndarray, nbrs: Sequence[Sequence[int]], taken: np.ndarray, wl: np.ndarray,
                   target: float, owner: np.ndarray | None = None) -> np.ndarray:
    """A connected set of units grown around a base until its workload reaches ``target``.

    Starts from the unit nearest the base (travel time ``t``; ``t >= 1e12`` = unreachable) that
    may be taken and always adds the untaken neighbour nearest to the base. ``taken`` units are
    never added. With ``owner`` (territory per unit, -1 none) a unit is only taken if its
    territory keeps at least one unit and stays in one piece without it
    (:func:`~solvers.territory.graph.stays_connected`). Returns the sorted unit indices.
    """
    free = np.flatnonzero(~taken & (t < 1e12))
    if not len(free):
        return np.array([], dtype=np.int64)
    x = np.full(len(t), -1, dtype=np.int64) if owner is None else np.asarray(owner, dtype=np.int64).copy()
    size = np.bincount(x[x >= 0], minlength=int(x.max()) + 1 if len(x) and x.max() >= 0 else 0)

    def takeable(i: int) -> bool:
        j = int(x[i])
        return j < 0 or (size[j] > 1 and stays_connected(nbrs, x, i))

    # start from the nearest unit that can be taken (the nearest may hold its territory together)
    start = next((int(i) for i in free[np.argsort(t[free], kind="stable")] if takeable(int(i))), None)
    if start is None:
        return np.array([], dtype=np.int64)
    heap = [(float(t[start]), start)]
    inside: set[int] = set()
    acc = 0.0
    while heap and acc < target:
        _, i = heapq.heappop(heap)
        if i in inside:
            continue
        j = int(x[i])
        if not takeable(i):
            continue  # would cut its territory in two (it may be offered again from another side)
        inside.add(i)
        if j >= 0:
            size[j] -= 1
            x[i] = -2
        acc += float(wl[i])
        for v in nbrs[i]:
            if v not in inside and not taken[v] and t[v] < 1e12:
                heapq.heappush(heap, (float(t[v]), v))
    return np.array(sorted(inside), dtype=np.int64)


def cut_off_parts(before: np.ndarray, after: np.ndarray, j: int, nbrs: Sequence[Sequence[int]]) -> list[np.ndarray]:
    """Pieces of territory ``j`` in ``after`` that are not its largest piece and were part of its
    largest piece in ``before`` (i.e. cut off by the change from ``before`` to ``after``).

    Pieces are connected components of the territory in ``nbrs``, ordered by size (largest
    first, ties: lowest smallest unit); each is returned as sorted unit indices.
    """
    def parts(x: np.ndarray) -> list[np.ndarray]:
        units = set(np.flatnonzero(x == j).tolist())
        out, seen = [], set()
        for u in sorted(units):
            if u in seen:
                continue
            stack, comp = [u], []
            seen.add(u)
            while stack:
                a = stack.pop()
                comp.append(a)
                for b in nbrs[a]:
                    if b in units and b not in seen:
                        seen.add(b)
                        stack.append(b)
            out.append(np.array(sorted(comp), dtype=np.int64))
        return sorted(out, key=len, reverse=True)

    old, new = parts(before), parts(after)
    if len(new) <= 1 or not old:
        return []
    main_before = set(old[0].tolist())
    return [p for p in new[1:] if set(p.tolist()) <= main_before]

"""Construction: centre seeding, capacitated allocation (min-cost flow), contiguity repair."""

from __future__ import annotations

import math

import numpy as np
from ortools.graph.python import min_cost_flow
from scipy.spatial import cKDTree

from solvers.territory.graph import territory_components
from solvers.territory.model import BIG_TIME, Model


def bisection_partition(model: Model, angle_deg: float = 0.0) -> np.ndarray:
    """Recursive coordinate bisection: split the units along the longer side of their bounding
    box at the workload quantile ``k1 / k`` (``k1 = k // 2``, target shares respected), recurse.
    ``angle_deg`` rotates the coordinate axes first (other, equally balanced cells).

    Gives ``k`` workload-balanced, compact (not necessarily contiguous) cells in ``O(n log k)``.
    """
    xy = _rotated(np.asarray(model.p.xy, dtype=np.float64), angle_deg)
    x = np.zeros(model.n, np.int64)
    stack = [(np.arange(model.n), np.arange(model.k))]
    while stack:
        idx, terr = stack.pop()
        if terr.size == 1 or idx.size == 0:
            x[idx] = terr[0]
            continue
        k1 = terr.size // 2
        frac = model.shares[terr[:k1]].sum() / model.shares[terr].sum()
        ext = xy[idx].max(axis=0) - xy[idx].min(axis=0)
        ax = int(np.argmax(ext))
        o = idx[np.lexsort((xy[idx, 1 - ax], xy[idx, ax]))]
        cw = np.cumsum(model.w[o])
        cut = int(np.argmin(np.abs(cw - frac * cw[-1]))) + 1  # prefix nearest the target share
        cut = min(max(cut, k1), o.size - (terr.size - k1)) if o.size >= terr.size else cut
        stack.append((o[cut:], terr[k1:]))
        stack.append((o[:cut], terr[:k1]))
    return x


def _rotated(xy: np.ndarray, angle_deg: float) -> np.ndarray:
    if not angle_deg:
        return xy
    t = np.radians(angle_deg)
    return xy @ np.array([[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]])


def seed_centres(model: Model, rng: np.random.Generator, angle_deg: float = 0.0) -> np.ndarray:
    """Free-centre seeds: the unit nearest the workload-weighted centroid of each cell of a
    recursive coordinate bisection (balanced cells, so every seed has enough workload around
    it; ``angle_deg`` rotates its axes); locked units pull their territory's seed. ``rng``
    perturbs the cell order only when two cells would snap to the same unit."""
    xy = np.asarray(model.p.xy, dtype=np.float64)
    n, k = model.n, model.k
    cell = bisection_partition(model, angle_deg)
    w = model.w + 1e-12
    ws = np.bincount(cell, weights=w, minlength=k)
    c = np.stack(
        [np.bincount(cell, weights=w * xy[:, 0], minlength=k), np.bincount(cell, weights=w * xy[:, 1], minlength=k)],
        axis=1,
    ) / np.maximum(ws, 1e-300)[:, None]
    for j in range(k):
        lk = np.flatnonzero(model.locked == j)
        if lk.size:
            c[j] = xy[lk].mean(axis=0)
    tree = cKDTree(xy)
    used: set[int] = set()
    out = np.empty(k, np.int64)
    for j in range(k):
        kk = min(n, 16)
        while True:
            _, idx = tree.query(c[j], k=kk)
            idx = np.atleast_1d(idx)
            pick = [int(i) for i in idx if int(i) not in used and (model.locked[i] in (-1, j))]
            if pick or kk >= n:
                break
            kk = min(n, kk * 4)
        if not pick:
            rest = [int(i) for i in range(n) if i not in used and model.locked[i] in (-1, j)]
            pick = rest or [int(rng.integers(n))]
        out[j] = pick[0]
        used.add(pick[0])
    return out


def flow_allocation(model: Model, rows: np.ndarray, n_cand: int | None = None) -> np.ndarray:
    """Capacitated allocation of units to territories by min-cost flow.

    Transportation problem: unit ``i`` supplies its workload ``w_i`` (scaled to integers),
    territory ``j`` demands ``s_j * sum(w)``; arc ``i -> j`` (for the ``n_cand`` nearest
    centres (default ``max(10, 2e6 / n)``), the locked territory only for locked units, none beyond the radius) costs
    ``t(centre_j, i)`` per unit of workload, so the optimum minimises
    ``sum_ij w_i t_ij y_ij`` with exactly balanced workload. A hub node with a prohibitive cost
    keeps the flow feasible. Split units (at most ``k - 1`` in a basic solution) go to the
    territory receiving most of their workload.
    """
    n, k = model.n, model.k
    if n_cand is None:
        n_cand = max(10, 2_000_000 // max(n, 1))
    c = min(k, n_cand)
    rt = rows  # (k, n)
    if c < k:
        cand = np.argpartition(rt, c - 1, axis=0)[:c].T  # (n, c)
    else:
        cand = np.tile(np.arange(k), (n, 1))
    cand = np.sort(cand, axis=1)
    tails = np.repeat(np.arange(n), c)
    heads = cand.reshape(-1)
    cost = rt[heads, tails].astype(np.float64)
    keep = cost < BIG_TIME / 2
    if math.isfinite(model.radius):
        keep &= cost <= model.radius
    lk = model.locked[tails]
    keep &= (lk < 0) | (lk == heads)
    tails, heads, cost = tails[keep], heads[keep], cost[keep]
    # locked units whose territory is not among the candidates
    locked_units = np.flatnonzero(model.locked >= 0)
    if locked_units.size:
        tails = np.concatenate([tails, locked_units])
        heads = np.concatenate([heads, model.locked[locked_units]])
        cost = np.concatenate([cost, np.minimum(rt[model.locked[locked_units], locked_units], BIG_TIME / 2)])
    # integer supplies summing to about 2e7 and costs below 1e5 keep OR-Tools' internal
    # cost scaling (costs x number of nodes) inside int64
    scale = 2.0e7 / max(float(model.w.sum()), 1e-12)
    sup = np.rint(model.w * scale).astype(np.int64)
    sup[(sup == 0) & (model.w > 0)] = 1
    total = int(sup.sum())
    dem = np.floor(model.shares * total).astype(np.int64)
    dem[: total - int(dem.sum())] += 1
    finite = cost[cost < BIG_TIME / 2]
    cmax = float(finite.max()) if finite.size else 1.0
    cscale = min(1.0, 1.0e5 / max(cmax, 1.0))
    icost = np.rint(cost * cscale).astype(np.int64)
    hub = n + k
    big = int(max(cmax * cscale, 1.0) * 50 + 1000)
    unlocked = np.flatnonzero(model.locked < 0)
    smcf = min_cost_flow.SimpleMinCostFlow()
    all_t = np.concatenate([tails, unlocked, np.full(k, hub)]).astype(np.int32)
    all_h = np.concatenate([n + heads, np.full(unlocked.size, hub), n + np.arange(k)]).astype(np.int32)
    caps = np.concatenate(
        [sup[tails], sup[unlocked], np.full(k, total)]
    ).astype(np.int64)
    costs = np.concatenate([icost, np.full(unlocked.size, big), np.zeros(k)]).astype(np.int64)
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(all_t, all_h, caps, costs)
    supplies = np.concatenate([sup, -dem, [0]]).astype(np.int64)
    smcf.set_nodes_supplies(np.arange(n + k + 1, dtype=np.int32), supplies)
    status = smcf.solve()
    model.last_flow_status = int(status)
    x = np.full(n, -1, np.int64)
    if status == smcf.OPTIMAL:
        flows = smcf.flows(arcs)
        m = len(tails)
        f = flows[:m]
        order = np.lexsort((heads, -f, tails))  # per unit, largest flow first
        t_sorted = tails[order]
        firsts = np.ones(len(order), bool)
        firsts[1:] = t_sorted[1:] != t_sorted[:-1]
        sel = order[firsts]
        sel = sel[f[sel] > 0]
        x[tails[sel]] = heads[sel]
    # unassigned (zero workload, hub flow, or solver failure): nearest allowed centre
    rest = np.flatnonzero(x < 0)
    if rest.size:
        x[rest] = np.argmin(rt[:, rest], axis=0)
        lk = model.locked[rest]
        x[rest[lk >= 0]] = lk[lk >= 0]
    return x


def repair_contiguity(
    model: Model, x: np.ndarray, rows: np.ndarray | None, anchors: np.ndarray | None = None
) -> np.ndarray:
    """Make every territory connected by reassigning detached parts to an adjacent territory.

    Each territory keeps the part holding its anchor (free centre unit) or, failing that, the
    part with most locked units, then the largest workload. Every other part moves as a whole
    to the adjacent territory with the least travel cost (``rows``) or, without rows, the one
    it shares most edges with. Parts containing units locked to their territory stay (a
    violation is then reported). Repeats until nothing changes.
    """
    x = x.copy()
    k, g = model.k, model.graph
    e = g.edges
    for _ in range(4 * k + 10):
        ncomp, lab = territory_components(g, x, k)
        if np.all(ncomp <= 1):
            break
        changed = False
        bad_t = set(np.flatnonzero(ncomp > 1).tolist())
        units = np.flatnonzero(np.isin(x, list(bad_t)))
        comp_w = np.bincount(lab[units], weights=model.w[units], minlength=lab.max() + 1)
        comp_lock = np.bincount(lab[units], weights=(model.locked[units] >= 0).astype(float),
                                minlength=lab.max() + 1)
        keep: dict[int, int] = {}
        for j in sorted(bad_t):
            mem = units[x[units] == j]
            comps = np.unique(lab[mem])
            if anchors is not None and anchors[j] >= 0 and x[anchors[j]] == j:
                keep[j] = int(lab[anchors[j]])
            else:
                key = [(-comp_lock[c], -comp_w[c], c) for c in comps.tolist()]
                keep[j] = int(min(key)[2])
        # parts holding units locked to the territory cannot move: join them by a path
        joined = False
        for j in sorted(bad_t):
            mem = units[x[units] == j]
            lparts = sorted({int(lab[u]) for u in mem.tolist() if model.locked[u] == j})
            if len(lparts) > 1 or (len(lparts) == 1 and lparts[0] != keep[j]):
                joined |= _join_parts(model, x, j, mem[lab[mem] == keep[j]],
                                      set(mem[np.isin(lab[mem], lparts)].tolist()))
        if joined:
            continue
        # orphan parts, smallest first
        orphans = sorted(
            {int(lab[u]) for u in units.tolist() if lab[u] != keep[int(x[u])]},
            key=lambda c: (comp_w[c], c),
        )
        cu = x[e[:, 0]] != x[e[:, 1]]
        be = e[cu]
        for c in orphans:
            mem = units[lab[units] == c]
            j = int(x[mem[0]])
            if np.any(model.locked[mem] == j):
                continue
            if np.any(x[mem] != j):
                continue  # already moved this round
            ms = set(mem.tolist())
            nb_t: dict[int, int] = {}
            sel = np.isin(be[:, 0], mem) | np.isin(be[:, 1], mem)
            for u, v in be[sel].tolist():
                o = v if u in ms else u
                t = int(x[o])
                if t != j and o not in ms:
                    nb_t[t] = nb_t.get(t, 0) + 1
            lk = model.locked[mem]
            if np.any(lk >= 0):
                tl = set(lk[lk >= 0].tolist())
                nb_t = {t: v for t, v in nb_t.items() if t in tl}
            if not nb_t:
                continue
            if rows is not None:
                best = min(
                    nb_t, key=lambda t: (float(np.dot(model.w[mem], rows[t, mem])), -nb_t[t], t)
                )
            else:
                best = min(nb_t, key=lambda t: (-nb_t[t], t))
            x[mem] = best
            changed = True
        if not changed:
            break
    return x


def _join_parts(model: Model, x: np.ndarray, j: int, main: np.ndarray, targets: set[int]) -> bool:
    """Assign to ``j`` the units of a shortest graph path (BFS, avoiding units locked elsewhere)
    from the part ``main`` to the nearest unit of ``targets`` outside it. True if joined."""
    from collections import deque

    nb = model.graph.nbrs
    start = set(main.tolist())
    targets = targets - start
    if not targets:
        return False
    prev: dict[int, int] = {u: -1 for u in start}
    dq = deque(sorted(start))
    hit = -1
    while dq:
        u = dq.popleft()
        for v in nb[u]:
            if v in prev or (model.locked[v] >= 0 and model.locked[v] != j):
                continue
            prev[v] = u
            if v in targets:
                hit = v
                dq.clear()
                break
            dq.append(v)
    if hit < 0:
        return False
    v = prev[hit]
    while v >= 0 and v not in start:
        x[v] = j
        v = prev[v]
    return True

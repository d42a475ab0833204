"""Exact solution of tiny instances by vectorised enumeration of all ``k**n`` assignments."""

from __future__ import annotations

import math

import numpy as np

from solvers.territory.model import Model


def n_assignments(model: Model) -> float:
    """Number of assignments of the unlocked units, ``k**free`` (``inf`` when astronomically large)."""
    free = int(np.count_nonzero(model.locked < 0))
    lg = free * math.log10(max(model.k, 1))
    return math.inf if lg > 300 else float(model.k) ** free


def enumerate_optimum(model: Model, batch: int = 50_000) -> tuple[np.ndarray | None, float]:
    """Best feasible assignment over all assignments of the unlocked units (ties: first found).

    Feasibility: locks, non-empty territories, balance within tolerance for every measure,
    contiguity (label propagation on the adjacency graph), maximum radius, disruption budget.
    Objective as in :mod:`solvers.territory.problem` (free centres: best unit of each
    territory). Returns ``(None, inf)`` if no assignment is feasible.
    """
    p, n, k = model.p, model.n, model.k
    free = np.flatnonzero(model.locked < 0)
    nf = free.size
    total = k**nf
    e = model.graph.edges
    if p.fixed_centres:
        r = model.rows(model.fixed_centre_locations()).astype(np.float64)  # (k, n)
        dmat = None
    else:
        dmat = model.rows(np.arange(n)).astype(np.float64)  # (n, n)
        r = None
    need_d = p.objective == "diameter" and dmat is None
    if need_d:
        dmat = model.rows(np.arange(n)).astype(np.float64)
    best_val, best_x = math.inf, None
    pw = k ** np.arange(nf, dtype=np.int64)
    groups = model.groups
    gl = [] if groups is None else [np.flatnonzero(groups == g) for g in np.unique(groups[groups >= 0])]
    for s in range(0, total, batch):
        idx = np.arange(s, min(s + batch, total), dtype=np.int64)
        xb = np.empty((idx.size, n), np.int64)
        xb[:, model.locked >= 0] = model.locked[model.locked >= 0]
        xb[:, free] = (idx[:, None] // pw[None, :]) % k
        ok = np.ones(idx.size, bool)
        onehot = [(xb == j) for j in range(k)]
        for j in range(k):
            ok &= onehot[j].any(axis=1)
            loads = onehot[j].astype(np.float64) @ model.a  # (B, m)
            for mi in range(model.m):
                if model.bal[mi]:
                    t = model.target[j, mi]
                    ok &= np.abs(loads[:, mi] / t - 1.0) <= model.tol[mi] + 1e-12
        if model.initial is not None and math.isfinite(model.budget):
            ref = model.initial >= 0
            mv = ((xb != model.initial[None, :]) & ref[None, :]).astype(np.float64) @ model.mw
            ok &= mv <= model.budget
        if p.contiguous and len(e):
            lab = np.tile(np.arange(n), (idx.size, 1))
            same = xb[:, e[:, 0]] == xb[:, e[:, 1]]
            for _ in range(n):
                changed = False
                for t, (u, v) in enumerate(e.tolist()):
                    m_ = np.where(same[:, t], np.minimum(lab[:, u], lab[:, v]), lab[:, u])
                    mv_ = np.where(same[:, t], np.minimum(lab[:, u], lab[:, v]), lab[:, v])
                    if not changed and (np.any(m_ != lab[:, u]) or np.any(mv_ != lab[:, v])):
                        changed = True
                    lab[:, u], lab[:, v] = m_, mv_
                if not changed:
                    break
            roots = lab == np.arange(n)[None, :]
            for j in range(k):
                ok &= (roots & onehot[j]).sum(axis=1) <= 1
        if not np.any(ok):
            continue
        xb = xb[ok]
        onehot = [o[ok] for o in onehot]
        val = np.zeros(xb.shape[0])
        if p.objective == "cut_edges":
            val += (xb[:, e[:, 0]] != xb[:, e[:, 1]]).sum(axis=1) if len(e) else 0.0
        elif p.objective == "diameter":
            iu, iv = np.triu_indices(n, 1)
            same = xb[:, iu] == xb[:, iv]
            val += np.where(same, dmat[iu, iv][None, :], 0.0).max(axis=1) if iu.size else 0.0
        if p.objective == "weighted_travel" or math.isfinite(model.radius):
            wt = np.zeros(xb.shape[0])
            feas_r = np.ones(xb.shape[0], bool)
            for j in range(k):
                mj = onehot[j].astype(np.float64)
                if r is not None:
                    wt += mj @ (model.w * r[j])
                    if math.isfinite(model.radius):
                        feas_r &= ~np.any(onehot[j] & (r[j] > model.radius)[None, :], axis=1)
                else:
                    cc = (mj * model.w[None, :]) @ dmat.T  # (B, n): cost with centre c
                    cand_ok = onehot[j].copy()
                    if math.isfinite(model.radius):
                        far = (mj @ (dmat.T > model.radius).astype(np.float64)) > 0
                        cand_ok &= ~far
                    cc = np.where(cand_ok, cc, np.inf)
                    best = cc.min(axis=1)
                    feas_r &= np.isfinite(best)
                    wt += np.where(np.isfinite(best), best, 0.0)
            if p.objective == "weighted_travel":
                val += wt
            val = np.where(feas_r, val, np.inf)
        if gl and p.group_penalty:
            for mem in gl:
                touched = sum((xb[:, mem] == j).any(axis=1).astype(np.int64) for j in range(k))
                val += p.group_penalty * (touched - 1)
        i = int(np.argmin(val))
        if val[i] < best_val - 1e-9:
            best_val, best_x = float(val[i]), xb[i].copy()
    return best_x, best_val

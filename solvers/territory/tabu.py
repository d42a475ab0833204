"""Tabu search for the pairwise objectives: cut edges and largest territory diameter.

Formulation
-----------
Both objectives are written as ``f(x) = s * sum_{u<v, x_u = x_v} W_uv`` over a dense pair
weight matrix ``W`` (``n`` up to a few thousand):

* ``cut_edges``: ``W`` = adjacency, ``s = -1`` (``cut = |E| - sum_same W``);
* ``diameter`` (threshold form): for a threshold ``D``, ``W_uv = [d_uv > D]`` (conflicts),
  ``s = +1``; a plan with ``f = 0`` has every territory diameter ``<= D``. Each time a
  balanced conflict-free plan is found, ``D`` drops to the next smaller distance value
  (the diameter of the plan is then improved).

The search minimises ``f(x) + lambda * P(x)`` where ``P`` is the summed relative balance
excess beyond tolerance; ``lambda`` oscillates (x1.03 per infeasible iteration, /1.03 per
feasible one) so the search crosses infeasible regions (strategic oscillation). A move puts
one unit in another territory; with ``contiguous`` only boundary units may move, only into an
adjacent territory, and not if they are articulation points of their territory. The unit may
not return to the territory it left for a random tenure (tabu), unless that yields a new best
feasible plan (aspiration). After ``restart_after`` iterations without a new best the search
restarts from the best plan perturbed by random moves. One *iteration* is one move.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from solvers.common import StopClock
from solvers.territory.construct import flow_allocation, repair_contiguity, seed_centres
from solvers.territory.edit import complete_initial
from solvers.territory.graph import Graph, stays_connected
from solvers.territory.model import Model
from solvers.territory.params import TerritoryParams


class PairTabu:
    """State of the tabu search (see module docstring)."""

    def __init__(self, model: Model, x: np.ndarray, w: np.ndarray | None, sign: float,
                 rng: np.random.Generator, *, max_swap_units: int) -> None:
        self.md = model
        self.rng = rng
        self.max_swap_units = max_swap_units
        n, k = model.n, model.k
        self.n, self.k = n, k
        self.sign = sign
        self.contiguous = model.p.contiguous
        e = model.graph.edges
        adj = np.zeros((n, n), np.float32)
        adj[e[:, 0], e[:, 1]] = 1
        adj[e[:, 1], e[:, 0]] = 1
        self.adj = adj
        self.tgt = np.where(model.target > 0, model.target, 1.0)
        self.tolv = np.where(model.bal, model.tol, 0.0)
        self.balm = model.bal.astype(np.float64)
        self.lam = 1.0
        self.set_weights(adj if w is None else w, x)
        self.tabu = np.zeros((n, k), np.int64)
        self.it = 0
        self.movable = model.locked < 0
        self.swaps = True
        self.beta = 0.0  # weight of the squared deviation (used while out of balance)
        if math.isfinite(model.radius) and model.p.fixed_centres:
            r = model.rows(model.fixed_centre_locations())
            self.allowed = (r <= model.radius).T
        else:
            self.allowed = None

    def set_weights(self, w: np.ndarray, x: np.ndarray | None = None) -> None:
        if x is not None:
            self.x = np.asarray(x, np.int64).copy()
        self.xl = self.x.tolist()
        self.w = np.asarray(w, np.float32)
        oh = np.zeros((self.n, self.k), np.float32)
        oh[np.arange(self.n), self.x] = 1
        self.mw = (self.w @ oh).astype(np.float64)
        self.na = (self.adj @ oh).astype(np.float64)
        self.loads = np.zeros((self.k, self.md.m))
        np.add.at(self.loads, self.x, self.md.a)
        self.size = np.bincount(self.x, minlength=self.k)
        self.f = self.sign * 0.5 * float(self.mw[np.arange(self.n), self.x].sum())

    def pen(self, loads: np.ndarray, j) -> np.ndarray:
        dev = (loads / self.tgt[j] - 1.0) * self.balm
        return np.maximum(np.abs(dev) - self.tolv, 0.0).sum(axis=-1)

    def qpen(self, loads: np.ndarray, j) -> np.ndarray:
        """Squared relative deviation (guides the search inside the tolerance window)."""
        dev = (loads / self.tgt[j] - 1.0) * self.balm
        return (dev * dev).sum(axis=-1)

    def penalty(self) -> float:
        return float(self.pen(self.loads, np.arange(self.k)).sum())

    def apply(self, u: int, b: int) -> None:
        a = self.xl[u]
        self.f += self.sign * (self.mw[u, b] - self.mw[u, a])
        wu = self.w[u].astype(np.float64)
        self.mw[:, a] -= wu
        self.mw[:, b] += wu
        au = self.adj[u].astype(np.float64)
        self.na[:, a] -= au
        self.na[:, b] += au
        self.loads[a] -= self.md.a[u]
        self.loads[b] += self.md.a[u]
        self.size[a] -= 1
        self.size[b] += 1
        self.x[u] = b
        self.xl[u] = b

    def step(self, best_f: float, tenure: tuple[int, int]) -> bool:
        """One tabu move. Returns False if no move is possible."""
        n, k, x = self.n, self.k, self.x
        ar = np.arange(n)
        p_all = self.pen(self.loads, np.arange(k))
        la = self.loads[x]
        pa_new = self.pen(la - self.md.a, x) - p_all[x]
        pb_new = self.pen(self.loads[None, :, :] + self.md.a[:, None, :], np.arange(k)[None, :])
        dpen = pa_new[:, None] + (pb_new - p_all[None, :])
        df = self.sign * (self.mw - self.mw[ar, x][:, None])
        score = df + self.lam * dpen
        if self.beta > 0 and float(p_all.sum()) > 1e-12:  # only while out of balance
            q_all = self.qpen(self.loads, np.arange(k))
            qa = self.qpen(la - self.md.a, x) - q_all[x]
            qb = self.qpen(self.loads[None, :, :] + self.md.a[:, None, :], np.arange(k)[None, :])
            score = score + self.lam * self.beta * (qa[:, None] + qb - q_all[None, :])
        bad = np.zeros((n, k), bool)
        bad[ar, x] = True
        bad[~self.movable] = True
        bad[self.size[x] <= 1] = True
        if self.contiguous:
            bad |= self.na <= 0
        if self.allowed is not None:
            bad |= ~self.allowed
        p_now = float(p_all.sum())
        new_f = self.f + df
        new_p = p_now + dpen
        aspire = (new_p <= 1e-12) & (new_f < best_f - 1e-9)
        bad |= (self.tabu > self.it) & ~aspire
        score = np.where(bad, np.inf, score + 1e-7 * self.rng.random((n, k)))
        flat = score.ravel()
        cand = np.flatnonzero(np.isfinite(flat))
        if self.swaps and self.try_swap(float(flat[cand].min()) if cand.size else np.inf,
                                        p_all, best_f, tenure):
            return True
        if cand.size == 0:
            return False
        take = min(cand.size, 64)
        order = cand[np.argpartition(flat[cand], take - 1)[:take]] if take < cand.size else cand
        order = order[np.argsort(flat[order], kind="stable")]
        for c in order.tolist():
            u, b = divmod(c, k)
            if self.contiguous and not stays_connected(self.md.graph.nbrs, self.xl, u):
                continue
            a = self.xl[u]
            self.apply(u, b)
            self.tabu[u, a] = self.it + int(self.rng.integers(tenure[0], tenure[1] + 1))
            return True
        return False

    def try_swap(self, best_single: float, p_all: np.ndarray, best_f: float,
                 tenure: tuple[int, int]) -> bool:
        """Best exchange of two units between territories if it beats the best single move.

        ``u`` (territory ``a``) and ``v`` (``b``) trade places; both must be movable, non-tabu
        (unless aspiration), adjacent to the other's territory when contiguous; both
        territories must stay connected (checked after the exchange, undone otherwise). On
        graphs above ``max_swap_units`` units only exchanges involving a unit of a territory
        out of balance are scored."""
        n, x = self.n, self.x
        md = self.md
        if n <= self.max_swap_units:
            rows = np.arange(n)
        else:
            if float(p_all.sum()) <= 1e-12:
                return False
            rows = np.flatnonzero(p_all[x] > 1e-12)
        ar = np.arange(n)
        xr = x[rows]
        # d1[r, v]: rows[r] -> x_v ; d2[r, v]: v -> x_rows[r]
        d1 = self.sign * (self.mw[rows][:, x] - self.mw[rows, xr][:, None])
        d2 = self.sign * (self.mw[:, xr].T - self.mw[ar, x][None, :])
        dpair = d1 + d2 - self.sign * 2.0 * self.w[rows].astype(np.float64)
        ok = (xr[:, None] != x[None, :]) & self.movable[rows][:, None] & self.movable[None, :]
        if n <= self.max_swap_units:
            ok &= xr[:, None] < x[None, :]
        if self.contiguous:
            ok &= (self.na[rows][:, x] > 0) & (self.na[:, xr].T > 0)
        if not np.any(ok):
            return False
        ri, vv = np.nonzero(ok)
        uu = rows[ri]
        a, b = x[uu], x[vv]
        diff = md.a[uu] - md.a[vv]
        pa = self.pen(self.loads[a] - diff, a) - p_all[a]
        pb = self.pen(self.loads[b] + diff, b) - p_all[b]
        dpen = pa + pb
        df = dpair[ri, vv]
        sc = df + self.lam * dpen
        if self.beta > 0:
            q_all = self.qpen(self.loads, np.arange(self.k))
            dq = (self.qpen(self.loads[a] - diff, a) - q_all[a]) + (self.qpen(self.loads[b] + diff, b) - q_all[b])
            sc = sc + self.lam * self.beta * dq
        newp = float(p_all.sum()) + dpen
        aspire = (newp <= 1e-12) & (self.f + df < best_f - 1e-9)
        tabu = ((self.tabu[uu, b] > self.it) | (self.tabu[vv, a] > self.it)) & ~aspire
        sc = np.where(tabu, np.inf, sc + 1e-7 * self.rng.random(sc.size))
        if not np.any(np.isfinite(sc)):
            return False
        take = min(sc.size, 8)
        top = np.argpartition(sc, take - 1)[:take] if take < sc.size else np.arange(sc.size)
        for t in top[np.argsort(sc[top], kind="stable")].tolist():
            if not sc[t] < best_single - 1e-9:
                return False
            u, v = int(uu[t]), int(vv[t])
            ta, tb = self.xl[u], self.xl[v]
            self.apply(u, tb)
            self.apply(v, ta)
            if self.contiguous and not (_connected(md.graph, self.xl, ta, v) and
                                        _connected(md.graph, self.xl, tb, u)):
                self.apply(v, tb)
                self.apply(u, ta)
                continue
            self.tabu[u, ta] = self.it + int(self.rng.integers(tenure[0], tenure[1] + 1))
            self.tabu[v, tb] = self.it + int(self.rng.integers(tenure[0], tenure[1] + 1))
            return True
        return False

    def perturb(self, n_moves: int) -> None:
        """Random feasible-contiguity moves (used at restarts)."""
        for _ in range(n_moves):
            u = int(self.rng.integers(self.n))
            if not self.movable[u] or self.size[self.xl[u]] <= 1:
                continue
            if self.contiguous:
                opts = sorted({self.xl[v] for v in self.md.graph.nbrs[u]} - {self.xl[u]})
                if not opts or not stays_connected(self.md.graph.nbrs, self.xl, u):
                    continue
            else:
                opts = [j for j in range(self.k) if j != self.xl[u]]
            self.apply(u, int(opts[int(self.rng.integers(len(opts)))]))


def _connected(graph: Graph, xl: list[int], t: int, start: int) -> bool:
    """Whether territory ``t`` (containing ``start``) is connected in ``graph``."""
    size = sum(1 for v in xl if v == t)
    seen = {start}
    stack = [start]
    nb = graph.nbrs
    while stack:
        u = stack.pop()
        for w in nb[u]:
            if w not in seen and xl[w] == t:
                seen.add(w)
                stack.append(w)
    return len(seen) == size


def region_growing(model: Model, rng: np.random.Generator) -> np.ndarray:
    """Random contiguous start: ``k`` random seeds (locked units first), then repeatedly the
    territory furthest below its workload target takes a random adjacent free unit."""
    n, k = model.n, model.k
    x = np.full(n, -1, np.int64)
    lk = model.locked >= 0
    x[lk] = model.locked[lk]
    free = np.flatnonzero(~lk)
    for j in range(k):
        if not np.any(x == j) and free.size:
            cand = free[x[free] < 0]
            x[int(cand[int(rng.integers(cand.size))])] = j
    nb = model.graph.nbrs
    load = np.bincount(x[x >= 0], weights=model.w[x >= 0], minlength=k)
    tgt = model.shares * model.w.sum()
    frontier: list[set[int]] = [set() for _ in range(k)]
    for u in np.flatnonzero(x >= 0).tolist():
        for v in nb[u]:
            if x[v] < 0:
                frontier[x[u]].add(v)
    while True:
        open_t = [j for j in range(k) if any(x[v] < 0 for v in frontier[j])]
        if not open_t:
            break
        j = min(open_t, key=lambda t: (load[t] / tgt[t], t))
        opts = sorted(v for v in frontier[j] if x[v] < 0)
        frontier[j] = set(opts)
        v = opts[int(rng.integers(len(opts)))]
        x[v] = j
        load[j] += model.w[v]
        frontier[j].discard(v)
        for t in nb[v]:
            if x[t] < 0:
                frontier[j].add(t)
    rest = np.flatnonzero(x < 0)  # units not reachable from any seed
    if rest.size:
        x[rest] = int(np.argmin(load / tgt))
    return x


def solve_tabu(model: Model, clock: StopClock, rng: np.random.Generator, info: dict[str, Any],
               params: TerritoryParams) -> np.ndarray:
    """Multi-start tabu search for ``cut_edges`` or ``diameter`` (see module docstring).

    Statistics go into ``info`` under the names of
    :class:`~solvers.territory.problem.TerritorySolveStats` fields."""
    if model.n > params.max_tabu_units:
        raise ValueError(f"objective {model.p.objective!r} supports at most {params.max_tabu_units} units")
    if model.p.objective == "cut_edges":
        return _solve_cut(model, clock, rng, info, params)
    return _solve_diameter(model, clock, rng, info, params)


def _initial(model: Model, rng: np.random.Generator) -> np.ndarray:
    if model.initial is not None:
        return complete_initial(model)
    return region_growing(model, rng)


def _solve_cut(model: Model, clock: StopClock, rng: np.random.Generator, info: dict[str, Any],
               params: TerritoryParams) -> np.ndarray:
    n, k = model.n, model.k
    x0 = _initial(model, rng)
    ts = PairTabu(model, x0, None, -1.0, rng, max_swap_units=params.max_swap_units)
    m_edges = len(model.graph.edges)
    tenure = (max(2, n // 20), max(4, n // 8))
    restart_after = max(200, 30 * n)
    best_x, best_f = None, math.inf
    # with a time limit (and no iteration limit) small graphs end with CP-SAT (hinted by the
    # tabu plan): tabu until 10 % of the time, the recombination walk until 80 %, then the
    # whole CP-SAT model hinted by the best plan (improve and prove)
    cp_share = 1.0 - params.tabu_until if (clock.rule.max_iterations is None and clock.rule.time_limit_s
                                           and n <= params.max_cpsat_units) else 0.0
    tabu_clock = clock.rule.scaled(1.0 - cp_share).clock() if cp_share else clock
    last_best = 0
    ts.lam = 10.0 * n / k
    restarts = 0
    while not clock.done() and (not tabu_clock.done() or best_x is None):
        if not ts.step(best_f - m_edges, tenure):
            ts.tabu[:] = 0
            ts.perturb(max(3, n // 10))
        clock.tick()
        if tabu_clock is not clock:
            tabu_clock.tick()
        ts.it += 1
        p = ts.penalty()
        cut = m_edges + ts.f
        if p <= 1e-12:
            ts.lam = max(ts.lam / 1.03, 0.1)
            if cut < best_f - 1e-9:
                best_f, best_x, last_best = cut, ts.x.copy(), ts.it
        else:
            ts.lam = min(ts.lam * 1.03, 1e9)
        if ts.it - last_best > restart_after:
            restarts += 1
            last_best = ts.it
            if best_x is not None and restarts % 3:
                ts.set_weights(ts.adj, best_x)
                ts.perturb(max(3, n // 10))
            else:
                ts.set_weights(ts.adj, region_growing(model, rng))
            ts.tabu[:] = 0
    info.update(method="tabu:cut_edges", iterations=ts.it, restarts=restarts,
                 best_found=None if best_x is None else float(best_f))
    out = best_x if best_x is not None else ts.x
    if cp_share > 0 and best_x is not None:
        from solvers.territory.recom import recom_search

        tl = clock.rule.time_limit_s or 0.0
        rx, rcut, walk = recom_search(model, best_x, rng, clock, params.recom_until * tl,
                                      stall=params.recom_stall, tree_tries=params.recom_tree_tries)
        info.update(recom_steps=walk.steps, recom_restarts=walk.restarts, recom_cut=rcut)
        if rcut <= best_f:
            out, best_f = rx, float(rcut)
    remaining = clock.remaining_s()
    if cp_share > 0 and remaining is not None and remaining > 0.5:
        from solvers.territory.cpsat import solve_cut_cpsat

        cx, val, proven, bound = solve_cut_cpsat(model, out if best_x is not None else None,
                                                 remaining, seed=int(rng.integers(1 << 30)),
                                                 workers=params.cpsat_workers)
        info.update(method="tabu+recom+cpsat:cut_edges", cpsat_objective=val, bound=bound,
                     proven_optimal=proven)
        if cx is not None and val <= best_f + 1e-9:
            out = cx
    return out


def _solve_diameter(model: Model, clock: StopClock, rng: np.random.Generator, info: dict[str, Any],
                    params: TerritoryParams) -> np.ndarray:
    n = model.n
    d = np.asarray(model.travel.matrix(np.arange(n)), dtype=np.float64)
    d = np.maximum(d, d.T)
    values = np.unique(d[np.triu_indices(n, 1)])
    # Without a contiguity requirement the search still uses the contiguous move rules
    # (boundary moves into adjacent territories, articulation checks) when the graph is
    # connected: every contiguous plan is a plan of the free problem, and on the DTDP planar
    # graphs this restricted neighbourhood finds much smaller diameters than free moves (mean
    # gap to the published values -2.7 % vs +2.5 % at 60 s; free moves from a good contiguous
    # plan did not improve it either). Free moves remain for disconnected graphs.
    guided = (not model.p.contiguous and model.initial is None and model.n > 1
              and model.graph.components()[0] == 1)
    contiguous_moves = model.p.contiguous or guided
    method = "tabu:diameter" + (" (contiguous moves)" if guided else "")
    if model.initial is not None:
        best_x, best_d, its, levels = _diameter_run(model, d, values, _initial(model, rng), (clock,),
                                                    rng, contiguous_moves, params)
        info.update(method=method, iterations=its, levels=levels, best_found=best_d)
        return best_x
    # Multi-start: the plan found depends mostly on the compact start (on the DTDP set the
    # diameter reached from bisections at different angles varies by up to 15 %), so
    # params.diameter_starts starts (bisection axes rotated by 180/diameter_starts degrees each)
    # get params.diameter_start_share of the budget in equal parts, and the best plan the rest.
    n_starts = params.diameter_starts
    per_start = clock.rule.scaled(params.diameter_start_share / n_starts)
    best_x, best_d, its, levels, start_d = None, math.inf, 0, 0, []
    for i in range(n_starts):
        if clock.done():
            break
        c = seed_centres(model, rng, angle_deg=i * 180.0 / n_starts)
        rows = model.rows(c)
        x0 = flow_allocation(model, rows)
        if contiguous_moves:
            x0 = repair_contiguity(model, x0, rows, c)
        bx, bd, it, lv = _diameter_run(model, d, values, x0, (clock, per_start.clock()), rng,
                                       contiguous_moves, params)
        its, levels = its + it, levels + lv
        start_d.append(bd)
        if bd < best_d:
            best_x, best_d = bx, bd
    if not clock.done() and best_x is not None:
        bx, bd, it, lv = _diameter_run(model, d, values, best_x, (clock,), rng, contiguous_moves, params)
        its, levels = its + it, levels + lv
        if bd < best_d:
            best_x, best_d = bx, bd
    info.update(method=method, iterations=its, levels=levels, starts=len(start_d),
                start_diameters=tuple(start_d), best_found=None if best_x is None else best_d)
    return best_x if best_x is not None else x0


def _diameter_run(model: Model, d: np.ndarray, values: np.ndarray, x0: np.ndarray,
                  clocks: tuple[StopClock, ...], rng: np.random.Generator,
                  contiguous_moves: bool, params: TerritoryParams) -> tuple[np.ndarray, float, int, int]:
    """One threshold tabu search from ``x0`` until any of ``clocks`` is done. Returns ``(best
    balanced plan or the last plan, its diameter or inf, iterations, threshold levels)``."""
    n, k = model.n, model.k
    ts = PairTabu(model, x0, None, 1.0, rng, max_swap_units=params.max_swap_units)
    ts.contiguous = contiguous_moves
    ts.beta = 0.5 if model.m > 1 else 0.0  # several measures: steer to the window centre

    def diam(x: np.ndarray) -> float:
        same = x[:, None] == x[None, :]
        return float(np.where(same, d, 0.0).max())

    def lower(v: float) -> float:
        i = int(np.searchsorted(values, v)) - 1
        return float(values[max(i, 0)])

    def done() -> bool:
        return any(c.done() for c in clocks)

    best_x, best_d = None, math.inf
    step = 0.04  # relative decrease of the threshold after a success, adapted
    dx0 = diam(x0)
    thr = dx0  # first reach balance without making the start's diameter worse
    ts.set_weights((d > thr).astype(np.float32), x0)
    tenure = (max(3, n // 50), max(6, n // 20))
    patience = max(2000, 10 * n)  # iterations at a threshold before relaxing it
    ts.lam = 10.0 * n / k
    last = 0
    levels = 0
    while not done():
        if not ts.step(0.5, tenure):
            ts.tabu[:] = 0
            ts.perturb(max(3, n // 20))
        for c in clocks:
            c.tick()
        ts.it += 1
        p = ts.penalty()
        if p <= 1e-12:
            ts.lam = max(ts.lam / 1.03, 0.1)
        else:
            ts.lam = min(ts.lam * 1.03, 1e9)
        if p <= 1e-12 and ts.f <= 1e-9:
            dx = diam(ts.x)
            if dx < best_d:
                best_d, best_x = dx, ts.x.copy()
            step = min(step * 1.5, 0.05)
            thr = lower(min(dx, best_d) * (1 - step))
            if thr >= dx:
                break
            levels += 1
            ts.set_weights((d > thr).astype(np.float32), ts.x)
            ts.tabu[:] = 0
            last = ts.it
        elif ts.it - last > patience:
            # threshold too ambitious for now: relax it halfway towards the best diameter
            last = ts.it
            if best_x is None:
                # no balanced plan yet at this threshold: allow a larger diameter
                i = int(np.searchsorted(values, thr * 1.05))
                thr = float(values[min(i, values.size - 1)])
                ts.set_weights((d > thr).astype(np.float32))
                ts.tabu[:] = 0
                continue
            ref = best_d
            step = step / 2
            new_thr = lower(ref * (1 - step)) if step > 1e-4 else thr
            if new_thr > thr:
                thr = new_thr
                ts.set_weights((d > thr).astype(np.float32))
            elif best_x is not None:
                ts.set_weights(ts.w, best_x)
                ts.perturb(max(3, n // 20))
                step = 0.02
                thr = lower(best_d * (1 - step))
                ts.set_weights((d > thr).astype(np.float32))
            ts.tabu[:] = 0
    if best_x is None:
        return ts.x, math.inf, ts.it, levels
    return best_x, best_d, ts.it, levels

"""Boundary local search for the compactness objective (workload-weighted travel time).

Formulation of the search
-------------------------
The search minimises the penalised score

``F(x) = L_P * P(x) / delta + q * Q(x) / delta**2 + (C(x) + g * S(x)) / c_bar``

where ``P`` is the summed relative balance excess beyond tolerance over territories and
measures, ``Q`` the summed squared relative deviation from the targets (drives load along
chains of territories; its weight ``q`` is lowered once ``P = 0``), ``C`` the
workload-weighted travel time to the centres, ``S`` the number of market-group splits with
penalty ``g``, ``delta = k / n`` the share of a typical unit and ``c_bar`` the mean travel cost
of a unit. Hard constraints are kept by the move filter: locks, contiguity of the donor
territory (articulation test), non-empty territories, maximum radius and the disruption
budget.

One *iteration* is one sweep: all boundary moves ``(unit, adjacent territory)`` are scored
with numpy against the current state, the improving ones are sorted (score, unit, territory)
and applied greedily after re-scoring each against the updated state. A sweep that applies no
move recentres free centres; the search ends when a sweep applies no move and no centre
changes, or at the stopping rule.
"""

from __future__ import annotations

import math

import numpy as np

from solvers.common import StopClock
from solvers.territory.graph import stays_connected
from solvers.territory.model import Model


class TravelSearch:
    """State and moves of the boundary local search (see module docstring)."""

    def __init__(
        self, model: Model, x: np.ndarray, centres: np.ndarray, rows: np.ndarray
    ) -> None:
        self.md = model
        self.x = np.asarray(x, dtype=np.int64).copy()
        self.xl: list[int] = self.x.tolist()
        self.centres = np.asarray(centres, dtype=np.int64).copy()
        self.rows = rows
        n, k = model.n, model.k
        self.free = not model.p.fixed_centres
        self.is_centre = np.zeros(n, bool)
        if self.free:
            self.is_centre[self.centres[self.centres >= 0]] = True
        self.loads = np.zeros((k, model.m))
        np.add.at(self.loads, self.x, model.a)
        self.size = np.bincount(self.x, minlength=k)
        self.delta = k / max(n, 1)
        cost = model.w * rows[self.x, np.arange(n)]
        self.cbar = max(float(cost.mean()), 1e-9)
        self.lp = 10.0
        self.q = 0.5
        self.tgt = np.where(model.target > 0, model.target, 1.0)
        self.tolv = np.where(model.bal, model.tol, 0.0)
        self.balm = model.bal.astype(np.float64)
        self.moved_w = 0.0
        if model.initial is not None:
            ref = model.initial >= 0
            self.moved_w = float(model.mw[ref & (self.x != model.initial)].sum())
        self.gcnt: dict[tuple[int, int], int] = {}
        if model.groups is not None and model.p.group_penalty > 0:
            for g, t in zip(model.groups.tolist(), self.xl, strict=True):
                if g >= 0:
                    self.gcnt[(g, t)] = self.gcnt.get((g, t), 0) + 1
        self.gl = model.groups.tolist() if model.groups is not None else None
        self.wl = model.w.tolist()
        self.al = model.a.tolist()
        self.iterations = 0
        self.moves = 0

    # ---------------------------------------------------------------- scoring
    def _terr_terms(self, loads: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dev = (loads / self.tgt[j] - 1.0) * self.balm
        p = np.maximum(np.abs(dev) - self.tolv, 0.0).sum(axis=-1)
        q = (dev * dev).sum(axis=-1)
        return p, q

    def scores(self, u: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Score change of moving units ``u`` to territories ``b`` (vectorised)."""
        md = self.md
        a = self.x[u]
        au = md.a[u]
        la, lb = self.loads[a], self.loads[b]
        pa0, qa0 = self._terr_terms(la, a)
        pb0, qb0 = self._terr_terms(lb, b)
        pa1, qa1 = self._terr_terms(la - au, a)
        pb1, qb1 = self._terr_terms(lb + au, b)
        dp = (pa1 + pb1 - pa0 - pb0) / self.delta
        dq = (qa1 + qb1 - qa0 - qb0) / (self.delta**2)
        dc = md.w[u] * (self.rows[b, u].astype(np.float64) - self.rows[a, u])
        s = self.lp * dp + self.q * dq + dc / self.cbar
        if self.gcnt:
            gp = md.p.group_penalty / self.cbar
            s = s + gp * np.array(
                [self._dsplit(int(ui), int(ai), int(bi)) for ui, ai, bi in zip(u, a, b, strict=True)]
            )
        return s

    def _dsplit(self, u: int, a: int, b: int) -> int:
        g = self.gl[u] if self.gl is not None else -1
        if g < 0 or not self.gcnt:
            return 0
        return (1 if self.gcnt.get((g, b), 0) == 0 else 0) - (1 if self.gcnt.get((g, a), 0) == 1 else 0)

    def _dmoved(self, u: int, a: int, b: int) -> float:
        ini = self.md.initial
        if ini is None or ini[u] < 0:
            return 0.0
        w = float(self.md.mw[u])
        return (w if ini[u] == a else 0.0) - (w if ini[u] == b else 0.0)

    # ---------------------------------------------------------------- moves
    def candidates(self) -> tuple[np.ndarray, np.ndarray]:
        md, x = self.md, self.x
        e = md.graph.edges
        d = x[e[:, 0]] != x[e[:, 1]]
        u = np.concatenate([e[d, 0], e[d, 1]])
        b = np.concatenate([x[e[d, 1]], x[e[d, 0]]])
        if u.size == 0:
            return u, b
        key = np.unique(u * md.k + b)
        u, b = key // md.k, key % md.k
        ok = (md.locked[u] < 0) & ~self.is_centre[u]
        if math.isfinite(md.radius):
            ok &= self.rows[b, u] <= md.radius
        return u[ok], b[ok]

    def apply(self, u: int, a: int, b: int) -> None:
        md = self.md
        self.x[u] = b
        self.xl[u] = b
        au = md.a[u]
        self.loads[a] -= au
        self.loads[b] += au
        self.size[a] -= 1
        self.size[b] += 1
        self.moved_w += self._dmoved(u, a, b)
        if self.gcnt and self.gl is not None and self.gl[u] >= 0:
            g = self.gl[u]
            self.gcnt[(g, a)] -= 1
            if self.gcnt[(g, a)] == 0:
                del self.gcnt[(g, a)]
            self.gcnt[(g, b)] = self.gcnt.get((g, b), 0) + 1
        self.moves += 1

    def sweep(self) -> int:
        """One iteration: greedy application of improving boundary moves. Returns #moves."""
        md = self.md
        u, b = self.candidates()
        if u.size == 0:
            return 0
        s = self.scores(u, b)
        keep = s < -1e-9
        u, b, s = u[keep], b[keep], s[keep]
        order = np.lexsort((b, u, s))
        applied = 0
        nb = md.graph.nbrs
        touched: set[int] = set()
        contiguous = md.p.contiguous
        for t in order.tolist():
            ui, bi = int(u[t]), int(b[t])
            ai = self.xl[ui]
            if ai == bi or self.size[ai] <= 1:
                continue
            if ai in touched or bi in touched:
                # state changed: re-score against the current loads
                if not any(self.xl[v] == bi for v in nb[ui]):
                    continue
                sc = float(self.scores(np.array([ui]), np.array([bi]))[0])
                if sc >= -1e-9:
                    continue
            if self.moved_w + self._dmoved(ui, ai, bi) > md.budget:
                continue
            if contiguous and not stays_connected(md.graph.nbrs, self.xl, ui):
                # articulation unit: move it with the parts it would cut off (block move)
                block = self.cut_off_block(ui)
                if block is None or self.block_score(block, ai, bi) >= -1e-9:
                    continue
                dm = sum(self._dmoved(v, ai, bi) for v in block)
                if self.moved_w + dm > md.budget:
                    continue
                for v in block:
                    self.apply(v, ai, bi)
                touched.add(ai)
                touched.add(bi)
                applied += 1
                continue
            self.apply(ui, ai, bi)
            touched.add(ai)
            touched.add(bi)
            applied += 1
        return applied

    def cut_off_block(self, u: int, max_share: float = 0.34) -> list[int] | None:
        """``u`` plus the parts of its territory that removing ``u`` would disconnect from the
        main part (the part with the centre or locked units, else the heaviest). ``None`` if a
        cut-off part holds a locked unit or the centre, or the block exceeds ``max_share`` of
        the territory's units."""
        md, xl, nb = self.md, self.xl, self.md.graph.nbrs
        a = xl[u]
        seen = {u}
        parts: list[list[int]] = []
        for s0 in nb[u]:
            if xl[s0] != a or s0 in seen:
                continue
            part = [s0]
            seen.add(s0)
            stack = [s0]
            while stack:
                v = stack.pop()
                for w in nb[v]:
                    if w not in seen and xl[w] == a:
                        seen.add(w)
                        part.append(w)
                        stack.append(w)
            parts.append(part)
        if len(parts) <= 1:
            return [u]
        locked = md.locked

        def key(part: list[int]) -> tuple:
            anchor = any(self.is_centre[v] or locked[v] >= 0 for v in part)
            return (anchor, sum(self.wl[v] for v in part), len(part), -min(part))

        parts.sort(key=key, reverse=True)
        block = [u]
        for part in parts[1:]:
            if any(self.is_centre[v] or locked[v] >= 0 for v in part):
                return None
            block.extend(part)
        if len(block) > max_share * self.size[a]:
            return None
        return sorted(block)

    def block_score(self, block: list[int], a: int, b: int) -> float:
        """Score change of moving all units of ``block`` from ``a`` to ``b``."""
        md = self.md
        idx = np.asarray(block, dtype=np.int64)
        d = md.a[idx].sum(axis=0)
        ab = np.array([a, b])
        p0, q0 = self._terr_terms(self.loads[ab], ab)
        p1, q1 = self._terr_terms(self.loads[ab] + np.stack([-d, d]), ab)
        dp = float((p1 - p0).sum()) / self.delta
        dq = float((q1 - q0).sum()) / (self.delta**2)
        dc = float(np.dot(md.w[idx], self.rows[b, idx].astype(np.float64) - self.rows[a, idx]))
        sc = self.lp * dp + self.q * dq + dc / self.cbar
        if self.gcnt:
            sc += md.p.group_penalty / self.cbar * sum(self._dsplit(v, a, b) for v in block)
        return sc

    def diffuse(self, measure: int = 0, max_rounds: int = 3) -> int:
        """Move load along the territory graph where a min-cost flow says it should go.

        Transfers ``f_ab`` between adjacent territories solve ``min sum f_ab`` subject to
        ``sum_b f_ab - f_ba = A_a - T_a`` (the surplus of measure ``measure``); each transfer is
        executed by moving boundary units from ``a`` to ``b`` in order of least travel-cost
        increase, keeping ``a`` connected. Returns the number of units moved.
        """
        import heapq

        from ortools.graph.python import min_cost_flow

        md, k = self.md, self.md.k
        if not md.bal[measure]:
            return 0
        e = md.graph.edges
        nb = md.graph.nbrs
        moved = 0
        for _ in range(max_rounds):
            ex = self.loads[:, measure] - md.target[:, measure]
            tol = md.tol[measure] * md.target[:, measure]
            if np.all(np.abs(ex) <= 0.5 * tol):
                break
            x = self.x
            d = x[e[:, 0]] != x[e[:, 1]]
            pairs = np.unique(np.stack([x[e[d, 0]], x[e[d, 1]]], axis=1), axis=0)
            if pairs.size == 0:
                break
            tails = np.concatenate([pairs[:, 0], pairs[:, 1]]).astype(np.int32)
            heads = np.concatenate([pairs[:, 1], pairs[:, 0]]).astype(np.int32)
            scale = 1.0e6 / max(float(np.abs(ex).sum()), 1e-12)
            sup = np.rint(ex * scale).astype(np.int64)
            sup[0] -= int(sup.sum())
            f = min_cost_flow.SimpleMinCostFlow()
            arcs = f.add_arcs_with_capacity_and_unit_cost(
                tails, heads, np.full(len(tails), 10**12, np.int64), np.ones(len(tails), np.int64)
            )
            f.set_nodes_supplies(np.arange(k, dtype=np.int32), sup)
            if f.solve() != f.OPTIMAL:
                break
            flow = f.flows(arcs) / scale
            order = np.argsort(-ex[tails], kind="stable")  # from the largest surplus first
            round_moved = 0
            for t in order.tolist():
                amt = float(flow[t])
                a, b = int(tails[t]), int(heads[t])
                if amt <= 0:
                    continue
                heap: list[tuple[float, int]] = []
                for u in np.flatnonzero(self.x == a).tolist():
                    if any(self.xl[v] == b for v in nb[u]):
                        heapq.heappush(heap, (self._unit_dcost(u, a, b), u))
                done = 0.0
                tried: set[int] = set()
                while heap and done < amt - 0.5 * md.a[heap[0][1], measure]:
                    _, u = heapq.heappop(heap)
                    if u in tried or self.xl[u] != a or self.size[a] <= 1:
                        continue
                    tried.add(u)
                    if md.locked[u] >= 0 or self.is_centre[u]:
                        continue
                    if md.radius < math.inf and self.rows[b, u] > md.radius:
                        continue
                    if self.moved_w + self._dmoved(u, a, b) > md.budget:
                        continue
                    if md.p.contiguous and not stays_connected(md.graph.nbrs, self.xl, u):
                        continue
                    self.apply(u, a, b)
                    done += float(md.a[u, measure])
                    round_moved += 1
                    for v in nb[u]:
                        if self.xl[v] == a and v not in tried:
                            heapq.heappush(heap, (self._unit_dcost(v, a, b), v))
            moved += round_moved
            if round_moved == 0:
                break
        return moved

    def _unit_dcost(self, u: int, a: int, b: int) -> float:
        return float(self.md.w[u] * (float(self.rows[b, u]) - float(self.rows[a, u])))

    def balance_excess(self) -> float:
        p, _ = self._terr_terms(self.loads, np.arange(self.md.k))
        return float(p.sum())

    def recentre(self) -> bool:
        """Free centres: move each centre to the best 1-median candidate; True if any changed."""
        if not self.free:
            return False
        new = self.md.best_centres(self.x, self.centres)
        ch = np.flatnonzero(new != self.centres)
        if ch.size == 0:
            return False
        self.rows[ch] = self.md.rows(new[ch])
        self.is_centre[self.centres] = False
        self.centres = new
        self.is_centre[new] = True
        return True

    def run(self, clock: StopClock) -> None:
        """Sweeps until convergence or the stopping rule (see module docstring).

        Before the sweeps, and whenever a sweep ends out of balance, the workload is
        rebalanced along the territory graph (:meth:`diffuse`)."""
        if self.balance_excess() > 1e-12:
            self.diffuse()
        while not clock.done():
            applied = self.sweep()
            clock.tick()
            self.iterations += 1
            if self.balance_excess() <= 1e-12:
                self.q = 0.05
            if applied == 0:
                if self.balance_excess() > 1e-12 and self.lp < 1e6:
                    if self.lp < 20:
                        self.diffuse()
                    self.lp *= 4.0  # stuck out of balance: balance outweighs compactness more
                    continue
                if clock.done() or not self.recentre():
                    break

"""Internal model of a territory problem: normalised arrays, travel rows, evaluation.

:class:`Model` turns a :class:`~solvers.territory.problem.TerritoryProblem` into the arrays the
searches use; :func:`evaluate` recomputes everything reported in a
:class:`~solvers.territory.problem.TerritoryResult` from an assignment (it never trusts search
state).
"""

from __future__ import annotations

import math

import numpy as np

from solvers.common import UNREACHABLE, Status, TravelTimes
from solvers.territory.graph import Graph, delaunay_adjacency, territory_components
from solvers.territory.problem import TerritoryProblem, TerritoryStats, Violation

BIG_TIME = 1.0e12
BALANCE_SLACK = 1e-4
"""A measure within this relative distance of its tolerance meets it (reported plans): a load
at the tolerance up to rounding (e.g. +2.10 % for a 2.10 % tolerance) is not a violation."""
"""Travel time used in float arrays for unreachable pairs."""


class EuclideanTravel:
    """:class:`~solvers.common.TravelTimes` with straight-line metres as the time unit.

    Used when a problem has no travel oracle. ``scale`` multiplies the distance (e.g.
    ``1.3 / 8.33`` for a circuity of 1.3 at 30 km/h); values are rounded to integers.
    """

    __slots__ = ("_xy", "_scale")

    def __init__(self, xy: np.ndarray, scale: float = 1.0) -> None:
        self._xy = np.asarray(xy, dtype=np.float64)
        self._scale = float(scale)

    @property
    def n(self) -> int:
        return int(self._xy.shape[0])

    def from_sources(self, sources: np.ndarray) -> np.ndarray:
        s = self._xy[np.asarray(sources, dtype=np.int64)]
        d = np.hypot(s[:, None, 0] - self._xy[None, :, 0], s[:, None, 1] - self._xy[None, :, 1])
        return np.rint(d * self._scale).astype(np.int64)

    def to_targets(self, targets: np.ndarray) -> np.ndarray:
        return self.from_sources(targets).T

    def matrix(self, idx: np.ndarray) -> np.ndarray:
        return self.from_sources(idx)[:, np.asarray(idx, dtype=np.int64)]


class Model:
    """Normalised view of a problem (see :mod:`solvers.territory.problem` for the formulation).

    Attributes
    ----------
    a : (n, m) float measures; w : (n,) objective weights (workload, or 1 if all zero);
    target : (k, m) targets ``s_j * A_tot``; tol : (m,) tolerances; bal : (m,) bool balanced
    measures (finite tolerance and positive total); graph : :class:`Graph`; locked : (n,) int;
    groups : (n,) int or None; initial : (n,) int or None; budget : weighted move budget
    (``inf`` if none); mw : (n,) move weights.
    """

    def __init__(self, p: TerritoryProblem) -> None:
        self.p = p
        n, k = p.n_units, p.n_territories
        self.n, self.k = n, k
        self.a = np.asarray(p.measures, dtype=np.float64)
        self.m = self.a.shape[1]
        w = self.a[:, 0].copy()
        self.w = w if w.sum() > 0 else np.ones(n)
        self.total = self.a.sum(axis=0)
        if p.target_shares is None:
            self.shares = np.full(k, 1.0 / k)
        else:
            s = np.asarray(p.target_shares, dtype=np.float64)
            if s.shape != (k,) or np.any(s <= 0):
                raise ValueError("target_shares must be k positive numbers")
            self.shares = s / s.sum()
        self.target = self.shares[:, None] * self.total[None, :]
        self.tol = np.asarray(p.tolerances, dtype=np.float64)
        self.bal = np.isfinite(self.tol) & (self.total > 0)
        edges = p.adjacency if p.adjacency is not None else delaunay_adjacency(p.xy)
        self.graph = Graph(n, np.asarray(edges, dtype=np.int64).reshape(-1, 2))
        self.locked = (
            np.full(n, -1, np.int64) if p.locked is None else np.asarray(p.locked, np.int64).copy()
        )
        if self.locked.shape != (n,) or np.any(self.locked >= k) or np.any(self.locked < -1):
            raise ValueError("locked must be (n,) with values in -1..k-1")
        self.groups = None if p.groups is None else np.asarray(p.groups, np.int64)
        self.initial = None if p.initial is None else np.asarray(p.initial, np.int64)
        if self.initial is not None and (
            self.initial.shape != (n,) or np.any(self.initial >= k) or np.any(self.initial < -1)
        ):
            raise ValueError("initial must be (n,) with values in -1..k-1")
        self.mw = np.ones(n) if p.move_weights is None else np.asarray(p.move_weights, np.float64)
        ref = self.initial >= 0 if self.initial is not None else np.zeros(n, bool)
        self.mw_total = float(self.mw[ref].sum())
        self.budget = (
            math.inf
            if p.max_moved is None or self.initial is None
            else float(p.max_moved) * self.mw_total + 1e-9
        )
        if p.fixed_centres and p.travel is None:
            raise ValueError("fixed_centres needs a travel oracle over n + k locations")
        self.travel: TravelTimes = p.travel if p.travel is not None else EuclideanTravel(p.xy)
        need = n + k if p.fixed_centres else n
        if self.travel.n < need:
            raise ValueError(f"travel oracle has {self.travel.n} locations, needs {need}")
        self.last_flow_status = -1
        self.radius = math.inf if p.max_radius_s is None else float(p.max_radius_s)

    # ---------------------------------------------------------------- travel
    def rows(self, sources: np.ndarray, chunk: int = 32) -> np.ndarray:
        """Travel times ``(len(sources), n)`` float32 from sources to units (unreachable = BIG)."""
        src = np.asarray(sources, dtype=np.int64)
        out = np.empty((len(src), self.n), dtype=np.float32)
        for s in range(0, len(src), chunk):
            r = np.asarray(self.travel.from_sources(src[s : s + chunk]))[:, : self.n]
            r = r.astype(np.float64)
            r[r >= UNREACHABLE / 2] = BIG_TIME
            out[s : s + chunk] = r
        return out

    def centre_rows(self, centres: np.ndarray) -> np.ndarray:
        """``(k, n)`` travel times from each territory centre."""
        return self.rows(centres)

    def fixed_centre_locations(self) -> np.ndarray:
        return self.n + np.arange(self.k, dtype=np.int64)

    def best_centres(
        self, x: np.ndarray, current: np.ndarray | None = None, n_cand: int = 6
    ) -> np.ndarray:
        """Free centres: per territory the unit minimising ``sum_i w_i t(c, i)`` over candidates.

        Candidates are the ``n_cand`` members nearest (straight line) to the workload-weighted
        centroid, plus the current centre; exact 1-median among them.
        """
        k, xy = self.k, self.p.xy
        order = np.argsort(x, kind="stable")
        bounds = np.searchsorted(x[order], np.arange(k + 1))
        cands: list[np.ndarray] = []
        members: list[np.ndarray] = []
        for j in range(k):
            mem = order[bounds[j] : bounds[j + 1]]
            members.append(mem)
            if mem.size == 0:
                cands.append(np.zeros(0, np.int64))
                continue
            if mem.size <= max(n_cand, 2_000_000 // max(self.n, 1)):
                c = mem  # small territory: exact 1-median over all members
            else:
                ww = self.w[mem] + 1e-12
                cxy = (xy[mem] * ww[:, None]).sum(axis=0) / ww.sum()
                d2 = ((xy[mem] - cxy) ** 2).sum(axis=1)
                c = mem[np.argsort(d2, kind="stable")[: min(n_cand, mem.size)]]
            if current is not None and current[j] >= 0 and x[current[j]] == j:
                c = np.unique(np.append(c, current[j]))
            cands.append(np.sort(c))
        out = np.full(k, -1, np.int64)
        flat = np.concatenate(cands) if cands else np.zeros(0, np.int64)
        owner = np.concatenate([np.full(len(c), j) for j, c in enumerate(cands)])
        step = max(1, int(4_000_000 // max(self.n, 1)))
        best = np.full(k, np.inf)
        for s in range(0, len(flat), step):
            r = self.rows(flat[s : s + step])
            for t in range(r.shape[0]):
                j = owner[s + t]
                mem = members[j]
                val = float(np.dot(self.w[mem], r[t, mem].astype(np.float64)))
                if val < best[j] - 1e-9:
                    best[j], out[j] = val, flat[s + t]
        return out


def balance_excess(model: Model, loads: np.ndarray) -> np.ndarray:
    """``(k, m)`` relative excess beyond tolerance: ``max(0, |A/T - 1| - tol)`` (0 if unbalanced)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        dev = np.where(model.target > 0, loads / model.target - 1.0, 0.0)
    ex = np.maximum(np.abs(dev) - np.where(np.isfinite(model.tol), model.tol, 0.0), 0.0)
    return np.where(model.bal[None, :], ex, 0.0)


def group_splits(model: Model, x: np.ndarray) -> int:
    """Sum over market groups of (territories touched - 1)."""
    if model.groups is None:
        return 0
    g = model.groups
    sel = g >= 0
    if not np.any(sel):
        return 0
    pairs = np.unique(g[sel] * (model.k + 1) + x[sel])
    return int(len(pairs) - len(np.unique(g[sel])))


def diameters(model: Model, x: np.ndarray) -> np.ndarray:
    """Largest travel time between two units of each territory (``travel.matrix`` per territory)."""
    out = np.zeros(model.k)
    for j in range(model.k):
        mem = np.flatnonzero(x == j)
        if mem.size > 1:
            d = np.asarray(model.travel.matrix(mem), dtype=np.float64)
            out[j] = float(d.max())
    return out


def evaluate(
    model: Model, x: np.ndarray, centres: np.ndarray | None = None
) -> tuple[float, tuple[TerritoryStats, ...], tuple[Violation, ...], int, float, dict]:
    """Objective, per-territory statistics, violations and moves of assignment ``x``.

    ``centres`` are location indices (free centres: unit indices); ``None`` = fixed centres or
    the best free centres. Returns ``(objective, territories, violations, moved,
    moved_share, extra)`` where ``extra`` holds the objective components (``weighted_travel``,
    ``cut_edges``, ``group_splits`` and, objective ``"diameter"``, ``diameters``: fields of
    :class:`~solvers.territory.problem.TerritorySolveStats`).
    """
    p, k, n = model.p, model.k, model.n
    x = np.asarray(x, dtype=np.int64)
    if centres is None:
        centres = model.fixed_centre_locations() if p.fixed_centres else model.best_centres(x)
    sizes = np.bincount(x, minlength=k)
    loads = np.zeros((k, model.m))
    np.add.at(loads, x, model.a)
    ncomp, _ = territory_components(model.graph, x, k)
    wt = np.zeros(k)
    mt = np.zeros(k)
    for s in range(0, k, 16):
        js = np.arange(s, min(s + 16, k))
        valid = centres[js] >= 0
        r = np.full((len(js), n), 0.0)
        if np.any(valid):
            r[valid] = model.rows(centres[js][valid]).astype(np.float64)
        for t, j in enumerate(js):
            mem = x == j
            if np.any(mem):
                wt[j] = float(np.dot(model.w[mem], r[t, mem]))
                mt[j] = float(r[t, mem].max())
    with np.errstate(divide="ignore", invalid="ignore"):
        dev = np.where(model.target > 0, loads / model.target - 1.0, 0.0)
    viol: list[Violation] = []
    ex = balance_excess(model, loads)
    for j in range(k):
        for mi in range(model.m):
            if ex[j, mi] > BALANCE_SLACK:
                name = p.measure_names[mi]
                viol.append(
                    Violation(
                        constraint=f"balance:{name}",
                        territory=j,
                        amount=float(ex[j, mi]),
                        message=f"{name} {loads[j, mi]:.6g} is {dev[j, mi]:+.2%} from target "
                        f"{model.target[j, mi]:.6g}, {ex[j, mi]:.2%} beyond the "
                        f"+-{model.tol[mi]:.2%} tolerance",
                    )
                )
    if p.contiguous:
        for j in range(k):
            if ncomp[j] > 1:
                viol.append(
                    Violation(
                        constraint="contiguity",
                        territory=j,
                        amount=float(ncomp[j] - 1),
                        message=f"territory has {ncomp[j]} connected parts",
                    )
                )
    for j in range(k):
        if sizes[j] == 0:
            viol.append(
                Violation(constraint="empty", territory=j, amount=1.0, message="territory is empty")
            )
    if math.isfinite(model.radius):
        for j in range(k):
            if mt[j] > model.radius + 1e-9:
                cnt = 0
                if centres[j] >= 0:
                    mem = np.flatnonzero(x == j)
                    cnt = int(np.count_nonzero(model.rows(centres[[j]])[0, mem] > model.radius))
                viol.append(
                    Violation(
                        constraint="max_radius",
                        territory=j,
                        amount=float(cnt),
                        message=f"{cnt} units beyond the radius {model.radius:.0f} s "
                        f"(farthest {mt[j]:.0f} s)",
                    )
                )
    lk = model.locked >= 0
    bad = int(np.count_nonzero(x[lk] != model.locked[lk]))
    if bad:
        viol.append(
            Violation(constraint="lock", territory=None, amount=float(bad),
                      message=f"{bad} locked units not in their territory")
        )
    moved, moved_share = 0, 0.0
    if model.initial is not None:
        ref = model.initial >= 0
        mv = ref & (x != model.initial)
        moved = int(np.count_nonzero(mv))
        moved_w = float(model.mw[mv].sum())
        moved_share = moved_w / model.mw_total if model.mw_total > 0 else 0.0
        if math.isfinite(model.budget) and moved_w > model.budget:
            viol.append(
                Violation(
                    constraint="max_moved",
                    territory=None,
                    amount=float(moved_share - p.max_moved),
                    message=f"moved share {moved_share:.2%} exceeds {p.max_moved:.2%}",
                )
            )
    splits = group_splits(model, x)
    cut = int(np.count_nonzero(x[model.graph.edges[:, 0]] != x[model.graph.edges[:, 1]]))
    extra: dict = {"weighted_travel": float(wt.sum()), "cut_edges": cut, "group_splits": splits}
    if p.objective == "diameter":
        diam = diameters(model, x)
        extra["diameters"] = tuple(diam.tolist())
        base = float(diam.max()) if k else 0.0
    elif p.objective == "cut_edges":
        base = float(cut)
    else:
        base = float(wt.sum())
    objective = base + p.group_penalty * splits
    stats = tuple(
        TerritoryStats(
            index=j,
            n_units=int(sizes[j]),
            measures=tuple(float(v) for v in loads[j]),
            deviation=tuple(float(v) for v in dev[j]),
            centre=int(centres[j]),
            weighted_travel=float(wt[j]),
            max_travel_s=float(mt[j]),
            connected=bool(ncomp[j] <= 1),
            n_components=int(ncomp[j]),
        )
        for j in range(k)
    )
    return objective, stats, tuple(viol), moved, moved_share, extra


def status_of(violations: tuple[Violation, ...], proven: bool) -> Status:
    if violations:
        return Status.PARTIAL
    return Status.OPTIMAL if proven else Status.FEASIBLE

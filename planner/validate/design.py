"""The territory design's estimates, recomputed by the validator from their documented formulas.

Some KPIs describe the design rather than the routes; the validator recomputes them with this
code (it must not import the planner's design code) from the inputs and the travel model.

Workload estimate (per retailer ``i``, over the horizon)
--------------------------------------------------------
::

    w_i = required_i * service_s_i + visits_i * access_s_i

``required_i`` is the class's required visits (remote contacts included), ``visits_i`` the same
for classes visited in person and 0 for remote ones. ``access_s_i`` is the Beardwood-Halton-
Hammersley travel per stop, ``0.7124 / sqrt(rho_i)`` metres converted to seconds:

* ``rho_i`` = (sum of ``visits_j / T`` over ``i`` and its 12 nearest retailers, ``T`` days in the
  horizon, holidays included) / (pi r^2), ``r`` = the distance to the 12th neighbour, at least
  50 m (the density floor is 1e-9 visits per day);
* seconds per metre: straight line ``circuity / (speed_kmh / 3.6)``; road network: the median of
  ``travel_s / distance_m`` over pairs of a sampled retailer and each of its 24 nearest neighbours
  farther than 20 m (64 retailers sampled without replacement with ``numpy.random.default_rng(
  solver.seed)``, soft travel times, unreachable pairs skipped; the straight-line value if no
  pair is left);
* times ``territories.access_factor``.

``designed_workload_hours`` of a territory is ``sum w_i / 3600``; ``compactness_min`` weights the
base-to-retailer travel times by ``w_i``. The **estimated workload** of a territory adds each
visit's share of the daily trips from the base: ``(sum w_i + sum visits_i * 2 * t_i / C) / 3600``
with ``t_i`` the base's travel time to retailer ``i`` (0 if unreachable) and ``C = max(sum visits_i /
working days, 1)`` (0 for an empty territory).

Adjacency
---------
The Delaunay triangulation of the retailers' projected points (co-located points merged, then
each chained to the first of them), minus every edge longer than 3 x the 99th percentile of the
edge lengths, plus the edges of the Euclidean minimum spanning tree (so the graph is connected);
collinear points are chained along their principal direction. A territory's ``parts`` is the
number of connected components of its retailers using edges between two of them.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree
from scipy.spatial import Delaunay, cKDTree

from solvers.common import UNREACHABLE

BHH_CONSTANT = 0.7124
NEIGHBOURS = 12
MIN_RADIUS_M = 50.0
CALIBRATION_SOURCES = 64
CALIBRATION_NEIGHBOURS = 24
MIN_PAIR_M = 20.0


def metres_to_seconds(*, model: str, circuity: float, speed_kmh: float, xy: np.ndarray, soft_travel,
                      seed: int) -> float:
    """Seconds of travel per straight-line metre (see module docstring)."""
    straight = circuity / (speed_kmh / 3.6)
    if model == "straight_line":
        return straight
    n = len(xy)
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(n, size=min(CALIBRATION_SOURCES, n), replace=False))
    times = soft_travel.from_sources(sample).astype(float)
    tree = cKDTree(xy)
    ratios: list[np.ndarray] = []
    for row, s in enumerate(sample):
        _, near = tree.query(xy[s], k=min(CALIBRATION_NEIGHBOURS + 1, n))
        near = np.atleast_1d(near)[1:]
        dist = np.sqrt(((xy[near] - xy[s]) ** 2).sum(axis=1))
        t = times[row, near]
        keep = (dist > MIN_PAIR_M) & (t < UNREACHABLE)
        ratios.append(t[keep] / dist[keep])
    pooled = np.concatenate(ratios) if ratios else np.zeros(0)
    return float(np.median(pooled)) if len(pooled) else straight


def access_per_visit(xy: np.ndarray, visits_per_day: np.ndarray, seconds_per_m: float, factor: float) -> np.ndarray:
    """Estimated travel seconds one visit of each retailer costs (BHH with local visit density)."""
    n = len(xy)
    if n < 2:
        return np.zeros(n)
    k = min(NEIGHBOURS, n - 1)
    dist, near = cKDTree(xy).query(xy, k=k + 1)
    radius = np.maximum(dist[:, -1], MIN_RADIUS_M)
    density = np.maximum(visits_per_day[near].sum(axis=1), 1e-9) / (np.pi * radius ** 2)
    return factor * seconds_per_m * BHH_CONSTANT / np.sqrt(density)


def workload_estimate(*, xy: np.ndarray, required: np.ndarray, routed: np.ndarray, service_s: np.ndarray,
                      n_days: int, seconds_per_m: float, factor: float) -> tuple[np.ndarray, np.ndarray]:
    """``(w, visits)`` per retailer: the design's workload estimate (s) and visits in person."""
    visits = np.where(routed, required, 0).astype(float)
    per_visit = access_per_visit(xy, visits / max(n_days, 1), seconds_per_m, factor)
    return required * service_s.astype(float) + visits * per_visit, visits


def estimated_hours(w: np.ndarray, visits: np.ndarray, base_travel_s: np.ndarray, working_days: int) -> float:
    """Estimated workload of one territory (hours): its ``w`` plus each visit's share of the daily
    round trips from the base, ``visits_i * 2 * t_i / C`` with ``C = max(sum visits / working
    days, 1)`` (unreachable retailers: no trip).

    ``w``, ``visits`` and ``base_travel_s`` hold the territory's retailers only.
    """
    if not len(w):
        return 0.0
    visits = np.asarray(visits, dtype=float)
    total = float(visits.sum())
    trips = 0.0
    if total > 0:
        per_day = max(total / max(working_days, 1), 1.0)
        bt = np.where(base_travel_s < UNREACHABLE, base_travel_s, 0.0)
        trips = float((visits * 2.0 * bt).sum()) / per_day
    return (float(w.sum()) + trips) / 3600.0


def _edges_u_lt_v(pairs: np.ndarray, n: int) -> np.ndarray:
    p = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    lo, hi = p.min(axis=1), p.max(axis=1)
    keep = lo != hi
    code = np.unique(lo[keep] * n + hi[keep])
    return np.column_stack([code // n, code % n]) if len(code) else np.zeros((0, 2), np.int64)


def adjacency_edges(xy: np.ndarray) -> np.ndarray:
    """The design's adjacency graph of the retailers as ``(e, 2)`` index pairs (module docstring)."""
    xy = np.asarray(xy, dtype=float)
    n = len(xy)
    if n < 2:
        return np.zeros((0, 2), np.int64)
    points, first, which = np.unique(xy, axis=0, return_index=True, return_inverse=True)
    which = which.reshape(-1)
    groups = np.argsort(which, kind="stable")
    same = which[groups][1:] == which[groups][:-1]
    chained = np.column_stack([groups[:-1][same], groups[1:][same]])
    m = len(points)
    if m == 1:
        unique_edges = np.zeros((0, 2), np.int64)
    elif m == 2:
        unique_edges = np.array([[0, 1]], np.int64)
    else:
        try:
            tri = Delaunay(points).simplices
            cand = np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [0, 2]]])
        except Exception:  # all points on one line: chain them along it
            centred = points - points.mean(axis=0)
            direction = np.linalg.svd(centred, full_matrices=False)[2][0]
            order = np.argsort(centred @ direction, kind="stable")
            cand = np.column_stack([order[:-1], order[1:]])
        cand = _edges_u_lt_v(cand, m)
        length = np.sqrt(((points[cand[:, 0]] - points[cand[:, 1]]) ** 2).sum(axis=1))
        limit = 3.0 * float(np.quantile(length, 0.99))
        weights = sparse.coo_matrix((length + 1e-9, (cand[:, 0], cand[:, 1])), shape=(m, m)).tocsr()
        tree = minimum_spanning_tree(weights).tocoo()
        unique_edges = _edges_u_lt_v(np.concatenate([cand[length <= limit],
                                                     np.column_stack([tree.row, tree.col])]), m)
    edges = first[unique_edges] if len(unique_edges) else unique_edges
    return _edges_u_lt_v(np.concatenate([edges, chained]), n)


def territory_parts(owner: np.ndarray, edges: np.ndarray) -> dict[object, int]:
    """Connected parts of each territory: ``{owner label: parts}`` (labels of ``owner`` per retailer)."""
    owner = np.asarray(owner, dtype=object)
    n = len(owner)
    labels, code = np.unique(owner.astype(str), return_inverse=True)
    inside = code[edges[:, 0]] == code[edges[:, 1]] if len(edges) else np.zeros(0, bool)
    e = edges[inside]
    graph = sparse.coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    pairs = np.unique(np.column_stack([code, comp]), axis=0)
    counts = np.bincount(pairs[:, 0], minlength=len(labels))
    return {str(lab): int(c) for lab, c in zip(labels, counts, strict=True)}

"""Adjacency graphs of units: Delaunay construction, CSR form, per-territory connectivity.

All functions are deterministic and work on integer edge lists ``(e, 2)``; no ``n x n`` matrix
is ever built.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph


def _unique_edges(edges: np.ndarray, n: int) -> np.ndarray:
    """Sorted, de-duplicated undirected edges with ``u < v`` (self-loops dropped)."""
    e = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    if e.size and (e.min() < 0 or e.max() >= n):
        raise ValueError(f"adjacency refers to units outside 0..{n - 1}")
    u = np.minimum(e[:, 0], e[:, 1])
    v = np.maximum(e[:, 0], e[:, 1])
    keep = u != v
    key = np.unique(u[keep] * n + v[keep])
    return np.stack([key // n, key % n], axis=1) if key.size else np.zeros((0, 2), np.int64)


def delaunay_adjacency(xy: np.ndarray, max_edge_m: float | None = None) -> np.ndarray:
    """Adjacency of points by Delaunay triangulation, overlong edges trimmed, kept connected.

    The graph is the Delaunay triangulation of ``xy`` minus every edge longer than
    ``max_edge_m`` (default: 3 x the 99th percentile of the Delaunay edge lengths, which only
    drops extreme slivers along the hull), plus the edges of the
    Euclidean minimum spanning tree (a subgraph of the triangulation), so the result is always
    connected. Co-located points are chained to their first occurrence; collinear inputs are
    chained in order along the line.

    Parameters
    ----------
    xy:
        ``(n, 2)`` projected coordinates in metres.
    max_edge_m:
        Length above which a Delaunay edge is dropped unless it is needed for connectivity.

    Returns
    -------
    numpy.ndarray
        ``(e, 2)`` int64 pairs ``u < v``, sorted.
    """
    xy = np.asarray(xy, dtype=np.float64)
    n = xy.shape[0]
    if n <= 1:
        return np.zeros((0, 2), np.int64)
    uniq, first, inverse = np.unique(xy, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    rep = first  # representative original index of each unique point
    dup_edges = []
    order = np.argsort(inverse, kind="stable")
    inv_sorted = inverse[order]
    same = inv_sorted[1:] == inv_sorted[:-1]
    if np.any(same):
        dup_edges.append(np.stack([order[:-1][same], order[1:][same]], axis=1))
    m = uniq.shape[0]
    if m == 1:
        edges_u = np.zeros((0, 2), np.int64)
    elif m == 2:
        edges_u = np.array([[0, 1]], np.int64)
    else:
        try:
            from scipy.spatial import Delaunay

            tri = Delaunay(uniq)
            s = tri.simplices
            edges_u = np.concatenate([s[:, [0, 1]], s[:, [1, 2]], s[:, [0, 2]]])
        except Exception:  # collinear (QhullError): chain along the principal direction
            c = uniq - uniq.mean(axis=0)
            _, _, vt = np.linalg.svd(c, full_matrices=False)
            o = np.argsort(c @ vt[0], kind="stable")
            edges_u = np.stack([o[:-1], o[1:]], axis=1)
        edges_u = _unique_edges(edges_u, m)
        length = np.hypot(*(uniq[edges_u[:, 0]] - uniq[edges_u[:, 1]]).T)
        limit = 3.0 * float(np.quantile(length, 0.99)) if max_edge_m is None else float(max_edge_m)
        g = sparse.coo_matrix((length + 1e-9, (edges_u[:, 0], edges_u[:, 1])), shape=(m, m))
        mst = csgraph.minimum_spanning_tree(g.tocsr()).tocoo()
        mst_edges = np.stack([mst.row, mst.col], axis=1)
        edges_u = _unique_edges(np.concatenate([edges_u[length <= limit], mst_edges]), m)
    edges = np.stack([rep[edges_u[:, 0]], rep[edges_u[:, 1]]], axis=1) if edges_u.size else edges_u
    if dup_edges:
        edges = np.concatenate([edges, *dup_edges])
    return _unique_edges(edges, n)


class Graph:
    """Undirected graph in CSR form with per-node neighbour lists (for Python-level searches)."""

    __slots__ = ("n", "edges", "indptr", "indices", "nbrs")

    def __init__(self, n: int, edges: np.ndarray) -> None:
        self.n = n
        self.edges = _unique_edges(edges, n)
        u, v = self.edges[:, 0], self.edges[:, 1]
        a = sparse.csr_matrix(
            (np.ones(2 * len(u), np.int8), (np.concatenate([u, v]), np.concatenate([v, u]))),
            shape=(n, n),
        )
        a.sort_indices()
        self.indptr = a.indptr.astype(np.int64)
        self.indices = a.indices.astype(np.int64)
        ind = self.indices.tolist()
        ptr = self.indptr.tolist()
        self.nbrs: list[list[int]] = [ind[ptr[i] : ptr[i + 1]] for i in range(n)]

    def components(self, mask: np.ndarray | None = None) -> tuple[int, np.ndarray]:
        """Connected components of the graph (restricted to edges where ``mask`` is True)."""
        e = self.edges if mask is None else self.edges[mask]
        a = sparse.coo_matrix((np.ones(len(e), np.int8), (e[:, 0], e[:, 1])), shape=(self.n, self.n))
        nc, lab = csgraph.connected_components(a.tocsr(), directed=False)
        return int(nc), lab


def territory_components(graph: Graph, assignment: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Number of connected components of each territory and a component label per unit.

    Returns
    -------
    (n_components (k,), comp_label (n,)) where ``comp_label`` numbers the components of the
    graph restricted to intra-territory edges.
    """
    x = np.asarray(assignment)
    e = graph.edges
    _, lab = graph.components(x[e[:, 0]] == x[e[:, 1]])
    pairs = np.unique(x.astype(np.int64) * (graph.n + 1) + lab)
    ncomp = np.bincount(pairs // (graph.n + 1), minlength=k)[:k]
    return ncomp, lab


def cut_edges(edges: np.ndarray, assignment: np.ndarray) -> int:
    """Number of edges whose end points lie in different territories."""
    x = np.asarray(assignment)
    return int(np.count_nonzero(x[edges[:, 0]] != x[edges[:, 1]])) if len(edges) else 0


def stays_connected(nbrs: Sequence[Sequence[int]], x: np.ndarray | list, i: int) -> bool:
    """Whether territory ``x[i]`` stays connected when unit ``i`` leaves it.

    ``nbrs`` are duplicate-free neighbour lists (e.g. :attr:`Graph.nbrs`). Looks at the
    same-territory neighbours ``S`` of ``i``; if their induced subgraph is connected the answer
    is yes at once (local test), otherwise a depth-first search inside the territory (without
    ``i``) from one of ``S`` must reach all of ``S``. Strictly, the answer is whether ``S`` lies in
    one piece of the territory without ``i``, which is the same when the territory is connected
    before the move; the caller checks that it does not become empty. ``x`` may be a list
    (faster element access from Python).
    """
    a = x[i]
    nb = nbrs
    s = [j for j in nb[i] if x[j] == a]
    if len(s) <= 1:
        return True
    sset = set(s)
    seen = {s[0]}
    stack = [s[0]]
    while stack:
        u = stack.pop()
        for w in nb[u]:
            if w in sset and w not in seen:
                seen.add(w)
                stack.append(w)
    if len(seen) == len(sset):
        return True
    need = len(sset) - 1
    seen = {s[0], i}
    stack = [s[0]]
    while stack:
        u = stack.pop()
        for w in nb[u]:
            if w not in seen and x[w] == a:
                seen.add(w)
                if w in sset:
                    need -= 1
                    if need == 0:
                        return True
                stack.append(w)
    return False

"""Travel-time oracles over the scenario's locations (retailers first, then bases), both
implementing :class:`solvers.common.TravelTimes` in integer seconds: the straight line x circuity
/ speed, and shortest paths on a road network computed in process with
``scipy.sparse.csgraph.dijkstra`` (rows for the sources asked for, cached). Travel times are
rounded in one place (:func:`to_seconds`).
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from planner.travel.network import RoadNetwork
from solvers.common import UNREACHABLE


def to_seconds(t: np.ndarray) -> np.ndarray:
    """The one place where travel times are rounded to integer seconds."""
    return np.rint(t).astype(np.int64)


class StraightLineTravel:
    """Straight-line metres x ``circuity`` / ``speed`` (+ a fixed time per trip), computed on demand."""

    def __init__(self, xy: np.ndarray, *, speed_kmh: float, circuity: float, parking_s: float = 0.0) -> None:
        self.xy = np.ascontiguousarray(xy, dtype=float)
        self.speed_mps = speed_kmh / 3.6
        self.circuity = circuity
        self.parking_s = parking_s

    @property
    def n(self) -> int:
        return int(self.xy.shape[0])

    def _times(self, a: np.ndarray, b: np.ndarray, same: np.ndarray | None) -> np.ndarray:
        d = np.sqrt(((self.xy[a][:, None, :] - self.xy[b][None, :, :]) ** 2).sum(-1))
        t = d * self.circuity / self.speed_mps + self.parking_s
        if same is not None:
            t[same] = 0.0
        return to_seconds(t)

    def from_sources(self, sources: np.ndarray) -> np.ndarray:
        s = np.asarray(sources, dtype=np.int64)
        out = np.empty((len(s), self.n), dtype=np.int64)
        all_idx = np.arange(self.n)
        step = max(1, 2_000_000 // max(self.n, 1))
        for a in range(0, len(s), step):
            blk = s[a:a + step]
            out[a:a + step] = self._times(blk, all_idx, blk[:, None] == all_idx[None, :])
        return out

    def to_targets(self, targets: np.ndarray) -> np.ndarray:
        return self.from_sources(targets).T.copy()  # symmetric

    def matrix(self, idx: np.ndarray) -> np.ndarray:
        idx = np.asarray(idx, dtype=np.int64)
        return self._times(idx, idx, idx[:, None] == idx[None, :])

    def pair(self, i: int, j: int) -> int:
        return int(self.matrix(np.array([i, j]))[0, 1])



class RoadTravel:
    """Shortest-path travel times on a :class:`RoadNetwork` between snapped locations.

    Rows are computed with ``scipy.sparse.csgraph.dijkstra`` for the requested sources only and
    cached (least recently used, bounded memory).
    """

    def __init__(self, network: RoadNetwork, node: np.ndarray, access_s: np.ndarray,
                 unreachable: np.ndarray, *, strict: bool, parking_s: float = 0.0,
                 cache_bytes: int = 256 << 20, share_rows_with: RoadTravel | None = None) -> None:
        self.network = network
        self.node = np.asarray(node, dtype=np.int64)
        self.access_s = np.asarray(access_s, dtype=float)
        self.unreachable = np.asarray(unreachable, dtype=bool)
        self.strict = strict
        self.parking_s = parking_s
        self._graph_t: sp.csr_matrix | None = None
        # ``share_rows_with``: another view of the same snapped locations (the strict and the
        # soft oracle of one travel model) whose Dijkstra rows this one reuses
        self._cache: OrderedDict[tuple[bool, int], np.ndarray] = (
            OrderedDict() if share_rows_with is None else share_rows_with.row_cache)
        self._cache_rows = max(8, cache_bytes // max(8 * network.n_nodes, 1))

    @property
    def n(self) -> int:
        return int(self.node.shape[0])

    @property
    def row_cache(self) -> OrderedDict[tuple[bool, int], np.ndarray]:
        """Dijkstra rows computed so far, by (reverse, node) (shared between views)."""
        return self._cache

    def _node_rows(self, nodes: np.ndarray, reverse: bool) -> np.ndarray:
        """Shortest times from (or, reversed, to) each node to all nodes: (len(nodes), N)."""
        out = np.empty((len(nodes), self.network.n_nodes), dtype=float)
        missing = [k for k, nd in enumerate(nodes) if (reverse, int(nd)) not in self._cache]
        if missing:
            g = self.network.graph
            if reverse:
                if self._graph_t is None:
                    self._graph_t = g.transpose().tocsr()
                g = self._graph_t
            uniq = np.unique(nodes[missing])
            rows = dijkstra(g, directed=True, indices=uniq)
            for nd, row in zip(uniq, np.atleast_2d(rows), strict=True):
                self._cache[(reverse, int(nd))] = row
                if len(self._cache) > self._cache_rows:
                    self._cache.popitem(last=False)
        for k, nd in enumerate(nodes):
            key = (reverse, int(nd))
            row = self._cache.get(key)
            if row is None:  # evicted while filling a large batch: recompute directly
                g = self._graph_t if reverse else self.network.graph
                row = dijkstra(g, directed=True, indices=int(nd))
            else:
                self._cache.move_to_end(key)
            out[k] = row
        return out

    def _finish(self, t: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
        t = t + self.access_s[src][:, None] + self.access_s[dst][None, :] + self.parking_s
        bad = ~np.isfinite(t) | (t >= UNREACHABLE)
        out = to_seconds(np.where(bad, 0.0, t))
        out[bad] = UNREACHABLE
        if self.strict:
            out[self.unreachable[src], :] = UNREACHABLE
            out[:, self.unreachable[dst]] = UNREACHABLE
        out[src[:, None] == dst[None, :]] = 0
        return out

    def from_sources(self, sources: np.ndarray) -> np.ndarray:
        s = np.asarray(sources, dtype=np.int64)
        rows = self._node_rows(self.node[s], reverse=False)
        return self._finish(rows[:, self.node], s, np.arange(self.n))

    def to_targets(self, targets: np.ndarray) -> np.ndarray:
        tg = np.asarray(targets, dtype=np.int64)
        rows = self._node_rows(self.node[tg], reverse=True)
        return self._finish(rows[:, self.node].T, np.arange(self.n), tg)

    def matrix(self, idx: np.ndarray) -> np.ndarray:
        idx = np.asarray(idx, dtype=np.int64)
        rows = self._node_rows(self.node[idx], reverse=False)
        return self._finish(rows[:, self.node[idx]], idx, idx)

    def path_lonlat(self, i: int, j: int) -> list[tuple[float, float]]:
        """Road geometry (lon, lat) from location ``i`` to ``j`` (node sequence)."""
        a, b = int(self.node[i]), int(self.node[j])
        _, pred = dijkstra(self.network.graph, directed=True, indices=a, return_predecessors=True)
        seq = [b]
        while seq[-1] != a and pred[seq[-1]] >= 0:
            seq.append(int(pred[seq[-1]]))
        if seq[-1] != a:
            return []
        seq.reverse()
        return [(float(self.network.lon[k]), float(self.network.lat[k])) for k in seq]

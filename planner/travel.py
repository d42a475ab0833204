"""Travel-time models: straight line x circuity / speed, and road-network shortest paths.

Both implement :class:`solvers.common.TravelTimes` over the scenario's *locations*: retailers
first (``0 .. R-1``), then the managers' bases (``R .. R+M-1``). Travel times are integer seconds,
rounded in one place (:func:`_to_seconds`). Neither model ever builds a matrix over all
locations of a city: rows are computed for the sources asked for (a territory, a block, the
territory centres), and road rows come from ``scipy.sparse.csgraph.dijkstra`` on the road graph.

Road networks are read from an OpenStreetMap PBF extract (via pyrosm) or a GraphML file (as
written by OSMnx or ``planner generate``). Every location is snapped to the nearest node of the
largest strongly connected part of the network; the distance to that node is covered at
``access_speed_kmh``. Locations farther than ``max_snap_m`` from any road are *unreachable*: they
are reported by id, and strict oracles (used for routing) give them
:data:`solvers.common.UNREACHABLE` travel times.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from planner.errors import DataError
from solvers.common import UNREACHABLE

# Effective average speeds (km/h) by OSM highway type, including junctions and traffic.
DEFAULT_SPEEDS_KMH = {
    "motorway": 80.0, "motorway_link": 50.0, "trunk": 60.0, "trunk_link": 40.0,
    "primary": 40.0, "primary_link": 30.0, "secondary": 35.0, "secondary_link": 30.0,
    "tertiary": 30.0, "tertiary_link": 25.0, "unclassified": 25.0, "residential": 20.0,
    "living_street": 10.0, "service": 15.0, "road": 25.0,
}
FALLBACK_SPEED_KMH = 20.0
MAXSPEED_FACTOR = 0.7  # effective speed as a share of the posted limit


def _to_seconds(t: np.ndarray) -> np.ndarray:
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
        return _to_seconds(t)

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


@dataclass
class RoadNetwork:
    """A directed road graph: node coordinates and a CSR matrix of edge travel times (seconds)."""

    lon: np.ndarray
    lat: np.ndarray
    graph: sp.csr_matrix  # (N, N) travel seconds, directed
    source: str
    n_edges: int

    @property
    def n_nodes(self) -> int:
        return int(self.lon.shape[0])

    def main_component(self) -> np.ndarray:
        """Boolean mask of the nodes in the largest strongly connected component."""
        _, labels = connected_components(self.graph, directed=True, connection="strong")
        counts = np.bincount(labels)
        return labels == int(np.argmax(counts))


def _speed_kmh(highway, maxspeed, overrides: dict[str, float]) -> float:
    hw = str(highway).strip("[]'\" ") if highway is not None else ""
    if hw in overrides:
        return float(overrides[hw])
    if maxspeed is not None:
        m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*(mph)?", str(maxspeed))
        if m:
            v = float(m.group(1)) * (1.609 if m.group(2) else 1.0)
            if 5 <= v <= 150:
                return min(v * MAXSPEED_FACTOR, DEFAULT_SPEEDS_KMH.get(hw, v))
    return DEFAULT_SPEEDS_KMH.get(hw, FALLBACK_SPEED_KMH)


def _build(lon, lat, u, v, length_m, speed_kmh, oneway, source: str) -> RoadNetwork:
    n = len(lon)
    t = np.maximum(np.asarray(length_m, float) / (np.asarray(speed_kmh, float) / 3.6), 0.01)
    rows = [u, v[~oneway]]
    cols = [v, u[~oneway]]
    vals = [t, t[~oneway]]
    r, c, w = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    keep = r != c
    # keep the fastest of parallel edges (a CSR constructor would sum them)
    order = np.lexsort((w[keep], c[keep], r[keep]))
    rr, cc, ww = r[keep][order], c[keep][order], w[keep][order]
    first = np.ones(len(rr), dtype=bool)
    first[1:] = (rr[1:] != rr[:-1]) | (cc[1:] != cc[:-1])
    g = sp.csr_matrix((ww[first], (rr[first], cc[first])), shape=(n, n))
    return RoadNetwork(np.asarray(lon, float), np.asarray(lat, float), g, source, int(first.sum()))


def read_osm_pbf(path: Path, speeds: dict[str, float] | None = None) -> RoadNetwork:
    """Drivable roads of an OSM PBF extract (pyrosm)."""
    import pyrosm

    speeds = speeds or {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            osm = pyrosm.OSM(str(path))
            got = osm.get_network(network_type="driving", nodes=True)
        except Exception as e:
            raise DataError(f"{path.name}: cannot read the OSM extract ({e})") from None
    if got is None or got[0] is None or len(got[0]) == 0:
        raise DataError(f"{path.name}: the OSM extract has no drivable roads")
    nodes, edges = got
    ids = nodes["id"].to_numpy()
    index = {int(k): i for i, k in enumerate(ids)}
    u = np.array([index.get(int(a), -1) for a in edges["u"].to_numpy()])
    v = np.array([index.get(int(b), -1) for b in edges["v"].to_numpy()])
    ok = (u >= 0) & (v >= 0)
    hw = edges["highway"].to_numpy()
    ms = edges["maxspeed"].to_numpy() if "maxspeed" in edges else np.full(len(edges), None)
    sp_kmh = np.array([_speed_kmh(h, m, speeds) for h, m in zip(hw, ms, strict=True)])
    ow_raw = edges["oneway"].astype(str).str.lower().to_numpy() if "oneway" in edges else np.full(len(edges), "")
    oneway = np.isin(ow_raw, ["yes", "true", "1", "-1"])
    rev = ow_raw == "-1"
    u2, v2 = np.where(rev, v, u), np.where(rev, u, v)
    return _build(nodes["lon"].to_numpy(), nodes["lat"].to_numpy(), u2[ok], v2[ok],
                  edges["length"].to_numpy(dtype=float)[ok], sp_kmh[ok], oneway[ok], path.name)


def read_graphml(path: Path, speeds: dict[str, float] | None = None) -> RoadNetwork:
    """A road graph in GraphML (OSMnx convention: node ``x``/``y`` = lon/lat, edge ``length`` in m;
    optional ``travel_time`` s, ``speed_kph``, ``highway``, ``maxspeed``, ``oneway``)."""
    import networkx as nx

    speeds = speeds or {}
    try:
        g = nx.read_graphml(str(path))
    except Exception as e:
        raise DataError(f"{path.name}: cannot read the GraphML file ({e})") from None
    if g.number_of_nodes() == 0:
        raise DataError(f"{path.name}: the road graph has no nodes")
    nodes = sorted(g.nodes)
    index = {k: i for i, k in enumerate(nodes)}
    try:
        lon = np.array([float(g.nodes[k]["x"]) for k in nodes])
        lat = np.array([float(g.nodes[k]["y"]) for k in nodes])
    except KeyError:
        raise DataError(f"{path.name}: every node needs 'x' (lon) and 'y' (lat) attributes") from None
    u, v, length, kmh = [], [], [], []
    for a, b, d in g.edges(data=True):
        if "length" not in d and "travel_time" not in d:
            raise DataError(f"{path.name}: edge {a}-{b} has no 'length' or 'travel_time'")
        L = float(d.get("length", 0.0))
        if "travel_time" in d and float(d["travel_time"]) > 0:
            s = L / float(d["travel_time"]) * 3.6 if L > 0 else 1.0
            if L <= 0:
                L = float(d["travel_time"]) / 3.6
        elif "speed_kph" in d:
            s = float(d["speed_kph"])
        else:
            s = _speed_kmh(d.get("highway"), d.get("maxspeed"), speeds)
        if str(d.get("highway", "")) in speeds:
            s = speeds[str(d.get("highway"))]
        u.append(index[a])
        v.append(index[b])
        length.append(L)
        kmh.append(max(s, 1.0))
    directed = g.is_directed()
    oneway = np.ones(len(u), dtype=bool) if directed else np.zeros(len(u), dtype=bool)
    return _build(lon, lat, np.array(u), np.array(v), np.array(length), np.array(kmh), oneway, path.name)


ROAD_NETWORK_CACHE_SIZE = 2
_network_cache: OrderedDict[tuple, RoadNetwork] = OrderedDict()
_network_cache_lock = threading.Lock()


def read_road_network(path: Path, speeds: dict[str, float] | None = None) -> RoadNetwork:
    """Read an OSM PBF or GraphML road network, at most once per process for the same file.

    The last :data:`ROAD_NETWORK_CACHE_SIZE` networks read are kept in memory, keyed by the
    resolved path, file size, modification time (ns) and speed overrides, so a run and the
    validation of its plan folder read a road file once; a changed file is read again. The
    returned network is shared: treat it as read-only.
    """
    path = Path(path)
    name = path.name.lower()
    if not name.endswith((".pbf", ".graphml", ".graphml.gz", ".graphml.bz2")):
        raise DataError(f"{path.name}: road networks must be an OSM PBF (.osm.pbf) or GraphML (.graphml[.gz]) file")
    try:
        st = path.stat()
    except OSError:
        raise DataError(f"{path.name}: road network file not found ({path})") from None
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, tuple(sorted((speeds or {}).items())))
    with _network_cache_lock:
        hit = _network_cache.get(key)
        if hit is not None:
            _network_cache.move_to_end(key)
            return hit
    network = read_osm_pbf(path, speeds) if name.endswith(".pbf") else read_graphml(path, speeds)
    with _network_cache_lock:
        _network_cache[key] = network
        while len(_network_cache) > ROAD_NETWORK_CACHE_SIZE:
            _network_cache.popitem(last=False)
    return network


def clear_road_network_cache() -> None:
    """Forget the road networks kept by :func:`read_road_network`."""
    with _network_cache_lock:
        _network_cache.clear()


class RoadTravel:
    """Shortest-path travel times on a :class:`RoadNetwork` between snapped locations.

    Rows are computed with ``scipy.sparse.csgraph.dijkstra`` for the requested sources only and
    cached (least recently used, bounded memory).
    """

    def __init__(self, network: RoadNetwork, node: np.ndarray, access_s: np.ndarray,
                 unreachable: np.ndarray, *, strict: bool, parking_s: float = 0.0,
                 cache_bytes: int = 256 << 20) -> None:
        self.network = network
        self.node = np.asarray(node, dtype=np.int64)
        self.access_s = np.asarray(access_s, dtype=float)
        self.unreachable = np.asarray(unreachable, dtype=bool)
        self.strict = strict
        self.parking_s = parking_s
        self._graph_t: sp.csr_matrix | None = None
        self._cache: OrderedDict[tuple[bool, int], np.ndarray] = OrderedDict()
        self._cache_rows = max(8, cache_bytes // max(8 * network.n_nodes, 1))

    @property
    def n(self) -> int:
        return int(self.node.shape[0])

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
        out = _to_seconds(np.where(bad, 0.0, t))
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


@dataclass
class TravelModel:
    """The scenario's travel model over its locations (retailers, then bases).

    ``oracle`` is strict (unreachable locations get :data:`UNREACHABLE`), ``soft`` is not (used
    by territory design, which must still place unreachable retailers somewhere).
    """

    oracle: object
    soft: object
    kind: str
    unreachable: np.ndarray  # bool per location
    description: str
    network: RoadNetwork | None = None

    def path_lonlat(self, i: int, j: int, lonlat: np.ndarray) -> list[tuple[float, float]]:
        if isinstance(self.oracle, RoadTravel):
            pts = self.oracle.path_lonlat(i, j)
            if pts:
                return [tuple(lonlat[i])] + pts + [tuple(lonlat[j])]
        return [tuple(lonlat[i]), tuple(lonlat[j])]


def snap(network: RoadNetwork, x: np.ndarray, y: np.ndarray, projection) -> tuple[np.ndarray, np.ndarray]:
    """Nearest node of the main component for each point; returns (node, distance_m)."""
    mask = network.main_component()
    cand = np.flatnonzero(mask)
    nx_, ny_ = projection.forward(network.lon[cand], network.lat[cand])
    tree = cKDTree(np.column_stack([nx_, ny_]))
    dist, k = tree.query(np.column_stack([x, y]))
    return cand[k], dist


def build_travel(travel_cfg, xy: np.ndarray, projection, network: RoadNetwork | None) -> TravelModel:
    """Build the travel model for locations with projected coordinates ``xy``."""
    parking_s = travel_cfg.parking_min * 60.0
    if travel_cfg.model == "straight_line" or network is None:
        o = StraightLineTravel(xy, speed_kmh=travel_cfg.speed_kmh, circuity=travel_cfg.circuity, parking_s=parking_s)
        desc = f"straight line x {travel_cfg.circuity:g} at {travel_cfg.speed_kmh:g} km/h"
        return TravelModel(o, o, "straight_line", np.zeros(len(xy), dtype=bool), desc)
    node, dist = snap(network, xy[:, 0], xy[:, 1], projection)
    access = dist / (travel_cfg.access_speed_kmh / 3.6)
    unreachable = dist > travel_cfg.max_snap_m
    strict = RoadTravel(network, node, access, unreachable, strict=True, parking_s=parking_s)
    soft = RoadTravel(network, node, access, unreachable, strict=False, parking_s=parking_s)
    desc = (f"road network {network.source} ({network.n_nodes} nodes, {network.n_edges} directed edges), "
            f"snap <= {travel_cfg.max_snap_m:g} m, access {travel_cfg.access_speed_kmh:g} km/h")
    strict._cache = soft._cache  # share Dijkstra rows between the two views
    return TravelModel(strict, soft, "road_network", unreachable, desc, network)

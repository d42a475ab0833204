"""Road networks: an OpenStreetMap PBF extract (via pyrosm) or a GraphML file (as written by
OSMnx or ``planner generate``) read into a directed graph of edge travel times (seconds), with
effective speeds per highway type.
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
from scipy.sparse.csgraph import connected_components

from planner.errors import DataError

# Effective average speeds (km/h) by OSM highway type, including junctions and traffic.
DEFAULT_SPEEDS_KMH = {
    "motorway": 80.0, "motorway_link": 50.0, "trunk": 60.0, "trunk_link": 40.0,
    "primary": 40.0, "primary_link": 30.0, "secondary": 35.0, "secondary_link": 30.0,
    "tertiary": 30.0, "tertiary_link": 25.0, "unclassified": 25.0, "residential": 20.0,
    "living_street": 10.0, "service": 15.0, "road": 25.0,
}
FALLBACK_SPEED_KMH = 20.0
MAXSPEED_FACTOR = 0.7  # effective speed as a share of the posted limit


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


def speed_kmh_of(highway, maxspeed, overrides: dict[str, float]) -> float:
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


def build_network(lon, lat, u, v, length_m, speed_kmh, oneway, source: str) -> RoadNetwork:
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
    sp_kmh = np.array([speed_kmh_of(h, m, speeds) for h, m in zip(hw, ms, strict=True)])
    ow_raw = edges["oneway"].astype(str).str.lower().to_numpy() if "oneway" in edges else np.full(len(edges), "")
    oneway = np.isin(ow_raw, ["yes", "true", "1", "-1"])
    rev = ow_raw == "-1"
    u2, v2 = np.where(rev, v, u), np.where(rev, u, v)
    return build_network(nodes["lon"].to_numpy(), nodes["lat"].to_numpy(), u2[ok], v2[ok],
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
            s = speed_kmh_of(d.get("highway"), d.get("maxspeed"), speeds)
        if str(d.get("highway", "")) in speeds:
            s = speeds[str(d.get("highway"))]
        u.append(index[a])
        v.append(index[b])
        length.append(L)
        kmh.append(max(s, 1.0))
    directed = g.is_directed()
    oneway = np.ones(len(u), dtype=bool) if directed else np.zeros(len(u), dtype=bool)
    return build_network(lon, lat, np.array(u), np.array(v), np.array(length), np.array(kmh), oneway, path.name)


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

"""Travel models: straight line, road networks (GraphML, OSM PBF), snapping, unreachable places."""

from __future__ import annotations

import gzip
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from planner.inputs.coords import LocalProjection
from planner.travel.model import build_travel
from planner.travel.network import read_graphml, read_osm_pbf, read_road_network
from planner.travel.oracles import StraightLineTravel
from solvers.common import UNREACHABLE

ROOT = Path(__file__).resolve().parents[1]


class Cfg:
    model = "road_network"
    speed_kmh = 36.0
    circuity = 1.0
    max_snap_m = 100.0
    access_speed_kmh = 3.6  # 1 m/s
    parking_min = 0.0
    speeds_kmh: dict = {}


def test_straight_line_values_and_blocks():
    xy = np.array([[0.0, 0.0], [1000.0, 0.0], [0.0, 2000.0]])
    t = StraightLineTravel(xy, speed_kmh=36.0, circuity=1.5, parking_s=10)
    m = t.matrix(np.arange(3))
    assert m[0, 1] == 160 and m[0, 2] == 310 and m[1, 1] == 0
    assert t.from_sources(np.array([2])).tolist() == [[310, round(1.5 * np.hypot(1000, 2000) / 10 + 10), 0]]
    assert np.array_equal(t.to_targets(np.array([0, 1])), m[:, :2])


def _line_graph(tmp_path: Path, directed: bool) -> Path:
    """Four nodes 100 m apart east-west at latitude 60; edge 2->3 one way if directed."""
    p = LocalProjection(24.0, 60.0)
    x0, y0 = p.forward(24.0, 60.0)
    g = nx.MultiDiGraph() if directed else nx.Graph()
    for k in range(4):
        lon, lat = p.inverse(x0 + 100.0 * k, y0)
        g.add_node(str(k), x=float(lon), y=float(lat))
    for a, b in [(0, 1), (1, 2), (2, 3)]:
        g.add_edge(str(a), str(b), length=100.0, speed_kph=36.0)
        if directed and (a, b) != (2, 3):
            g.add_edge(str(b), str(a), length=100.0, speed_kph=36.0)
    if directed:  # a slow way back from 3 to 2
        g.add_edge("3", "2", length=100.0, speed_kph=3.6)
    path = tmp_path / ("roads.graphml.gz" if directed else "roads.graphml")
    if directed:
        with gzip.open(path, "wb") as f:
            nx.write_graphml(g, f)
    else:
        nx.write_graphml(g, path)
    return path


def test_graphml_shortest_paths_snapping_and_one_way(tmp_path):
    net = read_road_network(_line_graph(tmp_path, directed=True))
    assert net.n_nodes == 4
    proj = LocalProjection(24.0, 60.0)
    x0, y0 = proj.forward(24.0, 60.0)
    # locations: at node 0, 10 m north of node 3, 500 m away from everything (unreachable)
    xy = np.array([[x0, y0], [x0 + 300.0, y0 + 10.0], [x0 + 150.0, y0 + 500.0]])
    tm = build_travel(Cfg, xy, proj, net)
    assert tm.unreachable.tolist() == [False, False, True]
    m = tm.oracle.matrix(np.array([0, 1]))
    assert m[0, 1] == 30 + 10  # 300 m at 10 m/s + 10 m access at 1 m/s
    assert m[1, 0] == 10 + 100 + 20  # slow one-way edge back (100 s), then 200 m
    strict = tm.oracle.from_sources(np.array([0]))
    assert strict[0, 2] == UNREACHABLE
    soft = tm.soft.from_sources(np.array([0]))
    assert soft[0, 2] < UNREACHABLE
    assert np.array_equal(tm.oracle.to_targets(np.array([1]))[:2, 0], m[:, 1])
    path = tm.path_lonlat(0, 1, np.column_stack(proj.inverse(xy[:, 0], xy[:, 1])))
    assert len(path) == 6  # location, 4 nodes, location


def test_undirected_graphml(tmp_path):
    net = read_graphml(_line_graph(tmp_path, directed=False))
    assert net.n_edges == 6  # both directions


def test_helsinki_pbf_is_read_offline():
    net = read_osm_pbf(ROOT / "data" / "helsinki" / "helsinki.osm.pbf")
    assert net.n_nodes > 1000 and net.n_edges > 1500
    assert net.main_component().sum() > 0.8 * net.n_nodes


def test_bad_network_files(tmp_path):
    from planner.errors import DataError

    (tmp_path / "x.graphml").write_text("<graphml", encoding="utf-8")
    with pytest.raises(DataError, match="x.graphml: cannot read the GraphML file"):
        read_road_network(tmp_path / "x.graphml")
    with pytest.raises(DataError, match="must be an OSM PBF"):
        read_road_network(tmp_path / "roads.shp")

"""Edits of assignments (solvers.territory.edit) and the connectivity test they share with the
searches (solvers.territory.graph.stays_connected): tiny hand-made graphs, brute force."""

from __future__ import annotations

import networkx as nx
import numpy as np

from solvers.territory import (
    Graph,
    TerritoryProblem,
    complete_initial,
    cut_off_parts,
    grow_territory,
    place_free,
    stays_connected,
)
from solvers.territory.model import Model


def _nbrs(n: int, edges: list[tuple[int, int]]) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in range(n)]
    for a, b in edges:
        out[a].append(b)
        out[b].append(a)
    return out


def test_grow_territory_starts_where_no_territory_is_cut():
    nbrs = [[1], [0, 2], [1, 3], [2, 4], [3]]  # a line 0-1-2-3-4, all in territory 0
    owner = np.zeros(5, dtype=np.int64)
    t = np.array([5.0, 0.0, 5.0, 6.0, 7.0])  # 1 is nearest but holds 0 to the rest
    seed = grow_territory(t, nbrs, np.zeros(5, bool), np.ones(5), 2.0, owner)
    assert seed.tolist() == [0, 1]
    assert grow_territory(t, nbrs, np.ones(5, bool), np.ones(5), 2.0, owner).tolist() == []


def test_grow_territory_without_owner_takes_nearest_until_target():
    nbrs = [[1], [0, 2], [1, 3], [2, 4], [3]]
    t = np.array([3.0, 1.0, 0.0, 2.0, 1e12])  # 4 unreachable
    wl = np.array([1.0, 1.0, 1.0, 1.0, 5.0])
    assert grow_territory(t, nbrs, np.zeros(5, bool), wl, 3.0).tolist() == [1, 2, 3]
    assert grow_territory(t, nbrs, np.zeros(5, bool), wl, 100.0).tolist() == [0, 1, 2, 3]


def test_place_free_shares_a_dissolved_territory_by_load():
    # a star: free centre 0 joined to 1..4; 1, 2 in territory 0 (heavy), 3, 4 in territory 1;
    # free leaves 5, 6 hang off the centre
    nbrs = [[1, 2, 3, 4, 5, 6], [0], [0], [0], [0], [0], [0]]
    initial = np.array([-1, 0, 0, 1, 1, -1, -1])
    wl = np.array([1.0, 5.0, 5.0, 1.0, 1.0, 1.0, 1.0])
    x = place_free(initial, nbrs, wl, 2, lambda u: np.zeros((len(u), 2)))
    assert x.tolist() == [1, 0, 0, 1, 1, 1, 1]  # the light territory takes them, each stays in one piece
    iso = place_free(np.array([0, -1]), [[], []], np.ones(2), 2, lambda u: np.array([[9.0, 1.0]]))
    assert iso.tolist() == [0, 1]  # no assigned neighbour: nearest base


def test_cut_off_parts():
    # a line 0-1-2-3-4-5 in territory 0; taking 2 away cuts {0, 1} off the larger {3, 4, 5}
    nbrs = _nbrs(6, [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)])
    before = np.zeros(6, dtype=np.int64)
    after = before.copy()
    after[2] = 1
    parts = cut_off_parts(before, after, 0, nbrs)
    assert [p.tolist() for p in parts] == [[0, 1]]
    assert cut_off_parts(before, after, 1, nbrs) == []  # territory 1 is one piece
    # {0} was apart before the change: not cut off by it; {2} was in the main piece {2..5}
    before2 = np.array([0, 1, 0, 0, 0, 0])
    after2 = np.array([0, 1, 0, 1, 0, 0])
    assert [p.tolist() for p in cut_off_parts(before2, after2, 0, nbrs)] == [[2]]


def test_complete_initial_joins_a_neighbour_or_the_cheapest_centre():
    xy = np.array([[0.0, 0], [1, 0], [2, 0], [3, 0], [10, 10]])
    edges = np.array([[0, 1], [1, 2], [2, 3]])
    p = TerritoryProblem(n_territories=2, xy=xy, measures=np.ones((5, 1)), adjacency=edges,
                         initial=np.array([0, -1, -1, 1, -1]), locked=np.array([-1, -1, -1, -1, -1]))
    model = Model(p)
    # no rows: the lowest adjacent territory; 4 has no neighbour at all: territory 0
    assert complete_initial(model).tolist() == [0, 0, 0, 1, 0]
    rows = np.array([[0.0, 1, 9, 9, 9], [9.0, 9, 1, 0, 1]])
    # 1 and 2 each see one assigned neighbour first (0 and 1); 4 goes to the cheapest centre
    assert complete_initial(model, rows).tolist() == [0, 0, 1, 1, 1]


def test_stays_connected_matches_brute_force():
    rng = np.random.default_rng(0)
    g = nx.grid_2d_graph(3, 4)
    idx = {v: k for k, v in enumerate(sorted(g.nodes))}
    edges = np.array([(idx[a], idx[b]) for a, b in g.edges], dtype=np.int64)
    graph = Graph(12, edges)
    for _ in range(200):
        x = rng.integers(0, 2, 12)
        for i in range(12):
            a = x[i]
            rest = [u for u in range(12) if x[u] == a and u != i]
            s = [u for u in graph.nbrs[i] if x[u] == a]
            sub = nx.Graph()
            sub.add_nodes_from(rest)
            sub.add_edges_from((int(u), int(v)) for u, v in edges.tolist() if u in rest and v in rest)
            expected = all(nx.has_path(sub, s[0], t) for t in s[1:]) if s else True
            assert stays_connected(graph.nbrs, x, i) == expected
            assert stays_connected(graph.nbrs, x.tolist(), i) == expected

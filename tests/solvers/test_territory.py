"""Tests of the territory-design solver (fast: iteration limits, tiny instances)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from solvers.common import MatrixTravel, Status, Stop
from solvers.territory import (
    EuclideanTravel,
    TerritoryParams,
    TerritoryProblem,
    cut_edges,
    delaunay_adjacency,
    solve,
    territory_components,
)
from solvers.territory.graph import Graph

HEURISTIC = TerritoryParams(method="heuristic")

BENCH = Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks"
IT = Stop(time_limit_s=None, max_iterations=200)


def grid(r: int, c: int) -> tuple[np.ndarray, np.ndarray]:
    xy = np.array([[1000.0 * (i % c), 1000.0 * (i // c)] for i in range(r * c)])
    e = [(i, i + 1) for i in range(r * c) if (i % c) < c - 1]
    e += [(i, i + c) for i in range(r * c - c)]
    return xy, np.array(e, dtype=np.int64)


def is_contiguous(edges: np.ndarray, x: np.ndarray, k: int) -> bool:
    ncomp, _ = territory_components(Graph(len(x), edges), x, k)
    return bool(np.all(ncomp == 1))


def brute_force(p: TerritoryProblem) -> tuple[float, np.ndarray | None]:
    """Independent optimum: all k**n assignments, free centres = best member (Euclidean)."""
    n, k = p.n_units, p.n_territories
    e = p.adjacency
    d = np.rint(np.hypot(*(p.xy[:, None, :] - p.xy[None, :, :]).transpose(2, 0, 1)))
    w = p.measures[:, 0]
    tgt = p.measures.sum(axis=0) / k
    best, best_x = np.inf, None
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(e.tolist())
    for xs in itertools.product(range(k), repeat=n):
        x = np.array(xs)
        if p.locked is not None and np.any((p.locked >= 0) & (x != p.locked)):
            continue
        sizes = np.bincount(x, minlength=k)
        if np.any(sizes == 0):
            continue
        loads = np.array([p.measures[x == j].sum(axis=0) for j in range(k)])
        if np.any(np.abs(loads / tgt - 1) > np.array(p.tolerances) + 1e-12):
            continue
        if p.objective == "cut_edges":
            val = float(np.count_nonzero(x[e[:, 0]] != x[e[:, 1]]))
        else:
            val = 0.0
            for j in range(k):
                mem = np.flatnonzero(x == j)
                val += float((w[mem] @ d[np.ix_(mem, mem)]).min())  # best member as centre
        if val >= best - 1e-9:
            continue
        if p.contiguous and not all(nx.is_connected(g.subgraph(np.flatnonzero(x == j).tolist())) for j in range(k)):
            continue
        best, best_x = val, x
    return best, best_x


# ------------------------------------------------------------------ graph


def test_delaunay_adjacency_is_connected_and_handles_duplicates_and_lines() -> None:
    rng = np.random.default_rng(0)
    xy = np.concatenate([rng.normal(0, 100, (200, 2)), rng.normal(50000, 100, (50, 2))])
    xy = np.concatenate([xy, xy[:5]])  # co-located retailers
    e = delaunay_adjacency(xy)
    assert e.shape[1] == 2 and np.all(e[:, 0] < e[:, 1])
    nc, _ = Graph(len(xy), e).components()
    assert nc == 1
    line = np.stack([np.arange(10.0), np.zeros(10)], axis=1)
    e2 = delaunay_adjacency(line)
    assert len(e2) == 9 and Graph(10, e2).components()[0] == 1
    full = delaunay_adjacency(xy, max_edge_m=1e12)
    trimmed = delaunay_adjacency(xy, max_edge_m=500.0)
    assert len(trimmed) < len(full) and Graph(len(xy), trimmed).components()[0] == 1
    long = np.hypot(*(xy[trimmed[:, 0]] - xy[trimmed[:, 1]]).T) > 500.0
    assert np.count_nonzero(long) == 1  # the one edge keeping the two clusters connected


# ------------------------------------------------------------------ exactness on tiny instances


@pytest.mark.parametrize("objective", ["weighted_travel", "cut_edges"])
def test_exact_matches_brute_force(objective: str) -> None:
    xy, e = grid(3, 3)
    w = np.array([3.0, 1, 2, 2, 1, 3, 1, 2, 1])
    p = TerritoryProblem(n_territories=3, xy=xy, measures=w[:, None], tolerances=(0.4,),
                         adjacency=e, objective=objective)
    best, _ = brute_force(p)
    res = solve(p, stop=IT, seed=1)
    assert res.status is Status.OPTIMAL
    assert res.objective == pytest.approx(best)
    assert res.stats.method == "enumeration"


@pytest.mark.parametrize("objective", ["weighted_travel", "cut_edges"])
@pytest.mark.parametrize("seed", [1, 2])
def test_heuristic_reaches_brute_force_optimum(objective: str, seed: int) -> None:
    xy, e = grid(2, 5)
    w = np.array([2.0, 1, 1, 2, 1, 1, 2, 1, 2, 1])
    p = TerritoryProblem(n_territories=2, xy=xy, measures=w[:, None], tolerances=(0.15,),
                         adjacency=e, objective=objective)
    best, _ = brute_force(p)
    res = solve(p, stop=Stop(time_limit_s=None, max_iterations=300), seed=seed, params=HEURISTIC)
    assert res.status is Status.FEASIBLE
    assert is_contiguous(e, res.assignment, 2)
    assert res.objective >= best - 1e-9
    assert res.objective == pytest.approx(best)


# ------------------------------------------------------------------ constraints


def city(n: int = 600, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    xy = np.concatenate([rng.normal(0, 3000, (n // 2, 2)), rng.normal(12000, 2000, (n - n // 2, 2))])
    w = rng.uniform(600, 3000, n)
    return xy, np.stack([w, rng.lognormal(2, 0.5, n), np.ones(n)], axis=1)


def test_balance_contiguity_and_locks_on_a_city() -> None:
    xy, meas = city()
    locked = np.full(len(xy), -1)
    near_a = np.argsort(np.hypot(*(xy - [0.0, 0.0]).T))[:5]  # key retailers kept together
    near_b = np.argsort(np.hypot(*(xy - [12000.0, 12000.0]).T))[:3]
    locked[near_a] = 3
    locked[near_b] = 0
    p = TerritoryProblem(n_territories=6, xy=xy, measures=meas, measure_names=("workload", "sales", "count"),
                         tolerances=(0.03, float("inf"), 0.25), locked=locked)
    res = solve(p, stop=Stop(time_limit_s=None, max_iterations=300), seed=3)
    x = res.assignment
    assert res.status is Status.FEASIBLE, res.summary()
    assert np.all(x[near_a] == 3) and np.all(x[near_b] == 0)
    wl = np.bincount(x, weights=meas[:, 0], minlength=6)
    assert np.all(np.abs(wl / wl.mean() - 1) <= 0.03 + 1e-9)
    assert is_contiguous(delaunay_adjacency(xy), x, 6)
    assert len(res.territories) == 6 and all(t.connected for t in res.territories)
    assert sum(t.n_units for t in res.territories) == len(xy)


def test_scattered_locks_are_joined_contiguously() -> None:
    xy, meas = city()
    locked = np.full(len(xy), -1)
    locked[:5] = 3  # random retailers across the first town, all locked to territory 3
    locked[300:303] = 0
    p = TerritoryProblem(n_territories=6, xy=xy, measures=meas[:, :1], tolerances=(0.03,), locked=locked)
    res = solve(p, stop=Stop(time_limit_s=None, max_iterations=300), seed=3)
    assert res.status is Status.FEASIBLE, res.summary()
    assert np.all(res.assignment[:5] == 3) and np.all(res.assignment[300:303] == 0)
    assert is_contiguous(delaunay_adjacency(xy), res.assignment, 6)


def test_target_shares_and_fixed_centres() -> None:
    xy, meas = city(400, 1)
    bases = np.array([[0.0, 0.0], [12000.0, 12000.0], [3000.0, 3000.0]])
    travel = EuclideanTravel(np.concatenate([xy, bases]), scale=1.3 / 8.33)
    shares = np.array([0.5, 0.3, 0.2])
    p = TerritoryProblem(n_territories=3, xy=xy, measures=meas[:, :1], tolerances=(0.05,),
                         travel=travel, fixed_centres=True, target_shares=shares)
    res = solve(p, stop=Stop(time_limit_s=None, max_iterations=200), seed=1)
    assert res.status is Status.FEASIBLE, res.summary()
    wl = np.bincount(res.assignment, weights=meas[:, 0], minlength=3)
    assert np.allclose(wl / wl.sum(), shares, atol=0.05 * shares.max())
    assert [t.centre for t in res.territories] == [400, 401, 402]


def test_impossible_tolerance_is_reported_with_amounts() -> None:
    xy, e = grid(3, 4)
    w = np.ones(12)
    w[0] = 30.0  # one unit heavier than a fair share
    p = TerritoryProblem(n_territories=3, xy=xy, measures=w[:, None], tolerances=(0.03,), adjacency=e)
    res = solve(p, stop=IT, seed=1)
    assert res.status is Status.PARTIAL
    bal = [v for v in res.violations if v.constraint == "balance:workload"]
    assert bal and all(v.amount > 0 and v.territory is not None for v in bal)
    heavy = next(v for v in bal if v.territory == res.assignment[0])
    assert heavy.amount == pytest.approx(30.0 / (41.0 / 3) - 1 - 0.03, rel=1e-6)


def test_max_radius_violation_is_reported() -> None:
    xy, e = grid(1, 6)
    p = TerritoryProblem(n_territories=2, xy=xy, measures=np.ones((6, 1)), tolerances=(0.0,),
                         adjacency=e, max_radius_s=500.0)
    res = solve(p, stop=IT, seed=1, params=HEURISTIC)
    assert res.status is Status.PARTIAL
    assert any(v.constraint == "max_radius" for v in res.violations)


def test_disruption_budget_is_respected() -> None:
    xy, meas = city(500, 2)
    n = len(xy)
    initial = (xy[:, 0] > np.median(xy[:, 0])).astype(int) + 2 * (xy[:, 1] > np.median(xy[:, 1]))
    mw = np.where(meas[:, 0] > 2500, 3.0, 1.0)
    locked = np.full(n, -1)
    locked[:10] = initial[:10]
    p = TerritoryProblem(n_territories=4, xy=xy, measures=meas[:, :1], tolerances=(0.03,),
                         initial=initial, max_moved=0.10, move_weights=mw, locked=locked)
    res = solve(p, stop=Stop(time_limit_s=None, max_iterations=200), seed=1)
    x = res.assignment
    moved_w = mw[x != initial].sum() / mw.sum()
    assert moved_w <= 0.10 + 1e-9
    assert res.moved == int(np.count_nonzero(x != initial))
    assert res.moved_share == pytest.approx(moved_w)
    assert np.all(x[:10] == initial[:10])


def test_group_penalty_keeps_market_groups_whole() -> None:
    xy, e = grid(2, 6)
    groups = np.array([0, 0, 0, 0, -1, -1, 0, 0, 0, 0, -1, -1])
    base = dict(n_territories=2, xy=xy, measures=np.ones((12, 1)), tolerances=(0.34,), adjacency=e,
                groups=groups)
    res = solve(TerritoryProblem(**base, group_penalty=1e6), stop=IT, seed=1)
    assert len(set(res.assignment[groups == 0].tolist())) == 1
    assert res.stats.group_splits == 0


# ------------------------------------------------------------------ determinism and objectives


@pytest.mark.parametrize("objective", ["weighted_travel", "cut_edges"])
def test_same_seed_same_iterations_same_plan(objective: str) -> None:
    xy, meas = city(300, 4)
    p = TerritoryProblem(n_territories=5, xy=xy, measures=meas[:, :1], tolerances=(0.05,),
                         objective=objective)
    stop = Stop(time_limit_s=None, max_iterations=150)
    a = solve(p, stop=stop, seed=7)
    b = solve(p, stop=stop, seed=7)
    assert np.array_equal(a.assignment, b.assignment)
    assert a.objective == b.objective


def test_cut_edges_heuristic_on_grid() -> None:
    xy, e = grid(6, 6)
    p = TerritoryProblem(n_territories=2, xy=xy, measures=np.ones((36, 1)), tolerances=(0.0,),
                         adjacency=e, objective="cut_edges")
    res = solve(p, stop=Stop(time_limit_s=None, max_iterations=3000), seed=1)
    assert res.status is Status.FEASIBLE
    assert res.objective == 6  # a straight cut through the middle
    assert cut_edges(e, res.assignment) == 6


def test_diameter_objective_small() -> None:
    xy, e = grid(2, 4)
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    p = TerritoryProblem(n_territories=2, xy=xy, measures=np.ones((8, 1)), tolerances=(0.0,),
                         adjacency=e, travel=MatrixTravel(np.rint(d)), objective="diameter",
                         contiguous=False)
    exact = solve(p, stop=IT, seed=1)
    heur = solve(p, stop=Stop(time_limit_s=None, max_iterations=500), seed=1, params=HEURISTIC)
    assert exact.status is Status.OPTIMAL
    assert exact.objective == pytest.approx(1414.0)  # two 2x2 squares (rounded diagonal)
    assert heur.objective == pytest.approx(exact.objective)


def test_diameter_without_contiguity_searches_with_contiguous_moves() -> None:
    """On a connected graph the free diameter search uses the contiguous move rules (smaller
    diameters on the DTDP set): its plan is contiguous and equals the contiguous variant's for
    the same seed and iterations; on a disconnected graph free moves are used."""
    xy, e = grid(6, 6)
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    rng = np.random.default_rng(3)
    meas = rng.integers(1, 5, size=(36, 1)).astype(float)
    stop = Stop(time_limit_s=None, max_iterations=2000)
    kw = dict(n_territories=4, xy=xy, measures=meas, tolerances=(0.1,), travel=MatrixTravel(np.rint(d)),
              objective="diameter")
    free = solve(TerritoryProblem(adjacency=e, contiguous=False, **kw), stop=stop, seed=2, params=HEURISTIC)
    cont = solve(TerritoryProblem(adjacency=e, contiguous=True, **kw), stop=stop, seed=2, params=HEURISTIC)
    assert "contiguous moves" in free.stats.method
    assert np.array_equal(free.assignment, cont.assignment)
    assert is_contiguous(e, free.assignment, 4)
    # two halves with no edge between them: free moves
    e2 = e[(xy[e[:, 0], 0] < 2500) == (xy[e[:, 1], 0] < 2500)]
    split = solve(TerritoryProblem(adjacency=e2, contiguous=False, **kw), stop=stop, seed=2, params=HEURISTIC)
    assert "contiguous moves" not in split.stats.method
    assert split.status is Status.FEASIBLE


# ------------------------------------------------------------------ benchmark smoke tests


def test_districting_benchmark_instance_smoke() -> None:
    path = BENCH / "districting-cutedges" / "instances" / "county23.json"
    if not path.exists():
        pytest.skip("../shared/benchmarks not available")
    data = json.loads(path.read_text())
    ids = [nd["id"] for nd in data["nodes"]]
    pos = {v: i for i, v in enumerate(ids)}
    pop = np.array([nd["TOTPOP"] for nd in data["nodes"]], dtype=float)
    e = np.array(sorted({(min(i, pos[a["id"]]), max(i, pos[a["id"]]))
                         for i, adj in enumerate(data["adjacency"]) for a in adj}))
    xy = np.array([[nd["C_X"], nd["C_Y"]] for nd in data["nodes"]])
    p = TerritoryProblem(n_territories=2, xy=xy, measures=pop[:, None], tolerances=(0.005,),
                         adjacency=e, objective="cut_edges")
    res = solve(p, stop=IT, seed=1)
    assert res.status is Status.OPTIMAL and res.objective == 16  # proven optimum (bks.csv)


def test_dtdp_benchmark_instance_smoke() -> None:
    path = BENCH / "territory-dtdp" / "instances" / "planar500_G0.graphml"
    if not path.exists():
        pytest.skip("../shared/benchmarks not available")
    g = nx.read_graphml(path)
    ids = sorted(g.nodes, key=int)
    pos = {v: i for i, v in enumerate(ids)}
    e = np.array([[pos[u], pos[v]] for u, v in g.edges])
    xy = np.array([[g.nodes[v]["x"], g.nodes[v]["y"]] for v in ids], dtype=float)
    meas = np.array([[g.nodes[v][m] for m in ("workload", "n_customers", "demand")] for v in ids], float)
    p = TerritoryProblem(n_territories=10, xy=xy, measures=meas, measure_names=("workload", "n_customers", "demand"),
                         tolerances=(0.05,) * 3, adjacency=e, objective="diameter", contiguous=False)
    res = solve(p, stop=Stop(time_limit_s=None, max_iterations=300), seed=1)
    assert res.assignment.shape == (500,) and len(res.territories) == 10
    assert res.objective > 0


# ------------------------------------------------------------------ recombination walk


def _cut_model(k: int, r: int = 6, c: int = 6, locked: np.ndarray | None = None,
               measures: np.ndarray | None = None, tol: float = 0.0):
    from solvers.territory.model import Model

    xy, e = grid(r, c)
    meas = np.ones((r * c, 1)) if measures is None else measures
    p = TerritoryProblem(n_territories=k, xy=xy, measures=meas, tolerances=(tol,) * meas.shape[1],
                         adjacency=e, objective="cut_edges", locked=locked)
    return Model(p), e


def _balanced(model, x: np.ndarray) -> bool:
    loads = np.array([model.a[x == j].sum(axis=0) for j in range(model.k)])
    return bool(np.all(np.abs(loads / model.target - 1) <= model.tol + 1e-9))


@pytest.mark.parametrize("k,seed", [(2, 0), (3, 1), (4, 2), (6, 3)])
def test_tree_plan_is_feasible_and_contiguous(k: int, seed: int) -> None:
    from solvers.territory.recom import tree_plan

    model, e = _cut_model(k)
    x = tree_plan(model, np.random.default_rng(seed))
    assert x is not None
    assert sorted(set(x.tolist())) == list(range(k))
    assert _balanced(model, x) and is_contiguous(e, x, k)


def test_tree_plan_declines_locks() -> None:
    from solvers.territory.recom import tree_plan

    locked = np.full(36, -1)
    locked[0] = 1
    model, _ = _cut_model(2, locked=locked)
    assert tree_plan(model, np.random.default_rng(0)) is None


@pytest.mark.parametrize("k,optimum", [(2, 6), (3, 10), (4, 12)])
def test_recom_walk_reaches_grid_optimum(k: int, optimum: int) -> None:
    """6 x 6 grid, equal units, exact balance: the walk from a random feasible plan meets the
    optimum and every plan it returns is balanced and contiguous. Optima: cut = (sum of the
    territory perimeters - 24) / 2; k = 2: two 3 x 6 halves, 6 (CP-SAT proves it); k = 4: four
    3 x 3 squares, the least perimeter of 9 cells, 12; k = 3: 9 would need three 3 x 4
    rectangles (the only 12 cells of perimeter 14), which cannot tile 6 x 6, so 10 (two
    3 x 4 blocks and a 2 x 6 strip)."""
    from solvers.territory.recom import recom_search, tree_plan

    model, e = _cut_model(k)
    rng = np.random.default_rng(5)
    x0 = tree_plan(model, rng)
    best, cut, stats = recom_search(model, x0, rng, Stop(time_limit_s=5).clock(), 5.0, stall=300)
    assert cut == cut_edges(e, best) == optimum
    assert _balanced(model, best) and is_contiguous(e, best, k)
    assert stats.steps > 0


def test_recom_walk_respects_locks_and_uneven_targets() -> None:
    """Locked units stay in their territory; with uneven measures and a tolerance every step
    stays within the bounds (the walk only takes balanced splits)."""
    from solvers.territory.recom import recom_search

    rng = np.random.default_rng(2)
    meas = rng.integers(1, 6, size=(36, 1)).astype(float)
    locked = np.full(36, -1)
    locked[[0, 35]] = [0, 2]
    model, e = _cut_model(3, locked=locked, measures=meas, tol=0.1)
    res = solve(TerritoryProblem(n_territories=3, xy=grid(6, 6)[0], measures=meas, tolerances=(0.1,),
                                 adjacency=e, objective="cut_edges", locked=locked),
                stop=Stop(time_limit_s=None, max_iterations=2000), seed=1)
    assert res.status is Status.FEASIBLE
    best, cut, _ = recom_search(model, res.assignment, rng, Stop(time_limit_s=2).clock(), 2.0, stall=200)
    assert best[0] == 0 and best[35] == 2
    assert _balanced(model, best) and is_contiguous(e, best, 3)
    assert cut <= res.objective


def test_cut_edges_cpsat_with_uneven_targets_keeps_labels() -> None:
    """Territories with different targets (team sizes) are not interchangeable: CP-SAT must not
    break symmetry by relabelling, and territory j must meet its own target."""
    from solvers.territory.cpsat import solve_cut_cpsat
    from solvers.territory.model import Model

    xy, e = grid(3, 4)
    p = TerritoryProblem(n_territories=2, xy=xy, measures=np.ones((12, 1)), tolerances=(0.0,),
                         adjacency=e, objective="cut_edges", target_shares=np.array([1 / 3, 2 / 3]))
    model = Model(p)
    x, val, proven, _ = solve_cut_cpsat(model, None, 10.0)
    assert proven and x is not None
    assert np.bincount(x, minlength=2).tolist() == [4, 8]
    assert val == cut_edges(e, x) == 4  # a 2 x 2 corner block or a full row of 4


# ------------------------------------------------------------------ diameter multi-start


def test_bisection_rotation_gives_other_balanced_cells() -> None:
    from solvers.territory.construct import bisection_partition
    from solvers.territory.model import Model

    rng = np.random.default_rng(4)
    xy = rng.random((400, 2)) * 10_000
    p = TerritoryProblem(n_territories=8, xy=xy, measures=np.ones((400, 1)), tolerances=(0.05,),
                         objective="weighted_travel")
    model = Model(p)
    a, b = bisection_partition(model), bisection_partition(model, angle_deg=45.0)
    for cells in (a, b):
        assert np.bincount(cells, minlength=8).tolist() == [50] * 8  # equal workload per cell
    assert not np.array_equal(a, b)


def test_diameter_multistart_keeps_best_and_is_deterministic() -> None:
    DIAMETER_STARTS = TerritoryParams().diameter_starts

    xy, e = grid(8, 8)
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    meas = np.random.default_rng(1).integers(1, 5, size=(64, 1)).astype(float)
    p = TerritoryProblem(n_territories=4, xy=xy, measures=meas, tolerances=(0.1,), adjacency=e,
                         travel=MatrixTravel(np.rint(d)), objective="diameter", contiguous=False)
    stop = Stop(time_limit_s=None, max_iterations=3000)
    a = solve(p, stop=stop, seed=3, params=HEURISTIC)
    b = solve(p, stop=stop, seed=3, params=HEURISTIC)
    assert a.status is Status.FEASIBLE
    assert a.stats.starts == DIAMETER_STARTS == len(a.stats.start_diameters)
    assert a.objective <= min(a.stats.start_diameters) + 1e-9
    assert np.array_equal(a.assignment, b.assignment)

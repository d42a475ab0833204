"""Tests of the cut-edges method for large graphs: steered walk, exact LNS, the pipeline."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_territory import grid
from test_territory import is_contiguous as contiguous

from solvers.common import Status, Stop
from solvers.territory import (
    TerritoryParams,
    TerritoryProblem,
    cut_edges,
    delaunay_adjacency,
    solve,
)
from solvers.territory.lns import balance_bounds, neighbourhood, reoptimise, scaled
from solvers.territory.model import Model
from solvers.territory.recom import steered_walk, tree_plan

# the large-graph method on small graphs: every graph above 10 units takes it
LARGE = TerritoryParams(method="heuristic", max_cpsat_units=10)


def balanced(model: Model, x: np.ndarray) -> bool:
    loads = np.array([model.a[x == j].sum(axis=0) for j in range(model.k)])
    return bool(np.all(np.abs(loads / model.target - 1) <= model.tol + 1e-9))


def grid_model(r: int, c: int, k: int, tol: float = 0.0, locked=None) -> tuple[Model, np.ndarray]:
    xy, e = grid(r, c)
    p = TerritoryProblem(n_territories=k, xy=xy, measures=np.ones((r * c, 1)), tolerances=(tol,),
                         adjacency=e, objective="cut_edges", locked=locked)
    return Model(p), e


def reopt(model: Model, x: np.ndarray, free: np.ndarray):
    lo, hi = balance_bounds(model)
    return reoptimise(model, x, free, meas=scaled(model), lo=lo, hi=hi, time_limit_s=np.inf,
                      det_limit=1.0, seed=1)


def test_reoptimise_whole_grid_finds_the_straight_cut() -> None:
    """4 x 4 grid, two territories of 8: from an L-shaped plan (cut 6) the sub-problem over all
    units (one unit of each territory stays fixed: 0 and 6) finds the straight cut (4)."""
    model, e = grid_model(4, 4, 2)
    x = np.ones(16, np.int64)
    x[[0, 1, 2, 3, 4, 8, 12, 5]] = 0
    assert contiguous(e, x, 2) and balanced(model, x)
    assert cut_edges(e, x) == 6
    out, delta, proven = reopt(model, x, np.arange(16))
    assert proven and delta == -2
    assert cut_edges(e, out) == 4
    assert out[0] == 0 and out[6] == 1
    assert contiguous(e, out, 2) and balanced(model, out)


def test_reoptimise_keeps_an_optimal_plan_and_locks() -> None:
    model, e = grid_model(4, 4, 2, locked=np.array([0] + [-1] * 14 + [1]))
    x = (np.arange(16) % 4 >= 2).astype(np.int64)  # straight vertical cut: optimal
    out, delta, proven = reopt(model, x, neighbourhood(model, x, np.random.default_rng(0), 16, "ball"))
    assert proven and delta == 0 and np.array_equal(out, x)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(min_value=12, max_value=35), k=st.integers(min_value=2, max_value=4),
       seed=st.integers(min_value=0, max_value=10_000), size=st.integers(min_value=3, max_value=35),
       kind=st.sampled_from(["band", "ball"]), n_locked=st.integers(min_value=0, max_value=4))
def test_reoptimise_never_worsens_and_keeps_bounds_contiguity_locks(
        n: int, k: int, seed: int, size: int, kind: str, n_locked: int) -> None:
    rng = np.random.default_rng(seed)
    xy = np.round(rng.random((n, 2)) * 5000, 0)
    e = delaunay_adjacency(xy)
    meas = rng.integers(1, 6, size=(n, 1)).astype(float)
    base = TerritoryProblem(n_territories=k, xy=xy, measures=meas, tolerances=(0.15,),
                            adjacency=e, objective="cut_edges")
    x = tree_plan(Model(base), rng)
    if x is None:
        return
    locked = np.full(n, -1)
    pick = rng.choice(n, size=n_locked, replace=False)
    locked[pick] = x[pick]
    model = Model(TerritoryProblem(n_territories=k, xy=xy, measures=meas, tolerances=(0.15,),
                                   adjacency=e, objective="cut_edges", locked=locked))
    free = neighbourhood(model, x, rng, size, kind)
    out, delta, _ = reopt(model, x, free)
    assert delta <= 0 and cut_edges(e, out) == cut_edges(e, x) + delta
    assert balanced(model, out) and contiguous(e, out, k)
    assert np.all(out[locked >= 0] == locked[locked >= 0])
    assert np.all(out[np.setdiff1d(np.arange(n), free)] == x[np.setdiff1d(np.arange(n), free)])


@pytest.mark.parametrize("k,optimum", [(2, 6), (4, 12)])
def test_steered_walk_reaches_grid_optimum(k: int, optimum: int) -> None:
    """6 x 6 grid, exact balance (optima as in test_territory): the steered walk from a random
    plan meets the optimum within 300 steps; its plans stay balanced and contiguous."""
    model, e = grid_model(6, 6, k)
    rng = np.random.default_rng(3)
    x0 = tree_plan(model, rng)
    best, cut, stats = steered_walk(model, x0, rng, done=lambda s: s >= 300)
    assert stats.steps == 300
    assert cut == cut_edges(e, best) == optimum
    assert balanced(model, best) and contiguous(e, best, k)


def test_large_pipeline_on_grid_is_feasible_optimal_and_reproducible() -> None:
    """10 x 10 grid into four territories of 25 (optimum: four 5 x 5 squares, cut 20) with
    the large-graph method and an iteration limit: same seed, same plan."""
    xy, e = grid(10, 10)
    p = TerritoryProblem(n_territories=4, xy=xy, measures=np.ones((100, 1)), tolerances=(0.0,),
                         adjacency=e, objective="cut_edges")
    stop = Stop(time_limit_s=None, max_iterations=500)
    a = solve(p, stop=stop, seed=4, params=LARGE)
    b = solve(p, stop=stop, seed=4, params=LARGE)
    assert a.stats.method == "tree+walk+lns:cut_edges"
    assert a.status is Status.FEASIBLE
    assert np.array_equal(a.assignment, b.assignment)
    assert a.objective == cut_edges(e, a.assignment) == 20
    assert a.stats.lns_steps and a.stats.lns_cut == 20 and a.stats.recom_cut >= 20


def test_large_pipeline_with_locks_starts_from_tabu() -> None:
    xy, e = grid(8, 8)
    locked = np.full(64, -1)
    locked[[0, 63]] = [1, 0]
    p = TerritoryProblem(n_territories=2, xy=xy, measures=np.ones((64, 1)), tolerances=(0.0,),
                         adjacency=e, objective="cut_edges", locked=locked)
    res = solve(p, stop=Stop(time_limit_s=None, max_iterations=600), seed=2, params=LARGE)
    assert res.stats.method == "tabu+walk+lns:cut_edges"
    assert res.status is Status.FEASIBLE and res.assignment[0] == 1 and res.assignment[63] == 0
    assert res.objective == 8


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(min_value=15, max_value=60), k=st.integers(min_value=2, max_value=6),
       seed=st.integers(min_value=0, max_value=10_000))
def test_large_pipeline_plans_are_contiguous_and_within_bounds(n: int, k: int, seed: int) -> None:
    """Random planar graphs (Delaunay of random points), random measures, +-15 %: every plan
    the large-graph method returns as feasible has k contiguous territories within bounds, and
    the reported cut is the recomputed one."""
    rng = np.random.default_rng(seed)
    xy = np.round(rng.random((n, 2)) * 5000, 0)
    e = delaunay_adjacency(xy)
    meas = rng.integers(1, 6, size=(n, 1)).astype(float)
    p = TerritoryProblem(n_territories=k, xy=xy, measures=meas, tolerances=(0.15,), adjacency=e,
                         objective="cut_edges")
    res = solve(p, stop=Stop(time_limit_s=None, max_iterations=150), seed=seed, params=LARGE)
    x = res.assignment
    assert res.objective == cut_edges(e, x)
    if res.status is Status.FEASIBLE:
        assert sorted(set(x.tolist())) == list(range(k))
        assert contiguous(e, x, k) and balanced(Model(p), x)

"""Property tests of the territory solver: invariants on random small instances."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solvers.common import Status, Stop
from solvers.territory import (
    TerritoryParams,
    TerritoryProblem,
    delaunay_adjacency,
    solve,
    territory_components,
)
from solvers.territory.graph import Graph

HEURISTIC = TerritoryParams(method="heuristic")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(min_value=12, max_value=80),
    k=st.integers(min_value=2, max_value=5),
    seed=st.integers(min_value=0, max_value=10_000),
    objective=st.sampled_from(["weighted_travel", "cut_edges"]),
    n_locked=st.integers(min_value=0, max_value=3),
)
def test_invariants(n: int, k: int, seed: int, objective: str, n_locked: int) -> None:
    rng = np.random.default_rng(seed)
    xy = np.round(rng.random((n, 2)) * 5000, 0)
    w = rng.uniform(1, 10, n)
    locked = np.full(n, -1)
    locked[rng.choice(n, size=n_locked, replace=False)] = rng.integers(0, k, n_locked)
    p = TerritoryProblem(n_territories=k, xy=xy, measures=w[:, None], tolerances=(0.1,),
                         locked=locked, objective=objective)
    res = solve(p, stop=Stop(time_limit_s=None, max_iterations=60), seed=seed, params=HEURISTIC)
    x = res.assignment
    # every unit in exactly one territory, locks always respected
    assert x.shape == (n,) and x.min() >= 0 and x.max() < k
    assert np.all(x[locked >= 0] == locked[locked >= 0])
    assert sum(t.n_units for t in res.territories) == n
    ncomp, _ = territory_components(Graph(n, delaunay_adjacency(xy)), x, k)
    wl = np.bincount(x, weights=w, minlength=k)
    if res.status is Status.FEASIBLE:
        assert np.all(ncomp == 1)
        assert np.all(np.abs(wl / wl.mean() - 1) <= 0.1 + 1e-9)
    else:
        assert res.status is Status.PARTIAL and res.violations
        # every reported violation names a real defect
        for v in res.violations:
            if v.constraint == "contiguity":
                assert ncomp[v.territory] == v.amount + 1
            if v.constraint == "balance:workload":
                assert v.amount == pytest.approx(abs(wl[v.territory] / wl.mean() - 1) - 0.1, abs=1e-9)
    # the reported measures are the recomputed ones
    assert np.allclose([t.measures[0] for t in res.territories], wl)
    # the same seed and iteration limit give the same plan
    again = solve(p, stop=Stop(time_limit_s=None, max_iterations=60), seed=seed, params=HEURISTIC)
    assert np.array_equal(again.assignment, x)

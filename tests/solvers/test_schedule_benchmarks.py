"""Smoke tests of the benchmark readers/evaluators on the shared instances (skipped if absent)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from solvers.common import Stop

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

needs_data = pytest.mark.skipif(not SHARED.exists(), reason="../shared/benchmarks not present")


@needs_data
def test_pvrp_small_instance_feasible() -> None:
    from benchmarks.pvrp import evaluate, read_instance, result_routes, to_problem
    from solvers.schedule import solve

    path = SHARED / "pvrp-cordeau" / "instances" / "p14.txt"
    if not path.exists():
        pytest.skip("p14 missing")
    inst = read_instance(path)
    res = solve(to_problem(inst), stop=Stop(time_limit_s=None, max_iterations=3000), seed=1)
    ok, cost, errors = evaluate(inst, result_routes(inst, res))
    assert ok, errors
    assert not res.unplanned
    assert cost == pytest.approx(res.objective, rel=1e-9)
    assert cost <= 954.81 * 1.05  # best known 954.81


@needs_data
def test_vrptw_readers_and_backends() -> None:
    from benchmarks.vrptw import SOLOMON, UCHOA, evaluate, read_solomon, read_uchoa
    from solvers import routing
    from solvers.routing import RoutingParams

    p, meta = read_solomon(SOLOMON / "instances" / "C101.txt")
    r = routing.solve(p, stop=Stop(time_limit_s=None, max_iterations=300), seed=1)
    ok, cost, why = evaluate(p, r)
    assert ok, why
    assert cost / meta["scale"] <= 827.3 * 1.10
    p, meta = read_uchoa(UCHOA / "instances" / "X-n101-k25.vrp")
    r = routing.solve(p, stop=Stop(time_limit_s=None, max_iterations=200), seed=1,
                      params=RoutingParams(backend="ortools"))
    ok, cost, why = evaluate(p, r)
    assert ok, why


def test_calendar_generator_small() -> None:
    from benchmarks.calendar import make_territory
    from solvers.schedule import solve
    from solvers.schedule.verify import verify

    p = make_territory(40, seed=2)
    r = solve(p, stop=Stop(time_limit_s=None, max_iterations=800), seed=1)
    assert not verify(p, r)
    assert sum(len(rt.stops) for rt in r.routes) + len(r.unplanned) == int(p.required.sum())


@needs_data
def test_pvrp_two_workers_keep_the_better_search_deterministically() -> None:
    from benchmarks.pvrp import evaluate, read_instance, result_routes, to_problem
    from solvers.schedule import PeriodicParams, ScheduleParams, solve

    path = SHARED / "pvrp-cordeau" / "instances" / "p14.txt"
    if not path.exists():
        pytest.skip("p14 missing")
    inst = read_instance(path)
    prob = to_problem(inst)
    stop = Stop(time_limit_s=None, max_iterations=400)
    a = solve(prob, stop=stop, seed=3, params=ScheduleParams(workers=2))
    b = solve(prob, stop=stop, seed=3, params=ScheduleParams(workers=2))
    ok, cost, errors = evaluate(inst, result_routes(inst, a))
    assert ok, errors
    assert a.stats.workers == 2 and len(a.stats.worker_objectives) == 2
    # each search adapts its penalties to the share of states without excess
    start = PeriodicParams().pen_factor
    assert all(f != start for f in a.stats.worker_penalty_factors)
    assert a.objective == pytest.approx(min(a.stats.worker_objectives), abs=0.01)  # scaled integer costs
    assert cost == pytest.approx(a.objective, rel=1e-9)
    assert a.routes == b.routes and a.objective == b.objective

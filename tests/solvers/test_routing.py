"""Routing adapters (PyVRP, OR-Tools) against brute force on tiny VRPTWs."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from solvers.common import Stop
from solvers.routing import (
    RoutingClient,
    RoutingGroup,
    RoutingParams,
    RoutingProblem,
    RoutingResult,
    RoutingRoute,
    RoutingVehicleType,
    capacity_bound,
    improve_routes,
    route_cost,
    solve,
)
from solvers.routing.pyvrp import solve_pyvrp_fleet

PARAMS = RoutingParams()

STOP = Stop(time_limit_s=None, max_iterations=300)
BACKENDS = ["pyvrp", "ortools"]


def _matrix(xy: np.ndarray) -> np.ndarray:
    return np.rint(np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))).astype(np.int64)


def _tiny(seed: int, *, tw: bool = True, vehicles: int = 2, cap: int = 10) -> RoutingProblem:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 100, size=(6, 2))  # location 0 = depot
    dur = _matrix(xy)
    clients = []
    for i in range(1, 6):
        e = int(rng.integers(0, 150)) if tw else 0
        clients.append(RoutingClient(location=i, service_s=10, tw_early=e, tw_late=e + 120 if tw else 10**6,
                                     demand=(int(rng.integers(1, 5)),)))
    vt = RoutingVehicleType(start_depot=0, end_depot=0, count=vehicles, tw_early=0, tw_late=600,
                            capacity=(cap,))
    return RoutingProblem(duration=dur, clients=tuple(clients), vehicle_types=(vt,))


def _feasible(p: RoutingProblem, seq: tuple[int, ...]) -> bool:
    vt = p.vehicle_types[0]
    t, prev, load = vt.tw_early, vt.start_depot, 0
    for c in seq:
        cl = p.clients[c]
        t = max(t + int(p.duration[prev, cl.location]), cl.tw_early)
        if t > cl.tw_late:
            return False
        t += cl.service_s
        load += cl.demand[0]
        prev = cl.location
    return load <= vt.capacity[0] and t + int(p.duration[prev, vt.end_depot]) <= vt.tw_late


def _brute(p: RoutingProblem) -> float:
    n = len(p.clients)
    vt = p.vehicle_types[0]
    best_route: dict[frozenset, float] = {}
    for k in range(n + 1):
        for sub in itertools.combinations(range(n), k):
            b = float("inf") if sub else 0.0
            for perm in itertools.permutations(sub):
                if _feasible(p, perm):
                    locs = [vt.start_depot, *(p.clients[c].location for c in perm), vt.end_depot]
                    b = min(b, float(sum(p.duration[a, c] for a, c in itertools.pairwise(locs))))
            best_route[frozenset(sub)] = b
    best = float("inf")
    for assign in itertools.product(range(vt.count), repeat=n):
        tot = sum(best_route[frozenset(c for c in range(n) if assign[c] == v)] for v in range(vt.count))
        best = min(best, tot)
    return best


def _check(p: RoutingProblem, r: RoutingResult) -> None:
    assert r.feasible
    for rt in r.routes:
        assert _feasible(p, rt.clients)
    seen = sorted(c for rt in r.routes for c in rt.clients)
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_brute_force_vrptw(backend: str, seed: int) -> None:
    p = _tiny(seed)
    opt = _brute(p)
    if opt == float("inf"):
        pytest.skip("instance infeasible")
    r = solve(p, stop=STOP, seed=1, params=RoutingParams(backend=backend))
    _check(p, r)
    assert sorted(c for rt in r.routes for c in rt.clients) == list(range(5))
    assert r.cost == pytest.approx(opt)


@pytest.mark.parametrize("backend", BACKENDS)
def test_prizes_and_groups(backend: str) -> None:
    xy = np.array([[0.0, 0], [10, 0], [0, 10], [500, 500], [20, 0], [0, 20]])
    dur = _matrix(xy)
    clients = (
        RoutingClient(location=1),
        RoutingClient(location=2),
        RoutingClient(location=3, prize=50, required=False),  # far: not worth 50
        RoutingClient(location=4, prize=0, required=False),  # group member A
        RoutingClient(location=5, prize=0, required=False),  # group member B
    )
    vt = RoutingVehicleType(start_depot=0, end_depot=0, count=1)
    p = RoutingProblem(duration=dur, clients=clients, vehicle_types=(vt,),
                       groups=(RoutingGroup(clients=(3, 4), required=True),))
    r = solve(p, stop=STOP, seed=1, params=RoutingParams(backend=backend))
    visited = {c for rt in r.routes for c in rt.clients}
    assert {0, 1} <= visited and 2 not in visited
    assert len(visited & {3, 4}) == 1  # exactly one of the mutually exclusive pair
    assert r.cost == sum(route_cost(p, rt) for rt in r.routes) + 50
    # a big prize makes the far client worth visiting
    big = RoutingProblem(duration=dur, clients=(*clients[:2], RoutingClient(location=3, prize=10**5, required=False)),
                         vehicle_types=(vt,))
    r = solve(big, stop=STOP, seed=1, params=RoutingParams(backend=backend))
    assert {c for rt in r.routes for c in rt.clients} == {0, 1, 2}


def test_pyvrp_deterministic_and_warm_start() -> None:
    p = _tiny(7, tw=False, vehicles=3)
    a = solve(p, stop=STOP, seed=3, params=RoutingParams(backend="pyvrp"))
    b = solve(p, stop=STOP, seed=3, params=RoutingParams(backend="pyvrp"))
    assert a.routes == b.routes and a.cost == b.cost
    c = improve_routes(replace(p, initial=a.routes), seed=0)
    assert c.cost <= a.cost
    d = solve(replace(p, initial=a.routes), stop=STOP, seed=0, params=RoutingParams(backend="ortools"))
    assert d.cost <= a.cost + 1e-9


def test_ortools_break_respected() -> None:
    xy = np.array([[0.0, 0], [50, 0], [0, 50]])
    dur = _matrix(xy)
    clients = (RoutingClient(location=1, service_s=30), RoutingClient(location=2, service_s=30))
    vt = RoutingVehicleType(start_depot=0, end_depot=0, tw_early=0, tw_late=400, breaks=((60, 90, 100),))
    p = RoutingProblem(duration=dur, clients=clients, vehicle_types=(vt,))
    r = solve(p, stop=STOP, seed=0, params=RoutingParams(backend="ortools"))
    assert r.feasible and len(r.routes) == 1
    # 50 + 30 + 71 + 30 + 50 = 231 travel+service; +100 break = 331 <= 400
    tight = RoutingProblem(duration=dur, clients=clients,
                           vehicle_types=(RoutingVehicleType(start_depot=0, end_depot=0, tw_early=0, tw_late=300,
                                                             breaks=((60, 90, 100),)),))
    r = solve(tight, stop=STOP, seed=0, params=RoutingParams(backend="ortools"))
    assert not r.feasible or len({c for rt in r.routes for c in rt.clients}) < 2


def test_unknown_backend() -> None:
    with pytest.raises(ValueError):
        solve(_tiny(1), stop=STOP, seed=0, params=RoutingParams(backend="gurobi"))


def test_pyvrp_workers_keep_best_seed() -> None:
    rng = np.random.default_rng(11)
    xy = rng.uniform(0, 1000, size=(61, 2))
    clients = tuple(RoutingClient(location=i, demand=(int(rng.integers(1, 10)),)) for i in range(1, 61))
    vt = RoutingVehicleType(start_depot=0, end_depot=0, count=12, capacity=(40,))
    p = RoutingProblem(duration=_matrix(xy), clients=clients, vehicle_types=(vt,))
    stop = Stop(time_limit_s=None, max_iterations=30)
    # the second search is the one with the fleet-reduction phase
    single = [solve(p, stop=stop, seed=5, params=RoutingParams(backend="pyvrp")), solve_pyvrp_fleet(p, stop=stop, seed=6, params=PARAMS)]
    both = solve(p, stop=stop, seed=5, params=RoutingParams(backend="pyvrp", workers=2))
    k = min((0, 1), key=lambda j: (not single[j].feasible, single[j].cost, j))
    assert both.routes == single[k].routes and both.cost == single[k].cost
    assert both.stats.workers == 2 and both.stats.worker_costs == tuple(r.cost for r in single)
    assert both.cost == min(r.cost for r in single if r.feasible)


def test_capacity_bound() -> None:
    d = np.zeros((4, 4), dtype=np.int64)
    cl = tuple(RoutingClient(location=i, demand=(7, 1)) for i in (1, 2, 3))
    vt = RoutingVehicleType(start_depot=0, end_depot=0, count=5, capacity=(10, 2))
    assert capacity_bound(RoutingProblem(duration=d, clients=cl, vehicle_types=(vt,))) == 3  # 21 / 10 -> 3
    assert capacity_bound(RoutingProblem(duration=d, clients=cl, vehicle_types=(
        RoutingVehicleType(start_depot=0, end_depot=0, count=5, capacity=(30, 1)),))) == 3  # 3 / 1
    # no bound: no capacity, two vehicle types, optional clients
    free = tuple(RoutingClient(location=i) for i in (1, 2, 3))
    assert capacity_bound(RoutingProblem(duration=d, clients=free, vehicle_types=(
        RoutingVehicleType(start_depot=0, end_depot=0, count=5),))) is None
    assert capacity_bound(RoutingProblem(duration=d, clients=cl, vehicle_types=(vt, vt))) is None
    opt = cl[:2] + (RoutingClient(location=3, demand=(7, 1), required=False, prize=5),)
    assert capacity_bound(RoutingProblem(duration=d, clients=opt, vehicle_types=(vt,))) is None


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bool]]:
    """Record (vehicles, warm start given) of every PyVRP search the fleet phase runs."""
    import solvers.routing.pyvrp as adapter

    calls: list[tuple[int, bool]] = []
    real = adapter.solve_pyvrp

    def spy(problem, **kw):  # noqa: ANN001, ANN003, ANN202
        calls.append((problem.vehicle_types[0].count, problem.initial is not None))
        return real(problem, **kw)

    monkeypatch.setattr(adapter, "solve_pyvrp", spy)
    return calls


def test_fleet_phase_tries_one_route_fewer_when_loads_are_tight(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 1000, size=(41, 2))
    clients = tuple(RoutingClient(location=i, demand=(int(rng.integers(5, 15)),)) for i in range(1, 41))
    cap = -(-sum(c.demand[0] for c in clients) // 4) + 2  # 4 routes by load, almost no slack
    p = RoutingProblem(duration=_matrix(xy), clients=clients,
                       vehicle_types=(RoutingVehicleType(start_depot=0, end_depot=0, count=10, capacity=(cap,)),))
    assert capacity_bound(p) == 4
    calls = _spy(monkeypatch)
    stop = Stop(time_limit_s=None, max_iterations=200)
    res = solve_pyvrp_fleet(p, stop=stop, seed=1, params=PARAMS)
    st = res.stats
    assert res.feasible and st.fleet_bound == 4 and calls[0] == (10, False)
    if 4 < st.fleet_routes <= 4 + 2:  # tight: the rest of the budget with one vehicle fewer, fresh start
        assert calls[1] == (st.fleet_routes - 1, False) and st.fleet_tried == st.fleet_routes - 1
    else:
        assert calls[1] == (10, True)
    assert len([r for r in res.routes if r.clients]) <= st.fleet_routes
    assert not st.fleet_reduced or len([r for r in res.routes if r.clients]) == st.fleet_tried
    again = solve_pyvrp_fleet(p, stop=stop, seed=1, params=PARAMS)
    assert again.routes == res.routes and again.cost == res.cost


def test_fleet_phase_continues_when_loads_are_loose(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(4)
    xy = rng.uniform(0, 100, size=(21, 2))
    # time windows force many routes; capacity alone would allow one
    clients = tuple(RoutingClient(location=i, demand=(1,), tw_early=100, tw_late=160,
                                  service_s=10) for i in range(1, 21))
    p = RoutingProblem(duration=_matrix(xy), clients=clients, vehicle_types=(RoutingVehicleType(
        start_depot=0, end_depot=0, count=20, capacity=(100,), tw_early=0, tw_late=1800),))
    assert capacity_bound(p) == 1
    calls = _spy(monkeypatch)
    res = solve_pyvrp_fleet(p, stop=Stop(time_limit_s=None, max_iterations=100), seed=2, params=PARAMS)
    assert res.feasible and res.stats.fleet_routes > 1 + 2 and not res.stats.fleet_reduced
    assert calls == [(20, False), (20, True)]  # the search goes on from its best with the whole fleet


def test_infeasible_warm_start_loses_only_what_does_not_fit() -> None:
    # one vehicle, a 100 s shift: the warm start visits four optional clients 30 s apart in a row,
    # and the last two cannot be reached in time; the required client 0 is never dropped
    import pyvrp

    from solvers.routing.pyvrp import build_data, feasible_start

    xy = np.array([[0.0, 0], [10, 0], [20, 0], [30, 0], [40, 0]])
    clients = (RoutingClient(location=1, service_s=20),
               *(RoutingClient(location=k, service_s=20, prize=1000, required=False) for k in (2, 3, 4)))
    vt = RoutingVehicleType(start_depot=0, end_depot=0, count=1, tw_early=0, tw_late=100)
    p = RoutingProblem(duration=_matrix(xy), clients=clients, vehicle_types=(vt,))
    data = build_data(p)
    start = pyvrp.Solution(data, [pyvrp.Route(data, [0, 1, 2, 3], 0)])
    assert not start.is_feasible()
    fixed = feasible_start(data, p, start)
    assert fixed.is_feasible()
    kept = [int(a.idx) for r in fixed.routes() for a in r.schedule() if a.is_client()]
    assert 0 in kept and len(kept) == 2  # 10 + 20 + 10 + 20 + 20 back = 80 s fits, one more does not
    # the search starts from it: even one iteration keeps at least what the repaired start has
    r = solve(replace(p, initial=(RoutingRoute(vehicle_type=0, clients=(0, 1, 2, 3)),)),
              stop=Stop(time_limit_s=None, max_iterations=1), seed=1, params=RoutingParams(backend="pyvrp"))
    assert r.feasible and sum(len(rt.clients) for rt in r.routes) >= 2

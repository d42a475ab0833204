"""OR-Tools adapter: the routing model with time windows, breaks, loads, prizes and groups.

OR-Tools 9.15 routing, first solution ``PARALLEL_CHEAPEST_INSERTION`` with time windows
(``PATH_CHEAPEST_ARC`` without), guided local search. An *iteration* is one solution accepted
by the search (``solution_limit``), deterministic; the seed is not used (OR-Tools routing has no
random component here). Breaks are modelled natively (break intervals that may interrupt
travel).
"""

from __future__ import annotations

import time

import numpy as np

from solvers.common import Status, Stop
from solvers.routing.problem import (
    BIG_TIME,
    RoutingProblem,
    RoutingResult,
    RoutingRoute,
    RoutingStats,
    clip_matrix,
    route_cost,
)


def solve_ortools(problem: RoutingProblem, *, stop: Stop, descent_only: bool = False) -> RoutingResult:
    """OR-Tools routing from ``problem.initial`` (if it can be restored) until ``stop``; with
    ``descent_only`` a greedy descent instead of guided local search."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    t0 = time.perf_counter()
    n = len(problem.clients)
    dur = clip_matrix(problem.duration)
    cost = dur if problem.cost is None else clip_matrix(problem.cost)
    # expanded vehicles
    veh_type: list[int] = [k for k, v in enumerate(problem.vehicle_types) for _ in range(v.count)]
    nv = len(veh_type)
    # nodes: 0..n-1 clients, then one start and one end node per vehicle
    node_loc = [c.location for c in problem.clients]
    starts, ends = [], []
    for k in veh_type:
        v = problem.vehicle_types[k]
        starts.append(len(node_loc))
        node_loc.append(v.start_depot)
        ends.append(len(node_loc))
        node_loc.append(v.end_depot)
    node_loc_a = np.array(node_loc, dtype=np.int64)
    service = np.zeros(len(node_loc), dtype=np.int64)
    service[:n] = [c.service_s for c in problem.clients]
    # group penalties: pay max prize via the disjunction, the difference on arcs into the member
    extra = np.zeros(len(node_loc), dtype=np.int64)
    for g in problem.groups:
        pmax = max(problem.clients[c].prize for c in g.clients)
        for c in g.clients:
            extra[c] = pmax - problem.clients[c].prize
    manager = pywrapcp.RoutingIndexManager(len(node_loc), nv, starts, ends)
    model = pywrapcp.RoutingModel(manager)
    tmat = (dur[np.ix_(node_loc_a, node_loc_a)] + service[:, None]).astype(np.int64)
    cmat = (cost[np.ix_(node_loc_a, node_loc_a)] + extra[None, :]).astype(np.int64)
    np.fill_diagonal(tmat, 0)
    np.fill_diagonal(cmat, 0)
    tlist = tmat.tolist()
    clist = cmat.tolist()
    i2n = manager.IndexToNode

    def tcb(a: int, b: int) -> int:
        return tlist[i2n(a)][i2n(b)]

    def ccb(a: int, b: int) -> int:
        return clist[i2n(a)][i2n(b)]

    tidx = model.RegisterTransitCallback(tcb)
    cidx = model.RegisterTransitCallback(ccb)
    model.SetArcCostEvaluatorOfAllVehicles(cidx)
    horizon = int(max([min(v.tw_late, BIG_TIME) for v in problem.vehicle_types]
                      + [min(c.tw_late, BIG_TIME) + c.service_s for c in problem.clients]))
    model.AddDimension(tidx, horizon, horizon, False, "time")
    tdim = model.GetDimensionOrDie("time")
    for c, cl in enumerate(problem.clients):
        tdim.CumulVar(manager.NodeToIndex(c)).SetRange(int(cl.tw_early), int(min(cl.tw_late, horizon)))
    solver = model.solver()
    for vi, k in enumerate(veh_type):
        v = problem.vehicle_types[k]
        lo, hi = int(v.tw_early), int(min(v.tw_late, horizon))
        tdim.CumulVar(model.Start(vi)).SetRange(lo, hi)
        tdim.CumulVar(model.End(vi)).SetRange(lo, hi)
        if v.max_duration_s is not None:
            tdim.SetSpanUpperBoundForVehicle(int(v.max_duration_s), vi)
        if v.fixed_cost:
            model.SetFixedCostOfVehicle(int(v.fixed_cost), vi)
        if v.breaks:
            ivs = [solver.FixedDurationIntervalVar(int(e), int(lt), int(d), False, f"break{vi}_{j}")
                   for j, (e, lt, d) in enumerate(v.breaks)]
            tdim.SetBreakIntervalsOfVehicle(ivs, vi, [int(s) for s in service])
        model.AddVariableMinimizedByFinalizer(tdim.CumulVar(model.Start(vi)))
        model.AddVariableMinimizedByFinalizer(tdim.CumulVar(model.End(vi)))
    for r in range(problem.num_dims):
        dem = [int(c.demand[r]) for c in problem.clients] + [0] * (2 * nv)

        def dcb(a: int, _dem: list[int] = dem) -> int:
            return _dem[i2n(a)]

        didx = model.RegisterUnaryTransitCallback(dcb)
        caps = [int(problem.vehicle_types[k].capacity[r]) for k in veh_type]
        model.AddDimensionWithVehicleCapacity(didx, 0, caps, True, f"load{r}")
    in_group = {c for g in problem.groups for c in g.clients}
    for c, cl in enumerate(problem.clients):
        if c in in_group:
            continue
        if not cl.required:
            model.AddDisjunction([manager.NodeToIndex(c)], int(cl.prize))
    for g in problem.groups:
        idx = [manager.NodeToIndex(c) for c in g.clients]
        if g.required:
            model.AddDisjunction(idx)  # exactly one (no penalty = mandatory)
        else:
            pmax = max(problem.clients[c].prize for c in g.clients)
            model.AddDisjunction(idx, int(pmax), 1)
    params = pywrapcp.DefaultRoutingSearchParameters()
    has_tw = any(c.tw_early > 0 or c.tw_late < BIG_TIME for c in problem.clients)
    fss = routing_enums_pb2.FirstSolutionStrategy
    # measured on Solomon/X (benchmarks/vrptw.py): path-cheapest-arc often finds no feasible
    # start on tight windows, parallel cheapest insertion does
    params.first_solution_strategy = fss.PARALLEL_CHEAPEST_INSERTION if has_tw else fss.PATH_CHEAPEST_ARC
    lsm = routing_enums_pb2.LocalSearchMetaheuristic
    params.local_search_metaheuristic = lsm.GREEDY_DESCENT if descent_only else lsm.GUIDED_LOCAL_SEARCH
    if stop.time_limit_s is not None:
        rem = max(stop.time_limit_s - (time.perf_counter() - t0), 0.05)
        params.time_limit.FromMilliseconds(int(rem * 1000))
    if stop.max_iterations is not None:
        params.solution_limit = int(stop.max_iterations)
    assignment = None
    initial = problem.initial
    if initial:
        per_vehicle: list[list[int]] = [[] for _ in range(nv)]
        used = dict.fromkeys(range(len(problem.vehicle_types)), 0)
        ok = True
        for r in initial:
            first = sum(problem.vehicle_types[k].count for k in range(r.vehicle_type)) + used[r.vehicle_type]
            used[r.vehicle_type] += 1
            if used[r.vehicle_type] > problem.vehicle_types[r.vehicle_type].count:
                ok = False
                break
            per_vehicle[first] = [manager.NodeToIndex(c) for c in r.clients]
        if ok:
            init = model.ReadAssignmentFromRoutes(per_vehicle, True)
            if init is not None:
                assignment = model.SolveFromAssignmentWithParameters(init, params)
    if assignment is None:
        assignment = model.SolveWithParameters(params)
    if assignment is None:
        return RoutingResult(status=Status.INFEASIBLE, cost=0, routes=(), unvisited=tuple(range(n)),
                             stats=RoutingStats(backend="ortools", runtime_s=time.perf_counter() - t0))
    routes = []
    for vi in range(nv):
        idx = model.Start(vi)
        seq = []
        idx = assignment.Value(model.NextVar(idx))
        while not model.IsEnd(idx):
            seq.append(i2n(idx))
            idx = assignment.Value(model.NextVar(idx))
        if seq:
            routes.append(RoutingRoute(vehicle_type=veh_type[vi], clients=tuple(seq),
                                       start_s=int(assignment.Min(tdim.CumulVar(model.Start(vi)))),
                                       end_s=int(assignment.Min(tdim.CumulVar(model.End(vi))))))
    visited = {c for r in routes for c in r.clients}
    unvisited = tuple(c for c in range(n) if c not in visited)
    missing_required = any(problem.clients[c].required and c not in in_group for c in unvisited)
    prizes = sum(problem.clients[c].prize for c in unvisited if not problem.clients[c].required)
    cost_v = sum(route_cost(problem, r) for r in routes) + int(prizes)
    return RoutingResult(
        status=Status.INFEASIBLE if missing_required else Status.FEASIBLE,
        cost=int(cost_v), routes=tuple(routes), unvisited=unvisited,
        stats=RoutingStats(backend="ortools", runtime_s=time.perf_counter() - t0,
                           solver_status=int(model.status())),
    )

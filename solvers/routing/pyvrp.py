"""PyVRP adapter: problem data, slot-aware neighbourhoods, the iterated local search with an
optional fleet-reduction phase, and repeated descents (:class:`DescentSession`).

PyVRP 0.14 iterated local search (late-acceptance hill climbing with perturbation). An
*iteration* is one perturbation + local search of the ILS (``pyvrp.stop.MaxIterations``),
deterministic for a given seed. When clients fall into several time "slots" (e.g. the day
copies of the calendar solver) or groups are present, a slot-aware granular neighbourhood is
used (:func:`slot_neighbours`). PyVRP has no breaks: their total duration is reserved (taken off
the vehicle's ``tw_late`` and ``max_duration_s``). A warm start PyVRP finds infeasible loses the
optional clients that do not fit before the search starts (:func:`feasible_start`), so the
search can only improve on it.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import replace

import numpy as np

from solvers.common import Status, Stop
from solvers.routing.params import RoutingParams
from solvers.routing.problem import (
    BIG_TIME,
    RoutingProblem,
    RoutingResult,
    RoutingRoute,
    RoutingStats,
    RoutingVehicleType,
    clip_matrix,
    route_cost,
)


def _reserved(vt: RoutingVehicleType) -> int:
    """Total break duration of a vehicle type (reserved: PyVRP has no breaks)."""
    return int(sum(b[2] for b in vt.breaks))


def build_data(problem: RoutingProblem, *, rescale_load: bool = True):  # noqa: ANN201 - lazy pyvrp
    """The problem as ``pyvrp.ProblemData`` (only the locations in use; breaks reserved)."""
    import pyvrp

    # only the locations in use (depots and clients) are handed to PyVRP
    used = np.unique(np.array([c.location for c in problem.clients]
                              + [v.start_depot for v in problem.vehicle_types]
                              + [v.end_depot for v in problem.vehicle_types], dtype=np.int64))
    remap = {int(x): k for k, x in enumerate(used)}
    L = len(used)
    dur = clip_matrix(problem.duration[np.ix_(used, used)])
    cost = dur if problem.cost is None else clip_matrix(problem.cost[np.ix_(used, used)])
    group_of: dict[int, int] = {c: g for g, grp in enumerate(problem.groups) for c in grp.clients}
    # Load dimensions are rescaled so that PyVRP's adaptive load penalty (bounded per unit of
    # excess, 0.1 .. 1e5) can reach ~ one arc per average demand: without this, instances whose
    # costs are large (e.g. x1000 distances) and demands small cannot be kept feasible.
    dims = problem.num_dims
    lscale = [1] * dims
    if dims and rescale_load:
        locs = np.unique([remap[c.location] for c in problem.clients])
        sub = cost[np.ix_(locs[:2000], locs[:2000])]
        pos = sub[(sub > 0) & (sub < BIG_TIME)]
        med = float(np.median(pos)) if pos.size else 1.0
        for r in range(dims):
            dem = np.array([c.demand[r] for c in problem.clients], dtype=np.float64)
            dem = dem[dem > 0]
            mean = float(dem.mean()) if dem.size else 1.0
            lscale[r] = max(1, int(med / max(mean, 1.0) / 100.0))
    depot_locs = sorted({remap[v.start_depot] for v in problem.vehicle_types}
                        | {remap[v.end_depot] for v in problem.vehicle_types})
    depot_idx = {loc: k for k, loc in enumerate(depot_locs)}
    locations = [pyvrp.Location(x=0.0, y=0.0) for _ in range(L)]
    depots = [pyvrp.Depot(location=loc) for loc in depot_locs]
    clients = [
        pyvrp.Client(
            location=remap[c.location],
            delivery=[int(x) * lscale[r] for r, x in enumerate(c.demand)],
            service_duration=int(c.service_s),
            tw_early=int(c.tw_early),
            tw_late=int(min(c.tw_late, BIG_TIME)),
            prize=int(c.prize),
            required=bool(c.required),
            group=group_of.get(k),
        )
        for k, c in enumerate(problem.clients)
    ]
    vts = []
    for v in problem.vehicle_types:
        res = _reserved(v)
        kw: dict = {}
        if v.max_duration_s is not None:
            kw["shift_duration"] = max(int(v.max_duration_s) - res, 0)
        vts.append(
            pyvrp.VehicleType(
                num_available=int(v.count),
                capacity=[min(int(x) * lscale[r], 2**62) for r, x in enumerate(v.capacity)],
                start_depot=depot_idx[remap[v.start_depot]],
                end_depot=depot_idx[remap[v.end_depot]],
                fixed_cost=int(v.fixed_cost),
                tw_early=int(v.tw_early),
                tw_late=int(max(min(v.tw_late, BIG_TIME) - res, v.tw_early)),
                **kw,
            )
        )
    groups = [pyvrp.ClientGroup(list(g.clients), required=g.required) for g in problem.groups]
    data = pyvrp.ProblemData(
        locations=locations,
        clients=clients,
        depots=depots,
        vehicle_types=vts,
        distance_matrices=[cost],
        duration_matrices=[dur],
        groups=groups,
    )
    return data


def slot_neighbours(problem: RoutingProblem) -> tuple[tuple[int, ...], ...] | None:
    """Slot-aware granular neighbourhood, or None when PyVRP's default is adequate.

    A client's *slot* is the set of vehicle types whose time window overlaps its own. Clients
    whose slots share no vehicle type can never share a route, so the default (distance +
    wait-time proximity) neighbourhood wastes its budget; we take for each client the nearest
    clients (by ``cost[i, j] + cost[j, i]``) among those compatible with each slot that it or one
    of its group alternatives lives in (a client whose window spans several days is compatible
    with the clients of each of those days).
    """
    n = len(problem.clients)
    if n == 0 or (not problem.groups and len(problem.vehicle_types) == 1):
        return None
    early = np.array([c.tw_early for c in problem.clients], dtype=np.int64)
    late = np.array([min(c.tw_late, BIG_TIME) for c in problem.clients], dtype=np.int64)
    vt_e = np.array([v.tw_early for v in problem.vehicle_types], dtype=np.int64)
    vt_l = np.array([min(v.tw_late, BIG_TIME) for v in problem.vehicle_types], dtype=np.int64)
    overlap = (early[:, None] <= vt_l[None, :]) & (late[:, None] >= vt_e[None, :])
    sig_ids: dict[bytes, int] = {}
    slot = np.empty(n, dtype=np.int64)
    for c in range(n):
        slot[c] = sig_ids.setdefault(overlap[c].tobytes(), len(sig_ids))
    if len(sig_ids) == 1 and not problem.groups:
        return None
    cost = clip_matrix(problem.duration if problem.cost is None else problem.cost).astype(np.float64)
    prox = cost + cost.T
    loc = np.array([c.location for c in problem.clients], dtype=np.int64)
    group_of = np.full(n, -1, dtype=np.int64)
    for g, grp in enumerate(problem.groups):
        group_of[list(grp.clients)] = g
    # slots reachable by each client (own slot + slots of group alternatives)
    reach: list[tuple[int, ...]] = []
    for c in range(n):
        if group_of[c] >= 0:
            reach.append(tuple(sorted({int(slot[m]) for m in problem.groups[group_of[c]].clients})))
        else:
            reach.append((int(slot[c]),))
    rows = np.array([np.frombuffer(b, dtype=bool) for b in sig_ids], dtype=bool)
    compat = (rows.astype(np.int64) @ rows.T.astype(np.int64)) > 0  # slots sharing a vehicle type
    members = {s: np.nonzero(compat[s][slot])[0] for s in range(len(sig_ids))}
    buckets: dict[tuple[int, ...], list[int]] = {}
    for c in range(n):
        buckets.setdefault(reach[c], []).append(c)
    K = max(problem.num_neighbours, 1)
    out: list[tuple[int, ...]] = [()] * n
    for rs, cs in buckets.items():
        cs_arr = np.array(cs, dtype=np.int64)
        ulocs, inv = np.unique(loc[cs_arr], return_inverse=True)
        per = K if len(rs) == 1 else max(8, K // len(rs))
        cols: list[np.ndarray] = []
        dcols: list[np.ndarray] = []
        scols: list[np.ndarray] = []  # the reach slot each candidate was found through
        for s in rs:
            cand = members[s]
            if cand.size == 0:
                continue
            sub = prox[np.ix_(ulocs, loc[cand])]
            # a few extra so that the client's own copies can be filtered out below
            k = min(per + 1 + len(rs), cand.size)
            part = np.argpartition(sub, k - 1, axis=1)[:, :k] if k < cand.size else np.tile(
                np.arange(cand.size), (len(ulocs), 1))
            dsub = np.take_along_axis(sub, part, axis=1)
            cols.append(cand[part])
            dcols.append(dsub)
            scols.append(np.full(part.shape[1], s, dtype=np.int64))
        if not cols:
            continue
        allp = np.concatenate(cols, axis=1)
        alld = np.concatenate(dcols, axis=1)
        alls = np.concatenate(scols)
        for r, c in enumerate(cs):
            u = inv[r]
            p, d, sl = allp[u], alld[u], alls
            g = group_of[c]
            keep = p != c
            if g >= 0:
                keep &= group_of[p] != g
            p, d, sl = p[keep], d[keep], sl[keep]
            o = np.lexsort((p, d))
            p, sl = p[o], sl[o]
            # at most `per` per reach slot, nearest first; a candidate once
            rank = np.zeros(p.size, dtype=np.int64)
            seen: dict[int, int] = {}
            for t, x in enumerate(sl.tolist()):
                rank[t] = seen.get(x, 0)
                seen[x] = rank[t] + 1
            p = p[rank < per]
            out[c] = tuple(int(x) for x in dict.fromkeys(p.tolist()))
    return tuple(out)


def solve_pyvrp(problem: RoutingProblem, *, stop: Stop, seed: int, descent_only: bool = False) -> RoutingResult:
    """PyVRP's iterated local search from ``problem.initial`` (or a random start improved by one
    descent) until ``stop``; with ``descent_only`` a single exhaustive local-search descent under
    the penalty manager's initial penalties."""
    import pyvrp
    from pyvrp.exceptions import PenaltyBoundWarning
    from pyvrp.IteratedLocalSearch import IteratedLocalSearch, IteratedLocalSearchParams
    from pyvrp.PenaltyManager import PenaltyManager, PenaltyParams
    from pyvrp.search import (
        OPERATORS,
        LocalSearch,
        NeighbourhoodParams,
        PerturbationManager,
        PerturbationParams,
        compute_neighbours,
    )
    from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

    if not problem.clients:
        return RoutingResult(status=Status.OPTIMAL, cost=0, routes=(), unvisited=(), stats=RoutingStats(backend="pyvrp", iterations=0))
    data = build_data(problem)
    rng = pyvrp.RandomNumberGenerator(seed=int(seed) % (2**32))
    lists = problem.neighbours if problem.neighbours is not None else slot_neighbours(problem)
    if lists is not None:
        from pyvrp import Activity, ActivityType

        neighbours = {Activity(ActivityType.CLIENT, c): [Activity(ActivityType.CLIENT, x) for x in lst]
                      for c, lst in enumerate(lists)}
    else:
        neighbours = compute_neighbours(data, NeighbourhoodParams(num_neighbours=problem.num_neighbours))
    ls = LocalSearch(data, rng, neighbours, PerturbationManager(PerturbationParams()))
    for op in OPERATORS:
        if op.supports(data):
            ls.add_operator(op(data))
    pparams = PenaltyParams()
    pm = PenaltyManager(pparams.midpoint_penalties(data), pparams)
    init = None
    initial = problem.initial
    if initial:
        try:
            init = pyvrp.Solution(
                data, [pyvrp.Route(data, list(r.clients), r.vehicle_type) for r in initial if r.clients]
            )
        except (RuntimeError, ValueError, IndexError):
            init = None
    if init is not None and not descent_only and not init.is_feasible():
        # the search keeps the best feasible solution from its start (a descent repairs under
        # penalties instead, keeping the clients)
        init = feasible_start(data, problem, init)
    if init is None:
        init = ls(pyvrp.Solution.make_random(data, rng), pm.max_cost_evaluator(), exhaustive=True)
    if descent_only:
        best = ls(init, pm.cost_evaluator(), exhaustive=True)
        return pyvrp_result(problem, best, 0, 0.0)
    crits = []
    if stop.max_iterations is not None:
        crits.append(MaxIterations(int(stop.max_iterations)))
    if stop.time_limit_s is not None:
        crits.append(MaxRuntime(float(stop.time_limit_s)))
    crit = crits[0] if len(crits) == 1 else MultipleCriteria(crits)
    algo = IteratedLocalSearch(data, pm, ls, init, IteratedLocalSearchParams())
    with warnings.catch_warnings():
        # tight instances drive a penalty to its bound; the result's feasibility is checked
        # (and reported) by the caller, the warning would only alarm planners
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        res = algo.run(crit, collect_stats=False)
    return pyvrp_result(problem, res.best, int(res.num_iterations), float(res.runtime))


def feasible_start(data, problem: RoutingProblem, init):  # noqa: ANN001, ANN201 - lazy pyvrp
    """The warm start ``init`` with optional clients dropped from its infeasible routes until each
    route is feasible (the drop that leaves the least time warp, excess load and overtime first).

    PyVRP's search keeps the best *feasible* solution it meets, starting from the warm start: a
    warm start that is infeasible in PyVRP's model (e.g. a calendar timed exactly with breaks,
    which PyVRP reserves at the end of the shift) counts for nothing, and a short search then
    returns the first feasible solution it finds, often far worse. Dropping what does not fit makes
    the start a solution the search can only improve. Clients that are required, or in a required
    group, are never dropped; a route they keep infeasible stays as it is.
    """
    import pyvrp

    droppable = np.array([not c.required for c in problem.clients], dtype=bool)
    for g in problem.groups:
        if g.required:
            droppable[list(g.clients)] = False

    def violation(route) -> tuple:  # noqa: ANN001
        return (int(route.time_warp()), int(sum(route.excess_load())), int(route.overtime()),
                int(route.excess_distance()))

    routes = []
    for r in init.routes():
        visits = [int(a.idx) for a in r.schedule() if a.is_client()]
        vt = int(r.vehicle_type())
        route = pyvrp.Route(data, visits, vt)
        while not route.is_feasible() and any(droppable[c] for c in visits):
            best = None
            for k, c in enumerate(visits):
                if not droppable[c]:
                    continue
                cand = pyvrp.Route(data, visits[:k] + visits[k + 1:], vt)
                score = (violation(cand), k)
                if best is None or score < best[0]:
                    best = (score, k, cand)
            assert best is not None
            visits.pop(best[1])
            route = best[2]
        if visits:
            routes.append(route)
    try:
        return pyvrp.Solution(data, routes)
    except (RuntimeError, ValueError):  # pragma: no cover - the same routes, fewer clients
        return init


def pyvrp_result(problem: RoutingProblem, best, iterations: int, runtime: float) -> RoutingResult:  # noqa: ANN001
    """A :class:`RoutingResult` from a ``pyvrp.Solution`` (cost recomputed from the matrices)."""
    routes = []
    for r in best.routes():
        visits = tuple(int(a.idx) for a in r.schedule() if a.is_client())
        routes.append(RoutingRoute(vehicle_type=int(r.vehicle_type()), clients=visits,
                                   start_s=int(r.start_time()), end_s=int(r.end_time())))
    visited = {c for r in routes for c in r.clients}
    unvisited = tuple(c for c in range(len(problem.clients)) if c not in visited)
    prizes = sum(problem.clients[c].prize for c in unvisited if not problem.clients[c].required)
    cost = sum(route_cost(problem, r) for r in routes) + int(prizes)
    status = Status.FEASIBLE if best.is_feasible() and best.is_complete() else Status.INFEASIBLE
    return RoutingResult(status=status, cost=int(cost), routes=tuple(routes), unvisited=unvisited,
                         stats=RoutingStats(backend="pyvrp", iterations=iterations, runtime_s=runtime))


def run_worker(problem: RoutingProblem, stop: Stop, seed: int, params: RoutingParams,
               fleet_phase: bool) -> RoutingResult:
    """One search of :func:`solvers.routing.solve` (a worker task): plain, or with the
    fleet-reduction phase."""
    if fleet_phase:
        return solve_pyvrp_fleet(problem, stop=stop, seed=seed, params=params)
    return solve_pyvrp(problem, stop=stop, seed=seed)


def capacity_bound(problem: RoutingProblem) -> int | None:
    """Fewest routes any solution needs by load alone (``max_r ceil(sum demand_r / capacity_r)``)
    when every client is required, there is one vehicle type and it has a capacity; else None."""
    if len(problem.vehicle_types) != 1 or problem.groups or not problem.clients:
        return None
    vt = problem.vehicle_types[0]
    if not vt.capacity or not all(c.required for c in problem.clients):
        return None
    need = 0
    for r, cap in enumerate(vt.capacity):
        if cap <= 0:
            return None
        need = max(need, -(-sum(int(c.demand[r]) for c in problem.clients) // int(cap)))
    return need


def solve_pyvrp_fleet(problem: RoutingProblem, *, stop: Stop, seed: int, params: RoutingParams) -> RoutingResult:
    """PyVRP with a fleet-reduction phase (the second search of :func:`solvers.routing.solve`).

    The search runs for ``params.fleet_split`` of the budget; when its best uses ``R`` routes
    with ``R - 1 >= capacity_bound`` and ``R - capacity_bound <= params.fleet_slack`` (the loads
    are so tight that a route may be avoidable), the rest of the budget goes to the same problem
    with ``R - 1`` vehicles, from a fresh start; the cheaper feasible result is kept. Otherwise the search
    continues from its best for the rest of the budget. A route saved is a depot round trip
    saved, which the iterated local search rarely finds by itself: on X-n176-k26 (26 routes by
    capacity) PyVRP keeps 27 routes at 10 s, 1.5 % above the best known. Measured there (one
    process, 10 s, seeds 1/2): the reduced fleet from a fresh start 48381/48245, warm-started
    from the best without its least-loaded route 48936/48758; a first phase of 10 % (1 s) often
    ended with 28 routes, hence 20 % and a slack of 2.
    """
    lb = capacity_bound(problem)
    if lb is None:
        return solve_pyvrp(problem, stop=stop, seed=seed)
    split = params.fleet_split
    t_a = None if stop.time_limit_s is None else stop.time_limit_s * split
    it_a = None if stop.max_iterations is None else max(int(stop.max_iterations * split), 1)
    t0 = time.perf_counter()
    a = solve_pyvrp(problem, stop=Stop(time_limit_s=t_a, max_iterations=it_a), seed=seed)
    rest_t = None if stop.time_limit_s is None else max(stop.time_limit_s - (time.perf_counter() - t0), 0.01)
    rest_it = None if stop.max_iterations is None else max(stop.max_iterations - it_a, 1)
    rest = Stop(time_limit_s=rest_t, max_iterations=rest_it)
    n_routes = sum(1 for r in a.routes if r.clients)
    tried, reduced = None, False
    if not a.feasible or n_routes - 1 < lb or n_routes - lb > params.fleet_slack:
        b = solve_pyvrp(replace(problem, initial=a.routes or problem.initial), stop=rest, seed=seed + 7919)
        best = b if (b.feasible, -b.cost) >= (a.feasible, -a.cost) else a
    else:
        vt = problem.vehicle_types[0]
        small = replace(problem, vehicle_types=(replace(vt, count=n_routes - 1),), initial=None)
        b = solve_pyvrp(small, stop=rest, seed=seed + 7919)
        tried = n_routes - 1
        if b.feasible and b.cost < a.cost:
            best, reduced = b, True
        else:
            best = a
    its = (a.stats.iterations or 0) + (b.stats.iterations or 0)
    stats = replace(best.stats, iterations=its, runtime_s=time.perf_counter() - t0, fleet_bound=lb,
                    fleet_routes=n_routes, fleet_tried=tried, fleet_reduced=reduced)
    return RoutingResult(status=best.status, cost=best.cost, routes=best.routes, unvisited=best.unvisited,
                         stats=stats)


class DescentSession:
    """Repeated local-search descents on subsets of one client pool (PyVRP), built once.

    The pool ``problem`` lists every client that may be routed (their ``required`` and ``prize``
    are ignored); each :meth:`descend` call takes routes over a subset of the pool and returns
    them improved by one exhaustive pass of PyVRP's granular local search (relocate 1-2, swap
    1-1/2-1/2-2, 2-opt* tails) under fixed penalties: ``load_penalty`` per unit of excess load
    (one per dimension) and ``time_penalty`` per unit of time warp (late arrival, shift or
    duration excess). Clients outside the given routes stay out: the optional-client operators
    are not used. The data and operators are built once, so a call costs about a millisecond per
    50 clients, which suits large-neighbourhood searches that re-optimise a few routes per step.
    Deterministic for a given seed and call sequence.
    """

    def __init__(self, problem: RoutingProblem, *, load_penalty: tuple[float, ...], time_penalty: float,
                 seed: int = 0) -> None:
        import pyvrp
        from pyvrp import Activity, ActivityType
        from pyvrp.search import (
            LocalSearch,
            NeighbourhoodParams,
            PerturbationManager,
            PerturbationParams,
            Relocate1,
            Relocate2,
            Swap11,
            Swap21,
            Swap22,
            SwapTails,
            compute_neighbours,
        )

        self._pyvrp = pyvrp
        self.problem = problem
        self._data = build_data(problem, rescale_load=False)
        lists = problem.neighbours if problem.neighbours is not None else slot_neighbours(problem)
        if lists is not None:
            nb = {Activity(ActivityType.CLIENT, c): [Activity(ActivityType.CLIENT, x) for x in lst]
                  for c, lst in enumerate(lists)}
        else:
            nb = compute_neighbours(self._data, NeighbourhoodParams(num_neighbours=problem.num_neighbours))
        self._ls = LocalSearch(self._data, pyvrp.RandomNumberGenerator(seed=int(seed) % (2**32)), nb,
                               PerturbationManager(PerturbationParams(0, 0)))
        for op in (Relocate1, Relocate2, Swap11, Swap21, Swap22, SwapTails):
            if op.supports(self._data):
                self._ls.add_operator(op(self._data))
        self.set_penalties(load_penalty, time_penalty)

    def set_penalties(self, load_penalty: tuple[float, ...], time_penalty: float) -> None:
        """Penalties per unit of load (per dimension) and time excess."""
        from pyvrp import CostEvaluator

        self._ce = CostEvaluator([float(x) for x in load_penalty], float(time_penalty), 0.0)

    def evaluate(self, routes: tuple[RoutingRoute, ...] | list[RoutingRoute]) -> tuple[int, bool]:
        """(penalised cost, feasible) of ``routes`` as they are."""
        pyvrp = self._pyvrp
        rs = [pyvrp.Route(self._data, list(r.clients), r.vehicle_type) for r in routes if r.clients]
        if not rs:
            return 0, True
        sol = pyvrp.Solution(self._data, rs)
        return int(self._ce.penalised_cost(sol)), bool(sol.is_feasible())

    def descend(self, routes: tuple[RoutingRoute, ...] | list[RoutingRoute]
                ) -> tuple[list[RoutingRoute], int, bool]:
        """Improve ``routes``; returns (routes, penalised cost, feasible)."""
        pyvrp = self._pyvrp
        data = self._data
        rs = [pyvrp.Route(data, list(r.clients), r.vehicle_type) for r in routes if r.clients]
        if not rs:
            return [], 0, True
        sol = self._ls(pyvrp.Solution(data, rs), self._ce, exhaustive=True)
        out = [RoutingRoute(vehicle_type=int(r.vehicle_type()), clients=tuple(int(a.idx) for a in r.schedule() if a.is_client()))
               for r in sol.routes()]
        return out, int(self._ce.penalised_cost(sol)), bool(sol.is_feasible())

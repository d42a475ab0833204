"""Routing backends: one adapter per library (PyVRP, OR-Tools). The only module importing them.

Formulation (a prize-collecting VRPTW with multiple depots, shifts and mutually exclusive groups)
-------------------------------------------------------------------------------------------------
Locations ``0..L-1`` with an integer travel-time matrix ``duration`` and an integer cost matrix
``cost`` (defaults to ``duration``). Clients ``c`` sit at ``clients[c].location``, take
``service_s`` and must *start* service in ``[tw_early, tw_late]`` (waiting allowed). Vehicle type
``k`` has ``count`` identical vehicles that leave ``start_depot`` no earlier than ``tw_early``,
return to ``end_depot`` no later than ``tw_late``, carry at most ``capacity[r]`` of each load
dimension ``r`` (sum of ``demand[r]`` over its clients) and have a route duration (end - start,
including service and waiting) of at most ``max_duration_s``. A client is visited at most once;
a ``required`` client must be visited; an optional client not visited costs its ``prize``. A
group lists mutually exclusive clients: at most one of them is visited, exactly one if the group
is ``required`` (its members must then be optional). The objective is::

    sum over routes of cost[i, j] over its arcs  +  fixed_cost of each used vehicle
    + sum of prizes of optional clients that are not visited

Breaks ``(earliest_s, latest_s, duration_s)`` of a vehicle type are modelled natively by
OR-Tools (break intervals that may interrupt travel). PyVRP has no breaks: their total duration
is *reserved* (taken off the vehicle's ``tw_late`` and ``max_duration_s``); callers that need
exact break times insert them afterwards (see :mod:`solvers.schedule.timing`).

Backends
--------
``"pyvrp"`` (default)
    PyVRP 0.14 iterated local search (late-acceptance hill climbing with perturbation). An
    *iteration* is one perturbation + local search of the ILS (``pyvrp.stop.MaxIterations``),
    deterministic for a given seed. When clients fall into several time "slots" (e.g. the day
    copies of the calendar solver) or groups are present, a slot-aware granular neighbourhood is
    used: each client's neighbours are the nearest clients in every slot that the client or one of
    its group alternatives can be served in. With ``workers > 1`` the searches run in parallel
    processes; the second one tries a fleet of one route fewer when the loads are tight
    (:func:`_solve_pyvrp_fleet`).
``"ortools"``
    OR-Tools 9.15 routing, first solution ``PARALLEL_CHEAPEST_INSERTION`` with time windows
    (``PATH_CHEAPEST_ARC`` without), guided local search. An
    *iteration* is one solution accepted by the search (``solution_limit``), deterministic; the
    seed is not used (OR-Tools routing has no random component here).

Default: PyVRP, measured in ``benchmarks/vrptw.py`` (see the module docstring there).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field, replace

import numpy as np

from solvers.common import Status, Stop

BACKENDS = ("pyvrp", "ortools")
DEFAULT_BACKEND = "pyvrp"
BIG_TIME = 10**15
"""Cap for times and matrix entries handed to a backend (unreachable pairs become this)."""
# fleet-reduction phase of the second PyVRP search (see _solve_pyvrp_fleet)
FLEET_SPLIT = 0.2
FLEET_SLACK = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutingClient:
    """A client (one visit) of a :class:`RoutingProblem`."""

    location: int
    service_s: int = 0
    tw_early: int = 0
    tw_late: int = BIG_TIME
    demand: tuple[int, ...] = ()  # one per load dimension
    prize: int = 0
    required: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutingVehicleType:
    """``count`` identical vehicles."""

    start_depot: int  # location index
    end_depot: int  # location index
    count: int = 1
    tw_early: int = 0
    tw_late: int = BIG_TIME
    capacity: tuple[int, ...] = ()  # one per load dimension
    max_duration_s: int | None = None
    fixed_cost: int = 0
    breaks: tuple[tuple[int, int, int], ...] = ()  # (earliest_s, latest_s, duration_s)


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutingGroup:
    """Mutually exclusive clients: at most one visited (exactly one if ``required``)."""

    clients: tuple[int, ...]
    required: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutingProblem:
    """A VRP instance for :func:`solve_routing` (see module docstring for the model)."""

    duration: np.ndarray  # (L, L) int travel times
    clients: tuple[RoutingClient, ...]
    vehicle_types: tuple[RoutingVehicleType, ...]
    cost: np.ndarray | None = None  # (L, L) int arc costs; None = duration
    groups: tuple[RoutingGroup, ...] = ()
    num_neighbours: int = 40  # granular neighbourhood size hint (PyVRP)
    neighbours: tuple[tuple[int, ...], ...] | None = None  # explicit per-client lists (PyVRP)

    def __post_init__(self) -> None:
        L = self.duration.shape[0]
        if self.duration.shape != (L, L):
            raise ValueError("duration must be a square matrix")
        if self.cost is not None and self.cost.shape != (L, L):
            raise ValueError("cost must have the shape of duration")
        dims = {len(c.demand) for c in self.clients} | {len(v.capacity) for v in self.vehicle_types}
        if len(dims) > 1:
            raise ValueError("all clients and vehicle types need the same number of load dimensions")
        for c in self.clients:
            if not 0 <= c.location < L:
                raise ValueError("client location out of range")
        for v in self.vehicle_types:
            if not (0 <= v.start_depot < L and 0 <= v.end_depot < L) or v.count < 1:
                raise ValueError("vehicle type depots out of range or count < 1")
        seen: set[int] = set()
        for g in self.groups:
            for c in g.clients:
                if c in seen:
                    raise ValueError("a client is in two groups")
                seen.add(c)
                if g.required and self.clients[c].required:
                    raise ValueError("members of a required group must be optional clients")

    @property
    def num_dims(self) -> int:
        if self.clients:
            return len(self.clients[0].demand)
        return len(self.vehicle_types[0].capacity) if self.vehicle_types else 0


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutingRoute:
    """One vehicle's route: the ordered clients (indices into ``problem.clients``)."""

    vehicle_type: int
    clients: tuple[int, ...]
    start_s: int = 0  # departure time reported by the backend (before exact break timing)
    end_s: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutingResult:
    """Outcome of :func:`solve_routing`."""

    status: Status
    cost: int  # arc costs + fixed costs + prizes of unvisited optional clients
    routes: tuple[RoutingRoute, ...]
    unvisited: tuple[int, ...]
    stats: dict = field(default_factory=dict)

    @property
    def feasible(self) -> bool:
        return self.status in (Status.FEASIBLE, Status.OPTIMAL)


def solve_routing(
    problem: RoutingProblem,
    *,
    backend: str = DEFAULT_BACKEND,
    stop: Stop,
    seed: int = 0,
    initial: tuple[RoutingRoute, ...] | None = None,
    workers: int = 1,
) -> RoutingResult:
    """Solve a :class:`RoutingProblem` with one backend.

    Parameters
    ----------
    problem:
        The instance.
    backend:
        ``"pyvrp"`` or ``"ortools"`` (see module docstring).
    stop:
        Time and/or iteration limit (iterations as documented per backend).
    seed:
        Random seed (PyVRP); OR-Tools is deterministic and ignores it.
    initial:
        Optional warm start (routes need not be feasible for PyVRP; OR-Tools drops it if it
        cannot be restored).
    workers:
        PyVRP: independent searches with seeds ``seed, seed + 1, ...`` in that many processes
        over the same budget; the best result is kept (feasible first, then cost; ties: the
        lowest seed), so it still depends only on ``seed`` and the limits. The second search
        tries one route fewer when the loads are tight (:func:`_solve_pyvrp_fleet`). Inside a
        daemonic process (which may not start children) one search runs. OR-Tools ignores it.

    Returns
    -------
    RoutingResult
        ``status`` is ``FEASIBLE`` when every hard constraint holds, else ``INFEASIBLE``.
    """
    if backend == "pyvrp":
        import multiprocessing as mp

        if workers <= 1 or mp.current_process().daemon:
            return _solve_pyvrp(problem, stop=stop, seed=seed, initial=initial)
        # fork: the children inherit the problem (no pickling of the matrices on the way in)
        with mp.get_context("fork").Pool(int(workers)) as pool:
            runs = pool.starmap(_solve_pyvrp_args, [(problem, stop, seed + k, initial, k == 1)
                                                    for k in range(int(workers))])
        best = min(range(len(runs)), key=lambda k: (not runs[k].feasible, runs[k].cost, k))
        res = runs[best]
        return RoutingResult(status=res.status, cost=res.cost, routes=res.routes, unvisited=res.unvisited,
                             stats=dict(res.stats, workers=len(runs), worker_best=best,
                                        worker_costs=[r.cost for r in runs]))
    if backend == "ortools":
        return _solve_ortools(problem, stop=stop, initial=initial)
    raise ValueError(f"unknown routing backend {backend!r}; choose one of {BACKENDS}")


def _solve_pyvrp_args(problem: RoutingProblem, stop: Stop, seed: int,
                      initial: tuple[RoutingRoute, ...] | None, fleet_phase: bool = False) -> RoutingResult:
    if fleet_phase:
        return _solve_pyvrp_fleet(problem, stop=stop, seed=seed, initial=initial)
    return _solve_pyvrp(problem, stop=stop, seed=seed, initial=initial)


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


def _solve_pyvrp_fleet(problem: RoutingProblem, *, stop: Stop, seed: int,
                       initial: tuple[RoutingRoute, ...] | None) -> RoutingResult:
    """PyVRP with a fleet-reduction phase (the second search of :func:`solve_routing`).

    The search runs for ``FLEET_SPLIT`` of the budget; when its best uses ``R`` routes with
    ``R - 1 >= capacity_bound`` and ``R - capacity_bound <= FLEET_SLACK`` (the loads are so tight
    that a route may be avoidable), the rest of the budget goes to the same problem with ``R - 1``
    vehicles, from a fresh start; the cheaper feasible result is kept. Otherwise the search
    continues from its best for the rest of the budget. A route saved is a depot round trip
    saved, which the iterated local search rarely finds by itself: on X-n176-k26 (26 routes by
    capacity) PyVRP keeps 27 routes at 10 s, 1.5 % above the best known. Measured there (one
    process, 10 s, seeds 1/2): the reduced fleet from a fresh start 48381/48245, warm-started
    from the best without its least-loaded route 48936/48758; a first phase of 10 % (1 s) often
    ended with 28 routes, hence 20 % and a slack of 2.
    """
    lb = capacity_bound(problem)
    if lb is None:
        return _solve_pyvrp(problem, stop=stop, seed=seed, initial=initial)
    t_a = None if stop.time_limit_s is None else stop.time_limit_s * FLEET_SPLIT
    it_a = None if stop.max_iterations is None else max(int(stop.max_iterations * FLEET_SPLIT), 1)
    t0 = time.perf_counter()
    a = _solve_pyvrp(problem, stop=Stop(time_limit_s=t_a, max_iterations=it_a), seed=seed, initial=initial)
    rest_t = None if stop.time_limit_s is None else max(stop.time_limit_s - (time.perf_counter() - t0), 0.01)
    rest_it = None if stop.max_iterations is None else max(stop.max_iterations - it_a, 1)
    rest = Stop(time_limit_s=rest_t, max_iterations=rest_it)
    n_routes = sum(1 for r in a.routes if r.clients)
    fleet = {"fleet_bound": lb, "fleet_routes": n_routes, "fleet_reduced": False}
    if not a.feasible or n_routes - 1 < lb or n_routes - lb > FLEET_SLACK:
        b = _solve_pyvrp(problem, stop=rest, seed=seed + 7919, initial=a.routes or initial)
        best = b if (b.feasible, -b.cost) >= (a.feasible, -a.cost) else a
    else:
        vt = problem.vehicle_types[0]
        small = replace(problem, vehicle_types=(replace(vt, count=n_routes - 1),))
        b = _solve_pyvrp(small, stop=rest, seed=seed + 7919, initial=None)
        fleet["fleet_tried"] = n_routes - 1
        if b.feasible and b.cost < a.cost:
            best, fleet["fleet_reduced"] = b, True
        else:
            best = a
    its = int(a.stats.get("iterations", 0)) + int(b.stats.get("iterations", 0))
    return RoutingResult(status=best.status, cost=best.cost, routes=best.routes, unvisited=best.unvisited,
                         stats=dict(best.stats, iterations=its, runtime_s=time.perf_counter() - t0, **fleet))


def improve_routes(
    problem: RoutingProblem,
    initial: tuple[RoutingRoute, ...],
    *,
    backend: str = DEFAULT_BACKEND,
    seed: int = 0,
) -> RoutingResult:
    """One local-search descent from ``initial`` (no perturbation): a cheap re-optimisation.

    PyVRP: one exhaustive pass of its granular local search (all operators) under the penalty
    manager's initial penalties. OR-Tools: greedy descent from the restored routes.
    """
    if backend == "pyvrp":
        return _solve_pyvrp(problem, stop=Stop(time_limit_s=None, max_iterations=1), seed=seed,
                            initial=initial, descent_only=True)
    if backend == "ortools":
        return _solve_ortools(problem, stop=Stop(time_limit_s=None, max_iterations=10**6),
                              initial=initial, descent_only=True)
    raise ValueError(f"unknown routing backend {backend!r}; choose one of {BACKENDS}")


def route_cost(problem: RoutingProblem, route: RoutingRoute) -> int:
    """Arc cost (+ fixed cost) of one route, recomputed from the matrix."""
    cost = problem.duration if problem.cost is None else problem.cost
    vt = problem.vehicle_types[route.vehicle_type]
    if not route.clients:
        return 0
    locs = [vt.start_depot, *(problem.clients[c].location for c in route.clients), vt.end_depot]
    return int(sum(int(cost[a, b]) for a, b in zip(locs[:-1], locs[1:], strict=True))) + vt.fixed_cost


# --------------------------------------------------------------------------------------------
# PyVRP
# --------------------------------------------------------------------------------------------


def _clip(m: np.ndarray) -> np.ndarray:
    return np.minimum(np.asarray(m, dtype=np.int64), BIG_TIME)


def _reserved(vt: RoutingVehicleType) -> int:
    return int(sum(b[2] for b in vt.breaks))


def _build_pyvrp(problem: RoutingProblem, *, rescale_load: bool = True):  # noqa: ANN202 - lazy pyvrp
    import pyvrp

    # only the locations in use (depots and clients) are handed to PyVRP
    used = np.unique(np.array([c.location for c in problem.clients]
                              + [v.start_depot for v in problem.vehicle_types]
                              + [v.end_depot for v in problem.vehicle_types], dtype=np.int64))
    remap = {int(x): k for k, x in enumerate(used)}
    L = len(used)
    dur = _clip(problem.duration[np.ix_(used, used)])
    cost = dur if problem.cost is None else _clip(problem.cost[np.ix_(used, used)])
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
    cost = _clip(problem.duration if problem.cost is None else problem.cost).astype(np.float64)
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


def _solve_pyvrp(
    problem: RoutingProblem, *, stop: Stop, seed: int, initial: tuple[RoutingRoute, ...] | None,
    descent_only: bool = False,
) -> RoutingResult:
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
        return RoutingResult(status=Status.OPTIMAL, cost=0, routes=(), unvisited=(), stats={"iterations": 0})
    data = _build_pyvrp(problem)
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
    if initial:
        try:
            init = pyvrp.Solution(
                data, [pyvrp.Route(data, list(r.clients), r.vehicle_type) for r in initial if r.clients]
            )
        except (RuntimeError, ValueError, IndexError):
            init = None
    if init is None:
        init = ls(pyvrp.Solution.make_random(data, rng), pm.max_cost_evaluator(), exhaustive=True)
    if descent_only:
        best = ls(init, pm.cost_evaluator(), exhaustive=True)
        return _pyvrp_result(problem, best, 0, 0.0)
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
    return _pyvrp_result(problem, res.best, int(res.num_iterations), float(res.runtime))


def _pyvrp_result(problem: RoutingProblem, best, iterations: int, runtime: float) -> RoutingResult:  # noqa: ANN001
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
                         stats={"iterations": iterations, "runtime_s": runtime, "backend": "pyvrp"})


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
        self._data = _build_pyvrp(problem, rescale_load=False)
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


# --------------------------------------------------------------------------------------------
# OR-Tools
# --------------------------------------------------------------------------------------------


def _solve_ortools(
    problem: RoutingProblem, *, stop: Stop, initial: tuple[RoutingRoute, ...] | None,
    descent_only: bool = False,
) -> RoutingResult:
    import time

    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    t0 = time.perf_counter()
    n = len(problem.clients)
    dur = _clip(problem.duration)
    cost = dur if problem.cost is None else _clip(problem.cost)
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
                             stats={"backend": "ortools", "runtime_s": time.perf_counter() - t0})
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
        stats={"backend": "ortools", "runtime_s": time.perf_counter() - t0,
               "solver_status": int(model.status())},
    )

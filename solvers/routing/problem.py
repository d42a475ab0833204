"""Problem and result types of the routing backends.

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

``initial`` is an optional warm start (routes need not be feasible for PyVRP; OR-Tools drops it
if it cannot be restored); add one to a problem with :func:`dataclasses.replace`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solvers.common import Status

BIG_TIME = 10**15
"""Cap for times and matrix entries handed to a backend (unreachable pairs become this)."""


def clip_matrix(m: np.ndarray) -> np.ndarray:
    """``m`` as int64 with every entry capped at :data:`BIG_TIME`."""
    return np.minimum(np.asarray(m, dtype=np.int64), BIG_TIME)


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
class RoutingRoute:
    """One vehicle's route: the ordered clients (indices into ``problem.clients``)."""

    vehicle_type: int
    clients: tuple[int, ...]
    start_s: int = 0  # departure time reported by the backend (before exact break timing)
    end_s: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutingProblem:
    """A VRP instance for :func:`solvers.routing.solve` (see module docstring for the model)."""

    duration: np.ndarray  # (L, L) int travel times
    clients: tuple[RoutingClient, ...]
    vehicle_types: tuple[RoutingVehicleType, ...]
    cost: np.ndarray | None = None  # (L, L) int arc costs; None = duration
    groups: tuple[RoutingGroup, ...] = ()
    num_neighbours: int = 40  # granular neighbourhood size hint (PyVRP)
    neighbours: tuple[tuple[int, ...], ...] | None = None  # explicit per-client lists (PyVRP)
    initial: tuple[RoutingRoute, ...] | None = None  # warm start (see module docstring)

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
class RoutingStats:
    """Statistics of a routing solve (fields a backend or phase does not report are ``None``).

    Attributes
    ----------
    backend:
        ``"pyvrp"`` or ``"ortools"``.
    iterations:
        Iterations used (PyVRP: iterated-local-search iterations, summed over the phases of the
        fleet-reduction search).
    runtime_s:
        Wall-clock seconds of the search.
    solver_status:
        OR-Tools routing status code.
    workers, worker_best, worker_costs:
        With several workers: their number, the index of the one kept and each one's cost.
    fleet_bound, fleet_routes, fleet_tried, fleet_reduced:
        Fleet-reduction phase: routes needed by load alone, routes of the first phase's best,
        the smaller fleet tried (if any) and whether its result was kept.
    """

    backend: str | None = None
    iterations: int | None = None
    runtime_s: float | None = None
    solver_status: int | None = None
    workers: int | None = None
    worker_best: int | None = None
    worker_costs: tuple[int, ...] | None = None
    fleet_bound: int | None = None
    fleet_routes: int | None = None
    fleet_tried: int | None = None
    fleet_reduced: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutingResult:
    """Outcome of :func:`solvers.routing.solve`."""

    status: Status
    cost: int  # arc costs + fixed costs + prizes of unvisited optional clients
    routes: tuple[RoutingRoute, ...]
    unvisited: tuple[int, ...]
    stats: RoutingStats

    @property
    def feasible(self) -> bool:
        return self.status in (Status.FEASIBLE, Status.OPTIMAL)

    def summary(self) -> str:
        """One-line summary."""
        return (f"status={self.status.value} cost={self.cost} routes={len(self.routes)} "
                f"unvisited={len(self.unvisited)}")


def route_cost(problem: RoutingProblem, route: RoutingRoute) -> int:
    """Arc cost (+ fixed cost) of one route, recomputed from the matrix."""
    cost = problem.duration if problem.cost is None else problem.cost
    vt = problem.vehicle_types[route.vehicle_type]
    if not route.clients:
        return 0
    locs = [vt.start_depot, *(problem.clients[c].location for c in route.clients), vt.end_depot]
    return int(sum(int(cost[a, b]) for a, b in zip(locs[:-1], locs[1:], strict=True))) + vt.fixed_cost

"""Routing backends: one adapter per library (PyVRP, OR-Tools); the only package importing them.

Owns the routing model (a prize-collecting VRPTW with multiple depots, shifts, breaks and
mutually exclusive groups; :mod:`.problem`), its tuning values (:mod:`.params`), the PyVRP adapter
with slot-aware neighbourhoods, the fleet-reduction phase and repeated descents (:mod:`.pyvrp`),
the OR-Tools adapter (:mod:`.ortools`) and the entry points (:mod:`.solve`). It imports only
``solvers.common`` and ``solvers.parallel``: never ``solvers.schedule`` or ``solvers.territory``
(they use it) and never ``planner``.

Public API::

    from solvers.routing import RoutingProblem, RoutingParams, solve
    result = solve(problem, stop=Stop(max_iterations=1000), seed=1, params=RoutingParams(workers=2))
    better = improve_routes(dataclasses.replace(problem, initial=result.routes), seed=1)
"""

from solvers.routing.params import BACKENDS, Backend, RoutingParams
from solvers.routing.problem import (
    BIG_TIME,
    RoutingClient,
    RoutingGroup,
    RoutingProblem,
    RoutingResult,
    RoutingRoute,
    RoutingStats,
    RoutingVehicleType,
    route_cost,
)
from solvers.routing.pyvrp import DescentSession, capacity_bound, slot_neighbours
from solvers.routing.solve import improve_routes, solve

__all__ = [
    "BACKENDS",
    "BIG_TIME",
    "Backend",
    "DescentSession",
    "RoutingClient",
    "RoutingGroup",
    "RoutingParams",
    "RoutingProblem",
    "RoutingResult",
    "RoutingRoute",
    "RoutingStats",
    "RoutingVehicleType",
    "capacity_bound",
    "improve_routes",
    "route_cost",
    "slot_neighbours",
    "solve",
]

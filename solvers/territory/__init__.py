"""Territory design: balanced, contiguous, compact territories for a field sales team.

Owns the territory model (:mod:`.problem`), its tuning values (:mod:`.params`), adjacency graphs
(:mod:`.graph`), construction (:mod:`.construct`), the evaluation of a plan (:mod:`.model`), the
searches (:mod:`.search`, :mod:`.tabu`, :mod:`.recom`, :mod:`.cpsat`, :mod:`.lns`, :mod:`.exact`;
:mod:`.large_cut` chains them for cut edges on large graphs), edits of
assignments used in re-zoning (:mod:`.edit`) and the entry point (:mod:`.solve`). It imports only
``solvers.common`` from the engine, and never ``planner``.

Public API::

    from solvers.territory import TerritoryParams, TerritoryProblem, TerritoryResult, solve
    result = solve(problem, stop=Stop(time_limit_s=30), seed=1)
    result = solve(problem, stop=Stop(max_iterations=500), seed=1, params=TerritoryParams(method="heuristic"))

See :mod:`solvers.territory.problem` for the model and :func:`solve` for the method.
"""

from solvers.territory.edit import complete_initial, cut_off_parts, grow_territory, place_free
from solvers.territory.graph import (
    Graph,
    cut_edges,
    delaunay_adjacency,
    stays_connected,
    territory_components,
)
from solvers.territory.model import EuclideanTravel
from solvers.territory.params import Method, TerritoryParams
from solvers.territory.problem import (
    Objective,
    TerritoryPhases,
    TerritoryProblem,
    TerritoryResult,
    TerritorySolveStats,
    TerritoryStats,
    Violation,
)
from solvers.territory.solve import solve

__all__ = [
    "EuclideanTravel",
    "Graph",
    "Method",
    "Objective",
    "TerritoryParams",
    "TerritoryPhases",
    "TerritoryProblem",
    "TerritoryResult",
    "TerritorySolveStats",
    "TerritoryStats",
    "Violation",
    "complete_initial",
    "cut_edges",
    "cut_off_parts",
    "delaunay_adjacency",
    "grow_territory",
    "place_free",
    "solve",
    "stays_connected",
    "territory_components",
]

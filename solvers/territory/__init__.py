"""Territory design: balanced, contiguous, compact territories for a field sales team.

Public API::

    from solvers.territory import TerritoryProblem, TerritoryResult, solve
    result = solve(problem, stop=Stop(time_limit_s=30), seed=1)

See :mod:`solvers.territory.problem` for the model and :func:`solve` for the method.
"""

from solvers.territory.graph import cut_edges, delaunay_adjacency, territory_components
from solvers.territory.model import EuclideanTravel
from solvers.territory.problem import (
    Objective,
    TerritoryProblem,
    TerritoryResult,
    TerritoryStats,
    Violation,
)
from solvers.territory.solver import solve

__all__ = [
    "EuclideanTravel",
    "Objective",
    "TerritoryProblem",
    "TerritoryResult",
    "TerritoryStats",
    "Violation",
    "cut_edges",
    "delaunay_adjacency",
    "solve",
    "territory_components",
]

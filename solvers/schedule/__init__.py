"""Periodic visit-calendar solver (pattern choice per customer, daily routes, exact timing).

Entry points: :func:`solve` and :func:`standard_patterns`; types in :mod:`.problem`.
"""

from solvers.schedule.patterns import standard_patterns
from solvers.schedule.problem import (
    Break,
    Reason,
    Route,
    ScheduleProblem,
    ScheduleResult,
    Unplanned,
    Vehicle,
    Visit,
)
from solvers.schedule.solver import solve

__all__ = [
    "Break",
    "Reason",
    "Route",
    "ScheduleProblem",
    "ScheduleResult",
    "Unplanned",
    "Vehicle",
    "Visit",
    "solve",
    "standard_patterns",
]

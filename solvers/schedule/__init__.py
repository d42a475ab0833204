"""Periodic visit-calendar solver (pattern choice per customer, daily routes, exact timing).

Entry points: :func:`solve`, :func:`standard_patterns` and :func:`verify` (independent
re-check of a result); types in :mod:`.problem`; timing rules in :mod:`.timing`.
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
from solvers.schedule.verify import verify

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
    "verify",
]

"""Periodic visit calendars: a visit pattern per customer, daily routes and exact timing.

Owns the calendar model (:mod:`.problem`), legal visit patterns (:mod:`.patterns`), the exact
timing rules (:mod:`.timing`) and an independent re-check of a result (:mod:`.verify`); the
optimising solver: tuning values (:mod:`.params`), the precomputed model (:mod:`.model`), the
solution state and objective (:mod:`.state`), the encoding for the routing backends
(:mod:`.encoding`), construction and pattern moves (:mod:`.moves`), the periodic LNS
(:mod:`.periodic`) and whole-horizon ILS (:mod:`.horizon`), the final exact pass
(:mod:`.finish`) and the driver (:mod:`.solve`); and the greedy reference method
(:mod:`.greedy`). It imports ``solvers.common``, ``solvers.parallel`` and ``solvers.routing``
from the engine, never ``solvers.territory`` or ``planner``.

Public API::

    from solvers.schedule import ScheduleParams, ScheduleProblem, greedy, solve, verify
    result = solve(problem, stop=Stop(time_limit_s=None, max_iterations=2000), seed=1)
    result = solve(problem, stop=stop, seed=1, params=ScheduleParams(backend="ortools"))
    simple = greedy.solve(problem, stop=stop, seed=1)
    assert not verify(problem, result)
"""

from solvers.schedule import greedy
from solvers.schedule.params import PeriodicParams, ScheduleParams
from solvers.schedule.patterns import standard_patterns
from solvers.schedule.problem import (
    Break,
    Reason,
    Route,
    ScheduleProblem,
    ScheduleResult,
    ScheduleStats,
    Unplanned,
    Vehicle,
    Visit,
)
from solvers.schedule.solve import solve
from solvers.schedule.verify import verify

__all__ = [
    "Break",
    "PeriodicParams",
    "Reason",
    "Route",
    "ScheduleParams",
    "ScheduleProblem",
    "ScheduleResult",
    "ScheduleStats",
    "Unplanned",
    "Vehicle",
    "Visit",
    "greedy",
    "solve",
    "standard_patterns",
    "verify",
]

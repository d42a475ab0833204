"""Tuning values of the routing backends (:class:`RoutingParams`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Backend = Literal["pyvrp", "ortools"]
BACKENDS: tuple[Backend, ...] = ("pyvrp", "ortools")


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutingParams:
    """Options of :func:`solvers.routing.solve` and :func:`solvers.routing.improve_routes`.

    Attributes
    ----------
    backend:
        ``"pyvrp"`` (default; measured in ``benchmarks/vrptw.py``) or ``"ortools"``.
    workers:
        PyVRP: independent searches with seeds ``seed, seed + 1, ...`` in that many processes
        over the same budget; the best result is kept (feasible first, then cost; ties: the
        lowest seed). The second search has the fleet-reduction phase. OR-Tools ignores it.
    fleet_split, fleet_slack:
        Fleet-reduction phase of the second PyVRP search (see
        :func:`solvers.routing.pyvrp.solve_pyvrp_fleet`): share of the budget of its first
        phase, and how many routes above the capacity bound still count as tight.
    """

    backend: Backend = "pyvrp"
    workers: int = 1
    # Measured on X-n176-k26 (one process, 10 s): a first phase of 10 % (1 s) often ended with
    # 28 routes (26 by capacity), hence 20 % and a slack of 2.
    fleet_split: float = 0.2
    fleet_slack: int = 2

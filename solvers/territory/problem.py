"""Problem and result types of the territory-design solver.

Formulation
-----------
Given ``n`` units (retailers or co-located groups) with non-negative measures ``a[i, m]``
(column 0 is the *workload*, the primary balance measure), an undirected adjacency graph
``E`` and travel times ``t``, find an assignment ``x: units -> {0..k-1}`` that

* balances every measure with a finite tolerance: for each territory ``j`` and measure ``m``,
  ``|A[j, m] - s_j * A_tot[m]| <= tol[m] * s_j * A_tot[m]`` where ``A[j, m] = sum_{x(i)=j} a[i, m]``
  and ``s_j`` is the territory's target share (``1/k`` unless ``target_shares`` is given);
* keeps every territory connected in ``E`` (if ``contiguous``);
* respects locks (``locked[i] >= 0`` pins unit ``i`` to that territory) and, if given, the
  maximum service radius ``t(centre_j, i) <= max_radius_s``;
* moves at most ``max_moved`` (weighted share, ``move_weights``) of the units away from
  ``initial`` when both are given (re-zoning with a disruption budget);

and minimises the compactness objective ``sum_i a[i, 0] * t(centre_{x(i)}, i)`` (workload-weighted
travel time to the territory centre) plus ``group_penalty`` times the number of market groups
split across territories (soft: keep market areas whole). Centres are fixed locations (manager
bases, locations ``n .. n+k-1`` of the travel oracle) when ``fixed_centres`` is True, otherwise
the solver chooses one unit per territory as its centre (a median).

Other objectives exist for benchmarks: ``"cut_edges"`` (number of edges of ``E`` between
territories) and ``"diameter"`` (largest travel time between two units of one territory).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from solvers.common import Status, Stop, TravelTimes  # noqa: F401  (Stop re-exported)

Objective = Literal["weighted_travel", "cut_edges", "diameter"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TerritoryProblem:
    """A territory-design instance (see module docstring for the model).

    Parameters
    ----------
    n_territories:
        Number of territories ``k``.
    xy:
        ``(n, 2)`` projected coordinates in metres (geometry: Delaunay adjacency, spatial indexes).
    measures:
        ``(n, m)`` non-negative measures; column 0 is the workload (seconds per cycle).
    measure_names:
        Names of the ``m`` measures (for results and messages).
    tolerances:
        Relative balance tolerance per measure (e.g. 0.03 = within +-3 % of the target);
        ``math.inf`` for a measure that is reported but not balanced.
    travel:
        Travel-time oracle over ``n + k`` locations when ``fixed_centres`` (units first, then
        the k centres), else over the ``n`` units. ``None``: Euclidean distance on ``xy``
        (metres used as the time unit).
    adjacency:
        ``(e, 2)`` int pairs of adjacent units; ``None``: the solver builds a Delaunay graph on
        ``xy`` and trims overlong edges (keeping the graph connected).
    fixed_centres:
        Territory ``j`` is centred on location ``n + j`` of ``travel`` (manager base).
    target_shares:
        ``(k,)`` positive shares summing to 1 (e.g. by team headcount or part-time managers);
        ``None`` = equal shares.
    locked:
        ``(n,)`` int, territory index or -1; locked units never move.
    max_radius_s:
        Maximum travel time from the territory centre to any of its units (``None`` = no limit).
    groups:
        ``(n,)`` int market-area id or -1; splitting a group across territories costs
        ``group_penalty`` per extra territory touched (soft constraint).
    initial:
        ``(n,)`` int previous/initial assignment (-1 = new unit) used as a warm start and, with
        ``max_moved``, as the reference for the disruption budget.
    max_moved:
        Maximum weighted share of units (with ``initial >= 0``) whose territory differs from
        ``initial``; ``None`` = unlimited.
    move_weights:
        ``(n,)`` weight of moving each unit (e.g. key customers 3); ``None`` = 1 each.
    contiguous:
        Require every territory to be connected in the adjacency graph.
    objective:
        ``"weighted_travel"`` (default), ``"cut_edges"`` or ``"diameter"``.
    """

    n_territories: int
    xy: np.ndarray
    measures: np.ndarray
    measure_names: tuple[str, ...] = ("workload",)
    tolerances: tuple[float, ...] = (0.03,)
    travel: TravelTimes | None = None
    adjacency: np.ndarray | None = None
    fixed_centres: bool = False
    target_shares: np.ndarray | None = None
    locked: np.ndarray | None = None
    max_radius_s: float | None = None
    groups: np.ndarray | None = None
    group_penalty: float = 0.0
    initial: np.ndarray | None = None
    max_moved: float | None = None
    move_weights: np.ndarray | None = None
    contiguous: bool = True
    objective: Objective = "weighted_travel"

    @property
    def n_units(self) -> int:
        return int(self.xy.shape[0])

    def __post_init__(self) -> None:
        n = self.xy.shape[0]
        if self.xy.ndim != 2 or self.xy.shape[1] != 2:
            raise ValueError("xy must have shape (n, 2)")
        if self.measures.ndim != 2 or self.measures.shape[0] != n:
            raise ValueError("measures must have shape (n, m)")
        m = self.measures.shape[1]
        if len(self.measure_names) != m or len(self.tolerances) != m:
            raise ValueError("measure_names and tolerances need one entry per measure")
        if not 1 <= self.n_territories <= max(n, 1):
            raise ValueError(f"n_territories must be between 1 and {n}")
        if np.any(self.measures < 0) or not np.all(np.isfinite(self.measures)):
            raise ValueError("measures must be finite and non-negative")
        if any((t < 0 or math.isnan(t)) for t in self.tolerances):
            raise ValueError("tolerances must be >= 0")


@dataclass(frozen=True, slots=True, kw_only=True)
class Violation:
    """A constraint the returned plan does not meet, and by how much."""

    constraint: str  # "balance:<measure>", "contiguity", "max_radius", "max_moved", "lock"
    territory: int | None  # territory index, or None for a global constraint
    amount: float  # relative excess for balance (0.05 = 5 % beyond the tolerance), count otherwise
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TerritoryStats:
    """Measures of one territory in the returned plan."""

    index: int
    n_units: int
    measures: tuple[float, ...]  # sums, aligned with measure_names
    deviation: tuple[float, ...]  # relative deviation from target per measure (A/target - 1)
    centre: int  # location index of the centre (unit index, or n + j for fixed centres)
    weighted_travel: float  # sum_i a[i,0] * t(centre, i)
    max_travel_s: float  # service radius: max t(centre, i) over its units
    connected: bool
    n_components: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TerritoryPhases:
    """Wall-clock seconds of the phases of the weighted-travel method (``None``: not run)."""

    seed_s: float | None = None  # centre seeding (or the warm start's centres)
    flow_s: float | None = None  # capacitated allocation by min-cost flow
    flow2_s: float | None = None  # recentring + second allocation (free centres)
    repair_s: float | None = None  # contiguity repair
    search_s: float | None = None  # boundary local search


@dataclass(frozen=True, slots=True, kw_only=True)
class TerritorySolveStats:
    """Statistics of a territory solve (fields a method does not report are ``None``).

    Attributes
    ----------
    method:
        What ran: ``"enumeration"``, ``"flow+local_search"``, ``"tabu:cut_edges"``,
        ``"tabu+recom+cpsat:cut_edges"``, ``"tree+walk+lns:cut_edges"`` (or ``"tabu+walk+lns"``:
        large graphs), ``"tabu:diameter"`` (``" (contiguous moves)"`` when the
        contiguous move rules are used without a contiguity requirement).
    iterations:
        Iterations counted (see :func:`solvers.territory.solve`).
    runtime_s:
        Wall-clock seconds.
    n_edges:
        Edges of the adjacency graph.
    weighted_travel, cut_edges, group_splits, diameters:
        Components of the returned plan's objective (``diameters`` per territory, objective
        ``"diameter"`` only).
    assignments_enumerated, bound:
        Enumeration: assignments checked; proven optimum (enumeration) or CP-SAT's best bound.
    moves, phases:
        Weighted travel: boundary moves applied and the phases' seconds.
    restarts, best_found:
        Tabu search: restarts and the best objective found by the search itself.
    recom_steps, recom_restarts, recom_cut:
        Recombination walk: steps, restarts from random plans and the best cut found.
    lns_steps, lns_cut:
        Exact large-neighbourhood search (large ``cut_edges`` graphs): neighbourhoods
        re-optimised and the cut reached.
    cpsat_objective, proven_optimal:
        CP-SAT: objective of its plan and whether it proved optimality.
    levels, starts, start_diameters:
        Diameter search: threshold levels passed, compact starts run and the diameter reached
        from each start.
    """

    method: str
    iterations: int
    runtime_s: float
    n_edges: int
    weighted_travel: float
    cut_edges: int
    group_splits: int
    diameters: tuple[float, ...] | None = None
    assignments_enumerated: int | None = None
    bound: float | None = None
    moves: int | None = None
    phases: TerritoryPhases | None = None
    restarts: int | None = None
    best_found: float | None = None
    recom_steps: int | None = None
    recom_restarts: int | None = None
    recom_cut: int | None = None
    lns_steps: int | None = None
    lns_cut: int | None = None
    cpsat_objective: float | None = None
    proven_optimal: bool | None = None
    levels: int | None = None
    starts: int | None = None
    start_diameters: tuple[float, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TerritoryResult:
    """Outcome of :func:`solvers.territory.solve`."""

    status: Status
    assignment: np.ndarray  # (n,) int territory per unit
    objective: float
    territories: tuple[TerritoryStats, ...]
    violations: tuple[Violation, ...] = ()
    moved: int = 0  # units whose territory differs from problem.initial
    moved_share: float = 0.0  # weighted share moved
    stats: TerritorySolveStats

    def summary(self) -> str:
        """Readable multi-line summary."""
        lines = [f"status={self.status.value} objective={self.objective:.6g} "
                 f"territories={len(self.territories)} violations={len(self.violations)}"]
        for v in self.violations:
            lines.append(f"  violation {v.constraint} territory={v.territory}: {v.message}")
        return "\n".join(lines)

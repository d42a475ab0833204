"""Problem and result types of the periodic visit-calendar solver.

Formulation
-----------
Horizon of ``T`` days (``0 .. T-1``). Customers ``i = 0..n-1`` each need ``required[i]`` visits and
may take one pattern ``p`` from ``patterns[i]`` (a sorted tuple of day indices with
``len(p) == required[i]``). Each vehicle (manager) ``v`` works on the days where
``vehicles[v].days[d]`` is True, from ``shift_start_s`` to ``shift_end_s`` (seconds from midnight),
starting and ending at its depot (location ``vehicles[v].depot``), takes its breaks, and makes
at most ``max_visits`` visits a day.

Per-day availability (optional, for leave, meetings, training and desk time): ``days[d]``
False is a day off; ``day_shifts[d] = (start_s, end_s)`` replaces the shift on day ``d`` (e.g.
a meeting at the start of the day moves the start); ``day_breaks[d]`` replaces the breaks on
day ``d``. A *fixed* break (``earliest_s == latest_s``) is a blocked interval
``[earliest_s, earliest_s + duration_s)`` of that day: no travel and no visit inside it, and a
route that ends by its start does not need it (the rule of every break). Without them every
working day has the vehicle's shift and breaks, and results are those of a problem without the
fields. On day ``d`` a visit to ``i`` must *start* inside
``windows[i, d] = (open_s, close_s)`` (``open_s > close_s`` means closed that day) and lasts
``service_s[i]``; arriving early means waiting. Travel times come from the dense matrix
``travel_s`` over the locations ``0..n-1`` (customers) and ``n..`` (depots); ``demand``/``capacity``
and ``max_duration_s`` are optional (for the periodic VRP benchmarks).

The solver chooses a pattern per customer and daily routes, and may leave visits unplanned.
It minimises::

    sum(travel_s of all routes)
    + lam * sum(value[i] for every required visit of i that is not planned)
    + move_penalty * #(customers whose planned weekday differs from previous_weekday)

so ``lam`` (seconds of travel per unit of visit value) sets the trade-off between key-customer
frequency and travel time: a visit is given up only when keeping it would cost more travel (or
is impossible within shifts and opening hours). Every unplanned visit carries a reason.

``initial_days`` (optional) is a warm start: per customer the days a previous calendar visited it
(e.g. before its territory changed a little). The first calendar puts these customers on those
days, when they form one of the customer's patterns, before placing the others; it only changes
where the search starts, not the problem.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solvers.common import Status, UnplannedReason

Reason = UnplannedReason
"""Why a visit is unplanned: one of :data:`solvers.common.UNPLANNED_REASONS`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Break:
    """A break of ``duration_s`` that must start between ``earliest_s`` and ``latest_s``.

    A route that ends before ``earliest_s`` needs no break.
    """

    earliest_s: int
    latest_s: int
    duration_s: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Vehicle:
    """One manager (the name vehicle follows routing usage).

    ``day_shifts`` and ``day_breaks`` (optional, one entry per day of ``days``; an entry ``None``
    keeps the default) give the shift and the breaks of single days (see the module docstring);
    :meth:`shift_on` and :meth:`breaks_on` are what every part of the solver reads.
    """

    depot: int  # location index of the base (>= n)
    days: tuple[bool, ...]  # length T: works that day
    shift_start_s: int
    shift_end_s: int
    breaks: tuple[Break, ...] = ()
    max_visits: int | None = None  # per day
    capacity: int | None = None  # per route (PVRP benchmarks)
    max_duration_s: int | None = None  # per route, incl. service (PVRP benchmarks)
    day_shifts: tuple[tuple[int, int] | None, ...] | None = None  # per day (start_s, end_s)
    day_breaks: tuple[tuple[Break, ...] | None, ...] | None = None  # per day the breaks of that day

    def __post_init__(self) -> None:
        T = len(self.days)
        for name, per_day in (("day_shifts", self.day_shifts), ("day_breaks", self.day_breaks)):
            if per_day is not None and len(per_day) != T:
                raise ValueError(f"{name} needs one entry per day ({T}), got {len(per_day)}")
        for d, sh in enumerate(self.day_shifts or ()):
            if sh is not None and not (len(sh) == 2 and 0 <= sh[0] < sh[1]):
                raise ValueError(f"day {d}: shift {sh} must be (start_s, end_s) with 0 <= start_s < end_s")
        for d, brks in enumerate(self.day_breaks or ()):
            for b in brks or ():
                if not isinstance(b, Break):
                    raise ValueError(f"day {d}: breaks must be Break objects, got {b!r}")
                if b.latest_s < b.earliest_s or b.duration_s < 0:
                    raise ValueError(f"day {d}: break {b} needs earliest_s <= latest_s and duration_s >= 0")

    @property
    def per_day(self) -> bool:
        """Whether any single day has its own shift or breaks."""
        return bool(any(x is not None for x in self.day_shifts or ())
                    or any(x is not None for x in self.day_breaks or ()))

    def shift_on(self, day: int) -> tuple[int, int]:
        """``(start_s, end_s)`` of the shift on ``day``."""
        sh = self.day_shifts[day] if self.day_shifts is not None else None
        return (self.shift_start_s, self.shift_end_s) if sh is None else (int(sh[0]), int(sh[1]))

    def breaks_on(self, day: int) -> tuple[Break, ...]:
        """The breaks of ``day`` (fixed ones included)."""
        b = self.day_breaks[day] if self.day_breaks is not None else None
        return self.breaks if b is None else b


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleProblem:
    """A periodic visit-calendar instance (see module docstring for the model)."""

    n_days: int
    travel_s: np.ndarray  # (n + n_depots, n + n_depots) int seconds
    service_s: np.ndarray  # (n,) int
    required: np.ndarray  # (n,) int visits in the horizon
    patterns: tuple[tuple[tuple[int, ...], ...], ...]  # per customer: allowed day sets
    windows: np.ndarray  # (n, n_days, 2) int seconds from midnight; open > close = closed
    value: np.ndarray  # (n,) float value of one visit
    vehicles: tuple[Vehicle, ...]
    lam: float = 1.0
    demand: np.ndarray | None = None  # (n,) int per visit
    previous_weekday: np.ndarray | None = None  # (n,) int weekday index 0..days_per_week-1, -1 none
    days_per_week: int = 5  # to map day index -> weekday (day % days_per_week)
    move_penalty: float = 0.0
    distance: np.ndarray | None = None  # optional cost matrix replacing travel_s in the objective
    initial_days: tuple[tuple[int, ...], ...] | None = None  # warm start: per customer the days of a
    # previous calendar's visits (empty: none); a customer whose days are one of its patterns starts on it

    @property
    def n_customers(self) -> int:
        return int(self.service_s.shape[0])

    def __post_init__(self) -> None:
        n = self.service_s.shape[0]
        L = self.travel_s.shape[0]
        if self.travel_s.shape != (L, L) or L < n + 1:
            raise ValueError("travel_s must be square over customers and depots")
        if self.windows.shape != (n, self.n_days, 2):
            raise ValueError("windows must have shape (n, n_days, 2)")
        if len(self.patterns) != n or self.required.shape != (n,) or self.value.shape != (n,):
            raise ValueError("patterns, required and value need one entry per customer")
        for i, pats in enumerate(self.patterns):
            for p in pats:
                if len(p) != int(self.required[i]) or any(d < 0 or d >= self.n_days for d in p):
                    raise ValueError(f"customer {i}: pattern {p} is not {self.required[i]} days in 0..{self.n_days - 1}")
        if self.initial_days is not None and len(self.initial_days) != n:
            raise ValueError("initial_days needs one entry per customer")
        for v in self.vehicles:
            if len(v.days) != self.n_days or not n <= v.depot < L:
                raise ValueError("vehicle days must have length n_days and depot must be a depot location")


@dataclass(frozen=True, slots=True, kw_only=True)
class Visit:
    """A visit on a route, with its timing (seconds from midnight)."""

    customer: int
    arrival_s: int
    start_s: int  # service start (arrival + waiting, and after a break if one is taken before)
    departure_s: int  # start + service
    travel_s: int  # from the previous stop (or depot)


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """One vehicle's route on one day."""

    vehicle: int
    day: int
    start_s: int  # departure from the depot
    end_s: int  # arrival back at the depot
    stops: tuple[Visit, ...]
    breaks: tuple[tuple[int, int], ...] = ()  # (start_s, duration_s) of each break taken
    return_travel_s: int = 0  # last stop (or depot) -> depot

    @property
    def travel_s(self) -> int:
        return sum(s.travel_s for s in self.stops) + self.return_travel_s

    @property
    def service_s(self) -> int:
        return sum(s.departure_s - s.start_s for s in self.stops)


@dataclass(frozen=True, slots=True, kw_only=True)
class Unplanned:
    """A required visit that is not in the calendar, and why: one entry per missing visit.

    A customer with no pattern at all has ``required`` entries with ``day=None``.
    """

    customer: int
    day: int | None  # the pattern day that was dropped, or None if no pattern was assigned
    reason: Reason
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleStats:
    """Statistics of a calendar solve (fields a method or path does not report are ``None``).

    Attributes
    ----------
    method:
        ``"periodic_lns"`` (periodic path), ``"greedy + nearest neighbour"`` (greedy method);
        ``None`` on the rounds path.
    backend:
        Routing backend (``"pyvrp"`` or ``"ortools"``).
    rounds, iterations, pattern_moves, accepted_rounds, pattern_evaluations:
        Rounds path: rounds run, iterations counted (see :func:`solvers.schedule.solve`), pattern
        changes applied, rounds whose result became the best, pattern moves evaluated exactly.
        Periodic path: ``rounds`` 0, ``iterations`` the LNS steps, ``pattern_moves`` the steps
        accepted.
    initial_objective, router_objective:
        Penalised objective (problem units) of the construction and of the best calendar before
        the final exact pass.
    runtime_s, seed, routing_clients:
        Wall-clock seconds, the seed, clients of the last whole-horizon routing problem.
    stalled:
        Rounds path: the search stopped before its limits because the calendar stopped
        improving (``ScheduleParams.stall_rounds``).
    lns_iterations, lns_accepted, lns_improvements, lns_best, penalty_factor:
        Periodic LNS: steps (summed over workers), steps accepted, new bests, best penalised
        objective without excess (``inf`` if none), final penalty factor (of the search kept).
    workers, worker_best, worker_objectives, worker_penalty_factors:
        Periodic LNS with several workers: their number, the index of the one kept, each one's
        objective and final penalty factor.
    travel_cost, unplanned_value, moved_customers, visits:
        The returned plan: travel cost (objective units), ``lam * value`` of the unplanned
        visits, customers whose weekday moved, visits planned.
    """

    method: str | None = None
    backend: str | None = None
    rounds: int | None = None
    iterations: int | None = None
    pattern_moves: int | None = None
    accepted_rounds: int | None = None
    pattern_evaluations: int | None = None
    initial_objective: float | None = None
    router_objective: float | None = None
    runtime_s: float | None = None
    seed: int | None = None
    routing_clients: int | None = None
    stalled: bool | None = None
    lns_iterations: int | None = None
    lns_accepted: int | None = None
    lns_improvements: int | None = None
    lns_best: float | None = None
    penalty_factor: float | None = None
    workers: int | None = None
    worker_best: int | None = None
    worker_objectives: tuple[float, ...] | None = None
    worker_penalty_factors: tuple[float, ...] | None = None
    travel_cost: float | None = None
    unplanned_value: float | None = None
    moved_customers: int | None = None
    visits: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleResult:
    """Outcome of :func:`solvers.schedule.solve`."""

    status: Status
    objective: float
    travel_s: int
    routes: tuple[Route, ...]
    pattern: tuple[tuple[int, ...] | None, ...]  # per customer the chosen pattern (None = none)
    unplanned: tuple[Unplanned, ...]
    stats: ScheduleStats

    def summary(self) -> str:
        visits = sum(len(r.stops) for r in self.routes)
        return (f"status={self.status.value} objective={self.objective:.6g} travel_s={self.travel_s} "
                f"visits={visits} unplanned={len(self.unplanned)}")

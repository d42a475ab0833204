"""Tuning values of the visit-calendar solver: :class:`ScheduleParams` (the driver, construction,
pattern search and rounds) with a nested :class:`PeriodicParams` (the periodic LNS and the
whole-horizon ILS)."""

from __future__ import annotations

from dataclasses import dataclass, field

from solvers.routing import Backend


@dataclass(frozen=True, slots=True, kw_only=True)
class PeriodicParams:
    """Periodic large-neighbourhood search and whole-horizon ILS (:mod:`solvers.schedule.periodic`).

    Attributes
    ----------
    start_temp, end_temp:
        Annealing temperature at the start and the end, times the mean cost per visit of the
        first solution (geometric decrease over the budget).
    horizon_shares:
        Share of each search's budget for the final whole-horizon ILS (search ``k`` takes entry
        ``k`` modulo the length; a single search the first).
    horizon_min:
        Fewest iterations of the horizon ILS with an iteration limit (``max(horizon_min, N // 4)``).
    neighbours:
        Granular neighbourhood size of the per-day descents and of the horizon ILS.
    pen_factor:
        Start factor of the excess penalties (x the model's estimates) inside the search.
    pen_update, pen_target, pen_up, pen_down, pen_min, pen_max:
        Adaptive penalties: every ``pen_update`` steps the factor grows by ``pen_up`` when fewer
        than ``pen_target - 5 %`` of the states visited were without excess, shrinks by
        ``pen_down`` when more than ``pen_target + 5 %`` were, within ``[pen_min, pen_max]``.
    operators, operator_weights:
        Removal operators and their probabilities.
    string_max, string_mean:
        String removal: longest string (SISR's ``L_max``) and mean number of removed customers
        (SISR's ``c-bar``).
    qmin, qmax_share, qmax_cap:
        Customers removed per step: at least ``qmin``, at most ``qmax_share`` of them (at least
        5, at most ``qmax_cap``).
    """

    # measured at 60 s (p01, p02, p06, p08, p10, p12, p23): 1.0 / 0.02 gave lower costs than
    # 0.3 / 0.005 on 5 of 7 (p01 1.60 -> 0.00 %, p10 3.41 -> 1.63 %, p12 7.53 -> 5.96 %); the
    # colder schedule settled in the first deep basin
    start_temp: float = 1.0
    end_temp: float = 0.02
    # Measured at 60 s, one search, LNS 30 s + horizon 30 s vs LNS 60 s (seed 1): p13 3479 vs
    # 3695, p06 838.6 vs 849.9, p05 2041 vs 2049, p12 1228 vs 1224, but p27 22105 vs 21963, p30
    # 75329 vs 74648, p32 79571 vs 78274 (others within 0.2 %); with the pair (0.1, 0.5) on two
    # cores: p13 3464 (-0.82 % to BKS), p12 1210.5, p06 840.5, p31 76809 (before: 3663, 1236.5,
    # 847.2, 77365), p30/p32 unchanged. 0.1 matches the former per-day polish
    horizon_shares: tuple[float, ...] = (0.1, 0.5)
    horizon_min: int = 200
    neighbours: int = 40
    # excess penalties (x the model's estimates) inside the search; only plans without excess are
    # kept as best. Measured at 60 s: 2 rather than 100 gave p30 76091 -> 74951, p23 6621 -> 6519,
    # p12 1242 -> 1235, p10 1611 -> 1610, p13 3623 -> 3657 (cheaper detours through overloaded days)
    pen_factor: float = 2.0
    # adaptive penalties (as HGS does for its penalties). Measured at 60 s, one search, seeds
    # 1/2/3, adaptive vs fixed: p12 1230/1226/1205 vs 1262/1273/1213, p13 3667/3664/3628 vs
    # 3659/3680/3696, p23 6542/6517/6519 vs 6621/6621/6621, p08 (seeds 2/3) 2039/2035 vs
    # 2056/2056, p10 and p05 (seed 1) 1610/2038 vs 1625/2044; fixed was better on p11
    # (783.8/784.9 vs 782.5/781.1) and on p06 with two seeds of three (by up to 1.9 %)
    pen_update: int = 100
    pen_target: float = 0.5
    pen_up: float = 1.25
    pen_down: float = 0.85
    pen_min: float = 0.05
    pen_max: float = 1000.0
    operators: tuple[str, ...] = ("related", "string", "route", "random")
    operator_weights: tuple[float, ...] = (0.35, 0.35, 0.15, 0.15)
    string_max: int = 10  # longest string (SISR's L_max)
    string_mean: int = 10  # mean number of removed customers of the string operator (SISR's c-bar)
    qmin: int = 3  # fewest customers removed per step (the most: qmax_share of them, within qmax_cap)
    qmax_share: float = 0.15
    qmax_cap: int = 30


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleParams:
    """Options of :func:`solvers.schedule.solve`.

    Attributes
    ----------
    backend:
        ``"pyvrp"`` (default: whole-horizon routing with day choice by the router, and the
        periodic LNS when opening hours do not bind) or ``"ortools"`` (day-by-day routing; day
        choice only by pattern moves).
    workers:
        Processes for the periodic LNS (independent searches, best kept; see
        :func:`solvers.schedule.periodic.run_periodic`). Other paths use one.
    round_iterations:
        Backend iterations per round (``None``: ``min(round_max, max(200, round_factor *
        copies))`` with PyVRP, 200 with OR-Tools).
    round_factor, round_max:
        The default round length (above).
    master_neighbours:
        Granular neighbourhood size of the master list over every possible (customer, day) copy.
    pattern_evals:
        Most pattern moves evaluated exactly per pass of the pattern search.
    swap_neighbours:
        Pattern exchanges are tried with this many nearest customers holding the other pattern.
    est_slack:
        The pattern search stops at the first candidate whose estimate exceeds ``est_slack``
        times the mean arc cost (the rest cannot plausibly improve after re-optimisation).
    hard_factor:
        Multiplies the load and shift-time excess penalties of the solver's objective and of
        the construction (large = nearly hard limits).
    accept_threshold:
        Threshold accepting between rounds: a round's result may be this much worse than the
        current one at the start (0.5 %), decreasing linearly to 0 with the budget used.
    stall_rounds, stall_tolerance:
        The rounds path stops before its budget once ``stall_rounds`` rounds after the second
        improved the best calendar by less than ``stall_tolerance`` (relative): its calendar stopped
        improving, and easy territories do not burn the whole time limit (``None``: use the
        budget). A round is sized to the territory (its routing iterations grow with the
        customer-day copies), so the rule is too; the time limit stays the cap.
    periodic:
        The periodic LNS (:class:`PeriodicParams`).
    """

    backend: Backend = "pyvrp"
    workers: int = 1
    round_iterations: int | None = None
    round_factor: float = 2.0
    round_max: int = 4000
    master_neighbours: int = 50
    pattern_evals: int = 150
    swap_neighbours: int = 3
    est_slack: float = 2.0
    hard_factor: float = 100.0
    accept_threshold: float = 0.005
    stall_rounds: int | None = 1
    stall_tolerance: float = 0.001
    periodic: PeriodicParams = field(default_factory=PeriodicParams)

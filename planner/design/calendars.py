"""The visit calendars of the territories: one engine problem per territory (its retailers,
its manager's base, shift, breaks and the horizon) solved with the scenario's calendar method.
"""

from __future__ import annotations

import numpy as np

from planner.config.scenario import LoadedScenario
from planner.design.context import Context
from planner.design.horizon import Day, days_per_week
from planner.design.policy import breaks, is_routed, policy
from planner.design.territories import Slot, Territories
from planner.inputs.dataset import Dataset
from solvers.common import Stop
from solvers.schedule import ScheduleParams, greedy
from solvers.schedule import solve as solve_calendar
from solvers.schedule.problem import ScheduleProblem, ScheduleResult, Vehicle


def schedule_problem(loaded: LoadedScenario, ds: Dataset, travel, days: list[Day], win: np.ndarray,
                     units: np.ndarray, slots: list[Slot], *, lam: float | None = None,
                     required_override: dict[str, int] | None = None,
                     previous_weekday: np.ndarray | None = None, move_penalty: float = 0.0) -> ScheduleProblem:
    """The calendar problem of retailers ``units`` served from the bases of ``slots``.

    The travel matrix covers only these retailers and bases (territory-sized).
    """
    sc = loaded.scenario
    units = np.asarray(units, dtype=np.int64)
    locs = np.concatenate([units, np.array([s.base_loc for s in slots], dtype=np.int64)])
    n = len(units)
    cls = ds.retailers["class"].to_numpy()[units]
    pats, req = policy(loaded, cls, required_override)
    brks = breaks(loaded)
    vehicles = tuple(Vehicle(depot=n + j, days=tuple(d.working for d in days), shift_start_s=s.shift_start_s,
                             shift_end_s=s.shift_end_s, breaks=brks, max_visits=s.max_visits)
                     for j, s in enumerate(slots))
    return ScheduleProblem(
        n_days=len(days), travel_s=travel.oracle.matrix(locs),
        service_s=ds.retailers["service_s"].to_numpy()[units].astype(np.int64),
        required=req, patterns=pats, windows=win[units],
        value=np.array([sc.classes[c].value for c in cls], dtype=float), vehicles=vehicles,
        lam=sc.schedule.lam if lam is None else lam, days_per_week=days_per_week(loaded),
        previous_weekday=previous_weekday, move_penalty=move_penalty)


def schedule_territories(ctx: Context, terr: Territories, *, label: str, lam: float | None = None,
                         required_override: dict[str, int] | None = None,
                         previous_weekday: dict[str, int] | None = None, move_penalty: float = 0.0,
                         method: str | None = None,
                         kept: dict[int, tuple[np.ndarray, ScheduleResult]] | None = None,
                         ) -> tuple[dict[int, tuple[np.ndarray, ScheduleResult]], str]:
    """Build each territory's calendar; returns {slot: (retailer indices, result)} and the method.

    ``kept`` holds calendars that are not solved again (e.g. the unchanged territories of an edited
    plan, rebuilt from the parent plan's tables by :func:`planner.plan.assemble.kept_calendars`):
    they are returned as given.
    """
    sc = ctx.loaded.scenario
    method = method or sc.schedule.method
    routed = is_routed(ctx.loaded, ctx.ds.retailers["class"].to_numpy())
    out: dict[int, tuple[np.ndarray, ScheduleResult]] = {}
    if method == "solver":
        desc = f"periodic calendar solver (solvers.schedule, backend {sc.schedule.backend})"
    else:
        desc = "greedy day assignment + nearest-neighbour routes (simple method)"
    stop = Stop(time_limit_s=sc.solver.schedule_time_limit_s, max_iterations=sc.solver.max_iterations)
    params = ScheduleParams(backend=sc.schedule.backend)
    rid = ctx.ds.retailers["retailer_id"].to_numpy()
    with ctx.progress.task(f"Scheduling visits ({label})", total=len(terr.slots)) as adv:
        for k, s in enumerate(terr.slots):
            if kept is not None and k in kept:
                out[k] = kept[k]
                adv()
                continue
            units = np.flatnonzero((terr.owner == k) & routed)
            prev = None
            if previous_weekday is not None:
                prev = np.array([previous_weekday.get(rid[u], -1) for u in units], dtype=np.int64)
            prob = schedule_problem_for(ctx, units, [s], lam=lam, required_override=required_override,
                                        previous_weekday=prev, move_penalty=move_penalty)
            if method == "solver" and len(units):
                res = solve_calendar(prob, stop=stop, seed=ctx.seed, params=params)
            else:
                res = greedy.solve(prob, stop=stop, seed=ctx.seed)
            out[k] = (units, res)
            adv()
    return out, desc


def schedule_problem_for(ctx: Context, units: np.ndarray, slots: list[Slot], **kw):
    """The calendar problem of ``units`` served from the bases of ``slots``."""
    return schedule_problem(ctx.loaded, ctx.ds, ctx.travel, ctx.days, ctx.windows, units, slots, **kw)

"""The visit calendars of the territories: one engine problem per territory (its retailers,
its manager's base, shift, breaks and the horizon, after leave and duties; with desk time kept
for contacts where asked) solved with the scenario's calendar method.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata as md
import pickle
from pathlib import Path
from typing import Protocol

import numpy as np

import solvers
from planner.config.scenario import LoadedScenario
from planner.design.availability import row_days, vehicle
from planner.design.context import Context
from planner.design.horizon import Day, days_per_week
from planner.design.policy import is_routed, policy
from planner.design.territories import Slot, Territories
from planner.inputs.dataset import Dataset
from solvers.common import Stop
from solvers.parallel import map_tasks
from solvers.schedule import ScheduleParams, greedy
from solvers.schedule import solve as solve_calendar
from solvers.schedule.problem import ScheduleProblem, ScheduleResult


def schedule_problem(loaded: LoadedScenario, ds: Dataset, travel, days: list[Day], win: np.ndarray,
                     units: np.ndarray, slots: list[Slot], *, lam: float | None = None,
                     required_override: dict[str, int] | None = None,
                     previous_weekday: np.ndarray | None = None, move_penalty: float = 0.0,
                     order_weekdays: bool = False, desk_s: dict[str, int] | None = None,
                     warm: dict[int, tuple[int, ...]] | None = None) -> ScheduleProblem:
    """The calendar problem of retailers ``units`` served from the bases of ``slots``.

    The travel matrix covers only these retailers and bases (territory-sized). With
    ``order_weekdays`` a retailer with an order weekday (``order_days``) may only be visited on
    it (today's practice, :func:`weekday_patterns`). Each slot's vehicle has its manager's
    working days, shifts and breaks after leave and duties, less ``desk_s`` (manager id -> seconds
    a day reserved for contacts) at the end of each day (:func:`planner.design.availability.vehicle`).
    ``warm`` (retailer index -> days of a previous calendar, :func:`calendar_days`) is the engine's
    warm start (``initial_days``).
    """
    sc = loaded.scenario
    units = np.asarray(units, dtype=np.int64)
    locs = np.concatenate([units, np.array([s.base_loc for s in slots], dtype=np.int64)])
    n = len(units)
    cls = ds.retailers["class"].to_numpy()[units]
    pats, req = policy(loaded, cls, required_override)
    if order_weekdays:
        pats = weekday_patterns(pats, ds.retailers["order_days"].to_numpy()[units], days)
    vehicles = tuple(slot_vehicle(loaded, ds, days, s, depot=n + j, desk_s=(desk_s or {}).get(s.manager_id, 0))
                     for j, s in enumerate(slots))
    return ScheduleProblem(
        n_days=len(days), travel_s=travel.oracle.matrix(locs),
        service_s=ds.retailers["service_s"].to_numpy()[units].astype(np.int64),
        required=req, patterns=pats, windows=win[units],
        value=np.array([sc.classes[c].value for c in cls], dtype=float), vehicles=vehicles,
        lam=sc.schedule.lam if lam is None else lam, days_per_week=days_per_week(loaded),
        previous_weekday=previous_weekday, move_penalty=move_penalty,
        initial_days=None if warm is None else tuple(warm.get(int(u), ()) for u in units))


def calendar_days(cals: dict[int, tuple[np.ndarray, ScheduleResult]]) -> dict[int, tuple[int, ...]]:
    """Retailer index -> the days its calendar visits it (the warm start of calendars solved
    again after a small change: a retailer that changes territory keeps its days where it can)."""
    out: dict[int, set[int]] = {}
    for units, res in cals.values():
        units = np.asarray(units, dtype=np.int64)
        for rt in res.routes:
            for v in rt.stops:
                out.setdefault(int(units[v.customer]), set()).add(int(rt.day))
    return {i: tuple(sorted(d)) for i, d in out.items()}


def weekday_patterns(pats: tuple, order_days, days: list[Day]) -> tuple:
    """Today's practice: each retailer's allowed patterns restricted to those whose every visit
    falls on one of its order weekdays (订货日; a weekly class visits on that weekday every week, a
    fortnightly one on that weekday every other week); a retailer without an order weekday, or
    whose order weekdays allow none of its patterns (e.g. twice a week with one order day, or a
    weekday that is not worked), keeps all its patterns."""
    out = []
    for p, wd in zip(pats, order_days, strict=True):
        keep = tuple(q for q in p if wd and all(days[d].weekday in wd for d in q)) if wd else ()
        out.append(keep or p)
    return tuple(out)


def order_weekday_share(ctx: Context) -> tuple[int, int]:
    """(retailers with an order weekday their class's patterns can follow, retailers visited)."""
    r = ctx.ds.retailers
    routed = is_routed(ctx.loaded, r["class"].to_numpy())
    pats, _ = policy(ctx.loaded, r["class"].to_numpy())
    od = r["order_days"].to_numpy()
    follow = sum(1 for i in np.flatnonzero(routed)
                 if od[i] and any(all(ctx.days[d].weekday in od[i] for d in q) for q in pats[i]))
    return follow, int(routed.sum())


def schedule_territories(ctx: Context, terr: Territories, *, label: str, lam: float | None = None,
                         required_override: dict[str, int] | None = None,
                         previous_weekday: dict[str, int] | None = None, move_penalty: float = 0.0,
                         method: str | None = None, order_weekdays: bool = False,
                         kept: dict[int, tuple[np.ndarray, ScheduleResult]] | None = None,
                         desk_s: dict[str, int] | None = None, cache: CalendarCache | None = None,
                         warm: dict[int, tuple[int, ...]] | None = None,
                         ) -> tuple[dict[int, tuple[np.ndarray, ScheduleResult]], str]:
    """Build each territory's calendar; returns {slot: (retailer indices, result)} and the method.

    ``order_weekdays``: visit each retailer on its order weekday (today's practice, for the
    administrative baseline; see :func:`weekday_patterns`). ``kept`` holds calendars that are not
    solved again (e.g. the unchanged territories of an edited plan, rebuilt from the parent plan's
    tables by :func:`planner.plan.assemble.kept_calendars`): they are returned as given.
    ``desk_s`` (manager id -> seconds a day) keeps desk time for contacts at the end of each day
    (:func:`planner.design.contacts.desk_reservation`). ``cache``: calendars solved before for the
    same problems are reused (:func:`solve_calendars`). ``warm`` (retailer index -> days, from
    :func:`calendar_days` of calendars solved before) starts the solver from those days.
    """
    sc = ctx.loaded.scenario
    method = method or sc.schedule.method
    routed = is_routed(ctx.loaded, ctx.ds.retailers["class"].to_numpy())
    out: dict[int, tuple[np.ndarray, ScheduleResult]] = {}
    if method == "solver":
        desc = f"periodic calendar solver (solvers.schedule, backend {sc.schedule.backend})"
    else:
        desc = "greedy day assignment + nearest-neighbour routes (simple method)"
    if order_weekdays:
        follow, routed_n = order_weekday_share(ctx)
        desc += (f"; today's order weekdays: {follow} of {routed_n} retailers visited on their order weekday, "
                 "the others on regular weekdays")
    stop = calendar_stop(ctx.loaded)
    params = ScheduleParams(backend=sc.schedule.backend)
    rid = ctx.ds.retailers["retailer_id"].to_numpy()
    jobs: list[tuple[int, np.ndarray]] = []
    tasks = []
    for k, s in enumerate(terr.slots):
        if kept is not None and k in kept:
            out[k] = kept[k]
            continue
        units = np.flatnonzero((terr.owner == k) & routed)
        prev = None
        if previous_weekday is not None:
            prev = np.array([previous_weekday.get(rid[u], -1) for u in units], dtype=np.int64)
        prob = schedule_problem_for(ctx, units, [s], lam=lam, required_override=required_override,
                                    previous_weekday=prev, move_penalty=move_penalty,
                                    order_weekdays=order_weekdays, desk_s=desk_s, warm=warm)
        jobs.append((k, units))
        tasks.append((prob, method if len(units) else "greedy", stop, ctx.seed, params))
    for (k, units), res in zip(jobs, solve_calendars(ctx, f"Scheduling visits ({label})", tasks, cache=cache), strict=True):
        out[k] = (units, res)
    out = dict(sorted(out.items()))
    return out, desc


def calendar_stop(loaded: LoadedScenario) -> Stop:
    """The stop rule of one calendar: ``solver.schedule_time_limit_s`` as a cap (and
    ``solver.max_iterations``); the solver stops earlier when its calendar stops improving
    (:class:`solvers.schedule.ScheduleParams` ``stall_rounds``). A warm-started calendar gets the
    same cap: with 60 % of it, the county scenario's re-balanced calendars left 86 visits
    unplanned instead of 3 (2026-11-29; the warm start is a poor first calendar when many
    retailers moved)."""
    sc = loaded.scenario
    return Stop(time_limit_s=sc.solver.schedule_time_limit_s, max_iterations=sc.solver.max_iterations)


def solve_one(prob: ScheduleProblem, method: str, stop: Stop, seed: int, params: ScheduleParams) -> ScheduleResult:
    """One calendar with ``method`` (``solver`` or ``greedy``): a worker task of :func:`solve_calendars`."""
    if method == "solver":
        return solve_calendar(prob, stop=stop, seed=seed, params=params)
    return greedy.solve(prob, stop=stop, seed=seed)


class CalendarCache(Protocol):
    """Where solved calendars are kept between runs (the plan store's, :mod:`planner.plan.cache`):
    ``get`` gives the calendar solved for a :func:`calendar_key` before (``None`` if none),
    ``put`` keeps one."""

    def get(self, key: str) -> ScheduleResult | None: ...

    def put(self, key: str, result: ScheduleResult) -> None: ...


@functools.cache
def engine_fingerprint() -> str:
    """Hash of the engine's source files (``solvers/``) and the versions of the packages its
    results depend on: a calendar solved by another engine is not reused."""
    h = hashlib.sha256()
    root = Path(next(iter(solvers.__path__))).resolve()
    for p in sorted(root.rglob("*.py")):
        h.update(p.relative_to(root).as_posix().encode())
        h.update(p.read_bytes())
    for pkg in ("numpy", "pyvrp", "ortools"):
        try:
            h.update(f"{pkg}={md.version(pkg)}".encode())
        except md.PackageNotFoundError:  # pragma: no cover - both are dependencies
            h.update(f"{pkg}=none".encode())
    return h.hexdigest()


def calendar_key(task: tuple) -> str:
    """The cache key of one calendar task (argument tuple of :func:`solve_one`): a hash of the whole
    engine problem (retailers, travel times, service times, patterns, windows, the manager's days,
    shifts, breaks and desk time), the method, stop rule, seed and parameters, and the engine
    (:func:`engine_fingerprint`). Anything that changes the calendar changes the key; nothing else
    (a what-if that only changes the territory design keeps the baseline's keys)."""
    h = hashlib.sha256(engine_fingerprint().encode())
    h.update(pickle.dumps(task, protocol=5))
    return h.hexdigest()


def solve_calendars(ctx: Context, label: str, tasks: list[tuple], *,
                    cache: CalendarCache | None = None) -> list[ScheduleResult]:
    """Solve the calendars ``tasks`` (argument tuples of :func:`solve_one`) side by side on the
    local cores (:func:`solvers.parallel.map_tasks`; ``solver.workers`` caps them), results in task
    order: each calendar depends only on its own problem, seed and stop rule, never on which worker
    solved it or when. With a ``cache`` a calendar solved before for the same task
    (:func:`calendar_key`) is taken from it, and the calendars solved now are added to it.
    Progress counts the calendars done and estimates the time left."""
    out: list[ScheduleResult | None] = [None] * len(tasks)
    keys = [calendar_key(t) for t in tasks] if cache is not None else []
    todo = list(range(len(tasks)))
    if cache is not None:
        for k in range(len(tasks)):
            out[k] = cache.get(keys[k])
        todo = [k for k in todo if out[k] is None]
    with ctx.progress.task(label, total=len(tasks)) as adv:
        if len(todo) < len(tasks):
            adv(len(tasks) - len(todo))
        solved = map_tasks(solve_one, [tasks[k] for k in todo], workers=ctx.loaded.scenario.solver.workers,
                           on_result=lambda k, r: adv())
    for k, res in zip(todo, solved, strict=True):
        out[k] = res
        if cache is not None:
            cache.put(keys[k], res)
    return out  # type: ignore[return-value]


def schedule_problem_for(ctx: Context, units: np.ndarray, slots: list[Slot], **kw):
    """The calendar problem of ``units`` served from the bases of ``slots``."""
    return schedule_problem(ctx.loaded, ctx.ds, ctx.travel, ctx.days, ctx.windows, units, slots, **kw)


def slot_vehicle(loaded: LoadedScenario, ds: Dataset, days: list[Day], s: Slot, *, depot: int, desk_s: int = 0):
    """The engine's vehicle of a territory's owner: working days, shifts and breaks after leave and
    duties (:mod:`planner.design.availability`), ``desk_s`` a day kept free for contacts."""
    mdays = row_days(loaded, ds, days, manager_id=s.manager_id, team=s.team,
                     shift=(s.shift_start_s, s.shift_end_s), row=s.manager_row)
    return vehicle(loaded, mdays, depot=depot, shift=(s.shift_start_s, s.shift_end_s), max_visits=s.max_visits,
                   desk_s=desk_s)

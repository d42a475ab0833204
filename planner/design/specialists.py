"""Specialists' visits: key customers served across the department by the team's specialists
(communication, market analysis, business guidance) next to their own manager's visits.

A specialist is a row of the managers file with ``role: specialist`` and ``skills``; it owns no
territory. A class with ``specialist_visits_per_cycle`` asks for that many visits per 4-week cycle
(scaled to the horizon) by a specialist with its ``specialist_skill``, of ``specialist_service_min``
minutes (default ``service_min``).

Rules
-----
1. **Pool**: a retailer's pool is the specialists of its territory owner's team with the class's
   skill (none: its specialist visits are unplanned, reason ``unreachable``).
2. **Split** ("balanced across them"): each retailer's specialist visits go to one specialist
   of its pool. Pools are split in order of (team, skill); in a pool the retailers are taken by
   decreasing regret (travel time from the second-nearest base minus the nearest, then id) and
   each goes to the nearest specialist whose specialist time (visits x service, counted over all
   the specialist's pools) stays within ``ceil(pool time / pool size)`` plus the previous pools'
   time; when none can, to the least loaded. Two specialists and four equal retailers: two each.
3. **Day rule** (soft, "a different day from the regular visit where possible"): a retailer's
   specialist visits take a regular pattern of their number of visits none of whose days is a
   day of the retailer's planned regular visits; when every pattern meets one, any pattern.
4. **Calendars**: one engine problem per specialist over its retailers, with its base, shift,
   breaks, leave and duties (:mod:`planner.design.availability`), service windows from the opening
   hours with the specialist service time, the class's value and the scenario's lambda; solved
   with the scenario's calendar method and a share of the per-manager time limit and iteration
   limit (half the specialist's visits / the mean visits of a territory, at least 5 %).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from planner.config.scenario import LoadedScenario
from planner.design.availability import row_days, vehicle
from planner.design.calendars import CalendarCache, calendar_stop, solve_calendars
from planner.design.context import Context
from planner.design.horizon import days_per_week
from planner.design.policy import windows
from planner.design.territories import Slot, Territories
from solvers.common import UnplannedReason
from solvers.schedule import ScheduleParams, standard_patterns
from solvers.schedule.problem import ScheduleProblem, ScheduleResult


@dataclass
class SpecialistPlan:
    """The specialists (as slots), each one's calendar, and the visits with no specialist."""

    slots: list[Slot]
    calendars: dict[int, tuple[np.ndarray, ScheduleResult]] = field(default_factory=dict)
    assigned: dict[int, int] = field(default_factory=dict)  # retailer index -> specialist slot index
    no_pool: list[tuple[int, str, UnplannedReason, str]] = field(default_factory=list)  # (retailer, team, reason, message)


def specialist_slots(ctx: Context) -> list[Slot]:
    """Every specialist of the managers file, as a slot (its base, shift and visit limit)."""
    m = ctx.ds.managers
    out = []
    for k in np.flatnonzero((m["role"] == "specialist").to_numpy()):
        row = m.iloc[int(k)]
        mv = row["max_visits_per_day"]
        mv = int(mv) if mv == mv else ctx.loaded.scenario.calendar.max_visits_per_day
        out.append(Slot(str(row["manager_id"]), str(row["team"]), ctx.R + int(k), float(row["lon"]), float(row["lat"]),
                        int(row["shift_start_s"]), int(row["shift_end_s"]), mv, False, int(k),
                        float(row["lon_input"]), float(row["lat_input"])))
    return out


def specialist_needs(loaded: LoadedScenario, classes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per retailer: specialist visits required in the horizon, the skill (lower case, "" none) and
    seconds per specialist visit."""
    sc = loaded.scenario
    need = np.array([sc.required_specialist_visits(c) for c in classes], dtype=np.int64)
    skill = np.array([str(sc.classes[c].specialist_skill or "").strip().lower() for c in classes], dtype=object)
    minutes = [sc.classes[c].specialist_service_min if sc.classes[c].specialist_service_min is not None
               else sc.classes[c].service_min for c in classes]
    return need, skill, np.rint(np.asarray(minutes, dtype=float) * 60).astype(np.int64)


def split(ctx: Context, terr: Territories, slots: list[Slot]) -> SpecialistPlan:
    """Rules 1-2: each retailer needing specialist visits to one specialist of its pool."""
    r = ctx.ds.retailers
    need, skill, svc = specialist_needs(ctx.loaded, r["class"].to_numpy())
    plan = SpecialistPlan(slots=slots)
    if not need.any():
        return plan
    team_of = np.array([terr.slots[k].team for k in terr.owner], dtype=object)
    skills = ctx.ds.managers["skills"].to_numpy()
    load = np.zeros(len(slots))
    rid = r["retailer_id"].to_numpy().astype(str)
    wanted = np.flatnonzero(need > 0)
    for team, sk in sorted({(str(team_of[i]), str(skill[i])) for i in wanted}):
        members = np.array([i for i in wanted if team_of[i] == team and skill[i] == sk], dtype=np.int64)
        pool = [j for j, s in enumerate(slots) if s.team == team and sk in skills[s.manager_row]]
        if not pool:
            for i in members:
                plan.no_pool.append((int(i), team, "unreachable", f"team {team} has no specialist with skill {sk}"))
            continue
        t = ctx.travel.soft.to_targets(np.array([slots[j].base_loc for j in pool]))[members].astype(float)
        w = (need[members] * svc[members]).astype(float)
        cap = math.ceil(w.sum() / len(pool)) + load[pool]
        srt = np.sort(t, axis=1)
        regret = srt[:, 1] - srt[:, 0] if len(pool) > 1 else np.zeros(len(members))
        for q in sorted(range(len(members)), key=lambda q: (-regret[q], rid[members[q]])):
            near = np.argsort(t[q], kind="stable")
            fits = [c for c in near if load[pool[c]] + w[q] <= cap[c]]
            c = int(fits[0]) if fits else int(min(range(len(pool)), key=lambda c: (load[pool[c]], c)))
            load[pool[c]] += w[q]
            plan.assigned[int(members[q])] = pool[c]
    return plan


def specialist_patterns(visits: int, avoid: set[int], weeks: int, dpw: int) -> tuple[tuple[int, ...], ...]:
    """Rule 3: regular patterns of ``visits`` visits that avoid the days ``avoid`` (all if none does)."""
    pats = standard_patterns(visits, weeks, dpw) if visits > 0 else ()
    keep = tuple(p for p in pats if not avoid.intersection(p))
    return keep or pats


def schedule_specialists(ctx: Context, terr: Territories, calendars: dict, *,
                         cache: CalendarCache | None = None) -> SpecialistPlan:
    """Rules 1-4: every specialist's calendar, after the managers' calendars ``calendars``
    (``cache``: calendars solved before for the same problems are reused)."""
    plan = split(ctx, terr, specialist_slots(ctx))
    if not plan.assigned:
        return plan
    sc = ctx.loaded.scenario
    r = ctx.ds.retailers
    cls = r["class"].to_numpy()
    need, _, svc = specialist_needs(ctx.loaded, cls)
    regular: dict[int, set[int]] = {}
    for units, res in calendars.values():
        for rt in res.routes:
            for st in rt.stops:
                regular.setdefault(int(units[st.customer]), set()).add(rt.day)
    win = windows(ctx.loaded, ctx.ds, ctx.days, service_s=svc)
    dpw = days_per_week(ctx.loaded)
    mean_visits = float(np.mean([sum(len(rt.stops) for rt in res.routes) + len(res.unplanned)
                                 for _, res in calendars.values()])) if calendars else 1.0
    params = ScheduleParams(backend=sc.schedule.backend)
    jobs: list[tuple[int, np.ndarray]] = []
    tasks = []
    for j, s in enumerate(plan.slots):
        units = np.array(sorted(i for i, jj in plan.assigned.items() if jj == j), dtype=np.int64)
        if not len(units):
            continue
        locs = np.concatenate([units, [s.base_loc]])
        pats = tuple(specialist_patterns(int(need[i]), regular.get(int(i), set()), sc.calendar.weeks, dpw)
                     for i in units)
        mdays = row_days(ctx.loaded, ctx.ds, ctx.days, manager_id=s.manager_id, team=s.team,
                         shift=(s.shift_start_s, s.shift_end_s), row=s.manager_row)
        veh = vehicle(ctx.loaded, mdays, depot=len(units), shift=(s.shift_start_s, s.shift_end_s),
                      max_visits=s.max_visits)
        prob = ScheduleProblem(
            n_days=len(ctx.days), travel_s=ctx.travel.oracle.matrix(locs), service_s=svc[units].astype(np.int64),
            required=np.array([len(p[0]) if p else 0 for p in pats], dtype=np.int64), patterns=pats,
            windows=win[units], value=np.array([sc.classes[c].value for c in cls[units]], dtype=float),
            vehicles=(veh,), lam=sc.schedule.lam, days_per_week=dpw)
        share = max(0.05, min(1.0, 0.5 * float(need[units].sum()) / max(mean_visits, 1.0)))
        stop = calendar_stop(ctx.loaded).scaled(share)
        jobs.append((j, units))
        tasks.append((prob, sc.schedule.method, stop, ctx.seed, params))
    for (j, units), res in zip(jobs, solve_calendars(ctx, "Scheduling specialist visits", tasks, cache=cache), strict=True):
        plan.calendars[j] = (units, res)
    return plan

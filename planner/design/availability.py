"""Each manager's working time in the horizon: days off (holidays, leave), the day's shift after
the weekly duties (``calendar.duties``), the breaks that stay possible, desk time reserved for
contacts, and the available time territory shares may follow (``territories.balance_by``).

Rules (the validator implements them on its own, :mod:`planner.validate.availability`)
-------------------------------------------------------------------------------------
1. A day is worked when it is a working day of the horizon (not a holiday) and not a date of the
   manager's ``leave``.
2. The day's duties (its weekday in ``weekdays``, ``who`` naming the manager: ``all``, the
   manager's team, the manager's id or a list holding it), clipped to the manager's shift, take
   their union; what remains of the shift runs from its first free time (the day's start) to its
   last (the day's end), and the gaps in between are *blocked intervals* of the day: a duty at
   the start of the shift moves the start, one at the end moves the end, one in the middle blocks
   its time. A day the duties take entirely is not worked.
3. A break rule ``{start, end, duration}`` is kept on a day when it can be taken inside the day's
   shift outside the blocked intervals: its earliest start becomes the first ``c`` among
   ``start``, the day's start and the ends of blocked intervals with ``c >= start``, ``c >= day
   start``, ``c + duration <= min(end, day end)`` and ``[c, c + duration)`` free of blocked
   intervals; its latest start stays ``end - duration``. Otherwise it is dropped that day (it
   is taken around the duty).
4. Available time: the sum over worked days of ``end - start`` minus the blocked intervals and the
   kept breaks' durations. Leave days: working days of the horizon on leave. Duty time: on the
   other working days, the union of the day's duties clipped to the shift (the whole shift when
   the duties take all of it).

For the engine (:func:`vehicle`): ``Vehicle.days`` are the worked days, ``day_shifts`` the days'
shifts with the end moved earlier by the desk time reserved for contacts (``desk_s`` a day, see
:mod:`planner.design.contacts`; never into a blocked interval), ``day_breaks`` the kept breaks
plus each blocked interval as a fixed break. Without leave, duties and desk time the vehicle has
no per-day fields, exactly as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.config.scenario import LoadedScenario, parse_clock
from planner.design.horizon import Day
from planner.inputs.dataset import Dataset
from solvers.schedule.problem import Break, Vehicle


@dataclass(frozen=True, slots=True)
class ManagerDay:
    """One day of one manager: worked or not, the shift, blocked intervals and kept breaks."""

    working: bool
    start_s: int
    end_s: int
    blocks: tuple[tuple[int, int], ...] = ()  # (start_s, end_s) blocked by duties, in order
    breaks: tuple[Break, ...] = ()  # the day's breaks (rule 3); blocked intervals not included
    duties: tuple[str, ...] = ()  # names of the day's duties
    leave: bool = False  # a working day of the horizon the manager is on leave
    duty_s: int = 0  # time of the shift the day's duties take (their union, clipped to the shift)

    @property
    def available_s(self) -> int:
        if not self.working:
            return 0
        return (self.end_s - self.start_s - sum(b - a for a, b in self.blocks)
                - sum(b.duration_s for b in self.breaks))


def duty_names(who, manager_id: str, team: str) -> bool:
    """Whether a duty's ``who`` names this manager (rule 2)."""
    if isinstance(who, list):
        return manager_id in who
    return who == "all" or who == team or who == manager_id


def manager_days(loaded: LoadedScenario, days: list[Day], *, manager_id: str, team: str,
                 shift: tuple[int, int], leave: tuple = ()) -> list[ManagerDay]:
    """The rules of the module docstring for one manager, day by day."""
    cal = loaded.scenario.calendar
    weekday_names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    rules = [(parse_clock(b.start), parse_clock(b.end), int(round(b.duration_min * 60))) for b in cal.breaks]
    duties = [(d, parse_clock(d.start), parse_clock(d.end)) for d in cal.duties
              if duty_names(d.who, manager_id, team)]
    off = set(leave)
    out = []
    for day in days:
        if not day.working or day.date in off:
            out.append(ManagerDay(False, shift[0], shift[0], leave=day.working))
            continue
        todays = [(a, b, d.name) for d, a, b in duties if weekday_names[day.weekday] in d.weekdays]
        names = tuple(n for _, _, n in sorted(todays, key=lambda x: (x[0], x[1], x[2])))
        taken: list[tuple[int, int]] = []  # the union of the day's duties, clipped to the shift
        for a, b in sorted((max(a, shift[0]), min(b, shift[1])) for a, b, _ in todays):
            if b <= a:
                continue
            if taken and a <= taken[-1][1]:
                taken[-1] = (taken[-1][0], max(taken[-1][1], b))
            else:
                taken.append((a, b))
        free, t = [], shift[0]
        for a, b in taken:
            if a > t:
                free.append((t, a))
            t = max(t, b)
        if t < shift[1]:
            free.append((t, shift[1]))
        duty_s = sum(b - a for a, b in taken)
        if not free:
            out.append(ManagerDay(False, shift[0], shift[0], duties=names, duty_s=duty_s))
            continue
        start, end = free[0][0], free[-1][1]
        blocks = [(free[q][1], free[q + 1][0]) for q in range(len(free) - 1)]
        brks = []
        for w0, w1, dur in rules:
            cands = sorted({w0, start, *(b for _, b in blocks)})
            for c in cands:
                if c < w0 or c < start or c + dur > min(w1, end):
                    continue
                if any(c < b and a < c + dur for a, b in blocks):
                    continue
                brks.append(Break(earliest_s=c, latest_s=w1 - dur, duration_s=dur))
                break
        out.append(ManagerDay(True, start, end, tuple(blocks), tuple(brks), names, duty_s=duty_s))
    return out


def row_days(loaded: LoadedScenario, ds: Dataset, days: list[Day], *, manager_id: str, team: str,
             shift: tuple[int, int], row: int | None) -> list[ManagerDay]:
    """:func:`manager_days` of a manager of the managers file (``row``; ``None``: a vacant
    position, which has no leave)."""
    leave = () if row is None else tuple(ds.managers["leave"].iat[row])
    return manager_days(loaded, days, manager_id=manager_id, team=team, shift=shift, leave=leave)


def vehicle(loaded: LoadedScenario, mdays: list[ManagerDay], *, depot: int, shift: tuple[int, int],
            max_visits: int | None, desk_s: int = 0) -> Vehicle:
    """The engine's vehicle of a manager (module docstring); no per-day fields when every worked
    day is the plain shift with the scenario's breaks and no desk time is reserved."""
    cal = loaded.scenario.calendar
    plain = tuple(Break(earliest_s=parse_clock(b.start), latest_s=parse_clock(b.end) - int(round(b.duration_min * 60)),
                        duration_s=int(round(b.duration_min * 60))) for b in cal.breaks)
    worked = tuple(d.working for d in mdays)
    special = desk_s > 0 or any(d.working and ((d.start_s, d.end_s) != shift or d.blocks or d.breaks != plain)
                                for d in mdays)
    if not special:
        return Vehicle(depot=depot, days=worked, shift_start_s=shift[0], shift_end_s=shift[1], breaks=plain,
                       max_visits=max_visits)
    shifts: list[tuple[int, int] | None] = []
    breaks: list[tuple[Break, ...] | None] = []
    days_ok = list(worked)
    for k, d in enumerate(mdays):
        if not d.working:
            shifts.append(None)
            breaks.append(None)
            continue
        end = d.end_s - max(int(desk_s), 0)
        for a, b in d.blocks:
            if a < end < b:
                end = a
        if end <= d.start_s:  # the desk time takes the whole day: no route
            end = d.end_s
            days_ok[k] = False
        fixed = tuple(Break(earliest_s=a, latest_s=a, duration_s=b - a) for a, b in d.blocks if a < end)
        shifts.append((d.start_s, end))
        breaks.append(tuple(sorted(d.breaks + fixed, key=lambda b: (b.earliest_s, b.latest_s, b.duration_s))))
    return Vehicle(depot=depot, days=tuple(days_ok), shift_start_s=shift[0], shift_end_s=shift[1], breaks=plain,
                   max_visits=max_visits, day_shifts=tuple(shifts), day_breaks=tuple(breaks))


def available_hours(mdays: list[ManagerDay]) -> float:
    """Rule 4, in hours."""
    return sum(d.available_s for d in mdays) / 3600.0


def availability_table(loaded: LoadedScenario, ds: Dataset, days: list[Day], slots) -> dict[str, dict]:
    """Per manager or specialist (``slots``: their slots): ``available_hours`` (rule 4),
    ``leave_days`` (working days of the horizon on leave), ``duty_hours`` (time duties take on the
    other working days)."""
    out = {}
    for s in slots:
        md = row_days(loaded, ds, days, manager_id=s.manager_id, team=s.team, shift=(s.shift_start_s, s.shift_end_s),
                      row=s.manager_row)
        out[s.manager_id] = {"available_hours": available_hours(md), "leave_days": sum(1 for d in md if d.leave),
                             "duty_hours": sum(d.duty_s for d in md) / 3600.0}
    return out


def shares(loaded: LoadedScenario, available: list[float]) -> np.ndarray | None:
    """Target workload shares of territories (``territories.balance_by``): ``None`` (equal
    shares) by default; with ``available_time`` in proportion to the owners' available hours."""
    if loaded.scenario.territories.balance_by != "available_time":
        return None
    a = np.asarray(available, dtype=float)
    if not len(a) or a.sum() <= 0:
        return None
    return a / a.sum()

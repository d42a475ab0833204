"""The validator's own reading of managers' time: leave, weekly duties and the breaks of each day.

Written from the documented rules (README, ``calendar.duties``), not from the planner's code.

* A person (manager or specialist) works a day of the horizon when it is not a holiday and not
  one of the dates of the ``leave`` column of the managers file.
* A duty applies to a person on the days of its ``weekdays`` when ``who`` is ``all``, the
  person's team, the person's id, or a list holding the id. The duties of a day, clipped to the
  person's shift, block their union; the day's shift runs from the first unblocked time to the
  last; blocked time in between is a *blocked interval* (no visit, no travel, no contact). When
  nothing is left the day is not worked.
* A break rule ``{start, end, duration}`` applies on a worked day when some start ``c`` with
  ``c >= start``, ``c >= the day's start``, ``c + duration <= end``, ``c + duration <= the day's
  end`` keeps ``[c, c + duration)`` clear of blocked intervals; the earliest such ``c`` (it is
  ``start``, the day's start or the end of a blocked interval) is the break's earliest start,
  ``end - duration`` its latest. Otherwise the break is not due that day.
* Leave days are working days of the horizon on leave; duty time is the blocked union on the
  other working days; available time is what remains of the worked days' shifts minus the breaks.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.config.scenario import parse_clock
from planner.validate.calendar import WEEKDAY_NAMES, BreakWindow, HorizonDay


@dataclass(frozen=True, slots=True, kw_only=True)
class DutyRule:
    """One ``calendar.duties`` entry as the validator reads it."""

    name: str
    weekdays: frozenset[int]  # 0 = Monday
    start_s: int
    end_s: int
    who: str | tuple[str, ...]

    def names(self, person: str, team: str) -> bool:
        if isinstance(self.who, tuple):
            return person in self.who
        return self.who in ("all", team, person)


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkDay:
    """One day of one person."""

    working: bool
    start_s: int = 0
    end_s: int = 0
    blocked: tuple[tuple[int, int, str], ...] = ()  # (start, end, duty names) inside the day
    breaks: tuple[BreakWindow, ...] = ()
    leave: bool = False
    duty_s: int = 0

    @property
    def available_s(self) -> int:
        if not self.working:
            return 0
        return (self.end_s - self.start_s - sum(b - a for a, b, _ in self.blocked)
                - sum(b.duration_s for b in self.breaks))


def person_days(days: list[HorizonDay], duties: list[DutyRule], rules: list[tuple[int, int, int]], *,
                person: str, team: str, shift: tuple[int, int], leave: set) -> list[WorkDay]:
    """The rules of the module docstring, day by day (``rules``: break ``(start, end, duration)``)."""
    s0, s1 = shift
    out: list[WorkDay] = []
    mine = [d for d in duties if d.names(person, team)]
    for day in days:
        if not day.working:
            out.append(WorkDay(working=False))
            continue
        if day.date in leave:
            out.append(WorkDay(working=False, leave=True))
            continue
        # mark every second of the shift a duty takes, by boundaries
        spans = sorted((max(d.start_s, s0), min(d.end_s, s1), d.name) for d in mine
                       if day.weekday in d.weekdays and min(d.end_s, s1) > max(d.start_s, s0))
        union: list[list] = []
        for a, b, name in spans:
            if union and a <= union[-1][1]:
                union[-1][1] = max(union[-1][1], b)
                union[-1][2].append(name)
            else:
                union.append([a, b, [name]])
        duty_s = sum(b - a for a, b, _ in union)
        head = union[0][1] if union and union[0][0] <= s0 else s0
        tail = union[-1][0] if union and union[-1][1] >= s1 else s1
        if tail <= head:
            out.append(WorkDay(working=False, duty_s=duty_s))
            continue
        blocked = tuple((a, b, ", ".join(n)) for a, b, n in union if a > s0 and b < s1)
        breaks = []
        for w0, w1, dur in rules:
            starts = sorted({w0, head, *(b for _, b, _ in blocked)})
            ok = [c for c in starts if c >= max(w0, head) and c + dur <= min(w1, tail)
                  and not any(a < c + dur and c < b for a, b, _ in blocked)]
            if ok:
                breaks.append(BreakWindow(earliest_s=ok[0], latest_s=w1 - dur, duration_s=dur))
        out.append(WorkDay(working=True, start_s=head, end_s=tail, blocked=blocked, breaks=tuple(breaks),
                           duty_s=duty_s))
    return out


def duty_rules(duties) -> list[DutyRule]:
    """The scenario's ``calendar.duties`` as :class:`DutyRule` s."""
    return [DutyRule(name=d.name, weekdays=frozenset(WEEKDAY_NAMES.index(w) for w in d.weekdays),
                     start_s=parse_clock(d.start), end_s=parse_clock(d.end),
                     who=tuple(d.who) if isinstance(d.who, list) else str(d.who)) for d in duties]

"""The validator's own calendar rules: horizon, required visits, allowed visit patterns, breaks.

Written from the documented rules, not from the planner's code (which the validator must not
import), so that a mistake in either shows up as a disagreement.

Horizon
-------
``weeks`` x ``working_days``, day index ``t = week * W + k`` for the ``k``-th working weekday
(``W`` working days a week) of week ``week``; its date is that weekday in week ``week`` counted
from the Monday of the start date's week, moved ``weeks`` weeks later when it falls before the
start date (a horizon starting on a Wednesday ends with the Monday and Tuesday after its last
week). Holidays keep their index but are not worked.

Required visits
---------------
A class with custom ``patterns`` needs as many visits as its first pattern has days; otherwise
``visits_per_cycle`` (per 4-week cycle) scaled to the horizon, ``round(visits_per_cycle *
weeks / 4)`` with Python's rounding (half to even). Remote classes need the same number of
contacts but no route.

Allowed patterns (``v`` visits, ``n`` weeks, ``W`` working days a week, ``T = n W`` days)
-----------------------------------------------------------------------------------------
1. ``v == 0``: only the empty pattern.
2. ``n`` divisible by ``v`` (every ``m = n / v`` weeks on a fixed weekday): for each start day
   ``s`` of the first ``m`` weeks, ``{s + j m W : j = 0 .. v-1}``.
3. otherwise, ``v = k n`` with ``2 <= k <= W`` (``k`` times a week): the same ``k`` weekdays every
   week, for every ``k``-set of weekday positions whose spacing is best: largest smallest cyclic
   gap counted in working days (cycle ``W``), ties broken by the largest smallest cyclic gap in
   calendar days (the positions taken as consecutive days of a 7-day week).
4. when neither rule gives a pattern: evenly spaced, ``{o + floor(j T / v) : j = 0 .. v-1}`` for
   every offset ``o >= 0`` that keeps the last day inside the horizon (none if ``v > T``).

Holidays do not change the patterns (a visit is never planned on a holiday: that is checked on
its own). A planned visit set is regular when it is a subset of one allowed pattern.

Breaks
------
A break rule ``{start, end, duration_min}`` must start between ``start`` and ``end - duration``;
a route that ends at or before ``start`` needs no break.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
Pattern = tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class HorizonDay:
    """One day of the planning horizon."""

    index: int
    date: dt.date
    weekday: int  # 0 = Monday
    working: bool  # False on a holiday


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakWindow:
    """A break of ``duration_s`` starting between ``earliest_s`` and ``latest_s``."""

    earliest_s: int
    latest_s: int
    duration_s: int


def horizon_days(start: dt.date, weeks: int, working_days: Sequence[str],
                 holidays: Sequence[dt.date] = ()) -> list[HorizonDay]:
    """The days of the horizon in day-index order (see module docstring).

    Parameters
    ----------
    start:
        First day of the horizon.
    weeks:
        Number of weeks.
    working_days:
        Working weekday names (``"Mon"`` .. ``"Sun"``), in weekday order.
    holidays:
        Dates that keep their day index but are not worked.
    """
    weekdays = sorted(WEEKDAY_NAMES.index(d) for d in working_days)
    week_start = start - dt.timedelta(days=start.weekday())
    off = set(holidays)
    days: list[HorizonDay] = []
    for week in range(weeks):
        for wd in weekdays:
            date = week_start + dt.timedelta(weeks=week, days=wd)
            if date < start:
                date += dt.timedelta(weeks=weeks)
            days.append(HorizonDay(index=len(days), date=date, weekday=wd, working=date not in off))
    return days


def required_visits(*, visits_per_cycle: int, weeks: int, patterns: Sequence[Sequence[int]] | None) -> int:
    """Visits a class needs in the horizon (see module docstring)."""
    if patterns:
        return len(patterns[0])
    return int(round(visits_per_cycle * weeks / 4))


def _min_cyclic_gap(positions: Sequence[int], cycle: int) -> int:
    gaps = [b - a for a, b in itertools.pairwise(positions)]
    gaps.append(cycle - positions[-1] + positions[0])
    return min(gaps)


def best_spaced_weekdays(k: int, days_per_week: int) -> list[tuple[int, ...]]:
    """The ``k``-sets of weekday positions with the best spacing (rule 3 of the module docstring)."""
    calendar_week = max(7, days_per_week)
    scored = {s: (_min_cyclic_gap(s, days_per_week), _min_cyclic_gap(s, calendar_week))
              for s in itertools.combinations(range(days_per_week), k)}
    if not scored:
        return []
    best = max(scored.values())
    return [s for s, v in scored.items() if v == best]


def evenly_spaced(visits: int, n_days: int) -> list[Pattern]:
    """Rule 4: ``{o + floor(j T / v)}`` for every offset that fits (exact integer arithmetic)."""
    if visits <= 0 or visits > n_days:
        return []
    steps = [j * n_days // visits for j in range(visits)]
    out = []
    o = 0
    while o + steps[-1] < n_days:
        out.append(tuple(o + s for s in steps))
        o += 1
    return out


def allowed_patterns(visits: int, weeks: int, days_per_week: int) -> tuple[Pattern, ...]:
    """Every allowed regular pattern for ``visits`` visits (sorted tuples, sorted).

    Examples
    --------
    >>> allowed_patterns(4, 4, 5)[:2]
    ((0, 5, 10, 15), (1, 6, 11, 16))
    >>> allowed_patterns(8, 4, 5)
    ((0, 3, 5, 8, 10, 13, 15, 18), (1, 4, 6, 9, 11, 14, 16, 19))
    """
    if visits == 0:
        return ((),)
    W, T = days_per_week, weeks * days_per_week
    found: set[Pattern] = set()
    if weeks % visits == 0:
        every = weeks // visits
        found = {tuple(s + j * every * W for j in range(visits)) for s in range(every * W)}
    elif visits % weeks == 0 and 2 <= visits // weeks <= W:
        for s in best_spaced_weekdays(visits // weeks, W):
            found.add(tuple(sorted(w + week * W for week in range(weeks) for w in s)))
    if not found:
        found = set(evenly_spaced(visits, T))
    return tuple(sorted(found))


def class_patterns(*, visits: int, weeks: int, days_per_week: int,
                   custom: Sequence[Sequence[int]] | None) -> tuple[Pattern, ...]:
    """Allowed patterns of a class: its custom ``patterns`` if given, else :func:`allowed_patterns`."""
    if custom:
        return tuple(sorted({tuple(sorted(int(d) for d in p)) for p in custom}))
    return allowed_patterns(visits, weeks, days_per_week)


def is_regular(days: Sequence[int], patterns: Sequence[Pattern]) -> bool:
    """Whether the visit days are a subset of one allowed pattern."""
    want = set(days)
    return any(want <= set(p) for p in patterns)


def break_windows(rules: Sequence[tuple[int, int, float]]) -> list[BreakWindow]:
    """Break windows from ``(start_s, end_s, duration_min)`` rules, in order of earliest start."""
    out = []
    for start_s, end_s, minutes in rules:
        dur = int(round(minutes * 60))
        out.append(BreakWindow(earliest_s=int(start_s), latest_s=int(end_s) - dur, duration_s=dur))
    return sorted(out, key=lambda b: (b.earliest_s, b.latest_s, b.duration_s))


def fit_breaks(gaps: Sequence[tuple[int, int]], breaks: Sequence[BreakWindow], end_s: int) -> list[BreakWindow]:
    """The due breaks that do not fit into the idle intervals ``gaps`` of a route ending at ``end_s``.

    Breaks are placed one after another in order of their earliest start, each as early as
    possible (inside one idle interval, after the previous break); placing each break as early
    as possible never hurts the later ones, so a break reported here fits in no placement.
    """
    missing = []
    ordered = sorted(gaps)
    free = -1
    for b in breaks:
        if end_s <= b.earliest_s:
            continue
        placed = None
        for g0, g1 in ordered:
            s = max(g0, b.earliest_s, free)
            if s <= b.latest_s and s + b.duration_s <= g1:
                placed = s
                break
        if placed is None:
            missing.append(b)
        else:
            free = placed + b.duration_s
    return missing

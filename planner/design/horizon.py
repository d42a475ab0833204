"""The calendar horizon: the days of the scenario's cycle (``calendar.weeks`` x
``calendar.working_days`` from the start date's week), each with its date, weekday and whether it
is worked (holidays are not)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from planner.config.scenario import WEEKDAYS, LoadedScenario


@dataclass(frozen=True)
class Day:
    index: int
    date: dt.date
    weekday: int  # 0 = Monday
    working: bool  # False on holidays


def horizon(loaded: LoadedScenario) -> list[Day]:
    """Working days of the horizon: ``weeks`` x ``working_days`` from the start date's week."""
    cal = loaded.scenario.calendar
    start = loaded.start_date
    monday = start - dt.timedelta(days=start.weekday())
    wd = [WEEKDAYS.index(d) for d in cal.working_days]
    days = []
    for w in range(cal.weeks):
        for d in wd:
            date = monday + dt.timedelta(days=7 * w + d)
            if date < start:
                date += dt.timedelta(days=7 * cal.weeks)
            days.append(Day(len(days), date, d, date not in set(cal.holidays)))
    return days


def days_per_week(loaded: LoadedScenario) -> int:
    return len(loaded.scenario.calendar.working_days)

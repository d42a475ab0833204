"""The calendar part of a scenario: clock times, the shift, breaks, weekly duties and the
horizon settings (``calendar:``). Re-exported by :mod:`planner.config.scenario`."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_CLOCK = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)(?::([0-5]\d))?$")


def parse_clock(value: str | int | float) -> int:
    """``"08:30"`` / ``"08:30:15"`` -> seconds from midnight (24:00 allowed as end of day)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # YAML 1.1 reads 08:30 unquoted as a sexagesimal number of minutes (510): accept it.
        v = int(value)
        if 0 <= v <= 24 * 60:
            return v * 60
        raise ValueError(f"{value!r} is not a clock time like '08:30'")
    m = _CLOCK.match(str(value).strip())
    if not m:
        raise ValueError(f"{value!r} is not a clock time like '08:30'")
    h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    total = h * 3600 + mi * 60 + s
    if total > 24 * 3600:
        raise ValueError(f"{value!r} is after 24:00")
    return total


def format_clock(seconds: int) -> str:
    """Seconds from midnight -> ``"HH:MM:SS"`` (hours may exceed 23 past midnight)."""
    seconds = int(seconds)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


Clock = str


class Shift(_Strict):
    start: Clock = "08:30"
    end: Clock = "17:30"

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock(cls, v: Any) -> str:
        return format_clock(parse_clock(v))

    @model_validator(mode="after")
    def _order(self) -> Shift:
        if parse_clock(self.end) <= parse_clock(self.start):
            raise ValueError(f"shift end {self.end} must be after shift start {self.start}")
        return self


class BreakRule(_Strict):
    """A break of ``duration_min`` taken inside ``start``..``end``."""

    start: Clock
    end: Clock
    duration_min: float = Field(gt=0, le=240)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock(cls, v: Any) -> str:
        return format_clock(parse_clock(v))

    @model_validator(mode="after")
    def _fits(self) -> BreakRule:
        if parse_clock(self.end) - parse_clock(self.start) < self.duration_min * 60:
            raise ValueError(f"break window {self.start}-{self.end} is shorter than {self.duration_min} min")
        return self


class Duty(_Strict):
    """Managers' time that is not visits: a weekly meeting, a training half-day, an office day.

    Every week on ``weekdays`` from ``start`` to ``end`` the managers ``who`` names (``all``, a
    team name, or a list of manager ids) plan no visit, contact or route. A duty that covers the
    start (or the end) of a manager's shift moves the start (the end); one in the middle of the
    day is a blocked interval (no travel, no visit; a route around it pauses).
    """

    name: str = Field(min_length=1)
    weekdays: list[Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]] = Field(min_length=1)
    start: Clock
    end: Clock
    who: str | list[str] = Field(default="all", description="all, a team name, or a list of manager ids")

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock(cls, v: Any) -> str:
        return format_clock(parse_clock(v))

    @field_validator("who")
    @classmethod
    def _who(cls, v: str | list[str]) -> str | list[str]:
        if isinstance(v, list):
            v = [str(x).strip() for x in v]
            if not v or any(not x for x in v):
                raise ValueError("who: a list of manager ids must not be empty or hold empty ids")
            return v
        if not str(v).strip():
            raise ValueError("who: all, a team name or a list of manager ids")
        return str(v).strip()

    @model_validator(mode="after")
    def _order(self) -> Duty:
        if parse_clock(self.end) <= parse_clock(self.start):
            raise ValueError(f"duty {self.name!r}: end {self.end} must be after start {self.start}")
        return self


class Calendar(_Strict):
    start_date: dt.date | None = Field(default=None, description="first day of the horizon (a date); default: next Monday")
    weeks: int = Field(default=4, ge=1, le=12)
    working_days: list[Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]] = Field(
        default_factory=lambda: ["Mon", "Tue", "Wed", "Thu", "Fri"])
    shift: Shift = Field(default_factory=Shift)
    breaks: list[BreakRule] = Field(default_factory=lambda: [BreakRule(start="12:00", end="13:30", duration_min=30)])
    max_visits_per_day: int | None = Field(default=None, ge=1)
    holidays: list[dt.date] = Field(default_factory=list)
    duties: list[Duty] = Field(default_factory=list, description="weekly duties: {name, weekdays, start, end, who}")

    @field_validator("working_days")
    @classmethod
    def _unique_days(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("at least one working day is needed")
        if len(set(v)) != len(v):
            raise ValueError("working days are listed twice")
        return sorted(v, key=WEEKDAYS.index)

"""Visit policy per retailer from its class: required visits in the horizon, whether the class
is visited in person, the allowed visit patterns, the service-start windows from opening hours
and shifts, and the breaks.
"""

from __future__ import annotations

import numpy as np

from planner.config.scenario import LoadedScenario, parse_clock
from planner.design.horizon import Day, days_per_week
from planner.inputs.dataset import Dataset
from solvers.schedule import standard_patterns
from solvers.schedule.problem import Break


def required_visits(loaded: LoadedScenario, classes: np.ndarray) -> np.ndarray:
    sc = loaded.scenario
    per = {c: sc.required_visits(c) for c in sc.classes}
    return np.array([per[c] for c in classes], dtype=np.int64)


def is_routed(loaded: LoadedScenario, classes: np.ndarray) -> np.ndarray:
    """True for retailers whose class is visited in person (``mode: visit``)."""
    sc = loaded.scenario
    return np.array([sc.classes[c].mode == "visit" for c in classes], dtype=bool)


def windows(loaded: LoadedScenario, ds: Dataset, days: list[Day], service_s: np.ndarray | None = None) -> np.ndarray:
    """``(R, T, 2)`` service-start windows per retailer and day, in seconds from midnight.

    The opening hours of the day's weekday, intersected with the shift; where a day has several
    opening windows (e.g. a lunch closure) the longest one is used, so a visit planned in it is
    always inside opening hours. The latest service *start* is the close time minus the service
    time (``service_s``, default the retailers' own; a visit must end before closing).
    ``open > close`` marks a closed day.
    """
    cal = loaded.scenario.calendar
    s0, s1 = parse_clock(cal.shift.start), parse_clock(cal.shift.end)
    R, T = len(ds.retailers), len(days)
    out = np.empty((R, T, 2), dtype=np.int64)
    out[:, :, 0] = s0
    out[:, :, 1] = s1
    svc = ds.retailers["service_s"].to_numpy() if service_s is None else np.asarray(service_s)
    for i, week in enumerate(ds.retailers["hours"].to_numpy()):
        if week is not None:
            for t, day in enumerate(days):
                best = (1, 0)
                for a, b in week[day.weekday]:
                    a2, b2 = max(a, s0), min(b, s1)
                    if b2 - a2 > best[1] - best[0]:
                        best = (a2, b2)
                out[i, t] = best
        out[i, :, 1] -= svc[i]
        closed = out[i, :, 1] < out[i, :, 0]
        out[i, closed] = (1, 0)
    return out


def breaks(loaded: LoadedScenario) -> tuple[Break, ...]:
    return tuple(Break(earliest_s=parse_clock(b.start), latest_s=parse_clock(b.end) - int(round(b.duration_min * 60)),
                       duration_s=int(round(b.duration_min * 60))) for b in loaded.scenario.calendar.breaks)


def policy(loaded: LoadedScenario, classes: np.ndarray, required_override: dict[str, int] | None = None
           ) -> tuple[tuple[tuple[tuple[int, ...], ...], ...], np.ndarray]:
    """Allowed patterns and required visits per retailer from its class (optionally overridden)."""
    sc = loaded.scenario
    cache: dict[str, tuple] = {}
    for c in set(classes.tolist()):
        want = (required_override or {}).get(c)
        cp = sc.classes[c]
        if want is None and cp.patterns:
            cache[c] = tuple(tuple(sorted(p)) for p in cp.patterns)
        else:
            v = sc.required_visits(c) if want is None else int(want)
            cache[c] = tuple(standard_patterns(v, sc.calendar.weeks, days_per_week(loaded))) if v > 0 else ()
    pats = tuple(cache[c] for c in classes)
    req = np.array([len(p[0]) if p else 0 for p in pats], dtype=np.int64)
    return pats, req

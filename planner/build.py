"""From data and scenario to solver problems: horizon, visit policy, workload model, problems.

Workload model
--------------
The workload of retailer ``i`` over one cycle (the scenario's horizon) is::

    w_i = visits_i * (service_s_i + access_s_i)

where ``access_s_i`` is the travel time one visit costs on average. Following the
Beardwood-Halton-Hammersley / Daganzo approximation, a route through ``N`` points spread over
area ``A`` is about ``0.7124 * sqrt(N * A)`` long, i.e. ``0.7124 / sqrt(rho)`` per stop with stop
density ``rho``. We estimate the local density of *visits per working day* around each retailer
(from its 12 nearest neighbours) and convert the per-stop distance to time with the travel
model's seconds-per-metre, calibrated on sampled pairs of retailers (road network) or the
scenario's circuity and speed (straight line). ``territories.access_factor`` rescales the
estimate; after scheduling, the run reports estimated against actual workload per manager.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from planner.datasets import Dataset
from planner.scenario import WEEKDAYS, LoadedScenario, parse_clock
from solvers.common import UNREACHABLE
from solvers.schedule.problem import Break, ScheduleProblem, Vehicle

BHH = 0.7124


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


def required_visits(loaded: LoadedScenario, classes: np.ndarray) -> np.ndarray:
    sc = loaded.scenario
    per = {c: sc.required_visits(c) for c in sc.classes}
    return np.array([per[c] for c in classes], dtype=np.int64)


def is_routed(loaded: LoadedScenario, classes: np.ndarray) -> np.ndarray:
    """True for retailers whose class is visited in person (``mode: visit``)."""
    sc = loaded.scenario
    return np.array([sc.classes[c].mode == "visit" for c in classes], dtype=bool)


def windows(loaded: LoadedScenario, ds: Dataset, days: list[Day]) -> np.ndarray:
    """``(R, T, 2)`` service-start windows per retailer and day, in seconds from midnight.

    The opening hours of the day's weekday, intersected with the shift; where a day has several
    opening windows (e.g. a lunch closure) the longest one is used, so a visit planned in it is
    always inside opening hours. The latest service *start* is the close time minus the service
    time (a visit must end before closing). ``open > close`` marks a closed day.
    """
    cal = loaded.scenario.calendar
    s0, s1 = parse_clock(cal.shift.start), parse_clock(cal.shift.end)
    R, T = len(ds.retailers), len(days)
    out = np.empty((R, T, 2), dtype=np.int64)
    out[:, :, 0] = s0
    out[:, :, 1] = s1
    svc = ds.retailers["service_s"].to_numpy()
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


def seconds_per_metre(loaded: LoadedScenario, ds: Dataset, travel, seed: int = 0) -> float:
    """Travel seconds per straight-line metre, calibrated on sampled nearby retailer pairs."""
    tc = loaded.scenario.travel
    if tc.model == "straight_line":
        return tc.circuity / (tc.speed_kmh / 3.6)
    xy = ds.retailers[["x", "y"]].to_numpy()
    rng = np.random.default_rng(seed)
    src = np.sort(rng.choice(len(xy), size=min(64, len(xy)), replace=False))
    rows = travel.soft.from_sources(src).astype(float)
    tree = cKDTree(xy)
    ratios = []
    for k, s in enumerate(src):
        _, nb = tree.query(xy[s], k=min(25, len(xy)))
        nb = np.atleast_1d(nb)[1:]
        d = np.hypot(*(xy[nb] - xy[s]).T)
        t = rows[k, nb]
        ok = (d > 20) & (t < UNREACHABLE)
        ratios.extend((t[ok] / d[ok]).tolist())
    if not ratios:
        return tc.circuity / (tc.speed_kmh / 3.6)
    return float(np.median(ratios))


def access_seconds(xy: np.ndarray, visits_per_day: np.ndarray, spm: float, factor: float = 1.0) -> np.ndarray:
    """Per-visit travel estimate (BHH with local density of visits per day), in seconds."""
    n = len(xy)
    if n < 2:
        return np.zeros(n)
    k = min(12, n - 1)
    tree = cKDTree(xy)
    dist, nb = tree.query(xy, k=k + 1)
    r = np.maximum(dist[:, -1], 50.0)
    local_visits = visits_per_day[nb].sum(axis=1)
    rho = np.maximum(local_visits, 1e-9) / (np.pi * r * r)
    return factor * BHH / np.sqrt(rho) * spm


@dataclass
class Workload:
    visits: np.ndarray  # routed visits per retailer over the horizon
    service_s: np.ndarray  # per retailer, total over the horizon
    access_s: np.ndarray  # per retailer, total over the horizon
    seconds_per_metre: float

    @property
    def total_s(self) -> np.ndarray:
        return self.service_s + self.access_s


def workload(loaded: LoadedScenario, ds: Dataset, travel, days: list[Day]) -> Workload:
    r = ds.retailers
    req = required_visits(loaded, r["class"].to_numpy())
    routed = is_routed(loaded, r["class"].to_numpy())
    visits = np.where(routed, req, 0)
    spm = seconds_per_metre(loaded, ds, travel, loaded.scenario.solver.seed)
    xy = r[["x", "y"]].to_numpy()
    per_visit = access_seconds(xy, visits / max(len(days), 1), spm, loaded.scenario.territories.access_factor)
    service = req * r["service_s"].to_numpy()  # remote contacts take their service time too
    return Workload(visits=visits, service_s=service.astype(float), access_s=visits * per_visit, seconds_per_metre=spm)


@dataclass
class Slot:
    """The owner of one territory: a manager, or a vacant position (what-if scenarios)."""

    manager_id: str
    team: str
    base_loc: int  # global location index of the base (retailers first, then managers)
    lon: float
    lat: float
    shift_start_s: int
    shift_end_s: int
    max_visits: int | None
    vacant: bool = False
    manager_row: int | None = None


def breaks(loaded: LoadedScenario) -> tuple[Break, ...]:
    return tuple(Break(earliest_s=parse_clock(b.start), latest_s=parse_clock(b.end) - int(round(b.duration_min * 60)),
                       duration_s=int(round(b.duration_min * 60))) for b in loaded.scenario.calendar.breaks)


def policy(loaded: LoadedScenario, classes: np.ndarray, required_override: dict[str, int] | None = None
           ) -> tuple[tuple[tuple[tuple[int, ...], ...], ...], np.ndarray]:
    """Allowed patterns and required visits per retailer from its class (optionally overridden)."""
    from solvers.schedule import standard_patterns

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

"""Per-day availability of a vehicle: days off, a day's own shift, fixed breaks (blocked intervals).

Every solve stops on an iteration limit and is re-checked by :func:`solvers.schedule.verify`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from test_schedule import make

from solvers.common import Stop
from solvers.schedule import Break, ScheduleParams, Vehicle, greedy, solve, verify
from solvers.schedule.timing import Shift, time_route

H = 3600
STOP = Stop(time_limit_s=None, max_iterations=300)
MEETING = Break(earliest_s=12 * H, latest_s=12 * H, duration_s=2 * H)  # 12:00-14:00, fixed


def _problem(n_days: int = 2, **veh):
    rng = np.random.default_rng(5)
    n = 14
    xy = rng.uniform(-2000, 2000, size=(n, 2))
    p = make(xy, required=[1] * n, patterns=[[(d,) for d in range(n_days)]] * n, n_days=n_days,
             service=1800, shift=(8 * H, 17 * H), lam=1e6)
    v = p.vehicles[0]
    return replace(p, vehicles=(replace(v, **veh),))


def _solvers():
    yield "solver", lambda p: solve(p, stop=STOP, seed=1)
    yield "greedy", lambda p: greedy.solve(p, stop=STOP, seed=1)
    yield "ortools", lambda p: solve(p, stop=Stop(time_limit_s=None, max_iterations=60), seed=1,
                                     params=ScheduleParams(backend="ortools"))


@pytest.mark.parametrize("name", ["solver", "greedy", "ortools"])
def test_route_never_overlaps_a_blocked_interval(name: str) -> None:
    p = _problem(day_breaks=((MEETING,), None))
    r = dict(_solvers())[name](p)
    assert not verify(p, r), verify(p, r)[:3]
    day0 = [rt for rt in r.routes if rt.day == 0]
    assert day0, "day 0 still has a route"
    for rt in day0:
        busy = [(s.arrival_s - s.travel_s, s.arrival_s) for s in rt.stops]  # travel into each stop
        busy += [(s.start_s, s.departure_s) for s in rt.stops]  # service
        busy.append((rt.end_s - rt.return_travel_s, rt.end_s))  # the trip back
        for a, b in busy:
            assert b <= 12 * H or a >= 14 * H, (name, a, b)
        if rt.end_s > 12 * H:
            assert (12 * H, 2 * H) in rt.breaks
    # the blocked day offers 7 h instead of 9 h: fewer visits than on the free day
    per_day = {d: sum(len(rt.stops) for rt in r.routes if rt.day == d) for d in (0, 1)}
    assert per_day[0] <= per_day[1] + 1


@pytest.mark.parametrize("name", ["solver", "greedy", "ortools"])
def test_day_off_gets_no_route(name: str) -> None:
    p = _problem(n_days=3, days=(True, False, True))
    r = dict(_solvers())[name](p)
    assert not verify(p, r)
    assert all(rt.day != 1 for rt in r.routes)
    assert all(u.day != 1 for u in r.unplanned)


@pytest.mark.parametrize("name", ["solver", "greedy"])
def test_day_shift_moves_the_start_and_end(name: str) -> None:
    # day 0: a meeting 08:00-09:30 at the start and desk time from 16:00 shorten the shift
    p = _problem(day_shifts=((9 * H + 1800, 16 * H), None))
    r = dict(_solvers())[name](p)
    assert not verify(p, r)
    for rt in r.routes:
        if rt.day == 0:
            assert rt.start_s >= 9 * H + 1800 and rt.end_s <= 16 * H


def test_no_per_day_availability_gives_the_same_calendar() -> None:
    p = _problem()
    v = p.vehicles[0]
    same = replace(p, vehicles=(replace(v, day_shifts=(None, None), day_breaks=(None, None)),))
    a, b = solve(p, stop=STOP, seed=3), solve(same, stop=STOP, seed=3)
    assert a.routes == b.routes and a.objective == b.objective
    assert not v.per_day and not same.vehicles[0].per_day


def test_fixed_break_timing() -> None:
    travel = np.array([[0, 600, 600], [600, 0, 600], [600, 600, 0]])
    service = np.array([3600, 3600, 0])
    open_, close = np.array([0, 0, 0]), np.array([86400, 86400, 86400])
    sh = Shift(depot=2, start_s=8 * H, end_s=18 * H, breaks=((10 * H, 10 * H, H),))
    t = time_route(travel, sh, [0, 1], service, open_, close)
    assert t is not None
    # 08:00 -> 08:10 visit 0 until 09:10 -> 09:20 visit 1 would run into 10:00: the block comes first
    assert t.breaks == ((10 * H, H),)
    assert t.start[1] >= 11 * H
    # a route that is back before 10:00 does not need the block
    t1 = time_route(travel, sh, [0], service, open_, close)
    assert t1 is not None and t1.breaks == () and t1.end_s <= 10 * H


def test_verify_finds_a_visit_in_a_blocked_interval() -> None:
    p = _problem(day_breaks=((MEETING,), None))
    r = solve(p, stop=STOP, seed=1)
    rt = next(x for x in r.routes if x.day == 0 and x.end_s > 12 * H)
    bad = replace(rt, breaks=tuple(b for b in rt.breaks if b != (12 * H, 2 * H)))
    res = replace(r, routes=tuple(bad if x is rt else x for x in r.routes))
    assert any("not taken" in e for e in verify(p, res))


def test_vehicle_checks_its_per_day_fields() -> None:
    with pytest.raises(ValueError, match="one entry per day"):
        Vehicle(depot=1, days=(True, True), shift_start_s=0, shift_end_s=10, day_shifts=((0, 5),))
    with pytest.raises(ValueError, match="start_s < end_s"):
        Vehicle(depot=1, days=(True,), shift_start_s=0, shift_end_s=10, day_shifts=((5, 5),))
    with pytest.raises(ValueError, match="earliest_s <= latest_s"):
        Vehicle(depot=1, days=(True,), shift_start_s=0, shift_end_s=10,
                day_breaks=((Break(earliest_s=5, latest_s=4, duration_s=1),),))
    v = Vehicle(depot=1, days=(True, True), shift_start_s=0, shift_end_s=10, day_shifts=(None, (2, 8)),
                breaks=(Break(earliest_s=3, latest_s=5, duration_s=1),), day_breaks=((), None))
    assert v.shift_on(0) == (0, 10) and v.shift_on(1) == (2, 8)
    assert v.breaks_on(0) == () and v.breaks_on(1) == v.breaks and v.per_day

"""Exact route timing with breaks (hand-computed expectations)."""

from __future__ import annotations

import numpy as np

from solvers.schedule.timing import Shift, time_route

# locations 0, 1 customers, 2 depot; 10 minutes between any two
TT = np.array([[0, 600, 600], [600, 0, 600], [600, 600, 0]])
SERVICE = np.array([1800, 1800])
OPEN = np.array([0, 0])
CLOSE = np.array([86400, 86400])


def test_no_break_needed_before_earliest() -> None:
    sh = Shift(depot=2, start_s=8 * 3600, end_s=17 * 3600, breaks=((12 * 3600, 13 * 3600, 1800),))
    t = time_route(TT, sh, [0, 1], SERVICE, OPEN, CLOSE)
    assert t is not None
    assert t.arrival == (8 * 3600 + 600, 8 * 3600 + 3000)
    assert t.start == t.arrival
    assert t.end_s == 8 * 3600 + 4800 + 600 and t.breaks == ()


def test_break_taken_while_waiting() -> None:
    # customer 1 opens at 12:30: arrive 09:10 -> wait; break 12:00-12:30 fits in the wait
    sh = Shift(depot=2, start_s=8 * 3600, end_s=17 * 3600, breaks=((12 * 3600, 13 * 3600, 1800),))
    op = np.array([0, 12 * 3600 + 1800])
    t = time_route(TT, sh, [0, 1], SERVICE, op, CLOSE)
    assert t is not None
    assert t.start[1] == 12 * 3600 + 1800
    assert t.breaks == ((12 * 3600, 1800),)
    assert t.arrival[1] == t.departure[0] + 600  # break on arrival
    assert t.end_s == 12 * 3600 + 1800 + 1800 + 600


def test_break_before_travel_when_arrival_too_late() -> None:
    # break must start by 09:05; first visit ends 09:10 + ... -> break at the depot first
    sh = Shift(depot=2, start_s=8 * 3600, end_s=17 * 3600, breaks=((8 * 3600, 8 * 3600 + 300, 900),))
    t = time_route(TT, sh, [0], SERVICE, OPEN, CLOSE)
    assert t is not None
    assert t.breaks == ((8 * 3600, 900),)
    assert t.arrival[0] == 8 * 3600 + 900 + 600


def test_window_violation_infeasible() -> None:
    sh = Shift(depot=2, start_s=8 * 3600, end_s=17 * 3600)
    cl = np.array([8 * 3600, 86400])  # must start by 08:00 but cannot arrive before 08:10
    assert time_route(TT, sh, [0], SERVICE, OPEN, cl) is None


def test_break_pushes_past_window() -> None:
    # without the break customer 1 starts 08:50 (< close 08:55); a mandatory break 08:40-08:45 start
    # of 20 min makes it 09:10 -> infeasible in that order, feasible the other way round
    sh = Shift(depot=2, start_s=8 * 3600, end_s=17 * 3600, breaks=((8 * 3600 + 2400, 8 * 3600 + 2700, 1200),))
    svc = np.array([1200, 1200])
    cl = np.array([86400, 8 * 3600 + 3300])
    assert time_route(TT, sh, [0, 1], svc, OPEN, cl) is None
    t = time_route(TT, sh, [1, 0], svc, OPEN, cl)
    assert t is not None and t.start[0] == 8 * 3600 + 600


def test_shift_end_and_max_duration() -> None:
    sh = Shift(depot=2, start_s=8 * 3600, end_s=8 * 3600 + 5399)  # needs 5400 s
    assert time_route(TT, sh, [0, 1], SERVICE, OPEN, CLOSE) is None
    sh = Shift(depot=2, start_s=8 * 3600, end_s=20 * 3600, max_duration_s=5000)
    assert time_route(TT, sh, [0, 1], SERVICE, OPEN, CLOSE) is None
    # waiting at the first stop is avoided by leaving later
    op = np.array([10 * 3600, 0])
    t = time_route(TT, sh, [0], SERVICE, op, CLOSE)
    assert t is not None and t.start_s == 10 * 3600 - 600 and t.arrival[0] == t.start[0]

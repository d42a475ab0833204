"""Whole-horizon routing problem of the periodic path: day-free customers, neighbours, round trip."""

from __future__ import annotations

import numpy as np

from solvers.routing import slot_neighbours
from solvers.schedule import PeriodicParams, ScheduleParams, ScheduleProblem, Vehicle
from solvers.schedule.encoding import Encoder, from_routes
from solvers.schedule.horizon import horizon_encoding
from solvers.schedule.model import build_model
from solvers.schedule.moves import construct
from solvers.schedule.state import objective

H = 3600
PARAMS = ScheduleParams()
NEIGHBOURS = PeriodicParams().neighbours


def _problem() -> ScheduleProblem:
    """3 days; customers 0-5 once on any day, 6-7 on days (0, 2), 8 once on day 0 or day 2."""
    rng = np.random.default_rng(4)
    n, T = 9, 3
    xy = np.vstack([rng.uniform(0, 3000, size=(n, 2)), [[1500.0, 1500.0]]])
    tt = np.rint(np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))).astype(np.int64)
    windows = np.zeros((n, T, 2), dtype=np.int64)
    windows[:, :, 1] = 24 * H
    pats = [((0,), (1,), (2,))] * 6 + [((0, 2),)] * 2 + [((0,), (2,))]
    veh = tuple(Vehicle(depot=n, days=(True,) * T, shift_start_s=8 * H, shift_end_s=17 * H) for _ in range(2))
    return ScheduleProblem(n_days=T, travel_s=tt, service_s=np.full(n, 600, dtype=np.int64),
                           required=np.array([1] * 6 + [2, 2, 1]), patterns=tuple(pats), windows=windows,
                           value=np.ones(n), vehicles=veh, lam=1e4, days_per_week=T)


def test_horizon_encoding_day_free_clients_and_round_trip() -> None:
    p = _problem()
    m = build_model(p, PARAMS)
    enc = Encoder(m, master_neighbours=PARAMS.master_neighbours)
    sol = construct(m, np.random.default_rng(1))
    e, init = horizon_encoding(m, enc, sol, neighbours=NEIGHBOURS)
    cl = e.problem.clients
    by_customer: dict[int, list[int]] = {}
    for k, (i, _d) in enumerate(e.copies):
        by_customer.setdefault(i, []).append(k)
    # day-free: one client whose window runs from day 0's morning to day 2's evening
    for i in range(6):
        (k,) = by_customer[i]
        assert cl[k].tw_early <= 8 * H and cl[k].tw_late >= 2 * m.H + 17 * H
    # two-visit customers: one client per pattern day, inside that day
    for i in (6, 7):
        days = sorted(cl[k].tw_early // m.H for k in by_customer[i])
        assert days == [0, 2]
        assert all(cl[k].tw_late < (cl[k].tw_early // m.H + 1) * m.H for k in by_customer[i])
    # days 0 and 2 but not 1: not a range, so fixed to the day of its pattern
    (k8,) = by_customer[8]
    assert cl[k8].tw_early // m.H == sol.pattern[8][0] and cl[k8].tw_late < (sol.pattern[8][0] + 1) * m.H
    # the warm start is the calendar itself
    back = from_routes(m, e, init, sol)
    assert {k: r for k, r in back.routes.items() if r} == {k: r for k, r in sol.routes.items() if r}
    assert objective(m, back) == objective(m, sol)


def test_slot_neighbours_day_free_clients_meet_every_day() -> None:
    p = _problem()
    m = build_model(p, PARAMS)
    sol = construct(m, np.random.default_rng(1))
    e, _ = horizon_encoding(m, Encoder(m, master_neighbours=PARAMS.master_neighbours), sol, neighbours=NEIGHBOURS)
    nb = slot_neighbours(e.problem)
    assert nb is not None
    day = [c.tw_early // m.H if c.tw_late - c.tw_early < m.H else None for c in e.problem.clients]
    free = [k for k, d in enumerate(day) if d is None]
    fixed = [k for k, d in enumerate(day) if d is not None]
    # a day-free client may share a route with clients of any day: they are among its neighbours
    for k in free:
        assert {day[x] for x in nb[k] if day[x] is not None} == {day[x] for x in fixed}
    # a client fixed to one day never has a neighbour fixed to another day, and sees the free ones
    for k in fixed:
        assert all(day[x] in (None, day[k]) for x in nb[k])
        assert set(free) <= set(nb[k])
        assert k not in nb[k]

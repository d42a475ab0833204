"""The design pieces on tiny hand-made inputs with exact expected values: the calendar horizon,
the visit policy (required visits, patterns, opening-hour windows, breaks), the workload estimate
and the design's per-territory estimate."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from conftest import BASE_SCENARIO, write_scenario

from planner.config.scenario import load_scenario
from planner.design.context import prepare
from planner.design.horizon import horizon
from planner.design.policy import breaks, is_routed, policy, required_visits, windows
from planner.design.territories import Territories, estimated_workload, manager_slots
from planner.design.workload import BHH, access_seconds, seconds_per_metre, workload
from planner.inputs.dataset import load_dataset


def _loaded(tmp_path, scenario: str = BASE_SCENARIO, **kw):
    return load_scenario(write_scenario(tmp_path / "s", scenario=scenario, **kw))


def test_horizon_starts_in_the_start_week_and_wraps_days_before_the_start(tmp_path):
    text = BASE_SCENARIO.replace("  start_date: 2027-01-04\n  weeks: 4\n",
                                 "  start_date: 2027-01-06\n  weeks: 2\n  holidays: [2027-01-08]\n")
    days = horizon(_loaded(tmp_path, text))
    assert [d.index for d in days] == list(range(10))
    assert [d.date for d in days][:5] == [dt.date(2027, 1, 18), dt.date(2027, 1, 19), dt.date(2027, 1, 6),
                                          dt.date(2027, 1, 7), dt.date(2027, 1, 8)]
    assert [d.weekday for d in days] == [0, 1, 2, 3, 4] * 2
    assert [d.date for d in days][5:] == [dt.date(2027, 1, 11) + dt.timedelta(days=k) for k in range(5)]
    assert [d.working for d in days] == [True, True, True, True, False] + [True] * 5


def test_horizon_with_other_working_days(tmp_path):
    text = BASE_SCENARIO.replace("  weeks: 4\n", "  weeks: 1\n  working_days: [Tue, Sat]\n")
    days = horizon(_loaded(tmp_path, text))
    assert [(d.date, d.weekday) for d in days] == [(dt.date(2027, 1, 5), 1), (dt.date(2027, 1, 9), 5)]


def test_policy_required_visits_and_patterns(tmp_path):
    loaded = _loaded(tmp_path)
    cls = np.array(["A", "B", "C"])
    assert required_visits(loaded, cls).tolist() == [4, 2, 1]
    assert is_routed(loaded, cls).tolist() == [True, True, True]
    pats, req = policy(loaded, cls)
    assert req.tolist() == [4, 2, 1]
    assert pats[0] == tuple((s, s + 5, s + 10, s + 15) for s in range(5))  # weekly, fixed weekday
    assert pats[1] == tuple((s, s + 10) for s in range(10))  # every two weeks
    assert pats[2] == tuple((s,) for s in range(20))  # once in four weeks
    pats, req = policy(loaded, cls, required_override={"A": 8})
    assert req.tolist() == [8, 2, 1]
    assert pats[0] == (tuple(sorted(w + 5 * k for k in range(4) for w in (0, 3))),
                       tuple(sorted(w + 5 * k for k in range(4) for w in (1, 4))))  # Mon+Thu, Tue+Fri


def test_windows_take_the_longest_opening_window_inside_the_shift(tmp_path):
    retailers = """\
        retailer_id,lon,lat,class,opening_hours
        R1,24.9400,60.1700,A,Mo-Fr 08:00-12:00;Sa off
        R2,24.9410,60.1705,B,"Mo-Fr 07:00-12:00,13:30-19:00"
        R3,24.9420,60.1710,C,
        R4,24.9430,60.1715,C,Mo 08:00-08:50
        """
    loaded = _loaded(tmp_path, retailers=retailers)
    ds = load_dataset(loaded)
    days = horizon(loaded)
    w = windows(loaded, ds, days)
    s0, s1 = 8 * 3600 + 1800, 17 * 3600 + 1800  # default shift 08:30-17:30
    # R1 (A, 20 min): 08:30 .. 12:00 - 20 min, every weekday
    assert w[0, 0].tolist() == [s0, 12 * 3600 - 20 * 60]
    # R2 (B, 15 min): the afternoon window is longer inside the shift (13:30-17:30 vs 08:30-12:00)
    assert w[1, 2].tolist() == [13 * 3600 + 1800, s1 - 15 * 60]
    # R3 (no hours): the shift less the service time
    assert w[2, 4].tolist() == [s0, s1 - 10 * 60]
    # R4: open 08:30-08:50 inside the shift on Mondays: 20 min for a 10-min visit; closed otherwise
    assert w[3, 0].tolist() == [s0, 8 * 3600 + 40 * 60]
    assert w[3, 1].tolist() == [1, 0] and w[3, 5].tolist() == [s0, 8 * 3600 + 40 * 60]


def test_breaks_from_the_calendar(tmp_path):
    text = BASE_SCENARIO.replace("  weeks: 4\n", "  weeks: 4\n  breaks:\n    - {start: '11:30', end: '13:30', duration_min: 30}\n")
    (b,) = breaks(_loaded(tmp_path, text))
    assert (b.earliest_s, b.latest_s, b.duration_s) == (11 * 3600 + 1800, 13 * 3600, 1800)


def test_access_seconds_follow_the_bhh_formula():
    # a centre and 12 neighbours on a circle of 100 m: the centre's local density is the 13 points'
    # visits per day over the disc of radius 100 m
    ang = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    xy = np.vstack([[0.0, 0.0], np.column_stack([100 * np.cos(ang), 100 * np.sin(ang)])])
    vpd = np.full(13, 0.2)
    spm = 0.5
    got = access_seconds(xy, vpd, spm, factor=1.5)
    rho = 13 * 0.2 / (math.pi * 100.0 ** 2)
    assert got[0] == pytest.approx(1.5 * BHH / math.sqrt(rho) * spm, rel=1e-12)
    # a radius below 50 m counts as 50 m (no infinite densities for co-located shops)
    tiny = access_seconds(xy / 10.0, vpd, spm)
    assert tiny[0] == pytest.approx(BHH / math.sqrt(13 * 0.2 / (math.pi * 50.0 ** 2)) * spm, rel=1e-12)
    assert access_seconds(xy[:1], vpd[:1], spm).tolist() == [0.0]


def test_workload_estimate_on_the_straight_line_model(tmp_path):
    loaded = _loaded(tmp_path)
    ctx = prepare(loaded)
    spm = seconds_per_metre(loaded, ctx.ds, ctx.travel)
    assert spm == pytest.approx(1.3 / (25 / 3.6))
    w = workload(loaded, ctx.ds, ctx.travel, ctx.days)
    assert w.visits.tolist() == [4, 2, 1, 4, 2, 1]
    assert w.service_s.tolist() == [4 * 1200, 2 * 900, 600, 4 * 1200, 2 * 900, 600]
    xy = ctx.ds.retailers[["x", "y"]].to_numpy()
    per_visit = access_seconds(xy, w.visits / 20, spm)
    np.testing.assert_allclose(w.access_s, w.visits * per_visit)
    np.testing.assert_allclose(w.total_s, w.service_s + w.access_s)


def test_estimated_workload_adds_daily_trips_from_the_base(tmp_path):
    loaded = _loaded(tmp_path)
    ctx = prepare(loaded)
    slots = manager_slots(ctx)
    owner = np.array([0, 0, 0, 1, 1, 1])
    est = estimated_workload(ctx, Territories(slots, owner, "test"))
    for k, s in enumerate(slots):
        units = np.flatnonzero(owner == k)
        bt = ctx.travel.soft.from_sources(np.array([s.base_loc]))[0, units].astype(float)
        visits = ctx.work.visits[units].astype(float)
        per_day = max(visits.sum() / 20, 1.0)  # 7 visits in 20 days: one visit a day out
        # each visit's share of the daily round trips from the base (Daganzo's 2r per route)
        want = (ctx.work.total_s[units].sum() + (visits * 2 * bt).sum() / per_day) / 3600
        assert est[s.manager_id] == pytest.approx(want)
    assert est["M1"] > ctx.work.total_s[:3].sum() / 3600

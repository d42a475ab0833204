"""The validator's own rules on small hand-made cases with exact expected values, and cross-checks
against the planner's implementations (the tests may import both; the validator may not)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from planner.validate.calendar import (
    BreakWindow,
    allowed_patterns,
    best_spaced_weekdays,
    break_windows,
    class_patterns,
    evenly_spaced,
    fit_breaks,
    horizon_days,
    is_regular,
    required_visits,
)
from planner.validate.design import adjacency_edges, estimated_hours, territory_parts
from planner.validate.findings import Finding, ValidationReport
from planner.validate.kpis import same_value
from planner.validate.planfiles import parse_time_of_day, read_csv_table, whole_numbers

MON_FRI = ["Mon", "Tue", "Wed", "Thu", "Fri"]


# --- horizon ------------------------------------------------------------------------------------

def test_horizon_from_a_monday():
    days = horizon_days(dt.date(2027, 1, 4), 2, MON_FRI)
    assert [d.date.isoformat() for d in days] == [
        "2027-01-04", "2027-01-05", "2027-01-06", "2027-01-07", "2027-01-08",
        "2027-01-11", "2027-01-12", "2027-01-13", "2027-01-14", "2027-01-15"]
    assert [d.weekday for d in days] == [0, 1, 2, 3, 4] * 2
    assert [d.index for d in days] == list(range(10)) and all(d.working for d in days)


def test_horizon_from_a_wednesday_wraps_the_first_days_to_the_end():
    days = horizon_days(dt.date(2027, 1, 6), 1, MON_FRI)
    assert [(d.index, d.date.isoformat(), d.weekday) for d in days] == [
        (0, "2027-01-11", 0), (1, "2027-01-12", 1), (2, "2027-01-06", 2), (3, "2027-01-07", 3), (4, "2027-01-08", 4)]


def test_horizon_holidays_and_weekend_working_days():
    days = horizon_days(dt.date(2027, 1, 4), 2, ["Sat", "Mon", "Wed"], holidays=[dt.date(2027, 1, 13)])
    assert [(d.date.isoformat(), d.working) for d in days] == [
        ("2027-01-04", True), ("2027-01-06", True), ("2027-01-09", True),
        ("2027-01-11", True), ("2027-01-13", False), ("2027-01-16", True)]


def test_horizon_agrees_with_the_planner():
    from planner.config.scenario import parse_scenario
    from planner.design import horizon as build

    for start, weeks, wd, hol in [("2027-01-04", 4, MON_FRI, []), ("2027-01-07", 3, MON_FRI, ["2027-01-12"]),
                                  ("2027-03-02", 2, ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"], [])]:
        text = (f"name: x\ninputs: {{retailers: r.csv, managers: m.csv}}\nclasses: {{A: {{visits_per_cycle: 1, "
                f"service_min: 5}}}}\ncalendar: {{start_date: {start}, weeks: {weeks}, working_days: [{', '.join(wd)}], "
                f"holidays: [{', '.join(hol)}]}}\n")
        loaded = parse_scenario(text, Path("/nowhere/s.yaml"), check_files=False)
        theirs = [(d.index, d.date, d.weekday, d.working) for d in build.horizon(loaded)]
        mine = [(d.index, d.date, d.weekday, d.working) for d in horizon_days(
            dt.date.fromisoformat(start), weeks, wd, [dt.date.fromisoformat(h) for h in hol])]
        assert mine == theirs


# --- required visits -----------------------------------------------------------------------------

@pytest.mark.parametrize("per_cycle,weeks,expected", [(4, 4, 4), (4, 2, 2), (2, 4, 2), (1, 4, 1), (1, 2, 0),
                                                      (3, 2, 2), (2, 6, 3), (8, 12, 24), (0, 4, 0)])
def test_required_visits_scale_to_the_horizon(per_cycle, weeks, expected):
    assert required_visits(visits_per_cycle=per_cycle, weeks=weeks, patterns=None) == expected


def test_required_visits_of_custom_patterns():
    assert required_visits(visits_per_cycle=4, weeks=4, patterns=[[0, 10], [2, 12]]) == 2


# --- patterns -----------------------------------------------------------------------------------

def test_four_visits_in_four_weeks_are_the_five_weekly_patterns():
    assert allowed_patterns(4, 4, 5) == ((0, 5, 10, 15), (1, 6, 11, 16), (2, 7, 12, 17), (3, 8, 13, 18),
                                         (4, 9, 14, 19))


def test_eight_visits_in_four_weeks_are_mon_thu_or_tue_fri_weekly():
    assert best_spaced_weekdays(2, 5) == [(0, 3), (1, 4)]
    assert allowed_patterns(8, 4, 5) == ((0, 3, 5, 8, 10, 13, 15, 18), (1, 4, 6, 9, 11, 14, 16, 19))


def test_three_visits_in_four_weeks_are_evenly_spaced():
    assert allowed_patterns(3, 4, 5) == tuple((o, o + 6, o + 13) for o in range(7))


@pytest.mark.parametrize("visits,weeks,dpw,expected", [
    (0, 4, 5, ((),)),
    (1, 4, 5, tuple((d,) for d in range(20))),
    (2, 4, 5, tuple((s, s + 10) for s in range(10))),  # every two weeks
    (1, 2, 5, tuple((d,) for d in range(10))),
    (12, 4, 5, ((0, 2, 4, 5, 7, 9, 10, 12, 14, 15, 17, 19),)),  # Mon+Wed+Fri
    (2, 1, 6, ((0, 3), (1, 4), (2, 5))),  # Mon-Sat twice a week
    (5, 4, 5, tuple((o, o + 4, o + 8, o + 12, o + 16) for o in range(4))),
    (24, 4, 5, ()),  # six a week on five days: impossible
])
def test_patterns_hand_made(visits, weeks, dpw, expected):
    assert allowed_patterns(visits, weeks, dpw) == expected


def test_evenly_spaced_offsets_end_inside_the_horizon():
    assert evenly_spaced(3, 10) == [(0, 3, 6), (1, 4, 7), (2, 5, 8), (3, 6, 9)]
    assert evenly_spaced(11, 10) == []


def test_custom_patterns_and_subsets():
    pats = class_patterns(visits=2, weeks=4, days_per_week=5, custom=[[10, 0], [2, 12]])
    assert pats == ((0, 10), (2, 12))
    assert is_regular([10], pats) and is_regular([0, 10], pats) and not is_regular([0, 12], pats)
    assert is_regular([], pats)


def test_patterns_agree_with_the_engine():
    from solvers.schedule import standard_patterns

    for weeks in (1, 2, 3, 4, 6, 8):
        for dpw in (3, 5, 6, 7):
            for visits in range(0, 3 * weeks * dpw // 2):
                assert allowed_patterns(visits, weeks, dpw) == standard_patterns(visits, weeks, dpw), \
                    (visits, weeks, dpw)


# --- breaks -------------------------------------------------------------------------------------

LUNCH = BreakWindow(earliest_s=12 * 3600, latest_s=13 * 3600, duration_s=1800)


def test_break_fits_in_a_long_enough_gap_inside_its_window():
    assert fit_breaks([(11 * 3600, 12 * 3600 + 1800)], [LUNCH], 16 * 3600) == []
    assert fit_breaks([(11 * 3600, 12 * 3600 + 1799)], [LUNCH], 16 * 3600) == [LUNCH]
    assert fit_breaks([(13 * 3600 + 60, 15 * 3600)], [LUNCH], 16 * 3600) == [LUNCH]  # starts too late
    assert fit_breaks([(13 * 3600, 13 * 3600 + 1800)], [LUNCH], 16 * 3600) == []  # latest start


def test_break_not_due_when_the_route_ends_before_it():
    assert fit_breaks([], [LUNCH], 12 * 3600) == []
    assert fit_breaks([], [LUNCH], 12 * 3600 + 1) == [LUNCH]


def test_two_breaks_in_order_may_share_a_gap():
    coffee = BreakWindow(earliest_s=10 * 3600, latest_s=12 * 3600, duration_s=900)
    gaps = [(11 * 3600 + 3000, 12 * 3600 + 2700)]  # 11:50-12:45: coffee 11:50-12:05, lunch 12:05-12:35
    assert fit_breaks(gaps, [coffee, LUNCH], 17 * 3600) == []
    short = [(11 * 3600 + 3000, 12 * 3600 + 1800)]  # 11:50-12:30: lunch alone fits, not after the coffee
    assert fit_breaks(short, [LUNCH], 17 * 3600) == []
    assert fit_breaks(short, [coffee, LUNCH], 17 * 3600) == [LUNCH]


def test_break_windows_from_rules():
    assert break_windows([(12 * 3600, 13.5 * 3600, 30)]) == [LUNCH]


# --- design estimates -----------------------------------------------------------------------------

def test_adjacency_of_a_square_with_a_duplicate_point():
    xy = np.array([[0, 0], [100, 0], [0, 100], [100, 100], [0, 0]], dtype=float)
    e = adjacency_edges(xy)
    assert {tuple(x) for x in e.tolist()} >= {(0, 1), (0, 2), (1, 3), (2, 3), (0, 4)}
    assert len(e) == 6  # the four sides, one diagonal, the duplicate chained to its first occurrence


def test_adjacency_of_collinear_points_is_a_chain():
    xy = np.array([[0, 0], [20, 0], [10, 0], [30, 0]], dtype=float)
    assert adjacency_edges(xy).tolist() == [[0, 2], [1, 2], [1, 3]]


def test_territory_parts():
    edges = np.array([[0, 1], [1, 2], [2, 3], [3, 4]])
    owner = np.array(["A", "A", "B", "A", "A"], dtype=object)
    assert territory_parts(owner, edges) == {"A": 2, "B": 1}


def test_estimated_hours_adds_daily_round_trips():
    w = np.array([3600.0, 7200.0])
    visits = np.array([4.0, 0.0])
    base = np.array([600.0, 9999.0])
    assert estimated_hours(w, visits, base, 20) == pytest.approx((10800 + 4 * 2 * 600) / 3600)
    assert estimated_hours(np.zeros(0), np.zeros(0), np.zeros(0), 20) == 0.0


def test_design_estimates_agree_with_the_planner(small_region):
    """The validator's workload estimate and adjacency equal the design's on a generated county."""
    from planner.config.scenario import load_scenario
    from planner.design import policy, workload
    from planner.design.context import adjacency, prepare
    from planner.validate.design import metres_to_seconds, workload_estimate

    ctx = prepare(load_scenario(small_region))
    sc = ctx.loaded.scenario
    r = ctx.ds.retailers
    xy = r[["x", "y"]].to_numpy()
    spm = metres_to_seconds(model=sc.travel.model, circuity=sc.travel.circuity, speed_kmh=sc.travel.speed_kmh, xy=xy,
                            soft_travel=ctx.travel.soft, seed=sc.solver.seed)
    assert spm == pytest.approx(workload.seconds_per_metre(ctx.loaded, ctx.ds, ctx.travel, sc.solver.seed), rel=1e-12)
    req = policy.required_visits(ctx.loaded, r["class"].to_numpy()).astype(float)
    routed = policy.is_routed(ctx.loaded, r["class"].to_numpy())
    w, visits = workload_estimate(xy=xy, required=req, routed=routed, service_s=r["service_s"].to_numpy(),
                                  n_days=len(ctx.days), seconds_per_m=spm, factor=sc.territories.access_factor)
    np.testing.assert_allclose(w, ctx.work.total_s, rtol=1e-12)
    np.testing.assert_array_equal(visits, ctx.work.visits)
    assert adjacency_edges(xy).tolist() == adjacency(ctx).tolist()


# --- files, values, report ------------------------------------------------------------------------

def test_csv_rows_are_file_lines(tmp_path):
    p = tmp_path / "unplanned.csv"
    p.write_text('retailer_id,reason,message\nR1,low_value,"two\nlines"\n\nR2,shift_capacity,x\n', encoding="utf-8")
    t = read_csv_table(p, ("retailer_id", "reason"))
    assert t.rows == [2, 5] and t.col("retailer_id") == ["R1", "R2"]
    rep = ValidationReport("f")
    assert whole_numbers(t, "reason", rep) == [None, None]
    assert rep.errors[0].line() == "unplanned.csv row 2 [format] reason 'low_value' is not a whole number"


def test_clock_values():
    assert parse_time_of_day("08:30:15") == 30615 and parse_time_of_day("25:00") == 90000
    assert parse_time_of_day("8h30") is None and parse_time_of_day("08:75:00") is None


def test_kpi_tolerance():
    assert same_value(3, 3) and not same_value(3, 4) and not same_value(3, 3.5)
    assert same_value(100.0, 100.0 + 5e-5) and not same_value(100.0, 100.0 + 2e-4)
    assert same_value(None, None) and not same_value(None, 0.0)
    assert same_value({"A": 0.5}, {"A": 0.5}) and not same_value({"A": 0.5}, {"A": 0.5, "B": 1.0})
    assert same_value(0.0, 1e-17)


def test_finding_lines_and_summary():
    f = Finding(check="timing", message="visit 08:05 starts before the shift 08:30", file="visits.csv", row=17,
                manager_id="CM02", retailer_id="R123", day_index=3)
    assert f.line() == ("visits.csv row 17 [timing] visit 08:05 starts before the shift 08:30 "
                        "(manager CM02, retailer R123, day 3)")
    assert Finding(check="routes", message="m", file="routes.geojson", row=4).line() == "routes.geojson feature 4 [routes] m"
    rep = ValidationReport("plan")
    for k in range(40):
        rep.error("timing", f"t{k}", file="visits.csv", row=k + 2)
    rep.error("kpis", "late", file="kpis.json")
    text = rep.summary()
    assert "kpis.json [kpis] late" in text and "... and 10 more" in text
    assert rep.as_dict()["errors_by_check"] == {"kpis": 1, "timing": 40}
    assert rep.as_dict()["errors"][0] == {"check": "timing", "message": "t0", "file": "visits.csv", "row": 2}

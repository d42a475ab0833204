"""Coordinate conversions and opening-hours parsing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.inputs.coords import (
    LocalProjection,
    bd09_to_wgs84,
    gcj02_to_wgs84,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from planner.inputs.hours import format_opening_hours, parse_opening_hours


def test_gcj02_known_offset_in_beijing():
    # Tiananmen: the GCJ-02 offset is about +0.0063 deg lon, +0.0014 deg lat
    lon, lat = wgs84_to_gcj02(116.3912, 39.9067)
    assert 0.005 < lon - 116.3912 < 0.007 and 0.001 < lat - 39.9067 < 0.002


def test_outside_china_is_identity():
    lon, lat = wgs84_to_gcj02(24.94, 60.17)
    assert (float(lon), float(lat)) == (24.94, 60.17)
    lon, lat = to_wgs84(24.94, 60.17, "wgs84")
    assert float(lon) == 24.94


@settings(max_examples=50, deadline=None)
@given(st.floats(74, 134), st.floats(18, 53))
def test_round_trips_inside_china(lon, lat):
    w = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert abs(float(w[0]) - lon) < 1e-7 and abs(float(w[1]) - lat) < 1e-7
    w = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert abs(float(w[0]) - lon) < 2e-6 and abs(float(w[1]) - lat) < 2e-6


def test_local_projection_is_metric():
    p = LocalProjection(24.94, 60.17)
    x, y = p.forward(np.array([24.94, 24.94]), np.array([60.17, 60.18]))
    assert abs(np.hypot(x[1] - x[0], y[1] - y[0]) - 1113) < 5  # 0.01 deg latitude ~ 1113 m
    lon, lat = p.inverse(x, y)
    assert np.allclose(lon, 24.94) and np.allclose(lat, [60.17, 60.18])


@pytest.mark.parametrize("text,monday,sunday", [
    ("", None, None),
    ("24/7", ((0, 86400),), ((0, 86400),)),
    ("08:00-20:00", ((28800, 72000),), ((28800, 72000),)),
    ("Mo-Fr 08:00-12:00,13:30-18:00; Sa 09:00-14:00; Su off", ((28800, 43200), (48600, 64800)), ()),
    ("周一至周五 09:00-18:00", ((32400, 64800),), ()),
    ("Fr-Mo 20:00-02:00", ((72000, 86400),), ((72000, 86400),)),
])
def test_opening_hours(text, monday, sunday):
    w = parse_opening_hours(text)
    if monday is None:
        assert w is None
    else:
        assert w[0] == monday and w[6] == sunday
        assert parse_opening_hours(format_opening_hours(w)) == w


@pytest.mark.parametrize("bad", ["9-17", "Mo-Fx 10:00-12:00", "sometimes", "Mo 25:00-26:00"])
def test_bad_opening_hours(bad):
    with pytest.raises(ValueError):
        parse_opening_hours(bad)

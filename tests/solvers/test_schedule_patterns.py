"""standard_patterns: legal regular patterns (exact expectations + properties)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvers.schedule import standard_patterns


def test_weekly_fixed_weekday() -> None:
    assert standard_patterns(4, 4, 5) == tuple((w, w + 5, w + 10, w + 15) for w in range(5))


def test_every_two_weeks_fixed_weekday() -> None:
    pats = standard_patterns(2, 4, 5)
    assert len(pats) == 10
    for p in pats:
        assert p[1] - p[0] == 10  # same weekday, two weeks apart


def test_monthly_every_day() -> None:
    assert standard_patterns(1, 4, 5) == tuple((d,) for d in range(20))


def test_twice_a_week_well_spaced() -> None:
    pats = standard_patterns(8, 4, 5)
    weekday_sets = {tuple(sorted({d % 5 for d in p})) for p in pats}
    assert weekday_sets == {(0, 3), (1, 4)}  # Mon+Thu, Tue+Fri
    for p in pats:
        assert all(b - a >= 2 for a, b in itertools.pairwise(p))  # never consecutive days


def test_three_times_a_week() -> None:
    assert standard_patterns(12, 4, 5) == ((0, 2, 4, 5, 7, 9, 10, 12, 14, 15, 17, 19),)


def test_general_rule_evenly_spaced() -> None:
    pats = standard_patterns(3, 4, 5)
    assert pats
    for p in pats:
        gaps = [b - a for a, b in itertools.pairwise(p)]
        assert max(gaps) - min(gaps) <= 1


def test_working_days_mask() -> None:
    pats = standard_patterns(4, 4, 5, working_days=(True, True, False, True, True))
    assert all(p[0] % 5 != 2 for p in pats) and len(pats) == 4
    holiday = [True] * 20
    holiday[7] = False  # Wednesday of week 2
    pats = standard_patterns(4, 4, 5, working_days=tuple(holiday))
    assert all(7 not in p for p in pats)


def test_zero_and_impossible() -> None:
    assert standard_patterns(0, 4, 5) == ((),)
    assert standard_patterns(30, 4, 5) == ()
    with pytest.raises(ValueError):
        standard_patterns(1, 4, 5, working_days=(True,) * 3)


@settings(max_examples=150, deadline=None)
@given(visits=st.integers(1, 12), n_weeks=st.integers(1, 6), dpw=st.integers(3, 7),
       mask=st.lists(st.booleans(), min_size=7, max_size=7))
def test_patterns_always_legal(visits: int, n_weeks: int, dpw: int, mask: list[bool]) -> None:
    wd = tuple(mask[:dpw])
    pats = standard_patterns(visits, n_weeks, dpw, working_days=wd)
    T = n_weeks * dpw
    for p in pats:
        assert len(p) == visits
        assert list(p) == sorted(set(p))  # sorted, never two visits on one day
        assert all(0 <= d < T and wd[d % dpw] for d in p)
    assert len(set(pats)) == len(pats)
    if n_weeks % visits == 0 and pats:
        m = n_weeks // visits
        regular = [p for p in pats if all(b - a == m * dpw for a, b in itertools.pairwise(p))]
        assert regular == list(pats)  # fixed weekday, regular period

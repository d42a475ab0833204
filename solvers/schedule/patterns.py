"""Legal regular visit patterns (sets of day indices) for a visit frequency.

Days are numbered ``0 .. n_weeks * days_per_week - 1``; day ``d`` is weekday ``d % days_per_week``
of week ``d // days_per_week``. Weekdays are taken as consecutive calendar days followed by a
weekend when ``days_per_week < 7`` (Mon..Fri then Sat, Sun), which matters for spacing: Fri -> Mon
is three calendar days.

Rules (``visits`` in the horizon of ``n_weeks`` weeks):

* ``visits == 0``: the empty pattern.
* every ``m`` weeks on a fixed weekday, when ``n_weeks % visits == 0`` (``m = n_weeks / visits``:
  weekly ``m = 1``, every two weeks ``m = 2``, monthly ``m = 4`` in a 4-week horizon): one pattern
  per start day ``s`` in the first ``m`` weeks, days ``s, s + m*W, s + 2*m*W, ...`` (``W`` =
  days per week). Same weekday every time.
* ``k`` times a week, when ``visits == k * n_weeks`` with ``k >= 2``: the same set of ``k``
  weekdays every week, choosing among all ``k``-sets of weekdays those that maximise the smallest
  cyclic gap between consecutive visits counted in working days, then counted in calendar days
  (2x/week in Mon-Fri: Mon+Thu, Tue+Fri; 3x/week: Mon+Wed+Fri; never consecutive days when
  avoidable).
* otherwise (e.g. 3 visits in 4 weeks): evenly spaced over the working days of the horizon,
  ``days = work[floor(o + j * M / visits)]`` for every offset ``o`` (``M`` working days), never
  two visits on one day.

Only working days are used; if the regular rule leaves no pattern (e.g. a holiday on that
weekday), the evenly-spaced rule is used instead.
"""

from __future__ import annotations

import itertools
import math

Pattern = tuple[int, ...]


def _day_mask(n_weeks: int, dpw: int, working_days: tuple[bool, ...] | None) -> list[bool]:
    T = n_weeks * dpw
    if working_days is None:
        return [True] * T
    wd = tuple(bool(x) for x in working_days)
    if len(wd) == dpw:
        return [wd[d % dpw] for d in range(T)]
    if len(wd) == T:
        return list(wd)
    raise ValueError(f"working_days must have length days_per_week ({dpw}) or n_weeks*days_per_week ({T})")


def _cyclic_gaps(days: tuple[int, ...], week_len: int) -> list[int]:
    gaps = [b - a for a, b in itertools.pairwise(days)]
    gaps.append(week_len - days[-1] + days[0])
    return gaps


def _evenly_spaced(visits: int, mask: list[bool]) -> tuple[Pattern, ...]:
    work = [d for d, ok in enumerate(mask) if ok]
    M = len(work)
    if visits > M:
        return ()
    step = M / visits
    out: list[Pattern] = []
    for o in range(max(1, math.ceil(step))):
        idx = [int(math.floor(o + j * step + 1e-9)) for j in range(visits)]
        if idx[-1] >= M or len(set(idx)) != visits:
            continue
        p = tuple(work[i] for i in idx)
        if p not in out:
            out.append(p)
    return tuple(out)


def standard_patterns(
    visits: int,
    n_weeks: int,
    days_per_week: int,
    *,
    working_days: tuple[bool, ...] | None = None,
) -> tuple[Pattern, ...]:
    """All legal regular patterns for ``visits`` visits in ``n_weeks`` weeks (see module doc).

    Parameters
    ----------
    visits:
        Required visits in the horizon.
    n_weeks, days_per_week:
        Horizon ``T = n_weeks * days_per_week`` days.
    working_days:
        Optional mask, either per weekday (length ``days_per_week``) or per day (length ``T``).

    Returns
    -------
    tuple of patterns
        Each a sorted tuple of ``visits`` distinct day indices; ``()`` if none is possible.
    """
    if visits < 0 or n_weeks < 1 or days_per_week < 1:
        raise ValueError("visits must be >= 0, n_weeks and days_per_week >= 1")
    if visits == 0:
        return ((),)
    W = days_per_week
    mask = _day_mask(n_weeks, W, working_days)
    T = n_weeks * W
    out: list[Pattern] = []
    if n_weeks % visits == 0:
        m = n_weeks // visits
        for s in range(m * W):
            p = tuple(s + j * m * W for j in range(visits))
            if p[-1] < T and all(mask[d] for d in p):
                out.append(p)
    elif visits % n_weeks == 0 and visits // n_weeks <= W:
        k = visits // n_weeks
        week_len = 7 if W <= 7 else W
        sets = list(itertools.combinations(range(W), k))
        if sets:
            def spacing(s: tuple[int, ...]) -> tuple[int, int]:
                return min(_cyclic_gaps(s, W)), min(_cyclic_gaps(s, week_len))

            best = max(spacing(s) for s in sets)
            for s in sets:
                if spacing(s) != best:
                    continue
                p = tuple(sorted(w + wk * W for wk in range(n_weeks) for w in s))
                if all(mask[d] for d in p):
                    out.append(p)
    if not out:
        out = list(_evenly_spaced(visits, mask))
    return tuple(sorted(set(out)))

"""Exact timing of one route (one vehicle, one day), breaks included.

Timing rules (these are the rules an independent validator can recompute)
--------------------------------------------------------------------------
* The vehicle leaves its depot at ``start_s >= shift_start_s``; the departure is delayed so that
  it does not wait at the first stop (unless a break is taken before the first stop).
* Between two stops ``a -> b`` (the depot counts as a stop), ``travel = travel_s[a, b]``.
  Without a break: ``arrival_b = departure_a + travel``. A break ``(earliest, latest, duration)``
  taken in that gap is either

  - *before travelling* (at ``a``): it starts at ``max(departure_a, earliest) <= latest`` and
    ``arrival_b = break end + travel``; or
  - *on arrival* (at ``b``, typically while waiting for it to open):
    ``arrival_b = departure_a + travel``, the break starts at ``max(arrival_b, earliest) <= latest``
    and service cannot start before the break ends.

  Either way ``start_b >= departure_a + travel + duration`` and the break interval lies inside
  ``[departure_a, start_b]`` and does not overlap travel.
* Service starts at ``start_b = max(ready, open_b)`` with ``start_b <= close_b`` (the visit must
  *start* inside the window) and ``departure_b = start_b + service_b``.
* The route ends on arrival at the depot, ``end_s <= shift_end_s``; breaks before that arrival
  are taken before travelling back. A break whose ``earliest`` is at or after ``end_s`` is not
  needed; every other break must be taken (each at most once, in order of ``earliest``).
* ``end_s - start_s <= max_duration_s`` when set.
* A *fixed* break (``earliest == latest``, e.g. a meeting in the middle of a day of per-day
  availability) follows the same rules, so it is a blocked interval: the vehicle is idle in it
  (no travel, no service), and a route that ends by its start does not need it.

The dynamic programme keeps, per stop and number of breaks taken, the earliest departure, which
is exact because waiting is allowed everywhere (earlier is never worse); among both break modes
the earliest ready time is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Shift:
    """What the timing of a route needs to know about its vehicle on one day."""

    depot: int
    start_s: int
    end_s: int
    breaks: tuple[tuple[int, int, int], ...] = ()  # (earliest, latest, duration), by earliest
    max_duration_s: int | None = None


@dataclass(frozen=True, slots=True)
class Timing:
    """Exact timing of a route (all times seconds from midnight)."""

    start_s: int
    end_s: int
    arrival: tuple[int, ...]
    start: tuple[int, ...]
    departure: tuple[int, ...]
    travel: tuple[int, ...]  # travel into each stop
    return_travel: int
    breaks: tuple[tuple[int, int], ...]  # (start, duration)


def _take(t: int, brks: tuple[tuple[int, int, int], ...], first: int, count: int) -> tuple[int, list[tuple[int, int]]] | None:
    out = []
    for q in range(first, first + count):
        e, lt, dur = brks[q]
        s = t if t > e else e
        if s > lt:
            return None
        out.append((s, dur))
        t = s + dur
    return t, out


def time_route(
    travel: np.ndarray,
    shift: Shift,
    seq: list[int] | tuple[int, ...],
    service: np.ndarray,
    open_s: np.ndarray,
    close_s: np.ndarray,
) -> Timing | None:
    """Exact schedule of ``seq`` (customer = location indices) or ``None`` if infeasible.

    ``service``, ``open_s`` and ``close_s`` are indexed by customer (this day's windows).
    """
    brks = shift.breaks
    nb = len(brks)
    # state: b -> (departure time, back-pointer)
    states: dict[int, tuple[int, tuple]] = {0: (shift.start_s, ())}
    prev = shift.depot
    for k, c in enumerate(seq):
        tr = int(travel[prev, c])
        o, cl, sv = int(open_s[c]), int(close_s[c]), int(service[c])
        new: dict[int, tuple[int, tuple]] = {}
        for b, (t, hist) in states.items():
            for j in range(nb - b + 1):
                options = []
                if j == 0:
                    arr = t + tr
                    options.append((arr, max(arr, o), ()))
                else:
                    r1 = _take(t, brks, b, j)  # before travelling
                    if r1 is not None:
                        arr = r1[0] + tr
                        options.append((arr, max(arr, o), tuple(r1[1])))
                    arr2 = t + tr
                    r2 = _take(arr2, brks, b, j)  # on arrival
                    if r2 is not None:
                        options.append((arr2, max(r2[0], o), tuple(r2[1])))
                for arr, st, bl in options:
                    if st > cl:
                        continue
                    dep = st + sv
                    cur = new.get(b + j)
                    if cur is None or dep < cur[0]:
                        new[b + j] = (dep, (hist, (k, arr, st, dep, tr, bl)))
        if not new:
            return None
        states = new
        prev = c
    tr = int(travel[prev, shift.depot])
    best = None
    for b, (t, hist) in states.items():
        for j in range(nb - b + 1):
            r = _take(t, brks, b, j) if j else (t, [])
            if r is None:
                continue
            end = r[0] + tr
            if end > shift.end_s:
                continue
            if b + j < nb and end > min(e for e, _, _ in brks[b + j:]):
                continue
            if best is None or end < best[0]:
                best = (end, hist, tuple(r[1]))
    if best is None:
        return None
    end, hist, last_breaks = best
    steps = []
    while hist:
        hist, step = hist
        steps.append(step)
    steps.reverse()
    arrival = [s[1] for s in steps]
    start = [s[2] for s in steps]
    departure = [s[3] for s in steps]
    trav = [s[4] for s in steps]
    breaks = [b for s in steps for b in s[5]] + list(last_breaks)
    start_s = shift.start_s
    if steps and not steps[0][5]:
        delay = start[0] - arrival[0]
        if delay > 0:
            start_s += delay
            arrival[0] += delay
    elif not steps:
        start_s = end = shift.start_s
        breaks = []
    if shift.max_duration_s is not None and end - start_s > shift.max_duration_s:
        return None
    return Timing(start_s=start_s, end_s=end, arrival=tuple(arrival), start=tuple(start),
                  departure=tuple(departure), travel=tuple(trav), return_travel=tr,
                  breaks=tuple(breaks))


def violation(
    travel: np.ndarray,
    shift: Shift,
    seq: list[int] | tuple[int, ...],
    service: np.ndarray,
    open_s: np.ndarray,
    close_s: np.ndarray,
) -> int:
    """Total lateness of ``seq`` when breaks are ignored and late starts are allowed.

    Used only to choose which stop to drop when a route cannot be timed; 0 does not imply
    feasibility (breaks are not considered).
    """
    t = shift.start_s + sum(b[2] for b in shift.breaks)
    late = 0
    prev = shift.depot
    for c in seq:
        t = max(t + int(travel[prev, c]), int(open_s[c]))
        late += max(0, t - int(close_s[c]))
        t += int(service[c])
        prev = c
    t += int(travel[prev, shift.depot])
    late += max(0, t - shift.end_s)
    return late

"""A territory-sized visit calendar: one manager, 300 retailers, 4 weeks x 5 days.

Usage::

    python -m benchmarks.calendar [--n 300] [--time-limit 20] [--seed 1] [--backend pyvrp]
                                  [--managers 1]

Synthetic instance (deterministic for a seed)
---------------------------------------------
* Retailers in a town of about 8 x 8 km: a dense centre and two neighbourhoods (Gaussian
  clusters) plus scattered ones; the manager's base is near the centre. Travel time = straight
  line x 1.3 (circuity) at 30 km/h + 60 s to park, in integer seconds.
* Classes: 15 % key (weekly on a fixed weekday, 15 min, value 5), 35 % every two weeks on a fixed
  weekday (12 min, value 2), 50 % monthly (8 min, value 1); patterns from
  :func:`solvers.schedule.standard_patterns`.
* Opening hours: 70 % 08:00-20:00 every day, 15 % 09:00-18:00 closed on Mondays, 10 %
  13:00-20:00 (afternoons), 5 % 08:00-12:00 (mornings).
* Shift 08:30-17:30 with a 30-minute lunch break starting between 11:30 and 13:30;
  ``lam`` = 1800 s of travel per unit of value (a monthly visit is worth 30 min of driving).

Reported: wall time, objective, travel hours (total, per day), working-day length, visits
planned / required, unplanned visits by reason, and :func:`solvers.schedule.verify.verify`
(independent recomputation of every timing). Target: <= 20 s.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import numpy as np

from benchmarks._common import print_table
from solvers.common import Stop
from solvers.schedule import (
    Break,
    ScheduleParams,
    ScheduleProblem,
    Vehicle,
    solve,
    standard_patterns,
)
from solvers.schedule.verify import verify

N_WEEKS, DPW = 4, 5
HOUR = 3600


def make_territory(n: int = 300, *, seed: int = 1, managers: int = 1) -> ScheduleProblem:
    """The synthetic territory described in the module docstring."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [2500.0, 1800.0], [-2200.0, -1500.0]])
    weights = np.array([0.45, 0.2, 0.2])
    k = rng.choice(4, size=n, p=[*weights, 0.15])
    xy = np.empty((n, 2))
    for j in range(3):
        idx = k == j
        xy[idx] = centres[j] + rng.normal(0, [900, 700, 800][j], size=(idx.sum(), 2))
    idx = k == 3
    xy[idx] = rng.uniform(-4000, 4000, size=(idx.sum(), 2))
    depots = np.array([[300.0, -200.0]] * managers)
    allxy = np.vstack([xy, depots])
    d = np.sqrt(((allxy[:, None] - allxy[None]) ** 2).sum(-1))
    travel = np.rint(d * 1.3 / (30 / 3.6) + 60).astype(np.int64)
    np.fill_diagonal(travel, 0)
    T = N_WEEKS * DPW
    cls = rng.choice(3, size=n, p=[0.15, 0.35, 0.5])
    visits = np.array([4, 2, 1])[cls]
    service = np.array([15 * 60, 12 * 60, 8 * 60])[cls]
    value = np.array([5.0, 2.0, 1.0])[cls]
    pats = {v: standard_patterns(int(v), N_WEEKS, DPW) for v in (1, 2, 4)}
    windows = np.zeros((n, T, 2), dtype=np.int64)
    kind = rng.choice(4, size=n, p=[0.7, 0.15, 0.1, 0.05])
    for i in range(n):
        for day in range(T):
            if kind[i] == 0:
                w = (8 * HOUR, 20 * HOUR)
            elif kind[i] == 1:
                w = (9 * HOUR, 18 * HOUR) if day % DPW != 0 else (1, 0)
            elif kind[i] == 2:
                w = (13 * HOUR, 20 * HOUR)
            else:
                w = (8 * HOUR, 12 * HOUR)
            windows[i, day] = w
    vehicles = tuple(
        Vehicle(depot=n + j, days=(True,) * T, shift_start_s=8 * HOUR + 1800, shift_end_s=17 * HOUR + 1800,
                breaks=(Break(earliest_s=11 * HOUR + 1800, latest_s=13 * HOUR + 1800, duration_s=1800),))
        for j in range(managers))
    return ScheduleProblem(
        n_days=T, travel_s=travel, service_s=service.astype(np.int64), required=visits.astype(np.int64),
        patterns=tuple(pats[int(v)] for v in visits), windows=windows, value=value, vehicles=vehicles,
        lam=1800.0, days_per_week=DPW,
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="territory-sized calendar benchmark")
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--managers", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=20.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--backend", default="pyvrp")
    a = ap.parse_args(argv)
    prob = make_territory(a.n, seed=a.seed, managers=a.managers)
    t0 = time.perf_counter()
    res = solve(prob, stop=Stop(time_limit_s=a.time_limit), seed=a.seed, params=ScheduleParams(backend=a.backend))
    el = time.perf_counter() - t0
    errors = verify(prob, res)
    req = int(prob.required.sum())
    planned = sum(len(r.stops) for r in res.routes)
    per_day = Counter()
    length = []
    for r in res.routes:
        per_day[r.day] += r.travel_s
        length.append(r.end_s - r.start_s)
    reasons = Counter(u.reason for u in res.unplanned)
    by_class = Counter()
    for u in res.unplanned:
        by_class[int(prob.required[u.customer])] += 1
    rows = [
        ["instance", f"{a.n} retailers, {a.managers} manager(s), {prob.n_days} days, backend {a.backend}"],
        ["wall time", f"{el:.1f} s (limit {a.time_limit:g} s)"],
        ["objective", f"{res.objective:.0f}  (initial construction {res.stats.initial_objective:.0f})"],
        ["travel", f"{res.travel_s / HOUR:.1f} h total, {res.travel_s / HOUR / prob.n_days:.2f} h/day "
                   f"(max day {max(per_day.values()) / HOUR:.2f} h)"],
        ["working day", f"mean {np.mean(length) / HOUR:.2f} h, max {np.max(length) / HOUR:.2f} h "
                        "(shift 9 h incl. 0.5 h break)"],
        ["visits", f"{planned} planned of {req} required ({100 * planned / req:.1f} %)"],
        ["unplanned", ", ".join(f"{k}: {v}" for k, v in sorted(reasons.items())) or "none"],
        ["unplanned by class", ", ".join(f"{k}x/4wk: {v}" for k, v in sorted(by_class.items())) or "-"],
        ["solver", f"rounds {res.stats.rounds}, iterations {res.stats.iterations}, "
                   f"pattern moves {res.stats.pattern_moves}"],
        ["verify", "OK" if not errors else f"{len(errors)} violations: {errors[:3]}"],
    ]
    print_table(["", "value"], rows)


if __name__ == "__main__":
    main()

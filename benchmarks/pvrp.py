"""Periodic VRP (Cordeau et al. 1997 format) through :func:`solvers.schedule.solve`.

Usage::

    python -m benchmarks.pvrp ../shared/benchmarks/pvrp-cordeau/instances/*.txt \
        [--time-limit 60] [--seed 1] [--out DIR] [--backend pyvrp] [--workers 2]

Protocol
--------
Each instance is converted to a :class:`~solvers.schedule.ScheduleProblem` and solved once
(``Stop(time_limit_s=--time-limit)``, seed 1) by ``--workers`` independent periodic searches in as
many processes (default 2, the cores of the reference machine; the best calendar is kept). The route objective is
the literature's: total travel distance with *real* (unrounded) Euclidean distances. The
problem carries them as the float ``distance`` matrix (the objective); the routing backend sees
``round(1000 * distance)`` (see :data:`solvers.schedule.model.DISTANCE_SCALE`), and times are
also in thousandths (``travel_s = round(1000 * d)``, service and the duration limit x1000).
Every customer must be served (``lam`` is so large that an unplanned visit never pays; any
unplanned visit makes the result infeasible).

Instance quirks (see the folder's README): p01's customer 51 (on the depot, demand = Q, day 1)
is routed like any other customer (cost 0). p11's customer 131 has ``f = 0`` but lists five
patterns; like the reference solution we visit it once (on one of the listed days).

The solution is written as ``DIR/<instance>.res`` in the format of ``solutions-cgl1997``
(first line the cost, then ``day vehicle duration load 0 c1 .. ck 0`` per route, duration incl.
service) and re-checked by :func:`evaluate`, which reads only the instance file and the route
list: every customer visited exactly on the days of one of its allowed patterns, at most ``m``
routes per day, capacity and duration per route; the cost is recomputed from the coordinates.
Gaps are to ``bks.csv`` (HGS values, unverified) and to the CGL 1997 tabu-search values.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks._common import SHARED_BENCHMARKS, print_table
from solvers.common import Stop
from solvers.schedule import ScheduleParams, ScheduleProblem, ScheduleResult, Vehicle, solve

FOLDER = SHARED_BENCHMARKS / "pvrp-cordeau"
UNLIMITED_SHIFT = 10**9
LAM = 1e6


@dataclass(frozen=True)
class Instance:
    name: str
    m: int  # vehicles per day
    n: int
    t: int
    limits: tuple[tuple[int, int], ...]  # per day (D, Q)
    xy: np.ndarray  # (n+1, 2), row 0 depot
    service: np.ndarray  # (n+1,)
    demand: np.ndarray  # (n+1,)
    freq: np.ndarray  # (n+1,)
    patterns: tuple[tuple[tuple[int, ...], ...], ...]  # per node (0-based days)


def read_instance(path: Path) -> Instance:
    rows = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
    _typ, m, n, t = map(int, rows[0])
    limits = tuple((int(r[0]), int(r[1])) for r in rows[1:1 + t])
    nodes = rows[1 + t:1 + t + n + 1]
    xy = np.array([[float(r[1]), float(r[2])] for r in nodes])
    service = np.array([float(r[3]) for r in nodes])
    demand = np.array([int(r[4]) for r in nodes])
    freq = np.array([int(r[5]) for r in nodes])
    pats = []
    for r in nodes:
        a = int(r[6])
        codes = [int(c) for c in r[7:7 + a]]
        pats.append(tuple(tuple(d for d in range(t) if (c >> (t - 1 - d)) & 1) for c in codes))
    return Instance(name=path.stem, m=m, n=n, t=t, limits=limits, xy=xy, service=service,
                    demand=demand, freq=freq, patterns=tuple(pats))


def euclid(xy: np.ndarray) -> np.ndarray:
    diff = xy[:, None, :] - xy[None, :, :]
    return np.sqrt((diff**2).sum(-1))


def to_problem(inst: Instance) -> ScheduleProblem:
    """Customers 1..n become 0..n-1, the depot becomes location n."""
    n, t = inst.n, inst.t
    order = list(range(1, n + 1)) + [0]
    dist = euclid(inst.xy[order])
    travel = np.rint(dist * 1000).astype(np.int64)
    freq = inst.freq[1:].copy()
    pats = []
    for i in range(n):
        f = int(freq[i])
        ps = inst.patterns[i + 1]
        if f == 0 and ps:  # p11 customer 131: visit once, as the reference solution does
            f = len(ps[0])
            freq[i] = f
        pats.append(tuple(p for p in ps if len(p) == f))
    vehicles = []
    for (D, Q) in sorted(set(inst.limits)):
        days = tuple((inst.limits[d] == (D, Q)) for d in range(t))
        for _ in range(inst.m):
            vehicles.append(Vehicle(depot=n, days=days, shift_start_s=0, shift_end_s=UNLIMITED_SHIFT,
                                    capacity=int(Q), max_duration_s=int(D * 1000) if D > 0 else None))
    windows = np.zeros((n, t, 2), dtype=np.int64)
    windows[:, :, 1] = UNLIMITED_SHIFT
    return ScheduleProblem(
        n_days=t, travel_s=travel, service_s=np.rint(inst.service[1:] * 1000).astype(np.int64),
        required=freq.astype(np.int64), patterns=tuple(pats), windows=windows,
        value=np.ones(n), vehicles=tuple(vehicles), lam=LAM, demand=inst.demand[1:].astype(np.int64),
        days_per_week=t, distance=dist,
    )


def result_routes(inst: Instance, res: ScheduleResult) -> list[tuple[int, int, list[int]]]:
    """(day 0-based, vehicle number within the day 1-based, nodes 1..n) per route."""
    out = []
    for d in range(inst.t):
        rs = [r for r in res.routes if r.day == d and r.stops]
        for k, r in enumerate(sorted(rs, key=lambda r: r.vehicle), start=1):
            out.append((d, k, [s.customer + 1 for s in r.stops]))
    return out


def evaluate(inst: Instance, routes: list[tuple[int, int, list[int]]]) -> tuple[bool, float, list[str]]:
    """Independent check of a route list against the instance file only."""
    D = euclid(inst.xy)
    errors: list[str] = []
    visits: dict[int, list[int]] = {}
    per_day: dict[int, int] = {}
    cost = 0.0
    for d, _k, nodes in routes:
        per_day[d] = per_day.get(d, 0) + 1
        path = [0, *nodes, 0]
        length = float(sum(D[a, b] for a, b in zip(path[:-1], path[1:], strict=True)))
        cost += length
        load = int(sum(inst.demand[c] for c in nodes))
        Dmax, Q = inst.limits[d]
        if load > Q:
            errors.append(f"day {d + 1}: load {load} > {Q}")
        dur = length + float(sum(inst.service[c] for c in nodes))
        if Dmax > 0 and dur > Dmax + 1e-6:
            errors.append(f"day {d + 1}: duration {dur:.2f} > {Dmax}")
        for c in nodes:
            visits.setdefault(c, []).append(d)
    for d, k in per_day.items():
        if k > inst.m:
            errors.append(f"day {d + 1}: {k} routes > {inst.m}")
    for c in range(1, inst.n + 1):
        days = tuple(sorted(visits.get(c, [])))
        f = int(inst.freq[c])
        if f == 0 and not inst.patterns[c]:
            continue
        if len(set(days)) != len(days):
            errors.append(f"customer {c} twice on one day")
        allowed = set(inst.patterns[c])
        if f == 0:
            allowed |= {()}
        if days not in allowed:
            errors.append(f"customer {c}: days {days} not an allowed pattern")
    return not errors, cost, errors


def write_res(path: Path, inst: Instance, routes: list[tuple[int, int, list[int]]], cost: float) -> None:
    D = euclid(inst.xy)
    lines = [f"{cost:.2f}"]
    for d, k, nodes in routes:
        path_ = [0, *nodes, 0]
        dur = float(sum(D[a, b] for a, b in zip(path_[:-1], path_[1:], strict=True)))
        dur += float(sum(inst.service[c] for c in nodes))
        load = int(sum(inst.demand[c] for c in nodes))
        lines.append(f"{d + 1} {k} {dur:10.2f} {load:6d} 0 " + " ".join(map(str, nodes)) + " 0")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)


def _read_csv(path: Path, col: str) -> dict[str, float]:
    if not path.exists():
        return {}
    with open(path) as f:
        return {r["instance"]: float(r[col]) for r in csv.DictReader(f)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="PVRP (Cordeau format) benchmark")
    ap.add_argument("instances", nargs="+", type=Path)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--max-iterations", type=int, default=None)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--backend", default="pyvrp")
    ap.add_argument("--workers", type=int, default=2,
                    help="processes of the periodic LNS (independent searches, best kept; default 2 = the cores)")
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args(argv)
    bks = _read_csv(FOLDER / "bks.csv", "bks_value")
    cgl = _read_csv(FOLDER / "bks_alt_cgl1997_verified.csv", "value")
    rows = []
    gaps, gaps97 = [], []
    for path in a.instances:
        inst = read_instance(path)
        prob = to_problem(inst)
        t0 = time.perf_counter()
        res = solve(prob, stop=Stop(time_limit_s=a.time_limit, max_iterations=a.max_iterations),
                    seed=a.seed, params=ScheduleParams(backend=a.backend, workers=a.workers))
        el = time.perf_counter() - t0
        routes = result_routes(inst, res)
        ok, cost, errors = evaluate(inst, routes)
        ok = ok and not res.unplanned
        if a.out is not None:
            write_res(a.out / f"{inst.name}.res", inst, routes, cost)
        b, c97 = bks.get(inst.name), cgl.get(inst.name)
        g = 100 * (cost - b) / b if b else math.nan
        g97 = 100 * (cost - c97) / c97 if c97 else math.nan
        if ok:
            gaps.append(g)
            gaps97.append(g97)
        row = [inst.name, inst.n, inst.t, f"{cost:.2f}", f"{b:.2f}" if b else "-", f"{g:.2f}",
               f"{c97:.2f}" if c97 else "-", f"{g97:.2f}", f"{el:.1f}", res.stats.rounds,
               res.stats.iterations, "yes" if ok else f"NO: {'; '.join(errors[:2])} unplanned={len(res.unplanned)}"]
        rows.append(row)
        print("  ".join(str(x) for x in row), flush=True)
    print()
    print_table(["inst", "n", "t", "cost", "bks", "gap%", "cgl97", "gap97%", "s", "rounds", "iters", "feasible"], rows)
    if gaps:
        print(f"\nmean gap to bks {np.mean(gaps):.3f} %  (max {np.max(gaps):.3f} %), "
              f"mean gap to CGL1997 {np.nanmean(gaps97):.3f} %, feasible {len(gaps)}/{len(rows)}")


if __name__ == "__main__":
    main()

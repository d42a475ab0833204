"""Daily-routing backends side by side: Solomon VRPTW (C1, R1, RC1) and Uchoa X CVRP (n < 200).

Usage::

    python -m benchmarks.vrptw [--time-limit 10] [--sets solomon,x] [--backends pyvrp,ortools]
                               [--seed 1] [--out DIR] [--instances C101,R101] [--workers 2]

Protocol
--------
Every instance is solved once per backend through :func:`solvers.routing.solve` with the
same :class:`~solvers.common.Stop` (wall-clock ``--time-limit`` per instance, seed 1). PyVRP runs
``--workers`` independent searches (seeds 1, 2, ...) in as many processes, default 2 = the cores of
the reference machine, and keeps the best (the second search tries one route fewer when the loads
are tight: :func:`solvers.routing.pyvrp.solve_pyvrp_fleet`); OR-Tools is single-threaded.
Instances are read in place from ``../shared/benchmarks``; each solution is re-evaluated here
from the coordinates (every client once, capacity, time windows) and its cost recomputed.

Objective conventions (from each folder's README):

* Solomon (``vrptw-solomon``): minimise total distance, vehicle count free (at most the 25 of the
  file), distances *and* travel times truncated to one decimal: ``d = floor(10 * euclid) / 10``.
  We solve on the integer matrix ``floor(10 * euclid)`` (times, windows and service also x10)
  and report cost / 10; this is exactly the convention of ``bks.csv``.
* X (``cvrp-uchoa-x``): ``d = nint(euclid)`` (TSPLIB EUC_2D), vehicles unconstrained; we give
  each backend ``2 k`` vehicles (``k`` from the name, the minimum).

Gap = (cost - bks) / bks in percent.
"""

from __future__ import annotations

import argparse
import csv
import math
import time
from pathlib import Path

import numpy as np

from benchmarks._common import SHARED_BENCHMARKS, print_table, write_json
from solvers.common import Stop
from solvers.routing import (
    RoutingClient,
    RoutingParams,
    RoutingProblem,
    RoutingResult,
    RoutingVehicleType,
    solve,
)

SOLOMON = SHARED_BENCHMARKS / "vrptw-solomon"
UCHOA = SHARED_BENCHMARKS / "cvrp-uchoa-x"


def _euclid(xy: np.ndarray) -> np.ndarray:
    diff = xy[:, None, :] - xy[None, :, :]
    return np.sqrt((diff**2).sum(-1))


def read_solomon(path: Path) -> tuple[RoutingProblem, dict]:
    """Solomon text file -> RoutingProblem on the x10 truncated integer scale."""
    lines = path.read_text().splitlines()
    nveh, cap = map(int, lines[4].split())
    rows = [list(map(float, ln.split())) for ln in lines[9:] if ln.strip()]
    arr = np.array(rows)
    xy = arr[:, 1:3]
    dist = np.floor(10.0 * _euclid(xy) + 1e-7).astype(np.int64)
    clients = tuple(
        RoutingClient(location=i, service_s=int(round(10 * arr[i, 6])), tw_early=int(round(10 * arr[i, 4])),
                      tw_late=int(round(10 * arr[i, 5])), demand=(int(arr[i, 3]),))
        for i in range(1, len(arr))
    )
    vt = RoutingVehicleType(start_depot=0, end_depot=0, count=nveh, tw_early=int(round(10 * arr[0, 4])),
                            tw_late=int(round(10 * arr[0, 5])), capacity=(cap,))
    return RoutingProblem(duration=dist, clients=clients, vehicle_types=(vt,)), {
        "xy": xy, "scale": 10, "arr": arr, "cap": cap, "nveh": nveh}


def read_uchoa(path: Path) -> tuple[RoutingProblem, dict]:
    """X instance (VRPLIB) -> RoutingProblem with nint Euclidean distances."""
    text = path.read_text().splitlines()
    cap = 0
    coords: list[tuple[float, float]] = []
    demand: list[int] = []
    section = None
    for ln in text:
        s = ln.strip()
        if not s:
            continue
        if s.startswith("CAPACITY"):
            cap = int(s.split(":")[1])
            continue
        if s.startswith("NODE_COORD_SECTION"):
            section = "xy"
            continue
        if s.startswith("DEMAND_SECTION"):
            section = "d"
            continue
        if s.startswith("DEPOT_SECTION") or s.startswith("EOF"):
            section = None
            continue
        if section == "xy":
            _, x, y = s.split()
            coords.append((float(x), float(y)))
        elif section == "d":
            demand.append(int(s.split()[1]))
    xy = np.array(coords)
    dist = np.floor(_euclid(xy) + 0.5).astype(np.int64)
    k = int(path.stem.split("-k")[1])
    clients = tuple(RoutingClient(location=i, demand=(demand[i],)) for i in range(1, len(xy)))
    vt = RoutingVehicleType(start_depot=0, end_depot=0, count=2 * k, capacity=(cap,))
    return RoutingProblem(duration=dist, clients=clients, vehicle_types=(vt,)), {
        "xy": xy, "scale": 1, "cap": cap, "demand": demand}


def evaluate(problem: RoutingProblem, res: RoutingResult) -> tuple[bool, int, str]:
    """Independent check: each client once, capacity, time windows, shift; integer cost."""
    d = problem.duration
    seen: list[int] = []
    cost = 0
    vt = problem.vehicle_types[0]
    if len(res.routes) > vt.count:
        return False, 0, "too many routes"
    for r in res.routes:
        t = vt.tw_early
        load = 0
        prev = vt.start_depot
        for c in r.clients:
            cl = problem.clients[c]
            t = max(t + int(d[prev, cl.location]), cl.tw_early)
            if t > cl.tw_late:
                return False, 0, f"client {c} late"
            t += cl.service_s
            load += cl.demand[0]
            cost += int(d[prev, cl.location])
            prev = cl.location
            seen.append(c)
        cost += int(d[prev, vt.end_depot])
        t += int(d[prev, vt.end_depot])
        if t > vt.tw_late:
            return False, 0, "route late at depot"
        if load > vt.capacity[0]:
            return False, 0, "capacity"
    if sorted(seen) != list(range(len(problem.clients))):
        return False, 0, "clients missing or repeated"
    return True, cost, ""


def _bks(folder: Path) -> dict[str, float]:
    with open(folder / "bks.csv") as f:
        return {r["instance"]: float(r["bks_value"]) for r in csv.DictReader(f)}


def instances(sets: list[str], only: set[str] | None) -> list[tuple[str, str, Path]]:
    out = []
    if "solomon" in sets:
        for p in sorted((SOLOMON / "instances").glob("*.txt")):
            fam = p.stem[:-2]
            if fam in ("C1", "R1", "RC1") and (only is None or p.stem in only):
                out.append(("solomon", p.stem, p))
    if "x" in sets:
        for p in sorted((UCHOA / "instances").glob("X-n*.vrp")):
            n = int(p.stem.split("-")[1][1:]) - 1
            if n < 200 and (only is None or p.stem in only):
                out.append(("x", p.stem, p))
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--sets", default="solomon,x")
    ap.add_argument("--backends", default="pyvrp,ortools")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2, help="PyVRP processes (independent searches, best kept)")
    ap.add_argument("--instances", default=None, help="comma-separated instance names")
    ap.add_argument("--out", type=Path, default=None, help="write results JSON here")
    a = ap.parse_args(argv)
    if not SOLOMON.exists() and not UCHOA.exists():
        raise SystemExit(f"benchmark data not found under {SHARED_BENCHMARKS}")
    backends = a.backends.split(",")
    only = set(a.instances.split(",")) if a.instances else None
    bks = {"solomon": _bks(SOLOMON), "x": _bks(UCHOA)}
    rows, records = [], []
    gaps: dict[tuple[str, str], list[float]] = {}
    for family, name, path in instances(a.sets.split(","), only):
        problem, meta = read_solomon(path) if family == "solomon" else read_uchoa(path)
        row: list[object] = [name, f"{bks[family][name]:.1f}"]
        for b in backends:
            t0 = time.perf_counter()
            res = solve(problem, stop=Stop(time_limit_s=a.time_limit), seed=a.seed,
                        params=RoutingParams(backend=b, workers=a.workers if b == "pyvrp" else 1))
            el = time.perf_counter() - t0
            ok, icost, why = evaluate(problem, res)
            cost = icost / meta["scale"]
            gap = 100.0 * (cost - bks[family][name]) / bks[family][name] if ok else math.nan
            if ok:
                gaps.setdefault((family, b), []).append(gap)
            row += [f"{cost:.1f}" if ok else f"INFEAS({why})", len(res.routes),
                    f"{gap:.2f}" if ok else "-", f"{el:.1f}"]
            records.append({"instance": name, "set": family, "backend": b, "feasible": ok,
                            "cost": cost, "routes": len(res.routes), "gap_pct": gap, "time_s": el,
                            "bks": bks[family][name]})
        rows.append(row)
        print("  ".join(str(c) for c in row), flush=True)
    headers = ["instance", "bks"]
    for b in backends:
        headers += [f"{b} cost", "routes", "gap%", "s"]
    print()
    print_table(headers, rows)
    print()
    summ = []
    for (family, b), g in sorted(gaps.items()):
        n_inst = sum(1 for r in records if r["set"] == family and r["backend"] == b)
        summ.append([family, b, f"{np.mean(g):.3f}", f"{np.max(g):.3f}", f"{len(g)}/{n_inst}",
                     sum(1 for x in g if x <= 1.0)])
    print_table(["set", "backend", "mean gap%", "max gap%", "feasible", "<=1%"], summ)
    if a.out:
        write_json(a.out / "vrptw.json", records)


if __name__ == "__main__":
    main()

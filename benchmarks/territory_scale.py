"""Scale benchmark of the territory solver on synthetic cities.

Usage::

    python -m benchmarks.territory_scale [--sizes 5000,30000,100000] [--time-limit 600] [--seed 1]

Each size runs in its own subprocess (so ``ru_maxrss`` is that run's peak memory). A synthetic
city has an urban core, towns and villages (Gaussian clusters); travel times are straight line
x 1.3 circuity at 8.33 m/s (30 km/h), computed on the fly (no ``n x n`` matrix). Territories:
n/250 (5 000 -> 20, 30 000 -> 120, 100 000 -> 400), workload balanced within +-3 %, contiguous
on the trimmed Delaunay graph, free centres. Reported: time, peak RSS, workload imbalance
(max/mean - 1 and largest |deviation|), contiguity (recomputed here from the assignment),
workload-weighted mean travel time to the territory centre.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import subprocess
import sys
import time

import numpy as np

from benchmarks._common import print_table

TERRITORIES = {5000: 20, 30000: 120, 100000: 400}


def synthetic_city(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` retailers: 55 % urban core, 30 % towns, 15 % villages; returns (xy metres, measures).

    Measures: workload (service seconds per 4-week cycle: visit time x visits by class), sales
    volume, count, key customer (0/1).
    """
    rng = np.random.default_rng(seed)
    side = 20000.0 * np.sqrt(n / 5000.0)  # city region grows with n
    n_core = int(0.55 * n)
    n_town = int(0.30 * n)
    n_vil = n - n_core - n_town
    parts = []
    # urban core: a few overlapping dense clusters
    cores = rng.normal(side / 2, side * 0.06, size=(4, 2))
    lab = rng.integers(0, 4, n_core)
    parts.append(cores[lab] + rng.normal(0, side * 0.06, size=(n_core, 2)))
    towns = rng.uniform(0.1 * side, 0.9 * side, size=(max(3, n // 2500), 2))
    lab = rng.integers(0, len(towns), n_town)
    parts.append(towns[lab] + rng.normal(0, side * 0.015, size=(n_town, 2)))
    vil = rng.uniform(0, side, size=(max(10, n // 150), 2))
    lab = rng.integers(0, len(vil), n_vil)
    parts.append(vil[lab] + rng.normal(0, side * 0.004, size=(n_vil, 2)))
    xy = np.round(np.concatenate(parts), 1)
    key = rng.random(n) < 0.1
    visits = np.where(key, 4, rng.choice([1, 2], size=n, p=[0.6, 0.4]))
    service = rng.uniform(8, 20, n) * 60
    workload = np.round(service * visits)
    sales = np.round(rng.lognormal(3, 0.8, n) * np.where(key, 4, 1))
    measures = np.stack([workload, sales, np.ones(n), key.astype(float)], axis=1)
    return xy, measures


def run_one(n: int, time_limit: float, seed: int) -> dict:
    from solvers.common import Stop
    from solvers.territory import EuclideanTravel, TerritoryProblem, solve, territory_components
    from solvers.territory.graph import Graph

    k = TERRITORIES.get(n, max(2, n // 250))
    t0 = time.perf_counter()
    xy, measures = synthetic_city(n, seed)
    travel = EuclideanTravel(xy, scale=1.3 / 8.33)
    problem = TerritoryProblem(
        n_territories=k,
        xy=xy,
        measures=measures,
        measure_names=("workload", "sales", "count", "key"),
        tolerances=(0.03, float("inf"), float("inf"), float("inf")),
        travel=travel,
    )
    t1 = time.perf_counter()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    res = solve(problem, stop=Stop(time_limit_s=time_limit), seed=seed)
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    t2 = time.perf_counter()
    x = res.assignment
    # independent checks
    assert x.shape == (n,) and x.min() >= 0 and x.max() < k
    wl = np.bincount(x, weights=measures[:, 0], minlength=k)
    from solvers.territory import delaunay_adjacency

    edges = delaunay_adjacency(xy)
    ncomp, _ = territory_components(Graph(n, edges), x, k)
    return {
        "n": n,
        "k": k,
        "build_s": round(t1 - t0, 2),
        "solve_s": round(t2 - t1, 2),
        "solve_cpu_s": round((r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime), 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "imbalance": float(wl.max() / wl.mean() - 1),
        "max_abs_dev": float(np.abs(wl / wl.mean() - 1).max()),
        "contiguous": int(np.count_nonzero(ncomp == 1)),
        "empty": int(np.count_nonzero(wl == 0)),
        "status": res.status.value,
        "mean_travel_s": round(res.objective / float(measures[:, 0].sum()), 1),
        "iterations": res.stats.iterations,
        "phases": {a: round(b, 2) for a, b in dataclasses.asdict(res.stats.phases).items() if b is not None}
        if res.stats.phases is not None else {},
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="5000,30000,100000")
    ap.add_argument("--time-limit", type=float, default=600.0, help="solver time limit per size (s)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one is not None:
        print(json.dumps(run_one(args.one, args.time_limit, args.seed)))
        return
    rows = []
    for n in [int(s) for s in args.sizes.split(",") if s]:
        cmd = [sys.executable, "-m", "benchmarks.territory_scale", "--one", str(n),
               "--time-limit", str(args.time_limit), "--seed", str(args.seed)]
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            rows.append([n, TERRITORIES.get(n, "?"), "FAILED"] + [""] * 8)
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append([r["n"], r["k"], r["status"], r["solve_s"], r["solve_cpu_s"], r["peak_rss_mb"],
                     f"{r['imbalance']:.2%}", f"{r['max_abs_dev']:.2%}",
                     f"{r['contiguous']}/{r['k']}", r["mean_travel_s"], r["iterations"]])
        print(json.dumps(r), file=sys.stderr)
    print_table(["n", "k", "status", "solve_s", "cpu_s", "peak_MB", "max/mean-1", "max|dev|",
                 "contiguous", "mean_t_s", "iters"], rows)
    print("solve_s = wall clock, cpu_s = process CPU time of the solve (user+sys); peak_MB = ru_maxrss "
          "of the run's process; mean_t_s = workload-weighted mean travel time unit->centre")


if __name__ == "__main__":
    main()

"""Held-out districting graphs: tract-like planar graphs of 300-700 units, written in the
format of ``../shared/benchmarks/districting-cutedges`` (node-link JSON, ``instances.csv``).

Usage::

    python -m benchmarks.districting_synth --out DIR
    python -m benchmarks.districting --instances DIR --time-limit 60 --out RUN

Each graph: points from a mixture of a uniform background and 2-6 Gaussian "cities" of
different spreads (dense centres of many small units, like census tracts), adjacency = the
Delaunay triangulation with overlong hull edges trimmed (:func:`solvers.territory.delaunay_adjacency`),
population per unit log-normal around 4 000 (sigma 0.35, 1 % empty units), ``k`` districts
within ``L = ceil(0.995 P / k)``, ``U = floor(1.005 P / k)`` as in the shared set. Fully
determined by the seed in :data:`GRAPHS`. There is no ``bks.csv``: the reference values are
the best plans found by any run (see ``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from pathlib import Path

import numpy as np

GRAPHS: tuple[tuple[str, int, int, int], ...] = (
    # name, units, districts, seed
    ("syn-320-k2", 320, 2, 101),
    ("syn-380-k5", 380, 5, 102),
    ("syn-450-k3", 450, 3, 103),
    ("syn-520-k6", 520, 6, 104),
    ("syn-560-k4", 560, 4, 105),
    ("syn-610-k8", 610, 8, 106),
    ("syn-664-k4", 664, 4, 107),
    ("syn-700-k7", 700, 7, 108),
)


def make(n: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(xy, population, edges)`` of one held-out graph (see module docstring)."""
    from solvers.territory import delaunay_adjacency

    rng = np.random.default_rng(seed)
    aspect = rng.uniform(0.6, 1.6)
    n_city = int(rng.integers(2, 7))
    share_bg = rng.uniform(0.3, 0.5)
    n_bg = int(n * share_bg)
    centres = rng.uniform([0.1, 0.1], [0.9 * aspect, 0.9], size=(n_city, 2))
    spread = rng.uniform(0.02, 0.12, size=n_city)
    weight = rng.dirichlet(np.ones(n_city))
    which = rng.choice(n_city, size=n - n_bg, p=weight)
    city = centres[which] + rng.normal(size=(n - n_bg, 2)) * spread[which, None]
    bg = rng.uniform([0, 0], [aspect, 1.0], size=(n_bg, 2))
    xy = np.round(np.concatenate([bg, city]) * 100_000.0, 1)
    pop = np.rint(rng.lognormal(math.log(4000.0), 0.35, size=n)).astype(np.int64)
    pop[rng.random(n) < 0.01] = 0
    edges = delaunay_adjacency(xy)
    return xy, pop, edges


def write(folder: Path) -> None:
    """Write every graph of :data:`GRAPHS` and ``instances.csv`` to ``folder``."""
    (folder / "instances").mkdir(parents=True, exist_ok=True)
    rows = []
    for name, n, k, seed in GRAPHS:
        xy, pop, edges = make(n, k, seed)
        adj: list[list[dict]] = [[] for _ in range(n)]
        for u, v in edges.tolist():
            adj[u].append({"id": v})
            adj[v].append({"id": u})
        nodes = [{"id": i, "TOTPOP": int(pop[i]), "C_X": float(xy[i, 0]), "C_Y": float(xy[i, 1])}
                 for i in range(n)]
        data = {"directed": False, "multigraph": False, "graph": {}, "nodes": nodes, "adjacency": adj}
        (folder / "instances" / f"{name}.json").write_text(json.dumps(data))
        total = int(pop.sum())
        rows.append({"instance": name, "file": f"instances/{name}.json", "n_units": n,
                     "n_adjacent_pairs": len(edges), "k_districts": k,
                     "L_pop_min": math.ceil(0.995 * total / k), "U_pop_max": math.floor(1.005 * total / k),
                     "total_pop": total})
    with open(folder / "instances.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    write(args.out)
    print(f"wrote {len(GRAPHS)} graphs to {args.out}")


if __name__ == "__main__":
    main()

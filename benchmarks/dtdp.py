"""Delivery territory design benchmark (Aly, Gabor & Sleptchenko 2024): min largest diameter.

Usage::

    python -m benchmarks.dtdp --instances ../shared/benchmarks/territory-dtdp --time-limit 60 \\
        --out DIR [--seed 1] [--only planar500_G0,...] [--variants free,contiguous]

k = 10 territories; n_customers, demand and workload each within +-5 % of the mean;
objective = max over territories of the largest shortest-path distance (Dijkstra on the WHOLE
graph, edge weight ``distance``) between two of its nodes. Two variants: ``free`` (no
contiguity, the published setting, compared with ``bks.csv``) and ``contiguous`` (every
territory connected; not comparable to the published values, an upper-bound-ish reference).
Plans go to ``DIR/<variant>/<instance>.json`` as ``{"assignment": {"<node id>": territory}}``;
the objective, balance and contiguity are recomputed here with networkx from the written file.
The solver gets the shortest-path distances x 10 000 rounded to integers (its oracle is
integer); the reported objective uses the exact float distances.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import networkx as nx
import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from benchmarks._common import SHARED_BENCHMARKS, print_table, write_json

MEASURES = ("workload", "n_customers", "demand")
SCALE = 10_000


def load(path: Path) -> tuple[nx.Graph, list[str], np.ndarray, np.ndarray, np.ndarray]:
    g = nx.read_graphml(path)
    ids = sorted(g.nodes, key=lambda s: int(s))
    pos = {v: i for i, v in enumerate(ids)}
    xy = np.array([[float(g.nodes[v].get("x", 0)), float(g.nodes[v].get("y", 0))] for v in ids])
    meas = np.array([[float(g.nodes[v][m]) for m in MEASURES] for v in ids])
    edges = np.array([[pos[u], pos[v]] for u, v in g.edges], dtype=np.int64)
    return g, ids, xy, meas, edges


def shortest_paths(g: nx.Graph, ids: list[str], edges: np.ndarray) -> np.ndarray:
    dist = np.array([float(g.edges[ids[u], ids[v]]["distance"]) for u, v in edges.tolist()])
    n = len(ids)
    a = sparse.coo_matrix((dist, (edges[:, 0], edges[:, 1])), shape=(n, n)).tocsr()
    return csgraph.dijkstra(a, directed=False)


def check(g: nx.Graph, plan: dict, contiguous: bool, k: int = 10, delta: float = 0.05) -> dict:
    """Independent evaluation with networkx: objective, balance, contiguity."""
    terr: dict[int, list[str]] = {}
    for v in g.nodes:
        terr.setdefault(int(plan[v]), []).append(v)
    obj = 0.0
    for mem in terr.values():
        ms = set(mem)
        for v in mem:
            d = nx.single_source_dijkstra_path_length(g, v, weight="distance")
            obj = max(obj, max(d[u] for u in ms))
    dev = 0.0
    for m in MEASURES:
        tot = sum(float(g.nodes[v][m]) for v in g.nodes)
        for mem in terr.values():
            dev = max(dev, abs(sum(float(g.nodes[v][m]) for v in mem) / (tot / k) - 1))
    conn = all(nx.is_connected(g.subgraph(mem)) for mem in terr.values())
    return {"objective": obj, "max_dev": dev, "balanced": dev <= delta + 1e-9 and len(terr) == k,
            "connected": conn}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instances", type=Path, default=SHARED_BENCHMARKS / "territory-dtdp")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--out", type=Path, default=Path("dtdp-out"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", default="")
    ap.add_argument("--variants", default="free,contiguous")
    args = ap.parse_args(argv)

    from solvers.common import MatrixTravel, Stop
    from solvers.territory import TerritoryProblem, solve

    folder = args.instances
    bks = {r["instance"]: float(r["bks_value"]) for r in csv.DictReader(open(folder / "bks.csv"))}
    only = [s for s in args.only.split(",") if s]
    names = only or sorted(bks, key=lambda s: (int(s.split("_")[0][6:]), int(s.split("_G")[1])))
    variants = [v for v in args.variants.split(",") if v]
    rows = []
    summary: dict[str, list[float]] = {v: [] for v in variants}
    for name in names:
        g, ids, xy, meas, edges = load(folder / "instances" / f"{name}.graphml")
        d = shortest_paths(g, ids, edges)
        travel = MatrixTravel(np.rint(d * SCALE).astype(np.int64))
        for var in variants:
            problem = TerritoryProblem(
                n_territories=10,
                xy=xy,
                measures=meas,
                measure_names=MEASURES,
                tolerances=(0.05, 0.05, 0.05),
                travel=travel,
                adjacency=edges,
                contiguous=var == "contiguous",
                objective="diameter",
            )
            t0 = time.perf_counter()
            res = solve(problem, stop=Stop(time_limit_s=args.time_limit), seed=args.seed)
            dt = time.perf_counter() - t0
            plan = {v: int(t) for v, t in zip(ids, res.assignment.tolist(), strict=True)}
            out = args.out / var / f"{name}.json"
            write_json(out, {"assignment": plan})
            chk = check(g, json.loads(out.read_text())["assignment"], var == "contiguous")
            feas = chk["balanced"] and (chk["connected"] or var != "contiguous")
            ref = bks.get(name)
            gap = (chk["objective"] - ref) / ref if ref and feas else None
            if gap is not None:
                summary[var].append(gap)
            rows.append([name, var, len(ids), f"{chk['objective']:.4f}", f"{ref:.4f}" if ref else "-",
                         "-" if gap is None else f"{gap:+.1%}", f"{dt:.1f}",
                         f"{chk['max_dev']:.2%}", "yes" if chk["balanced"] else "NO",
                         "yes" if chk["connected"] else "no", res.status.value,
                         res.stats.iterations])
    print_table(["instance", "variant", "n", "objective", "bks", "gap", "time_s", "max_dev",
                 "balanced", "connected", "status", "iters"], rows)
    for var, gaps in summary.items():
        if gaps:
            within = sum(1 for x in gaps if x <= 0.05)
            print(f"{var}: feasible {len(gaps)}/{len(names)}, mean gap {np.mean(gaps):+.2%}, "
                  f"max gap {np.max(gaps):+.2%}, within 5 % of bks: {within}/{len(names)}"
                  + ("  (contiguous: not comparable to bks)" if var == "contiguous" else ""))


if __name__ == "__main__":
    main()

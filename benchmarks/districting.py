"""Districting benchmark (Validi & Buchanan 2022): contiguous districts within [L, U], min cut edges.

Usage::

    python -m benchmarks.districting --instances ../shared/benchmarks/districting-cutedges \\
        --time-limit 60 --out DIR [--seed 1 | --seeds 1,2,3] [--only ME-county,NM-county]

Protocol: one run per instance with ``Stop(time_limit_s=...)`` and the given seed; the
assignment is written to ``DIR/<instance>.json`` as ``{"assignment": {"<node id>": district}}``;
cut edges, connectivity of each district and the population bounds are recomputed here from
the written assignment (independent of the solver's own evaluation) and compared with the
proven optimum in ``bks.csv`` (if the folder has one). With ``--seeds`` every instance runs
once per seed (plans in ``DIR/seed<s>/``) and a second table gives the mean and the worst cut
over the seeds; ``DIR/summary.json`` keeps the cuts.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import networkx as nx
import numpy as np

from benchmarks._common import SHARED_BENCHMARKS, print_table, write_json


def load_instance(path: Path) -> tuple[list, np.ndarray, np.ndarray, np.ndarray]:
    """(node ids, xy (lon/lat), population, edges as index pairs) of a node-link JSON graph."""
    data = json.loads(path.read_text())
    ids = [nd["id"] for nd in data["nodes"]]
    pos = {v: i for i, v in enumerate(ids)}
    xy = np.array([[nd.get("C_X", 0.0), nd.get("C_Y", 0.0)] for nd in data["nodes"]], dtype=np.float64)
    if not np.any(xy):  # no centroids: spread on a line (coordinates are not used here)
        xy[:, 0] = np.arange(len(xy))
    pop = np.array([nd["TOTPOP"] for nd in data["nodes"]], dtype=np.float64)
    edges = {
        (min(i, pos[a["id"]]), max(i, pos[a["id"]]))
        for i, adj in enumerate(data["adjacency"])
        for a in adj
        if pos[a["id"]] != i
    }
    return ids, xy, pop, np.array(sorted(edges), dtype=np.int64)


def check(ids: list, pop: np.ndarray, edges: np.ndarray, plan: dict, k: int, lo: int, hi: int) -> dict:
    """Independent check of a written plan: cut edges, connectivity and bounds per district."""
    g = nx.Graph()
    g.add_nodes_from(ids)
    g.add_edges_from((ids[u], ids[v]) for u, v in edges.tolist())
    dist = {nid: int(plan[str(nid)]) for nid in ids}
    popd = {nid: p for nid, p in zip(ids, pop.tolist(), strict=True)}
    cut = sum(1 for u, v in g.edges if dist[u] != dist[v])
    districts = sorted(set(dist.values()))
    connected = all(
        nx.is_connected(g.subgraph([v for v in ids if dist[v] == d])) for d in districts
    )
    pops = [sum(popd[v] for v in ids if dist[v] == d) for d in districts]
    within = len(districts) == k and all(lo <= p <= hi for p in pops)
    return {"cut": cut, "connected": connected, "within": within, "k": len(districts)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instances", type=Path, default=SHARED_BENCHMARKS / "districting-cutedges")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--out", type=Path, default=Path("districting-out"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--seeds", default="", help="comma-separated seeds (overrides --seed); "
                    "the summary gives the mean and worst cut per instance")
    ap.add_argument("--only", default="", help="comma-separated instance names")
    args = ap.parse_args(argv)

    from solvers.common import Stop
    from solvers.territory import TerritoryProblem, solve

    folder = args.instances
    bks_file = folder / "bks.csv"
    bks = ({r["instance"]: int(r["bks_value"]) for r in csv.DictReader(open(bks_file))}
           if bks_file.exists() else {})
    seeds = [int(s) for s in args.seeds.split(",") if s] or [args.seed]
    rows = []
    summary = []
    only = {s for s in args.only.split(",") if s}
    hits = runs = 0
    for r in csv.DictReader(open(folder / "instances.csv")):
        name = r["instance"]
        if only and name not in only:
            continue
        k, lo, hi = int(r["k_districts"]), int(r["L_pop_min"]), int(r["U_pop_max"])
        ids, xy, pop, edges = load_instance(folder / r["file"])
        problem = TerritoryProblem(
            n_territories=k,
            xy=xy,
            measures=pop[:, None],
            measure_names=("population",),
            tolerances=(0.005,),
            adjacency=edges,
            objective="cut_edges",
        )
        best = bks.get(name)
        cuts = []
        for seed in seeds:
            out = args.out / (f"seed{seed}" if len(seeds) > 1 else "") / f"{name}.json"
            t0 = time.perf_counter()
            res = solve(problem, stop=Stop(time_limit_s=args.time_limit), seed=seed)
            dt = time.perf_counter() - t0
            plan = {str(nid): int(d) for nid, d in zip(ids, res.assignment.tolist(), strict=True)}
            write_json(out, {"assignment": plan})
            chk = check(ids, pop, edges, json.loads(out.read_text())["assignment"], k, lo, hi)
            ok = chk["connected"] and chk["within"]
            gap = (chk["cut"] - best) / best if best and ok else None
            hits += int(ok and chk["cut"] == best)
            runs += 1
            cuts.append(chk["cut"] if ok else None)
            rows.append([name, len(ids), k, seed, chk["cut"] if ok else f"({chk['cut']})", best,
                         "-" if gap is None else f"{gap:.1%}", f"{dt:.1f}",
                         "yes" if chk["connected"] else "NO", "yes" if chk["within"] else "NO",
                         res.status.value, res.stats.iterations, res.stats.method])
            print(*rows[-1], flush=True)
        feas = [c for c in cuts if c is not None]
        summary.append({"instance": name, "n": len(ids), "k": k, "best": best, "cuts": cuts,
                        "mean": float(np.mean(feas)) if feas else None,
                        "worst": max(feas) if len(feas) == len(cuts) else None})
    print_table(["instance", "n", "k", "seed", "cut", "optimum", "gap", "time_s", "connected",
                 "in [L,U]", "status", "iters", "method"], rows)
    if len(seeds) > 1 or bks:
        srows = []
        for s_ in summary:
            b, mean, worst = s_["best"], s_["mean"], s_["worst"]
            srows.append([s_["instance"], s_["n"], s_["k"], b, " ".join(str(c) for c in s_["cuts"]),
                          "-" if mean is None else f"{mean:.1f}", "-" if worst is None else worst,
                          "-" if not (b and mean is not None) else f"{(mean - b) / b:.1%}",
                          "-" if not (b and worst is not None) else f"{(worst - b) / b:.1%}"])
        print_table(["instance", "n", "k", "optimum", "cuts by seed", "mean", "worst", "mean gap",
                     "worst gap"], srows)
        gaps = [(s_["mean"] - s_["best"]) / s_["best"] for s_ in summary if s_["best"] and s_["mean"] is not None]
        if gaps:
            print(f"mean gap over instances {np.mean(gaps):.2%}")
    write_json(args.out / "summary.json", {"time_limit_s": args.time_limit, "seeds": seeds,
                                           "instances": summary})
    print(f"optimum reached in {hits}/{runs} runs (time limit {args.time_limit:g} s, seeds {seeds})")


if __name__ == "__main__":
    main()

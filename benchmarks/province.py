"""Province benchmark: ``planner batch`` on Dask, and quarterly re-zoning of a large city.

Usage::

    python -m benchmarks.province [--retailers 300000] [--regions 100] [--workers 1,2]
                                  [--schedule greedy|solver] [--work DIR]
                                  [--city 30000] [--budgets 0.05,0.10,0.20] [--skip-batch] [--skip-rezone]

**Batch.** A synthetic province of ``--regions`` regions with ``--retailers`` retailers in all
(``planner.inputs.synthetic.generate_region`` per region, a county with its own road network, about 200
retailers per manager) is planned with :func:`planner.workflows.batch.run_batch` on a Dask
``LocalCluster`` of 1 and 2 worker processes (one thread each), each into a fresh folder. Measured:
wall time (cluster start included), peak memory (the sum of the worker processes' RSS, sampled
every 0.5 s with psutil, and the driver's RSS) and every task's time (the whole pipeline of
one region: reading, travel model, territories, calendars, baseline, validation, reports).

The projection to 16 workers replays the measured task times (of the 1-worker run, where tasks
did not compete for the two cores) with the batch's own policy, longest task first, on 16
workers (list scheduling), and adds the measured cluster start and the measured per-task
overhead (``(wall - start) * workers - sum(task times)``, per task: scheduling, result collection
and summary writes). It assumes 16 real cores and memory for 16 workers (peak RSS per worker x 16).

**Re-zoning.** A city (``generate_region(n_retailers=--city, n_managers=--city/250,
kind="city")``) gets a first plan; next quarter's data has about 3 % new retailers, 2 % closed,
5 % class changes, two managers leaving and two joining (:func:`planner.inputs.synthetic.simulate_quarter`).
It is re-zoned at each budget of ``--budgets`` (the balance-disruption curve, plus the plan
designed from scratch for reference). Reported per budget: the share moved for rebalancing
(the budget measure), forced moves, all moves, imbalance of the territory design's workload
measure, imbalance and travel share of the calendars, unplanned visits, weekdays kept, time.
Target: 30 000 retailers re-zoned under a 10 % budget with imbalance <= 5 %.

Results are printed as tables and saved to ``WORK/results.json``.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import threading
import time
from pathlib import Path

from benchmarks._common import print_table, write_json


def _scenario_edit(path: Path, *, schedule: str, territory_s: float, schedule_s: float) -> None:
    text = path.read_text(encoding="utf-8")
    text = text.replace("solver:\n", f"schedule: {{method: {schedule}}}\nsolver:\n  territory_time_limit_s: {territory_s:g}\n"
                        f"  schedule_time_limit_s: {schedule_s:g}\n", 1)
    path.write_text(text, encoding="utf-8")


def make_province(work: Path, retailers: int, regions: int, *, schedule: str, territory_s: float,
                  schedule_s: float) -> list[Path]:
    from planner.inputs.synthetic import generate_region

    per = max(10, retailers // regions)
    out = []
    t0 = time.perf_counter()
    for k in range(regions):
        d = work / "province" / f"region-{k + 1:03d}"
        if not (d / "scenario.yaml").exists():
            generate_region(n_retailers=per, n_managers=max(1, round(per / 200)), seed=1000 + k, out=d,
                            kind="county")
            _scenario_edit(d / "scenario.yaml", schedule=schedule, territory_s=territory_s, schedule_s=schedule_s)
        out.append(d / "scenario.yaml")
    print(f"province: {regions} regions x {per} retailers ready in {time.perf_counter() - t0:.0f} s ({work / 'province'})")
    return out


class MemorySampler:
    """Peak of the summed RSS of the given processes (and of the driver), sampled every 0.5 s."""

    def __init__(self, pids: list[int]) -> None:
        import psutil

        self.procs = [psutil.Process(p) for p in pids]
        self.me = psutil.Process()
        self.peak_workers = 0
        self.peak_driver = 0
        self.peak_per_worker = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = []
            for p in self.procs:
                try:
                    rss.append(p.memory_info().rss)
                except Exception:
                    rss.append(0)
            self.peak_workers = max(self.peak_workers, sum(rss))
            self.peak_per_worker = max([self.peak_per_worker, *rss])
            self.peak_driver = max(self.peak_driver, self.me.memory_info().rss)
            self._stop.wait(0.5)

    def __enter__(self) -> MemorySampler:
        self._t.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._t.join()


def lpt_makespan(times: list[float], workers: int) -> float:
    """Longest task first onto the least loaded worker (the batch's priority order)."""
    loads = [0.0] * workers
    heapq.heapify(loads)
    for t in sorted(times, reverse=True):
        heapq.heappush(loads, heapq.heappop(loads) + t)
    return max(loads)


def run_province(scenarios: list[Path], work: Path, workers: int) -> dict:
    import shutil

    from distributed import Client, LocalCluster

    from planner.workflows.batch import run_batch

    out = work / f"batch-{workers}w"
    if out.exists():
        shutil.rmtree(out)
    t0 = time.perf_counter()
    import logging

    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None, silence_logs=logging.ERROR)
    client = Client(cluster)
    start = time.perf_counter() - t0
    pids = list(client.run(os.getpid).values())
    done = [0]

    def tick(res) -> None:
        done[0] += 1
        if done[0] % 10 == 0 or done[0] == len(scenarios):
            print(f"  {workers} worker(s): {done[0]}/{len(scenarios)} regions, {time.perf_counter() - t0:.0f} s", flush=True)

    try:
        with MemorySampler(pids) as mem:
            res = run_batch(scenarios, out, client=client, on_result=tick)
    finally:
        client.close()
        cluster.close()
    wall = time.perf_counter() - t0
    times = [r.time_s for r in res.results if r.time_s]
    statuses = {s: sum(r.status == s for r in res.results) for s in ("done", "kept", "invalid", "failed")}
    overhead = max(0.0, ((wall - start) * workers - sum(times)) / max(len(times), 1))
    imb = sorted(r.imbalance for r in res.results if r.imbalance is not None)
    return {"workers": workers, "regions": len(res.results), "wall_s": wall, "cluster_start_s": start,
            "task_s_sum": sum(times), "task_s_mean": sum(times) / max(len(times), 1), "task_s_max": max(times, default=0),
            "overhead_per_task_s": overhead, "task_times": times, "peak_rss_workers_mb": mem.peak_workers / 2**20,
            "peak_rss_per_worker_mb": mem.peak_per_worker / 2**20, "peak_rss_driver_mb": mem.peak_driver / 2**20,
            "statuses": statuses, "retailers": sum(r.retailers or 0 for r in res.results),
            "imbalance_median": imb[len(imb) // 2] if imb else None,
            "errors": [f"{r.region}: {r.error.splitlines()[0]}" for r in res.results if r.error][:10]}


def run_city(work: Path, n: int, budgets: list[float], *, schedule: str, territory_s: float, schedule_s: float,
             seed: int = 7) -> dict:
    from planner.config.scenario import load_scenario
    from planner.inputs.synthetic import generate_region, simulate_quarter
    from planner.workflows.rezone import rezone
    from planner.workflows.run import run_scenario

    city = work / f"city-{n}"
    q1 = city / "q1"
    t0 = time.perf_counter()
    if not (q1 / "scenario.yaml").exists():
        generate_region(n_retailers=n, n_managers=max(1, n // 250), seed=seed, out=q1, kind="city")
        _scenario_edit(q1 / "scenario.yaml", schedule=schedule, territory_s=territory_s, schedule_s=schedule_s)
    t_gen = time.perf_counter() - t0
    plan1 = city / "plan-q1"
    t0 = time.perf_counter()
    if not (plan1 / "validation.json").exists():
        run_scenario(load_scenario(q1 / "scenario.yaml"), out=plan1, with_baseline=False)
    t_plan1 = time.perf_counter() - t0
    k1 = json.loads((plan1 / "kpis.json").read_text())["global"]
    q2 = city / "q2"
    if not (q2 / "scenario.yaml").exists():
        simulate_quarter(q1, q2, seed=seed + 1, new_share=0.03, closed_share=0.02, class_change_share=0.05,
                         leave=2, join=2, previous_plan=plan1)
    main = 0.10 if 0.10 in budgets else budgets[0]
    out = city / f"rezone-{time.strftime('%H%M%S')}"
    t0 = time.perf_counter()
    res = rezone(load_scenario(q2 / "scenario.yaml"), plan1, max_moved=main, out=out, sweep=budgets,
                 with_baseline=False)
    t_rezone = time.perf_counter() - t0
    curve = res.curve.to_dict(orient="records")
    return {"retailers": n, "managers": n // 250, "schedule": schedule, "generate_s": t_gen, "plan1_s": t_plan1,
            "plan1": {k: k1.get(k) for k in ("imbalance", "design_imbalance", "travel_share", "unplanned_visits")},
            "changes": res.summary["retailers"], "managers_changed": res.summary["managers"],
            "rezone_total_s": t_rezone, "curve": curve, "folder": str(out)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--retailers", type=int, default=300000)
    ap.add_argument("--regions", type=int, default=100)
    ap.add_argument("--workers", default="1,2", help="worker counts to measure, e.g. 1,2")
    ap.add_argument("--schedule", default="greedy", choices=["greedy", "solver"])
    ap.add_argument("--territory-time-limit", type=float, default=60.0)
    ap.add_argument("--schedule-time-limit", type=float, default=5.0, help="per manager (solver schedule)")
    ap.add_argument("--city", type=int, default=30000)
    ap.add_argument("--budgets", default="0.05,0.10,0.20")
    ap.add_argument("--work", type=Path, default=Path("/tmp/fieldplan-province"))
    ap.add_argument("--skip-batch", action="store_true")
    ap.add_argument("--skip-rezone", action="store_true")
    a = ap.parse_args()
    a.work.mkdir(parents=True, exist_ok=True)
    results: dict = {"args": {k: str(v) for k, v in vars(a).items()}}
    rfile = a.work / "results.json"
    if rfile.exists():
        results = {**json.loads(rfile.read_text()), "args": results["args"]}

    if not a.skip_batch:
        scen = make_province(a.work, a.retailers, a.regions, schedule=a.schedule, territory_s=a.territory_time_limit,
                             schedule_s=a.schedule_time_limit)
        runs = []
        for w in [int(x) for x in a.workers.split(",")]:
            runs.append(run_province(scen, a.work, w))
            results["batch"] = runs
            write_json(rfile, results)
        base = next((r for r in runs if r["workers"] == 1), runs[0])
        for r in runs:
            r["projected_16_s"] = r["cluster_start_s"] + lpt_makespan(
                [t + r["overhead_per_task_s"] for t in base["task_times"]], 16)
        print(f"\nBatch: {a.regions} regions, {runs[0]['retailers']:,} retailers, schedule {a.schedule}")
        print_table(["workers", "wall (s)", "cluster start (s)", "task mean (s)", "task max (s)", "overhead/task (s)",
                     "peak RSS workers (MB)", "per worker (MB)", "driver (MB)", "done", "failed", "median imbalance",
                     "projected 16 workers (s)"],
                    [[r["workers"], f"{r['wall_s']:.0f}", f"{r['cluster_start_s']:.1f}", f"{r['task_s_mean']:.1f}",
                      f"{r['task_s_max']:.1f}", f"{r['overhead_per_task_s']:.2f}", f"{r['peak_rss_workers_mb']:.0f}",
                      f"{r['peak_rss_per_worker_mb']:.0f}", f"{r['peak_rss_driver_mb']:.0f}", r["statuses"]["done"],
                      r["statuses"]["failed"], f"{100 * (r['imbalance_median'] or 0):.1f} %", f"{r['projected_16_s']:.0f}"]
                     for r in runs])
        for r in runs:
            for e in r["errors"]:
                print(f"  error ({r['workers']} workers): {e}")
        results["batch"] = runs
        write_json(rfile, results)

    if not a.skip_rezone:
        budgets = [float(x) for x in a.budgets.split(",")]
        c = run_city(a.work, a.city, budgets, schedule=a.schedule, territory_s=a.territory_time_limit,
                     schedule_s=a.schedule_time_limit)
        results["rezone"] = c
        write_json(rfile, results)
        ch = c["changes"]
        print(f"\nRe-zoning a {c['retailers']:,}-retailer city ({c['managers']} managers, schedule {c['schedule']}); "
              f"first plan in {c['plan1_s']:.0f} s: imbalance {100 * c['plan1']['imbalance']:.1f} %, "
              f"design {100 * (c['plan1']['design_imbalance'] or 0):.1f} %, travel share {100 * c['plan1']['travel_share']:.1f} %")
        print(f"next quarter: {ch['new']} new, {ch['closed']} closed, {ch['class_changed']} class changes, "
              f"left {c['managers_changed']['left']}, joined {c['managers_changed']['joined']}; "
              f"re-zoning with the curve took {c['rezone_total_s']:.0f} s")
        print_table(["budget", "moved (budget)", "forced", "all moves", "design imbalance", "imbalance", "travel share",
                     "unplanned", "weekday kept", "within budget", "time (s)"],
                    [[r["label"], f"{100 * r['moved_share']:.1f} %", r["forced_moves"], f"{100 * r['total_moved_share']:.1f} %",
                      f"{100 * r['design_imbalance']:.1f} %", f"{100 * r['imbalance']:.1f} %",
                      f"{100 * r['travel_share']:.1f} %", r["unplanned_visits"],
                      "-" if r["weekday_kept_share"] is None else f"{100 * r['weekday_kept_share']:.0f} %",
                      r["within_budget"], f"{r['runtime_s']:.0f}"] for r in c["curve"]])
    print(f"\nresults: {rfile}")


if __name__ == "__main__":
    main()

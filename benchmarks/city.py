"""End-to-end benchmark of ``planner run`` on a generated city (issue 20).

Usage::

    python -m benchmarks.city [--retailers 30000] [--managers 120] [--seed 1] [--out DIR]
                              [--workers N] [--reference] [--schedule-time-limit S]

Generates the city with ``planner generate --kind city`` (its default settings), then runs
``planner run`` on it in a subprocess (so the peak memory is that run's: the largest ``ru_maxrss``
of the process and its calendar workers) and prints one row: wall time end to end (territories,
calendars of the plan and the baseline, the calendar balance, validation, reports, route sheets),
the phases from ``manifest.json``, peak memory, and the plan's figures (calendar and design
imbalance, unplanned visits, travel hours, visits planned), with the calendar balance's report.

``--reference`` runs the calendars one after another on one core (``solver.workers: 1``) and
without the calendar balance: the serial run the parallel one is compared with. Each run writes
into a new folder under ``--out`` (default ``benchmarks/out/city``); the plan store's calendar cache
is per folder, so every run solves the baseline (a second run in the same folder would reuse it:
``--again`` measures that what-if case).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import yaml

from benchmarks._common import print_table

ROOT = Path(__file__).resolve().parent.parent


def generate(out: Path, retailers: int, managers: int, seed: int) -> Path:
    if not (out / "scenario.yaml").exists():
        subprocess.run([sys.executable, "-m", "planner.cli", "generate", "--retailers", str(retailers),
                        "--managers", str(managers), "--kind", "city", "--seed", str(seed), "--out", str(out)],
                       check=True, cwd=ROOT)
    return out / "scenario.yaml"


def scenario_copy(src: Path, name: str, *, reference: bool, workers: int | None, time_limit: float | None) -> Path:
    data = yaml.safe_load(src.read_text(encoding="utf-8"))
    solver = data.setdefault("solver", {})
    if reference:
        solver["workers"] = 1
        data.setdefault("territories", {})["calendar_balance"] = False
    elif workers is not None:
        solver["workers"] = workers
    if time_limit is not None:
        solver["schedule_time_limit_s"] = time_limit
    dst = src.parent / f"{name}.yaml"
    dst.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return dst


def run(scenario: Path, plan: Path) -> tuple[float, float, int]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "planner.cli", "run", str(scenario), "--out", str(plan), "-q"],
                          cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
    return wall, peak_mb, proc.returncode


def balance_text(cb: dict) -> str:
    """The calendar balance's report in a table cell."""
    if not cb:
        return "-"
    if cb["calendars_solved_again"] == 0 and not cb["applied"]:
        return f"{100 * cb['imbalance_before']:.1f} %: {cb['reason']}"
    cand = cb.get("imbalance_candidate")
    return (f"{100 * cb['imbalance_before']:.1f} -> {100 * (cand or 0):.1f} % "
            f"({'kept' if cb['applied'] else 'not kept'}, {cb['moved_retailers']} moved, "
            f"{cb['runtime_s']:.0f} s)")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--retailers", type=int, default=30000)
    ap.add_argument("--managers", type=int, default=120)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=None, help="calendar processes (default: the local cores)")
    ap.add_argument("--schedule-time-limit", type=float, default=None, help="per calendar (default: the scenario's)")
    ap.add_argument("--reference", action="store_true", help="serial calendars, no calendar balance")
    ap.add_argument("--again", action="store_true", help="run twice in the same store (the second reuses the baseline)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "city")
    args = ap.parse_args(argv)
    city = args.out / f"city-{args.retailers}-{args.managers}-seed{args.seed}"
    src = generate(city, args.retailers, args.managers, args.seed)
    name = "reference" if args.reference else f"run-w{args.workers or 'all'}"
    scen = scenario_copy(src, name, reference=args.reference, workers=args.workers,
                         time_limit=args.schedule_time_limit)
    rows = []
    for k in range(2 if args.again else 1):
        plan = city / "plans" / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}-{k}"
        wall, peak, rc = run(scen, plan)
        if rc != 0:
            raise SystemExit(f"planner run failed (exit {rc})")
        kp = json.loads((plan / "kpis.json").read_text())
        man = json.loads((plan / "manifest.json").read_text())
        bman = json.loads((plan / "baseline" / "manifest.json").read_text()) if (plan / "baseline").exists() else {}
        g = kp["global"]
        cb = kp["solver"]["territories"].get("calendar_balance") or {}
        t = man.get("timings_s", {})
        rows.append([name + (" (again)" if k else ""), args.retailers, args.managers, f"{wall:.0f}",
                     f"{t.get('territories_s', 0):.0f}", f"{t.get('schedule_s', 0):.0f}", f"{peak:.0f}",
                     f"{100 * g['imbalance']:.1f} %", f"{100 * (g.get('design_imbalance') or 0):.1f} %",
                     g["unplanned_visits"], f"{g['travel_hours']:.1f}", g["visits_planned"],
                     balance_text(cb),
                     (bman.get("calendar_cache") or {}).get("reused", "-")])
        print(f"plan: {plan}", flush=True)
    print_table(["run", "retailers", "managers", "wall s", "territories s", "plan calendars s", "peak MB",
                 "imbalance", "design imb.", "unplanned", "travel h", "visits", "calendar balance",
                 "baseline calendars reused"], rows)


if __name__ == "__main__":
    main()

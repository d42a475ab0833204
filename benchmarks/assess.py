"""Assessment benchmark: a synthetic field log with known noise, and what ``planner assess`` recovers.

Usage::

    python -m benchmarks.assess [--plan PLAN_DIR] [--work DIR] [--retailers 800] [--managers 6]
                                [--missed 0.10] [--moved 0.15] [--extra 0.05] [--road 1.2]
                                [--jitter-min 10] [--bad 5] [--seed 7]

Without ``--plan`` a county of ``--retailers`` retailers and ``--managers`` managers is generated
(``planner generate``, seed 3) and planned once with the greedy calendar (kept in ``WORK``,
default ``/tmp/fieldplan-assess-bench``, and reused).

The log is made from the plan's ``visits.csv`` with ``numpy.random.default_rng(seed)``: each
planned visit is *missed* with probability ``missed``; else *moved* with probability ``moved`` to
another working day of the same week; else done on the planned day. Each manager gets
``Binomial(planned, extra)`` *extra* visits (15 min) to random retailers of the manager's own
territory on random working days. Times: each manager's day starts at the planned start of its
first visit shifted by a normal jitter (``jitter-min`` minutes); the visits follow in planned
order (moved-in visits after the day's own, extras last), each taking its planned service time,
with the plan's gap before it (travel, waiting, breaks from its planned predecessor; a moved or
extra visit: a gap drawn from the manager's planned gaps) times ``road``: the recovered road time per visit against the
plan should be about ``road``. ``--bad`` rows of each kind (unknown manager, unknown retailer, a date
outside the plan, an exact duplicate) are added to show that they are listed, not dropped.

The table compares, per manager and over all managers, the realised truth of the generator
(counts it made) with what the assessment recovered, and the rates with the noise parameters:
completion against ``1 - missed``, on-the-planned-day against ``1 - moved``, extra visits per
planned visit against ``extra``. A difference in counts is an inherent ambiguity of matching
(an extra visit in the same week as a missed visit of the same retailer counts as moved).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._common import print_table


def make_plan(work: Path, retailers: int, managers: int) -> Path:
    from planner.config.scenario import load_scenario
    from planner.inputs.synthetic import generate_region
    from planner.workflows.run import run_scenario

    plan = work / f"plan-{retailers}-{managers}"
    if (plan / "manifest.json").exists():
        return plan
    region = work / f"region-{retailers}-{managers}"
    if not (region / "scenario.yaml").exists():
        generate_region(n_retailers=retailers, n_managers=managers, seed=3, out=region, kind="county", n_teams=2)
    s = region / "scenario.yaml"
    text = s.read_text(encoding="utf-8")
    if "schedule: {method: greedy}" not in text:
        text = text.replace("solver:\n", "schedule: {method: greedy}\nsolver:\n  territory_time_limit_s: 10\n", 1)
        s.write_text(text, encoding="utf-8")
    run_scenario(load_scenario(s), out=plan, with_baseline=False)
    return plan


def clock(s: float) -> str:
    """``HH:MM:SS``; empty at or after midnight (a day that long has no times in the log)."""
    s = int(round(max(0.0, s)))
    return "" if s >= 24 * 3600 else f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def synthetic_log(plan_dir: Path, *, missed: float, moved: float, extra: float, road: float, jitter_min: float,
                  bad: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(log, truth)``: the log rows and, per manager, the counts the generator made (module docstring)."""
    from planner.plan.model import clock_seconds, read_plan

    rng = np.random.default_rng(seed)
    plan = read_plan(plan_dir)
    days = [d["date"] for d in plan.manifest["days"] if d.get("working", True)]
    start = dt.date.fromisoformat(plan.manifest["days"][0]["date"])
    week_days: dict[int, list[str]] = {}
    for d in days:
        week_days.setdefault((dt.date.fromisoformat(d) - start).days // 7, []).append(d)
    v = plan.visits.sort_values(["manager_id", "day_index", "sequence"], kind="stable").reset_index(drop=True)
    dep = clock_seconds(v["departure"]).astype(float)
    v["begin_s"] = dep - v["service_s"].to_numpy(float)
    v["dep_s"] = dep
    prev_dep = v.groupby(["manager_id", "day_index"])["dep_s"].shift(1)
    v["gap_s"] = (v["begin_s"] - prev_dep).clip(lower=0.0)  # the plan's gap before each visit (NaN: first of its day)
    gaps = {m: g.dropna().to_numpy(float) for m, g in v.groupby("manager_id")["gap_s"]}

    def any_gap(m: str) -> float:  # a gap drawn from the manager's planned gaps
        return float(rng.choice(gaps[m])) if len(gaps.get(m, ())) else 600.0
    truth: dict[str, dict[str, int]] = {}
    plans: dict[tuple[str, str], list[tuple]] = {}  # (manager, date) -> (order, retailer, gap before, service, begin)
    for r in v.itertuples(index=False):
        m = str(r.manager_id)
        t = truth.setdefault(m, {"planned": 0, "missed": 0, "moved": 0, "extra": 0})
        t["planned"] += 1
        u = rng.random()
        if u < missed:
            t["missed"] += 1
            continue
        date, order = str(r.date), 0
        if u < missed + (1 - missed) * moved:
            week = (dt.date.fromisoformat(date) - start).days // 7
            others = [d for d in week_days.get(week, []) if d != date]
            if others:
                date, order = str(rng.choice(others)), 1  # after that day's own visits
                t["moved"] += 1
        gap = r.gap_s if order == 0 and r.gap_s == r.gap_s else any_gap(m)
        plans.setdefault((m, date), []).append((order, r.begin_s, str(r.retailer_id), gap, float(r.service_s)))
    a = plan.assignments
    for m, t in truth.items():
        mine = a.loc[a["manager_id"] == m, "retailer_id"].astype(str).to_numpy()
        t["extra"] = int(rng.binomial(t["planned"], extra)) if len(mine) else 0
        for _ in range(t["extra"]):
            d = str(rng.choice(days))
            plans.setdefault((m, d), []).append((2, 0.0, str(rng.choice(mine)), any_gap(m), 900.0))
    rows = []
    for (m, d), stops in sorted(plans.items()):
        stops.sort(key=lambda x: (x[0], x[1]))
        first = next((b for o, b, *_ in stops if o == 0), 8.5 * 3600 + 600)
        clock_s = first + rng.normal(0.0, jitter_min * 60.0)
        for k, (_o, _b, rid, gap, service) in enumerate(stops):
            if k:
                clock_s += gap * road
            late = clock_s + service >= 24 * 3600  # both times or none
            rows.append((m, d, rid, "visit", "" if late else clock(clock_s), "" if late else clock(clock_s + service)))
            clock_s += service
    log = pd.DataFrame(rows, columns=["manager_id", "date", "retailer_id", "kind", "start", "end"])
    some = log.iloc[0]
    junk = []
    for j in range(bad):
        junk += [("NOBODY", some["date"], some["retailer_id"], "visit", "", ""),
                 (some["manager_id"], some["date"], f"NO-SUCH-{j}", "visit", "", ""),
                 (some["manager_id"], (start - dt.timedelta(days=7 + j)).isoformat(), some["retailer_id"], "visit", "", ""),
                 tuple(log.iloc[min(j, len(log) - 1)])]
    log = pd.concat([log, pd.DataFrame(junk, columns=log.columns)], ignore_index=True)
    log = log.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # field apps export in no useful order
    return log, pd.DataFrame.from_dict(truth, orient="index")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--plan", type=Path, default=None)
    ap.add_argument("--work", type=Path, default=Path("/tmp/fieldplan-assess-bench"))
    ap.add_argument("--retailers", type=int, default=800)
    ap.add_argument("--managers", type=int, default=6)
    ap.add_argument("--missed", type=float, default=0.10)
    ap.add_argument("--moved", type=float, default=0.15)
    ap.add_argument("--extra", type=float, default=0.05)
    ap.add_argument("--road", type=float, default=1.2)
    ap.add_argument("--jitter-min", type=float, default=10.0)
    ap.add_argument("--bad", type=int, default=5)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    from planner.workflows.assess import assess

    args.work.mkdir(parents=True, exist_ok=True)
    plan = args.plan or make_plan(args.work, args.retailers, args.managers)
    log, truth = synthetic_log(plan, missed=args.missed, moved=args.moved, extra=args.extra, road=args.road,
                               jitter_min=args.jitter_min, bad=args.bad, seed=args.seed)
    path = args.work / f"log-seed{args.seed}.csv"
    log.to_csv(path, index=False)
    t0 = time.perf_counter()
    res = assess(plan, path)
    secs = time.perf_counter() - t0
    got = res.managers.set_index("manager_id")
    print(f"plan {plan} · log {path.name}: {len(log)} rows · noise: missed {args.missed:g}, moved {args.moved:g}, "
          f"extra {args.extra:g}, road x{args.road:g}, day start jitter {args.jitter_min:g} min, {args.bad} bad rows of "
          f"each kind, seed {args.seed}")
    rows = []
    tot = truth.sum()

    def pct(x) -> str:
        return "–" if x is None or x != x else f"{100 * x:.1f}"

    for m, t in list(truth.iterrows()) + [("all", tot)]:
        if m == "all":
            g = res.overall | {"visits_missed": int(got["visits_missed"].sum()), "visits_moved": int(got["visits_moved"].sum()),
                               "road_ratio": res.overall.get("road_ratio")}
        else:
            g = got.loc[m]
        done = t["planned"] - t["missed"]
        rows.append([m, int(t["planned"]), f"{int(t['missed'])}/{int(g['visits_missed'])}",
                     f"{int(t['moved'])}/{int(g['visits_moved'])}", f"{int(t['extra'])}/{int(g['extra_visits'])}",
                     f"{pct(done / t['planned'])}/{pct(g['completion'])}",
                     f"{pct((done - t['moved']) / done)}/{pct(g['on_planned_day'])}",
                     f"{pct(t['extra'] / t['planned'])}/{pct(g['extra_rate'])}",
                     "–" if g["road_ratio"] is None or g["road_ratio"] != g["road_ratio"] else f"{g['road_ratio']:.3f}"])
    print_table(["manager", "planned", "missed true/got", "moved true/got", "extra true/got", "completion % true/got",
                 "on day % true/got", "extra % true/got", "road/plan"], rows)
    print(f"expected rates from the noise: completion {100 * (1 - args.missed):.1f} %, on the planned day "
          f"{100 * (1 - args.moved):.1f} %, extra {100 * args.extra:.1f} % of planned, road time per visit x{args.road:g}")
    print("log problems listed: " + ", ".join(f"{k} {v}" for k, v in res.meta["problems_by_code"].items())
          + f" (made: {args.bad} of each of unknown_manager, unknown_retailer, outside_plan, duplicate)")
    print(f"assessment time: {secs:.2f} s for {len(log)} log rows and {int(truth['planned'].sum())} planned visits")


if __name__ == "__main__":
    main()

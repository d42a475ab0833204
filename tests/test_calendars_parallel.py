"""Calendars side by side (issue 20): the worker-pool helper, the same plan on one or two workers,
the stall rule, and the baseline's calendars reused from the plan store's cache."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from conftest import BASE_SCENARIO, write_scenario

from planner.config.scenario import load_scenario
from planner.plan.cache import CACHE_DIR
from planner.workflows.run import run_scenario
from solvers.common import Stop
from solvers.parallel import map_tasks
from solvers.schedule import ScheduleParams
from solvers.schedule import solve as solve_calendar
from solvers.schedule.problem import ScheduleProblem, Vehicle


def _square(x: int) -> tuple[int, int]:
    return x, os.getpid()


def test_map_tasks_keeps_task_order_and_reports_each_result():
    seen = []
    out = map_tasks(_square, [(k,) for k in range(7)], workers=2, on_result=lambda k, r: seen.append(k))
    assert [x for x, _ in out] == list(range(7))
    assert sorted(seen) == list(range(7))
    assert {pid for _, pid in out} != {os.getpid()}  # run in worker processes
    serial = map_tasks(_square, [(k,) for k in range(3)], workers=1)
    assert serial == [(k, os.getpid()) for k in range(3)]  # one worker: in this process
    assert map_tasks(_square, [], workers=2) == []


def _solver_scenario(folder: Path, *, workers: int, store: str = "plans") -> Path:
    text = (BASE_SCENARIO.replace("schedule: {method: greedy}", "schedule: {method: solver}")
            .replace("max_iterations: 200}", f"max_iterations: 200, workers: {workers}}}")
            + f"output: {{folder: {store}}}\n")
    return write_scenario(folder, scenario=text)


def _no_runtime(obj):
    if isinstance(obj, dict):
        return {k: _no_runtime(v) for k, v in obj.items() if "runtime" not in k}
    if isinstance(obj, list):
        return [_no_runtime(v) for v in obj]
    return obj


def _files(folder: Path) -> dict[str, object]:
    """The plan's tables and KPIs (solver run times aside); not the manifest (timings), the
    scenario copy, the validation report or the reports (they name the folder)."""
    skip = {"manifest.json", "validation.json", "report.html", "report.xlsx", "scenario.yaml"}
    out: dict[str, object] = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.name not in skip and "sheets" not in p.parts:
            key = p.relative_to(folder).as_posix()
            out[key] = _no_runtime(json.loads(p.read_text())) if p.name == "kpis.json" else p.read_bytes()
    return out


def test_one_or_two_workers_give_the_same_plan(tmp_path):
    a = run_scenario(load_scenario(_solver_scenario(tmp_path / "one", workers=1)), out=tmp_path / "p1")
    b = run_scenario(load_scenario(_solver_scenario(tmp_path / "two", workers=2)), out=tmp_path / "p2")
    assert a.validation.ok and b.validation.ok
    fa, fb = _files(a.folder), _files(b.folder)
    assert fa.keys() == fb.keys()
    assert [k for k in fa if fa[k] != fb[k]] == []


def test_baseline_calendars_reused_from_the_store(tmp_path):
    s = _solver_scenario(tmp_path / "s", workers=2)
    first = run_scenario(load_scenario(s), out=tmp_path / "first")
    m1 = json.loads((first.folder / "baseline" / "manifest.json").read_text())
    assert m1["calendar_cache"]["reused"] == 0 and m1["calendar_cache"]["solved"] >= 2
    cached = sorted((tmp_path / "s" / "plans" / CACHE_DIR).glob("*.pkl"))
    assert len(cached) == m1["calendar_cache"]["solved"]
    # a what-if on the territory design: the baseline's calendars come from the cache
    s.write_text(s.read_text(encoding="utf-8") + "territories: {balance: {workload: 0.05}}\n", encoding="utf-8")
    second = run_scenario(load_scenario(s), out=tmp_path / "second")
    assert second.validation.ok, second.validation.summary()
    m2 = json.loads((second.folder / "baseline" / "manifest.json").read_text())
    assert m2["calendar_cache"] == {**m1["calendar_cache"], "reused": m1["calendar_cache"]["solved"], "solved": 0}
    assert _files(first.folder / "baseline") == _files(second.folder / "baseline")
    # another seed reaches the calendars: nothing is reused
    third = run_scenario(load_scenario(s), out=tmp_path / "third", seed=2)
    m3 = json.loads((third.folder / "baseline" / "manifest.json").read_text())
    assert m3["calendar_cache"]["reused"] == 0
    # a damaged cache file is a miss, solved again
    for p in (tmp_path / "s" / "plans" / CACHE_DIR).glob("*.pkl"):
        p.write_bytes(b"not a pickle")
    fourth = run_scenario(load_scenario(s), out=tmp_path / "fourth")
    m4 = json.loads((fourth.folder / "baseline" / "manifest.json").read_text())
    assert m4["calendar_cache"]["reused"] == 0 and fourth.validation.ok


def _ring(n: int) -> ScheduleProblem:
    rng = np.random.default_rng(5)
    xy = rng.uniform(0, 6000, size=(n + 1, 2))
    d = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) / 8).astype(np.int64)
    veh = Vehicle(depot=n, days=(True,) * 5, shift_start_s=8 * 3600, shift_end_s=17 * 3600)
    twice = ((0, 2), (1, 3), (2, 4), (0, 3), (1, 4))
    once = tuple((t,) for t in range(5))
    req = np.array([2 if i % 2 else 1 for i in range(n)], np.int64)
    return ScheduleProblem(n_days=5, travel_s=d, service_s=np.full(n, 600, np.int64),
                           required=req, patterns=tuple(twice if r == 2 else once for r in req),
                           windows=np.tile(np.array([9 * 3600, 12 * 3600]), (n, 5, 1)),
                           value=np.ones(n), vehicles=(veh,), lam=3600.0, days_per_week=5)


def test_rounds_stop_when_the_calendar_stops_improving():
    prob = _ring(25)
    res = solve_calendar(prob, stop=Stop(time_limit_s=None, max_iterations=10**7), seed=1,
                         params=ScheduleParams())
    assert res.stats.stalled is True and res.stats.iterations < 10**7
    again = solve_calendar(prob, stop=Stop(time_limit_s=None, max_iterations=10**7), seed=1, params=ScheduleParams())
    assert again.objective == res.objective and again.stats.iterations == res.stats.iterations
    full = solve_calendar(prob, stop=Stop(time_limit_s=None, max_iterations=res.stats.iterations * 2), seed=1,
                          params=ScheduleParams(stall_rounds=None))
    assert full.stats.stalled is False and full.stats.iterations >= res.stats.iterations

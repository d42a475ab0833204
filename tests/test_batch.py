"""planner batch: regions on a Dask cluster, failures per region, resuming after a kill."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from planner.config.scenario import load_scenario, parse_scenario
from planner.errors import DataError
from planner.inputs.dataset import load_dataset
from planner.validate import validate_folder
from planner.workflows.batch import (
    LOCK_NAME,
    SUMMARY_COLUMNS,
    BatchError,
    acquire_lock,
    clean_temporaries,
    is_complete,
    plan_tasks,
    region_scenario,
    run_batch,
)

SCENARIO = """\
name: province
inputs: {retailers: retailers.csv, managers: managers.csv}
regions: {column: region}
classes:
  A: {visits_per_cycle: 4, service_min: 25, value: 3}
  B: {visits_per_cycle: 2, service_min: 15, value: 2}
  C: {visits_per_cycle: 1, service_min: 10, value: 1}
calendar: {start_date: 2027-01-04, weeks: 4}
travel: {model: straight_line}
schedule: {method: greedy}
solver: {seed: 1, territory_time_limit_s: 5, max_iterations: 200}
"""


@pytest.fixture(scope="session")
def region_pool(tmp_path_factory) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """Eight small generated counties (retailers, managers), ids not yet unique across them."""
    from planner.inputs.synthetic import generate_region

    root = tmp_path_factory.mktemp("pool")
    out = []
    for k in range(8):
        d = root / f"r{k}"
        generate_region(n_retailers=70 + 10 * k, n_managers=2, seed=20 + k, out=d, kind="county", n_teams=1)
        out.append((pd.read_csv(d / "retailers.csv", dtype=str, keep_default_na=False),
                    pd.read_csv(d / "managers.csv", dtype=str, keep_default_na=False)))
    return out


def make_province(folder: Path, pool, names: list[str]) -> Path:
    """One retailer file and one managers file with a ``region`` column (ids prefixed by region)."""
    folder.mkdir(parents=True, exist_ok=True)
    rs, ms = [], []
    for name, (r, m) in zip(names, pool, strict=False):
        r, m = r.copy(), m.copy()
        r["retailer_id"] = name + "-" + r["retailer_id"]
        r["current_manager"] = name + "-" + r["current_manager"]
        m["manager_id"] = name + "-" + m["manager_id"]
        r["region"] = m["region"] = name
        rs.append(r)
        ms.append(m)
    pd.concat(rs).to_csv(folder / "retailers.csv", index=False)
    pd.concat(ms).to_csv(folder / "managers.csv", index=False)
    (folder / "scenario.yaml").write_text(SCENARIO, encoding="utf-8")
    return folder / "scenario.yaml"


def folder_state(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file of a folder: sha256 and mtime (ns)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            out[str(p.relative_to(folder))] = (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
    return out


def break_region(scenario: Path, region: str) -> None:
    r = pd.read_csv(scenario.parent / "retailers.csv", dtype=str, keep_default_na=False)
    rows = r.index[r["region"] == region]
    r.loc[rows[2], "class"] = "Z"
    r.loc[rows[4], "lat"] = "north"
    r.to_csv(scenario.parent / "retailers.csv", index=False)


# --- reading one region ---------------------------------------------------------------------------

def test_region_select_reads_one_region(tmp_path, region_pool):
    s = make_province(tmp_path / "p", region_pool, ["east", "west"])
    whole = load_dataset(load_scenario(s))
    assert set(whole.retailers["region"]) == {"east", "west"} and set(whole.managers["region"]) == {"east", "west"}
    loaded = parse_scenario(SCENARIO.replace("regions: {column: region}", "regions: {column: Region, select: west}"), s)
    ds = load_dataset(loaded)
    assert set(ds.retailers["region"]) == {"west"} and set(ds.managers["region"]) == {"west"}
    assert len(ds.retailers) == int((whole.retailers["region"] == "west").sum())
    # row numbers are the lines of the whole file
    first = int(whole.retailers.index[whole.retailers["region"] == "west"][0])
    assert int(ds.retailers["row"].iat[0]) == first + 2
    bad = parse_scenario(SCENARIO.replace("regions: {column: region}", "regions: {column: region, select: north}"), s)
    with pytest.raises(DataError, match="no rows of region 'north'"):
        load_dataset(bad)
    bad = parse_scenario(SCENARIO.replace("regions: {column: region}", "regions: {column: zone}"), s)
    with pytest.raises(DataError, match="column 'zone' \\(regions.column\\) is missing"):
        load_dataset(bad)


def test_tasks_names_and_problems_found_before_running(tmp_path, region_pool):
    s = make_province(tmp_path / "p", region_pool, ["east", "west", "north"])
    r = pd.read_csv(s.parent / "retailers.csv", dtype=str, keep_default_na=False)
    r.loc[[3, 5], "region"] = ""
    r = r[r["region"] != "north"]
    r.to_csv(s.parent / "retailers.csv", index=False)
    tasks, failed = plan_tasks([s], tmp_path / "out")
    assert [t.name for t in tasks] == ["east", "west"] and all(t.region == t.name for t in tasks)
    assert {f.region for f in failed} == {"scenario: (no region)", "north"}
    msg = {f.region: f.error for f in failed}
    assert "2 retailers have no value in column 'region'" in msg["scenario: (no region)"] and "rows 5, 7" in msg["scenario: (no region)"]
    assert "managers but no retailers" in msg["north"]
    # several scenarios with the same file name: named after their folders; whole scenarios
    a = make_province(tmp_path / "a", region_pool[:1], ["x"])
    b = make_province(tmp_path / "b", region_pool[1:2], ["y"])
    for p in (a, b):
        p.write_text(SCENARIO.replace("regions: {column: region}\n", ""), encoding="utf-8")
    tasks, failed = plan_tasks([a, b, tmp_path / "missing.yaml"], tmp_path / "out")
    assert [t.name for t in tasks] == ["a", "b"] and all(t.region is None for t in tasks)
    assert failed[0].region == "missing" and "does not exist" in failed[0].error
    # the region's scenario copy names its region and still reads the inputs next to the original
    t = plan_tasks([s], tmp_path / "out")[0][1]
    loaded = region_scenario(t)
    assert loaded.scenario.regions.select == "west" and loaded.path == s.resolve()
    assert "restricted to region 'west'" in loaded.text


def test_lock_and_temporaries(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).write_text(f"{socket.gethostname()} {os.getpid()}\n")
    with pytest.raises(BatchError, match="another planner batch"):
        acquire_lock(out)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (out / LOCK_NAME).write_text(f"{socket.gethostname()} {dead.pid}\n")
    lock = acquire_lock(out)  # stale: taken over
    assert lock.read_text().split()[1] == str(os.getpid())
    (out / ".east.tmp-abc123").mkdir()
    (out / ".east.tmp-abc123" / "visits.csv").write_text("half")
    (out / ".batch_summary.csv.tmp-x").write_text("half")
    (out / "east").mkdir()
    assert sorted(clean_temporaries(out)) == [".batch_summary.csv.tmp-x", ".east.tmp-abc123"]
    assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME, "east"]


# --- running ------------------------------------------------------------------------------------------

def test_batch_on_two_workers_with_a_broken_region(tmp_path, region_pool):
    """A local cluster of two workers; one region has bad data: it is reported, the others finish;
    a re-run on a running scheduler (Client(address)) keeps them and retries the failed one."""
    from distributed import LocalCluster

    s = make_province(tmp_path / "p", region_pool, ["east", "west", "north", "south"])
    break_region(s, "north")
    out = tmp_path / "out"
    res = run_batch([s], out, workers=2)
    st = {r.region: r for r in res.results}
    assert {k: v.status for k, v in st.items()} == {"east": "done", "west": "done", "north": "failed", "south": "done"}
    assert res.workers == 2 and res.exit_code == 2
    err = st["north"].error
    assert "the input data has errors (2 problems)" in err and "unknown class 'Z'" in err and "'north' is not a number" in err
    assert "row" in err and "Traceback" not in err
    assert not (out / "north").exists()
    for name in ("east", "west", "south"):
        assert is_complete(out / name) and st[name].retailers and st[name].managers == 2
        assert 0 < st[name].travel_share < 1 and st[name].imbalance >= 0 and st[name].time_s > 0
    rep = validate_folder(out / "west")  # re-reads the inputs: only region west
    assert rep.ok, rep.summary()
    table = pd.read_csv(out / "batch_summary.csv")
    assert list(table.columns) == SUMMARY_COLUMNS and len(table) == 4
    doc = json.loads((out / "batch_summary.json").read_text())
    assert doc["counts"] == {"done": 3, "kept": 0, "invalid": 0, "failed": 1}
    assert not (out / LOCK_NAME).exists() and not [p for p in out.iterdir() if ".tmp-" in p.name]

    before = {n: folder_state(out / n) for n in ("east", "west", "south")}
    r = pd.read_csv(s.parent / "retailers.csv", dtype=str, keep_default_na=False)
    r.loc[r["class"] == "Z", "class"] = "C"
    r.loc[r["lat"] == "north", "lat"] = r["lat"].iloc[0]
    r.to_csv(s.parent / "retailers.csv", index=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        res = run_batch([s], out, scheduler=cluster.scheduler_address)
    st = {r.region: r.status for r in res.results}
    assert st == {"east": "kept", "west": "kept", "north": "done", "south": "kept"} and res.exit_code == 0
    assert {n: folder_state(out / n) for n in before} == before


def test_batch_killed_half_way_resumes(tmp_path, region_pool):
    """SIGKILL the batch after the first region folder appears; the re-run keeps the finished
    regions unchanged, leaves nothing half-written and completes every region."""
    import psutil

    names = [f"r{k}" for k in range(8)]
    s = make_province(tmp_path / "p", region_pool, names)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "planner.cli", "batch", str(s), "--out", str(out), "--workers", "2", "-q"]
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    t0 = time.time()
    children: list = []
    try:
        while time.time() - t0 < 90:
            if proc.poll() is not None:
                break
            try:
                children = psutil.Process(proc.pid).children(recursive=True) or children
            except psutil.NoSuchProcess:
                pass
            if out.exists() and any(is_complete(p) for p in out.iterdir() if p.is_dir() and p.name in names):
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the batch ended before it could be killed: " + proc.stdout.read().decode()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    _, alive = psutil.wait_procs(children, timeout=20)
    assert not alive, f"worker processes outlived the killed batch: {alive}"
    done = [p.name for p in out.iterdir() if p.name in names and is_complete(p)]
    assert 1 <= len(done) < len(names)
    kept = {n: folder_state(out / n) for n in done}
    # everything else in the folder is either a complete region or the residue of the kill
    residue = [p.name for p in out.iterdir() if p.name not in done]
    assert set(residue) <= {LOCK_NAME, "batch_summary.csv", "batch_summary.json"} | {
        p for p in residue if p.startswith(".") and ".tmp-" in p}

    res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "kept" in res.stdout and "done" in res.stdout, res.stdout
    assert {n: folder_state(out / n) for n in done} == kept
    assert sorted(p.name for p in out.iterdir()) == sorted(names + ["batch_summary.csv", "batch_summary.json"])
    table = pd.read_csv(out / "batch_summary.csv")
    assert sorted(table["region"]) == names
    assert set(table.loc[table["region"].isin(done), "status"]) == {"kept"}
    assert set(table.loc[~table["region"].isin(done), "status"]) == {"done"}
    for n in names:
        assert is_complete(out / n)
        assert json.loads((out / n / "validation.json").read_text())["ok"]

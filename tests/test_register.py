"""The retailer register: history kept across quarters although the retailer file is overwritten
each time, rezone reading last quarter from it, the history commands, concurrent writers."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from typer.testing import CliRunner

from planner.cli import app
from planner.plan.register import (
    SCHEMA_VERSION,
    RegisterError,
    connect,
    record_snapshot,
    register_path,
    retailer_history,
    snapshot_changes,
    snapshot_retailers,
    snapshots,
)

runner = CliRunner()


def _invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def _table(rows):
    return pd.DataFrame(rows, columns=["retailer_id", "class", "tier", "lon", "lat", "current_manager", "name"])


def test_versions_open_close_and_reopen(tmp_path):
    q1 = _table([("R1", "C", "16", 112.9, 28.2, "M1", "a"), ("R2", "B", "20", 112.91, 28.21, "M1", "b"),
                 ("R3", "C", "5", 112.92, 28.22, "M2", "c")])
    s1 = record_snapshot(tmp_path, q1, plan_id="q1")
    assert (s1.new, s1.changed, s1.closed, s1.retailers) == (3, 0, 0, 3)
    again = record_snapshot(tmp_path, q1, plan_id="q1b")  # the same table: nothing new
    assert (again.new, again.changed, again.closed) == (0, 0, 0)
    q2 = _table([("R1", "A", "28", 112.9, 28.2, "M1", "a"),  # tier 16 -> 28, class C -> A
                 ("R2", "B", "20", 112.9105, 28.2105, "M1", "b"),  # moved about 70 m
                 ("R4", "C", "3", 112.93, 28.23, "M2", "d")])  # R3 closed, R4 new
    s2 = record_snapshot(tmp_path, q2, plan_id="q2")
    assert (s2.new, s2.changed, s2.closed) == (1, 2, 1)
    q3 = _table([("R1", "A", "28", 112.9, 28.2, "M2", "a2"), ("R2", "B", "20", 112.9105, 28.2105, "M1", "b"),
                 ("R3", "C", "5", 112.92, 28.22, "M2", "c"), ("R4", "C", "3", 112.93, 28.23, "M2", "d")])
    s3 = record_snapshot(tmp_path, q3, plan_id="q3")
    assert (s3.new, s3.changed, s3.closed) == (1, 1, 0)  # R3 back (a new version), R1 changed manager
    path = register_path(tmp_path)
    h = retailer_history(path, "R1")
    assert h["tier"].tolist() == ["16", "28", "28"] and h["class"].tolist() == ["C", "A", "A"]
    assert h["valid_to"].notna().tolist() == [True, True, False]
    assert h["changed"].tolist() == ["new", "class,tier", "manager"]
    assert h["opened_by"].tolist() == ["q1", "q2", "q3"]
    r3 = retailer_history(path, "R3")
    assert len(r3) == 2 and r3["closed_by"].fillna("").tolist() == ["q2", ""]
    # each snapshot reads back whole, whatever came later
    assert snapshot_retailers(path, s1.snapshot_id)["tier"].tolist() == ["16", "20", "5"]
    assert snapshot_retailers(path, s2.snapshot_id)["retailer_id"].tolist() == ["R1", "R2", "R4"]
    ch = snapshot_changes(snapshot_retailers(path, s1.snapshot_id), snapshot_retailers(path, s2.snapshot_id))
    got = {(r.retailer_id, r.change, r.field) for r in ch.itertuples()}
    assert got == {("R4", "new", ""), ("R3", "closed", ""), ("R1", "reclassified", "class"),
                   ("R1", "changed", "tier"), ("R2", "moved", "location")}
    assert len(snapshots(path)) == 4


def test_schema_version_and_newer_registers(tmp_path):
    record_snapshot(tmp_path, _table([("R1", "C", "1", 1.0, 2.0, "", "")]))
    path = register_path(tmp_path)
    with connect(path) as con:
        assert con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    con = sqlite3.connect(path)
    con.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    con.commit()
    con.close()
    with pytest.raises(RegisterError, match="newer planner"):
        record_snapshot(tmp_path, _table([("R1", "C", "1", 1.0, 2.0, "", "")]))


def _quarter(folder: Path, changes: dict) -> None:
    """Overwrite the region's retailers.csv in place (as a branch does)."""
    r = pd.read_csv(folder / "retailers.csv", dtype=str, keep_default_na=False)
    for rid, cols in changes.get("set", {}).items():
        for c, v in cols.items():
            r.loc[r["retailer_id"] == rid, c] = v
    r = r[~r["retailer_id"].isin(changes.get("close", []))]
    if changes.get("add"):
        new = r.iloc[: len(changes["add"])].copy()
        new["retailer_id"] = changes["add"]
        r = pd.concat([r, new], ignore_index=True)
    r.to_csv(folder / "retailers.csv", index=False)


def test_three_quarters_with_the_file_overwritten(small_region, tmp_path):
    """Q1 run, Q2 and Q3 re-zoned from the previous plan after overwriting retailers.csv: the
    register keeps every version, rezone counts the class changes right."""
    import shutil

    region = tmp_path / "region"
    shutil.copytree(small_region.parent, region, ignore=shutil.ignore_patterns("plans"))
    scen = region / "scenario.yaml"
    r0 = pd.read_csv(region / "retailers.csv", dtype=str, keep_default_na=False)
    ids = r0["retailer_id"].tolist()
    classes = sorted(set(r0["class"]))
    other = {rid: next(c for c in classes if c != cls) for rid, cls in zip(r0["retailer_id"], r0["class"], strict=True)}
    p1, p2, p3 = tmp_path / "q1", tmp_path / "q2", tmp_path / "q3"
    assert _invoke("run", scen, "--out", p1, "-q").exit_code == 0
    _quarter(region, {"set": {ids[0]: {"class": other[ids[0]], "tier": "28"}, ids[1]: {"class": other[ids[1]]}},
                      "close": [ids[2]], "add": ["NEW-1"]})
    r = _invoke("rezone", scen, "--previous", p1, "--out", p2, "--no-baseline", "-q")
    assert r.exit_code == 0, r.output
    k2 = json.loads((p2 / "kpis.json").read_text())["rezone"]
    assert k2["retailers"]["class_changed"] == 2 and k2["retailers"]["closed"] == 1 and k2["retailers"]["new"] == 1
    moves = pd.read_csv(p2 / "moves.csv", dtype=str, keep_default_na=False)
    assert moves.loc[moves["retailer_id"] == ids[2], "class"].tolist() == [r0["class"].iat[2]]  # from the register
    _quarter(region, {"set": {ids[0]: {"class": r0["class"].iat[0], "tier": r0["tier"].iat[0]}}})
    r = _invoke("rezone", scen, "--previous", p2, "--out", p3, "--no-baseline", "-q")
    assert r.exit_code == 0, r.output
    assert json.loads((p3 / "kpis.json").read_text())["rezone"]["retailers"]["class_changed"] == 1
    store = region / "plans"
    r = _invoke("history", "--store", store, "--retailer", ids[0])
    assert r.exit_code == 0, r.output
    h = retailer_history(register_path(store), ids[0])
    assert h["tier"].tolist() == [r0["tier"].iat[0], "28", r0["tier"].iat[0]]
    assert h["valid_to"].notna().tolist() == [True, True, False]
    r = _invoke("history", "--store", store, "--changes", p1, p2)
    assert r.exit_code == 0, r.output
    assert "reclassified: 2" in r.output and "new: 1" in r.output and "closed: 1" in r.output
    for p in (p1, p2, p3):
        man = json.loads((p / "manifest.json").read_text())
        assert man["register"]["path"] == str(register_path(store)) and man["register"]["snapshot"] >= 1


def test_rezone_without_register_needs_the_unchanged_file(small_region, tmp_path):
    import shutil

    region = tmp_path / "region"
    shutil.copytree(small_region.parent, region, ignore=shutil.ignore_patterns("plans"))
    scen = region / "scenario.yaml"
    p1 = tmp_path / "q1"
    assert _invoke("run", scen, "--out", p1, "-q").exit_code == 0
    (region / "plans" / "register.sqlite").unlink()  # a plan whose register is gone ...
    _quarter(region, {"close": [pd.read_csv(region / "retailers.csv", dtype=str)["retailer_id"].iat[0]]})
    r = _invoke("rezone", scen, "--previous", p1, "--out", tmp_path / "q2", "-q")  # ... and whose file changed
    assert r.exit_code == 2
    assert "cannot tell last quarter's retailers" in r.output and "retailers" in r.output
    assert not (tmp_path / "q2").exists()


def test_two_runs_at_once_lose_nothing(small_region, tmp_path):
    import shutil

    region = tmp_path / "region"
    shutil.copytree(small_region.parent, region, ignore=shutil.ignore_patterns("plans"))
    scen = region / "scenario.yaml"
    procs = [subprocess.Popen([sys.executable, "-m", "planner.cli", "run", str(scen), "--out", str(tmp_path / f"p{k}"),
                               "-q", "--seed", str(k + 1)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for k in range(2)]
    outs = [p.communicate(timeout=600)[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    path = register_path(region / "plans")
    s = snapshots(path)
    assert len(s) == 2 and sorted(s["plan_id"]) == ["p0", "p1"]
    with connect(path) as con:
        open_versions = con.execute("SELECT retailer_id, COUNT(*) FROM versions WHERE to_snapshot IS NULL "
                                    "GROUP BY retailer_id HAVING COUNT(*) > 1").fetchall()
        n = con.execute("SELECT COUNT(*) FROM versions").fetchone()[0]
    n_retailers = len(pd.read_csv(region / "retailers.csv", dtype=str))
    assert open_versions == [] and n == n_retailers  # the second snapshot found everything unchanged
    snaps = sorted(s["snapshot_id"])
    a, b = (snapshot_retailers(path, k) for k in snaps)
    assert a["retailer_id"].tolist() == b["retailer_id"].tolist() and len(a) == n_retailers
    assert np.allclose(a["lon"], b["lon"])

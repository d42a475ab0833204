"""Plan store: immutable stored plans, history listing, reproducible plans, atomic output folders."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from planner.cli import app
from planner.errors import PlanExistsError, PlannerError
from planner.plan.files import write_folder
from planner.plan.store import is_sealed, list_plans, seal

runner = CliRunner()


def _region(tmp_path: Path, small_region: Path, name: str = "region") -> Path:
    region = tmp_path / name
    shutil.copytree(small_region.parent, region, ignore=shutil.ignore_patterns("plans"))
    return region / "scenario.yaml"


def test_write_folder_is_atomic_and_never_overwrites(tmp_path):
    out = write_folder(tmp_path / "a", {"x.txt": b"1", "y.txt": b"2"})
    assert sorted(p.name for p in out.iterdir()) == ["x.txt", "y.txt"]
    with pytest.raises(PlanExistsError):
        write_folder(tmp_path / "a", {"z.txt": b"3"})
    (tmp_path / "empty").mkdir()
    write_folder(tmp_path / "empty", {"z.txt": b"3"})

    class Boom(dict):
        def items(self):
            yield "ok.txt", b"1"
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_folder(tmp_path / "b", Boom())
    assert not (tmp_path / "b").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "empty"]  # no temporary folder left


def test_seal_removes_write_permission(tmp_path):
    f = tmp_path / "p"
    (f / "sub").mkdir(parents=True)
    (f / "a.csv").write_text("x")
    (f / "sub" / "b.csv").write_text("y")
    assert not is_sealed(f)
    assert seal(f) == 2
    assert is_sealed(f)
    for p in (f / "a.csv", f / "sub" / "b.csv"):
        assert not p.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
        assert p.stat().st_mode & stat.S_IRUSR
    if os.geteuid() != 0:  # root ignores permission bits
        with pytest.raises(PermissionError):
            (f / "a.csv").write_text("changed")


def test_store_history_and_immutability(tmp_path, small_region):
    scen = _region(tmp_path, small_region)
    store = scen.parent / "plans"
    for seed in (1, 2):
        r = runner.invoke(app, ["run", str(scen), "--seed", str(seed), "-q"])
        assert r.exit_code == 0, r.output
    plans = sorted(p for p in store.iterdir() if p.is_dir() and not p.name.startswith("."))
    assert len(plans) == 2
    assert [p.name for p in store.iterdir() if p.name.startswith(".")] == [".cache"]  # the baseline's calendars
    assert sorted(p.name for p in store.iterdir() if not p.is_dir()) == ["register.sqlite"]  # the retailer history
    for p in plans:
        assert is_sealed(p) and (p / "report.html").exists() and (p / "baseline" / "report.xlsx").exists()
        mode = (p / "assignments.csv").stat().st_mode
        assert not mode & stat.S_IWUSR
        if os.geteuid() != 0:
            with pytest.raises(PermissionError):
                (p / "kpis.json").write_text("{}")
    # a plan written elsewhere with --out is the user's own copy: not sealed
    r = runner.invoke(app, ["run", str(scen), "--out", str(tmp_path / "mine"), "-q"])
    assert r.exit_code == 0 and not is_sealed(tmp_path / "mine")
    # things in the store that are not complete plans are not listed
    (store / ".x.tmp-123").mkdir()
    (store / "20270101-frontier-lambda").mkdir()
    (store / "20270101-frontier-lambda" / "frontier.csv").write_text("lambda\n1\n")
    recs = list_plans(store)
    assert [r.id for r in recs] == [p.name for p in plans]
    for rec, p in zip(recs, plans, strict=True):
        k = json.loads((p / "kpis.json").read_text())["global"]
        assert rec.imbalance == k["imbalance"] and rec.unplanned_visits == k["unplanned_visits"]
        assert rec.valid is True and rec.sealed and rec.has_report
    assert [r.seed for r in recs] == [1, 2]
    r = runner.invoke(app, ["history", "--store", str(store)])
    assert r.exit_code == 0, r.output
    for rec in recs:
        line = next(ln for ln in r.output.splitlines() if rec.id in ln)
        assert f"{100 * rec.imbalance:.1f} %" in line and f"{100 * rec.travel_share:.1f} %" in line
        assert f"{100 * rec.key_frequency_compliance:.1f} %" in line and re.search(rf"\b{rec.seed}\b", line)
        assert "market" in line
    assert "frontier" not in r.output and ".tmp" not in r.output
    r = runner.invoke(app, ["history", "--store", str(store), "--scenario", "no such scenario"])
    assert r.exit_code == 0 and "no plans" in r.output
    r = runner.invoke(app, ["history", "--store", str(tmp_path / "missing")])
    assert r.exit_code == 2 and "does not exist" in r.output


def _strip_json(obj):
    """Drop what legitimately differs between two runs: creation time, timings, the folder name,
    the register snapshot (each run records one), the calendar cache's counts (the second run
    reuses the baseline's calendars the first one solved)."""
    if isinstance(obj, dict):
        return {k: _strip_json(v) for k, v in obj.items()
                if k not in ("created", "timings_s", "folder", "register", "calendar_cache") and "runtime" not in k}
    if isinstance(obj, list):
        return [_strip_json(v) for v in obj]
    return obj


def _xlsx_content(path: Path) -> tuple[dict, list]:
    """Cell values of every sheet (minus the 'Made' cell) and the zip members other than the properties."""
    wb = load_workbook(path)
    cells = {}
    for ws in wb.worksheets:
        cells[ws.title] = [row for row in ws.iter_rows(values_only=True) if row[0] not in ("Made",)]
    with zipfile.ZipFile(path) as z:
        members = [(n, z.read(n)) for n in sorted(z.namelist()) if n not in ("docProps/core.xml",)
                   and not n.endswith("sheet1.xml") and n != "xl/sharedStrings.xml"]
    return cells, members


def test_same_scenario_inputs_and_seed_reproduce_the_plan(tmp_path, small_region):
    """With an iteration limit the solvers are deterministic: every plan file is reproduced."""
    scen = _region(tmp_path, small_region)
    text = scen.read_text(encoding="utf-8").replace("schedule: {method: greedy}\n", "schedule: {method: solver}\n")
    text = text.replace("territory_time_limit_s: 5", "territory_time_limit_s: 60\n  schedule_time_limit_s: 60")
    assert "max_iterations: 300" in text and "method: solver" in text
    scen.write_text(text, encoding="utf-8")
    for k in (1, 2):
        r = runner.invoke(app, ["run", str(scen), "--out", str(tmp_path / f"p{k}"), "-q"])
        assert r.exit_code == 0, r.output
    p1, p2 = tmp_path / "p1", tmp_path / "p2"
    files = sorted(str(p.relative_to(p1)) for p in p1.rglob("*") if p.is_file())
    assert files == sorted(str(p.relative_to(p2)) for p in p2.rglob("*") if p.is_file())
    assert "report.html" in files and "baseline/report.xlsx" in files and "sheets/visits.jsonl" in files
    man = json.loads((p1 / "manifest.json").read_text())
    assert man["seed"] == 3 and man["scenario"]["sha256"] and all(v["sha256"] for v in man["inputs"].values())
    for f in files:
        a, b = (p1 / f).read_bytes(), (p2 / f).read_bytes()
        name = Path(f).name
        if name in ("manifest.json", "validation.json", "kpis.json"):
            assert _strip_json(json.loads(a)) == _strip_json(json.loads(b)), f
        elif name == "report.html":
            stamp = re.compile(rb'<span id="report-created">[^<]*</span>')
            assert len(stamp.findall(a)) == 1
            assert stamp.sub(b"", a) == stamp.sub(b"", b), f
        elif name.endswith(".html") and f.startswith("sheets/"):  # route sheets name their plan folder
            stamp = re.compile(rb'<span id="sheet-plan">[^<]*</span>')
            assert len(stamp.findall(a)) == 1
            assert stamp.sub(b"", a) == stamp.sub(b"", b), f
        elif name.endswith(".xlsx"):
            assert _xlsx_content(p1 / f) == _xlsx_content(p2 / f), f
        else:
            assert a == b, f  # csv, geojson, scenario.yaml: byte for byte


def test_history_of_empty_and_broken_store(tmp_path):
    (tmp_path / "s").mkdir()
    assert list_plans(tmp_path / "s") == []
    bad = tmp_path / "s" / "p"
    bad.mkdir()
    (bad / "manifest.json").write_text("{not json")
    recs = list_plans(tmp_path / "s")
    assert len(recs) == 1 and recs[0].imbalance is None and recs[0].valid is None
    with pytest.raises(PlannerError):
        list_plans(tmp_path / "none")

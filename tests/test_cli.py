"""The command line as a planner uses it: messages, exit codes, no tracebacks, no overwriting."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import RETAILERS, write_scenario
from typer.testing import CliRunner

from planner.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_check_valid(tiny):
    r = invoke("check", tiny)
    assert r.exit_code == 0, r.output
    assert "inputs are valid" in r.output and "retailers" in r.output


def test_check_bad_data_gives_message_not_traceback(tmp_path):
    s = write_scenario(tmp_path, retailers=RETAILERS.replace("R2,24.9410", "R1,24.9410"))
    r = invoke("check", s)
    assert r.exit_code == 2
    assert "retailers.csv, row 3, field 'retailer_id': duplicate id 'R1'" in r.output
    assert "Traceback" not in r.output


def test_check_missing_scenario():
    r = invoke("check", "nowhere.yaml")
    assert r.exit_code == 2 and "does not exist" in r.output


def test_run_writes_plan_and_never_overwrites(tiny, tmp_path):
    out = tmp_path / "plan"
    r = invoke("run", tiny, "--out", out, "--quiet")
    assert r.exit_code == 0, r.output
    assert "VALID" in r.output
    for f in ["assignments.csv", "visits.csv", "territories.geojson", "routes.geojson", "kpis.json", "manifest.json",
              "validation.json", "baseline/kpis.json"]:
        assert (out / f).exists(), f
    kpis = json.loads((out / "kpis.json").read_text())
    for k in ("imbalance", "travel_share", "frequency_compliance", "unplanned_visits", "travel_hours", "service_hours"):
        assert k in kpis["global"]
    assert isinstance(kpis["managers"], list) and len(kpis["managers"]) == 2
    man = json.loads((out / "manifest.json").read_text())
    assert man["seed"] == 1 and len(man["scenario"]["sha256"]) == 64 and "retailers" in man["inputs"]
    assert "schedule" in man["methods"] and man["packages"]["numpy"]
    before = (out / "visits.csv").read_bytes()
    r = invoke("run", tiny, "--out", out, "--quiet")
    assert r.exit_code == 2 and "already exists" in r.output and "never overwritten" in r.output
    assert (out / "visits.csv").read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".plan.tmp")]  # nothing half-written left


def test_same_seed_same_plan(tiny, tmp_path):
    for k in (1, 2):
        assert invoke("run", tiny, "--out", tmp_path / f"p{k}", "--seed", 5, "-q").exit_code == 0
    for f in ("assignments.csv", "visits.csv", "unplanned.csv", "routes.geojson", "territories.geojson"):
        assert (tmp_path / "p1" / f).read_bytes() == (tmp_path / "p2" / f).read_bytes(), f


def test_verify_and_verify_errors(tiny, tmp_path):
    out = tmp_path / "plan"
    assert invoke("run", tiny, "--out", out, "-q").exit_code == 0
    r = invoke("verify", out)
    assert r.exit_code == 0 and "VALID" in r.output
    (out / "visits.csv").write_text("manager_id,day_index\n", encoding="utf-8")
    r = invoke("verify", out)
    assert r.exit_code == 2 and "missing columns" in r.output
    r = invoke("verify", tmp_path / "nothing")
    assert r.exit_code == 2 and "not a plan folder" in r.output


def test_default_plan_folder_in_store(tiny):
    r = invoke("run", tiny, "-q")
    assert r.exit_code == 0, r.output
    plans = [p for p in (tiny.parent / "plans").iterdir() if p.is_dir() and not p.name.startswith(".")]  # .cache: the baseline calendars
    assert len(plans) == 1 and plans[0].name.endswith("-scenario-seed1")
    assert (tiny.parent / "plans" / "register.sqlite").is_file()


def test_generate_then_check(tmp_path):
    out = tmp_path / "gen"
    r = invoke("generate", "--retailers", 200, "--managers", 5, "--seed", 2, "--out", out)
    assert r.exit_code == 0, r.output
    for f in ("retailers.csv", "managers.csv", "districts.geojson", "roads.graphml.gz", "scenario.yaml"):
        assert (out / f).exists()
    r = invoke("check", out / "scenario.yaml")
    assert r.exit_code == 0, r.output
    r = invoke("generate", "--retailers", 200, "--managers", 5, "--out", out)
    assert r.exit_code == 2 and "not empty" in r.output


def test_console_script_entry_point(tiny):
    r = subprocess.run([sys.executable, "-m", "planner.cli", "check", str(tiny)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([sys.executable, "-m", "planner.cli", "check", str(Path(tiny).parent / "x.yaml")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr

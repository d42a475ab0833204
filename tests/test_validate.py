"""The independent validator on real plan folders: valid plans pass, plans tampered with are rejected.

Tampering tests copy a finished plan folder, change one thing by hand, and check that
``planner verify`` exits 1 with a message naming the file, the row and the check.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, write_scenario
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from planner.cli import app
from planner.config.scenario import load_scenario
from planner.inputs.synthetic import generate_region
from planner.validate import validate_folder
from planner.workflows.run import run_scenario

runner = CliRunner()


def _fast_scenario(folder: Path, seed: int) -> Path:
    s = folder / "scenario.yaml"
    text = s.read_text(encoding="utf-8").replace(
        f"solver:\n  seed: {seed}", f"schedule: {{method: greedy}}\nsolver:\n  seed: {seed}\n  territory_time_limit_s: 3\n  max_iterations: 200")
    s.write_text(text, encoding="utf-8")
    return s


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory, small_region) -> Path:
    """Generated county, road network, greedy calendar."""
    out = tmp_path_factory.mktemp("plans") / "p"
    res = run_scenario(load_scenario(small_region), out=out)
    assert res.validation.ok, res.validation.summary()
    return out


@pytest.fixture(scope="module")
def solver_plan(tmp_path_factory, small_region) -> Path:
    """The same county with the periodic calendar solver (iteration-limited)."""
    region = tmp_path_factory.mktemp("solver") / "county"
    shutil.copytree(small_region.parent, region, ignore=shutil.ignore_patterns("plans"))
    s = region / "scenario.yaml"
    s.write_text(s.read_text(encoding="utf-8").replace("schedule: {method: greedy}", "schedule: {method: solver}"),
                 encoding="utf-8")
    res = run_scenario(load_scenario(s), out=region.parent / "plan")
    assert res.validation.ok, res.validation.summary()
    return region.parent / "plan"


@pytest.fixture(scope="module")
def tiny_plan(tmp_path_factory) -> Path:
    """Six retailers, two managers, straight-line travel, greedy calendar."""
    root = tmp_path_factory.mktemp("tiny")
    res = run_scenario(load_scenario(write_scenario(root / "tiny")), out=root / "plan")
    assert res.validation.ok, res.validation.summary()
    return root / "plan"


@pytest.fixture(params=["tiny_plan", "plan_dir", "solver_plan"])
def any_plan(request) -> Path:
    return request.getfixturevalue(request.param)


def _csv(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


def _save(df: pd.DataFrame, folder: Path, name: str) -> None:
    df.to_csv(folder / name, index=False)


def _json(folder: Path, name: str):
    return json.loads((folder / name).read_text(encoding="utf-8"))


def _dump(obj, folder: Path, name: str) -> None:
    (folder / name).write_text(json.dumps(obj), encoding="utf-8")


def _clock(s: int) -> str:
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _secs(text: str) -> int:
    h, m, s = (int(x) for x in text.split(":"))
    return h * 3600 + m * 60 + s


def verify_fails(folder: Path, pattern: str) -> str:
    """``planner verify`` exits 1 and prints a line matching ``pattern``."""
    r = runner.invoke(app, ["verify", str(folder)])
    assert r.exit_code == 1, r.output
    assert re.search(pattern, r.output), r.output
    return r.output


# --- the tampering the brief lists, through the CLI -------------------------------------------------

def test_missing_assignment(any_plan, tmp_path):
    f = tmp_path / "p"
    shutil.copytree(any_plan, f)
    a = _csv(f, "assignments.csv")
    rid = a.loc[0, "retailer_id"]
    _save(a.iloc[1:], f, "assignments.csv")
    verify_fails(f, rf"assignments\.csv \[assignment\] retailer {rid} \(retailers\.csv row \d+\) is in no territory")


def test_visit_outside_the_shift(any_plan, tmp_path):
    f = tmp_path / "p"
    shutil.copytree(any_plan, f)
    v = _csv(f, "visits.csv")
    v.loc[0, "arrival"] = "06:00:00"
    v.loc[0, "departure"] = _clock(6 * 3600 + int(v.loc[0, "service_s"]))
    _save(v, f, "visits.csv")
    verify_fails(f, rf"visits\.csv row 2 \[timing\] visit 06:00 starts before the shift 08:30 \(manager "
                    rf"{v.loc[0, 'manager_id']}, retailer {v.loc[0, 'retailer_id']}, day {v.loc[0, 'day_index']}\)")


def test_duplicated_visit_row(any_plan, tmp_path):
    f = tmp_path / "p"
    shutil.copytree(any_plan, f)
    v = _csv(f, "visits.csv")
    _save(pd.concat([v, v.iloc[[0]]]), f, "visits.csv")
    out = verify_fails(f, rf"visits\.csv row {len(v) + 2} \[routes\] retailer {v.loc[0, 'retailer_id']} is visited "
                          r"twice on day \d+ \(also visits\.csv row 2\)")
    assert re.search(r"visits\.csv row 2 \[frequency\] \d+ visits planned", out), out


def test_retailer_moved_without_its_visits(any_plan, tmp_path):
    f = tmp_path / "p"
    shutil.copytree(any_plan, f)
    v = _csv(f, "visits.csv")
    a = _csv(f, "assignments.csv")
    rid, mid = v.loc[0, "retailer_id"], v.loc[0, "manager_id"]
    other = next(m for m in _csv(f, "managers.csv")["manager_id"] if m != mid)
    a.loc[a["retailer_id"] == rid, "manager_id"] = other
    a.loc[a["retailer_id"] == rid, "team"] = _csv(f, "managers.csv").set_index("manager_id").loc[other, "team"]
    _save(a, f, "assignments.csv")
    verify_fails(f, rf"visits\.csv row 2 \[routes\] retailer {rid} belongs to {other}, not to {mid}")


def test_kpis_edited_by_hand(any_plan, tmp_path):
    f = tmp_path / "p"
    shutil.copytree(any_plan, f)
    k = _json(f, "kpis.json")
    k["global"]["travel_hours"] += 0.5
    k["managers"][1]["visits"] += 1
    k["managers"][0]["compactness_min"] *= 1.01
    _dump(k, f, "kpis.json")
    m0, m1 = k["managers"][0]["manager_id"], k["managers"][1]["manager_id"]
    out = verify_fails(f, r"kpis\.json \[kpis\] global\.travel_hours = [\d.]+ but the plan tables give [\d.]+")
    assert re.search(rf"kpis\.json \[kpis\] managers\[{m1}\]\.visits = {k['managers'][1]['visits']} but the plan "
                     rf"tables give {k['managers'][1]['visits'] - 1}\b", out), out
    assert f"kpis.json [kpis] managers[{m0}].compactness_min" in out
    assert out.count("[kpis]") == 3, out  # nothing else changed


def test_a_break_that_no_longer_fits(any_plan, tmp_path):
    """Remove every idle minute of the busiest route: its 30-min lunch break no longer fits."""
    f = tmp_path / "p"
    shutil.copytree(any_plan, f)
    v = _csv(f, "visits.csv")
    routes = _json(f, "routes.geojson")
    busy = {(p["manager_id"], str(p["day_index"])): p["travel_s"] + p["service_s"]
            for p in (ft["properties"] for ft in routes["features"])}
    (mid, day), _ = max(busy.items(), key=lambda kv: kv[1])
    k, feat = next((k, ft) for k, ft in enumerate(routes["features"], start=1)
                   if (ft["properties"]["manager_id"], str(ft["properties"]["day_index"])) == (mid, day))
    p = feat["properties"]
    p["start_s"] = t = 12 * 3600 - 300  # the route now runs across the break window (12:00-13:30) without a pause
    for i in v.index[(v["manager_id"] == mid) & (v["day_index"] == day)]:
        t += int(v.loc[i, "travel_s"])
        v.loc[i, "arrival"] = _clock(t)
        t += int(v.loc[i, "service_s"])
        v.loc[i, "departure"] = _clock(t)
    p["end_s"] = t + p["return_travel_s"]
    p["wait_s"] = 0
    _save(v, f, "visits.csv")
    _dump(routes, f, "routes.geojson")
    verify_fails(f, rf"routes\.geojson feature {k} \[breaks\] no idle time for the 30-min break starting "
                    rf"\d\d:\d\d-\d\d:\d\d .*\(manager {mid}, day {day}\)")


def test_a_visit_on_a_day_outside_the_pattern(any_plan, tmp_path):
    f = tmp_path / "p"
    shutil.copytree(any_plan, f)
    v = _csv(f, "visits.csv")
    days = {d["day_index"]: d["date"] for d in _json(f, "manifest.json")["days"]}
    counts = v["retailer_id"].value_counts()
    rid = counts.index[counts >= 2][0]
    rows = v.index[v["retailer_id"] == rid]
    i = rows[1]
    d = int(v.loc[i, "day_index"])
    new = d + 1 if d + 1 in days and d + 1 != int(v.loc[rows[0], "day_index"]) else d - 1
    v.loc[i, "day_index"], v.loc[i, "date"] = str(new), days[new]
    _save(v, f, "visits.csv")
    verify_fails(f, rf"visits\.csv row {i + 2} \[pattern\] visit days \[[\d, ]+\] are not part of an allowed "
                    rf"pattern of class \w+ .*\(manager \w+, retailer {rid}, day {new}\)")


def test_input_file_changed_after_the_plan(tmp_path):
    s = write_scenario(tmp_path / "tiny")
    plan = run_scenario(load_scenario(s), out=tmp_path / "plan").folder
    assert runner.invoke(app, ["verify", str(plan)]).exit_code == 0
    r = tmp_path / "tiny" / "retailers.csv"
    r.write_text(r.read_text(encoding="utf-8").replace("R6,24.9520", "R6,24.9530"), encoding="utf-8")
    verify_fails(plan, r"retailers\.csv \[inputs\] input file .*retailers\.csv \(retailers\) changed since the plan "
                       r"was made")
    r.unlink()
    verify_fails(plan, r"retailers\.csv \[inputs\] input file .*retailers\.csv \(retailers\) no longer exists")


def test_scenario_copy_edited(tiny_plan, tmp_path):
    f = tmp_path / "p"
    shutil.copytree(tiny_plan, f)
    s = f / "scenario.yaml"
    s.write_text(s.read_text(encoding="utf-8").replace("weeks: 4", "weeks: 3"), encoding="utf-8")
    verify_fails(f, r"scenario\.yaml \[inputs\] scenario\.yaml is not the scenario the plan was made with")


def test_baseline_tampering_names_the_sub_plan(plan_dir, tmp_path):
    f = tmp_path / "p"
    shutil.copytree(plan_dir, f)
    v = _csv(f / "baseline", "visits.csv")
    v.loc[2, "travel_s"] = str(int(v.loc[2, "travel_s"]) + 60)
    _save(v, f / "baseline", "visits.csv")
    out = verify_fails(f, r"baseline: INVALID")
    assert re.search(r"baseline/visits\.csv row 4 \[timing\] travel_s \d+ differs from the travel model", out), out


def test_bad_numbers_and_missing_files_are_clear(tiny_plan, tmp_path):
    f = tmp_path / "p"
    shutil.copytree(tiny_plan, f)
    v = _csv(f, "visits.csv")
    v.loc[1, "travel_s"] = "abc"
    _save(v, f, "visits.csv")
    verify_fails(f, r"visits\.csv row 3 \[format\] travel_s 'abc' is not a whole number")
    (f / "unplanned.csv").unlink()
    r = runner.invoke(app, ["verify", str(f)])
    assert r.exit_code == 2 and "missing unplanned.csv" in r.output, r.output
    a = _csv(f / "baseline", "assignments.csv").drop(columns=["team"])
    _save(a, f / "baseline", "assignments.csv")
    shutil.copy(tiny_plan / "unplanned.csv", f / "unplanned.csv")
    r = runner.invoke(app, ["verify", str(f)])
    assert r.exit_code == 2 and "assignments.csv: missing column team" in r.output, r.output


# --- the API, the report, and older mutations (also used by the property test) ----------------------

def drop_visit(f: Path):
    v = _csv(f, "visits.csv")
    _save(v.iloc[1:], f, "visits.csv")
    return "frequency"


def wrong_travel(f: Path):
    v = _csv(f, "visits.csv")
    v.loc[0, "travel_s"] = str(int(v.loc[0, "travel_s"]) + 120)
    _save(v, f, "visits.csv")
    return "timing"


def night_visit(f: Path):
    v = _csv(f, "visits.csv")
    v.loc[0, "arrival"], v.loc[0, "departure"] = "03:00:00", "03:10:00"
    _save(v, f, "visits.csv")
    return "timing"


def duplicate_assignment(f: Path):
    a = _csv(f, "assignments.csv")
    _save(pd.concat([a, a.iloc[[0]]]), f, "assignments.csv")
    return "assignment"


def missing_assignment(f: Path):
    a = _csv(f, "assignments.csv")
    _save(a.iloc[1:], f, "assignments.csv")
    return "assignment"


def route_not_from_base(f: Path):
    r = _json(f, "routes.geojson")
    r["features"][0]["geometry"]["coordinates"][0] = [0.0, 0.0]
    _dump(r, f, "routes.geojson")
    return "routes"


def foreign_retailer(f: Path):
    v = _csv(f, "visits.csv")
    a = _csv(f, "assignments.csv")
    rid = v.loc[0, "retailer_id"]
    other = next(m for m in a["manager_id"].unique() if m != v.loc[0, "manager_id"])
    a.loc[a["retailer_id"] == rid, "manager_id"] = other
    _save(a, f, "assignments.csv")
    return "routes"


def past_shift_end(f: Path):
    r = _json(f, "routes.geojson")
    r["features"][0]["properties"]["end_s"] = 20 * 3600
    _dump(r, f, "routes.geojson")
    return "timing"


def wrong_kpi(f: Path):
    k = _json(f, "kpis.json")
    k["global"]["travel_hours"] += 5
    _dump(k, f, "kpis.json")
    return "kpis"


def illegal_pattern(f: Path):
    v = _csv(f, "visits.csv")
    counts = v["retailer_id"].value_counts()
    multi = counts[counts >= 2].index
    if len(multi):  # move one of two+ visits to the day after another one: irregular spacing
        rows = v.index[v["retailer_id"] == multi[0]]
        v.loc[rows[1], "day_index"] = str(int(v.loc[rows[0], "day_index"]) + 1)
        _save(v, f, "visits.csv")
        return "pattern"
    v = pd.concat([v, v.iloc[[0]]])  # duplicate a visit: over-visited
    _save(v, f, "visits.csv")
    return "frequency"


def service_too_short(f: Path):
    v = _csv(f, "visits.csv")
    v.loc[0, "service_s"] = "60"
    _save(v, f, "visits.csv")
    return "timing"


MUTATIONS = [drop_visit, wrong_travel, night_visit, duplicate_assignment, missing_assignment, route_not_from_base,
             foreign_retailer, past_shift_end, wrong_kpi, illegal_pattern, service_too_short]


def test_valid_plan_passes(plan_dir):
    rep = validate_folder(plan_dir)
    assert rep.ok, rep.summary()
    assert not rep.warnings, [w.line() for w in rep.warnings]
    assert rep.checked["retailers"] == 120 and rep.checked["visits"] > 0
    assert rep.subs["baseline"]["ok"] and rep.baseline is not None and rep.baseline.ok
    saved = json.loads((plan_dir / "validation.json").read_text(encoding="utf-8"))
    assert saved["ok"] and saved["sub_plans"]["baseline"]["ok"]
    assert json.loads((plan_dir / "baseline" / "validation.json").read_text(encoding="utf-8"))["ok"]
    assert set(saved) >= {"ok", "folder", "errors_by_check", "checked", "errors", "warnings", "unmet_visits",
                          "sub_plans"}


@pytest.mark.parametrize("mutate", MUTATIONS, ids=[m.__name__ for m in MUTATIONS])
def test_broken_plan_is_rejected(plan_dir, tmp_path, mutate):
    f = tmp_path / "broken"
    shutil.copytree(plan_dir, f)
    check = mutate(f)
    rep = validate_folder(f)
    assert not rep.ok
    assert check in {e.check for e in rep.errors}, rep.summary()
    data = json.loads(rep.to_json())
    assert data["errors_by_check"][check] >= 1
    assert all("file" in e for e in data["errors"]), data["errors"]


def test_changed_inputs_are_detected(plan_dir, tmp_path):
    f = tmp_path / "copy"
    shutil.copytree(plan_dir, f)
    man = _json(f, "manifest.json")
    man["inputs"]["retailers"]["sha256"] = "0" * 64
    _dump(man, f, "manifest.json")
    rep = validate_folder(f)
    assert not rep.ok and rep.errors[0].check == "inputs" and rep.errors[0].file == "retailers.csv"


def test_label_names_the_folder(tiny_plan):
    rep = validate_folder(tiny_plan, label="final/place")
    assert rep.folder == "final/place" and rep.baseline.folder == "final/place/baseline"
    assert rep.summary().startswith("VALID: final/place")


def test_default_data_plan_validates_with_every_kpi_equal(tmp_path):
    """The default scenario's data (Helsinki, road network), greedy calendar for speed."""
    text = (ROOT / "scenarios" / "default.yaml").read_text(encoding="utf-8")
    text = text.replace("../data/", f"{(ROOT / 'data').as_posix()}/").replace("method: solver", "method: greedy")
    text = text.replace("territory_time_limit_s: 30", "territory_time_limit_s: 5\n  max_iterations: 200")
    s = tmp_path / "default.yaml"
    s.write_text(text, encoding="utf-8")
    res = run_scenario(load_scenario(s), out=tmp_path / "plan")
    rep = res.validation
    assert rep.ok and not rep.errors and not rep.warnings, rep.summary()
    assert rep.baseline.ok and not rep.baseline.warnings
    kpis = json.loads((tmp_path / "plan" / "kpis.json").read_text(encoding="utf-8"))
    n_checked = len(kpis["global"]) + sum(len(m) for m in kpis["managers"]) + len(kpis["baseline"]["global"]) \
        + len(kpis["comparison"])
    assert rep.checked["kpis"] == n_checked
    assert {"design_imbalance", "non_contiguous_territories", "compactness_min"} <= set(kpis["global"])
    assert {"parts", "estimated_workload_hours", "designed_workload_hours"} <= set(kpis["managers"][0])


@pytest.mark.slow
def test_default_scenario_validates(tmp_path):
    res = run_scenario(load_scenario(ROOT / "scenarios" / "default.yaml"), out=tmp_path / "plan")
    assert res.validation.ok and not res.validation.warnings, res.validation.summary()


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), n=st.integers(15, 45), m=st.integers(1, 3),
       mutation=st.sampled_from(MUTATIONS))
def test_random_instances_valid_and_broken(tmp_path_factory, seed, n, m, mutation):
    base = tmp_path_factory.mktemp("h")
    region = base / "region"
    generate_region(n_retailers=n, n_managers=m, seed=seed, out=region, kind="county", n_teams=1, n_districts=1)
    res = run_scenario(load_scenario(_fast_scenario(region, seed)), out=base / "plan")
    assert res.validation.ok, res.validation.summary()
    broken = base / "broken"
    shutil.copytree(base / "plan", broken)
    v = _csv(broken, "visits.csv")
    if len(v) < 2 or (mutation is foreign_retailer and m == 1):
        return
    check = mutation(broken)
    rep = validate_folder(broken)
    assert not rep.ok and check in {e.check for e in rep.errors}, rep.summary()

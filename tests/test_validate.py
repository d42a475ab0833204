"""The independent validator: valid plans pass, plans broken on purpose are rejected."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.config.scenario import load_scenario
from planner.generate import generate_region
from planner.validate import validate_folder
from planner.workflows.run import run_scenario


def _fast_scenario(folder: Path, seed: int) -> Path:
    s = folder / "scenario.yaml"
    text = s.read_text(encoding="utf-8").replace(
        f"solver:\n  seed: {seed}", f"schedule: {{method: greedy}}\nsolver:\n  seed: {seed}\n  territory_time_limit_s: 3\n  max_iterations: 200")
    s.write_text(text, encoding="utf-8")
    return s


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory, small_region) -> Path:
    out = tmp_path_factory.mktemp("plans") / "p"
    res = run_scenario(load_scenario(small_region), out=out)
    assert res.validation.ok, res.validation.summary()
    return out


def _csv(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


def _save(df: pd.DataFrame, folder: Path, name: str) -> None:
    df.to_csv(folder / name, index=False)


def _json(folder: Path, name: str):
    return json.loads((folder / name).read_text(encoding="utf-8"))


def _dump(obj, folder: Path, name: str) -> None:
    (folder / name).write_text(json.dumps(obj), encoding="utf-8")


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
    else:  # duplicate a visit: over-visited
        v = pd.concat([v, v.iloc[[0]]])
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
    assert rep.checked["retailers"] == 120 and rep.checked["visits"] > 0
    assert rep.subs["baseline"]["ok"]


@pytest.mark.parametrize("mutate", MUTATIONS, ids=[m.__name__ for m in MUTATIONS])
def test_broken_plan_is_rejected(plan_dir, tmp_path, mutate):
    f = tmp_path / "broken"
    shutil.copytree(plan_dir, f)
    check = mutate(f)
    rep = validate_folder(f)
    assert not rep.ok
    assert check in {e.check for e in rep.errors}, rep.summary()


def test_changed_inputs_are_detected(plan_dir, tmp_path):
    f = tmp_path / "copy"
    shutil.copytree(plan_dir, f)
    man = _json(f, "manifest.json")
    man["inputs"]["retailers"]["sha256"] = "0" * 64
    _dump(man, f, "manifest.json")
    rep = validate_folder(f)
    assert not rep.ok and rep.errors[0].check == "inputs"


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

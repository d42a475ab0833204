"""planner frontier: the frequency-travel curve as CSV and PNG."""

from __future__ import annotations

import pandas as pd
from conftest import BASE_SCENARIO, write_scenario
from typer.testing import CliRunner

from planner.cli import app


def test_frontier_lambda_sweep(tmp_path):
    scen = BASE_SCENARIO.replace("schedule: {method: greedy}", "schedule: {method: solver}")
    s = write_scenario(tmp_path / "sc", scenario=scen)
    out = tmp_path / "frontier"
    r = CliRunner().invoke(app, ["frontier", str(s), "--values", "0,100000", "--out", str(out), "-q"])
    assert r.exit_code == 0, r.output
    t = pd.read_csv(out / "frontier.csv")
    assert list(t["value"]) == [0, 100000]
    # a visit worth nothing is never made; a visit worth a day of travel always is
    assert t.loc[0, "visits_planned"] == 0 and t.loc[0, "travel_hours"] == 0
    assert t.loc[1, "key_frequency_compliance"] == 1.0 and t.loc[1, "unplanned_visits"] == 0
    assert (out / "frontier.png").read_bytes()[:4] == b"\x89PNG"
    m = pd.read_csv(out / "frontier_managers.csv")
    assert set(m["manager_id"]) == {"M1", "M2"} and len(m) == 4
    r = CliRunner().invoke(app, ["frontier", str(s), "--values", "0", "--out", str(out), "-q"])
    assert r.exit_code == 2 and "already exists" in r.output


def test_frontier_key_visits_and_errors(tmp_path):
    s = write_scenario(tmp_path / "sc")
    out = tmp_path / "f2"
    r = CliRunner().invoke(app, ["frontier", str(s), "--param", "key_visits", "--values", "1,4", "--out", str(out), "-q"])
    assert r.exit_code == 0, r.output
    t = pd.read_csv(out / "frontier.csv")
    assert t["visits_required"].tolist() == [1 * 2 + 2 * 2 + 2, 4 * 2 + 2 * 2 + 2]
    r = CliRunner().invoke(app, ["frontier", str(s), "--param", "speed", "-q"])
    assert r.exit_code == 2 and "unknown frontier parameter" in r.output
    r = CliRunner().invoke(app, ["frontier", str(s), "--values", "a,b", "-q"])
    assert r.exit_code == 2 and "--values must be numbers" in r.output

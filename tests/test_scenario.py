"""Scenario files: schema, every error at once with file, line and field, key suggestions."""

from __future__ import annotations

import pytest
from conftest import BASE_SCENARIO, write_scenario

from planner.config.scenario import format_clock, load_scenario, parse_clock
from planner.errors import ScenarioError


def test_valid_scenario_loads_with_defaults(tiny):
    loaded = load_scenario(tiny)
    sc = loaded.scenario
    assert sc.name == "tiny"
    assert sc.calendar.working_days == ["Mon", "Tue", "Wed", "Thu", "Fri"]
    assert sc.required_visits("A") == 4 and sc.required_visits("C") == 1
    assert sc.key_class_set == {"A"}
    assert loaded.input_paths()["retailers"] == (tiny.parent / "retailers.csv").resolve()
    assert len(loaded.sha256) == 64


def test_all_errors_reported_at_once_with_line_and_field(tmp_path):
    text = BASE_SCENARIO.replace("weeks: 4", "weeks: 0\n  wekdays: [Mon]").replace(
        "C: {visits_per_cycle: 1, service_min: 10, value: 1}", "C: {visits_per_cycle: 1, service_min: -10, valeu: 1}")
    s = write_scenario(tmp_path, scenario=text)
    with pytest.raises(ScenarioError) as e:
        load_scenario(s)
    msg = str(e.value)
    assert "4 problems" in msg
    assert "line 8, field 'classes.C.service_min'" in msg and "greater than or equal to 0" in msg
    assert "unknown key 'valeu' (did you mean 'value'?)" in msg
    assert "field 'calendar.weeks'" in msg
    assert "unknown key 'wekdays'" in msg and "working_days" in msg
    assert str(s) in msg


def test_unknown_top_level_key_suggests(tmp_path):
    s = write_scenario(tmp_path, scenario=BASE_SCENARIO + "territorys: {count: 3}\n")
    with pytest.raises(ScenarioError, match=r"line 15, field 'territorys': unknown key 'territorys' \(did you mean 'territories'\?\)"):
        load_scenario(s)


def test_missing_required_and_missing_file(tmp_path):
    text = BASE_SCENARIO.replace("  managers: managers.csv\n", "")
    s = write_scenario(tmp_path, scenario=text)
    with pytest.raises(ScenarioError, match=r"field 'inputs.managers': required key is missing"):
        load_scenario(s)
    text = BASE_SCENARIO.replace("managers: managers.csv", "managers: nowhere.csv")
    s = write_scenario(tmp_path / "b", scenario=text)
    with pytest.raises(ScenarioError, match=r"line 4, field 'inputs.managers': file not found: .*nowhere.csv"):
        load_scenario(s)


def test_bad_values(tmp_path):
    text = BASE_SCENARIO.replace("weeks: 4", 'weeks: 4\n  shift: {start: "18:00", end: "08:00"}\n  working_days: [Mon, Mon]') \
        .replace("travel: {model: straight_line, speed_kmh: 25, circuity: 1.3}", "travel: {model: straight_line, speed_kmh: -5, circuity: 0.5}")
    s = write_scenario(tmp_path, scenario=text)
    with pytest.raises(ScenarioError) as e:
        load_scenario(s)
    msg = str(e.value)
    assert "calendar.shift" in msg and "must be after shift start" in msg
    assert "calendar.working_days" in msg and "listed twice" in msg
    assert "travel.speed_kmh" in msg and "travel.circuity" in msg


def test_road_model_needs_network(tmp_path):
    text = BASE_SCENARIO.replace("model: straight_line", "model: road_network")
    with pytest.raises(ScenarioError, match="inputs.road_network is not given"):
        load_scenario(write_scenario(tmp_path, scenario=text))


def test_not_yaml_and_not_mapping(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(p)
    p.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="must be a mapping"):
        load_scenario(p)
    with pytest.raises(ScenarioError, match="does not exist"):
        load_scenario(tmp_path / "none.yaml")


def test_custom_patterns_validated(tmp_path):
    text = BASE_SCENARIO.replace("C: {visits_per_cycle: 1, service_min: 10, value: 1}",
                                 "C: {visits_per_cycle: 1, service_min: 10, patterns: [[0], [25]]}")
    with pytest.raises(ScenarioError, match="pattern \\[25\\] must list distinct day indices 0..19"):
        load_scenario(write_scenario(tmp_path, scenario=text))


def test_clock_parsing():
    assert parse_clock("08:30") == 8 * 3600 + 30 * 60
    assert parse_clock("24:00") == 86400
    assert parse_clock(510) == 510 * 60  # YAML 1.1 sexagesimal 08:30 unquoted
    assert format_clock(30600) == "08:30:00"
    for bad in ("8h30", "25:00", "12:60"):
        with pytest.raises(ValueError):
            parse_clock(bad)

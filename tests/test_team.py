"""Issue 19: specialists, mixed channels (contacts), leave and weekly duties, on small hand-made
cases with known answers, and the validator's checks of every new rule (plans tampered with)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import write_scenario

from planner.config.scenario import load_scenario
from planner.design.availability import manager_days
from planner.design.contacts import target_days
from planner.design.horizon import horizon
from planner.errors import DataError, Progress, ScenarioError
from planner.inputs.dataset import load_dataset, parse_leave
from planner.validate import validate_folder
from planner.workflows.run import run_scenario

TEAM_SCENARIO = """\
name: team
inputs:
  retailers: retailers.csv
  managers: managers.csv
classes:
  A: {visits_per_cycle: 4, service_min: 20, value: 3, specialist_visits_per_cycle: 1, specialist_skill: guidance,
      specialist_service_min: 45}
  C: {visits_per_cycle: 1, service_min: 10, value: 1, remote_per_cycle: 1}
calendar:
  start_date: 2027-01-04
  weeks: 4
  duties:
    - {name: team meeting, weekdays: [Mon], start: "08:30", end: "09:30", who: all}
    - {name: training, weekdays: [Wed], start: "13:00", end: "14:00", who: [M1]}
travel: {model: straight_line, speed_kmh: 25, circuity: 1.3}
territories: {method: administrative}
schedule: {method: greedy}
solver: {seed: 1, territory_time_limit_s: 5, max_iterations: 200}
"""

TEAM_RETAILERS = """\
retailer_id,lon,lat,class,current_manager,phone
A1,24.9300,60.1700,A,M1,101
A2,24.9310,60.1705,A,M1,102
A3,24.9600,60.1700,A,M2,103
A4,24.9610,60.1705,A,M2,104
C1,24.9320,60.1710,C,M1,111
C2,24.9330,60.1690,C,M1,112
C3,24.9620,60.1710,C,M2,113
C4,24.9630,60.1690,C,M2,114
"""

TEAM_MANAGERS = """\
manager_id,lon,lat,team,role,skills,leave
M1,24.9305,60.1702,T1,manager,,
M2,24.9605,60.1702,T1,manager,,2027-01-05
S1,24.9310,60.1700,T1,specialist,guidance,
S2,24.9600,60.1700,T1,specialist,guidance;analysis,
S3,24.9450,60.1700,T2,specialist,analysis,
"""


@pytest.fixture(scope="module")
def team_plan(tmp_path_factory) -> Path:
    """Two managers and two guidance specialists in one team (and one specialist of another
    team, without managers); M2 on leave on Tuesday 5 January; a team meeting every Monday."""
    folder = tmp_path_factory.mktemp("team")
    s = write_scenario(folder / "in", scenario=TEAM_SCENARIO, retailers=TEAM_RETAILERS, managers=TEAM_MANAGERS)
    res = run_scenario(load_scenario(s), out=folder / "plan")
    assert res.validation.ok, res.validation.summary()
    return folder / "plan"


def _csv(plan: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(plan / name, dtype=str, keep_default_na=False)


def _secs(t: str) -> int:
    h, m, s = (int(x) for x in t.split(":"))
    return h * 3600 + m * 60 + s


# --- specialists ---------------------------------------------------------------------------------

def test_specialist_pool_of_two_splits_the_visits(team_plan: Path) -> None:
    v = _csv(team_plan, "visits.csv")
    sv = v[v["kind"] == "specialist"]
    # four A retailers, one specialist visit each; two guidance specialists: two each, the nearest
    assert len(sv) == 4
    assert sv.groupby("manager_id")["retailer_id"].apply(sorted).to_dict() == {"S1": ["A1", "A2"], "S2": ["A3", "A4"]}
    assert (sv["service_s"] == "2700").all()
    # a different day from the retailer's regular visit (every week on one weekday: any other day)
    regular = v[v["kind"] == "regular"]
    for r in sv.itertuples():
        days = set(regular.loc[regular["retailer_id"] == r.retailer_id, "day_index"])
        assert r.day_index not in days
    m = _csv(team_plan, "managers.csv")
    assert m.set_index("manager_id")["role"].to_dict() == {"M1": "manager", "M2": "manager", "S1": "specialist",
                                                            "S2": "specialist", "S3": "specialist"}
    a = _csv(team_plan, "assignments.csv")
    assert set(a["manager_id"]) == {"M1", "M2"}  # specialists own no territory
    k = json.loads((team_plan / "kpis.json").read_text())
    g = k["global"]
    assert (g["specialists"], g["specialist_visits_required"], g["specialist_visits_planned"]) == (3, 4, 4)
    assert g["managers"] == 2
    rows = {x["manager_id"]: x for x in k["managers"]}
    assert rows["S1"]["role"] == "specialist" and rows["S1"]["visits"] == 2 and rows["S1"]["retailers"] == 2
    assert "compactness_min" not in rows["S1"] and "parts" not in rows["S1"]
    assert rows["S3"]["visits"] == 0


def test_specialist_day_rule_falls_back_when_every_day_is_taken() -> None:
    from planner.design.specialists import specialist_patterns

    assert (0,) not in specialist_patterns(1, {0, 5}, 4, 5)
    every = set(range(20))
    assert len(specialist_patterns(1, every, 4, 5)) == 20  # no pattern avoids them all: any day


# --- contacts -------------------------------------------------------------------------------------

def test_c_class_gets_one_visit_and_one_contact(team_plan: Path) -> None:
    c = _csv(team_plan, "contacts.csv")
    assert list(c.columns[:6]) == ["manager_id", "date", "start", "end", "retailer_id", "phone"]
    assert sorted(c["retailer_id"]) == ["C1", "C2", "C3", "C4"]
    v = _csv(team_plan, "visits.csv")
    for r in c.itertuples():
        visit = v[v["retailer_id"] == r.retailer_id]
        assert len(visit) == 1
        gap = (int(r.day_index) - int(visit["day_index"].iloc[0])) % 20
        assert 8 <= gap <= 12, (r.retailer_id, gap)  # about two weeks after the visit (a cycle of 20 days)
        assert _secs(r.end) - _secs(r.start) == 300  # remote_min 5
        assert r.phone == {"C1": "111", "C2": "112", "C3": "113", "C4": "114"}[r.retailer_id]
    k = json.loads((team_plan / "kpis.json").read_text())["global"]
    assert (k["remote_contacts"], k["contacts_planned"], k["contacts_unplanned"]) == (4, 4, 0)


def test_contact_target_days() -> None:
    assert target_days([3], 1, 20) == [13.0]
    assert target_days([0, 5, 10, 15], 4, 20) == [2.5, 7.5, 12.5, 17.5]
    assert target_days([18], 1, 20) == [8.0]  # wraps around the cycle


# --- leave and duties ------------------------------------------------------------------------------

def test_leave_on_a_tuesday_and_a_monday_meeting(team_plan: Path) -> None:
    v = _csv(team_plan, "visits.csv")
    assert not ((v["manager_id"] == "M2") & (v["date"] == "2027-01-05")).any()
    routes = json.loads((team_plan / "routes.geojson").read_text())["features"]
    for f in routes:
        p = f["properties"]
        if dt.date.fromisoformat(p["date"]).weekday() == 0:
            assert p["start_s"] >= 9 * 3600 + 1800
    c = _csv(team_plan, "contacts.csv")
    for r in c.itertuples():
        if dt.date.fromisoformat(r.date).weekday() == 0:
            assert _secs(r.start) >= 9 * 3600 + 1800
        assert not (r.manager_id == "M2" and r.date == "2027-01-05")
    rows = {x["manager_id"]: x for x in json.loads((team_plan / "kpis.json").read_text())["managers"]}
    assert (rows["M2"]["leave_days"], rows["M2"]["duty_hours"]) == (1, 4.0)
    assert rows["M2"]["available_hours"] == pytest.approx(19 * 8.5 - 4)  # 19 days x (9 h - 30 min break) - 4 meetings
    assert rows["M1"]["available_hours"] == pytest.approx(20 * 8.5 - 8)  # and 4 trainings


def test_duties_shift_block_and_break_rules(tmp_path: Path) -> None:
    text = TEAM_SCENARIO.replace(
        '    - {name: training, weekdays: [Wed], start: "13:00", end: "14:00", who: [M1]}',
        '    - {name: training, weekdays: [Wed], start: "11:45", end: "12:45", who: [M1]}\n'
        '    - {name: office day, weekdays: [Fri], start: "08:00", end: "18:00", who: T1}\n'
        '    - {name: desk, weekdays: [Thu], start: "16:30", end: "17:30", who: M1}')
    loaded = load_scenario(write_scenario(tmp_path, scenario=text, retailers=TEAM_RETAILERS, managers=TEAM_MANAGERS))
    days = manager_days(loaded, horizon(loaded), manager_id="M1", team="T1", shift=(8 * 3600 + 1800, 17 * 3600 + 1800))
    mon, tue, wed, thu, fri = days[:5]
    assert (mon.start_s, mon.end_s, mon.blocks) == (9 * 3600 + 1800, 17 * 3600 + 1800, ())
    assert wed.blocks == ((11 * 3600 + 2700, 12 * 3600 + 2700),)
    # the default 30-min break in 12:00-13:30: the training takes 12:00-12:45, so it starts after it
    assert [(b.earliest_s, b.latest_s) for b in wed.breaks] == [(12 * 3600 + 2700, 13 * 3600)]
    assert [(b.earliest_s, b.latest_s) for b in tue.breaks] == [(12 * 3600, 13 * 3600)]
    assert thu.end_s == 16 * 3600 + 1800 and not fri.working and fri.duty_s == 9 * 3600
    assert tue.available_s == 9 * 3600 - 1800


def test_parse_leave() -> None:
    assert parse_leave("2027-01-11..2027-01-13; 2027-02-01") == (
        dt.date(2027, 1, 11), dt.date(2027, 1, 12), dt.date(2027, 1, 13), dt.date(2027, 2, 1))
    with pytest.raises(ValueError, match="not a date"):
        parse_leave("next week")
    with pytest.raises(ValueError, match="ends before"):
        parse_leave("2027-01-13..2027-01-11")


@pytest.mark.parametrize(("managers", "scenario", "message"), [
    (TEAM_MANAGERS.replace("2027-01-05", "5 Jan"), None, "field 'leave'"),
    (TEAM_MANAGERS.replace("T1,manager,,\nM2", "T1,boss,,\nM2"), None, "role 'boss'"),
    (TEAM_MANAGERS.replace("guidance,\nS2", "analysis,\nS2").replace("guidance;analysis", "analysis"), None,
     "has no specialist with it"),
    (TEAM_MANAGERS, TEAM_SCENARIO.replace("who: all", "who: Team 9"), "who 'Team 9'"),
    (TEAM_MANAGERS, TEAM_SCENARIO.replace("who: all", "who: [M1, M7]"), "'M7' not in"),
])
def test_input_errors(tmp_path: Path, managers: str, scenario: str | None, message: str) -> None:
    s = write_scenario(tmp_path, scenario=scenario or TEAM_SCENARIO, retailers=TEAM_RETAILERS, managers=managers)
    with pytest.raises(DataError) as e:
        load_dataset(load_scenario(s))
    assert message in str(e.value)


def test_specialist_as_current_manager_is_an_error(tmp_path: Path) -> None:
    s = write_scenario(tmp_path, scenario=TEAM_SCENARIO, retailers=TEAM_RETAILERS.replace("C4,24.9630,60.1690,C,M2",
                                                                                          "C4,24.9630,60.1690,C,S2"),
                       managers=TEAM_MANAGERS)
    with pytest.raises(DataError, match="is a specialist"):
        load_dataset(load_scenario(s))


def test_scenario_errors(tmp_path: Path) -> None:
    bad = TEAM_SCENARIO.replace("specialist_skill: guidance,", "").replace(
        "who: all}", "who: all, when: always}")
    with pytest.raises(ScenarioError) as e:
        load_scenario(write_scenario(tmp_path, scenario=bad, retailers=TEAM_RETAILERS, managers=TEAM_MANAGERS))
    text = str(e.value)
    assert "specialist_visits_per_cycle needs specialist_skill" in text
    assert "unknown key 'when'" in text and "valid keys here: name, weekdays, start, end, who" in text


# --- the validator on tampered plans ---------------------------------------------------------------

def _tampered(team_plan: Path, tmp_path: Path, name: str, change) -> list[str]:
    folder = tmp_path / "p"
    shutil.copytree(team_plan, folder)
    df = _csv(folder, name)
    out = change(df)
    (df if out is None else out).to_csv(folder / name, index=False)
    rep = validate_folder(folder)
    return [f"[{e.check}] {e.message}" for e in rep.errors]


def _first(df: pd.DataFrame, mask) -> int:
    return int(df.index[mask][0])


def test_validator_finds_a_visit_on_leave(team_plan: Path, tmp_path: Path) -> None:
    def change(v):
        k = _first(v, (v["manager_id"] == "M2") & (v["date"] == "2027-01-12"))
        v.loc[k, ["day_index", "date"]] = ["1", "2027-01-05"]
    errs = _tampered(team_plan, tmp_path, "visits.csv", change)
    assert any(e.startswith("[leave] M2 is on leave on 2027-01-05") for e in errs), errs


def test_validator_finds_a_visit_in_duty_time(team_plan: Path, tmp_path: Path) -> None:
    def monday(v):  # M1's first visit moved to the Monday before, at 08:35: the meeting is 08:30-09:30
        k = _first(v, (v["manager_id"] == "M1") & (v["day_index"] == "1"))
        v.loc[k, ["day_index", "date", "arrival", "departure"]] = ["0", "2027-01-04", "08:35:00", "08:55:00"]
    errs = _tampered(team_plan, tmp_path, "visits.csv", monday)
    assert any(e.startswith("[duties] visit 08:35 starts before the shift 09:30") for e in errs), errs

    def wednesday(v):  # into M1's training, Wednesdays 13:00-14:00
        k = _first(v, (v["manager_id"] == "M1") & (v["day_index"] == "3"))
        v.loc[k, ["day_index", "date", "arrival", "departure"]] = ["2", "2027-01-06", "13:10:00", "13:30:00"]
    errs = _tampered(team_plan, tmp_path / "w", "visits.csv", wednesday)
    assert any(e.startswith("[duties] visit 13:10-13:30 overlaps training 13:00-14:00") for e in errs), errs


def test_validator_checks_contacts(team_plan: Path, tmp_path: Path) -> None:
    def change(c):
        c.loc[0, ["start", "end"]] = ["07:00:00", "07:05:00"]
        c.loc[1, "phone"] = "999"
    errs = _tampered(team_plan, tmp_path, "contacts.csv", change)
    assert any("[contacts] contact 07:00-07:05 is outside the day's shift" in e for e in errs), errs
    assert any("[contacts] phone '999'" in e for e in errs), errs


def test_validator_finds_a_contact_on_the_route(team_plan: Path, tmp_path: Path) -> None:
    routes = json.loads((team_plan / "routes.geojson").read_text())["features"]
    p = next(f["properties"] for f in routes if f["properties"]["manager_id"] == "M1")
    start = p["start_s"] + 60

    def change(c):
        k = _first(c, c["manager_id"] == "M1")
        c.loc[k, ["date", "day_index", "start", "end"]] = [p["date"], str(p["day_index"]),
                                                           f"{start // 3600:02d}:{start % 3600 // 60:02d}:00",
                                                           f"{(start + 300) // 3600:02d}:{(start + 300) % 3600 // 60:02d}:00"]
    errs = _tampered(team_plan, tmp_path, "contacts.csv", change)
    assert any("overlaps the day's route" in e for e in errs), errs


def test_validator_checks_specialist_skill_and_team(team_plan: Path, tmp_path: Path) -> None:
    def change(v):
        k = _first(v, v["kind"] == "specialist")
        v.loc[k, "manager_id"] = "S3"
    errs = _tampered(team_plan, tmp_path, "visits.csv", change)
    assert any("[specialist] S3 lacks the skill 'guidance'" in e for e in errs), errs
    assert any("[specialist] S3 (team T2) is not of the retailer's team" in e for e in errs), errs


def test_validator_counts_specialist_visits_and_contacts(team_plan: Path, tmp_path: Path) -> None:
    errs = _tampered(team_plan, tmp_path, "visits.csv", lambda v: v.drop(index=_first(v, v["kind"] == "specialist")))
    assert any(e.startswith("[frequency] 0 specialist visits planned and 0 listed") for e in errs), errs
    errs = _tampered(team_plan, tmp_path / "c", "contacts.csv", lambda c: c.drop(index=0))
    assert any(e.startswith("[frequency] 0 contacts planned and 0 listed") for e in errs), errs
    assert any("global.contacts_planned = 4 but the plan tables give 3" in e for e in errs), errs


def test_balance_by_available_time(tmp_path: Path, small_region: Path) -> None:
    """A manager with a week of leave in the cycle gets a proportionally smaller territory with
    ``balance_by: available_time`` (and the same share by default)."""
    region = tmp_path / "county"
    shutil.copytree(small_region.parent, region, ignore=shutil.ignore_patterns("plans"))
    m = pd.read_csv(region / "managers.csv", dtype=str, keep_default_na=False)
    m["leave"] = ""
    first = m["manager_id"].iloc[0]
    team = m["team"].iloc[0]
    m.loc[0, "leave"] = "{start}..{end}"
    s = region / "scenario.yaml"
    text = s.read_text(encoding="utf-8")
    loaded = load_scenario(s)
    start = loaded.start_date
    m.loc[0, "leave"] = f"{start.isoformat()}..{(start + dt.timedelta(days=4)).isoformat()}"
    m.to_csv(region / "managers.csv", index=False)
    s.write_text(text.replace("territories:", "territories:\n  balance_by: available_time", 1)
                 if "territories:" in text else text + "territories: {balance_by: available_time}\n", encoding="utf-8")
    res = run_scenario(load_scenario(s), out=tmp_path / "plan", with_baseline=False)
    assert res.validation.ok, res.validation.summary()
    rows = {x["manager_id"]: x for x in res.plan.kpis["managers"]}
    mates = [x for x in rows.values() if x["team"] == team and x["manager_id"] != first]
    ratio = rows[first]["designed_workload_hours"] / (sum(x["designed_workload_hours"] for x in mates) / len(mates))
    share = rows[first]["available_hours"] / (sum(x["available_hours"] for x in mates) / len(mates))
    assert share == pytest.approx(0.75, abs=0.01)
    assert ratio == pytest.approx(share, abs=0.08)


def test_contacts_without_room_get_desk_time(tmp_path: Path) -> None:
    """A manager whose daily route fills the (short) shift: the contacts find no room, so the
    calendar is solved again with desk time kept at the end of each day, and they all fit."""
    scenario = TEAM_SCENARIO.replace("  C: {", "  D: {visits_per_cycle: 20, service_min: 25, value: 1}\n"
                                     "  R: {visits_per_cycle: 4, service_min: 5, mode: remote}\n  C: {")
    scenario = scenario.replace("  duties:\n", "  shift: {start: '08:30', end: '09:00'}\n  breaks: []\n  duties:\n")
    scenario = scenario.replace('    - {name: team meeting, weekdays: [Mon], start: "08:30", end: "09:30", who: all}\n', "")
    scenario = scenario.replace('    - {name: training, weekdays: [Wed], start: "13:00", end: "14:00", who: [M1]}\n', "")
    scenario = scenario.replace("  duties:\n", "")
    retailers = "retailer_id,lon,lat,class,current_manager,phone\nD1,24.9310,60.1705,D,M1,1\nR1,24.9320,60.1710,R,M1,2\n"
    managers = "manager_id,lon,lat,team\nM1,24.9305,60.1702,T1\n"
    s = write_scenario(tmp_path, scenario=scenario, retailers=retailers, managers=managers)
    warnings: list[str] = []

    class Catch(Progress):
        def warn(self, message: str) -> None:
            warnings.append(message)

    res = run_scenario(load_scenario(s), out=tmp_path / "plan", with_baseline=False, progress=Catch())
    assert res.validation.ok, res.validation.summary()
    assert any("contacts need desk time: calendars solved again with M1 5 min" in w for w in warnings), warnings
    c = _csv(tmp_path / "plan", "contacts.csv")
    assert len(c) == 4 and all(_secs(x) <= 9 * 3600 for x in c["end"])


def test_reports_show_specialists_contacts_and_duties(team_plan: Path) -> None:
    from openpyxl import load_workbook

    html = (team_plan / "report.html").read_text(encoding="utf-8")
    team = html[html.index('id="team"'):html.index('id="team"') + 20000]
    assert 'data-specialist="S1"' in team and 'data-specialist="S2"' in team
    assert 'data-contacts="M1"' in team and "team meeting" in team and "2027-01-05" in team
    wb = load_workbook(team_plan / "report.xlsx", read_only=True)
    assert wb.sheetnames[-3:] == ["Specialists", "Contacts", "Duties and leave"]
    rows = list(wb["Contacts"].iter_rows(values_only=True))
    assert len(rows) == 1 + 4 and rows[0][:6] == ("Manager", "Date", "Weekday", "Start", "End", "Retailer")
    sheet = (team_plan / "sheets" / "M1.html").read_text(encoding="utf-8")
    assert sheet.count('data-contact="C1"') + sheet.count('data-contact="C2"') == 2  # the call list
    assert (team_plan / "sheets" / "S1.html").exists()

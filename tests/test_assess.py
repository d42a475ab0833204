"""``planner assess``: a hand-made field log on the tiny plan with exactly known rates, bad rows
listed (not dropped), scores and weights, road time, contacts, Excel/GBK logs, the outputs and
the command line."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from conftest import write_scenario
from typer.testing import CliRunner

from planner.cli import app
from planner.config.scenario import load_scenario
from planner.workflows.assess import HEAD, assess, run_assessment
from planner.workflows.run import run_scenario

runner = CliRunner()

# The tiny plan (greedy calendar, one visit a day): M1 visits R1 (class A, key) on 4, 11, 18 and
# 25 Jan, R2 (B) on 5 and 19 Jan, R3 (C) on 6 Jan; M2 the same pattern with R4, R5, R6.
LOG = """\
manager_id,date,retailer_id,kind,start,end
M1,2027-01-04,R1,visit,08:30,08:50
M1,2027-01-13,R1,visit,,
M1,2027-01-18,R1,visit,,
M1,2027-01-05,R2,visit,,
M1,2027-01-26,R2,visit,,
M1,2027-01-06,R3,visit,,
M1,2027-01-07,R5,visit,,
M1,2027-01-04,R1,visit,08:30,08:50
M9,2027-01-04,R1,visit,,
M1,2027-01-04,R99,visit,,
M1,2027-02-15,R1,visit,,
M1,hello,R1,visit,,
M1,2027-01-08,R1,fax,,
M2,2027-01-04,R4,visit,,
M2,2027-01-11,R4,visit,,
M2,2027-01-18,R4,visit,,
M2,2027-01-25,R4,visit,,
M2,2027-01-05,R5,visit,,
M2,2027-01-19,R5,visit,,
M2,2027-01-06,R6,visit,,
"""


@pytest.fixture(scope="module")
def tiny_plan(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("assess")
    s = write_scenario(base / "in")
    res = run_scenario(load_scenario(s), out=base / "plan", with_baseline=False)
    assert res.validation.ok
    return base / "plan"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(textwrap.dedent(text).encode(encoding))
    return path


def test_known_rates_and_listed_problems(tiny_plan, tmp_path):
    res = assess(tiny_plan, write(tmp_path / "log.csv", LOG))
    m = res.managers.set_index("manager_id")
    assert list(res.managers.columns[:len(HEAD)]) == HEAD and res.managers.columns[-1] == "score"
    # M1: 7 planned; R1 on 4 and 18 Jan and R2, R3 on their days (4 on the day), R1 on 13 Jan for 11 Jan
    # (moved within the week), R1 25 Jan and R2 19 Jan missed; R2 on 26 Jan and R5 (M2's) are unplanned
    m1 = m.loc["M1"]
    assert (m1.visits_planned, m1.visits_done, m1.visits_on_planned_day, m1.visits_moved, m1.visits_missed,
            m1.extra_visits) == (7, 5, 4, 1, 2, 2)
    assert m1.completion == pytest.approx(5 / 7) and m1.on_planned_day == pytest.approx(4 / 5)
    assert m1.extra_rate == pytest.approx(2 / 7)
    assert (m1.key_visits_required, m1.key_visits_done) == (4, 3) and m1.key_frequency == pytest.approx(0.75)
    assert pd.isna(m1.contact_rate)  # no remote customers: no contact rate
    m2 = m.loc["M2"]
    assert (m2.completion, m2.on_planned_day, m2.key_frequency, m2.extra_visits) == (1.0, 1.0, 1.0, 0)
    # default weights; without --scores only the service process (completion .4, key .3, on day .2;
    # contacts undefined) counts, renormalised
    assert m1.score_service_process == pytest.approx(100 * (0.4 * 5 / 7 + 0.3 * 0.75 + 0.2 * 0.8) / 0.9)
    assert m1.score == pytest.approx(m1.score_service_process) and m2.score == pytest.approx(100.0)
    assert m1.missing_groups == "market_information;sales_support"
    assert {g["group"]: g["state"] for g in res.groups} == {
        "service_process": "used", "market_information": "no --scores file", "sales_support": "no --scores file"}
    p = res.problems
    assert list(zip(p["row"], p["code"], p["used"], strict=True)) == [
        (9, "duplicate", False), (10, "unknown_manager", False), (11, "unknown_retailer", False),
        (12, "outside_plan", False), (13, "bad_date", False), (14, "bad_kind", False)]
    assert (p["file"] == "log.csv").all() and p.loc[p["code"] == "bad_kind", "column"].item() == "kind"
    assert res.meta["log_rows"] == 20 and res.meta["log_rows_used"] == 14
    assert res.overall["completion"] == pytest.approx(12 / 14) and res.overall["key_frequency"] == pytest.approx(7 / 8)
    c = res.classes.set_index(["manager_id", "class"])
    assert c.loc[("M1", "A"), ["visits_planned", "visits_done", "visits_moved", "visits_missed"]].tolist() == [4, 3, 1, 1]
    assert c.loc[("M1", "B"), "extra_visits"] == 2 and bool(c.loc[("M1", "A"), "key"])


def test_scores_and_weights(tiny_plan, tmp_path):
    log = write(tmp_path / "log.csv", LOG)
    scores = write(tmp_path / "scores.csv", """\
        工号,market_information,sales_support,other
        M1,80,60,1
        M2,90,,2
        M7,50,50,3
        """)
    res = assess(tiny_plan, log, scores_path=scores)
    m = res.managers.set_index("manager_id")
    sp1 = 100 * (0.4 * 5 / 7 + 0.3 * 0.75 + 0.2 * 0.8) / 0.9
    assert m.loc["M1", "score"] == pytest.approx(0.5 * sp1 + 0.35 * 80 + 0.15 * 60)
    # M2 has no sales_support value: that group is missing and the weights are renormalised
    assert m.loc["M2", "score"] == pytest.approx((0.5 * 100 + 0.35 * 90) / 0.85)
    assert m.loc["M2", "missing_groups"] == "sales_support" and m.loc["M1", "missing_groups"] == ""
    assert m.loc["M1", "market_information"] == 80
    assert "other" not in res.managers.columns  # only the columns the groups use
    sp = res.problems[res.problems["file"] == "scores.csv"]
    assert sp[["row", "code", "manager_id"]].values.tolist() == [[4, "unknown_manager", "M7"]]
    # another weighting from a scenario file: per-workload scores on a 0-1 scale, two groups
    other = tmp_path / "weights.yaml"
    other.write_text((tiny_plan / "scenario.yaml").read_text(encoding="utf-8").replace(
        "retailers: retailers.csv", f"retailers: {tiny_plan.parent / 'in' / 'retailers.csv'}").replace(
        "managers: managers.csv", f"managers: {tiny_plan.parent / 'in' / 'managers.csv'}")
        + "assessment:\n  groups:\n    service_process: {weight: 3, indicators: [completion]}\n"
          "    reports: {weight: 1, source: scores, indicators: [other], scale: 4, per_workload: true}\n",
        encoding="utf-8")
    res = assess(tiny_plan, log, scores_path=scores, settings_from=other)
    m = res.managers.set_index("manager_id")
    idx = m.loc["M1", "planned_hours_index"]
    assert idx == pytest.approx(1.0)
    assert m.loc["M1", "score"] == pytest.approx((3 * 100 * 5 / 7 + 1 * 100 * (1 / idx) / 4) / 4)
    assert list(res.managers.filter(like="score_").columns) == ["score_service_process", "score_reports"]


def test_log_rules_times_and_excel(tiny_plan, tmp_path):
    # a copy of the plan where M1 visits R1 then R2 on 4 Jan: the plan's gap between them is
    # 09:00:00 - 08:50:07 = 593 s
    plan = tmp_path / "plan"
    shutil.copytree(tiny_plan, plan)
    v = pd.read_csv(plan / "visits.csv", dtype=str, keep_default_na=False)
    k = v.index[(v["manager_id"] == "M1") & (v["date"] == "2027-01-05")][0]
    v.loc[k, ["day_index", "date", "sequence", "arrival", "departure"]] = ["0", "2027-01-04", "2", "09:00:00", "09:15:00"]
    v.to_csv(plan / "visits.csv", index=False)
    log = write(tmp_path / "log.csv", """\
        manager_id,date,retailer_id,kind,start,end
        M1,2027/1/4,R1,Visit,08:30,08:50
        M1,2027-01-04,R2,,09:10:00,09:25:00
        M1,2027-01-04,R3,visit,09:20,09:30
        M1,2027-01-06,R3,visit,10:00,09:00
        M1,2027-01-09,R3,visit,25:99,
        M2,,R4,visit,,
        M2,20270104,R4,phone,,
        """)
    res = assess(plan, log)
    p = res.problems
    assert list(zip(p["row"], p["code"], p["used"], strict=True)) == [
        (4, "overlap", True), (5, "end_before_start", True), (6, "bad_time", True), (6, "non_working_day", True),
        (7, "missing_value", False)]
    m1 = res.managers.set_index("manager_id").loc["M1"]
    # gaps done on 4 Jan: R1 08:50 -> R2 09:10 (1200 s), R2 09:25 -> R3 09:20 (overlap: 0)
    assert m1.road_hours_planned == pytest.approx(593 / 3600) and m1.road_hours_done == pytest.approx(1200 / 3600)
    assert m1.road_ratio == pytest.approx(600 / 593)  # median of (1200, 0) against median of (593)
    assert m1.road_efficiency == pytest.approx(593 / 600)
    # the same log as an Excel workbook with a title row and Chinese headers
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["2027年1月 拜访记录"])
    ws.append(["客户经理编号", "拜访日期", "客户编码", "拜访类型", "进店时间", "离店时间"])
    ws.append(["M1", "2027-01-04", "R1", "拜访", "08:30", "08:50"])
    ws.append(["M1", "2027-01-04", "R2", "拜访", "09:10", "09:25"])
    ws.append(["M2", "2027-01-04", "NOPE", "拜访", "", ""])
    wb.save(tmp_path / "log.xlsx")
    res = assess(plan, tmp_path / "log.xlsx")
    m1 = res.managers.set_index("manager_id").loc["M1"]
    assert m1.visits_done == 2 and m1.road_hours_done == pytest.approx(1200 / 3600)
    p = res.problems.iloc[0]
    assert (p["file"], p["row"], p["column"], p["code"]) == ("log.xlsx, sheet Sheet", 5, "客户编码", "unknown_retailer")
    # GBK-encoded CSV, as Chinese Excel saves it
    gbk = write(tmp_path / "gbk.csv", "工号,日期,客户编码,类型\nM2,2027-01-04,R4,拜访\n", encoding="gbk")
    assert assess(plan, gbk).managers.set_index("manager_id").loc["M2", "visits_done"] == 1


def test_contacts_of_remote_customers(china_plan, tmp_path):
    # C07 (M1) and C08 (M2) are remote customers: one contact each in the 2-week horizon
    log = write(tmp_path / "log.csv", """\
        manager_id,date,retailer_id,kind
        M1,2027-01-05,C07,电话
        M1,2027-01-06,C07,contact
        M1,2027-01-05,C01,visit
        """)
    res = assess(china_plan, log)
    m = res.managers.set_index("manager_id")
    assert (m.loc["M1", "contacts_planned"], m.loc["M1", "contacts_done"], m.loc["M1", "contact_rate"]) == (1, 1, 1.0)
    assert (m.loc["M2", "contacts_planned"], m.loc["M2", "contacts_done"], m.loc["M2", "contact_rate"]) == (1, 0, 0.0)
    assert res.overall["contact_rate"] == pytest.approx(0.5)
    # a contacts.csv in the plan folder replaces the derived contacts
    plan = tmp_path / "plan"
    shutil.copytree(china_plan, plan)
    (plan / "contacts.csv").write_text("manager_id,date,start,end,retailer_id,phone\n"
                                       "M1,2027-01-05,10:00:00,10:05:00,C07,1\nM1,2027-01-12,10:00:00,10:05:00,C07,1\n"
                                       "M1,2027-01-12,11:00:00,11:05:00,C02,1\n", encoding="utf-8")
    m = assess(plan, log).managers.set_index("manager_id")
    assert (m.loc["M1", "contacts_planned"], m.loc["M1", "contacts_done"]) == (3, 2)
    assert m.loc["M2", "contacts_planned"] == 0 and pd.isna(m.loc["M2", "contact_rate"])


def test_outputs_both_languages_and_cli(tiny_plan, tmp_path):
    log = write(tmp_path / "log.csv", LOG)
    res = run_assessment(tiny_plan, log, tmp_path / "en")
    names = sorted(p.name for p in res.folder.iterdir())
    assert names == ["assessment.csv", "assessment.html", "assessment.json", "assessment.xlsx",
                     "assessment_classes.csv", "log_problems.csv"]
    csv = pd.read_csv(res.folder / "assessment.csv", dtype={"manager_id": str})
    assert list(csv["manager_id"]) == ["M1", "M2"] and csv.loc[0, "completion"] == pytest.approx(5 / 7)
    assert len(pd.read_csv(res.folder / "log_problems.csv")) == 6
    summary = json.loads((res.folder / "assessment.json").read_text(encoding="utf-8"))
    assert summary["overall"]["visits_planned"] == 14 and summary["problems_by_code"]["duplicate"] == 1
    html = (res.folder / "assessment.html").read_text(encoding="utf-8")
    assert 'data-chart="scores"' in html and 'data-chart="rates"' in html and "Problems in the log" in html
    assert '"kind":"assessment"' in html
    from openpyxl import load_workbook

    wb = load_workbook(res.folder / "assessment.xlsx")
    assert wb.sheetnames == ["Posts", "By class", "Weights", "Log problems"]
    ws = wb["Posts"]
    assert ws.freeze_panes == "B2" and isinstance(ws["F2"].value, float) and ws["F2"].number_format == "0.0%"
    r = runner.invoke(app, ["assess", str(tiny_plan), "--actual", str(log), "--out", str(tmp_path / "zh"), "--lang", "zh"])
    assert r.exit_code == 0, r.output
    assert "M1" in r.output and "74.5" in r.output and "unknown_manager 1" in r.output
    zh = (tmp_path / "zh" / "assessment.html").read_text(encoding="utf-8")
    assert "考核" in zh and "拜访完成率" in zh and 'lang="zh-CN"' in zh
    r = runner.invoke(app, ["assess", str(tiny_plan), "--actual", str(log), "--out", str(tmp_path / "zh")])
    assert r.exit_code == 2 and "already exists" in r.output
    bad = write(tmp_path / "bad.csv", "who,when\nM1,2027-01-04\n")
    r = runner.invoke(app, ["assess", str(tiny_plan), "--actual", str(bad), "--out", str(tmp_path / "x")])
    assert r.exit_code == 2 and "required column 'manager_id' is missing" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("extra, message", [
    ("assessment: {groups: {service_process: {wieght: 0.6}}}", "did you mean 'weight'?"),
    ("assessment: {groups: {x: {weight: 1, indicators: [completon]}}}", "did you mean 'completion'?"),
    ("assessment: {groups: {x: {weight: 0, indicators: [completion]}}}", "greater than 0"),
    ("assessment: {groups: {x: {weight: 1, indicators: {completion: -1}}}}", "weights must be positive"),
    ("assessment: {groups: {}}", "at least one group"),
    ("territories: {service_vacuum: {ratio: 0.5}}", "greater than or equal to 1"),
])
def test_scenario_assessment_section_is_checked(tmp_path, extra, message):
    from planner.errors import ScenarioError

    s = write_scenario(tmp_path / "s")
    s.write_text(s.read_text(encoding="utf-8") + extra + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as e:
        load_scenario(s)
    assert message in str(e.value)

"""A branch's own export goes in as it is: Excel with a title row, Chinese headers, tiers to
classes by rules, GCJ-02/BD-09 coordinates given back exactly, today's order weekdays as the
baseline; and the errors a planner meets on the way."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from branch_data import write_branch
from conftest import BASE_SCENARIO, write_scenario
from typer.testing import CliRunner

from planner.cli import app
from planner.config.scenario import load_scenario
from planner.errors import DataError, ScenarioError
from planner.inputs.dataset import load_dataset

runner = CliRunner()
FAST = "solver: {seed: 1, territory_time_limit_s: 20, max_iterations: 150}\n"


def _invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def branch(tmp_path_factory) -> Path:
    return write_branch(tmp_path_factory.mktemp("branch") / "county")


def _expected_class(tier: int, fmt: str, market: str) -> tuple[str, int]:
    """The scenario's classify rules, written out by hand."""
    if 25 <= tier <= 30:
        return "A", 1
    if 15 <= tier <= 24:
        return "B", 2
    if 10 <= tier <= 14 and fmt in ("超市", "烟酒商店"):
        return "B", 3
    if market == "农网":
        return "C", 4
    return "C", 5


def test_workbook_reads_with_title_row_chinese_headers_and_rules(branch):
    ds = load_dataset(load_scenario(branch))
    src = pd.read_csv(branch.parent / "零售客户_utf8.csv", dtype=str, keep_default_na=False)
    r = ds.retailers
    assert r["retailer_id"].tolist() == src["客户编码"].tolist()  # leading zeros kept
    assert r["licence"].tolist() == src["许可证号"].tolist()  # 18 digits exact
    assert r["tier"].tolist() == src["档位"].tolist()
    assert r["address"].tolist() == src["经营地址"].tolist() and r["phone"].tolist() == src["联系电话"].tolist()
    want = [_expected_class(int(t), f, m) for t, f, m in zip(src["档位"], src["经营业态"], src["市场类型"], strict=True)]
    assert r["class"].tolist() == [c for c, _ in want] and r["class_rule"].tolist() == [k for _, k in want]
    assert list(ds.classify_counts) == [sum(1 for _, k in want if k == j) for j in range(1, 6)]
    assert r["row"].tolist() == list(range(3, 3 + len(src)))  # Excel rows as the user sees them (title, header)
    np.testing.assert_allclose(r["lon_input"], src["经度"].astype(float), atol=1e-9)
    assert not np.allclose(r["lon"], r["lon_input"])  # converted to WGS84 for computing
    # current managers named by name become ids; managers by 工号 with leading zeros
    assert set(r["current_manager"]) <= set(ds.managers["manager_id"]) and ds.managers["manager_id"].iat[0] == "00001"
    assert ds.managers["team"].str.endswith("客户服务部").all()
    assert list(ds.retailer_extra.columns) == ["备注"]  # an unknown column is kept for the outputs
    assert r["order_days"].map(len).eq(1).all()


def test_csv_twins_read_the_same(branch, tmp_path):
    base = load_dataset(load_scenario(branch)).retailers
    for name in ("零售客户_gbk.csv", "零售客户_utf8.csv"):
        s = tmp_path / name / "scenario.yaml"
        s.parent.mkdir()
        s.write_text(branch.read_text(encoding="utf-8").replace("retailers: 客户.xlsx", f"retailers: {branch.parent / name}")
                     .replace("managers: 客户.xlsx", f"managers: {branch.parent / '客户.xlsx'}"), encoding="utf-8")
        r = load_dataset(load_scenario(s)).retailers
        for c in ("retailer_id", "licence", "class", "class_rule", "tier", "current_manager", "lon_input", "lat_input"):
            assert r[c].tolist() == base[c].tolist(), (name, c)


def test_branch_plan_end_to_end_round_trips_ids_and_coordinates(branch, tmp_path):
    s = tmp_path / "scenario.yaml"
    s.write_text(branch.read_text(encoding="utf-8").replace("inputs:\n", f"{FAST}inputs:\n")
                 .replace("客户.xlsx", str(branch.parent / "客户.xlsx")), encoding="utf-8")
    r = _invoke("check", s)
    assert r.exit_code == 0, r.output
    assert "classify rule 1" in r.output and "-> A" in r.output
    out = tmp_path / "plan"
    r = _invoke("run", s, "--out", out, "-q", "--lang", "zh")
    assert r.exit_code == 0, r.output
    assert _invoke("verify", out).exit_code == 0
    src = pd.read_csv(branch.parent / "零售客户_utf8.csv", dtype=str, keep_default_na=False).set_index("客户编码")
    a = pd.read_csv(out / "assignments.csv", dtype=str, keep_default_na=False).set_index("retailer_id")
    assert sorted(a.index) == sorted(src.index)  # ids unchanged, leading zeros and all
    assert (a.loc[src.index, "licence"] == src["许可证号"]).all() and (a.loc[src.index, "备注"] == src["备注"]).all()
    np.testing.assert_allclose(a.loc[src.index, "lon"].astype(float), src["经度"].astype(float), atol=1e-6)
    np.testing.assert_allclose(a.loc[src.index, "lat"].astype(float), src["纬度"].astype(float), atol=1e-6)
    v = pd.read_csv(out / "visits.csv", dtype=str, keep_default_na=False)
    np.testing.assert_allclose(v["lon"].astype(float), src.loc[v["retailer_id"], "经度"].astype(float), atol=1e-6)
    m = pd.read_csv(out / "managers.csv", dtype=str, keep_default_na=False)
    wb_m = pd.read_excel(branch.parent / "客户.xlsx", sheet_name="客户经理", dtype=str, engine="openpyxl")
    np.testing.assert_allclose(m["lon"].astype(float), wb_m["经度"].astype(float), atol=1e-6)
    rules = {int(k) for k in a["class_rule"]}
    assert rules <= {1, 2, 3, 4, 5}
    kpis = json.loads((out / "kpis.json").read_text(encoding="utf-8"))
    assert "order weekday" in kpis["baseline"]["method"]
    # today's practice: the baseline visits each retailer on its 订货日 (all classes here fit one weekday)
    bv = pd.read_csv(out / "baseline" / "visits.csv", dtype=str, keep_default_na=False)
    wd = pd.to_datetime(bv["date"]).dt.day_of_week.to_numpy()
    order = src.loc[bv["retailer_id"], "订货日"].map(lambda x: ["周一", "周二", "周三", "周四", "周五"].index(x)).to_numpy()
    assert (wd == order).all()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "客户分类规则" in html and "规则 1" in html


def test_bd09_coordinates_come_back_exactly(tmp_path):
    s = write_branch(tmp_path / "bd", crs="bd09", n_retailers=60, n_managers=2, seed=8)
    ds = load_dataset(load_scenario(s))
    src = pd.read_csv(s.parent / "零售客户_utf8.csv", dtype=str, keep_default_na=False)
    np.testing.assert_allclose(ds.retailers["lon_input"], src["经度"].astype(float), atol=1e-9)
    from planner.inputs.coords import wgs84_to_bd09

    back = wgs84_to_bd09(ds.retailers["lon"].to_numpy(), ds.retailers["lat"].to_numpy())
    np.testing.assert_allclose(back[0], src["经度"].astype(float), atol=1e-6)  # the conversion inverts exactly


def test_header_row_setting_and_sheet_errors(branch, tmp_path):
    text = branch.read_text(encoding="utf-8").replace("客户.xlsx", str(branch.parent / "客户.xlsx"))
    s = tmp_path / "a.yaml"
    s.write_text(text.replace("  crs: gcj02\n", "  crs: gcj02\n  header_row: {retailers: 2}\n"), encoding="utf-8")
    assert len(load_dataset(load_scenario(s)).retailers) == 120
    s.write_text(text.replace("  crs: gcj02\n", "  crs: gcj02\n  header_row: {retailers: 1}\n"), encoding="utf-8")
    with pytest.raises(DataError, match="required column 'retailer_id' is missing"):
        load_dataset(load_scenario(s))
    s.write_text(text.replace("retailers: 零售客户", "retailers: 客户"), encoding="utf-8")
    with pytest.raises(DataError, match="there is no sheet '客户' .*the sheets are: 零售客户, 客户经理"):
        load_dataset(load_scenario(s))


def test_excel_errors_name_file_sheet_row_and_column(branch, tmp_path):
    import openpyxl

    wb = openpyxl.load_workbook(branch.parent / "客户.xlsx")
    ws = wb["零售客户"]
    ws.cell(row=7, column=11).value = "东经113"  # 经度 of the 5th retailer
    ws.cell(row=9, column=7).value = "高档"  # 档位: not a number, so no rule but the catch-all... still a class
    wb.save(tmp_path / "客户.xlsx")
    s = tmp_path / "s.yaml"
    s.write_text(branch.read_text(encoding="utf-8").replace("客户.xlsx", str(tmp_path / "客户.xlsx")), encoding="utf-8")
    with pytest.raises(DataError) as e:
        load_dataset(load_scenario(s))
    assert "客户.xlsx, sheet 零售客户, row 7, field 'lon': '东经113' is not a number" in str(e.value)


def test_duplicate_headers_are_an_error(tmp_path):
    text = "retailer_id,lon,lat,lat,class\nR1,24.94,60.17,60.17,A\n"
    s = write_scenario(tmp_path, retailers=text)
    with pytest.raises(DataError, match=r"names the same column twice: column C \('lat'\) and column D \('lat'\)"):
        load_dataset(load_scenario(s))


def test_classify_errors(tmp_path):
    rules = "classify:\n  - {class: A, tier: [25, 30]}\n  - {class: B, 业态: 超市}\n"
    retailers = "retailer_id,lon,lat,tier\nR1,24.94,60.17,26\nR2,24.941,60.1705,3\n"
    s = write_scenario(tmp_path / "a", scenario=BASE_SCENARIO + rules, retailers=retailers)
    with pytest.raises(DataError) as e:
        load_dataset(load_scenario(s))
    msg = str(e.value)
    assert "classify rule 2 tests column '业态', which is not in the file" in msg
    assert "retailers.csv, row 3, field 'class': no classify rule matches this retailer" in msg
    s = write_scenario(tmp_path / "b", scenario=BASE_SCENARIO + "classify:\n  - {class: Z}\n", retailers=retailers)
    with pytest.raises(ScenarioError, match="classify rule 1: class 'Z' is not defined"):
        load_scenario(s)
    s = write_scenario(tmp_path / "c", scenario=BASE_SCENARIO + "classify:\n  - {class: A, tier: [30, 25]}\n",
                       retailers=retailers)
    with pytest.raises(ScenarioError, match="is empty"):
        load_scenario(s)


def test_managers_columns_per_file(tmp_path):
    managers = "code,E,N,dept\nM1,24.9405,60.1702,T1\nM2,24.9505,60.1652,T1\n"
    scen = BASE_SCENARIO.replace("  managers: managers.csv\n", "  managers: managers.csv\n  columns:\n"
                                 "    managers: {manager_id: code, lon: E, lat: N, team: dept}\n")
    ds = load_dataset(load_scenario(write_scenario(tmp_path, scenario=scen, managers=managers)))
    assert ds.managers["manager_id"].tolist() == ["M1", "M2"]
    bad = scen.replace("team: dept", "team: 部门名称")
    with pytest.raises(DataError, match=r"column '部门名称' \(inputs.columns.team\) is not in the file"):
        load_dataset(load_scenario(write_scenario(tmp_path / "b", scenario=bad, managers=managers)))


def test_impossible_frequency_is_a_scenario_error(tmp_path):
    scen = BASE_SCENARIO.replace("C: {visits_per_cycle: 1,", "C: {visits_per_cycle: 30,")
    with pytest.raises(ScenarioError, match="class C: 30 visits in 4 weeks of 5 working days cannot be planned"):
        load_scenario(write_scenario(tmp_path, scenario=scen))


def test_cli_tables_show_class_names_as_typed(tmp_path):
    scen = BASE_SCENARIO.replace("  A: {", "  key: {").replace("  B: {", "  general: {").replace("  C: {", "  small: {")
    retailers = ("retailer_id,lon,lat,class\nR1,24.9400,60.1700,key\nR2,24.9410,60.1705,general\n"
                 "R3,24.9420,60.1710,small\nR4,24.9500,60.1650,key\n")
    s = write_scenario(tmp_path, scenario=scen, retailers=retailers)
    r = _invoke("run", s, "--out", tmp_path / "p", "-q")
    assert r.exit_code == 0, r.output
    for c in ("key", "general", "small"):
        assert f"frequency_compliance[{c}]" in r.output


def test_a_load_at_the_tolerance_is_not_a_violation():
    from solvers.common import Stop
    from solvers.territory import TerritoryProblem, solve

    # two units of 1.021 and 0.979: each 2.1 % from the mean, at a 2.1 % tolerance
    prob = TerritoryProblem(n_territories=2, xy=np.array([[0.0, 0.0], [1000.0, 0.0]]),
                            measures=np.array([[1.021], [0.979]]), measure_names=("workload",), tolerances=(0.021,),
                            adjacency=np.array([[0, 1]]), travel=None, fixed_centres=False)
    res = solve(prob, stop=Stop(time_limit_s=None, max_iterations=10), seed=1)
    assert not res.violations, [v.message for v in res.violations]

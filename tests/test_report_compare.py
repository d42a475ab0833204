"""planner compare: KPIs side by side, moved retailers, map data and workload before/after."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from planner.cli import app
from planner.config.scenario import load_scenario
from planner.workflows.run import run_scenario

runner = CliRunner()


@pytest.fixture(scope="module")
def plans(tmp_path_factory, small_region) -> dict[str, Path]:
    """A plan of the small region, and a what-if variant with one more manager (M099)."""
    base = tmp_path_factory.mktemp("compare")
    out = {"plan": base / "plan"}
    assert run_scenario(load_scenario(small_region), out=out["plan"]).validation.ok
    region = base / "region5"
    shutil.copytree(small_region.parent, region, ignore=shutil.ignore_patterns("plans"))
    m = pd.read_csv(region / "managers.csv", dtype=str, keep_default_na=False)
    extra = m.iloc[[0]].copy()
    extra["manager_id"], extra["name"] = "M099", "Manager 99"
    r = pd.read_csv(region / "retailers.csv", dtype=str)
    extra["lon"], extra["lat"] = r.at[len(r) // 2, "lon"], r.at[len(r) // 2, "lat"]  # a reachable location
    pd.concat([m, extra]).to_csv(region / "managers.csv", index=False)
    out["five"] = base / "five"
    assert run_scenario(load_scenario(region / "scenario.yaml"), out=out["five"], with_baseline=False).validation.ok
    return out


def _data(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S).group(1))


def _compare(tmp_path: Path, *args: str) -> Path:
    out = tmp_path / "cmp"
    r = runner.invoke(app, ["compare", *args, "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == ["compare.html", "compare.xlsx"]
    return out


def test_known_moves_and_removed_retailer(plans, tmp_path):
    """Move three retailers by hand and drop one (last quarter vs this quarter): exactly these are listed."""
    src = plans["plan"]
    edited = tmp_path / "edited"
    shutil.copytree(src, edited)
    a = pd.read_csv(edited / "assignments.csv", dtype=str)
    retailers = pd.read_csv(json.loads((src / "manifest.json").read_text())["inputs"]["retailers"]["path"], dtype=str)
    cls = retailers.set_index("retailer_id")["class"]
    mg = pd.read_csv(edited / "managers.csv", dtype=str).set_index("manager_id")["team"]
    managers = sorted(mg.index)
    moved = {}
    for k in (0, 5, 9):
        rid, old = a.at[k, "retailer_id"], a.at[k, "manager_id"]
        new = next(m for m in managers if m != old)
        a.at[k, "manager_id"], a.at[k, "team"] = new, mg[new]
        moved[rid] = (old, new)
    dropped = a.at[len(a) - 1, "retailer_id"]
    dropped_from = a.at[len(a) - 1, "manager_id"]
    a = a.iloc[:-1]
    (edited / "assignments.csv").chmod(0o644)
    a.to_csv(edited / "assignments.csv", index=False)

    out = _compare(tmp_path, str(src), str(edited), "--label", "Q1", "--label", "Q2")
    wb = load_workbook(out / "compare.xlsx")
    assert wb.sheetnames == ["KPIs", "Managers", "Moves", "Moves by manager", "Assignments"]
    rows = list(wb["Moves"].iter_rows(min_row=2, values_only=True))
    got = {r[1]: (r[4], r[6], r[3]) for r in rows}
    expect = {rid: (o, n, cls[rid]) for rid, (o, n) in moved.items()}
    expect[dropped] = (dropped_from, "(not in plan)", cls[dropped])
    assert got == expect
    assert all(r[0] == "Q2" for r in rows)
    pairs = list(wb["Moves by manager"].iter_rows(min_row=2, values_only=True))
    assert sum(r[3] for r in pairs) == 4 and all(isinstance(r[3], int) for r in pairs)
    html = (out / "compare.html").read_text(encoding="utf-8")
    assert "4 of 120 retailers change manager (3.3 %)" in html
    table = re.search(r'<table class="sortable moves" id="moves-1">.*?</table>', html, re.S).group(0)
    for rid in expect:
        assert f"<td>{rid}</td>" in table
    d = _data(html)
    r = d["retailers"]
    ids = [m["id"] for m in d["managers"]]
    for rid, (o, n) in moved.items():
        i = r["id"].index(rid)
        assert (ids[r["a"][0][i]], ids[r["a"][1][i]]) == (o, n)
    i = r["id"].index(dropped)
    assert r["a"][1][i] == -1 and r["x"][i] is not None


def test_administrative_vs_market(plans, tmp_path):
    plan = plans["plan"]
    out = _compare(tmp_path, str(plan / "baseline"), str(plan))
    a0 = pd.read_csv(plan / "baseline" / "assignments.csv", dtype=str).set_index("retailer_id")["manager_id"]
    a1 = pd.read_csv(plan / "assignments.csv", dtype=str).set_index("retailer_id")["manager_id"]
    expected = set(a0.index[a0 != a1.reindex(a0.index)])
    wb = load_workbook(out / "compare.xlsx")
    assert {r[1] for r in wb["Moves"].iter_rows(min_row=2, values_only=True)} == expected
    k0 = json.loads((plan / "baseline" / "kpis.json").read_text())
    k1 = json.loads((plan / "kpis.json").read_text())
    kp = {r[0]: r[1:] for r in wb["KPIs"].iter_rows(min_row=2, values_only=True)}
    assert kp["Workload imbalance"][0] == pytest.approx(k0["global"]["imbalance"])
    assert kp["Workload imbalance"][1] == pytest.approx(k1["global"]["imbalance"])
    assert kp["Workload imbalance"][2] == pytest.approx(100 * (k1["global"]["imbalance"] - k0["global"]["imbalance"]))  # pp
    assert kp["Visits planned"][2] == k1["global"]["visits_planned"] - k0["global"]["visits_planned"]
    ws = wb["KPIs"]
    assert ws.freeze_panes == "B2" and ws["B2"].number_format == "0.0%"
    mg = {r[0]: r for r in wb["Managers"].iter_rows(min_row=2, values_only=True)}
    for m0, m1 in zip(k0["managers"], k1["managers"], strict=True):
        row = mg[m0["manager_id"]]
        assert row[2] == m0["retailers"] and row[4] == m1["retailers"]
        assert row[3] == pytest.approx(m0["workload_hours"]) and row[5] == pytest.approx(m1["workload_hours"])
        assert row[6] == pytest.approx(m1["workload_hours"] - m0["workload_hours"])
    html = (out / "compare.html").read_text(encoding="utf-8")
    assert "plan/baseline" in html and 'data-charts-expected="3"' in html
    assert re.search(rf'<div class="card" data-moves="{len(expected)}">', html)


def test_what_if_extra_manager(plans, tmp_path):
    out = _compare(tmp_path, str(plans["plan"]), str(plans["five"]), "--label", "4 managers", "--label", "5 managers",
                   )
    html = (out / "compare.html").read_text(encoding="utf-8")
    assert re.search(r'data-manager="M099"><td>.*?only in 5 managers', html)
    row = re.search(r'data-manager="M099">(.*?)</tr>', html).group(1)
    assert row.count(">–<") == 3  # no retailers, no workload in the 4-manager plan, no change
    k5 = {m["manager_id"]: m for m in json.loads((plans["five"] / "kpis.json").read_text())["managers"]}
    wb = load_workbook(out / "compare.xlsx")
    mg = {r[0]: r for r in wb["Managers"].iter_rows(min_row=2, values_only=True)}
    assert mg["M099"][2] is None and mg["M099"][3] is None and mg["M099"][4] == k5["M099"]["retailers"] > 0
    moves = list(wb["Moves"].iter_rows(min_row=2, values_only=True))
    assert sum(1 for r in moves if r[6] == "M099") == k5["M099"]["retailers"]
    d = _data(html)
    assert [p["label"] for p in d["plans"]] == ["4 managers", "5 managers"]
    assert len(d["plans"][1]["bases"]) == 5 and len(d["plans"][0]["bases"]) == 4


def test_three_plans_and_chinese(plans, tmp_path):
    p = plans["plan"]
    out = tmp_path / "cmp3"
    r = runner.invoke(app, ["compare", str(p / "baseline"), str(p), str(plans["five"]), "--out", str(out), "--lang", "zh"])
    assert r.exit_code == 0, r.output
    html = (out / "compare.html").read_text(encoding="utf-8")
    for label in ("方案对比", "更换客户经理的零售客户", "各客户经理工作量", "指标对比", "变动地图"):
        assert label in html
    assert "Retailers that change manager" not in html
    assert len(_data(html)["plans"]) == 3 and html.count('id="moves-') == 2
    assert load_workbook(out / "compare.xlsx").sheetnames == ["指标", "客户经理", "客户调整", "按经理汇总调整", "客户分配"]


def test_compare_refusals(plans, tmp_path):
    p = str(plans["plan"])
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("x")
    r = runner.invoke(app, ["compare", p, p, "--out", str(tmp_path / "full")])
    assert r.exit_code == 2 and "already exists" in r.output
    r = runner.invoke(app, ["compare", p, "--out", str(tmp_path / "one")])
    assert r.exit_code == 2 and "at least two" in r.output
    r = runner.invoke(app, ["compare", p, str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "not a plan folder" in r.output
    r = runner.invoke(app, ["compare", p, p, "--out", str(tmp_path / "o"), "--label", "only one"])
    assert r.exit_code == 2 and "one --label per plan" in r.output
    assert not (tmp_path / "o").exists() and not [x for x in tmp_path.iterdir() if x.name.startswith(".")]
    (tmp_path / "empty").mkdir()  # an empty folder is fine
    assert runner.invoke(app, ["compare", p, p, "--out", str(tmp_path / "empty")]).exit_code == 0
    assert "No retailer changes manager." in (tmp_path / "empty" / "compare.html").read_text(encoding="utf-8")

"""report.html and report.xlsx of a plan: numbers checked against the plan files, both languages."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from planner.cli import app
from planner.config.scenario import load_scenario
from planner.report import Locale, load_view, plan_report_files
from planner.report.geo import encode_coords
from planner.report.svg import nice_ticks
from planner.workflows.run import run_scenario

runner = CliRunner()


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory, small_region) -> Path:
    out = tmp_path_factory.mktemp("report") / "plan"
    res = run_scenario(load_scenario(small_region), out=out)
    assert res.validation.ok
    return out


@pytest.fixture(scope="module")
def plan_zh(tmp_path_factory, small_region) -> Path:
    out = tmp_path_factory.mktemp("report_zh") / "plan"
    run_scenario(load_scenario(small_region), out=out, lang="zh")
    return out


class Cells(HTMLParser):
    """Rows of the tables with ``data-kpi`` / ``data-manager`` attributes: cell texts and data-v."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[tuple[str, str | None]]] = {}
        self._row: str | None = None
        self._cell: list | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and ("data-kpi" in a or "data-manager" in a):
            self._row = a.get("data-kpi") or "manager:" + a["data-manager"]
            self.rows[self._row] = []
        elif tag == "td" and self._row is not None:
            self._cell = ["", a.get("data-v")]

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[0] += data

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None and self._row is not None:
            self.rows[self._row].append((self._cell[0].strip(), self._cell[1]))
            self._cell = None
        elif tag == "tr":
            self._row = None


def _cells(html: str) -> dict[str, list[tuple[str, str | None]]]:
    p = Cells()
    p.feed(html)
    return p.rows


def _data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
    return json.loads(m.group(1))


def _decode(a: list[int]) -> np.ndarray:
    return np.cumsum(np.asarray(a, dtype=np.int64).reshape(-1, 2), axis=0) / 1e5


def test_plan_folder_holds_both_reports(plan_dir):
    for where in (plan_dir, plan_dir / "baseline"):
        html = (where / "report.html").read_text(encoding="utf-8")
        assert html.startswith("<!DOCTYPE html>") and "</html>" in html
        assert (where / "report.xlsx").read_bytes()[:2] == b"PK"
    # self-contained: no external scripts, styles or fetches; Leaflet and the data are inline
    html = (plan_dir / "report.html").read_text(encoding="utf-8")
    assert not re.search(r'<script[^>]+src=|<link[^>]+href=|@import|fetch\(|XMLHttpRequest', html)
    assert "Leaflet 1.9.4" in html and 'id="report-data"' in html and 'id="render-status"' in html
    assert len(html) < 2_000_000


def test_report_kpis_match_plan_files(plan_dir):
    html = (plan_dir / "report.html").read_text(encoding="utf-8")
    kpis = json.loads((plan_dir / "kpis.json").read_text(encoding="utf-8"))
    base = json.loads((plan_dir / "baseline" / "kpis.json").read_text(encoding="utf-8"))["global"]
    rows = _cells(html)
    for key in ("imbalance", "travel_share", "key_frequency_compliance", "unplanned_visits", "travel_hours",
                "service_hours", "visits_planned"):
        (_, plan_v), (_, base_v), (_, delta_v) = rows[key][1], rows[key][2], rows[key][3]
        assert float(plan_v) == pytest.approx(kpis["global"][key], rel=1e-5), key
        assert float(base_v) == pytest.approx(base[key], rel=1e-5), key
        assert float(delta_v) == pytest.approx(kpis["global"][key] - base[key], rel=1e-4, abs=1e-9), key
    # the shown text is the formatted number
    assert rows["imbalance"][1][0] == f"{100 * kpis['global']['imbalance']:.1f} %"
    assert rows["visits_planned"][1][0] == f"{kpis['global']['visits_planned']:,}"
    for c, v in kpis["global"]["frequency_compliance"].items():
        assert float(rows[f"frequency_compliance:{c}"][1][1]) == pytest.approx(v)
    # headline card
    card = re.search(r'data-kpi="imbalance"><div class="k">[^<]*</div><div class="v" data-v="([^"]+)">', html)
    assert float(card.group(1)) == pytest.approx(kpis["global"]["imbalance"])


def test_manager_table_matches_plan_files(plan_dir):
    html = (plan_dir / "report.html").read_text(encoding="utf-8")
    a = pd.read_csv(plan_dir / "assignments.csv", dtype=str)
    v = pd.read_csv(plan_dir / "visits.csv", dtype={"manager_id": str})
    routes = json.loads((plan_dir / "routes.geojson").read_text(encoding="utf-8"))["features"]
    rows = _cells(html)
    managers = pd.read_csv(plan_dir / "managers.csv", dtype=str)["manager_id"]
    for m in managers:
        r = rows[f"manager:{m}"]
        assert int(float(r[2][1])) == int((a["manager_id"] == m).sum())  # retailers
        assert int(float(r[4][1])) == int((v["manager_id"] == m).sum())  # visits
        travel_h = sum(f["properties"]["travel_s"] for f in routes if f["properties"]["manager_id"] == m) / 3600
        assert float(r[6][1]) == pytest.approx(travel_h, rel=1e-6)  # travel hours from the routes
        service_h = v.loc[v["manager_id"] == m, "service_s"].sum() / 3600
        assert float(r[5][1]) == pytest.approx(service_h, rel=1e-6)


def test_map_data_matches_plan_files(plan_dir):
    html = (plan_dir / "report.html").read_text(encoding="utf-8")
    d = _data(html)
    a = pd.read_csv(plan_dir / "assignments.csv", dtype=str)
    v = pd.read_csv(plan_dir / "visits.csv", dtype={"retailer_id": str})
    mg = pd.read_csv(plan_dir / "managers.csv", dtype={"manager_id": str})
    routes = json.loads((plan_dir / "routes.geojson").read_text(encoding="utf-8"))["features"]
    terr = json.loads((plan_dir / "territories.geojson").read_text(encoding="utf-8"))["features"]
    r = d["retailers"]
    assert r["id"] == a["retailer_id"].tolist()
    ids = [m["id"] for m in d["managers"]]
    assert ids == mg["manager_id"].tolist()
    assert [ids[k] for k in r["m"]] == a["manager_id"].tolist()
    counts = v.groupby("retailer_id").size()
    assert r["v"] == [int(counts.get(x, 0)) for x in r["id"]]
    assert all(x is not None for x in r["x"])  # locations found in the inputs
    assert len(d["routes"]) == len(routes) and len(d["territories"]) == len(terr)
    for rt, f in zip(d["routes"], routes, strict=True):
        pts = _decode(rt["c"])
        base = mg.iloc[rt["m"]]
        assert rt["d"] == f["properties"]["day_index"]
        assert pts[0] == pytest.approx([base["lon"], base["lat"]], abs=1.1e-5)  # starts and ends at the base
        assert pts[-1] == pytest.approx([base["lon"], base["lat"]], abs=1.1e-5)
    assert d["defaultDay"] == min(f["properties"]["day_index"] for f in routes)
    # unplanned visits shown per retailer
    up = pd.read_csv(plan_dir / "baseline" / "unplanned.csv", dtype=str)
    db = _data((plan_dir / "baseline" / "report.html").read_text(encoding="utf-8"))
    got = dict(zip(db["retailers"]["id"], db["retailers"]["up"], strict=True))
    for rid, n in up.groupby("retailer_id").size().items():
        assert got[rid] == n


def test_unplanned_section_lists_every_visit_with_reason(plan_dir):
    folder = plan_dir / "baseline" if len(pd.read_csv(plan_dir / "baseline" / "unplanned.csv")) else plan_dir
    up = pd.read_csv(folder / "unplanned.csv", dtype=str)
    html = (folder / "report.html").read_text(encoding="utf-8")
    if not len(up):
        assert "every required visit is in the calendar" in html
        return
    table = re.search(r'<table class="sortable" id="unplanned-table">.*?</table>', html, re.S).group(0)
    assert table.count("<tr") - 1 == len(up)
    loc = Locale("en")
    for reason, n in up["reason"].value_counts().items():
        assert re.search(rf'data-reason="{reason}"><td>{re.escape(loc.reason(reason))}.*?data-v="{n}"', html)


def test_workbook_sheets_types_and_layout(plan_dir):
    wb = load_workbook(plan_dir / "report.xlsx")
    assert wb.sheetnames == ["Summary", "Managers", "Assignments", "Calendar", "Not planned"]
    v = pd.read_csv(plan_dir / "visits.csv", dtype={"manager_id": str, "retailer_id": str})
    a = pd.read_csv(plan_dir / "assignments.csv", dtype=str)
    kpis = json.loads((plan_dir / "kpis.json").read_text(encoding="utf-8"))
    for ws in wb.worksheets[1:]:
        assert ws.freeze_panes in ("B2", "A2"), ws.title
        assert ws.auto_filter.ref, ws.title
        assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0  # one page wide
        assert ws.print_title_rows == "$1:$1"
    cal = wb["Calendar"]
    head = [c.value for c in cal[1]]
    assert head[:3] == ["Manager", "Team", "Date"]
    rows = list(cal.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(v)
    assert all(isinstance(r[2], dt.datetime) for r in rows)  # dates as dates
    assert all(isinstance(r[11], (int, float)) for r in rows)  # travel minutes as numbers
    assert sum(r[11] for r in rows) == pytest.approx(v["travel_s"].sum() / 60)
    first = v.sort_values(["manager_id", "day_index", "sequence"]).iloc[0]
    assert rows[0][0] == first["manager_id"] and rows[0][6] == first["retailer_id"]
    h, m, sec = (int(x) for x in first["arrival"].split(":"))
    assert rows[0][9] == dt.timedelta(hours=h, minutes=m, seconds=sec)  # times of day as Excel [h]:mm times
    asg = list(wb["Assignments"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in asg] == a["retailer_id"].tolist()
    assert [r[5] for r in asg] == a["manager_id"].tolist()
    mgr = list(wb["Managers"].iter_rows(min_row=2, values_only=True))
    assert [r[2] for r in mgr] == [m["retailers"] for m in kpis["managers"]]
    assert all(isinstance(r[2], (int, float)) for r in mgr)
    summ = {r[0]: r[1:] for r in wb["Summary"].iter_rows(values_only=True) if r[0]}
    assert summ["Workload imbalance"][0] == pytest.approx(kpis["global"]["imbalance"])
    assert summ["Workload imbalance"][1] == pytest.approx(kpis["baseline"]["global"]["imbalance"])
    assert wb["Summary"]["B3"].value is not None
    ub = load_workbook(plan_dir / "baseline" / "report.xlsx")["Not planned"]
    assert ub.max_row - 1 == len(pd.read_csv(plan_dir / "baseline" / "unplanned.csv"))


def test_chinese_report_translates_labels_and_formats_numbers(plan_zh):
    html = (plan_zh / "report.html").read_text(encoding="utf-8")
    kpis = json.loads((plan_zh / "kpis.json").read_text(encoding="utf-8"))
    assert '<html lang="zh-CN">' in html
    for label in ("工作量不均衡度", "路途时间占比", "重点客户拜访达成率", "未安排的拜访", "客户经理", "各客户经理工作量",
                  "方案生成方式", "地图", "行政区划基准"):
        assert label in html, label
    for english in ("Workload imbalance", "Travel share", "Visits not planned", "Customer managers", "How this plan"):
        assert english not in html, english
    assert f">{100 * kpis['global']['imbalance']:.1f}%<" in html  # no space before % in Chinese
    d = _data(html)
    assert d["labels"]["routes_layer"] == "线路" and d["labels"]["all_days"] == "全部日期"
    assert re.search(r"\d+月\d+日 周[一二三四五六日]", d["days"][0]["label"])
    wb = load_workbook(plan_zh / "report.xlsx")
    assert wb.sheetnames == ["概要", "客户经理", "客户分配", "拜访日程", "未安排拜访"]
    assert [c.value for c in wb["拜访日程"][1]][:3] == ["客户经理", "服务组", "日期"]


def test_frontier_chart_when_frontier_csv_given(plan_dir, tmp_path):
    fr = pd.DataFrame({"param": "lambda", "value": [0.0, 600.0, 3600.0], "lambda": [0.0, 600.0, 3600.0],
                       "key_frequency_compliance": [0.5, 0.9, 1.0], "travel_hours": [20.0, 35.0, 41.0],
                       "travel_hours_per_manager": [5.0, 8.75, 10.25], "frequency_compliance_A": [0.5, 0.9, 1.0],
                       "frequency_compliance_C": [0.2, 0.8, 1.0]})
    fr.to_csv(tmp_path / "frontier.csv", index=False)
    r = runner.invoke(app, ["report", str(plan_dir), "--out", str(tmp_path / "rep"), "--frontier", str(tmp_path / "frontier.csv")])
    assert r.exit_code == 0, r.output
    html = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    svg = re.search(r'<svg class="chart" data-chart="frontier".*?</svg>', html, re.S).group(0)
    assert svg.count('class="pt"') == 6  # 3 points of the key-frequency line + 3 of class C
    assert "λ=3600" in svg and 'class="pt highlight"' in svg
    assert re.search(r'data-charts-expected="4"', html)
    wb = load_workbook(tmp_path / "rep" / "report.xlsx")
    assert "Frontier" in wb.sheetnames and wb["Frontier"]["D2"].value == pytest.approx(0.5)
    # without a frontier the report says how to get one
    assert "run planner frontier" in (plan_dir / "report.html").read_text(encoding="utf-8")


def test_report_command_languages_and_refusals(plan_dir, tmp_path):
    r = runner.invoke(app, ["report", str(plan_dir), "--out", str(tmp_path / "zh"), "--lang", "zh"])
    assert r.exit_code == 0, r.output
    assert "工作量不均衡度" in (tmp_path / "zh" / "report.html").read_text(encoding="utf-8")
    r = runner.invoke(app, ["report", str(plan_dir), "--out", str(tmp_path / "zh")])
    assert r.exit_code == 2 and "already exists" in r.output
    r = runner.invoke(app, ["report", str(plan_dir), "--out", str(tmp_path / "fr"), "--lang", "fr"])
    assert r.exit_code == 2 and "unknown report language" in r.output and not (tmp_path / "fr").exists()
    r = runner.invoke(app, ["report", str(tmp_path / "nothing"), "--out", str(tmp_path / "x")])
    assert r.exit_code == 2 and "not a plan folder" in r.output


def test_run_rejects_unknown_language_before_solving(small_region, tmp_path):
    r = runner.invoke(app, ["run", str(small_region), "--out", str(tmp_path / "p"), "--lang", "de", "-q"])
    assert r.exit_code == 2 and "unknown report language" in r.output
    assert not (tmp_path / "p").exists()


def test_report_without_inputs_uses_the_plans_own_tables(plan_dir, tmp_path):
    """A plan whose input files are gone still gets a map: retailer details come from its own
    assignments.csv (class, coordinates), or for older plans without them from report.xlsx."""
    import shutil

    folder = tmp_path / "moved"
    shutil.copytree(plan_dir, folder)
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for info in man["inputs"].values():
        info["path"] = str(tmp_path / "gone" / Path(info["path"]).name)
    (folder / "manifest.json").chmod(0o644)
    (folder / "manifest.json").write_text(json.dumps(man), encoding="utf-8")
    orig = _data((plan_dir / "report.html").read_text(encoding="utf-8"))
    view = load_view(folder)
    assert view.notes == []
    d = _data(plan_report_files(view)["report.html"].decode("utf-8"))
    assert d["retailers"]["x"] == orig["retailers"]["x"] and d["retailers"]["cls"] == orig["retailers"]["cls"]
    a = pd.read_csv(folder / "assignments.csv", dtype=str, keep_default_na=False)  # an older plan's table
    (folder / "assignments.csv").chmod(0o644)
    a[["retailer_id", "manager_id", "team"]].to_csv(folder / "assignments.csv", index=False)
    view = load_view(folder)
    assert view.notes == ["from_workbook"]
    d = _data(plan_report_files(view)["report.html"].decode("utf-8"))
    assert d["retailers"]["x"] == orig["retailers"]["x"] and d["retailers"]["cls"] == orig["retailers"]["cls"]


def test_helpers():
    assert nice_ticks(0, 147) == [0, 50, 100, 150]
    assert nice_ticks(0, 0.155)[-1] == pytest.approx(0.2)
    assert encode_coords([[24.5, 60.1], [24.50001, 60.1], [24.50001, 60.1]]) == [2450000, 6010000, 1, 0]
    en, zh = Locale("en"), Locale("zh")
    assert en.pct(0.1234) == "12.3 %" and zh.pct(0.1234) == "12.3%"
    assert en.signed_pp(-0.154) == "−15.4 pp" and zh.signed_pp(0.005) == "+0.5 个百分点"
    assert en.date("2027-01-04") == "Mon 4 Jan 2027" and zh.date("2027-01-04") == "2027年1月4日 周一"
    assert en.num(1234.56) == "1,234.6" and en.int(None) == "–"


def test_a_failing_report_never_loses_the_plan(small_region, tmp_path, monkeypatch):
    import planner.report as report
    from planner.errors import Progress

    def boom(*a, **k):
        (Path(a[0]) / "report.html").write_text("half")
        raise RuntimeError("font missing")

    class Warn(Progress):
        messages: list[str] = []

        def warn(self, message: str) -> None:
            self.messages.append(message)

    monkeypatch.delenv("PLANNER_DEBUG", raising=False)
    monkeypatch.setattr(report, "add_plan_reports", boom)
    res = run_scenario(load_scenario(small_region), out=tmp_path / "p", progress=Warn())
    assert res.validation.ok and (tmp_path / "p" / "visits.csv").exists()
    assert not (tmp_path / "p" / "report.html").exists()  # no half-written report
    assert any("report could not be made (RuntimeError: font missing)" in m for m in Warn.messages)
    monkeypatch.setenv("PLANNER_DEBUG", "1")
    with pytest.raises(RuntimeError):
        run_scenario(load_scenario(small_region), out=tmp_path / "q", progress=Warn())
    assert not (tmp_path / "q").exists()

"""Route sheets (``sheets/<manager>.html|.xlsx``), the field-app export, navigation links and base
maps: the sheets hold exactly the rows of ``visits.csv`` in order (read back from the workbook, the
page's embedded data and its table), every navigation link points at the input coordinates
converted to the app's datum (to 1e-6°), remote contacts, Chinese labels, ``report.tiles``."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import numpy as np
import pandas as pd
import pytest
from conftest import BASE_SCENARIO, CHINA_RETAILERS, CHINA_SCENARIO, write_scenario
from openpyxl import load_workbook
from typer.testing import CliRunner

from planner.cli.app import app
from planner.config.scenario import load_scenario
from planner.errors import PlannerError, Progress, ScenarioError
from planner.inputs.coords import gcj02_to_bd09, gcj02_to_wgs84, wgs84_to_gcj02
from planner.report import write_report_folder
from planner.report.sheets import write_sheets_folder
from planner.report.sheets.select import parse_days, sheet_file
from planner.report.sheets.workbook import STOP_TOP
from planner.report.tiles import resolve_tiles
from planner.workflows.run import run_scenario

runner = CliRunner()


def visits_of(plan: Path) -> pd.DataFrame:
    return pd.read_csv(plan / "visits.csv", dtype=str, keep_default_na=False)


def page_data(html_path: Path) -> dict:
    text = html_path.read_text(encoding="utf-8")
    m = re.search(r'<script type="application/json" id="sheet-data">(.*?)</script>', text, re.S)
    return json.loads(m.group(1).replace("<\\/", "</"))


def workbook_rows(xlsx: Path) -> list[tuple[str, int, str]]:
    """(date, sequence, retailer) of every stop in the day sheets, in sheet order."""
    wb = load_workbook(xlsx, data_only=True)
    out = []
    for ws in wb.worksheets[1:]:
        date = ws.title.split(" ")[0]
        for row in ws.iter_rows(min_row=STOP_TOP + 2, values_only=True):
            if row[0] is None:
                break
            out.append((date, int(row[0]), str(row[3])))
    return out


def expected_rows(plan: Path, manager: str) -> list[tuple[str, int, str]]:
    v = visits_of(plan)
    v = v[v["manager_id"] == manager]
    return [(d, int(s), r) for d, s, r in zip(v["date"], v["sequence"], v["retailer_id"], strict=True)]


@pytest.fixture(scope="module")
def tiny_plan(tmp_path_factory) -> Path:
    s = write_scenario(tmp_path_factory.mktemp("sheets") / "in", retailers="""\
        retailer_id,name,address,phone,lon,lat,class,opening_hours,current_manager,order_weekday
        R1,Shop One,1 Main St,0401,24.9400,60.1700,A,Mo-Fr 08:00-18:00,M1,Mon
        R2,Kiosk Two,2 Side St,0402,24.9410,60.1705,B,,M1,
        R3,"Store, Three",3 Corner,0403,24.9420,60.1710,C,,M1,
        R4,Four & Co,4 Hill,0404,24.9500,60.1650,A,,M2,
        R5,Five,5 Park,0405,24.9510,60.1655,B,Mo-Sa 09:00-17:00,M2,
        R6,Six,6 Lake,0406,24.9520,60.1660,C,,M2,
        R7,Remote Seven,7 Far,0407,24.9530,60.1670,D,,M2,
        R8,Remote Eight,8 Far,0408,24.9430,60.1690,D,,M1,
        R9,Remote Nine,9 Far,0409,24.9440,60.1695,D,,M1,
        """, scenario=BASE_SCENARIO.replace(
        "  C: {visits_per_cycle: 1, service_min: 10, value: 1}\n",
        "  C: {visits_per_cycle: 1, service_min: 10, value: 1}\n  D: {visits_per_cycle: 2, service_min: 5, mode: remote}\n"))
    out = s.parent.parent / "plan"
    assert run_scenario(load_scenario(s), out=out).validation.ok
    return out


def test_plan_folder_has_sheets_for_every_manager_holding_visits_in_order(tiny_plan):
    sheets = tiny_plan / "sheets"
    managers = pd.read_csv(tiny_plan / "managers.csv", dtype=str)["manager_id"].tolist()
    assert sorted(p.name for p in sheets.iterdir()) == sorted(
        [sheet_file(m, e) for m in managers for e in ("html", "xlsx")] + ["visits.jsonl", "visits_by_day.csv"])
    assert not (tiny_plan / "baseline" / "sheets").exists()  # managers work from the plan
    for m in managers:
        want = expected_rows(tiny_plan, m)
        assert workbook_rows(sheets / f"{m}.xlsx") == want
        data = page_data(sheets / f"{m}.html")
        assert [(d["date"], s["seq"], s["id"]) for d in data["days"] for s in d["stops"]] == want
        table = re.findall(r'<tr data-retailer="([^"]+)" data-seq="(\d+)">', (sheets / f"{m}.html").read_text("utf-8"))
        assert [(r, int(q)) for r, q in table] == [(r, q) for _d, q, r in want]
        assert len(data["days"]) == 20  # one block per working day, visits or not


def test_workbook_formats(tiny_plan):
    wb = load_workbook(tiny_plan / "sheets" / "M1.xlsx")
    assert wb.sheetnames[0] == "Overview" and wb.sheetnames[1] == "2027-01-04 Mon" and len(wb.sheetnames) == 21
    ws = wb["2027-01-04 Mon"]
    assert ws.freeze_panes == f"A{STOP_TOP + 2}"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)  # one page wide
    assert ws.page_setup.fitToHeight == 0 and ws.print_title_rows == f"${STOP_TOP + 1}:${STOP_TOP + 1}"
    head = [c.value for c in ws[STOP_TOP + 1]]
    assert head[:4] == ["#", "Arrival", "Departure", "Retailer"] and head[-1] == "Navigate"
    row = ws[STOP_TOP + 2]
    assert isinstance(row[0].value, int) and isinstance(row[10].value, (int, float))  # numbers as numbers
    assert row[1].number_format == "[h]:mm" and isinstance(row[1].value, (float, dt.time, dt.timedelta))
    assert row[12].hyperlink.target.startswith("https://www.openstreetmap.org/?mlat=")


def test_export_files(tiny_plan):
    v = visits_of(tiny_plan)
    lines = [json.loads(x) for x in (tiny_plan / "sheets" / "visits.jsonl").read_text("utf-8").splitlines()]
    assert [(x["manager_id"], x["date"], x["sequence"], x["retailer_id"]) for x in lines] == \
        [(m, d, int(s), r) for m, d, s, r in zip(v["manager_id"], v["date"], v["sequence"], v["retailer_id"], strict=True)]
    first = lines[0]
    assert set(first) >= {"lon_wgs84", "lat_wgs84", "lon", "lat", "crs", "arrival", "departure", "day_index", "team"}
    assert first["crs"] == "wgs84" and first["weekday"] == 1
    by_day = pd.read_csv(tiny_plan / "sheets" / "visits_by_day.csv", dtype=str, keep_default_na=False)
    assert len(by_day) == 2 * 20 and by_day["stops"].astype(int).sum() == len(v)
    for (m, d), g in v.groupby(["manager_id", "date"], sort=False):
        row = by_day[(by_day["manager_id"] == m) & (by_day["date"] == d)].iloc[0]
        assert row["retailer_ids"].split(";") == g["retailer_id"].tolist()


def test_remote_contacts_derived_evenly_or_from_contacts_csv(tiny_plan, tmp_path):
    data = {m: page_data(tiny_plan / "sheets" / f"{m}.html") for m in ("M1", "M2")}
    calls = {m: [(d["i"], c) for d in data[m]["days"] for c in d["contacts"]] for m in data}
    # M1 has R8 and R9 (2 contacts each in 4 weeks), M2 has R7: each once per required contact
    assert sorted(c for _d, c in calls["M1"]) == ["R8", "R8", "R9", "R9"]
    assert sorted(c for _d, c in calls["M2"]) == ["R7", "R7"]
    # spread evenly over the 20 working days in retailer order: contacts k/N at day floor(k*20/N)
    assert calls["M1"] == [(0, "R8"), (5, "R9"), (10, "R8"), (15, "R9")]
    assert calls["M2"] == [(0, "R7"), (10, "R7")]
    html = (tiny_plan / "sheets" / "M1.html").read_text("utf-8")
    assert 'href="tel:0408"' in html and "contacts.csv" in html
    # a contacts.csv in the plan folder is used as it is
    plan = tmp_path / "plan"
    shutil.copytree(tiny_plan, plan, ignore=shutil.ignore_patterns("sheets"))
    (plan / "contacts.csv").write_text("manager_id,date,start,end,retailer_id,phone\n"
                                       "M1,2027-01-07,10:00:00,10:05:00,R9,0499\n", encoding="utf-8")
    out = write_sheets_folder(plan, tmp_path / "out")
    d = page_data(out / "M1.html")
    assert [(x["date"], x["contacts"]) for x in d["days"] if x["contacts"]] == [("2027-01-07", ["R9"])]
    assert "tel:0499" in (out / "M1.html").read_text("utf-8")
    assert not any(x["contacts"] for x in page_data(out / "M2.html")["days"])


def test_visit_reasons_and_key_customers(tiny_plan):
    html = (tiny_plan / "sheets" / "M1.html").read_text("utf-8")
    assert re.search(r'data-retailer="R1".*?every Mon · order day · visit 1 of 4', html, re.S)
    assert "★" in html and "Opening hours: Mo-Fr 08:00-18:00" in html
    assert re.search(r'data-retailer="R2".*?every 2 weeks on \w{3} · visit 1 of 2', html, re.S)


def _nav_coords(url: str, app: str) -> tuple[float, float]:
    if app == "amap":
        lon, lat = parse_qs(urlparse(url).query)["position"][0].split(",")
    elif app == "baidu":
        lat, lon = parse_qs(urlparse(url).query)["location"][0].split(",")
    elif app == "osm":
        q = parse_qs(urlparse(url).query)
        lat, lon = q["mlat"][0], q["mlon"][0]
    else:
        lat, lon = url.removeprefix("geo:").split("?")[0].split(",")
    return float(lon), float(lat)


@pytest.mark.parametrize("app", ["amap", "baidu", "osm", "geo"])
def test_navigation_links_open_the_input_point_in_the_apps_datum(china_plan, tmp_path, app):
    out = write_sheets_folder(china_plan, tmp_path / app, nav=app, lang="zh")
    src = pd.read_csv(io.StringIO(CHINA_RETAILERS), dtype={"客户编码": str}).set_index("客户编码")
    glon, glat = src["经度"].to_numpy(float), src["纬度"].to_numpy(float)  # as given: GCJ-02
    want = {"amap": (glon, glat), "baidu": gcj02_to_bd09(glon, glat), "osm": gcj02_to_wgs84(glon, glat),
            "geo": gcj02_to_wgs84(glon, glat)}[app]
    want = {r: (float(x), float(y)) for r, x, y in zip(src.index, *want, strict=True)}
    n = 0
    for m in ("M1", "M2"):
        html = (out / f"{m}.html").read_text("utf-8")
        links = re.findall(r'<tr data-retailer="([^"]+)".*?<a class="nav" href="([^"]+)"', html, re.S)
        assert links and len(links) == sum(len(d["stops"]) for d in page_data(out / f"{m}.html")["days"])
        for rid, url in links:
            url = url.replace("&amp;", "&")
            x, y = _nav_coords(url, app)
            assert abs(x - want[rid][0]) <= 1e-6 and abs(y - want[rid][1]) <= 1e-6, (app, rid, url)
            n += 1
        if app in ("amap", "baidu"):
            assert "%E9%94%A6%E6%B1%9F%E7%83%9F%E9%85%92%E5%BA%97" in html or m == "M2"  # 锦江烟酒店, URL-encoded
        if app == "amap":
            assert "coordinate=gaode&amp;callnative=1" in html
        if app == "baidu":
            assert "coord_type=bd09ll" in html and "output=html" in html
    assert n > 0
    assert abs(max(abs(gcj02_to_wgs84(glon, glat)[0] - glon)) - 0) > 1e-4  # Chengdu: the datums really differ


def test_chinese_sheets(china_plan):
    html = (china_plan / "sheets" / "M1.html").read_text("utf-8")
    assert '<html lang="zh-CN">' in html and "M1 拜访线路单" in html
    for label in ("序号", "时间", "零售客户", "地址", "分钟", "拜访依据", "导航", "2027年1月4日 周一", "每周"):
        assert label in html, label
    assert "电话/微信联系（远程服务客户）" in html and "远程一号" in html
    wb = load_workbook(china_plan / "sheets" / "M1.xlsx", read_only=True)
    assert wb.sheetnames[:3] == ["总览", "2027-01-04 周一", "2027-01-05 周二"]


def test_amap_tiles_move_the_drawn_data_to_gcj02(china_plan, tmp_path):
    """report.tiles: amap -> every coordinate the pages draw is the WGS84 point moved to GCJ-02,
    i.e. (for GCJ-02 input) the coordinates the user gave."""
    a = pd.read_csv(china_plan / "assignments.csv", dtype={"retailer_id": str})
    d = page_data(china_plan / "sheets" / "M1.html")
    assert d["tiles"]["name"] == "amap" and d["tiles"]["crs"] == "gcj02" and "autonavi" in d["tiles"]["urls"][0]
    stops = [s for day in d["days"] for s in day["stops"]]
    gx, gy = wgs84_to_gcj02([s["lon_wgs84"] for s in stops], [s["lat_wgs84"] for s in stops])
    assert np.allclose([s["x"] for s in stops], gx, atol=1e-6) and np.allclose([s["y"] for s in stops], gy, atol=1e-6)
    given = a.set_index("retailer_id")
    assert np.allclose([s["x"] for s in stops], [given.loc[s["id"], "lon"] for s in stops], atol=1e-6)
    # the plan report's map data too (1e-5° integers)
    text = (china_plan / "report.html").read_text("utf-8")
    rep = json.loads(re.search(r'id="report-data">(.*?)</script>', text, re.S).group(1).replace("<\\/", "</"))
    ids = rep["retailers"]["id"]
    xs = dict(zip(ids, rep["retailers"]["x"], strict=True))
    ys = dict(zip(ids, rep["retailers"]["y"], strict=True))
    for rid, row in given.iterrows():
        assert abs(xs[rid] / 1e5 - row["lon"]) <= 1.01e-5 and abs(ys[rid] / 1e5 - row["lat"]) <= 1.01e-5
    assert "高德地图" in text  # the attribution is shown
    # --tiles osm: the same data in WGS84
    out = write_report_folder(china_plan, tmp_path / "osm", tiles=resolve_tiles("osm"))
    text = (out / "report.html").read_text("utf-8")
    rep = json.loads(re.search(r'id="report-data">(.*?)</script>', text, re.S).group(1).replace("<\\/", "</"))
    xs = dict(zip(rep["retailers"]["id"], rep["retailers"]["x"], strict=True))
    for rid, row in given.iterrows():
        assert abs(xs[rid] / 1e5 - row["lon_wgs84"]) <= 1.01e-5


def test_report_links_managers_to_their_sheets(tiny_plan, tmp_path):
    html = (tiny_plan / "report.html").read_text("utf-8")
    assert '<a class="sheet-link" href="sheets/M1.html"' in html and 'href="sheets/M2.html"' in html
    assert "sheet-link" not in (tiny_plan / "baseline" / "report.html").read_text("utf-8")
    out = write_report_folder(tiny_plan, tmp_path / "rep")
    href = re.search(r'class="sheet-link" href="([^"]+M1\.html)"', (out / "report.html").read_text("utf-8")).group(1)
    assert (out / href).resolve() == (tiny_plan / "sheets" / "M1.html").resolve()


def test_scenario_report_section(tmp_path):
    base = CHINA_SCENARIO.replace("report: {tiles: amap}\n", "")
    for report, msg in [("report: {tiles: tianditu}\n", "tianditu_key"),
                        ("report: {tile: amap}\n", "did you mean 'tiles'"),
                        ("report: {tiles: amapp}\n", "did you mean 'amap'"),
                        ("report: {nav: gaode}\n", "report.nav")]:
        s = write_scenario(tmp_path / str(abs(hash(report))), scenario=base + report, retailers=CHINA_RETAILERS)
        with pytest.raises(ScenarioError, match=re.escape(msg) if "did" in msg else msg):
            load_scenario(s)
    s = write_scenario(tmp_path / "ok", scenario=base + "report: {tiles: 'https://tiles.example/{z}/{x}/{y}.png', "
                       "tiles_crs: gcj02, tiles_attribution: mine}\n", retailers=CHINA_RETAILERS)
    sc = load_scenario(s).scenario
    assert sc.report.tiles_crs == "gcj02" and sc.nav_app == "amap"  # gcj02 inputs: AMap links by default
    with pytest.raises(PlannerError, match="tianditu"):
        resolve_tiles("tianditu")
    t = resolve_tiles("tianditu", key="K")
    assert len(t.urls) == 2 and "vec_w" in t.urls[0] and "cva_w" in t.urls[1] and t.urls[0].endswith("tk=K")
    assert resolve_tiles("none").urls == ()


def test_parse_days_and_file_names():
    assert parse_days("2027-01-04..2027-01-06") == {"2027-01-04", "2027-01-05", "2027-01-06"}
    assert parse_days("2027-01-04,2027-01-08") == {"2027-01-04", "2027-01-08"}
    with pytest.raises(PlannerError):
        parse_days("2027-01-08..2027-01-04")
    assert sheet_file("CM/01 x", "html") == "CM_01_x.html" and sheet_file("客户经理1", "xlsx") == "客户经理1.xlsx"


def test_cli_sheets_subset_language_and_errors(tiny_plan, tmp_path):
    out = tmp_path / "s"
    r = runner.invoke(app, ["sheets", str(tiny_plan), "--out", str(out), "--lang", "zh", "--nav", "geo",
                            "--managers", "M2", "--days", "2027-01-04..2027-01-08", "--tiles", "none"])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == ["M2.html", "M2.xlsx", "visits.jsonl", "visits_by_day.csv"]
    d = page_data(out / "M2.html")
    assert [x["date"] for x in d["days"]] == [f"2027-01-0{k}" for k in range(4, 9)] and d["tiles"]["urls"] == []
    assert all(s["nav"].startswith("geo:") for x in d["days"] for s in x["stops"])
    assert "2027年1月4日 周一" in (out / "M2.html").read_text("utf-8")
    for args, msg in [(["--nav", "gaode"], "unknown navigation app"), (["--managers", "X9"], "X9 not in this plan"),
                      (["--days", "2030-01-01"], "selects no working day"), (["--tiles", "amapp"], "did you mean"),
                      (["--lang", "fr"], "unknown report language")]:
        r = runner.invoke(app, ["sheets", str(tiny_plan), "--out", str(tmp_path / "bad"), *args])
        assert r.exit_code == 2 and msg in r.output, (args, r.output)
    r = runner.invoke(app, ["sheets", str(tiny_plan), "--out", str(out)])
    assert r.exit_code == 2 and "already exists" in r.output


def test_a_failure_to_make_sheets_never_loses_the_plan(tiny, tmp_path, monkeypatch):
    import planner.report.sheets as sheets

    def boom(*a, **k):
        raise RuntimeError("no sheets today")

    monkeypatch.setattr(sheets, "sheet_files", boom)
    monkeypatch.delenv("PLANNER_DEBUG", raising=False)
    warned = []

    class P(Progress):
        def warn(self, message: str) -> None:
            warned.append(message)

    res = run_scenario(load_scenario(tiny), out=tmp_path / "plan", progress=P(), with_baseline=False)
    assert res.validation.ok and (tmp_path / "plan" / "report.html").exists()
    assert not (tmp_path / "plan" / "sheets").exists()
    assert any("route sheets could not be made" in w and "no sheets today" in w for w in warned)
    assert "sheet-link" not in (tmp_path / "plan" / "report.html").read_text("utf-8")


def test_gcj02_conversion_is_real_in_china():
    x, y = wgs84_to_gcj02(104.06, 30.66)
    assert abs(float(x) - 104.06) > 1e-3 and unquote("%E5%BA%97") == "店"


def test_cli_tiles_on_report_and_compare(china_plan, tmp_path):
    def retailer_x(html: Path) -> tuple[dict[str, float], dict]:
        text = html.read_text("utf-8")
        d = json.loads(re.search(r'id="report-data">(.*?)</script>', text, re.S).group(1).replace("<\\/", "</"))
        return {i: x / 1e5 for i, x in zip(d["retailers"]["id"], d["retailers"]["x"], strict=True)}, d["tiles"]

    a = pd.read_csv(china_plan / "assignments.csv", dtype={"retailer_id": str}).set_index("retailer_id")
    r = runner.invoke(app, ["report", str(china_plan), "--out", str(tmp_path / "r"), "--tiles", "none"])
    assert r.exit_code == 0, r.output
    xs, tiles = retailer_x(tmp_path / "r" / "report.html")
    assert tiles["urls"] == [] and all(abs(xs[i] - a.loc[i, "lon_wgs84"]) <= 1.01e-5 for i in a.index)
    r = runner.invoke(app, ["compare", str(china_plan / "baseline"), str(china_plan), "--out", str(tmp_path / "c"),
                            "--tiles", "https://t.example/{z}/{x}/{y}.png", "--tiles-crs", "gcj02"])
    assert r.exit_code == 0, r.output
    xs, tiles = retailer_x(tmp_path / "c" / "compare.html")
    assert tiles["crs"] == "gcj02" and all(abs(xs[i] - a.loc[i, "lon"]) <= 1.01e-5 for i in a.index)
    r = runner.invoke(app, ["report", str(china_plan), "--out", str(tmp_path / "t"), "--tiles", "tianditu",
                            "--tianditu-key", "KEY1"])
    assert r.exit_code == 0 and "tk=KEY1" in (tmp_path / "t" / "report.html").read_text("utf-8")
    r = runner.invoke(app, ["report", str(china_plan), "--out", str(tmp_path / "x"), "--tiles-crs", "gcj02"])
    assert r.exit_code == 2 and "go with --tiles" in r.output

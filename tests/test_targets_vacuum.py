"""``targets.csv`` and ``kpis.json`` -> ``service_vacuum``: known answers on hand-made cases, the
independent validator's recomputation (and what it catches), and the report's layer and table."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import BASE_SCENARIO, MANAGERS, write_scenario

from planner.config.scenario import load_scenario
from planner.plan.targets import TARGET_COLUMNS
from planner.plan.vacuum import service_vacuum
from planner.validate import validate_folder
from planner.workflows.run import run_scenario

# R3 lies next to M1's base but its current manager is M2 (about 6x as far): a service vacuum
# with ratio 1.5 and 1 minute. Market area MA1 has retailers in districts D1 and D2.
RETAILERS = """\
retailer_id,lon,lat,class,current_manager,district,market
R1,24.9400,60.1700,A,M1,D1,MA1
R2,24.9410,60.1705,B,M1,D1,MA1
R3,24.9420,60.1710,C,M2,D2,MA1
R4,24.9500,60.1650,A,M2,D2,MA2
R5,24.9510,60.1655,B,M2,D2,MA2
R6,24.9520,60.1660,C,M2,D2,MA2
"""
SCENARIO = BASE_SCENARIO + "territories: {service_vacuum: {ratio: 1.5, minutes: 1}}\n"


def test_service_vacuum_from_arrays():
    ids = ["M1", "M2"]
    t = np.array([[100, 900, 100, 50, 200, 800],
                  [700, 100, 120, 2000, 400, 1000]], dtype=float)
    sv = service_vacuum(retailer_ids=np.array(["a", "b", "c", "d", "e", "f"]), district=np.array(["X", "X", "Y", "Y", "Y", ""]),
                        market=np.array(["m", "m", "m", "n", "", "n"]), admin=np.array(["M2", "M2", "M1", "M1", "M2", "M2"]),
                        plan_owner=np.array(["M1", "M2", "M1", "M1", "M2", "VACANT-01"]), manager_ids=ids, base_s=t,
                        ratio=1.5, minutes=5)
    # a: 700 > 1.5 x 100 and 600 s > 300 s: a vacuum, served from M1 in the plan; e: 400 - 200 < 300 s;
    # f: 1000 < 1.5 x 800
    assert [v["retailer_id"] for v in sv["vacuum"]] == ["a"]
    assert sv["vacuum"][0] == {"retailer_id": "a", "district": "X", "market": "m", "admin_manager_id": "M2",
                               "admin_s": 700, "nearest_manager_id": "M1", "nearest_s": 100,
                               "plan_manager_id": "M1", "plan_s": 100, "resolved": True}
    assert (sv["retailers"], sv["resolved_by_plan"], sv["share"]) == (1, 1, pytest.approx(1 / 6))
    assert sv["markets"] == [{"market": "m", "retailers": 3, "districts": {"X": 2, "Y": 1}}]
    assert sv["by_district"] == [{"district": "", "retailers": 1, "vacuum_retailers": 0, "split_markets": 0},
                                 {"district": "X", "retailers": 2, "vacuum_retailers": 1, "split_markets": 1},
                                 {"district": "Y", "retailers": 3, "vacuum_retailers": 0, "split_markets": 1}]
    assert sv["district_source"] == "district" and sv["split_markets"] == 1


@pytest.fixture(scope="module")
def vacuum_plan(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("vacuum")
    s = write_scenario(base / "in", scenario=SCENARIO, retailers=RETAILERS)
    res = run_scenario(load_scenario(s), out=base / "plan")
    assert res.validation.ok, res.validation.summary()
    return base / "plan"


def test_plan_has_the_vacuum_and_targets(vacuum_plan):
    kpis = json.loads((vacuum_plan / "kpis.json").read_text(encoding="utf-8"))
    sv = kpis["service_vacuum"]
    assert (sv["ratio"], sv["minutes"], sv["retailers"], sv["split_markets"]) == (1.5, 1.0, 1, 1)
    v = sv["vacuum"][0]
    assert (v["retailer_id"], v["admin_manager_id"], v["nearest_manager_id"]) == ("R3", "M2", "M1")
    assert v["admin_s"] > 1.5 * v["nearest_s"] and v["admin_s"] - v["nearest_s"] > 60
    assert v["resolved"] == (v["plan_manager_id"] == "M1") and sv["resolved_by_plan"] == int(v["resolved"])
    assert sv["markets"] == [{"market": "MA1", "retailers": 3, "districts": {"D1": 2, "D2": 1}}]
    assert [(d["district"], d["retailers"], d["vacuum_retailers"], d["split_markets"]) for d in sv["by_district"]] == \
        [("D1", 2, 0, 1), ("D2", 4, 1, 1)]
    base = json.loads((vacuum_plan / "baseline" / "kpis.json").read_text(encoding="utf-8"))["service_vacuum"]
    assert base["retailers"] == 1 and base["resolved_by_plan"] == 0  # the baseline is the administrative map
    # targets.csv: one row per manager, the same figures as kpis.json
    for folder in (vacuum_plan, vacuum_plan / "baseline"):
        t = pd.read_csv(folder / "targets.csv", dtype={"manager_id": str})
        assert list(t.columns) == TARGET_COLUMNS and list(t["manager_id"]) == ["M1", "M2"]
        rows = {m["manager_id"]: m for m in json.loads((folder / "kpis.json").read_text(encoding="utf-8"))["managers"]}
        for r in t.itertuples(index=False):
            k = rows[r.manager_id]
            assert (r.retailers, r.key_customers, r.visits, r.days_worked) == (
                k["retailers"], k["key_customers"], k["visits"], k["days_worked"])
            assert r.planned_hours == pytest.approx(k["workload_hours"]) and r.travel_hours == pytest.approx(k["travel_hours"])
            assert r.designed_workload_hours == pytest.approx(k["designed_workload_hours"])
            assert r.role == "manager" and r.contacts == 0 and r.specialist_visits == 0
        assert t["key_visits_required"].sum() == 8  # R1 and R4 (class A): 4 visits each in 4 weeks
        assert t["workload_index"].mean() == pytest.approx(1.0) and t["planned_hours_index"].mean() == pytest.approx(1.0)


def copy_plan(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    for p in dst.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    return dst


def test_validator_recomputes_targets_and_vacuum(vacuum_plan, tmp_path):
    plan = copy_plan(vacuum_plan, tmp_path / "p1")
    t = pd.read_csv(plan / "targets.csv", dtype=str, keep_default_na=False)
    t.loc[0, "travel_hours"] = str(float(t.loc[0, "travel_hours"]) + 0.5)
    t.loc[1, "key_visits_required"] = "3"
    t.to_csv(plan / "targets.csv", index=False)
    rep = validate_folder(plan)
    errs = [e for e in rep.errors if e.check == "targets"]
    assert [(e.row, e.manager_id, e.message.split(" =")[0]) for e in errs] == [(2, "M1", "travel_hours"),
                                                                                (3, "M2", "key_visits_required")]
    plan = copy_plan(vacuum_plan, tmp_path / "p2")
    k = json.loads((plan / "kpis.json").read_text(encoding="utf-8"))
    k["service_vacuum"]["vacuum"][0]["admin_s"] += 60
    k["service_vacuum"]["split_markets"] = 0
    (plan / "kpis.json").write_text(json.dumps(k), encoding="utf-8")
    rep = validate_folder(plan)
    msgs = [e.message for e in rep.errors if e.check == "service_vacuum"]
    assert any(m.startswith("service_vacuum.vacuum[0]") for m in msgs) and any("split_markets = 0" in m for m in msgs)
    plan = copy_plan(vacuum_plan, tmp_path / "p3")
    (plan / "targets.csv").unlink()
    rep = validate_folder(plan)
    assert rep.ok and any(w.check == "targets" for w in rep.warnings)  # a plan made before targets.csv


def test_administrative_rule_by_districts_and_bases(tmp_path):
    """Without current managers the validator's administrative rule (strips along each district's
    axis, else the nearest base) gives the baseline's assignment."""
    from planner.design.context import prepare
    from planner.design.territories import administrative_territories
    from planner.validate.inputs import load_inputs
    from planner.validate.planfiles import read_plan_folder
    from planner.validate.targets import administrative_owner

    rng = np.random.default_rng(5)
    rows = ["retailer_id,lon,lat,class,district,market"]
    for k in range(40):
        d = "D1" if k < 25 else ("D2" if k < 35 else "")
        rows.append(f"R{k},{24.93 + rng.random() * 0.03:.5f},{60.16 + rng.random() * 0.015:.5f},{'ABC'[k % 3]},{d},"
                    f"MA{k % 4}")
    managers = MANAGERS.replace("manager_id,lon,lat,team", "manager_id,lon,lat,team,districts").replace(
        "T1\nM2", "T1,D1\nM2").rstrip("\n") + ",D1\nM3,24.9600,60.1700,T1,\n"
    s = write_scenario(tmp_path / "in", scenario=SCENARIO, retailers="\n".join(rows) + "\n", managers=managers)
    loaded = load_scenario(s)
    res = run_scenario(loaded, out=tmp_path / "plan", with_baseline=False)
    assert res.validation.ok, res.validation.summary()
    ctx = prepare(loaded)
    admin = administrative_territories(ctx)
    assert admin.details["assigned_by"] == {"current_manager": 0, "district": 25, "nearest_base": 15}
    want = [admin.slots[k].manager_id for k in admin.owner]
    from planner.validate.findings import ValidationReport

    inp = load_inputs(read_plan_folder(tmp_path / "plan"), ValidationReport("x"))
    assert list(administrative_owner(inp)) == want


CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
def test_pages_render_in_a_browser(vacuum_plan, tmp_path):
    from planner.workflows.assess import run_assessment

    log = tmp_path / "log.csv"
    log.write_text("manager_id,date,retailer_id,kind,start,end\nM1,2027-01-04,R1,visit,08:30,08:50\n"
                   "M1,2027-01-04,R2,visit,09:00,09:10\nM2,2027-01-05,R4,visit,,\nM2,2027-03-01,R4,visit,,\n",
                   encoding="utf-8")
    out = run_assessment(vacuum_plan, log, tmp_path / "a", lang="zh").folder
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
             "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>", "--virtual-time-budget=5000"]
    for page, want in ((out / "assessment.html", {"data-charts": "3"}),
                       (vacuum_plan / "report.html", {"data-vacuum": "1", "data-split": "3"})):
        url = page.resolve().as_uri() + ("#vacuum" if page.name == "report.html" else "")
        r = subprocess.run([CHROMIUM, *flags, f"--user-data-dir={tmp_path / page.stem}", "--dump-dom", url],
                           capture_output=True, text=True, timeout=180)
        m = re.search(r'<div id="render-status"([^>]*)>', r.stdout)
        assert m, r.stderr[-2000:]
        status = dict(re.findall(r'(data-[\w-]+)="([^"]*)"', m.group(1)))
        assert status["data-ok"] == "1" and status["data-errors"] == "", status
        assert {k: status.get(k) for k in want} == want


def test_report_shows_the_vacuum(vacuum_plan):
    html = (vacuum_plan / "report.html").read_text(encoding="utf-8")
    assert 'id="service-vacuum"' in html and "1 retailers (16.7 %)" in html
    data = json.loads(re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S).group(1))
    ids = data["retailers"]["id"]
    assert [ids[v["i"]] for v in data["vacuum"]["vacuum"]] == ["R3"]
    assert sorted(ids[i] for i in data["vacuum"]["splits"][0]["i"]) == ["R1", "R2", "R3"]
    assert "service_vacuum" not in {f.check for f in validate_folder(vacuum_plan).warnings}

"""The route sheets of the default scenario (slow: runs the Helsinki plan): for every manager the
sheets hold exactly the rows of ``visits.csv``, in order (re-read from the workbook and from the
page's embedded data), and every navigation link opens the input point converted to the app's
datum, to 1e-6°. Set ``PLANNER_DEFAULT_PLAN=DIR`` to check an existing plan folder instead."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest
from test_sheets import _nav_coords, expected_rows, page_data, workbook_rows

from planner.config.scenario import load_scenario
from planner.inputs.coords import to_wgs84, wgs84_to_bd09, wgs84_to_gcj02
from planner.report.sheets import write_sheets_folder
from planner.workflows.run import run_scenario

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def default_plan(tmp_path_factory) -> Path:
    given = os.environ.get("PLANNER_DEFAULT_PLAN")
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("default") / "plan"
    assert run_scenario(load_scenario(ROOT / "scenarios" / "default.yaml"), out=out).validation.ok
    return out


def test_default_sheets_hold_visits_in_order(default_plan):
    managers = pd.read_csv(default_plan / "managers.csv", dtype=str)["manager_id"].tolist()
    assert len(managers) == 6
    for m in managers:
        want = expected_rows(default_plan, m)
        assert want, m
        assert workbook_rows(default_plan / "sheets" / f"{m}.xlsx") == want
        data = page_data(default_plan / "sheets" / f"{m}.html")
        assert [(d["date"], s["seq"], s["id"]) for d in data["days"] for s in d["stops"]] == want


@pytest.mark.parametrize("app", ["amap", "baidu", "osm", "geo"])
def test_default_links_open_the_input_point(default_plan, tmp_path, app):
    a = pd.read_csv(default_plan / "assignments.csv", dtype={"retailer_id": str}).set_index("retailer_id")
    crs = "wgs84"  # scenarios/default.yaml: inputs.crs
    lon, lat = to_wgs84(a["lon"].to_numpy(float), a["lat"].to_numpy(float), crs)
    conv = {"amap": wgs84_to_gcj02, "baidu": wgs84_to_bd09}.get(app, lambda x, y: (x, y))(lon, lat)
    want = dict(zip(a.index, zip(*conv, strict=True), strict=True))
    out = write_sheets_folder(default_plan, tmp_path / app, nav=app)
    n = 0
    for html in sorted(out.glob("*.html")):
        for rid, url in re.findall(r'<tr data-retailer="([^"]+)".*?<a class="nav" href="([^"]+)"',
                                   html.read_text("utf-8"), re.S):
            x, y = _nav_coords(url.replace("&amp;", "&"), app)
            assert abs(x - want[rid][0]) <= 1e-6 and abs(y - want[rid][1]) <= 1e-6, (rid, url)
            n += 1
    assert n == len(pd.read_csv(default_plan / "visits.csv"))

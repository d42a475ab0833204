"""report.html and compare.html in a real browser: Debian's Chromium, headless, network blocked.

Nothing is installed at run time: the test uses ``/usr/bin/chromium`` when present (CI installs
it, see ``.ci/run``) and is skipped otherwise. The page's own script writes
``<div id="render-status" data-ok=... data-errors=...>`` after building the map and checking every
chart, and traps script errors; Chromium's ``--dump-dom`` returns the page after its scripts ran.
A PNG screenshot of each page is saved (paths printed; set ``PLANNER_SCREENSHOTS=DIR`` to keep
copies).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from planner.config.scenario import load_scenario
from planner.report.compare import write_comparison
from planner.workflows.run import run_scenario

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser"))
                 if p and Path(p).exists()), None)
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")]

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-extensions", "--no-first-run",
         "--no-default-browser-check", "--mute-audio", "--hide-scrollbars",
         "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",  # no network
         "--virtual-time-budget=5000", "--enable-logging=stderr", "--v=0"]


def chromium(page: Path, profile: Path, *extra: str) -> tuple[subprocess.CompletedProcess, float]:
    t0 = time.perf_counter()
    res = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
                         capture_output=True, text=True, timeout=180)
    return res, time.perf_counter() - t0


def render(page: Path, tmp_path: Path, *, height: int = 3200) -> tuple[dict[str, str], Path, float]:
    """Status attributes of the rendered page, its screenshot, and the render time (s)."""
    res, secs = chromium(page, tmp_path / "profile-dom", "--dump-dom")
    m = re.search(r'<div id="render-status"([^>]*)>', res.stdout)
    assert m, f"no render status in the DOM (exit {res.returncode}): {res.stderr[-2000:]}"
    status = dict(re.findall(r'(data-[\w-]+)="([^"]*)"', m.group(1)))
    console = [ln for ln in res.stderr.splitlines() if "CONSOLE" in ln and re.search(r"Uncaught|Error", ln)]
    assert not console, console
    png = tmp_path / (page.stem + ".png")
    shot, _ = chromium(page, tmp_path / "profile-png", f"--screenshot={png}", f"--window-size=1400,{height}")
    assert png.exists(), shot.stderr[-2000:]
    keep = os.environ.get("PLANNER_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(keep) / f"{page.parent.name}-{png.name}")
    print(f"\n{page.name}: rendered in {secs:.1f} s, screenshot {png}")
    return status, png, secs


def colours_in(png: Path, box: tuple[int, int, int, int]) -> int:
    from PIL import Image

    with Image.open(png) as im:
        return len(im.convert("RGB").crop(box).getcolors(maxcolors=1 << 24) or [])


@pytest.fixture(scope="module")
def pages(tmp_path_factory, small_region) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("browser")
    plan = base / "plan"
    assert run_scenario(load_scenario(small_region), out=plan).validation.ok
    zh = base / "plan_zh"
    run_scenario(load_scenario(small_region), out=zh, lang="zh", with_baseline=False)
    cmp = write_comparison([plan / "baseline", plan], base / "compare")
    return {"plan": plan, "report": plan / "report.html", "report_zh": zh / "report.html",
            "compare": cmp / "compare.html"}


def _expected_plan(plan: Path) -> dict:
    terr = json.loads((plan / "territories.geojson").read_text(encoding="utf-8"))["features"]
    routes = json.loads((plan / "routes.geojson").read_text(encoding="utf-8"))["features"]
    first_day = min(f["properties"]["day_index"] for f in routes)
    return {"territories": len(terr), "routes": sum(f["properties"]["day_index"] == first_day for f in routes)}


def test_plan_report_renders_map_and_charts(pages, tmp_path):
    status, png, secs = render(pages["report"], tmp_path)
    assert status["data-errors"] == "" and status["data-ok"] == "1", status
    exp = _expected_plan(pages["plan"])
    assert status["data-map"] == "1"
    assert int(status["data-territories"]) == exp["territories"]
    assert int(status["data-routes"]) == exp["routes"] > 0  # the first day's routes are shown
    assert int(status["data-retailers"]) == 120 and int(status["data-bases"]) == 4
    assert status["data-charts"] == status["data-charts-expected"] == "3"
    assert status["data-chart-names"] == "workload,travel_share,frequency"
    assert colours_in(png, (40, 380, 800, 900)) > 40  # the map area is drawn, not blank
    assert secs < 60


POPUP_PROBE = """<script>
setTimeout(function () {
  var map = window.fieldplanReport.map, got = {};
  map.eachLayer(function (l) {
    var kind = l instanceof L.Polygon ? "territory" : l instanceof L.Polyline ? "route"
      : l instanceof L.CircleMarker ? "retailer" : l instanceof L.Marker ? "base" : null;
    if (!kind || got[kind] || !l.getPopup || !l.getPopup()) return;
    l.openPopup();
    var c = l.getPopup().getElement().querySelector(".leaflet-popup-content");
    got[kind] = c ? c.textContent : "";
    map.closePopup();
  });
  var d = document.createElement("pre"); d.id = "popup-probe"; d.textContent = JSON.stringify(got);
  document.body.appendChild(d);
}, 300);
</script>"""


def test_popups_show_retailer_route_and_territory_details(pages, tmp_path):
    page = tmp_path / "probe" / "report.html"
    page.parent.mkdir()
    page.write_text(pages["report"].read_text(encoding="utf-8").replace("</body>", POPUP_PROBE + "</body>"),
                    encoding="utf-8")
    res, _ = chromium(page, tmp_path / "profile", "--dump-dom")
    m = re.search(r'<pre id="popup-probe">(.*?)</pre>', res.stdout, re.S)
    assert m, res.stderr[-2000:]
    got = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert set(got) == {"territory", "route", "retailer", "base"}, got
    assert re.search(r"Class: [ABC].*Manager: M00\d.*Visits planned: \d+ of \d+ required", got["retailer"]), got
    assert re.search(r"M00\d · \w{3} \d+ \w{3}\d+ visits · travel \d+ min", got["route"]), got
    assert "Retailers:" in got["territory"] and "Workload h:" in got["territory"]
    assert "Travel share:" in got["base"]


def test_chinese_report_renders(pages, tmp_path):
    status, _png, _ = render(pages["report_zh"], tmp_path)
    assert status["data-errors"] == "" and status["data-ok"] == "1", status
    assert status["data-map"] == "1" and int(status["data-retailers"]) == 120


def test_compare_renders_map_and_charts(pages, tmp_path):
    status, png, _ = render(pages["compare"], tmp_path, height=2600)
    assert status["data-errors"] == "" and status["data-ok"] == "1", status
    html = pages["compare"].read_text(encoding="utf-8")
    moved = int(re.search(r'<div class="card" data-moves="(\d+)">', html).group(1))
    assert int(status["data-moved"]) == moved
    assert int(status["data-retailers"]) == 120 and int(status["data-territories"]) >= 2
    assert status["data-charts"] == status["data-charts-expected"] == "3"
    assert colours_in(png, (40, 500, 680, 1000)) > 40

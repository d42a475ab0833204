"""Route sheets in a real browser (Debian's Chromium, headless, network blocked; skipped when it is
missing, like ``test_browser.py``): the day maps render without script errors; printing to PDF
starts every working day on a new A4 page; at 390 px wide (a phone, in a 390 px frame) nothing
scrolls sideways; the Chinese sheet is drawn with a CJK font (Debian's ``fonts-noto-cjk``, which
``.ci/run`` installs), not boxes; with AMap tiles every stop is drawn at its GCJ-02 position.

Screenshots and PDFs are kept in the test's temporary folder (paths printed); set
``PLANNER_SCREENSHOTS=DIR`` to keep copies.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from test_browser import CHROMIUM, chromium

from planner.config.scenario import load_scenario
from planner.report.sheets import write_sheets_folder
from planner.workflows.run import run_scenario

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")]


def keep(path: Path) -> None:
    print(f"\n{path.name}: {path}")
    where = os.environ.get("PLANNER_SCREENSHOTS")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(where) / path.name)


def status_of(dom: str, tag: str = "render-status") -> dict[str, str]:
    m = re.search(rf'<div id="{tag}"([^>]*)>', dom)
    assert m, dom[-2000:]
    return dict(re.findall(r'(data-[\w-]+)="([^"]*)"', m.group(1)))


def pdf_pages(pdf: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", pdf.read_bytes()))


def pdf_fonts(pdf: Path) -> set[str]:
    return {f.decode("latin-1").split("+")[-1] for f in re.findall(rb"/FontName\s*/([^\s/]+)", pdf.read_bytes())}


@pytest.fixture(scope="module")
def sheets(tmp_path_factory, small_region) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("browser_sheets")
    plan = base / "plan"
    assert run_scenario(load_scenario(small_region), out=plan, with_baseline=False).validation.ok
    zh = write_sheets_folder(plan, base / "zh", lang="zh", nav="amap")
    first = sorted((plan / "sheets").glob("*.html"))[0]
    return {"plan": plan, "en": first, "zh": zh / first.name}


def working_days_with_stops(page: Path) -> tuple[int, int]:
    text = page.read_text(encoding="utf-8")
    data = json.loads(re.search(r'id="sheet-data">(.*?)</script>', text, re.S).group(1).replace("<\\/", "</"))
    return len(data["days"]), sum(1 for d in data["days"] if d["stops"])


def test_sheet_renders_its_day_maps(sheets, tmp_path):
    res, _ = chromium(sheets["en"], tmp_path / "profile", "--dump-dom")
    st = status_of(res.stdout)
    days, with_stops = working_days_with_stops(sheets["en"])
    assert st["data-errors"] == "" and st["data-ok"] == "1", st
    assert int(st["data-maps"]) == with_stops > 0 and int(st["data-stops"]) > 0


def test_sheet_prints_one_day_per_a4_page(sheets, tmp_path):
    for lang in ("en", "zh"):
        pdf = tmp_path / f"sheet-{lang}.pdf"
        res, _ = chromium(sheets[lang], tmp_path / f"profile-{lang}", "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
        assert pdf.exists(), res.stderr[-2000:]
        keep(pdf)
        days, _ = working_days_with_stops(sheets[lang])
        assert days == 20
        assert pdf_pages(pdf) >= days  # every working day starts a new page
        box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)", pdf.read_bytes())
        assert box and abs(float(box.group(1)) - 595) < 2 and abs(float(box.group(2)) - 842) < 2  # A4 portrait


HARNESS = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="phone" src="{src}" style="width:390px;height:5200px;border:0;display:block"></iframe>
<div id="frame-status"></div>
<script>window.addEventListener("message", function (e) {{
  var s = document.getElementById("frame-status"), a = e.data && e.data.fieldplanSheet;
  if (!a) return;
  for (var k in a) if (k.indexOf("data-") === 0) s.setAttribute(k, a[k]);
}});</script></body></html>"""


def test_sheet_fits_a_390px_phone_screen(sheets, tmp_path):
    """Headless Chromium's window is at least 500 px wide, so the sheet is shown in a 390 px frame."""
    harness = tmp_path / "phone.html"
    harness.write_text(HARNESS.format(src=sheets["en"].resolve().as_uri()), encoding="utf-8")
    res, _ = chromium(harness, tmp_path / "profile", "--dump-dom", "--allow-file-access-from-files")
    st = status_of(res.stdout, "frame-status")
    assert st["data-ok"] == "1" and st["data-errors"] == "", st
    assert st["data-client-width"] == "390", st
    assert int(st["data-scroll-width"]) <= 390, st  # no horizontal scrolling
    png = tmp_path / "sheet-390px.png"
    chromium(harness, tmp_path / "profile-png", f"--screenshot={png}", "--window-size=500,2600",
             "--allow-file-access-from-files")
    assert png.exists()
    keep(png)


def test_chinese_sheet_and_report_are_drawn_with_a_cjk_font(sheets, china_plan, tmp_path):
    have = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout.strip()
    if not have:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk; .ci/run does)")
    for name, page in (("zh-sheet", sheets["zh"]), ("zh-report", china_plan / "report.html")):
        pdf = tmp_path / f"{name}.pdf"
        chromium(page, tmp_path / f"profile-{name}", "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
        fonts = pdf_fonts(pdf)
        assert any(re.search(r"CJK|SourceHan|WenQuanYi|DroidSansFallback", f) for f in fonts), (name, fonts)
        keep(pdf)
    harness = tmp_path / "phone-zh.html"
    harness.write_text(HARNESS.format(src=sheets["zh"].resolve().as_uri()), encoding="utf-8")
    png = tmp_path / "sheet-zh-390px.png"
    chromium(harness, tmp_path / "profile-png", f"--screenshot={png}", "--window-size=500,1800",
             "--allow-file-access-from-files")
    keep(png)


PROBE = """<script>
setTimeout(function () {
  var got = [];
  window.fieldplanSheet.maps.forEach(function (map) {
    map.eachLayer(function (l) {
      if (l instanceof L.Marker && l.options.title) {
        var p = l.getLatLng();
        got.push([l.options.title.split(" ")[0], p.lng, p.lat]);
      }
    });
  });
  var d = document.createElement("pre"); d.id = "probe"; d.textContent = JSON.stringify(got);
  document.body.appendChild(d);
}, 300);
</script>"""


def test_amap_tiles_draw_the_stops_at_their_gcj02_position(china_plan, tmp_path):
    """The Chengdu plan's inputs are GCJ-02 (what AMap shows); with report.tiles: amap the page
    draws every stop where the input put it, not at its WGS84 position ~500 m away."""
    page = tmp_path / "probe.html"
    src = china_plan / "sheets" / "M1.html"
    page.write_text(src.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    res, _ = chromium(page, tmp_path / "profile", "--dump-dom")
    m = re.search(r'<pre id="probe">(.*?)</pre>', res.stdout, re.S)
    assert m, res.stderr[-2000:]
    drawn = json.loads(m.group(1))
    data = json.loads(re.search(r'id="sheet-data">(.*?)</script>', src.read_text("utf-8"), re.S).group(1))
    stops = [s for d in data["days"] for s in d["stops"]]
    assert len(drawn) == len(stops) > 0
    a = pd.read_csv(china_plan / "assignments.csv", dtype={"retailer_id": str}).set_index("retailer_id")
    for (seq, lng, lat), s in zip(drawn, stops, strict=True):
        assert int(seq) == s["seq"]
        assert abs(lng - a.loc[s["id"], "lon"]) <= 1e-6 and abs(lat - a.loc[s["id"], "lat"]) <= 1e-6
        assert abs(lng - a.loc[s["id"], "lon_wgs84"]) > 1e-3  # not the WGS84 point

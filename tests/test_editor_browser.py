"""The plan editor end to end in a real headless Chromium (Debian's ``chromium``, driven by
Playwright through ``executable_path``): open the default plan, lasso retailers, move them, see
the figures change (the browser's estimate first, then the server's), undo, redo, save; the saved
folder passes ``planner verify``. No request may leave the machine: every request that is not to
the editor on 127.0.0.1 is blocked and fails the test, and host names do not resolve.

Skipped when Chromium or the playwright package is missing (``.ci/run`` installs Chromium). A
screenshot is saved (set ``PLANNER_SCREENSHOTS=DIR`` to keep a copy).
"""

from __future__ import annotations

import math
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser"))
                 if p and Path(p).exists()), None)
playwright = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")]


def default_plan(base: Path) -> Path:
    """The default scenario (Helsinki) with the greedy calendar and an iteration limit."""
    from planner.config.scenario import load_scenario
    from planner.workflows.run import run_scenario

    text = (ROOT / "scenarios" / "default.yaml").read_text(encoding="utf-8")
    text = text.replace("../data/", str(ROOT / "data") + "/").replace("method: solver", "method: greedy")
    text = text.replace("territory_time_limit_s: 30", "territory_time_limit_s: 30\n  max_iterations: 300")
    text = text.replace("folder: ../plans", f"folder: {base / 'store'}")
    s = base / "default.yaml"
    s.write_text(text, encoding="utf-8")
    res = run_scenario(load_scenario(s), out=base / "plan")
    assert res.validation.ok
    return base / "plan"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    from planner.editor.app import create_app
    from planner.editor.session import Session
    from planner.editor.source import open_plan

    base = tmp_path_factory.mktemp("editor-e2e")
    plan = default_plan(base)
    session = Session(open_plan(plan))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(session), host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    for _ in range(500):
        if srv.started:
            break
        time.sleep(0.02)
    yield {"url": f"http://127.0.0.1:{port}/", "plan": plan, "session": session}
    srv.should_exit = True
    th.join(timeout=10)


def figures_text(page) -> dict[str, list[str]]:
    """Each manager row's cells, without the changes the last edit made (the Change column and the
    change shown beside the retailers)."""
    return page.evaluate("""() => Object.fromEntries(Array.from(document.querySelectorAll('#managers tr[data-manager]'))
        .map(r => { const c = r.cloneNode(true); c.querySelectorAll('.chg-pos,.chg-neg').forEach(x => x.remove());
                    return [r.dataset.manager, Array.from(c.cells).map(td => td.innerText.trim())]; }))""")


def test_lasso_move_undo_redo_save(server, tmp_path):
    from planner.validate import validate_folder

    attempts: list[str] = []
    url = server["url"]
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"])
        context = browser.new_context(viewport={"width": 1500, "height": 950})
        hold = {"ms": 0}

        def route(r):
            u = r.request.url
            if not u.startswith(url):
                attempts.append(u)
                return r.abort()
            if hold["ms"] and "/api/edits" in u:
                time.sleep(hold["ms"] / 1000)  # the server's answer arrives late: the estimate shows first
            return r.continue_()

        context.route("**/*", route)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.wait_for_selector("#status[data-ready='1']", state="attached", timeout=60000)
        start = figures_text(page)
        assert len(start) == 6

        # lasso around the middle of the map
        page.click("button[data-mode=lasso]")
        box = page.locator("#map").bounding_box()
        cx, cy = box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.5
        page.mouse.move(cx + 70, cy)
        page.mouse.down()
        for k in range(1, 37):
            a = 2 * math.pi * k / 36
            page.mouse.move(cx + 70 * math.cos(a), cy + 55 * math.sin(a))
        page.mouse.up()
        page.wait_for_function("Number(document.getElementById('status').dataset.selected) > 0")
        chosen = page.evaluate("editor.selectedIds()")
        owners = page.evaluate("ids => ids.map(editor.ownerOf)", chosen)
        main = max(set(owners), key=owners.count)
        target = next(m for m in page.evaluate("editor.managerIds()") if m != main)
        page.select_option("#target", target)

        hold["ms"] = 700
        page.click("#move")
        page.wait_for_function("document.getElementById('status').dataset.estimates === '1'")
        assert page.locator("#managers.estimate").count() == 1  # the browser's estimate, before the server answers
        estimated = figures_text(page)
        assert estimated != start
        page.wait_for_function("document.getElementById('status').dataset.edits === '1' && "
                               "document.getElementById('status').dataset.pending === '0'")
        hold["ms"] = 0
        moved = figures_text(page)
        assert page.locator("#managers.estimate").count() == 0
        assert moved != start and page.locator("#managers tr.touched").count() >= 2
        assert page.evaluate("ids => ids.map(editor.ownerOf)", chosen).count(target) > owners.count(target)
        shot = tmp_path / "editor.png"
        page.screenshot(path=str(shot))

        page.click("#undo")
        page.wait_for_function("document.getElementById('status').dataset.edits === '0' && "
                               "document.getElementById('status').dataset.pending === '0'")
        assert figures_text(page) == start
        page.click("#redo")
        page.wait_for_function("document.getElementById('status').dataset.edits === '1' && "
                               "document.getElementById('status').dataset.pending === '0'")
        assert figures_text(page) == moved

        page.click("#save")
        page.wait_for_function("document.getElementById('status').dataset.saved", timeout=240000)
        saved = Path(page.get_attribute("#status", "data-saved"))
        assert "valid" in page.inner_text("#message") and "NOT" not in page.inner_text("#message")
        est_ms = page.get_attribute("#status", "data-estimate-ms")
        browser.close()
    keep = os.environ.get("PLANNER_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / "editor.png")
    print(f"\neditor screenshot {shot}; the browser's estimate took {est_ms} ms")
    assert not errors, errors
    assert not attempts, f"requests that would leave the machine: {attempts}"
    assert saved.is_dir() and saved.parent == server["session"].src.store
    assert validate_folder(saved).ok

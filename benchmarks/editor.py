"""Plan editor benchmark: edit round-trip latency, re-optimisation and save times.

Usage::

    python -m benchmarks.editor [--work DIR] [--edits 200] [--retailers 30000] [--managers 120]
                                [--optimise-s 30] [--skip-default] [--skip-large] [--save-large]
                                [--browser]

Two plans are made once (kept in ``WORK``, default ``/tmp/fieldplan-editor-bench``, and reused):
the **default** scenario (Helsinki, 948 retailers, 6 managers) and a **generated city** of
``--retailers`` retailers and ``--managers`` managers (``planner generate --kind city``), both
run with the greedy calendar (``schedule.method: greedy``, ``solver.schedule_time_limit_s: 1``)
because only their territories matter here.

Each plan is opened (``open_plan`` + ``Session``: inputs, travel model, base travel rows,
figures) and served by uvicorn on 127.0.0.1; an HTTP client on the same machine then sends
``--edits`` edits the way a planner makes them: a connected group of 1-20 retailers on a
territory boundary moved to the neighbouring territory, with an undo after every fifth edit and a
redo after every seventh. The **round trip** is the time from sending the request to having
parsed the JSON answer (figures of every manager, warnings, edit status): what the page waits
for before it replaces its own estimate. Then one re-optimisation around the edits
(``POST /api/optimise``, budget 10 %, time limit ``--optimise-s``) is timed until its result is
applied, and (default plan, or ``--save-large``) one save (calendars of the changed territories,
validation from disk, reports).

With ``--browser`` the page is also loaded in headless Chromium (Playwright, Debian's
``/usr/bin/chromium``): time to the first drawn map and, over 20 moves made through the page,
the time the page takes to show its own estimate of the figures (the target is 100 ms).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import threading
import time
from pathlib import Path

import numpy as np

from benchmarks._common import REPO_ROOT, print_table, write_json


def make_default(work: Path) -> Path:
    from planner.config.scenario import load_scenario
    from planner.workflows.run import run_scenario

    plan = work / "default-plan"
    if (plan / "manifest.json").exists():
        return plan
    text = (REPO_ROOT / "scenarios" / "default.yaml").read_text(encoding="utf-8")
    text = text.replace("../data/", str(REPO_ROOT / "data") + "/").replace("method: solver", "method: greedy")
    text = text.replace("schedule_time_limit_s: 10", "schedule_time_limit_s: 1")
    text = text.replace("folder: ../plans", f"folder: {work / 'store-default'}")
    s = work / "default.yaml"
    s.write_text(text, encoding="utf-8")
    run_scenario(load_scenario(s), out=plan)
    return plan


def make_large(work: Path, retailers: int, managers: int) -> Path:
    from planner.config.scenario import load_scenario
    from planner.inputs.synthetic import generate_region
    from planner.workflows.run import run_scenario

    region = work / f"city-{retailers}"
    plan = work / f"city-{retailers}-plan"
    if (plan / "manifest.json").exists():
        return plan
    if region.exists():
        shutil.rmtree(region)
    generate_region(n_retailers=retailers, n_managers=managers, seed=1, out=region, kind="city")
    s = region / "scenario.yaml"
    text = s.read_text(encoding="utf-8")
    text = text.replace("solver:\n", "schedule: {method: greedy}\nsolver:\n  schedule_time_limit_s: 1\n", 1)
    text = text.replace("folder: plans", f"folder: {work / 'store-large'}")
    s.write_text(text, encoding="utf-8")
    t = time.perf_counter()
    run_scenario(load_scenario(s), out=plan)
    print(f"made {plan} in {time.perf_counter() - t:.0f} s")
    return plan


def serve(session):
    import uvicorn

    from planner.editor.app import create_app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(session), host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    while not srv.started:
        time.sleep(0.02)
    return srv, th, f"http://127.0.0.1:{port}"


def boundary_edits(session, n: int, rng: np.random.Generator) -> list[dict]:
    """Planner-like moves, generated against the current state as it evolves (see module docstring)."""
    s = session
    g = s.design.graph
    own = s.state.owner.copy()
    lock = s.state.lock
    rid = s.src.retailer_ids
    coo = g.tocoo()
    cross = np.flatnonzero(own[coo.row] != own[coo.col])
    out = []
    for _ in range(n):
        for _try in range(50):
            e = int(rng.choice(cross))
            a, b = int(coo.row[e]), int(coo.col[e])
            if own[a] != own[b] and lock[a] < 0:
                break
        size = int(rng.integers(1, 21))
        group, frontier = [a], [a]
        while frontier and len(group) < size:
            nxt = [int(j) for i in frontier for j in g[i].indices if own[j] == own[a] and lock[j] < 0 and int(j) not in group]
            frontier = nxt[: size - len(group)]
            group += frontier
        to = s.state.slots[int(own[b])].manager_id
        out.append({"op": "move", "retailers": [rid[i] for i in group], "to": to})
        own[group] = own[b]
    return out


def pct(a: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(a), q)) if a else float("nan")


def measure(name: str, plan: Path, args, store: Path) -> dict:
    import httpx

    from planner.editor.session import Session
    from planner.editor.source import open_plan

    t = time.perf_counter()
    session = Session(open_plan(plan, store=store), restore=False)
    open_s = time.perf_counter() - t
    srv, th, url = serve(session)
    res: dict = {"plan": name, "retailers": len(session.src.retailer_ids), "managers": len(session.state.slots),
                 "open_s": open_s}
    rng = np.random.default_rng(7)
    with httpx.Client(base_url=url, timeout=600) as c:
        t = time.perf_counter()
        r = c.get("/api/plan")
        res["get_plan_s"], res["get_plan_mb"] = time.perf_counter() - t, len(r.content) / 1e6
        imb0 = r.json()["figures"]["plan"]["imbalance"]
        edits, undos = [], []
        plan_edits = boundary_edits(session, args.edits, rng)
        for k, body in enumerate(plan_edits):
            t = time.perf_counter()
            r = c.post("/api/edits", json=body)
            if r.status_code != 200:
                continue
            r.json()
            edits.append(time.perf_counter() - t)
            if k % 5 == 4:
                t = time.perf_counter()
                c.post("/api/undo").json()
                undos.append(time.perf_counter() - t)
            if k % 7 == 6 and session.log.can_redo:
                t = time.perf_counter()
                c.post("/api/redo").json()
                undos.append(time.perf_counter() - t)
        res.update({"edits": len(edits), "edit_p50_ms": 1000 * pct(edits, 50), "edit_p95_ms": 1000 * pct(edits, 95),
                    "edit_max_ms": 1000 * max(edits), "undo_redo_p95_ms": 1000 * pct(undos, 95)})
        imb1 = c.get("/api/figures").json()["figures"]["plan"]["imbalance"]
        t = time.perf_counter()
        job = c.post("/api/optimise", json={"max_moved": 0.10, "time_limit_s": args.optimise_s}).json()
        while True:
            j = c.get(f"/api/jobs/{job['job']}").json()
            if j["status"] not in ("queued", "running"):
                break
            time.sleep(0.1)
        res["optimise_s"] = time.perf_counter() - t
        res["optimise_status"] = j["status"]
        res["optimise_moved"] = (j.get("result") or {}).get("info", {}).get("moved")
        imb2 = c.get("/api/figures").json()["figures"]["plan"]["imbalance"]
        res.update({"imbalance_opened": imb0, "imbalance_edited": imb1, "imbalance_reoptimised": imb2})
        if args.browser:
            res.update(browser(url, session))
        if name == "default" or args.save_large:
            t = time.perf_counter()
            r = c.post("/api/save", json={})
            res["save_s"] = time.perf_counter() - t
            res["save_valid"] = r.json().get("valid")
    srv.should_exit = True
    th.join(timeout=10)
    return res


def browser(url: str, session) -> dict:
    """Page load and the page's own estimate time over 20 moves (headless Chromium)."""
    from playwright.sync_api import sync_playwright

    out: dict = {}
    rng = np.random.default_rng(11)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        page = b.new_page(viewport={"width": 1500, "height": 950})
        t = time.perf_counter()
        page.goto(url + "/")
        page.wait_for_selector("#status[data-ready='1']", state="attached", timeout=600000)
        out["page_ready_s"] = time.perf_counter() - t
        est = []
        for body in boundary_edits(session, 20, rng):
            page.evaluate("ids => editor.select(ids, false)", body["retailers"])
            page.select_option("#target", body["to"])
            n = int(page.get_attribute("#status", "data-edits") or 0)
            page.click("#move")
            page.wait_for_function(f"document.getElementById('status').dataset.edits === '{n + 1}' && "
                                   "document.getElementById('status').dataset.pending === '0'", timeout=60000)
            est.append(float(page.get_attribute("#status", "data-estimate-ms") or "nan"))
        t = time.perf_counter()
        page.evaluate("editor.layer.redraw()")
        out["redraw_ms"] = 1000 * (time.perf_counter() - t)
        out["estimate_p50_ms"], out["estimate_p95_ms"] = pct(est, 50), pct(est, 95)
        b.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=Path("/tmp/fieldplan-editor-bench"))
    ap.add_argument("--edits", type=int, default=200)
    ap.add_argument("--retailers", type=int, default=30000)
    ap.add_argument("--managers", type=int, default=120)
    ap.add_argument("--optimise-s", type=float, default=30.0)
    ap.add_argument("--skip-default", action="store_true")
    ap.add_argument("--skip-large", action="store_true")
    ap.add_argument("--save-large", action="store_true")
    ap.add_argument("--browser", action="store_true")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    results = []
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    if not args.skip_default:
        results.append(measure("default", make_default(args.work), args, args.work / "store-default"))
    if not args.skip_large:
        results.append(measure(f"city {args.retailers // 1000}k", make_large(args.work, args.retailers, args.managers),
                               args, args.work / "store-large"))
    print(f"\nplan editor benchmark, started {started}")
    cols = [("plan", "plan", "{}"), ("retailers", "retailers", "{:,}"), ("managers", "managers", "{}"),
            ("open_s", "open s", "{:.1f}"), ("get_plan_s", "GET plan s", "{:.2f}"), ("edits", "edits", "{}"),
            ("edit_p50_ms", "edit p50 ms", "{:.1f}"), ("edit_p95_ms", "edit p95 ms", "{:.1f}"),
            ("undo_redo_p95_ms", "undo/redo p95 ms", "{:.1f}"), ("optimise_s", "re-optimise s", "{:.1f}"),
            ("optimise_moved", "moved", "{}"), ("imbalance_edited", "imbalance edited", "{:.1%}"),
            ("imbalance_reoptimised", "after re-opt.", "{:.1%}"), ("save_s", "save s", "{:.1f}"),
            ("estimate_p95_ms", "page estimate p95 ms", "{:.1f}"), ("page_ready_s", "page ready s", "{:.1f}")]
    cols = [c for c in cols if any(c[0] in r for r in results)]
    print_table([c[1] for c in cols], [[("-" if r.get(k) is None else f.format(r[k])) for k, _, f in cols]
                                       for r in results])
    write_json(args.work / "results.json", {"started": started, "results": results})
    print(f"results: {args.work / 'results.json'}; median of all edit round trips: "
          f"{statistics.median([r['edit_p50_ms'] for r in results]):.1f} ms")


if __name__ == "__main__":
    main()

"""The plan editor's JSON API (ASGI test client): edits, undo/redo, refused requests, re-optimisation
around the edits, save as a new validated plan, unsaved edits kept across sessions, access rules."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np
import pytest
from editor_fixtures import LOCKS, make_plan
from fastapi.testclient import TestClient

from planner.editor.app import ASSETS, create_app
from planner.editor.session import Session
from planner.editor.source import EditorError, open_plan


@pytest.fixture(scope="module")
def opened(tmp_path_factory):
    plan, store = make_plan(tmp_path_factory.mktemp("editor"))
    return plan, store, open_plan(plan, store=store)


@pytest.fixture
def client(opened):
    plan, store, src = opened
    for f in (store / ".editor").glob("*") if (store / ".editor").exists() else []:
        f.unlink()
    session = Session(src)
    with TestClient(create_app(session)) as c:
        c.session = session
        yield c


def owners(c) -> dict[str, str]:
    return {r["retailer_id"]: r["manager_id"] for r in c.get("/api/plan").json()["retailers"]}


def boundary_group(c, size: int = 4) -> tuple[list[str], str]:
    """Retailers of one territory next to another territory, and that territory's owner."""
    s = c.session
    adj = s.design.graph.tocoo()
    own = s.state.owner
    for a, b in zip(adj.row, adj.col, strict=True):
        if own[a] != own[b] and s.state.lock[a] < 0:
            nb = [int(x) for x in s.design.graph[a].indices if own[x] == own[a] and s.state.lock[x] < 0][: size - 1]
            ids = [s.src.retailer_ids[i] for i in [int(a), *nb]]
            return ids, s.state.slots[int(own[b])].manager_id
    raise AssertionError("no boundary")


def test_plan_lists_retailers_owners_and_figures(client):
    p = client.get("/api/plan").json()
    assert len(p["retailers"]) == 120 and {m["manager_id"] for m in p["managers"]} == {"M001", "M002", "M003", "M004"}
    r = p["retailers"][0]
    assert {"retailer_id", "manager_id", "locked", "class", "lon", "lat"} <= set(r)
    locked = {x["retailer_id"] for x in p["retailers"] if x["locked"]}
    assert locked == set(LOCKS)
    f = p["figures"]
    assert f["plan"]["retailers"] == 120 and len(f["managers"]) == 4
    assert f["plan"]["balance_tolerance"] == pytest.approx(0.03)
    m = f["managers"][0]
    for k in ("workload_hours", "deviation", "retailers", "key_customers", "visits_required", "compactness_min",
              "service_radius_p95_min", "parts"):
        assert k in m
    # the figures are the plan's own design figures before any edit
    kpis = json.loads((client.session.src.folder / "kpis.json").read_text())
    est = {x["manager_id"]: x["estimated_workload_hours"] for x in kpis["managers"]}
    for m in f["managers"]:
        assert m["workload_hours"] == pytest.approx(est[m["manager_id"]], rel=1e-9)
    assert f["plan"]["compactness_min"] == pytest.approx(kpis["global"]["compactness_min"], rel=1e-9)


def test_move_undo_redo(client):
    before = client.get("/api/figures").json()
    ids, to = boundary_group(client)
    res = client.post("/api/edits", json={"op": "move", "retailers": ids, "to": to})
    assert res.status_code == 200, res.text
    out = res.json()
    assert out["edits"] == 1 and out["can_undo"] and not out["can_redo"]
    row = next(m for m in out["figures"]["managers"] if m["manager_id"] == to)
    assert row["change"]["retailers"] == len(ids) and row["change"]["workload_hours"] > 0
    assert all(owners(client)[x] == to for x in ids)
    after = out["figures"]
    undone = client.post("/api/undo").json()
    assert undone["edits"] == 0 and undone["can_redo"]
    assert strip(undone["figures"]) == strip(before["figures"])
    redone = client.post("/api/redo").json()
    assert strip(redone["figures"]) == strip(after)
    assert client.post("/api/redo").status_code == 409


def strip(fig: dict) -> dict:
    """Figures without the per-edit change columns and warning novelty."""
    return {"plan": fig["plan"], "managers": [{k: v for k, v in m.items() if k not in ("change", "since_opened")}
                                              for m in fig["managers"]],
            "warnings": sorted(w["key"] for w in fig["warnings"])}


@pytest.mark.parametrize("body, status, words", [
    ({"op": "move", "retailers": ["NOPE"], "to": "M001"}, 404, "unknown retailer NOPE"),
    ({"op": "move", "retailers": ["R000002"], "to": "M999"}, 404, "unknown manager 'M999'"),
    ({"op": "move", "retailers": ["R000001"], "to": "M004"}, 409, "locked retailer"),
    ({"op": "move", "retailers": "R000002", "to": "M001"}, 422, "non-empty list"),
    ({"op": "move", "retailers": ["R000002"]}, 422, "needs to"),
    ({"op": "move", "retailers": ["R000002"], "to": "M001", "colour": 1}, 422, "does not take colour"),
    ({"op": "teleport"}, 422, "unknown op"),
    ({"op": "unlock", "retailers": ["R000001"]}, 409, "lock file"),
    ({"op": "swap", "managers": ["M001", "M001"]}, 422, "two different"),
    ({"op": "swap", "managers": ["M001", "M002"]}, 409, "unlock"),
    ({"op": "vacant", "manager": "M002"}, 409, "unlock"),
    ([1, 2], 422, "JSON object"),
])
def test_bad_requests_change_nothing(client, body, status, words):
    before = client.get("/api/figures").json()
    res = client.post("/api/edits", json=body)
    assert res.status_code == status, res.text
    assert words in res.json()["detail"]
    after = client.get("/api/figures").json()
    assert after["version"] == before["version"] and strip(after["figures"]) == strip(before["figures"])


def test_malformed_json_and_nothing_to_do(client):
    res = client.post("/api/edits", content=b"{not json", headers={"Content-Type": "application/json"})
    assert res.status_code == 422 and "not valid JSON" in res.json()["detail"]
    rid = "R000002"
    cur = owners(client)[rid]
    res = client.post("/api/edits", json={"op": "move", "retailers": [rid], "to": cur})
    assert res.status_code == 409 and "already with" in res.json()["detail"]
    assert client.post("/api/undo").status_code == 409


def test_swap_and_vacant_are_undoable(client):
    client.post("/api/edits", json={"op": "unlock", "retailers": []})  # refused (422), changes nothing
    start = owners(client)
    free = [m for m in ("M001", "M002", "M003", "M004") if m not in LOCKS.values()]
    a, b = free[0], free[1]
    res = client.post("/api/edits", json={"op": "swap", "managers": [a, b]})
    assert res.status_code == 200, res.text
    now = owners(client)
    assert all(now[r] == {a: b, b: a}.get(m, m) for r, m in start.items())
    res = client.post("/api/edits", json={"op": "vacant", "manager": a}).json()
    assert [m["manager_id"] for m in res["owners"]][-1] == f"VACANT-{a}"
    vac = next(m for m in res["figures"]["managers"] if m["manager_id"] == f"VACANT-{a}")
    assert vac["vacant"] and vac["retailers"] == sum(1 for m in start.values() if m == b)
    assert next(m for m in res["figures"]["managers"] if m["manager_id"] == a)["retailers"] == 0
    client.post("/api/undo")
    client.post("/api/undo")
    assert owners(client) == start
    assert [m["manager_id"] for m in client.get("/api/plan").json()["managers"]] == ["M001", "M002", "M003", "M004"]


def test_lock_then_move_is_refused(client):
    ids, to = boundary_group(client, 2)
    assert client.post("/api/edits", json={"op": "lock", "retailers": ids}).status_code == 200
    res = client.post("/api/edits", json={"op": "move", "retailers": ids, "to": to})
    assert res.status_code == 409 and "unlock" in res.json()["detail"]
    assert client.post("/api/edits", json={"op": "unlock", "retailers": ids}).status_code == 200
    assert client.post("/api/edits", json={"op": "move", "retailers": ids, "to": to}).status_code == 200


def wait_job(c, job_id: str) -> dict:
    for _ in range(3000):
        j = c.get(f"/api/jobs/{job_id}").json()
        if j["status"] not in ("queued", "running"):
            return j
        time.sleep(0.02)
    raise AssertionError("job did not finish")


def test_optimise_keeps_locks_and_edits_and_is_one_undoable_edit(client):
    ids, to = boundary_group(client, 3)
    client.post("/api/edits", json={"op": "move", "retailers": ids, "to": to})
    s = client.session
    keep_ids = [s.src.retailer_ids[i] for i in np.flatnonzero(s.state.lock >= 0)]
    pinned = {**{r: owners(client)[r] for r in keep_ids}, **{r: to for r in ids}}
    assert client.post("/api/optimise", json={"max_moved": 2}).status_code == 422
    res = client.post("/api/optimise", json={"max_moved": 0.3, "max_iterations": 100, "time_limit_s": 60})
    assert res.status_code == 200, res.text
    job = wait_job(client, res.json()["job"])
    assert job["status"] == "done", job
    now = owners(client)
    assert all(now[r] == m for r, m in pinned.items())
    if job["result"]["edit"] is not None:
        assert job["result"]["edit"]["log"][-1]["op"] == "optimise"
        assert client.get("/api/figures").json()["edits"] == 2
        client.post("/api/undo")
        assert all(owners(client)[r] == to for r in ids)
    assert client.get("/api/jobs/999").status_code == 404


def test_save_writes_a_new_validated_plan(client, opened):
    from planner.plan.model import read_plan
    from planner.report.compare import write_comparison
    from planner.validate import validate_folder

    plan_dir, store, _ = opened
    parent_files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in plan_dir.iterdir() if p.is_file()}
    ids, to = boundary_group(client, 3)
    frm = owners(client)[ids[0]]
    client.post("/api/edits", json={"op": "move", "retailers": ids, "to": to})
    client.post("/api/edits", json={"op": "lock", "retailers": ids[:1]})
    res = client.post("/api/save", json={})
    assert res.status_code == 200, res.text
    out = res.json()
    new = Path(out["plan_dir"])
    assert new.is_absolute() and new.parent == store and out["valid"]
    assert validate_folder(new).ok
    assert parent_files == {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in plan_dir.iterdir() if p.is_file()}
    man = json.loads((new / "manifest.json").read_text())
    assert man["parent_plan"]["id"] == plan_dir.name
    assert man["parent_plan"]["manifest_sha256"] == hashlib.sha256((plan_dir / "manifest.json").read_bytes()).hexdigest()
    edits = json.loads((new / "edits.json").read_text())
    assert [e["op"] for e in edits["edits"]] == ["move", "lock"] and edits["edits"][0]["user"]
    assert edits["locked"] and [ids[0], to] in edits["locked"]
    assert set(out["replanned"]) == {frm, to} and set(out["kept"]) == {"M001", "M002", "M003", "M004"} - {frm, to}
    parent, child = read_plan(plan_dir), read_plan(new)
    for m in out["kept"]:  # unchanged managers keep their calendars as they were
        pv = parent.visits[parent.visits["manager_id"] == m].reset_index(drop=True)
        cv = child.visits[child.visits["manager_id"] == m].reset_index(drop=True)
        assert pv.equals(cv)
    moved = {r: m for r, m in zip(child.assignments["retailer_id"], child.assignments["manager_id"], strict=True)}
    assert all(moved[r] == to for r in ids)
    assert "moves.csv" in {p.name for p in new.iterdir()} and (new / "baseline" / "manifest.json").exists()
    cmp = write_comparison([plan_dir, new], new.parent / "cmp")
    assert (cmp / "compare.html").exists()
    # the saved plan opens in the editor again
    assert open_plan(new, store=store).plan_id == new.name


def test_unsaved_edits_survive_a_restart(opened):
    plan, store, src = opened
    for f in (store / ".editor").glob("*") if (store / ".editor").exists() else []:
        f.unlink()
    s1 = Session(src)
    s1.edit({"op": "lock", "retailers": ["R000003"]})
    s1.edit({"op": "move", "retailers": ["R000004"], "to": "M003" if s1.plan_json()["retailers"][3]["manager_id"] != "M003"
             else "M001"})
    s1.undo()
    s2 = Session(src)
    assert s2.recovered == {"edits": 1, "redo": 1, "time": s2.recovered["time"]}
    assert np.array_equal(s2.state.owner, s1.state.owner) and np.array_equal(s2.state.lock, s1.state.lock)
    s2.redo()
    assert np.array_equal(Session(src).state.owner, s2.state.owner)
    s2.discard()
    s3 = Session(src)
    assert s3.recovered is None and np.array_equal(s3.state.owner, src.owner) and s3.log.applied == 0


def test_token_and_host_rules(opened):
    _, _, src = opened
    session = Session(src, restore=False)
    with TestClient(create_app(session, token="s3cret")) as c:
        assert c.get("/api/figures").status_code == 401
        assert c.get("/api/figures", headers={"X-Editor-Token": "wrong"}).status_code == 401
        assert c.get("/api/figures", headers={"X-Editor-Token": "s3cret"}).status_code == 200
        page = c.get("/?token=s3cret")
        assert page.status_code == 200 and "planner_editor_token" in page.headers.get("set-cookie", "")
        assert c.get("/api/figures").status_code == 200  # the cookie
    with TestClient(create_app(session)) as c:
        assert c.get("/api/figures", headers={"Host": "attacker.example"}).status_code == 403
        assert c.get("/api/figures", headers={"Host": "127.0.0.1:8765"}).status_code == 200


def test_page_and_assets_are_local(client):
    page = client.get("/")
    assert page.status_code == 200
    assert "://" not in page.text
    for name in ASSETS:
        res = client.get(f"/assets/{name}")
        assert res.status_code == 200, name
        if name.startswith("editor"):
            assert "http://" not in res.text and "https://" not in res.text
    assert client.get("/assets/../../etc/passwd").status_code == 404
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == 404


def test_routes_and_territories(client):
    r = client.get("/api/routes", params={"manager": "M001"}).json()
    assert r["features"] and not r["stale"]
    assert client.get("/api/routes", params={"manager": "NOPE"}).status_code == 404
    t = client.get("/api/territories").json()
    assert {f["properties"]["manager_id"] for f in t["features"]} == {"M001", "M002", "M003", "M004"}


def test_refuses_a_plan_whose_inputs_changed(tmp_path, opened):
    import shutil

    plan, store, _ = opened
    region = plan.parent / "region"
    copy = tmp_path / "region"
    shutil.copytree(region, copy)
    from planner.config.scenario import load_scenario
    from planner.workflows.run import run_scenario

    p2 = tmp_path / "plan"
    run_scenario(load_scenario(copy / "scenario.yaml"), out=p2, with_baseline=False)
    with open(copy / "retailers.csv", "a", encoding="utf-8") as f:
        f.write("\n")
    with pytest.raises(EditorError, match="changed since"):
        open_plan(p2, store=store)


def test_cli_edit_reports_a_missing_plan(tmp_path):
    from typer.testing import CliRunner

    from planner.cli.app import app

    res = CliRunner().invoke(app, ["edit", str(tmp_path / "nope"), "--no-browser"])
    assert res.exit_code == 2 and "not a plan folder" in res.output


def test_save_after_swap_and_vacant_is_valid(client, opened):
    from planner.plan.model import read_plan
    from planner.validate import validate_folder

    _, store, _ = opened
    free = [m for m in ("M001", "M002", "M003", "M004") if m not in LOCKS.values()]
    assert client.post("/api/edits", json={"op": "swap", "managers": free}).status_code == 200
    assert client.post("/api/edits", json={"op": "vacant", "manager": free[0]}).status_code == 200
    out = client.post("/api/save").json()
    new = Path(out["plan_dir"])
    assert out["valid"] and validate_folder(new).ok, out["summary"]
    child = read_plan(new)
    vac = child.managers[child.managers["manager_id"] == f"VACANT-{free[0]}"]
    assert len(vac) == 1 and str(vac["vacant"].iloc[0]) == "True"
    assert (child.assignments["manager_id"] == free[0]).sum() == 0
    assert set(out["replanned"]) == {free[0], free[1], f"VACANT-{free[0]}"}

"""Properties of the plan editor (hypothesis): undo inverts every edit and redo re-applies it,
figures after any edit sequence equal a full recomputation from the resulting assignment, and
re-optimisation never breaks a lock nor moves a retailer the planner moved."""

from __future__ import annotations

import numpy as np
import pytest
from editor_fixtures import make_plan
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.design.territories import Territories, estimated_workload
from planner.editor.figures import Figures
from planner.editor.jobs import reoptimise
from planner.editor.session import Session
from planner.editor.source import EditorError, open_plan
from planner.errors import Progress

OPS = ("move", "move", "move", "lock", "unlock", "swap", "vacant", "undo", "redo")


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    plan, store = make_plan(tmp_path_factory.mktemp("editor-props"))
    return Session(open_plan(plan, store=store), restore=False)


def snapshot(s: Session) -> tuple:
    st_ = s.state
    return ([x.manager_id for x in st_.slots], st_.owner.copy(), st_.lock.copy(), st_.edited.copy())


def same(a: tuple, b: tuple) -> bool:
    return a[0] == b[0] and all(np.array_equal(x, y) for x, y in zip(a[1:], b[1:], strict=True))


def close(x, y) -> bool:
    if isinstance(x, (int, float)) and isinstance(y, (int, float)) and not isinstance(x, bool):
        return x == pytest.approx(y, rel=1e-9, abs=1e-9, nan_ok=True)
    return x == y


def figures_close(a: dict, b: dict) -> None:
    assert a["plan"].keys() == b["plan"].keys()
    for k, v in a["plan"].items():
        assert close(v, b["plan"][k]), (k, v, b["plan"][k])
    assert [m["manager_id"] for m in a["managers"]] == [m["manager_id"] for m in b["managers"]]
    for x, y in zip(a["managers"], b["managers"], strict=True):
        for k in x:
            assert close(x[k], y[k]), (x["manager_id"], k, x[k], y[k])
    assert a["warnings"] == b["warnings"]


def current(s: Session) -> dict:
    f = s.figures
    m = f.managers()
    return {"plan": f.plan(m), "managers": m, "warnings": sorted(w["key"] for w in f.warnings(m))}


def scratch(s: Session) -> dict:
    f = Figures(s.design, s.state.slots, s.state.owner, s.state.lock)
    m = f.managers()
    return {"plan": f.plan(m), "managers": m, "warnings": sorted(w["key"] for w in f.warnings(m))}


def request(s: Session, data, op: str) -> dict:
    rid = s.src.retailer_ids
    ids = list(s.state.slot_index())
    if op in ("move", "lock", "unlock"):
        n = data.draw(st.integers(1, 12))
        start = data.draw(st.integers(0, len(rid) - 1))
        # a neighbourhood in the adjacency graph (edits planners make) or scattered retailers
        if data.draw(st.booleans()):
            got, frontier = [start], [start]
            while frontier and len(got) < n:
                nxt = [int(j) for i in frontier for j in s.design.graph[i].indices if int(j) not in got]
                frontier = nxt[: n - len(got)]
                got += frontier
            pick = [rid[i] for i in got]
        else:
            pick = list(data.draw(st.lists(st.sampled_from(list(rid)), min_size=1, max_size=n)))
        body = {"op": op, "retailers": pick}
        if op == "move":
            body["to"] = data.draw(st.sampled_from(ids))
        return body
    if op == "swap":
        a, b = data.draw(st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True)) if len(ids) > 1 else (ids[0], ids[0])
        return {"op": "swap", "managers": [a, b]}
    return {"op": "vacant", "manager": data.draw(st.sampled_from(ids))}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(data=st.data())
def test_undo_redo_and_figures(session, data):
    s = session
    s.discard()
    start = snapshot(s)
    start_fig = current(s)
    steps = data.draw(st.integers(1, 12))
    for _ in range(steps):
        op = data.draw(st.sampled_from(OPS))
        if op in ("undo", "redo"):
            if (op == "undo" and not s.log.can_undo) or (op == "redo" and not s.log.can_redo):
                with pytest.raises(EditorError):
                    getattr(s, op)()
                continue
            getattr(s, op)()
            continue
        before, fig_before = snapshot(s), current(s)
        version = s.version
        try:
            s.edit(request(s, data, op))
        except EditorError as e:
            assert 400 <= e.status < 500
            assert same(snapshot(s), before) and s.version == version  # a refused edit changes nothing
            continue
        after, fig_after = snapshot(s), current(s)
        # no locked retailer ever moves through an edit
        moved = np.flatnonzero(after[1] != before[1])
        assert not (before[2][moved] >= 0).any()
        s.undo()
        assert same(snapshot(s), before)
        figures_close(current(s), fig_before)
        s.redo()
        assert same(snapshot(s), after)
        figures_close(current(s), fig_after)
        figures_close(current(s), scratch(s))  # incremental == from scratch
    figures_close(current(s), scratch(s))
    # and equal the territory design's own estimate of the resulting assignment
    est = estimated_workload(s.src.ctx, Territories(list(s.state.slots), s.state.owner.copy(), "edited"))
    for m in current(s)["managers"]:
        assert m["workload_hours"] == pytest.approx(est[m["manager_id"]], rel=1e-9, abs=1e-9)
    while s.log.can_undo:
        s.undo()
    assert same(snapshot(s), start)
    figures_close(current(s), start_fig)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=st.data(), budget=st.sampled_from([0.0, 0.05, 0.3, 1.0]))
def test_reoptimisation_never_breaks_locks(session, data, budget):
    s = session
    s.discard()
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(("move", "move", "lock")))
        try:
            s.edit(request(s, data, op))
        except EditorError:
            pass
    pin = np.where(s.state.lock >= 0, s.state.lock, np.where(s.state.edited > 0, s.state.owner, -1))
    version, entry, info = reoptimise(s, {"max_moved": budget, "time_limit_s": 60.0, "max_iterations": 60,
                                          "user": "test"}, Progress())
    assert version == s.version and info["locks_restored"] == 0
    if entry is None:
        return
    s.push(entry)
    held = np.flatnonzero(pin >= 0)
    assert np.array_equal(s.state.owner[held], pin[held])
    assert not (s.state.lock[s.state.lock >= 0] != s.state.owner[s.state.lock >= 0]).any()
    s.undo()
    figures_close(current(s), scratch(s))

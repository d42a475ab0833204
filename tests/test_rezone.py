"""planner rezone: previous plan + next quarter's data -> re-zoned plan, moves.csv, disruption curve."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from planner.cli import app
from planner.config.scenario import load_scenario
from planner.design.rezone import previous_weekdays
from planner.plan.moves import MOVE_COLUMNS, REASONS
from planner.workflows.rezone import parse_share, read_previous
from planner.workflows.run import run_scenario

LEAVING = "M002"
JOINING = "J01"


def _run(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def _boundary_retailer(scenario_dir: Path, owner: dict[str, str], *, exclude: set[str], skip: set[str]
                       ) -> tuple[str, str]:
    """A retailer next to another manager's territory (Delaunay neighbours), and that manager."""
    from planner.design.context import adjacency, prepare

    ctx = prepare(load_scenario(scenario_dir / "scenario.yaml"))
    rid = ctx.ds.retailers["retailer_id"].tolist()
    for a, b in sorted(adjacency(ctx).tolist()):
        for u, v in ((a, b), (b, a)):
            mu, mv = owner[rid[u]], owner[rid[v]]
            if mu != mv and not {mu, mv} & exclude and rid[u] not in skip:
                return rid[u], mv
    raise AssertionError("no boundary retailer")


@pytest.fixture(scope="module")
def quarter(tmp_path_factory, small_region: Path) -> dict:
    """A first plan of the small generated county, and next quarter's data: 3 new retailers,
    2 closed, 3 class changes, manager M002 leaves, J01 joins, two locks (one to the previous
    manager, one to another manager)."""
    root = tmp_path_factory.mktemp("rezone")
    q1 = root / "q1"
    shutil.copytree(small_region.parent, q1, ignore=shutil.ignore_patterns("plans"))
    prev = run_scenario(load_scenario(q1 / "scenario.yaml"), out=root / "plan-q1", with_baseline=False).folder
    q2 = root / "q2"
    shutil.copytree(q1, q2)
    r = pd.read_csv(q2 / "retailers.csv", dtype=str, keep_default_na=False)
    m = pd.read_csv(q2 / "managers.csv", dtype=str, keep_default_na=False)
    a = pd.read_csv(prev / "assignments.csv", dtype=str, keep_default_na=False)
    owner = dict(zip(a["retailer_id"], a["manager_id"], strict=True))
    r["current_manager"] = [owner[x] for x in r["retailer_id"]]
    stay = r[r["current_manager"] != LEAVING]
    closed = list(stay["retailer_id"].iloc[[0, 1]])
    changed = list(stay["retailer_id"].iloc[[5, 6, 7]])
    lock_same = str(stay["retailer_id"].iloc[10])
    lock_other = _boundary_retailer(q1, owner, exclude={LEAVING}, skip=set(closed) | {lock_same})
    nxt = {"A": "B", "B": "C", "C": "A"}
    r.loc[r["retailer_id"].isin(changed), "class"] = r.loc[r["retailer_id"].isin(changed), "class"].map(nxt)
    new = r.iloc[[20, 40, 60]].copy()
    new["retailer_id"] = ["N1", "N2", "N3"]
    new["lon"] = (new["lon"].astype(float) + 0.001).round(6).astype(str)
    new["current_manager"] = ""
    r = pd.concat([r[~r["retailer_id"].isin(closed)], new], ignore_index=True)
    r.loc[r["current_manager"] == LEAVING, "current_manager"] = ""
    r.to_csv(q2 / "retailers.csv", index=False)
    base = r.iloc[80]
    m = m[m["manager_id"] != LEAVING]
    m = pd.concat([m, pd.DataFrame([{"manager_id": JOINING, "name": "New", "lon": base["lon"], "lat": base["lat"],
                                      "team": m["team"].iloc[0], "districts": ""}])], ignore_index=True)
    m.to_csv(q2 / "managers.csv", index=False)
    (q2 / "locked.csv").write_text(f"retailer_id,manager_id\n{lock_same},{owner[lock_same]}\n"
                                   f"{lock_other[0]},{lock_other[1]}\n", encoding="utf-8")
    text = (q2 / "scenario.yaml").read_text(encoding="utf-8")
    (q2 / "scenario.yaml").write_text(text.replace("  road_network: roads.graphml.gz\n",
                                                   "  road_network: roads.graphml.gz\n  locked: locked.csv\n"),
                                      encoding="utf-8")
    return {"root": root, "prev": prev, "scenario": q2 / "scenario.yaml", "owner": owner, "closed": closed,
            "changed": changed, "new": ["N1", "N2", "N3"], "locks": {lock_same: owner[lock_same], lock_other[0]: lock_other[1]},
            "lock_other": lock_other[0], "retailers": r, "key": {"A"}}


@pytest.fixture(scope="module")
def rezoned(quarter) -> dict:
    out = quarter["root"] / "plan-q2"
    res = _run("rezone", quarter["scenario"], "--previous", quarter["prev"], "--max-moved", "10%",
               "--key-weight", "3", "--out", out, "--no-baseline", "-q")
    assert res.exit_code == 0, res.output
    return {"out": out, "output": res.output}


def test_moves_csv_columns_and_reasons(quarter, rezoned):
    mv = pd.read_csv(rezoned["out"] / "moves.csv", dtype=str, keep_default_na=False)
    assert list(mv.columns) == MOVE_COLUMNS
    assert set(mv["reason"]) <= set(REASONS)
    by = mv.set_index("retailer_id")
    for x in quarter["new"]:
        assert by.loc[x, "reason"] == "new retailer" and by.loc[x, "from_manager"] == "" and by.loc[x, "to_manager"]
    for x in quarter["closed"]:
        assert by.loc[x, "reason"] == "closed retailer" and by.loc[x, "to_manager"] == ""
        assert by.loc[x, "from_manager"] == quarter["owner"][x]
        assert by.loc[x, "class"] in {"A", "B", "C"}  # read from the previous inputs
    gone = [x for x, m in quarter["owner"].items() if m == LEAVING]
    assert gone and all(by.loc[x, "reason"] == "manager left" for x in gone)
    assert set(by.loc[gone, "to_manager"]) <= {"M001", "M003", "M004", JOINING}
    assert (mv["reason"] == "manager joined").sum() > 0
    assert set(mv.loc[mv["reason"] == "manager joined", "to_manager"]) == {JOINING}
    assert by.loc[quarter["lock_other"], "reason"] == "locked"
    # every listed move is a real change, every real change is listed
    a = pd.read_csv(rezoned["out"] / "assignments.csv", dtype=str).set_index("retailer_id")["manager_id"]
    changed = {x for x in a.index if x in quarter["owner"] and quarter["owner"][x] != a[x]}
    cont = set(mv.loc[~mv["reason"].isin(["new retailer", "closed retailer"]), "retailer_id"])
    assert cont == changed


def test_budget_accounting(quarter, rezoned):
    mv = pd.read_csv(rezoned["out"] / "moves.csv", dtype=str, keep_default_na=False)
    k = json.loads((rezoned["out"] / "kpis.json").read_text())["rezone"]
    r = quarter["retailers"]
    cont = r[r["retailer_id"].isin(quarter["owner"])]
    weight = np.where(cont["class"].isin(quarter["key"]), 3.0, 1.0)
    w = dict(zip(cont["retailer_id"], weight, strict=True))
    reb = mv.loc[mv["reason"] == "rebalanced", "retailer_id"]
    share = sum(w[x] for x in reb) / weight.sum()
    assert k["moved"] == len(reb)
    assert k["moved_share"] == pytest.approx(share)
    assert k["moved_share"] <= 0.10 + 1e-9 and k["within_budget"]
    forced = mv["reason"].isin(["manager left", "manager joined", "locked"]).sum()
    assert k["forced_moves"] == forced
    assert k["total_moved"] == len(reb) + forced
    assert k["total_moved_share"] == pytest.approx((len(reb) + forced) / len(cont))
    assert k["retailers"] == {"continuing": len(cont), "new": 3, "closed": 2, "class_changed": 3}
    assert k["managers"]["left"] == [LEAVING] and k["managers"]["joined"] == [JOINING]
    assert "moved for rebalancing" in rezoned["output"]


def test_locked_never_move_and_plan_is_valid(quarter, rezoned):
    a = pd.read_csv(rezoned["out"] / "assignments.csv", dtype=str).set_index("retailer_id")["manager_id"]
    for x, m in quarter["locks"].items():
        assert a[x] == m
    assert set(a.index) == set(quarter["retailers"]["retailer_id"])
    assert JOINING in set(a) and LEAVING not in set(a)
    v = json.loads((rezoned["out"] / "validation.json").read_text())
    assert v["ok"], v["errors"][:5]
    man = json.loads((rezoned["out"] / "manifest.json").read_text())
    assert man["previous_plan"]["id"] == quarter["prev"].name
    assert man["previous_plan"]["path"] == str(quarter["prev"])
    res = _run("verify", rezoned["out"])  # a normal plan folder, re-validated from its inputs
    assert res.exit_code == 0, res.output
    # the previous plan was not touched
    assert not (quarter["prev"] / "moves.csv").exists()
    assert (rezoned["out"] / "report.html").exists()
    # the comparison report works on previous vs new plan
    res = _run("compare", quarter["prev"], rezoned["out"], "--out", quarter["root"] / "compare")
    assert res.exit_code == 0, res.output
    assert (quarter["root"] / "compare" / "compare.html").exists()


def test_budget_zero_keeps_assignments(quarter):
    out = quarter["root"] / "plan-q2-zero"
    res = _run("rezone", quarter["scenario"], "--previous", quarter["prev"], "--max-moved", "0", "--out", out,
               "--no-baseline", "-q")
    assert res.exit_code == 0, res.output
    mv = pd.read_csv(out / "moves.csv", dtype=str, keep_default_na=False)
    k = json.loads((out / "kpis.json").read_text())["rezone"]
    # with no budget only forced moves (and whatever contiguity repair needs) happen
    assert (mv["reason"] == "rebalanced").sum() == k["moved"] <= 2


def _solver_scenario(path: Path) -> Path:
    text = path.read_text(encoding="utf-8").replace("schedule: {method: greedy}", "schedule: {method: solver}")
    text = text.replace("  max_iterations: 300", "  max_iterations: 300\n  schedule_time_limit_s: 2")
    s = path.with_name("solver.yaml")
    s.write_text(text, encoding="utf-8")
    return s


def _weekdays(folder: Path) -> pd.Series:
    v = pd.read_csv(folder / "visits.csv", dtype=str)
    return v.groupby("retailer_id")["date"].agg(lambda d: set(pd.to_datetime(d).dt.day_of_week))


def test_weekdays_kept_with_the_calendar_solver(quarter):
    root = quarter["root"]
    q1 = _solver_scenario(quarter["prev"].parent / "q1" / "scenario.yaml")
    prev = run_scenario(load_scenario(q1), out=root / "plan-q1-solver", with_baseline=False).folder
    out = root / "plan-q2-weekdays"
    res = _run("rezone", _solver_scenario(quarter["scenario"]), "--previous", prev, "--max-moved", "0.1",
               "--out", out, "--no-baseline", "-q")
    assert res.exit_code == 0, res.output
    wk = json.loads((out / "kpis.json").read_text())["rezone"]["weekday_kept"]
    assert wk["same_manager_retailers"] > 50
    assert wk["same_manager_share"] >= 0.8, wk
    # recomputed from the files: the previous main weekday is among the new visit weekdays
    pv = pd.read_csv(prev / "visits.csv", dtype=str)
    main = pv.groupby("retailer_id")["date"].agg(lambda d: pd.to_datetime(d).dt.day_of_week.mode().min())
    new = _weekdays(out)
    pa = pd.read_csv(prev / "assignments.csv", dtype=str).set_index("retailer_id")["manager_id"]
    na = pd.read_csv(out / "assignments.csv", dtype=str).set_index("retailer_id")["manager_id"]
    same = [x for x in main.index if x in new.index and x in na.index and na[x] == pa[x]]
    assert np.mean([main[x] in new[x] for x in same]) >= 0.8


def test_weekday_penalty_keeps_weekdays_of_a_poor_calendar(quarter):
    """The greedy previous calendar puts retailers on scattered weekdays: without a penalty the
    solver re-plans them freely; with one it keeps them (at some travel cost)."""
    s = _solver_scenario(quarter["scenario"])
    shares = []
    for pen in ("0", "120"):
        out = quarter["root"] / f"plan-q2-penalty-{pen}"
        res = _run("rezone", s, "--previous", quarter["prev"], "--out", out, "--no-baseline", "--weekday-penalty", pen, "-q")
        assert res.exit_code == 0, res.output
        shares.append(json.loads((out / "kpis.json").read_text())["rezone"]["weekday_kept"]["share"])
    assert shares[1] >= 0.8 and shares[1] > shares[0] + 0.3, shares


def test_sweep_writes_curve(quarter):
    out = quarter["root"] / "plan-q2-sweep"
    res = _run("rezone", quarter["scenario"], "--previous", quarter["prev"], "--out", out, "--sweep",
               "--budgets", "0,5%,0.2,100%", "--quick", "--no-baseline", "-q")
    assert res.exit_code == 0, res.output
    c = pd.read_csv(out / "disruption_curve.csv")
    for col in ("max_moved", "moved_share", "moved", "imbalance", "travel_share", "compactness_min"):
        assert col in c.columns
    assert list(c["max_moved"].iloc[:4]) == [0.0, 0.05, 0.2, 1.0]
    assert c["label"].iloc[-1] == "from scratch" and np.isnan(c["max_moved"].iloc[-1])
    budgeted = c.iloc[1:3]
    assert (budgeted["moved_share"] <= budgeted["max_moved"] + 1e-9).all()
    assert (c["travel_share"].between(0, 1)).all()
    assert (out / "disruption_curve.png").read_bytes()[:4] == b"\x89PNG"
    assert "Balance-disruption curve" in res.output


def test_errors(quarter, tmp_path):
    res = _run("rezone", quarter["scenario"], "--previous", tmp_path / "nope", "--out", tmp_path / "x", "-q")
    assert res.exit_code == 2 and "does not exist" in res.output
    (tmp_path / "empty").mkdir()
    res = _run("rezone", quarter["scenario"], "--previous", tmp_path / "empty", "--out", tmp_path / "x", "-q")
    assert res.exit_code == 2 and "not a complete plan" in res.output
    res = _run("rezone", quarter["scenario"], "--previous", quarter["prev"], "--max-moved", "1.5", "-q")
    assert res.exit_code == 2 and "between 0 and 1" in res.output
    res = _run("rezone", quarter["scenario"], "--previous", quarter["prev"], "--out", quarter["prev"], "-q")
    assert res.exit_code == 2 and "never overwritten" in res.output


def test_previous_plan_of_another_scenario(quarter, tiny, tmp_path):
    other = run_scenario(load_scenario(tiny), out=tmp_path / "tiny-plan", with_baseline=False).folder
    res = _run("rezone", quarter["scenario"], "--previous", other, "--out", tmp_path / "x", "-q")
    assert res.exit_code == 2
    assert "none of the" in res.output and "previous plan" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "x").exists()


def test_read_previous_and_weekdays(quarter):
    prev = read_previous(quarter["prev"])
    assert prev.plan_id == quarter["prev"].name and prev.owner == quarter["owner"]
    loaded = load_scenario(quarter["scenario"])
    wd = previous_weekdays(prev, loaded)
    v = pd.read_csv(quarter["prev"] / "visits.csv", dtype=str)
    x = v["retailer_id"].iloc[0]
    days = pd.to_datetime(v.loc[v["retailer_id"] == x, "date"]).dt.day_of_week
    assert wd[x] == days.mode().min()  # Mon..Fri working days: weekday index == Python weekday


def test_parse_share():
    assert parse_share("0.1") == 0.1 and parse_share("10%") == pytest.approx(0.1) and parse_share("100 %") == 1.0
    for bad in ("-1", "2", "ten", "110%"):
        with pytest.raises(Exception, match="max-moved"):
            parse_share(bad)



def test_simulate_quarter(quarter, tmp_path):
    from planner.inputs.dataset import load_dataset
    from planner.inputs.synthetic import simulate_quarter

    src = quarter["prev"].parent / "q1"
    s = simulate_quarter(src, tmp_path / "q", seed=5, new_share=0.05, closed_share=0.05, class_change_share=0.1,
                         leave=1, join=2, previous_plan=quarter["prev"])
    ds = load_dataset(load_scenario(s))  # valid inputs: current managers all exist
    before = pd.read_csv(src / "retailers.csv", dtype=str)
    ids = set(ds.retailers["retailer_id"])
    assert len(ids - set(before["retailer_id"])) == round(0.05 * len(before))
    assert 0 < len(set(before["retailer_id"]) - ids) < 0.15 * len(before)
    m0 = set(pd.read_csv(src / "managers.csv", dtype=str)["manager_id"])
    m1 = set(ds.managers["manager_id"])
    assert len(m0 - m1) == 1 and len(m1 - m0) == 2

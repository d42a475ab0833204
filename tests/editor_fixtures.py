"""Plans to edit in the editor tests: a generated county (120 retailers, 4 managers in 2 teams,
markets and districts, a road network) with two retailers locked by the scenario's lock file, run
with the greedy calendar and an iteration limit."""

from __future__ import annotations

from pathlib import Path

LOCKS = {"R000001": "M002", "R000050": "M001"}


def make_region(folder: Path) -> Path:
    """The scenario of the editor tests (see the module docstring)."""
    from planner.inputs.synthetic import generate_region

    generate_region(n_retailers=120, n_managers=4, seed=3, out=folder, kind="county", n_teams=2)
    (folder / "locked.csv").write_text("retailer_id,manager_id\n" + "".join(f"{r},{m}\n" for r, m in LOCKS.items()),
                                       encoding="utf-8")
    s = folder / "scenario.yaml"
    text = s.read_text(encoding="utf-8")
    text = text.replace("  road_network: roads.graphml.gz\n", "  road_network: roads.graphml.gz\n  locked: locked.csv\n")
    text = text.replace("solver:\n  seed: 3", "schedule: {method: greedy}\nsolver:\n  seed: 3\n  territory_time_limit_s: 30\n"
                        "  max_iterations: 300")
    s.write_text(text, encoding="utf-8")
    return s


def make_plan(base: Path) -> tuple[Path, Path]:
    """(plan folder, store) of the editor tests' plan."""
    from planner.config.scenario import load_scenario
    from planner.workflows.run import run_scenario

    scenario = make_region(base / "region")
    plan = base / "plan"
    res = run_scenario(load_scenario(scenario), out=plan)
    assert res.validation.ok, res.validation.summary()
    store = base / "store"
    store.mkdir()
    return plan, store

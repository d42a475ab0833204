"""Quarterly re-zoning with a disruption budget: ``planner rezone SCENARIO --previous PLAN_DIR``.

The previous plan (its ``assignments.csv``, ``visits.csv`` and ``managers.csv``) is mapped onto the
current inputs of the scenario, which may differ from the previous plan's inputs:

* **new retailers** (in the current retailer file, not in the previous plan) are placed by the
  territory solver (they join the territory of a neighbour, then the search may move them);
* **closed retailers** (in the previous plan, not in the current file) are removed;
* **changed classes** are applied (workload and visit frequency follow the current class);
* **managers who left** (in the previous plan, not in the current managers file; vacant
  positions included) have their territory dissolved into the neighbouring territories;
* **managers who joined** (in the current managers file, not in the previous plan) get a new
  territory grown around their base: the retailers nearest to the base in travel time (locked
  retailers excepted) until the territory holds an equal share of the workload;
* **locked retailers** (``inputs.locked``) never move.

Then the territories are rebalanced by :func:`planner.design.territories.market_territories` (warm start from the
previous assignment) while at most ``max_moved`` of the retailers change manager, and the visit
calendars are rebuilt keeping each retailer's previous weekday where possible
(``previous_weekday`` and ``move_penalty`` of the calendar solver; the greedy method ignores
them). Re-zoning always designs one territory per manager of the current managers file, on one
level (all teams at once), whatever ``territories.method`` and ``territories.count`` say.

Budget accounting
-----------------
The budget is a share of the **continuing retailers** (in both the previous plan and the current
data), each weighted by its move weight (``key_weight`` for key-customer classes, 1 otherwise)::

    moved_share = sum(weight of continuing retailers moved for "rebalanced")
                  / sum(weight of continuing retailers)   <=  max_moved

Only discretionary moves count. **Forced** moves do not: retailers of a manager who left
(``manager left``), the retailers that form a joining manager's new territory
(``manager joined``) and retailers whose lock names another manager than before (``locked``).
New and closed retailers are not moves of a continuing retailer and do not count either. Both
numbers are reported: ``moved_share`` (against the budget) and ``total_moved_share`` (every
continuing retailer that changed manager, for any reason, unweighted).

``moves.csv`` lists every change: ``retailer_id, class, from_manager, to_manager, reason`` with
reasons ``new retailer`` (from empty), ``closed retailer`` (to empty), ``manager left``,
``manager joined``, ``locked`` and ``rebalanced``.

The balance-disruption curve (``--sweep``) re-solves the territories for several budgets and
schedules each (the scenario's calendar method, or the greedy method with ``quick``), writing
``disruption_curve.csv`` and ``disruption_curve.png`` into the plan folder. Its last row is the
plan designed from scratch (no previous plan), for reference.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from planner.config.scenario import LoadedScenario, parse_scenario
from planner.design.context import prepare
from planner.design.rezone import PreviousPlan, RezoneError, map_previous, rezone_territories
from planner.errors import (
    PlanExistsError,
    PlanFormatError,
    PlannerError,
    ProblemCollector,
    Progress,
)
from planner.inputs.dataset import load_dataset
from planner.inputs.tables import file_sha256
from planner.plan.model import Plan, read_plan
from planner.plan.moves import MoveStats, move_stats, rezone_summary
from planner.plan.register import snapshot_retailers
from planner.report import check_lang
from planner.report.plots import curve_png
from planner.validate import ValidationReport
from planner.workflows.curve import DEFAULT_SWEEP, curve_row, disruption_curve
from planner.workflows.pipeline import (
    add_baseline,
    administrative_baseline,
    build_plan,
    commit,
    target_folder,
)


def read_previous(folder: Path) -> PreviousPlan:
    """Read the previous plan folder (see :class:`PreviousPlan`); clear errors if it is unusable."""
    folder = Path(folder).expanduser()
    if not folder.exists():
        raise PlanFormatError(f"previous plan {folder} does not exist (give the plan folder written by "
                              "`planner run` or `planner rezone`)")
    if not folder.is_dir():
        raise PlanFormatError(f"previous plan {folder} is not a folder")
    folder = folder.resolve()
    plan = read_plan(folder)
    problems = ProblemCollector()
    a = plan.assignments
    roles = plan.managers["role"] if "role" in plan.managers.columns else None
    mids = [m for k, m in enumerate(plan.managers["manager_id"])
            if roles is None or roles.iat[k] != "specialist"]  # specialists own no territory
    known = set(mids)
    seen: set[str] = set()
    for k, (r, m) in enumerate(zip(a["retailer_id"], a["manager_id"], strict=True)):
        if r in seen:
            problems.add("assignments.csv", f"retailer {r!r} is assigned twice", row=k + 2, field="retailer_id")
        seen.add(r)
        if m not in known:
            problems.add("assignments.csv", f"manager {m!r} is not in managers.csv", row=k + 2, field="manager_id")
    problems.raise_if_any(PlanFormatError, f"{folder}: the previous plan is inconsistent")
    if not len(a):
        raise PlanFormatError(f"{folder}: the previous plan assigns no retailers")
    dates: dict[str, list[str]] = {}
    regular = plan.visits[plan.visits["kind"] != "specialist"] if "kind" in plan.visits.columns else plan.visits
    for r, d in zip(regular["retailer_id"], regular["date"], strict=True):
        dates.setdefault(r, []).append(str(d))
    vac = {m for m, v in zip(plan.managers["manager_id"], plan.managers["vacant"], strict=True)
           if str(v).strip().lower() == "true"}
    sha = hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest()
    return PreviousPlan(folder=folder, plan_id=folder.name, manifest_sha256=sha,
                        owner=dict(zip(a["retailer_id"], a["manager_id"], strict=True)),
                        managers=tuple(mids), vacant=frozenset(vac),
                        visit_dates={r: tuple(v) for r, v in dates.items()},
                        classes=_previous_classes(plan, folder), manifest=plan.manifest,
                        scenario_name=plan.manifest.get("scenario", {}).get("name"))


def _previous_classes(plan: Plan, folder: Path) -> dict[str, str]:
    """The classes of last quarter's retailers: from the register snapshot the previous plan
    names (whatever happened to the retailer file since); without one, from the previous input
    files only if they are unchanged (their sha256 in ``manifest.json``); otherwise a clear error,
    never a silent guess."""
    man = plan.manifest
    reg = man.get("register") or {}
    if reg.get("path") and Path(reg["path"]).is_file():
        snap = snapshot_retailers(Path(reg["path"]), int(reg["snapshot"]))
        return dict(zip(snap["retailer_id"].astype(str), snap["class"].fillna("").astype(str), strict=True))
    inputs = man.get("inputs") or {}
    changed = [f"{k} ({info.get('path')})" for k, info in sorted(inputs.items())
               if not Path(str(info.get("path", ""))).is_file() or file_sha256(Path(info["path"])) != info.get("sha256")]
    if changed or "retailers" not in inputs:
        where = (f"its register snapshot {reg.get('snapshot')} in {reg.get('path')} is gone" if reg
                 else "it has no register snapshot (it was made before the register)")
        raise RezoneError(
            f"cannot tell last quarter's retailers of {folder}: {where}, and its input files changed or are gone since "
            f"it was made: {', '.join(changed) or 'retailers'}. Restore those files (the sha256 values are in its "
            "manifest.json), or re-run the previous quarter's plan with its own files; from now on every plan keeps "
            "its retailer table in the register (register.sqlite in the plan store)")
    prev = parse_scenario(plan.scenario_text or "", Path(str((man.get("scenario") or {}).get("path", folder))))
    ds = load_dataset(prev)
    return dict(zip(ds.retailers["retailer_id"].astype(str), ds.retailers["class"].astype(str), strict=True))


@dataclass
class RezoneOutput:
    folder: Path
    plan: Plan
    stats: MoveStats
    summary: dict
    curve: pd.DataFrame | None
    validation: ValidationReport


def parse_share(value: str | float, name: str = "--max-moved") -> float:
    """``0.1``, ``10%`` or ``10 %`` -> 0.1; a share between 0 and 1 (100 %)."""
    s = str(value).strip()
    try:
        v = float(s.rstrip("%").strip()) / 100.0 if s.endswith("%") else float(s)
    except ValueError:
        raise PlannerError(f"{name} must be a share like 0.10 or 10%, got {value!r}") from None
    if not 0.0 <= v <= 1.0 or v != v:
        raise PlannerError(f"{name} must be between 0 and 1 (0 % and 100 %), got {value!r}")
    return v


def rezone(loaded: LoadedScenario, previous: Path, *, max_moved: float = 0.10, key_weight: float = 1.0,
           out: Path | None = None, seed: int | None = None, sweep: list[float] | None = None, quick: bool = False,
           weekday_penalty_s: float = 1200.0, with_baseline: bool = True, lang: str = "en",
           progress: Progress | None = None) -> RezoneOutput:
    """Re-zone ``loaded`` from the plan in ``previous`` and write the new plan folder.

    Parameters
    ----------
    max_moved:
        Disruption budget: weighted share of the continuing retailers allowed to change manager
        for rebalancing (forced moves excluded, see the module docstring).
    key_weight:
        Move weight of key customers (``key_classes``); others weigh 1.
    sweep:
        Budgets of the balance-disruption curve (``None``: no curve).
    quick:
        Schedule the curve's plans with the greedy method (the plan itself uses the scenario's).
    weekday_penalty_s:
        Calendar cost of a retailer no longer visited on its previous weekday, in seconds of travel.
    lang:
        Language of ``report.html``/``report.xlsx`` (as ``planner run``); a plan written into the
        scenario's store is sealed read-only like any stored plan.
    """
    check_lang(lang)
    progress = progress or Progress()
    if key_weight <= 0:
        raise PlannerError(f"--key-weight must be positive, got {key_weight:g}")
    if weekday_penalty_s < 0:
        raise PlannerError("the weekday penalty must be >= 0")
    t_all = time.perf_counter()
    progress.step(f"Reading the previous plan {previous}")
    prev = read_previous(previous)
    ctx = prepare(loaded, seed=seed, progress=progress)
    folder = target_folder(loaded, ctx.seed, out, kind="rezone")
    if folder.resolve() == prev.folder:
        raise PlanExistsError("the new plan folder cannot be the previous plan's folder")
    setup = map_previous(ctx, prev, key_weight=key_weight)
    share = setup.continuing.mean()
    if share < 0.5:
        progress.warn(f"only {100 * share:.0f} % of the retailers are in the previous plan {prev.plan_id}")
    if prev.scenario_name and prev.scenario_name != loaded.scenario.name:
        progress.warn(f"the previous plan was made for scenario {prev.scenario_name!r}, this is {loaded.scenario.name!r}")
    for m in setup.managers_left:
        progress.warn(f"manager {m} left: the territory is dissolved into its neighbours")
    for m in setup.managers_joined:
        progress.warn(f"manager {m} joined: a new territory is grown around the base")

    progress.step(f"Re-zoning with a disruption budget of {100 * max_moved:g} %")
    t = time.perf_counter()
    terr = rezone_territories(ctx, setup, max_moved=max_moved)
    ctx.timings["territories_s"] = time.perf_counter() - t
    penalty = float(weekday_penalty_s)
    plan = build_plan(ctx, terr, kind="plan", previous_weekday=setup.weekday, move_penalty=penalty)
    stats = move_stats(ctx, prev, setup, terr)
    summary = rezone_summary(ctx, prev, setup, terr, plan, stats, max_moved=max_moved, key_weight=key_weight,
                             penalty=penalty)
    if summary["empty_territories"]:
        progress.warn(f"managers without retailers: {', '.join(summary['empty_territories'])}")
    if not summary["within_budget"]:
        progress.warn(f"moved share {100 * stats.moved_share:.1f} % exceeds the budget of {100 * max_moved:g} %")
    plan.kpis["rezone"] = summary
    plan.manifest["previous_plan"] = prev.record()
    plan.manifest["rezone"] = {k: summary[k] for k in ("max_moved", "key_weight", "weekday_penalty_s", "accounting")}
    plan.extra_files["moves.csv"] = stats.moves.to_csv(index=False).encode("utf-8")

    curve = None
    if sweep:
        curve = disruption_curve(ctx, prev, setup, sweep, quick=quick, penalty=penalty,
                                 reuse={(round(max_moved, 6), "scenario"): curve_row(
                                     "", max_moved, summary, plan, terr, time.perf_counter() - t)}
                                 if not quick else None)
        plan.extra_files["disruption_curve.csv"] = curve.to_csv(index=False).encode("utf-8")
        plan.extra_files["disruption_curve.png"] = curve_png(curve, f"{loaded.scenario.name}: re-zoning from {prev.plan_id}")

    if with_baseline:
        add_baseline(ctx, plan, administrative_baseline(ctx))
    plan.manifest["timings_s"]["total_s"] = round(time.perf_counter() - t_all, 3)
    done = commit(ctx, plan, folder, lang=lang, progress=progress, job="rezone")
    return RezoneOutput(done.folder, plan, stats, summary, curve, done.validation)


def summary_json(summary: dict) -> str:
    return json.dumps(summary, indent=2, ensure_ascii=False, default=str)


__all__ = ["rezone", "read_previous", "RezoneOutput", "RezoneError", "parse_share", "summary_json", "DEFAULT_SWEEP",
           "PreviousPlan"]

"""Opening a plan folder for editing: its scenario and inputs re-read, the design context built
as the run built it, and the plan's owners (managers and vacant positions) and assignment.

The plan is edited against the inputs it was made from: the scenario is the folder's
``scenario.yaml`` parsed as if it stood where ``manifest.json`` says it stood (relative input
paths resolve as in the run), and every input file the manifest lists must still hash the same
(otherwise the plan is refused with a pointer to ``planner rezone``, which plans against changed
inputs). A scenario without ``calendar.start_date`` gets the plan's own start date, so kept
calendars keep their dates.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from planner.config.scenario import LoadedScenario, parse_clock, parse_scenario
from planner.design.context import Context, adjacency, prepare
from planner.design.rezone import PreviousPlan
from planner.design.territories import Slot, manager_slots
from planner.errors import PlannerError, Progress
from planner.inputs.tables import file_sha256
from planner.plan.model import Plan, read_plan
from planner.plan.store import store_of
from planner.workflows.rezone import read_previous


class EditorError(PlannerError):
    """A request the editor refuses; ``status`` is the HTTP status the API answers with."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Source:
    """An opened plan: what every edit, figure, re-optimisation and save starts from."""

    folder: Path
    plan: Plan
    previous: PreviousPlan  # the plan's identity (id, manifest sha256) and visit dates
    ctx: Context
    slots: list[Slot]  # managers.csv order: the input managers and any vacant positions
    owner: np.ndarray  # (R,) slot index per retailer (input order)
    store: Path  # where saved plans go

    @property
    def plan_id(self) -> str:
        return self.previous.plan_id

    @property
    def retailer_ids(self) -> np.ndarray:
        return self.ctx.ds.retailers["retailer_id"].to_numpy().astype(str)


def check_inputs_unchanged(plan: Plan, folder: Path) -> None:
    """Refuse a plan whose input files changed or disappeared since it was made."""
    listed = plan.manifest.get("inputs") or {}
    if not listed:
        raise EditorError(f"{folder}: manifest.json lists no input files; the plan cannot be edited", 400)
    for key, info in sorted(listed.items()):
        path = Path(str(info.get("path", "")))
        if not path.is_file():
            raise EditorError(f"input file {path} ({key}) of plan {folder.name} no longer exists", 400)
        if file_sha256(path) != info.get("sha256"):
            raise EditorError(
                f"input file {path} ({key}) changed since plan {folder.name} was made: a plan is edited against "
                "the inputs it was made from. Re-plan against the new inputs with: planner rezone SCENARIO "
                f"--previous {folder}", 400)


def scenario_of(plan: Plan, folder: Path) -> LoadedScenario:
    """The plan's scenario as it was run (its start date fixed to the plan's when the file has none)."""
    if plan.scenario_text is None:
        raise EditorError(f"{folder} has no scenario.yaml: it cannot be edited", 400)
    where = Path(str((plan.manifest.get("scenario") or {}).get("path") or (folder / "scenario.yaml")))
    loaded = parse_scenario(plan.scenario_text, where if where.is_absolute() else folder / where)
    cal = loaded.scenario.calendar
    if cal.start_date is None and plan.manifest.get("start_date"):
        start = dt.date.fromisoformat(str(plan.manifest["start_date"]))
        sc = loaded.scenario.model_copy(update={"calendar": cal.model_copy(update={"start_date": start})})
        loaded = LoadedScenario(sc, loaded.path, loaded.text)
    return loaded


def plan_slots(ctx: Context, plan: Plan) -> list[Slot]:
    """The owners of ``plan``'s territories in managers.csv order: input managers as the run made
    them, vacant positions with their base at the retailer they stand on and the calendar's shift."""
    by_id = {s.manager_id: s for s in manager_slots(ctx)}
    r = ctx.ds.retailers
    lon, lat = r["lon"].to_numpy(float), r["lat"].to_numpy(float)
    cal = ctx.loaded.scenario.calendar
    out: list[Slot] = []
    roles = plan.managers["role"] if "role" in plan.managers.columns else ["manager"] * len(plan.managers)
    for mid, team, mlon, mlat, vac, role in zip(plan.managers["manager_id"].astype(str),
                                                plan.managers["team"].astype(str), plan.managers["lon"],
                                                plan.managers["lat"], plan.managers["vacant"], roles, strict=True):
        if role == "specialist":  # no territory: the save plans the specialists' calendars again
            continue
        if mid in by_id:
            out.append(by_id[mid])
        elif str(vac).strip().lower() == "true":
            near = int(np.argmin(np.abs(lon - mlon) + np.abs(lat - mlat)))
            out.append(Slot(mid, team, near, float(mlon), float(mlat), parse_clock(cal.shift.start),
                            parse_clock(cal.shift.end), cal.max_visits_per_day, True))
        else:
            raise EditorError(f"manager {mid} of the plan is not in the managers input", 400)
    missing = sorted(set(by_id) - {s.manager_id for s in out})
    if missing:
        raise EditorError(f"managers {', '.join(missing)} of the inputs are missing from the plan", 400)
    return out


def open_plan(folder: Path, *, store: Path | None = None, progress: Progress | None = None) -> Source:
    """Open the plan in ``folder`` for editing (see the module docstring)."""
    folder = Path(folder).expanduser()
    if not (folder / "manifest.json").is_file():
        raise EditorError(f"{folder} is not a plan folder (no manifest.json)", 400)
    folder = folder.resolve()
    plan = read_plan(folder)
    previous = read_previous(folder)
    check_inputs_unchanged(plan, folder)
    loaded = scenario_of(plan, folder)
    seed = plan.manifest.get("seed")
    ctx = prepare(loaded, seed=None if seed is None else int(seed), progress=progress or Progress())
    adjacency(ctx)  # built once, before any worker thread needs it
    slots = plan_slots(ctx, plan)
    index = {s.manager_id: k for k, s in enumerate(slots)}
    rid = ctx.ds.retailers["retailer_id"].to_numpy().astype(str)
    owner_id = dict(zip(plan.assignments["retailer_id"].astype(str), plan.assignments["manager_id"].astype(str),
                        strict=True))
    lacking = [x for x in rid if x not in owner_id]
    if lacking or len(owner_id) != len(rid):
        raise EditorError(f"plan {folder.name} does not assign the retailers of its inputs "
                          f"({len(lacking)} missing, {len(owner_id)} assigned for {len(rid)})", 400)
    owner = np.array([index[owner_id[x]] for x in rid], dtype=np.int64)
    store = Path(store).resolve() if store is not None else store_of(loaded)
    return Source(folder=folder, plan=plan, previous=previous, ctx=ctx, slots=slots, owner=owner, store=store)


def with_progress(ctx: Context, progress: Progress) -> Context:
    """``ctx`` sharing everything but its progress hooks (a background job reports its own)."""
    return dataclasses.replace(ctx, progress=progress)

"""Re-zoning from a previous plan, the design side: the previous plan mapped onto the current
inputs (new and closed retailers, managers who left or joined, locks, move weights), and the
territories rebalanced from it under a disruption budget.

See :mod:`planner.workflows.rezone` for the job and the budget accounting. The previous plan
comes in as a :class:`PreviousPlan` (read from its folder by the workflow).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from planner.config.scenario import WEEKDAYS, LoadedScenario
from planner.design.context import Context, adjacency
from planner.design.territories import Territories, manager_slots, market_territories
from planner.errors import PlannerError
from solvers.territory import cut_off_parts, grow_territory, place_free


class RezoneError(PlannerError):
    """The previous plan cannot be used to re-zone this scenario."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PreviousPlan:
    """What re-zoning needs from a previous plan folder."""

    folder: Path
    plan_id: str  # the folder name
    manifest_sha256: str
    owner: dict[str, str]  # retailer_id -> manager_id
    managers: tuple[str, ...]  # manager ids in the plan (vacant positions included)
    vacant: frozenset[str]
    visit_dates: dict[str, tuple[str, ...]]  # retailer_id -> dates of its visits (ISO)
    classes: dict[str, str]  # retailer_id -> class in the previous inputs, where they can still be read
    manifest: dict
    scenario_name: str | None

    def record(self) -> dict:
        """The previous plan's identity, as recorded in the new plan's manifest."""
        return {"id": self.plan_id, "path": str(self.folder), "manifest_sha256": self.manifest_sha256,
                "created": self.manifest.get("created"), "scenario": self.scenario_name}


def previous_weekdays(prev: PreviousPlan, loaded: LoadedScenario) -> dict[str, int]:
    """Each retailer's most frequent weekday in the previous calendar, as an index into the current
    ``calendar.working_days`` (the calendar solver's ``day_index % days_per_week``); retailers whose
    weekday is no longer a working day are left out. Ties go to the earliest visit."""
    working = list(loaded.scenario.calendar.working_days)
    out: dict[str, int] = {}
    for r, dates in prev.visit_dates.items():
        names = []
        for d in sorted(dates):
            try:
                names.append(WEEKDAYS[dt.date.fromisoformat(d).weekday()])
            except ValueError:
                continue
        counts = Counter(n for n in names if n in working)
        if counts:
            best = max(counts.values())
            name = next(n for n in names if counts.get(n) == best)
            out[r] = working.index(name)
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class RezoneSetup:
    """The previous plan on the current data: warm start, forced moves and move weights.

    ``initial`` is the slot per current retailer that the territory solver starts from and
    measures moves against: the previous manager, the joining manager for the retailers of a new
    territory, the lock for a re-locked retailer; new retailers and retailers of managers who left
    start in a neighbouring territory (the least loaded one, see :func:`solvers.territory.place_free`) and have
    solver move weight 0 (``solver_weights``): the solver may move them again for free.
    ``prev_owner`` is the previous manager per current retailer ("" if new); ``forced`` the reason
    of a forced change ("" if none).
    """

    slots: list
    initial: np.ndarray
    prev_owner: np.ndarray  # (R,) object
    forced: np.ndarray  # (R,) object: "", "manager left", "manager joined", "locked"
    weights: np.ndarray  # (R,) move weights
    solver_weights: np.ndarray  # (R,) move weights given to the solver: 0 for free retailers
    continuing: np.ndarray  # (R,) bool: in the previous plan too
    solver_max_moved_scale: float  # budget share of continuing weight -> share of the solver's reference
    managers_kept: tuple[str, ...]
    managers_left: tuple[str, ...]
    managers_joined: tuple[str, ...]
    new_retailers: int
    closed: tuple[str, ...]  # retailer ids
    class_changed: int | None
    weekday: dict[str, int] = field(default_factory=dict)


def map_previous(ctx: Context, prev: PreviousPlan, *, key_weight: float = 1.0) -> RezoneSetup:
    """Build the :class:`RezoneSetup` (see the module docstring for the rules)."""
    sc = ctx.loaded.scenario
    r = ctx.ds.retailers
    rid = r["retailer_id"].to_numpy().astype(str)
    R = len(rid)
    slots = manager_slots(ctx)
    index = {s.manager_id: k for k, s in enumerate(slots)}
    prev_owner = np.array([prev.owner.get(x, "") for x in rid], dtype=object)
    continuing = prev_owner != ""
    if not continuing.any():
        raise RezoneError(
            f"none of the {R} retailers of the scenario is in the previous plan {prev.folder} "
            f"({len(prev.owner)} retailers, scenario {prev.scenario_name!r}): is it a plan of another region? "
            "Re-zoning needs the previous plan of the same retailers (run `planner run` for a first plan).")
    cur_ids = set(rid)
    closed = tuple(sorted(x for x in prev.owner if x not in cur_ids))
    kept = tuple(m for m in prev.managers if m in index)
    left = tuple(m for m in prev.managers if m not in index)
    prev_set = set(prev.managers)
    joined = tuple(s.manager_id for s in slots if s.manager_id not in prev_set)
    initial = np.array([index.get(m, -1) for m in prev_owner], dtype=np.int64)
    forced = np.full(R, "", dtype=object)
    forced[continuing & (initial < 0)] = "manager left"
    # locks naming another manager than before: forced, and the solver's reference
    rix = {x: i for i, x in enumerate(rid)}
    locked = np.zeros(R, dtype=bool)
    for x, m in sorted(ctx.ds.locked.items()):
        i = rix.get(x)
        if i is None or m not in index:
            continue
        locked[i] = True
        if continuing[i] and initial[i] >= 0 and initial[i] != index[m]:
            forced[i] = "locked"
        initial[i] = index[m]
    nbrs: list[list[int]] = [[] for _ in range(R)]  # the territory-design adjacency graph
    if joined or (initial < 0).any():
        for a_, b_ in adjacency(ctx).tolist():
            nbrs[a_].append(b_)
            nbrs[b_].append(a_)
    # joining managers: a territory grown around the base, an equal share of the workload
    if joined:
        wl = ctx.work.total_s.astype(float)
        target = float(wl.sum()) / max(len(slots), 1)
        taken = locked.copy()
        for m in joined:
            k = index[m]
            t = ctx.travel.soft.from_sources(np.array([slots[k].base_loc]))[0, :R].astype(float)
            before = initial.copy()
            seed = grow_territory(t, nbrs, taken, wl, target, initial)
            taken[seed] = True
            initial[seed] = k
            # parts of other territories the new one cuts off from them join it too
            for j in np.unique(before[before >= 0]).tolist():
                for part in cut_off_parts(before, initial, j, nbrs):
                    if any(initial[v] == k for u in part for v in nbrs[u]) and not locked[part].any():
                        initial[part] = k
                        taken[part] = True
            moved = continuing & (initial == k) & (before != k) & (forced == "")
            forced[moved] = "manager joined"
    key = r["class"].isin(sc.key_class_set).to_numpy()
    weights = np.where(key, float(key_weight), 1.0)
    # new retailers and those of managers who left: placed by balance now, free to move later
    free = initial < 0
    solver_weights = np.where(free, 0.0, weights)
    if free.any():
        bases = np.array([s.base_loc for s in slots])
        initial = place_free(initial, nbrs, ctx.work.total_s.astype(float), len(slots),
                             lambda units: ctx.travel.soft.to_targets(bases)[units])
    w_cont = float(weights[continuing].sum())
    w_ref = float(solver_weights[initial >= 0].sum())  # the solver's reference: every retailer with a start slot
    class_changed = None
    if prev.classes:
        cls = r["class"].to_numpy().astype(str)
        class_changed = int(sum(1 for i in np.flatnonzero(continuing)
                                if rid[i] in prev.classes and prev.classes[rid[i]] != cls[i]))
    return RezoneSetup(slots=slots, initial=initial, prev_owner=prev_owner, forced=forced, weights=weights,
                       solver_weights=solver_weights,
                       continuing=continuing, solver_max_moved_scale=(w_cont / w_ref) if w_ref > 0 else 1.0,
                       managers_kept=kept, managers_left=left, managers_joined=joined,
                       new_retailers=int((~continuing).sum()), closed=closed, class_changed=class_changed,
                       weekday=previous_weekdays(prev, ctx.loaded))






def rezone_territories(ctx: Context, setup: RezoneSetup, *, max_moved: float | None,
                       locked: dict[str, str] | None = None) -> Territories:
    """Rebalanced territories from the previous plan, at most ``max_moved`` (budget share) moved.

    The solver measures moves against ``setup.initial``, weighted by ``setup.solver_weights``
    (0 for new retailers and those of managers who left); the budget share is rescaled so that it
    is a share of the continuing retailers' weight (forced moves and new retailers are free).
    ``locked`` replaces the scenario's locks (see :func:`market_territories`)."""
    solver_budget = None
    if max_moved is not None and max_moved < 1.0:
        solver_budget = min(1.0, max(0.0, float(max_moved)) * setup.solver_max_moved_scale)
    has_ref = setup.initial >= 0
    initial = setup.initial if has_ref.any() else None
    terr = market_territories(ctx, slots=list(setup.slots), initial=initial, max_moved=solver_budget,
                              move_weights=setup.solver_weights, locked=locked)
    terr.method = terr.method.replace("market territories", "re-zoned territories", 1) + \
        (f", disruption budget {100 * max_moved:g} %" if solver_budget is not None else ", no disruption budget")
    return terr


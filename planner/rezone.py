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

Then the territories are rebalanced by :func:`planner.run.market_territories` (warm start from the
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

import datetime as dt
import hashlib
import io
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner import run as runmod
from planner.errors import PlanExistsError, PlanFormatError, PlannerError, ProblemCollector
from planner.plan import Plan, read_plan
from planner.scenario import WEEKDAYS, LoadedScenario
from solvers.territory import cut_off_parts, grow_territory, place_free

MOVE_COLUMNS = ["retailer_id", "class", "from_manager", "to_manager", "reason"]
REASONS = ("new retailer", "closed retailer", "manager left", "manager joined", "locked", "rebalanced")
FORCED = ("manager left", "manager joined", "locked")
DEFAULT_SWEEP = (0.0, 0.02, 0.05, 0.10, 0.15, 0.20, 0.30, 1.0)
CURVE_COLUMNS = ["label", "max_moved", "moved_share", "moved", "forced_moves", "total_moved_share", "imbalance",
                 "design_imbalance", "travel_share", "compactness_min", "unplanned_visits", "weekday_kept_share",
                 "within_budget", "territory_status", "schedule", "runtime_s"]


class RezoneError(PlannerError):
    """The previous plan cannot be used to re-zone this scenario."""


# --- the previous plan ----------------------------------------------------------------------------

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
    mids = list(plan.managers["manager_id"])
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
    for r, d in zip(plan.visits["retailer_id"], plan.visits["date"], strict=True):
        dates.setdefault(r, []).append(str(d))
    vac = {m for m, v in zip(plan.managers["manager_id"], plan.managers["vacant"], strict=True)
           if str(v).strip().lower() == "true"}
    sha = hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest()
    return PreviousPlan(folder=folder, plan_id=folder.name, manifest_sha256=sha,
                        owner=dict(zip(a["retailer_id"], a["manager_id"], strict=True)),
                        managers=tuple(mids), vacant=frozenset(vac),
                        visit_dates={r: tuple(v) for r, v in dates.items()},
                        classes=_previous_classes(plan), manifest=plan.manifest,
                        scenario_name=plan.manifest.get("scenario", {}).get("name"))


def _previous_classes(plan: Plan) -> dict[str, str]:
    """Classes of the previous inputs, if the previous retailer file can still be read (else {})."""
    from planner.datasets import RETAILER_ALIASES, read_table

    info = plan.manifest.get("inputs", {}).get("retailers", {})
    path = Path(info.get("path", ""))
    if not info or not path.is_file():
        return {}
    try:
        import yaml

        sc = yaml.safe_load(plan.scenario_text or "") or {}
        inp = sc.get("inputs", {}) if isinstance(sc, dict) else {}
        cols = inp.get("columns", {}) or {}
        raw = read_table(path, encoding=inp.get("encoding", "auto"), layer=inp.get("layer"))
        lower = {c.lower(): c for c in raw.frame.columns}

        def col(canon: str) -> str | None:
            if canon in cols:
                return cols[canon] if cols[canon] in raw.frame.columns else None
            return next((lower[n.lower()] for n in RETAILER_ALIASES[canon] if n.lower() in lower), None)

        rc, cc = col("retailer_id"), col("class")
        if rc is None or cc is None:
            return {}
        return dict(zip(raw.frame[rc].astype(str), raw.frame[cc].astype(str), strict=True))
    except Exception:  # best effort: the class of a closed retailer is then left empty
        return {}


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


# --- mapping the previous plan onto the current data ------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class RezoneSetup:
    """The previous plan on the current data: warm start, forced moves and move weights.

    ``initial`` is the slot per current retailer that the territory solver starts from and
    measures moves against: the previous manager, the joining manager for the retailers of a new
    territory, the lock for a re-locked retailer; new retailers and retailers of managers who left
    start in a neighbouring territory (the least loaded one, see :func:`place_free`) and have
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


def map_previous(ctx: runmod.Context, prev: PreviousPlan, *, key_weight: float = 1.0) -> RezoneSetup:
    """Build the :class:`RezoneSetup` (see the module docstring for the rules)."""
    sc = ctx.loaded.scenario
    r = ctx.ds.retailers
    rid = r["retailer_id"].to_numpy().astype(str)
    R = len(rid)
    slots = runmod.manager_slots(ctx)
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
        for a_, b_ in runmod.adjacency(ctx).tolist():
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


# --- territories ----------------------------------------------------------------------------------

def rezone_territories(ctx: runmod.Context, setup: RezoneSetup, *, max_moved: float | None) -> runmod.Territories:
    """Rebalanced territories from the previous plan, at most ``max_moved`` (budget share) moved.

    The solver measures moves against ``setup.initial``, weighted by ``setup.solver_weights``
    (0 for new retailers and those of managers who left); the budget share is rescaled so that it
    is a share of the continuing retailers' weight (forced moves and new retailers are free)."""
    solver_budget = None
    if max_moved is not None and max_moved < 1.0:
        solver_budget = min(1.0, max(0.0, float(max_moved)) * setup.solver_max_moved_scale)
    has_ref = setup.initial >= 0
    initial = setup.initial if has_ref.any() else None
    terr = runmod.market_territories(ctx, slots=list(setup.slots), initial=initial, max_moved=solver_budget,
                                     move_weights=setup.solver_weights)
    terr.method = terr.method.replace("market territories", "re-zoned territories", 1) + \
        (f", disruption budget {100 * max_moved:g} %" if solver_budget is not None else ", no disruption budget")
    return terr


@dataclass(frozen=True, slots=True, kw_only=True)
class MoveStats:
    """Moves of a re-zoned plan against the previous plan (see the module docstring)."""

    moves: pd.DataFrame  # MOVE_COLUMNS
    moved: int  # continuing retailers moved for "rebalanced" (counted against the budget)
    moved_share: float  # weighted share of the continuing retailers (the budget measure)
    moved_share_unweighted: float
    forced_moves: int  # continuing retailers moved for a forced reason
    total_moved: int  # continuing retailers with another manager, any reason
    total_moved_share: float  # total_moved / continuing retailers
    by_reason: dict[str, int]
    continuing: int


def move_stats(ctx: runmod.Context, prev: PreviousPlan, setup: RezoneSetup, terr: runmod.Territories) -> MoveStats:
    """``moves.csv`` and the move counts of territories ``terr``."""
    r = ctx.ds.retailers
    rid = r["retailer_id"].to_numpy().astype(str)
    cls = r["class"].to_numpy().astype(str)
    final = np.array([terr.slots[k].manager_id for k in terr.owner], dtype=object)
    reason = np.full(len(rid), "", dtype=object)
    cont = setup.continuing
    changed = cont & (final != setup.prev_owner)
    reason[~cont] = "new retailer"
    forced_target = np.array([setup.slots[k].manager_id if k >= 0 else "" for k in setup.initial], dtype=object)
    f = setup.forced
    is_forced = changed & ((f == "manager left") | ((f != "") & (final == forced_target)))
    reason[is_forced] = f[is_forced]
    reason[changed & ~is_forced] = "rebalanced"
    rows = pd.DataFrame({"retailer_id": rid, "class": cls,
                         "from_manager": np.where(cont, setup.prev_owner, ""), "to_manager": final, "reason": reason})
    rows = rows[rows["reason"] != ""]
    closed = pd.DataFrame({"retailer_id": list(setup.closed), "class": [prev.classes.get(x, "") for x in setup.closed],
                           "from_manager": [prev.owner[x] for x in setup.closed], "to_manager": "",
                           "reason": "closed retailer"})
    moves = pd.concat([rows, closed], ignore_index=True) if len(closed) else rows.reset_index(drop=True)
    moves = moves.sort_values("retailer_id", kind="stable").reset_index(drop=True)[MOVE_COLUMNS]
    counted = changed & ~is_forced
    w_cont = float(setup.weights[cont].sum())
    n_cont = int(cont.sum())
    by = {k: int(v) for k, v in moves["reason"].value_counts().sort_index().items()}
    return MoveStats(moves=moves, moved=int(counted.sum()),
                     moved_share=float(setup.weights[counted].sum()) / w_cont if w_cont else 0.0,
                     moved_share_unweighted=float(counted.sum()) / n_cont if n_cont else 0.0,
                     forced_moves=int(is_forced.sum()), total_moved=int(changed.sum()),
                     total_moved_share=float(changed.sum()) / n_cont if n_cont else 0.0,
                     by_reason=by, continuing=n_cont)


def design_imbalance(ctx: runmod.Context, terr: runmod.Territories) -> float | None:
    """Imbalance of the workload measure the territories are balanced on (``ctx.work.total_s``,
    service + estimated access per visit): max over managers / mean - 1."""
    h = np.bincount(terr.owner, weights=ctx.work.total_s.astype(float), minlength=len(terr.slots))
    return float(h.max() / h.mean() - 1.0) if len(h) and h.mean() > 0 else None


def weekday_kept(ctx: runmod.Context, plan: Plan, setup: RezoneSetup) -> dict[str, float | int | None]:
    """Share of retailers with a previous weekday that are still visited on it (at least once).

    ``all``: every such retailer that is visited in the new plan; ``same_manager``: those that
    kept their manager (the weekday is the manager's habit with the customer)."""
    dpw = len(ctx.loaded.scenario.calendar.working_days)
    new_wd: dict[str, set[int]] = {}
    for x, d in zip(plan.visits["retailer_id"], plan.visits["day_index"], strict=True):
        new_wd.setdefault(str(x), set()).add(int(d) % dpw)
    a = plan.assignments
    final = dict(zip(a["retailer_id"], a["manager_id"], strict=True))
    rid = ctx.ds.retailers["retailer_id"].to_numpy().astype(str)
    n_all = k_all = n_same = k_same = 0
    for i, x in enumerate(rid):
        wd = setup.weekday.get(x)
        if wd is None or not setup.continuing[i] or x not in new_wd:
            continue
        kept = wd in new_wd[x]
        n_all += 1
        k_all += kept
        if final.get(x) == setup.prev_owner[i]:
            n_same += 1
            k_same += kept
    return {"retailers": n_all, "kept": k_all, "share": k_all / n_all if n_all else None,
            "same_manager_retailers": n_same, "same_manager_kept": k_same,
            "same_manager_share": k_same / n_same if n_same else None}


# --- the whole job ---------------------------------------------------------------------------------

@dataclass
class RezoneOutput:
    folder: Path
    plan: Plan
    stats: MoveStats
    summary: dict
    curve: pd.DataFrame | None
    validation: object


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


def default_folder(loaded: LoadedScenario, seed: int) -> Path:
    store = loaded.resolve(loaded.scenario.output.folder)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    slug = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in loaded.path.stem)
    base = store / f"{stamp}-{slug}-rezone-seed{seed}"
    folder, n = base, 1
    while folder.exists():
        n += 1
        folder = Path(f"{base}-{n}")
    return folder


def rezone(loaded: LoadedScenario, previous: Path, *, max_moved: float = 0.10, key_weight: float = 1.0,
           out: Path | None = None, seed: int | None = None, sweep: list[float] | None = None, quick: bool = False,
           weekday_penalty_s: float = 1200.0, with_baseline: bool = True, lang: str = "en",
           progress: runmod.Progress | None = None) -> RezoneOutput:
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
    from planner.kpis import comparison
    from planner.plan import write_plan
    from planner.report import check_lang, reports_for_run
    from planner.store import in_store, seal
    from planner.validate import validate_folder

    check_lang(lang)
    progress = progress or runmod.Progress()
    if key_weight <= 0:
        raise PlannerError(f"--key-weight must be positive, got {key_weight:g}")
    if weekday_penalty_s < 0:
        raise PlannerError("the weekday penalty must be >= 0")
    t_all = time.perf_counter()
    progress.step(f"Reading the previous plan {previous}")
    prev = read_previous(previous)
    ctx = runmod.prepare(loaded, seed=seed, progress=progress)
    folder = Path(out) if out is not None else default_folder(loaded, ctx.seed)
    if folder.exists() and any(folder.iterdir()):
        raise PlanExistsError(f"{folder} already exists; plans are never overwritten. Choose another --out folder.")
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
    plan = runmod.build_plan(ctx, terr, kind="plan", previous_weekday=setup.weekday, move_penalty=penalty)
    stats = move_stats(ctx, prev, setup, terr)
    summary = _summary(ctx, prev, setup, terr, plan, stats, max_moved=max_moved, key_weight=key_weight,
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
                                 reuse={(round(max_moved, 6), "scenario"): _curve_row(
                                     "", max_moved, summary, plan, terr, time.perf_counter() - t)}
                                 if not quick else None)
        plan.extra_files["disruption_curve.csv"] = curve.to_csv(index=False).encode("utf-8")
        plan.extra_files["disruption_curve.png"] = curve_png(curve, f"{loaded.scenario.name}: re-zoning from {prev.plan_id}")

    if with_baseline:
        admin = runmod.administrative_territories(ctx)
        admin.estimated_hours = runmod.estimated_workload(ctx, admin)
        baseline = runmod.build_plan(ctx, admin, kind="baseline")
        baseline.manifest["kind"] = "baseline"
        plan.sub_plans["baseline"] = baseline
        plan.kpis["baseline"] = {"global": baseline.kpis["global"], "method": admin.method}
        plan.kpis["comparison"] = comparison(plan.kpis, baseline.kpis)
    plan.manifest["timings_s"]["total_s"] = round(time.perf_counter() - t_all, 3)

    progress.step("Writing and validating the plan")
    report: dict = {}

    def check(tmp: Path) -> None:
        rep = validate_folder(tmp, loaded=loaded, ctx=ctx, label=str(folder.resolve()))
        report["v"] = rep
        (tmp / "validation.json").write_text(rep.to_json(), encoding="utf-8")
        if "baseline" in plan.sub_plans:
            sub = validate_folder(tmp / "baseline", loaded=loaded, ctx=ctx, label=str(folder.resolve() / "baseline"))
            (tmp / "baseline" / "validation.json").write_text(sub.to_json(), encoding="utf-8")
            rep.merge_sub("baseline", sub)
            (tmp / "validation.json").write_text(rep.to_json(), encoding="utf-8")
        reports_for_run(tmp, ctx=ctx, lang=lang, label=folder.name, warn=progress.warn)

    folder = write_plan(plan, folder, before_commit=check)
    if in_store(folder, loaded):
        seal(folder)
    return RezoneOutput(folder, plan, stats, summary, curve, report.get("v"))


def _summary(ctx, prev: PreviousPlan, setup: RezoneSetup, terr, plan: Plan, stats: MoveStats, *, max_moved: float,
             key_weight: float, penalty: float) -> dict:
    viol = [v for lv in terr.details.get("levels", []) for v in lv.get("violations", [])]
    wk = weekday_kept(ctx, plan, setup)
    return {
        "previous_plan": prev.plan_id,
        "max_moved": max_moved,
        "key_weight": key_weight,
        "weekday_penalty_s": penalty,
        "accounting": ("moved_share = weighted share of continuing retailers moved for rebalancing; forced moves "
                       "(manager left, manager joined, locked) and new/closed retailers are not counted"),
        "moved": stats.moved,
        "moved_share": stats.moved_share,
        "moved_share_unweighted": stats.moved_share_unweighted,
        "within_budget": bool(stats.moved_share <= max_moved + 1e-9),
        "forced_moves": stats.forced_moves,
        "total_moved": stats.total_moved,
        "total_moved_share": stats.total_moved_share,
        "moves_by_reason": stats.by_reason,
        "retailers": {"continuing": stats.continuing, "new": setup.new_retailers, "closed": len(setup.closed),
                      "class_changed": setup.class_changed},
        "managers": {"kept": list(setup.managers_kept), "left": list(setup.managers_left),
                     "joined": list(setup.managers_joined)},
        "design_imbalance": design_imbalance(ctx, terr),
        "empty_territories": [s.manager_id for k, s in enumerate(terr.slots) if not (terr.owner == k).any()],
        "imbalance": plan.kpis["global"].get("imbalance"),
        "travel_share": plan.kpis["global"].get("travel_share"),
        "weekday_kept": wk,
        "territory_violations": viol,
    }


# --- the balance-disruption curve ---------------------------------------------------------------

def _curve_row(label: str, budget: float | None, summary: dict, plan: Plan, terr, runtime: float) -> dict:
    g = plan.kpis["global"]
    levels = terr.details.get("levels", [])
    return {"label": label or (f"{100 * budget:g} %" if budget is not None else "from scratch"),
            "max_moved": budget, "moved_share": summary["moved_share"], "moved": summary["moved"],
            "forced_moves": summary["forced_moves"], "total_moved_share": summary["total_moved_share"],
            "imbalance": g.get("imbalance"), "design_imbalance": summary["design_imbalance"],
            "travel_share": g.get("travel_share"), "compactness_min": g.get("compactness_min"),
            "unplanned_visits": g.get("unplanned_visits"),
            "weekday_kept_share": summary["weekday_kept"]["share"],
            "within_budget": summary["within_budget"] if budget is not None else None,
            "territory_status": ",".join(sorted({lv.get("status", "") for lv in levels})),
            "schedule": plan.manifest.get("methods", {}).get("schedule", ""), "runtime_s": round(runtime, 2)}


def disruption_curve(ctx: runmod.Context, prev: PreviousPlan, setup: RezoneSetup, budgets: list[float], *,
                     quick: bool = False, penalty: float = 1200.0, with_scratch: bool = True,
                     reuse: dict | None = None) -> pd.DataFrame:
    """One row per budget (and one for the plan designed from scratch): moves, balance, travel."""
    method = "greedy" if quick else None
    rows = []
    budgets = sorted({round(float(b), 6) for b in budgets})
    items: list[float | None] = [*budgets, *([None] if with_scratch else [])]
    for b in items:
        key = (b, "scenario")
        if reuse and b is not None and key in reuse:
            rows.append({**reuse[key], "label": f"{100 * b:g} %"})
            continue
        t = time.perf_counter()
        ctx.progress.step("Balance-disruption curve: " + (f"budget {100 * b:g} %" if b is not None else "from scratch"))
        if b is None:
            terr = runmod.market_territories(ctx, slots=list(setup.slots))
        else:
            terr = rezone_territories(ctx, setup, max_moved=b)
        plan = runmod.build_plan(ctx, terr, kind="curve", previous_weekday=setup.weekday, move_penalty=penalty,
                                 method=method)
        stats = move_stats(ctx, prev, setup, terr)
        summary = _summary(ctx, prev, setup, terr, plan, stats, max_moved=1.0 if b is None else b, key_weight=0.0,
                           penalty=penalty)
        rows.append(_curve_row("", b, summary, plan, terr, time.perf_counter() - t))
    return pd.DataFrame(rows, columns=CURVE_COLUMNS)


def curve_png(curve: pd.DataFrame, title: str) -> bytes:
    """Imbalance and travel share against the share of retailers moved (one point per budget)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.8), dpi=120)
    c = curve[curve["max_moved"].notna()]
    s = curve[curve["max_moved"].isna()]
    x = 100 * c["moved_share"].astype(float).to_numpy()
    ax.plot(x, 100 * c["imbalance"].astype(float), "-o", color="#d62728", label="imbalance (calendar)")
    if c["design_imbalance"].notna().any():
        ax.plot(x, 100 * c["design_imbalance"].astype(float), "--", marker=".", color="#ff9896",
                label="imbalance (territory design workload)")
    ax.plot(x, 100 * c["travel_share"].astype(float), "-s", color="#1f77b4", label="travel share")
    points: dict[tuple[float, float], list[str]] = {}  # budgets that give the same plan share a label
    for xi, yi, lab in zip(x, 100 * c["imbalance"].astype(float), c["label"], strict=True):
        points.setdefault((round(float(xi), 6), round(float(yi), 6)), []).append(str(lab).replace(" %", ""))
    for (xi, yi), labs in points.items():
        ax.annotate(f"budget {', '.join(labs)} %", (xi, yi), textcoords="offset points", xytext=(4, 6), fontsize=7)
    if len(s):
        sx = 100 * s["moved_share"].astype(float).to_numpy()
        ax.plot(sx, 100 * s["imbalance"].astype(float), "x", color="#d62728", ms=9)
        ax.plot(sx, 100 * s["travel_share"].astype(float), "x", color="#1f77b4", ms=9)
        ax.annotate("from scratch", (sx[0], 100 * float(s["imbalance"].iat[0])), textcoords="offset points",
                    xytext=(4, 6), fontsize=7)
    ax.set_xlabel("retailers moved for rebalancing (% of continuing retailers, weighted)")
    ax.set_ylabel("%")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def summary_json(summary: dict) -> str:
    return json.dumps(summary, indent=2, ensure_ascii=False, default=str)


# --- next quarter's data (demos, tests, benchmarks) ----------------------------------------------

def simulate_quarter(src: Path, dst: Path, *, seed: int = 1, new_share: float = 0.03, closed_share: float = 0.02,
                     class_change_share: float = 0.05, leave: int = 1, join: int = 1,
                     previous_plan: Path | None = None) -> Path:
    """Copy a region folder (``scenario.yaml``, ``retailers.csv``, ``managers.csv`` and the other
    files) to ``dst`` with next quarter's changes: new retailers near existing ones, closed
    retailers, class changes (one step up or down), ``leave`` managers removed and ``join``
    managers added (based near a random retailer, in an existing team). ``current_manager``
    becomes the previous plan's manager when ``previous_plan`` is given (the assignment in force),
    and is cleared for the retailers of managers who left and for new retailers. Returns the new
    scenario path."""
    import shutil

    src, dst = Path(src), Path(dst)
    if dst.exists() and any(dst.iterdir()):
        raise PlanExistsError(f"{dst} already exists and is not empty")
    rng = np.random.default_rng(seed)
    shutil.copytree(src, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns("plans", ".*"))
    r = pd.read_csv(dst / "retailers.csv", dtype=str, keep_default_na=False)
    m = pd.read_csv(dst / "managers.csv", dtype=str, keep_default_na=False)
    n = len(r)
    if previous_plan is not None and "current_manager" in r.columns:
        a = pd.read_csv(Path(previous_plan) / "assignments.csv", dtype=str, keep_default_na=False)
        owner = dict(zip(a["retailer_id"], a["manager_id"], strict=True))
        r["current_manager"] = [owner.get(x, c) for x, c in zip(r["retailer_id"], r["current_manager"], strict=True)]
    classes = sorted(r["class"].unique())
    ch = rng.random(n) < class_change_share
    for i in np.flatnonzero(ch):
        j = classes.index(r.at[i, "class"]) + (1 if rng.random() < 0.5 else -1)
        r.at[i, "class"] = classes[min(max(j, 0), len(classes) - 1)] if len(classes) > 1 else r.at[i, "class"]
    closed = rng.random(n) < closed_share
    k_new = int(round(new_share * n))
    base = r.iloc[rng.choice(n, size=k_new)].copy() if k_new else r.iloc[:0].copy()
    lon = base["lon"].astype(float).to_numpy() + rng.normal(0, 0.002, k_new)
    lat = base["lat"].astype(float).to_numpy() + rng.normal(0, 0.002, k_new)
    base["lon"], base["lat"] = np.round(lon, 6).astype(str), np.round(lat, 6).astype(str)
    base["retailer_id"] = [f"N{seed:02d}{k + 1:05d}" for k in range(k_new)]
    if "name" in base.columns:
        base["name"] = [f"New retailer {k + 1}" for k in range(k_new)]
    base["class"] = rng.choice(classes, size=k_new) if k_new else []
    if "current_manager" in base.columns:
        base["current_manager"] = ""
    r = pd.concat([r[~closed], base], ignore_index=True)
    leaving = sorted(rng.choice(m["manager_id"].to_numpy(), size=min(leave, len(m) - 1), replace=False).tolist()) \
        if leave else []
    m = m[~m["manager_id"].isin(leaving)].reset_index(drop=True)
    if "current_manager" in r.columns:
        r.loc[r["current_manager"].isin(leaving), "current_manager"] = ""
    rows = []
    for k in range(join):
        at = r.iloc[int(rng.integers(len(r)))]
        row = {c: "" for c in m.columns}
        row.update({"manager_id": f"J{seed:02d}{k + 1:02d}", "lon": f"{float(at['lon']) + rng.normal(0, 0.003):.6f}",
                    "lat": f"{float(at['lat']) + rng.normal(0, 0.003):.6f}",
                    "team": str(m["team"].iloc[int(rng.integers(len(m)))]) if "team" in m.columns else "T1"})
        if "name" in m.columns:
            row["name"] = f"New manager {k + 1}"
        rows.append(row)
    if rows:
        m = pd.concat([m, pd.DataFrame(rows)], ignore_index=True)
    r.to_csv(dst / "retailers.csv", index=False, encoding="utf-8")
    m.to_csv(dst / "managers.csv", index=False, encoding="utf-8")
    return dst / "scenario.yaml"


__all__ = ["rezone", "read_previous", "map_previous", "rezone_territories", "move_stats", "disruption_curve",
           "PreviousPlan", "RezoneSetup", "MoveStats", "RezoneError", "parse_share", "DEFAULT_SWEEP", "MOVE_COLUMNS",
           "REASONS"]

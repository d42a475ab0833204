"""Saving an edited plan as a new plan folder (the opened plan is never changed).

1. The edited territories: the session's owners and assignment (the planner's locks are recorded
   in ``edits.json``; the scenario's lock file holds as in any plan).
2. Calendars: an owner whose territory holds exactly the retailers it held in the opened plan
   keeps its calendar as it was -- its visits, day routes and unplanned visits are rebuilt from the
   parent's tables by :func:`planner.plan.assemble.kept_calendars` and go through the pipeline
   unchanged (``build_plan(..., kept=...)``); the calendars of the other owners (territories
   changed, new vacant positions) are planned again with the scenario's calendar method, keeping
   each retailer's previous weekday where possible (as re-zoning does).
3. The administrative baseline (the same inputs give the same baseline): its calendars are kept
   from the parent's ``baseline/`` the same way, or planned if the parent has none.
4. ``edits.json`` (the parent plan, every edit in effect with who, when, the request and each
   retailer's change), ``moves.csv`` (retailer, class, from, to, reason ``edited`` or
   ``re-optimised``) and ``manifest.json`` -> ``parent_plan`` (id, path, manifest sha256) and
   ``editor`` (edits, owners re-planned and kept).
5. :func:`planner.workflows.pipeline.commit`: written atomically, validated from disk exactly as
   ``planner verify`` does, reports added, renamed into place; sealed read-only in the store.

The new folder goes into the session's store (the scenario's ``output.folder``, or ``--store``),
named like every stored plan with the kind ``edit``; ``planner compare PARENT NEW`` compares them.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner.design.rezone import previous_weekdays
from planner.design.territories import Territories, estimated_workload
from planner.editor.edits import entry_json, now
from planner.editor.session import Session
from planner.editor.source import with_progress
from planner.errors import Progress
from planner.plan.assemble import kept_calendars
from planner.plan.files import refuse_existing
from planner.plan.model import dumps
from planner.plan.store import new_plan_folder, seal
from planner.validate import ValidationReport
from planner.workflows.pipeline import add_baseline, administrative_baseline, build_plan, commit

WEEKDAY_PENALTY_S = 1200.0  # as planner rezone's default: 20 minutes of travel per changed weekday


@dataclass
class Saved:
    folder: Path
    validation: ValidationReport
    replanned: list[str]
    kept: list[str]
    seconds: float

    def json(self) -> dict:
        return {"plan_dir": str(self.folder), "valid": self.validation.ok, "summary": self.validation.summary(),
                "replanned": self.replanned, "kept": self.kept, "seconds": round(self.seconds, 2)}


def changed_owners(parent_owner: np.ndarray, n_parent: int, owner: np.ndarray, n_slots: int) -> set[int]:
    """Owner slots whose retailers differ from the parent's (new slots always count)."""
    diff = owner != parent_owner
    out = set(np.unique(owner[diff]).tolist()) | set(np.unique(parent_owner[diff]).tolist())
    return {int(k) for k in out} | set(range(n_parent, n_slots))


def save_session(session: Session, *, out: Path | None = None, lang: str = "en", user: str | None = None,
                 progress: Progress | None = None) -> Saved:
    """Write the session's edited plan as a new plan folder (see the module docstring)."""
    t0 = time.perf_counter()
    progress = progress or Progress()
    src = session.src
    ctx = with_progress(src.ctx, progress)
    version, slots, owner, lock, _edited, entries = session.snapshot()
    folder = Path(out) if out is not None else new_plan_folder(ctx.loaded, ctx.seed, "edit", store=src.store)
    refuse_existing(folder, "plans are never overwritten")
    n_parent = len(session.initial_slots)
    changed = changed_owners(src.owner, n_parent, owner, len(slots))
    kept_slots = [k for k in range(len(slots)) if k not in changed]
    method = f"edited in planner edit from {src.plan_id} ({len(entries)} edits)"
    terr = Territories(list(slots), owner.copy(), method, {"levels": []})
    terr.estimated_hours = estimated_workload(ctx, terr)
    progress.step(f"Planning the calendars of {len(changed)} changed territories, keeping {len(kept_slots)}")
    kept = kept_calendars(ctx, terr, src.plan, kept_slots)
    ctx.timings["territories_s"] = 0.0
    plan = build_plan(ctx, terr, kind="plan", kept=kept, previous_weekday=previous_weekdays(src.previous, ctx.loaded),
                      move_penalty=WEEKDAY_PENALTY_S)
    parent_base = src.plan.sub_plans.get("baseline")
    if parent_base is not None or "baseline" in src.plan.kpis:
        admin = administrative_baseline(ctx)
        kept_b = None
        if parent_base is not None:
            try:
                kept_b = kept_calendars(ctx, admin, parent_base, range(len(admin.slots)))
            except (ValueError, KeyError):
                kept_b = None  # the baseline differs (it is planned again)
        add_baseline(ctx, plan, admin, kept=kept_b)
    rid = src.retailer_ids
    names = [s.manager_id for s in slots]
    user = user or session.user
    edits = {"parent_plan": src.previous.record(), "saved": now(), "user": user, "version": version,
             "edits": [entry_json(slots, rid, e) for e in entries],
             "locked": [[str(rid[i]), names[int(lock[i])]] for i in np.flatnonzero(lock >= 0)]}
    plan.extra_files["edits.json"] = dumps(edits).encode("utf-8")
    plan.extra_files["moves.csv"] = moves_table(session, owner, slots, entries).to_csv(index=False).encode("utf-8")
    plan.manifest["parent_plan"] = src.previous.record()
    plan.manifest["editor"] = {"edits": len(entries), "user": user,
                               "replanned": sorted(names[k] for k in changed),
                               "kept_calendars": sorted(names[k] for k in kept_slots)}
    plan.manifest["timings_s"]["total_s"] = round(time.perf_counter() - t0, 3)
    done = commit(ctx, plan, folder, lang=lang, progress=progress)
    if done.folder.parent == src.store:
        seal(done.folder)
    session.mark_saved(done.folder)
    return Saved(done.folder, done.validation, sorted(names[k] for k in changed), sorted(names[k] for k in kept_slots),
                 time.perf_counter() - t0)


def moves_table(session: Session, owner: np.ndarray, slots, entries) -> pd.DataFrame:
    """Every retailer whose owner differs from the parent's: from, to and why (the last edit that
    moved it: ``edited`` by the planner or ``re-optimised``)."""
    src = session.src
    rid = src.retailer_ids
    cls = src.ctx.ds.retailers["class"].astype(str).to_numpy()
    reason: dict[int, str] = {}
    for e in entries:
        for i in e.change.idx.tolist():
            reason[i] = "edited" if e.planner else "re-optimised"
    parent = [s.manager_id for s in session.initial_slots]
    now_ = [s.manager_id for s in slots]
    idx = np.flatnonzero(owner != src.owner)
    return pd.DataFrame({"retailer_id": rid[idx], "class": cls[idx], "from_manager": [parent[src.owner[i]] for i in idx],
                         "to_manager": [now_[owner[i]] for i in idx], "reason": [reason.get(int(i), "edited") for i in idx]},
                        columns=["retailer_id", "class", "from_manager", "to_manager", "reason"])


def read_edits(folder: Path) -> dict:
    """The ``edits.json`` of a saved plan."""
    return json.loads((Path(folder) / "edits.json").read_text(encoding="utf-8"))

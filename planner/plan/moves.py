"""Moves between a previous plan and a re-zoned one: ``moves.csv`` (who moved from whom to whom,
and why), the moved shares against the disruption budget, the weekdays kept, and the imbalance
of the design's workload estimate.

Budget accounting (see :mod:`planner.workflows.rezone`): only discretionary moves of continuing
retailers count (reason ``rebalanced``); forced moves (``manager left``, ``manager joined``,
``locked``) and new or closed retailers do not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.design.context import Context
from planner.design.rezone import PreviousPlan, RezoneSetup
from planner.design.territories import Territories
from planner.plan.model import Plan

MOVE_COLUMNS = ["retailer_id", "class", "from_manager", "to_manager", "reason"]

REASONS = ("new retailer", "closed retailer", "manager left", "manager joined", "locked", "rebalanced")

FORCED = ("manager left", "manager joined", "locked")



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


def move_stats(ctx: Context, prev: PreviousPlan, setup: RezoneSetup, terr: Territories) -> MoveStats:
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


def design_imbalance(ctx: Context, terr: Territories) -> float | None:
    """Imbalance of the workload measure the territories are balanced on (``ctx.work.total_s``,
    service + estimated access per visit): max over managers / mean - 1."""
    h = np.bincount(terr.owner, weights=ctx.work.total_s.astype(float), minlength=len(terr.slots))
    return float(h.max() / h.mean() - 1.0) if len(h) and h.mean() > 0 else None


def weekday_kept(ctx: Context, plan: Plan, setup: RezoneSetup) -> dict[str, float | int | None]:
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


def rezone_summary(ctx: Context, prev: PreviousPlan, setup: RezoneSetup, terr: Territories, plan: Plan,
                   stats: MoveStats, *, max_moved: float,
             key_weight: float, penalty: float) -> dict:
    """``kpis.json`` -> ``rezone``: moves against the budget, what changed, balance and weekdays kept."""
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

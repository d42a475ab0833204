"""The calendar balance: territories re-balanced on the workload the calendars actually give.

Territory design balances an *estimate* (service plus an access time per visit,
:mod:`planner.design.workload`); the managers live with the calendars' hours (service + travel of
the routes), which differ from it where the estimate misjudges travel (villages around a town,
sparse roads, clustered shops). After the calendars, this step:

1. measures each retailer's share of its calendar (:func:`calendar_workload`): the service of its
   planned visits, each visit's share of the day's travel (half of the legs to and from it, the
   trips from and to the base spread over the day's stops), and for every required visit the
   calendar could not plan, the service plus the territory's mean travel per visit (the demand,
   so an overloaded territory does not look light);
2. if the calendars' imbalance (largest hours / mean - 1, against each owner's target share when
   ``territories.balance_by`` is ``available_time``) exceeds the design tolerance, designs the
   territories again from the current ones (the warm start, at most ``MAX_MOVED`` of the
   retailers moving) with those figures as the balanced workload;
3. solves again only the calendars of the territories that changed (the others are kept) and
   keeps the new plan when its calendar imbalance is lower without more unplanned visits (up to
   the noise of a time-limited solve, ``UNPLANNED_SLACK``), else the first one.

``kpis.json`` -> ``solver.territories.calendar_balance`` reports what was done; ``imbalance``
stays the calendars' figure and ``design_imbalance`` the estimate's.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from planner.design.context import Context
from planner.design.territories import Territories, market_territories, owner_shares

MAX_MOVED = 0.2
"""Most of the retailers (share) the calendar balance may move."""
UNPLANNED_SLACK = 0.002
"""Unplanned visits the re-balanced calendars may add, as a share of the visits required: what
two time-limited solves of the same calendar differ by (0.2 %; the default scenario's 1 755
visits: 3), so that noise does not decide."""
TIME_SHARE = 0.5
"""Share of ``solver.territory_time_limit_s`` the re-design may use."""


def calendar_hours(terr: Territories, cals: dict) -> np.ndarray:
    """Per slot: service + travel of its calendar's routes (hours); NaN for a slot without one."""
    out = np.full(len(terr.slots), np.nan)
    for k, (_units, res) in cals.items():
        out[k] = sum(rt.travel_s + sum(v.departure_s - v.start_s for v in rt.stops) for rt in res.routes) / 3600.0
    return out


def calendar_imbalance(ctx: Context, terr: Territories, cals: dict) -> float | None:
    """Largest calendar hours over the mean - 1 among the managers' territories (vacant positions
    aside), each against its target share (``territories.balance_by``)."""
    hours = calendar_hours(terr, cals)
    shares = owner_shares(ctx, terr.slots)
    on = np.array([not s.vacant for s in terr.slots]) & ~np.isnan(hours)
    if on.sum() < 2:
        return None
    rel = hours[on] if shares is None else hours[on] / np.asarray(shares)[on]
    mean = float(rel.mean())
    return float(rel.max() / mean - 1.0) if mean > 0 else None


def calendar_workload(ctx: Context, terr: Territories, cals: dict) -> np.ndarray:
    """Per retailer: its seconds in its calendar (module docstring, step 1). Retailers outside
    every calendar (contacts only) keep the design's estimate."""
    w = np.asarray(ctx.work.total_s, dtype=float).copy()
    service = ctx.ds.retailers["service_s"].to_numpy(float)
    for _k, (units, res) in cals.items():
        units = np.asarray(units, dtype=np.int64)
        if not len(units):
            continue
        local = np.zeros(len(units))
        visits = 0
        travel = 0.0
        for rt in res.routes:
            n = len(rt.stops)
            if not n:
                continue
            legs = [v.travel_s for v in rt.stops] + [rt.return_travel_s]
            stem = (legs[0] + legs[-1]) / n
            for j, v in enumerate(rt.stops):
                inner = (legs[j] if j > 0 else 0.0) + (legs[j + 1] if j + 1 < n else 0.0)
                local[v.customer] += (v.departure_s - v.start_s) + 0.5 * inner + stem
            visits += n
            travel += rt.travel_s
        per_visit = travel / visits if visits else 0.0
        for u in res.unplanned:
            local[u.customer] += service[units[u.customer]] + per_visit
        w[units] = local
    return w


def balance_calendars(ctx: Context, terr: Territories, cals: dict,
                      resolve: Callable[[Territories, dict], dict]) -> tuple[Territories, dict, dict]:
    """Re-balance ``terr`` on its calendars ``cals`` (module docstring). ``resolve(terr, kept)``
    solves the calendars of ``terr`` except the ``kept`` ones (slot -> calendar). Returns the
    territories, calendars and the report for ``kpis.json``."""
    tol = float(ctx.loaded.scenario.territories.balance.get("workload", 0.03))
    before = calendar_imbalance(ctx, terr, cals)
    unplanned = sum(len(res.unplanned) for _, res in cals.values())
    info: dict = {"tolerance": tol, "imbalance_before": before, "imbalance_after": before, "applied": False,
                  "moved_retailers": 0, "calendars_solved_again": 0, "runtime_s": 0.0}
    if before is None or before <= tol or ctx.loaded.scenario.schedule.method != "solver":
        info["reason"] = "within the tolerance" if before is not None and before <= tol else "not applicable"
        return terr, cals, info
    t0 = time.perf_counter()
    ctx.progress.step(f"Balancing the territories on the calendars' hours (imbalance {100 * before:.1f} %)")
    w = calendar_workload(ctx, terr, cals)
    new = market_territories(ctx, slots=list(terr.slots), initial=terr.owner, max_moved=MAX_MOVED,
                             workload_s=w, time_share=TIME_SHARE)
    new.method = terr.method + "; re-balanced on the calendars' hours"
    new.details = {**terr.details, "calendar_balance_levels": new.details.get("levels", [])}
    changed = {k for k in range(len(terr.slots))
               if not np.array_equal(np.flatnonzero(terr.owner == k), np.flatnonzero(new.owner == k))}
    kept = {k: c for k, c in cals.items() if k not in changed}
    new_cals = resolve(new, kept) if changed else cals
    after = calendar_imbalance(ctx, new, new_cals)
    new_unplanned = sum(len(res.unplanned) for _, res in new_cals.values())
    info.update({"calendars_solved_again": len(changed), "moved_retailers": int((new.owner != terr.owner).sum()),
                 "imbalance_candidate": after, "unplanned_before": unplanned, "unplanned_candidate": new_unplanned})
    required = sum(sum(len(rt.stops) for rt in res.routes) + len(res.unplanned) for _, res in cals.values())
    better = after is not None and after < before and new_unplanned <= unplanned + UNPLANNED_SLACK * required
    info["runtime_s"] = round(time.perf_counter() - t0, 3)
    if not better:
        info["reason"] = "the re-balanced calendars were not better; the first plan is kept"
        info["moved_retailers"] = 0
        return terr, cals, info
    info.update({"applied": True, "imbalance_after": after, "reason": "re-balanced"})
    return new, new_cals, info


__all__ = ["balance_calendars", "calendar_workload", "calendar_imbalance", "calendar_hours", "MAX_MOVED"]

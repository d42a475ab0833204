"""The calendar balance: territories re-balanced on the workload the calendars actually give.

Territory design balances an *estimate* (service plus an access time per visit,
:mod:`planner.design.workload`); the managers live with the calendars' hours (service + travel of
the routes), which differ from it where the estimate misjudges travel (villages around a town,
sparse roads, clustered shops). After the calendars, this step:

1. measures each retailer's share of its calendar (:func:`calendar_workload`): the service of its
   planned visits, each visit's share of the day's travel (half of the legs to and from it, the
   trips from and to the base spread over the day's stops), and for every required visit the
   calendar could not plan, the service plus the territory's mean travel per visit (the demand,
   so an overloaded territory does not look light), ``OVERFLOW_WEIGHT`` times when its shifts
   had no room for it (``shift_capacity``, ``vehicle_capacity``: another manager may have); and
   the desk time of its phone and messaging contacts (``kpis.json``'s workload counts it);
2. if the calendars' imbalance (largest hours / mean - 1, against each owner's target share when
   ``territories.balance_by`` is ``available_time``) exceeds the design tolerance, designs the
   territories again from the current ones (the warm start, at most ``MAX_MOVED`` of the
   retailers moving) with those figures as the balanced workload;
3. solves again only the calendars of the territories that changed (the others are kept),
   each warm-started from the days its retailers had (:func:`planner.design.calendars.calendar_days`:
   a retailer keeps its visit days where it can), and keeps the new plan when its calendar
   imbalance is lower without more unplanned visits than the first calendars (up to the noise of
   a time-limited solve, ``UNPLANNED_SLACK``);
4. repeats 1-3 from the kept plan, at most ``MAX_PASSES`` times, until the imbalance is within
   the tolerance or a pass is not kept (then the last kept plan stays, the first one if none);
   after the first pass only the heaviest territory (in hours) and its neighbour with the least
   calendar workload (hours plus the visits its shifts could not fit) are designed again
   (:func:`heaviest_pair`; every other retailer locked to its owner), so a later pass
   solves two calendars again, not all of them.

``kpis.json`` -> ``solver.territories.calendar_balance`` reports what was done (``passes``: each
pass's imbalance, unplanned visits, moves, the pair it re-designed and whether it was kept);
``imbalance`` stays the calendars' figure and ``design_imbalance`` the estimate's.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from planner.design.calendars import calendar_days
from planner.design.context import Context, adjacency
from planner.design.policy import is_routed, required_visits
from planner.design.territories import Territories, largest_over_mean, market_territories, per_share
from planner.design.workload import mixed_contact_seconds

MAX_MOVED = 0.2
"""Most of the retailers (share) the calendar balance may move."""
UNPLANNED_SLACK = 0.002
"""Unplanned visits the re-balanced calendars may add, as a share of the visits required: what
two time-limited solves of the same calendar differ by (0.2 %; the default scenario's 1 755
visits: 3), so that noise does not decide."""
TIME_SHARE = 0.5
"""Share of ``solver.territory_time_limit_s`` the re-designs may use together."""
OVERFLOW_WEIGHT = 2.0
"""Weight of a visit left unplanned because its manager's shifts were full, in the calendar
workload. At weight 1 a territory with more work than its shifts hold looks exactly as heavy as
its demand, so a re-design balanced on it leaves the overflow where it cannot be done and the
planned hours stay short; above 1 the territory sheds retailers to managers with room, which
lowers both the unplanned visits and the imbalance of the hours worked. A visit on a day its
manager does not work (leave; the engine's reason is ``unreachable``) counts once, as demand:
under ``balance_by: equal`` the territory is kept through a week of leave (README). Counting it
twice was measured and dropped (default scenario, seed 1: CM03 shed 18 retailers but its weekly
key customers still each lost the visit of the week of leave, 27 unplanned against 29, its hours
fell to 101.5 and the calendar imbalance rose to 5.9 %; 4.8 % without)."""
CAPACITY_REASONS = ("shift_capacity", "vehicle_capacity")
MAX_PASSES = 4
"""Re-balancing passes at most: the first designs all the territories again, each later one only
the heaviest territory and its least loaded neighbour (two calendars to solve again); a pass is kept
only if it lowers the imbalance without more unplanned visits than the first calendars had
(+ ``UNPLANNED_SLACK``), and the first pass not kept ends the balance."""


def contact_seconds(ctx: Context) -> np.ndarray:
    """Per retailer: the desk time of its phone and messaging contacts over the horizon (a visited
    class's ``remote_per_cycle``, a ``mode: remote`` class's required contacts): part of its
    owner's workload (``kpis.json`` counts it), outside the calendar's routes."""
    r = ctx.ds.retailers
    cls = r["class"].to_numpy()
    remote = ~is_routed(ctx.loaded, cls)
    own = required_visits(ctx.loaded, cls) * r["service_s"].to_numpy(float)
    return mixed_contact_seconds(ctx.loaded, cls) + np.where(remote, own, 0.0)


def calendar_hours(terr: Territories, cals: dict, contact_s: np.ndarray | None = None) -> np.ndarray:
    """Per slot: service + travel of its calendar's routes, plus the desk time of its retailers'
    contacts when ``contact_s`` (:func:`contact_seconds`) is given, in hours; NaN for a slot
    without a calendar."""
    out = np.full(len(terr.slots), np.nan)
    for k, (_units, res) in cals.items():
        out[k] = sum(rt.travel_s + sum(v.departure_s - v.start_s for v in rt.stops) for rt in res.routes) / 3600.0
        if contact_s is not None:
            out[k] += float(contact_s[terr.owner == k].sum()) / 3600.0
    return out


def relative_hours(ctx: Context, terr: Territories, cals: dict) -> tuple[np.ndarray, np.ndarray]:
    """Per slot: its workload (calendar hours and contacts' desk time, as ``kpis.json`` counts it)
    over its target share (``territories.balance_by``; the hours themselves for equal shares), and
    whether it counts (a manager's territory with a calendar, vacant positions aside)."""
    rel = per_share(ctx, terr.slots, calendar_hours(terr, cals, contact_seconds(ctx)))
    return rel, np.array([not s.vacant for s in terr.slots]) & ~np.isnan(rel)


def calendar_imbalance(ctx: Context, terr: Territories, cals: dict) -> float | None:
    """Largest workload over the mean - 1 among the managers' territories, each against its target
    share (:func:`relative_hours`)."""
    return largest_over_mean(*relative_hours(ctx, terr, cals))


def calendar_workload(ctx: Context, terr: Territories, cals: dict) -> np.ndarray:
    """Per retailer: its seconds in its calendar (module docstring, step 1) and its contacts'
    desk time (:func:`contact_seconds`). Retailers outside every calendar (contacts only) keep the
    design's estimate (their contacts' time)."""
    w = np.asarray(ctx.work.total_s, dtype=float).copy()
    service = ctx.ds.retailers["service_s"].to_numpy(float)
    contact = contact_seconds(ctx)
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
            weight = OVERFLOW_WEIGHT if u.reason in CAPACITY_REASONS else 1.0
            local[u.customer] += weight * (service[units[u.customer]] + per_visit)
        local += contact[units]
        w[units] = local
    return w


def balance_calendars(ctx: Context, terr: Territories, cals: dict,
                      resolve: Callable[[Territories, dict, dict], dict]) -> tuple[Territories, dict, dict]:
    """Re-balance ``terr`` on its calendars ``cals`` (module docstring). ``resolve(terr, kept, warm)``
    solves the calendars of ``terr`` except the ``kept`` ones (slot -> calendar), warm-started from
    ``warm`` (retailer -> days of the last kept calendars, :func:`planner.design.calendars.calendar_days`).
    Returns the territories, calendars and the report for ``kpis.json``."""
    tol = float(ctx.loaded.scenario.territories.balance.get("workload", 0.03))
    before = calendar_imbalance(ctx, terr, cals)
    unplanned = _unplanned(cals)
    info: dict = {"tolerance": tol, "imbalance_before": before, "imbalance_after": before, "applied": False,
                  "moved_retailers": 0, "calendars_solved_again": 0, "runtime_s": 0.0, "passes": []}
    if before is None or before <= tol or ctx.loaded.scenario.schedule.method != "solver":
        info["reason"] = "within the tolerance" if before is not None and before <= tol else "not applicable"
        return terr, cals, info
    t0 = time.perf_counter()
    required = sum(sum(len(rt.stops) for rt in res.routes) + len(res.unplanned) for _, res in cals.values())
    limit = unplanned + UNPLANNED_SLACK * required
    cur_terr, cur_cals, cur = terr, cals, before
    solved: set[int] = set()
    reason = "the re-balanced calendars were not better; the first plan is kept"
    for n_pass in range(MAX_PASSES):
        pair = None
        w = calendar_workload(ctx, cur_terr, cur_cals)
        if n_pass > 0:  # after the first pass: the heaviest territory and its least loaded neighbour only
            pair = heaviest_pair(ctx, cur_terr, cur_cals, workload=w)
            if pair is None:
                break
        ctx.progress.step(f"Balancing the territories on the calendars' hours (imbalance {100 * cur:.1f} %)"
                          + ("" if pair is None else
                             f": {cur_terr.slots[pair[0]].manager_id} and {cur_terr.slots[pair[1]].manager_id}"))
        locked = None
        if pair is not None:
            rid = ctx.ds.retailers["retailer_id"].to_numpy()
            ids = [s.manager_id for s in cur_terr.slots]
            locked = {str(rid[i]): ids[o] for i, o in enumerate(cur_terr.owner.tolist()) if o not in pair}
            locked.update(ctx.ds.locked)
        new = market_territories(ctx, slots=list(cur_terr.slots), initial=cur_terr.owner, max_moved=MAX_MOVED,
                                 workload_s=w, time_share=TIME_SHARE / MAX_PASSES, locked=locked)
        changed = {k for k in range(len(cur_terr.slots))
                   if not np.array_equal(np.flatnonzero(cur_terr.owner == k), np.flatnonzero(new.owner == k))}
        if not changed:
            reason = "no move helps" if cur_terr is terr else "re-balanced; no further move helps"
            break
        new_cals = resolve(new, {k: c for k, c in cur_cals.items() if k not in changed}, calendar_days(cur_cals))
        after = calendar_imbalance(ctx, new, new_cals)
        new_unplanned = _unplanned(new_cals)
        ok = after is not None and after < cur and new_unplanned <= limit
        info["passes"].append({"imbalance": after, "unplanned": new_unplanned, "calendars_solved_again": len(changed),
                               "moved_retailers": int((new.owner != cur_terr.owner).sum()), "kept": ok,
                               "pair": None if pair is None else [cur_terr.slots[k].manager_id for k in pair]})
        if not ok:
            reason = (reason if cur_terr is terr else
                      "re-balanced; a further pass was not better (more unplanned visits or no lower imbalance)")
            break
        solved |= changed
        cur_terr, cur_cals, cur = new, new_cals, after
        reason = "re-balanced"
        if cur <= tol:
            reason = "re-balanced within the tolerance"
            break
    first = info["passes"][0] if info["passes"] else {}
    info.update({"imbalance_candidate": first.get("imbalance"), "unplanned_before": unplanned,
                 "unplanned_candidate": first.get("unplanned"), "runtime_s": round(time.perf_counter() - t0, 3),
                 "reason": reason})
    if cur_terr is terr:
        return terr, cals, info
    cur_terr.method = terr.method + "; re-balanced on the calendars' hours"
    cur_terr.details = {**terr.details, "calendar_balance_levels": cur_terr.details.get("levels", [])}
    info.update({"applied": True, "imbalance_after": cur, "unplanned_after": _unplanned(cur_cals),
                 "moved_retailers": int((cur_terr.owner != terr.owner).sum()),
                 "calendars_solved_again": len(solved)})
    return cur_terr, cur_cals, info


def heaviest_pair(ctx: Context, terr: Territories, cals: dict,
                  workload: np.ndarray | None = None) -> tuple[int, int] | None:
    """The slot with the most calendar hours (against its share) and its neighbour (sharing an
    edge of the territory-design adjacency graph) with the least calendar workload
    (:func:`calendar_workload`: hours plus the visits its calendar could not fit, against its
    share; ``workload``: :func:`calendar_workload` when already computed); ``None`` if it has
    none."""
    rel, on = relative_hours(ctx, terr, cals)
    if on.sum() < 2:
        return None
    heavy = int(np.flatnonzero(on)[np.argmax(rel[on])])
    e = adjacency(ctx)
    a, b = terr.owner[e[:, 0]], terr.owner[e[:, 1]]
    nbrs = set(b[(a == heavy) & (b != heavy)].tolist()) | set(a[(b == heavy) & (a != heavy)].tolist())
    nbrs = [k for k in nbrs if k >= 0 and on[k]]
    if not nbrs:
        return None
    # the neighbour with the least workload as the re-design balances it (calendar_workload:
    # visits its shifts had no room for count, twice): a neighbour on leave works few hours but
    # has no room for more
    w = calendar_workload(ctx, terr, cals) if workload is None else workload
    own = terr.owner >= 0
    load = per_share(ctx, terr.slots, np.bincount(terr.owner[own], weights=w[own], minlength=len(terr.slots)))
    return heavy, min(nbrs, key=lambda k: (load[k], k))


def _unplanned(cals: dict) -> int:
    return sum(len(res.unplanned) for _, res in cals.values())


__all__ = ["balance_calendars", "calendar_workload", "calendar_imbalance", "calendar_hours", "contact_seconds",
           "heaviest_pair", "relative_hours", "MAX_MOVED", "MAX_PASSES", "OVERFLOW_WEIGHT"]

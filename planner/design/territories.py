"""Territories: who serves which retailer. The administrative baseline (today's assignment:
``current_manager``, else the districts a manager serves, else the nearest base) and market
territories designed by :mod:`solvers.territory` (balanced, contiguous, compact; team areas first,
then one territory per manager; or, when re-zoning, from the previous assignment with a
disruption budget), and the design's workload estimate per territory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.config.scenario import parse_clock
from planner.design.availability import available_hours, row_days, shares
from planner.design.context import Context, adjacency
from solvers.common import UNREACHABLE, Stop, SubsetTravel
from solvers.territory import TerritoryProblem, solve


@dataclass
class Slot:
    """The owner of one territory: a manager, or a vacant position (what-if scenarios)."""

    manager_id: str
    team: str
    base_loc: int  # global location index of the base (retailers first, then managers)
    lon: float
    lat: float
    shift_start_s: int
    shift_end_s: int
    max_visits: int | None
    vacant: bool = False
    manager_row: int | None = None
    lon_input: float | None = None  # the base in the input CRS (None: same as lon, lat)
    lat_input: float | None = None


def manager_slots(ctx: Context) -> list[Slot]:
    """The territory owners of the managers file: every row with role ``manager`` (specialists
    own no territory, :mod:`planner.design.specialists`)."""
    m = ctx.ds.managers
    out = []
    for k in range(len(m)):
        row = m.iloc[k]
        if row.get("role", "manager") != "manager":
            continue
        mv = row["max_visits_per_day"]
        mv = int(mv) if mv == mv else ctx.loaded.scenario.calendar.max_visits_per_day
        out.append(Slot(str(row["manager_id"]), str(row["team"]), ctx.R + k, float(row["lon"]), float(row["lat"]),
                        int(row["shift_start_s"]), int(row["shift_end_s"]), mv, False, k,
                        float(row["lon_input"]), float(row["lat_input"])))
    return out


# --- territories ------------------------------------------------------------------------------

@dataclass
class Territories:
    slots: list[Slot]
    owner: np.ndarray  # (R,) slot index per retailer
    method: str
    details: dict = field(default_factory=dict)
    estimated_hours: dict[str, float] = field(default_factory=dict)


def administrative_territories(ctx: Context) -> Territories:
    """Today's assignment: ``current_manager`` where given, else by district, else nearest base."""
    r, m = ctx.ds.retailers, ctx.ds.managers
    slots = manager_slots(ctx)
    index = {s.manager_id: k for k, s in enumerate(slots)}
    owner = np.full(len(r), -1, dtype=np.int64)
    cur = r["current_manager"].to_numpy()
    has = cur != ""
    owner[has] = [index[c] for c in cur[has]]
    how = {"current_manager": int(has.sum())}
    district_mgrs: dict[str, list[int]] = {}
    for k, s in enumerate(slots):
        for d in m["districts"].iat[s.manager_row]:
            district_mgrs.setdefault(d, []).append(k)
    rest = np.flatnonzero(owner < 0)
    by_district = 0
    if len(rest) and district_mgrs:
        dist = r["district"].to_numpy()
        for d, mgrs in sorted(district_mgrs.items()):
            members = rest[dist[rest] == d]
            if not len(members):
                continue
            # several managers in one district: contiguous strips along the district's main axis
            xy = r[["x", "y"]].to_numpy()[members]
            c = xy - xy.mean(axis=0)
            axis = np.linalg.svd(c, full_matrices=False)[2][0] if len(members) > 1 else np.array([1.0, 0.0])
            order = members[np.argsort(c @ axis, kind="stable")]
            for part, mg in zip(np.array_split(order, len(mgrs)), mgrs, strict=True):
                owner[part] = mg
            by_district += len(members)
    how["district"] = by_district
    rest = np.flatnonzero(owner < 0)
    if len(rest):
        base = ctx.travel.soft.to_targets(np.array([s.base_loc for s in slots]))[rest]
        owner[rest] = np.argmin(base, axis=1)
    how["nearest_base"] = int(len(rest))
    desc = "administrative: " + ", ".join(f"{v} by {k.replace('_', ' ')}" for k, v in how.items() if v)
    return Territories(slots, owner, desc, {"assigned_by": how})


def territory_count(ctx: Context) -> int:
    t = ctx.loaded.scenario.territories
    if t.count is not None:
        return t.count
    if t.capacity_hours is not None:
        return max(1, int(np.ceil(ctx.work.total_s.sum() / 3600.0 / t.capacity_hours)))
    return len(manager_slots(ctx))


def market_territories(ctx: Context, *, slots: list[Slot] | None = None, initial: np.ndarray | None = None,
                       max_moved: float | None = None, move_weights: np.ndarray | None = None,
                       locked: dict[str, str] | None = None, workload_s: np.ndarray | None = None,
                       time_share: float = 1.0, calibrate: bool = True) -> Territories:
    """Balanced, compact, contiguous territories from :mod:`solvers.territory`.

    With ``initial`` (slot index per retailer, -1 for a new retailer) the previous plan is the
    warm start and, with ``max_moved``, the reference of the disruption budget (weighted share of
    retailers allowed to change territory, weights ``move_weights``); the budget is global, so
    re-zoning works on one level (territories of all teams at once) with the bases as centres.
    ``locked`` (retailer id -> owner id, a manager or a vacant position of ``slots``) replaces the
    scenario's locks (``ctx.ds.locked``): the editor passes the planner's locks and edits too.
    ``workload_s`` replaces the design's workload estimate per retailer as the balanced workload
    (the calendar balance passes the calendars' own figures, :mod:`planner.design.rebalance`);
    ``time_share`` scales the time limit. A new design with centres at the managers' bases is
    designed once more on the whole estimate, daily base trips included (``calibrate``,
    :func:`calibrated_design`).
    """
    sc = ctx.loaded.scenario
    tc = sc.territories
    r = ctx.ds.retailers
    R = ctx.R
    slots = slots if slots is not None else manager_slots(ctx)
    k = len(slots) if initial is not None else territory_count(ctx)
    xy = r[["x", "y"]].to_numpy()
    key = r["class"].isin(sc.key_class_set).to_numpy().astype(float)
    measures = np.column_stack([ctx.work.total_s if workload_s is None else np.asarray(workload_s, float),
                                r["sales_volume"].to_numpy(float), np.ones(R), key,
                                ctx.work.visits.astype(float)])
    names = ("workload", "sales_volume", "retailers", "key_customers", "visits")
    tol = tuple(float(tc.balance.get(nm, np.inf)) for nm in names)
    groups = None
    if tc.keep_markets_whole and (r["market"] != "").any():
        groups = pd.factorize(r["market"].where(r["market"] != "", None))[0]
    elif tc.keep_districts_whole and (r["district"] != "").any():
        groups = pd.factorize(r["district"].where(r["district"] != "", None))[0]
    max_radius = tc.max_radius_min * 60.0 if tc.max_radius_min else None
    locked_mgr = dict(ctx.ds.locked if locked is None else locked)
    slot_of = {s.manager_id: i for i, s in enumerate(slots)}
    rid_index = {rid: i for i, rid in enumerate(r["retailer_id"])}
    penalty = tc.market_penalty_h * 3600.0 * float(np.mean(ctx.work.total_s)) if groups is not None else 0.0
    details: dict = {"levels": []}
    seed = ctx.seed
    budget = sc.solver.territory_time_limit_s * time_share
    iters = None if sc.solver.max_iterations is None else max(1, int(sc.solver.max_iterations * time_share))

    if k != len(slots):
        # what-if: more or fewer territories than managers; centres are free, owners matched after
        vacancies = max(0, k - len(slots))
        if vacancies:
            ctx.progress.warn(f"{k} territories for {len(slots)} managers: {vacancies} vacant positions are created")
    distinct_bases = len({(round(s.lon, 5), round(s.lat, 5)) for s in slots})
    use_bases = tc.centres == "bases" and k == len(slots) and distinct_bases == len(slots)
    if tc.centres == "bases" and not use_bases and k == len(slots):
        ctx.progress.warn("managers share bases: territory centres are chosen freely and matched to managers")

    def solve_level(units: np.ndarray, kk: int, centre_locs: list[int] | None, shares, locked_local, label: str,
                    share_of_budget: float, tol_scale: float = 1.0):
        sub_locs = units if centre_locs is None else np.concatenate([units, np.asarray(centre_locs)])
        # the same adjacency graph at every level (induced on the units), so contiguity means
        # the same thing in the solver, the KPIs and the report
        local = np.full(R, -1, dtype=np.int64)
        local[units] = np.arange(len(units))
        e = local[adj]
        e = e[(e[:, 0] >= 0) & (e[:, 1] >= 0)]
        prob = TerritoryProblem(
            n_territories=kk, xy=xy[units], measures=measures[units], measure_names=names,
            tolerances=tuple(t * tol_scale for t in tol), adjacency=e,
            travel=SubsetTravel(ctx.travel.soft, sub_locs), fixed_centres=centre_locs is not None,
            target_shares=None if shares is None else np.asarray(shares, float),
            locked=locked_local, max_radius_s=max_radius,
            groups=None if groups is None else groups[units], group_penalty=penalty,
            contiguous=tc.contiguity,
            initial=None if initial is None else np.asarray(initial, dtype=np.int64)[units],
            max_moved=max_moved, move_weights=None if move_weights is None else np.asarray(move_weights, float)[units])
        stop = Stop(time_limit_s=max(budget * share_of_budget, 1.0),
                    max_iterations=None if iters is None else max(1, int(iters * share_of_budget)))
        res = solve(prob, stop=stop, seed=seed)
        details["levels"].append({"level": label, "units": int(len(units)), "territories": kk,
                                  "status": res.status.value, "objective": float(res.objective),
                                  "violations": [v.message for v in res.violations],
                                  "runtime_s": res.stats.runtime_s})
        for v in res.violations:
            ctx.progress.warn(f"territories ({label}): {v.message}")
        return res

    adj = adjacency(ctx)
    owner = np.full(R, -1, dtype=np.int64)
    slot_shares = owner_shares(ctx, slots) if k == len(slots) else None
    teams = sorted({s.team for s in slots})
    with ctx.progress.task("Designing territories", total=1 + (len(teams) if tc.teams and len(teams) > 1 else 0)) as adv:
        if use_bases and tc.teams and len(teams) > 1 and initial is None:
            team_of = [teams.index(s.team) for s in slots]
            heads = np.bincount(team_of, minlength=len(teams)).astype(float)
            locked = np.full(R, -1, dtype=np.int64)
            for rid, mid in locked_mgr.items():
                sk = slot_of[mid]
                locked[rid_index[rid]] = team_of[sk]
            # tolerances split between the levels so that every territory ends within the scenario's
            # tolerance of the global mean: (1 + 0.3 t)(1 + 0.7 t) - 1 ~ t
            # each team area is centred on its members' medoid base, so that the area lies where
            # the team's managers start from
            centres = []
            for team in teams:
                locs = np.array([s.base_loc for s in slots if s.team == team])
                tt = ctx.travel.soft.from_sources(locs)[:, locs].astype(float)
                centres.append(int(locs[np.argmin(tt.sum(axis=0) + tt.sum(axis=1))]))
            team_shares = heads / heads.sum()
            if slot_shares is not None:  # balance_by: available_time
                team_shares = np.array([slot_shares[[i for i, s in enumerate(slots) if s.team == tm]].sum()
                                        for tm in teams])
            top = solve_level(np.arange(R), len(teams), centres, team_shares, locked, "teams", 0.3, 0.3)
            adv()
            for t_i, team in enumerate(teams):
                members = [i for i, s in enumerate(slots) if s.team == team]
                units = np.flatnonzero(top.assignment == t_i)
                if len(members) == 1:
                    owner[units] = members[0]
                    adv()
                    continue
                lk = np.full(len(units), -1, dtype=np.int64)
                pos = {int(u): j for j, u in enumerate(units)}
                for rid, mid in locked_mgr.items():
                    sk = slot_of[mid]
                    if sk in members and rid_index[rid] in pos:
                        lk[pos[rid_index[rid]]] = members.index(sk)
                inner = None if slot_shares is None else slot_shares[members] / slot_shares[members].sum()
                res = solve_level(units, len(members), [slots[i].base_loc for i in members], inner, lk,
                                  f"team {team}", 0.7 * len(units) / R, 0.7)
                owner[units] = np.asarray(members)[res.assignment]
                adv()
        else:
            locked = np.full(R, -1, dtype=np.int64)
            if use_bases or initial is not None:  # re-zoning: territory j is slot j (warm start)
                for rid, mid in locked_mgr.items():
                    locked[rid_index[rid]] = slot_of[mid]
            elif locked_mgr:
                ctx.progress.warn("locked retailers are kept together with free centres; owners are matched afterwards")
            res = solve_level(np.arange(R), k, [s.base_loc for s in slots] if use_bases else None,
                              slot_shares if use_bases or initial is not None else None, locked, "all", 1.0)
            owner = res.assignment.astype(np.int64)
            if not use_bases and initial is None:
                owner, slots = match_owners(ctx, owner, slots, k, res)
            adv()
    hierarchical = use_bases and tc.teams and len(teams) > 1 and initial is None
    method = "market territories (solvers.territory: " + ("team areas, then " if hierarchical else "") + \
        ("fixed centres at manager bases" if use_bases else "free centres") + ")"
    terr = Territories(slots, owner, method, details)
    terr.estimated_hours = estimated_workload(ctx, terr)
    if use_bases and initial is None and workload_s is None and calibrate:
        terr = calibrated_design(ctx, terr, time_share=time_share)
    return terr


CALIBRATION_SHARE = 0.25
"""Share of ``solver.territory_time_limit_s`` the calibrated re-design may use."""
CALIBRATION_MOVED = 0.2
"""Most of the retailers (share) the calibrated re-design may move."""


def per_share(ctx: Context, slots: list[Slot], values: np.ndarray) -> np.ndarray:
    """Per slot: ``values`` over its target share (``territories.balance_by``); the values
    themselves for equal shares."""
    shares = owner_shares(ctx, slots)
    values = np.asarray(values, dtype=float)
    return values if shares is None else values / np.asarray(shares)


def largest_over_mean(rel: np.ndarray, on: np.ndarray) -> float | None:
    """``max / mean - 1`` of ``rel`` over the slots ``on`` (``None``: fewer than two, or no work)."""
    if on.sum() < 2:
        return None
    mean = float(rel[on].mean())
    return float(rel[on].max() / mean - 1.0) if mean > 0 else None


def estimate_imbalance(ctx: Context, terr: Territories) -> float | None:
    """Largest estimated workload (:func:`estimated_workload`) over the mean - 1 among the
    managers' territories, each against its target share (``territories.balance_by``)."""
    rel = per_share(ctx, terr.slots, [terr.estimated_hours.get(s.manager_id, 0.0) for s in terr.slots])
    on = np.array([not s.vacant for s in terr.slots]) & (np.bincount(terr.owner[terr.owner >= 0],
                                                                       minlength=len(terr.slots)) > 0)
    return largest_over_mean(rel, on)


def calibrated_design(ctx: Context, terr: Territories, *, time_share: float = 1.0) -> Territories:
    """``terr`` designed again on the whole estimate, daily trips from each owner's base
    included (:func:`trip_seconds`, computed with ``terr``'s owners), when that estimate is out
    of the tolerance: a retailer far from its owner's base costs its owner more than its service
    and access. The re-design starts from ``terr`` (at most ``CALIBRATION_MOVED`` of the retailers
    move) and is kept when its estimate, trips computed with its own owners, is better balanced.
    ``terr.details["calibration"]`` says what was done."""
    tol = float(ctx.loaded.scenario.territories.balance.get("workload", 0.03))
    before = estimate_imbalance(ctx, terr)
    info = {"imbalance_before": before, "imbalance_after": before, "applied": False, "moved_retailers": 0}
    terr.details["calibration"] = info
    if before is None or before <= tol:
        return terr
    w = np.asarray(ctx.work.total_s, dtype=float) + trip_seconds(ctx, terr)
    new = market_territories(ctx, slots=list(terr.slots), initial=terr.owner, max_moved=CALIBRATION_MOVED,
                             workload_s=w, time_share=CALIBRATION_SHARE * time_share, calibrate=False)
    after = estimate_imbalance(ctx, new)
    info["imbalance_candidate"] = after
    if after is None or after >= before:
        return terr
    new.method = terr.method
    new.details = {**terr.details, "calibration_levels": new.details.get("levels", []),
                   "calibration": {**info, "imbalance_after": after, "applied": True,
                                   "moved_retailers": int((new.owner != terr.owner).sum())}}
    return new


def match_owners(ctx: Context, owner: np.ndarray, slots: list[Slot], k: int, res) -> tuple[np.ndarray, list[Slot]]:
    """Match managers to territories designed with free centres (min total base-to-centre time)."""
    from scipy.optimize import linear_sum_assignment

    centres = np.array([t.centre for t in res.territories], dtype=np.int64)
    t = ctx.travel.soft.from_sources(np.array([s.base_loc for s in slots]))[:, centres].astype(float)
    rows, cols = linear_sum_assignment(t)
    new_slots: list[Slot | None] = [None] * k
    for rr, cc in zip(rows, cols, strict=True):
        new_slots[cc] = slots[rr]
    r = ctx.ds.retailers
    for j in range(k):
        if new_slots[j] is None:
            c = int(centres[j])
            cal = ctx.loaded.scenario.calendar
            new_slots[j] = Slot(f"VACANT-{j + 1:02d}", "vacant", c, float(r["lon"].iat[c]), float(r["lat"].iat[c]),
                                parse_clock(cal.shift.start), parse_clock(cal.shift.end), cal.max_visits_per_day, True,
                                lon_input=float(r["lon_input"].iat[c]), lat_input=float(r["lat_input"].iat[c]))
    used = {id(s) for s in new_slots}
    unused = [s.manager_id for s in slots if id(s) not in used]
    if unused:
        ctx.progress.warn(f"{len(unused)} managers get no territory: {', '.join(unused)}")
    return owner, [s for s in new_slots if s is not None] + [s for s in slots if id(s) not in used]


def trip_seconds(ctx: Context, terr: Territories) -> np.ndarray:
    """Per retailer: its visits' share of the daily trips between its owner's base and the
    territory, ``visits_i * 2 * t(base, i) / C`` with ``C`` the owner's visits per worked day (at
    least 1): the ``2 r`` per route of Daganzo's route-length approximation, which the design's
    per-visit access time (the BHH tour between the stops) leaves out. It depends on the owner,
    so the design balances it in a second pass (:func:`calibrated_design`); 0 for a retailer
    without an owner."""
    out = np.zeros(ctx.R)
    for k, s in enumerate(terr.slots):
        units = np.flatnonzero(terr.owner == k)
        visits = ctx.work.visits[units].astype(float)
        total = float(visits.sum())
        if not len(units) or total <= 0:
            continue
        per_day = max(total / max(worked_days(ctx, s), 1), 1.0)
        bt = ctx.travel.soft.from_sources(np.array([s.base_loc]))[0, units].astype(float)
        bt = np.where(bt < UNREACHABLE, bt, 0.0)
        out[units] = visits * 2.0 * bt / per_day
    return out


def estimated_workload(ctx: Context, terr: Territories) -> dict[str, float]:
    """Territory design's workload estimate per owner (hours): service + access
    (``ctx.work.total_s``) + the daily trips from and to the owner's base (:func:`trip_seconds`,
    on the owner's worked days: leave and whole-day duties deducted)."""
    wl = np.asarray(ctx.work.total_s, dtype=float) + trip_seconds(ctx, terr)
    h = np.bincount(terr.owner[terr.owner >= 0], weights=wl[terr.owner >= 0], minlength=len(terr.slots)) / 3600.0
    return {s.manager_id: float(h[k]) for k, s in enumerate(terr.slots)}


def owner_days(ctx: Context, s: Slot):
    """The availability of a slot's manager (:mod:`planner.design.availability`)."""
    return row_days(ctx.loaded, ctx.ds, ctx.days, manager_id=s.manager_id, team=s.team,
                    shift=(s.shift_start_s, s.shift_end_s), row=s.manager_row)


def worked_days(ctx: Context, s: Slot) -> int:
    """Days of the horizon the slot's manager works (no holiday, no leave, not a whole-day duty)."""
    return sum(1 for d in owner_days(ctx, s) if d.working)


def owner_shares(ctx: Context, slots: list[Slot]) -> np.ndarray | None:
    """Target workload shares of the slots' territories (``territories.balance_by``; ``None``:
    equal shares, the default)."""
    return shares(ctx.loaded, [available_hours(owner_days(ctx, s)) for s in slots])


# --- calendars ------------------------------------------------------------------------------

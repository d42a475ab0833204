"""The main job: scenario -> data -> travel -> territories -> calendars -> plan folder -> validation.

``run_scenario`` builds the plan and its administrative baseline (today's assignment, scheduled
with the same calendar method so that the comparison isolates the territories), computes KPIs
from the finished tables, writes the plan folder atomically (the baseline inside it, in
``baseline/``), and validates the folder independently before it is moved into place.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import importlib.metadata as md
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner import build
from planner.build import Slot
from planner.datasets import Dataset, file_sha256, load_dataset
from planner.errors import PlannerError
from planner.kpis import compute_kpis
from planner.plan import Plan, format_clock
from planner.scenario import LoadedScenario, parse_clock
from planner.travel import TravelModel, build_travel, read_road_network
from solvers.common import Stop, SubsetTravel
from solvers.schedule.problem import ScheduleResult

PACKAGES = ["numpy", "scipy", "pandas", "shapely", "pyproj", "geopandas", "pyogrio", "networkx",
            "ortools", "pyvrp", "pyrosm", "pydantic", "fieldplan"]


# --- progress ---------------------------------------------------------------------------------

class Progress:
    """Progress reporting hooks; the CLI passes a rich-based implementation, tests the default."""

    def step(self, message: str) -> None:  # a phase starts
        pass

    @contextlib.contextmanager
    def task(self, description: str, total: int):
        yield lambda n=1: None

    def warn(self, message: str) -> None:
        pass


# --- context ----------------------------------------------------------------------------------

@dataclass
class Context:
    loaded: LoadedScenario
    ds: Dataset
    travel: TravelModel
    days: list[build.Day]
    windows: np.ndarray
    work: build.Workload
    seed: int
    progress: Progress
    timings: dict[str, float] = field(default_factory=dict)
    cache: dict = field(default_factory=dict)

    @property
    def R(self) -> int:
        return len(self.ds.retailers)

    @property
    def lonlat(self) -> np.ndarray:
        r, m = self.ds.retailers, self.ds.managers
        return np.vstack([r[["lon", "lat"]].to_numpy(), m[["lon", "lat"]].to_numpy()])


def prepare(loaded: LoadedScenario, *, seed: int | None = None, progress: Progress | None = None) -> Context:
    """Load data and build the travel model, workload and calendar of a scenario."""
    progress = progress or Progress()
    timings: dict[str, float] = {}
    t = time.perf_counter()
    progress.step("Reading input files")
    ds = load_dataset(loaded)
    for w in ds.warnings:
        progress.warn(w)
    timings["load_s"] = time.perf_counter() - t
    t = time.perf_counter()
    sc = loaded.scenario
    network = None
    if sc.travel.model == "road_network":
        progress.step("Reading the road network")
        network = read_road_network(loaded.resolve(sc.inputs.road_network), sc.travel.speeds_kmh)
    xy = np.vstack([ds.retailers[["x", "y"]].to_numpy(), ds.managers[["x", "y"]].to_numpy()])
    travel = build_travel(sc.travel, xy, ds.projection, network)
    unreachable = np.flatnonzero(travel.unreachable[: len(ds.retailers)])
    if len(unreachable):
        ids = ds.retailers["retailer_id"].to_numpy()[unreachable]
        shown = ", ".join(ids[:20]) + (" ..." if len(ids) > 20 else "")
        progress.warn(f"{len(ids)} retailers are farther than {sc.travel.max_snap_m:g} m from any road and "
                      f"cannot be visited: {shown}")
    bad_bases = np.flatnonzero(travel.unreachable[len(ds.retailers):])
    if len(bad_bases):
        ids = ds.managers["manager_id"].to_numpy()[bad_bases]
        raise PlannerError(f"manager bases are farther than {sc.travel.max_snap_m:g} m from any road: {', '.join(ids)}")
    timings["travel_model_s"] = time.perf_counter() - t
    days = build.horizon(loaded)
    win = build.windows(loaded, ds, days)
    t = time.perf_counter()
    work = build.workload(loaded, ds, travel, days)
    timings["workload_s"] = time.perf_counter() - t
    seed = sc.solver.seed if seed is None else seed
    return Context(loaded, ds, travel, days, win, work, seed, progress, timings)


def manager_slots(ctx: Context) -> list[Slot]:
    m = ctx.ds.managers
    out = []
    for k in range(len(m)):
        row = m.iloc[k]
        mv = row["max_visits_per_day"]
        mv = int(mv) if mv == mv else ctx.loaded.scenario.calendar.max_visits_per_day
        out.append(Slot(str(row["manager_id"]), str(row["team"]), ctx.R + k, float(row["lon"]), float(row["lat"]),
                        int(row["shift_start_s"]), int(row["shift_end_s"]), mv, False, k))
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
    for k, ds_ in enumerate(m["districts"]):
        for d in ds_:
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


def _territory_count(ctx: Context) -> int:
    t = ctx.loaded.scenario.territories
    if t.count is not None:
        return t.count
    if t.capacity_hours is not None:
        return max(1, int(np.ceil(ctx.work.total_s.sum() / 3600.0 / t.capacity_hours)))
    return len(ctx.ds.managers)


def market_territories(ctx: Context, *, slots: list[Slot] | None = None, initial: np.ndarray | None = None,
                       max_moved: float | None = None, move_weights: np.ndarray | None = None) -> Territories:
    """Balanced, compact, contiguous territories from :mod:`solvers.territory`.

    With ``initial`` (slot index per retailer, -1 for a new retailer) the previous plan is the
    warm start and, with ``max_moved``, the reference of the disruption budget (weighted share of
    retailers allowed to change territory, weights ``move_weights``); the budget is global, so
    re-zoning works on one level (territories of all teams at once) with the bases as centres.
    """
    from solvers.territory import TerritoryProblem, solve

    sc = ctx.loaded.scenario
    tc = sc.territories
    r = ctx.ds.retailers
    R = ctx.R
    slots = slots if slots is not None else manager_slots(ctx)
    k = len(slots) if initial is not None else _territory_count(ctx)
    xy = r[["x", "y"]].to_numpy()
    key = r["class"].isin(sc.key_class_set).to_numpy().astype(float)
    measures = np.column_stack([ctx.work.total_s, r["sales_volume"].to_numpy(float), np.ones(R), key,
                                ctx.work.visits.astype(float)])
    names = ("workload", "sales_volume", "retailers", "key_customers", "visits")
    tol = tuple(float(tc.balance.get(nm, np.inf)) for nm in names)
    groups = None
    if tc.keep_markets_whole and (r["market"] != "").any():
        groups = pd.factorize(r["market"].where(r["market"] != "", None))[0]
    elif tc.keep_districts_whole and (r["district"] != "").any():
        groups = pd.factorize(r["district"].where(r["district"] != "", None))[0]
    max_radius = tc.max_radius_min * 60.0 if tc.max_radius_min else None
    locked_mgr = {rid: mid for rid, mid in ctx.ds.locked.items()}
    rid_index = {rid: i for i, rid in enumerate(r["retailer_id"])}
    penalty = tc.market_penalty_h * 3600.0 * float(np.mean(ctx.work.total_s)) if groups is not None else 0.0
    details: dict = {"levels": []}
    seed = ctx.seed
    budget = sc.solver.territory_time_limit_s
    iters = sc.solver.max_iterations

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
    teams = sorted({s.team for s in slots})
    with ctx.progress.task("Designing territories", total=1 + (len(teams) if tc.teams and len(teams) > 1 else 0)) as adv:
        if use_bases and tc.teams and len(teams) > 1 and initial is None:
            team_of = [teams.index(s.team) for s in slots]
            heads = np.bincount(team_of, minlength=len(teams)).astype(float)
            locked = np.full(R, -1, dtype=np.int64)
            for rid, mid in locked_mgr.items():
                sk = next(i for i, s in enumerate(slots) if s.manager_id == mid)
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
            top = solve_level(np.arange(R), len(teams), centres, heads / heads.sum(), locked, "teams", 0.3, 0.3)
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
                    sk = next(i for i, s in enumerate(slots) if s.manager_id == mid)
                    if sk in members and rid_index[rid] in pos:
                        lk[pos[rid_index[rid]]] = members.index(sk)
                res = solve_level(units, len(members), [slots[i].base_loc for i in members], None, lk,
                                  f"team {team}", 0.7 * len(units) / R, 0.7)
                owner[units] = np.asarray(members)[res.assignment]
                adv()
        else:
            locked = np.full(R, -1, dtype=np.int64)
            if use_bases or initial is not None:  # re-zoning: territory j is slot j (warm start)
                for rid, mid in locked_mgr.items():
                    locked[rid_index[rid]] = next(i for i, s in enumerate(slots) if s.manager_id == mid)
            elif locked_mgr:
                ctx.progress.warn("locked retailers are kept together with free centres; owners are matched afterwards")
            res = solve_level(np.arange(R), k, [s.base_loc for s in slots] if use_bases else None, None,
                              locked, "all", 1.0)
            owner = res.assignment.astype(np.int64)
            if not use_bases and initial is None:
                owner, slots = _match_owners(ctx, owner, slots, k, res)
            adv()
    hierarchical = use_bases and tc.teams and len(teams) > 1 and initial is None
    method = "market territories (solvers.territory: " + ("team areas, then " if hierarchical else "") + \
        ("fixed centres at manager bases" if use_bases else "free centres") + ")"
    terr = Territories(slots, owner, method, details)
    terr.estimated_hours = estimated_workload(ctx, terr)
    return terr


def _match_owners(ctx: Context, owner: np.ndarray, slots: list[Slot], k: int, res) -> tuple[np.ndarray, list[Slot]]:
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
                                parse_clock(cal.shift.start), parse_clock(cal.shift.end), cal.max_visits_per_day, True)
    used = {id(s) for s in new_slots}
    unused = [s.manager_id for s in slots if id(s) not in used]
    if unused:
        ctx.progress.warn(f"{len(unused)} managers get no territory: {', '.join(unused)}")
    return owner, [s for s in new_slots if s is not None] + [s for s in slots if id(s) not in used]


def estimated_workload(ctx: Context, terr: Territories) -> dict[str, float]:
    """Territory design's workload estimate per owner (hours): service + access + daily base trips."""
    out = {}
    wl = ctx.work.total_s
    n_work_days = sum(1 for d in ctx.days if d.working)
    for k, s in enumerate(terr.slots):
        units = np.flatnonzero(terr.owner == k)
        if not len(units):
            out[s.manager_id] = 0.0
            continue
        bt = ctx.travel.soft.from_sources(np.array([s.base_loc]))[0, units].astype(float)
        routed = ctx.work.visits[units] > 0
        stem = float(np.median(bt[routed])) if routed.any() else 0.0
        days_needed = min(n_work_days, int(ctx.work.visits[units].sum()))
        out[s.manager_id] = (float(wl[units].sum()) + days_needed * 2 * stem) / 3600.0
    return out


# --- calendars ------------------------------------------------------------------------------

def schedule_territories(ctx: Context, terr: Territories, *, label: str, lam: float | None = None,
                         required_override: dict[str, int] | None = None,
                         previous_weekday: dict[str, int] | None = None, move_penalty: float = 0.0,
                         method: str | None = None) -> tuple[dict[int, tuple[np.ndarray, ScheduleResult]], str]:
    """Build each territory's calendar; returns {slot: (retailer indices, result)} and the method."""
    sc = ctx.loaded.scenario
    method = method or sc.schedule.method
    routed = build.is_routed(ctx.loaded, ctx.ds.retailers["class"].to_numpy())
    out: dict[int, tuple[np.ndarray, ScheduleResult]] = {}
    solve = None
    desc = "greedy day assignment + nearest-neighbour routes (simple method)"
    if method == "solver":
        try:
            from solvers.schedule import solve as _solve  # noqa: F401

            solve = _solve
            desc = f"periodic calendar solver (solvers.schedule, backend {sc.schedule.backend})"
        except ImportError:
            ctx.progress.warn("the calendar solver is not available; using the simple greedy method")
    from solvers.schedule import ScheduleParams, greedy

    rid = ctx.ds.retailers["retailer_id"].to_numpy()
    with ctx.progress.task(f"Scheduling visits ({label})", total=len(terr.slots)) as adv:
        for k, s in enumerate(terr.slots):
            units = np.flatnonzero((terr.owner == k) & routed)
            prev = None
            if previous_weekday is not None:
                prev = np.array([previous_weekday.get(rid[u], -1) for u in units], dtype=np.int64)
            prob = schedule_problem_for(ctx, units, [s], lam=lam, required_override=required_override,
                                        previous_weekday=prev, move_penalty=move_penalty)
            if solve is not None and len(units):
                res = solve(prob, stop=Stop(time_limit_s=sc.solver.schedule_time_limit_s,
                                            max_iterations=sc.solver.max_iterations),
                            seed=ctx.seed, params=ScheduleParams(backend=sc.schedule.backend))
            else:
                res = greedy.solve(prob, stop=Stop(time_limit_s=sc.solver.schedule_time_limit_s,
                                                   max_iterations=sc.solver.max_iterations), seed=ctx.seed)
            out[k] = (units, res)
            adv()
    return out, desc


def schedule_problem_for(ctx: Context, units: np.ndarray, slots: list[Slot], **kw):
    """The calendar problem of ``units`` served from the bases of ``slots``."""
    return build.schedule_problem(ctx.loaded, ctx.ds, ctx.travel, ctx.days, ctx.windows, units, slots, **kw)


# --- assembling the plan ----------------------------------------------------------------------

def assemble_plan(ctx: Context, terr: Territories, calendars: dict[int, tuple[np.ndarray, ScheduleResult]],
                  *, methods: dict[str, str]) -> Plan:
    r = ctx.ds.retailers
    rid = r["retailer_id"].to_numpy()
    cls = r["class"].to_numpy()
    dates = [d.date.isoformat() for d in ctx.days]
    assignments = pd.DataFrame({"retailer_id": rid, "manager_id": [terr.slots[k].manager_id for k in terr.owner],
                                "team": [terr.slots[k].team for k in terr.owner]})
    vrows, urows, routes = [], [], []
    lonlat = ctx.lonlat
    for k, (units, res) in sorted(calendars.items()):
        s = terr.slots[k]
        for route in sorted(res.routes, key=lambda x: x.day):
            coords = [(s.lon, s.lat)]
            for q, st in enumerate(route.stops, start=1):
                g = int(units[st.customer])
                vrows.append((s.manager_id, route.day, dates[route.day], q, rid[g], format_clock(st.arrival_s),
                              format_clock(st.departure_s), int(st.travel_s), int(st.departure_s - st.start_s)))
            path = [s.base_loc] + [int(units[st.customer]) for st in route.stops] + [s.base_loc]
            coords = _route_coords(ctx, path, lonlat, s)
            wait = sum(st.start_s - st.arrival_s for st in route.stops)
            routes.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords},
                           "properties": {"manager_id": s.manager_id, "team": s.team, "day_index": route.day,
                                          "date": dates[route.day], "start": format_clock(route.start_s),
                                          "end": format_clock(route.end_s), "start_s": route.start_s, "end_s": route.end_s,
                                          "n_visits": len(route.stops), "travel_s": int(route.travel_s),
                                          "service_s": int(route.service_s), "wait_s": int(wait),
                                          "return_travel_s": int(route.return_travel_s),
                                          "breaks": [{"start": format_clock(b0), "duration_s": int(bd)} for b0, bd in route.breaks]}})
        for u in res.unplanned:  # one entry per visit not planned
            g = int(units[u.customer])
            d = u.day
            urows.append((rid[g], s.manager_id, cls[g], "" if d is None else d, "" if d is None else dates[d],
                          u.reason, u.message))
    visits = pd.DataFrame(vrows, columns=["manager_id", "day_index", "date", "sequence", "retailer_id", "arrival",
                                          "departure", "travel_s", "service_s"])
    unplanned = pd.DataFrame(urows, columns=["retailer_id", "manager_id", "class", "day_index", "date", "reason", "message"])
    managers = pd.DataFrame({
        "manager_id": [s.manager_id for s in terr.slots], "team": [s.team for s in terr.slots],
        "lon": [s.lon for s in terr.slots], "lat": [s.lat for s in terr.slots],
        "shift_start": [format_clock(s.shift_start_s) for s in terr.slots],
        "shift_end": [format_clock(s.shift_end_s) for s in terr.slots],
        "vacant": [s.vacant for s in terr.slots]})
    territories = territory_features(ctx, terr)
    return Plan(assignments=assignments, visits=visits, unplanned=unplanned, managers=managers, routes=routes,
                territories=territories, manifest={"methods": methods})


def _route_coords(ctx: Context, path: list[int], lonlat: np.ndarray, slot: Slot) -> list[list[float]]:
    out: list[list[float]] = []
    for a, b in zip(path[:-1], path[1:], strict=True):
        seg = ctx.travel.path_lonlat(a, b, lonlat)
        if out:
            seg = seg[1:]
        out.extend([[round(float(x), 6), round(float(y), 6)] for x, y in seg])
    if out:
        out[0] = [round(slot.lon, 6), round(slot.lat, 6)]
        out[-1] = [round(slot.lon, 6), round(slot.lat, 6)]
    return out


def territory_features(ctx: Context, terr: Territories) -> list[dict]:
    """Territory polygons: Voronoi cells of the retailers, clipped to the study area, dissolved."""
    import shapely
    from shapely.geometry import mapping

    r = ctx.ds.retailers
    xy = r[["x", "y"]].to_numpy()
    uniq, inv = np.unique(np.round(xy, 1), axis=0, return_inverse=True)
    inv = inv.ravel()
    pts = shapely.points(uniq)
    hull = shapely.convex_hull(shapely.multipoints(uniq)).buffer(250.0)
    if len(uniq) >= 3:
        cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(uniq), extend_to=hull, ordered=True))
        if len(cells) != len(uniq):  # defensive: match cells to points spatially
            tree = shapely.STRtree(cells)
            idx = tree.query(pts, predicate="intersects")
            order = np.full(len(uniq), -1)
            order[idx[0]] = idx[1]
            cells = cells[order]
        cells = shapely.intersection(cells, hull)
    else:
        cells = shapely.buffer(pts, 250.0)
    owner_u = np.full(len(uniq), -1)
    owner_u[inv] = terr.owner  # co-located retailers: the last one wins the cell
    feats = []
    for k, s in enumerate(terr.slots):
        mine = np.flatnonzero(owner_u == k)
        geom = shapely.union_all(cells[mine]) if len(mine) else shapely.Polygon()
        if geom.is_empty:
            continue
        gx = shapely.transform(geom, lambda c: np.column_stack(ctx.ds.projection.inverse(c[:, 0], c[:, 1])))
        gx = shapely.set_precision(gx, 1e-6)
        units = np.flatnonzero(terr.owner == k)
        feats.append({"type": "Feature", "geometry": mapping(gx),
                      "properties": {"manager_id": s.manager_id, "team": s.team, "retailers": int(len(units)),
                                     "parts": int(shapely.get_num_geometries(geom)),
                                     "estimated_workload_hours": terr.estimated_hours.get(s.manager_id)}})
    return feats


def plan_kpis(ctx: Context, plan: Plan, terr: Territories) -> dict:
    sc = ctx.loaded.scenario
    required = {c: sc.required_visits(c) for c in sc.classes}
    routed = {c: sc.classes[c].mode == "visit" for c in sc.classes}
    base_travel = {}
    for k, s in enumerate(terr.slots):
        units = np.flatnonzero(terr.owner == k)
        base_travel[s.manager_id] = ctx.travel.soft.from_sources(np.array([s.base_loc]))[0, units]
    # order of units per manager must follow plan.assignments order (retailer input order): it does
    return compute_kpis(plan, retailers=ctx.ds.retailers, required=required, routed=routed,
                        key_classes=set(sc.key_class_set), base_travel_s=base_travel,
                        workload_s=ctx.work.total_s, estimated_hours=terr.estimated_hours or None,
                        adjacency=adjacency(ctx))


def adjacency(ctx: Context) -> np.ndarray:
    """The territory-design adjacency graph of the retailers (Delaunay, overlong edges trimmed)."""
    if "adjacency" not in ctx.cache:
        from solvers.territory import delaunay_adjacency

        ctx.cache["adjacency"] = delaunay_adjacency(ctx.ds.retailers[["x", "y"]].to_numpy())
    return ctx.cache["adjacency"]


def manifest(ctx: Context, *, methods: dict[str, str], timings: dict[str, float], kind: str) -> dict:
    versions = {}
    for p in PACKAGES:
        try:
            versions[p] = md.version(p)
        except md.PackageNotFoundError:
            versions[p] = None
    loaded = ctx.loaded
    return {
        "kind": kind,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "scenario": {"name": loaded.scenario.name, "path": str(loaded.path), "sha256": loaded.sha256},
        "inputs": {k: {"path": str(p), "sha256": file_sha256(p)} for k, p in sorted(ctx.ds.files.items())},
        "seed": ctx.seed,
        "start_date": ctx.days[0].date.isoformat() if ctx.days else None,
        "days": [{"day_index": d.index, "date": d.date.isoformat(), "working": d.working} for d in ctx.days],
        "travel_model": ctx.travel.description,
        "projection_epsg": ctx.ds.projection.epsg,
        "methods": methods,
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        "python": platform.python_version(),
        "packages": versions,
    }


@dataclass
class RunOutput:
    folder: Path
    plan: Plan
    baseline: Plan | None
    validation: object


def build_plan(ctx: Context, terr: Territories, *, kind: str, **schedule_kw) -> Plan:
    t = time.perf_counter()
    cals, sdesc = schedule_territories(ctx, terr, label=kind, **schedule_kw)
    t_sched = time.perf_counter() - t
    methods = {"territories": terr.method, "schedule": sdesc}
    plan = assemble_plan(ctx, terr, cals, methods=methods)
    plan.kpis = plan_kpis(ctx, plan, terr)
    stats = [dataclasses.asdict(c[1].stats) for c in cals.values()]
    plan.kpis["solver"] = {"territories": terr.details, "schedule_runtime_s": round(t_sched, 3),
                           "schedule_stats": [{k: v for k, v in s.items() if isinstance(v, (int, float, str))} for s in stats][:500]}
    timings = dict(ctx.timings)
    timings["schedule_s"] = t_sched
    plan.manifest = manifest(ctx, methods=methods, timings=timings, kind=kind)
    plan.scenario_text = ctx.loaded.text
    return plan


def default_plan_folder(loaded: LoadedScenario, seed: int) -> Path:
    store = loaded.resolve(loaded.scenario.output.folder)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    slug = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in loaded.path.stem)
    base = store / f"{stamp}-{slug}-seed{seed}"
    folder, n = base, 1
    while folder.exists():
        n += 1
        folder = Path(f"{base}-{n}")
    return folder


def run_scenario(loaded: LoadedScenario, *, out: Path | None = None, seed: int | None = None,
                 progress: Progress | None = None, with_baseline: bool = True, lang: str = "en") -> RunOutput:
    """Run a scenario end to end and write its plan folder (see module docstring).

    The folder also holds ``report.html`` and ``report.xlsx`` in language ``lang`` (``en``/``zh``);
    a plan written into the scenario's store (``output.folder``) is made read-only.
    """
    from planner.plan import write_plan
    from planner.report import check_lang, reports_for_run
    from planner.store import in_store, seal
    from planner.validate import validate_folder

    check_lang(lang)

    progress = progress or Progress()
    t_all = time.perf_counter()
    ctx = prepare(loaded, seed=seed, progress=progress)
    folder = Path(out) if out is not None else default_plan_folder(loaded, ctx.seed)
    if folder.exists() and any(folder.iterdir()):
        from planner.errors import PlanExistsError

        raise PlanExistsError(f"{folder} already exists; plans are never overwritten. Choose another --out folder.")
    sc = loaded.scenario
    t = time.perf_counter()
    admin = administrative_territories(ctx)
    admin.estimated_hours = estimated_workload(ctx, admin)
    if sc.territories.method == "market":
        progress.step("Designing market territories")
        terr = market_territories(ctx)
    else:
        terr = admin
    ctx.timings["territories_s"] = time.perf_counter() - t
    plan = build_plan(ctx, terr, kind="plan")
    baseline = None
    if with_baseline:
        baseline = plan if terr is admin else build_plan(ctx, admin, kind="baseline")
        if baseline is not plan:
            baseline.manifest["kind"] = "baseline"
            plan.sub_plans["baseline"] = baseline
        from planner.kpis import comparison

        plan.kpis["baseline"] = {"global": baseline.kpis["global"], "method": admin.method}
        plan.kpis["comparison"] = comparison(plan.kpis, baseline.kpis)
    plan.manifest["timings_s"]["total_s"] = round(time.perf_counter() - t_all, 3)
    progress.step("Writing and validating the plan")
    report = {}

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
    return RunOutput(folder, plan, baseline, report.get("v"))

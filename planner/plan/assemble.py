"""Engine results to plan tables: assignments, visits with times, unplanned visits with reasons,
managers, day routes along the roads (GeoJSON) and territory polygons (GeoJSON), and the plan's
KPIs from those tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.config.scenario import format_clock
from planner.design.availability import availability_table, row_days
from planner.design.context import Context, adjacency
from planner.design.policy import is_routed
from planner.design.specialists import specialist_slots
from planner.design.territories import Slot, Territories
from planner.plan.kpis import compute_kpis
from planner.plan.model import UNPLANNED_OUT, VISIT_OUT, Plan, clock_seconds
from solvers.common import Status
from solvers.schedule.problem import Route, ScheduleResult, ScheduleStats, Unplanned, Visit


def assemble_plan(ctx: Context, terr: Territories, calendars: dict[int, tuple[np.ndarray, ScheduleResult]],
                  *, methods: dict[str, str]) -> Plan:
    assignments = assignment_table(ctx, terr)
    vrows, urows, routes = calendar_rows(ctx, terr.slots, calendars, kind="regular")
    visits = pd.DataFrame(vrows, columns=VISIT_OUT)
    unplanned = pd.DataFrame(urows, columns=UNPLANNED_OUT)
    managers = pd.DataFrame({
        "manager_id": [s.manager_id for s in terr.slots], "team": [s.team for s in terr.slots],
        "lon": [s.lon if s.lon_input is None else s.lon_input for s in terr.slots],
        "lat": [s.lat if s.lat_input is None else s.lat_input for s in terr.slots],
        "lon_wgs84": [s.lon for s in terr.slots], "lat_wgs84": [s.lat for s in terr.slots],
        "shift_start": [format_clock(s.shift_start_s) for s in terr.slots],
        "shift_end": [format_clock(s.shift_end_s) for s in terr.slots],
        "vacant": [s.vacant for s in terr.slots], "role": "manager",
        "skills": [slot_text(ctx, s, "skills") for s in terr.slots],
        "leave": [slot_text(ctx, s, "leave_text") for s in terr.slots]})
    territories = territory_features(ctx, terr)
    return Plan(assignments=assignments, visits=visits, unplanned=unplanned, managers=managers, routes=routes,
                territories=territories, manifest={"methods": methods})


def calendar_rows(ctx: Context, slots: list[Slot], calendars: dict[int, tuple[np.ndarray, ScheduleResult]],
                  *, kind: str) -> tuple[list[tuple], list[tuple], list[dict]]:
    """Rows of ``visits.csv`` and ``unplanned.csv`` and the ``routes.geojson`` features of the
    calendars of ``slots`` (slot index -> (retailer indices, result)); ``kind`` is the visits'
    kind (``regular``, ``specialist``)."""
    r = ctx.ds.retailers
    rid = r["retailer_id"].to_numpy()
    cls = r["class"].to_numpy()
    dates = [d.date.isoformat() for d in ctx.days]
    vrows, urows, routes = [], [], []
    lonlat = ctx.lonlat
    lon_in, lat_in = r["lon_input"].to_numpy(float), r["lat_input"].to_numpy(float)
    lon_w, lat_w = r["lon"].to_numpy(float), r["lat"].to_numpy(float)
    for k, (units, res) in sorted(calendars.items()):
        s = slots[k]
        off = {d for d, md in enumerate(row_days(ctx.loaded, ctx.ds, ctx.days, manager_id=s.manager_id, team=s.team,
                                                 shift=(s.shift_start_s, s.shift_end_s), row=s.manager_row))
               if ctx.days[d].working and not md.working}  # leave, or duties all day
        for route in sorted(res.routes, key=lambda x: x.day):
            for q, st in enumerate(route.stops, start=1):
                g = int(units[st.customer])
                vrows.append((s.manager_id, route.day, dates[route.day], q, rid[g], format_clock(st.arrival_s),
                              format_clock(st.departure_s), int(st.travel_s), int(st.departure_s - st.start_s),
                              lon_in[g], lat_in[g], lon_w[g], lat_w[g], kind))
            path = [s.base_loc] + [int(units[st.customer]) for st in route.stops] + [s.base_loc]
            coords = route_coords(ctx, path, lonlat, s)
            wait = sum(st.start_s - st.arrival_s for st in route.stops)
            routes.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords},
                           "properties": {"manager_id": s.manager_id, "team": s.team, "day_index": route.day,
                                          "date": dates[route.day], "start": format_clock(route.start_s),
                                          "end": format_clock(route.end_s), "start_s": route.start_s, "end_s": route.end_s,
                                          "n_visits": len(route.stops), "travel_s": int(route.travel_s),
                                          "service_s": int(route.service_s), "wait_s": int(wait),
                                          "return_travel_s": int(route.return_travel_s),
                                          "breaks": [{"start": format_clock(b0), "duration_s": int(bd)} for b0, bd in route.breaks],
                                          "kind": kind}})
        for u in res.unplanned:  # one entry per visit not planned
            g = int(units[u.customer])
            d = u.day
            reason, msg = u.reason, u.message
            if d in off and u.reason == "unreachable":  # the engine's word for a day nobody works
                reason, msg = "shift_capacity", f"{s.manager_id} does not work on {dates[d]} (leave, or duties all day)"
            urows.append((rid[g], s.manager_id, cls[g], "" if d is None else d, "" if d is None else dates[d],
                          reason, msg, kind))
    return vrows, urows, routes


def slot_text(ctx: Context, s: Slot, column: str) -> str:
    """A text column of the managers file for ``managers.csv`` (skills ``;``-separated; "" for a
    vacant position)."""
    if s.manager_row is None or column not in ctx.ds.managers.columns:
        return ""
    v = ctx.ds.managers[column].iat[s.manager_row]
    return ";".join(v) if isinstance(v, tuple) else str(v)


def assignment_table(ctx: Context, terr: Territories) -> pd.DataFrame:
    """``assignments.csv``: retailer, manager, team, class and the ``classify`` rule that gave it
    (1-based; empty from a class column), the coordinates in the input CRS and in WGS84, then the
    retailer file's other columns (canonical names for the columns the planner recognises, the
    file's own headers for the others), so a plan carries names, addresses and phones."""
    r = ctx.ds.retailers
    rule = r["class_rule"].to_numpy()
    out = pd.DataFrame({
        "retailer_id": r["retailer_id"].to_numpy(), "manager_id": [terr.slots[k].manager_id for k in terr.owner],
        "team": [terr.slots[k].team for k in terr.owner], "class": r["class"].to_numpy(),
        "class_rule": pd.array([int(x) if x > 0 else None for x in rule], dtype="Int64"),
        "lon": r["lon_input"].to_numpy(float), "lat": r["lat_input"].to_numpy(float),
        "lon_wgs84": r["lon"].to_numpy(float), "lat_wgs84": r["lat"].to_numpy(float)})
    for c in ctx.ds.retailer_present:
        if c in r.columns and c not in out.columns:
            out[c] = r[c].to_numpy()
    extra = ctx.ds.retailer_extra
    for c in extra.columns:
        name = c if c not in out.columns else f"input_{c}"
        out[name] = extra[c].to_numpy()
    return out


def kept_calendars(ctx: Context, terr: Territories, parent: Plan, slots) -> dict[int, tuple[np.ndarray, ScheduleResult]]:
    """The calendars of ``slots`` as the ``parent`` plan has them: the inverse of
    :func:`assemble_plan` for those owners (their visits, day routes and unplanned visits, and the
    solve statistics of ``kpis.json``), to keep calendars that need no new solve.

    Each slot's territory in ``terr`` must hold exactly the retailers the parent gives its owner
    (the same retailers visited in person, hence the same calendar problem); otherwise
    ``ValueError``.
    """
    rid = ctx.ds.retailers["retailer_id"].to_numpy().astype(str)
    routed = is_routed(ctx.loaded, ctx.ds.retailers["class"].to_numpy())
    solved = {m["manager_id"]: m for m in parent.kpis.get("solver", {}).get("schedule", {}).get("managers", [])}
    owner_ids = dict(zip(parent.assignments["retailer_id"].astype(str), parent.assignments["manager_id"].astype(str),
                         strict=True))
    sizes = pd.Series(list(owner_ids.values()), dtype=object).value_counts().to_dict()
    regular = parent.visits[parent.visits.get("kind", "regular") == "regular"]  # not specialists' visits
    visits = regular.sort_values(["manager_id", "day_index", "sequence"], kind="stable")
    by_mgr_visits = dict(tuple(visits.groupby("manager_id", sort=False)))
    unpl = parent.unplanned[parent.unplanned.get("kind", "regular") == "regular"]  # not contacts or specialists
    by_mgr_unplanned = dict(tuple(unpl.groupby("manager_id", sort=False)))
    routes_of: dict[str, list[dict]] = {}
    for f in parent.routes:
        routes_of.setdefault(str(f["properties"]["manager_id"]), []).append(f["properties"])
    out: dict[int, tuple[np.ndarray, ScheduleResult]] = {}
    for k in sorted(slots):
        mid = terr.slots[k].manager_id
        mine = terr.owner == k
        if sizes.get(mid, 0) != int(mine.sum()) or any(owner_ids.get(x) != mid for x in rid[mine]):
            raise ValueError(f"the territory of {mid} differs from the parent plan's: its calendar cannot be kept")
        units = np.flatnonzero(mine & routed)
        pos = {rid[u]: j for j, u in enumerate(units)}
        vm = by_mgr_visits.get(mid)
        stops_of: dict[int, list[Visit]] = {}
        days_of: dict[int, list[int]] = {}
        if vm is not None and len(vm):
            arr, dep = clock_seconds(vm["arrival"]), clock_seconds(vm["departure"])
            for d, r_, a_, p_, t_, s_ in zip(vm["day_index"].to_numpy(), vm["retailer_id"].astype(str), arr, dep,
                                           vm["travel_s"].to_numpy(), vm["service_s"].to_numpy(), strict=True):
                c = pos[r_]
                stops_of.setdefault(int(d), []).append(Visit(customer=c, arrival_s=int(a_), start_s=int(p_ - s_),
                                                             departure_s=int(p_), travel_s=int(t_)))
                days_of.setdefault(c, []).append(int(d))
        routes = []
        for p in sorted(routes_of.get(mid, []), key=lambda q: int(q["day_index"])):
            brk = tuple((int(clock_seconds(pd.Series([b["start"]]))[0]), int(b["duration_s"])) for b in p.get("breaks", []))
            routes.append(Route(vehicle=0, day=int(p["day_index"]), start_s=int(p["start_s"]), end_s=int(p["end_s"]),
                                stops=tuple(stops_of.get(int(p["day_index"]), ())), breaks=brk,
                                return_travel_s=int(p["return_travel_s"])))
        um = by_mgr_unplanned.get(mid)
        unplanned = () if um is None else tuple(
            Unplanned(customer=pos[r_], day=None if str(d) == "" else int(d), reason=reason, message=msg)
            for r_, d, reason, msg in zip(um["retailer_id"].astype(str), um["day_index"], um["reason"], um["message"],
                                          strict=True))
        info = solved.get(mid, {})
        res = ScheduleResult(
            status=Status(info.get("status", "feasible")), objective=float(info.get("objective", 0.0)),
            travel_s=int(sum(r.travel_s for r in routes)), routes=tuple(routes),
            pattern=tuple(tuple(sorted(days_of[c])) if c in days_of else None for c in range(len(units))),
            unplanned=unplanned,
            stats=ScheduleStats(method="kept from the parent plan", iterations=info.get("iterations"),
                                runtime_s=info.get("runtime_s"), visits=int(sum(len(r.stops) for r in routes))))
        out[k] = (units, res)
    return out


def route_coords(ctx: Context, path: list[int], lonlat: np.ndarray, slot: Slot) -> list[list[float]]:
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


def territory_cells(ctx: Context):
    """Voronoi cells of the retailers' distinct points, clipped to the study area, and the cell of
    each retailer; computed once per context (``ctx.cache``)."""
    import shapely

    if "territory_cells" in ctx.cache:
        return ctx.cache["territory_cells"]
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
    ctx.cache["territory_cells"] = (cells, inv)
    return cells, inv


def territory_features(ctx: Context, terr: Territories, *, only=None) -> list[dict]:
    """Territory polygons: Voronoi cells of the retailers, clipped to the study area, dissolved
    (``only``: the features of these slots only)."""
    import shapely
    from shapely.geometry import mapping

    cells, inv = territory_cells(ctx)
    owner_u = np.full(len(cells), -1)
    owner_u[inv] = terr.owner  # co-located retailers: the last one wins the cell
    feats = []
    for k, s in enumerate(terr.slots):
        if only is not None and k not in only:
            continue
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
                        adjacency=adjacency(ctx), balance_by=sc.territories.balance_by,
                        **team_kpi_inputs(ctx, terr))


def team_kpi_inputs(ctx: Context, terr: Territories) -> dict:
    """What :func:`compute_kpis` needs of the team: contacts and specialist visits required per
    class, and every manager's and specialist's available time, leave and duties."""
    sc = ctx.loaded.scenario
    return {"contacts_required": {c: sc.required_contacts(c) for c in sc.classes},
            "specialist_required": {c: sc.required_specialist_visits(c) for c in sc.classes},
            "availability": availability_table(ctx.loaded, ctx.ds, ctx.days, [*terr.slots, *specialist_slots(ctx)])}

"""Encoding of a calendar (or some of its days) as one routing problem for the backends.

Day ``d`` is the time slot ``[d*H, (d+1)*H)`` of a global clock; each (vehicle signature, day)
becomes a vehicle type whose shift (the day's own shift and breaks where the vehicle has them)
lies in that slot, and each possible visit ``(i, d)`` a client
(a *copy*) whose window lies in it, so a copy can only be served on its day. Customers with one
visit and several possible days become a *mutually exclusive group* of copies (the routing
backend then chooses the day itself, e.g. PyVRP's ``RelocateAlternative``); customers with
several visits have the copies of their current pattern. An optional copy's prize is
``lam * value``; when ``lam * value`` exceeds any possible saving, the copy (or group) is
required. Load dimensions carry ``demand``/``capacity`` and ``max_visits`` (demand 1 per visit).
Breaks are reserved for the router (see :mod:`solvers.routing`) and timed exactly at the end.
Per-day problems (``days=[d]``) use local time and no groups.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from solvers.routing import (
    RoutingClient,
    RoutingGroup,
    RoutingProblem,
    RoutingRoute,
    RoutingVehicleType,
    slot_neighbours,
)
from solvers.schedule.model import BIG_LOAD, Model
from solvers.schedule.state import Solution, visited_days


@dataclass(slots=True)
class Encoding:
    """A routing problem made from (part of) a calendar and how to read its routes back."""

    problem: RoutingProblem
    copies: list[tuple[int, int]]  # client index -> (customer, day)
    index: dict[tuple[int, int], int]
    vtypes: list[tuple[int, list[int]]]  # vehicle type -> (day, vehicles)


@dataclass(slots=True)
class Encoder:
    """Builds :class:`Encoding` s of one model (vehicle types per day, master neighbour lists).

    ``master_neighbours``: granular neighbourhood size of the master list over every possible
    copy (:attr:`solvers.schedule.params.ScheduleParams.master_neighbours`).
    """

    m: Model
    master_neighbours: int
    vtypes: list[tuple[int, list[int]]] = field(default_factory=list)
    rtypes: list[RoutingVehicleType] = field(default_factory=list)
    dims: tuple[str, ...] = ()
    master_copies: list[tuple[int, int]] | None = None
    soft: bool = False  # must visits optional (capped prize) instead of required
    master_lists: tuple[tuple[int, ...], ...] | None = None

    def __post_init__(self) -> None:
        m = self.m
        p = m.p
        dims = []
        if p.demand is not None and any(v.capacity is not None for v in p.vehicles):
            dims.append("demand")
        if any(v.max_visits is not None for v in p.vehicles):
            dims.append("visits")
        self.dims = tuple(dims)
        # Required visits suit the router when time is loose (measured: PVRP); with opening
        # hours narrower than the shifts or breaks (Model.windows_bind), PyVRP often fails to get
        # feasible with required clients, so must visits start optional there (whole prize).
        self.soft = m.windows_bind
        for d in range(m.T):
            sigs: dict[tuple, list[int]] = {}
            for v in m.day_vehicles[d]:
                veh = p.vehicles[v]
                # the day's own shift and breaks (per-day availability) are part of the signature
                sig = (veh.depot, *veh.shift_on(d), veh.breaks_on(d), veh.max_visits,
                       veh.capacity, veh.max_duration_s)
                sigs.setdefault(sig, []).append(v)
            for _sig, vs in sorted(sigs.items(), key=lambda kv: kv[1][0]):
                self.vtypes.append((d, vs))

    def vehicle_types(self, day_offset: bool) -> list[RoutingVehicleType]:
        m = self.m
        out = []
        for d, vs in self.vtypes:
            veh = m.p.vehicles[vs[0]]
            off = d * m.H if day_offset else 0
            s0, s1 = veh.shift_on(d)
            cap = []
            for dim in self.dims:
                if dim == "demand":
                    cap.append(BIG_LOAD if veh.capacity is None else int(veh.capacity))
                else:
                    cap.append(BIG_LOAD if veh.max_visits is None else int(veh.max_visits))
            out.append(RoutingVehicleType(
                start_depot=veh.depot, end_depot=veh.depot, count=len(vs),
                tw_early=off + s0, tw_late=off + s1,
                capacity=tuple(cap), max_duration_s=veh.max_duration_s,
                breaks=tuple((off + b.earliest_s, off + b.latest_s, b.duration_s) for b in veh.breaks_on(d)),
            ))
        return out

    def client(self, i: int, d: int, prize: int, required: bool, day_offset: bool) -> RoutingClient:
        m = self.m
        off = d * m.H if day_offset else 0
        dem = tuple(int(m.demand[i]) if dim == "demand" else 1 for dim in self.dims)
        o = max(int(m.open_[i, d]), 0)
        c = min(int(m.close[i, d]), m.H - 1)
        return RoutingClient(location=i, service_s=int(m.service[i]), tw_early=off + o,
                             tw_late=off + c, demand=dem, prize=int(prize), required=required)

    def encode(self, sol: Solution, days: list[int] | None = None) -> Encoding:
        """Clients: grouped customers -> all alive copies; others -> copies of their pattern.

        ``days``: restrict to these days and use local time (per-day problems, no groups).
        """
        m = self.m
        day_offset = days is None
        daysel = set(range(m.T)) if days is None else set(days)
        clients: list[RoutingClient] = []
        copies: list[tuple[int, int]] = []
        groups: list[RoutingGroup] = []
        for i in range(m.n):
            # a must visit is required by the router, unless the encoding is soft (opening hours
            # bind, or the router failed to find a feasible calendar): then it is optional with
            # its whole prize, the price the calendar's objective puts on a missing visit, so the
            # router optimises that objective. (A prize capped just above the most its removal
            # can save let the router drop it whenever that let others be routed a little
            # cheaper: county territory 1, 5 s of routing from the first calendar: 60 736 ->
            # 63 620 with one visit dropped, against 52 843 with every visit kept.)
            req = bool(m.must[i]) and not self.soft
            pz = int(m.prize[i])
            if m.grouped[i] and day_offset:
                opts = sorted({q[0] for q in m.pats[i] if m.alive[i, q[0]]})
                members = []
                for d in opts:
                    pr = 0 if req else pz
                    if m.move_pen and m.prev_wd[i] >= 0 and d % m.p.days_per_week == m.prev_wd[i]:
                        pr += m.move_pen
                    members.append(len(clients))
                    clients.append(self.client(i, d, pr, False, True))
                    copies.append((i, d))
                groups.append(RoutingGroup(clients=tuple(members), required=req))
            else:
                for d in sol.pattern[i] or ():
                    if d not in daysel or not m.alive[i, d]:
                        continue
                    clients.append(self.client(i, d, 0 if req else pz, req, day_offset))
                    copies.append((i, d))
        if day_offset:
            vts = self.vehicle_types(True)
            vmap = self.vtypes
        else:
            keep = [k for k, (d, _) in enumerate(self.vtypes) if d in daysel]
            allv = self.vehicle_types(False)
            vts = [allv[k] for k in keep]
            vmap = [self.vtypes[k] for k in keep]
        neighbours = self.neighbours(copies) if day_offset else None
        prob = RoutingProblem(duration=m.dur, cost=m.cost, clients=tuple(clients),
                              vehicle_types=tuple(vts), groups=tuple(groups), neighbours=neighbours)
        return Encoding(problem=prob, copies=copies,
                        index={c: k for k, c in enumerate(copies)}, vtypes=vmap)

    def neighbours(self, copies: list[tuple[int, int]]) -> tuple[tuple[int, ...], ...] | None:
        """Granular neighbourhood of the active copies, filtered from a master list computed
        once over every possible copy (:func:`solvers.routing.slot_neighbours`)."""
        m = self.m
        if self.master_copies is None:
            mc: list[tuple[int, int]] = []
            clients: list[RoutingClient] = []
            groups: list[RoutingGroup] = []
            for i in range(m.n):
                days = sorted({d for q in m.pats[i] for d in q if m.alive[i, d]})
                if not days or int(m.p.required[i]) == 0:
                    continue
                if m.grouped[i]:
                    groups.append(RoutingGroup(clients=tuple(range(len(clients), len(clients) + len(days))),
                                               required=False))
                for d in days:
                    mc.append((i, d))
                    clients.append(self.client(i, d, 1, False, True))
            master = RoutingProblem(duration=m.dur, cost=m.cost, clients=tuple(clients),
                                    vehicle_types=tuple(self.vehicle_types(True)), groups=tuple(groups),
                                    num_neighbours=self.master_neighbours)
            self.master_copies = mc
            self.master_lists = slot_neighbours(master)
        if self.master_lists is None:
            return None
        midx = {c: k for k, c in enumerate(self.master_copies)}
        aidx = {c: k for k, c in enumerate(copies)}
        mc = self.master_copies
        out = []
        for c in copies:
            lst = self.master_lists[midx[c]]
            out.append(tuple(aidx[mc[x]] for x in lst if mc[x] in aidx))
        return tuple(out)


def to_routes(enc: Encoding, sol: Solution) -> tuple[RoutingRoute, ...]:
    """Current solution as warm-start routes of the encoding (vehicle order within a type)."""
    tmap = {}
    for t, (d, vs) in enumerate(enc.vtypes):
        for v in vs:
            tmap[(v, d)] = t
    out = []
    for key in sorted(sol.routes):
        r = sol.routes[key]
        if key not in tmap:
            continue
        idx = [enc.index[(c, key[1])] for c in r if (c, key[1]) in enc.index]
        if idx:
            out.append(RoutingRoute(vehicle_type=tmap[key], clients=tuple(idx)))
    return tuple(out)


def from_routes(m: Model, enc: Encoding, routes: tuple[RoutingRoute, ...], base: Solution,
                days: list[int] | None = None) -> Solution:
    """``base`` with the routes of the encoded days (all if ``days`` is None) replaced by the
    backend's ``routes`` (vehicles of a type in order); grouped customers take the visited day
    as their pattern."""
    sol = base.copy()
    daysel = set(range(m.T)) if days is None else set(days)
    for key in list(sol.routes):
        if key[1] in daysel:
            sol.routes[key] = []
    used: dict[int, int] = {}
    for r in routes:
        d, vs = enc.vtypes[r.vehicle_type]
        k = used.get(r.vehicle_type, 0)
        used[r.vehicle_type] = k + 1
        v = vs[k]
        sol.routes[(v, d)] = [enc.copies[c][0] for c in r.clients]
    # grouped customers: pattern = visited day
    if days is None:
        vis = visited_days(sol, m.n)
        for i in range(m.n):
            if m.grouped[i]:
                sol.pattern[i] = (min(vis[i]),) if vis[i] else None
    return sol

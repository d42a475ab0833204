"""The whole calendar as one routing problem (:func:`horizon_encoding`) and PyVRP's iterated
local search on it (:func:`horizon_ils`), the final phase of the periodic path.

Vehicles of day ``d`` work in ``[d H, (d+1) H)``; a single-visit customer that may take any day
of a range is one client whose window spans those days (so the router moves it between days as
between routes), every other visit is fixed to its day. Exact on the periodic path, where
opening hours cover the shifts.
"""

from __future__ import annotations

from dataclasses import replace

from solvers import routing
from solvers.common import Stop
from solvers.routing import RoutingClient, RoutingParams, RoutingProblem, RoutingRoute
from solvers.schedule.encoding import Encoder, Encoding, from_routes, to_routes
from solvers.schedule.model import Model
from solvers.schedule.state import Solution, objective


def day_free(m: Model, i: int) -> tuple[int, int] | None:
    """(first, last) day when single-visit customer ``i`` may take any day of that range (and no
    weekday-move penalty makes its day matter): one client of the whole-horizon problem whose
    window spans those days. Else None (its visits stay on the days of its pattern)."""
    if not m.grouped[i] or (m.move_pen and m.prev_wd[i] >= 0):
        return None
    days = sorted({q[0] for q in m.pats[i] if m.alive[i, q[0]]})
    if len(days) < 2 or days[-1] - days[0] + 1 != len(days):
        return None
    return days[0], days[-1]


def horizon_encoding(m: Model, enc: Encoder, sol: Solution, *,
                     neighbours: int) -> tuple[Encoding, tuple[RoutingRoute, ...]]:
    """The whole calendar as one routing problem, and ``sol`` as its warm start.

    Vehicles of day ``d`` work in ``[d H, (d + 1) H)``. A day-free single-visit customer (see
    :func:`day_free`) is one client whose window spans its days, so the router moves it between
    days like between routes; every other customer has one client per day of its pattern,
    fixed to that day. Exact on the periodic path, where opening hours cover the shifts.
    ``neighbours``: granular neighbourhood size of the routing problem.
    """
    clients: list[RoutingClient] = []
    copies: list[tuple[int, int]] = []
    index: dict[tuple[int, int], int] = {}
    req = m.p.required
    for i in range(m.n):
        if int(req[i]) <= 0 or not m.pats[i]:
            continue
        must = bool(m.must[i])
        prize = 0 if must else int(m.prize[i])
        span = day_free(m, i)
        if span is not None:
            lo, hi = enc.client(i, span[0], prize, must, True), enc.client(i, span[1], prize, must, True)
            for d in range(span[0], span[1] + 1):
                index[(i, d)] = len(clients)
            copies.append((i, span[0]))
            clients.append(RoutingClient(location=lo.location, service_s=lo.service_s, tw_early=lo.tw_early,
                                         tw_late=hi.tw_late, demand=lo.demand, prize=prize, required=must))
            continue
        for d in sol.pattern[i] or ():
            if m.alive[i, d]:
                index[(i, d)] = len(clients)
                copies.append((i, d))
                clients.append(enc.client(i, d, prize, must, True))
    prob = RoutingProblem(duration=m.dur, cost=m.cost, clients=tuple(clients),
                          vehicle_types=tuple(enc.vehicle_types(True)), num_neighbours=neighbours)
    e = Encoding(problem=prob, copies=copies, index=index, vtypes=enc.vtypes)
    return e, to_routes(e, sol)  # a day-free client is indexed under each day of its span


def horizon_ils(m: Model, enc: Encoder, sol: Solution, *, seconds: float | None, iterations: int | None,
                seed: int, neighbours: int) -> Solution:
    """PyVRP's iterated local search on the whole calendar (:func:`horizon_encoding`) from
    ``sol``; the result replaces ``sol`` when it has no excess and is not worse."""
    e, init = horizon_encoding(m, enc, sol, neighbours=neighbours)
    if not e.problem.clients:
        return sol
    rs = routing.solve(replace(e.problem, initial=init), stop=Stop(time_limit_s=seconds, max_iterations=iterations),
                       seed=seed, params=RoutingParams(backend="pyvrp"))
    if not rs.feasible:
        return sol
    cand = from_routes(m, e, rs.routes, sol)
    return cand if objective(m, cand) <= objective(m, sol) else sol

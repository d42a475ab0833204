"""The precomputed model of a calendar problem (:class:`Model`), built once per solve.

Everything the searches need about a :class:`~solvers.schedule.problem.ScheduleProblem` as
arrays: integer arc costs (travel seconds, or ``round(1000 * distance)`` when a cost matrix is
given), clamped durations, each vehicle's shift per day (its own shift and breaks on days that
have them: :meth:`~solvers.schedule.problem.Vehicle.shift_on`), whether a visit is possible
*alone* on a day (and why not), prizes (``lam * value``), which visits are never worth giving up, the allowed
patterns, which single-visit customers let the router choose their day, and the estimate
penalties of excess load and shift time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solvers.common import UNREACHABLE
from solvers.schedule.params import ScheduleParams
from solvers.schedule.problem import ScheduleProblem
from solvers.schedule.timing import Shift, time_route

COST_CAP = 10**12
"""Integer cost of an unreachable arc inside the solver (keeps sums far from overflow)."""
DISTANCE_SCALE = 1000.0
"""When ``problem.distance`` (float) is given, the routers see ``round(1000 * distance)``."""
BIG_LOAD = 10**9
"""Capacity of a load dimension a vehicle does not limit."""


@dataclass(slots=True)
class Model:
    """A :class:`~solvers.schedule.problem.ScheduleProblem` precomputed for the searches."""

    p: ScheduleProblem
    n: int
    T: int
    H: int
    cost: np.ndarray  # (L, L) int64 scaled cost
    cost_f: np.ndarray  # (L, L) float objective cost (travel_s or distance)
    scale: float  # int cost = scale * objective unit
    dur: np.ndarray  # (L, L) int64 travel seconds, clamped
    shifts: list[list[Shift | None]]  # [v][d]
    alive: np.ndarray  # (n, T) bool: visit possible alone on that day
    alone_reason: np.ndarray  # (n, T) object: None / 'opening_hours' / 'unreachable'
    prize: np.ndarray  # (n,) int64 scaled lam*value (capped)
    prize_f: np.ndarray  # (n,) float lam*value
    must: np.ndarray  # (n,) bool: never worth giving up
    pats: list[list[tuple[int, ...]]]  # per customer: allowed patterns
    grouped: np.ndarray  # (n,) bool: single visit, day chosen by the router
    day_vehicles: list[list[int]]  # vehicles working on day d
    demand: np.ndarray
    avail: list[list[int]]  # [v][d] usable seconds (shift - breaks, <= max duration)
    open_: np.ndarray  # (n, T)
    close: np.ndarray  # (n, T)
    service: np.ndarray
    prev_wd: np.ndarray  # (n,) -1 none
    move_pen: int  # scaled
    move_pen_f: float
    hard_factor: float  # multiplies the excess penalties of the objective (ScheduleParams.hard_factor)
    windows_bind: bool = False  # opening hours narrower than the shifts, or breaks
    pen_load: float = 0.0  # estimate penalty per unit of excess load
    pen_time: float = 0.0  # estimate penalty per second of excess shift time


def build_model(p: ScheduleProblem, params: ScheduleParams) -> Model:
    """Precompute the model of ``p``; ``params.backend == "pyvrp"`` lets the router choose the day
    of single-visit customers with several possible days (``grouped``)."""
    backend = params.backend
    n, T = p.n_customers, p.n_days
    travel = np.asarray(p.travel_s, dtype=np.int64)
    H = int(max([v.shift_on(d)[1] for v in p.vehicles for d in range(T) if v.days[d]]
                + [v.shift_end_s for v in p.vehicles] + [1])) + 1
    # no feasible route can use a longer travel; the cap keeps the router's penalties
    # (time warp x penalty) far from int64 overflow
    dur = np.minimum(travel, 10 * (T + 1) * H)
    if p.distance is not None:
        cost_f = np.asarray(p.distance, dtype=np.float64)
        scale = DISTANCE_SCALE
        cost = np.where(travel >= UNREACHABLE, COST_CAP,
                        np.minimum(np.rint(cost_f * scale), COST_CAP)).astype(np.int64)
    else:
        cost_f = travel.astype(np.float64)
        scale = 1.0
        cost = np.minimum(travel, COST_CAP)
    service = np.asarray(p.service_s, dtype=np.int64)
    open_ = np.asarray(p.windows[:, :, 0], dtype=np.int64)
    close = np.asarray(p.windows[:, :, 1], dtype=np.int64)
    shifts: list[list[Shift | None]] = []
    avail: list[list[int]] = []
    for v in p.vehicles:
        # one Shift per (vehicle, day): the day's own shift and breaks where the vehicle has them
        # (equal days share one object, as without per-day availability)
        made: dict[tuple, tuple[Shift, int]] = {}
        row: list[Shift | None] = []
        arow: list[int] = []
        for d in range(T):
            if not v.days[d]:
                row.append(None)
                arow.append(0)
                continue
            s0, s1 = v.shift_on(d)
            brks = tuple(sorted((b.earliest_s, b.latest_s, b.duration_s) for b in v.breaks_on(d)))
            key = (s0, s1, brks)
            if key not in made:
                sh = Shift(depot=v.depot, start_s=s0, end_s=s1, breaks=brks, max_duration_s=v.max_duration_s)
                a = s1 - s0
                if v.max_duration_s is not None:
                    a = min(a, v.max_duration_s)
                made[key] = (sh, a - sum(b[2] for b in brks))
            row.append(made[key][0])
            arow.append(made[key][1])
        shifts.append(row)
        avail.append(arow)
    day_vehicles = [[v for v in range(len(p.vehicles)) if p.vehicles[v].days[d]] for d in range(T)]
    demand = np.zeros(n, dtype=np.int64) if p.demand is None else np.asarray(p.demand, dtype=np.int64)
    # alone feasibility (cache per shift signature)
    alive = np.zeros((n, T), dtype=bool)
    alone_reason = np.full((n, T), None, dtype=object)
    for d in range(T):
        sigs: dict[Shift, int] = {}
        for v in day_vehicles[d]:
            sh = shifts[v][d]
            assert sh is not None
            sigs.setdefault(sh, v)
        for i in range(n):
            if open_[i, d] > close[i, d]:
                alone_reason[i, d] = "opening_hours"
                continue
            ok = False
            for sh, v in sigs.items():
                cap = p.vehicles[v].capacity
                if cap is not None and demand[i] > cap:
                    continue
                if p.vehicles[v].max_visits is not None and p.vehicles[v].max_visits < 1:
                    continue
                if travel[sh.depot, i] >= UNREACHABLE or travel[i, sh.depot] >= UNREACHABLE:
                    continue
                if time_route(travel, sh, [i], service, open_[:, d], close[:, d]) is not None:
                    ok = True
                    break
            if ok:
                alive[i, d] = True
            else:
                alone_reason[i, d] = "unreachable"
    value = np.asarray(p.value, dtype=np.float64)
    prize_f = p.lam * value
    prize = np.minimum(np.rint(prize_f * scale), COST_CAP).astype(np.int64)
    # a visit is never worth giving up when its prize exceeds the most that removing it from any
    # route can save: cost[a, i] + cost[i, b] - cost[a, b] <= 2 * max(cost[i, :], cost[:, i])
    fin = np.where(cost < COST_CAP, cost, 0)
    reach = np.maximum(fin[:n].max(axis=1), fin[:, :n].max(axis=0)) if n else np.zeros(0)
    must = prize > 2 * reach
    pats = [list(dict.fromkeys(tuple(sorted(x)) for x in pp)) for pp in p.patterns]
    req = np.asarray(p.required, dtype=np.int64)
    grouped = np.zeros(n, dtype=bool)
    if backend == "pyvrp":
        for i in range(n):
            if req[i] == 1:
                days = {q[0] for q in pats[i] if alive[i, q[0]]}
                grouped[i] = len(days) > 1
    prev_wd = (np.full(n, -1, dtype=np.int64) if p.previous_weekday is None
               else np.asarray(p.previous_weekday, dtype=np.int64))
    # opening hours bind when a window is narrower than the shifts or a vehicle has breaks:
    # then the insertion estimates time the routes (Loads) and the router's encoding is soft
    lo = min((v.shift_start_s for v in p.vehicles), default=0)
    hi = max((v.shift_end_s for v in p.vehicles), default=0)
    open_days = open_ <= close
    windows_bind = bool(np.any(open_days & ((open_ > lo) | (close < hi)))) or any(
        v.breaks or any(v.breaks_on(d) for d in range(T) if v.days[d]) for v in p.vehicles)
    # penalties of the insertion estimates: one unit of excess load costs a depot radius per
    # average demand; one second of excess time costs 10x the cost of a second of travel
    dep_locs = sorted({v.depot for v in p.vehicles})
    radius = float(np.median(cost[np.ix_(dep_locs, np.arange(n))])) if n else 1.0
    pen_load = radius / max(float(demand.mean()) if n else 1.0, 1.0)
    fin = (dur > 0) & (cost < COST_CAP)
    pen_time = 10.0 * float(np.median(cost[fin] / dur[fin])) if fin.any() else 10.0
    return Model(p=p, n=n, T=T, H=H, pen_load=pen_load, pen_time=pen_time, cost=cost, cost_f=cost_f, scale=scale, dur=dur,
                  shifts=shifts, alive=alive, alone_reason=alone_reason, prize=prize,
                  prize_f=prize_f, must=must, pats=pats, grouped=grouped,
                  day_vehicles=day_vehicles, demand=demand, avail=avail, open_=open_,
                  close=close, service=service, prev_wd=prev_wd,
                  move_pen=int(round(p.move_penalty * scale)), move_pen_f=float(p.move_penalty),
                  hard_factor=params.hard_factor, windows_bind=windows_bind)


def weekday_moved(m: Model, i: int, days: tuple[int, ...] | None) -> bool:
    """Weekday move: previous weekday set and not among the planned weekdays."""
    pw = int(m.prev_wd[i])
    if pw < 0:
        return False
    if not days:
        return True
    return pw not in {d % m.p.days_per_week for d in days}

"""Phone and messaging contacts: the desk time kept for them in the calendars, and their days and
times once the routes are known (``contacts.csv``).

A retailer needs ``scenario.required_contacts(class)`` contacts in the horizon: every visit of a
``mode: remote`` class, else ``remote_per_cycle`` scaled to the horizon. A contact takes the
retailer's service time for a remote class (as before contacts were scheduled) and
``remote_min`` for the contacts a visited class adds. Its manager is the retailer's territory
owner, at the desk at the base.

Rules
-----
1. **Desk time**: contacts take the free time around the routes (rule 3). When a manager's
   contacts do not all fit, that manager's calendar is solved again with the routes ending
   earlier every worked day by ``max(ceil(seconds of the contacts that found no room / worked
   days / 60), the longest contact)`` minutes (:func:`desk_reservation`) and the contacts are
   placed again; should some still find no room, once more with the time of all the territory's
   contacts spread over the worked days, which always leaves room (:func:`schedule_with_contacts`).
   Keeping desk time only where needed leaves the end of the day to routes where it can (shops
   that open late in the afternoon).
2. **Target day**: a retailer with planned visits on days ``V`` gets its contacts in the largest
   gaps between visits, the horizon taken as a cycle (each contact goes to the gap with the
   largest length / (contacts in it + 1); within a gap they are evenly spaced): one visit and
   one contact in four weeks puts the contact about two weeks after the visit (or before it,
   wrapping around the cycle). Retailers without visits are listed round by round (every
   retailer's first contact, then every second one) and contact ``k`` of the manager's ``N``
   targets day ``k * T / N``.
3. **Day and time**: in order of target, each contact takes the worked day nearest its target
   (ties: the later day; a day the retailer is visited only when no other day has room) where
   the manager has desk time: inside the day's shift, outside the day's route (leaving the base
   to being back), outside the blocked intervals of duties and outside the windows of the day's
   breaks, after the other contacts of the day; the first free time after the route first, then
   before it. A contact that finds no room is listed in ``unplanned.csv`` (``kind`` contact,
   reason ``shift_capacity``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from planner.config.scenario import format_clock
from planner.design.availability import ManagerDay, row_days
from planner.design.context import Context

CONTACT_COLUMNS = ["manager_id", "date", "start", "end", "retailer_id", "phone", "day_index", "kind"]
"""``contacts.csv``: the documented columns, then the day index and the kind (``remote``: a class
contacted only remotely; ``mixed``: a contact between a visited class's visits)."""


def contact_needs(ctx: Context) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per retailer (input order): contacts required in the horizon, seconds per contact, and
    whether its class is contacted only remotely."""
    cache = ctx.cache.get("contact_needs")
    if cache is not None:
        return cache
    sc = ctx.loaded.scenario
    cls = ctx.ds.retailers["class"].to_numpy()
    need = np.array([sc.required_contacts(c) for c in cls], dtype=np.int64)
    remote = np.array([sc.classes[c].mode == "remote" for c in cls], dtype=bool)
    minutes = np.array([sc.classes[c].remote_min for c in cls], dtype=float)
    secs = np.where(remote, ctx.ds.retailers["service_s"].to_numpy(), np.rint(minutes * 60)).astype(np.int64)
    ctx.cache["contact_needs"] = (need, secs, remote)
    return need, secs, remote


def slot_days(ctx: Context, s) -> list[ManagerDay]:
    """The availability of a slot's manager (:mod:`planner.design.availability`)."""
    return row_days(ctx.loaded, ctx.ds, ctx.days, manager_id=s.manager_id, team=s.team,
                    shift=(s.shift_start_s, s.shift_end_s), row=s.manager_row)


def desk_reservation(ctx: Context, mine: np.ndarray, s, missing_s: int | None = None) -> int:
    """Rule 1: seconds a day kept free of routes for the contacts of the retailers ``mine``: the
    time of all their contacts (or ``missing_s``, of those that found no room) spread over the
    manager's worked days, rounded up to minutes, and at least the longest contact."""
    need, secs, _ = contact_needs(ctx)
    total = int((need[mine] * secs[mine]).sum()) if missing_s is None else int(missing_s)
    if not total:
        return 0
    worked = sum(1 for d in slot_days(ctx, s) if d.working)
    longest = int(secs[mine & (need > 0)].max())
    return max(int(math.ceil(total / max(worked, 1) / 60.0)), int(math.ceil(longest / 60.0))) * 60


def target_days(visit_days: list[int], n: int, T: int) -> list[float]:
    """Rule 2 for a retailer with visits on ``visit_days``: the target day of each of ``n`` contacts."""
    v = sorted(set(visit_days))
    gaps = [(v[k], (v[k + 1] if k + 1 < len(v) else v[0] + T) - v[k]) for k in range(len(v))]
    count = [0] * len(gaps)
    for _ in range(n):
        k = max(range(len(gaps)), key=lambda j: (gaps[j][1] / (count[j] + 1), -j))
        count[k] += 1
    out = []
    for (a, length), c in zip(gaps, count, strict=True):
        out.extend((a + length * (q + 1) / (c + 1)) % T for q in range(c))
    return sorted(out)


def free_intervals(d: ManagerDay, route: tuple[int, int] | None) -> list[tuple[int, int]]:
    """Rule 3: the desk time of a day, the time after the route first, then before it."""
    busy = sorted([*d.blocks, *((b.earliest_s, b.latest_s + b.duration_s) for b in d.breaks),
                   *([route] if route is not None else [])])
    free, t = [], d.start_s
    for a, b in busy:
        if a > t:
            free.append((t, min(a, d.end_s)))
        t = max(t, b)
    if t < d.end_s:
        free.append((t, d.end_s))
    free = [(a, b) for a, b in free if b > a]
    if route is None:
        return free
    return [x for x in free if x[0] >= route[1]] + [x for x in free if x[0] < route[1]]


def plan_contacts(ctx: Context, terr, calendars: dict) -> tuple[pd.DataFrame, list[tuple]]:
    """Rules 2-3 for every territory: ``contacts.csv`` rows and the unplanned contacts as
    ``(retailer index, manager id, day index, message)``."""
    need, secs, remote = contact_needs(ctx)
    r = ctx.ds.retailers
    rid = r["retailer_id"].to_numpy().astype(str)
    phone = r["phone"].to_numpy().astype(str) if "phone" in r.columns else np.full(len(r), "", dtype=object)
    T = len(ctx.days)
    dates = [d.date.isoformat() for d in ctx.days]
    rows: list[dict] = []
    unplanned: list[tuple] = []
    for k, s in enumerate(terr.slots):
        mine = np.flatnonzero((terr.owner == k) & (need > 0))
        if not len(mine):
            continue
        mdays = slot_days(ctx, s)
        routes: dict[int, tuple[int, int]] = {}
        visits: dict[int, list[int]] = {}
        if k in calendars:
            units, res = calendars[k]
            for rt in res.routes:
                if rt.stops:
                    routes[rt.day] = (int(rt.start_s), int(rt.end_s))
                for st in rt.stops:
                    visits.setdefault(int(units[st.customer]), []).append(rt.day)
        jobs: list[tuple[float, int, int]] = []  # (target day, order, retailer)
        loose = [i for i in mine if not visits.get(int(i))]
        for i in mine:
            if visits.get(int(i)):
                jobs.extend((t, len(jobs), int(i)) for t in target_days(visits[int(i)], int(need[i]), T))
        order = [(j, i) for j in range(int(need[loose].max()) if loose else 0) for i in loose if j < need[i]]
        for pos, (_, i) in enumerate(order):
            jobs.append((pos * T / len(order), len(jobs), int(i)))
        free = {d: free_intervals(md, routes.get(d)) for d, md in enumerate(mdays) if md.working}
        for target, _, i in sorted(jobs):
            placed = place(free, target, int(secs[i]), set(visits.get(i, ())))
            if placed is None:
                unplanned.append((i, s.manager_id, min(int(round(target)), T - 1),
                                  "no desk time left in the manager's shifts for this contact"))
                continue
            d, a = placed
            rows.append({"manager_id": s.manager_id, "date": dates[d], "start": format_clock(a),
                         "end": format_clock(a + int(secs[i])), "retailer_id": rid[i], "phone": phone[i],
                         "day_index": d, "kind": "remote" if remote[i] else "mixed"})
    df = pd.DataFrame(rows, columns=CONTACT_COLUMNS)
    if len(df):
        df = df.sort_values(["manager_id", "day_index", "start"], kind="stable").reset_index(drop=True)
    return df, unplanned


def place(free: dict[int, list[tuple[int, int]]], target: float, dur: int,
          visited: set[int]) -> tuple[int, int] | None:
    """Rule 3 for one contact: (day, start) taken from ``free`` (updated), or ``None``."""
    order = sorted(free, key=lambda d: (d in visited, abs(d - target), -d))
    for d in order:
        iv = free[d]
        for q, (a, b) in enumerate(iv):
            if b - a >= dur:
                iv[q] = (a + dur, b)
                return d, a
    return None


def schedule_with_contacts(ctx: Context, terr, cals: dict, *, label: str, kept: dict | None = None,
                           **schedule_kw) -> tuple[dict, pd.DataFrame, list[tuple]]:
    """Rule 1: the contacts of the calendars ``cals`` (slot -> (retailer indices, result), as
    :func:`planner.design.calendars.schedule_territories` made them with ``schedule_kw``). The
    managers whose contacts do not all fit (and whose calendar is not ``kept``) get their calendar
    solved again with desk time for the contacts that found no room; if some still do not fit,
    once more with desk time for all of them (which always leaves room). Returns the calendars,
    ``contacts.csv`` rows and the unplanned contacts."""
    from planner.design.calendars import calendar_days, schedule_territories

    _, secs, _ = contact_needs(ctx)
    contacts, unplanned = plan_contacts(ctx, terr, cals)
    for full in (False, True):
        missing: dict[int, int] = {}
        for i, mid, _, _ in unplanned:
            k = next(k for k, s in enumerate(terr.slots) if s.manager_id == mid)
            if k in cals and not (kept and k in kept):
                missing[k] = missing.get(k, 0) + int(secs[i])
        if not missing:
            break
        desk = {terr.slots[k].manager_id: desk_reservation(ctx, terr.owner == k, terr.slots[k],
                                                           None if full else m) for k, m in sorted(missing.items())}
        ctx.progress.warn("contacts need desk time: calendars solved again with "
                          + ", ".join(f"{m} {v // 60} min" for m, v in desk.items()) + " a day kept free")
        cals, _ = schedule_territories(ctx, terr, label=f"{label}, desk time",
                                       kept={k: c for k, c in cals.items() if k not in missing}, desk_s=desk,
                                       warm=calendar_days(cals), **schedule_kw)
        contacts, unplanned = plan_contacts(ctx, terr, cals)
    return cals, contacts, unplanned

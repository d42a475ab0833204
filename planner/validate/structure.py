"""Who serves whom: ``managers.csv`` against the managers input, ``assignments.csv`` against the retailers.

Checks (``managers``): every manager of the input is in ``managers.csv`` once, with its base,
team, shift (the input's ``shift_start``/``shift_end``, else the calendar's), role, skills and
leave (:mod:`planner.validate.availability` turns leave and duties into each day's time); any other row is
a vacant position (``vacant`` true, team ``vacant``, the calendar's shift) whose base is a
retailer's location. Checks (``assignment``): every input retailer is in exactly one row, of a
manager of ``managers.csv`` (role manager: specialists own no territory) and with that
manager's team; in designed (market) territories every
locked retailer stays with its manager; in the administrative assignment every retailer with a
``current_manager`` stays with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from planner.validate.availability import WorkDay, person_days
from planner.validate.findings import ValidationReport
from planner.validate.inputs import Inputs
from planner.validate.planfiles import PlanFiles, decimals, hhmm, parse_time_of_day

COORD_TOLERANCE_DEG = 1e-6


@dataclass(frozen=True, slots=True, kw_only=True)
class Manager:
    """One row of ``managers.csv`` as the validator understands it."""

    manager_id: str
    team: str
    lon: float
    lat: float
    row: int
    vacant: bool
    base_loc: int | None  # location index in the travel model (None: base unknown)
    shift_s: tuple[int, int]  # from the inputs (vacant: the calendar's)
    max_visits: int | None  # per day
    role: str = "manager"  # manager or specialist (from the inputs)
    skills: frozenset[str] = frozenset()
    days: tuple[WorkDay, ...] = ()  # per day of the horizon: worked, the day's shift, blocked time, breaks

    def day(self, d: int) -> WorkDay:
        return self.days[d] if 0 <= d < len(self.days) else WorkDay(working=True, start_s=self.shift_s[0],
                                                                      end_s=self.shift_s[1])


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= COORD_TOLERANCE_DEG


def check_managers(files: PlanFiles, inp: Inputs, rep: ValidationReport) -> dict[str, Manager]:
    """Check ``managers.csv``; return its managers by id, in file order."""
    t = files.managers
    name = t.name
    mi = inp.ds.managers
    index = {m: k for k, m in enumerate(mi["manager_id"].astype(str))}
    r_lon, r_lat = inp.ds.retailers["lon"].to_numpy(float), inp.ds.retailers["lat"].to_numpy(float)
    cap = inp.loaded.scenario.calendar.max_visits_per_day
    wgs = "lon_wgs84" in t.columns  # else an older plan: lon, lat are WGS84
    lons, lats = decimals(t, "lon_wgs84" if wgs else "lon", rep), decimals(t, "lat_wgs84" if wgs else "lat", rep)
    given = (decimals(t, "lon", rep), decimals(t, "lat", rep)) if wgs else None
    out: dict[str, Manager] = {}
    R = inp.n_retailers
    for k, row in enumerate(t.rows):
        mid, team = t.col("manager_id")[k], t.col("team")[k]
        vacant = t.col("vacant")[k].strip().lower() in ("true", "1", "yes")
        lon, lat = lons[k], lats[k]
        if mid in out:
            rep.error("managers", f"manager {mid} is listed twice", file=name, row=row, manager_id=mid)
            continue
        start, end = parse_time_of_day(t.col("shift_start")[k]), parse_time_of_day(t.col("shift_end")[k])
        if start is None or end is None:
            rep.error("format", "shift_start/shift_end must be clock times HH:MM:SS", file=name, row=row, manager_id=mid)
        base_loc = None
        role, skills, leave = "manager", frozenset(), set()
        if mid in index:
            j = index[mid]
            role = str(mi["role"].iat[j])
            skills = frozenset(mi["skills"].iat[j])
            leave = set(mi["leave"].iat[j])
            check_team_columns(t, k, mi, j, rep)
            shift = (int(mi["shift_start_s"].iat[j]), int(mi["shift_end_s"].iat[j]))
            mv = mi["max_visits_per_day"].iat[j]
            max_visits = int(mv) if mv == mv and mv is not None else cap
            base_loc = R + j
            if vacant:
                rep.error("managers", "a manager of the input is marked vacant", file=name, row=row, manager_id=mid)
            if lon is not None and lat is not None and not (
                    _close(lon, float(mi["lon"].iat[j])) and _close(lat, float(mi["lat"].iat[j]))):
                rep.error("managers", f"base ({lon}, {lat}) differs from the managers input "
                          f"({mi['lon'].iat[j]}, {mi['lat'].iat[j]})", file=name, row=row, manager_id=mid)
            if given is not None and given[0][k] is not None and given[1][k] is not None and not (
                    _close(given[0][k], float(mi["lon_input"].iat[j])) and _close(given[1][k], float(mi["lat_input"].iat[j]))):
                rep.error("managers", f"lon, lat ({given[0][k]}, {given[1][k]}) are not the base as given in the managers "
                          f"input ({mi['lon_input'].iat[j]}, {mi['lat_input'].iat[j]}, {inp.loaded.scenario.inputs.crs})",
                          file=name, row=row, manager_id=mid)
            if team != str(mi["team"].iat[j]):
                rep.error("managers", f"team {team!r} differs from the managers input ({mi['team'].iat[j]!r})",
                          file=name, row=row, manager_id=mid)
        else:
            shift, max_visits = inp.shift_s, cap
            if not vacant:
                rep.error("managers", f"manager {mid} is not in the managers input (and not marked vacant)",
                          file=name, row=row, manager_id=mid)
            elif lon is not None and lat is not None:
                d = np.abs(r_lon - lon) + np.abs(r_lat - lat)
                near = int(np.argmin(d)) if len(d) else -1
                if near < 0 or not (_close(r_lon[near], lon) and _close(r_lat[near], lat)):
                    rep.error("managers", "the base of a vacant position is not at a retailer", file=name, row=row,
                              manager_id=mid)
                else:
                    base_loc = near
        if start is not None and end is not None and (start, end) != shift:
            rep.error("managers", f"shift {hhmm(start)}-{hhmm(end)} differs from the inputs' "
                      f"{hhmm(shift[0])}-{hhmm(shift[1])}", file=name, row=row, manager_id=mid)
        days = person_days(inp.days, inp.duties, inp.break_rules, person=mid, team=team, shift=shift, leave=leave)
        out[mid] = Manager(manager_id=mid, team=team, lon=math.nan if lon is None else lon,
                           lat=math.nan if lat is None else lat, row=row, vacant=vacant, base_loc=base_loc,
                           shift_s=shift, max_visits=max_visits, role=role, skills=skills, days=tuple(days))
    for j, mid in enumerate(mi["manager_id"].astype(str)):
        if mid not in out:
            rep.error("managers", f"manager {mid} of the managers input (row {mi['row'].iat[j]}) is missing",
                      file=name, manager_id=mid)
    rep.count("managers", len(out))
    return out


def check_team_columns(t, k: int, mi, j: int, rep: ValidationReport) -> None:
    """``role``, ``skills`` and ``leave`` of row ``k`` of ``managers.csv`` against input row ``j``."""
    mid, row = t.col("manager_id")[k], t.rows[k]
    want = {"role": str(mi["role"].iat[j]), "skills": ";".join(sorted(mi["skills"].iat[j])),
            "leave": ";".join(leave_text(sorted(mi["leave"].iat[j])))}
    for col, value in want.items():
        if col in t.columns:
            got = t.col(col)[k]
            if col == "skills":
                got = ";".join(sorted(x for x in got.split(";") if x))
            if got != value:
                rep.error("managers", f"{col} {t.col(col)[k]!r} differs from the managers input ({value!r})",
                          file=t.name, row=row, manager_id=mid)
        elif col == "role" and value != "manager":
            rep.error("managers", f"{mid} is a {value} in the managers input but managers.csv has no role column",
                      file=t.name, row=row, manager_id=mid)


def leave_text(dates: list) -> list[str]:
    """Dates as ISO dates and ``first..last`` runs of consecutive days."""
    out: list[str] = []
    k = 0
    while k < len(dates):
        q = k
        while q + 1 < len(dates) and (dates[q + 1] - dates[q]).days == 1:
            q += 1
        out.append(dates[k].isoformat() if q == k else f"{dates[k].isoformat()}..{dates[q].isoformat()}")
        k = q + 1
    return out


def check_assignments(files: PlanFiles, inp: Inputs, managers: dict[str, Manager],
                      rep: ValidationReport) -> dict[str, str]:
    """Check ``assignments.csv``; return the owner (manager id) of each assigned retailer."""
    t = files.assignments
    name = t.name
    r = inp.ds.retailers
    in_rows = dict(zip(r["retailer_id"].astype(str), r["row"], strict=True))
    rfile = r.attrs.get("file", "retailers")
    owner: dict[str, str] = {}
    for k, row in enumerate(t.rows):
        rid, mid, team = t.col("retailer_id")[k], t.col("manager_id")[k], t.col("team")[k]
        if rid not in in_rows:
            rep.error("assignment", f"retailer {rid} is not in the input data ({rfile})", file=name, row=row,
                      retailer_id=rid)
            continue
        if rid in owner:
            rep.error("assignment", f"retailer {rid} is in a second territory (also {owner[rid]})", file=name,
                      row=row, retailer_id=rid, manager_id=mid)
            continue
        if mid not in managers:
            rep.error("assignment", f"manager {mid!r} is not in managers.csv", file=name, row=row, retailer_id=rid)
        elif managers[mid].role != "manager":
            rep.error("assignment", f"{mid} is a {managers[mid].role}: only managers own a territory", file=name,
                      row=row, retailer_id=rid, manager_id=mid)
        elif team != managers[mid].team:
            rep.error("assignment", f"team {team!r} is not the team of {mid} ({managers[mid].team!r})", file=name,
                      row=row, retailer_id=rid, manager_id=mid)
        owner[rid] = mid
    for rid, in_row in in_rows.items():
        if rid not in owner:
            rep.error("assignment", f"retailer {rid} ({rfile} row {in_row}) is in no territory", file=name,
                      retailer_id=rid)
    method = str((files.manifest.get("methods") or {}).get("territories", ""))
    row_of = dict(zip(t.col("retailer_id"), t.rows, strict=True))
    if method.startswith("market"):
        for rid, mid in sorted(inp.ds.locked.items()):
            if rid in owner and owner[rid] != mid:
                rep.error("assignment", f"locked retailer {rid} is assigned to {owner[rid]}, its lock says {mid}",
                          file=name, row=row_of.get(rid), retailer_id=rid)
    elif method.startswith("administrative"):
        for rid, cur in zip(r["retailer_id"].astype(str), r["current_manager"].astype(str), strict=True):
            if cur and rid in owner and owner[rid] != cur:
                rep.error("assignment", f"retailer {rid} is assigned to {owner[rid]} but its current_manager is "
                          f"{cur} (administrative assignment)", file=name, row=row_of.get(rid), retailer_id=rid)
    check_retailer_columns(t, inp, rep)
    rep.count("retailers", len(owner))
    return owner


def check_retailer_columns(t, inp: Inputs, rep: ValidationReport) -> None:
    """The retailer facts a plan table carries (``assignments.csv``, ``visits.csv``): the class as
    the inputs give it, and the coordinates as given (``lon, lat`` in the input CRS) and in WGS84."""
    r = inp.ds.retailers
    index = {x: i for i, x in enumerate(r["retailer_id"].astype(str))}
    pairs = [(c, src) for c, src in (("lon", "lon_input"), ("lat", "lat_input"), ("lon_wgs84", "lon"),
                                     ("lat_wgs84", "lat")) if c in t.columns]
    values = {c: decimals(t, c, rep) for c, _ in pairs}
    cls = t.columns.get("class")
    ids = t.col("retailer_id")
    classes = r["class"].tolist()  # plain lists: one pandas lookup per cell is slow on big tables
    given = {src: r[src].to_numpy(float) for _, src in pairs}
    for k, row in enumerate(t.rows):
        i = index.get(ids[k])
        if i is None:
            continue
        if cls is not None and cls[k] != str(classes[i]):
            rep.error("assignment", f"class {cls[k]!r} is not the retailer's class in the inputs ({classes[i]!r})",
                      file=t.name, row=row, retailer_id=ids[k])
        for c, src in pairs:
            v = values[c][k]
            if v is not None and not _close(v, float(given[src][i])):
                rep.error("assignment", f"{c} {v} is not the retailer's ({given[src][i]})", file=t.name, row=row,
                          retailer_id=ids[k])

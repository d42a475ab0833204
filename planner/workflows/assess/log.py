"""Reading a field log (what was done) and listing its bad rows instead of dropping them silently.

The log is a CSV (UTF-8 or GBK) or Excel table, a title row above the header allowed, with the
columns (headers matched like the input files'; Chinese field-app headers accepted)::

    manager_id   [manager, employee_id, 工号, 客户经理编号, 员工编号, 客户经理]   required
    date         [visit_date, 日期, 拜访日期]  2027-01-04, 2027/1/4, 20270104, an Excel date  required
    retailer_id  [retailer, customer_id, 客户编码, 客户代码, 客户编号]            required
    kind         [type, visit_type, 类型, 拜访类型]  visit | specialist | contact (default visit;
                 also regular, door, phone, call, remote, 拜访, 专员, 电话, 微信 ...)
    start, end   [start_time, arrival, 开始时间, 到达时间, 进店时间 / end_time, departure,
                 结束时间, 离开时间, 离店时间]  HH:MM[:SS] or a timestamp; optional

Every problem is one row of ``log_problems.csv`` with the file, the row the user sees (Excel row,
CSV line), the column, a code, a message and whether the row was still used:

    missing_value     a required cell is empty                          not used
    bad_date          the date cannot be read                           not used
    bad_kind          the kind is not visit, specialist or contact      not used
    unknown_manager   the manager is not in the plan (or a vacant post) not used
    unknown_retailer  the retailer is not in the plan                   not used
    outside_plan      the date is before the plan's first day or after
                      its last                                          not used
    duplicate         the same manager, retailer, date, kind and start
                      as an earlier row                                 not used
    bad_time          start or end cannot be read                       used, without times
    end_before_start  end is before start                               used, without times
    non_working_day   a day the calendar does not work (weekend, holiday) used (matched like any day)
    overlap           a door visit starts before the previous one of the
                      same manager and day ends                         used (no road time between them)
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import DataError, ProblemCollector
from planner.inputs.tables import map_columns, read_table

LOG_ALIASES = {
    "manager_id": ["manager_id", "manager", "employee_id", "工号", "客户经理编号", "员工编号", "员工工号", "客户经理"],
    "date": ["date", "visit_date", "day", "日期", "拜访日期", "服务日期"],
    "retailer_id": ["retailer_id", "retailer", "customer_id", "customer", "客户编码", "客户代码", "客户编号"],
    "kind": ["kind", "type", "visit_type", "类型", "拜访类型", "服务方式"],
    "start": ["start", "start_time", "arrival", "开始时间", "到达时间", "进店时间"],
    "end": ["end", "end_time", "departure", "结束时间", "离开时间", "离店时间"],
}
KINDS = {"visit": "visit", "regular": "visit", "door": "visit", "拜访": "visit", "走访": "visit", "实地": "visit",
         "实地拜访": "visit", "specialist": "specialist", "专员": "specialist", "专员拜访": "specialist",
         "contact": "contact", "phone": "contact", "call": "contact", "remote": "contact", "message": "contact",
         "电话": "contact", "微信": "contact", "远程": "contact", "电话拜访": "contact"}
PROBLEM_COLUMNS = ["file", "row", "column", "code", "manager_id", "retailer_id", "date", "used", "message"]
LOG_COLUMNS = ["row", "manager_id", "date", "retailer_id", "kind", "start_s", "end_s"]
_EXCEL_EPOCH = dt.date(1899, 12, 30)


@dataclass
class FieldLog:
    """The usable rows of a log (``rows``: :data:`LOG_COLUMNS`, times in seconds or NaN) and every
    problem found (``problems``: :data:`PROBLEM_COLUMNS`)."""

    name: str
    rows: pd.DataFrame
    problems: pd.DataFrame
    read: int  # data rows in the file
    has_times: bool
    notes: list[str] = field(default_factory=list)


def parse_date(text: str) -> dt.date | None:
    """A log date: ISO, ``2027/1/4``, ``2027.1.4``, ``20270104``, a timestamp, or an Excel serial."""
    s = str(text).strip()
    m = re.match(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?$", s)
    try:
        if m:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if re.fullmatch(r"\d{8}", s):
            return dt.date(int(s[:4]), int(s[4:6]), int(s[6:]))
        if re.fullmatch(r"\d{5}(\.0+)?", s) and 20000 <= float(s) <= 80000:
            return _EXCEL_EPOCH + dt.timedelta(days=int(float(s)))
    except ValueError:
        return None
    return None


def parse_time(text: str) -> int | None:
    """``HH:MM[:SS]`` (or the time of a timestamp) -> seconds from midnight; ``None`` if unreadable."""
    s = str(text).strip()
    m = re.search(r"(?:^|[ T])(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$", s)
    if not m:
        return None
    h, mi, se = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if h > 24 or mi >= 60 or se >= 60:
        return None
    return h * 3600 + mi * 60 + se


def read_log(path: Path, *, managers: set[str], retailers: set[str], days: dict[str, bool],
             encoding: str = "auto") -> FieldLog:
    """Read and check a field log against a plan: its ``managers`` (assessed posts), ``retailers``
    and ``days`` (ISO date -> working). Raises :class:`DataError` only when the file cannot be used
    at all (unreadable, a required column missing); bad rows are listed (module docstring)."""
    raw = read_table(Path(path), encoding=encoding, known_headers=[n for v in LOG_ALIASES.values() for n in v])
    collector = ProblemCollector()
    cols = map_columns(raw, LOG_ALIASES, {}, ["manager_id", "date", "retailer_id"], collector, setting="log columns")
    collector.raise_if_any(DataError, f"{raw.name}: the field log cannot be read")
    f = raw.frame
    problems: list[dict] = []

    def text(c: str) -> list[str]:
        return f[cols[c]].astype(str).str.strip().tolist() if c in cols else [""] * len(f)

    mid, date_t, rid, kind_t, start_t, end_t = (text(c) for c in ("manager_id", "date", "retailer_id", "kind", "start",
                                                                   "end"))
    out = []
    for k in range(len(f)):
        row = int(raw.rows[k])

        def bad(col: str, code: str, message: str, used: bool, date: str = "", k=k, row=row) -> None:
            problems.append({"file": raw.name, "row": row, "column": cols.get(col, col), "code": code,
                             "manager_id": mid[k], "retailer_id": rid[k], "date": date or date_t[k], "used": used,
                             "message": message})

        empty = [c for c, v in (("manager_id", mid[k]), ("date", date_t[k]), ("retailer_id", rid[k])) if not v]
        if empty:
            bad(empty[0], "missing_value", f"{', '.join(empty)} is empty", False)
            continue
        d = parse_date(date_t[k])
        if d is None:
            bad("date", "bad_date", f"{date_t[k]!r} is not a date", False)
            continue
        iso = d.isoformat()
        kind = KINDS.get(kind_t[k].lower(), None) if kind_t[k] else "visit"
        if kind is None:
            bad("kind", "bad_kind", f"{kind_t[k]!r} is not visit, specialist or contact", False, iso)
            continue
        if mid[k] not in managers:
            bad("manager_id", "unknown_manager", f"manager {mid[k]!r} is not a manager or specialist of the plan",
                False, iso)
            continue
        if rid[k] not in retailers:
            bad("retailer_id", "unknown_retailer", f"retailer {rid[k]!r} is not in the plan", False, iso)
            continue
        if not days or not min(days) <= iso <= max(days):
            first, last = (min(days), max(days)) if days else ("", "")
            bad("date", "outside_plan", f"{iso} is outside the plan ({first} to {last})", False, iso)
            continue
        if not days.get(iso, False):
            bad("date", "non_working_day", f"{iso} is not a working day of the plan's calendar", True, iso)
        a, b = (parse_time(start_t[k]) if start_t[k] else None), (parse_time(end_t[k]) if end_t[k] else None)
        for c, v, x in (("start", start_t[k], a), ("end", end_t[k], b)):
            if v and x is None:
                bad(c, "bad_time", f"{v!r} is not a time of day; the row is used without times", True, iso)
        if a is not None and b is not None and b < a:
            bad("end", "end_before_start", f"ends {end_t[k]} before it starts {start_t[k]}; used without times",
                True, iso)
            a = b = None
        out.append((row, mid[k], iso, rid[k], kind, np.nan if a is None else a, np.nan if b is None else b))
    rows = pd.DataFrame(out, columns=LOG_COLUMNS)
    if len(rows):
        dup = rows.duplicated(["manager_id", "retailer_id", "date", "kind", "start_s"], keep="first")
        for k in np.flatnonzero(dup.to_numpy()):
            r = rows.iloc[k]
            first = rows[(rows["manager_id"] == r["manager_id"]) & (rows["retailer_id"] == r["retailer_id"])
                         & (rows["date"] == r["date"]) & (rows["kind"] == r["kind"])]["row"].iloc[0]
            problems.append({"file": raw.name, "row": int(r["row"]), "column": "", "code": "duplicate",
                             "manager_id": r["manager_id"], "retailer_id": r["retailer_id"], "date": r["date"],
                             "used": False, "message": f"the same visit as row {first}"})
        rows = rows[~dup.to_numpy()].reset_index(drop=True)
    problems += overlaps(rows, raw.name)
    table = pd.DataFrame(problems, columns=PROBLEM_COLUMNS).sort_values(["row", "code"], kind="stable")
    has_times = bool(len(rows) and rows["start_s"].notna().any() and rows["end_s"].notna().any())
    return FieldLog(name=raw.name, rows=rows, problems=table.reset_index(drop=True), read=len(f), has_times=has_times)


def overlaps(rows: pd.DataFrame, name: str) -> list[dict]:
    """A door visit that starts before the previous door visit of the same manager and day ends."""
    out = []
    timed = rows[(rows["kind"] != "contact") & rows["start_s"].notna() & rows["end_s"].notna()]
    for (m, d), g in timed.sort_values(["start_s", "row"], kind="stable").groupby(["manager_id", "date"], sort=True):
        ends = g["end_s"].to_numpy()
        starts = g["start_s"].to_numpy()
        for j in range(1, len(g)):
            if starts[j] < ends[j - 1]:
                prev = int(g["row"].iloc[j - 1])
                out.append({"file": name, "row": int(g["row"].iloc[j]), "column": "start", "code": "overlap",
                            "manager_id": m, "retailer_id": g["retailer_id"].iloc[j], "date": d, "used": True,
                            "message": f"starts before the visit of row {prev} ends (both used; no road time "
                                       "between them)"})
    return out


__all__ = ["read_log", "FieldLog", "parse_date", "parse_time", "LOG_ALIASES", "PROBLEM_COLUMNS", "LOG_COLUMNS"]

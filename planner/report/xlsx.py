"""``report.xlsx`` (and the sheets shared with ``compare.xlsx``), written with xlsxwriter.

Every table sheet has its header row frozen, an autofilter, columns sized to their content,
numbers stored as numbers (hours, shares as fractions shown as %, dates as Excel dates, times of
day as Excel times), and is set up for printing: landscape A4, one page wide, header row repeated
on every page, the sheet name and page numbers in the footer.

Plan workbook sheets: Summary (KPIs against the administrative baseline), Managers,
Assignments (one row per retailer, with the administrative manager and whether it moved),
Calendar (one row per visit, regular or a specialist's; sort/filter by manager and date), Not
planned (with reasons), the service team's Specialists, Contacts and Duties and leave
(:mod:`planner.report.team`) and, when a frequency–travel curve is known, Frontier.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.report.format import is_num, kpi_keys, kpi_value, method_text
from planner.report.i18n import LABELS, Locale
from planner.report.model import PlanView, retailer_facts
from planner.report.team import uses_team

MAX_WIDTH = 60


@dataclass
class Col:
    label: str
    kind: str = "text"  # text, int, num, num2, pct, spct (signed %), pp (percentage points), date, time
    width: float | None = None


class Book:
    """An xlsxwriter workbook in memory with the report's formats."""

    def __init__(self, loc: Locale, *, title: str, created: str | None) -> None:
        import xlsxwriter

        self.loc = loc
        self.buf = io.BytesIO()
        self.wb = xlsxwriter.Workbook(self.buf, {"in_memory": True, "strings_to_numbers": False,
                                                 "strings_to_formulas": False, "strings_to_urls": False})
        when = _parse_time(created) or dt.datetime(2000, 1, 1)
        self.wb.set_properties({"title": title, "created": when, "comments": "fieldplan report"})
        font = "Microsoft YaHei" if loc.lang == "zh" else "Calibri"
        base = {"font_name": font, "font_size": 10}
        f = self.wb.add_format
        self.fmt = {
            "text": f(base), "int": f({**base, "num_format": "#,##0"}), "num": f({**base, "num_format": "#,##0.0"}),
            "num2": f({**base, "num_format": "#,##0.00"}), "pct": f({**base, "num_format": "0.0%"}),
            "spct": f({**base, "num_format": "+0.0%;-0.0%;0.0%"}),
            "pp": f({**base, "num_format": '+0.0" pp";-0.0" pp";0.0" pp"'} if loc.lang == "en"
                    else {**base, "num_format": '+0.0"个百分点";-0.0"个百分点";0.0"个百分点"'}),
            "date": f({**base, "num_format": "yyyy-mm-dd"}), "time": f({**base, "num_format": "[h]:mm"}),
            "datetime": f({**base, "num_format": "yyyy-mm-dd hh:mm"}),
            "head": f({**base, "bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}),
            "title": f({**base, "bold": True, "font_size": 14}), "bold": f({**base, "bold": True}),
            "good": f({**base, "font_color": "#1A7F37"}), "bad": f({**base, "font_color": "#C62828"}),
        }

    def add_sheet(self, name: str):
        ws = self.wb.add_worksheet(name[:31])
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.set_footer(f"&L&A&R{self.loc.t('page')}")
        return ws

    def table(self, name: str, cols: list[Col], rows: list[list], *, top: int = 0, ws=None,
              freeze_cols: int = 1) -> object:
        """Write a header row and data rows; freeze, filter, size, and set print titles."""
        ws = ws or self.add_sheet(name)
        for j, c in enumerate(cols):
            ws.write_string(top, j, c.label, self.fmt["head"])
        for i, row in enumerate(rows, start=top + 1):
            for j, (c, v) in enumerate(zip(cols, row, strict=True)):
                self.cell(ws, i, j, c.kind, v)
        ws.freeze_panes(top + 1, freeze_cols)
        if cols:
            ws.autofilter(top, 0, top + max(len(rows), 1), len(cols) - 1)
        ws.repeat_rows(top)
        for j, c in enumerate(cols):
            ws.set_column(j, j, c.width or _width(c, [r[j] for r in rows[:800]]))
        ws.set_row(top, 30 if any(_text_len(c.label) > 14 for c in cols) else None)
        return ws

    def cell(self, ws, i: int, j: int, kind: str, v, fmt=None) -> None:
        f = fmt or self.fmt.get(kind, self.fmt["text"])
        if v is None or (isinstance(v, float) and not math.isfinite(v)) or v is pd.NaT:
            ws.write_blank(i, j, None, f)
        elif kind == "date":
            d = v if isinstance(v, dt.date) else _parse_date(v)
            if d is None:
                ws.write_string(i, j, str(v), self.fmt["text"])
            else:
                ws.write_datetime(i, j, dt.datetime(d.year, d.month, d.day), f)
        elif kind == "datetime":
            t = _parse_time(v)
            if t is None:
                ws.write_string(i, j, str(v), self.fmt["text"])
            else:
                ws.write_datetime(i, j, t.replace(tzinfo=None), f)
        elif kind == "time":
            ws.write_number(i, j, _clock_s(v) / 86400.0, f)
        elif kind == "pp":
            ws.write_number(i, j, 100.0 * float(v), f)
        elif kind == "text":
            ws.write_string(i, j, str(v), f)
        elif is_num(v):
            ws.write_number(i, j, float(v), f)
        else:
            ws.write_string(i, j, str(v), self.fmt["text"])

    def close(self) -> bytes:
        self.wb.close()
        return self.buf.getvalue()


def _text_len(s) -> float:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in str(s))


def _width(c: Col, values: list) -> float:
    if c.kind in ("date", "datetime"):
        w = 11 if c.kind == "date" else 16
    elif c.kind == "time":
        w = 7
    elif c.kind in ("pct", "spct", "pp"):
        w = 9
    elif c.kind in ("int", "num", "num2"):
        w = max([len(f"{v:,.1f}") for v in values if is_num(v)] + [5]) + 1
    else:
        w = max([_text_len(v) for v in values if v is not None] + [4]) + 1
    head = max(_text_len(part) for part in c.label.split()) if c.label else 4
    return float(min(MAX_WIDTH, max(w, min(head + 2, 24), 6)))


def _parse_date(v) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(v)[:10])
    except ValueError:
        return None


def _parse_time(v) -> dt.datetime | None:
    if not v:
        return None
    try:
        t = dt.datetime.fromisoformat(str(v))
    except ValueError:
        return None
    return t.astimezone(dt.UTC).replace(tzinfo=None) if t.tzinfo else t


def _clock_s(v) -> int:
    parts = str(v).split(":")
    nums = [int(p) for p in parts] + [0] * (3 - len(parts))
    return nums[0] * 3600 + nums[1] * 60 + nums[2]


def _num(x):
    return float(x) if is_num(x) else None


# --- plan workbook ----------------------------------------------------------------------------

def _coordinate_format(book: Book, ws, rows: list[list], first: int, end: int) -> None:
    """Coordinates shown with six decimals (about 0.1 m) in columns ``first .. end - 1``."""
    fmt6 = book.wb.add_format({"num_format": "0.000000", "font_name": book.fmt["text"].font_name, "font_size": 10})
    ws.set_column(first, end - 1, 13, fmt6)
    for i, row in enumerate(rows, start=1):
        for j in range(first, end):
            book.cell(ws, i, j, "num", row[j], fmt6)


def render_plan_xlsx(view: PlanView, *, lang: str = "en", frontier: pd.DataFrame | None = None) -> bytes:
    """The plan's ``report.xlsx`` (see the module docstring)."""
    loc = Locale(lang)
    t = loc.t
    frontier = frontier if frontier is not None else view.frontier
    man = view.manifest
    book = Book(loc, title=f"{view.scenario_name} – {t('report_title')}", created=man.get("created"))
    facts = retailer_facts(view)

    # Summary
    ws = book.add_sheet(t("sheet_summary"))
    ws.write_string(0, 0, f"{view.scenario_name or view.label} – "
                    + (t("kind_baseline") if view.kind == "baseline" else t("report_title")), book.fmt["title"])
    info = [(t("scenario"), "text", view.scenario_name),
            (t("territory_method"), "text", method_text(loc, view.territory_method)),
            (t("calendar_method"), "text", man.get("methods", {}).get("schedule", "")),
            (t("travel_model"), "text", man.get("travel_model", "")),
            (t("seed"), "int", man.get("seed")),
            (t("start_date"), "date", man.get("start_date")),
            (t("weeks"), "int", view.weeks),
            (t("created"), "datetime", man.get("created"))]
    for i, (k, kind, v) in enumerate(info, start=2):
        ws.write_string(i, 0, k, book.fmt["bold"])
        book.cell(ws, i, 1, kind, v)
    g = view.kpis.get("global", {})
    b = view.baseline_global() if view.kind != "baseline" else None
    cols = [Col(t("kpi"), "text", 34), Col(t("plan"), "num", 14)]
    if b is not None:
        cols += [Col(t("baseline"), "num", 16), Col(t("change"), "num", 16)]
    top = len(info) + 3
    for j, c in enumerate(cols):
        ws.write_string(top, j, c.label, book.fmt["head"])
    r = top + 1
    for key, kind, _better in kpi_keys(list(view.classes), [g, b]):
        p = kpi_value(g, key)
        bv = kpi_value(b, key) if b is not None else None
        if p is None and bv is None:
            continue
        xkind = {"num2": "num2", "pct": "pct", "int": "int"}.get(kind, "num")
        ws.write_string(r, 0, loc.kpi_label(key), book.fmt["text"])
        book.cell(ws, r, 1, xkind, _num(p))
        if b is not None:
            book.cell(ws, r, 2, xkind, _num(bv))
            d = p - bv if is_num(p) and is_num(bv) else None
            book.cell(ws, r, 3, "pp" if kind == "pct" else xkind, d)
        r += 1
    ws.set_column(0, 0, 34)
    ws.set_column(1, 3, 18)
    ws.freeze_panes(top + 1, 1)
    ws.repeat_rows(top)

    # Managers
    mt = view.managers_table()
    mcols = [("manager", "text", "manager_id"), ("team", "text", "team"), ("retailers", "int", "retailers"),
             ("key_customers", "int", "key_customers"), ("visits", "int", "visits"),
             ("visits_required_col", "int", "visits_required"), ("not_planned", "int", "unplanned_visits"),
             ("service_h", "num", "service_hours"), ("travel_h", "num", "travel_hours"),
             ("wait_hours", "num", "wait_hours"), ("workload_h", "num", "workload_hours"),
             ("travel_share", "pct", "travel_share"), ("workload_vs_mean", "spct", "workload_vs_mean"),
             ("estimated_h", "num", "estimated_workload_hours"), ("actual_vs_estimate", "spct", "_ave"),
             ("baseline_workload_h", "num", "baseline_workload_hours"), ("days_worked", "int", "days_worked"),
             ("longest_day_h", "num", "max_day_hours"), ("compactness_min", "num", "compactness_min"),
             ("service_radius_p95_min", "num", "service_radius_p95_min")]
    if "estimated_workload_hours" in mt and "workload_hours" in mt:
        est = pd.to_numeric(mt["estimated_workload_hours"], errors="coerce")
        mt["_ave"] = pd.to_numeric(mt["workload_hours"], errors="coerce") / est.where(est > 0) - 1
    mcols = [c for c in mcols if c[2] in mt.columns]
    rows = []
    for _, rr in mt.iterrows():
        row = []
        for _k, kind, c in mcols:
            v = rr.get(c)
            if c == "manager_id" and rr.get("vacant"):
                v = f"{v} ({t('vacant')})"
            row.append(_num(v) if kind != "text" else ("" if v is None or v != v else str(v)))
        rows.append(row)
    book.table(t("sheet_managers"), [Col(t(k), kind) for k, kind, _c in mcols], rows)

    # Assignments
    base_mgr = None
    if view.baseline is not None and view.kind != "baseline":
        base_mgr = view.baseline.plan.assignments.set_index("retailer_id")["manager_id"]
    crs = {"wgs84": "WGS84", "gcj02": "GCJ-02", "bd09": "BD-09"}.get(view.crs, view.crs)
    rule = None  # the classify rule of each retailer, when the scenario classifies by rules
    if "class_rule" in view.plan.assignments and (view.plan.assignments["class_rule"].astype(str) != "").any():
        rule = view.plan.assignments.set_index("retailer_id")["class_rule"]
    acols = [Col(t("retailer")), Col(t("name")), Col(t("class"))]
    if rule is not None:
        acols.append(Col(t("class_rule"), "int"))
    acols += [Col(t("tier")), Col(t("team")), Col(t("manager"))]
    if base_mgr is not None:
        acols += [Col(t("baseline_manager")), Col(t("moved_flag"))]
    given = crs != "WGS84"  # coordinates as the user gave them, when not WGS84
    coord_cols = ([Col(t("lon_crs", crs=crs), "num", 13), Col(t("lat_crs", crs=crs), "num", 13)] if given else []) + \
        [Col(t("lon_crs", crs="WGS84"), "num", 13), Col(t("lat_crs", crs="WGS84"), "num", 13)]
    acols += [Col(t("visits_planned"), "int"), Col(t("visits_required_col"), "int"), Col(t("not_planned"), "int"),
              *coord_cols]
    rows = []
    for rr in facts.rename(columns={"class": "cls"}).itertuples(index=False):
        row = [rr.retailer_id, rr.name, rr.cls]
        if rule is not None:
            x = rule.get(rr.retailer_id)
            row.append(_num(pd.to_numeric(x, errors="coerce")) if x is not None else None)
        row += [rr.tier, rr.team, rr.manager_id]
        if base_mgr is not None:
            bm = base_mgr.get(rr.retailer_id)
            row += [bm if isinstance(bm, str) else "", t("yes") if isinstance(bm, str) and bm != rr.manager_id else t("no")]
        req = rr.required if rr.routed else None
        lon_in = rr.lon_input if _num(rr.lon_input) is not None else rr.lon  # older plans: WGS84 only
        lat_in = rr.lat_input if _num(rr.lat_input) is not None else rr.lat
        row += [int(rr.visits), _num(req), int(rr.unplanned)] + ([_num(lon_in), _num(lat_in)] if given else []) \
            + [_num(rr.lon), _num(rr.lat)]
        rows.append(row)
    ws = book.table(t("sheet_assignments"), acols, rows)
    _coordinate_format(book, ws, rows, len(acols) - len(coord_cols), len(acols))

    # Calendar
    v = view.plan.visits.copy()
    name = facts.set_index("retailer_id")["name"]
    cls = facts.set_index("retailer_id")["class"]
    team = view.plan.managers.set_index("manager_id")["team"]
    v = v.sort_values(["manager_id", "day_index", "sequence"], kind="stable")
    ccols = [Col(t("manager")), Col(t("team")), Col(t("date"), "date"), Col(t("weekday")), Col(t("day_index"), "int"),
             Col(t("sequence"), "int"), Col(t("retailer")), Col(t("name")), Col(t("class")), Col(t("arrival"), "time"),
             Col(t("departure"), "time"), Col(t("travel_min"), "num"), Col(t("service_min"), "num")]
    kinds = "kind" in v.columns
    if kinds:
        ccols.append(Col(t("kind_col")))
    coords = all(c in v.columns for c in ("lon", "lat", "lon_wgs84", "lat_wgs84"))
    if coords:
        ccols += coord_cols
    rows = []
    for r in v.itertuples(index=False):
        row = [r.manager_id, team.get(r.manager_id, ""), r.date, loc.weekday(r.date) if r.date else "", int(r.day_index),
               int(r.sequence), r.retailer_id, name.get(r.retailer_id, ""), cls.get(r.retailer_id, ""), r.arrival,
               r.departure, int(r.travel_s) / 60.0, int(r.service_s) / 60.0]
        if kinds:
            row.append(t(f"kind_{r.kind}") if f"kind_{r.kind}" in LABELS else str(r.kind))
        if coords:
            row += [_num(pd.to_numeric(x, errors="coerce"))
                    for x in ((r.lon, r.lat) if given else ()) + (r.lon_wgs84, r.lat_wgs84)]
        rows.append(row)
    ws = book.table(t("sheet_calendar"), ccols, rows, freeze_cols=1)
    if coords:
        _coordinate_format(book, ws, rows, len(ccols) - len(coord_cols), len(ccols))

    # Not planned
    up = view.plan.unplanned.copy()
    up = up.assign(_d=pd.to_numeric(up["day_index"], errors="coerce")).sort_values(
        ["manager_id", "_d", "retailer_id"], kind="stable")
    ucols = [Col(t("retailer")), Col(t("name")), Col(t("class")), Col(t("manager")), Col(t("date"), "date"),
             Col(t("reason")), Col(t("details")), Col(t("kind_col"))]
    if "kind" not in up.columns:
        up["kind"] = "regular"
    rows = [[r.retailer_id, name.get(r.retailer_id, ""), r.cls, r.manager_id, r.date if str(r.date) else None,
             loc.reason(r.reason), r.message, t(f"kind_{r.kind}") if f"kind_{r.kind}" in LABELS else str(r.kind)]
            for r in up.rename(columns={"class": "cls"}).itertuples(index=False)]
    book.table(t("sheet_unplanned"), ucols, rows)

    add_team_sheets(book, view, loc)
    if frontier is not None and len(frontier):
        fcols = [Col(str(c), "text" if frontier[c].dtype == object else "num2") for c in frontier.columns]
        rows = [[(None if (isinstance(x, float) and math.isnan(x)) else (x.item() if isinstance(x, np.generic) else x))
                 for x in rec] for rec in frontier.itertuples(index=False)]
        book.table(t("sheet_frontier"), fcols, rows)
    return book.close()


def add_team_sheets(book: Book, view: PlanView, loc: Locale) -> None:
    """The sheets Specialists, Contacts and Duties and leave of ``report.xlsx``, each when the plan
    has specialists, contacts, or duties or leave (:mod:`planner.report.team`)."""
    t = loc.t
    if not uses_team(view):
        return
    num = lambda x: float(x) if is_num(x) else None  # noqa: E731
    st = view.managers_table("specialist")
    if len(st):
        cols = [Col(t("specialist_col")), Col(t("team")), Col(t("skills")), Col(t("retailers"), "int"), Col(t("visits"), "int"),
                Col(t("visits_required_col"), "int"), Col(t("not_planned"), "int"), Col(t("service_h"), "num"),
                Col(t("travel_h"), "num"), Col(t("workload_h"), "num"), Col(t("vs_team_mean"), "spct"),
                Col(t("days_worked"), "int"), Col(t("leave_days"), "int"), Col(t("duty_h"), "num"),
                Col(t("available_h"), "num")]
        keys = ["retailers", "visits", "visits_required", "unplanned_visits", "service_hours", "travel_hours",
                "workload_hours", "workload_vs_mean", "days_worked", "leave_days", "duty_hours", "available_hours"]
        rows = [[str(r["manager_id"]), str(r.get("team", "")), str(r.get("skills", ""))] + [num(r.get(k)) for k in keys]
                for _, r in st.iterrows()]
        book.table(t("sheet_specialists"), cols, rows)
    c = view.plan.contacts
    if c is not None and len(c):
        names = view.retailers.drop_duplicates("retailer_id").set_index("retailer_id")["name"] \
            if "name" in view.retailers.columns else pd.Series(dtype=str)
        cols = [Col(t("manager")), Col(t("date"), "date"), Col(t("weekday")), Col(t("contact_start"), "time"),
                Col(t("contact_end"), "time"), Col(t("retailer")), Col(t("name")), Col(t("phone")), Col(t("kind_col"))]
        rows = [[r.manager_id, r.date, loc.weekday(r.date) if r.date else "", r.start, r.end, r.retailer_id,
                 str(names.get(r.retailer_id, "") or ""), str(r.phone),
                 str(getattr(r, "kind", "") or "")] for r in c.itertuples(index=False)]
        book.table(t("sheet_contacts"), cols, rows)
    people = pd.concat([view.managers_table(), st], ignore_index=True)
    leave = pd.to_numeric(people.get("leave_days", pd.Series(dtype=float)), errors="coerce").fillna(0)
    if view.duties or (leave > 0).any():
        cols = [Col(t("manager")), Col(t("role")), Col(t("leave")), Col(t("leave_days"), "int"), Col(t("duty_h"), "num"),
                Col(t("available_h"), "num")]
        rows = [[str(r["manager_id"]), t("role_specialist" if r.get("role") == "specialist" else "role_manager"), str(r.get("leave", "") or ""),
                 num(r.get("leave_days")), num(r.get("duty_hours")), num(r.get("available_hours"))]
                for _, r in people.iterrows()]
        ws = book.table(t("sheet_duties"), cols, rows)
        top = len(rows) + 3  # the weekly duties below the people
        for j, label in enumerate((t("duty"), t("weekdays"), t("duty_time"), t("who"))):
            ws.write_string(top, j, label, book.fmt["head"])
        for i, d in enumerate(view.duties, start=top + 1):
            for j, v in enumerate((d["name"], loc.join(loc.weekday_name(w) for w in d["weekdays"]),
                                   f'{d["start"]}–{d["end"]}', _who(loc, d["who"]))):
                book.cell(ws, i, j, "text", v)
        if not view.duties:
            book.cell(ws, top + 1, 0, "text", t("no_duties"))


def _who(loc: Locale, who: str) -> str:
    return loc.t("who_all") if who == "all" else who


__all__ = ["render_plan_xlsx", "Book", "Col", "add_team_sheets"]

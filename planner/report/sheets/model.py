"""What a route sheet shows: per manager and working day, the stops in sequence and the remote
contacts, built from a plan folder's files (``visits.csv``, ``routes.geojson``,
``assignments.csv`` with the retailers' details, ``managers.csv`` and the manifest's days).

Every row of ``visits.csv`` of a manager appears once, in the order of the file (day, then
sequence), on the day it is planned. A stop's *reason* says why it is on this day: the regular
pattern of the retailer's visits in the plan (``every Tue``, ``every 2 weeks on Tue``,
``2× a week (Mon, Thu)``, ``3 visits spread over 4 weeks``), ``order day`` when the day is the
retailer's order weekday (``order_weekday`` / 订货日), and which visit of the horizon it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.inputs.hours import parse_weekdays
from planner.report.i18n import Locale
from planner.report.model import PlanView
from planner.report.sheets.contacts import remote_contact_days
from planner.report.sheets.nav import nav_point, nav_url


@dataclass(frozen=True, slots=True, kw_only=True)
class Stop:
    """One visit of a day, as on the sheet."""

    sequence: int
    retailer_id: str
    name: str
    address: str
    phone: str
    cls: str
    key: bool
    opening_hours: str
    arrival: str  # HH:MM:SS
    departure: str
    travel_s: int
    service_s: int
    reason: str
    lon: float | None  # as given (inputs.crs)
    lat: float | None
    lon_wgs84: float
    lat_wgs84: float
    nav_lon: float  # in the navigation app's datum
    nav_lat: float
    nav_url: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact:
    """One remote contact (call or message) of a day."""

    retailer_id: str
    name: str
    phone: str
    cls: str
    key: bool
    start: str
    end: str
    reason: str


@dataclass(slots=True, kw_only=True)
class DaySheet:
    """One working day of one manager."""

    day_index: int
    date: str  # ISO
    stops: list[Stop] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    start: str = ""  # leaving the base, HH:MM:SS (empty on a day without visits)
    end: str = ""  # back at the base
    travel_s: int = 0  # including the way back to the base
    service_s: int = 0
    wait_s: int = 0
    route: list[list[float]] = field(default_factory=list)  # WGS84 lon, lat along the roads


@dataclass(slots=True, kw_only=True)
class ManagerSheets:
    """A manager's route sheets over the selected working days."""

    manager_id: str
    team: str
    base_wgs84: tuple[float, float] | None
    days: list[DaySheet]
    crs: str  # the input CRS
    nav: str  # the navigation app
    contacts_source: str  # file, derived or none


def _text(df: pd.DataFrame, col: str) -> pd.Series:
    if col not in df.columns:
        return pd.Series([""] * len(df), index=df.index, dtype=object)
    return df[col].fillna("").astype(str).replace({"nan": ""})


def _num(v) -> float | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if np.isfinite(x) else None


def retailer_details(view: PlanView) -> pd.DataFrame:
    """Per retailer of the plan: name, address, phone, class, key, opening hours, order weekdays
    (from ``assignments.csv``; the name also from the report's retailer table)."""
    a = view.plan.assignments
    d = pd.DataFrame({"retailer_id": a["retailer_id"].astype(str)})
    for c in ("name", "address", "phone", "class", "opening_hours", "order_weekday"):
        d[c] = _text(a, c).to_numpy()
    if len(view.retailers):
        r = view.retailers.drop_duplicates("retailer_id").set_index("retailer_id")
        for c in ("name", "class"):
            if c in r.columns:
                fill = d["retailer_id"].map(r[c]).fillna("").astype(str)
                d[c] = d[c].where(d[c] != "", fill)
    d["key"] = d["class"].isin(view.key_classes)
    return d.drop_duplicates("retailer_id").set_index("retailer_id")


def days_per_week(view: PlanView) -> tuple[int, int]:
    """(working days per week, weeks) of the plan's horizon."""
    days = view.manifest.get("days", [])
    weeks = view.weeks or max(1, round(len(days) / 5))
    return max(1, len(days) // weeks) if days else 5, weeks


def visit_reason(loc: Locale, pattern: list[int], day: int, dates: dict[int, str], *, dpw: int, weeks: int,
                 order_days: tuple[int, ...] = ()) -> str:
    """Why the visit on day ``day`` is there: the retailer's pattern (its visit days ``pattern``),
    the order weekday, and which visit it is."""
    n = len(pattern)
    wd = [dt.date.fromisoformat(dates[d]).weekday() for d in pattern if d in dates]
    names = [loc.weekday(dates[d]) for d in pattern if d in dates]
    parts = []
    if n == 1:
        parts.append(loc.t("why_once", w=weeks))
    elif len(set(wd)) == 1 and len(wd) == n:
        gaps = {(b - a) // dpw for a, b in zip(pattern, pattern[1:], strict=False)}
        parts.append(loc.t("why_every", wd=names[0]) if gaps == {1} else
                     loc.t("why_every_n", n=gaps.pop(), wd=names[0]) if len(gaps) == 1 else
                     loc.t("why_spread", n=n, w=weeks))
    else:
        per_week: dict[int, list[int]] = {}
        for d in pattern:
            per_week.setdefault(d // dpw, []).append(d % dpw)
        sets = {tuple(v) for v in per_week.values()}
        k = len(next(iter(sets)))
        if len(sets) == 1 and k >= 2 and len(per_week) * k == n:
            first = [loc.weekday(dates[d]) for d in pattern[:k] if d in dates]
            parts.append(loc.t("why_per_week", k=k, wds=loc.join(first)))
        else:
            parts.append(loc.t("why_spread", n=n, w=weeks))
    if day in dates and dt.date.fromisoformat(dates[day]).weekday() in order_days:
        parts.append(loc.t("why_order_day"))
    if n > 1 and day in pattern:
        parts.append(loc.t("why_visit_k", k=pattern.index(day) + 1, n=n))
    return " · ".join(parts)


def build_sheets(view: PlanView, *, lang: str = "en", nav: str | None = None, managers: list[str] | None = None,
                 days: set[str] | None = None) -> list[ManagerSheets]:
    """The route sheets of ``managers`` (default: every manager of ``managers.csv``) over the
    working days in ``days`` (ISO dates; default: all), with links for ``nav`` (default: the
    scenario's navigation app)."""
    from planner.errors import PlannerError

    loc = Locale(lang)
    nav = nav or view.nav_app
    plan = view.plan
    mg = plan.managers
    known = [str(m) for m in mg["manager_id"]]
    if managers is not None:
        unknown = [m for m in managers if m not in known]
        if unknown:
            raise PlannerError(f"--managers: {', '.join(unknown)} not in this plan (managers: {', '.join(known)})")
    chosen = [m for m in known if managers is None or m in managers]
    work = [d for d in view.working_days if days is None or str(d["date"]) in days]
    if days is not None and not work:
        raise PlannerError("--days selects no working day of the plan "
                           f"({view.working_days[0]['date']} .. {view.working_days[-1]['date']})"
                           if view.working_days else "--days: the plan has no working days")
    dates = {int(d["day_index"]): str(d["date"]) for d in view.manifest.get("days", [])}
    dpw, weeks = days_per_week(view)
    det = retailer_details(view)
    v = plan.visits
    kind = v["kind"] if "kind" in v.columns else pd.Series("regular", index=v.index)
    # each kind of visit has its own pattern (a key customer's weekly visits, its specialist's visit)
    patterns = {(r, k): sorted(int(x) for x in g) for (r, k), g in v.groupby([v["retailer_id"], kind])["day_index"]}
    routes = {(str(f["properties"].get("manager_id")), int(f["properties"].get("day_index", -1))): f
              for f in plan.routes}
    contacts, source = remote_contact_days(view, view.folder)

    details = det.to_dict(orient="index")  # rid -> {column: value}: per-cell pandas lookups are slow

    def info(rid: str, col: str, default=""):
        return details.get(rid, {}).get(col, default)

    out = []
    for mid in chosen:
        row = mg[mg["manager_id"] == mid].iloc[0]
        base = (_num(row.get("lon_wgs84")), _num(row.get("lat_wgs84")))
        mv = v[v["manager_id"] == mid]
        mc = contacts[contacts["manager_id"] == mid] if len(contacts) else contacts
        sheet_days = []
        for d in work:
            i = int(d["day_index"])
            ds = DaySheet(day_index=i, date=str(d["date"]))
            for r in mv[mv["day_index"] == i].itertuples(index=False):
                rid = str(r.retailer_id)
                lw, aw = _num(getattr(r, "lon_wgs84", None)), _num(getattr(r, "lat_wgs84", None))
                li, ai = _num(getattr(r, "lon", None)), _num(getattr(r, "lat", None))
                if lw is None or aw is None:  # plans before coordinates were in visits.csv
                    lw, aw = li, ai
                nx, ny = nav_point(nav, lon_wgs84=lw, lat_wgs84=aw, lon=li, lat=ai, crs=view.crs)
                name, addr = str(info(rid, "name")), str(info(rid, "address"))
                try:
                    order = parse_weekdays(str(info(rid, "order_weekday")))
                except ValueError:
                    order = ()
                ds.stops.append(Stop(
                    sequence=int(r.sequence), retailer_id=rid, name=name, address=addr, phone=str(info(rid, "phone")),
                    cls=str(info(rid, "class")), key=bool(info(rid, "key", False)),
                    opening_hours=str(info(rid, "opening_hours")), arrival=str(r.arrival), departure=str(r.departure),
                    travel_s=int(r.travel_s), service_s=int(r.service_s),
                    reason=visit_reason(loc, patterns.get((rid, getattr(r, "kind", "regular")), [i]), i, dates,
                                        dpw=dpw, weeks=weeks, order_days=order),
                    lon=li, lat=ai, lon_wgs84=lw, lat_wgs84=aw, nav_lon=nx, nav_lat=ny,
                    nav_url=nav_url(nav, nx, ny, name=name or rid, address=addr)))
            f = routes.get((mid, i))
            if f is not None:
                p = f["properties"]
                ds.start, ds.end = str(p.get("start", "")), str(p.get("end", ""))
                ds.travel_s, ds.service_s = int(p.get("travel_s") or 0), int(p.get("service_s") or 0)
                ds.wait_s = int(p.get("wait_s") or 0)
                ds.route = [list(map(float, c[:2])) for c in f.get("geometry", {}).get("coordinates", [])]
            elif ds.stops:
                ds.start, ds.end = ds.stops[0].arrival, ds.stops[-1].departure
                ds.travel_s = sum(s.travel_s for s in ds.stops)
                ds.service_s = sum(s.service_s for s in ds.stops)
            if len(mc):
                for c in mc[mc["day_index"] == i].itertuples(index=False):
                    rid = str(c.retailer_id)
                    ds.contacts.append(Contact(
                        retailer_id=rid, name=str(info(rid, "name")), phone=str(c.phone or info(rid, "phone")),
                        cls=str(info(rid, "class")), key=bool(info(rid, "key", False)), start=str(c.start),
                        end=str(c.end), reason=loc.t("why_contact_k", k=int(c.contact), n=int(c.contacts))))
            sheet_days.append(ds)
        out.append(ManagerSheets(manager_id=mid, team=str(row.get("team", "")),
                                 base_wgs84=base if None not in base else None, days=sheet_days, crs=view.crs,
                                 nav=nav, contacts_source=source))
    return out


__all__ = ["Stop", "Contact", "DaySheet", "ManagerSheets", "build_sheets", "visit_reason", "retailer_details"]

"""``sheets/<manager_id>.html``: a manager's route sheet, one self-contained page (works offline).

One ``<section class="day">`` per working day: the date and weekday, start and end, travel,
service and waiting time, the number of stops, a small map of the day's route (Leaflet, drawn by
``assets/sheet.js`` from the data embedded in ``<script type="application/json" id="sheet-data">``),
the stops in sequence (``<tr data-retailer=... data-seq=...>``: arrival–departure, retailer id,
name, class with key customers marked, address, phone as a ``tel:`` link, opening hours, minutes
planned, why this day, and a plain ``<a href>`` navigation link, printed as a URL on paper), then
the day's remote contacts as a call list. Everything but the maps is plain HTML: it reads and
prints without JavaScript.

Layouts: a table on a screen; one card per stop below 640 px (a phone); on paper A4 portrait, one
day per page, table headers repeated on every page, no map tiles needed.
"""

from __future__ import annotations

from html import escape

from planner.report.geo import ROUTE_TOLERANCE_DEG, encode_coords
from planner.report.html import asset, json_script, leaflet_css, version
from planner.report.i18n import Locale
from planner.report.sheets.model import DaySheet, ManagerSheets
from planner.report.tiles import Tiles, to_map_datum

ERROR_TRAP = ("window.__sheetErrors=[];window.addEventListener('error',function(e){window.__sheetErrors.push("
              "(e.message||'error')+(e.lineno?' @'+e.lineno:''));});")


def hm(clock: str) -> str:
    """``08:30:07`` -> ``08:30``."""
    return str(clock)[:5] if clock else "–"


def duration(loc: Locale, seconds: int) -> str:
    """``1 h 05 min`` / ``1小时05分钟``; ``25 min`` under an hour."""
    m = int(round(seconds / 60))
    if m < 60:
        return f"{m} {loc.t('min')}"
    return f"{m // 60} {loc.t('h')} {m % 60:02d} {loc.t('min')}" if loc.lang == "en" else f"{m // 60}小时{m % 60:02d}分钟"


def tel(phone: str) -> str:
    """A phone number as a ``tel:`` link (empty text stays empty)."""
    if not phone:
        return ""
    return f'<a class="tel" href="tel:{escape(phone.replace(" ", ""))}">{escape(phone)}</a>'


def sheet_data(ms: ManagerSheets, tiles: Tiles) -> dict:
    """The data the page's script draws (in the tiles' datum) and tests read back."""
    days = []
    for d in ms.days:
        xs, ys = to_map_datum([s.lon_wgs84 for s in d.stops], [s.lat_wgs84 for s in d.stops], tiles.crs)
        stops = [{"seq": s.sequence, "id": s.retailer_id, "name": s.name, "key": int(s.key), "arrival": s.arrival,
                  "departure": s.departure, "lon": s.lon, "lat": s.lat, "lon_wgs84": s.lon_wgs84, "lat_wgs84": s.lat_wgs84,
                  "x": round(float(x), 7), "y": round(float(y), 7), "nav": s.nav_url}
                 for s, x, y in zip(d.stops, xs, ys, strict=True)]
        route = []
        if d.route:
            rx, ry = to_map_datum([c[0] for c in d.route], [c[1] for c in d.route], tiles.crs)
            route = encode_coords(list(zip(rx, ry, strict=True)), ROUTE_TOLERANCE_DEG)
        days.append({"i": d.day_index, "date": d.date, "stops": stops, "route": route,
                     "contacts": [c.retailer_id for c in d.contacts]})
    base = None
    if ms.base_wgs84 is not None:
        bx, by = to_map_datum([ms.base_wgs84[0]], [ms.base_wgs84[1]], tiles.crs)
        base = [round(float(bx[0]), 7), round(float(by[0]), 7)]
    return {"kind": "sheets", "manager": ms.manager_id, "crs": ms.crs, "nav": ms.nav, "tiles": tiles.to_js(),
            "base": base, "days": days}


def _stop_rows(loc: Locale, d: DaySheet) -> str:
    t = loc.t
    rows = []
    for s in d.stops:
        cls = f'<span class="cls{" key" if s.key else ""}">{escape(s.cls)}{" ★ " + escape(t("key_mark")) if s.key else ""}</span>'
        addr = f'<span class="addr">{escape(s.address)}</span>' if s.address else ""
        contact = addr + (f'<span class="phone">{tel(s.phone)}</span>' if s.phone else "")
        hours = f'<span class="hours">{escape(t("opening_hours"))}: {escape(s.opening_hours)}</span>' if s.opening_hours else ""
        rows.append(
            f'<tr data-retailer="{escape(s.retailer_id)}" data-seq="{s.sequence}">'
            f'<td class="seq">{s.sequence}</td>'
            f'<td class="time" data-label="{escape(t("time"))}"><span class="arr">{hm(s.arrival)}</span>–'
            f'<span class="dep">{hm(s.departure)}</span></td>'
            f'<td class="who"><span class="nm">{escape(s.name or s.retailer_id)}</span> '
            f'<span class="rid">{escape(s.retailer_id)}</span> {cls}</td>'
            f'<td class="where">{contact}{hours}</td>'
            f'<td class="min" data-label="{escape(t("minutes"))}">{round(s.service_s / 60)}</td>'
            f'<td class="whyc"><span class="why">{escape(s.reason)}</span></td>'
            f'<td class="go"><a class="nav" href="{escape(s.nav_url)}">{escape(t("navigate"))} ›</a>'
            f'<span class="url">{escape(s.nav_url)}</span></td></tr>')
    return "".join(rows)


def _calls(loc: Locale, d: DaySheet, source: str) -> str:
    if not d.contacts:
        return ""
    t = loc.t
    rows = "".join(
        f'<tr data-contact="{escape(c.retailer_id)}"><td><span class="nm">{escape(c.name or c.retailer_id)}</span> '
        f'<span class="rid">{escape(c.retailer_id)}</span></td>'
        f'<td>{tel(c.phone) or "–"}</td>'
        f'<td>{escape(hm(c.start)) + "–" + escape(hm(c.end)) if c.start else ""}</td>'
        f'<td><span class="cls{" key" if c.key else ""}">{escape(c.cls)}</span></td><td class="why">{escape(c.reason)}</td></tr>'
        for c in d.contacts)
    head = "".join(f"<th>{escape(t(k))}</th>" for k in ("retailer", "phone", "time", "class", "why_day"))
    note = t("remote_from_file") if source == "file" else t("remote_derived")
    return (f'<h3>{escape(t("remote_title"))}</h3><table class="calls"><thead><tr>{head}</tr></thead>'
            f'<tbody>{rows}</tbody></table><p class="hint">{escape(note)}</p>')


def day_html(loc: Locale, d: DaySheet, source: str) -> str:
    t = loc.t
    summary = [(t("start"), hm(d.start)), (t("end"), hm(d.end)), (t("travel_total"), duration(loc, d.travel_s)),
               (t("service_total"), duration(loc, d.service_s))]
    if d.wait_s:
        summary.append((t("waiting_total"), duration(loc, d.wait_s)))
    summary.append((t("stops"), str(len(d.stops))))
    if d.contacts:
        summary.append((t("contacts_n"), str(len(d.contacts))))
    sums = "".join(f"<span>{escape(k)}: <b>{escape(v)}</b></span>" for k, v in summary)
    head = "".join(f'<th class="{c}">{escape(t(k))}</th>' for k, c in (
        ("seq", "seq"), ("time", "time"), ("retailer", ""), ("address", ""), ("minutes", "min"), ("why_day", ""),
        ("navigate", "")))
    if d.stops:
        body = (f'<div class="daymap" id="map-{d.day_index}" role="img" aria-label="{escape(t("day_map"))}"></div>'
                f'<table class="stops"><thead><tr>{head}</tr></thead><tbody>{_stop_rows(loc, d)}</tbody></table>')
    else:
        body = f'<p class="none">{escape(t("no_visits_day"))}</p>'
    return (f'<section class="day" data-day="{d.day_index}" data-date="{d.date}"><h2>{escape(loc.date(d.date))}</h2>'
            f'<div class="daysum">{sums}</div>{body}{_calls(loc, d, source)}</section>')


def render_sheet_html(ms: ManagerSheets, *, lang: str = "en", tiles: Tiles, plan_label: str = "",
                      scenario_name: str = "") -> str:
    """The complete route sheet page of one manager (see the module docstring)."""
    loc = Locale(lang)
    t = loc.t
    first = ms.days[0].date if ms.days else ""
    sub = escape(t("sheets_sub", n=len(ms.days), d=loc.date(first) if first else "–", p="\0")).replace(
        "\0", f'<span id="sheet-plan">{escape(plan_label)}</span>')  # the plan folder: the one non-file content
    title = t("sheets_title", m=ms.manager_id)
    head = (f'<header class="top"><h1>{escape(title)}</h1>'
            f'<div class="sub">{escape(" · ".join(x for x in (scenario_name, ms.team) if x))}</div>'
            f'<div class="sub">{sub}</div>'
            f'<div class="sub">{escape(t("sheets_nav", app=t("nav_" + ms.nav)))} '
            f'<span class="hint screen">{escape(t("sheets_print_hint"))}</span></div></header>')
    days = "".join(day_html(loc, d, ms.contacts_source) for d in ms.days)
    credits = t("map_credits") + (" " + t("map_background", a=tiles.attribution) if tiles.attribution else "")
    lang_attr = "zh-CN" if loc.lang == "zh" else "en"
    n_maps = sum(1 for d in ms.days if d.stops)
    return "".join([
        f'<!DOCTYPE html>\n<html lang="{lang_attr}">\n<head>\n<meta charset="utf-8">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f'<meta name="generator" content="fieldplan {escape(version())}">\n<title>{escape(title)}</title>\n',
        f"<script>{ERROR_TRAP}</script>\n<style>\n{leaflet_css()}\n</style>\n<style>\n{asset('sheet.css')}\n</style>\n",
        "<style>main > section.day:first-of-type { break-before: auto; }</style>\n</head>\n<body>\n<main>\n",
        head, days,
        f'<footer>{escape(t("generated_by", v=version()))} · {escape(credits)}</footer>\n</main>\n',
        f'<div id="render-status" data-ok="0" data-maps-expected="{n_maps}"></div>\n',
        f'<script type="application/json" id="sheet-data">{json_script(sheet_data(ms, tiles))}</script>\n',
        f"<script>\n{asset('leaflet.js')}\n</script>\n<script>\n{asset('sheet.js')}\n</script>\n</body>\n</html>\n"])


__all__ = ["render_sheet_html", "sheet_data", "day_html", "hm", "duration", "tel"]

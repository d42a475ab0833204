"""``sheets/<manager_id>.xlsx``: a manager's route sheets as a workbook, **one sheet per working
day** plus an overview.

One sheet per day because a day is what a manager takes out and what is printed: each day sheet
is one table with one frozen header row (a week sheet would need a header per day, and only the
first could be frozen), and the sheet tabs (``2027-01-04 Mon``) double as the calendar.

* ``Overview``: one row per working day (date, weekday, start, end, stops, contacts, travel and
  service minutes) linking to the day's sheet.
* a day sheet: the manager and date on top, the day's start, end, travel, service and stops,
  then the stops in sequence (``#, arrival, departure, retailer, name, address, phone, class, key,
  opening hours, minutes, why this day, navigate``; the header row frozen and repeated on every
  printed page; the navigation link is a hyperlink), then the remote contacts of the day.

Numbers are numbers, dates are dates and times are Excel times (:class:`planner.report.xlsx.Book`);
every sheet prints on A4 landscape, one page wide.
"""

from __future__ import annotations

from planner.report.i18n import Locale
from planner.report.sheets.model import DaySheet, ManagerSheets
from planner.report.xlsx import Book, Col

STOP_TOP = 5  # row (0-based) of a day sheet's stop table header


def day_sheet_name(loc: Locale, date: str) -> str:
    """``2027-01-04 Mon`` / ``2027-01-04 周一`` (unique per day, valid as a sheet name)."""
    return f"{date} {loc.weekday(date)}"


def stop_columns(loc: Locale) -> list[Col]:
    t = loc.t
    return [Col(t("seq"), "int", 5), Col(t("arrival"), "time", 8), Col(t("departure"), "time", 8), Col(t("retailer")),
            Col(t("name")), Col(t("address")), Col(t("phone")), Col(t("class")), Col(t("key_mark")),
            Col(t("opening_hours")), Col(t("minutes"), "num", 7), Col(t("why_day")), Col(t("navigate"), "text", 10)]


def _day(book: Book, ms: ManagerSheets, d: DaySheet, link) -> None:
    loc = book.loc
    t = loc.t
    ws = book.add_sheet(day_sheet_name(loc, d.date))
    ws.write_string(0, 0, f"{ms.manager_id} · {loc.date(d.date)}", book.fmt["title"])
    info = [(t("start"), "time", d.start or None), (t("end"), "time", d.end or None), (t("stops"), "int", len(d.stops)),
            (t("travel_total") + f" ({t('min')})", "num", d.travel_s / 60), (t("service_total") + f" ({t('min')})", "num",
                                                                           d.service_s / 60),
            (t("waiting_total") + f" ({t('min')})", "num", d.wait_s / 60)]
    for k, (label, kind, v) in enumerate(info):
        r, c = 1 + k // 3, (k % 3) * 2
        ws.write_string(r, c, label, book.fmt["bold"])
        book.cell(ws, r, c + 1, kind, v)
    if not d.stops:
        ws.write_string(STOP_TOP - 1, 0, t("no_visits_day"))
    rows = [[s.sequence, s.arrival, s.departure, s.retailer_id, s.name, s.address, s.phone, s.cls,
             t("yes") if s.key else "", s.opening_hours, s.service_s / 60, s.reason, t("navigate")] for s in d.stops]
    cols = stop_columns(loc)
    book.table("", cols, rows, top=STOP_TOP, ws=ws, freeze_cols=0)
    nav = len(cols) - 1
    for i, s in enumerate(d.stops, start=STOP_TOP + 1):
        if s.nav_url.startswith("https://"):
            ws.write_url(i, nav, s.nav_url, link, string=t("navigate"), tip=s.nav_url)
        else:  # geo: links are not hyperlinks Excel accepts: the URI as text
            ws.write_string(i, nav, s.nav_url, book.fmt["text"])
    if d.contacts:
        r = STOP_TOP + len(d.stops) + 3
        ws.write_string(r, 0, t("remote_title"), book.fmt["bold"])
        ccols = [t("retailer"), t("name"), t("phone"), t("class"), t("why_day")]
        for j, h in enumerate(ccols):
            ws.write_string(r + 1, 3 + j, h, book.fmt["head"])
        for i, c in enumerate(d.contacts, start=r + 2):
            for j, v in enumerate((c.retailer_id, c.name, c.phone, c.cls, c.reason)):
                ws.write_string(i, 3 + j, v, book.fmt["text"])
        src = t("remote_from_file") if ms.contacts_source == "file" else t("remote_derived")
        ws.write_string(r + 2 + len(d.contacts), 3, src)


def render_sheet_xlsx(ms: ManagerSheets, *, lang: str = "en", created: str | None = None) -> bytes:
    """The workbook of one manager's route sheets (see the module docstring)."""
    loc = Locale(lang)
    t = loc.t
    book = Book(loc, title=t("sheets_title", m=ms.manager_id), created=created)
    link = book.wb.add_format({"font_name": book.fmt["text"].font_name, "font_size": 10, "font_color": "#0B5CAD",
                                    "underline": 1})
    cols = [Col(t("date"), "date"), Col(t("weekday")), Col(t("start"), "time"), Col(t("end"), "time"),
            Col(t("stops"), "int"), Col(t("contacts_n"), "int"), Col(t("travel_total") + f" ({t('min')})", "num"),
            Col(t("service_total") + f" ({t('min')})", "num"), Col(t("route_sheet"))]
    rows = [[d.date, loc.weekday(d.date), d.start or None, d.end or None, len(d.stops), len(d.contacts), d.travel_s / 60,
             d.service_s / 60, day_sheet_name(loc, d.date)] for d in ms.days]
    ws = book.table(t("sheet_overview"), cols, rows, top=2)
    ws.write_string(0, 0, t("sheets_title", m=ms.manager_id) + (f" · {ms.team}" if ms.team else ""), book.fmt["title"])
    for i, d in enumerate(ms.days, start=3):
        name = day_sheet_name(loc, d.date)
        ws.write_url(i, len(cols) - 1, f"internal:'{name}'!A1", link, string=name)
    for d in ms.days:
        _day(book, ms, d, link)
    return book.close()


__all__ = ["render_sheet_xlsx", "day_sheet_name", "stop_columns", "STOP_TOP"]

"""The field-app export: the calendar in two plain formats a branch's own mobile system can import.

``sheets/visits.jsonl`` — one visit per line (UTF-8 JSON), in manager, day and sequence order::

    {"manager_id": "CM01", "team": "T1", "date": "2027-01-04", "day_index": 0, "weekday": 1,
     "sequence": 1, "retailer_id": "R123", "name": "...", "address": "...", "phone": "...",
     "class": "A", "key_customer": true, "arrival": "08:41:10", "departure": "09:11:10",
     "service_s": 1800, "travel_s": 660, "lon_wgs84": 24.93, "lat_wgs84": 60.17,
     "lon": 24.93, "lat": 60.17, "crs": "wgs84", "nav_url": "https://..."}

(``weekday`` 1 = Monday .. 7 = Sunday, ISO 8601; ``lon, lat`` as given in ``inputs.crs``, named
in ``crs``; ``travel_s`` from the previous stop or the base.)

``sheets/visits_by_day.csv`` — one row per manager and working day: ``manager_id, team, date,
day_index, weekday, stops, contacts, start, end, travel_s, service_s, wait_s, retailer_ids``
(the day's retailers in visiting order, separated by ``;``); ``start``/``end`` are empty on a day
without visits.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pandas as pd

from planner.report.sheets.model import ManagerSheets

DAY_COLUMNS = ["manager_id", "team", "date", "day_index", "weekday", "stops", "contacts", "start", "end", "travel_s",
               "service_s", "wait_s", "retailer_ids"]


def visits_jsonl(sheets: list[ManagerSheets]) -> bytes:
    """``visits.jsonl`` of the sheets (see the module docstring)."""
    lines = []
    for ms in sheets:
        for d in ms.days:
            wd = dt.date.fromisoformat(d.date).isoweekday()
            for s in d.stops:
                lines.append(json.dumps({
                    "manager_id": ms.manager_id, "team": ms.team, "date": d.date, "day_index": d.day_index, "weekday": wd,
                    "sequence": s.sequence, "retailer_id": s.retailer_id, "name": s.name, "address": s.address,
                    "phone": s.phone, "class": s.cls, "key_customer": s.key, "arrival": s.arrival,
                    "departure": s.departure, "service_s": s.service_s, "travel_s": s.travel_s,
                    "lon_wgs84": s.lon_wgs84, "lat_wgs84": s.lat_wgs84, "lon": s.lon, "lat": s.lat, "crs": ms.crs,
                    "nav_url": s.nav_url}, ensure_ascii=False, allow_nan=False))
    return ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8")


def visits_by_day_csv(sheets: list[ManagerSheets]) -> bytes:
    """``visits_by_day.csv`` of the sheets (see the module docstring)."""
    rows = [[ms.manager_id, ms.team, d.date, d.day_index, dt.date.fromisoformat(d.date).isoweekday(), len(d.stops),
             len(d.contacts), d.start, d.end, d.travel_s, d.service_s, d.wait_s, ";".join(s.retailer_id for s in d.stops)]
            for ms in sheets for d in ms.days]
    buf = io.StringIO()
    pd.DataFrame(rows, columns=DAY_COLUMNS).to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8")


__all__ = ["visits_jsonl", "visits_by_day_csv", "DAY_COLUMNS"]

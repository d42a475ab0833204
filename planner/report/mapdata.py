"""The map data of ``report.html``: managers and bases, territories, day routes and retailers,
compact (:mod:`planner.report.geo`) and in WGS84; :func:`planner.report.tiles.with_tiles` moves it
to the base map's datum. The page's script (``assets/report.js``) draws it."""

from __future__ import annotations

import datetime as dt
from html import escape

import pandas as pd

from planner.report.format import is_num
from planner.report.geo import ROUTE_TOLERANCE_DEG, encode_coords, encode_geometry
from planner.report.i18n import Locale
from planner.report.model import PlanView
from planner.report.vacuum import vacuum_map_data

JS_LABELS = ["background", "background_offline", "layers", "territories", "retailers_layer", "routes_layer", "bases",
             "not_planned_layer", "day", "all_days", "week_n", "managers_layer", "all", "none", "key_customer",
             "other_customer", "base", "class", "manager", "visits_planned_of", "of_required", "visit_days",
             "not_planned", "remote", "compare_with", "moved", "unchanged_retailers", "ref_territories",
             "other_territories", "not_in_plan", "vacuum_layer", "split_layer"]


def day_table(view: PlanView, loc: Locale) -> tuple[list[dict], list[str], list[int]]:
    days = view.manifest.get("days", [])
    if not days:
        idx = sorted(set(int(d) for d in view.plan.visits["day_index"])) if len(view.plan.visits) else []
        dates = view.plan.visits.drop_duplicates("day_index").set_index("day_index")["date"] if len(view.plan.visits) else {}
        days = [{"day_index": i, "date": dates.get(i, ""), "working": True} for i in idx]
    n = max([int(d["day_index"]) for d in days] + [-1]) + 1
    labels, week = [""] * n, [0] * n
    start = days[0]["date"] if days and days[0].get("date") else None
    out = []
    for d in days:
        i = int(d["day_index"])
        labels[i] = loc.date(d["date"], year=False) if d.get("date") else str(i)
        if start and d.get("date"):
            week[i] = (dt.date.fromisoformat(d["date"]) - dt.date.fromisoformat(start)).days // 7 + 1
        else:
            week[i] = i // 7 + 1
        if d.get("working", True):
            out.append({"i": i, "label": labels[i], "w": week[i]})
    return out, labels, week


def enc_xy(v) -> int | None:
    return int(round(float(v) * 1e5)) if is_num(v) else None


def plan_map_data(view: PlanView, loc: Locale, mt: pd.DataFrame, colors: dict, facts: pd.DataFrame) -> dict:
    mg = view.plan.managers
    ids = list(mg["manager_id"])
    idx = {m: k for k, m in enumerate(ids)}
    mtab = mt.set_index("manager_id") if len(mt) else pd.DataFrame()
    days, day_labels, day_week = day_table(view, loc)
    managers = []
    for _, r in mg.iterrows():
        mid = str(r["manager_id"])
        vacant = str(r["vacant"]).lower() == "true"
        info = [f"<b>{escape(mid)}</b> {escape(str(r['team']))}" + (f" ({escape(loc.t('vacant'))})" if vacant else "")]
        if mid in mtab.index:
            k = mtab.loc[mid]
            info.append(f"{escape(loc.t('retailers'))}: {loc.int(k.get('retailers'))} · {escape(loc.t('key_customers'))}: "
                        f"{loc.int(k.get('key_customers'))}")
            info.append(f"{escape(loc.t('visits'))}: {loc.int(k.get('visits'))} · {escape(loc.t('workload_h'))}: "
                        f"{loc.num(k.get('workload_hours'))}")
            info.append(f"{escape(loc.t('travel_share'))}: {loc.pct(k.get('travel_share'))}")
        managers.append({"id": mid, "team": str(r["team"]), "lon": round6(r["lon_wgs84"]), "lat": round6(r["lat_wgs84"]),
                         "color": colors.get(mid, "#555"), "label": mid + (f" · {r['team']}" if r["team"] else ""),
                         "info": "<br>".join(info)})
    territories = []
    for f in view.plan.territories:
        p = f.get("properties", {})
        m = idx.get(str(p.get("manager_id")))
        if m is None:
            continue
        wl = mtab.loc[ids[m]].get("workload_hours") if ids[m] in mtab.index else None
        info = (f"<b>{escape(ids[m])}</b> {escape(str(p.get('team', '')))}<br>{escape(loc.t('retailers'))}: "
                f"{loc.int(p.get('retailers'))}<br>{escape(loc.t('workload_h'))}: {loc.num(wl)}")
        territories.append({"m": m, "g": encode_geometry(f.get("geometry"), 1e-5), "info": info})
    routes = []
    for f in sorted(view.plan.routes, key=lambda f: (idx.get(str(f["properties"].get("manager_id")), -1),
                                                     int(f["properties"].get("day_index", 0)))):
        p = f["properties"]
        m = idx.get(str(p.get("manager_id")))
        if m is None:
            continue
        d = int(p.get("day_index", 0))
        label = day_labels[d] if d < len(day_labels) else str(d)
        info = (f"<b>{escape(ids[m])}</b> · {escape(label)}<br>{loc.int(p.get('n_visits'))} {escape(loc.t('visits_word'))} · "
                f"{escape(loc.t('travel_word'))} {loc.num((p.get('travel_s') or 0) / 60, 0)} {escape(loc.t('min'))} · "
                f"{escape(loc.t('service_word'))} {loc.num((p.get('service_s') or 0) / 3600)} {escape(loc.t('h'))}"
                + (f" · {escape(loc.t('waiting_word'))} {loc.num((p.get('wait_s') or 0) / 60, 0)} {escape(loc.t('min'))}"
                   if p.get("wait_s") else "")
                + f"<br>{escape(loc.t('start_end'))}: {escape(str(p.get('start', ''))[:5])} – {escape(str(p.get('end', ''))[:5])}")
        coords = f.get("geometry", {}).get("coordinates", [])
        routes.append({"m": m, "d": d, "c": encode_coords(coords, ROUTE_TOLERANCE_DEG), "info": info})
    R = facts
    retailers = {
        "id": R["retailer_id"].astype(str).tolist(),
        "name": R["name"].astype(str).tolist(),
        "cls": R["class"].astype(str).tolist(),
        "key": R["key"].astype(int).tolist(),
        "m": [idx.get(m, -1) for m in R["manager_id"]],
        "x": [enc_xy(v) for v in R["lon"]],
        "y": [enc_xy(v) for v in R["lat"]],
        "v": R["visits"].astype(int).tolist(),
        "req": [int(x) if is_num(x) else None for x in R["required"]],
        "days": R["visit_days"].tolist(),
        "up": R["unplanned"].astype(int).tolist(),
        "ur": [loc.join(loc.reason(x) for x in rs) for rs in R["unplanned_reasons"]],
        "remote": [0 if r else 1 for r in R["routed"]],
    }
    used_days = sorted({r["d"] for r in routes})
    labels = loc.labels(JS_LABELS)
    return {"kind": "plan", "labels": labels, "managers": managers, "territories": territories, "routes": routes,
            "retailers": retailers, "days": days, "dayLabels": day_labels, "dayWeek": day_week,
            "defaultDay": used_days[0] if used_days else None,
            "classes": {c: i.get("label", "") for c, i in view.classes.items()},
            "vacuum": vacuum_map_data(view, facts, loc)}  # service vacuum layers (issue 19)


def round6(x, digits: int = 6):
    return round(float(x), digits) if is_num(x) else None


__all__ = ["plan_map_data", "day_table", "enc_xy", "round6", "JS_LABELS"]

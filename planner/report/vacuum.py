"""The service vacuum in ``report.html``: two map layers and a short table (``kpis.json`` ->
``service_vacuum``, see :mod:`planner.plan.vacuum`).

* map layer *service vacuum*: the retailers whose administrative manager's base is much farther
  than the nearest manager's, ringed; the popup names the administrative, nearest and planned
  managers with their travel minutes;
* map layer *market areas split by districts*: the retailers of each split market area, coloured
  by district; the popup gives the market area's retailers per district;
* the section: a sentence with the counts, then per district the retailers, those in a vacuum
  and the split market areas touching it, and the split market areas with their counts per
  district.

Both layers start hidden (the panel switches them on).
"""

from __future__ import annotations

from html import escape

import pandas as pd

from planner.report.format import td_num
from planner.report.i18n import Locale
from planner.report.model import PlanView

DISTRICT_COLORS = ["#4e79a7", "#59a14f", "#edc948", "#76b7b2", "#9c755f", "#f28e2b", "#17becf", "#bcbd22", "#8c564b",
                   "#bab0ac"]
"""Colours of the districts on the split-market layer (no red or purple: those mark the vacuum)."""
MARKETS_SHOWN = 30


def retailer_units(view: PlanView, facts: pd.DataFrame, source: str) -> tuple[pd.Series | None, pd.Series | None]:
    """The market area and the administrative unit (district, or administrative manager) of each
    retailer of ``facts``, from the plan's ``assignments.csv`` (the retailer file's ``market`` and
    ``district`` columns) or the baseline's; ``None`` where the plan folder does not tell."""
    a = view.plan.assignments.drop_duplicates("retailer_id").set_index("retailer_id")
    rid = facts["retailer_id"].astype(str)
    market = rid.map(a["market"].astype(str)) if "market" in a.columns else None
    unit = None
    if source == "district" and "district" in a.columns:
        unit = rid.map(a["district"].astype(str))
    elif source == "administrative_manager" and view.baseline is not None:
        unit = rid.map(view.baseline.plan.assignments.drop_duplicates("retailer_id").set_index("retailer_id")["manager_id"])
    elif source == "administrative_manager" and view.kind == "baseline":
        unit = rid.map(a["manager_id"].astype(str))
    return market, unit


def vacuum_map_data(view: PlanView, facts: pd.DataFrame, loc: Locale) -> dict | None:
    """``{"vacuum": [{"i", "info", "ok"}], "splits": [{"i": [...], "d": [...], "info"}], "districts": [...]}``
    with ``i`` the retailer's position in the map data's retailer arrays (``facts`` order) and ``d``
    the colour of its district; ``None`` when ``kpis.json`` has no service vacuum."""
    section = view.kpis.get("service_vacuum")
    if not isinstance(section, dict):
        return None
    pos = {str(r): k for k, r in enumerate(facts["retailer_id"].astype(str))}
    mins = loc.t("min")
    vac = []
    for v in section.get("vacuum", []):
        k = pos.get(str(v.get("retailer_id")))
        if k is None:
            continue
        plan = "–" if v.get("plan_s") is None else loc.num(v["plan_s"] / 60.0, 0)
        info = (f"<b>{escape(str(v['retailer_id']))}</b> · {escape(loc.t('vacuum_title'))}"
                f"<br>{escape(loc.t('admin_manager'))}: {escape(str(v['admin_manager_id']))} "
                f"({loc.num(v['admin_s'] / 60.0, 0)} {escape(mins)})"
                f"<br>{escape(loc.t('nearest_manager'))}: {escape(str(v['nearest_manager_id']))} "
                f"({loc.num(v['nearest_s'] / 60.0, 0)} {escape(mins)})"
                f"<br>{escape(loc.t('plan_manager'))}: {escape(str(v['plan_manager_id']))} ({plan} {escape(mins)})")
        vac.append({"i": k, "info": info, "ok": int(bool(v.get("resolved")))})
    districts = sorted({d for m in section.get("markets", []) for d in m.get("districts", {})})
    color = {d: DISTRICT_COLORS[k % len(DISTRICT_COLORS)] for k, d in enumerate(districts)}
    market, unit = retailer_units(view, facts, str(section.get("district_source", "")))
    splits = []
    for m in section.get("markets", []):
        name = str(m["market"])
        idx = [int(k) for k in range(len(facts)) if market is not None and market.iat[k] == name]
        counts = loc.join(f"{d}: {loc.int(n)}" for d, n in m["districts"].items())
        info = f"<b>{escape(loc.t('market_area'))} {escape(name)}</b><br>{escape(loc.t('districts_counts'))}: {escape(counts)}"
        splits.append({"i": idx, "d": [color.get(str(unit.iat[k]), "#555") if unit is not None else "#555" for k in idx],
                       "info": info})
    return {"vacuum": vac, "splits": splits, "districts": [[d, color[d]] for d in districts]}


def vacuum_html(view: PlanView, loc: Locale) -> str:
    """The report's *service vacuum* section (empty when ``kpis.json`` has none)."""
    section = view.kpis.get("service_vacuum")
    if not isinstance(section, dict):
        return ""
    text = loc.t("vacuum_text", n=loc.int(section.get("retailers")), p=loc.pct(section.get("share")),
                 ratio=f"{section.get('ratio', 0):g}", minutes=f"{section.get('minutes', 0):g}",
                 resolved=loc.int(section.get("resolved_by_plan")), m=loc.int(section.get("split_markets")))
    rows = "".join(f'<tr data-district="{escape(str(d["district"]))}"><td>{escape(str(d["district"]) or "–")}</td>'
                   f'{td_num(loc.int(d["retailers"]), d["retailers"])}'
                   f'{td_num(loc.int(d["vacuum_retailers"]), d["vacuum_retailers"])}'
                   f'{td_num(loc.int(d["split_markets"]), d["split_markets"])}</tr>'
                   for d in section.get("by_district", []))
    head = "".join(f'<th class="{c}">{escape(loc.t(k))}</th>' for k, c in (
        ("vacuum_district", ""), ("retailers", "n"), ("vacuum_retailers", "n"), ("split_markets", "n")))
    out = [f'<h2 id="service-vacuum">{escape(loc.t("vacuum_title"))}</h2><p>{escape(text)}</p>',
           f'<div class="grid2 even"><div><table class="vacuum" style="max-width:640px"><thead><tr>{head}</tr></thead>'
           f'<tbody>{rows}</tbody></table></div>']
    markets = section.get("markets", [])
    if markets:
        mrows = "".join(f'<tr><td>{escape(str(m["market"]))}</td>{td_num(loc.int(m["retailers"]), m["retailers"])}'
                        f'<td>{escape(loc.join(f"{d}: {loc.int(n)}" for d, n in m["districts"].items()))}</td></tr>'
                        for m in markets[:MARKETS_SHOWN])
        more = f'<p class="hint">… {loc.int(len(markets) - MARKETS_SHOWN)}</p>' if len(markets) > MARKETS_SHOWN else ""
        out.append(f'<div><table class="splits"><thead><tr><th>{escape(loc.t("market_area"))}</th>'
                   f'<th class="n">{escape(loc.t("retailers"))}</th><th>{escape(loc.t("districts_counts"))}</th></tr>'
                   f'</thead><tbody>{mrows}</tbody></table>{more}</div>')
    out.append("</div>")
    return "".join(out)


__all__ = ["vacuum_map_data", "vacuum_html"]

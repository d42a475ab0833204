"""``report.html``: one self-contained page per plan (works offline).

The page inlines Leaflet (``assets/leaflet.js``, BSD-2), the report's own script and styles, the
charts (SVG made here) and the map data (JSON in a ``<script type="application/json">``). The
only thing it may fetch is the optional OpenStreetMap background, when the browser is online.

Sections: headline cards (plan vs administrative baseline), the map (territories, bases, each
manager's day routes, retailers with popups, visits not planned), the KPI table, charts
(workload per manager against the mean, travel share, visits made by class, the
frequency–travel curve when a ``frontier.csv`` is given), the per-manager table, the service
team (specialists' workload, contacts, duties and leave: :mod:`planner.report.team`), the visits not
planned with their reasons, and how the plan was made. The creation time appears once, in
``<span id="report-created">``; everything else is a function of the plan files.
"""

from __future__ import annotations

import base64
import functools
import importlib.metadata as md
import json
import math
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

import planner.report.svg as svg
from planner.report.format import (
    direction,
    fmt_delta,
    fmt_value,
    is_num,
    kpi_keys,
    kpi_value,
    manager_colors,
    method_text,
    td_num,
    validation_badge,
)
from planner.report.i18n import Locale
from planner.report.mapdata import plan_map_data
from planner.report.model import HEADLINE, KPI_ROWS, PlanView, retailer_facts
from planner.report.team import team_html
from planner.report.tiles import Tiles, tiles_of, with_tiles
from planner.report.vacuum import vacuum_html

ASSETS = Path(__file__).resolve().parent / "assets"
UNPLANNED_ROWS_SHOWN = 40


# --- assets and page ------------------------------------------------------------------------

@functools.cache
def asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


@functools.cache
def leaflet_css() -> str:
    """Leaflet's stylesheet with its two control images inlined (no file lookups at run time)."""
    css = asset("leaflet.css")
    for img in ("layers-2x.png", "layers.png"):
        data = base64.b64encode((ASSETS / f"leaflet-{img}").read_bytes()).decode("ascii")
        css = css.replace(f"url(images/{img})", f"url(data:image/png;base64,{data})")
    return css.replace("url(images/marker-icon.png)", "none")


def version() -> str:
    try:
        return md.version("fieldplan")
    except md.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "dev"


ERROR_TRAP = ("window.__reportErrors=[];window.addEventListener('error',function(e){window.__reportErrors.push("
              "(e.message||'error')+(e.lineno?' @'+e.lineno:''));});window.addEventListener('unhandledrejection',"
              "function(e){window.__reportErrors.push('promise: '+(e.reason&&e.reason.message||e.reason));});")


def json_script(data: dict) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/")


def page(*, loc: Locale, title: str, body: str, data: dict, charts_expected: int) -> str:
    """A complete HTML document with Leaflet, styles, script and data inlined."""
    lang = "zh-CN" if loc.lang == "zh" else "en"
    return "".join([
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f'<meta name="generator" content="fieldplan {escape(version())}">\n',
        f"<title>{escape(title)}</title>\n",
        f"<script>{ERROR_TRAP}</script>\n",
        f"<style>\n{leaflet_css()}\n</style>\n<style>\n{asset('report.css')}\n</style>\n</head>\n<body>\n<main>\n",
        body,
        f'\n</main>\n<div id="render-status" data-ok="0" data-charts-expected="{charts_expected}"></div>\n',
        f'<script type="application/json" id="report-data">{json_script(data)}</script>\n',
        f"<script>\n{asset('leaflet.js')}\n</script>\n",
        f"<script>\n{asset('report.js')}\n</script>\n</body>\n</html>\n",
    ])


# --- the plan report ------------------------------------------------------------------------

def render_plan_html(view: PlanView, *, lang: str = "en", frontier: pd.DataFrame | None = None,
                     tiles: Tiles | None = None, sheets_href: str | None = None) -> str:
    """The complete ``report.html`` of a plan (see the module docstring).

    ``tiles``: the base map (default: the scenario's ``report.tiles``); ``sheets_href``: the
    folder of the managers' route sheets relative to the page (their names link to them).
    """
    loc = Locale(lang)
    tiles = tiles or tiles_of(view.report)
    frontier = frontier if frontier is not None else view.frontier
    mt = view.managers_table()
    colors = manager_colors(list(view.plan.managers["manager_id"]))
    facts = retailer_facts(view)
    charts = plan_charts(view, loc, mt, colors, frontier)
    body = [header(view, loc), notes_html(view, loc), cards_html(view, loc),
            '<div class="grid2"><section>',
            f'<h2>{escape(loc.t("map"))}</h2><p class="hint">{escape(loc.t("map_hint"))}</p>'
            '<div id="map"></div><div id="map-note"></div>',
            '</section><section>',
            f'<h2>{escape(loc.t("summary"))}</h2>{kpi_table(view, loc)}',
            '</section></div>',
            f'<h2>{escape(loc.t("charts"))}</h2><div class="charts">',
            "".join(f'<div class="chart-box"><h3>{escape(t)}</h3>{c}</div>' for t, c in charts),
            "</div>",
            "" if (frontier is not None and len(frontier)) else f'<p class="hint">{escape(loc.t("frontier_none"))}</p>',
            managers_html(view, loc, mt, colors, sheets_href),
            team_html(view, loc),
            unplanned_html(view, loc, facts),
            vacuum_html(view, loc),
            about_html(view, loc),
            f'<footer>{escape(loc.t("generated_by", v=version()))} · {escape(map_credits(loc, tiles))}</footer>']
    data = with_tiles(plan_map_data(view, loc, mt, colors, facts), tiles)
    title = f"{view.scenario_name or view.label} – {loc.t('report_title')}"
    return page(loc=loc, title=title, body="".join(body), data=data, charts_expected=len(charts))


def map_credits(loc: Locale, tiles: Tiles) -> str:
    """The footer's map credits, with the attribution of the base map."""
    return loc.t("map_credits") + (" " + loc.t("map_background", a=tiles.attribution) if tiles.attribution else "")


def header(view: PlanView, loc: Locale) -> str:
    man = view.manifest
    kind = loc.t("kind_baseline") if view.kind == "baseline" else loc.t("report_title")
    parts = [kind, method_text(loc, view.territory_method)]
    if man.get("seed") is not None:
        parts.append(f"{loc.t('seed')} {man['seed']}")
    if man.get("start_date"):
        weeks = view.weeks or max(1, round(len(man.get("days", [])) / 7))
        parts.append(loc.t("horizon", weeks=weeks, date=loc.date(man["start_date"])))
    made = f'{escape(loc.t("made"))} <span id="report-created">{escape(loc.timestamp(man.get("created")))}</span>'
    return (f'<header class="top"><h1>{escape(view.scenario_name or view.label)}</h1>'
            f'<div class="sub">{escape(" · ".join(parts))} · {made} {validation_badge(loc, view.validation)}</div>'
            + (f'<div class="sub">{escape(view.scenario_description)}</div>' if view.scenario_description else "")
            + "</header>")


def notes_html(view: PlanView, loc: Locale) -> str:
    return "".join(f'<div class="note">{escape(loc.t(n))}</div>' for n in view.notes)


def cards_html(view: PlanView, loc: Locale) -> str:
    g = view.kpis.get("global", {})
    b = view.baseline_global()
    kinds = {k: (kind, better) for k, kind, better in KPI_ROWS}
    out = ['<div class="cards">']
    for key in HEADLINE:
        kind, better = kinds[key]
        p = g.get(key)
        line = ""
        if b is not None and view.kind != "baseline":
            bv = b.get(key)
            d = p - bv if is_num(p) and is_num(bv) else None
            cls = direction(kind, better, d)
            word = {"good": loc.t("better"), "bad": loc.t("worse")}.get(cls, loc.t("unchanged"))
            line = (f'<div class="b">{escape(loc.t("baseline_short"))}: {escape(fmt_value(loc, kind, bv))} · '
                    f'<span class="{cls}">{escape(fmt_delta(loc, kind, d))} {escape(loc.paren(word))}</span></div>')
        detail = ""
        if key == "unplanned_visits" and g.get("unplanned_by_reason"):
            detail = loc.join(f"{loc.reason(r)} {n}" for r, n in sorted(g["unplanned_by_reason"].items()))
            detail = f'<div class="d">{escape(detail)}</div>'
        out.append(f'<div class="card" data-kpi="{key}"><div class="k">{escape(loc.t(key))}</div>'
                   f'<div class="v" data-v="{p if is_num(p) else ""}">{escape(fmt_value(loc, kind, p))}</div>{line}'
                   f'<div class="d">{escape(loc.t(key + "_desc"))}</div>{detail}</div>')
    out.append("</div>")
    if b is None and view.kind != "baseline":
        out.append(f'<p class="hint">{escape(loc.t("no_baseline"))}</p>')
    elif view.kind != "baseline":
        out.append(f'<p class="hint">{escape(loc.t("against_baseline"))}</p>')
    return "".join(out)


def kpi_table(view: PlanView, loc: Locale) -> str:
    g = view.kpis.get("global", {})
    b = view.baseline_global() if view.kind != "baseline" else None
    head = [loc.t("kpi"), loc.t("plan")] + ([loc.t("baseline"), loc.t("change")] if b is not None else [])
    rows = []
    for key, kind, better in kpi_keys(list(view.classes), [g, b]):
        p = kpi_value(g, key)
        if p is None and (b is None or kpi_value(b, key) is None):
            continue
        cells = [f"<td>{escape(loc.kpi_label(key))}</td>", td_num(fmt_value(loc, kind, p), p)]
        if b is not None:
            bv = kpi_value(b, key)
            d = p - bv if is_num(p) and is_num(bv) else None
            cells.append(td_num(fmt_value(loc, kind, bv), bv))
            cells.append(td_num(fmt_delta(loc, kind, d), d, f"n {direction(kind, better, d)}"))
        rows.append(f'<tr data-kpi="{escape(key)}">' + "".join(cells) + "</tr>")
    ths = "".join(f'<th class="{"n" if i else ""}">{escape(h)}</th>' for i, h in enumerate(head))
    return f'<table class="kpis"><thead><tr>{ths}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _mean_workload(mt: pd.DataFrame) -> float | None:
    w = pd.to_numeric(mt.get("workload_hours"), errors="coerce").to_numpy(dtype=float) if "workload_hours" in mt else np.array([])
    w = w[np.isfinite(w)]
    active = w[w > 0] if (w > 0).any() else w
    return float(active.mean()) if len(active) else None


def _col(mt: pd.DataFrame, c: str) -> list[float | None]:
    if c not in mt:
        return [None] * len(mt)
    return [float(x) if is_num(x) else None for x in mt[c]]


def manager_labels(mt: pd.DataFrame, loc: Locale) -> list[str]:
    return [f"{m}" + (f" ({loc.t('vacant')})" if v else "") for m, v in zip(mt["manager_id"], mt["vacant"], strict=True)]


def plan_charts(view: PlanView, loc: Locale, mt: pd.DataFrame, colors: dict, frontier) -> list[tuple[str, str]]:
    charts = []
    cats = manager_labels(mt, loc)
    mean = _mean_workload(mt)
    tol = view.balance_tolerance
    if len(mt) and "workload_hours" in mt:
        markers = []
        if "baseline_workload_hours" in mt and view.kind != "baseline":
            markers.append(svg.Marker(loc.t("baseline_workload"), _col(mt, "baseline_workload_hours")))
        refs = [svg.RefLine(mean, f"{loc.t('mean')} {loc.num(mean)}")] if mean else []
        band = (mean * (1 - tol), mean * (1 + tol), loc.t("tolerance", p=loc.pct(tol, 0))) if mean and tol else None
        charts.append((loc.t("chart_workload"), svg.hbar_chart(
            "workload", loc.t("chart_workload"), cats,
            [svg.Series(loc.t("service"), _col(mt, "service_hours"), svg.SERVICE),
             svg.Series(loc.t("travel"), _col(mt, "travel_hours"), svg.TRAVEL)],
            stacked=True, markers=markers, ref_lines=refs, band=band, fmt=lambda v: loc.num(v, 0 if v >= 100 else 1),
            tick_fmt=lambda v: loc.num(v, 0))))
        g = view.kpis.get("global", {})
        b = view.baseline_global() if view.kind != "baseline" else None
        refs = []
        if is_num(g.get("travel_share")):
            refs.append(svg.RefLine(g["travel_share"], loc.t("plan_overall"), "#333"))
        if b is not None and is_num(b.get("travel_share")):
            refs.append(svg.RefLine(b["travel_share"], loc.t("baseline_overall"), svg.BASELINE, "2,3"))
        charts.append((loc.t("chart_travel_share"), svg.hbar_chart(
            "travel_share", loc.t("chart_travel_share"), cats,
            [svg.Series(loc.t("travel_share"), _col(mt, "travel_share"), svg.TRAVEL)],
            ref_lines=refs, fmt=lambda v: loc.pct(v), tick_fmt=lambda v: loc.pct(v, 0))))
    g = view.kpis.get("global", {})
    fc = g.get("frequency_compliance") or {}
    if fc:
        b = view.baseline_global() if view.kind != "baseline" else None
        classes = [c for c in view.classes if c in fc] + [c for c in sorted(fc) if c not in view.classes]
        cats_c = [c + (f" – {view.classes[c]['label']}" if view.classes.get(c, {}).get("label") else "") for c in classes]
        series = [svg.Series(loc.t("plan"), [fc.get(c) for c in classes], svg.SERVICE)]
        if b is not None:
            bfc = b.get("frequency_compliance") or {}
            series.append(svg.Series(loc.t("baseline"), [bfc.get(c) for c in classes], svg.BASELINE))
        charts.append((loc.t("chart_frequency"), svg.hbar_chart(
            "frequency", loc.t("chart_frequency"), cats_c, series, x_max=1.0, fmt=lambda v: loc.pct(v),
            tick_fmt=lambda v: loc.pct(v, 0))))
    if frontier is not None and len(frontier):
        charts.append((loc.t("chart_frontier"), frontier_chart(view, loc, frontier)))
    return charts


def frontier_chart(view: PlanView, loc: Locale, fr: pd.DataFrame) -> str:
    fr = fr.copy()
    x = pd.to_numeric(fr["travel_hours"], errors="coerce")
    y = pd.to_numeric(fr["key_frequency_compliance"], errors="coerce")
    if "param" in fr and "value" in fr:
        labels = [("λ=" if p == "lambda" else f"{p}=") + f"{v:g}" for p, v in zip(fr["param"], fr["value"], strict=True)]
    elif "lambda" in fr:
        labels = [f"λ={v:g}" for v in pd.to_numeric(fr["lambda"], errors="coerce")]
    else:
        labels = [""] * len(fr)
    merged: dict[tuple[float, float], list[str]] = {}  # identical points: one point, joined labels
    for a, b, lab in zip(x, y, labels, strict=True):
        if math.isfinite(a) and math.isfinite(b):
            merged.setdefault((round(float(a), 6), round(float(b), 6)), []).append(lab)
    pts = []
    for (a, b), labs in merged.items():
        head, _, _ = labs[0].partition("=")
        lab = labs[0] if len(labs) == 1 else head + "=" + ", ".join(v.partition("=")[2] for v in labs)
        pts.append(svg.Point(a, b, lab))
    series = [svg.XYSeries(loc.t("frontier_y"), pts, svg.SERVICE)]
    single_key = len(view.key_classes) == 1
    for k, col in enumerate(c for c in fr.columns if c.startswith("frequency_compliance_")):
        cls = col.removeprefix("frequency_compliance_")
        if single_key and cls in view.key_classes:
            continue
        yc = pd.to_numeric(fr[col], errors="coerce")
        series.append(svg.XYSeries(loc.t("frequency_class", c=cls),
                                   [svg.Point(float(a), float(b)) for a, b in zip(x, yc, strict=True)
                                    if math.isfinite(a) and math.isfinite(b)],
                                   svg.PLAN_COLORS[(k + 2) % len(svg.PLAN_COLORS)]))
    g = view.kpis.get("global", {})
    hl = None
    if is_num(g.get("travel_hours")) and is_num(g.get("key_frequency_compliance")):
        hl = svg.Point(float(g["travel_hours"]), float(g["key_frequency_compliance"]))
    return svg.xy_chart("frontier", loc.t("chart_frontier"), series, x_label=loc.t("frontier_x"),
                        y_label=loc.t("frontier_axis_y"), x_fmt=lambda v: loc.num(v, 1), y_fmt=lambda v: loc.pct(v, 1),
                        x_tick=lambda v, d: loc.num(v, d), y_tick=lambda v, d: loc.pct(v, max(0, d - 2)),
                        highlight=hl, highlight_label=loc.t("this_plan"), y_max=1.0)


def managers_html(view: PlanView, loc: Locale, mt: pd.DataFrame, colors: dict, sheets_href: str | None = None) -> str:
    """The per-manager table; with ``sheets_href`` each manager links to the route sheet."""
    from planner.report.sheets.select import sheet_file
    has_base = "baseline_workload_hours" in mt and view.kind != "baseline"
    has_est = "estimated_workload_hours" in mt and mt["estimated_workload_hours"].notna().any()
    cols = [("manager", None), ("team", None), ("retailers", "n"), ("key_customers", "n"), ("visits", "n"),
            ("service_h", "n"), ("travel_h", "n"), ("travel_share", "n"), ("workload_h", "n"), ("workload_vs_mean", "n")]
    if has_est:
        cols += [("estimated_h", "n"), ("actual_vs_estimate", "n")]
    if has_base:
        cols += [("baseline_workload_h", "n")]
    cols += [("days_worked", "n"), ("longest_day_h", "n"), ("not_planned", "n")]
    head = "".join(f'<th class="{c or ""}">{escape(loc.t(k))}</th>' for k, c in cols)
    rows = []
    for _, r in mt.iterrows():
        mid = str(r["manager_id"])
        sw = f'<span class="swatch" style="background:{colors.get(mid, "#555")}"></span> '
        name = escape(mid) + (f" ({escape(loc.t('vacant'))})" if r.get("vacant") else "")
        if sheets_href is not None:
            href = escape(sheets_href.rstrip("/") + "/" + sheet_file(mid, "html"))
            name = f'<a class="sheet-link" href="{href}" title="{escape(loc.t("route_sheet"))}">{name}</a>'

        vis = r.get("visits")
        req = r.get("visits_required")
        est = r.get("estimated_workload_hours")
        wl = r.get("workload_hours")
        ave = (wl / est - 1) if is_num(wl) and is_num(est) and est > 0 else None
        cells = [f"<td>{sw}{name}</td>", f"<td>{escape(str(r.get('team', '')))}</td>",
                 td_num(loc.int(r.get("retailers")), r.get("retailers")),
                 td_num(loc.int(r.get("key_customers")), r.get("key_customers")),
                 td_num(f"{loc.int(vis)} / {loc.int(req)}" if is_num(req) else loc.int(vis), vis),
                 td_num(loc.num(r.get("service_hours")), r.get("service_hours")),
                 td_num(loc.num(r.get("travel_hours")), r.get("travel_hours")),
                 td_num(loc.pct(r.get("travel_share")), r.get("travel_share")),
                 td_num(loc.num(wl), wl),
                 td_num(loc.signed_pct(r.get("workload_vs_mean")), r.get("workload_vs_mean"))]
        if has_est:
            cells += [td_num(loc.num(est), est), td_num(loc.signed_pct(ave), ave)]
        if has_base:
            cells += [td_num(loc.num(r.get("baseline_workload_hours")), r.get("baseline_workload_hours"))]
        cells += [td_num(loc.int(r.get("days_worked")), r.get("days_worked")),
                  td_num(loc.num(r.get("max_day_hours")), r.get("max_day_hours")),
                  td_num(loc.int(r.get("unplanned_visits")), r.get("unplanned_visits"))]
        rows.append(f'<tr data-manager="{escape(mid)}">' + "".join(cells) + "</tr>")

    def agg(c: str, how: str):
        if c not in mt:
            return None
        v = pd.to_numeric(mt[c], errors="coerce")
        return float(v.sum()) if how == "sum" else float(v.mean())

    foot = []
    for label, how in (("total", "sum"), ("mean_row", "mean")):
        f = lambda c, h=how: agg(c, h)  # noqa: E731
        cells = [f"<td>{escape(loc.t(label))}</td><td></td>",
                 td_num(loc.num(f("retailers"), 0 if how == "sum" else 1)),
                 td_num(loc.num(f("key_customers"), 0 if how == "sum" else 1)),
                 td_num(loc.num(f("visits"), 0 if how == "sum" else 1)),
                 td_num(loc.num(f("service_hours"))), td_num(loc.num(f("travel_hours"))),
                 td_num(loc.pct(view.kpis.get("global", {}).get("travel_share"))),
                 td_num(loc.num(f("workload_hours"))), "<td></td>"]
        if has_est:
            cells += [td_num(loc.num(f("estimated_workload_hours"))), "<td></td>"]
        if has_base:
            cells += [td_num(loc.num(f("baseline_workload_hours")))]
        cells += [td_num(loc.num(f("days_worked"), 0 if how == "sum" else 1)), "<td></td>",
                  td_num(loc.num(f("unplanned_visits"), 0 if how == "sum" else 1))]
        foot.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<h2>{escape(loc.t("managers_title"))}</h2><p class="hint">{escape(loc.t("sort_hint"))}</p>'
            f'<div class="scroll"><table class="sortable managers" id="managers-table"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody><tfoot>{"".join(foot)}</tfoot></table></div>')


def unplanned_html(view: PlanView, loc: Locale, facts: pd.DataFrame) -> str:
    up = view.plan.unplanned
    out = [f'<h2>{escape(loc.t("unplanned_title"))}</h2>']
    if not len(up):
        out.append(f'<p>{escape(loc.t("unplanned_none"))}</p>')
        return "".join(out)
    out.append(f'<p>{escape(loc.t("unplanned_count", n=loc.int(len(up))))}</p>')
    counts = up["reason"].value_counts()
    out.append(f'<table class="reasons" style="max-width:640px"><thead><tr><th>{escape(loc.t("reason"))}</th>'
               f'<th class="n">{escape(loc.t("count"))}</th></tr></thead><tbody>')
    for reason in sorted(counts.index, key=lambda r: (-counts[r], r)):
        out.append(f'<tr data-reason="{escape(str(reason))}"><td>{escape(loc.reason(reason))} '
                   f'<span class="hint">({escape(str(reason))})</span></td>{td_num(loc.int(counts[reason]), counts[reason])}</tr>')
    out.append("</tbody></table>")
    names = facts.set_index("retailer_id")["name"] if len(facts) else pd.Series(dtype=str)
    head = [loc.t("retailer"), loc.t("name"), loc.t("class"), loc.t("manager"), loc.t("date"), loc.t("reason"), loc.t("details")]
    rows = []
    srt = up.assign(_d=up["day_index"].astype(str)).sort_values(["manager_id", "_d", "retailer_id"], kind="stable")
    for k, (_, r) in enumerate(srt.iterrows()):
        more = ' class="more"' if k >= UNPLANNED_ROWS_SHOWN else ""
        date = loc.date(r["date"], year=False) if str(r["date"]) else loc.t("any_day")
        rows.append(f"<tr{more}><td>{escape(str(r['retailer_id']))}</td><td>{escape(str(names.get(r['retailer_id'], '')))}</td>"
                    f"<td>{escape(str(r['class']))}</td><td>{escape(str(r['manager_id']))}</td>"
                    f"<td data-v=\"{escape(str(r['day_index']))}\">{escape(date)}</td><td>{escape(loc.reason(r['reason']))}</td>"
                    f"<td class=\"hint\">{escape(str(r['message']))}</td></tr>")
    ths = "".join(f"<th>{escape(h)}</th>" for h in head)
    out.append(f'<div class="scroll" style="margin-top:8px"><table class="sortable" id="unplanned-table"><thead><tr>{ths}</tr>'
               f'</thead><tbody>{"".join(rows)}</tbody></table></div>')
    if len(up) > UNPLANNED_ROWS_SHOWN:
        out.append(f'<button class="show-more" data-table="unplanned-table">'
                   f'{escape(loc.t("show_all_rows", n=loc.int(len(up))))}</button>')
    return "".join(out)


def about_html(view: PlanView, loc: Locale) -> str:
    man = view.manifest
    methods = man.get("methods", {})
    sc = man.get("scenario", {})
    items = [(loc.t("scenario"), view.scenario_name or sc.get("name", "")),
             (loc.t("scenario_file"), f"{sc.get('path', '')} (sha256 {str(sc.get('sha256', ''))[:12]}…)"),
             (loc.t("seed"), str(man.get("seed", ""))),
             (loc.t("territory_method"), methods.get("territories", "")),
             (loc.t("calendar_method"), methods.get("schedule", "")),
             (loc.t("travel_model"), man.get("travel_model", ""))]
    base = (view.kpis.get("baseline") or {}).get("method")
    if base:
        items.append((loc.t("baseline_method"), base))
    inputs = man.get("inputs", {})
    if inputs:
        items.append((loc.t("inputs"), "; ".join(f"{k}: {Path(v.get('path', '')).name} ({str(v.get('sha256', ''))[:12]}…)"
                                                 for k, v in sorted(inputs.items()))))
    pk = man.get("packages", {})
    soft = ", ".join(f"{k} {v}" for k, v in pk.items() if k in ("fieldplan", "pyvrp", "ortools") and v)
    if soft:
        items.append(("software", soft))
    dl = "".join(f"<dt>{escape(k)}</dt><dd>{escape(str(v))}</dd>" for k, v in items)
    return (f'<h2>{escape(loc.t("about"))}</h2><dl class="about">{dl}</dl>{classify_html(view, loc)}'
            f'<p class="hint">{escape(loc.t("reproduce"))}</p>')


def rule_text(tests: dict, loc: Locale) -> str:
    """``tier 25–30, format 超市 / 烟酒商店`` (a rule's tests as planners wrote them)."""
    parts = []
    for col, v in tests.items():
        if isinstance(v, dict):
            v = f"{v.get('min', '')}–{v.get('max', '')}"
        elif isinstance(v, list) and len(v) == 2 and all(isinstance(x, (int, float)) for x in v):
            v = f"{v[0]:g}–{v[1]:g}"
        elif isinstance(v, list):
            v = " / ".join(str(x) for x in v)
        parts.append(f"{col} {v}")
    return ", ".join(parts) or loc.t("classify_all")


def classify_html(view: PlanView, loc: Locale) -> str:
    """The classify rules of the scenario with the retailers each took (from assignments.csv)."""
    a = view.plan.assignments
    if not view.classify or "class_rule" not in a.columns:
        return ""
    counts = pd.to_numeric(a["class_rule"], errors="coerce").value_counts()
    items = "".join(f"<li>{escape(loc.t('classify_rule', k=k, c=r['class'], tests=rule_text(r['tests'], loc), n=int(counts.get(k, 0))))}</li>"
                    for k, r in enumerate(view.classify, start=1))
    return f'<h3>{escape(loc.t("classify"))}</h3><ol class="rules">{items}</ol>'


__all__ = ["render_plan_html", "page", "map_credits", "manager_colors", "fmt_value", "fmt_delta", "direction", "kpi_keys",
           "kpi_value", "is_num", "td_num", "validation_badge", "method_text", "asset", "version"]

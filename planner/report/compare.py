"""``planner compare``: two or more plans side by side (``compare.html`` and ``compare.xlsx``).

The first plan is the reference; every other plan is compared with it:

* KPIs side by side with their changes against the reference;
* the realignment list: retailers whose manager differs (from → to, with class and team),
  including retailers present in only one of the plans (new or removed), and the moves counted
  per pair of managers;
* a map of the changes (reference territories as outlines, the compared plan's territories
  filled, moved retailers filled with the new manager's colour and ringed in the old one's);
* workload per manager before/after; a manager that exists in only one plan (e.g. 18 vs 20
  managers) shows "–" in the others.

Typical uses: ``planner compare PLAN/baseline PLAN`` (administrative vs market-based), last
quarter vs this quarter, and what-if variants.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import pandas as pd

import planner.report.svg as svg
from planner.errors import PlannerError
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
from planner.report.geo import encode_geometry
from planner.report.html import map_credits, page, version
from planner.report.i18n import Locale
from planner.report.mapdata import JS_LABELS
from planner.report.model import PlanView, load_view, retailer_facts
from planner.report.tiles import Tiles, tiles_of, with_tiles
from planner.report.xlsx import Book, Col

MOVES_SHOWN = 60


@dataclass
class Comparison:
    views: list[PlanView]
    labels: list[str]
    retailers: pd.DataFrame  # retailer_id, name, class, lon, lat, m0..m{n-1} ("" = not in that plan)
    managers: list[str]  # every manager id, in order of first appearance
    teams: dict[str, str]
    moves: list[pd.DataFrame] = field(default_factory=list)  # per compared plan (index 1..n-1), [0] empty
    workload: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def n(self) -> int:
        return len(self.views)


def _unique_labels(labels: list[str]) -> list[str]:
    out, seen = [], {}
    for lab in labels:
        k = seen.get(lab, 0)
        seen[lab] = k + 1
        out.append(lab if k == 0 else f"{lab} ({k + 1})")
    return out


def compare_views(views: list[PlanView], labels: list[str] | None = None) -> Comparison:
    """Line up the plans' retailers and managers and list the moves against the first plan."""
    if len(views) < 2:
        raise PlannerError("compare needs at least two plan folders")
    labels = _unique_labels(list(labels) if labels else [v.label for v in views])
    if len(labels) != len(views):
        raise PlannerError(f"give one --label per plan ({len(views)} plans, {len(labels)} labels)")
    details = []
    for v in views:
        f = retailer_facts(v)[["retailer_id", "name", "class", "lon", "lat"]]
        details.append(f)
    info = pd.concat(details, ignore_index=True)
    # the first plan that knows a retailer's location gives its details
    info = info.assign(_has=info["lon"].notna()).sort_values("_has", ascending=False, kind="stable")
    info = info.drop_duplicates("retailer_id").drop(columns="_has")
    order = pd.concat([v.plan.assignments["retailer_id"] for v in views], ignore_index=True).drop_duplicates()
    r = pd.DataFrame({"retailer_id": order.to_numpy()}).merge(info, on="retailer_id", how="left")
    managers: list[str] = []
    teams: dict[str, str] = {}
    for j, v in enumerate(views):
        a = v.plan.assignments.set_index("retailer_id")
        r[f"m{j}"] = r["retailer_id"].map(a["manager_id"]).fillna("")
        r[f"t{j}"] = r["retailer_id"].map(a["team"]).fillna("")
        for m, t in zip(v.plan.managers["manager_id"], v.plan.managers["team"], strict=True):
            if m not in teams:
                managers.append(m)
                teams[m] = str(t)
    for c in ("name", "class"):
        r[c] = r[c].fillna("").astype(str)
    cmp = Comparison(views=views, labels=labels, retailers=r, managers=managers, teams=teams)
    cmp.moves = [pd.DataFrame()] + [_moves(r, j) for j in range(1, len(views))]
    cmp.workload = _workload(cmp)
    return cmp


def _moves(r: pd.DataFrame, j: int) -> pd.DataFrame:
    d = r[r["m0"] != r[f"m{j}"]]
    out = pd.DataFrame({"retailer_id": d["retailer_id"], "name": d["name"], "class": d["class"],
                        "from": d["m0"], "from_team": d["t0"], "to": d[f"m{j}"], "to_team": d[f"t{j}"]})
    return out.sort_values(["from", "to", "retailer_id"], kind="stable").reset_index(drop=True)


def _workload(cmp: Comparison) -> pd.DataFrame:
    w = pd.DataFrame({"manager_id": cmp.managers, "team": [cmp.teams[m] for m in cmp.managers]})
    for j, v in enumerate(cmp.views):
        mt = pd.DataFrame(v.kpis.get("managers", []))
        if mt.empty:
            w[f"workload_{j}"] = None
            w[f"retailers_{j}"] = None
            w[f"travel_{j}"] = None
            continue
        mt = mt.set_index("manager_id")
        w[f"workload_{j}"] = w["manager_id"].map(mt["workload_hours"])
        w[f"retailers_{j}"] = w["manager_id"].map(mt["retailers"])
        w[f"travel_{j}"] = w["manager_id"].map(mt["travel_share"])
    return w


# --- HTML ---------------------------------------------------------------------------------------

def render_compare_html(cmp: Comparison, *, lang: str = "en", tiles: Tiles | None = None) -> str:
    """``compare.html``; ``tiles``: the base map (default: the reference plan's scenario's)."""
    loc = Locale(lang)
    tiles = tiles or tiles_of(cmp.views[0].report)
    t = loc.t
    colors = manager_colors(cmp.managers)
    ref = cmp.labels[0]
    total = len(cmp.retailers)
    charts = compare_charts(cmp, loc)
    names = sorted({v.scenario_name for v in cmp.views if v.scenario_name})
    kinds = " · ".join(f"{lab}: {method_text(loc, v.territory_method)}" for lab, v in zip(cmp.labels, cmp.views, strict=True))
    body = [f'<header class="top"><h1>{escape(t("compare_title"))}: {escape(" / ".join(cmp.labels))}</h1>'
            f'<div class="sub">{escape(" · ".join(names))}</div><div class="sub">{escape(kinds)} '
            f'{escape(loc.paren(t("reference") + ": " + ref))}</div></header>']
    cards = ['<div class="cards">']
    for j in range(1, cmp.n):
        n = len(cmp.moves[j])
        cards.append(f'<div class="card" data-moves="{n}"><div class="k">{escape(cmp.labels[j])} ← {escape(ref)}</div>'
                     f'<div class="v">{loc.int(n)}</div><div class="b">'
                     f'{escape(t("moves_summary", n=loc.int(n), total=loc.int(total), p=loc.pct(n / total if total else 0)))}'
                     f"</div></div>")
        g0, gj = cmp.views[0].kpis.get("global", {}), cmp.views[j].kpis.get("global", {})
        for key, kind, better in (("imbalance", "pct", "lower"), ("travel_share", "pct", "lower")):
            a, b = g0.get(key), gj.get(key)
            d = b - a if is_num(a) and is_num(b) else None
            cards.append(f'<div class="card"><div class="k">{escape(t(key))} · {escape(cmp.labels[j])}</div>'
                         f'<div class="v">{escape(fmt_value(loc, kind, b))}</div>'
                         f'<div class="b">{escape(ref)}: {escape(fmt_value(loc, kind, a))} · '
                         f'<span class="{direction(kind, better, d)}">{escape(fmt_delta(loc, kind, d))}</span></div>'
                         f'<div class="d">{escape(t(key + "_desc"))}</div></div>')
    cards.append("</div>")
    body.append("".join(cards))
    body += ['<div class="grid2 even"><section>',
             f'<h2>{escape(t("changes_map"))}</h2><div id="map"></div><div id="map-note"></div>',
             '</section><section>',
             f'<h2>{escape(t("kpis_side_by_side"))}</h2>{_kpi_table(cmp, loc)}',
             "</section></div>",
             f'<h2>{escape(t("charts"))}</h2><div class="charts">',
             "".join(f'<div class="chart-box"><h3>{escape(title)}</h3>{c}</div>' for title, c in charts),
             "</div>",
             _workload_table(cmp, loc, colors),
             _moves_html(cmp, loc),
             _plans_table(cmp, loc),
             f'<footer>{escape(t("generated_by", v=version()))} · {escape(map_credits(loc, tiles))}</footer>']
    data = with_tiles(compare_map_data(cmp, loc, colors), tiles)
    return page(loc=loc, title=f"{t('compare_title')}: {' / '.join(cmp.labels)}", body="".join(body), data=data,
                charts_expected=len(charts))


def _plans_table(cmp: Comparison, loc: Locale) -> str:
    t = loc.t
    head = [t("plan_label"), t("scenario"), t("territory_method"), t("seed"), t("managers"), t("retailers"),
            t("created"), t("folder")]
    rows = []
    for j, v in enumerate(cmp.views):
        man = v.manifest
        g = v.kpis.get("global", {})
        lab = escape(cmp.labels[j]) + (f' <span class="hint">({escape(t("reference"))})</span>' if j == 0 else "")
        rows.append(f"<tr><td><b>{lab}</b> {validation_badge(loc, v.validation)}</td><td>{escape(v.scenario_name)}</td>"
                    f"<td>{escape(method_text(loc, v.territory_method))}</td><td>{escape(str(man.get('seed', '')))}</td>"
                    f"{td_num(loc.int(g.get('managers')), g.get('managers'))}{td_num(loc.int(g.get('retailers')), g.get('retailers'))}"
                    f"<td>{escape(loc.timestamp(man.get('created')))}</td>"
                    f'<td class="hint">{escape(str(v.folder or ""))}</td></tr>')
    ths = "".join(f"<th>{escape(h)}</th>" for h in head)
    return (f'<h2>{escape(t("plans_compared"))}</h2><table class="plans"><thead><tr>{ths}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _kpi_table(cmp: Comparison, loc: Locale) -> str:
    gs = [v.kpis.get("global", {}) for v in cmp.views]
    classes: list[str] = []
    for v in cmp.views:
        classes += [c for c in v.classes if c not in classes]
    head = [loc.t("kpi")] + cmp.labels + [f"{loc.t('delta')} {lab}" for lab in cmp.labels[1:]]
    rows = []
    for key, kind, better in kpi_keys(classes, gs):
        vals = [kpi_value(g, key) for g in gs]
        if all(x is None for x in vals):
            continue
        cells = [f"<td>{escape(loc.kpi_label(key))}</td>"] + [td_num(fmt_value(loc, kind, x), x) for x in vals]
        for x in vals[1:]:
            d = x - vals[0] if is_num(x) and is_num(vals[0]) else None
            cells.append(td_num(fmt_delta(loc, kind, d), d, f"n {direction(kind, better, d)}"))
        rows.append(f'<tr data-kpi="{escape(key)}">' + "".join(cells) + "</tr>")
    ths = "".join(f'<th class="{"n" if i else ""}">{escape(h)}</th>' for i, h in enumerate(head))
    return (f'<p class="hint">{escape(loc.t("delta"))} = {escape(loc.t("change_vs", ref=cmp.labels[0]))}</p>'
            f'<table class="kpis"><thead><tr>{ths}</tr></thead><tbody>{"".join(rows)}</tbody></table>')


def compare_charts(cmp: Comparison, loc: Locale) -> list[tuple[str, str]]:
    t = loc.t
    w = cmp.workload
    charts = []
    cats = list(w["manager_id"])
    series = [svg.Series(lab, [float(x) if is_num(x) else None for x in w[f"workload_{j}"]],
                         svg.PLAN_COLORS[j % len(svg.PLAN_COLORS)]) for j, lab in enumerate(cmp.labels)]
    charts.append((t("workload_before_after"), svg.hbar_chart(
        "workload_compare", t("workload_before_after"), cats, series, fmt=lambda v: loc.num(v, 0 if v >= 100 else 1),
        tick_fmt=lambda v: loc.num(v, 0))))
    series = [svg.Series(lab, [float(x) if is_num(x) else None for x in w[f"travel_{j}"]],
                         svg.PLAN_COLORS[j % len(svg.PLAN_COLORS)]) for j, lab in enumerate(cmp.labels)]
    charts.append((t("chart_travel_share"), svg.hbar_chart(
        "travel_share_compare", t("chart_travel_share"), cats, series, fmt=lambda v: loc.pct(v),
        tick_fmt=lambda v: loc.pct(v, 0))))
    classes: list[str] = []
    for v in cmp.views:
        for c in list(v.classes) + sorted(v.kpis.get("global", {}).get("frequency_compliance", {}) or {}):
            if c not in classes:
                classes.append(c)
    if classes:
        series = [svg.Series(lab, [(v.kpis.get("global", {}).get("frequency_compliance") or {}).get(c) for c in classes],
                             svg.PLAN_COLORS[j % len(svg.PLAN_COLORS)]) for j, (lab, v) in enumerate(zip(cmp.labels, cmp.views, strict=True))]
        charts.append((t("chart_frequency"), svg.hbar_chart("frequency_compare", t("chart_frequency"), classes, series,
                                                            x_max=1.0, fmt=lambda v: loc.pct(v), tick_fmt=lambda v: loc.pct(v, 0))))
    return charts


def _workload_table(cmp: Comparison, loc: Locale, colors: dict) -> str:
    t = loc.t
    w = cmp.workload
    head = [t("manager"), t("team")]
    for lab in cmp.labels:
        head += [t("retailers_plan", label=lab), t("workload_plan_h", label=lab)]
    for lab in cmp.labels[1:]:
        head.append(f"{t('delta')} {t('workload_h')}: {lab}")
    rows = []
    for _, r in w.iterrows():
        mid = r["manager_id"]
        present = [is_num(r[f"workload_{j}"]) for j in range(cmp.n)]
        note = ""
        if sum(present) == 1:
            note = f' <span class="hint">({escape(t("only_in", label=cmp.labels[present.index(True)]))})</span>'
        cells = [f'<td><span class="swatch" style="background:{colors[mid]}"></span> {escape(mid)}{note}</td>',
                 f"<td>{escape(str(r['team']))}</td>"]
        for j in range(cmp.n):
            cells += [td_num(loc.int(r[f"retailers_{j}"]), r[f"retailers_{j}"]),
                      td_num(loc.num(r[f"workload_{j}"]), r[f"workload_{j}"])]
        for j in range(1, cmp.n):
            a, b = r["workload_0"], r[f"workload_{j}"]
            d = b - a if is_num(a) and is_num(b) else None
            cells.append(td_num(loc.signed(d), d))
        rows.append(f'<tr data-manager="{escape(mid)}">' + "".join(cells) + "</tr>")
    ths = "".join(f'<th class="{"n" if i > 1 else ""}">{escape(h)}</th>' for i, h in enumerate(head))
    return (f'<h2>{escape(t("workload_before_after"))}</h2><div class="scroll"><table class="sortable" id="workload-table">'
            f'<thead><tr>{ths}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')


def _who(loc: Locale, m: str) -> str:
    return m if m else loc.t("not_in_plan")


def _moves_html(cmp: Comparison, loc: Locale) -> str:
    t = loc.t
    out = [f'<h2>{escape(t("moves_title"))}</h2>']
    total = len(cmp.retailers)
    for j in range(1, cmp.n):
        mv = cmp.moves[j]
        title = f"{cmp.labels[0]} → {cmp.labels[j]}"
        out.append(f"<h3>{escape(title)}</h3>")
        if mv.empty:
            out.append(f'<p>{escape(t("moves_none"))}</p>')
            continue
        out.append(f'<p>{escape(t("moves_summary", n=loc.int(len(mv)), total=loc.int(total), p=loc.pct(len(mv) / total)))}</p>')
        pairs = mv.groupby(["from", "to"]).size().reset_index(name="n").sort_values(["n", "from", "to"],
                                                                                      ascending=[False, True, True])
        prow = "".join(f"<tr><td>{escape(_who(loc, a))}</td><td>{escape(_who(loc, b))}</td>{td_num(loc.int(n), n)}</tr>"
                       for a, b, n in pairs.itertuples(index=False))
        out.append(f'<table class="pairs" style="max-width:520px"><thead><tr><th>{escape(t("from"))}</th><th>{escape(t("to"))}</th>'
                   f'<th class="n">{escape(t("moves_count"))}</th></tr></thead><tbody>{prow}</tbody></table>')
        tid = f"moves-{j}"
        rows = []
        for k, r in enumerate(mv.rename(columns={"class": "cls", "from": "src", "to": "dst"}).itertuples(index=False)):
            more = ' class="more"' if k >= MOVES_SHOWN else ""
            rows.append(f"<tr{more}><td>{escape(r.retailer_id)}</td><td>{escape(r.name)}</td><td>{escape(r.cls)}</td>"
                        f"<td>{escape(_who(loc, r.src))}</td><td>{escape(r.from_team)}</td>"
                        f"<td>{escape(_who(loc, r.dst))}</td><td>{escape(r.to_team)}</td></tr>")
        head = "".join(f"<th>{escape(t(k))}</th>" for k in ("retailer", "name", "class", "from", "from_team", "to", "to_team"))
        out.append(f'<div class="scroll" style="margin-top:8px"><table class="sortable moves" id="{tid}"><thead><tr>{head}</tr>'
                   f'</thead><tbody>{"".join(rows)}</tbody></table></div>')
        if len(mv) > MOVES_SHOWN:
            out.append(f'<button class="show-more" data-table="{tid}">{escape(t("show_all_rows", n=loc.int(len(mv))))}</button>')
    return "".join(out)


def compare_map_data(cmp: Comparison, loc: Locale, colors: dict) -> dict:
    idx = {m: k for k, m in enumerate(cmp.managers)}
    r = cmp.retailers
    plans = []
    for v, lab in zip(cmp.views, cmp.labels, strict=True):
        terr = [{"m": idx[str(f["properties"]["manager_id"])], "g": encode_geometry(f.get("geometry"), 1e-5)}
                for f in v.plan.territories if str(f.get("properties", {}).get("manager_id")) in idx]
        bases = [{"m": idx[m], "lon": round(float(x), 6), "lat": round(float(y), 6)}
                 for m, x, y in zip(v.plan.managers["manager_id"], v.plan.managers["lon_wgs84"], v.plan.managers["lat_wgs84"],
                                    strict=True)
                 if is_num(x) and is_num(y)]
        plans.append({"label": lab, "territories": terr, "bases": bases})
    classes: dict[str, str] = {}
    for v in cmp.views:
        for c, i in v.classes.items():
            classes.setdefault(c, i.get("label", ""))
    return {
        "kind": "compare", "labels": loc.labels(JS_LABELS), "plans": plans,
        "managers": [{"id": m, "label": m + (f" · {cmp.teams[m]}" if cmp.teams[m] else ""), "color": colors[m]}
                     for m in cmp.managers],
        "retailers": {"id": r["retailer_id"].astype(str).tolist(), "name": r["name"].tolist(), "cls": r["class"].tolist(),
                      "x": [int(round(float(x) * 1e5)) if is_num(x) else None for x in r["lon"]],
                      "y": [int(round(float(y) * 1e5)) if is_num(y) else None for y in r["lat"]],
                      "a": [[idx.get(m, -1) if m else -1 for m in r[f"m{j}"]] for j in range(cmp.n)]},
        "classes": classes,
    }


# --- workbook -------------------------------------------------------------------------------------

def render_compare_xlsx(cmp: Comparison, *, lang: str = "en") -> bytes:
    loc = Locale(lang)
    t = loc.t
    book = Book(loc, title=f"{t('compare_title')}: {' / '.join(cmp.labels)}", created=None)
    # KPIs
    gs = [v.kpis.get("global", {}) for v in cmp.views]
    classes: list[str] = []
    for v in cmp.views:
        classes += [c for c in v.classes if c not in classes]
    cols = [Col(t("kpi"), "text", 34)] + [Col(lab, "num", 16) for lab in cmp.labels] + \
           [Col(t("change_vs", ref=cmp.labels[0]) + f": {lab}", "num", 18) for lab in cmp.labels[1:]]
    ws = book.add_sheet(t("sheet_kpis"))
    for j, c in enumerate(cols):
        ws.write_string(0, j, c.label, book.fmt["head"])
        ws.set_column(j, j, c.width)
    r = 1
    for key, kind, _b in kpi_keys(classes, gs):
        vals = [kpi_value(g, key) for g in gs]
        if all(x is None for x in vals):
            continue
        xk = {"pct": "pct", "int": "int", "num2": "num2"}.get(kind, "num")
        ws.write_string(r, 0, loc.kpi_label(key), book.fmt["text"])
        for j, x in enumerate(vals):
            book.cell(ws, r, 1 + j, xk, float(x) if is_num(x) else None)
        for j, x in enumerate(vals[1:]):
            d = x - vals[0] if is_num(x) and is_num(vals[0]) else None
            book.cell(ws, r, 1 + cmp.n + j, "pp" if kind == "pct" else xk, d)
        r += 1
    ws.set_row(0, 30)
    ws.freeze_panes(1, 1)
    ws.repeat_rows(0)
    # Managers
    w = cmp.workload
    mcols = [Col(t("manager")), Col(t("team"))]
    for lab in cmp.labels:
        mcols += [Col(t("retailers_plan", label=lab), "int"), Col(t("workload_plan_h", label=lab), "num")]
    mcols += [Col(f"{t('delta')} {t('workload_h')}: {lab}", "num") for lab in cmp.labels[1:]]
    rows = []
    for _, x in w.iterrows():
        row = [x["manager_id"], x["team"]]
        for j in range(cmp.n):
            row += [float(x[f"retailers_{j}"]) if is_num(x[f"retailers_{j}"]) else None,
                    float(x[f"workload_{j}"]) if is_num(x[f"workload_{j}"]) else None]
        for j in range(1, cmp.n):
            a, b = x["workload_0"], x[f"workload_{j}"]
            row.append(float(b - a) if is_num(a) and is_num(b) else None)
        rows.append(row)
    book.table(t("sheet_managers"), mcols, rows)
    # Moves
    vcols = [Col(t("plan_label")), Col(t("retailer")), Col(t("name")), Col(t("class")), Col(t("from")), Col(t("from_team")),
             Col(t("to")), Col(t("to_team"))]
    rows = []
    pairs = []
    for j in range(1, cmp.n):
        mv = cmp.moves[j]
        for r_ in mv.rename(columns={"class": "cls", "from": "src", "to": "dst"}).itertuples(index=False):
            rows.append([cmp.labels[j], r_.retailer_id, r_.name, r_.cls, _who(loc, r_.src), r_.from_team,
                         _who(loc, r_.dst), r_.to_team])
        if not mv.empty:
            for (a, b), n in mv.groupby(["from", "to"]).size().items():
                pairs.append([cmp.labels[j], _who(loc, a), _who(loc, b), int(n)])
    book.table(t("sheet_moves"), vcols, rows)
    book.table(t("sheet_pairs"), [Col(t("plan_label")), Col(t("from")), Col(t("to")), Col(t("moves_count"), "int")],
               sorted(pairs, key=lambda p: (p[0], -p[3], p[1], p[2])))
    # Assignments side by side
    acols = [Col(t("retailer")), Col(t("name")), Col(t("class"))] + [Col(f"{t('manager')}: {lab}") for lab in cmp.labels]
    acols += [Col(t("lon"), "num", 12), Col(t("lat"), "num", 12)]
    rr = cmp.retailers
    rows = [[a.retailer_id, a.name, a.cls] + [getattr(a, f"m{j}") for j in range(cmp.n)]
            + [float(a.lon) if is_num(a.lon) else None, float(a.lat) if is_num(a.lat) else None]
            for a in rr.rename(columns={"class": "cls"}).itertuples(index=False)]
    book.table(t("sheet_assignments"), acols, rows)
    return book.close()


def write_comparison(plan_dirs: list[Path], out: Path, *, lang: str = "en", labels: list[str] | None = None,
                     tiles: Tiles | None = None) -> Path:
    """Compare plan folders and write ``compare.html`` and ``compare.xlsx`` into the new folder ``out``
    (``tiles``: the base map; default the reference plan's scenario's ``report.tiles``)."""
    from planner.plan.files import write_folder

    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        from planner.errors import PlanExistsError

        raise PlanExistsError(f"{out} already exists and is not empty; choose another --out folder")
    views = [load_view(Path(p), with_baseline=False) for p in plan_dirs]
    cmp = compare_views(views, labels)
    files = {"compare.html": render_compare_html(cmp, lang=lang, tiles=tiles).encode("utf-8"),
             "compare.xlsx": render_compare_xlsx(cmp, lang=lang)}
    return write_folder(out, files)


__all__ = ["Comparison", "compare_views", "render_compare_html", "render_compare_xlsx", "write_comparison"]

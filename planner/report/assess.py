"""``assessment.html`` and ``assessment.xlsx`` of ``planner assess`` (English or Chinese).

The page (one offline file, the report's styles and script; no map): headline cards pooled over
all posts, how the score is made (groups, weights, sources, states), charts per post (the score
as stacked contributions of its groups, the service-process rates, planned/done/unplanned door
visits, and the road time per visit against the plan when the log has times), the indicators
per post (sortable), the visits per post and customer class, and the log's problems. The
workbook has the same tables (numbers as numbers, rates as %, frozen headers).

The functions take the assessment's tables as plain data (the workflow in
:mod:`planner.workflows.assess` makes them), so this module needs nothing but the report's helpers.
"""

from __future__ import annotations

from html import escape

import pandas as pd

import planner.report.svg as svg
from planner.report.format import is_num, td_num
from planner.report.html import page, version
from planner.report.i18n import LABELS, Locale
from planner.report.xlsx import Book, Col

PROBLEMS_SHOWN = 40
RATE_INDICATORS = ("completion", "on_planned_day", "key_frequency", "contact_rate")


def group_label(loc: Locale, name: str) -> str:
    key = f"grp_{name}"
    return loc.t(key) if key in LABELS else name


def indicator_label(loc: Locale, name: str) -> str:
    key = f"ind_{name}"
    return loc.t(key) if key in LABELS else name


def role_label(loc: Locale, role) -> str:
    key = f"role_{role}"
    return loc.t(key) if key in LABELS else str(role)


def code_label(loc: Locale, code: str) -> str:
    key = f"pc_{code}"
    return loc.t(key) if key in LABELS else str(code)


def state_label(loc: Locale, state: str) -> str:
    """A group's state (:func:`planner.workflows.assess.score.group_scores`) in the page's language."""
    if state == "used":
        return loc.t("as_state_used")
    why = {"no --scores file": loc.t("as_state_no_scores"), "no values": loc.t("as_state_no_values")}.get(state)
    if why is None and state.startswith("no column "):
        why = loc.t("as_state_no_column", c=state.removeprefix("no column "))
    return loc.t("as_state_missing", why=why or state)


def num(x) -> float | None:
    return float(x) if is_num(x) else None


def contributions(managers: pd.DataFrame, groups: list[dict]) -> list[list[float | None]]:
    """Per group, each post's points in its score: ``W_g * G_g / sum of W over its groups with a value``."""
    avail = pd.Series(0.0, index=managers.index)
    for g in groups:
        avail += managers[f"score_{g['group']}"].notna() * g["weight"]
    out = []
    for g in groups:
        s = managers[f"score_{g['group']}"]
        out.append([num(v * g["weight"] / a) if is_num(v) and a > 0 else None for v, a in zip(s, avail, strict=True)])
    return out


def charts(managers: pd.DataFrame, groups: list[dict], loc: Locale) -> list[tuple[str, str]]:
    cats = [f"{m}" + (f" ({role_label(loc, r)})" if str(r) not in ("manager", "") else "")
            for m, r in zip(managers["manager_id"], managers["role"].fillna(""), strict=True)]
    out = []
    parts = contributions(managers, groups)
    series = [svg.Series(group_label(loc, g["group"]), vals, svg.PLAN_COLORS[k % len(svg.PLAN_COLORS)])
              for k, (g, vals) in enumerate(zip(groups, parts, strict=True)) if any(v is not None for v in vals)]
    if series:
        out.append((loc.t("as_chart_scores"), svg.hbar_chart(
            "scores", loc.t("as_chart_scores"), cats, series, stacked=True, x_max=100.0,
            fmt=lambda v: loc.num(v, 1), tick_fmt=lambda v: loc.num(v, 0))))
    rates = [svg.Series(indicator_label(loc, k), [num(v) for v in managers[k]], svg.PLAN_COLORS[j])
             for j, k in enumerate(RATE_INDICATORS) if managers[k].notna().any()]
    if rates:
        out.append((loc.t("as_chart_rates"), svg.hbar_chart(
            "rates", loc.t("as_chart_rates"), cats, rates, x_max=1.0, fmt=lambda v: loc.pct(v, 0),
            tick_fmt=lambda v: loc.pct(v, 0))))
    out.append((loc.t("as_chart_visits"), svg.hbar_chart(
        "visits", loc.t("as_chart_visits"), cats,
        [svg.Series(loc.t("as_planned"), [num(v) for v in managers["visits_planned"]], svg.BASELINE),
         svg.Series(loc.t("as_done"), [num(v) for v in managers["visits_done"]], svg.SERVICE),
         svg.Series(loc.t("as_extra"), [num(v) for v in managers["extra_visits"]], svg.TRAVEL)],
        fmt=lambda v: loc.int(v), tick_fmt=lambda v: loc.int(v))))
    if managers["road_ratio"].notna().any():
        out.append((loc.t("as_chart_road"), svg.hbar_chart(
            "road", loc.t("as_chart_road"), cats,
            [svg.Series(loc.t("as_road_ratio"), [num(v) for v in managers["road_ratio"]], svg.TRAVEL)],
            ref_lines=[svg.RefLine(1.0, loc.t("as_planned"))], fmt=lambda v: loc.num(v, 2),
            tick_fmt=lambda v: loc.num(v, 1))))
    return out


def cards(managers: pd.DataFrame, overall: dict, loc: Locale) -> str:
    items = [("ind_completion", "pct", overall.get("completion")),
             ("ind_on_planned_day", "pct", overall.get("on_planned_day")),
             ("ind_key_frequency", "pct", overall.get("key_frequency")),
             ("ind_extra_visits", "int", overall.get("extra_visits"))]
    if overall.get("contact_rate") is not None:
        items.append(("ind_contact_rate", "pct", overall.get("contact_rate")))
    score = pd.to_numeric(managers["score"], errors="coerce")
    items.append(("as_score", "num", float(score.mean()) if score.notna().any() else None))
    out = ['<div class="cards">']
    for key, kind, v in items:
        text = loc.pct(v) if kind == "pct" else loc.int(v) if kind == "int" else loc.num(v)
        out.append(f'<div class="card" data-kpi="{escape(key)}"><div class="k">{escape(loc.t(key))}</div>'
                   f'<div class="v" data-v="{v if is_num(v) else ""}">{escape(text)}</div>'
                   f'<div class="d">{escape(loc.t(key + "_desc"))} · {escape(loc.t("as_all_posts"))}</div></div>')
    out.append("</div>")
    return "".join(out)


def groups_html(groups: list[dict], loc: Locale) -> str:
    rows = []
    for g in groups:
        inds = loc.join(f"{indicator_label(loc, k)} {w:g}" for k, w in g["indicators"].items())
        if g["source"] == "scores":
            inds += f" · ÷ {g['scale']:g}" + (" · ÷ " + loc.t("as_workload_index") if g.get("per_workload") else "")
        cls = "" if g["state"] == "used" else ' class="bad"'
        rows.append(f'<tr data-group="{escape(g["group"])}"><td>{escape(group_label(loc, g["group"]))}</td>'
                    f'{td_num(loc.pct(g["share"], 0), g["share"])}<td>{escape(loc.t("as_source_" + g["source"]))}</td>'
                    f'<td>{escape(inds)}</td><td{cls}>{escape(state_label(loc, g["state"]))}</td></tr>')
    head = "".join(f"<th>{escape(loc.t(k))}</th>" for k in ("as_group", "as_weight", "as_source", "as_indicators",
                                                           "as_state"))
    return (f'<h2>{escape(loc.t("as_how"))}</h2><p class="hint">{escape(loc.t("as_how_text"))}</p>'
            f'<table class="groups" style="max-width:1100px"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}'
            "</tbody></table>")


def post_columns(managers: pd.DataFrame, groups: list[dict], loc: Locale) -> list[tuple[str, str, str]]:
    """(label, kind, column) of the per-post table: identity, visits, rates, road, workload, scores."""
    cols = [(loc.t("manager"), "text", "manager_id"), (loc.t("as_role"), "role", "role"), (loc.t("team"), "text", "team"),
            (loc.t("as_planned"), "int", "visits_planned"), (loc.t("as_done"), "int", "visits_done"),
            (loc.t("ind_completion"), "pct", "completion"), (loc.t("as_on_day"), "int", "visits_on_planned_day"),
            (loc.t("as_moved"), "int", "visits_moved"), (loc.t("as_missed"), "int", "visits_missed"),
            (loc.t("ind_on_planned_day"), "pct", "on_planned_day"), (loc.t("as_extra"), "int", "extra_visits"),
            (loc.t("as_key_req"), "int", "key_visits_required"), (loc.t("as_key_done"), "int", "key_visits_done"),
            (loc.t("ind_key_frequency"), "pct", "key_frequency"), (loc.t("ind_hours_completion"), "pct", "hours_completion")]
    if managers["contacts_planned"].fillna(0).sum() > 0:
        cols += [(loc.t("as_contacts"), "int", "contacts_planned"), (loc.t("ind_contact_rate"), "pct", "contact_rate")]
    if managers["road_ratio"].notna().any():
        cols += [(loc.t("as_road_plan_h"), "num", "road_hours_planned"), (loc.t("as_road_done_h"), "num", "road_hours_done"),
                 (loc.t("as_road_ratio"), "num2", "road_ratio")]
    cols += [(loc.t("as_planned_h"), "num", "planned_hours"), (loc.t("as_workload_index"), "num2", "workload_index")]
    cols += [(group_label(loc, g["group"]), "num", f"score_{g['group']}") for g in groups]
    cols += [(loc.t("as_score"), "num", "score"), (loc.t("as_missing_groups"), "groups", "missing_groups")]
    return [c for c in cols if c[2] in managers.columns]


def fmt_cell(loc: Locale, kind: str, v) -> str:
    if kind == "pct":
        return loc.pct(v)
    if kind == "int":
        return loc.int(v)
    if kind == "num":
        return loc.num(v)
    if kind == "num2":
        return loc.num(v, 2)
    if kind == "role":
        return role_label(loc, v)
    if kind == "groups":
        return loc.join(group_label(loc, x) for x in str(v or "").split(";") if x)
    return "" if v is None or (isinstance(v, float) and v != v) else str(v)


def table_html(df: pd.DataFrame, cols: list[tuple[str, str, str]], loc: Locale, table_id: str, *,
               shown: int | None = None, cls: str = "sortable") -> str:
    head = "".join(f'<th class="{"n" if k not in ("text", "role", "groups") else ""}">{escape(lab)}</th>'
                   for lab, k, _c in cols)
    rows = []
    for i, (_, r) in enumerate(df.iterrows()):
        more = ' class="more"' if shown is not None and i >= shown else ""
        cells = [td_num(fmt_cell(loc, k, r.get(c)), r.get(c)) if k not in ("text", "role", "groups")
                 else f"<td>{escape(fmt_cell(loc, k, r.get(c)))}</td>" for _lab, k, c in cols]
        rows.append(f'<tr{more} data-row="{escape(str(r.get(cols[0][2], "")))}">' + "".join(cells) + "</tr>")
    button = (f'<button class="show-more" data-table="{table_id}">{escape(loc.t("show_all_rows", n=loc.int(len(df))))}'
              "</button>") if shown is not None and len(df) > shown else ""
    return (f'<div class="scroll"><table class="{cls}" id="{table_id}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>{button}')


def problem_columns(loc: Locale) -> list[tuple[str, str, str]]:
    return [(loc.t("as_row"), "int", "row"), (loc.t("as_file"), "text", "file"), (loc.t("as_column"), "text", "column"),
            (loc.t("as_code"), "text", "code_label"), (loc.t("manager"), "text", "manager_id"),
            (loc.t("retailer"), "text", "retailer_id"), (loc.t("date"), "text", "date"),
            (loc.t("as_used"), "text", "used_label"), (loc.t("as_message"), "text", "message")]


def labelled_problems(problems: pd.DataFrame, loc: Locale) -> pd.DataFrame:
    p = problems.copy()
    p["code_label"] = [code_label(loc, c) for c in p["code"]]
    p["used_label"] = [loc.t("yes") if str(u).lower() == "true" else loc.t("no") for u in p["used"]]
    return p


def render_assessment_html(*, managers: pd.DataFrame, classes: pd.DataFrame, problems: pd.DataFrame, overall: dict,
                           groups: list[dict], meta: dict, lang: str = "en") -> str:
    """The complete ``assessment.html`` (see the module docstring)."""
    loc = Locale(lang)
    hz = meta.get("horizon") or {}
    sub = loc.t("as_sub", start=loc.date(hz.get("start")), end=loc.date(hz.get("end")),
                log=str(meta.get("log", "")).rsplit("/", 1)[-1], used=loc.int(meta.get("log_rows_used")),
                read=loc.int(meta.get("log_rows")))
    scores = loc.t("as_scores_file", f=str(meta["scores"]).rsplit("/", 1)[-1]) if meta.get("scores") else ""
    notes = [loc.t("as_no_scores")] if not meta.get("scores") and any(g["source"] == "scores" for g in groups) else []
    notes += list(meta.get("notes", []))
    ch = charts(managers, groups, loc)
    p = labelled_problems(problems, loc)
    unused = int((p["used"].astype(str).str.lower() != "true").sum()) if len(p) else 0
    prob = (f'<p>{escape(loc.t("as_problems_count", n=loc.int(len(p)), unused=loc.int(unused)))}</p>'
            + table_html(p, problem_columns(loc), loc, "problems-table", shown=PROBLEMS_SHOWN)) if len(p) else \
        f'<p>{escape(loc.t("as_problems_none"))}</p>'
    ccols = [(loc.t("manager"), "text", "manager_id"), (loc.t("class"), "text", "class"), (loc.t("as_planned"), "int",
             "visits_planned"), (loc.t("as_done"), "int", "visits_done"), (loc.t("ind_completion"), "pct", "completion"),
             (loc.t("ind_on_planned_day"), "pct", "on_planned_day"), (loc.t("as_moved"), "int", "visits_moved"),
             (loc.t("as_missed"), "int", "visits_missed"), (loc.t("as_extra"), "int", "extra_visits")]
    body = [f'<header class="top"><h1>{escape(loc.t("as_title"))}</h1>'
            f'<div class="sub">{escape(meta.get("scenario", ""))} · {escape(meta.get("plan_id", ""))}</div>'
            f'<div class="sub">{escape(sub)}{" · " + escape(scores) if scores else ""}</div></header>',
            "".join(f'<div class="note">{escape(n)}</div>' for n in notes),
            cards(managers, overall, loc), groups_html(groups, loc),
            '<div class="charts" style="margin-top:18px">', "".join(f'<div class="chart-box"><h3>{escape(t)}</h3>{c}</div>' for t, c in ch),
            "</div>", f'<h2>{escape(loc.t("as_managers"))}</h2><p class="hint">{escape(loc.t("sort_hint"))}</p>',
            table_html(managers, post_columns(managers, groups, loc), loc, "posts-table", cls="sortable managers"),
            f'<h2>{escape(loc.t("as_classes"))}</h2>', table_html(classes, ccols, loc, "classes-table"),
            f'<h2>{escape(loc.t("as_problems"))}</h2>', prob,
            f'<footer>{escape(loc.t("generated_by", v=version()))}</footer>']
    return page(loc=loc, title=f"{meta.get('scenario', '')} – {loc.t('as_title')}", body="".join(body),
                data={"kind": "assessment", "labels": {}}, charts_expected=len(ch))


def render_assessment_xlsx(*, managers: pd.DataFrame, classes: pd.DataFrame, problems: pd.DataFrame, overall: dict,
                           groups: list[dict], meta: dict, lang: str = "en") -> bytes:
    """``assessment.xlsx``: Posts, By class, Weights, Log problems (numbers as numbers, frozen headers)."""
    loc = Locale(lang)
    book = Book(loc, title=f"{meta.get('scenario', '')} – {loc.t('as_title')}", created=None)
    xkind = {"role": "text", "groups": "text"}

    def rows_of(df: pd.DataFrame, cols) -> list[list]:
        out = []
        for _, r in df.iterrows():
            out.append([fmt_cell(loc, k, r.get(c)) if k in ("role", "groups", "text") else num(r.get(c))
                        for _lab, k, c in cols])
        return out

    pc = post_columns(managers, groups, loc)
    book.table(loc.t("sheet_as_posts"), [Col(lab, xkind.get(k, k)) for lab, k, _c in pc], rows_of(managers, pc))
    cc = [(loc.t("manager"), "text", "manager_id"), (loc.t("class"), "text", "class"), (loc.t("as_key"), "text", "key_label"),
          (loc.t("as_planned"), "int", "visits_planned"), (loc.t("as_done"), "int", "visits_done"),
          (loc.t("ind_completion"), "pct", "completion"), (loc.t("ind_on_planned_day"), "pct", "on_planned_day"),
          (loc.t("as_moved"), "int", "visits_moved"), (loc.t("as_missed"), "int", "visits_missed"),
          (loc.t("as_extra"), "int", "extra_visits")]
    cl = classes.assign(key_label=[loc.t("yes") if k else loc.t("no") for k in classes["key"]])
    book.table(loc.t("sheet_as_classes"), [Col(lab, k) for lab, k, _c in cc], rows_of(cl, cc))
    gcols = [Col(loc.t("as_group")), Col(loc.t("as_weight"), "pct"), Col(loc.t("as_source")),
             Col(loc.t("as_indicators")), Col(loc.t("as_state"))]
    grows = [[group_label(loc, g["group"]), g["share"], loc.t("as_source_" + g["source"]),
              loc.join(f"{indicator_label(loc, k)} {w:g}" for k, w in g["indicators"].items()),
              state_label(loc, g["state"])] for g in groups]
    ws = book.table(loc.t("sheet_as_groups"), gcols, grows)
    top = len(grows) + 2
    for i, (key, v) in enumerate((("ind_completion", overall.get("completion")),
                                  ("ind_on_planned_day", overall.get("on_planned_day")),
                                  ("ind_key_frequency", overall.get("key_frequency")),
                                  ("ind_contact_rate", overall.get("contact_rate")))):
        ws.write_string(top + i, 0, f"{loc.t(key)} ({loc.t('as_all_posts')})", book.fmt["bold"])
        book.cell(ws, top + i, 1, "pct", v)
    p = labelled_problems(problems, loc)
    pcols = problem_columns(loc)
    book.table(loc.t("sheet_as_problems"), [Col(lab, k) for lab, k, _c in pcols], rows_of(p, pcols))
    return book.close()


__all__ = ["render_assessment_html", "render_assessment_xlsx", "contributions"]

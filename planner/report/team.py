"""The service team in the plan reports: the specialists' workload, the contacts (phone,
messaging) of each manager, the weekly duties and who is on leave.

``report.html`` gets one section (:func:`team_html`, after the managers' table); ``report.xlsx``
the sheets Specialists, Contacts and Duties and leave (:func:`planner.report.xlsx.add_team_sheets`,
from :func:`contact_table` and the same rows), each when the plan has something to show. Everything comes
from the plan folder (``kpis.json`` rows with ``role``, ``managers.csv`` ``skills``/``leave``,
``contacts.csv``, ``unplanned.csv`` rows of kind contact) and the scenario's ``calendar.duties``.
"""

from __future__ import annotations

from html import escape

import pandas as pd

from planner.report.format import is_num, td_num
from planner.report.i18n import Locale
from planner.report.model import PlanView


def uses_team(view: PlanView) -> bool:
    """Whether the plan has specialists, contacts, duties or leave to show."""
    g = view.kpis.get("global", {})
    return bool(g.get("specialists") or g.get("remote_contacts") or g.get("contacts_planned") or view.duties
                or g.get("leave_days"))


def contact_table(view: PlanView) -> pd.DataFrame:
    """Per manager: contacts planned, required, not planned and their hours."""
    mt = view.managers_table()
    a = view.plan.assignments
    need = {c: int(i.get("contacts") or 0) for c, i in view.classes.items()}
    req = (a.assign(n=a["class"].map(need).fillna(0) if "class" in a.columns else 0)
           .groupby("manager_id")["n"].sum()) if len(a) else pd.Series(dtype=float)
    c = view.plan.contacts
    hours = pd.Series(dtype=float)
    if c is not None and len(c):
        secs = [_clock(e) - _clock(s) for s, e in zip(c["start"], c["end"], strict=True)]
        hours = pd.Series(secs, index=c.index).groupby(c["manager_id"]).sum() / 3600.0
    up = view.plan.unplanned
    miss = up[up["kind"] == "contact"].groupby("manager_id").size() if "kind" in up.columns else pd.Series(dtype=int)
    return pd.DataFrame({"manager_id": mt["manager_id"], "team": mt["team"],
                         "contacts": mt["contacts"] if "contacts" in mt.columns else 0,
                         "required": [int(req.get(m, 0)) for m in mt["manager_id"]],
                         "hours": [float(hours.get(m, 0.0)) for m in mt["manager_id"]],
                         "unplanned": [int(miss.get(m, 0)) for m in mt["manager_id"]]})


def _clock(t: str) -> int:
    h, m, s = (int(x) for x in (str(t).split(":") + ["0", "0"])[:3])
    return h * 3600 + m * 60 + s


def _who(loc: Locale, who: str) -> str:
    return loc.t("who_all") if who == "all" else who


def _table(head: list[str], rows: list[str], cls: str = "", text_cols: int = 2) -> str:
    """A sortable table; the first ``text_cols`` columns are text, the others numbers."""
    ths = "".join(f'<th class="{"n" if i >= text_cols else ""}">{escape(h)}</th>' for i, h in enumerate(head))
    return (f'<div class="scroll"><table class="sortable {cls}"><thead><tr>{ths}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def team_html(view: PlanView, loc: Locale) -> str:
    """The report's section on specialists, contacts, duties and leave (empty for older plans)."""
    if not uses_team(view):
        return ""
    out = [f'<h2 id="team">{escape(loc.t("team_title"))}</h2>']
    st = view.managers_table("specialist")
    out.append(f'<h3>{escape(loc.t("specialists_title"))}</h3><p class="hint">{escape(loc.t("specialists_hint"))}</p>')
    if len(st):
        rows = []
        for _, r in st.iterrows():
            req, vis = r.get("visits_required"), r.get("visits")
            rows.append(
                f'<tr data-specialist="{escape(str(r["manager_id"]))}"><td>{escape(str(r["manager_id"]))}</td>'
                f'<td>{escape(str(r.get("team", "")))}</td><td>{escape(str(r.get("skills", "")))}</td>'
                + td_num(loc.int(r.get("retailers")), r.get("retailers"))
                + td_num(f"{loc.int(vis)} / {loc.int(req)}", vis)
                + td_num(loc.num(r.get("service_hours")), r.get("service_hours"))
                + td_num(loc.num(r.get("travel_hours")), r.get("travel_hours"))
                + td_num(loc.num(r.get("workload_hours")), r.get("workload_hours"))
                + td_num(loc.signed_pct(r.get("workload_vs_mean")), r.get("workload_vs_mean"))
                + td_num(loc.int(r.get("days_worked")), r.get("days_worked"))
                + td_num(loc.int(r.get("unplanned_visits")), r.get("unplanned_visits")) + "</tr>")
        out.append(_table([loc.t("specialist_col"), loc.t("team"), loc.t("skills"), loc.t("retailers"), loc.t("visits"),
                           loc.t("service_h"), loc.t("travel_h"), loc.t("workload_h"), loc.t("vs_team_mean"),
                           loc.t("days_worked"), loc.t("not_planned")], rows, "specialists", 3))
    else:
        out.append(f'<p>{escape(loc.t("no_specialists"))}</p>')
    if view.plan.contacts is not None:
        ct = contact_table(view)
        out.append(f'<h3>{escape(loc.t("contacts_title"))}</h3><p class="hint">{escape(loc.t("contacts_hint"))}</p>')
        rows = [f'<tr data-contacts="{escape(str(r.manager_id))}"><td>{escape(str(r.manager_id))}</td>'
                f'<td>{escape(str(r.team))}</td>' + td_num(f"{loc.int(r.contacts)} / {loc.int(r.required)}", r.contacts)
                + td_num(loc.num(r.hours), r.hours) + td_num(loc.int(r.unplanned), r.unplanned) + "</tr>"
                for r in ct.itertuples(index=False)]
        out.append(_table([loc.t("manager"), loc.t("team"), loc.t("contacts_col"), loc.t("contact_hours"),
                           loc.t("not_planned")], rows, "contacts"))
    out.append(f'<h3>{escape(loc.t("duties_title"))}</h3><p class="hint">{escape(loc.t("duties_hint"))}</p>')
    if view.duties:
        rows = [f'<tr><td>{escape(d["name"])}</td><td>{escape(loc.join(loc.weekday_name(w) for w in d["weekdays"]))}</td>'
                f'<td>{escape(d["start"])}–{escape(d["end"])}</td><td>{escape(_who(loc, d["who"]))}</td></tr>'
                for d in view.duties]
        out.append(_table([loc.t("duty"), loc.t("weekdays"), loc.t("duty_time"), loc.t("who")], rows, "duties", 4))
    else:
        out.append(f'<p>{escape(loc.t("no_duties"))}</p>')
    people = pd.concat([view.managers_table(), st], ignore_index=True)
    if "leave_days" in people.columns:
        rows = []
        for _, r in people.iterrows():
            if not (is_num(r.get("leave_days")) and r["leave_days"] > 0) and not (is_num(r.get("duty_hours")) and r["duty_hours"] > 0):
                continue
            rows.append(f'<tr><td>{escape(str(r["manager_id"]))}</td><td>{escape(str(r.get("leave", "") or ""))}</td>'
                        + td_num(loc.int(r.get("leave_days")), r.get("leave_days"))
                        + td_num(loc.num(r.get("duty_hours")), r.get("duty_hours"))
                        + td_num(loc.num(r.get("available_hours")), r.get("available_hours")) + "</tr>")
        if rows:
            out.append(_table([loc.t("manager"), loc.t("leave"), loc.t("leave_days"), loc.t("duty_h"),
                               loc.t("available_h")], rows, "leave"))
        if not (pd.to_numeric(people["leave_days"], errors="coerce") > 0).any():
            out.append(f'<p>{escape(loc.t("no_leave"))}</p>')
    return "".join(out)

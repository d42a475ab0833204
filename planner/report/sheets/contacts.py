"""Remote contacts of each day (customers of classes with ``mode: remote``, served by phone or
messaging): the call list at the end of each day of a route sheet.

The calendar schedules the contacts (of ``mode: remote`` classes and ``remote_per_cycle``) into
the plan's ``contacts.csv`` (:mod:`planner.design.contacts`). :func:`remote_contact_days` is the
one place that decides which day a remote customer is contacted:

* when the plan folder has a ``contacts.csv`` (``manager_id, date, start, end, retailer_id,
  phone``) its rows are used as they are (``source = "file"``; every plan made since contacts
  are scheduled);
* otherwise (an older plan) a deterministic contact day is derived (``source = "derived"``): each manager's
  remote customers in the order of ``assignments.csv``, each once per required contact (its
  class's ``visits_per_cycle`` scaled to the horizon); the contacts are listed round by round
  (every customer's first contact, then every second contact, ...) and contact ``k`` of ``N``
  goes to working day ``floor(k * D / N)`` of the ``D`` working days of the horizon (holidays
  excluded), so they are spread evenly and a customer's contacts are about ``D / n`` days apart.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

CONTACT_COLUMNS = ["manager_id", "date", "day_index", "start", "end", "retailer_id", "phone", "contact", "contacts"]


def remote_contact_days(view, folder: Path | None = None) -> tuple[pd.DataFrame, str]:
    """The remote contacts of every manager and day, and their source (``file``, ``derived`` or
    ``none`` when the plan has no remote customers).

    Parameters
    ----------
    view : planner.report.model.PlanView
        The plan (its assignments, classes and working days).
    folder : Path, optional
        The plan folder, where a ``contacts.csv`` is looked for.

    Returns
    -------
    (DataFrame, str)
        Columns :data:`CONTACT_COLUMNS` (``contact`` is k of ``contacts`` for the customer; empty
        ``start``/``end`` when no time is planned), in manager, day and list order.
    """
    a = view.plan.assignments
    days = [d for d in view.working_days]
    index_of = {str(d["date"]): int(d["day_index"]) for d in days}
    path = Path(folder) / "contacts.csv" if folder is not None else None
    if path is not None and path.exists():
        c = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        for col in ("start", "end", "phone"):
            if col not in c.columns:
                c[col] = ""
        c["day_index"] = c["date"].map(index_of)
        c = c[c["day_index"].notna()].copy()
        c["day_index"] = c["day_index"].astype(int)
        c["contact"] = c.groupby(["manager_id", "retailer_id"]).cumcount() + 1
        c["contacts"] = c.groupby(["manager_id", "retailer_id"])["retailer_id"].transform("size")
        c = c.sort_values(["manager_id", "day_index", "start"], kind="stable")
        return c[CONTACT_COLUMNS].reset_index(drop=True), "file"
    remote = {c for c, i in view.classes.items() if not i.get("routed", True)}
    if not remote or "class" not in a.columns or not days:
        return pd.DataFrame(columns=CONTACT_COLUMNS), "none"
    req = {c: int(view.classes[c].get("required") or 0) for c in remote}
    phone = a["phone"] if "phone" in a.columns else pd.Series([""] * len(a), index=a.index)
    rows = []
    for mid in view.plan.managers["manager_id"]:
        mine = a[(a["manager_id"] == mid) & a["class"].isin(remote)]
        ids = mine["retailer_id"].astype(str).tolist()
        need = [req.get(c, 0) for c in mine["class"]]
        phones = phone.loc[mine.index].astype(str).tolist()
        order = [(j, k) for j in range(max(need, default=0)) for k in range(len(ids)) if j < need[k]]
        n, D = len(order), len(days)
        for pos, (j, k) in enumerate(order):
            d = days[pos * D // n]
            rows.append({"manager_id": mid, "date": str(d["date"]), "day_index": int(d["day_index"]), "start": "",
                         "end": "", "retailer_id": ids[k], "phone": phones[k], "contact": j + 1, "contacts": need[k]})
    df = pd.DataFrame(rows, columns=CONTACT_COLUMNS)
    if len(df):
        df = df.sort_values(["manager_id", "day_index"], kind="stable").reset_index(drop=True)
    return df, "derived"


__all__ = ["remote_contact_days", "CONTACT_COLUMNS"]

"""The plan against the log: matching done visits to planned ones, and the log indicators.

Door visits (log kinds ``visit`` and ``specialist``) are matched to the planned visits of
``visits.csv`` (either kind) of the same manager and retailer: first on the planned date, then
on another date of the same week of the horizon (7-day blocks from its first day), in date
order. A planned visit is then *on the planned day*, *moved* (same week, another day) or
*missed*; a done visit left unmatched is an *extra* visit (the plan did not ask for it).
Contacts (log kind ``contact``) are matched per manager and retailer, on any day of the horizon,
up to the contacts planned (``contacts.csv`` when the plan has one, else the required contacts
of the manager's remote-class retailers).

Per manager (``P`` planned door visits, ``M`` of them matched, ``O`` of those on the planned day):

* ``completion = M / P``; ``hours_completion`` = the planned hours (``service_s + travel_s``
  of ``visits.csv``) of the matched visits / of all planned visits;
* ``on_planned_day = O / M``; ``extra_visits`` = unmatched door visits, ``extra_rate =
  extra_visits / P``;
* ``key_frequency = sum_i min(v_i, q_i) / sum_i q_i`` over key customers ``i``, where ``v_i`` is
  the manager's door visits to ``i`` in the log (matched or extra) and ``q_i`` the visits
  required of the manager (the class's required visits when the manager is the retailer's
  manager in ``assignments.csv``, else the visits planned: a specialist's);
* ``contact_rate`` = matched contacts / contacts planned;
* time on the road (when the log has start and end times): for each manager and day, the gaps
  ``start_{k+1} - end_k`` between consecutive timed door visits (an overlap counts 0); planned:
  the same gaps in ``visits.csv`` (``departure_{k+1} - service_s_{k+1} - departure_k``: travel,
  waiting and breaks between two stops). ``road_hours_done``/``road_hours_planned`` are their sums;
  ``road_ratio = median(gaps done) / median(gaps planned)``, the road time per visit against the
  plan's for this post (the median, because a day's break or a wait for opening hours makes the
  gaps heavy-tailed), and ``road_efficiency = min(1, 1 / road_ratio)``.

Every rate's denominator is what the plan asked of *this* post, so a post with a heavy territory
(more visits, longer trips) is measured against its own larger plan, not penalised for its size.
A rate without a denominator (no visits planned, no key customers, no contacts) is empty and
leaves the score.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.plan.model import Plan, clock_seconds

DOOR = ("visit", "specialist")


@dataclass
class Reference:
    """What the plan asked: door visits (with date, week, class, key, effort), contacts per
    manager and retailer, the key-visit requirement per manager and retailer, and the posts."""

    visits: pd.DataFrame  # manager_id, retailer_id, date, week, day_index, sequence, class, key, effort_s, start_s, dep_s
    contacts: dict[tuple[str, str], int]
    key_required: dict[tuple[str, str], int]
    posts: pd.DataFrame  # targets.csv rows of the assessed posts (not vacant)
    classes: dict[str, str]  # retailer -> class
    key: dict[str, bool]  # retailer -> key customer
    days: dict[str, bool]  # ISO date -> working day
    start: str  # first day of the horizon


def week_of(dates: pd.Series, start: str) -> np.ndarray:
    d0 = np.datetime64(start)
    return ((pd.to_datetime(dates).to_numpy().astype("datetime64[D]") - d0).astype(int) // 7).astype(int)


def reference(plan: Plan, targets: pd.DataFrame, *, required: dict[str, int], routed: dict[str, bool],
              key_classes: set[str], contacts: pd.DataFrame | None) -> Reference:
    """The plan's side of the assessment (``targets``: ``targets.csv``)."""
    a = plan.assignments.astype({"retailer_id": str, "manager_id": str})
    cls = dict(zip(a["retailer_id"], a["class"].astype(str) if "class" in a else [""] * len(a), strict=True))
    key = {r: c in key_classes for r, c in cls.items()}
    owner = dict(zip(a["retailer_id"], a["manager_id"], strict=True))
    days = {str(d["date"]): bool(d.get("working", True)) for d in plan.manifest.get("days", [])}
    if not days and len(plan.visits):
        days = {str(x): True for x in sorted(plan.visits["date"].unique())}
    start = min(days) if days else "2000-01-03"
    v = plan.visits.copy()
    v["manager_id"] = v["manager_id"].astype(str)
    v["retailer_id"] = v["retailer_id"].astype(str)
    v["date"] = v["date"].astype(str)
    v["week"] = week_of(v["date"], start) if len(v) else np.zeros(0, int)
    v["class"] = v["retailer_id"].map(cls).fillna("")
    v["key"] = v["retailer_id"].map(key).fillna(False).astype(bool)
    v["effort_s"] = v["service_s"].astype(float) + v["travel_s"].astype(float)
    v["dep_s"] = clock_seconds(v["departure"]) if len(v) else np.zeros(0, np.int64)
    v["start_s"] = v["dep_s"] - v["service_s"].astype(np.int64)
    planned_key = v[v["key"]].groupby(["manager_id", "retailer_id"]).size()
    key_req: dict[tuple[str, str], int] = {}
    for r, m in owner.items():
        if key.get(r):
            key_req[(m, r)] = int(required.get(cls[r], 0))
    for (m, r), n in planned_key.items():
        if owner.get(r) != m:
            key_req[(m, r)] = int(n)
    if contacts is not None:
        c = contacts.astype(str)
        cnt = {(m, r): int(n) for (m, r), n in c.groupby(["manager_id", "retailer_id"]).size().items()}
    else:
        cnt = {(owner[r], r): int(required.get(cls[r], 0)) for r in owner if not routed.get(cls[r], True)}
        cnt = {k: n for k, n in cnt.items() if n > 0}
    vac = dict(zip(plan.managers["manager_id"].astype(str), plan.managers["vacant"].astype(str).str.lower() == "true",
                   strict=True))
    posts = targets[~targets["manager_id"].astype(str).map(vac).fillna(False).astype(bool)].reset_index(drop=True)
    cols = ["manager_id", "retailer_id", "date", "week", "day_index", "sequence", "class", "key", "effort_s",
            "start_s", "dep_s"]
    return Reference(visits=v[cols].reset_index(drop=True), contacts=cnt, key_required=key_req, posts=posts,
                     classes=cls, key=key, days=days, start=start)


def match_visits(ref: Reference, log: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(planned, done)``: the planned door visits with ``status`` (on_day, moved, missed) and the
    log's door visits with ``matched`` (bool), per the rules of the module docstring."""
    planned = ref.visits.copy()
    planned["status"] = "missed"
    done = log[log["kind"].isin(DOOR)].copy().reset_index(drop=True)
    done["week"] = week_of(done["date"], ref.start) if len(done) else np.zeros(0, int)
    done["matched"] = False
    p_by = defaultdict(list)
    for k, (m, r, d) in enumerate(zip(planned["manager_id"], planned["retailer_id"], planned["date"], strict=True)):
        p_by[(m, r)].append((d, k))
    d_by = defaultdict(list)
    for k, (m, r, d) in enumerate(zip(done["manager_id"], done["retailer_id"], done["date"], strict=True)):
        d_by[(m, r)].append((d, k))
    status = planned["status"].to_numpy(dtype=object).copy()
    matched = done["matched"].to_numpy(dtype=bool).copy()
    pweek, dweek = planned["week"].to_numpy(), done["week"].to_numpy()
    for pair, plist in p_by.items():
        dlist = sorted(d_by.get(pair, []))
        if not dlist:
            continue
        plist = sorted(plist)
        free = [True] * len(dlist)
        rest = []
        for d, k in plist:  # on the planned day
            j = next((j for j, (dd, _) in enumerate(dlist) if free[j] and dd == d), None)
            if j is None:
                rest.append(k)
            else:
                free[j] = False
                status[k] = "on_day"
                matched[dlist[j][1]] = True
        for k in rest:  # another day of the same week
            j = next((j for j, (_, kk) in enumerate(dlist) if free[j] and dweek[kk] == pweek[k]), None)
            if j is not None:
                free[j] = False
                status[k] = "moved"
                matched[dlist[j][1]] = True
    planned["status"] = status
    done["matched"] = matched
    return planned, done


def road_gaps(frame: pd.DataFrame, start: str, end: str, order: list[str]) -> pd.DataFrame:
    """``manager_id, gap_s``: the gaps between consecutive visits of each manager and day
    (``start - previous end``, at least 0)."""
    if not len(frame):
        return pd.DataFrame({"manager_id": pd.Series(dtype=str), "gap_s": pd.Series(dtype=float)})
    f = frame.sort_values(["manager_id", "date", *order], kind="stable")
    same = (f["manager_id"].to_numpy()[1:] == f["manager_id"].to_numpy()[:-1]) & \
        (f["date"].to_numpy()[1:] == f["date"].to_numpy()[:-1])
    gap = np.maximum(f[start].to_numpy(float)[1:] - f[end].to_numpy(float)[:-1], 0.0)
    return pd.DataFrame({"manager_id": f["manager_id"].to_numpy()[1:][same], "gap_s": gap[same]})


def road(done: np.ndarray, planned: np.ndarray) -> dict:
    """Road time of a post (or of all): hours done and planned, and the ratio of the median gaps."""
    out = {"road_hours_planned": float(planned.sum()) / 3600.0, "road_hours_done": float(done.sum()) / 3600.0,
           "road_ratio": None, "road_efficiency": None}
    if len(done) and len(planned) and np.median(planned) > 0:
        r = float(np.median(done) / np.median(planned))
        out["road_ratio"] = r
        out["road_efficiency"] = min(1.0, 1.0 / r) if r > 0 else 1.0
    return out


def ratio(a: float, b: float) -> float | None:
    return float(a) / float(b) if b else None


def indicators(ref: Reference, log: pd.DataFrame, *, has_times: bool) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Per manager and per manager and class, the log indicators (module docstring), and the
    same rates pooled over every assessed post (``overall``)."""
    planned, done = match_visits(ref, log)
    posts = ref.posts
    ids = posts["manager_id"].astype(str).tolist()
    v_at = done.groupby(["manager_id", "retailer_id"]).size().to_dict() if len(done) else {}
    contacts_log = log[log["kind"] == "contact"]
    c_at = contacts_log.groupby(["manager_id", "retailer_id"]).size().to_dict() if len(contacts_log) else {}
    road_done = road_planned = None
    if has_times:
        timed = done[done["start_s"].notna() & done["end_s"].notna()]
        road_done = road_gaps(timed, "start_s", "end_s", ["start_s", "row"])
        road_planned = road_gaps(planned.assign(end_s=planned["dep_s"]), "start_s", "end_s", ["sequence"])
    rows, cls_rows = [], []
    tot = defaultdict(float)
    for m in ids:
        pm, dm = planned[planned["manager_id"] == m], done[done["manager_id"] == m]
        p, matched = len(pm), int((pm["status"] != "missed").sum())
        on_day = int((pm["status"] == "on_day").sum())
        extra = int((~dm["matched"]).sum())
        kq = {r: q for (mm, r), q in ref.key_required.items() if mm == m}
        k_done = sum(min(int(v_at.get((m, r), 0)), q) for r, q in kq.items())
        cq = {r: q for (mm, r), q in ref.contacts.items() if mm == m}
        c_done = sum(min(int(c_at.get((m, r), 0)), q) for r, q in cq.items())
        eff_all, eff_done = float(pm["effort_s"].sum()), float(pm.loc[pm["status"] != "missed", "effort_s"].sum())
        row = {"manager_id": m, "visits_planned": p, "visits_done": matched, "completion": ratio(matched, p),
               "key_frequency": ratio(k_done, sum(kq.values())), "on_planned_day": ratio(on_day, matched),
               "extra_visits": extra, "visits_on_planned_day": on_day, "visits_moved": matched - on_day,
               "visits_missed": p - matched, "extra_rate": ratio(extra, p),
               "hours_completion": ratio(eff_done, eff_all), "key_visits_required": int(sum(kq.values())),
               "key_visits_done": int(k_done), "contacts_planned": int(sum(cq.values())), "contacts_done": int(c_done),
               "contact_rate": ratio(c_done, sum(cq.values())),
               "road_hours_planned": None, "road_hours_done": None, "road_ratio": None, "road_efficiency": None}
        if has_times:
            row.update(road(road_done.loc[road_done["manager_id"] == m, "gap_s"].to_numpy(float),
                            road_planned.loc[road_planned["manager_id"] == m, "gap_s"].to_numpy(float)))
        rows.append(row)
        for k_, x in (("p", p), ("m", matched), ("o", on_day), ("x", extra), ("kq", sum(kq.values())), ("kd", k_done),
                      ("cq", sum(cq.values())), ("cd", c_done), ("ea", eff_all), ("ed", eff_done)):
            tot[k_] += x
        for c in sorted(set(pm["class"]) | set(dm["retailer_id"].map(ref.classes).fillna(""))):
            pc = pm[pm["class"] == c]
            dc = dm[dm["retailer_id"].map(ref.classes).fillna("") == c]
            mc = int((pc["status"] != "missed").sum())
            cls_rows.append({"manager_id": m, "class": c, "key": bool(len(pc) and pc["key"].iloc[0]),
                             "visits_planned": len(pc), "visits_done": mc, "completion": ratio(mc, len(pc)),
                             "on_planned_day": ratio(int((pc["status"] == "on_day").sum()), mc),
                             "visits_moved": int((pc["status"] == "moved").sum()), "visits_missed": len(pc) - mc,
                             "extra_visits": int((~dc["matched"]).sum())})
    overall = {"visits_planned": int(tot["p"]), "visits_done": int(tot["m"]), "completion": ratio(tot["m"], tot["p"]),
               "on_planned_day": ratio(tot["o"], tot["m"]), "extra_visits": int(tot["x"]),
               "extra_rate": ratio(tot["x"], tot["p"]), "key_frequency": ratio(tot["kd"], tot["kq"]),
               "contact_rate": ratio(tot["cd"], tot["cq"]), "hours_completion": ratio(tot["ed"], tot["ea"]),
               "road_ratio": road(road_done["gap_s"].to_numpy(float), road_planned["gap_s"].to_numpy(float))["road_ratio"]
               if has_times else None}
    return pd.DataFrame(rows), pd.DataFrame(cls_rows, columns=CLASS_COLUMNS), overall


CLASS_COLUMNS = ["manager_id", "class", "key", "visits_planned", "visits_done", "completion", "on_planned_day",
                 "visits_moved", "visits_missed", "extra_visits"]

__all__ = ["Reference", "reference", "match_visits", "indicators", "week_of", "CLASS_COLUMNS", "DOOR"]

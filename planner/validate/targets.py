"""``targets.csv`` and ``kpis.json`` -> ``service_vacuum`` recomputed by the validator.

Targets (check ``targets``), one row per ``managers.csv`` row in its order, from the validator's
own reading of the plan and the inputs: ``retailers`` and ``key_customers`` from the
assignments; ``visits``, ``specialist_visits`` (``visits.csv`` ``kind`` = specialist) and
``key_visits`` from the visits; ``key_visits_required`` = over the post's key customers and the
key customers it visits, the class's required visits where the post is the retailer's manager,
else the visits planned; ``contacts`` = rows of ``contacts.csv`` if the folder has one, else the
required contacts of the post's remote-class retailers; ``service_hours`` = the re-timed routes'
service + contact time (``end - start`` of a contacts.csv row with both times, else the
retailer's service time); ``travel_hours`` = the re-timed routes' travel (trip back included);
``planned_hours`` = their sum; ``days_worked``; ``designed_workload_hours`` = the design's
workload estimate ``w`` (:mod:`planner.validate.design`) over the post's retailers;
``workload_index`` = that / its mean over posts with retailers (empty without retailers);
``planned_hours_index`` = planned_hours / its mean over posts with planned hours.

Service vacuum (check ``service_vacuum``): the administrative manager of each retailer is
recomputed with the rule the baseline documents: ``current_manager``; else, for a district
served by managers (the managers file's ``districts``), the district's unassigned retailers
ordered along the district's main axis (first right-singular vector of their centred projected
points, ``numpy.linalg.svd``) and cut into as many consecutive, nearly equal parts (``numpy``'s
``array_split``) as the district has managers, in the managers file's order; else the base with
the shortest soft travel time from the retailer. Then: base -> retailer soft travel times of the
managers of the managers file (specialists left out), the nearest of them, a retailer in a vacuum
when its administrative base time is > ratio x the nearest and > minutes more (both reachable),
resolved when the plan's manager's base passes neither test; market areas with retailers in two
or more districts (the district column; without districts, the administrative managers).
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from planner.validate.findings import ValidationReport
from planner.validate.inputs import Inputs
from planner.validate.kpis import design_facts, same_value
from planner.validate.planfiles import PlanFiles, parse_time_of_day, read_csv_table
from planner.validate.routes import RouteFacts, Visit
from solvers.common import UNREACHABLE

TARGETS = "targets.csv"
INTS = ("retailers", "key_customers", "visits", "specialist_visits", "key_visits", "key_visits_required", "contacts",
        "days_worked")
FLOATS = ("service_hours", "travel_hours", "planned_hours", "designed_workload_hours", "workload_index",
          "planned_hours_index")


def read_rows(path: Path) -> list[dict[str, str]]:
    """A CSV file as dicts of text (header = row 1)."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        return [{k.strip(): (v or "").strip() for k, v in rec.items() if k is not None} for rec in csv.DictReader(f)]


def contact_rows(folder: Path) -> list[dict[str, str]] | None:
    p = Path(folder) / "contacts.csv"
    return read_rows(p) if p.is_file() else None


def expected_targets(files: PlanFiles, inp: Inputs, owner: dict[str, str], visits: list[Visit],
                     routes: list[RouteFacts]) -> list[dict]:
    """The rows ``targets.csv`` must hold (see the module docstring)."""
    r = inp.ds.retailers
    rid = r["retailer_id"].astype(str).to_numpy()
    cls = r["class"].astype(str).to_numpy()
    svc = dict(zip(rid, r["service_s"].astype(float).to_numpy(), strict=True))
    key = {x: inp.classes[c].key for x, c in zip(rid, cls, strict=True)}
    req = {x: inp.classes[c].required for x, c in zip(rid, cls, strict=True)}
    routed = {x: inp.classes[c].routed for x, c in zip(rid, cls, strict=True)}
    w = dict(zip(rid, design_facts(inp)["w"], strict=True))
    vt = read_csv_table(files.folder / "visits.csv", ("manager_id",), ("kind",))
    kinds = {row: k.strip().lower() == "specialist" for row, k in zip(vt.rows, vt.col("kind"), strict=True)} \
        if "kind" in vt.columns else {}
    mgr_rows = read_rows(files.folder / "managers.csv")
    contacts = contact_rows(files.folder)
    n_contacts: Counter = Counter()
    t_contacts: dict[str, float] = defaultdict(float)
    if contacts is not None:
        for c in contacts:
            m = c.get("manager_id", "")
            n_contacts[m] += 1
            a, b = parse_time_of_day(c.get("start", "")), parse_time_of_day(c.get("end", ""))
            t_contacts[m] += (b - a) if a is not None and b is not None and b >= a else svc.get(c.get("retailer_id"), 0.0)
    else:
        for x, m in owner.items():
            if not routed.get(x, True):
                n_contacts[m] += req.get(x, 0)
                t_contacts[m] += req.get(x, 0) * svc.get(x, 0.0)
    own_of: dict[str, list[str]] = defaultdict(list)
    for x, o in owner.items():
        own_of[o].append(x)
    visits_of: dict[str, list[Visit]] = defaultdict(list)
    for v in visits:
        visits_of[v.manager_id].append(v)
    routes_of: dict[str, list[RouteFacts]] = defaultdict(list)
    for rt in routes:
        routes_of[rt.manager_id].append(rt)
    out = []
    for rec in mgr_rows:
        m = rec["manager_id"]
        mine, vm, rm = own_of.get(m, []), visits_of.get(m, []), routes_of.get(m, [])
        at_key = Counter(v.retailer_id for v in vm if key.get(v.retailer_id, False))
        wanted = {x for x in mine if key.get(x, False)} | set(at_key)
        key_req = sum(req.get(x, 0) if owner.get(x) == m else at_key[x] for x in wanted)
        service = float(sum(rt.service_s for rt in rm)) + t_contacts.get(m, 0.0)
        travel = float(sum(rt.travel_s for rt in rm))
        spec = sum(1 for v in vm if kinds.get(v.row, False))
        out.append({"manager_id": m, "team": rec.get("team", ""), "role": rec.get("role", "") or "manager",
                    "retailers": len(mine), "key_customers": sum(1 for x in mine if key.get(x, False)),
                    "visits": len(vm), "specialist_visits": spec, "key_visits": sum(at_key.values()),
                    "key_visits_required": int(key_req), "contacts": int(n_contacts.get(m, 0)),
                    "service_hours": service / 3600.0, "travel_hours": travel / 3600.0,
                    "planned_hours": (service + travel) / 3600.0, "days_worked": len({rt.day_index for rt in rm}),
                    "designed_workload_hours": float(sum(w[x] for x in mine)) / 3600.0})
    for name, src, active in (("workload_index", "designed_workload_hours", "retailers"),
                              ("planned_hours_index", "planned_hours", "planned_hours")):
        vals = [x[src] for x in out if x[active] > 0]
        mean = sum(vals) / len(vals) if vals else 0.0
        for x in out:
            x[name] = x[src] / mean if x[active] > 0 and mean > 0 else None
    return out


def check_targets(files: PlanFiles, inp: Inputs, owner: dict[str, str], visits: list[Visit],
                  routes: list[RouteFacts], rep: ValidationReport) -> None:
    """``targets.csv`` against :func:`expected_targets` (a plan made before it existed: a warning)."""
    path = files.folder / TARGETS
    if not path.is_file():
        rep.warn("targets", "the plan folder has no targets.csv (made before targets existed?)", file=TARGETS)
        return
    got = read_rows(path)
    want = expected_targets(files, inp, owner, visits, routes)
    if len(got) != len(want):
        rep.error("targets", f"{len(got)} rows, managers.csv has {len(want)}", file=TARGETS)
    for k, (g, e) in enumerate(zip(got, want, strict=False), start=2):
        rep.count("targets")
        m = e["manager_id"]
        for col, exp in e.items():
            text = g.get(col)
            if text is None:
                rep.error("targets", f"column {col} is missing", file=TARGETS, row=k)
                return
            if col in INTS:
                ok = text.lstrip("-").isdigit() and int(text) == exp
            elif col in FLOATS:
                try:
                    val = None if text == "" else float(text)
                except ValueError:
                    val = float("nan")
                ok = same_value(val, exp)
            else:
                ok = text == str(exp)
            if not ok:
                rep.error("targets", f"{col} = {text!r} but the plan gives {exp!r}", file=TARGETS, row=k, manager_id=m)


# --- service vacuum ---------------------------------------------------------------------------

def administrative_owner(inp: Inputs) -> np.ndarray:
    """Manager id (of the managers file) of every retailer under the administrative rule."""
    r, m = inp.ds.retailers, inp.ds.managers
    ids = m["manager_id"].astype(str).to_numpy()
    n = len(r)
    out = np.array(r["current_manager"].astype(str).to_numpy(), dtype=object)
    served: dict[str, list[int]] = defaultdict(list)
    for k, ds_ in enumerate(m["districts"]):
        for d in ds_:
            served[d].append(k)
    xy = r[["x", "y"]].to_numpy(float)
    dist = r["district"].astype(str).to_numpy()
    for d in sorted(served):
        members = np.flatnonzero((out == "") & (dist == d))
        if not len(members):
            continue
        pts = xy[members] - xy[members].mean(axis=0)
        axis = np.linalg.svd(pts, full_matrices=False)[2][0] if len(members) > 1 else np.array([1.0, 0.0])
        order = members[np.argsort(pts @ axis, kind="stable")]
        for part, k in zip(np.array_split(order, len(served[d])), served[d], strict=True):
            out[part] = ids[k]
    rest = np.flatnonzero(out == "")
    if len(rest):
        to_bases = inp.travel.soft.to_targets(np.arange(n, n + len(m)))
        out[rest] = ids[np.argmin(to_bases[rest], axis=1)]
    return out


def expected_vacuum(inp: Inputs, owner: dict[str, str]) -> dict:
    """``service_vacuum`` recomputed (see the module docstring and ``kpis.schema.json``)."""
    r, m = inp.ds.retailers, inp.ds.managers
    n = len(r)
    sv = inp.loaded.scenario.territories.service_vacuum
    rid = r["retailer_id"].astype(str).to_numpy()
    admin = administrative_owner(inp)
    role = m["role"].astype(str).str.strip().str.lower().to_numpy() if "role" in m else np.array([""] * len(m))
    keep = np.flatnonzero(role != "specialist")
    ids = [str(x) for x in m["manager_id"].to_numpy()[keep]]
    times = inp.travel.soft.from_sources(n + keep)[:, :n].astype(float) if len(keep) else np.zeros((0, n))
    col = {x: k for k, x in enumerate(ids)}
    limit = float(sv.minutes) * 60.0
    items, vac_mask = [], np.zeros(n, bool)
    resolved = 0
    for i in range(n):
        if not ids:
            break
        near = int(np.argmin(times[:, i]))
        tn = times[near, i]
        ka = col.get(str(admin[i]))
        if ka is None or times[ka, i] >= UNREACHABLE or tn >= UNREACHABLE:
            continue
        ta = times[ka, i]
        if not (ta > sv.ratio * tn and ta - tn > limit):
            continue
        vac_mask[i] = True
        plan_m = owner.get(rid[i], "")
        kp = col.get(plan_m)
        tp = None if kp is None or times[kp, i] >= UNREACHABLE else times[kp, i]
        fixed = tp is not None and not (tp > sv.ratio * tn and tp - tn > limit)
        resolved += int(fixed)
        items.append({"retailer_id": rid[i], "district": str(r["district"].iat[i]), "market": str(r["market"].iat[i]),
                      "admin_manager_id": ids[ka], "admin_s": int(ta), "nearest_manager_id": ids[near],
                      "nearest_s": int(tn), "plan_manager_id": plan_m, "plan_s": None if tp is None else int(tp),
                      "resolved": fixed})
    dist = r["district"].astype(str).to_numpy()
    by_district = (dist != "").any()
    unit = dist if by_district else admin.astype(str)
    market = r["market"].astype(str).to_numpy()
    members: dict[str, Counter] = defaultdict(Counter)
    size: Counter = Counter()
    for mk, u in zip(market, unit, strict=True):
        if mk:
            size[mk] += 1
            if u:
                members[mk][u] += 1
    markets = [{"market": mk, "retailers": size[mk], "districts": dict(sorted(members[mk].items()))}
               for mk in sorted(members) if len(members[mk]) >= 2]
    rows = []
    for u in sorted(set(unit)):
        sel = unit == u
        rows.append({"district": u, "retailers": int(sel.sum()), "vacuum_retailers": int((sel & vac_mask).sum()),
                     "split_markets": sum(1 for x in markets if u in x["districts"])})
    return {"ratio": float(sv.ratio), "minutes": float(sv.minutes), "retailers": len(items),
            "share": len(items) / n if n else None, "resolved_by_plan": resolved,
            "district_source": "district" if by_district else "administrative_manager",
            "split_markets": len(markets), "by_district": rows, "vacuum": items, "markets": markets}


def check_service_vacuum(files: PlanFiles, inp: Inputs, owner: dict[str, str], rep: ValidationReport) -> None:
    """``kpis.json`` -> ``service_vacuum`` against :func:`expected_vacuum`."""
    claimed = files.kpis.get("service_vacuum")
    if claimed is None:
        rep.warn("service_vacuum", "kpis.json has no service_vacuum section (made before it existed?)", file="kpis.json")
        return
    if not isinstance(claimed, dict):
        rep.error("service_vacuum", "service_vacuum is not an object", file="kpis.json")
        return
    want = expected_vacuum(inp, owner)
    for key, exp in want.items():
        rep.count("service_vacuum")
        got = claimed.get(key)
        if isinstance(exp, list):
            if not isinstance(got, list) or len(got) != len(exp):
                rep.error("service_vacuum", f"service_vacuum.{key} has {len(got) if isinstance(got, list) else got!r} "
                          f"entries but the inputs give {len(exp)}", file="kpis.json")
                continue
            bad = [k for k, (a, b) in enumerate(zip(got, exp, strict=True)) if not same_value(a, b)]
            for k in bad[:5]:
                rep.error("service_vacuum", f"service_vacuum.{key}[{k}] = {got[k]} but the inputs give {exp[k]}",
                          file="kpis.json")
        elif not same_value(got, exp):
            rep.error("service_vacuum", f"service_vacuum.{key} = {got!r} but the inputs give {exp!r}", file="kpis.json")
    for key in claimed:
        if key not in want:
            rep.warn("service_vacuum", f"service_vacuum.{key} is not checked", file="kpis.json")


__all__ = ["check_targets", "check_service_vacuum", "expected_targets", "expected_vacuum", "administrative_owner"]

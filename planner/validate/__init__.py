"""Independent validation of a plan folder against its inputs (TEMPORARY: the old validator moved
into the new layout until the independent one lands).

The validator reads the plan's files and the scenario's input files and recomputes everything it
checks; it trusts nothing from the solvers (not their timings, not their travel times, not their
KPIs). It checks:

* **assignment**: every input retailer is in exactly one territory, of a manager in the plan;
* **frequency**: per retailer, planned visits + listed unplanned visits = the class's required
  visits, no retailer is over-visited, the visit days form (part of) an allowed pattern, and every
  unplanned visit has a known reason;
* **routes**: each manager-day route starts and ends at the manager's base, visits only the
  manager's own retailers, at most once a day, on working days, within the visit limit;
* **timing**: travel times equal the travel model's (recomputed from the inputs), arrivals follow
  departures plus travel, each visit starts and ends inside the retailer's opening hours, service
  times match, routes lie inside the shift, and every due break fits in an idle gap;
* **KPIs**: ``kpis.json`` agrees with KPIs recomputed from the plan tables.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from planner.errors import PlanFormatError, ValidationFailed
from planner.plan.model import Plan, clock_seconds, read_plan

REASONS = {"shift_capacity", "opening_hours", "unreachable", "low_value", "vehicle_capacity"}
TRAVEL_TOLERANCE_S = 1


@dataclass
class Finding:
    check: str
    message: str
    manager_id: str | None = None
    retailer_id: str | None = None
    day_index: int | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class ValidationReport:
    folder: str
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    unmet: list[dict] = field(default_factory=list)  # unplanned visits with reasons
    subs: dict[str, dict] = field(default_factory=dict)
    sub_reports: dict[str, ValidationReport] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors and all(s.get("ok", False) for s in self.subs.values())

    def error(self, check: str, message: str, **kw) -> None:
        if len(self.errors) < 5000:
            self.errors.append(Finding(check, message, **kw))

    def count(self, check: str, n: int = 1) -> None:
        self.checked[check] = self.checked.get(check, 0) + n

    def merge_sub(self, name: str, sub: ValidationReport) -> None:
        self.subs[name] = {"ok": sub.ok, "errors": len(sub.errors)}
        self.sub_reports[name] = sub

    def as_dict(self) -> dict:
        by: dict[str, int] = defaultdict(int)
        for e in self.errors:
            by[e.check] += 1
        return {"ok": self.ok, "folder": self.folder, "errors_by_check": dict(by), "checked": self.checked,
                "errors": [e.as_dict() for e in self.errors[:1000]], "warnings": [w.as_dict() for w in self.warnings[:200]],
                "unmet_visits": len(self.unmet), "sub_plans": self.subs}

    def write(self, folder: Path) -> None:
        """``validation.json`` of the folder (and of its validated sub-plans)."""
        for name, sub in self.sub_reports.items():
            sub.write(Path(folder) / name)
        (Path(folder) / "validation.json").write_text(self.to_json(), encoding="utf-8")

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False)

    def summary(self) -> str:
        checks = ", ".join(f"{k}: {v}" for k, v in sorted(self.checked.items()))
        head = "VALID" if self.ok else f"INVALID ({len(self.errors)} errors)"
        lines = [f"{head}: {self.folder}", f"  checked {checks}"]
        if self.unmet:
            reasons: dict[str, int] = defaultdict(int)
            for u in self.unmet:
                reasons[u["reason"]] += 1
            lines.append("  unplanned visits: " + ", ".join(f"{r} {c}" for r, c in sorted(reasons.items())))
        for e in self.errors[:30]:
            where = " ".join(f"{k}={v}" for k, v in e.as_dict().items() if k not in ("check", "message"))
            lines.append(f"  - [{e.check}] {e.message}" + (f" ({where})" if where else ""))
        if len(self.errors) > 30:
            lines.append(f"  ... and {len(self.errors) - 30} more (see validation.json)")
        for name, s in self.subs.items():
            state = "valid" if s["ok"] else f"INVALID ({s['errors']} errors)"
            lines.append(f"  {name}: {state}")
        return "\n".join(lines)


def _windows_ok(hours, weekday: int, start: int, end: int) -> bool:
    if hours is None:
        return True
    return any(a <= start and end <= b for a, b in hours[weekday])


def validate_plan(plan: Plan, *, loaded, ds, travel, folder: str = "") -> ValidationReport:
    """Check ``plan`` against the inputs ``ds`` and the travel model ``travel`` (see module docstring)."""
    from planner.design import horizon as hz
    from planner.design import policy as build
    from planner.plan.kpis import compute_kpis

    rep = ValidationReport(folder)
    sc = loaded.scenario
    r = ds.retailers
    rid = r["retailer_id"].to_numpy()
    index = {x: i for i, x in enumerate(rid)}
    R = len(r)
    days = hz.horizon(loaded)
    dates = {d.index: d for d in days}
    # -- assignment ---------------------------------------------------------------------------
    a = plan.assignments
    mgr = plan.managers.set_index("manager_id")
    counts = a["retailer_id"].value_counts()
    for x, c in counts[counts > 1].items():
        rep.error("assignment", f"retailer is in {c} territories", retailer_id=x)
    for x in sorted(set(a["retailer_id"]) - set(rid)):
        rep.error("assignment", "retailer in the plan is not in the input data", retailer_id=x)
    for x in sorted(set(rid) - set(a["retailer_id"])):
        rep.error("assignment", "retailer is in no territory", retailer_id=x)
    for x, m in zip(a["retailer_id"], a["manager_id"], strict=True):
        if m not in mgr.index:
            rep.error("assignment", f"manager {m!r} is not in managers.csv", retailer_id=x)
    rep.count("retailers", len(a))
    owner = dict(zip(a["retailer_id"], a["manager_id"], strict=False))
    # managers: bases and shifts agree with the inputs
    inp = ds.managers.set_index("manager_id")
    for m, row in mgr.iterrows():
        vacant = str(row.get("vacant", "False")).lower() == "true"
        if m in inp.index:
            if abs(float(row["lon"]) - float(inp.loc[m, "lon"])) > 1e-5 or abs(float(row["lat"]) - float(inp.loc[m, "lat"])) > 1e-5:
                rep.error("managers", "base differs from the managers input", manager_id=m)
        elif not vacant:
            rep.error("managers", "manager is not in the managers input (and not marked vacant)", manager_id=m)
    # -- routes and timing ------------------------------------------------------------------------
    v = plan.visits.copy()
    rep.count("visits", len(v))
    try:
        v["arr_s"] = clock_seconds(v["arrival"])
        v["dep_s"] = clock_seconds(v["departure"])
    except ValueError as e:
        rep.error("format", f"visits.csv: bad time value ({e})")
        return rep
    routes = {}
    for f in plan.routes:
        p = f.get("properties", {})
        key = (p.get("manager_id"), int(p.get("day_index", -1)))
        if key in routes:
            rep.error("routes", "two routes for the same manager and day", manager_id=key[0], day_index=key[1])
        routes[key] = f
    loc_of_base = {}
    R_m = {m: k for k, m in enumerate(ds.managers["manager_id"])}
    max_visits_cfg = sc.calendar.max_visits_per_day
    breaks = build.breaks(loaded)
    svc = r["service_s"].to_numpy()
    hours = r["hours"].to_numpy()
    seen_day: set[tuple[str, int]] = set()
    for (m, d), g in v.groupby(["manager_id", "day_index"], sort=True):
        d = int(d)
        g = g.sort_values("sequence")
        if m not in mgr.index:
            rep.error("routes", "visits by a manager not in managers.csv", manager_id=m, day_index=d)
            continue
        if d not in dates:
            rep.error("routes", f"day index {d} is outside the horizon", manager_id=m)
            continue
        day = dates[d]
        if not day.working:
            rep.error("routes", f"visits on a holiday ({day.date})", manager_id=m, day_index=d)
        if (g["date"] != day.date.isoformat()).any():
            rep.error("routes", f"date does not match day index (expected {day.date})", manager_id=m, day_index=d)
        if list(g["sequence"]) != list(range(1, len(g) + 1)):
            rep.error("routes", "sequence numbers are not 1..n", manager_id=m, day_index=d)
        f = routes.get((m, d))
        if f is None:
            rep.error("routes", "visits without a route in routes.geojson", manager_id=m, day_index=d)
            continue
        props = f["properties"]
        coords = f.get("geometry", {}).get("coordinates", [])
        base = (float(mgr.loc[m, "lon"]), float(mgr.loc[m, "lat"]))
        if not coords or any(abs(coords[i][0] - base[0]) > 1e-5 or abs(coords[i][1] - base[1]) > 1e-5 for i in (0, -1)):
            rep.error("routes", "route does not start and end at the manager's base", manager_id=m, day_index=d)
        # base location index in the travel model
        if m in R_m:
            bloc = R + R_m[m]
        else:  # vacant position: its base is the retailer at that point
            bloc = loc_of_base.get(m)
            if bloc is None:
                dist = np.hypot(r["lon"].to_numpy() - base[0], r["lat"].to_numpy() - base[1])
                bloc = int(np.argmin(dist))
                loc_of_base[m] = bloc
        ids = g["retailer_id"].tolist()
        unknown = [x for x in ids if x not in index]
        if unknown:
            rep.error("routes", f"unknown retailers {unknown[:5]}", manager_id=m, day_index=d)
            continue
        for x in ids:
            if owner.get(x) != m:
                rep.error("routes", f"visits a retailer of {owner.get(x)!r}", manager_id=m, retailer_id=x, day_index=d)
            if (x, d) in seen_day:
                rep.error("frequency", "retailer visited twice on the same day", retailer_id=x, day_index=d)
            seen_day.add((x, d))
        mv = max_visits_cfg
        if m in R_m:
            mvi = ds.managers["max_visits_per_day"].iat[R_m[m]]
            if mvi == mvi:
                mv = int(mvi)
        if mv is not None and len(ids) > mv:
            rep.error("routes", f"{len(ids)} visits exceed the limit of {mv} per day", manager_id=m, day_index=d)
        locs = np.array([bloc] + [index[x] for x in ids] + [bloc])
        tm = travel.oracle.matrix(locs)
        leg = np.array([tm[k, k + 1] for k in range(len(locs) - 1)])
        shift0 = int(clock_seconds([mgr.loc[m, "shift_start"]])[0])
        shift1 = int(clock_seconds([mgr.loc[m, "shift_end"]])[0])
        start_s, end_s = int(props.get("start_s", -1)), int(props.get("end_s", -1))
        if start_s < shift0 or end_s > shift1:
            rep.error("timing", f"route {props.get('start')}-{props.get('end')} is outside the shift", manager_id=m, day_index=d)
        arr, dep, tr, sv = g["arr_s"].to_numpy(), g["dep_s"].to_numpy(), g["travel_s"].to_numpy(), g["service_s"].to_numpy()
        prev_dep = start_s
        gaps = []
        for k, x in enumerate(ids):
            i = index[x]
            if leg[k] >= 10**12:
                rep.error("timing", "retailer is unreachable in the travel model", manager_id=m, retailer_id=x, day_index=d)
            elif abs(int(tr[k]) - int(leg[k])) > TRAVEL_TOLERANCE_S:
                rep.error("timing", f"travel_s {tr[k]} differs from the travel model ({leg[k]} s)",
                          manager_id=m, retailer_id=x, day_index=d)
            if int(sv[k]) != int(svc[i]):
                rep.error("timing", f"service_s {sv[k]} differs from the retailer's service time {svc[i]}",
                          manager_id=m, retailer_id=x, day_index=d)
            begin = int(dep[k]) - int(svc[i])
            if int(arr[k]) < prev_dep + int(leg[k]):
                rep.error("timing", "arrival is earlier than departure + travel", manager_id=m, retailer_id=x, day_index=d)
            if begin < int(arr[k]):
                rep.error("timing", "departure - service is before arrival", manager_id=m, retailer_id=x, day_index=d)
            if not _windows_ok(hours[i], day.weekday, begin, int(dep[k])):
                rep.error("timing", f"visit {begin // 3600:02d}:{begin % 3600 // 60:02d} is outside opening hours "
                          f"({r['opening_hours'].iat[i]})", manager_id=m, retailer_id=x, day_index=d)
            # idle time where a break can be: before travelling (at the previous stop) or on arrival
            gaps.append((prev_dep, int(arr[k]) - int(leg[k])))
            gaps.append((int(arr[k]), begin))
            prev_dep = int(dep[k])
        back = int(leg[-1])
        if end_s < prev_dep + back:
            rep.error("timing", "route ends before the manager can be back at the base", manager_id=m, day_index=d)
        gaps.append((prev_dep, end_s - back))
        free_from = [g0 for g0, _ in gaps]  # several breaks may share one idle gap, one after another
        for b in sorted(breaks, key=lambda x: x.earliest_s):
            if end_s <= b.earliest_s:
                continue
            ok = False
            for gi, (_, g1) in enumerate(gaps):
                s0 = max(free_from[gi], b.earliest_s)
                if s0 <= b.latest_s and s0 + b.duration_s <= g1:
                    free_from[gi] = s0 + b.duration_s
                    ok = True
                    break
            if not ok:
                rep.error("timing", f"no idle time for the {b.duration_s // 60}-min break", manager_id=m, day_index=d)
        rep.count("routes")
    for (m, d) in sorted(set(routes) - set(v.groupby(["manager_id", "day_index"]).groups)):
        rep.error("routes", "route in routes.geojson has no visits", manager_id=m, day_index=d)
    # -- frequency ---------------------------------------------------------------------------
    cls = r["class"].to_numpy()
    pats, req = build.policy(loaded, cls)
    routed = build.is_routed(loaded, cls)
    planned_days: dict[str, list[int]] = defaultdict(list)
    for x, d in zip(v["retailer_id"], v["day_index"], strict=True):
        planned_days[x].append(int(d))
    up = plan.unplanned
    up_count = up["retailer_id"].value_counts()
    for _, u in up.iterrows():
        if u["reason"] not in REASONS:
            rep.error("frequency", f"unknown reason {u['reason']!r}", retailer_id=u["retailer_id"])
        rep.unmet.append({"retailer_id": u["retailer_id"], "manager_id": u["manager_id"], "day_index": u["day_index"],
                          "reason": u["reason"], "message": u["message"]})
    for i, x in enumerate(rid):
        got = sorted(planned_days.get(x, []))
        need = int(req[i]) if routed[i] else 0
        listed = int(up_count.get(x, 0))
        if not routed[i]:
            if got:
                rep.error("frequency", f"class {cls[i]} is contacted remotely but has {len(got)} visits", retailer_id=x)
            continue
        if len(got) > need:
            rep.error("frequency", f"{len(got)} visits planned, class {cls[i]} requires {need}", retailer_id=x)
        elif len(got) + listed != need:
            rep.error("frequency", f"{len(got)} visits planned and {listed} listed as unplanned, but class "
                      f"{cls[i]} requires {need}", retailer_id=x)
        if got and pats[i] and not any(set(got) <= set(p) for p in pats[i]):
            rep.error("frequency", f"visit days {got} are not part of an allowed pattern for class {cls[i]}", retailer_id=x)
        rep.count("frequency")
    # -- KPIs --------------------------------------------------------------------------------
    if plan.kpis.get("global"):
        required = {c: sc.required_visits(c) for c in sc.classes}
        modes = {c: sc.classes[c].mode == "visit" for c in sc.classes}
        again = compute_kpis(plan, retailers=r, required=required, routed=modes, key_classes=set(sc.key_class_set))
        for k in ("imbalance", "travel_share", "unplanned_visits", "travel_hours", "service_hours", "visits_planned"):
            x, y = plan.kpis["global"].get(k), again["global"].get(k)
            if (x is None) != (y is None) or (x is not None and abs(float(x) - float(y)) > 1e-6 * max(1.0, abs(float(y)))):
                rep.error("kpis", f"kpis.json {k}={x} but the plan tables give {y}")
        rep.count("kpis")
    else:
        rep.error("kpis", "kpis.json has no 'global' section")
    return rep


def validate_folder(folder: Path, *, loaded=None, ctx=None, label: str | None = None) -> ValidationReport:
    """Validate a plan folder; the inputs are re-read unless a prepared run context is given.

    ``label`` names the folder in the report (the run validates a temporary folder that is then
    renamed to its final name).
    """
    from planner.config.scenario import parse_scenario
    from planner.inputs.dataset import load_dataset
    from planner.inputs.tables import file_sha256
    from planner.travel.model import travel_model

    folder = Path(folder)
    plan = read_plan(folder)
    if ctx is not None:
        return validate_plan(plan, loaded=ctx.loaded, ds=ctx.ds, travel=ctx.travel, folder=label or str(folder))
    man = plan.manifest
    spath = Path(man.get("scenario", {}).get("path", ""))
    if plan.scenario_text is None:
        raise PlanFormatError(f"{folder}: scenario.yaml is missing; cannot validate")
    loaded = parse_scenario(plan.scenario_text, spath)
    rep = ValidationReport(str(folder))
    for info in man.get("inputs", {}).values():
        p = Path(info["path"])
        if not p.exists():
            rep.error("inputs", f"input file {p} no longer exists")
        elif file_sha256(p) != info["sha256"]:
            rep.error("inputs", f"input file {p} changed since the plan was made")
    if rep.errors:
        return rep
    ds = load_dataset(loaded)
    travel = travel_model(loaded, ds)
    label = label or str(folder)
    out = validate_plan(plan, loaded=loaded, ds=ds, travel=travel, folder=label)
    if (folder / "baseline" / "manifest.json").exists():
        sub = validate_plan(read_plan(folder / "baseline"), loaded=loaded, ds=ds, travel=travel,
                            folder=str(Path(label) / "baseline"))
        out.merge_sub("baseline", sub)
    return out


def require_valid(rep: ValidationReport) -> None:
    if not rep.ok:
        raise ValidationFailed(rep.summary())

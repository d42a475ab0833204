"""What a report shows about one plan: the plan folder's tables plus retailer details.

A plan folder holds assignments, visits and KPIs but not the retailers' names, classes and
locations; those come from the scenario's input files. :func:`load_view` finds them in this order:
the run's own dataset (when the report is made during ``planner run``); the input files listed in
``manifest.json`` if they are unchanged (sha256); the ``Assignments`` sheet of the plan's own
``report.xlsx`` (a snapshot made with the plan); the input files even if they changed (with a note
in the report); otherwise the map shows territories, routes and bases only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.plan.model import Plan, read_plan

RETAILER_COLUMNS = ["retailer_id", "name", "class", "tier", "lon", "lat", "lon_input", "lat_input"]
"""Retailer details a report shows: ``lon, lat`` in WGS84 (maps), ``lon_input, lat_input`` as given."""

# headline KPIs: key -> (format, which direction is better)
KPI_ROWS: list[tuple[str, str, str | None]] = [
    ("imbalance", "pct", "lower"),
    ("travel_share", "pct", "lower"),
    ("key_frequency_compliance", "pct", "higher"),
    ("unplanned_visits", "int", "lower"),
    ("visits_planned", "int", "higher"),
    ("visits_required", "int", None),
    ("travel_hours", "num", "lower"),
    ("service_hours", "num", None),
    ("workload_hours", "num", None),
    ("wait_hours", "num", "lower"),
    ("compactness_min", "num", "lower"),
    ("service_radius_p95_min", "num", "lower"),
    ("workload_cv", "num2", "lower"),
    ("retailers", "int", None),
    ("managers", "int", None),
    ("routes", "int", None),
    ("remote_contacts", "int", None),
    ("contacts_planned", "int", "higher"),
    ("contacts_unplanned", "int", "lower"),
    ("specialists", "int", None),
    ("specialist_visits_required", "int", None),
    ("specialist_visits_planned", "int", "higher"),
    ("specialist_visits_unplanned", "int", "lower"),
    ("specialist_travel_hours", "num", "lower"),
    ("specialist_service_hours", "num", None),
    ("specialist_imbalance", "pct", "lower"),
    ("leave_days", "int", None),
    ("duty_hours", "num", None),
]
HEADLINE = ["imbalance", "travel_share", "key_frequency_compliance", "unplanned_visits"]


@dataclass
class PlanView:
    """One plan as the reports see it."""

    plan: Plan
    label: str
    folder: Path | None = None
    retailers: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=RETAILER_COLUMNS))
    classes: dict[str, dict] = field(default_factory=dict)  # class -> {label, required, routed}
    key_classes: list[str] = field(default_factory=list)
    scenario_name: str = ""
    scenario_description: str = ""
    balance_tolerance: float | None = None
    weeks: int | None = None
    validation: dict | None = None
    baseline: PlanView | None = None
    frontier: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)  # i18n keys of notes on data provenance
    crs: str = "wgs84"  # the input CRS (coordinates as given: lon_input, lat_input)
    classify: list[dict] = field(default_factory=list)  # the scenario's classify rules: {class, tests}
    report: object | None = None  # the scenario's report section (base map, navigation app), if known
    nav_app: str = "osm"  # the route sheets' navigation app (the scenario's, else by the input CRS)
    duties: list[dict] = field(default_factory=list)  # the scenario's calendar.duties: name, weekdays, start, end, who

    @property
    def kpis(self) -> dict:
        return self.plan.kpis

    @property
    def manifest(self) -> dict:
        return self.plan.manifest

    @property
    def kind(self) -> str:
        return str(self.manifest.get("kind", "plan"))

    @property
    def territory_method(self) -> str:
        return str(self.manifest.get("methods", {}).get("territories", ""))

    @property
    def working_days(self) -> list[dict]:
        return [d for d in self.manifest.get("days", []) if d.get("working", True)]

    def baseline_global(self) -> dict | None:
        b = self.kpis.get("baseline", {}).get("global")
        if b is None and self.baseline is not None:
            b = self.baseline.kpis.get("global")
        return b

    def managers_table(self, role: str = "manager") -> pd.DataFrame:
        """Per-manager KPIs joined with managers.csv (vacant, base, leave) and the baseline's
        workload; the rows of one ``role`` (``manager``: the territories' owners, ``specialist``)."""
        m = pd.DataFrame(self.kpis.get("managers", []))
        if m.empty:
            m = pd.DataFrame({"manager_id": self.plan.managers["manager_id"], "team": self.plan.managers["team"]})
        if "role" in m.columns:
            m = m[m["role"].fillna("manager") == role].reset_index(drop=True)
        elif role != "manager":
            m = m.iloc[0:0]
        mg = self.plan.managers.set_index("manager_id")
        m["vacant"] = [str(mg["vacant"].get(x, "False")).lower() == "true" for x in m["manager_id"]]
        for col in ("skills", "leave"):
            if col in mg.columns:
                m[col] = [str(mg[col].get(x, "")) for x in m["manager_id"]]
        if self.baseline is not None:
            bm = pd.DataFrame(self.baseline.kpis.get("managers", []))
            if not bm.empty:
                m["baseline_workload_hours"] = m["manager_id"].map(bm.set_index("manager_id")["workload_hours"])
        return m


def class_info(scenario) -> tuple[dict[str, dict], list[str]]:
    """Per class: label, required visits in the horizon and whether it is visited in person."""
    classes = {c: {"label": cp.label or "", "required": scenario.required_visits(c), "routed": cp.mode == "visit",
                   "visits_per_cycle": cp.visits_per_cycle, "contacts": scenario.required_contacts(c),
                   "specialist_visits": scenario.required_specialist_visits(c)}
               for c, cp in scenario.classes.items()}
    return classes, sorted(scenario.key_class_set)


def _scenario_of(plan: Plan):
    from planner.config.scenario import parse_scenario

    if plan.scenario_text is None:
        return None
    spath = Path(plan.manifest.get("scenario", {}).get("path", "scenario.yaml"))
    try:
        return parse_scenario(plan.scenario_text, spath, check_files=False)
    except Exception:  # an old or hand-edited scenario: the report still shows the plan
        return None


def _retailers_from_inputs(loaded) -> pd.DataFrame:
    from planner.inputs.dataset import load_dataset

    ds = load_dataset(loaded)
    return ds.retailers[RETAILER_COLUMNS].copy()


def _retailers_from_assignments(plan: Plan) -> pd.DataFrame | None:
    """Retailer details from the plan's own ``assignments.csv`` (plans made since it carries the
    class, the coordinates and the retailer file's columns); None for older plans."""
    a = plan.assignments
    if "lon_wgs84" not in a.columns:
        return None
    df = pd.DataFrame({"retailer_id": a["retailer_id"].astype(str),
                       "name": a["name"] if "name" in a.columns else "",
                       "class": a["class"] if "class" in a.columns else "",
                       "tier": a["tier"] if "tier" in a.columns else "",
                       "lon": pd.to_numeric(a["lon_wgs84"], errors="coerce"),
                       "lat": pd.to_numeric(a["lat_wgs84"], errors="coerce"),
                       "lon_input": pd.to_numeric(a["lon"], errors="coerce"),
                       "lat_input": pd.to_numeric(a["lat"], errors="coerce")})
    return df


def _retailers_from_workbook(path: Path) -> pd.DataFrame | None:
    """The ``Assignments`` sheet of a plan's report.xlsx (either language), as retailer details."""
    from openpyxl import load_workbook

    from planner.report.i18n import LABELS

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:
        return None
    try:
        names = set(LABELS["sheet_assignments"])
        ws = next((wb[s] for s in wb.sheetnames if s in names), None)
        if ws is None:
            return None
        rows = ws.iter_rows(values_only=True)
        header = list(next(rows, []))
        keys = {"retailer_id": "retailer", "name": "name", "class": "class", "tier": "tier", "lon": "lon",
                "lat": "lat"}
        labels = {k: set(v) for k, v in LABELS.items()}
        labels["lon"] |= {x.format(crs="WGS84") for x in LABELS["lon_crs"]}  # since coordinates come in two CRS
        labels["lat"] |= {x.format(crs="WGS84") for x in LABELS["lat_crs"]}
        idx = {}
        for canon, key in keys.items():
            for k, h in enumerate(header):
                if h in labels[key]:
                    idx[canon] = k
                    break
        if "retailer_id" not in idx:
            return None
        data = {c: [] for c in RETAILER_COLUMNS}
        for row in rows:
            for c in RETAILER_COLUMNS:
                v = row[idx[c]] if c in idx and idx[c] < len(row) else None
                data[c].append(v)
        df = pd.DataFrame(data)
        df["retailer_id"] = df["retailer_id"].astype(str)
        for c in ("name", "class", "tier"):
            df[c] = df[c].fillna("").astype(str)
        for c in ("lon", "lat"):
            df[c] = pd.to_numeric(df[c], errors="coerce")
        return df
    finally:
        wb.close()


def find_retailers(folder: Path, plan: Plan, loaded) -> tuple[pd.DataFrame, list[str]]:
    """Retailer details of a plan folder and notes (i18n keys) on where they came from."""
    from planner.inputs.tables import file_sha256

    inputs = plan.manifest.get("inputs", {})
    paths = [Path(i.get("path", "")) for i in inputs.values()]
    exist = bool(inputs) and all(p.exists() for p in paths)
    same = exist and all(file_sha256(Path(i["path"])) == i.get("sha256") for i in inputs.values())
    own = _retailers_from_assignments(plan)
    if own is not None:
        return own, []
    if loaded is not None and same:
        try:
            return _retailers_from_inputs(loaded), []
        except Exception:
            pass
    for candidate in (folder / "report.xlsx", folder.parent / "report.xlsx" if folder.name == "baseline" else None):
        if candidate is not None and candidate.exists():
            df = _retailers_from_workbook(candidate)
            if df is not None and len(df):
                return df, ([] if same else ["from_workbook"])
    if loaded is not None and exist:
        try:
            return _retailers_from_inputs(loaded), ["inputs_changed"]
        except Exception:
            pass
    return pd.DataFrame(columns=RETAILER_COLUMNS), ["no_locations"]


def read_frontier(path: Path) -> pd.DataFrame | None:
    """``frontier.csv`` (a file, or a folder holding one) as a table; ``None`` if unusable."""
    path = Path(path)
    if path.is_dir():
        path = path / "frontier.csv"
    if not path.exists():
        return None
    df = pd.read_csv(path)
    need = {"key_frequency_compliance", "travel_hours"}
    if not need <= set(df.columns) or df.empty:
        return None
    return df


def plan_label(folder: Path) -> str:
    folder = Path(folder)
    return f"{folder.parent.name}/baseline" if folder.name == "baseline" else folder.name


def view_from_plan(plan: Plan, *, label: str, scenario=None, retailers: pd.DataFrame | None = None,
                   folder: Path | None = None, notes: list[str] | None = None) -> PlanView:
    """A :class:`PlanView` of an in-memory plan (``scenario`` is a :class:`planner.config.scenario.Scenario`)."""
    v = PlanView(plan=plan, label=label, folder=folder, notes=list(notes or []))
    if retailers is not None:
        v.retailers = retailers[[c for c in RETAILER_COLUMNS if c in retailers.columns]].copy()
    if scenario is not None:
        v.classes, v.key_classes = class_info(scenario)
        v.scenario_name = scenario.name
        v.scenario_description = (scenario.description or "").strip()
        v.balance_tolerance = scenario.territories.balance.get("workload")
        v.weeks = scenario.calendar.weeks
        v.crs = scenario.inputs.crs
        v.classify = [{"class": r.klass, "tests": r.tests} for r in (scenario.classify or [])]
        v.report = scenario.report
        v.nav_app = scenario.nav_app
        v.duties = [{"name": d.name, "weekdays": list(d.weekdays), "start": d.start[:5], "end": d.end[:5],
                     "who": d.who if isinstance(d.who, str) else ", ".join(d.who)} for d in scenario.calendar.duties]
    else:
        v.scenario_name = plan.manifest.get("scenario", {}).get("name", "")
        classes = sorted(set(plan.unplanned["class"])) if len(plan.unplanned) else []
        v.classes = {c: {"label": "", "required": None, "routed": True, "visits_per_cycle": None} for c in classes}
    if folder is not None:
        vp = Path(folder) / "validation.json"
        if vp.exists():
            try:
                v.validation = json.loads(vp.read_text(encoding="utf-8"))
            except ValueError:
                v.validation = None
        fr = Path(folder) / "frontier.csv"
        if fr.exists():
            v.frontier = read_frontier(fr)
    return v


def load_view(folder: Path, *, retailers: pd.DataFrame | None = None, loaded=None,
              label: str | None = None, with_baseline: bool = True) -> PlanView:
    """Read a plan folder (and its ``baseline/``) for the reports.

    ``retailers`` (the run's dataset) and ``loaded`` (its scenario) skip re-reading the inputs.
    """
    folder = Path(folder)
    plan = read_plan(folder)
    if loaded is None:
        loaded = _scenario_of(plan)
    notes: list[str] = []
    if retailers is None:
        retailers, notes = find_retailers(folder, plan, loaded)
    view = view_from_plan(plan, label=label or plan_label(folder), scenario=loaded.scenario if loaded else None,
                          retailers=retailers, folder=folder, notes=notes)
    if with_baseline and (folder / "baseline" / "manifest.json").exists():
        view.baseline = view_from_plan(plan.sub_plans.get("baseline") or read_plan(folder / "baseline"),
                                       label=plan_label(folder / "baseline"),
                                       scenario=loaded.scenario if loaded else None, retailers=view.retailers,
                                       folder=folder / "baseline", notes=notes)
    return view


def retailer_facts(view: PlanView) -> pd.DataFrame:
    """Per retailer of the plan: details, manager, team, planned/required visits, visit days, unplanned."""
    a = view.plan.assignments[["retailer_id", "manager_id", "team"]].copy()
    r = view.retailers.drop_duplicates("retailer_id").set_index("retailer_id")
    for c in ("name", "class", "tier", "lon", "lat", "lon_input", "lat_input"):
        num = c in ("lon", "lat", "lon_input", "lat_input")
        a[c] = a["retailer_id"].map(r[c]) if c in r.columns and len(r) else (np.nan if num else "")
    if a["class"].isna().any() or (a["class"] == "").any():  # class is also in unplanned.csv
        uc = view.plan.unplanned.drop_duplicates("retailer_id").set_index("retailer_id")["class"]
        a["class"] = a["class"].fillna(a["retailer_id"].map(uc)).fillna("")
    for c in ("name", "tier"):
        a[c] = a[c].fillna("").astype(str)
    v = view.plan.visits
    if "kind" in v.columns:  # the territory's own visits (specialists' visits are listed apart)
        v = v[v["kind"] != "specialist"]
    a["visits"] = a["retailer_id"].map(v.groupby("retailer_id").size()).fillna(0).astype(int)
    days = v.sort_values("day_index").groupby("retailer_id")["day_index"].agg(list)
    a["visit_days"] = a["retailer_id"].map(days)
    a["visit_days"] = a["visit_days"].apply(lambda x: x if isinstance(x, list) else [])
    up = view.plan.unplanned
    if "kind" in up.columns:
        up = up[up["kind"].isin(["regular", ""])]
    a["unplanned"] = a["retailer_id"].map(up.groupby("retailer_id").size()).fillna(0).astype(int)
    reasons = up.groupby("retailer_id")["reason"].agg(lambda s: sorted(set(s)))
    a["unplanned_reasons"] = a["retailer_id"].map(reasons)
    a["unplanned_reasons"] = a["unplanned_reasons"].apply(lambda x: x if isinstance(x, list) else [])
    req = {c: i.get("required") for c, i in view.classes.items()}
    routed = {c: i.get("routed", True) for c, i in view.classes.items()}
    a["required"] = a["class"].map(lambda c: req.get(c))
    a["routed"] = a["class"].map(lambda c: routed.get(c, True))
    a["key"] = a["class"].isin(view.key_classes)
    return a


__all__ = ["PlanView", "load_view", "view_from_plan", "retailer_facts", "read_frontier", "plan_label",
           "KPI_ROWS", "HEADLINE", "find_retailers"]

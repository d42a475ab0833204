"""The Plan: assignment, calendar, routes, unplanned visits, KPIs, provenance, and its files.

A plan folder holds::

    assignments.csv      retailer_id, manager_id, team
    visits.csv           manager_id, day_index, date, sequence, retailer_id, arrival, departure, travel_s, service_s,
                         ..., kind (regular: the territory's manager; specialist: a specialist of its team)
    unplanned.csv        retailer_id, manager_id, class, day_index, date, reason, message, kind (regular,
                         specialist, contact)
    managers.csv         manager_id, team, lon, lat, shift_start, shift_end, vacant, role (manager,
                         specialist), skills, leave
    contacts.csv         manager_id, date, start, end, retailer_id, phone, day_index, kind: phone and
                         messaging contacts at the desk
    territories.geojson  one (multi)polygon per manager with its measures
    routes.geojson       one line per manager and day, base -> visits -> base, with timings and breaks
    kpis.json            {"global": {...}, "managers": [...], "baseline": {...}}
    manifest.json        scenario and input hashes, package versions, seed, methods, timings
    scenario.yaml        a copy of the scenario file as it was run

Times of day are ``HH:MM:SS`` (hours may pass 24 for routes past midnight); durations are
integer seconds in ``*_s`` columns. Folders are written to a temporary sibling and renamed into
place, and an existing folder is never overwritten.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.config.scenario import format_clock, parse_clock
from planner.errors import PlanFormatError
from planner.plan.files import atomic_folder

ASSIGNMENT_COLUMNS = ["retailer_id", "manager_id", "team"]
VISIT_COLUMNS = ["manager_id", "day_index", "date", "sequence", "retailer_id", "arrival", "departure", "travel_s", "service_s"]
UNPLANNED_COLUMNS = ["retailer_id", "manager_id", "class", "day_index", "date", "reason", "message"]
MANAGER_COLUMNS = ["manager_id", "team", "lon", "lat", "shift_start", "shift_end", "vacant"]
"""The columns every plan folder has (read_plan requires them; older plans have only these)."""
COORD_COLUMNS = ["lon", "lat", "lon_wgs84", "lat_wgs84"]
"""Coordinates in outputs: ``lon, lat`` in the input CRS (``inputs.crs``: the numbers the user gave),
``lon_wgs84, lat_wgs84`` in WGS84 (GeoJSON files are always WGS84)."""
ASSIGNMENT_OUT = ["retailer_id", "manager_id", "team", "class", "class_rule", *COORD_COLUMNS]
VISIT_OUT = [*VISIT_COLUMNS, *COORD_COLUMNS, "kind"]
UNPLANNED_OUT = [*UNPLANNED_COLUMNS, "kind"]
MANAGER_OUT = ["manager_id", "team", *COORD_COLUMNS, "shift_start", "shift_end", "vacant", "role", "skills", "leave"]
CONTACT_OUT = ["manager_id", "date", "start", "end", "retailer_id", "phone", "day_index", "kind"]
"""``contacts.csv`` (plans made since contacts are scheduled)."""
PLAN_FILES = ["assignments.csv", "visits.csv", "unplanned.csv", "managers.csv", "territories.geojson",
              "routes.geojson", "kpis.json", "manifest.json"]


@dataclass
class Plan:
    """A complete plan in memory (the same content as its folder)."""

    assignments: pd.DataFrame
    visits: pd.DataFrame
    unplanned: pd.DataFrame
    managers: pd.DataFrame
    routes: list[dict]  # GeoJSON features (LineString)
    territories: list[dict]  # GeoJSON features (Polygon/MultiPolygon)
    kpis: dict = field(default_factory=dict)
    manifest: dict = field(default_factory=dict)
    scenario_text: str | None = None
    extra_files: dict[str, bytes] = field(default_factory=dict)  # e.g. report.html, moves.csv
    contacts: pd.DataFrame | None = None  # contacts.csv (None: a plan made before contacts were scheduled)
    sub_plans: dict[str, Plan] = field(default_factory=dict)  # e.g. "baseline"


def _json_default(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return None if not np.isfinite(o) else float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (pd.Timestamp,)):
        return o.isoformat()
    raise TypeError(f"not JSON serialisable: {type(o)}")


def dumps(obj) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, default=_json_default, allow_nan=False)


def _clean(obj):
    """Replace NaN/inf floats by None so that JSON stays valid."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    if isinstance(obj, np.floating):
        return None if not np.isfinite(obj) else float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def _ordered(df: pd.DataFrame, first: list[str]) -> pd.DataFrame:
    """``df`` with the known columns first (those it has), then its other columns (e.g. the
    retailer file's own columns carried to assignments.csv)."""
    head = [c for c in first if c in df.columns]
    return df[head + [c for c in df.columns if c not in head]]


def write_into(plan: Plan, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    _ordered(plan.assignments, ASSIGNMENT_OUT).to_csv(folder / "assignments.csv", index=False, encoding="utf-8")
    _ordered(plan.visits, VISIT_OUT).to_csv(folder / "visits.csv", index=False, encoding="utf-8")
    plan.unplanned[[c for c in UNPLANNED_OUT if c in plan.unplanned.columns]].to_csv(
        folder / "unplanned.csv", index=False, encoding="utf-8")
    if plan.contacts is not None:
        _ordered(plan.contacts, CONTACT_OUT).to_csv(folder / "contacts.csv", index=False, encoding="utf-8")
    _ordered(plan.managers, MANAGER_OUT).to_csv(folder / "managers.csv", index=False, encoding="utf-8")
    for name, feats in (("territories.geojson", plan.territories), ("routes.geojson", plan.routes)):
        (folder / name).write_text(dumps(_clean({"type": "FeatureCollection", "features": feats})), encoding="utf-8")
    (folder / "kpis.json").write_text(dumps(_clean(plan.kpis)), encoding="utf-8")
    if plan.scenario_text is not None:
        (folder / "scenario.yaml").write_text(plan.scenario_text, encoding="utf-8")
    for name, data in plan.extra_files.items():
        (folder / name).write_bytes(data)
    for name, sub in plan.sub_plans.items():
        write_into(sub, folder / name)
    # the manifest last: a folder with a manifest is complete
    (folder / "manifest.json").write_text(dumps(_clean(plan.manifest)), encoding="utf-8")


def write_plan(plan: Plan, folder: Path, *, before_commit=None) -> Path:
    """Write ``plan`` to ``folder`` atomically (:func:`planner.plan.files.atomic_folder`); refuse if
    the folder exists.

    ``before_commit(tmp_folder)`` runs on the complete temporary folder before it is renamed into
    place (the run validates the plan there and adds ``validation.json`` and the reports).
    """
    folder = Path(folder).resolve()
    with atomic_folder(folder, hint="plans are never overwritten. Choose another --out folder.") as tmp:
        write_into(plan, tmp)
        if before_commit is not None:
            before_commit(tmp)
    return folder


def write_manifest(plan: Plan, folder: Path) -> None:
    """(Re)write ``manifest.json`` of a plan folder being written (the manifest comes last)."""
    (Path(folder) / "manifest.json").write_text(dumps(_clean(plan.manifest)), encoding="utf-8")


def read_plan(folder: Path) -> Plan:
    """Read a plan folder; raise :class:`PlanFormatError` naming what is missing or unreadable."""
    folder = Path(folder)
    if not folder.is_dir():
        raise PlanFormatError(f"{folder} is not a plan folder")
    missing = [f for f in PLAN_FILES if not (folder / f).exists()]
    if missing:
        raise PlanFormatError(f"{folder} is not a complete plan: missing {', '.join(missing)}")

    def csv(name: str, cols: list[str], dtypes: dict) -> pd.DataFrame:
        try:
            df = pd.read_csv(folder / name, dtype=str, keep_default_na=False, encoding="utf-8")
        except Exception as e:
            raise PlanFormatError(f"{folder / name}: unreadable ({e})") from None
        lack = [c for c in cols if c not in df.columns]
        if lack:
            raise PlanFormatError(f"{folder / name}: missing columns {', '.join(lack)}")
        for c, t in dtypes.items():
            try:
                df[c] = pd.to_numeric(df[c]).astype(t) if len(df) else df[c].astype(t)
            except (ValueError, TypeError):
                raise PlanFormatError(f"{folder / name}: column {c} must hold numbers") from None
        return df

    def js(name: str):
        try:
            return json.loads((folder / name).read_text(encoding="utf-8"))
        except Exception as e:
            raise PlanFormatError(f"{folder / name}: not valid JSON ({e})") from None

    assignments = csv("assignments.csv", ASSIGNMENT_COLUMNS, {})
    visits = csv("visits.csv", VISIT_COLUMNS, {"day_index": "int64", "sequence": "int64", "travel_s": "int64", "service_s": "int64"})
    unplanned = csv("unplanned.csv", UNPLANNED_COLUMNS, {})
    managers = csv("managers.csv", MANAGER_COLUMNS, {"lon": "float64", "lat": "float64"})
    if "lon_wgs84" not in managers.columns:  # plans made before coordinates came back in the input CRS
        managers["lon_wgs84"], managers["lat_wgs84"] = managers["lon"], managers["lat"]
    else:
        managers = managers.astype({"lon_wgs84": "float64", "lat_wgs84": "float64"})
    for df, col, default in ((visits, "kind", "regular"), (unplanned, "kind", "regular"), (managers, "role", "manager")):
        if col not in df.columns:  # plans made before specialists and contacts
            df[col] = default
    contacts = csv("contacts.csv", CONTACT_OUT[:6], {}) if (folder / "contacts.csv").exists() else None
    subs = {}
    for sub in ("baseline",):
        if (folder / sub / "manifest.json").exists():
            subs[sub] = read_plan(folder / sub)
    scen = (folder / "scenario.yaml").read_text(encoding="utf-8") if (folder / "scenario.yaml").exists() else None
    return Plan(assignments=assignments, visits=visits, unplanned=unplanned, managers=managers,
                routes=js("routes.geojson").get("features", []), territories=js("territories.geojson").get("features", []),
                kpis=js("kpis.json"), manifest=js("manifest.json"), scenario_text=scen, sub_plans=subs,
                contacts=contacts)


def clock_seconds(series: pd.Series) -> np.ndarray:
    """``HH:MM:SS`` strings -> seconds (raises ValueError on a bad value)."""
    return np.array([_clock_any(v) for v in series], dtype=np.int64)


def _clock_any(v: str) -> int:
    parts = str(v).split(":")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return int(parts[0]) * 3600 + int(parts[1]) * 60 + int(parts[2])
    return parse_clock(v)


__all__ = ["Plan", "write_plan", "write_into", "write_manifest", "read_plan", "format_clock", "clock_seconds", "dumps"]

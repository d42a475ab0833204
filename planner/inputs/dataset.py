"""Reading the user's files: retailers, managers, administrative districts, locks.

Every reader validates at the file boundary and reports *every* bad row at once, naming the file,
the row (the line number for CSV files, where the header is line 1; the feature number for
spatial files) and the field. Supported formats: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030 as
exported by Chinese Excel), GeoJSON, GeoPackage, GeoParquet and Shapefile. Coordinates are
converted to WGS84 on load (GCJ-02 / BD-09 when the scenario says so) and projected to a local
metric CRS for all computations.

Retailer columns (canonical name, accepted aliases in brackets)::

    retailer_id [id]                 required, unique text
    lon [lng, longitude, x]          required unless the file has point geometry
    lat [latitude, y]                required unless the file has point geometry
    class [customer_class]           required, one of the scenario's classes
    tier, sales_volume, opening_hours, district, market, current_manager, service_min, name
    (optional)

Manager columns: ``manager_id [id]``, ``lon``, ``lat`` (the base), ``team``, and optionally
``name``, ``shift_start``, ``shift_end``, ``districts`` (``;``-separated district ids the manager
serves today), ``max_visits_per_day``.

With ``regions: {column: ...}`` in the scenario both files need that column (the region of each
row, read into ``region``); with ``regions.select`` only that region's rows are read (``planner
batch`` plans each region this way) and locks of retailers of other regions are ignored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.config.scenario import LoadedScenario, Scenario, parse_clock
from planner.errors import DataError, ProblemCollector
from planner.inputs.coords import LocalProjection
from planner.inputs.hours import Week, parse_opening_hours
from planner.inputs.tables import (
    coordinate_columns,
    id_column,
    map_columns,
    number_column,
    read_table,
    select_region,
    text_column,
)

RETAILER_ALIASES = {
    "retailer_id": ["retailer_id", "id", "retailer", "customer_id", "客户编码", "客户编号"],
    "lon": ["lon", "lng", "longitude", "x", "经度"],
    "lat": ["lat", "latitude", "y", "纬度"],
    "class": ["class", "customer_class", "category", "客户类别", "档位"],
    "tier": ["tier", "档次"],
    "sales_volume": ["sales_volume", "sales", "volume", "销量"],
    "opening_hours": ["opening_hours", "hours", "营业时间"],
    "district": ["district", "admin_district", "区县", "行政区"],
    "market": ["market", "market_area", "市场", "商圈"],
    "current_manager": ["current_manager", "manager", "manager_id", "客户经理"],
    "service_min": ["service_min", "service_minutes"],
    "name": ["name", "retailer_name", "客户名称"],
}
MANAGER_ALIASES = {
    "manager_id": ["manager_id", "id", "manager", "客户经理编号"],
    "lon": ["lon", "lng", "longitude", "x", "经度"],
    "lat": ["lat", "latitude", "y", "纬度"],
    "team": ["team", "service_team", "department", "服务部"],
    "name": ["name", "manager_name", "姓名"],
    "shift_start": ["shift_start"],
    "shift_end": ["shift_end"],
    "districts": ["districts", "district"],
    "max_visits_per_day": ["max_visits_per_day"],
}


# --- the dataset ----------------------------------------------------------------------------

@dataclass
class Dataset:
    """Validated inputs of one scenario, in WGS84 and a local metric projection.

    ``retailers`` columns: retailer_id, name, lon, lat, x, y, class, tier, sales_volume,
    opening_hours (text), hours (parsed :data:`planner.inputs.hours.Week` or None), district, market,
    current_manager, service_s, region, row. ``managers`` columns: manager_id, name, lon, lat, x, y, team,
    shift_start_s, shift_end_s, districts (tuple), max_visits_per_day, region, row. ``region`` is the
    ``regions.column`` value ("" without one).
    """

    retailers: pd.DataFrame
    managers: pd.DataFrame
    projection: LocalProjection
    districts: object | None = None  # GeoDataFrame (district_id, name, geometry) in WGS84
    locked: dict[str, str] = field(default_factory=dict)  # retailer_id -> manager_id
    files: dict[str, Path] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def n_retailers(self) -> int:
        return len(self.retailers)


def read_retailers(path: Path, scenario: Scenario, problems: ProblemCollector) -> pd.DataFrame:
    inp = scenario.inputs
    raw, region = select_region(read_table(path, encoding=inp.encoding, layer=inp.layer), scenario, problems)
    if raw is None:
        return pd.DataFrame()
    before = len(problems.problems)
    cmap = map_columns(raw, RETAILER_ALIASES, inp.columns, ["retailer_id", "lon", "lat", "class"], problems)
    if len(problems.problems) > before:
        return pd.DataFrame()
    ids = id_column(raw, cmap.get("retailer_id"), "retailer_id", problems)
    lon, lat = coordinate_columns(raw, cmap, inp.crs, problems)
    cls = text_column(raw, cmap, "class")
    known = set(scenario.classes)
    for k in np.flatnonzero(~np.isin(cls, list(known))):
        c = cls[k]
        problems.add(raw.name, f"unknown class {c!r}; the scenario defines {', '.join(sorted(known))}"
                     if c else "class is missing", row=int(raw.rows[k]), field="class")
    sales = number_column(raw, cmap.get("sales_volume"), "sales_volume", problems, required=False, minimum=0)
    svc_min = number_column(raw, cmap.get("service_min"), "service_min", problems, required=False, minimum=0)
    hours_text = text_column(raw, cmap, "opening_hours")
    hours: list[Week | None] = []
    for k, t in enumerate(hours_text):
        try:
            hours.append(parse_opening_hours(t))
        except ValueError as e:
            problems.add(raw.name, f"cannot read opening hours {t!r}: {e}", row=int(raw.rows[k]), field="opening_hours")
            hours.append(None)
    class_svc = np.array([scenario.classes[c].service_min * 60 if c in known else 0 for c in cls], dtype=float)
    service_s = np.where(np.isnan(svc_min), class_svc, svc_min * 60).round().astype(np.int64)
    df = pd.DataFrame({
        "retailer_id": ids.astype(str),
        "name": text_column(raw, cmap, "name"),
        "lon": lon, "lat": lat,
        "class": cls,
        "tier": text_column(raw, cmap, "tier"),
        "sales_volume": np.nan_to_num(sales, nan=0.0),
        "opening_hours": hours_text,
        "hours": pd.Series(hours, dtype=object),
        "district": text_column(raw, cmap, "district"),
        "market": text_column(raw, cmap, "market"),
        "current_manager": text_column(raw, cmap, "current_manager"),
        "service_s": service_s,
        "region": region,
        "row": raw.rows,
    })
    df.attrs["file"] = raw.name
    df.attrs["encoding"] = raw.encoding
    return df


def read_managers(path: Path, scenario: Scenario, problems: ProblemCollector) -> pd.DataFrame:
    inp = scenario.inputs
    raw, region = select_region(read_table(path, encoding=inp.encoding, layer=None), scenario, problems)
    if raw is None:
        return pd.DataFrame()
    before = len(problems.problems)
    cmap = map_columns(raw, MANAGER_ALIASES, {}, ["manager_id", "lon", "lat"], problems)
    if len(problems.problems) > before:
        return pd.DataFrame()
    ids = id_column(raw, cmap.get("manager_id"), "manager_id", problems)
    lon, lat = coordinate_columns(raw, cmap, inp.crs, problems)
    cal = scenario.calendar
    default_start, default_end = parse_clock(cal.shift.start), parse_clock(cal.shift.end)
    starts, ends = [], []
    for k in range(len(raw.frame)):
        s = e = None
        for canon, default, out in (("shift_start", default_start, starts), ("shift_end", default_end, ends)):
            t = raw.frame[cmap[canon]].iat[k] if canon in cmap else ""
            if t:
                try:
                    v = parse_clock(t)
                except ValueError as err:
                    problems.add(raw.name, str(err), row=int(raw.rows[k]), field=canon)
                    v = default
            else:
                v = default
            out.append(v)
            if canon == "shift_start":
                s = v
            else:
                e = v
        if s is not None and e is not None and e <= s:
            problems.add(raw.name, "shift_end must be after shift_start (negative shift length)",
                         row=int(raw.rows[k]), field="shift_end")
    mv = number_column(raw, cmap.get("max_visits_per_day"), "max_visits_per_day", problems, required=False, minimum=1)
    teams = text_column(raw, cmap, "team")
    teams = np.where(teams == "", "T1", teams)
    dists = [tuple(d.strip() for d in str(t).replace(",", ";").split(";") if d.strip()) for t in text_column(raw, cmap, "districts")]
    df = pd.DataFrame({
        "manager_id": ids.astype(str),
        "name": text_column(raw, cmap, "name"),
        "lon": lon, "lat": lat,
        "team": teams,
        "shift_start_s": np.array(starts, dtype=np.int64),
        "shift_end_s": np.array(ends, dtype=np.int64),
        "districts": pd.Series(dists, dtype=object),
        "max_visits_per_day": mv,
        "region": region,
        "row": raw.rows,
    })
    df.attrs["file"] = raw.name
    return df


def read_districts(path: Path, problems: ProblemCollector):
    """Administrative districts: polygons with a ``district_id`` (or ``id``/``name``) column."""
    raw = read_table(path)
    if raw.geometry is None:
        problems.add(raw.name, "districts must be a spatial file with polygons (GeoJSON, GeoPackage, ...)")
        return None
    import geopandas as gpd

    cmap = map_columns(raw, {"district_id": ["district_id", "district", "id", "code", "name"],
                              "name": ["name", "district_name"]}, {}, ["district_id"], problems)
    if "district_id" not in cmap:
        return None
    ids = id_column(raw, cmap["district_id"], "district_id", problems)
    bad = ~raw.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    for k in np.flatnonzero(bad.to_numpy()):
        problems.add(raw.name, f"geometry is {raw.geometry.iat[k].geom_type if raw.geometry.iat[k] is not None else 'missing'}, "
                     "not a polygon", row=int(raw.rows[k]), field="geometry")
    return gpd.GeoDataFrame({"district_id": ids.astype(str), "name": text_column(raw, cmap, "name")},
                            geometry=raw.geometry.to_numpy(), crs=4326)


def read_locked(path: Path, problems: ProblemCollector) -> tuple[dict[str, str], dict[str, int]]:
    """Locks file: retailer_id -> manager_id, and the row of each retailer id."""
    raw = read_table(path)
    cmap = map_columns(raw, {"retailer_id": RETAILER_ALIASES["retailer_id"], "manager_id": MANAGER_ALIASES["manager_id"]},
                        {}, ["retailer_id", "manager_id"], problems)
    if len(cmap) < 2:
        return {}, {}
    ids = id_column(raw, cmap["retailer_id"], "retailer_id", problems)
    mids = raw.frame[cmap["manager_id"]].to_numpy(dtype=object)
    out = {}
    for k, (r, m) in enumerate(zip(ids, mids, strict=True)):
        if not m:
            problems.add(raw.name, "manager_id is missing", row=int(raw.rows[k]), field="manager_id")
        out[str(r)] = str(m)
    return out, {str(r): int(raw.rows[k]) for k, r in enumerate(ids)}


def load_dataset(loaded: LoadedScenario) -> Dataset:
    """Read and cross-check every input file of a scenario; raise :class:`DataError` with all problems."""
    sc = loaded.scenario
    paths = loaded.input_paths()
    problems = ProblemCollector()
    retailers = read_retailers(paths["retailers"], sc, problems)
    managers = read_managers(paths["managers"], sc, problems)
    districts = read_districts(paths["districts"], problems) if "districts" in paths else None
    locked_raw, rows = read_locked(paths["locked"], problems) if "locked" in paths else ({}, {})
    if problems:
        problems.raise_if_any(DataError, "the input data has errors")
    rname, mname = retailers.attrs["file"], managers.attrs["file"]
    mids = set(managers["manager_id"])
    for k in np.flatnonzero((retailers["current_manager"] != "").to_numpy() & ~retailers["current_manager"].isin(mids).to_numpy()):
        problems.add(rname, f"current_manager {retailers['current_manager'].iat[k]!r} is not in {mname}"
                     + (f" (region {sc.regions.select!r})" if sc.regions is not None and sc.regions.select else ""),
                     row=int(retailers["row"].iat[k]), field="current_manager")
    rid_set = set(retailers["retailer_id"])
    if sc.regions is not None and sc.regions.select is not None:  # locks of other regions' retailers
        locked_raw = {r: m for r, m in locked_raw.items() if r in rid_set}
    lname = paths["locked"].name if "locked" in paths else ""
    for r, m in locked_raw.items():
        if r not in rid_set:
            problems.add(lname, f"retailer {r!r} is not in {rname}", row=rows.get(r), field="retailer_id")
        if m and m not in mids:
            problems.add(lname, f"manager {m!r} is not in {mname}", row=rows.get(r), field="manager_id")
    warnings: list[str] = []
    if districts is not None and not problems:
        dids = set(districts["district_id"])
        has_col = (retailers["district"] != "").any()
        if has_col:
            for k in np.flatnonzero(((retailers["district"] != "") & ~retailers["district"].isin(dids)).to_numpy()):
                problems.add(rname, f"district {retailers['district'].iat[k]!r} is not in {paths['districts'].name}",
                             row=int(retailers["row"].iat[k]), field="district")
        else:
            retailers["district"] = assign_districts(retailers["lon"].to_numpy(), retailers["lat"].to_numpy(), districts)
            n_out = int((retailers["district"] == "").sum())
            if n_out:
                warnings.append(f"{n_out} retailers lie outside every district of {paths['districts'].name}")
        for k, ds in enumerate(managers["districts"]):
            for d in ds:
                if d not in dids:
                    problems.add(mname, f"district {d!r} is not in {paths['districts'].name}",
                                 row=int(managers["row"].iat[k]), field="districts")
    problems.raise_if_any(DataError, "the input data has errors")
    proj = LocalProjection.for_points(retailers["lon"].to_numpy(), retailers["lat"].to_numpy())
    for df in (retailers, managers):
        x, y = proj.forward(df["lon"].to_numpy(), df["lat"].to_numpy())
        df["x"], df["y"] = x, y
    spread = math.hypot(retailers["x"].max() - retailers["x"].min(), retailers["y"].max() - retailers["y"].min())
    if spread > 500_000:
        warnings.append(f"the retailers span {spread / 1000:.0f} km; check for stray coordinates or split the region")
    return Dataset(retailers=retailers, managers=managers, projection=proj, districts=districts,
                   locked=locked_raw, files=paths, warnings=warnings)


def assign_districts(lon: np.ndarray, lat: np.ndarray, districts) -> np.ndarray:
    """District id of each point by point-in-polygon ("" outside every district)."""
    import geopandas as gpd

    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)
    joined = gpd.sjoin(pts, districts[["district_id", "geometry"]], how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    return joined["district_id"].fillna("").astype(str).to_numpy(dtype=object)

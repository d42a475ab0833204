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

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.coords import LocalProjection, to_wgs84
from planner.errors import DataError, ProblemCollector
from planner.hours import Week, parse_opening_hours
from planner.scenario import LoadedScenario, Scenario, parse_clock

SPATIAL_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".parquet", ".geoparquet", ".fgb"}
MAX_PROBLEMS = 1000

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


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --- raw tables ---------------------------------------------------------------------------

@dataclass
class RawTable:
    """A file read as text columns, with the row label of every record."""

    name: str  # file name shown in messages
    frame: pd.DataFrame  # all columns as str ("" for missing)
    rows: np.ndarray  # row label per record (CSV line number / feature number)
    encoding: str | None = None
    geometry_lonlat: tuple[np.ndarray, np.ndarray] | None = None  # from point geometry (file CRS -> 4326)
    geometry: object | None = None  # GeoSeries in EPSG:4326 (districts)


def _detect_encoding(path: Path, requested: str) -> str:
    if requested != "auto":
        return requested
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        raw.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError:
        raise DataError(f"{path.name}: cannot tell the text encoding (not UTF-8 and not GBK); "
                        "save the file as UTF-8 CSV") from None


def read_table(path: Path, *, encoding: str = "auto", layer: str | None = None) -> RawTable:
    """Read a CSV or spatial file into text columns; raise :class:`DataError` if unreadable."""
    name = path.name
    if not path.exists():
        raise DataError(f"{name}: file not found ({path})")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        enc = _detect_encoding(path, encoding)
        if path.stat().st_size == 0:
            raise DataError(f"{name}: the file is empty")
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=enc,
                             sep="\t" if suffix == ".tsv" else None, engine="python", skipinitialspace=True)
        except UnicodeDecodeError as e:
            raise DataError(f"{name}: cannot decode the file as {enc} ({e.reason}); check `inputs.encoding`") from None
        except pd.errors.EmptyDataError:
            raise DataError(f"{name}: the file is empty") from None
        except pd.errors.ParserError as e:
            raise DataError(f"{name}: not a valid CSV file ({e})") from None
        df.columns = [str(c).strip().lstrip("\ufeff") for c in df.columns]
        if len(df) == 0:
            raise DataError(f"{name}: the file has a header but no data rows")
        df = df.apply(lambda s: s.str.strip())
        return RawTable(name, df.reset_index(drop=True), np.arange(2, len(df) + 2), enc)
    if suffix in SPATIAL_SUFFIXES:
        import geopandas as gpd

        try:
            if suffix in (".parquet", ".geoparquet"):
                gdf = gpd.read_parquet(path)
            else:
                gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
        except Exception as e:  # pyogrio / arrow errors are varied; the message is what matters
            raise DataError(f"{name}: cannot read the file ({e})") from None
        if len(gdf) == 0:
            raise DataError(f"{name}: the file has no features")
        geom = gdf.geometry
        if geom.crs is not None and not geom.crs.equals("EPSG:4326"):
            try:
                geom = geom.to_crs(4326)
            except Exception as e:
                raise DataError(f"{name}: cannot convert its coordinate system to WGS84 ({e})") from None
        attrs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
        df = attrs.astype(object).where(attrs.notna(), "").astype(str).reset_index(drop=True)
        lonlat = None
        if geom.notna().any():
            pts = geom.copy()
            nonpoint = ~pts.geom_type.isin(["Point"]) & pts.notna()
            if nonpoint.any():
                pts[nonpoint] = pts[nonpoint].representative_point()
            lon = np.array([g.x if g is not None and not g.is_empty else np.nan for g in pts])
            lat = np.array([g.y if g is not None and not g.is_empty else np.nan for g in pts])
            lonlat = (lon, lat)
        return RawTable(name, df, np.arange(1, len(df) + 1), None, lonlat, geom.reset_index(drop=True))
    raise DataError(f"{name}: unsupported file type {suffix!r}; use CSV, GeoJSON, GeoPackage, GeoParquet or Shapefile")


def _map_columns(raw: RawTable, aliases: dict[str, list[str]], overrides: dict[str, str],
                 required: list[str], problems: ProblemCollector) -> dict[str, str]:
    """Canonical column -> actual column in ``raw`` (case-insensitive aliases, user overrides)."""
    cols = {c.lower(): c for c in raw.frame.columns}
    found: dict[str, str] = {}
    for canon, names in aliases.items():
        if canon in overrides:
            want = overrides[canon]
            if want in raw.frame.columns:
                found[canon] = want
            else:
                problems.add(raw.name, f"column {want!r} (inputs.columns.{canon}) is not in the file; "
                             f"columns are: {', '.join(raw.frame.columns)}")
            continue
        # Shapefiles truncate column names to 10 characters: accept the truncated form too
        for n in [*names, *(x[:10] for x in names if len(x) > 10)]:
            if n.lower() in cols and cols[n.lower()] not in found.values():
                found[canon] = cols[n.lower()]
                break
    for canon in required:
        if canon in ("lon", "lat") and raw.geometry_lonlat is not None:
            continue
        if canon not in found:
            problems.add(raw.name, f"required column {canon!r} is missing (accepted names: "
                         f"{', '.join(aliases[canon])}); columns are: {', '.join(raw.frame.columns)}",
                         field=canon)
    return found


def _numbers(raw: RawTable, col: str | None, label: str, problems: ProblemCollector, *,
             required: bool, minimum: float | None = None) -> np.ndarray:
    if col is None:
        return np.full(len(raw.frame), np.nan)
    text = raw.frame[col].astype(str)
    vals = np.array(pd.to_numeric(text.str.replace(",", ".", regex=False).where(text != "", None), errors="coerce"),
                    dtype=float)
    for k in np.flatnonzero(np.isnan(vals) | ~np.isfinite(vals)):
        if text.iat[k] == "":
            if required:
                problems.add(raw.name, "value is missing", row=int(raw.rows[k]), field=label)
        else:
            problems.add(raw.name, f"{text.iat[k]!r} is not a number", row=int(raw.rows[k]), field=label)
    if minimum is not None:
        for k in np.flatnonzero(vals < minimum):
            problems.add(raw.name, f"{vals[k]:g} is negative; it must be >= {minimum:g}", row=int(raw.rows[k]), field=label)
    return vals


def _coordinates(raw: RawTable, colmap: dict[str, str], crs: str, problems: ProblemCollector) -> tuple[np.ndarray, np.ndarray]:
    """Validated WGS84 lon/lat arrays (NaN where invalid; problems recorded)."""
    if "lon" in colmap and "lat" in colmap:
        lon = _numbers(raw, colmap["lon"], "lon", problems, required=True)
        lat = _numbers(raw, colmap["lat"], "lat", problems, required=True)
    elif raw.geometry_lonlat is not None:
        lon, lat = (np.array(a, dtype=float) for a in raw.geometry_lonlat)
        for k in np.flatnonzero(np.isnan(lon) | np.isnan(lat)):
            problems.add(raw.name, "feature has no geometry", row=int(raw.rows[k]), field="geometry")
    else:
        return np.full(len(raw.frame), np.nan), np.full(len(raw.frame), np.nan)
    ok = np.isfinite(lon) & np.isfinite(lat)
    in_range = ok & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
    # swapped columns: the (lat, lon) reading is where the other points are
    if in_range.sum() >= 3:
        mlon, mlat = np.median(lon[in_range]), np.median(lat[in_range])
    else:
        mlon = mlat = None
    for k in np.flatnonzero(ok):
        x, y = lon[k], lat[k]
        swapped = False
        if mlon is not None:
            far = abs(x - mlon) + abs(y - mlat) > 2.0
            near_if_swapped = abs(y - mlon) + abs(x - mlat) < 1.0
            swapped = far and near_if_swapped
        elif abs(y) > 90 and abs(x) <= 90:
            swapped = True
        if swapped:
            problems.add(raw.name, f"lon={x:g}, lat={y:g} look swapped (lat/lon in the wrong columns)",
                         row=int(raw.rows[k]), field="lon/lat")
            lon[k] = lat[k] = np.nan
        elif abs(x) > 180:
            problems.add(raw.name, f"longitude {x:g} is out of range [-180, 180]", row=int(raw.rows[k]), field="lon")
            lon[k] = lat[k] = np.nan
        elif abs(y) > 90:
            problems.add(raw.name, f"latitude {y:g} is out of range [-90, 90]", row=int(raw.rows[k]), field="lat")
            lon[k] = lat[k] = np.nan
        elif x == 0 and y == 0:
            problems.add(raw.name, "coordinates are 0, 0 (missing location?)", row=int(raw.rows[k]), field="lon/lat")
            lon[k] = lat[k] = np.nan
    valid = np.isfinite(lon) & np.isfinite(lat)
    if crs != "wgs84" and valid.any():
        wl, wt = to_wgs84(lon[valid], lat[valid], crs)
        lon[valid], lat[valid] = wl, wt
    return lon, lat


def _ids(raw: RawTable, col: str | None, label: str, problems: ProblemCollector) -> np.ndarray:
    if col is None:
        return np.array([""] * len(raw.frame), dtype=object)
    ids = raw.frame[col].astype(str).to_numpy(dtype=object)
    for k in np.flatnonzero(ids == ""):
        problems.add(raw.name, "id is missing", row=int(raw.rows[k]), field=label)
    s = pd.Series(ids)
    dup = s.duplicated(keep="first") & (s != "")
    first = {v: int(raw.rows[k]) for k, v in reversed(list(enumerate(ids)))}
    for k in np.flatnonzero(dup.to_numpy()):
        problems.add(raw.name, f"duplicate id {ids[k]!r} (first used on row {first[ids[k]]})",
                     row=int(raw.rows[k]), field=label)
    return ids


def _select_region(raw: RawTable, scenario: Scenario, problems: ProblemCollector) -> tuple[RawTable | None, np.ndarray]:
    """The ``regions.column`` values of ``raw``; with ``regions.select`` only that region's rows (their
    row labels kept, so messages still name the line in the file). ``(None, ...)`` on a problem."""
    reg = scenario.regions
    if reg is None:
        return raw, np.array([""] * len(raw.frame), dtype=object)
    cols = {c.lower(): c for c in raw.frame.columns}
    col = cols.get(reg.column.lower())
    if col is None:
        problems.add(raw.name, f"column {reg.column!r} (regions.column) is missing; columns are: "
                     f"{', '.join(raw.frame.columns)}", field=reg.column)
        return None, np.array([], dtype=object)
    values = raw.frame[col].astype(str).str.strip().to_numpy(dtype=object)
    if reg.select is None:
        for k in np.flatnonzero(values == ""):
            problems.add(raw.name, "region is missing", row=int(raw.rows[k]), field=col)
        return raw, values
    keep = values == reg.select
    if not keep.any():
        found = sorted(set(values) - {""})
        problems.add(raw.name, f"no rows of region {reg.select!r} (column {col!r}); regions in the file: "
                     f"{', '.join(found[:20])}{' ...' if len(found) > 20 else ''}", field=col)
        return None, np.array([], dtype=object)
    lonlat = None if raw.geometry_lonlat is None else (raw.geometry_lonlat[0][keep], raw.geometry_lonlat[1][keep])
    geom = None if raw.geometry is None else raw.geometry[keep].reset_index(drop=True)
    sub = RawTable(raw.name, raw.frame[keep].reset_index(drop=True), raw.rows[keep], raw.encoding, lonlat, geom)
    return sub, values[keep]


def _text(raw: RawTable, colmap: dict[str, str], canon: str) -> np.ndarray:
    if canon not in colmap:
        return np.array([""] * len(raw.frame), dtype=object)
    return raw.frame[colmap[canon]].astype(str).to_numpy(dtype=object)


# --- the dataset ----------------------------------------------------------------------------

@dataclass
class Dataset:
    """Validated inputs of one scenario, in WGS84 and a local metric projection.

    ``retailers`` columns: retailer_id, name, lon, lat, x, y, class, tier, sales_volume,
    opening_hours (text), hours (parsed :data:`planner.hours.Week` or None), district, market,
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
    raw, region = _select_region(read_table(path, encoding=inp.encoding, layer=inp.layer), scenario, problems)
    if raw is None:
        return pd.DataFrame()
    before = len(problems.problems)
    cmap = _map_columns(raw, RETAILER_ALIASES, inp.columns, ["retailer_id", "lon", "lat", "class"], problems)
    if len(problems.problems) > before:
        return pd.DataFrame()
    ids = _ids(raw, cmap.get("retailer_id"), "retailer_id", problems)
    lon, lat = _coordinates(raw, cmap, inp.crs, problems)
    cls = _text(raw, cmap, "class")
    known = set(scenario.classes)
    for k in np.flatnonzero(~np.isin(cls, list(known))):
        c = cls[k]
        problems.add(raw.name, f"unknown class {c!r}; the scenario defines {', '.join(sorted(known))}"
                     if c else "class is missing", row=int(raw.rows[k]), field="class")
    sales = _numbers(raw, cmap.get("sales_volume"), "sales_volume", problems, required=False, minimum=0)
    svc_min = _numbers(raw, cmap.get("service_min"), "service_min", problems, required=False, minimum=0)
    hours_text = _text(raw, cmap, "opening_hours")
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
        "name": _text(raw, cmap, "name"),
        "lon": lon, "lat": lat,
        "class": cls,
        "tier": _text(raw, cmap, "tier"),
        "sales_volume": np.nan_to_num(sales, nan=0.0),
        "opening_hours": hours_text,
        "hours": pd.Series(hours, dtype=object),
        "district": _text(raw, cmap, "district"),
        "market": _text(raw, cmap, "market"),
        "current_manager": _text(raw, cmap, "current_manager"),
        "service_s": service_s,
        "region": region,
        "row": raw.rows,
    })
    df.attrs["file"] = raw.name
    df.attrs["encoding"] = raw.encoding
    return df


def read_managers(path: Path, scenario: Scenario, problems: ProblemCollector) -> pd.DataFrame:
    inp = scenario.inputs
    raw, region = _select_region(read_table(path, encoding=inp.encoding, layer=None), scenario, problems)
    if raw is None:
        return pd.DataFrame()
    before = len(problems.problems)
    cmap = _map_columns(raw, MANAGER_ALIASES, {}, ["manager_id", "lon", "lat"], problems)
    if len(problems.problems) > before:
        return pd.DataFrame()
    ids = _ids(raw, cmap.get("manager_id"), "manager_id", problems)
    lon, lat = _coordinates(raw, cmap, inp.crs, problems)
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
    mv = _numbers(raw, cmap.get("max_visits_per_day"), "max_visits_per_day", problems, required=False, minimum=1)
    teams = _text(raw, cmap, "team")
    teams = np.where(teams == "", "T1", teams)
    dists = [tuple(d.strip() for d in str(t).replace(",", ";").split(";") if d.strip()) for t in _text(raw, cmap, "districts")]
    df = pd.DataFrame({
        "manager_id": ids.astype(str),
        "name": _text(raw, cmap, "name"),
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

    cmap = _map_columns(raw, {"district_id": ["district_id", "district", "id", "code", "name"],
                              "name": ["name", "district_name"]}, {}, ["district_id"], problems)
    if "district_id" not in cmap:
        return None
    ids = _ids(raw, cmap["district_id"], "district_id", problems)
    bad = ~raw.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    for k in np.flatnonzero(bad.to_numpy()):
        problems.add(raw.name, f"geometry is {raw.geometry.iat[k].geom_type if raw.geometry.iat[k] is not None else 'missing'}, "
                     "not a polygon", row=int(raw.rows[k]), field="geometry")
    return gpd.GeoDataFrame({"district_id": ids.astype(str), "name": _text(raw, cmap, "name")},
                            geometry=raw.geometry.to_numpy(), crs=4326)


def read_locked(path: Path, problems: ProblemCollector) -> tuple[dict[str, str], dict[str, int]]:
    """Locks file: retailer_id -> manager_id, and the row of each retailer id."""
    raw = read_table(path)
    cmap = _map_columns(raw, {"retailer_id": RETAILER_ALIASES["retailer_id"], "manager_id": MANAGER_ALIASES["manager_id"]},
                        {}, ["retailer_id", "manager_id"], problems)
    if len(cmap) < 2:
        return {}, {}
    ids = _ids(raw, cmap["retailer_id"], "retailer_id", problems)
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

"""Raw input tables: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) and GIS files read as text columns
with the row label of every record, and the column helpers shared by every reader: header
matching (aliases, user overrides), numbers, ids, coordinates (converted to WGS84), regions.

Every helper records problems in a :class:`planner.errors.ProblemCollector` naming the file, the
row (the line number for CSV files, where the header is line 1; the feature number for spatial
files) and the field, so that every bad row is reported at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner.config.scenario import Scenario
from planner.errors import DataError, ProblemCollector
from planner.inputs.coords import to_wgs84

SPATIAL_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".parquet", ".geoparquet", ".fgb"}


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


def map_columns(raw: RawTable, aliases: dict[str, list[str]], overrides: dict[str, str],
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


def number_column(raw: RawTable, col: str | None, label: str, problems: ProblemCollector, *,
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


def coordinate_columns(raw: RawTable, colmap: dict[str, str], crs: str, problems: ProblemCollector) -> tuple[np.ndarray, np.ndarray]:
    """Validated WGS84 lon/lat arrays (NaN where invalid; problems recorded)."""
    if "lon" in colmap and "lat" in colmap:
        lon = number_column(raw, colmap["lon"], "lon", problems, required=True)
        lat = number_column(raw, colmap["lat"], "lat", problems, required=True)
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


def id_column(raw: RawTable, col: str | None, label: str, problems: ProblemCollector) -> np.ndarray:
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


def select_region(raw: RawTable, scenario: Scenario, problems: ProblemCollector) -> tuple[RawTable | None, np.ndarray]:
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


def text_column(raw: RawTable, colmap: dict[str, str], canon: str) -> np.ndarray:
    if canon not in colmap:
        return np.array([""] * len(raw.frame), dtype=object)
    return raw.frame[colmap[canon]].astype(str).to_numpy(dtype=object)

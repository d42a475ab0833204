"""Raw input tables: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) and GIS files read as text columns
with the row label of every record, and the column helpers shared by every reader: header
matching (aliases, user overrides), numbers, ids, coordinates (converted to WGS84), regions.

Every helper records problems in a :class:`planner.errors.ProblemCollector` naming the file, the
row (the line number for CSV files, where the header is line 1; the feature number for spatial
files) and the field, so that every bad row is reported at once.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import re
from collections.abc import Iterable
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
    sheet: str | None = None  # Excel: the sheet read


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


def header_key(text: str) -> str:
    """A header as it is matched: case, spaces and a trailing unit in brackets do not count
    (``经度（GCJ-02）``, ``Lon (WGS84)`` and ``lon`` are the same header)."""
    s = re.sub(r"[\(（\[【].*?[\)）\]】]\s*$", "", str(text).strip().lstrip("\ufeff"))
    return re.sub(r"\s+", "", s).lower()


def column_letter(k: int) -> str:
    """Spreadsheet column name of the 0-based column ``k`` (A, B, ..., Z, AA, ...)."""
    out = ""
    k += 1
    while k:
        k, r = divmod(k - 1, 26)
        out = chr(65 + r) + out
    return out


def _cell_text(v) -> str:
    """A spreadsheet cell as the text a user sees: whole numbers without ``.0``, dates as ISO."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if not math.isfinite(v):
            return ""
        return str(int(v)) if v.is_integer() and abs(v) < 1e21 else repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    return str(v).strip()


def _choose_header(rows: list[list[str]], known: set[str], header_row: int | None, name: str) -> int:
    """Index of the header row: the given one (1-based), else the first of the first 30 rows with
    at least two cells that are known column names (one if only one is known), else the first
    non-empty row."""
    if header_row is not None:
        if not 1 <= header_row <= len(rows):
            raise DataError(f"{name}: inputs.header_row is {header_row} but the table has {len(rows)} rows")
        return header_row - 1
    need = 2 if len(known) >= 2 else 1
    for k, row in enumerate(rows[:30]):
        if sum(1 for c in row if c and header_key(c) in known) >= need:
            return k
    return next((k for k, row in enumerate(rows) if any(c for c in row)), 0)


def _frame_from_rows(rows: list[list[str]], labels: list[int], name: str, known: set[str],
                     header_row: int | None) -> tuple[pd.DataFrame, np.ndarray]:
    """Header detection, duplicate-header check and the text frame of a table read as rows."""
    if not rows or not any(any(c for c in r) for r in rows):
        raise DataError(f"{name}: the file is empty")
    h = _choose_header(rows, known, header_row, name)
    width = max(len(r) for r in rows)
    header = [str(c).strip().lstrip("\ufeff") for c in rows[h]] + [""] * (width - len(rows[h]))
    body = [r + [""] * (width - len(r)) for r in rows[h + 1:]]
    body_labels = labels[h + 1:]
    keep = [i for i, r in enumerate(body) if any(c.strip() for c in r)]  # blank rows are skipped
    body = [body[i] for i in keep]
    body_labels = [body_labels[i] for i in keep]
    cols = []
    for j, c in enumerate(header):
        if not c:
            if not any(r[j].strip() for r in body):
                continue  # an empty column without a header
            c = f"column {column_letter(j)}"
        cols.append((j, c))
    seen: dict[str, tuple[int, str]] = {}
    dup = []
    for j, c in cols:
        key = header_key(c)
        if key in seen:
            j0, c0 = seen[key]
            dup.append(f"column {column_letter(j0)} ({c0!r}) and column {column_letter(j)} ({c!r})")
        else:
            seen[key] = (j, c)
    if dup:
        raise DataError(f"{name}: the header (row {labels[h]}) names the same column twice: " + "; ".join(dup)
                        + ". Rename or delete one of them.")
    if not body:
        raise DataError(f"{name}: the file has a header (row {labels[h]}) but no data rows")
    df = pd.DataFrame({c: [r[j].strip() for r in body] for j, c in cols}, dtype=object)
    return df.astype(str), np.asarray(body_labels, dtype=np.int64)


def _read_csv_rows(path: Path, enc: str, tsv: bool) -> tuple[list[list[str]], list[int]]:
    name = path.name
    try:
        text = path.read_text(encoding=enc)
    except UnicodeDecodeError as e:
        raise DataError(f"{name}: cannot decode the file as {enc} ({e.reason}); check `inputs.encoding`") from None
    text = text.lstrip("\ufeff")
    if tsv:
        delim = "\t"
    else:
        try:
            delim = csv.Sniffer().sniff(text[:20000], delimiters=",;\t|").delimiter
        except csv.Error:
            delim = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, skipinitialspace=True)
    rows, labels = [], []
    try:
        for row in reader:
            rows.append([c.strip() for c in row])
            labels.append(reader.line_num)
    except csv.Error as e:
        raise DataError(f"{name}: not a valid CSV file (line {reader.line_num}: {e})") from None
    return rows, labels


def _read_excel_rows(path: Path, sheet: str | None) -> tuple[list[list[str]], list[int], str]:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as e:  # calamine raises several types for damaged or protected files
        raise DataError(f"{path.name}: cannot read the workbook ({type(e).__name__}: {e})") from None
    names = list(wb.sheet_names)
    if not names:
        raise DataError(f"{path.name}: the workbook has no sheets")
    if sheet is None:
        sheet = names[0]
    elif sheet not in names:
        raise DataError(f"{path.name}: there is no sheet {sheet!r} (inputs.sheets); the sheets are: {', '.join(names)}")
    data = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    rows = [[_cell_text(v) for v in r] for r in data]
    return rows, list(range(1, len(rows) + 1)), sheet


EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}


def read_table(path: Path, *, encoding: str = "auto", layer: str | None = None, sheet: str | None = None,
               header_row: int | None = None, known_headers: Iterable[str] = ()) -> RawTable:
    """Read a CSV, Excel or spatial file into text columns; raise :class:`DataError` if unreadable.

    Excel workbooks (``.xlsx``, ``.xlsm``, ``.xls``, ``.xlsb``, ``.ods``; read with python-calamine)
    are read from ``sheet`` (default: the first); every cell becomes the text a user sees (ids
    keep leading zeros when stored as text; whole numbers lose the ``.0``). In CSV and Excel
    tables the header is row ``header_row`` (1-based) if given, else the first row with known
    column names (``known_headers``, matched by :func:`header_key`), so a title row above the
    header is skipped. Row labels are the row numbers the user sees (Excel row, CSV line).
    """
    name = path.name
    if not path.exists():
        raise DataError(f"{name}: file not found ({path})")
    suffix = path.suffix.lower()
    known = {header_key(k) for k in known_headers}
    if suffix in (".csv", ".txt", ".tsv"):
        enc = _detect_encoding(path, encoding)
        if path.stat().st_size == 0:
            raise DataError(f"{name}: the file is empty")
        rows, labels = _read_csv_rows(path, enc, suffix == ".tsv")
        df, rl = _frame_from_rows(rows, labels, name, known, header_row)
        return RawTable(name, df.reset_index(drop=True), rl, enc)
    if suffix in EXCEL_SUFFIXES:
        rows, labels, sheet = _read_excel_rows(path, sheet)
        label = f"{name}, sheet {sheet}"
        df, rl = _frame_from_rows(rows, labels, label, known, header_row)
        return RawTable(label, df.reset_index(drop=True), rl, None, sheet=sheet)
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
    raise DataError(f"{name}: unsupported file type {suffix!r}; use Excel (.xlsx, .xls), CSV, GeoJSON, GeoPackage, "
                    "GeoParquet or Shapefile")


def map_columns(raw: RawTable, aliases: dict[str, list[str]], overrides: dict[str, str],
                required: list[str], problems: ProblemCollector, *, setting: str = "inputs.columns") -> dict[str, str]:
    """Canonical column -> actual column in ``raw``: the user's ``overrides`` (canonical -> header)
    first, then the aliases in order (matched by :func:`header_key`: case, spaces and a unit in
    brackets do not count); a column is used for one canonical name only."""
    cols: dict[str, str] = {}
    for c in raw.frame.columns:
        cols.setdefault(header_key(c), c)
    found: dict[str, str] = {}
    for canon, want in overrides.items():
        if canon not in aliases:
            problems.add(raw.name, f"{setting}: {canon!r} is not a column the planner reads; it reads "
                         f"{', '.join(aliases)}", field=canon)
            continue
        col = want if want in raw.frame.columns else cols.get(header_key(want))
        if col is None:
            problems.add(raw.name, f"column {want!r} ({setting}.{canon}) is not in the file; "
                         f"columns are: {', '.join(raw.frame.columns)}", field=canon)
        else:
            found[canon] = col
    for canon, names in aliases.items():
        if canon in found or canon in overrides:
            continue
        # Shapefiles truncate column names to 10 characters: accept the truncated form too
        for n in [*names, *(x[:10] for x in names if len(x) > 10)]:
            col = cols.get(header_key(n))
            if col is not None and col not in found.values():
                found[canon] = col
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


def coordinate_columns(raw: RawTable, colmap: dict[str, str], crs: str, problems: ProblemCollector
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validated lon/lat arrays in WGS84 and as given (in ``crs``), NaN where invalid (problems
    recorded): ``(lon_wgs84, lat_wgs84, lon_input, lat_input)``. The input values are kept so that
    outputs give back exactly the numbers the user's map provider gave."""
    if "lon" in colmap and "lat" in colmap:
        lon = number_column(raw, colmap["lon"], "lon", problems, required=True)
        lat = number_column(raw, colmap["lat"], "lat", problems, required=True)
    elif raw.geometry_lonlat is not None:
        lon, lat = (np.array(a, dtype=float) for a in raw.geometry_lonlat)
        for k in np.flatnonzero(np.isnan(lon) | np.isnan(lat)):
            problems.add(raw.name, "feature has no geometry", row=int(raw.rows[k]), field="geometry")
    else:
        empty = np.full(len(raw.frame), np.nan)
        return empty, empty.copy(), empty.copy(), empty.copy()
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
    lon_in, lat_in = lon.copy(), lat.copy()
    if crs != "wgs84" and valid.any():
        wl, wt = to_wgs84(lon[valid], lat[valid], crs)
        lon[valid], lat[valid] = wl, wt
    return lon, lat, lon_in, lat_in


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
    sub = RawTable(raw.name, raw.frame[keep].reset_index(drop=True), raw.rows[keep], raw.encoding, lonlat, geom,
                   raw.sheet)
    return sub, values[keep]


def text_column(raw: RawTable, colmap: dict[str, str], canon: str) -> np.ndarray:
    if canon not in colmap:
        return np.array([""] * len(raw.frame), dtype=object)
    return raw.frame[colmap[canon]].astype(str).to_numpy(dtype=object)


def parsed_column(raw: RawTable, colmap: dict[str, str], canon: str, parse, problems, *, default,
                  message=None) -> list:
    """Column ``canon`` read cell by cell with ``parse``; a cell it cannot read is reported
    (``message(text, error)``, default the error itself) with its file, row and field, and gets
    ``default``."""
    out = []
    for k, t in enumerate(text_column(raw, colmap, canon)):
        try:
            out.append(parse(t))
        except ValueError as e:
            problems.add(raw.name, message(t, e) if message else str(e), row=int(raw.rows[k]), field=canon)
            out.append(default)
    return out

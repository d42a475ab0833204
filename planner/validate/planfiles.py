"""The validator's own reader of a plan folder: CSV tables as text with file row numbers, JSON files.

It does not use the planner's plan module: a bug in how the planner reads or writes its folders
must not hide from the validator. Every CSV value is kept as text; numbers and clock times are
parsed by the checks that need them (:func:`whole_numbers`, :func:`clock_times`), which report a
bad value as a ``format`` finding naming the file, the row and the column.

Row numbers are those of the file as people see it in a spreadsheet or editor: the header is
row 1 and each record's row is the line it starts on (records with quoted line breaks take
several lines).
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path

from planner.errors import PlanFormatError
from planner.validate.findings import ValidationReport

COLUMNS = {
    "assignments.csv": ("retailer_id", "manager_id", "team"),
    "visits.csv": ("manager_id", "day_index", "date", "sequence", "retailer_id", "arrival", "departure",
                   "travel_s", "service_s"),
    "unplanned.csv": ("retailer_id", "manager_id", "class", "day_index", "date", "reason", "message"),
    "managers.csv": ("manager_id", "team", "lon", "lat", "shift_start", "shift_end", "vacant"),
}
OPTIONAL = {
    # plans made since coordinates come back in the input CRS (lon, lat) next to WGS84, and since
    # specialists, contacts, leave and duties (kind, role, skills, leave)
    "assignments.csv": ("class", "class_rule", "lon", "lat", "lon_wgs84", "lat_wgs84"),
    "visits.csv": ("lon", "lat", "lon_wgs84", "lat_wgs84", "kind"),
    "unplanned.csv": ("kind",),
    "managers.csv": ("lon_wgs84", "lat_wgs84", "role", "skills", "leave"),
}
CONTACTS = "contacts.csv"
CONTACT_COLUMNS = ("manager_id", "date", "start", "end", "retailer_id", "phone")
"""``contacts.csv`` (plans made since contacts are scheduled; ``day_index`` and ``kind`` optional)."""
JSON_FILES = ("routes.geojson", "territories.geojson", "kpis.json", "manifest.json")
REQUIRED_FILES = (*COLUMNS, *JSON_FILES, "scenario.yaml")


@dataclass(frozen=True, slots=True, kw_only=True)
class Table:
    """A CSV file as text: ``columns`` name -> values, and the file row of every record."""

    name: str
    columns: dict[str, list[str]]
    rows: list[int]

    def __len__(self) -> int:
        return len(self.rows)

    def col(self, name: str) -> list[str]:
        return self.columns[name]


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanFiles:
    """Everything a plan folder holds that the validator reads."""

    folder: Path
    assignments: Table
    visits: Table
    unplanned: Table
    managers: Table
    routes: list[dict]  # GeoJSON features; feature k is "routes.geojson row k + 1"
    territories: list[dict]
    kpis: dict
    manifest: dict
    scenario_text: str
    contacts: Table | None = None  # contacts.csv (None: a plan made before contacts were scheduled)

    def kind(self, table: Table, k: int, default: str = "regular") -> str:
        """The ``kind`` of row ``k`` of ``visits.csv`` / ``unplanned.csv`` (older plans: regular)."""
        col = table.columns.get("kind")
        return (col[k] or default) if col is not None else default


def read_csv_table(path: Path, columns: tuple[str, ...], optional: tuple[str, ...] = ()) -> Table:
    """Read a UTF-8 CSV file as text columns (``columns``, and those of ``optional`` the file
    has); raise :class:`PlanFormatError` if it is unreadable or lacks a column, and on a record
    with the wrong number of fields (naming its row)."""
    name = path.name
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                raise PlanFormatError(f"{path}: the file is empty (a header row is needed)")
            header = [h.strip() for h in header]
            missing = [c for c in columns if c not in header]
            if missing:
                raise PlanFormatError(f"{path}: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
            columns = (*columns, *(c for c in optional if c in header and c not in columns))
            pos = [header.index(c) for c in columns]
            data: dict[str, list[str]] = {c: [] for c in columns}
            rows: list[int] = []
            start = reader.line_num + 1
            for rec in reader:
                if not rec or (len(rec) == 1 and not rec[0].strip()):
                    start = reader.line_num + 1
                    continue
                if len(rec) != len(header):
                    raise PlanFormatError(f"{name} row {start}: {len(rec)} fields, the header has {len(header)}")
                for c, p in zip(columns, pos, strict=True):
                    data[c].append(rec[p].strip())
                rows.append(start)
                start = reader.line_num + 1
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise PlanFormatError(f"{path}: unreadable ({e})") from None
    return Table(name=name, columns=data, rows=rows)


def read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise PlanFormatError(f"{path}: not valid JSON ({e})") from None


def read_plan_folder(folder: Path) -> PlanFiles:
    """Read a plan folder; raise :class:`PlanFormatError` naming what is missing or unreadable."""
    folder = Path(folder)
    if not folder.is_dir():
        raise PlanFormatError(f"{folder} is not a plan folder")
    missing = [f for f in REQUIRED_FILES if not (folder / f).is_file()]
    if missing:
        raise PlanFormatError(f"{folder} is not a complete plan: missing {', '.join(missing)}")
    tables = {n: read_csv_table(folder / n, cols, OPTIONAL.get(n, ())) for n, cols in COLUMNS.items()}
    js = {n: read_json(folder / n) for n in JSON_FILES}
    for n in ("routes.geojson", "territories.geojson"):
        if not isinstance(js[n], dict) or not isinstance(js[n].get("features", []), list):
            raise PlanFormatError(f"{folder / n}: not a GeoJSON FeatureCollection")
    for n in ("kpis.json", "manifest.json"):
        if not isinstance(js[n], dict):
            raise PlanFormatError(f"{folder / n}: must hold a JSON object")
    try:
        scenario_text = (folder / "scenario.yaml").read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise PlanFormatError(f"{folder / 'scenario.yaml'}: unreadable ({e})") from None
    contacts = (read_csv_table(folder / CONTACTS, CONTACT_COLUMNS, ("day_index", "kind"))
                if (folder / CONTACTS).is_file() else None)
    return PlanFiles(folder=folder, assignments=tables["assignments.csv"], visits=tables["visits.csv"],
                     unplanned=tables["unplanned.csv"], managers=tables["managers.csv"],
                     routes=js["routes.geojson"].get("features", []),
                     territories=js["territories.geojson"].get("features", []),
                     kpis=js["kpis.json"], manifest=js["manifest.json"], scenario_text=scenario_text,
                     contacts=contacts)


# --- values ---------------------------------------------------------------------------------

def parse_whole(text: str) -> int | None:
    """``"12"`` / ``"12.0"`` -> 12; anything else -> ``None``."""
    t = text.strip()
    try:
        return int(t)
    except ValueError:
        pass
    try:
        x = float(t)
    except ValueError:
        return None
    return int(x) if math.isfinite(x) and x == int(x) else None


def parse_time_of_day(text: str) -> int | None:
    """``"HH:MM:SS"`` or ``"HH:MM"`` -> seconds from midnight (hours may pass 24); else ``None``."""
    parts = text.strip().split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        return None
    h, m, s = (int(p) for p in (parts + ["0"])[:3])
    if m >= 60 or s >= 60:
        return None
    return h * 3600 + m * 60 + s


def hhmm(seconds: int) -> str:
    """Seconds from midnight -> ``"08:05"`` (``"08:05:30"`` when the seconds matter)."""
    s = int(seconds)
    base = f"{s // 3600:02d}:{s % 3600 // 60:02d}"
    return base if s % 60 == 0 else f"{base}:{s % 60:02d}"


def whole_numbers(table: Table, column: str, rep: ValidationReport, *, blank_ok: bool = False) -> list[int | None]:
    """The column as integers; a bad value is a ``format`` error and gives ``None``."""
    out: list[int | None] = []
    for v, row in zip(table.col(column), table.rows, strict=True):
        if blank_ok and v == "":
            out.append(None)
            continue
        x = parse_whole(v)
        if x is None:
            rep.error("format", f"{column} {v!r} is not a whole number", file=table.name, row=row)
        out.append(x)
    return out


def clock_times(table: Table, column: str, rep: ValidationReport) -> list[int | None]:
    """The column as seconds from midnight; a bad value is a ``format`` error and gives ``None``."""
    out: list[int | None] = []
    for v, row in zip(table.col(column), table.rows, strict=True):
        x = parse_time_of_day(v)
        if x is None:
            rep.error("format", f"{column} {v!r} is not a clock time HH:MM:SS", file=table.name, row=row)
        out.append(x)
    return out


def decimals(table: Table, column: str, rep: ValidationReport) -> list[float | None]:
    """The column as finite floats; a bad value is a ``format`` error and gives ``None``."""
    out: list[float | None] = []
    for v, row in zip(table.col(column), table.rows, strict=True):
        try:
            x = float(v)
            ok = math.isfinite(x)
        except ValueError:
            ok = False
        if not ok:
            rep.error("format", f"{column} {v!r} is not a number", file=table.name, row=row)
        out.append(x if ok else None)
    return out

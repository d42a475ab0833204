"""The retailer register: every retailer table a plan was made from, kept as a history that is
never overwritten (an embedded SQLite database, ``register.sqlite``, in the plan store).

Model (type-2 history)
----------------------
Each ``planner run``, ``rezone`` and ``batch`` region records the retailer table it read as a
**snapshot**. A retailer has **versions** keyed by its id (within a *scope*: the region of a
``regions.select`` run, ``""`` for a whole file), each valid from the snapshot that opened it
(``valid_from``) until the snapshot that closed it (``valid_to``, empty while current). A new
snapshot compares every retailer with its open version: a change of a tracked field (class,
tier, format, market type, location, manager, status) or of any other column of the row opens a
new version and closes the old one; a retailer missing from the table is closed (not deleted); a
closed retailer that comes back gets a new version. A version belongs to snapshot ``S`` of its
scope when ``from_snapshot <= S`` and it was not closed by ``S`` or earlier, so any snapshot can be
read back whole (``planner history --changes`` compares two plans' snapshots; ``planner rezone``
reads last quarter's retailers from it, whatever happened to the file since).

Writers use ``BEGIN IMMEDIATE`` transactions with a busy timeout, so two runs (or the workers of a
batch) recording at once are serialised and lose nothing; readers see committed snapshots only
(write-ahead log). The schema carries a version number (``meta.schema_version``) and is migrated
forward on open.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import PlannerError

REGISTER_NAME = "register.sqlite"
SCHEMA_VERSION = 1
TRACKED = ("class", "tier", "format", "market_type", "lon", "lat", "manager", "status")
"""Fields of a version shown by ``planner history`` (any other column change also makes a version)."""
LOCATION_EPS_DEG = 1e-7  # about 1 cm: coordinates closer than this are the same location
BUSY_TIMEOUT_S = 120.0

MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
        """CREATE TABLE snapshots (
             snapshot_id INTEGER PRIMARY KEY AUTOINCREMENT,
             recorded_at TEXT NOT NULL,
             scope TEXT NOT NULL,
             plan_id TEXT, plan_path TEXT, kind TEXT, scenario TEXT,
             source_path TEXT, source_sha256 TEXT,
             retailers INTEGER NOT NULL, new INTEGER NOT NULL, changed INTEGER NOT NULL,
             closed INTEGER NOT NULL)""",
        """CREATE TABLE versions (
             version_id INTEGER PRIMARY KEY AUTOINCREMENT,
             scope TEXT NOT NULL, retailer_id TEXT NOT NULL,
             valid_from TEXT NOT NULL, valid_to TEXT,
             from_snapshot INTEGER NOT NULL REFERENCES snapshots(snapshot_id),
             to_snapshot INTEGER REFERENCES snapshots(snapshot_id),
             class TEXT, tier TEXT, format TEXT, market_type TEXT, lon REAL, lat REAL, manager TEXT,
             status TEXT, name TEXT, changed TEXT NOT NULL, attributes TEXT NOT NULL)""",
        """CREATE INDEX versions_open ON versions(scope, retailer_id) WHERE to_snapshot IS NULL""",
        """CREATE INDEX versions_retailer ON versions(retailer_id)""",
        """CREATE INDEX versions_from ON versions(scope, from_snapshot)""",
    ],
}


class RegisterError(PlannerError):
    """The register cannot be read or written."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """One recorded retailer table."""

    snapshot_id: int
    recorded_at: str
    scope: str
    retailers: int
    new: int
    changed: int
    closed: int
    path: Path  # the register file

    def record(self) -> dict:
        """The snapshot as ``manifest.json`` names it."""
        return {"path": str(self.path), "snapshot": self.snapshot_id, "scope": self.scope,
                "recorded_at": self.recorded_at, "retailers": self.retailers, "new": self.new,
                "changed": self.changed, "closed": self.closed}


def register_path(store: Path) -> Path:
    return Path(store) / REGISTER_NAME


@contextmanager
def connect(path: Path, *, create: bool = True) -> Iterator[sqlite3.Connection]:
    """An open register (migrated to :data:`SCHEMA_VERSION`), closed at the end of the block."""
    path = Path(path)
    if not path.exists() and not create:
        raise RegisterError(f"no retailer register at {path} (it is made by planner run in the plan store)")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error as e:
        raise RegisterError(f"cannot open the retailer register {path}: {e}") from None
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        _migrate(con, path)
        yield con
    except sqlite3.DatabaseError as e:
        raise RegisterError(f"the retailer register {path} is unreadable: {e}") from None
    finally:
        con.close()


def _migrate(con: sqlite3.Connection, path: Path) -> None:
    con.execute("BEGIN IMMEDIATE")
    try:
        has_meta = con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
        version = 0
        if has_meta:
            row = con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise RegisterError(f"{path} was written by a newer planner (register schema {version}, this planner "
                                f"reads up to {SCHEMA_VERSION}); update the planner")
        for v in range(version + 1, SCHEMA_VERSION + 1):
            for stmt in MIGRATIONS[v]:
                con.execute(stmt)
            con.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)", (str(v),))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _text(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v)


def retailer_rows(retailers: pd.DataFrame, extra: pd.DataFrame | None = None) -> list[dict]:
    """The register's view of a dataset's retailers: tracked fields plus every column as text."""
    skip = {"hours", "order_days", "row", "x", "y", "service_s", "class_rule", "lon_input", "lat_input"}
    cols = [c for c in retailers.columns if c not in skip]
    ex = extra if extra is not None and len(extra.columns) else None
    values = {c: retailers[c].tolist() for c in cols}  # plain lists: per-cell pandas lookups are slow
    extra_values = {f"input:{c}": ex[c].tolist() for c in ex.columns} if ex is not None else {}
    ids, lon, lat = retailers["retailer_id"].tolist(), retailers["lon"].tolist(), retailers["lat"].tolist()
    out = []
    for k in range(len(retailers)):
        rec = {c: _text(values[c][k]) for c in cols}
        rec.update({c: _text(vals[k]) for c, vals in extra_values.items()})
        out.append({"retailer_id": str(ids[k]),
                    "class": rec.get("class", ""), "tier": rec.get("tier", ""), "format": rec.get("format", ""),
                    "market_type": rec.get("market_type", ""),
                    "lon": float(lon[k]), "lat": float(lat[k]),
                    "manager": rec.get("current_manager", ""), "status": rec.get("status", "") or "active",
                    "name": rec.get("name", ""),
                    "attributes": json.dumps({c: v for c, v in sorted(rec.items()) if c not in ("lon", "lat")},
                                             ensure_ascii=False, sort_keys=True)})
    return out


def _differences(old: sqlite3.Row, new: dict) -> list[str]:
    out = [f for f in ("class", "tier", "format", "market_type", "manager", "status") if (old[f] or "") != new[f]]
    if abs(float(old["lon"]) - new["lon"]) > LOCATION_EPS_DEG or abs(float(old["lat"]) - new["lat"]) > LOCATION_EPS_DEG:
        out.append("location")
    if not out and old["attributes"] != new["attributes"]:
        a, b = json.loads(old["attributes"]), json.loads(new["attributes"])
        out = sorted(k.removeprefix("input:") for k in set(a) | set(b) if a.get(k) != b.get(k))
    return out


def record_snapshot(store: Path, retailers: pd.DataFrame, *, extra: pd.DataFrame | None = None, scope: str = "",
                    plan_id: str = "", plan_path: str = "", kind: str = "run", scenario: str = "",
                    source_path: str = "", source_sha256: str = "") -> Snapshot:
    """Record the retailer table ``retailers`` (a dataset's, see :func:`retailer_rows`) as a new
    snapshot of ``scope`` in the store's register, in one transaction (see the module docstring)."""
    path = register_path(store)
    rows = retailer_rows(retailers, extra)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    with connect(path) as con:
        con.row_factory = sqlite3.Row
        con.execute("BEGIN IMMEDIATE")
        try:
            cur = con.execute(
                "INSERT INTO snapshots(recorded_at, scope, plan_id, plan_path, kind, scenario, source_path, "
                "source_sha256, retailers, new, changed, closed) VALUES (?,?,?,?,?,?,?,?,?,0,0,0)",
                (now, scope, plan_id, plan_path, kind, scenario, source_path, source_sha256, len(rows)))
            sid = int(cur.lastrowid)
            open_rows = {r["retailer_id"]: r for r in con.execute(
                "SELECT * FROM versions WHERE scope=? AND to_snapshot IS NULL", (scope,))}
            new = changed = 0
            seen: set[str] = set()
            inserts = []
            closes = []
            for rec in rows:
                rid = rec["retailer_id"]
                seen.add(rid)
                old = open_rows.get(rid)
                if old is None:
                    new += 1
                    diff = ["new"]
                else:
                    diff = _differences(old, rec)
                    if not diff:
                        continue
                    changed += 1
                    closes.append(int(old["version_id"]))
                inserts.append((scope, rid, now, sid, rec["class"], rec["tier"], rec["format"], rec["market_type"],
                                rec["lon"], rec["lat"], rec["manager"], rec["status"], rec["name"], ",".join(diff),
                                rec["attributes"]))
            gone = [int(r["version_id"]) for rid, r in open_rows.items() if rid not in seen]
            con.executemany("UPDATE versions SET valid_to=?, to_snapshot=? WHERE version_id=?",
                            [(now, sid, v) for v in closes + gone])
            con.executemany(
                "INSERT INTO versions(scope, retailer_id, valid_from, from_snapshot, class, tier, format, market_type, "
                "lon, lat, manager, status, name, changed, attributes) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", inserts)
            con.execute("UPDATE snapshots SET new=?, changed=?, closed=? WHERE snapshot_id=?",
                        (new, changed, len(gone), sid))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return Snapshot(snapshot_id=sid, recorded_at=now, scope=scope, retailers=len(rows), new=new, changed=changed,
                    closed=len(gone), path=path)


def snapshot_retailers(path: Path, snapshot_id: int) -> pd.DataFrame:
    """The retailers of a snapshot (one row each: their version then): retailer_id, the tracked
    fields, name, version_id, valid_from, valid_to, attributes (JSON)."""
    with connect(path, create=False) as con:
        row = con.execute("SELECT scope FROM snapshots WHERE snapshot_id=?", (int(snapshot_id),)).fetchone()
        if row is None:
            raise RegisterError(f"{path} has no snapshot {snapshot_id}")
        return pd.read_sql_query(
            "SELECT retailer_id, class, tier, format, market_type, lon, lat, manager, status, name, version_id, "
            "valid_from, valid_to, changed, attributes FROM versions WHERE scope=? AND from_snapshot<=? AND "
            "(to_snapshot IS NULL OR to_snapshot>?) ORDER BY retailer_id", con,
            params=(row[0], int(snapshot_id), int(snapshot_id)))


def retailer_history(path: Path, retailer_id: str) -> pd.DataFrame:
    """Every version of a retailer (all scopes), oldest first."""
    with connect(path, create=False) as con:
        return pd.read_sql_query(
            "SELECT v.scope, v.retailer_id, v.valid_from, v.valid_to, v.class, v.tier, v.format, v.market_type, "
            "v.lon, v.lat, v.manager, v.status, v.name, v.changed, s.plan_id AS opened_by, "
            "t.plan_id AS closed_by FROM versions v JOIN snapshots s ON s.snapshot_id=v.from_snapshot "
            "LEFT JOIN snapshots t ON t.snapshot_id=v.to_snapshot WHERE v.retailer_id=? "
            "ORDER BY v.scope, v.version_id", con, params=(str(retailer_id),))


def snapshots(path: Path) -> pd.DataFrame:
    """Every snapshot of the register, oldest first."""
    with connect(path, create=False) as con:
        return pd.read_sql_query("SELECT * FROM snapshots ORDER BY snapshot_id", con)


def _metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance (m) between WGS84 points (haversine)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


CHANGE_COLUMNS = ["retailer_id", "change", "field", "before", "after"]


def snapshot_changes(before: pd.DataFrame, after: pd.DataFrame, *, moved_m: float = 50.0) -> pd.DataFrame:
    """What changed between two snapshots (:func:`snapshot_retailers`): one row per change,
    ``change`` one of ``new``, ``closed``, ``reclassified``, ``moved`` (farther than ``moved_m``),
    ``changed`` (tier, format, market type, manager, status)."""
    b = before.set_index("retailer_id")
    a = after.set_index("retailer_id")
    rows = []
    for rid in sorted(set(a.index) - set(b.index)):
        rows.append((rid, "new", "", "", a.at[rid, "class"]))
    for rid in sorted(set(b.index) - set(a.index)):
        rows.append((rid, "closed", "", b.at[rid, "class"], ""))
    both = sorted(set(a.index) & set(b.index))
    if both:
        ab, bb = a.loc[both], b.loc[both]
        dist = _metres(bb["lon"].to_numpy(float), bb["lat"].to_numpy(float), ab["lon"].to_numpy(float),
                       ab["lat"].to_numpy(float))
        for k, rid in enumerate(both):
            if (bb.at[rid, "class"] or "") != (ab.at[rid, "class"] or ""):
                rows.append((rid, "reclassified", "class", bb.at[rid, "class"], ab.at[rid, "class"]))
            if dist[k] > moved_m:
                rows.append((rid, "moved", "location", f"{bb.at[rid, 'lon']:.6f},{bb.at[rid, 'lat']:.6f}",
                             f"{ab.at[rid, 'lon']:.6f},{ab.at[rid, 'lat']:.6f} ({dist[k]:.0f} m)"))
            for f in ("tier", "format", "market_type", "manager", "status"):
                if (bb.at[rid, f] or "") != (ab.at[rid, f] or ""):
                    rows.append((rid, "changed", f, bb.at[rid, f], ab.at[rid, f]))
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


__all__ = ["record_snapshot", "snapshot_retailers", "retailer_history", "snapshots", "snapshot_changes",
           "register_path", "connect", "Snapshot", "RegisterError", "REGISTER_NAME", "SCHEMA_VERSION", "TRACKED",
           "CHANGE_COLUMNS"]

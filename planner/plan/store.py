"""The plan store: immutable plan history in a scenario's ``output.folder``.

Every ``planner run`` without ``--out`` adds a new timestamped plan folder to the store
(``YYYYMMDD-HHMMSS-<scenario>-seed<N>``; an existing folder is never overwritten). After the folder
has been written and renamed into place, :func:`seal` removes the write permission of its files,
so a stored plan cannot be edited by accident; a plan written with ``--out`` elsewhere is the
user's own copy and stays writable. :func:`list_plans` reads the store for ``planner history``.

A plan is reproducible: its ``manifest.json`` records the scenario file and the input files
(paths and sha256), the seed, the methods and the package versions; the same scenario, inputs
and seed give the same plan files (with ``solver.max_iterations`` set, independent of machine
speed), apart from the creation time and timings.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from planner.errors import PlannerError

WRITE_BITS = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH


def new_plan_folder(loaded, seed: int, kind: str = "", *, store: Path | None = None) -> Path:
    """The path of a new plan folder in the scenario's store (``output.folder``):
    ``YYYYMMDD-HHMMSS-<scenario file>[-<kind>]-seed<N>`` (``-2``, ``-3``... if taken).

    The one naming rule of every output the store keeps (``planner run``: no kind; ``planner
    rezone``: ``rezone``; ``planner frontier``: ``frontier-<param>``; ``planner edit``: ``edit``).
    ``store`` names another store folder than the scenario's.
    """
    store = store_of(loaded) if store is None else Path(store).resolve()
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    slug = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in loaded.path.stem)
    base = store / f"{stamp}-{slug}{'-' + kind if kind else ''}-seed{seed}"
    folder, n = base, 1
    while folder.exists():
        n += 1
        folder = Path(f"{base}-{n}")
    return folder


def seal(folder: Path) -> int:
    """Make every file under ``folder`` read-only (folders stay listable); return the file count."""
    n = 0
    for root, _dirs, files in os.walk(folder):
        for f in sorted(files):
            p = Path(root) / f
            mode = p.stat().st_mode
            os.chmod(p, mode & ~WRITE_BITS)
            n += 1
    return n


def is_sealed(folder: Path) -> bool:
    """True if no file under ``folder`` has a write permission bit."""
    for root, _dirs, files in os.walk(folder):
        for f in files:
            if (Path(root) / f).stat().st_mode & WRITE_BITS:
                return False
    return True


def store_of(loaded) -> Path:
    """The plan store (``output.folder``) of a loaded scenario."""
    return Path(loaded.resolve(loaded.scenario.output.folder)).resolve()


def in_store(folder: Path, loaded) -> bool:
    """True if ``folder`` is a plan folder directly inside the scenario's store."""
    return Path(folder).resolve().parent == store_of(loaded)


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanRecord:
    """One stored plan as ``planner history`` lists it."""

    id: str
    path: Path
    created: str | None
    scenario: str
    seed: int | None
    territories: str
    imbalance: float | None
    travel_share: float | None
    key_frequency_compliance: float | None
    unplanned_visits: int | None
    baseline_imbalance: float | None
    valid: bool | None
    sealed: bool
    has_report: bool


def _json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def list_plans(store: Path) -> list[PlanRecord]:
    """Complete plan folders in ``store`` (those with a ``manifest.json``), oldest first.

    Temporary folders of runs in progress (``.name.tmp-*``) and other folders (e.g. frontier
    sweeps) are skipped.
    """
    store = Path(store)
    if not store.is_dir():
        raise PlannerError(f"plan store {store} does not exist (it is the scenario's output.folder; "
                           "use --store to name another folder)")
    out = []
    for p in sorted(store.iterdir()):
        if not p.is_dir() or p.name.startswith(".") or not (p / "manifest.json").exists():
            continue
        man = _json(p / "manifest.json") or {}
        kpis = _json(p / "kpis.json") or {}
        val = _json(p / "validation.json")
        g = kpis.get("global", {})
        b = kpis.get("baseline", {}).get("global", {})
        out.append(PlanRecord(
            id=p.name, path=p, created=man.get("created"), scenario=str(man.get("scenario", {}).get("name", "")),
            seed=man.get("seed"), territories=str(man.get("methods", {}).get("territories", "")),
            imbalance=g.get("imbalance"), travel_share=g.get("travel_share"),
            key_frequency_compliance=g.get("key_frequency_compliance"), unplanned_visits=g.get("unplanned_visits"),
            baseline_imbalance=b.get("imbalance"), valid=None if val is None else bool(val.get("ok")),
            sealed=is_sealed(p), has_report=(p / "report.html").exists()))
    out.sort(key=lambda r: (r.created or "", r.id))
    return out


def local_time(iso: str | None) -> str:
    if not iso:
        return "-"
    try:
        return dt.datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


__all__ = ["new_plan_folder", "seal", "is_sealed", "in_store", "store_of", "list_plans", "PlanRecord", "local_time"]

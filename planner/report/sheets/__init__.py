"""Route sheets: what a customer manager takes into the field, and the field-app export.

Every plan folder holds ``sheets/<manager_id>.html`` and ``sheets/<manager_id>.xlsx`` (the
manager's stops of each working day in order, with times, shop details, why the day, a
navigation link and the day's remote contacts; :mod:`.page`, :mod:`.workbook`) and the export
``sheets/visits.jsonl`` and ``sheets/visits_by_day.csv`` (:mod:`.export`).

* :func:`sheets_for_run` makes them in the temporary plan folder of ``planner run`` (after
  validation, before the rename, like the reports); a failure is a warning and never loses the
  plan. The ``baseline/`` sub-plan gets none: managers work from the plan.
* :func:`write_sheets_folder` makes them again into a new folder (``planner sheets``): another
  language, another navigation app or base map, a subset of managers or days.

Owns: ``model`` (what a sheet shows), ``contacts`` (the remote contacts of each day),
``nav`` (navigation links), ``select`` (file names, ``--managers`` and ``--days``), ``page``,
``workbook``, ``export``. Reads plan folders through :mod:`planner.report.model`; never imports
the engine, the design, the validator or the workflows.
"""

from __future__ import annotations

import os
from pathlib import Path

from planner.report.i18n import check_lang
from planner.report.model import PlanView, load_view
from planner.report.sheets.export import visits_by_day_csv, visits_jsonl
from planner.report.sheets.model import ManagerSheets, build_sheets
from planner.report.sheets.nav import check_nav
from planner.report.sheets.page import render_sheet_html
from planner.report.sheets.select import parse_days, parse_ids, sheet_file
from planner.report.sheets.workbook import render_sheet_xlsx
from planner.report.tiles import Tiles, tiles_of

SHEETS_DIR = "sheets"
EXPORT_FILES = ("visits.jsonl", "visits_by_day.csv")


def sheet_files(view: PlanView, *, lang: str = "en", nav: str | None = None, tiles: Tiles | None = None,
                managers: list[str] | None = None, days: set[str] | None = None) -> dict[str, bytes]:
    """``{"<id>.html": ..., "<id>.xlsx": ..., "visits.jsonl": ..., "visits_by_day.csv": ...}``."""
    check_lang(lang)
    if nav is not None:
        check_nav(nav)
    tiles = tiles or tiles_of(view.report)
    sheets: list[ManagerSheets] = build_sheets(view, lang=lang, nav=nav, managers=managers, days=days)
    files: dict[str, bytes] = {}
    for ms in sheets:
        files[sheet_file(ms.manager_id, "html")] = render_sheet_html(
            ms, lang=lang, tiles=tiles, plan_label=view.label, scenario_name=view.scenario_name).encode("utf-8")
        files[sheet_file(ms.manager_id, "xlsx")] = render_sheet_xlsx(ms, lang=lang, created=view.manifest.get("created"))
    files["visits.jsonl"] = visits_jsonl(sheets)
    files["visits_by_day.csv"] = visits_by_day_csv(sheets)
    return files


def add_route_sheets(folder: Path, *, lang: str = "en", retailers=None, loaded=None, label: str | None = None,
                     tiles: Tiles | None = None) -> list[Path]:
    """Write ``sheets/`` into a (temporary, not yet committed) plan folder."""
    folder = Path(folder)
    view = load_view(folder, retailers=retailers, loaded=loaded, label=label, with_baseline=False)
    out = folder / SHEETS_DIR
    out.mkdir(exist_ok=True)
    written = []
    for name, data in sheet_files(view, lang=lang, tiles=tiles).items():
        (out / name).write_bytes(data)
        written.append(out / name)
    return written


def sheets_for_run(tmp: Path, *, ctx, lang: str, label: str, warn=None) -> list[Path]:
    """``planner run``'s hook: route sheets into the validated temporary plan folder.

    A failure never loses the plan: it is reported through ``warn`` (``PLANNER_DEBUG=1`` raises
    instead), the partial ``sheets/`` is removed, and ``planner sheets`` can make them later.
    """
    import shutil

    try:
        return add_route_sheets(tmp, lang=lang, retailers=ctx.ds.retailers, loaded=ctx.loaded, label=label)
    except Exception as e:
        if os.environ.get("PLANNER_DEBUG") or warn is None:
            raise
        warn(f"the plan is complete but its route sheets could not be made ({type(e).__name__}: {e}); "
             "make them later with: planner sheets PLAN_DIR --out DIR")
        shutil.rmtree(Path(tmp) / SHEETS_DIR, ignore_errors=True)
        return []


def write_sheets_folder(plan_dir: Path, out: Path, *, lang: str = "en", nav: str | None = None,
                        tiles: Tiles | None = None, managers: str | list[str] | None = None,
                        days: str | set[str] | None = None) -> Path:
    """Make the route sheets of the plan in ``plan_dir`` into the new folder ``out`` (atomically):
    ``out/<manager_id>.html|.xlsx``, ``visits.jsonl`` and ``visits_by_day.csv``."""
    from planner.plan.files import refuse_existing, write_folder

    check_lang(lang)
    if nav is not None:
        check_nav(nav)
    refuse_existing(out)
    ids = parse_ids(managers) if isinstance(managers, str) else managers
    sel = parse_days(days) if isinstance(days, str) else days
    view = load_view(Path(plan_dir), with_baseline=False)
    return write_folder(out, sheet_files(view, lang=lang, nav=nav, tiles=tiles, managers=ids, days=sel))


__all__ = ["sheet_files", "add_route_sheets", "sheets_for_run", "write_sheets_folder", "build_sheets", "sheet_file",
           "SHEETS_DIR", "EXPORT_FILES"]

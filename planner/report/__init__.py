"""Reports planners read: ``report.html`` and ``report.xlsx`` of a plan, and plan comparisons.

* :func:`add_plan_reports` writes both reports into a plan folder (``planner run`` calls it on
  the temporary folder, after validation and before the rename, so the reports are part of the
  atomically written plan; the ``baseline/`` sub-plan gets its own reports).
* :func:`write_report_folder` re-makes the reports of an existing plan into a new folder
  (``planner report``: another language, or with a frequency–travel curve); stored plans are
  never modified.
* :func:`planner.report.compare.write_comparison` compares plans (``planner compare``).

Languages: ``en`` (default) and ``zh``.

* :mod:`planner.report.sheets` makes the managers' route sheets and the field-app export
  (``sheets/`` of a plan folder, ``planner sheets``); the report's manager table links to them.

Base maps: ``report.tiles`` of the scenario or ``--tiles`` (:mod:`planner.report.tiles`: OSM,
AMap with the data moved to GCJ-02, Tianditu, none, or a URL template).

Owns: ``model`` (what a report shows of a plan), ``html``, ``mapdata`` (the map's data),
``team`` (the service team: specialists' workload, contacts, duties and leave),
``xlsx``, ``compare``, ``format``, ``svg`` and ``plots`` (charts), ``geo`` (compact
coordinates), ``tiles`` (base maps), ``i18n``, ``sheets`` (route sheets), ``vacuum`` (the service
vacuum's map layers and table), ``assess`` (``assessment.html``/``.xlsx`` of ``planner assess``, from
the tables the workflow gives it). Reads plan folders and
inputs; never imports the engine, the design, the validator or the workflows.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from planner.report.html import render_plan_html
from planner.report.i18n import LANGS, Locale, check_lang
from planner.report.model import PlanView, load_view, read_frontier
from planner.report.tiles import Tiles
from planner.report.xlsx import render_plan_xlsx

REPORT_FILES = ("report.html", "report.xlsx")


def plan_report_files(view: PlanView, *, lang: str = "en", frontier: pd.DataFrame | None = None,
                      tiles: Tiles | None = None, sheets_href: str | None = None) -> dict[str, bytes]:
    """``{"report.html": ..., "report.xlsx": ...}`` of a plan view (``tiles``: the base map, default
    the scenario's; ``sheets_href``: where the route sheets are, relative to the report)."""
    check_lang(lang)
    html = render_plan_html(view, lang=lang, frontier=frontier, tiles=tiles, sheets_href=sheets_href)
    return {"report.html": html.encode("utf-8"), "report.xlsx": render_plan_xlsx(view, lang=lang, frontier=frontier)}


def add_plan_reports(folder: Path, *, lang: str = "en", retailers: pd.DataFrame | None = None, loaded=None,
                     label: str | None = None) -> list[Path]:
    """Write the reports into a (temporary, not yet committed) plan folder and its ``baseline/``."""
    folder = Path(folder)
    view = load_view(folder, retailers=retailers, loaded=loaded, label=label)
    written = []
    targets = [(folder, view)]
    if view.baseline is not None:
        targets.append((folder / "baseline", view.baseline))
    for where, v in targets:
        href = "sheets/" if (where / "sheets").is_dir() else None  # the run makes the route sheets first
        for name, data in plan_report_files(v, lang=lang, sheets_href=href).items():
            (where / name).write_bytes(data)
            written.append(where / name)
    return written


def reports_for_run(tmp: Path, *, ctx, lang: str, label: str, warn=None) -> list[Path]:
    """``planner run``'s hook: reports into the validated temporary plan folder.

    A failure to make the reports never loses the plan: it is reported through ``warn`` (set
    ``PLANNER_DEBUG=1`` to raise instead) and ``planner report`` can make them later.
    """
    import os

    try:
        return add_plan_reports(tmp, lang=lang, retailers=ctx.ds.retailers, loaded=ctx.loaded, label=label)
    except Exception as e:
        if os.environ.get("PLANNER_DEBUG") or warn is None:
            raise
        warn(f"the plan is complete but its report could not be made ({type(e).__name__}: {e}); "
             "make it later with: planner report PLAN_DIR --out DIR")
        for where in (tmp, tmp / "baseline"):
            for name in REPORT_FILES:
                (where / name).unlink(missing_ok=True)
        return []


def write_report_folder(plan_dir: Path, out: Path, *, lang: str = "en", frontier: Path | None = None,
                        tiles: Tiles | None = None) -> Path:
    """Re-make the reports of the plan in ``plan_dir`` into the new folder ``out`` (atomically);
    the managers link to the plan's route sheets (``plan_dir/sheets``) when it has them."""
    import os

    from planner.errors import PlannerError
    from planner.plan.files import write_folder

    check_lang(lang)
    fr = None
    if frontier is not None:
        fr = read_frontier(Path(frontier))
        if fr is None:
            raise PlannerError(f"{frontier} is not a frontier.csv (needs key_frequency_compliance and travel_hours)")
    view = load_view(Path(plan_dir))
    sheets = Path(plan_dir).resolve() / "sheets"
    href = Path(os.path.relpath(sheets, Path(out).resolve())).as_posix() if sheets.is_dir() else None
    return write_folder(out, plan_report_files(view, lang=lang, frontier=fr, tiles=tiles, sheets_href=href))


__all__ = ["add_plan_reports", "reports_for_run", "write_report_folder", "check_lang", "plan_report_files", "render_plan_html", "render_plan_xlsx",
           "load_view", "PlanView", "Locale", "LANGS", "REPORT_FILES", "Tiles"]

"""The main job, ``planner run SCENARIO``: inputs -> travel -> territories -> calendars -> plan
folder -> validation -> reports.

The plan and its administrative baseline (today's assignment, scheduled with the same calendar
method so that the comparison isolates the territories) are built on the shared pipeline
(:mod:`planner.workflows.pipeline`); the folder is written atomically with the baseline in
``baseline/`` and validated from disk exactly as ``planner verify`` does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from planner.config.scenario import LoadedScenario
from planner.design.context import prepare
from planner.design.territories import market_territories
from planner.errors import Progress
from planner.plan.model import Plan
from planner.report import check_lang
from planner.validate import ValidationReport
from planner.workflows.pipeline import (
    add_baseline,
    administrative_baseline,
    build_plan,
    commit,
    target_folder,
)


@dataclass
class RunOutput:
    folder: Path
    plan: Plan
    baseline: Plan | None
    validation: ValidationReport


def run_scenario(loaded: LoadedScenario, *, out: Path | None = None, seed: int | None = None,
                 progress: Progress | None = None, with_baseline: bool = True, lang: str = "en",
                 job: str = "run") -> RunOutput:
    """Run a scenario end to end and write its plan folder (see module docstring).

    The folder also holds ``report.html`` and ``report.xlsx`` in language ``lang`` (``en``/``zh``);
    a plan written into the scenario's store (``output.folder``) is made read-only.
    """
    check_lang(lang)
    progress = progress or Progress()
    t_all = time.perf_counter()
    ctx = prepare(loaded, seed=seed, progress=progress)
    folder = target_folder(loaded, ctx.seed, out)
    t = time.perf_counter()
    admin = administrative_baseline(ctx)
    if loaded.scenario.territories.method == "market":
        progress.step("Designing market territories")
        terr = market_territories(ctx)
    else:
        terr = admin
    ctx.timings["territories_s"] = time.perf_counter() - t
    balance = terr is not admin and loaded.scenario.territories.calendar_balance
    plan = build_plan(ctx, terr, kind="plan", balance=balance)
    baseline = add_baseline(ctx, plan, admin, same=terr is admin) if with_baseline else None
    plan.manifest["timings_s"]["total_s"] = round(time.perf_counter() - t_all, 3)
    done = commit(ctx, plan, folder, lang=lang, progress=progress, job=job)
    return RunOutput(done.folder, plan, baseline, done.validation)


__all__ = ["run_scenario", "RunOutput"]

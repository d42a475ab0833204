"""``planner assess PLAN_DIR --actual LOG [--scores FILE] --out DIR``: the plan against what was done.

Reads the plan folder (``visits.csv``, ``assignments.csv``, ``managers.csv``, ``targets.csv``,
``contacts.csv`` when present, ``scenario.yaml`` for the classes and the ``assessment:`` weights),
a field log (:mod:`.log`: ``manager_id, date, retailer_id, kind, start, end``, CSV or Excel) and
optionally a scores file of per-manager indicator values (:mod:`.score`), and writes a new folder
``DIR`` atomically with:

* ``assessment.csv`` — one row per manager and specialist (vacant positions left out):
  ``manager_id, visits_planned, visits_done, completion, key_frequency, on_planned_day,
  extra_visits, role, team, visits_on_planned_day, visits_moved, visits_missed, extra_rate,
  hours_completion, key_visits_required, key_visits_done, contacts_planned, contacts_done,
  contact_rate, road_hours_planned, road_hours_done, road_ratio, road_efficiency, planned_hours,
  workload_index, planned_hours_index``, the scores file's values, ``score_<group>`` (0–100) per
  group, ``missing_groups`` and ``score`` (0–100); rates are fractions 0–1, empty when undefined;
* ``assessment_classes.csv`` — per manager and retailer class: planned, done, on the planned day,
  moved, missed and extra door visits;
* ``log_problems.csv`` — every bad row of the log (and of the scores file) with file, row, column,
  code, message and whether it was used (:mod:`.log`);
* ``assessment.json`` — the rates pooled over all posts, the groups with their weights and state,
  and what was read;
* ``assessment.xlsx`` and ``assessment.html`` (English or Chinese): the scores and the indicators
  behind them, bar charts per manager, the problems.

The indicators and the matching are defined in :mod:`.match`, the score in :mod:`.score`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.config.assessment import Assessment
from planner.config.scenario import load_scenario, parse_scenario
from planner.errors import PlanFormatError
from planner.plan.files import refuse_existing, write_folder
from planner.plan.model import Plan, read_plan
from planner.plan.targets import TARGET_COLUMNS, targets_table
from planner.report import check_lang
from planner.report.assess import render_assessment_html, render_assessment_xlsx
from planner.workflows.assess.log import PROBLEM_COLUMNS, FieldLog, read_log
from planner.workflows.assess.match import CLASS_COLUMNS, indicators, reference
from planner.workflows.assess.score import group_scores, read_scores

HEAD = ["manager_id", "visits_planned", "visits_done", "completion", "key_frequency", "on_planned_day",
        "extra_visits", "role", "team", "visits_on_planned_day", "visits_moved", "visits_missed", "extra_rate",
        "hours_completion", "key_visits_required", "key_visits_done", "contacts_planned", "contacts_done",
        "contact_rate", "road_hours_planned", "road_hours_done", "road_ratio", "road_efficiency", "planned_hours",
        "workload_index", "planned_hours_index"]
"""The first columns of ``assessment.csv`` (then the scores file's values, group scores, score)."""


@dataclass
class Result:
    """An assessment: the tables written and what the page and workbook show."""

    managers: pd.DataFrame  # assessment.csv
    classes: pd.DataFrame  # assessment_classes.csv
    problems: pd.DataFrame  # log_problems.csv
    overall: dict
    groups: list[dict]
    meta: dict = field(default_factory=dict)
    folder: Path | None = None


def plan_targets(folder: Path, plan: Plan, scenario) -> tuple[pd.DataFrame, list[str]]:
    """``targets.csv`` of the plan; for a plan made before it existed, recomputed from the plan's
    tables (class service times; no workload index) with a note."""
    path = folder / "targets.csv"
    if path.exists():
        t = pd.read_csv(path, dtype={"manager_id": str, "team": str, "role": str}, keep_default_na=False,
                        na_values={"workload_index": [""], "planned_hours_index": [""]})
        return t, []
    a = plan.assignments
    cls = a["class"].astype(str) if "class" in a else pd.Series([""] * len(a))
    svc = {c: p.service_min * 60.0 for c, p in scenario.classes.items()}
    retailers = pd.DataFrame({"retailer_id": a["retailer_id"].astype(str), "class": cls,
                              "service_s": cls.map(svc).fillna(0.0)})
    t = targets_table(plan, retailers=retailers, required={c: scenario.required_visits(c) for c in scenario.classes},
                      routed={c: p.mode == "visit" for c, p in scenario.classes.items()},
                      key_classes=set(scenario.key_class_set), workload_s=np.zeros(len(a)))
    t["workload_index"] = None
    return t[TARGET_COLUMNS], ["targets.csv is missing (an older plan): targets recomputed from the plan's tables, "
                               "without the workload index"]


def assess(plan_dir: Path, log_path: Path, *, scores_path: Path | None = None,
           settings_from: Path | None = None) -> Result:
    """Compare the plan in ``plan_dir`` with the field log ``log_path`` (see the module docstring).

    ``settings_from``: a scenario file whose ``assessment:`` section replaces the plan's.
    """
    folder = Path(plan_dir)
    plan = read_plan(folder)
    if plan.scenario_text is None:
        raise PlanFormatError(f"{folder} has no scenario.yaml: the classes and weights are unknown")
    spath = Path(str(plan.manifest.get("scenario", {}).get("path") or folder / "scenario.yaml"))
    sc = parse_scenario(plan.scenario_text, spath, check_files=False).scenario
    settings: Assessment = load_scenario(settings_from).scenario.assessment if settings_from else sc.assessment
    targets, notes = plan_targets(folder, plan, sc)
    contacts = None
    if (folder / "contacts.csv").exists():
        contacts = pd.read_csv(folder / "contacts.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    ref = reference(plan, targets, required={c: sc.required_visits(c) for c in sc.classes},
                    routed={c: p.mode == "visit" for c, p in sc.classes.items()}, key_classes=set(sc.key_class_set),
                    contacts=contacts)
    posts = set(ref.posts["manager_id"].astype(str))
    log: FieldLog = read_log(Path(log_path), managers=posts, retailers=set(ref.classes), days=ref.days)
    table, classes, overall = indicators(ref, log.rows, has_times=log.has_times)
    info = ref.posts[["manager_id", "role", "team", "planned_hours", "workload_index", "planned_hours_index"]]
    table = table.merge(info.astype({"manager_id": str}), on="manager_id", how="left")
    problems = [log.problems]
    scores = None
    wanted = {i for g in settings.groups.values() if g.source == "scores" for i in g.indicators}
    if scores_path is not None:
        scores, extra = read_scores(Path(scores_path), managers=posts, wanted=wanted)
        problems.append(pd.DataFrame(extra, columns=PROBLEM_COLUMNS))
        table = table.merge(scores, left_on="manager_id", right_index=True, how="left")
    grades, groups = group_scores(table, scores, settings)
    out = table[HEAD + ([c for c in scores.columns] if scores is not None else [])].merge(grades, on="manager_id")
    prob = pd.concat([p for p in problems if len(p)], ignore_index=True) if any(len(p) for p in problems) else \
        pd.DataFrame(columns=PROBLEM_COLUMNS)
    meta = {"plan": str(folder.resolve()), "plan_id": folder.resolve().name,
            "scenario": sc.name, "log": str(Path(log_path).resolve()), "log_rows": log.read,
            "log_rows_used": int(len(log.rows)), "log_has_times": log.has_times,
            "scores": str(Path(scores_path).resolve()) if scores_path else None,
            "horizon": {"start": min(ref.days) if ref.days else None, "end": max(ref.days) if ref.days else None},
            "problems_by_code": {str(k): int(v) for k, v in prob["code"].value_counts().sort_index().items()},
            "notes": notes + log.notes}
    return Result(managers=out, classes=classes[CLASS_COLUMNS], problems=prob[PROBLEM_COLUMNS], overall=overall,
                  groups=groups, meta=meta)


def csv_bytes(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False, encoding="utf-8").encode("utf-8")


def json_bytes(obj) -> bytes:
    def clean(x):
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [clean(v) for v in x]
        if isinstance(x, (float, np.floating)):
            return float(x) if np.isfinite(x) else None
        if isinstance(x, np.integer):
            return int(x)
        return x
    return json.dumps(clean(obj), indent=2, ensure_ascii=False).encode("utf-8")


def assessment_files(res: Result, *, lang: str = "en") -> dict[str, bytes]:
    """The files of an assessment folder (module docstring)."""
    kw = {"managers": res.managers, "classes": res.classes, "problems": res.problems, "overall": res.overall,
          "groups": res.groups, "meta": res.meta}
    return {"assessment.csv": csv_bytes(res.managers), "assessment_classes.csv": csv_bytes(res.classes),
            "log_problems.csv": csv_bytes(res.problems),
            "assessment.json": json_bytes({"overall": res.overall, "groups": res.groups, **res.meta}),
            "assessment.xlsx": render_assessment_xlsx(**kw, lang=lang),
            "assessment.html": render_assessment_html(**kw, lang=lang).encode("utf-8")}


def run_assessment(plan_dir: Path, log_path: Path, out: Path, *, scores_path: Path | None = None, lang: str = "en",
                   settings_from: Path | None = None) -> Result:
    """``planner assess``: assess and write the folder ``out`` atomically (refused if it exists)."""
    check_lang(lang)
    refuse_existing(out, "choose another --out folder")
    res = assess(plan_dir, log_path, scores_path=scores_path, settings_from=settings_from)
    res.folder = write_folder(out, assessment_files(res, lang=lang))
    return res


__all__ = ["assess", "run_assessment", "assessment_files", "Result", "HEAD"]

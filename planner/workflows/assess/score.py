"""The score: groups of indicators with weights (the scenario's ``assessment:`` section).

Each indicator becomes a value ``s`` in 0..1:

* a log indicator (``completion``, ``key_frequency``, ``on_planned_day``, ``contact_rate``,
  ``hours_completion``, ``road_efficiency``) is its rate, at most 1;
* a ``--scores`` indicator (a column of the scores file) is ``min(1, max(0, value / scale))``; with
  ``per_workload: true`` the value is first divided by the post's ``planned_hours_index``
  (targets.csv), so a count that grows with the size of a territory is compared at the same
  workload.

A group's score is the weighted mean of its indicators that have a value (indicator weights
renormalised over them); a group without any is *missing* for that manager. The score is
``100 x sum_g W_g G_g / sum_g W_g`` over the groups that are not missing (group weights
renormalised), so a missing group (no ``--scores`` file, a manager without a row in it, a column
the file lacks) neither counts as zero nor blocks the score; ``missing_groups`` names them.

The scores file is a CSV or Excel table with ``manager_id`` (or 工号, 客户经理编号) and one numeric
column per indicator. Unknown managers, repeated managers, unreadable numbers and columns the
groups name but the file lacks are listed in ``log_problems.csv`` (file = the scores file).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from planner.config.assessment import Assessment
from planner.errors import DataError, ProblemCollector
from planner.inputs.tables import header_key, map_columns, read_table
from planner.workflows.assess.log import LOG_ALIASES

SCORE_ID = {"manager_id": LOG_ALIASES["manager_id"]}


def read_scores(path: Path, *, managers: set[str], wanted: set[str]) -> tuple[pd.DataFrame, list[dict]]:
    """``(values, problems)``: per manager (index) the numeric columns of the scores file that the
    groups name (``wanted``, matched like headers), NaN where a value is missing or unreadable."""
    raw = read_table(Path(path), known_headers=[*SCORE_ID["manager_id"], *wanted])
    collector = ProblemCollector()
    cols = map_columns(raw, SCORE_ID, {}, ["manager_id"], collector, setting="scores columns")
    collector.raise_if_any(DataError, f"{raw.name}: the scores file cannot be read")
    f = raw.frame
    by_key = {header_key(c): c for c in f.columns if c != cols["manager_id"]}
    problems: list[dict] = []

    def bad(row, col, code, mid, message, used):
        problems.append({"file": raw.name, "row": row, "column": col, "code": code, "manager_id": mid,
                         "retailer_id": "", "date": "", "used": used, "message": message})

    present = {w: by_key[header_key(w)] for w in sorted(wanted) if header_key(w) in by_key}
    for w in sorted(set(wanted) - set(present)):
        bad(None, w, "missing_column", "", f"the scores file has no column {w!r} (columns: {', '.join(f.columns)})",
            False)
    data: dict[str, dict[str, float]] = {}
    ids = f[cols["manager_id"]].astype(str).str.strip()
    for k, mid in enumerate(ids):
        row = int(raw.rows[k])
        if mid not in managers:
            bad(row, cols["manager_id"], "unknown_manager", mid, f"manager {mid!r} is not assessed in this plan", False)
            continue
        if mid in data:
            bad(row, cols["manager_id"], "duplicate", mid, "a second row for this manager (the first is used)", False)
            continue
        vals = {}
        for w, c in present.items():
            text = str(f[c].iat[k]).strip().rstrip("%")
            try:
                x = float(text.replace(",", "")) if text else math.nan
            except ValueError:
                x = math.nan
                bad(row, c, "bad_number", mid, f"{f[c].iat[k]!r} is not a number", False)
            if not math.isfinite(x) and text:
                x = math.nan
            vals[w] = x
        data[mid] = vals
    for mid in sorted(managers - set(data)):
        bad(None, cols["manager_id"], "no_scores", mid, f"no row for {mid}: its scores groups are missing", False)
    return pd.DataFrame.from_dict(data, orient="index", columns=sorted(present)), problems


def group_scores(table: pd.DataFrame, scores: pd.DataFrame | None, settings: Assessment) -> tuple[pd.DataFrame, list[dict]]:
    """Per manager (rows of ``table``: the log indicators and ``planned_hours_index``): each group's
    score (0–100, ``score_<group>``), ``missing_groups`` and ``score``; and a description of each
    group (weight, share of the score it gets when present, source, indicators, state)."""
    out = pd.DataFrame({"manager_id": table["manager_id"]})
    total_w = np.zeros(len(table))
    total = np.zeros(len(table))
    missing: list[list[str]] = [[] for _ in range(len(table))]
    wsum = sum(g.weight for g in settings.groups.values())
    described = []
    for name, g in settings.groups.items():
        num = np.zeros(len(table))
        den = np.zeros(len(table))
        state = "used"
        for ind, w in g.indicators.items():
            if g.source == "log":
                vals = pd.to_numeric(table[ind], errors="coerce").to_numpy(float)
                s = np.clip(vals, 0.0, 1.0)
            else:
                if scores is None or ind not in scores.columns:
                    state = "no --scores file" if scores is None else f"no column {ind}"
                    continue
                vals = table["manager_id"].map(scores[ind]).astype(float).to_numpy()
                if g.per_workload:
                    idx = pd.to_numeric(table["planned_hours_index"], errors="coerce").to_numpy(float)
                    vals = np.where(idx > 0, vals / np.where(idx > 0, idx, 1.0), np.nan)
                s = np.clip(vals / g.scale, 0.0, 1.0)
            ok = np.isfinite(s)
            num += np.where(ok, w * np.nan_to_num(s), 0.0)
            den += np.where(ok, w, 0.0)
        has = den > 0
        score = np.where(has, 100.0 * num / np.where(has, den, 1.0), np.nan)
        out[f"score_{name}"] = score
        total += np.where(has, g.weight * np.nan_to_num(score), 0.0)
        total_w += np.where(has, g.weight, 0.0)
        for k in np.flatnonzero(~has):
            missing[k].append(name)
        if not has.any() and state == "used":
            state = "no values"
        described.append({"group": name, "weight": g.weight, "share": g.weight / wsum, "source": g.source,
                          "indicators": dict(g.indicators), "scale": g.scale if g.source == "scores" else None,
                          "per_workload": g.per_workload if g.source == "scores" else None,
                          "state": state,
                          "managers_with_values": int(has.sum())})
    out["missing_groups"] = [";".join(x) for x in missing]
    out["score"] = np.where(total_w > 0, total / np.where(total_w > 0, total_w, 1.0), np.nan)
    return out, described


__all__ = ["read_scores", "group_scores"]

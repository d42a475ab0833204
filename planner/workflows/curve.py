"""The balance-disruption curve of a re-zoning (``planner rezone --sweep``): the territories
re-solved for several disruption budgets, each scheduled (the scenario's calendar method, or the
greedy method with ``quick``), one row per budget, and a last row for the plan designed from
scratch (no previous plan) for reference.
"""

from __future__ import annotations

import time

import pandas as pd

from planner.design.context import Context
from planner.design.rezone import PreviousPlan, RezoneSetup, rezone_territories
from planner.design.territories import market_territories
from planner.plan.model import Plan
from planner.plan.moves import move_stats, rezone_summary
from planner.workflows.pipeline import build_plan

DEFAULT_SWEEP = (0.0, 0.02, 0.05, 0.10, 0.15, 0.20, 0.30, 1.0)
CURVE_COLUMNS = ["label", "max_moved", "moved_share", "moved", "forced_moves", "total_moved_share", "imbalance",
                 "design_imbalance", "travel_share", "compactness_min", "unplanned_visits", "weekday_kept_share",
                 "within_budget", "territory_status", "schedule", "runtime_s"]



def curve_row(label: str, budget: float | None, summary: dict, plan: Plan, terr, runtime: float) -> dict:
    g = plan.kpis["global"]
    levels = terr.details.get("levels", [])
    return {"label": label or (f"{100 * budget:g} %" if budget is not None else "from scratch"),
            "max_moved": budget, "moved_share": summary["moved_share"], "moved": summary["moved"],
            "forced_moves": summary["forced_moves"], "total_moved_share": summary["total_moved_share"],
            "imbalance": g.get("imbalance"), "design_imbalance": summary["design_imbalance"],
            "travel_share": g.get("travel_share"), "compactness_min": g.get("compactness_min"),
            "unplanned_visits": g.get("unplanned_visits"),
            "weekday_kept_share": summary["weekday_kept"]["share"],
            "within_budget": summary["within_budget"] if budget is not None else None,
            "territory_status": ",".join(sorted({lv.get("status", "") for lv in levels})),
            "schedule": plan.manifest.get("methods", {}).get("schedule", ""), "runtime_s": round(runtime, 2)}


def disruption_curve(ctx: Context, prev: PreviousPlan, setup: RezoneSetup, budgets: list[float], *,
                     quick: bool = False, penalty: float = 1200.0, with_scratch: bool = True,
                     reuse: dict | None = None) -> pd.DataFrame:
    """One row per budget (and one for the plan designed from scratch): moves, balance, travel."""
    method = "greedy" if quick else None
    rows = []
    budgets = sorted({round(float(b), 6) for b in budgets})
    items: list[float | None] = [*budgets, *([None] if with_scratch else [])]
    for b in items:
        key = (b, "scenario")
        if reuse and b is not None and key in reuse:
            rows.append({**reuse[key], "label": f"{100 * b:g} %"})
            continue
        t = time.perf_counter()
        ctx.progress.step("Balance-disruption curve: " + (f"budget {100 * b:g} %" if b is not None else "from scratch"))
        if b is None:
            terr = market_territories(ctx, slots=list(setup.slots))
        else:
            terr = rezone_territories(ctx, setup, max_moved=b)
        plan = build_plan(ctx, terr, kind="curve", previous_weekday=setup.weekday, move_penalty=penalty,
                                 method=method)
        stats = move_stats(ctx, prev, setup, terr)
        summary = rezone_summary(ctx, prev, setup, terr, plan, stats, max_moved=1.0 if b is None else b, key_weight=0.0,
                           penalty=penalty)
        rows.append(curve_row("", b, summary, plan, terr, time.perf_counter() - t))
    return pd.DataFrame(rows, columns=CURVE_COLUMNS)


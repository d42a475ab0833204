"""The service vacuum: where the administrative map and the market map disagree, service goes missing.

``kpis.json`` -> ``service_vacuum`` of every plan (see ``kpis.schema.json``)::

    ratio, minutes        the thresholds (scenario ``territories.service_vacuum``)
    retailers             retailers in a service vacuum: their administrative manager's base is
                          more than ``ratio`` times as far as the nearest manager's base and more
                          than ``minutes`` farther (soft travel times base -> retailer; a retailer
                          unreachable from either base is not counted)
    share                 retailers / all retailers
    resolved_by_plan      of those, retailers whose manager in this plan passes neither test
                          (its base is within ``ratio`` times or ``minutes`` of the nearest)
    district_source       "district" (the retailers' district column or polygons) or
                          "administrative_manager" (no districts: the administrative territories)
    split_markets         market areas (``market`` column) whose retailers lie in two or more
                          districts (retailers without a district are left out of the test)
    by_district           per district (sorted): retailers, vacuum_retailers, split_markets
                          (split market areas with retailers in the district)
    vacuum                per retailer in a vacuum (input order): retailer_id, district, market,
                          admin_manager_id, admin_s, nearest_manager_id, nearest_s, plan_manager_id,
                          plan_s (null for a vacant position), resolved
    markets               per split market area (sorted): market, retailers, districts {district: n}

The administrative manager is today's assignment as the baseline makes it
(:func:`planner.design.territories.administrative_territories`: ``current_manager``, else the
districts a manager serves, else the nearest base); the nearest manager is over the managers of
the managers file (specialists, ``role`` = specialist, left out). The independent validator
recomputes all of it with its own code.
"""

from __future__ import annotations

import numpy as np

from planner.design.territories import administrative_territories
from planner.plan.model import Plan
from solvers.common import UNREACHABLE

SPECIALIST = "specialist"


def service_vacuum(*, retailer_ids: np.ndarray, district: np.ndarray, market: np.ndarray, admin: np.ndarray,
                   plan_owner: np.ndarray, manager_ids: list[str], base_s: np.ndarray, ratio: float,
                   minutes: float) -> dict:
    """The ``service_vacuum`` section (module docstring) from plain arrays.

    ``admin``/``plan_owner``: manager id per retailer; ``base_s``: ``(managers, retailers)`` travel
    seconds from each manager's base (``manager_ids`` order) to each retailer.
    """
    n = len(retailer_ids)
    row = {m: k for k, m in enumerate(manager_ids)}
    cols = np.arange(n)
    t = np.asarray(base_s, dtype=float)
    admin_k = np.array([row.get(str(m), -1) for m in admin], dtype=np.int64)
    plan_k = np.array([row.get(str(m), -1) for m in plan_owner], dtype=np.int64)
    near_k = np.argmin(t, axis=0) if len(manager_ids) else np.zeros(n, np.int64)
    t_near = t[near_k, cols] if len(manager_ids) else np.full(n, float(UNREACHABLE))
    t_admin = np.where(admin_k >= 0, t[np.maximum(admin_k, 0), cols], float(UNREACHABLE))
    t_plan = np.where(plan_k >= 0, t[np.maximum(plan_k, 0), cols], np.nan)
    sec = minutes * 60.0

    def far(x: np.ndarray) -> np.ndarray:
        return (x > ratio * t_near) & (x - t_near > sec)

    ok = (t_admin < UNREACHABLE) & (t_near < UNREACHABLE)
    vac = ok & far(t_admin)
    plan_ok = (plan_k >= 0) & (np.nan_to_num(t_plan, nan=float(UNREACHABLE)) < UNREACHABLE)
    resolved = vac & plan_ok & ~far(np.nan_to_num(t_plan, nan=float(UNREACHABLE)))
    district = np.asarray(district, dtype=object).astype(str)
    has_district = bool((district != "").any())
    unit = district if has_district else np.asarray(admin, dtype=object).astype(str)
    market = np.asarray(market, dtype=object).astype(str)
    markets = []
    for mk in sorted(set(market[market != ""])):
        sel = (market == mk) & (unit != "")
        names, counts = np.unique(unit[sel], return_counts=True)
        if len(names) >= 2:
            markets.append({"market": mk, "retailers": int(((market == mk)).sum()),
                            "districts": {str(d): int(c) for d, c in zip(names, counts, strict=True)}})
    by_district = []
    for d in sorted(set(unit)):
        sel = unit == d
        by_district.append({"district": d, "retailers": int(sel.sum()), "vacuum_retailers": int((vac & sel).sum()),
                            "split_markets": sum(1 for m in markets if d in m["districts"])})
    items = []
    for i in np.flatnonzero(vac):
        items.append({"retailer_id": str(retailer_ids[i]), "district": str(district[i]), "market": str(market[i]),
                      "admin_manager_id": manager_ids[admin_k[i]], "admin_s": int(t_admin[i]),
                      "nearest_manager_id": manager_ids[near_k[i]], "nearest_s": int(t_near[i]),
                      "plan_manager_id": str(plan_owner[i]),
                      "plan_s": int(t_plan[i]) if plan_ok[i] else None, "resolved": bool(resolved[i])})
    return {"ratio": float(ratio), "minutes": float(minutes), "retailers": int(vac.sum()),
            "share": float(vac.sum()) / n if n else None, "resolved_by_plan": int(resolved.sum()),
            "district_source": "district" if has_district else "administrative_manager",
            "split_markets": len(markets), "by_district": by_district, "vacuum": items, "markets": markets}


def plan_service_vacuum(ctx, plan: Plan) -> dict:
    """``service_vacuum`` of a plan made in the run context ``ctx`` (the administrative
    assignment and the base travel times are computed once per context)."""
    r, m = ctx.ds.retailers, ctx.ds.managers
    if "service_vacuum" not in ctx.cache:
        admin = administrative_territories(ctx)
        admin_ids = np.array([admin.slots[k].manager_id for k in admin.owner], dtype=object)
        regular = ~(m["role"].astype(str).str.strip().str.lower() == SPECIALIST).to_numpy() if "role" in m else \
            np.ones(len(m), bool)
        rows = np.flatnonzero(regular)
        base = ctx.travel.soft.from_sources(ctx.R + rows)[:, : ctx.R] if len(rows) else np.zeros((0, ctx.R))
        ctx.cache["service_vacuum"] = (admin_ids, [str(x) for x in m["manager_id"].to_numpy()[rows]], base)
    admin_ids, ids, base = ctx.cache["service_vacuum"]
    owner = plan.assignments.set_index("retailer_id")["manager_id"].astype(str)
    sv = ctx.loaded.scenario.territories.service_vacuum
    return service_vacuum(retailer_ids=r["retailer_id"].to_numpy(), district=r["district"].to_numpy(),
                          market=r["market"].to_numpy(), admin=admin_ids,
                          plan_owner=owner.loc[r["retailer_id"]].to_numpy(), manager_ids=ids, base_s=base,
                          ratio=sv.ratio, minutes=sv.minutes)


__all__ = ["service_vacuum", "plan_service_vacuum"]

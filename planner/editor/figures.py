"""Live figures of an edited plan, kept up to date by each edit, and the rules it breaks.

Per owner (manager or vacant position), as the territory design computes them
(:func:`planner.design.territories.estimated_workload`, :func:`planner.plan.kpis.compute_kpis`):

* ``workload_hours`` -- the estimated workload ``(sum w_i + 2 * sum v_i t_i / C) / 3600`` with
  ``w`` the design's workload per retailer (service + access), ``v_i`` its visits in person,
  ``t_i`` the travel time from the owner's base (0 if unreachable) and ``C = max(visits / days the
  owner works, 1)``: each visit's share of the daily trips from the base;
* ``deviation`` -- ``workload / mean - 1`` over the owners with retailers, against the scenario's
  balance tolerance (``territories.balance.workload``);
* ``retailers``, ``key_customers``, ``visits_required``;
* ``compactness_min`` -- workload-weighted mean travel time base -> retailer, and the service
  radius (``service_radius_max_min``, ``service_radius_p95_min``);
* ``parts`` -- connected pieces in the design's adjacency graph, and ``beyond_radius`` (retailers
  farther than ``territories.max_radius_min`` from the base).

How they stay cheap: the travel rows base -> every retailer are computed once per owner; the
additive sums (retailers, key customers, visits, workload, weighted travel) are updated by the
moved retailers only; the radius and the contiguity are recomputed only for the
territories an edit touches; the plan figures are sums over owners plus one percentile over the
retailers' travel from their base. :meth:`Figures.rebuild` computes the same from scratch (the
tests compare the two after random edit sequences).

Rules reported as warnings: a territory in several parts (``split``), retailers beyond
``max_radius_min`` (``radius``), a locked retailer not with its lock's owner (``lock``), a market
area in several territories (``market``), a workload outside the tolerance (``balance``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from planner.design.context import Context, adjacency
from planner.design.territories import Slot, worked_days
from solvers.common import UNREACHABLE

REACH_LIMIT = 1e12  # travel times at or above this are unreachable (as compute_kpis filters them)


@dataclass
class Design:
    """Per-retailer facts that edits do not change, and the base travel rows (cached per owner)."""

    ctx: Context
    w: np.ndarray  # workload per retailer (s)
    visits: np.ndarray  # routed visits per retailer
    key: np.ndarray  # bool
    routed: np.ndarray  # bool
    graph: sparse.csr_matrix  # adjacency (symmetric)
    market: np.ndarray  # market code per retailer (-1 none)
    market_names: list[str]
    work_days: int
    tolerance: float | None
    max_radius_s: float | None
    contiguity: bool
    rows: dict[tuple[str, int], np.ndarray]  # (owner id, base) -> travel base -> retailers (s)
    worked: dict[str, int] = field(default_factory=dict)  # owner id -> days worked (leave, duties)

    def days_of(self, slot: Slot) -> int:
        """Days the owner works in the horizon (``work_days`` less leave and whole-day duties), as
        :func:`planner.design.territories.estimated_workload` counts them."""
        if slot.manager_id not in self.worked:
            self.worked[slot.manager_id] = worked_days(self.ctx, slot)
        return self.worked[slot.manager_id]

    @classmethod
    def of(cls, ctx: Context) -> Design:
        sc = ctx.loaded.scenario
        r = ctx.ds.retailers
        R = len(r)
        e = np.asarray(adjacency(ctx), dtype=np.int64).reshape(-1, 2)
        g = sparse.coo_matrix((np.ones(2 * len(e)), (np.r_[e[:, 0], e[:, 1]], np.r_[e[:, 1], e[:, 0]])),
                              shape=(R, R)).tocsr()
        codes, names = pd.factorize(r["market"].where(r["market"] != "", None))
        tol = sc.territories.balance.get("workload")
        mr = sc.territories.max_radius_min
        return cls(ctx=ctx, w=ctx.work.total_s.astype(float), visits=ctx.work.visits.astype(np.int64),
                   key=r["class"].isin(sc.key_class_set).to_numpy(), routed=ctx.work.visits > 0, graph=g,
                   market=codes.astype(np.int64), market_names=[str(x) for x in names],
                   work_days=sum(1 for d in ctx.days if d.working), tolerance=None if tol is None else float(tol),
                   max_radius_s=None if not mr else float(mr) * 60.0, contiguity=sc.territories.contiguity, rows={})

    def row(self, slot: Slot) -> np.ndarray:
        key = (slot.manager_id, slot.base_loc)
        if key not in self.rows:
            self.rows[key] = self.ctx.travel.soft.from_sources(np.array([slot.base_loc]))[0, : len(self.w)].astype(float)
        return self.rows[key]

    def preload(self, slots: list[Slot]) -> None:
        """Travel rows of many owners in one call."""
        todo = [s for s in slots if (s.manager_id, s.base_loc) not in self.rows]
        if todo:
            m = self.ctx.travel.soft.from_sources(np.array([s.base_loc for s in todo]))[:, : len(self.w)].astype(float)
            for s, row in zip(todo, m, strict=True):
                self.rows[(s.manager_id, s.base_loc)] = row


SUMS = ("n", "key", "visits", "wl", "wbt", "wreach", "sbt", "nreach", "vbt")


class Figures:
    """Figures of an assignment (see the module docstring), updated edit by edit."""

    def __init__(self, design: Design, slots: list[Slot], owner: np.ndarray, lock: np.ndarray) -> None:
        self.d = design
        self.rebuild(slots, owner, lock)

    # -- from scratch --------------------------------------------------------------------------
    def rebuild(self, slots: list[Slot], owner: np.ndarray, lock: np.ndarray) -> None:
        d = self.d
        d.preload(slots)
        self.slots = list(slots)
        self.owner = owner.copy()
        self.lock = lock.copy()
        M = len(slots)
        rows = np.vstack([d.row(s) for s in slots]) if slots else np.zeros((0, len(owner)))
        self.bt = rows[owner, np.arange(len(owner))] if len(owner) else np.zeros(0)
        self.sum = {k: np.zeros(M) for k in SUMS}
        self.derived = {k: np.zeros(M) for k in ("rmax", "rp95", "parts", "beyond")}
        self.add_retailers(np.arange(len(owner)), owner, +1)
        G = len(d.market_names)
        self.mcount = np.zeros((G, M), dtype=np.int64)
        has = d.market >= 0
        np.add.at(self.mcount, (d.market[has], owner[has]), 1)
        for k in range(M):
            self.refresh(k)

    # -- incremental ---------------------------------------------------------------------------
    def add_retailers(self, idx: np.ndarray, slots_of: np.ndarray, sign: int) -> None:
        d, s = self.d, self.sum
        bt = self.bt[idx]
        reach = bt < REACH_LIMIT
        w = d.w[idx]
        for name, val in (("n", np.ones(len(idx))), ("key", d.key[idx].astype(float)),
                          ("visits", d.visits[idx].astype(float)), ("wl", w), ("wbt", np.where(reach, w * bt, 0.0)),
                          ("wreach", np.where(reach, w, 0.0)), ("sbt", np.where(reach, bt, 0.0)),
                          ("nreach", reach.astype(float)),
                          ("vbt", np.where(bt < UNREACHABLE, d.visits[idx] * bt, 0.0))):
            np.add.at(s[name], slots_of, sign * val)

    def resize(self, M: int) -> None:
        cur = len(self.sum["n"])
        if M > cur:
            for dct in (self.sum, self.derived):
                for k in dct:
                    dct[k] = np.concatenate([dct[k], np.zeros(M - cur)])
            self.mcount = np.hstack([self.mcount, np.zeros((self.mcount.shape[0], M - cur), dtype=np.int64)])
        elif M < cur:
            for dct in (self.sum, self.derived):
                for k in dct:
                    dct[k] = dct[k][:M]
            self.mcount = self.mcount[:, :M]

    def apply(self, slots: list[Slot], idx: np.ndarray, before: np.ndarray, after: np.ndarray,
              lock_idx: np.ndarray, lock_after: np.ndarray) -> np.ndarray:
        """Move retailers ``idx`` from ``before`` to ``after`` (slots may have grown or shrunk);
        return the touched owner slots."""
        d = self.d
        if len(slots) > len(self.slots):
            d.preload(slots)
            self.resize(len(slots))
        if len(idx):
            self.add_retailers(idx, before, -1)
            self.owner[idx] = after
            self.bt[idx] = [d.row(slots[int(k)])[int(i)] for i, k in zip(idx, after, strict=True)]
            self.add_retailers(idx, after, +1)
            m = d.market[idx]
            has = m >= 0
            np.add.at(self.mcount, (m[has], before[has]), -1)
            np.add.at(self.mcount, (m[has], after[has]), 1)
        self.lock[lock_idx] = lock_after
        if len(slots) < len(self.slots):
            self.resize(len(slots))
        self.slots = list(slots)
        touched = np.unique(np.concatenate([before, after])).astype(np.int64)
        touched = touched[touched < len(slots)]
        for k in touched:
            self.refresh(int(k))
        return touched

    def refresh(self, k: int) -> None:
        """Recompute the non-additive figures of owner ``k`` from its retailers."""
        d, der = self.d, self.derived
        units = np.flatnonzero(self.owner == k)
        bt = self.bt[units]
        reach = bt[bt < REACH_LIMIT]
        der["rmax"][k] = float(reach.max()) if len(reach) else np.nan
        der["rp95"][k] = float(np.percentile(reach, 95)) if len(reach) else np.nan
        der["beyond"][k] = float((bt > d.max_radius_s).sum()) if d.max_radius_s is not None else 0.0
        if len(units) > 1:
            sub = d.graph[units][:, units]
            der["parts"][k] = float(connected_components(sub, directed=False)[0])
        else:
            der["parts"][k] = float(len(units))

    # -- outputs -------------------------------------------------------------------------------
    def hours(self) -> np.ndarray:
        s = self.sum
        worked = np.array([self.d.days_of(x) for x in self.slots], dtype=float)
        per_day = np.maximum(s["visits"] / np.maximum(worked, 1.0), 1.0)
        return np.where(s["n"] > 0.5, (s["wl"] + 2.0 * s["vbt"] / per_day) / 3600.0, 0.0)

    def managers(self) -> list[dict]:
        s, der = self.sum, self.derived
        est = self.hours()
        active = s["n"] > 0.5
        mean = float(est[active].mean()) if active.any() else 0.0
        tol = self.d.tolerance
        out = []
        for k, slot in enumerate(self.slots):
            n = int(round(s["n"][k]))
            dev = (est[k] / mean - 1.0) if (mean > 0 and n) else None
            comp = None
            if s["nreach"][k] > 0.5:
                comp = (s["wbt"][k] / s["wreach"][k] if s["wreach"][k] > 0 else s["sbt"][k] / s["nreach"][k]) / 60.0
            out.append({
                "manager_id": slot.manager_id, "team": slot.team, "vacant": bool(slot.vacant), "retailers": n,
                "key_customers": int(round(s["key"][k])), "visits_required": int(round(s["visits"][k])),
                "workload_hours": float(est[k]), "designed_workload_hours": float(s["wl"][k] / 3600.0),
                "deviation": dev,
                "within_tolerance": None if (dev is None or tol is None) else bool(abs(dev) <= tol + 1e-12),
                "compactness_min": comp,
                "service_radius_max_min": None if not n or np.isnan(der["rmax"][k]) else float(der["rmax"][k] / 60.0),
                "service_radius_p95_min": None if not n or np.isnan(der["rp95"][k]) else float(der["rp95"][k] / 60.0),
                "parts": int(der["parts"][k]), "beyond_radius": int(der["beyond"][k])})
        return out

    def plan(self, managers: list[dict] | None = None) -> dict:
        managers = self.managers() if managers is None else managers
        s = self.sum
        est = np.array([m["workload_hours"] for m in managers])
        act = np.array([m["retailers"] > 0 for m in managers])
        mean = float(est[act].mean()) if act.any() else 0.0
        reach = self.bt[self.bt < REACH_LIMIT]
        wl = s["wl"][act] if act.any() else np.zeros(0)
        return {
            "retailers": int(round(s["n"].sum())), "managers": len(managers),
            "key_customers": int(round(s["key"].sum())), "visits_required": int(round(s["visits"].sum())),
            "workload_hours": float(est.sum()), "mean_workload_hours": mean,
            "imbalance": (float(est[act].max()) / mean - 1.0) if mean > 0 else None,
            "design_imbalance": float(wl.max() / wl.mean() - 1.0) if len(wl) and wl.mean() > 0 else None,
            "outside_tolerance": int(sum(1 for m in managers if m["within_tolerance"] is False)),
            "balance_tolerance": self.d.tolerance,
            "compactness_min": float(s["wbt"].sum() / s["wreach"].sum() / 60.0) if s["wreach"].sum() > 0 else None,
            "service_radius_p95_min": float(np.percentile(reach, 95) / 60.0) if len(reach) else None,
            "non_contiguous_territories": int(sum(1 for m in managers if m["parts"] > 1)),
            "beyond_radius": int(sum(m["beyond_radius"] for m in managers)),
            "max_radius_min": None if self.d.max_radius_s is None else self.d.max_radius_s / 60.0,
            "markets_split": int(((self.mcount > 0).sum(axis=1) > 1).sum()) if self.mcount.size else 0,
            "locked": int((self.lock >= 0).sum()),
            "locks_broken": int(((self.lock >= 0) & (self.owner != self.lock)).sum()),
        }

    def warnings(self, managers: list[dict] | None = None) -> list[dict]:
        """Every rule the assignment breaks, each ``{"key", "kind", "manager_id"?, "message"}``."""
        managers = self.managers() if managers is None else managers
        d = self.d
        out = []
        for m in managers:
            mid = m["manager_id"]
            if m["parts"] > 1 and d.contiguity:
                out.append({"key": f"split:{mid}", "kind": "split", "manager_id": mid,
                            "message": f"the territory of {mid} is in {m['parts']} parts"})
            if m["beyond_radius"]:
                out.append({"key": f"radius:{mid}", "kind": "radius", "manager_id": mid,
                            "message": f"{m['beyond_radius']} retailers of {mid} are farther than "
                                       f"{d.max_radius_s / 60:g} min from the base (max_radius_min)"})
            if m["within_tolerance"] is False:
                out.append({"key": f"balance:{mid}", "kind": "balance", "manager_id": mid,
                            "message": f"workload of {mid} is {100 * m['deviation']:+.1f} % from the mean "
                                       f"(tolerance ±{100 * d.tolerance:g} %)"})
        broken = np.flatnonzero((self.lock >= 0) & (self.owner != self.lock))
        rid = self.d.ctx.ds.retailers["retailer_id"].to_numpy()
        for i in broken:
            out.append({"key": f"lock:{rid[i]}", "kind": "lock", "manager_id": self.slots[int(self.owner[i])].manager_id,
                        "message": f"locked retailer {rid[i]} is with {self.slots[int(self.owner[i])].manager_id}, "
                                   f"its lock says {self.slots[int(self.lock[i])].manager_id}"})
        if self.mcount.size:
            cut = np.flatnonzero((self.mcount > 0).sum(axis=1) > 1)
            for g in cut:
                owners = [self.slots[int(k)].manager_id for k in np.flatnonzero(self.mcount[g] > 0)]
                out.append({"key": f"market:{d.market_names[g]}", "kind": "market",
                            "message": f"market area {d.market_names[g]} is cut between {', '.join(owners)}"})
        return out

"""The workload estimate territory design balances, before any route is built.

The workload of retailer ``i`` over one cycle (the scenario's horizon) is::

    w_i = visits_i * (service_s_i + access_s_i) + contacts_i * contact_s_i

where ``access_s_i`` is the travel time one visit costs on average. Following the
Beardwood-Halton-Hammersley / Daganzo approximation, a route through ``N`` points spread over
area ``A`` is about ``0.7124 * sqrt(N * A)`` long, i.e. ``0.7124 / sqrt(rho)`` per stop with stop
density ``rho``. We estimate the local density of *visits per working day* around each retailer
(from its 12 nearest neighbours) and convert the per-stop distance to time with the travel
model's seconds-per-metre, calibrated on sampled pairs of retailers (road network) or the
scenario's circuity and speed (straight line). ``territories.access_factor`` rescales the
estimate. The daily trips between a manager's base and the territory depend on the owner, so they
are not in ``w_i``: :func:`planner.design.territories.trip_seconds` adds them per owner (and the
new design is balanced once more with them, :func:`planner.design.territories.calibrated_design`);
after scheduling, the run reports estimated against actual workload per manager.
Contacts (phone, messaging) take their time at the desk and no access time: a ``mode: remote``
class's required visits at the retailer's service time, a visited class's ``remote_per_cycle``
(scaled to the horizon) at ``remote_min``. Specialists' visits are not in the estimate: the
territories are the managers'.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from planner.config.scenario import LoadedScenario
from planner.design.horizon import Day
from planner.design.policy import is_routed, required_visits
from planner.inputs.dataset import Dataset
from solvers.common import UNREACHABLE

BHH = 0.7124


def seconds_per_metre(loaded: LoadedScenario, ds: Dataset, travel, seed: int = 0) -> float:
    """Travel seconds per straight-line metre, calibrated on sampled nearby retailer pairs."""
    tc = loaded.scenario.travel
    if tc.model == "straight_line":
        return tc.circuity / (tc.speed_kmh / 3.6)
    xy = ds.retailers[["x", "y"]].to_numpy()
    rng = np.random.default_rng(seed)
    src = np.sort(rng.choice(len(xy), size=min(64, len(xy)), replace=False))
    rows = travel.soft.from_sources(src).astype(float)
    tree = cKDTree(xy)
    ratios = []
    for k, s in enumerate(src):
        _, nb = tree.query(xy[s], k=min(25, len(xy)))
        nb = np.atleast_1d(nb)[1:]
        d = np.hypot(*(xy[nb] - xy[s]).T)
        t = rows[k, nb]
        ok = (d > 20) & (t < UNREACHABLE)
        ratios.extend((t[ok] / d[ok]).tolist())
    if not ratios:
        return tc.circuity / (tc.speed_kmh / 3.6)
    return float(np.median(ratios))


def access_seconds(xy: np.ndarray, visits_per_day: np.ndarray, spm: float, factor: float = 1.0) -> np.ndarray:
    """Per-visit travel estimate (BHH with local density of visits per day), in seconds."""
    n = len(xy)
    if n < 2:
        return np.zeros(n)
    k = min(12, n - 1)
    tree = cKDTree(xy)
    dist, nb = tree.query(xy, k=k + 1)
    r = np.maximum(dist[:, -1], 50.0)
    local_visits = visits_per_day[nb].sum(axis=1)
    rho = np.maximum(local_visits, 1e-9) / (np.pi * r * r)
    return factor * BHH / np.sqrt(rho) * spm


def mixed_contact_seconds(loaded: LoadedScenario, classes: np.ndarray) -> np.ndarray:
    """Per retailer: the time of the contacts a visited class adds (``remote_per_cycle`` scaled to
    the horizon x ``remote_min``); a ``mode: remote`` class's contacts are its required visits."""
    sc = loaded.scenario
    per = {c: (sc.required_contacts(c) * sc.classes[c].remote_min * 60.0 if sc.classes[c].mode == "visit" else 0.0)
           for c in sc.classes}
    return np.array([per[c] for c in classes], dtype=float)


@dataclass
class Workload:
    visits: np.ndarray  # routed visits per retailer over the horizon
    service_s: np.ndarray  # per retailer, total over the horizon
    access_s: np.ndarray  # per retailer, total over the horizon
    seconds_per_metre: float

    @property
    def total_s(self) -> np.ndarray:
        return self.service_s + self.access_s


def workload(loaded: LoadedScenario, ds: Dataset, travel, days: list[Day]) -> Workload:
    r = ds.retailers
    req = required_visits(loaded, r["class"].to_numpy())
    routed = is_routed(loaded, r["class"].to_numpy())
    visits = np.where(routed, req, 0)
    spm = seconds_per_metre(loaded, ds, travel, loaded.scenario.solver.seed)
    xy = r[["x", "y"]].to_numpy()
    per_visit = access_seconds(xy, visits / max(len(days), 1), spm, loaded.scenario.territories.access_factor)
    service = req * r["service_s"].to_numpy()  # remote contacts take their service time too
    service = service + mixed_contact_seconds(loaded, r["class"].to_numpy())
    return Workload(visits=visits, service_s=service.astype(float), access_s=visits * per_visit, seconds_per_metre=spm)

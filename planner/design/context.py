"""The prepared run context: a scenario's validated inputs, its travel model, horizon,
opening-hour windows and workload estimate, built once and shared by every design step of a job.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from planner.config.scenario import LoadedScenario
from planner.design.horizon import Day, horizon
from planner.design.policy import windows
from planner.design.workload import Workload, workload
from planner.errors import PlannerError, Progress
from planner.inputs.dataset import Dataset, load_dataset
from planner.travel.model import TravelModel, travel_model


@dataclass
class Context:
    loaded: LoadedScenario
    ds: Dataset
    travel: TravelModel
    days: list[Day]
    windows: np.ndarray
    work: Workload
    seed: int
    progress: Progress
    timings: dict[str, float] = field(default_factory=dict)
    cache: dict = field(default_factory=dict)

    @property
    def R(self) -> int:
        return len(self.ds.retailers)

    @property
    def lonlat(self) -> np.ndarray:
        r, m = self.ds.retailers, self.ds.managers
        return np.vstack([r[["lon", "lat"]].to_numpy(), m[["lon", "lat"]].to_numpy()])


def prepare(loaded: LoadedScenario, *, seed: int | None = None, progress: Progress | None = None) -> Context:
    """Load data and build the travel model, workload and calendar of a scenario."""
    progress = progress or Progress()
    timings: dict[str, float] = {}
    t = time.perf_counter()
    progress.step("Reading input files")
    ds = load_dataset(loaded)
    for w in ds.warnings:
        progress.warn(w)
    timings["load_s"] = time.perf_counter() - t
    t = time.perf_counter()
    sc = loaded.scenario
    if sc.travel.model == "road_network":
        progress.step("Reading the road network")
    travel = travel_model(loaded, ds)
    unreachable = np.flatnonzero(travel.unreachable[: len(ds.retailers)])
    if len(unreachable):
        ids = ds.retailers["retailer_id"].to_numpy()[unreachable]
        shown = ", ".join(ids[:20]) + (" ..." if len(ids) > 20 else "")
        progress.warn(f"{len(ids)} retailers are farther than {sc.travel.max_snap_m:g} m from any road and "
                      f"cannot be visited: {shown}")
    bad_bases = np.flatnonzero(travel.unreachable[len(ds.retailers):])
    if len(bad_bases):
        ids = ds.managers["manager_id"].to_numpy()[bad_bases]
        raise PlannerError(f"manager bases are farther than {sc.travel.max_snap_m:g} m from any road: {', '.join(ids)}")
    timings["travel_model_s"] = time.perf_counter() - t
    days = horizon(loaded)
    win = windows(loaded, ds, days)
    t = time.perf_counter()
    work = workload(loaded, ds, travel, days)
    timings["workload_s"] = time.perf_counter() - t
    seed = sc.solver.seed if seed is None else seed
    return Context(loaded, ds, travel, days, win, work, seed, progress, timings)



def adjacency(ctx: Context) -> np.ndarray:
    """The territory-design adjacency graph of the retailers (Delaunay, overlong edges trimmed)."""
    if "adjacency" not in ctx.cache:
        from solvers.territory import delaunay_adjacency

        ctx.cache["adjacency"] = delaunay_adjacency(ctx.ds.retailers[["x", "y"]].to_numpy())
    return ctx.cache["adjacency"]

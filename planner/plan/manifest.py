"""The plan's manifest: how it was made (scenario and input file hashes, seed, horizon, travel
model, methods, timings, Python and package versions), so the same scenario, inputs and seed give
the same plan.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata as md
import platform

from planner.design.context import Context
from planner.inputs.tables import file_sha256

PACKAGES = ["numpy", "scipy", "pandas", "shapely", "pyproj", "geopandas", "pyogrio", "networkx",
            "ortools", "pyvrp", "pyrosm", "pydantic", "fieldplan"]



def manifest(ctx: Context, *, methods: dict[str, str], timings: dict[str, float], kind: str) -> dict:
    versions = {}
    for p in PACKAGES:
        try:
            versions[p] = md.version(p)
        except md.PackageNotFoundError:
            versions[p] = None
    loaded = ctx.loaded
    return {
        "kind": kind,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "scenario": {"name": loaded.scenario.name, "path": str(loaded.path), "sha256": loaded.sha256},
        "inputs": {k: {"path": str(p), "sha256": file_sha256(p)} for k, p in sorted(ctx.ds.files.items())},
        "seed": ctx.seed,
        "start_date": ctx.days[0].date.isoformat() if ctx.days else None,
        "days": [{"day_index": d.index, "date": d.date.isoformat(), "working": d.working} for d in ctx.days],
        "travel_model": ctx.travel.description,
        "projection_epsg": ctx.ds.projection.epsg,
        "methods": methods,
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        "python": platform.python_version(),
        "packages": versions,
    }

"""Territory outlines of the edited assignment for the map: the plan's own polygons (Voronoi
cells of the retailers, dissolved per owner, :func:`planner.plan.assemble.territory_features`),
recomputed only for the owners whose retailers changed since the last request."""

from __future__ import annotations

import hashlib

import numpy as np

from planner.design.territories import Territories
from planner.editor.session import Session
from planner.plan.assemble import territory_features


def territory_outlines(session: Session) -> dict:
    """``GET /api/territories``: a GeoJSON FeatureCollection, one feature per owner with retailers."""
    version, slots, owner, _lock, _edited, _ = session.snapshot()
    cache: dict = session.src.ctx.cache.setdefault("editor_outlines", {})
    if len(cache) > 8 * len(slots) + 64:  # outlines of many past states: start again
        cache.clear()
    keys, todo = {}, set()
    for k, s in enumerate(slots):
        members = np.flatnonzero(owner == k)
        key = (s.manager_id, hashlib.sha1(members.tobytes()).hexdigest())
        keys[k] = key
        if key not in cache:
            todo.add(k)
    if todo:
        terr = Territories(list(slots), owner, "edited")
        for f in territory_features(session.src.ctx, terr, only=todo):
            k = next(j for j, s in enumerate(slots) if s.manager_id == f["properties"]["manager_id"])
            cache[keys[k]] = f
        for k in todo:
            cache.setdefault(keys[k], None)
    feats = [cache[keys[k]] for k in range(len(slots)) if cache.get(keys[k]) is not None]
    return {"type": "FeatureCollection", "version": version, "features": feats}

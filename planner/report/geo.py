"""Compact map geometry for the HTML reports.

Coordinates are WGS84 ``lon, lat``. Lines are simplified (Douglas–Peucker, tolerance in degrees,
default 2e-5 ≈ 2 m) and written as integers at 1e-5 degree resolution (≈ 1 m), delta-encoded:
``[dx0, dy0, dx1, dy1, ...]`` with the first pair absolute. The page's script decodes them
(``decode`` in ``assets/report.js``). This keeps a month of road-following routes of a dozen
managers to a few hundred kilobytes.
"""

from __future__ import annotations

import numpy as np

SCALE = 1e5
ROUTE_TOLERANCE_DEG = 2e-5


def encode_coords(coords, tolerance: float = 0.0) -> list[int]:
    """Delta-encoded integer coordinates of a line or ring (see module docstring)."""
    arr = np.asarray(coords, dtype=float).reshape(-1, 2)
    if len(arr) == 0:
        return []
    if tolerance > 0 and len(arr) > 2:
        import shapely

        line = shapely.linestrings(arr)
        simp = shapely.simplify(line, tolerance, preserve_topology=False)
        pts = shapely.get_coordinates(simp)
        if len(pts) >= 2:
            arr = pts
    q = np.round(arr * SCALE).astype(np.int64)
    keep = np.ones(len(q), dtype=bool)
    keep[1:] = np.any(q[1:] != q[:-1], axis=1)
    q = q[keep]
    d = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    return d.ravel().tolist()


def encode_geometry(geom: dict, tolerance: float = 0.0) -> list[list[list[int]]]:
    """A GeoJSON Polygon/MultiPolygon as ``[polygon][ring] -> encoded coordinates``."""
    if not geom:
        return []
    t = geom.get("type")
    if t == "Polygon":
        polys = [geom["coordinates"]]
    elif t == "MultiPolygon":
        polys = geom["coordinates"]
    else:
        return []
    out = []
    for poly in polys:
        rings = [encode_coords(ring, tolerance) for ring in poly]
        rings = [r for r in rings if len(r) >= 6]
        if rings:
            out.append(rings)
    return out


def round_coord(x, digits: int = 5):
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return None
    return round(float(x), digits)


__all__ = ["encode_coords", "encode_geometry", "ROUTE_TOLERANCE_DEG", "SCALE"]

"""Navigation links of the route sheets: a stop's coordinates in the app's datum, and its URL.

=========  =======  =====================================================================================
app        datum    link
=========  =======  =====================================================================================
``amap``   GCJ-02   ``https://uri.amap.com/marker?position=LON,LAT&name=NAME&src=fieldplan&coordinate=gaode&callnative=1``
``baidu``  BD-09    ``https://api.map.baidu.com/marker?location=LAT,LON&title=NAME&content=ADDR&output=html&coord_type=bd09ll&src=fieldplan``
``osm``    WGS84    ``https://www.openstreetmap.org/?mlat=LAT&mlon=LON#map=18/LAT/LON``
``geo``    WGS84    ``geo:LAT,LON?q=LAT,LON(NAME)`` (RFC 5870; Android opens the chosen map app)
=========  =======  =====================================================================================

Coordinates are written with six decimals (≈ 0.1 m); names and addresses are percent-encoded
(UTF-8). The coordinates are converted from the ones the user gave (``inputs.crs``) with the
fewest steps: unchanged when the datums agree, GCJ-02 <-> BD-09 directly, and from the plan's
WGS84 coordinates otherwise (:mod:`planner.inputs.coords`). The AMap and Baidu links open the
app on a phone (``callnative=1``; Baidu's page offers it) and a map page in a desktop browser.
"""

from __future__ import annotations

import math
from urllib.parse import quote

from planner.config.scenario import NAV_APPS
from planner.inputs.coords import bd09_to_gcj02, gcj02_to_bd09, wgs84_to_bd09, wgs84_to_gcj02

NAV_DATUM = {"amap": "gcj02", "baidu": "bd09", "osm": "wgs84", "geo": "wgs84"}
"""The datum of each app's link coordinates."""


def check_nav(app: str) -> str:
    from planner.errors import PlannerError

    if app not in NAV_APPS:
        raise PlannerError(f"unknown navigation app {app!r}; choose one of {', '.join(NAV_APPS)}")
    return app


def _ok(*xs) -> bool:
    return all(x is not None and isinstance(x, (int, float)) and math.isfinite(x) for x in xs)


def nav_point(app: str, *, lon_wgs84: float, lat_wgs84: float, lon: float | None = None, lat: float | None = None,
              crs: str = "wgs84") -> tuple[float, float]:
    """A stop's ``lon, lat`` in the datum of ``app`` from its input coordinates (``lon, lat`` in
    ``crs``) where that is shorter, else from WGS84."""
    dst = NAV_DATUM[check_nav(app)]
    given = _ok(lon, lat)
    if given and crs == dst:
        return float(lon), float(lat)
    if dst == "wgs84":
        return float(lon_wgs84), float(lat_wgs84)
    if given and crs == "bd09" and dst == "gcj02":
        x, y = bd09_to_gcj02(lon, lat)
    elif given and crs == "gcj02" and dst == "bd09":
        x, y = gcj02_to_bd09(lon, lat)
    elif dst == "gcj02":
        x, y = wgs84_to_gcj02(lon_wgs84, lat_wgs84)
    else:
        x, y = wgs84_to_bd09(lon_wgs84, lat_wgs84)
    return float(x), float(y)


def nav_url(app: str, lon: float, lat: float, *, name: str = "", address: str = "") -> str:
    """The link that opens ``app`` at ``lon, lat`` (already in the app's datum, see :func:`nav_point`)."""
    q = lambda s: quote(str(s or ""), safe="")  # noqa: E731
    x, y = f"{lon:.6f}", f"{lat:.6f}"
    if app == "amap":
        return f"https://uri.amap.com/marker?position={x},{y}&name={q(name)}&src=fieldplan&coordinate=gaode&callnative=1"
    if app == "baidu":
        return (f"https://api.map.baidu.com/marker?location={y},{x}&title={q(name)}&content={q(address or name)}"
                f"&output=html&coord_type=bd09ll&src=fieldplan")
    if app == "osm":
        return f"https://www.openstreetmap.org/?mlat={y}&mlon={x}#map=18/{y}/{x}"
    if app == "geo":
        return f"geo:{y},{x}?q={y},{x}({q(name)})"
    check_nav(app)
    raise AssertionError(app)  # pragma: no cover


__all__ = ["NAV_DATUM", "NAV_APPS", "check_nav", "nav_point", "nav_url"]

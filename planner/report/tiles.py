"""Base maps of the HTML outputs (report, comparison, route sheets), and the datum of the data
drawn on them.

Every page draws its data (territories, routes, retailers, bases) itself, from the data embedded
in the page; the background tiles are optional and only requested when the browser is online.
Presets (``report.tiles`` in the scenario, ``--tiles`` on ``report``, ``sheets`` and ``compare``):

``osm`` (default)
    ``https://tile.openstreetmap.org/{z}/{x}/{y}.png`` — WGS84 on Web Mercator.
``amap``
    ``https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}``
    with ``{s}`` in 1–4 — GCJ-02: AMap's streets are drawn offset from WGS84 by a few hundred
    metres inside China, so the data drawn on them is converted to GCJ-02 first
    (:func:`to_map_datum`) and every point sits on the right street.
``tianditu``
    ``https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=KEY``
    with ``{s}`` in 0–7, plus its label layer ``cva_w`` — CGCS2000, within centimetres of WGS84
    (no conversion); needs ``report.tianditu_key``.
``none``
    no background; the data is drawn on a blank map.

Any other value is a URL template (``{z}``, ``{x}``, ``{y}``, optionally ``{s}`` with
``report.tiles_subdomains``) whose datum is ``report.tiles_crs`` (``wgs84`` or ``gcj02``).
The attribution of the tiles is shown on the map and in the page footer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.config.scenario import TILE_PRESETS, check_tiles
from planner.errors import PlannerError
from planner.inputs.coords import wgs84_to_gcj02

OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
AMAP_URL = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
TIANDITU_URL = ("https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}"
                "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}")
ATTRIBUTION = {
    "osm": "© OpenStreetMap contributors",
    "amap": "© 高德地图 AutoNavi (GS京(2021)6303号)",
    "tianditu": "© 天地图 Tianditu, 国家地理信息公共服务平台",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Tiles:
    """A base map: tile URL templates (drawn in order), their datum and attribution."""

    name: str
    urls: tuple[str, ...] = ()
    subdomains: str = ""
    crs: str = "wgs84"
    attribution: str = ""
    max_zoom: int = 19

    def to_js(self) -> dict:
        """What the pages' scripts need (``D.tiles``)."""
        return {"name": self.name, "urls": list(self.urls), "subdomains": self.subdomains, "crs": self.crs,
                "attribution": self.attribution, "maxZoom": self.max_zoom}


def resolve_tiles(tiles: str = "osm", *, crs: str = "wgs84", key: str | None = None, attribution: str = "",
                  subdomains: str = "") -> Tiles:
    """The :class:`Tiles` of a preset name or URL template (see the module docstring).

    Raises :class:`PlannerError` for an unknown name or a ``tianditu`` without a key.
    """
    try:
        tiles = check_tiles(tiles)
    except ValueError as e:
        raise PlannerError(str(e)) from None
    if tiles == "osm":
        return Tiles(name="osm", urls=(OSM_URL,), attribution=ATTRIBUTION["osm"], max_zoom=19)
    if tiles == "amap":
        return Tiles(name="amap", urls=(AMAP_URL,), subdomains="1234", crs="gcj02", attribution=ATTRIBUTION["amap"],
                     max_zoom=18)
    if tiles == "tianditu":
        if not key:
            raise PlannerError("tiles tianditu needs a key: report.tianditu_key in the scenario or --tianditu-key")
        urls = tuple(TIANDITU_URL.replace("{layer}", layer).replace("{key}", key) for layer in ("vec", "cva"))
        return Tiles(name="tianditu", urls=urls, subdomains="01234567", attribution=ATTRIBUTION["tianditu"], max_zoom=18)
    if tiles == "none":
        return Tiles(name="none")
    if crs not in ("wgs84", "gcj02"):
        raise PlannerError(f"unknown tile datum {crs!r}; choose wgs84 or gcj02")
    return Tiles(name="custom", urls=(tiles,), subdomains=subdomains, crs=crs, attribution=attribution)


def tiles_of(report) -> Tiles:
    """The base map of a scenario's ``report`` section (:class:`planner.config.scenario.Report`);
    OpenStreetMap when there is none."""
    if report is None:
        return resolve_tiles("osm")
    return resolve_tiles(report.tiles, crs=report.tiles_crs, key=report.tianditu_key,
                         attribution=report.tiles_attribution, subdomains=report.tiles_subdomains)


def choose_tiles(option: str | None, report=None, *, crs: str | None = None, key: str | None = None) -> Tiles:
    """``--tiles`` (with ``--tiles-crs`` and ``--tianditu-key``) when given, else the scenario's."""
    if option is None:
        return tiles_of(report)
    key = key or (report.tianditu_key if report is not None else None)
    return resolve_tiles(option, crs=crs or "wgs84", key=key)


def to_map_datum(lon, lat, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 ``lon, lat`` in the datum of the tiles (``gcj02``: converted; ``wgs84``: unchanged)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if crs == "gcj02":
        ok = np.isfinite(lon) & np.isfinite(lat)
        glon, glat = wgs84_to_gcj02(np.where(ok, lon, 0.0), np.where(ok, lat, 0.0))
        return np.where(ok, glon, np.nan), np.where(ok, glat, np.nan)
    return lon, lat


# --- the pages' embedded data in the tiles' datum ------------------------------------------------

def _shift_encoded(enc: list[int], crs: str) -> list[int]:
    """Delta-encoded 1e-5° coordinates (:mod:`planner.report.geo`) moved to ``crs``."""
    if not enc:
        return enc
    q = np.cumsum(np.asarray(enc, dtype=np.int64).reshape(-1, 2), axis=0) / 1e5
    x, y = to_map_datum(q[:, 0], q[:, 1], crs)
    r = np.round(np.column_stack([x, y]) * 1e5).astype(np.int64)
    return np.diff(r, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel().tolist()


def _shift_xy(xs: list, ys: list, crs: str) -> tuple[list, list]:
    """Parallel lists of 1e-5° integers (``None`` where unknown) moved to ``crs``."""
    x = np.array([np.nan if v is None else v / 1e5 for v in xs], dtype=float)
    y = np.array([np.nan if v is None else v / 1e5 for v in ys], dtype=float)
    gx, gy = to_map_datum(x, y, crs)
    return ([None if not np.isfinite(a) else int(round(a * 1e5)) for a in gx],
            [None if not np.isfinite(b) else int(round(b * 1e5)) for b in gy])


def _shift_point(d: dict, crs: str) -> None:
    if d.get("lon") is None or d.get("lat") is None:
        return
    x, y = to_map_datum([d["lon"]], [d["lat"]], crs)
    d["lon"], d["lat"] = round(float(x[0]), 6), round(float(y[0]), 6)


def with_tiles(data: dict, tiles: Tiles) -> dict:
    """The map data of ``report.html`` or ``compare.html`` with its base map (``data["tiles"]``),
    every coordinate moved to the tiles' datum (GCJ-02 for AMap: done here, once, so that the
    page's script never needs to know about datums)."""
    data["tiles"] = tiles.to_js()
    if tiles.crs == "wgs84":
        return data
    crs = tiles.crs
    for m in data.get("managers", []):
        _shift_point(m, crs)
    for t in data.get("territories", []):
        t["g"] = [[_shift_encoded(ring, crs) for ring in poly] for poly in t["g"]]
    for r in data.get("routes", []):
        r["c"] = _shift_encoded(r["c"], crs)
    for p in data.get("plans", []):
        for t in p.get("territories", []):
            t["g"] = [[_shift_encoded(ring, crs) for ring in poly] for poly in t["g"]]
        for b in p.get("bases", []):
            _shift_point(b, crs)
    ret = data.get("retailers")
    if ret and "x" in ret:
        ret["x"], ret["y"] = _shift_xy(ret["x"], ret["y"], crs)
    return data


__all__ = ["Tiles", "resolve_tiles", "tiles_of", "choose_tiles", "to_map_datum", "with_tiles", "TILE_PRESETS",
           "OSM_URL", "AMAP_URL", "TIANDITU_URL", "ATTRIBUTION"]

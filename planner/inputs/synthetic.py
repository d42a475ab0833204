"""Synthetic regions for demos, tests and benchmarks: ``planner generate``.

A generated region has the same files as real data: ``retailers.csv``, ``managers.csv``,
``districts.geojson``, ``roads.graphml.gz`` and a ready-to-run ``scenario.yaml``.

* **Retailers** are clustered: an urban core, towns and villages (``county``), or a dense core with
  sub-centres (``city``). Classes follow the seeds' situation (about 15 % key customers, more in the
  core); a 30-tier scale is derived from a log-normal sales volume; opening hours come from a few
  typical patterns; market areas are the clusters (the core split into several).
* **Administrative districts** are Voronoi cells of random seeds, so they cut across the market
  clusters, as administrative boundaries do.
* **Managers** are allocated to districts in proportion to their retailers (today's practice);
  each district's retailers are split among its managers in strips, with a few historical
  exceptions; teams group neighbouring districts.
* **Roads**: a planar graph (Delaunay triangulation of road nodes sampled where retailers are, plus
  a sparse rural lattice; overlong edges dropped but the graph kept connected), with speeds by
  edge class and fast trunk roads from the core to every town.
"""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import PlanExistsError, PlannerError
from planner.inputs.coords import LocalProjection

CENTRE_LONLAT = (112.95, 28.20)  # an arbitrary inland location (synthetic data)

HOURS_CHOICES = [
    ("Mo-Su 08:00-22:00", 0.35),
    ("Mo-Sa 09:00-21:00; Su 10:00-18:00", 0.20),
    ("Mo-Fr 08:30-12:00,13:30-19:00; Sa 09:00-17:00; Su off", 0.15),
    ("Mo-Fr 10:00-20:00; Sa-Su 10:00-16:00", 0.10),
    ("", 0.20),
]


def tiers_and_classes(sales: np.ndarray, rng: np.random.Generator, key_share: np.ndarray | float = 0.15
                      ) -> tuple[np.ndarray, np.ndarray]:
    """30 tiers by sales-volume rank; class A (key) = the top ``key_share``, B the next 35 %, C the rest."""
    n = len(sales)
    rank = np.argsort(np.argsort(sales + rng.random(n) * 1e-6)) / max(n - 1, 1)
    tier = np.minimum(30, 1 + (rank * 30).astype(int))
    ks = np.broadcast_to(np.asarray(key_share, dtype=float), (n,))
    # the key threshold varies by location: urban retailers are more often key customers
    cls = np.where(rank >= 1 - ks, "A", np.where(rank >= 0.5 - ks / 3, "B", "C"))
    return tier, cls


def opening_hours(n: int, rng: np.random.Generator) -> np.ndarray:
    texts, p = zip(*HOURS_CHOICES, strict=True)
    return rng.choice(np.array(texts, dtype=object), size=n, p=np.array(p) / sum(p))


def strip_assignment(xy: np.ndarray, members: np.ndarray, managers: list[int]) -> np.ndarray:
    """Split ``members`` among ``managers`` in equal strips along their main axis."""
    pts = xy[members]
    c = pts - pts.mean(axis=0)
    axis = np.linalg.svd(c, full_matrices=False)[2][0] if len(members) > 1 else np.array([1.0, 0.0])
    order = members[np.argsort(c @ axis, kind="stable")]
    out = np.empty(len(xy), dtype=np.int64)
    for part, m in zip(np.array_split(order, len(managers)), managers, strict=True):
        out[part] = m
    return out[members]


def allocate(counts: np.ndarray, total: int) -> np.ndarray:
    """Largest-remainder allocation of ``total`` seats to groups by ``counts`` (at least 1 each)."""
    k = len(counts)
    if total < k:
        raise PlannerError(f"{total} managers cannot cover {k} districts")
    share = counts / counts.sum() * total
    seats = np.maximum(1, np.floor(share).astype(int))
    while seats.sum() > total:
        j = np.argmax(np.where(seats > 1, seats - share, -np.inf))
        seats[j] -= 1
    while seats.sum() < total:
        j = np.argmax(share - seats)
        seats[j] += 1
    return seats


def _clusters(kind: str, n: int, rng: np.random.Generator) -> list[tuple[str, float, float, float, float]]:
    """(name, x, y, sigma_m, weight) of the retailer clusters (metres around the centre)."""
    scale = max(1.0, (n / 3000) ** 0.25)
    out = []
    if kind == "city":
        out.append(("core", 0.0, 0.0, 3000 * scale, 0.6))
        k = 6
        for j in range(k):
            ang = 2 * math.pi * j / k + rng.uniform(-0.3, 0.3)
            rad = rng.uniform(5000, 9000) * scale
            out.append((f"sub-{j + 1}", rad * math.cos(ang), rad * math.sin(ang), rng.uniform(800, 1500) * scale, 0.35 / k))
        out.append(("scatter", 0.0, 0.0, 7000 * scale, 0.05))
    elif kind == "county":
        out.append(("core", 0.0, 0.0, 2500 * scale, 0.40))
        k = 8
        for j in range(k):
            ang = 2 * math.pi * j / k + rng.uniform(-0.35, 0.35)
            rad = rng.uniform(9000, 24000) * scale
            out.append((f"town-{j + 1}", rad * math.cos(ang), rad * math.sin(ang), rng.uniform(700, 1400), 0.40 / k))
        v = 24
        for j in range(v):
            ang = rng.uniform(0, 2 * math.pi)
            rad = rng.uniform(5000, 30000) * scale
            out.append((f"village-{j + 1}", rad * math.cos(ang), rad * math.sin(ang), rng.uniform(200, 450), 0.20 / v))
    else:
        raise PlannerError(f"unknown region kind {kind!r}: use city or county")
    return out


def _road_graph(xy: np.ndarray, town_centres: np.ndarray, rng: np.random.Generator):
    """Road nodes and undirected edges (i, j, length_m, highway, speed_kph)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import minimum_spanning_tree, shortest_path
    from scipy.spatial import Delaunay, cKDTree

    n = len(xy)
    k = min(n, max(50, n // 3))
    sample = xy[rng.choice(n, size=k, replace=False)] + rng.normal(0, 40, size=(k, 2))
    lo, hi = xy.min(axis=0) - 1000, xy.max(axis=0) + 1000
    step = 2000.0
    gx, gy = np.meshgrid(np.arange(lo[0], hi[0] + step, step), np.arange(lo[1], hi[1] + step, step))
    lattice = np.column_stack([gx.ravel(), gy.ravel()]) + rng.normal(0, 150, size=(gx.size, 2))
    # keep lattice nodes within 4 km of some retailer (no roads into empty corners)
    d, _ = cKDTree(xy).query(lattice)
    nodes = np.vstack([sample, lattice[d < 4000], town_centres])
    nodes = np.unique(np.round(nodes, 1), axis=0)
    tri = Delaunay(nodes)
    e = np.vstack([tri.simplices[:, [0, 1]], tri.simplices[:, [1, 2]], tri.simplices[:, [0, 2]]])
    e = np.unique(np.sort(e, axis=1), axis=0)
    length = np.hypot(*(nodes[e[:, 0]] - nodes[e[:, 1]]).T)
    N = len(nodes)
    mst = minimum_spanning_tree(coo_matrix((length, (e[:, 0], e[:, 1])), shape=(N, N))).tocoo()
    in_mst = set(zip(np.minimum(mst.row, mst.col).tolist(), np.maximum(mst.row, mst.col).tolist(), strict=True))
    keep = (length <= 3500) | np.array([(a, b) in in_mst for a, b in e.tolist()])
    e, length = e[keep], length[keep]
    hw = np.where(length < 300, "residential", np.where(length < 1000, "tertiary",
                  np.where(length < 2500, "secondary", "primary")))
    speed = np.select([hw == "residential", hw == "tertiary", hw == "secondary"], [25.0, 35.0, 50.0], 65.0)
    # trunk roads: shortest paths from the core to every town get 70 km/h
    g = coo_matrix((length, (e[:, 0], e[:, 1])), shape=(N, N)).tocsr()
    tree = cKDTree(nodes)
    _, core = tree.query([0.0, 0.0])
    _, towns = tree.query(town_centres)
    _, pred = shortest_path(g, directed=False, indices=[int(core)], return_predecessors=True)
    trunk = set()
    for t in np.atleast_1d(towns):
        cur = int(t)
        while cur != core and pred[0, cur] >= 0:
            p = int(pred[0, cur])
            trunk.add((min(p, cur), max(p, cur)))
            cur = p
    is_trunk = np.array([(a, b) in trunk for a, b in e.tolist()])
    hw = np.where(is_trunk, "trunk", hw)
    speed = np.where(is_trunk, 70.0, speed)
    return nodes, e, length, hw, speed


def generate_region(*, n_retailers: int, n_managers: int, seed: int, out: Path, kind: str = "county",
                    n_teams: int | None = None, n_districts: int | None = None) -> list[Path]:
    """Write a synthetic region to folder ``out`` (must not exist or be empty); return the files."""
    import networkx as nx
    import shapely
    from shapely.geometry import mapping

    if n_retailers < 10:
        raise PlannerError("--retailers must be at least 10")
    if n_managers < 1 or n_managers > n_retailers:
        raise PlannerError("--managers must be between 1 and the number of retailers")
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise PlannerError(f"{out} already exists and is not empty; choose a new --out folder")
    rng = np.random.default_rng(seed)
    clusters = _clusters(kind, n_retailers, rng)
    w = np.array([c[4] for c in clusters])
    counts = rng.multinomial(n_retailers, w / w.sum())
    xy_parts, cl_parts = [], []
    for (name, cx, cy, sig, _), c in zip(clusters, counts, strict=True):
        pts = rng.normal([cx, cy], sig, size=(c, 2))
        xy_parts.append(pts)
        cl_parts.extend([name] * c)
    xy = np.vstack(xy_parts)
    cluster = np.array(cl_parts, dtype=object)
    # market areas: clusters, the core split into k-means-like sectors
    market = cluster.copy()
    core = np.flatnonzero(cluster == "core")
    if len(core):
        n_sect = max(2, min(12, len(core) // 400))
        ang = np.arctan2(xy[core, 1], xy[core, 0])
        rad = np.hypot(xy[core, 0], xy[core, 1])
        inner = rad < np.percentile(rad, 30)
        sect = ((ang + math.pi) / (2 * math.pi) * (n_sect - 1)).astype(int) + 1
        market[core] = np.where(inner, "core-centre", np.array([f"core-{s}" for s in sect], dtype=object))
    market = np.where(np.char.startswith(market.astype(str), "scatter"), "", market)
    urban = np.isin(cluster, ["core"]) | np.char.startswith(cluster.astype(str), "sub")
    sales = rng.lognormal(mean=np.where(urban, 3.2, 2.8), sigma=0.8)
    key_share = np.where(urban, 0.18, 0.10)
    tier, cls = tiers_and_classes(sales, rng, key_share)
    hours = opening_hours(n_retailers, rng)
    proj = LocalProjection(*CENTRE_LONLAT)
    x0, y0 = proj.forward(*CENTRE_LONLAT)
    lon, lat = proj.inverse(xy[:, 0] + x0, xy[:, 1] + y0)
    # administrative districts: Voronoi of random seeds over the region, ignoring the clusters
    nd = n_districts or max(2, min(n_managers, int(round(n_managers / 2.5)) + 1, 40))
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    seeds = rng.uniform(lo, hi, size=(nd, 2))
    region = shapely.convex_hull(shapely.multipoints(xy)).buffer(1500)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=region, ordered=True))
    cells = shapely.intersection(cells, region)
    owner_d = np.argmin(((xy[:, None, :] - seeds[None, :, :]) ** 2).sum(-1), axis=1)
    dcount = np.bincount(owner_d, minlength=nd)
    live = np.flatnonzero(dcount > 0)
    remap = {int(d): j for j, d in enumerate(live)}
    owner_d = np.array([remap[int(d)] for d in owner_d])
    cells = cells[live]
    seeds = seeds[live]
    nd = len(live)
    dcount = dcount[live]
    if n_managers < nd:  # merge districts: fewer managers than districts is not today's practice
        raise PlannerError(f"{n_managers} managers for {nd} districts: use more managers")
    dids = [f"D{j + 1:02d}" for j in range(nd)]
    seats = allocate(dcount.astype(float), n_managers)
    # managers and teams
    n_teams = n_teams or max(1, min(6, int(round(n_managers / 6))))
    order = np.argsort(np.arctan2(seeds[:, 1] - xy[:, 1].mean(), seeds[:, 0] - xy[:, 0].mean()))
    team_of_district = np.empty(nd, dtype=int)
    for t, part in enumerate(np.array_split(order, n_teams)):
        team_of_district[part] = t
    mgr_rows = []
    mgr_of_district: dict[int, list[int]] = {}
    for d in range(nd):
        members = np.flatnonzero(owner_d == d)
        for _ in range(seats[d]):
            k = len(mgr_rows)
            home = xy[rng.choice(members)] + rng.normal(0, 300, 2)
            hl, ht = proj.inverse(home[0] + x0, home[1] + y0)
            mgr_rows.append({"manager_id": f"M{k + 1:03d}", "name": f"Manager {k + 1}",
                             "lon": round(float(hl), 6), "lat": round(float(ht), 6),
                             "team": f"Team {team_of_district[d] + 1}", "districts": dids[d]})
            mgr_of_district.setdefault(d, []).append(k)
    current = np.empty(n_retailers, dtype=np.int64)
    for d, mgrs in mgr_of_district.items():
        members = np.flatnonzero(owner_d == d)
        current[members] = strip_assignment(xy, members, mgrs)
        # historical exceptions: 5 % of a district's retailers stay with another of its managers
        if len(mgrs) > 1:
            swap = members[rng.random(len(members)) < 0.05]
            current[swap] = rng.choice(mgrs, size=len(swap))
    retailers = pd.DataFrame({
        "retailer_id": [f"R{k + 1:06d}" for k in range(n_retailers)],
        "name": [f"Retailer {k + 1}" for k in range(n_retailers)],
        "lon": np.round(lon, 6), "lat": np.round(lat, 6),
        "class": cls, "tier": tier, "sales_volume": np.round(sales, 1),
        "opening_hours": hours, "district": [dids[d] for d in owner_d], "market": market,
        "current_manager": [mgr_rows[m]["manager_id"] for m in current],
    })
    managers = pd.DataFrame(mgr_rows)
    # roads
    towns = np.array([[c[1], c[2]] for c in clusters if c[0].startswith(("town", "sub"))]) if any(
        c[0].startswith(("town", "sub")) for c in clusters) else np.zeros((1, 2))
    nodes, edges, length, hw, speed = _road_graph(xy, towns, rng)
    nlon, nlat = proj.inverse(nodes[:, 0] + x0, nodes[:, 1] + y0)
    g = nx.Graph()
    for k in range(len(nodes)):
        g.add_node(str(k), x=round(float(nlon[k]), 7), y=round(float(nlat[k]), 7))
    for (a, b), L, h, s in zip(edges.tolist(), length, hw, speed, strict=True):
        g.add_edge(str(a), str(b), length=round(float(L), 1), highway=str(h), speed_kph=float(s))
    # districts file
    dlon_lat = [shapely.transform(c, lambda p: np.column_stack(proj.inverse(p[:, 0] + x0, p[:, 1] + y0))) for c in cells]
    feats = [{"type": "Feature", "properties": {"district_id": dids[j], "name": f"District {j + 1}"},
              "geometry": mapping(shapely.set_precision(dlon_lat[j], 1e-6))} for j in range(nd)]
    out.mkdir(parents=True, exist_ok=True)
    files = []
    p = out / "retailers.csv"
    retailers.to_csv(p, index=False, encoding="utf-8")
    files.append(p)
    p = out / "managers.csv"
    managers.to_csv(p, index=False, encoding="utf-8")
    files.append(p)
    p = out / "districts.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    files.append(p)
    p = out / "roads.graphml.gz"
    with gzip.open(p, "wb") as f:
        nx.write_graphml(g, f)
    files.append(p)
    p = out / "scenario.yaml"
    p.write_text(SCENARIO_TEMPLATE.format(name=f"Generated {kind} ({n_retailers} retailers, {n_managers} managers, seed {seed})",
                                          seed=seed), encoding="utf-8")
    files.append(p)
    return files


SCENARIO_TEMPLATE = """\
# Generated by `planner generate`: a synthetic region for demos and benchmarks.
name: "{name}"
inputs:
  retailers: retailers.csv
  managers: managers.csv
  districts: districts.geojson
  road_network: roads.graphml.gz
classes:
  A: {{visits_per_cycle: 4, service_min: 25, value: 3, label: key customer}}
  B: {{visits_per_cycle: 2, service_min: 15, value: 2, label: regular customer}}
  C: {{visits_per_cycle: 1, service_min: 10, value: 1, label: general customer}}
calendar:
  start_date: 2027-01-04
  weeks: 4
  working_days: [Mon, Tue, Wed, Thu, Fri]
  shift: {{start: "08:30", end: "17:30"}}
  breaks:
    - {{start: "12:00", end: "13:30", duration_min: 30}}
travel:
  model: road_network
  max_snap_m: 3000
  access_speed_kmh: 20
territories:
  balance: {{workload: 0.03}}
solver:
  seed: {seed}
output:
  folder: plans
"""


# --- next quarter's data (demos, tests, benchmarks) ----------------------------------------------

def simulate_quarter(src: Path, dst: Path, *, seed: int = 1, new_share: float = 0.03, closed_share: float = 0.02,
                     class_change_share: float = 0.05, leave: int = 1, join: int = 1,
                     previous_plan: Path | None = None) -> Path:
    """Copy a region folder (``scenario.yaml``, ``retailers.csv``, ``managers.csv`` and the other
    files) to ``dst`` with next quarter's changes: new retailers near existing ones, closed
    retailers, class changes (one step up or down), ``leave`` managers removed and ``join``
    managers added (based near a random retailer, in an existing team). ``current_manager``
    becomes the previous plan's manager when ``previous_plan`` is given (the assignment in force),
    and is cleared for the retailers of managers who left and for new retailers. Returns the new
    scenario path."""
    import shutil

    src, dst = Path(src), Path(dst)
    if dst.exists() and any(dst.iterdir()):
        raise PlanExistsError(f"{dst} already exists and is not empty")
    rng = np.random.default_rng(seed)
    shutil.copytree(src, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns("plans", ".*"))
    r = pd.read_csv(dst / "retailers.csv", dtype=str, keep_default_na=False)
    m = pd.read_csv(dst / "managers.csv", dtype=str, keep_default_na=False)
    n = len(r)
    if previous_plan is not None and "current_manager" in r.columns:
        a = pd.read_csv(Path(previous_plan) / "assignments.csv", dtype=str, keep_default_na=False)
        owner = dict(zip(a["retailer_id"], a["manager_id"], strict=True))
        r["current_manager"] = [owner.get(x, c) for x, c in zip(r["retailer_id"], r["current_manager"], strict=True)]
    classes = sorted(r["class"].unique())
    ch = rng.random(n) < class_change_share
    for i in np.flatnonzero(ch):
        j = classes.index(r.at[i, "class"]) + (1 if rng.random() < 0.5 else -1)
        r.at[i, "class"] = classes[min(max(j, 0), len(classes) - 1)] if len(classes) > 1 else r.at[i, "class"]
    closed = rng.random(n) < closed_share
    k_new = int(round(new_share * n))
    base = r.iloc[rng.choice(n, size=k_new)].copy() if k_new else r.iloc[:0].copy()
    lon = base["lon"].astype(float).to_numpy() + rng.normal(0, 0.002, k_new)
    lat = base["lat"].astype(float).to_numpy() + rng.normal(0, 0.002, k_new)
    base["lon"], base["lat"] = np.round(lon, 6).astype(str), np.round(lat, 6).astype(str)
    base["retailer_id"] = [f"N{seed:02d}{k + 1:05d}" for k in range(k_new)]
    if "name" in base.columns:
        base["name"] = [f"New retailer {k + 1}" for k in range(k_new)]
    base["class"] = rng.choice(classes, size=k_new) if k_new else []
    if "current_manager" in base.columns:
        base["current_manager"] = ""
    r = pd.concat([r[~closed], base], ignore_index=True)
    leaving = sorted(rng.choice(m["manager_id"].to_numpy(), size=min(leave, len(m) - 1), replace=False).tolist()) \
        if leave else []
    m = m[~m["manager_id"].isin(leaving)].reset_index(drop=True)
    if "current_manager" in r.columns:
        r.loc[r["current_manager"].isin(leaving), "current_manager"] = ""
    rows = []
    for k in range(join):
        at = r.iloc[int(rng.integers(len(r)))]
        row = {c: "" for c in m.columns}
        row.update({"manager_id": f"J{seed:02d}{k + 1:02d}", "lon": f"{float(at['lon']) + rng.normal(0, 0.003):.6f}",
                    "lat": f"{float(at['lat']) + rng.normal(0, 0.003):.6f}",
                    "team": str(m["team"].iloc[int(rng.integers(len(m)))]) if "team" in m.columns else "T1"})
        if "name" in m.columns:
            row["name"] = f"New manager {k + 1}"
        rows.append(row)
    if rows:
        m = pd.concat([m, pd.DataFrame(rows)], ignore_index=True)
    r.to_csv(dst / "retailers.csv", index=False, encoding="utf-8")
    m.to_csv(dst / "managers.csv", index=False, encoding="utf-8")
    return dst / "scenario.yaml"

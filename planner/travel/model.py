"""Travel-time models: straight line x circuity / speed, and road-network shortest paths.

Both implement :class:`solvers.common.TravelTimes` over the scenario's *locations*: retailers
first (``0 .. R-1``), then the managers' bases (``R .. R+M-1``). Travel times are integer seconds,
rounded in one place (:func:`planner.travel.oracles.to_seconds`). Neither model ever builds a matrix over all
locations of a city: rows are computed for the sources asked for (a territory, a block, the
territory centres), and road rows come from ``scipy.sparse.csgraph.dijkstra`` on the road graph.

Road networks are read from an OpenStreetMap PBF extract (via pyrosm) or a GraphML file (as
written by OSMnx or ``planner generate``). Every location is snapped to the nearest node of the
largest strongly connected part of the network; the distance to that node is covered at
``access_speed_kmh``. Locations farther than ``max_snap_m`` from any road are *unreachable*: they
are reported by id, and strict oracles (used for routing) give them
:data:`solvers.common.UNREACHABLE` travel times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from planner.travel.network import RoadNetwork, read_road_network
from planner.travel.oracles import RoadTravel, StraightLineTravel


@dataclass
class TravelModel:
    """The scenario's travel model over its locations (retailers, then bases).

    ``oracle`` is strict (unreachable locations get :data:`UNREACHABLE`), ``soft`` is not (used
    by territory design, which must still place unreachable retailers somewhere).
    """

    oracle: object
    soft: object
    kind: str
    unreachable: np.ndarray  # bool per location
    description: str
    network: RoadNetwork | None = None

    def path_lonlat(self, i: int, j: int, lonlat: np.ndarray) -> list[tuple[float, float]]:
        if isinstance(self.oracle, RoadTravel):
            pts = self.oracle.path_lonlat(i, j)
            if pts:
                return [tuple(lonlat[i])] + pts + [tuple(lonlat[j])]
        return [tuple(lonlat[i]), tuple(lonlat[j])]


def snap(network: RoadNetwork, x: np.ndarray, y: np.ndarray, projection) -> tuple[np.ndarray, np.ndarray]:
    """Nearest node of the main component for each point; returns (node, distance_m)."""
    mask = network.main_component()
    cand = np.flatnonzero(mask)
    nx_, ny_ = projection.forward(network.lon[cand], network.lat[cand])
    tree = cKDTree(np.column_stack([nx_, ny_]))
    dist, k = tree.query(np.column_stack([x, y]))
    return cand[k], dist


def build_travel(travel_cfg, xy: np.ndarray, projection, network: RoadNetwork | None) -> TravelModel:
    """Build the travel model for locations with projected coordinates ``xy``."""
    parking_s = travel_cfg.parking_min * 60.0
    if travel_cfg.model == "straight_line" or network is None:
        o = StraightLineTravel(xy, speed_kmh=travel_cfg.speed_kmh, circuity=travel_cfg.circuity, parking_s=parking_s)
        desc = f"straight line x {travel_cfg.circuity:g} at {travel_cfg.speed_kmh:g} km/h"
        return TravelModel(o, o, "straight_line", np.zeros(len(xy), dtype=bool), desc)
    node, dist = snap(network, xy[:, 0], xy[:, 1], projection)
    access = dist / (travel_cfg.access_speed_kmh / 3.6)
    unreachable = dist > travel_cfg.max_snap_m
    soft = RoadTravel(network, node, access, unreachable, strict=False, parking_s=parking_s)
    strict = RoadTravel(network, node, access, unreachable, strict=True, parking_s=parking_s, share_rows_with=soft)
    desc = (f"road network {network.source} ({network.n_nodes} nodes, {network.n_edges} directed edges), "
            f"snap <= {travel_cfg.max_snap_m:g} m, access {travel_cfg.access_speed_kmh:g} km/h")
    return TravelModel(strict, soft, "road_network", unreachable, desc, network)


def travel_model(loaded, ds) -> TravelModel:
    """The travel model of a scenario's locations (its retailers, then its managers' bases), with
    the road network read from ``inputs.road_network`` when ``travel.model`` is ``road_network``.

    The one way both the planner and the independent validator build travel times.
    """
    sc = loaded.scenario
    network = None
    if sc.travel.model == "road_network":
        network = read_road_network(loaded.resolve(sc.inputs.road_network), sc.travel.speeds_kmh)
    xy = np.vstack([ds.retailers[["x", "y"]].to_numpy(), ds.managers[["x", "y"]].to_numpy()])
    return build_travel(sc.travel, xy, ds.projection, network)

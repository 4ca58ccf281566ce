"""The network as the model sees it: road links for assignment, and centroid x centroid skims.

- :func:`road_links` and :func:`connectors`: the directed road links with
  their capacity and delay function, and the connectors that join places to
  junctions, as the assignment takes them;
- :func:`skims`: every skim at given road link times (:class:`Skims`), one
  function per skim: cars' time, distance and toll; public transport that
  uses rail; trucks' time; containers' cost by road, and by rail with its
  time;
- :func:`intrazonal_s`: the time of a trip within its own zone.

Every shortest path is the engine's (:mod:`corridor.paths.engine`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from corridor.inputs.region import Region
from corridor.paths.engine import CompiledNetwork, compile_network, min_plus, path_sums, travel_times
from corridor.settings import Settings

__all__ = [
    "Key",
    "Skims",
    "connectors",
    "intrazonal_s",
    "road_links",
    "skims",
]

#: a directed link of the network: (from node, to node, key)
Key = tuple[Any, Any, Any]


def _by_class(table: dict[str, Any], link_class: str) -> Any:
    return table.get(link_class, table.get("default"))


# ------------------------------------------------------------------ the road network for assignment


def road_links(G: nx.MultiDiGraph, settings: Settings) -> pd.DataFrame:
    """The directed road links of a network with their capacity (PCU/h) and delay function.

    Capacity a direction = lanes a direction x the class's lane capacity x
    the congestion area's factor (side friction); lanes are the pack's
    (both directions), else the class's default.
    """
    a = settings.assignment
    rows = []
    for u, v, k, d in G.edges(keys=True, data=True):
        if d.get("mode") != "road":
            continue
        link_class = str(d.get("link_class", "road"))
        lanes_total = d.get("lanes")
        if lanes_total is None or not (isinstance(lanes_total, int | float) and math.isfinite(lanes_total)):
            lanes_total = _by_class(a.default_lanes, link_class)
        lanes_dir = float(lanes_total) if d.get("oneway") else max(float(lanes_total) / 2.0, 1.0)
        area = d.get("congestion_area")
        factor = a.area_capacity_factor.get(area, 1.0) if area else 1.0
        class_speed = float(d.get("free_flow_speed_kph") or d["speed_kph"])
        free_speed = class_speed
        if area and link_class not in {"expressway", "motorway"}:
            free_speed *= a.urban_free_flow_factor.get(area, 1.0)
        length = float(d["length"])
        rows.append(
            {
                "key": (u, v, k),
                "from_node": u,
                "to_node": v,
                "link_id": d.get("link_id"),
                "name": d.get("name"),
                "link_class": link_class,
                "area": area,
                "length_m": length,
                "lanes": lanes_dir,
                "capacity_pcu_h": lanes_dir * float(_by_class(a.lane_capacity_pcu_h, link_class)) * factor,
                "class_speed_kph": class_speed,
                "free_flow_speed_kph": free_speed,
                "free_flow_time_s": length / (free_speed / 3.6),
                "toll_php": length / 1000 * float(_by_class(a.toll_php_per_km, link_class)),
                "alpha": float(_by_class(a.bpr_alpha, link_class)),
                "beta": float(_by_class(a.bpr_beta, link_class)),
                "reversed": bool(d.get("reversed")),
            }
        )
    return pd.DataFrame(rows)


def connectors(G: nx.MultiDiGraph) -> pd.DataFrame:
    """Connectors between places and junctions: no capacity limit, their own fixed time."""
    rows = [
        {"key": (u, v, k), "from_node": u, "to_node": v, "free_flow_time_s": float(d["travel_time"])}
        for u, v, k, d in G.edges(keys=True, data=True)
        if d.get("mode") == "access" and d.get("attaches") == "road"
    ]
    return pd.DataFrame(rows, columns=["key", "from_node", "to_node", "free_flow_time_s"])


# ------------------------------------------------------------------ what a link costs each user


class _Weights:
    """What a link costs cars, trucks and containers at given road link times (seconds)."""

    def __init__(self, link_time_s: dict[Key, float], settings: Settings) -> None:
        f = settings.freight
        self.link_time_s = link_time_s
        self.settings = settings
        self.php_per_teu_km = f.road_usd_per_tkm * f.payload_t_per_teu * settings.php_per_usd

    def car_time(self, u: Any, v: Any, k: Any, d: dict[str, Any]) -> float:
        """A car's time on the link: its congested time on roads, its own elsewhere."""
        return self.link_time_s.get((u, v, k), float(d["travel_time"]))

    def car_cost_s(self, u: Any, v: Any, k: Any, d: dict[str, Any]) -> float:
        """Time plus the toll, as seconds of a driver's time: what a driver's route minimises."""
        return self.car_time(u, v, k, d) + self.toll_s(d)

    def toll_s(self, d: dict[str, Any]) -> float:
        """The link's toll as seconds of a driver's time (0 off the roads)."""
        if d.get("mode") != "road":
            return 0.0
        s = self.settings
        rate = float(_by_class(s.assignment.toll_php_per_km, str(d.get("link_class"))))
        return float(d["length"]) / 1000 * rate / s.value_of_time_php_per_h * 3600

    def truck_time(self, u: Any, v: Any, k: Any, d: dict[str, Any]) -> float:
        """A truck's time: a car's, but no faster than the class's truck speed limit."""
        t = self.car_time(u, v, k, d)
        if d.get("mode") == "road":
            limit = float(_by_class(self.settings.freight.truck_speed_limit_kph, str(d.get("link_class"))))
            t = max(t, float(d["length"]) / (limit / 3.6))
        return t

    def freight_cost(self, u: Any, v: Any, k: Any, d: dict[str, Any]) -> float:
        """PHP a TEU: road haul by the km and the hour; rail haul cheaper by the km; a lift at a terminal."""
        f = self.settings.freight
        if d.get("link_class") == "freight_rail":
            km = float(d["length"]) / 1000
            return (
                km * self.php_per_teu_km * (1 - f.rail_discount)
                + float(d["travel_time"]) / 3600 * f.cargo_vot_php_per_teu_h
            )
        if d.get("freight") and d.get("mode") in {"transfer", "access"}:
            return f.lift_php_per_teu / 2 + float(d.get("wait_s", 0.0)) / 3600 * f.cargo_vot_php_per_teu_h
        km = float(d.get("length", 0.0)) / 1000 if d.get("mode") == "road" else 0.0
        return km * self.php_per_teu_km + self.truck_time(u, v, k, d) / 3600 * f.haul_time_php_per_teu_h


def _is_freight_rail(d: dict[str, Any]) -> bool:
    return d.get("link_class") == "freight_rail"


def _not_freight_rail(d: dict[str, Any]) -> bool:
    return not _is_freight_rail(d)


def _stations(G: nx.MultiDiGraph, *, freight: bool) -> list[Any]:
    """The passenger stations, or the freight railway's terminals."""
    return [n for n, d in G.nodes(data=True) if d.get("kind") == "station" and bool(d.get("freight")) == freight]


def _through(nodes: list[Any], hubs: list[Any], access: CompiledNetwork, between: CompiledNetwork) -> np.ndarray:
    """Centroid x centroid: to a hub on ``access``, to another hub on ``between``, and on from it on ``access``."""
    return min_plus(
        min_plus(travel_times(access, nodes, hubs), travel_times(between, hubs, hubs)),
        travel_times(access, hubs, nodes),
    )


# ------------------------------------------------------------------ skims


@dataclass
class Skims:
    """Centroid x centroid skims at one set of road link times.

    Attributes
    ----------
    car_s, car_km, car_toll_php
        A car's time, distance and toll on the route that minimises time and
        toll (0 on the diagonal).
    rail_s
        Public transport that uses rail: to a station, by rail, from a
        station (``inf`` where none serves).
    truck_s
        A truck's time.
    freight_road_php
        A container's generalized cost (PHP/TEU) by truck alone.
    freight_rail_php, freight_rail_s
        A container's cost and time through the freight railway's terminals
        (``inf`` where none runs).
    """

    car_s: np.ndarray
    car_km: np.ndarray
    car_toll_php: np.ndarray
    rail_s: np.ndarray
    truck_s: np.ndarray
    freight_road_php: np.ndarray
    freight_rail_php: np.ndarray
    freight_rail_s: np.ndarray


def _car_skims(
    G: nx.MultiDiGraph, nodes: list[Any], weights: _Weights, settings: Settings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A car's time (s), distance (km) and toll (PHP) on its route of least time and toll."""
    car = compile_network(G, "road", weight=weights.car_cost_s)
    rows = [car.out_index[n] for n in nodes]
    cols = [car.in_index[n] for n in nodes]
    keys = car.edge_keys or []
    lengths = np.array([float(G.edges[key].get("length", 0.0)) for key in keys])
    times = np.array([weights.car_time(*key, G.edges[key]) for key in keys])
    tolls = np.array([weights.toll_s(G.edges[key]) for key in keys]) / 3600 * settings.value_of_time_php_per_h
    car_km = path_sums(car, rows, cols, lengths) / 1000
    car_s = path_sums(car, rows, cols, times)
    car_toll = path_sums(car, rows, cols, tolls)
    for m in (car_km, car_s, car_toll):
        np.fill_diagonal(m, 0.0)
    return car_s, car_km, car_toll


def _rail_skim(G: nx.MultiDiGraph, nodes: list[Any], weights: _Weights) -> np.ndarray:
    """Public transport that uses rail (s): to a station, by rail, from a station."""
    stations = _stations(G, freight=False)
    if not stations:
        return np.full((len(nodes), len(nodes)), np.inf)
    transit = compile_network(G, "transit", weight=weights.car_time)
    return _through(nodes, stations, transit, compile_network(G, "rail"))


def _truck_skim(G: nx.MultiDiGraph, nodes: list[Any], weights: _Weights) -> np.ndarray:
    """A truck's time (s) on the roads."""
    return travel_times(compile_network(G, "road", weight=weights.truck_time), nodes, nodes)


def _freight_road_skim(G: nx.MultiDiGraph, nodes: list[Any], weights: _Weights) -> np.ndarray:
    """A container's generalized cost (PHP/TEU) by truck alone."""
    return travel_times(compile_network(G, "road", weight=weights.freight_cost), nodes, nodes)


def _freight_rail_skims(G: nx.MultiDiGraph, nodes: list[Any], weights: _Weights) -> tuple[np.ndarray, np.ndarray]:
    """A container's cost (PHP/TEU) and time (s) through the freight railway's terminals (``inf`` where none runs)."""
    terminals = _stations(G, freight=True)
    if not terminals:
        return np.full((len(nodes), len(nodes)), np.inf), np.full((len(nodes), len(nodes)), np.inf)

    def freight(weight: str | Callable[..., float], include: Callable[[dict[str, Any]], bool]) -> CompiledNetwork:
        return compile_network(G, "freight", weight=weight, include=include)

    cost = _through(
        nodes,
        terminals,
        freight(weights.freight_cost, _not_freight_rail),
        freight(weights.freight_cost, _is_freight_rail),
    )
    time_s = _through(
        nodes,
        terminals,
        freight(weights.truck_time, _not_freight_rail),
        freight("travel_time", _is_freight_rail),
    )
    return cost, time_s


def skims(G: nx.MultiDiGraph, nodes: list[Any], link_time_s: dict[Key, float], settings: Settings) -> Skims:
    """Centroid x centroid skims at the given road link times (seconds)."""
    weights = _Weights(link_time_s, settings)
    car_s, car_km, car_toll = _car_skims(G, nodes, weights, settings)
    freight_rail_php, freight_rail_s = _freight_rail_skims(G, nodes, weights)
    return Skims(
        car_s=car_s,
        car_km=car_km,
        car_toll_php=car_toll,
        rail_s=_rail_skim(G, nodes, weights),
        truck_s=_truck_skim(G, nodes, weights),
        freight_road_php=_freight_road_skim(G, nodes, weights),
        freight_rail_php=freight_rail_php,
        freight_rail_s=freight_rail_s,
    )


def intrazonal_s(
    region: Region | None, places: list[str], kinds: list[str], car_s: np.ndarray, settings: Settings
) -> np.ndarray:
    """A trip within its zone: half the zone's equivalent radius at the intrazonal speed."""
    out = np.zeros(len(places))
    polygons = region.zone_polygons if region is not None else None
    for i, (pid, kind) in enumerate(zip(places, kinds, strict=True)):
        if kind != "zone":
            continue
        if polygons is not None and pid in polygons.index:
            area_m2 = float(polygons.geometry.loc[pid].area)
            radius_m = math.sqrt(area_m2 / math.pi)
        else:  # no polygon: half the time to the nearest other zone, as a distance at the intrazonal speed
            others = np.delete(car_s[i], i)
            radius_m = float(np.min(others)) / 2 * (settings.demand.intrazonal_speed_kph / 3.6) if len(others) else 1000
        out[i] = 0.5 * radius_m / (settings.demand.intrazonal_speed_kph / 3.6)
    return out

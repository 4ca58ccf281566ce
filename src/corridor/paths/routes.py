"""Routes between places: the fastest trip's minutes, kilometres and legs, for people who ask the way."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
from scipy.sparse.csgraph import dijkstra

from corridor.errors import EngineError, NoRouteError
from corridor.network.build import Mode
from corridor.network.edges import Attrs, EdgeKey, Node
from corridor.network.places import Place, PlaceIndex
from corridor.paths.engine import CompiledNetwork, compile_network, tree_path

__all__ = [
    "Leg",
    "PT_ROAD_MODE",
    "Route",
    "route",
]


@dataclass(frozen=True)
class Leg:
    """A stretch of a trip on one mode and one named link or line."""

    mode: str
    name: str
    link_class: str
    minutes: float
    km: float
    wait_minutes: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "name": self.name,
            "link_class": self.link_class,
            "minutes": round(self.minutes, 2),
            "km": round(self.km, 3),
            "wait_minutes": round(self.wait_minutes, 2),
        }


@dataclass(frozen=True)
class Route:
    """A door-to-door trip: its time, length, path and legs."""

    origin: Place
    destination: Place
    mode: str
    time_s: float
    length_m: float
    nodes: tuple[Node, ...]
    edges: tuple[EdgeKey, ...]
    legs: tuple[Leg, ...]
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def minutes(self) -> float:
        return self.time_s / 60

    @property
    def km(self) -> float:
        return self.length_m / 1000

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``minutes``, ``km``, ``legs``, the places and provenance."""
        return {
            "from": self.origin.to_dict(),
            "to": self.destination.to_dict(),
            "mode": self.mode,
            "minutes": round(self.minutes, 2),
            "km": round(self.km, 3),
            "legs": [leg.to_dict() for leg in self.legs],
            "provenance": self.provenance,
        }


def route(
    G: nx.MultiDiGraph,
    origin: str | Place,
    destination: str | Place,
    *,
    mode: Mode = "any",
    places: PlaceIndex | None = None,
    compiled: CompiledNetwork | None = None,
) -> Route:
    """Return the fastest trip between two places.

    Parameters
    ----------
    G
        The network.
    origin, destination
        Places, or what a user would type for one: an id, a name or
        ``"lat,lon"`` (see :meth:`PlaceIndex.resolve`). A place of several
        nodes (the Port of Manila's terminals) is left or reached at
        whichever is fastest.
    mode
        ``road``, ``rail`` or ``any``.
    places, compiled
        Reuse a place index or a compiled network of the same graph and mode.

    Raises
    ------
    PlaceNotFound, OutsideRegionError
        A place that cannot be resolved.
    NoRouteError
        No path joins them on this mode.

    Examples
    --------
    >>> from corridor import load_region, build_network
    >>> G = build_network(load_region("luzon"))
    >>> trip = route(G, "Clark International Airport", "Port of Manila", mode="road")
    >>> 60 < trip.minutes < 150
    True
    """
    places = places or PlaceIndex(G)
    src = origin if isinstance(origin, Place) else places.resolve(origin, mode=mode)
    dst = destination if isinstance(destination, Place) else places.resolve(destination, mode=mode)
    compiled = _compiled_for(G, mode, compiled)
    provenance = dict(G.graph.get("provenance", {}))
    if set(src.nodes) & set(dst.nodes):
        return Route(src, dst, mode, 0.0, 0.0, (src.nodes[0],), (), (), provenance)
    path_idx = _fastest_path(compiled, src, dst, mode)
    assert compiled.edge_keys is not None
    positions = [compiled.arc(a, b) for a, b in itertools.pairwise(path_idx)]
    edges = tuple(compiled.edge_keys[p] for p in positions)
    on_pt = [bool(compiled.pt_arc[p]) if compiled.pt_arc is not None else False for p in positions]
    nodes = tuple(compiled.nodes[i] for i in path_idx)
    legs = _legs(G, edges, on_pt)
    time_s = float(sum(leg.minutes for leg in legs) * 60)
    length_m = float(sum(G.edges[e].get("length", 0.0) for e in edges))
    return Route(src, dst, mode, time_s, length_m, nodes, edges, legs, provenance)


def _compiled_for(G: nx.MultiDiGraph, mode: Mode, compiled: CompiledNetwork | None) -> CompiledNetwork:
    """The network a route searches: the one given (of this mode, compiled from a graph), else ``G`` compiled.

    Raises
    ------
    EngineError
        A network given of another mode, or compiled from arrays.
    """
    compiled = compiled or compile_network(G, mode)
    if compiled.mode != mode:
        raise EngineError(f"the compiled network is for mode {compiled.mode!r}", field="mode", value=mode)
    if compiled.edge_keys is None:
        raise EngineError("a route needs a network compiled from a graph (compile_network), not from arrays")
    return compiled


def _fastest_path(compiled: CompiledNetwork, src: Place, dst: Place, mode: str) -> list[int]:
    """The indices along the fastest path from any node of ``src`` to any node of ``dst``.

    Raises
    ------
    NoRouteError
        When no path joins them.
    """
    sources = [compiled.out_index[n] for n in src.nodes]
    dist, pred, _ = dijkstra(compiled.matrix, directed=True, indices=sources, return_predecessors=True, min_only=True)
    targets = [compiled.in_index[n] for n in dst.nodes]
    best = min(targets, key=lambda t: dist[t])
    if not np.isfinite(dist[best]):
        raise NoRouteError(
            f"no {mode} route from {src.name!r} to {dst.name!r}: they are not connected on this mode"
            + ("; mode 'any' combines road and rail" if mode != "any" else "")
        )
    return tree_path(pred, int(best))


#: how a road leg of a public transport trip is named (see :func:`corridor.network.build.any_layers`)
PT_ROAD_MODE = "jeepney/bus"


def _edge_leg(d: Attrs, pt: bool) -> Leg:
    """The leg of one edge: by car, or (``pt``) by public transport, slower on roads and with its wait."""
    mode = d.get("mode", "road")
    pt_wait = float(d.get("pt_wait_s") or 0.0) if pt else 0.0
    slower = 0.0
    if pt and mode == "road":
        mode = PT_ROAD_MODE
        slower = d["travel_time"] * (1 / float(d.get("pt_speed_factor") or 1.0) - 1)
    name = d.get("name") or d.get("link_class") or "unnamed road"
    if isinstance(name, list):  # osmnx merges names of simplified edges
        name = " / ".join(dict.fromkeys(str(x) for x in name))
    link_class = d.get("link_class") or str(d.get("highway", ""))
    minutes = (d["travel_time"] + slower + pt_wait) / 60
    km = d.get("length", 0.0) / 1000
    wait = (d.get("wait_s", 0.0) + pt_wait) / 60
    return Leg(mode, name, link_class, minutes, km, wait)


def _legs(G: nx.MultiDiGraph, edges: tuple[EdgeKey, ...], on_pt: Sequence[bool]) -> tuple[Leg, ...]:
    """A path's edges as legs: edges in a row on the same mode and named link or line make one leg."""
    legs: list[Leg] = []
    for e, pt in zip(edges, on_pt, strict=True):
        leg = _edge_leg(G.edges[e], pt)
        if legs and legs[-1].mode == leg.mode and legs[-1].name == leg.name:
            last = legs[-1]
            legs[-1] = Leg(
                leg.mode,
                leg.name,
                last.link_class,
                last.minutes + leg.minutes,
                last.km + leg.km,
                last.wait_minutes + leg.wait_minutes,
            )
        else:
            legs.append(leg)
    return tuple(legs)

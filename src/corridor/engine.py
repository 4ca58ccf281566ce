"""Shortest paths on compiled arrays.

:func:`compile_network` turns a graph into a CSR matrix of travel times for
one mode (road, rail or any), built once; :func:`travel_times` gives
origin-destination matrices from it with scipy's compiled Dijkstra, and
:func:`route` gives one door-to-door trip with its legs.

Zones, gateways and economic zones are centroids: trips start and end at
them but never pass through them. Each centroid gets two indices in the
compiled matrix, one that edges leave and one that edges enter, so no path
can use a centroid as a shortcut.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from corridor.errors import NoRouteError, PlaceNotFound
from corridor.network import CENTROID_KINDS, MODES, Mode, Place, PlaceIndex, edge_in_mode

__all__ = ["CompiledNetwork", "compile_network", "travel_times", "route", "Route", "Leg"]


@dataclass(frozen=True)
class CompiledNetwork:
    """A graph's travel times for one mode as a CSR matrix.

    Attributes
    ----------
    mode
        ``road``, ``rail`` or ``any``.
    matrix
        ``n x n`` CSR matrix of seconds; entry (i, j) is the fastest edge
        from index i to index j.
    out_index, in_index
        Graph node -> matrix index where paths leave and enter it (they
        differ only for centroids).
    nodes
        Matrix index -> graph node.
    edge_of
        (i, j) -> the graph edge (u, v, key) behind the matrix entry.
    """

    mode: str
    matrix: csr_matrix
    out_index: dict[Any, int]
    in_index: dict[Any, int]
    nodes: list[Any]
    edge_of: dict[tuple[int, int], tuple[Any, Any, Any]] = field(repr=False)

    @property
    def n(self) -> int:
        return int(self.matrix.shape[0])


def compile_network(G: nx.MultiDiGraph, mode: Mode = "any", *, weight: str = "travel_time") -> CompiledNetwork:
    """Compile a graph's edges usable by ``mode`` into a CSR matrix.

    Parameters
    ----------
    G
        The network; it is read, never changed.
    mode
        ``road``, ``rail`` or ``any`` (see :func:`corridor.network.edge_in_mode`).
    weight
        The edge attribute to minimise, in seconds.

    Raises
    ------
    ValueError
        An unknown mode, or an edge without a finite, non-negative weight.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    nodes: list[Any] = list(G.nodes)
    out_index = {n: i for i, n in enumerate(nodes)}
    in_index = dict(out_index)
    for n, d in G.nodes(data=True):
        if d.get("kind") in CENTROID_KINDS:
            in_index[n] = len(nodes)
            nodes.append(n)
    best: dict[tuple[int, int], tuple[float, tuple[Any, Any, Any]]] = {}
    for u, v, k, d in G.edges(keys=True, data=True):
        if not edge_in_mode(d, mode):
            continue
        w = d.get(weight)
        if w is None or not np.isfinite(w) or w < 0:
            raise ValueError(f"edge {u!r}->{v!r} (link {d.get('link_id')!r}) has no valid {weight}: {w!r}")
        key = (out_index[u], in_index[v])
        if key not in best or w < best[key][0]:
            best[key] = (float(w), (u, v, k))
    n = len(nodes)
    if best:
        ij = np.array(list(best), dtype=np.int64)
        # csgraph drops explicit zeros from sparse input, so floor weights at 1 ms
        data = np.maximum(np.array([b[0] for b in best.values()]), 1e-3)
        matrix = csr_matrix((data, (ij[:, 0], ij[:, 1])), shape=(n, n))
    else:
        matrix = csr_matrix((n, n))
    return CompiledNetwork(mode, matrix, out_index, in_index, nodes, {k: b[1] for k, b in best.items()})


def travel_times(compiled: CompiledNetwork, origins: list[Any], destinations: list[Any]) -> np.ndarray:
    """Return the origin x destination matrix of travel times in seconds.

    Unreachable pairs are ``inf``. Origins and destinations are graph nodes.

    Raises
    ------
    PlaceNotFound
        A node that is not in the compiled graph.
    """
    for n in (*origins, *destinations):
        if n not in compiled.out_index:
            raise PlaceNotFound(f"node {n!r} is not in the network")
    if not origins or not destinations:
        return np.empty((len(origins), len(destinations)))
    src = [compiled.out_index[n] for n in origins]
    dist = dijkstra(compiled.matrix, directed=True, indices=src)
    dist = np.atleast_2d(dist)
    cols = [compiled.in_index[n] for n in destinations]
    out = dist[:, cols]
    same = np.array(origins, dtype=object)[:, None] == np.array(destinations, dtype=object)[None, :]
    out[same] = 0.0
    return out


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
    nodes: tuple[Any, ...]
    edges: tuple[tuple[Any, Any, Any], ...]
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
    compiled = compiled or compile_network(G, mode)
    if compiled.mode != mode:
        raise ValueError(f"compiled network is for mode {compiled.mode!r}, not {mode!r}")
    provenance = dict(G.graph.get("provenance", {}))
    if set(src.nodes) & set(dst.nodes):
        return Route(src, dst, mode, 0.0, 0.0, (src.nodes[0],), (), (), provenance)
    sources = [compiled.out_index[n] for n in src.nodes]
    dist, pred, _ = dijkstra(compiled.matrix, directed=True, indices=sources, return_predecessors=True, min_only=True)
    targets = [compiled.in_index[n] for n in dst.nodes]
    best = min(targets, key=lambda t: dist[t])
    if not np.isfinite(dist[best]):
        raise NoRouteError(
            f"no {mode} route from {src.name!r} to {dst.name!r}: they are not connected on this "
            "mode" + ("; try --mode any" if mode != "any" else "")
        )
    path_idx = [int(best)]
    while pred[path_idx[-1]] >= 0:  # sources have no predecessor (-9999)
        path_idx.append(int(pred[path_idx[-1]]))
    path_idx.reverse()
    edges = tuple(compiled.edge_of[(a, b)] for a, b in itertools.pairwise(path_idx))
    nodes = tuple(compiled.nodes[i] for i in path_idx)
    time_s = float(sum(G.edges[e]["travel_time"] for e in edges))
    length_m = float(sum(G.edges[e].get("length", 0.0) for e in edges))
    return Route(src, dst, mode, time_s, length_m, nodes, edges, _legs(G, edges), provenance)


def _legs(G: nx.MultiDiGraph, edges: tuple[tuple[Any, Any, Any], ...]) -> tuple[Leg, ...]:
    legs: list[Leg] = []
    for e in edges:
        d = G.edges[e]
        mode = d.get("mode", "road")
        name = d.get("name") or d.get("link_class") or "unnamed road"
        if isinstance(name, list):  # osmnx merges names of simplified edges
            name = " / ".join(dict.fromkeys(str(x) for x in name))
        link_class = d.get("link_class") or str(d.get("highway", ""))
        minutes = d["travel_time"] / 60
        km = d.get("length", 0.0) / 1000
        wait = d.get("wait_s", 0.0) / 60
        if legs and legs[-1].mode == mode and legs[-1].name == name:
            last = legs[-1]
            legs[-1] = Leg(mode, name, last.link_class, last.minutes + minutes, last.km + km, last.wait_minutes + wait)
        else:
            legs.append(Leg(mode, name, link_class, minutes, km, wait))
    return tuple(legs)

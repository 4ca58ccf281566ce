"""Resolving what a user types (an id, a name, ``lat,lon``) to nodes of the network.

:class:`PlaceIndex` answers for one graph. The rules a user can rely on:

- an id or a name that several places share resolves to one kind in a fixed
  order: zone, gateway group, gateway, economic zone, station, junction; the
  :class:`Place` says which kind it took and what else matched, and a node
  id (``j:las_pinas``) names one node exactly;
- names match without regard to case, accents or punctuation;
- a coordinate snaps to the nearest node of the base network (a node a
  project added is never snapped to), so the same ``lat,lon`` is the same
  trip before and after a portfolio is built.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

from corridor.checks import bbox_text, closest, in_bbox, normalise_name
from corridor.errors import OutsideRegionError, PlaceNotFound
from corridor.geo import metric_xy
from corridor.network.build import Mode
from corridor.network.edges import Node

if TYPE_CHECKING:  # a tree is built on the first search by coordinates: a search by name needs none
    from scipy.spatial import cKDTree

__all__ = ["KIND_ORDER", "Place", "PlaceIndex", "normalise_name"]

#: When an id or a name matches places of several kinds, the first kind here wins.
KIND_ORDER = ("zone", "gateway_group", "gateway", "economic_zone", "station", "junction")
#: the order a name's near matches are suggested in: ports, airports and economic zones first
_HINT_RANK = {kind: i for i, kind in enumerate(("gateway_group", "gateway", "economic_zone", "zone", "station"))}
_COORD = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*,\s*([-+]?\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class Place:
    """What a user named: one or several graph nodes (a port of several terminals).

    Attributes
    ----------
    alternatives
        Other places the same text matched (as ``kind:id``), which the kind
        order set aside.
    """

    id: str
    name: str
    kind: str
    nodes: tuple[Node, ...]
    lat: float
    lon: float
    snapped_m: float | None = None
    alternatives: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name, "kind": self.kind, "lat": self.lat, "lon": self.lon}
        if self.snapped_m is not None:
            out["snapped_m"] = round(self.snapped_m, 1)
        if self.alternatives:
            out["also_matched"] = list(self.alternatives)
        return out


def _rank(kind: str) -> int:
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


class PlaceIndex:
    """Resolve place ids, names and ``lat,lon`` to graph nodes.

    Parameters
    ----------
    G
        A network from :func:`corridor.build_network`, a scenario, or
        :mod:`corridor.network.osm`.
    snap_max_km
        A coordinate farther than this from the nearest node of the mode is
        refused.
    project_nodes
        Snap coordinates to the nodes projects added as well (``G`` a
        scenario): a point by a project's new station reaches that station.
    """

    def __init__(self, G: nx.MultiDiGraph, *, snap_max_km: float = 10.0, project_nodes: bool = False) -> None:
        self.G = G
        self.snap_max_km = snap_max_km
        #: a coordinate snaps to the nodes projects added too (a scenario's network), not the base ones only
        self.project_nodes = project_nodes
        self._by_id: dict[str, list[Place]] = {}
        self._by_name: dict[str, list[Place]] = {}
        self._trees: dict[str, tuple[cKDTree, list[Node]]] = {}
        named = self._index_ids()
        self._index_gateway_groups()
        self._index_names(named)
        for table in (self._by_id, self._by_name):
            for places in table.values():
                places.sort(key=lambda p: _rank(p.kind))

    def _index_ids(self) -> dict[tuple[str, str], list[Node]]:
        """Each node with an id under its id; return the nodes of each (kind, normalised name)."""
        named: dict[tuple[str, str], list[Node]] = {}
        for n, d in self.G.nodes(data=True):
            kind, pid = d.get("kind"), d.get("place_id")
            if kind is None or pid is None:
                continue
            self._by_id.setdefault(str(pid), []).append(self._place(str(pid), d.get("name", str(pid)), kind, (n,)))
            if d.get("name"):
                named.setdefault((kind, normalise_name(str(d["name"]))), []).append(n)
        return named

    def _index_names(self, named: dict[tuple[str, str], list[Node]]) -> None:
        """Under each name, the nodes of one kind that share it, as one place (ids joined by ``+``)."""
        G = self.G
        for (kind, key), nodes in named.items():
            first = G.nodes[nodes[0]]
            pid = str(first["place_id"]) if len(nodes) == 1 else "+".join(str(G.nodes[n]["place_id"]) for n in nodes)
            self._by_name.setdefault(key, []).append(self._place(pid, first["name"], kind, tuple(nodes)))

    def _index_gateway_groups(self) -> None:
        """Each gateway group (its terminals, one place) under its id and its name."""
        G = self.G
        groups: dict[str, list[Node]] = {}
        for n, d in G.nodes(data=True):
            if d.get("kind") == "gateway" and d.get("group"):
                groups.setdefault(d["group"], []).append(n)
        for gid, members in groups.items():
            info = G.graph.get("gateway_groups", {}).get(gid, {"name": gid})
            place = self._place(gid, info["name"], "gateway_group", tuple(members))
            self._by_id.setdefault(gid, []).append(place)
            self._by_name.setdefault(normalise_name(info["name"]), []).append(place)

    def _place(self, pid: str, name: str, kind: str, nodes: tuple[Node, ...]) -> Place:
        xs = [self.G.nodes[n]["x"] for n in nodes]
        ys = [self.G.nodes[n]["y"] for n in nodes]
        return Place(pid, str(name), kind, nodes, lat=float(np.mean(ys)), lon=float(np.mean(xs)))

    def listing(self, kind: str | None = None) -> list[Place]:
        """Every place with an id (of one kind, when given), in kind order then by id."""
        out = [p for places in self._by_id.values() for p in places if kind is None or p.kind == kind]
        return sorted(out, key=lambda p: (_rank(p.kind), p.id))

    def names(self) -> Iterator[str]:
        """Every place name of the network (one per place)."""
        for places in self._by_name.values():
            yield places[0].name

    @staticmethod
    def _first(places: list[Place]) -> Place:
        chosen = places[0]
        others = tuple(f"{p.kind}:{p.id}" for p in places[1:])
        return Place(**{**chosen.__dict__, "alternatives": others}) if others else chosen

    def resolve(self, query: str, *, mode: Mode = "any") -> Place:
        """Return the place a user means.

        Parameters
        ----------
        query
            A place id (``clark_airport``), a node id (``j:las_pinas``), a
            name (``"Clark International Airport"``, any case and accents) or
            ``"lat,lon"``.
        mode
            For coordinates: snap to road junctions (``road``), stations
            (``rail``) or either (``any``).

        Raises
        ------
        PlaceNotFound
            An unknown id or name; the message lists the closest names.
        OutsideRegionError
            A coordinate outside the region, or farther than ``snap_max_km``
            from every node of the mode.
        """
        text = str(query).strip()
        match = _COORD.match(text)
        if match:
            return self.snap(float(match.group(1)), float(match.group(2)), mode=mode)
        found = self._lookup(text)
        if found is None:
            raise self._not_found(query, normalise_name(text))
        return found

    def _lookup(self, text: str) -> Place | None:
        """The place of an id (as typed, or in lower case), a node id or a name; None when nothing matches."""
        for candidate in (text, text.lower()):
            if candidate in self._by_id:
                return self._first(self._by_id[candidate])
        if text in self.G and self.G.nodes[text].get("place_id") is not None:
            d = self.G.nodes[text]
            return self._place(str(d["place_id"]), d.get("name", text), str(d.get("kind")), (text,))
        key = normalise_name(text)
        if key and key in self._by_name:
            return self._first(self._by_name[key])
        return None

    def _not_found(self, query: str, key: str) -> PlaceNotFound:
        """The error for a query (normalised: ``key``) that names no place, with the closest names."""
        choices = {normalise_name(n): n for n in self.names()}
        words = key.split()
        # names with every word typed as a word of theirs ("clark": Clark International Airport) come first,
        # the shortest first; then names that merely look alike
        by_word = sorted(
            (c for c in choices if words and all(any(w.startswith(q) for w in c.split()) for q in words)),
            key=lambda c: (_HINT_RANK.get(self._by_name[c][0].kind, len(_HINT_RANK)), len(c), c),
        )
        close = [c for c in closest(key, choices, n=5, cutoff=0.5) if c not in by_word]
        suggestions = [choices[c] for c in [*by_word, *close][:5]]
        return PlaceNotFound(
            f"unknown place {query!r}",
            value=query,
            allowed="a place id, a place name or 'lat,lon'"
            + (f"; closest: {', '.join(repr(s) for s in suggestions)}" if suggestions else ""),
        )

    def _tree(self, mode: Mode) -> tuple[cKDTree, list[Node]]:
        if mode not in self._trees:
            wanted = {"road": {"junction"}, "rail": {"station"}, "any": {"junction", "station"}}.get(mode, {"junction"})
            nodes = [
                n
                for n, d in self.G.nodes(data=True)
                if d.get("kind", "junction") in wanted and (self.project_nodes or d.get("project") is None)
            ]
            if not nodes:
                raise PlaceNotFound(f"the network has no {mode} nodes to snap to")
            xs = np.array([self.G.nodes[n]["x"] for n in nodes], dtype=float)
            ys = np.array([self.G.nodes[n]["y"] for n in nodes], dtype=float)
            mx, my = metric_xy(xs, ys)
            from scipy.spatial import cKDTree

            self._trees[mode] = (cKDTree(np.column_stack([mx, my])), nodes)
        return self._trees[mode]

    def snap(self, lat: float, lon: float, *, mode: Mode = "any") -> Place:
        """Return the nearest node of ``mode`` to a coordinate, as a place: of the base network, or of the
        scenario's with ``project_nodes``."""
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise OutsideRegionError(
                "is not a coordinate",
                value=f"{lat},{lon}",
                allowed="'lat,lon' in decimal degrees, latitude first (e.g. 14.61,120.95)",
            )
        bbox = self.G.graph.get("bbox")
        if not in_bbox(lon, lat, bbox):
            raise OutsideRegionError(
                f"coordinate {lat},{lon} is outside the region {self.G.graph.get('name', '')}; is it 'lat,lon'?",
                allowed=bbox_text(bbox),
            )
        tree, nodes = self._tree(mode)
        x, y = metric_xy(lon, lat)
        dist, idx = tree.query([x, y])
        if dist > self.snap_max_km * 1000:
            raise OutsideRegionError(
                f"coordinate {lat},{lon} is {dist / 1000:.1f} km from the nearest {mode} node; "
                f"it must be within {self.snap_max_km:g} km (settings.snap_max_km)"
            )
        n = nodes[int(idx)]
        d = self.G.nodes[n]
        name = d.get("name") or f"node {n}"
        return Place(
            f"{lat},{lon}",
            f"{name} (snapped)",
            d.get("kind", "junction"),
            (n,),
            lat=float(d["y"]),
            lon=float(d["x"]),
            snapped_m=float(dist),
        )

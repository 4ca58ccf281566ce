"""Scenarios: the base network with a portfolio's edits applied to a copy.

Projects are applied in the portfolio's order, except that a project always
comes after the projects it requires; each project's edits in their order.
Every change is logged as a typed :data:`Change` (:class:`NodeAdded`,
:class:`EdgeAdded`, :class:`EdgeRemoved`, :class:`EdgeChanged`,
:class:`NodeChanged`), so :meth:`Scenario.revert` undoes them exactly and
:meth:`Scenario.effect` tells what one project did to travel times, in graph
terms, for :mod:`corridor.paths.engine` to replay on a compiled network. The base
graph is never touched.

New links are built by the same functions as the base network's
(:mod:`corridor.network.build`, :mod:`corridor.network.edges`), and join the base network
only: what one project adds never rewires another.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import networkx as nx
from scipy.spatial import cKDTree
from shapely.geometry import LineString

from corridor.checks import bbox_text, closest_hint, in_bbox
from corridor.errors import ScenarioError
from corridor.geo import metric_xy
from corridor.inputs.projects import (
    Close,
    Coordinate,
    GatewayUpgrade,
    Investment,
    LinkSelection,
    NewGateway,
    NewLine,
    NewNode,
    Open,
    Portfolio,
    Project,
    Upgrade,
)
from corridor.inputs.region import Region
from corridor.network import edges
from corridor.network.build import (
    CENTROID_KINDS,
    MODES,
    add_region_roads,
    add_two_way,
    any_layers,
    congestion_area,
    connect_interchange,
    connect_place,
    connect_station,
    edge_in_mode,
    junction_tree,
    node_id,
    node_xy,
)
from corridor.settings import Settings

__all__ = [
    "Arc",
    "Change",
    "EdgeAdded",
    "EdgeChanged",
    "EdgeRemoved",
    "Effect",
    "NodeAdded",
    "NodeChanged",
    "NodeOp",
    "RoadSource",
    "Scenario",
    "apply_portfolio",
    "ordered_projects",
]

#: a coordinate stop within this distance of a junction uses it instead of a new one
SNAP_TO_JUNCTION_M = 300.0
#: the walk between a new station and the existing station it is built beside
INTERCHANGE_WALK_MIN = 3.0
DEFAULT_CLASS = {"road": "expressway", "bridge": "expressway", "rail": "commuter_rail", "ferry": "ferry"}
#: node attributes that projects add to rather than set
ADDITIVE = frozenset({"jobs", "population_added"})


class _Missing:
    """An attribute that was not there before a change."""

    def __repr__(self) -> str:
        return "MISSING"

    def __reduce__(self) -> str:
        return "MISSING"


MISSING = _Missing()


# ------------------------------------------------------------------ typed changes


def _restore(data: dict[str, Any], before: dict[str, Any]) -> None:
    for k, v in before.items():
        if v is MISSING:
            data.pop(k, None)
        else:
            data[k] = v


@dataclass(frozen=True)
class NodeAdded:
    """A node a project added."""

    node: Any

    def undo(self, G: nx.MultiDiGraph) -> None:
        G.remove_node(self.node)


@dataclass(frozen=True)
class EdgeAdded:
    """An edge a project added."""

    u: Any
    v: Any
    key: Any

    def undo(self, G: nx.MultiDiGraph) -> None:
        G.remove_edge(self.u, self.v, self.key)


@dataclass(frozen=True)
class EdgeRemoved:
    """An edge a project removed, with its attributes."""

    u: Any
    v: Any
    key: Any
    attrs: dict[str, Any]

    def undo(self, G: nx.MultiDiGraph) -> None:
        G.add_edge(self.u, self.v, key=self.key, **self.attrs)


@dataclass(frozen=True)
class EdgeChanged:
    """An edge whose attributes a project changed; ``before`` holds their old values (or MISSING)."""

    u: Any
    v: Any
    key: Any
    before: dict[str, Any]

    def undo(self, G: nx.MultiDiGraph) -> None:
        _restore(G.edges[self.u, self.v, self.key], self.before)


@dataclass(frozen=True)
class NodeChanged:
    """A node whose attributes a project changed; ``before`` holds their old values (or MISSING)."""

    node: Any
    before: dict[str, Any]

    def undo(self, G: nx.MultiDiGraph) -> None:
        _restore(G.nodes[self.node], self.before)


Change = NodeAdded | EdgeAdded | EdgeRemoved | EdgeChanged | NodeChanged


@dataclass(frozen=True)
class Arc:
    """A directed link in graph node ids and its travel time (s).

    In mode ``any``, ``tail_pt`` and ``head_pt`` say whether the arc leaves
    from and arrives on the public transport layer of the road network (see
    :func:`corridor.network.build.any_layers`).
    """

    u: Any
    v: Any
    time_s: float
    tail_pt: bool = False
    head_pt: bool = False


@dataclass(frozen=True)
class NodeOp:
    """A change of a node attribute: ``value`` is added to it when ``additive``, else it replaces it."""

    node: Any
    attr: str
    value: Any
    additive: bool


@dataclass(frozen=True)
class Effect:
    """What one project did to the network, in graph terms: enough to replay it on the compiled base.

    Attributes
    ----------
    project_id
        The project.
    nodes
        New nodes and their attributes, in the order they were added.
    better
        Per mode, arcs added or made faster, with their new time.
    worse
        Per mode, arcs removed or made slower, with their old time.
    node_ops
        Changes of node attributes (jobs, residents, gateway capacity, ...).
    slower
        Per mode, the arcs of :attr:`worse` that are still there, with their
        new (longer) time.
    """

    project_id: str
    nodes: tuple[tuple[Any, dict[str, Any]], ...]
    better: dict[str, tuple[Arc, ...]]
    worse: dict[str, tuple[Arc, ...]]
    node_ops: tuple[NodeOp, ...]
    slower: dict[str, tuple[Arc, ...]] = field(default_factory=dict)

    @property
    def only_improves(self) -> bool:
        """True when no arc got slower or was removed."""
        return not any(self.worse.values())


# ------------------------------------------------------------------ scenario


class RoadSource(Protocol):
    """Roads kept outside the scenario's graph (an island's road arrays), brought into it as edits need them.

    The graph then holds the places, rail lines and connectors, and only
    the junctions and road links that an edit touches: a junction a new
    link snaps to, a link an upgrade or a closure selects. They enter as
    base network (not logged), so a revert keeps them.
    """

    def junction_index(self) -> tuple[cKDTree, Sequence[Any]]:
        """A KD-tree (EPSG:32651) of every road junction, and the junctions in its order."""
        ...

    def is_junction(self, node: Any) -> bool:
        """Whether ``node`` is a road junction of the base network."""
        ...

    def add_junction(self, G: nx.MultiDiGraph, node: Any) -> None:
        """Put a road junction into G (with its ``x``, ``y`` and ``kind``) when it is not there yet."""
        ...

    def add_links(self, scenario: Scenario, link_ids: Sequence[str]) -> dict[str, list[tuple[Any, Any, Any]]]:
        """Put the base road links of these ids into the scenario's graph; their edge keys by link id found."""
        ...

    def road_route(self, scenario: Scenario, a: Any, b: Any) -> list[str] | None:
        """The road link ids of the fastest road route from a to b in the scenario as it stands, or None."""
        ...


@dataclass
class Scenario:
    """A portfolio applied to a copy of the base network.

    Attributes
    ----------
    G
        The scenario graph.
    portfolio
        What was applied.
    log
        Every change, in order.
    applied
        The project ids, in the order they were applied.
    spans
        Per project, the slice of :attr:`log` it made.
    roads
        Where the road network lives when it is not in :attr:`G` (see
        :class:`RoadSource`); None when G holds it.
    road_arcs
        With :attr:`roads`: the base road arcs brought into G, by their
        position in the road source, and their edge keys.
    """

    G: nx.MultiDiGraph
    portfolio: Portfolio
    log: list[Change] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)
    roads: RoadSource | None = field(default=None, repr=False)
    road_arcs: dict[int, tuple[Any, Any, Any]] = field(default_factory=dict, repr=False)
    _junctions: tuple[cKDTree, Sequence[Any]] | None = field(default=None, repr=False)
    _junction_set: frozenset[Any] | None = field(default=None, repr=False)
    _base_graph_attrs: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def changed_edges(self) -> list[tuple[Any, Any, Any]]:
        """Edges added, or whose travel time changed, as (u, v, key)."""
        out: list[tuple[Any, Any, Any]] = []
        for change in self.log:
            if isinstance(change, EdgeAdded):
                out.append((change.u, change.v, change.key))
            elif isinstance(change, EdgeChanged):
                key = (change.u, change.v, change.key)
                if change.before.get("travel_time", MISSING) != self.G.edges[key].get("travel_time", MISSING):
                    out.append(key)
        return out

    @property
    def only_improves(self) -> bool:
        """True when no edge was removed or slowed down: no path can get longer."""
        for change in self.log:
            if isinstance(change, EdgeRemoved):
                return False
            if isinstance(change, EdgeChanged):
                before = change.before.get("travel_time", MISSING)
                after = self.G.edges[change.u, change.v, change.key].get("travel_time")
                if before is not MISSING and after is not None and after > before:
                    return False
        return True

    def junction_index(self) -> tuple[cKDTree, Sequence[Any]]:
        """A KD-tree of the base network's junctions (EPSG:32651), built once."""
        if self._junctions is None:
            self._junctions = self.roads.junction_index() if self.roads is not None else junction_tree(self.G)
        return self._junctions

    def is_base_junction(self, node: Any) -> bool:
        """Whether ``node`` is a road junction of the base network (not one a project added)."""
        if self.roads is not None:
            return self.roads.is_junction(node)
        if self._junction_set is None:
            self._junction_set = frozenset(self.junction_index()[1])
        return node in self._junction_set

    def base_junction(self, node: Any) -> Any:
        """A junction of the base network, in G (brought in from :attr:`roads` when it lives there)."""
        if self.roads is not None:
            self.roads.add_junction(self.G, node)
        return node

    # ------------------------------------------------------------ logged changes
    def add_node(self, n: Any, **attrs: Any) -> None:
        self.G.add_node(n, **attrs)
        self.log.append(NodeAdded(n))

    def add_edges(self, keys: list[tuple[Any, Any, Any]]) -> None:
        self.log.extend(EdgeAdded(u, v, k) for u, v, k in keys)

    def set_edge(self, key: tuple[Any, Any, Any], changes: dict[str, Any]) -> None:
        data = self.G.edges[key]
        before = {k: data.get(k, MISSING) for k in changes}
        data.update(changes)
        self.log.append(EdgeChanged(*key, before=before))

    def remove_edge(self, key: tuple[Any, Any, Any]) -> None:
        data = dict(self.G.edges[key])
        self.G.remove_edge(*key)
        self.log.append(EdgeRemoved(*key, attrs=data))

    def set_node(self, n: Any, changes: dict[str, Any]) -> None:
        data = self.G.nodes[n]
        before = {k: data.get(k, MISSING) for k in changes}
        data.update(changes)
        self.log.append(NodeChanged(n, before))

    def revert(self) -> nx.MultiDiGraph:
        """Undo every logged change, newest first; return the graph, now equal to the base."""
        for change in reversed(self.log):
            change.undo(self.G)
        self.log.clear()
        self.applied.clear()
        self.spans.clear()
        self.G.graph.clear()
        self.G.graph.update(self._base_graph_attrs)
        return self.G

    def apply(self, project: Project, *, settings: Settings, region: Region | None = None) -> None:
        """Apply one project's edits, in order, and log them as its span."""
        start = len(self.log)
        for index, edit in enumerate(project.edits):
            _APPLY[type(edit)](_Context(self, project, index, settings, region), edit)
        self.applied.append(project.id)
        self.spans[project.id] = (start, len(self.log))

    def effect(self, project_id: str) -> Effect:
        """What one applied project changed, per mode, in graph node ids."""
        start, end = self.spans[project_id]
        G = self.G
        nodes: list[tuple[Any, dict[str, Any]]] = []
        better: dict[str, list[Arc]] = {m: [] for m in MODES}
        worse: dict[str, list[Arc]] = {m: [] for m in MODES}
        slower: dict[str, list[Arc]] = {m: [] for m in MODES}
        ops: list[NodeOp] = []
        for change in self.log[start:end]:
            if isinstance(change, NodeAdded):
                nodes.append((change.node, dict(G.nodes[change.node])))
            elif isinstance(change, EdgeAdded):
                d = G.edges[change.u, change.v, change.key]
                for m in MODES:
                    if edge_in_mode(d, m):
                        better[m] += _arcs(change.u, change.v, d, float(d["travel_time"]), m)
            elif isinstance(change, EdgeRemoved):
                for m in MODES:
                    if edge_in_mode(change.attrs, m):
                        worse[m] += _arcs(change.u, change.v, change.attrs, float(change.attrs["travel_time"]), m)
            elif isinstance(change, EdgeChanged):
                d = G.edges[change.u, change.v, change.key]
                before, after = change.before.get("travel_time", MISSING), d.get("travel_time")
                if before is MISSING or after is None or before == after:
                    continue
                for m in MODES:
                    if edge_in_mode(d, m):
                        if after < before:
                            better[m] += _arcs(change.u, change.v, d, float(after), m)
                        else:
                            worse[m] += _arcs(change.u, change.v, d, float(before), m)
                            slower[m] += _arcs(change.u, change.v, d, float(after), m)
            else:
                ops += _node_ops(G, change)
        return Effect(
            project_id,
            tuple(nodes),
            {m: tuple(a) for m, a in better.items()},
            {m: tuple(a) for m, a in worse.items()},
            tuple(ops),
            {m: tuple(a) for m, a in slower.items()},
        )

    def net_effect(self) -> Effect:
        """What every applied project changed together: the scenario against the base, per mode.

        Each edge is compared as it was before its first change and as it
        is now, so an edge that one project adds and another closes counts
        for nothing, and one upgraded twice counts once at its last speed.
        """
        G = self.G
        first: dict[tuple[Any, Any, Any], dict[str, Any] | None] = {}  # before its first change (None: new)
        for change in self.log:
            if isinstance(change, EdgeAdded | EdgeRemoved | EdgeChanged):
                key = (change.u, change.v, change.key)
                if key in first:
                    continue
                if isinstance(change, EdgeAdded):
                    first[key] = None
                elif isinstance(change, EdgeRemoved):
                    first[key] = dict(change.attrs)
                else:
                    was = dict(G.edges[key]) if G.has_edge(*key) else {}
                    _restore(was, change.before)
                    first[key] = was
        better: dict[str, list[Arc]] = {m: [] for m in MODES}
        worse: dict[str, list[Arc]] = {m: [] for m in MODES}
        slower: dict[str, list[Arc]] = {m: [] for m in MODES}
        for (u, v, k), before in first.items():
            now: dict[str, Any] | None = G.edges[u, v, k] if G.has_edge(u, v, k) else None
            for m in MODES:
                old = float(before["travel_time"]) if before is not None and edge_in_mode(before, m) else None
                new = float(now["travel_time"]) if now is not None and edge_in_mode(now, m) else None
                if now is not None and new is not None and (old is None or new < old):
                    better[m] += _arcs(u, v, now, new, m)
                elif before is not None and old is not None and (new is None or new > old):
                    worse[m] += _arcs(u, v, before, old, m)
                    if now is not None and new is not None:
                        slower[m] += _arcs(u, v, now, new, m)
        nodes = [(c.node, dict(G.nodes[c.node])) for c in self.log if isinstance(c, NodeAdded) and c.node in G]
        ops = [op for c in self.log if isinstance(c, NodeChanged) for op in _node_ops(G, c)]
        return Effect(
            self.portfolio.name,
            tuple(nodes),
            {m: tuple(a) for m, a in better.items()},
            {m: tuple(a) for m, a in worse.items()},
            tuple(ops),
            {m: tuple(a) for m, a in slower.items()},
        )


def _node_ops(G: nx.MultiDiGraph, change: NodeChanged) -> list[NodeOp]:
    ops = []
    for attr, was in change.before.items():
        now = G.nodes[change.node].get(attr)
        if attr in ADDITIVE:
            ops.append(NodeOp(change.node, attr, (now or 0) - (0 if was is MISSING else (was or 0)), True))
        else:
            ops.append(NodeOp(change.node, attr, now, False))
    return ops


def _arcs(u: Any, v: Any, data: dict[str, Any], time_s: float, mode: str) -> list[Arc]:
    """The arcs an edge makes in a mode: one, or one per layer in mode ``any``."""
    if mode not in {"any", "transit"}:
        return [Arc(u, v, time_s)]
    layers = any_layers(data)
    if mode == "transit" and len(layers) == 2:
        layers = layers[1:]  # public transport alone: no car layer
    return [Arc(u, v, time_s + extra, tail, head) for tail, head, extra in layers]


def ordered_projects(portfolio: Portfolio) -> list[Project]:
    """The portfolio's projects in application order: listed order, requirements first."""
    by_id = {p.id: p for p in portfolio.projects}
    done: list[Project] = []
    seen: set[str] = set()

    def visit(p: Project, path: tuple[str, ...]) -> None:
        if p.id in seen:
            return
        if p.id in path:
            raise ScenarioError(
                f"its requires form a cycle ({' -> '.join((*path, p.id))})",
                path=p.origin_path,
                line=p.origin_line,
                subject="project",
                id=p.id,
                field="requires",
            )
        for r in p.requires:
            if r in by_id:
                visit(by_id[r], (*path, p.id))
        seen.add(p.id)
        done.append(p)

    for p in portfolio.projects:
        visit(p, ())
    return done


def apply_portfolio(
    G: nx.MultiDiGraph,
    portfolio: Portfolio,
    *,
    settings: Settings | None = None,
    region: Region | None = None,
    roads: RoadSource | None = None,
) -> Scenario:
    """Apply a portfolio's edits to a copy of ``G``.

    Parameters
    ----------
    G
        The base network; it is copied, never changed.
    portfolio
        The projects to apply.
    settings
        Speeds and access parameters for new links; defaults when None.
    region
        The region pack, needed by ``open`` edits (links of the pack that do
        not operate in the base year).
    roads
        The road network, when G holds only the places, rail lines and
        connectors (see :class:`RoadSource`); the junctions and links the
        edits touch are brought into the copy.

    Raises
    ------
    ScenarioError
        An edit names a place or link that does not exist, or cannot be
        applied; the error names the project's file and line, the project,
        the edit and the bad value.
    """
    settings = settings or Settings()
    scenario = Scenario(G.copy(), portfolio, roads=roads)
    scenario._base_graph_attrs = dict(G.graph)
    scenario.G.graph["provenance"] = {**G.graph.get("provenance", {}), **portfolio.provenance()}
    scenario.G.graph["scenario"] = portfolio.name
    scenario.junction_index()  # before any edit: new lines join the base network only
    for project in ordered_projects(portfolio):
        scenario.apply(project, settings=settings, region=region)
    return scenario


# ------------------------------------------------------------------------ edits


@dataclass
class _Context:
    scenario: Scenario
    project: Project
    index: int
    settings: Settings
    region: Region | None

    @property
    def G(self) -> nx.MultiDiGraph:
        return self.scenario.G

    def error(self, message: str, **fields: Any) -> ScenarioError:
        edit = self.project.edits[self.index]
        return ScenarioError(
            message,
            path=self.project.origin_path,
            line=self.project.origin_line,
            subject="project",
            id=self.project.id,
            part=f"edit {self.index + 1} ({edit.type})",
            **fields,
        )

    def road_class(self, link_class: str) -> str:
        """A road class the settings know (they give its speed and congestion), or the edit's error."""
        if link_class not in self.settings.speeds_kph:
            raise self.error(
                f"unknown road class {link_class!r}", field="link_class", allowed=sorted(self.settings.speeds_kph)
            )
        return link_class

    def check_in_region(self, lat: float, lon: float) -> None:
        bbox = self.G.graph.get("bbox")
        if not in_bbox(lon, lat, bbox):
            raise self.error(f"coordinate {lat},{lon} is outside the region", allowed=bbox_text(bbox))

    def resolve(self, ref: str) -> Any:
        """A place id -> its graph node (junction, station, zone, gateway, economic zone)."""
        for kind in ("junction", "station", "zone", "gateway", "economic_zone"):
            n = node_id(kind, ref)
            if n in self.G:
                return n
        groups = self.G.graph.get("gateway_groups", {})
        if ref in groups:
            raise self.error(f"unknown place {ref!r}; it is a group of terminals: name one of them")
        region = self.region
        if region is not None and ref in region.road_nodes.index:
            raise self.error(
                f"place {ref!r} is a junction of the region's own roads, which this network does not have (its "
                "roads are a road network file)",
                allowed="stations, zones, gateways, economic zones or lat/lon coordinates",
            )
        known = [str(d["place_id"]) for _, d in self.G.nodes(data=True) if d.get("place_id") is not None]
        raise self.error(f"unknown place {ref!r}{closest_hint(ref, known)}")

    def nearest_junction(self, xy: tuple[float, float]) -> tuple[Any, float]:
        """The nearest junction of the base network: what one project adds never rewires another."""
        tree, nodes = self.scenario.junction_index()
        if not len(nodes):
            raise self.error("the network has no road junction to connect to")
        dist, i = tree.query(xy)
        return self.scenario.base_junction(nodes[int(i)]), float(dist)

    def links(self, selection: LinkSelection) -> list[tuple[Any, Any, Any]]:
        """The edges of the selected link ids (every direction), or of the fastest base road route."""
        if selection.along is not None:
            a, b = (self.place_node(p) for p in selection.along)
            roads = self.scenario.roads
            ids = roads.road_route(self.scenario, a, b) if roads is not None else _road_route_links(self.G, a, b)
            if ids is None:
                raise self.error(f"no road route along {list(selection.along)}")
            if not ids:
                raise self.error(f"the route along {list(selection.along)} uses no road link")
        else:
            ids = list(selection.links or [])
        by_id: dict[str, list[tuple[Any, Any, Any]]] = {}
        for u, v, k, d in self.G.edges(keys=True, data=True):
            if d.get("link_id") is not None:
                by_id.setdefault(str(d["link_id"]), []).append((u, v, k))
        missing = [lid for lid in dict.fromkeys(ids) if lid not in by_id]
        if missing and self.scenario.roads is not None:
            by_id.update(self.scenario.roads.add_links(self.scenario, missing))
        found = []
        for lid in dict.fromkeys(ids):
            if lid not in by_id:
                raise self.error(f"unknown link {lid!r} (not in the network){closest_hint(lid, by_id)}")
            found += by_id[lid]
        return found

    def place_node(self, ref: str | Coordinate) -> Any:
        if isinstance(ref, Coordinate):
            self.check_in_region(ref.lat, ref.lon)
            n, dist = self.nearest_junction(metric_xy(ref.lon, ref.lat))
            if dist > self.settings.snap_max_km * 1000:
                raise self.error(f"coordinate {ref.lat},{ref.lon} is {dist / 1000:.1f} km from the road network")
            return n
        return self.resolve(ref)


def _road_route_links(G: nx.MultiDiGraph, a: Any, b: Any) -> list[str] | None:
    """The road link ids of the fastest road route from a to b (never through a centroid), or None."""

    def usable_node(n: Any) -> bool:
        return n in (a, b) or G.nodes[n].get("kind") not in CENTROID_KINDS

    def usable_edge(u: Any, v: Any, k: Any) -> bool:
        return edge_in_mode(G.edges[u, v, k], "road")

    view = nx.subgraph_view(G, filter_node=usable_node, filter_edge=usable_edge)
    try:
        path = nx.dijkstra_path(view, a, b, weight="travel_time")
    except nx.NetworkXNoPath:
        return None
    ids = []
    for u, v in itertools.pairwise(path):
        d = min(view[u][v].values(), key=lambda e: e["travel_time"])
        if d.get("mode") == "road" and d.get("link_id") is not None:
            ids.append(str(d["link_id"]))
    return ids


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "stop"


def _apply_new_line(ctx: _Context, edit: NewLine) -> None:
    if edit.mode in {"road", "bridge"}:
        _new_road(ctx, edit)
    else:
        _new_service(ctx, edit)


def _stops_with_waypoints(edit: NewLine) -> list[tuple[str | Coordinate, list[tuple[float, float]]]]:
    """Stops, each with the waypoints (lon, lat) that lead to it from the previous stop."""
    out: list[tuple[str | Coordinate, list[tuple[float, float]]]] = []
    pending: list[tuple[float, float]] = []
    for stop in edit.stops:
        if isinstance(stop, Coordinate) and stop.waypoint:
            pending.append((stop.lon, stop.lat))
            continue
        out.append((stop, pending))
        pending = []
    return out


def _new_road_edge(ctx: _Context, geometry: LineString, *, link_class: str, **attrs: Any) -> dict[str, Any]:
    return edges.road_edge(
        geometry,
        link_class=ctx.road_class(link_class),
        settings=ctx.settings,
        area=congestion_area(ctx.G, geometry),
        status=ctx.project.status,
        source=ctx.project.source,
        project=ctx.project.id,
        **attrs,
    )


def _new_road(ctx: _Context, edit: NewLine) -> None:
    G, s = ctx.G, ctx.scenario
    pid = ctx.project.id
    nodes: list[Any] = []
    stops = _stops_with_waypoints(edit)
    for k, (stop, _) in enumerate(stops):
        if isinstance(stop, Coordinate):
            ctx.check_in_region(stop.lat, stop.lon)
            near, dist = ctx.nearest_junction(metric_xy(stop.lon, stop.lat))
            if dist <= SNAP_TO_JUNCTION_M:
                nodes.append(near)
                continue
            jid = f"{pid}_{ctx.index + 1}_{k}"
            n = node_id("junction", jid)
            if n in G:
                raise ctx.error(f"junction {jid!r} already exists")
            s.add_node(
                n,
                x=stop.lon,
                y=stop.lat,
                kind="junction",
                name=stop.name or f"{edit.name} node {k + 1}",
                place_id=jid,
                source=ctx.project.source,
                project=pid,
            )
            geom = LineString([(stop.lon, stop.lat), (G.nodes[near]["x"], G.nodes[near]["y"])])
            attrs = _new_road_edge(
                ctx,
                geom,
                link_class="primary",
                link_id=f"{pid}:{ctx.index + 1}:access{k}",
                name=f"{edit.name} access road",
                lanes=2,
            )
            s.add_edges(add_two_way(G, n, near, attrs))
            nodes.append(n)
        else:
            n = ctx.resolve(stop)
            if G.nodes[n].get("kind") != "junction":
                n = _attached_junction(ctx, n)
            nodes.append(n)
    link_class = edit.link_class or DEFAULT_CLASS[edit.mode]
    for seg, (a, b) in enumerate(itertools.pairwise(nodes)):
        if a == b:
            raise ctx.error(f"stops {seg + 1} and {seg + 2} are the same junction {G.nodes[a]['place_id']!r}")
        da, db = G.nodes[a], G.nodes[b]
        geom = LineString([(da["x"], da["y"]), *stops[seg + 1][1], (db["x"], db["y"])])
        attrs = _new_road_edge(
            ctx,
            geom,
            link_class=link_class,
            speed_kph=edit.speed_kph,
            link_id=f"{pid}:{ctx.index + 1}:{seg + 1}",
            name=edit.name,
            lanes=edit.lanes,
        )
        s.add_edges(add_two_way(G, a, b, attrs))


def _attached_junction(ctx: _Context, n: Any) -> Any:
    """The road junction a zone, gateway, economic zone or station is connected to (the nearest)."""
    G = ctx.G
    best, best_len = None, math.inf
    for _, v, d in G.out_edges(n, data=True):
        if ctx.scenario.is_base_junction(v) and d.get("length", math.inf) < best_len:
            best, best_len = v, d.get("length", math.inf)
    if best is None:
        best, _ = ctx.nearest_junction(node_xy(G.nodes[n]))
    return best


def _new_service(ctx: _Context, edit: NewLine) -> None:
    """A rail line or ferry: new stations (or an existing line's), links both ways, connections."""
    G, s = ctx.G, ctx.scenario
    pid = ctx.project.id
    line_id = edit.line_id or pid
    link_class = edit.link_class or DEFAULT_CLASS[edit.mode]
    mode = "rail" if edit.mode == "rail" else "sea"
    freight = link_class == "freight_rail"
    assert edit.headway_min is not None and edit.speed_kph is not None
    stations: list[Any] = []
    stops = _stops_with_waypoints(edit)
    for stop, _ in stops:
        ref_node = None
        if isinstance(stop, Coordinate):
            ctx.check_in_region(stop.lat, stop.lon)
            lon, lat, name = stop.lon, stop.lat, stop.name or f"{edit.name} stop {len(stations) + 1}"
        else:
            ref_node = ctx.resolve(stop)
            rd = G.nodes[ref_node]
            if rd.get("kind") == "station" and rd.get("line_id") == line_id:
                stations.append(ref_node)  # the same line continues from its existing station
                continue
            lon, lat, name = rd["x"], rd["y"], str(rd.get("name", stop))
        sid = f"{line_id}_{_slug(name)}"
        n = node_id("station", sid)
        if n in G:
            raise ctx.error(f"station {sid!r} already exists; give the stop another name")
        s.add_node(
            n,
            x=lon,
            y=lat,
            kind="station",
            name=name,
            place_id=sid,
            line_id=line_id,
            line_name=edit.name,
            headway_min=edit.headway_min,
            source=ctx.project.source,
            project=pid,
        )
        s.add_edges(_connect_new_station(ctx, n, ref_node, freight=freight))
        stations.append(n)
    for seg, (a, b) in enumerate(itertools.pairwise(stations)):
        da, db = G.nodes[a], G.nodes[b]
        attrs = edges.service_edge(
            LineString([(da["x"], da["y"]), *stops[seg + 1][1], (db["x"], db["y"])]),
            mode=mode,
            link_class=link_class,
            line_id=line_id,
            speed_kph=edit.speed_kph,
            dwell_s=edit.dwell_s,
            headway_min=edit.headway_min,
            link_id=f"{line_id}:{da['place_id']}-{db['place_id']}",
            name=edit.name,
            status=ctx.project.status,
            source=ctx.project.source,
            project=pid,
        )
        s.add_edges(add_two_way(G, a, b, attrs))


def _connect_new_station(ctx: _Context, n: Any, ref_node: Any, *, freight: bool) -> list[tuple[Any, Any, Any]]:
    """Join a new station to the place it is built at, the road network and nearby zones; return the edges."""
    G, settings = ctx.G, ctx.settings
    d = G.nodes[n]
    xy = node_xy(d)
    wait = edges.boarding_wait_s(d["headway_min"])
    added: list[tuple[Any, Any, Any]] = []
    joined_road = False
    if ref_node is not None:
        rd = G.nodes[ref_node]
        kind = rd.get("kind")
        dist = math.dist(xy, node_xy(rd))
        if kind == "station":
            added += connect_interchange(G, ref_node, n, INTERCHANGE_WALK_MIN, settings, source=ctx.project.source)
        elif kind in CENTROID_KINDS:
            added += connect_place(
                G,
                ref_node,
                n,
                max(dist, 50.0),
                settings.walk_speed_kph,
                "zone_connector" if kind != "gateway" else "gateway_access",
                attaches="rail",
                wait_in_s=wait,
            )
        elif kind == "junction":
            added += connect_station(G, n, ref_node, dist, settings)
            joined_road = True
    if freight:
        # a road-rail terminal: trucks reach it from the nearest junction; it carries freight only
        if not joined_road:
            j, dist = ctx.nearest_junction(xy)
            added += connect_station(G, n, j, dist, settings)
        for key in added:
            G.edges[key]["freight"] = True
        G.nodes[n]["freight"] = True
        return added
    if not joined_road:
        j, dist = ctx.nearest_junction(xy)
        added += connect_station(G, n, j, dist, settings)
    for z, zd in G.nodes(data=True):
        if zd.get("kind") == "zone" and z != ref_node:
            dist = math.dist(xy, node_xy(zd))
            if dist <= settings.station_access_max_km * 1000:
                added += connect_place(
                    G, z, n, dist, settings.walk_speed_kph, "zone_connector", attaches="rail", wait_in_s=wait
                )
    return added


def _upgraded(ctx: _Context, d: dict[str, Any], edit: Upgrade) -> dict[str, Any]:
    """The new attributes of an upgraded link, built like a new link of its (new) class."""
    if d.get("mode") == "rail":
        speed = edit.speed_kph or (d["speed_kph"] * edit.speed_factor if edit.speed_factor else d["speed_kph"])
        return {
            "speed_kph": speed,
            "travel_time": float(edges.travel_time_s(d["length"], speed, dwell_s=d.get("dwell_s", 0.0))),
        }
    if d.get("mode") != "road":
        raise ctx.error(f"link {d.get('link_id')!r} is a {d.get('mode')} link; only road and rail links upgrade")
    link_class = ctx.road_class(edit.link_class) if edit.link_class else d["link_class"]
    free = d.get("free_flow_speed_kph", d["speed_kph"])
    if edit.speed_kph is not None:
        own: float | None = edit.speed_kph
    elif edit.speed_factor is not None:
        own = free * edit.speed_factor
    elif edit.link_class is not None:
        own = None  # a new class runs at that class's speed, like a new link of the class
    else:
        own = free
    rebuilt = edges.road_edge(
        d["geometry"],
        link_class=link_class,
        settings=ctx.settings,
        area=d.get("congestion_area"),
        speed_kph=own,
        length_m=d["length"],
    )
    rebuilt.pop("geometry")
    rebuilt.pop("mode")
    return rebuilt


def _apply_upgrade(ctx: _Context, edit: Upgrade) -> None:
    for key in ctx.links(edit.select):
        d = ctx.G.edges[key]
        changes = _upgraded(ctx, d, edit)
        if edit.link_class is not None:
            changes["link_class"] = edit.link_class
        if edit.lanes is not None:
            changes["lanes"] = edit.lanes
        changes["upgraded_by"] = ctx.project.id
        ctx.scenario.set_edge(key, changes)


def _apply_close(ctx: _Context, edit: Close) -> None:
    for key in ctx.links(edit.select):
        ctx.scenario.remove_edge(key)


def _apply_open(ctx: _Context, edit: Open) -> None:
    region = ctx.region
    if region is None:
        raise ctx.error("an 'open' edit needs the region pack (pass region=...)")
    links = region.road_links
    for lid in edit.links:
        if lid not in links.index:
            raise ctx.error(f"unknown link {lid!r} (not in road_links.csv){closest_hint(lid, links.index)}")
        if links.loc[lid, "status"] == "operating":
            raise ctx.error(f"link {lid!r} already operates in the base network")
        if any(d.get("link_id") == lid for _, _, d in ctx.G.edges(data=True)):
            raise ctx.error(f"link {lid!r} is already open in this scenario")
        ends = [str(links.loc[lid, "from_node"]), str(links.loc[lid, "to_node"])]
        if not all(ctx.scenario.is_base_junction(node_id("junction", e)) for e in ends):
            raise ctx.error(
                f"link {lid!r} joins junctions of the region's own roads ({ends[0]}, {ends[1]}), which this "
                "network does not have (its roads are a road network file)",
                allowed="new_line between places or coordinates, or upgrade of the network's links",
            )
    keys = add_region_roads(ctx.G, region, list(edit.links), ctx.settings, project=ctx.project.id)
    for key in keys:
        ctx.G.edges[key]["status"] = ctx.project.status
    ctx.scenario.add_edges(keys)


def _apply_gateway_upgrade(ctx: _Context, edit: GatewayUpgrade) -> None:
    n = node_id("gateway", edit.gateway)
    if n not in ctx.G:
        ctx.resolve(edit.gateway)  # raises with the closest names
        raise ctx.error(f"{edit.gateway!r} is not a gateway")
    changes = {
        k: v
        for k, v in edit.model_dump(include={"handling_h", "capacity", "capacity_unit", "movements_per_h"}).items()
        if v is not None
    }
    ctx.scenario.set_node(n, changes)


def _apply_new_gateway(ctx: _Context, edit: NewGateway) -> None:
    G = ctx.G
    n = node_id("gateway", edit.id)
    if n in G:
        raise ctx.error(f"gateway {edit.id!r} already exists")
    ctx.check_in_region(edit.lat, edit.lon)
    ctx.scenario.add_node(
        n,
        x=edit.lon,
        y=edit.lat,
        kind="gateway",
        name=edit.name,
        place_id=edit.id,
        gateway_type=edit.gateway_type,
        capacity=edit.capacity,
        capacity_unit=edit.capacity_unit,
        handling_h=edit.handling_h,
        group=edit.group,
        source=ctx.project.source,
        project=ctx.project.id,
    )
    j, dist = ctx.nearest_junction(node_xy(G.nodes[n]))
    ctx.scenario.add_edges(
        connect_place(
            G,
            n,
            j,
            dist,
            ctx.settings.gateway_access_speed_kph,
            "gateway_access",
            attaches="road",
            wait_in_s=0.0,
            pt_wait_s=ctx.settings.pt_wait_min * 60,
        )
    )


def _apply_new_node(ctx: _Context, edit: NewNode) -> None:
    G = ctx.G
    n = node_id("junction", edit.id)
    if n in G:
        raise ctx.error(f"junction {edit.id!r} already exists")
    ctx.check_in_region(edit.lat, edit.lon)
    j, _ = ctx.nearest_junction(metric_xy(edit.lon, edit.lat))
    ctx.scenario.add_node(
        n,
        x=edit.lon,
        y=edit.lat,
        kind="junction",
        name=edit.name,
        place_id=edit.id,
        source=ctx.project.source,
        project=ctx.project.id,
    )
    geom = LineString([(edit.lon, edit.lat), (G.nodes[j]["x"], G.nodes[j]["y"])])
    attrs = _new_road_edge(
        ctx,
        geom,
        link_class=edit.link_class,
        link_id=f"{ctx.project.id}:{ctx.index + 1}:access",
        name=f"{edit.name} access road",
    )
    ctx.scenario.add_edges(add_two_way(G, n, j, attrs))


def _apply_investment(ctx: _Context, edit: Investment) -> None:
    n = ctx.resolve(edit.place)
    d = ctx.G.nodes[n]
    if d.get("kind") not in CENTROID_KINDS:
        raise ctx.error(f"{edit.place!r} is a {d.get('kind')}; investments go to a zone, gateway or economic zone")
    changes: dict[str, Any] = {}
    if edit.jobs:
        changes["jobs"] = (d.get("jobs") or 0) + edit.jobs
    if edit.population:
        changes["population_added"] = (d.get("population_added") or 0) + edit.population
    ctx.scenario.set_node(n, changes)


_APPLY: dict[type, Callable[[_Context, Any], None]] = {
    NewLine: _apply_new_line,
    Upgrade: _apply_upgrade,
    Close: _apply_close,
    Open: _apply_open,
    GatewayUpgrade: _apply_gateway_upgrade,
    NewGateway: _apply_new_gateway,
    NewNode: _apply_new_node,
    Investment: _apply_investment,
}

"""Scenarios: the base network with a portfolio's edits applied to a copy.

Projects are applied in the portfolio's order, except that a project always
comes after the projects it requires; each project's edits in their order.
Every change is logged, so :meth:`Scenario.revert` undoes them exactly and
:attr:`Scenario.changed_edges` tells the engine what moved. The base graph
is never touched.
"""

from __future__ import annotations

import difflib
import itertools
import math
import re
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from shapely.geometry import LineString

from corridor.errors import ScenarioError
from corridor.network import (
    CENTROID_KINDS,
    _connect,
    _connect_station,
    _metric_xy,
    add_two_way,
    connect_interchange,
    lonlat_to_metric,
    node_id,
    region_road_edges,
    road_edge_attrs,
)
from corridor.projects import (
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
from corridor.region import Region
from corridor.settings import Settings

__all__ = ["Scenario", "apply_portfolio", "ordered_projects"]

_MISSING = object()
#: a coordinate stop within this distance of a junction uses it instead of a new one
SNAP_TO_JUNCTION_M = 300.0
#: the walk between a new station and the existing station it is built beside
INTERCHANGE_WALK_MIN = 3.0
DEFAULT_CLASS = {"road": "expressway", "bridge": "expressway", "rail": "commuter_rail", "ferry": "ferry"}


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
        One entry per change, enough to undo it.
    changed_edges
        Edges added, or whose travel time changed, as (u, v, key).
    only_improves
        True when no edge was removed or slowed down: no path can get longer,
        so times can be re-scored from the base ones (see :mod:`corridor.engine`).
    """

    G: nx.MultiDiGraph
    portfolio: Portfolio
    log: list[tuple[Any, ...]] = field(default_factory=list)
    changed_edges: list[tuple[Any, Any, Any]] = field(default_factory=list)
    only_improves: bool = True
    applied: list[str] = field(default_factory=list)
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)
    _junctions: tuple[Any, list[Any]] | None = field(default=None, repr=False)
    _base_graph_attrs: dict[str, Any] = field(default_factory=dict, repr=False)

    def junction_index(self) -> tuple[Any, list[Any]]:
        """A KD-tree of the base network's junctions (EPSG:32651), built once."""
        if self._junctions is None:
            from scipy.spatial import cKDTree

            nodes = [n for n, d in self.G.nodes(data=True) if d.get("kind") == "junction"]
            xy = [_metric_xy(self.G.nodes[n]) for n in nodes] or [(0.0, 0.0)]
            self._junctions = (cKDTree(xy), nodes)
        return self._junctions

    # ---------------------------------------------------------------- logged changes
    def add_node(self, n: Any, **attrs: Any) -> None:
        self.G.add_node(n, **attrs)
        self.log.append(("add_node", n))

    def add_edges(self, keys: list[tuple[Any, Any, Any]]) -> None:
        for key in keys:
            self.log.append(("add_edge", *key))
            self.changed_edges.append(key)

    def set_edge(self, key: tuple[Any, Any, Any], **changes: Any) -> None:
        data = self.G.edges[key]
        old = {k: data.get(k, _MISSING) for k in changes}
        before = data.get("travel_time")
        data.update(changes)
        self.log.append(("set_edge", *key, old))
        after = data.get("travel_time")
        if before is not None and after is not None and after != before:
            self.changed_edges.append(key)
            if after > before:
                self.only_improves = False

    def remove_edge(self, key: tuple[Any, Any, Any]) -> None:
        data = dict(self.G.edges[key])
        self.G.remove_edge(*key)
        self.log.append(("remove_edge", *key, data))
        self.only_improves = False

    def set_node(self, n: Any, **changes: Any) -> None:
        data = self.G.nodes[n]
        old = {k: data.get(k, _MISSING) for k in changes}
        data.update(changes)
        self.log.append(("set_node", n, old))

    def revert(self) -> nx.MultiDiGraph:
        """Undo every logged change, newest first; return the graph, now equal to the base."""
        for entry in reversed(self.log):
            kind = entry[0]
            if kind == "add_node":
                self.G.remove_node(entry[1])
            elif kind == "add_edge":
                self.G.remove_edge(entry[1], entry[2], entry[3])
            elif kind == "remove_edge":
                self.G.add_edge(entry[1], entry[2], key=entry[3], **entry[4])
            elif kind in {"set_edge", "set_node"}:
                data = self.G.edges[entry[1:4]] if kind == "set_edge" else self.G.nodes[entry[1]]
                for k, v in entry[-1].items():
                    if v is _MISSING:
                        data.pop(k, None)
                    else:
                        data[k] = v
        self.log.clear()
        self.changed_edges.clear()
        self.only_improves = True
        self.G.graph.clear()
        self.G.graph.update(self._base_graph_attrs)
        return self.G


@dataclass
class Piece:
    """What one project changed, in graph node ids: enough to replay it on the compiled base.

    Attributes
    ----------
    nodes
        New nodes and their attributes.
    better, worse
        Per mode, arcs (u, v, seconds) added or made faster, and arcs (u, v)
        removed or made slower.
    node_ops
        Changes of existing nodes: ("add", node, attr, amount) for jobs and
        residents, ("set", node, attr, value) for the rest.
    """

    nodes: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)
    better: dict[str, list[tuple[Any, Any, float]]] = field(default_factory=dict)
    worse: dict[str, list[tuple[Any, Any]]] = field(default_factory=dict)
    node_ops: list[tuple[str, Any, str, Any]] = field(default_factory=list)


_ADDITIVE = {"jobs", "population_added"}


def piece_of(scenario: Scenario, project_id: str) -> Piece:
    """The change one applied project made to the scenario."""
    from corridor.network import MODES, edge_in_mode

    start, end = scenario.spans[project_id]
    G = scenario.G
    piece = Piece(better={m: [] for m in MODES}, worse={m: [] for m in MODES})
    for entry in scenario.log[start:end]:
        kind = entry[0]
        if kind == "add_node":
            piece.nodes.append((entry[1], dict(G.nodes[entry[1]])))
        elif kind == "add_edge":
            u, v, k = entry[1:4]
            d = G.edges[u, v, k]
            for m in MODES:
                if edge_in_mode(d, m):
                    piece.better[m].append((u, v, float(d["travel_time"])))
        elif kind == "remove_edge":
            u, v, _, data = entry[1:5]
            for m in MODES:
                if edge_in_mode(data, m):
                    piece.worse[m].append((u, v))
        elif kind == "set_edge":
            u, v, k, old = entry[1:5]
            d = G.edges[u, v, k]
            before, after = old.get("travel_time", _MISSING), d.get("travel_time")
            if before is _MISSING or after is None or before == after:
                continue
            for m in MODES:
                if edge_in_mode(d, m):
                    if after < before:
                        piece.better[m].append((u, v, float(after)))
                    else:
                        piece.worse[m].append((u, v))
        elif kind == "set_node":
            n, old = entry[1], entry[2]
            for attr, was in old.items():
                now = G.nodes[n].get(attr)
                if attr in _ADDITIVE:
                    piece.node_ops.append(("add", n, attr, (now or 0) - (0 if was is _MISSING else (was or 0))))
                else:
                    piece.node_ops.append(("set", n, attr, now))
    return piece


def ordered_projects(portfolio: Portfolio) -> list[Project]:
    """The portfolio's projects in application order: listed order, requirements first."""
    by_id = {p.id: p for p in portfolio.projects}
    done: list[Project] = []
    seen: set[str] = set()

    def visit(p: Project, path: tuple[str, ...]) -> None:
        if p.id in seen:
            return
        if p.id in path:
            raise ScenarioError(f"{p.origin}: project {p.id!r}: its requires form a cycle ({' -> '.join(path)})")
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

    Raises
    ------
    ScenarioError
        An edit names a place or link that does not exist, or cannot be
        applied; the message names the project's file and line, the project,
        the edit and the bad value.
    """
    settings = settings or Settings()
    scenario = Scenario(G.copy(), portfolio)
    scenario._base_graph_attrs = dict(G.graph)
    scenario.G.graph["provenance"] = {**G.graph.get("provenance", {}), **portfolio.provenance()}
    scenario.G.graph["scenario"] = portfolio.name
    scenario.junction_index()  # before any edit: new lines join the base network only
    for project in ordered_projects(portfolio):
        start = len(scenario.log)
        for index, edit in enumerate(project.edits):
            ctx = _Context(scenario, project, index, settings, region)
            _APPLY[type(edit)](ctx, edit)
        scenario.applied.append(project.id)
        scenario.spans[project.id] = (start, len(scenario.log))
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

    def error(self, message: str) -> ScenarioError:
        edit = self.project.edits[self.index]
        return ScenarioError(
            f"{self.project.origin}: project {self.project.id!r}, edit {self.index + 1} ({edit.type}): {message}"
        )

    def check_in_region(self, lat: float, lon: float) -> None:
        bbox = self.G.graph.get("bbox")
        if bbox is not None:
            lon_min, lat_min, lon_max, lat_max = bbox
            if not (lon_min <= lon <= lon_max and lat_min <= lat <= lat_max):
                raise self.error(
                    f"coordinate {lat},{lon} is outside the region (lat {lat_min}..{lat_max}, lon {lon_min}..{lon_max})"
                )

    def resolve(self, ref: str) -> Any:
        """A place id -> its graph node (junction, station, zone, gateway, economic zone)."""
        for kind in ("junction", "station", "zone", "gateway", "economic_zone"):
            n = node_id(kind, ref)
            if n in self.G:
                return n
        known = [str(d["place_id"]) for _, d in self.G.nodes(data=True) if d.get("place_id") is not None]
        close = difflib.get_close_matches(ref, known, n=3, cutoff=0.6)
        hint = f"; closest: {', '.join(close)}" if close else ""
        groups = self.G.graph.get("gateway_groups", {})
        if ref in groups:
            hint = f"; {ref!r} is a group of terminals: name one of them"
        raise self.error(f"unknown place {ref!r}{hint}")

    def nearest_junction(self, xy: tuple[float, float]) -> tuple[Any, float]:
        """The nearest junction of the base network: what one project adds never rewires another."""
        tree, nodes = self.scenario.junction_index()
        if not nodes:
            raise self.error("the network has no road junction to connect to")
        dist, i = tree.query(xy)
        return nodes[int(i)], float(dist)

    def links(self, selection: LinkSelection) -> list[tuple[Any, Any, Any]]:
        """The edges of the selected link ids (every direction), or of the fastest base road route."""
        if selection.along is not None:
            from corridor.engine import route

            a, b = (self.place_node(p) for p in selection.along)
            try:
                trip = route(self.G, _as_place(self.G, a), _as_place(self.G, b), mode="road")
            except Exception as exc:
                raise self.error(f"no road route along {selection.along}: {exc}") from None
            ids = [self.G.edges[e]["link_id"] for e in trip.edges if self.G.edges[e].get("mode") == "road"]
            if not ids:
                raise self.error(f"the route along {selection.along} uses no road link")
        else:
            ids = list(selection.links or [])
        by_id: dict[str, list[tuple[Any, Any, Any]]] = {}
        for u, v, k, d in self.G.edges(keys=True, data=True):
            if d.get("link_id") is not None:
                by_id.setdefault(str(d["link_id"]), []).append((u, v, k))
        edges = []
        for lid in dict.fromkeys(ids):
            if lid not in by_id:
                close = difflib.get_close_matches(lid, list(by_id), n=3, cutoff=0.6)
                hint = f"; closest: {', '.join(close)}" if close else ""
                raise self.error(f"unknown link {lid!r} (not in the network)" + hint)
            edges += by_id[lid]
        return edges

    def place_node(self, ref: str | Coordinate) -> Any:
        if isinstance(ref, Coordinate):
            self.check_in_region(ref.lat, ref.lon)
            xy = _lonlat_metric(ref.lon, ref.lat)
            n, dist = self.nearest_junction(xy)
            if dist > self.settings.snap_max_km * 1000:
                raise self.error(f"coordinate {ref.lat},{ref.lon} is {dist / 1000:.1f} km from the road network")
            return n
        return self.resolve(ref)


def _lonlat_metric(lon: float, lat: float) -> tuple[float, float]:
    return _metric_xy({"x": lon, "y": lat})


def _as_place(G: nx.MultiDiGraph, n: Any) -> Any:
    from corridor.network import Place

    d = G.nodes[n]
    return Place(str(d.get("place_id", n)), str(d.get("name", n)), str(d.get("kind")), (n,), d["y"], d["x"])


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


def _new_road(ctx: _Context, edit: NewLine) -> None:
    G, s = ctx.G, ctx.scenario
    pid = ctx.project.id
    nodes: list[Any] = []
    for k, (stop, _) in enumerate(_stops_with_waypoints(edit)):
        if isinstance(stop, Coordinate):
            ctx.check_in_region(stop.lat, stop.lon)
            xy = _lonlat_metric(stop.lon, stop.lat)
            near, dist = ctx.nearest_junction(xy)
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
            )
            geom = LineString([(stop.lon, stop.lat), (G.nodes[near]["x"], G.nodes[near]["y"])])
            attrs = road_edge_attrs(
                G,
                geom,
                link_class="primary",
                settings=ctx.settings,
                link_id=f"{pid}:{ctx.index + 1}:access{k}",
                name=f"{edit.name} access road",
                lanes=2,
                status=ctx.project.status,
                source=ctx.project.source,
            )
            s.add_edges(add_two_way(G, n, near, attrs))
            nodes.append(n)
        else:
            n = ctx.resolve(stop)
            if G.nodes[n].get("kind") != "junction":
                n = _attached_junction(ctx, n)
            nodes.append(n)
    link_class = edit.link_class or DEFAULT_CLASS[edit.mode]
    stops = _stops_with_waypoints(edit)
    for seg, (a, b) in enumerate(itertools.pairwise(nodes)):
        if a == b:
            raise ctx.error(f"stops {seg + 1} and {seg + 2} are the same junction {G.nodes[a]['place_id']!r}")
        da, db = G.nodes[a], G.nodes[b]
        geom = LineString([(da["x"], da["y"]), *stops[seg + 1][1], (db["x"], db["y"])])
        attrs = road_edge_attrs(
            G,
            geom,
            link_class=link_class,
            settings=ctx.settings,
            speed_kph=edit.speed_kph,
            link_id=f"{pid}:{ctx.index + 1}:{seg + 1}",
            name=edit.name,
            lanes=edit.lanes,
            status=ctx.project.status,
            source=ctx.project.source,
            project=pid,
        )
        s.add_edges(add_two_way(G, a, b, attrs))


def _attached_junction(ctx: _Context, n: Any) -> Any:
    """The road junction a zone, gateway, economic zone or station is connected to (the nearest)."""
    G = ctx.G
    best, best_len = None, math.inf
    base = set(ctx.scenario.junction_index()[1])
    for _, v, d in G.out_edges(n, data=True):
        if v in base and d.get("length", math.inf) < best_len:
            best, best_len = v, d.get("length", math.inf)
    if best is None:
        best, _ = ctx.nearest_junction(_metric_xy(G.nodes[n]))
    return best


def _new_service(ctx: _Context, edit: NewLine) -> None:
    """A rail line or ferry: new stations (or an existing line's), links both ways, connections."""
    G, s, _settings = ctx.G, ctx.scenario, ctx.settings
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
        )
        _connect_new_station(ctx, n, ref_node, freight=freight)
        s.add_edges(_incident_edges(G, n))
        stations.append(n)
    for seg, (a, b) in enumerate(itertools.pairwise(stations)):
        da, db = G.nodes[a], G.nodes[b]
        geom = LineString([(da["x"], da["y"]), *stops[seg + 1][1], (db["x"], db["y"])])
        length = float(lonlat_to_metric(geom).length)
        attrs = dict(
            link_id=f"{line_id}:{da['place_id']}-{db['place_id']}",
            name=edit.name,
            mode=mode,
            link_class=link_class,
            line_id=line_id,
            speed_kph=float(edit.speed_kph),
            length=length,
            travel_time=length / (edit.speed_kph / 3.6) + edit.dwell_s,
            dwell_s=edit.dwell_s,
            headway_min=edit.headway_min,
            status=ctx.project.status,
            source=ctx.project.source,
            project=pid,
            geometry=geom,
        )
        s.add_edges(add_two_way(G, a, b, attrs))


def _incident_edges(G: nx.MultiDiGraph, n: Any) -> list[tuple[Any, Any, Any]]:
    out = [(u, v, k) for u, v, k in G.out_edges(n, keys=True)]
    out += [(u, v, k) for u, v, k in G.in_edges(n, keys=True)]
    return out


def _connect_new_station(ctx: _Context, n: Any, ref_node: Any, *, freight: bool) -> None:
    """Join a new station to the place it is built at, the road network and nearby zones."""
    G, settings = ctx.G, ctx.settings
    d = G.nodes[n]
    xy = _metric_xy(d)
    wait = d["headway_min"] * 60 / 2
    joined_road = False
    if ref_node is not None:
        rd = G.nodes[ref_node]
        kind = rd.get("kind")
        dist = math.dist(xy, _metric_xy(rd))
        if kind == "station":
            connect_interchange(G, ref_node, n, INTERCHANGE_WALK_MIN, settings, source=ctx.project.source)
        elif kind in CENTROID_KINDS:
            _connect(
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
            _connect_station(G, n, ref_node, dist, settings)
            joined_road = True
    if freight:
        if ref_node is None:  # a road-rail terminal at a coordinate
            j, dist = ctx.nearest_junction(xy)
            _connect_station(G, n, j, dist, settings)
        return
    if not joined_road:
        j, dist = ctx.nearest_junction(xy)
        _connect_station(G, n, j, dist, settings)
    for z, zd in G.nodes(data=True):
        if zd.get("kind") == "zone" and z != ref_node:
            dist = math.dist(xy, _metric_xy(zd))
            if dist <= settings.station_access_max_km * 1000:
                _connect(G, z, n, dist, settings.walk_speed_kph, "zone_connector", attaches="rail", wait_in_s=wait)


def _apply_upgrade(ctx: _Context, edit: Upgrade) -> None:
    edges = ctx.links(edit.select)
    for key in edges:
        d = ctx.G.edges[key]
        changes: dict[str, Any] = {}
        if edit.link_class is not None:
            changes["link_class"] = edit.link_class
        if edit.lanes is not None:
            changes["lanes"] = edit.lanes
        if d.get("mode") == "rail":
            speed = edit.speed_kph or (d["speed_kph"] * edit.speed_factor if edit.speed_factor else d["speed_kph"])
            changes.update(speed_kph=speed, travel_time=d["length"] / (speed / 3.6) + d.get("dwell_s", 0.0))
        elif d.get("mode") == "road":
            free = d.get("free_flow_speed_kph", d["speed_kph"])
            if edit.speed_kph is not None:
                free = edit.speed_kph
            elif edit.speed_factor is not None:
                free = free * edit.speed_factor
            elif edit.link_class is not None:
                free = ctx.settings.speed_kph(edit.link_class)
            speed = free * d.get("congestion_factor", 1.0)
            changes.update(free_flow_speed_kph=free, speed_kph=speed, travel_time=d["length"] / (speed / 3.6))
        else:
            raise ctx.error(f"link {d.get('link_id')!r} is a {d.get('mode')} link; only road and rail links upgrade")
        changes["upgraded_by"] = ctx.project.id
        ctx.scenario.set_edge(key, **changes)


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
            close = difflib.get_close_matches(lid, list(links.index), n=3, cutoff=0.6)
            raise ctx.error(
                f"unknown link {lid!r} (not in road_links.csv)" + (f"; closest: {', '.join(close)}" if close else "")
            )
        if links.loc[lid, "status"] == "operating":
            raise ctx.error(f"link {lid!r} already operates in the base network")
        if any(d.get("link_id") == lid for _, _, d in ctx.G.edges(data=True)):
            raise ctx.error(f"link {lid!r} is already open in this scenario")
    keys = region_road_edges(ctx.G, region, list(edit.links), ctx.settings)
    for key in keys:
        ctx.G.edges[key]["status"] = ctx.project.status
        ctx.G.edges[key]["project"] = ctx.project.id
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
    ctx.scenario.set_node(n, **changes)


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
    j, dist = ctx.nearest_junction(_metric_xy(G.nodes[n]))
    _connect(G, n, j, dist, ctx.settings.gateway_access_speed_kph, "gateway_access", attaches="road", wait_in_s=0.0)
    ctx.scenario.add_edges(_incident_edges(G, n))  # the node is new: all its edges are


def _apply_new_node(ctx: _Context, edit: NewNode) -> None:
    G = ctx.G
    n = node_id("junction", edit.id)
    if n in G:
        raise ctx.error(f"junction {edit.id!r} already exists")
    ctx.check_in_region(edit.lat, edit.lon)
    xy = _lonlat_metric(edit.lon, edit.lat)
    j, _ = ctx.nearest_junction(xy)
    ctx.scenario.add_node(
        n,
        x=edit.lon,
        y=edit.lat,
        kind="junction",
        name=edit.name,
        place_id=edit.id,
        source=ctx.project.source,
    )
    geom = LineString([(edit.lon, edit.lat), (G.nodes[j]["x"], G.nodes[j]["y"])])
    attrs = road_edge_attrs(
        G,
        geom,
        link_class=edit.link_class,
        settings=ctx.settings,
        link_id=f"{ctx.project.id}:{ctx.index + 1}:access",
        name=f"{edit.name} access road",
        status=ctx.project.status,
        source=ctx.project.source,
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
    ctx.scenario.set_node(n, **changes)


_APPLY: dict[type, Any] = {
    NewLine: _apply_new_line,
    Upgrade: _apply_upgrade,
    Close: _apply_close,
    Open: _apply_open,
    GatewayUpgrade: _apply_gateway_upgrade,
    NewGateway: _apply_new_gateway,
    NewNode: _apply_new_node,
    Investment: _apply_investment,
}

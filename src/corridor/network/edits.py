"""The edits of a project applied to a logged graph, one function per kind of edit.

New links are built by the same functions as the base network's
(:mod:`corridor.network.build`, :mod:`corridor.network.edges`), and join the base
network only: what one project adds never rewires another. Every error names
the project's file and line, the project, the edit and the bad value."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import networkx as nx
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
    Project,
    Upgrade,
)
from corridor.inputs.region import Region
from corridor.network import edges
from corridor.network.build import (
    CENTROID_KINDS,
    add_region_roads,
    add_two_way,
    congestion_area,
    connect_interchange,
    connect_place,
    connect_station,
    edge_in_mode,
    node_id,
    node_xy,
)
from corridor.network.changes import ChangeLog
from corridor.network.edges import Attrs, EdgeKey, Node
from corridor.settings import Settings

__all__ = [
    "DEFAULT_CLASS",
    "apply_edit",
    "INTERCHANGE_WALK_MIN",
    "SNAP_TO_JUNCTION_M",
]


#: a coordinate stop within this distance of a junction uses it instead of a new one
SNAP_TO_JUNCTION_M = 300.0


#: the walk between a new station and the existing station it is built beside
INTERCHANGE_WALK_MIN = 3.0


DEFAULT_CLASS = {"road": "expressway", "bridge": "expressway", "rail": "commuter_rail", "ferry": "ferry"}


@dataclass
class _Context:
    scenario: ChangeLog
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

    def new_node_id(self, kind: str, place_id: str, *, hint: str = "") -> str:
        """The node id of a place the edit adds; the edit's error when G has it (``hint``: what to do then)."""
        n = node_id(kind, place_id)
        if n in self.G:
            raise self.error(f"{kind.replace('_', ' ')} {place_id!r} already exists{hint}")
        return n

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

    def resolve(self, ref: str) -> Node:
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

    def nearest_junction(self, xy: tuple[float, float]) -> tuple[Node, float]:
        """The nearest junction of the base network: what one project adds never rewires another."""
        tree, nodes = self.scenario.junction_index()
        if not len(nodes):
            raise self.error("the network has no road junction to connect to")
        dist, i = tree.query(xy)
        return self.scenario.base_junction(nodes[int(i)]), float(dist)

    def links(self, selection: LinkSelection) -> list[EdgeKey]:
        """The edges of the selected link ids (every direction), or of the fastest base road route."""
        ids = self.selected_ids(selection)
        by_id = self.edges_by_link_id()
        missing = [lid for lid in dict.fromkeys(ids) if lid not in by_id]
        if missing and self.scenario.roads is not None:
            by_id.update(self.scenario.roads.add_links(self.scenario, missing))
        found = []
        for lid in dict.fromkeys(ids):
            if lid not in by_id:
                raise self.error(f"unknown link {lid!r} (not in the network){closest_hint(lid, by_id)}")
            found += by_id[lid]
        return found

    def selected_ids(self, selection: LinkSelection) -> list[str]:
        """The link ids a selection names, or those of the fastest road route along its two places."""
        if selection.along is None:
            return list(selection.links or [])
        a, b = (self.place_node(p) for p in selection.along)
        roads = self.scenario.roads
        ids = roads.road_route(self.scenario, a, b) if roads is not None else _road_route_links(self.G, a, b)
        if ids is None:
            raise self.error(f"no road route along {list(selection.along)}")
        if not ids:
            raise self.error(f"the route along {list(selection.along)} uses no road link")
        return ids

    def edges_by_link_id(self) -> dict[str, list[EdgeKey]]:
        """The edges of G by their link id (both directions of a two-way link)."""
        by_id: dict[str, list[EdgeKey]] = {}
        for u, v, k, d in self.G.edges(keys=True, data=True):
            if d.get("link_id") is not None:
                by_id.setdefault(str(d["link_id"]), []).append((u, v, k))
        return by_id

    def place_node(self, ref: str | Coordinate) -> Node:
        if isinstance(ref, Coordinate):
            self.check_in_region(ref.lat, ref.lon)
            n, dist = self.nearest_junction(metric_xy(ref.lon, ref.lat))
            if dist > self.settings.snap_max_km * 1000:
                raise self.error(f"coordinate {ref.lat},{ref.lon} is {dist / 1000:.1f} km from the road network")
            return n
        return self.resolve(ref)


def _road_route_links(G: nx.MultiDiGraph, a: Node, b: Node) -> list[str] | None:
    """The road link ids of the fastest road route from a to b (never through a centroid), or None."""

    def usable_node(n: Node) -> bool:
        return n in (a, b) or G.nodes[n].get("kind") not in CENTROID_KINDS

    def usable_edge(u: Node, v: Node, k: int) -> bool:
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


def _new_road_edge(ctx: _Context, geometry: LineString, *, link_class: str, **attrs: Any) -> Attrs:
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
    """A road or bridge: its stops' junctions (existing, or new with an access road), links both ways."""
    G = ctx.G
    stops = _stops_with_waypoints(edit)
    nodes = [_road_stop(ctx, edit, stop, k) for k, (stop, _) in enumerate(stops)]
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
            link_id=f"{ctx.project.id}:{ctx.index + 1}:{seg + 1}",
            name=edit.name,
            lanes=edit.lanes,
        )
        ctx.scenario.add_edges(add_two_way(G, a, b, attrs))


def _road_stop(ctx: _Context, edit: NewLine, stop: str | Coordinate, k: int) -> Node:
    """The junction of the k-th stop of a new road.

    A place's junction (a centroid's or station's: the one it is
    connected to); for a coordinate, the nearest junction within
    :data:`SNAP_TO_JUNCTION_M`, else a new junction with an access road to it.
    """
    if not isinstance(stop, Coordinate):
        n = ctx.resolve(stop)
        return n if ctx.G.nodes[n].get("kind") == "junction" else _attached_junction(ctx, n)
    ctx.check_in_region(stop.lat, stop.lon)
    near, dist = ctx.nearest_junction(metric_xy(stop.lon, stop.lat))
    if dist <= SNAP_TO_JUNCTION_M:
        return near
    pid = ctx.project.id
    jid = f"{pid}_{ctx.index + 1}_{k}"
    n = ctx.new_node_id("junction", jid)
    _add_new_junction(
        ctx,
        n,
        place_id=jid,
        lon=stop.lon,
        lat=stop.lat,
        junction_name=stop.name or f"{edit.name} node {k + 1}",
        near=near,
        link_class="primary",
        link_id=f"{pid}:{ctx.index + 1}:access{k}",
        name=f"{edit.name} access road",
        lanes=2,
    )
    return n


def _add_new_junction(
    ctx: _Context, n: str, *, place_id: str, lon: float, lat: float, junction_name: str, near: Node, **link: Any
) -> None:
    """Add a new junction, and its access road (both ways, of ``link``'s attributes) to the junction ``near``."""
    G = ctx.G
    ctx.scenario.add_node(
        n,
        x=lon,
        y=lat,
        kind="junction",
        name=junction_name,
        place_id=place_id,
        source=ctx.project.source,
        project=ctx.project.id,
    )
    geom = LineString([(lon, lat), (G.nodes[near]["x"], G.nodes[near]["y"])])
    ctx.scenario.add_edges(add_two_way(G, n, near, _new_road_edge(ctx, geom, **link)))


def _attached_junction(ctx: _Context, n: Node) -> Node:
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
    line_id = edit.line_id or ctx.project.id
    link_class = edit.link_class or DEFAULT_CLASS[edit.mode]
    assert edit.headway_min is not None and edit.speed_kph is not None
    stations: list[Node] = []
    stops = _stops_with_waypoints(edit)
    for stop, _ in stops:
        stations.append(_service_stop(ctx, edit, stop, line_id, len(stations), freight=link_class == "freight_rail"))
    for seg, (a, b) in enumerate(itertools.pairwise(stations)):
        _add_service_link(ctx, edit, a, b, stops[seg + 1][1], line_id=line_id, link_class=link_class)


def _service_stop(
    ctx: _Context, edit: NewLine, stop: str | Coordinate, line_id: str, count: int, *, freight: bool
) -> Node:
    """The station of a stop of a new service: the line's own station where it stands, else a new one, connected.

    ``count`` is how many stations the line has before this one.
    """
    G = ctx.G
    ref_node = None
    if isinstance(stop, Coordinate):
        ctx.check_in_region(stop.lat, stop.lon)
        lon, lat, name = stop.lon, stop.lat, stop.name or f"{edit.name} stop {count + 1}"
    else:
        ref_node = ctx.resolve(stop)
        rd = G.nodes[ref_node]
        if rd.get("kind") == "station" and rd.get("line_id") == line_id:
            return ref_node  # the same line continues from its existing station
        lon, lat, name = rd["x"], rd["y"], str(rd.get("name", stop))
    sid = f"{line_id}_{_slug(name)}"
    n = ctx.new_node_id("station", sid, hint="; give the stop another name")
    ctx.scenario.add_node(
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
        project=ctx.project.id,
    )
    ctx.scenario.add_edges(_connect_new_station(ctx, n, ref_node, freight=freight))
    return n


def _add_service_link(
    ctx: _Context,
    edit: NewLine,
    a: Node,
    b: Node,
    waypoints: list[tuple[float, float]],
    *,
    line_id: str,
    link_class: str,
) -> None:
    """Link two stations of a new service both ways, through the waypoints (lon, lat) between them."""
    G = ctx.G
    assert edit.headway_min is not None and edit.speed_kph is not None
    da, db = G.nodes[a], G.nodes[b]
    attrs = edges.service_edge(
        LineString([(da["x"], da["y"]), *waypoints, (db["x"], db["y"])]),
        mode="rail" if edit.mode == "rail" else "sea",
        link_class=link_class,
        line_id=line_id,
        speed_kph=edit.speed_kph,
        dwell_s=edit.dwell_s,
        headway_min=edit.headway_min,
        link_id=f"{line_id}:{da['place_id']}-{db['place_id']}",
        name=edit.name,
        status=ctx.project.status,
        source=ctx.project.source,
        project=ctx.project.id,
    )
    ctx.scenario.add_edges(add_two_way(G, a, b, attrs))


def _connect_new_station(ctx: _Context, n: Node, ref_node: Node | None, *, freight: bool) -> list[EdgeKey]:
    """Join a new station to the place it is built at, the road network and nearby zones; return the edges."""
    added, joined_road = _connect_to_place(ctx, n, ref_node)
    if not joined_road:
        # every station is reached by road: a freight station is a road-rail terminal, trucks come to it
        j, dist = ctx.nearest_junction(node_xy(ctx.G.nodes[n]))
        added += connect_station(ctx.G, n, j, dist, ctx.settings)
    if freight:
        # a road-rail terminal carries freight only, and no one walks to it
        for key in added:
            ctx.G.edges[key]["freight"] = True
        ctx.G.nodes[n]["freight"] = True
        return added
    return added + _walks_from_zones(ctx, n, ref_node)


def _connect_to_place(ctx: _Context, n: Node, ref_node: Node | None) -> tuple[list[EdgeKey], bool]:
    """Join a new station to the place it is built at (a station, zone, gateway, economic zone or junction).

    Returns the edges, and whether they join it to the road network (at a junction).
    """
    if ref_node is None:
        return [], False
    G, settings = ctx.G, ctx.settings
    d, rd = G.nodes[n], G.nodes[ref_node]
    kind = rd.get("kind")
    dist = math.dist(node_xy(d), node_xy(rd))
    if kind == "station":
        return connect_interchange(G, ref_node, n, INTERCHANGE_WALK_MIN, settings, source=ctx.project.source), False
    if kind in CENTROID_KINDS:
        added = connect_place(
            G,
            ref_node,
            n,
            max(dist, 50.0),
            settings.walk_speed_kph,
            "zone_connector" if kind != "gateway" else "gateway_access",
            attaches="rail",
            wait_in_s=edges.boarding_wait_s(d["headway_min"]),
        )
        return added, False
    if kind == "junction":
        return connect_station(G, n, ref_node, dist, settings), True
    return [], False


def _walks_from_zones(ctx: _Context, n: Node, ref_node: Node | None) -> list[EdgeKey]:
    """Join a new station on foot to every zone in walking reach (but the one it is built at); return the edges."""
    G, settings = ctx.G, ctx.settings
    d = G.nodes[n]
    xy = node_xy(d)
    wait = edges.boarding_wait_s(d["headway_min"])
    added: list[EdgeKey] = []
    for z, zd in G.nodes(data=True):
        if zd.get("kind") == "zone" and z != ref_node:
            dist = math.dist(xy, node_xy(zd))
            if dist <= settings.station_access_max_km * 1000:
                added += connect_place(
                    G, z, n, dist, settings.walk_speed_kph, "zone_connector", attaches="rail", wait_in_s=wait
                )
    return added


def _upgraded(ctx: _Context, d: Attrs, edit: Upgrade) -> Attrs:
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
    free = cast(float, d.get("free_flow_speed_kph", d["speed_kph"]))
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
    n = ctx.new_node_id("gateway", edit.id)
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
    n = ctx.new_node_id("junction", edit.id)
    ctx.check_in_region(edit.lat, edit.lon)
    j, _ = ctx.nearest_junction(metric_xy(edit.lon, edit.lat))
    _add_new_junction(
        ctx,
        n,
        place_id=edit.id,
        lon=edit.lon,
        lat=edit.lat,
        junction_name=edit.name,
        near=j,
        link_class=edit.link_class,
        link_id=f"{ctx.project.id}:{ctx.index + 1}:access",
        name=f"{edit.name} access road",
    )


def _apply_investment(ctx: _Context, edit: Investment) -> None:
    n = ctx.resolve(edit.place)
    d = ctx.G.nodes[n]
    if d.get("kind") not in CENTROID_KINDS:
        raise ctx.error(f"{edit.place!r} is a {d.get('kind')}; investments go to a zone, gateway or economic zone")
    changes: Attrs = {}
    if edit.jobs:
        changes["jobs"] = (d.get("jobs") or 0) + edit.jobs
    if edit.population:
        changes["population_added"] = (d.get("population_added") or 0) + edit.population
    ctx.scenario.set_node(n, changes)


def apply_edit(
    scenario: ChangeLog, project: Project, index: int, *, settings: Settings, region: Region | None = None
) -> None:
    """Apply a project's edit number ``index`` (0-based) to a logged graph.

    Raises
    ------
    ScenarioError
        The edit names a place or link that does not exist, or cannot be
        applied.
    """
    edit = project.edits[index]
    _APPLY[type(edit)](_Context(scenario, project, index, settings, region), edit)


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

"""The multimodal network: one networkx MultiDiGraph in osmnx's schema.

:func:`build_network` turns a :class:`~corridor.inputs.region.Region` into a graph of
road junctions, rail stations, zones, gateways and economic zones, joined by
road and rail links, station transfers (with waiting time), gateway access
links and zone connectors. Every edge is made by :mod:`corridor.network.edges` and
has ``length`` (m), ``speed_kph``, ``travel_time`` (s), ``mode``,
``link_class``, ``name``, ``status``, ``link_id``, ``geometry`` (EPSG:4326)
and ``source``.

The functions that join things to a graph (:func:`add_two_way`,
:func:`add_region_roads`, :func:`connect_place`, :func:`connect_station`,
:func:`connect_interchange`) are shared with :mod:`corridor.network.scenario`, so a
link a project adds is built exactly like one of the base network.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import networkx as nx
import numpy as np
import shapely
from shapely.geometry import LineString

from corridor._version import __version__
from corridor.errors import DataError
from corridor.geo import DISPLAY_CRS, metric_xy, to_metric
from corridor.network import edges
from corridor.network.edges import Attrs, EdgeKey, Node
from corridor.settings import Settings

if TYPE_CHECKING:  # building needs the region's tables; routing on a built network does not
    import pandas as pd
    from scipy.spatial import cKDTree

    from corridor.inputs.region import Region

__all__ = [
    "CENTROID_KINDS",
    "any_layers",
    "MODES",
    "Mode",
    "add_region_roads",
    "add_two_way",
    "build_network",
    "centroids",
    "congestion_area",
    "congestion_areas",
    "with_congestion",
    "connect_interchange",
    "connect_place",
    "connect_station",
    "add_rail",
    "edge_in_mode",
    "join_places",
    "junction_tree",
    "network_frame",
    "node_id",
    "node_xy",
]

Mode = Literal["road", "rail", "transit", "any", "freight"]
#: the modes of person trips: road (car), rail (on foot to and from stations), transit (public transport:
#: rail and ferries with jeepney or walking legs, and jeepneys alone) and any (the faster of car and transit)
MODES: tuple[Mode, ...] = ("road", "rail", "transit", "any")
#: Kinds of node that trips start and end at but never pass through.
CENTROID_KINDS = frozenset({"zone", "gateway", "economic_zone"})
_PREFIX = {"junction": "j", "zone": "z", "gateway": "g", "economic_zone": "e", "station": "s"}


def centroids(G: nx.MultiDiGraph) -> list[Node]:
    """The zones, gateways and economic zones of a network, in graph order."""
    return [n for n, d in G.nodes(data=True) if d.get("kind") in CENTROID_KINDS]


def node_id(kind: str, place_id: str) -> str:
    """Return the graph node id of a place of the region (``"z:manila"``)."""
    return f"{_PREFIX[kind]}:{place_id}"


def edge_in_mode(data: Attrs, mode: str) -> bool:
    """Whether an edge may be used by a trip of ``mode`` (road, rail, any or freight).

    Road trips use road links and the connectors that attach places to
    junctions; rail trips use rail links, interchanges and the connectors
    that attach places to stations; ``any`` uses every edge, including the
    transfers between stations and the road network (see :func:`any_layers`
    for the rule that keeps a traveller from driving after a rail leg).
    Freight railways and their terminals carry freight only: ``freight``
    uses them with the road links and connectors, and no person trip does.
    """
    edge_mode = data.get("mode", "road")
    freight_only = bool(data.get("freight")) or data.get("link_class") == "freight_rail"
    if mode == "freight":
        return freight_only or edge_mode == "road" or (edge_mode == "access" and data.get("attaches") == "road")
    if freight_only:
        return False
    if mode in {"any", "transit"}:
        return True
    if edge_mode == mode:
        return True
    if mode == "rail" and data.get("link_class") == "rail_interchange":
        return True
    return edge_mode == "access" and data.get("attaches") == mode


#: one copy of an edge in the two-layer network of mode ``any``: (tail on the public transport layer,
#: head on the public transport layer, seconds added); the layer flags matter only at road junctions
Layer = tuple[bool, bool, float]
_CAR: tuple[Layer, ...] = ((False, False, 0.0),)


def any_layers(data: Attrs) -> tuple[Layer, ...]:
    """The copies of an edge in mode ``any``, which keeps cars and public transport apart.

    A trip of mode ``any`` goes by road alone (a car), or by public transport:
    rail and ferry lines, reached and left on foot or by jeepney or bus, which
    run on the roads at the same speeds and are boarded after a wait
    (``pt_wait_s`` on the connector or station exit where one is boarded). The
    road network has two layers: the car layer is entered from the trip's
    origin only and never reaches a station (park-and-ride is not modelled);
    the public transport layer is entered from the origin after the wait, or
    from a station, and leads to stations and destinations; on it a road link
    takes longer, at ``pt_speed_factor`` of a car's speed. So no trip drives
    after a rail leg, and a shortest path in the layered graph is the faster of
    the car and the public transport trip.
    """
    edge_mode, link_class = data.get("mode"), data.get("link_class")
    wait = float(data.get("pt_wait_s") or 0.0)
    if edge_mode == "road":
        slower = float(data.get("travel_time", 0.0)) * (1 / float(data.get("pt_speed_factor") or 1.0) - 1)
        return ((False, False, 0.0), (True, True, slower))
    if edge_mode == "access" and data.get("attaches") == "road":
        return ((False, False, 0.0), (True, True, wait))
    if link_class == "station_access":
        return ((True, True, wait),)
    return _CAR


def node_xy(data: Attrs) -> tuple[float, float]:
    """A node's position in EPSG:32651 metres."""
    x, y = metric_xy(data["x"], data["y"])
    return float(x), float(y)


def junction_tree(G: nx.MultiDiGraph) -> tuple[cKDTree, list[Node]]:
    """A KD-tree (EPSG:32651) of the graph's road junctions, and the junctions in its order."""
    from scipy.spatial import cKDTree

    nodes = [n for n, d in G.nodes(data=True) if d.get("kind", "junction") == "junction"]
    if not nodes:
        return cKDTree(np.zeros((1, 2))), []
    xs = np.array([G.nodes[n]["x"] for n in nodes], dtype=float)
    ys = np.array([G.nodes[n]["y"] for n in nodes], dtype=float)
    mx, my = metric_xy(xs, ys)
    return cKDTree(np.column_stack([mx, my])), nodes


def congestion_area(G: nx.MultiDiGraph, geometry: LineString) -> str | None:
    """The congestion area (of ``G.graph["congestion_areas"]``) that a link's midpoint lies in."""
    areas = G.graph.get("congestion_areas") or {}
    if not areas:
        return None
    midpoint = to_metric(geometry).interpolate(0.5, normalized=True)
    for area_id, polygon in areas.items():
        if polygon.contains(midpoint):
            return str(area_id)
    return None


def congestion_areas(G: nx.MultiDiGraph, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The congestion area of many points at once (None outside every area)."""
    out = np.full(len(lon), None, dtype=object)
    areas = G.graph.get("congestion_areas") or {}
    if not areas or not len(lon):
        return out
    px, py = metric_xy(lon, lat)
    for area_id, polygon in areas.items():
        inside = shapely.contains_xy(polygon, px, py)
        out[inside & (out == None)] = area_id  # noqa: E711 - elementwise
    return out


def add_two_way(G: nx.MultiDiGraph, u: Node, v: Node, attrs: Attrs, *, oneway: bool = False) -> list[EdgeKey]:
    """Add an edge u->v and, unless one-way, v->u with the reversed geometry; return their keys."""
    keys = [(u, v, G.add_edge(u, v, **{**attrs, "oneway": oneway, "reversed": False}))]
    if not oneway:
        keys.append((v, u, G.add_edge(v, u, **{**edges.reverse(attrs), "oneway": False})))
    return keys


def _attribute(value: Any) -> Any:
    """A row's value as a graph attribute: pandas' missing values as None, numpy scalars as plain Python."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def add_region_roads(
    G: nx.MultiDiGraph, region: Region, link_ids: Iterable[str], settings: Settings, **extra: Any
) -> list[EdgeKey]:
    """Add the region's road links of these ids to G (both directions unless one-way); return the edge keys."""
    rows = region.road_links.loc[list(link_ids)]
    lonlat = rows.geometry.to_crs(DISPLAY_CRS)
    added = []
    for (lid, row), geom in zip(rows.iterrows(), lonlat, strict=True):
        attrs = edges.road_edge(
            geom,
            link_class=row.link_class,
            settings=settings,
            area=congestion_area(G, geom),
            speed_kph=_attribute(row.speed_kph),
            length_m=float(row.length_m),  # the pack's metric length is the reference
            link_id=lid,
            name=row["name"],
            lanes=_attribute(row.lanes),
            status=row.status,
            source=row.source,
            **extra,
        )
        u, v = node_id("junction", row.from_node), node_id("junction", row.to_node)
        added += add_two_way(G, u, v, attrs, oneway=bool(row.oneway))
    return added


def _segment(G: nx.MultiDiGraph, u: Node, v: Node) -> LineString:
    du, dv = G.nodes[u], G.nodes[v]
    return LineString([(du["x"], du["y"]), (dv["x"], dv["y"])])


def _add_legs(
    G: nx.MultiDiGraph,
    legs: Iterable[tuple[Node, Node, float, float]],
    make: Callable[..., Attrs],
    common: Attrs,
) -> list[EdgeKey]:
    """Add an edge per leg (u, v, wait in s, wait for a jeepney or bus in s) made by ``make``; return the keys."""
    keys = []
    for u, v, wait, pt_wait in legs:
        attrs = make(_segment(G, u, v), wait_s=wait, **common)
        if pt_wait:
            attrs["pt_wait_s"] = pt_wait
        keys.append((u, v, G.add_edge(u, v, **attrs)))
    return keys


def connect_place(
    G: nx.MultiDiGraph,
    place: Node,
    target: Node,
    dist_m: float,
    speed_kph: float,
    link_class: str,
    *,
    attaches: str,
    wait_in_s: float,
    pt_wait_s: float = 0.0,
    **extra: Any,
) -> list[EdgeKey]:
    """Join a zone, gateway or economic zone to a junction or station, both ways; return the edge keys.

    Going in waits ``wait_in_s`` for the service boarded at ``target``; a
    trip by public transport that leaves by road waits ``pt_wait_s`` for a
    jeepney or bus (see :func:`any_layers`).
    """
    dp, dt = G.nodes[place], G.nodes[target]
    label = "access" if link_class == "gateway_access" else "connector"
    common: Attrs = dict(
        link_class=link_class,
        attaches=attaches,
        speed_kph=speed_kph,
        length_m=dist_m,
        link_id=f"{link_class}:{dp['place_id']}-{dt.get('place_id', target)}",
        name=f"{dp['name']} {label}",
        status="operating",
        source="corridor: straight-line connector",
        **extra,
    )
    legs = ((place, target, wait_in_s, pt_wait_s), (target, place, 0.0, 0.0))
    return _add_legs(G, legs, edges.access_edge, common)


def connect_station(
    G: nx.MultiDiGraph, station: Node, junction: Node, dist_m: float, settings: Settings, **extra: Any
) -> list[EdgeKey]:
    """Join a station to the road network both ways; return the edge keys.

    Boarding waits half the line's headway; leaving by road waits for a jeepney
    or bus (``settings.pt_wait_min``, see :func:`any_layers`).
    """
    data = G.nodes[station]
    wait = edges.boarding_wait_s(data["headway_min"])
    common: Attrs = dict(
        link_class="station_access",
        speed_kph=settings.access_speed_kph,
        length_m=dist_m,
        link_id=f"station_access:{data['place_id']}",
        name=f"{data['line_name']} {data['name']} station",
        attaches="both",
        status="operating",
        source="corridor: station access",
        **extra,
    )
    legs = ((junction, station, wait, 0.0), (station, junction, 0.0, settings.pt_wait_min * 60))
    return _add_legs(G, legs, edges.transfer_edge, common)


def connect_interchange(
    G: nx.MultiDiGraph, a: Node, b: Node, walk_min: float, settings: Settings, *, source: str
) -> list[EdgeKey]:
    """Join two stations of different lines both ways: the walk, then half the boarded line's headway."""
    keys = []
    for u, v in ((a, b), (b, a)):
        du, dv = G.nodes[u], G.nodes[v]
        attrs = edges.transfer_edge(
            _segment(G, u, v),
            link_class="rail_interchange",
            speed_kph=settings.walk_speed_kph,
            walk_s=walk_min * 60,
            wait_s=edges.boarding_wait_s(dv["headway_min"]),
            length_m=math.dist(node_xy(du), node_xy(dv)),
            link_id=f"interchange:{du['place_id']}-{dv['place_id']}",
            name=f"change to {dv.get('line_name', dv.get('name'))}",
            status="operating",
            source=source,
        )
        keys.append((u, v, G.add_edge(u, v, **attrs)))
    return keys


def build_network(
    region: Region, settings: Settings | None = None, *, roads: nx.MultiDiGraph | None = None
) -> nx.MultiDiGraph:
    """Build the base multimodal network of a region.

    Only what operates in the region's base year goes in: links, lines and
    stations of any other status are left for projects to add.

    Parameters
    ----------
    region
        A loaded region pack.
    settings
        Speeds, congestion factors and access parameters; defaults when None.
    roads
        A real road network in corridor's schema (from :mod:`corridor.network.osm`
        or :class:`corridor.paths.road_arrays.RoadArrays`) to use instead of the
        region's own roads; the region's rail lines, gateways, economic zones
        and zones are joined to it.

    Returns
    -------
    networkx.MultiDiGraph
        Node ids are ``"<kind letter>:<id>"`` (``j:`` junction, ``z:`` zone,
        ``g:`` gateway, ``e:`` economic zone, ``s:`` station). ``G.graph``
        holds ``crs``, the region's bbox, gateway groups and the provenance.

    Raises
    ------
    DataError
        When a zone, gateway or economic zone is farther from every road
        junction than ``settings.connector_max_km``, or a road class has no
        speed.

    Examples
    --------
    >>> from corridor import load_region
    >>> G = build_network(load_region("luzon"))
    >>> G.nodes["g:clark_airport"]["kind"]
    'gateway'
    """
    settings = settings or Settings()
    G = network_frame(region, settings)
    if roads is None:
        for nid, row in region.road_nodes.iterrows():
            G.add_node(
                node_id("junction", str(nid)),
                x=row.lon,
                y=row.lat,
                kind="junction",
                name=row["name"],
                place_id=nid,
                source=row.source,
            )
        operating = region.road_links[region.road_links.status == "operating"]
        add_region_roads(G, region, operating.index, settings)
    else:
        _add_real_roads(G, roads, settings)
    add_rail(G, region, settings)
    tree, junctions = junction_tree(G)
    join_places(G, region, settings, tree, junctions)
    return G


def network_frame(region: Region, settings: Settings) -> nx.MultiDiGraph:
    """An empty network with the region's graph attributes: crs, bbox, gateway groups, congestion areas, provenance."""
    G = nx.MultiDiGraph()
    G.graph.update(
        crs=DISPLAY_CRS,
        name=region.name,
        bbox=tuple(region.bbox),
        base_year=region.base_year,
        gateway_groups={
            str(gid): {"name": row["name"], "type": row["type"]} for gid, row in region.gateway_groups.iterrows()
        },
        congestion_areas={str(a): geom for a, geom in region.congestion_areas.geometry.items()},
        provenance={
            **region.provenance(),
            "settings_digest": settings.digest(),
            "corridor_version": __version__,
        },
    )
    return G


def _place_layers(region: Region) -> list[tuple[str, pd.DataFrame, list[str]]]:
    """The region's places to join, by kind: the layer and the columns its nodes keep."""
    zone_extra = ["population_2020", "region", "province"] + (["jobs"] if "jobs" in region.zones else [])
    gateway_extra = ["type", "group", "capacity", "capacity_unit", "handling_h", "movements_per_h", "pax_per_movement"]
    return [
        ("zone", region.zones, zone_extra),
        ("gateway", region.gateways, [*gateway_extra, "code"]),
        ("economic_zone", region.economic_zones, ["jobs", "area_ha"]),
    ]


def _add_place(G: nx.MultiDiGraph, kind: str, pid: Hashable, row: pd.Series, extra: list[str]) -> str:
    """Add a place of the region (a row of its layer) as a node; return the node id."""
    nid = node_id(kind, str(pid))
    attrs = {k: _attribute(row[k]) for k in extra}
    if kind == "gateway":
        attrs["gateway_type"] = attrs.pop("type")
    G.add_node(nid, x=row.lon, y=row.lat, kind=kind, name=row["name"], place_id=pid, source=row.source, **attrs)
    return nid


class _Joins:
    """Joining places to a graph: the road junctions and their KD-tree, and the stations and theirs."""

    def __init__(
        self,
        G: nx.MultiDiGraph,
        region: Region,
        settings: Settings,
        tree: cKDTree,
        junctions: Sequence[Node],
        add_junction: Callable[[nx.MultiDiGraph, Node], None] | None,
    ) -> None:
        self.G = G
        self.region_path = region.path
        self.settings = settings
        self.tree = tree
        self.junctions = junctions
        self.add_junction = add_junction
        self.stations = [n for n, d in G.nodes(data=True) if d.get("kind") == "station"]
        self.station_xy = np.array([node_xy(G.nodes[n]) for n in self.stations]).reshape(-1, 2)
        from scipy.spatial import cKDTree

        self.station_tree = cKDTree(self.station_xy) if self.stations else None

    def junction(self, idx: int) -> Node:
        """The junction at a position of the tree, put into G first when G does not hold the roads."""
        j = self.junctions[int(idx)]
        if self.add_junction is not None:
            self.add_junction(self.G, j)
        return j

    def join_stations(self) -> None:
        """Join each station to its nearest junction."""
        for sid, xy in zip(self.stations, self.station_xy, strict=True):
            dist, idx = self.tree.query(xy)
            connect_station(self.G, sid, self.junction(idx), float(dist), self.settings)

    def nearest_junctions(self, kind: str, pid: Hashable, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The distances (m) and tree positions of the junctions nearest a place: its connectors' count of them.

        Raises
        ------
        DataError
            When the nearest is beyond ``settings.connector_max_km``.
        """
        k = self.settings.zone_connectors if kind != "gateway" else 1
        dists, idxs = self.tree.query(xy, k=min(k, len(self.junctions)))
        dists, idxs = np.atleast_1d(dists), np.atleast_1d(idxs)
        if dists[0] > self.settings.connector_max_km * 1000:
            raise DataError(
                f"{kind.replace('_', ' ')} is {dists[0] / 1000:.1f} km from the nearest road junction; "
                f"connectors reach {self.settings.connector_max_km} km",
                path=self.region_path,
                id=str(pid),
                allowed="a junction nearby, or a larger settings.connector_max_km",
            )
        return dists, idxs

    def join_place(self, kind: str, nid: str, pid: Hashable, xy: np.ndarray) -> None:
        """Join a place to its nearest junctions within reach, and on foot to the stations near it."""
        settings = self.settings
        dists, idxs = self.nearest_junctions(kind, pid, xy)
        speed = settings.gateway_access_speed_kph if kind == "gateway" else settings.access_speed_kph
        link_class = "gateway_access" if kind == "gateway" else "zone_connector"
        for dist, idx in zip(dists, idxs, strict=True):
            if dist <= settings.connector_max_km * 1000:
                connect_place(
                    self.G,
                    nid,
                    self.junction(idx),
                    float(dist),
                    speed,
                    link_class,
                    attaches="road",
                    wait_in_s=0.0,
                    pt_wait_s=settings.pt_wait_min * 60,
                )
        if self.station_tree is not None:
            for idx in self.station_tree.query_ball_point(xy, settings.station_access_max_km * 1000):
                sid = self.stations[idx]
                connect_place(
                    self.G,
                    nid,
                    sid,
                    float(np.hypot(*(self.station_xy[idx] - xy))),
                    settings.walk_speed_kph,
                    link_class,
                    attaches="rail",
                    wait_in_s=edges.boarding_wait_s(self.G.nodes[sid]["headway_min"]),
                )


def join_places(
    G: nx.MultiDiGraph,
    region: Region,
    settings: Settings,
    tree: cKDTree,
    junctions: Sequence[Node],
    *,
    add_junction: Callable[[nx.MultiDiGraph, Node], None] | None = None,
) -> None:
    """Join the stations of G and the region's zones, gateways and economic zones to the road junctions.

    Parameters
    ----------
    G
        The network so far: its roads (or none, see ``add_junction``) and rail lines.
    tree, junctions
        A KD-tree (EPSG:32651) of the road junctions and the junctions in its order.
    add_junction
        Puts a junction into G before it is joined to (for networks whose
        roads are arrays, not edges of G); None when G holds every junction.

    Raises
    ------
    DataError
        A place farther from every junction than ``settings.connector_max_km``.
    """
    if not len(junctions):
        raise DataError("the road network has no junctions", path=region.path)
    joins = _Joins(G, region, settings, tree, junctions, add_junction)
    joins.join_stations()
    for kind, gdf, extra in _place_layers(region):
        for pid, row in gdf.iterrows():
            nid = _add_place(G, kind, pid, row, extra)
            joins.join_place(kind, nid, pid, np.array([row.geometry.x, row.geometry.y]))


def with_congestion(roads: nx.MultiDiGraph, region: Region, settings: Settings) -> nx.MultiDiGraph:
    """A road network of its own (an OpenStreetMap extract) with the region's congestion rule.

    Each link whose midpoint lies in one of the region's congestion areas
    runs at its free-flow speed times that area's factor for its class, as
    the region's own roads do; links outside every area are unchanged.
    """
    G = nx.MultiDiGraph()
    G.graph.update(roads.graph)  # its own extent, crs and attribution
    G.graph["congestion_areas"] = {str(a): geom for a, geom in region.congestion_areas.geometry.items()}
    G.graph["provenance"] = dict(roads.graph.get("provenance") or {})
    _add_real_roads(G, roads, settings)
    return G


def _add_real_roads(G: nx.MultiDiGraph, roads: nx.MultiDiGraph, settings: Settings) -> None:
    """Copy a real road network in, with the region's congestion factors on its free-flow speeds."""
    for n, d in roads.nodes(data=True):
        G.add_node(n, **{**d, "kind": d.get("kind", "junction")})
    links = list(roads.edges(keys=True, data=True))
    mid_lon = np.array([(roads.nodes[u]["x"] + roads.nodes[v]["x"]) / 2 for u, v, _, _ in links])
    mid_lat = np.array([(roads.nodes[u]["y"] + roads.nodes[v]["y"]) / 2 for u, v, _, _ in links])
    areas = congestion_areas(G, mid_lon, mid_lat)
    for (u, v, k, d), area in zip(links, areas, strict=True):
        attrs = {key: value for key, value in d.items() if key not in _DERIVED}
        attrs = edges.road_edge(
            d["geometry"],
            link_class=d.get("link_class", "road"),
            settings=settings,
            area=area,
            speed_kph=float(d.get("free_flow_speed_kph") or d["speed_kph"]),
            length_m=float(d["length"]),
            **attrs,
        )
        G.add_edge(u, v, key=k, **attrs)
    G.graph["attribution"] = roads.graph.get("attribution", "")
    G.graph["provenance"]["roads"] = dict(roads.graph.get("provenance", {})) or {"source": "user road network"}


#: attributes that :func:`corridor.network.edges.road_edge` derives, and so never copies
_DERIVED = frozenset(
    {
        "mode",
        "link_class",
        "free_flow_speed_kph",
        "congestion_factor",
        "congestion_area",
        "congestion_areas",
        "speed_kph",
        "length",
        "travel_time",
        "geometry",
    }
)


def add_rail(G: nx.MultiDiGraph, region: Region, settings: Settings) -> None:
    """Add the rail lines, stations and interchanges that operate in the base year."""
    stations = region.rail_stations
    for line_id, line in region.rail_lines.iterrows():
        if line.status != "operating":
            continue
        on_line = stations[(stations.line_id == line_id) & (stations.status == "operating")].sort_values("seq")
        for sid, row in on_line.iterrows():
            G.add_node(
                node_id("station", str(sid)),
                x=row.lon,
                y=row.lat,
                kind="station",
                name=row["name"],
                place_id=sid,
                line_id=line_id,
                line_name=line["name"],
                headway_min=float(line.headway_min),
                source=row.source,
            )
        for a, b in itertools.pairwise(on_line.index):
            pa, pb = on_line.loc[a], on_line.loc[b]
            attrs = edges.service_edge(
                LineString([(pa.lon, pa.lat), (pb.lon, pb.lat)]),
                mode="rail",
                link_class=line.link_class,
                line_id=str(line_id),
                speed_kph=float(line.speed_kph),
                dwell_s=float(line.dwell_s),
                headway_min=float(line.headway_min),
                length_m=float(pa.geometry.distance(pb.geometry)),
                link_id=f"{line_id}:{a}-{b}",
                name=line["name"],
                status="operating",
                source=line.source,
            )
            add_two_way(G, node_id("station", str(a)), node_id("station", str(b)), attrs)
    for ic in region.rail_interchanges.to_dict("records"):
        a, b = node_id("station", str(ic["from_station"])), node_id("station", str(ic["to_station"]))
        if a in G and b in G:  # else one side does not operate in the base year
            connect_interchange(G, a, b, float(ic["walk_min"]), settings, source=str(ic["source"]))

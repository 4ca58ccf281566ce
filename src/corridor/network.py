"""The multimodal network: one networkx MultiDiGraph in osmnx's schema.

:func:`build_network` turns a :class:`~corridor.region.Region` into a graph of
road junctions, rail stations, zones, gateways and economic zones, joined by
road and rail links, station transfers (with waiting time), gateway access
links and zone connectors. Every edge has ``length`` (m), ``speed_kph``,
``travel_time`` (s), ``mode``, ``link_class``, ``name``, ``status``,
``link_id``, ``geometry`` (EPSG:4326) and ``source``.

:class:`PlaceIndex` resolves what a user types (an id, a name, ``lat,lon``)
to nodes of the graph.
"""

from __future__ import annotations

import difflib
import itertools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import networkx as nx
import numpy as np
import pyproj
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import LineString

from corridor import __version__
from corridor.errors import DataError, OutsideRegionError, PlaceNotFound
from corridor.region import DISPLAY_CRS, METRIC_CRS, Region
from corridor.settings import Settings

__all__ = [
    "build_network",
    "PlaceIndex",
    "Place",
    "Mode",
    "MODES",
    "CENTROID_KINDS",
    "node_id",
    "edge_in_mode",
    "normalise_name",
]

Mode = Literal["road", "rail", "any"]
MODES: tuple[Mode, ...] = ("road", "rail", "any")
#: Kinds of node that trips start and end at but never pass through.
CENTROID_KINDS = frozenset({"zone", "gateway", "economic_zone"})
_PREFIX = {"junction": "j", "zone": "z", "gateway": "g", "economic_zone": "e", "station": "s"}

_TO_METRIC = pyproj.Transformer.from_crs(DISPLAY_CRS, METRIC_CRS, always_xy=True)


def node_id(kind: str, place_id: str) -> str:
    """Return the graph node id of a place of the region (``"z:manila"``)."""
    return f"{_PREFIX[kind]}:{place_id}"


def edge_in_mode(data: dict[str, Any], mode: str) -> bool:
    """Whether an edge may be used by a trip of ``mode`` (road, rail or any).

    Road trips use road links and the connectors that attach places to
    junctions; rail trips use rail links, interchanges and the connectors
    that attach places to stations; ``any`` uses every edge, including the
    transfers between stations and the road network.
    """
    if mode == "any":
        return True
    edge_mode = data.get("mode", "road")
    if edge_mode == mode:
        return True
    if mode == "rail" and data.get("link_class") == "rail_interchange":
        return True
    return edge_mode == "access" and data.get("attaches") == mode


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
        A real road network in corridor's schema (from :mod:`corridor.osm`
        or :class:`corridor.osm_arrays.RoadArrays`) to use instead of the
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
        _add_road_links(G, region, settings)
    else:
        _add_osm_roads(G, roads, settings)
    _add_rail(G, region, settings)

    junction_nodes = [n for n, d in G.nodes(data=True) if d.get("kind", "junction") == "junction"]
    if not junction_nodes:
        raise DataError("the road network has no junctions", path=region.path)
    jx = np.array([G.nodes[n]["x"] for n in junction_nodes], dtype=float)
    jy = np.array([G.nodes[n]["y"] for n in junction_nodes], dtype=float)
    junction_tree = cKDTree(np.column_stack(_TO_METRIC.transform(jx, jy)))
    stations = [n for n, d in G.nodes(data=True) if d.get("kind") == "station"]
    station_xy = np.array([_metric_xy(G.nodes[n]) for n in stations]).reshape(-1, 2)
    station_tree = cKDTree(station_xy) if stations else None

    for sid, xy in zip(stations, station_xy, strict=True):
        dist, idx = junction_tree.query(xy)
        _connect_station(G, sid, junction_nodes[int(idx)], float(dist), settings)

    layers: list[tuple[str, Any, list[str]]] = [
        ("zone", region.zones, ["population_2020", "region", "province"]),
        ("gateway", region.gateways, ["type", "group", "capacity", "capacity_unit", "handling_h", "code"]),
        ("economic_zone", region.economic_zones, ["jobs", "area_ha"]),
    ]
    for kind, gdf, extra in layers:
        for pid, row in gdf.iterrows():
            nid = node_id(kind, str(pid))
            attrs = {k: _plain(row[k]) for k in extra}
            if kind == "gateway":
                attrs["gateway_type"] = attrs.pop("type")
            G.add_node(
                nid,
                x=row.lon,
                y=row.lat,
                kind=kind,
                name=row["name"],
                place_id=pid,
                source=row.source,
                **attrs,
            )
            xy = np.array([row.geometry.x, row.geometry.y])
            k = settings.zone_connectors if kind != "gateway" else 1
            dists, idxs = junction_tree.query(xy, k=min(k, len(junction_nodes)))
            dists, idxs = np.atleast_1d(dists), np.atleast_1d(idxs)
            if dists[0] > settings.connector_max_km * 1000:
                raise DataError(
                    f"{kind.replace('_', ' ')} is {dists[0] / 1000:.1f} km from the nearest road "
                    f"junction; connectors reach {settings.connector_max_km} km "
                    "(add a junction nearby or raise settings.connector_max_km)",
                    path=region.path,
                    row_id=str(pid),
                )
            speed = settings.gateway_access_speed_kph if kind == "gateway" else settings.access_speed_kph
            link_class = "gateway_access" if kind == "gateway" else "zone_connector"
            for dist, idx in zip(dists, idxs, strict=True):
                if dist > settings.connector_max_km * 1000:
                    continue
                _connect(
                    G,
                    nid,
                    junction_nodes[int(idx)],
                    float(dist),
                    speed,
                    link_class,
                    attaches="road",
                    wait_in_s=0.0,
                )
            if station_tree is not None:
                for idx in station_tree.query_ball_point(xy, settings.station_access_max_km * 1000):
                    sid = stations[idx]
                    dist = float(np.hypot(*(station_xy[idx] - xy)))
                    wait = G.nodes[sid]["headway_min"] * 60 / 2
                    _connect(
                        G,
                        nid,
                        sid,
                        dist,
                        settings.walk_speed_kph,
                        link_class,
                        attaches="rail",
                        wait_in_s=wait,
                    )
    return G


def _plain(value: Any) -> Any:
    """Turn pandas missing values and numpy scalars into plain Python."""
    if value is None:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _metric_xy(data: dict[str, Any]) -> tuple[float, float]:
    x, y = _TO_METRIC.transform(data["x"], data["y"])
    return float(x), float(y)


def congestion(
    G: nx.MultiDiGraph, geometry_lonlat: LineString, link_class: str, settings: Settings
) -> tuple[float, str | None]:
    """The congestion factor and area of a road link, from the areas stored in ``G.graph``."""
    midpoint = lonlat_to_metric(geometry_lonlat).interpolate(0.5, normalized=True)
    for area_id, polygon in G.graph.get("congestion_areas", {}).items():
        if polygon.contains(midpoint):
            return settings.congestion_factor(area_id, link_class), area_id
    return 1.0, None


def road_edge_attrs(
    G: nx.MultiDiGraph,
    geometry_lonlat: LineString,
    *,
    link_class: str,
    settings: Settings,
    speed_kph: float | None = None,
    **attrs: Any,
) -> dict[str, Any]:
    """Attributes of a road edge: speed from the class (or given), congestion, length and time."""
    free_flow = float(speed_kph) if speed_kph else settings.speed_kph(link_class)
    factor, area_id = congestion(G, geometry_lonlat, link_class, settings)
    length = float(lonlat_to_metric(geometry_lonlat).length)
    speed = free_flow * factor
    return dict(
        mode="road",
        link_class=link_class,
        free_flow_speed_kph=free_flow,
        congestion_factor=factor,
        congestion_area=area_id,
        speed_kph=speed,
        length=length,
        travel_time=length / (speed / 3.6),
        geometry=geometry_lonlat,
        **attrs,
    )


def add_two_way(
    G: nx.MultiDiGraph, u: Any, v: Any, attrs: dict[str, Any], *, oneway: bool = False
) -> list[tuple[Any, Any, Any]]:
    """Add an edge u->v and, unless one-way, v->u with the reversed geometry; return their keys."""
    geom = attrs["geometry"]
    keys = [(u, v, G.add_edge(u, v, **{**attrs, "oneway": oneway, "reversed": False}))]
    if not oneway:
        back = {**attrs, "geometry": LineString(list(geom.coords)[::-1]), "oneway": False, "reversed": True}
        keys.append((v, u, G.add_edge(v, u, **back)))
    return keys


def region_road_edges(
    G: nx.MultiDiGraph, region: Region, link_ids: list[str], settings: Settings
) -> list[tuple[Any, Any, Any]]:
    """Add the region's road links of these ids to G (both directions unless one-way)."""
    rows = region.road_links.loc[link_ids]
    lonlat = rows.geometry.to_crs(DISPLAY_CRS)
    added = []
    for (lid, row), geom in zip(rows.iterrows(), lonlat, strict=True):
        attrs = road_edge_attrs(
            G,
            geom,
            link_class=row.link_class,
            settings=settings,
            speed_kph=_plain(row.speed_kph),
            link_id=lid,
            name=row["name"],
            lanes=_plain(row.lanes),
            status=row.status,
            source=row.source,
        )
        # the pack's metric length is the reference; the projected one differs by float noise only
        attrs["length"] = float(row.length_m)
        attrs["travel_time"] = attrs["length"] / (attrs["speed_kph"] / 3.6)
        u, v = node_id("junction", row.from_node), node_id("junction", row.to_node)
        added += add_two_way(G, u, v, attrs, oneway=bool(row.oneway))
    return added


def _add_osm_roads(G: nx.MultiDiGraph, roads: nx.MultiDiGraph, settings: Settings) -> None:
    """Copy a real road network in, with the region's congestion factors on its speeds."""
    for n, d in roads.nodes(data=True):
        G.add_node(n, **{**d, "kind": d.get("kind", "junction")})
    areas = G.graph.get("congestion_areas", {})
    edges = list(roads.edges(keys=True, data=True))
    if areas and edges:
        mx = np.array([(roads.nodes[u]["x"] + roads.nodes[v]["x"]) / 2 for u, v, _, _ in edges])
        my = np.array([(roads.nodes[u]["y"] + roads.nodes[v]["y"]) / 2 for u, v, _, _ in edges])
        px, py = _TO_METRIC.transform(mx, my)
        area_of = np.full(len(edges), None, dtype=object)
        for area_id, polygon in areas.items():
            inside = shapely.contains_xy(polygon, px, py)
            area_of[inside & (area_of == None)] = area_id  # noqa: E711 - elementwise
    else:
        area_of = np.full(len(edges), None, dtype=object)
    for (u, v, k, d), area in zip(edges, area_of, strict=True):
        attrs = dict(d)
        free = float(attrs.get("free_flow_speed_kph") or attrs["speed_kph"])
        factor = settings.congestion_factor(area, attrs.get("link_class", "road")) if area else 1.0
        speed = free * factor
        attrs.update(
            free_flow_speed_kph=free,
            congestion_factor=factor,
            congestion_area=area,
            speed_kph=speed,
            travel_time=float(attrs["length"]) / (speed / 3.6),
        )
        G.add_edge(u, v, key=k, **attrs)
    G.graph["attribution"] = roads.graph.get("attribution", "")
    G.graph["provenance"]["roads"] = dict(roads.graph.get("provenance", {})) or {"source": "user road network"}


def _add_road_links(G: nx.MultiDiGraph, region: Region, settings: Settings) -> None:
    links = region.road_links[region.road_links.status == "operating"]
    region_road_edges(G, region, list(links.index), settings)


def _add_rail(G: nx.MultiDiGraph, region: Region, settings: Settings) -> None:
    lines = region.rail_lines
    stations = region.rail_stations
    for line_id, line in lines.iterrows():
        if line.status != "operating":
            continue
        on_line = stations[(stations.line_id == line_id) & (stations.status == "operating")]
        on_line = on_line.sort_values("seq")
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
        ids = list(on_line.index)
        for a, b in itertools.pairwise(ids):
            pa, pb = on_line.loc[a], on_line.loc[b]
            length = float(pa.geometry.distance(pb.geometry))
            run_s = length / (float(line.speed_kph) / 3.6)
            attrs = dict(
                link_id=f"{line_id}:{a}-{b}",
                name=line["name"],
                mode="rail",
                link_class=line.link_class,
                line_id=line_id,
                speed_kph=float(line.speed_kph),
                length=length,
                travel_time=run_s + float(line.dwell_s),
                dwell_s=float(line.dwell_s),
                headway_min=float(line.headway_min),
                status="operating",
                source=line.source,
            )
            ga = LineString([(pa.lon, pa.lat), (pb.lon, pb.lat)])
            G.add_edge(node_id("station", str(a)), node_id("station", str(b)), geometry=ga, reversed=False, **attrs)
            G.add_edge(
                node_id("station", str(b)),
                node_id("station", str(a)),
                geometry=LineString(list(ga.coords)[::-1]),
                reversed=True,
                **attrs,
            )
    for ic in region.rail_interchanges.to_dict("records"):
        a, b = node_id("station", str(ic["from_station"])), node_id("station", str(ic["to_station"]))
        if a not in G or b not in G:
            continue  # one side does not operate in the base year
        connect_interchange(G, a, b, float(ic["walk_min"]), settings, source=str(ic["source"]))


def connect_interchange(
    G: nx.MultiDiGraph, a: Any, b: Any, walk_min: float, settings: Settings, *, source: str
) -> None:
    """Join two stations of different lines both ways: the walk, then half the boarded line's headway."""
    for u, v in ((a, b), (b, a)):
        du, dv = G.nodes[u], G.nodes[v]
        wait = dv["headway_min"] * 60 / 2
        G.add_edge(
            u,
            v,
            link_id=f"interchange:{du['place_id']}-{dv['place_id']}",
            name=f"change to {dv.get('line_name', dv.get('name'))}",
            mode="transfer",
            link_class="rail_interchange",
            length=float(np.hypot(*np.subtract(_metric_xy(du), _metric_xy(dv)))),
            speed_kph=settings.walk_speed_kph,
            travel_time=walk_min * 60 + wait,
            wait_s=wait,
            status="operating",
            source=source,
            geometry=LineString([(du["x"], du["y"]), (dv["x"], dv["y"])]),
        )


def _connect_station(G: nx.MultiDiGraph, station: str, junction: str, dist_m: float, settings: Settings) -> None:
    """Join a station to the road network both ways; boarding waits half a headway."""
    data = G.nodes[station]
    wait = data["headway_min"] * 60 / 2
    walk_s = dist_m / (settings.access_speed_kph / 3.6)
    for u, v, t, w in ((junction, station, walk_s + wait, wait), (station, junction, walk_s, 0.0)):
        du, dv = G.nodes[u], G.nodes[v]
        G.add_edge(
            u,
            v,
            link_id=f"station_access:{data['place_id']}",
            mode="transfer",
            link_class="station_access",
            name=f"{data['line_name']} {data['name']} station",
            length=dist_m,
            speed_kph=settings.access_speed_kph,
            travel_time=t,
            wait_s=w,
            attaches="both",
            status="operating",
            source="corridor: station access",
            geometry=LineString([(du["x"], du["y"]), (dv["x"], dv["y"])]),
        )


def _connect(
    G: nx.MultiDiGraph,
    place: str,
    target: str,
    dist_m: float,
    speed_kph: float,
    link_class: str,
    *,
    attaches: str,
    wait_in_s: float,
) -> None:
    """Join a zone, gateway or economic zone to a junction or station, both ways."""
    dp, dt = G.nodes[place], G.nodes[target]
    run_s = dist_m / (speed_kph / 3.6)
    label = "access" if link_class == "gateway_access" else "connector"
    for u, v, t, w in ((place, target, run_s + wait_in_s, wait_in_s), (target, place, run_s, 0.0)):
        du, dv = G.nodes[u], G.nodes[v]
        G.add_edge(
            u,
            v,
            link_id=f"{link_class}:{dp['place_id']}-{dt.get('place_id', target)}",
            mode="access",
            link_class=link_class,
            name=f"{dp['name']} {label}",
            length=dist_m,
            speed_kph=speed_kph,
            travel_time=t,
            wait_s=w,
            attaches=attaches,
            status="operating",
            source="corridor: straight-line connector",
            geometry=LineString([(du["x"], du["y"]), (dv["x"], dv["y"])]),
        )


# --------------------------------------------------------------------------- places


def normalise_name(text: str) -> str:
    """Fold case, accents and punctuation: ``"Biñan City"`` -> ``"binan city"``."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", stripped.lower()).strip()


@dataclass(frozen=True)
class Place:
    """What a user named: one or several graph nodes (a port of several terminals)."""

    id: str
    name: str
    kind: str
    nodes: tuple[Any, ...]
    lat: float
    lon: float
    snapped_m: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"id": self.id, "name": self.name, "kind": self.kind, "lat": self.lat, "lon": self.lon}
        if self.snapped_m is not None:
            out["snapped_m"] = round(self.snapped_m, 1)
        return out


_KIND_ORDER = ("zone", "gateway_group", "gateway", "economic_zone", "station", "junction")
_COORD = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")


class PlaceIndex:
    """Resolve place ids, names and ``lat,lon`` to graph nodes.

    Names are matched without regard to case, accents or punctuation. Where
    several places share a name, zones come first, then gateway groups,
    gateways, economic zones, stations and junctions; stations of the same
    name on two lines form one place.

    Parameters
    ----------
    G
        A network from :func:`build_network` or :mod:`corridor.osm`.
    snap_max_km
        A coordinate farther than this from the nearest node of the mode is
        refused.
    """

    def __init__(self, G: nx.MultiDiGraph, *, snap_max_km: float = 10.0) -> None:
        self.G = G
        self.snap_max_km = snap_max_km
        self._by_id: dict[str, Place] = {}
        self._by_name: dict[str, list[Place]] = {}
        self._trees: dict[str, tuple[cKDTree, list[Any]]] = {}
        named: dict[tuple[str, str], list[Any]] = {}
        for n, d in G.nodes(data=True):
            kind, pid = d.get("kind"), d.get("place_id")
            if kind is None or pid is None:
                continue
            self._by_id.setdefault(str(pid), self._place(str(pid), d.get("name", str(pid)), kind, (n,)))
            if d.get("name"):
                named.setdefault((kind, normalise_name(d["name"])), []).append(n)
        groups: dict[str, list[Any]] = {}
        for n, d in G.nodes(data=True):
            if d.get("kind") == "gateway" and d.get("group"):
                groups.setdefault(d["group"], []).append(n)
        for gid, members in groups.items():
            info = G.graph.get("gateway_groups", {}).get(gid, {"name": gid})
            place = self._place(gid, info["name"], "gateway_group", tuple(members))
            self._by_id[gid] = place
            self._by_name.setdefault(normalise_name(info["name"]), []).append(place)
        for (kind, key), nodes in named.items():
            first = G.nodes[nodes[0]]
            pid = str(first["place_id"]) if len(nodes) == 1 else "+".join(str(G.nodes[n]["place_id"]) for n in nodes)
            self._by_name.setdefault(key, []).append(self._place(pid, first["name"], kind, tuple(nodes)))
        for places in self._by_name.values():
            places.sort(key=lambda p: _KIND_ORDER.index(p.kind) if p.kind in _KIND_ORDER else 99)

    def _place(self, pid: str, name: str, kind: str, nodes: tuple[Any, ...]) -> Place:
        xs = [self.G.nodes[n]["x"] for n in nodes]
        ys = [self.G.nodes[n]["y"] for n in nodes]
        return Place(pid, name, kind, nodes, lat=float(np.mean(ys)), lon=float(np.mean(xs)))

    def names(self) -> Iterator[str]:
        """Every place name of the network (one per place)."""
        for places in self._by_name.values():
            yield places[0].name

    def resolve(self, query: str, *, mode: Mode = "any") -> Place:
        """Return the place a user means.

        Parameters
        ----------
        query
            A place id (``clark_airport``), a name (``"Clark International
            Airport"``, any case and accents) or ``"lat,lon"``.
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
        match = _COORD.match(query)
        if match:
            return self.snap(float(match.group(1)), float(match.group(2)), mode=mode)
        if query in self._by_id:
            return self._by_id[query]
        key = normalise_name(query)
        if key in self._by_name:
            return self._by_name[key][0]
        choices = {normalise_name(n): n for n in self.names()}
        close = difflib.get_close_matches(key, list(choices), n=5, cutoff=0.5)
        contains = [choices[c] for c in choices if key and key in c and choices[c] not in close]
        suggestions = [choices[c] for c in close] + contains[: max(0, 5 - len(close))]
        hint = "; closest: " + ", ".join(repr(s) for s in suggestions) if suggestions else ""
        raise PlaceNotFound(f"unknown place {query!r}: give a place id, a place name or 'lat,lon'{hint}")

    def _tree(self, mode: Mode) -> tuple[cKDTree, list[Any]]:
        if mode not in self._trees:
            wanted = {"road": {"junction"}, "rail": {"station"}, "any": {"junction", "station"}}[mode]
            nodes = [n for n, d in self.G.nodes(data=True) if d.get("kind", "junction") in wanted]
            if not nodes:
                raise PlaceNotFound(f"the network has no {mode} nodes to snap to")
            xs = np.array([self.G.nodes[n]["x"] for n in nodes], dtype=float)
            ys = np.array([self.G.nodes[n]["y"] for n in nodes], dtype=float)
            mx, my = _TO_METRIC.transform(xs, ys)
            self._trees[mode] = (cKDTree(np.column_stack([mx, my])), nodes)
        return self._trees[mode]

    def snap(self, lat: float, lon: float, *, mode: Mode = "any") -> Place:
        """Return the nearest node of ``mode`` to a coordinate, as a place."""
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise OutsideRegionError(
                f"'{lat},{lon}' is not a coordinate: write 'lat,lon' in decimal degrees, "
                "latitude first (e.g. 14.61,120.95)"
            )
        bbox = self.G.graph.get("bbox")
        if bbox is not None:
            lon_min, lat_min, lon_max, lat_max = bbox
            if not (lon_min <= lon <= lon_max and lat_min <= lat <= lat_max):
                raise OutsideRegionError(
                    f"coordinate {lat},{lon} is outside the region {self.G.graph.get('name', '')} "
                    f"(lat {lat_min}..{lat_max}, lon {lon_min}..{lon_max}); is it 'lat,lon'?"
                )
        tree, nodes = self._tree(mode)
        x, y = _TO_METRIC.transform(lon, lat)
        dist, idx = tree.query([x, y])
        if dist > self.snap_max_km * 1000:
            raise OutsideRegionError(
                f"coordinate {lat},{lon} is {dist / 1000:.1f} km from the nearest {mode} node; "
                f"it must be within {self.snap_max_km:g} km"
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


def lonlat_to_metric(geom: Any) -> Any:
    """Project a shapely geometry from EPSG:4326 to EPSG:32651."""

    def project(xy: np.ndarray) -> np.ndarray:
        x, y = _TO_METRIC.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, project)

"""The one edge builder: the attributes and travel time of every kind of edge.

Every edge of a corridor network is made here, whoever adds it (the region
loader, a scenario edit, an OpenStreetMap reader), so one rule gives every
edge of a kind its speed and time, like osmnx's ``add_edge_speeds`` and
``add_edge_travel_times``:

- :func:`road_edge`: speed from the link's own ``speed_kph`` or its class's
  speed in the settings, times the congestion factor of the area the link
  lies in for its class;
- :func:`service_edge`: a rail line or a ferry between two stops, running at
  its speed plus the dwell at the stop;
- :func:`access_edge`: a connector from a zone, gateway or economic zone to
  the network, with the wait for a service where it boards one;
- :func:`transfer_edge`: a walk or short drive between a station and the
  road network or another line, with the wait for the boarded service.

Each returns a dict of attributes with ``length`` (m), ``speed_kph``,
``travel_time`` (s), ``mode``, ``link_class`` and ``geometry`` (EPSG:4326,
from ``u`` to ``v``); :func:`reverse` gives the attributes of the opposite
direction.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, TypeAlias

from shapely.geometry import LineString

from corridor.geo import to_metric
from corridor.settings import Settings

__all__ = [
    "Attrs",
    "EdgeKey",
    "Node",
    "access_edge",
    "boarding_wait_s",
    "reverse",
    "road_edge",
    "road_speed_kph",
    "service_edge",
    "transfer_edge",
    "travel_time_s",
]


#: a node of a network: a place's node id (``"z:manila"``) or a road junction's (an OpenStreetMap node id)
Node: TypeAlias = Hashable
#: an edge of a network (a MultiDiGraph): tail, head and key
EdgeKey: TypeAlias = tuple[Node, Node, int]
#: the attributes of a node or an edge, by name: numbers, text, a geometry, as networkx keeps them
Attrs: TypeAlias = dict[str, Any]


def travel_time_s(length_m: Any, speed_kph: Any, *, dwell_s: Any = 0.0, wait_s: Any = 0.0) -> Any:
    """Seconds to cover ``length_m`` at ``speed_kph``, plus a dwell and a wait (scalars or arrays)."""
    return length_m / (speed_kph / 3.6) + dwell_s + wait_s


def boarding_wait_s(headway_min: float) -> float:
    """The mean wait to board a service: half its headway, in seconds."""
    return float(headway_min) * 60.0 / 2.0


def road_speed_kph(
    link_class: str, settings: Settings, *, speed_kph: float | None = None, area: str | None = None
) -> tuple[float, float, float]:
    """A road link's free-flow speed, congestion factor and speed (km/h).

    The free-flow speed is the link's own ``speed_kph`` when given, else the
    class's speed in ``settings.speeds_kph``; the congestion factor is the
    area's factor for the class (1 outside every congestion area).
    """
    free_flow = float(speed_kph) if speed_kph else settings.speed_kph(link_class)
    factor = settings.congestion_factor(area, link_class) if area else 1.0
    return free_flow, factor, free_flow * factor


def _length(geometry: LineString, length_m: float | None) -> float:
    return float(length_m) if length_m is not None else float(to_metric(geometry).length)


def road_edge(
    geometry: LineString,
    *,
    link_class: str,
    settings: Settings,
    area: str | None = None,
    speed_kph: float | None = None,
    length_m: float | None = None,
    **attrs: Any,
) -> Attrs:
    """The attributes of a road edge.

    Parameters
    ----------
    geometry
        The link's shape in EPSG:4326, from its tail to its head.
    link_class
        Its class (``expressway``, ``trunk``, ... or an OSM ``highway`` value).
    settings
        Class speeds and congestion factors.
    area
        The congestion area it lies in (see
        :func:`corridor.network.build.congestion_area`), or None.
    speed_kph
        Its own free-flow speed, when it has one.
    length_m
        Its length; measured on ``geometry`` in EPSG:32651 when None.
    **attrs
        Other attributes (``link_id``, ``name``, ``lanes``, ``status``,
        ``source``, ...), copied as they are.
    """
    free_flow, factor, speed = road_speed_kph(link_class, settings, speed_kph=speed_kph, area=area)
    length = _length(geometry, length_m)
    return {
        **attrs,
        "mode": "road",
        "link_class": link_class,
        "pt_speed_factor": settings.pt_road_speed_factor,
        "free_flow_speed_kph": free_flow,
        "congestion_factor": factor,
        "congestion_area": area,
        "speed_kph": speed,
        "length": length,
        "travel_time": float(travel_time_s(length, speed)),
        "geometry": geometry,
    }


def service_edge(
    geometry: LineString,
    *,
    mode: str,
    link_class: str,
    line_id: str,
    speed_kph: float,
    dwell_s: float,
    headway_min: float,
    length_m: float | None = None,
    **attrs: Any,
) -> Attrs:
    """The attributes of a rail or ferry link between two stops: running time plus the dwell."""
    length = _length(geometry, length_m)
    return {
        **attrs,
        "mode": mode,
        "link_class": link_class,
        "line_id": line_id,
        "speed_kph": float(speed_kph),
        "length": length,
        "travel_time": float(travel_time_s(length, float(speed_kph), dwell_s=float(dwell_s))),
        "dwell_s": float(dwell_s),
        "headway_min": float(headway_min),
        "geometry": geometry,
    }


def access_edge(
    geometry: LineString,
    *,
    link_class: str,
    attaches: str,
    speed_kph: float,
    wait_s: float = 0.0,
    length_m: float | None = None,
    **attrs: Any,
) -> Attrs:
    """The attributes of a connector between a place and the road (or rail) network.

    ``wait_s`` is the wait for the service boarded at the far end (0 by road).
    """
    length = _length(geometry, length_m)
    return {
        **attrs,
        "mode": "access",
        "link_class": link_class,
        "attaches": attaches,
        "speed_kph": float(speed_kph),
        "length": length,
        "travel_time": float(travel_time_s(length, float(speed_kph), wait_s=wait_s)),
        "wait_s": float(wait_s),
        "geometry": geometry,
    }


def transfer_edge(
    geometry: LineString,
    *,
    link_class: str,
    speed_kph: float,
    wait_s: float = 0.0,
    walk_s: float | None = None,
    length_m: float | None = None,
    **attrs: Any,
) -> Attrs:
    """The attributes of a change between a station and the roads or another line.

    The time is the walk (``walk_s`` when published, else the length at
    ``speed_kph``) plus ``wait_s`` for the boarded service.
    """
    length = _length(geometry, length_m)
    moving = float(walk_s) if walk_s is not None else float(travel_time_s(length, float(speed_kph)))
    return {
        **attrs,
        "mode": "transfer",
        "link_class": link_class,
        "speed_kph": float(speed_kph),
        "length": length,
        "travel_time": moving + float(wait_s),
        "wait_s": float(wait_s),
        "geometry": geometry,
    }


def reverse(attrs: Attrs) -> Attrs:
    """The attributes of the same link in the opposite direction (geometry reversed)."""
    geometry = attrs["geometry"]
    return {**attrs, "geometry": LineString(list(geometry.coords)[::-1]), "reversed": True}

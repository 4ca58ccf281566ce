"""The layers of the base network, one function each: roads by class, rail by line, zones, gateways,
economic zones, and the whole network faded under a portfolio's changes.

Every symbol has a dark outline so it shows on a light or missing basemap.
Large road networks are drawn at corridor scale: the major classes, merged
and simplified (:func:`road_layers`).
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import networkx as nx
import shapely

from corridor.geo import DISPLAY_CRS, METRIC_CRS
from corridor.inputs.region import Region
from corridor.present.elements import (
    OUTLINE,
    Layer,
    dot_symbol,
    feature_group,
    latlon,
    line_symbol,
    lines_of,
    popup,
    safe_text,
)

__all__ = [
    "EZ_COLOUR",
    "FADED_ROAD_STYLE",
    "GATEWAY_STYLE",
    "LAYER_NAMES",
    "MAX_LINKS_IN_FULL",
    "MAX_LINKS_SIMPLIFIED",
    "PALETTE",
    "ROAD_STYLE",
    "ZONE_COLOUR",
    "economic_zone_layer",
    "faded_base_layers",
    "forward_edges",
    "gateway_layer",
    "inactive_rail_layers",
    "rail_layers",
    "road_layers",
    "zone_layer",
]

#: Colour and line weight of each road class, widest first.
ROAD_STYLE: dict[str, tuple[str, int]] = {
    "expressway": ("#c0392b", 5),
    "motorway": ("#c0392b", 5),
    "trunk": ("#e67e22", 4),
    "primary": ("#f1c40f", 3),
    "secondary": ("#7f8c8d", 2),
    "tertiary": ("#95a5a6", 2),
}
#: the faded road classes under a portfolio's changes: grey, widest first
FADED_ROAD_STYLE: dict[str, tuple[str, float]] = {
    "expressway": ("#6b6b6b", 3.5),
    "motorway": ("#6b6b6b", 3.5),
    "trunk": ("#858585", 2.5),
    "primary": ("#9a9a9a", 2.0),
    "secondary": ("#adadad", 1.5),
    "tertiary": ("#b8b8b8", 1.2),
}
GATEWAY_STYLE = {
    "seaport": ("ship", "darkblue"),
    "airport": ("plane", "cadetblue"),
    "dry_port": ("truck", "gray"),
}
ZONE_COLOUR = "#2c7fb8"
#: colours for lines a project adds (the region's own lines have theirs)
PALETTE = ["#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#ff7f0e", "#1f77b4"]
EZ_COLOUR = "purple"
#: above this many road links a network is drawn merged and simplified, by class
MAX_LINKS_IN_FULL = 3_000
#: at most this many road links of the major classes are drawn, merged and simplified
MAX_LINKS_SIMPLIFIED = 60_000
LAYER_NAMES = {
    "zones": "Zones (2020 population)",
    "gateways": "Gateways (ports, airports)",
    "economic_zones": "Economic zones",
    "no_shading": "Zones: no shading",
}


def _speed_text(d: dict[str, Any]) -> str:
    """A road link's speed, with its free-flow speed and congestion factor when congested."""
    text = f"{d['speed_kph']:.0f} km/h"
    factor = d.get("congestion_factor", 1.0)
    if factor != 1.0:
        text += f" (free flow {d['free_flow_speed_kph']:.0f}, congestion ×{factor:.2f})"
    return text


def _int_text(value: Any) -> str | None:
    """A count with thousands separators; None for a missing one (the popup leaves it out)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return f"{int(value):,}"


def forward_edges(G: nx.MultiDiGraph, mode: str) -> list[tuple[Any, Any, dict[str, Any]]]:
    """One direction of each link of a mode (a two-way road stored as two arcs is drawn once)."""
    out = []
    seen: set[tuple[Any, Any, Any]] = set()
    for u, v, d in G.edges(data=True):
        if d.get("mode") != mode or d.get("reversed"):
            continue
        key = (v, u, d.get("link_class"))
        if key in seen:
            continue
        seen.add((u, v, d.get("link_class")))
        out.append((u, v, d))
    return out


def road_layers(
    G: nx.MultiDiGraph,
    *,
    faded: bool = False,
    max_links: int = MAX_LINKS_IN_FULL,
    max_simplified_links: int = MAX_LINKS_SIMPLIFIED,
) -> list[Layer]:
    """Roads, one layer per class, widest classes first.

    Up to ``max_links`` links are drawn one by one, each with its popup
    (``faded``: a tooltip only, in grey, under a portfolio's changes).
    Beyond, the network is drawn at corridor scale: the major classes, up to
    ``max_simplified_links`` links, each class merged into one line and
    simplified to a tolerance of about a two-thousandth of the network's
    extent; the minor classes left out are named in the legend.
    """
    roads: dict[str, list[tuple[Any, Any, dict[str, Any]]]] = {}
    for u, v, d in forward_edges(G, "road"):
        roads.setdefault(str(d.get("link_class", "road")), []).append((u, v, d))
    order = list(ROAD_STYLE)
    classes = sorted(roads, key=lambda c: (order.index(c) if c in order else 99, c))
    if sum(len(v) for v in roads.values()) > max_links:
        return _simplified_road_layers(roads, classes, faded=faded, max_links=max_simplified_links)
    import folium

    layers = []
    for link_class in classes:
        colour, weight = _road_style(link_class, faded=faded)
        group = feature_group(f"Roads: {link_class}")
        for _, _, d in roads[link_class]:
            line = folium.PolyLine(
                latlon(d["geometry"].coords),
                color=colour,
                weight=weight,
                opacity=0.8 if faded else 0.85,
                tooltip=safe_text(d.get("name", "")),
                popup=None
                if faded
                else popup(
                    str(d.get("name", "")),
                    [
                        ("link", d.get("link_id")),
                        ("class", link_class),
                        ("lanes", d.get("lanes")),
                        ("speed", _speed_text(d)),
                        ("length", f"{d['length'] / 1000:.1f} km"),
                        ("status", d.get("status")),
                        ("source", d.get("source")),
                    ],
                ),
            )
            line.add_to(group)
        layers.append(Layer(group, [(line_symbol(colour, weight), f"Road: {link_class}")]))
    return layers


def _road_style(link_class: str, *, faded: bool) -> tuple[str, float]:
    """The colour and weight of a road class, in full or faded."""
    if faded:
        return FADED_ROAD_STYLE.get(link_class, ("#c4c4c4", 1.0))
    colour, weight = ROAD_STYLE.get(link_class, ("#9e9e9e", 1.5))
    return colour, float(weight)


def _simplified_road_layers(
    roads: dict[str, list[tuple[Any, Any, dict[str, Any]]]],
    classes: list[str],
    *,
    faded: bool,
    max_links: int,
) -> list[Layer]:
    """The major road classes, each merged into one line and simplified; a legend row names the classes left out."""
    import folium

    kept: list[str] = []
    total = 0
    for link_class in classes:
        if kept and total + len(roads[link_class]) > max_links:
            break
        kept.append(link_class)
        total += len(roads[link_class])
    left_out = [c for c in classes if c not in kept]
    lines = {c: [d["geometry"] for _, _, d in roads[c]] for c in kept}
    every = gpd.GeoSeries([g for c in kept for g in lines[c]], crs=DISPLAY_CRS).to_crs(METRIC_CRS)
    x0, y0, x1, y1 = every.total_bounds
    tolerance_m = max(math.hypot(x1 - x0, y1 - y0) / 2000.0, 5.0)
    layers = []
    start = 0
    for link_class in kept:
        n = len(lines[link_class])
        merged = shapely.line_merge(shapely.union_all(every.iloc[start : start + n].to_numpy()))
        start += n
        simple = gpd.GeoSeries([merged.simplify(tolerance_m)], crs=METRIC_CRS).to_crs(DISPLAY_CRS).iloc[0]
        colour, weight = _road_style(link_class, faded=faded)
        group = feature_group(f"Roads: {link_class}")
        parts = lines_of(simple)
        if parts:
            folium.PolyLine(
                parts, color=colour, weight=weight, opacity=0.8, tooltip=safe_text(f"{link_class} ({n:,} links)")
            ).add_to(group)
        label = f"Road: {link_class} ({n:,} links, simplified at {tolerance_m:,.0f} m)"
        layers.append(Layer(group, [(line_symbol(colour, weight), label)]))
    if left_out:
        count = sum(len(roads[c]) for c in left_out)
        note = f"Not drawn at this scale: {count:,} links of {', '.join(left_out)}"
        layers.append(Layer(None, [("", note)]))
    return layers


def rail_layers(G: nx.MultiDiGraph, region: Region | None = None, *, faded: bool = False) -> list[Layer]:
    """Rail lines, one layer per line with its stations; lines a project adds get colours of their own.

    ``faded``: lighter lines with tooltips only, under a portfolio's changes.
    """
    rails: dict[str, list[tuple[Any, Any, dict[str, Any]]]] = {}
    for u, v, d in forward_edges(G, "rail"):
        rails.setdefault(str(d.get("line_id", d.get("name", "rail"))), []).append((u, v, d))
    names, colours = _rail_names_and_colours(rails, region)
    opacity = 0.45 if faded else 0.9
    weight = 3 if faded else 4
    layers = []
    for line_id in sorted(rails):
        links = rails[line_id]
        name = names.get(line_id, str(links[0][2].get("name", line_id)))
        colour = colours[line_id]
        group = feature_group(f"Rail: {name}")
        for _, _, d in links:
            _rail_link(d, name, colour, weight=weight, opacity=opacity, faded=faded).add_to(group)
        for s in sorted({node for u, v, _ in links for node in (u, v)}, key=str):
            _station(G.nodes[s], name, opacity=opacity, faded=faded).add_to(group)
        layers.append(Layer(group, [(line_symbol(colour, weight, opacity=opacity), f"Rail: {name}")]))
    return layers


def _rail_names_and_colours(
    rails: dict[str, list[tuple[Any, Any, dict[str, Any]]]], region: Region | None
) -> tuple[dict[str, str], dict[str, str]]:
    """Each rail line's name and colour: the region's, and for lines a project adds, colours of the palette."""
    names: dict[str, str] = {}
    colours: dict[str, str] = {}
    if region is not None:
        names = {str(k): str(v) for k, v in region.rail_lines["name"].items()}
        colours = {str(k): str(v) for k, v in region.rail_lines["color"].items() if v}
    new_lines = sorted(k for k in rails if k not in colours)
    for i, line_id in enumerate(new_lines):
        colours[line_id] = PALETTE[i % len(PALETTE)]
    return names, colours


def _rail_link(d: dict[str, Any], name: str, colour: str, *, weight: float, opacity: float, faded: bool) -> Any:
    """A rail link of a line, with its popup unless ``faded``."""
    import folium

    rows = [
        ("link", d.get("link_id")),
        ("class", d.get("link_class")),
        ("speed", f"{d['speed_kph']:.0f} km/h"),
        ("headway", f"{d.get('headway_min', 0):g} min"),
        ("status", d.get("status")),
        ("source", d.get("source")),
    ]
    return folium.PolyLine(
        latlon(d["geometry"].coords),
        color=colour,
        weight=weight,
        opacity=opacity,
        tooltip=safe_text(name),
        popup=None if faded else popup(name, rows),
    )


def _station(sd: dict[str, Any], name: str, *, opacity: float, faded: bool) -> Any:
    """A station of a line: a white dot with a dark outline, with its popup unless ``faded``."""
    import folium

    return folium.CircleMarker(
        (sd["y"], sd["x"]),
        radius=2.5 if faded else 3.5,
        color=OUTLINE,
        weight=1 if faded else 1.5,
        opacity=opacity,
        fill=True,
        fill_color="white",
        fill_opacity=1,
        tooltip=safe_text(f"{sd.get('name')} ({name})"),
        popup=None if faded else popup(f"{sd.get('name')} station", [("line", name), ("source", sd.get("source"))]),
    )


def inactive_rail_layers(region: Region) -> list[Layer]:
    """The region's rail lines that do not run in the base year, dashed and hidden at first."""
    import folium

    stations = region.rail_stations.to_crs(DISPLAY_CRS)
    layers = []
    for line_id, line in region.rail_lines.iterrows():
        if line.status == "operating":
            continue
        on_line = stations[stations.line_id == line_id].sort_values("seq")
        if len(on_line) < 2:
            continue
        name = f"{line['name']} ({str(line.status).replace('_', ' ')})"
        colour = line.color or "#333333"
        group = feature_group(f"Rail: {name}", show=False)
        folium.PolyLine(
            [(p.y, p.x) for p in on_line.geometry],
            color=colour,
            weight=3,
            opacity=0.7,
            dash_array="6 6",
            tooltip=safe_text(name),
            popup=popup(name, [("status", line.status), ("source", line.source)]),
        ).add_to(group)
        layers.append(Layer(group, [(line_symbol(colour, 3, dashed=True), f"Rail: {name}, not in the base network")]))
    return layers


def zone_layer(G: nx.MultiDiGraph) -> Layer | None:
    """Zones as circles sized by population."""
    import folium

    zones = [d for _, d in G.nodes(data=True) if d.get("kind") == "zone"]
    if not zones:
        return None
    group = feature_group(LAYER_NAMES["zones"])
    for d in sorted(zones, key=lambda z: (-(z.get("population_2020") or 0), str(z.get("place_id")))):
        pop = d.get("population_2020") or 0
        folium.CircleMarker(
            (d["y"], d["x"]),
            radius=max(3.0, math.sqrt(pop) / 80),
            color="#1f4e79",
            weight=1,
            fill=True,
            fill_color=ZONE_COLOUR,
            fill_opacity=0.4,
            tooltip=safe_text(f"{d['name']}: {pop:,} people"),
            popup=popup(
                str(d["name"]),
                [
                    ("zone", d.get("place_id")),
                    ("population 2020", _int_text(pop)),
                    ("province", d.get("province")),
                    ("region", d.get("region")),
                    ("source", d.get("source")),
                ],
            ),
        ).add_to(group)
    return Layer(group, [(dot_symbol(ZONE_COLOUR, border="#1f4e79", opacity=0.7), "Zone, sized by 2020 population")])


def gateway_layer(G: nx.MultiDiGraph, *, show: bool = True) -> Layer | None:
    """Ports and airports, with capacity and handling time."""
    import folium

    gateways = [d for _, d in G.nodes(data=True) if d.get("kind") == "gateway"]
    if not gateways:
        return None
    group = feature_group(LAYER_NAMES["gateways"], show=show)
    for d in gateways:
        icon, colour = GATEWAY_STYLE.get(d.get("gateway_type", ""), ("circle", "gray"))
        capacity = d.get("capacity")
        folium.Marker(
            (d["y"], d["x"]),
            icon=folium.Icon(icon=icon, prefix="fa", color=colour),
            tooltip=safe_text(d["name"]),
            popup=popup(
                str(d["name"]),
                [
                    ("gateway", d.get("place_id")),
                    ("type", d.get("gateway_type")),
                    (
                        "capacity",
                        f"{capacity:,.0f} {d.get('capacity_unit') or ''}".strip()
                        if capacity is not None
                        else "not published",
                    ),
                    ("handling", f"{d.get('handling_h'):g} h" if d.get("handling_h") is not None else None),
                    ("code", d.get("code")),
                    ("source", d.get("source")),
                ],
            ),
        ).add_to(group)
    legend = [
        (f"<i class='fa fa-{icon}' style='color:{colour}'></i>", gtype.replace("_", " ").capitalize())
        for gtype, (icon, colour) in GATEWAY_STYLE.items()
        if any(d.get("gateway_type") == gtype for d in gateways)
    ]
    return Layer(group, legend)


def economic_zone_layer(G: nx.MultiDiGraph, *, show: bool = True) -> Layer | None:
    """Economic zones, with their published jobs and area."""
    import folium

    ezs = [d for _, d in G.nodes(data=True) if d.get("kind") == "economic_zone"]
    if not ezs:
        return None
    group = feature_group(LAYER_NAMES["economic_zones"], show=show)
    for d in ezs:
        folium.Marker(
            (d["y"], d["x"]),
            icon=folium.Icon(icon="industry", prefix="fa", color=EZ_COLOUR),
            tooltip=safe_text(d["name"]),
            popup=popup(
                str(d["name"]),
                [
                    ("economic zone", d.get("place_id")),
                    ("jobs", _int_text(d.get("jobs")) or "not published"),
                    ("area", f"{d['area_ha']:,.0f} ha" if d.get("area_ha") else None),
                    ("source", d.get("source")),
                ],
            ),
        ).add_to(group)
    return Layer(group, [(f"<i class='fa fa-industry' style='color:{EZ_COLOUR}'></i>", "Economic zone")])


def faded_base_layers(G: nx.MultiDiGraph, region: Region | None = None) -> list[Layer]:
    """The base network in grey, under a portfolio's changes: one legend row for all of it."""
    drawn = [*road_layers(G, faded=True), *rail_layers(G, region, faded=True)]
    colour, weight = FADED_ROAD_STYLE["trunk"]
    year = region.base_year if region is not None else G.graph.get("base_year", "")
    rows = [(line_symbol(colour, weight), " ".join(f"Base network {year} (faded): roads by class, rail".split()))]
    rows += [row for layer in drawn if layer.group is None for row in layer.legend]  # what the scale left out
    return [*(Layer(layer.group) for layer in drawn if layer.group is not None), Layer(None, rows)]

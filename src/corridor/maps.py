"""Interactive Folium maps of a network and its region, built from layer functions.

Maps only draw what they are given; they compute no metric. This is the one
module that works in EPSG:4326 for display: graph nodes and edge geometries
are already lon/lat, and region layers are converted here.

A map is a base (:func:`new_map`), some :class:`Layer` objects (each a
switchable group of the layer control with its legend rows) and a finish
(:func:`finish_map`: layer control, legend, title, attributions).
:func:`base_map` composes the layers of the base network; other maps reuse
the same layer functions.

Every piece of user text (names, sources, ids) goes through :func:`safe_text`
before it reaches a popup, tooltip, layer name or legend: HTML-escaped, and
with the characters that would end or interpolate a JavaScript template
literal (`````, ``$``, ``\\``) written as HTML entities, so it shows as text
and never runs.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
from branca.element import MacroElement
from jinja2 import Template

from corridor._io import atomic_path
from corridor.geo import DISPLAY_CRS
from corridor.region import Region

__all__ = [
    "LAYER_NAMES",
    "ROAD_STYLE",
    "Layer",
    "base_map",
    "economic_zone_layer",
    "finish_map",
    "gateway_layer",
    "inactive_rail_layers",
    "new_map",
    "rail_layers",
    "road_layers",
    "safe_text",
    "save_map",
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
GATEWAY_STYLE = {
    "seaport": ("ship", "darkblue"),
    "airport": ("plane", "cadetblue"),
    "dry_port": ("truck", "gray"),
}
ZONE_COLOUR = "#2c7fb8"
#: colours for lines a project adds (the region's own lines have theirs)
PALETTE = ["#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#ff7f0e", "#1f77b4"]
EZ_COLOUR = "purple"

LAYER_NAMES = {
    "zones": "Zones (2020 population)",
    "gateways": "Gateways (ports, airports)",
    "economic_zones": "Economic zones",
}


def safe_text(value: Any) -> str:
    """User text made safe for HTML and for a JavaScript template literal (Folium's popups and tooltips)."""
    text = html.escape(str(value), quote=True)
    return text.replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


class Legend(MacroElement):
    """A fixed box at the lower left listing each symbol of the map."""

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        <div id="corridor-legend" role="region" aria-label="{{ this.title|e }}"
             style="position:fixed;bottom:64px;left:10px;z-index:1000;background:rgba(255,255,255,.94);
                    padding:8px 10px;border:1px solid #888;border-radius:4px;font:12px/1.5 sans-serif;
                    max-height:55vh;overflow:auto;">
          <b>{{ this.title|e }}</b><br>
          {% for symbol, label in this.rows %}{{ symbol }}&nbsp;{{ label|e }}<br>{% endfor %}
        </div>
        {% endmacro %}
        """
    )

    def __init__(self, rows: list[tuple[str, str]], *, title: str = "Legend") -> None:
        super().__init__()
        self._name = "Legend"
        self.rows = rows  # symbols are markup built here from validated colours; labels are escaped
        self.title = title


class Title(MacroElement):
    """The map's title, centred at the top."""

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        <div id="corridor-title" style="position:fixed;top:10px;left:50%;transform:translateX(-50%);
             z-index:1000;background:rgba(255,255,255,.9);padding:4px 12px;border-radius:4px;
             font:bold 14px sans-serif;">{{ this.text|e }}</div>
        {% endmacro %}
        """
    )

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Title"
        self.text = text


class Attribution(MacroElement):
    """Adds the data sources to the map's attribution control."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {% for credit in this.credits %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ credit|tojson }});
        {% endfor %}
        {% endmacro %}
        """
    )

    def __init__(self, credits: list[str]) -> None:
        super().__init__()
        self._name = "Attribution"
        self.credits = [html.escape(c) for c in credits]


@dataclass
class Layer:
    """A switchable group of the map and the legend rows that explain it.

    Attributes
    ----------
    group
        A ``folium.FeatureGroup`` (its name is already safe text).
    legend
        (symbol markup, label) rows; labels are escaped when drawn.
    """

    group: Any
    legend: list[tuple[str, str]] = field(default_factory=list)


def popup(title: str, rows: list[tuple[str, Any]]) -> Any:
    """A popup: a bold title and a table of (label, value) rows; empty values left out."""
    import folium

    cells = "".join(
        f"<tr><th style='text-align:left;padding-right:6px'>{safe_text(k)}</th><td>{safe_text(v)}</td></tr>"
        for k, v in rows
        if v is not None and v != ""
    )
    return folium.Popup(f"<b>{safe_text(title)}</b><table style='font-size:12px'>{cells}</table>", max_width=360)


def _group(name: str, *, show: bool = True) -> Any:
    import folium

    return folium.FeatureGroup(name=safe_text(name), show=show)


def _line_symbol(colour: str, weight: int, *, dashed: bool = False) -> str:
    if dashed:
        return (
            f"<span style='display:inline-block;width:22px;border-top:{weight}px dashed {colour};"
            "vertical-align:middle'></span>"
        )
    return (
        f"<span style='display:inline-block;width:22px;height:{weight}px;"
        f"background:{colour};vertical-align:middle'></span>"
    )


def _speed_text(d: dict[str, Any]) -> str:
    text = f"{d['speed_kph']:.0f} km/h"
    factor = d.get("congestion_factor", 1.0)
    if factor != 1.0:
        text += f" (free flow {d['free_flow_speed_kph']:.0f}, congestion ×{factor:.2f})"
    return text


def _fmt_int(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return f"{int(value):,}"


def _forward_edges(G: nx.MultiDiGraph, mode: str) -> list[tuple[Any, Any, dict[str, Any]]]:
    """One direction of each link of a mode."""
    return [(u, v, d) for u, v, d in G.edges(data=True) if d.get("mode") == mode and not d.get("reversed")]


def new_map(G: nx.MultiDiGraph) -> Any:
    """An empty map framed on the network, with the OpenStreetMap basemap."""
    import folium

    xs = [d["x"] for _, d in G.nodes(data=True)]
    ys = [d["y"] for _, d in G.nodes(data=True)]
    fmap = folium.Map(tiles=None, control_scale=True, prefer_canvas=True)
    # Glyphicons (Bootstrap 3) and the rotate stylesheet are not used by these maps.
    fmap.default_css = [c for c in fmap.default_css if c[0] not in {"glyphicons_css", "awesome_rotate_css"}]
    folium.TileLayer("OpenStreetMap", name="Base map (OpenStreetMap)", control=False).add_to(fmap)
    if xs:
        fmap.fit_bounds([[min(ys), min(xs)], [max(ys), max(xs)]])
    return fmap


def road_layers(G: nx.MultiDiGraph) -> list[Layer]:
    """Roads, one layer per class, one line per link, widest classes first."""
    import folium

    roads: dict[str, list[dict[str, Any]]] = {}
    for _, _, d in _forward_edges(G, "road"):
        roads.setdefault(str(d.get("link_class", "road")), []).append(d)
    order = list(ROAD_STYLE)
    layers = []
    for link_class in sorted(roads, key=lambda c: order.index(c) if c in order else 99):
        colour, weight = ROAD_STYLE.get(link_class, ("#555555", 2))
        group = _group(f"Roads: {link_class}")
        for d in roads[link_class]:
            folium.PolyLine(
                [(lat, lon) for lon, lat in d["geometry"].coords],
                color=colour,
                weight=weight,
                opacity=0.85,
                tooltip=safe_text(d.get("name", "")),
                popup=popup(
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
            ).add_to(group)
        layers.append(Layer(group, [(_line_symbol(colour, weight), f"Road: {link_class}")]))
    return layers


def rail_layers(G: nx.MultiDiGraph, region: Region | None = None) -> list[Layer]:
    """Rail lines, one layer per line with its stations; lines a project adds get colours of their own."""
    import folium

    rails: dict[str, list[tuple[Any, Any, dict[str, Any]]]] = {}
    for u, v, d in _forward_edges(G, "rail"):
        rails.setdefault(str(d.get("line_id", d.get("name", "rail"))), []).append((u, v, d))
    names: dict[str, str] = {}
    colours: dict[str, str] = {}
    if region is not None:
        names = {str(k): str(v) for k, v in region.rail_lines["name"].items()}
        colours = {str(k): str(v) for k, v in region.rail_lines["color"].items() if v}
    new_lines = sorted(k for k in rails if k not in colours)
    for i, line_id in enumerate(new_lines):
        colours[line_id] = PALETTE[i % len(PALETTE)]
    layers = []
    for line_id in sorted(rails):
        links = rails[line_id]
        name = names.get(line_id, str(links[0][2].get("name", line_id)))
        colour = colours[line_id]
        group = _group(f"Rail: {name}")
        stations: set[Any] = set()
        for u, v, d in links:
            stations.update((u, v))
            folium.PolyLine(
                [(lat, lon) for lon, lat in d["geometry"].coords],
                color=colour,
                weight=4,
                opacity=0.9,
                tooltip=safe_text(name),
                popup=popup(
                    name,
                    [
                        ("link", d.get("link_id")),
                        ("class", d.get("link_class")),
                        ("speed", f"{d['speed_kph']:.0f} km/h"),
                        ("headway", f"{d.get('headway_min', 0):g} min"),
                        ("status", d.get("status")),
                        ("source", d.get("source")),
                    ],
                ),
            ).add_to(group)
        for s in sorted(stations, key=str):
            sd = G.nodes[s]
            folium.CircleMarker(
                (sd["y"], sd["x"]),
                radius=3,
                color=colour,
                fill=True,
                fill_color="white",
                fill_opacity=1,
                tooltip=safe_text(f"{sd.get('name')} ({name})"),
                popup=popup(f"{sd.get('name')} station", [("line", name), ("source", sd.get("source"))]),
            ).add_to(group)
        layers.append(Layer(group, [(_line_symbol(colour, 4), f"Rail: {name}")]))
    return layers


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
        group = _group(f"Rail: {name}", show=False)
        folium.PolyLine(
            [(p.y, p.x) for p in on_line.geometry],
            color=colour,
            weight=3,
            opacity=0.7,
            dash_array="6 6",
            tooltip=safe_text(name),
            popup=popup(name, [("status", line.status), ("source", line.source)]),
        ).add_to(group)
        layers.append(Layer(group, [(_line_symbol(colour, 3, dashed=True), f"Rail: {name}, not in the base network")]))
    return layers


def zone_layer(G: nx.MultiDiGraph) -> Layer | None:
    """Zones as circles sized by population."""
    import folium

    zones = [d for _, d in G.nodes(data=True) if d.get("kind") == "zone"]
    if not zones:
        return None
    group = _group(LAYER_NAMES["zones"])
    for d in sorted(zones, key=lambda z: -(z.get("population_2020") or 0)):
        pop = d.get("population_2020") or 0
        folium.CircleMarker(
            (d["y"], d["x"]),
            radius=max(3.0, math.sqrt(pop) / 80),
            color=ZONE_COLOUR,
            weight=1,
            fill=True,
            fill_color=ZONE_COLOUR,
            fill_opacity=0.35,
            tooltip=safe_text(f"{d['name']}: {pop:,} people"),
            popup=popup(
                str(d["name"]),
                [
                    ("zone", d.get("place_id")),
                    ("population 2020", _fmt_int(pop)),
                    ("province", d.get("province")),
                    ("region", d.get("region")),
                    ("source", d.get("source")),
                ],
            ),
        ).add_to(group)
    symbol = (
        f"<span style='display:inline-block;width:12px;height:12px;border-radius:6px;"
        f"background:{ZONE_COLOUR};opacity:.6;vertical-align:middle'></span>"
    )
    return Layer(group, [(symbol, "Zone, sized by 2020 population")])


def gateway_layer(G: nx.MultiDiGraph) -> Layer | None:
    """Ports and airports, with capacity and handling time."""
    import folium

    gateways = [d for _, d in G.nodes(data=True) if d.get("kind") == "gateway"]
    if not gateways:
        return None
    group = _group(LAYER_NAMES["gateways"])
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


def economic_zone_layer(G: nx.MultiDiGraph) -> Layer | None:
    """Economic zones, with their published jobs and area."""
    import folium

    ezs = [d for _, d in G.nodes(data=True) if d.get("kind") == "economic_zone"]
    if not ezs:
        return None
    group = _group(LAYER_NAMES["economic_zones"])
    for d in ezs:
        folium.Marker(
            (d["y"], d["x"]),
            icon=folium.Icon(icon="industry", prefix="fa", color=EZ_COLOUR),
            tooltip=safe_text(d["name"]),
            popup=popup(
                str(d["name"]),
                [
                    ("economic zone", d.get("place_id")),
                    ("jobs", _fmt_int(d.get("jobs")) or "not published"),
                    ("area", f"{d['area_ha']:,.0f} ha" if d.get("area_ha") else None),
                    ("source", d.get("source")),
                ],
            ),
        ).add_to(group)
    return Layer(group, [(f"<i class='fa fa-industry' style='color:{EZ_COLOUR}'></i>", "Economic zone")])


def credits_of(G: nx.MultiDiGraph, region: Region | None) -> list[str]:
    """The data attributions a map of this network must carry."""
    credits = list(region.attribution) if region else []
    if G.graph.get("attribution"):
        credits.append(str(G.graph["attribution"]))
    return credits


def finish_map(fmap: Any, layers: list[Layer], *, title: str, credits: list[str]) -> Any:
    """Add the layers, the layer control, the legend, the title and the attributions to a map."""
    import folium

    legend: list[tuple[str, str]] = []
    for layer in layers:
        layer.group.add_to(fmap)
        legend += layer.legend
    folium.LayerControl(collapsed=False).add_to(fmap)
    Legend(legend, title="Legend").add_to(fmap)
    Title(title).add_to(fmap)
    if credits:
        Attribution(credits).add_to(fmap)
    return fmap


def base_map(G: nx.MultiDiGraph, region: Region | None = None, *, title: str | None = None) -> Any:
    """Draw the base network: zones, gateways, economic zones, roads by class, rail by line.

    Parameters
    ----------
    G
        A network from :func:`corridor.build_network` (or a scenario's).
    region
        Its region, for the attribution and the lines that do not operate
        in the base year (drawn dashed); optional.
    title
        Shown at the top of the map.

    Returns
    -------
    folium.Map
        Each group is a layer of the layer control; a legend explains the
        symbols; popups give name, class, speed and source, escaped.
    """
    layers = [*road_layers(G), *rail_layers(G, region)]
    if region is not None:
        layers += inactive_rail_layers(region)
    layers += [layer for layer in (zone_layer(G), gateway_layer(G), economic_zone_layer(G)) if layer is not None]
    heading = title or (f"{region.title}: base network {region.base_year}" if region else "corridor network")
    return finish_map(new_map(G), layers, title=heading, credits=credits_of(G, region))


def save_map(fmap: Any, path: str | Path) -> Path:
    """Write a map as one HTML file, atomically; return its path."""
    target = Path(path)
    with atomic_path(target) as tmp:
        fmap.save(str(tmp))
    return target

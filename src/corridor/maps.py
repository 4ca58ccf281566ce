"""Interactive Folium maps of a network and its region.

Maps only draw what they are given; they compute no metric. This is the one
module that works in EPSG:4326 for display: graph nodes and edge geometries
are already lon/lat, and region layers are converted here.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

import networkx as nx
from branca.element import MacroElement
from jinja2 import Template

from corridor._io import atomic_path
from corridor.region import DISPLAY_CRS, Region

__all__ = ["base_map", "save_map", "ROAD_STYLE", "LAYER_NAMES"]

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
_PALETTE = ["#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#ff7f0e", "#1f77b4"]
EZ_COLOUR = "purple"

LAYER_NAMES = {
    "zones": "Zones (2020 population)",
    "gateways": "Gateways (ports, airports)",
    "economic_zones": "Economic zones",
}


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
        self.rows = rows  # symbols are markup built here; labels are escaped
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


def _popup(title: str, rows: list[tuple[str, Any]]) -> Any:
    import folium

    cells = "".join(
        f"<tr><th style='text-align:left;padding-right:6px'>{html.escape(str(k))}</th>"
        f"<td>{html.escape(str(v))}</td></tr>"
        for k, v in rows
        if v is not None and v != ""
    )
    body = f"<b>{html.escape(title)}</b><table style='font-size:12px'>{cells}</table>"
    return folium.Popup(body, max_width=360)


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


def base_map(G: nx.MultiDiGraph, region: Region | None = None, *, title: str | None = None) -> Any:
    """Draw the base network: zones, gateways, economic zones, roads by class, rail by line.

    Parameters
    ----------
    G
        A network from :func:`corridor.build_network`.
    region
        Its region, for the attribution and the lines that do not operate
        in the base year (drawn dashed); optional.
    title
        Shown at the top of the map.

    Returns
    -------
    folium.Map
        Each group is a layer of the layer control; a legend explains the
        symbols; popups give name, class, speed and source, HTML-escaped.
    """
    import folium

    xs = [d["x"] for _, d in G.nodes(data=True)]
    ys = [d["y"] for _, d in G.nodes(data=True)]
    fmap = folium.Map(tiles=None, control_scale=True, prefer_canvas=True)
    # Glyphicons (Bootstrap 3) and the rotate stylesheet are not used by these maps.
    fmap.default_css = [c for c in fmap.default_css if c[0] not in {"glyphicons_css", "awesome_rotate_css"}]
    folium.TileLayer("OpenStreetMap", name="Base map (OpenStreetMap)", control=False).add_to(fmap)
    fmap.fit_bounds([[min(ys), min(xs)], [max(ys), max(xs)]])

    legend_rows: list[tuple[str, str]] = []

    # roads, one layer per class, one line per link (its forward direction)
    roads: dict[str, list[tuple[Any, Any, dict[str, Any]]]] = {}
    rails: dict[str, list[tuple[Any, Any, dict[str, Any]]]] = {}
    for u, v, d in G.edges(data=True):
        if d.get("reversed"):
            continue
        if d.get("mode") == "road":
            roads.setdefault(d.get("link_class", "road"), []).append((u, v, d))
        elif d.get("mode") == "rail":
            rails.setdefault(d.get("line_id", d.get("name", "rail")), []).append((u, v, d))
    order = list(ROAD_STYLE)
    for link_class in sorted(roads, key=lambda c: order.index(c) if c in order else 99):
        colour, weight = ROAD_STYLE.get(link_class, ("#555555", 2))
        layer = folium.FeatureGroup(name=f"Roads: {link_class}", show=True)
        for _, _, d in roads[link_class]:
            coords = [(lat, lon) for lon, lat in d["geometry"].coords]
            folium.PolyLine(
                coords,
                color=colour,
                weight=weight,
                opacity=0.85,
                tooltip=html.escape(str(d.get("name", ""))),
                popup=_popup(
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
            ).add_to(layer)
        layer.add_to(fmap)
        legend_rows.append(
            (
                f"<span style='display:inline-block;width:22px;height:{weight}px;"
                f"background:{colour};vertical-align:middle'></span>",
                f"Road: {link_class}",
            )
        )

    # rail lines, one layer per line, with their stations
    line_names = {}
    line_colours = {}
    if region is not None:
        line_names = region.rail_lines["name"].to_dict()
        line_colours = region.rail_lines["color"].to_dict()
    new_lines = {k for k in rails if not line_colours.get(k)}
    for line_id in sorted(rails):
        edges = rails[line_id]
        name = line_names.get(line_id, edges[0][2].get("name", str(line_id)))
        if not line_colours.get(line_id):
            line_colours[line_id] = _PALETTE[len([k for k in rails if k in new_lines and k < line_id]) % len(_PALETTE)]
        colour = line_colours[line_id]
        layer = folium.FeatureGroup(name=f"Rail: {name}", show=True)
        stations: set[Any] = set()
        for u, v, d in edges:
            stations.update((u, v))
            folium.PolyLine(
                [(lat, lon) for lon, lat in d["geometry"].coords],
                color=colour,
                weight=4,
                opacity=0.9,
                tooltip=html.escape(str(name)),
                popup=_popup(
                    str(name),
                    [
                        ("link", d.get("link_id")),
                        ("class", d.get("link_class")),
                        ("speed", f"{d['speed_kph']:.0f} km/h"),
                        ("headway", f"{d.get('headway_min', 0):g} min"),
                        ("status", d.get("status")),
                        ("source", d.get("source")),
                    ],
                ),
            ).add_to(layer)
        for s in sorted(stations):
            sd = G.nodes[s]
            folium.CircleMarker(
                (sd["y"], sd["x"]),
                radius=3,
                color=colour,
                fill=True,
                fill_color="white",
                fill_opacity=1,
                tooltip=html.escape(f"{sd.get('name')} ({name})"),
                popup=_popup(f"{sd.get('name')} station", [("line", name), ("source", sd.get("source"))]),
            ).add_to(layer)
        layer.add_to(fmap)
        legend_rows.append(
            (
                f"<span style='display:inline-block;width:22px;height:4px;"
                f"background:{colour};vertical-align:middle'></span>",
                f"Rail: {name}",
            )
        )

    if region is not None:
        _draw_inactive_lines(fmap, G, region, legend_rows)

    # places
    zones = [(n, d) for n, d in G.nodes(data=True) if d.get("kind") == "zone"]
    if zones:
        layer = folium.FeatureGroup(name=LAYER_NAMES["zones"], show=True)
        for _, d in sorted(zones, key=lambda nd: -(nd[1].get("population_2020") or 0)):
            pop = d.get("population_2020") or 0
            folium.CircleMarker(
                (d["y"], d["x"]),
                radius=max(3.0, math.sqrt(pop) / 80),
                color=ZONE_COLOUR,
                weight=1,
                fill=True,
                fill_color=ZONE_COLOUR,
                fill_opacity=0.35,
                tooltip=html.escape(f"{d['name']}: {pop:,} people"),
                popup=_popup(
                    str(d["name"]),
                    [
                        ("zone", d.get("place_id")),
                        ("population 2020", _fmt_int(pop)),
                        ("province", d.get("province")),
                        ("region", d.get("region")),
                        ("source", d.get("source")),
                    ],
                ),
            ).add_to(layer)
        layer.add_to(fmap)
        legend_rows.append(
            (
                f"<span style='display:inline-block;width:12px;height:12px;border-radius:6px;"
                f"background:{ZONE_COLOUR};opacity:.6;vertical-align:middle'></span>",
                "Zone, sized by 2020 population",
            )
        )

    gateways = [(n, d) for n, d in G.nodes(data=True) if d.get("kind") == "gateway"]
    if gateways:
        layer = folium.FeatureGroup(name=LAYER_NAMES["gateways"], show=True)
        for _, d in gateways:
            icon, colour = GATEWAY_STYLE.get(d.get("gateway_type", ""), ("circle", "gray"))
            capacity = d.get("capacity")
            folium.Marker(
                (d["y"], d["x"]),
                icon=folium.Icon(icon=icon, prefix="fa", color=colour),
                tooltip=html.escape(str(d["name"])),
                popup=_popup(
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
                        (
                            "handling",
                            f"{d.get('handling_h'):g} h" if d.get("handling_h") is not None else None,
                        ),
                        ("code", d.get("code")),
                        ("source", d.get("source")),
                    ],
                ),
            ).add_to(layer)
        layer.add_to(fmap)
        for gtype, (icon, colour) in GATEWAY_STYLE.items():
            if any(d.get("gateway_type") == gtype for _, d in gateways):
                legend_rows.append(
                    (
                        f"<i class='fa fa-{icon}' style='color:{colour}'></i>",
                        gtype.replace("_", " ").capitalize(),
                    )
                )

    ezs = [(n, d) for n, d in G.nodes(data=True) if d.get("kind") == "economic_zone"]
    if ezs:
        layer = folium.FeatureGroup(name=LAYER_NAMES["economic_zones"], show=True)
        for _, d in ezs:
            folium.Marker(
                (d["y"], d["x"]),
                icon=folium.Icon(icon="industry", prefix="fa", color=EZ_COLOUR),
                tooltip=html.escape(str(d["name"])),
                popup=_popup(
                    str(d["name"]),
                    [
                        ("economic zone", d.get("place_id")),
                        ("jobs", _fmt_int(d.get("jobs")) or "not published"),
                        ("area", f"{d['area_ha']:,.0f} ha" if d.get("area_ha") else None),
                        ("source", d.get("source")),
                    ],
                ),
            ).add_to(layer)
        layer.add_to(fmap)
        legend_rows.append((f"<i class='fa fa-industry' style='color:{EZ_COLOUR}'></i>", "Economic zone"))

    folium.LayerControl(collapsed=False).add_to(fmap)
    Legend(legend_rows, title="Legend").add_to(fmap)
    heading = title or (f"{region.title}: base network {region.base_year}" if region else "corridor network")
    Title(heading).add_to(fmap)
    credits = list(region.attribution) if region else []
    if G.graph.get("attribution"):
        credits.append(str(G.graph["attribution"]))
    if credits:
        Attribution(credits).add_to(fmap)
    return fmap


def _draw_inactive_lines(fmap: Any, G: nx.MultiDiGraph, region: Region, legend_rows: list[tuple[str, str]]) -> None:
    """Draw, dashed, the rail lines of the region that do not run in the base year."""
    import folium

    stations = region.rail_stations.to_crs(DISPLAY_CRS)
    for line_id, line in region.rail_lines.iterrows():
        if line.status == "operating":
            continue
        on_line = stations[stations.line_id == line_id].sort_values("seq")
        if len(on_line) < 2:
            continue
        name = f"{line['name']} ({str(line.status).replace('_', ' ')})"
        colour = line.color or "#333333"
        layer = folium.FeatureGroup(name=f"Rail: {name}", show=False)
        folium.PolyLine(
            [(p.y, p.x) for p in on_line.geometry],
            color=colour,
            weight=3,
            opacity=0.7,
            dash_array="6 6",
            tooltip=html.escape(name),
            popup=_popup(name, [("status", line.status), ("source", line.source)]),
        ).add_to(layer)
        layer.add_to(fmap)
        legend_rows.append(
            (
                f"<span style='display:inline-block;width:22px;border-top:3px dashed {colour};"
                "vertical-align:middle'></span>",
                f"Rail: {name}, not in the base network",
            )
        )


def save_map(fmap: Any, path: str | Path) -> Path:
    """Write a map as one HTML file, atomically; return its path."""
    target = Path(path)
    with atomic_path(target) as tmp:
        fmap.save(str(tmp))
    return target

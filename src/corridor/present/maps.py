"""Interactive Folium maps of a network and its region, built from layer functions.

Maps only draw what they are given; they compute no metric. This is the one
module that works in EPSG:4326 for display: graph nodes and edge geometries
are already lon/lat, and region layers are converted here.

A map is a base (:func:`new_map`), some :class:`Layer` objects (each a
switchable group of the layer control with its legend rows) and a finish
(:func:`finish_map`: layer control, legend, title, attributions).
:func:`base_map` composes the layers of the base network;
:func:`portfolio_map` draws a portfolio's projects and what they change, from
a :class:`PortfolioView`; :func:`comparison_map` puts portfolios side by side
in two synced panes. Every map is readable on a laptop: the network fills
the view, the layer control and the legend fold away (the legend lists only
the layers that are on), and every symbol has a dark outline so it shows on
a light or missing basemap. Large road networks are drawn at corridor scale:
the major classes, merged and simplified, while what projects change is
drawn in full.

Every piece of user text (names, sources, ids) goes through :func:`safe_text`
before it reaches a popup, tooltip, layer name or legend: HTML-escaped, and
with the characters that would end or interpolate a JavaScript template
literal (`````, ``$``, ``\\``) written as HTML entities, so it shows as text
and never runs. :func:`save_map` numbers every element in order before it
writes, so the same map is the same bytes on every run.
"""

from __future__ import annotations

import html
import math
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from jinja2 import Template
from shapely.geometry import LineString, MultiLineString, Polygon
from shapely.geometry.base import BaseGeometry

from corridor.files import atomic_path
from corridor.geo import DISPLAY_CRS, METRIC_CRS
from corridor.inputs.region import Region

__all__ = [
    "CATEGORY_STYLE",
    "LAYER_NAMES",
    "MAX_LINKS_IN_FULL",
    "ROAD_STYLE",
    "Layer",
    "MapMetric",
    "PortfolioView",
    "base_map",
    "check_metric",
    "comparison_map",
    "economic_zone_layer",
    "finish_map",
    "gateway_layer",
    "inactive_rail_layers",
    "new_map",
    "portfolio_map",
    "project_layers",
    "rail_layers",
    "reach_layers",
    "road_layers",
    "safe_text",
    "save_map",
    "seed_ids",
    "volume_layer",
    "zone_change_layers",
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
#: the dark outline of every point symbol, so it shows on a light or missing basemap
OUTLINE = "#333333"
#: colours for lines a project adds (the region's own lines have theirs)
PALETTE = ["#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#ff7f0e", "#1f77b4"]
EZ_COLOUR = "purple"
#: per project category: line colour, marker colour (Leaflet.awesome-markers' names) and marker icon
CATEGORY_STYLE: dict[str, tuple[str, str, str]] = {
    "rail": ("#c2185b", "red", "train"),
    "road": ("#e65100", "orange", "road"),
    "bridge": ("#6a1b9a", "purple", "bridge"),
    "port": ("#0d47a1", "darkblue", "ship"),
    "airport": ("#00838f", "cadetblue", "plane"),
    "logistics": ("#5d4037", "gray", "warehouse"),
    "energy": ("#f9a825", "orange", "bolt"),
    "industry": ("#37474f", "black", "industry"),
    "agriculture": ("#2e7d32", "darkgreen", "seedling"),
}
#: project statuses drawn dashed: not yet committed
PROPOSED_STATUSES = frozenset({"planned", "pre_feasibility", "proposal", "cancelled"})
#: the diverging scale of changes: worse (red) through no change (near white) to better (blue)
DIVERGING = ["#b2182b", "#ef8a62", "#fddbc7", "#f7f7f7", "#d1e5f0", "#67a9cf", "#2166ac"]
NO_DATA_COLOUR = "#bdbdbd"
#: reach thresholds' colours, nearest first
REACH_COLOURS = ["#54278f", "#807dba", "#bcbddc"]
#: volume over capacity: upper bound of each class and its colour
VC_CLASSES = [(0.6, "#1a9850", "below 0.6"), (0.85, "#fee08b", "0.6–0.85"), (1.0, "#f46d43", "0.85–1"),
              (math.inf, "#a50026", "over 1")]  # fmt: skip
#: above this many road links a network is drawn merged and simplified, by class
MAX_LINKS_IN_FULL = 3_000
#: at most this many road links of the major classes are drawn, merged and simplified
MAX_LINKS_SIMPLIFIED = 60_000
#: map panes, bottom to top: zone shading, reach, the network, projects (markers sit above all)
PANES = {"zones": 350, "reach": 380, "projects": 450}
#: decimal places of the coordinates written to a map (about 1 m)
COORD_DECIMALS = 5

LAYER_NAMES = {
    "zones": "Zones (2020 population)",
    "gateways": "Gateways (ports, airports)",
    "economic_zones": "Economic zones",
    "no_shading": "Zones: no shading",
}


def safe_text(value: Any) -> str:
    """User text made safe for HTML and for a JavaScript template literal (Folium's popups and tooltips)."""
    text = html.escape(str(value), quote=True)
    return text.replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


# ------------------------------------------------------------------ what portfolio maps draw


@dataclass(frozen=True)
class MapMetric:
    """A per-zone value a map shades zones by.

    Attributes
    ----------
    column
        The column of the zone frame holding the change (in the title's unit).
    title
        Its heading, e.g. ``Δ to seaport (min)``.
    better
        -1 when lower is better, +1 when higher is.
    before, after
        Columns of the zone frame with the values before and after, if any.
    unit
        The unit of the values before and after.
    """

    column: str
    title: str
    better: int
    before: str | None = None
    after: str | None = None
    unit: str = ""


@dataclass(frozen=True, eq=False)
class PortfolioView:
    """What the map of one portfolio draws; worked out by :func:`corridor.present.briefing.brief`.

    Attributes
    ----------
    name
        The portfolio's name.
    projects
        Indexed by project id: ``name``, ``category``, ``status``,
        ``cost_usd``, ``opening_year``, ``source``, ``bcr`` (NaN when not
        appraised) and the marginal gains named in :attr:`gains`.
    gains
        Columns of :attr:`projects` a project's popup shows, with their titles.
    features
        What each project draws (see :func:`corridor.present.briefing.project_features`), EPSG:4326.
    zones
        Indexed by zone id: ``name``, ``population`` and the columns of :attr:`metrics`.
    metrics
        The per-zone values, one layer each.
    reach
        Indexed by (``gateway_id``, ``threshold_min``): ``name``,
        ``gateway_type``, ``zones_base``, ``zones_scenario``,
        ``population_base``, ``population_scenario``; None to leave out.
    volumes
        ``link_id``, ``volume_veh_day``, ``volume_capacity`` of the scenario's
        links, when a demand model assigned them.
    """

    name: str
    projects: pd.DataFrame
    gains: dict[str, str]
    features: gpd.GeoDataFrame
    zones: pd.DataFrame
    metrics: tuple[MapMetric, ...]
    reach: pd.DataFrame | None = None
    volumes: pd.DataFrame | None = None


# ------------------------------------------------------------------ elements


class Legend(MacroElement):
    """A folding box at the lower left listing the symbols of the layers that are on."""

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        <details id="{{ this.dom_id }}" class="corridor-legend" role="region" aria-label="{{ this.title|e }}" open>
          <summary>{{ this.title|e }}</summary>
          {% for layer, symbol, label in this.rows %}<div class="corridor-legend-row"
               data-layer="{{ layer.get_name() if layer else '' }}">{{ symbol }}&nbsp;{{ label|e }}</div>{% endfor %}
        </details>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
          var map = {{ this._parent.get_name() }};
          var box = document.getElementById({{ this.dom_id|tojson }});
          var control = L.control({position: "bottomleft"});
          control.onAdd = function () {
            L.DomEvent.disableClickPropagation(box);
            L.DomEvent.disableScrollPropagation(box);
            return box;
          };
          control.addTo(map);
          if (window.innerWidth < 900 || window.innerHeight < 600) { box.removeAttribute("open"); }
          var layers = {
            {% for layer in this.layers %}{{ layer.get_name()|tojson }}: {{ layer.get_name() }},{% endfor %}
          };
          function update() {
            box.querySelectorAll(".corridor-legend-row").forEach(function (row) {
              var layer = layers[row.dataset.layer];
              row.style.display = (!layer || map.hasLayer(layer)) ? "" : "none";
            });
          }
          map.on("overlayadd overlayremove baselayerchange", update);
          map.whenReady(update);
          update();
        })();
        {% endmacro %}
        """
    )

    def __init__(self, rows: list[tuple[Any, str, str]], *, title: str = "Legend", dom_id: str = "corridor-legend"):
        super().__init__()
        self._name = "Legend"
        # (layer group or None, symbol markup built here from fixed colours, label escaped when drawn)
        self.rows = rows
        self.layers = list({id(g): g for g, _, _ in rows if g is not None}.values())
        self.title = title
        self.dom_id = dom_id


class Title(MacroElement):
    """The map's title, centred at the top of its map (each pane of a comparison has its own)."""

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        <div id="{{ this.dom_id }}" class="corridor-title"><span class="corridor-title-text">{{ this.text|e }}</span>
          {%- if this.subtitle %}
          <div class="corridor-subtitle">{{ this.subtitle|e }}</div>{% endif %}</div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
          var map = {{ this._parent.get_name() }};
          var box = document.getElementById({{ this.dom_id|tojson }});
          map.getContainer().appendChild(box);
          {%- if this.follow %}
          // the names in the layer control are escaped text already
          map.on("baselayerchange", function (e) { box.querySelector(".corridor-title-text").innerHTML = e.name; });
          {%- endif %}
        })();
        {% endmacro %}
        """
    )

    def __init__(self, text: str, *, subtitle: str = "", dom_id: str = "corridor-title", follow: bool = False) -> None:
        super().__init__()
        self._name = "Title"
        self.text = text
        self.follow = follow
        self.subtitle = subtitle
        self.dom_id = dom_id


class Attribution(MacroElement):
    """Adds the data sources to the map's attribution control: one line at most 60% of the map wide, whole on
    hover."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {% for credit in this.credits %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ credit|tojson }});
        {% endfor %}
        (function () {
          var map = {{ this._parent.get_name() }};
          var box = map.attributionControl.getContainer();
          box.classList.add("corridor-attribution");
          function fit() { box.style.maxWidth = Math.round(map.getSize().x * 0.6) + "px"; }
          map.on("resize", fit);
          fit();
        })();
        {% endmacro %}
        """
    )

    def __init__(self, credits: list[str]) -> None:
        super().__init__()
        self._name = "Attribution"
        self.credits = [html.escape(c) for c in credits]


class MapStyle(MacroElement):
    """The page's stylesheet: compact controls, a neutral background where tiles are missing, the legend's look."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
          .leaflet-container { background: #f2efe9; }
          .leaflet-control-layers, .leaflet-control-layers label { font: 12px/1.35 Arial, Helvetica, sans-serif; }
          .leaflet-control-layers label { margin: 0; }
          .leaflet-control-layers-expanded { max-height: calc(100vh - 120px); overflow-y: auto; padding: 6px 8px; }
          .leaflet-control-attribution { font-size: 10px; line-height: 1.4; }
          .corridor-attribution { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
          .corridor-attribution:hover { white-space: normal; }
          .leaflet-control-scale-line { font-size: 10px; line-height: 1.1; padding: 0 4px; }
          .corridor-legend { background: rgba(255,255,255,.95); padding: 5px 8px; border: 1px solid #888;
            border-radius: 4px; font: 11px/1.5 Arial, Helvetica, sans-serif; max-height: 46vh; max-width: 320px;
            overflow: auto; color: #222; }
          .corridor-legend summary { font-weight: bold; cursor: pointer; }
          .corridor-legend-row span { vertical-align: middle; }
          .corridor-title { position: absolute; top: 10px; left: 50%; transform: translateX(-50%); z-index: 1000;
            background: rgba(255,255,255,.92); padding: 4px 12px; border-radius: 4px; border: 1px solid #aaa;
            font: bold 14px Arial, Helvetica, sans-serif; color: #222; text-align: center; max-width: 70%;
            pointer-events: none; }
          .corridor-subtitle { font-weight: normal; font-size: 11px; color: #444; }
        </style>
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MapStyle"


class LayerControl(MacroElement):
    """Folium's layer control, folded into a button on a laptop's screen and open on a large one."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {% if this.control.base_layers or this.control.overlays %}
        if (window.innerWidth >= {{ this.open_min_width_px }} && window.innerHeight >= {{ this.open_min_height_px }}) {
          {{ this.control.get_name() }}.expand();
        }
        {% endif %}
        {% endmacro %}
        """
    )

    def __init__(self, control: Any, *, open_min_width_px: int = 1600, open_min_height_px: int = 1000) -> None:
        super().__init__()
        self._name = "LayerControlFold"
        self.control = control
        self.open_min_width_px = open_min_width_px
        self.open_min_height_px = open_min_height_px


@dataclass
class Layer:
    """A switchable group of the map and the legend rows that explain it.

    Attributes
    ----------
    group
        A ``folium.FeatureGroup`` (its name is already safe text); None for
        legend rows that are always shown.
    legend
        (symbol markup, label) rows; labels are escaped when drawn.
    """

    group: Any
    legend: list[tuple[str, str]] = field(default_factory=list)


# ------------------------------------------------------------------ small helpers


def popup(title: str, rows: list[tuple[str, Any]]) -> Any:
    """A popup: a bold title and a table of (label, value) rows; empty values left out."""
    import folium

    cells = "".join(
        f"<tr><th style='text-align:left;padding-right:6px;vertical-align:top'>{safe_text(k)}</th>"
        f"<td>{safe_text(v)}</td></tr>"
        for k, v in rows
        if v is not None and v != "" and not (isinstance(v, float) and math.isnan(v))
    )
    return folium.Popup(f"<b>{safe_text(title)}</b><table style='font-size:12px'>{cells}</table>", max_width=380)


def _group(name: str, *, show: bool = True, overlay: bool = True) -> Any:
    import folium

    return folium.FeatureGroup(name=safe_text(name), show=show, overlay=overlay)


def _line_symbol(
    colour: str, weight: float, *, dashed: bool = False, double: bool = False, opacity: float = 1.0
) -> str:
    if dashed or double:
        style = "dashed" if dashed else "double"
        return (
            f"<span style='display:inline-block;width:22px;border-top:{weight:g}px {style} {colour};"
            f"opacity:{opacity:g};vertical-align:middle'></span>"
        )
    return (
        f"<span style='display:inline-block;width:22px;height:{max(weight, 1):g}px;"
        f"background:{colour};opacity:{opacity:g};vertical-align:middle'></span>"
    )


def _dot_symbol(fill: str, *, size_px: int = 11, border: str = OUTLINE, opacity: float = 1.0) -> str:
    return (
        f"<span style='display:inline-block;width:{size_px}px;height:{size_px}px;border-radius:50%;"
        f"background:{fill};border:1.5px solid {border};opacity:{opacity:g};vertical-align:middle'></span>"
    )


def _box_symbol(fill: str, *, border: str = OUTLINE, dashed: bool = False, opacity: float = 1.0) -> str:
    style = "dashed" if dashed else "solid"
    return (
        f"<span style='display:inline-block;width:16px;height:11px;background:{fill};"
        f"border:1.5px {style} {border};opacity:{opacity:g};vertical-align:middle'></span>"
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


def _latlon(coords: Iterable[Sequence[float]]) -> list[list[float]]:
    """(lon, lat) pairs as Leaflet's [lat, lon], rounded to about a metre."""
    return [[round(float(c[1]), COORD_DECIMALS), round(float(c[0]), COORD_DECIMALS)] for c in coords]


def _lines_of(geometry: BaseGeometry) -> list[list[list[float]]]:
    """The parts of a (multi)line as Leaflet polylines."""
    if isinstance(geometry, LineString):
        return [_latlon(geometry.coords)] if not geometry.is_empty else []
    if isinstance(geometry, MultiLineString):
        return [_latlon(g.coords) for g in geometry.geoms if not g.is_empty]
    if hasattr(geometry, "geoms"):
        return [part for g in geometry.geoms for part in _lines_of(g)]
    return []


def _rings_of(geometry: BaseGeometry) -> list[list[list[float]]]:
    """Every ring of a (multi)polygon, for Leaflet's even-odd fill (holes stay holes, islands fill)."""
    if isinstance(geometry, Polygon):
        if geometry.is_empty:
            return []
        return [_latlon(geometry.exterior.coords), *(_latlon(r.coords) for r in geometry.interiors)]
    if hasattr(geometry, "geoms"):
        return [ring for g in geometry.geoms for ring in _rings_of(g)]
    return []


def _forward_edges(G: nx.MultiDiGraph, mode: str) -> list[tuple[Any, Any, dict[str, Any]]]:
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


def _on_pane(element: Any, pane: str) -> Any:
    element.options["pane"] = pane
    return element


def _nice_limit(values: np.ndarray) -> float:
    """A round end for a symmetric scale: the 95th percentile of the absolute values, rounded up to 1, 2, 2.5 or 5."""
    finite = np.abs(values[np.isfinite(values)])
    finite = finite[finite > 0]
    if not len(finite):
        return 1.0
    top = float(np.quantile(finite, 0.95))
    if top <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(top))
    for step in (1, 2, 2.5, 5, 10):
        if top <= step * power:
            return step * power
    return 10 * power


def _diverging(value: float, limit: float, better: int) -> str:
    """The colour of a change: blue where better, red where worse, near white for none, grey for no data."""
    from branca.colormap import LinearColormap

    if value is None or not math.isfinite(value):
        return NO_DATA_COLOUR
    score = max(-1.0, min(1.0, value * better / limit))
    return str(LinearColormap(DIVERGING, vmin=-1.0, vmax=1.0).rgb_hex_str(score))


def _gradient_symbol(limit: float, better: int, unit: str) -> str:
    """A colour bar from -limit to +limit, its ends labelled."""
    colours = DIVERGING if better > 0 else DIVERGING[::-1]
    return (
        f"<span style='font-size:10px'>−{limit:g}</span>"
        f"<span style='display:inline-block;width:70px;height:10px;margin:0 3px;border:1px solid #777;"
        f"background:linear-gradient(to right,{','.join(colours)})'></span>"
        f"<span style='font-size:10px'>+{limit:g} {html.escape(unit)}</span>"
    )


# ------------------------------------------------------------------ the map and its finish


def new_map(G: nx.MultiDiGraph, *, fit: bool = True) -> Any:
    """An empty map framed on the network, with the OpenStreetMap basemap.

    The map zooms in quarter steps, so the network fills the view at any
    window size, below the title.
    """
    import folium

    fmap = folium.Map(tiles=None, control_scale=True, prefer_canvas=True, zoom_snap=0.25, zoom_delta=0.5)
    _prepare(fmap)
    if fit:
        _fit(fmap, G)
    return fmap


def _prepare(fmap: Any) -> None:
    """The basemap, the panes and the stylesheet of a map (or of a pane of a comparison)."""
    import folium

    # Glyphicons (Bootstrap 3) and the rotate stylesheet are not used by these maps.
    fmap.default_css = [c for c in fmap.default_css if c[0] not in {"glyphicons_css", "awesome_rotate_css"}]
    folium.TileLayer("OpenStreetMap", name="Base map (OpenStreetMap)", control=False).add_to(fmap)
    for name, z in PANES.items():
        folium.map.CustomPane(name, z_index=z, pointer_events=True).add_to(fmap)
    MapStyle().add_to(fmap)


def _fit(fmap: Any, G: nx.MultiDiGraph) -> None:
    xs = [d["x"] for _, d in G.nodes(data=True) if "x" in d]
    ys = [d["y"] for _, d in G.nodes(data=True) if "y" in d]
    if xs:
        fmap.fit_bounds(
            [[min(ys), min(xs)], [max(ys), max(xs)]], padding_top_left=(16, 52), padding_bottom_right=(16, 30)
        )


def credits_of(G: nx.MultiDiGraph, region: Region | None) -> list[str]:
    """The data attributions a map of this network must carry."""
    credits = list(region.attribution) if region else []
    if G.graph.get("attribution"):
        credits.append(str(G.graph["attribution"]))
    return list(dict.fromkeys(credits))


def finish_map(
    fmap: Any,
    layers: list[Layer],
    *,
    title: str,
    credits: list[str],
    subtitle: str = "",
    dom_suffix: str = "",
    title_follows_choice: bool = False,
) -> Any:
    """Add the layers, the layer control, the legend, the title and the attributions to a map.

    ``dom_suffix`` tells the panes of a comparison apart (the ids of their
    titles and legends); with ``title_follows_choice`` the title becomes the
    name of the layer chosen among the base layers.
    """
    import folium

    legend: list[tuple[Any, str, str]] = []
    for layer in layers:
        if layer.group is not None:
            layer.group.add_to(fmap)
        legend += [(layer.group, symbol, label) for symbol, label in layer.legend]
    control = folium.LayerControl(collapsed=True)
    control.add_to(fmap)
    LayerControl(control).add_to(fmap)
    Legend(legend, title="Legend", dom_id=f"corridor-legend{dom_suffix}").add_to(fmap)
    Title(title, subtitle=subtitle, dom_id=f"corridor-title{dom_suffix}", follow=title_follows_choice).add_to(fmap)
    if credits:
        Attribution(credits).add_to(fmap)
    return fmap


# ------------------------------------------------------------------ the base network


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
    for u, v, d in _forward_edges(G, "road"):
        roads.setdefault(str(d.get("link_class", "road")), []).append((u, v, d))
    order = list(ROAD_STYLE)
    classes = sorted(roads, key=lambda c: (order.index(c) if c in order else 99, c))
    if sum(len(v) for v in roads.values()) > max_links:
        return _simplified_road_layers(roads, classes, faded=faded, max_links=max_simplified_links)
    import folium

    layers = []
    for link_class in classes:
        colour, weight = _road_style(link_class, faded=faded)
        group = _group(f"Roads: {link_class}")
        for _, _, d in roads[link_class]:
            line = folium.PolyLine(
                _latlon(d["geometry"].coords),
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
        layers.append(Layer(group, [(_line_symbol(colour, weight), f"Road: {link_class}")]))
    return layers


def _road_style(link_class: str, *, faded: bool) -> tuple[str, float]:
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
        group = _group(f"Roads: {link_class}")
        parts = _lines_of(simple)
        if parts:
            folium.PolyLine(
                parts, color=colour, weight=weight, opacity=0.8, tooltip=safe_text(f"{link_class} ({n:,} links)")
            ).add_to(group)
        label = f"Road: {link_class} ({n:,} links, simplified at {tolerance_m:,.0f} m)"
        layers.append(Layer(group, [(_line_symbol(colour, weight), label)]))
    if left_out:
        count = sum(len(roads[c]) for c in left_out)
        note = f"Not drawn at this scale: {count:,} links of {', '.join(left_out)}"
        layers.append(Layer(None, [("", note)]))
    return layers


def rail_layers(G: nx.MultiDiGraph, region: Region | None = None, *, faded: bool = False) -> list[Layer]:
    """Rail lines, one layer per line with its stations; lines a project adds get colours of their own.

    ``faded``: lighter lines with tooltips only, under a portfolio's changes.
    """
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
    opacity = 0.45 if faded else 0.9
    weight = 3 if faded else 4
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
                _latlon(d["geometry"].coords),
                color=colour,
                weight=weight,
                opacity=opacity,
                tooltip=safe_text(name),
                popup=None
                if faded
                else popup(
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
                radius=2.5 if faded else 3.5,
                color=OUTLINE,
                weight=1 if faded else 1.5,
                opacity=opacity,
                fill=True,
                fill_color="white",
                fill_opacity=1,
                tooltip=safe_text(f"{sd.get('name')} ({name})"),
                popup=None
                if faded
                else popup(f"{sd.get('name')} station", [("line", name), ("source", sd.get("source"))]),
            ).add_to(group)
        layers.append(Layer(group, [(_line_symbol(colour, weight, opacity=opacity), f"Rail: {name}")]))
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
                    ("population 2020", _fmt_int(pop)),
                    ("province", d.get("province")),
                    ("region", d.get("region")),
                    ("source", d.get("source")),
                ],
            ),
        ).add_to(group)
    return Layer(group, [(_dot_symbol(ZONE_COLOUR, border="#1f4e79", opacity=0.7), "Zone, sized by 2020 population")])


def gateway_layer(G: nx.MultiDiGraph, *, show: bool = True) -> Layer | None:
    """Ports and airports, with capacity and handling time."""
    import folium

    gateways = [d for _, d in G.nodes(data=True) if d.get("kind") == "gateway"]
    if not gateways:
        return None
    group = _group(LAYER_NAMES["gateways"], show=show)
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
    group = _group(LAYER_NAMES["economic_zones"], show=show)
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


# ------------------------------------------------------------------ what a portfolio changes


def _zone_points(G: nx.MultiDiGraph) -> dict[str, tuple[float, float]]:
    """Each zone's (lat, lon), by zone id."""
    return {str(d.get("place_id")): (d["y"], d["x"]) for _, d in G.nodes(data=True) if d.get("kind") == "zone"}


def _display_polygons(polygons: gpd.GeoDataFrame | None) -> gpd.GeoSeries | None:
    if polygons is None or not len(polygons):
        return None
    series = polygons.geometry.to_crs(DISPLAY_CRS)
    series.index = series.index.astype(str)
    return series


def zone_change_layers(
    zones: pd.DataFrame,
    metrics: Sequence[MapMetric],
    *,
    polygons: gpd.GeoDataFrame | None,
    points: dict[str, tuple[float, float]],
    label: str = "Zones",
    first: str | None = None,
    limits: dict[str, float] | None = None,
    radio: bool = True,
) -> list[Layer]:
    """One layer per metric: each zone shaded by its change on a diverging scale centred on zero.

    Parameters
    ----------
    zones
        Indexed by zone id: ``name``, ``population`` and the metrics' columns.
    metrics
        The values to shade by, one layer each.
    polygons
        The zones' polygons (any CRS), indexed by zone id; None for a pack of
        points: zones are then circles sized by population.
    points
        Each zone's (lat, lon), for zones without a polygon.
    label
        Starts each layer's name (``"<label>: <metric title>"``).
    first
        The metric column shown first; the first metric when None.
    limits
        Per column, the end of the symmetric scale (to share one scale
        between maps); worked out from the values otherwise.
    radio
        Make the layers a choice of one (Leaflet's base layers).
    """
    import folium

    shapes = _display_polygons(polygons)
    if first is None:
        first = metrics[0].column if metrics else None
    layers = []
    for metric in metrics:
        values = zones[metric.column].to_numpy(dtype=float)
        limit = (limits or {}).get(metric.column) or _nice_limit(values)
        group = _group(f"{label}: {metric.title}", show=metric.column == first, overlay=not radio)
        for zone_id, row in zones.iterrows():
            zid = str(zone_id)
            value = float(row[metric.column])
            colour = _diverging(value, limit, metric.better)
            tip = safe_text(_zone_tip(row, metric, value))
            if shapes is not None and zid in shapes.index:
                _on_pane(
                    folium.Polygon(
                        _rings_of(shapes[zid]),
                        color="#555555",
                        weight=0.6,
                        fill=True,
                        fill_color=colour,
                        fill_opacity=0.7,
                        dash_array="3 3" if colour == NO_DATA_COLOUR else None,
                        tooltip=tip,
                    ),
                    "zones",
                ).add_to(group)
            elif zid in points:
                pop = float(row.get("population") or 0)
                _on_pane(
                    folium.CircleMarker(
                        points[zid],
                        radius=max(4.0, math.sqrt(pop) / 70),
                        color=OUTLINE,
                        weight=1,
                        fill=True,
                        fill_color=colour,
                        fill_opacity=0.85,
                        tooltip=tip,
                    ),
                    "zones",
                ).add_to(group)
        shape = "zone" if shapes is not None else "zone (circle sized by population)"
        better = "lower" if metric.better < 0 else "higher"
        legend = [
            (_gradient_symbol(limit, metric.better, ""), f"{metric.title} per {shape}; blue is better ({better})")
        ]
        if not np.isfinite(values).all():
            legend.append((_box_symbol(NO_DATA_COLOUR, dashed=True), "no value (no such place reached)"))
        layers.append(Layer(group, legend))
    if radio and layers:
        layers.append(Layer(_group(f"{label}: no shading", show=not first, overlay=False), []))
    return layers


def _zone_tip(row: pd.Series, metric: MapMetric, value: float) -> str:
    text = f"{row['name']}: {metric.title} "
    text += f"{value:+,.1f}" if math.isfinite(value) else "n/a"
    if metric.before and metric.after and metric.before in row and metric.after in row:
        before, after = float(row[metric.before]), float(row[metric.after])
        text += f" ({_short(before)} → {_short(after)} {metric.unit})".replace(" )", ")")
    return text


def _short(value: float) -> str:
    if not math.isfinite(value):
        return "unreachable"
    if abs(value) >= 1e6:
        return f"{value / 1e6:,.2f} M"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


def reach_layers(
    reach: pd.DataFrame,
    *,
    polygons: gpd.GeoDataFrame | None,
    points: dict[str, tuple[float, float]],
    show: bool = False,
) -> list[Layer]:
    """The area within 60, 90 and 120 minutes of each seaport and airport, after (shaded) and before (dashed).

    Parameters
    ----------
    reach
        Indexed by (``gateway_id``, ``threshold_min``): ``name``,
        ``gateway_type``, ``zones_base``, ``zones_scenario``,
        ``population_base``, ``population_scenario``.
    polygons
        The zones' polygons, indexed by zone id; None for a pack of points:
        the zones within reach are then drawn as dots.
    points
        Each zone's (lat, lon).
    show
        Show the layers at first.
    """
    import folium

    shapes = polygons.geometry if polygons is not None and len(polygons) else None
    if shapes is not None:
        shapes = shapes.set_axis(shapes.index.astype(str))
    layers = []
    for gateway_id in dict.fromkeys(reach.index.get_level_values(0)):
        rows = reach.loc[gateway_id].sort_index(ascending=False)  # farthest first, nearest drawn on top
        name = str(rows["name"].iloc[0])
        kind = str(rows["gateway_type"].iloc[0])
        thresholds = list(rows.index)
        group = _group(f"Reach of {name} ({kind}, {'/'.join(str(t) for t in sorted(thresholds))} min)", show=show)
        colours = dict(zip(sorted(thresholds), REACH_COLOURS, strict=False))
        for threshold, row in rows.iterrows():
            colour = colours.get(threshold, REACH_COLOURS[-1])
            tip = safe_text(
                f"{name}: within {threshold} min, {_short(row['population_scenario'])} people after, "
                f"{_short(row['population_base'])} before"
            )
            if shapes is not None:
                after = _union(shapes, row["zones_scenario"])
                before = _union(shapes, row["zones_base"])
                if after is not None:
                    _on_pane(
                        folium.Polygon(
                            _rings_of(after),
                            color=colour,
                            weight=1,
                            fill=True,
                            fill_color=colour,
                            fill_opacity=0.3,
                            tooltip=tip,
                        ),
                        "reach",
                    ).add_to(group)
                if before is not None:
                    _on_pane(
                        folium.Polygon(
                            _rings_of(before), color=OUTLINE, weight=1.5, dash_array="5 4", fill=False, tooltip=tip
                        ),
                        "reach",
                    ).add_to(group)
            else:
                for zid in row["zones_scenario"]:
                    if zid in points:
                        _on_pane(
                            folium.CircleMarker(
                                points[zid],
                                radius=5,
                                color=OUTLINE,
                                weight=1.5 if zid in row["zones_base"] else 0.5,
                                fill=True,
                                fill_color=colour,
                                fill_opacity=0.8,
                                tooltip=tip,
                            ),
                            "reach",
                        ).add_to(group)
        shades = "".join(_box_symbol(colours[t], border=colours[t], opacity=0.6) for t in sorted(thresholds))
        legend = [
            (shades, f"{name}: within {', '.join(str(t) for t in sorted(thresholds))} min after (darkest nearest)"),
            (_box_symbol("transparent", dashed=True), "the same, before"),
        ]
        layers.append(Layer(group, legend))
    return layers


def _union(shapes: gpd.GeoSeries, zone_ids: Iterable[str]) -> BaseGeometry | None:
    """The zones' polygons as one, simplified a little, in EPSG:4326."""
    chosen = shapes.reindex([z for z in zone_ids if z in shapes.index])
    if not len(chosen):
        return None
    metric = chosen.to_crs(METRIC_CRS)
    merged = shapely.union_all(metric.to_numpy()).buffer(0).simplify(200.0)
    return gpd.GeoSeries([merged], crs=METRIC_CRS).to_crs(DISPLAY_CRS).iloc[0]


def _project_popup(pid: str, project: pd.Series, view: PortfolioView, *, detail: str | None = None) -> Any:
    rows: list[tuple[str, Any]] = [
        ("project", pid),
        ("category", project.get("category")),
        ("status", str(project.get("status", "")).replace("_", " ")),
        ("cost", f"USD {float(project['cost_usd']) / 1e9:,.2f} bn" if "cost_usd" in project else None),
        ("opens", project.get("opening_year")),
        ("change", detail),
        ("source", project.get("source")),
    ]
    gains = [(title, float(project[col])) for col, title in view.gains.items() if col in project]
    gains = [(t, v) for t, v in gains if math.isfinite(v)]
    if gains:
        rows.append(("marginal gain", "what the portfolio loses without it"))
        rows += [(t, f"{v:+,.2f}") for t, v in gains]
    bcr = project.get("bcr")
    if bcr is not None and isinstance(bcr, float) and math.isfinite(bcr):
        rows.append(("benefit-cost ratio", f"{bcr:,.2f}"))
    return popup(str(project.get("name", pid)), rows)


def project_layers(view: PortfolioView, *, label: str = "Projects") -> list[Layer]:
    """The portfolio's projects, one layer per category: new lines with their stations, upgraded and closed
    links, gateways and investments; solid when under construction or approved, dashed when planned or proposed.

    Each project has a popup: name, category, status, cost, opening year,
    source, its marginal gain on each headline and, when appraised, its
    benefit-cost ratio.
    """
    import folium

    features = view.features
    layers: list[Layer] = []
    kinds_seen: set[str] = set()
    categories = list(dict.fromkeys(str(c) for c in view.projects["category"]))
    for category in categories:
        colour, marker_colour, icon = CATEGORY_STYLE.get(category, ("#444444", "gray", "circle"))
        in_category = view.projects[view.projects["category"] == category]
        group = _group(f"{label}: {category} ({len(in_category)})")
        for project_id, project in in_category.iterrows():
            pid = str(project_id)
            dashed = str(project.get("status")) in PROPOSED_STATUSES
            mine = features[features["project_id"] == pid]
            kinds_seen.update(str(k) for k in mine["kind"])
            name = str(project.get("name", pid))
            for kind, style in (("new_link", "new"), ("upgraded_link", "upgrade"), ("closed_link", "closed")):
                links = mine[mine["kind"] == kind]
                if not len(links):
                    continue
                parts = [part for g in links.geometry for part in _lines_of(g)]
                for line in _project_lines(parts, colour, style, dashed=dashed):
                    line.add_to(group)
                # the popup sits on a wide transparent line above, so a click anywhere near the line opens it
                _on_pane(
                    folium.PolyLine(
                        parts,
                        color=colour,
                        weight=14,
                        opacity=0.0,
                        tooltip=safe_text(f"{name} ({kind.replace('_', ' ')})"),
                        popup=_project_popup(pid, project, view),
                    ),
                    "projects",
                ).add_to(group)
            for _, st in mine[mine["kind"] == "station"].iterrows():
                _on_pane(
                    folium.CircleMarker(
                        (st.geometry.y, st.geometry.x),
                        radius=4.5,
                        color=OUTLINE,
                        weight=2,
                        fill=True,
                        fill_color="white",
                        fill_opacity=1,
                        tooltip=safe_text(f"{st['name']} station ({name})"),
                        popup=popup(f"{st['name']} station", [("project", name), ("line", st.get("detail"))]),
                    ),
                    "projects",
                ).add_to(group)
            for _, pt in mine[mine["kind"].isin(["new_gateway", "gateway_upgrade", "investment"])].iterrows():
                point_icon = {"seaport": "ship", "airport": "plane", "dry_port": "truck"}.get(
                    str(pt.get("gateway_type")), icon
                )
                if pt["kind"] == "gateway_upgrade":
                    point_icon = "arrow-up"
                folium.Marker(
                    (pt.geometry.y, pt.geometry.x),
                    icon=folium.Icon(icon=point_icon, prefix="fa", color=marker_colour),
                    tooltip=safe_text(f"{name}: {str(pt['kind']).replace('_', ' ')} at {pt['name']}"),
                    popup=_project_popup(pid, project, view, detail=pt.get("detail") or None),
                ).add_to(group)
        legend = [(_line_symbol(colour, 4), f"{label}: {category}")]
        layers.append(Layer(group, legend))
    keys: list[tuple[str, str]] = []
    if kinds_seen & {"new_link"}:
        keys.append((_line_symbol("#555555", 3), "new link (dashed: planned or proposed)"))
    if "station" in kinds_seen:
        keys.append((_dot_symbol("white"), "new station"))
    if "upgraded_link" in kinds_seen:
        keys.append((_line_symbol("#555555", 3, double=True), "upgraded link"))
    if "closed_link" in kinds_seen:
        keys.append((_line_symbol("#7f0000", 3, dashed=True), "closed link"))
    if "new_gateway" in kinds_seen:
        keys.append(("<i class='fa fa-ship'></i>", "new port or airport"))
    if "gateway_upgrade" in kinds_seen:
        keys.append(("<i class='fa fa-arrow-up'></i>", "port or airport upgraded"))
    if "investment" in kinds_seen:
        keys.append(("<i class='fa fa-industry'></i>", "investment (jobs or residents)"))
    if keys:
        layers.append(Layer(None, keys))
    return layers


def _project_lines(parts: list[list[list[float]]], colour: str, style: str, *, dashed: bool) -> list[Any]:
    """A project's links: a casing under the colour, so they stand out on any shading."""
    import folium

    if style == "closed":
        casing, line = ("white", 7), ("#7f0000", 4)
        dash = "4 6"
    elif style == "upgrade":
        casing, line = (colour, 9), ("white", 3)
        dash = None
    else:
        casing, line = ("white", 7), (colour, 4)
        dash = "10 7" if dashed else None
    return [
        _on_pane(folium.PolyLine(parts, color=casing[0], weight=casing[1], opacity=0.9), "projects"),
        _on_pane(folium.PolyLine(parts, color=line[0], weight=line[1], opacity=1.0, dash_array=dash), "projects"),
    ]


def volume_layer(G: nx.MultiDiGraph, volumes: pd.DataFrame, *, show: bool = True) -> Layer:
    """Link volumes as line width, volume over capacity as colour.

    Parameters
    ----------
    G
        The network whose links the volumes are of (matched by ``link_id``).
    volumes
        ``link_id``, ``volume_veh_day``, ``volume_capacity``: one row per
        link (both directions of a two-way link under one id are summed by
        the model that made them).
    """
    import folium

    by_id = dict(
        zip(
            volumes["link_id"].astype(str),
            zip(
                volumes["volume_veh_day"].to_numpy(dtype=float),
                volumes["volume_capacity"].to_numpy(dtype=float),
                strict=True,
            ),
            strict=True,
        )
    )
    top = max((v for v, _ in by_id.values() if math.isfinite(v)), default=1.0) or 1.0
    group = _group("Traffic: volume and volume/capacity", show=show)
    drawn: set[str] = set()
    for _, _, d in sorted(_forward_edges(G, "road"), key=lambda e: by_id.get(str(e[2].get("link_id")), (0, 0))[0]):
        link_id = str(d.get("link_id"))
        if link_id not in by_id or link_id in drawn:
            continue
        drawn.add(link_id)
        volume, ratio = by_id[link_id]
        colour = next(c for upper, c, _ in VC_CLASSES if ratio < upper or upper == math.inf)
        folium.PolyLine(
            _latlon(d["geometry"].coords),
            color=colour,
            weight=2 + 10 * math.sqrt(max(volume, 0.0) / top),
            opacity=0.9,
            tooltip=safe_text(f"{d.get('name', link_id)}: {volume:,.0f} vehicles a day, V/C {ratio:.2f}"),
            popup=popup(
                str(d.get("name", link_id)),
                [("link", link_id), ("volume", f"{volume:,.0f} vehicles/day"), ("volume/capacity", f"{ratio:.2f}")],
            ),
        ).add_to(group)
    legend = [(_line_symbol(c, 5), f"volume/capacity {text}") for _, c, text in VC_CLASSES]
    legend.append((_line_symbol("#777777", 10), f"width: vehicles a day (widest {top:,.0f})"))
    return Layer(group, legend)


def portfolio_map(
    G: nx.MultiDiGraph,
    view: PortfolioView,
    region: Region | None = None,
    *,
    metric: str | None = None,
    title: str | None = None,
    volumes: pd.DataFrame | None = None,
) -> Any:
    """Draw what a portfolio changes over the base network.

    The base network is faded; over it, the portfolio's projects by
    category and status, each with its popup; each zone's change as a
    choropleth (one layer per metric, a choice of one, on a diverging scale
    centred on zero; circles sized by population for a pack without
    polygons); the reach of each seaport and airport at 60, 90 and 120
    minutes before and after (hidden at first); link volumes and volume over
    capacity when given; the base network's gateways and economic zones.

    Parameters
    ----------
    G
        The base network.
    view
        What to draw (see :func:`corridor.present.briefing.brief`).
    region
        Its region, for the zone polygons and the attributions.
    metric
        The column of the metric shaded at first (one of ``view.metrics``).
    title
        Shown at the top; the portfolio's name when None.
    volumes
        Link volumes (``link_id``, ``volume_veh_day``, ``volume_capacity``);
        ``view.volumes`` when None.

    Raises
    ------
    SettingsError
        ``metric`` is not one of the view's metrics.
    """
    check_metric(metric, view.metrics)
    polygons = region.zone_polygons if region is not None else None
    points = _zone_points(G)
    layers = zone_change_layers(view.zones, view.metrics, polygons=polygons, points=points, first=metric)
    layers += faded_base_layers(G, region)
    volumes = volumes if volumes is not None else view.volumes
    if volumes is not None:
        layers.append(volume_layer(G, volumes))
    if view.reach is not None and len(view.reach):
        layers += reach_layers(view.reach, polygons=polygons, points=points)
    layers += project_layers(view)
    layers += [layer for layer in (gateway_layer(G), economic_zone_layer(G, show=False)) if layer is not None]
    base_year = region.base_year if region is not None else G.graph.get("base_year", "")
    heading = title or f"{view.name}: what it changes"
    subtitle = f"over the {base_year} base network; {len(view.projects)} projects; travel times: accessibility"
    if volumes is not None:
        subtitle += "; traffic: the model's peak-hour assignment"
    return finish_map(new_map(G), layers, title=heading, subtitle=subtitle, credits=credits_of(G, region))


def faded_base_layers(G: nx.MultiDiGraph, region: Region | None = None) -> list[Layer]:
    """The base network in grey, under a portfolio's changes: one legend row for all of it."""
    drawn = [*road_layers(G, faded=True), *rail_layers(G, region, faded=True)]
    colour, weight = FADED_ROAD_STYLE["trunk"]
    year = region.base_year if region is not None else G.graph.get("base_year", "")
    rows = [(_line_symbol(colour, weight), " ".join(f"Base network {year} (faded): roads by class, rail".split()))]
    rows += [row for layer in drawn if layer.group is None for row in layer.legend]  # what the scale left out
    return [*(Layer(layer.group) for layer in drawn if layer.group is not None), Layer(None, rows)]


def check_metric(metric: str | None, metrics: Sequence[MapMetric]) -> None:
    """Raise unless ``metric`` is None or one of ``metrics`` (a :class:`~corridor.errors.SettingsError`)."""
    if metric is not None and metric not in {m.column for m in metrics}:
        from corridor.errors import SettingsError

        raise SettingsError("unknown metric", field="metric", value=metric, allowed=[m.column for m in metrics])


def _with_projects(shading: Layer, projects: list[Layer]) -> Layer:
    """One group of a zone shading and a portfolio's projects, so that choosing one shows the other."""
    legend = list(shading.legend)
    for layer in projects:
        if layer.group is not None:
            for child in list(layer.group._children.values()):
                shading.group.add_child(child)
        legend += layer.legend
    return Layer(shading.group, legend)


def comparison_map(
    G: nx.MultiDiGraph,
    views: Sequence[PortfolioView],
    differences: Sequence[pd.DataFrame],
    region: Region | None = None,
    *,
    metric: str | None = None,
    title: str | None = None,
) -> Any:
    """Two synced panes: the first portfolio on the left; on the right, a choice of each other portfolio and
    of its difference from the first.

    Both panes shade the zones by one metric on one scale, so their colours
    compare; each pane shows its portfolio's projects over the faded base
    network, with its own legend and layer control.

    Parameters
    ----------
    G
        The base network.
    views
        The portfolios, at least two; the first is the reference.
    differences
        For each view after the first, the per-zone difference from the
        first (see :func:`corridor.present.briefing.zone_difference`).
    region
        For the zone polygons and the attributions.
    metric
        The metric column shaded; the views' first metric when None.
    title
        Shown above the left pane's title.
    """
    from folium.plugins import DualMap

    if len(views) < 2 or len(differences) != len(views) - 1:
        from corridor.errors import PortfolioError

        raise PortfolioError(
            "a comparison map needs two portfolios or more, and one difference for each after the first",
            value=len(views),
        )
    check_metric(metric, views[0].metrics)
    chosen = next(m for m in views[0].metrics if metric in (None, m.column))
    polygons = region.zone_polygons if region is not None else None
    points = _zone_points(G)
    values = np.concatenate([v.zones[chosen.column].to_numpy(dtype=float) for v in views])
    limit = _nice_limit(values)
    diff_values = np.concatenate([d[chosen.column].to_numpy(dtype=float) for d in differences])
    diff_limit = _nice_limit(diff_values)

    dual = DualMap(tiles=None, control_scale=True, prefer_canvas=True, zoom_snap=0.25, zoom_delta=0.5)
    dual.default_js = [("Leaflet.Sync", "https://cdn.jsdelivr.net/npm/leaflet.sync@0.2.4/L.Map.Sync.js")]
    for pane in (dual.m1, dual.m2):
        _prepare(pane)
    _fit(dual.m1, G)
    _fit(dual.m2, G)
    credits = credits_of(G, region)
    reference = views[0]

    left = zone_change_layers(
        reference.zones,
        [chosen],
        polygons=polygons,
        points=points,
        label=reference.name,
        limits={chosen.column: limit},
        radio=False,
    )
    left += faded_base_layers(G, region)
    left += project_layers(reference, label=reference.name)
    finish_map(
        dual.m1,
        left,
        title=title or f"{reference.name} (left) against {', '.join(v.name for v in views[1:])} (right)",
        subtitle=f"{chosen.title}, change over the base; blue is better",
        credits=credits,
        dom_suffix="-left",
    )

    right: list[Layer] = []
    for i, (view, diff) in enumerate(zip(views[1:], differences, strict=True)):
        for zones, label, lim, first in (
            (view.zones, view.name, limit, chosen.column if i == 0 else ""),
            (diff, f"{view.name} − {reference.name}", diff_limit, ""),
        ):
            shading = zone_change_layers(
                zones, [chosen], polygons=polygons, points=points, label=label, limits={chosen.column: lim}, first=first
            )[0]
            right.append(_with_projects(shading, project_layers(view, label=view.name)))
    right.append(Layer(_group("Zones: no shading", show=False, overlay=False), []))
    right += faded_base_layers(G, region)
    finish_map(
        dual.m2,
        right,
        title=f"{views[1].name}: {chosen.title}",
        subtitle=f"choose another portfolio, or its difference from {reference.name}, in the layer control",
        credits=credits,
        dom_suffix="-right",
        title_follows_choice=True,
    )
    return dual


# ------------------------------------------------------------------ writing


def _elements(root: Element) -> Iterable[Element]:
    """Every element under ``root`` (itself included), each once, in a fixed order."""
    seen: set[int] = set()
    stack: list[Element] = [root]
    while stack:
        element = stack.pop()
        if id(element) in seen:
            continue
        seen.add(id(element))
        yield element
        children: list[Element] = [c for c in vars(element).values() if isinstance(c, Element) and c is not element]
        children += list(getattr(element, "_children", {}).values())
        stack.extend(reversed([c for c in children if c is not getattr(element, "_parent", None)]))


def seed_ids(fmap: Any) -> Any:
    """Number every element of a map's page in order, so the same map renders to the same bytes.

    Folium and branca give each element a random id; the ids only name
    JavaScript variables and HTML elements, so numbering them in a fixed
    order changes nothing a reader sees.
    """
    elements = list(_elements(fmap.get_root()))
    # children are kept by name, and some templates print those names: note which keys were the names
    named = {
        id(e): [(key, child, key == child.get_name()) for key, child in e._children.items()]
        for e in elements
        if getattr(e, "_children", None)
    }
    for n, element in enumerate(elements):
        element._id = f"{n:06d}"
    for element in elements:
        if id(element) in named:
            element._children = OrderedDict(
                (child.get_name() if by_name else key, child) for key, child, by_name in named[id(element)]
            )
    return fmap


def save_map(fmap: Any, path: str | Path) -> Path:
    """Write a map as one HTML file, atomically, with its element ids numbered; return its path."""
    target = Path(path)
    seed_ids(fmap)
    with atomic_path(target) as tmp:
        fmap.save(str(tmp))
    return target

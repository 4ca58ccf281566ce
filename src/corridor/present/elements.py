"""The pieces every map is made of: the page's elements, popups, legend symbols, colour scales, coordinates.

The elements are branca templates: the legend (:class:`Legend`, listing only
the layers that are on), the title (:class:`Title`), the data sources
(:class:`Attribution`), the stylesheet (:class:`MapStyle`) and the folding of
the layer control (:class:`LayerControl`). A :class:`Layer` is a switchable
group of a map with the legend rows that explain it.

Every piece of user text (names, sources, ids) goes through :func:`safe_text`
before it reaches a popup, tooltip, layer name or legend: HTML-escaped, and
with the characters that would end or interpolate a JavaScript template
literal (`````, ``$``, ``\\``) or open a Jinja tag (``{``, ``}``) written as
HTML entities, so it shows as text and never runs. A map is written with its
rendered text kept as text (:func:`plain_rendering`): Branca would compile
each element's output as a template again, which takes about a millisecond an
element and runs any template syntax in it. Coordinates are written as Leaflet's ``[lat, lon]``, rounded
to about a metre (:func:`latlon`).
"""

from __future__ import annotations

import contextlib
import html
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from branca.element import Element, Figure, MacroElement
from jinja2 import Template
from shapely.geometry import LineString, MultiLineString, Polygon
from shapely.geometry.base import BaseGeometry

__all__ = [
    "Attribution",
    "COORD_DECIMALS",
    "DIVERGING",
    "Layer",
    "LayerControl",
    "Legend",
    "MapStyle",
    "NO_DATA_COLOUR",
    "OUTLINE",
    "PANES",
    "Title",
    "box_symbol",
    "diverging_colour",
    "dot_symbol",
    "feature_group",
    "gradient_symbol",
    "latlon",
    "line_symbol",
    "lines_of",
    "nice_limit",
    "on_pane",
    "plain_rendering",
    "popup",
    "rings_of",
    "safe_text",
]

#: the dark outline of every point symbol, so it shows on a light or missing basemap
OUTLINE = "#333333"
#: the diverging scale of changes: worse (red) through no change (near white) to better (blue)
DIVERGING = ["#b2182b", "#ef8a62", "#fddbc7", "#f7f7f7", "#d1e5f0", "#67a9cf", "#2166ac"]
NO_DATA_COLOUR = "#bdbdbd"
#: map panes, bottom to top: zone shading, reach, the network, projects (markers sit above all)
PANES = {"zones": 350, "reach": 380, "projects": 450}
#: decimal places of the coordinates written to a map (about 1 m)
COORD_DECIMALS = 5


def safe_text(value: Any) -> str:
    """User text made safe for HTML and for a JavaScript template literal (Folium's popups and tooltips)."""
    text = html.escape(str(value), quote=True)
    text = text.replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")
    return text.replace("{", "&#123;").replace("}", "&#125;")


class _Text(Element):
    """An element's rendered text, kept as it is."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text[:-1] if text.endswith("\n") else text  # as Jinja drops a template's last newline

    def render(self, **kwargs: Any) -> str:
        return self._text


def _render_macro(self: MacroElement, **kwargs: Any) -> None:
    """:meth:`branca.element.MacroElement.render`, with the macros' output added as text, not as a template."""
    figure = self.get_root()
    if not isinstance(figure, Figure):
        raise TypeError("an element is rendered only inside a Figure")
    module = self._template.module
    for part in ("header", "html", "script"):
        macro = module.__dict__.get(part)
        if macro is not None:
            getattr(figure, part).add_child(_Text(macro(self, kwargs)), name=self.get_name())
    for element in self._children.values():
        element.render(**kwargs)


@contextlib.contextmanager
def plain_rendering() -> Iterator[None]:
    """While a map is written: each element's rendered text is added to the page as text.

    Branca's ``MacroElement.render`` wraps each element's output in a new
    ``Element``, which compiles it as a Jinja template (about a millisecond
    each, most of the time of writing a map of two thousand elements) and runs
    any ``{{ }}`` or ``{% %}`` in it. The page is otherwise the same.
    """
    original = MacroElement.render
    MacroElement.render = _render_macro  # type: ignore[method-assign]
    try:
        yield
    finally:
        MacroElement.render = original  # type: ignore[method-assign]


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


def feature_group(name: str, *, show: bool = True, overlay: bool = True) -> Any:
    """A switchable group of the layer control, its name made safe text."""
    import folium

    return folium.FeatureGroup(name=safe_text(name), show=show, overlay=overlay)


def line_symbol(colour: str, weight: float, *, dashed: bool = False, double: bool = False, opacity: float = 1.0) -> str:
    """A legend symbol of a line: solid, dashed or double."""
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


def dot_symbol(fill: str, *, size_px: int = 11, border: str = OUTLINE, opacity: float = 1.0) -> str:
    """A legend symbol of a point: a round dot with an outline."""
    return (
        f"<span style='display:inline-block;width:{size_px}px;height:{size_px}px;border-radius:50%;"
        f"background:{fill};border:1.5px solid {border};opacity:{opacity:g};vertical-align:middle'></span>"
    )


def box_symbol(fill: str, *, border: str = OUTLINE, dashed: bool = False, opacity: float = 1.0) -> str:
    """A legend symbol of an area: a small box, its border solid or dashed."""
    style = "dashed" if dashed else "solid"
    return (
        f"<span style='display:inline-block;width:16px;height:11px;background:{fill};"
        f"border:1.5px {style} {border};opacity:{opacity:g};vertical-align:middle'></span>"
    )


def latlon(coords: Iterable[Sequence[float]]) -> list[list[float]]:
    """(lon, lat) pairs as Leaflet's [lat, lon], rounded to about a metre."""
    return [[round(float(c[1]), COORD_DECIMALS), round(float(c[0]), COORD_DECIMALS)] for c in coords]


def lines_of(geometry: BaseGeometry) -> list[list[list[float]]]:
    """The parts of a (multi)line as Leaflet polylines."""
    if isinstance(geometry, LineString):
        return [latlon(geometry.coords)] if not geometry.is_empty else []
    if isinstance(geometry, MultiLineString):
        return [latlon(g.coords) for g in geometry.geoms if not g.is_empty]
    if hasattr(geometry, "geoms"):
        return [part for g in geometry.geoms for part in lines_of(g)]
    return []


def rings_of(geometry: BaseGeometry) -> list[list[list[float]]]:
    """Every ring of a (multi)polygon, for Leaflet's even-odd fill (holes stay holes, islands fill)."""
    if isinstance(geometry, Polygon):
        if geometry.is_empty:
            return []
        return [latlon(geometry.exterior.coords), *(latlon(r.coords) for r in geometry.interiors)]
    if hasattr(geometry, "geoms"):
        return [ring for g in geometry.geoms for ring in rings_of(g)]
    return []


def on_pane(element: Any, pane: str) -> Any:
    """Put a map element on one of the map's :data:`PANES`; return it."""
    element.options["pane"] = pane
    return element


def nice_limit(values: np.ndarray) -> float:
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


def diverging_colour(value: float, limit: float, better: int) -> str:
    """The colour of a change: blue where better, red where worse, near white for none, grey for no data."""
    from branca.colormap import LinearColormap

    if value is None or not math.isfinite(value):
        return NO_DATA_COLOUR
    score = max(-1.0, min(1.0, value * better / limit))
    return str(LinearColormap(DIVERGING, vmin=-1.0, vmax=1.0).rgb_hex_str(score))


def gradient_symbol(limit: float, better: int, unit: str) -> str:
    """A colour bar from -limit to +limit, its ends labelled."""
    colours = DIVERGING if better > 0 else DIVERGING[::-1]
    return (
        f"<span style='font-size:10px'>−{limit:g}</span>"
        f"<span style='display:inline-block;width:70px;height:10px;margin:0 3px;border:1px solid #777;"
        f"background:linear-gradient(to right,{','.join(colours)})'></span>"
        f"<span style='font-size:10px'>+{limit:g} {html.escape(unit)}</span>"
    )

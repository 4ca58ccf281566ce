"""Interactive Folium maps of a network and its region, built from layer functions.

Maps only draw what they are given; they compute no metric. The maps and
their layers (:mod:`~corridor.present.layers`,
:mod:`~corridor.present.portfolio_layers`) are the modules that work in
EPSG:4326 for display: graph nodes and edge geometries are already lon/lat,
and region layers are converted there.

A map is a base (:func:`new_map`), some
:class:`~corridor.present.elements.Layer` objects (each a switchable group
of the layer control with its legend rows) and a finish (:func:`finish_map`:
layer control, legend, title, attributions). :func:`base_map` composes the
layers of the base network; :func:`portfolio_map` draws a portfolio's
projects and what they change, from a
:class:`~corridor.present.briefing.PortfolioView`; :func:`comparison_map`
puts portfolios side by side in two synced panes. Every map is readable on a
laptop: the network fills the view, the layer control and the legend fold
away (the legend lists only the layers that are on).

User text reaches a map only through
:func:`~corridor.present.elements.safe_text`. :func:`save_map` numbers every
element in order before it writes, so the same map is the same bytes on
every run.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from branca.element import Element
from folium.plugins import DualMap

from corridor.files import atomic_path
from corridor.inputs.region import Region
from corridor.present.briefing import MapMetric, PortfolioView
from corridor.present.elements import (
    PANES,
    Attribution,
    Layer,
    LayerControl,
    Legend,
    MapStyle,
    Title,
    feature_group,
    nice_limit,
    plain_rendering,
)
from corridor.present.layers import (
    economic_zone_layer,
    faded_base_layers,
    gateway_layer,
    inactive_rail_layers,
    rail_layers,
    road_layers,
    zone_layer,
)
from corridor.present.offline import inline_file
from corridor.present.portfolio_layers import (
    project_layers,
    reach_layers,
    volume_layer,
    zone_change_layers,
    zone_points,
)

__all__ = [
    "base_map",
    "check_metric",
    "comparison_map",
    "finish_map",
    "new_map",
    "portfolio_map",
    "save_map",
    "seed_ids",
]


# ------------------------------------------------------------------ the map and its finish


class _PlainPage:
    """Render a Folium page with each element's rendered text kept as text (see :func:`plain_rendering`)."""

    def _repr_html_(self, **kwargs: Any) -> str:
        with plain_rendering():
            return str(super()._repr_html_(**kwargs))  # type: ignore[misc]

    def save(self, outfile: Any, close_file: bool = True, **kwargs: Any) -> None:
        with plain_rendering():
            super().save(outfile, close_file=close_file, **kwargs)  # type: ignore[misc]


class CorridorMap(_PlainPage, folium.Map):
    """A Folium map whose page keeps each element's rendered text as text (see :func:`plain_rendering`).

    Written to a file or shown in a notebook, the page is Folium's own,
    drawn several times faster, and names with braces show as typed.
    """


class CorridorDualMap(_PlainPage, DualMap):
    """Two synced Folium maps, rendered as :class:`CorridorMap` is."""


def new_map(G: nx.MultiDiGraph, *, fit: bool = True) -> Any:
    """An empty map framed on the network, with the OpenStreetMap basemap.

    The map zooms in quarter steps, so the network fills the view at any
    window size, below the title.
    """
    fmap = CorridorMap(tiles=None, control_scale=True, prefer_canvas=True, zoom_snap=0.25, zoom_delta=0.5)
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
    """Frame a map on the network's nodes, below the title."""
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
    points = zone_points(G)
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
    if len(views) < 2 or len(differences) != len(views) - 1:
        from corridor.errors import PortfolioError

        raise PortfolioError(
            "a comparison map needs two portfolios or more, and one difference for each after the first",
            value=len(views),
        )
    check_metric(metric, views[0].metrics)
    chosen = next(m for m in views[0].metrics if metric in (None, m.column))
    shading = _Shading(
        metric=chosen,
        polygons=region.zone_polygons if region is not None else None,
        points=zone_points(G),
        limit=nice_limit(np.concatenate([v.zones[chosen.column].to_numpy(dtype=float) for v in views])),
        difference_limit=nice_limit(np.concatenate([d[chosen.column].to_numpy(dtype=float) for d in differences])),
    )
    dual = _dual_map(G)
    credits = credits_of(G, region)
    reference = views[0]
    left = shading.layers(reference.zones, label=reference.name, limit=shading.limit, radio=False)
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
    finish_map(
        dual.m2,
        _right_layers(G, views, differences, shading, region),
        title=f"{views[1].name}: {chosen.title}",
        subtitle=f"choose another portfolio, or its difference from {reference.name}, in the layer control",
        credits=credits,
        dom_suffix="-right",
        title_follows_choice=True,
    )
    return dual


@dataclass(frozen=True)
class _Shading:
    """How both panes of a comparison shade the zones: one metric, on one scale for the portfolios and one for
    their differences, so that colours compare."""

    metric: MapMetric
    polygons: gpd.GeoDataFrame | None
    points: dict[str, tuple[float, float]]
    limit: float
    difference_limit: float

    def layers(
        self, zones: pd.DataFrame, *, label: str, limit: float, first: str | None = None, radio: bool = True
    ) -> list[Layer]:
        """The zones shaded by the metric (see :func:`~corridor.present.portfolio_layers.zone_change_layers`)."""
        return zone_change_layers(
            zones,
            [self.metric],
            polygons=self.polygons,
            points=self.points,
            label=label,
            limits={self.metric.column: limit},
            first=first,
            radio=radio,
        )


def _dual_map(G: nx.MultiDiGraph) -> Any:
    """Two synced panes, each with the basemap, the panes and the stylesheet, framed on the network."""
    dual = CorridorDualMap(tiles=None, control_scale=True, prefer_canvas=True, zoom_snap=0.25, zoom_delta=0.5)
    dual.default_js = [("Leaflet.Sync", "https://cdn.jsdelivr.net/npm/leaflet.sync@0.2.4/L.Map.Sync.js")]
    for pane in (dual.m1, dual.m2):
        _prepare(pane)
    _fit(dual.m1, G)
    _fit(dual.m2, G)
    return dual


def _right_layers(
    G: nx.MultiDiGraph,
    views: Sequence[PortfolioView],
    differences: Sequence[pd.DataFrame],
    shading: _Shading,
    region: Region | None,
) -> list[Layer]:
    """The right pane's choice: each portfolio after the first, and its difference from the first, each with
    its projects; then no shading, and the faded base network."""
    reference = views[0]
    right: list[Layer] = []
    for i, (view, diff) in enumerate(zip(views[1:], differences, strict=True)):
        for zones, label, limit, first in (
            (view.zones, view.name, shading.limit, shading.metric.column if i == 0 else ""),
            (diff, f"{view.name} − {reference.name}", shading.difference_limit, ""),
        ):
            layer = shading.layers(zones, label=label, limit=limit, first=first)[0]
            right.append(_with_projects(layer, project_layers(view, label=view.name)))
    right.append(Layer(feature_group("Zones: no shading", show=False, overlay=False), []))
    return right + faded_base_layers(G, region)


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


def save_map(fmap: Any, path: str | Path, *, offline: bool = True) -> Path:
    """Write a map as one HTML file, atomically, with its element ids numbered; return its path.

    With ``offline`` (the default), the scripts and stylesheets it links are
    written into the page (:func:`corridor.present.offline.inline_assets`): it
    opens with no network, the basemap's tiles aside. Without, they are
    linked from public CDNs (a file about 1 MB smaller).
    """
    target = Path(path)
    seed_ids(fmap)
    with atomic_path(target) as tmp, plain_rendering():  # a map made elsewhere too
        fmap.save(str(tmp))
        if offline:
            inline_file(tmp)
    return target

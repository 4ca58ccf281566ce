"""The layers of what a portfolio changes, one function each: the change per zone, the reach of each
port and airport, the projects and the traffic.

They draw what a :class:`~corridor.present.briefing.PortfolioView` holds and
compute no metric; what projects change is drawn in full, above the faded
base network.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from corridor.geo import DISPLAY_CRS, METRIC_CRS
from corridor.present.briefing import MapMetric, PortfolioView
from corridor.present.elements import (
    NO_DATA_COLOUR,
    OUTLINE,
    Layer,
    box_symbol,
    diverging_colour,
    dot_symbol,
    feature_group,
    gradient_symbol,
    latlon,
    line_symbol,
    lines_of,
    nice_limit,
    on_pane,
    popup,
    rings_of,
    safe_text,
)
from corridor.present.layers import forward_edges

__all__ = [
    "CATEGORY_STYLE",
    "PROPOSED_STATUSES",
    "REACH_COLOURS",
    "VC_CLASSES",
    "project_layers",
    "reach_layers",
    "volume_layer",
    "zone_change_layers",
    "zone_points",
]

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
#: reach thresholds' colours, nearest first
REACH_COLOURS = ["#54278f", "#807dba", "#bcbddc"]
#: volume over capacity: upper bound of each class and its colour
VC_CLASSES = [(0.6, "#1a9850", "below 0.6"), (0.85, "#fee08b", "0.6–0.85"), (1.0, "#f46d43", "0.85–1"),
              (math.inf, "#a50026", "over 1")]  # fmt: skip


def zone_points(G: nx.MultiDiGraph) -> dict[str, tuple[float, float]]:
    """Each zone's (lat, lon), by zone id."""
    return {str(d.get("place_id")): (d["y"], d["x"]) for _, d in G.nodes(data=True) if d.get("kind") == "zone"}


def _display_polygons(polygons: gpd.GeoDataFrame | None) -> gpd.GeoSeries | None:
    """The zones' polygons in EPSG:4326, indexed by zone id as text; None when there are none."""
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
    shapes = _display_polygons(polygons)
    rings = {str(z): rings_of(g) for z, g in shapes.items()} if shapes is not None else None  # once for every layer
    if first is None:
        first = metrics[0].column if metrics else None
    layers = []
    for metric in metrics:
        values = zones[metric.column].to_numpy(dtype=float)
        limit = (limits or {}).get(metric.column) or nice_limit(values)
        group = feature_group(f"{label}: {metric.title}", show=metric.column == first, overlay=not radio)
        for zone_id, row in zones.iterrows():
            value = float(row[metric.column])
            colour = diverging_colour(value, limit, metric.better)
            shade = _zone_shade(str(zone_id), row, colour, safe_text(_zone_tip(row, metric, value)), rings, points)
            if shade is not None:
                on_pane(shade, "zones").add_to(group)
        layers.append(Layer(group, _shading_legend(metric, limit, values, polygons=shapes is not None)))
    if radio and layers:
        layers.append(Layer(feature_group(f"{label}: no shading", show=not first, overlay=False), []))
    return layers


def _zone_shade(
    zid: str,
    row: pd.Series,
    colour: str,
    tip: str,
    rings: dict[str, list[list[list[float]]]] | None,
    points: dict[str, tuple[float, float]],
) -> Any:
    """A zone shaded in a colour: its polygon's rings (dashed where it has no value), else a circle sized by
    its population; None for a zone with neither."""
    import folium

    if rings is not None and zid in rings:
        return folium.Polygon(
            rings[zid],
            color="#555555",
            weight=0.6,
            fill=True,
            fill_color=colour,
            fill_opacity=0.7,
            dash_array="3 3" if colour == NO_DATA_COLOUR else None,
            tooltip=tip,
        )
    if zid in points:
        pop = float(row.get("population") or 0)
        return folium.CircleMarker(
            points[zid],
            radius=max(4.0, math.sqrt(pop) / 70),
            color=OUTLINE,
            weight=1,
            fill=True,
            fill_color=colour,
            fill_opacity=0.85,
            tooltip=tip,
        )
    return None


def _shading_legend(metric: MapMetric, limit: float, values: np.ndarray, *, polygons: bool) -> list[tuple[str, str]]:
    """The legend of a shading: its colour bar, which way is better, and the colour of no value when any."""
    shape = "zone" if polygons else "zone (circle sized by population)"
    better = "lower" if metric.better < 0 else "higher"
    legend = [(gradient_symbol(limit, metric.better, ""), f"{metric.title} per {shape}; blue is better ({better})")]
    if not np.isfinite(values).all():
        legend.append((box_symbol(NO_DATA_COLOUR, dashed=True), "no value (no such place reached)"))
    return legend


def _zone_tip(row: pd.Series, metric: MapMetric, value: float) -> str:
    """A zone's tooltip: its change, and its values before and after."""
    text = f"{row['name']}: {metric.title} "
    text += f"{value:+,.1f}" if math.isfinite(value) else "n/a"
    if metric.before and metric.after and metric.before in row and metric.after in row:
        before, after = float(row[metric.before]), float(row[metric.after])
        text += f" ({_short(before)} → {_short(after)} {metric.unit})".replace(" )", ")")
    return text


def _short(value: float) -> str:
    """A value in a few characters: millions as ``M``, ``unreachable`` for infinity."""
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
    shapes = polygons.geometry if polygons is not None and len(polygons) else None
    if shapes is not None:
        shapes = shapes.set_axis(shapes.index.astype(str))
    unions: dict[tuple[str, ...], BaseGeometry | None] = {}  # the same zones are within reach of many
    return [
        _reach_layer(reach.loc[gateway_id], shapes=shapes, points=points, show=show, unions=unions)
        for gateway_id in dict.fromkeys(reach.index.get_level_values(0))
    ]


def _reach_layer(
    reach: pd.DataFrame,
    *,
    shapes: gpd.GeoSeries | None,
    points: dict[str, tuple[float, float]],
    show: bool,
    unions: dict[tuple[str, ...], BaseGeometry | None],
) -> Layer:
    """One gateway's reach (its rows of the reach frame, indexed by threshold): a shade per threshold."""
    rows = reach.sort_index(ascending=False)  # farthest first, nearest drawn on top
    name = str(rows["name"].iloc[0])
    kind = str(rows["gateway_type"].iloc[0])
    thresholds = sorted(rows.index)
    group = feature_group(f"Reach of {name} ({kind}, {'/'.join(str(t) for t in thresholds)} min)", show=show)
    colours = dict(zip(thresholds, REACH_COLOURS, strict=False))
    for threshold, row in rows.iterrows():
        colour = colours.get(threshold, REACH_COLOURS[-1])
        tip = safe_text(
            f"{name}: within {threshold} min, {_short(row['population_scenario'])} people after, "
            f"{_short(row['population_base'])} before"
        )
        if shapes is not None:
            _reach_areas(group, shapes, row, colour=colour, tip=tip, unions=unions)
        else:
            _reach_dots(group, points, row, colour=colour, tip=tip)
    shades = "".join(box_symbol(colours[t], border=colours[t], opacity=0.6) for t in thresholds)
    legend = [
        (shades, f"{name}: within {', '.join(str(t) for t in thresholds)} min after (darkest nearest)"),
        (box_symbol("transparent", dashed=True), "the same, before"),
    ]
    return Layer(group, legend)


def _reach_areas(
    group: Any,
    shapes: gpd.GeoSeries,
    row: pd.Series,
    *,
    colour: str,
    tip: str,
    unions: dict[tuple[str, ...], BaseGeometry | None],
) -> None:
    """The zones within a threshold as one area: shaded after, dashed outline before (``unions`` kept by zones)."""
    import folium

    for zones in (row["zones_scenario"], row["zones_base"]):
        if tuple(zones) not in unions:
            unions[tuple(zones)] = _union(shapes, zones)
    after, before = unions[tuple(row["zones_scenario"])], unions[tuple(row["zones_base"])]
    if after is not None:
        polygon = folium.Polygon(
            rings_of(after), color=colour, weight=1, fill=True, fill_color=colour, fill_opacity=0.3, tooltip=tip
        )
        on_pane(polygon, "reach").add_to(group)
    if before is not None:
        outline = folium.Polygon(rings_of(before), color=OUTLINE, weight=1.5, dash_array="5 4", fill=False, tooltip=tip)
        on_pane(outline, "reach").add_to(group)


def _reach_dots(group: Any, points: dict[str, tuple[float, float]], row: pd.Series, *, colour: str, tip: str) -> None:
    """The zones within a threshold after, as dots; those within it before too have a heavier outline."""
    import folium

    for zid in row["zones_scenario"]:
        if zid in points:
            dot = folium.CircleMarker(
                points[zid],
                radius=5,
                color=OUTLINE,
                weight=1.5 if zid in row["zones_base"] else 0.5,
                fill=True,
                fill_color=colour,
                fill_opacity=0.8,
                tooltip=tip,
            )
            on_pane(dot, "reach").add_to(group)


def _union(shapes: gpd.GeoSeries, zone_ids: Iterable[str]) -> BaseGeometry | None:
    """The zones' polygons as one, simplified a little, in EPSG:4326."""
    chosen = shapes.reindex([z for z in zone_ids if z in shapes.index])
    if not len(chosen):
        return None
    metric = chosen.to_crs(METRIC_CRS)
    merged = shapely.union_all(metric.to_numpy()).buffer(0).simplify(200.0)
    return gpd.GeoSeries([merged], crs=METRIC_CRS).to_crs(DISPLAY_CRS).iloc[0]


def _project_popup(pid: str, project: pd.Series, view: PortfolioView, *, detail: str | None = None) -> Any:
    """A project's popup: its facts, its marginal gain on each headline and its benefit-cost ratio, when known."""
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
    layers: list[Layer] = []
    kinds_seen: set[str] = set()
    categories = list(dict.fromkeys(str(c) for c in view.projects["category"]))
    for category in categories:
        colour, marker_colour, icon = CATEGORY_STYLE.get(category, ("#444444", "gray", "circle"))
        in_category = view.projects[view.projects["category"] == category]
        group = feature_group(f"{label}: {category} ({len(in_category)})")
        for project_id, project in in_category.iterrows():
            pid = str(project_id)
            mine = view.features[view.features["project_id"] == pid]
            kinds_seen.update(str(k) for k in mine["kind"])
            drawn = _Drawn(pid, project, view, mine, group)
            _draw_links(drawn, colour, dashed=str(project.get("status")) in PROPOSED_STATUSES)
            _draw_stations(drawn)
            _draw_points(drawn, marker_colour, icon)
        layers.append(Layer(group, [(line_symbol(colour, 4), f"{label}: {category}")]))
    keys = [(symbol, text) for kind, symbol, text in _KIND_KEYS if kind in kinds_seen]
    if keys:
        layers.append(Layer(None, keys))
    return layers


#: the legend's key to what a project draws, by kind of feature: (kind, symbol, what it is)
_KIND_KEYS = (
    ("new_link", line_symbol("#555555", 3), "new link (dashed: planned or proposed)"),
    ("station", dot_symbol("white"), "new station"),
    ("upgraded_link", line_symbol("#555555", 3, double=True), "upgraded link"),
    ("closed_link", line_symbol("#7f0000", 3, dashed=True), "closed link"),
    ("new_gateway", "<i class='fa fa-ship'></i>", "new port or airport"),
    ("gateway_upgrade", "<i class='fa fa-arrow-up'></i>", "port or airport upgraded"),
    ("investment", "<i class='fa fa-industry'></i>", "investment (jobs or residents)"),
)


@dataclass(frozen=True)
class _Drawn:
    """One project being drawn: its id, its row of the view's projects, its features and the group they go in."""

    pid: str
    project: pd.Series
    view: PortfolioView
    features: gpd.GeoDataFrame
    group: Any

    @property
    def name(self) -> str:
        """The project's name (its id when it has none)."""
        return str(self.project.get("name", self.pid))


def _draw_links(drawn: _Drawn, colour: str, *, dashed: bool) -> None:
    """A project's new, upgraded and closed links, each kind with a popup on a wide transparent line above."""
    import folium

    for kind, style in (("new_link", "new"), ("upgraded_link", "upgrade"), ("closed_link", "closed")):
        links = drawn.features[drawn.features["kind"] == kind]
        if not len(links):
            continue
        parts = [part for g in links.geometry for part in lines_of(g)]
        for line in _project_lines(parts, colour, style, dashed=dashed):
            line.add_to(drawn.group)
        # the popup sits on a wide transparent line above, so a click anywhere near the line opens it
        on_pane(
            folium.PolyLine(
                parts,
                color=colour,
                weight=14,
                opacity=0.0,
                tooltip=safe_text(f"{drawn.name} ({kind.replace('_', ' ')})"),
                popup=_project_popup(drawn.pid, drawn.project, drawn.view),
            ),
            "projects",
        ).add_to(drawn.group)


def _draw_stations(drawn: _Drawn) -> None:
    """A project's new stations: white dots with a dark outline."""
    import folium

    for _, st in drawn.features[drawn.features["kind"] == "station"].iterrows():
        on_pane(
            folium.CircleMarker(
                (st.geometry.y, st.geometry.x),
                radius=4.5,
                color=OUTLINE,
                weight=2,
                fill=True,
                fill_color="white",
                fill_opacity=1,
                tooltip=safe_text(f"{st['name']} station ({drawn.name})"),
                popup=popup(f"{st['name']} station", [("project", drawn.name), ("line", st.get("detail"))]),
            ),
            "projects",
        ).add_to(drawn.group)


def _draw_points(drawn: _Drawn, marker_colour: str, icon: str) -> None:
    """A project's new gateways, gateway upgrades and investments: markers with the kind's icon."""
    import folium

    points = drawn.features[drawn.features["kind"].isin(["new_gateway", "gateway_upgrade", "investment"])]
    for _, pt in points.iterrows():
        point_icon = {"seaport": "ship", "airport": "plane", "dry_port": "truck"}.get(str(pt.get("gateway_type")), icon)
        if pt["kind"] == "gateway_upgrade":
            point_icon = "arrow-up"
        folium.Marker(
            (pt.geometry.y, pt.geometry.x),
            icon=folium.Icon(icon=point_icon, prefix="fa", color=marker_colour),
            tooltip=safe_text(f"{drawn.name}: {str(pt['kind']).replace('_', ' ')} at {pt['name']}"),
            popup=_project_popup(drawn.pid, drawn.project, drawn.view, detail=pt.get("detail") or None),
        ).add_to(drawn.group)


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
        on_pane(folium.PolyLine(parts, color=casing[0], weight=casing[1], opacity=0.9), "projects"),
        on_pane(folium.PolyLine(parts, color=line[0], weight=line[1], opacity=1.0, dash_array=dash), "projects"),
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
    group = feature_group("Traffic: volume and volume/capacity", show=show)
    drawn: set[str] = set()
    for _, _, d in sorted(forward_edges(G, "road"), key=lambda e: by_id.get(str(e[2].get("link_id")), (0, 0))[0]):
        link_id = str(d.get("link_id"))
        if link_id not in by_id or link_id in drawn:
            continue
        drawn.add(link_id)
        volume, ratio = by_id[link_id]
        colour = next(c for upper, c, _ in VC_CLASSES if ratio < upper or upper == math.inf)
        folium.PolyLine(
            latlon(d["geometry"].coords),
            color=colour,
            weight=2 + 10 * math.sqrt(max(volume, 0.0) / top),
            opacity=0.9,
            tooltip=safe_text(f"{d.get('name', link_id)}: {volume:,.0f} vehicles a day, V/C {ratio:.2f}"),
            popup=popup(
                str(d.get("name", link_id)),
                [("link", link_id), ("volume", f"{volume:,.0f} vehicles/day"), ("volume/capacity", f"{ratio:.2f}")],
            ),
        ).add_to(group)
    legend = [(line_symbol(c, 5), f"volume/capacity {text}") for _, c, text in VC_CLASSES]
    legend.append((line_symbol("#777777", 10), f"width: vehicles a day (widest {top:,.0f})"))
    return Layer(group, legend)

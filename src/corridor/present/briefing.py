"""What the maps and reports of portfolios draw, worked out from their scores.

Maps and reports compute no metric; this module does it for them, from a
portfolio's :class:`~corridor.access.scores.ScoreResult` and the scorer's
travel-time matrices:

- :func:`zone_changes`: each zone's change of every headline that has a
  value per zone, in the headline's unit;
- :func:`reach_change`: the zones within 60, 90 and 120 minutes of each
  seaport and airport, before and after;
- :func:`project_features`: what each project draws (new lines and their
  stations, upgraded and closed links, gateways, investments), from the
  scenario's typed changes;
- :func:`project_table`: each project's facts, marginal gains and (when
  given) benefit-cost ratio;
- :func:`province_times`: the population-weighted time to the nearest
  seaport by province, before and after;
- :func:`brief` and :func:`briefs`: all of it for one portfolio (or several
  on one scorer), with the :class:`PortfolioView` the maps draw.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from shapely.geometry import Point

from corridor.access.metrics import HEADLINES, THRESHOLDS_MIN, reach_from_matrices
from corridor.access.scorer import PortfolioScorer
from corridor.access.scores import ScoreResult, score
from corridor.errors import DataError
from corridor.inputs.projects import Portfolio
from corridor.inputs.region import Region
from corridor.network.changes import EdgeAdded, EdgeChanged, EdgeRemoved, NodeAdded, NodeChanged
from corridor.network.scenario import Scenario, apply_portfolio
from corridor.settings import Settings

__all__ = [
    "ZONE_HEADLINES",
    "Brief",
    "MapMetric",
    "PortfolioView",
    "brief",
    "briefs",
    "map_metrics",
    "project_features",
    "project_table",
    "province_times",
    "reach_change",
    "scored_briefs",
    "zone_changes",
    "zone_difference",
    "zone_differences",
]


@dataclass(frozen=True)
class ZoneHeadline:
    """A headline that has a value per zone.

    Attributes
    ----------
    column
        The headline's column (see :data:`corridor.access.metrics.HEADLINES`).
    zone_column
        The column of :attr:`corridor.access.scores.ScoreResult.zones` (without
        ``_base``, ``_scenario``, ``_change``).
    relative
        The change is a percentage of the base value.
    unit
        The unit of the zone's values before and after.
    scale
        Multiplier from a change in ``unit`` to the column's (60: hours to minutes).
    """

    column: str
    zone_column: str
    relative: bool
    unit: str
    scale: float = 1.0


#: the headlines with a value per zone, in the order of the comparison table
ZONE_HEADLINES: tuple[ZoneHeadline, ...] = (
    ZoneHeadline("d_to_seaport_min", "to_seaport_min", False, "min"),
    ZoneHeadline("d_to_airport_min", "to_airport_min", False, "min"),
    ZoneHeadline("d_door_to_ship_min", "door_to_ship_h", False, "h", scale=60.0),
    ZoneHeadline("d_market_access_pop_pct", "market_access_pop", True, "people"),
    ZoneHeadline("d_market_access_jobs_pct", "market_access_jobs", True, "jobs"),
)


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


#: edge modes a project draws (connectors and transfers are left out)
_DRAWN_MODES = frozenset({"road", "rail", "sea", "ferry", "air", "bridge"})
_CENTROID_KINDS = frozenset({"zone", "gateway", "economic_zone"})


def map_metrics() -> tuple[MapMetric, ...]:
    """The per-zone headlines as the maps draw them: column, title, which way is better, before and after."""
    by_column = {h.column: h for h in HEADLINES}
    return tuple(
        MapMetric(
            column=z.column,
            title=by_column[z.column].title,
            better=by_column[z.column].better,
            before=f"{z.zone_column}_base",
            after=f"{z.zone_column}_scenario",
            unit=z.unit,
        )
        for z in ZONE_HEADLINES
    )


def zone_changes(result: ScoreResult) -> pd.DataFrame:
    """Each zone's change of every per-zone headline, in the headline's unit.

    Returns
    -------
    pandas.DataFrame
        Indexed by zone id: ``name``, ``population``, one column per
        :data:`ZONE_HEADLINES` entry (the change; a percentage of the base
        for market access; NaN where the zone reaches no such place before or
        after, or its base is zero), and the values before and after
        (``<zone_column>_base``, ``<zone_column>_scenario``).
    """
    zones = result.zones
    out = zones[["name", "population"]].copy()
    for z in ZONE_HEADLINES:
        base = zones[f"{z.zone_column}_base"].to_numpy(dtype=float)
        scen = zones[f"{z.zone_column}_scenario"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            change = 100.0 * (scen - base) / base if z.relative else (scen - base) * z.scale
        change[~np.isfinite(change)] = np.nan
        out[z.column] = change
    for z in ZONE_HEADLINES:
        out[f"{z.zone_column}_base"] = zones[f"{z.zone_column}_base"]
        out[f"{z.zone_column}_scenario"] = zones[f"{z.zone_column}_scenario"]
    return out


def zone_difference(first: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    """Per zone, the second portfolio's change minus the first's, for every per-zone headline.

    ``first`` and ``second`` are frames of :func:`zone_changes`; the result
    has the same index, ``name``, ``population``, and the headline columns
    (percentage points for market access), with the two portfolios' values
    after as ``<zone_column>_base`` (the first's) and
    ``<zone_column>_scenario`` (the second's).
    """
    out = second[["name", "population"]].copy()
    for z in ZONE_HEADLINES:
        out[z.column] = second[z.column] - first[z.column].reindex(second.index)
    for z in ZONE_HEADLINES:
        out[f"{z.zone_column}_base"] = first[f"{z.zone_column}_scenario"].reindex(second.index)
        out[f"{z.zone_column}_scenario"] = second[f"{z.zone_column}_scenario"]
    return out


def zone_differences(views: Sequence[PortfolioView]) -> list[pd.DataFrame]:
    """Per zone, each portfolio's change minus the first's (:func:`zone_difference`), for every view after the
    first: what a comparison map shades beside the first."""
    return [zone_difference(views[0].zones, v.zones) for v in views[1:]]


def reach_change(
    scorer: PortfolioScorer,
    portfolio: Portfolio,
    *,
    mode: str = "any",
    thresholds_min: tuple[int, ...] = THRESHOLDS_MIN,
) -> pd.DataFrame:
    """The zones within each threshold of every seaport and airport, before and after the portfolio.

    Returns
    -------
    pandas.DataFrame
        Indexed by (``gateway_id``, ``threshold_min``): ``name``,
        ``gateway_type``, ``zones_base``, ``zones_scenario`` (tuples of zone
        ids), ``population_base``, ``population_scenario``. A gateway the
        portfolio adds reaches no zone before.
    """
    base = reach_from_matrices(scorer.base_nodes, scorer.base_times_s, mode=mode, thresholds_min=thresholds_min)
    m = scorer.matrices(portfolio)
    scen = reach_from_matrices(m.nodes, m.times_s, mode=mode, thresholds_min=thresholds_min)
    out = scen[["name", "gateway_type"]].copy()
    empty: tuple[str, ...] = ()
    out["zones_base"] = [base["zones"].get(key, empty) for key in scen.index]
    out["zones_scenario"] = scen["zones"]
    out["population_base"] = [float(base["population"].get(key, 0.0)) for key in scen.index]
    out["population_scenario"] = scen["population"]
    return out


def _detail(before: dict[str, Any], after: dict[str, Any]) -> str:
    """What an edit changed on a node: 'attr: old → new' for each attribute."""
    parts = []
    for attr in sorted(before):
        old, new = before[attr], after.get(attr)
        if not isinstance(old, int | float | str | None):
            old = None
        parts.append(f"{attr.replace('_', ' ')}: {_shown(old)} → {_shown(new)}")
    return "; ".join(parts)


def _shown(value: Any) -> str:
    """A value of a node's attribute in a few characters."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "none"
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:g}"
    return str(value)


def project_features(scenario: Scenario) -> gpd.GeoDataFrame:
    """What each project of a scenario draws, from its typed changes.

    Returns
    -------
    geopandas.GeoDataFrame
        In the graph's CRS (EPSG:4326), one row per feature: ``project_id``,
        ``kind`` (``new_link``, ``station``, ``upgraded_link``,
        ``closed_link``, ``new_gateway``, ``gateway_upgrade``,
        ``investment``), ``mode``, ``name``, ``link_class``, ``speed_kph``,
        ``speed_before_kph`` (upgrades), ``detail`` (what a node change
        did), ``gateway_type``, ``link_id``. Connectors and transfers, and the
        return direction of two-way links, are left out.
    """
    G = scenario.G
    rows: list[dict[str, Any]] = []
    for pid, (start, end) in scenario.spans.items():
        for change in scenario.log[start:end]:
            row = _feature_row(G, pid, change)
            if row is not None:
                rows.append(row)
    frame = pd.DataFrame(rows, columns=_FEATURE_COLUMNS)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=G.graph.get("crs", "EPSG:4326"))


#: the columns of :func:`project_features`
_FEATURE_COLUMNS = [
    "project_id",
    "kind",
    "mode",
    "name",
    "link_class",
    "speed_kph",
    "speed_before_kph",
    "detail",
    "gateway_type",
    "link_id",
    "geometry",
]


def _feature_row(G: nx.MultiDiGraph, pid: str, change: Any) -> dict[str, Any] | None:
    """What one change of a project draws; None for a change that draws nothing."""
    if isinstance(change, NodeAdded):
        return _added_node_row(pid, G.nodes[change.node])
    if isinstance(change, EdgeAdded):
        d = G.edges[change.u, change.v, change.key]
        return _edge_row(pid, "new_link", d) if _drawn(d) else None
    if isinstance(change, EdgeRemoved):
        return _edge_row(pid, "closed_link", change.attrs) if _drawn(change.attrs) else None
    if isinstance(change, EdgeChanged):
        d = G.edges[change.u, change.v, change.key]
        return _upgraded_row(pid, d, change.before) if _drawn(d) else None
    if isinstance(change, NodeChanged):
        return _changed_node_row(pid, G.nodes[change.node], change.before)
    return None


def _drawn(d: dict[str, Any]) -> bool:
    """Whether a link is drawn: of a drawn mode, and not the return direction of a two-way link."""
    return d.get("mode") in _DRAWN_MODES and not d.get("reversed")


def _added_node_row(pid: str, d: dict[str, Any]) -> dict[str, Any] | None:
    """A new station or gateway; None for other new nodes."""
    if d.get("kind") == "station":
        return _node_row(pid, "station", d, mode="rail", name=d.get("name"))
    if d.get("kind") == "gateway":
        return _node_row(pid, "new_gateway", d, name=d.get("name"))
    return None


def _upgraded_row(pid: str, d: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """An upgraded link, with its speed before."""
    row = _edge_row(pid, "upgraded_link", d)
    speed = before.get("speed_kph")
    row["speed_before_kph"] = float(speed) if isinstance(speed, int | float) else np.nan
    return row


def _changed_node_row(pid: str, d: dict[str, Any], before: dict[str, Any]) -> dict[str, Any] | None:
    """A gateway's upgrade or an investment in a zone or economic zone, with what it changed; None for others."""
    if d.get("kind") not in _CENTROID_KINDS:
        return None
    kind = "gateway_upgrade" if d.get("kind") == "gateway" and "jobs" not in before else "investment"
    row = _node_row(pid, kind, d, name=d.get("name"))
    row["detail"] = _detail(before, d)
    return row


def _node_row(pid: str, kind: str, d: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A feature drawn at a node."""
    return {
        "project_id": pid,
        "kind": kind,
        "mode": extra.get("mode"),
        "name": str(extra.get("name") or d.get("name") or ""),
        "link_class": None,
        "speed_kph": np.nan,
        "speed_before_kph": np.nan,
        "detail": d.get("line_name") and f"on {d['line_name']}",
        "gateway_type": d.get("gateway_type"),
        "link_id": None,
        "geometry": Point(float(d["x"]), float(d["y"])),
    }


def _edge_row(pid: str, kind: str, d: dict[str, Any]) -> dict[str, Any]:
    """A feature drawn along a link."""
    return {
        "project_id": pid,
        "kind": kind,
        "mode": d.get("mode"),
        "name": str(d.get("name") or ""),
        "link_class": d.get("link_class"),
        "speed_kph": float(d.get("speed_kph") or np.nan),
        "speed_before_kph": np.nan,
        "detail": None,
        "gateway_type": None,
        "link_id": d.get("link_id"),
        "geometry": d["geometry"],
    }


def project_table(
    result: ScoreResult,
    *,
    bcr: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Each project's facts and what it contributes.

    Returns
    -------
    pandas.DataFrame
        Indexed by project id, in the portfolio's order: ``name``,
        ``category``, ``status``, ``cost_usd``, ``opening_year``, ``source``,
        ``description``, the marginal contribution of each headline (the
        :data:`~corridor.access.metrics.HEADLINES` columns, NaN when marginal
        contributions were not scored) and ``bcr`` (NaN when not given).
    """
    rows = []
    gain_columns = [h.column for h in HEADLINES if h.key is not None]
    ids = [p.id for p in result.portfolio.projects]
    if result.marginal is not None:
        gains = result.marginal.reindex(ids)[gain_columns].to_numpy(dtype=float)
    else:
        gains = np.full((len(ids), len(gain_columns)), np.nan)
    for i, p in enumerate(result.portfolio.projects):
        row: dict[str, Any] = {
            "project": p.id,
            "name": p.name,
            "category": p.category,
            "status": p.status,
            "cost_usd": p.cost_usd,
            "opening_year": p.opening_year,
            "source": p.source,
            "description": p.description,
        }
        row.update(zip(gain_columns, (float(v) for v in gains[i]), strict=True))
        row["bcr"] = float(bcr[p.id]) if bcr and p.id in bcr else np.nan
        rows.append(row)
    columns = ["project", "name", "category", "status", "cost_usd", "opening_year", "source", "description"]
    return pd.DataFrame(rows, columns=[*columns, *gain_columns, "bcr"]).set_index("project")


def province_times(result: ScoreResult, region: Region) -> pd.DataFrame:
    """The population-weighted mean time to the nearest seaport by province, before and after.

    Zones that reach no seaport before or after are left out of both means
    and counted in ``unreachable_zones``.

    Returns
    -------
    pandas.DataFrame
        Indexed by province, sorted by the time before: ``population``,
        ``to_seaport_min_base``, ``to_seaport_min_scenario``,
        ``change_min``, ``unreachable_zones``.
    """
    zones = result.zones.join(region.zones["province"], how="left")
    zones["province"] = zones["province"].fillna("other")
    finite = np.isfinite(zones["to_seaport_min_base"]) & np.isfinite(zones["to_seaport_min_scenario"])
    rows = {}
    for province, group in zones.groupby("province", sort=True):
        ok = group[finite.loc[group.index]]
        pop = ok["population"].astype(float)
        total = float(pop.sum())
        base = float((ok["to_seaport_min_base"] * pop).sum() / total) if total else np.nan
        scen = float((ok["to_seaport_min_scenario"] * pop).sum() / total) if total else np.nan
        rows[str(province)] = {
            "population": int(group["population"].sum()),
            "to_seaport_min_base": base,
            "to_seaport_min_scenario": scen,
            "change_min": scen - base,
            "unreachable_zones": int(len(group) - len(ok)),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "province"
    return out.sort_values("to_seaport_min_base", kind="stable")


@dataclass
class Brief:
    """Everything the maps and the report show of one portfolio.

    Attributes
    ----------
    result
        Its score.
    view
        What its map draws (:class:`corridor.present.briefing.PortfolioView`).
    projects
        :func:`project_table`.
    provinces
        :func:`province_times` (None without a region).
    shapley
        Each project's Shapley value per headline, when given.
    """

    result: ScoreResult
    view: PortfolioView
    projects: pd.DataFrame
    provinces: pd.DataFrame | None
    shapley: pd.DataFrame | None = None


def brief(
    G: nx.MultiDiGraph,
    portfolio: Portfolio,
    *,
    region: Region | None = None,
    settings: Settings | None = None,
    scorer: PortfolioScorer | None = None,
    result: ScoreResult | None = None,
    marginal: bool = True,
    bcr: dict[str, float] | None = None,
    shapley: pd.DataFrame | None = None,
    volumes: pd.DataFrame | None = None,
) -> Brief:
    """Score a portfolio (unless ``result`` is given) and work out what its map and report show.

    Parameters
    ----------
    G
        The base network (not changed).
    portfolio
        The projects.
    region, settings
        As for :func:`corridor.access.scores.score`.
    scorer
        A :class:`~corridor.access.scorer.PortfolioScorer` of ``G`` to reuse.
    result
        The portfolio's score, when already computed with ``scorer``.
    marginal
        Score each project's marginal contribution (for the popups and the report).
    bcr
        Each project's benefit-cost ratio, when appraised.
    shapley
        Each project's Shapley value (indexed by project id), when computed;
        by default the score's own (see :func:`corridor.access.shapley.shapley`).
    volumes
        Link volumes of the scenario (``link_id``, ``volume_veh_day``,
        ``volume_capacity``), when a demand model has assigned them.

    Examples
    --------
    >>> from corridor import load_region, build_network
    >>> from corridor.inputs.project_files import load_catalog, portfolio_from_ids
    >>> region = load_region("luzon")
    >>> b = brief(build_network(region), portfolio_from_ids(["bauan_terminal"], load_catalog(region.path)),
    ...           region=region)
    >>> bool(b.view.zones["d_to_seaport_min"].min() < 0)
    True
    """
    settings = settings or Settings()
    scorer = scorer or PortfolioScorer(G, settings=settings, region=region)
    if result is None:
        result = score(G, portfolio, settings=settings, region=region, marginal=marginal, scorer=scorer)
    scenario = apply_portfolio(G, portfolio, settings=settings, region=region)
    projects = project_table(result, bcr=bcr)
    gains = {h.column: h.title for h in HEADLINES if h.key is not None}
    view = PortfolioView(
        name=portfolio.name,
        projects=projects,
        gains=gains if result.marginal is not None else {},
        features=project_features(scenario),
        zones=zone_changes(result),
        metrics=map_metrics(),
        reach=reach_change(scorer, portfolio),
        volumes=_checked_volumes(volumes),
    )
    provinces = province_times(result, region) if region is not None else None
    if shapley is None and result.shapley is not None:
        shapley = result.shapley.values  # worked out by score for portfolios of a dozen projects or fewer
    return Brief(result, view, projects, provinces, shapley)


def briefs(
    G: nx.MultiDiGraph,
    portfolios: Sequence[Portfolio],
    *,
    region: Region | None = None,
    settings: Settings | None = None,
    marginal: bool = True,
    bcr: dict[str, float] | None = None,
) -> list[Brief]:
    """:func:`brief` of several portfolios on one scorer."""
    settings = settings or Settings()
    scorer = PortfolioScorer(G, settings=settings, region=region)
    return [
        brief(G, p, region=region, settings=settings, scorer=scorer, marginal=marginal, bcr=bcr) for p in portfolios
    ]


def scored_briefs(
    G: nx.MultiDiGraph,
    results: Sequence[ScoreResult],
    *,
    region: Region | None = None,
    settings: Settings | None = None,
) -> list[Brief]:
    """:func:`brief` of portfolios already scored (their results, e.g. of :func:`corridor.access.scores.compare`),
    on one scorer of ``G``."""
    settings = settings or Settings()
    scorer = PortfolioScorer(G, settings=settings, region=region)
    return [brief(G, r.portfolio, region=region, settings=settings, scorer=scorer, result=r) for r in results]


def _checked_volumes(volumes: pd.DataFrame | None) -> pd.DataFrame | None:
    """Link volumes with the columns a map draws; a :class:`~corridor.errors.DataError` names those missing."""
    if volumes is None:
        return None
    missing = {"link_id", "volume_veh_day", "volume_capacity"} - set(volumes.columns)
    if missing:
        raise DataError(
            "link volumes lack columns",
            value=sorted(missing),
            allowed="link_id, volume_veh_day, volume_capacity",
        )
    return volumes

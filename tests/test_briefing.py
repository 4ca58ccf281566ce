"""What maps and reports draw, worked out from scores: per-zone changes, reach, project features."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from corridor.access.metrics import HEADLINES, reach_from_matrices
from corridor.access.scorer import PortfolioScorer
from corridor.access.scores import score
from corridor.errors import DataError
from corridor.inputs.project_files import load_catalog, load_portfolio, portfolio_from_ids
from corridor.inputs.projects import Portfolio
from corridor.network.scenario import apply_portfolio
from corridor.present.briefing import (
    ZONE_HEADLINES,
    brief,
    briefs,
    map_metrics,
    project_features,
    project_table,
    province_times,
    reach_change,
    zone_changes,
    zone_difference,
)

from .conftest import ROOT, make_project

NEW_RAIL = {
    "type": "new_line",
    "mode": "rail",
    "name": "Coast Line",
    "speed_kph": 80,
    "headway_min": 10,
    "stops": [{"lat": 14.45, "lon": 120.25, "name": "West Pier"}, {"lat": 14.45, "lon": 120.75, "name": "East Pier"}],
}


def every_kind_of_edit() -> Portfolio:
    """One project of each kind of edit, on the tiny region."""
    projects = (
        make_project("rail", [NEW_RAIL], category="rail", status="planned"),
        make_project("fast", [{"type": "upgrade", "select": {"links": ["t1"]}, "speed_kph": 90}], status="approved"),
        make_project("shut", [{"type": "close", "select": {"links": ["s1"]}}]),
        make_project("pier", [{"type": "gateway_upgrade", "gateway": "pier1", "handling_h": 10}], category="port"),
        make_project("jobs", [{"type": "investment", "place": "park", "jobs": 1000}], category="industry"),
        make_project(
            "port",
            [
                {
                    "type": "new_gateway",
                    "id": "newport",
                    "name": "New Port",
                    "gateway_type": "seaport",
                    "lat": 14.45,
                    "lon": 120.4,
                }
            ],
            category="port",
        ),
    )
    return Portfolio(name="every kind", projects=projects)


def test_project_features_of_every_kind(tiny_graph, tiny_region):
    scenario = apply_portfolio(tiny_graph, every_kind_of_edit(), region=tiny_region)
    features = project_features(scenario)
    kinds = features.groupby("project_id")["kind"].agg(lambda k: sorted(set(k))).to_dict()
    assert kinds == {
        "rail": ["new_link", "station"],
        "fast": ["upgraded_link"],
        "shut": ["closed_link"],
        "pier": ["gateway_upgrade"],
        "jobs": ["investment"],
        "port": ["new_gateway"],
    }
    assert features.crs.to_epsg() == 4326
    upgraded = features[features.kind == "upgraded_link"].iloc[0]
    assert upgraded.speed_kph == 90 and upgraded.speed_before_kph < 90 and upgraded.link_id == "t1"
    # one direction of each two-way link, and no connector or transfer
    assert len(features[features.kind == "closed_link"]) == 1
    assert set(features[features.kind == "new_link"]["mode"]) == {"rail"}
    assert "handling h: 96 → 10" in features[features.kind == "gateway_upgrade"].iloc[0].detail
    assert "jobs: 5,000 → 6,000" in features[features.kind == "investment"].iloc[0].detail
    stations = features[features.kind == "station"]
    assert set(stations["name"]) == {"West Pier", "East Pier"}


def test_zone_changes_are_the_headlines_per_zone(luzon, luzon_graph):
    p = portfolio_from_ids(["bauan_terminal", "nlex_slex_connector"], load_catalog(luzon.path))
    result = score(luzon_graph, p, region=luzon, marginal=False)
    zones = zone_changes(result)
    assert list(zones.index) == list(result.zones.index)
    assert zones["d_to_seaport_min"].min() < 0  # Batangas's zones reach a port sooner
    assert np.allclose(zones["d_to_seaport_min"], result.zones["to_seaport_min_change"], equal_nan=True)
    pct = 100 * result.zones["market_access_pop_change"] / result.zones["market_access_pop_base"]
    assert np.allclose(zones["d_market_access_pop_pct"], pct)
    # the population-weighted mean of the zones' changes is the headline
    pop = zones["population"]
    assert (zones["d_to_seaport_min"] * pop).sum() / pop.sum() == pytest.approx(result.headline()["d_to_seaport_min"])
    assert {m.column for m in map_metrics()} == {z.column for z in ZONE_HEADLINES}
    assert {z.column for z in ZONE_HEADLINES} <= {h.column for h in HEADLINES}


def test_unreachable_zones_have_no_change(tiny_graph, tiny_region):
    # the spur to the north closes: North Town reaches no seaport any more
    p = Portfolio(name="cut", projects=(make_project("cut", [{"type": "close", "select": {"links": ["s1"]}}]),))
    result = score(tiny_graph, p, region=tiny_region, marginal=False)
    zones = zone_changes(result)
    if not math.isfinite(result.zones.at["north", "to_seaport_min_scenario"]):
        assert math.isnan(zones.at["north", "d_to_seaport_min"])
    assert zones[[z.column for z in ZONE_HEADLINES]].replace([np.inf, -np.inf], np.nan).notna().any().all()


def test_reach_before_and_after(luzon, luzon_graph):
    p = portfolio_from_ids(["bauan_terminal"], load_catalog(luzon.path))
    scorer = PortfolioScorer(luzon_graph, region=luzon)
    reach = reach_change(scorer, p)
    assert set(reach.index.get_level_values("threshold_min")) == {60, 90, 120}
    # a new port reaches nobody before; reach only grows when links are only added
    assert reach.loc[("bauan_port", 90), "zones_base"] == ()
    assert len(reach.loc[("bauan_port", 90), "zones_scenario"]) > 0
    for key, row in reach.iterrows():
        assert set(row.zones_base) <= set(row.zones_scenario), key
    # the population within 90 minutes of each base port agrees with the metrics
    seaports = scorer.base.seaports
    for gid, row in seaports.iterrows():
        assert reach.loc[(gid, 90), "population_base"] == pytest.approx(row.pop_within_90_min)
    nested = reach.xs("subic_port")
    assert set(nested.at[60, "zones_scenario"]) <= set(nested.at[90, "zones_scenario"])


def test_reach_from_matrices_counts_zones_within_each_threshold():
    nodes = [
        {"kind": "zone", "place_id": "a", "population_2020": 10},
        {"kind": "zone", "place_id": "b", "population_2020": 20},
        {"kind": "gateway", "place_id": "p", "name": "Port", "gateway_type": "seaport"},
    ]
    minutes = np.array([[0, 1, 50], [1, 0, 100], [50, 100, 0]], dtype=float)
    reach = reach_from_matrices(nodes, {"any": minutes * 60}, thresholds_min=(60, 90, 120))
    assert reach.loc[("p", 60), "zones"] == ("a",) and reach.loc[("p", 120), "zones"] == ("a", "b")
    assert reach.loc[("p", 90), "population"] == 10 and reach.loc[("p", 120), "population"] == 30


def test_project_table_carries_marginal_gains_and_bcr(luzon, luzon_graph):
    p = load_portfolio(ROOT / "portfolios" / "lec_core.yaml", catalog_path=luzon.path / "projects.yaml")
    result = score(luzon_graph, p, region=luzon)
    table = project_table(result, bcr={"bauan_terminal": 1.8})
    assert list(table.index) == p.ids
    assert table.at["bauan_terminal", "bcr"] == 1.8 and math.isnan(table.at["clark_runway_2", "bcr"])
    assert table.at["bauan_terminal", "d_to_seaport_min"] == pytest.approx(
        result.marginal.at["bauan_terminal", "d_to_seaport_min"]
    )
    no_marginal = project_table(score(luzon_graph, p, region=luzon, marginal=False))
    assert no_marginal["d_to_seaport_min"].isna().all()


def test_province_times_weigh_zones_by_population(luzon, luzon_graph):
    p = portfolio_from_ids(["bauan_terminal"], load_catalog(luzon.path))
    result = score(luzon_graph, p, region=luzon, marginal=False)
    provinces = province_times(result, luzon)
    assert provinces["population"].sum() == result.zones["population"].sum()
    assert provinces.at["Batangas", "change_min"] < 0
    assert (provinces["to_seaport_min_base"].diff().dropna() >= 0).all()  # sorted by the time before


def test_brief_and_differences(luzon, luzon_graph):
    catalog = load_catalog(luzon.path)
    a = portfolio_from_ids(["bauan_terminal"], catalog)
    b = portfolio_from_ids(["bauan_terminal", "nlex_slex_connector"], catalog)
    first, second = briefs(luzon_graph, [a, b], region=luzon)
    diff = zone_difference(first.view.zones, second.view.zones)
    expected = second.view.zones["d_to_seaport_min"] - first.view.zones["d_to_seaport_min"]
    assert np.allclose(diff["d_to_seaport_min"], expected, equal_nan=True)
    assert second.view.gains and set(second.view.gains) <= set(second.projects.columns)
    assert second.provinces is not None and second.view.reach is not None


def test_volumes_must_name_their_columns(luzon, luzon_graph):
    p = portfolio_from_ids(["bauan_terminal"], load_catalog(luzon.path))
    volumes = pd.DataFrame({"link_id": ["nlex-01"], "volume_veh_day": [50_000.0], "volume_capacity": [0.9]})
    assert brief(luzon_graph, p, region=luzon, marginal=False, volumes=volumes).view.volumes is volumes
    with pytest.raises(DataError, match="volume_capacity"):
        brief(luzon_graph, p, region=luzon, marginal=False, volumes=volumes.drop(columns="volume_capacity"))


def test_results_show_as_escaped_tables_in_jupyter(luzon, luzon_graph):
    p = portfolio_from_ids(["bauan_terminal"], load_catalog(luzon.path)).model_copy(
        update={"name": "<img src=x onerror=alert(1)>"}
    )
    result = score(luzon_graph, p, region=luzon)
    html = result._repr_html_()
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Δ to seaport (min)" in html and "Marginal contribution" in html and "bauan_terminal" in html
    assert ">0.80<" in html  # the cost, unsigned; the gains signed
    metrics = result.scenario._repr_html_()
    assert "mean time to the nearest seaport" in metrics and "<table" in metrics

"""The portfolio scorer: exactly the metrics of applying the portfolio and searching again, only faster."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corridor import apply_portfolio, compute_metrics, load_catalog, load_portfolio, portfolio_from_ids
from corridor.portfolio import PortfolioScorer, score
from corridor.projects import Portfolio, Project

from .conftest import ROOT

CATALOG = load_catalog(ROOT / "data" / "luzon")
IDS = sorted(CATALOG)


@pytest.fixture(scope="module")
def scorer(luzon, luzon_graph):
    return PortfolioScorer(luzon_graph, region=luzon)


def _same(fast, full):
    pd.testing.assert_frame_equal(fast.zones.sort_index(), full.zones.sort_index())
    pd.testing.assert_frame_equal(fast.od.sort_index(), full.od.sort_index())
    pd.testing.assert_frame_equal(fast.seaports.sort_index(), full.seaports.sort_index())
    for key, value in full.summary.items():
        assert fast.summary[key] == pytest.approx(value, rel=1e-7, abs=1e-6), key


@pytest.mark.parametrize("name", ["committed", "lec_core", "lec_full"])
def test_scorer_equals_full_recomputation(scorer, luzon, luzon_graph, name):
    p = load_portfolio(ROOT / "portfolios" / f"{name}.yaml")
    _same(scorer.metrics(p), compute_metrics(apply_portfolio(luzon_graph, p, region=luzon).G))


@given(st.sets(st.sampled_from(IDS), min_size=1, max_size=6))
@settings(max_examples=25, deadline=None)
def test_scorer_equals_full_recomputation_on_random_portfolios(scorer, luzon, luzon_graph, ids):
    if {"scmb_freight_rail", "subic_clark_railway"} <= ids:
        ids = ids - {"subic_clark_railway"}
    for pid in list(ids):
        ids |= set(CATALOG[pid].requires)
    p = portfolio_from_ids(sorted(ids), CATALOG)
    _same(scorer.metrics(p), compute_metrics(apply_portfolio(luzon_graph, p, region=luzon).G))
    summary = scorer.summary(p)
    for key, value in scorer.metrics(p).summary.items():
        assert summary[key] == pytest.approx(value, rel=1e-7, abs=1e-6), key


def test_closures_fall_back_to_a_full_recomputation(scorer, luzon, luzon_graph):
    closure = Project.model_validate(
        {
            "id": "nlex_closed",
            "name": "NLEX closed at Bocaue",
            "category": "road",
            "cost_usd": 0,
            "price_year": 2025,
            "status": "proposal",
            "opening_year": 2026,
            "source": "a disruption test",
            "edits": [{"type": "close", "select": {"links": ["nlex-04", "nlex-05"]}}],
        }
    )
    p = Portfolio(name="disruption", projects=(closure,))
    fast = scorer.metrics(p)
    _same(fast, compute_metrics(apply_portfolio(luzon_graph, p, region=luzon).G))
    assert fast.summary["avg_to_seaport_min"] >= scorer.base.summary["avg_to_seaport_min"]


def test_score_marginals_and_provenance(luzon, luzon_graph):
    p = load_portfolio(ROOT / "portfolios" / "lec_core.yaml")
    result = score(luzon_graph, p, region=luzon)
    assert set(result.marginal.index) == set(p.ids)
    assert result.marginal.loc["bauan_terminal", "d_to_seaport_min"] < 0
    assert result.marginal.loc["clark_food_hub", "d_market_access_jobs_pct"] > 0
    prov = result.provenance
    assert prov["portfolio"] == "lec_core" and prov["data_digest"] and prov["settings_digest"]
    assert any(f.endswith("projects.yaml") for f in prov["files"])

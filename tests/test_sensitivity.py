"""Sensitivity: the ranking of portfolios and projects under seeded draws of the uncertain inputs."""

from __future__ import annotations

import pandas as pd
import pytest

from corridor import load_catalog, load_portfolio, portfolio_from_ids
from corridor.errors import OptimisationError
from corridor.search.sensitivity import COST_FACTOR_RANGE, DEFAULT_INPUTS, sensitivity

from .conftest import ROOT

CATALOG = load_catalog(ROOT / "data" / "luzon")


@pytest.fixture(scope="module")
def portfolios():
    return [
        load_portfolio(ROOT / "portfolios" / "lec_core.yaml"),
        portfolio_from_ids(["bcib", "calax_kawit", "cllex_aliaga_cabanatuan"], CATALOG, name="roads"),
        portfolio_from_ids(["nscr_tutuban_malolos", "nscr_malolos_clark"], CATALOG, name="nscr"),
    ]


@pytest.fixture(scope="module")
def result(luzon, portfolios):
    return sensitivity(luzon, portfolios, draws=6, seed=7)


@pytest.mark.slow
def test_probabilities_and_intervals(result, portfolios):
    table = result.portfolios
    assert set(table.index) == {p.name for p in portfolios}
    assert table["p_best"].sum() == pytest.approx(1.0)
    assert (table["value_p5"] <= table["value_p50"]).all() and (table["value_p50"] <= table["value_p95"]).all()
    assert (table["cost_usd_p5"] <= table["cost_usd_p95"]).all()
    assert (result.metrics["change_p5"] <= result.metrics["change_p95"] + 1e-12).all()
    assert set(result.projects.index.get_level_values("project")) == {q.id for p in portfolios for q in p.projects}
    assert result.projects["p_top_k"].between(0, 1).all()
    # capacity-only projects add nothing to market access: never anyone's top
    assert result.projects.loc[("lec_core", "subic_port_expansion"), "p_top_k"] == 0.0


@pytest.mark.slow
def test_draws_are_in_range_and_seeded(luzon, portfolios, result):
    samples = result.samples
    for x in DEFAULT_INPUTS:
        assert samples[x.name].between(x.low, x.high).all()
    costs = samples[[c for c in samples if c.startswith("cost_factor:")]]
    assert ((costs >= COST_FACTOR_RANGE[0]) & (costs <= COST_FACTOR_RANGE[1])).all().all()
    again = sensitivity(luzon, portfolios, draws=6, seed=7)
    pd.testing.assert_frame_equal(again.portfolios, result.portfolios)
    pd.testing.assert_frame_equal(again.projects, result.projects)
    other = sensitivity(luzon, portfolios[:1], draws=2, seed=8)
    assert not other.samples.equals(result.samples[other.samples.columns].iloc[:2])


def test_delayed_projects_fall_outside_the_year(luzon, portfolios):
    """Scored in the base year, before any of them opens, nothing operates: every portfolio ties."""
    early = sensitivity(luzon, portfolios, draws=2, seed=1, year=luzon.base_year)
    assert early.portfolios["p_best"].tolist() == pytest.approx([1 / 3] * 3)
    assert (early.projects[["gain_p5", "gain_p95"]] == 0).all().all()
    assert (early.projects["p_operating"] == 0).all()


@pytest.mark.slow
def test_the_json(result):
    data = result.to_dict()
    assert data["draws"] == 6 and data["seed"] == 7 and data["sampling"] == "lhs"
    assert {row["portfolio"] for row in data["portfolios"]} == {"lec_core", "roads", "nscr"}
    assert {"p_best", "mean_rank", "value_p5", "value_p95"} <= set(data["portfolios"][0])
    assert {"input", "low", "high"} <= set(data["inputs"][0])


@pytest.mark.slow
def test_processes_give_the_same_answer(luzon, portfolios, result):
    there = sensitivity(luzon, portfolios, draws=6, seed=7, workers=2)
    assert there.runner == "2 processes"
    pd.testing.assert_frame_equal(there.portfolios, result.portfolios)
    pd.testing.assert_frame_equal(there.projects, result.projects)
    pd.testing.assert_frame_equal(there.metrics, result.metrics)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"draws": 1}, "at least 2 draws"),
        ({"draws": 4, "objective": "npv_usd"}, "unknown objective"),
        ({"draws": 4, "method": "halton"}, "unknown sampling method"),
    ],
)
def test_bad_requests(luzon, portfolios, kwargs, message):
    with pytest.raises(OptimisationError, match=message):
        sensitivity(luzon, portfolios, **kwargs)
    with pytest.raises(OptimisationError, match="same name"):
        sensitivity(luzon, [portfolios[0], portfolios[0]], draws=2)
    # the appraised npv would run the whole model for every project in every draw: refused, the screening named
    with pytest.raises(OptimisationError, match="too slow to repeat for every draw") as err:
        sensitivity(luzon, portfolios, draws=2, objective="npv")
    assert "npv_screening" in str(err.value)


@pytest.mark.slow
def test_npv_reads_the_values_of_time_and_demand_growth(luzon, portfolios, corridor_cache):
    """Under the npv objective the values of time and demand growth are drawn, and the values move with them."""
    out = sensitivity(luzon, portfolios, draws=4, seed=3, objective="npv_screening", cache=corridor_cache)
    assert {"value_of_time_factor", "demand_growth_factor"} <= set(out.samples.columns)
    assert out.values.shape == (4, len(portfolios))
    assert out.values.notna().all().all()
    assert (out.values.std() > 0).all()  # each portfolio's worth changes from draw to draw

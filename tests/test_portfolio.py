"""The portfolio scorer: exactly the metrics of applying the portfolio and searching again, only faster."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corridor import apply_portfolio, compute_metrics, load_catalog, load_portfolio, portfolio_from_ids
from corridor.access.metrics import HEADLINES, ZONE_SUMMARY_KEYS, gains
from corridor.access.scorer import PortfolioScorer
from corridor.access.scores import score
from corridor.inputs.projects import Portfolio, Project

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


@pytest.mark.slow
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
    # a sweep whose objective reads only the zones' times gets the very same numbers from one mode
    zones_only = scorer.summary(p, zones_only=True)
    assert set(zones_only) == ZONE_SUMMARY_KEYS
    assert all(zones_only[k] == summary[k] for k in ZONE_SUMMARY_KEYS)


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
    # every gain names its unit, and is in the unit the tables show: market access in percent of the base
    b, s = result.base.summary["market_access_jobs"], result.scenario.summary["market_access_jobs"]
    assert result.gains["market_access_jobs_change_pct"] == pytest.approx(100 * (s - b) / b)
    assert result.headline()["d_market_access_jobs_pct"] == result.gains["market_access_jobs_change_pct"]
    assert "market_access_jobs" not in result.gains
    units = ("_min", "_h", "_pct", "_seaport", "_pairs")
    assert all(key.endswith(units) for key in result.gains), sorted(result.gains)


def test_gateway_times_compare_the_same_pairs(luzon, luzon_graph):
    """A new gateway is not averaged into the scenario's mean gateway time: its change is scenario minus base."""
    catalog = load_catalog(luzon.path)
    result = score(luzon_graph, portfolio_from_ids(["bauan_terminal", "nmia"], catalog), region=luzon)
    data = result.to_dict()
    base, scen = data["base"]["gateway_od_mean_min"], data["scenario"]["gateway_od_mean_min"]
    assert data["gains"]["gateway_od_mean_min"] == pytest.approx(scen - base)
    assert data["headline"]["d_gateway_od_min"] == pytest.approx(scen - base)
    assert "bauan_port" in set(result.od.index.get_level_values(0))  # the new gateway is still listed


def test_the_seam_is_public_and_pickles(scorer):
    """What an appraisal module, an optimiser or a worker needs: matrices and summaries, from a pickled scorer too."""
    import pickle

    p = portfolio_from_ids(["bcib", "bauan_terminal"], CATALOG)
    m = scorer.matrices(p)
    assert m.method == "rescored" and set(m.times_s) == {"road", "rail", "transit", "any"}
    assert m.times_s["any"].shape == (len(m.nodes), len(m.nodes)) and m.nodes[-1]["place_id"] == "bauan_port"
    clone = pickle.loads(pickle.dumps(scorer))
    assert clone.summary(p) == scorer.summary(p)


def test_a_project_that_changes_nothing_is_explained(luzon, luzon_graph):
    """Clark's second runway and the Subic expansion change capacity, which no connectivity metric reads: said so."""
    p = portfolio_from_ids(["clark_runway_2", "subic_port_expansion", "bauan_terminal"], CATALOG)
    result = score(luzon_graph, p, region=luzon)
    assert set(result.unchanged) == {"clark_runway_2", "subic_port_expansion"}
    assert "capacity" in result.unchanged["subic_port_expansion"]
    assert "movements_per_h" in result.unchanged["clark_runway_2"]
    assert "no connectivity metric reads" in result.unchanged["clark_runway_2"]


@pytest.mark.slow
@given(st.sets(st.sampled_from(IDS), min_size=2, max_size=7))
@settings(max_examples=15, deadline=None)
def test_marginal_summaries_equal_scoring_each_portfolio_without_a_project(scorer, ids):
    """The leave-one-out search gives exactly what scoring each smaller portfolio on its own gives."""
    if {"scmb_freight_rail", "subic_clark_railway"} <= ids:
        ids = ids - {"subic_clark_railway"}
    for pid in list(ids):
        ids |= set(CATALOG[pid].requires)
    p = portfolio_from_ids(sorted(ids), CATALOG)
    fast = scorer.marginal_summaries(p)
    for project in p.projects:
        slow = scorer.summary(p.without(project.id))
        for key, value in slow.items():
            assert fast[project.id][key] == pytest.approx(value, rel=1e-9, abs=1e-9), (project.id, key)


def test_searching_the_changed_arrays_equals_rescoring(scorer, monkeypatch):
    """Large portfolios are searched on their changed arrays; small ones re-scored: the same matrices."""
    import corridor.access.scorer

    p = load_portfolio(ROOT / "portfolios" / "lec_full.yaml")
    rescored = scorer.matrices(p)
    monkeypatch.setattr(corridor.access.scorer, "RESCORE_MAX_ENDPOINTS", 0)
    searched = scorer.matrices(p)
    for mode, times in rescored.times_s.items():
        finite = np.isfinite(times)
        assert np.array_equal(finite, np.isfinite(searched.times_s[mode]))
        assert np.abs(times[finite] - searched.times_s[mode][finite]).max() < 1e-6


@pytest.mark.slow
def test_a_thousand_projects_score_with_their_marginals(luzon, luzon_graph, tmp_path):
    """A generated portfolio of many inline projects loads and scores with every marginal contribution."""
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from catalog import write_portfolio

    p = load_portfolio(write_portfolio(120, tmp_path / "many.yaml"))
    result = score(luzon_graph, p, region=luzon, progress=False)
    assert len(result.marginal) == 120 and result.gains["avg_to_seaport_min"] < 0


def test_a_prepared_scorer_scores_the_same_and_only_reads_its_caches(luzon, luzon_graph):
    """Prepared for every candidate, a scorer works nothing out again: what a worker is sent is complete."""
    prepared = PortfolioScorer(luzon_graph, region=luzon)
    prepared.prepare(CATALOG.values())
    effects = len(prepared._effects)
    ends = {m: len(c.index) for m, c in prepared._caches.items()}
    fresh = PortfolioScorer(luzon_graph, region=luzon)
    for ids in (["bcib", "bauan_terminal"], ["nscr_tutuban_malolos", "nscr_malolos_clark", "mm_subway"], ["nmia"]):
        p = portfolio_from_ids(ids, CATALOG)
        assert prepared.summary(p) == fresh.summary(p)
    assert len(prepared._effects) == effects
    assert {m: len(c.index) for m, c in prepared._caches.items()} == ends


def test_the_summary_reads_only_what_it_needs_and_equals_the_full_matrices(scorer):
    """The summary's own path (road and rail among gateways only, unchanged modes as the base) gives the same."""
    from corridor.access.metrics import summary_from_matrices

    for ids in (
        ["bauan_terminal"],
        ["clark_food_hub"],
        ["mrt7", "bcib", "nmia"],
        ["sangley_airport", "scmb_freight_rail"],
    ):
        p = portfolio_from_ids(ids, CATALOG)
        full = scorer.matrices(p)
        assert scorer.summary(p) == pytest.approx(summary_from_matrices(full.nodes, full.times_s, scorer.settings))


# ------------------------------------------------------------------ Shapley values


def test_shapley_values_add_up_to_the_whole_gain(scorer):
    """Efficiency, exact and sampled: the shares add up to the portfolio's gain on every headline."""
    from corridor.access.metrics import gains
    from corridor.access.shapley import shapley

    p = portfolio_from_ids(["nscr_tutuban_malolos", "nscr_malolos_clark", "bcib", "bauan_terminal", "mrt7"], CATALOG)
    whole = gains(scorer.base.summary, scorer.summary(p))
    for result in (shapley(scorer, p), shapley(scorer, p, exact_max=0, permutations=30, seed=3)):
        for h in HEADLINES:
            if h.key is not None:
                assert result.values[h.column].sum() == pytest.approx(whole[h.gain] * h.scale, rel=1e-9, abs=1e-9)
    assert result.method == "sampled" and result.permutations == 30 and (result.std_error.to_numpy() >= 0).all()


def test_shapley_symmetry_and_null_player(scorer):
    """Two projects that do the same get the same; a project that changes nothing gets zero."""
    from corridor.access.shapley import shapley

    twin = CATALOG["calax_kawit"].model_copy(update={"id": "calax_kawit_twin"})
    p = Portfolio(name="twins", projects=(CATALOG["calax_kawit"], twin, CATALOG["clark_runway_2"], CATALOG["bcib"]))
    result = shapley(scorer, p)
    assert result.method == "exact"
    pd.testing.assert_series_equal(
        result.values.loc["calax_kawit"], result.values.loc["calax_kawit_twin"], check_names=False, rtol=1e-12
    )
    assert (result.values.loc["clark_runway_2"] == 0).all()
    assert (result.values.loc["calax_kawit"].abs() > 0).any()


def test_sampled_shapley_values_are_near_the_exact_ones(scorer):
    """The stated standard error covers the distance to the exact values."""
    from corridor.access.shapley import shapley

    p = portfolio_from_ids(
        ["bcib", "manila_bay_expressway", "calax_kawit", "bauan_terminal", "clark_food_hub"], CATALOG
    )
    exact = shapley(scorer, p)
    sampled = shapley(scorer, p, exact_max=0, permutations=400, seed=1)
    gap = (sampled.values - exact.values).abs().to_numpy()
    assert (gap <= 4 * sampled.std_error.to_numpy() + 1e-9).all()


def test_a_project_counts_once_what_it_requires_is_built(scorer):
    """The Malolos-Clark railway is worth nothing without the Tutuban-Malolos section: the pair shares its value."""
    from corridor.access.shapley import shapley

    p = portfolio_from_ids(["nscr_tutuban_malolos", "nscr_malolos_clark"], CATALOG)
    result = shapley(scorer, p)
    alone = scorer.summary(portfolio_from_ids(["nscr_tutuban_malolos"], CATALOG))
    both = scorer.summary(p)
    base = scorer.base.summary["market_access_jobs"]
    gain_alone = (alone["market_access_jobs"] - base) / base * 100
    gain_both = (both["market_access_jobs"] - base) / base * 100
    # orders: (tutuban, clark) gives tutuban its own gain; (clark, tutuban) gives tutuban the pair's
    assert result.values.loc["nscr_tutuban_malolos", "d_market_access_jobs_pct"] == pytest.approx(
        (gain_alone + gain_both) / 2
    )


def test_score_shows_shapley_values(luzon, luzon_graph, scorer):
    from corridor.access.scores import SHAPLEY_COLUMN

    p = load_portfolio(ROOT / "portfolios" / "lec_core.yaml")
    result = score(luzon_graph, p, region=luzon, scorer=scorer)
    assert result.shapley is not None and result.shapley.method == "exact"
    assert result.marginal[SHAPLEY_COLUMN].sum() == pytest.approx(result.headline()["d_market_access_jobs_pct"])
    data = result.to_dict()["shapley"]
    assert data["method"] == "exact" and {r["project"] for r in data["values"]} == set(p.ids)
    assert score(luzon_graph, p, region=luzon, scorer=scorer, shapley_values=False).shapley is None


@given(st.sets(st.sampled_from(IDS), min_size=1, max_size=6))
@settings(max_examples=15, deadline=None)
def test_modes_that_mode_any_covers_are_not_searched_for_the_summary(scorer, ids):
    """Every road and rail link is in mode any at its time, so the summary's best of modes needs only mode any."""
    from corridor.access.scorer import _arcs_within

    assert scorer._dominated == {"road": True, "rail": True}
    if {"scmb_freight_rail", "subic_clark_railway"} <= ids:
        ids = ids - {"subic_clark_railway"}
    for pid in list(ids):
        ids |= set(CATALOG[pid].requires)
    p = portfolio_from_ids(sorted(ids), CATALOG)
    fast = scorer.summary(p)
    full = scorer.matrices(p)
    from corridor.access.metrics import summary_from_matrices

    assert fast == pytest.approx(summary_from_matrices(full.nodes, full.times_s, scorer.settings), rel=1e-12)
    assert not _arcs_within(scorer.compiled["any"], scorer.compiled["road"])  # and not the other way round


@pytest.mark.slow
def test_model_runs_are_the_base_year_and_the_portfolio_calibrated_on_it(
    model_graph, model_region, model_settings, tiny_base
):
    """model_runs gives the base year's run and, with a portfolio, the run calibrated on it (as the commands use it)."""
    from corridor.access.modelled import model_runs

    from .conftest import make_project, model_scenario

    base, same, G = model_runs(model_graph, None, region=model_region, settings=model_settings, base=tiny_base)
    assert base is same is tiny_base and G is model_graph
    edit = {"type": "upgrade", "select": {"links": ["x1"]}, "speed_kph": 120}
    portfolio = Portfolio(name="test", projects=(make_project("p", [edit]),))
    base, run, H = model_runs(model_graph, portfolio, region=model_region, settings=model_settings, base=tiny_base)
    expected = model_scenario(model_graph, model_region, model_settings, tiny_base, edit)
    assert base is tiny_base and H is not model_graph
    assert run.summary == expected.summary


@pytest.mark.parametrize("name", ["committed", "lec_core", "lec_full"])
def test_the_zones_own_numbers_are_the_same_from_the_best_of_modes_alone(scorer, name):
    """What market access and time to port sweeps read: the same numbers, bit for bit, searching one mode."""
    p = load_portfolio(ROOT / "portfolios" / f"{name}.yaml")
    whole, zones_only = scorer.summary(p), scorer.summary(p, zones_only=True)
    assert set(zones_only) == ZONE_SUMMARY_KEYS and {k: whole[k] for k in ZONE_SUMMARY_KEYS} == zones_only
    assert zones_only != {k: scorer.base.summary[k] for k in ZONE_SUMMARY_KEYS}  # the portfolio changes them


def test_every_headline_moves_for_some_bundled_portfolio(scorer):
    """A column that shows 0.00 for every portfolio a planner is given says nothing: none may."""
    moved: dict[str, float] = {}
    for path in sorted((ROOT / "portfolios").glob("*.yaml")):
        change = gains(scorer.base.summary, scorer.summary(load_portfolio(path)))
        for h in HEADLINES:
            if h.key is not None:
                moved[h.column] = max(moved.get(h.column, 0.0), abs(change[h.gain] * h.scale))
    assert moved and all(round(v, 2) != 0 for v in moved.values()), moved

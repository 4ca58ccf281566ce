"""Appraisal: present values, the internal rate, costs by year, benefits by the rule of a half
from the transport model, and the command that prints them with every assumption."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from typer.testing import CliRunner

from corridor.appraisal.appraise import appraise, assumptions
from corridor.appraisal.benefits import BENEFIT_CLASSES, annual_benefits
from corridor.appraisal.costs import cost_stream
from corridor.appraisal.measures import eirr, npv
from corridor.cli import app
from corridor.inputs.projects import Portfolio
from corridor.present.formats import interaction_lines, usd_text
from corridor.settings import Settings

from .conftest import QUICK, make_project
from .conftest import model_scenario as _scenario

#: any edit: the costs do not read them
EDITS = [{"type": "close", "select": {"links": ["x1"]}}]


def test_npv_discounts_from_year_zero() -> None:
    assert npv([-100, 110], 0.10) == pytest.approx(0.0)
    assert npv([100, 100, 100], 0.0) == 300
    assert npv([0, 121], 0.10) == pytest.approx(110)


def test_eirr_is_the_rate_that_zeroes_the_npv() -> None:
    assert eirr([-100, 110]) == pytest.approx(0.10)
    flows = [-500, -300, 120, 150, 180, 200, 200, 200]
    rate = eirr(flows)
    assert npv(flows, rate) == pytest.approx(0.0, abs=1e-6)
    assert math.isnan(eirr([10, 20]))  # never negative: no rate
    assert math.isnan(eirr([-10, -20]))


@hsettings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(min_value=1, max_value=1e9), min_size=1, max_size=5),
    st.lists(st.floats(min_value=0, max_value=1e9), min_size=1, max_size=30),
)
def test_eirr_of_costs_then_benefits_zeroes_the_npv(costs, benefits) -> None:
    flows = [-c for c in costs] + benefits
    rate = eirr(flows)
    if math.isfinite(rate):
        assert abs(npv(flows, rate)) <= 1e-6 * sum(abs(f) for f in flows)
        assert (rate > 0.10) == (npv(flows, 0.10) > 0) or abs(npv(flows, 0.10)) < 1e-6 * sum(map(abs, flows))


def test_cost_stream_spreads_capital_before_opening_and_returns_residual_value() -> None:
    s = Settings()
    project = make_project("p", EDITS, category="rail", cost_usd=600_000_000, price_year=2024, opening_year=2031)
    years = list(range(2025, 2061))
    frame = cost_stream(project, s, years)
    economic = 600_000_000 * (1 - s.appraisal.tax_share_of_cost)
    spent = frame.loc[frame["capital"] > 0, "capital"]
    assert list(spent.index) == [2025, 2026, 2027, 2028, 2029, 2030]  # six years of rail construction
    assert spent.sum() == pytest.approx(economic)
    assert frame.loc[2030, "om"] == 0 and frame.loc[2031, "om"] == pytest.approx(economic * 0.025)
    used = 2060 - 2031 + 1
    assert frame.loc[2060, "residual"] == pytest.approx(-economic * (1 - used / 40))
    assert (frame.loc[:2059, "residual"] == 0).all()


def test_cost_stream_rebases_old_prices_and_counts_early_spending_in_the_first_year() -> None:
    s = Settings()
    project = make_project("p", EDITS, category="port", cost_usd=100, price_year=2011, opening_year=2026)
    frame = cost_stream(project, s, list(range(2025, 2056)))
    cpi = s.appraisal.us_cpi
    economic = 100 * cpi[2024] / cpi[2011] * (1 - s.appraisal.tax_share_of_cost)
    assert frame["capital"].sum() == pytest.approx(economic)
    # three years of building, 2023-2025: the two before 2025 are counted in 2025
    assert frame.loc[2025, "capital"] == pytest.approx(economic)


@pytest.mark.slow
def test_no_change_is_worth_nothing(tiny_base) -> None:
    out = annual_benefits(tiny_base, tiny_base, Settings())
    assert all(v == 0 for v in out.values())
    assert set(BENEFIT_CLASSES) <= set(out)


def test_capacity_at_a_congested_port_is_worth_the_delay_it_saves(
    model_graph, model_region, model_settings, tiny_base
) -> None:
    after = _scenario(
        model_graph,
        model_region,
        model_settings,
        tiny_base,
        {"type": "gateway_upgrade", "gateway": "pier1", "capacity": 3000, "capacity_unit": "TEU/yr"},
    )
    out = annual_benefits(tiny_base, after, model_settings)
    assert out["containers"] > 0
    assert out["gateway_delay"] > 0
    # the box's hours saved at the cargo's value of time, the order of the containers' benefit
    saved_h = tiny_base.gateways.loc["pier1", "delay_h"] - after.gateways.loc["pier1", "delay_h"]
    ceiling = 1450 * saved_h * model_settings.freight.cargo_vot_php_per_teu_h / model_settings.php_per_usd
    assert out["containers"] <= ceiling * 1.5


@pytest.mark.slow
def test_appraisal_of_a_portfolio_adds_up(model_graph, model_region, model_settings, tiny_base) -> None:
    port = make_project(
        "quay",
        [{"type": "gateway_upgrade", "gateway": "pier1", "capacity": 3000, "capacity_unit": "TEU/yr"}],
        category="port",
        cost_usd=50_000,
        price_year=2024,
        opening_year=2027,
    )
    lane = make_project(
        "lane",
        [{"type": "upgrade", "select": {"links": ["s1"]}, "lanes": 4}],
        category="road",
        cost_usd=20_000,
        price_year=2024,
        opening_year=2029,
    )
    portfolio = Portfolio(name="tiny", projects=(port, lane))
    (a,) = appraise(model_graph, portfolio, region=model_region, settings=model_settings, base=tiny_base)
    rate = model_settings.discount_rate
    assert a.first_year == 2025 and a.last_year == 2029 + model_settings.horizon_years - 1
    assert a.modelled_years == (2025, 2025 + model_settings.appraisal.forecast_years)
    assert [y for y, _ in a.stages] == [2027, 2029] and a.stages[0][1] == ["quay"]
    years = a.years
    assert (years.loc[:2026, "benefits"] == 0).all() and years.loc[2027, "benefits"] > 0
    assert a.pv_benefits_usd == pytest.approx(npv(years["benefits"].to_numpy(), rate))
    assert a.npv_usd == pytest.approx(a.pv_benefits_usd - a.pv_costs_usd)
    assert a.bcr == pytest.approx(a.pv_benefits_usd / a.pv_costs_usd)
    if math.isfinite(a.eirr):
        assert npv(years["net"].to_numpy(), a.eirr) == pytest.approx(0, abs=1e-6 * years["net"].abs().sum())
    assert sum(a.pv_by_class_usd.values()) == pytest.approx(a.pv_benefits_usd)
    assert set(a.projects.index) == {"quay", "lane"}
    assert a.projects.loc["quay", "pv_benefits_usd"] > 0
    # the model's noise: the unchanged network run again as a scenario, in both modelled years, printed
    assert set(a.noise_usd) == set(a.modelled_years) and set(a.noise_usd[2025]) >= set(BENEFIT_CLASSES)
    band = max(abs(n["persons"]) for n in a.noise_usd.values())
    assert any("convergence noise" in n and f"USD {band / 1e6:,.1f} M a year" in n for n in a.notes)
    data = a.to_dict()
    assert {"name", "npv_usd", "bcr", "eirr", "projects", "years", "notes"} <= set(data)
    assert {"id", "npv_usd", "bcr", "eirr"} <= set(data["projects"][0])
    assert set(data["noise_usd_per_year"]) == {"2025", str(a.modelled_years[1])}
    json.dumps(data)  # JSON-ready
    # the portfolio's NPV against the sum of its projects' marginal NPVs: the difference is said, with its sign's reason
    (line,) = interaction_lines(a)
    interaction = a.npv_usd - float(a.projects["npv_usd"].sum())
    assert f"interaction {usd_text(interaction)}" in line
    assert ("compete" in line) == (interaction > 0) or "add up" in line


def test_every_assumption_has_a_source() -> None:
    rows = assumptions(Settings())
    names = {r["parameter"] for r in rows}
    assert {"discount_rate", "value_of_time_php_per_h", "appraisal.tax_share_of_cost", "demand.mean_trip_km"} <= names
    for r in rows:
        assert r["source"].strip(), r["parameter"]


runner = CliRunner()


@pytest.mark.slow
def test_appraise_prints_npv_bcr_eirr_and_the_assumptions(tmp_path: Path) -> None:
    portfolio = tmp_path / "bauan.yaml"
    portfolio.write_text("name: bauan\nprojects: [bauan_terminal]\n", encoding="utf-8")
    args = ["appraise", str(portfolio), "--json", "--no-projects", "--out", str(tmp_path / "a"), "--settings", QUICK]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    (p,) = data["portfolios"]
    assert {"name", "npv_usd", "bcr", "eirr", "projects"} <= set(p)
    assert p["pv_benefits_by_class_usd"]["containers"] > 0  # a new terminal where Batangas is busy
    assert data["assumptions"]["discount_rate"]["value"] == 0.1
    assert "NEDA" in data["assumptions"]["discount_rate"]["source"]
    assert data["provenance"]["settings_digest"]
    md = (tmp_path / "a" / "appraisal.md").read_text(encoding="utf-8")
    assert "| bauan |" in md and "## Assumptions" in md
    flows = (tmp_path / "a" / "appraisal.csv").read_text(encoding="utf-8").splitlines()
    # on the screen the results come first; the assumptions only when asked for
    plain = runner.invoke(app, [a for a in args if a != "--json"])
    assert plain.exit_code == 0, plain.output
    assert "NPV" in plain.stdout and "assumptions behind these figures" in plain.stdout
    assert "discount_rate" not in plain.stdout and plain.stdout.rstrip().splitlines()[-1].startswith("wrote ")
    shown = runner.invoke(app, [*[a for a in args if a != "--json"], "--assumptions"])
    assert "discount_rate" in shown.stdout
    assert flows[0].startswith("portfolio,year,persons,containers,air_passengers,benefits,capital")
    assert np.isclose(len(flows) - 1, 2028 + 30 - 2025)


def test_appraise_refuses_an_empty_portfolio(tmp_path: Path) -> None:
    portfolio = tmp_path / "none.yaml"
    portfolio.write_text("name: none\nprojects: []\n", encoding="utf-8")
    result = runner.invoke(app, ["appraise", str(portfolio)])
    assert result.exit_code == 2
    assert "nothing to appraise" in result.output

"""Charts: SVG text that is the same on every run and never reads a name as markup or mathematics."""

from __future__ import annotations

import pandas as pd
import pytest

from corridor.present.charts import cost_gain_chart, marginal_chart, pareto_chart, province_chart

TABLE = pd.DataFrame(
    {"cost_usd_bn": [1.0, 4.0], "d_to_seaport_min": [-2.0, -5.0], "d_market_access_pop_pct": [1.5, 3.0]},
    index=pd.Index(["${alert(1)}", "<script>alert(1)</script>"], name="portfolio"),
)


@pytest.mark.slow
def test_charts_are_svg_without_dates_or_scripts():
    first = cost_gain_chart(TABLE, {"d_to_seaport_min": "Δ to seaport (min)", "d_market_access_pop_pct": "Δ %"})
    second = cost_gain_chart(TABLE, {"d_to_seaport_min": "Δ to seaport (min)", "d_market_access_pop_pct": "Δ %"})
    assert first == second and first.startswith("<svg")
    assert "<script" not in first and "alert" not in first  # text is drawn as outlines
    assert "dc:date" not in first


def test_each_chart_draws():
    provinces = pd.DataFrame(
        {"to_seaport_min_base": [50.0, 80.0], "to_seaport_min_scenario": [40.0, 80.0]}, index=["A", "B$"]
    )
    assert province_chart({"one": provinces, "two": provinces}).startswith("<svg")
    projects = pd.DataFrame(
        {"name": ["a $x$", "b"], "d_to_seaport_min": [-1.0, 0.0], "d_market_access_pop_pct": [0.5, float("nan")]}
    )
    svg = marginal_chart(
        projects, {"d_to_seaport_min": ("Δ to seaport (min)", -1), "d_market_access_pop_pct": ("Δ %", 1)}
    )
    assert svg.startswith("<svg")
    pareto = pd.DataFrame(
        {"cost_usd": [1e9, 2e9, 5e9], "value": [1.0, 3.0, 3.5], "projects": [["a"], ["a", "b"], ["a", "b", "c"]]}
    )
    assert pareto_chart(pareto, value_title="Δ market access pop (%)").startswith("<svg")

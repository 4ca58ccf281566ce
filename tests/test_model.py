"""The transport model: calibration to observed volumes, gateway choice against capacity,
assignment and its link volumes, the comparison of a portfolio with the base year, and the
commands that show them (validate, volumes, assign, route --times assigned)."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from corridor.access.modelled import compare_model
from corridor.cli import app
from corridor.errors import ModelError
from corridor.inputs.project_files import load_catalog, portfolio_from_ids
from corridor.inputs.region import load_region
from corridor.model.demand import fit_beta, gravity
from corridor.model.loop import run_model
from corridor.model.results import MODEL_LABELS, ModelRun, explain, link_volumes
from corridor.network.build import build_network
from corridor.settings import Settings
from corridor.validate import failed_targets, validation_table

from .conftest import MODEL_FILES, QUICK, write_tiny_region
from .conftest import model_scenario as _scenario


@pytest.mark.slow
def test_the_base_year_reproduces_the_observed_gateway_volumes(tiny_base: ModelRun) -> None:
    volumes = tiny_base.gateways["volume"]
    assert volumes["pier1"] == pytest.approx(950, rel=0.01)
    assert volumes["pier2"] == pytest.approx(500, rel=0.01)
    assert volumes["field"] == pytest.approx(300_000, rel=0.01)
    # pier 1 at 95% of its capacity waits far longer than pier 2 at 25%
    assert tiny_base.gateways.loc["pier1", "delay_h"] > 5 * tiny_base.gateways.loc["pier2", "delay_h"]
    assert tiny_base.assignment["relative_gap"] <= 1e-4


def test_capacity_at_a_congested_port_lowers_its_delay_and_draws_demand_to_it(
    model_graph, model_region, model_settings, tiny_base
) -> None:
    after = _scenario(
        model_graph,
        model_region,
        model_settings,
        tiny_base,
        {"type": "gateway_upgrade", "gateway": "pier1", "capacity": 3000, "capacity_unit": "TEU/yr"},
    )
    before_g, after_g = tiny_base.gateways, after.gateways
    assert after_g.loc["pier1", "delay_h"] < 0.5 * before_g.loc["pier1", "delay_h"]
    assert after_g.loc["pier1", "volume"] > before_g.loc["pier1", "volume"] + 10
    assert after_g.loc["pier2", "volume"] < before_g.loc["pier2", "volume"] - 10
    # the total is what the base year was fitted to: demand moves, it is not made
    assert after_g.loc[["pier1", "pier2"], "volume"].sum() == pytest.approx(1450, rel=1e-3)
    assert after.summary["port_delay_h"] < tiny_base.summary["port_delay_h"]


def test_a_lane_lowers_the_volume_over_capacity_of_that_link(
    model_graph, model_region, model_settings, tiny_base
) -> None:
    after = _scenario(
        model_graph,
        model_region,
        model_settings,
        tiny_base,
        {"type": "upgrade", "select": {"links": ["s1"]}, "lanes": 4},
    )
    before = link_volumes(tiny_base).set_index("link_id")
    later = link_volumes(after).set_index("link_id")
    assert before.loc["s1", "vehicles_day"] > 0
    assert later.loc["s1", "volume_capacity"] < 0.6 * before.loc["s1", "volume_capacity"]


def test_link_volumes_sum_both_directions_under_one_id(tiny_base: ModelRun) -> None:
    table = link_volumes(tiny_base)
    assert table["link_id"].is_unique
    assert set(table["link_id"]) == {"x1", "x2", "t1", "t2", "s1"}  # the planned link is not built
    directed = tiny_base.links.groupby("link_id")["vehicles_day"].sum()
    for row in table.to_dict("records"):
        assert row["vehicles_day"] == pytest.approx(directed[row["link_id"]])
        assert row["vehicles_day"] == row["volume_veh_day"]
        assert row["trucks_day"] <= row["vehicles_day"] + 1e-9


def test_explain_names_the_largest_changes_and_their_direction() -> None:
    base = dict.fromkeys(MODEL_LABELS, 10.0)
    text = explain({"port_delay_h": -5.0, "truck_km_per_day": 0.1, "accessibility": 0.0}, base)
    first, second = text.split("; ")
    assert first.startswith(MODEL_LABELS["port_delay_h"][0]) and first.endswith("(better)")
    assert "(worse)" in second  # more truck-km is worse
    assert explain(dict.fromkeys(MODEL_LABELS, 0.0), base) == "no change in the model's headlines"


@pytest.mark.slow
def test_a_region_without_airports_runs_with_no_air_headlines(tmp_path: Path, model_settings: Settings) -> None:
    files = {**MODEL_FILES}
    files["gateways.csv"] = "".join(line for line in files["gateways.csv"].splitlines(True) if "airport" not in line)
    files["observations.csv"] = files["observations.csv"].replace("airport_pax,field,300000,pax/yr,2025,10,test\n", "")
    region = load_region(write_tiny_region(tmp_path / "no_air", **files))
    run = run_model(build_network(region, model_settings), region, model_settings)
    assert list(run.gateways.index) == ["pier1", "pier2"]
    assert run.gateways.loc["pier1", "volume"] == pytest.approx(950, rel=0.01)
    assert math.isnan(run.summary["air_access_min"]) and math.isnan(run.summary["air_delay_min"])
    assert run.matrices["air_flows"].shape == (len(run.places), 0)


def test_one_decay_fit_reaches_a_mean_of_any_measure() -> None:
    cost = np.array([[1.0, 4.0, 9.0], [4.0, 1.0, 4.0], [9.0, 4.0, 1.0]])
    km = cost * 3.0
    people, jobs = np.array([10.0, 20.0, 30.0]), np.array([30.0, 20.0, 10.0])
    beta = fit_beta(people, jobs, cost, 12.0, measure=km)
    trips = gravity(people, jobs, cost, beta=beta)
    assert (trips * km).sum() / trips.sum() == pytest.approx(12.0, rel=1e-5)
    # the mean cost is the same fit on a third of the target
    assert fit_beta(people, jobs, cost, 4.0) == pytest.approx(beta, rel=1e-5)
    with pytest.raises(ModelError, match="cannot reach the target mean trip cost") as caught:
        fit_beta(people, jobs, cost, 50.0)
    assert caught.value.value == 50.0


@pytest.mark.slow
def test_a_demand_class_or_factor_the_model_does_not_know_is_a_model_error(
    model_graph, model_region, tiny_base
) -> None:
    with pytest.raises(ModelError, match="unknown demand class 'lorries'") as caught:
        run_model(model_graph, model_region, calibration=tiny_base.calibration, demand_factors={"lorries": 2.0})
    assert caught.value.field == "demand_factors"
    with pytest.raises(ModelError, match="a demand factor must be positive"):
        run_model(model_graph, model_region, calibration=tiny_base.calibration, demand_factors={"persons": 0.0})
    with pytest.raises(ModelError, match="needs the base year's calibration"):
        run_model(model_graph, model_region, demand_factors={"persons": 1.5})


def test_a_mean_trip_length_out_of_reach_is_a_model_error(model_graph, model_region, model_settings) -> None:
    settings = model_settings.replace(demand={**model_settings.demand.model_dump(), "mean_trip_km": 1.0})
    with pytest.raises(ModelError, match="cannot reach the mean trip length of the settings") as caught:
        run_model(model_graph, model_region, settings)
    assert caught.value.field == "demand.mean_trip_km" and "km on this network" in str(caught.value)


# ------------------------------------------------------------------ the bundled region


@pytest.mark.slow
def test_validation_meets_every_target(luzon, luzon_graph, luzon_base) -> None:
    table = validation_table(luzon_graph, luzon, Settings(), luzon_base)
    assert failed_targets(table).empty, failed_targets(table)[["item", "published", "modelled"]]
    kinds = set(table["kind"])
    assert {"travel_time", "distance", "port_teu", "airport_pax", "road_count", "area_speed"} <= kinds
    assert (table["role"] == "check").any()  # figures shown for information are shown, whatever they give
    assert table["source"].str.len().min() > 3


@pytest.mark.slow
def test_the_four_gateway_and_freight_projects_each_move_the_model_and_are_explained(
    luzon, luzon_quick, corridor_cache
) -> None:
    catalog = load_catalog(luzon.path)
    ids = ["scmb_freight_rail", "clark_runway_2", "subic_port_expansion", "bauan_terminal"]
    portfolio = portfolio_from_ids(ids, catalog)
    comparison = compare_model(
        luzon_quick[1], portfolio, region=luzon, settings=luzon_quick[0], base=luzon_quick[2], cache=corridor_cache
    )
    marginal = comparison.marginal
    assert marginal is not None
    for pid in ids:
        changes = marginal.loc[pid].drop("name").astype(float)
        assert (changes.abs() > 0).any(), pid
        assert comparison.explanations[pid] != "no change in the model's headlines"
    assert marginal.loc["scmb_freight_rail", "rail_freight_share"] > 0.1
    assert marginal.loc["scmb_freight_rail", "truck_km_per_day"] < -1e4
    assert marginal.loc["bauan_terminal", "port_delay_h"] < -1
    assert marginal.loc["subic_port_expansion", "port_delay_h"] < 0
    assert marginal.loc["clark_runway_2", "air_delay_min"] < 0
    # spare capacity is the reason a port's expansion does little today, and the score says so
    assert "of its capacity in the base year" in comparison.explanations["subic_port_expansion"]
    # and Clark's terminal, not its runway, is what limits it
    assert "not its runways" in comparison.explanations["clark_runway_2"]
    assert comparison.gains["freight_cost_usd_per_teu"] < 0
    # the printed table tells a change of hours under an hour in minutes, and which times it reads
    from rich.console import Console

    from corridor.present.tables import model_printout

    console = Console(width=200, record=True, file=io.StringIO())
    table, *_ = model_printout(comparison)
    console.print(table)
    text = console.export_text()
    assert "assigned times" in text
    for key in ("door_to_ship_h", "port_delay_h"):
        change = comparison.gains[key]
        assert (f"{change * 60:+,.3g} min" if abs(change) < 1 else f"{change:+,.3g}") in text, key
    assert "+0 min" not in text and "-0 min" not in text


# ------------------------------------------------------------------ commands

runner = CliRunner()


@pytest.mark.slow
def test_validate_writes_the_table_and_exits_zero_when_targets_hold(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", "--json", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["failed"] == [] and data["targets"] >= 20
    assert {"kind", "item", "published", "modelled", "passed", "role", "source"} <= set(data["rows"][0])
    md = (tmp_path / "validation.md").read_text(encoding="utf-8")
    assert "targets within tolerance" in md and "| EDSA |" in md
    assert (tmp_path / "validation.csv").read_text(encoding="utf-8").startswith("kind,item,published")


@pytest.mark.slow
def test_validate_exits_one_when_a_target_misses(tmp_path: Path, luzon_copy: Path) -> None:
    path = luzon_copy / "observations.csv"
    text = path.read_text(encoding="utf-8").replace("road_count,EDSA,425890", "road_count,EDSA,42589")
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["validate", "--region", str(luzon_copy), "--settings", QUICK])
    assert result.exit_code == 1
    assert "outside tolerance: EDSA" in result.output


@pytest.mark.slow
def test_volumes_json_has_every_road_link_and_gateway() -> None:
    result = runner.invoke(app, ["volumes", "--json", "--projects", "bauan_terminal", "--settings", QUICK])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["times"] == "assigned" and data["scenario"]
    assert not {"seconds", "assignment_s"} & set(data["assignment"])  # timings are not results
    link = data["links"][0]
    assert {"link_id", "name", "link_class", "cars_day", "trucks_day", "vehicles_day", "volume_capacity"} <= set(link)
    for x in data["links"]:  # the columns add up: cars and trucks, as vehicles, make the vehicles
        assert x["cars_veh_day"] + x["trucks_day"] == pytest.approx(x["vehicles_day"], abs=1e-6)
    edsa = [x for x in data["links"] if x["name"] == "EDSA"]
    assert edsa and max(x["vehicles_day"] for x in edsa) > 100_000
    gateways = {g["gateway_id"]: g for g in data["gateways"]}
    assert gateways["bauan_port"]["volume"] > 0 and math.isfinite(gateways["naia"]["utilisation"])


@pytest.mark.slow
def test_route_with_assigned_times_says_so() -> None:
    args = ["route", "Manila", "Batangas City", "-m", "road", "--times", "assigned", "--json", "--settings", QUICK]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["times"] == "assigned"
    fast = json.loads(runner.invoke(app, ["route", "Manila", "Batangas City", "-m", "road", "--json"]).stdout)
    assert fast["times"] == "accessibility" and fast["minutes"] != data["minutes"]


@pytest.mark.slow
def test_assign_prints_the_tntp_equilibrium(shared_data: Path) -> None:
    folder = shared_data / "tntp"
    net, trips = folder / "SiouxFalls_net.tntp", folder / "SiouxFalls_trips.tntp"
    if not net.exists():
        pytest.skip(f"{net} is absent")
    result = runner.invoke(app, ["assign", "--tntp-net", str(net), "--tntp-trips", str(trips), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["relative_gap"] <= 1e-4 and data["iterations"] > 1
    assert len(data["links"]) == 76 and {"from", "to", "flow", "cost"} == set(data["links"][0])
    again = runner.invoke(app, ["assign", "--tntp-net", str(net), "--tntp-trips", str(trips), "--json"])
    assert "seconds" not in data and again.stdout == result.stdout  # the time taken is not a result
    text = runner.invoke(app, ["assign", "--tntp-net", str(net), "--tntp-trips", str(trips)])
    assert text.exit_code == 0 and "relative gap" in text.output and " s)" in text.output


def test_assign_refuses_a_gap_out_of_range(tmp_path: Path) -> None:
    result = runner.invoke(app, ["assign", "--tntp-net", "a", "--tntp-trips", "b", "--gap", "2"])
    assert result.exit_code == 2


@pytest.mark.slow
def test_third_party_logs_stay_quiet_unless_asked_for(shared_data: Path) -> None:
    """AequilibraE logs every step at DEBUG: a command prints none of it, -vv all of it."""
    import subprocess
    import sys

    net, trips = shared_data / "tntp" / "SiouxFalls_net.tntp", shared_data / "tntp" / "SiouxFalls_trips.tntp"
    if not net.exists():
        pytest.skip(f"{net} is absent")
    args = ["assign", "--tntp-net", str(net), "--tntp-trips", str(trips), "--json", "--engine", "aequilibrae"]
    quiet = subprocess.run([sys.executable, "-m", "corridor", *args], capture_output=True, text=True)
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr[:500]
    loud = subprocess.run([sys.executable, "-m", "corridor", "-vv", *args], capture_output=True, text=True)
    assert "DEBUG aequilibrae" in loud.stderr


def test_a_gateway_that_loses_volume_to_its_own_expansion_is_explained(luzon) -> None:
    """Subic expanded in a portfolio whose railway draws boxes to Manila: the fall is said, with where they go."""
    from types import SimpleNamespace

    import pandas as pd

    from corridor.access.modelled import throughput_notes

    catalog = load_catalog(luzon.path)
    portfolio = portfolio_from_ids(["subic_port_expansion", "scmb_freight_rail"], catalog)
    frame = {"type": ["seaport", "seaport", "airport"], "utilisation": [0.23, 1.1, 0.5]}
    index = pd.Index(["subic_port", "mict", "clark_airport"], name="gateway_id")
    base = SimpleNamespace(gateways=pd.DataFrame({**frame, "volume": [139_980.0, 4.2e6, 3e6]}, index=index))
    after = SimpleNamespace(gateways=pd.DataFrame({**frame, "volume": [114_810.0, 4.225e6, 3e6]}, index=index))
    (note,) = throughput_notes(portfolio, base, after)  # type: ignore[arg-type]
    assert note.startswith("subic_port handles 25,170 fewer TEU a year") and "subic_port_expansion" in note
    assert "23% of its capacity" in note and "mict (+25,000)" in note and "clark_airport" not in note
    # more volume, or a gateway no project expands, is nothing to explain
    assert throughput_notes(portfolio, after, base) == []  # type: ignore[arg-type]
    assert throughput_notes(portfolio_from_ids(["scmb_freight_rail"], catalog), base, after) == []  # type: ignore[arg-type]

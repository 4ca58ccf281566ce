"""Connectivity metrics: definitions checked by hand on the small region, and on Luzon."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from corridor import route
from corridor.access.metrics import THRESHOLDS_MIN, compute_metrics
from corridor.paths.engine import compile_network, travel_times
from corridor.settings import Settings


@pytest.fixture(scope="module")
def luzon_metrics(luzon_graph):
    return compute_metrics(luzon_graph)


def test_market_access_by_hand(tiny_graph):
    s = Settings(market_access_half_life_min=30)
    m = compute_metrics(tiny_graph, s)
    zones = ["z:west", "z:east", "z:north"]
    t = travel_times(compile_network(tiny_graph, "any"), zones, zones) / 60
    pop = np.array([100_000, 50_000, 20_000])
    expected = (np.exp(-math.log(2) * t / 30) * pop).sum(axis=1)
    assert m.zones.loc[["west", "east", "north"], "market_access_pop"].to_numpy() == pytest.approx(expected)
    # the only jobs are the park's 5,000
    tj = travel_times(compile_network(tiny_graph, "any"), zones, ["e:park"])[:, 0] / 60
    assert m.zones.loc[["west", "east", "north"], "market_access_jobs"].to_numpy() == pytest.approx(
        5000 * np.exp(-math.log(2) * tj / 30)
    )
    weighted = (expected * pop).sum() / pop.sum()
    assert m.summary["market_access_pop"] == pytest.approx(weighted)


def test_nearest_port_and_catchments(tiny_graph):
    m = compute_metrics(tiny_graph)
    west = m.zones.loc["west"]
    assert west.nearest_seaport == "pier2"  # the harbour's western pier is next door
    assert west.to_seaport_min == pytest.approx(route(tiny_graph, "West Town", "pier2").minutes)
    assert west.door_to_ship_h == pytest.approx(west.to_seaport_min / 60 + 96)
    assert m.zones.loc["north"].nearest_airport == "field"
    for _port, row in m.seaports.iterrows():
        pops = [row[f"pop_within_{t}_min"] for t in THRESHOLDS_MIN]
        assert pops == sorted(pops) and pops[-1] <= 170_000


def test_od_modes(luzon_metrics):
    od = luzon_metrics.od
    assert {"road_min", "rail_min", "any_min", "best_min"} <= set(od.columns)
    assert (od.best_min <= od.road_min + 1e-9).all()
    # most ports and parks have no rail line in 2025, so rail is mostly inf, and that is explicit
    assert np.isinf(od.rail_min).mean() > 0.5 and np.isfinite(od.road_min).all()
    row = od.loc[("clark_airport", "manila_mict")]
    assert 60 < row.road_min < 120


def test_unreachable_pairs_are_reported(tiny_dir):
    from corridor import build_network, load_region

    from .conftest import write_tiny_region

    # an island zone with its own junction and no link to the mainland
    nodes = (tiny_dir / "road_nodes.csv").read_text() + "i,Island,14.95,120.95,test\n"
    zones = (tiny_dir / "zones.csv").read_text() + "isle,Isle Town,R1,P3,14.95,120.96,1000,,test\n"
    folder = write_tiny_region(tiny_dir.parent / "island", **{"road_nodes.csv": nodes, "zones.csv": zones})
    m = compute_metrics(build_network(load_region(folder)))
    assert math.isinf(m.zones.loc["isle", "to_seaport_min"]) and pd.isna(m.zones.loc["isle", "nearest_seaport"])
    assert ((m.unreachable.origin == "isle") & (m.unreachable.destination == "seaport")).any()
    assert m.summary["unreachable_pairs"] >= 2


def test_luzon_summary_is_plausible(luzon_metrics):
    s = luzon_metrics.summary
    assert s["population"] == 42_101_676
    assert 30 < s["avg_to_seaport_min"] < 90 and 30 < s["avg_to_airport_min"] < 90
    assert 0.6 < s["pop_within_90_min_seaport"] / s["population"] <= 1
    assert s["unreachable_pairs"] == 0
    manila = luzon_metrics.zones.loc["manila"]
    assert manila.nearest_seaport.startswith("manila_") and manila.to_seaport_min < 20

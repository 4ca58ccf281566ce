"""The one edge builder: every edge of a kind gets its speed and time by one rule."""

from __future__ import annotations

import pytest
from shapely.geometry import LineString

from corridor.geo import DISPLAY_CRS
from corridor.inputs.projects import Portfolio
from corridor.network import edges
from corridor.network.scenario import apply_portfolio
from corridor.settings import Settings

from .conftest import make_project

_ROAD_KEYS = ("link_class", "free_flow_speed_kph", "congestion_factor", "congestion_area", "speed_kph", "travel_time")


def test_travel_time_rule():
    assert edges.travel_time_s(1000.0, 36.0) == pytest.approx(100.0)
    assert edges.travel_time_s(1000.0, 36.0, dwell_s=30, wait_s=60) == pytest.approx(190.0)
    assert edges.boarding_wait_s(10) == 300.0


def test_road_speed_inside_and_outside_a_congestion_area():
    s = Settings()
    assert edges.road_speed_kph("trunk", s) == (45.0, 1.0, 45.0)
    f_road, f_express = s.congestion_factor("metro_manila", "trunk"), s.congestion_factor("metro_manila", "expressway")
    assert f_road < f_express <= 1
    assert edges.road_speed_kph("trunk", s, area="metro_manila") == (45.0, f_road, 45.0 * f_road)
    assert edges.road_speed_kph("expressway", s, area="metro_manila") == (80.0, f_express, 80.0 * f_express)
    assert edges.road_speed_kph("expressway", s, speed_kph=100, area="metro_manila")[2] == 100 * f_express


def test_an_upgraded_link_gets_exactly_what_a_new_link_of_its_class_gets(luzon, luzon_graph):
    """Roxas Boulevard made an expressway runs like a new expressway drawn along it (congestion of the class)."""
    row = luzon.road_links.loc["roxas-01"]
    geometry = luzon.road_links.geometry.to_crs(DISPLAY_CRS).loc["roxas-01"]
    waypoints = [{"lat": lat, "lon": lon, "waypoint": True} for lon, lat in list(geometry.coords)[1:-1]]
    upgrade = make_project("up", [{"type": "upgrade", "select": {"links": ["roxas-01"]}, "link_class": "expressway"}])
    new = make_project(
        "new",
        [
            {
                "type": "new_line",
                "mode": "road",
                "name": "Roxas expressway",
                "stops": [row.from_node, *waypoints, row.to_node],
            }
        ],
    )
    up_graph = apply_portfolio(luzon_graph, Portfolio(name="u", projects=(upgrade,)), region=luzon).G
    new_graph = apply_portfolio(luzon_graph, Portfolio(name="n", projects=(new,)), region=luzon).G
    upgraded = next(d for _, _, d in up_graph.edges(data=True) if d.get("link_id") == "roxas-01" and not d["reversed"])
    built = next(d for _, _, d in new_graph.edges(data=True) if d.get("project") == "new" and not d["reversed"])
    expressway_factor = Settings().congestion_factor("metro_manila", "expressway")
    assert upgraded["congestion_area"] == "metro_manila" and upgraded["congestion_factor"] == expressway_factor
    for key in _ROAD_KEYS:
        assert (
            upgraded[key] == pytest.approx(built[key], rel=1e-6)
            if isinstance(built[key], float)
            else upgraded[key] == built[key]
        ), key


def test_reverse_flips_the_geometry():
    attrs = {"geometry": LineString([(120.0, 14.0), (120.1, 14.1)]), "length": 1.0}
    back = edges.reverse(attrs)
    assert list(back["geometry"].coords) == [(120.1, 14.1), (120.0, 14.0)] and back["reversed"] is True

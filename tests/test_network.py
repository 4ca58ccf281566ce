"""The multimodal graph: schema, base-year filter, connectors, transfers, congestion."""

from __future__ import annotations

import math

import networkx as nx
import pytest

from corridor import DataError, build_network, load_region, route
from corridor.network.build import edge_in_mode, node_id
from corridor.settings import Settings

from .conftest import EDGE_KEYS, write_tiny_region


def test_schema_on_every_edge(tiny_graph):
    assert tiny_graph.graph["crs"] == "EPSG:4326"
    for u, v, d in tiny_graph.edges(data=True):
        assert set(d) >= EDGE_KEYS, (u, v, set(EDGE_KEYS) - set(d))
        assert d["mode"] in {"road", "rail", "access", "transfer"}
        assert d["travel_time"] > 0 and d["length"] >= 0
    for _, d in tiny_graph.nodes(data=True):
        assert {"x", "y", "kind", "name", "place_id"} <= set(d)


def test_road_travel_time_follows_speed(tiny_graph):
    for _, _, d in tiny_graph.edges(data=True):
        if d["mode"] == "road":
            assert d["travel_time"] == pytest.approx(d["length"] / (d["speed_kph"] / 3.6))


def test_only_operating_links_in_base(tiny_graph):
    ids = {d["link_id"] for _, _, d in tiny_graph.edges(data=True)}
    assert "x1" in ids and "p1" not in ids


def test_two_way_links_have_both_directions(tiny_graph):
    a, b = node_id("junction", "a"), node_id("junction", "b")
    assert tiny_graph.has_edge(a, b) and tiny_graph.has_edge(b, a)
    fwd = next(iter(tiny_graph[a][b].values()))
    back = next(iter(tiny_graph[b][a].values()))
    assert list(fwd["geometry"].coords) == list(back["geometry"].coords)[::-1]
    assert fwd["link_id"] == back["link_id"] == "x1"


def test_congestion_applies_inside_the_area_only(tiny_region):
    settings = Settings(congestion_factors={"city": {"expressway": 0.75, "default": 0.5}})
    G = build_network(tiny_region, settings)
    by_id = {d["link_id"]: d for _, _, d in G.edges(data=True)}
    inside = by_id["x2"]  # its midpoint (120.65) lies in the test city polygon
    outside = by_id["x1"]
    assert inside["congestion_area"] == "city"
    assert inside["speed_kph"] == pytest.approx(80 * 0.75)
    assert outside["congestion_factor"] == 1.0 and outside["speed_kph"] == 80


def test_an_osm_extract_gets_the_regions_congestion_rule_inside_its_areas(tiny_region):
    """A road network of one's own (an OSM extract) runs at the region's factors where it lies in an area."""
    from shapely.geometry import LineString

    from corridor.network.build import with_congestion

    roads = nx.MultiDiGraph(crs="EPSG:4326", attribution="OpenStreetMap contributors")
    for n, (x, y) in {"p": (120.60, 14.50), "q": (120.70, 14.50), "r": (120.30, 14.50), "s": (120.40, 14.50)}.items():
        roads.add_node(n, x=x, y=y)
    for u, v in (("p", "q"), ("r", "s")):
        line = LineString([(roads.nodes[u]["x"], roads.nodes[u]["y"]), (roads.nodes[v]["x"], roads.nodes[v]["y"])])
        roads.add_edge(u, v, key=0, geometry=line, length=10_760.0, speed_kph=60.0, link_class="primary", name=u + v)
    settings = Settings(congestion_factors={"city": {"expressway": 0.75, "default": 0.5}})
    G = with_congestion(roads, tiny_region, settings)
    inside, outside = G.edges["p", "q", 0], G.edges["r", "s", 0]
    assert inside["congestion_area"] == "city" and inside["speed_kph"] == pytest.approx(30.0)
    assert inside["travel_time"] == pytest.approx(10_760.0 / (30 / 3.6))
    assert outside["congestion_factor"] == 1.0 and outside["speed_kph"] == pytest.approx(60.0)
    assert G.graph["attribution"] == "OpenStreetMap contributors" and set(G.nodes) == set(roads.nodes)
    assert roads.edges["p", "q", 0]["speed_kph"] == 60.0  # the extract itself is left as it was


def test_link_speed_overrides_class_speed(tmp_path):
    from .test_region import TINY_LINKS_HEADER

    links = TINY_LINKS_HEADER + "x1,a,b,Test Expressway,expressway,4,100,no,operating,,test\n"
    G = build_network(load_region(write_tiny_region(tmp_path / "r", **{"road_links.csv": links})))
    d = next(iter(G[node_id("junction", "a")][node_id("junction", "b")].values()))
    assert d["free_flow_speed_kph"] == 100


def test_settings_speeds_change_times(tiny_region):
    slow = build_network(tiny_region, Settings().replace(speeds_kph={**Settings().speeds_kph, "expressway": 40.0}))
    fast = build_network(tiny_region)
    t_slow = route(slow, "West Town", "Biñan East", mode="road").time_s
    t_fast = route(fast, "West Town", "Biñan East", mode="road").time_s
    assert t_slow > t_fast


def test_boarding_waits_half_a_headway(tiny_graph):
    j = node_id("junction", "a")
    s = node_id("station", "s_west")
    board = next(iter(tiny_graph[j][s].values()))
    alight = next(iter(tiny_graph[s][j].values()))
    assert board["wait_s"] == 5 * 60  # headway 10 min
    assert board["travel_time"] - alight["travel_time"] == pytest.approx(300)


def test_modes_select_edges(tiny_graph):
    road = [d for _, _, d in tiny_graph.edges(data=True) if edge_in_mode(d, "road")]
    rail = [d for _, _, d in tiny_graph.edges(data=True) if edge_in_mode(d, "rail")]
    assert {d["mode"] for d in road} == {"road", "access"}
    assert {d["mode"] for d in rail} <= {"rail", "access", "transfer"}
    assert all(d.get("attaches") == "rail" for d in rail if d["mode"] == "access")
    assert not any(d["link_class"] == "station_access" for d in rail)


def test_zone_far_from_roads_is_a_data_error(tmp_path):
    from .test_region import TINY_ZONES_HEADER

    zones = TINY_ZONES_HEADER + "far,Far Town,R1,P1,14.95,120.05,100,,test\n"
    region = load_region(write_tiny_region(tmp_path / "r", **{"zones.csv": zones}))
    with pytest.raises(DataError, match=r"id 'far'.*km from the nearest road junction"):
        build_network(region, Settings(connector_max_km=5))


def test_luzon_every_zone_reaches_every_gateway_by_road(luzon_graph):
    from corridor.paths.engine import compile_network, travel_times

    compiled = compile_network(luzon_graph, "road")
    zones = [n for n, d in luzon_graph.nodes(data=True) if d["kind"] == "zone"]
    gateways = [n for n, d in luzon_graph.nodes(data=True) if d["kind"] == "gateway"]
    times = travel_times(compiled, zones, gateways)
    assert times.shape == (len(zones), len(gateways))
    assert (times < math.inf).all()
    # no zone of the corridor is more than 7 hours from every gateway
    assert times.min(axis=1).max() < 7 * 3600


def test_luzon_base_excludes_what_was_not_open(luzon_graph):
    ids = {d["link_id"] for _, _, d in luzon_graph.edges(data=True)}
    assert "cllex-01" in ids and "cllex-02" not in ids
    assert not any(str(n).startswith("s:pnr_") for n in luzon_graph.nodes)


def test_luzon_road_network_is_connected(luzon_graph):
    road = nx.MultiDiGraph((u, v, d) for u, v, d in luzon_graph.edges(data=True) if d["mode"] == "road")
    assert nx.is_strongly_connected(road)


def test_routing_never_mutates_the_graph(tiny_graph):
    before = nx.to_dict_of_dicts(tiny_graph)
    snapshot = {(u, v, k): dict(d) for u, v, k, d in tiny_graph.edges(keys=True, data=True)}
    route(tiny_graph, "West Town", "North Town")
    assert nx.to_dict_of_dicts(tiny_graph).keys() == before.keys()
    assert {(u, v, k): dict(d) for u, v, k, d in tiny_graph.edges(keys=True, data=True)} == snapshot


def test_provenance_in_graph(luzon_graph):
    prov = luzon_graph.graph["provenance"]
    assert prov["region"] == "luzon" and prov["settings_digest"] and prov["corridor_version"]


def test_no_trip_drives_after_a_rail_leg(tiny_graph):
    """Mode any is the faster of a car trip and a public transport trip; road legs around rail are jeepney/bus."""

    trip = route(tiny_graph, "West Town", "Biñan East", mode="any")
    modes = [leg.mode for leg in trip.legs]
    if "rail" in modes:
        after = modes[modes.index("rail") :]
        assert "road" not in after  # a car never follows a rail leg
    by_road = route(tiny_graph, "West Town", "Biñan East", mode="road")
    assert trip.minutes <= by_road.minutes + 1e-6


def test_public_transport_road_legs_wait_for_a_jeepney(tiny_region):
    from corridor.paths.engine import compile_network, travel_times
    from corridor.paths.routes import PT_ROAD_MODE
    from corridor.settings import Settings

    slow_roads = Settings().replace(speeds_kph={"expressway": 5, "trunk": 5, "primary": 5}, pt_wait_min=7)
    G = build_network(tiny_region, slow_roads)  # roads so slow that the rail line wins
    trip = route(G, "West Town", "Biñan East", mode="any")
    assert "rail" in [leg.mode for leg in trip.legs]
    jeepney = [leg for leg in trip.legs if leg.mode == PT_ROAD_MODE]
    waits = sum(leg.wait_minutes for leg in trip.legs)
    assert all(leg.wait_minutes >= 0 for leg in jeepney) and waits >= 5  # the train's half headway at least
    any_ = travel_times(compile_network(G, "any"), ["z:west"], ["z:east"])[0, 0]
    assert any_ / 60 == pytest.approx(trip.minutes, abs=0.01)


def test_a_built_network_is_read_back_only_while_its_inputs_are_unchanged(tmp_path, luzon_copy):
    """The base network kept on disk: keyed by the pack's files and the settings; a bad file is a miss."""
    from corridor.network.stored import network_key, read_network, write_network

    key = network_key(luzon_copy, None)
    assert read_network(tmp_path, key) is None
    G = nx.MultiDiGraph(crs="EPSG:4326")
    G.add_edge("a", "b", travel_time=60.0)
    write_network(tmp_path, key, G)
    back = read_network(tmp_path, key)
    assert back is not None and list(back.edges(data=True)) == [("a", "b", {"travel_time": 60.0})]
    settings = tmp_path / "s.toml"
    settings.write_text("walk_speed_kph = 5.0\n")
    assert network_key(luzon_copy, settings) != key  # other settings, another network
    zones = luzon_copy / "zones.csv"
    zones.write_text(zones.read_text() + "\n")
    assert network_key(luzon_copy, None) != key  # a file of the pack changed: never the old network
    (tmp_path / "networks" / f"{key}.pickle").write_bytes(b"not a pickle")
    assert read_network(tmp_path, key) is None


def test_route_reads_the_kept_network_and_answers_the_same(tmp_path, capsys):
    from corridor.cli import main

    args = ["route", "Clark International Airport", "Port of Manila", "--cache-dir", str(tmp_path), "--json"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert len(list((tmp_path / "networks").glob("*.pickle"))) == 1
    assert main(args) == 0
    assert capsys.readouterr().out == first

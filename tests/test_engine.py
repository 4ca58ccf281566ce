"""Shortest paths: equal to networkx's, unreachable explicit, centroids never passed through."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString

from corridor import NoRouteError, route
from corridor.engine import compile_network, travel_times
from corridor.network import PlaceIndex


def _graph(n: int, edges: list[tuple[int, int, float]], centroids: set[int] = frozenset()) -> nx.MultiDiGraph:
    G = nx.MultiDiGraph(crs="EPSG:4326")
    for i in range(n):
        G.add_node(
            i,
            x=120 + i * 0.01,
            y=14.5,
            kind="zone" if i in centroids else "junction",
            name=f"N{i}",
            place_id=f"n{i}",
        )
    for u, v, w in edges:
        G.add_edge(
            u,
            v,
            travel_time=w,
            length=w * 10,
            mode="road",
            link_class="primary",
            name=f"{u}-{v}",
            link_id=f"{u}-{v}",
            geometry=LineString([(120, 14.5), (120.01, 14.5)]),
        )
    return G


edge_lists = st.integers(min_value=2, max_value=12).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.floats(0.5, 1000, allow_nan=False)),
            min_size=0,
            max_size=40,
        ),
    )
)


@given(edge_lists)
@settings(max_examples=120, deadline=None)
def test_travel_times_equal_networkx(case):
    n, edges = case
    edges = [(u, v, w) for u, v, w in edges if u != v]
    G = _graph(n, edges)
    compiled = compile_network(G, "road")
    nodes = list(range(n))
    times = travel_times(compiled, nodes, nodes)
    for s in nodes:
        expected = nx.single_source_dijkstra_path_length(G, s, weight="travel_time")
        for t in nodes:
            want = expected.get(t, math.inf)
            assert times[s, t] == pytest.approx(want, rel=1e-9, abs=1e-3)


@given(edge_lists, st.sets(st.integers(0, 11), max_size=4))
@settings(max_examples=80, deadline=None)
def test_centroids_are_never_passed_through(case, centroids):
    n, edges = case
    edges = [(u, v, w) for u, v, w in edges if u != v]
    centroids = {c for c in centroids if c < n}
    G = _graph(n, edges, centroids)
    times = travel_times(compile_network(G, "road"), list(range(n)), list(range(n)))
    # reference: networkx on a graph where centroids have no outgoing edges except at the start
    for s in range(n):
        H = G.copy()
        H.remove_edges_from([(u, v, k) for u, v, k in G.edges(keys=True) if u in centroids and u != s])
        expected = nx.single_source_dijkstra_path_length(H, s, weight="travel_time")
        for t in range(n):
            assert times[s, t] == pytest.approx(expected.get(t, math.inf), rel=1e-9, abs=1e-3)


def test_unreachable_is_inf_and_no_route_error():
    G = _graph(3, [(0, 1, 10.0)])
    times = travel_times(compile_network(G, "road"), [0, 2], [1, 2])
    assert times[0, 0] == 10.0 and math.isinf(times[0, 1]) and math.isinf(times[1, 0]) and times[1, 1] == 0
    with pytest.raises(NoRouteError, match="no road route from 'N0' to 'N2'"):
        route(G, "n0", "n2", mode="road")


def test_route_matches_networkx_path(tiny_graph):
    trip = route(tiny_graph, "West Town", "North Town", mode="road")
    ref = nx.shortest_path_length(tiny_graph, "z:west", "z:north", weight="travel_time")
    assert trip.time_s == pytest.approx(ref)
    assert trip.nodes[0] == "z:west" and trip.nodes[-1] == "z:north"
    assert trip.minutes == pytest.approx(sum(leg.minutes for leg in trip.legs))
    assert trip.km == pytest.approx(sum(leg.km for leg in trip.legs))
    # consecutive edges of one named road are one leg
    assert [leg.name for leg in trip.legs].count("Test Expressway") <= 1


def test_route_to_a_group_takes_the_nearest_member(tiny_graph):
    west = route(tiny_graph, "West Town", "Tiny Harbour", mode="road")
    east = route(tiny_graph, "Biñan East", "Tiny Harbour", mode="road")
    assert west.nodes[-1] == "g:pier2" and east.nodes[-1] == "g:pier1"
    assert west.destination.kind == "gateway_group"


def test_rail_mode_uses_the_line(tiny_graph):
    trip = route(tiny_graph, "West Town", "Biñan East", mode="rail")
    modes = [leg.mode for leg in trip.legs]
    assert "rail" in modes and "road" not in modes
    assert trip.legs[0].wait_minutes == pytest.approx(5)  # half the 10-minute headway


def test_same_place_is_zero(tiny_graph):
    trip = route(tiny_graph, "West Town", "west")
    assert trip.time_s == 0 and trip.legs == ()


def test_json_has_minutes_km_legs(tiny_graph):
    data = route(tiny_graph, "West Town", "North Town").to_dict()
    assert {"minutes", "km", "legs", "from", "to", "provenance"} <= set(data)
    assert {"mode", "name", "minutes", "km"} <= set(data["legs"][0])


def test_compiled_network_is_reusable(luzon_graph):
    compiled = compile_network(luzon_graph, "road")
    places = PlaceIndex(luzon_graph)
    a = route(luzon_graph, "Manila", "Lipa", mode="road", compiled=compiled, places=places)
    b = route(luzon_graph, "Manila", "Lipa", mode="road")
    assert a.time_s == b.time_s
    with pytest.raises(ValueError, match="compiled network is for mode 'road'"):
        route(luzon_graph, "Manila", "Lipa", mode="any", compiled=compiled)


def test_any_mode_is_never_slower_than_road(luzon_graph):
    zones = [n for n, d in luzon_graph.nodes(data=True) if d["kind"] == "zone"]
    road = travel_times(compile_network(luzon_graph, "road"), zones, zones)
    anym = travel_times(compile_network(luzon_graph, "any"), zones, zones)
    assert np.all(anym <= road + 1e-6)
    assert np.any(anym < road - 60)  # rail saves time somewhere in Metro Manila

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
from corridor.network.places import PlaceIndex
from corridor.paths.engine import compile_network, travel_times

from .conftest import to_whole_ms


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
    reference = to_whole_ms(G)  # the engine keeps each arc's time to the millisecond
    for s in nodes:
        expected = nx.single_source_dijkstra_path_length(reference, s, weight="travel_time")
        for t in nodes:
            want = expected.get(t, math.inf)
            assert times[s, t] == pytest.approx(want, rel=1e-9, abs=1e-6)


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
        H = to_whole_ms(G)
        H.remove_edges_from([(u, v, k) for u, v, k in G.edges(keys=True) if u in centroids and u != s])
        expected = nx.single_source_dijkstra_path_length(H, s, weight="travel_time")
        for t in range(n):
            assert times[s, t] == pytest.approx(expected.get(t, math.inf), rel=1e-9, abs=1e-6)


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
    # by public transport, rail saves time somewhere in Metro Manila against jeepneys and buses alone
    transit = travel_times(compile_network(luzon_graph, "transit"), zones, zones)
    no_rail = compile_network(luzon_graph, "transit", include=lambda d: d.get("mode") not in {"rail", "transfer"})
    by_road_pt = travel_times(no_rail, zones, zones)
    assert np.all(transit <= by_road_pt + 1e-6) and np.any(transit < by_road_pt - 60)


# ------------------------------------------------------------------ backends and exact re-scoring

from corridor.paths.engine import Delta, available_backends, compile_arrays, distances  # noqa: E402
from corridor.paths.rescore import EndpointCache, rescore  # noqa: E402


def _random_arrays(seed: int, n: int, m: int):
    rng = np.random.default_rng(seed)
    tail = rng.integers(0, n, m)
    head = rng.integers(0, n, m)
    keep = tail != head
    weight = rng.uniform(1, 600, m)
    lon, lat = rng.uniform(120, 121, n), rng.uniform(14, 15, n)
    return tail[keep], head[keep], weight[keep], lon, lat


@pytest.mark.skipif("cch" not in available_backends(), reason="routingkit-cch is not installed")
def test_cch_backend_agrees_with_scipy_to_the_second(luzon_graph):
    compiled = compile_network(luzon_graph, "any")
    nodes = [n for n, d in luzon_graph.nodes(data=True) if d["kind"] in {"zone", "gateway"}]
    a = travel_times(compiled, nodes, nodes, backend="scipy")
    b = travel_times(compile_network(luzon_graph, "any"), nodes, nodes, backend="cch")
    assert np.array_equal(np.isinf(a), np.isinf(b))
    finite = np.isfinite(a)
    assert np.abs(a[finite] - b[finite]).max() < 1.0


@pytest.mark.skipif("cch" not in available_backends(), reason="routingkit-cch is not installed")
@given(seed=st.integers(0, 10_000))
@settings(max_examples=25, deadline=None)
def test_cch_equals_scipy_on_random_graphs(seed):
    tail, head, weight, lon, lat = _random_arrays(seed, 40, 120)
    compiled = compile_arrays(40, tail, head, weight, lon=lon, lat=lat)
    idx = np.arange(40)
    a = distances(compiled, idx, idx, backend="scipy")
    b = distances(compiled, idx, idx, backend="cch")
    assert np.array_equal(np.isinf(a), np.isinf(b))
    assert np.abs(a[np.isfinite(a)] - b[np.isfinite(b)]).max(initial=0) < 1.0
    c = distances(compiled, idx, idx, backend="cch", reverse=True)
    assert np.allclose(np.nan_to_num(c, posinf=-1), np.nan_to_num(b.T, posinf=-1), atol=1e-9)


def test_two_workers_give_the_same_matrix(monkeypatch):
    import corridor.paths.engine

    monkeypatch.setattr(corridor.paths.engine, "PARALLEL_MIN_NODES", 0)  # share even a small network's origins
    tail, head, weight, lon, lat = _random_arrays(3, 300, 1500)
    compiled = compile_arrays(300, tail, head, weight, lon=lon, lat=lat)
    idx = np.arange(300)
    assert np.array_equal(distances(compiled, idx, idx), distances(compiled, idx, idx, workers=2))
    for backend in available_backends():
        assert np.array_equal(
            distances(compiled, idx, idx[:50], backend=backend),
            distances(compiled, idx, idx[:50], backend=backend, workers=2),
        )


def test_unknown_backend():
    compiled = compile_arrays(2, [0], [1], [1.0])
    with pytest.raises(ValueError, match="backend must be one of scipy, cch"):
        distances(compiled, [0], [1], backend="magic")


def _full(n: int, tail, head, weight, sources, targets) -> np.ndarray:
    return distances(compile_arrays(n, tail, head, weight), sources, targets)


better_arcs = st.lists(st.tuples(st.integers(0, 34), st.integers(0, 34), st.floats(0.5, 400)), min_size=1, max_size=12)


@given(seed=st.integers(0, 10_000), arcs=better_arcs, backend=st.sampled_from(available_backends()))
@settings(max_examples=80, deadline=None)
def test_rescore_adding_links_equals_a_full_recomputation(seed, arcs, backend):
    n_base, n_new = 30, 5  # indices 30..34 are new nodes
    tail, head, weight, lon, lat = _random_arrays(seed, n_base, 90)
    base = compile_arrays(n_base, tail, head, weight, lon=lon, lat=lat)
    sources, targets = np.arange(0, 30, 2), np.arange(1, 30, 3)
    D0 = distances(base, sources, targets, backend=backend)
    arcs = [(a, b, w) for a, b, w in arcs if a != b]
    new_s, new_t = [30, 31], [32, 33, 34]
    fast = rescore(
        base, D0, sources, targets, Delta(n_new, arcs), backend=backend, extra_sources=new_s, extra_targets=new_t
    )
    t2 = np.concatenate([tail, [a for a, _, _ in arcs]])
    h2 = np.concatenate([head, [b for _, b, _ in arcs]])
    w2 = np.concatenate([weight, [w for _, _, w in arcs]])
    full = _full(n_base + n_new, t2, h2, w2, np.concatenate([sources, new_s]), np.concatenate([targets, new_t]))
    assert np.array_equal(np.isinf(fast), np.isinf(full))
    tolerance = 1e-6 if backend == "scipy" else 1.0  # cch counts whole milliseconds
    assert np.abs(fast[np.isfinite(fast)] - full[np.isfinite(full)]).max(initial=0) < tolerance
    # and equal to networkx's own
    G = nx.MultiDiGraph()
    G.add_nodes_from(range(n_base + n_new))
    G.add_weighted_edges_from(zip(t2.tolist(), h2.tolist(), np.maximum(np.round(w2, 3), 1e-3).tolist(), strict=True))
    s0 = int(sources[0])
    ref = nx.single_source_dijkstra_path_length(G, s0)
    row = [ref.get(int(t), math.inf) for t in np.concatenate([targets, new_t])]
    assert fast[0] == pytest.approx(row, abs=tolerance)


def test_rescore_compiles_without_a_folder_to_cache_in(monkeypatch):
    """Where Numba finds no folder to keep compiled code in, re-scoring compiles it for the run and answers the same."""
    import numba.core.config

    import corridor.paths.engine
    from corridor.paths.rescore import _closure_through

    monkeypatch.setattr(numba.core.config, "CACHE_LOCATOR_CLASSES", "NoSuchLocator")
    monkeypatch.setattr(corridor.paths.engine, "_KERNELS", {})
    tail, head, weight, lon, lat = _random_arrays(7, 30, 90)
    base = compile_arrays(30, tail, head, weight, lon=lon, lat=lat)
    sources, targets = np.arange(0, 30, 2), np.arange(1, 30, 3)
    arcs = [(0, 29, 5.0), (29, 3, 7.0), (11, 30, 2.0), (30, 12, 2.0)]  # 30 is a new node
    fast = rescore(base, distances(base, sources, targets), sources, targets, Delta(1, arcs))
    t2 = np.concatenate([tail, [a for a, _, _ in arcs]])
    h2 = np.concatenate([head, [b for _, b, _ in arcs]])
    w2 = np.concatenate([weight, [w for _, _, w in arcs]])
    assert (
        type(corridor.paths.engine._KERNELS[_closure_through]._cache).__name__ == "NullCache"
    )  # compiled for this run only
    np.testing.assert_allclose(fast, _full(31, t2, h2, w2, sources, targets), atol=1e-6)


@given(
    seed=st.integers(0, 10_000),
    drop=st.lists(st.integers(0, 80), min_size=1, max_size=6, unique=True),
    slow=st.floats(1.0, 5.0),
)
@settings(max_examples=80, deadline=None)
def test_rescore_removing_or_slowing_links_equals_a_full_recomputation(seed, drop, slow):
    n = 30
    tail, head, weight, _, _ = _random_arrays(seed, n, 90)
    base = compile_arrays(n, tail, head, weight)
    sources, targets = np.arange(0, 30, 2), np.arange(1, 30, 3)
    D0 = distances(base, sources, targets)
    drop = [i for i in drop if i < len(base.tail)]
    new_w = base.weight.copy()
    removed = np.zeros(len(base.tail), dtype=bool)
    for j, i in enumerate(drop):
        if j % 2:
            new_w[i] *= slow
        else:
            removed[i] = True
    changed = compile_arrays(n, base.tail[~removed], base.head[~removed], new_w[~removed])
    delta = Delta(0, [], [(int(base.tail[i]), int(base.head[i])) for i in drop])
    cache = EndpointCache(base, sources, targets)
    fast = rescore(base, D0, sources, targets, delta, cache=cache, scenario=changed)
    full = distances(changed, sources, targets)
    assert np.array_equal(np.isinf(fast), np.isinf(full))
    assert np.abs(fast[np.isfinite(fast)] - full[np.isfinite(full)]).max(initial=0) < 1e-6
    assert np.all(fast >= D0 - 1e-9)  # a closure never shortens a trip
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    G.add_weighted_edges_from(zip(changed.tail.tolist(), changed.head.tolist(), changed.weight.tolist(), strict=True))
    ref = nx.single_source_dijkstra_path_length(G, int(sources[0]))
    assert fast[0] == pytest.approx([ref.get(int(t), math.inf) for t in targets], abs=1e-6)


def test_rescore_with_removals_needs_the_changed_network():
    base = compile_arrays(3, [0, 1], [1, 2], [1.0, 1.0])
    with pytest.raises(ValueError, match="pass the changed network"):
        rescore(base, np.zeros((1, 1)), np.array([0]), np.array([2]), Delta(0, [], [(0, 1)]))


@given(seed=st.integers(0, 10_000))
@settings(max_examples=20, deadline=None)
def test_few_targets_search_backwards_with_the_same_answer(seed):
    tail, head, weight, _, _ = _random_arrays(seed, 40, 120)
    compiled = compile_arrays(40, tail, head, weight)
    everything = distances(compiled, np.arange(40), np.arange(40))
    few = [3, 17, 29]
    # the same paths summed in another order: equal to float precision, and unreachable alike
    np.testing.assert_allclose(distances(compiled, np.arange(40), few), everything[:, few], rtol=1e-12)
    np.testing.assert_allclose(distances(compiled, np.arange(40), few, reverse=True), everything[few, :].T, rtol=1e-12)


@given(seed=st.integers(0, 10_000), groups=st.integers(1, 5), drop=st.sets(st.integers(0, 4), max_size=3))
@settings(max_examples=40, deadline=None)
def test_leaving_groups_out_equals_a_full_search(seed, groups, drop):
    from corridor.paths.rescore import LeaveOut

    rng = np.random.default_rng(seed)
    n_base, n_new = 30, 4
    tail, head, weight, lon, lat = _random_arrays(seed, n_base, 80)
    base = compile_arrays(n_base, tail, head, weight, lon=lon, lat=lat)
    arcs = [
        [
            (int(a), int(b), float(w))
            for a, b, w in zip(rng.integers(0, 34, 4), rng.integers(0, 34, 4), rng.uniform(1, 50, 4), strict=True)
        ]
        for _ in range(groups)
    ]
    sources, targets = np.arange(0, 34, 2), np.arange(1, 34, 3)
    leave = LeaveOut(base, arcs, n_new, sources, targets)
    kept = [a for g, group in enumerate(arcs) if g not in drop for a in group]
    t2 = np.concatenate([tail, [a for a, _, _ in kept]]).astype(int)
    h2 = np.concatenate([head, [b for _, b, _ in kept]]).astype(int)
    w2 = np.concatenate([weight, [w for _, _, w in kept]])
    full = _full(n_base + n_new, t2, h2, w2, sources, targets)
    got = leave.without(drop)
    assert np.array_equal(np.isinf(got), np.isinf(full))
    assert np.abs(got[np.isfinite(got)] - full[np.isfinite(full)]).max(initial=0) < 1e-6

"""Scenarios: edits applied to a copy, undone exactly, and never making a better network worse."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString

from corridor import route
from corridor.geo import to_metric as lonlat_to_metric
from corridor.inputs.project_files import load_catalog, load_portfolio, portfolio_from_ids
from corridor.inputs.projects import Portfolio
from corridor.network.scenario import apply_portfolio, ordered_projects
from corridor.paths.engine import compile_network, travel_times

from .conftest import ROOT, make_project


def _same_graph(a: nx.MultiDiGraph, b: nx.MultiDiGraph) -> bool:
    if set(a.nodes) != set(b.nodes) or any(a.nodes[n] != b.nodes[n] for n in a.nodes):
        return False
    ea = {(u, v, k): d for u, v, k, d in a.edges(keys=True, data=True)}
    eb = {(u, v, k): d for u, v, k, d in b.edges(keys=True, data=True)}
    return ea == eb and a.graph == b.graph


def test_apply_then_revert_returns_the_base(luzon, luzon_graph):
    before = luzon_graph.copy()
    portfolio = load_portfolio(ROOT / "portfolios" / "lec_full.yaml")
    scenario = apply_portfolio(luzon_graph, portfolio, region=luzon)
    assert scenario.G.number_of_edges() > luzon_graph.number_of_edges()
    assert _same_graph(luzon_graph, before)  # the base was never touched
    reverted = scenario.revert()
    assert _same_graph(reverted, luzon_graph)


def test_revert_restores_closures_and_upgrades(tiny_graph):
    p = make_project(
        "mix",
        [
            {"type": "upgrade", "select": {"links": ["t1"]}, "speed_kph": 90, "lanes": 4},
            {"type": "close", "select": {"links": ["x2"]}},
            {"type": "investment", "place": "park", "jobs": 100},
            {"type": "gateway_upgrade", "gateway": "field", "handling_h": 1, "capacity": 10},
        ],
    )
    scenario = apply_portfolio(tiny_graph, Portfolio(name="mix", projects=(p,)))
    assert not scenario.only_improves
    assert not any(d["link_id"] == "x2" for _, _, d in scenario.G.edges(data=True))
    assert scenario.G.nodes["e:park"]["jobs"] == 5100
    assert _same_graph(scenario.revert(), tiny_graph)


def test_requirements_are_applied_first():
    catalog = load_catalog(ROOT / "data" / "luzon")
    p = portfolio_from_ids(["nscr_malolos_clark", "nscr_tutuban_malolos"], catalog)
    assert [q.id for q in ordered_projects(p)] == ["nscr_tutuban_malolos", "nscr_malolos_clark"]


# every catalog project, applied on its own, changes what it should
EXPECTED = {
    # project: (mode, origin, destination): the trip gets faster
    "nscr_tutuban_malolos": ("transit", "Malolos", "manila_mict"),
    "nscr_malolos_clark": ("any", "Malolos", "Clark International Airport"),
    "bcib": ("road", "Naic", "Mariveles"),
    "mm_subway": ("transit", "Rodriguez (Montalban)", "Taguig"),
    "nlex_slex_connector": ("road", "Makati", "Navotas"),
    "cllex_aliaga_cabanatuan": ("road", "Tarlac City", "Cabanatuan"),
    "cllex_phase2": ("road", "Cabanatuan", "San Jose City"),
    "calax_kawit": ("road", "laguna_technopark", "cavite_north"),
    "mrt7": ("any", "Quezon City", "San Jose del Monte"),
    "manila_bay_expressway": ("road", "Navotas", "mariveles_port"),
    "pnr_south_long_haul": ("any", "Calamba", "Lucena"),
}


@pytest.mark.parametrize("pid", sorted(load_catalog(ROOT / "data" / "luzon")))
def test_each_catalog_project_applies_and_does_what_it_should(luzon, luzon_graph, pid):
    from corridor.access.metrics import compute_metrics

    catalog = load_catalog(luzon.path)
    project = catalog[pid]
    scenario = apply_portfolio(luzon_graph, portfolio_from_ids([pid, *project.requires], catalog), region=luzon)
    assert scenario.only_improves
    G = scenario.G
    if pid in EXPECTED:
        mode, a, b = EXPECTED[pid]
        before = route(luzon_graph, a, b, mode=mode).minutes
        after = route(G, a, b, mode=mode).minutes
        assert after < before - 1, (pid, before, after)
    elif pid == "nscr_south":
        # one through-running line: Tutuban to Calamba by rail alone, which no base line offers
        trip = route(G, "Tutuban", "Calamba", mode="rail")
        assert trip.minutes < 75 and {leg.mode for leg in trip.legs} <= {"rail", "access"}
        with pytest.raises(Exception, match="unknown place 'Tutuban'"):
            route(luzon_graph, "Tutuban", "Calamba", mode="rail")
    elif pid in {"scmb_freight_rail", "subic_clark_railway"}:
        # freight rail joins the port and the freeport by rail, for freight only: with roads made dear, freight rides it
        def road_dear(u, v, k, d):
            return d["travel_time"] * (100 if d.get("mode") == "road" else 1)

        freight = compile_network(G, "freight", weight=road_dear)
        trip = route(G, "subic_port", "clark_freeport", mode="freight", compiled=freight)
        assert "rail" in {leg.mode for leg in trip.legs}
        assert math.isinf(travel_times(compile_network(G, "rail"), ["g:subic_port"], ["e:clark_freeport"])[0, 0])
    elif pid in {"clark_runway_2", "subic_port_expansion"}:
        # capacity: the edit lands on the gateway, and the scenario's travel times are the base ones
        gateway = {"clark_runway_2": "g:clark_airport", "subic_port_expansion": "g:subic_port"}[pid]
        assert G.nodes[gateway] != luzon_graph.nodes[gateway]
        assert compute_metrics(G).summary == compute_metrics(luzon_graph).summary
    elif pid in {"bauan_terminal", "nmia", "sangley_airport"}:
        kind = "seaport" if pid == "bauan_terminal" else "airport"
        base = compute_metrics(luzon_graph).zones[f"to_{kind}_min"]
        scen = compute_metrics(G).zones[f"to_{kind}_min"]
        assert (scen <= base + 1e-9).all() and (scen < base - 5).any()
    elif pid in {"clark_food_hub", "new_clark_city_growth"}:
        place = {"clark_food_hub": "e:clark_freeport", "new_clark_city_growth": "e:new_clark_city"}[pid]
        added = project.edits[0].jobs
        assert (G.nodes[place].get("jobs") or 0) == (luzon_graph.nodes[place].get("jobs") or 0) + added
        assert (
            compute_metrics(G).summary["market_access_jobs"]
            > compute_metrics(luzon_graph).summary["market_access_jobs"]
        )
    else:
        pytest.fail(f"no expectation for catalog project {pid!r}: add one")


# ------------------------------------------------------------------ properties on random graphs


def _random_graph(seed: int, n: int) -> nx.MultiDiGraph:
    rng = np.random.default_rng(seed)
    G = nx.MultiDiGraph(crs="EPSG:4326", bbox=(120.0, 14.0, 121.0, 15.0), congestion_areas={})
    xs, ys = rng.uniform(120.1, 120.9, n), rng.uniform(14.1, 14.9, n)
    for i in range(n):
        G.add_node(f"j:{i}", x=float(xs[i]), y=float(ys[i]), kind="junction", name=f"J{i}", place_id=str(i))
    # a spanning path plus random chords, two-way
    pairs = [(i, i + 1) for i in range(n - 1)] + [tuple(rng.choice(n, 2, replace=False)) for _ in range(n)]
    for k, (a, b) in enumerate(pairs):
        if a == b:
            continue
        geom = LineString([(xs[a], ys[a]), (xs[b], ys[b])])
        length = float(lonlat_to_metric(geom).length)
        speed = float(rng.uniform(20, 90))
        for u, v, g in ((a, b, geom), (b, a, LineString(list(geom.coords)[::-1]))):
            G.add_edge(
                f"j:{u}",
                f"j:{v}",
                link_id=f"l{k}",
                mode="road",
                link_class="primary",
                name=f"L{k}",
                length=length,
                speed_kph=speed,
                free_flow_speed_kph=speed,
                congestion_factor=1.0,
                travel_time=length / (speed / 3.6),
                status="operating",
                source="t",
                geometry=g,
            )
    return G


place = st.one_of(
    st.integers(0, 9).map(str),
    st.builds(lambda lat, lon: {"lat": lat, "lon": lon}, st.floats(14.1, 14.9), st.floats(120.1, 120.9)),
)
improving_edit = st.one_of(
    st.builds(
        lambda a, b, s: {"type": "new_line", "mode": "road", "name": "R", "stops": [a, b], "speed_kph": s},
        place,
        place,
        st.floats(20, 120),
    ),
    st.builds(
        lambda stops, s, h: {
            "type": "new_line",
            "mode": "rail",
            "name": "T",
            "stops": stops,
            "speed_kph": s,
            "headway_min": h,
        },
        st.lists(place, min_size=2, max_size=4),
        st.floats(30, 160),
        st.floats(2, 30),
    ),
    st.builds(
        lambda link, f: {"type": "upgrade", "select": {"links": [f"l{link}"]}, "speed_factor": f},
        st.integers(0, 8),
        st.floats(1.0, 3.0),
    ),
)


def _times(G: nx.MultiDiGraph, nodes: list) -> np.ndarray:
    return travel_times(compile_network(G, "any"), nodes, nodes)


@given(seed=st.integers(0, 10_000), edits=st.lists(improving_edit, min_size=1, max_size=4))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_adding_lines_or_speed_never_lengthens_a_trip(seed, edits):
    G = _random_graph(seed, 10)
    nodes = [f"j:{i}" for i in range(10)]
    try:
        portfolio = Portfolio(name="p", projects=(make_project("p1", edits),))
        scenario = apply_portfolio(G, portfolio)
    except Exception as exc:  # a line whose two stops snap to one junction is refused, as it should be
        assert "are the same junction" in str(exc) or "already exists" in str(exc)
        return
    assert scenario.only_improves
    before, after = _times(G, nodes), _times(scenario.G, nodes)
    assert np.all(after <= before + 1e-6)


@given(seed=st.integers(0, 10_000), links=st.lists(st.integers(0, 8), min_size=1, max_size=3, unique=True))
@settings(max_examples=60, deadline=None)
def test_a_closure_never_shortens_a_trip(seed, links):
    G = _random_graph(seed, 10)
    nodes = [f"j:{i}" for i in range(10)]
    edits = [{"type": "close", "select": {"links": [f"l{k}" for k in links]}}]
    scenario = apply_portfolio(G, Portfolio(name="c", projects=(make_project("c1", edits),)))
    assert not scenario.only_improves
    before, after = _times(G, nodes), _times(scenario.G, nodes)
    assert np.all(after >= before - 1e-6)
    assert _same_graph(scenario.revert(), G)


@given(seed=st.integers(0, 10_000), edits=st.lists(improving_edit, min_size=1, max_size=3))
@settings(max_examples=30, deadline=None)
def test_random_portfolios_revert_exactly(seed, edits):
    G = _random_graph(seed, 10)
    reference = G.copy()
    try:
        scenario = apply_portfolio(G, Portfolio(name="p", projects=(make_project("p1", edits),)))
    except Exception:
        return
    assert _same_graph(scenario.revert(), reference)

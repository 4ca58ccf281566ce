"""A region on road arrays scores exactly as on the whole graph, and never builds a graph of the roads."""

from __future__ import annotations

import json
import random
import weakref

import networkx as nx
import numpy as np
import pytest

from corridor import build_network, load_region
from corridor.access.scorer import PortfolioScorer
from corridor.access.scores import score
from corridor.errors import PortfolioError, ScenarioError
from corridor.inputs.projects import Portfolio
from corridor.paths.array_network import Junctions, NodeIndex, network_from_arrays
from corridor.paths.engine import available_backends
from corridor.paths.road_arrays import RoadArrays, road_arrays_from_pbf
from corridor.settings import Settings

from .conftest import TINY_FILES, make_project, write_tiny_region

BACKENDS = available_backends()


def grid_roads(columns: int = 12, rows: int = 8, seed: int = 0) -> RoadArrays:
    """A jittered grid of two-way roads over the tiny region, with one pair of parallel roads and mixed classes."""
    rng = np.random.default_rng(seed)
    lon, lat = np.meshgrid(np.linspace(120.15, 120.85, columns), np.linspace(14.35, 14.75, rows))
    lon = lon.ravel() + rng.uniform(-0.005, 0.005, lon.size)
    lat = lat.ravel() + rng.uniform(-0.005, 0.005, lat.size)
    at = np.arange(lon.size).reshape(rows, columns)
    pairs = [(at[j, i], at[j, i + 1]) for j in range(rows) for i in range(columns - 1)]
    pairs += [(at[j, i], at[j + 1, i]) for j in range(rows - 1) for i in range(columns)]
    pairs = np.array([*pairs, pairs[0]])  # a second road between the first two junctions
    tail = np.concatenate([pairs[:, 0], pairs[:, 1]])
    head = np.concatenate([pairs[:, 1], pairs[:, 0]])
    way = np.concatenate([np.arange(len(pairs))] * 2) + 1000
    dx = (lon[tail] - lon[head]) * 111_320 * np.cos(np.radians(14.5))
    dy = (lat[tail] - lat[head]) * 110_574
    length = np.hypot(dx, dy) * rng.uniform(1.0, 1.3, len(tail))
    classes = ["primary", "residential", "trunk"]
    link_class = rng.integers(0, 3, len(tail)).astype(np.int16)
    class_speed = np.array([Settings().speeds_kph[c] for c in classes])
    speed = np.where(rng.uniform(size=len(tail)) < 0.3, rng.uniform(30, 80, len(tail)), class_speed[link_class])
    return RoadArrays(
        osm_node=np.arange(lon.size, dtype=np.int64) * 7 + 100,
        lon=lon,
        lat=lat,
        tail=tail,
        head=head,
        length_m=length,
        speed_kph=speed,
        travel_time_s=length / (speed / 3.6),
        link_class=link_class,
        lanes=np.full(len(tail), np.nan),
        name=np.zeros(len(tail), dtype=np.int32),
        osm_way=way,
        classes=classes,
        names=[""],
    )


def link_id(roads: RoadArrays, arc: int) -> str:
    ids = roads.osm_node
    return f"osm:{int(roads.osm_way[arc])}:{int(ids[roads.tail[arc]])}-{int(ids[roads.head[arc]])}"


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    region = load_region(write_tiny_region(tmp_path_factory.mktemp("grid") / "tiny"))
    roads = grid_roads()
    return region, roads, build_network(region, roads=roads.to_networkx()), network_from_arrays(region, roads)


def grid_projects(roads: RoadArrays) -> list:
    half = roads.n_arcs // 2
    row = list(range(4 * 11, 5 * 11))
    return [
        make_project(
            "road_coords",
            [
                {
                    "type": "new_line",
                    "mode": "road",
                    "name": "R1",
                    "speed_kph": 90,
                    "stops": [
                        {"lat": 14.40, "lon": 120.22},
                        {"lat": 14.70, "lon": 120.70},
                        {"lat": 14.72, "lon": 120.83},
                    ],
                }
            ],
        ),
        make_project(
            "road_places",
            [{"type": "new_line", "mode": "road", "name": "R2", "speed_kph": 100, "stops": ["west", "north"]}],
        ),
        make_project(  # the middle row of the grid, both ways
            "upgrade_ids",
            [
                {
                    "type": "upgrade",
                    "select": {"links": [link_id(roads, k) for k in row + [k + half for k in row]]},
                    "speed_factor": 1.8,
                }
            ],
        ),
        make_project("upgrade_along", [{"type": "upgrade", "select": {"along": ["west", "east"]}, "speed_kph": 110}]),
        make_project("close_along", [{"type": "close", "select": {"along": ["east", "north"]}}]),
        make_project(
            "close_parallel", [{"type": "close", "select": {"links": [link_id(roads, 0), link_id(roads, half)]}}]
        ),
        make_project("slow_along", [{"type": "upgrade", "select": {"along": ["west", "park"]}, "speed_factor": 0.4}]),
        make_project(
            "rail",
            [
                {
                    "type": "new_line",
                    "mode": "rail",
                    "name": "L2",
                    "speed_kph": 90,
                    "headway_min": 6,
                    "dwell_s": 30,
                    "stops": [{"lat": 14.42, "lon": 120.30}, {"lat": 14.60, "lon": 120.55}, "s_east"],
                }
            ],
        ),
        make_project(
            "port",
            [
                {
                    "type": "new_gateway",
                    "id": "newport",
                    "name": "New Port",
                    "gateway_type": "seaport",
                    "lat": 14.36,
                    "lon": 120.60,
                    "capacity": 1000,
                    "capacity_unit": "TEU/yr",
                    "handling_h": 48,
                }
            ],
        ),
        make_project(
            "junction",
            [{"type": "new_node", "id": "nn", "name": "NN", "lat": 14.62, "lon": 120.42, "link_class": "primary"}],
        ),
        make_project("jobs", [{"type": "investment", "place": "east", "jobs": 20000}]),
        make_project("pier", [{"type": "gateway_upgrade", "gateway": "pier1", "handling_h": 24}]),
    ]


def assert_same_matrices(a: PortfolioScorer, b: PortfolioScorer, portfolio: Portfolio) -> None:
    ma, mb = a.matrices(portfolio), b.matrices(portfolio)
    assert ma.method == mb.method
    assert [d["place_id"] for d in ma.nodes] == [d["place_id"] for d in mb.nodes]
    for mode in a.modes:
        x, y = ma.times_s[mode], mb.times_s[mode]
        assert np.array_equal(np.isinf(x), np.isinf(y)), (portfolio.name, mode)
        assert np.allclose(x[np.isfinite(x)], y[np.isfinite(y)], rtol=0, atol=1e-6), (portfolio.name, mode)
    sa, sb = a.summary(portfolio), b.summary(portfolio)
    assert sa.keys() == sb.keys()
    for key in sa:
        assert sa[key] == pytest.approx(sb[key], rel=1e-9, abs=1e-9, nan_ok=True), (portfolio.name, key)


def test_junctions_and_node_index_look_up_by_osm_id():
    junctions = Junctions(np.array([70, 10, 40]))
    assert junctions.position(10) == 1 and junctions.position(np.int64(40)) == 2
    assert junctions.position(11) is None and junctions.position("z:10") is None and junctions.position(True) is None
    index = NodeIndex(junctions, 5, {"z:a": 0})
    assert index[70] == 5 and index["z:a"] == 0 and 11 not in index and len(index) == 4
    assert list(index) == ["z:a", 70, 10, 40]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_arrays_compile_to_the_graphs_travel_times(grid, backend):
    region, roads, G, net = grid
    assert not any(d["mode"] == "road" for _, _, d in net.G.edges(data=True))
    assert len(net.G) < len(G) - roads.n_nodes + 20  # of the junctions, only those the places join
    a = PortfolioScorer(G, region=region, backend=backend)
    b = PortfolioScorer(net, region=region, backend=backend)
    assert a.centroids == b.centroids and b.base_nodes == a.base_nodes
    for mode in a.modes:
        assert np.array_equal(a.base_times_s[mode], b.base_times_s[mode]), mode
    assert b._dominated == a._dominated
    assert b.base.summary == a.base.summary


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_every_kind_of_edit_scores_the_same_on_arrays(grid, backend):
    region, roads, G, net = grid
    a = PortfolioScorer(G, region=region, backend=backend)
    b = PortfolioScorer(net, region=region, backend=backend)
    projects = grid_projects(roads)
    changed: set[str] = set()
    for project in projects:
        portfolio = Portfolio(name=project.id, projects=(project,))
        assert_same_matrices(a, b, portfolio)
        after = a.matrices(portfolio).times_s
        changed.update(
            project.id
            for m in a.modes
            if after[m].shape != a.base_times_s[m].shape or not np.array_equal(after[m], a.base_times_s[m])
        )
    # jobs and handling times move no time; a junction alone, or one of two parallel roads closed, need not
    assert {p.id for p in projects} - changed <= {"jobs", "pier", "junction", "close_parallel"}
    rnd = random.Random(0)
    for i in range(25):
        chosen = tuple(rnd.sample(projects, rnd.randint(2, 5)))
        assert_same_matrices(a, b, Portfolio(name=f"mix {i}", projects=chosen))


def test_closures_on_arrays_are_searched_again(grid):
    region, roads, _, net = grid
    b = PortfolioScorer(net, region=region)
    close = next(p for p in grid_projects(roads) if p.id == "close_along")
    m = b.matrices(Portfolio(name="closed", projects=(close,)))
    assert m.method == "recomputed"
    assert (m.times_s["road"] >= b.base_times_s["road"] - 1e-9).all()
    assert (m.times_s["road"] > b.base_times_s["road"] + 1).any()


def test_score_with_marginals_is_the_same_on_arrays(grid):
    region, roads, G, net = grid
    projects = grid_projects(roads)
    portfolio = Portfolio(name="four", projects=(projects[0], projects[3], projects[4], projects[10]))
    on_graph = score(G, portfolio, region=region)
    on_arrays = score(net, portfolio, region=region)
    assert on_arrays.gains == pytest.approx(on_graph.gains, nan_ok=True)
    assert np.allclose(on_arrays.marginal.drop(columns="name"), on_graph.marginal.drop(columns="name"), equal_nan=True)


def test_what_arrays_cannot_do_is_one_clear_error(grid):
    region, _, _, net = grid
    b = PortfolioScorer(net, region=region)
    opening = make_project("open_p1", [{"type": "open", "links": ["p1"]}])
    with pytest.raises(
        ScenarioError, match=r"project 'open_p1', edit 1 \(open\): link 'p1' joins junctions of the region"
    ):
        b.summary(Portfolio(name="o", projects=(opening,)))
    unknown = make_project("bad", [{"type": "upgrade", "select": {"links": ["osm:1:2-3"]}, "speed_factor": 2}])
    with pytest.raises(ScenarioError, match=r"project 'bad', edit 1 \(upgrade\): unknown link 'osm:1:2-3'"):
        b.summary(Portfolio(name="u", projects=(unknown,)))
    line = make_project(
        "line", [{"type": "new_line", "mode": "road", "name": "L", "speed_kph": 80, "stops": ["a", "e"]}]
    )
    with pytest.raises(ScenarioError, match=r"place 'a' is a junction of the region's own roads, which this network"):
        b.summary(Portfolio(name="l", projects=(line,)))
    with pytest.raises(PortfolioError, match="transport model"):
        score(net, Portfolio(name="m", projects=()), region=region, model=True)


def test_the_scorer_on_arrays_pickles(grid):
    import pickle

    region, roads, _, net = grid
    b = PortfolioScorer(net, region=region)
    portfolio = Portfolio(name="p", projects=tuple(grid_projects(roads)[:4]))
    copy = pickle.loads(pickle.dumps(b))
    assert copy.summary(portfolio) == pytest.approx(b.summary(portfolio), nan_ok=True)


# ------------------------------------------------------------------ the commands build no graph of the roads


def _albay(tmp_path):
    """A tiny region pack whose box holds the Legazpi extract."""
    yaml_text = TINY_FILES["region.yaml"].replace(
        "bbox: [120.0, 14.0, 121.0, 15.0]", "bbox: [123.5, 12.9, 124.2, 13.4]"
    )
    return write_tiny_region(
        tmp_path / "albay",
        **{
            "region.yaml": yaml_text.replace(
                "gateway_groups:\n  - {id: harbour, name: Tiny Harbour, type: seaport, source: test}\n", ""
            ),
            "zones.csv": "zone_id,name,region,province,lat,lon,population_2020,psgc_members,source\n"
            "centre,Legazpi centre,R5,Albay,13.1391,123.7438,100000,,test\n"
            "airport,Legazpi airport area,R5,Albay,13.1575,123.7350,20000,,test\n"
            "daraga,Daraga,R5,Albay,13.1486,123.7126,50000,,test\n",
            "gateways.csv": "gateway_id,name,type,group,lat,lon,capacity,capacity_unit,handling_h,code,source\n"
            "legazpi_port,Legazpi port,seaport,,13.1480,123.7560,,,48,PH LGP,NGA World Port Index\n"
            "legazpi_airport,Bicol airport,airport,,13.1110,123.6750,,,2,DRP,OpenFlights\n",
            "economic_zones.csv": "ez_id,name,lat,lon,area_ha,jobs,source\n",
            "rail_stations.csv": "station_id,line_id,seq,name,lat,lon,status,source\n",
            "road_nodes.csv": "node_id,name,lat,lon,source\na,A,13.14,123.74,test\nb,B,13.16,123.73,test\n",
            "road_links.csv": "link_id,from_node,to_node,name,link_class,lanes,speed_kph,oneway,status,via,source\n"
            "x1,a,b,Main road,primary,2,,no,operating,,test\n",
            "projects.yaml": "projects: []\n",
        },
    )


def _counted(method, made):
    """The method, keeping in ``made.most`` the largest graph it has seen."""

    def wrapped(self, *args, **kwargs):
        out = method(self, *args, **kwargs)
        if len(self) > getattr(made, "most", 0):
            made.most = len(self)  # type: ignore[attr-defined]
        return out

    return wrapped


class _Made(list):
    """Weak references to the graphs made, and the most nodes any had."""

    most = 0


@pytest.mark.slow
def test_commands_on_road_arrays_build_no_graph_of_the_roads(shared_data, tmp_path, capsys, monkeypatch):
    from corridor.cli import main

    roads = road_arrays_from_pbf(shared_data / "osm_legazpi" / "legazpi.osm.pbf")
    path = roads.save(tmp_path / "roads.npz")
    folder = _albay(tmp_path)
    far = link_id(roads, int(np.argmax(roads.length_m)))
    (tmp_path / "p.yaml").write_text(
        "name: Legazpi roads\nprojects:\n"
        "  - {id: bypass, name: Bypass, category: road, cost_usd: 5e7, price_year: 2025, status: proposal,\n"
        "     opening_year: 2030, source: test, edits: [{type: new_line, mode: road, name: Bypass, speed_kph: 80,\n"
        "     stops: [{lat: 13.1391, lon: 123.7438}, {lat: 13.1110, lon: 123.6750}]}]}\n"
        "  - {id: widen, name: Widening, category: road, cost_usd: 2e7, price_year: 2025, status: proposal,\n"
        "     opening_year: 2030, source: test, edits: [{type: upgrade, select: {along: [centre, legazpi_port]},\n"
        "     speed_factor: 1.5}, {type: upgrade, select: {links: ['" + far + "']}, speed_factor: 1.2}]}\n"
        "  - {id: shut, name: Closure, category: road, cost_usd: 1, price_year: 2025, status: proposal,\n"
        "     opening_year: 2030, source: test, edits: [{type: close, select: {along: [daraga, airport]}}]}\n"
    )
    made = _Made()
    init = nx.MultiDiGraph.__init__

    def counting_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        made.append(weakref.ref(self))

    def refuse(self, settings=None):
        raise AssertionError("a graph of the roads was built")

    monkeypatch.setattr(RoadArrays, "to_networkx", refuse)
    monkeypatch.setattr(nx.MultiDiGraph, "__init__", counting_init)
    monkeypatch.setattr(nx.MultiDiGraph, "add_node", _counted(nx.MultiDiGraph.add_node, made))
    monkeypatch.setattr(nx.MultiDiGraph, "add_edge", _counted(nx.MultiDiGraph.add_edge, made))
    common = ["--region", str(folder), "--roads", str(path), "--cache-dir", str(tmp_path / "cache")]
    code = main(["score", str(tmp_path / "p.yaml"), "--json", *common])
    out = capsys.readouterr()
    assert code == 0, out.err
    result = json.loads(out.out)
    assert result["gains"]["avg_to_seaport_min"] is not None and len(result["marginal"]) == 3
    code = main(["compare", str(tmp_path / "p.yaml"), *common])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "Legazpi roads" in out.out
    code = main(["optimize", "--budget", "1e8", "--candidates", str(tmp_path / "p.yaml"), "--json", *common])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert json.loads(out.out)["candidates"] == 3
    code = main(["optimize", "-b", "1e8", "--objective", "npv", "--candidates", str(tmp_path / "p.yaml"), *common])
    assert code == 2 and "the npv objective needs the transport model" in capsys.readouterr().err
    code = main(["score", str(tmp_path / "p.yaml"), "--model", *common])  # refused before the roads are read
    assert code == 2 and "--model needs the transport model" in capsys.readouterr().err
    sizes = [len(G) for ref in made if (G := ref()) is not None]
    assert made.most < 200 < roads.n_nodes and all(s < 200 for s in sizes)


@pytest.mark.slow
def test_legazpi_scores_the_same_on_arrays_as_on_its_graph(shared_data, tmp_path):
    roads = road_arrays_from_pbf(shared_data / "osm_legazpi" / "legazpi.osm.pbf")
    region = load_region(_albay(tmp_path))
    G = build_network(region, roads=roads.to_networkx())
    net = network_from_arrays(region, roads)
    projects = [
        make_project(
            "bypass",
            [
                {
                    "type": "new_line",
                    "mode": "road",
                    "name": "Bypass",
                    "speed_kph": 80,
                    "stops": [{"lat": 13.1391, "lon": 123.7438}, {"lat": 13.1110, "lon": 123.6750}],
                }
            ],
        ),
        make_project(
            "widen", [{"type": "upgrade", "select": {"along": ["centre", "legazpi_port"]}, "speed_factor": 1.5}]
        ),
        make_project("shut", [{"type": "close", "select": {"along": ["daraga", "airport"]}}]),
        make_project(
            "tram",
            [
                {
                    "type": "new_line",
                    "mode": "rail",
                    "name": "Tram",
                    "speed_kph": 40,
                    "headway_min": 10,
                    "dwell_s": 20,
                    "stops": ["daraga", "centre", "legazpi_port"],
                }
            ],
        ),
    ]
    for backend in BACKENDS:
        a = PortfolioScorer(G, region=region, backend=backend)
        b = PortfolioScorer(net, region=region, backend=backend)
        for mode in a.modes:
            assert np.array_equal(a.base_times_s[mode], b.base_times_s[mode])
        for chosen in [[p] for p in projects] + [projects]:  # each kind of edit alone, then all of them at once
            assert_same_matrices(a, b, Portfolio(name="+".join(p.id for p in chosen), projects=tuple(chosen)))


def test_a_second_scorer_on_arrays_reads_the_cache(grid, tmp_path):
    from corridor.paths.cache import DiskCache

    region, roads, _, net = grid
    first = DiskCache(tmp_path / "cache")
    a = PortfolioScorer(net, region=region, cache=first)
    assert first.misses and not first.hits
    again = DiskCache(tmp_path / "cache")
    b = PortfolioScorer(network_from_arrays(region, roads), region=region, cache=again)
    assert again.hits and not again.misses
    portfolio = Portfolio(name="p", projects=tuple(grid_projects(roads)[:5]))
    assert b.summary(portfolio) == pytest.approx(a.summary(portfolio), nan_ok=True)

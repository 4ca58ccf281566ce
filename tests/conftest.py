"""Shared fixtures: a small corridor region written in code, the bundled Luzon region,
and the public datasets of ../shared/data."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest

from corridor import build_network, load_region
from corridor.inputs.projects import Portfolio, Project
from corridor.inputs.region import Region
from corridor.model.loop import run_model
from corridor.model.results import ModelRun
from corridor.network.scenario import apply_portfolio
from corridor.paths.cache import DiskCache
from corridor.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
#: the attributes every edge of a corridor network carries
EDGE_KEYS = {
    "length",
    "speed_kph",
    "travel_time",
    "mode",
    "link_class",
    "name",
    "status",
    "link_id",
    "geometry",
    "source",
}
SHARED_DATA = Path(os.environ.get("CORRIDOR_SHARED_DATA", ROOT.parent / "shared" / "data"))

TINY_FILES = {
    "region.yaml": """\
name: tiny
title: Tiny test corridor
version: "t1"
base_year: 2025
bbox: [120.0, 14.0, 121.0, 15.0]
files:
  zones: zones.csv
  gateways: gateways.csv
  economic_zones: economic_zones.csv
  road_nodes: road_nodes.csv
  road_links: road_links.csv
  rail_lines: rail_lines.csv
  rail_stations: rail_stations.csv
  rail_interchanges: rail_interchanges.csv
gateway_groups:
  - {id: harbour, name: Tiny Harbour, type: seaport, source: test}
congestion_areas:
  - id: city
    name: City
    source: test
    polygon: [[120.55, 14.45], [120.75, 14.45], [120.75, 14.55], [120.55, 14.55], [120.55, 14.45]]
attribution: ["Test data"]
""",
    # a west-east expressway A-B-C, a slow trunk road A-D-C below it, a spur C-E
    "road_nodes.csv": """\
node_id,name,lat,lon,source
a,Junction A,14.50,120.20,test
b,Junction B,14.50,120.50,test
c,Junction C,14.50,120.80,test
d,Junction D,14.40,120.50,test
e,Junction E,14.70,120.80,test
""",
    "road_links.csv": """\
link_id,from_node,to_node,name,link_class,lanes,speed_kph,oneway,status,via,source
x1,a,b,Test Expressway,expressway,4,,no,operating,,test
x2,b,c,Test Expressway,expressway,4,,no,operating,14.52 120.65,test
t1,a,d,Old Road,trunk,2,,no,operating,,test
t2,d,c,Old Road,trunk,2,,no,operating,,test
s1,c,e,Spur,primary,2,,no,operating,,test
p1,d,e,Planned Link,expressway,4,,no,planned,,test
""",
    "zones.csv": """\
zone_id,name,region,province,lat,lon,population_2020,psgc_members,source
west,West Town,R1,P1,14.51,120.21,100000,,test
east,Biñan East,R1,P1,14.51,120.79,50000,,test
north,North Town,R1,P2,14.71,120.81,20000,,test
""",
    "gateways.csv": """\
gateway_id,name,type,group,lat,lon,capacity,capacity_unit,handling_h,code,source
pier1,Tiny Harbour Pier 1,seaport,harbour,14.49,120.81,1000,TEU/yr,96,,test
pier2,Tiny Harbour Pier 2,seaport,harbour,14.49,120.21,,,96,,test
field,Tiny Airfield,airport,,14.69,120.79,,,2,,test
""",
    "economic_zones.csv": """\
ez_id,name,lat,lon,area_ha,jobs,source
park,Tiny Park,14.41,120.51,100,5000,test
""",
    "rail_lines.csv": """\
line_id,name,link_class,speed_kph,dwell_s,headway_min,status,color,source
l1,Line One,light_rail,60,30,10,operating,#ff0000,test
""",
    "rail_stations.csv": """\
station_id,line_id,seq,name,lat,lon,status,source
s_west,l1,1,West Station,14.505,120.205,operating,test
s_mid,l1,2,Mid Station,14.505,120.50,operating,test
s_east,l1,3,East Station,14.505,120.795,operating,test
""",
    "rail_interchanges.csv": """\
from_station,to_station,walk_min,source
""",
}


#: a catalog for the tiny region: a new road between two junctions, and an upgrade that requires it
TINY_CATALOG = """\
- id: bypass
  name: Bypass
  category: road
  cost_usd: 1.0e8
  price_year: 2025
  status: proposal
  opening_year: 2030
  source: test
  edits:
    - {type: new_line, mode: road, name: Bypass, stops: [a, e], speed_kph: 80}
- id: faster
  name: Faster old road
  category: road
  cost_usd: 5.0e7
  price_year: 2025
  status: proposal
  opening_year: 2028
  source: test
  requires: [bypass]
  edits:
    - {type: upgrade, select: {links: [t1, t2]}, speed_factor: 1.5}
"""


def write_tiny_region(folder: Path, **overrides: str) -> Path:
    """Write the tiny region pack to ``folder``; ``overrides`` replace whole files."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {**TINY_FILES, **overrides}.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def tiny_dir(tmp_path: Path) -> Path:
    return write_tiny_region(tmp_path / "tiny")


@pytest.fixture
def tiny_region(tiny_dir: Path) -> Region:
    return load_region(tiny_dir)


@pytest.fixture
def tiny_graph(tiny_region: Region) -> nx.MultiDiGraph:
    return build_network(tiny_region, Settings())


@pytest.fixture(scope="session")
def luzon() -> Region:
    return load_region("luzon")


@pytest.fixture(scope="session")
def luzon_graph(luzon: Region) -> nx.MultiDiGraph:
    return build_network(luzon, Settings())


@pytest.fixture(scope="session", autouse=True)
def corridor_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DiskCache]:
    """One on-disk cache for the session, shared by the test workers: a model run is made once.

    The commands read it through ``CORRIDOR_CACHE_DIR`` (tests of the cache itself give their own
    ``--cache-dir``); every entry is keyed by a hash of all its inputs, so a shared one is the same run.
    """
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "corridor-cache"
    previous = os.environ.get("CORRIDOR_CACHE_DIR")
    os.environ["CORRIDOR_CACHE_DIR"] = str(folder)
    yield DiskCache(folder)
    if previous is None:
        os.environ.pop("CORRIDOR_CACHE_DIR", None)
    else:
        os.environ["CORRIDOR_CACHE_DIR"] = previous


#: settings for tests of what is done with a model run, not of the model's numbers (tests/data/README.md)
QUICK = str(ROOT / "tests" / "data" / "quick_model.toml")


@pytest.fixture(scope="session")
def luzon_quick(luzon: Region, corridor_cache: DiskCache) -> tuple[Settings, nx.MultiDiGraph, ModelRun]:
    """The quick settings, the bundled region's network with them, and its base-year run (seconds, not minutes)."""
    settings = load_settings(QUICK, areas=luzon.congestion_areas.index)
    G = build_network(luzon, settings)
    return settings, G, run_model(G, luzon, settings, cache=corridor_cache)


@pytest.fixture(scope="session")
def luzon_base(luzon: Region, luzon_graph: nx.MultiDiGraph, corridor_cache: DiskCache) -> ModelRun:
    """The bundled region's base-year model run, made once for the session (and the commands it runs)."""
    return run_model(luzon_graph, luzon, Settings(), cache=corridor_cache)


@pytest.fixture
def luzon_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled region pack, for bad-input tests."""
    dest = tmp_path / "luzon"
    shutil.copytree(ROOT / "data" / "luzon", dest)
    return dest


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"the public datasets are not at {SHARED_DATA} (set CORRIDOR_SHARED_DATA)")
    return SHARED_DATA


def make_project(pid: str, edits: list[dict], **fields: object) -> Project:
    """A project of the given edits, with placeholder cost and dates (tests only)."""
    return Project.model_validate(
        {
            "id": pid,
            "name": pid,
            "category": "road",
            "cost_usd": 1,
            "price_year": 2025,
            "status": "proposal",
            "opening_year": 2030,
            "source": "t",
            "edits": edits,
            **fields,
        }
    )


def to_whole_ms(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy of G with travel times to the whole millisecond (at least one), as the engine counts them."""
    H = G.copy()
    for _, _, d in H.edges(data=True):
        d["travel_time"] = max(round(float(d["travel_time"]), 3), 1e-3)
    return H


# The tiny region with jobs, and both piers and the airfield in the choices: pier 1 (east) is
# nearly full, pier 2 (west) has room.
MODEL_FILES = {
    "region.yaml": TINY_FILES["region.yaml"].replace(
        "  zones: zones.csv\n",
        "  zones: zones.csv\n  employment: employment.csv\n  observations: observations.csv\n",
    ),
    "employment.csv": "region,employed,year,source\nR1,80000,2025,test\n",
    "gateways.csv": """\
gateway_id,name,type,group,lat,lon,capacity,capacity_unit,handling_h,code,source
pier1,Tiny Harbour Pier 1,seaport,harbour,14.49,120.81,1000,TEU/yr,96,,test
pier2,Tiny Harbour Pier 2,seaport,harbour,14.49,120.21,2000,TEU/yr,96,,test
field,Tiny Airfield,airport,,14.69,120.79,1000000,pax/yr,2,,test
""",
    "observations.csv": """\
kind,item,value,unit,year,tolerance_pct,source
port_teu,pier1,950,TEU/yr,2025,10,test
port_teu,pier2,500,TEU/yr,2025,10,test
airport_pax,field,300000,pax/yr,2025,10,test
""",
}


@pytest.fixture(scope="module")
def model_region(tmp_path_factory: pytest.TempPathFactory) -> Region:
    return load_region(write_tiny_region(tmp_path_factory.mktemp("model"), **MODEL_FILES))


@pytest.fixture(scope="module")
def model_settings() -> Settings:
    s = Settings()
    # the tiny region's zones are 30 to 70 km apart: its trips leaving a zone are long
    return s.replace(demand={**s.demand.model_dump(), "mean_trip_km": 45.0})


@pytest.fixture(scope="module")
def model_graph(model_region: Region, model_settings: Settings) -> nx.MultiDiGraph:
    return build_network(model_region, model_settings)


@pytest.fixture(scope="module")
def tiny_base(model_graph: nx.MultiDiGraph, model_region: Region, model_settings: Settings) -> ModelRun:
    return run_model(model_graph, model_region, model_settings)


def model_scenario(G, region, settings, base, *edits) -> ModelRun:
    """A model run of the base network with one project of the given edits, calibrated on ``base``."""
    portfolio = Portfolio(name="test", projects=(make_project("p", list(edits)),))
    H = apply_portfolio(G, portfolio, settings=settings, region=region).G
    return run_model(H, region, settings, calibration=base.calibration, warm=base)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests first: a worker that draws one late would run on alone after the others finish."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)  # stable: the rest keep their order

"""Country-scale OpenStreetMap roads as arrays: the streaming reader, saved files, fetch, and merging with a region."""

from __future__ import annotations

import shutil
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from corridor import build_network, load_region, route
from corridor.errors import DataError, OSMError
from corridor.network.osm import graph_from_file
from corridor.paths.engine import compile_network, distances, travel_times
from corridor.paths.road_arrays import fetch_region_roads, load_road_arrays, load_roads, road_arrays_from_pbf

from .conftest import ROOT, to_whole_ms, write_tiny_region

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def legazpi(shared_data):
    return road_arrays_from_pbf(shared_data / "osm_legazpi" / "legazpi.osm.pbf")


@pytest.mark.slow
def test_streamed_roads_match_osmnx(legazpi, shared_data):
    G = graph_from_file(shared_data / "osm_legazpi" / "legazpi.osm.pbf", retain_all=True)
    km_osmnx = sum(d["length"] for _, _, d in G.edges(data=True)) / 1000
    assert legazpi.length_m.sum() / 1000 == pytest.approx(km_osmnx, rel=0.002)
    assert legazpi.n_arcs == pytest.approx(G.number_of_edges(), rel=0.15)
    assert set(legazpi.classes) >= {"primary", "tertiary", "residential"}
    assert np.isfinite(legazpi.lon).all() and (legazpi.travel_time_s > 0).all()
    assert any("Rizal" in name for name in legazpi.names)


@pytest.mark.slow
def test_arrays_route_like_networkx(legazpi):
    compiled = legazpi.compile()
    G = legazpi.to_networkx()
    rng = np.random.default_rng(0)
    picks = rng.choice(legazpi.n_nodes, 8, replace=False)
    D = distances(compiled, picks, picks)
    ids = legazpi.osm_node
    reference = to_whole_ms(G)  # the engine keeps each arc's time to the millisecond
    for i, s in enumerate(picks):
        ref = nx.single_source_dijkstra_path_length(reference, int(ids[s]), weight="travel_time")
        for j, t in enumerate(picks):
            assert D[i, j] == pytest.approx(ref.get(int(ids[t]), np.inf), rel=1e-9, abs=1e-6)


def test_save_and_load(legazpi, tmp_path):
    path = legazpi.save(tmp_path / "roads.npz")
    back = load_road_arrays(path)
    assert back.names == legazpi.names and back.classes == legazpi.classes
    assert np.array_equal(back.tail, legazpi.tail) and np.allclose(back.travel_time_s, legazpi.travel_time_s)


@pytest.mark.slow
def test_bbox_clips(shared_data):
    whole = road_arrays_from_pbf(shared_data / "osm_legazpi" / "legazpi.osm.pbf")
    part = road_arrays_from_pbf(shared_data / "osm_legazpi" / "legazpi.osm.pbf", bbox=(123.70, 13.10, 123.76, 13.16))
    assert 0 < part.n_arcs < whole.n_arcs
    with pytest.raises(OSMError, match="no roads inside"):
        road_arrays_from_pbf(shared_data / "osm_legazpi" / "legazpi.osm.pbf", bbox=(120.0, 14.0, 120.1, 14.1))


def test_fetch_region_with_a_stand_in_download(shared_data, tmp_path):
    region_dir = write_tiny_region(tmp_path / "bicol", **{"region.yaml": _bicol_yaml()})
    region = load_region(region_dir)
    calls = []

    def fake_fetch(url, dest):
        calls.append(url)
        shutil.copy(shared_data / "osm_legazpi" / "legazpi.osm.pbf", dest)
        return dest

    out = tmp_path / "roads.npz"
    arrays = fetch_region_roads(
        region, out, url="https://example.invalid/albay.osm.pbf", cache_dir=tmp_path / "cache", fetch=fake_fetch
    )
    assert out.is_file() and arrays.n_arcs > 1000 and calls == ["https://example.invalid/albay.osm.pbf"]
    fetch_region_roads(
        region, out, url="https://example.invalid/albay.osm.pbf", cache_dir=tmp_path / "cache", fetch=fake_fetch
    )
    assert len(calls) == 1  # the download is cached


def test_fetch_region_from_a_file_of_this_machine(shared_data, tmp_path):
    region = load_region(write_tiny_region(tmp_path / "bicol", **{"region.yaml": _bicol_yaml()}))
    out = tmp_path / "roads.npz"
    arrays = fetch_region_roads(region, out, url=str(shared_data / "osm_legazpi" / "legazpi.osm.pbf"), progress=False)
    assert out.is_file() and arrays.n_arcs > 1000
    assert not (tmp_path / "cache").exists()  # read where it is, not copied


def test_fetch_region_refuses_a_missing_file_and_a_url_it_cannot_fetch(tmp_path):
    from corridor.errors import DataFileNotFound

    region = load_region(write_tiny_region(tmp_path / "bicol", **{"region.yaml": _bicol_yaml()}))
    with pytest.raises(DataFileNotFound, match="OSM extract not found"):
        fetch_region_roads(region, tmp_path / "r.npz", url=str(tmp_path / "none.osm.pbf"), progress=False)
    with pytest.raises(OSMError, match=r"not the address of an OpenStreetMap extract"):
        fetch_region_roads(region, tmp_path / "r.npz", url="nope://x/a.osm.pbf", cache_dir=tmp_path, progress=False)


def test_fetch_region_reads_only_openstreetmap_extracts(tmp_path):
    """--url takes an .osm.pbf over http(s) or a file of this machine that is one: nothing else is read."""
    region = load_region(write_tiny_region(tmp_path / "bicol", **{"region.yaml": _bicol_yaml()}))
    secret = tmp_path / "secret.osm.pbf"
    secret.write_text("password: hunter2")
    for url in ("file:///etc/passwd", f"file://{secret}", "ftp://x/a.osm.pbf", "https://x/page.html"):
        with pytest.raises(OSMError, match="not the address of an OpenStreetMap extract"):
            fetch_region_roads(region, tmp_path / "r.npz", url=url, cache_dir=tmp_path / "c", progress=False)
    with pytest.raises(OSMError, match="not an OpenStreetMap PBF file"):
        fetch_region_roads(region, tmp_path / "r.npz", url=str(secret), progress=False)

    def page_not_extract(url, dest):  # a server that answers with something else
        Path(dest).write_text("<html>not found</html>")
        return dest

    with pytest.raises(OSMError, match="not an OpenStreetMap PBF file"):
        fetch_region_roads(
            region, tmp_path / "r.npz", url="https://x/a.osm.pbf", cache_dir=tmp_path / "c", fetch=page_not_extract
        )
    assert not (tmp_path / "c" / "a.osm.pbf").exists() and not (tmp_path / "r.npz").exists()


def _bicol_yaml() -> str:
    from .conftest import TINY_FILES

    return TINY_FILES["region.yaml"].replace("bbox: [120.0, 14.0, 121.0, 15.0]", "bbox: [120.0, 13.0, 124.0, 15.0]")


QC_ZONES = """\
zone_id,name,region,province,lat,lon,population_2020,psgc_members,source
quezon_city,Quezon City,NCR,Metro Manila,14.6466,121.0509,2960048,,PSA 2020
cubao,Cubao,NCR,Metro Manila,14.6195,121.0530,100000,,test zone inside Quezon City
marikina,Marikina,NCR,Metro Manila,14.6507,121.1029,456059,,PSA 2020
"""


@pytest.fixture(scope="module")
def qc_region(tmp_path_factory):
    folder = tmp_path_factory.mktemp("qc")
    luzon = ROOT / "data" / "luzon"
    for name in (
        "region.yaml",
        "calibration.csv",
        "rail_lines.csv",
        "rail_stations.csv",
        "rail_interchanges.csv",
        "road_nodes.csv",
        "road_links.csv",
        "economic_zones.csv",
    ):
        shutil.copy(luzon / name, folder / name)
    (folder / "zones.csv").write_text(QC_ZONES)
    (folder / "gateways.csv").write_text(
        "gateway_id,name,type,group,lat,lon,capacity,capacity_unit,handling_h,code,source\n"
        "naia,Ninoy Aquino International Airport,airport,,14.5086,121.0194,,,2,MNL,OpenFlights\n"
    )
    (folder / "economic_zones.csv").write_text("ez_id,name,lat,lon,area_ha,jobs,source\n")
    # the corridor's calibration trips and zone polygons name places this small pack does not have
    (folder / "calibration.csv").write_text("from,to,mode,minutes,km,route,source\n")
    meta = (folder / "region.yaml").read_text()
    for key in ("zone_polygons: zones.geojson", "employment: employment.csv", "observations: observations.csv"):
        meta = meta.replace(f"  {key}\n", "")
    (folder / "region.yaml").write_text(meta)
    return load_region(folder)


@pytest.mark.slow
def test_region_on_real_roads(qc_region, shared_data):
    roads = load_roads(shared_data / "osm_quezon_city" / "qc_roads_major.graphml.gz")
    G = build_network(qc_region, roads=roads)
    road_edges = [d for _, _, d in G.edges(data=True) if d["mode"] == "road"]
    assert len(road_edges) == roads.number_of_edges()  # the OSM roads replace the strategic ones
    assert all(d["source"].startswith("©") for d in road_edges)
    # Quezon City is in Metro Manila: its roads carry the congestion factor (the outline is approximate)
    inside = np.mean([d["congestion_area"] == "metro_manila" for d in road_edges])
    assert inside > 0.95
    assert "roads" in G.graph["provenance"]
    trip = route(G, "Quezon City", "Marikina", mode="road")
    assert 3 < trip.km < 15 and trip.legs[1].mode == "road"
    # the region's rail lines and stations are joined to the real roads
    any_trip = route(G, "Cubao", "Quezon City", mode="any")
    assert any_trip.minutes <= route(G, "Cubao", "Quezon City", mode="road").minutes + 1e-9
    times = travel_times(compile_network(G, "road"), ["z:quezon_city"], ["z:cubao", "z:marikina"])
    assert np.isfinite(times).all()


@pytest.mark.slow
def test_zone_outside_the_real_roads_is_an_error(shared_data, tmp_path):
    roads = load_roads(shared_data / "osm_quezon_city" / "qc_roads_major.graphml.gz")
    with pytest.raises(DataError, match="km from the nearest road junction"):
        build_network(load_region("luzon"), roads=roads)


def test_cli_routes_on_real_roads(capsys, shared_data, tmp_path):
    from corridor.cli import main

    arrays = road_arrays_from_pbf(shared_data / "osm_legazpi" / "legazpi.osm.pbf")
    path = arrays.save(tmp_path / "legazpi.npz")
    code = main(["route", "13.1391,123.7438", "13.1575,123.7350", "--network", str(path), "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err

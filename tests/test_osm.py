"""Real OpenStreetMap networks from ../shared/data, in corridor's schema, routed on."""

from __future__ import annotations

import networkx as nx
import pytest

from corridor import route
from corridor.errors import DataFileNotFound, OSMError
from corridor.network.osm import graph_from_file
from corridor.paths.engine import compile_network, travel_times

from .conftest import EDGE_KEYS, to_whole_ms

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def legazpi_xml(shared_data):
    return graph_from_file(shared_data / "osm_legazpi" / "legazpi_roads_rail.osm.bz2")


@pytest.fixture(scope="module")
def legazpi_pbf(shared_data):
    return graph_from_file(shared_data / "osm_legazpi" / "legazpi.osm.pbf")


@pytest.fixture(scope="module")
def quezon_city(shared_data):
    return graph_from_file(shared_data / "osm_quezon_city" / "qc_roads_major.graphml.gz")


def _check_schema(G):
    assert G.graph["crs"] == "EPSG:4326" and "OpenStreetMap" in G.graph["attribution"]
    assert G.number_of_edges() > 1000
    for _, _, d in G.edges(data=True):
        assert set(d) >= EDGE_KEYS
        assert d["mode"] == "road" and d["travel_time"] > 0 and d["speed_kph"] > 0
        assert d["travel_time"] == pytest.approx(d["length"] / (d["speed_kph"] / 3.6), rel=1e-3)
    assert nx.is_weakly_connected(G)


@pytest.mark.slow
def test_legazpi_xml_schema(legazpi_xml):
    _check_schema(legazpi_xml)
    classes = {d["link_class"] for _, _, d in legazpi_xml.edges(data=True)}
    assert {"primary", "tertiary", "residential"} <= classes
    assert "rail" not in classes  # railways are not roads


@pytest.mark.slow
def test_legazpi_pbf_matches_xml(legazpi_pbf, legazpi_xml):
    _check_schema(legazpi_pbf)
    # the two files are cut differently; the road network is the same size within a few percent
    assert legazpi_pbf.number_of_edges() == pytest.approx(legazpi_xml.number_of_edges(), rel=0.1)
    names = {d["name"] for _, _, d in legazpi_pbf.edges(data=True)}
    assert any("Rizal" in n for n in names)


def test_quezon_city_schema(quezon_city):
    _check_schema(quezon_city)
    assert quezon_city.number_of_nodes() == 2517


@pytest.mark.slow
@pytest.mark.parametrize("which", ["legazpi_xml", "quezon_city"])
def test_routes_equal_networkx(request, which):
    G = request.getfixturevalue(which)
    nodes = list(G.nodes)[:: max(1, len(G) // 12)][:12]
    times = travel_times(compile_network(G, "road"), nodes, nodes)
    reference = to_whole_ms(G)  # the engine keeps each arc's time to the millisecond
    for i, s in enumerate(nodes):
        ref = nx.single_source_dijkstra_path_length(reference, s, weight="travel_time")
        for j, t in enumerate(nodes):
            assert times[i, j] == pytest.approx(ref.get(t, float("inf")), rel=1e-9, abs=1e-6)


def test_route_across_quezon_city(quezon_city):
    # Quezon Memorial Circle to SM North EDSA area
    trip = route(quezon_city, "14.6516,121.0493", "14.6565,121.0296", mode="road")
    assert 1.5 < trip.km < 6 and 2 < trip.minutes < 20
    assert trip.origin.snapped_m < 500
    assert any(leg.name for leg in trip.legs)


@pytest.mark.slow
def test_route_across_legazpi(legazpi_xml):
    # Legazpi city centre to the airport area
    trip = route(legazpi_xml, "13.1391,123.7438", "13.1575,123.7350", mode="road")
    assert 1 < trip.km < 8


def test_missing_and_unknown_files(tmp_path):
    with pytest.raises(DataFileNotFound):
        graph_from_file(tmp_path / "none.osm")
    bad = tmp_path / "roads.shp"
    bad.write_text("x")
    with pytest.raises(OSMError, match="unknown OSM file type"):
        graph_from_file(bad)
    broken = tmp_path / "broken.osm"
    broken.write_text("<osm><way id='1'>")
    with pytest.raises(OSMError, match="could not read as OSM"):
        graph_from_file(broken)


def test_overpass_download_uses_and_restores_the_cache(monkeypatch, tmp_path, shared_data):
    """graph_from_place uses osmnx with its disk cache on, then restores osmnx's settings."""
    import osmnx as ox

    from corridor.network import osm

    seen = {}
    qc = ox.load_graphml(shared_data / "osm_quezon_city" / "qc_roads_major.graphml.gz")

    def fake_graph_from_place(query, network_type, simplify):
        seen.update(
            query=query,
            network_type=network_type,
            cache=ox.settings.use_cache,
            folder=ox.settings.cache_folder,
        )
        return qc

    before = (ox.settings.use_cache, ox.settings.cache_folder)
    monkeypatch.setattr(ox, "graph_from_place", fake_graph_from_place)
    G = osm.graph_from_place("Quezon City, Philippines", cache_dir=tmp_path / "cache")
    assert seen == {
        "query": "Quezon City, Philippines",
        "network_type": "drive",
        "cache": True,
        "folder": str(tmp_path / "cache"),
    }
    assert (ox.settings.use_cache, ox.settings.cache_folder) == before
    assert G.graph["provenance"]["source_file"] == "overpass:Quezon City, Philippines"

    def offline(*args, **kwargs):
        raise ConnectionError("Max retries exceeded with url: /api/interpreter")

    monkeypatch.setattr(ox, "graph_from_place", offline)
    with pytest.raises(OSMError, match="could not download 'Nowhere' from OpenStreetMap"):
        osm.graph_from_place("Nowhere", cache_dir=tmp_path / "cache")


def test_polygon_download_uses_the_cache_and_reports_one_line(monkeypatch, tmp_path, shared_data):
    """graph_from_polygon goes through osmnx's cache like graph_from_place, and fails offline with one line."""
    import osmnx as ox
    from shapely.geometry import box

    from corridor.network import osm

    qc = ox.load_graphml(shared_data / "osm_quezon_city" / "qc_roads_major.graphml.gz")
    seen = {}

    def fake_graph_from_polygon(polygon, network_type, simplify):
        seen.update(bounds=polygon.bounds, cache=ox.settings.use_cache, folder=ox.settings.cache_folder)
        return qc

    monkeypatch.setattr(ox, "graph_from_polygon", fake_graph_from_polygon)
    G = osm.graph_from_polygon(box(121.0, 14.6, 121.1, 14.7), cache_dir=tmp_path / "c")
    assert seen == {"bounds": (121.0, 14.6, 121.1, 14.7), "cache": True, "folder": str(tmp_path / "c")}
    assert G.graph["provenance"]["source_file"] == "overpass:polygon"
    assert all(d["mode"] == "road" and d["travel_time"] > 0 for _, _, d in G.edges(data=True))

    def offline(*args, **kwargs):
        raise ConnectionError("Max retries exceeded")

    monkeypatch.setattr(ox, "graph_from_polygon", offline)
    with pytest.raises(OSMError, match="could not download the polygon"):
        osm.graph_from_polygon(box(121.0, 14.6, 121.1, 14.7), cache_dir=tmp_path / "c")

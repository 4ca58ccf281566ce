"""The bundled Luzon region checked against the public datasets in ../shared/data:
census populations, municipal boundaries, land, ports and airports."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from corridor.inputs.region import METRIC_CRS

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def psgc(shared_data):
    frame = pd.read_csv(shared_data / "psa_psgc" / "psgc_2023q4_pop2015_2020.csv", dtype={"psgc10": str})
    return frame.set_index("psgc10")


@pytest.fixture(scope="module")
def municities(shared_data):
    gdf = gpd.read_file(shared_data / "faeldon_psgc_boundaries" / "luzon_municities_medres.geojson")
    return gdf.set_index("psgc10").to_crs(METRIC_CRS)


@pytest.fixture(scope="module")
def land(shared_data):
    provinces = gpd.read_file(shared_data / "faeldon_psgc_boundaries" / "luzon_provinces_medres.geojson")
    return provinces.to_crs(METRIC_CRS).union_all()


def test_zone_population_is_the_sum_of_its_members(luzon, psgc):
    for zid, zone in luzon.zones.iterrows():
        members = zone.psgc_members.split()
        assert members, zid
        assert int(psgc.loc[members, "pop_2020"].sum()) == zone.population_2020, zid


def _corridor_lgus(psgc):
    """Cities and municipalities of Regions III (03), IV-A (04) and NCR (13)."""
    return psgc[psgc.geo_level.isin(["City", "Mun"]) & psgc.index.str[:2].isin(["03", "04", "13"])]


def test_every_corridor_lgu_is_in_exactly_one_zone(luzon, psgc):
    listed = [code for members in luzon.zones.psgc_members for code in members.split()]
    assert len(listed) == len(set(listed))
    assert set(listed) == set(_corridor_lgus(psgc).index)


def test_big_cities_are_zones_of_their_own(luzon, psgc):
    lgus = _corridor_lgus(psgc)
    big = lgus[(lgus.geo_level == "City") & (lgus.pop_2020 > 150_000)]
    singles = {m for m in luzon.zones.psgc_members if " " not in m}
    assert set(big.index) <= singles, set(big.name[~big.index.isin(singles)])


def test_zone_points_lie_in_their_municipality(luzon, municities):
    for zid, zone in luzon.zones.iterrows():
        polys = municities.loc[[c for c in zone.psgc_members.split() if c in municities.index]].geometry
        assert len(polys), zid
        assert min(p.distance(zone.geometry) for p in polys) == 0, zid


@pytest.mark.slow
def test_roads_stay_on_land(luzon, land):
    coast = land.buffer(150)  # the boundaries are simplified; a causeway may cut a corner
    shapely.prepare(coast)
    links = luzon.road_links
    ashore = shapely.contains(coast, links.geometry.to_numpy())
    for lid, link in links[~ashore].iterrows():  # only a link not wholly on land is measured
        off = link.geometry.difference(coast).length
        assert off < 1000, (lid, link["name"], round(off))
    for layer in (luzon.zones, luzon.road_nodes, luzon.rail_stations, luzon.economic_zones):
        assert shapely.contains(coast, layer.geometry.to_numpy()).all()


def test_gateways_match_port_and_airport_registers(luzon, shared_data):
    ports = gpd.read_file(shared_data / "nga_wpi" / "wpi_philippines_ports.geojson").to_crs(METRIC_CRS)
    airports = gpd.read_file(shared_data / "openflights" / "openflights_philippines_airports.geojson")
    airports = airports.to_crs(METRIC_CRS).set_index("iata")
    by_code = {
        "PH SFS": "subic_port",
        "PH MNL": "manila_mict",
        "PH BTG": "batangas_port",
        "PH MVS": "mariveles_port",
    }
    for code, gid in by_code.items():
        port = ports[ports.unlocode == code].geometry.iloc[0]
        # WPI positions are rounded to whole minutes (about 2 km)
        assert luzon.gateways.loc[gid, "geometry"].distance(port) < 4000, gid
    for iata, gid in {"CRK": "clark_airport", "MNL": "naia"}.items():
        assert luzon.gateways.loc[gid, "geometry"].distance(airports.loc[iata, "geometry"]) < 1000, gid

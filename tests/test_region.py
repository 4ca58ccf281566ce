"""Loading region packs: the bundled Luzon region and one clear error for each kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from corridor import DataError, load_region
from corridor.errors import DataFileNotFound
from corridor.inputs.region import METRIC_CRS, STATUSES

from .conftest import TINY_FILES, write_tiny_region

# PSA 2020 census totals of the corridor's regions (LUZON_FACTS S62-S64)
PSA_2020 = {"III": 12_422_172, "NCR": 13_484_462, "IV-A": 16_195_042}
PROVINCES = {
    "III": {"Aurora", "Bataan", "Bulacan", "Nueva Ecija", "Pampanga", "Tarlac", "Zambales"},
    "IV-A": {"Batangas", "Cavite", "Laguna", "Quezon", "Rizal"},
    "NCR": {"Metro Manila"},
}
# cities of over 150,000 people (2020) that must be zones of their own
BIG_CITIES = [
    "Manila",
    "Quezon City",
    "Caloocan",
    "Taguig",
    "Pasig",
    "Valenzuela",
    "Parañaque",
    "Las Piñas",
    "Makati",
    "Muntinlupa",
    "Marikina",
    "Pasay",
    "Mandaluyong",
    "Malabon",
    "Navotas",
    "Angeles",
    "Olongapo",
    "San Fernando, Pampanga",
    "Mabalacat",
    "Tarlac City",
    "Cabanatuan",
    "San Jose City",
    "San Jose del Monte",
    "Malolos",
    "Meycauayan",
    "Baliwag",
    "Antipolo",
    "Bacoor",
    "Dasmariñas",
    "Imus",
    "General Trias",
    "Trece Martires",
    "Calamba",
    "Biñan",
    "Santa Rosa, Laguna",
    "San Pedro, Laguna",
    "Cabuyao",
    "San Pablo",
    "Batangas City",
    "Lipa",
    "Tanauan",
    "Santo Tomas, Batangas",
    "Lucena",
]


def test_luzon_zones_sum_to_psa_totals(luzon):
    totals = luzon.zones.groupby("region").population_2020.sum().to_dict()
    assert set(totals) == set(PSA_2020)
    for region, psa in PSA_2020.items():
        assert abs(totals[region] - psa) <= 0.01 * psa, (region, totals[region], psa)


def test_luzon_has_a_zone_per_province_and_big_city(luzon):
    for region, provinces in PROVINCES.items():
        have = set(luzon.zones[luzon.zones.region == region].province)
        assert provinces <= have, (region, provinces - have)
    names = set(luzon.zones.name)
    assert [c for c in BIG_CITIES if c not in names] == []


def test_luzon_gateways_and_economic_zones(luzon):
    gw = luzon.gateways
    for gid in [
        "subic_port",
        "manila_mict",
        "manila_south_harbor",
        "manila_north_harbor",
        "batangas_port",
        "mariveles_port",
        "clark_airport",
        "naia",
    ]:
        assert gid in gw.index
    assert set(gw.loc[["clark_airport", "naia"], "type"]) == {"airport"}
    assert set(gw[gw.group == "port_of_manila"].index) == {
        "manila_mict",
        "manila_south_harbor",
        "manila_north_harbor",
    }
    assert gw.loc["manila_mict", "capacity"] == 3_000_000
    ez = luzon.economic_zones
    for ezid in [
        "clark_freeport",
        "subic_freeport",
        "fab",
        "new_clark_city",
        "lima_estate",
        "fpip",
        "laguna_technopark",
        "cavite_ecozone",
    ]:
        assert ezid in ez.index
    assert ez.loc["clark_freeport", "jobs"] == 127_000


def test_luzon_network_data(luzon):
    links = luzon.road_links
    names = " ".join(links.name)
    for road in [
        "NLEX",
        "SCTEX",
        "TPLEX",
        "SLEX",
        "STAR",
        "CALAX",
        "CAVITEX",
        "Skyway",
        "NLEX–SLEX Connector",
        "MCX",
        "CLLEX",
        "NAIA Expressway",
        "NLEX Harbor Link",
    ]:
        assert road in names, road
    assert set(links.status) <= set(STATUSES)
    # the sections that were not open in the 2025 base year are data, not base network
    assert links.loc["cllex-02", "status"] == "under_construction"
    assert links.loc["calax-04", "status"] == "under_construction"
    assert (links.length_m > 0).all()
    assert links.crs == METRIC_CRS
    lines = luzon.rail_lines
    assert set(lines[lines.status == "operating"].name) == {"LRT-1", "LRT-2", "MRT-3"}
    lrt1 = luzon.rail_stations[luzon.rail_stations.line_id == "lrt1"]
    assert "Dr. Santos" in set(lrt1.name)  # Cavite extension, open 16 Nov 2024
    assert len(lrt1) == 25


def test_every_row_has_a_source(luzon):
    for layer in [
        luzon.zones,
        luzon.gateways,
        luzon.economic_zones,
        luzon.road_nodes,
        luzon.road_links,
        luzon.rail_stations,
    ]:
        assert layer.source.str.len().min() > 0
    assert luzon.rail_lines.source.str.len().min() > 0


def test_provenance_names_files_and_hashes(luzon):
    prov = luzon.provenance()
    assert prov["region"] == "luzon" and prov["region_version"] == "2025.1"
    assert {"zones.csv", "road_links.csv", "region.yaml"} <= set(prov["files"])
    assert len(prov["data_digest"]) == 16


# ---------------------------------------------------------------- bad input


def _error(folder: Path) -> str:
    with pytest.raises(DataError) as info:
        load_region(folder)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_missing_file(tiny_dir):
    (tiny_dir / "zones.csv").unlink()
    with pytest.raises(DataFileNotFound) as info:
        load_region(tiny_dir)
    assert "zones.csv" in str(info.value) and "not found" in str(info.value)
    assert isinstance(info.value, FileNotFoundError)


def test_unknown_region_lists_bundled():
    with pytest.raises(DataFileNotFound, match="luzon"):
        load_region("atlantis")


def test_malformed_csv(tmp_path):
    folder = write_tiny_region(tmp_path / "r", **{"zones.csv": 'zone_id,name\n"unterminated,x\n'})
    message = _error(folder)
    assert "zones.csv" in message


def test_missing_column(tmp_path):
    folder = write_tiny_region(tmp_path / "r", **{"zones.csv": "zone_id,name,lat,lon,source\nw,W,14.5,120.2,t\n"})
    message = _error(folder)
    assert "zones.csv:1" in message and "population_2020" in message and "missing column" in message


def test_link_with_unknown_endpoint(tmp_path):
    links = TINY_LINKS_HEADER + "x1,a,bb,Test Expressway,expressway,4,,no,operating,,test\n"
    message = _error(write_tiny_region(tmp_path / "r", **{"road_links.csv": links}))
    assert "road_links.csv:2" in message
    assert "id 'x1'" in message and "field 'to_node'" in message
    assert "'bb' is not a node of road_nodes.csv" in message and "closest: b" in message


def test_zone_without_population(tmp_path):
    zones = TINY_ZONES_HEADER + "west,West Town,R1,P1,14.51,120.21,,,test\n"
    message = _error(write_tiny_region(tmp_path / "r", **{"zones.csv": zones}))
    assert "zones.csv:2" in message and "id 'west'" in message and "field 'population_2020'" in message
    assert "a value is required" in message


def test_zone_with_bad_population(tmp_path):
    zones = TINY_ZONES_HEADER + "west,West Town,R1,P1,14.51,120.21,many,,test\n"
    message = _error(write_tiny_region(tmp_path / "r", **{"zones.csv": zones}))
    assert "bad value 'many'" in message and "field 'population_2020'" in message


def test_coordinate_outside_region(tmp_path):
    zones = TINY_ZONES_HEADER + "west,West Town,R1,P1,12.0,120.21,100,,test\n"
    message = _error(write_tiny_region(tmp_path / "r", **{"zones.csv": zones}))
    assert "zones.csv:2" in message and "id 'west'" in message and "outside the region" in message
    assert "lat 14.0..15.0" in message


def test_bad_status_lists_accepted(tmp_path):
    links = TINY_LINKS_HEADER + "x1,a,b,Test Expressway,expressway,4,,no,open,,test\n"
    message = _error(write_tiny_region(tmp_path / "r", **{"road_links.csv": links}))
    assert "field 'status'" in message and "'open'" in message and "operating" in message


def test_bad_waypoint(tmp_path):
    links = TINY_LINKS_HEADER + "x1,a,b,Test Expressway,expressway,4,,no,operating,14.5,test\n"
    message = _error(write_tiny_region(tmp_path / "r", **{"road_links.csv": links}))
    assert "field 'via'" in message and "'lat lon'" in message


def test_duplicate_id(tmp_path):
    nodes = TINY_FILES_NODES + "a,Again,14.5,120.3,test\n"
    message = _error(write_tiny_region(tmp_path / "r", **{"road_nodes.csv": nodes}))
    assert "road_nodes.csv:7" in message and "duplicate id" in message and "line 2" in message


def test_missing_source(tmp_path):
    nodes = TINY_FILES_NODES + "f,F,14.5,120.3,\n"
    message = _error(write_tiny_region(tmp_path / "r", **{"road_nodes.csv": nodes}))
    assert "field 'source'" in message and "id 'f'" in message


def test_unknown_gateway_group(tmp_path):
    gw = "gateway_id,name,type,group,lat,lon,capacity,capacity_unit,handling_h,code,source\n"
    gw += "pier1,Pier,seaport,harbur,14.49,120.81,,,96,,test\n"
    message = _error(write_tiny_region(tmp_path / "r", **{"gateways.csv": gw}))
    assert "field 'group'" in message and "closest: harbour" in message


def test_region_yaml_unknown_key(tmp_path):
    text = TINY_FILES["region.yaml"] + "colour: blue\n"
    message = _error(write_tiny_region(tmp_path / "r", **{"region.yaml": text}))
    assert "region.yaml:23:" in message and "colour" in message
    assert "accepted: name, title, version, base_year, bbox, files" in message  # what a region file may hold


def test_region_yaml_misspelt_key_names_the_closest(tmp_path):
    text = TINY_FILES["region.yaml"] + "atribution: [x]\n"
    message = _error(write_tiny_region(tmp_path / "r", **{"region.yaml": text}))
    assert "'atribution'" in message and "closest: attribution" in message


TINY_LINKS_HEADER = "link_id,from_node,to_node,name,link_class,lanes,speed_kph,oneway,status,via,source\n"
TINY_ZONES_HEADER = "zone_id,name,region,province,lat,lon,population_2020,psgc_members,source\n"
TINY_FILES_NODES = TINY_FILES["road_nodes.csv"]


def test_zone_polygons_load_with_the_pack(luzon):
    polygons = luzon.zone_polygons
    assert polygons is not None and list(polygons.index) == list(luzon.zones.index)
    assert polygons.crs == METRIC_CRS and polygons.geometry.is_valid.all()
    assert polygons.geometry.contains(luzon.zones.geometry.loc[polygons.index]).mean() > 0.95


def test_a_point_only_pack_has_no_polygons(tiny_region):
    assert tiny_region.zone_polygons is None


def test_a_polygon_file_for_other_zones_is_refused(tmp_path):
    import json

    text = TINY_FILES["region.yaml"].replace(
        "  zones: zones.csv\n", "  zones: zones.csv\n  zone_polygons: zones.geojson\n"
    )
    square = {"type": "Polygon", "coordinates": [[[120.1, 14.4], [120.3, 14.4], [120.3, 14.6], [120.1, 14.4]]]}
    features = [{"type": "Feature", "properties": {"zone_id": z}, "geometry": square} for z in ("west", "east", "nort")]
    geojson = json.dumps({"type": "FeatureCollection", "features": features})
    folder = write_tiny_region(tmp_path / "r", **{"region.yaml": text, "zones.geojson": geojson})
    message = _error(folder)
    assert "zones.geojson" in message and "'nort'" in message and "closest: north" in message


def test_a_pack_loaded_again_is_a_copy_and_sees_every_change(luzon_copy):
    first = load_region(luzon_copy)
    first.zones.loc[first.zones.index[0], "population_2020"] = 0  # a caller's change stays with its copy
    again = load_region(luzon_copy)
    assert again is not first and again.zones.population_2020.iloc[0] > 0
    path = luzon_copy / "zones.csv"
    text = path.read_text(encoding="utf-8")
    zid = again.zones.index[0]
    old = str(int(again.zones.loc[zid, "population_2020"]))
    path.write_text(text.replace(f",{old},", f",{int(old) + 1},", 1), encoding="utf-8")
    assert load_region(luzon_copy).zones.loc[zid, "population_2020"] == int(old) + 1
    path.unlink()
    with pytest.raises(DataError):
        load_region(luzon_copy)

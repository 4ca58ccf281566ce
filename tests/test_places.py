"""What users type for a place: ids, names in any case or accent, coordinates."""

from __future__ import annotations

import pytest

from corridor import OutsideRegionError, PlaceIndex, PlaceNotFound
from corridor.network.places import normalise_name


@pytest.fixture(scope="module")
def places(luzon_graph):
    return PlaceIndex(luzon_graph)


def test_normalise_name():
    assert normalise_name("  Biñan CITY ") == "binan city"
    assert normalise_name("Santo Tomas, Batangas") == "santo tomas batangas"


@pytest.mark.parametrize(
    "query",
    [
        "Clark International Airport",
        "clark international airport",
        "CLARK INTERNATIONAL AIRPORT",
        "clark_airport",
    ],
)
def test_names_and_ids(places, query):
    place = places.resolve(query)
    assert place.nodes == ("g:clark_airport",)


def test_accents_are_ignored(places):
    assert places.resolve("Binan").nodes == ("z:binan",)
    assert places.resolve("PARANAQUE").nodes == ("z:paranaque",)


def test_group_of_terminals(places):
    place = places.resolve("Port of Manila")
    assert place.kind == "gateway_group"
    assert set(place.nodes) == {"g:manila_mict", "g:manila_south_harbor", "g:manila_north_harbor"}


def test_zone_wins_over_station_of_the_same_name(places):
    assert places.resolve("Antipolo").nodes == ("z:antipolo",)


def test_stations_of_two_lines_are_one_place(places):
    place = places.resolve("Araneta Center–Cubao")
    assert set(place.nodes) == {"s:lrt2_cubao", "s:mrt3_cubao"}


def test_unknown_name_lists_closest(places):
    with pytest.raises(PlaceNotFound) as info:
        places.resolve("Clark Internatonal Airport")
    message = str(info.value)
    assert "unknown place 'Clark Internatonal Airport'" in message
    assert "'Clark International Airport'" in message.split("closest:")[1]
    assert isinstance(info.value, KeyError)


def test_coordinates_snap_to_the_mode(places):
    road = places.resolve("14.61,120.95", mode="road")
    assert road.kind == "junction" and road.snapped_m < 10_000
    rail = places.resolve("14.6035,120.9833", mode="rail")
    assert rail.nodes == ("s:lrt2_recto",) and rail.snapped_m < 50


def test_coordinate_outside_region(places):
    with pytest.raises(OutsideRegionError, match="outside the region luzon"):
        places.resolve("10.3,123.9")


def test_coordinate_too_far_from_the_mode(places):
    # inside the region's box but in the sea west of Zambales, far from any road
    with pytest.raises(OutsideRegionError, match=r"km from the nearest road node; it must be within 10 km"):
        places.resolve("15.0,119.7", mode="road")
    # Batangas City is far from every rail station in 2025
    with pytest.raises(OutsideRegionError, match="nearest rail node"):
        places.resolve("13.7565,121.0583", mode="rail")


def test_not_a_coordinate(places):
    with pytest.raises(OutsideRegionError, match="latitude first"):
        places.resolve("120.95,14.61")


# ------------------------------------------------------------------ ids shared by several kinds


def test_an_id_of_several_kinds_takes_the_zone_and_says_so(places):
    """'las_pinas' is a zone and a road junction: the zone wins, and the place says what else matched."""
    place = places.resolve("las_pinas")
    assert place.kind == "zone" and place.nodes == ("z:las_pinas",)
    assert place.alternatives == ("junction:las_pinas",)
    assert place.to_dict()["also_matched"] == ["junction:las_pinas"]


def test_a_node_id_names_one_node(places):
    place = places.resolve("j:las_pinas")
    assert place.kind == "junction" and place.nodes == ("j:las_pinas",)


def test_ids_ignore_case(places):
    assert places.resolve("NAIA").nodes == ("g:naia",)


def test_routing_from_a_shared_id_starts_at_the_zone(luzon_graph):
    from corridor import route

    trip = route(luzon_graph, "las_pinas", "naia", mode="road")
    assert trip.nodes[0] == "z:las_pinas" and trip.legs[0].mode == "access"


def test_a_coordinate_snaps_the_same_before_and_after_a_portfolio(luzon, luzon_graph):
    """A station a project builds is never snapped to: the same lat,lon is the same trip, never a longer one."""
    from corridor import route
    from corridor.inputs.project_files import load_catalog, portfolio_from_ids
    from corridor.network.scenario import apply_portfolio

    catalog = load_catalog(luzon.path)
    G = apply_portfolio(luzon_graph, portfolio_from_ids(["mm_subway"], catalog), region=luzon).G
    valenzuela = "14.69,121.01"  # the subway's northern terminus
    before = route(luzon_graph, valenzuela, "naia")
    after = route(G, valenzuela, "naia")
    assert after.origin.nodes == before.origin.nodes
    assert G.nodes[after.origin.nodes[0]].get("project") is None
    assert after.minutes <= before.minutes + 1e-9

"""Settings: frozen, validated, unknown keys refused, TOML and YAML files."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from corridor import Settings, SettingsError, load_settings


def test_defaults_are_frozen():
    s = Settings()
    with pytest.raises(ValidationError):
        s.access_speed_kph = 10  # type: ignore[misc]


def test_replace_validates():
    s = Settings().replace(access_speed_kph=30)
    assert s.access_speed_kph == 30 and Settings().access_speed_kph == 25
    with pytest.raises(SettingsError, match="access_speed_kph"):
        Settings().replace(access_speed_kph=-1)


def test_digest_changes_with_values():
    assert Settings().digest() == Settings().digest()
    assert Settings().digest() != Settings().replace(walk_speed_kph=5).digest()


def test_toml_and_yaml(tmp_path):
    toml = tmp_path / "s.toml"
    toml.write_text("access_speed_kph = 20\n[speeds_kph]\nexpressway = 90\ntrunk = 45\n")
    s = load_settings(toml)
    assert s.access_speed_kph == 20 and s.speed_kph("expressway") == 90
    yml = tmp_path / "s.yaml"
    yml.write_text("congestion_factors:\n  metro_manila: {default: 0.4}\n")
    assert load_settings(yml).congestion_factor("metro_manila", "trunk") == 0.4
    assert load_settings(None) == Settings()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("speed_of_light = 1\n", "unknown key 'speed_of_light' (accepted: speeds_kph"),
        ("access_speed_kph = 0\n", "field 'access_speed_kph'"),
        ("[speeds_kph]\ntrunk = -5\n", "speed of 'trunk' must be between 1 and 400 km/h"),
        ("[congestion_factors.metro_manila]\ndefault = 1.5\n", "must be in [0.05, 1]"),
        ("access_speed_kph = \n", "not valid TOML"),
    ],
)
def test_bad_settings(tmp_path, text, expected):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(SettingsError) as info:
        load_settings(path)
    assert expected in str(info.value) and str(path) in str(info.value)


def test_wrong_extension(tmp_path):
    path = tmp_path / "s.ini"
    path.write_text("x=1")
    with pytest.raises(SettingsError, match=r"must be \.toml, \.yaml or \.yml"):
        load_settings(path)


def test_unknown_class_speed():
    with pytest.raises(SettingsError, match="no speed for link class 'hyperloop'"):
        Settings().speed_kph("hyperloop")


def test_a_partial_table_changes_only_what_it_names(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("[speeds_kph]\nexpressway = 90\n[congestion_factors.metro_manila]\ndefault = 0.4\n")
    s = load_settings(path)
    assert s.speed_kph("expressway") == 90 and s.speed_kph("trunk") == Settings().speed_kph("trunk")
    assert s.congestion_factor("metro_manila", "trunk") == 0.4
    assert s.congestion_factor("metro_manila", "expressway") == Settings().congestion_factor(
        "metro_manila", "expressway"
    )


def test_the_documented_settings_example_runs(tmp_path):
    """The TOML block of the settings' documentation loads, and a route runs with it."""
    import re

    from corridor import build_network, load_region, route

    from .conftest import ROOT

    readme = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", readme, flags=re.S)
    assert blocks, "the documentation shows a settings example"
    path = tmp_path / "example.toml"
    path.write_text(blocks[0])
    s = load_settings(path)
    trip = route(build_network(load_region("luzon"), s), "Manila", "Batangas City", mode="road")
    assert trip.minutes > 0


def test_an_unknown_speed_class_names_the_field():
    with pytest.raises(SettingsError) as info:
        Settings().speed_kph("hovercraft")
    assert info.value.field == "speeds_kph" and "expressway" in str(info.value)


def _settings_error(tmp_path, text, name="s.toml", **kwargs):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(SettingsError) as info:
        load_settings(path, **kwargs)
    assert "\n" not in str(info.value) and info.value.path == path
    return info.value


@pytest.mark.parametrize(
    ("text", "line", "field", "value", "closest"),
    [
        ("[speeds_kph]\nexpressway = 90\nmotorwy = 100\n", 3, "speeds_kph.motorwy", "motorwy", "motorway"),
        ("access_speed_kph = 20\nspeeds_kph.hyperloop = 900\n", 2, "speeds_kph.hyperloop", "hyperloop", None),
        ("[congestion_factors.metro_manila]\ndefault = 0.5\nexpresway = 0.9\n", 3, None, "expresway", "expressway"),
        ("[assignment]\ngap = 0.001\nlane_capacity_pcu_h = {trunk = 1900, primay = 1300}\n", 3, None, "primay", None),
        ("[freight.truck_speed_limit_kph]\nexpressway = 80\ntrunkk = 60\n", 3, None, "trunkk", "trunk"),
    ],
)
def test_an_unknown_road_class_is_refused(tmp_path, text, line, field, value, closest):
    error = _settings_error(tmp_path, text)
    assert error.line == line and error.value == value
    assert field is None or error.field == field
    assert "unknown road class" in str(error) and "expressway" in (error.allowed or "")
    assert closest is None or f"closest: {closest}" in str(error)


def test_every_road_class_of_the_defaults_is_accepted(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        "[speeds_kph]\nmotorway = 100\nliving_street = 8\n[congestion_factors.metro_manila]\nmotorway = 0.9\n"
    )
    s = load_settings(path)
    assert s.speed_kph("motorway") == 100 and s.congestion_factor("metro_manila", "motorway") == 0.9


def test_an_unknown_project_category_is_refused(tmp_path):
    error = _settings_error(tmp_path, "[appraisal.construction_years]\ndefault = 4\nrial = 6\n")
    assert (error.line, error.field, error.value) == (3, "appraisal.construction_years.rial", "rial")
    assert "closest: rail" in str(error)


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ("[congestion_factors.atlantis]\ndefault = 0.5\n", 1, "congestion_factors.atlantis"),
        ("[congestion_factors]\nmetro_manila = {default = 0.5}\natlantis.default = 0.5\n", 3, None),
        ("[assignment]\narea_capacity_factor = {metro_manila = 0.9, manila = 0.8}\n", 2, None),
    ],
)
def test_an_unknown_congestion_area_is_refused(tmp_path, text, line, field):
    error = _settings_error(tmp_path, text, areas=["metro_manila"])
    assert error.line == line and (field is None or error.field == field)
    assert "unknown congestion area" in str(error) and error.allowed == "metro_manila"


def test_the_areas_of_the_region_are_accepted(tmp_path, luzon):
    path = tmp_path / "s.toml"
    path.write_text("[congestion_factors.metro_manila]\ndefault = 0.5\n")
    s = load_settings(path, areas=luzon.congestion_areas.index)
    assert s.congestion_factor("metro_manila", "trunk") == 0.5
    path.write_text("[congestion_factors.metro_manil]\ndefault = 0.5\n")
    with pytest.raises(SettingsError, match="closest: metro_manila"):
        load_settings(path, areas=luzon.congestion_areas.index)


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("walk_speed_kph = 4\naccess_speed_kph = 0\n", 2, "field 'access_speed_kph'"),
        ("[speeds_kph]\nexpressway = 90\n\ntrunk = -5\n", 4, "field 'speeds_kph.trunk': speed of 'trunk' must be"),
        ("[congestion_factors.metro_manila]\nexpressway = 0.9\ndefault = 1.5\n", 3, "must be in [0.05, 1]"),
        ("[demand]\nmean_trip_km = 10\ntrip_rat = 1\n", 3, "unknown key 'demand.trip_rat'; closest: trip_rate_per_day"),
        ("a = 1\n[speeds_kph]\ntrunk = \n", 3, "not valid TOML"),
        ("x = [1,\n", 1, "not valid TOML"),
    ],
)
def test_a_settings_error_names_the_line(tmp_path, text, line, expected):
    error = _settings_error(tmp_path, text)
    assert error.line == line and expected in str(error) and str(error).startswith(f"{error.path}:{line}: ")


def test_a_yaml_settings_error_names_the_line(tmp_path):
    error = _settings_error(tmp_path, "walk_speed_kph: 4\nspeeds_kph:\n  trunk: 50\n  hyperloop: 900\n", "s.yaml")
    assert (error.line, error.field, error.value) == (4, "speeds_kph.hyperloop", "hyperloop")


def test_an_unknown_key_in_a_group_names_the_group_fields(tmp_path):
    error = _settings_error(tmp_path, "[demand]\ntrip_rat = 1\n")
    assert error.allowed is not None and "trip_rate_per_day" in error.allowed and "speeds_kph" not in error.allowed


@pytest.mark.parametrize(
    ("text", "name"),
    [("[appraisal]\ndiscount_rat = 0.12\n", "s.toml"), ("appraisal:\n  discount_rat: 0.12\n", "s.yaml")],
)
def test_a_top_level_key_written_in_a_table_is_pointed_to(tmp_path, text, name):
    error = _settings_error(tmp_path, text, name)
    assert error.line == 2
    assert "closest: discount_rate (a key of the file's top level, not of [appraisal])" in str(error)

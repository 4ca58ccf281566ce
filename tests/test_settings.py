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


def test_the_readme_settings_example_runs(tmp_path):
    """The TOML block of the README loads, and a route runs with it."""
    import re

    from corridor import build_network, load_region, route

    from .conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", readme, flags=re.S)
    assert blocks, "the README shows a settings example"
    path = tmp_path / "example.toml"
    path.write_text(blocks[0])
    s = load_settings(path)
    trip = route(build_network(load_region("luzon"), s), "Manila", "Batangas City", mode="road")
    assert trip.minutes > 0


def test_an_unknown_speed_class_names_the_field():
    with pytest.raises(SettingsError) as info:
        Settings().speed_kph("hovercraft")
    assert info.value.field == "speeds_kph" and "expressway" in str(info.value)

"""Errors carry their facts as fields and print them in one format."""

from __future__ import annotations

import pickle

import pytest

from corridor.errors import CorridorError, DataError, OutputError, PlaceNotFound, ScenarioError


def test_one_format_from_fields():
    exc = DataError(
        "is not a valid id", path="zones.csv", line=4, id="x y", field="zone_id", value="x y", allowed="letters"
    )
    assert str(exc) == "zones.csv:4: id 'x y', field 'zone_id': is not a valid id (got 'x y'; accepted: letters)"
    assert (exc.path.name, exc.line, exc.id, exc.field, exc.value) == ("zones.csv", 4, "x y", "zone_id", "x y")


def test_parts_and_subjects():
    exc = ScenarioError("unknown link 'a'", path="p.yaml", line=3, subject="project", id="mine", part="edit 1 (close)")
    assert str(exc) == "p.yaml:3: project 'mine', edit 1 (close): unknown link 'a'"


def test_leaves_are_builtins_and_cross_processes():
    exc = PlaceNotFound("unknown place 'x'", value="x", allowed=["a", "b"])
    assert isinstance(exc, KeyError) and isinstance(exc, CorridorError)
    assert str(exc) == "unknown place 'x' (accepted: a, b)"  # not quoted like a KeyError
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is PlaceNotFound and str(back) == str(exc) and back.allowed == "a, b"
    assert isinstance(OutputError("cannot write", path="/x"), OSError)


def test_no_message_names_a_cli_flag():
    """Library errors speak of fields, never of the command line's flags."""
    import re

    from .conftest import ROOT

    for path in (ROOT / "src" / "corridor").glob("*.py"):
        if path.stem == "cli":
            continue
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"(Error|Exception)\((?:[^()]|\([^()]*\))*\)", text, flags=re.S):
            assert not re.search(r"[\"'][^\"']*--[a-z]", match.group(0)), (path.name, match.group(0)[:120])


@pytest.mark.parametrize("cls", [DataError, ScenarioError, PlaceNotFound, OutputError])
def test_every_leaf_is_a_corridor_error(cls):
    assert issubclass(cls, CorridorError)

"""Files are written whole or not at all."""

from __future__ import annotations

import pytest

from corridor.errors import DataError
from corridor.files import LineLoader, atomic_path, load_yaml, strip_lines


def test_atomic_path_replaces_on_success(tmp_path):
    target = tmp_path / "sub" / "f.txt"
    with atomic_path(target) as tmp:
        tmp.write_text("new")
        assert not target.exists()
    assert target.read_text() == "new"
    assert list(target.parent.iterdir()) == [target]


def test_atomic_path_keeps_old_file_on_error(tmp_path):
    target = tmp_path / "f.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: 1\nb: [1,\n  2\n", 2),  # the bracket of line 2 is never closed
        ("a: 1\nb: 'text\n", 2),  # nor the quote
        ("a: 1\nb: 2\nc", 3),  # the last line, without a newline
        ("a: 1\n  b: 2\n", 2),
    ],
)
def test_a_yaml_error_is_placed_on_a_line_of_the_file(tmp_path, text, line):
    path = tmp_path / "f.yaml"
    with pytest.raises(DataError) as info:
        load_yaml(text, path=path)
    assert info.value.line == line and "not valid YAML" in str(info.value)


def test_the_line_loader_keeps_the_line_of_every_key_and_item():
    data = load_yaml("name: x\n\nlist:\n  - a\n  - {b: 1,\n     c: 2}\n", path=None, loader=LineLoader)
    assert data.key_lines == {"name": 1, "list": 3}
    assert data["list"].lines == [4, 5] and data["list"][1].key_lines == {"b": 5, "c": 6}
    assert strip_lines(data) == {"name": "x", "list": ["a", {"b": 1, "c": 2}]}
    assert type(strip_lines(data)) is dict and type(strip_lines(data)["list"]) is list

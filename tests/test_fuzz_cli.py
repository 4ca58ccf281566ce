"""A guard that stays: portfolios, settings and region packs mutated at random never get a traceback.

Every command either succeeds (exit 0) or prints one line that starts with
``error:`` and exits 2.
"""

from __future__ import annotations

import contextlib
import io
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridor.cli import main
from corridor.settings import Settings

from .conftest import TINY_CATALOG, TINY_FILES, write_tiny_region

HOSTILE = ["<img src=x onerror=alert(1)>", "${alert(1)}", "`+alert(1)+`", "[bold]x[/]", "=cmd|' /C calc'!A0", "\x00"]
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.inf, -math.inf, 1e-300, 1e300, 0, -1, "", " ", "nan", "inf", *HOSTILE]),
    st.text(max_size=12),
    st.lists(st.integers(0, 3), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


PORTFOLIO: dict[str, Any] = {
    "name": "p",
    "budget_usd": 1.0e9,
    "projects": [
        "bypass",
        "faster",
        {
            "id": "jobs",
            "name": "Jobs",
            "category": "industry",
            "cost_usd": 1.0e6,
            "price_year": 2025,
            "status": "proposal",
            "opening_year": 2027,
            "source": "test",
            "edits": [{"type": "investment", "place": "park", "jobs": 100}],
        },
    ],
    "overrides": {"bypass": {"cost_usd": 2.0e8}},
}


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def _check(code: int, err: str) -> None:
    assert code in (0, 2), (code, err)
    if code == 2:
        assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path of a nested structure."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _mutate(doc: Any, data: st.DataObject) -> Any:
    import copy

    doc = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(doc)))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        action = data.draw(st.sampled_from(["set", "delete", "extra"]))
        if action == "set":
            parent[path[-1]] = data.draw(values)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[data.draw(st.text(min_size=1, max_size=6))] = data.draw(values)
        if not _paths(doc):
            break
    return doc


@st.composite
def encodings(draw: Any, text: str) -> bytes:
    how = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "latin-1", "utf-16", "truncated", "bytes"]))
    if how == "truncated":
        raw = text.encode("utf-8")
        return raw[: draw(st.integers(0, len(raw)))]
    if how == "bytes":
        return draw(st.binary(max_size=200))
    return text.encode(how, errors="replace")


FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.slow
@FUZZ
@given(data=st.data())
def test_mutated_portfolios(tmp_path_factory, data):
    folder = write_tiny_region(tmp_path_factory.mktemp("r") / "tiny", **{"projects.yaml": TINY_CATALOG})
    doc = _mutate(PORTFOLIO, data)
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    path = Path(folder) / "portfolio.yaml"
    path.write_bytes(data.draw(encodings(text)))
    command = data.draw(st.sampled_from(["score", "route", "map"]))
    args = {
        "score": ["score", str(path), "--region", str(folder)],
        "route": ["route", "West Town", "north", "--region", str(folder), "--portfolio", str(path)],
        "map": ["map", "--region", str(folder), "--portfolio", str(path), "--out", str(Path(folder) / "m.html")],
    }[command]
    code, _, err = _run(*args)
    _check(code, err)


@pytest.mark.slow
@FUZZ
@given(data=st.data())
def test_mutated_settings(tmp_path_factory, data):
    folder = write_tiny_region(tmp_path_factory.mktemp("r") / "tiny")
    doc = Settings().model_dump()
    doc = _mutate(doc, data)
    kind = data.draw(st.sampled_from([".toml", ".yaml", ".yml", ".ini"]))
    path = Path(folder) / f"settings{kind}"
    text = yaml.safe_dump(doc, allow_unicode=True) if kind != ".toml" else _toml(doc)
    path.write_bytes(data.draw(encodings(text)))
    code, _, err = _run("route", "West Town", "north", "--region", str(folder), "--settings", str(path))
    _check(code, err)


def _toml(doc: dict[str, Any]) -> str:
    """A rough TOML writer: good values, and bad ones written as TOML would read them."""
    lines, tables = [], []
    for key, value in doc.items():
        if isinstance(value, dict):
            tables.append((key, value))
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    for key, table in tables:
        lines.append(f"[{key}]")
        for k, v in table.items():
            lines.append(f"{json_key(k)} = {_toml_value(v)}")
    return "\n".join(lines) + "\n"


def json_key(key: Any) -> str:
    import json

    return json.dumps(str(key))


def _toml_value(value: Any) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, int | float):
        return repr(value)
    if value is None:
        return '""'
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


REGION_FILES = [name for name in TINY_FILES if name.endswith(".csv")]


@pytest.mark.slow
@FUZZ
@given(data=st.data())
def test_mutated_region_packs(tmp_path_factory, data):
    name = data.draw(st.sampled_from([*REGION_FILES, "region.yaml"]))
    text = TINY_FILES[name]
    if name == "region.yaml":
        doc = _mutate(yaml.safe_load(text), data)
        text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    else:
        rows = [line.split(",") for line in text.splitlines()]
        for _ in range(data.draw(st.integers(1, 3))):
            r = data.draw(st.integers(0, len(rows) - 1))
            c = data.draw(st.integers(0, len(rows[r]) - 1))
            action = data.draw(st.sampled_from(["value", "drop_row", "drop_cell"]))
            if action == "value":
                rows[r][c] = str(data.draw(values)).replace(",", ";").replace("\n", " ")
            elif action == "drop_row" and len(rows) > 1:
                rows.pop(r)
            elif len(rows[r]) > 1:
                rows[r].pop(c)
        text = "\n".join(",".join(row) for row in rows) + "\n"
    folder = write_tiny_region(tmp_path_factory.mktemp("r") / "tiny")
    (folder / name).write_bytes(data.draw(encodings(text)))
    command = data.draw(st.sampled_from(["info", "route", "places", "map"]))
    args = {
        "info": ["info"],
        "route": ["route", "West Town", "north"],
        "places": ["places"],
        "map": ["map", "--out", str(folder / "m.html")],
    }[command]
    code, _, err = _run(*args, "--region", str(folder))
    _check(code, err)

"""Tables and reports: one label table, user text escaped for where it lands."""

from __future__ import annotations

import csv
import re

import pandas as pd
import pytest

from corridor.metrics import HEADLINES
from corridor.portfolio import SHAPLEY_COLUMN
from corridor.report import TITLES, csv_safe, format_value, markdown_cell, markdown_table

from .conftest import ROOT


def test_every_headline_has_one_title():
    assert set(TITLES) == {h.column for h in HEADLINES} | {SHAPLEY_COLUMN}
    assert TITLES["d_to_seaport_min"] == "Δ to seaport (min)"


def test_values():
    assert format_value(1.234, "cost_usd_bn") == "1.23" and format_value(-1.0, "d_to_seaport_min") == "-1.00"
    assert format_value(float("nan"), "d_to_seaport_min") == "n/a" and format_value(float("inf"), "x") == "n/a"


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("a | b", " | b"),
        ("two\nlines", "\n"),
        ("<img src=x onerror=alert(1)>", "<img"),
        ("</script><script>alert(1)</script>", "<script>"),
        ("[click](javascript:alert(1))", "[click]("),
        ("`code`", "`code`"),
    ],
)
def test_markdown_cells_escape_user_text(text, absent):
    cell = markdown_cell(text)
    assert absent not in cell and "\n" not in cell


@pytest.mark.parametrize("text", ["=HYPERLINK(1)", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx"])
def test_csv_cells_never_start_a_formula(text):
    assert csv_safe(text) == "'" + text
    assert csv_safe("plain") == "plain" and csv_safe(-1.5) == -1.5


def test_a_table_of_hostile_names(tmp_path):
    frame = pd.DataFrame({"cost_usd_bn": [1.0]}, index=pd.Index(["a|b\n<script>"], name="portfolio"))
    lines = markdown_table(frame)
    unescaped_pipes = re.findall(r"(?<!\\)\|", lines[2])
    assert len(lines) == 3 and len(unescaped_pipes) == 3 and "<script>" not in lines[2]


def test_compare_outputs_neutralise_formulas(capsys, tmp_path):
    from corridor.cli import main

    path = tmp_path / "p.yaml"
    path.write_text('name: "=HYPERLINK(\\"http://x\\")"\nprojects: [bauan_terminal]\n')
    assert main(["compare", str(path), str(ROOT / "portfolios" / "committed.yaml"), "--out", str(tmp_path / "o")]) == 0
    with open(tmp_path / "o" / "compare.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[1][0] == '\'=HYPERLINK("http://x")'
    assert all(not cell.startswith(("=", "+", "@")) for row in rows for cell in row)

"""Tables and reports of results: the terminal, Markdown and CSV, from one label table.

Reports draw what they are given; they compute no metric. Every headline's
title comes from :data:`corridor.metrics.HEADLINES`. User text (portfolio,
project and place names) is escaped for the place it lands in: Markdown
cells, CSV cells (a leading ``=``, ``+``, ``-``, ``@``, tab or carriage
return is neutralised so a spreadsheet never runs it) and the terminal
(never read as markup).
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from rich.table import Table
from rich.text import Text

from corridor._io import atomic_paths, output_folder
from corridor.metrics import HEADLINES
from corridor.portfolio import SHAPLEY_COLUMN, ScoreResult

__all__ = [
    "TITLES",
    "csv_safe",
    "format_value",
    "headline_table",
    "markdown_cell",
    "markdown_table",
    "write_comparison",
]

#: column -> title, for every headline column (and the Shapley column of the marginal tables)
TITLES: dict[str, str] = {
    **{h.column: h.title for h in HEADLINES},
    SHAPLEY_COLUMN: "Shapley: Δ market access jobs (%)",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def format_value(value: Any, column: str) -> str:
    """A headline value as a table shows it: signed changes, plain cost, ``n/a`` for missing."""
    if not isinstance(value, int | float):
        return str(value)
    if value != value or math.isinf(value):
        return "n/a"
    if column == "cost_usd_bn":
        return f"{value:,.2f}"
    return f"{value:+,.2f}"


def markdown_cell(text: Any) -> str:
    """User text made safe for a Markdown table cell: HTML escaped, ``|`` and newlines neutralised."""
    out = html.escape(str(text), quote=False)
    out = out.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")
    out = out.replace("[", "\\[").replace("]", "\\]").replace("*", "\\*")
    return " ".join(out.split())


def csv_safe(text: Any) -> Any:
    """A cell a spreadsheet will not run as a formula (OWASP: prefix a quote); numbers pass through."""
    if isinstance(text, str) and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def headline_table(frame: pd.DataFrame, title: str, marks: dict[str, Any] | None = None) -> Table:
    """A rich table of headline columns; the best per column marked with a star."""
    table = Table(title=Text(title), header_style="bold", box=None, pad_edge=False)
    table.add_column(Text(str(frame.index.name or "")))
    for column in frame.columns:
        table.add_column(Text(TITLES.get(column, column)), justify="right")
    for label, row in frame.iterrows():
        cells: list[Text] = []
        for column in frame.columns:
            text = format_value(row[column], column)
            if marks and marks.get(column) == label:
                cells.append(Text(f"{text} ★", style="bold green"))
            else:
                cells.append(Text(text))
        table.add_row(Text(str(label)), *cells)
    return table


def markdown_table(frame: pd.DataFrame, marks: dict[str, Any] | None = None, *, index: str | None = None) -> list[str]:
    """The lines of a Markdown table of headline columns; the best per column in bold with a star."""
    head = markdown_cell(index or frame.index.name or "")
    lines = [
        f"| {head} | " + " | ".join(markdown_cell(TITLES.get(c, c)) for c in frame.columns) + " |",
        "|---|" + "---:|" * len(frame.columns),
    ]
    for label, row in frame.iterrows():
        cells = []
        for column in frame.columns:
            text = format_value(row[column], column)
            cells.append(f"**{text}** ★" if marks and marks.get(column) == label else text)
        lines.append(f"| {markdown_cell(label)} | " + " | ".join(cells) + " |")
    return lines


def _csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.index = pd.Index([csv_safe(str(i)) for i in out.index], name=out.index.name)
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].map(csv_safe)
    return out


def comparison_markdown(table: pd.DataFrame, marks: dict[str, Any], results: Sequence[ScoreResult]) -> str:
    """The comparison as Markdown: the table, then each portfolio's marginal contributions."""
    lines = markdown_table(table, marks, index="portfolio")
    lines += ["", "★ best per column. Changes are scenario minus the base year; negative minutes are faster."]
    for result in results:
        if result.marginal is None:
            continue
        lines += ["", f"### {markdown_cell(result.portfolio.name)}: marginal contribution of each project", ""]
        lines += markdown_table(result.marginal.drop(columns="name"), index="project")
        for pid, why in result.unchanged.items():
            lines.append(f"- {markdown_cell(pid)} changes no headline: {markdown_cell(why)}")
    return "\n".join(lines) + "\n"


def write_comparison(
    table: pd.DataFrame, marks: dict[str, Any], results: Iterable[ScoreResult], out: str | Path
) -> list[Path]:
    """Write ``compare.csv``, ``compare.md`` and ``compare.provenance.json`` into a folder; return their paths."""
    results = list(results)
    folder = output_folder(out)
    paths = [folder / "compare.csv", folder / "compare.md", folder / "compare.provenance.json"]
    provenance = {r.portfolio.name: r.provenance for r in results}
    with atomic_paths(paths) as (csv_tmp, md_tmp, prov_tmp):
        _csv_frame(table).to_csv(csv_tmp, float_format="%.4f")
        md_tmp.write_text(comparison_markdown(table, marks, results), encoding="utf-8")
        prov_tmp.write_text(json.dumps(provenance, indent=2, default=str), encoding="utf-8")
    return paths

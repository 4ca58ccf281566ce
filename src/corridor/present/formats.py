"""How numbers and text are shown: headline values, amounts, counts, and cells of Markdown and CSV."""

from __future__ import annotations

import html
import math
import re
from typing import Any

import pandas as pd

from corridor.access.metrics import HEADLINES
from corridor.access.scores import SHAPLEY_COLUMN

__all__ = [
    "TITLES",
    "count_text",
    "csv_frame",
    "csv_safe",
    "file_stem",
    "format_value",
    "markdown_cell",
    "markdown_table",
    "objective_value",
    "rate_text",
    "ratio_text",
    "usd_text",
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
    if round(value, 2) == 0:
        return "0.00"  # no sign on what rounds to nothing
    return f"{value:+,.2f}"


def usd_text(amount_usd: float) -> str:
    """An amount of USD as people say it: ``USD 4.43 bn``, ``USD 350.0 M``, ``USD 0``."""
    if not math.isfinite(amount_usd):
        return "USD n/a"
    if amount_usd == 0:
        return "USD 0"
    if abs(amount_usd) >= 1e9:
        return f"USD {amount_usd / 1e9:,.2f} bn"
    return f"USD {amount_usd / 1e6:,.1f} M"


def count_text(n: int, noun: str) -> str:
    """``1 project``, ``3 projects``."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


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


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a frame whose text cells and labels a spreadsheet will not run (see :func:`csv_safe`)."""
    out = frame.copy()
    out.index = pd.Index([csv_safe(str(i)) for i in out.index], name=out.index.name)
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].map(csv_safe)
    return out


def objective_value(value: float, unit: str) -> str:
    """An objective's value as tables show it: whole numbers above a thousand, else two decimals."""
    if value != value or math.isinf(value):
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.2f}"


def file_stem(name: str) -> str:
    """A file name made of a portfolio's name: letters, digits, ``-`` and ``_`` only, at most 60 characters."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_")[:60] or "portfolio"


def ratio_text(value: float) -> str:
    """A ratio (a benefit-cost ratio) with two decimals, ``n/a`` when not finite."""
    return "n/a" if not math.isfinite(value) else f"{value:.2f}"


def rate_text(value: float) -> str:
    """A rate (an internal rate of return) in percent with one decimal, ``none`` when not finite."""
    return "none" if not math.isfinite(value) else f"{value:.1%}"

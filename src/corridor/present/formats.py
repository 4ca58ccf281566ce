"""How numbers and text are shown: headline values, amounts, counts, and cells of Markdown and CSV."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from corridor.access.headlines import HEADLINES, SHAPLEY_COLUMN

if TYPE_CHECKING:
    import pandas as pd

    from corridor.appraisal.appraise import Appraisal

__all__ = [
    "TITLES",
    "count_text",
    "csv_frame",
    "csv_safe",
    "file_stem",
    "format_value",
    "interaction_lines",
    "markdown_cell",
    "markdown_table",
    "objective_value",
    "objective_values",
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
    import pandas as pd

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


def objective_values(values: Iterable[float], unit: str) -> list[str]:
    """Values of one column in one format: whole numbers when any is a thousand or more, else two decimals."""
    values = [float(v) for v in values]
    whole = any(math.isfinite(v) and abs(v) >= 1000 for v in values)
    return ["n/a" if not math.isfinite(v) else f"{v:,.0f}" if whole else f"{v:,.2f}" for v in values]


def file_stem(name: str) -> str:
    """A file name made of a portfolio's name: letters, digits, ``-`` and ``_`` only, at most 60 characters."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_")[:60] or "portfolio"


def ratio_text(value: float) -> str:
    """A ratio (a benefit-cost ratio) with two decimals, ``n/a`` when not finite."""
    return "n/a" if not math.isfinite(value) else f"{value:.2f}"


def rate_text(value: float) -> str:
    """A rate (an internal rate of return) in percent with one decimal, ``none`` when not finite."""
    return "none" if not math.isfinite(value) else f"{value:.1%}"


def interaction_lines(a: Appraisal) -> list[str]:
    """Why a portfolio's NPV is not the sum of its projects' marginal NPVs: what they do together.

    A project's marginal worth is the portfolio's NPV less the NPV without
    it (and what requires it), so the two differ by the projects' interaction.
    """
    if len(a.projects) < 2 or not math.isfinite(a.npv_usd):
        return []
    total = float(a.projects["npv_usd"].sum())
    if not math.isfinite(total):
        return []
    interaction = a.npv_usd - total
    line = (
        f"{a.name}: its projects' marginal NPVs add to {usd_text(total)}, the portfolio's NPV is "
        f"{usd_text(a.npv_usd)}: interaction {usd_text(interaction)}"
    )
    if abs(interaction) < 0.005 * max(abs(a.npv_usd), abs(total), 1.0):
        return [line + " (the projects' worths add up: none changes what another brings)"]
    if interaction > 0:
        why = (
            "where projects compete for the same trips or boxes, a benefit either one brings is lost without "
            "neither alone and is in no project's marginal worth"
        )
    else:
        why = (
            "where a benefit needs two projects at once (one requires or feeds another), it is lost without "
            "either and counted in each one's marginal worth"
        )
    return [f"{line}; {why} (each marginal worth is a run of its own: the model's noise, below, adds to this)"]

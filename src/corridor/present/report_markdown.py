"""The report's Markdown twin: what the HTML page says, with the charts as ``charts/*.svg``.

Laid out from a :class:`~corridor.present.report_content.ReportContent`;
user text is escaped for Markdown cells and lines
(:func:`~corridor.present.formats.markdown_cell`).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from corridor.present.briefing import Brief
from corridor.present.formats import format_value, markdown_cell, markdown_table
from corridor.present.outputs import appraisal_markdown
from corridor.present.report_content import ReportContent, column_title, value_format

__all__ = [
    "report_markdown",
]


def report_markdown(c: ReportContent) -> str:
    """The report as Markdown."""
    lines = [f"# {markdown_cell(c.title)}", "", markdown_cell(c.subtitle), "", "## Findings", ""]
    lines += [f"- {markdown_cell(line)}" for line in c.findings]
    lines += _comparison(c)
    lines += _charts(c)
    lines += ["## Maps", ""]
    lines += [f"- [{markdown_cell(path)}]({path}): {markdown_cell(what)}" for path, what in c.maps]
    lines += ["", "## Portfolios", ""]
    for b, chart, frame in c.briefs:
        lines += _portfolio(b, frame.drop(columns="name"), chart, c.charts[chart][0] if chart else "")
    if c.appraisals:
        lines += ["## Appraisal", "", appraisal_markdown(c.appraisals, c.assumptions, level=3)]
    lines += _settings_and_provenance(c)
    return "\n".join(lines) + "\n"


def _comparison(c: ReportContent) -> list[str]:
    """The comparison table, and the optimiser's frontier when given."""
    lines = ["", "## Comparison", "", *markdown_table(c.table, c.marks, index="portfolio"), ""]
    lines += ["★ best per column. Changes are each portfolio's network minus the base network; negative minutes "
              "are faster.", ""]  # fmt: skip
    if c.pareto is not None:
        lines += _pareto(c.pareto, c.pareto_value)
    return lines


def _pareto(pareto: pd.DataFrame, pareto_value: str) -> list[str]:
    """The optimiser's frontier: a row per point, cheapest first."""
    title = markdown_cell(pareto_value)
    lines = ["### Pareto frontier", "", f"| # | cost (USD bn) | {title} | projects |", "|---:|---:|---:|---|"]
    costs, values = pareto["cost_usd"].to_numpy(dtype=float), pareto["value"].to_numpy(dtype=float)
    spec = value_format(pareto["value"])
    for i, (cost, value, members) in enumerate(zip(costs, values, pareto["projects"], strict=True), 1):
        ids = members if isinstance(members, str) else ", ".join(str(m) for m in members)
        lines.append(f"| {i} | {cost / 1e9:,.2f} | {spec.format(value)} | {markdown_cell(ids)} |")
    return [*lines, ""]


def _charts(c: ReportContent) -> list[str]:
    """The charts of all portfolios, each as an image and its caption."""
    lines = ["## Charts", ""]
    for name, (caption, _) in c.overview_charts().items():
        lines += [f"![{markdown_cell(caption)}]({name})", "", f"*{markdown_cell(caption)}*", ""]
    return lines


def _portfolio(b: Brief, frame: pd.DataFrame, chart: str, caption: str) -> list[str]:
    """One portfolio's part: its projects, notes, Shapley values, chart and sources."""
    p = b.result.portfolio
    lines = [f"### {markdown_cell(p.name)}", ""]
    if p.description:
        lines += [markdown_cell(p.description), ""]
    text_columns = [col for col in frame.columns if not pd.api.types.is_numeric_dtype(frame[col])]
    lines += _markdown_frame(frame, index="project", text_columns=text_columns)
    lines.append("")
    lines += [
        f"- {markdown_cell(pid)} changes no headline: {markdown_cell(why)}" for pid, why in b.result.unchanged.items()
    ]
    if b.shapley is not None:
        lines += ["", "#### Shapley values", "", *markdown_table(b.shapley, index="project")]
    if chart:
        lines += ["", f"![{markdown_cell(caption)}]({chart})", ""]
    lines += ["", "Sources:", ""]
    lines += [f"- {markdown_cell(pid)}: {markdown_cell(row['source'])}" for pid, row in b.projects.iterrows()]
    lines.append("")
    return lines


def _pairs(head: str, rows: Sequence[tuple[str, str]]) -> list[str]:
    """A two-column table of (name, value) rows under a header line."""
    return [head, "|---|---|", *(f"| {markdown_cell(k)} | {markdown_cell(v)} |" for k, v in rows)]


def _settings_and_provenance(c: ReportContent) -> list[str]:
    """The settings of the run, its facts, the content hash of every file read and the data sources."""
    lines = ["## Settings", "", *_pairs("| setting | value |", c.settings)]
    lines += ["", "## Provenance", "", *_pairs("| | |", c.facts)]
    lines += ["", "Files read (content hash):", "", *_pairs("| file | hash |", c.files)]
    lines += ["", "Data sources:", ""]
    lines += [f"- {markdown_cell(credit)}" for credit in c.credits]
    return lines


def _markdown_frame(frame: pd.DataFrame, *, index: str, text_columns: list[str]) -> list[str]:
    """A Markdown table of mixed text and headline columns."""
    head = [markdown_cell(index)] + [markdown_cell(column_title(c)) for c in frame.columns]
    align = ["---"] + ["---" if c in text_columns else "---:" for c in frame.columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(align) + "|"]
    for label, row in frame.iterrows():
        cells = [markdown_cell(label)]
        for column in frame.columns:
            value = row[column]
            if column in text_columns:
                cells.append(markdown_cell("" if value is None or value != value else value))
            elif column == "opening_year":
                cells.append(f"{int(value)}")
            elif column == "bcr":
                cells.append("n/a" if value != value else f"{value:,.2f}")
            else:
                cells.append(format_value(value, column))
        lines.append("| " + " | ".join(cells) + " |")
    return lines

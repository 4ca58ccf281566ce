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
from corridor.optimise import OptimisationResult, SensitivityResult
from corridor.portfolio import SHAPLEY_COLUMN, ScoreResult

__all__ = [
    "TITLES",
    "csv_safe",
    "format_value",
    "headline_table",
    "markdown_cell",
    "markdown_table",
    "objective_value",
    "optimisation_tables",
    "pareto_frame",
    "sensitivity_tables",
    "write_comparison",
    "write_optimisation",
    "write_sensitivity",
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


# ------------------------------------------------------------------ optimisation and sensitivity


def objective_value(value: float, unit: str) -> str:
    """An objective's value as tables show it: whole numbers above a thousand, else two decimals."""
    if value != value or math.isinf(value):
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.2f}"


def pareto_frame(result: OptimisationResult) -> pd.DataFrame:
    """The Pareto frontier as a table: cost (USD bn), value, change over the base, projects."""
    unit = result.objective.unit
    frame = pd.DataFrame(
        {
            "cost_usd_bn": result.pareto["cost_usd"] / 1e9,
            f"value_{unit}": result.pareto["value"],
            f"change_{unit}": result.pareto["change"],
            "count": [len(p) for p in result.pareto["projects"]],
            "projects": [" ".join(p) for p in result.pareto["projects"]],
        }
    )
    frame.index.name = "point"
    return frame


def optimisation_tables(result: OptimisationResult) -> list[Table]:
    """The chosen projects and the Pareto frontier, for the terminal."""
    o = result.objective
    tables = []
    chosen = Table(
        title=Text(f"chosen projects: USD {result.cost_usd / 1e9:,.2f} bn of {result.budget_usd / 1e9:,.2f} bn"),
        header_style="bold",
        box=None,
        pad_edge=False,
    )
    for column, justify in (("id", "left"), ("category", "left"), ("opens", "right"), ("USD bn", "right")):
        chosen.add_column(column, justify=justify)  # type: ignore[arg-type]
    chosen.add_column("name")
    if result.chosen is not None:
        for pid, row in result.chosen.iterrows():
            chosen.add_row(
                Text(str(pid)),
                Text(str(row["category"])),
                Text(str(row["opening_year"])),
                Text(f"{row['cost_usd'] / 1e9:,.2f}"),
                Text(str(row["name"])),
            )
    tables.append(chosen)
    if len(result.pareto) > 1:
        exact = "exact" if result.exact else "among the portfolios the heuristic scored"
        frontier = Table(
            title=Text(f"Pareto frontier of cost against {o.label} ({exact})"),
            header_style="bold",
            box=None,
            pad_edge=False,
        )
        for column in ("USD bn", o.unit, f"Δ {o.unit}", "n"):
            frontier.add_column(column, justify="right")
        frontier.add_column("projects")
        for _, row in result.pareto.iterrows():
            frontier.add_row(
                Text(f"{row['cost_usd'] / 1e9:,.2f}"),
                Text(objective_value(row["value"], o.unit)),
                Text(("+" if row["change"] > 0 else "") + objective_value(row["change"], o.unit)),
                Text(str(len(row["projects"]))),
                Text(" ".join(row["projects"])),
            )
        tables.append(frontier)
    return tables


def write_optimisation(result: OptimisationResult, out: str | Path) -> list[Path]:
    """Write ``optimum.json``, ``pareto.csv``, ``pareto.md`` and the chart ``pareto.svg`` into a folder."""
    from corridor.charts import pareto_chart

    folder = output_folder(out)
    o = result.objective
    paths = [folder / n for n in ("optimum.json", "pareto.csv", "pareto.md", "pareto.svg")]
    frame = pareto_frame(result)
    lines = [
        f"# Best portfolio for {markdown_cell(o.label)} within USD {result.budget_usd / 1e9:,.2f} bn",
        "",
        f"{'Exact' if result.exact else 'Heuristic'} ({markdown_cell(result.method)}): "
        f"{markdown_cell(' '.join(result.projects)) or 'no project'}, USD {result.cost_usd / 1e9:,.2f} bn, "
        f"{objective_value(result.value, o.unit)} {markdown_cell(o.unit)} "
        f"(base {objective_value(result.base_value, o.unit)}).",
        "",
        "## Pareto frontier",
        "",
        f"| USD bn | {markdown_cell(o.unit)} | Δ {markdown_cell(o.unit)} | projects |",
        "|---:|---:|---:|---|",
    ]
    for _, row in result.pareto.iterrows():
        lines.append(
            f"| {row['cost_usd'] / 1e9:,.2f} | {objective_value(row['value'], o.unit)} | "
            f"{objective_value(row['change'], o.unit)} | {markdown_cell(' '.join(row['projects']))} |"
        )
    chart = pareto_chart(result.pareto, value_title=f"{o.label} ({o.unit})")
    with atomic_paths(paths) as (json_tmp, csv_tmp, md_tmp, svg_tmp):
        json_tmp.write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
        _csv_frame(frame).to_csv(csv_tmp, float_format="%.6g")
        md_tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        svg_tmp.write_text(chart, encoding="utf-8")
    return paths


def sensitivity_tables(result: SensitivityResult) -> list[Table]:
    """The portfolios' chance of being best with their intervals, and each portfolio's projects, for the terminal."""
    o = result.objective
    tables = []
    head = Table(
        title=Text(
            f"{o.label} in {result.year}: {result.draws} draws (seed {result.seed}); 5th, 50th and 95th percentiles"
        ),
        header_style="bold",
        box=None,
        pad_edge=False,
    )
    head.add_column("portfolio")
    for column in ("P(best)", "mean rank", f"{o.unit} p5", "p50", "p95", "USD bn p5", "p95"):
        head.add_column(column, justify="right")
    for name, row in result.portfolios.iterrows():
        head.add_row(
            Text(str(name)),
            Text(f"{row['p_best']:.2f}"),
            Text(f"{row['mean_rank']:.2f}"),
            *(Text(objective_value(row[f"value_p{q}"], o.unit)) for q in (5, 50, 95)),
            Text(f"{row['cost_usd_p5'] / 1e9:,.2f}"),
            Text(f"{row['cost_usd_p95'] / 1e9:,.2f}"),
        )
    tables.append(head)
    if len(result.projects):
        for name in result.portfolios.index:
            if name not in result.projects.index.get_level_values("portfolio"):
                continue
            rows = result.projects.loc[name]
            table = Table(
                title=Text(f"{name}: projects by marginal gain ({o.unit}; top {result.top_k})"),
                header_style="bold",
                box=None,
                pad_edge=False,
            )
            table.add_column("project")
            for column in (f"P(top {result.top_k})", "mean rank", "P(operating)", "p5", "p50", "p95"):
                table.add_column(column, justify="right")
            for pid, row in rows.iterrows():
                table.add_row(
                    Text(str(pid)),
                    Text(f"{row['p_top_k']:.2f}"),
                    Text(f"{row['mean_rank']:.1f}"),
                    Text(f"{row['p_operating']:.2f}"),
                    *(Text(objective_value(row[f"gain_p{q}"], o.unit)) for q in (5, 50, 95)),
                )
            tables.append(table)
    return tables


def write_sensitivity(result: SensitivityResult, out: str | Path) -> list[Path]:
    """Write ``sensitivity.json`` and the tables as CSV (portfolios, metrics, projects, draws) into a folder."""
    folder = output_folder(out)
    frames = {
        "sensitivity_portfolios.csv": result.portfolios,
        "sensitivity_metrics.csv": result.metrics,
        "sensitivity_projects.csv": result.projects,
        "sensitivity_draws.csv": pd.concat([result.samples, result.values.add_prefix("value:")], axis=1),
    }
    paths = [folder / "sensitivity.json", *(folder / n for n in frames)]
    with atomic_paths(paths) as temps:
        temps[0].write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
        for tmp, frame in zip(temps[1:], frames.values(), strict=True):
            _csv_frame(frame.reset_index().set_index(frame.reset_index().columns[0])).to_csv(tmp, float_format="%.6g")
    return paths

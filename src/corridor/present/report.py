"""Tables and reports of results: the terminal, Markdown, CSV and the HTML report, from one label table.

Reports draw what they are given; they compute no metric. :func:`write_report`
writes the report of compared portfolios: one self-contained HTML file (its
charts inline SVG) and its Markdown twin, with the maps beside them. Every headline's
title comes from :data:`corridor.access.metrics.HEADLINES`. User text (portfolio,
project and place names) is escaped for the place it lands in: Markdown
cells, CSV cells (a leading ``=``, ``+``, ``-``, ``@``, tab or carriage
return is neutralised so a spreadsheet never runs it) and the terminal
(never read as markup).
"""

from __future__ import annotations

import contextlib
import html
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.table import Table
from rich.text import Text

from corridor._version import __version__
from corridor.access.metrics import HEADLINES
from corridor.access.scores import SHAPLEY_COLUMN, ScoreResult
from corridor.appraisal.appraise import Appraisal
from corridor.appraisal.benefits import BENEFIT_CLASSES
from corridor.errors import DataError, DataFileNotFound
from corridor.files import atomic_paths, output_folder
from corridor.inputs.region import Region
from corridor.present.briefing import Brief
from corridor.search.objectives import OBJECTIVES
from corridor.search.optimiser import OptimisationResult
from corridor.search.sensitivity import SensitivityResult
from corridor.settings import Settings

__all__ = [
    "TITLES",
    "count_text",
    "csv_safe",
    "format_value",
    "headline_table",
    "markdown_cell",
    "markdown_table",
    "objective_value",
    "optimisation_tables",
    "pareto_frame",
    "read_optimum",
    "sensitivity_tables",
    "usd_text",
    "write_comparison",
    "write_optimisation",
    "write_report",
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
        if not pd.api.types.is_numeric_dtype(out[column]):
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
        title=Text(f"chosen projects: {usd_text(result.cost_usd)} of {usd_text(result.budget_usd)}"),
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
    from corridor.present.charts import pareto_chart

    folder = output_folder(out)
    o = result.objective
    paths = [folder / n for n in ("optimum.json", "pareto.csv", "pareto.md", "pareto.svg")]
    frame = pareto_frame(result)
    lines = [
        f"# Best portfolio for {markdown_cell(o.label)} within {usd_text(result.budget_usd)}",
        "",
        f"{'Exact' if result.exact else 'Heuristic'} ({markdown_cell(result.method)}): "
        f"{markdown_cell(' '.join(result.projects)) or 'no project'}, {usd_text(result.cost_usd)}, "
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
            flat = frame.reset_index()
            _csv_frame(flat.set_index(flat.columns[0])).to_csv(tmp, float_format="%.6g")
    return paths


# ------------------------------------------------------------------ the report


#: the headlines the cost-against-gain chart shows
CHART_GAINS = ("d_to_seaport_min", "d_pop_90min_port_m", "d_market_access_pop_pct")
#: the headlines of each portfolio's marginal-contribution chart
MARGINAL_GAINS = ("d_to_seaport_min", "d_market_access_pop_pct")
_BETTER = {h.column: h.better for h in HEADLINES}
_STYLE = """
body { font: 15px/1.5 Georgia, 'Times New Roman', serif; color: #222; max-width: 1100px; margin: 2em auto;
       padding: 0 1.2em; }
h1, h2, h3, nav, table, .note, figure figcaption { font-family: Arial, Helvetica, sans-serif; }
h1 { font-size: 1.7em; margin-bottom: .2em; } h2 { border-bottom: 2px solid #4e79a7; padding-bottom: .2em;
margin-top: 2em; } h3 { margin-top: 1.6em; }
nav { background: #f4f6f9; padding: .6em 1em; border-radius: 4px; font-size: .9em; }
nav a { margin-right: 1.2em; }
table { border-collapse: collapse; font-size: .8em; margin: .8em 0; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 6px; vertical-align: top; }
th { background: #f4f6f9; text-align: left; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
th.num { text-align: right; } td small { color: #666; }
td.best { font-weight: bold; color: #1b5e20; }
.note { color: #555; font-size: .85em; }
figure { margin: 1.2em 0; } figure svg { max-width: 100%; height: auto; }
figcaption { font-size: .85em; color: #444; }
code { font-size: .85em; background: #f4f4f4; padding: 0 3px; }
ul.maps li { margin: .3em 0; }
@media print { nav { display: none; } body { max-width: none; } }
"""


def _slug(name: str, taken: set[str]) -> str:
    """A file name made of a portfolio's name: letters, digits, ``-`` and ``_`` only, unique among ``taken``."""
    base = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_")[:60] or "portfolio"
    slug, k = base, 2
    while slug.lower() in taken:
        slug, k = f"{base}-{k}", k + 1
    taken.add(slug.lower())
    return slug


#: headings of the report's other columns
_COLUMN_TITLES = {"category": "category", "status": "status", "opening_year": "opens", "bcr": "BCR"}


def _title(column: str) -> str:
    return TITLES.get(column, _COLUMN_TITLES.get(column, column))


def _h(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _html_table(frame: pd.DataFrame, *, index: str, marks: dict[str, Any] | None = None,
                formats: dict[str, str] | None = None, notes: Mapping[Any, str] | None = None) -> str:  # fmt: skip
    """An HTML table of a frame: the index as the first column (with a small note under each label, if given);
    numbers right-aligned; user text escaped."""
    formats = formats or {}
    head = f"<th>{_h(index)}</th>" + "".join(
        f"<th class='num'>{_h(_title(c))}</th>"
        if pd.api.types.is_numeric_dtype(frame[c])
        else f"<th>{_h(_title(c))}</th>"
        for c in frame.columns
    )
    rows = []
    for label, row in frame.iterrows():
        note = (notes or {}).get(label)
        cells = [f"<td>{_h(label)}{f'<br><small>{_h(note)}</small>' if note else ''}</td>"]
        for column in frame.columns:
            value = row[column]
            if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
                spec = formats.get(column)
                text = spec.format(value) if spec and math.isfinite(float(value)) else format_value(value, column)
                best = marks is not None and marks.get(column) == label
                cells.append(f"<td class='num{' best' if best else ''}'>{_h(text)}{' ★' if best else ''}</td>")
            else:
                cells.append(f"<td>{'' if value is None or value != value else _h(value)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _project_frame(brief: Brief) -> pd.DataFrame:
    """The projects as the report's tables show them: facts, then marginal contributions, then the BCR if any."""
    frame = brief.projects.copy()
    frame.index = pd.Index([str(i) for i in frame.index], name="project")
    frame.insert(list(frame.columns).index("cost_usd"), "cost_usd_bn", frame["cost_usd"] / 1e9)
    frame = frame.drop(columns=["cost_usd", "description", "source"])
    frame["status"] = frame["status"].astype(str).str.replace("_", " ")
    if frame["bcr"].isna().all():
        frame = frame.drop(columns="bcr")
    if brief.result.marginal is None:
        frame = frame.drop(columns=[h.column for h in HEADLINES if h.key is not None])
    return frame


def _findings(table: pd.DataFrame, marks: dict[str, Any], briefs: Sequence[Brief]) -> list[str]:
    """Plain sentences of the comparison: each portfolio's size, and the best on each headline."""
    lines = []
    for b in briefs:
        p = b.result.portfolio
        text = f"{p.name}: {count_text(len(p.projects), 'project')}, {usd_text(p.cost_usd)}"
        if p.budget_usd:
            text += f" (budget {usd_text(p.budget_usd)}{', over budget' if p.cost_usd > p.budget_usd else ''})"
        lines.append(text + ".")
    for column, label in marks.items():
        if column == "cost_usd_bn":
            continue
        value = table.at[label, column]
        lines.append(f"Best on {TITLES.get(column, column)}: {label} ({format_value(value, column)}).")
    return lines


def _appraisal_findings(appraisals: Sequence[Appraisal]) -> list[str]:
    """A sentence per appraised portfolio: its NPV, BCR and EIRR."""
    lines = []
    for a in appraisals:
        bcr = "n/a" if not math.isfinite(a.bcr) else f"{a.bcr:.2f}"
        rate = "no EIRR" if not math.isfinite(a.eirr) else f"EIRR {a.eirr:.1%}"
        lines.append(f"{a.name} in money: NPV {usd_text(a.npv_usd)}, BCR {bcr}, {rate} (see Appraisal).")
    return lines


def _settings_rows(settings: Settings) -> list[tuple[str, str]]:
    return [
        (key, json.dumps(value, sort_keys=True, ensure_ascii=False) if isinstance(value, dict) else str(value))
        for key, value in settings.model_dump().items()
    ]


def _provenance_rows(
    briefs: Sequence[Brief], region: Region | None
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(facts, files): the region, settings and package of the run, and the content hash of every file read."""
    facts: dict[str, str] = {}
    files: dict[str, str] = {}
    if region is not None:
        files.update({f"{region.name}/{name}": str(digest) for name, digest in region.provenance()["files"].items()})
    for b in briefs:
        prov = b.result.provenance
        for key in ("region", "region_version", "base_year", "data_digest", "settings_digest", "corridor_version"):
            if key in prov:
                facts[key] = str(prov[key])
        for name, digest in (prov.get("files") or {}).items():
            files.setdefault(str(name), str(digest))
    return list(facts.items()), sorted(files.items())


@dataclass
class _Content:
    """What both twins of the report show."""

    title: str
    subtitle: str
    findings: list[str]
    charts: dict[str, tuple[str, str]]  # file name -> (caption, svg)
    maps: list[tuple[str, str]]  # (relative path, what it shows)
    briefs: list[tuple[Brief, str, pd.DataFrame]]  # (brief, marginal chart file or "", project table)
    settings: list[tuple[str, str]]
    facts: list[tuple[str, str]]
    files: list[tuple[str, str]]
    credits: list[str]
    pareto: pd.DataFrame | None = None  # the optimiser's frontier, when given
    pareto_value: str = "value"  # what its value measures
    appraisals: Sequence[Appraisal] = ()
    assumptions: Sequence[dict[str, Any]] = ()


def _report_html(c: _Content, table: pd.DataFrame, marks: dict[str, Any]) -> str:
    pareto, appraisals = c.pareto, c.appraisals
    parts = [
        "<!doctype html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{_h(c.title)}</title><style>{_STYLE}</style></head><body>",
        f"<header><h1>{_h(c.title)}</h1><p class='note'>{_h(c.subtitle)}</p></header>",
        "<nav><a href='#findings'>Findings</a><a href='#comparison'>Comparison</a><a href='#charts'>Charts</a>"
        "<a href='#maps'>Maps</a><a href='#portfolios'>Portfolios</a>"
        + ("<a href='#appraisal'>Appraisal</a>" if appraisals else "")
        + "<a href='#settings'>Settings</a>"
        "<a href='#provenance'>Provenance</a></nav>",
        "<section id='findings'><h2>Findings</h2><ul>",
        *(f"<li>{_h(line)}</li>" for line in c.findings),
        "</ul></section>",
        "<section id='comparison'><h2>Comparison</h2>",
        _html_table(table, index="portfolio", marks=marks),
        "<p class='note'>★ best per column. Changes are each portfolio's network minus the base network; negative "
        "minutes are faster. Market access is a population-weighted mean, as a percentage of the base.</p>",
    ]
    if pareto is not None:
        frontier = pareto.assign(cost_usd_bn=pareto["cost_usd"] / 1e9)[["cost_usd_bn", "value", "projects"]].copy()
        frontier["projects"] = [", ".join(map(str, p)) if not isinstance(p, str) else p for p in frontier["projects"]]
        frontier.index = pd.RangeIndex(1, len(frontier) + 1)
        frontier = frontier.rename(columns={"value": c.pareto_value})
        formats = {c.pareto_value: _value_format(pareto["value"])}
        parts += ["<h3>Pareto frontier</h3>", _html_table(frontier, index="#", formats=formats)]
    parts += ["</section>", "<section id='charts'><h2>Charts</h2>"]
    for name, (caption, svg) in c.charts.items():
        if not name.startswith("charts/marginal_"):  # shown with their portfolios
            parts.append(f"<figure>{svg}<figcaption>{_h(caption)}</figcaption></figure>")
    parts += ["</section>", "<section id='maps'><h2>Maps</h2>", "<ul class='maps'>"]
    for path, what in c.maps:
        parts.append(f"<li><a href='{_h(path)}'>{_h(path)}</a>: {_h(what)}</li>")
    parts += [
        "</ul><p class='note'>The maps are interactive HTML files beside this report; they load their map tiles "
        "and map library from the internet.</p></section>",
        "<section id='portfolios'><h2>Portfolios</h2>",
    ]
    for b, chart, frame in c.briefs:
        p = b.result.portfolio
        parts.append(f"<h3 id='portfolio-{_h(_anchor(p.name))}'>{_h(p.name)}</h3>")
        if p.description:
            parts.append(f"<p>{_h(p.description)}</p>")
        names = frame.pop("name")
        shown = frame.set_axis([str(names[i]) for i in frame.index]) if names.is_unique else frame
        ids = {str(names[i]): str(i) for i in frame.index} if names.is_unique else {}
        formats = {"opening_year": "{:.0f}", "bcr": "{:,.2f}"}
        parts.append(_html_table(shown, index="project", formats=formats, notes=ids))
        if b.result.marginal is not None:
            parts.append(
                "<p class='note'>Marginal contribution: what the portfolio loses without the project (and without "
                "what requires it).</p>"
            )
        for pid, why in b.result.unchanged.items():
            parts.append(f"<p class='note'>{_h(pid)} changes no headline: {_h(why)}</p>")
        if b.shapley is not None:
            parts += ["<h4>Shapley values</h4>", _html_table(b.shapley, index="project")]
        if chart:
            caption, svg = c.charts.get(chart, ("", ""))
            parts.append(f"<figure>{svg}<figcaption>{_h(caption)}</figcaption></figure>")
        sources = [(pid, str(row["source"])) for pid, row in b.projects.iterrows()]
        parts.append("<details><summary class='note'>Sources of the projects</summary><ul>")
        parts += [f"<li><b>{_h(pid)}</b>: {_h(src)}</li>" for pid, src in sources]
        parts.append("</ul></details>")
    parts.append("</section>")
    if appraisals:
        parts += ["<section id='appraisal'><h2>Appraisal</h2>", _appraisal_html(appraisals, c.assumptions)]
        parts.append("</section>")
    parts += ["<section id='settings'><h2>Settings</h2><table><tbody>"]
    parts += [f"<tr><th>{_h(k)}</th><td><code>{_h(v)}</code></td></tr>" for k, v in c.settings]
    parts += ["</tbody></table></section>", "<section id='provenance'><h2>Provenance</h2><table><tbody>"]
    parts += [f"<tr><th>{_h(k)}</th><td><code>{_h(v)}</code></td></tr>" for k, v in c.facts]
    parts += ["</tbody></table><h3>Files read (content hash)</h3><table><tbody>"]
    parts += [f"<tr><td>{_h(k)}</td><td><code>{_h(v)}</code></td></tr>" for k, v in c.files]
    parts += ["</tbody></table><h3>Data sources</h3><ul>"]
    parts += [f"<li>{_h(credit)}</li>" for credit in c.credits]
    parts += ["</ul></section></body></html>", ""]
    # charts are pasted whole: each chart's SVG comes from Matplotlib with every text drawn as outlines
    return "\n".join(parts)


def _value_format(values: pd.Series) -> str:
    """Whole numbers for large values (jobs, USD), three decimals for small ones (minutes, shares)."""
    finite = values[np.isfinite(values.to_numpy(dtype=float))]
    return "{:,.0f}" if len(finite) and finite.abs().max() >= 1000 else "{:,.3f}"


def _anchor(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-").lower() or "portfolio"


def _report_markdown(c: _Content, table: pd.DataFrame, marks: dict[str, Any]) -> str:
    pareto, appraisals = c.pareto, c.appraisals
    lines = [f"# {markdown_cell(c.title)}", "", markdown_cell(c.subtitle), "", "## Findings", ""]
    lines += [f"- {markdown_cell(line)}" for line in c.findings]
    lines += ["", "## Comparison", "", *markdown_table(table, marks, index="portfolio"), ""]
    lines += ["★ best per column. Changes are each portfolio's network minus the base network; negative minutes "
              "are faster.", ""]  # fmt: skip
    if pareto is not None:
        title = markdown_cell(c.pareto_value)
        lines += ["### Pareto frontier", "", f"| # | cost (USD bn) | {title} | projects |", "|---:|---:|---:|---|"]
        costs, values = pareto["cost_usd"].to_numpy(dtype=float), pareto["value"].to_numpy(dtype=float)
        spec = _value_format(pareto["value"])
        for i, (cost, value, members) in enumerate(zip(costs, values, pareto["projects"], strict=True), 1):
            ids = members if isinstance(members, str) else ", ".join(str(m) for m in members)
            lines.append(f"| {i} | {cost / 1e9:,.2f} | {spec.format(value)} | {markdown_cell(ids)} |")
        lines.append("")
    lines += ["## Charts", ""]
    for name, (caption, _) in c.charts.items():
        if not name.startswith("charts/marginal_"):
            lines += [f"![{markdown_cell(caption)}]({name})", "", f"*{markdown_cell(caption)}*", ""]
    lines += ["## Maps", ""]
    lines += [f"- [{markdown_cell(path)}]({path}): {markdown_cell(what)}" for path, what in c.maps]
    lines += ["", "## Portfolios", ""]
    for b, chart, frame in c.briefs:
        p = b.result.portfolio
        lines += [f"### {markdown_cell(p.name)}", ""]
        if p.description:
            lines += [markdown_cell(p.description), ""]
        shown = frame.copy()
        text_columns = [col for col in shown.columns if not pd.api.types.is_numeric_dtype(shown[col])]
        lines += _markdown_frame(shown, index="project", text_columns=text_columns)
        lines.append("")
        for pid, why in b.result.unchanged.items():
            lines.append(f"- {markdown_cell(pid)} changes no headline: {markdown_cell(why)}")
        if b.shapley is not None:
            lines += ["", "#### Shapley values", "", *markdown_table(b.shapley, index="project")]
        if chart:
            caption = c.charts[chart][0]
            lines += ["", f"![{markdown_cell(caption)}]({chart})", ""]
        lines += ["", "Sources:", ""]
        lines += [f"- {markdown_cell(pid)}: {markdown_cell(row['source'])}" for pid, row in b.projects.iterrows()]
        lines.append("")
    if appraisals:
        lines += ["## Appraisal", "", appraisal_markdown(appraisals, c.assumptions, level=3)]
    lines += ["## Settings", "", "| setting | value |", "|---|---|"]
    lines += [f"| {markdown_cell(k)} | {markdown_cell(v)} |" for k, v in c.settings]
    lines += ["", "## Provenance", "", "| | |", "|---|---|"]
    lines += [f"| {markdown_cell(k)} | {markdown_cell(v)} |" for k, v in c.facts]
    lines += ["", "Files read (content hash):", "", "| file | hash |", "|---|---|"]
    lines += [f"| {markdown_cell(k)} | {markdown_cell(v)} |" for k, v in c.files]
    lines += ["", "Data sources:", ""]
    lines += [f"- {markdown_cell(credit)}" for credit in c.credits]
    return "\n".join(lines) + "\n"


def _markdown_frame(frame: pd.DataFrame, *, index: str, text_columns: list[str]) -> list[str]:
    """A Markdown table of mixed text and headline columns."""
    head = [markdown_cell(index)] + [markdown_cell(_title(c)) for c in frame.columns]
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


def write_report(
    briefs: Sequence[Brief],
    table: pd.DataFrame,
    marks: dict[str, Any],
    out: str | Path,
    *,
    settings: Settings,
    region: Region | None = None,
    maps: Mapping[str, tuple[Any, str]] | None = None,
    pareto: pd.DataFrame | None = None,
    pareto_value: str = "value",
    title: str | None = None,
    appraisals: Sequence[Appraisal] | None = None,
    assumptions: Sequence[dict[str, Any]] = (),
) -> list[Path]:
    """Write the report of compared portfolios into a folder: HTML, its Markdown twin, charts, tables, maps.

    ``report.html`` needs no network to open: its charts are inline SVG.
    ``report.md`` says the same, with the charts as ``charts/*.svg``. Both
    link the maps (``maps/*.html``), and both give the comparison table,
    each project's marginal contribution (and Shapley value and
    benefit-cost ratio when given), the settings used and the content hash
    of every input file. ``comparison.csv`` and ``projects.csv`` hold the
    tables for spreadsheets (no cell can run as a formula). Everything lands
    as one unit.

    Parameters
    ----------
    briefs
        The portfolios (see :func:`corridor.present.briefing.briefs`).
    table, marks
        The comparison table and its best per column
        (:func:`corridor.access.scores.compare`, :func:`corridor.access.scores.best_marks`).
    out
        The folder.
    settings
        The settings of the run.
    region
        Its region, for the title and the data sources.
    maps
        Maps to write beside the report: relative path (``maps/<name>.html``)
        -> (Folium map, what it shows).
    pareto
        The Pareto frontier (``cost_usd``, ``value``, ``projects``), when
        an optimiser found it.
    pareto_value
        What its ``value`` is.
    title
        The report's title.
    appraisals, assumptions
        The portfolios' appraisals (:func:`corridor.appraisal.appraise.appraise`) and
        the assumptions they used (:func:`corridor.appraisal.appraise.assumptions`):
        an Appraisal section, a finding per portfolio and ``appraisal.csv``
        (the yearly flows).

    Returns
    -------
    list of Path
        The files written.
    """
    from corridor.present.charts import cost_gain_chart, marginal_chart, pareto_chart, province_chart
    from corridor.present.maps import seed_ids

    folder = output_folder(out)
    briefs = list(briefs)
    maps = dict(maps or {})
    heading = title or (f"{region.title}: portfolios compared" if region else "Portfolios compared")
    subtitle = f"Against the {region.base_year} base network" if region else "Against the base network"
    subtitle += f"; {len(briefs)} portfolio{'s' if len(briefs) != 1 else ''}; corridor {__version__}."

    charts: dict[str, tuple[str, str]] = {}
    gains = {c: TITLES[c] for c in CHART_GAINS if c in table.columns}
    charts["charts/cost_gain.svg"] = (
        "Cost against gain: each portfolio's cost and its change of three headlines.",
        cost_gain_chart(table, gains),
    )
    provinces = {b.result.portfolio.name: b.provinces for b in briefs if b.provinces is not None}
    if provinces:
        charts["charts/seaport_time_by_province.svg"] = (
            "Time to the nearest seaport by province, population-weighted: the base (open circles) and each portfolio.",
            province_chart(provinces, base_label=f"base {region.base_year}" if region else "base"),
        )
    if pareto is not None:
        charts["charts/pareto.svg"] = (
            "The optimiser's Pareto frontier: the best value at each cost.",
            pareto_chart(pareto, value_title=pareto_value),
        )
    taken: set[str] = set()
    rows = []
    for b in briefs:
        frame = _project_frame(b)
        chart = ""
        if b.result.marginal is not None and len(b.projects):
            chart = f"charts/marginal_{_slug(b.result.portfolio.name, taken)}.svg"
            columns = {c: (TITLES[c], _BETTER[c]) for c in MARGINAL_GAINS}
            charts[chart] = (
                f"{b.result.portfolio.name}: each project's marginal contribution.",
                marginal_chart(b.projects, columns),
            )
        rows.append((b, chart, frame))
    facts, files = _provenance_rows(briefs, region)
    content = _Content(
        title=heading,
        subtitle=subtitle,
        findings=_findings(table, marks, briefs) + _appraisal_findings(appraisals or ()),
        charts=charts,
        maps=[(path, what) for path, (_, what) in maps.items()],
        briefs=rows,
        settings=_settings_rows(settings),
        facts=facts,
        files=files,
        credits=list(region.attribution) if region else [],
        pareto=pareto,
        pareto_value=pareto_value,
        appraisals=list(appraisals or ()),
        assumptions=list(assumptions),
    )
    projects_csv = pd.concat(
        [_project_frame(b).assign(portfolio=b.result.portfolio.name) for b in briefs] or [pd.DataFrame()]
    )
    provenance = {b.result.portfolio.name: b.result.provenance for b in briefs}

    texts: dict[str, str] = {
        "report.html": _report_html(content, table, marks),
        "report.md": _report_markdown(content, table, marks),
        "report.provenance.json": json.dumps(provenance, indent=2, sort_keys=True, default=str),
        "comparison.csv": _csv_frame(table).to_csv(float_format="%.4f", lineterminator="\n"),
        "projects.csv": _csv_frame(projects_csv).to_csv(float_format="%.4f", lineterminator="\n"),
    }
    if appraisals:
        flows = [a.years.reset_index().assign(portfolio=csv_safe(a.name)) for a in appraisals]
        texts["appraisal.csv"] = pd.concat(flows, ignore_index=True).to_csv(
            index=False, float_format="%.6g", lineterminator="\n"
        )
    texts.update({name: svg for name, (_, svg) in charts.items()})
    names = [*texts, *maps]
    paths = [folder / name for name in names]
    new_folders = sorted({p.parent for p in paths if not p.parent.exists()}, key=lambda f: len(f.parts))
    try:
        with atomic_paths(paths) as temps:
            for name, tmp in zip(names, temps, strict=True):
                if name in texts:
                    tmp.write_text(texts[name], encoding="utf-8")
                else:
                    fmap = seed_ids(maps[name][0])
                    fmap.save(str(tmp))
    except BaseException:
        for made in reversed(new_folders):  # a failed report leaves no empty folder behind
            with contextlib.suppress(OSError):
                made.rmdir()
        raise
    return paths


# ------------------------------------------------------------------ the appraisal


def _usd_m(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{x / 1e6:,.1f}"


def appraisal_markdown(appraisals: Sequence[Appraisal], rows: Sequence[dict[str, Any]], *, level: int = 2) -> str:
    """The appraisals as Markdown: the measures, benefits by class, each project, the notes and every assumption.

    ``level`` is the level of the headings of each portfolio and of the assumptions.
    """
    hashes = "#" * level
    lines = [
        "| portfolio | cost (USD m) | PV benefits | PV costs | NPV | BCR | EIRR |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for a in appraisals:
        rate = "none" if not math.isfinite(a.eirr) else f"{a.eirr:.1%}"
        bcr = "n/a" if not math.isfinite(a.bcr) else f"{a.bcr:.2f}"
        lines.append(
            f"| {markdown_cell(a.name)} | {_usd_m(a.cost_usd)} | {_usd_m(a.pv_benefits_usd)} | "
            f"{_usd_m(a.pv_costs_usd)} | {_usd_m(a.npv_usd)} | {bcr} | {rate} |"
        )
    lines += ["", "USD million at the price year's prices, economic (tax removed), discounted to the first year."]
    for a in appraisals:
        lines += ["", f"{hashes} {markdown_cell(a.name)}", "", "| benefit class | PV (USD m) |", "|---|---:|"]
        lines += [f"| {markdown_cell(BENEFIT_CLASSES[k])} | {_usd_m(v)} |" for k, v in a.pv_by_class_usd.items()]
        if len(a.projects):
            lines += [
                "",
                "| project | opens | cost | benefit a year, first | benefit a year, forecast | NPV | BCR | EIRR |",
                "|---|---:|---:|---:|---:|---:|---:|---:|",
            ]
            for pid, r in a.projects.iterrows():
                label = markdown_cell(pid) + (f" (with {markdown_cell(r['with'])})" if r["with"] else "")
                bcr = "n/a" if not math.isfinite(r["bcr"]) else f"{r['bcr']:.2f}"
                rate = "none" if not math.isfinite(r["eirr"]) else f"{r['eirr']:.1%}"
                lines.append(
                    f"| {label} | {r['opening_year']} | {_usd_m(r['cost_usd'])} | "
                    f"{_usd_m(r['benefit_first_modelled_year_usd'])} | {_usd_m(r['benefit_forecast_year_usd'])} | "
                    f"{_usd_m(r['npv_usd'])} | {bcr} | {rate} |"
                )
        lines += [""] + [f"- {markdown_cell(n)}" for n in a.notes]
    lines += ["", f"{hashes} Assumptions", "", "| parameter | value | unit | source |", "|---|---|---|---|"]
    lines += [
        f"| {markdown_cell(r['parameter'])} | {markdown_cell(r['value'])} | {markdown_cell(r['unit'])} | "
        f"{markdown_cell(r['source'])} |"
        for r in rows
    ]
    return "\n".join(lines) + "\n"


_M = "{:,.1f}"


def _appraisal_html(appraisals: Sequence[Appraisal], rows: Sequence[dict[str, Any]]) -> str:
    """The appraisals as the HTML report shows them (what :func:`appraisal_markdown` says)."""
    measures = pd.DataFrame(
        [
            {
                "cost (USD m)": a.cost_usd / 1e6,
                "PV benefits (USD m)": a.pv_benefits_usd / 1e6,
                "PV costs (USD m)": a.pv_costs_usd / 1e6,
                "NPV (USD m)": a.npv_usd / 1e6,
                "BCR": a.bcr,
                "EIRR (%)": a.eirr * 100,
            }
            for a in appraisals
        ],
        index=pd.Index([a.name for a in appraisals], name="portfolio"),
    )
    money = {c: _M for c in measures.columns}
    parts = [
        _html_table(measures, index="portfolio", formats={**money, "BCR": "{:,.2f}", "EIRR (%)": "{:,.1f}"}),
        "<p class='note'>USD million at the price year's prices, economic (tax removed), discounted to the first "
        "year. An EIRR of n/a: no rate makes the flows' present value zero.</p>",
    ]
    for a in appraisals:
        parts.append(f"<h3>{_h(a.name)}</h3>")
        classes = pd.DataFrame(
            {"PV (USD m)": [v / 1e6 for v in a.pv_by_class_usd.values()]},
            index=pd.Index([BENEFIT_CLASSES[k] for k in a.pv_by_class_usd], name="benefit class"),
        )
        parts.append(_html_table(classes, index="benefit class", formats={"PV (USD m)": _M}))
        if len(a.projects):
            projects = pd.DataFrame(
                {
                    "opens": a.projects["opening_year"].astype(float),
                    "cost (USD m)": a.projects["cost_usd"] / 1e6,
                    "benefit a year, first (USD m)": a.projects["benefit_first_modelled_year_usd"] / 1e6,
                    "benefit a year, forecast (USD m)": a.projects["benefit_forecast_year_usd"] / 1e6,
                    "NPV (USD m)": a.projects["npv_usd"] / 1e6,
                    "BCR": a.projects["bcr"],
                    "EIRR (%)": a.projects["eirr"] * 100,
                },
                index=pd.Index(
                    [
                        f"{pid} (with {w})" if w else str(pid)
                        for pid, w in zip(a.projects.index, a.projects["with"], strict=True)
                    ],
                    name="project",
                ),
            )
            formats = {c: _M for c in projects.columns} | {"opens": "{:.0f}", "BCR": "{:,.2f}", "EIRR (%)": "{:,.1f}"}
            parts.append(_html_table(projects, index="project", formats=formats))
        if a.notes:
            parts += ["<ul>", *(f"<li>{_h(n)}</li>" for n in a.notes), "</ul>"]
    parts += ["<h3>Assumptions</h3><table><thead><tr><th>parameter</th><th>value</th><th>unit</th><th>source</th>"
              "</tr></thead><tbody>"]  # fmt: skip
    parts += [
        f"<tr><td>{_h(r['parameter'])}</td><td>{_h(r['value'])}</td><td>{_h(r['unit'])}</td><td>{_h(r['source'])}</td></tr>"
        for r in rows
    ]
    parts.append("</tbody></table>")
    return "\n".join(parts)


def read_optimum(path: str | Path) -> tuple[pd.DataFrame, str]:
    """The Pareto frontier of an ``optimum.json`` (``corridor optimize --out``), and what its value measures.

    Raises
    ------
    DataError
        The file is missing, is not JSON, or has no frontier of
        ``cost_usd``, ``value`` and ``projects``.
    """
    file = Path(path)
    accepted = "the optimum.json that 'corridor optimize --out' writes"
    if not file.is_file():
        raise DataFileNotFound("optimiser's result not found", path=file, allowed=accepted)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"is not JSON ({exc})", path=file, allowed=accepted) from None
    frontier = data.get("pareto") if isinstance(data, dict) else None
    if not isinstance(frontier, list) or not frontier:
        raise DataError("has no Pareto frontier", path=file, field="pareto", allowed=accepted)
    known = {o.name: o for o in OBJECTIVES}
    objective = known.get(str(data.get("objective")))
    if objective is None:
        raise DataError(
            "unknown objective", path=file, field="objective", value=data.get("objective"), allowed=sorted(known)
        )
    points = []
    for i, point in enumerate(frontier):
        try:
            cost, value = float(point["cost_usd"]), float(point["value"])
            projects = point["projects"]
            if not isinstance(projects, list) or not all(isinstance(x, str) for x in projects):
                raise TypeError
        except (TypeError, KeyError, ValueError):
            raise DataError(
                "a point lacks a number cost_usd, a number value or a list of project ids",
                path=file,
                field=f"pareto[{i}]",
                allowed=accepted,
            ) from None
        if not (math.isfinite(cost) and cost >= 0 and math.isfinite(value)):
            raise DataError(
                "a point needs a cost of 0 or more and a finite value",
                path=file,
                field=f"pareto[{i}]",
                value={"cost_usd": cost, "value": value},
            )
        points.append({"cost_usd": cost, "value": value, "projects": projects})
    return pd.DataFrame(points), f"{objective.label} ({objective.unit})"


def write_appraisal(appraisals: Sequence[Appraisal], rows: Sequence[dict[str, Any]], out: Any) -> list[Any]:
    """Write ``appraisal.csv`` (each portfolio's yearly flows), ``appraisal.md`` and the provenance; their paths."""
    folder = output_folder(out)
    paths = [folder / "appraisal.csv", folder / "appraisal.md", folder / "appraisal.provenance.json"]
    frames = []
    for a in appraisals:
        frame = a.years.reset_index()
        frame.insert(0, "portfolio", csv_safe(a.name))
        frames.append(frame)
    with atomic_paths(paths) as (csv_tmp, md_tmp, prov_tmp):
        pd.concat(frames, ignore_index=True).to_csv(csv_tmp, index=False, float_format="%.6g")
        md_tmp.write_text("# Appraisal\n\n" + appraisal_markdown(appraisals, rows), encoding="utf-8")
        prov_tmp.write_text(
            json.dumps({a.name: a.provenance for a in appraisals}, indent=2, default=str), encoding="utf-8"
        )
    return paths

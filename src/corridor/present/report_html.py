"""The report as one HTML page: its sections laid out from a :class:`~corridor.present.report_content.ReportContent`.

The page needs no network to open: its charts are inline SVG and its style
is in the page. User text is escaped for HTML wherever it lands.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from corridor.appraisal.appraise import Appraisal
from corridor.appraisal.benefits import BENEFIT_CLASSES
from corridor.present.briefing import Brief
from corridor.present.formats import format_value
from corridor.present.report_content import ReportContent, column_title, value_format

__all__ = [
    "appraisal_html",
    "h",
    "html_table",
    "report_html",
]

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


def h(text: Any) -> str:
    """Text escaped for HTML, quotes included."""
    return html.escape(str(text), quote=True)


def html_table(
    frame: pd.DataFrame,
    *,
    index: str,
    marks: dict[str, Any] | None = None,
    formats: dict[str, str] | None = None,
    notes: Mapping[Any, str] | None = None,
) -> str:
    """An HTML table of a frame: the index as the first column (with a small note under each label, if given);
    numbers right-aligned; user text escaped."""
    head = f"<th>{h(index)}</th>" + "".join(
        f"<th class='num'>{h(column_title(c))}</th>"
        if pd.api.types.is_numeric_dtype(frame[c])
        else f"<th>{h(column_title(c))}</th>"
        for c in frame.columns
    )
    rows = []
    for label, row in frame.iterrows():
        note = (notes or {}).get(label)
        cells = [f"<td>{h(label)}{f'<br><small>{h(note)}</small>' if note else ''}</td>"]
        best = {column for column in frame.columns if marks is not None and marks.get(column) == label}
        cells += [_cell(row[column], column, formats or {}, best=column in best) for column in frame.columns]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _cell(value: Any, column: str, formats: dict[str, str], *, best: bool) -> str:
    """One cell: a number right-aligned in its column's format (a star when best), or text escaped."""
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        spec = formats.get(column)
        text = spec.format(value) if spec and math.isfinite(float(value)) else format_value(value, column)
        return f"<td class='num{' best' if best else ''}'>{h(text)}{' ★' if best else ''}</td>"
    return f"<td>{'' if value is None or value != value else h(value)}</td>"


def report_html(c: ReportContent) -> str:
    """The report as one HTML page that opens without the internet (its charts inline SVG)."""
    parts = [
        *_head(c),
        *_findings_section(c),
        *_comparison_section(c),
        *_charts_section(c),
        *_maps_section(c),
        *_portfolios_section(c),
        *_appraisal_section(c),
        *_settings_section(c),
        *_provenance_section(c),
        "",
    ]
    # charts are pasted whole: each chart's SVG comes from Matplotlib with every text drawn as outlines
    return "\n".join(parts)


def _head(c: ReportContent) -> list[str]:
    """The page's head, its heading and the navigation."""
    return [
        "<!doctype html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{h(c.title)}</title><style>{_STYLE}</style></head><body>",
        f"<header><h1>{h(c.title)}</h1><p class='note'>{h(c.subtitle)}</p></header>",
        "<nav><a href='#findings'>Findings</a><a href='#comparison'>Comparison</a><a href='#charts'>Charts</a>"
        "<a href='#maps'>Maps</a><a href='#portfolios'>Portfolios</a>"
        + ("<a href='#appraisal'>Appraisal</a>" if c.appraisals else "")
        + "<a href='#settings'>Settings</a>"
        "<a href='#provenance'>Provenance</a></nav>",
    ]


def _findings_section(c: ReportContent) -> list[str]:
    """The findings as a list."""
    return [
        "<section id='findings'><h2>Findings</h2><ul>",
        *(f"<li>{h(line)}</li>" for line in c.findings),
        "</ul></section>",
    ]


def _comparison_section(c: ReportContent) -> list[str]:
    """The comparison table, and the optimiser's frontier when given."""
    parts = [
        "<section id='comparison'><h2>Comparison</h2>",
        html_table(c.table, index="portfolio", marks=c.marks),
        "<p class='note'>★ best per column. Changes are each portfolio's network minus the base network; negative "
        "minutes are faster. Market access is a population-weighted mean, as a percentage of the base.</p>",
    ]
    if c.pareto is not None:
        pareto = c.pareto
        frontier = pareto.assign(cost_usd_bn=pareto["cost_usd"] / 1e9)[["cost_usd_bn", "value", "projects"]].copy()
        frontier["projects"] = [", ".join(map(str, p)) if not isinstance(p, str) else p for p in frontier["projects"]]
        frontier.index = pd.RangeIndex(1, len(frontier) + 1)
        frontier = frontier.rename(columns={"value": c.pareto_value})
        formats = {c.pareto_value: value_format(pareto["value"])}
        parts += ["<h3>Pareto frontier</h3>", html_table(frontier, index="#", formats=formats)]
    return [*parts, "</section>"]


def _figure(caption: str, svg: str) -> str:
    """A chart and its caption."""
    return f"<figure>{svg}<figcaption>{h(caption)}</figcaption></figure>"


def _charts_section(c: ReportContent) -> list[str]:
    """The charts of all portfolios."""
    figures = [_figure(caption, svg) for caption, svg in c.overview_charts().values()]
    return ["<section id='charts'><h2>Charts</h2>", *figures, "</section>"]


def _maps_section(c: ReportContent) -> list[str]:
    """Links to the maps beside the report."""
    return [
        "<section id='maps'><h2>Maps</h2>",
        "<ul class='maps'>",
        *(f"<li><a href='{h(path)}'>{h(path)}</a>: {h(what)}</li>" for path, what in c.maps),
        "</ul><p class='note'>The maps are interactive HTML files beside this report; they load their map tiles "
        "and map library from the internet.</p></section>",
    ]


def _portfolios_section(c: ReportContent) -> list[str]:
    """Each portfolio: its projects, what they contribute, its chart and its sources."""
    parts = ["<section id='portfolios'><h2>Portfolios</h2>"]
    for b, chart, frame in c.briefs:
        parts += _portfolio(b, frame, c.charts.get(chart) if chart else None)
    return [*parts, "</section>"]


def _portfolio(b: Brief, frame: pd.DataFrame, chart: tuple[str, str] | None) -> list[str]:
    """One portfolio's part: its projects by name (the id under each), notes, Shapley values, chart, sources."""
    p = b.result.portfolio
    parts = [f"<h3 id='portfolio-{h(_anchor(p.name))}'>{h(p.name)}</h3>"]
    if p.description:
        parts.append(f"<p>{h(p.description)}</p>")
    names = frame["name"]
    frame = frame.drop(columns="name")
    shown = frame.set_axis([str(names[i]) for i in frame.index]) if names.is_unique else frame
    ids = {str(names[i]): str(i) for i in frame.index} if names.is_unique else {}
    formats = {"opening_year": "{:.0f}", "bcr": "{:,.2f}"}
    parts.append(html_table(shown, index="project", formats=formats, notes=ids))
    if b.result.marginal is not None:
        parts.append(
            "<p class='note'>Marginal contribution: what the portfolio loses without the project (and without "
            "what requires it).</p>"
        )
    parts += [f"<p class='note'>{h(pid)} changes no headline: {h(why)}</p>" for pid, why in b.result.unchanged.items()]
    if b.shapley is not None:
        parts += ["<h4>Shapley values</h4>", html_table(b.shapley, index="project")]
    if chart is not None:
        parts.append(_figure(*chart))
    parts.append("<details><summary class='note'>Sources of the projects</summary><ul>")
    parts += [f"<li><b>{h(pid)}</b>: {h(str(row['source']))}</li>" for pid, row in b.projects.iterrows()]
    parts.append("</ul></details>")
    return parts


def _anchor(name: str) -> str:
    """A portfolio's name as the id of its heading: letters, digits, ``-`` and ``_``, lower case."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-").lower() or "portfolio"


def _appraisal_section(c: ReportContent) -> list[str]:
    """The appraisals, when given."""
    if not c.appraisals:
        return []
    return ["<section id='appraisal'><h2>Appraisal</h2>", appraisal_html(c.appraisals, c.assumptions), "</section>"]


def _pairs(rows: Sequence[tuple[str, str]], *, header: bool) -> list[str]:
    """Rows of (name, value) in a table's body; the name as a heading cell when ``header``."""
    cell = "th" if header else "td"
    return [f"<tr><{cell}>{h(k)}</{cell}><td><code>{h(v)}</code></td></tr>" for k, v in rows]


def _settings_section(c: ReportContent) -> list[str]:
    """The settings of the run."""
    return [
        "<section id='settings'><h2>Settings</h2><table><tbody>",
        *_pairs(c.settings, header=True),
        "</tbody></table></section>",
    ]


def _provenance_section(c: ReportContent) -> list[str]:
    """The facts of the run, the content hash of every file read and the data sources; the end of the page."""
    return [
        "<section id='provenance'><h2>Provenance</h2><table><tbody>",
        *_pairs(c.facts, header=True),
        "</tbody></table><h3>Files read (content hash)</h3><table><tbody>",
        *_pairs(c.files, header=False),
        "</tbody></table><h3>Data sources</h3><ul>",
        *(f"<li>{h(credit)}</li>" for credit in c.credits),
        "</ul></section></body></html>",
    ]


# ------------------------------------------------------------------ the appraisal

#: the format of amounts in USD million
_M = "{:,.1f}"


def appraisal_html(appraisals: Sequence[Appraisal], rows: Sequence[dict[str, Any]]) -> str:
    """The appraisals as the HTML report shows them (what :func:`corridor.present.outputs.appraisal_markdown`
    says): the measures, then each portfolio's benefits by class, projects and notes, then every assumption."""
    parts = [
        html_table(_measures(appraisals), index="portfolio", formats=_money_formats(_MEASURE_COLUMNS)),
        "<p class='note'>USD million at the price year's prices, economic (tax removed), discounted to the first "
        "year. An EIRR of n/a: no rate makes the flows' present value zero.</p>",
    ]
    for a in appraisals:
        parts += _appraised_portfolio(a)
    parts += ["<h3>Assumptions</h3><table><thead><tr><th>parameter</th><th>value</th><th>unit</th><th>source</th>"
              "</tr></thead><tbody>"]  # fmt: skip
    parts += [
        f"<tr><td>{h(r['parameter'])}</td><td>{h(r['value'])}</td><td>{h(r['unit'])}</td><td>{h(r['source'])}</td></tr>"
        for r in rows
    ]
    parts.append("</tbody></table>")
    return "\n".join(parts)


_MEASURE_COLUMNS = ("cost (USD m)", "PV benefits (USD m)", "PV costs (USD m)", "NPV (USD m)", "BCR", "EIRR (%)")


def _money_formats(columns: Sequence[str]) -> dict[str, str]:
    """Amounts in USD million with one decimal, ratios with two, rates in percent with one, years whole."""
    special = {"opens": "{:.0f}", "BCR": "{:,.2f}", "EIRR (%)": "{:,.1f}"}
    return {column: special.get(column, _M) for column in columns}


def _measures(appraisals: Sequence[Appraisal]) -> pd.DataFrame:
    """Each portfolio's cost, present values, NPV, BCR and EIRR, in USD million and percent."""
    values = [
        (a.cost_usd / 1e6, a.pv_benefits_usd / 1e6, a.pv_costs_usd / 1e6, a.npv_usd / 1e6, a.bcr, a.eirr * 100)
        for a in appraisals
    ]
    return pd.DataFrame(
        [dict(zip(_MEASURE_COLUMNS, v, strict=True)) for v in values],
        index=pd.Index([a.name for a in appraisals], name="portfolio"),
    )


def _appraised_portfolio(a: Appraisal) -> list[str]:
    """One portfolio's benefits by class, its projects' worth and its notes."""
    classes = pd.DataFrame(
        {"PV (USD m)": [v / 1e6 for v in a.pv_by_class_usd.values()]},
        index=pd.Index([BENEFIT_CLASSES[k] for k in a.pv_by_class_usd], name="benefit class"),
    )
    parts = [f"<h3>{h(a.name)}</h3>", html_table(classes, index="benefit class", formats={"PV (USD m)": _M})]
    if len(a.projects):
        projects = _appraised_projects(a)
        parts.append(html_table(projects, index="project", formats=_money_formats(list(projects.columns))))
    if a.notes:
        parts += ["<ul>", *(f"<li>{h(n)}</li>" for n in a.notes), "</ul>"]
    return parts


def _appraised_projects(a: Appraisal) -> pd.DataFrame:
    """Each project's opening year, cost, yearly benefits, NPV, BCR and EIRR; labelled with what it needs."""
    return pd.DataFrame(
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

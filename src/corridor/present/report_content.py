"""What the report of compared portfolios shows, worked out once for both its twins (HTML and Markdown).

:func:`report_content` gathers the title, the findings in plain sentences,
the charts (inline SVG), the maps' file names, each portfolio's table of
projects, the settings and the provenance of the run into one
:class:`ReportContent`; :mod:`~corridor.present.report_html` and
:mod:`~corridor.present.report_markdown` only lay it out.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from corridor._version import __version__
from corridor.access.metrics import HEADLINES
from corridor.appraisal.appraise import Appraisal
from corridor.inputs.region import Region
from corridor.present.briefing import Brief
from corridor.present.charts import cost_gain_chart, marginal_chart, pareto_chart, province_chart
from corridor.present.formats import TITLES, count_text, file_stem, format_value, ratio_text, usd_text
from corridor.settings import Settings

__all__ = [
    "CHART_GAINS",
    "MARGINAL_GAINS",
    "ReportContent",
    "column_title",
    "project_frame",
    "report_content",
    "value_format",
]

#: the headlines the cost-against-gain chart shows
CHART_GAINS = ("d_to_seaport_min", "d_door_to_ship_min", "d_market_access_pop_pct")
#: the headlines of each portfolio's marginal-contribution chart
MARGINAL_GAINS = ("d_to_seaport_min", "d_market_access_pop_pct")
_BETTER = {h.column: h.better for h in HEADLINES}
#: headings of the report's other columns
_COLUMN_TITLES = {"category": "category", "status": "status", "opening_year": "opens", "bcr": "BCR"}
#: the name of every chart drawn beside its portfolio rather than in the Charts section starts so
MARGINAL_CHART_PREFIX = "charts/marginal_"


@dataclass
class ReportContent:
    """What both twins of the report show.

    Attributes
    ----------
    title, subtitle
        The report's heading and the line under it.
    table, marks
        The comparison table and its best per column.
    findings
        Plain sentences: each portfolio's size, the best on each headline,
        each appraised portfolio's NPV, BCR and EIRR.
    charts
        File name (``charts/*.svg``) -> (caption, SVG).
    maps
        (relative path, what it shows) of each map beside the report.
    briefs
        (brief, file name of its marginal chart or "", its table of projects).
    settings, facts, files
        The settings used; the facts of the run (region, versions,
        digests); the content hash of every file read.
    credits
        The data sources.
    pareto, pareto_value
        The optimiser's frontier, when given, and what its value measures.
    appraisals, assumptions
        The portfolios' appraisals and the assumptions they used.
    """

    title: str
    subtitle: str
    table: pd.DataFrame
    marks: dict[str, Any]
    findings: list[str]
    charts: dict[str, tuple[str, str]]
    maps: list[tuple[str, str]]
    briefs: list[tuple[Brief, str, pd.DataFrame]]
    settings: list[tuple[str, str]]
    facts: list[tuple[str, str]]
    files: list[tuple[str, str]]
    credits: list[str]
    pareto: pd.DataFrame | None = None
    pareto_value: str = "value"
    appraisals: Sequence[Appraisal] = ()
    assumptions: Sequence[dict[str, Any]] = ()

    def overview_charts(self) -> dict[str, tuple[str, str]]:
        """The charts of the Charts section: all but each portfolio's own, which are shown with it."""
        return {name: chart for name, chart in self.charts.items() if not name.startswith(MARGINAL_CHART_PREFIX)}


def report_content(
    briefs: Sequence[Brief],
    table: pd.DataFrame,
    marks: dict[str, Any],
    *,
    settings: Settings,
    region: Region | None = None,
    maps: Mapping[str, tuple[Any, str]] | None = None,
    pareto: pd.DataFrame | None = None,
    pareto_value: str = "value",
    title: str | None = None,
    appraisals: Sequence[Appraisal] | None = None,
    assumptions: Sequence[dict[str, Any]] = (),
) -> ReportContent:
    """What the report shows (see :func:`corridor.present.report.write_report` for the parameters)."""
    briefs = list(briefs)
    charts = _overview_charts(table, briefs, region, pareto, pareto_value)
    rows = _portfolio_rows(briefs, charts)
    facts, files = _provenance_rows(briefs, region)
    return ReportContent(
        title=title or (f"{region.title}: portfolios compared" if region else "Portfolios compared"),
        subtitle=_subtitle(region, len(briefs)),
        table=table,
        marks=marks,
        findings=_findings(table, marks, briefs) + _appraisal_findings(appraisals or ()),
        charts=charts,
        maps=[(path, what) for path, (_, what) in (maps or {}).items()],
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


def _subtitle(region: Region | None, count: int) -> str:
    """The line under the title: the base it compares against, how many portfolios, the version."""
    subtitle = f"Against the {region.base_year} base network" if region else "Against the base network"
    return subtitle + f"; {count} portfolio{'s' if count != 1 else ''}; corridor {__version__}."


def _overview_charts(
    table: pd.DataFrame,
    briefs: Sequence[Brief],
    region: Region | None,
    pareto: pd.DataFrame | None,
    pareto_value: str,
) -> dict[str, tuple[str, str]]:
    """The charts of all portfolios: cost against gain, seaport time by province and the Pareto frontier."""
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
    return charts


def _portfolio_rows(
    briefs: Sequence[Brief], charts: dict[str, tuple[str, str]]
) -> list[tuple[Brief, str, pd.DataFrame]]:
    """Each portfolio's table of projects and the name of its marginal chart, which is added to ``charts``."""
    taken: set[str] = set()
    rows = []
    for b in briefs:
        chart = ""
        if b.result.marginal is not None and len(b.projects):
            chart = f"{MARGINAL_CHART_PREFIX}{_slug(b.result.portfolio.name, taken)}.svg"
            columns = {c: (TITLES[c], _BETTER[c]) for c in MARGINAL_GAINS}
            charts[chart] = (
                f"{b.result.portfolio.name}: each project's marginal contribution.",
                marginal_chart(b.projects, columns),
            )
        rows.append((b, chart, project_frame(b)))
    return rows


def _slug(name: str, taken: set[str]) -> str:
    """A file name made of a portfolio's name (see :func:`file_stem`), unique among ``taken``."""
    base = file_stem(name)
    slug, k = base, 2
    while slug.lower() in taken:
        slug, k = f"{base}-{k}", k + 1
    taken.add(slug.lower())
    return slug


def column_title(column: str) -> str:
    """The heading of a column of the report's tables."""
    return TITLES.get(column, _COLUMN_TITLES.get(column, column))


def project_frame(brief: Brief) -> pd.DataFrame:
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
        rate = "no EIRR" if not math.isfinite(a.eirr) else f"EIRR {a.eirr:.1%}"
        lines.append(f"{a.name} in money: NPV {usd_text(a.npv_usd)}, BCR {ratio_text(a.bcr)}, {rate} (see Appraisal).")
    return lines


def _settings_rows(settings: Settings) -> list[tuple[str, str]]:
    """Each setting and its value as text (tables of settings as sorted JSON)."""
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


def value_format(values: pd.Series) -> str:
    """Whole numbers for large values (jobs, USD), three decimals for small ones (minutes, shares)."""
    finite = values[np.isfinite(values.to_numpy(dtype=float))]
    return "{:,.0f}" if len(finite) and finite.abs().max() >= 1000 else "{:,.3f}"

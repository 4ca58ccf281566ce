"""The report of compared portfolios: HTML, its Markdown twin, charts, tables and maps, written as one unit.

Reports draw what they are given; they compute no metric. :func:`build_report`
makes the whole report from portfolios (their briefs, the map of each and
the comparison map) and :func:`write_report` writes it: one self-contained
HTML file (its charts inline SVG, :mod:`~corridor.present.report_html`) and
its Markdown twin (:mod:`~corridor.present.report_markdown`), both laid out
from one :class:`~corridor.present.report_content.ReportContent`, with the
maps beside them. Every headline's title comes from
:data:`corridor.access.metrics.HEADLINES`. User text (portfolio, project and
place names) is escaped for the place it lands in: HTML, Markdown cells and
CSV cells (a leading ``=``, ``+``, ``-``, ``@``, tab or carriage return is
neutralised so a spreadsheet never runs it).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

from corridor.access.scorer import PortfolioScorer
from corridor.access.scores import best_marks
from corridor.appraisal.appraise import Appraisal
from corridor.files import atomic_paths, folder_lock, output_folder
from corridor.inputs.projects import Portfolio
from corridor.inputs.region import Region
from corridor.present.briefing import Brief, brief, zone_differences
from corridor.present.formats import csv_frame, csv_safe, file_stem
from corridor.present.maps import comparison_map, portfolio_map, seed_ids
from corridor.present.offline import inline_file
from corridor.present.report_content import ReportContent, project_frame, report_content
from corridor.present.report_html import report_html
from corridor.present.report_markdown import report_markdown
from corridor.settings import Settings

__all__ = [
    "build_report",
    "comparison_frame",
    "report_maps",
    "write_report",
]


def build_report(
    G: nx.MultiDiGraph,
    portfolios: Sequence[Portfolio],
    out: str | Path,
    *,
    region: Region | None,
    settings: Settings,
    metric: str | None = None,
    appraisals: Sequence[Appraisal] | None = None,
    assumptions: Sequence[dict[str, Any]] = (),
    pareto: pd.DataFrame | None = None,
    pareto_value: str = "value",
    scorer: PortfolioScorer | None = None,
    progress: Callable[[str], None] | None = None,
    offline: bool = True,
) -> list[Path]:
    """Score portfolios, draw their maps and write their report into a folder (see :func:`write_report`).

    Parameters
    ----------
    G
        The base network (not changed).
    portfolios
        The portfolios, each with its own name.
    out
        The folder.
    region, settings
        As for :func:`corridor.access.scores.score`.
    metric
        The per-zone change the maps shade at first (see
        :func:`corridor.present.briefing.map_metrics`).
    appraisals, assumptions
        The portfolios' appraisals and the assumptions they used, when
        appraised: each project's benefit-cost ratio lands in its table and
        on the maps.
    pareto, pareto_value
        The optimiser's frontier and what its value measures
        (:func:`corridor.present.outputs.read_optimum`).
    scorer
        A :class:`~corridor.access.scorer.PortfolioScorer` of ``G`` to reuse.
    progress
        Told each step in a few words.
    offline
        Write Leaflet and the rest of what the maps link into them, so the
        report opens with no network (see :func:`write_report`).

    Returns
    -------
    list of Path
        The files written, ``report.html`` first.
    """
    say = progress or (lambda message: None)
    say(f"scoring {len(portfolios)} portfolios")
    briefs = _briefs(G, portfolios, region=region, settings=settings, appraisals=appraisals, scorer=scorer)
    table = comparison_frame(briefs)
    say("drawing the maps")
    maps = report_maps(G, briefs, region, metric=metric)
    say("writing the report")
    return write_report(
        briefs,
        table,
        best_marks(table),
        out,
        settings=settings,
        region=region,
        maps=maps,
        pareto=pareto,
        pareto_value=pareto_value,
        appraisals=appraisals,
        assumptions=assumptions,
        offline=offline,
    )


def _briefs(
    G: nx.MultiDiGraph,
    portfolios: Sequence[Portfolio],
    *,
    region: Region | None,
    settings: Settings,
    appraisals: Sequence[Appraisal] | None,
    scorer: PortfolioScorer | None,
) -> list[Brief]:
    """Each portfolio's brief on one scorer, with its projects' benefit-cost ratios when appraised."""
    bcr = {a.name: {str(pid): float(r["bcr"]) for pid, r in a.projects.iterrows()} for a in appraisals or ()}
    scorer = scorer or PortfolioScorer(G, settings=settings, region=region)
    return [brief(G, p, region=region, settings=settings, scorer=scorer, bcr=bcr.get(p.name)) for p in portfolios]


def comparison_frame(briefs: Sequence[Brief]) -> pd.DataFrame:
    """The comparison table: one row of headlines per portfolio, indexed by name."""
    rows = [b.result.headline() for b in briefs]
    names = [b.result.portfolio.name for b in briefs]
    return pd.DataFrame(rows, index=pd.Index(names, name="portfolio"))


def report_maps(
    G: nx.MultiDiGraph, briefs: Sequence[Brief], region: Region | None, *, metric: str | None = None
) -> dict[str, tuple[Any, str]]:
    """The maps beside a report: relative path -> (map, what it shows).

    One map per portfolio (``maps/<name>.html``, the name made a file name,
    ``_`` added until it is unique) and, for two portfolios or more, the
    first beside the others and their difference (``maps/compare.html``).
    """
    maps: dict[str, tuple[Any, str]] = {}
    stems: set[str] = set()
    for b in briefs:
        stem = file_stem(b.result.portfolio.name)
        while stem.lower() in stems:
            stem += "_"
        stems.add(stem.lower())
        maps[f"maps/{stem}.html"] = (
            portfolio_map(G, b.view, region, metric=metric),
            f"{b.result.portfolio.name}: its projects, the change per zone, the reach of each port and airport",
        )
    if len(briefs) > 1:
        views = [b.view for b in briefs]
        maps["maps/compare.html"] = (
            comparison_map(G, views, zone_differences(views), region, metric=metric),
            f"{views[0].name} beside each other portfolio, and their difference",
        )
    return maps


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
    offline: bool = True,
) -> list[Path]:
    """Write the report of compared portfolios into a folder: HTML, its Markdown twin, charts, tables, maps.

    ``report.html`` needs no network to open: its charts are inline SVG; its
    maps carry Leaflet and the rest of what they link (``offline``, the
    default: a briefing opens with no network, the basemap's tiles aside).
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
    offline
        Write what the maps link into them (True), or link it from the
        public CDNs (smaller files that need the network).

    Returns
    -------
    list of Path
        The files written.
    """
    folder = output_folder(out)
    briefs = list(briefs)
    maps = dict(maps or {})
    content = report_content(
        briefs,
        table,
        marks,
        settings=settings,
        region=region,
        maps=maps,
        pareto=pareto,
        pareto_value=pareto_value,
        title=title,
        appraisals=appraisals,
        assumptions=assumptions,
    )
    texts = _texts(content, briefs)
    return _write_together(folder, texts, {name: fmap for name, (fmap, _) in maps.items()}, offline=offline)


def _texts(content: ReportContent, briefs: Sequence[Brief]) -> dict[str, str]:
    """Every text file of the report by its relative path: the twins, provenance, tables and charts."""
    projects = pd.concat(
        [project_frame(b).assign(portfolio=b.result.portfolio.name) for b in briefs] or [pd.DataFrame()]
    )
    provenance = {b.result.portfolio.name: b.result.provenance for b in briefs}
    texts: dict[str, str] = {
        "report.html": report_html(content),
        "report.md": report_markdown(content),
        "report.provenance.json": json.dumps(provenance, indent=2, sort_keys=True, default=str),
        "comparison.csv": csv_frame(content.table).to_csv(float_format="%.4f", lineterminator="\n"),
        "projects.csv": csv_frame(projects).to_csv(float_format="%.4f", lineterminator="\n"),
    }
    if content.appraisals:
        flows = [a.years.reset_index().assign(portfolio=csv_safe(a.name)) for a in content.appraisals]
        texts["appraisal.csv"] = pd.concat(flows, ignore_index=True).to_csv(
            index=False, float_format="%.6g", lineterminator="\n"
        )
    texts.update({name: svg for name, (_, svg) in content.charts.items()})
    return texts


#: the list of a report's files, with their hashes, written last into its folder
MANIFEST = "report.manifest.json"


def _write_together(
    folder: Path, texts: Mapping[str, str], maps: Mapping[str, Any], *, offline: bool = True
) -> list[Path]:
    """Write text files and maps into a folder as one unit, held against a second writer, with a manifest.

    A failure leaves neither the files nor new folders. Files an earlier
    report listed in its manifest that this one does not write (the maps of
    a portfolio no longer in it) are removed once this one has landed.
    """
    names = [*texts, *maps, MANIFEST]
    paths = [folder / name for name in names]
    new_folders = sorted({p.parent for p in paths if not p.parent.exists()}, key=lambda f: len(f.parts))
    with folder_lock(folder, "a report"):
        earlier = _manifest_files(folder)
        try:
            with atomic_paths(paths) as temps:
                for name, tmp in zip(names, temps, strict=True):
                    if name in texts:
                        tmp.write_text(texts[name], encoding="utf-8")
                    elif name in maps:
                        seed_ids(maps[name]).save(str(tmp))
                        if offline:
                            inline_file(tmp)
                listed = {
                    n: hashlib.sha256(t.read_bytes()).hexdigest() for n, t in zip(names[:-1], temps, strict=False)
                }
                temps[-1].write_text(json.dumps({"files": listed}, indent=1) + "\n", encoding="utf-8")
        except BaseException:
            for made in reversed(new_folders):  # a failed report leaves no empty folder behind
                with contextlib.suppress(OSError):
                    made.rmdir()
            raise
        for stale in sorted(earlier - set(names)):
            with contextlib.suppress(OSError):
                (folder / stale).unlink()
    return paths


def _manifest_files(folder: Path) -> set[str]:
    """The files an earlier report in this folder listed (only plain relative names inside it)."""
    try:
        listed = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return set()
    inside = folder.resolve()
    return {
        str(n)
        for n in listed
        if isinstance(n, str) and not Path(n).is_absolute() and inside in (folder / n).resolve().parents
    }

"""The files the commands write of their results: comparisons, the optimum, the sensitivity runs and appraisals."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from corridor.access.scores import ScoreResult
from corridor.appraisal.appraise import Appraisal
from corridor.appraisal.benefits import BENEFIT_CLASSES
from corridor.errors import DataError, DataFileNotFound
from corridor.files import atomic_path, atomic_paths, output_folder, output_path
from corridor.present.formats import (
    csv_frame,
    csv_safe,
    interaction_lines,
    markdown_cell,
    markdown_table,
    objective_value,
    rate_text,
    ratio_text,
    usd_text,
)
from corridor.search.objectives import OBJECTIVES
from corridor.search.optimiser import OptimisationResult
from corridor.search.sensitivity import SensitivityResult

__all__ = [
    "check_optimum_projects",
    "appraisal_markdown",
    "comparison_markdown",
    "pareto_frame",
    "read_optimum",
    "write_appraisal",
    "write_comparison",
    "write_link_volumes",
    "write_optimisation",
    "write_sensitivity",
]


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
        csv_frame(table).to_csv(csv_tmp, float_format="%.4f")
        md_tmp.write_text(comparison_markdown(table, marks, results), encoding="utf-8")
        prov_tmp.write_text(json.dumps(provenance, indent=2, default=str), encoding="utf-8")
    return paths


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
        csv_frame(frame).to_csv(csv_tmp, float_format="%.6g")
        md_tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        svg_tmp.write_text(chart, encoding="utf-8")
    return paths


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
            csv_frame(flat.set_index(flat.columns[0])).to_csv(tmp, float_format="%.6g")
    return paths


def _usd_m(x: float) -> str:
    """USD as millions with one decimal, ``n/a`` when not finite."""
    return "n/a" if not math.isfinite(x) else f"{x / 1e6:,.1f}"


def appraisal_markdown(appraisals: Sequence[Appraisal], rows: Sequence[dict[str, Any]], *, level: int = 2) -> str:
    """The appraisals as Markdown: the measures, benefits by class, each project, the notes and every assumption.

    ``level`` is the level of the headings of each portfolio and of the assumptions.
    """
    hashes = "#" * level
    lines = _measure_lines(appraisals)
    for a in appraisals:
        lines += ["", f"{hashes} {markdown_cell(a.name)}", "", "| benefit class | PV (USD m) |", "|---|---:|"]
        lines += [f"| {markdown_cell(BENEFIT_CLASSES[k])} | {_usd_m(v)} |" for k, v in a.pv_by_class_usd.items()]
        if len(a.projects):
            lines += _appraised_project_lines(a)
        lines += [""] + [f"- {markdown_cell(n)}" for n in [*interaction_lines(a), *a.notes]]
    lines += ["", f"{hashes} Assumptions", "", "| parameter | value | unit | source |", "|---|---|---|---|"]
    lines += [
        f"| {markdown_cell(r['parameter'])} | {markdown_cell(r['value'])} | {markdown_cell(r['unit'])} | "
        f"{markdown_cell(r['source'])} |"
        for r in rows
    ]
    return "\n".join(lines) + "\n"


def _measure_lines(appraisals: Sequence[Appraisal]) -> list[str]:
    """Each portfolio's cost, present values, NPV, BCR and EIRR, and the note on the money's units."""
    lines = [
        "| portfolio | cost (USD m) | PV benefits | PV costs | NPV | BCR | EIRR |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {markdown_cell(a.name)} | {_usd_m(a.cost_usd)} | {_usd_m(a.pv_benefits_usd)} | "
        f"{_usd_m(a.pv_costs_usd)} | {_usd_m(a.npv_usd)} | {ratio_text(a.bcr)} | {rate_text(a.eirr)} |"
        for a in appraisals
    ]
    return [*lines, "", "USD million at the price year's prices, economic (tax removed), discounted to the first year."]


def _appraised_project_lines(a: Appraisal) -> list[str]:
    """Each project's opening year, cost, yearly benefits, NPV, BCR and EIRR; labelled with what it needs."""
    lines = [
        "",
        "| project | opens | cost | benefit a year, first | benefit a year, forecast | NPV | BCR | EIRR |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for pid, r in a.projects.iterrows():
        label = markdown_cell(pid) + (f" (with {markdown_cell(r['with'])})" if r["with"] else "")
        lines.append(
            f"| {label} | {r['opening_year']} | {_usd_m(r['cost_usd'])} | "
            f"{_usd_m(r['benefit_first_modelled_year_usd'])} | {_usd_m(r['benefit_forecast_year_usd'])} | "
            f"{_usd_m(r['npv_usd'])} | {ratio_text(r['bcr'])} | {rate_text(r['eirr'])} |"
        )
    return lines


def read_optimum(path: str | Path) -> tuple[pd.DataFrame, str]:
    """The Pareto frontier of an ``optimum.json`` (``corridor optimize --out``), and what its value measures.

    Raises
    ------
    DataError
        The file is missing, is not JSON, or has no frontier of
        ``cost_usd``, ``value`` and ``projects``.
    """
    file = Path(path)
    data = _optimum_json(file)
    frontier = data.get("pareto") if isinstance(data, dict) else None
    if not isinstance(frontier, list) or not frontier:
        raise DataError("has no Pareto frontier", path=file, field="pareto", allowed=_OPTIMUM)
    known = {o.name: o for o in OBJECTIVES}
    objective = known.get(str(data.get("objective")))
    if objective is None:
        raise DataError(
            "unknown objective", path=file, field="objective", value=data.get("objective"), allowed=sorted(known)
        )
    points = [_frontier_point(point, file=file, field=f"pareto[{i}]") for i, point in enumerate(frontier)]
    return pd.DataFrame(points), f"{objective.label} ({objective.unit})"


#: what :func:`read_optimum` reads
_OPTIMUM = "the optimum.json that 'corridor optimize --out' writes"


def _optimum_json(file: Path) -> Any:
    """The JSON of an optimiser's result file."""
    if not file.is_file():
        raise DataFileNotFound("optimiser's result not found", path=file, allowed=_OPTIMUM)
    try:
        # integers read as floats: a number of 400 digits is infinite, and refused as one, not a traceback
        return json.loads(file.read_text(encoding="utf-8"), parse_int=float)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"is not JSON ({exc})", path=file, allowed=_OPTIMUM) from None
    except RecursionError:
        raise DataError("nests too deep to be an optimiser's result", path=file, allowed=_OPTIMUM) from None


def _frontier_point(point: Any, *, file: Path, field: str) -> dict[str, Any]:
    """A point of the frontier: a cost of 0 or more, a finite value and a list of project ids."""
    try:
        numbers = point["cost_usd"], point["value"]
        if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in numbers):
            raise TypeError
        cost, value = float(numbers[0]), float(numbers[1])
        projects = point["projects"]
        if not isinstance(projects, list) or not all(isinstance(x, str) for x in projects):
            raise TypeError
    except (TypeError, KeyError, ValueError):
        raise DataError(
            "a point lacks a number cost_usd, a number value or a list of project ids",
            path=file,
            field=field,
            allowed=_OPTIMUM,
        ) from None
    if not (0 <= cost <= MAX_OPTIMUM_NUMBER and abs(value) <= MAX_OPTIMUM_NUMBER):
        raise DataError(
            "a point needs a cost of 0 or more and a finite value",
            path=file,
            field=field,
            value={"cost_usd": cost, "value": value},
            allowed=f"costs 0 to {MAX_OPTIMUM_NUMBER:.0e} USD, values within ±{MAX_OPTIMUM_NUMBER:.0e}",
        )
    return {"cost_usd": cost, "value": value, "projects": projects}


#: the largest cost (USD) or objective value an optimum.json may hold: beyond any corridor's budget
MAX_OPTIMUM_NUMBER = 1e15


def check_optimum_projects(pareto: pd.DataFrame, known: Iterable[str], path: str | Path) -> None:
    """Every project of a read frontier (:func:`read_optimum`) is one the region or the portfolios know.

    Raises
    ------
    DataError
        A project id in no catalog or portfolio.
    """
    ids = set(known)
    for i, projects in enumerate(pareto["projects"]):
        unknown = [p for p in projects if p not in ids]
        if unknown:
            raise DataError(
                f"names the project {unknown[0]!r}, which is in no catalog or portfolio here",
                path=path,
                field=f"pareto[{i}].projects",
                allowed="the optimum.json of an optimisation of this region's projects",
            )


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


def write_link_volumes(links: pd.DataFrame, out: str | Path) -> Path:
    """Write a model run's link volumes (:func:`corridor.model.results.link_volumes`) as CSV, atomically; its path."""
    frame = links.copy()
    for column in ("link_id", "name", "link_class", "from", "to"):
        frame[column] = frame[column].map(csv_safe)
    path = output_path(out)
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6g")
    return path

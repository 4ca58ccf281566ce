"""Each project's worth to its portfolio: the benefits the portfolio loses without it, against its costs
(see :mod:`~corridor.appraisal.appraise`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from corridor.appraisal.costs import cost_stream
from corridor.appraisal.measures import flow_measures
from corridor.appraisal.runs import ModelledBenefits, Plan
from corridor.appraisal.streams import benefit_stream
from corridor.inputs.projects import Project
from corridor.settings import Settings

__all__ = [
    "Worth",
    "projects_table",
    "worth",
]


@dataclass(frozen=True)
class Worth:
    """A project's marginal contribution to its portfolio.

    Attributes
    ----------
    project
        The project.
    lost
        The benefits a year the portfolio loses without it (and without the
        projects that require it), by modelled year: the classes, ``total``
        and the components.
    without
        The portfolio's benefits a year without them, by modelled year.
    row
        Its line of the appraisal's table of projects.
    """

    project: Project
    lost: dict[int, dict[str, float]]
    without: dict[int, dict[str, float]]
    row: dict[str, str | float]


def _costs(counted: Sequence[Project], plan: Plan, years: Sequence[int], settings: Settings) -> pd.Series:
    """The projects' economic costs a year, summed, each from its opening year."""
    return sum(
        (cost_stream(r, settings, years, plan.opening[r.id]).sum(axis=1) for r in counted),
        start=pd.Series(0.0, index=pd.Index(years, name="year")),
    )


def worth(project: Project, plan: Plan, modelled: ModelledBenefits, years: Sequence[int], settings: Settings) -> Worth:
    """A project's worth: what its portfolio loses without it, against its and its dependants' costs.

    Parameters
    ----------
    plan
        The portfolio's plan, with the project's marginal set.
    modelled
        The model runs' benefits.
    years
        The appraisal's years.
    """
    y0, y1 = modelled.years
    full, without = modelled.of(plan.full), modelled.of(plan.marginals[project.id])
    lost = {y: {k: full[y][k] - without[y][k] for k in full[y]} for y in modelled.years}
    benefits = benefit_stream(lost, plan.opening[project.id], years, modelled.years, settings)
    dependants = plan.portfolio.dependants(project.id)
    counted = [project, *(r for r in plan.portfolio.projects if r.id in dependants)]
    pv_b, pv_c, value, ratio, rate = flow_measures(
        pd.Series(benefits.sum(axis=1)), _costs(counted, plan, years, settings), settings.discount_rate
    )
    row: dict[str, str | float] = {
        "name": project.name,
        "with": ", ".join(r.id for r in counted[1:]),
        "opening_year": plan.opening[project.id],
        "cost_usd": sum(r.cost_usd for r in counted),  # with what requires it, as its NPV and BCR
        "benefit_first_modelled_year_usd": lost[y0]["total"],
        "benefit_forecast_year_usd": lost[y1]["total"],
        "pv_benefits_usd": pv_b,
        "pv_costs_usd": pv_c,
        "npv_usd": value,
        "bcr": ratio,
        "eirr": rate,
    }
    return Worth(project, lost, without, row)


def projects_table(worths: Sequence[Worth]) -> pd.DataFrame:
    """The table of projects' worth, a row a project (indexed ``project``)."""
    frame = pd.DataFrame.from_dict({w.project.id: w.row for w in worths}, orient="index")
    frame.index.name = "project"
    return frame

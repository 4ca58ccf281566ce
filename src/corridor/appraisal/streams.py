"""A portfolio's yearly flows: benefits from the two modelled years, stage by stage, costs, and their table.

Between the two modelled years a benefit is interpolated; after the second it
is held; persons' and air passengers' benefits grow with the value of time
from the base year.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from corridor.appraisal.benefits import BENEFIT_CLASSES, GROWS_WITH_VALUE_OF_TIME
from corridor.appraisal.costs import cost_stream
from corridor.inputs.projects import Project
from corridor.settings import Settings

__all__ = [
    "benefit_stream",
    "costs_by_year",
    "flow_table",
    "staged_benefits",
]

#: the cost streams' columns (:func:`~corridor.appraisal.costs.cost_stream`)
_COST_COLUMNS = ["capital", "om", "residual"]


def _zeros(years: Sequence[int], columns: list[str]) -> pd.DataFrame:
    """A frame of zeros, a row a year."""
    return pd.DataFrame(0.0, index=pd.Index(years, name="year"), columns=columns)


def benefit_stream(
    at: Mapping[int, Mapping[str, float]],
    start: int,
    years: Sequence[int],
    modelled_years: tuple[int, int],
    settings: Settings,
) -> pd.DataFrame:
    """Yearly benefits by class from the two modelled years' (interpolated, then held), from ``start``.

    Parameters
    ----------
    at
        The benefits a year by class, in each modelled year.
    start
        The first year of benefits (zero before).
    years
        The appraisal's years.
    """
    y0, y1 = modelled_years
    g = settings.appraisal.value_of_time_growth_pct / 100
    frame = _zeros(years, list(BENEFIT_CLASSES))
    for year in years:
        if year < start:
            continue
        w = min(max((year - y0) / (y1 - y0), 0.0), 1.0)
        for k in BENEFIT_CLASSES:
            value = at[y0][k] + (at[y1][k] - at[y0][k]) * w
            if k in GROWS_WITH_VALUE_OF_TIME:
                value *= (1 + g) ** (year - y0)
            frame.loc[year, k] = value
    return frame


def staged_benefits(
    stages: Sequence[tuple[int, Mapping[int, Mapping[str, float]]]],
    years: Sequence[int],
    modelled_years: tuple[int, int],
    settings: Settings,
) -> pd.DataFrame:
    """Yearly benefits by class of a portfolio that opens in stages: each stage's from its year to the next's.

    Parameters
    ----------
    stages
        Each opening year, in order, and the benefits a year of the
        projects open by then, in each modelled year.
    """
    benefits = _zeros(years, list(BENEFIT_CLASSES))
    for k, (year, at) in enumerate(stages):
        until = stages[k + 1][0] if k + 1 < len(stages) else years[-1] + 1
        staged = benefit_stream(at, year, years, modelled_years, settings)
        window = (benefits.index >= year) & (benefits.index < until)
        benefits.loc[window] = staged.loc[window]
    return benefits


def costs_by_year(
    projects: Sequence[Project], opening: Mapping[str, int], years: Sequence[int], settings: Settings
) -> pd.DataFrame:
    """The projects' economic costs by year, summed: ``capital``, ``om`` and ``residual``, from their opening years."""
    return sum(
        (cost_stream(q, settings, years, opening[q.id]) for q in projects),
        start=_zeros(years, _COST_COLUMNS),
    )


def flow_table(benefits: pd.DataFrame, costs: pd.DataFrame, discount_rate: float) -> pd.DataFrame:
    """The yearly flows: the benefit classes, ``benefits``, the costs, ``costs``, ``net`` and the ``discount_factor``.

    Discounted to the first year of ``benefits``.
    """
    table = benefits.copy()
    table["benefits"] = benefits.sum(axis=1)
    table = table.join(costs)
    table["costs"] = table[_COST_COLUMNS].sum(axis=1)
    table["net"] = table["benefits"] - table["costs"]
    table["discount_factor"] = 1 / (1 + discount_rate) ** (table.index - table.index[0])
    return table

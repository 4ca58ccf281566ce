"""A project's economic costs by year: capital re-based and net of taxes, spread over construction, operation
and maintenance, and residual value."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from corridor.inputs.projects import Project
from corridor.settings import Settings

__all__ = [
    "cost_stream",
]


def _cpi_factor(settings: Settings, price_year: int) -> float:
    """The US consumer price index's factor from ``price_year`` to the appraisal's (1 when either is not known)."""
    cpi = settings.appraisal.us_cpi
    target = settings.appraisal.price_year
    if price_year not in cpi or target not in cpi:
        return 1.0
    return cpi[target] / cpi[price_year]


def cost_stream(
    project: Project, settings: Settings, years: Sequence[int], opening_year: int | None = None
) -> pd.DataFrame:
    """A project's economic costs by year (USD at the price year): ``capital``, ``om``, ``residual`` (negative).

    Parameters
    ----------
    project
        The catalog project.
    years
        The appraisal's years, consecutive.
    opening_year
        When it opens (its own by default; later when a project it requires opens later).
    """
    a = settings.appraisal
    first, last = years[0], years[-1]
    opening = opening_year or project.opening_year
    category = project.category
    capital = project.cost_usd * _cpi_factor(settings, project.price_year) * (1 - a.tax_share_of_cost)
    index = np.asarray(list(years))
    spent = np.zeros(len(index))
    build = int(a.by_category("construction_years", category))
    spend = [opening - k for k in range(build, 0, -1)] if build > 0 else [opening]
    for year in spend:
        spent[min(max(year, first), last) - first] += capital / len(spend)
    om = np.where(index >= opening, capital * float(a.by_category("om_share_per_year", category)), 0.0)
    residual = np.zeros(len(index))
    life = float(a.by_category("asset_life_years", category))
    used = last - opening + 1
    if life > 0 and used < life:
        residual[-1] = -capital * (1 - max(used, 0) / life)
    frame = pd.DataFrame(
        {"capital": spent, "om": om, "residual": residual}, index=pd.Index(index.tolist(), name="year")
    )
    return frame

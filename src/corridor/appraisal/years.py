"""The appraisal's years: the two modelled years, and how each class's demand grows between them."""

from __future__ import annotations

from corridor.inputs.region import Region
from corridor.settings import Settings

__all__ = [
    "demand_factors",
    "demand_growth",
    "modelled_years",
]


def modelled_years(region: Region | None, settings: Settings) -> tuple[int, int]:
    """The base year (the region's; the price year without a region) and the forecast year.

    The forecast year is ``appraisal.forecast_years`` after the base year.
    """
    a = settings.appraisal
    base_year = region.base_year if region is not None else a.price_year
    return base_year, base_year + a.forecast_years


def demand_growth(settings: Settings) -> dict[str, float]:
    """Each benefit class's growth of demand a year, as a share (0.05: 5% a year)."""
    a = settings.appraisal
    return {
        "persons": a.growth_persons_pct / 100,
        "containers": a.growth_containers_pct / 100,
        "air_passengers": a.growth_air_passengers_pct / 100,
    }


def demand_factors(settings: Settings, years: int) -> dict[str, float]:
    """Each benefit class's demand after ``years`` of growth, as a factor of its demand at the start."""
    return {k: (1 + g) ** years for k, g in demand_growth(settings).items()}

"""What a planner should know to read an appraisal: projects worth little, the model's noise and the method."""

from __future__ import annotations

from collections.abc import Mapping

from corridor.access.modelled import capacity_note
from corridor.appraisal.benefits import BENEFIT_CLASSES
from corridor.appraisal.worth import Worth
from corridor.model.results import ModelRun
from corridor.settings import Settings

__all__ = [
    "little_worth_note",
    "method_notes",
    "noise_band",
    "noise_note",
    "within_noise_note",
]


def little_worth_note(w: Worth, bases: Mapping[int, ModelRun], years: tuple[int, int]) -> str | None:
    """A note when the model finds a project worth under 1% of its cost a year in both modelled years.

    It says why when more capacity at a gateway does little
    (:func:`~corridor.access.modelled.capacity_note`, in the forecast year, else the base year).
    """
    q, (y0, y1) = w.project, years
    small = max(abs(w.lost[y0]["total"]), abs(w.lost[y1]["total"])) < 0.01 * max(q.cost_usd, 1.0)
    if not small:
        return None
    why = capacity_note(q, bases[y1], f"in {y1}") or capacity_note(q, bases[y0], f"in {y0}")
    return f"{q.id}: the model finds it worth under 1% of its cost a year in {y0} and in {y1}" + (
        f": {why}" if why else ""
    )


def noise_band(noise: Mapping[int, Mapping[str, float]]) -> dict[str, float]:
    """Each class's convergence noise: the largest benefit the unchanged network counts in a modelled year."""
    return {k: max(abs(noise[y][k]) for y in noise) for k in BENEFIT_CLASSES}


def noise_note(band: Mapping[str, float]) -> str:
    """The note of the model's convergence noise a year, by class."""
    return (
        "the model's convergence noise (what the unchanged network, run again as a scenario from the same warm "
        "start, counts as benefit): "
        + ", ".join(f"{BENEFIT_CLASSES[k].split(':')[0]} USD {band[k] / 1e6:,.1f} M a year" for k in band)
        + "; a benefit smaller than this is not told apart from zero, and two runs can differ by more"
    )


def within_noise_note(w: Worth, band: Mapping[str, float], years: tuple[int, int]) -> str | None:
    """A note when a project's person trips' benefit is some, but within the model's noise."""
    persons = [w.lost[y]["persons"] for y in years]
    if not 1.0 <= max(abs(x) for x in persons) < band["persons"]:  # none at all: nothing to qualify
        return None
    return (
        f"{w.project.id}: its person trips' benefit (USD {persons[0] / 1e6:,.1f} M in {years[0]}, "
        f"{persons[1] / 1e6:,.1f} M in {years[1]}) is within the model's noise"
    )


def method_notes(years: tuple[int, int], settings: Settings) -> list[str]:
    """The notes of how the benefits are grown over the years, and of what is not added again."""
    a, (y0, y1) = settings.appraisal, years
    return [
        f"benefits modelled in {y0} and {y1} (demand grown {a.growth_persons_pct:g}% a year for persons, "
        f"{a.growth_containers_pct:g}% for containers, {a.growth_air_passengers_pct:g}% for air passengers), "
        f"interpolated between, traffic held after {y1}; persons' and air passengers' values of time grow "
        f"{a.value_of_time_growth_pct:g}% a year from {y0}",
        "the vehicle operating costs and gateway delays saved are parts of the classes' benefits, not added again",
    ]

"""The model runs of an appraisal: which sets of projects are modelled, in both modelled years, on the worker pool.

Each portfolio is modelled by stage (the projects open by each distinct
opening year) and, for each project's worth, without the project and the
projects that require it; the unchanged network is run again as a scenario
is, for the model's convergence noise. A set of projects that several
portfolios share is modelled once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import networkx as nx

from corridor.appraisal.benefits import annual_benefits
from corridor.appraisal.years import demand_factors
from corridor.inputs.projects import Portfolio
from corridor.inputs.region import Region
from corridor.model.loop import run_model
from corridor.model.results import ModelRun
from corridor.network.scenario import apply_portfolio
from corridor.parallel import can_fork, make_runner
from corridor.paths.cache import DiskCache
from corridor.settings import Settings

__all__ = [
    "UNCHANGED",
    "ModelledBenefits",
    "Plan",
    "RunKey",
    "base_runs",
    "plan",
    "run_plans",
]

#: the set of the unchanged network run again as a scenario is (its noise; see :func:`plan`)
UNCHANGED: tuple[str, ...] = ("(the network unchanged)",)

#: a model run: the projects modelled (sorted ids, or :data:`UNCHANGED`) and the modelled year
RunKey = tuple[tuple[str, ...], int]


@dataclass(frozen=True)
class Plan:
    """What to model for one portfolio.

    Attributes
    ----------
    portfolio
        The portfolio.
    opening
        Each project's opening year (:meth:`~corridor.inputs.projects.Portfolio.opening_years`).
    stages
        Each distinct opening year and the projects open by then (sorted ids).
    full
        Every project of the portfolio (sorted ids).
    marginals
        Per project, the projects left without it and without the projects
        that require it (sorted ids); empty when the projects are not appraised.
    """

    portfolio: Portfolio
    opening: dict[str, int]
    stages: list[tuple[int, list[str]]]
    full: tuple[str, ...]
    marginals: dict[str, tuple[str, ...]]

    def sets(self) -> list[tuple[str, ...]]:
        """Every set of projects to model: each stage, each project's marginal set and :data:`UNCHANGED`."""
        return [tuple(ids) for _, ids in self.stages] + list(self.marginals.values()) + [UNCHANGED]


def plan(portfolio: Portfolio, *, projects: bool) -> Plan:
    """The sets of projects to model for a portfolio: its stages and, with ``projects``, each project's marginal set."""
    opening = portfolio.opening_years()
    stages = [(y, sorted(pid for pid, o in opening.items() if o <= y)) for y in sorted(set(opening.values()))]
    full = tuple(sorted(opening))
    marginals = {}
    if projects:
        for q in portfolio.projects:
            kept = set(portfolio.without(q.id).ids)
            marginals[q.id] = tuple(pid for pid in full if pid in kept)
    return Plan(portfolio, opening, stages, full, marginals)


@dataclass(frozen=True)
class ModelledBenefits:
    """Each modelled set of projects' benefits a year (:func:`~corridor.appraisal.benefits.annual_benefits`).

    Attributes
    ----------
    years
        The base year and the forecast year.
    by_run
        The benefits of each model run, by the projects modelled and the year.
    """

    years: tuple[int, int]
    by_run: dict[RunKey, dict[str, float]]

    def of(self, ids: Sequence[str]) -> dict[int, dict[str, float]]:
        """The benefits a year of a set of projects (sorted ids, or :data:`UNCHANGED`), by modelled year."""
        return {y: self.by_run[(tuple(ids), y)] for y in self.years}


def base_runs(
    G: nx.MultiDiGraph,
    region: Region | None,
    settings: Settings,
    years: tuple[int, int],
    *,
    base: ModelRun | None,
    say: Callable[[str], None],
    cache: DiskCache | None = None,
) -> dict[int, ModelRun]:
    """The model without the portfolios in both modelled years (the base year's run made when not given).

    The forecast year's run starts from the base year's calibration and
    assignment, its demand grown by class (:func:`~corridor.appraisal.years.demand_factors`).
    """
    y0, y1 = years
    if base is None:
        say("the base-year model")
        base = run_model(G, region, settings, cache=cache)
    say(f"the {y1} model without the portfolios")
    factors = demand_factors(settings, y1 - y0)
    later = run_model(G, region, settings, calibration=base.calibration, warm=base, demand_factors=factors, cache=cache)
    return {y0: base, y1: later}


@dataclass(frozen=True)
class _Runs:
    """What every model run of an appraisal reads: sent to each worker once (:mod:`corridor.parallel`)."""

    G: nx.MultiDiGraph
    region: Region | None
    settings: Settings
    bases: dict[int, ModelRun]
    cache: DiskCache | None = None


#: a task of the pool: the projects to model, the year, and a portfolio that holds them
_Task = tuple[tuple[str, ...], int, Portfolio]


def _run(shared: _Runs, task: _Task) -> tuple[tuple[str, ...], int, dict[str, float]]:
    """One model run of a stage or of a portfolio without a project, and its benefits (a task of the pool)."""
    ids, year, portfolio = task
    base = shared.bases[year]
    if ids == UNCHANGED:
        H = shared.G
    else:
        chosen = portfolio.model_copy(update={"projects": tuple(p for p in portfolio.projects if p.id in ids)})
        if not chosen.projects:
            return ids, year, annual_benefits(base, base, shared.settings)
        H = apply_portfolio(shared.G, chosen, settings=shared.settings, region=shared.region).G
    run = run_model(
        H,
        shared.region,
        shared.settings,
        calibration=base.calibration,
        warm=base,
        demand_factors=base.demand_factors,
        cache=shared.cache,
    )
    return ids, year, annual_benefits(base, run, shared.settings)


def _tasks(plans: Sequence[Plan], years: tuple[int, int]) -> list[_Task]:
    """Every set of the plans in both years, once (with the first portfolio that plans it)."""
    tasks: dict[RunKey, Portfolio] = {}
    for p in plans:
        for ids in p.sets():
            for year in years:
                tasks.setdefault((ids, year), p.portfolio)
    return [(ids, year, portfolio) for (ids, year), portfolio in tasks.items()]


def run_plans(
    plans: Sequence[Plan],
    years: tuple[int, int],
    *,
    G: nx.MultiDiGraph,
    region: Region | None,
    settings: Settings,
    bases: dict[int, ModelRun],
    workers: int,
    say: Callable[[str], None],
    cache: DiskCache | None = None,
) -> ModelledBenefits:
    """Every model run the plans need, on the worker pool (one run is left in-process), and their benefits.

    Parameters
    ----------
    years
        The base year and the forecast year.
    bases
        The runs without the portfolios, by modelled year (:func:`base_runs`).
    workers
        Local processes (already checked by :func:`~corridor.parallel.local_workers`).
    cache
        Where model runs are kept and read back (see :func:`~corridor.model.loop.run_model`).
    """
    tasks = _tasks(plans, years)
    workers = 1 if len(tasks) <= 1 or not can_fork() else workers
    with make_runner(_Runs(G, region, settings, bases, cache), workers=workers, progress=False) as pool:
        results = pool.map(_run, tasks, done=lambda k: say(f"model run {k} of {len(tasks)}"))
    return ModelledBenefits(years, {(ids, year): benefits for ids, year, benefits in results})

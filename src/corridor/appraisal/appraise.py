"""What a portfolio is worth: benefits in money from the transport model, costs from the catalog, NPV, BCR and EIRR.

Benefits
    The transport model runs in two years: the base year (the region's) and a
    forecast year (``appraisal.forecast_years`` later, demand grown by class at
    the stated rates), each without and with the portfolio. The benefit of a
    year is the consumer surplus by the rule of a half, for each class:

    - persons: ``1/2 sum_ij (T0_ij + T1_ij) (C0_ij - C1_ij)`` on the composite
      generalized cost of road and rail (time at the values of time, fares,
      car operating costs, tolls), days a year as stated;
    - containers: ``1/2 sum_i (V0_i + V1_i) (C0_i - C1_i)`` on the logsum cost
      of a box over ports and modes (haul by the km and the hour, handling,
      dwell and delay at the port);
    - air passengers: the same on their time to the chosen airport and their
      delay there, at the air travellers' value of time.

    The vehicle operating costs and the gateway delays saved are parts of these
    (shown, not added again). Between the two modelled years a benefit is
    interpolated; after the second it is held (demand does not grow further);
    persons' and air passengers' benefits grow with the value of time. Trips to
    or from a place that exists only with the portfolio are not valued by the
    rule of a half (their costs without it are undefined).

Costs
    Each project's cost from the catalog, re-based from its price year with the
    US consumer price index, converted to economic prices by removing the tax
    share, spent evenly over its construction years before opening (years before
    the first year of the appraisal counted in that year); operation and
    maintenance a year as a share of capital from opening; the residual value of
    the assets at the end of the horizon (straight line) returned as a negative
    cost.

Portfolios open in stages
    Projects open in different years; each distinct opening year is a stage, the
    set of projects open by then, modelled in both years. A project opens no
    earlier than the projects it requires.

Each project's worth
    Its marginal contribution: the benefits the portfolio loses without it (and
    without the projects that require it) in both modelled years, from its
    opening year, against its costs (and theirs). Synergies make these not add up
    to the portfolio's.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import pandas as pd

from corridor._version import __version__
from corridor.appraisal.benefits import BENEFIT_CLASSES
from corridor.appraisal.measures import flow_measures, npv
from corridor.appraisal.notes import little_worth_note, method_notes, noise_band, noise_note, within_noise_note
from corridor.appraisal.runs import UNCHANGED, ModelledBenefits, Plan, base_runs, plan, run_plans
from corridor.appraisal.streams import costs_by_year, flow_table, staged_benefits
from corridor.appraisal.worth import Worth, projects_table, worth
from corridor.appraisal.years import modelled_years
from corridor.errors import PortfolioError
from corridor.inputs.projects import Portfolio
from corridor.inputs.region import Region
from corridor.model.results import ModelRun
from corridor.parallel import local_workers
from corridor.paths.cache import DiskCache
from corridor.settings import Settings, parameters

__all__ = [
    "Appraisal",
    "appraise",
    "assumptions",
]

log = logging.getLogger(__name__)

#: top-level settings the appraisal reads, with their sources
_TOP_LEVEL = {
    "value_of_time_php_per_h": ("PHP/h", "LUZON_FACTS S72: private car 121.67 PHP/h (stated-preference study)"),
    "discount_rate": ("share", "LUZON_FACTS S74: NEDA-ICC social discount rate 10%"),
    "horizon_years": ("years", "assumption: 30 years of operation after the last opening (ADB's Davao appraisal)"),
    "php_per_usd": ("PHP/USD", "assumption: about the 2024 average (ADB's 2023 Davao appraisal used 56.02)"),
}


# ------------------------------------------------------------------ the appraisal


@dataclass
class Appraisal:
    """A portfolio's appraisal.

    Attributes
    ----------
    name
        The portfolio's name.
    years
        Yearly flows (USD at the price year, economic prices): each benefit
        class, ``benefits``, ``capital``, ``om``, ``residual``, ``costs``,
        ``net`` and the ``discount_factor``.
    modelled
        The benefits a year by stage and modelled year (classes and
        components), the model's own numbers before interpolation.
    projects
        Per project: its cost, the present value of its marginal benefits and
        costs, NPV, BCR and EIRR; ``with`` names the projects that require it
        (counted with it).
    stages
        Each opening year and the projects open by then.
    notes
        What a planner should know to read the numbers.
    noise_usd
        The model's convergence noise a year, by modelled year and class:
        the "benefits" of the unchanged network run again as a scenario is
        (from the base run's warm start, the same loops), which every
        scenario run carries too. A benefit smaller than this is not told
        apart from zero.
    """

    name: str
    cost_usd: float
    first_year: int
    last_year: int
    modelled_years: tuple[int, int]
    years: pd.DataFrame
    modelled: pd.DataFrame
    projects: pd.DataFrame
    stages: list[tuple[int, list[str]]]
    pv_benefits_usd: float
    pv_costs_usd: float
    npv_usd: float
    bcr: float
    eirr: float
    pv_by_class_usd: dict[str, float]
    notes: list[str] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)
    noise_usd: dict[int, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary: the measures, the benefits by class, each project and each year."""

        def clean(x: Any) -> Any:
            """A plain Python value, None for a number that is not finite."""
            if hasattr(x, "item"):
                x = x.item()
            return None if isinstance(x, float) and not math.isfinite(x) else x

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            """A frame's rows, its index included, of plain values."""
            return [{str(k): clean(v) for k, v in row.items()} for row in frame.reset_index().to_dict("records")]

        return {
            "name": self.name,
            "cost_usd": self.cost_usd,
            "npv_usd": clean(self.npv_usd),
            "bcr": clean(self.bcr),
            "eirr": clean(self.eirr),
            "pv_benefits_usd": clean(self.pv_benefits_usd),
            "pv_costs_usd": clean(self.pv_costs_usd),
            "pv_benefits_by_class_usd": {k: clean(v) for k, v in self.pv_by_class_usd.items()},
            "first_year": self.first_year,
            "last_year": self.last_year,
            "modelled_years": list(self.modelled_years),
            "stages": [{"opening_year": y, "projects": ids} for y, ids in self.stages],
            "projects": records(self.projects.rename_axis("id")),
            "modelled": records(self.modelled),
            "years": records(self.years),
            "notes": list(self.notes),
            "noise_usd_per_year": {str(y): {k: clean(v) for k, v in n.items()} for y, n in self.noise_usd.items()},
            "provenance": self.provenance,
        }


def assumptions(settings: Settings) -> list[dict[str, Any]]:
    """Every parameter the appraisal and the model behind it read: value, unit and source (or assumption)."""
    rows = [
        {"parameter": name, "value": getattr(settings, name), "unit": unit, "source": source}
        for name, (unit, source) in _TOP_LEVEL.items()
    ]
    return rows + parameters(settings)


def _portfolios(portfolios: Portfolio | Sequence[Portfolio]) -> list[Portfolio]:
    """The portfolios to appraise, as a list.

    Raises
    ------
    PortfolioError
        A portfolio without projects.
    """
    chosen = [portfolios] if isinstance(portfolios, Portfolio) else list(portfolios)
    for p in chosen:
        if not p.projects:
            raise PortfolioError("a portfolio without projects has nothing to appraise", subject=p.name)
    return chosen


def _modelled_table(plan: Plan, modelled: ModelledBenefits, worths: Sequence[Worth]) -> pd.DataFrame:
    """The benefits a year by stage and modelled year, then each portfolio without a project, as modelled."""
    rows: list[dict[str, Any]] = [
        {"stage": year, "modelled_year": y, **at}
        for year, members in plan.stages
        for y, at in modelled.of(members).items()
    ]
    for w in worths:
        rows += [{"stage": f"without {w.project.id}", "modelled_year": y, **at} for y, at in w.without.items()]
    return pd.DataFrame(rows)


def _notes(
    worths: Sequence[Worth],
    noise: dict[int, dict[str, float]],
    bases: dict[int, ModelRun],
    years: tuple[int, int],
    settings: Settings,
) -> list[str]:
    """The notes: projects worth little, the model's noise and what is within it, and the method."""
    band = noise_band(noise)
    little = [little_worth_note(w, bases, years) for w in worths]
    within = [within_noise_note(w, band, years) for w in worths]
    return [
        *(n for n in little if n),
        noise_note(band),
        *(n for n in within if n),
        *method_notes(years, settings),
    ]


def _appraisal(
    plan: Plan, modelled: ModelledBenefits, bases: dict[int, ModelRun], settings: Settings, *, projects: bool
) -> Appraisal:
    """One portfolio's appraisal from the model runs: its yearly flows, their measures and each project's worth."""
    p, rate = plan.portfolio, settings.discount_rate
    first, last = modelled.years[0], max(plan.opening.values()) + settings.horizon_years - 1
    years = list(range(first, last + 1))
    stages = [(year, modelled.of(members)) for year, members in plan.stages]
    benefits = staged_benefits(stages, years, modelled.years, settings)
    table = flow_table(benefits, costs_by_year(p.projects, plan.opening, years, settings), rate)
    pv_b, pv_c, value, ratio, eirr = flow_measures(table["benefits"], table["costs"], rate)
    worths = [worth(q, plan, modelled, years, settings) for q in p.projects] if projects else []
    noise = modelled.of(UNCHANGED)
    return Appraisal(
        name=p.name,
        cost_usd=p.cost_usd,
        first_year=first,
        last_year=last,
        modelled_years=modelled.years,
        years=table,
        modelled=_modelled_table(plan, modelled, worths),
        projects=projects_table(worths),
        stages=plan.stages,
        pv_benefits_usd=pv_b,
        pv_costs_usd=pv_c,
        npv_usd=value,
        bcr=ratio,
        eirr=eirr,
        pv_by_class_usd={k: npv(table[k].to_numpy(), rate) for k in BENEFIT_CLASSES},
        notes=_notes(worths, noise, bases, modelled.years, settings),
        noise_usd={y: dict(n) for y, n in noise.items()},
        provenance={
            **bases[first].provenance,
            "settings_digest": settings.digest(),
            "corridor_version": __version__,
            "portfolio": p.name,
        },
    )


def appraise(
    G: nx.MultiDiGraph,
    portfolios: Portfolio | Sequence[Portfolio],
    *,
    region: Region | None = None,
    settings: Settings | None = None,
    base: ModelRun | None = None,
    projects: bool = True,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
    cache: DiskCache | None = None,
) -> list[Appraisal]:
    """Appraise portfolios (see the module's notes for the method).

    Parameters
    ----------
    G
        The base network.
    portfolios
        One portfolio or several (the base runs are shared).
    base
        The base year's model run, when already made.
    projects
        Also appraise each project's marginal contribution (two more model
        runs a project).
    workers
        Processes for the model runs (0: one per core).
    cache
        Where model runs are kept and read back (see :func:`~corridor.model.loop.run_model`).

    Raises
    ------
    PortfolioError
        A portfolio without projects.
    """
    settings = settings or Settings()
    say = progress or (lambda message: log.info(message))
    chosen = _portfolios(portfolios)
    workers = local_workers(workers)
    years = modelled_years(region, settings)
    bases = base_runs(G, region, settings, years, base=base, say=say, cache=cache)
    plans = [plan(p, projects=projects) for p in chosen]
    modelled = run_plans(
        plans, years, G=G, region=region, settings=settings, bases=bases, workers=workers, say=say, cache=cache
    )
    return [_appraisal(one, modelled, bases, settings, projects=projects) for one in plans]

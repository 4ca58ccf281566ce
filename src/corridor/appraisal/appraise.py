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
from corridor.access.modelled import capacity_note
from corridor.appraisal.benefits import BENEFIT_CLASSES, GROWS_WITH_VALUE_OF_TIME, annual_benefits
from corridor.appraisal.costs import cost_stream
from corridor.appraisal.measures import flow_measures, npv
from corridor.errors import PortfolioError
from corridor.inputs.projects import Portfolio
from corridor.inputs.region import Region
from corridor.model.loop import run_model
from corridor.model.results import ModelRun
from corridor.network.scenario import apply_portfolio
from corridor.parallel import can_fork, local_workers, make_runner
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
            if hasattr(x, "item"):
                x = x.item()
            return None if isinstance(x, float) and not math.isfinite(x) else x

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
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


@dataclass(frozen=True)
class _Runs:
    """What every model run of an appraisal reads: sent to each worker once (:mod:`corridor.parallel`)."""

    G: nx.MultiDiGraph
    region: Region | None
    settings: Settings
    bases: dict[int, ModelRun]


#: the task of the unchanged network run again as a scenario is (its noise; see :func:`appraise`)
UNCHANGED: tuple[str, ...] = ("(the network unchanged)",)


def _run(shared: _Runs, task: tuple[tuple[str, ...], int, Portfolio]) -> tuple[tuple[str, ...], int, dict[str, float]]:
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
    )
    return ids, year, annual_benefits(base, run, shared.settings)


def _run_all(
    tasks: list[tuple[tuple[str, ...], int, Portfolio]],
    workers: int,
    shared: _Runs,
    say: Callable[[str], None],
) -> dict[tuple[tuple[str, ...], int], dict[str, float]]:
    """Every model run, on the worker pool (one run is left in-process)."""
    workers = 1 if len(tasks) <= 1 or not can_fork() else workers
    with make_runner(shared, workers=workers, progress=False) as pool:
        results = pool.map(_run, tasks, done=lambda k: say(f"model run {k} of {len(tasks)}"))
    return {(ids, year): benefits for ids, year, benefits in results}


def _growth(settings: Settings, years: int) -> dict[str, float]:
    a = settings.appraisal
    return {
        "persons": (1 + a.growth_persons_pct / 100) ** years,
        "containers": (1 + a.growth_containers_pct / 100) ** years,
        "air_passengers": (1 + a.growth_air_passengers_pct / 100) ** years,
    }


def _stream(
    at: dict[int, dict[str, float]], start: int, years: list[int], y0: int, y1: int, settings: Settings
) -> pd.DataFrame:
    """Yearly benefits by class from the two modelled years' (interpolated, then held), from ``start``."""
    g = settings.appraisal.value_of_time_growth_pct / 100
    frame = pd.DataFrame(0.0, index=pd.Index(years, name="year"), columns=list(BENEFIT_CLASSES))
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

    Raises
    ------
    PortfolioError
        A portfolio without projects.
    """
    settings = settings or Settings()
    say = progress or (lambda message: log.info(message))
    chosen = [portfolios] if isinstance(portfolios, Portfolio) else list(portfolios)
    for p in chosen:
        if not p.projects:
            raise PortfolioError("a portfolio without projects has nothing to appraise", subject=p.name)
    workers = local_workers(workers)
    a = settings.appraisal
    y0 = region.base_year if region is not None else a.price_year
    y1 = y0 + a.forecast_years
    if base is None:
        say("the base-year model")
        base = run_model(G, region, settings)
    say(f"the {y1} model without the portfolios")
    later = run_model(
        G, region, settings, calibration=base.calibration, warm=base, demand_factors=_growth(settings, y1 - y0)
    )
    bases = {y0: base, y1: later}

    # every set of projects to model, in both years
    plans = []
    tasks: dict[tuple[tuple[str, ...], int], Portfolio] = {}
    for p in chosen:
        opening = p.opening_years()
        stage_years = sorted(set(opening.values()))
        stages = [(y, sorted(pid for pid, o in opening.items() if o <= y)) for y in stage_years]
        full = tuple(sorted(opening))
        marginals = {}
        if projects:
            for q in p.projects:
                dropped = {q.id, *p.dependants(q.id)}
                marginals[q.id] = tuple(pid for pid in full if pid not in dropped)
        for ids in [tuple(ids) for _, ids in stages] + list(marginals.values()) + [UNCHANGED]:
            for year in (y0, y1):
                tasks.setdefault((ids, year), p)
        plans.append((p, opening, stages, full, marginals))
    todo = [(ids, year, p) for (ids, year), p in tasks.items()]
    results = _run_all(todo, workers, _Runs(G, region, settings, bases), say)

    out = []
    for p, opening, stages, full, marginals in plans:
        last = max(opening.values()) + settings.horizon_years - 1
        first = y0
        years = list(range(first, last + 1))
        benefits = pd.DataFrame(0.0, index=pd.Index(years, name="year"), columns=list(BENEFIT_CLASSES))
        for k, (year, members) in enumerate(stages):
            until = stages[k + 1][0] if k + 1 < len(stages) else last + 1
            staged = _stream({y: results[(tuple(members), y)] for y in (y0, y1)}, year, years, y0, y1, settings)
            window = (benefits.index >= year) & (benefits.index < until)
            benefits.loc[window] = staged.loc[window]
        costs = sum(
            (cost_stream(q, settings, years, opening[q.id]) for q in p.projects),
            start=pd.DataFrame(0.0, index=pd.Index(years, name="year"), columns=["capital", "om", "residual"]),
        )
        table = benefits.copy()
        table["benefits"] = benefits.sum(axis=1)
        table = table.join(costs)
        table["costs"] = table[["capital", "om", "residual"]].sum(axis=1)
        table["net"] = table["benefits"] - table["costs"]
        table["discount_factor"] = 1 / (1 + settings.discount_rate) ** (table.index - first)
        pv_b, pv_c, value, ratio, rate = flow_measures(table["benefits"], table["costs"], settings.discount_rate)
        by_class = {k: npv(table[k].to_numpy(), settings.discount_rate) for k in BENEFIT_CLASSES}

        modelled_rows: list[dict[str, Any]] = []
        for year, members in stages:
            for y in (y0, y1):
                modelled_rows.append({"stage": year, "modelled_year": y, **results[(tuple(members), y)]})
        rows = {}
        notes = []
        for q in p.projects if projects else ():
            without = marginals[q.id]
            lost = {
                y: {k: results[(full, y)][k] - results[(without, y)][k] for k in results[(full, y)]} for y in (y0, y1)
            }
            for y in (y0, y1):
                modelled_rows.append({"stage": f"without {q.id}", "modelled_year": y, **results[(without, y)]})
            stream = pd.Series(_stream(lost, opening[q.id], years, y0, y1, settings).sum(axis=1))
            dependants = p.dependants(q.id)
            counted = [q, *(r for r in p.projects if r.id in dependants)]
            q_costs = sum(
                (cost_stream(r, settings, years, opening[r.id]).sum(axis=1) for r in counted),
                start=pd.Series(0.0, index=pd.Index(years, name="year")),
            )
            q_pv_b, q_pv_c, q_npv, q_bcr, q_eirr = flow_measures(stream, q_costs, settings.discount_rate)
            rows[q.id] = {
                "name": q.name,
                "with": ", ".join(r.id for r in counted[1:]),
                "opening_year": opening[q.id],
                "cost_usd": sum(r.cost_usd for r in counted),  # with what requires it, as its NPV and BCR
                "benefit_first_modelled_year_usd": lost[y0]["total"],
                "benefit_forecast_year_usd": lost[y1]["total"],
                "pv_benefits_usd": q_pv_b,
                "pv_costs_usd": q_pv_c,
                "npv_usd": q_npv,
                "bcr": q_bcr,
                "eirr": q_eirr,
            }
            small = max(abs(lost[y0]["total"]), abs(lost[y1]["total"])) < 0.01 * max(q.cost_usd, 1.0)
            if small:
                why = capacity_note(q, later, f"in {y1}") or capacity_note(q, base, f"in {y0}")
                notes.append(
                    f"{q.id}: the model finds it worth under 1% of its cost a year in {y0} and in {y1}"
                    + (f": {why}" if why else "")
                )
        noise = {y: results[(UNCHANGED, y)] for y in (y0, y1)}
        band = {k: max(abs(noise[y][k]) for y in (y0, y1)) for k in BENEFIT_CLASSES}
        notes.append(
            "the model's convergence noise (what the unchanged network, run again as a scenario from the same warm "
            "start, counts as benefit): "
            + ", ".join(f"{BENEFIT_CLASSES[k].split(':')[0]} USD {band[k] / 1e6:,.1f} M a year" for k in band)
            + "; a benefit smaller than this is not told apart from zero, and two runs can differ by more"
        )
        for q in p.projects if projects else ():
            without = marginals[q.id]
            persons = [results[(full, y)]["persons"] - results[(without, y)]["persons"] for y in (y0, y1)]
            if 1.0 <= max(abs(x) for x in persons) < band["persons"]:  # none at all: nothing to qualify
                notes.append(
                    f"{q.id}: its person trips' benefit (USD {persons[0] / 1e6:,.1f} M in {y0}, "
                    f"{persons[1] / 1e6:,.1f} M in {y1}) is within the model's noise"
                )
        project_frame = pd.DataFrame.from_dict(rows, orient="index")
        project_frame.index.name = "project"
        notes.append(
            f"benefits modelled in {y0} and {y1} (demand grown {a.growth_persons_pct:g}% a year for persons, "
            f"{a.growth_containers_pct:g}% for containers, {a.growth_air_passengers_pct:g}% for air passengers), "
            f"interpolated between, traffic held after {y1}; persons' and air passengers' values of time grow "
            f"{a.value_of_time_growth_pct:g}% a year from {y0}"
        )
        notes.append(
            "the vehicle operating costs and gateway delays saved are parts of the classes' benefits, not added again"
        )
        out.append(
            Appraisal(
                name=p.name,
                cost_usd=p.cost_usd,
                first_year=first,
                last_year=last,
                modelled_years=(y0, y1),
                years=table,
                modelled=pd.DataFrame(modelled_rows),
                projects=project_frame,
                stages=stages,
                pv_benefits_usd=pv_b,
                pv_costs_usd=pv_c,
                npv_usd=value,
                bcr=ratio,
                eirr=rate,
                pv_by_class_usd=by_class,
                notes=notes,
                noise_usd={y: dict(n) for y, n in noise.items()},
                provenance={
                    **base.provenance,
                    "settings_digest": settings.digest(),
                    "corridor_version": __version__,
                    "portfolio": p.name,
                },
            )
        )
    return out

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
import numpy as np
import pandas as pd
from scipy.optimize import brentq

from corridor._version import __version__
from corridor.access.modelled import capacity_note
from corridor.errors import PortfolioError
from corridor.inputs.projects import Portfolio, Project
from corridor.inputs.region import Region
from corridor.model.assignment import gateway_delay_h
from corridor.model.loop import ModelRun, run_model
from corridor.network.scenario import apply_portfolio
from corridor.parallel import can_fork, local_workers, make_runner
from corridor.settings import Settings, parameters

__all__ = [
    "BENEFIT_CLASSES",
    "COMPONENTS",
    "Appraisal",
    "annual_benefits",
    "appraise",
    "assumptions",
    "cost_stream",
    "eirr",
    "npv",
    "Screening",
]

log = logging.getLogger(__name__)

#: the classes whose benefits add up, with what each counts
BENEFIT_CLASSES: dict[str, str] = {
    "persons": "person trips: generalized cost of road and rail (time, fares, car operating costs, tolls)",
    "containers": "containers: haul, handling, dwell and delay at the port (logsum over ports and modes)",
    "air_passengers": "air passengers: time to the chosen airport and delay there",
}
#: parts of the benefits above, shown for explanation and not added again
COMPONENTS: dict[str, str] = {
    "vehicle_operating_cost": "of which vehicle operating costs saved (cars by the km, container trucks' haul)",
    "gateway_delay": "of which delay at ports and airports saved",
}
#: benefit classes that grow with the value of time
_GROWS_WITH_VALUE_OF_TIME = ("persons", "air_passengers")
#: top-level settings the appraisal reads, with their sources
_TOP_LEVEL = {
    "value_of_time_php_per_h": ("PHP/h", "LUZON_FACTS S72: private car 121.67 PHP/h (stated-preference study)"),
    "discount_rate": ("share", "LUZON_FACTS S74: NEDA-ICC social discount rate 10%"),
    "horizon_years": ("years", "assumption: 30 years of operation after the last opening (ADB's Davao appraisal)"),
    "php_per_usd": ("PHP/USD", "assumption: about the 2024 average (ADB's 2023 Davao appraisal used 56.02)"),
}


# ------------------------------------------------------------------ benefits of one year


def _aligned(base: ModelRun, scenario: ModelRun) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the places the two runs share, in each run."""
    where = {p: i for i, p in enumerate(scenario.places)}
    shared = [(i, where[p]) for i, p in enumerate(base.places) if p in where]
    return np.array([a for a, _ in shared], dtype=int), np.array([b for _, b in shared], dtype=int)


def _half_rule(v0: np.ndarray, v1: np.ndarray, c0: np.ndarray, c1: np.ndarray) -> float:
    ok = np.isfinite(c0) & np.isfinite(c1) & np.isfinite(v0) & np.isfinite(v1)
    return float(0.5 * ((v0 + v1) * (c0 - c1))[ok].sum())


def annual_benefits(base: ModelRun, scenario: ModelRun, settings: Settings) -> dict[str, float]:
    """A year's benefits of a scenario over its base run, in USD at the price year (see the module's notes).

    Returns the classes of :data:`BENEFIT_CLASSES`, their sum ``total`` and
    the components of :data:`COMPONENTS`.
    """
    a, d, f, air = settings.appraisal, settings.demand, settings.freight, settings.air
    usd = 1 / settings.php_per_usd
    i0, i1 = _aligned(base, scenario)
    m0, m1 = base.matrices, scenario.matrices
    persons = _half_rule(
        m0["person_trips"][np.ix_(i0, i0)],
        m1["person_trips"][np.ix_(i1, i1)],
        m0["gc_person_php"][np.ix_(i0, i0)],
        m1["gc_person_php"][np.ix_(i1, i1)],
    )
    containers = _half_rule(
        m0["teu_per_year"][i0], m1["teu_per_year"][i1], m0["teu_cost_php"][i0], m1["teu_cost_php"][i1]
    )
    air_min = _half_rule(
        m0["air_pax_per_year"][i0], m1["air_pax_per_year"][i1], m0["air_time_min"][i0], m1["air_time_min"][i1]
    )
    out = {
        "persons": persons * a.days_per_year * usd,
        "containers": containers * usd,
        "air_passengers": air_min / 60 * air.value_of_time_php_per_h * usd,
    }
    out["total"] = sum(out[k] for k in BENEFIT_CLASSES)
    php_per_truck_km = f.road_usd_per_tkm * f.payload_t_per_teu * f.teu_per_truck * settings.php_per_usd
    s0, s1 = base.summary, scenario.summary
    out["vehicle_operating_cost"] = (
        (s0["car_km_per_day"] - s1["car_km_per_day"]) * d.car_cost_php_per_km * a.days_per_year
        + (s0["truck_km_per_day"] - s1["truck_km_per_day"]) * php_per_truck_km * 365
    ) * usd
    g0, g1 = base.gateways, scenario.gateways
    delay = 0.0
    for gid in g0.index.intersection(g1.index):
        v0, v1 = float(g0.loc[gid, "volume"]), float(g1.loc[gid, "volume"])
        saved_h = float(g0.loc[gid, "delay_h"]) - float(g1.loc[gid, "delay_h"])
        value = f.cargo_vot_php_per_teu_h if g0.loc[gid, "type"] == "seaport" else air.value_of_time_php_per_h
        delay += 0.5 * (v0 + v1) * saved_h * value
    out["gateway_delay"] = delay * usd
    return out


# ------------------------------------------------------------------ costs


def _cpi_factor(settings: Settings, price_year: int) -> float:
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


# ------------------------------------------------------------------ measures


def npv(flows: Sequence[float] | np.ndarray, rate: float) -> float:
    """Present value at year 0 of yearly flows (the first at year 0)."""
    flows = np.asarray(flows, dtype=float)
    return float((flows / (1 + rate) ** np.arange(len(flows))).sum())


def eirr(flows: Sequence[float] | np.ndarray) -> float:
    """The discount rate at which the flows' present value is zero (nan when there is none between -90% and 1000%)."""
    flows = np.asarray(flows, dtype=float)
    if not (flows > 0).any() or not (flows < 0).any():
        return math.nan
    grid = np.concatenate([np.linspace(-0.9, 1.0, 191), np.linspace(1.05, 10.0, 180)])
    values = [npv(flows, r) for r in grid]
    for k in range(len(grid) - 1):
        if values[k] == 0:
            return float(grid[k])
        if values[k] * values[k + 1] < 0:
            return float(brentq(lambda r: npv(flows, r), grid[k], grid[k + 1], xtol=1e-10))
    return math.nan


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
            if k in _GROWS_WITH_VALUE_OF_TIME:
                value *= (1 + g) ** (year - y0)
            frame.loc[year, k] = value
    return frame


def _measures(benefits: pd.Series, costs: pd.Series, rate: float) -> tuple[float, float, float, float, float]:
    pv_b = npv(benefits.to_numpy(), rate)
    pv_c = npv(costs.to_numpy(), rate)
    net = (benefits - costs).to_numpy()
    return pv_b, pv_c, pv_b - pv_c, (pv_b / pv_c if pv_c > 0 else math.nan), eirr(net)


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
        pv_b, pv_c, value, ratio, rate = _measures(table["benefits"], table["costs"], settings.discount_rate)
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
            q_pv_b, q_pv_c, q_npv, q_bcr, q_eirr = _measures(stream, q_costs, settings.discount_rate)
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


# ------------------------------------------------------------------ a fast screening for searches


class Screening:
    """A fast appraisal of many portfolios, for the optimiser's ``npv`` and ``freight_cost`` objectives.

    It holds the base year's demand fixed (the model's person trips,
    containers and air passengers of its base run) and values the travel
    times the portfolio scorer gives (the accessibility times, no congestion):

    - persons: each pair's trips times the change of its fastest time (mode
      ``any``) at the blended value of time;
    - containers: each origin's boxes go to the port that costs least (haul
      time at the truck's and the cargo's value of time, plus handling and the
      delay at the base year's volumes for the port's capacity); air passengers
      likewise to an airport;
    - grown and discounted as :func:`appraise` does, from the same first year
      of benefits for every portfolio (``appraisal.screening_start_year``), so
      that adding a project never lowers the benefits and the search's bounds
      hold; costs are each project's own, as in :func:`appraise`.

    What it leaves out (congestion, the freight railway's cheaper haul,
    demand that moves) the full appraisal counts: ``corridor appraise`` the
    portfolio the search finds.
    """

    def __init__(self, base: ModelRun, settings: Settings, *, first_year: int) -> None:
        self.settings = settings
        self.first_year = first_year
        self.places = list(base.places)
        self.person_trips = base.matrices["person_trips"]
        self.teu = base.matrices["teu_per_year"]
        self.air = base.matrices["air_pax_per_year"]
        self.volumes = {str(k): float(v) for k, v in base.gateways["volume"].items()}
        f, a = settings.freight, settings.appraisal
        self.php_per_person_s = settings.road_value_of_time_php_per_h / 3600
        self.php_per_teu_s = f.haul_time_php_per_teu_h / 3600
        self.mean_utilisation = {
            kind: float(base.gateways.loc[base.gateways["type"] == kind, "utilisation"].mean())
            for kind in ("seaport", "airport")
        }
        # the present value of one USD of base-year benefit a year, by class
        y0, y1 = first_year, first_year + a.forecast_years
        rate, g_vot = settings.discount_rate, a.value_of_time_growth_pct / 100
        growth = {
            "persons": a.growth_persons_pct / 100,
            "containers": a.growth_containers_pct / 100,
            "air_passengers": a.growth_air_passengers_pct / 100,
        }
        start = max(a.screening_start_year, first_year)
        years = range(start, start + settings.horizon_years)
        self.annuity = {
            k: math.fsum(
                (1 + g) ** (min(t, y1) - y0)
                * ((1 + g_vot) ** (t - y0) if k in _GROWS_WITH_VALUE_OF_TIME else 1.0)
                / (1 + rate) ** (t - y0)
                for t in years
            )
            for k, g in growth.items()
        }

    @classmethod
    def of(cls, scorer: Any) -> Screening:
        """The screening of a :class:`~corridor.access.scorer.PortfolioScorer`'s network, made once and kept on it."""
        found = scorer.__dict__.get("_screening")
        if found is None:
            if getattr(scorer, "arrays", None) is not None:
                raise PortfolioError(
                    "the screening runs the transport model on the region's strategic roads, not on road arrays",
                    allowed="the market_access or time_to_port objective on road arrays",
                )
            region = scorer.region
            first = region.base_year if region is not None else scorer.settings.appraisal.price_year
            base = run_model(scorer.G, region, scorer.settings)
            found = cls(base, scorer.settings, first_year=first)
            scorer.__dict__["_screening"] = found
        return found

    def _positions(self, nodes: Sequence[dict[str, Any]]) -> np.ndarray:
        where = {str(d.get("place_id")): i for i, d in enumerate(nodes)}
        return np.array([where.get(p, -1) for p in self.places], dtype=int)

    def _gateway_costs(
        self,
        nodes: Sequence[dict[str, Any]],
        times: np.ndarray,
        rows: np.ndarray,
        kind: str,
        per_s: float,
        per_h: float,
    ) -> np.ndarray:
        """Per model place, the least cost (PHP) of reaching a gateway of a kind and passing through it."""
        s = self.settings
        alpha, beta = (s.freight.port_delay_alpha, s.freight.port_delay_beta)
        if kind == "airport":
            alpha, beta = s.air.delay_alpha, s.air.delay_beta
        hours = s.air.operating_hours_per_day * 365
        best = np.full(len(rows), np.inf)
        for g, d in enumerate(nodes):
            if d.get("kind") != "gateway" or d.get("gateway_type") != kind:
                continue
            if kind == "seaport" and str(d.get("capacity_unit")) != "TEU/yr":
                continue
            terminal = float(d["capacity"]) if d.get("capacity") else math.nan
            movements, per = d.get("movements_per_h"), d.get("pax_per_movement")
            runway = float(movements) * float(per) * hours if kind == "airport" and movements and per else math.nan
            caps = np.array([[terminal, runway]])
            finite = [c for c in (terminal, runway) if math.isfinite(c)]
            volume = self.volumes.get(str(d.get("place_id")))
            if volume is None:  # a new gateway: as busy as its kind's mean
                volume = self.mean_utilisation[kind] * min(finite) if finite else 0.0
            base_h = float(d.get("handling_h") or 0.0)
            delay = float(gateway_delay_h(np.array([volume]), caps, np.array([base_h]), alpha=alpha, beta=beta)[0])
            reach = np.where(rows >= 0, times[np.maximum(rows, 0), g], np.inf)
            best = np.minimum(best, reach * per_s + (base_h + delay) * per_h)
        return best

    def annual_benefits(self, base: Any, scenario: Any) -> dict[str, float]:
        """A year's benefits (USD) of the scenario's times over the base's (both ``ScenarioMatrices``)."""
        s = self.settings
        usd = 1 / s.php_per_usd
        r0, r1 = self._positions(base.nodes), self._positions(scenario.nodes)
        ok = (r0 >= 0) & (r1 >= 0)
        t0 = base.times_s["any"][np.ix_(np.maximum(r0, 0), np.maximum(r0, 0))]
        t1 = scenario.times_s["any"][np.ix_(np.maximum(r1, 0), np.maximum(r1, 0))]
        pair = np.outer(ok, ok) & np.isfinite(t0) & np.isfinite(t1)
        saved = np.where(pair, t0 - t1, 0.0)
        persons = float((self.person_trips * saved).sum()) * self.php_per_person_s * s.appraisal.days_per_year * usd
        out = {"persons": persons}
        for key, kind, volume, per_s, per_h in (
            ("containers", "seaport", self.teu, self.php_per_teu_s, s.freight.cargo_vot_php_per_teu_h),
            (
                "air_passengers",
                "airport",
                self.air,
                s.air.value_of_time_php_per_h / 3600,
                s.air.value_of_time_php_per_h,
            ),
        ):
            c0 = self._gateway_costs(base.nodes, base.times_s["road"], r0, kind, per_s, per_h)
            c1 = self._gateway_costs(scenario.nodes, scenario.times_s["road"], r1, kind, per_s, per_h)
            both = np.isfinite(c0) & np.isfinite(c1) & (volume > 0)
            out[key] = float((volume[both] * (c0[both] - c1[both])).sum()) * usd
        return out

    def pv_benefits(self, annual: dict[str, float]) -> float:
        """The present value of a year's benefits, grown and discounted over the horizon."""
        return math.fsum(annual[k] * self.annuity[k] for k in self.annuity)

    def pv_cost(self, project: Project) -> float:
        """The present value of a project's economic costs (capital, O&M, less residual value)."""
        last = max(project.opening_year, self.settings.appraisal.screening_start_year) + self.settings.horizon_years
        years = list(range(self.first_year, max(last, self.first_year + 1)))
        flows = cost_stream(project, self.settings, years).sum(axis=1).to_numpy()
        return npv(flows, self.settings.discount_rate)

    def freight_cost_usd_per_teu(self, matrices: Any) -> float:
        """The containers' mean least cost of reaching a port and passing through it (USD/TEU), at fixed demand."""
        s = self.settings
        rows = self._positions(matrices.nodes)
        cost = self._gateway_costs(
            matrices.nodes,
            matrices.times_s["road"],
            rows,
            "seaport",
            self.php_per_teu_s,
            s.freight.cargo_vot_php_per_teu_h,
        )
        ok = np.isfinite(cost) & (self.teu > 0)
        total = float(self.teu[ok].sum())
        return float((self.teu[ok] * cost[ok]).sum()) / total / s.php_per_usd if total else math.nan

"""How sure a ranking is: portfolios and their projects scored under draws of the uncertain inputs.

Each draw sets the uncertain inputs (road speeds, congestion, market
access's half-life, port handling, value of time, demand growth) and, per
project, a cost factor and an opening delay, by Latin hypercube (or scrambled
Sobol) sampling of ``scipy.stats.qmc``, seeded; the network is built again
with the draw's settings and each portfolio scored as it stands in the year.
The draws run through the worker pool (:mod:`corridor.parallel`)."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from corridor.access.scorer import PortfolioScorer
from corridor.errors import OptimisationError
from corridor.inputs.projects import GatewayUpgrade, NewGateway, Portfolio, Project
from corridor.paths.cache import DiskCache
from corridor.search.objectives import DEFAULT_OBJECTIVE, VALUE_REL_TOL, Objective, get_objective, screening_summary

if TYPE_CHECKING:
    from corridor.settings import Settings

__all__ = [
    "COST_FACTOR_RANGE",
    "DEFAULT_INPUTS",
    "MAX_DELAY_YEARS",
    "MAX_DRAWS",
    "QUANTILES",
    "SensitivityResult",
    "TOP_K",
    "Uncertain",
    "objective_values",
    "sensitivity",
]


@dataclass(frozen=True)
class Uncertain:
    """An uncertain input of the sensitivity draws: drawn uniformly between ``low`` and ``high``.

    Attributes
    ----------
    name
        Its name in results.
    low, high
        Its range.
    description
        What it changes, in words.
    """

    name: str
    low: float
    high: float
    description: str


#: the inputs drawn for every portfolio, besides each project's cost and opening delay
DEFAULT_INPUTS: tuple[Uncertain, ...] = (
    Uncertain("road_speed_factor", 0.85, 1.15, "every road class's speed in the settings, times this"),
    Uncertain(
        "congestion_factor",
        0.8,
        1.2,
        "every congestion factor of the congested areas (Metro Manila), times this (at most 1)",
    ),
    Uncertain("market_access_half_life_min", 40.0, 90.0, "the half-life of market access's decay, minutes"),
    Uncertain(
        "port_handling_factor", 0.5, 1.5, "every seaport's handling time (the base ports' and new ones), times this"
    ),
    Uncertain(
        "value_of_time_factor",
        0.7,
        1.3,
        "the values of travel time (car and public transport), times this (read by the npv_screening objective; no "
        "connectivity metric reads it)",
    ),
    Uncertain(
        "demand_growth_factor",
        0.5,
        1.5,
        "every class's yearly demand growth (persons, containers, air passengers), times this (read by the "
        "npv_screening objective)",
    ),
)


#: each project's cost is drawn as its catalog cost times a factor in this range (overruns are common)
COST_FACTOR_RANGE = (0.9, 1.5)


#: each project's opening is delayed by a whole number of years from 0 to this
MAX_DELAY_YEARS = 4
#: the most draws a run takes: each draw scores every portfolio and its projects (a thousand take
#: about a minute on the bundled region), and the inputs of all draws are held in memory at once
MAX_DRAWS = 100_000
#: the latest year a portfolio is scored in, after the region's base year
MAX_YEARS_AHEAD = 100


#: a project is among the top k of its portfolio (by marginal gain) for k = this, unless asked otherwise
TOP_K = 3


QUANTILES = (0.05, 0.5, 0.95)


@dataclass(frozen=True)
class _Draw:
    """One draw: its number, the global inputs, and per project a cost factor and a delay in years."""

    index: int
    inputs: tuple[tuple[str, float], ...]
    cost_factor: tuple[tuple[str, float], ...]
    delay_years: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class _Context:
    """What every draw reads: sent to each worker once."""

    region: Any
    settings: Any
    portfolios: tuple[Portfolio, ...]
    objective: Objective
    year: int
    model_base: Any = None  # the base year's model run, for the screening objectives


@dataclass(frozen=True)
class _DrawResult:
    index: int
    raw: tuple[float, ...]  # per portfolio, the objective's number
    cost_usd: tuple[float, ...]
    headline: tuple[dict[str, float], ...]  # per portfolio, the headline changes over the draw's base
    marginal: tuple[dict[str, float], ...]  # per portfolio, project -> its marginal gain on the objective (utility)
    operating: tuple[tuple[str, ...], ...]  # per portfolio, the projects operating in the year
    value_cost: tuple[float, ...] = ()  # per portfolio, the cost the objective subtracts (see Objective.cost_of)


def _scaled_project(project: Project, draw: _Draw) -> Project:
    """A project with the draw's cost and its ports' handling times scaled."""
    factor = dict(draw.inputs).get("port_handling_factor", 1.0)
    edits = []
    for e in project.edits:
        if isinstance(e, NewGateway | GatewayUpgrade) and e.handling_h is not None:
            e = e.model_copy(update={"handling_h": e.handling_h * factor})
        edits.append(e)
    cost = project.cost_usd * dict(draw.cost_factor).get(project.id, 1.0)
    return project.model_copy(update={"edits": edits, "cost_usd": cost, "cost_local": None})


def _draw_task(context: _Context, draw: _Draw) -> _DrawResult:
    """Score every portfolio in one draw of the uncertain inputs (a task of a sweep)."""
    values = dict(draw.inputs)
    settings = _draw_settings(context.settings, values)
    scorer = _draw_scorer(context, settings, handling_factor=values.get("port_handling_factor", 1.0))
    scored = [_scored_in_draw(context, scorer, portfolio, draw) for portfolio in context.portfolios]
    return _DrawResult(
        draw.index,
        tuple(s.raw for s in scored),
        tuple(s.cost_usd for s in scored),
        tuple(s.headline for s in scored),
        tuple(s.marginal for s in scored),
        tuple(s.operating for s in scored),
        tuple(s.value_cost for s in scored),
    )


def _draw_settings(base: Settings, values: dict[str, float]) -> Settings:
    """The base settings with the draw's speeds, congestion, half-life, values of time and demand growth."""
    changes: dict[str, Any] = {}
    if "road_speed_factor" in values:
        changes["speeds_kph"] = {k: v * values["road_speed_factor"] for k, v in base.speeds_kph.items()}
    if "congestion_factor" in values:
        changes["congestion_factors"] = {
            area: {k: min(1.0, max(0.05, v * values["congestion_factor"])) for k, v in factors.items()}
            for area, factors in base.congestion_factors.items()
        }
    if "market_access_half_life_min" in values:
        changes["market_access_half_life_min"] = values["market_access_half_life_min"]
    if "value_of_time_factor" in values:
        changes.update(_value_of_time_changes(base, values["value_of_time_factor"]))
    if "demand_growth_factor" in values:
        changes["appraisal"] = _growth_changes(base, values["demand_growth_factor"])
    return base.replace(**changes) if changes else base


def _value_of_time_changes(base: Settings, factor: float) -> dict[str, Any]:
    """The settings' values of travel time (car and public transport), times ``factor``."""
    return {
        "value_of_time_php_per_h": base.value_of_time_php_per_h * factor,
        "demand": {
            **base.demand.model_dump(),
            "value_of_time_pt_php_per_h": base.demand.value_of_time_pt_php_per_h * factor,
        },
    }


def _growth_changes(base: Settings, factor: float) -> dict[str, Any]:
    """The appraisal settings with every class's yearly demand growth times ``factor``."""
    a = base.appraisal
    return {
        **a.model_dump(),
        "growth_persons_pct": a.growth_persons_pct * factor,
        "growth_containers_pct": a.growth_containers_pct * factor,
        "growth_air_passengers_pct": a.growth_air_passengers_pct * factor,
    }


def _draw_scorer(context: _Context, settings: Settings, *, handling_factor: float) -> PortfolioScorer:
    """The draw's network (its seaports' handling times scaled) and its scorer, with the screening when needed."""
    from corridor.network.build import build_network

    G = build_network(context.region, settings)
    for _, d in G.nodes(data=True):
        if d.get("gateway_type") == "seaport" and d.get("handling_h") is not None:
            d["handling_h"] = float(d["handling_h"]) * handling_factor
    scorer = PortfolioScorer(G, settings=settings, region=context.region)
    if context.model_base is not None:  # the screening's demand is the undrawn base year's, valued at the draw's
        from corridor.appraisal.screening import Screening

        first = context.region.base_year if context.region is not None else settings.appraisal.price_year
        scorer.__dict__["_screening"] = Screening(context.model_base, settings, first_year=first)
    return scorer


@dataclass(frozen=True)
class _Scored:
    """One portfolio scored in one draw (see :class:`_DrawResult`, which holds one of each per portfolio)."""

    raw: float
    cost_usd: float
    headline: dict[str, float]
    marginal: dict[str, float]
    operating: tuple[str, ...]
    value_cost: float


def _scored_in_draw(context: _Context, scorer: PortfolioScorer, portfolio: Portfolio, draw: _Draw) -> _Scored:
    """One portfolio in one draw: its projects at the draw's costs, those operating in the year scored."""
    from corridor.access.metrics import HEADLINES, gains

    delays = dict(draw.delay_years)
    objective = context.objective
    projects = [_scaled_project(p, draw) for p in portfolio.projects]
    opened = {p.id for p in projects if p.opening_year + delays.get(p.id, 0) <= context.year}
    # a project whose requirement is not operating does not operate
    built = portfolio.model_copy(update={"projects": tuple(projects)}).only(opened)
    value_cost = objective.cost(scorer, projects)
    summary = objective.evaluate(scorer, built) if objective.evaluate else scorer.summary(built)
    raw = float(summary[objective.key])
    change = gains(scorer.base.summary, dict(summary))
    utility = objective.utility(raw, value_cost)
    return _Scored(
        raw=raw,
        cost_usd=math.fsum(p.cost_usd for p in projects),
        headline={h.column: change[h.gain] * h.scale for h in HEADLINES if h.key is not None},
        marginal=_marginal_gains(objective, scorer, built, projects, utility=utility, value_cost=value_cost),
        operating=tuple(sorted(built.ids)),
        value_cost=value_cost,
    )


def _marginal_gains(
    objective: Objective,
    scorer: PortfolioScorer,
    built: Portfolio,
    projects: list[Project],
    *,
    utility: float,
    value_cost: float,
) -> dict[str, float]:
    """Per project, the utility the built portfolio loses without it (and what requires it); 0 when not built."""
    marginal = {p.id: 0.0 for p in projects}
    if not built.projects:
        return marginal
    if objective.evaluate is None:
        others = scorer.marginal_summaries(built)
    else:
        evaluate = objective.evaluate
        others = {p.id: dict(evaluate(scorer, built.without(p.id))) for p in built.projects}
    for p in built.projects:
        other = others[p.id]
        saved = objective.cost(scorer, [q for q in projects if q.id == p.id])
        marginal[p.id] = utility - objective.utility(float(other[objective.key]), value_cost - saved)
    return marginal


@dataclass
class SensitivityResult:
    """How sure the ranking of portfolios and of their projects is, under draws of the uncertain inputs.

    Attributes
    ----------
    portfolios
        One row per portfolio: ``p_best`` (the share of draws where it does
        best on the objective; ties shared), ``mean_rank`` (1 is best),
        the objective's 5th, 50th and 95th percentiles and its cost's.
    metrics
        One row per (portfolio, headline column): the change's 5th, 50th and
        95th percentiles.
    projects
        One row per (portfolio, project): its marginal gain on the objective
        (what the portfolio loses without it; 0 in draws where it does not
        operate yet), ``p_top_k`` (the share of draws where it is among the
        ``top_k`` of its portfolio) and ``mean_rank``.
    samples
        One row per draw: every input's value.
    values
        One row per draw: each portfolio's objective.
    """

    objective: Objective
    draws: int
    seed: int
    method: str
    year: int
    top_k: int
    inputs: pd.DataFrame
    portfolios: pd.DataFrame
    metrics: pd.DataFrame
    projects: pd.DataFrame
    samples: pd.DataFrame
    values: pd.DataFrame
    seconds: float = 0.0
    runner: str = "in-process"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready results (see the command's ``--json``).

        The time taken (:attr:`seconds`) stays on the object, apart from the
        results, so that the same inputs give the same bytes.
        """

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            out = []
            for row in frame.reset_index().to_dict("records"):
                out.append(
                    {str(k): (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}
                )
            return out

        return {
            "objective": self.objective.name,
            "objective_label": self.objective.label,
            "unit": self.objective.unit,
            "draws": self.draws,
            "seed": self.seed,
            "sampling": self.method,
            "year": self.year,
            "top_k": self.top_k,
            "inputs": records(self.inputs),
            "portfolios": records(self.portfolios),
            "metrics": records(self.metrics),
            "projects": records(self.projects),
            "runner": self.runner,
        }


def _draws(
    n: int, inputs: Sequence[Uncertain], project_ids: Sequence[str], *, seed: int, method: str
) -> tuple[list[_Draw], pd.DataFrame]:
    """The draws of every input (seeded), and the table of their values."""
    from scipy.stats import qmc

    dims = len(inputs) + 2 * len(project_ids)
    if method == "lhs":
        unit = qmc.LatinHypercube(d=dims, seed=seed).random(n)
    elif method == "sobol":
        sampler = qmc.Sobol(d=dims, scramble=True, seed=seed)
        m = max(0, math.ceil(math.log2(max(n, 1))))
        unit = sampler.random_base2(m)[:n]
    else:
        raise OptimisationError("unknown sampling method", field="method", value=method, allowed="lhs, sobol")
    draws, rows = [], []
    low_cost, high_cost = COST_FACTOR_RANGE
    for i, u in enumerate(unit):
        g = tuple((x.name, x.low + (x.high - x.low) * float(u[k])) for k, x in enumerate(inputs))
        base = len(inputs)
        cost = tuple(
            (pid, low_cost + (high_cost - low_cost) * float(u[base + 2 * k])) for k, pid in enumerate(project_ids)
        )
        delay = tuple(
            (pid, min(MAX_DELAY_YEARS, int(float(u[base + 2 * k + 1]) * (MAX_DELAY_YEARS + 1))))
            for k, pid in enumerate(project_ids)
        )
        draws.append(_Draw(i, g, cost, delay))
        rows.append(
            {
                **dict(g),
                **{f"cost_factor:{pid}": v for pid, v in cost},
                **{f"delay_years:{pid}": v for pid, v in delay},
            }
        )
    samples = pd.DataFrame(rows)
    samples.index.name = "draw"
    return draws, samples


def sensitivity(
    region: Any,
    portfolios: Sequence[Portfolio],
    *,
    draws: int,
    seed: int = 0,
    settings: Any = None,
    objective: str | Objective = DEFAULT_OBJECTIVE,
    year: int | None = None,
    top_k: int = TOP_K,
    inputs: Sequence[Uncertain] = DEFAULT_INPUTS,
    method: Literal["lhs", "sobol"] = "lhs",
    workers: int = 1,
    scheduler: Any = None,
    progress: bool | None = None,
    cache: DiskCache | None = None,
) -> SensitivityResult:
    """Rank portfolios and their projects under draws of the uncertain inputs; say how sure each rank is.

    Each draw sets the uncertain inputs (:data:`DEFAULT_INPUTS`: road speeds,
    congestion, market access's half-life, port handling, value of time) and,
    per project, a cost factor (:data:`COST_FACTOR_RANGE`) and an opening
    delay (0 to :data:`MAX_DELAY_YEARS` whole years), by Latin hypercube (or
    scrambled Sobol) sampling of ``scipy.stats.qmc``, seeded. The network is
    built again with the draw's settings, and each portfolio is scored as it
    stands in ``year``: a project operates when its opening year plus its
    delay is at most ``year`` and what it requires operates too; a delayed
    project still costs its drawn cost (connectivity objectives do not
    discount; the appraisal's will). Every project's marginal gain is what
    its portfolio loses without it (and without what requires it).

    Parameters
    ----------
    region
        The region pack (:func:`corridor.inputs.region.load_region`).
    portfolios
        Portfolios to rank (distinct names).
    draws
        How many draws.
    seed
        The seed: the same seed gives the same draws and results.
    settings
        The base settings (defaults when None).
    objective
        What ranks the portfolios (:data:`OBJECTIVES`).
    year
        The year the portfolios are scored in; by default the latest opening
        year of their projects plus one.
    top_k
        How many projects count as a portfolio's top.
    inputs
        The global uncertain inputs to draw.
    method
        ``lhs`` (Latin hypercube) or ``sobol`` (scrambled, rounded up to a
        power of two and cut to ``draws``).
    workers, scheduler
        Where the draws run (see :func:`corridor.parallel.make_runner`): in-process
        by default, on local processes, or on a Dask cluster; the region and
        the portfolios go to each worker once. The results are the same.
    progress
        Show a progress bar of the draws (None: when stderr is a terminal).
    cache
        Where the base year's model run (for the ``npv_screening`` and ``freight_cost``
        objectives) is kept and read back (see :func:`~corridor.model.loop.run_model`).

    Raises
    ------
    OptimisationError
        Fewer than 2 draws or more than :data:`MAX_DRAWS`, no portfolio, two portfolios of one name, or an
        objective this version cannot compute.
    """
    started = time.perf_counter()
    context = _sensitivity_context(region, portfolios, settings=settings, objective=objective, year=year, cache=cache)
    if draws < 2:
        raise OptimisationError("at least 2 draws are needed for intervals", field="draws", value=draws)
    if draws > MAX_DRAWS:
        raise OptimisationError(
            "too many draws", field="draws", value=draws, allowed=f"2 to {MAX_DRAWS:,} (checked before any work)"
        )
    if top_k < 1:
        raise OptimisationError("top k must be at least 1", field="top_k", value=top_k)
    project_ids = list(dict.fromkeys(p.id for pf in context.portfolios for p in pf.projects))
    plan, samples = _draws(draws, inputs, project_ids, seed=seed, method=method)
    from corridor.parallel import make_runner

    with make_runner(context, workers=workers, scheduler=scheduler, progress=progress) as runner:
        results = runner.map(_draw_task, plan, what="draws")
        label = runner.label
    return _summarise(context, results, samples, inputs, seed, method, top_k, started, label)


def _sensitivity_context(
    region: Any,
    portfolios: Sequence[Portfolio],
    *,
    settings: Any = None,
    objective: str | Objective = DEFAULT_OBJECTIVE,
    year: int | None = None,
    cache: DiskCache | None = None,
) -> _Context:
    """What every draw of :func:`sensitivity` reads (sent to each worker once).

    Raises
    ------
    OptimisationError
        No portfolio, two of one name, or an objective this version cannot compute.
    """
    from corridor.settings import Settings

    chosen = get_objective(objective)
    if chosen.prepare is not None:
        raise OptimisationError(
            f"the {chosen.name} objective appraises each project with the whole transport model, too slow to repeat "
            "for every draw",
            field="objective",
            value=chosen.name,
            allowed="npv_screening (the fast screening of the net present value), market_access, time_to_port, "
            "freight_cost",
        )
    if not portfolios:
        raise OptimisationError("no portfolio to rank", field="portfolios", allowed="one or more portfolios")
    names = [p.name for p in portfolios]
    if len(set(names)) != len(names):
        raise OptimisationError("two portfolios have the same name; names label the results", value=names)
    if year is None:
        openings = [p.opening_year for pf in portfolios for p in pf.projects]
        year = (max(openings) + 1) if openings else 2025
    first = region.base_year if region is not None else 2025
    if not first <= year <= first + MAX_YEARS_AHEAD:
        raise OptimisationError(
            "the year to score is outside the plan",
            field="year",
            value=year,
            allowed=f"{first} (the region's base year) to {first + MAX_YEARS_AHEAD}",
        )
    settings = settings or Settings()
    model_base = None
    if chosen.evaluate is screening_summary:
        from corridor.model.loop import run_model
        from corridor.network.build import build_network

        model_base = run_model(build_network(region, settings), region, settings, cache=cache)
    return _Context(region, settings, tuple(portfolios), chosen, int(year), model_base)


def _quantiles(values: Sequence[float] | pd.Series, prefix: str) -> dict[str, float]:
    s = pd.Series(values, dtype=float)
    return {f"{prefix}_p{round(q * 100)}": float(s.quantile(q)) for q in QUANTILES}


def _summarise(
    context: _Context,
    results: list[_DrawResult],
    samples: pd.DataFrame,
    inputs: Sequence[Uncertain],
    seed: int,
    method: str,
    top_k: int,
    started: float,
    runner: str,
) -> SensitivityResult:
    """The draws' results as the tables of :class:`SensitivityResult`, draws in their order."""
    objective = context.objective
    names = [p.name for p in context.portfolios]
    results = sorted(results, key=lambda r: r.index)
    values = pd.DataFrame([objective_values(objective, r) for r in results], columns=names)
    values.index.name = "draw"
    return SensitivityResult(
        objective=objective,
        draws=len(results),
        seed=seed,
        method=method,
        year=context.year,
        top_k=top_k,
        inputs=_inputs_table(inputs, context.year),
        portfolios=_portfolios_table(objective, names, results, values),
        metrics=_metrics_table(names, results),
        projects=_projects_table(context, results, values, top_k),
        samples=samples,
        values=values,
        seconds=time.perf_counter() - started,
        runner=runner,
    )


def _portfolios_table(
    objective: Objective, names: list[str], results: list[_DrawResult], values: pd.DataFrame
) -> pd.DataFrame:
    """Per portfolio: how often it does best, its mean rank, and its value's and cost's quantiles.

    Ties for best share the draw; the most often best comes first.
    """
    utility = pd.DataFrame(
        [
            [objective.utility(raw, cost) for raw, cost in zip(r.raw, r.value_cost or r.cost_usd, strict=True)]
            for r in results
        ],
        columns=names,
    )
    tol = VALUE_REL_TOL * max(1.0, float(utility.abs().max().max()))
    top = utility.max(axis=1)
    winners = utility.ge(top - tol, axis=0)
    share = winners.div(winners.sum(axis=1), axis=0)
    ranks = utility.rank(axis=1, ascending=False, method="average")
    rows = []
    for i, name in enumerate(names):
        costs = [r.cost_usd[i] for r in results]
        rows.append(
            {
                "portfolio": name,
                "p_best": float(share[name].mean()),
                "mean_rank": float(ranks[name].mean()),
                **_quantiles(values[name], "value"),
                **_quantiles(costs, "cost_usd"),
            }
        )
    return pd.DataFrame(rows).set_index("portfolio").sort_values(["p_best", "mean_rank"], ascending=[False, True])


def _metrics_table(names: list[str], results: list[_DrawResult]) -> pd.DataFrame:
    """Per (portfolio, headline column): the quantiles of its change over the draws."""
    metric_rows = []
    for i, name in enumerate(names):
        heads = pd.DataFrame([r.headline[i] for r in results])
        for column in heads.columns:
            metric_rows.append({"portfolio": name, "column": column, **_quantiles(heads[column], "change")})
    return pd.DataFrame(metric_rows).set_index(["portfolio", "column"])


def _projects_table(context: _Context, results: list[_DrawResult], values: pd.DataFrame, top_k: int) -> pd.DataFrame:
    """Per (portfolio, project): how often it is among the top k, its mean rank, and its gain's quantiles.

    Also how often it operates in the year; a gain within rounding of
    zero is no gain, and a project that adds nothing is no one's top.
    """
    objective = context.objective
    project_rows = []
    for i, portfolio in enumerate(context.portfolios):
        gains = pd.DataFrame([r.marginal[i] for r in results], columns=[p.id for p in portfolio.projects])
        if gains.empty or not len(gains.columns):
            continue
        scale = VALUE_REL_TOL * max(1.0, float(values.abs().max().max()))
        gains = gains.where(gains.abs() > scale, 0.0)  # rounding left by leaving a project out is no gain
        rank = gains.rank(axis=1, ascending=False, method="min")
        for pid in gains.columns:
            top = (rank[pid] <= top_k) & (gains[pid] > scale)  # a project that adds nothing is no one's top
            project_rows.append(
                {
                    "portfolio": portfolio.name,
                    "project": pid,
                    "p_top_k": float(top.mean()),
                    "mean_rank": float(rank[pid].mean()),
                    "p_operating": float(np.mean([pid in r.operating[i] for r in results])),
                    **_quantiles(objective.sense * gains[pid], "gain"),
                }
            )
    projects = pd.DataFrame(project_rows)
    if len(projects):
        projects = projects.sort_values(["portfolio", "mean_rank", "project"]).set_index(["portfolio", "project"])
    return projects


def _inputs_table(inputs: Sequence[Uncertain], year: int) -> pd.DataFrame:
    """Every uncertain input drawn, with its range and what it changes; the per-project ones last."""
    return pd.DataFrame(
        [
            {"input": x.name, "low": x.low, "high": x.high, "description": x.description}
            for x in (
                *inputs,
                Uncertain("cost_factor", *COST_FACTOR_RANGE, "each project's cost, times this (drawn per project)"),
                Uncertain(
                    "delay_years",
                    0,
                    MAX_DELAY_YEARS,
                    f"each project's opening, delayed by whole years (drawn per project); scored in {year}",
                ),
            )
        ]
    ).set_index("input")


def objective_values(objective: Objective, result: _DrawResult) -> list[float]:
    """Each portfolio's objective in one draw, in its unit."""
    costs = result.value_cost or result.cost_usd
    return [objective.value(raw, cost) for raw, cost in zip(result.raw, costs, strict=True)]

"""A portfolio's score: what it changes over the base network, each project's marginal contribution and
Shapley value, and the comparison of several portfolios with the best per headline marked.

:func:`score` applies a portfolio through the scorer
(:class:`~corridor.access.scorer.PortfolioScorer`), computes the scenario's
metrics and the gains over the base, the marginal contribution of each
project (the gain lost when it alone is left out, with what requires it) and
its Shapley value (:mod:`corridor.access.shapley`); with ``model=True``, the
transport model's runs with and without the portfolio
(:mod:`corridor.access.modelled`). :func:`compare` puts several portfolios
in one table."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import pandas as pd

from corridor._version import __version__
from corridor.access.metrics import (
    HEADLINES,
    SHAPLEY_COLUMN,
    Metrics,
    gains,
)
from corridor.access.modelled import ModelComparison, compare_model
from corridor.access.scorer import PortfolioScorer, SummaryMap
from corridor.access.shapley import PROGRESS_MIN_TASKS, ShapleyResult, shapley
from corridor.errors import PortfolioError
from corridor.inputs.projects import Portfolio, Project
from corridor.inputs.region import Region
from corridor.model.results import ModelRun
from corridor.network.changes import Effect
from corridor.parallel import progress_bar
from corridor.paths.array_network import ArrayNetwork
from corridor.paths.cache import DiskCache
from corridor.settings import Settings

__all__ = [
    "SHAPLEY_AUTO_MAX",
    "SHAPLEY_COLUMN",
    "ScoreResult",
    "best_marks",
    "compare",
    "no_effect",
    "score",
]


#: :func:`score` works out Shapley values on its own up to this many projects (exactly)
SHAPLEY_AUTO_MAX = 12


@dataclass
class ScoreResult:
    """A portfolio's cost and what it changes.

    Attributes
    ----------
    gains
        Scenario minus base for each summary key, the unit in each name (see
        :func:`corridor.access.metrics.gains`): ``avg_to_seaport_min`` in minutes,
        ``market_access_jobs_change_pct`` in percent of the base.
    od
        Gateway and economic-zone pairs: base, scenario and change in
        minutes (best mode).
    zones
        Per zone: base and scenario times to port and airport and market
        access, with changes.
    marginal
        Per project: the gain lost when the portfolio goes without it.
    unchanged
        Projects whose marginal contribution is zero on every headline, each
        with the reason (see :func:`no_effect`).
    model
        The transport model's runs with and without the portfolio (freight
        cost, gateway delays, traffic), when asked for.
    shapley
        Per project, its Shapley value on every headline (None when not
        worked out); its market-access column is also in ``marginal``.
    """

    portfolio: Portfolio
    base: Metrics
    scenario: Metrics
    gains: dict[str, float]
    od: pd.DataFrame
    zones: pd.DataFrame
    marginal: pd.DataFrame | None
    unchanged: dict[str, str] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    model: ModelComparison | None = None
    shapley: ShapleyResult | None = None

    @property
    def cost_usd(self) -> float:
        return self.portfolio.cost_usd

    def headline(self) -> dict[str, float]:
        """The compare-table row of this portfolio."""
        return {h.column: (self.cost_usd if h.key is None else self.gains[h.gain]) * h.scale for h in HEADLINES}

    def _repr_html_(self) -> str:
        """The headline row and each project's marginal contribution as tables, for Jupyter."""
        titles = {h.column: h.title for h in HEADLINES}
        formats = {h.title: ("{:,.2f}" if h.key is None else "{:+,.2f}").format for h in HEADLINES}
        head = pd.DataFrame([self.headline()], index=pd.Index([self.portfolio.name], name="portfolio"))
        parts = [head.rename(columns=titles).to_html(escape=True, formatters=formats)]
        if self.marginal is not None:
            parts.append("<p>Marginal contribution: the gain lost without each project.</p>")
            marginal = self.marginal.rename(columns=titles)
            parts.append(marginal.to_html(escape=True, formatters=formats))
        return "\n".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "portfolio": self.portfolio.name,
            "projects": self.portfolio.ids,
            "cost_usd": self.cost_usd,
            "budget_usd": self.portfolio.budget_usd,
            "headline": {k: _clean(v) for k, v in self.headline().items()},
            **_changes_dict(self.base.summary, self.scenario.summary, self.gains, self.marginal),
            "unchanged": dict(self.unchanged),
            "shapley": None if self.shapley is None else self.shapley.to_dict(),
            "unreachable": self.scenario.unreachable.to_dict("records"),
            "times": "accessibility",
            "model": None if self.model is None else _model_dict(self.model),
            "provenance": self.provenance,
        }


def _clean(x: Any) -> Any:
    """A number for JSON: NaN and infinity as None."""
    return None if isinstance(x, float) and not math.isfinite(x) else x


def _changes_dict(
    base: dict[str, float], scenario: dict[str, float], change: dict[str, float], marginal: pd.DataFrame | None
) -> dict[str, Any]:
    """The base and scenario summaries, the gains and the marginal table, JSON-ready."""
    return {
        "base": {k: _clean(v) for k, v in base.items()},
        "scenario": {k: _clean(v) for k, v in scenario.items()},
        "gains": {k: _clean(v) for k, v in change.items()},
        "marginal": None
        if marginal is None
        else [{k: _clean(v) for k, v in row.items()} for row in marginal.reset_index().to_dict("records")],
    }


def _model_dict(m: ModelComparison) -> dict[str, Any]:
    """The model's runs with and without the portfolio, JSON-ready."""
    return {
        "times": "assigned",
        **_changes_dict(m.base.summary, m.scenario.summary, m.gains, m.marginal),
        "explanations": dict(m.explanations),
        "notes": list(m.notes),
        "gateways": [
            {k: _clean(v) for k, v in row.items()}
            for row in m.scenario.gateways.reset_index(drop=True).to_dict("records")
        ],
        "assignment": {k: _clean(v) if not isinstance(v, list) else v for k, v in m.scenario.assignment.items()},
    }


#: what each kind of edit changes, for explaining a project that moves no headline
_EDIT_READS = {
    "gateway_upgrade": "a gateway's capacity, handling time or runway movements",
    "investment": "jobs or residents at a place",
    "new_line": "new links",
    "upgrade": "faster or bigger links",
    "open": "links brought into service",
    "close": "closed links",
    "new_gateway": "a new gateway",
    "new_node": "a new junction",
}


def no_effect(project: Project, effect: Effect) -> str:
    """Why a project changes no headline: what its edits change, and what the metrics read."""
    kinds = list(dict.fromkeys(e.type for e in project.edits))
    changes = ", ".join(_EDIT_READS.get(k, k) for k in kinds)
    attrs = sorted({op.attr for op in effect.node_ops})
    if effect.node_ops and not any(effect.better.values()) and not effect.nodes:
        return (
            f"its edits change {changes} ({', '.join(attrs)}), which no connectivity metric reads: "
            "the metrics see travel times, population and jobs only"
        )
    return f"its edits ({changes}) shorten no trip between the scored places in this portfolio"


def score(
    G: nx.MultiDiGraph | ArrayNetwork,
    portfolio: Portfolio,
    *,
    settings: Settings | None = None,
    region: Region | None = None,
    marginal: bool = True,
    scorer: PortfolioScorer | None = None,
    progress: bool | None = None,
    model: bool = False,
    model_base: ModelRun | None = None,
    shapley_values: bool | None = None,
    summaries: SummaryMap | None = None,
) -> ScoreResult:
    """Score a portfolio against the base network ``G``.

    Parameters
    ----------
    G
        The base network (not changed): a graph, or a region joined to road
        arrays (:func:`corridor.paths.array_network.network_from_arrays`).
    portfolio
        The projects.
    settings, region
        As for :func:`corridor.network.scenario.apply_portfolio`.
    marginal
        Also score the portfolio without each of its projects.
    scorer
        A :class:`PortfolioScorer` of ``G`` to reuse across portfolios.
    progress
        Show a progress bar of the marginal contributions on the terminal
        (None: when there are more than 20 projects and stderr is a
        terminal).
    model
        Also run the transport model (:func:`corridor.access.modelled.compare_model`):
        freight cost, gateway delays and traffic with and without the
        portfolio, and each project's share (with ``marginal``); the
        explanation of each project that moves no headline goes on with the
        model's words on it. Seconds a run.
    model_base
        The model's base-year run, to reuse across portfolios.
    shapley_values
        Also work out each project's Shapley value (see :func:`shapley`);
        None: when ``marginal`` and the portfolio has at most
        :data:`SHAPLEY_AUTO_MAX` projects.
    summaries
        How the Shapley coalitions are scored (in-process when None; see
        :func:`corridor.access.sweeps.summary_map`).

    Examples
    --------
    >>> from corridor import load_region, build_network
    >>> from corridor.inputs.project_files import load_catalog, portfolio_from_ids
    >>> region = load_region("luzon")
    >>> G = build_network(region)
    >>> p = portfolio_from_ids(["bauan_terminal"], load_catalog(region.path))
    >>> result = score(G, p, region=region)
    >>> result.gains["avg_to_seaport_min"] < 0
    True
    """
    settings = settings or Settings()
    scorer = scorer or PortfolioScorer(G, settings=settings, region=region)
    base = scorer.base
    scen = scorer.metrics(portfolio)
    change = gains(base.summary, scen.summary)
    marg: pd.DataFrame | None = None
    unchanged: dict[str, str] = {}
    if marginal and portfolio.projects:
        marg, unchanged = _marginal_table(scorer, portfolio, change, progress=progress)
    shares = _shapley_values(
        scorer, portfolio, marg, wanted=shapley_values, marginal=marginal, summaries=summaries, progress=progress
    )
    provenance = {**scen.provenance, "settings_digest": settings.digest(), "corridor_version": __version__}
    comparison = None
    if model:
        comparison = _model_comparison(
            G, portfolio, settings=settings, region=region, base=model_base, marginal=marginal, cache=scorer.disk
        )
        _explain_in_the_model(unchanged, comparison)
    return ScoreResult(
        portfolio,
        base,
        scen,
        change,
        _od_table(base, scen),
        _zone_table(base, scen),
        marg,
        unchanged,
        provenance,
        model=comparison,
        shapley=shares,
    )


def _od_table(base: Metrics, scenario: Metrics) -> pd.DataFrame:
    """Gateway and economic-zone pairs: base, scenario and change in minutes (best mode)."""
    od = pd.DataFrame({"base_min": base.od["best_min"], "scenario_min": scenario.od["best_min"]})
    od["change_min"] = od["scenario_min"] - od["base_min"]
    return od


#: the zone metrics set side by side, base and scenario, in the zone table
_ZONE_COLUMNS = (
    "to_seaport_min",
    "to_airport_min",
    "door_to_ship_h",
    "market_access_pop",
    "market_access_jobs",
    "market_access_jobs_pt",
)


def _zone_table(base: Metrics, scenario: Metrics) -> pd.DataFrame:
    """Per zone: name, population, and each zone metric's base, scenario and change."""
    zones = base.zones[["name", "population"]].copy()
    for c in _ZONE_COLUMNS:
        zones[f"{c}_base"] = base.zones[c]
        zones[f"{c}_scenario"] = scenario.zones[c]
        zones[f"{c}_change"] = scenario.zones[c] - base.zones[c]
    return zones


def _marginal_table(
    scorer: PortfolioScorer, portfolio: Portfolio, change: dict[str, float], *, progress: bool | None
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Per project, the headline gains lost without it; and the projects that move no headline, with the reason."""
    bar = progress_bar(
        len(portfolio.projects), "marginal contributions", enabled=progress, min_total=PROGRESS_MIN_TASKS
    )
    with bar as advance:
        without = scorer.marginal_summaries(portfolio, progress=advance)
    rows = {}
    unchanged: dict[str, str] = {}
    for project in portfolio.projects:
        lost = gains(scorer.base.summary, without[project.id])
        moved = {h.column: (change[h.gain] - lost[h.gain]) * h.scale for h in HEADLINES if h.key is not None}
        rows[project.id] = {"name": project.name, "cost_usd_bn": project.cost_usd / 1e9, **moved}
        if all(abs(v) < 1e-9 or v != v for v in moved.values()):
            unchanged[project.id] = no_effect(project, scorer.effect(project, portfolio))
    marg = pd.DataFrame.from_dict(rows, orient="index")
    marg.index.name = "project"
    return marg, unchanged


def _shapley_values(
    scorer: PortfolioScorer,
    portfolio: Portfolio,
    marginal_table: pd.DataFrame | None,
    *,
    wanted: bool | None,
    marginal: bool,
    summaries: SummaryMap | None,
    progress: bool | None,
) -> ShapleyResult | None:
    """Each project's Shapley value, when wanted; its market-access column joins the marginal table.

    ``wanted`` None: with ``marginal``, for a portfolio of at most
    :data:`SHAPLEY_AUTO_MAX` projects.
    """
    if wanted is None:
        wanted = marginal and 0 < len(portfolio.projects) <= SHAPLEY_AUTO_MAX
    if not wanted or not portfolio.projects:
        return None
    shares = shapley(scorer, portfolio, summaries=summaries, progress=progress)
    if marginal_table is not None:
        marginal_table[SHAPLEY_COLUMN] = shares.values["d_market_access_jobs_pct"]
    return shares


def _model_comparison(
    G: nx.MultiDiGraph | ArrayNetwork,
    portfolio: Portfolio,
    *,
    settings: Settings,
    region: Region | None,
    base: ModelRun | None,
    marginal: bool,
    cache: DiskCache | None = None,
) -> ModelComparison:
    """The transport model with and without the portfolio, and each project's share with ``marginal``.

    Raises
    ------
    PortfolioError
        ``G`` holds road arrays: the model runs on the strategic roads.
    """
    if isinstance(G, ArrayNetwork):
        raise PortfolioError("the transport model runs on the region's strategic roads, not on road arrays")
    return compare_model(G, portfolio, region=region, settings=settings, base=base, marginal=marginal, cache=cache)


def _explain_in_the_model(unchanged: dict[str, str], comparison: ModelComparison) -> None:
    """Extend each explanation of a project that moves no headline with the model's words on it.

    The model sees what the connectivity metrics do not (freight cost,
    gateway delays, traffic).
    """
    for pid, why in comparison.explanations.items():
        if pid in unchanged:
            unchanged[pid] += f"; in the transport model: {why}"


def best_marks(table: pd.DataFrame) -> dict[str, Any]:
    """For each headline column, the row label that does best."""
    marks: dict[str, Any] = {}
    for h in HEADLINES:
        if h.column not in table or table[h.column].isna().all():
            continue
        values = table[h.column]
        if values.max() - values.min() < 1e-9:
            continue  # a tie across every row marks nothing
        marks[h.column] = values.idxmin() if h.better < 0 else values.idxmax()
    return marks


def compare(
    G: nx.MultiDiGraph | ArrayNetwork,
    portfolios: list[Portfolio],
    *,
    settings: Settings | None = None,
    region: Region | None = None,
    marginal: bool = True,
    scorer: PortfolioScorer | None = None,
    shapley_values: bool | None = None,
    summaries: SummaryMap | None = None,
) -> tuple[pd.DataFrame, list[ScoreResult]]:
    """Score several portfolios on one base; return the comparison table and the results.

    The table has one row per portfolio and the :data:`~corridor.access.metrics.HEADLINES` columns.
    ``scorer``, ``shapley_values`` and ``summaries`` are as for :func:`score`.
    """
    settings = settings or Settings()
    scorer = scorer or PortfolioScorer(G, settings=settings, region=region)
    results = [
        score(
            G,
            p,
            settings=settings,
            region=region,
            marginal=marginal,
            scorer=scorer,
            shapley_values=shapley_values,
            summaries=summaries,
        )
        for p in portfolios
    ]
    table = pd.DataFrame([r.headline() for r in results], index=[r.portfolio.name for r in results])
    table.index.name = "portfolio"
    return table, results

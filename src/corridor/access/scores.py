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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import pandas as pd

from corridor._version import __version__
from corridor.access.metrics import (
    HEADLINES,
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


#: the Shapley column of the marginal table: each project's share of the change in market access to jobs
SHAPLEY_COLUMN = "shapley_market_access_jobs_pct"


@dataclass
class ScoreResult:
    """A portfolio's cost and what it changes.

    Attributes
    ----------
    gains
        Scenario minus base for each summary key (see
        :data:`corridor.access.metrics.SUMMARY_LABELS`); market access as a fraction.
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
        return {h.column: (self.cost_usd if h.key is None else self.gains[h.key]) * h.scale for h in HEADLINES}

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
        def clean(x: Any) -> Any:
            return None if isinstance(x, float) and not math.isfinite(x) else x

        return {
            "portfolio": self.portfolio.name,
            "projects": self.portfolio.ids,
            "cost_usd": self.cost_usd,
            "budget_usd": self.portfolio.budget_usd,
            "headline": {k: clean(v) for k, v in self.headline().items()},
            "base": {k: clean(v) for k, v in self.base.summary.items()},
            "scenario": {k: clean(v) for k, v in self.scenario.summary.items()},
            "gains": {k: clean(v) for k, v in self.gains.items()},
            "marginal": None
            if self.marginal is None
            else [{k: clean(v) for k, v in row.items()} for row in self.marginal.reset_index().to_dict("records")],
            "unchanged": dict(self.unchanged),
            "shapley": None if self.shapley is None else self.shapley.to_dict(),
            "unreachable": self.scenario.unreachable.to_dict("records"),
            "times": "accessibility",
            "model": None if self.model is None else _model_dict(self.model, clean),
            "provenance": self.provenance,
        }


def _model_dict(m: ModelComparison, clean: Callable[[Any], Any]) -> dict[str, Any]:
    return {
        "times": "assigned",
        "base": {k: clean(v) for k, v in m.base.summary.items()},
        "scenario": {k: clean(v) for k, v in m.scenario.summary.items()},
        "gains": {k: clean(v) for k, v in m.gains.items()},
        "marginal": None
        if m.marginal is None
        else [{k: clean(v) for k, v in row.items()} for row in m.marginal.reset_index().to_dict("records")],
        "explanations": dict(m.explanations),
        "gateways": [
            {k: clean(v) for k, v in row.items()}
            for row in m.scenario.gateways.reset_index(drop=True).to_dict("records")
        ],
        "assignment": {k: clean(v) if not isinstance(v, list) else v for k, v in m.scenario.assignment.items()},
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
        portfolio, and each project's share (with ``marginal``). Seconds a run.
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

    od = pd.DataFrame({"base_min": base.od["best_min"], "scenario_min": scen.od["best_min"]})
    od["change_min"] = od["scenario_min"] - od["base_min"]
    zone_cols = [
        "to_seaport_min",
        "to_airport_min",
        "door_to_ship_h",
        "market_access_pop",
        "market_access_jobs",
        "market_access_jobs_pt",
    ]
    zones = base.zones[["name", "population"]].copy()
    for c in zone_cols:
        zones[f"{c}_base"] = base.zones[c]
        zones[f"{c}_scenario"] = scen.zones[c]
        zones[f"{c}_change"] = scen.zones[c] - base.zones[c]

    marg = None
    unchanged: dict[str, str] = {}
    if marginal and portfolio.projects:
        bar = progress_bar(
            len(portfolio.projects), "marginal contributions", enabled=progress, min_total=PROGRESS_MIN_TASKS
        )
        with bar as advance:
            without = scorer.marginal_summaries(portfolio, progress=advance)
        rows = {}
        for project in portfolio.projects:
            lost = gains(base.summary, without[project.id])
            moved = {h.column: (change[h.key] - lost[h.key]) * h.scale for h in HEADLINES if h.key is not None}
            rows[project.id] = {"name": project.name, "cost_usd_bn": project.cost_usd / 1e9, **moved}
            if all(abs(v) < 1e-9 or v != v for v in moved.values()):
                unchanged[project.id] = no_effect(project, scorer.effect(project, portfolio))
        marg = pd.DataFrame.from_dict(rows, orient="index")
        marg.index.name = "project"

    shares = None
    if shapley_values is None:
        shapley_values = marginal and 0 < len(portfolio.projects) <= SHAPLEY_AUTO_MAX
    if shapley_values and portfolio.projects:
        shares = shapley(scorer, portfolio, summaries=summaries, progress=progress)
        if marg is not None:
            marg[SHAPLEY_COLUMN] = shares.values["d_market_access_jobs_pct"]

    provenance = {**scen.provenance, "settings_digest": settings.digest(), "corridor_version": __version__}
    comparison = None
    if model:
        if isinstance(G, ArrayNetwork):
            raise PortfolioError("the transport model runs on the region's strategic roads, not on road arrays")
        comparison = compare_model(
            G,
            portfolio,
            region=region,
            settings=settings,
            base=model_base,
            marginal=marginal and bool(portfolio.projects),
        )
        for pid, why in comparison.explanations.items():  # the model sees what the connectivity metrics do not
            if pid in unchanged and not why.startswith("no change"):
                unchanged[pid] += f"; in the transport model: {why}"
    return ScoreResult(
        portfolio, base, scen, change, od, zones, marg, unchanged, provenance, model=comparison, shapley=shares
    )


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

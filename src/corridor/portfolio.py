"""Scoring portfolios against the base network, comparing them, and each project's share.

:func:`score` applies a portfolio, computes the scenario's metrics and the
gains over the base, and the marginal contribution of each project (the gain
lost when it alone is left out). :func:`compare` puts several portfolios in
one table, best per column marked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from corridor import __version__
from corridor.metrics import SUMMARY_LABELS, Metrics, compute_metrics
from corridor.projects import Portfolio
from corridor.region import Region
from corridor.scenario import apply_portfolio
from corridor.settings import Settings

__all__ = ["ScoreResult", "score", "compare", "HEADLINES", "best_marks"]

#: compare-table columns: (column, summary key or None for cost, scale, label, better: -1 lower / +1 higher)
HEADLINES: list[tuple[str, str | None, float, int]] = [
    ("cost_usd_bn", None, 1e-9, -1),
    ("d_to_seaport_min", "avg_to_seaport_min", 1.0, -1),
    ("d_to_airport_min", "avg_to_airport_min", 1.0, -1),
    ("d_door_to_ship_h", "avg_door_to_ship_h", 1.0, -1),
    ("d_pop_90min_port_m", "pop_within_90_min_seaport", 1e-6, 1),
    ("d_market_access_pop_pct", "market_access_pop", 100.0, 1),
    ("d_market_access_jobs_pct", "market_access_jobs", 100.0, 1),
    ("d_gateway_od_min", "gateway_od_mean_min", 1.0, -1),
]
_RELATIVE = {"market_access_pop", "market_access_jobs"}


def _od_gains(base: Metrics, scen: Metrics) -> dict[str, float]:
    """Gateway OD change over the base network's pairs (new gateways are not averaged in)."""
    b = base.od["best_min"]
    s = scen.od["best_min"].reindex(b.index)
    finite = pd.Series(np.isfinite(b.to_numpy()), index=b.index)
    return {
        "gateway_od_mean_min": float((s[finite] - b[finite]).mean()) if finite.any() else math.nan,
        "unreachable_pairs": float((~np.isfinite(s.to_numpy())).sum() - (~finite).sum()),
    }


def _gains(base: dict[str, float], scen: dict[str, float]) -> dict[str, float]:
    out = {}
    for key in SUMMARY_LABELS:
        b, s = base.get(key, math.nan), scen.get(key, math.nan)
        out[key] = (s - b) / b if key in _RELATIVE and b else s - b
    return out


@dataclass
class ScoreResult:
    """A portfolio's cost and what it changes.

    Attributes
    ----------
    gains
        Scenario minus base for each headline (see
        :data:`corridor.metrics.SUMMARY_LABELS`); market access as a fraction.
    od
        Gateway and economic-zone pairs: base, scenario and change in
        minutes (best mode).
    zones
        Per zone: base and scenario times to port and airport and market
        access, with changes.
    marginal
        Per project: the gain lost when the portfolio goes without it.
    """

    portfolio: Portfolio
    base: Metrics
    scenario: Metrics
    gains: dict[str, float]
    od: pd.DataFrame
    zones: pd.DataFrame
    marginal: pd.DataFrame | None
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def cost_usd(self) -> float:
        return self.portfolio.cost_usd

    def headline(self) -> dict[str, float]:
        """The compare-table row of this portfolio."""
        row: dict[str, float] = {}
        for column, key, scale, _ in HEADLINES:
            value = self.cost_usd if key is None else self.gains[key]
            row[column] = value * scale
        return row

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
            "unreachable": self.scenario.unreachable.to_dict("records"),
            "provenance": self.provenance,
        }


def score(
    G: nx.MultiDiGraph,
    portfolio: Portfolio,
    *,
    settings: Settings | None = None,
    region: Region | None = None,
    base: Metrics | None = None,
    marginal: bool = True,
) -> ScoreResult:
    """Score a portfolio against the base network ``G``.

    Parameters
    ----------
    G
        The base network (not changed).
    portfolio
        The projects.
    settings, region
        As for :func:`corridor.scenario.apply_portfolio`.
    base
        The base network's metrics, to reuse across portfolios.
    marginal
        Also score the portfolio without each of its projects.

    Examples
    --------
    >>> from corridor import load_region, build_network
    >>> from corridor.projects import load_catalog, portfolio_from_ids
    >>> region = load_region("luzon")
    >>> G = build_network(region)
    >>> p = portfolio_from_ids(["bauan_terminal"], load_catalog(region.path))
    >>> result = score(G, p, region=region)
    >>> result.gains["avg_to_seaport_min"] < 0
    True
    """
    settings = settings or Settings()
    base = base or compute_metrics(G, settings)
    scen_graph = apply_portfolio(G, portfolio, settings=settings, region=region).G
    scen = compute_metrics(scen_graph, settings)
    gains = _gains(base.summary, scen.summary)
    gains.update(_od_gains(base, scen))

    od = pd.DataFrame({"base_min": base.od["best_min"], "scenario_min": scen.od["best_min"]})
    od["change_min"] = od["scenario_min"] - od["base_min"]
    zone_cols = [
        "to_seaport_min",
        "to_airport_min",
        "door_to_ship_h",
        "market_access_pop",
        "market_access_jobs",
    ]
    zones = base.zones[["name", "population"]].copy()
    for c in zone_cols:
        zones[f"{c}_base"] = base.zones[c]
        zones[f"{c}_scenario"] = scen.zones[c]
        zones[f"{c}_change"] = scen.zones[c] - base.zones[c]

    marg = None
    if marginal and len(portfolio.projects) > 1:
        rows = {}
        for project in portfolio.projects:
            # without it, and without what requires it
            without = _without_dependents(portfolio, project.id)
            m = compute_metrics(apply_portfolio(G, without, settings=settings, region=region).G, settings)
            g = _gains(base.summary, m.summary)
            g.update(_od_gains(base, m))
            lost = {k: gains[k] - v for k, v in g.items()}
            rows[project.id] = {
                "name": project.name,
                "cost_usd_bn": project.cost_usd / 1e9,
                **{c: (project.cost_usd if k is None else lost[k]) * s for c, k, s, _ in HEADLINES if k is not None},
            }
        marg = pd.DataFrame.from_dict(rows, orient="index")
        marg.index.name = "project"

    provenance = {
        **scen.provenance,
        "settings_digest": settings.digest(),
        "corridor_version": __version__,
    }
    return ScoreResult(portfolio, base, scen, gains, od, zones, marg, provenance)


def _without_dependents(portfolio: Portfolio, project_id: str) -> Portfolio:
    drop = {project_id}
    changed = True
    while changed:
        changed = False
        for p in portfolio.projects:
            if p.id not in drop and any(r in drop for r in p.requires):
                drop.add(p.id)
                changed = True
    kept = tuple(p for p in portfolio.projects if p.id not in drop)
    return portfolio.model_copy(update={"name": f"{portfolio.name} without {project_id}", "projects": kept})


def best_marks(table: pd.DataFrame) -> dict[str, Any]:
    """For each headline column, the row label that does best."""
    marks: dict[str, Any] = {}
    for column, _, _, better in HEADLINES:
        if column not in table or table[column].isna().all():
            continue
        values = table[column]
        if values.max() - values.min() < 1e-9:
            continue  # a tie across every row marks nothing
        marks[column] = values.idxmin() if better < 0 else values.idxmax()
    return marks


def compare(
    G: nx.MultiDiGraph,
    portfolios: list[Portfolio],
    *,
    settings: Settings | None = None,
    region: Region | None = None,
    marginal: bool = True,
) -> tuple[pd.DataFrame, list[ScoreResult]]:
    """Score several portfolios on one base; return the comparison table and the results.

    The table has one row per portfolio and the :data:`HEADLINES` columns.
    """
    settings = settings or Settings()
    base = compute_metrics(G, settings)
    results = [score(G, p, settings=settings, region=region, base=base, marginal=marginal) for p in portfolios]
    table = pd.DataFrame([r.headline() for r in results], index=[r.portfolio.name for r in results])
    table.index.name = "portfolio"
    return table, results

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
from corridor.engine import CompiledNetwork, Delta, EndpointCache, compile_network, rescore, travel_times
from corridor.metrics import (
    OD_MODES,
    SUMMARY_LABELS,
    Metrics,
    centroids,
    compute_metrics,
    metrics_from_matrices,
    summary_from_matrices,
)
from corridor.network import CENTROID_KINDS
from corridor.projects import Portfolio, Project
from corridor.region import Region
from corridor.scenario import Piece, apply_portfolio, ordered_projects, piece_of
from corridor.settings import Settings

__all__ = ["HEADLINES", "PortfolioScorer", "ScoreResult", "best_marks", "compare", "score"]

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


class _Lookup:
    """Index of a node: a new one first, else the base compilation's."""

    def __init__(self, new: dict[Any, int], base: dict[Any, int]) -> None:
        self.new, self.base = new, base

    def __getitem__(self, node: Any) -> int:
        return self.new[node] if node in self.new else self.base[node]


class PortfolioScorer:
    """Scores many portfolios on one base network, exactly and fast.

    The base travel times among zones, gateways and economic zones are
    computed once per mode. Each project is applied once, on its own (with
    what it requires), and what it changed is kept in graph terms; a
    portfolio's matrices then come from :func:`corridor.engine.rescore` on
    the union of its projects' changes, never from a new search of the whole
    network. Portfolios that remove or slow links fall back to applying the
    portfolio and computing its metrics in full.

    Parameters
    ----------
    G
        The base network (never changed).
    settings, region
        As for :func:`corridor.scenario.apply_portfolio`.
    backend
        Shortest-path backend for the base matrices and endpoint searches;
        ``settings.engine_backend`` when None.
    """

    def __init__(
        self,
        G: nx.MultiDiGraph,
        *,
        settings: Settings | None = None,
        region: Region | None = None,
        backend: str | None = None,
    ) -> None:
        self.G = G
        self.settings = settings or Settings()
        self.region = region
        self.backend = backend or self.settings.engine_backend
        self.modes = tuple(dict.fromkeys((*OD_MODES, "any")))
        self.compiled: dict[str, CompiledNetwork] = {m: compile_network(G, m) for m in self.modes}  # type: ignore[arg-type]
        self.cents = centroids(G)
        self.info = [dict(G.nodes[n]) for n in self.cents]
        self.base_matrices = {
            m: travel_times(
                self.compiled[m], self.cents, self.cents, backend=self.backend, workers=self.settings.engine_workers
            )
            for m in self.modes
        }
        self._sources = {m: np.array([c.out_index[n] for n in self.cents]) for m, c in self.compiled.items()}
        self._targets = {m: np.array([c.in_index[n] for n in self.cents]) for m, c in self.compiled.items()}
        self._caches = {
            m: EndpointCache(c, self._sources[m], self._targets[m], backend=self.backend)
            for m, c in self.compiled.items()
        }
        self._pieces: dict[tuple[str, tuple[str, ...]], Piece] = {}
        self.base = metrics_from_matrices(
            self.info, self.base_matrices, self.settings, provenance=G.graph.get("provenance", {})
        )
        kinds = [d.get("kind") for d in self.info]
        self._places = [i for i, k in enumerate(kinds) if k == "gateway"]
        self._places += [i for i, k in enumerate(kinds) if k == "economic_zone"]
        self._base_best = (
            np.minimum.reduce([self.base_matrices[m][np.ix_(self._places, self._places)] for m in OD_MODES]) / 60
        )

    def _piece(self, project: Project, by_id: dict[str, Project]) -> Piece:
        requires = tuple(sorted(self._requirements(project, by_id)))
        key = (project.id, requires)
        if key not in self._pieces:
            alone = Portfolio(name=project.id, projects=(*[by_id[r] for r in requires], project))
            scenario = apply_portfolio(self.G, alone, settings=self.settings, region=self.region)
            self._pieces[key] = piece_of(scenario, project.id)
        return self._pieces[key]

    @staticmethod
    def _requirements(project: Project, by_id: dict[str, Project]) -> set[str]:
        out: set[str] = set()
        stack = list(project.requires)
        while stack:
            r = stack.pop()
            if r in by_id and r not in out:
                out.add(r)
                stack.extend(by_id[r].requires)
        return out

    def metrics(self, portfolio: Portfolio) -> Metrics:
        """The metrics of the base network with the portfolio built."""
        info, matrices = self._matrices(portfolio)
        if matrices is None:
            scenario = apply_portfolio(self.G, portfolio, settings=self.settings, region=self.region)
            return compute_metrics(scenario.G, self.settings, backend=self.backend)
        provenance = {**self.G.graph.get("provenance", {}), **portfolio.provenance()}
        return metrics_from_matrices(info, matrices, self.settings, provenance=provenance)

    def summary(self, portfolio: Portfolio) -> dict[str, float]:
        """Only the headline numbers of :meth:`metrics` (what a sweep needs), with the gateway OD change."""
        info, matrices = self._matrices(portfolio)
        if matrices is None:
            m = self.metrics(portfolio)
            return {**m.summary, "gateway_od_change_min": _od_gains(self.base, m)["gateway_od_mean_min"]}
        out = summary_from_matrices(info, matrices, self.settings)
        # the gateway OD over the base network's pairs, as in the full metrics
        k = len(self.cents)
        places = self._places
        best = np.minimum.reduce([matrices[m][:k, :k][np.ix_(places, places)] for m in OD_MODES]) / 60
        base = self._base_best
        off = ~np.eye(len(places), dtype=bool) & np.isfinite(base)
        out["gateway_od_change_min"] = float((best[off] - base[off]).mean()) if off.any() else math.nan
        return out

    def _matrices(self, portfolio: Portfolio) -> tuple[list[dict[str, Any]], dict[str, np.ndarray] | None]:
        by_id = {p.id: p for p in portfolio.projects}
        pieces = [self._piece(p, by_id) for p in ordered_projects(portfolio)]
        if any(any(piece.worse.values()) for piece in pieces):
            return [], None
        info = [dict(d) for d in self.info]
        pos = {n: i for i, n in enumerate(self.cents)}
        new_nodes: list[tuple[Any, dict[str, Any]]] = []
        for piece in pieces:
            new_nodes += piece.nodes
            for op, n, attr, value in piece.node_ops:
                target = info[pos[n]] if n in pos else next(d for m, d in new_nodes if m == n)
                target[attr] = (target.get(attr) or 0) + value if op == "add" else value
        new_cents = [(n, d) for n, d in new_nodes if d.get("kind") in CENTROID_KINDS]
        matrices = {}
        for m in self.modes:
            compiled = self.compiled[m]
            new_out: dict[Any, int] = {}
            new_in: dict[Any, int] = {}
            nxt = compiled.n
            for n, d in new_nodes:
                new_out[n] = new_in[n] = nxt
                nxt += 1
                if d.get("kind") in CENTROID_KINDS:
                    new_in[n] = nxt
                    nxt += 1
            out_idx = _Lookup(new_out, compiled.out_index)
            in_idx = _Lookup(new_in, compiled.in_index)
            better = [(out_idx[u], in_idx[v], w) for piece in pieces for u, v, w in piece.better[m]]
            delta = Delta(new_nodes=nxt - compiled.n, better=better)
            matrices[m] = rescore(
                compiled,
                self.base_matrices[m],
                self._sources[m],
                self._targets[m],
                delta,
                cache=self._caches[m],
                backend=self.backend,
                extra_sources=[out_idx[n] for n, _ in new_cents],
                extra_targets=[in_idx[n] for n, _ in new_cents],
            )
            k = len(self.cents)
            for r in range(len(new_cents)):  # a new place is at zero from itself
                matrices[m][k + r, k + r] = 0.0
        return info + [dict(d) for _, d in new_cents], matrices


def score(
    G: nx.MultiDiGraph,
    portfolio: Portfolio,
    *,
    settings: Settings | None = None,
    region: Region | None = None,
    base: Metrics | None = None,
    marginal: bool = True,
    scorer: PortfolioScorer | None = None,
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
    scorer
        A :class:`PortfolioScorer` of ``G`` to reuse across portfolios.

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
    scorer = scorer or PortfolioScorer(G, settings=settings, region=region)
    base = base or scorer.base
    scen = scorer.metrics(portfolio)
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
            m = scorer.metrics(without)
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
    scorer = PortfolioScorer(G, settings=settings, region=region)
    results = [score(G, p, settings=settings, region=region, marginal=marginal, scorer=scorer) for p in portfolios]
    table = pd.DataFrame([r.headline() for r in results], index=[r.portfolio.name for r in results])
    table.index.name = "portfolio"
    return table, results

"""Scoring many portfolios against one base network, exactly and fast.

:class:`PortfolioScorer` is the seam that every sweep goes through (comparison,
marginal contributions, and the appraisal, optimiser and workers built on
them): its calls :meth:`~PortfolioScorer.matrices`,
:meth:`~PortfolioScorer.metrics` and :meth:`~PortfolioScorer.summary` are pure
(the same portfolio always gives the same answer) and the scorer pickles, so a
worker process or a cluster node can hold one.

A portfolio's score, its projects' marginal contributions and Shapley values
and the comparison of several portfolios are in :mod:`corridor.access.scores`
and :mod:`corridor.access.shapley`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import networkx as nx
import numpy as np

from corridor.access.metrics import (
    OD_MODES,
    Layout,
    Metrics,
    layout_of,
    metrics_from_matrices,
    summary_from_matrices,
    zone_summary_from_matrices,
)
from corridor.errors import PortfolioError
from corridor.inputs.projects import Portfolio, Project
from corridor.inputs.region import Region
from corridor.network.build import CENTROID_KINDS, centroids
from corridor.network.changes import Arc, Effect
from corridor.network.scenario import Scenario, apply_portfolio, ordered_projects
from corridor.paths.array_network import ArrayNetwork, NodeIndex
from corridor.paths.cache import DiskCache
from corridor.paths.engine import (
    CompiledNetwork,
    Delta,
    Indices,
    compile_network,
    distances,
    resolve_backend,
    travel_times,
    whole_ms,
)
from corridor.paths.rescore import EndpointCache, LeaveOut, rescore
from corridor.settings import Settings

#: above this many changed-link endpoints, a portfolio is searched on its changed arrays instead of re-scored
RESCORE_MAX_ENDPOINTS = 400
#: the mode whose zone-to-everywhere times the summary reads (time to port, market access)
SUMMARY_MODE = "any"
#: the modes whose zone-to-everywhere times the summary reads (market access by public transport too); of the
#: others it reads only the times between gateways and economic zones, through the best of modes
ZONE_MODES = frozenset({SUMMARY_MODE, "transit"})
#: centroids between which the summary reads the times of every mode
PLACE_KINDS = frozenset({"gateway", "economic_zone"})


#: scores many portfolios at once, in their order (in-process, or through a runner of :mod:`corridor.parallel`)
SummaryMap = Callable[[Sequence[Portfolio]], list[dict[str, float]]]

__all__ = [
    "PortfolioScorer",
    "ScenarioMatrices",
    "SummaryMap",
]


@dataclass(frozen=True)
class ScenarioMatrices:
    """Travel times among a scenario's centroids, by mode.

    Attributes
    ----------
    nodes
        The centroids' attributes (zones, gateways, economic zones): the base
        network's in its order, then those the portfolio added.
    times_s
        Per mode (``road``, ``rail``, ``any``), the centroid x centroid
        matrix of seconds (``inf``: unreachable).
    method
        ``rescored`` (exactly, from the base matrices) or ``recomputed``
        (the portfolio removes or slows links: searched again).
    """

    nodes: list[dict[str, Any]]
    times_s: dict[str, np.ndarray]
    method: Literal["rescored", "recomputed"]


class PortfolioScorer:
    """Scores many portfolios on one base network, exactly and fast.

    The base travel times among zones, gateways and economic zones are
    computed once per mode. Each project is applied once, on its own (with
    what it requires), and its :class:`~corridor.network.changes.Effect` is kept; a
    portfolio's matrices then come from :func:`corridor.paths.rescore.rescore` on
    the union of its projects' effects, never from a new search of the whole
    network. Portfolios that remove or slow links are applied and searched
    again.

    On a network whose roads are arrays (:class:`~corridor.paths.array_network.ArrayNetwork`,
    an island's roads) no graph of the roads is ever built: the compiled
    networks come from the arrays, each project is applied to the small
    graph of places and rail lines with the roads as its
    :class:`~corridor.network.changes.RoadSource`, and a portfolio that removes or
    slows links is searched on the base arrays re-weighted (with a CCH, the
    base hierarchy re-customized), then re-scored for what it adds.

    Parameters
    ----------
    G
        The base network (never changed): a graph, or a region joined to
        road arrays.
    settings, region
        As for :func:`corridor.network.scenario.apply_portfolio`.
    backend
        Shortest-path backend for the base matrices and endpoint searches;
        ``settings.engine_backend`` when None.
    cache
        A folder (or :class:`~corridor.paths.cache.DiskCache`) where the compiled
        networks, their CCH orders and the base matrices are kept, keyed by
        the hashes of their inputs: a second scorer of the same network
        starts from there. None: nothing is kept.

    Raises
    ------
    SettingsError
        The backend is unknown or not installed.
    """

    def __init__(
        self,
        G: nx.MultiDiGraph | ArrayNetwork,
        *,
        settings: Settings | None = None,
        region: Region | None = None,
        backend: str | None = None,
        cache: DiskCache | str | Path | None = None,
    ) -> None:
        #: the roads as arrays, when G's are (None: G holds the whole network)
        self.arrays: ArrayNetwork | None = G if isinstance(G, ArrayNetwork) else None
        if isinstance(G, ArrayNetwork):
            G = G.G  # the places, rail lines and connectors
        self.G = G
        self.settings = settings or Settings()
        self.region = region
        self.backend = resolve_backend(backend or self.settings.engine_backend)
        self.modes: tuple[str, ...] = tuple(dict.fromkeys((*OD_MODES, "any")))
        disk = cache if isinstance(cache, DiskCache) or cache is None else DiskCache(cache)
        #: where compiled networks, base matrices and the screening's model run are kept (None: nowhere)
        self.disk = disk
        self.compiled: dict[str, CompiledNetwork] = self._compile_modes(disk)
        self.centroids = centroids(G)
        self.base_nodes = [dict(G.nodes[n]) for n in self.centroids]
        self._base_copies = [dict(d) for d in self.base_nodes]  # what scenarios share of the base nodes
        self._position = {n: i for i, n in enumerate(self.centroids)}
        self.base_times_s = self._base_matrices(disk)
        self._sources, self._targets = self._centroid_indices()
        self._caches = {
            m: EndpointCache(c, self._sources[m], self._targets[m], backend=self.backend)
            for m, c in self.compiled.items()
        }
        # the summary reads road and rail times among gateways and economic zones only
        self._place_positions = np.array(
            [i for i, d in enumerate(self.base_nodes) if d.get("kind") in PLACE_KINDS], dtype=np.int64
        )
        self._place_caches = self._place_endpoint_caches()
        self._dominated = self._dominated_modes()
        self._effects: dict[tuple[str, str, tuple[str, ...]], Effect] = {}
        self._effect_within: dict[tuple[str, int], bool] = {}
        self._indexed: dict[str, dict[int, tuple[np.ndarray, list[Arc], int]]] = {m: {} for m in self.modes}
        self._layouts: dict[tuple[int, ...], Layout] = {}
        self._prepared: dict[tuple[str, str], Project] = {}
        self._scratch_scenario: Scenario | None = None
        self.base = metrics_from_matrices(
            self.base_nodes, self.base_times_s, self.settings, provenance=G.graph.get("provenance", {})
        )

    def _compile(self, mode: str, disk: DiskCache | None) -> CompiledNetwork:
        if self.arrays is not None:
            return self.arrays.compile(mode, cache=disk)
        return disk.compiled(self.G, mode) if disk else compile_network(self.G, mode)

    def _compile_modes(self, disk: DiskCache | None) -> dict[str, CompiledNetwork]:
        """Every mode's compiled network, with its CCH order from the disk cache when the backend is ``cch``."""
        compiled = {m: self._compile(m, disk) for m in self.modes}
        if disk is not None and self.backend == "cch":
            for c in compiled.values():
                c.cch_order = disk.cch_order(c)
        return compiled

    def _base_matrices(self, disk: DiskCache | None) -> dict[str, np.ndarray]:
        """Per mode, the base travel times among the centroids (from the disk cache when there is one)."""
        search = disk.travel_times if disk is not None else travel_times
        return {
            m: search(
                self.compiled[m],
                self.centroids,
                self.centroids,
                backend=self.backend,
                workers=self.settings.engine_workers,
            )
            for m in self.modes
        }

    def _centroid_indices(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Per mode, the indices that paths leave the centroids from, and those they enter them at."""
        sources = {m: np.array([c.out_index[n] for n in self.centroids]) for m, c in self.compiled.items()}
        targets = {m: np.array([c.in_index[n] for n in self.centroids]) for m, c in self.compiled.items()}
        return sources, targets

    def _place_endpoint_caches(self) -> dict[str, EndpointCache]:
        """For the modes outside :data:`ZONE_MODES`, the endpoint caches among gateways and economic zones only."""
        return {
            m: EndpointCache(
                c,
                self._sources[m][self._place_positions],
                self._targets[m][self._place_positions],
                backend=self.backend,
            )
            for m, c in self.compiled.items()
            if m not in ZONE_MODES
        }

    def _dominated_modes(self) -> dict[str, bool]:
        """Per mode outside :data:`ZONE_MODES`, whether the summary mode makes its every trip as fast.

        The car layer of mode ``any`` holds every road link at its time: the
        summary's best of modes then needs no search of such a mode.
        """
        return {
            m: _arcs_within(c, self.compiled[SUMMARY_MODE]) for m, c in self.compiled.items() if m not in ZONE_MODES
        }

    # ------------------------------------------------------------ effects
    def effect(self, project: Project, portfolio: Portfolio) -> Effect:
        """What ``project`` does on its own (with what it requires in ``portfolio``), worked out once."""
        if project.requires:
            by_id = {p.id: p for p in portfolio.projects}
            required = [by_id[r] for r in sorted(portfolio.requirements(project.id))]
        else:
            required = []
        key = (project.id, project.edits_digest, tuple(p.edits_digest for p in required))
        if key not in self._effects:
            scratch = self._scratch()
            try:
                for p in [*ordered_projects(Portfolio(name="requires", projects=tuple(required))), project]:
                    scratch.apply(p, settings=self.settings, region=self.region)
                self._effects[key] = scratch.effect(project.id)
            finally:
                scratch.revert()
        return self._effects[key]

    def _scratch(self) -> Scenario:
        """One working copy of the base network, where each project is applied, read and undone."""
        if self._scratch_scenario is None:
            scenario = apply_portfolio(
                self.G, Portfolio(name="scratch", projects=()), settings=self.settings, roads=self.arrays
            )
            self._scratch_scenario = scenario
        return self._scratch_scenario

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_scratch_scenario"] = None  # rebuilt on first use
        state["_layouts"] = {}  # keyed by the effects' identities, which a copy does not keep
        state["_effect_within"] = {}
        state["_indexed"] = {m: {} for m in self.modes}
        return state

    # ------------------------------------------------------------ the seam
    def _centroids_after(self, effects: Sequence[Effect]) -> tuple[list[dict[str, Any]], list[Any]]:
        """The centroids' attributes after the effects (base ones, then new ones), and the new centroids.

        Every dict is a copy; the base ones are copied once each for all
        callers, so treat them as read-only.
        """
        nodes = list(self._base_copies)
        position = self._position
        copied: set[int] = set()
        added: dict[Any, dict[str, Any]] = {}
        for effect in effects:
            for n, d in effect.nodes:
                added[n] = dict(d)
            for op in effect.node_ops:
                if op.node in position:
                    i = position[op.node]
                    if i not in copied:
                        nodes[i] = dict(nodes[i])
                        copied.add(i)
                    target = nodes[i]
                else:
                    target = added[op.node]
                target[op.attr] = (target.get(op.attr) or 0) + op.value if op.additive else op.value
        new_centroids = [n for n, d in added.items() if d.get("kind") in CENTROID_KINDS]
        return nodes + [added[n] for n in new_centroids], new_centroids

    def matrices(self, portfolio: Portfolio) -> ScenarioMatrices:
        """The travel times among the scenario's centroids, by mode."""
        m = self._matrices(portfolio, full=True)
        return ScenarioMatrices([dict(d) for d in m.nodes], m.times_s, m.method)

    def _matrices(
        self,
        portfolio: Portfolio,
        *,
        full: bool,
        effects: list[Effect] | None = None,
        modes: Sequence[str] | None = None,
    ) -> ScenarioMatrices:
        """The scenario's matrices; with ``full`` False, only what :meth:`summary` reads.

        The summary reads every pair of the :data:`ZONE_MODES` but, of the
        road and rail modes, only the pairs among gateways and economic zones,
        through the best of modes: those are worked out and the other cells
        left ``inf``, and a mode that mode ``any`` provably covers is not
        searched at all (its matrix stands in). A mode no project changes is
        the base matrix itself (not a copy) when ``full`` is False.
        ``effects`` are the portfolio's, in application order, when known;
        ``modes`` re-scored, every mode when None (a portfolio that removes or
        slows links is searched again in every mode).
        """
        if effects is None:
            effects = [self.effect(p, portfolio) for p in ordered_projects(portfolio)]
        if not all(e.only_improves for e in effects):
            return self._recomputed(portfolio)
        nodes, new_centroids = self._centroids_after(effects)
        times = {}
        skipped = []
        for m in modes or self.modes:
            if not full and m not in ZONE_MODES and self._within(m, effects):
                skipped.append(m)  # the summary takes the best of modes, and this one is never the best
                continue
            times[m] = self._rescored(m, effects, nodes, new_centroids, full=full)
        for m in skipped:
            times[m] = times[SUMMARY_MODE]
        return ScenarioMatrices(nodes, times, "rescored")

    def _rescored(
        self, mode: str, effects: list[Effect], nodes: list[dict[str, Any]], new_centroids: list[Any], *, full: bool
    ) -> np.ndarray:
        """One mode's matrix of a scenario that only adds or speeds up links, re-scored from the base.

        With ``full`` False and a mode outside :data:`ZONE_MODES`, only the
        cells among gateways and economic zones are worked out (the others
        are ``inf``); a mode no project changes is the base matrix itself.
        """
        delta, indices = self.compiled[mode].delta(effects, known=self._indexed[mode])
        if not len(delta.better) and not new_centroids:
            return self.base_times_s[mode].copy() if full else self.base_times_s[mode]
        base_pos, new_pos, cache = self._cells(mode, nodes, new_centroids, full=full)
        extra = [new_centroids[i] for i in new_pos]
        sub = self._searched(mode, delta, indices, base_pos, extra, cache)
        k = len(self.centroids)
        if len(base_pos) == k and len(new_pos) == len(new_centroids):
            return sub
        at = np.concatenate([base_pos, k + np.asarray(new_pos, dtype=np.int64)]).astype(np.int64)
        size = k + len(new_centroids)
        matrix = np.full((size, size), math.inf)
        matrix[np.ix_(at, at)] = sub
        return matrix

    def _cells(
        self, mode: str, nodes: list[dict[str, Any]], new_centroids: list[Any], *, full: bool
    ) -> tuple[np.ndarray, list[int], EndpointCache]:
        """Which base and new centroids a mode's matrix is worked out among, and the endpoint cache for them."""
        if full or mode in ZONE_MODES:
            return np.arange(len(self.centroids)), list(range(len(new_centroids))), self._caches[mode]
        k = len(self.centroids)
        new_pos = [i for i, n in enumerate(new_centroids) if nodes[k + i].get("kind") in PLACE_KINDS]
        return self._place_positions, new_pos, self._place_caches[mode]

    def _searched(
        self,
        mode: str,
        delta: Delta,
        indices: Indices,
        base_pos: np.ndarray,
        extra: list[Any],
        cache: EndpointCache,
    ) -> np.ndarray:
        """The times among the base centroids at ``base_pos`` and the new centroids ``extra``, with the change.

        Exactly re-scored from the base matrix; with many changed links, one
        search on the changed arrays instead.
        """
        k = len(self.centroids)
        sources, targets = self._sources[mode][base_pos], self._targets[mode][base_pos]
        if len(np.unique(delta.better[:, :2])) > RESCORE_MAX_ENDPOINTS:
            # many changed links: one search on the changed arrays beats the endpoints' all-pairs step
            rows, cols = _rows_and_columns(sources, targets, indices, extra)
            sub = LeaveOut(self.compiled[mode], [delta.better], delta.new_nodes, rows, cols).full
            np.fill_diagonal(sub, 0.0)  # rows and columns are the same places
            return sub
        base = self.base_times_s[mode]
        sub = rescore(
            self.compiled[mode],
            base[np.ix_(base_pos, base_pos)] if len(base_pos) < k else base,
            sources,
            targets,
            delta,
            cache=cache,
            backend=self.backend,
            extra_sources=[indices.out(n) for n in extra],
            extra_targets=[indices.into(n) for n in extra],
        )
        for r in range(len(base_pos), len(base_pos) + len(extra)):  # a new place is at zero from itself
            sub[r, r] = 0.0
        return sub

    def _within(self, mode: str, effects: Sequence[Effect]) -> bool:
        """Whether every trip of ``mode`` is as fast by the summary mode in this scenario (see :func:`_arcs_within`)."""
        if not self._dominated.get(mode):
            return False
        for e in effects:
            key = (mode, id(e))  # effects live as long as the scorer
            if key not in self._effect_within:
                car = {(a.u, a.v, a.time_s) for a in e.better.get(SUMMARY_MODE, ()) if not a.tail_pt and not a.head_pt}
                self._effect_within[key] = not e.worse.get(mode) and all(
                    (a.u, a.v, a.time_s) in car for a in e.better.get(mode, ())
                )
            if not self._effect_within[key]:
                return False
        return True

    def _recomputed(self, portfolio: Portfolio) -> ScenarioMatrices:
        if self.arrays is not None:
            return self._recomputed_on_arrays(portfolio)
        scenario = apply_portfolio(self.G, portfolio, settings=self.settings, region=self.region)
        G = scenario.G
        base = set(self.centroids)
        order = [n for n in self.centroids if n in G] + [n for n in centroids(G) if n not in base]
        times = {
            m: travel_times(
                compile_network(G, m),
                order,
                order,
                backend=self.backend,
                workers=self.settings.engine_workers,
            )
            for m in self.modes
        }
        return ScenarioMatrices([dict(G.nodes[n]) for n in order], times, "recomputed")

    def _recomputed_on_arrays(self, portfolio: Portfolio) -> ScenarioMatrices:
        """A portfolio that removes or slows links, on road arrays: the base re-weighted, then re-scored.

        The removals and slow-downs change the weights of base arcs only, so
        the base network with them is searched again on the same arcs (a CCH
        is re-customized, not rebuilt); what the portfolio adds is then
        re-scored exactly on top (:func:`corridor.paths.rescore.rescore`).
        """
        scenario = apply_portfolio(self.G, portfolio, settings=self.settings, region=self.region, roads=self.arrays)
        effect = scenario.net_effect()
        nodes, new_centroids = self._centroids_after([effect])
        times = {}
        for m in self.modes:
            compiled = self.compiled[m]
            delta, indices = compiled.delta([effect])
            slower = _indexed(effect.slower.get(m, ()), indices)
            worse = [(t, h, a.time_s) for (t, h), a in zip(delta.worse, effect.worse.get(m, ()), strict=True)]
            changed = _without(compiled, worse, slower)
            sources, targets = self._sources[m], self._targets[m]
            base = distances(changed, sources, targets, backend=self.backend, workers=self.settings.engine_workers)
            rows, cols = _rows_and_columns(sources, targets, indices, new_centroids)
            matrix = rescore(
                changed,
                base,
                sources,
                targets,
                Delta(new_nodes=delta.new_nodes, better=delta.better),
                cache=EndpointCache(changed, sources, targets, backend=self.backend),
                backend=self.backend,
                extra_sources=rows[len(sources) :].tolist(),
                extra_targets=cols[len(targets) :].tolist(),
            )
            np.fill_diagonal(matrix, 0.0)  # rows and columns are the same places
            times[m] = matrix
        return ScenarioMatrices(nodes, times, "recomputed")

    def metrics(self, portfolio: Portfolio) -> Metrics:
        """The metrics of the base network with the portfolio built."""
        m = self.matrices(portfolio)
        provenance = {**self.G.graph.get("provenance", {}), **portfolio.provenance()}
        return metrics_from_matrices(m.nodes, m.times_s, self.settings, provenance=provenance)

    def summary(self, portfolio: Portfolio, *, zones_only: bool = False) -> dict[str, float]:
        """Only the headline numbers of :meth:`metrics` (what a sweep needs), without building frames.

        With ``zones_only``, only those of
        :data:`~corridor.access.metrics.ZONE_SUMMARY_KEYS` (time to port and
        airport, door to ship, market access to people and jobs): the same
        numbers from the best-of-modes matrix alone, no other mode searched.
        """
        effects = [self.effect(p, portfolio) for p in ordered_projects(portfolio)]
        modes = (SUMMARY_MODE,) if zones_only else self.modes
        m = self._matrices(portfolio, full=False, effects=effects, modes=modes)
        layout = self._layout(effects, m.nodes) if m.method == "rescored" else None
        if zones_only:
            return zone_summary_from_matrices(m.nodes, m.times_s[SUMMARY_MODE], self.settings, layout=layout)
        return summary_from_matrices(m.nodes, m.times_s, self.settings, layout=layout)

    def _layout(self, effects: list[Effect], nodes: list[dict[str, Any]]) -> Layout:
        """Where the zones, ports and jobs are among the scenario's centroids, kept per set of node changes."""
        key = tuple(id(e) for e in effects if e.nodes or e.node_ops)  # effects live as long as the scorer
        if key not in self._layouts:
            self._layouts[key] = layout_of(nodes)
        return self._layouts[key]

    def prepare(self, projects: Iterable[Project]) -> None:
        """Work out each project's change and the base distances to its links' ends, ahead of a sweep.

        A scorer prepared for every candidate of a sweep only reads its
        caches while scoring: it can be copied to workers once and scores
        the same there as here. It also keeps the projects, so that a
        portfolio of them can be named by :meth:`project_keys` and rebuilt
        by :meth:`portfolio_of` where the copy runs.

        Parameters
        ----------
        projects
            The candidates; each is worked out with the projects it requires
            among them.
        """
        context = Portfolio(name="prepare", projects=tuple(projects))
        self._prepared.update({(p.id, p.edits_digest): p for p in context.projects})
        effects = [self.effect(p, context) for p in context.projects]
        if not all(e.only_improves for e in effects):
            effects = [e for e in effects if e.only_improves]
        for m in self.compiled:
            self._prepare_ends(m, effects)

    def _prepare_ends(self, mode: str, effects: list[Effect]) -> None:
        """Search once, in one mode, from and to the base ends of the links the effects add or speed up."""
        compiled = self.compiled[mode]
        _, indices = compiled.delta(effects)
        ends = {x for e in effects for t, h, _ in _indexed(e.better.get(mode, ()), indices) for x in (t, h)}
        base_ends = [x for x in ends if x < compiled.n]
        self._caches[mode].prepare(base_ends)
        if mode in self._place_caches:
            self._place_caches[mode].prepare(base_ends)

    def prepared_keys(self) -> frozenset[tuple[str, str]]:
        """The (id, edits digest) of every project this scorer was prepared with (see :meth:`prepare`)."""
        return frozenset(self._prepared)

    def project_keys(self, portfolio: Portfolio) -> tuple[tuple[str, str], ...] | None:
        """A portfolio as the (id, edits digest) of its projects when all were prepared (else None)."""
        keys = tuple((p.id, p.edits_digest) for p in portfolio.projects)
        return keys if all(k in self._prepared for k in keys) else None

    def portfolio_of(self, keys: Sequence[tuple[str, str]], name: str = "portfolio") -> Portfolio:
        """The portfolio of prepared projects named by :meth:`project_keys`.

        Raises
        ------
        PortfolioError
            A project this scorer was not prepared with.
        """
        missing = [pid for pid, digest in keys if (pid, digest) not in self._prepared]
        if missing:
            raise PortfolioError(
                "projects the scorer was not prepared with", value=missing, allowed="prepare(projects) first"
            )
        return Portfolio(name=name, projects=tuple(self._prepared[k] for k in keys))

    def marginal_summaries(
        self, portfolio: Portfolio, *, progress: Callable[[int], None] | None = None
    ) -> dict[str, dict[str, float]]:
        """For each project, the summary of the portfolio without it and without what requires it.

        A portfolio that only adds or speeds up links keeps its full search
        and searches again, per project, only the origins whose fastest
        paths use that project's links (:class:`corridor.paths.rescore.LeaveOut`):
        a thousand projects take seconds. Others are scored one by one.

        Parameters
        ----------
        progress
            Called with the number of projects done after each one.
        """
        effects = {p.id: self.effect(p, portfolio) for p in ordered_projects(portfolio)}
        # on road arrays (an island's roads) a full search per project costs minutes; re-scoring, a fraction of a second
        if self.arrays is not None or not all(e.only_improves for e in effects.values()):
            return self._marginals_one_by_one(portfolio, progress)
        _, new_centroids = self._centroids_after(list(effects.values()))
        leave_out = self._leave_outs(effects, new_centroids)
        out: dict[str, dict[str, float]] = {}
        for done, project in enumerate(portfolio.projects, 1):
            out[project.id] = self._summary_left_out(portfolio, project.id, effects, new_centroids, leave_out)
            if progress:
                progress(done)
        return out

    def _marginals_one_by_one(
        self, portfolio: Portfolio, progress: Callable[[int], None] | None
    ) -> dict[str, dict[str, float]]:
        """For each project, the summary of the portfolio without it (and what requires it), each scored whole."""
        out: dict[str, dict[str, float]] = {}
        for done, project in enumerate(portfolio.projects, 1):
            out[project.id] = self.summary(portfolio.without(project.id))
            if progress:
                progress(done)
        return out

    def _leave_outs(self, effects: dict[str, Effect], new_centroids: list[Any]) -> dict[str, LeaveOut]:
        """Per mode, the full search of the portfolio, its links grouped by project so that any can be left out."""
        leave_out = {}
        for m in self.modes:
            delta, indices = self.compiled[m].delta(list(effects.values()))
            groups = [_indexed(effect.better.get(m, ()), indices) for effect in effects.values()]
            rows, cols = _rows_and_columns(self._sources[m], self._targets[m], indices, new_centroids)
            leave_out[m] = LeaveOut(self.compiled[m], groups, delta.new_nodes, rows, cols)
        return leave_out

    def _summary_left_out(
        self,
        portfolio: Portfolio,
        project_id: str,
        effects: dict[str, Effect],
        new_centroids: list[Any],
        leave_out: dict[str, LeaveOut],
    ) -> dict[str, float]:
        """The summary of the portfolio without a project and what requires it, from searches that leave them out."""
        order = list(effects)
        dropped = {p.id for p in portfolio.projects} - set(portfolio.without(project_id).ids)
        left_out = [order.index(pid) for pid in dropped]
        kept_nodes, _ = self._centroids_after([effects[pid] for pid in order if pid not in dropped])
        owner = {n: pid for pid in order for n, _ in effects[pid].nodes}
        k = len(self.centroids)
        keep = list(range(k)) + [k + i for i, n in enumerate(new_centroids) if owner.get(n) not in dropped]
        times = {}
        for m in self.modes:
            matrix = leave_out[m].without(left_out)[np.ix_(keep, keep)]
            np.fill_diagonal(matrix, 0.0)  # rows and columns are the same places
            times[m] = matrix
        return summary_from_matrices(kept_nodes, times, self.settings)


def _indexed(arcs: Iterable[Arc], indices: Indices) -> list[tuple[int, int, float]]:
    """Arcs as (tail, head, seconds) in a compiled network's index space (public transport copies where marked)."""
    return [(indices.out(a.u, pt=a.tail_pt), indices.into(a.v, pt=a.head_pt), a.time_s) for a in arcs]


def _rows_and_columns(
    sources: np.ndarray, targets: np.ndarray, indices: Indices, extra: list[Any]
) -> tuple[np.ndarray, np.ndarray]:
    """A matrix's rows and columns as indices: the base centroids' ``sources`` and ``targets``, then ``extra``'s."""
    rows = np.concatenate([sources, [indices.out(n) for n in extra]]).astype(np.int64)
    cols = np.concatenate([targets, [indices.into(n) for n in extra]]).astype(np.int64)
    return rows, cols


def _without(
    compiled: CompiledNetwork, worse: Sequence[tuple[int, int, float]], slower: Sequence[tuple[int, int, float]]
) -> CompiledNetwork:
    """The compiled network with arcs removed (``worse``: their old times) and slowed (``slower``: their new times).

    Between two indices the fastest of the arcs that remain counts: an arc
    that hid a parallel one (:attr:`~corridor.paths.engine.CompiledNetwork.parallel`)
    gives way to it when removed.
    """
    if not worse and not slower:
        return compiled
    if compiled.parallel is not None:
        p_tail, p_head, p_weight = compiled.parallel
    else:
        p_tail = p_head = np.empty(0, dtype=np.int64)
        p_weight = np.empty(0)
    left: dict[tuple[int, int], list[float]] = {}

    def arcs(t: int, h: int) -> list[float] | None:
        if (t, h) not in left:
            try:
                pos = compiled.arc(t, h)
            except (KeyError, IndexError):
                return None
            hidden = p_weight[(p_tail == t) & (p_head == h)].tolist()
            left[(t, h)] = [float(compiled.weight[pos]), *hidden]
        return left[(t, h)]

    for t, h, old in worse:
        if t >= compiled.n or h >= compiled.n or (remaining := arcs(t, h)) is None:
            continue
        gone = float(whole_ms(old))
        remaining.remove(min(remaining, key=lambda w: abs(w - gone)))
    for t, h, new in slower:
        if t < compiled.n and h < compiled.n and (remaining := arcs(t, h)) is not None:
            remaining.append(float(whole_ms(new)))
    positions = np.array([compiled.arc(t, h) for t, h in left], dtype=np.int64)
    weights = np.array([min(w) if w else math.inf for w in left.values()])
    return compiled.reweighted(positions, weights)


def _arcs_within(part: CompiledNetwork, whole: CompiledNetwork) -> bool:
    """Whether every arc of ``part`` is in ``whole``, between the same places, at no more time.

    Then no trip is faster on ``part`` than on ``whole``.
    """
    if not len(part.tail):
        return True
    if _same_numbering(part, whole):
        tails, heads = part.tail, part.head
    else:
        used = np.unique(np.concatenate([part.tail, part.head])).tolist()
        try:
            out_map = {i: whole.out_index[part.nodes[i]] for i in used}
            in_map = {i: whole.in_index[part.nodes[i]] for i in used}
        except KeyError:
            return False
        # an index is where paths leave a node or where they enter it: take the matching one of whole's
        tails = np.array([out_map[i] for i in part.tail.tolist()], dtype=np.int64)
        heads = np.array([in_map[i] for i in part.head.tolist()], dtype=np.int64)
    keys = whole.tail.astype(np.int64) * whole.n + whole.head  # whole's arcs are sorted by (tail, head)
    wanted = tails.astype(np.int64) * whole.n + heads
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return bool(((keys[at] == wanted) & (whole.weight[at] <= part.weight)).all())


def _same_numbering(part: CompiledNetwork, whole: CompiledNetwork) -> bool:
    """Whether ``part``'s indices mean the same nodes in ``whole`` (two modes compiled from the same road arrays)."""
    a, b = part.out_index, whole.out_index
    c, d = part.in_index, whole.in_index
    return (
        isinstance(a, NodeIndex)
        and isinstance(b, NodeIndex)
        and isinstance(c, NodeIndex)
        and isinstance(d, NodeIndex)
        and a.junctions is b.junctions is not None
        and a.offset == b.offset
        and a.others == b.others
        and c.others == d.others
    )

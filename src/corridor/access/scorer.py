"""Scoring portfolios against the base network, comparing them, and each project's share.

:class:`PortfolioScorer` is the seam that every sweep goes through (comparison,
marginal contributions, and the appraisal, optimiser and workers built on
them): its calls :meth:`~PortfolioScorer.matrices`,
:meth:`~PortfolioScorer.metrics` and :meth:`~PortfolioScorer.summary` are pure
(the same portfolio always gives the same answer) and the scorer pickles, so a
worker process or a cluster node can hold one.

:func:`score` applies a portfolio, computes the scenario's metrics and the
gains over the base, and the marginal contribution of each project (the gain
lost when it alone is left out) and its Shapley value (its average
contribution over every order in which the portfolio could be built, see
:func:`shapley`). :func:`compare` puts several portfolios in one table, best
per column marked.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import networkx as nx
import numpy as np
import pandas as pd

from corridor._version import __version__
from corridor.access.metrics import (
    HEADLINES,
    OD_MODES,
    RELATIVE_KEYS,
    SUMMARY_LABELS,
    Layout,
    Metrics,
    layout_of,
    metrics_from_matrices,
    summary_from_matrices,
)
from corridor.access.modelled import ModelComparison, compare_model
from corridor.errors import PortfolioError
from corridor.inputs.projects import Portfolio, Project, requirement_masks
from corridor.inputs.region import Region
from corridor.model.loop import ModelRun
from corridor.network.build import CENTROID_KINDS, centroids
from corridor.network.scenario import Effect, Scenario, apply_portfolio, ordered_projects
from corridor.paths.array_network import ArrayNetwork, NodeIndex
from corridor.paths.cache import DiskCache
from corridor.paths.engine import (
    CompiledNetwork,
    Delta,
    EndpointCache,
    Indices,
    LeaveOut,
    compile_network,
    distances,
    rescore,
    resolve_backend,
    travel_times,
    whole_ms,
)
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

#: up to this many projects, Shapley values are exact: every coalition is scored
SHAPLEY_EXACT_MAX = 15
#: above that, this many random build orders are sampled
SHAPLEY_PERMUTATIONS = 200
#: :func:`score` works out Shapley values on its own up to this many projects (exactly)
SHAPLEY_AUTO_MAX = 12
#: the Shapley column of the marginal table: each project's share of the change in market access to jobs
SHAPLEY_COLUMN = "shapley_market_access_jobs_pct"

#: scores many portfolios at once, in their order (in-process, or through a runner of :mod:`corridor.parallel`)
SummaryMap = Callable[[Sequence[Portfolio]], list[dict[str, float]]]

__all__ = [
    "SHAPLEY_COLUMN",
    "PortfolioScorer",
    "ScenarioMatrices",
    "ScoreResult",
    "ShapleyResult",
    "SummaryMap",
    "best_marks",
    "compare",
    "gains",
    "no_effect",
    "score",
    "shapley",
]


def gains(base: dict[str, float], scenario: dict[str, float]) -> dict[str, float]:
    """Scenario minus base for each summary key; market access as a fraction of the base."""
    out = {}
    for key in SUMMARY_LABELS:
        b, s = base.get(key, math.nan), scenario.get(key, math.nan)
        out[key] = (s - b) / b if key in RELATIVE_KEYS and b else s - b
    return out


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
    what it requires), and its :class:`~corridor.network.scenario.Effect` is kept; a
    portfolio's matrices then come from :func:`corridor.paths.engine.rescore` on
    the union of its projects' effects, never from a new search of the whole
    network. Portfolios that remove or slow links are applied and searched
    again.

    On a network whose roads are arrays (:class:`~corridor.paths.array_network.ArrayNetwork`,
    an island's roads) no graph of the roads is ever built: the compiled
    networks come from the arrays, each project is applied to the small
    graph of places and rail lines with the roads as its
    :class:`~corridor.network.scenario.RoadSource`, and a portfolio that removes or
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
        self.compiled: dict[str, CompiledNetwork] = {m: self._compile(m, disk) for m in self.modes}
        if disk is not None and self.backend == "cch":
            for c in self.compiled.values():
                c.cch_order = disk.cch_order(c)
        self.centroids = centroids(G)
        self.base_nodes = [dict(G.nodes[n]) for n in self.centroids]
        self._base_copies = [dict(d) for d in self.base_nodes]  # what scenarios share of the base nodes
        self._position = {n: i for i, n in enumerate(self.centroids)}
        search = disk.travel_times if disk is not None else travel_times
        self.base_times_s = {
            m: search(
                self.compiled[m],
                self.centroids,
                self.centroids,
                backend=self.backend,
                workers=self.settings.engine_workers,
            )
            for m in self.modes
        }
        self._sources = {m: np.array([c.out_index[n] for n in self.centroids]) for m, c in self.compiled.items()}
        self._targets = {m: np.array([c.in_index[n] for n in self.centroids]) for m, c in self.compiled.items()}
        self._caches = {
            m: EndpointCache(c, self._sources[m], self._targets[m], backend=self.backend)
            for m, c in self.compiled.items()
        }
        # the summary reads road and rail times among gateways and economic zones only
        self._place_positions = np.array(
            [i for i, d in enumerate(self.base_nodes) if d.get("kind") in PLACE_KINDS], dtype=np.int64
        )
        self._place_caches = {
            m: EndpointCache(
                c,
                self._sources[m][self._place_positions],
                self._targets[m][self._place_positions],
                backend=self.backend,
            )
            for m, c in self.compiled.items()
            if m not in ZONE_MODES
        }
        # a mode whose every trip the summary mode makes as fast (the car layer of mode any holds every road
        # link at its time): the summary's best of modes needs no search of it
        self._dominated = {
            m: _arcs_within(c, self.compiled[SUMMARY_MODE]) for m, c in self.compiled.items() if m not in ZONE_MODES
        }
        self._effects: dict[tuple[str, str, tuple[str, ...]], Effect] = {}
        self._effect_within: dict[tuple[str, int], bool] = {}
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

    def _rows_and_columns(self, mode: str, indices: Indices, new_centroids: list[Any]) -> tuple[np.ndarray, np.ndarray]:
        rows = np.concatenate([self._sources[mode], [indices.out(n) for n in new_centroids]]).astype(np.int64)
        cols = np.concatenate([self._targets[mode], [indices.into(n) for n in new_centroids]]).astype(np.int64)
        return rows, cols

    def matrices(self, portfolio: Portfolio) -> ScenarioMatrices:
        """The travel times among the scenario's centroids, by mode."""
        m = self._matrices(portfolio, full=True)
        return ScenarioMatrices([dict(d) for d in m.nodes], m.times_s, m.method)

    def _matrices(self, portfolio: Portfolio, *, full: bool, effects: list[Effect] | None = None) -> ScenarioMatrices:
        """The scenario's matrices; with ``full`` False, only what :meth:`summary` reads.

        The summary reads every pair of the :data:`ZONE_MODES` but, of the
        road and rail modes, only the pairs among gateways and economic zones,
        through the best of modes: those are worked out and the other cells
        left ``inf``, and a mode that mode ``any`` provably covers is not
        searched at all (its matrix stands in). A mode no project changes is
        the base matrix itself (not a copy) when ``full`` is False.
        ``effects`` are the portfolio's, in application order, when known.
        """
        if effects is None:
            effects = [self.effect(p, portfolio) for p in ordered_projects(portfolio)]
        if not all(e.only_improves for e in effects):
            return self._recomputed(portfolio)
        nodes, new_centroids = self._centroids_after(effects)
        k = len(self.centroids)
        size = k + len(new_centroids)
        times = {}
        skipped = []
        for m in self.modes:
            if not full and m not in ZONE_MODES and self._within(m, effects):
                skipped.append(m)  # the summary takes the best of modes, and this one is never the best
                continue
            delta, indices = self.compiled[m].delta(effects)
            if not delta.better and not new_centroids:
                times[m] = self.base_times_s[m].copy() if full else self.base_times_s[m]
                continue
            if full or m in ZONE_MODES:
                base_pos = np.arange(k)
                new_pos = list(range(len(new_centroids)))
                cache = self._caches[m]
            else:
                base_pos = self._place_positions
                new_pos = [i for i, n in enumerate(new_centroids) if nodes[k + i].get("kind") in PLACE_KINDS]
                cache = self._place_caches[m]
            extra = [new_centroids[i] for i in new_pos]
            sources, targets = self._sources[m][base_pos], self._targets[m][base_pos]
            endpoints = {a for a, _, _ in delta.better} | {b for _, b, _ in delta.better}
            if len(endpoints) > RESCORE_MAX_ENDPOINTS:
                # many changed links: one search on the changed arrays beats the endpoints' all-pairs step
                rows = np.concatenate([sources, [indices.out(n) for n in extra]]).astype(np.int64)
                cols = np.concatenate([targets, [indices.into(n) for n in extra]]).astype(np.int64)
                sub = LeaveOut(self.compiled[m], [delta.better], delta.new_nodes, rows, cols).full
                np.fill_diagonal(sub, 0.0)  # rows and columns are the same places
            else:
                sub = rescore(
                    self.compiled[m],
                    self.base_times_s[m][np.ix_(base_pos, base_pos)] if len(base_pos) < k else self.base_times_s[m],
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
            if len(base_pos) == k and len(new_pos) == len(new_centroids):
                times[m] = sub
            else:
                at = np.concatenate([base_pos, k + np.asarray(new_pos, dtype=np.int64)]).astype(np.int64)
                matrix = np.full((size, size), math.inf)
                matrix[np.ix_(at, at)] = sub
                times[m] = matrix
        for m in skipped:
            times[m] = times[SUMMARY_MODE]
        return ScenarioMatrices(nodes, times, "rescored")

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
        re-scored exactly on top (:func:`corridor.paths.engine.rescore`).
        """
        scenario = apply_portfolio(self.G, portfolio, settings=self.settings, region=self.region, roads=self.arrays)
        effect = scenario.net_effect()
        nodes, new_centroids = self._centroids_after([effect])
        times = {}
        for m in self.modes:
            compiled = self.compiled[m]
            delta, indices = compiled.delta([effect])
            slower = [
                (indices.out(a.u, pt=a.tail_pt), indices.into(a.v, pt=a.head_pt), a.time_s)
                for a in effect.slower.get(m, ())
            ]
            worse = [(t, h, a.time_s) for (t, h), a in zip(delta.worse, effect.worse.get(m, ()), strict=True)]
            changed = _without(compiled, worse, slower)
            sources, targets = self._sources[m], self._targets[m]
            base = distances(changed, sources, targets, backend=self.backend, workers=self.settings.engine_workers)
            extra = new_centroids
            rows, cols = self._rows_and_columns(m, indices, extra)
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

    def summary(self, portfolio: Portfolio) -> dict[str, float]:
        """Only the headline numbers of :meth:`metrics` (what a sweep needs), without building frames."""
        effects = [self.effect(p, portfolio) for p in ordered_projects(portfolio)]
        m = self._matrices(portfolio, full=False, effects=effects)
        layout = self._layout(effects, m.nodes) if m.method == "rescored" else None
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
        for m, compiled in self.compiled.items():
            _, indices = compiled.delta(effects)
            ends = {
                x
                for e in effects
                for a in e.better.get(m, ())
                for x in (indices.out(a.u, pt=a.tail_pt), indices.into(a.v, pt=a.head_pt))
            }
            base_ends = [x for x in ends if x < compiled.n]
            self._caches[m].prepare(base_ends)
            if m in self._place_caches:
                self._place_caches[m].prepare(base_ends)

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
        paths use that project's links (:class:`corridor.paths.engine.LeaveOut`):
        a thousand projects take seconds. Others are scored one by one.

        Parameters
        ----------
        progress
            Called with the number of projects done after each one.
        """
        projects = list(portfolio.projects)
        effects = {p.id: self.effect(p, portfolio) for p in ordered_projects(portfolio)}
        out: dict[str, dict[str, float]] = {}
        # on road arrays (an island's roads) a full search per project costs minutes; re-scoring, a fraction of a second
        if self.arrays is not None or not all(e.only_improves for e in effects.values()):
            for done, project in enumerate(projects, 1):
                out[project.id] = self.summary(portfolio.without(project.id))
                if progress:
                    progress(done)
            return out
        order = list(effects)
        _, new_centroids = self._centroids_after(list(effects.values()))
        k = len(self.centroids)
        leave_out = {}
        for m in self.modes:
            delta, indices = self.compiled[m].delta(list(effects.values()))
            groups = [
                [
                    (indices.out(a.u, pt=a.tail_pt), indices.into(a.v, pt=a.head_pt), a.time_s)
                    for a in effects[pid].better.get(m, ())
                ]
                for pid in order
            ]
            rows, cols = self._rows_and_columns(m, indices, new_centroids)
            leave_out[m] = LeaveOut(self.compiled[m], groups, delta.new_nodes, rows, cols)
        owner = {n: pid for pid in order for n, _ in effects[pid].nodes}
        for done, project in enumerate(projects, 1):
            dropped = {p.id for p in portfolio.projects} - set(portfolio.without(project.id).ids)
            left_out = [order.index(pid) for pid in dropped]
            kept_nodes, _ = self._centroids_after([effects[pid] for pid in order if pid not in dropped])
            keep = list(range(k)) + [k + i for i, n in enumerate(new_centroids) if owner.get(n) not in dropped]
            times = {}
            for m in self.modes:
                matrix = leave_out[m].without(left_out)[np.ix_(keep, keep)]
                np.fill_diagonal(matrix, 0.0)  # rows and columns are the same places
                times[m] = matrix
            out[project.id] = summary_from_matrices(kept_nodes, times, self.settings)
            if progress:
                progress(done)
        return out


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


# ------------------------------------------------------------------ results


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
    >>> from corridor.inputs.projects import load_catalog, portfolio_from_ids
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
        with _progress(len(portfolio.projects), "marginal contributions", enabled=progress) as advance:
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


@contextmanager
def _progress(total: int, what: str, *, enabled: bool | None) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr, when asked or when the run is long and stderr is a terminal."""
    from rich.console import Console
    from rich.progress import Progress

    console = Console(stderr=True)
    show = enabled if enabled is not None else (total > 20 and console.is_terminal)
    if not show:
        yield None
        return
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(what, total=total)
        yield lambda done: bar.update(task, completed=done)


# ------------------------------------------------------------------ Shapley values


@dataclass
class ShapleyResult:
    """Each project's Shapley value: its share of the portfolio's gain, fairly split.

    A project's Shapley value is its marginal contribution averaged over
    every order in which the portfolio's projects could be built; the values
    add up to the whole portfolio's gain (efficiency), two projects that do
    the same get the same (symmetry), and a project that changes nothing
    gets zero (null player). A project counts only once what it requires is
    built: in an order that builds it first, it adds its value when its
    requirement arrives.

    Attributes
    ----------
    values
        Project x headline column (see :data:`corridor.access.metrics.HEADLINES`):
        the project's share of each change, in the column's unit (NaN for a
        headline that some set of the projects makes infinite, such as a
        mean time when a place is cut off).
    std_error
        The same shape: the standard error of each sampled value (zeros when
        exact).
    method
        ``exact`` (every coalition scored) or ``sampled`` (random build
        orders).
    permutations
        How many orders were sampled (None when exact).
    coalitions
        How many distinct sets of projects were scored.
    """

    values: pd.DataFrame
    std_error: pd.DataFrame
    method: Literal["exact", "sampled"]
    permutations: int | None
    coalitions: int
    seed: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: method, permutations, and per project its value and standard error per column."""
        rows = []
        for pid in self.values.index:
            rows.append(
                {
                    "project": pid,
                    **{c: _finite(self.values.at[pid, c]) for c in self.values.columns},
                    "std_error": {c: _finite(self.std_error.at[pid, c]) for c in self.std_error.columns},
                }
            )
        return {
            "method": self.method,
            "permutations": self.permutations,
            "seed": self.seed,
            "coalitions": self.coalitions,
            "values": rows,
        }


def _finite(x: Any) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _in_process(scorer: PortfolioScorer, progress: bool | None) -> SummaryMap:
    def run(portfolios: Sequence[Portfolio]) -> list[dict[str, float]]:
        out = []
        with _progress(len(portfolios), "Shapley coalitions", enabled=progress) as advance:
            for done, p in enumerate(portfolios, 1):
                out.append(scorer.summary(p))
                if advance:
                    advance(done)
        return out

    return run


def shapley(
    scorer: PortfolioScorer,
    portfolio: Portfolio,
    *,
    exact_max: int = SHAPLEY_EXACT_MAX,
    permutations: int = SHAPLEY_PERMUTATIONS,
    seed: int = 0,
    summaries: SummaryMap | None = None,
    progress: bool | None = None,
) -> ShapleyResult:
    """Each project's Shapley value on every headline: exact up to ``exact_max`` projects, sampled above.

    The value of a set of the portfolio's projects is the gain of building
    those of them whose requirements are in the set (scored whole by the
    scorer, interactions included). Up to ``exact_max`` projects, every
    set is scored and the values are exact. Above, ``permutations`` random
    build orders (seeded) are scored along; each value is the mean of the
    project's marginal contributions and carries its standard error (their
    standard deviation over the square root of the number of orders). Sampled
    or exact, the values of a portfolio add up to its whole gain.

    Parameters
    ----------
    scorer
        The base network's scorer.
    portfolio
        The projects to share the gain among.
    exact_max
        The most projects for exact values.
    permutations
        Orders sampled above ``exact_max``.
    seed
        Seed of the sampled orders.
    summaries
        Scores many portfolios at once (in-process when None); results are
        the same whoever scores them.
    progress
        Show a progress bar (None: when stderr is a terminal and there are
        many coalitions).

    Examples
    --------
    >>> from corridor import load_region, build_network, load_catalog, portfolio_from_ids
    >>> region = load_region("luzon")
    >>> scorer = PortfolioScorer(build_network(region), region=region)
    >>> p = portfolio_from_ids(["bauan_terminal", "bcib", "subic_port_expansion"], load_catalog(region.path))
    >>> shares = shapley(scorer, p)
    >>> float(shares.values.loc["subic_port_expansion", "d_to_seaport_min"])
    0.0
    """
    summaries = summaries or _in_process(scorer, progress)
    projects = list(portfolio.projects)
    n = len(projects)
    columns = [h for h in HEADLINES if h.key is not None]
    needs = requirement_masks(projects)

    def buildable(mask: int) -> int:
        return sum(1 << i for i in range(n) if mask >> i & 1 and needs[i] & ~mask == 0)

    def values_of(masks: Iterable[int]) -> tuple[dict[int, np.ndarray], int]:
        """Each set's headline changes, and how many distinct sets were scored."""
        reduced = {m: buildable(m) for m in masks}
        unique = sorted(set(reduced.values()) - {0})
        chosen = [
            Portfolio(
                name=f"{portfolio.name} coalition", projects=tuple(q for i, q in enumerate(projects) if m >> i & 1)
            )
            for m in unique
        ]
        scored = dict(zip(unique, summaries(chosen), strict=True))
        out = {}
        for m, r in reduced.items():
            if r == 0:
                out[m] = np.zeros(len(columns))
            else:
                change = gains(scorer.base.summary, scored[r])
                out[m] = np.array([change[h.key] * h.scale for h in columns])  # type: ignore[index]
        return out, len(unique)

    labels = [p.id for p in projects]
    names = [h.column for h in columns]
    if n <= exact_max:
        masks = np.arange(1 << n)
        v, scored = values_of(range(1 << n))
        V = np.array([v[m] for m in range(1 << n)])
        size = np.array([bin(m).count("1") for m in range(1 << n)])
        weight = np.array([math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n) for k in range(n)])
        phi = np.zeros((n, len(columns)))
        with np.errstate(invalid="ignore"):  # a headline infinite for some set (a place cut off) has no value
            for i in range(n):
                without = masks[(masks >> i) & 1 == 0]
                phi[i] = (weight[size[without]][:, None] * (V[without | 1 << i] - V[without])).sum(axis=0)
        values = pd.DataFrame(phi, index=pd.Index(labels, name="project"), columns=names)
        std = pd.DataFrame(0.0, index=values.index, columns=names)
        return ShapleyResult(values, std, "exact", None, scored, None)
    rng = np.random.default_rng(seed)
    orders = [rng.permutation(n) for _ in range(permutations)]
    chains = [[sum(1 << int(j) for j in order[:k]) for k in range(n + 1)] for order in orders]
    v, scored = values_of({m for chain in chains for m in chain})
    marginal = np.zeros((permutations, n, len(columns)))
    with np.errstate(invalid="ignore"):  # a headline infinite for some set (a place cut off) has no value
        for t, (order, chain) in enumerate(zip(orders, chains, strict=True)):
            for k, j in enumerate(order):
                marginal[t, j] = v[chain[k + 1]] - v[chain[k]]
        phi = marginal.mean(axis=0)
        se = marginal.std(axis=0, ddof=1) / math.sqrt(permutations) if permutations > 1 else np.full_like(phi, math.nan)
    index = pd.Index(labels, name="project")
    return ShapleyResult(
        pd.DataFrame(phi, index=index, columns=names),
        pd.DataFrame(se, index=index, columns=names),
        "sampled",
        permutations,
        scored,
        seed,
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

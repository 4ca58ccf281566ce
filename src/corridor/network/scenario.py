"""Scenarios: the base network with a portfolio's edits applied to a copy.

Projects are applied in the portfolio's order, except that a project always
comes after the projects it requires; each project's edits in their order.
Each edit is applied by :mod:`corridor.network.edits`, and every change is
logged as a typed change (:mod:`corridor.network.changes`), so
:meth:`Scenario.revert` undoes them exactly and :meth:`Scenario.effect` tells
what one project did to travel times, in graph terms, for
:mod:`corridor.paths.engine` to replay on a compiled network. The base graph is
never touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import networkx as nx

from corridor.errors import ScenarioError
from corridor.inputs.projects import Portfolio, Project
from corridor.inputs.region import Region
from corridor.network.build import (
    MODES,
    any_layers,
    edge_in_mode,
)
from corridor.network.changes import (
    MISSING,
    Arc,
    Change,
    ChangeLog,
    EdgeAdded,
    EdgeChanged,
    EdgeRemoved,
    Effect,
    NodeAdded,
    NodeChanged,
    NodeOp,
    RoadSource,
    restore,
)
from corridor.network.edges import Attrs, EdgeKey, Node
from corridor.network.edits import apply_edit
from corridor.settings import Settings

__all__ = [
    "Scenario",
    "apply_portfolio",
    "ordered_projects",
]

#: node attributes that projects add to rather than set
ADDITIVE = frozenset({"jobs", "population_added"})


@dataclass
class Scenario(ChangeLog):
    """A portfolio applied to a copy of the base network.

    Attributes
    ----------
    G
        The scenario graph.
    portfolio
        What was applied.
    log
        Every change, in order.
    applied
        The project ids, in the order they were applied.
    spans
        Per project, the slice of :attr:`log` it made.
    roads
        Where the road network lives when it is not in :attr:`G` (see
        :class:`~corridor.network.changes.RoadSource`); None when G holds it.
    road_arcs
        With :attr:`roads`: the base road arcs brought into G, by their
        position in the road source, and their edge keys.
    """

    portfolio: Portfolio = field(kw_only=True)
    applied: list[str] = field(default_factory=list)
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)
    _base_graph_attrs: Attrs = field(default_factory=dict, repr=False)

    def revert(self) -> nx.MultiDiGraph:
        """Undo every logged change, newest first; return the graph, now equal to the base."""
        for change in reversed(self.log):
            change.undo(self.G)
        self.log.clear()
        self.applied.clear()
        self.spans.clear()
        self.G.graph.clear()
        self.G.graph.update(self._base_graph_attrs)
        return self.G

    def apply(self, project: Project, *, settings: Settings, region: Region | None = None) -> None:
        """Apply one project's edits, in order, and log them as its span."""
        start = len(self.log)
        for index in range(len(project.edits)):
            apply_edit(self, project, index, settings=settings, region=region)
        self.applied.append(project.id)
        self.spans[project.id] = (start, len(self.log))

    def effect(self, project_id: str) -> Effect:
        """What one applied project changed, per mode, in graph node ids."""
        start, end = self.spans[project_id]
        G = self.G
        nodes: list[tuple[Node, Attrs]] = []
        arcs = _ModeArcs()
        ops: list[NodeOp] = []
        for change in self.log[start:end]:
            if isinstance(change, NodeAdded):
                nodes.append((change.node, dict(G.nodes[change.node])))
            elif isinstance(change, EdgeAdded):
                arcs.add("better", change.u, change.v, G.edges[change.u, change.v, change.key])
            elif isinstance(change, EdgeRemoved):
                arcs.add("worse", change.u, change.v, change.attrs)
            elif isinstance(change, EdgeChanged):
                arcs.add_changed(change, G.edges[change.u, change.v, change.key])
            else:
                ops += _node_ops(G, change)
        return arcs.effect(project_id, nodes, ops)

    def net_effect(self) -> Effect:
        """What every applied project changed together: the scenario against the base, per mode.

        Each edge is compared as it was before its first change and as it
        is now, so an edge that one project adds and another closes counts
        for nothing, and one upgraded twice counts once at its last speed.
        """
        G = self.G
        arcs = _ModeArcs()
        for (u, v, k), before in _first_states(G, self.log).items():
            arcs.add_compared(u, v, before, G.edges[u, v, k] if G.has_edge(u, v, k) else None)
        nodes = [(c.node, dict(G.nodes[c.node])) for c in self.log if isinstance(c, NodeAdded) and c.node in G]
        ops = [op for c in self.log if isinstance(c, NodeChanged) for op in _node_ops(G, c)]
        return arcs.effect(self.portfolio.name, nodes, ops)


def _first_states(G: nx.MultiDiGraph, log: list[Change]) -> dict[EdgeKey, Attrs | None]:
    """Each changed edge as it was before its first change (None: an edge the changes added), in change order."""
    first: dict[EdgeKey, Attrs | None] = {}
    for change in log:
        if not isinstance(change, EdgeAdded | EdgeRemoved | EdgeChanged):
            continue
        key = (change.u, change.v, change.key)
        if key in first:
            continue
        if isinstance(change, EdgeAdded):
            first[key] = None
        elif isinstance(change, EdgeRemoved):
            first[key] = dict(change.attrs)
        else:
            was = dict(G.edges[key]) if G.has_edge(*key) else {}
            restore(was, change.before)
            first[key] = was
    return first


class _ModeArcs:
    """Arcs made faster (or added), slower (or removed), and the slower ones' new times, per mode."""

    def __init__(self) -> None:
        self.better: dict[str, list[Arc]] = {m: [] for m in MODES}
        self.worse: dict[str, list[Arc]] = {m: [] for m in MODES}
        self.slower: dict[str, list[Arc]] = {m: [] for m in MODES}

    def add(self, kind: Literal["better", "worse"], u: Node, v: Node, data: Attrs) -> None:
        """Count an added or removed edge as ``better`` or ``worse`` at its travel time, in each mode that uses it."""
        found = self.better if kind == "better" else self.worse
        for m in MODES:
            if edge_in_mode(data, m):
                found[m] += _arcs(u, v, data, float(data["travel_time"]), m)

    def add_changed(self, change: EdgeChanged, data: Attrs) -> None:
        """Count an edge whose travel time a change made faster or slower (now ``data``); no other change counts."""
        before, after = change.before.get("travel_time", MISSING), data.get("travel_time")
        if before is MISSING or after is None or before == after:
            return
        for m in MODES:
            if not edge_in_mode(data, m):
                continue
            if after < before:
                self.better[m] += _arcs(change.u, change.v, data, float(after), m)
            else:
                self.worse[m] += _arcs(change.u, change.v, data, float(before), m)
                self.slower[m] += _arcs(change.u, change.v, data, float(after), m)

    def add_compared(self, u: Node, v: Node, before: Attrs | None, now: Attrs | None) -> None:
        """Count an edge as it was (None: absent) against as it is (None: gone), in each mode."""
        for m in MODES:
            old, new = _time_in_mode(before, m), _time_in_mode(now, m)
            if now is not None and new is not None and (old is None or new < old):
                self.better[m] += _arcs(u, v, now, new, m)
            elif before is not None and old is not None and (new is None or new > old):
                self.worse[m] += _arcs(u, v, before, old, m)
                if now is not None and new is not None:
                    self.slower[m] += _arcs(u, v, now, new, m)

    def effect(self, project_id: str, nodes: list[tuple[Node, Attrs]], ops: list[NodeOp]) -> Effect:
        """The :class:`Effect` of these arcs, new nodes and node changes."""
        return Effect(
            project_id,
            tuple(nodes),
            {m: tuple(a) for m, a in self.better.items()},
            {m: tuple(a) for m, a in self.worse.items()},
            tuple(ops),
            {m: tuple(a) for m, a in self.slower.items()},
        )


def _time_in_mode(data: Attrs | None, mode: str) -> float | None:
    """An edge's travel time (s) when it exists and ``mode`` uses it, else None."""
    return float(data["travel_time"]) if data is not None and edge_in_mode(data, mode) else None


def _node_ops(G: nx.MultiDiGraph, change: NodeChanged) -> list[NodeOp]:
    ops = []
    for attr, was in change.before.items():
        now = G.nodes[change.node].get(attr)
        if attr in ADDITIVE:
            ops.append(NodeOp(change.node, attr, (now or 0) - (0 if was is MISSING else (was or 0)), True))
        else:
            ops.append(NodeOp(change.node, attr, now, False))
    return ops


def _arcs(u: Node, v: Node, data: Attrs, time_s: float, mode: str) -> list[Arc]:
    """The arcs an edge makes in a mode: one, or one per layer in mode ``any``."""
    if mode not in {"any", "transit"}:
        return [Arc(u, v, time_s)]
    layers = any_layers(data)
    if mode == "transit" and len(layers) == 2:
        layers = layers[1:]  # public transport alone: no car layer
    return [Arc(u, v, time_s + extra, tail, head) for tail, head, extra in layers]


def ordered_projects(portfolio: Portfolio) -> list[Project]:
    """The portfolio's projects in application order: listed order, requirements first."""
    by_id = {p.id: p for p in portfolio.projects}
    done: list[Project] = []
    seen: set[str] = set()

    def visit(p: Project, path: tuple[str, ...]) -> None:
        if p.id in seen:
            return
        if p.id in path:
            raise ScenarioError(
                f"its requires form a cycle ({' -> '.join((*path, p.id))})",
                path=p.origin_path,
                line=p.origin_line,
                subject="project",
                id=p.id,
                field="requires",
            )
        for r in p.requires:
            if r in by_id:
                visit(by_id[r], (*path, p.id))
        seen.add(p.id)
        done.append(p)

    for p in portfolio.projects:
        visit(p, ())
    return done


def apply_portfolio(
    G: nx.MultiDiGraph,
    portfolio: Portfolio,
    *,
    settings: Settings | None = None,
    region: Region | None = None,
    roads: RoadSource | None = None,
) -> Scenario:
    """Apply a portfolio's edits to a copy of ``G``.

    Parameters
    ----------
    G
        The base network; it is copied, never changed.
    portfolio
        The projects to apply.
    settings
        Speeds and access parameters for new links; defaults when None.
    region
        The region pack, needed by ``open`` edits (links of the pack that do
        not operate in the base year).
    roads
        The road network, when G holds only the places, rail lines and
        connectors (see :class:`RoadSource`); the junctions and links the
        edits touch are brought into the copy.

    Raises
    ------
    ScenarioError
        An edit names a place or link that does not exist, or cannot be
        applied; the error names the project's file and line, the project,
        the edit and the bad value.
    """
    settings = settings or Settings()
    scenario = Scenario(G.copy(), portfolio=portfolio, roads=roads)
    scenario._base_graph_attrs = dict(G.graph)
    scenario.G.graph["provenance"] = {**G.graph.get("provenance", {}), **portfolio.provenance()}
    scenario.G.graph["scenario"] = portfolio.name
    scenario.junction_index()  # before any edit: new lines join the base network only
    for project in ordered_projects(portfolio):
        scenario.apply(project, settings=settings, region=region)
    return scenario

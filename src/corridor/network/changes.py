"""Typed changes of a graph, logged so that they can be undone exactly and read back as effects.

A :class:`ChangeLog` holds a graph and logs every change made through it as a
typed :data:`Change` (:class:`NodeAdded`, :class:`EdgeAdded`,
:class:`EdgeRemoved`, :class:`EdgeChanged`, :class:`NodeChanged`); an
:class:`Effect` says what changes did to travel times in graph terms
(:class:`Arc`, :class:`NodeOp`), for :mod:`corridor.paths.engine` to replay on
a compiled network. Roads may live outside the graph (:class:`RoadSource`:
an island's road arrays), brought in as edits need them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import networkx as nx

from corridor.network.build import junction_tree
from corridor.network.edges import Attrs, EdgeKey, Node

if TYPE_CHECKING:
    from scipy.spatial import cKDTree

__all__ = [
    "MISSING",
    "restore",
    "ChangeLog",
    "Arc",
    "Change",
    "EdgeAdded",
    "EdgeChanged",
    "EdgeRemoved",
    "Effect",
    "NodeAdded",
    "NodeChanged",
    "NodeOp",
    "RoadSource",
]


class _Missing:
    """An attribute that was not there before a change."""

    def __repr__(self) -> str:
        return "MISSING"

    def __reduce__(self) -> str:
        return "MISSING"


MISSING = _Missing()


def restore(data: Attrs, before: Attrs) -> None:
    for k, v in before.items():
        if v is MISSING:
            data.pop(k, None)
        else:
            data[k] = v


@dataclass(frozen=True)
class NodeAdded:
    """A node a project added."""

    node: Node

    def undo(self, G: nx.MultiDiGraph) -> None:
        G.remove_node(self.node)


@dataclass(frozen=True)
class EdgeAdded:
    """An edge a project added."""

    u: Node
    v: Node
    key: int

    def undo(self, G: nx.MultiDiGraph) -> None:
        G.remove_edge(self.u, self.v, self.key)


@dataclass(frozen=True)
class EdgeRemoved:
    """An edge a project removed, with its attributes."""

    u: Node
    v: Node
    key: int
    attrs: Attrs

    def undo(self, G: nx.MultiDiGraph) -> None:
        G.add_edge(self.u, self.v, key=self.key, **self.attrs)


@dataclass(frozen=True)
class EdgeChanged:
    """An edge whose attributes a project changed; ``before`` holds their old values (or MISSING)."""

    u: Node
    v: Node
    key: int
    before: Attrs

    def undo(self, G: nx.MultiDiGraph) -> None:
        restore(G.edges[self.u, self.v, self.key], self.before)


@dataclass(frozen=True)
class NodeChanged:
    """A node whose attributes a project changed; ``before`` holds their old values (or MISSING)."""

    node: Node
    before: Attrs

    def undo(self, G: nx.MultiDiGraph) -> None:
        restore(G.nodes[self.node], self.before)


Change = NodeAdded | EdgeAdded | EdgeRemoved | EdgeChanged | NodeChanged


@dataclass(frozen=True)
class Arc:
    """A directed link in graph node ids and its travel time (s).

    In mode ``any``, ``tail_pt`` and ``head_pt`` say whether the arc leaves
    from and arrives on the public transport layer of the road network (see
    :func:`corridor.network.build.any_layers`).
    """

    u: Node
    v: Node
    time_s: float
    tail_pt: bool = False
    head_pt: bool = False


@dataclass(frozen=True)
class NodeOp:
    """A change of a node attribute: ``value`` is added to it when ``additive``, else it replaces it."""

    node: Node
    attr: str
    value: Any
    additive: bool


@dataclass(frozen=True)
class Effect:
    """What one project did to the network, in graph terms: enough to replay it on the compiled base.

    Attributes
    ----------
    project_id
        The project.
    nodes
        New nodes and their attributes, in the order they were added.
    better
        Per mode, arcs added or made faster, with their new time.
    worse
        Per mode, arcs removed or made slower, with their old time.
    node_ops
        Changes of node attributes (jobs, residents, gateway capacity, ...).
    slower
        Per mode, the arcs of :attr:`worse` that are still there, with their
        new (longer) time.
    """

    project_id: str
    nodes: tuple[tuple[Node, Attrs], ...]
    better: dict[str, tuple[Arc, ...]]
    worse: dict[str, tuple[Arc, ...]]
    node_ops: tuple[NodeOp, ...]
    slower: dict[str, tuple[Arc, ...]] = field(default_factory=dict)

    @property
    def only_improves(self) -> bool:
        """True when no arc got slower or was removed."""
        return not any(self.worse.values())


class RoadSource(Protocol):
    """Roads kept outside the scenario's graph (an island's road arrays), brought into it as edits need them.

    The graph then holds the places, rail lines and connectors, and only
    the junctions and road links that an edit touches: a junction a new
    link snaps to, a link an upgrade or a closure selects. They enter as
    base network (not logged), so a revert keeps them.
    """

    def junction_index(self) -> tuple[cKDTree, Sequence[Node]]:
        """A KD-tree (EPSG:32651) of every road junction, and the junctions in its order."""
        ...

    def is_junction(self, node: Node) -> bool:
        """Whether ``node`` is a road junction of the base network."""
        ...

    def add_junction(self, G: nx.MultiDiGraph, node: Node) -> None:
        """Put a road junction into G (with its ``x``, ``y`` and ``kind``) when it is not there yet."""
        ...

    def add_links(self, scenario: ChangeLog, link_ids: Sequence[str]) -> dict[str, list[EdgeKey]]:
        """Put the base road links of these ids into the scenario's graph; their edge keys by link id found."""
        ...

    def road_route(self, scenario: ChangeLog, a: Node, b: Node) -> list[str] | None:
        """The road link ids of the fastest road route from a to b in the scenario as it stands, or None."""
        ...


@dataclass
class ChangeLog:
    """A graph whose every change is logged, to be undone exactly or read back as an :class:`Effect`.

    Attributes
    ----------
    G
        The graph.
    log
        Every change, in order.
    roads
        Where the road network lives when it is not in :attr:`G` (see
        :class:`RoadSource`); None when G holds it.
    road_arcs
        With :attr:`roads`: the base road arcs brought into G, by their
        position in the road source, and their edge keys.
    """

    G: nx.MultiDiGraph
    log: list[Change] = field(default_factory=list)
    roads: RoadSource | None = field(default=None, repr=False)
    road_arcs: dict[int, EdgeKey] = field(default_factory=dict, repr=False)
    _junctions: tuple[cKDTree, Sequence[Node]] | None = field(default=None, repr=False)
    _junction_set: frozenset[Node] | None = field(default=None, repr=False)

    @property
    def changed_edges(self) -> list[EdgeKey]:
        """Edges added, or whose travel time changed, as (u, v, key)."""
        out: list[EdgeKey] = []
        for change in self.log:
            if isinstance(change, EdgeAdded):
                out.append((change.u, change.v, change.key))
            elif isinstance(change, EdgeChanged):
                key = (change.u, change.v, change.key)
                if change.before.get("travel_time", MISSING) != self.G.edges[key].get("travel_time", MISSING):
                    out.append(key)
        return out

    @property
    def only_improves(self) -> bool:
        """True when no edge was removed or slowed down: no path can get longer."""
        for change in self.log:
            if isinstance(change, EdgeRemoved):
                return False
            if isinstance(change, EdgeChanged):
                before = change.before.get("travel_time", MISSING)
                after = self.G.edges[change.u, change.v, change.key].get("travel_time")
                if before is not MISSING and after is not None and after > before:
                    return False
        return True

    def junction_index(self) -> tuple[cKDTree, Sequence[Node]]:
        """A KD-tree of the base network's junctions (EPSG:32651), built once."""
        if self._junctions is None:
            self._junctions = self.roads.junction_index() if self.roads is not None else junction_tree(self.G)
        return self._junctions

    def is_base_junction(self, node: Node) -> bool:
        """Whether ``node`` is a road junction of the base network (not one a project added)."""
        if self.roads is not None:
            return self.roads.is_junction(node)
        if self._junction_set is None:
            self._junction_set = frozenset(self.junction_index()[1])
        return node in self._junction_set

    def base_junction(self, node: Node) -> Node:
        """A junction of the base network, in G (brought in from :attr:`roads` when it lives there)."""
        if self.roads is not None:
            self.roads.add_junction(self.G, node)
        return node

    # ------------------------------------------------------------ logged changes
    def add_node(self, n: Node, **attrs: Any) -> None:
        self.G.add_node(n, **attrs)
        self.log.append(NodeAdded(n))

    def add_edges(self, keys: list[EdgeKey]) -> None:
        self.log.extend(EdgeAdded(u, v, k) for u, v, k in keys)

    def set_edge(self, key: EdgeKey, changes: Attrs) -> None:
        data = self.G.edges[key]
        before = {k: data.get(k, MISSING) for k in changes}
        data.update(changes)
        self.log.append(EdgeChanged(*key, before=before))

    def remove_edge(self, key: EdgeKey) -> None:
        data = dict(self.G.edges[key])
        self.G.remove_edge(*key)
        self.log.append(EdgeRemoved(*key, attrs=data))

    def set_node(self, n: Node, changes: Attrs) -> None:
        data = self.G.nodes[n]
        before = {k: data.get(k, MISSING) for k in changes}
        data.update(changes)
        self.log.append(NodeChanged(n, before))

"""Shortest paths on compiled arrays, fast and exact.

:func:`compile_network` turns a graph into arrays for one mode (road, rail or
any), built once: a CSR matrix of travel times for scipy's compiled Dijkstra
and, when the ``routingkit-cch`` package is installed, a customizable
contraction hierarchy (CCH) for many-to-many queries in a fraction of the time.
:func:`travel_times` gives origin-destination matrices (``inf`` where there is
no path); :mod:`corridor.paths.routes` gives one door-to-door trip with its
legs, and :mod:`corridor.paths.rescore` a portfolio's matrices from the base
ones.

Zones, gateways and economic zones are centroids: trips start and end at
them but never pass through them. Each centroid gets two indices, one that
edges leave and one that edges enter, so no path can use one as a shortcut.
:class:`CompiledNetwork` owns this mapping from graph nodes to indices, for
the base network and for the nodes a scenario adds (:meth:`CompiledNetwork.delta`
turns the :class:`~corridor.network.changes.Effect` of projects into a :class:`Delta`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from corridor.errors import EngineError, PlaceNotFound, SettingsError
from corridor.network.build import CENTROID_KINDS, any_layers, edge_in_mode
from corridor.network.changes import Arc, Effect
from corridor.network.edges import Attrs, EdgeKey, Node
from corridor.parallel import Processes, can_fork, local_workers

__all__ = [
    "BACKENDS",
    "COMPILED_MODES",
    "CompiledNetwork",
    "Delta",
    "Indices",
    "arc_matrix",
    "available_backends",
    "compile_arrays",
    "compile_network",
    "compiled_kernel",
    "compute_cch_order",
    "finite_weights",
    "distances",
    "fastest_first",
    "min_plus",
    "path_sums",
    "shortest_trees",
    "resolve_backend",
    "travel_times",
    "tree_path",
    "whole_ms",
]

BACKENDS = ("scipy", "cch")
#: the modes a network compiles in: trips (road, rail, any), public transport alone, and freight
COMPILED_MODES = ("road", "rail", "any", "transit", "freight")
#: CCH weights are whole numbers: milliseconds keep every path exact to well under a second
CCH_UNITS_PER_S = 1000
#: the CCH weight of an arc that is gone (RoutingKit's infinity): no path uses it
CCH_NO_ARC = 2**31 - 1
#: below this many nodes, searches run in the calling process
PARALLEL_MIN_NODES = 20_000
#: a (min, +) product of at most this many terms is computed in one broadcast (a temporary under 64 KB)
SMALL_PRODUCT = 8_192


def available_backends() -> list[str]:
    """The backends that can run here: scipy always, cch when ``routingkit-cch`` is installed."""
    out = ["scipy"]
    try:
        import routingkit_cch  # noqa: F401
    except ImportError:
        return out
    return [*out, "cch"]


def resolve_backend(backend: str) -> str:
    """The backend that will run for a setting of ``engine_backend``.

    Raises
    ------
    SettingsError
        An unknown backend, or ``cch`` without the ``routingkit-cch`` package.
    """
    if backend == "auto":
        return available_backends()[-1]
    if backend not in BACKENDS:
        raise SettingsError(
            f"backend must be one of {', '.join(BACKENDS)} or 'auto'", field="engine_backend", value=backend
        )
    if backend == "cch" and "cch" not in available_backends():
        raise SettingsError(
            "the cch backend needs the routingkit-cch package, which is not installed",
            field="engine_backend",
            value=backend,
            allowed="scipy or auto, or install routingkit-cch (pip install 'corridor[fast]')",
        )
    return backend


@dataclass
class CompiledNetwork:
    """A network's travel times for one mode as arrays.

    Arcs are sorted by (tail, head) and hold the fastest edge between each
    pair, so the CSR matrix's data follow the arrays' order.

    Attributes
    ----------
    mode
        ``road``, ``rail``, ``any`` or ``freight``.
    n
        Number of indices (nodes, plus a second index per centroid and, in
        mode ``any``, a public transport copy of each road junction).
    tail, head, weight
        The arcs: index arrays and travel time in seconds.
    out_index, in_index
        Graph node -> index where paths leave and enter it (they differ only
        for centroids).
    nodes
        Index -> graph node.
    edge_keys
        Per arc, the graph edge (u, v, key) behind it (None for arrays).
    pt_index
        Mode ``any``: road junction -> the index of its public transport copy
        (see :func:`corridor.network.build.any_layers`); None in other modes.
    pt_arc
        Mode ``any``: per arc, whether it runs on the public transport layer.
    cch_order
        The node order of the CCH (:func:`compute_cch_order`), when known.
    parallel
        The arcs that a faster arc between the same two indices hid, as
        (tail, head, weight), when kept (see :meth:`reweighted`).
    """

    mode: str
    n: int
    tail: np.ndarray
    head: np.ndarray
    weight: np.ndarray
    out_index: Mapping[Node, int]
    in_index: Mapping[Node, int]
    nodes: Sequence[Node]
    edge_keys: list[EdgeKey] | None = field(default=None, repr=False)
    lon: np.ndarray | None = field(default=None, repr=False)
    lat: np.ndarray | None = field(default=None, repr=False)
    pt_index: Mapping[Node, int] | None = field(default=None, repr=False)
    pt_arc: np.ndarray | None = field(default=None, repr=False)
    cch_order: np.ndarray | None = field(default=None, repr=False)
    parallel: tuple[np.ndarray, np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _csr: csr_matrix | None = field(default=None, repr=False)
    _csr_t: csr_matrix | None = field(default=None, repr=False)
    _cch: Any = field(default=None, repr=False)
    _cch_topology: CompiledNetwork | None = field(default=None, repr=False)

    @property
    def matrix(self) -> csr_matrix:
        """The CSR matrix of seconds (rows: tails)."""
        if self._csr is None:
            indptr = np.zeros(self.n + 1, dtype=np.int64)
            np.cumsum(np.bincount(self.tail, minlength=self.n), out=indptr[1:])
            self._csr = csr_matrix((self.weight, self.head, indptr), shape=(self.n, self.n))
        return self._csr

    @property
    def reverse(self) -> csr_matrix:
        """The transposed matrix, for distances *to* a node."""
        if self._csr_t is None:
            self._csr_t = self.matrix.transpose().tocsr()
        return self._csr_t

    def arc(self, a: int, b: int) -> int:
        """The position of arc a->b in the arrays."""
        lo, hi = self.matrix.indptr[a], self.matrix.indptr[a + 1]
        pos = lo + int(np.searchsorted(self.head[lo:hi], b))
        if pos >= hi or self.head[pos] != b:
            raise KeyError((a, b))
        return pos

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the arrays only; the CSR matrices and the hierarchy are rebuilt on first use."""
        state = dict(self.__dict__)
        state.update(_csr=None, _csr_t=None, _cch=None, _cch_topology=None)
        if self._cch_topology is not None:
            state["cch_order"] = self._cch_topology.cch_order  # a copy builds its own hierarchy, in the same order
        return state

    def indices(self, new_nodes: Sequence[tuple[Node, Attrs]] = ()) -> Indices:
        """The index of every node, with ``new_nodes`` (of a scenario) numbered after the base ones.

        A new centroid gets two indices, like a base one: one that edges
        leave, one that edges enter; in mode ``any`` a new road junction gets
        a public transport copy.
        """
        new_out: dict[Node, int] = {}
        new_in: dict[Node, int] = {}
        new_pt: dict[Node, int] = {}
        nxt = self.n
        for node, attrs in new_nodes:
            new_out[node] = new_in[node] = nxt
            nxt += 1
            if attrs.get("kind") in CENTROID_KINDS:
                new_in[node] = nxt
                nxt += 1
            elif self.pt_index is not None and attrs.get("kind", "junction") == "junction":
                new_pt[node] = nxt
                nxt += 1
        return Indices(self, new_out, new_in, nxt - self.n, new_pt)

    def delta(
        self, effects: Sequence[Effect], known: dict[int, tuple[np.ndarray, list[Arc], int]] | None = None
    ) -> tuple[Delta, Indices]:
        """The :class:`Delta` of these projects' effects on this network's mode, and the indices it uses.

        Parameters
        ----------
        effects
            What each project did (:meth:`corridor.network.scenario.Scenario.effect`);
            arcs of other modes are left out.
        known
            A cache, by ``id(effect)``, of each effect's better arcs indexed
            as if it were the only one, kept by a caller whose effects outlive
            it (a sweep scores the same effects in thousands of combinations).
            An effect's new nodes take one block of indices, so its arcs in
            any combination are the cached ones with that block moved to
            where the effects before it end.
        """
        new_nodes = [node for effect in effects for node in effect.nodes]
        indices = self.indices(new_nodes)
        cache = known if known is not None and len({node for node, _ in new_nodes}) == len(new_nodes) else None
        parts: list[np.ndarray] = []
        start = self.n  # where the next effect's block of new indices begins
        for effect in effects:
            if cache is None:
                parts.append(_indexed_arcs(effect.better.get(self.mode, ()), indices))
                continue
            if id(effect) not in cache:
                cache[id(effect)] = self._local_arcs(effect)
            local, foreign, block = cache[id(effect)]
            moved = local.copy()
            ends = moved[:, :2]
            ends[ends >= self.n] += start - self.n
            parts += [moved, _indexed_arcs(foreign, indices)]
            start += block
        better = np.concatenate(parts) if parts else np.empty((0, 3))
        worse = [
            (indices.out(a.u, pt=a.tail_pt), indices.into(a.v, pt=a.head_pt))
            for effect in effects
            for a in effect.worse.get(self.mode, ())
        ]
        return Delta(new_nodes=indices.added, better=better, worse=worse), indices

    def _local_arcs(self, effect: Effect) -> tuple[np.ndarray, list[Arc], int]:
        """An effect's better arcs indexed with its own new nodes only, those that join another's, and its block.

        The second are the arcs to or from a node another effect adds (a
        project built on one it requires): they are indexed in each
        combination.
        """
        own = self.indices(effect.nodes)
        arcs = effect.better.get(self.mode, ())
        known = [a for a in arcs if _has(own, a.u, out=True) and _has(own, a.v, out=False)]
        foreign = [a for a in arcs if not (_has(own, a.u, out=True) and _has(own, a.v, out=False))]
        return _indexed_arcs(known, own), foreign, own.added

    def reweighted(self, positions: np.ndarray, weights: np.ndarray) -> CompiledNetwork:
        """The same arcs with the weights at ``positions`` replaced (``inf``: the arc is gone).

        Only the weights change, so the hierarchy of the copy is the base
        one's re-customized (a fraction of a second on a million nodes),
        never ordered or built again.
        """
        weight = self.weight.copy()
        weight[np.asarray(positions, dtype=np.int64)] = weights
        return dataclasses.replace(
            self, weight=weight, parallel=None, _csr=None, _csr_t=None, _cch=None, _cch_topology=self
        )

    def cch(self) -> Any:
        """The CCH index and metric (built on first use: seconds to a minute on a million nodes)."""
        if self._cch is None and self._cch_topology is not None:
            import routingkit_cch as rk

            index, _ = self._cch_topology.cch()
            gone = ~np.isfinite(self.weight)
            weights = np.maximum(np.rint(np.where(gone, 0.0, self.weight) * CCH_UNITS_PER_S), 1).astype(np.int64)
            weights[gone] = CCH_NO_ARC
            self._cch = (index, rk.CCHMetric(index, weights.tolist()))
        if self._cch is None:
            import routingkit_cch as rk

            if self.cch_order is None:
                self.cch_order = compute_cch_order(self)
            tail, head = self.tail.tolist(), self.head.tolist()
            index = rk.CCH(self.cch_order.tolist(), tail, head, False)
            weights = np.maximum(np.rint(self.weight * CCH_UNITS_PER_S), 1).astype(np.int64)
            metric = rk.CCHMetric(index, weights.tolist())
            self._cch = (index, metric)
        return self._cch


def compute_cch_order(compiled: CompiledNetwork) -> np.ndarray:
    """The node order of the CCH (RoutingKit's inertial flow when every node has a position, else by degree).

    The slow part of building a hierarchy on a large network, and a pure
    function of the arrays: :mod:`corridor.paths.cache` keeps it on disk.
    """
    import routingkit_cch as rk

    tail, head = compiled.tail.tolist(), compiled.head.tolist()
    if compiled.lon is not None and compiled.lat is not None and np.isfinite(compiled.lon).all():
        order = rk.compute_order_inertial(compiled.n, tail, head, compiled.lat.tolist(), compiled.lon.tolist())
    else:
        order = rk.compute_order_degree(compiled.n, tail, head)
    return np.asarray(order, dtype=np.int64)


@dataclass(frozen=True)
class Indices:
    """Graph node -> index in a compiled network, base nodes and a scenario's new ones.

    Attributes
    ----------
    added
        How many indices the new nodes take (``compiled.n`` and up).
    """

    compiled: CompiledNetwork
    new_out: dict[Node, int]
    new_in: dict[Node, int]
    added: int
    new_pt: dict[Node, int] = field(default_factory=dict)

    def _pt(self, node: Node) -> int | None:
        if node in self.new_pt:
            return self.new_pt[node]
        pt_index = self.compiled.pt_index
        return pt_index.get(node) if pt_index is not None else None

    def out(self, node: Node, *, pt: bool = False) -> int:
        """The index that paths leave ``node`` from (its public transport copy when ``pt`` and a junction)."""
        if pt and (copy := self._pt(node)) is not None:
            return copy
        return self.new_out[node] if node in self.new_out else self.compiled.out_index[node]

    def into(self, node: Node, *, pt: bool = False) -> int:
        """The index that paths enter ``node`` at (its public transport copy when ``pt`` and a junction)."""
        if pt and (copy := self._pt(node)) is not None:
            return copy
        return self.new_in[node] if node in self.new_in else self.compiled.in_index[node]


def _has(indices: Indices, node: Node, *, out: bool) -> bool:
    """Whether ``indices`` number this node (a base one, or one of their new ones)."""
    return node in (indices.new_out if out else indices.new_in) or node in (
        indices.compiled.out_index if out else indices.compiled.in_index
    )


def _indexed_arcs(arcs: Sequence[Arc], indices: Indices) -> np.ndarray:
    """Arcs as rows of (tail index, head index, seconds)."""
    return np.array(
        [(indices.out(a.u, pt=a.tail_pt), indices.into(a.v, pt=a.head_pt), a.time_s) for a in arcs], dtype=float
    ).reshape(-1, 3)


#: the longest arc the engine accepts (about 11.6 days); longer is a data error, and the CCH's
#: whole-millisecond path sums stay well inside its 32-bit weights
MAX_ARC_S = 1e6


def finite_weights(weights: np.ndarray, what: str) -> np.ndarray:
    bad = ~np.isfinite(weights) | (weights < 0) | (weights > MAX_ARC_S)
    if bad.any():
        raise EngineError(
            f"{int(bad.sum())} arcs of {what} have no valid travel time",
            value=float(weights[bad][0]),
            allowed=f"seconds from 0 to {MAX_ARC_S:g}",
        )
    return whole_ms(weights)


def whole_ms(seconds: Any) -> Any:
    """Seconds to the whole millisecond, at least one: every backend then adds the same numbers.

    The CCH counts whole milliseconds; scipy, given the same rounded
    weights, finds the same sums (to float rounding), so re-scored,
    searched and leave-one-out matrices agree to well under a microsecond.
    csgraph drops explicit zeros from sparse input, hence the 1 ms floor.
    """
    return np.maximum(np.round(np.asarray(seconds, dtype=float), 3), 1e-3)


def fastest_first(tail: np.ndarray, head: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Arcs sorted by (tail, head), the fastest of each pair first.

    Returns the order of the arcs, and, in that order, whether each is the
    first (the fastest) of its (tail, head) pair; the others are the
    parallel arcs it hides.
    """
    order = np.lexsort((weight, head, tail))
    first = np.ones(len(order), dtype=bool)
    if len(order):
        first[1:] = (tail[order][1:] != tail[order][:-1]) | (head[order][1:] != head[order][:-1])
    return order, first


def arc_matrix(n: int, tail: np.ndarray, head: np.ndarray, weight: np.ndarray) -> csr_matrix:
    """The n x n CSR matrix of arcs, the fastest of parallel ones kept."""
    order, first = fastest_first(tail, head, weight)
    sel = order[first]
    return csr_matrix((weight[sel], (tail[sel], head[sel])), shape=(n, n))


def tree_path(pred: np.ndarray, target: int) -> list[int]:
    """The indices from a shortest-path tree's source to ``target``, by the tree's predecessors (-9999: none)."""
    path = [int(target)]
    while pred[path[-1]] >= 0:  # sources have no predecessor (-9999)
        path.append(int(pred[path[-1]]))
    path.reverse()
    return path


def compile_arrays(
    n: int,
    tail: Sequence[int] | np.ndarray,
    head: Sequence[int] | np.ndarray,
    weight: Sequence[float] | np.ndarray,
    *,
    mode: str = "road",
    lon: np.ndarray | None = None,
    lat: np.ndarray | None = None,
) -> CompiledNetwork:
    """Compile a network given as arc arrays (indices 0..n-1, travel time in seconds).

    For networks too large to hold as a networkx graph; parallel arcs keep
    the fastest.
    """
    t = np.asarray(tail, dtype=np.int64)
    h = np.asarray(head, dtype=np.int64)
    w = finite_weights(np.asarray(weight, dtype=float), "compile_arrays")
    order, first = fastest_first(t, h, w)
    sel = order[first]
    ident = list(range(n))
    return CompiledNetwork(
        mode,
        n,
        t[sel],
        h[sel],
        w[sel],
        dict(zip(ident, ident, strict=True)),
        dict(zip(ident, ident, strict=True)),
        ident,
        None,
        lon,
        lat,
    )


@dataclass
class _NodeIndices:
    """A graph's nodes as indices: every node, a second index per centroid, a public transport copy per junction."""

    #: index -> graph node
    nodes: list[Node]
    out_index: dict[Node, int]
    in_index: dict[Node, int]
    #: layered modes: road junction -> its public transport copy; None otherwise
    pt_index: dict[Node, int] | None

    def tail(self, u: Node, pt: bool) -> int:
        """The index an arc leaves ``u`` from (its public transport copy when ``pt`` and it has one)."""
        return self.pt_index[u] if pt and self.pt_index is not None and u in self.pt_index else self.out_index[u]

    def head(self, v: Node, pt: bool) -> int:
        """The index an arc enters ``v`` at (its public transport copy when ``pt`` and it has one)."""
        return self.pt_index[v] if pt and self.pt_index is not None and v in self.pt_index else self.in_index[v]


def _node_indices(G: nx.MultiDiGraph, layered: bool) -> _NodeIndices:
    """A graph's nodes as indices: each node, then each centroid's entry, then (``layered``) each junction's copy."""
    nodes: list[Node] = list(G.nodes)
    out_index = {n: i for i, n in enumerate(nodes)}
    in_index = dict(out_index)
    for n, d in G.nodes(data=True):
        if d.get("kind") in CENTROID_KINDS:
            in_index[n] = len(nodes)
            nodes.append(n)
    pt_index: dict[Node, int] | None = None
    if layered:
        pt_index = {}
        for n, d in G.nodes(data=True):
            if d.get("kind", "junction") == "junction":
                pt_index[n] = len(nodes)
                nodes.append(n)
    return _NodeIndices(nodes, out_index, in_index, pt_index)


def _edge_weight(u: Node, v: Node, k: int, d: Attrs, weight: str | Callable[[Node, Node, int, Attrs], float]) -> float:
    """An edge's weight: its attribute ``weight``, or the function's value.

    Raises
    ------
    EngineError
        When the weight is missing, not a number, not finite or negative.
    """
    value_of = weight if callable(weight) else None
    w = value_of(u, v, k, d) if value_of is not None else d.get(str(weight))
    if w is None or not isinstance(w, int | float) or not np.isfinite(w) or w < 0:
        raise EngineError(
            f"edge {u!r}->{v!r} has no valid {weight if value_of is None else 'weight'}",
            subject="link",
            id=d.get("link_id"),
            field=str(weight) if value_of is None else None,
            value=w,
            allowed="finite seconds >= 0",
        )
    return w


def _layers(d: Attrs, mode: str, layered: bool) -> tuple[tuple[bool, bool, float], ...]:
    """The arcs an edge becomes: (tail on public transport, head on public transport, extra seconds) each."""
    layers = any_layers(d) if layered else ((False, False, 0.0),)
    if mode == "transit" and len(layers) == 2:
        layers = layers[1:]  # a road or road connector: its public transport copy only
    return layers


@dataclass
class _Arcs:
    """Arcs being compiled, in the graph's edge order: indices, weights, edges and whether on public transport."""

    tails: list[int] = field(default_factory=list)
    heads: list[int] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    keys: list[EdgeKey] = field(default_factory=list)
    on_pt: list[bool] = field(default_factory=list)


def _graph_arcs(
    G: nx.MultiDiGraph,
    mode: str,
    index: _NodeIndices,
    *,
    weight: str | Callable[[Node, Node, int, Attrs], float],
    include: Callable[[Attrs], bool] | None,
) -> _Arcs:
    """The arcs of the graph's edges usable by ``mode`` (and kept by ``include``), on every layer they run on."""
    arcs = _Arcs()
    for u, v, k, d in G.edges(keys=True, data=True):
        if not edge_in_mode(d, mode) or (include is not None and not include(d)):
            continue
        w = _edge_weight(u, v, k, d, weight)
        for tail_pt, head_pt, extra in _layers(d, mode, index.pt_index is not None):
            arcs.tails.append(index.tail(u, tail_pt))
            arcs.heads.append(index.head(v, head_pt))
            arcs.weights.append(float(w) + extra)
            arcs.keys.append((u, v, k))
            arcs.on_pt.append(tail_pt or head_pt)
    return arcs


def compile_network(
    G: nx.MultiDiGraph,
    mode: str = "any",
    *,
    weight: str | Callable[[Node, Node, int, Attrs], float] = "travel_time",
    include: Callable[[Attrs], bool] | None = None,
) -> CompiledNetwork:
    """Compile a graph's edges usable by ``mode`` into arrays.

    Parameters
    ----------
    G
        The network; it is read, never changed.
    mode
        ``road``, ``rail``, ``any`` or ``freight`` (see
        :func:`corridor.network.build.edge_in_mode`). Mode ``any`` is compiled in
        two road layers, car and public transport (see
        :func:`corridor.network.build.any_layers`).
    weight
        The edge attribute to minimise (seconds), or a function of
        ``(u, v, key, data)`` that gives an arc's weight (a generalized cost).
    include
        Keep only the edges of the mode for which this is true.

    Mode ``transit`` is mode ``any`` without its car layer: trips by public
    transport alone (rail, ferries, jeepneys and buses, on foot).

    Raises
    ------
    EngineError
        An unknown mode, or an edge without a finite, non-negative weight.
    """
    if mode not in COMPILED_MODES:
        raise EngineError("unknown travel mode", field="mode", value=mode, allowed=COMPILED_MODES)
    index = _node_indices(G, layered=mode in {"any", "transit"})
    arcs = _graph_arcs(G, mode, index, weight=weight, include=include)
    t = np.array(arcs.tails, dtype=np.int64)
    h = np.array(arcs.heads, dtype=np.int64)
    w = finite_weights(np.array(arcs.weights, dtype=float), "compile_network")
    order, first = fastest_first(t, h, w)
    sel = order[first]
    nodes = index.nodes
    lon = np.array([float(G.nodes[n].get("x", np.nan)) for n in nodes])
    lat = np.array([float(G.nodes[n].get("y", np.nan)) for n in nodes])
    return CompiledNetwork(
        mode,
        len(nodes),
        t[sel],
        h[sel],
        w[sel],
        index.out_index,
        index.in_index,
        nodes,
        [arcs.keys[i] for i in sel],
        lon,
        lat,
        index.pt_index,
        np.array(arcs.on_pt, dtype=bool)[sel] if index.pt_index is not None else None,
    )


# ------------------------------------------------------------------ distances


@dataclass
class _Job:
    """What a worker searches: the network, the target indices and the direction."""

    compiled: CompiledNetwork
    targets: np.ndarray
    reverse: bool
    backend: str

    def rows(self, sources: np.ndarray) -> np.ndarray:
        if self.backend == "cch":
            return self._cch_rows(sources)
        matrix = self.compiled.reverse if self.reverse else self.compiled.matrix
        return np.atleast_2d(dijkstra(matrix, directed=True, indices=sources))[:, self.targets]

    def _cch_rows(self, sources: np.ndarray) -> np.ndarray:
        import routingkit_cch as rk

        _, metric = self.compiled.cch()
        out = np.empty((len(sources), len(self.targets)))
        pinned = [int(t) for t in self.targets]
        if self.reverse:
            many_to_one = rk.CCHManyToOne(metric, pinned)
            for i, s in enumerate(sources):
                out[i] = [math.inf if v is None else v for v in many_to_one.distances_to(int(s))]
            del many_to_one  # the metric stays borrowed while a query lives
        else:
            one_to_many = rk.CCHOneToMany(metric, pinned)
            for i, s in enumerate(sources):
                out[i] = [math.inf if v is None else v for v in one_to_many.distances_from(int(s))]
            del one_to_many
        return out / CCH_UNITS_PER_S


def _rows_task(job: _Job, sources: np.ndarray) -> np.ndarray:
    """A task of the worker pool: one chunk of the sources' rows."""
    return job.rows(sources)


def distances(
    compiled: CompiledNetwork,
    sources: Sequence[int] | np.ndarray,
    targets: Sequence[int] | np.ndarray,
    *,
    backend: str = "scipy",
    workers: int = 1,
    reverse: bool = False,
) -> np.ndarray:
    """The sources x targets matrix of shortest travel times (seconds) between indices.

    Parameters
    ----------
    compiled
        The compiled network.
    sources, targets
        Indices into it.
    backend
        ``scipy`` (compiled Dijkstra), ``cch`` (RoutingKit's CCH) or
        ``auto``; they agree to well under a second.
    workers
        Processes to share the sources among (``0``: one per core).
    reverse
        Distances from each target to each source instead, returned as
        sources x targets (``d(target, source)``): for the many-to-one side of
        re-scoring.
    """
    backend = resolve_backend(backend)
    src = np.asarray(sources, dtype=np.int64)
    tgt = np.asarray(targets, dtype=np.int64)
    if len(src) == 0 or len(tgt) == 0:
        return np.empty((len(src), len(tgt)))
    if backend == "scipy" and len(tgt) < len(src) // 2:
        # a Dijkstra search reaches every node: search from the fewer side, on the reversed graph
        return distances(compiled, tgt, src, backend=backend, workers=workers, reverse=not reverse).T
    if backend == "cch":
        compiled.cch()  # build before forking, so workers share it
    else:
        _ = compiled.reverse if reverse else compiled.matrix
    job = _Job(compiled, tgt, reverse, backend)
    workers = local_workers(workers)
    if compiled.n < PARALLEL_MIN_NODES:
        workers = 1  # starting processes costs more than a small network's searches
    workers = max(1, min(workers, len(src) // 8 or 1))
    if workers == 1 or not can_fork():
        return job.rows(src)
    # forked workers inherit the job (and a built hierarchy) once, unpickled
    with Processes(job, workers=workers, progress=False) as pool:
        return np.vstack(pool.map(_rows_task, list(np.array_split(src, workers))))


def travel_times(
    compiled: CompiledNetwork,
    origins: Sequence[Node],
    destinations: Sequence[Node],
    *,
    backend: str = "scipy",
    workers: int = 1,
) -> np.ndarray:
    """Return the origin x destination matrix of travel times in seconds.

    Unreachable pairs are ``inf``. Origins and destinations are graph nodes.

    Raises
    ------
    PlaceNotFound
        A node that is not in the compiled graph.
    """
    for n in (*origins, *destinations):
        if n not in compiled.out_index:
            raise PlaceNotFound("is not a node of the network", subject="node", id=str(n))
    if not origins or not destinations:
        return np.empty((len(origins), len(destinations)))
    src = [compiled.out_index[n] for n in origins]
    cols = [compiled.in_index[n] for n in destinations]
    out = distances(compiled, src, cols, backend=backend, workers=workers)
    same = np.array(origins, dtype=object)[:, None] == np.array(destinations, dtype=object)[None, :]
    out[same] = 0.0
    return out


_KERNELS: dict[Callable[..., Any], Callable[..., Any]] = {}


def compiled_kernel(function: Callable[..., Any]) -> Callable[..., Any]:
    """A function of plain loops over arrays, compiled by Numba on first use (kept on disk, so later runs load it).

    Where no folder can hold the compiled code (a read-only install without a
    writable home) it is compiled for the run instead.
    """
    if function not in _KERNELS:
        from numba import njit

        try:
            _KERNELS[function] = njit(cache=True, nogil=True)(function)
        except RuntimeError:  # no folder to cache it in
            _KERNELS[function] = njit(nogil=True)(function)
    return _KERNELS[function]


def shortest_trees(matrix: csr_matrix, sources: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shortest distances and trees from each source over a sparse matrix of arc weights.

    Returns ``(dist, pred)``, both sources x nodes: the distance (``inf``:
    unreachable) and each node's predecessor on its shortest path (-9999:
    none). For searches that need the paths themselves, not only their
    lengths (all-or-nothing loading, sums along paths, a route's links).
    """
    dist, pred = dijkstra(matrix, directed=True, indices=np.asarray(sources), return_predecessors=True)
    return np.atleast_2d(dist), np.atleast_2d(pred)


def path_sums(compiled: CompiledNetwork, sources: list[int], targets: list[int], arc_value: np.ndarray) -> np.ndarray:
    """Along each shortest path (by the compiled weights), the sum of another arc value (a length).

    The shortest-path trees' predecessors are followed one level a step, for
    every source at once, until no sum changes (at most the deepest path's
    number of arcs).
    """
    dist, pred = shortest_trees(compiled.matrix, sources)
    value_of = csr_matrix((arc_value, compiled.head, compiled.matrix.indptr), shape=compiled.matrix.shape)
    has_pred = pred >= 0
    parent = np.where(has_pred, pred, 0)
    step = np.zeros(pred.shape)
    columns = np.broadcast_to(np.arange(compiled.n), pred.shape)
    step[has_pred] = np.asarray(value_of[parent[has_pred], columns[has_pred]]).ravel()
    total = np.zeros(pred.shape)
    rows = np.arange(len(sources))[:, None]
    for _ in range(compiled.n):
        updated = np.where(has_pred, total[rows, parent] + step, 0.0)
        if np.array_equal(updated, total):
            break
        total = updated
    total[~np.isfinite(dist)] = np.inf
    return total[:, targets]


# ------------------------------------------------------------------ exact re-scoring


@dataclass
class Delta:
    """Changed arcs of a network, in the index space of its base compilation.

    Attributes
    ----------
    new_nodes
        How many indices the change adds (``base.n``, ``base.n + 1``, ...).
    better
        Arcs added or made faster: rows of (tail, head, seconds), an array
        (a list of such triples is taken too).
    worse
        Arcs removed or made slower: (tail, head).
    """

    new_nodes: int = 0
    better: np.ndarray = field(default_factory=lambda: np.empty((0, 3)))
    worse: list[tuple[int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.better = np.asarray(self.better, dtype=float).reshape(-1, 3)


def min_plus(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """(min, +) product of a (m x k) and b (k x n), into out when given (kept where smaller).

    Small products in one broadcast; larger ones one term at a time into one
    scratch array, so that no temporary is larger than the result: where the
    allocator hands freed memory back to the system eagerly (Dask's workers
    set ``MALLOC_TRIM_THRESHOLD_``), large temporaries cost a fresh mapping
    of memory each time.
    """
    m, k = a.shape
    n = b.shape[1]
    result = np.full((m, n), math.inf) if out is None else out
    if m * k * n <= SMALL_PRODUCT:
        if k:
            np.minimum(result, (a[:, :, None] + b[None, :, :]).min(axis=1), out=result)
        return result
    scratch = np.empty((m, n))
    for j in range(k):
        np.add(a[:, j, None], b[None, j, :], out=scratch)
        np.minimum(result, scratch, out=result)
    return result


# ------------------------------------------------------------------ single routes

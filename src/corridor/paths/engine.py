"""Shortest paths on compiled arrays, fast and exact.

:func:`compile_network` turns a graph into arrays for one mode (road, rail or
any), built once: a CSR matrix of travel times for scipy's compiled Dijkstra
and, when the ``routingkit-cch`` package is installed, a customizable
contraction hierarchy (CCH) for many-to-many queries in a fraction of the time.
:func:`travel_times` gives origin-destination matrices (``inf`` where there is
no path); :func:`route` gives one door-to-door trip with its legs.

:func:`rescore` updates a matrix for a set of changed links exactly: links
that are added or made faster are combined with the base distances to and from
their endpoints (``d'(s,t) = min(d(s,t), d(s,x) + d'(x,y) + d(y,t))`` over
changed-link endpoints x, y, with the endpoints' own all-pairs step); links
that are removed or slowed re-run only the origins whose shortest path to some
destination could use them.

Zones, gateways and economic zones are centroids: trips start and end at
them but never pass through them. Each centroid gets two indices, one that
edges leave and one that edges enter, so no path can use one as a shortcut.
:class:`CompiledNetwork` owns this mapping from graph nodes to indices, for
the base network and for the nodes a scenario adds (:meth:`CompiledNetwork.delta`
turns the :class:`~corridor.network.scenario.Effect` of projects into a :class:`Delta`).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from corridor.errors import EngineError, NoRouteError, PlaceNotFound, SettingsError
from corridor.network.build import CENTROID_KINDS, Mode, any_layers, edge_in_mode
from corridor.network.places import Place, PlaceIndex
from corridor.network.scenario import Effect
from corridor.parallel import Processes, can_fork, local_workers

__all__ = [
    "BACKENDS",
    "CompiledNetwork",
    "Delta",
    "Indices",
    "LeaveOut",
    "Leg",
    "Route",
    "available_backends",
    "compile_arrays",
    "compile_network",
    "compute_cch_order",
    "distances",
    "path_sums",
    "rescore",
    "shortest_trees",
    "resolve_backend",
    "route",
    "travel_times",
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
    out_index: Mapping[Any, int]
    in_index: Mapping[Any, int]
    nodes: Sequence[Any]
    edge_keys: list[tuple[Any, Any, Any]] | None = field(default=None, repr=False)
    lon: np.ndarray | None = field(default=None, repr=False)
    lat: np.ndarray | None = field(default=None, repr=False)
    pt_index: Mapping[Any, int] | None = field(default=None, repr=False)
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

    def indices(self, new_nodes: Sequence[tuple[Any, dict[str, Any]]] = ()) -> Indices:
        """The index of every node, with ``new_nodes`` (of a scenario) numbered after the base ones.

        A new centroid gets two indices, like a base one: one that edges
        leave, one that edges enter; in mode ``any`` a new road junction gets
        a public transport copy.
        """
        new_out: dict[Any, int] = {}
        new_in: dict[Any, int] = {}
        new_pt: dict[Any, int] = {}
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

    def delta(self, effects: Sequence[Effect]) -> tuple[Delta, Indices]:
        """The :class:`Delta` of these projects' effects on this network's mode, and the indices it uses.

        Parameters
        ----------
        effects
            What each project did (:meth:`corridor.network.scenario.Scenario.effect`);
            arcs of other modes are left out.
        """
        indices = self.indices([node for effect in effects for node in effect.nodes])
        better = [
            (indices.out(a.u, pt=a.tail_pt), indices.into(a.v, pt=a.head_pt), a.time_s)
            for effect in effects
            for a in effect.better.get(self.mode, ())
        ]
        worse = [
            (indices.out(a.u, pt=a.tail_pt), indices.into(a.v, pt=a.head_pt))
            for effect in effects
            for a in effect.worse.get(self.mode, ())
        ]
        return Delta(new_nodes=indices.added, better=better, worse=worse), indices

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
    new_out: dict[Any, int]
    new_in: dict[Any, int]
    added: int
    new_pt: dict[Any, int] = field(default_factory=dict)

    def _pt(self, node: Any) -> int | None:
        if node in self.new_pt:
            return self.new_pt[node]
        pt_index = self.compiled.pt_index
        return pt_index.get(node) if pt_index is not None else None

    def out(self, node: Any, *, pt: bool = False) -> int:
        """The index that paths leave ``node`` from (its public transport copy when ``pt`` and a junction)."""
        if pt and (copy := self._pt(node)) is not None:
            return copy
        return self.new_out[node] if node in self.new_out else self.compiled.out_index[node]

    def into(self, node: Any, *, pt: bool = False) -> int:
        """The index that paths enter ``node`` at (its public transport copy when ``pt`` and a junction)."""
        if pt and (copy := self._pt(node)) is not None:
            return copy
        return self.new_in[node] if node in self.new_in else self.compiled.in_index[node]


#: the longest arc the engine accepts (about 11.6 days); longer is a data error, and the CCH's
#: whole-millisecond path sums stay well inside its 32-bit weights
MAX_ARC_S = 1e6


def _finite_weights(weights: np.ndarray, what: str) -> np.ndarray:
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
    w = _finite_weights(np.asarray(weight, dtype=float), "compile_arrays")
    order = np.lexsort((w, h, t))
    t, h, w = t[order], h[order], w[order]
    keep = np.ones(len(t), dtype=bool)
    keep[1:] = (t[1:] != t[:-1]) | (h[1:] != h[:-1])
    ident = list(range(n))
    return CompiledNetwork(
        mode,
        n,
        t[keep],
        h[keep],
        w[keep],
        dict(zip(ident, ident, strict=True)),
        dict(zip(ident, ident, strict=True)),
        ident,
        None,
        lon,
        lat,
    )


def compile_network(
    G: nx.MultiDiGraph,
    mode: str = "any",
    *,
    weight: str | Callable[[Any, Any, Any, dict[str, Any]], float] = "travel_time",
    include: Callable[[dict[str, Any]], bool] | None = None,
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
    layered = mode in {"any", "transit"}
    nodes: list[Any] = list(G.nodes)
    out_index = {n: i for i, n in enumerate(nodes)}
    in_index = dict(out_index)
    for n, d in G.nodes(data=True):
        if d.get("kind") in CENTROID_KINDS:
            in_index[n] = len(nodes)
            nodes.append(n)
    pt_index: dict[Any, int] | None = None
    if layered:
        pt_index = {}
        for n, d in G.nodes(data=True):
            if d.get("kind", "junction") == "junction":
                pt_index[n] = len(nodes)
                nodes.append(n)
    value_of = weight if callable(weight) else None
    tails, heads, weights, keys, on_pt = [], [], [], [], []
    for u, v, k, d in G.edges(keys=True, data=True):
        if not edge_in_mode(d, mode) or (include is not None and not include(d)):
            continue
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
        layers = any_layers(d) if pt_index is not None else ((False, False, 0.0),)
        if mode == "transit" and len(layers) == 2:
            layers = layers[1:]  # a road or road connector: its public transport copy only
        for tail_pt, head_pt, extra in layers:
            tail = pt_index[u] if tail_pt and pt_index is not None and u in pt_index else out_index[u]
            head = pt_index[v] if head_pt and pt_index is not None and v in pt_index else in_index[v]
            tails.append(tail)
            heads.append(head)
            weights.append(float(w) + extra)
            keys.append((u, v, k))
            on_pt.append(tail_pt or head_pt)
    t = np.array(tails, dtype=np.int64)
    h = np.array(heads, dtype=np.int64)
    w = _finite_weights(np.array(weights, dtype=float), "compile_network")
    order = np.lexsort((w, h, t))
    keep = np.ones(len(order), dtype=bool)
    if len(order):
        keep[1:] = (t[order][1:] != t[order][:-1]) | (h[order][1:] != h[order][:-1])
    sel = order[keep]
    lon = np.array([float(G.nodes[n].get("x", np.nan)) for n in nodes])
    lat = np.array([float(G.nodes[n].get("y", np.nan)) for n in nodes])
    return CompiledNetwork(
        mode,
        len(nodes),
        t[sel],
        h[sel],
        w[sel],
        out_index,
        in_index,
        nodes,
        [keys[i] for i in sel],
        lon,
        lat,
        pt_index,
        np.array(on_pt, dtype=bool)[sel] if pt_index is not None else None,
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
    origins: list[Any],
    destinations: list[Any],
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
        Arcs added or made faster: (tail, head, seconds).
    worse
        Arcs removed or made slower: (tail, head).
    """

    new_nodes: int = 0
    better: list[tuple[int, int, float]] = field(default_factory=list)
    worse: list[tuple[int, int]] = field(default_factory=list)


class EndpointCache:
    """Base distances between fixed origins/destinations and changed-link endpoints, kept across portfolios."""

    def __init__(
        self, compiled: CompiledNetwork, sources: np.ndarray, targets: np.ndarray, *, backend: str = "scipy"
    ) -> None:
        self.compiled = compiled
        self.sources = np.asarray(sources, dtype=np.int64)
        self.targets = np.asarray(targets, dtype=np.int64)
        self.backend = resolve_backend(backend)
        self.index: dict[int, int] = {}  # endpoint -> row of the arrays below
        self.to_ = np.empty((0, len(self.sources)))  # d(sources, x), one row per endpoint
        self.from_ = np.empty((0, len(self.targets)))  # d(x, targets)
        self.between = np.empty((0, 0))  # d(x, y)

    def prepare(self, endpoints: Iterable[int]) -> None:
        """Compute what is missing for these base endpoints, in one batch."""
        xs = sorted({int(x) for x in endpoints if 0 <= x < self.compiled.n} - set(self.index))
        if not xs:
            return
        old = list(self.index)
        to_x = distances(self.compiled, xs, self.sources, backend=self.backend, reverse=True)
        from_x = distances(self.compiled, xs, self.targets, backend=self.backend)
        new_to_old = distances(self.compiled, xs, old, backend=self.backend) if old else np.empty((len(xs), 0))
        old_to_new = distances(self.compiled, old, xs, backend=self.backend) if old else np.empty((0, len(xs)))
        new_new = distances(self.compiled, xs, xs, backend=self.backend)
        self.to_ = np.vstack([self.to_, to_x])
        self.from_ = np.vstack([self.from_, from_x])
        self.between = np.block([[self.between, old_to_new], [new_to_old, new_new]])
        for x in xs:
            self.index[x] = len(self.index)


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


def rescore(
    compiled: CompiledNetwork,
    base: np.ndarray,
    sources: np.ndarray,
    targets: np.ndarray,
    delta: Delta,
    *,
    cache: EndpointCache | None = None,
    backend: str = "scipy",
    scenario: CompiledNetwork | None = None,
    extra_sources: Sequence[int] = (),
    extra_targets: Sequence[int] = (),
) -> np.ndarray:
    """The sources x targets matrix after a change, exactly, from the base one.

    Parameters
    ----------
    compiled
        The base network's compilation (indices of ``delta`` refer to it).
    base
        Base distances, sources x targets (seconds).
    sources, targets
        Base indices of the matrix's rows and columns.
    delta
        What changed.
    cache
        Endpoint distances to reuse across calls (built for these sources
        and targets).
    scenario
        The changed network compiled, needed only when ``delta.worse`` is not
        empty (to re-run the origins the change can reach).
    extra_sources, extra_targets
        New indices (``>= compiled.n``) to add as rows and columns.

    Returns
    -------
    numpy.ndarray
        (sources + extra_sources) x (targets + extra_targets).
    """
    sources = np.asarray(sources, dtype=np.int64)
    targets = np.asarray(targets, dtype=np.int64)
    n_s, n_t = len(sources), len(targets)
    cache = cache or EndpointCache(compiled, sources, targets, backend=backend)
    if delta.worse:
        if scenario is None:
            raise EngineError("links were removed or slowed: pass the changed network (scenario=)")
        return _rescore_worse(
            compiled, base, sources, targets, delta, cache, scenario, backend, extra_sources, extra_targets
        )
    if delta.better:
        arcs = np.asarray(delta.better, dtype=float)
        tails, heads, weights = arcs[:, 0].astype(np.int64), arcs[:, 1].astype(np.int64), whole_ms(arcs[:, 2])
    else:
        tails = heads = np.empty(0, dtype=np.int64)
        weights = np.empty(0)
    extra_s = np.asarray(extra_sources, dtype=np.int64)
    extra_t = np.asarray(extra_targets, dtype=np.int64)
    xs = np.unique(np.concatenate([tails, heads, extra_s, extra_t]))
    base_x = xs[xs < compiled.n]
    cache.prepare(base_x.tolist())
    k = len(xs)
    in_base = np.searchsorted(xs, base_x)
    rows = np.array([cache.index[x] for x in base_x.tolist()], dtype=np.int64)
    # endpoint-to-endpoint distances: the base ones, then the changed arcs, then all pairs
    W = np.full((k, k), math.inf)
    W[np.ix_(in_base, in_base)] = cache.between[np.ix_(rows, rows)]
    np.fill_diagonal(W, 0.0)
    np.minimum.at(W, (np.searchsorted(xs, tails), np.searchsorted(xs, heads)), weights)
    # only the base endpoints join the new links to the rest of the network
    es = np.searchsorted(xs, extra_s)
    et = np.searchsorted(xs, extra_t)
    D_sB = np.ascontiguousarray(cache.to_[rows].T)  # sources x base endpoints
    D_Bt = cache.from_[rows]  # base endpoints x targets
    out = np.full((n_s + len(es), n_t + len(et)), math.inf)
    out[:n_s, :n_t] = base
    _kernel()(W, in_base.astype(np.int64), D_sB, D_Bt, out[:n_s, :n_t])
    if len(in_base):
        if len(et):
            min_plus(D_sB, W[np.ix_(in_base, et)], out[:n_s, n_t:])
        if len(es):
            min_plus(W[np.ix_(es, in_base)], D_Bt, out[n_s:, :n_t])
    if len(es) and len(et):
        np.minimum(out[n_s:, n_t:], W[np.ix_(es, et)], out=out[n_s:, n_t:])
    return out


def _closure_through(
    W: np.ndarray, base: np.ndarray, to_base: np.ndarray, from_base: np.ndarray, out: np.ndarray
) -> None:
    """Close ``W`` over its endpoints in place, then ``out[s, t] = min(out, to_base[s] (+) W* (+) from_base[t])``.

    ``W`` (endpoints x endpoints) holds the base distances among the base
    endpoints and the changed arcs; Floyd-Warshall closes it. A source s
    reaches base endpoint j through the new links in
    ``a[j] = min_i to_base[s, i] + W*[base[i], base[j]]``; only where that is
    faster than its base distance can a trip through j be shorter than the
    base trip already in ``out``, so only those terms are added. Compiled
    with Numba (:func:`_kernel`): one pass without temporaries.
    """
    k = W.shape[0]
    for v in range(k):
        for i in range(k):
            w_iv = W[i, v]
            if w_iv == math.inf:
                continue
            for j in range(k):
                c = w_iv + W[v, j]
                if c < W[i, j]:
                    W[i, j] = c
    nb = base.shape[0]
    between = np.empty((nb, nb))  # W* among the base endpoints, in one block
    for i in range(nb):
        for j in range(nb):
            between[i, j] = W[base[i], base[j]]
    a = np.empty(nb)
    for s in range(to_base.shape[0]):
        a[:] = math.inf
        for i in range(nb):
            d = to_base[s, i]
            if d == math.inf:
                continue
            for j in range(nb):
                c = d + between[i, j]
                if c < a[j]:
                    a[j] = c
        for j in range(nb):
            if to_base[s, j] > a[j]:
                for t in range(from_base.shape[1]):
                    c = a[j] + from_base[j, t]
                    if c < out[s, t]:
                        out[s, t] = c


_KERNEL: list[Callable[..., None]] = []


def _kernel() -> Callable[..., None]:
    """:func:`_closure_through` compiled by Numba on first use (cached on disk, so later runs load it)."""
    if not _KERNEL:
        from numba import njit

        try:
            _KERNEL.append(njit(cache=True, nogil=True)(_closure_through))
        except RuntimeError:  # no folder to cache it in (read-only install, no writable home): compile each run
            _KERNEL.append(njit(nogil=True)(_closure_through))
    return _KERNEL[0]


def _rescore_worse(
    compiled: CompiledNetwork,
    base: np.ndarray,
    sources: np.ndarray,
    targets: np.ndarray,
    delta: Delta,
    cache: EndpointCache,
    scenario: CompiledNetwork,
    backend: str,
    extra_sources: Sequence[int],
    extra_targets: Sequence[int],
) -> np.ndarray:
    """Removals or slow-downs (maybe with improvements): re-run only the rows that can change.

    A row s is unaffected when, for every worse arc u->v of old weight w, no
    shortest path from s to a target uses it: d(s,u) + w + d(v,t) > d(s,t)
    for all t. Improvements make a row affected wherever they could help it.
    """
    rows_src = np.concatenate([sources, np.asarray(extra_sources, dtype=np.int64)])
    cols = np.concatenate([targets, np.asarray(extra_targets, dtype=np.int64)])
    if delta.better or len(extra_sources) or len(extra_targets):
        affected = np.ones(len(sources), dtype=bool)  # improvements too: re-run every row
    else:
        ends = sorted({a for a, _ in delta.worse} | {b for _, b in delta.worse})
        cache.prepare(ends)
        affected = np.zeros(len(sources), dtype=bool)
        tol = 1e-6 + 1e-9 * np.abs(base)
        for a, b in delta.worse:
            try:
                w_old = float(compiled.weight[compiled.arc(a, b)])
            except KeyError:
                continue  # not an arc of this mode
            via = cache.to_[cache.index[a]][:, None] + w_old + cache.from_[cache.index[b]][None, :]
            affected |= (via <= base + tol).any(axis=1)
    out = np.full((len(rows_src), len(cols)), math.inf)
    out[: len(sources), : len(targets)] = base
    redo = np.flatnonzero(np.concatenate([affected, np.ones(len(extra_sources), dtype=bool)]))
    if len(redo):
        out[redo] = distances(scenario, rows_src[redo], cols, backend=backend)
    return out


def _dedupe(n: int, t: np.ndarray, h: np.ndarray, w: np.ndarray) -> csr_matrix:
    """The CSR matrix of arcs, the fastest of parallel ones kept."""
    order = np.lexsort((w, h, t))
    t, h, w = t[order], h[order], w[order]
    keep = np.ones(len(t), dtype=bool)
    keep[1:] = (t[1:] != t[:-1]) | (h[1:] != h[:-1])
    return csr_matrix((w[keep], (t[keep], h[keep])), shape=(n, n))


class LeaveOut:
    """A base network with groups of added arcs (a portfolio's projects); exact times with any groups left out.

    All groups built give the full matrix. Leaving groups out can only
    lengthen trips, and only for origins whose shortest path to some
    destination uses a left-out arc: those rows are searched again on the
    network without them, every other row is kept. This is how each
    project's marginal contribution to a large portfolio is scored without
    a search per project of the whole matrix.

    Parameters
    ----------
    compiled
        The base network.
    groups
        Per group, its arcs as (tail, head, seconds) in the index space of
        ``compiled`` extended by ``new_nodes`` indices.
    new_nodes
        How many indices the groups add after ``compiled.n``.
    sources, targets
        The matrix's rows and columns (indices).
    """

    def __init__(
        self,
        compiled: CompiledNetwork,
        groups: Sequence[Sequence[tuple[int, int, float]]],
        new_nodes: int,
        sources: Sequence[int] | np.ndarray,
        targets: Sequence[int] | np.ndarray,
    ) -> None:
        self.n = compiled.n + new_nodes
        self.sources = np.asarray(sources, dtype=np.int64)
        self.targets = np.asarray(targets, dtype=np.int64)
        extra = [(a, b, w, g) for g, arcs in enumerate(groups) for a, b, w in arcs]
        self.tail = np.concatenate([compiled.tail, np.array([e[0] for e in extra], dtype=np.int64)])
        self.head = np.concatenate([compiled.head, np.array([e[1] for e in extra], dtype=np.int64)])
        weight = np.array([e[2] for e in extra], dtype=float)
        self.weight = np.concatenate([compiled.weight, _finite_weights(weight, "the added links")])
        self.group = np.concatenate([np.full(len(compiled.tail), -1), np.array([e[3] for e in extra], dtype=np.int64)])
        self._matrix = _dedupe(self.n, self.tail, self.head, self.weight)
        self.d_from = np.atleast_2d(dijkstra(self._matrix, directed=True, indices=self.sources))
        self._d_to: np.ndarray | None = None
        self.full = self.d_from[:, self.targets]

    @property
    def d_to(self) -> np.ndarray:
        """Distances from every index to each target (targets x indices), searched on first need."""
        if self._d_to is None:
            reverse = self._matrix.transpose().tocsr()
            self._d_to = np.atleast_2d(dijkstra(reverse, directed=True, indices=self.targets))
        return self._d_to

    def without(self, groups: Iterable[int]) -> np.ndarray:
        """The sources x targets matrix (seconds) with these groups' arcs left out."""
        drop = np.isin(self.group, list(groups))
        out = self.full.copy()
        if not drop.any():
            return out
        affected = np.zeros(len(self.sources), dtype=bool)
        tol = 1e-6 + 1e-9 * np.abs(self.full)
        for a, b, w in zip(self.tail[drop], self.head[drop], self.weight[drop], strict=True):
            via = self.d_from[:, a][:, None] + w + self.d_to[:, b][None, :]
            affected |= (via <= self.full + tol).any(axis=1)
        if affected.any():
            keep = ~drop
            matrix = _dedupe(self.n, self.tail[keep], self.head[keep], self.weight[keep])
            rows = np.flatnonzero(affected)
            out[rows] = np.atleast_2d(dijkstra(matrix, directed=True, indices=self.sources[rows]))[:, self.targets]
        return out


# ------------------------------------------------------------------ single routes


@dataclass(frozen=True)
class Leg:
    """A stretch of a trip on one mode and one named link or line."""

    mode: str
    name: str
    link_class: str
    minutes: float
    km: float
    wait_minutes: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "name": self.name,
            "link_class": self.link_class,
            "minutes": round(self.minutes, 2),
            "km": round(self.km, 3),
            "wait_minutes": round(self.wait_minutes, 2),
        }


@dataclass(frozen=True)
class Route:
    """A door-to-door trip: its time, length, path and legs."""

    origin: Place
    destination: Place
    mode: str
    time_s: float
    length_m: float
    nodes: tuple[Any, ...]
    edges: tuple[tuple[Any, Any, Any], ...]
    legs: tuple[Leg, ...]
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def minutes(self) -> float:
        return self.time_s / 60

    @property
    def km(self) -> float:
        return self.length_m / 1000

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``minutes``, ``km``, ``legs``, the places and provenance."""
        return {
            "from": self.origin.to_dict(),
            "to": self.destination.to_dict(),
            "mode": self.mode,
            "minutes": round(self.minutes, 2),
            "km": round(self.km, 3),
            "legs": [leg.to_dict() for leg in self.legs],
            "provenance": self.provenance,
        }


def route(
    G: nx.MultiDiGraph,
    origin: str | Place,
    destination: str | Place,
    *,
    mode: Mode = "any",
    places: PlaceIndex | None = None,
    compiled: CompiledNetwork | None = None,
) -> Route:
    """Return the fastest trip between two places.

    Parameters
    ----------
    G
        The network.
    origin, destination
        Places, or what a user would type for one: an id, a name or
        ``"lat,lon"`` (see :meth:`PlaceIndex.resolve`). A place of several
        nodes (the Port of Manila's terminals) is left or reached at
        whichever is fastest.
    mode
        ``road``, ``rail`` or ``any``.
    places, compiled
        Reuse a place index or a compiled network of the same graph and mode.

    Raises
    ------
    PlaceNotFound, OutsideRegionError
        A place that cannot be resolved.
    NoRouteError
        No path joins them on this mode.

    Examples
    --------
    >>> from corridor import load_region, build_network
    >>> G = build_network(load_region("luzon"))
    >>> trip = route(G, "Clark International Airport", "Port of Manila", mode="road")
    >>> 60 < trip.minutes < 150
    True
    """
    places = places or PlaceIndex(G)
    src = origin if isinstance(origin, Place) else places.resolve(origin, mode=mode)
    dst = destination if isinstance(destination, Place) else places.resolve(destination, mode=mode)
    compiled = compiled or compile_network(G, mode)
    if compiled.mode != mode:
        raise EngineError(f"the compiled network is for mode {compiled.mode!r}", field="mode", value=mode)
    if compiled.edge_keys is None:
        raise EngineError("a route needs a network compiled from a graph (compile_network), not from arrays")
    provenance = dict(G.graph.get("provenance", {}))
    if set(src.nodes) & set(dst.nodes):
        return Route(src, dst, mode, 0.0, 0.0, (src.nodes[0],), (), (), provenance)
    sources = [compiled.out_index[n] for n in src.nodes]
    dist, pred, _ = dijkstra(compiled.matrix, directed=True, indices=sources, return_predecessors=True, min_only=True)
    targets = [compiled.in_index[n] for n in dst.nodes]
    best = min(targets, key=lambda t: dist[t])
    if not np.isfinite(dist[best]):
        raise NoRouteError(
            f"no {mode} route from {src.name!r} to {dst.name!r}: they are not connected on this mode"
            + ("; mode 'any' combines road and rail" if mode != "any" else "")
        )
    path_idx = [int(best)]
    while pred[path_idx[-1]] >= 0:  # sources have no predecessor (-9999)
        path_idx.append(int(pred[path_idx[-1]]))
    path_idx.reverse()
    positions = [compiled.arc(a, b) for a, b in itertools.pairwise(path_idx)]
    edges = tuple(compiled.edge_keys[p] for p in positions)
    on_pt = [bool(compiled.pt_arc[p]) if compiled.pt_arc is not None else False for p in positions]
    nodes = tuple(compiled.nodes[i] for i in path_idx)
    legs = _legs(G, edges, on_pt)
    time_s = float(sum(leg.minutes for leg in legs) * 60)
    length_m = float(sum(G.edges[e].get("length", 0.0) for e in edges))
    return Route(src, dst, mode, time_s, length_m, nodes, edges, legs, provenance)


#: how a road leg of a public transport trip is named (see :func:`corridor.network.build.any_layers`)
PT_ROAD_MODE = "jeepney/bus"


def _legs(G: nx.MultiDiGraph, edges: tuple[tuple[Any, Any, Any], ...], on_pt: Sequence[bool]) -> tuple[Leg, ...]:
    legs: list[Leg] = []
    for e, pt in zip(edges, on_pt, strict=True):
        d = G.edges[e]
        mode = d.get("mode", "road")
        pt_wait = float(d.get("pt_wait_s") or 0.0) if pt else 0.0
        slower = 0.0
        if pt and mode == "road":
            mode = PT_ROAD_MODE
            slower = d["travel_time"] * (1 / float(d.get("pt_speed_factor") or 1.0) - 1)
        name = d.get("name") or d.get("link_class") or "unnamed road"
        if isinstance(name, list):  # osmnx merges names of simplified edges
            name = " / ".join(dict.fromkeys(str(x) for x in name))
        link_class = d.get("link_class") or str(d.get("highway", ""))
        minutes = (d["travel_time"] + slower + pt_wait) / 60
        km = d.get("length", 0.0) / 1000
        wait = (d.get("wait_s", 0.0) + pt_wait) / 60
        if legs and legs[-1].mode == mode and legs[-1].name == name:
            last = legs[-1]
            legs[-1] = Leg(mode, name, last.link_class, last.minutes + minutes, last.km + km, last.wait_minutes + wait)
        else:
            legs.append(Leg(mode, name, link_class, minutes, km, wait))
    return tuple(legs)

"""Exact re-scoring: a portfolio's travel times from the base ones, without a new search of the whole network.

A portfolio that only adds links or makes them faster cannot lengthen any
path, so its matrix is exact from the base distances to and from the
endpoints of the changed links (:func:`rescore`): an all-pairs step over
those endpoints (compiled with Numba) and a (min, +) product. Removals and
slow-downs search again only the origins whose fastest paths could use a
changed link; :class:`LeaveOut` answers "this portfolio without each of its
projects" the same way."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
from scipy.sparse.csgraph import dijkstra

from corridor.errors import EngineError
from corridor.paths.engine import (
    CompiledNetwork,
    Delta,
    arc_matrix,
    compiled_kernel,
    distances,
    finite_weights,
    min_plus,
    resolve_backend,
    whole_ms,
)

__all__ = [
    "EndpointCache",
    "LeaveOut",
    "rescore",
]


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
    arcs = delta.better
    tails, heads, weights = arcs[:, 0].astype(np.int64), arcs[:, 1].astype(np.int64), whole_ms(arcs[:, 2])
    extra_s = np.asarray(extra_sources, dtype=np.int64)
    extra_t = np.asarray(extra_targets, dtype=np.int64)
    xs = np.unique(np.concatenate([tails, heads, extra_s, extra_t]))
    base_x = xs[xs < compiled.n]
    cache.prepare(base_x.tolist())
    k = len(xs)
    in_base = np.searchsorted(xs, base_x)
    rows = np.array([cache.index[x] for x in base_x.tolist()], dtype=np.int64)
    # endpoint-to-endpoint distances: the base ones (filled by the kernel), then the changed arcs, then all pairs
    W = np.full((k, k), math.inf)
    in_base = in_base.astype(np.int64)
    arc_rows, arc_cols = np.searchsorted(xs, tails), np.searchsorted(xs, heads)
    # only the base endpoints join the new links to the rest of the network
    es = np.searchsorted(xs, extra_s)
    et = np.searchsorted(xs, extra_t)
    D_sB = np.ascontiguousarray(cache.to_[rows].T)  # sources x base endpoints
    D_Bt = cache.from_[rows]  # base endpoints x targets
    out = np.full((n_s + len(es), n_t + len(et)), math.inf)
    out[:n_s, :n_t] = base
    compiled_kernel(_closure_through)(
        W, in_base, cache.between, rows, arc_rows, arc_cols, weights, D_sB, D_Bt, out[:n_s, :n_t]
    )
    if len(in_base):
        if len(et):
            min_plus(D_sB, W[np.ix_(in_base, et)], out[:n_s, n_t:])
        if len(es):
            min_plus(W[np.ix_(es, in_base)], D_Bt, out[n_s:, :n_t])
    if len(es) and len(et):
        np.minimum(out[n_s:, n_t:], W[np.ix_(es, et)], out=out[n_s:, n_t:])
    return out


# one function of plain loops on purpose: Numba compiles it whole into a single pass without temporaries
def _closure_through(
    W: np.ndarray,
    base: np.ndarray,
    between: np.ndarray,
    rows: np.ndarray,
    arc_rows: np.ndarray,
    arc_cols: np.ndarray,
    weights: np.ndarray,
    to_base: np.ndarray,
    from_base: np.ndarray,
    out: np.ndarray,
) -> None:
    """Fill and close ``W`` over its endpoints, then ``out[s, t] = min(out, to_base[s] (+) W* (+) from_base[t])``.

    ``W`` (endpoints x endpoints, all ``inf``) gets the base distances among
    the base endpoints (``between[rows[i], rows[j]]`` at ``base[i], base[j]``),
    0 on its diagonal and the changed arcs (``weights`` from ``arc_rows`` to
    ``arc_cols``, the least of each pair); Floyd-Warshall closes it. A source s
    reaches base endpoint j through the new links in
    ``a[j] = min_i to_base[s, i] + W*[base[i], base[j]]``; only where that is
    faster than its base distance can a trip through j be shorter than the
    base trip already in ``out``, so only those terms are added. Compiled
    with Numba (:func:`~corridor.paths.engine.compiled_kernel`): one pass without temporaries.
    """
    k = W.shape[0]
    for i in range(base.shape[0]):
        for j in range(base.shape[0]):
            W[base[i], base[j]] = between[rows[i], rows[j]]
    for i in range(k):
        W[i, i] = 0.0
    for arc in range(arc_rows.shape[0]):
        if weights[arc] < W[arc_rows[arc], arc_cols[arc]]:
            W[arc_rows[arc], arc_cols[arc]] = weights[arc]
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
    if len(delta.better) or len(extra_sources) or len(extra_targets):
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
        groups: Sequence[Sequence[tuple[int, int, float]] | np.ndarray],
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
        self.weight = np.concatenate([compiled.weight, finite_weights(weight, "the added links")])
        self.group = np.concatenate([np.full(len(compiled.tail), -1), np.array([e[3] for e in extra], dtype=np.int64)])
        self._matrix = arc_matrix(self.n, self.tail, self.head, self.weight)
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
            matrix = arc_matrix(self.n, self.tail[keep], self.head[keep], self.weight[keep])
            rows = np.flatnonzero(affected)
            out[rows] = np.atleast_2d(dijkstra(matrix, directed=True, indices=self.sources[rows]))[:, self.targets]
        return out

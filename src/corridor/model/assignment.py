"""Static user-equilibrium traffic assignment.

Given links with a volume-delay function and origin-destination demand, :func:`assign`
finds the flows at which no driver can save time by changing route (Wardrop's first
principle). Two engines solve the same problem and are meant to agree:

- ``"aequilibrae"``: AequilibraE's bi-conjugate Frank-Wolfe, run in memory (no project);
- ``"corridor"``: corridor's own bi-conjugate Frank-Wolfe on scipy's Dijkstra.

Units
-----
The assignment converts no units. Link times (``free_flow_time``, and the returned
``time`` and ``cost``) are in the unit the links are given in: minutes for the TNTP
networks that state one (Chicago Sketch). Flows, demand and capacity are vehicles or
passenger-car units (PCU) per assignment period; capacity and demand must cover the
same period. A class's trips are vehicles; a vehicle of class ``c`` counts as
``pce[c]`` PCU against capacity.

The relative gap is ``(TSTT - SPTT) / TSTT``: TSTT is the total cost of the flows at
their own link costs, SPTT the cost of sending every trip on its shortest path at those
costs. Both weigh a vehicle by its PCU and use the generalized cost
(``time + fixed_cost``), the quantity the equilibrium balances.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from corridor.errors import DataError, NoRouteError, SettingsError
from corridor.paths.engine import compiled_kernel, shortest_trees

if TYPE_CHECKING:
    from aequilibrae.matrix import AequilibraeMatrix
    from aequilibrae.paths import Graph


__all__ = [
    "ENGINES",
    "VDFS",
    "AssignmentResult",
    "assign",
    "bpr_derivative",
    "bpr_integral",
    "bpr_time",
    "conical_derivative",
    "conical_integral",
    "conical_time",
    "finite_float",
    "relative_gap",
]

log = logging.getLogger(__name__)


def _aequilibrae_logs() -> None:
    """AequilibraE logs each step at DEBUG on its own logger: kept to its warnings unless corridor's logging is
    at DEBUG (``-vv``)."""
    debug = logging.getLogger().getEffectiveLevel() <= logging.DEBUG
    logging.getLogger("aequilibrae").setLevel(logging.DEBUG if debug else logging.WARNING)


#: the engines :func:`assign` accepts
ENGINES = ("auto", "aequilibrae", "corridor")
#: the volume-delay functions :func:`assign` accepts (case-insensitive)
VDFS = ("BPR", "conical")


#: shortest-path trees are grown for as many origins at once as keep (origins x nodes) near this
_CELLS_PER_BATCH = 2_000_000
#: a conjugate target keeps at least this weight on the new all-or-nothing flows
_CFW_MIN_NEW_WEIGHT = 1e-4
#: a conjugate step shorter than this makes the next one a plain Frank-Wolfe step
_SHORT_STEP = 1e-3


# --------------------------------------------------------------------------------------------
# Volume-delay functions
# --------------------------------------------------------------------------------------------


def _ratio(flow: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    return np.maximum(np.asarray(flow, dtype=float), 0.0) / capacity


def bpr_time(
    flow: np.ndarray, capacity: np.ndarray, free_flow_time: np.ndarray, alpha: np.ndarray, beta: np.ndarray
) -> np.ndarray:
    """BPR link time ``t0 * (1 + alpha * (v / c) ** beta)``, element-wise.

    Parameters
    ----------
    flow
        Link flow ``v`` (PCU per period; negative values count as 0).
    capacity
        Capacity ``c`` (PCU per period, > 0).
    free_flow_time
        ``t0``, in the unit of the result.
    alpha, beta
        BPR parameters, per link or scalar.

    Examples
    --------
    >>> float(bpr_time(np.array([100.0]), np.array([100.0]), np.array([10.0]), 0.15, 4.0)[0])
    11.5
    """
    return free_flow_time * (1.0 + alpha * _ratio(flow, capacity) ** beta)


def bpr_derivative(
    flow: np.ndarray, capacity: np.ndarray, free_flow_time: np.ndarray, alpha: np.ndarray, beta: np.ndarray
) -> np.ndarray:
    """Derivative of :func:`bpr_time` with respect to flow (time per PCU); needs ``beta >= 1``."""
    return free_flow_time * alpha * beta / capacity * _ratio(flow, capacity) ** (beta - 1.0)


def bpr_integral(
    flow: np.ndarray, capacity: np.ndarray, free_flow_time: np.ndarray, alpha: np.ndarray, beta: np.ndarray
) -> np.ndarray:
    """Integral of :func:`bpr_time` from 0 to ``flow`` (time x PCU): a link's term of the Beckmann objective."""
    v = np.maximum(np.asarray(flow, dtype=float), 0.0)
    return free_flow_time * (v + alpha * capacity / (beta + 1.0) * (v / capacity) ** (beta + 1.0))


def _conical_beta(alpha: np.ndarray) -> np.ndarray:
    return (2.0 * alpha - 1.0) / (2.0 * alpha - 2.0)


def conical_time(flow: np.ndarray, capacity: np.ndarray, free_flow_time: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Spiess's conical link time, element-wise.

    ``t0 * (2 + sqrt(a**2 (1 - x)**2 + b**2) - a (1 - x) - b)`` with ``x = v / c`` and
    ``b = (2a - 1) / (2a - 2)``: equal to ``t0`` at no flow and ``2 t0`` at capacity,
    rising ever more steeply past it, never infinite. ``alpha`` (``a``) must exceed 1.

    Examples
    --------
    >>> conical_time(np.array([0.0, 50.0]), np.array([50.0, 50.0]), np.array([3.0, 3.0]), 4.0).round(12).tolist()
    [3.0, 6.0]
    """
    x = _ratio(flow, capacity)
    b = _conical_beta(alpha)
    r = alpha * (1.0 - x)
    return free_flow_time * (2.0 + np.sqrt(r * r + b * b) - r - b)


def conical_derivative(
    flow: np.ndarray, capacity: np.ndarray, free_flow_time: np.ndarray, alpha: np.ndarray
) -> np.ndarray:
    """Derivative of :func:`conical_time` with respect to flow (time per PCU)."""
    x = _ratio(flow, capacity)
    b = _conical_beta(alpha)
    r = alpha * (1.0 - x)
    return free_flow_time / capacity * alpha * (1.0 - r / np.sqrt(r * r + b * b))


def conical_integral(
    flow: np.ndarray, capacity: np.ndarray, free_flow_time: np.ndarray, alpha: np.ndarray
) -> np.ndarray:
    """Integral of :func:`conical_time` from 0 to ``flow`` (time x PCU)."""
    x = _ratio(flow, capacity)
    b = _conical_beta(alpha)

    def primitive(w: np.ndarray) -> np.ndarray:  # of sqrt(w**2 + b**2)
        return 0.5 * (w * np.sqrt(w * w + b * b) + b * b * np.arcsinh(w / b))

    root_part = (primitive(alpha) - primitive(alpha * (1.0 - x))) / alpha
    return free_flow_time * capacity * ((2.0 - b) * x - alpha * (x - 0.5 * x * x) + root_part)


@dataclass(frozen=True)
class _LinkCosts:
    """Per-link volume-delay parameters: time, its derivative and integral as functions of PCU flow."""

    vdf: str  # "BPR" or "CONICAL"
    free_flow_time: np.ndarray
    capacity: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    fixed_cost: np.ndarray

    def time(self, flow: np.ndarray) -> np.ndarray:
        if self.vdf == "BPR":
            return bpr_time(flow, self.capacity, self.free_flow_time, self.alpha, self.beta)
        return conical_time(flow, self.capacity, self.free_flow_time, self.alpha)

    def cost(self, flow: np.ndarray) -> np.ndarray:
        return self.time(flow) + self.fixed_cost

    def derivative(self, flow: np.ndarray) -> np.ndarray:
        if self.vdf == "BPR":
            return bpr_derivative(flow, self.capacity, self.free_flow_time, self.alpha, self.beta)
        return conical_derivative(flow, self.capacity, self.free_flow_time, self.alpha)

    def objective(self, flow: np.ndarray) -> float:
        """Beckmann's objective: the integrals of link time plus fixed cost times flow."""
        if self.vdf == "BPR":
            integral = bpr_integral(flow, self.capacity, self.free_flow_time, self.alpha, self.beta)
        else:
            integral = conical_integral(flow, self.capacity, self.free_flow_time, self.alpha)
        return float(integral.sum() + self.fixed_cost @ np.maximum(flow, 0.0))


# --------------------------------------------------------------------------------------------
# The problem, checked
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Problem:
    """An assignment problem in arrays: links by row position, nodes and zones by index."""

    costs: _LinkCosts
    tails: np.ndarray  # node index of each link's tail
    heads: np.ndarray
    node_ids: np.ndarray  # node id of each node index
    zone_nodes: np.ndarray  # node index of each zone, -1 where the zone is on no link
    zone_ids: list[Any]
    classes: list[str]
    pce: np.ndarray  # (classes,)
    demand: np.ndarray  # (classes, zones, zones) vehicles, intrazonal trips removed
    blocked_centroids: bool


def finite_float(token: str) -> float | None:
    """The finite number a text holds, or None (not a number, or infinite or nan)."""
    try:
        number = float(token)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _column(links: pd.DataFrame, names: Sequence[str], default: float | None) -> tuple[str, np.ndarray]:
    """The first of ``names`` that the links have, as floats; ``default`` everywhere when none (None: required)."""
    for name in names:
        if name in links.columns:
            values = pd.to_numeric(links[name], errors="coerce").to_numpy(dtype=float)
            _check(links, name, np.isfinite(values), "a number")
            return name, values
    if default is None:
        raise DataError(f"the links have no {names[0]!r} column; it is required", field=names[0])
    return names[0], np.full(len(links), float(default))


def _check(links: pd.DataFrame, name: str, ok: np.ndarray, accepted: str) -> None:
    """Raise for the first link whose ``name`` is not ``ok``, naming it by the links' index."""
    if not ok.all():
        row = int(np.flatnonzero(~ok)[0])
        value = _as_python(links[name].iloc[row])
        raise DataError(f"{name} is {value!r}; it takes {accepted}", field=name, id=str(_as_python(links.index[row])))


def _as_python(value: Any) -> Any:
    """A numpy scalar as the Python value it holds, so messages show ``-5.0`` rather than ``np.float64(-5.0)``."""
    return value.item() if isinstance(value, np.generic) else value


def _link_costs(links: pd.DataFrame, vdf: str) -> _LinkCosts:
    """The links' volume-delay parameters, checked: the frame, its end nodes, capacity, times and the function's."""
    if not isinstance(links, pd.DataFrame) or links.empty:
        raise DataError("links must be a non-empty DataFrame with from_node, to_node, capacity, free_flow_time")
    for name in ("from_node", "to_node"):
        if name not in links.columns:
            raise DataError(f"the links have no {name!r} column; it is required", field=name)
        missing_end = links[name].isna().to_numpy()
        _check(links, name, ~missing_end, "a node id: every link needs both end nodes")
    _, capacity = _column(links, ["capacity"], None)
    _, t0 = _column(links, ["free_flow_time"], None)
    alpha_name, alpha = _column(links, ["alpha", "b"], 0.15 if vdf == "BPR" else 4.0)
    beta_name, beta = _column(links, ["beta", "power"], 4.0)
    _, fixed = _column(links, ["fixed_cost"], 0.0)
    _check(links, "capacity", capacity > 0, "a number greater than 0")
    _check(links, "free_flow_time", t0 >= 0, "a number of at least 0")
    if "fixed_cost" in links.columns:
        _check(links, "fixed_cost", fixed >= 0, "a number of at least 0")
    if vdf == "BPR":
        if alpha_name in links.columns:
            _check(links, alpha_name, alpha >= 0, "a number of at least 0 (BPR)")
        if beta_name in links.columns:
            _check(links, beta_name, beta >= 1, "a number of at least 1 (BPR)")
    else:
        if alpha_name in links.columns:
            _check(links, alpha_name, alpha > 1, "a number greater than 1 (conical)")
        beta = _conical_beta(alpha)
    return _LinkCosts(vdf, t0, capacity, alpha, beta, fixed)


def _zone_nodes(zones: Sequence[Any], node_ids: pd.Index) -> tuple[list[Any], np.ndarray]:
    """The zones, each once, and the node index of each (-1 where the zone is on no link)."""
    zone_ids = list(zones)
    if not zone_ids:
        raise DataError(
            "zones is empty; give the node of each zone, in the order of the demand matrices", field="zones"
        )
    if len(set(zone_ids)) != len(zone_ids):
        twice = pd.Index(zone_ids)[pd.Index(zone_ids).duplicated()][0]
        raise DataError(f"zone {_as_python(twice)!r} is listed twice; each zone is one node", field="zones")
    return zone_ids, node_ids.get_indexer(pd.Index(zone_ids)).astype(np.int64)


def _demand_matrix(name: str, matrix: np.ndarray, zone_ids: list[Any]) -> np.ndarray:
    """One class's trips, checked (zones x zones, finite, at least 0), without the trips within a zone."""
    n_zones = len(zone_ids)
    m = np.asarray(matrix, dtype=float)
    if m.shape != (n_zones, n_zones):
        raise DataError(
            f"class {name!r} has a {m.shape} demand matrix; it takes zones x zones = ({n_zones}, {n_zones})",
            field="demand",
        )
    if not np.isfinite(m).all() or (m < 0).any():
        o, d = np.argwhere(~(np.isfinite(m) & (m >= 0)))[0]
        raise DataError(
            f"class {name!r} has {float(m[o, d])!r} trips from zone {_as_python(zone_ids[o])!r} "
            f"to {_as_python(zone_ids[d])!r}; "
            "trips take a number of at least 0",
            field="demand",
        )
    m = m.copy()
    np.fill_diagonal(m, 0.0)
    return m


def _demand(demand: Mapping[str, np.ndarray], zone_ids: list[Any], zone_nodes: np.ndarray) -> np.ndarray:
    """Every class's trips stacked ``(classes, zones, zones)``; a zone with trips must be a node of the links."""
    if not demand:
        raise DataError("demand is empty; give at least one class: {name: zones x zones trips}", field="demand")
    stacked = np.stack([_demand_matrix(name, demand[name], zone_ids) for name in demand])
    missing = zone_nodes < 0
    if missing.any():
        used = stacked.sum(axis=(0, 2)) + stacked.sum(axis=(0, 1))
        bad = np.flatnonzero(missing & (used > 0))
        if bad.size:
            raise DataError(
                f"zone {_as_python(zone_ids[bad[0]])!r} has trips but is no link's node; "
                "a zone must be a node of the links",
                field="zones",
            )
    return stacked


def _pce_factors(pce: Mapping[str, float] | None, classes: list[str]) -> np.ndarray:
    """Each class's passenger-car equivalent (1 unless given), checked."""
    pce = dict(pce or {})
    unknown = sorted(set(pce) - set(classes))
    if unknown:
        raise DataError(f"pce names class {unknown[0]!r}, which has no demand; classes are {classes}", field="pce")
    factors = np.ones(len(classes))
    for i, name in enumerate(classes):
        value = pce.get(name, 1.0)
        number = finite_float(str(value)) if isinstance(value, (int, float, str)) else None
        if number is None or number <= 0:
            raise DataError(f"pce of class {name!r} is {value!r}; it takes a number greater than 0", field="pce")
        factors[i] = number
    return factors


def _prepare(
    links: pd.DataFrame,
    demand: Mapping[str, np.ndarray],
    zones: Sequence[Any],
    pce: Mapping[str, float] | None,
    vdf: str,
    blocked_centroids: bool,
) -> _Problem:
    """The assignment problem in arrays, every input checked in turn: links, zones, demand, pce."""
    costs = _link_costs(links, vdf)
    ends = pd.concat([links["from_node"], links["to_node"]], ignore_index=True)
    codes, node_ids = pd.factorize(ends, sort=False)
    n_links = len(links)
    zone_ids, zone_nodes = _zone_nodes(zones, pd.Index(node_ids))
    classes = list(demand)
    stacked = _demand(demand, zone_ids, zone_nodes)
    return _Problem(
        costs=costs,
        tails=codes[:n_links].astype(np.int64),
        heads=codes[n_links:].astype(np.int64),
        node_ids=np.asarray(node_ids),
        zone_nodes=zone_nodes,
        zone_ids=zone_ids,
        classes=classes,
        pce=_pce_factors(pce, classes),
        demand=stacked,
        blocked_centroids=blocked_centroids,
    )


# --------------------------------------------------------------------------------------------
# Shortest paths and all-or-nothing loading
# --------------------------------------------------------------------------------------------


class _PathGraph:
    """The links as a graph for scipy's Dijkstra, with all-or-nothing loading of demand.

    With blocked centroids each zone node is split in two: its outgoing links leave from
    a source node, its incoming links end at a sink node, so trips may leave a zone only
    at their origin and enter one only at their destination, and nothing passes through.
    Parallel links (same ends) become one graph edge, carried by the cheapest of them.
    """

    def __init__(self, problem: _Problem) -> None:
        n = len(problem.node_ids)
        tails, heads = problem.tails, problem.heads
        present = np.flatnonzero(problem.zone_nodes >= 0)
        origins = np.full(len(problem.zone_nodes), -1, dtype=np.int64)
        dests = origins.copy()
        if problem.blocked_centroids and present.size:
            k = present.size
            source = np.full(n, -1, dtype=np.int64)
            sink = source.copy()
            zone_node = problem.zone_nodes[present]
            source[zone_node] = n + 2 * np.arange(k)
            sink[zone_node] = n + 2 * np.arange(k) + 1
            tails = np.where(source[tails] >= 0, source[tails], tails)
            heads = np.where(sink[heads] >= 0, sink[heads], heads)
            origins[present] = source[zone_node]
            dests[present] = sink[zone_node]
            n += 2 * k
        else:
            origins[present] = problem.zone_nodes[present]
            dests[present] = problem.zone_nodes[present]
        self.n_nodes = n
        self.origins = origins
        self.dests = dests
        keys = tails * n + heads
        self.pair_keys, self.pair_of_link = np.unique(keys, return_inverse=True)
        self.parallel = len(self.pair_keys) < len(keys)
        self.link_of_pair = np.zeros(len(self.pair_keys), dtype=np.int64)
        self.link_of_pair[self.pair_of_link] = np.arange(len(keys))  # the (last) link of each pair
        pair_tails = self.pair_keys // n
        self.indices = (self.pair_keys % n).astype(np.int32)
        self.indptr = np.concatenate([[0], np.cumsum(np.bincount(pair_tails, minlength=n))]).astype(np.int32)
        self.demand = problem.demand
        self.pce = problem.pce
        self.zone_ids = problem.zone_ids

    def _pair_costs(self, link_cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each edge's cost and the link carrying it: the cheapest of its parallel links."""
        if not self.parallel:
            return link_cost[self.link_of_pair], self.link_of_pair
        order = np.lexsort((link_cost, self.pair_of_link))
        first = np.ones(len(order), dtype=bool)
        first[1:] = self.pair_of_link[order[1:]] != self.pair_of_link[order[:-1]]
        chosen = order[first]
        return link_cost[chosen], chosen

    def all_or_nothing(self, link_cost: np.ndarray) -> tuple[np.ndarray, float]:
        """Every trip on a shortest path at ``link_cost``.

        Returns
        -------
        flows
            ``(classes, links)`` vehicles.
        sptt
            Shortest-path total travel cost, PCU-weighted.
        """
        pair_cost, pair_link = self._pair_costs(link_cost)
        graph = sp.csr_matrix((pair_cost, self.indices, self.indptr), shape=(self.n_nodes, self.n_nodes))
        n_classes, n_pairs = self.demand.shape[0], len(self.pair_keys)
        loads = np.zeros((n_pairs, n_classes))
        sptt = 0.0
        sending = np.flatnonzero(self.demand.sum(axis=(0, 2)) > 0)
        receiving = np.flatnonzero(self.demand.sum(axis=(0, 1)) > 0)
        batch = max(1, _CELLS_PER_BATCH // self.n_nodes)
        for start in range(0, len(sending), batch):
            rows = sending[start : start + batch]
            dist, pred = shortest_trees(graph, self.origins[rows])
            trips = self.demand[:, rows][:, :, receiving]  # (classes, origins, destinations)
            to_dest = dist[:, self.dests[receiving]]
            wanted = trips.sum(axis=0) > 0
            unreachable = wanted & ~np.isfinite(to_dest)
            if unreachable.any():
                r, d = np.argwhere(unreachable)[0]
                raise NoRouteError(
                    f"no route from zone {_as_python(self.zone_ids[rows[r]])!r} to zone "
                    f"{_as_python(self.zone_ids[receiving[d]])!r}, "
                    f"which has {trips[:, r, d].sum():g} trips; every zone with trips needs a path to its destinations"
                )
            sptt += float(np.einsum("c,crd,rd->", self.pce, trips, np.where(wanted, to_dest, 0.0)))
            loads += self._load_trees(pred, rows, receiving, trips)
        flows = np.zeros((n_classes, len(link_cost)))
        flows[:, pair_link] = loads.T
        return flows, sptt

    def _load_trees(self, pred: np.ndarray, rows: np.ndarray, receiving: np.ndarray, trips: np.ndarray) -> np.ndarray:
        """Edge loads ``(pairs, classes)`` of sending ``trips`` along the shortest-path trees ``pred``.

        Each node's load is its own trips plus its children's loads: every tree
        is summed up from its deepest nodes (:func:`_push_loads`, compiled).
        """
        loads = np.zeros((len(self.pair_keys), trips.shape[0]))
        compiled_kernel(_push_loads)(
            np.ascontiguousarray(pred, dtype=np.int64),
            self.dests[receiving].astype(np.int64),
            np.ascontiguousarray(trips, dtype=float),
            self.pair_keys.astype(np.int64),
            self.n_nodes,
            loads,
        )
        return loads


# one function of plain loops on purpose: Numba compiles it whole, without temporaries
def _push_loads(
    pred: np.ndarray, dests: np.ndarray, trips: np.ndarray, pair_keys: np.ndarray, n: int, loads: np.ndarray
) -> None:
    """Add to ``loads`` (pairs x classes) the trips of each origin sent along its shortest-path tree.

    ``pred`` is origins x nodes (a node's parent, negative for the root and
    nodes not reached), ``trips`` classes x origins x destinations, ``dests``
    the destinations' nodes and ``pair_keys`` the sorted ``tail * n + head`` of
    the edges. A node's load is its own trips plus its children's; nodes are
    taken deepest first, each passing its load to its parent and onto the edge
    between them.
    """
    classes = trips.shape[0]
    weight = np.zeros((n, classes))
    depth = np.empty(n, np.int64)
    climb = np.empty(n, np.int64)
    order = np.empty(n, np.int64)
    for r in range(pred.shape[0]):
        weight[:] = 0.0
        for d in range(dests.shape[0]):
            for c in range(classes):
                weight[dests[d], c] += trips[c, r, d]
        depth[:] = -1
        deepest = 0
        for v in range(n):  # each node's depth, climbing to the first node whose depth is known
            top = 0
            u = v
            while depth[u] < 0 and pred[r, u] >= 0:
                climb[top] = u
                top += 1
                u = pred[r, u]
            if depth[u] < 0:
                depth[u] = 0
            level = depth[u]
            while top > 0:
                top -= 1
                level += 1
                depth[climb[top]] = level
            deepest = max(deepest, level)
        start = np.zeros(deepest + 2, np.int64)  # nodes by depth, deepest first (a counting sort)
        for v in range(n):
            start[deepest - depth[v] + 1] += 1
        for k in range(1, deepest + 2):
            start[k] += start[k - 1]
        for v in range(n):
            slot = deepest - depth[v]
            order[start[slot]] = v
            start[slot] += 1
        for i in range(n):
            v = order[i]
            parent = pred[r, v]
            if parent < 0:
                continue
            carried = 0.0
            for c in range(classes):
                carried += weight[v, c]
            if carried == 0.0:
                continue
            pair = np.searchsorted(pair_keys, parent * n + v)
            for c in range(classes):
                loads[pair, c] += weight[v, c]
                weight[parent, c] += weight[v, c]


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass
class AssignmentResult:
    """An equilibrium assignment's link results, in the row order of the links given.

    Attributes
    ----------
    flow
        Total flow per link, in PCU per period.
    flows_by_class
        Flow per link of each class, in vehicles of that class per period.
    cost
        Generalized cost per link at ``flow``: congested ``time`` plus the link's
        ``fixed_cost`` (equal to ``time`` when the links have none), in time units.
    time
        Congested link time at ``flow``, in the unit of ``free_flow_time``.
    relative_gap
        ``(TSTT - SPTT) / TSTT`` at ``flow`` (see the module notes), computed the same way
        for both engines.
    iterations
        All-or-nothing assignments made, the first included.
    seconds
        Wall time of the whole call.
    engine
        ``"aequilibrae"`` or ``"corridor"``.
    converged
        Whether ``relative_gap`` reached the requested gap.
    objective
        Beckmann's objective at ``flow``: sum of each link's time integrated from 0 to its
        flow, plus fixed cost times flow (time x PCU).
    gap_history
        The gap after each iteration: the relative gap for corridor's engine, AequilibraE's
        own measure for AequilibraE's (see :func:`assign`).
    """

    flow: np.ndarray
    flows_by_class: dict[str, np.ndarray]
    cost: np.ndarray
    time: np.ndarray
    relative_gap: float
    iterations: int
    seconds: float
    engine: str
    converged: bool
    objective: float = float("nan")
    gap_history: list[float] = field(default_factory=list)


def relative_gap(
    links: pd.DataFrame,
    demand: Mapping[str, np.ndarray],
    flow: np.ndarray,
    *,
    zones: Sequence[Any],
    pce: Mapping[str, float] | None = None,
    vdf: str = "BPR",
    blocked_centroids: bool = True,
) -> float:
    """The relative gap ``(TSTT - SPTT) / TSTT`` of given link flows (PCU), as :func:`assign` defines it.

    Takes the same links and demand as :func:`assign`; useful to check flows from
    elsewhere (a published solution, another program) against the same definition.
    """
    problem = _prepare(links, demand, zones, pce, _vdf_key(vdf), blocked_centroids)
    flow = np.asarray(flow, dtype=float)
    if flow.shape != (len(links),):
        raise DataError(f"flow has shape {flow.shape}; it takes one value per link ({len(links)})", field="flow")
    return _gap(_PathGraph(problem), problem.costs, flow)[0]


def _gap(graph: _PathGraph, costs: _LinkCosts, flow_pcu: np.ndarray) -> tuple[float, np.ndarray]:
    """The relative gap at ``flow_pcu`` and the all-or-nothing flows at its costs."""
    cost = costs.cost(flow_pcu)
    aon, sptt = graph.all_or_nothing(cost)
    tstt = float(cost @ flow_pcu)
    return (max(tstt - sptt, 0.0) / tstt if tstt > 0 else 0.0), aon


# --------------------------------------------------------------------------------------------
# corridor's engine: bi-conjugate Frank-Wolfe
# --------------------------------------------------------------------------------------------


def _line_search(costs: _LinkCosts, flow: np.ndarray, direction: np.ndarray) -> float:
    """The step in [0, 1] minimising Beckmann's objective along ``direction``, by bisection on its derivative."""

    def slope(step: float) -> float:
        return float(costs.cost(flow + step * direction) @ direction)

    if slope(1.0) <= 0.0:
        return 1.0
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if slope(mid) > 0.0:
            hi = mid
        else:
            lo = mid
        if hi - lo < 1e-14:
            break
    return 0.5 * (lo + hi)


def _conjugate_point(
    aon: np.ndarray,
    prev: list[np.ndarray],
    prev_step: float,
    flow: np.ndarray,
    hessian: np.ndarray,
    pce: np.ndarray,
) -> tuple[np.ndarray, str]:
    """The target point of the next step: bi-conjugate, else conjugate, else the all-or-nothing flows.

    ``prev`` holds the last target points (newest first, per-class vehicles). The new
    direction ``target - flow`` is made conjugate, with respect to the objective's
    Hessian ``diag(hessian)``, to the previous one or two directions, as in Mitradjieva
    & Lindberg (2013); a target outside the convex hull of its points, or one that keeps
    almost no weight on the new all-or-nothing flows, is not used.
    """
    y = pce @ aon
    a = y - flow
    if prev and 0.0 < prev_step < 1.0:
        s1 = pce @ prev[0]
        b1 = s1 - flow
        if len(prev) > 1:
            s2 = pce @ prev[1]
            b2 = s2 - flow
            g = prev_step * b1 + (1.0 - prev_step) * b2  # proportional to the direction before last
            hb1, hg = hessian * b1, hessian * g
            system = np.array([[a @ hb1, b1 @ hb1, b2 @ hb1], [a @ hg, b1 @ hg, b2 @ hg], [1.0, 1.0, 1.0]])
            try:
                weights = np.linalg.solve(system, np.array([0.0, 0.0, 1.0]))
            except np.linalg.LinAlgError:
                weights = np.full(3, np.nan)
            if np.isfinite(weights).all() and (weights >= 0).all() and weights[0] >= _CFW_MIN_NEW_WEIGHT:
                return weights[0] * aon + weights[1] * prev[0] + weights[2] * prev[1], "bfw"
        hb1 = hessian * b1
        denominator = hb1 @ (y - s1)
        if denominator != 0.0:
            keep = max((hb1 @ a) / denominator, 0.0)
            if keep <= 1.0 - _CFW_MIN_NEW_WEIGHT:  # else the old point would all but stall the search
                return keep * prev[0] + (1.0 - keep) * aon, "cfw"
    return aon, "fw"


def _solve_corridor(
    problem: _Problem, graph: _PathGraph, gap: float, max_iter: int
) -> tuple[np.ndarray, float, int, list[float]]:
    costs = problem.costs
    pce = problem.pce
    vehicles, _ = graph.all_or_nothing(costs.cost(np.zeros(len(problem.tails))))
    iterations = 1
    history: list[float] = []
    prev: list[np.ndarray] = []
    prev_step = 0.0
    while True:
        flow = pce @ vehicles
        rel_gap, aon = _gap(graph, costs, flow)
        iterations += 1
        history.append(rel_gap)
        if rel_gap <= gap or iterations >= max_iter:
            return vehicles, rel_gap, iterations, history
        target, kind = _conjugate_point(aon, prev, prev_step, flow, costs.derivative(flow), pce)
        direction = pce @ target - flow
        if float(costs.cost(flow) @ direction) >= 0.0 and kind != "fw":
            target, kind = aon, "fw"
            direction = pce @ target - flow
        step = _line_search(costs, flow, direction)
        log.debug("iteration %d: gap %.3e, %s step %.4g", iterations, rel_gap, kind, step)
        vehicles = vehicles + step * (target - vehicles)
        # a full step, or a conjugate step that barely moved, starts the directions afresh
        restart = step >= 1.0 or (kind != "fw" and step < _SHORT_STEP)
        prev = [] if restart else [target, *prev[:1]]
        prev_step = step


# --------------------------------------------------------------------------------------------
# AequilibraE's engine
# --------------------------------------------------------------------------------------------


def _aequilibrae_available() -> bool:
    return importlib.util.find_spec("aequilibrae") is not None


def _aequilibrae_links(problem: _Problem) -> pd.DataFrame:
    """The links as AequilibraE's network table: nodes numbered from 1 with the centroids first.

    Zones on no link get no node of their own. AequilibraE refuses free-flow
    times of 0: those links get a time far below any path's.
    """
    costs = problem.costs
    n_zones = len(problem.zone_ids)
    node_number = np.zeros(len(problem.node_ids), dtype=np.int64)
    present = problem.zone_nodes >= 0
    node_number[problem.zone_nodes[present]] = np.flatnonzero(present) + 1
    others = node_number == 0
    node_number[others] = n_zones + 1 + np.arange(int(others.sum()))
    positive = costs.free_flow_time[costs.free_flow_time > 0]
    tiny = 1e-9 * (float(positive.mean()) if positive.size else 1.0)
    return pd.DataFrame(
        {
            "link_id": np.arange(1, len(problem.tails) + 1, dtype=np.int64),
            "a_node": node_number[problem.tails],
            "b_node": node_number[problem.heads],
            "direction": np.ones(len(problem.tails), dtype=np.int8),
            "capacity": costs.capacity,
            "free_flow_time": np.maximum(costs.free_flow_time, tiny),
            "alpha": costs.alpha,
            "beta": costs.beta,
            "fixed_cost": costs.fixed_cost,
        }
    )


def _aequilibrae_graph(problem: _Problem, network: pd.DataFrame) -> Graph:
    """AequilibraE's in-memory graph of the network table, its centroids the zones."""
    from aequilibrae.paths import Graph

    _aequilibrae_logs()

    n_zones = len(problem.zone_ids)
    aeq_graph = Graph()
    aeq_graph.network = network
    aeq_graph.prepare_graph(np.arange(1, n_zones + 1, dtype=np.int64))
    aeq_graph.set_graph("free_flow_time")
    aeq_graph.set_blocked_centroid_flows(problem.blocked_centroids)
    return aeq_graph


def _aequilibrae_matrices(problem: _Problem, names: list[str]) -> list[AequilibraeMatrix]:
    """Each class's demand as an in-memory AequilibraE matrix of the given name."""
    from aequilibrae.matrix import AequilibraeMatrix

    _aequilibrae_logs()

    n_zones = len(problem.zone_ids)
    matrices = []
    for i, name in enumerate(names):
        matrix = AequilibraeMatrix()
        matrix.create_empty(zones=n_zones, matrix_names=[name], memory_only=True)
        matrix.index[:] = np.arange(1, n_zones + 1)
        matrix.matrices[:, :, 0] = problem.demand[i]
        matrix.computational_view([name])
        matrices.append(matrix)
    return matrices


@dataclass(frozen=True)
class _AequilibraeRun:
    """What one run of AequilibraE's assignment takes: the problem, its network table, graph and matrices."""

    problem: _Problem
    network: pd.DataFrame
    graph: Graph
    names: list[str]
    matrices: list[AequilibraeMatrix]
    cores: int

    def run(self, target: float, steps_below: int, iterations: int) -> tuple[np.ndarray, int, list[float]]:
        """Assign to ``target`` (AequilibraE's gap, ``steps_below`` iterations in a row): vehicles, iterations, gaps."""
        from aequilibrae.paths import TrafficAssignment, TrafficClass

        _aequilibrae_logs()

        costs = self.problem.costs
        classes = []
        for i, name in enumerate(self.names):
            traffic_class = TrafficClass(name, self.graph, self.matrices[i])
            traffic_class.set_pce(float(self.problem.pce[i]))
            if costs.fixed_cost.any():
                traffic_class.set_fixed_cost("fixed_cost")
            classes.append(traffic_class)
        assignment = TrafficAssignment()
        assignment.set_classes(classes)
        assignment.set_vdf(costs.vdf)
        assignment.set_vdf_parameters({"alpha": "alpha", "beta": "beta"})
        assignment.set_capacity_field("capacity")
        assignment.set_time_field("free_flow_time")
        assignment.steps_below_needed_to_terminate = steps_below
        assignment.set_algorithm("bfw")
        assignment.max_iter = int(iterations)
        assignment.rgap_target = float(target)
        assignment.set_cores(self.cores)
        signal = getattr(assignment.assignment, "signal", None)
        if signal is not None and hasattr(signal, "deactivate"):
            signal.deactivate = True  # no progress bars
        assignment.execute()
        results = assignment.results().reindex(self.network["link_id"], fill_value=0.0)
        vehicles = np.stack([results[f"{name}_tot"].to_numpy(dtype=float) for name in self.names])
        report = assignment.assignment.convergence_report
        return vehicles, int(assignment.assignment.iter), [float(g) for g in report.get("rgap", [])]


def _solve_aequilibrae(
    problem: _Problem, graph: _PathGraph, gap: float, max_iter: int, cores: int | None
) -> tuple[np.ndarray, float, int, list[float]]:
    """AequilibraE's bi-conjugate Frank-Wolfe on an in-memory graph: vehicles per class, gap, iterations, its gaps.

    AequilibraE stops on its own gap, which prices the flows after its last step at the
    costs before it. That can pass the target while the relative gap defined here does
    not (on a two-route network: 1e-14 against 1e-3); then it runs once more, from the
    start, needing two iterations in a row below the target.
    """
    # AequilibraE draws progress bars unless told otherwise, and reads this when first imported
    os.environ.setdefault("AEQ_SHOW_PROGRESS", "FALSE")
    network = _aequilibrae_links(problem)
    names = [f"class{i}" for i in range(len(problem.classes))]
    aequilibrae = _AequilibraeRun(
        problem,
        network,
        _aequilibrae_graph(problem, network),
        names,
        _aequilibrae_matrices(problem, names),
        int(cores or os.cpu_count() or 1),
    )
    vehicles, iterations, history = aequilibrae.run(gap, 1, max_iter)
    rel_gap, _ = _gap(graph, problem.costs, problem.pce @ vehicles)
    if rel_gap > gap and iterations < max_iter:
        log.info(
            "AequilibraE stopped at its own gap %.2e with a relative gap of %.2e; running it again",
            history[-1] if history else float("nan"),
            rel_gap,
        )
        again, more, more_history = aequilibrae.run(gap, 2, max_iter - iterations)
        again_gap, _ = _gap(graph, problem.costs, problem.pce @ again)
        iterations += more
        history += more_history
        if again_gap < rel_gap:
            vehicles, rel_gap = again, again_gap
    return vehicles, rel_gap, iterations, history


# --------------------------------------------------------------------------------------------
# The public entry points
# --------------------------------------------------------------------------------------------


def _vdf_key(vdf: str) -> str:
    key = str(vdf).upper()
    if key not in ("BPR", "CONICAL"):
        raise SettingsError(f"vdf is {vdf!r}; it takes one of {', '.join(VDFS)}")
    return key


def assign(
    links: pd.DataFrame,
    demand: Mapping[str, np.ndarray],
    *,
    zones: Sequence[Any],
    pce: Mapping[str, float] | None = None,
    vdf: str = "BPR",
    gap: float = 1e-4,
    max_iter: int = 500,
    engine: str = "auto",
    blocked_centroids: bool = True,
    cores: int | None = None,
) -> AssignmentResult:
    """Static user-equilibrium assignment of one or more vehicle classes.

    Parameters
    ----------
    links
        One row per directed link: ``from_node``, ``to_node`` (any hashable node ids),
        ``capacity`` (PCU per period, > 0), ``free_flow_time`` (>= 0, any time unit);
        optionally ``alpha`` and ``beta`` (BPR; TNTP's ``b`` and ``power`` are read when
        they are absent; defaults 0.15 and 4) and ``fixed_cost`` (>= 0, in time units,
        added to the link's time for route choice: tolls or distance as time). For the
        conical function ``alpha`` (> 1, default 4) is Spiess's alpha and ``beta`` is
        not used.
    demand
        ``{class name: trips}``, each a ``len(zones) x len(zones)`` matrix of vehicles
        per period, rows origins. Trips within a zone are not assigned.
    zones
        The node of each zone, in the order of the demand matrices' rows and columns.
    pce
        Passenger-car equivalents per class (default 1 each): a truck class of 2.5
        counts each truck as 2.5 cars against capacity.
    vdf
        ``"BPR"`` or ``"conical"``.
    gap
        Stop once the relative gap is at most this.
    max_iter
        Stop after this many all-or-nothing assignments whatever the gap (corridor's
        engine counts the one that measures the last gap; it makes at least two).
    engine
        ``"aequilibrae"``, ``"corridor"``, or ``"auto"``: AequilibraE when it is
        installed, else corridor's.
    blocked_centroids
        When true, no route passes through a zone's node: trips leave a zone only at
        their origin and enter one only at their destination.
    cores
        Threads for AequilibraE (default: all); corridor's engine uses one.

    Notes
    -----
    AequilibraE stops on its own gap, which prices the flows after its last step at the
    costs before it; the returned ``relative_gap`` is always the one defined here,
    measured afresh. When AequilibraE stopped short of it, it is run once more from the
    start, needing two iterations in a row below the target; ``converged`` says whether
    the gap was met (on tiny networks AequilibraE 1.7 may still miss it).
    AequilibraE needs free-flow times above 0, so links of 0 get a billionth of the mean
    positive one (far below any path's time).

    Returns
    -------
    AssignmentResult
        Link flows and costs in the row order of ``links``.

    Raises
    ------
    DataError
        Links, zones, demand or pce that do not fit (the message names the row, field and value).
    NoRouteError
        Trips between zones that no path joins.
    SettingsError
        An unknown ``vdf`` or ``engine``, a gap or iteration limit out of range, or
        ``engine="aequilibrae"`` without AequilibraE installed.

    Examples
    --------
    Two roads from zone 1 to zone 2; the equilibrium evens out their times:

    >>> links = pd.DataFrame({"from_node": [1, 1], "to_node": [2, 2], "capacity": [100.0, 100.0],
    ...                       "free_flow_time": [10.0, 12.0]})
    >>> result = assign(links, {"car": np.array([[0.0, 200.0], [0.0, 0.0]])}, zones=[1, 2], engine="corridor")
    >>> bool(abs(result.time[0] - result.time[1]) < 0.01), round(float(result.flow.sum()), 6)
    (True, 200.0)
    """
    started = time.perf_counter()
    vdf_key = _vdf_key(vdf)
    if engine not in ENGINES:
        raise SettingsError(f"engine is {engine!r}; it takes one of {', '.join(ENGINES)}")
    if not (isinstance(gap, (int, float)) and 0 < gap < 1):
        raise SettingsError(f"gap is {gap!r}; it takes a number between 0 and 1 (e.g. 1e-4)")
    if not (isinstance(max_iter, int) and max_iter >= 1):
        raise SettingsError(f"max_iter is {max_iter!r}; it takes a whole number of at least 1")
    if engine == "auto":
        engine = "aequilibrae" if _aequilibrae_available() else "corridor"
    elif engine == "aequilibrae" and not _aequilibrae_available():
        raise SettingsError("engine 'aequilibrae' needs the aequilibrae package (pip install 'aequilibrae>=1.7')")
    problem = _prepare(links, demand, zones, pce, vdf_key, blocked_centroids)
    graph = _PathGraph(problem)
    if engine == "corridor":
        vehicles, rel_gap, iterations, history = _solve_corridor(problem, graph, gap, max_iter)
    else:
        vehicles, rel_gap, iterations, history = _solve_aequilibrae(problem, graph, gap, max_iter, cores)
    flow = problem.pce @ vehicles
    link_time = problem.costs.time(flow)
    converged = rel_gap <= gap
    seconds = time.perf_counter() - started
    (log.info if converged else log.warning)(
        "%s assignment: relative gap %.3g after %d iterations in %.2f s%s",
        engine,
        rel_gap,
        iterations,
        seconds,
        "" if converged else f" (asked for {gap:g})",
    )
    return AssignmentResult(
        flow=flow,
        flows_by_class={name: vehicles[i] for i, name in enumerate(problem.classes)},
        cost=link_time + problem.costs.fixed_cost,
        time=link_time,
        relative_gap=rel_gap,
        iterations=iterations,
        seconds=seconds,
        engine=engine,
        converged=converged,
        objective=problem.costs.objective(flow),
        gap_history=history,
    )

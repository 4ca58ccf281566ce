"""A region joined to an island's road arrays, scored without a graph of the roads.

:func:`network_from_arrays` joins a region's places (zones, gateways,
economic zones) and rail lines to a :class:`~corridor.paths.road_arrays.RoadArrays`
exactly as :func:`corridor.network.build.build_network` joins them to a road graph,
but keeps the roads as arrays: the :class:`ArrayNetwork` it returns holds a
small networkx graph of the places, the rail lines, their connectors and the
few junctions those reach, beside the arrays. :meth:`ArrayNetwork.compile`
gives the engine's compiled network of each mode straight from the arrays,
and the network is the :class:`~corridor.network.changes.RoadSource` of scenarios:
a project's edits bring into the small graph only the junctions they snap to
and the road links they select, so their effects are the same arcs, in the
same node ids, as on the whole graph.

Road junctions are named by their OpenStreetMap node ids and road links
``osm:<way>:<from>-<to>`` (one per direction), as
:meth:`~corridor.paths.road_arrays.RoadArrays.to_networkx` names them.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, SupportsIndex, overload

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.spatial import cKDTree
from shapely.geometry import LineString

from corridor.errors import EngineError
from corridor.geo import metric_xy
from corridor.inputs.region import Region
from corridor.network import edges
from corridor.network.build import (
    CENTROID_KINDS,
    add_rail,
    congestion_areas,
    edge_in_mode,
    join_places,
    network_frame,
)
from corridor.network.changes import ChangeLog
from corridor.network.edges import Attrs, EdgeKey, Node
from corridor.paths.cache import DiskCache
from corridor.paths.engine import (
    COMPILED_MODES,
    CompiledNetwork,
    arc_matrix,
    compile_network,
    fastest_first,
    shortest_trees,
    tree_path,
    whole_ms,
)
from corridor.paths.road_arrays import RoadArrays
from corridor.settings import Settings

__all__ = ["ArrayNetwork", "Junctions", "NodeIndex", "network_from_arrays"]

_LINK_ID = re.compile(r"^osm:(-?\d+):(-?\d+)-(-?\d+)$")


class Junctions(Sequence[int]):
    """The road junctions of arrays in their order, as graph node ids (OSM node ids), with a fast lookup."""

    def __init__(self, osm_node: np.ndarray) -> None:
        self.ids = np.asarray(osm_node, dtype=np.int64)
        self._order = np.argsort(self.ids, kind="stable")
        self._sorted = self.ids[self._order]

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, i: SupportsIndex) -> int: ...

    @overload
    def __getitem__(self, i: slice) -> list[int]: ...

    def __getitem__(self, i: SupportsIndex | slice) -> int | list[int]:
        if isinstance(i, slice):
            return [int(x) for x in self.ids[i]]
        return int(self.ids[i])

    def __iter__(self) -> Iterator[int]:
        return iter(self.ids.tolist())

    def position(self, node: object) -> int | None:
        """The position of a junction in the arrays, or None when ``node`` is not one."""
        if isinstance(node, bool) or not isinstance(node, int | np.integer):
            return None
        k = int(np.searchsorted(self._sorted, node))
        if k < len(self._sorted) and self._sorted[k] == node:
            return int(self._order[k])
        return None

    def positions(self, nodes: np.ndarray) -> np.ndarray:
        """The positions of many junctions at once (all must be junctions)."""
        return self._order[np.searchsorted(self._sorted, nodes)]

    def __contains__(self, node: object) -> bool:
        return self.position(node) is not None


class NodeIndex(Mapping[Node, int]):
    """Graph node -> index of a compiled network: road junctions by arrays (``offset`` + position), others by a dict."""

    def __init__(self, junctions: Junctions | None, offset: int, others: dict[Node, int]) -> None:
        self.junctions = junctions
        self.offset = offset
        self.others = others

    def __getitem__(self, node: Node) -> int:
        i = self.others.get(node)
        if i is not None:
            return i
        if self.junctions is not None:
            p = self.junctions.position(node)
            if p is not None:
                return self.offset + p
        raise KeyError(node)

    def __contains__(self, node: object) -> bool:
        try:
            self[node]
        except (KeyError, TypeError):
            return False
        return True

    def __iter__(self) -> Iterator[Node]:
        yield from self.others
        if self.junctions is not None:
            yield from self.junctions

    def __len__(self) -> int:
        return len(self.others) + (len(self.junctions) if self.junctions is not None else 0)


class NodeList(Sequence[Node]):
    """Index -> graph node of a compiled network: blocks of road junctions, and the other nodes by a dict."""

    def __init__(self, n: int, junctions: Junctions, blocks: Sequence[int], others: dict[int, Node]) -> None:
        self.n = n
        self.junctions = junctions
        self.blocks = tuple(blocks)
        self.others = others

    def __len__(self) -> int:
        return self.n

    @overload
    def __getitem__(self, i: SupportsIndex) -> Node: ...

    @overload
    def __getitem__(self, i: slice) -> list[Node]: ...

    def __getitem__(self, i: SupportsIndex | slice) -> Node | list[Node]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self.n))]
        i = int(i)
        if i < 0:
            i += self.n
        if i in self.others:
            return self.others[i]
        for start in self.blocks:
            if start <= i < start + len(self.junctions):
                return self.junctions[i - start]
        raise IndexError(i)


@dataclass
class ArrayNetwork:
    """A region's places and rail lines joined to road arrays (see the module's notes).

    Attributes
    ----------
    G
        The places, stations, rail links, interchanges and connectors, and
        the road junctions they are joined to; no road link.
    roads
        The road network.
    settings
        What the road travel times were worked out with.
    time_s, free_flow_kph
        Per road arc: its travel time (s) with the congestion factor of the
        area its midpoint lies in, and its free-flow speed.
    area
        Per road arc: the congestion area (None outside every area).
    """

    G: nx.MultiDiGraph
    roads: RoadArrays
    settings: Settings
    time_s: np.ndarray
    free_flow_kph: np.ndarray
    area: np.ndarray
    junctions: Junctions
    _tree: cKDTree | None = field(default=None, repr=False)
    _by_tail: np.ndarray | None = field(default=None, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.update(_tree=None, _by_tail=None)  # rebuilt on first use
        return state

    @property
    def n_junctions(self) -> int:
        return self.roads.n_nodes

    # ------------------------------------------------------------ compiled networks
    def digest(self) -> str:
        """A hash of the road arrays, their travel times and the places graph (what compiling reads)."""
        import hashlib

        from corridor.paths.cache import graph_digest

        h = hashlib.sha256(f"{graph_digest(self.G)} {self.settings.pt_road_speed_factor!r}\n".encode())
        r = self.roads
        for a in (r.osm_node, r.tail, r.head, self.time_s):
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()[:32]

    def compile(self, mode: str, *, cache: DiskCache | None = None) -> CompiledNetwork:
        """The engine's compiled network of a mode, from the arrays and the small graph.

        It equals :func:`corridor.paths.engine.compile_network` of the whole graph
        (the same arcs and times, numbered otherwise): road junction ``i`` of
        the arrays is index ``i``, then the other nodes, the centroids'
        second indices and, in mode ``any``, the public transport copies of
        the junctions. Mode ``rail`` has no junction (no rail arc reaches
        one); in mode ``transit`` a junction's public transport copy is its
        only index (no transit arc leaves or enters the car layer).

        With a ``cache``, the sorted arcs are kept on disk under
        :meth:`digest` and read back by the next run.

        Raises
        ------
        EngineError
            An unknown mode.
        """
        if mode not in COMPILED_MODES:
            raise EngineError("unknown travel mode", field="mode", value=mode, allowed=COMPILED_MODES)
        with_roads = mode != "rail"
        small = compile_network(self.G, mode)
        others, in_others, nxt = self._other_indices(start=self.n_junctions if with_roads else 0)
        pt_start = nxt if mode == "any" else 0
        n_total = nxt + (self.n_junctions if mode == "any" else 0)
        junctions = self.junctions if with_roads else None
        out_index = NodeIndex(junctions, 0, others)
        in_index = NodeIndex(junctions, 0, in_others)
        pt_index = NodeIndex(junctions, pt_start, {}) if mode in {"any", "transit"} else None

        def arcs() -> dict[str, np.ndarray]:
            return self._arcs(mode, small, out_index, in_index, pt_index, pt_start)

        found = cache.arrays(f"compiled-arrays-{mode}-{self.digest()}", arcs) if cache is not None else arcs()
        lon, lat, nodes = self._positions(mode, n_total, pt_start, (others, in_others))
        return CompiledNetwork(
            mode,
            n_total,
            found["tail"],
            found["head"],
            found["weight"],
            out_index,
            in_index,
            nodes,
            None,
            lon,
            lat,
            pt_index,
            None,
            parallel=(found["parallel_tail"], found["parallel_head"], found["parallel_weight"]),
        )

    def _other_indices(self, *, start: int) -> tuple[dict[Node, int], dict[Node, int], int]:
        """The indices of the small graph's nodes that are not road junctions of the arrays, from ``start`` on.

        Returns the index each is left from, the index each is entered at (a
        second one for a centroid), and the next free index.
        """
        others: dict[Node, int] = {}
        for n, d in self.G.nodes(data=True):
            if d.get("kind", "junction") != "junction" or self.junctions.position(n) is None:
                others[n] = start + len(others)
        in_others = dict(others)
        nxt = start + len(others)
        for n in others:
            if self.G.nodes[n].get("kind") in CENTROID_KINDS:
                in_others[n] = nxt
                nxt += 1
        return others, in_others, nxt

    def _positions(
        self, mode: str, n_total: int, pt_start: int, indices: tuple[dict[Node, int], dict[Node, int]]
    ) -> tuple[np.ndarray, np.ndarray, NodeList]:
        """Every index's longitude and latitude, and the node of each index."""
        R = self.n_junctions
        lon = np.empty(n_total)
        lat = np.empty(n_total)
        node_of: dict[int, Node] = {}
        blocks = []
        if mode != "rail":
            lon[:R], lat[:R] = self.roads.lon, self.roads.lat
            blocks.append(0)
        if mode == "any":
            lon[pt_start:], lat[pt_start:] = self.roads.lon, self.roads.lat
            blocks.append(pt_start)
        for index in indices:
            for n, i in index.items():
                lon[i], lat[i] = float(self.G.nodes[n]["x"]), float(self.G.nodes[n]["y"])
                node_of[i] = n
        return lon, lat, NodeList(n_total, self.junctions, blocks, node_of)

    @staticmethod
    def _small_arcs(
        mode: str, small: CompiledNetwork, out_index: NodeIndex, in_index: NodeIndex, pt_index: NodeIndex | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The small graph's arcs (tails, heads) renumbered into the indices of the arrays.

        Raises
        ------
        EngineError
            When an arc reaches a node the arrays do not number.
        """
        remap = np.full(small.n, -1, dtype=np.int64)
        for n, k in small.out_index.items():
            if n in out_index:
                remap[k] = out_index[n]
        for n, k in small.in_index.items():
            if n in in_index:
                remap[k] = in_index[n]
        if small.pt_index is not None and pt_index is not None:
            for n, k in small.pt_index.items():
                if n in pt_index:
                    remap[k] = pt_index[n]
        s_tail, s_head = remap[small.tail], remap[small.head]
        if (s_tail < 0).any() or (s_head < 0).any():
            raise EngineError(f"an arc of mode {mode} reaches a node the arrays do not number")
        return s_tail, s_head

    def _road_layers(self, mode: str, pt_start: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """A mode's road arcs (tails, heads, seconds): by car, by public transport (slower), or both in mode any."""
        if mode == "rail":
            return []
        t, h, w = self.roads.tail.astype(np.int64), self.roads.head.astype(np.int64), self.time_s
        pt_w = w + w * (1 / self.settings.pt_road_speed_factor - 1)
        layers = []
        if mode in {"road", "any", "freight"}:
            layers.append((t, h, w))
        if mode == "any":
            layers.append((t + pt_start, h + pt_start, pt_w))
        if mode == "transit":
            layers.append((t, h, pt_w))
        return layers

    def _arcs(
        self,
        mode: str,
        small: CompiledNetwork,
        out_index: NodeIndex,
        in_index: NodeIndex,
        pt_index: NodeIndex | None,
        pt_start: int,
    ) -> dict[str, np.ndarray]:
        """A mode's arcs sorted by (tail, head), the fastest of parallel ones kept and the others beside."""
        s_tail, s_head = self._small_arcs(mode, small, out_index, in_index, pt_index)
        layers = [(s_tail, s_head, small.weight), *self._road_layers(mode, pt_start)]
        tail = np.concatenate([t for t, _, _ in layers])
        head = np.concatenate([h for _, h, _ in layers])
        weight = whole_ms(np.concatenate([w for _, _, w in layers]))
        if not np.isfinite(weight).all():
            raise EngineError("some road arcs have no valid travel time", field="travel_time_s")
        order, first = fastest_first(tail, head, weight)
        tail, head, weight = tail[order], head[order], weight[order]
        return {
            "tail": tail[first],
            "head": head[first],
            "weight": weight[first],
            "parallel_tail": tail[~first],
            "parallel_head": head[~first],
            "parallel_weight": weight[~first],
        }

    # ------------------------------------------------------------ the road source of scenarios
    def junction_index(self) -> tuple[cKDTree, Sequence[Node]]:
        """A KD-tree (EPSG:32651) of every road junction, and the junctions in its order."""
        if self._tree is None:
            x, y = metric_xy(self.roads.lon, self.roads.lat)
            self._tree = cKDTree(np.column_stack([x, y]))
        return self._tree, self.junctions

    def is_junction(self, node: Node) -> bool:
        return self.junctions.position(node) is not None

    def add_junction(self, G: nx.MultiDiGraph, node: Node) -> None:
        """Put a road junction into G, with the attributes it has in the whole graph."""
        if node in G:
            return
        i = self.junctions.position(node)
        if i is None:
            raise KeyError(node)
        G.add_node(node, x=float(self.roads.lon[i]), y=float(self.roads.lat[i]), kind="junction")

    def link_id(self, arc: int) -> str:
        """The link id of a road arc (``osm:<way>:<from>-<to>``)."""
        r = self.roads
        return f"osm:{int(r.osm_way[arc])}:{int(r.osm_node[r.tail[arc]])}-{int(r.osm_node[r.head[arc]])}"

    def edge_attrs(self, arc: int) -> Attrs:
        """The attributes of a road arc as an edge of the whole graph (see :func:`corridor.network.edges.road_edge`)."""
        r = self.roads
        t, h = int(r.tail[arc]), int(r.head[arc])
        link_class = r.classes[r.link_class[arc]]
        lanes = float(r.lanes[arc])
        return edges.road_edge(
            LineString([(r.lon[t], r.lat[t]), (r.lon[h], r.lat[h])]),
            link_class=link_class,
            settings=self.settings,
            area=self.area[arc],
            speed_kph=float(self.free_flow_kph[arc]),
            length_m=float(r.length_m[arc]),
            highway=link_class,
            name=r.names[r.name[arc]] or None,
            lanes=None if math.isnan(lanes) else lanes,
            link_id=self.link_id(arc),
            osmid=int(r.osm_way[arc]),
            status="operating",
            source=r.source,
        )

    def arcs_between(self, tail: int, head: int) -> np.ndarray:
        """The positions of the road arcs from junction position ``tail`` to ``head``."""
        if self._by_tail is None:
            self._by_tail = np.argsort(self.roads.tail, kind="stable")
        order = self._by_tail
        tails = self.roads.tail
        lo = np.searchsorted(tails[order], tail, side="left")
        hi = np.searchsorted(tails[order], tail, side="right")
        cand = order[lo:hi]
        return np.sort(cand[self.roads.head[cand] == head])

    def add_links(self, scenario: ChangeLog, link_ids: Sequence[str]) -> dict[str, list[EdgeKey]]:
        """Put the base road links of these ids into the scenario's graph; their edge keys by link id found.

        A link already brought in (and maybe closed since) is not brought in again.
        """
        found: dict[str, list[EdgeKey]] = {}
        for lid in link_ids:
            m = _LINK_ID.match(lid)
            if m is None:
                continue
            way, u, v = (int(x) for x in m.groups())
            a, b = self.junctions.position(u), self.junctions.position(v)
            if a is None or b is None:
                continue
            for arc in self.arcs_between(a, b).tolist():
                if int(self.roads.osm_way[arc]) != way or arc in scenario.road_arcs:
                    continue
                found.setdefault(lid, []).append(self._bring(scenario, arc))
        return found

    def _bring(self, scenario: ChangeLog, arc: int) -> EdgeKey:
        G = scenario.G
        u, v = self.junctions[int(self.roads.tail[arc])], self.junctions[int(self.roads.head[arc])]
        self.add_junction(G, u)
        self.add_junction(G, v)
        key = (u, v, G.add_edge(u, v, **self.edge_attrs(arc)))
        scenario.road_arcs[arc] = key
        return key

    def road_route(self, scenario: ChangeLog, a: Node, b: Node) -> list[str] | None:
        """The road link ids of the fastest road route from a to b (never through another centroid), or None.

        The scenario as it stands: the base arrays less the arcs brought
        into its graph, and every road edge of its graph (the links brought
        in as they are now, and the links projects added).
        """
        G = scenario.G
        index = _ScenarioIndex(self.junctions, [n for n in G if self.junctions.position(n) is None])
        matrix = self._road_matrix(scenario, index, (a, b))
        dist, pred = (row[0] for row in shortest_trees(matrix, [index.at(a)]))
        target = index.at(b)
        if not np.isfinite(dist[target]):
            return None
        ids = []
        for x, y in itertools.pairwise(tree_path(pred, target)):
            lid = self._fastest_link(scenario, index, x, y)
            if lid is not None:
                ids.append(lid)
        return ids

    def _road_matrix(self, scenario: ChangeLog, index: _ScenarioIndex, ends: tuple[Node, Node]) -> csr_matrix:
        """The scenario's road arcs as a matrix: the base arcs not brought into its graph, and its graph's road edges.

        No edge of the graph passes through a centroid other than ``ends``.
        """
        G = scenario.G

        def usable(n: Node) -> bool:
            return n in ends or G.nodes[n].get("kind") not in CENTROID_KINDS

        keep = np.ones(self.roads.n_arcs, dtype=bool)
        keep[list(scenario.road_arcs)] = False
        g_edges = [(u, v, d) for u, v, d in G.edges(data=True) if edge_in_mode(d, "road") and usable(u) and usable(v)]
        t = np.concatenate([self.roads.tail[keep], np.array([index.at(u) for u, _, _ in g_edges], dtype=np.int64)])
        h = np.concatenate([self.roads.head[keep], np.array([index.at(v) for _, v, _ in g_edges], dtype=np.int64)])
        w = np.concatenate([self.time_s[keep], np.array([float(d["travel_time"]) for _, _, d in g_edges])])
        w = np.where(w > 0, w, 1e-12)  # csgraph reads an explicit zero as no arc
        return arc_matrix(index.n, t, h, w)

    def _fastest_link(self, scenario: ChangeLog, index: _ScenarioIndex, x: int, y: int) -> str | None:
        """The link id of the fastest road from index x to y: a base arc, or an edge of the scenario's graph.

        None when the fastest is not a road link with an id (a connector).
        """
        G = scenario.G
        R = self.n_junctions
        candidates: list[tuple[float, str | None, str]] = []
        if x < R and y < R:
            for arc in self.arcs_between(x, y).tolist():
                if arc not in scenario.road_arcs:
                    candidates.append((float(self.time_s[arc]), "road", self.link_id(arc)))
        u, v = index.node(x), index.node(y)
        if u in G and v in G and G.has_edge(u, v):
            for d in G[u][v].values():
                if edge_in_mode(d, "road"):
                    candidates.append((float(d["travel_time"]), d.get("mode"), str(d.get("link_id"))))
        _, mode, lid = min(candidates, key=lambda c: c[0])
        return lid if mode == "road" and lid != "None" else None


class _ScenarioIndex:
    """The indices of a road search in a scenario: the arrays' junctions, then the other nodes of its graph."""

    def __init__(self, junctions: Junctions, extra: list[Node]) -> None:
        self.junctions = junctions
        self.index = {n: len(junctions) + i for i, n in enumerate(extra)}
        self.node_of = {i: n for n, i in self.index.items()}
        self.n = len(junctions) + len(extra)

    def at(self, node: Node) -> int:
        """The index of a node."""
        return self.index[node] if node in self.index else int(self.junctions.position(node))  # type: ignore[arg-type]

    def node(self, i: int) -> Node:
        """The node of an index."""
        return self.node_of[i] if i >= len(self.junctions) else self.junctions[i]


def network_from_arrays(region: Region, roads: RoadArrays, settings: Settings | None = None) -> ArrayNetwork:
    """Join a region's places and rail lines to road arrays, without a graph of the roads.

    The same joins as :func:`corridor.network.build.build_network` with ``roads``
    (the nearest junctions, the same connectors, the region's congestion
    factors on the roads' free-flow speeds), so the compiled networks and
    every score equal those of the whole graph.

    Parameters
    ----------
    region
        A loaded region pack.
    roads
        The road network (:func:`corridor.paths.road_arrays.load_road_arrays`).
    settings
        Speeds, congestion factors and access parameters; defaults when None.

    Raises
    ------
    DataError
        A place farther from every road junction than
        ``settings.connector_max_km``.
    SettingsError
        A road class with no speed where an arc has none of its own.
    """
    settings = settings or Settings()
    G = network_frame(region, settings)
    G.graph["attribution"] = roads.source
    G.graph["provenance"]["roads"] = {"source": roads.source, "nodes": roads.n_nodes, "arcs": roads.n_arcs}
    # the road arcs' times, as corridor.network.build._add_real_roads works them out edge by edge
    lon, lat = roads.lon, roads.lat
    area = congestion_areas(G, (lon[roads.tail] + lon[roads.head]) / 2, (lat[roads.tail] + lat[roads.head]) / 2)
    own = np.asarray(roads.speed_kph, dtype=float)
    class_speed = np.array([settings.speeds_kph.get(c, math.nan) for c in roads.classes])
    free_flow = np.where(own != 0, own, class_speed[roads.link_class])
    missing = np.isnan(free_flow)
    if missing.any():
        settings.speed_kph(roads.classes[int(roads.link_class[np.flatnonzero(missing)[0]])])  # raises, naming it
    factor = np.ones(roads.n_arcs)
    areas = [a for a in dict.fromkeys(area.tolist()) if a is not None]
    for a in areas:
        in_area = area == a
        per_class = np.array([settings.congestion_factor(a, c) for c in roads.classes])
        factor[in_area] = per_class[roads.link_class[in_area]]
    time_s = edges.travel_time_s(np.asarray(roads.length_m, dtype=float), free_flow * factor)
    network = ArrayNetwork(G, roads, settings, time_s, free_flow, area, Junctions(roads.osm_node))
    add_rail(G, region, settings)
    tree, junctions = network.junction_index()
    join_places(G, region, settings, tree, junctions, add_junction=network.add_junction)
    return network

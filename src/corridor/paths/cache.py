"""An on-disk cache of compiled networks, their contraction-hierarchy orders, base matrices and model runs.

Compiling a network into arrays, ordering its nodes for a contraction
hierarchy (RoutingKit's ``compute_order_*``) and computing the base
travel-time matrices are the slow steps of every start; each is a pure
function of its inputs, so :class:`DiskCache` keeps its result in a folder,
under a key that hashes those inputs:

- a compiled network: every node and edge of the graph, with their
  attributes and in their order (geometries aside), and the mode;
- a CCH order: the compiled arrays;
- a base matrix: the compiled arrays, the origins and destinations and the
  backend;
- any other result a caller keys by a hash of its inputs (a transport model
  run: :func:`corridor.model.loop.run_key`), through :meth:`DiskCache.stored`.

The same network therefore starts from the cache, and any change to the
graph, its settings-derived travel times or the places scored makes new
keys (stale entries are never read). The package version is part of every
key. Entries are written atomically (:mod:`corridor.files`) as NumPy arrays
and JSON, never pickles; an entry that cannot be read or written is
computed instead, with a warning in the log.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import networkx as nx
import numpy as np
import pandas as pd

from corridor._version import __version__
from corridor.errors import CorridorError
from corridor.files import atomic_paths
from corridor.network.edges import Attrs, Node
from corridor.paths.engine import CompiledNetwork, compile_network, compute_cch_order, travel_times

__all__ = [
    "CACHE_FORMAT",
    "CACHE_DIR_ENV",
    "DEFAULT_CACHE_DIR",
    "DiskCache",
    "arrays_digest",
    "frame_from_entry",
    "frame_to_entry",
    "graph_digest",
]

log = logging.getLogger(__name__)
T = TypeVar("T")

#: the layout of the entries; a new layout makes new keys
CACHE_FORMAT = 1
#: where the command line keeps its cache, relative to the working folder
DEFAULT_CACHE_DIR = ".cache/corridor"
#: the environment variable that names the cache folder instead
CACHE_DIR_ENV = "CORRIDOR_CACHE_DIR"
_SKIP = frozenset({"geometry"})


def _attrs(d: Attrs) -> str:
    return repr(sorted((k, v) for k, v in d.items() if k not in _SKIP))


def graph_digest(G: nx.MultiDiGraph) -> str:
    """A hash of a graph's nodes and edges, their attributes (geometries aside) and their order."""
    h = hashlib.sha256(f"corridor {__version__} cache {CACHE_FORMAT}\n".encode())
    for n, d in G.nodes(data=True):
        h.update(f"n {n!r} {_attrs(d)}\n".encode())
    for u, v, k, d in G.edges(keys=True, data=True):
        h.update(f"e {u!r} {v!r} {k!r} {_attrs(d)}\n".encode())
    return h.hexdigest()[:32]


def arrays_digest(compiled: CompiledNetwork) -> str:
    """A hash of a compiled network's arrays (what its searches depend on)."""
    h = hashlib.sha256(f"corridor {__version__} cache {CACHE_FORMAT} {compiled.mode} {compiled.n}\n".encode())
    for a in (compiled.tail, compiled.head, compiled.weight, compiled.lon, compiled.lat):
        if a is not None:
            h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:32]


def frame_to_entry(name: str, frame: pd.DataFrame) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """A frame as arrays (its number and boolean columns) and JSON (the rest: text, ids, tuples), for an entry.

    Tuples (a link's edge key) are kept as tuples; the index is kept with its name.
    """
    arrays: dict[str, np.ndarray] = {}
    columns: list[dict[str, Any]] = []
    for i, column in enumerate(frame.columns):
        values = frame[column]
        if values.dtype.kind in "biuf":
            arrays[f"{name}.{i}"] = values.to_numpy()
            columns.append({"name": column})
        else:
            tuples = any(isinstance(v, tuple) for v in values)
            cells = [_json_value(v) for v in values]
            columns.append({"name": column, "values": cells, "tuples": tuples, "dtype": str(values.dtype)})
    index = {"name": frame.index.name, "values": [_json_value(v) for v in frame.index]}
    return arrays, {"columns": columns, "index": index}


def frame_from_entry(name: str, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> pd.DataFrame:
    """The frame :func:`frame_to_entry` wrote."""
    data: dict[str, Any] = {}
    for i, column in enumerate(meta["columns"]):
        if "values" not in column:
            data[column["name"]] = arrays[f"{name}.{i}"]
        elif column["tuples"]:
            data[column["name"]] = pd.Series(
                [tuple(v) if isinstance(v, list) else v for v in column["values"]], dtype=object
            )
        else:
            data[column["name"]] = pd.Series(column["values"], dtype=column.get("dtype", "object"))
    frame = pd.DataFrame(data, columns=[c["name"] for c in meta["columns"]])
    frame.index = pd.Index(meta["index"]["values"], name=meta["index"]["name"])
    return frame


def _json_value(value: Any) -> Any:
    """A cell as JSON holds it: numpy numbers as Python's, tuples as lists (marked by their column)."""
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value


def _storable(node: object) -> bool:
    """Whether a node or key can be stored in the cache's arrays as it is (text, or a whole number)."""
    return isinstance(node, str) or (isinstance(node, int) and not isinstance(node, bool))


def _compiled_meta(c: CompiledNetwork) -> dict[str, Any] | None:
    """What JSON keeps of a compiled network beside its arrays; None when a node id or edge key cannot be stored."""
    if not all(_storable(n) for n in c.nodes):
        return None  # node ids JSON cannot carry back as they were
    if c.edge_keys is not None and not all(_storable(k) for e in c.edge_keys for k in e):
        return None
    return {
        "mode": c.mode,
        "n": c.n,
        "nodes": c.nodes,
        "out_index": [[n, i] for n, i in c.out_index.items()],
        "in_index": [[n, i] for n, i in c.in_index.items()],
        "pt_index": None if c.pt_index is None else [[n, i] for n, i in c.pt_index.items()],
        "edge_keys": None if c.edge_keys is None else [list(k) for k in c.edge_keys],
    }


class DiskCache:
    """Compiled networks, CCH orders and base matrices kept in a folder, keyed by the hashes of their inputs.

    Parameters
    ----------
    folder
        Where the entries live (made when first written).

    Attributes
    ----------
    hits, misses
        How many entries were read, and how many computed, by this object.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.hits = 0
        self.misses = 0
        self._graph_digests: dict[int, tuple[nx.MultiDiGraph, str]] = {}

    @classmethod
    def default(cls) -> DiskCache:
        """The commands' cache: the folder ``CORRIDOR_CACHE_DIR`` names, else ``.cache/corridor`` here."""
        return cls(os.environ.get(CACHE_DIR_ENV) or DEFAULT_CACHE_DIR)

    # ------------------------------------------------------------ compiled networks
    def compiled(self, G: nx.MultiDiGraph, mode: str) -> CompiledNetwork:
        """The graph compiled for a mode (:func:`corridor.paths.engine.compile_network`), from the cache when there."""
        key = f"compiled-{mode}-{self._digest(G)}"
        found = self._read_compiled(key)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        compiled = compile_network(G, mode)
        self._write_compiled(key, compiled)
        return compiled

    def _digest(self, G: nx.MultiDiGraph) -> str:
        known = self._graph_digests.get(id(G))
        if known is None or known[0] is not G:
            known = (G, graph_digest(G))
            self._graph_digests[id(G)] = known
        return known[1]

    def _write_compiled(self, key: str, c: CompiledNetwork) -> None:
        """Keep a compiled network under ``key``, unless its node ids or edge keys would not come back as they were."""
        meta = _compiled_meta(c)
        if meta is None:
            return
        arrays = {"tail": c.tail, "head": c.head, "weight": c.weight}
        for name in ("lon", "lat", "pt_arc"):
            if getattr(c, name) is not None:
                arrays[name] = getattr(c, name)
        self._write(key, arrays, meta)

    def _read_compiled(self, key: str) -> CompiledNetwork | None:
        entry = self._read(key)
        if entry is None:
            return None
        arrays, meta = entry
        try:
            return CompiledNetwork(
                meta["mode"],
                int(meta["n"]),
                arrays["tail"],
                arrays["head"],
                arrays["weight"],
                {n: int(i) for n, i in meta["out_index"]},
                {n: int(i) for n, i in meta["in_index"]},
                list(meta["nodes"]),
                None if meta["edge_keys"] is None else [tuple(k) for k in meta["edge_keys"]],
                arrays.get("lon"),
                arrays.get("lat"),
                None if meta["pt_index"] is None else {n: int(i) for n, i in meta["pt_index"]},
                arrays.get("pt_arc"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("cache entry %s is not a compiled network (%s): computing it again", key, exc)
            return None

    # ------------------------------------------------------------ CCH orders
    def cch_order(self, compiled: CompiledNetwork) -> np.ndarray:
        """The CCH node order of a compiled network (:func:`corridor.paths.engine.compute_cch_order`), cached."""
        key = f"cch-order-{arrays_digest(compiled)}"
        entry = self._read(key)
        if entry is not None and "order" in entry[0] and len(entry[0]["order"]) == compiled.n:
            self.hits += 1
            return entry[0]["order"]
        self.misses += 1
        order = compute_cch_order(compiled)
        self._write(key, {"order": order}, {"n": compiled.n})
        return order

    # ------------------------------------------------------------ base matrices
    def travel_times(
        self,
        compiled: CompiledNetwork,
        origins: Sequence[Node],
        destinations: Sequence[Node],
        *,
        backend: str,
        workers: int = 1,
    ) -> np.ndarray:
        """:func:`corridor.paths.engine.travel_times`, cached by the arrays, the places and the backend."""
        places = json.dumps([[repr(n) for n in origins], [repr(n) for n in destinations]]).encode()
        key = f"matrix-{arrays_digest(compiled)}-{backend}-{hashlib.sha256(places).hexdigest()[:16]}"
        entry = self._read(key)
        shape = (len(origins), len(destinations))
        if entry is not None and "seconds" in entry[0] and entry[0]["seconds"].shape == shape:
            self.hits += 1
            return entry[0]["seconds"]
        self.misses += 1
        seconds = travel_times(compiled, list(origins), list(destinations), backend=backend, workers=workers)
        self._write(key, {"seconds": seconds}, {"shape": list(shape), "backend": backend})
        return seconds

    # ------------------------------------------------------------ any result
    def stored(
        self,
        key: str,
        make: Callable[[], T],
        dump: Callable[[T], tuple[dict[str, np.ndarray], dict[str, Any]]],
        load: Callable[[dict[str, np.ndarray], dict[str, Any]], T],
    ) -> T:
        """A result kept under ``key`` as arrays and JSON (``dump`` and ``load`` convert), made when not there.

        An entry that ``load`` cannot read (a layout of an older version) is
        made again.
        """
        entry = self._read(key)
        if entry is not None:
            try:
                value = load(*entry)
            except (KeyError, ValueError, TypeError) as exc:
                log.warning("cannot read the cache entry %s (%s): computing it again", key, exc)
            else:
                self.hits += 1
                return value
        self.misses += 1
        value = make()
        self._write(key, *dump(value))
        return value

    # ------------------------------------------------------------ any arrays
    def arrays(self, key: str, make: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        """Arrays kept under ``key`` (a hash of what they are made from), made by ``make`` when not there."""
        entry = self._read(key)
        if entry is not None:
            self.hits += 1
            return entry[0]
        self.misses += 1
        arrays = make()
        self._write(key, arrays, {})
        return arrays

    # ------------------------------------------------------------ files
    def _paths(self, key: str) -> tuple[Path, Path]:
        return self.folder / f"{key}.npz", self.folder / f"{key}.json"

    def _read(self, key: str) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
        npz, meta = self._paths(key)
        if not (npz.is_file() and meta.is_file()):
            return None
        try:
            with np.load(npz, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
            return arrays, json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError, json.JSONDecodeError) as exc:
            log.warning("cannot read the cache entry %s (%s): computing it again", npz, exc)
            return None

    def _write(self, key: str, arrays: dict[str, Any], meta: dict[str, Any]) -> None:
        npz, meta_path = self._paths(key)
        try:
            with atomic_paths([npz, meta_path]) as (npz_tmp, meta_tmp):
                with npz_tmp.open("wb") as f:
                    np.savez(f, **arrays)
                meta_tmp.write_text(json.dumps(meta), encoding="utf-8")
        except (CorridorError, OSError) as exc:
            log.warning("cannot write the cache entry %s (%s); going on without it", npz, exc)

"""A region's base network kept on disk once built, so that a command that only routes on it starts fast.

Building the network reads the region pack (pandas, GeoPandas) and joins its
places to the roads: about a second. The graph it gives is kept in the cache
folder (``networks/<key>.pickle``), keyed by this version of corridor, the
pack's folder, every file of the pack (modification time and size) and the
settings file's bytes: a change to any of them is a new key, so a stale
network is never read. Only what this module writes is read back (the cache
folder is the user's own, like every cache of pickles).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
from pathlib import Path

import networkx as nx

from corridor._version import __version__
from corridor.files import atomic_paths
from corridor.inputs.packs import pack_stamps, region_path

__all__ = [
    "network_key",
    "read_network",
    "write_network",
]

log = logging.getLogger(__name__)

#: the folder of the cache that holds the networks
_FOLDER = "networks"


def network_key(region: str | Path, settings_file: Path | None) -> str | None:
    """The key of a region's base network built with a settings file (None: the defaults).

    None when the settings file cannot be read: the network is then built, and its loading says why.
    """
    folder = region_path(region).resolve()
    try:
        settings = hashlib.sha256(settings_file.read_bytes()).hexdigest() if settings_file is not None else "defaults"
    except OSError:
        return None
    blob = json.dumps(
        {
            "version": __version__,
            "folder": str(folder),
            "files": pack_stamps(folder),
            "settings": settings,
            "data": os.environ.get("CORRIDOR_DATA", ""),
        },
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def read_network(cache_dir: Path, key: str) -> nx.MultiDiGraph | None:
    """The network kept under ``key``, or None when there is none (or it cannot be read)."""
    path = Path(cache_dir) / _FOLDER / f"{key}.pickle"
    try:
        with path.open("rb") as handle:
            G = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError):
        return None
    return G if isinstance(G, nx.MultiDiGraph) else None


def write_network(cache_dir: Path, key: str, G: nx.MultiDiGraph) -> None:
    """Keep a built network under ``key`` (written whole or not at all; a folder that cannot be written is left)."""
    path = Path(cache_dir) / _FOLDER / f"{key}.pickle"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_paths([path]) as (tmp,):
            tmp.write_bytes(pickle.dumps(G, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError as exc:
        log.debug("the network was not kept in %s: %s", path.parent, exc)

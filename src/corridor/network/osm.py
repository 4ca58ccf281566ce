"""Real OpenStreetMap road networks, in corridor's graph schema.

Read a file with :func:`graph_from_file` (``.osm``, ``.osm.bz2``, ``.osm.pbf``
or an osmnx ``.graphml``), or, for a user who is online, download an area
through Overpass with :func:`graph_from_place` / :func:`graph_from_polygon`,
whose responses osmnx caches on disk. Every result goes through
:func:`to_corridor_schema`: road classes, speeds (OSM ``maxspeed`` where
tagged, else :attr:`Settings.speeds_kph`), travel times, ``mode``,
``link_id``, ``status``, ``geometry`` and ``source`` on every edge.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
from shapely.geometry import LineString

from corridor._version import __version__
from corridor.errors import DataFileNotFound, OSMError
from corridor.files import atomic_path
from corridor.network import edges
from corridor.network.edges import Attrs, Node
from corridor.settings import Settings

__all__ = [
    "graph_from_file",
    "graph_from_place",
    "graph_from_polygon",
    "save_graphml",
    "to_corridor_schema",
    "DRIVE_CLASSES",
    "OSM_SOURCE",
    "OSM_SUFFIXES",
]

log = logging.getLogger(__name__)

#: OSM ``highway`` values kept for a corridor study (motor traffic).
DRIVE_CLASSES = frozenset(
    {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
        "service",
        "road",
    }
)
#: The importance of each class, to pick one when osmnx merged several.
_RANK = [
    "motorway",
    "trunk",
    "primary",
    "secondary",
    "tertiary",
    "unclassified",
    "residential",
    "motorway_link",
    "trunk_link",
    "primary_link",
    "secondary_link",
    "tertiary_link",
    "living_street",
    "service",
    "road",
]
OSM_SOURCE = "© OpenStreetMap contributors (ODbL 1.0)"
OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.pbf", ".pbf", ".xml", ".osm.xml", ".graphml", ".graphml.gz")


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for s in sorted(OSM_SUFFIXES, key=len, reverse=True):
        if name.endswith(s):
            return s
    return path.suffix.lower()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def graph_from_file(
    path: str | Path,
    settings: Settings | None = None,
    *,
    classes: frozenset[str] = DRIVE_CLASSES,
    simplify: bool = True,
    retain_all: bool = False,
) -> nx.MultiDiGraph:
    """Load an OpenStreetMap file as a corridor road network.

    Parameters
    ----------
    path
        ``.osm`` / ``.osm.bz2`` / ``.xml`` (OSM XML), ``.osm.pbf`` (read with
        pyosmium, keeping the ``highway`` ways and their nodes), or an osmnx
        ``.graphml`` / ``.graphml.gz``.
    settings
        Speeds by class for ways without a usable ``maxspeed``.
    classes
        The ``highway`` values to keep.
    simplify
        Merge chains of edges between junctions (osmnx).
    retain_all
        Keep disconnected pieces; by default only the largest weakly
        connected component is kept.

    Raises
    ------
    DataFileNotFound
        The file does not exist.
    OSMError
        An unknown extension, a file that cannot be parsed, or no road of
        the wanted classes in it.

    """
    import osmnx as ox

    path = Path(path)
    if not path.is_file():
        raise DataFileNotFound("OSM file not found", path=path)
    suffix = _suffix(path)
    log.info("reading %s", path)
    try:
        if suffix in {".graphml", ".graphml.gz"}:
            G = ox.load_graphml(path)
        elif suffix in {".osm", ".osm.bz2", ".xml", ".osm.xml"}:
            G = ox.graph_from_xml(path, simplify=simplify, retain_all=True)
        elif suffix in {".osm.pbf", ".pbf"}:
            with _pbf_as_xml(path, classes) as xml:
                G = ox.graph_from_xml(xml, simplify=simplify, retain_all=True)
        else:
            raise OSMError("unknown OSM file type", path=path, value=suffix, allowed=OSM_SUFFIXES)
    except OSMError:
        raise
    except Exception as exc:  # parsers raise many types; report one line
        raise OSMError(f"could not read as OSM ({type(exc).__name__}: {exc})".splitlines()[0], path=path) from exc
    G = _keep_classes(G, classes)
    if G.number_of_edges() == 0:
        raise OSMError("no roads of the wanted classes", path=path, allowed=sorted(classes))
    if not retain_all:
        G = ox.truncate.largest_component(G, strongly=False)
    G.graph["source_file"] = path.name
    G.graph["source_sha256"] = _sha256(path)
    return to_corridor_schema(G, settings, source=OSM_SOURCE)


@contextlib.contextmanager
def _pbf_as_xml(path: Path, classes: frozenset[str]) -> Iterator[Path]:
    """Write the wanted ``highway`` ways of a PBF, with their nodes, to a temporary OSM XML."""
    import osmium

    with tempfile.TemporaryDirectory(prefix="corridor-osm-") as tmp:
        out = Path(tmp) / "roads.osm"
        with osmium.BackReferenceWriter(str(out), ref_src=str(path), overwrite=True) as writer:
            ways = osmium.FileProcessor(str(path), osmium.osm.WAY)
            for way in ways.with_filter(osmium.filter.KeyFilter("highway")):
                if way.tags.get("highway") in classes:
                    writer.add(way)
        yield out


def _keep_classes(G: nx.MultiDiGraph, classes: frozenset[str]) -> nx.MultiDiGraph:
    drop = []
    for u, v, k, d in G.edges(keys=True, data=True):
        hw = d.get("highway")
        values = hw if isinstance(hw, list) else [hw]
        if not any(h in classes for h in values):
            drop.append((u, v, k))
    G.remove_edges_from(drop)
    G.remove_nodes_from([n for n in list(G.nodes) if G.degree(n) == 0])
    return G


def _link_class(highway: object) -> str:
    """The class of an OSM way's ``highway`` tag: the highest ranked where osmnx merged several."""
    tags = highway if isinstance(highway, list) else [highway]
    values = [str(h) for h in tags if h is not None]
    if not values:
        return "road"
    return min(values, key=lambda h: _RANK.index(h) if h in _RANK else len(_RANK))


def _text(value: object) -> str | None:
    """An OSM tag as text: the values osmnx merged joined by `` / ``; None when absent."""
    if value is None:
        return None
    if isinstance(value, list):
        return " / ".join(dict.fromkeys(str(v) for v in value if v is not None)) or None
    return str(value)


def _osm_road_edge(H: nx.MultiDiGraph, u: Node, v: Node, k: int, d: Attrs, settings: Settings, source: str) -> Attrs:
    """An osmnx edge's attributes as a corridor road edge (a straight line where it has no geometry)."""
    du, dv = H.nodes[u], H.nodes[v]
    geometry = d.get("geometry") or LineString([(du["x"], du["y"]), (dv["x"], dv["y"])])
    kept = {key: value for key, value in d.items() if key not in _DERIVED}
    return edges.road_edge(
        geometry,
        link_class=kept.pop("link_class"),
        settings=settings,
        speed_kph=float(kept.pop("speed_kph")),
        length_m=float(kept.pop("length")),
        **{
            **kept,
            "name": _text(kept.get("name")) or _text(kept.get("ref")) or f"unnamed {kept['highway']}",
            "link_id": f"osm:{u}-{v}-{k}",
            "osmid": _text(kept.get("osmid")),
            "status": "operating",
            "source": source,
        },
    )


def to_corridor_schema(
    G: nx.MultiDiGraph, settings: Settings | None = None, *, source: str = OSM_SOURCE
) -> nx.MultiDiGraph:
    """Return a copy of an osmnx graph with corridor's node and edge attributes.

    Speeds come from OSM ``maxspeed`` where tagged, else from the class
    speeds of ``settings``; ``travel_time`` follows from them.
    """
    import osmnx as ox

    settings = settings or Settings()
    H = G.copy()
    for _, _, d in H.edges(data=True):
        d["link_class"] = _link_class(d.get("highway"))
        d["highway"] = d["link_class"]  # one class per edge, for osmnx's speed imputation
    speeds = {c: s for c, s in settings.speeds_kph.items() if c in DRIVE_CLASSES}
    fallback = settings.speeds_kph.get("road", 25.0)
    # osmnx reads the tagged maxspeeds; untagged ways take the class speed
    H = ox.add_edge_speeds(H, hwy_speeds=speeds, fallback=fallback)
    for u, v, k, d in H.edges(keys=True, data=True):
        attrs = _osm_road_edge(H, u, v, k, d, settings, source)
        d.clear()
        d.update(attrs)
    for _, d in H.nodes(data=True):
        d.setdefault("kind", "junction")
    xs = [d["x"] for _, d in H.nodes(data=True)]
    ys = [d["y"] for _, d in H.nodes(data=True)]
    H.graph.update(
        crs="EPSG:4326",
        bbox=(min(xs), min(ys), max(xs), max(ys)),
        attribution=source,
        provenance={
            "source": source,
            "source_file": H.graph.get("source_file"),
            "source_sha256": H.graph.get("source_sha256"),
            "settings_digest": settings.digest(),
            "osmnx_version": ox.__version__,
            "corridor_version": __version__,
        },
    )
    return H


_DERIVED = frozenset({"geometry", "travel_time", "mode"})


def save_graphml(G: nx.MultiDiGraph, path: str | Path) -> Path:
    """Write a road network as osmnx GraphML (atomically), without edge geometries (they are straight)."""
    import osmnx as ox

    H = G.copy()
    for _, _, d in H.edges(data=True):
        d.pop("geometry", None)
    target = Path(path)
    with atomic_path(target) as tmp:
        ox.save_graphml(H, tmp)
    return target


@contextlib.contextmanager
def _osmnx_cache(cache_dir: str | Path) -> Iterator[None]:
    import osmnx as ox

    before = (ox.settings.use_cache, ox.settings.cache_folder)
    ox.settings.use_cache = True
    ox.settings.cache_folder = str(cache_dir)
    try:
        yield
    finally:
        ox.settings.use_cache, ox.settings.cache_folder = before


def graph_from_place(
    query: str | dict[str, str],
    settings: Settings | None = None,
    *,
    cache_dir: str | Path = ".cache/overpass",
    network_type: str = "drive",
) -> nx.MultiDiGraph:
    """Download the roads of a named place through Overpass (needs the internet).

    Responses are cached in ``cache_dir``, so a second call for the same
    place reads the disk.

    Raises
    ------
    OSMError
        The place is unknown to the geocoder, or Overpass cannot be reached.
    """
    import osmnx as ox

    try:
        with _osmnx_cache(cache_dir):
            G = ox.graph_from_place(query, network_type=network_type, simplify=True)
    except Exception as exc:
        raise OSMError(f"could not download {query!r} from OpenStreetMap: {exc}".splitlines()[0]) from exc
    G.graph["source_file"] = f"overpass:{query}"
    return to_corridor_schema(G, settings)


def graph_from_polygon(
    polygon: Any,
    settings: Settings | None = None,
    *,
    cache_dir: str | Path = ".cache/overpass",
    network_type: str = "drive",
) -> nx.MultiDiGraph:
    """Download the roads inside a shapely polygon (EPSG:4326) through Overpass.

    Raises
    ------
    OSMError
        Overpass cannot be reached or returns no roads.
    """
    import osmnx as ox

    try:
        with _osmnx_cache(cache_dir):
            G = ox.graph_from_polygon(polygon, network_type=network_type, simplify=True)
    except Exception as exc:
        raise OSMError(f"could not download the polygon from OpenStreetMap: {exc}".splitlines()[0]) from exc
    G.graph["source_file"] = "overpass:polygon"
    return to_corridor_schema(G, settings)

"""OpenStreetMap road networks at country scale, read as arrays in two streaming passes.

An island's road network has millions of nodes: more than osmnx's in-memory
XML reader or a networkx graph can hold cheaply. :func:`road_arrays_from_pbf`
streams a ``.osm.pbf`` with pyosmium (libosmium's node-location store does
the coordinates), keeps the ``highway`` classes a corridor study needs, and
splits ways only where they meet, so the result is already simplified:

1. the ways of the wanted classes: their node references, class, speed, lanes,
   name and one-way rule;
2. the ways again, with node locations, cut at the nodes two ways share.

The :class:`RoadArrays` that come out compile straight into the engine
(:meth:`RoadArrays.compile`), save to and load from a compressed ``.npz``,
and turn into corridor's networkx schema when a graph is wanted.
"""

from __future__ import annotations

import logging
import math
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

from corridor.errors import DataFileNotFound, OSMError
from corridor.files import atomic_path
from corridor.network import edges
from corridor.network.osm import DRIVE_CLASSES, OSM_SOURCE
from corridor.settings import Settings

if TYPE_CHECKING:
    from corridor.inputs.region import Region
    from corridor.paths.engine import CompiledNetwork

__all__ = [
    "PHILIPPINES_PBF_URL",
    "RoadArrays",
    "download",
    "fetch_region_roads",
    "load_road_arrays",
    "load_roads",
    "road_arrays_from_pbf",
]

log = logging.getLogger(__name__)
_EARTH_M = 6_371_008.8
_SPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$")


def _maxspeed(value: str | None) -> float:
    """OSM ``maxspeed`` in km/h, or nan when absent or not a number."""
    if not value:
        return math.nan
    m = _SPEED.match(value.split(";")[0])
    if not m:
        return math.nan
    speed = float(m.group(1))
    return speed * 1.609344 if m.group(2) == "mph" else speed


def _oneway(tags: Any, highway: str) -> int:
    """1 forward only, -1 backward only, 0 both ways."""
    value = tags.get("oneway")
    if value in {"yes", "true", "1"}:
        return 1
    if value == "-1":
        return -1
    if value in {"no", "false", "0"}:
        return 0
    return 1 if highway in {"motorway", "motorway_link"} or tags.get("junction") == "roundabout" else 0


@dataclass
class RoadArrays:
    """A road network as arrays: nodes 0..n-1, arcs tail -> head (both ways for two-way roads).

    Attributes
    ----------
    osm_node, lon, lat
        Per node: the OSM node id and its position (EPSG:4326).
    tail, head, length_m, speed_kph, travel_time_s, link_class, lanes, name, osm_way
        Per arc. ``link_class`` and ``name`` index :attr:`classes` and
        :attr:`names`; ``lanes`` is nan where untagged.
    """

    osm_node: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    tail: np.ndarray
    head: np.ndarray
    length_m: np.ndarray
    speed_kph: np.ndarray
    travel_time_s: np.ndarray
    link_class: np.ndarray
    lanes: np.ndarray
    name: np.ndarray
    osm_way: np.ndarray
    classes: list[str]
    names: list[str]
    source: str = OSM_SOURCE

    @property
    def n_nodes(self) -> int:
        return len(self.lon)

    @property
    def n_arcs(self) -> int:
        return len(self.tail)

    def compile(self) -> CompiledNetwork:
        """The engine's compiled network of these roads (see :func:`corridor.paths.engine.compile_arrays`)."""
        from corridor.paths.engine import compile_arrays

        return compile_arrays(self.n_nodes, self.tail, self.head, self.travel_time_s, lon=self.lon, lat=self.lat)

    def save(self, path: str | Path) -> Path:
        """Write a compressed ``.npz`` (atomically)."""
        target = Path(path)
        arrays = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in {"classes", "names", "source"}}
        with atomic_path(target) as tmp, tmp.open("wb") as fh:
            np.savez_compressed(
                fh, classes=np.array(self.classes), names=np.array(self.names), source=np.array(self.source), **arrays
            )
        return target

    def to_networkx(self, settings: Settings | None = None) -> nx.MultiDiGraph:
        """corridor's graph schema: junction nodes ``x``/``y``, edges by :func:`corridor.network.edges.road_edge`."""
        from shapely.geometry import LineString

        settings = settings or Settings()
        G = nx.MultiDiGraph(crs="EPSG:4326", attribution=self.source)
        ids = self.osm_node
        for i in range(self.n_nodes):
            G.add_node(int(ids[i]), x=float(self.lon[i]), y=float(self.lat[i]), kind="junction")
        for k in range(self.n_arcs):
            t, h = self.tail[k], self.head[k]
            u, v = int(ids[t]), int(ids[h])
            lanes = float(self.lanes[k])
            link_class = self.classes[self.link_class[k]]
            attrs = edges.road_edge(
                LineString([(self.lon[t], self.lat[t]), (self.lon[h], self.lat[h])]),
                link_class=link_class,
                settings=settings,
                speed_kph=float(self.speed_kph[k]),
                length_m=float(self.length_m[k]),
                highway=link_class,
                name=self.names[self.name[k]] or None,
                lanes=None if math.isnan(lanes) else lanes,
                link_id=f"osm:{int(self.osm_way[k])}:{u}-{v}",
                osmid=int(self.osm_way[k]),
                status="operating",
                source=self.source,
            )
            G.add_edge(u, v, **attrs)
        G.graph["bbox"] = (float(self.lon.min()), float(self.lat.min()), float(self.lon.max()), float(self.lat.max()))
        G.graph["provenance"] = {"source": self.source, "nodes": self.n_nodes, "arcs": self.n_arcs}
        return G


def _read_npz(path: Path) -> RoadArrays:
    """The arrays of a ``.npz`` file, every one of :class:`RoadArrays` present.

    Raises
    ------
    OSMError
        When the file is not a readable ``.npz`` or lacks an array.
    """
    expected = {f.name for f in fields(RoadArrays)}
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = expected - set(data.files)
            if missing:
                raise OSMError(
                    f"not a road network saved by corridor: missing arrays {', '.join(sorted(missing))}", path=path
                )
            kwargs = {k: data[k] for k in data.files if k in expected and k not in {"classes", "names", "source"}}
            return RoadArrays(
                classes=[str(c) for c in data["classes"]],
                names=[str(n) for n in data["names"]],
                source=str(data["source"]),
                **kwargs,
            )
    except OSMError:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:  # numpy reports a bad file so
        raise OSMError(
            f"not a readable .npz road network ({type(exc).__name__}: {exc})".splitlines()[0], path=path
        ) from None


def _check_road_arrays(arrays: RoadArrays, path: Path) -> None:
    """The arrays agree in length, arcs join nodes that exist, and every arc has a travel time.

    Raises
    ------
    OSMError
        On the first of these that fails.
    """
    n, m = arrays.n_nodes, arrays.n_arcs
    if not (len(arrays.osm_node) == len(arrays.lat) == len(arrays.lon) == n) or any(
        len(getattr(arrays, f)) != m for f in ("head", "length_m", "speed_kph", "travel_time_s", "link_class", "name")
    ):
        raise OSMError("the road arrays have inconsistent lengths", path=path)
    if m == 0:
        raise OSMError("the road network has no roads (no arcs)", path=path, allowed="one road or more")
    for name in ("tail", "head", "link_class", "name"):
        if not np.issubdtype(np.asarray(getattr(arrays, name)).dtype, np.integer):
            raise OSMError(f"the array {name} holds indices, not whole numbers", path=path, field=name)
    if arrays.tail.min() < 0 or max(arrays.tail.max(), arrays.head.max()) >= n or arrays.head.min() < 0:
        raise OSMError("arcs refer to nodes that do not exist", path=path)
    for name, count in (("link_class", len(arrays.classes)), ("name", len(arrays.names))):
        codes = np.asarray(getattr(arrays, name))
        if codes.min() < 0 or codes.max() >= count:
            raise OSMError(
                f"the array {name} refers to entries that do not exist",
                path=path,
                field=name,
                allowed=f"0 to {count - 1}",
            )
    lon, lat = np.asarray(arrays.lon, dtype=float), np.asarray(arrays.lat, dtype=float)
    if not (
        np.isfinite(lon).all() and np.isfinite(lat).all() and (np.abs(lon) <= 180).all() and (np.abs(lat) <= 90).all()
    ):
        raise OSMError(
            "some nodes have no valid coordinates", path=path, allowed="longitudes -180..180, latitudes -90..90"
        )
    length = np.asarray(arrays.length_m, dtype=float)
    if not np.isfinite(length).all() or (length < 0).any():
        raise OSMError("some arcs have no valid length", path=path, field="length_m", allowed="finite metres >= 0")
    speed = np.asarray(arrays.speed_kph, dtype=float)
    if not np.isfinite(speed).all() or (speed <= 0).any():
        raise OSMError("some arcs have no valid speed", path=path, field="speed_kph", allowed="finite km/h above 0")
    if not np.isfinite(arrays.travel_time_s).all() or (arrays.travel_time_s < 0).any():
        raise OSMError("some arcs have no valid travel time", path=path, allowed="finite seconds >= 0")


def load_road_arrays(path: str | Path) -> RoadArrays:
    """Read arrays saved by :meth:`RoadArrays.save`.

    Raises
    ------
    DataFileNotFound, OSMError
    """
    path = Path(path)
    if not path.is_file():
        raise DataFileNotFound("road network file not found", path=path)
    arrays = _read_npz(path)
    _check_road_arrays(arrays, path)
    return arrays


@dataclass
class _Ways:
    """The ways kept from a PBF file, in file order: their node references and what their tags say."""

    #: per way, its OSM node ids in order
    refs: list[np.ndarray]
    #: per way: way id, class code, maxspeed (km/h, nan), lanes (nan), name code, one-way rule
    meta: list[tuple[int, int, float, float, int, int]]
    #: the code of each name (``""`` is 0)
    names: dict[str, int]

    def name_list(self) -> list[str]:
        """The names by their code."""
        out = [""] * len(self.names)
        for text, code in self.names.items():
            out[code] = text
        return out


def _lanes(value: str | None) -> float:
    """OSM ``lanes`` as a number, or nan when absent or not a number."""
    try:
        return float(value) if value else math.nan
    except ValueError:
        return math.nan


def _kept(way: Any, class_code: dict[str, int]) -> bool:
    """Whether a way is a road of a wanted class (with at least two nodes)."""
    return way.tags.get("highway") in class_code and len(way.nodes) >= 2


def _read_ways(path: Path, class_code: dict[str, int], progress: Callable[[str, int], None] | None) -> _Ways:
    """The first pass over a PBF file: the ways of the wanted classes, their node references and tags.

    Raises
    ------
    OSMError
        When the file cannot be read, or holds no road of the wanted classes.
    """
    import osmium

    ways = _Ways(refs=[], meta=[], names={"": 0})
    try:
        found: Iterable[Any] = osmium.FileProcessor(str(path), osmium.osm.WAY).with_filter(
            osmium.filter.KeyFilter("highway")
        )
        for count, way in enumerate(found):
            if not _kept(way, class_code):
                continue
            highway = way.tags.get("highway")
            ways.refs.append(np.fromiter((n.ref for n in way.nodes), dtype=np.int64, count=len(way.nodes)))
            name = way.tags.get("name") or way.tags.get("ref") or ""
            ways.meta.append(
                (
                    way.id,
                    class_code[highway],
                    _maxspeed(way.tags.get("maxspeed")),
                    _lanes(way.tags.get("lanes")),
                    ways.names.setdefault(name, len(ways.names)),
                    _oneway(way.tags, highway),
                )
            )
            if progress and count % 100_000 == 0:
                progress("ways", count)
    except RuntimeError as exc:
        raise OSMError(f"could not read as OSM PBF ({exc})", path=path) from exc
    if not ways.refs:
        raise OSMError("no roads of the wanted classes", path=path, allowed=sorted(class_code))
    return ways


def _junctions(refs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The OSM nodes the ways use (sorted), and which of them are junctions: shared by two ways, or a way's end."""
    uniq, counts = np.unique(np.concatenate(refs), return_counts=True)
    ends = np.unique(np.concatenate([[r[0], r[-1]] for r in refs]))
    junction = np.zeros(len(uniq), dtype=bool)
    junction[counts > 1] = True
    junction[np.searchsorted(uniq, ends)] = True
    return uniq, junction


def _way_lon_lat(way: Any) -> np.ndarray:
    """A located way's node positions (lon, lat); nan for a node outside the extract."""
    import osmium

    try:
        return np.array([(n.lon, n.lat) for n in way.nodes])
    except osmium.InvalidLocationError:  # a node outside the extract
        return np.array(
            [(n.location.lon, n.location.lat) if n.location.valid() else (np.nan, np.nan) for n in way.nodes]
        )


def _read_locations(
    path: Path,
    class_code: dict[str, int],
    refs: list[np.ndarray],
    uniq: np.ndarray,
    progress: Callable[[str, int], None] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """The second pass: the same ways with node locations (libosmium keeps them), in the same order.

    Returns the longitude and latitude of each node of ``uniq`` (nan where the extract lacks it).

    Raises
    ------
    OSMError
        When the file cannot be read.
    """
    import osmium

    lon_of = np.full(len(uniq), np.nan)
    lat_of = np.full(len(uniq), np.nan)
    try:
        located: Iterable[Any] = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        i = 0
        for count, way in enumerate(located):
            if not _kept(way, class_code):
                continue
            xy = _way_lon_lat(way)
            pos = np.searchsorted(uniq, refs[i])
            lon_of[pos] = xy[:, 0]
            lat_of[pos] = xy[:, 1]
            i += 1
            if progress and count % 100_000 == 0:
                progress("locations", count)
    except RuntimeError as exc:
        raise OSMError(f"could not read the node locations ({exc})", path=path) from exc
    return lon_of, lat_of


@dataclass
class _Nodes:
    """The OSM nodes the kept ways use: ids (sorted), positions, and which are junctions."""

    uniq: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    junction: np.ndarray


def _ways_in_box(refs: list[np.ndarray], nodes: _Nodes, bbox: tuple[float, float, float, float] | None) -> np.ndarray:
    """Per way, whether it has a node inside ``(lon_min, lat_min, lon_max, lat_max)`` (all, without a box)."""
    keep_way = np.ones(len(refs), dtype=bool)
    if bbox is not None:
        lon_min, lat_min, lon_max, lat_max = bbox
        for i, r in enumerate(refs):
            p = np.searchsorted(nodes.uniq, r)
            lon, lat = nodes.lon[p], nodes.lat[p]
            inside = (lon >= lon_min) & (lon <= lon_max) & (lat >= lat_min) & (lat <= lat_max)
            keep_way[i] = bool(inside.any())
    return keep_way


def _way_links(p: np.ndarray, nodes: _Nodes) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """One way (positions ``p`` in the node table) cut at its junctions: the links' tails, heads and lengths (m).

    None when a node of the way lies outside the extract.
    """
    lo, la = np.radians(nodes.lon[p]), np.radians(nodes.lat[p])
    if np.isnan(lo).any():
        return None  # a node outside the extract
    dlat, dlon = np.diff(la), np.diff(lo)
    a = np.sin(dlat / 2) ** 2 + np.cos(la[:-1]) * np.cos(la[1:]) * np.sin(dlon / 2) ** 2
    seg = 2 * _EARTH_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    cut = np.flatnonzero(nodes.junction[p])
    if cut[0] != 0:
        cut = np.concatenate([[0], cut])
    if cut[-1] != len(p) - 1:
        cut = np.concatenate([cut, [len(p) - 1]])
    return p[cut[:-1]], p[cut[1:]], cum[cut[1:]] - cum[cut[:-1]]


def _cut_links(
    refs: list[np.ndarray], keep_way: np.ndarray, nodes: _Nodes
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """The kept ways cut into links between junctions: tails, heads, lengths (m) and each link's way.

    None when no way gives a link.
    """
    tails, heads, lengths, way_idx = [], [], [], []
    for i, r in enumerate(refs):
        if not keep_way[i]:
            continue
        links = _way_links(np.searchsorted(nodes.uniq, r), nodes)
        if links is None:
            continue
        tails.append(links[0])
        heads.append(links[1])
        lengths.append(links[2])
        way_idx.append(np.full(len(links[0]), i))
    if not tails:
        return None
    return np.concatenate(tails), np.concatenate(heads), np.concatenate(lengths), np.concatenate(way_idx)


def _road_arrays(
    links: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    ways: _Ways,
    nodes: _Nodes,
    class_list: list[str],
    class_speed: np.ndarray,
) -> RoadArrays:
    """The links as arcs (both ways for two-way roads) with speeds and classes, on nodes renumbered 0..n-1.

    A link's speed is its way's ``maxspeed``, else its class's speed.
    """
    t, h, length, w = links
    m = np.array(ways.meta, dtype=float)
    cls = m[w, 1].astype(np.int16)
    speed = np.where(np.isnan(m[w, 2]), class_speed[cls], m[w, 2])
    speed = np.where(speed > 0, speed, class_speed[cls])
    oneway = m[w, 5].astype(np.int8)
    forward = oneway >= 0
    backward = oneway <= 0
    tail = np.concatenate([t[forward], h[backward]])
    head = np.concatenate([h[forward], t[backward]])

    def both(x: np.ndarray) -> np.ndarray:
        return np.concatenate([x[forward], x[backward]])

    length_m = np.maximum(both(length), 0.1)
    speed_kph = both(speed)
    # keep only the nodes the arcs use, renumbered 0..n-1
    used = np.unique(np.concatenate([tail, head]))
    remap = np.full(len(nodes.uniq), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    return RoadArrays(
        osm_node=nodes.uniq[used],
        lon=nodes.lon[used],
        lat=nodes.lat[used],
        tail=remap[tail],
        head=remap[head],
        length_m=length_m,
        speed_kph=speed_kph,
        travel_time_s=edges.travel_time_s(length_m, speed_kph),
        link_class=both(cls),
        lanes=both(m[w, 3]),
        name=both(m[w, 4].astype(np.int32)),
        osm_way=both(m[w, 0].astype(np.int64)),
        classes=class_list,
        names=ways.name_list(),
    )


def road_arrays_from_pbf(
    path: str | Path,
    settings: Settings | None = None,
    *,
    classes: frozenset[str] = DRIVE_CLASSES,
    bbox: tuple[float, float, float, float] | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> RoadArrays:
    """Stream the roads of an ``.osm.pbf`` into arrays, simplified to junctions.

    Parameters
    ----------
    path
        An OpenStreetMap PBF file, of any size.
    settings
        Speeds by class where ``maxspeed`` is not tagged.
    classes
        ``highway`` values to keep.
    bbox
        ``(lon_min, lat_min, lon_max, lat_max)``: keep only ways with a node inside.
    progress
        Called with (stage, ways so far) every 100,000 ways.

    Raises
    ------
    DataFileNotFound, OSMError
    """
    settings = settings or Settings()
    path = Path(path)
    if not path.is_file():
        raise DataFileNotFound("OSM file not found", path=path)
    class_list = sorted(classes)
    class_code = {c: i for i, c in enumerate(class_list)}
    class_speed = np.array([settings.speeds_kph.get(c, settings.speeds_kph.get("road", 25.0)) for c in class_list])
    ways = _read_ways(path, class_code, progress)
    uniq, junction = _junctions(ways.refs)
    lon_of, lat_of = _read_locations(path, class_code, ways.refs, uniq, progress)
    nodes = _Nodes(uniq, lon_of, lat_of, junction)
    links = _cut_links(ways.refs, _ways_in_box(ways.refs, nodes, bbox), nodes)
    if links is None:
        raise OSMError("no roads inside the region's box", path=path, value=bbox)
    arrays = _road_arrays(links, ways, nodes, class_list, class_speed)
    log.info("%s: %d nodes, %d arcs", path, arrays.n_nodes, arrays.n_arcs)
    return arrays


#: Geofabrik's daily extract of the Philippines (about 500 MB)
PHILIPPINES_PBF_URL = "https://download.geofabrik.de/asia/philippines-latest.osm.pbf"


def download(url: str, dest: str | Path, *, progress: bool = True) -> Path:
    """Download a file with a progress bar, to a temporary name renamed when complete."""
    import urllib.request

    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    target = Path(dest)
    try:
        with urllib.request.urlopen(url, timeout=60) as response, atomic_path(target) as tmp, tmp.open("wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                disable=not progress,
            ) as bar:
                task = bar.add_task(f"downloading {target.name}", total=total)
                while chunk := response.read(1 << 20):
                    out.write(chunk)
                    bar.advance(task, len(chunk))
    except (OSError, ValueError) as exc:  # ValueError: not a URL urllib can fetch
        raise OSMError(f"could not download {url}: {exc}") from None
    return target


def _check_pbf(path: Path, allowed: str) -> None:
    """Refuse a file that is not an OpenStreetMap PBF (its first block is an ``OSMHeader``)."""
    with path.open("rb") as f:
        head = f.read(64)
    if b"OSMHeader" not in head:
        raise OSMError("not an OpenStreetMap PBF file", path=path, value=head[:16].hex(), allowed=allowed)


def fetch_region_roads(
    region: Region,
    out: str | Path,
    *,
    url: str = PHILIPPINES_PBF_URL,
    cache_dir: str | Path = ".cache/osm",
    settings: Settings | None = None,
    fetch: Callable[[str, Path], Path] | None = None,
    progress: bool = True,
) -> RoadArrays:
    """Download an OpenStreetMap extract (once, cached) and save the roads of a region's box as ``.npz``.

    Parameters
    ----------
    region
        A :class:`corridor.inputs.region.Region`; its bbox clips the roads.
    out
        Where to write the road arrays (``.npz``).
    url
        The extract: a URL (Geofabrik's Philippines by default), downloaded
        once into ``cache_dir``, or a local ``.osm.pbf`` file, read where it is.
    cache_dir
        Where the downloaded extract is kept between runs.
    fetch
        The downloader (for tests: a function that puts the file in place).
    """
    allowed = "an OpenStreetMap extract (.osm.pbf): a file of this machine or an http(s):// URL"
    if "://" not in url:  # a file of this machine
        pbf = Path(url)
        if not pbf.is_file():
            raise DataFileNotFound("OSM extract not found", path=pbf, allowed=allowed)
        _check_pbf(pbf, allowed)
    else:
        scheme, name = url.split("://", 1)[0].lower(), url.split("?", 1)[0].rsplit("/", 1)[-1]
        if scheme not in {"http", "https"} or not name.lower().endswith(".pbf"):
            raise OSMError("not the address of an OpenStreetMap extract", value=url, allowed=allowed)
        cache = Path(cache_dir)
        cache.mkdir(parents=True, exist_ok=True)
        pbf = cache / name
        if not pbf.is_file():
            (fetch or (lambda u, d: download(u, d, progress=progress)))(url, pbf)
        try:
            _check_pbf(pbf, allowed)
        except OSMError:
            pbf.unlink(missing_ok=True)  # not kept for the next run to trust
            raise
    if not progress:
        arrays = road_arrays_from_pbf(pbf, settings, bbox=region.bbox)
    else:
        from rich.progress import Progress, SpinnerColumn, TextColumn

        with Progress(SpinnerColumn(), TextColumn("reading {task.description}: {task.completed:,} ways")) as bar:
            task = bar.add_task(pbf.name, total=None)

            def report(stage: str, ways: int) -> None:
                bar.update(task, description=f"{pbf.name} ({stage})", completed=ways)

            arrays = road_arrays_from_pbf(pbf, settings, bbox=region.bbox, progress=report)
    arrays.save(out)
    return arrays


def load_roads(
    path: str | Path, settings: Settings | None = None, *, bbox: tuple[float, float, float, float] | None = None
) -> nx.MultiDiGraph:
    """A road network file as a graph in corridor's schema: ``.npz`` arrays, ``.osm.pbf``, or what osm reads."""
    from corridor.network.osm import OSM_SUFFIXES, graph_from_file

    path = Path(path)
    name = path.name.lower()
    if not name.endswith((".npz", *OSM_SUFFIXES)):
        raise OSMError("unknown road network file type", path=path, value=path.suffix, allowed=(".npz", *OSM_SUFFIXES))
    if name.endswith(".npz"):
        return load_road_arrays(path).to_networkx(settings)
    if name.endswith(".pbf"):
        return road_arrays_from_pbf(path, settings, bbox=bbox).to_networkx(settings)
    return graph_from_file(path, settings)

"""Build ``data/luzon/zones.geojson``: one polygon per zone of ``data/luzon/zones.csv``.

Each zone is the union of the city and municipality polygons listed in its
``psgc_members`` column, taken from the 2023 PSGC boundaries of
faeldon/philippines-json-maps (MIT; PSA/NAMRIA via OCHA HDX COD-AB) as kept in
``../shared/data/faeldon_psgc_boundaries/luzon_municities_medres.geojson``
(where Angeles, Olongapo and Lucena, missing from the upstream city files,
were rebuilt from their barangays). Members are matched on the 10-digit
``psgc10`` code.

The steps, all in EPSG:32651 (metres):

1. dissolve each zone's members into one (Multi)Polygon;
2. clean the zones as a coverage (``shapely.coverage_clean``): overlaps between
   neighbouring zones go to the zone with the longest shared border, and gaps
   narrower than :data:`GAP_WIDTH_M` are filled the same way, so the large lakes
   and reservoirs (Laguna de Bay, Taal Lake, Pantabangan, Caliraya) stay holes;
3. simplify the coverage topologically (``shapely.coverage_simplify``) with
   :data:`TOLERANCE_M`, so neighbours keep one shared border;
4. snap neighbours lying within :data:`SNAP_M` of each other, so rounding
   cannot open an overlap;

then reproject to EPSG:4326, round to :data:`DECIMALS` decimals, check that
every polygon is valid and that the zones still form a coverage (no overlaps,
shared edges identical), and write a GeoJSON FeatureCollection, atomically,
byte for byte the same on every run.

Usage::

    python scripts/build_zone_polygons.py [--out PATH] [--zones PATH] [--shared-data DIR]

The public datasets are looked for in ``$CORRIDOR_SHARED_DATA`` or else in
``../shared/data`` next to the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

ROOT = Path(__file__).resolve().parents[1]
ZONES_CSV = ROOT / "data" / "luzon" / "zones.csv"
ZONES_GEOJSON = ROOT / "data" / "luzon" / "zones.geojson"
BOUNDARIES = Path("faeldon_psgc_boundaries") / "luzon_municities_medres.geojson"

METRIC_CRS = "EPSG:32651"
DISPLAY_CRS = "EPSG:4326"
#: coverage simplification tolerance: about the square root of the largest triangle area removed
TOLERANCE_M = 150.0
#: gaps between zones narrower than this are merged into a neighbour; wider ones (lakes) stay holes
GAP_WIDTH_M = 1500.0
#: decimals kept in lon/lat (1e-5 degree is about 1.1 m)
DECIMALS = 5
#: neighbours closer than this are snapped together, so rounding cannot open an overlap between them
SNAP_M = 1.0
#: decimals kept in ``area_km2``
AREA_DECIMALS = 2
SOURCE = (
    "Dissolved from the 2023 medres city/municipality boundaries of faeldon/philippines-json-maps "
    "(MIT, commit 8eeead560246863c8c820c31ca6fbca81a279477; PSA/NAMRIA via OCHA HDX COD-AB), "
    f"coverage-cleaned (gaps under {GAP_WIDTH_M:g} m filled) and simplified at {TOLERANCE_M:g} m in EPSG:32651"
)


class BuildError(Exception):
    """Bad or missing input; the message is printed as one line."""


def shared_data_dir(arg: str | None = None) -> Path:
    """The folder of the public datasets.

    Parameters
    ----------
    arg
        An explicit folder, from ``--shared-data``.

    Returns
    -------
    Path
        ``arg``, else ``$CORRIDOR_SHARED_DATA``, else ``../shared/data`` beside the repository.
    """
    if arg:
        return Path(arg)
    env = os.environ.get("CORRIDOR_SHARED_DATA")
    return Path(env) if env else ROOT.parent / "shared" / "data"


def read_zones(path: Path) -> pd.DataFrame:
    """Read the zone table and split ``psgc_members`` into lists of 10-digit PSGC codes.

    Parameters
    ----------
    path
        ``zones.csv`` with at least ``zone_id``, ``name`` and ``psgc_members``
        (space-separated PSGC codes; a 9-digit code gets its leading zero back).

    Returns
    -------
    pandas.DataFrame
        The rows in file order, with ``members`` holding the codes as a list.
    """
    if not path.is_file():
        raise BuildError(f"zone table not found: {path}")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise BuildError(f"cannot read {path}: {exc}") from None
    missing = {"zone_id", "name", "psgc_members"} - set(frame.columns)
    if missing:
        raise BuildError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
    if frame.zone_id.duplicated().any():
        raise BuildError(f"{path}: duplicate zone_id {frame.zone_id[frame.zone_id.duplicated()].iloc[0]!r}")
    owner: dict[str, str] = {}
    members: list[list[str]] = []
    for zone_id, cell in zip(frame.zone_id, frame.psgc_members, strict=True):
        codes = [code.zfill(10) for code in cell.split()]
        if not codes:
            raise BuildError(f"{path}: zone {zone_id!r} has no psgc_members")
        for code in codes:
            if not (code.isdigit() and len(code) == 10):
                raise BuildError(f"{path}: zone {zone_id!r} has a malformed PSGC code {code!r}")
            if code in owner:
                raise BuildError(f"{path}: PSGC {code} is a member of both {owner[code]!r} and {zone_id!r}")
            owner[code] = zone_id
        members.append(codes)
    return frame.assign(members=members)


def read_boundaries(shared: Path) -> gpd.GeoSeries:
    """Read the city/municipality polygons, indexed by 10-digit PSGC code, in EPSG:32651.

    Parameters
    ----------
    shared
        The folder of the public datasets.

    Returns
    -------
    geopandas.GeoSeries
        One polygon per city or municipality.
    """
    if not shared.is_dir():
        raise BuildError(
            f"the public datasets are not at {shared}; set CORRIDOR_SHARED_DATA to the shared 'data' folder"
        )
    path = shared / BOUNDARIES
    if not path.is_file():
        raise BuildError(f"city/municipality boundaries not found: {path}")
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own errors for unreadable files
        raise BuildError(f"cannot read {path}: {exc}") from None
    # psgc10 is the zero-padded 10-digit string; adm3_psgc is the same code as an integer, without the leading zero
    if "psgc10" in gdf:
        codes = gdf["psgc10"].astype(str)
    elif "adm3_psgc" in gdf:
        codes = gdf["adm3_psgc"].astype("int64").astype(str).str.zfill(10)
    else:
        raise BuildError(f"{path}: neither psgc10 nor adm3_psgc is a column")
    return gpd.GeoSeries(gdf.geometry.values, index=codes.values, crs=gdf.crs).to_crs(METRIC_CRS)


def dissolve(zones: pd.DataFrame, boundaries: gpd.GeoSeries) -> np.ndarray:
    """Union each zone's member polygons.

    Parameters
    ----------
    zones
        From :func:`read_zones`.
    boundaries
        From :func:`read_boundaries`.

    Returns
    -------
    numpy.ndarray
        One (Multi)Polygon per zone, in the order of ``zones``.
    """
    out = []
    for zone_id, codes in zip(zones.zone_id, zones.members, strict=True):
        unknown = [code for code in codes if code not in boundaries.index]
        if unknown:
            raise BuildError(f"zone {zone_id!r}: PSGC code(s) {' '.join(unknown)} not found in {BOUNDARIES}")
        parts = boundaries.loc[codes].values
        if shapely.is_missing(parts).any() or shapely.is_empty(parts).any():
            raise BuildError(f"zone {zone_id!r}: a member has no polygon in {BOUNDARIES}")
        out.append(shapely.union_all(parts))
    return np.array(out, dtype=object)


def snap_neighbours(polygons: np.ndarray, tolerance_m: float = SNAP_M) -> np.ndarray:
    """Snap each polygon to its neighbours' vertices within ``tolerance_m``.

    Where two zones run side by side less than a rounding step apart (a hairline
    gap left open to the sea), rounding could make them overlap; snapping inserts
    the neighbour's vertex into the edge so both share it exactly.

    Parameters
    ----------
    polygons
        A coverage in a metric CRS.
    tolerance_m
        The snapping distance, in the units of the CRS.

    Returns
    -------
    numpy.ndarray
        The snapped polygons, in the same order.
    """
    tree = shapely.STRtree(polygons)
    out = []
    for k, polygon in enumerate(polygons):
        near = [n for n in tree.query(polygon, predicate="dwithin", distance=tolerance_m) if n != k]
        vertices = shapely.multipoints(shapely.get_coordinates(polygons[near]))
        out.append(shapely.snap(polygon, vertices, tolerance_m) if near else polygon)
    return np.array(out, dtype=object)


def build(zones: pd.DataFrame, boundaries: gpd.GeoSeries) -> gpd.GeoDataFrame:
    """Dissolve, clean, simplify, reproject and round the zone polygons.

    Parameters
    ----------
    zones
        From :func:`read_zones`.
    boundaries
        From :func:`read_boundaries`.

    Returns
    -------
    geopandas.GeoDataFrame
        ``zone_id``, ``name``, ``psgc_members``, ``area_km2``, ``source`` and the
        geometry in EPSG:4326, one row per zone in the order of ``zones``.
    """
    for needed in ("coverage_clean", "coverage_simplify", "orient_polygons"):
        if not hasattr(shapely, needed):
            raise BuildError(
                f"shapely {shapely.__version__} has no {needed}; shapely >= 2.2 with GEOS >= 3.14 is needed"
            )
    merged = dissolve(zones, boundaries)
    clean = shapely.coverage_clean(merged, gap_width=GAP_WIDTH_M)
    simple = snap_neighbours(shapely.coverage_simplify(clean, TOLERANCE_M))
    lonlat = gpd.GeoSeries(simple, crs=METRIC_CRS).to_crs(DISPLAY_CRS).values
    rounded = shapely.remove_repeated_points(shapely.transform(lonlat, lambda xy: np.round(xy, DECIMALS)))
    # RFC 7946: exterior rings counter-clockwise, holes clockwise
    rounded = shapely.orient_polygons(rounded, exterior_cw=False)
    bad = ~shapely.is_valid(rounded) | shapely.is_empty(rounded)
    if bad.any():
        first = int(np.argmax(bad))
        reason = shapely.is_valid_reason(rounded[first])
        raise BuildError(f"zone {zones.zone_id.iloc[first]!r}: the simplified polygon is invalid ({reason})")
    if not shapely.coverage_is_valid(rounded):
        edges = shapely.coverage_invalid_edges(rounded)
        first = int(np.argmax(~shapely.is_empty(edges)))
        raise BuildError(f"zone {zones.zone_id.iloc[first]!r}: the simplified zones overlap or do not share edges")
    area_km2 = gpd.GeoSeries(rounded, crs=DISPLAY_CRS).to_crs(METRIC_CRS).area.values / 1e6
    return gpd.GeoDataFrame(
        {
            "zone_id": zones.zone_id.values,
            "name": zones.name.values,
            "psgc_members": zones.members.values,
            "area_km2": np.round(area_km2, AREA_DECIMALS),
            "source": SOURCE,
        },
        geometry=rounded,
        crs=DISPLAY_CRS,
    )


def _round_coords(coords: Any) -> Any:
    """Round nested coordinate tuples to :data:`DECIMALS` for a short, stable text form."""
    if isinstance(coords, tuple | list) and coords and isinstance(coords[0], float | int):
        return [round(float(value), DECIMALS) for value in coords]
    return [_round_coords(part) for part in coords]


def to_geojson(gdf: gpd.GeoDataFrame) -> str:
    """The FeatureCollection text: one feature per line, compact, in row order.

    Parameters
    ----------
    gdf
        From :func:`build`.

    Returns
    -------
    str
        RFC 7946 GeoJSON (EPSG:4326, no ``crs`` member), ending with a newline.
    """
    lines = []
    for row in gdf.itertuples(index=False):
        geometry = mapping(row.geometry)
        feature = {
            "type": "Feature",
            "properties": {
                "zone_id": row.zone_id,
                "name": row.name,
                "psgc_members": list(row.psgc_members),
                "area_km2": float(row.area_km2),
                "source": row.source,
            },
            "geometry": {"type": geometry["type"], "coordinates": _round_coords(geometry["coordinates"])},
        }
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, then rename it.

    Parameters
    ----------
    path
        The destination; its folder is created if needed.
    text
        The content, written as UTF-8 with ``\\n`` line ends.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point.

    Parameters
    ----------
    argv
        Arguments, without the program name; ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        0 on success, 1 on bad or missing input (one line on stderr).
    """
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=ZONES_GEOJSON, help=f"output file (default {ZONES_GEOJSON})")
    parser.add_argument("--zones", type=Path, default=ZONES_CSV, help=f"zone table (default {ZONES_CSV})")
    parser.add_argument(
        "--shared-data",
        default=None,
        help="folder of the public datasets (default $CORRIDOR_SHARED_DATA, else ../shared/data)",
    )
    args = parser.parse_args(argv)
    try:
        zones = read_zones(args.zones)
        gdf = build(zones, read_boundaries(shared_data_dir(args.shared_data)))
        text = to_geojson(gdf)
        write_atomic(args.out, text)
    except (BuildError, OSError) as exc:
        message = " ".join(str(exc).split())
        print(f"build_zone_polygons: error: {message}", file=sys.stderr)
        return 1
    size_kb = len(text.encode("utf-8")) / 1024
    print(f"wrote {args.out}: {len(gdf)} zones, {gdf.area_km2.sum():,.0f} km², {size_kb:,.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

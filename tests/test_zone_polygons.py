"""The zone polygons of the bundled region pack (``data/luzon/zones.geojson``) and the
script that builds them from the public boundaries in ../shared/data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import yaml

from .conftest import ROOT

PACK = ROOT / "data" / "luzon"
GEOJSON = PACK / "zones.geojson"
SCRIPT = ROOT / "scripts" / "build_zone_polygons.py"
METRIC_CRS = "EPSG:32651"

MAX_BYTES = 1_000_000
#: a zone's point (poblacion or city hall) may sit this far outside its polygon, for simplified coastlines
POINT_SLACK_M = 1000.0
#: neighbours share their borders exactly; 100 m² (a 1 m by 100 m hairline) leaves room for rounding only
MAX_OVERLAP_M2 = 100.0
#: holes between zones must be lakes (the smallest, Caliraya, is 7 km²), not slivers
MIN_HOLE_KM2 = 5.0


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return pd.read_csv(PACK / "zones.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def polygons() -> gpd.GeoDataFrame:
    return gpd.read_file(GEOJSON)


@pytest.fixture(scope="module")
def metric(polygons: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return polygons.to_crs(METRIC_CRS).set_index("zone_id")


def _run(*args: str | Path, shared: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if shared is not None:
        env["CORRIDOR_SHARED_DATA"] = str(shared)
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True, env=env, timeout=300
    )


def test_file_is_small():
    assert GEOJSON.stat().st_size < MAX_BYTES


def test_one_feature_per_zone_in_table_order(polygons, table):
    assert list(polygons.zone_id) == list(table.zone_id)
    assert list(polygons.name) == list(table.name)
    for zone_id, listed, members in zip(polygons.zone_id, polygons.psgc_members, table.psgc_members, strict=True):
        assert list(listed) == members.split(), zone_id


def test_geometries_are_valid_lonlat_polygons(polygons):
    assert polygons.crs.to_epsg() == 4326
    assert set(polygons.geom_type) <= {"Polygon", "MultiPolygon"}
    assert not polygons.geometry.is_empty.any()
    invalid = polygons.zone_id[~polygons.geometry.is_valid]
    assert invalid.empty, list(invalid)
    # lon/lat in that order, inside the Philippines; every zone reaches into the region's bbox
    # (which bounds the places, not the land: the Bondoc peninsula and eastern Quezon reach beyond it)
    x0, y0, x1, y1 = polygons.total_bounds
    assert 116.9 < x0 < x1 < 126.7 and 4.6 < y0 < y1 < 21.0
    bbox = shapely.box(*yaml.safe_load((PACK / "region.yaml").read_text(encoding="utf-8"))["bbox"])
    outside = polygons.zone_id[~polygons.geometry.intersects(bbox)]
    assert outside.empty, list(outside)
    coords = shapely.get_coordinates(polygons.geometry.values)
    assert np.allclose(coords, np.round(coords, 5), rtol=0, atol=1e-9)


def test_zone_points_lie_in_their_polygons(metric, table):
    points = gpd.GeoSeries(
        gpd.points_from_xy(table.lon.astype(float), table.lat.astype(float)), index=table.zone_id, crs="EPSG:4326"
    ).to_crs(METRIC_CRS)
    distance_m = metric.geometry.distance(points)
    far = distance_m[distance_m > POINT_SLACK_M]
    assert far.empty, far.round().to_dict()


def test_zones_do_not_overlap(metric):
    geoms = metric.geometry.values
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pairs = left < right
    overlap_m2 = shapely.area(shapely.intersection(geoms[left[pairs]], geoms[right[pairs]]))
    worst = int(np.argmax(overlap_m2))
    assert overlap_m2[worst] <= MAX_OVERLAP_M2, (
        metric.index[left[pairs][worst]],
        metric.index[right[pairs][worst]],
        overlap_m2[worst],
    )


def test_no_slivers_between_zones(metric):
    union = shapely.union_all(metric.geometry.values)
    holes_km2 = [shapely.Polygon(ring).area / 1e6 for part in shapely.get_parts(union) for ring in part.interiors]
    assert len(holes_km2) >= 2  # Laguna de Bay and Taal Lake at least
    assert min(holes_km2) >= MIN_HOLE_KM2, sorted(holes_km2)


def test_area_km2_is_the_polygon_area(metric):
    area_km2 = metric.geometry.area / 1e6
    assert np.allclose(metric.area_km2, area_km2, rtol=0, atol=0.01)
    assert (metric.area_km2 > 0).all()


def test_zones_add_up_to_the_whole(metric):
    union_km2 = shapely.union_all(metric.geometry.values).area / 1e6
    assert metric.area_km2.sum() == pytest.approx(union_km2, rel=1e-4)
    # Regions III, NCR and IV-A without Laguna de Bay and Taal Lake: about 37,450 km²
    assert 36_500 < union_km2 < 38_500


# ---- the script


def test_script_without_shared_data_fails_in_one_line(tmp_path):
    out = tmp_path / "zones.geojson"
    done = _run("--out", out, "--shared-data", tmp_path / "absent")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "absent" in done.stderr and "CORRIDOR_SHARED_DATA" in done.stderr
    assert not out.exists()


@pytest.fixture(scope="module")
def municities(shared_data: Path) -> gpd.GeoSeries:
    path = shared_data / "faeldon_psgc_boundaries" / "luzon_municities_medres.geojson"
    gdf = gpd.read_file(path, columns=["psgc10"])
    return gdf.set_index("psgc10").geometry.to_crs(METRIC_CRS)


@pytest.mark.realdata
def test_total_area_close_to_the_dissolved_corridor(metric, municities, table):
    members = [code for cell in table.psgc_members for code in cell.split()]
    dissolved_km2 = shapely.union_all(municities.loc[members].values).area / 1e6
    # gap filling adds about 40 km² (0.1%); simplification moves little
    assert metric.area_km2.sum() == pytest.approx(dissolved_km2, rel=5e-3)


@pytest.mark.realdata
def test_each_zone_covers_its_members(metric, municities, table):
    for zone_id, cell in zip(table.zone_id, table.psgc_members, strict=True):
        dissolved = shapely.union_all(municities.loc[cell.split()].values)
        zone = metric.geometry[zone_id]
        # overlaps between source polygons (up to 2 km²) go to one neighbour, so small zones move most
        iou = shapely.intersection(zone, dissolved).area / shapely.union(zone, dissolved).area
        assert iou > 0.85, (zone_id, round(iou, 3))


@pytest.mark.slow
@pytest.mark.realdata
def test_rebuild_gives_the_same_bytes(shared_data, tmp_path):
    if not hasattr(shapely, "coverage_clean"):
        pytest.skip(f"shapely {shapely.__version__} has no coverage_clean (needs shapely >= 2.2)")
    out = tmp_path / "zones.geojson"
    done = _run("--out", out, shared=shared_data)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == GEOJSON.read_bytes(), "rebuild with: python scripts/build_zone_polygons.py"
    assert [p.name for p in tmp_path.iterdir()] == ["zones.geojson"]


@pytest.mark.slow
@pytest.mark.realdata
def test_unknown_member_code_fails_in_one_line(shared_data, tmp_path):
    text = (PACK / "zones.csv").read_text(encoding="utf-8")
    assert "0330100000" in text  # Angeles
    bad = tmp_path / "zones.csv"
    bad.write_text(text.replace("0330100000", "0399999000"), encoding="utf-8")
    out = tmp_path / "zones.geojson"
    done = _run("--zones", bad, "--out", out, shared=shared_data)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "0399999000" in done.stderr and "angeles" in done.stderr
    assert not out.exists()

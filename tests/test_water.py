"""No road of the bundled region runs across open water: bays, gulfs and lakes
(tests/data/water.geojson, made by scripts/make-water-fixture)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
from shapely.geometry import LineString

from corridor.inputs.region import METRIC_CRS

WATER = gpd.read_file(Path(__file__).parent / "data" / "water.geojson").to_crs(METRIC_CRS)
#: the outlines follow simplified boundaries: a coastal road, a river mouth or a
#: short bridge may cross this much water
TOLERANCE_M = 300
#: links that cross more open water than that on a bridge or causeway, with the structure
BRIDGES: dict[str, str] = {}


def _wet(line: LineString) -> dict[str, float]:
    """Metres of a line (in the metric CRS) inside each water body."""
    metres: dict[str, float] = {}
    for i in WATER.sindex.query(line, predicate="intersects"):
        name = WATER.name.iloc[i]
        metres[name] = metres.get(name, 0.0) + line.intersection(WATER.geometry.iloc[i]).length
    return metres


def _metric(lonlat: list[tuple[float, float]]) -> LineString:
    return gpd.GeoSeries([LineString(lonlat)], crs="EPSG:4326").to_crs(METRIC_CRS).iloc[0]


def test_water_outlines_hold_the_lakes_and_bays():
    assert {"Manila Bay", "Batangas Bay", "Balayan Bay", "Laguna de Bay", "Taal Lake"} <= set(WATER.name)
    # San Jose to Lemery in a straight line runs across Taal Lake; the road goes round by Cuenca
    across = _metric([(121.105, 13.877), (121.05, 13.90), (120.98, 13.89), (120.9236, 13.8797)])
    assert _wet(across)["Taal Lake"] > 3000
    # the Bataan–Cavite Interlink Bridge (a project) spans the mouth of Manila Bay
    assert _wet(_metric([(120.53, 14.44), (120.63, 14.39), (120.71, 14.35), (120.78, 14.33)]))["Manila Bay"] > 20_000


def test_no_road_link_crosses_open_water(luzon):
    problems = [
        f"{lid} ({link['name']}) crosses {name} for {metres:.0f} m"
        for lid, link in luzon.road_links.iterrows()
        if lid not in BRIDGES
        for name, metres in _wet(link.geometry).items()
        if metres > TOLERANCE_M
    ]
    assert not problems, "; ".join(problems)

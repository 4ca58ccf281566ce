"""The bundled region against published travel times and road lengths."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from corridor import route

LENGTHS = pd.read_csv(Path(__file__).parent / "data" / "expressway_lengths.csv")


def _rows(luzon, column, role="target"):
    return [r for r in luzon.calibration.to_dict("records") if not math.isnan(r[column]) and r["role"] == role]


def test_calibration_table_covers_the_published_times(luzon):
    pairs = {(r["origin"], r["destination"]) for r in _rows(luzon, "minutes")}
    assert ("Clark International Airport", "Manila") in pairs
    assert ("Manila", "Batangas City") in pairs
    assert len(_rows(luzon, "minutes")) == 4 and len(_rows(luzon, "km")) == 8
    assert len(_rows(luzon, "minutes", role="check")) == 2  # proponents' "today" times, shown beside the model


def test_base_year_accessibility_times_within_25_percent(luzon, luzon_graph):
    """The fast accessibility times (fixed congestion factors, recalibrated to the assigned ones) meet the targets."""
    for row in _rows(luzon, "minutes"):
        trip = route(luzon_graph, row["origin"], row["destination"], mode=row["mode"])
        assert trip.minutes == pytest.approx(row["minutes"], rel=0.25), (row, trip.minutes)


def test_road_distances_within_10_percent(luzon, luzon_graph):
    for row in _rows(luzon, "km"):
        trip = route(luzon_graph, row["origin"], row["destination"], mode=row["mode"])
        assert trip.km == pytest.approx(row["km"], rel=0.10), (row, trip.km)


@pytest.mark.parametrize("row", LENGTHS.to_dict("records"), ids=list(LENGTHS.road))
def test_expressway_lengths_within_10_percent(luzon, row):
    ids = row["link_ids"].split()
    km = luzon.road_links.loc[ids, "length_m"].sum() / 1000
    assert km == pytest.approx(row["km"], rel=0.10), (row["road"], km)

"""Coordinate reference systems: EPSG:4326 to store and show, EPSG:32651 (UTM 51N) to measure."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyproj
import shapely

__all__ = ["DISPLAY_CRS", "METRIC_CRS", "metric_xy", "to_metric"]

METRIC_CRS = "EPSG:32651"
DISPLAY_CRS = "EPSG:4326"

_TO_METRIC = pyproj.Transformer.from_crs(DISPLAY_CRS, METRIC_CRS, always_xy=True)


def metric_xy(lon: Any, lat: Any) -> tuple[Any, Any]:
    """Project lon/lat (scalars or arrays) to EPSG:32651 metres."""
    x, y = _TO_METRIC.transform(lon, lat)
    if np.ndim(x) == 0:
        return float(x), float(y)
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def to_metric(geom: Any) -> Any:
    """Project a shapely geometry from EPSG:4326 to EPSG:32651."""

    def project(xy: np.ndarray) -> np.ndarray:
        x, y = _TO_METRIC.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, project)

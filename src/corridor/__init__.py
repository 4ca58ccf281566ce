"""corridor: plan the Luzon Economic Corridor.

Load a region, build its multimodal network, route on it and map it::

    from corridor import load_region, build_network, route
    region = load_region("luzon")
    G = build_network(region)
    trip = route(G, "Clark International Airport", "Port of Manila")
"""

from __future__ import annotations

import logging

__version__ = "0.1.0"
logging.getLogger(__name__).addHandler(logging.NullHandler())

from corridor.engine import Route, compile_network, route, travel_times
from corridor.errors import (
    CorridorError,
    DataError,
    NoRouteError,
    OutsideRegionError,
    PlaceNotFound,
    SettingsError,
)
from corridor.network import PlaceIndex, build_network
from corridor.region import Region, load_region
from corridor.settings import Settings, load_settings

__all__ = [
    "__version__",
    "CorridorError",
    "DataError",
    "NoRouteError",
    "OutsideRegionError",
    "PlaceNotFound",
    "SettingsError",
    "Region",
    "load_region",
    "Settings",
    "load_settings",
    "PlaceIndex",
    "build_network",
    "Route",
    "compile_network",
    "route",
    "travel_times",
]

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

# The public API; imported after __version__, which the modules record in provenance.
from corridor.engine import Route, compile_network, route, travel_times  # noqa: E402
from corridor.errors import (  # noqa: E402
    CorridorError,
    DataError,
    NoRouteError,
    OutsideRegionError,
    PlaceNotFound,
    PortfolioError,
    ProjectError,
    ScenarioError,
    SettingsError,
)
from corridor.metrics import Metrics, compute_metrics  # noqa: E402
from corridor.network import PlaceIndex, build_network  # noqa: E402
from corridor.portfolio import ScoreResult, compare, score  # noqa: E402
from corridor.projects import Portfolio, Project, load_catalog, load_portfolio, portfolio_from_ids  # noqa: E402
from corridor.region import Region, load_region  # noqa: E402
from corridor.scenario import Scenario, apply_portfolio  # noqa: E402
from corridor.settings import Settings, load_settings  # noqa: E402

__all__ = [
    "CorridorError",
    "DataError",
    "Metrics",
    "NoRouteError",
    "OutsideRegionError",
    "PlaceIndex",
    "PlaceNotFound",
    "Portfolio",
    "PortfolioError",
    "Project",
    "ProjectError",
    "Region",
    "Route",
    "Scenario",
    "ScenarioError",
    "ScoreResult",
    "Settings",
    "SettingsError",
    "__version__",
    "apply_portfolio",
    "build_network",
    "compare",
    "compile_network",
    "compute_metrics",
    "load_catalog",
    "load_portfolio",
    "load_region",
    "load_settings",
    "portfolio_from_ids",
    "route",
    "score",
    "travel_times",
]

"""corridor: plan the Luzon Economic Corridor.

Load a region, build its multimodal network, route on it and map it::

    from corridor import load_region, build_network, route
    region = load_region("luzon")
    G = build_network(region)
    trip = route(G, "Clark International Airport", "Port of Manila")
"""

from __future__ import annotations

import logging

from corridor._version import __version__
from corridor.access.metrics import Metrics, compute_metrics
from corridor.access.scorer import PortfolioScorer
from corridor.access.scores import ScoreResult, compare, score
from corridor.errors import (
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
from corridor.inputs.project_files import load_catalog, load_portfolio, portfolio_from_ids
from corridor.inputs.projects import Portfolio, Project
from corridor.inputs.region import Region, load_region
from corridor.network.build import build_network
from corridor.network.places import PlaceIndex
from corridor.network.scenario import Scenario, apply_portfolio
from corridor.paths.engine import compile_network, travel_times
from corridor.paths.routes import Route, route
from corridor.settings import Settings, load_settings

logging.getLogger(__name__).addHandler(logging.NullHandler())

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
    "PortfolioScorer",
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

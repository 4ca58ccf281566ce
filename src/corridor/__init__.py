"""corridor: plan the Luzon Economic Corridor.

Load a region, build its multimodal network, route on it, score portfolios
of projects and map them::

    from corridor import load_region, build_network, route
    region = load_region("luzon")
    G = build_network(region)
    trip = route(G, "Clark International Airport", "Port of Manila")

The package is a row of stages, each a subpackage: :mod:`corridor.inputs`
(region packs, projects, portfolios), :mod:`corridor.network` (the graph and
scenarios), :mod:`corridor.paths` (shortest paths), :mod:`corridor.model` (the
transport model), :mod:`corridor.access` (scores), :mod:`corridor.appraisal`
(money), :mod:`corridor.search` (the best portfolio) and
:mod:`corridor.present` (maps and reports). The names below are the ones a
notebook needs most; each is imported from its stage when first used, so
``import corridor`` costs nothing.
"""

from __future__ import annotations

import logging

import lazy_loader

from corridor._version import __version__

__getattr__, __dir__, _names = lazy_loader.attach(
    __name__,
    submod_attrs={
        "access.metrics": ["Metrics", "compute_metrics"],
        "access.scorer": ["PortfolioScorer"],
        "access.scores": ["ScoreResult", "best_marks", "compare", "score"],
        "access.shapley": ["shapley"],
        "errors": [
            "CorridorError",
            "DataError",
            "NoRouteError",
            "OutsideRegionError",
            "PlaceNotFound",
            "PortfolioError",
            "ProjectError",
            "ScenarioError",
            "SettingsError",
        ],
        "inputs.project_files": ["load_catalog", "load_portfolio", "portfolio_from_ids"],
        "inputs.projects": ["Portfolio", "Project"],
        "inputs.region": ["Region", "load_region"],
        "network.build": ["build_network"],
        "network.places": ["PlaceIndex"],
        "network.scenario": ["Scenario", "apply_portfolio"],
        "paths.engine": ["compile_network", "travel_times"],
        "paths.routes": ["Route", "route"],
        "search.optimiser": ["optimise"],
        "search.sensitivity": ["sensitivity"],
        "settings": ["Settings", "load_settings"],
    },
)
__all__ = [*_names, "__version__"]

logging.getLogger(__name__).addHandler(logging.NullHandler())

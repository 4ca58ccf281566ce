"""A portfolio's effect in the transport model: the model run with and without it, and each project's share.

:func:`compare_model` applies a portfolio to the base network, runs the
model (:func:`corridor.model.loop.run_model`) with the base year's
calibration, and again without each project (and what requires it), so
that each project's share of the change is the model's own; it says in
words what moved (:func:`corridor.model.loop.explain`) and why more capacity
at a gateway does little (:func:`capacity_note`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import networkx as nx
import pandas as pd

from corridor.inputs.projects import GatewayUpgrade, Portfolio, Project
from corridor.inputs.region import Region
from corridor.model.loop import run_model
from corridor.model.results import MODEL_LABELS, ModelRun, explain, model_gains
from corridor.network.scenario import apply_portfolio
from corridor.settings import Settings

__all__ = ["ModelComparison", "capacity_note", "compare_model"]

log = logging.getLogger(__name__)


@dataclass
class ModelComparison:
    """A portfolio's effect on the model: base and scenario runs, the change, and each project's share.

    Attributes
    ----------
    gains
        Scenario minus base for each of :data:`MODEL_LABELS`.
    marginal
        Per project: the change lost without it (and without what requires it).
    explanations
        Per project, its largest effects in words.
    """

    base: ModelRun
    scenario: ModelRun
    gains: dict[str, float]
    marginal: pd.DataFrame | None
    explanations: dict[str, str]


def capacity_note(project: Project, run: ModelRun, when: str = "in this run") -> str:
    """Why more capacity at a gateway does little in a run: far from full, or limited by something else.

    Empty when the project changes no gateway's capacity or the gateway is
    busy enough for more capacity to matter.
    """
    notes = []
    for edit in project.edits:
        if not isinstance(edit, GatewayUpgrade) or edit.gateway not in run.gateways.index:
            continue
        row: dict[Any, Any] = run.gateways.loc[edit.gateway].to_dict()
        utilisation = float(row["utilisation"])
        if edit.movements_per_h is not None and row["limited_by"] == "terminal":
            notes.append(
                f"{edit.gateway}'s terminal ({row['terminal_capacity']:,.0f} passengers a year), not its runways "
                f"({row['runway_capacity']:,.0f}), limits it: more movements add nothing until the terminal grows"
            )
        elif math.isfinite(utilisation) and utilisation < 0.7:
            notes.append(
                f"{edit.gateway} works at {utilisation:.0%} of its capacity {when}, so more capacity "
                "saves little until demand grows"
            )
    return "; ".join(notes)


def compare_model(
    G: nx.MultiDiGraph,
    portfolio: Portfolio,
    *,
    region: Region | None = None,
    settings: Settings | None = None,
    base: ModelRun | None = None,
    marginal: bool = True,
    progress: Callable[[str], None] | None = None,
) -> ModelComparison:
    """Run the model with and without a portfolio (and without each of its projects); the changes explained.

    Parameters
    ----------
    G
        The base network.
    portfolio
        The projects.
    base
        The base year's run, to reuse; calibrated here when None.
    marginal
        Also run the portfolio without each project.
    """
    settings = settings or Settings()
    say = progress or (lambda message: log.info(message))
    base = base or run_model(G, region, settings, progress=progress)

    def scenario_run(p: Portfolio) -> ModelRun:
        H = apply_portfolio(G, p, settings=settings, region=region).G
        return run_model(H, region, settings, calibration=base.calibration, warm=base, progress=progress)

    say(f"the model with {portfolio.name}")
    scenario = scenario_run(portfolio)
    gains = model_gains(base, scenario)
    rows: dict[str, dict[str, Any]] = {}
    explanations: dict[str, str] = {}
    if marginal and portfolio.projects:
        for project in portfolio.projects:
            say(f"the model without {project.id}")
            smaller = portfolio.without(project.id)
            without = scenario_run(smaller) if smaller.projects else base
            lost = {k: scenario.summary[k] - without.summary[k] for k in MODEL_LABELS}
            rows[project.id] = {"name": project.name, **lost}
            note = capacity_note(project, base, "in the base year")
            explanations[project.id] = explain(lost, base.summary) + (f" ({note})" if note else "")
    frame = pd.DataFrame.from_dict(rows, orient="index") if rows else None
    if frame is not None:
        frame.index.name = "project"
    return ModelComparison(base, scenario, gains, frame, explanations)

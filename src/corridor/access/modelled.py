"""A portfolio's effect in the transport model: the model run with and without it, and each project's share.

:func:`compare_model` applies a portfolio to the base network, runs the
model (:func:`corridor.model.loop.run_model`) with the base year's
calibration, and again without each project (and what requires it), so
that each project's share of the change is the model's own; it says in
words what moved (:func:`corridor.model.results.explain`) and why more capacity
at a gateway does little (:func:`capacity_note`). :func:`model_runs` gives
the base year's run and a portfolio's, and the portfolio's graph.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import pandas as pd

from corridor.inputs.projects import GatewayUpgrade, Portfolio, Project
from corridor.inputs.region import Region
from corridor.model.loop import run_model
from corridor.model.results import MODEL_LABELS, ModelRun, explain, model_gains
from corridor.network.scenario import apply_portfolio
from corridor.paths.cache import DiskCache
from corridor.settings import Settings

__all__ = ["ModelComparison", "capacity_note", "compare_model", "model_runs", "throughput_notes"]

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
    notes
        What a planner would not expect, explained (:func:`throughput_notes`).
    """

    base: ModelRun
    scenario: ModelRun
    gains: dict[str, float]
    marginal: pd.DataFrame | None
    explanations: dict[str, str]
    notes: list[str] = field(default_factory=list)


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


def throughput_notes(portfolio: Portfolio, base: ModelRun, scenario: ModelRun) -> list[str]:
    """Why a gateway a portfolio adds capacity to handles less with it than without: a line a gateway.

    Capacity lowers a gateway's delay, which matters only where it is busy;
    its users choose among gateways by the whole cost of the journey (haul,
    handling, dwell, delay), so a faster way to another gateway (a railway, a
    new port) can draw more of them away than the capacity draws in. The line
    names the gateways that gained the most.
    """
    g0, g1 = base.gateways, scenario.gateways
    upgraded: dict[str, list[str]] = {}
    for project in portfolio.projects:
        for edit in project.edits:
            if isinstance(edit, GatewayUpgrade) and edit.capacity is not None:
                upgraded.setdefault(edit.gateway, []).append(project.id)
    notes = []
    for gid, pids in upgraded.items():
        if gid not in g0.index or gid not in g1.index:
            continue
        v0, v1 = float(g0.at[gid, "volume"]), float(g1.at[gid, "volume"])  # type: ignore[arg-type]
        if not v1 < v0 * (1 - 1e-3):
            continue
        kind = g0.loc[gid, "type"]
        same = g1.index[(g1["type"] == kind) & (g1.index != gid)]
        change = (g1.loc[same, "volume"] - g0["volume"].reindex(same).fillna(0.0)).sort_values(ascending=False)
        gainers = ", ".join(f"{other} (+{float(v):,.0f})" for other, v in change.items() if v > 0)
        unit, one = ("TEU", "box") if kind == "seaport" else ("passengers", "passenger")
        utilisation = float(g0.at[gid, "utilisation"])  # type: ignore[arg-type]
        used = (
            f"it worked at {utilisation:.0%} of its capacity, so the capacity saves little delay"
            if math.isfinite(utilisation)
            else "its capacity was not what limited it"
        )
        drawn = f"; they go to {gainers}" if gainers else ""
        notes.append(
            f"{gid} handles {v0 - v1:,.0f} fewer {unit} a year with {portfolio.name} ({v0:,.0f} to {v1:,.0f}) "
            f"though {', '.join(pids)} adds capacity there: {used}, while the portfolio's other projects make other "
            f"gateways cheaper to reach (each {one} goes where its whole journey costs least){drawn}"
        )
    return notes


def model_runs(
    G: nx.MultiDiGraph,
    portfolio: Portfolio | None,
    *,
    region: Region | None,
    settings: Settings | None,
    base: ModelRun | None = None,
    progress: Callable[[str], None] | None = None,
    cache: DiskCache | None = None,
) -> tuple[ModelRun, ModelRun, nx.MultiDiGraph]:
    """The base year's model run and the scenario's, calibrated on the base year, and the scenario's graph.

    Parameters
    ----------
    G
        The base network.
    portfolio
        The projects; None: no scenario (the base run and ``G`` stand in
        for it).
    base
        The base year's run, to reuse; calibrated here when None.
    progress
        Told what runs, in words.
    cache
        Where model runs are kept and read back (see :func:`~corridor.model.loop.run_model`).
    """
    settings = settings or Settings()
    base = base or run_model(G, region, settings, progress=progress, cache=cache)
    if portfolio is None:
        return base, base, G
    H, scenario = _scenario_run(G, portfolio, base, region=region, settings=settings, progress=progress, cache=cache)
    return base, scenario, H


def _scenario_run(
    G: nx.MultiDiGraph,
    portfolio: Portfolio,
    base: ModelRun,
    *,
    region: Region | None,
    settings: Settings,
    progress: Callable[[str], None] | None,
    cache: DiskCache | None = None,
) -> tuple[nx.MultiDiGraph, ModelRun]:
    """The portfolio applied to ``G`` and the model run on it, calibrated on (and warmed by) the base year's run."""
    H = apply_portfolio(G, portfolio, settings=settings, region=region).G
    run = run_model(H, region, settings, calibration=base.calibration, warm=base, progress=progress, cache=cache)
    return H, run


def compare_model(
    G: nx.MultiDiGraph,
    portfolio: Portfolio,
    *,
    region: Region | None = None,
    settings: Settings | None = None,
    base: ModelRun | None = None,
    marginal: bool = True,
    progress: Callable[[str], None] | None = None,
    cache: DiskCache | None = None,
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
    cache
        Where model runs are kept and read back (see :func:`~corridor.model.loop.run_model`).
    """
    settings = settings or Settings()
    say = progress or (lambda message: log.info(message))
    base = base or run_model(G, region, settings, progress=progress, cache=cache)
    say(f"the model with {portfolio.name}")
    _, scenario = _scenario_run(G, portfolio, base, region=region, settings=settings, progress=progress, cache=cache)
    gains = model_gains(base, scenario)
    frame: pd.DataFrame | None = None
    explanations: dict[str, str] = {}
    if marginal and portfolio.projects:
        frame, explanations = _model_marginals(
            G, portfolio, base, scenario, region=region, settings=settings, progress=progress, say=say, cache=cache
        )
    return ModelComparison(base, scenario, gains, frame, explanations, throughput_notes(portfolio, base, scenario))


def _model_marginals(
    G: nx.MultiDiGraph,
    portfolio: Portfolio,
    base: ModelRun,
    scenario: ModelRun,
    *,
    region: Region | None,
    settings: Settings,
    progress: Callable[[str], None] | None,
    say: Callable[[str], None],
    cache: DiskCache | None,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Per project, the model's headlines lost without it (and what requires it), and its effect in words."""
    rows: dict[str, dict[str, Any]] = {}
    explanations: dict[str, str] = {}
    for project in portfolio.projects:
        say(f"the model without {project.id}")
        smaller = portfolio.without(project.id)
        if smaller.projects:
            _, without = _scenario_run(
                G, smaller, base, region=region, settings=settings, progress=progress, cache=cache
            )
        else:
            without = base
        lost = {k: scenario.summary[k] - without.summary[k] for k in MODEL_LABELS}
        rows[project.id] = {"name": project.name, **lost}
        note = capacity_note(project, base, "in the base year")
        explanations[project.id] = explain(lost, base.summary) + (f" ({note})" if note else "")
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "project"
    return frame, explanations

"""Gateway choice with capacity: containers choose a port and a mode, air passengers an airport.

Each origin's units choose among alternatives (a gateway, by truck or by
rail) by a logit on cost including the gateway's delay, which rises with its
utilisation (:func:`gateway_delay_h`); :func:`choose_gateways` finds the
equilibrium. :func:`gateway_choice` sets up and runs it for one kind of
gateway, described by a :class:`GatewaySpec` (:func:`port_spec` for
containers, :func:`airport_spec` for air passengers): the base year fits each
gateway's constant to its published volume, a scenario reuses the fitted
ones, and a new gateway takes its nearest fitted neighbour's
(:func:`nearest_constants`). :func:`gateway_table` reports volume, capacity,
utilisation, what limits it, and delay.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from corridor.model.demand import calibrate_constants, logit
from corridor.settings import Settings

__all__ = [
    "GATEWAY_COLUMNS",
    "GatewayChoice",
    "GatewaySpec",
    "airport_spec",
    "choose_gateways",
    "gateway_capacities",
    "gateway_choice",
    "gateway_delay_h",
    "gateway_table",
    "gateways_in_choice",
    "nearest_constants",
    "port_spec",
]

#: the columns of :func:`gateway_table`
GATEWAY_COLUMNS = [
    "gateway_id",
    "name",
    "type",
    "volume",
    "unit",
    "capacity",
    "utilisation",
    "limited_by",
    "terminal_capacity",
    "runway_capacity",
    "handling_h",
    "delay_h",
]


@dataclass(frozen=True)
class GatewayChoice:
    """Flows of a gateway choice at equilibrium with the gateways' delays.

    Attributes
    ----------
    flows
        Origins x alternatives: units per year choosing each alternative.
    volumes
        Per gateway, the units it handles a year.
    delay_h
        Per gateway, the delay at those volumes (hours a unit, beyond the
        base handling time).
    iterations, max_change
        The averaging steps taken, and the largest relative change of a
        gateway's volume in the last one.
    """

    flows: np.ndarray
    volumes: np.ndarray
    delay_h: np.ndarray
    iterations: int
    max_change: float


def gateway_delay_h(
    volumes: np.ndarray, capacities: np.ndarray, base_h: np.ndarray, *, alpha: float, beta: float
) -> np.ndarray:
    """Delay a unit meets at each gateway beyond its base handling: ``base_h * sum_k alpha (v / c_k)^beta``.

    ``capacities`` is gateways x capacity terms (a terminal's and a runway's,
    for an airport); a term of nan or 0 (no published capacity) adds nothing.
    """
    caps = np.atleast_2d(np.asarray(capacities, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(np.isfinite(caps) & (caps > 0), volumes[:, None] / caps, 0.0)
    return np.asarray(base_h, dtype=float) * (alpha * ratio**beta).sum(axis=1)


def choose_gateways(
    cost: np.ndarray,
    gateway_of: np.ndarray,
    demand: np.ndarray,
    *,
    capacities: np.ndarray,
    base_h: np.ndarray,
    cost_per_delay_h: float,
    scale: float,
    constants: np.ndarray,
    alpha: float,
    beta: float,
    iterations: int = 100,
    tol: float = 1e-5,
) -> GatewayChoice:
    """Each origin's units choose among alternatives (a gateway, maybe by one mode) by a logit, at equilibrium.

    The utility of alternative ``a`` for origin ``i`` is
    ``-scale * (cost[i, a] + cost_per_delay_h * delay_h[g]) + constants[g]``
    with ``g = gateway_of[a]``; the delays follow the gateways' volumes
    (:func:`gateway_delay_h`), and the volumes the choices. The fixed point
    is found by the method of successive averages on the volumes.

    Parameters
    ----------
    cost
        Origins x alternatives: the generalized cost of reaching and using
        each alternative, without the delay (``inf`` where unavailable).
    gateway_of
        Per alternative, the gateway it uses.
    demand
        Per origin, units a year.
    capacities, base_h
        Per gateway: capacity terms (gateways x terms) and base handling hours.
    cost_per_delay_h
        The cost of an hour of delay to one unit.
    scale
        The logit's scale, per unit of cost.
    constants
        Per gateway, its alternative-specific constant (calibrated).
    """
    n_gateways = len(base_h)
    if cost.shape[1] == 0:  # no gateway of the kind: nothing to choose, no volume, no delay
        return GatewayChoice(np.zeros((len(demand), 0)), np.zeros(n_gateways), np.zeros(n_gateways), 0, 0.0)
    volumes: np.ndarray = np.zeros(n_gateways)
    flows = np.zeros_like(cost)
    change = math.inf
    k = 0
    for k in range(1, iterations + 1):
        delay = gateway_delay_h(volumes, capacities, base_h, alpha=alpha, beta=beta)
        utility = -scale * (cost + cost_per_delay_h * delay[gateway_of][None, :]) + constants[gateway_of][None, :]
        utility = np.where(np.isfinite(cost), utility, -np.inf)
        shares = np.stack(logit(list(utility.T)), axis=1)
        flows = shares * demand[:, None]
        target = np.bincount(gateway_of, weights=flows.sum(axis=0), minlength=n_gateways).astype(float)
        step = target - volumes
        change = float(np.max(np.abs(step) / np.maximum(target, 1.0), initial=0.0))
        volumes = volumes + step / k if k > 1 else target
        if change < tol:
            break
    delay = gateway_delay_h(volumes, capacities, base_h, alpha=alpha, beta=beta)
    return GatewayChoice(flows, volumes, delay, k, change)


# ------------------------------------------------------------------ one kind of gateway in the choice


@dataclass(frozen=True)
class GatewaySpec:
    """One kind of gateway in the choice (seaports, or airports), as :func:`gateway_choice` runs it.

    Attributes
    ----------
    unit
        What the gateways handle a year: ``"TEU/yr"`` or ``"pax/yr"``.
    gateways
        The centroid position of each gateway.
    alternatives
        Per alternative, its gateway's centroid position and whether it
        goes by rail.
    cost
        Origins x alternatives: the generalized cost of a unit reaching and
        using each alternative without the delay (PHP; ``inf`` where
        unavailable).
    capacities
        Gateways x capacity terms (the terminal's; and the runways', for
        airports), units a year; nan where none is published.
    base_h
        Per gateway, its usual handling hours.
    cost_per_delay_h, scale, alpha, beta
        The cost of an hour of delay to a unit (PHP), the logit's scale (per
        PHP) and the delay function's parameters (:func:`gateway_delay_h`).
    constants
        Per gateway, its constant from the base year; None to fit them to
        ``observed``.
    observed
        Per gateway, its published volume a year (nan where none).
    """

    unit: str
    gateways: tuple[int, ...]
    alternatives: tuple[tuple[int, bool], ...]
    cost: np.ndarray
    capacities: np.ndarray
    base_h: np.ndarray
    cost_per_delay_h: float
    scale: float
    alpha: float
    beta: float
    constants: np.ndarray | None
    observed: np.ndarray

    @property
    def gateway_of(self) -> np.ndarray:
        """Per alternative, the position of its gateway in :attr:`gateways`."""
        position = {g: i for i, g in enumerate(self.gateways)}
        return np.array([position[g] for g, _ in self.alternatives], dtype=np.int64)


def gateway_choice(spec: GatewaySpec, demand: np.ndarray) -> tuple[GatewayChoice, np.ndarray]:
    """The units of each origin choose among the spec's alternatives, at equilibrium with the gateways' delays.

    Origins without demand choose nothing. The gateways' constants are the
    spec's, or, when it has none, fitted so that the volumes match the
    observed ones (:func:`corridor.model.demand.calibrate_constants`).

    Returns
    -------
    tuple
        The choice, and the constants it was made with.
    """
    cost = np.where(np.isfinite(spec.cost), spec.cost, np.inf)
    cost[demand <= 0] = np.inf
    gateway_of = spec.gateway_of

    def run(constants: np.ndarray) -> GatewayChoice:
        return choose_gateways(
            cost,
            gateway_of,
            demand,
            capacities=spec.capacities,
            base_h=spec.base_h,
            cost_per_delay_h=spec.cost_per_delay_h,
            scale=spec.scale,
            constants=constants,
            alpha=spec.alpha,
            beta=spec.beta,
        )

    if spec.constants is not None:
        constants = spec.constants
    else:
        constants = calibrate_constants(lambda c: run(c).volumes, spec.observed)
    return run(constants), constants


def gateways_in_choice(info: Sequence[Mapping[str, Any]]) -> tuple[list[int], list[int]]:
    """The centroid positions of the seaports that handle containers (capacity in TEU/yr), and of the airports."""
    ports = [
        i
        for i, d in enumerate(info)
        if d.get("kind") == "gateway" and d.get("gateway_type") == "seaport" and str(d.get("capacity_unit")) == "TEU/yr"
    ]
    airports = [i for i, d in enumerate(info) if d.get("kind") == "gateway" and d.get("gateway_type") == "airport"]
    return ports, airports


def gateway_capacities(d: Mapping[str, Any], *, airport: bool, hours_per_day: float) -> tuple[float, float]:
    """A gateway's terminal capacity and, for an airport, its runways' (units a year; nan where unknown).

    The runways' is their movements an hour x passengers a movement x the
    operating hours of a year.
    """
    terminal = float(d["capacity"]) if d.get("capacity") else math.nan
    movements, per = d.get("movements_per_h"), d.get("pax_per_movement")
    runway = float(movements) * float(per) * hours_per_day * 365 if airport and movements and per else math.nan
    return terminal, runway


def _handling_h(info: Sequence[Mapping[str, Any]], group: Sequence[int]) -> np.ndarray:
    return np.array([float(info[g].get("handling_h") or 0.0) for g in group])


def nearest_constants(
    fitted: Mapping[str, float], info: Sequence[Mapping[str, Any]], group: Sequence[int]
) -> np.ndarray:
    """The base year's constants of the gateways; a new gateway takes its nearest fitted neighbour's.

    A constant stands for what the costs leave out (shipping services,
    airlines, habit); a new port or airport has none observed, and the
    nearest gateway of its kind (its hinterland's) is the stated guess.
    """
    ids = [str(info[g].get("place_id")) for g in group]
    known = [g for g, pid in zip(group, ids, strict=True) if pid in fitted]
    out = []
    for g, pid in zip(group, ids, strict=True):
        if pid in fitted or not known:
            out.append(fitted.get(pid, 0.0))
            continue
        x, y = float(info[g]["x"]), float(info[g]["y"])
        nearest = min(known, key=lambda k: (float(info[k]["x"]) - x) ** 2 + (float(info[k]["y"]) - y) ** 2)
        out.append(fitted[str(info[nearest].get("place_id"))])
    return np.array(out, dtype=float)


def port_spec(
    info: Sequence[Mapping[str, Any]],
    ports: Sequence[int],
    road_php: np.ndarray,
    rail_php: np.ndarray,
    settings: Settings,
    *,
    fitted: Mapping[str, float] | None,
    observed: np.ndarray,
) -> GatewaySpec:
    """Containers choose a port and a mode: by truck, or by rail where a freight railway reaches the port.

    ``road_php`` and ``rail_php`` are centroid x centroid costs of a TEU
    (PHP); the port's handling hours are added at the cargo's value of time.
    """
    f = settings.freight
    alternatives: list[tuple[int, bool]] = []
    columns = []
    for g in ports:
        alternatives.append((g, False))
        columns.append(road_php[:, g])
        if np.isfinite(rail_php[:, g]).any():
            alternatives.append((g, True))
            columns.append(rail_php[:, g])
    base_h = _handling_h(info, ports)
    cost = np.column_stack(columns) if columns else np.zeros((len(road_php), 0))
    cost = cost + np.array([base_h[ports.index(g)] * f.cargo_vot_php_per_teu_h for g, _ in alternatives])[None, :]
    return GatewaySpec(
        unit="TEU/yr",
        gateways=tuple(ports),
        alternatives=tuple(alternatives),
        cost=cost,
        capacities=np.array([[float(info[g].get("capacity") or math.nan)] for g in ports]).reshape(len(ports), 1),
        base_h=base_h,
        cost_per_delay_h=f.cargo_vot_php_per_teu_h,
        scale=f.choice_scale_per_php,
        alpha=f.port_delay_alpha,
        beta=f.port_delay_beta,
        constants=None if fitted is None else nearest_constants(fitted, info, ports),
        observed=observed,
    )


def airport_spec(
    info: Sequence[Mapping[str, Any]],
    airports: Sequence[int],
    car_s: np.ndarray,
    car_km: np.ndarray,
    settings: Settings,
    *,
    fitted: Mapping[str, float] | None,
    observed: np.ndarray,
) -> GatewaySpec:
    """Air passengers choose an airport by the time and running cost of driving to it, against terminal and runway.

    A terminal's capacity counts when it is given in passengers a year.
    """
    a = settings.air
    columns = [
        car_s[:, g] / 3600 * a.value_of_time_php_per_h + car_km[:, g] * settings.demand.car_cost_php_per_km
        for g in airports
    ]
    capacities = []
    for g in airports:
        terminal, runway = gateway_capacities(info[g], airport=True, hours_per_day=a.operating_hours_per_day)
        capacities.append([terminal if str(info[g].get("capacity_unit")) == "pax/yr" else math.nan, runway])
    return GatewaySpec(
        unit="pax/yr",
        gateways=tuple(airports),
        alternatives=tuple((g, False) for g in airports),
        cost=np.column_stack(columns) if columns else np.zeros((len(car_s), 0)),
        capacities=np.array(capacities).reshape(len(airports), 2),
        base_h=_handling_h(info, airports),
        cost_per_delay_h=a.value_of_time_php_per_h,
        scale=a.choice_scale_per_php,
        alpha=a.delay_alpha,
        beta=a.delay_beta,
        constants=None if fitted is None else nearest_constants(fitted, info, airports),
        observed=observed,
    )


# ------------------------------------------------------------------ the gateways' results


def _gateway_row(
    d: Mapping[str, Any], unit: str, volume: float, delay_h: float, hours_per_day: float
) -> dict[str, Any]:
    """One gateway's line of :func:`gateway_table`."""
    terminal, runway = gateway_capacities(d, airport=unit == "pax/yr", hours_per_day=hours_per_day)
    limits = {k: v for k, v in (("terminal", terminal), ("runway", runway)) if math.isfinite(v)}
    limited_by = min(limits, key=lambda k: limits[k]) if limits else None
    capacity = limits[limited_by] if limited_by else math.nan
    return {
        "gateway_id": str(d.get("place_id")),
        "name": d.get("name"),
        "type": d.get("gateway_type"),
        "volume": volume,
        "unit": unit,
        "capacity": capacity,
        "utilisation": volume / capacity if capacity else math.nan,
        "limited_by": limited_by,
        "terminal_capacity": terminal,
        "runway_capacity": runway,
        "handling_h": float(d.get("handling_h") or 0.0),
        "delay_h": delay_h,
    }


def gateway_table(
    info: Sequence[Mapping[str, Any]], choices: Sequence[tuple[GatewaySpec, GatewayChoice]], settings: Settings
) -> pd.DataFrame:
    """Per gateway in the choices: volume a year, capacity, utilisation, what limits it and delay (hours a unit).

    Indexed by ``gateway_id`` (kept as a column too); columns :data:`GATEWAY_COLUMNS`.
    """
    hours_per_day = settings.air.operating_hours_per_day
    rows = [
        _gateway_row(info[g], spec.unit, float(choice.volumes[pos]), float(choice.delay_h[pos]), hours_per_day)
        for spec, choice in choices
        for pos, g in enumerate(spec.gateways)
    ]
    return pd.DataFrame(rows, columns=GATEWAY_COLUMNS).set_index("gateway_id", drop=False)

"""The corridor's transport model: demand, gateway choice with capacity and road congestion, for one network.

:func:`run_model` runs the base year or a scenario on a network (a base
network from :func:`corridor.build_network`, or a scenario's graph):

1. **Skims** from the engine (:mod:`corridor.model.skims`): car times and
   distances on the road network at the current congested times; public
   transport (rail with jeepney or walk legs,
   :func:`corridor.network.build.any_layers`); containers' generalized cost
   by truck and, where a freight railway runs, by rail (haul cost per TEU-km,
   lifts, time).
2. **Person trips** (:func:`corridor.model.demand.person_trips`): productions
   from population, attractions from jobs, distributed by a doubly
   constrained gravity model on the composite generalized cost of road and
   rail, its decay fitted to a mean trip length; split between road and rail
   by a logit whose constant is calibrated to the published rail boardings.
3. **Containers** (TEU) from industry and economic-zone jobs, calibrated to
   the published port throughputs; each chooses a port and a mode (truck, or
   rail where it runs) by a logit on cost including the port's delay, which
   rises with its utilisation, at equilibrium
   (:func:`corridor.model.gateways.gateway_choice`). **Air passengers** choose an
   airport the same way, against terminal and runway capacity.
4. **Road assignment** of the modelled peak hour: cars (PCU) and trucks to a
   multi-class user equilibrium on BPR delay functions
   (:func:`corridor.model.assignment.assign`); the congested times feed back to the
   skims, averaged over a few outer iterations.

The base year calibrates the model (:class:`~corridor.model.results.Calibration`:
the gravity decay and the constants of rail, ports and airports); a scenario
runs with the base year's calibration, so that what changes is what the
projects change. Every parameter is a setting with its source
(:func:`corridor.settings.parameters`). Times are *assigned* times: the peak
hour's congested times. The results are a :class:`~corridor.model.results.ModelRun`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from corridor._version import __version__
from corridor.errors import ModelError
from corridor.inputs.region import Region
from corridor.model.assignment import AssignmentResult, assign
from corridor.model.demand import PersonCosts, PersonTrips, person_costs, person_trips
from corridor.model.gateways import (
    GatewayChoice,
    GatewaySpec,
    airport_spec,
    gateway_choice,
    gateway_table,
    gateways_in_choice,
    port_spec,
)
from corridor.model.results import (
    Calibration,
    ModelRun,
    air_access_min,
    air_delay_min,
    container_costs,
    headlines,
    link_table,
    zone_table,
)
from corridor.model.skims import Key, Skims, connectors, intrazonal_s, road_links, skims
from corridor.network.build import centroids
from corridor.paths.cache import DiskCache, graph_digest
from corridor.settings import Settings

__all__ = [
    "DEMAND_CLASSES",
    "run_key",
    "run_model",
]

log = logging.getLogger(__name__)

#: the classes of demand a later year's growth factors name
DEMAND_CLASSES = ("persons", "containers", "air_passengers")


# ------------------------------------------------------------------ what the model runs on


def _demand_factors(demand_factors: Mapping[str, float] | None, calibration: Calibration | None) -> dict[str, float]:
    """Each demand class's factor over the base year (1 when left out), checked.

    A later year's demand (a factor other than 1) needs the base year's calibration.
    """
    factors = dict.fromkeys(DEMAND_CLASSES, 1.0)
    for name, factor in (demand_factors or {}).items():
        if name not in factors:
            raise ModelError(f"unknown demand class {name!r}", field="demand_factors", allowed=list(factors))
        if not (math.isfinite(factor) and factor > 0):
            raise ModelError("a demand factor must be positive", field=f"demand_factors.{name}", value=factor)
        factors[name] = float(factor)
    if calibration is None and any(f != 1.0 for f in factors.values()):
        raise ModelError("a later year's demand needs the base year's calibration", field="calibration")
    return factors


@dataclass(frozen=True)
class _Places:
    """The model's places (the network's centroids), what they hold, and which take part in what.

    ``origins`` are the zones, where person trips start; ``dests`` the zones
    and economic zones, where they go; ``ports`` and ``airports`` the
    gateways in the choices.
    """

    nodes: list[Any]
    info: list[dict[str, Any]]
    ids: list[str]
    kinds: list[str]
    zone_mask: np.ndarray
    origins: np.ndarray
    dests: np.ndarray
    population: np.ndarray
    jobs: np.ndarray
    teu_weight: np.ndarray
    ports: list[int]
    airports: list[int]


def _teu_weight(info: list[dict[str, Any]], jobs: np.ndarray, settings: Settings) -> np.ndarray:
    """Each place's weight in the containers' generation: its industry jobs, or an economic zone's jobs."""
    f = settings.freight
    return np.array(
        [
            f.industry_share.get(str(d.get("region")), 0.2) * jobs[i]
            if d.get("kind") == "zone"
            else (f.economic_zone_weight * jobs[i] if d.get("kind") == "economic_zone" else 0.0)
            for i, d in enumerate(info)
        ]
    )


def _places(G: nx.MultiDiGraph, settings: Settings) -> _Places:
    """The network's centroids as the model's places, with their people, jobs and containers' weight."""
    nodes = centroids(G)
    info = [G.nodes[n] for n in nodes]
    kinds = [str(d.get("kind")) for d in info]
    zone_mask = np.array([k == "zone" for k in kinds])
    if not zone_mask.any():
        raise ModelError("the network has no zones to run the model on")
    population = np.array([float(d.get("population_2020") or 0) + float(d.get("population_added") or 0) for d in info])
    jobs = np.array([float(d.get("jobs") or 0) for d in info])
    ports, airports = gateways_in_choice(info)
    return _Places(
        nodes=nodes,
        info=info,
        ids=[str(d.get("place_id")) for d in info],
        kinds=kinds,
        zone_mask=zone_mask,
        origins=np.flatnonzero(zone_mask),
        dests=np.flatnonzero(zone_mask | np.array([k == "economic_zone" for k in kinds])),
        population=population,
        jobs=jobs,
        teu_weight=_teu_weight(info, jobs, settings),
        ports=ports,
        airports=airports,
    )


@dataclass(frozen=True)
class _Observed:
    """The published volumes the base year is calibrated to (nan where none): per port and airport, and rail."""

    port_teu: np.ndarray
    airport_pax: np.ndarray
    rail_boardings: float


def _observed(region: Region | None, places: _Places) -> _Observed:
    """The region's published port throughputs, airport passengers and rail boardings."""
    observed = region.observations if region is not None else pd.DataFrame(columns=["kind", "item", "value"])

    def value(kind: str, item: str) -> float:
        rows = observed[(observed["kind"] == kind) & (observed["item"] == item)]
        return float(rows["value"].iloc[0]) if len(rows) else math.nan

    return _Observed(
        port_teu=np.array([value("port_teu", places.ids[i]) for i in places.ports]),
        airport_pax=np.array([value("airport_pax", places.ids[i]) for i in places.airports]),
        rail_boardings=float(observed[observed["kind"] == "rail_boardings"]["value"].sum())
        if len(observed)
        else math.nan,
    )


@dataclass(frozen=True)
class _Masses:
    """The demand the model shares out: person trips produced and attracted, containers and air passengers."""

    productions: np.ndarray
    attractions: np.ndarray
    teu_per_year: float
    teu: np.ndarray
    air_pax_per_year: float
    air: np.ndarray


def _masses(
    places: _Places, observed: _Observed, calibration: Calibration | None, factors: dict[str, float], settings: Settings
) -> _Masses:
    """Trips from the zones' people to the places' jobs; containers by the places' weights and air passengers
    by their people, to the base year's totals (the published ones when calibrating) times the factors."""
    if calibration is not None:
        teu_total = calibration.teu_per_year * factors["containers"]
        air_total = calibration.air_pax_per_year * factors["air_passengers"]
    else:
        teu_total, air_total = float(np.nansum(observed.port_teu)), float(np.nansum(observed.airport_pax))
    weight = places.teu_weight
    return _Masses(
        productions=places.population[places.origins] * settings.demand.trip_rate_per_day * factors["persons"],
        attractions=places.jobs[places.dests],
        teu_per_year=teu_total,
        teu=teu_total * weight / weight.sum() if weight.sum() > 0 else np.zeros(len(places.nodes)),
        air_pax_per_year=air_total,
        air=air_total * places.population / places.population.sum(),
    )


# ------------------------------------------------------------------ one outer iteration's demand


@dataclass(frozen=True)
class _Choice:
    """One kind of gateway's choice: how it was set up, what was chosen, and the constants used."""

    spec: GatewaySpec
    choice: GatewayChoice
    constants: np.ndarray


@dataclass(frozen=True)
class _Demand:
    """One outer iteration's skims and the demand on them."""

    skims: Skims
    costs: PersonCosts
    persons: PersonTrips
    person_trips: np.ndarray
    rail_trips: np.ndarray
    road_trips: np.ndarray
    ports: _Choice
    airports: _Choice


def _gateway_choices(
    places: _Places,
    sk: Skims,
    masses: _Masses,
    observed: _Observed,
    calibration: Calibration | None,
    settings: Settings,
) -> tuple[_Choice, _Choice]:
    """Containers choose a port and a mode, air passengers an airport (constants fitted unless calibrated)."""
    ports = port_spec(
        places.info,
        places.ports,
        sk.freight_road_php,
        sk.freight_rail_php,
        settings,
        fitted=calibration.port_constants if calibration is not None else None,
        observed=observed.port_teu,
    )
    airports = airport_spec(
        places.info,
        places.airports,
        sk.car_s,
        sk.car_km,
        settings,
        fitted=calibration.airport_constants if calibration is not None else None,
        observed=observed.airport_pax,
    )
    return _Choice(ports, *gateway_choice(ports, masses.teu)), _Choice(airports, *gateway_choice(airports, masses.air))


def _demand(
    sk: Skims,
    places: _Places,
    region: Region | None,
    masses: _Masses,
    observed: _Observed,
    calibration: Calibration | None,
    settings: Settings,
    *,
    fit: tuple[float, float] | None,
    say: Callable[[str], None],
) -> _Demand:
    """Person trips, containers and air passengers on the skims; ``fit`` as :func:`person_trips` takes it."""
    intrazonal = intrazonal_s(region, places.ids, places.kinds, sk.car_s, settings)
    costs = person_costs(sk.car_s, sk.car_km, sk.car_toll_php, sk.rail_s, intrazonal, settings)
    persons = person_trips(
        costs,
        places.origins,
        places.dests,
        masses.productions,
        masses.attractions,
        settings,
        fit=fit,
        rail_boardings=observed.rail_boardings if calibration is None else math.nan,
        say=say,
    )
    trips = persons.both_ways(len(places.nodes))
    rail_trips = trips * persons.rail_share
    ports, airports = _gateway_choices(places, sk, masses, observed, calibration, settings)
    return _Demand(sk, costs, persons, trips, rail_trips, trips - rail_trips, ports, airports)


def _to_and_from(matrix: np.ndarray, daily: np.ndarray, g: int) -> None:
    """Add a day's trips between each place and place ``g``, half each way."""
    matrix[:, g] += daily / 2
    matrix[g, :] += daily / 2


def _peak_vehicles(demand: _Demand, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """A day's cars (PCU: road trips, and air passengers' cars to their airports) and container trucks.

    Trucks to a rail terminal are short and left out of the assignment.
    """
    f = settings.freight
    cars = demand.road_trips * settings.demand.pcu_per_road_trip
    air_cars = np.zeros_like(cars)
    for pos, g in enumerate(demand.airports.spec.gateways):
        _to_and_from(air_cars, demand.airports.choice.flows[:, pos] / 365 / settings.air.persons_per_car, g)
    cars = cars + air_cars
    trucks = np.zeros_like(cars)
    for alt, (g, by_rail) in enumerate(demand.ports.spec.alternatives):
        if not by_rail:
            _to_and_from(
                trucks, demand.ports.choice.flows[:, alt] / 365 / f.teu_per_truck / (1 - f.empty_truck_share), g
            )
    np.fill_diagonal(cars, 0.0)
    np.fill_diagonal(trucks, 0.0)
    return cars, trucks


# ------------------------------------------------------------------ the feedback of congested times


def _assign_peak(
    links: pd.DataFrame,
    connector_links: pd.DataFrame,
    nodes: list[Any],
    car_pcu_day: np.ndarray,
    trucks_day: np.ndarray,
    settings: Settings,
    *,
    gap: float,
) -> AssignmentResult:
    """The peak hour's cars (PCU) and trucks assigned to user equilibrium; link times in seconds."""
    a = settings.assignment
    table = pd.concat(
        [
            pd.DataFrame(
                {
                    "from_node": links["from_node"],
                    "to_node": links["to_node"],
                    "capacity": links["capacity_pcu_h"],
                    "free_flow_time": links["free_flow_time_s"],
                    "alpha": links["alpha"],
                    "beta": links["beta"],
                    "fixed_cost": links["toll_php"] / settings.value_of_time_php_per_h * 3600,
                }
            ),
            pd.DataFrame(
                {
                    "from_node": connector_links["from_node"],
                    "to_node": connector_links["to_node"],
                    "capacity": 1e9,
                    "free_flow_time": connector_links["free_flow_time_s"],
                    "alpha": 0.0,
                    "beta": 1.0,
                    "fixed_cost": 0.0,
                }
            ),
        ],
        ignore_index=True,
    )
    demand = {
        "car": car_pcu_day * settings.demand.peak_hour_share,
        "truck": trucks_day * settings.freight.truck_peak_share,
    }
    return assign(
        table,
        demand,
        zones=nodes,
        pce={"car": 1.0, "truck": settings.freight.truck_pcu},
        gap=gap,
        max_iter=a.max_iterations,
        engine=a.engine,
    )


@dataclass
class _Feedback:
    """The outer loop: the road network assigned, the link times the skims use, and what each assignment gave.

    ``prior`` counts a warm start as one averaged iteration already made.
    """

    links: pd.DataFrame
    connectors: pd.DataFrame
    link_time: dict[Key, float]
    prior: int
    gaps: list[float] = field(default_factory=list)
    assignment_s: list[float] = field(default_factory=list)
    changes: list[float] = field(default_factory=list)

    @classmethod
    def start(cls, G: nx.MultiDiGraph, settings: Settings, warm: ModelRun | None) -> _Feedback:
        """The network's road links and connectors at free-flow times, or at a warm run's congested ones."""
        links = road_links(G, settings)
        link_time = {key: t for key, t in zip(links["key"], links["free_flow_time_s"], strict=True)}
        if warm is not None:
            for key, seconds in zip(warm.links["key"], warm.links["congested_time_s"], strict=True):
                if key in link_time:
                    link_time[key] = float(seconds)
        return cls(links, connectors(G), link_time, 1 if warm is not None else 0)

    def converged(self, settings: Settings) -> bool:
        """Whether the last assignment's times moved less than the feedback's tolerance."""
        return bool(self.changes) and self.changes[-1] < settings.assignment.feedback_tolerance

    def is_last(self, outer: int, settings: Settings) -> bool:
        """Whether outer iteration ``outer`` is the last: converged, or out of iterations."""
        return outer == settings.assignment.feedback_iterations or self.converged(settings)

    def step(
        self, nodes: list[Any], vehicles: tuple[np.ndarray, np.ndarray], settings: Settings, *, outer: int, final: bool
    ) -> AssignmentResult:
        """Assign a day's cars and trucks in the peak hour, record how far the link times moved, and unless
        ``final`` average the times towards the assignment's (the method of successive averages).

        The last assignment goes to the target gap, the others to the looser
        feedback gap. The change is the flow-weighted mean change of the
        times, relative to the times used.
        """
        a = settings.assignment
        gap = a.gap if final else max(a.gap, a.feedback_gap)
        result = _assign_peak(self.links, self.connectors, nodes, *vehicles, settings, gap=gap)
        links = self.links
        new_time = result.time[: len(links)]
        self.gaps.append(result.relative_gap)
        self.assignment_s.append(result.seconds)
        used = np.array([self.link_time[key] for key in links["key"]])
        flow = result.flow[: len(links)]
        weight = float((flow * used).sum())
        self.changes.append(float((flow * np.abs(new_time - used)).sum() / weight) if weight > 0 else 0.0)
        if not final:
            step = 1.0 / (outer + self.prior)
            for key, t_new, t_used in zip(links["key"], new_time, used, strict=True):
                self.link_time[key] = t_used + (float(t_new) - t_used) * step
        return result


def _calibration(places: _Places, masses: _Masses, demand: _Demand) -> Calibration:
    """The base year's fit, from its last outer iteration."""
    ports, airports = demand.ports, demand.airports
    return Calibration(
        beta_per_php=demand.persons.beta_per_php,
        rail_constant=demand.persons.rail_constant,
        port_constants={places.ids[g]: float(c) for g, c in zip(places.ports, ports.constants, strict=True)},
        airport_constants={places.ids[g]: float(c) for g, c in zip(places.airports, airports.constants, strict=True)},
        teu_per_year=masses.teu_per_year,
        air_pax_per_year=masses.air_pax_per_year,
    )


# ------------------------------------------------------------------ the results


def _matrices(demand: _Demand, teu_cost_php: np.ndarray, air_min: np.ndarray) -> dict[str, np.ndarray]:
    """Centroid x centroid matrices for appraisal, and per centroid its containers and air passengers."""
    ports, airports = demand.ports.choice, demand.airports.choice
    return {
        "person_trips": demand.person_trips,
        "rail_trips": demand.rail_trips,
        "road_trips": demand.road_trips,
        "gc_road_php": demand.costs.gc_road,
        "gc_rail_php": demand.costs.gc_rail,
        "gc_person_php": demand.persons.gc_php,
        "car_min": demand.costs.car_min,
        "car_km": demand.skims.car_km,
        "teu_flows": ports.flows,
        "air_flows": airports.flows,
        # per centroid, for the appraisal's rule of a half
        "teu_per_year": ports.flows.sum(axis=1),
        "teu_cost_php": teu_cost_php,
        "air_pax_per_year": airports.flows.sum(axis=1),
        "air_time_min": air_min + air_delay_min(airports),
    }


def _assignment_report(
    result: AssignmentResult, feedback: _Feedback, settings: Settings, started: float
) -> dict[str, Any]:
    """The last assignment's gap, iterations and engine, and the feedback's history."""
    return {
        "relative_gap": result.relative_gap,
        "iterations": result.iterations,
        "engine": result.engine,
        "converged": result.converged,
        "gap_by_outer_iteration": feedback.gaps,
        "feedback_change": feedback.changes,
        "feedback_converged": feedback.converged(settings),
        "assignment_s": feedback.assignment_s,
        "seconds": time.perf_counter() - started,
    }


def _results(
    places: _Places,
    masses: _Masses,
    demand: _Demand,
    links: pd.DataFrame,
    result: AssignmentResult,
    settings: Settings,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, float], dict[str, np.ndarray]]:
    """The run's links, gateways, zones, headlines and matrices, from its last outer iteration."""
    ports, airports = demand.ports, demand.airports
    out_links = link_table(links, result, settings)
    gateways = gateway_table(places.info, [(ports.spec, ports.choice), (airports.spec, airports.choice)], settings)
    containers = container_costs(ports.choice, ports.spec, ports.constants, demand.skims)
    air_min = air_access_min(airports.choice, airports.spec, demand.skims)
    access = demand.persons.accessibility(places.jobs)
    zones = zone_table(
        places.info,
        population=places.population,
        jobs=places.jobs,
        teu=masses.teu,
        containers=containers,
        accessibility=access,
        air_min=air_min,
        settings=settings,
    )
    summary = headlines(
        out_links,
        zones,
        demand.persons,
        demand.rail_trips,
        teu=masses.teu,
        containers=containers,
        ports=(ports.spec, ports.choice),
        air=masses.air,
        air_min=air_min,
        airports=airports.choice,
        settings=settings,
    )
    return out_links, gateways, zones, summary, _matrices(demand, containers.cost_php, air_min)


# ------------------------------------------------------------------ the model


def run_model(
    G: nx.MultiDiGraph,
    region: Region | None = None,
    settings: Settings | None = None,
    *,
    calibration: Calibration | None = None,
    warm: ModelRun | None = None,
    demand_factors: Mapping[str, float] | None = None,
    progress: Callable[[str], None] | None = None,
    cache: DiskCache | None = None,
) -> ModelRun:
    """Run the transport model on a network: the base year (calibrating) or a scenario (with ``calibration``).

    Parameters
    ----------
    G
        A base network or a scenario's graph; it is read, never changed.
    region
        The region pack: the published volumes the base year is calibrated
        to, and the zones' polygons (intrazonal trips).
    settings
        Every parameter, with its source; defaults when None.
    calibration
        The base year's calibration; None calibrates on this network.
    warm
        A run whose congested link times start this one's (the base year's,
        for a scenario): the feedback then starts near its fixed point.
    demand_factors
        A later year's demand over the base year's, by class (``persons``,
        ``containers``, ``air_passengers``; 1 when left out): person trips are
        generated, and containers and air passengers shared out, that much
        more. Needs ``calibration`` (the base year's fit is kept).
    progress
        Called with a short description of each step.
    cache
        Where runs are kept (:class:`~corridor.paths.cache.DiskCache`), under
        a key that hashes every input: the graph, the region's files, the
        settings, the calibration, the warm start's link times and the demand
        factors. The same run is then read back instead of run again. None:
        nothing is kept.

    Raises
    ------
    ModelError
        When the network has no zones, a demand factor is unknown or not
        positive, a later year's demand comes without a calibration, or the
        calibration cannot be reached.
    """
    settings = settings or Settings()
    if cache is None:
        return _run(G, region, settings, calibration, warm, demand_factors, progress)
    key = run_key(G, region, settings, calibration=calibration, warm=warm, demand_factors=demand_factors)
    return cache.stored(
        key,
        lambda: _run(G, region, settings, calibration, warm, demand_factors, progress),
        ModelRun.to_entry,
        ModelRun.from_entry,
    )


def run_key(
    G: nx.MultiDiGraph,
    region: Region | None,
    settings: Settings,
    *,
    calibration: Calibration | None = None,
    warm: ModelRun | None = None,
    demand_factors: Mapping[str, float] | None = None,
) -> str:
    """The cache key of a model run: a hash of everything the run reads (see :func:`run_model`)."""
    h = hashlib.sha256(f"model run {graph_digest(G)} {settings.digest()}\n".encode())
    h.update(json.dumps(region.provenance() if region is not None else None, sort_keys=True).encode())
    h.update(json.dumps(asdict(calibration) if calibration is not None else None, sort_keys=True).encode())
    h.update(json.dumps(dict(sorted((demand_factors or {}).items()))).encode())
    if warm is not None:
        h.update(repr(list(warm.links["key"])).encode())
        h.update(np.ascontiguousarray(warm.links["congested_time_s"].to_numpy(dtype=float)).tobytes())
    return f"model-{h.hexdigest()[:32]}"


def _run(
    G: nx.MultiDiGraph,
    region: Region | None,
    settings: Settings,
    calibration: Calibration | None,
    warm: ModelRun | None,
    demand_factors: Mapping[str, float] | None,
    progress: Callable[[str], None] | None,
) -> ModelRun:
    """One model run (see :func:`run_model`)."""
    started = time.perf_counter()
    say = progress or (lambda message: log.info(message))
    factors = _demand_factors(demand_factors, calibration)
    places = _places(G, settings)
    observed = _observed(region, places)
    masses = _masses(places, observed, calibration, factors, settings)
    feedback = _Feedback.start(G, settings, warm)
    fit = (calibration.beta_per_php, calibration.rail_constant) if calibration is not None else None
    outer = 0
    while True:
        outer += 1
        # the last loop: converged (or out of loops), assigned to the target gap
        final = feedback.is_last(outer, settings)
        say(f"skims ({outer})")
        sk = skims(G, places.nodes, feedback.link_time, settings)
        demand = _demand(sk, places, region, masses, observed, calibration, settings, fit=fit, say=say)
        # the decay is fitted once, on the uncongested first skims; the base year refits the rail constant each time
        fit = (demand.persons.beta_per_php, demand.persons.rail_constant if calibration is not None else math.nan)
        vehicles = _peak_vehicles(demand, settings)
        say(f"road assignment ({outer})")
        result = feedback.step(places.nodes, vehicles, settings, outer=outer, final=final)
        if final:
            break
    out_links, gateways, zones, summary, matrices = _results(places, masses, demand, feedback.links, result, settings)
    return ModelRun(
        places=places.ids,
        kinds=places.kinds,
        links=out_links,
        gateways=gateways,
        zones=zones,
        summary=summary,
        matrices=matrices,
        calibration=calibration if calibration is not None else _calibration(places, masses, demand),
        assignment=_assignment_report(result, feedback, settings, started),
        provenance={
            **G.graph.get("provenance", {}),
            "settings_digest": settings.digest(),
            "corridor_version": __version__,
        },
        demand_factors=factors,
    )

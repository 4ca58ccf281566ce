"""The corridor's transport model: demand, gateway choice with capacity and road congestion, for one network.

:func:`run_model` runs the base year or a scenario on a network (a base
network from :func:`corridor.build_network`, or a scenario's graph):

1. **Skims** from the engine: car times and distances on the road network at
   the current congested times; public transport (rail with jeepney or walk
   legs, :func:`corridor.network.build.any_layers`); containers' generalized cost
   by truck and, where a freight railway runs, by rail (haul cost per TEU-km,
   lifts, time).
2. **Person trips**: productions from population, attractions from jobs,
   distributed by a doubly constrained gravity model on the composite
   generalized cost of road and rail, its decay fitted to a mean trip time;
   split between road and rail by a logit whose constant is calibrated to
   the published rail boardings.
3. **Containers** (TEU) from industry and economic-zone jobs, calibrated to
   the published port throughputs; each chooses a port and a mode (truck, or
   rail where it runs) by a logit on cost including the port's delay, which
   rises with its utilisation, at equilibrium
   (:func:`corridor.model.gateways.choose_gateways`). **Air passengers** choose an
   airport the same way, against terminal and runway capacity.
4. **Road assignment** of the modelled peak hour: cars (PCU) and trucks to a
   multi-class user equilibrium on BPR delay functions
   (:func:`corridor.model.assignment.assign`); the congested times feed back to the
   skims, averaged over a few outer iterations.

The base year calibrates the model (:class:`Calibration`: the gravity decay
and the constants of rail, ports and airports); a scenario runs with the base
year's calibration, so that what changes is what the projects change. Every
parameter is a setting with its source (:func:`corridor.settings.parameters`).
Times are *assigned* times: the peak hour's congested times.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from corridor._version import __version__
from corridor.errors import ModelError
from corridor.inputs.region import Region
from corridor.model import demand as dm
from corridor.model.assignment import assign
from corridor.model.gateways import airport_spec, gateway_choice, gateway_table, gateways_in_choice, port_spec
from corridor.model.skims import Skims, connectors, intrazonal_s, road_links, skims
from corridor.network.build import centroids
from corridor.settings import Settings

__all__ = [
    "MODEL_LABELS",
    "Calibration",
    "ModelRun",
    "assigned_graph",
    "explain",
    "gateway_volumes",
    "link_volumes",
    "model_gains",
    "run_model",
]

log = logging.getLogger(__name__)

#: the model's headline numbers: key -> (label, unit, better: -1 lower, +1 higher)
MODEL_LABELS: dict[str, tuple[str, str, int]] = {
    "freight_cost_usd_per_teu": (
        "mean generalized cost of a container's journey to or from its port (logsum over ports and modes)",
        "USD/TEU",
        -1,
    ),
    "haulage_usd_per_teu": (
        "mean haulage, handling and waiting cost of the containers' chosen journeys",
        "USD/TEU",
        -1,
    ),
    "door_to_ship_h": ("mean door-to-ship time of a container (haul, dwell, delay)", "h", -1),
    "port_delay_h": ("mean delay of a container at its port beyond the usual dwell", "h", -1),
    "air_access_min": ("mean time to the chosen airport, passengers' mean", "min", -1),
    "air_delay_min": ("mean processing delay of an air passenger beyond the usual", "min", -1),
    "truck_km_per_day": ("container truck-km a day", "veh-km", -1),
    "car_km_per_day": ("car-equivalent km a day (PCU-km of cars, jeepneys, buses)", "PCU-km", -1),
    "vehicle_hours_per_day": ("vehicle hours a day on the roads", "veh-h", -1),
    "truck_hours_per_day": ("container truck hours a day on the roads", "veh-h", -1),
    "generalized_cost_php_per_trip": ("mean generalized cost of a person trip", "PHP", -1),
    "accessibility": ("logsum accessibility to jobs, population-weighted", "ln", 1),
    "rail_trips_per_day": ("person trips using rail a day", "trips", 1),
    "rail_freight_share": ("share of containers moved by rail", "share", 1),
    "congested_km": ("road km over 85% of capacity in the peak hour", "km", -1),
}


@dataclass(frozen=True)
class Calibration:
    """What the base year fits, for scenarios to reuse.

    Attributes
    ----------
    beta_per_php
        The gravity model's decay on generalized cost.
    rail_constant
        The rail alternative's constant against road.
    port_constants, airport_constants
        Per gateway id, its constant in the gateway choice.
    teu_per_year, air_pax_per_year
        The totals the generation is scaled to (the published throughputs).
    """

    beta_per_php: float
    rail_constant: float
    port_constants: dict[str, float]
    airport_constants: dict[str, float]
    teu_per_year: float
    air_pax_per_year: float


@dataclass
class ModelRun:
    """The results of one model run.

    Attributes
    ----------
    links
        One row per directed road link: id, name, class, length, lanes,
        capacity, peak-hour flows (PCU, cars, trucks), daily vehicles by
        class, volume over capacity, free-flow and congested speed.
    gateways
        Per seaport and airport in the choice: volume a year, capacity,
        utilisation, delay.
    zones
        Per zone: population, jobs, containers, freight cost per TEU,
        door-to-ship hours, accessibility, time to the chosen airport.
    summary
        Headline numbers (see :data:`MODEL_LABELS`).
    matrices
        Centroid x centroid matrices for appraisal: person trips and
        generalized cost by mode, container and passenger flows; and per
        centroid its containers a year and their cost (PHP/TEU, the logsum),
        its air passengers a year and their time to and at the airport.
    calibration
        The base year's fit (reused by scenarios).
    demand_factors
        The demand of this run over the base year's, by class.
    """

    places: list[str]
    kinds: list[str]
    links: pd.DataFrame
    gateways: pd.DataFrame
    zones: pd.DataFrame
    summary: dict[str, float]
    matrices: dict[str, np.ndarray]
    calibration: Calibration
    assignment: dict[str, Any]
    provenance: dict[str, Any] = field(default_factory=dict)
    times: str = "assigned"
    demand_factors: dict[str, float] = field(default_factory=dict)


def run_model(
    G: nx.MultiDiGraph,
    region: Region | None = None,
    settings: Settings | None = None,
    *,
    calibration: Calibration | None = None,
    warm: ModelRun | None = None,
    demand_factors: Mapping[str, float] | None = None,
    progress: Callable[[str], None] | None = None,
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

    Raises
    ------
    ModelError
        When the network has no zones, a demand factor is unknown or not
        positive, a later year's demand comes without a calibration, or the
        calibration cannot be reached.
    """
    settings = settings or Settings()
    started = time.perf_counter()
    say = progress or (lambda message: log.info(message))
    factors = {"persons": 1.0, "containers": 1.0, "air_passengers": 1.0}
    for name, factor in (demand_factors or {}).items():
        if name not in factors:
            raise ModelError(f"unknown demand class {name!r}", field="demand_factors", allowed=list(factors))
        if not (math.isfinite(factor) and factor > 0):
            raise ModelError("a demand factor must be positive", field=f"demand_factors.{name}", value=factor)
        factors[name] = float(factor)
    if calibration is None and any(f != 1.0 for f in factors.values()):
        raise ModelError("a later year's demand needs the base year's calibration", field="calibration")
    nodes = centroids(G)
    info = [G.nodes[n] for n in nodes]
    places = [str(d.get("place_id")) for d in info]
    kinds = [str(d.get("kind")) for d in info]
    zone_mask = np.array([k == "zone" for k in kinds])
    if not zone_mask.any():
        raise ModelError("the network has no zones to run the model on")
    population = np.array([float(d.get("population_2020") or 0) + float(d.get("population_added") or 0) for d in info])
    jobs = np.array([float(d.get("jobs") or 0) for d in info])
    links = road_links(G, settings)
    connector_links = connectors(G)
    link_time = {key: t for key, t in zip(links["key"], links["free_flow_time_s"], strict=True)}
    if warm is not None:
        for key, seconds in zip(warm.links["key"], warm.links["congested_time_s"], strict=True):
            if key in link_time:
                link_time[key] = float(seconds)

    d_s, f_s, a_s = settings.demand, settings.freight, settings.air
    vot_blend = settings.road_value_of_time_php_per_h
    php_per_usd = settings.php_per_usd
    observed = region.observations if region is not None else pd.DataFrame(columns=["kind", "item", "value"])

    # gateways in the choices
    ports, airports = gateways_in_choice(info)
    teu_weight = np.array(
        [
            f_s.industry_share.get(str(d.get("region")), 0.2) * jobs[i]
            if d.get("kind") == "zone"
            else (f_s.economic_zone_weight * jobs[i] if d.get("kind") == "economic_zone" else 0.0)
            for i, d in enumerate(info)
        ]
    )

    def observed_value(kind: str, item: str) -> float:
        rows = observed[(observed["kind"] == kind) & (observed["item"] == item)]
        return float(rows["value"].iloc[0]) if len(rows) else math.nan

    port_observed = np.array([observed_value("port_teu", places[i]) for i in ports])
    air_observed = np.array([observed_value("airport_pax", places[i]) for i in airports])
    rail_observed = float(observed[observed["kind"] == "rail_boardings"]["value"].sum()) if len(observed) else math.nan

    cal = calibration
    person_fit = (cal.beta_per_php, cal.rail_constant) if cal is not None else None
    asg = settings.assignment
    iterations = asg.feedback_iterations
    prior = 1 if warm is not None else 0  # a warm start counts as one averaged iteration
    result = None
    history: list[float] = []
    assignment_s: list[float] = []
    feedback: list[float] = []
    final = False
    outer = 0
    while not final:
        outer += 1
        # the last loop: converged (or out of loops), assigned to the target gap
        final = outer == iterations or (len(feedback) > 0 and feedback[-1] < asg.feedback_tolerance)
        say(f"skims ({outer})")
        sk = skims(G, nodes, link_time, settings)
        intrazonal = intrazonal_s(region, places, kinds, sk.car_s, settings)
        car_min = sk.car_s / 60
        np.fill_diagonal(car_min, intrazonal / 60)
        km = sk.car_km
        pt_fare = d_s.pt_fare_base_php + d_s.pt_fare_php_per_km * np.maximum(km - 4, 0)
        road_money = d_s.road_pt_share * pt_fare + (1 - d_s.road_pt_share) * (
            d_s.car_cost_php_per_km * km + sk.car_toll_php
        )
        gc_road = car_min / 60 * vot_blend + road_money + d_s.road_pt_share * settings.pt_wait_min / 60 * vot_blend
        rail_min = sk.rail_s / 60
        gc_rail = (
            rail_min / 60 * d_s.value_of_time_pt_php_per_h + d_s.rail_fare_base_php + d_s.rail_fare_php_per_km * km
        )
        np.fill_diagonal(gc_rail, np.inf)

        # persons: origins are zones, destinations zones and economic zones
        origins = np.flatnonzero(zone_mask)
        dests = np.flatnonzero(zone_mask | np.array([k == "economic_zone" for k in kinds]))
        productions = population[origins] * d_s.trip_rate_per_day * factors["persons"]
        attractions = jobs[dests]

        persons = _person_demand(
            gc_road,
            gc_rail,
            km,
            origins,
            dests,
            productions,
            attractions,
            settings,
            rail_observed if cal is None else math.nan,
            person_fit,
            say,
        )
        beta, rail_constant, trips_pa, gc_star, share_rail = persons
        # the decay is fitted once, on the uncongested first skims; the base year refits the rail constant each time
        person_fit = (beta, rail_constant) if cal is not None else (beta, math.nan)
        sub_gc = gc_star[np.ix_(origins, dests)]
        person_trips = np.zeros((len(nodes), len(nodes)))
        person_trips[np.ix_(origins, dests)] += trips_pa / 2
        person_trips[np.ix_(dests, origins)] += trips_pa.T / 2  # each trip's return
        rail_trips = person_trips * share_rail
        road_trips = person_trips - rail_trips

        # containers
        teu_total = cal.teu_per_year * factors["containers"] if cal is not None else float(np.nansum(port_observed))
        teu = teu_total * teu_weight / teu_weight.sum() if teu_weight.sum() > 0 else np.zeros(len(nodes))
        ports_spec = port_spec(
            info,
            ports,
            sk.freight_road_php,
            sk.freight_rail_php,
            settings,
            fitted=cal.port_constants if cal is not None else None,
            observed=port_observed,
        )
        port_choice, port_constants = gateway_choice(ports_spec, teu)
        port_alts = list(ports_spec.alternatives)
        # air passengers
        air_total = (
            cal.air_pax_per_year * factors["air_passengers"] if cal is not None else float(np.nansum(air_observed))
        )
        air = air_total * population / population.sum()
        airports_spec = airport_spec(
            info,
            airports,
            sk.car_s,
            sk.car_km,
            settings,
            fitted=cal.airport_constants if cal is not None else None,
            observed=air_observed,
        )
        air_choice, airport_constants = gateway_choice(airports_spec, air)

        # vehicles in the peak hour
        car_pcu_day = road_trips * d_s.pcu_per_road_trip
        air_cars = np.zeros_like(car_pcu_day)
        for a_pos, g in enumerate(airports):
            daily = air_choice.flows[:, a_pos] / 365 / a_s.persons_per_car
            air_cars[:, g] += daily / 2
            air_cars[g, :] += daily / 2
        car_pcu_day = car_pcu_day + air_cars
        trucks_day = np.zeros_like(car_pcu_day)
        for alt, (g, by_rail) in enumerate(port_alts):
            if by_rail:
                continue  # trucks to a rail terminal are short and left out of the assignment
            daily = port_choice.flows[:, alt] / 365 / f_s.teu_per_truck / (1 - f_s.empty_truck_share)
            trucks_day[:, g] += daily / 2
            trucks_day[g, :] += daily / 2
        np.fill_diagonal(car_pcu_day, 0.0)
        np.fill_diagonal(trucks_day, 0.0)

        say(f"road assignment ({outer})")
        gap = asg.gap if final else max(asg.gap, asg.feedback_gap)
        result = _assign_peak(links, connector_links, nodes, car_pcu_day, trucks_day, settings, gap=gap)
        new_time = result.time[: len(links)]
        history.append(result.relative_gap)
        assignment_s.append(result.seconds)
        used = np.array([link_time[key] for key in links["key"]])
        flow = result.flow[: len(links)]
        weight = float((flow * used).sum())
        feedback.append(float((flow * np.abs(new_time - used)).sum() / weight) if weight > 0 else 0.0)
        if not final:  # the method of successive averages on the link times
            step = 1.0 / (outer + prior)
            for key, t_new, t_used in zip(links["key"], new_time, used, strict=True):
                link_time[key] = t_used + (float(t_new) - t_used) * step
        if cal is None and final:
            cal = Calibration(
                beta_per_php=beta,
                rail_constant=rail_constant,
                port_constants={places[g]: float(c) for g, c in zip(ports, port_constants, strict=True)},
                airport_constants={places[g]: float(c) for g, c in zip(airports, airport_constants, strict=True)},
                teu_per_year=teu_total,
                air_pax_per_year=air_total,
            )
    assert result is not None and cal is not None

    # results
    n_links = len(links)
    peak = settings.demand.peak_hour_share
    out_links = links.copy()
    out_links["flow_pcu_h"] = result.flow[:n_links]
    out_links["cars_pcu_h"] = result.flows_by_class["car"][:n_links]
    out_links["trucks_h"] = result.flows_by_class["truck"][:n_links]
    out_links["cars_pcu_day"] = out_links["cars_pcu_h"] / peak
    out_links["trucks_day"] = out_links["trucks_h"] / max(f_s.truck_peak_share, 1e-9)
    out_links["vehicles_day"] = (
        out_links["cars_pcu_day"] * d_s.vehicles_per_road_trip / d_s.pcu_per_road_trip + out_links["trucks_day"]
    )
    out_links["volume_capacity"] = out_links["flow_pcu_h"] / out_links["capacity_pcu_h"]
    congested_time = result.time[:n_links]
    out_links["congested_time_s"] = congested_time
    out_links["congested_speed_kph"] = out_links["length_m"] / np.maximum(congested_time, 1e-9) * 3.6
    link_km = out_links["length_m"].to_numpy() / 1000

    sk = skims(G, nodes, link_time, settings)
    gateways = gateway_table(info, [(ports_spec, port_choice), (airports_spec, air_choice)], settings)
    zones = pd.DataFrame(index=pd.Index(places, name="place_id"))
    zones["kind"] = kinds
    zones["name"] = [d.get("name") for d in info]
    zones["population"] = population
    zones["jobs"] = jobs
    zones["teu_per_year"] = teu
    teu_cost, teu_paid, teu_time, teu_delay = _container_costs(
        port_choice, port_alts, sk, settings, gateways, places, port_constants, ports
    )
    zones["freight_cost_usd_per_teu"] = teu_cost / php_per_usd
    zones["haulage_usd_per_teu"] = teu_paid / php_per_usd
    zones["door_to_ship_h"] = teu_time
    zones["port_delay_h"] = teu_delay
    theta_gc = beta
    with np.errstate(over="ignore", divide="ignore"):
        access = np.log((np.exp(-theta_gc * gc_star[:, dests]) * jobs[dests][None, :]).sum(axis=1))
    zones["accessibility"] = np.where(zone_mask, access, np.nan)
    air_min = _air_access_min(air_choice, airports, sk)
    zones["air_access_min"] = air_min
    zones = zones[zones["kind"] == "zone"].drop(columns=["kind"])

    pop_z = zones["population"].to_numpy()
    teu_all = port_choice.flows.sum()
    summary = {
        "freight_cost_usd_per_teu": float(np.nansum(teu_cost * teu) / teu.sum()) / php_per_usd
        if teu.sum()
        else math.nan,
        "haulage_usd_per_teu": float(np.nansum(teu_paid * teu) / teu.sum()) / php_per_usd if teu.sum() else math.nan,
        "door_to_ship_h": float((teu_time * teu).sum() / teu.sum()) if teu.sum() else math.nan,
        "port_delay_h": float((teu_delay * teu).sum() / teu.sum()) if teu.sum() else math.nan,
        "air_access_min": float(np.nansum(air_min * air) / air.sum()) if air.sum() else math.nan,
        "air_delay_min": float((air_choice.flows.sum(axis=0) * air_choice.delay_h).sum() / max(air.sum(), 1e-9) * 60)
        if len(airports)
        else math.nan,
        "truck_km_per_day": float((out_links["trucks_day"] * link_km).sum()),
        "car_km_per_day": float((out_links["cars_pcu_day"] * link_km).sum()),
        "vehicle_hours_per_day": float(((out_links["vehicles_day"]) * congested_time / 3600).sum()),
        "truck_hours_per_day": float((out_links["trucks_day"] * congested_time / 3600).sum()),
        "generalized_cost_php_per_trip": float((trips_pa * sub_gc).sum() / trips_pa.sum())
        if trips_pa.sum()
        else math.nan,
        "accessibility": float(np.nansum(zones["accessibility"] * pop_z) / pop_z.sum()),
        "rail_trips_per_day": float(rail_trips.sum()),
        "rail_boardings_per_day": float(rail_trips.sum() * d_s.rail_boardings_per_trip),
        "rail_freight_share": float(
            sum(port_choice.flows[:, alt].sum() for alt, (_, r) in enumerate(port_alts) if r) / teu_all
        )
        if teu_all
        else 0.0,
        "congested_km": float(link_km[(out_links["volume_capacity"] > 0.85) & ~out_links["reversed"]].sum()),
    }
    matrices = {
        "person_trips": person_trips,
        "rail_trips": rail_trips,
        "road_trips": road_trips,
        "gc_road_php": gc_road,
        "gc_rail_php": gc_rail,
        "gc_person_php": gc_star,
        "car_min": car_min,
        "car_km": sk.car_km,
        "teu_flows": port_choice.flows,
        "air_flows": air_choice.flows,
        # per centroid, for the appraisal's rule of a half
        "teu_per_year": port_choice.flows.sum(axis=1),
        "teu_cost_php": teu_cost,
        "air_pax_per_year": air_choice.flows.sum(axis=1),
        "air_time_min": air_min + _air_delay_min(air_choice),
    }
    provenance = {
        **G.graph.get("provenance", {}),
        "settings_digest": settings.digest(),
        "corridor_version": __version__,
    }
    return ModelRun(
        places=places,
        kinds=kinds,
        links=out_links,
        gateways=gateways,
        zones=zones,
        summary=summary,
        matrices=matrices,
        calibration=cal,
        assignment={
            "relative_gap": result.relative_gap,
            "iterations": result.iterations,
            "engine": result.engine,
            "converged": result.converged,
            "gap_by_outer_iteration": history,
            "feedback_change": feedback,
            "feedback_converged": bool(feedback and feedback[-1] < asg.feedback_tolerance),
            "assignment_s": assignment_s,
            "seconds": time.perf_counter() - started,
        },
        provenance=provenance,
        demand_factors=factors,
    )


def _person_demand(
    gc_road: np.ndarray,
    gc_rail: np.ndarray,
    km: np.ndarray,
    origins: np.ndarray,
    dests: np.ndarray,
    productions: np.ndarray,
    attractions: np.ndarray,
    settings: Settings,
    rail_observed: float,
    fit: tuple[float, float] | None,
    say: Callable[[str], None],
) -> tuple[float, float, np.ndarray, np.ndarray, np.ndarray]:
    """Person trips: the gravity model on the composite cost of road and rail, and the rail share.

    ``fit`` holds the decay and the rail constant when they are known (a
    rail constant of nan: to be fitted again with this decay); otherwise
    both are fitted here: the decay to the mean length of trips that leave
    their zone, the constant to the published rail boardings.
    Returns the decay, the rail constant, the production-attraction trips
    (origins x destinations), the composite cost (all centroids) and the
    share of trips by rail (all centroids).
    """
    d_s = settings.demand
    theta = d_s.mode_choice_scale_per_php
    rows, cols = np.ix_(origins, dests)

    def composite(rail_constant: float) -> tuple[np.ndarray, np.ndarray]:
        u_road = -theta * gc_road
        u_rail = np.where(np.isfinite(gc_rail), -theta * gc_rail + rail_constant, -np.inf)
        share_rail = dm.logit([u_road, u_rail])[1]
        return -dm.logsum([u_road, u_rail]) / theta, share_rail

    if fit is not None and math.isfinite(fit[1]):
        beta, rail_constant = fit
        gc_star, share_rail = composite(rail_constant)
        trips = dm.gravity(productions, attractions, gc_star[rows, cols], beta=beta)
        return beta, rail_constant, trips, gc_star, share_rail
    say("fitting the gravity model and the rail constant")
    leaving = np.ones((len(origins), len(dests)), dtype=bool)
    for r, o in enumerate(origins):
        leaving[r, np.flatnonzero(dests == o)] = False
    rail_constant = 0.0
    beta = math.nan
    for _ in range(3 if fit is None else 1):  # the decay and the rail constant depend on each other a little
        gc_star, share_rail = composite(rail_constant)
        if fit is None:
            beta = dm.fit_beta(
                productions,
                attractions,
                gc_star[rows, cols],
                d_s.mean_trip_km,
                measure=km[rows, cols],
                mask=leaving,
                bounds=(1e-6, 1.0),
                target="the mean trip length of the settings",
                field="demand.mean_trip_km",
                unit=" km on this network",
            )
        else:
            beta = fit[0]
        if math.isfinite(rail_observed):

            def boardings(c: np.ndarray, beta: float = beta) -> np.ndarray:
                gcs, sr = composite(float(c[0]))
                trips = dm.gravity(productions, attractions, gcs[rows, cols], beta=beta)
                return np.array([(trips * sr[rows, cols]).sum() * d_s.rail_boardings_per_trip])

            rail_constant = float(dm.calibrate_constants(boardings, np.array([rail_observed]))[0])
    gc_star, share_rail = composite(rail_constant)
    trips = dm.gravity(productions, attractions, gc_star[rows, cols], beta=beta)
    return beta, rail_constant, trips, gc_star, share_rail


def _assign_peak(
    links: pd.DataFrame,
    connectors: pd.DataFrame,
    nodes: list[Any],
    car_pcu_day: np.ndarray,
    trucks_day: np.ndarray,
    settings: Settings,
    *,
    gap: float,
) -> Any:
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
                    "from_node": connectors["from_node"],
                    "to_node": connectors["to_node"],
                    "capacity": 1e9,
                    "free_flow_time": connectors["free_flow_time_s"],
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


def _container_costs(
    choice: Any,
    alts: list[tuple[int, bool]],
    sk: Skims,
    settings: Settings,
    gateways: pd.DataFrame,
    places: list[str],
    constants: np.ndarray,
    ports: list[int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per origin: the generalized cost of its containers (PHP/TEU, the logsum over ports and modes),
    the haulage paid (the choices' mean), the door-to-ship hours and the port delay."""
    f = settings.freight
    n = choice.flows.shape[0]
    total = choice.flows.sum(axis=1)
    cost = np.zeros(n)
    hours = np.zeros(n)
    delay = np.zeros(n)
    utilities = []
    for g, by_rail in alts:
        row = gateways.loc[places[g]]
        money = (sk.freight_rail_php if by_rail else sk.freight_road_php)[:, g]
        full = money + (row["handling_h"] + row["delay_h"]) * f.cargo_vot_php_per_teu_h
        utilities.append(
            np.where(np.isfinite(full), -f.choice_scale_per_php * full + constants[ports.index(g)], -np.inf)
        )
    composite = -dm.logsum(utilities) / f.choice_scale_per_php if utilities else np.full(n, np.nan)
    for alt, (g, by_rail) in enumerate(alts):
        share = np.divide(choice.flows[:, alt], total, out=np.zeros(n), where=total > 0)
        row = gateways.loc[places[g]]
        money = (sk.freight_rail_php if by_rail else sk.freight_road_php)[:, g]
        haul_h = (sk.freight_rail_s if by_rail else sk.truck_s)[:, g] / 3600
        wait_h = row["handling_h"] + row["delay_h"]
        ok = share > 0
        cost[ok] += share[ok] * (money[ok] + wait_h * f.cargo_vot_php_per_teu_h)
        hours[ok] += share[ok] * (haul_h[ok] + wait_h)
        delay[ok] += share[ok] * row["delay_h"]
    return np.where(total > 0, composite, np.nan), cost, hours, delay


def _air_access_min(choice: Any, airports: list[int], sk: Skims) -> np.ndarray:
    n = choice.flows.shape[0]
    total = choice.flows.sum(axis=1)
    out = np.zeros(n)
    for pos, g in enumerate(airports):
        share = np.divide(choice.flows[:, pos], total, out=np.zeros(n), where=total > 0)
        ok = share > 0
        out[ok] += share[ok] * sk.car_s[ok, g] / 60
    return np.where(total > 0, out, np.nan)


def _air_delay_min(choice: Any) -> np.ndarray:
    """Per origin, its passengers' mean processing delay at their chosen airports (minutes)."""
    total = choice.flows.sum(axis=1)
    delay = (choice.flows * np.asarray(choice.delay_h)[None, :]).sum(axis=1) * 60
    return np.divide(delay, total, out=np.zeros_like(total), where=total > 0)


def model_gains(base: ModelRun, scenario: ModelRun) -> dict[str, float]:
    """Scenario minus base for each of the model's headline numbers."""
    return {k: scenario.summary.get(k, math.nan) - base.summary.get(k, math.nan) for k in MODEL_LABELS}


def link_volumes(run: ModelRun) -> pd.DataFrame:
    """Daily vehicles by class on every road link: both directions of a two-way link summed under its id.

    Columns: ``link_id``, ``name``, ``link_class``, ``from`` and ``to`` (the
    link's junctions, in its drawn direction), ``length_km``, ``cars_day``
    (cars, jeepneys and buses, in PCU), ``trucks_day`` (container trucks),
    ``vehicles_day``, ``volume_veh_day`` (the same, for the maps),
    ``volume_capacity`` and ``congested_speed_kph`` (the worse direction in
    the peak hour).
    """
    links = run.links
    if links.empty:
        return pd.DataFrame(
            columns=[
                "link_id",
                "name",
                "link_class",
                "from",
                "to",
                "length_km",
                "cars_day",
                "trucks_day",
                "vehicles_day",
                "volume_veh_day",
                "volume_capacity",
                "congested_speed_kph",
            ]
        )
    ids = links["link_id"].where(
        links["link_id"].notna(), links["from_node"].astype(str) + ">" + links["to_node"].astype(str)
    )
    frame = links.assign(link_id=ids.astype(str))
    forward = frame.sort_values("reversed", kind="stable").groupby("link_id", sort=False).first()
    sums = frame.groupby("link_id", sort=False)[["cars_pcu_day", "trucks_day", "vehicles_day"]].sum()
    worst = frame.groupby("link_id", sort=False).agg(
        volume_capacity=("volume_capacity", "max"), congested_speed_kph=("congested_speed_kph", "min")
    )
    out = pd.DataFrame(
        {
            "link_id": forward.index.astype(str),
            "name": forward["name"].to_numpy(),
            "link_class": forward["link_class"].to_numpy(),
            "from": forward["from_node"].astype(str).to_numpy(),
            "to": forward["to_node"].astype(str).to_numpy(),
            "length_km": (forward["length_m"] / 1000).to_numpy(),
            "cars_day": sums.loc[forward.index, "cars_pcu_day"].to_numpy(),
            "trucks_day": sums.loc[forward.index, "trucks_day"].to_numpy(),
            "vehicles_day": sums.loc[forward.index, "vehicles_day"].to_numpy(),
            "volume_capacity": worst.loc[forward.index, "volume_capacity"].to_numpy(),
            "congested_speed_kph": worst.loc[forward.index, "congested_speed_kph"].to_numpy(),
        }
    )
    out.insert(list(out.columns).index("volume_capacity"), "volume_veh_day", out["vehicles_day"])
    return out.sort_values("link_id", kind="stable").reset_index(drop=True)


def gateway_volumes(run: ModelRun) -> pd.DataFrame:
    """Each seaport's and airport's yearly volume, capacity, utilisation and delay (hours)."""
    return run.gateways.reset_index(drop=True)


def assigned_graph(G: nx.MultiDiGraph, run: ModelRun) -> nx.MultiDiGraph:
    """A copy of the network whose road links take the run's congested (assigned) times and speeds."""
    H = G.copy()
    for key, seconds, speed in zip(
        run.links["key"], run.links["congested_time_s"], run.links["congested_speed_kph"], strict=True
    ):
        if H.has_edge(*key):
            d = H.edges[key]
            d["travel_time"] = float(seconds)
            d["speed_kph"] = float(speed)
            d["congestion_factor"] = float(speed) / float(d.get("free_flow_speed_kph") or speed)
    H.graph["times"] = "assigned"
    return H


def explain(changes: dict[str, float], base: dict[str, float], *, top: int = 3) -> str:
    """The largest relative changes of the model's headlines, in words ("no change" when none moves)."""
    scored = []
    for key, change in changes.items():
        if not math.isfinite(change) or abs(change) < 1e-9:
            continue
        reference = abs(base.get(key, math.nan))
        scored.append((abs(change) / reference if reference and math.isfinite(reference) else abs(change), key))
    if not scored:
        return "no change in the model's headlines"
    parts = []
    for _, key in sorted(scored, reverse=True)[:top]:
        label, unit, better = MODEL_LABELS[key]
        change = changes[key]
        word = "better" if change * better > 0 else "worse"
        parts.append(f"{label} {change:+,.3g} {unit} ({word})")
    return "; ".join(parts)

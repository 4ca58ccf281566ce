"""The results of a model run: what it holds, its per-place and per-link results, and how runs compare.

- :class:`ModelRun` and :class:`Calibration`: one run's tables, headlines and
  matrices, and the base year's fit that scenarios reuse;
- :func:`container_costs`, :func:`air_access_min`, :func:`air_delay_min`,
  :func:`zone_table` and :func:`link_table`: per place and per road link,
  from the choices and the assignment; :func:`headlines`: the run's
  headline numbers;
- :data:`MODEL_LABELS`, :func:`model_gains` and :func:`explain`: the
  headlines, a scenario's changes and the largest of them in words;
- :func:`link_volumes`, :func:`gateway_volumes` and :func:`assigned_graph`:
  a run's volumes by road link and gateway, and the network at its
  congested times.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from corridor.model.assignment import AssignmentResult
from corridor.model.demand import PersonTrips, logsum
from corridor.model.gateways import GatewayChoice, GatewaySpec
from corridor.model.skims import Skims
from corridor.paths.cache import frame_from_entry, frame_to_entry
from corridor.settings import Settings

__all__ = [
    "HEADLINES",
    "MODEL_LABELS",
    "Calibration",
    "ContainerCosts",
    "ModelRun",
    "air_access_min",
    "air_delay_min",
    "assigned_graph",
    "explain",
    "container_costs",
    "gateway_volumes",
    "headlines",
    "link_table",
    "link_volumes",
    "model_gains",
    "zone_table",
]


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

    def to_entry(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """The run as arrays and JSON, for the on-disk cache (:meth:`corridor.paths.cache.DiskCache.stored`)."""
        arrays = {f"matrix.{k}": v for k, v in self.matrices.items()}
        meta: dict[str, Any] = {
            "places": self.places,
            "kinds": self.kinds,
            "summary": self.summary,
            "calibration": asdict(self.calibration),
            "assignment": self.assignment,
            "provenance": self.provenance,
            "times": self.times,
            "demand_factors": self.demand_factors,
            "matrices": list(self.matrices),
        }
        for name in ("links", "gateways", "zones"):
            frame_arrays, frame_meta = frame_to_entry(name, getattr(self, name))
            arrays.update(frame_arrays)
            meta[name] = frame_meta
        return arrays, meta

    @classmethod
    def from_entry(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> ModelRun:
        """The run that :meth:`to_entry` wrote."""
        return cls(
            places=list(meta["places"]),
            kinds=list(meta["kinds"]),
            links=frame_from_entry("links", arrays, meta["links"]),
            gateways=frame_from_entry("gateways", arrays, meta["gateways"]),
            zones=frame_from_entry("zones", arrays, meta["zones"]),
            summary=dict(meta["summary"]),
            matrices={k: arrays[f"matrix.{k}"] for k in meta["matrices"]},
            calibration=Calibration(**meta["calibration"]),
            assignment=dict(meta["assignment"]),
            provenance=dict(meta["provenance"]),
            times=str(meta["times"]),
            demand_factors=dict(meta["demand_factors"]),
        )


# ------------------------------------------------------------------ per place and per link


@dataclass(frozen=True)
class ContainerCosts:
    """Per origin, what its containers pay and wait: nan where it ships none, for the logsum.

    Attributes
    ----------
    cost_php
        The generalized cost of a TEU (PHP): the logsum over ports and modes.
    paid_php
        The haulage, handling and waiting cost of a TEU (PHP), the choices' mean.
    hours
        Door-to-ship hours: haul, handling and delay.
    delay_h
        The delay at the port beyond its usual handling.
    """

    cost_php: np.ndarray
    paid_php: np.ndarray
    hours: np.ndarray
    delay_h: np.ndarray


def container_costs(choice: GatewayChoice, spec: GatewaySpec, constants: np.ndarray, sk: Skims) -> ContainerCosts:
    """Per origin: what its containers pay and wait on their chosen ports and modes, and their logsum."""
    n = choice.flows.shape[0]
    total = choice.flows.sum(axis=1)
    paid, hours, delay = np.zeros(n), np.zeros(n), np.zeros(n)
    utilities = []
    for alt, ((g, by_rail), pos) in enumerate(zip(spec.alternatives, spec.gateway_of, strict=True)):
        money = (sk.freight_rail_php if by_rail else sk.freight_road_php)[:, g]
        haul_h = (sk.freight_rail_s if by_rail else sk.truck_s)[:, g] / 3600
        delay_h = float(choice.delay_h[pos])
        wait_h = spec.base_h[pos] + delay_h
        full = money + wait_h * spec.cost_per_delay_h
        utilities.append(np.where(np.isfinite(full), -spec.scale * full + constants[pos], -np.inf))
        share = np.divide(choice.flows[:, alt], total, out=np.zeros(n), where=total > 0)
        ok = share > 0
        paid[ok] += share[ok] * (money[ok] + wait_h * spec.cost_per_delay_h)
        hours[ok] += share[ok] * (haul_h[ok] + wait_h)
        delay[ok] += share[ok] * delay_h
    composite = -logsum(utilities) / spec.scale if utilities else np.full(n, np.nan)
    return ContainerCosts(np.where(total > 0, composite, np.nan), paid, hours, delay)


def air_access_min(choice: GatewayChoice, spec: GatewaySpec, sk: Skims) -> np.ndarray:
    """Per origin, its air passengers' mean time by road to their chosen airports (minutes; nan where none fly)."""
    n = choice.flows.shape[0]
    total = choice.flows.sum(axis=1)
    out = np.zeros(n)
    for pos, g in enumerate(spec.gateways):
        share = np.divide(choice.flows[:, pos], total, out=np.zeros(n), where=total > 0)
        ok = share > 0
        out[ok] += share[ok] * sk.car_s[ok, g] / 60
    return np.where(total > 0, out, np.nan)


def air_delay_min(choice: GatewayChoice) -> np.ndarray:
    """Per origin, its passengers' mean processing delay at their chosen airports (minutes)."""
    total = choice.flows.sum(axis=1)
    delay = (choice.flows * np.asarray(choice.delay_h)[None, :]).sum(axis=1) * 60
    return np.divide(delay, total, out=np.zeros_like(total), where=total > 0)


def link_table(links: pd.DataFrame, result: AssignmentResult, settings: Settings) -> pd.DataFrame:
    """The road links with the peak hour's flows (PCU, cars, trucks), the day's vehicles, and congested times.

    A day's cars are the peak hour's over its share of the day; a day's
    trucks likewise, with the trucks' own peak share.
    """
    n_links = len(links)
    out = links.copy()
    out["flow_pcu_h"] = result.flow[:n_links]
    out["cars_pcu_h"] = result.flows_by_class["car"][:n_links]
    out["trucks_h"] = result.flows_by_class["truck"][:n_links]
    out["cars_pcu_day"] = out["cars_pcu_h"] / settings.demand.peak_hour_share
    out["trucks_day"] = out["trucks_h"] / max(settings.freight.truck_peak_share, 1e-9)
    d = settings.demand
    out["vehicles_day"] = out["cars_pcu_day"] * d.vehicles_per_road_trip / d.pcu_per_road_trip + out["trucks_day"]
    out["volume_capacity"] = out["flow_pcu_h"] / out["capacity_pcu_h"]
    congested_time = result.time[:n_links]
    out["congested_time_s"] = congested_time
    out["congested_speed_kph"] = out["length_m"] / np.maximum(congested_time, 1e-9) * 3.6
    return out


def zone_table(
    info: Sequence[Mapping[str, Any]],
    *,
    population: np.ndarray,
    jobs: np.ndarray,
    teu: np.ndarray,
    containers: ContainerCosts,
    accessibility: np.ndarray,
    air_min: np.ndarray,
    settings: Settings,
) -> pd.DataFrame:
    """Per zone (indexed by ``place_id``): its people and jobs, containers and their costs, accessibility and
    time to its airports; the other arguments are per place, ``info`` their network attributes."""
    php_per_usd = settings.php_per_usd
    zones = pd.DataFrame(index=pd.Index([str(d.get("place_id")) for d in info], name="place_id"))
    zones["kind"] = [str(d.get("kind")) for d in info]
    zones["name"] = [d.get("name") for d in info]
    zones["population"] = population
    zones["jobs"] = jobs
    zones["teu_per_year"] = teu
    zones["freight_cost_usd_per_teu"] = containers.cost_php / php_per_usd
    zones["haulage_usd_per_teu"] = containers.paid_php / php_per_usd
    zones["door_to_ship_h"] = containers.hours
    zones["port_delay_h"] = containers.delay_h
    zones["accessibility"] = accessibility
    zones["air_access_min"] = air_min
    return zones[zones["kind"] == "zone"].drop(columns=["kind"])


#: the keys of a run's headlines, in their order (:data:`MODEL_LABELS` and the rail boardings)
HEADLINES = (
    "freight_cost_usd_per_teu",
    "haulage_usd_per_teu",
    "door_to_ship_h",
    "port_delay_h",
    "air_access_min",
    "air_delay_min",
    "truck_km_per_day",
    "car_km_per_day",
    "vehicle_hours_per_day",
    "truck_hours_per_day",
    "generalized_cost_php_per_trip",
    "accessibility",
    "rail_trips_per_day",
    "rail_boardings_per_day",
    "rail_freight_share",
    "congested_km",
)


def _freight_headlines(
    teu: np.ndarray, containers: ContainerCosts, spec: GatewaySpec, choice: GatewayChoice, php_per_usd: float
) -> dict[str, float]:
    """The containers' mean costs and hours, weighted by each place's containers, and the share by rail."""
    total = teu.sum()
    by_rail = sum(choice.flows[:, alt].sum() for alt, (_, rail) in enumerate(spec.alternatives) if rail)
    teu_all = choice.flows.sum()
    return {
        "freight_cost_usd_per_teu": float(np.nansum(containers.cost_php * teu) / total) / php_per_usd
        if total
        else math.nan,
        "haulage_usd_per_teu": float(np.nansum(containers.paid_php * teu) / total) / php_per_usd if total else math.nan,
        "door_to_ship_h": float((containers.hours * teu).sum() / total) if total else math.nan,
        "port_delay_h": float((containers.delay_h * teu).sum() / total) if total else math.nan,
        "rail_freight_share": float(by_rail / teu_all) if teu_all else 0.0,
    }


def _air_headlines(air: np.ndarray, air_min: np.ndarray, choice: GatewayChoice) -> dict[str, float]:
    """The air passengers' mean time to their airports and delay at them (minutes)."""
    return {
        "air_access_min": float(np.nansum(air_min * air) / air.sum()) if air.sum() else math.nan,
        "air_delay_min": float((choice.flows.sum(axis=0) * choice.delay_h).sum() / max(air.sum(), 1e-9) * 60)
        if len(choice.volumes)
        else math.nan,
    }


def _road_headlines(links: pd.DataFrame) -> dict[str, float]:
    """A day's vehicle-km and vehicle hours on the roads, and the road km congested in the peak hour."""
    link_km = links["length_m"].to_numpy() / 1000
    congested_time = links["congested_time_s"].to_numpy()
    return {
        "truck_km_per_day": float((links["trucks_day"] * link_km).sum()),
        "car_km_per_day": float((links["cars_pcu_day"] * link_km).sum()),
        "vehicle_hours_per_day": float((links["vehicles_day"] * congested_time / 3600).sum()),
        "truck_hours_per_day": float((links["trucks_day"] * congested_time / 3600).sum()),
        "congested_km": float(link_km[(links["volume_capacity"] > 0.85) & ~links["reversed"]].sum()),
    }


def _person_headlines(
    persons: PersonTrips, zones: pd.DataFrame, rail_trips: np.ndarray, settings: Settings
) -> dict[str, float]:
    """The person trips' mean generalized cost, the zones' accessibility by population, and rail's trips."""
    trips = persons.trips
    gc = persons.gc_php[np.ix_(persons.origins, persons.dests)]
    population = zones["population"].to_numpy()
    return {
        "generalized_cost_php_per_trip": float((trips * gc).sum() / trips.sum()) if trips.sum() else math.nan,
        "accessibility": float(np.nansum(zones["accessibility"] * population) / population.sum()),
        "rail_trips_per_day": float(rail_trips.sum()),
        "rail_boardings_per_day": float(rail_trips.sum() * settings.demand.rail_boardings_per_trip),
    }


def headlines(
    links: pd.DataFrame,
    zones: pd.DataFrame,
    persons: PersonTrips,
    rail_trips: np.ndarray,
    *,
    teu: np.ndarray,
    containers: ContainerCosts,
    ports: tuple[GatewaySpec, GatewayChoice],
    air: np.ndarray,
    air_min: np.ndarray,
    airports: GatewayChoice,
    settings: Settings,
) -> dict[str, float]:
    """A run's headline numbers (:data:`HEADLINES`; labelled in :data:`MODEL_LABELS`).

    ``links`` and ``zones`` are the run's tables (:func:`link_table`,
    :func:`zone_table`); ``teu`` and ``air`` each place's containers and air
    passengers a year.
    """
    found = {
        **_freight_headlines(teu, containers, *ports, settings.php_per_usd),
        **_air_headlines(air, air_min, airports),
        **_road_headlines(links),
        **_person_headlines(persons, zones, rail_trips, settings),
    }
    return {key: found[key] for key in HEADLINES}


# ------------------------------------------------------------------ runs compared and shown


def model_gains(base: ModelRun, scenario: ModelRun) -> dict[str, float]:
    """Scenario minus base for each of the model's headline numbers."""
    return {k: scenario.summary.get(k, math.nan) - base.summary.get(k, math.nan) for k in MODEL_LABELS}


def link_volumes(run: ModelRun) -> pd.DataFrame:
    """Daily vehicles by class on every road link: both directions of a two-way link summed under its id.

    Columns: ``link_id``, ``name``, ``link_class``, ``from`` and ``to`` (the
    link's junctions, in its drawn direction), ``length_km``, ``cars_day``
    (cars, jeepneys and buses, in PCU), ``cars_veh_day`` (the same as
    vehicles), ``trucks_day`` (container trucks), ``vehicles_day``
    (``cars_veh_day + trucks_day``), ``volume_veh_day`` (the same, for the maps),
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
                "cars_veh_day",
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
    out.insert(list(out.columns).index("trucks_day"), "cars_veh_day", out["vehicles_day"] - out["trucks_day"])
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

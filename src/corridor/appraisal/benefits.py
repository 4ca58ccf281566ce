"""A year's benefits of a scenario over its base run, by the rule of a half, for each class of traveller."""

from __future__ import annotations

import numpy as np

from corridor.model.results import ModelRun
from corridor.settings import Settings

__all__ = [
    "BENEFIT_CLASSES",
    "COMPONENTS",
    "GROWS_WITH_VALUE_OF_TIME",
    "annual_benefits",
]


#: the classes whose benefits add up, with what each counts
BENEFIT_CLASSES: dict[str, str] = {
    "persons": "person trips: generalized cost of road and rail (time, fares, car operating costs, tolls)",
    "containers": "containers: haul, handling, dwell and delay at the port (logsum over ports and modes)",
    "air_passengers": "air passengers: time to the chosen airport and delay there",
}


#: parts of the benefits above, shown for explanation and not added again
COMPONENTS: dict[str, str] = {
    "vehicle_operating_cost": "of which vehicle operating costs saved (cars by the km, container trucks' haul)",
    "gateway_delay": "of which delay at ports and airports saved",
}


#: benefit classes that grow with the value of time
GROWS_WITH_VALUE_OF_TIME = ("persons", "air_passengers")


def _aligned(base: ModelRun, scenario: ModelRun) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the places the two runs share, in each run."""
    where = {p: i for i, p in enumerate(scenario.places)}
    shared = [(i, where[p]) for i, p in enumerate(base.places) if p in where]
    return np.array([a for a, _ in shared], dtype=int), np.array([b for _, b in shared], dtype=int)


def _half_rule(v0: np.ndarray, v1: np.ndarray, c0: np.ndarray, c1: np.ndarray) -> float:
    """``1/2 sum (V0 + V1) (C0 - C1)`` over the entries where all four are finite."""
    ok = np.isfinite(c0) & np.isfinite(c1) & np.isfinite(v0) & np.isfinite(v1)
    return float(0.5 * ((v0 + v1) * (c0 - c1))[ok].sum())


def annual_benefits(base: ModelRun, scenario: ModelRun, settings: Settings) -> dict[str, float]:
    """A year's benefits of a scenario over its base run, in USD at the price year (see the module's notes).

    Returns the classes of :data:`BENEFIT_CLASSES`, their sum ``total`` and
    the components of :data:`COMPONENTS`.
    """
    a, d, f, air = settings.appraisal, settings.demand, settings.freight, settings.air
    usd = 1 / settings.php_per_usd
    i0, i1 = _aligned(base, scenario)
    m0, m1 = base.matrices, scenario.matrices
    persons = _half_rule(
        m0["person_trips"][np.ix_(i0, i0)],
        m1["person_trips"][np.ix_(i1, i1)],
        m0["gc_person_php"][np.ix_(i0, i0)],
        m1["gc_person_php"][np.ix_(i1, i1)],
    )
    containers = _half_rule(
        m0["teu_per_year"][i0], m1["teu_per_year"][i1], m0["teu_cost_php"][i0], m1["teu_cost_php"][i1]
    )
    air_min = _half_rule(
        m0["air_pax_per_year"][i0], m1["air_pax_per_year"][i1], m0["air_time_min"][i0], m1["air_time_min"][i1]
    )
    out = {
        "persons": persons * a.days_per_year * usd,
        "containers": containers * usd,
        "air_passengers": air_min / 60 * air.value_of_time_php_per_h * usd,
    }
    out["total"] = sum(out[k] for k in BENEFIT_CLASSES)
    php_per_truck_km = f.road_usd_per_tkm * f.payload_t_per_teu * f.teu_per_truck * settings.php_per_usd
    s0, s1 = base.summary, scenario.summary
    out["vehicle_operating_cost"] = (
        (s0["car_km_per_day"] - s1["car_km_per_day"]) * d.car_cost_php_per_km * a.days_per_year
        + (s0["truck_km_per_day"] - s1["truck_km_per_day"]) * php_per_truck_km * 365
    ) * usd
    g0, g1 = base.gateways, scenario.gateways
    delay = 0.0
    for gid in g0.index.intersection(g1.index):
        v0, v1 = float(g0.loc[gid, "volume"]), float(g1.loc[gid, "volume"])
        saved_h = float(g0.loc[gid, "delay_h"]) - float(g1.loc[gid, "delay_h"])
        value = f.cargo_vot_php_per_teu_h if g0.loc[gid, "type"] == "seaport" else air.value_of_time_php_per_h
        delay += 0.5 * (v0 + v1) * saved_h * value
    out["gateway_delay"] = delay * usd
    return out

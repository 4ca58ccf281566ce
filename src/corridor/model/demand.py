"""Demand: trips between places, and choices between alternatives.

Functions on arrays; :mod:`corridor.model.loop` feeds them the network's
skims and the region's people and jobs, and the settings' parameters, each
with its source or the word assumption (:func:`corridor.settings.parameters`).

- :func:`gravity`: a doubly constrained gravity model (Furness balancing)
  with a deterministic cost function ``exp(-beta * cost)``;
  :func:`fit_beta` fits ``beta`` to a target mean of the trips' cost, or
  of any other measure such as their length (Hyman's method, by bisection on
  the monotone mean);
- :func:`logit` and :func:`logsum`: multinomial logit shares and the
  expected maximum utility, stable for large utilities and unavailable
  alternatives (``-inf``);
- :func:`calibrate_constants`: alternative-specific constants that make a
  logit model reproduce observed totals;
- :func:`person_trips`: person trips by the gravity model on the composite
  cost of road and rail (:func:`person_costs`, :func:`composite_cost`), its
  decay fitted to the mean trip length and the rail constant to the
  published rail boardings.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from corridor.errors import ModelError
from corridor.settings import Settings

__all__ = [
    "PersonCosts",
    "PersonTrips",
    "calibrate_constants",
    "composite_cost",
    "fit_beta",
    "gravity",
    "logit",
    "logsum",
    "person_costs",
    "person_trips",
]


def gravity(
    productions: np.ndarray,
    attractions: np.ndarray,
    cost: np.ndarray,
    *,
    beta: float,
    max_iter: int = 200,
    tol: float = 1e-9,
) -> np.ndarray:
    """Trips between origins and destinations, matching both productions and attractions.

    ``T_ij = a_i P_i b_j A_j exp(-beta c_ij)``, with the balancing factors
    found by alternately scaling rows and columns (Furness). Unreachable
    pairs (``cost`` inf) get no trips. Attractions are scaled to the total
    of the productions.

    Parameters
    ----------
    productions, attractions
        Trips leaving each origin and weights of each destination (>= 0).
    cost
        Origins x destinations, in the unit ``beta`` is per (minutes, or PHP).
    beta
        Decay of the cost function (> 0).

    Returns
    -------
    numpy.ndarray
        Origins x destinations trips; row sums equal ``productions`` for
        every origin that can reach a destination with weight.
    """
    P = np.asarray(productions, dtype=float)
    A = np.asarray(attractions, dtype=float)
    if P.sum() <= 0 or A.sum() <= 0:
        return np.zeros((len(P), len(A)))
    A = A * (P.sum() / A.sum())
    with np.errstate(over="ignore"):
        f = np.where(np.isfinite(cost), np.exp(-beta * np.where(np.isfinite(cost), cost, 0.0)), 0.0)
    T = P[:, None] * f * A[None, :]
    for _ in range(max_iter):
        rows = T.sum(axis=1)
        T *= np.divide(P, rows, out=np.ones_like(P), where=rows > 0)[:, None]
        cols = T.sum(axis=0)
        factor = np.divide(A, cols, out=np.ones_like(A), where=cols > 0)
        T *= factor[None, :]
        if np.abs(factor - 1.0)[cols > 0].max(initial=0.0) < tol:
            break
    return T


def fit_beta(
    productions: np.ndarray,
    attractions: np.ndarray,
    cost: np.ndarray,
    target_mean: float,
    *,
    measure: np.ndarray | None = None,
    mask: np.ndarray | None = None,
    bounds: tuple[float, float] = (1e-5, 5.0),
    target: str = "the target mean trip cost",
    field: str | None = None,
    unit: str = "",
) -> float:
    """The decay ``beta`` whose gravity trips have a mean ``measure`` of ``target_mean`` (over ``mask`` pairs).

    The mean falls as ``beta`` rises, so bisection on a log scale finds the
    fit, to a relative width of 1e-6.

    Parameters
    ----------
    productions, attractions, cost
        As :func:`gravity` takes them.
    target_mean
        The mean to reach, in the unit of ``measure``.
    measure
        Origins x destinations: what is averaged over the trips (the trip
        length, say); ``cost`` when None.
    mask
        The pairs whose trips count (all with a finite ``measure`` when None).
    bounds
        The lowest and highest decay tried.
    target, field, unit
        How the error names the target (``"the target mean trip cost"``), the
        setting it comes from and the unit of the reachable range.

    Raises
    ------
    ModelError
        When no ``beta`` within ``bounds`` reaches the target (it lies below
        the shortest or above the mean of all trips).
    """
    values = cost if measure is None else measure
    mask = np.isfinite(values) if mask is None else (mask & np.isfinite(values))

    def mean_of(beta: float) -> float:
        T = gravity(productions, attractions, cost, beta=beta)
        trips = T[mask].sum()
        return float((T[mask] * values[mask]).sum() / trips) if trips > 0 else math.nan

    lo, hi = bounds
    m_lo, m_hi = mean_of(lo), mean_of(hi)
    if not (m_hi <= target_mean <= m_lo):
        raise ModelError(
            f"the gravity model cannot reach {target}",
            field=field,
            value=target_mean,
            allowed=f"between {m_hi:.1f} and {m_lo:.1f}{unit}",
        )
    for _ in range(60):
        mid = math.sqrt(lo * hi)
        if mean_of(mid) > target_mean:
            lo = mid
        else:
            hi = mid
        if hi / lo < 1 + 1e-6:
            break
    return math.sqrt(lo * hi)


def logit(utilities: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Multinomial logit shares of each alternative (utilities ``-inf`` where unavailable).

    Where no alternative is available, every share is 0.
    """
    stack = np.stack([np.asarray(u, dtype=float) for u in utilities])
    top = np.max(stack, axis=0)
    finite = np.isfinite(top)
    shifted = np.where(finite[None], stack - np.where(finite, top, 0.0)[None], -np.inf)
    e = np.exp(shifted)
    total = e.sum(axis=0)
    shares = np.divide(e, total[None], out=np.zeros_like(e), where=total[None] > 0)
    return list(shares)


def logsum(utilities: Sequence[np.ndarray]) -> np.ndarray:
    """The expected maximum utility ``log(sum(exp(u)))`` (``-inf`` where nothing is available)."""
    stack = np.stack([np.asarray(u, dtype=float) for u in utilities])
    top = np.max(stack, axis=0)
    finite = np.isfinite(top)
    safe_top = np.where(finite, top, 0.0)
    with np.errstate(divide="ignore"):
        return np.where(finite, safe_top + np.log(np.exp(stack - safe_top[None]).sum(axis=0)), -np.inf)


def calibrate_constants(
    totals: Callable[[np.ndarray], np.ndarray],
    observed: np.ndarray,
    *,
    iterations: int = 60,
    tol: float = 1e-4,
) -> np.ndarray:
    """Constants ``c`` for which the model's totals match ``observed`` (``c += log(observed / modelled)``).

    Parameters
    ----------
    totals
        The model: constants -> modelled totals per alternative.
    observed
        The published totals (> 0) per alternative.

    Returns
    -------
    numpy.ndarray
        The constants, the first alternative's held at 0 when it has no
        observation to match (nan), otherwise all free.
    """
    observed = np.asarray(observed, dtype=float)
    known = np.isfinite(observed) & (observed > 0)
    c = np.zeros(len(observed))
    for _ in range(iterations):
        modelled = totals(c)
        ratio = np.divide(observed, modelled, out=np.ones_like(observed), where=known & (modelled > 0))
        c[known] += np.log(ratio[known])
        if np.abs(ratio[known] - 1).max(initial=0.0) < tol:
            break
    return c


# ------------------------------------------------------------------ person trips


@dataclass(frozen=True)
class PersonCosts:
    """Centroid x centroid generalized costs of a person trip (PHP), by road and by rail.

    Attributes
    ----------
    car_min
        A car's time (minutes), the intrazonal time on the diagonal.
    km
        The road distance (km).
    gc_road
        By road: a blend of car and road public transport (jeepneys and
        buses), with its fare, running cost, toll and wait, and time at the
        blended value of time.
    gc_rail
        By public transport that uses rail: its time at the public transport
        value of time and the rail fare (``inf`` where none serves, and
        within a zone).
    """

    car_min: np.ndarray
    km: np.ndarray
    gc_road: np.ndarray
    gc_rail: np.ndarray


def person_costs(
    car_s: np.ndarray,
    car_km: np.ndarray,
    car_toll_php: np.ndarray,
    rail_s: np.ndarray,
    intrazonal_s: np.ndarray,
    settings: Settings,
) -> PersonCosts:
    """The generalized costs of a person trip by road and by rail, from the skims (seconds, km, PHP)."""
    d = settings.demand
    vot = settings.road_value_of_time_php_per_h
    car_min = car_s / 60
    np.fill_diagonal(car_min, intrazonal_s / 60)
    km = car_km
    pt_fare = d.pt_fare_base_php + d.pt_fare_php_per_km * np.maximum(km - 4, 0)
    road_money = d.road_pt_share * pt_fare + (1 - d.road_pt_share) * (d.car_cost_php_per_km * km + car_toll_php)
    gc_road = car_min / 60 * vot + road_money + d.road_pt_share * settings.pt_wait_min / 60 * vot
    rail_min = rail_s / 60
    gc_rail = rail_min / 60 * d.value_of_time_pt_php_per_h + d.rail_fare_base_php + d.rail_fare_php_per_km * km
    np.fill_diagonal(gc_rail, np.inf)
    return PersonCosts(car_min, km, gc_road, gc_rail)


def composite_cost(costs: PersonCosts, rail_constant: float, theta: float) -> tuple[np.ndarray, np.ndarray]:
    """The composite cost of road and rail (PHP, their logsum) and the share of trips by rail.

    ``theta`` is the mode choice's scale per PHP; ``rail_constant`` the rail
    alternative's constant against road.
    """
    u_road = -theta * costs.gc_road
    u_rail = np.where(np.isfinite(costs.gc_rail), -theta * costs.gc_rail + rail_constant, -np.inf)
    share_rail = logit([u_road, u_rail])[1]
    return -logsum([u_road, u_rail]) / theta, share_rail


@dataclass(frozen=True)
class PersonTrips:
    """Person trips a day between places, and the fit they were made with.

    Attributes
    ----------
    beta_per_php
        The gravity model's decay on the composite cost.
    rail_constant
        The rail alternative's constant against road.
    origins, dests
        The centroid positions trips start from (zones) and go to (zones and
        economic zones).
    trips
        Origins x destinations: trips from home to activity.
    gc_php
        Centroid x centroid: the composite cost of road and rail (PHP).
    rail_share
        Centroid x centroid: the share of trips by rail.
    """

    beta_per_php: float
    rail_constant: float
    origins: np.ndarray
    dests: np.ndarray
    trips: np.ndarray
    gc_php: np.ndarray
    rail_share: np.ndarray

    def accessibility(self, jobs: np.ndarray) -> np.ndarray:
        """Per centroid, the logsum accessibility to the destinations' jobs: ``log(sum_j jobs_j exp(-beta gc_ij))``."""
        with np.errstate(over="ignore", divide="ignore"):
            reach = np.exp(-self.beta_per_php * self.gc_php[:, self.dests]) * jobs[self.dests][None, :]
            return np.log(reach.sum(axis=1))

    def both_ways(self, n: int) -> np.ndarray:
        """Centroid x centroid trips a day, each trip half there and half its return."""
        out = np.zeros((n, n))
        out[np.ix_(self.origins, self.dests)] += self.trips / 2
        out[np.ix_(self.dests, self.origins)] += self.trips.T / 2
        return out


def _leaving(origins: np.ndarray, dests: np.ndarray) -> np.ndarray:
    """Origins x destinations: true where a trip leaves its zone."""
    leaving = np.ones((len(origins), len(dests)), dtype=bool)
    for r, o in enumerate(origins):
        leaving[r, np.flatnonzero(dests == o)] = False
    return leaving


def _rail_constant(
    costs: PersonCosts,
    origins: np.ndarray,
    dests: np.ndarray,
    productions: np.ndarray,
    attractions: np.ndarray,
    beta: float,
    settings: Settings,
    rail_boardings: float,
) -> float:
    """The rail constant whose trips, at decay ``beta``, board the railways ``rail_boardings`` times a day."""
    d = settings.demand
    rows, cols = np.ix_(origins, dests)

    def boardings(c: np.ndarray) -> np.ndarray:
        gc, share = composite_cost(costs, float(c[0]), d.mode_choice_scale_per_php)
        trips = gravity(productions, attractions, gc[rows, cols], beta=beta)
        return np.array([(trips * share[rows, cols]).sum() * d.rail_boardings_per_trip])

    return float(calibrate_constants(boardings, np.array([rail_boardings]))[0])


def _fit_person_demand(
    costs: PersonCosts,
    origins: np.ndarray,
    dests: np.ndarray,
    productions: np.ndarray,
    attractions: np.ndarray,
    settings: Settings,
    *,
    beta: float | None,
    rail_boardings: float,
) -> tuple[float, float]:
    """The decay (unless given) and the rail constant: the decay to the settings' mean length of trips that
    leave their zone, the constant to the published rail boardings (0 without them).

    The two depend on each other a little: with neither known, they are
    fitted in turn three times.
    """
    d = settings.demand
    rows, cols = np.ix_(origins, dests)
    leaving = _leaving(origins, dests)
    rail_constant = 0.0
    fitted = math.nan if beta is None else beta
    for _ in range(3 if beta is None else 1):
        if beta is None:
            gc, _ = composite_cost(costs, rail_constant, d.mode_choice_scale_per_php)
            fitted = fit_beta(
                productions,
                attractions,
                gc[rows, cols],
                d.mean_trip_km,
                measure=costs.km[rows, cols],
                mask=leaving,
                bounds=(1e-6, 1.0),
                target="the mean trip length of the settings",
                field="demand.mean_trip_km",
                unit=" km on this network",
            )
        if math.isfinite(rail_boardings):
            rail_constant = _rail_constant(
                costs, origins, dests, productions, attractions, fitted, settings, rail_boardings
            )
    return fitted, rail_constant


def person_trips(
    costs: PersonCosts,
    origins: np.ndarray,
    dests: np.ndarray,
    productions: np.ndarray,
    attractions: np.ndarray,
    settings: Settings,
    *,
    fit: tuple[float, float] | None,
    rail_boardings: float,
    say: Callable[[str], None],
) -> PersonTrips:
    """Person trips: the gravity model on the composite cost of road and rail, and the rail share.

    ``fit`` holds the decay and the rail constant when they are known (a
    rail constant of nan: to be fitted again with this decay); otherwise
    both are fitted here: the decay to the mean length of trips that leave
    their zone, the constant to the published rail boardings (nan: none).
    """
    if fit is not None and math.isfinite(fit[1]):
        beta, rail_constant = fit
    else:
        say("fitting the gravity model and the rail constant")
        beta, rail_constant = _fit_person_demand(
            costs,
            origins,
            dests,
            productions,
            attractions,
            settings,
            beta=None if fit is None else fit[0],
            rail_boardings=rail_boardings,
        )
    gc, share = composite_cost(costs, rail_constant, settings.demand.mode_choice_scale_per_php)
    trips = gravity(productions, attractions, gc[np.ix_(origins, dests)], beta=beta)
    return PersonTrips(beta, rail_constant, origins, dests, trips, gc, share)

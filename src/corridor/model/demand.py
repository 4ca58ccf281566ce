"""Demand: trips between zones, the choice between road and rail, containers and air passengers.

Pure functions on arrays; :mod:`corridor.model.loop` feeds them the network's
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
  logit model reproduce observed totals.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from corridor.errors import ModelError

__all__ = ["calibrate_constants", "fit_beta", "gravity", "logit", "logsum"]


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

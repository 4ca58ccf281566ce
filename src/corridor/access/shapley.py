"""Each project's Shapley value: its share of a portfolio's gain, fairly split over every order of building.

Exact up to :data:`SHAPLEY_EXACT_MAX` projects (every coalition scored
whole, interactions included); above, sampled from seeded random build
orders, with each value's standard error."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from corridor.access.metrics import (
    HEADLINES,
    Headline,
    gains,
)
from corridor.access.scorer import PortfolioScorer, SummaryMap
from corridor.inputs.projects import Portfolio, requirement_masks
from corridor.parallel import progress_bar

__all__ = [
    "SHAPLEY_EXACT_MAX",
    "SHAPLEY_PERMUTATIONS",
    "ShapleyResult",
    "shapley",
]


#: up to this many projects, Shapley values are exact: every coalition is scored
SHAPLEY_EXACT_MAX = 15


#: above that, this many random build orders are sampled
SHAPLEY_PERMUTATIONS = 200
#: a sweep of fewer tasks than this shows no progress bar unless asked
PROGRESS_MIN_TASKS = 21


@dataclass
class ShapleyResult:
    """Each project's Shapley value: its share of the portfolio's gain, fairly split.

    A project's Shapley value is its marginal contribution averaged over
    every order in which the portfolio's projects could be built; the values
    add up to the whole portfolio's gain (efficiency), two projects that do
    the same get the same (symmetry), and a project that changes nothing
    gets zero (null player). A project counts only once what it requires is
    built: in an order that builds it first, it adds its value when its
    requirement arrives.

    Attributes
    ----------
    values
        Project x headline column (see :data:`corridor.access.metrics.HEADLINES`):
        the project's share of each change, in the column's unit (NaN for a
        headline that some set of the projects makes infinite, such as a
        mean time when a place is cut off).
    std_error
        The same shape: the standard error of each sampled value (zeros when
        exact).
    method
        ``exact`` (every coalition scored) or ``sampled`` (random build
        orders).
    permutations
        How many orders were sampled (None when exact).
    coalitions
        How many distinct sets of projects were scored.
    """

    values: pd.DataFrame
    std_error: pd.DataFrame
    method: Literal["exact", "sampled"]
    permutations: int | None
    coalitions: int
    seed: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: method, permutations, and per project its value and standard error per column."""
        rows = []
        for pid in self.values.index:
            rows.append(
                {
                    "project": pid,
                    **{c: _finite(self.values.at[pid, c]) for c in self.values.columns},
                    "std_error": {c: _finite(self.std_error.at[pid, c]) for c in self.std_error.columns},
                }
            )
        return {
            "method": self.method,
            "permutations": self.permutations,
            "seed": self.seed,
            "coalitions": self.coalitions,
            "values": rows,
        }


def _finite(x: Any) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _in_process(scorer: PortfolioScorer, progress: bool | None) -> SummaryMap:
    def run(portfolios: Sequence[Portfolio]) -> list[dict[str, float]]:
        out = []
        with progress_bar(
            len(portfolios), "Shapley coalitions", enabled=progress, min_total=PROGRESS_MIN_TASKS
        ) as advance:
            for done, p in enumerate(portfolios, 1):
                out.append(scorer.summary(p))
                advance(done)
        return out

    return run


def shapley(
    scorer: PortfolioScorer,
    portfolio: Portfolio,
    *,
    exact_max: int = SHAPLEY_EXACT_MAX,
    permutations: int = SHAPLEY_PERMUTATIONS,
    seed: int = 0,
    summaries: SummaryMap | None = None,
    progress: bool | None = None,
) -> ShapleyResult:
    """Each project's Shapley value on every headline: exact up to ``exact_max`` projects, sampled above.

    The value of a set of the portfolio's projects is the gain of building
    those of them whose requirements are in the set (scored whole by the
    scorer, interactions included). Up to ``exact_max`` projects, every
    set is scored and the values are exact. Above, ``permutations`` random
    build orders (seeded) are scored along; each value is the mean of the
    project's marginal contributions and carries its standard error (their
    standard deviation over the square root of the number of orders). Sampled
    or exact, the values of a portfolio add up to its whole gain.

    Parameters
    ----------
    scorer
        The base network's scorer.
    portfolio
        The projects to share the gain among.
    exact_max
        The most projects for exact values.
    permutations
        Orders sampled above ``exact_max``.
    seed
        Seed of the sampled orders.
    summaries
        Scores many portfolios at once (in-process when None); results are
        the same whoever scores them.
    progress
        Show a progress bar (None: when stderr is a terminal and there are
        many coalitions).

    Examples
    --------
    >>> from corridor import load_region, build_network, load_catalog, portfolio_from_ids
    >>> region = load_region("luzon")
    >>> scorer = PortfolioScorer(build_network(region), region=region)
    >>> p = portfolio_from_ids(["bauan_terminal", "bcib", "subic_port_expansion"], load_catalog(region.path))
    >>> shares = shapley(scorer, p)
    >>> float(shares.values.loc["subic_port_expansion", "d_to_seaport_min"])
    0.0
    """
    summaries = summaries or _in_process(scorer, progress)
    columns = [h for h in HEADLINES if h.key is not None]
    if len(portfolio.projects) <= exact_max:
        return _exact(scorer, portfolio, columns, summaries)
    return _sampled(scorer, portfolio, columns, summaries, permutations=permutations, seed=seed)


def _coalition_values(
    scorer: PortfolioScorer,
    portfolio: Portfolio,
    masks: Iterable[int],
    columns: list[Headline],
    summaries: SummaryMap,
) -> tuple[dict[int, np.ndarray], int]:
    """Each set's headline changes, and how many distinct sets were scored.

    A set (a bit mask of the portfolio's projects) builds those of its
    projects whose requirements are in it; sets that build the same are
    scored once, and a set that builds nothing changes nothing.
    """
    projects = list(portfolio.projects)
    needs = requirement_masks(projects)
    reduced = {m: sum(1 << i for i in range(len(projects)) if m >> i & 1 and needs[i] & ~m == 0) for m in masks}
    unique = sorted(set(reduced.values()) - {0})
    chosen = [
        Portfolio(name=f"{portfolio.name} coalition", projects=tuple(q for i, q in enumerate(projects) if m >> i & 1))
        for m in unique
    ]
    scored = dict(zip(unique, summaries(chosen), strict=True))
    out = {}
    for m, r in reduced.items():
        if r == 0:
            out[m] = np.zeros(len(columns))
        else:
            change = gains(scorer.base.summary, scored[r])
            out[m] = np.array([change[h.gain] * h.scale for h in columns])
    return out, len(unique)


def _exact(
    scorer: PortfolioScorer, portfolio: Portfolio, columns: list[Headline], summaries: SummaryMap
) -> ShapleyResult:
    """Exact Shapley values: every set of the projects scored, each project's contributions weighed by set size."""
    n = len(portfolio.projects)
    masks = np.arange(1 << n)
    v, scored = _coalition_values(scorer, portfolio, range(1 << n), columns, summaries)
    V = np.array([v[m] for m in range(1 << n)])
    size = np.array([bin(m).count("1") for m in range(1 << n)])
    weight = np.array([math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n) for k in range(n)])
    phi = np.zeros((n, len(columns)))
    with np.errstate(invalid="ignore"):  # a headline infinite for some set (a place cut off) has no value
        for i in range(n):
            without = masks[(masks >> i) & 1 == 0]
            phi[i] = (weight[size[without]][:, None] * (V[without | 1 << i] - V[without])).sum(axis=0)
    names = [h.column for h in columns]
    values = pd.DataFrame(phi, index=_project_index(portfolio), columns=names)
    std = pd.DataFrame(0.0, index=values.index, columns=names)
    return ShapleyResult(values, std, "exact", None, scored, None)


def _sampled(
    scorer: PortfolioScorer,
    portfolio: Portfolio,
    columns: list[Headline],
    summaries: SummaryMap,
    *,
    permutations: int,
    seed: int,
) -> ShapleyResult:
    """Sampled Shapley values: the mean of each project's contributions along seeded random build orders."""
    n = len(portfolio.projects)
    rng = np.random.default_rng(seed)
    orders = [rng.permutation(n) for _ in range(permutations)]
    chains = [[sum(1 << int(j) for j in order[:k]) for k in range(n + 1)] for order in orders]
    v, scored = _coalition_values(scorer, portfolio, {m for chain in chains for m in chain}, columns, summaries)
    marginal = np.zeros((permutations, n, len(columns)))
    with np.errstate(invalid="ignore"):  # a headline infinite for some set (a place cut off) has no value
        for t, (order, chain) in enumerate(zip(orders, chains, strict=True)):
            for k, j in enumerate(order):
                marginal[t, j] = v[chain[k + 1]] - v[chain[k]]
        phi = marginal.mean(axis=0)
        se = marginal.std(axis=0, ddof=1) / math.sqrt(permutations) if permutations > 1 else np.full_like(phi, math.nan)
    index = _project_index(portfolio)
    names = [h.column for h in columns]
    return ShapleyResult(
        pd.DataFrame(phi, index=index, columns=names),
        pd.DataFrame(se, index=index, columns=names),
        "sampled",
        permutations,
        scored,
        seed,
    )


def _project_index(portfolio: Portfolio) -> pd.Index:
    """The rows of the Shapley tables: the portfolio's project ids."""
    return pd.Index([p.id for p in portfolio.projects], name="project")

"""What the optimiser maximises or minimises: small :class:`Objective` objects.

Each says what it reads from a portfolio's summary, which way is better,
whether a project keeps it *monotone* (adding the project never makes it
worse, which the optimiser's proven bounds rely on) and whether it is net of
cost. ``market_access`` and ``time_to_port`` read the scorer's summary;
``npv`` adds up each project's own appraisal (the transport model, as
``corridor appraise``: :mod:`corridor.appraisal.own_worth`) and the optimiser
appraises its answer whole; ``npv_screening`` and ``freight_cost`` read the
appraisal's fast screening (:class:`corridor.appraisal.screening.Screening`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from corridor.access.metrics import ZONE_SUMMARY_KEYS
from corridor.access.scorer import PortfolioScorer
from corridor.checks import closest_hint
from corridor.errors import OptimisationError
from corridor.inputs.projects import Portfolio, Project
from corridor.network.changes import Effect

__all__ = [
    "DEFAULT_OBJECTIVE",
    "FREIGHT_COST",
    "MARKET_ACCESS",
    "NPV",
    "NPV_SCREENING",
    "OBJECTIVES",
    "Objective",
    "POPULATION_ATTRS",
    "TIME_TO_PORT",
    "VALUE_REL_TOL",
    "get_objective",
    "own_worth_summary",
    "screening_cost",
    "screening_summary",
]


#: values within this fraction of the base value are the same value (sums of the same times, differently ordered)
VALUE_REL_TOL = 1e-9


#: node attributes that weigh zones by their population
POPULATION_ATTRS = frozenset({"population_2020", "population_added"})


@dataclass(frozen=True)
class Objective:
    """What the optimiser maximises or minimises.

    Attributes
    ----------
    name
        The name on the command line and in results.
    key
        The summary key it reads (see :data:`corridor.access.metrics.SUMMARY_LABELS`);
        for an objective net of cost, the benefit in USD.
    label, unit
        For tables.
    sense
        +1 when more is better, -1 when less is.
    reads
        The node attributes its value depends on besides travel times.
    improving
        Those of ``reads`` that only improve it when a project adds to them
        (jobs, for market access).
    net_of_cost
        The value is ``summary[key] - cost_usd`` (benefits net of costs).
    needs
        Why the search cannot use it yet, as the end of a sentence that
        begins with its name (None: it can).
    evaluate
        A module-level function ``(scorer, portfolio) -> summary`` that gives
        the summary this objective reads; the scorer's
        :meth:`~corridor.access.scorer.PortfolioScorer.summary` when None.
    cost_of
        For an objective net of cost, a module-level function ``(scorer,
        project) -> USD`` of the cost it subtracts (the present value of the
        economic costs, for ``npv``); the project's ``cost_usd`` when None.
        Costs must add up over projects (the search's bounds rely on it).
    prepare
        A module-level function ``(scorer, projects, workers, steps) -> None``
        the optimiser calls with the candidates before it scores anything (to
        appraise them on ``workers`` processes, for ``npv``, telling ``steps``
        each step).
    monotone_of
        A module-level function ``(scorer, project) -> bool``: whether adding
        the project never makes the objective worse, in place of reading its
        edits (see :meth:`monotone_for`).
    confirm
        A module-level function ``(scorer, portfolios, workers) -> values``
        that values sets found by the search the full way (the appraisal of
        each set as a whole, for ``npv``): the optimiser confirms its answer
        and the runners-up with it before it answers.
    """

    name: str
    key: str
    label: str
    unit: str
    sense: int
    reads: frozenset[str] = frozenset()
    improving: frozenset[str] = frozenset()
    net_of_cost: bool = False
    needs: str | None = None
    evaluate: Callable[[PortfolioScorer, Portfolio], Mapping[str, float]] | None = None
    cost_of: Callable[[PortfolioScorer, Project], float] | None = None
    prepare: Callable[[PortfolioScorer, Sequence[Project], int, Callable[[str], None] | None], None] | None = None
    monotone_of: Callable[[PortfolioScorer, Project], bool] | None = None
    confirm: Callable[[PortfolioScorer, Sequence[Portfolio], int], list[float]] | None = None

    def raw(self, scorer: PortfolioScorer, portfolio: Portfolio) -> float:
        """The summary number this objective reads, for a portfolio.

        A key of the zones' own times (market access, time to port) is read
        from the best-of-modes matrix alone, without searching the other modes.
        """
        if self.evaluate is not None:
            summary = self.evaluate(scorer, portfolio)
        else:
            summary = scorer.summary(portfolio, zones_only=self.key in ZONE_SUMMARY_KEYS)
        return float(summary[self.key])

    def cost(self, scorer: PortfolioScorer, projects: Iterable[Project]) -> float:
        """The cost this objective subtracts for a set of projects (see ``cost_of``)."""
        if self.cost_of is None:
            return math.fsum(p.cost_usd for p in projects)
        return math.fsum(self.cost_of(scorer, p) for p in projects)

    def value(self, raw: float, cost_usd: float) -> float:
        """The objective's value in its unit, from :meth:`raw` and the portfolio's cost."""
        return raw - cost_usd if self.net_of_cost else raw

    def utility(self, raw: float, cost_usd: float) -> float:
        """The value turned so that more is better (``-inf`` when it cannot be computed)."""
        u = self.sense * self.value(raw, cost_usd)
        return u if u == u else -math.inf

    def is_monotone(self, scorer: PortfolioScorer, project: Project, context: Portfolio) -> bool:
        """Whether adding the project never makes this objective worse (``monotone_of``, else its edits)."""
        if self.monotone_of is not None:
            return self.monotone_of(scorer, project)
        return self.monotone_for(scorer.effect(project, context))

    def monotone_for(self, effect: Effect) -> bool:
        """Whether adding the project never makes this objective worse, whatever else is built.

        True when the project only adds or speeds up links, adds no zone
        (a zone moves the population weights), and changes no node attribute
        this objective reads except by adding to an improving one.
        """
        if not effect.only_improves:
            return False
        if self.reads & POPULATION_ATTRS and any(d.get("kind") == "zone" for _, d in effect.nodes):
            return False
        for op in effect.node_ops:
            if op.attr not in self.reads:
                continue
            if op.attr in self.improving and op.additive and (op.value or 0) >= 0:
                continue
            return False
        return True

    def check_available(self) -> None:
        """Raise when this version cannot compute the objective.

        Raises
        ------
        OptimisationError
            The objective needs a model this version lacks.
        """
        if self.needs is not None:
            raise OptimisationError(
                f"the {self.name} objective {self.needs}",
                field="objective",
                value=self.name,
                allowed=", ".join(o.name for o in OBJECTIVES if o.needs is None),
            )


#: market access to jobs: ``sum_j jobs_j * exp(-ln2 t_ij / half_life)``, the population-weighted mean over zones
MARKET_ACCESS = Objective(
    "market_access",
    "market_access_jobs",
    "market access to jobs (population-weighted mean)",
    "jobs",
    +1,
    reads=frozenset({"population_2020", "population_added", "jobs"}),
    improving=frozenset({"jobs"}),
)


#: the population-weighted mean time from each zone to its nearest seaport
TIME_TO_PORT = Objective(
    "time_to_port",
    "avg_to_seaport_min",
    "mean time to the nearest seaport (population-weighted)",
    "min",
    -1,
    reads=frozenset({"population_2020", "population_added", "gateway_type"}),
)


def screening_summary(scorer: PortfolioScorer, portfolio: Portfolio) -> dict[str, float]:
    """The screening's present value of benefits and freight cost of a portfolio (see :class:`Screening`)."""
    from corridor.appraisal.screening import Screening

    screening = Screening.of(scorer)
    if not portfolio.projects:
        base = scorer.matrices(portfolio)
        return {"benefits_pv_usd": 0.0, "freight_cost_usd_per_teu": screening.freight_cost_usd_per_teu(base)}
    base = scorer.matrices(Portfolio(name="base", projects=()))
    after = scorer.matrices(portfolio)
    return {
        "benefits_pv_usd": screening.pv_benefits(screening.annual_benefits(base, after)),
        "freight_cost_usd_per_teu": screening.freight_cost_usd_per_teu(after),
    }


def screening_cost(scorer: PortfolioScorer, project: Project) -> float:
    from corridor.appraisal.screening import Screening

    return Screening.of(scorer).pv_cost(project)


#: gateway edits that can only lower a gateway's cost of passage: more capacity, less handling
_GATEWAY_ATTRS = frozenset({"capacity", "handling_h", "movements_per_h", "pax_per_movement", "capacity_unit"})


def own_worth_summary(scorer: PortfolioScorer, portfolio: Portfolio) -> dict[str, float]:
    """The present value of a portfolio's benefits as the sum of its projects' own appraised shares."""
    from corridor.appraisal.own_worth import kept_worth

    total = math.fsum(kept_worth(scorer, p, portfolio.projects).benefits_pv_usd for p in portfolio.projects)
    return {"benefits_pv_usd": total}


def own_worth_cost(scorer: PortfolioScorer, project: Project) -> float:
    """A project's share of the present value of the economic costs of its own appraisal."""
    from corridor.appraisal.own_worth import kept_worth

    return kept_worth(scorer, project).costs_pv_usd


def own_worth_prepare(
    scorer: PortfolioScorer, projects: Sequence[Project], workers: int, steps: Callable[[str], None] | None
) -> None:
    """Appraise every candidate on its own (with what it requires) before the search, on ``workers`` processes."""
    from corridor.appraisal.own_worth import own_worths

    own_worths(scorer, projects, workers=workers, progress=steps)


def own_worth_monotone(scorer: PortfolioScorer, project: Project) -> bool:
    """Whether a project's own benefits are not negative (adding it never lowers the sum of benefits)."""
    from corridor.appraisal.own_worth import kept_worth

    return kept_worth(scorer, project).benefits_pv_usd >= 0


def own_worth_confirm(scorer: PortfolioScorer, portfolios: Sequence[Portfolio], workers: int) -> list[float]:
    """Each set's NPV from its full appraisal (its projects modelled together)."""
    from corridor.appraisal.own_worth import appraised_npv

    return appraised_npv(scorer, portfolios, workers=workers)


NPV = Objective(
    "npv",
    "benefits_pv_usd",
    "net present value (each project's own appraisal added up; the answer appraised whole)",
    "USD",
    +1,
    net_of_cost=True,
    evaluate=own_worth_summary,
    cost_of=own_worth_cost,
    prepare=own_worth_prepare,
    monotone_of=own_worth_monotone,
    confirm=own_worth_confirm,
)


NPV_SCREENING = Objective(
    "npv_screening",
    "benefits_pv_usd",
    "net present value, fast screening (time savings at the base year's demand; see "
    "corridor.appraisal.screening.Screening)",
    "USD",
    +1,
    reads=frozenset({"capacity", "handling_h", "movements_per_h", "pax_per_movement", "capacity_unit"}),
    net_of_cost=True,
    evaluate=screening_summary,
    cost_of=screening_cost,
)


FREIGHT_COST = Objective(
    "freight_cost",
    "freight_cost_usd_per_teu",
    "containers' mean cost of reaching a port and passing through it (screening, base-year demand)",
    "USD/TEU",
    -1,
    reads=frozenset({"capacity", "handling_h", "capacity_unit"}),
    evaluate=screening_summary,
)


#: every objective this version knows; the first is the default
OBJECTIVES: tuple[Objective, ...] = (MARKET_ACCESS, TIME_TO_PORT, NPV, NPV_SCREENING, FREIGHT_COST)


DEFAULT_OBJECTIVE = MARKET_ACCESS.name


def get_objective(objective: str | Objective, *, extra: Iterable[Objective] = ()) -> Objective:
    """The objective of a name (or the objective itself), checked to be computable.

    Parameters
    ----------
    objective
        A name of :data:`OBJECTIVES` or ``extra``, or an :class:`Objective`.
    extra
        More objectives to look the name up in.

    Raises
    ------
    OptimisationError
        An unknown name, or an objective this version cannot compute.
    """
    if isinstance(objective, Objective):
        objective.check_available()
        return objective
    known = {o.name: o for o in (*OBJECTIVES, *extra)}
    if objective not in known:
        raise OptimisationError(
            f"unknown objective{closest_hint(objective, known, cutoff=0.5)}",
            field="objective",
            value=objective,
            allowed=", ".join(known),
        )
    known[objective].check_available()
    return known[objective]

"""Which portfolio to fund: the best set of projects under a budget, exactly, and its Pareto frontier.

:func:`optimise` chooses, among candidate projects, the set that does best on
an :class:`Objective` within a budget, respecting every project's
``requires`` (a project is built only with what it requires) and
``conflicts`` (never two that conflict). Projects interact (two rail links
can be worth more together than apart), so no project's worth is added up
on its own: every portfolio the search looks at is scored whole by the
:class:`~corridor.access.scorer.PortfolioScorer`.

The exact method is a branch and bound over the candidates (up to
:data:`EXACT_MAX_PROJECTS` of them) whose bounds are proven, not estimated:

- a project that only adds or speeds up links cannot lengthen any trip (the
  scorer's own premise, tested against full recomputations), so adding it
  never lowers market access nor raises the time to port: the objective is
  *monotone* in such projects. For a monotone objective, the value of the
  fixed part ``S`` with every project still addable ``R`` built,
  ``f(S ∪ R)``, is at least that of every portfolio the subtree holds (each
  is ``S ∪ T`` with ``T ⊆ R``). ``S ∪ R`` may hold projects that conflict or
  overrun the budget: it is only scored, never proposed (conflicts are a rule
  of portfolios, not of the network);
- for an objective net of cost, ``benefit(S) − cost(S)`` with a monotone
  benefit and costs that are never negative, ``benefit(S ∪ R) − cost(S)``
  bounds the subtree the same way;
- a project that is not monotone for the objective (a closure, a slowdown,
  residents added where the objective weighs by population) voids the bound
  while it is undecided; such projects are decided first, so the search
  enumerates their combinations and bounds only below them: still exact.

A subtree is cut only when its bound cannot beat (or tie at a lower cost)
the best portfolio found, so the answer is the optimum of the objective;
ties go to the cheaper portfolio, then to the one of fewer projects, then
to the first ids in alphabetical order. With ``pareto=True`` the search keeps
every portfolio that no other beats on both cost and value, and cuts a
subtree only when one of them dominates its bound: the result is the exact
Pareto frontier of cost against the objective up to the budget.

Above :data:`EXACT_MAX_PROJECTS` candidates, :func:`optimise` runs a
heuristic: greedy additions (by gain per dollar, and by gain), each followed
by a local search of additions, removals and swaps, every step scored whole;
it reports ``exact=False`` and the proven upper bound ``f(all affordable
candidates)``, so the gap is never more than that. Its gap on the bundled
catalog, measured against the exact answer, is in ``benchmarks/README.md``.

Objectives are small :class:`Objective` objects (:data:`OBJECTIVES`): what
they read from a summary, which way is better, whether a project keeps them
monotone, and whether they are net of cost. ``npv`` and ``freight_cost``
are declared but not offered to the search: both come from the transport
model (:mod:`corridor.appraisal.appraise`, :mod:`corridor.model.loop`), which takes
seconds a portfolio and whose congestion makes them non-monotone; asking
for them is a clear error. Pass your own :class:`Objective` (with
``evaluate``) to :func:`optimise` to add one; ``net_of_cost`` objectives
are bounded as above.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from corridor.access.scorer import PortfolioScorer
from corridor.checks import closest_hint
from corridor.errors import OptimisationError
from corridor.inputs.projects import GatewayUpgrade, NewGateway, Portfolio, Project
from corridor.network.scenario import Effect
from corridor.parallel import Runner

__all__ = [
    "DEFAULT_INPUTS",
    "DEFAULT_OBJECTIVE",
    "EXACT_MAX_PROJECTS",
    "MARKET_ACCESS",
    "OBJECTIVES",
    "TIME_TO_PORT",
    "Objective",
    "OptimisationResult",
    "SensitivityResult",
    "Uncertain",
    "get_objective",
    "optimise",
    "sensitivity",
]

#: up to this many candidates, :func:`optimise` is exact (branch and bound); above, a heuristic
EXACT_MAX_PROJECTS = 25
#: at most this many projects that are not monotone for the objective: their combinations are enumerated
MAX_NON_MONOTONE = 12
#: costs within this many USD are the same cost
COST_TOL_USD = 0.01
#: values within this fraction of the base value are the same value (sums of the same times, differently ordered)
VALUE_REL_TOL = 1e-9
#: node attributes that weigh zones by their population
POPULATION_ATTRS = frozenset({"population_2020", "population_added"})


# ------------------------------------------------------------------ objectives


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

    def raw(self, scorer: PortfolioScorer, portfolio: Portfolio) -> float:
        """The summary number this objective reads, for a portfolio."""
        summary = self.evaluate(scorer, portfolio) if self.evaluate is not None else scorer.summary(portfolio)
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


def _screening_summary(scorer: PortfolioScorer, portfolio: Portfolio) -> dict[str, float]:
    """The screening's present value of benefits and freight cost of a portfolio (see :class:`Screening`)."""
    from corridor.appraisal.appraise import Screening

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


def _screening_cost(scorer: PortfolioScorer, project: Project) -> float:
    from corridor.appraisal.appraise import Screening

    return Screening.of(scorer).pv_cost(project)


#: gateway edits that can only lower a gateway's cost of passage: more capacity, less handling
_GATEWAY_ATTRS = frozenset({"capacity", "handling_h", "movements_per_h", "pax_per_movement", "capacity_unit"})

NPV = Objective(
    "npv",
    "benefits_pv_usd",
    "net present value (screening: time savings at the base year's demand; see corridor.appraisal.appraise.Screening)",
    "USD",
    +1,
    reads=frozenset({"capacity", "handling_h", "movements_per_h", "pax_per_movement", "capacity_unit"}),
    net_of_cost=True,
    evaluate=_screening_summary,
    cost_of=_screening_cost,
)
FREIGHT_COST = Objective(
    "freight_cost",
    "freight_cost_usd_per_teu",
    "containers' mean cost of reaching a port and passing through it (screening, base-year demand)",
    "USD/TEU",
    -1,
    reads=frozenset({"capacity", "handling_h", "capacity_unit"}),
    evaluate=_screening_summary,
)
#: every objective this version knows; the first is the default
OBJECTIVES: tuple[Objective, ...] = (MARKET_ACCESS, TIME_TO_PORT, NPV, FREIGHT_COST)
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


# ------------------------------------------------------------------ the problem


@dataclass(frozen=True)
class _Problem:
    """The candidates as bit positions, in search order, and the rules between them."""

    projects: tuple[Project, ...]
    costs: tuple[float, ...]
    value_costs: tuple[float, ...]  # per position: the cost the objective subtracts (see Objective.cost_of)
    requires: tuple[int, ...]  # per position: the mask of every project it needs (transitively)
    conflicts: tuple[int, ...]  # per position: the mask of the projects it conflicts with (both ways)
    must: int
    monotone: int  # positions whose project keeps the objective monotone
    budget_usd: float
    objective: Objective
    tol: float
    base_utility: float

    @property
    def n(self) -> int:
        return len(self.projects)

    def ids(self, mask: int) -> list[str]:
        return [p.id for i, p in enumerate(self.projects) if mask >> i & 1]

    def value_cost(self, mask: int) -> float:
        """The cost the objective subtracts for a set."""
        return math.fsum(c for i, c in enumerate(self.value_costs) if mask >> i & 1)

    def cost(self, mask: int) -> float:
        return math.fsum(c for i, c in enumerate(self.costs) if mask >> i & 1)

    def key(self, mask: int) -> tuple[int, tuple[str, ...]]:
        """The last tie-break: fewer projects, then the first ids in alphabetical order."""
        return (bin(mask).count("1"), tuple(sorted(self.ids(mask))))

    def portfolio(self, mask: int, name: str | None = None) -> Portfolio:
        chosen = tuple(p for i, p in enumerate(self.projects) if mask >> i & 1)
        return Portfolio(name=name or ("+".join(p.id for p in chosen) or "nothing"), projects=chosen)

    def options(self, mask: int) -> list[tuple[int, int]]:
        """What can be added to a feasible set: (position, the projects it brings), within the budget."""
        out = []
        cost = self.cost(mask)
        for j in range(self.n):
            if mask >> j & 1:
                continue
            add = (self.requires[j] | 1 << j) & ~mask
            if any((self.conflicts[i] & (mask | add)) for i in _bits(add)):
                continue
            if cost + self.cost(add) <= self.budget_usd + COST_TOL_USD:
                out.append((j, add))
        return out

    def without(self, mask: int, j: int) -> int:
        """The set without project j and every project that requires it (or None when a must is hit)."""
        drop = 1 << j
        for i in _bits(mask):
            if self.requires[i] & drop:
                drop |= 1 << i
        return mask & ~drop if not drop & self.must else -1


def _bits(mask: int) -> Iterable[int]:
    i = 0
    while mask:
        if mask & 1:
            yield i
        mask >>= 1
        i += 1


def _problem(
    scorer: PortfolioScorer,
    candidates: Sequence[Project],
    *,
    budget_usd: float,
    objective: Objective,
    must: Iterable[str],
    exclude: Iterable[str],
) -> tuple[_Problem, dict[str, str]]:
    """The candidates in search order, and those that cannot be chosen with the reason."""
    if not math.isfinite(budget_usd) or budget_usd < 0:
        raise OptimisationError(
            "the budget must be a finite amount of USD, 0 or more", field="budget_usd", value=budget_usd
        )
    by_id: dict[str, Project] = {}
    for p in candidates:
        if p.id in by_id:
            raise OptimisationError("a candidate is listed twice", field="candidates", id=p.id, subject="project")
        by_id[p.id] = p
    if not by_id:
        raise OptimisationError("no candidate projects", field="candidates", allowed="one or more projects")
    must, exclude = list(dict.fromkeys(must)), set(exclude)
    for ids, what in ((must, "must"), (exclude, "exclude")):
        for pid in ids:
            if pid not in by_id:
                raise OptimisationError(
                    f"{pid!r} is not a candidate{closest_hint(pid, by_id, cutoff=0.5)}", field=what, value=pid
                )
    if set(must) & exclude:
        raise OptimisationError(
            "a project cannot be both required and excluded", field="must", value=sorted(set(must) & exclude)
        )
    dropped: dict[str, str] = {}
    for pid in sorted(exclude):
        dropped[pid] = "excluded"
    # a project whose requirement is not a candidate (or is excluded) cannot be built
    changed = True
    while changed:
        changed = False
        for p in by_id.values():
            if p.id in dropped:
                continue
            missing = [r for r in p.requires if r not in by_id or r in dropped]
            if missing:
                dropped[p.id] = f"requires {', '.join(missing)}, which cannot be chosen"
                changed = True
    must_set: set[str] = set()
    stack = list(must)
    while stack:
        pid = stack.pop()
        if pid in must_set:
            continue
        if pid in dropped:
            raise OptimisationError(f"a required project cannot be built: it {dropped[pid]}", field="must", id=pid)
        must_set.add(pid)
        stack.extend(by_id[pid].requires)

    def clash(a: Project, b: Project) -> bool:
        return b.id in a.conflicts or a.id in b.conflicts

    for a in sorted(must_set):
        for b in sorted(must_set):
            if a < b and clash(by_id[a], by_id[b]):
                raise OptimisationError(f"required projects {a!r} and {b!r} conflict", field="must", value=[a, b])
    must_cost = math.fsum(by_id[p].cost_usd for p in must_set)
    if must_cost > budget_usd + COST_TOL_USD:
        raise OptimisationError(
            f"the required projects cost USD {must_cost / 1e9:,.3f} bn, more than the budget",
            field="budget_usd",
            value=budget_usd,
            allowed=f"at least {must_cost:,.0f}",
        )
    for p in by_id.values():
        if p.id in dropped or p.id in must_set:
            continue
        if any(clash(p, by_id[m]) for m in must_set):
            dropped[p.id] = "conflicts with a required project"
    kept = [p for p in by_id.values() if p.id not in dropped]
    context = Portfolio(name="candidates", projects=tuple(kept))
    scorer.prepare(kept)
    monotone_ids = {p.id for p in kept if objective.monotone_for(scorer.effect(p, context))}
    order = _search_order(kept, monotone_ids)
    position = {p.id: i for i, p in enumerate(order)}
    requires = []
    for p in order:
        mask, stack = 0, list(p.requires)
        while stack:
            r = stack.pop()
            if not mask >> position[r] & 1:
                mask |= 1 << position[r]
                stack.extend(by_id[r].requires)
        requires.append(mask)
    conflicts = [sum(1 << position[q.id] for q in order if q.id != p.id and clash(p, q)) for p in order]
    must_mask = sum(1 << position[pid] for pid in must_set)
    base_u = objective.utility(objective.raw(scorer, Portfolio(name="base", projects=())), 0.0)
    tol = VALUE_REL_TOL * max(1.0, abs(base_u) if math.isfinite(base_u) else 1.0)
    problem = _Problem(
        projects=tuple(order),
        costs=tuple(float(p.cost_usd) for p in order),
        value_costs=tuple(objective.cost(scorer, [p]) for p in order),
        requires=tuple(requires),
        conflicts=tuple(conflicts),
        must=must_mask,
        monotone=sum(1 << position[pid] for pid in monotone_ids),
        budget_usd=float(budget_usd),
        objective=objective,
        tol=tol,
        base_utility=base_u,
    )
    for i, p in enumerate(order):
        if problem.cost(problem.must | problem.requires[i] | 1 << i) > budget_usd + COST_TOL_USD:
            dropped.setdefault(p.id, "costs more than the budget (with what it requires)")
    return problem, dropped


def _search_order(projects: list[Project], monotone: set[str]) -> list[Project]:
    """Requirements before what requires them; projects that are not monotone first, then the dearest first."""
    by_id = {p.id: p for p in projects}
    done: list[Project] = []
    placed: set[str] = set()

    def priority(p: Project) -> tuple[int, float, str]:
        return (p.id in monotone, -p.cost_usd, p.id)

    pending = sorted(projects, key=priority)
    while pending:
        for p in pending:
            if all(r in placed or r not in by_id for r in p.requires):
                done.append(p)
                placed.add(p.id)
                pending.remove(p)
                break
        else:  # a cycle of requires: the scenario will refuse it with the project's file and line
            done.extend(pending)
            break
    return done


# ------------------------------------------------------------------ scoring sets


class _Scores:
    """The objective of each set of candidates scored, each set scored once."""

    def __init__(self, scorer: PortfolioScorer, problem: _Problem) -> None:
        self.scorer = scorer
        self.problem = problem
        self.raw: dict[int, float] = {}

    def utility(self, mask: int, cost_mask: int | None = None) -> float:
        """The utility of the set; with ``cost_mask``, that set's cost counted instead (a bound)."""
        if mask not in self.raw:
            self.raw[mask] = self.problem.objective.raw(self.scorer, self.problem.portfolio(mask))
        cost = self.problem.value_cost(mask if cost_mask is None else cost_mask)
        return self.problem.objective.utility(self.raw[mask], cost)


@dataclass(frozen=True)
class _Point:
    """A feasible set scored: its utility (more is better), cost and mask."""

    utility: float
    cost_usd: float
    mask: int


def _preferred(a: _Point, b: _Point, problem: _Problem) -> bool:
    """Whether a comes before b: higher value, then lower cost, then fewer projects and the first ids."""
    if a.utility > b.utility + problem.tol:
        return True
    if a.utility < b.utility - problem.tol:
        return False
    if a.cost_usd < b.cost_usd - COST_TOL_USD:
        return True
    if a.cost_usd > b.cost_usd + COST_TOL_USD:
        return False
    return problem.key(a.mask) < problem.key(b.mask)


def _dominates(a: _Point, b: _Point, problem: _Problem) -> bool:
    """Whether a is at least as good as b on value and cost and preferred to it."""
    return (
        a.utility >= b.utility - problem.tol
        and a.cost_usd <= b.cost_usd + COST_TOL_USD
        and a.mask != b.mask
        and _preferred(a, b, problem)
    )


def _merge_frontier(points: Iterable[_Point], problem: _Problem) -> list[_Point]:
    """The points that no other dominates, cheapest first (one per mask)."""
    unique = {p.mask: p for p in points}
    ranked = sorted(unique.values(), key=lambda p: (p.cost_usd, -p.utility, problem.key(p.mask)))
    frontier: list[_Point] = []
    for p in ranked:
        if not any(_dominates(q, p, problem) for q in frontier):
            frontier = [q for q in frontier if not _dominates(p, q, problem)] + [p]
    return sorted(frontier, key=lambda p: (p.cost_usd, p.utility))


def _best(points: Iterable[_Point], problem: _Problem) -> _Point:
    best: _Point | None = None
    for p in points:
        if best is None or _preferred(p, best, problem):
            best = p
    assert best is not None
    return best


# ------------------------------------------------------------------ branch and bound


@dataclass(frozen=True)
class _Node:
    """A node of the search: decisions made up to ``pos``; S chosen, X left out; S's cost."""

    pos: int
    chosen: int
    excluded: int
    cost_usd: float


@dataclass(frozen=True)
class _Task:
    """A subtree to search, with what is already known (the best sets found before)."""

    problem: _Problem
    node: _Node
    known: tuple[_Point, ...]
    pareto: bool


@dataclass(frozen=True)
class _Found:
    """What a subtree's search found."""

    best: _Point
    frontier: tuple[_Point, ...]
    nodes: int
    scored: int


def _possible(p: _Problem, node: _Node) -> int:
    """The undecided positions that could still join S: no conflict, requirements possible, affordable."""
    possible = 0
    for j in range(node.pos, p.n):
        bit = 1 << j
        if (node.chosen | node.excluded) & bit or p.conflicts[j] & node.chosen:
            continue
        needs = p.requires[j] & ~node.chosen
        if needs & ~possible:
            continue
        if node.cost_usd + p.cost(needs | bit) <= p.budget_usd + COST_TOL_USD:
            possible |= bit
    return possible


class _Search:
    def __init__(self, scores: _Scores, problem: _Problem, *, pareto: bool, known: Sequence[_Point]) -> None:
        self.scores = scores
        self.problem = problem
        self.pareto = pareto
        self.frontier: list[_Point] = _merge_frontier(known, problem) if pareto else []
        self.best: _Point | None = _best(known, problem) if known else None
        self.nodes = 0

    def record(self, mask: int, cost: float) -> None:
        point = _Point(self.scores.utility(mask), cost, mask)
        if self.best is None or _preferred(point, self.best, self.problem):
            self.best = point
        if self.pareto and not any(_dominates(q, point, self.problem) for q in self.frontier):
            self.frontier = [q for q in self.frontier if not _dominates(point, q, self.problem)] + [point]

    def cut(self, bound: float, cost: float) -> bool:
        """Whether no set of the subtree (value at most ``bound``, cost at least ``cost``) can matter."""
        tol = self.problem.tol
        if self.pareto:
            return any(
                q.utility >= bound - tol
                and q.cost_usd <= cost + COST_TOL_USD
                and (q.utility > bound + tol or q.cost_usd < cost - COST_TOL_USD)
                for q in self.frontier
            )
        best = self.best
        if best is None:
            return False
        return bound < best.utility - tol or (bound <= best.utility + tol and cost > best.cost_usd + COST_TOL_USD)

    def run(self, node: _Node) -> None:
        self.record(node.chosen, node.cost_usd)
        self._visit(node)

    def _visit(self, node: _Node) -> None:
        self.nodes += 1
        p = self.problem
        possible = _possible(p, node)
        if not possible:
            return
        if not possible & ~p.monotone:
            bound = self.scores.utility(node.chosen | possible, node.chosen)
            if self.cut(bound, node.cost_usd):
                return
        j = (possible & -possible).bit_length() - 1  # the first position that can still join
        bit = 1 << j
        if not p.requires[j] & ~node.chosen:
            cost = node.cost_usd + p.costs[j]
            self.record(node.chosen | bit, cost)
            self._visit(_Node(j + 1, node.chosen | bit, node.excluded, cost))
        self._visit(_Node(j + 1, node.chosen, node.excluded | bit, node.cost_usd))


def _search_task(scorer: PortfolioScorer, task: _Task) -> _Found:
    """Search one subtree (a task of a sweep)."""
    scores = _Scores(scorer, task.problem)
    search = _Search(scores, task.problem, pareto=task.pareto, known=task.known)
    search.run(task.node)
    assert search.best is not None
    return _Found(search.best, tuple(search.frontier), search.nodes, len(scores.raw))


def _split(problem: _Problem, root: _Node, depth: int) -> list[_Node]:
    """The nodes ``depth`` decisions below the root (or leaves above it), in the search's order."""
    nodes = [root]
    for _ in range(depth):
        nxt: list[_Node] = []
        for node in nodes:
            possible = _possible(problem, node)
            if not possible:
                nxt.append(node)
                continue
            j = (possible & -possible).bit_length() - 1
            bit = 1 << j
            if not problem.requires[j] & ~node.chosen:
                nxt.append(_Node(j + 1, node.chosen | bit, node.excluded, node.cost_usd + problem.costs[j]))
            nxt.append(_Node(j + 1, node.chosen, node.excluded | bit, node.cost_usd))
        nodes = nxt
    return nodes


# ------------------------------------------------------------------ heuristic


def _heuristic(scores: _Scores, problem: _Problem, *, max_passes: int = 50) -> list[_Point]:
    """Greedy additions (by gain per USD, then by gain), each improved by local search; every set it scored."""
    seen: dict[int, _Point] = {}

    def point(mask: int) -> _Point:
        if mask not in seen:
            seen[mask] = _Point(scores.utility(mask), problem.cost(mask), mask)
        return seen[mask]

    for by_ratio in (True, False):
        current = point(problem.must)
        while True:
            best_move: tuple[float, _Point] | None = None
            for _, add in problem.options(current.mask):
                cand = point(current.mask | add)
                gain = cand.utility - current.utility
                if gain <= problem.tol:
                    continue
                extra = cand.cost_usd - current.cost_usd
                rank = (gain / extra if extra > 0 else math.inf) if by_ratio else gain
                if best_move is None or rank > best_move[0]:
                    best_move = (rank, cand)
            if best_move is None:
                break
            current = best_move[1]
        for _ in range(max_passes):
            moves = [current.mask | add for _, add in problem.options(current.mask)]
            for i in _bits(current.mask & ~problem.must):
                smaller = problem.without(current.mask, i)
                if smaller < 0:
                    continue
                moves.append(smaller)
                moves += [smaller | add for j, add in problem.options(smaller) if j != i]
            better = [point(m) for m in moves]
            candidate = _best(better, problem) if better else current
            if not _preferred(candidate, current, problem):
                break
            current = candidate
    return list(seen.values())


# ------------------------------------------------------------------ results


@dataclass
class OptimisationResult:
    """The best portfolio under a budget, and the frontier of cost against the objective.

    Attributes
    ----------
    objective
        What was optimised.
    projects
        The chosen project ids, in the order they are applied.
    value, base_value
        The objective with the portfolio and in the base network (its unit).
    exact
        Proven optimal (branch and bound), or the heuristic's answer.
    upper_bound
        For the heuristic, a proven bound on the best value (None when exact).
    pareto
        One row per portfolio of the frontier, cheapest first: ``cost_usd``,
        ``value``, ``change`` (over the base) and ``projects``.
    chosen
        The chosen projects (index: id): ``name``, ``category``,
        ``opening_year``, ``cost_usd``.
    not_candidates
        Candidates that could not be chosen, with the reason.
    """

    objective: Objective
    budget_usd: float
    projects: list[str]
    cost_usd: float
    value: float
    base_value: float
    exact: bool
    method: str
    pareto: pd.DataFrame
    upper_bound: float | None = None
    chosen: pd.DataFrame | None = None
    must: list[str] = field(default_factory=list)
    not_candidates: dict[str, str] = field(default_factory=dict)
    candidates: int = 0
    scored: int = 0
    nodes: int = 0
    seconds: float = 0.0
    runner: str = "in-process"

    @property
    def change(self) -> float:
        """The value minus the base value."""
        return self.value - self.base_value

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data (see the command's ``--json``)."""

        def clean(x: float | None) -> float | None:
            return None if x is None or not math.isfinite(x) else x

        return {
            "objective": self.objective.name,
            "objective_label": self.objective.label,
            "unit": self.objective.unit,
            "better": "higher" if self.objective.sense > 0 else "lower",
            "value": clean(self.value),
            "base_value": clean(self.base_value),
            "change": clean(self.change),
            "budget_usd": self.budget_usd,
            "cost_usd": self.cost_usd,
            "projects": list(self.projects),
            "exact": self.exact,
            "method": self.method,
            "upper_bound": clean(self.upper_bound),
            "must": list(self.must),
            "not_candidates": dict(self.not_candidates),
            "candidates": self.candidates,
            "portfolios_scored": self.scored,
            "nodes": self.nodes,
            "seconds": round(self.seconds, 3),
            "runner": self.runner,
            "pareto": [
                {
                    "cost_usd": float(row["cost_usd"]),
                    "value": clean(float(row["value"])),
                    "change": clean(float(row["change"])),
                    "projects": list(row["projects"]),
                }
                for row in self.pareto.to_dict("records")
            ],
        }


def _frame(points: Sequence[_Point], problem: _Problem, base_value: float, order: list[str]) -> pd.DataFrame:
    sense = problem.objective.sense
    rows = []
    for p in points:
        value = sense * p.utility
        rows.append(
            {
                "cost_usd": p.cost_usd,
                "value": value,
                "change": value - base_value,
                "projects": sorted(problem.ids(p.mask), key=order.index),
            }
        )
    return pd.DataFrame(rows, columns=["cost_usd", "value", "change", "projects"])


# ------------------------------------------------------------------ optimise


def optimise(
    scorer: PortfolioScorer,
    candidates: Sequence[Project] | Portfolio,
    *,
    budget_usd: float,
    objective: str | Objective = DEFAULT_OBJECTIVE,
    must: Iterable[str] = (),
    exclude: Iterable[str] = (),
    method: Literal["auto", "exact", "heuristic"] = "auto",
    pareto: bool = True,
    runner: Runner | None = None,
    workers: int = 1,
    scheduler: Any = None,
    progress: bool | None = None,
) -> OptimisationResult:
    """The best portfolio of candidate projects within a budget, and the Pareto frontier of cost and value.

    Parameters
    ----------
    scorer
        The scorer of the base network (see :class:`~corridor.access.scorer.PortfolioScorer`).
    candidates
        The projects to choose from (a catalog's values, or a portfolio's projects).
    budget_usd
        The most the chosen projects may cost together.
    objective
        A name of :data:`OBJECTIVES` (``market_access`` by default) or an :class:`Objective`.
    must, exclude
        Ids that must be chosen (with what they require) or left out (with
        what requires them).
    method
        ``exact`` (branch and bound), ``heuristic``, or ``auto``: exact up to
        :data:`EXACT_MAX_PROJECTS` candidates.
    pareto
        Also find the frontier of cost against the objective (exactly, with
        the exact method; among the portfolios scored, with the heuristic).
    runner
        Where the subtrees are searched (:mod:`corridor.parallel`), to reuse
        one across calls; its shared object must be ``scorer``.
    workers, scheduler
        Without a runner, where the subtrees are searched (see
        :func:`corridor.parallel.make_runner`): in-process by default, on
        local processes, or on a Dask cluster; the scorer goes to each
        worker once. The answer is the same.
    progress
        Show a progress bar of the subtrees (None: when stderr is a terminal).

    Returns
    -------
    OptimisationResult

    Raises
    ------
    OptimisationError
        A bad budget, unknown or conflicting ids, required projects over the
        budget, an objective this version cannot compute, or the exact
        method on too many candidates.

    Examples
    --------
    >>> from corridor import load_region, build_network, load_catalog
    >>> region = load_region("luzon")
    >>> scorer = PortfolioScorer(build_network(region), region=region)
    >>> catalog = load_catalog(region.path)
    >>> few = [catalog[i] for i in ("bauan_terminal", "bcib", "calax_kawit", "clark_food_hub")]
    >>> result = optimise(scorer, few, budget_usd=1e9, objective="time_to_port")
    >>> result.projects, result.exact
    (['bauan_terminal'], True)
    """
    started = time.perf_counter()
    chosen_objective = get_objective(objective)
    if runner is not None and runner.shared is not scorer:
        raise OptimisationError("the runner holds another scorer than the one given", field="runner")
    projects = list(candidates.projects if isinstance(candidates, Portfolio) else candidates)
    problem, dropped = _problem(
        scorer, projects, budget_usd=budget_usd, objective=chosen_objective, must=must, exclude=exclude
    )
    if runner is None and (workers > 1 or scheduler is not None):
        from corridor.parallel import make_runner

        with make_runner(scorer, workers=workers, scheduler=scheduler, progress=progress) as own:
            return optimise(
                scorer,
                candidates,
                budget_usd=budget_usd,
                objective=chosen_objective,
                must=must,
                exclude=exclude,
                method=method,
                pareto=pareto,
                runner=own,
            )
    non_monotone = bin(problem.monotone ^ ((1 << problem.n) - 1)).count("1")
    if method == "auto":
        method = "exact" if problem.n <= EXACT_MAX_PROJECTS and non_monotone <= MAX_NON_MONOTONE else "heuristic"
    if method == "exact" and non_monotone > MAX_NON_MONOTONE:
        raise OptimisationError(
            f"{non_monotone} candidates can make the {chosen_objective.name} objective worse (closures, slowdowns, "
            "residents added): the exact method enumerates their combinations and takes at most "
            f"{MAX_NON_MONOTONE}",
            field="method",
            value="exact",
            allowed="the heuristic, or fewer such candidates",
        )
    if method not in ("exact", "heuristic"):
        raise OptimisationError("unknown method", field="method", value=method, allowed="auto, exact, heuristic")
    scores = _Scores(scorer, problem)
    known = _heuristic(scores, problem)
    base_value = chosen_objective.sense * problem.base_utility
    if method == "heuristic":
        best = _best(known, problem)
        frontier = _merge_frontier(known, problem) if pareto else [best]
        affordable = problem.must
        for j in range(problem.n):
            if problem.cost(problem.must | problem.requires[j] | 1 << j) <= problem.budget_usd + COST_TOL_USD:
                affordable |= 1 << j | problem.requires[j]
        every = (1 << problem.n) - 1
        upper = None  # a bound needs every candidate monotone
        if problem.monotone == every:
            upper = chosen_objective.sense * scores.utility(affordable, problem.must)
        nodes, scored, exact, label = 0, len(scores.raw), False, "greedy additions and local search (heuristic)"
    else:
        root = _Node(0, problem.must, 0, problem.cost(problem.must))
        seeds = tuple(_merge_frontier(known, problem)) if pareto else (_best(known, problem),)
        depth = 0 if runner is None or runner.workers <= 1 else min(8, max(1, math.ceil(math.log2(4 * runner.workers))))
        tasks = [_Task(problem, node, seeds, pareto) for node in _split(problem, root, depth)]
        if runner is None:
            found = [_search_task(scorer, task) for task in tasks]
        else:
            found = runner.map(_search_task, tasks, what="searching")
        best = _best([f.best for f in found], problem)
        frontier = _merge_frontier([p for f in found for p in f.frontier], problem) if pareto else [best]
        upper, exact, label = None, True, "branch and bound (exact)"
        nodes, scored = sum(f.nodes for f in found), len(scores.raw) + sum(f.scored for f in found)
    if pareto:
        frontier = [p for p in frontier if p.cost_usd <= problem.budget_usd + COST_TOL_USD]
    order = [p.id for p in projects]
    ids = sorted(problem.ids(best.mask), key=order.index)
    by_id = {p.id: p for p in projects}
    chosen = pd.DataFrame(
        [
            {
                "project": pid,
                "name": by_id[pid].name,
                "category": by_id[pid].category,
                "opening_year": by_id[pid].opening_year,
                "cost_usd": by_id[pid].cost_usd,
            }
            for pid in ids
        ],
        columns=["project", "name", "category", "opening_year", "cost_usd"],
    ).set_index("project")
    return OptimisationResult(
        objective=chosen_objective,
        budget_usd=float(budget_usd),
        projects=ids,
        cost_usd=best.cost_usd,
        value=chosen_objective.sense * best.utility,
        base_value=base_value,
        exact=exact,
        method=label,
        pareto=_frame(frontier, problem, base_value, order),
        upper_bound=upper,
        chosen=chosen,
        must=problem.ids(problem.must),
        not_candidates=dropped,
        candidates=problem.n,
        scored=scored,
        nodes=nodes,
        seconds=time.perf_counter() - started,
        runner=runner.label if runner is not None else "in-process",
    )


# ------------------------------------------------------------------ sensitivity


@dataclass(frozen=True)
class Uncertain:
    """An uncertain input of the sensitivity draws: drawn uniformly between ``low`` and ``high``.

    Attributes
    ----------
    name
        Its name in results.
    low, high
        Its range.
    description
        What it changes, in words.
    """

    name: str
    low: float
    high: float
    description: str


#: the inputs drawn for every portfolio, besides each project's cost and opening delay
DEFAULT_INPUTS: tuple[Uncertain, ...] = (
    Uncertain("road_speed_factor", 0.85, 1.15, "every road class's speed in the settings, times this"),
    Uncertain(
        "congestion_factor",
        0.8,
        1.2,
        "every congestion factor of the congested areas (Metro Manila), times this (at most 1)",
    ),
    Uncertain("market_access_half_life_min", 40.0, 90.0, "the half-life of market access's decay, minutes"),
    Uncertain(
        "port_handling_factor", 0.5, 1.5, "every seaport's handling time (the base ports' and new ones), times this"
    ),
    Uncertain(
        "value_of_time_factor",
        0.7,
        1.3,
        "the values of travel time (car and public transport), times this (read by the npv objective; no "
        "connectivity metric reads it)",
    ),
    Uncertain(
        "demand_growth_factor",
        0.5,
        1.5,
        "every class's yearly demand growth (persons, containers, air passengers), times this (read by the npv "
        "objective)",
    ),
)
#: each project's cost is drawn as its catalog cost times a factor in this range (overruns are common)
COST_FACTOR_RANGE = (0.9, 1.5)
#: each project's opening is delayed by a whole number of years from 0 to this
MAX_DELAY_YEARS = 4
#: a project is among the top k of its portfolio (by marginal gain) for k = this, unless asked otherwise
TOP_K = 3
QUANTILES = (0.05, 0.5, 0.95)


@dataclass(frozen=True)
class _Draw:
    """One draw: its number, the global inputs, and per project a cost factor and a delay in years."""

    index: int
    inputs: tuple[tuple[str, float], ...]
    cost_factor: tuple[tuple[str, float], ...]
    delay_years: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class _Context:
    """What every draw reads: sent to each worker once."""

    region: Any
    settings: Any
    portfolios: tuple[Portfolio, ...]
    objective: Objective
    year: int
    model_base: Any = None  # the base year's model run, for the screening objectives


@dataclass(frozen=True)
class _DrawResult:
    index: int
    raw: tuple[float, ...]  # per portfolio, the objective's number
    cost_usd: tuple[float, ...]
    headline: tuple[dict[str, float], ...]  # per portfolio, the headline changes over the draw's base
    marginal: tuple[dict[str, float], ...]  # per portfolio, project -> its marginal gain on the objective (utility)
    operating: tuple[tuple[str, ...], ...]  # per portfolio, the projects operating in the year
    value_cost: tuple[float, ...] = ()  # per portfolio, the cost the objective subtracts (see Objective.cost_of)


def _scaled_project(project: Project, draw: _Draw) -> Project:
    """A project with the draw's cost and its ports' handling times scaled."""
    factor = dict(draw.inputs).get("port_handling_factor", 1.0)
    edits = []
    for e in project.edits:
        if isinstance(e, NewGateway | GatewayUpgrade) and e.handling_h is not None:
            e = e.model_copy(update={"handling_h": e.handling_h * factor})
        edits.append(e)
    cost = project.cost_usd * dict(draw.cost_factor).get(project.id, 1.0)
    return project.model_copy(update={"edits": edits, "cost_usd": cost, "cost_local": None})


def _draw_task(context: _Context, draw: _Draw) -> _DrawResult:
    """Score every portfolio in one draw of the uncertain inputs (a task of a sweep)."""
    from corridor.access.metrics import HEADLINES
    from corridor.access.scorer import gains
    from corridor.network.build import build_network

    values = dict(draw.inputs)
    base = context.settings
    changes: dict[str, Any] = {}
    if "road_speed_factor" in values:
        changes["speeds_kph"] = {k: v * values["road_speed_factor"] for k, v in base.speeds_kph.items()}
    if "congestion_factor" in values:
        changes["congestion_factors"] = {
            area: {k: min(1.0, max(0.05, v * values["congestion_factor"])) for k, v in factors.items()}
            for area, factors in base.congestion_factors.items()
        }
    if "market_access_half_life_min" in values:
        changes["market_access_half_life_min"] = values["market_access_half_life_min"]
    if "value_of_time_factor" in values:
        factor = values["value_of_time_factor"]
        changes["value_of_time_php_per_h"] = base.value_of_time_php_per_h * factor
        changes["demand"] = {
            **base.demand.model_dump(),
            "value_of_time_pt_php_per_h": base.demand.value_of_time_pt_php_per_h * factor,
        }
    if "demand_growth_factor" in values:
        factor = values["demand_growth_factor"]
        a = base.appraisal
        changes["appraisal"] = {
            **a.model_dump(),
            "growth_persons_pct": a.growth_persons_pct * factor,
            "growth_containers_pct": a.growth_containers_pct * factor,
            "growth_air_passengers_pct": a.growth_air_passengers_pct * factor,
        }
    settings = base.replace(**changes) if changes else base
    G = build_network(context.region, settings)
    handling = values.get("port_handling_factor", 1.0)
    for _, d in G.nodes(data=True):
        if d.get("gateway_type") == "seaport" and d.get("handling_h") is not None:
            d["handling_h"] = float(d["handling_h"]) * handling
    scorer = PortfolioScorer(G, settings=settings, region=context.region)
    if context.model_base is not None:  # the screening's demand is the undrawn base year's, valued at the draw's
        from corridor.appraisal.appraise import Screening

        first = context.region.base_year if context.region is not None else settings.appraisal.price_year
        scorer.__dict__["_screening"] = Screening(context.model_base, settings, first_year=first)
    delays = dict(draw.delay_years)
    raws, costs, heads, margins, operating = [], [], [], [], []
    value_costs: list[float] = []
    for portfolio in context.portfolios:
        projects = [_scaled_project(p, draw) for p in portfolio.projects]
        opened = {p.id for p in projects if p.opening_year + delays.get(p.id, 0) <= context.year}
        # a project whose requirement is not operating does not operate
        built = portfolio.model_copy(update={"projects": tuple(projects)}).only(opened)
        open_ids = set(built.ids)
        cost = math.fsum(p.cost_usd for p in projects)
        value_cost = context.objective.cost(scorer, projects)
        summary = context.objective.evaluate(scorer, built) if context.objective.evaluate else scorer.summary(built)
        raw = float(summary[context.objective.key])
        change = gains(scorer.base.summary, dict(summary))
        heads.append({h.column: change[h.key] * h.scale for h in HEADLINES if h.key is not None})
        utility = context.objective.utility(raw, value_cost)
        marginal = {p.id: 0.0 for p in projects}
        if built.projects:
            without = scorer.marginal_summaries(built) if context.objective.evaluate is None else None
            for p in built.projects:
                if without is not None:
                    other = without[p.id]
                else:
                    other = dict(context.objective.evaluate(scorer, built.without(p.id)))  # type: ignore[misc]
                saved = context.objective.cost(scorer, [q for q in projects if q.id == p.id])
                marginal[p.id] = utility - context.objective.utility(
                    float(other[context.objective.key]), value_cost - saved
                )
        raws.append(raw)
        costs.append(cost)
        value_costs.append(value_cost)
        margins.append(marginal)
        operating.append(tuple(sorted(open_ids)))
    return _DrawResult(
        draw.index, tuple(raws), tuple(costs), tuple(heads), tuple(margins), tuple(operating), tuple(value_costs)
    )


@dataclass
class SensitivityResult:
    """How sure the ranking of portfolios and of their projects is, under draws of the uncertain inputs.

    Attributes
    ----------
    portfolios
        One row per portfolio: ``p_best`` (the share of draws where it does
        best on the objective; ties shared), ``mean_rank`` (1 is best),
        the objective's 5th, 50th and 95th percentiles and its cost's.
    metrics
        One row per (portfolio, headline column): the change's 5th, 50th and
        95th percentiles.
    projects
        One row per (portfolio, project): its marginal gain on the objective
        (what the portfolio loses without it; 0 in draws where it does not
        operate yet), ``p_top_k`` (the share of draws where it is among the
        ``top_k`` of its portfolio) and ``mean_rank``.
    samples
        One row per draw: every input's value.
    values
        One row per draw: each portfolio's objective.
    """

    objective: Objective
    draws: int
    seed: int
    method: str
    year: int
    top_k: int
    inputs: pd.DataFrame
    portfolios: pd.DataFrame
    metrics: pd.DataFrame
    projects: pd.DataFrame
    samples: pd.DataFrame
    values: pd.DataFrame
    seconds: float = 0.0
    runner: str = "in-process"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready results (see the command's ``--json``)."""

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            out = []
            for row in frame.reset_index().to_dict("records"):
                out.append(
                    {str(k): (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}
                )
            return out

        return {
            "objective": self.objective.name,
            "objective_label": self.objective.label,
            "unit": self.objective.unit,
            "draws": self.draws,
            "seed": self.seed,
            "sampling": self.method,
            "year": self.year,
            "top_k": self.top_k,
            "inputs": records(self.inputs),
            "portfolios": records(self.portfolios),
            "metrics": records(self.metrics),
            "projects": records(self.projects),
            "seconds": round(self.seconds, 3),
            "runner": self.runner,
        }


def _draws(
    n: int, inputs: Sequence[Uncertain], project_ids: Sequence[str], *, seed: int, method: str
) -> tuple[list[_Draw], pd.DataFrame]:
    """The draws of every input (seeded), and the table of their values."""
    from scipy.stats import qmc

    dims = len(inputs) + 2 * len(project_ids)
    if method == "lhs":
        unit = qmc.LatinHypercube(d=dims, seed=seed).random(n)
    elif method == "sobol":
        sampler = qmc.Sobol(d=dims, scramble=True, seed=seed)
        m = max(0, math.ceil(math.log2(max(n, 1))))
        unit = sampler.random_base2(m)[:n]
    else:
        raise OptimisationError("unknown sampling method", field="method", value=method, allowed="lhs, sobol")
    draws, rows = [], []
    low_cost, high_cost = COST_FACTOR_RANGE
    for i, u in enumerate(unit):
        g = tuple((x.name, x.low + (x.high - x.low) * float(u[k])) for k, x in enumerate(inputs))
        base = len(inputs)
        cost = tuple(
            (pid, low_cost + (high_cost - low_cost) * float(u[base + 2 * k])) for k, pid in enumerate(project_ids)
        )
        delay = tuple(
            (pid, min(MAX_DELAY_YEARS, int(float(u[base + 2 * k + 1]) * (MAX_DELAY_YEARS + 1))))
            for k, pid in enumerate(project_ids)
        )
        draws.append(_Draw(i, g, cost, delay))
        rows.append(
            {
                **dict(g),
                **{f"cost_factor:{pid}": v for pid, v in cost},
                **{f"delay_years:{pid}": v for pid, v in delay},
            }
        )
    samples = pd.DataFrame(rows)
    samples.index.name = "draw"
    return draws, samples


def sensitivity(
    region: Any,
    portfolios: Sequence[Portfolio],
    *,
    draws: int,
    seed: int = 0,
    settings: Any = None,
    objective: str | Objective = DEFAULT_OBJECTIVE,
    year: int | None = None,
    top_k: int = TOP_K,
    inputs: Sequence[Uncertain] = DEFAULT_INPUTS,
    method: Literal["lhs", "sobol"] = "lhs",
    workers: int = 1,
    scheduler: Any = None,
    progress: bool | None = None,
) -> SensitivityResult:
    """Rank portfolios and their projects under draws of the uncertain inputs; say how sure each rank is.

    Each draw sets the uncertain inputs (:data:`DEFAULT_INPUTS`: road speeds,
    congestion, market access's half-life, port handling, value of time) and,
    per project, a cost factor (:data:`COST_FACTOR_RANGE`) and an opening
    delay (0 to :data:`MAX_DELAY_YEARS` whole years), by Latin hypercube (or
    scrambled Sobol) sampling of ``scipy.stats.qmc``, seeded. The network is
    built again with the draw's settings, and each portfolio is scored as it
    stands in ``year``: a project operates when its opening year plus its
    delay is at most ``year`` and what it requires operates too; a delayed
    project still costs its drawn cost (connectivity objectives do not
    discount; the appraisal's will). Every project's marginal gain is what
    its portfolio loses without it (and without what requires it).

    Parameters
    ----------
    region
        The region pack (:func:`corridor.inputs.region.load_region`).
    portfolios
        Portfolios to rank (distinct names).
    draws
        How many draws.
    seed
        The seed: the same seed gives the same draws and results.
    settings
        The base settings (defaults when None).
    objective
        What ranks the portfolios (:data:`OBJECTIVES`).
    year
        The year the portfolios are scored in; by default the latest opening
        year of their projects plus one.
    top_k
        How many projects count as a portfolio's top.
    inputs
        The global uncertain inputs to draw.
    method
        ``lhs`` (Latin hypercube) or ``sobol`` (scrambled, rounded up to a
        power of two and cut to ``draws``).
    workers, scheduler
        Where the draws run (see :func:`corridor.parallel.make_runner`): in-process
        by default, on local processes, or on a Dask cluster; the region and
        the portfolios go to each worker once. The results are the same.
    progress
        Show a progress bar of the draws (None: when stderr is a terminal).

    Raises
    ------
    OptimisationError
        Fewer than 2 draws, no portfolio, two portfolios of one name, or an
        objective this version cannot compute.
    """
    started = time.perf_counter()
    context = _sensitivity_context(region, portfolios, settings=settings, objective=objective, year=year)
    if draws < 2:
        raise OptimisationError("at least 2 draws are needed for intervals", field="draws", value=draws)
    if top_k < 1:
        raise OptimisationError("top k must be at least 1", field="top_k", value=top_k)
    project_ids = list(dict.fromkeys(p.id for pf in context.portfolios for p in pf.projects))
    plan, samples = _draws(draws, inputs, project_ids, seed=seed, method=method)
    from corridor.parallel import make_runner

    with make_runner(context, workers=workers, scheduler=scheduler, progress=progress) as runner:
        results = runner.map(_draw_task, plan, what="draws")
        label = runner.label
    return _summarise(context, results, samples, inputs, seed, method, top_k, started, label)


def _sensitivity_context(
    region: Any,
    portfolios: Sequence[Portfolio],
    *,
    settings: Any = None,
    objective: str | Objective = DEFAULT_OBJECTIVE,
    year: int | None = None,
) -> _Context:
    """What every draw of :func:`sensitivity` reads (sent to each worker once).

    Raises
    ------
    OptimisationError
        No portfolio, two of one name, or an objective this version cannot compute.
    """
    from corridor.settings import Settings

    chosen = get_objective(objective)
    if not portfolios:
        raise OptimisationError("no portfolio to rank", field="portfolios", allowed="one or more portfolios")
    names = [p.name for p in portfolios]
    if len(set(names)) != len(names):
        raise OptimisationError("two portfolios have the same name; names label the results", value=names)
    if year is None:
        openings = [p.opening_year for pf in portfolios for p in pf.projects]
        year = (max(openings) + 1) if openings else 2025
    settings = settings or Settings()
    model_base = None
    if chosen.evaluate is _screening_summary:
        from corridor.model.loop import run_model
        from corridor.network.build import build_network

        model_base = run_model(build_network(region, settings), region, settings)
    return _Context(region, settings, tuple(portfolios), chosen, int(year), model_base)


def _quantiles(values: Sequence[float] | pd.Series, prefix: str) -> dict[str, float]:
    s = pd.Series(values, dtype=float)
    return {f"{prefix}_p{round(q * 100)}": float(s.quantile(q)) for q in QUANTILES}


def _summarise(
    context: _Context,
    results: list[_DrawResult],
    samples: pd.DataFrame,
    inputs: Sequence[Uncertain],
    seed: int,
    method: str,
    top_k: int,
    started: float,
    runner: str,
) -> SensitivityResult:
    objective = context.objective
    names = [p.name for p in context.portfolios]
    results = sorted(results, key=lambda r: r.index)
    values = pd.DataFrame([objective_values(objective, r) for r in results], columns=names)
    values.index.name = "draw"
    utility = pd.DataFrame(
        [
            [objective.utility(raw, cost) for raw, cost in zip(r.raw, r.value_cost or r.cost_usd, strict=True)]
            for r in results
        ],
        columns=names,
    )
    tol = VALUE_REL_TOL * max(1.0, float(utility.abs().max().max()))
    top = utility.max(axis=1)
    winners = utility.ge(top - tol, axis=0)
    share = winners.div(winners.sum(axis=1), axis=0)
    ranks = utility.rank(axis=1, ascending=False, method="average")
    rows = []
    for i, name in enumerate(names):
        costs = [r.cost_usd[i] for r in results]
        rows.append(
            {
                "portfolio": name,
                "p_best": float(share[name].mean()),
                "mean_rank": float(ranks[name].mean()),
                **_quantiles(values[name], "value"),
                **_quantiles(costs, "cost_usd"),
            }
        )
    portfolios = pd.DataFrame(rows).set_index("portfolio").sort_values(["p_best", "mean_rank"], ascending=[False, True])
    metric_rows = []
    for i, name in enumerate(names):
        heads = pd.DataFrame([r.headline[i] for r in results])
        for column in heads.columns:
            metric_rows.append({"portfolio": name, "column": column, **_quantiles(heads[column], "change")})
    metrics = pd.DataFrame(metric_rows).set_index(["portfolio", "column"])
    project_rows = []
    for i, portfolio in enumerate(context.portfolios):
        gains = pd.DataFrame([r.marginal[i] for r in results], columns=[p.id for p in portfolio.projects])
        if gains.empty or not len(gains.columns):
            continue
        scale = VALUE_REL_TOL * max(1.0, float(values.abs().max().max()))
        gains = gains.where(gains.abs() > scale, 0.0)  # rounding left by leaving a project out is no gain
        rank = gains.rank(axis=1, ascending=False, method="min")
        for pid in gains.columns:
            top = (rank[pid] <= top_k) & (gains[pid] > scale)  # a project that adds nothing is no one's top
            project_rows.append(
                {
                    "portfolio": portfolio.name,
                    "project": pid,
                    "p_top_k": float(top.mean()),
                    "mean_rank": float(rank[pid].mean()),
                    "p_operating": float(np.mean([pid in r.operating[i] for r in results])),
                    **_quantiles(objective.sense * gains[pid], "gain"),
                }
            )
    projects = pd.DataFrame(project_rows)
    if len(projects):
        projects = projects.sort_values(["portfolio", "mean_rank", "project"]).set_index(["portfolio", "project"])
    table = pd.DataFrame(
        [
            {"input": x.name, "low": x.low, "high": x.high, "description": x.description}
            for x in (
                *inputs,
                Uncertain("cost_factor", *COST_FACTOR_RANGE, "each project's cost, times this (drawn per project)"),
                Uncertain(
                    "delay_years",
                    0,
                    MAX_DELAY_YEARS,
                    f"each project's opening, delayed by whole years (drawn per project); scored in {context.year}",
                ),
            )
        ]
    ).set_index("input")
    return SensitivityResult(
        objective=objective,
        draws=len(results),
        seed=seed,
        method=method,
        year=context.year,
        top_k=top_k,
        inputs=table,
        portfolios=portfolios,
        metrics=metrics,
        projects=projects,
        samples=samples,
        values=values,
        seconds=time.perf_counter() - started,
        runner=runner,
    )


def objective_values(objective: Objective, result: _DrawResult) -> list[float]:
    """Each portfolio's objective in one draw, in its unit."""
    costs = result.value_cost or result.cost_usd
    return [objective.value(raw, cost) for raw, cost in zip(result.raw, costs, strict=True)]

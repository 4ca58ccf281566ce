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

The objectives (:mod:`corridor.search.objectives`) say what they read from a
summary, which way is better, whether a project keeps them monotone, and
whether they are net of cost. Pass your own
:class:`~corridor.search.objectives.Objective` (with ``evaluate``) to
:func:`optimise` to add one; ``net_of_cost`` objectives are bounded as above.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import pandas as pd

from corridor.access.scorer import PortfolioScorer
from corridor.checks import closest_hint
from corridor.errors import OptimisationError
from corridor.inputs.projects import Portfolio, Project, requirement_masks
from corridor.parallel import Processes, Runner
from corridor.search.objectives import DEFAULT_OBJECTIVE, VALUE_REL_TOL, Objective, get_objective

__all__ = [
    "EXACT_MAX_PROJECTS",
    "MAX_CANDIDATES",
    "OptimisationResult",
    "check_candidate_count",
    "optimise",
]

#: up to this many candidates, :func:`optimise` is exact (branch and bound); above, a heuristic
EXACT_MAX_PROJECTS = 25
#: at most this many projects that are not monotone for the objective: their combinations are enumerated
MAX_NON_MONOTONE = 12
#: at most this many candidates: the heuristic scores about (candidates x chosen) sets a pass, so 500
#: candidates take minutes on the bundled region and 10,000 would take days
MAX_CANDIDATES = 500
#: costs within this many USD are the same cost
COST_TOL_USD = 0.01


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
    workers: int = 1,
    steps: Callable[[str], None] | None = None,
) -> tuple[_Problem, dict[str, str]]:
    """The candidates in search order, and those that cannot be chosen with the reason."""
    by_id = _checked_candidates(candidates, budget_usd)
    must, exclude = list(dict.fromkeys(must)), set(exclude)
    _check_must_and_exclude(by_id, must, exclude)
    dropped = _unbuildable(by_id, {pid: "excluded" for pid in sorted(exclude)})
    must_set = _closed_musts(by_id, must, dropped)
    _check_musts(by_id, must_set, budget_usd)
    for p in by_id.values():
        if p.id not in dropped and p.id not in must_set and any(_clash(p, by_id[m]) for m in must_set):
            dropped[p.id] = "conflicts with a required project"
    dropped = _unbuildable(by_id, dropped)  # what requires a project that conflicts with a required one
    kept = [p for p in by_id.values() if p.id not in dropped]
    problem = _search_problem(
        scorer, kept, must_set, budget_usd=budget_usd, objective=objective, workers=workers, steps=steps
    )
    for i, p in enumerate(problem.projects):
        if problem.cost(problem.must | problem.requires[i] | 1 << i) > budget_usd + COST_TOL_USD:
            dropped.setdefault(p.id, "costs more than the budget (with what it requires)")
    return problem, dropped


def check_candidate_count(n: int) -> None:
    """Refuse more than :data:`MAX_CANDIDATES` candidates, before any work.

    Raises
    ------
    OptimisationError
        Too many candidates.
    """
    if n > MAX_CANDIDATES:
        raise OptimisationError(
            f"{n:,} candidate projects is more than the search takes",
            field="candidates",
            allowed=f"at most {MAX_CANDIDATES:,} (the heuristic scores about candidates x chosen portfolios a pass)",
        )


def _checked_candidates(candidates: Sequence[Project], budget_usd: float) -> dict[str, Project]:
    """The candidates by id, once the budget and the candidates are checked.

    Raises
    ------
    OptimisationError
        A budget that is not a finite amount of 0 or more, a candidate listed twice, no candidate, or more than
        :data:`MAX_CANDIDATES`.
    """
    if not math.isfinite(budget_usd) or budget_usd < 0:
        raise OptimisationError(
            "the budget must be a finite amount of USD, 0 or more", field="budget_usd", value=budget_usd
        )
    check_candidate_count(len(candidates))
    by_id: dict[str, Project] = {}
    for p in candidates:
        if p.id in by_id:
            raise OptimisationError("a candidate is listed twice", field="candidates", id=p.id, subject="project")
        by_id[p.id] = p
    if not by_id:
        raise OptimisationError("no candidate projects", field="candidates", allowed="one or more projects")
    return by_id


def _check_must_and_exclude(by_id: dict[str, Project], must: list[str], exclude: set[str]) -> None:
    """Every id to choose or leave out is a candidate, and none is both.

    Raises
    ------
    OptimisationError
        An id that is not a candidate (with the closest one), or one both required and excluded.
    """
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


def _unbuildable(by_id: dict[str, Project], dropped: dict[str, str]) -> dict[str, str]:
    """``dropped`` and every project whose requirement is not a candidate or is dropped, with the reason."""
    dropped = dict(dropped)
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
    return dropped


def _closed_musts(by_id: dict[str, Project], must: list[str], dropped: dict[str, str]) -> set[str]:
    """The required projects and everything they require.

    Raises
    ------
    OptimisationError
        A required project (or one it requires) cannot be built.
    """
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
    return must_set


def _check_musts(by_id: dict[str, Project], must_set: set[str], budget_usd: float) -> None:
    """No two required projects conflict, and together they fit the budget.

    Raises
    ------
    OptimisationError
        Two required projects conflict, or they cost more than the budget.
    """
    for a in sorted(must_set):
        for b in sorted(must_set):
            if a < b and _clash(by_id[a], by_id[b]):
                raise OptimisationError(f"required projects {a!r} and {b!r} conflict", field="must", value=[a, b])
    must_cost = math.fsum(by_id[p].cost_usd for p in must_set)
    if must_cost > budget_usd + COST_TOL_USD:
        raise OptimisationError(
            f"the required projects cost USD {must_cost / 1e9:,.3f} bn, more than the budget",
            field="budget_usd",
            value=budget_usd,
            allowed=f"at least {must_cost:,.0f}",
        )


def _clash(a: Project, b: Project) -> bool:
    """Whether two projects conflict (either one says so)."""
    return b.id in a.conflicts or a.id in b.conflicts


def _search_problem(
    scorer: PortfolioScorer,
    kept: list[Project],
    must_set: set[str],
    *,
    budget_usd: float,
    objective: Objective,
    workers: int = 1,
    steps: Callable[[str], None] | None = None,
) -> _Problem:
    """The candidates that can be chosen as bit positions in search order, with their masks and costs."""
    context = Portfolio(name="candidates", projects=tuple(kept))
    scorer.prepare(kept)
    if objective.prepare is not None:
        objective.prepare(scorer, kept, workers, steps)
    monotone_ids = {p.id for p in kept if objective.is_monotone(scorer, p, context)}
    order = _search_order(kept, monotone_ids)
    position = {p.id: i for i, p in enumerate(order)}
    conflicts = [sum(1 << position[q.id] for q in order if q.id != p.id and _clash(p, q)) for p in order]
    base_u = objective.utility(objective.raw(scorer, Portfolio(name="base", projects=())), 0.0)
    return _Problem(
        projects=tuple(order),
        costs=tuple(float(p.cost_usd) for p in order),
        value_costs=tuple(objective.cost(scorer, [p]) for p in order),
        requires=tuple(requirement_masks(order)),
        conflicts=tuple(conflicts),
        must=sum(1 << position[pid] for pid in must_set),
        monotone=sum(1 << position[pid] for pid in monotone_ids),
        budget_usd=float(budget_usd),
        objective=objective,
        tol=VALUE_REL_TOL * max(1.0, abs(base_u) if math.isfinite(base_u) else 1.0),
        base_utility=base_u,
    )


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
        current = _greedy(point, problem, by_ratio=by_ratio)
        _local_search(point, problem, current, max_passes=max_passes)
    return list(seen.values())


def _greedy(point: Callable[[int], _Point], problem: _Problem, *, by_ratio: bool) -> _Point:
    """From the required projects, add the best addition (by gain per USD, or by gain) while one gains."""
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
            return current
        current = best_move[1]


def _local_search(point: Callable[[int], _Point], problem: _Problem, current: _Point, *, max_passes: int) -> _Point:
    """Move to the best of every addition, removal and swap while it is preferred, for at most ``max_passes``."""
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
    return current


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
        ``opening_year``, ``cost_usd``, ``cost_note``.
    not_candidates
        Candidates that could not be chosen, with the reason.
    confirmed
        For an objective valued the full way before the answer (``npv``: the
        appraisal of each set as a whole), the answer and the runners-up: a
        row a set with ``projects``, ``cost_usd``, ``value`` (the search's),
        ``confirmed_value``, ``together`` (their difference) and ``chosen``
        (the best confirmed, which the result reports). None otherwise.
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
    confirmed: pd.DataFrame | None = None

    @property
    def change(self) -> float:
        """The value minus the base value."""
        return self.value - self.base_value

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data (see the command's ``--json``).

        The time taken (:attr:`seconds`) stays on the object, apart from the
        results, so that the same inputs give the same bytes.
        """

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
            "confirmed": None
            if self.confirmed is None
            else [
                {
                    "projects": list(row["projects"]),
                    "cost_usd": float(row["cost_usd"]),
                    "value": clean(float(row["value"])),
                    "confirmed_value": clean(float(row["confirmed_value"])),
                    "together": clean(float(row["together"])),
                    "chosen": bool(row["chosen"]),
                }
                for row in self.confirmed.to_dict("records")
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
    steps: Callable[[str], None] | None = None,
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
    steps
        Told each step of an objective's preparation (the model runs of ``npv``).

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
        scorer,
        projects,
        budget_usd=budget_usd,
        objective=chosen_objective,
        must=must,
        exclude=exclude,
        workers=workers if scheduler is None else 1,
        steps=steps,
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
    answer = _search(scorer, problem, method=method, pareto=pareto, runner=runner)
    confirmed = None
    if chosen_objective.confirm is not None:
        local = runner.workers if isinstance(runner, Processes) else workers
        answer, confirmed = _confirmed(scorer, problem, answer, workers=local)
    return _result(
        problem, answer, dropped, projects, pareto=pareto, started=started, runner=runner, confirmed=confirmed
    )


def _search(scorer: PortfolioScorer, problem: _Problem, *, method: str, pareto: bool, runner: Runner | None) -> _Answer:
    """The method's answer, its search seeded with the heuristic's sets."""
    chosen_method = _method(problem, method)
    scores = _Scores(scorer, problem)
    known = _heuristic(scores, problem)
    if chosen_method == "heuristic":
        return _heuristic_answer(scores, problem, known, pareto=pareto)
    return _exact_answer(scores, problem, known, pareto=pareto, runner=runner)


#: how many sets the objective's full valuation confirms: the search's answer and the best runners-up
CONFIRMED_SETS = 3


def _confirmed(
    scorer: PortfolioScorer, problem: _Problem, answer: _Answer, *, workers: int
) -> tuple[_Answer, pd.DataFrame]:
    """The search's answer and its runners-up valued the full way; the answer becomes the best of them.

    The runners-up are the frontier's other affordable sets of the highest
    value. The table has a row a set, in the search's order: ``projects``,
    ``cost_usd``, ``value`` (the search's), ``confirmed_value`` (the full
    valuation), ``together`` (their difference: what the projects do together)
    and ``chosen``.
    """
    assert problem.objective.confirm is not None
    others = sorted(
        (p for p in answer.frontier if p.mask != answer.best.mask and p.cost_usd <= problem.budget_usd + COST_TOL_USD),
        key=lambda p: (-p.utility, p.cost_usd, problem.key(p.mask)),
    )
    sets = [answer.best, *others[: CONFIRMED_SETS - 1]]
    values = problem.objective.confirm(scorer, [problem.portfolio(p.mask) for p in sets], workers)
    sense = problem.objective.sense
    best = max(range(len(sets)), key=lambda i: (sense * values[i], -i))
    table = pd.DataFrame(
        [
            {
                "projects": problem.ids(p.mask),
                "cost_usd": p.cost_usd,
                "value": sense * p.utility,
                "confirmed_value": v,
                "together": v - sense * p.utility,
                "chosen": i == best,
            }
            for i, (p, v) in enumerate(zip(sets, values, strict=True))
        ]
    )
    if best == 0:
        return answer, table
    method = f"{answer.method}; the full valuation prefers a runner-up"
    return replace(answer, best=sets[best], method=method), table


def _result(
    problem: _Problem,
    answer: _Answer,
    dropped: dict[str, str],
    projects: list[Project],
    *,
    pareto: bool,
    started: float,
    runner: Runner | None,
    confirmed: pd.DataFrame | None = None,
) -> OptimisationResult:
    """The answer as a result: the chosen projects in the candidates' order, the frontier within the budget."""
    objective = problem.objective
    frontier = answer.frontier
    if pareto:
        frontier = [p for p in frontier if p.cost_usd <= problem.budget_usd + COST_TOL_USD]
    order = [p.id for p in projects]
    ids = sorted(problem.ids(answer.best.mask), key=order.index)
    base_value = objective.sense * problem.base_utility
    return OptimisationResult(
        objective=objective,
        budget_usd=problem.budget_usd,
        projects=ids,
        cost_usd=answer.best.cost_usd,
        value=objective.sense * answer.best.utility,
        base_value=base_value,
        exact=answer.exact,
        method=answer.method,
        pareto=_frame(frontier, problem, base_value, order),
        upper_bound=answer.upper_bound,
        chosen=_chosen_table(ids, projects),
        must=problem.ids(problem.must),
        not_candidates=dropped,
        candidates=problem.n,
        scored=answer.scored,
        nodes=answer.nodes,
        seconds=time.perf_counter() - started,
        runner=runner.label if runner is not None else "in-process",
        confirmed=confirmed,
    )


def _method(problem: _Problem, method: str) -> Literal["exact", "heuristic"]:
    """The method to run: ``auto`` is exact up to :data:`EXACT_MAX_PROJECTS` candidates and few non-monotone ones.

    Raises
    ------
    OptimisationError
        The exact method on more than :data:`MAX_NON_MONOTONE` projects that can make the objective worse, or
        an unknown method.
    """
    non_monotone = bin(problem.monotone ^ ((1 << problem.n) - 1)).count("1")
    if method == "auto":
        method = "exact" if problem.n <= EXACT_MAX_PROJECTS and non_monotone <= MAX_NON_MONOTONE else "heuristic"
    if method == "exact" and non_monotone > MAX_NON_MONOTONE:
        raise OptimisationError(
            f"{non_monotone} candidates can make the {problem.objective.name} objective worse (closures, slowdowns, "
            "residents added): the exact method enumerates their combinations and takes at most "
            f"{MAX_NON_MONOTONE}",
            field="method",
            value="exact",
            allowed="the heuristic, or fewer such candidates",
        )
    if method == "exact":
        return "exact"
    if method == "heuristic":
        return "heuristic"
    raise OptimisationError("unknown method", field="method", value=method, allowed="auto, exact, heuristic")


@dataclass(frozen=True)
class _Answer:
    """What a method found: the best set, the frontier (before the budget's cut), and how it searched."""

    best: _Point
    frontier: list[_Point]
    upper_bound: float | None
    nodes: int
    scored: int
    exact: bool
    method: str


def _heuristic_answer(scores: _Scores, problem: _Problem, known: list[_Point], *, pareto: bool) -> _Answer:
    """The heuristic's answer: the best set it scored, its frontier, and the proven bound when there is one.

    The bound is the objective of every affordable candidate built (with
    what it requires), valid only when every candidate is monotone.
    """
    best = _best(known, problem)
    frontier = _merge_frontier(known, problem) if pareto else [best]
    affordable = problem.must
    for j in range(problem.n):
        if problem.cost(problem.must | problem.requires[j] | 1 << j) <= problem.budget_usd + COST_TOL_USD:
            affordable |= 1 << j | problem.requires[j]
    upper = None  # a bound needs every candidate monotone
    if problem.monotone == (1 << problem.n) - 1:
        upper = problem.objective.sense * scores.utility(affordable, problem.must)
    label = "greedy additions and local search (heuristic)"
    return _Answer(best, frontier, upper, 0, len(scores.raw), False, label)


def _exact_answer(
    scores: _Scores, problem: _Problem, known: list[_Point], *, pareto: bool, runner: Runner | None
) -> _Answer:
    """The branch and bound's answer: the subtrees searched in-process or through the runner, their finds merged.

    The heuristic's sets (``known``) seed every subtree's search.
    """
    root = _Node(0, problem.must, 0, problem.cost(problem.must))
    seeds = tuple(_merge_frontier(known, problem)) if pareto else (_best(known, problem),)
    depth = 0 if runner is None or runner.workers <= 1 else min(8, max(1, math.ceil(math.log2(4 * runner.workers))))
    tasks = [_Task(problem, node, seeds, pareto) for node in _split(problem, root, depth)]
    if runner is None:
        found = [_search_task(scores.scorer, task) for task in tasks]
    else:
        found = runner.map(_search_task, tasks, what="searching")
    best = _best([f.best for f in found], problem)
    frontier = _merge_frontier([p for f in found for p in f.frontier], problem) if pareto else [best]
    nodes, scored = sum(f.nodes for f in found), len(scores.raw) + sum(f.scored for f in found)
    return _Answer(best, frontier, None, nodes, scored, True, "branch and bound (exact)")


def _chosen_table(ids: list[str], projects: list[Project]) -> pd.DataFrame:
    """The chosen projects (index: id): name, category, opening year, cost and the catalog's note on it."""
    by_id = {p.id: p for p in projects}
    return pd.DataFrame(
        [
            {
                "project": pid,
                "name": by_id[pid].name,
                "category": by_id[pid].category,
                "opening_year": by_id[pid].opening_year,
                "cost_usd": by_id[pid].cost_usd,
                "cost_note": by_id[pid].cost_note or "",
            }
            for pid in ids
        ],
        columns=["project", "name", "category", "opening_year", "cost_usd", "cost_note"],
    ).set_index("project")

"""Each candidate project's own appraisal, for the optimiser's ``npv`` objective.

A project's own worth is what :func:`~corridor.appraisal.appraise.appraise`
says of it built alone with the projects it requires (its *closure*), over
the same base: the same transport model runs, benefits and costs as
``corridor appraise``. So the ``npv`` the optimiser gives one project (with
what it requires) is that project's appraised NPV, in sign and in rank.

For the search, a set's value is the sum of its projects' shares, a share
being the closure's present value less the shares of the projects it requires
(``share(p) = PV(closure(p)) - sum of share(q) for q required by p``), so that
the shares of a closure add up to its appraisal exactly. Projects that act
together (a railway and its feeder, two ports sharing boxes) are worth more or
less together than apart; the optimiser appraises the set it chooses and the
runners-up as whole portfolios (:func:`appraised_npv`) before it answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from corridor.appraisal.appraise import Appraisal, appraise
from corridor.errors import PortfolioError
from corridor.inputs.projects import Portfolio, Project

if TYPE_CHECKING:
    from corridor.access.scorer import PortfolioScorer

__all__ = [
    "OwnWorth",
    "appraised_npv",
    "closure",
    "kept_worth",
    "own_worths",
]

#: where a scorer keeps the shares it has appraised (see :func:`own_worths`)
_KEPT = "_own_worths"


@dataclass(frozen=True)
class OwnWorth:
    """A project's share of the present values of its closure's appraisal (USD).

    Attributes
    ----------
    closure
        The project and every project it requires among the candidates (sorted ids).
    benefits_pv_usd, costs_pv_usd
        Its share of the present value of the benefits and of the economic costs.
    closure_npv_usd
        The NPV of its closure's appraisal: its "NPV on its own".
    """

    closure: tuple[str, ...]
    benefits_pv_usd: float
    costs_pv_usd: float
    closure_npv_usd: float


def closure(project: Project, by_id: dict[str, Project]) -> tuple[str, ...]:
    """The project and every project of ``by_id`` it requires, directly or through others (sorted ids)."""
    candidates = Portfolio(name="candidates", projects=tuple(by_id.values()))
    return tuple(sorted({project.id, *candidates.requirements(project.id)}))


def _requirements_first(projects: Sequence[Project], closures: dict[str, tuple[str, ...]]) -> list[Project]:
    """The projects ordered so that each comes after every project its closure holds (smaller closures first)."""
    return sorted(projects, key=lambda p: (len(closures[p.id]), p.id))


def _scorer_parts(scorer: PortfolioScorer) -> None:
    if getattr(scorer, "arrays", None) is not None:
        raise PortfolioError(
            "the npv objective appraises projects with the transport model, which runs on the region's strategic "
            "roads, not on road arrays",
            allowed="the market_access or time_to_port objective on road arrays",
        )


def own_worths(
    scorer: PortfolioScorer,
    projects: Iterable[Project],
    *,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
) -> dict[str, OwnWorth]:
    """Each project's own worth, appraised once per scorer (the model runs go through its disk cache).

    Parameters
    ----------
    scorer
        The base network's scorer: its graph, region, settings and cache.
    projects
        The candidates (a project's requirements among them are appraised with it).
    workers
        Processes for the model runs.
    progress
        Told each step of the model runs.
    """
    _scorer_parts(scorer)
    kept: dict[str, OwnWorth] = scorer.__dict__.setdefault(_KEPT, {})
    by_id = {p.id: p for p in projects}
    closures = {pid: closure(p, by_id) for pid, p in by_id.items()}
    missing = {pid for pid in by_id if pid not in kept or kept[pid].closure != closures[pid]}
    if missing:
        needed = sorted({q for pid in missing for q in closures[pid]})
        portfolios = [
            Portfolio(name=f"{pid} on its own", projects=tuple(by_id[q] for q in closures[pid])) for pid in needed
        ]
        appraised = dict(zip(needed, _appraised(scorer, portfolios, workers, progress), strict=True))
        for p in _requirements_first([by_id[q] for q in needed], closures):
            a = appraised[p.id]
            others = [kept[q] for q in closures[p.id] if q != p.id]
            kept[p.id] = OwnWorth(
                closure=closures[p.id],
                benefits_pv_usd=a.pv_benefits_usd - sum(o.benefits_pv_usd for o in others),
                costs_pv_usd=a.pv_costs_usd - sum(o.costs_pv_usd for o in others),
                closure_npv_usd=a.npv_usd,
            )
    return {pid: kept[pid] for pid in by_id}


def kept_worth(scorer: PortfolioScorer, project: Project, context: Iterable[Project] = ()) -> OwnWorth:
    """A project's own worth, appraised now (with ``context`` as the other candidates) if it was not before."""
    kept = scorer.__dict__.get(_KEPT, {})
    if project.id not in kept:
        own_worths(scorer, [project, *context])
    return scorer.__dict__[_KEPT][project.id]


def appraised_npv(
    scorer: PortfolioScorer,
    portfolios: Sequence[Portfolio],
    *,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
) -> list[float]:
    """The NPV of each portfolio's full appraisal (its projects modelled together, by stage; USD)."""
    _scorer_parts(scorer)
    done = iter(_appraised(scorer, [p for p in portfolios if p.projects], workers, progress))
    return [next(done).npv_usd if p.projects else 0.0 for p in portfolios]


def _appraised(
    scorer: PortfolioScorer, portfolios: Sequence[Portfolio], workers: int, progress: Callable[[str], None] | None
) -> list[Appraisal]:
    """The appraisals of portfolios (no project's marginal worth) on the scorer's network, settings and cache."""
    if not portfolios:
        return []
    return appraise(
        scorer.G,
        portfolios,
        region=scorer.region,
        settings=scorer.settings,
        projects=False,
        workers=workers,
        progress=progress,
        cache=scorer.disk,
    )

"""Many portfolios scored at once, through the one worker pool (:mod:`corridor.parallel`).

A sweep (Shapley coalitions, the portfolios of a comparison) scores many
portfolios that all read one :class:`~corridor.access.scorer.PortfolioScorer`.
:func:`scorer_pool` prepares the scorer for the sweep's projects and starts a
runner that holds it; :func:`summary_map` then scores portfolios through the
runner in batches, in their order. A portfolio whose projects were all
prepared before the runner started goes to the workers as its projects'
keys, not whole (much less to send).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from corridor.access.scorer import PortfolioScorer, SummaryMap
from corridor.inputs.projects import Portfolio, Project
from corridor.parallel import Runner, make_runner

__all__ = ["scorer_pool", "summary_map"]


def _summaries(scorer: PortfolioScorer, batch: Sequence[Any]) -> list[dict[str, float]]:
    """Score a batch of portfolios, each given whole or by its projects' keys (a task of a sweep)."""
    return [scorer.summary(p if isinstance(p, Portfolio) else scorer.portfolio_of(p)) for p in batch]


def summary_map(runner: Runner, *, batches_per_worker: int = 4) -> SummaryMap:
    """Score many portfolios through a runner whose shared object is a scorer, in batches, in their order.

    Prepare the scorer (:meth:`~corridor.access.scorer.PortfolioScorer.prepare`)
    before the runner starts: the workers hold what it held then. For
    :func:`corridor.access.shapley.shapley` and :func:`corridor.access.scores.score`.
    """
    scorer: PortfolioScorer = runner.shared
    sent = frozenset() if runner.local else scorer.prepared_keys()

    def item(p: Portfolio) -> Any:
        keys = scorer.project_keys(p) if sent else None
        return keys if keys is not None and set(keys) <= sent else p

    def run(portfolios: Sequence[Portfolio]) -> list[dict[str, float]]:
        if not portfolios:
            return []
        count = max(1, min(len(portfolios), runner.workers * batches_per_worker))
        size = -(-len(portfolios) // count)
        items = [item(p) for p in portfolios]
        batches = [items[i : i + size] for i in range(0, len(items), size)]
        return [summary for batch in runner.map(_summaries, batches, what="scoring") for summary in batch]

    return run


@contextmanager
def scorer_pool(
    scorer: PortfolioScorer, projects: Iterable[Project], *, workers: int = 1, scheduler: Any = None
) -> Iterator[SummaryMap | None]:
    """How a sweep scores many portfolios: in-process (yields None), or through a runner that holds the scorer.

    The scorer is prepared for ``projects`` first, so that every worker is
    sent their changes once.
    """
    if workers == 1 and scheduler is None:
        yield None
        return
    scorer.prepare(projects)
    with make_runner(scorer, workers=workers, scheduler=scheduler) as runner:
        yield summary_map(runner)

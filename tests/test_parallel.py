"""Sweeps in-process, on local processes and on a real Dask cluster give the same answers; data goes once."""

from __future__ import annotations

import os
import pickle
import sys

import pytest

from corridor import load_catalog
from corridor.access.scorer import PortfolioScorer
from corridor.errors import OptimisationError, WorkerError
from corridor.parallel import DaskRunner, InProcess, Processes, add_offset, make_runner
from corridor.search.optimiser import optimise

from .conftest import ROOT

CATALOG = load_catalog(ROOT / "data" / "luzon")
FEW = [
    "nscr_tutuban_malolos",
    "nscr_malolos_clark",
    "bcib",
    "bauan_terminal",
    "calax_kawit",
    "cllex_aliaga_cabanatuan",
    "cllex_phase2",
    "mrt7",
    "clark_food_hub",
    "scmb_freight_rail",
    "subic_clark_railway",
]


class Unpicklable:
    """Shared data that refuses to be pickled: a runner that sends it per task would fail."""

    offset = 5

    def __getitem__(self, key: str) -> int:
        return self.offset

    def __reduce__(self):
        raise TypeError("not to be pickled")


def test_runners_keep_the_items_order():
    items = list(range(40))
    with InProcess({"offset": 3}) as runner:
        assert runner.map(add_offset, items) == [i + 3 for i in items]
    with Processes({"offset": 3}, workers=2) as runner:
        assert runner.map(add_offset, items) == [i + 3 for i in items]


def test_processes_get_the_shared_data_once_through_fork():
    with Processes(Unpicklable(), workers=2) as runner:
        assert runner.map(add_offset, [1, 2, 3]) == [6, 7, 8]


@pytest.mark.slow
def test_bad_runner_requests():
    with pytest.raises(WorkerError, match="not both"):
        make_runner({}, workers=2, scheduler="tcp://127.0.0.1:1")
    with pytest.raises(WorkerError, match="out of range"):
        make_runner({}, workers=-1)
    with pytest.raises(WorkerError, match="out of range"):
        make_runner({}, workers=100_000)
    with pytest.raises(WorkerError, match="at least 1"):
        Processes({}, workers=0)
    with pytest.raises(WorkerError, match="cannot reach the Dask scheduler"):
        DaskRunner({}, scheduler="tcp://127.0.0.1:9", connect_timeout_s=1)


@pytest.fixture(scope="module")
def scorer(luzon, luzon_graph):
    return PortfolioScorer(luzon_graph, region=luzon)


def _answer(result):
    data = result.to_dict()
    return {k: data[k] for k in ("objective", "value", "cost_usd", "projects", "exact", "pareto")}


def test_optimise_on_processes_equals_in_process(scorer):
    candidates = [CATALOG[p] for p in FEW]
    here = optimise(scorer, candidates, budget_usd=6e9)
    there = optimise(scorer, candidates, budget_usd=6e9, workers=2)
    assert _answer(there) == _answer(here) and there.runner == "2 processes"
    with make_runner({"not": "the scorer"}) as runner, pytest.raises(OptimisationError, match="another scorer"):
        optimise(scorer, candidates, budget_usd=6e9, runner=runner)


class CountUnpickles:
    """Counts, per process, how often it is unpickled (in ``sys``, which every process can import)."""

    def __init__(self) -> None:
        self.pid = os.getpid()

    def __setstate__(self, state):
        self.__dict__.update(state)
        sys.corridor_unpickled = getattr(sys, "corridor_unpickled", 0) + 1


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    # the workers are new processes that start with this one's import path: they import this module's tasks
    # and classes (tests.test_parallel) from the repository's root
    sys.path.insert(0, str(ROOT))
    with (
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None, silence_logs=40
        ) as local,
        distributed.Client(local) as client,
    ):
        yield client
    sys.path.remove(str(ROOT))


@pytest.mark.slow
@pytest.mark.dask
def test_dask_sends_the_scorer_once_and_answers_as_in_process(cluster, scorer):
    """A real LocalCluster of two worker processes: the scorer is scattered once, the answers are the same."""
    candidates = [CATALOG[p] for p in FEW]
    here = optimise(scorer, candidates, budget_usd=6e9)
    with make_runner(scorer, scheduler=cluster) as runner:
        assert runner.workers == 2
        there = optimise(scorer, candidates, budget_usd=6e9, runner=runner)
    assert _answer(there) == _answer(here) and there.runner.startswith("dask")
    with DaskRunner({"offset": 1}, scheduler=cluster) as runner:
        assert runner.map(add_offset, list(range(30))) == list(range(1, 31))
    pickle.dumps(scorer)  # what was scattered


@pytest.mark.slow
@pytest.mark.dask
def test_dask_workers_unpickle_the_shared_data_once(cluster):
    """Many tasks, a copy per worker: each worker deserialised the shared object once, not once per task.

    Under load the scheduler may hand a worker its copy a second time (a replica moved between
    workers); 24 tasks on 2 workers sent per task would count up to 24.
    """
    with DaskRunner(CountUnpickles(), scheduler=cluster) as runner:
        counts = runner.map(_unpickles_here, list(range(24)))
    assert {n for _, n in counts} <= {1, 2} and 1 in {n for _, n in counts}
    assert len({pid for pid, _ in counts}) <= 2


def _unpickles_here(shared, item):
    return os.getpid(), getattr(sys, "corridor_unpickled", 0)


@pytest.mark.slow
@pytest.mark.dask
def test_dask_shapley_and_sensitivity_answer_as_in_process(cluster, scorer, luzon):
    """Shapley coalitions and sensitivity draws on the cluster: the same numbers as in-process."""
    import pandas as pd

    from corridor import load_portfolio, portfolio_from_ids
    from corridor.access.shapley import shapley
    from corridor.access.sweeps import summary_map
    from corridor.search.sensitivity import sensitivity

    p = portfolio_from_ids(["bcib", "bauan_terminal", "calax_kawit", "mrt7", "clark_food_hub"], CATALOG)
    here = shapley(scorer, p)
    with make_runner(scorer, scheduler=cluster) as runner:
        there = shapley(scorer, p, summaries=summary_map(runner))
    pd.testing.assert_frame_equal(there.values, here.values)
    portfolios = [load_portfolio(ROOT / "portfolios" / "lec_core.yaml"), p]
    alone = sensitivity(luzon, portfolios, draws=4, seed=3)
    spread = sensitivity(luzon, portfolios, draws=4, seed=3, scheduler=cluster)
    assert spread.runner.startswith("dask")
    pd.testing.assert_frame_equal(spread.portfolios, alone.portfolios)
    pd.testing.assert_frame_equal(spread.projects, alone.projects)


def test_prepared_portfolios_travel_as_keys(scorer):
    """Portfolios of projects the workers' scorer was prepared with go as keys; others whole: the same answers."""
    from corridor import portfolio_from_ids
    from corridor.access.sweeps import summary_map

    from .conftest import make_project

    scorer.prepare(CATALOG.values())
    inline = make_project("port_road", [{"type": "upgrade", "select": {"links": ["bts-06"]}, "speed_kph": 60}])
    portfolios = [portfolio_from_ids(ids, CATALOG) for ids in (["bcib"], ["mrt7", "calax_kawit"], ["bauan_terminal"])]
    portfolios.append(portfolios[0].model_copy(update={"projects": (*portfolios[0].projects, inline)}))
    assert scorer.project_keys(portfolios[0]) is not None and scorer.project_keys(portfolios[-1]) is None
    assert scorer.prepared_keys() >= {(p.id, p.edits_digest) for p in CATALOG.values()}
    with Processes(scorer, workers=2) as runner:
        assert summary_map(runner)(portfolios) == [scorer.summary(p) for p in portfolios]

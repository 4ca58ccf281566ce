"""The one worker pool: tasks in-process, on local processes or on a Dask cluster, the shared data sent once.

Every parallel step of corridor goes through here: the engine's large
matrices (origins shared among processes), the appraisal's model runs, and
the sweeps of scores, optimiser subtrees and sensitivity draws. Each is many
tasks that all read one large object (a compiled network, a base network
with its region and settings, a scorer with its base matrices). A
:class:`Runner` holds that object where the tasks run:

- :class:`InProcess` calls the tasks here, one after another;
- :class:`Processes` forks ``workers`` processes, each given the object once
  by the pool's initializer (the fork start method: nothing is pickled);
- :class:`DaskRunner` scatters the object to every worker of a Dask
  cluster once (``broadcast=True``) and submits tasks that name it.

A task is a module-level function ``task(shared, item)``; :meth:`Runner.map`
returns the results in the order of the items, whichever runner ran them,
so the same sweep gives the same answer in-process, on processes and on a
cluster. A progress bar counts the tasks done when stderr is a terminal.

Examples
--------
>>> with make_runner({"offset": 10}) as runner:
...     runner.map(add_offset, [1, 2, 3])
[11, 12, 13]
"""

from __future__ import annotations

import multiprocessing
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any, TypeVar

from corridor.errors import WorkerError

__all__ = [
    "MAX_WORKERS_PER_CORE",
    "DaskRunner",
    "InProcess",
    "Processes",
    "Runner",
    "add_offset",
    "can_fork",
    "local_workers",
    "make_runner",
    "progress_bar",
]

T = TypeVar("T")
R = TypeVar("R")

#: more local processes than this many a core only add start-up time and memory
MAX_WORKERS_PER_CORE = 4


def can_fork() -> bool:
    """Whether this platform starts worker processes by fork (the shared object is then never pickled)."""
    return "fork" in multiprocessing.get_all_start_methods()


def local_workers(workers: int) -> int:
    """The number of local processes for ``workers`` (0: one a core), checked against the machine.

    Raises
    ------
    WorkerError
        A negative number, or more than :data:`MAX_WORKERS_PER_CORE` a core.
    """
    cores = os.cpu_count() or 1
    limit = MAX_WORKERS_PER_CORE * cores
    if workers < 0 or workers > limit:
        raise WorkerError(
            "the number of worker processes is out of range",
            field="workers",
            value=workers,
            allowed=f"0 (one a core) to {limit} ({MAX_WORKERS_PER_CORE} a core on this machine of {cores})",
        )
    return cores if workers == 0 else workers


def add_offset(shared: dict[str, int], item: int) -> int:
    """A task for examples and tests: the item plus the shared offset."""
    return item + shared["offset"]


@contextmanager
def progress_bar(
    total: int, what: str, *, enabled: bool | None = None, min_total: int = 2
) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr counting ``total`` tasks; yields ``advance(done)``.

    Shown when ``enabled`` is True, or when it is None and stderr is a
    terminal and there are at least ``min_total`` tasks; otherwise
    ``advance`` does nothing.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    show = enabled if enabled is not None else (total >= min_total and console.is_terminal)
    if not show:
        yield lambda done: None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(what, total=total)
        yield lambda done: bar.update(task, completed=done)


class Runner:
    """Runs tasks that read one shared object; see the module's notes.

    Use as a context manager (workers stop on exit), or call :meth:`close`.

    Parameters
    ----------
    shared
        What every task reads (a scorer, or a sweep's context).
    progress
        Show a progress bar (None: when stderr is a terminal).
    """

    #: how the runner is described in results (``in-process``, ``2 processes``, ``dask tcp://...``)
    label = "in-process"

    def __init__(self, shared: Any, *, progress: bool | None = None) -> None:
        self.shared = shared
        self.progress = progress

    def map(
        self,
        task: Callable[[Any, T], R],
        items: Sequence[T],
        *,
        what: str = "tasks",
        done: Callable[[int], None] | None = None,
    ) -> list[R]:
        """``[task(shared, item) for item in items]``, wherever the runner runs them, in the items' order.

        ``done`` is called with the number of tasks finished after each one
        (beside the progress bar, for a caller's own status line).
        """
        out: list[Any] = [None] * len(items)
        with progress_bar(len(items), what, enabled=self.progress) as advance:
            for count, (position, result) in enumerate(self._finished(task, items), 1):
                out[position] = result
                advance(count)
                if done is not None:
                    done(count)
        return out

    def _finished(self, task: Callable[[Any, T], R], items: Sequence[T]) -> Iterator[tuple[int, R]]:
        """Each task's position among the items and its result, as the tasks finish."""
        raise NotImplementedError

    @property
    def local(self) -> bool:
        """Whether the tasks run in this process (the shared object is this very one, never a copy)."""
        return False

    @property
    def workers(self) -> int:
        """How many tasks can run at once."""
        return 1

    def close(self) -> None:
        """Stop the workers (a runner that has none does nothing)."""

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class InProcess(Runner):
    """Runs the tasks here, one after another."""

    @property
    def local(self) -> bool:
        return True

    def _finished(self, task: Callable[[Any, T], R], items: Sequence[T]) -> Iterator[tuple[int, R]]:
        for position, item in enumerate(items):
            yield position, task(self.shared, item)


# The shared object of a pool's worker process, set once per process by the pool's initializer
# a worker reads it, never changes it.
_worker_shared: Any = None


def _init_worker(shared: Any) -> None:
    global _worker_shared
    _worker_shared = shared


def _call_in_worker(task: Callable[[Any, T], R], item: T) -> R:
    return task(_worker_shared, item)


class Processes(Runner):
    """Runs the tasks on ``workers`` forked local processes; each gets the shared object once.

    Raises
    ------
    WorkerError
        ``workers`` below 1 or beyond the machine (:func:`local_workers`), or
        a platform without the fork start method.
    """

    def __init__(self, shared: Any, *, workers: int, progress: bool | None = None) -> None:
        super().__init__(shared, progress=progress)
        if workers < 1:
            raise WorkerError("the number of worker processes must be at least 1", field="workers", value=workers)
        local_workers(workers)
        if not can_fork():
            raise WorkerError(
                "worker processes need the fork start method, which this platform lacks",
                field="workers",
                value=workers,
                allowed="1 (in-process) or a Dask scheduler",
            )
        self._workers = workers
        self.label = f"{workers} processes"
        # forked workers inherit the shared object through the initializer, unpickled
        ctx = multiprocessing.get_context("fork")
        self._pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(shared,)
        )

    @property
    def workers(self) -> int:
        return self._workers

    def _finished(self, task: Callable[[Any, T], R], items: Sequence[T]) -> Iterator[tuple[int, R]]:
        futures = {self._pool.submit(_call_in_worker, task, item): i for i, item in enumerate(items)}
        for future in as_completed(futures):
            yield futures[future], future.result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class _Locked:
    """The shared object and a lock, so that a worker's threads take turns with it (its caches fill lazily).

    The lock is made again wherever the object is unpickled: one per worker.
    """

    def __init__(self, value: Any) -> None:
        self.value = value
        self.lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {"value": self.value}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.value = state["value"]
        self.lock = threading.Lock()


def _call_on_dask(task: Callable[[Any, T], R], shared: _Locked, item: T) -> R:
    with shared.lock:
        return task(shared.value, item)


class DaskRunner(Runner):
    """Runs the tasks on a Dask cluster; the shared object is scattered to every worker once.

    Parameters
    ----------
    shared
        What the tasks read.
    scheduler
        The scheduler's address (``tcp://HOST:PORT``) or a
        ``distributed.Client`` (kept open on :meth:`close`).
    connect_timeout_s
        How long to try to reach the scheduler.

    Raises
    ------
    WorkerError
        Dask's ``distributed`` package is not installed, or the scheduler
        cannot be reached.
    """

    def __init__(
        self, shared: Any, *, scheduler: Any, progress: bool | None = None, connect_timeout_s: float = 20.0
    ) -> None:
        super().__init__(shared, progress=progress)
        try:
            from distributed import Client
        except ImportError:
            raise WorkerError(
                "a Dask scheduler needs the distributed package, which is not installed",
                field="scheduler",
                allowed="pip install 'dask[distributed]'",
            ) from None
        if isinstance(scheduler, Client):
            self._client, self._own = scheduler, False
        else:
            address = check_scheduler_address(str(scheduler))
            try:
                self._client, self._own = Client(address, timeout=f"{connect_timeout_s}s"), True
            except (OSError, TimeoutError, ValueError) as exc:
                raise WorkerError(
                    f"cannot reach the Dask scheduler: {exc}".splitlines()[0],
                    field="scheduler",
                    value=str(scheduler),
                    allowed="the address of a running scheduler, tcp://HOST:PORT",
                ) from None
        self.label = f"dask {self._client.scheduler_info().get('address', scheduler)}"
        # every worker holds one copy, sent once; tasks name it and never carry it
        [self._shared_future] = self._client.scatter([_Locked(shared)], broadcast=True, hash=False)

    @property
    def workers(self) -> int:
        info = self._client.scheduler_info()
        return max(1, sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values()))

    def _finished(self, task: Callable[[Any, T], R], items: Sequence[T]) -> Iterator[tuple[int, R]]:
        from distributed import as_completed as dask_completed

        futures = [self._client.submit(_call_on_dask, task, self._shared_future, item, pure=False) for item in items]
        position = {f.key: i for i, f in enumerate(futures)}
        for future in dask_completed(futures):
            yield position[future.key], future.result()

    def close(self) -> None:
        self._client.cancel([self._shared_future])
        if self._own:
            self._client.close()


#: the address of a Dask scheduler: a protocol distributed speaks, a host and a port
_SCHEDULER_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ucx|ws|wss)://)?\[?[A-Za-z0-9.\-:]+\]?:\d{1,5}$")


def check_scheduler_address(address: str) -> str:
    """A Dask scheduler's address checked for its form (``tcp://HOST:PORT``), before anything connects.

    Raises
    ------
    WorkerError
        An address distributed cannot read.
    """
    if not _SCHEDULER_ADDRESS.match(address.strip()):
        raise WorkerError(
            "not the address of a Dask scheduler",
            field="scheduler",
            value=address,
            allowed="tcp://HOST:PORT (or tls://, ucx://, ws://, wss://)",
        )
    return address.strip()


def make_runner(shared: Any, *, workers: int = 1, scheduler: Any = None, progress: bool | None = None) -> Runner:
    """The runner for a sweep: a Dask cluster when a scheduler is given, else processes when ``workers`` > 1.

    Parameters
    ----------
    shared
        What every task reads; sent to each worker once.
    workers
        Local processes (1: in-process; 0: one a core).
    scheduler
        A Dask scheduler's address (``tcp://HOST:PORT``) or a ``distributed.Client``.
    progress
        Show a progress bar (None: when stderr is a terminal).

    Raises
    ------
    WorkerError
        Both ``workers`` > 1 and a scheduler, or a bad value of either.
    """
    if scheduler is not None:
        if workers > 1:
            raise WorkerError("give worker processes or a Dask scheduler, not both", field="workers", value=workers)
        return DaskRunner(shared, scheduler=scheduler, progress=progress)
    workers = local_workers(workers)
    if workers > 1:
        return Processes(shared, workers=workers, progress=progress)
    return InProcess(shared, progress=progress)

"""Where work runs: in-process, on local worker processes, or on a Dask cluster.

Each task is a chunk of consecutive replication indices; the compiled
:class:`~corridorsim.plan.ScenarioPlan` is sent once to each worker (pool initializer), not with
every task. Results are returned in replication order whatever the order in which chunks finish,
and every replication's streams depend only on (seed, replication), so output is identical for
any number of workers and any chunk size.

Worker processes start with ``fork`` from a single-threaded parent, else with ``forkserver``
(forking a parent that runs a progress-bar thread is unsafe; the forkserver preloads the engine
once), else ``spawn``.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from .plan import ScenarioPlan
from .records import ReplicationRecords
from .uncertainty import run_replication_with_uncertainty as run_replication

__all__ = ["run_replications", "default_workers", "chunked", "InProcessExecutor",
           "LocalPoolExecutor", "DaskExecutor"]

_PLAN: ScenarioPlan | None = None


def default_workers() -> int:
    """Number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def chunked(items: Sequence[int], size: int) -> list[list[int]]:
    """Split ``items`` into consecutive chunks of at most ``size`` elements."""
    size = max(1, int(size))
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def _init_worker(plan: ScenarioPlan) -> None:
    global _PLAN
    _PLAN = plan


def _run_chunk(seed: int, reps: list[int]) -> list[ReplicationRecords]:
    assert _PLAN is not None, "worker not initialised"
    return [run_replication(_PLAN, seed, r) for r in reps]


def _context() -> mp.context.BaseContext:
    """Start method for worker processes.

    ``fork`` when this process runs a single thread (fast, and scripts need no
    ``if __name__ == "__main__"`` guard); ``forkserver`` when other threads run (a progress bar,
    a notebook kernel), because forking a multi-threaded process can deadlock the child;
    ``spawn`` where neither exists.
    """
    methods = mp.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return mp.get_context("fork")
    if "forkserver" in methods:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["corridorsim.engine", "corridorsim.plan", "corridorsim.sweep"])
        return ctx
    return mp.get_context("spawn")


def run_replications(
    plan: ScenarioPlan,
    seed: int,
    replications: Sequence[int],
    workers: int = 1,
    chunk_size: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[ReplicationRecords]:
    """Run the given replications and return their records in replication order.

    Parameters
    ----------
    plan : ScenarioPlan
        Compiled scenario.
    seed : int
        Root seed.
    replications : sequence of int
        Replication indices to run.
    workers : int
        1 runs in this process (for debugging and small runs); more uses a process pool.
    chunk_size : int, optional
        Replications per task; default spreads the work into about four tasks per worker.
    progress : callable, optional
        Called with the number of replications just finished.

    Returns
    -------
    list of ReplicationRecords
    """
    reps = list(replications)
    if workers <= 1 or len(reps) <= 1:
        out = []
        for r in reps:
            out.append(run_replication(plan, seed, r))
            if progress:
                progress(1)
        return out
    if chunk_size is None:
        chunk_size = max(1, -(-len(reps) // (4 * workers)))
    chunks = chunked(reps, chunk_size)
    results: dict[int, list[ReplicationRecords]] = {}
    with ProcessPoolExecutor(
        max_workers=min(workers, len(chunks)),
        mp_context=_context(),
        initializer=_init_worker,
        initargs=(plan,),
    ) as pool:
        pending = {pool.submit(_run_chunk, seed, c): i for i, c in enumerate(chunks)}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                i = pending.pop(fut)
                results[i] = fut.result()
                if progress:
                    progress(len(results[i]))
    return [rec for i in range(len(chunks)) for rec in results[i]]


# --------------------------------------------------------------------------------------------
# Task executors for sweeps: map a function over tasks, yielding (task, result) as they finish
# --------------------------------------------------------------------------------------------


def _preload() -> None:
    import corridorsim.sweep  # noqa: F401


class InProcessExecutor:
    """Runs tasks one after the other in this process (debugging, tiny sweeps)."""

    workers = 1

    def map_unordered(self, fn: Callable, tasks: Sequence) -> Iterator[tuple]:
        for t in tasks:
            yield t, fn(t)

    def close(self) -> None:
        pass


class LocalPoolExecutor:
    """Local worker processes; at most ``2 * workers`` tasks in flight, so that the driver's
    memory stays bounded whatever the number of tasks."""

    def __init__(self, workers: int):
        self.workers = max(1, int(workers))
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=_context())

    def map_unordered(self, fn: Callable, tasks: Sequence) -> Iterator[tuple]:
        todo = iter(tasks)
        pending: dict = {}
        window = 2 * self.workers
        for t in todo:
            pending[self._pool.submit(fn, t)] = t
            if len(pending) >= window:
                break
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                t = pending.pop(fut)
                result = fut.result()
                nxt = next(todo, None)
                if nxt is not None:
                    pending[self._pool.submit(fn, nxt)] = nxt
                yield t, result

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """Tasks on a Dask distributed cluster: an existing scheduler (``tcp://host:port``) or a
    ``LocalCluster`` of ``workers`` single-threaded processes. Tasks of a worker that dies are
    retried (``retries``) on the others.

    Requires the optional extra: ``pip install corridorsim[dask]``.
    """

    def __init__(self, scheduler: str | None = None, workers: int = 2, retries: int = 3):
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - depends on the environment
            from .errors import CorridorSimError

            raise CorridorSimError("the Dask executor needs the optional extra: "
                                   "pip install 'corridorsim[dask]'") from exc
        self.retries = retries
        self._cluster = None
        if scheduler:
            try:
                self.client = Client(scheduler, timeout="20s")
            except OSError as exc:
                from .errors import CorridorSimError

                raise CorridorSimError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        else:
            self._cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1,
                                         processes=True, dashboard_address=None)
            self.client = Client(self._cluster)
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})) or workers)
        # import the engine on every worker now (as the forkserver preload does), so that the
        # first tasks do not carry a second or so of imports each
        self.client.run(_preload)

    def map_unordered(self, fn: Callable, tasks: Sequence) -> Iterator[tuple]:
        from dask.distributed import as_completed

        todo = iter(tasks)
        window = 2 * self.workers
        futs = {}
        for t in todo:
            futs[self.client.submit(fn, t, pure=False, retries=self.retries)] = t
            if len(futs) >= window:
                break
        ac = as_completed(list(futs))
        for fut in ac:
            t = futs.pop(fut)
            result = fut.result()
            fut.release()
            nxt = next(todo, None)
            if nxt is not None:
                new = self.client.submit(fn, nxt, pure=False, retries=self.retries)
                futs[new] = nxt
                ac.add(new)
            yield t, result

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()

"""Where the tasks of a sweep run: in-process, on local worker processes, or on a Dask cluster.

Every executor has the same two methods: ``map_unordered(fn, tasks)`` yields ``(task, result)``
pairs as tasks finish, with at most ``2 * workers`` tasks in flight so that the driver's memory
stays bounded whatever the number of tasks; ``close(abort=False)`` releases the workers (``abort``: kill them at once). ``preload`` names
modules that workers import before their first task (the sweep's task code), so the first tasks
do not each carry a second of imports.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from .processes import (
    COMMAND_PID_VAR,
    PRELOAD,
    default_workers,
    guard_worker,
    stop_pool,
    worker_context,
)

__all__ = ["default_workers", "InProcessExecutor", "LocalPoolExecutor", "DaskExecutor"]


def _import_modules(names: Sequence[str]) -> None:
    for name in names:
        importlib.import_module(name)


class InProcessExecutor:
    """Runs tasks one after the other in this process (debugging, tiny sweeps)."""

    workers = 1

    def map_unordered(self, fn: Callable, tasks: Sequence) -> Iterator[tuple]:
        for t in tasks:
            yield t, fn(t)

    def close(self, abort: bool = False) -> None:
        pass


class LocalPoolExecutor:
    """Local worker processes; at most ``2 * workers`` tasks in flight, so that the driver's
    memory stays bounded whatever the number of tasks.

    The workers start at once, in the background (a no-op task each), so that their start
    (a fork, or the fork server's imports) overlaps with what the driver does next, such as
    the pilot, and happens before the driver starts other threads (a progress bar).
    """

    def __init__(self, workers: int, preload: Sequence[str] = ()):
        self.workers = max(1, int(workers))
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=worker_context(preload),
                                         initializer=guard_worker, initargs=(os.getpid(),))
        for _ in range(self.workers):
            self._pool.submit(_import_modules, ())

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

    def close(self, abort: bool = False) -> None:
        """Release the workers; ``abort`` (on Ctrl-C or an error) kills them at once instead
        of letting running tasks finish."""
        if abort:
            stop_pool(self._pool)
        else:
            self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """Tasks on a Dask distributed cluster: an existing scheduler (``tcp://host:port``) or a
    ``LocalCluster`` of ``workers`` single-threaded processes. Tasks of a worker that dies are
    retried (``retries``) on the others.

    Requires the optional extra: ``pip install corridorsim[dask]``.
    """

    def __init__(self, scheduler: str | None = None, workers: int = 2, retries: int = 3,
                 preload: Sequence[str] = ()):
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - depends on the environment
            from ..errors import ResourceError

            raise ResourceError("the Dask executor needs the optional extra: "
                                "pip install 'corridorsim[dask]'") from exc
        self.retries = retries
        self._cluster = None
        if scheduler:
            try:
                self.client = Client(scheduler, timeout="20s")
            except OSError as exc:
                from ..errors import ResourceError

                raise ResourceError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        else:
            self._cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1,
                                         processes=True, dashboard_address=None,
                                         preload=["corridorsim.experiments.worker_guard"],
                                         env={COMMAND_PID_VAR: str(os.getpid())})
            self.client = Client(self._cluster)
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})) or workers)
        # import the engine on every worker now (as the forkserver preload does), so that the
        # first tasks do not carry a second or so of imports each: a task pinned to each
        # worker, not awaited, so that the imports overlap with what the driver does next (the
        # pilot); a worker runs its first sweep task after them
        names = [*PRELOAD, *preload]
        self._warm = [self.client.submit(_import_modules, names, workers=[addr], pure=False,
                                         allow_other_workers=False)
                      for addr in self.client.scheduler_info().get("workers", {})]

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

    def close(self, abort: bool = False) -> None:
        self._warm.clear()
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()

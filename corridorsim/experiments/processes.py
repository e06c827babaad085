"""Worker processes: how many, how they start, and how work is cut into chunks.

Worker processes start with ``fork`` from a single-threaded parent, else with ``forkserver``
(forking a parent that runs a progress-bar thread is unsafe; the forkserver preloads the engine
once), else ``spawn``. Both :mod:`corridorsim.experiments.replications` (the replications of one
run) and :mod:`corridorsim.experiments.executors` (the tasks of a sweep) use these helpers.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
from collections.abc import Sequence

__all__ = ["default_workers", "chunked", "worker_context", "PRELOAD"]

#: Modules every worker process needs: imported once by the forkserver.
PRELOAD = ("corridorsim.model.engine", "corridorsim.model.plan", "corridorsim.model.replication")


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


def worker_context(preload: Sequence[str] = ()) -> mp.context.BaseContext:
    """Start method for worker processes.

    ``fork`` when this process runs a single thread (fast, and scripts need no
    ``if __name__ == "__main__"`` guard); ``forkserver`` when other threads run (a progress bar,
    a notebook kernel), because forking a multi-threaded process can deadlock the child;
    ``spawn`` where neither exists. The forkserver imports :data:`PRELOAD` and ``preload`` (module
    names) once, so that workers do not each pay for those imports.
    """
    methods = mp.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return mp.get_context("fork")
    if "forkserver" in methods:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload([*PRELOAD, *preload])
        return ctx
    return mp.get_context("spawn")




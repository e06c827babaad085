"""Running many replications: in-process, or on local worker processes in chunks.

Each task is a chunk of consecutive replication indices; the compiled
:class:`~corridorsim.plan.ScenarioPlan` is sent once to each worker (pool initializer), not with
every task. Results are returned in replication order whatever the order in which chunks finish,
and every replication's streams depend only on (seed, replication), so output is identical for
any number of workers and any chunk size.

Worker processes start with ``forkserver`` on POSIX (``spawn`` elsewhere): forking a parent
that runs a progress-bar thread is unsafe, and the forkserver preloads the engine once.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from .engine import run_replication
from .plan import ScenarioPlan
from .records import ReplicationRecords

__all__ = ["run_replications", "default_workers", "chunked"]

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
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["corridorsim.engine", "corridorsim.plan"])
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

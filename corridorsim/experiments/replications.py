"""The replications of one run, in this process or on a pool of worker processes.

Each task is a chunk of consecutive replication indices; the compiled
:class:`~corridorsim.model.plan.ScenarioPlan` is sent once to each worker (pool initializer), not
with every task. Results are returned in replication order whatever the order in which chunks
finish, and every replication's streams depend only on (seed, replication), so output is
identical for any number of workers and any chunk size.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from ..model.columns import concat_records
from ..model.plan import ScenarioPlan
from ..model.records import ReplicationRecords
from ..model.replication import run_replication_with_uncertainty as run_replication
from .engines import run_batch
from .processes import chunked, guard_worker, stop_pool, worker_context

__all__ = ["run_replications", "init_worker", "run_chunk", "VECTOR_BATCH"]

_PLAN: ScenarioPlan | None = None


def init_worker(plan: ScenarioPlan, command_pid: int | None = None) -> None:
    """Pool initializer: keep the plan for this worker's chunks; die with the command."""
    global _PLAN
    if command_pid is not None:
        guard_worker(command_pid)
    _PLAN = plan


#: Replications per batch of the vectorised engine in this process (progress granularity).
VECTOR_BATCH = 8192


def run_chunk(seed: int, reps: list[int], engine: str = "des") -> Sequence[ReplicationRecords]:
    """Run one chunk of replications on this worker's plan (``engine``: see :mod:`.engines`)."""
    assert _PLAN is not None, "worker not initialised"
    if engine != "des":
        return run_batch(_PLAN, seed, reps, engine)
    return [run_replication(_PLAN, seed, r) for r in reps]


def run_replications(
    plan: ScenarioPlan,
    seed: int,
    replications: Sequence[int],
    workers: int = 1,
    chunk_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    engine: str = "des",
) -> Sequence[ReplicationRecords]:
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
    engine : {"des", "vector"}
        The engine, already chosen (:func:`~corridorsim.experiments.engines.choose_engine`):
        the SimPy engine or the vectorised fast path. Results are the same either way.

    Returns
    -------
    sequence of ReplicationRecords
        A list from the SimPy engine; from the fast path one
        :class:`~corridorsim.model.columns.RecordBatch` (records as columns).
    """
    reps = list(replications)
    if engine != "des" and (workers <= 1 or len(reps) <= 1):
        parts = []
        for i in range(0, len(reps), VECTOR_BATCH):
            parts.append(run_batch(plan, seed, reps[i:i + VECTOR_BATCH], engine))
            if progress:
                progress(len(reps[i:i + VECTOR_BATCH]))
        return concat_records(parts)
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
    results: dict[int, Sequence[ReplicationRecords]] = {}
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(chunks)),
        mp_context=worker_context(),
        initializer=init_worker,
        initargs=(plan, os.getpid()),
    )
    try:
        pending = {pool.submit(run_chunk, seed, c, engine): i for i, c in enumerate(chunks)}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                i = pending.pop(fut)
                results[i] = fut.result()
                if progress:
                    progress(len(results[i]))
    except BaseException:
        stop_pool(pool)  # Ctrl-C or a failed chunk: do not wait for the other chunks
        raise
    pool.shutdown(wait=True)
    return concat_records([results[i] for i in range(len(chunks))])


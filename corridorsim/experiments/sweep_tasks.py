"""Sweep tasks: what a worker runs, and how a sweep's replications are cut into tasks.

Work is cut into tasks of consecutive replications of one point (never one task per
replication). Their sizes come from a pilot run (:func:`run_pilot`, whose replications are kept
as the sweep's first task) and follow *factoring* (Hummel, Schonberg & Flynn 1992, "Factoring: a
method for scheduling parallel loops", Commun. ACM 35(8)): a task gets about the remaining
replications divided by twice the number of workers, between a floor of
:data:`MIN_TASK_S` seconds of work (per-task costs stay small) and a ceiling of
:data:`MAX_TASK_S` seconds (little work lost to an interruption), so that the first tasks are
large and the last ones small, and the workers finish together (:class:`TaskSizes`). The results
do not depend on how the work is cut. Replication ``r`` of every point draws from the same
streams: common random numbers; a sweep with ``common_random_numbers: false`` gives each point
its own root seed instead (:func:`point_seed`). :func:`run_task` runs on workers (local
processes or Dask) and only computes; :class:`~corridorsim.experiments.sweep_runner.SweepRunner`
writes.

Part of the experiments layer: imports the model layer (plans, engine, records), the scenario
layer's hashing and the resolved sweep; never writes files.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model.columns import concat_records
from ..model.counters import stream_key
from ..model.plan import ScenarioPlan
from ..model.plan_family import PlanFamily
from ..model.records import ReplicationRecords, to_frames
from ..scenario.documents import scenario_hash
from ..scenario.schema import Scenario
from .engines import choose_engine, run_batch
from .rundir import arrow_ready
from .sweep_spec import ResolvedSweep

__all__ = ["SweepTask", "run_task", "plan_tasks", "point_seed", "task_seed",
           "pilot_seconds_per_replication",
           "choose_chunk_size", "SweepPlanSummary", "TARGET_TASK_S", "DASK_TARGET_TASK_S",
           "TaskSizes", "Pilot", "run_pilot", "MIN_TASK_S", "MAX_TASK_S", "DASK_MIN_TASK_S",
           "PILOT_REPLICATIONS", "FAST_PILOT_REPLICATIONS"]

#: Fixed task size (``choose_chunk_size``): about this many seconds of work per task.
TARGET_TASK_S = 0.25
#: The same on Dask, whose per-task cost (scheduler round trips, results sent back to the
#: driver) is some tens of ms.
DASK_TARGET_TASK_S = 1.0
#: Smallest task of the guided sizes, in seconds of work: a local task costs about a
#: millisecond to send, start and return, so 0.1 s keeps that near 1 %.
MIN_TASK_S = 0.1
#: ... on Dask (tens of ms per task: scheduler round trips).
DASK_MIN_TASK_S = 0.5
#: Largest task, in seconds of work: an interruption loses at most this much per worker, and
#: the progress bar moves.
MAX_TASK_S = 5.0
#: First key part of the per-point seeds (a constant apart from any replication index).
POINT_SEED_KEY = 0x5EED
#: Replications of the pilot (the first one, which fills the plan's caches, is not timed).
PILOT_REPLICATIONS = 5
#: ... on the fast path, which runs them as one batch: below a few thousand replications a
#: batch's time is mostly its fixed cost (a pass of array operations per step of the longest
#: trajectory), and a pilot of 5 would size tasks for a hundred times the real cost per
#: replication (tasks of tens of replications, each paying that fixed cost again).
FAST_PILOT_REPLICATIONS = 2000


@dataclass(frozen=True)
class SweepTask:
    """Replications ``first .. first + count - 1`` of one point."""

    point: int
    first: int
    count: int
    scenario: Scenario
    seed: int
    keep: tuple[str, ...] = ()
    delivered_by_days: tuple[int, ...] = ()
    engine: str = "auto"  # see corridorsim.experiments.engines

    @property
    def stem(self) -> str:
        return f"reps-{self.first:06d}-{self.first + self.count - 1:06d}"


_PLANS = PlanFamily(16)


def _plan_for(scenario: Scenario) -> ScenarioPlan:
    """Compiled plan of a point, cached per worker process (points repeat across tasks), and
    derived from another point's where they share fields
    (:class:`~corridorsim.model.plan_family.PlanFamily`): a point differing from one run before only in threat values starts with its
    feeder trips, formation timeline, routes and legs."""
    return _PLANS.plan(scenario, scenario_hash(scenario))


def run_task(task: SweepTask) -> dict[str, pd.DataFrame]:
    """Run one task and return its tables (``summary`` plus the kept ones), with a point column.

    This runs on workers (local processes or Dask); it only computes, the driver writes.
    """
    plan = _plan_for(task.scenario)
    needed = _needed(task)
    recs = run_batch(plan, task.seed, range(task.first, task.first + task.count), task.engine,
                     tables=needed)
    return _tables(task, recs)


def _needed(task: SweepTask) -> set[str]:
    """Tables besides the summary that a task's results need."""
    return set(task.keep) | ({"daily"} if task.delivered_by_days else set())


def _tables(task: SweepTask, recs: Sequence[ReplicationRecords]) -> dict[str, pd.DataFrame]:
    """The tables a task sends back: the summary and the kept ones, with a point column."""
    needed = _needed(task)
    tables = to_frames(recs, task.scenario.start, tables=needed)
    summary = arrow_ready(tables.summary)  # one schema for every task's rows
    if task.delivered_by_days:
        # litres delivered by a day to every destination, like the summary's delivered_l
        cum = tables.daily.pivot_table(index="replication", columns="day",
                                       values="cumulative_delivered_l", aggfunc="sum")
        for d in task.delivered_by_days:
            col = cum[min(d, cum.columns.max())] if len(cum.columns) else 0
            summary[f"delivered_l_by_day_{d}"] = summary["replication"].map(col).astype("int64")
    out = {"summary": summary}
    for name in task.keep:
        out[name] = arrow_ready(getattr(tables, name))
    for df in out.values():
        df.insert(0, "point", task.point)
    return out


@dataclass(frozen=True)
class TaskSizes:
    """Replications per task: guided by the work that remains (factoring), within bounds.

    Parameters
    ----------
    min_reps, max_reps : int
        Smallest and largest task, replications (equal: a fixed size).
    workers : int
        Workers that share the tasks.
    """

    min_reps: int
    max_reps: int
    workers: int = 1

    @classmethod
    def fixed(cls, chunk_size: int) -> TaskSizes:
        """Every task ``chunk_size`` replications (the last one of a point fewer)."""
        n = max(1, int(chunk_size))
        return cls(n, n, 1)

    @classmethod
    def guided(cls, seconds_per_rep: float, workers: int, dask: bool = False) -> TaskSizes:
        """Sizes for a pilot's ``seconds_per_rep``: between :data:`MIN_TASK_S` (Dask:
        :data:`DASK_MIN_TASK_S`) and :data:`MAX_TASK_S` seconds of work."""
        per = max(seconds_per_rep, 1e-6)
        lo = max(1, round((DASK_MIN_TASK_S if dask else MIN_TASK_S) / per))
        hi = max(lo, round(MAX_TASK_S / per))
        return cls(lo, hi, max(1, int(workers)))

    def size(self, remaining: int) -> int:
        """Replications of the next task when ``remaining`` replications are still to hand out:
        half of an even share per worker (factoring's batches)."""
        guided = math.ceil(remaining / (2 * self.workers))
        return max(1, min(remaining, max(self.min_reps, min(self.max_reps, guided))))

    def cut(self, points: list[int], first: int, count: int) -> Iterator[tuple[int, int, int]]:
        """``(point, first, count)`` of the tasks for replications ``first .. first + count -
        1`` of ``points``, point by point (a task never spans two points)."""
        remaining = len(points) * count
        for p in points:
            start = first
            while start < first + count:
                n = min(self.size(remaining), first + count - start)
                yield p, start, n
                start += n
                remaining -= n


def plan_tasks(sweep: ResolvedSweep, points: list[int], first: int, count: int,
               chunk_size: int | TaskSizes, engine: str = "auto") -> Iterator[SweepTask]:
    """Tasks for replications ``first .. first + count - 1`` of ``points``, point by point.

    A generator: tasks (and the scenarios they carry) are made as the executor asks for them.
    ``chunk_size`` is a fixed number of replications per task, or :class:`TaskSizes`.
    """
    spec = sweep.spec
    sizes = chunk_size if isinstance(chunk_size, TaskSizes) else TaskSizes.fixed(chunk_size)
    for p, start, n in sizes.cut(points, first, count):
        yield SweepTask(p, start, n, sweep.scenarios[p], task_seed(sweep, p), tuple(spec.keep),
                        tuple(spec.delivered_by_days), engine)


def point_seed(seed: int, point: int) -> int:
    """Root seed of point ``point`` in a sweep without common random numbers (63 bits)."""
    return stream_key(seed, (POINT_SEED_KEY, point)) >> 1


def task_seed(sweep: ResolvedSweep, point: int) -> int:
    """Root seed of the tasks of ``point``: the sweep's (common random numbers), or the
    point's own (:func:`point_seed`)."""
    spec = sweep.spec
    return spec.seed if spec.common_random_numbers else point_seed(spec.seed, point)


@dataclass(frozen=True)
class Pilot:
    """The pilot: the reference point's first replications, run in the driver, timed.

    Its ``task`` and ``tables`` are real results: the runner writes them as the sweep's first
    task (:class:`~corridorsim.experiments.sweep_runner.SweepRunner` ``pilot=``).
    """

    task: SweepTask
    tables: dict[str, pd.DataFrame]
    seconds_per_replication: float
    wall_s: float


def run_pilot(sweep: ResolvedSweep, replications: int | None = None,
              engine: str = "auto") -> Pilot:
    """Run replications ``0 .. replications - 1`` of the reference point in this process.

    The first replication of a compiled plan fills its caches and is slower than the steady
    state a sweep runs in: the median of the others is the time per replication (on the fast
    path, which runs them as one batch, the batch's time over its replications). Default
    ``replications``: :data:`PILOT_REPLICATIONS`, on the fast path
    :data:`FAST_PILOT_REPLICATIONS` (at most the sweep's replications).
    """
    t_start = time.perf_counter()
    spec = sweep.spec
    point = sweep.reference
    seed = task_seed(sweep, point)
    plan = _plan_for(sweep.scenarios[point])
    fast = choose_engine(plan, engine).engine == "vector"
    if replications is None:
        replications = FAST_PILOT_REPLICATIONS if fast else PILOT_REPLICATIONS
    n = max(1, min(int(replications), spec.replications))
    task = SweepTask(point, 0, n, sweep.scenarios[point], seed, tuple(spec.keep),
                     tuple(spec.delivered_by_days), engine)
    if fast:
        t0 = time.perf_counter()
        recs = run_batch(plan, seed, range(n), engine, tables=_needed(task))
        per_rep = (time.perf_counter() - t0) / n
    else:
        times, parts = [], []
        for r in range(n):
            t0 = time.perf_counter()
            parts.append(run_batch(plan, seed, [r], engine, tables=_needed(task)))
            times.append(time.perf_counter() - t0)
        recs = concat_records(parts)
        per_rep = float(np.median(times[1:] or times))
    tables = _tables(task, recs)
    return Pilot(task, tables, per_rep, time.perf_counter() - t_start)


def pilot_seconds_per_replication(sweep: ResolvedSweep, replications: int | None = None) -> float:
    """Seconds per replication of the reference point, measured in this process (a pilot whose
    results are dropped; see :func:`run_pilot`)."""
    return run_pilot(sweep, replications).seconds_per_replication


def choose_chunk_size(seconds_per_rep: float, replications: int,
                      target_s: float = TARGET_TASK_S) -> int:
    """Replications per task so that a task takes about ``target_s`` seconds."""
    if seconds_per_rep <= 0:
        return replications
    return int(max(1, min(replications, round(target_s / seconds_per_rep))))


@dataclass
class SweepPlanSummary:
    """What a sweep will do (for ``--dry-run``)."""

    points: int
    replications: int
    tasks: int
    chunk_size: int
    seconds_per_replication: float
    workers: int
    min_chunk_size: int | None = None

    @property
    def task_sizes(self) -> str:
        """``"3"``, or ``"3-40"`` for guided sizes."""
        lo = self.min_chunk_size
        return str(self.chunk_size) if lo in (None, self.chunk_size) else f"{lo}-{self.chunk_size}"

    @property
    def estimated_s(self) -> float:
        return self.points * self.replications * self.seconds_per_replication / max(1, self.workers)

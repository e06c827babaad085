"""Sweep tasks: what a worker runs, and how a sweep's replications are cut into tasks.

Work is cut into tasks of ``chunk_size`` consecutive replications of one point (never one task
per replication), sized from a pilot run to take about :data:`TARGET_TASK_S` seconds. Replication
``r`` of every point draws from the same streams (``SeedSequence(seed, spawn_key=(r, k))``):
common random numbers; a sweep with ``common_random_numbers: false`` gives each point its own
root seed instead (:func:`point_seed`). :func:`run_task` runs on workers (local processes or Dask) and only
computes; :class:`~corridorsim.experiments.sweep_runner.SweepRunner` writes.

Part of the experiments layer: imports the model layer (plans, engine, records), the scenario
layer's hashing and the resolved sweep; never writes files.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model.counters import stream_key
from ..model.engine import run_replication
from ..model.plan import ScenarioPlan, compile_scenario
from ..model.records import to_frames
from ..scenario.documents import scenario_hash
from ..scenario.schema import Scenario
from .engines import run_batch
from .rundir import arrow_ready
from .sweep_spec import ResolvedSweep

__all__ = ["SweepTask", "run_task", "plan_tasks", "point_seed", "pilot_seconds_per_replication",
           "choose_chunk_size", "SweepPlanSummary", "TARGET_TASK_S", "DASK_TARGET_TASK_S"]

#: Aim for tasks of about this many seconds: long enough to amortise scheduling, short enough
#: for a smooth progress bar and little lost work on interruption.
TARGET_TASK_S = 0.25
#: The same on Dask, whose per-task cost (scheduler round trips, results sent back to the
#: driver) is some tens of ms: with 1 s tasks it stays under 10 % of the work.
DASK_TARGET_TASK_S = 1.0
#: First key part of the per-point seeds (a constant apart from any replication index).
POINT_SEED_KEY = 0x5EED


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


_PLANS: dict[str, ScenarioPlan] = {}


def _plan_for(scenario: Scenario) -> ScenarioPlan:
    """Compiled plan of a point, cached per worker process (points repeat across tasks)."""
    key = scenario_hash(scenario)
    plan = _PLANS.get(key)
    if plan is None:
        if len(_PLANS) >= 16:
            _PLANS.pop(next(iter(_PLANS)))
        plan = _PLANS[key] = compile_scenario(scenario)
    return plan


def run_task(task: SweepTask) -> dict[str, pd.DataFrame]:
    """Run one task and return its tables (``summary`` plus the kept ones), with a point column.

    This runs on workers (local processes or Dask); it only computes, the driver writes.
    """
    plan = _plan_for(task.scenario)
    needed = set(task.keep) | ({"daily"} if task.delivered_by_days else set())
    recs = run_batch(plan, task.seed, range(task.first, task.first + task.count), task.engine,
                     tables=needed)
    tables = to_frames(recs, task.scenario.start, tables=needed)
    summary = arrow_ready("summary", tables.summary)  # one schema for every task's rows
    if task.delivered_by_days:
        cum = tables.daily.pivot(index="replication", columns="day", values="cumulative_delivered_l")
        for d in task.delivered_by_days:
            col = cum[min(d, cum.columns.max())] if len(cum.columns) else 0
            summary[f"delivered_l_by_day_{d}"] = summary["replication"].map(col).astype("int64")
    out = {"summary": summary}
    for name in task.keep:
        out[name] = getattr(tables, name)
    for df in out.values():
        df.insert(0, "point", task.point)
    return out


def plan_tasks(sweep: ResolvedSweep, points: list[int], first: int, count: int,
               chunk_size: int, engine: str = "auto") -> Iterator[SweepTask]:
    """Tasks for replications ``first .. first + count - 1`` of ``points``, point by point.

    A generator: tasks (and the scenarios they carry) are made as the executor asks for them.
    """
    spec = sweep.spec
    for p in points:
        seed = point_seed(spec.seed, p) if not spec.common_random_numbers else spec.seed
        for start in range(first, first + count, chunk_size):
            n = min(chunk_size, first + count - start)
            yield SweepTask(p, start, n, sweep.scenarios[p], seed, tuple(spec.keep),
                            tuple(spec.delivered_by_days), engine)


def point_seed(seed: int, point: int) -> int:
    """Root seed of point ``point`` in a sweep without common random numbers (63 bits)."""
    return stream_key(seed, (POINT_SEED_KEY, point)) >> 1


def pilot_seconds_per_replication(sweep: ResolvedSweep, replications: int = 6) -> float:
    """Seconds per replication of the reference point, measured in this process.

    The first replications of a compiled plan fill its route cache and are slower than the
    steady state a sweep runs in; so two are run first, untimed, and the median of the next
    ``replications`` is returned.
    """
    plan = compile_scenario(sweep.scenarios[sweep.reference])
    seed = sweep.spec.seed
    for r in range(2):
        run_replication(plan, seed, r)
    times = []
    for r in range(2, 2 + max(1, replications)):
        t0 = time.perf_counter()
        run_replication(plan, seed, r)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


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

    @property
    def estimated_s(self) -> float:
        return self.points * self.replications * self.seconds_per_replication / max(1, self.workers)

"""The Python entry point: run a scenario's replications and get the result tables.

>>> from corridorsim import load_scenario, simulate
>>> result = simulate(load_scenario("scenarios/smoke.yaml"), replications=10, seed=1)
>>> result.daily.groupby("day").stock_l.median()  # doctest: +SKIP

``simulate`` compiles the scenario once, runs the replications (in-process or on worker
processes) and returns a :class:`RunResult` holding the four tables as pandas DataFrames plus
the key-metrics table.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from ..model.plan import ScenarioPlan, compile_scenario
from ..model.records import Tables, to_frames
from ..scenario.schema import Scenario
from .metrics import key_metrics
from .replications import run_replications

__all__ = ["RunResult", "simulate"]


@dataclass(frozen=True)
class RunResult:
    """Tables of a run and how it was made.

    Attributes
    ----------
    scenario : Scenario
    seed : int
    replications : int
    tables : Tables
        ``daily``, ``events``, ``convoys``, ``summary`` DataFrames.
    metrics : pandas.DataFrame
        Key metrics across replications (:func:`corridorsim.experiments.metrics.key_metrics`).
    wall_time_s : float
        Time spent simulating, seconds.
    sim_events : int
        SimPy events scheduled over all replications.
    """

    scenario: Scenario
    seed: int
    replications: int
    tables: Tables
    metrics: pd.DataFrame
    wall_time_s: float
    sim_events: int

    @property
    def daily(self) -> pd.DataFrame:
        return self.tables.daily

    @property
    def events(self) -> pd.DataFrame:
        return self.tables.events

    @property
    def convoys(self) -> pd.DataFrame:
        return self.tables.convoys

    @property
    def summary(self) -> pd.DataFrame:
        return self.tables.summary


def simulate(
    scenario: Scenario | ScenarioPlan,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    chunk_size: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> RunResult:
    """Run ``replications`` replications of a scenario.

    Parameters
    ----------
    scenario : Scenario or ScenarioPlan
        A loaded scenario (see :func:`corridorsim.load_scenario`) or an already compiled plan.
    replications : int, optional
        Number of replications; default ``scenario.replications``.
    seed : int, optional
        Root seed; default ``scenario.seed``. Replication ``r`` uses
        ``SeedSequence(seed, spawn_key=(r, k))`` for its ``k``-th stochastic source
        (the children of ``SeedSequence(seed, spawn_key=(r,))``).
    workers : int
        Worker processes; 1 runs in this process.
    chunk_size : int, optional
        Replications per task for worker processes.
    progress : callable, optional
        Called with the number of replications just finished.

    Returns
    -------
    RunResult
    """
    plan = scenario if isinstance(scenario, ScenarioPlan) else compile_scenario(scenario)
    sc = plan.scenario
    n = sc.replications if replications is None else int(replications)
    if n < 1:
        raise ValueError(f"replications must be >= 1, got {n}")
    s = sc.seed if seed is None else int(seed)
    if s < 0:
        raise ValueError(f"seed must be >= 0, got {s}")
    t0 = time.perf_counter()
    records = run_replications(plan, s, range(n), workers=workers, chunk_size=chunk_size,
                               progress=progress)
    wall = time.perf_counter() - t0
    tables = to_frames(records, sc.start)
    return RunResult(
        scenario=sc,
        seed=s,
        replications=n,
        tables=tables,
        metrics=key_metrics(tables.summary),
        wall_time_s=wall,
        sim_events=sum(r.sim_events for r in records),
    )

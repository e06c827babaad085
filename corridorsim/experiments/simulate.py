"""The Python entry point: run a scenario's replications and get the result tables.

>>> from corridorsim import load_scenario, simulate
>>> result = simulate(load_scenario("scenarios/smoke.yaml"), replications=10, seed=1)
>>> result.daily.groupby("day").stock_l.median()  # doctest: +SKIP

``simulate`` compiles the scenario once, runs the replications (in-process or on worker
processes) and returns a :class:`RunResult` holding the four tables as pandas DataFrames plus
the key-metrics table.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..model.columns import RecordBatch
from ..model.plan import ScenarioPlan, compile_scenario
from ..model.records import Tables, to_frames
from ..scenario.schema import Scenario
from .engines import choose_engine
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
    manifest : dict, optional
        The run directory's manifest, for a result read back with
        :func:`corridorsim.experiments.rundir.read_run`.
    source : Path, optional
        The run directory it was read from.
    engine : str
        ``"des"`` (the SimPy engine) or ``"vector"`` (the vectorised fast path).
    engine_note : str, optional
        Under ``engine="auto"``, why the fast path was not used.

    Calendar columns (``daily.date``, ``events.datetime``, ``convoys.*_datetime``) are
    ``datetime64``: ``result.daily.set_index("date").resample("W")`` works. In a notebook the
    result displays as a short HTML summary with its key metrics.
    """

    scenario: Scenario
    seed: int
    replications: int
    tables: Tables
    metrics: pd.DataFrame
    wall_time_s: float
    sim_events: int
    manifest: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    source: Path | None = None
    engine: str = "des"
    engine_note: str | None = None

    def __repr__(self) -> str:
        where = f", source={str(self.source)!r}" if self.source else ""
        return (f"RunResult(scenario={self.scenario.name!r}, replications={self.replications}, "
                f"seed={self.seed}, daily={len(self.daily)} rows, events={len(self.events)} rows"
                f"{where})")

    def _repr_html_(self) -> str:
        """Notebook display: what was run, the tables' sizes and the key metrics."""
        sc = self.scenario
        head = (f"<p><b>{html.escape(sc.name)}</b>: {self.replications} replications, seed "
                f"{self.seed}, {sc.start:%Y-%m-%d} to {sc.end:%Y-%m-%d}"
                + (f", read from <code>{html.escape(str(self.source))}</code>" if self.source else "")
                + "</p>")
        sizes = ", ".join(f"<code>{n}</code> {len(getattr(self, n)):,} rows"
                          for n in ("daily", "events", "convoys", "summary"))
        cols = [c for c in ("label", "unit", "n", "mean", "ci95_low", "ci95_high", "p5", "p50", "p95")
                if c in self.metrics.columns]
        table = self.metrics.set_index("metric")[cols].to_html(
            float_format=lambda v: f"{v:,.4g}", na_rep="", border=0)
        return f"<div>{head}<p>Tables: {sizes}.</p>{table}</div>"

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

    @property
    def destinations(self) -> pd.DataFrame:
        return self.tables.destinations


def simulate(
    scenario: Scenario | ScenarioPlan,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    chunk_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    engine: str = "auto",
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
    engine : {"auto", "des", "vector"}
        ``auto``: the vectorised fast path when the scenario is eligible, else the SimPy
        engine; ``des``: the SimPy engine; ``vector``: the fast path (an
        :class:`~corridorsim.errors.EngineError` if the scenario is not eligible). The results
        are the same; ``RunResult.engine`` says which ran and ``engine_note`` why not the
        fast path under ``auto``.

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
    choice = choose_engine(plan, engine)
    t0 = time.perf_counter()
    records = run_replications(plan, s, range(n), workers=workers, chunk_size=chunk_size,
                               progress=progress, engine=choice.engine)
    wall = time.perf_counter() - t0
    tables = to_frames(records, sc.start)
    return RunResult(
        scenario=sc,
        seed=s,
        replications=n,
        tables=tables,
        metrics=key_metrics(tables.summary, len(plan.destinations)),
        wall_time_s=wall,
        sim_events=(records.sim_events if isinstance(records, RecordBatch)
                    else sum(r.sim_events for r in records)),
        engine=choice.engine,
        engine_note=choice.reason,
    )

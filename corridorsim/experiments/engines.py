"""Which engine runs a scenario's replications: the SimPy engine or the vectorised fast path.

``engine`` is ``"auto"`` (the fast path when the scenario is eligible, else the SimPy engine),
``"des"`` (always the SimPy engine) or ``"vector"`` (the fast path; an error on an ineligible
scenario). Both engines draw the same counter-based uniforms and give the same records, so the
choice changes the run time, not the results (:mod:`corridorsim.model.vector`).

Part of the experiments layer: imports the model layer only.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import NamedTuple

from ..errors import EngineError
from ..model.plan import ScenarioPlan
from ..model.records import ReplicationRecords
from ..model.replication import run_replication_with_uncertainty
from ..model.vector import ineligibility, run_replications_vector

__all__ = ["ENGINES", "EngineChoice", "choose_engine", "run_batch"]

#: Accepted values of the ``engine`` option.
ENGINES = ("auto", "des", "vector")


class EngineChoice(NamedTuple):
    """The engine that runs a plan and, under ``auto``, why not the fast path."""

    engine: str  # "des" or "vector"
    reason: str | None  # why the fast path was not used (None when it was, or not asked for)


def choose_engine(plan: ScenarioPlan, engine: str = "auto") -> EngineChoice:
    """Resolve ``engine`` for ``plan``.

    Raises
    ------
    EngineError
        For an unknown name, or ``"vector"`` on a scenario the fast path does not cover.
    """
    if engine not in ENGINES:
        raise EngineError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    if engine == "des":
        return EngineChoice("des", None)
    reason = ineligibility(plan)
    if reason is None:
        return EngineChoice("vector", None)
    if engine == "vector":
        raise EngineError(f"--engine vector: {plan.scenario.name} is not eligible for the "
                          f"vectorised fast path: {reason}")
    return EngineChoice("des", reason)


def run_batch(plan: ScenarioPlan, seed: int, replications: Sequence[int],
              engine: str = "auto",
              tables: Collection[str] = ("daily", "events", "convoys")
              ) -> Sequence[ReplicationRecords]:
    """Run ``replications`` of ``plan`` with ``engine``; records in replication order.

    Each replication's records depend only on ``(seed, replication)``, whichever engine runs
    it and whichever replications share its batch. ``tables``: the tables besides the
    summary that the caller will use (both engines skip the others; the SimPy engine builds
    the destinations rows, one per destination, always). The SimPy engine gives a list, the
    fast path a :class:`~corridorsim.model.columns.RecordBatch` (its records as columns, which
    :func:`~corridorsim.model.records.to_frames` turns into tables without making rows).
    """
    reps = list(replications)
    if not reps:
        return []
    if choose_engine(plan, engine).engine == "vector":
        return run_replications_vector(plan, seed, reps, tables=tables)
    wanted = set(tables) | {"destinations"}
    return [run_replication_with_uncertainty(plan, seed, r, tables=wanted) for r in reps]

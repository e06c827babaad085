"""A batch of replications on the fast path: check, drive the trajectories, make the records.

May import numpy and the model's pure modules (no SimPy).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import numpy as np

from ...errors import EngineError
from ..columns import RecordBatch
from ..plan import ScenarioPlan
from .arrays import array_module
from .assemble import ALL_TABLES, assemble
from .eligibility import ineligibility
from .run import Trajectories

__all__ = ["run_replications_vector"]


def run_replications_vector(plan: ScenarioPlan, seed: int, replications: Sequence[int],
                            xp: Any = None,
                            tables: Collection[str] = ALL_TABLES) -> RecordBatch:
    """Run ``replications`` of an eligible plan at once; records as the SimPy engine's.

    Parameters
    ----------
    plan : ScenarioPlan
        An eligible plan (:func:`~.eligibility.ineligibility` is None).
    seed : int
        Root seed of the run.
    replications : sequence of int
        Replication indices; each one's records depend only on ``seed`` and its index.
    xp : module, optional
        Array module (default: :func:`~.arrays.array_module`).
    tables : collection of str
        Which of ``daily``, ``events`` and ``convoys`` to make; the others are left empty (the
        summary and destination rows always are made).

    Returns
    -------
    RecordBatch
        The records as columns; also a sequence of
        :class:`~corridorsim.model.records.ReplicationRecords`, one per replication in the
        order of ``replications``, equal to the SimPy engine's.

    Raises
    ------
    EngineError
        If the plan is not eligible.
    """
    reason = ineligibility(plan)
    if reason is not None:
        raise EngineError(f"{plan.scenario.name}: the vector engine does not cover this "
                          f"scenario: {reason}")
    xp = xp or array_module()
    reps = np.asarray(list(replications), dtype=np.int64)
    traj = Trajectories(plan, seed, reps, xp)
    traj.run()
    return assemble(traj, reps, tables)

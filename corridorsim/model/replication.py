"""One replication of a compiled plan, with its uncertain parameters drawn first.

A scenario with an ``uncertainty`` block draws, per replication, its own parameter values
(:func:`corridorsim.scenario.priors.draw_parameters`, from the replication's ``parameters``
stream) and runs the engine on the plan those values give; without one, the plan runs as it is.
The drawn plan rebuilds only the parts of the plan the drawn paths feed
(:meth:`~corridorsim.model.plan.ScenarioPlan.with_scenario`): with threat parameters drawn, the
threat table (and the routes under ``least_loss``), never the network. Executors call
:func:`run_replication_with_uncertainty`, never the engine directly.

Part of the model layer: imports :mod:`corridorsim.scenario` and the other model modules.
"""

from __future__ import annotations

from collections.abc import Collection

from ..scenario.priors import apply_parameters, draw_parameters
from .engine import run_replication
from .plan import ScenarioPlan
from .records import RECORD_TABLES, ReplicationRecords
from .streams import replication_stream

__all__ = ["run_replication_with_uncertainty"]


def run_replication_with_uncertainty(plan: ScenarioPlan, seed: int, replication: int,
                                     tables: Collection[str] = RECORD_TABLES,
                                     fast_forward: bool = True) -> ReplicationRecords:
    """Run one replication, first drawing its uncertain parameters if the scenario has any.

    ``tables``, ``fast_forward``: as for :func:`~.engine.run_replication`.
    """
    if not plan.scenario.uncertainty.active:
        return run_replication(plan, seed, replication, tables, fast_forward)
    values = draw_parameters(plan.scenario, replication_stream(seed, replication, "parameters"))
    if not values:
        return run_replication(plan, seed, replication, tables, fast_forward)
    drawn = plan.with_scenario(apply_parameters(plan.scenario, values), values)
    rec = run_replication(drawn, seed, replication, tables, fast_forward)
    rec.parameters = values
    return rec

"""One replication of a compiled plan, with its uncertain parameters drawn first.

A scenario with an ``uncertainty`` block draws, per replication, its own parameter values
(:func:`corridorsim.scenario.priors.draw_parameters`, from the replication's ``parameters``
stream) and runs the engine on the plan those values give; without one, the plan runs as it is.
Executors call :func:`run_replication_with_uncertainty`, never the engine directly.
"""

from __future__ import annotations

from ..scenario.priors import apply_parameters, draw_parameters
from .engine import run_replication
from .plan import ScenarioPlan, compile_scenario
from .records import ReplicationRecords
from .streams import replication_streams

__all__ = ["run_replication_with_uncertainty"]


def run_replication_with_uncertainty(plan: ScenarioPlan, seed: int,
                                     replication: int) -> ReplicationRecords:
    """Run one replication, first drawing its uncertain parameters if the scenario has any."""
    if not plan.scenario.uncertainty.active:
        return run_replication(plan, seed, replication)
    values = draw_parameters(plan.scenario, replication_streams(seed, replication)["parameters"])
    if not values:
        return run_replication(plan, seed, replication)
    drawn = compile_scenario(apply_parameters(plan.scenario, values))
    rec = run_replication(drawn, seed, replication)
    rec.parameters = values
    return rec

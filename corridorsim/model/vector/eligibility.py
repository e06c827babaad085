"""Which scenarios the fast path runs exactly, and a one-line reason for the others.

The fast path (:mod:`.run`) follows each scheduled convoy of each replication as an
independent trajectory: it is exact when nothing couples two convoys of a replication but the
destination's stock, which they feed and which never acts back on them. That holds for
scheduled convoys with their own escort (``escort_base: null``), on any network and routing
policy, with threat phases, the per-convoy Poisson hazard with targeting and deterrence, every
severity form and the Lanchester escort effect, delays, escort losses, turn-backs (either
``turn_back_to``), checkpoint waits (fixed and random), several destinations without a
``drop_node``, and the fluid stock with rationing per destination.

Everything else couples convoys or needs the event queue, and is left to the SimPy engine:
sources (batches, staging queues and convoy formation, fleets), escort pools, closures,
attacks on standing convoys, the adversary's Cox/Hawkes opportunities (one opportunity is
shared among the convoys on the road), parameters drawn per replication. May import the
scenario schema and the model's plan.
"""

from __future__ import annotations

from ..couplings import ADVERSARY, CLOSURES, STANDING, couplings
from ..plan import ScenarioPlan

__all__ = ["ineligibility"]


def ineligibility(plan: ScenarioPlan) -> str | None:
    """Why ``plan`` cannot run on the fast path (one line), or None when it can.

    Parameters
    ----------
    plan : ScenarioPlan
        The compiled scenario.

    Returns
    -------
    str or None
        The first reason found, phrased for a user ("sources release batches ..."), or None.
    """
    sc = plan.scenario
    if sc.sources:
        return (f"{len(sc.sources)} source(s) release tankers into batches and staging queues "
                "(convoy formation runs on the SimPy engine)")
    if sc.uncertainty.active:
        return "parameters are drawn per replication (uncertainty block)"
    coupled = couplings(plan)
    if coupled:
        return {CLOSURES: "closures interrupt and re-route convoys",
                STANDING: "standing convoys can be attacked (threats.stationary)",
                ADVERSARY: f"the adversary's {sc.threats.adversary.process} opportunities are "
                           "shared among the convoys on the road"}[coupled[0]]
    pooled = [c.name for c in sc.convoys if c.escort_base is not None]
    if pooled:
        return f"scheduled convoy {pooled[0]!r} waits for its escort from a pool (escort_base)"
    dropped = [d.label for d in plan.destinations if d.drop_node is not None]
    if dropped:
        return f"destination {dropped[0]!r} has a drop_node (lots hand off to new movements)"
    return None

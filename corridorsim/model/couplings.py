"""What ties a replication's movements to one another on the road, besides the stocks they feed.

Three mechanisms make a movement's journey depend on other movements or on the event queue:

- **closures**: a road that closes re-routes or holds whoever is on it, so routes are not fixed;
- **standing attacks**: a movement waiting at a stop may be attacked, so waits matter;
- **an adversary process**: one ambush opportunity is shared by every movement on the road.

Each shortcut that works a journey or a chain out ahead of time checks them: the replayed
convoy formation (:mod:`.formation_schedule`, all three), the passages through stops that do
nothing (:mod:`.passages`, closures and the adversary), the fixed feeder trips (:mod:`.feeders`,
closures) and the fast path (:mod:`.vector.eligibility`, all three among others).

Pure; may import :mod:`.plan`.
"""

from __future__ import annotations

from .plan import ScenarioPlan

__all__ = ["CLOSURES", "STANDING", "ADVERSARY", "couplings"]

CLOSURES = "closures"
STANDING = "standing attacks"
ADVERSARY = "adversary process"


def couplings(plan: ScenarioPlan) -> tuple[str, ...]:
    """The mechanisms of ``plan`` that couple its movements, in the order above."""
    sc = plan.scenario
    found = []
    if sc.closures.scheduled or sc.closures.random:
        found.append(CLOSURES)
    if plan.standing.enabled:
        found.append(STANDING)
    if plan.threats.adversary:
        found.append(ADVERSARY)
    return tuple(found)

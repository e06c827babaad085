"""Plans of related scenarios held in one process, each derived from the closest one held.

A sweep runs many points of one scenario that differ in a few values (threat multipliers,
escort units, convoy sizes, ...). Compiled one by one, every point's plan would fill its
lazy caches again in its first replication (the feeder chain's timeline, fixed trips, routes,
legs: two to four replications' worth of work on the blockade), although most of that work
depends only on fields the points share. :class:`PlanFamily` keeps the plans a process has
made and makes a new one by :meth:`~.plan.ScenarioPlan.derive` from the held plan with which
it shares the most (the fewest plan parts to rebuild): a point that differs from another only
in threat values starts with that plan's caches (:data:`.plan.CACHE_PARTS` says which caches
a derived plan shares, and why that is exact). A scenario with another network or other dates
is compiled from scratch.

Part of the model layer: imports :mod:`.plan` and :mod:`corridorsim.scenario`.
"""

from __future__ import annotations

from collections import OrderedDict

from ..scenario.schema import Scenario
from .plan import ScenarioPlan, changed_fields, compile_scenario, parts_fed_by

__all__ = ["PlanFamily"]


class PlanFamily:
    """The plans of one process, by key, made by deriving from each other where they can.

    Parameters
    ----------
    size : int
        Plans held at most (the least recently used one is dropped; the caches it shares with
        the others stay with them).
    """

    def __init__(self, size: int = 16):
        self.size = max(1, int(size))
        self._plans: OrderedDict[str, ScenarioPlan] = OrderedDict()
        #: plans derived and compiled from scratch (for tests and benchmarks)
        self.derived = self.compiled = 0

    def __len__(self) -> int:
        return len(self._plans)

    def plan(self, scenario: Scenario, key: str) -> ScenarioPlan:
        """The plan of ``scenario``, held under ``key`` (e.g. the scenario's hash).

        A held plan is returned as it is; otherwise the new plan is derived from the held plan
        whose scenario differs from ``scenario`` in the fewest plan parts (the most recent one
        on a tie), or compiled if every held plan has another network or other dates.
        """
        hit = self._plans.get(key)
        if hit is not None:
            self._plans.move_to_end(key)
            return hit
        parent = self._closest(scenario)
        if parent is None:
            plan = compile_scenario(scenario)
            self.compiled += 1
        else:
            plan = parent.derive(scenario)
            self.derived += 1
        self._plans[key] = plan
        if len(self._plans) > self.size:
            self._plans.popitem(last=False)
        return plan

    def _closest(self, scenario: Scenario) -> ScenarioPlan | None:
        best, best_n = None, None
        for plan in reversed(self._plans.values()):
            parts = parts_fed_by(changed_fields(plan.scenario, scenario))
            if "network" in parts:
                continue
            if best_n is None or len(parts) < best_n:
                best, best_n = plan, len(parts)
        return best

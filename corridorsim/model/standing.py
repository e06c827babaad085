"""Attacks on tankers standing at a node: waiting to form a convoy, for an escort, at a checkpoint.

Hazard model
------------
A group of tankers standing at node ``x`` at time ``t`` with escort strength ``s`` is attacked as
a Poisson process in time with intensity, per hour::

    h(x, t, s) = r_x / 24 * M(x, t) * D_rate(s)

where ``r_x`` is the node's rate per day from the ordered ``threats.stationary.rules``, ``M`` the
product of the multipliers of the stationary phases active at ``t`` that select ``x`` and
``D_rate`` the deterrence factor of :mod:`corridorsim.model.threats` (with
``threats.stationary.deterrence`` if given). The intensity is piecewise constant in time, so the
time of the next attack is found exactly by integrating it against a unit-exponential budget
(:meth:`StandingTable.time_to_attack`). The outcome is drawn like an ambush's
(:func:`~corridorsim.model.threats.draw_ambush`), without turn-back: the group stays where it is.

Pure, no SimPy. May import the scenario schema and :mod:`.threats`.
"""

from __future__ import annotations

import bisect
import math

import networkx as nx

from ..scenario.schema import Deterrence, Scenario

__all__ = ["StandingTable"]


class StandingTable:
    """Per-node attack rates (per hour, unescorted) by phase period, compiled once."""

    def __init__(self, scenario: Scenario, graph: nx.Graph):
        st = scenario.threats.stationary
        self.deterrence: Deterrence = st.deterrence or scenario.threats.deterrence
        base: dict[str, float] = {}
        if scenario.threats.enabled:
            for rule in st.rules:
                for node, data in graph.nodes(data=True):
                    if rule.node is not None and node != rule.node:
                        continue
                    if rule.region is not None and data.get("region") != rule.region:
                        continue
                    base[node] = rule.attacks_per_day / 24.0
        self.enabled = any(v > 0 for v in base.values())
        times = {0.0}
        for p in st.phases:
            times.add(max(0.0, scenario.hours(p.start)))
            if p.end is not None:
                times.add(max(0.0, scenario.hours(p.end)))
        self.breaks_h = sorted(times)
        self._rates: list[dict[str, float]] = []
        for t in self.breaks_h:
            rates = dict(base)
            for p in st.phases:
                start = scenario.hours(p.start)
                end = math.inf if p.end is None else scenario.hours(p.end)
                if not start <= t < end:
                    continue
                for node in rates:
                    if p.node is not None and node != p.node:
                        continue
                    if p.region is not None and graph.nodes[node].get("region") != p.region:
                        continue
                    rates[node] *= p.multiplier
            self._rates.append(rates)

    def rate_per_h(self, node: str, t_h: float) -> float:
        """Unescorted attack intensity at ``node`` and time ``t_h``, per hour."""
        i = max(bisect.bisect_right(self.breaks_h, t_h) - 1, 0)
        return self._rates[i].get(node, 0.0)

    def time_to_attack(self, node: str, t_h: float, budget: float, deterrence: float) -> float:
        """Time (h) at which the integrated intensity from ``t_h`` reaches ``budget`` (inf: never)."""
        if not self.enabled:
            return math.inf
        t = t_h
        i = max(bisect.bisect_right(self.breaks_h, t) - 1, 0)
        while True:
            rate = self._rates[i].get(node, 0.0) * deterrence
            end = self.breaks_h[i + 1] if i + 1 < len(self.breaks_h) else math.inf
            if rate > 0 and t + budget / rate <= end:
                return t + budget / rate
            if end == math.inf:
                return math.inf
            budget -= rate * (end - t)
            t = end
            i += 1

    def integral(self, node: str, t0_h: float, t1_h: float, deterrence: float) -> float:
        """Integrated intensity at ``node`` from ``t0_h`` to ``t1_h``."""
        total, t = 0.0, t0_h
        i = max(bisect.bisect_right(self.breaks_h, t) - 1, 0)
        while t < t1_h:
            end = min(self.breaks_h[i + 1] if i + 1 < len(self.breaks_h) else math.inf, t1_h)
            total += self._rates[i].get(node, 0.0) * deterrence * (end - t)
            t = end
            i += 1
        return total

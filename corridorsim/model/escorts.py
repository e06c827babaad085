"""Escort units: where each base's units are, and how many a convoy may ask for.

Pure bookkeeping, no SimPy (the engine holds the pools as SimPy containers and calls these
methods as units move). Every unit of a base is, at every moment, in exactly one place::

    units = in the pool + with convoys (deploying, escorting) + driving home + lost awaiting
            replacement

(:meth:`EscortLedger.where`; the tests check the sum). A convoy asks for
``min(ceil(tankers / tankers_per_escort_unit), max_escort_units, units in service)``, where
units in service exclude those lost and not yet replaced: a request for more than can exist
before the replacement arrives would hold the whole queue behind it for the replacement delay.

May import numpy only.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["EscortLedger", "DayIntegral", "escort_request"]


def escort_request(tankers: int, tankers_per_unit: float, max_units: int | None,
                   in_service: int) -> int:
    """Units a convoy of ``tankers`` asks for (see the module docstring)."""
    wanted = math.ceil(tankers / tankers_per_unit)
    if max_units is not None:
        wanted = min(wanted, max_units)
    return max(0, min(wanted, in_service))


class DayIntegral:
    """Time integral of a step function, split into days (for escort units busy)."""

    def __init__(self, days: int):
        self._per_day = [0.0] * (days + 1)  # a list: numpy's scalar item updates cost more
        self.value = 0.0
        self.since = 0.0

    @property
    def per_day(self) -> np.ndarray:
        """Integral per day (unit-hours), the last element past the horizon."""
        return np.array(self._per_day)

    def change(self, now: float, delta: float) -> None:
        t = self.since
        per_day = self._per_day
        last = len(per_day) - 1
        while t < now:
            d = int(t // 24)
            end = min(now, (d + 1) * 24.0)
            per_day[min(d, last)] += self.value * (end - t)
            t = end
        self.since = now
        self.value += delta


class EscortLedger:
    """Counts of each base's units by place."""

    def __init__(self, units: list[int], days: int):
        self.units = list(units)
        n = len(units)
        self.with_convoys = [0] * n
        self.returning = [0] * n
        self.lost = [0] * n  # awaiting replacement
        self.busy = DayIntegral(days)

    def in_service(self, base: int) -> int:
        """Units that exist now (not lost awaiting replacement)."""
        return self.units[base] - self.lost[base]

    def taken(self, base: int, n: int, now: float) -> None:
        self.with_convoys[base] += n
        self.busy.change(now, n)

    def lose(self, base: int, n: int, now: float) -> None:
        self.with_convoys[base] -= n
        self.lost[base] += n
        self.busy.change(now, -n)

    def replaced(self, base: int, n: int) -> None:
        self.lost[base] -= n

    def head_home(self, base: int, n: int) -> None:
        self.with_convoys[base] -= n
        self.returning[base] += n

    def home(self, base: int, n: int, now: float) -> None:
        self.returning[base] -= n
        self.busy.change(now, -n)

    def where(self, base: int, pool_level: int) -> dict[str, int]:
        """Units of ``base`` by place (they sum to the base's units)."""
        return {"pool": pool_level, "with_convoys": self.with_convoys[base],
                "returning": self.returning[base], "lost_awaiting_replacement": self.lost[base]}

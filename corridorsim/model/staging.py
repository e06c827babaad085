"""Staging queues: lots waiting at a staging point, and which of them form the next convoy.

Pure state, no SimPy (the engine's staging process decides *when*; this module decides *what*).

Tie rule
--------
A convoy leaves when ``min_tankers`` wait or when the first lot has waited ``max_wait_h``. Arrival
times are sums of floating-point travel times, so a lot "arriving at the deadline" may arrive a
few ulp after it. The deadline therefore fires :data:`TIE_H` hours late (0.36 ms): every lot
arriving within that tolerance of the deadline leaves with the convoy, whatever the order in
which the event queue happens to hold them.

May import :mod:`.entities`.
"""

from __future__ import annotations

from collections import deque

from .entities import Lot

__all__ = ["TIE_H", "StagingQueue"]

#: Tolerance of the staging deadline, hours (lots arriving within it of the deadline are on time).
TIE_H = 1e-7


class StagingQueue:
    """Lots waiting at one staging point, first come first served."""

    def __init__(self, n_destinations: int):
        self.items: deque[tuple[float, Lot]] = deque()
        self.tankers = 0
        self.litres = 0
        self.tankers_by_dest = [0] * n_destinations

    def __bool__(self) -> bool:
        return bool(self.items)

    def first_arrival_h(self) -> float:
        return self.items[0][0]

    def join(self, now: float, lot: Lot) -> None:
        self.items.append((now, lot))
        self._count(lot, +1)

    def _count(self, lot: Lot, sign: int) -> None:
        self.tankers += sign * lot.tankers
        self.litres += sign * lot.litres
        self.tankers_by_dest[lot.dest] += sign * lot.tankers

    def take(self, max_tankers: int) -> list[Lot]:
        """Up to ``max_tankers`` from the head; a split lot's rest keeps its place and time."""
        lots: list[Lot] = []
        room = max_tankers
        q = self.items
        while q and room > 0:
            t0, lot = q[0]
            if lot.tankers <= room:
                q.popleft()
                lots.append(lot)
                room -= lot.tankers
                self._count(lot, -1)
            else:
                part = Lot(lot.source, room, lot.payload_l, lot.dest)
                lots.append(part)
                q[0] = (t0, Lot(lot.source, lot.tankers - room, lot.payload_l, lot.dest))
                self._count(part, -1)
                room = 0
        return lots

    def lots(self) -> list[Lot]:
        return [lot for _, lot in self.items]

    def remove_empty(self) -> None:
        """Drop lots left with no tankers (after an attack on the queue); recount."""
        self.items = deque((t, lot) for t, lot in self.items if lot.tankers > 0)
        self.tankers = sum(lot.tankers for _, lot in self.items)
        self.litres = sum(lot.litres for _, lot in self.items)
        self.tankers_by_dest = [0] * len(self.tankers_by_dest)
        for _, lot in self.items:
            self.tankers_by_dest[lot.dest] += lot.tankers

"""What the trajectories of a batch did, logged as host arrays for the records.

Every call appends one block of rows; a global counter orders the blocks, so sorting a
trajectory's rows by it gives the order in which the engine would have appended them. Two
logs: events (departures, attacks, turn-backs, deliveries) and the route (pieces walked, stops
appended, as :meth:`corridorsim.model.driving.Driving.walk` builds it). May import numpy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .arrays import to_host

__all__ = ["Log", "EVENT_KINDS"]

#: Event kinds the fast path writes, by code.
EVENT_KINDS = ("departure", "ambush", "ied", "turn_back", "delivery")

_EVENT_COLUMNS = ("traj", "seq", "time", "kind", "node", "leg", "k", "frac", "tankers",
                  "destroyed_t", "escort", "escort_lost", "delay", "turned")
_ROUTE_COLUMNS = ("traj", "seq", "leg", "k_end", "node")


class Log:
    """Event and route rows of a batch of trajectories."""

    def __init__(self) -> None:
        self.counter = 0
        self.events: dict[str, list[np.ndarray]] = {c: [] for c in _EVENT_COLUMNS}
        self.route: dict[str, list[np.ndarray]] = {c: [] for c in _ROUTE_COLUMNS}

    def tick(self) -> int:
        self.counter += 1
        return self.counter

    def _put(self, table: dict, **cols: Any) -> None:
        size = cols["traj"].size
        seq = self.tick()
        for name, rows in table.items():
            value = cols.get(name, seq if name == "seq" else -1)
            rows.append(np.broadcast_to(to_host(value) if not np.isscalar(value) else value,
                                        (size,)).copy())

    def event(self, tr: Any, idx: Any, kind: str, node: Any) -> None:
        """A departure, turn-back or delivery of trajectories ``idx`` at their clocks."""
        h = to_host(idx)
        self._put(self.events, traj=h, time=to_host(tr.now[idx]), kind=EVENT_KINDS.index(kind),
                  node=node, tankers=to_host(tr.n[idx]), escort=to_host(tr.e[idx]),
                  destroyed_t=0, escort_lost=0, delay=0.0, turned=False, frac=np.nan)

    def attack(self, tr: Any, idx: Any, amb: np.ndarray, n0: np.ndarray, k: np.ndarray,
               e0: np.ndarray, lost: np.ndarray, delay: np.ndarray, turned: np.ndarray) -> None:
        """Ambushes (``amb``) and IED strikes on trajectories ``idx`` at their clocks."""
        self._put(self.events, traj=to_host(idx), time=to_host(tr.now[idx]),
                  kind=np.where(amb, 1, 2), node=-1, leg=to_host(tr.leg[idx]),
                  k=to_host(tr.hit_k[idx]), frac=to_host(tr.hit_f[idx]), tankers=n0,
                  destroyed_t=k, escort=e0, escort_lost=lost, delay=delay, turned=turned)

    def walk(self, tr: Any, idx: Any, leg: Any, k_end: Any) -> None:
        """Trajectories ``idx`` walked the first ``k_end`` pieces of ``leg``."""
        self._put(self.route, traj=to_host(idx), leg=to_host(leg), k_end=to_host(k_end), node=-1)

    def append_node(self, tr: Any, idx: Any, node: Any) -> None:
        """Trajectories ``idx`` stand at stop ``node`` (added to the route if not its last)."""
        self._put(self.route, traj=to_host(idx), node=to_host(node), leg=-1, k_end=0)

    def frames(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Both logs as concatenated columns."""
        def cat(table: dict) -> dict[str, np.ndarray]:
            return {c: (np.concatenate(v) if v else np.zeros(0)) for c, v in table.items()}
        return cat(self.events), cat(self.route)

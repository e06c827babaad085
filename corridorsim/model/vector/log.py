"""What the trajectories of a batch did, logged as host arrays for the records.

Every call appends one block of rows; a global counter orders the blocks, so sorting a
trajectory's rows by it gives the order in which the engine would have appended them. Three
logs: events (departures, attacks, turn-backs, deliveries), the route (pieces walked, stops
appended, as :meth:`corridorsim.model.driving.Driving.walk` builds it) and the resumes (every
timeout that fired, linked to the one before it in its trajectory, from which
:func:`processing_rank` recovers SimPy's order among events of equal time). May import numpy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .arrays import to_host

__all__ = ["Log", "EVENT_KINDS", "processing_rank"]

#: Event kinds the fast path writes, by code.
EVENT_KINDS = ("departure", "ambush", "ied", "turn_back", "delivery")

_EVENT_COLUMNS = ("traj", "seq", "time", "resume", "kind", "node", "leg", "k", "frac", "tankers",
                  "destroyed_t", "escort", "escort_lost", "delay", "turned")
_ROUTE_COLUMNS = ("traj", "seq", "leg", "k_end", "node")
_RESUME_COLUMNS = ("traj", "time", "prev")


class Log:
    """Event and route rows of a batch of trajectories."""

    def __init__(self) -> None:
        self.counter = 0
        self.events: dict[str, list[np.ndarray]] = {c: [] for c in _EVENT_COLUMNS}
        self.route: dict[str, list[np.ndarray]] = {c: [] for c in _ROUTE_COLUMNS}
        self.resumes: dict[str, list[np.ndarray]] = {c: [] for c in _RESUME_COLUMNS}
        self.n_resumes = 0

    def tick(self) -> int:
        self.counter += 1
        return self.counter

    def _put(self, table: dict, **cols: Any) -> None:
        size = cols["traj"].size
        seq = self.tick()
        for name, rows in table.items():
            value = cols.get(name, seq if name == "seq" else -1)
            # a constant column as a read-only view (the frame's concatenation copies it)
            rows.append(np.broadcast_to(np.asarray(value), (size,)) if np.isscalar(value)
                        else to_host(value))

    def event(self, tr: Any, idx: Any, kind: str, node: Any) -> None:
        """A departure, turn-back or delivery of trajectories ``idx`` at their clocks."""
        h = to_host(idx)
        self._put(self.events, traj=h, time=to_host(tr.now[idx]), resume=to_host(tr.resume[idx]),
                  kind=EVENT_KINDS.index(kind),
                  node=node, tankers=to_host(tr.n[idx]), escort=to_host(tr.e[idx]),
                  destroyed_t=0, escort_lost=0, delay=0.0, turned=False, frac=np.nan)

    def attack(self, tr: Any, idx: Any, amb: np.ndarray, n0: np.ndarray, k: np.ndarray,
               e0: np.ndarray, lost: np.ndarray, delay: np.ndarray, turned: np.ndarray) -> None:
        """Ambushes (``amb``) and IED strikes on trajectories ``idx`` at their clocks."""
        self._put(self.events, traj=to_host(idx), time=to_host(tr.now[idx]),
                  resume=to_host(tr.resume[idx]), kind=np.where(amb, 1, 2), node=-1, leg=to_host(tr.leg[idx]),
                  k=to_host(tr.hit_k[idx]), frac=to_host(tr.hit_f[idx]), tankers=n0,
                  destroyed_t=k, escort=e0, escort_lost=lost, delay=delay, turned=turned)

    def resumed(self, tr: Any, idx: Any) -> None:
        """A timeout fired for trajectories ``idx`` (at their clocks): one resume row each,
        linked to the trajectory's previous one (the step that scheduled it)."""
        if not idx.size:
            return
        xp = tr.xp
        self._put(self.resumes, traj=to_host(idx), time=to_host(tr.now[idx]),
                  prev=to_host(tr.resume[idx]))
        tr.resume[idx] = self.n_resumes + xp.arange(idx.size)
        self.n_resumes += int(idx.size)

    def walk(self, tr: Any, idx: Any, leg: Any, k_end: Any) -> None:
        """Trajectories ``idx`` walked the first ``k_end`` pieces of ``leg``."""
        self._put(self.route, traj=to_host(idx), leg=to_host(leg), k_end=to_host(k_end), node=-1)

    def append_node(self, tr: Any, idx: Any, node: Any) -> None:
        """Trajectories ``idx`` stand at stop ``node`` (added to the route if not its last)."""
        self._put(self.route, traj=to_host(idx), node=to_host(node), leg=-1, k_end=0)

    def frame(self, name: str) -> dict[str, np.ndarray]:
        """The ``events``, ``route`` or ``resumes`` log as concatenated columns."""
        table = {"events": self.events, "route": self.route, "resumes": self.resumes}[name]
        return {c: (np.concatenate(v) if v else np.zeros(0)) for c, v in table.items()}


def processing_rank(resumes: dict[str, np.ndarray], rep: np.ndarray,
                    depart_order: np.ndarray) -> np.ndarray:
    """Rank of each resume in SimPy's processing order, within its replication.

    SimPy serves events by time, then in the order they were scheduled; a trajectory's
    timeout is scheduled while its previous one is served. So two resumes of equal time come
    in the order of the resumes that scheduled them, recursively, down to the departures
    (scheduled at hour 0 in the order of the convoys). Sorting by (replication, time, rank of
    the previous resume) until the ranks stop changing gives that order.

    Parameters
    ----------
    resumes : dict of arrays
        ``time`` and ``prev`` (-1 for a departure) of each resume.
    rep : array of int
        Replication of each resume.
    depart_order : array of int
        Departure order of each resume's convoy (ties among departures).
    """
    n = resumes["time"].size
    prev = resumes["prev"].astype(np.int64)
    rank = np.zeros(n, dtype=np.int64)
    for _ in range(n + 1):
        prev_rank = np.where(prev >= 0, rank[np.maximum(prev, 0)], -1)
        order = np.lexsort((depart_order, prev_rank, resumes["time"], rep))
        new = np.empty(n, dtype=np.int64)
        new[order] = np.arange(n)
        if np.array_equal(new, rank):
            break
        rank = new
    return rank

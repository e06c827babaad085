"""The legs a scheduled convoy can drive, compiled on the host as it first needs them.

Without closures a convoy's route from a stop depends only on where it is and which of its
``via`` nodes it has not yet passed, and the way back after a turn-back only on the piece it
was attacked on: so the legs form a small table, grown the first time any trajectory reaches a
new (convoy, stop, via state) or is turned back on a new piece. The fast path keeps, per
trajectory, the index of its leg; the table gives the leg's pieces as padded arrays. Routes
and retreats are computed by the engine's own code (:class:`~corridorsim.model.routing.Router`,
:meth:`~corridorsim.model.driving.Driving.retreat`), so the vector path drives the same
roads. May import the model's plan, routing, closures and driving modules (no SimPy).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..closures import ClosureState
from ..driving import Driving
from ..plan import Piece, ScenarioPlan

__all__ = ["Leg", "Itinerary", "host_map"]


@dataclass(frozen=True)
class Leg:
    """One leg: its pieces (the first one's start fraction is set per trajectory) and end."""

    pieces: tuple[Piece, ...]
    end: str  # the stop it leads to
    path: tuple[str, ...]  # forward legs: the whole path planned to the target
    retreat: bool


@dataclass
class _Shim:
    """What :meth:`Driving.retreat` reads from the engine and from a movement."""

    sc: Any
    plan: ScenarioPlan
    closed: ClosureState
    route: list[str] = field(default_factory=list)
    origin: str = ""


def host_map(fn: Callable[..., tuple], keys: Sequence[np.ndarray], n_out: int) -> list[np.ndarray]:
    """Apply ``fn`` once per distinct row of the integer ``keys`` columns; spread the results.

    Returns ``n_out`` arrays (float64 or int64 as ``fn`` returns), one element per row.
    """
    if not len(keys[0]):
        return [np.zeros(0, dtype=np.int64) for _ in range(n_out)]
    cols = [np.asarray(k, dtype=np.int64) for k in keys]
    if all((col == col[0]).all() for col in cols):  # one distinct row (say, one convoy's)
        result = fn(*(int(col[0]) for col in cols))
        return [np.full(cols[0].shape, result[j], dtype=np.int64) for j in range(n_out)]
    spans = [int(col.max()) - int(col.min()) + 1 for col in cols]
    if math.prod(spans) < 2**62:  # one integer per row (mixed radix): a fast 1-D unique
        code = np.zeros(cols[0].shape, dtype=np.int64)
        for col, span in zip(cols, spans):
            code = code * span + (col - col.min())
        _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    else:
        _, first, inverse = np.unique(np.stack(cols, axis=1), axis=0, return_index=True,
                                      return_inverse=True)
    results = [fn(*(int(col[i]) for col in cols)) for i in first.tolist()]
    return [np.asarray([r[j] for r in results], dtype=np.int64)[inverse.reshape(-1)]
            for j in range(n_out)]


class Itinerary:
    """The leg table of a plan's scheduled convoys (host side).

    Parameters
    ----------
    plan : ScenarioPlan
    """

    def __init__(self, plan: ScenarioPlan):
        self.plan = plan
        self.closed = ClosureState(plan.edge_index, plan.edge_keys)
        self.nodes = list(plan.graph.nodes)
        self.node_id = {n: i for i, n in enumerate(self.nodes)}
        sc = plan.scenario
        self.vias = [tuple(c.via if c.via is not None else plan.router.via.get(c.origin, ()))
                     for c in sc.convoys]
        self.targets = [self.node_id[plan.dest_nodes[sc.destination_index(c.destination)]]
                        for c in sc.convoys]
        self.legs: list[Leg] = []
        self._forward: dict[tuple[int, int, int], int] = {}
        self._retreat: dict[tuple[int, int], tuple[int, int]] = {}
        self._mask: dict[tuple[int, int, int], int] = {}
        self._arrays: dict[str, np.ndarray] | None = None

    # ------------------------------------------------------------------ lookups
    def forward(self, convoy: int, at: int, via_bits: int) -> tuple[int]:
        """Leg from stop ``at`` towards the convoy's target with the via nodes in ``via_bits``
        still ahead; -1 when no route exists (the convoy then waits for good)."""
        key = (convoy, at, via_bits)
        hit = self._forward.get(key)
        if hit is None:
            via = [v for j, v in enumerate(self.vias[convoy]) if via_bits >> j & 1]
            closed = self.closed
            here, target = self.nodes[at], self.nodes[self.targets[convoy]]
            path = self.plan.router.route_on(here, target, via, closed.edges, closed.nodes)
            if path is None or len(path) < 2:
                hit = -1
            else:
                pieces, end = self.plan.first_leg(path)
                hit = self._add(Leg(pieces, end, path, False))
            self._forward[key] = hit
        return (hit,)

    def retreat(self, leg: int, k: int) -> tuple[int, int]:
        """Retreat after a turn-back on piece ``k`` of forward leg ``leg``: (leg, stop id).

        The retreat leg's first piece is the attacked edge driven back; its start fraction
        (``1 - frac`` of the attack) is set per trajectory.
        """
        key = (leg, k)
        hit = self._retreat.get(key)
        if hit is None:
            fw = self.legs[leg]
            start = fw.pieces[0].u
            shim = _Shim(self.plan.scenario, self.plan, self.closed, [start], start)
            p = fw.pieces[k]
            travelled = [*fw.pieces[:k], Piece(p.edge, p.u, p.v, 0.0, 0.5)]
            back, stop = Driving.retreat(shim, shim, travelled, (p, 0.5))
            back = tuple(Piece(q.edge, q.u, q.v, 0.0, q.f1) for q in back)
            hit = (self._add(Leg(back, stop, (), True)) if back else -1, self.node_id[stop])
            self._retreat[key] = hit
        return hit

    def via_mask(self, convoy: int, leg: int, k_end: int) -> tuple[int]:
        """Bits of the convoy's via nodes reached at the ends of the leg's first ``k_end``
        pieces (the nodes :meth:`Driving.walk` adds to the route)."""
        key = (convoy, leg, k_end)
        hit = self._mask.get(key)
        if hit is None:
            ends = {p.v for p in self.legs[leg].pieces[:k_end]}
            hit = sum(1 << j for j, v in enumerate(self.vias[convoy]) if v in ends)
            self._mask[key] = hit
        return (hit,)

    def _add(self, leg: Leg) -> int:
        self.legs.append(leg)
        self._arrays = None
        return len(self.legs) - 1

    # ------------------------------------------------------------------ arrays
    def arrays(self) -> dict[str, np.ndarray]:
        """Padded per-leg arrays: ``edge``, ``u`` and ``v`` (node ids) of each piece (legs,
        pieces), ``n_pieces``, ``end`` (node id)."""
        if self._arrays is None:
            width = max((len(g.pieces) for g in self.legs), default=1)
            edge, u, v = (np.zeros((max(len(self.legs), 1), width), dtype=np.int64)
                          for _ in range(3))
            n = np.zeros(max(len(self.legs), 1), dtype=np.int64)
            end = np.zeros(max(len(self.legs), 1), dtype=np.int64)
            for j, g in enumerate(self.legs):
                edge[j, :len(g.pieces)] = [p.edge for p in g.pieces]
                u[j, :len(g.pieces)] = [self.node_id[p.u] for p in g.pieces]
                v[j, :len(g.pieces)] = [self.node_id[p.v] for p in g.pieces]
                n[j] = len(g.pieces)
                end[j] = self.node_id[g.end]
            self._arrays = {"edge": edge, "u": u, "v": v, "n_pieces": n, "end": end}
        return self._arrays

    def full_via(self, convoy: int) -> int:
        """Bits of all the convoy's via nodes (none passed yet)."""
        return (1 << len(self.vias[convoy])) - 1

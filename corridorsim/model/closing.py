"""Road and node closures as they happen in a replication: scheduled and random closures,
the movements they cut off, the events they leave.

Generator methods are SimPy processes run by the engine's Replication (a mixin: they use
``self.env`` and the engine's bookkeeping, so this module need not import SimPy); the set of
closed roads is :class:`~.closures.ClosureState`. May import the other model modules.
"""

from __future__ import annotations

from .streams import keyed_rng
from .threats import draw_duration

__all__ = ["Closing"]


class Closing:
    """Closure processes, mixed into the engine's Replication."""

    def _close(self, edge, node, name: str) -> None:
        self.closed.close(edge, node)
        self._closure_event("closure", edge, node, name)
        for mv in list(self.active):
            if mv.moving and mv.process is not None and self.closed.blocked(mv.remaining):
                mv.process.interrupt("closure")

    def _reopen(self, edge, node, name: str) -> None:
        self.closed.reopen(edge, node)
        self._closure_event("reopening", edge, node, name)
        ev, self.graph_changed = self.graph_changed, self.env.event()
        ev.succeed()

    def _closure_event(self, kind: str, edge, node, name: str) -> None:
        if edge is not None:
            a, b = edge
            self.event(kind, piece=self.closed.piece_of(edge), frac=0.5, detail=name or f"{a}-{b}")
        else:
            self.event(kind, node=node or "", detail=name or node or "")

    def _scheduled_closure(self, c):
        env = self.env
        start = max(0.0, self.sc.hours(c.start))
        if start >= self.plan.horizon_h:
            return
        yield env.timeout(start)
        self._close(c.edge, c.node, c.name)
        if c.end is None:
            return
        end = self.sc.hours(c.end)
        if end >= self.plan.horizon_h:
            return
        yield env.timeout(end - env.now)
        self._reopen(c.edge, c.node, c.name)

    def _random_closure(self, c, k: int):
        env = self.env
        rng = keyed_rng(self.seed, self.rep, "closures", k)
        if c.rate_per_day <= 0:
            return
        while True:
            yield env.timeout(float(rng.exponential(24.0 / c.rate_per_day)))
            duration = draw_duration(rng, c.duration)
            self._close(c.edge, c.node, c.name)
            yield env.timeout(duration)
            self._reopen(c.edge, c.node, c.name)

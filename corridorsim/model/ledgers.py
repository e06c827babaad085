"""Where tankers, litres, fleets and escort units are now: the conservation ledgers.

A mixin of the engine's :class:`~corridorsim.model.engine.Replication` (it reads the engine's
bookkeeping; no SimPy). The tests check, at every moment, per destination: litres and tankers
loaded = delivered + destroyed + moving + waiting at staging points; for a finite fleet, fleet =
at the source + loaded + driving back empty + destroyed; for escorts, units = pool + with
convoys + driving home + lost awaiting replacement. With the feeder chain replayed
(:mod:`.fastforward`), its batches on the road and in queues are counted from the timeline.

May import the other model modules.
"""

from __future__ import annotations

from .entities import Lot

__all__ = ["Ledgers"]


class Ledgers:
    """The ledgers of a replication, mixed into the engine's Replication."""

    def ledger(self, dest: int | None = None) -> dict[str, int]:
        """Loaded, delivered, destroyed, moving and staged tankers and litres now.

        National totals, or those of destination ``dest`` (an index into the destinations).
        """
        def keep(lot: Lot) -> bool:
            return dest is None or lot.dest == dest

        def total(xs: list[int]) -> int:
            return sum(xs) if dest is None else xs[dest]

        moving = [lot for m in self.active for lot in m.lots if keep(lot)]
        staged = [lot for q in self.queues.values() for lot in q.lots() if keep(lot)]
        chain = self.chain_ledger(dest) if self._ff is not None else (0, 0, 0, 0)
        return {
            "loaded_t": total(self.loaded_t), "loaded_l": total(self.loaded_l),
            "delivered_t": total(self.delivered_t), "delivered_l": total(self.delivered_l),
            "destroyed_t": total(self.destroyed_t), "destroyed_l": total(self.destroyed_l),
            "moving_t": sum(lot.tankers for lot in moving) + chain[0],
            "moving_l": sum(lot.litres for lot in moving) + chain[1],
            "staged_t": sum(lot.tankers for lot in staged) + chain[2],
            "staged_l": sum(lot.litres for lot in staged) + chain[3],
        }

    def fleet_ledger(self, source: int) -> dict[str, int]:
        """Where a finite fleet's tankers are: at source, loaded, returning, destroyed."""
        loaded = sum(lot.tankers for m in self.active for lot in m.lots if lot.source == source)
        loaded += sum(lot.tankers for q in self.queues.values() for lot in q.lots()
                      if lot.source == source)
        return {
            "at_source": self.fleet_available[source] or 0,
            "loaded": loaded,
            "returning": self.fleet_returning[source],
            "destroyed": self.fleet_destroyed[source],
        }

    def escort_ledger(self, base: int) -> dict[str, int]:
        """Where the units of escort base ``base`` are (the values sum to its units)."""
        return self.escorts.where(base, int(self.pools[base].level))

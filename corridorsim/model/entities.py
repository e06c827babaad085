"""What moves and waits in a replication: lots of tankers and the movements that carry them.

Pure state (dataclasses), no SimPy: the engine (:mod:`corridorsim.model.engine`) creates and
drives them. May import :mod:`.counters` only.

A :class:`Lot` is tankers of one source, one payload and one destination; a :class:`Movement`
(a convoy, an unescorted batch, a scheduled convoy or a lot gone on alone) carries one or more
lots, possibly for several destinations. Counts, never one object per truck.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .counters import CounterStream

__all__ = ["Lot", "Movement", "split_by_shares", "merge_lots"]


@dataclass(slots=True)
class Lot:
    """Tankers of one source with one payload and one destination, travelling together."""

    source: int  # index into scenario.sources; -1 for a scheduled convoy
    tankers: int
    payload_l: int
    dest: int = 0  # index into scenario.destinations

    @property
    def litres(self) -> int:
        return self.tankers * self.payload_l


@dataclass(eq=False, slots=True)
class Movement:
    """A convoy or a batch of tankers on the road (an entity with counts, not trucks)."""

    id: int
    name: str
    kind: str  # "convoy", "batch", "scheduled" or "lot" (split off a convoy)
    source: str
    origin: str
    target: str
    lots: list[Lot]
    via: tuple[str, ...] | None = None
    escort_base: int | None = None  # pool the escort comes from; None = dedicated or none
    escort_wanted: int = 0
    escort_policy: str = "wait"
    regroup_delay_h: float = 24.0
    formed_h: float = 0.0
    to_staging: bool = False  # heading for a staging point (drops nothing on the way)
    # state
    escort_units: int = 0
    escort_units_lost: int = 0
    escort_wait_h: float = 0.0
    wait_start_h: float = math.nan  # when it started waiting for its escort
    depart_h: float = math.nan
    tankers_start: int = 0
    litres_start: int = 0
    destroyed_t: int = 0
    destroyed_l: int = 0
    handed_t: int = 0
    handed_l: int = 0
    attacks: int = 0
    turn_backs: int = 0
    route: list[str] = field(default_factory=list)
    budget_ambush: float = 0.0
    budget_ied: float = 0.0
    process: object = None  # the SimPy process driving it
    rng: CounterStream | None = None  # the movement's own stream (see streams.py)
    planned: tuple[str, ...] = ()  # the path last planned from a stop to the target
    remaining: tuple = ()  # pieces still ahead while moving (for closures)
    moving: bool = False
    on_road: bool = False  # inside a stretch's timeout (a target for the adversary)
    rows: list | tuple = ()  # (edge, t start h, t end h, ambush per km) being driven
    waiting_escort: bool = False
    replay: object = None  # the FixedTrip of a batch run without a process (.feeders)
    leg_ends: list | tuple = ()  # its legs' arrival times, h (a replayed trip)
    tankers: int = 0  # sum over lots, kept up to date by Movement.remove
    litres: int = 0

    def __post_init__(self) -> None:
        tankers = litres = 0  # (one loop, no generators: a movement is made per lot handed off)
        for lot in self.lots:
            tankers += lot.tankers
            litres += lot.tankers * lot.payload_l
        self.tankers, self.litres = tankers, litres

    def take_lots(self, chosen: list[Lot]) -> None:
        """Remove whole lots (delivered or handed off; distinct lots of this movement)."""
        if len(chosen) == len(self.lots):  # all of them (the usual delivery at the last stop)
            self.lots = []
        else:
            ids = {id(lot) for lot in chosen}
            self.lots = [lot for lot in self.lots if id(lot) not in ids]
        tankers = litres = 0
        for lot in chosen:
            tankers += lot.tankers
            litres += lot.tankers * lot.payload_l
        self.tankers -= tankers
        self.litres -= litres


def split_by_shares(n: int, shares: list[float], assigned: list[int]) -> list[int]:
    """Share ``n`` new tankers among destinations, keeping cumulative counts on their shares.

    Each tanker goes to the destination furthest below its share of the cumulative total
    (largest deficit; ties: the first listed), so after any release the counts differ from
    ``share * total`` by less than one tanker. ``assigned`` (cumulative counts) is updated.
    """
    out = [0] * len(shares)
    if len(shares) == 1:
        assigned[0] += n
        return [n]
    total = sum(assigned)
    for _ in range(n):
        total += 1
        k = max(range(len(shares)), key=lambda j: (shares[j] * total - assigned[j], -j))
        assigned[k] += 1
        out[k] += 1
    return out


def merge_lots(lots: list[Lot]) -> list[Lot]:
    """One lot per (source, payload, destination), in the order of their first lots.

    Lots alike in all three are interchangeable once in one movement (nothing reads which of
    them a tanker came in), so a convoy formed from many daily batches carries a handful of lots
    instead of dozens. A loss shared out across the merged lots at random (multivariate
    hypergeometric) has the distribution of the same loss shared across the original lots and
    summed.
    """
    merged: dict[tuple[int, int, int], Lot] = {}
    for lot in lots:
        key = (lot.source, lot.payload_l, lot.dest)
        have = merged.get(key)
        if have is None:
            merged[key] = Lot(lot.source, lot.tankers, lot.payload_l, lot.dest)
        else:
            have.tankers += lot.tankers
    return list(merged.values())

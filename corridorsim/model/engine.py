"""The discrete-event model: one replication = one SimPy environment + one set of streams.

This is the only module that imports SimPy. It knows nothing of YAML, files, plots or the
command line: it takes a :class:`~corridorsim.model.plan.ScenarioPlan`, a seed and a replication
index and returns :class:`~corridorsim.model.records.ReplicationRecords`. The state it drives and
the rules it applies live in small SimPy-free modules: :mod:`.entities` (lots, movements),
:mod:`.staging` (queues, tie rule), :mod:`.escorts` (units by place, request cap),
:mod:`.stock` (fluid stock per destination), :mod:`.closures`, :mod:`.hazard` (where the next
attack is), :mod:`.standing` (attacks on standing tankers), :mod:`.threats` (attack outcomes),
:mod:`.tally` (the rows at the end); the supply and staging processes are in :mod:`.formation`,
the movements' in :mod:`.journeys` (:mod:`.driving`, :mod:`.drive_through`), the closures' in
:mod:`.closing`.

Actors (SimPy processes)
------------------------
``supply``       one per source: releases loaded tankers at the scheduled rate (limited by a
                 finite fleet), shared among destinations by the source's shares.
``staging``      one per staging point: forms convoys (min size / max wait / max size); the
                 queue may be attacked while it waits.
``movement``     one per convoy, batch or lot (:mod:`.journeys`).
``clock``        closes each day: notes who is waiting; ends the run at the horizon.
``closure``      one per scheduled or random closure.

Conservation (checked by the tests through the ledgers of :mod:`.ledgers`), per destination: litres
and tankers loaded = delivered + destroyed + moving + waiting at staging points, at every
moment; for a finite fleet, fleet = at the source + loaded + driving back empty + destroyed; for
escorts, units = pool + with convoys + driving home + lost awaiting replacement.
"""

from __future__ import annotations

import math
from collections.abc import Collection

import simpy

from .closing import Closing
from .closures import ClosureState
from .counters import CounterStream
from .couplings import ADVERSARY, CLOSURES, couplings
from .entities import Lot, Movement
from .escorts import EscortLedger
from .fastforward import Ambiguous, ChainRecorder, FastForward
from .formation import Formation
from .formation_schedule import FormationTimeline
from .journeys import Journeys
from .ledgers import Ledgers
from .passages import Passage
from .plan import Piece, ScenarioPlan
from .records import RECORD_TABLES, EventRow, ReplicationRecords
from .staging import StagingQueue
from .stock import FluidStock
from .streams import MovementStreams
from .tally import daily_rows, destination_rows, summary_row

__all__ = ["Replication", "run_replication", "Lot", "Movement"]

_new = tuple.__new__  # a NamedTuple from a tuple of its values (see .hazard)


class Replication(Ledgers, FastForward, Formation, Journeys, Closing):
    """One replication of a scenario.

    Parameters
    ----------
    plan : ScenarioPlan
        Compiled scenario (shared, read-only).
    seed : int
        Root seed of the run.
    replication : int
        Replication index; streams come from ``SeedSequence(seed, spawn_key=(replication, ...))``.
    tables : collection of str
        The tables of :data:`~.records.RECORD_TABLES` to build rows for (default all); the
        summary is always built, and the others stay empty.
    fast_forward : bool
        Replay the feeder chain's timeline where that is exact (:mod:`.fastforward`) and drive
        movements through the stops that do nothing to them without those stops' logic
        (:mod:`.passages`); False runs both in full (the same records: the tests compare both).
    """

    Interrupt = simpy.Interrupt  # for the processes in .journeys (which do not import SimPy)

    def __init__(self, plan: ScenarioPlan, seed: int, replication: int,
                 tables: Collection[str] = RECORD_TABLES, fast_forward: bool = True):
        unknown = set(tables) - RECORD_TABLES
        if unknown:
            raise ValueError(f"unknown tables {sorted(unknown)}; expected some of {sorted(RECORD_TABLES)}")
        self.fast_forward = fast_forward
        self._ff = None
        # stops that do nothing driven through (.passages): exact where routes cannot change
        # and nothing interrupts a movement on the road
        self.passing = fast_forward and not {CLOSURES, ADVERSARY} & set(couplings(plan))
        self.keep_events = "events" in tables
        self.keep_convoys = "convoys" in tables
        self.tables = frozenset(tables)
        self.convoys_formed = 0  # convoy rows of kind convoy or scheduled (the summary's count)
        self.plan = plan
        self.sc = sc = plan.scenario
        self.rep = replication
        self.seed = seed
        self.streams = MovementStreams(seed, replication)  # movement streams, by (kind, origin)
        self.env = simpy.Environment()
        self.records = ReplicationRecords(replication)
        self.days = days = plan.days
        nd = len(plan.destinations)
        self.n_dest = nd
        self.stocks = [FluidStock(d.initial_stock_l, d.capacity_l, plan.demands[k],
                                  plan.rationings[k], plan.horizon_h)
                       for k, d in enumerate(plan.destinations)]
        # ledger, per destination
        self.loaded_t, self.loaded_l = [0] * nd, [0] * nd
        self.delivered_t, self.delivered_l = [0] * nd, [0] * nd
        self.destroyed_t, self.destroyed_l = [0] * nd, [0] * nd
        self.active: set[Movement] = set()
        self.escort_waiting: set[Movement] = set()  # the active ones waiting for their escort
        #: (escort units, tankers) -> (deterrence, targeting factor) of a moving convoy
        self.traverse_factors: dict[tuple[int, int], tuple[float, float]] = {}
        # per-day accumulators [destination][day] and [day]
        self.day_delivered_l = [[0] * days for _ in range(nd)]
        self.day_delivered_t = [[0] * days for _ in range(nd)]
        self.day_destroyed_t = [[0] * days for _ in range(nd)]
        self.day_destroyed_l = [[0] * days for _ in range(nd)]
        self.day_waiting = [[0] * days for _ in range(nd)]
        self.day_attacks = [0] * days
        self.day_escort_lost = [0] * days
        self.ambushes = self.ieds = self.standing_attacks = 0
        # supply
        srcs = sc.sources
        self.fleet_available = [s.fleet_tankers for s in srcs]
        self.fleet_returning = [0] * len(srcs)
        self.fleet_destroyed = [0] * len(srcs)
        self.assigned = [[0] * nd for _ in srcs]  # tankers released per source and destination
        # escorts
        self.pools = [simpy.Container(self.env, capacity=max(b.units, 1), init=b.units)
                      for b in plan.bases]
        self.escorts = EscortLedger([b.units for b in plan.bases], days)
        self.escort_lost_event = [self.env.event() for _ in plan.bases]
        self.escort_units_total = sum(b.units for b in plan.bases)
        self.escort_waits: list[float] = []
        # staging queues
        self.queues = {n: StagingQueue(nd) for n in plan.staging}
        self.queue_wake: dict[str, simpy.Event] = {n: self.env.event() for n in plan.staging}
        self.closed = ClosureState(plan.edge_index, plan.edge_keys)
        self.graph_changed = self.env.event()
        self.next_id = 0
        self.done = self.env.event()

    # ------------------------------------------------------------------ bookkeeping
    def day_of(self, t_h: float) -> int:
        """Day index of an instant (midnight belongs to the new day)."""
        return min(int(t_h // 24), self.days - 1)

    def event(self, kind: str, mv: Movement | None = None, node: str = "",
              piece: Piece | None = None, frac: float = math.nan, tankers: int = 0,
              litres: int = 0, destroyed_t: int = 0, destroyed_l: int = 0, escort: int = 0,
              escort_lost: int = 0, delay_h: float = 0.0, detail: str = "") -> None:
        """Append one row to the events table (if it is kept)."""
        if not self.keep_events:
            return
        plan = self.plan
        if piece is not None:
            lat, lon = plan.position(piece, frac)
            lat, lon = round(lat, 5), round(lon, 5)
            a, b, corridor = piece.u, piece.v, plan.edge_corridor[piece.edge]
        else:  # a node's rounded position, once per plan (round costs 0.3 us)
            lat, lon = plan.node_position_5(node)
            a = b = corridor = ""
        # positional, in EventRow's field order (a keyword call binds 19 names: 3 times dearer),
        # made by tuple.__new__ (the NamedTuple's own __new__ is a Python frame more)
        self.records.events.append(_new(EventRow, (
            self.rep, round(self.env.now, 6), kind,  # replication, time_h, kind
            mv.id if mv else -1, mv.name if mv else "", node,  # convoy_id, convoy, node
            a, b, corridor, lat, lon,  # edge_from, edge_to, corridor, lat, lon (rounded)
            tankers, litres, destroyed_t, destroyed_l,  # tankers, litres, ..._destroyed
            escort, escort_lost,  # escort_units, escort_units_lost
            round(delay_h, 6) if delay_h else delay_h, detail,  # delay_h (0 unrounded), detail
        )))

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def after(self, delay_h: float, action) -> None:
        """Call ``action()`` after ``delay_h`` hours (a callback, not a process: cheaper)."""
        if delay_h > 0 and math.isfinite(delay_h):
            self.env.timeout(delay_h).callbacks.append(lambda _ev: action())
        else:
            action()

    def at(self, t_h: float, action) -> None:
        """Call ``action()`` at exactly ``t_h`` (>= now)."""
        self.env.timeout(self.delay_to(t_h)).callbacks.append(lambda _ev: action())

    def delay_to(self, t_h: float) -> float:
        """The delay whose sum with now is exactly ``t_h`` (>= now), as SimPy adds it."""
        now = self.env.now
        delay = t_h - now
        while now + delay < t_h:  # the subtraction may round: step to the delay that adds up
            delay = math.nextafter(delay, math.inf)
        while now + delay > t_h:
            delay = math.nextafter(delay, -math.inf)
        return delay

    def first_at(self, t_h: float, action) -> None:
        """Call ``action()`` at ``t_h`` before any other event of that instant (scheduled now)."""
        ev = simpy.Event(self.env)
        ev._ok, ev._value = True, None
        ev.callbacks.append(lambda _ev: action())
        self.env.schedule(ev, simpy.events.URGENT, t_h - self.env.now)

    def pending_at(self, t_h: float) -> bool:
        """Whether an event is due at exactly ``t_h`` besides the one being processed."""
        return any(entry[0] == t_h for entry in self.env._queue)

    def destroy_lots(self, lots: list[Lot], k: int, rng: CounterStream) -> int:
        """Remove ``k`` tankers from ``lots`` (chosen at random across lots); return litres."""
        counts = [lot.tankers for lot in lots]
        # the split across lots is rare and needs a real generator: built only then
        take = [k] if len(counts) == 1 else \
            rng.generator().multivariate_hypergeometric(counts, k).tolist()
        litres = 0
        d = self.day_of(self.env.now)
        for lot, x in zip(lots, take):
            if x:
                lot.tankers -= x
                litres += x * lot.payload_l
                if lot.source >= 0:
                    self.fleet_destroyed[lot.source] += x
                self.destroyed_t[lot.dest] += x
                self.destroyed_l[lot.dest] += x * lot.payload_l
                self.day_destroyed_t[lot.dest][d] += x
                self.day_destroyed_l[lot.dest][d] += x * lot.payload_l
        return litres

    def lose_escort(self, base: int | None, lost: int) -> None:
        """Escort units of ``base`` lost in an attack; replaced after the base's delay."""
        self.day_escort_lost[self.day_of(self.env.now)] += lost
        if base is None:
            return
        self.escorts.lose(base, lost, self.env.now)
        ev, self.escort_lost_event[base] = self.escort_lost_event[base], self.env.event()
        ev.succeed()

        def replaced() -> None:
            self.escorts.replaced(base, lost)
            self.pools[base].put(lost)

        self.after(self.plan.bases[base].replacement_delay_h, replaced)

    # ------------------------------------------------------------------ run
    def run(self) -> ReplicationRecords:
        """Simulate up to the horizon and return the records."""
        env = self.env
        timeline = self.fast_forward_timeline() if self.fast_forward else None
        if timeline is not None:
            self.start_fast_forward(timeline)
        else:
            for i in range(len(self.sc.sources)):
                env.process(self._supply(i))
            for node in self.plan.staging:
                env.process(self._staging(node))
        for i, c in enumerate(self.sc.convoys):
            env.process(self._scheduled_convoy(c, i))
        for c in self.sc.closures.scheduled:
            env.process(self._scheduled_closure(c))
        for i, c in enumerate(self.sc.closures.random):
            env.process(self._random_closure(c, i))
        env.process(self._clock())
        if self.plan.threats.adversary:
            env.process(self.adversary())
        if timeline is not None:
            self.schedule_formations()
        try:
            env.run(until=self.done)
        except Ambiguous as tie:  # an event ties with a replayed one: run it in full
            self.__init__(self.plan, self.seed, self.rep, self.tables, fast_forward=False)
            self.fast_forward_reason = tie.reason
            return self.run()
        if timeline is not None:
            self.finish_fast_forward()
        self.records.fast_forwarded = timeline is not None
        self._finish()
        return self.records

    @staticmethod
    def simulate_chain(plan: ScenarioPlan) -> FormationTimeline:
        """The feeder chain's timeline, from a run of the chain alone (:mod:`.fastforward`)."""
        return _ChainRun(plan, 0, 0, tables={"convoys"}, fast_forward=False).record_chain()

    # ------------------------------------------------------------------ days
    def _clock(self):
        env = self.env
        for d in range(self.days):
            yield env.timeout(min(24.0 * (d + 1), self.plan.horizon_h) - env.now)
            for q in self.queues.values():
                if q.tankers:  # (a replayed staging point's queue stays empty)
                    for k, n in enumerate(q.tankers_by_dest):
                        self.day_waiting[k][d] += n
            for mv in self.escort_waiting:  # (integer counts: any order)
                for lot in mv.lots:
                    self.day_waiting[lot.dest][d] += lot.tankers
        self.done.succeed()

    # ------------------------------------------------------------------ the end
    def _finish(self) -> None:
        plan, horizon = self.plan, self.plan.horizon_h
        censored = 0
        for mv in sorted(self.active, key=lambda m: m.id):
            if isinstance(mv.replay, Passage):  # a lot driven to its depot as one event
                self.lot_so_far(mv, horizon)
            elif mv.replay is not None:
                self.replayed_so_far(mv, horizon)
            if mv.waiting_escort:  # still waiting: the wait so far is a lower bound
                mv.escort_wait_h = horizon - mv.wait_start_h
                self.escort_waits.append(mv.escort_wait_h)
                censored += 1
            self.convoy_row(mv, "in_transit", censored=mv.waiting_escort)
        self.records.convoys.sort(key=lambda r: r.convoy_id)
        for st in self.stocks:
            st.close()
        self.escorts.busy.change(self.env.now, 0.0)
        names = plan.dest_names
        args = (self.day_delivered_l, self.day_delivered_t, self.day_destroyed_t,
                self.day_destroyed_l)
        if "daily" in self.tables:
            self.records.daily = daily_rows(self.rep, names, self.stocks, self.days, horizon,
                                            *args, self.day_attacks, self.escorts.busy.per_day,
                                            self.day_escort_lost, self.day_waiting)
        dests = destination_rows(self.rep, names, self.stocks, *args)
        if "destinations" in self.tables:
            self.records.destinations = dests
        util = (float(self.escorts.busy.per_day.sum()) / (self.escort_units_total * horizon)
                if self.escort_units_total else 0.0)
        led = self.ledger()
        self.records.summary = summary_row(
            self.rep, dests, self.stocks, delivered_l=led["delivered_l"],
            delivered_t=led["delivered_t"], loaded_t=led["loaded_t"], loaded_l=led["loaded_l"],
            destroyed_t=led["destroyed_t"], destroyed_l=led["destroyed_l"],
            ambushes=self.ambushes, ieds=self.ieds, standing=self.standing_attacks,
            convoys=self.convoys_formed,
            utilisation=util, waits=self.escort_waits, censored=censored,
            in_transit_l=led["moving_l"], staged_l=led["staged_l"])
        self.records.sim_events = next(self.env._eid)  # events scheduled so far


class _ChainRun(ChainRecorder, Replication):
    """A replication that runs only the feeder chain."""


def run_replication(plan: ScenarioPlan, seed: int, replication: int,
                    tables: Collection[str] = RECORD_TABLES,
                    fast_forward: bool = True) -> ReplicationRecords:
    """Run one replication in-process and return its records.

    ``tables``: which of :data:`~.records.RECORD_TABLES` to build (default all; the summary
    always). Leaving out the events and convoys tables saves the rows' cost, not the model's.
    ``fast_forward``: replay the feeder chain where exact (:class:`Replication`); the records
    are the same either way.
    """
    return Replication(plan, seed, replication, tables, fast_forward).run()

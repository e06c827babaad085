"""Replaying the feeder chain's timeline (:mod:`.formation_schedule`) instead of running it.

Two mixins of the engine's :class:`~corridorsim.model.engine.Replication` (they use
``self.env`` and the engine's bookkeeping, so this module need not import SimPy):

:class:`ChainRecorder`
    A replication that runs only the feeder chain (supply, staging, the batches' fixed trips
    and the day's close) with the batches' attack budgets infinite, and turns what happens into
    a :class:`~.formation_schedule.FormationTimeline` (:meth:`ChainRecorder.timeline`).
:class:`FastForward`
    The replay in a replication, at every staging point none of whose batches can be attacked
    on its last leg (:meth:`FastForward.fast_forward_timeline`); the others, with every source
    feeding them, run in full beside it. Why it is exact:

    * one *ticker* process stands where the supply processes of a run of consecutive replayed
      sources stood: every source releases at the same steps (one interval), and their
      timeouts are adjacent in SimPy's order of equal-time events, so one timeout per step
      falls where theirs fell; at each step it hands out the batches' movement ids
      (``new_id``), so ids and names interleave with the other movements' exactly as before,
      and adds the loaded tankers;
    * each group of convoys formed at one wake-up of a staging process is started at its time
      by an event scheduled as the first of that instant; if any other event is due at that
      instant, the order of equal-time events could differ, and the replication is run again
      in full (:class:`Ambiguous`; rare: the instants are float sums, which coincide with
      others only where travel times are round numbers); the convoys are built and started by
      the same code (:meth:`.formation.Formation.start_convoy`), so their streams (the
      ordinal-th convoy of their staging point), targets and escort requests are the same;
    * what the chain leaves in the records is added at the end: the batches' convoy rows (with
      their ids), the tankers waiting in queues at each day's close, and the batches still on
      the road or in queues at the horizon (the summary's ``in_transit_l`` and ``staged_l``).

May import the other model modules.
"""

from __future__ import annotations

import math

from .entities import Lot, Movement
from .feeders import plan_releases, plan_trip
from .formation_schedule import (
    ChainBatch,
    ChainFormation,
    FormationTimeline,
    check_groups,
    last_leg_hazards,
    plan_timeline,
    refusal,
    sources_at_risk,
)
from .records import ConvoyRow

__all__ = ["ChainRecorder", "FastForward", "Ambiguous"]


class Ambiguous(Exception):
    """Another event falls at the instant of a replayed formation (or of a lot driven to its
    depot as one event, :mod:`.drive_through`): run the replication in full.

    Parameters
    ----------
    t_h : float
        The instant.
    reason : str
        What ties, for ``fast_forward_reason``.
    """

    def __init__(self, t_h: float, reason: str = "an event at the instant of a formation"):
        super().__init__(t_h, reason)
        self.reason = reason


class ChainRecorder:
    """Runs only the feeder chain of a plan and records it (mixed before the Replication)."""

    def record_chain(self) -> FormationTimeline:
        """Run the chain to the horizon and return its timeline."""
        env, plan = self.env, self.plan
        self._batches: list[tuple[Movement, float, int, int, tuple]] = []
        self._ordinals = [0] * len(self.sc.sources)
        self._groups: list[list] = []  # [time, node, wake-up serial, formations]
        self._serial = dict.fromkeys(plan.staging, 0)
        self._waiting = {n: [[0] * self.days for _ in range(self.n_dest)] for n in plan.staging}
        for i in range(len(self.sc.sources)):  # the engine's order, without the other actors
            env.process(self._supply(i))
        for node in plan.staging:
            env.process(self._staging(node))
        env.process(self._clock())
        env.run(until=self.done)
        self._finish()
        return self.timeline()

    def _clock(self):  # the engine's clock, noting each queue on its own
        env, waiting = self.env, self._waiting
        for d in range(self.days):
            yield env.timeout(min(24.0 * (d + 1), self.plan.horizon_h) - env.now)
            for node, q in self.queues.items():
                for k, n in enumerate(q.tankers_by_dest):
                    waiting[node][k][d] += n
        self.done.succeed()

    @staticmethod
    def draw_budgets(mv: Movement) -> None:
        mv.budget_ambush = mv.budget_ied = math.inf  # no batch is attacked

    def wake(self, node: str) -> None:
        if not self.queue_wake[node].triggered:
            self._serial[node] += 1
        super().wake(node)

    def start_convoy(self, node: str, lots: list[Lot]) -> None:
        now, serial = self.env.now, self._serial[node]
        formed = ChainFormation(node, tuple(Lot(x.source, x.tankers, x.payload_l, x.dest)
                                            for x in lots))
        last = self._groups[-1] if self._groups else None
        if last is not None and last[:3] == [now, node, serial]:
            last[3].append(formed)
        else:
            self._groups.append([now, node, serial, [formed]])

    def start(self, mv: Movement, origin: int) -> None:
        via = mv.via if mv.via is not None else self.plan.router.via.get(mv.origin, ())
        key = (mv.origin, mv.target, tuple(via))
        self._batches.append((mv, self.env.now, origin, self._ordinals[origin], key))
        self._ordinals[origin] += 1
        super().start(mv, origin)

    def timeline(self) -> FormationTimeline:
        plan, sc = self.plan, self.sc
        interval = sc.sources[0].release_interval_h
        steps, t = {}, 0.0
        for k in range(len(plan_releases(plan, 0) or ())):
            steps[t] = k
            t += interval
        rows = {r.convoy_id: r for r in self.records.convoys}
        ticks = [[-1] * len(steps) for _ in sc.sources]
        batches, trips = [], {}
        why = None
        for b, (mv, t0, src, ordinal, key) in enumerate(self._batches):
            trip = trips[key] = plan_trip(plan, *key)
            if trip is None or not (trip.complete or trip.last) or not mv.leg_ends:
                why = "a feeder trip with random legs"
                break
            ticks[src][steps[t0]] = b
            ends = mv.leg_ends
            start = (ends[len(trip.legs) - 1] if trip.legs else t0) if trip.last else math.nan
            batches.append(ChainBatch(t0, src, mv.target, ordinal, tuple(mv.lots), key, start,
                                      ends[-1], sc.sources[src].name, rows[mv.id]))
        staged = {}
        for node, q in self.queues.items():
            per = [[0, 0] for _ in range(self.n_dest)]
            for lot in q.lots():
                per[lot.dest][0] += lot.tankers
                per[lot.dest][1] += lot.litres
            staged[node] = tuple(tuple(x) for x in per)
        out = FormationTimeline(
            why, interval_h=interval, ticks=tuple(tuple(x) for x in ticks), batches=tuple(batches),
            groups=tuple((g[0], g[1], tuple(g[3])) for g in self._groups), trips=trips,
            day_waiting=self._waiting, staged=staged)
        if why is None:
            out.refusal = check_groups(out, plan)
        return out


class FastForward:
    """The replay of the chain's timeline in a replication (see the module docstring)."""

    _ff: FormationTimeline | None = None
    fast_forward_reason: str | None = "not tried"

    def fast_forward_timeline(self) -> FormationTimeline | None:
        """The timeline to replay in this replication, or None (``fast_forward_reason`` says why).

        Sets the sources and staging points replayed; the others are run in full.
        """
        plan = self.plan
        why = refusal(plan)
        timeline = None
        if why is None:
            timeline = plan_timeline(plan, self.simulate_chain)
            why = timeline.refusal
        if why is not None:
            self.fast_forward_reason = why
            return None
        srcs = self.sc.sources
        at_risk = sources_at_risk(last_leg_hazards(plan, timeline), self.seed, self.rep)
        full = {srcs[i].staging for i in at_risk}
        self._ff_sources = frozenset(i for i, s in enumerate(srcs) if s.staging not in full)
        self._ff_nodes = frozenset(n for n in plan.staging if n not in full)
        self.fast_forward_reason = None if not full else \
            f"a batch may be attacked: {', '.join(sorted(full))} run in full"
        return timeline if self._ff_sources else None

    def start_fast_forward(self, timeline: FormationTimeline) -> None:
        """Start the supply side: tickers for the replayed sources, each standing for a run of
        consecutive ones, the supply processes of the others, in the sources' order; then the
        staging processes of the staging points run in full."""
        self._ff = timeline
        self._ff_ids = [0] * len(timeline.batches)
        self._ff_groups: list[int] = []  # groups of convoys formed
        self._ff_final = False
        env, run = self.env, []
        for i in range(len(self.sc.sources)):
            if i in self._ff_sources:
                run.append(i)
                continue
            if run:
                env.process(self._ticker(timeline, run))
                run = []
            env.process(self._supply(i))
        if run:
            env.process(self._ticker(timeline, run))
        for node in self.plan.staging:
            if node not in self._ff_nodes:
                env.process(self._staging(node))

    def schedule_formations(self) -> None:
        for g, (t, node, _) in enumerate(self._ff.groups):
            if node in self._ff_nodes:
                self.first_at(t, lambda g=g: self._form_group(g))

    def _ticker(self, tl: FormationTimeline, sources: list[int]):
        env, ids = self.env, self._ff_ids
        loaded_t, loaded_l = self.loaded_t, self.loaded_l
        for released, loads in _tick_steps(tl, sources):
            for b in released:  # ids in release order, as the supply processes take them
                self.next_id += 1
                ids[b] = self.next_id
            for k, tankers, litres in loads:  # (integer sums: any order)
                loaded_t[k] += tankers
                loaded_l[k] += litres
            yield env.timeout(tl.interval_h)

    def _form_group(self, g: int) -> None:
        t, _, formed = self._ff.groups[g]
        if self.pending_at(t):
            raise Ambiguous(t)
        self._ff_groups.append(g)
        for f in formed:
            self.start_convoy(f.node, [Lot(x.source, x.tankers, x.payload_l, x.dest)
                                       for x in f.lots])

    def chain_ledger(self, dest: int | None) -> tuple[int, int, int, int]:
        """Tankers and litres of the replayed batches on the road and in queues now."""
        tl = self._ff
        now, final = self.env.now, self._ff_final
        moving, staged = [[0, 0] for _ in range(self.n_dest)], [[0, 0] for _ in range(self.n_dest)]
        for b, mv_id in zip(tl.batches, self._ff_ids):
            if not mv_id:  # not released yet, or not replayed
                continue
            on_road = b.row.outcome == "in_transit" if final else b.arrival_h > now
            if on_road or not final:
                where = moving if on_road else staged
                for lot in b.lots:
                    where[lot.dest][0] += lot.tankers
                    where[lot.dest][1] += lot.litres
        if final:
            for node in self._ff_nodes:
                for k, (t, litres) in enumerate(tl.staged[node]):
                    staged[k][0] += t
                    staged[k][1] += litres
        else:
            for g in self._ff_groups:
                for f in tl.groups[g][2]:
                    for lot in f.lots:
                        staged[lot.dest][0] -= lot.tankers
                        staged[lot.dest][1] -= lot.litres
        if dest is None:
            return (sum(x[0] for x in moving), sum(x[1] for x in moving),
                    sum(x[0] for x in staged), sum(x[1] for x in staged))
        return (*moving[dest], *staged[dest])

    def finish_fast_forward(self) -> None:
        """Add what the replayed chain leaves in the records (before the engine's own end)."""
        tl = self._ff
        self._ff_final = True
        for node in self._ff_nodes:
            for k, days in enumerate(tl.day_waiting[node]):
                mine = self.day_waiting[k]
                for d, n in enumerate(days):
                    mine[d] += n
        if self.keep_convoys:
            rows, rep, make = self.records.convoys, self.rep, ConvoyRow._make
            # ConvoyRow's first fields are replication, convoy_id, convoy: the rest of the
            # recorded row is kept as it is (_make of a tuple, 5 times cheaper than _replace)
            for b, mv_id in zip(tl.batches, self._ff_ids):
                if mv_id:
                    rows.append(make((rep, mv_id, f"{b.name}-{mv_id}", *b.row[3:])))


def _tick_steps(tl: FormationTimeline, sources: list[int]) -> tuple:
    """Per release step of ``sources``: the batches released, in order, and the tankers and
    litres they load per destination; computed once per timeline (the same in every
    replication)."""
    key = tuple(sources)
    hit = tl.tick_steps.get(key)
    if hit is None:
        steps = []
        ticks = [tl.ticks[i] for i in sources]
        for step in range(len(ticks[0])):
            released = tuple(per_step[step] for per_step in ticks if per_step[step] >= 0)
            loads: dict[int, list[int]] = {}
            for b in released:
                for lot in tl.batches[b].lots:
                    acc = loads.setdefault(lot.dest, [0, 0])
                    acc[0] += lot.tankers
                    acc[1] += lot.litres
            steps.append((released, tuple((k, t, litres) for k, (t, litres) in loads.items())))
        hit = tl.tick_steps[key] = tuple(steps)
    return hit

"""The discrete-event model: one replication = one SimPy environment + one set of streams.

This is the only module that imports SimPy. It knows nothing of YAML, files, plots or the
command line: it takes a :class:`~corridorsim.model.plan.ScenarioPlan`, a seed and a replication index
and returns :class:`~corridorsim.model.records.ReplicationRecords`.

Actors (SimPy processes)
------------------------
``supply``       one per source: releases batches of loaded tankers at the scheduled rate,
                 limited by the source's fleet of empty tankers when it has one.
``staging``      one per staging point: forms convoys (min size / max wait / max size).
``movement``     one per convoy or unescorted batch: waits for its escort, drives leg by leg
                 between stops (checkpoints, staging points, destination), meets attacks,
                 retreats, re-plans around closures, delivers, releases its escort.
``destination``  the stock: consumes (rationed) demand day by day and records the daily row.
``closure``      one per scheduled or random closure.

A movement's trip between two stops takes a single SimPy timeout unless an attack happens on
the way: attack positions are found by integrating the hazard along the precomputed pieces of
the leg (see :mod:`corridorsim.model.threats`), so the event count scales with what happens, not with
kilometres or edges. A closure ahead interrupts a moving convoy (``Process.interrupt``); the
convoy returns to the last stop it passed and re-plans there.

Conservation (checked by the tests through :meth:`Replication.ledger`): litres and tankers loaded
= delivered + destroyed + moving + waiting at staging points, at every moment; for a finite
fleet, fleet = at the source + loaded + driving back empty + destroyed.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import simpy

from .adversary import group_rate_per_h, opportunity_schedule, pick_target
from .plan import Piece, ScenarioPlan
from .records import ReplicationRecords
from .streams import STREAM_NAMES, movement_rng, replication_streams
from .targeting import size_factor
from .threats import deterrence_factor, draw_ambush, draw_duration, draw_ied, escort_strength

__all__ = ["Replication", "run_replication", "Lot", "Movement"]


@dataclass(slots=True)
class Lot:
    """Tankers of one source with one payload, travelling together."""

    source: int  # index into scenario.sources; -1 for a scheduled convoy
    tankers: int
    payload_l: int

    @property
    def litres(self) -> int:
        return self.tankers * self.payload_l


@dataclass(eq=False)
class Movement:
    """A convoy or a batch of tankers on the road (an entity with counts, not trucks)."""

    id: int
    name: str
    kind: str  # "convoy" (formed at staging), "batch" (unescorted release), "scheduled"
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
    # state
    escort_units: int = 0
    escort_units_lost: int = 0
    escort_wait_h: float = 0.0
    depart_h: float = math.nan
    tankers_start: int = 0
    litres_start: int = 0
    destroyed_t: int = 0
    destroyed_l: int = 0
    attacks: int = 0
    turn_backs: int = 0
    route: list[str] = field(default_factory=list)
    budget_ambush: float = 0.0
    budget_ied: float = 0.0
    process: simpy.Process | None = None
    rng: np.random.Generator | None = None  # the movement's own substream (see streams.py)
    planned: tuple[str, ...] = ()  # the path last planned from a stop to the target
    remaining: tuple[Piece, ...] = ()  # pieces still ahead while moving (for closures)
    moving: bool = False
    on_road: bool = False  # inside a stretch's timeout (a target for the adversary)
    rows: list = field(default_factory=list)  # the stretch being driven (see _traverse)
    tankers: int = 0  # sum over lots, kept up to date by Replication._destroy
    litres: int = 0

    def __post_init__(self) -> None:
        self.tankers = sum(lot.tankers for lot in self.lots)
        self.litres = sum(lot.litres for lot in self.lots)


class _DayIntegral:
    """Time integral of a step function, split into days (for escort units busy)."""

    def __init__(self, days: int):
        self.per_day = np.zeros(days + 1)
        self.value = 0.0
        self.since = 0.0

    def change(self, now: float, delta: float) -> None:
        t = self.since
        while t < now:
            d = int(t // 24)
            end = min(now, (d + 1) * 24.0)
            self.per_day[min(d, len(self.per_day) - 1)] += self.value * (end - t)
            t = end
        self.since = now
        self.value += delta


class Replication:
    """One replication of a scenario.

    Parameters
    ----------
    plan : ScenarioPlan
        Compiled scenario (shared, read-only).
    seed : int
        Root seed of the run.
    replication : int
        Replication index; streams come from ``SeedSequence(seed, spawn_key=(replication, k))``.
    """

    def __init__(self, plan: ScenarioPlan, seed: int, replication: int):
        self.plan = plan
        self.sc = plan.scenario
        self.rep = replication
        self.seed = seed
        self.ordinals: dict[tuple[str, int], int] = {}  # movements started per (kind, origin)
        self.env = simpy.Environment()
        self.rng = replication_streams(seed, replication)
        self.records = ReplicationRecords(replication)
        days = plan.days
        self.days = days
        # ledger
        self.loaded_t = self.loaded_l = 0
        self.delivered_t = self.delivered_l = 0
        self.destroyed_t = self.destroyed_l = 0
        self.staged_t = self.staged_l = 0
        self.waiting_escort_t = 0  # tankers of formed convoys waiting for their escort
        self.active: set[Movement] = set()
        # per-day accumulators (index = destination's open day)
        self.day = 0
        self.day_delivered_l = [0] * days
        self.day_delivered_t = [0] * days
        self.day_destroyed_t = [0] * days
        self.day_destroyed_l = [0] * days
        self.day_attacks = [0] * days
        self.day_escort_lost = [0] * days
        self.ambushes = self.ieds = 0
        # supply
        srcs = self.sc.sources
        self.fleet_available = [s.fleet_tankers for s in srcs]
        self.fleet_returning = [0] * len(srcs)
        self.fleet_destroyed = [0] * len(srcs)
        # escorts
        self.pools = [simpy.Container(self.env, capacity=max(b.units, 1), init=b.units)
                      for b in plan.bases]
        self.escort_busy = _DayIntegral(days)
        self.escort_units_total = sum(b.units for b in plan.bases)
        self.escort_waits: list[float] = []
        # staging queues
        self.queues: dict[str, deque] = {n: deque() for n in plan.staging}
        self.queue_wake: dict[str, simpy.Event] = {n: self.env.event() for n in plan.staging}
        self.queue_tankers: dict[str, int] = {n: 0 for n in plan.staging}
        # closures
        self.closed_edge_count: dict[int, int] = {}
        self.closed_node_count: dict[str, int] = {}
        self.closed_edges: frozenset = frozenset()
        self.closed_nodes: frozenset = frozenset()
        self.closed_edge_idx: frozenset = frozenset()
        self.graph_changed = self.env.event()
        self.next_id = 0
        self.done = self.env.event()

    # ------------------------------------------------------------------ bookkeeping
    def ledger(self) -> dict[str, int]:
        """Current totals: loaded, delivered, destroyed, moving and staged tankers and litres."""
        moving_t = sum(lot.tankers for m in self.active for lot in m.lots)
        moving_l = sum(lot.litres for m in self.active for lot in m.lots)
        staged_t = sum(lot.tankers for q in self.queues.values() for _, lot in q)
        staged_l = sum(lot.litres for q in self.queues.values() for _, lot in q)
        return {
            "loaded_t": self.loaded_t, "loaded_l": self.loaded_l,
            "delivered_t": self.delivered_t, "delivered_l": self.delivered_l,
            "destroyed_t": self.destroyed_t, "destroyed_l": self.destroyed_l,
            "moving_t": moving_t, "moving_l": moving_l,
            "staged_t": staged_t, "staged_l": staged_l,
        }

    def fleet_ledger(self, source: int) -> dict[str, int]:
        """Where a finite fleet's tankers are: at source, loaded, returning, destroyed."""
        loaded = sum(lot.tankers for m in self.active for lot in m.lots if lot.source == source)
        loaded += sum(lot.tankers for q in self.queues.values() for _, lot in q if lot.source == source)
        return {
            "at_source": self.fleet_available[source] or 0,
            "loaded": loaded,
            "returning": self.fleet_returning[source],
            "destroyed": self.fleet_destroyed[source],
        }

    def _event(self, kind: str, mv: Movement | None = None, node: str = "", piece: Piece | None = None,
               frac: float = math.nan, tankers: int = 0, litres: int = 0, destroyed_t: int = 0,
               destroyed_l: int = 0, escort: int = 0, escort_lost: int = 0, delay_h: float = 0.0,
               detail: str = "") -> None:
        if piece is not None:
            lat, lon = self.plan.position(piece, frac)
            a, b = piece.u, piece.v
            corridor = self.plan.edge_corridor[piece.edge]
        else:
            lat, lon = self.plan.node_latlon.get(node, (math.nan, math.nan)) if node else (math.nan, math.nan)
            a = b = ""
            corridor = ""
        self.records.events.append((
            self.rep, round(self.env.now, 6), kind, mv.id if mv else -1, mv.name if mv else "", node,
            a, b, corridor, round(lat, 5), round(lon, 5), tankers, litres, destroyed_t, destroyed_l,
            escort, escort_lost, round(delay_h, 6), detail,
        ))

    def _new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    # ------------------------------------------------------------------ run
    def run(self) -> ReplicationRecords:
        """Simulate up to the horizon and return the records."""
        env = self.env
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
        env.process(self._destination())
        if self.plan.threats.adversary:
            env.process(self._adversary())
        env.run(until=self.done)
        self._finish()
        return self.records

    # ------------------------------------------------------------------ supply
    def _supply(self, i: int):
        env, src = self.env, self.sc.sources[i]
        sched = self.plan.supply[i]
        rng = self.rng["supply"]
        carry = 0.0
        t = 0.0
        while t < self.plan.horizon_h:
            mean = sched.at(t) * src.release_interval_h / 24.0
            if src.release == "poisson":
                n = int(rng.poisson(mean)) if mean > 0 else 0
            else:
                carry += mean
                n = int(carry + 1e-9)
                carry -= n
            if src.fleet_tankers is not None:
                n = min(n, self.fleet_available[i])
                self.fleet_available[i] -= n
            if n > 0:
                lot = Lot(i, n, src.payload_l)
                self.loaded_t += n
                self.loaded_l += lot.litres
                target = src.staging or self.plan.destination
                mv = Movement(self._new_id(), f"{src.name}-{self.next_id}", "batch", src.name, src.node,
                              target, [lot], via=src.via, formed_h=env.now)
                self._start(mv, i)
            yield env.timeout(src.release_interval_h)
            t += src.release_interval_h

    # ------------------------------------------------------------------ staging
    def _staging(self, node: str):
        env = self.env
        sp = self.plan.staging[node]
        q = self.queues[node]
        armed = math.nan  # deadline for which a wake-up timeout is already scheduled
        while True:
            if not q:
                yield self.queue_wake[node]
                continue
            deadline = q[0][0] + sp.max_wait_h
            if self.queue_tankers[node] >= sp.min_tankers or env.now >= deadline - 1e-9:
                self._form_convoy(node)
                continue
            if deadline != armed:  # one timer per queue head, not one per arrival
                armed = deadline
                env.timeout(deadline - env.now).callbacks.append(lambda _ev, n=node: self._wake(n))
            yield self.queue_wake[node]

    def _wake(self, node: str) -> None:
        ev = self.queue_wake[node]
        if not ev.triggered:
            self.queue_wake[node] = self.env.event()
            ev.succeed()

    def _join_staging(self, node: str, lots: list[Lot]) -> None:
        q = self.queues[node]
        for lot in lots:
            q.append((self.env.now, lot))
            self.queue_tankers[node] += lot.tankers
            self.staged_t += lot.tankers
            self.staged_l += lot.litres
        self._wake(node)

    def _form_convoy(self, node: str) -> None:
        sp = self.plan.staging[node]
        q = self.queues[node]
        lots: list[Lot] = []
        room = sp.max_tankers
        while q and room > 0:
            t0, lot = q[0]
            if lot.tankers <= room:
                q.popleft()
                lots.append(lot)
                room -= lot.tankers
            else:  # split the lot: the rest keeps its place and arrival time
                lots.append(Lot(lot.source, room, lot.payload_l))
                q[0] = (t0, Lot(lot.source, lot.tankers - room, lot.payload_l))
                room = 0
        n = sum(lot.tankers for lot in lots)
        self.queue_tankers[node] -= n
        self.staged_t -= n
        self.staged_l -= sum(lot.litres for lot in lots)
        base = self.plan.staging_base[node]
        wanted = 0
        if base is not None:
            wanted = math.ceil(n / sp.tankers_per_escort_unit)
            if sp.max_escort_units is not None:
                wanted = min(wanted, sp.max_escort_units)
            wanted = min(wanted, self.plan.bases[base].units)
        sources = sorted({self.sc.sources[lot.source].name for lot in lots})
        mv = Movement(self._new_id(), f"{node}-{self.next_id}", "convoy", "+".join(sources), node,
                      self.plan.destination, lots, escort_base=base, escort_wanted=wanted,
                      escort_policy=sp.escort_policy, regroup_delay_h=sp.regroup_delay_h,
                      formed_h=self.env.now)
        self._start(mv, self.plan.staging_index[node])

    def _scheduled_convoy(self, c, index: int):
        yield self.env.timeout(max(0.0, self.sc.hours(c.depart)))
        lot = Lot(-1, c.tankers, c.payload_l)
        self.loaded_t += lot.tankers
        self.loaded_l += lot.litres
        base = self.plan.base_index[c.escort_base] if c.escort_base is not None else None
        mv = Movement(self._new_id(), c.name, "scheduled", c.name, c.origin, self.plan.destination,
                      [lot], via=c.via, escort_base=base, escort_wanted=c.escort_units,
                      formed_h=self.env.now)
        if base is None:
            mv.escort_units = c.escort_units  # dedicated escort, outside the pools
        staging = self.plan.staging.get(c.origin)
        if staging is not None:
            mv.regroup_delay_h = staging.regroup_delay_h
        self._start(mv, index)

    def _start(self, mv: Movement, origin: int) -> None:
        """Start a movement's process; ``origin`` indexes its source, staging point or convoy."""
        mv.tankers_start = mv.tankers
        mv.litres_start = mv.litres
        key = (mv.kind, origin)
        ordinal = self.ordinals.get(key, 0)
        self.ordinals[key] = ordinal + 1
        mv.rng = movement_rng(self.seed, self.rep, mv.kind, origin, ordinal)
        mv.budget_ambush = float(mv.rng.exponential())
        mv.budget_ied = float(mv.rng.exponential())
        self.active.add(mv)
        mv.process = self.env.process(self._movement(mv))

    # ------------------------------------------------------------------ movements
    def _movement(self, mv: Movement):
        env, plan = self.env, self.plan
        self.waiting_escort_t += mv.tankers
        yield from self._acquire_escort(mv)
        self.waiting_escort_t -= mv.tankers
        mv.depart_h = env.now
        mv.route.append(mv.origin)
        at = last_stop = mv.origin
        # the via list belongs to the movement's origin, not to the stop a leg starts from
        via = list(mv.via if mv.via is not None else plan.router.via.get(mv.origin, ()))
        outcome = "in_transit"
        if mv.kind != "batch":
            self._event("departure", mv, node=at, tankers=mv.tankers, litres=mv.litres,
                        escort=mv.escort_units)
        while True:
            if at == mv.target:
                outcome = self._arrive(mv, at)
                break
            path = plan.router.route(at, mv.target, tuple(via), self.closed_edges, self.closed_nodes)
            if path is None and via:
                path = plan.router.route(at, mv.target, (), self.closed_edges, self.closed_nodes)
            if path is None:
                yield from self._uninterruptible(self.graph_changed)
                continue
            mv.planned = path
            pieces, leg_end = plan.first_leg(path)
            result, travelled = yield from self._traverse(mv, pieces)
            if result == "arrived":
                at = last_stop = leg_end
                mv.route.extend(p.v for p in pieces)
                if via:
                    via = [n for n in via if n not in mv.route]
                cp = plan.checkpoints.get(at)
                if cp is not None and at != plan.destination:  # staging arrivals clear customs too
                    wait = cp.fixed_delay_h
                    if cp.random_wait is not None:
                        wait += draw_duration(mv.rng, cp.random_wait)
                    if wait > 0:
                        yield from self._uninterruptible(env.timeout(wait))
                continue
            if result == "destroyed":
                outcome = "destroyed"
                break
            # turned back or cut off ahead: retreat to the last stop, then re-plan there
            reason = result
            if reason == "turned_back":
                mv.turn_backs += 1
                self._event("turn_back", mv, node=last_stop, tankers=mv.tankers, litres=mv.litres,
                            escort=mv.escort_units)
            back = tuple(Piece(p.edge, p.v, p.u, 1.0 - p.f1, 1.0 - p.f0) for p in reversed(travelled))
            if back:
                result, _ = yield from self._traverse(mv, back, retreat=True)
                if result == "destroyed":
                    outcome = "destroyed"
                    break
            at = last_stop
            if mv.route[-1] != at:
                mv.route.append(at)
            if reason == "turned_back" and mv.regroup_delay_h > 0:
                yield from self._uninterruptible(env.timeout(mv.regroup_delay_h))
        self._end_movement(mv, outcome, at)

    def _uninterruptible(self, event):
        """Wait for ``event``; closures may interrupt meanwhile, the wait goes on."""
        while not event.processed:
            try:
                yield event
            except simpy.Interrupt:
                continue

    def _acquire_escort(self, mv: Movement):
        if mv.escort_base is None or mv.escort_wanted == 0 or mv.escort_policy == "none":
            return
        env = self.env
        pool = self.pools[mv.escort_base]
        t0 = env.now
        want = mv.escort_wanted
        if mv.escort_policy == "available":
            # what is free now and not promised to convoys already waiting at this base
            want = min(want, int(pool.level)) if not pool.get_queue else 0
        if want > 0:
            yield from self._uninterruptible(pool.get(want))
            mv.escort_units = want
            self.escort_busy.change(env.now, want)
            deploy = self.plan.static_time_h(self.plan.bases[mv.escort_base].node, mv.origin)
            if deploy > 0 and math.isfinite(deploy):
                yield from self._uninterruptible(env.timeout(deploy))
        mv.escort_wait_h = env.now - t0
        self.escort_waits.append(mv.escort_wait_h)

    def _traverse(self, mv: Movement, pieces: tuple[Piece, ...], retreat: bool = False):
        """Drive along ``pieces``; return (result, pieces travelled so far).

        result is ``arrived``, ``destroyed``, ``turned_back`` or ``cut_off`` (a closure ahead).
        """
        env, plan = self.env, self.plan
        table = plan.threats
        lengths, speeds = plan.edge_length_km, plan.edge_speed_kmh
        travelled: list[Piece] = []
        i = 0
        f = pieces[0].f0 if pieces else 0.0
        while i < len(pieces):
            if not retreat and self._blocked(pieces, i):
                return "cut_off", travelled
            det = deterrence_factor(escort_strength(mv.escort_units, mv.tankers),
                                    self.sc.threats.deterrence.rate_floor,
                                    self.sc.threats.deterrence.rate_scale)
            det_a = det * size_factor(mv.tankers, self.sc.threats.targeting)
            # plan the stretch until the next attack or the leg's end (no SimPy event between)
            t = env.now
            # with an adversary process ambushes come from its opportunities, not from budgets
            ba = math.inf if table.adversary else mv.budget_ambush
            bi = mv.budget_ied
            plan_rows = []  # (piece index, f start, f end, t start, t end, ra, ri)
            attack = None
            j, fj = i, f
            va, vi = table.intensities_at(t)
            next_break = table.next_break_after(t)
            while j < len(pieces):
                p = pieces[j]
                length = lengths[p.edge]
                km = (p.f1 - fj) * length
                if t >= next_break:  # a phase starts or ends: rates as at the piece's entry
                    va, vi = table.intensities_at(t)
                    next_break = table.next_break_after(t)
                ra = va[p.edge] * det_a
                ri = vi[p.edge] * det
                ha, hi = ra * km, ri * km
                if ha >= ba or hi >= bi:
                    xa = ba / ra if ha >= ba else math.inf  # only the process that fires here
                    xi = bi / ri if hi >= bi else math.inf
                    x = min(xa, xi, km)
                    attack = "ambush" if xa <= xi else "ied"
                    dt = x / speeds[p.edge]
                    plan_rows.append((j, fj, fj + x / length, t, t + dt, ra, ri))
                    t += dt
                    ba -= ra * x
                    bi -= ri * x
                    fj += x / length
                    break
                dt = km / speeds[p.edge]
                plan_rows.append((j, fj, p.f1, t, t + dt, ra, ri))
                t += dt
                ba -= ha
                bi -= hi
                j += 1
                fj = pieces[j].f0 if j < len(pieces) else 0.0
            mv.remaining = pieces[i:]
            mv.moving = not retreat
            mv.rows, mv.on_road = [(pieces[r[0]].edge, *r[3:6]) for r in plan_rows], True
            try:
                yield env.timeout(t - env.now)
                mv.on_road = False
            except simpy.Interrupt as stop:
                mv.moving = mv.on_road = False
                # where are we? consume the hazard up to now and stop at this position
                now = env.now
                for (k, fs, fe, ts, te, ra, ri) in plan_rows:
                    p = pieces[k]
                    if now >= te:
                        km = (fe - fs) * lengths[p.edge]
                        mv.budget_ambush -= ra * km
                        mv.budget_ied -= ri * km
                        self._travelled(travelled, p, fs, fe)
                        i, f = k + 1, (pieces[k + 1].f0 if k + 1 < len(pieces) else 0.0)
                        continue
                    share = (now - ts) / (te - ts) if te > ts else 0.0
                    fpos = fs + (fe - fs) * share
                    km = (fpos - fs) * lengths[p.edge]
                    mv.budget_ambush -= ra * km
                    mv.budget_ied -= ri * km
                    self._travelled(travelled, p, fs, fpos)
                    i, f = k, fpos
                    break
                if stop.cause == "ambush":  # chosen by the adversary (see _adversary)
                    k = min(i, len(pieces) - 1)
                    at_f = f if i < len(pieces) else pieces[k].f1
                    result = yield from self._attack(mv, "ambush", pieces[k], at_f, retreat)
                    if result is not None:
                        return result, travelled
                continue
            mv.moving = False
            mv.budget_ambush, mv.budget_ied = max(ba, 0.0), max(bi, 0.0)
            if attack is None:
                return "arrived", travelled  # (the pieces travelled matter only for a retreat)
            for (k, fs, fe, *_rest) in plan_rows:
                self._travelled(travelled, pieces[k], fs, fe)
            k = plan_rows[-1][0]
            i, f = k, fj
            if f >= pieces[k].f1 - 1e-12:
                i, f = k + 1, (pieces[k + 1].f0 if k + 1 < len(pieces) else 0.0)
            result = yield from self._attack(mv, attack, pieces[k], fj, retreat)
            if result is not None:
                return result, travelled
        return "arrived", travelled

    def _adversary(self):
        """Ambush opportunities (model/adversary.py): attack a convoy on the group's roads."""
        env, table = self.env, self.plan.threats
        spec = self.sc.threats.adversary
        speeds = self.plan.edge_speed_kmh
        schedule = opportunity_schedule(spec, table.groups, self.seed, self.rep,
                                        STREAM_NAMES.index("adversary"), self.plan.horizon_h)
        for opp in schedule:
            yield env.timeout(opp.time_h - env.now)
            now = env.now
            targets, weights = [], []
            for mv in sorted(self.active, key=lambda m: m.id):
                if not mv.on_road:
                    continue
                for edge, ts, te, ra in mv.rows:  # the row being driven now: its hazard per hour
                    if ts <= now < te:
                        if table.edge_group[edge] == opp.group and ra > 0:
                            targets.append(mv)
                            weights.append(ra * speeds[edge])
                        break
            k = pick_target(weights, group_rate_per_h(spec, opp.group), opp.u_accept, opp.u_choose)
            if k is not None:
                targets[k].on_road = False
                targets[k].process.interrupt("ambush")

    @staticmethod
    def _travelled(travelled: list[Piece], p: Piece, fs: float, fe: float) -> None:
        if fe <= fs:
            return
        if travelled and travelled[-1].edge == p.edge and travelled[-1].u == p.u \
                and abs(travelled[-1].f1 - fs) < 1e-12:
            last = travelled[-1]
            travelled[-1] = Piece(p.edge, p.u, p.v, last.f0, fe)
        else:
            travelled.append(Piece(p.edge, p.u, p.v, fs, fe))

    def _blocked(self, pieces: tuple[Piece, ...], i: int) -> bool:
        if not self.closed_edge_idx and not self.closed_nodes:
            return False
        for p in pieces[i:]:
            if p.edge in self.closed_edge_idx or p.v in self.closed_nodes:
                return True
        return False

    def _attack(self, mv: Movement, kind: str, piece: Piece, frac: float, retreat: bool):
        """Apply one attack at ``frac`` along ``piece``; return a traverse result or None."""
        env = self.env
        n = mv.tankers
        if kind == "ambush":
            mv.budget_ambush = float(mv.rng.exponential())
            out = draw_ambush(mv.rng, self.sc, n, mv.escort_units)
            self.ambushes += 1
        else:
            mv.budget_ied = float(mv.rng.exponential())
            out = draw_ied(mv.rng, self.sc, n, mv.escort_units)
            self.ieds += 1
        litres = self._destroy(mv, out.tankers_destroyed, kind)
        lost = min(out.escort_units_lost, mv.escort_units)
        if lost:
            mv.escort_units -= lost
            mv.escort_units_lost += lost
            self.day_escort_lost[min(self.day, self.days - 1)] += lost
            if mv.escort_base is not None:
                self.escort_busy.change(env.now, -lost)
                base = mv.escort_base
                self._after(self.plan.bases[base].replacement_delay_h,
                            lambda b=base, n=lost: self.pools[b].put(n))
        mv.attacks += 1
        self.day_attacks[min(self.day, self.days - 1)] += 1
        turned = out.turned_back and not retreat and mv.tankers > 0
        self._event(kind, mv, piece=piece, frac=frac, tankers=n, litres=mv.litres + litres,
                    destroyed_t=out.tankers_destroyed, destroyed_l=litres,
                    escort=mv.escort_units + lost, escort_lost=lost, delay_h=out.delay_h,
                    detail="turned back" if turned else "")
        if mv.tankers == 0:
            return "destroyed"
        if out.delay_h > 0:
            yield from self._uninterruptible(env.timeout(out.delay_h))
        return "turned_back" if turned else None

    def _destroy(self, mv: Movement, k: int, kind: str) -> int:
        """Remove ``k`` tankers from the movement's lots (chosen at random across lots)."""
        if k <= 0:
            return 0
        rng = mv.rng
        counts = [lot.tankers for lot in mv.lots]
        if len(counts) == 1:
            take = [k]
        else:
            take = rng.multivariate_hypergeometric(counts, k).tolist()
        litres = 0
        for lot, x in zip(mv.lots, take):
            if x:
                lot.tankers -= x
                litres += x * lot.payload_l
                if lot.source >= 0:
                    self.fleet_destroyed[lot.source] += x
        mv.lots = [lot for lot in mv.lots if lot.tankers > 0]
        mv.tankers -= k
        mv.litres -= litres
        mv.destroyed_t += k
        mv.destroyed_l += litres
        self.destroyed_t += k
        self.destroyed_l += litres
        d = min(self.day, self.days - 1)
        self.day_destroyed_t[d] += k
        self.day_destroyed_l[d] += litres
        return litres

    def _after(self, delay_h: float, action) -> None:
        """Call ``action()`` after ``delay_h`` hours (a callback, not a process: cheaper)."""
        if delay_h > 0 and math.isfinite(delay_h):
            self.env.timeout(delay_h).callbacks.append(lambda _ev: action())
        else:
            action()

    def _arrive(self, mv: Movement, node: str) -> str:
        if node in self.plan.staging and node != self.plan.destination:
            self.active.discard(mv)
            self._join_staging(node, mv.lots)
            return "staged"
        t, litres = mv.tankers, mv.litres
        self.delivered_t += t
        self.delivered_l += litres
        d = min(self.day, self.days - 1)
        self.day_delivered_l[d] += litres
        self.day_delivered_t[d] += t
        self.stock_in(litres)
        self._event("delivery", mv, node=node, tankers=t, litres=litres, escort=mv.escort_units)
        self.active.discard(mv)
        for lot in mv.lots:
            if lot.source >= 0 and self.sc.sources[lot.source].fleet_tankers is not None:
                self._return_empty(lot.source, lot.tankers, node)
        return "delivered"

    def _return_empty(self, source: int, tankers: int, node: str) -> None:
        """Empty tankers drive back (no threats) and reload after the turnaround."""
        self.fleet_returning[source] += tankers
        src = self.sc.sources[source]
        back = self.plan.static_time_h(node, src.node)

        def home() -> None:
            self.fleet_returning[source] -= tankers
            self.fleet_available[source] += tankers

        self._after((back if math.isfinite(back) else 0.0) + src.turnaround_h, home)

    def _end_movement(self, mv: Movement, outcome: str, at: str) -> None:
        self.active.discard(mv)
        if mv.escort_base is not None and mv.escort_units > 0:
            self._escort_home(mv.escort_base, mv.escort_units, at)
        self._convoy_row(mv, outcome)

    def _escort_home(self, base: int, units: int, node: str) -> None:
        """The escort drives back to its base and is free again on arrival."""
        back = self.plan.static_time_h(node, self.plan.bases[base].node)

        def home() -> None:
            self.escort_busy.change(self.env.now, -units)
            self.pools[base].put(units)

        self._after(back, home)

    def _convoy_row(self, mv: Movement, outcome: str) -> None:
        route = tuple(mv.route) if len(mv.route) > 1 else (mv.origin,)
        # corridor of the trip: as travelled if it ended at the target, else as last planned
        whole = route
        if route[-1] != mv.target and route[-1] in mv.planned:
            whole = route + mv.planned[mv.planned.index(route[-1]) + 1:]
        self.records.convoys.append((
            self.rep, mv.id, mv.name, mv.kind, mv.source, mv.origin, mv.target,
            self.plan.path_corridor(whole), ">".join(route), round(mv.formed_h, 6),
            round(mv.depart_h, 6), round(self.env.now, 6) if outcome != "in_transit" else math.nan,
            mv.tankers_start, mv.litres_start, mv.tankers, mv.litres, mv.destroyed_t, mv.destroyed_l,
            mv.escort_units + mv.escort_units_lost, mv.escort_units_lost, round(mv.escort_wait_h, 6),
            mv.attacks, mv.turn_backs, outcome,
        ))

    # ------------------------------------------------------------------ destination
    def stock_in(self, litres: int) -> None:
        """Add a delivery to the stock; litres beyond capacity are recorded as overflow."""
        cap = self.sc.destination.capacity_l
        room = math.inf if cap is None else max(0.0, cap - self.stock_l)
        accepted = min(room, litres)
        self.stock_l += accepted
        self.day_overflow_l += litres - accepted

    def _destination(self):
        env, plan = self.env, self.plan
        self.stock_l = float(self.sc.destination.initial_stock_l)
        self.day_overflow_l = 0.0
        cumulative = 0
        horizon = plan.horizon_h
        for d in range(self.days):
            self.day = d
            t0 = 24.0 * d
            t1 = min(24.0 * (d + 1), horizon)
            frac = (t1 - t0) / 24.0
            base_rate = plan.demand.at(t0)
            cover = self.stock_l / base_rate if base_rate > 0 else math.inf
            cut = 0.0
            for tier in plan.rationing:  # ascending thresholds: the tightest tier that applies
                if cover < tier.below_cover_days:
                    cut = tier.demand_cut_share
                    break
            base_demand = base_rate * frac
            demand = base_demand * (1.0 - cut)
            yield env.timeout(t1 - env.now)
            consumed = min(self.stock_l, demand)
            self.stock_l -= consumed
            cumulative += int(self.day_delivered_l[d])
            self.escort_busy.change(env.now, 0.0)
            busy = self.escort_busy.per_day[d] / (t1 - t0) if t1 > t0 else 0.0
            # waiting to leave: in staging queues, or formed and waiting for the escort
            staged = self.staged_t + self.waiting_escort_t
            self.records.daily.append((
                self.rep, d, int(self.day_delivered_l[d]), cumulative, round(self.stock_l, 3),
                round(self.stock_l / base_rate, 6) if base_rate > 0 else math.inf,
                round(base_demand, 3), round(demand, 3), round(consumed, 3),
                round(demand - consumed, 3), cut, round(self.day_overflow_l, 3),
                int(self.day_delivered_t[d]), int(self.day_destroyed_t[d]),
                int(self.day_destroyed_l[d]), int(self.day_attacks[d]), round(busy, 6),
                int(self.day_escort_lost[d]), staged,
            ))
            self.day_overflow_l = 0.0
        self.done.succeed()

    # ------------------------------------------------------------------ closures
    def _close(self, edge: tuple[str, str] | None, node: str | None, name: str) -> None:
        if edge is not None:
            idx = self.plan.edge_index[(min(edge), max(edge))]
            self.closed_edge_count[idx] = self.closed_edge_count.get(idx, 0) + 1
        else:
            self.closed_node_count[node] = self.closed_node_count.get(node, 0) + 1
        self._refresh_closed()
        self._closure_event("closure", edge, node, name)
        for mv in list(self.active):
            if mv.moving and mv.process is not None and self._blocked(mv.remaining, 0):
                mv.process.interrupt("closure")

    def _reopen(self, edge: tuple[str, str] | None, node: str | None, name: str) -> None:
        if edge is not None:
            idx = self.plan.edge_index[(min(edge), max(edge))]
            self.closed_edge_count[idx] -= 1
        else:
            self.closed_node_count[node] -= 1
        self._refresh_closed()
        self._closure_event("reopening", edge, node, name)
        ev, self.graph_changed = self.graph_changed, self.env.event()
        ev.succeed()

    def _closure_event(self, kind: str, edge: tuple[str, str] | None, node: str | None,
                       name: str) -> None:
        if edge is not None:
            a, b = edge
            piece = Piece(self.plan.edge_index[(min(edge), max(edge))], a, b, 0.0, 1.0)
            self._event(kind, piece=piece, frac=0.5, detail=name or f"{a}-{b}")
        else:
            self._event(kind, node=node or "", detail=name or node or "")

    def _refresh_closed(self) -> None:
        keys = self.plan.edge_keys
        idx = frozenset(i for i, c in self.closed_edge_count.items() if c > 0)
        self.closed_edge_idx = idx
        self.closed_edges = frozenset(e for i in idx for e in (keys[i], keys[i][::-1]))
        self.closed_nodes = frozenset(n for n, c in self.closed_node_count.items() if c > 0)

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
        rng = self.rng["closures"]
        if c.rate_per_day <= 0:
            return
        while True:
            yield env.timeout(float(rng.exponential(24.0 / c.rate_per_day)))
            duration = draw_duration(rng, c.duration)
            self._close(c.edge, c.node, c.name)
            yield env.timeout(duration)
            self._reopen(c.edge, c.node, c.name)

    # ------------------------------------------------------------------ summary
    def _finish(self) -> None:
        for mv in sorted(self.active, key=lambda m: m.id):
            self._convoy_row(mv, "in_transit")
        self.records.convoys.sort(key=lambda r: r[1])
        daily = self.records.daily
        stock = np.array([r[4] for r in daily])
        demand = np.array([r[7] for r in daily])
        zero = (stock <= 1e-6) & (demand > 0)
        first = int(np.argmax(zero)) if zero.any() else math.nan  # nan: never ran dry
        cover = [r[5] for r in daily]
        horizon = self.plan.horizon_h
        util = (float(self.escort_busy.per_day.sum()) / (self.escort_units_total * horizon)
                if self.escort_units_total else 0.0)
        led = self.ledger()
        self.records.summary = (
            self.rep, self.delivered_l, self.delivered_t, self.loaded_t, self.loaded_l,
            self.destroyed_t, self.destroyed_l, self.ambushes, self.ieds,
            sum(1 for r in self.records.convoys if r[3] != "batch"),
            first, int(zero.sum()), round(float(sum(r[9] for r in daily)), 3),
            round(float(sum(r[6] - r[7] for r in daily)), 3), round(self.stock_l, 3),
            round(float(min(cover)), 6) if cover else math.nan, round(util, 6),
            round(float(np.mean(self.escort_waits)), 6) if self.escort_waits else math.nan,
            led["moving_l"], led["staged_l"],
        )
        self.records.sim_events = next(self.env._eid)  # events scheduled so far


def run_replication(plan: ScenarioPlan, seed: int, replication: int) -> ReplicationRecords:
    """Run one replication in-process and return its records (handy for debugging)."""
    return Replication(plan, seed, replication).run()

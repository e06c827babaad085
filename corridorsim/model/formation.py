"""Where convoys come from: sources releasing tankers, staging points forming convoys, and
scheduled convoys.

The generator methods here are SimPy processes run by :class:`~corridorsim.model.engine.
Replication` (a mixin: they use ``self.env`` and the engine's bookkeeping, so this module need
not import SimPy). May import the other model modules.

``supply`` (one per source) releases loaded tankers at the scheduled rate, limited by a finite
fleet, and shares them among destinations by the source's shares; unescorted tankers leave as
batches, the others join their staging point. ``staging`` (one per staging point) forms convoys
(minimum size, maximum wait, maximum size) under the tie rule of :mod:`.staging`, and the queue
may be attacked while it waits (:mod:`.standing`). A scheduled convoy leaves on its date.
"""

from __future__ import annotations

import math

from .counters import CounterStream
from .entities import Lot, Movement, merge_lots, split_by_shares
from .escorts import escort_request
from .feeders import FixedTrip, plan_releases, plan_trip
from .hazard import free_leg_end_h, plan_stretch
from .staging import TIE_H
from .streams import keyed_rng, keyed_stream
from .targeting import size_factor
from .threats import draw_ambush

__all__ = ["Formation"]


class Formation:
    """Supply, staging and scheduled convoys, mixed into the engine's Replication."""

    # ------------------------------------------------------------------ supply
    def _supply(self, i: int):
        env, src, plan = self.env, self.sc.sources[i], self.plan
        sched = plan.supply[i]
        releases = plan_releases(plan, i)  # counts computed once per plan where they can be
        rng = keyed_rng(self.seed, self.rep, "supply", i) if src.release == "poisson" else None
        carry = 0.0
        t = 0.0
        step = 0
        while t < plan.horizon_h:
            if releases is not None:
                split = releases[step]
                n = sum(split)
            else:
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
                split = split_by_shares(n, plan.source_shares[i], self.assigned[i]) if n > 0 else ()
            if n > 0:
                lots = [Lot(i, x, src.payload_l, k) for k, x in enumerate(split) if x > 0]
                for lot in lots:
                    self.loaded_t[lot.dest] += lot.tankers
                    self.loaded_l[lot.dest] += lot.litres
                mv = Movement(self.new_id(), f"{src.name}-{self.next_id}", "batch", src.name,
                              src.node, src.staging or "", lots, via=src.via, formed_h=env.now,
                              to_staging=src.staging is not None)
                if not mv.to_staging:
                    mv.target = self.lead_target(mv)
                self.start(mv, i)
            yield env.timeout(src.release_interval_h)
            t += src.release_interval_h
            step += 1

    # ------------------------------------------------------------------ staging
    def _staging(self, node: str):
        env = self.env
        sp = self.plan.staging[node]
        q = self.queues[node]
        standing = self.plan.standing
        rng = keyed_stream(self.seed, self.rep, "standing", self.plan.staging_index[node])
        armed = math.nan  # deadline for which a wake-up timeout is already scheduled
        while True:
            if not q:
                yield self.queue_wake[node]
                continue
            deadline = q.first_arrival_h() + sp.max_wait_h
            if q.tankers >= sp.min_tankers or env.now >= deadline:
                self._form_convoy(node)
                continue
            if deadline != armed:  # one timer per queue head; TIE_H: see .staging
                armed = deadline
                env.timeout(deadline + TIE_H - env.now).callbacks.append(
                    lambda _ev, n=node: self.wake(n))
            wake = self.queue_wake[node]
            t_att = standing.time_to_attack(node, env.now, float(rng.exponential()), 1.0) \
                if standing.enabled else math.inf
            if math.isinf(t_att):
                yield wake
                continue
            timer = env.timeout(t_att - env.now)
            yield env.any_of([wake, timer])
            if not wake.triggered:
                self._attack_queue(node, rng)

    def _attack_queue(self, node: str, rng: CounterStream) -> None:
        """An attack on the tankers waiting at a staging point (no escort yet)."""
        q = self.queues[node]
        n = q.tankers
        out = draw_ambush(rng, self.sc, n, 0)
        litres = self.destroy_lots(q.lots(), out.tankers_destroyed, rng) if out.tankers_destroyed else 0
        q.remove_empty()
        self.standing_attacks += 1
        self.day_attacks[self.day_of(self.env.now)] += 1
        self.event("standing_attack", node=node, tankers=n, litres=q.litres + litres,
                   destroyed_t=out.tankers_destroyed, destroyed_l=litres, detail="staging queue")

    def wake(self, node: str) -> None:
        ev = self.queue_wake[node]
        if not ev.triggered:
            self.queue_wake[node] = self.env.event()
            ev.succeed()

    def join_staging(self, node: str, lots: list[Lot]) -> None:
        q = self.queues[node]
        for lot in lots:
            q.join(self.env.now, lot)
        self.wake(node)

    def _form_convoy(self, node: str) -> None:
        sp = self.plan.staging[node]
        self.start_convoy(node, merge_lots(self.queues[node].take(sp.max_tankers)))

    def start_convoy(self, node: str, lots: list[Lot]) -> None:
        """Start the convoy formed at ``node`` with ``lots`` (merged, taken from its queue)."""
        plan = self.plan
        sp = plan.staging[node]
        n = sum(lot.tankers for lot in lots)
        base = plan.staging_base[node]
        wanted = 0
        if base is not None:
            wanted = escort_request(n, sp.tankers_per_escort_unit, sp.max_escort_units,
                                    plan.bases[base].units)
        sources = sorted({self.sc.sources[lot.source].name for lot in lots})
        mv = Movement(self.new_id(), f"{node}-{self.next_id}", "convoy", "+".join(sources), node,
                      "", lots, escort_base=base, escort_wanted=wanted,
                      escort_policy=sp.escort_policy, regroup_delay_h=sp.regroup_delay_h,
                      formed_h=self.env.now)
        mv.target = self.lead_target(mv)
        self.start(mv, plan.staging_index[node])

    def _scheduled_convoy(self, c, index: int):
        yield self.env.timeout(max(0.0, self.sc.hours(c.depart)))
        lot = Lot(-1, c.tankers, c.payload_l, self.sc.destination_index(c.destination))
        self.loaded_t[lot.dest] += lot.tankers
        self.loaded_l[lot.dest] += lot.litres
        base = self.plan.base_index[c.escort_base] if c.escort_base is not None else None
        mv = Movement(self.new_id(), c.name, "scheduled", c.name, c.origin,
                      self.plan.dest_nodes[lot.dest], [lot], via=c.via, escort_base=base,
                      escort_wanted=c.escort_units, formed_h=self.env.now)
        if base is None:
            mv.escort_units = c.escort_units  # dedicated escort, outside the pools
        staging = self.plan.staging.get(c.origin)
        if staging is not None:
            mv.regroup_delay_h = staging.regroup_delay_h
        self.start(mv, index)

    def start(self, mv: Movement, origin: int) -> None:
        """Start a movement's process; ``origin`` indexes its source, staging point or convoy.

        A batch whose trip to its staging point is fixed (:mod:`.feeders`) is replayed instead,
        and a lot that nothing can stop on its way to its depot driven without a process
        (:mod:`.drive_through`).
        """
        mv.tankers_start = mv.tankers
        mv.litres_start = mv.litres
        mv.rng = self.streams.next(mv.kind, origin)  # (the ordinal-th of its kind and origin)
        self.active.add(mv)
        if mv.to_staging:
            via = mv.via if mv.via is not None else self.plan.router.via.get(mv.origin, ())
            trip = plan_trip(self.plan, mv.origin, mv.target, tuple(via))
            if trip is not None:
                self.replay(mv, trip)
                return
        elif mv.kind == "lot" and self.passing:
            self.draw_budgets(mv)
            if not self.drive_lot(mv):  # attacks or waits on the way: the process drives it
                self._drive(mv, drawn=True)
            return
        self._drive(mv)

    def _drive(self, mv: Movement, resume: FixedTrip | None = None, drawn: bool = False) -> None:
        """Start the movement's process (after a replayed trip's fixed legs: ``resume``).

        ``drawn``: the budgets are drawn already (by :meth:`replay`, for the last leg).
        """
        if not drawn:
            self.draw_budgets(mv)
        mv.replay = None
        mv.process = self.env.process(self.movement(mv, resume))

    @staticmethod
    def draw_budgets(mv: Movement) -> None:
        """The movement's first two draws: its unit-exponential ambush and IED budgets."""
        mv.budget_ambush = float(mv.rng.exponential())
        mv.budget_ied = float(mv.rng.exponential())

    # ------------------------------------------------------------------ fixed trips
    def replay(self, mv: Movement, trip: FixedTrip) -> None:
        """Drive a batch's fixed legs without a process (:mod:`.feeders`), and its last leg too
        if no attack comes on it: one callback at the end, where the process takes over if the
        trip goes on.

        Times are those of the leg-by-leg run: each fixed leg's end from
        :func:`~.hazard.free_leg_end_h` and the last leg's from :func:`~.hazard.plan_stretch`
        with the budgets and factors :meth:`_traverse` would use, each leg's timeout
        ``now + (end - now)`` as SimPy adds it.
        """
        plan, now = self.plan, self.env.now
        table, lengths, speeds = plan.threats, plan.edge_length_km, plan.edge_speed_kmh
        mv.depart_h = now
        mv.route.append(mv.origin)
        mv.replay = trip
        t, ends = now, []
        for pieces in trip.legs:
            t = t + (free_leg_end_h(pieces, t, table, lengths, speeds) - t)
            ends.append(t)
        mv.leg_ends = ends
        mv.planned = trip.paths[0] if trip.paths else trip.last_path
        if trip.last and not table.adversary:
            self.draw_budgets(mv)
            sp = plan_stretch(trip.last, 0, trip.last[0].f0, t, mv.budget_ambush, mv.budget_ied,
                              table, self.deterrence(mv), lengths, speeds,
                              size_factor(mv.tankers, self.sc.threats.targeting))
            if sp.attack is None:  # it reaches the staging point unharmed
                ends.append(t + (sp.end_h - t))
                self.at(ends[-1], lambda: self._staged(mv, trip.full_route, trip.last_path))
                return
            if not trip.legs:  # attacked on its first leg: the process drives it all
                mv.route.clear()
                self._drive(mv, drawn=True)
                return
        if trip.complete:
            self.at(t, lambda: self._staged(mv, trip.route, trip.paths[-1]))
        else:
            drawn = bool(trip.last) and not table.adversary
            self.at(t, lambda: self._resume(mv, trip, drawn))

    def _resume(self, mv: Movement, trip: FixedTrip, drawn: bool) -> None:
        mv.route = list(trip.route)
        self._drive(mv, trip, drawn)

    def _staged(self, mv: Movement, route: tuple[str, ...], planned: tuple[str, ...]) -> None:
        """A replayed batch reaches its staging point."""
        mv.replay = None
        mv.route = list(route)
        mv.planned = planned
        self.active.discard(mv)
        self.join_staging(mv.target, mv.lots)
        self.end_movement(mv, "staged", mv.target)

    @staticmethod
    def replayed_so_far(mv: Movement, now: float) -> None:
        """Set the route and planned path of a replayed trip still on the road at ``now``."""
        trip = mv.replay
        done = sum(1 for t in mv.leg_ends[:len(trip.legs)] if t <= now)  # legs whose timeout
        mv.route = list(trip.route[:trip.route_len[done - 1]]) if done else [mv.origin]
        mv.planned = trip.paths[done] if done < len(trip.paths) else trip.last_path

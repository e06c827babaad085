"""A movement's journey: escort, legs between stops, attacks, turn-backs, drops and deliveries.

The generator methods here are SimPy processes run by :class:`~corridorsim.model.engine.
Replication` (a mixin: they use ``self.env`` and the engine's ``Interrupt`` class, so this
module need not import SimPy). May import the other model modules.

A movement drives leg by leg between stops (checkpoints, staging points, destinations and,
with several destinations, junctions). A leg takes one timeout unless an attack happens on the
way (:func:`~corridorsim.model.hazard.plan_stretch` finds where). At each stop the lots for this
node are delivered, lots whose route to their destination parts here from the convoy's (or
whose destination's ``drop_node`` this is) go on alone as a ``lot`` movement, and once its
target is served the convoy heads for the next destination aboard (smallest priority number,
then most litres). Standing still (waiting for the escort, at a checkpoint, to regroup, for a
road to reopen) it is exposed to :mod:`.standing` attacks.

Turn-back rule: an ambush that turns the convoy back sends it to the nearest stop
(``threats.ambush.turn_back_to: nearest_stop``): leaving the way it came, the stop reached
soonest over open roads other than the attacked edge, which may be the last stop passed or one
on another road from the junction behind it; ``last_stop`` drives back to the last stop passed.
"""

from __future__ import annotations

import math

from .drive_through import DriveThrough
from .driving import Driving
from .entities import Lot, Movement
from .threats import deterrence_factor, draw_ambush, draw_duration, escort_strength

__all__ = ["Journeys"]


class Journeys(DriveThrough, Driving):
    """Movement processes, mixed into the engine's Replication."""

    # ------------------------------------------------------------------ targets
    def lead_target(self, mv: Movement) -> str:
        """Node of the destination the movement heads for first."""
        plan = self.plan
        litres: dict[int, int] = {}
        for lot in mv.lots:
            litres[lot.dest] = litres.get(lot.dest, 0) + lot.litres
        k = min(litres, key=lambda j: (plan.destinations[j].priority, -litres[j], j))
        return plan.dest_nodes[k]

    # ------------------------------------------------------------------ the journey
    def movement(self, mv: Movement, resume=None):
        """The movement's process; ``resume``: the replayed legs it starts after (.feeders)."""
        env, plan = self.env, self.plan
        outcome = "in_transit"
        if resume is not None:  # a batch that has driven the fixed legs of its trip
            at, via = resume.end, list(resume.via)
        else:
            yield from self._acquire_escort(mv)
            if mv.tankers == 0:
                self.end_movement(mv, "destroyed", mv.origin)
                return
            mv.depart_h = env.now
            mv.route.append(mv.origin)
            at = mv.origin
            via = list(mv.via if mv.via is not None else plan.router.via.get(mv.origin, ()))
        if mv.kind not in ("batch", "lot"):
            self.event("departure", mv, node=at, tankers=mv.tankers, litres=mv.litres,
                       escort=mv.escort_units)
        passing = self.passing
        cut_short = False  # the last passage stopped before an attack on its next leg
        while True:
            if mv.to_staging and at == mv.target:
                self.active.discard(mv)
                self.join_staging(at, mv.lots)
                outcome = "staged"
                break
            if passing and not cut_short:
                hop = yield from self.pass_through(mv, at, via)
                if hop is not None:
                    at, via, cut_short = hop
                    if not (yield from self._checkpoint(mv, at)):
                        outcome = "destroyed"
                        break
                    continue
            cut_short = False
            path = None
            if not mv.to_staging:
                path = self._serve_stop(mv, at, via)
                if not mv.lots:
                    outcome = "delivered" if mv.tankers_start - mv.destroyed_t > mv.handed_t \
                        else "handed_off"
                    break
            if path is None:
                path = self._route(at, mv.target, via)
            if path is None:
                yield from self.stand(mv, at, self.graph_changed)
                if mv.tankers == 0:
                    outcome = "destroyed"
                    break
                continue
            mv.planned = path
            pieces, leg_end = plan.first_leg(path)
            result, travelled, hit = yield from self._traverse(mv, pieces)
            if result == "arrived":
                at = leg_end
                self.walk(mv, pieces)
                if via:
                    via = [n for n in via if n not in mv.route]
                if not (yield from self._checkpoint(mv, at)):
                    outcome = "destroyed"
                    break
                continue
            if result == "destroyed":
                outcome = "destroyed"
                break
            # turned back or cut off ahead: retreat to a stop, then re-plan there
            reason = result
            back, stop = self.retreat(mv, travelled, hit if reason == "turned_back" else None)
            if reason == "turned_back":
                mv.turn_backs += 1
                self.event("turn_back", mv, node=stop, tankers=mv.tankers, litres=mv.litres,
                           escort=mv.escort_units)
            self.walk(mv, travelled)
            if back:
                result, _, _ = yield from self._traverse(mv, back, retreat=True)
                if result == "destroyed":
                    outcome = "destroyed"
                    break
                self.walk(mv, back)
            at = stop
            if mv.route[-1] != at:
                mv.route.append(at)
            if reason == "turned_back" and mv.regroup_delay_h > 0:
                yield from self.stand(mv, at, env.timeout(mv.regroup_delay_h))
                if mv.tankers == 0:
                    outcome = "destroyed"
                    break
        self.end_movement(mv, outcome, at)

    def _checkpoint(self, mv: Movement, at: str):
        """Wait at a checkpoint just reached, if ``at`` is one; return False if destroyed."""
        plan = self.plan
        cp = plan.checkpoints.get(at)
        if cp is not None and at not in plan.dest_node_set:  # staging arrivals clear customs
            wait = cp.fixed_delay_h
            if cp.random_wait is not None:
                wait += draw_duration(mv.rng, cp.random_wait)
            if wait > 0:
                yield from self.stand(mv, at, self.env.timeout(wait))
                if mv.tankers == 0:
                    return False
        return True

    def _route(self, at: str, target: str, via) -> tuple[str, ...] | None:
        closed = self.closed
        return self.plan.router.route_on(at, target, via, closed.edges, closed.nodes)

    def _serve_stop(self, mv: Movement, at: str, via) -> tuple[str, ...] | None:
        """Deliver, hand off and re-target at stop ``at``; return the convoy's path on from here."""
        plan = self.plan
        here = [lot for lot in mv.lots if plan.dest_nodes[lot.dest] == at]
        if here:
            self._deliver(mv, here, at)
        if mv.kind == "lot":  # already on its own: it only delivers
            return None
        dropped = [lot for lot in mv.lots if plan.destinations[lot.dest].drop_node == at]
        if dropped:  # the named depot: they go on alone from here
            self._hand_off(mv, dropped, at)
        if not mv.lots:
            return None
        if mv.target == at or mv.target not in {plan.dest_nodes[lot.dest] for lot in mv.lots}:
            mv.target = self.lead_target(mv)
        others = [lot for lot in mv.lots if plan.dest_nodes[lot.dest] != mv.target
                  and plan.destinations[lot.dest].drop_node is None]
        if not others:
            return None
        path = self._route(at, mv.target, via)
        leave = []
        for lot in others:
            own = self._route(at, plan.dest_nodes[lot.dest], ())
            if own is not None and (path is None or len(path) < 2 or own[1] != path[1]):
                leave.append(lot)
        if leave:
            self._hand_off(mv, leave, at)
        return path

    def _hand_off(self, mv: Movement, lots: list[Lot], at: str) -> None:
        """Lots leave the convoy here and go on alone, one movement per destination."""
        mv.take_lots(lots)
        t, litres = sum(x.tankers for x in lots), sum(x.litres for x in lots)
        mv.handed_t += t
        mv.handed_l += litres
        self.event("hand_off", mv, node=at, tankers=t, litres=litres,
                   detail=",".join(sorted({self.plan.dest_names[x.dest] for x in lots})))
        for dest in sorted({x.dest for x in lots}):
            group = [x for x in lots if x.dest == dest]
            lot_mv = Movement(self.new_id(), f"{mv.name}>{self.plan.dest_names[dest]}", "lot",
                              mv.source, at, self.plan.dest_nodes[dest], group, formed_h=self.env.now)
            self.start(lot_mv, dest)

    def _deliver(self, mv: Movement, lots: list[Lot], node: str) -> None:
        now = self.env.now
        d = self.day_of(now)
        mv.take_lots(lots)
        into: dict[int, int] = {}  # litres per destination: one addition to each stock
        sources = self.sc.sources
        tankers = litres = 0
        for lot in lots:
            k, n, x = lot.dest, lot.tankers, lot.litres
            tankers += n
            litres += x
            self.delivered_t[k] += n
            self.delivered_l[k] += x
            self.day_delivered_l[k][d] += x
            self.day_delivered_t[k][d] += n
            into[k] = into.get(k, 0) + x
            if lot.source >= 0 and sources[lot.source].fleet_tankers is not None:
                self._return_empty(lot.source, n, node)
        for k, x in into.items():
            self.stocks[k].add(now, x)
        if self.keep_events:
            self.event("delivery", mv, node=node, tankers=tankers, litres=litres,
                       escort=mv.escort_units)

    # ------------------------------------------------------------------ waiting
    def uninterruptible(self, event):
        """Wait for ``event``; closures may interrupt meanwhile, the wait goes on."""
        while not event.processed:
            try:
                yield event
            except self.Interrupt:
                continue

    def stand(self, mv: Movement, node: str, *events):
        """Wait at ``node`` until one of ``events`` triggers, exposed to standing attacks.

        The events are waited for flat (never a condition of a condition: SimPy detaches a
        nested condition once its parent fires).
        """
        env, standing = self.env, self.plan.standing

        def done() -> bool:
            return any(ev.processed for ev in events)

        while not done():
            if not standing.enabled:
                yield from self.uninterruptible(env.any_of(events) if len(events) > 1 else events[0])
                return
            det = standing.deterrence
            factor = deterrence_factor(escort_strength(mv.escort_units, mv.tankers),
                                       det.rate_floor, det.rate_scale)
            t_att = standing.time_to_attack(node, env.now, float(mv.rng.exponential()), factor)
            if math.isinf(t_att):
                yield from self.uninterruptible(env.any_of(events) if len(events) > 1 else events[0])
                return
            yield from self.uninterruptible(env.any_of([*events, env.timeout(t_att - env.now)]))
            if done():
                return
            self._standing_attack(mv, node)
            if mv.tankers == 0:
                return

    def _standing_attack(self, mv: Movement, node: str) -> None:
        n = mv.tankers
        out = draw_ambush(mv.rng, self.sc, n, mv.escort_units)
        litres, lost = self.suffer(mv, out)
        self.standing_attacks += 1
        self.event("standing_attack", mv, node=node, tankers=n, litres=mv.litres + litres,
                   destroyed_t=out.tankers_destroyed, destroyed_l=litres,
                   escort=mv.escort_units + lost, escort_lost=lost)

    def _acquire_escort(self, mv: Movement):
        if mv.escort_base is None or mv.escort_wanted == 0 or mv.escort_policy == "none":
            return
        env, b = self.env, mv.escort_base
        pool = self.pools[b]
        mv.wait_start_h = t0 = env.now
        mv.waiting_escort = True
        self.escort_waiting.add(mv)
        want = min(mv.escort_wanted, self.escorts.in_service(b))
        if mv.escort_policy == "available":
            # what is free now and not promised to convoys already waiting at this base
            want = min(want, int(pool.level)) if not pool.get_queue else 0
        while want > 0:
            req = pool.get(want)
            lost_ev = self.escort_lost_event[b]
            yield from self.stand(mv, mv.origin, req, lost_ev)
            if req.triggered and mv.tankers > 0:
                break
            if req.triggered:
                pool.put(want)  # destroyed while the units were on their way to it
            else:
                req.cancel()
            if mv.tankers == 0:
                mv.waiting_escort = False
                self.escort_waiting.discard(mv)
                return
            # units lost elsewhere: ask again for no more than now exist
            want = min(want, self.escorts.in_service(b))
        if want > 0:
            mv.escort_units = want
            self.escorts.taken(b, want, env.now)
            deploy = self.plan.static_time_h(self.plan.bases[b].node, mv.origin)
            if deploy > 0:
                yield from self.stand(mv, mv.origin, env.timeout(deploy))
        mv.waiting_escort = False
        self.escort_waiting.discard(mv)
        mv.escort_wait_h = env.now - t0
        self.escort_waits.append(mv.escort_wait_h)

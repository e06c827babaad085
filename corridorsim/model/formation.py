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
from .entities import Lot, Movement, split_by_shares
from .escorts import escort_request
from .staging import TIE_H
from .streams import keyed_rng, keyed_stream, movement_rng
from .threats import draw_ambush

__all__ = ["Formation"]


class Formation:
    """Supply, staging and scheduled convoys, mixed into the engine's Replication."""

    # ------------------------------------------------------------------ supply
    def _supply(self, i: int):
        env, src, plan = self.env, self.sc.sources[i], self.plan
        sched = plan.supply[i]
        rng = keyed_rng(self.seed, self.rep, "supply", i)
        carry = 0.0
        t = 0.0
        while t < plan.horizon_h:
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
                split = split_by_shares(n, plan.source_shares[i], self.assigned[i])
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
        plan = self.plan
        sp = plan.staging[node]
        lots = self.queues[node].take(sp.max_tankers)
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
        mv.process = self.env.process(self.movement(mv))

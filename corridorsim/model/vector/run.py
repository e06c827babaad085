"""Drive many replications' scheduled convoys at once: one trajectory per (replication, convoy).

On an eligible scenario (:mod:`.eligibility`) the convoys of a replication do not interact, so
each (replication, convoy) pair is an independent trajectory and all of them advance together,
one step of their own history per pass (the road up to the next attack or the leg's end, driven
stretch by stretch within the pass; an attack; a turn-back; a plan at a stop), whatever their
clocks. Axis 0 of every state array is the trajectory (replication-major). Each step performs
the engine's own floating-point operations in the engine's order
(:func:`corridorsim.model.hazard.plan_stretch`, SimPy's ``now + (end - now)`` clock), and each
trajectory reads the movement stream of the engine
(:func:`corridorsim.model.streams.movement_key`, draw order: ambush budget, IED budget,
checkpoint waits, per attack a new budget and :data:`~corridorsim.model.threats.ATTACK_UNIFORMS`
outcome uniforms), so every replication agrees with the SimPy engine's. A replication's result
does not depend on which others share its batch.

The driving runs on the array module ``xp`` (NumPy or CuPy, :mod:`.arrays`); the rare host
work (new legs, attack outcomes) runs on NumPy copies of the few trajectories concerned.
:mod:`.assemble` turns the logs into records (:mod:`.batch` does both). May import numpy and the
model's pure modules.
"""

from __future__ import annotations

import math
import weakref
from typing import Any

import numpy as np

from ..counters import stream_keys_array, uniforms_array
from ..plan import ScenarioPlan
from ..streams import MOVEMENT_KINDS, STREAM_NAMES
from ..threats import ATTACK_UNIFORMS
from .arrays import exact_map, to_host
from .itinerary import Itinerary, host_map
from .log import Log
from .outcomes import ambush_outcomes, durations, ied_outcomes
from .stretch import drive_stretches

__all__ = ["Trajectories"]

DRIVE, TURNBACK, PLAN, DONE = 0, 1, 2, 3

#: What batches of one plan share: its leg table and the severity CDFs and rate factors of
#: the (tankers, escort units) pairs met so far (all pure functions of the plan).
_SHARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
IN_TRANSIT, DELIVERED, DESTROYED = 0, 1, 2
END_TOL = 1e-12  # as the engine: a stretch ending this close to a piece's end reaches it


class Trajectories:
    """State of every (replication, convoy) trajectory of a batch, and the steps that move it."""

    def __init__(self, plan: ScenarioPlan, seed: int, reps: np.ndarray, xp: Any):
        self.plan, self.xp = plan, xp
        sc = self.sc = plan.scenario
        shared = _SHARED.get(plan)
        if shared is None:
            shared = _SHARED[plan] = (Itinerary(plan), {}, {})
        # the leg table, severity CDFs and rate factors per (tankers, escort units)
        self.itin, self.cdfs, self.factors = shared
        self.log = Log()
        self.horizon_h = plan.horizon_h
        n_conv = len(sc.convoys)
        self.rep = xp.asarray(np.repeat(reps, n_conv))
        conv = np.tile(np.arange(n_conv), len(reps))
        self.conv = xp.asarray(conv)
        size = conv.size
        depart = np.array([max(0.0, sc.hours(c.depart)) for c in sc.convoys])
        tankers = np.array([c.tankers for c in sc.convoys], dtype=np.int64)
        escort = np.array([c.escort_units for c in sc.convoys], dtype=np.int64)
        self.payload = xp.asarray(np.array([c.payload_l for c in sc.convoys], dtype=np.int64)[conv])
        regroup = [plan.staging[c.origin].regroup_delay_h if c.origin in plan.staging else 24.0
                   for c in sc.convoys]
        self.regroup = xp.asarray(np.array(regroup)[conv])
        self.target = xp.asarray(np.array(self.itin.targets, dtype=np.int64)[conv])
        # the threat table as dense arrays [phase period, edge]
        table = plan.threats
        self.breaks = xp.asarray(np.array(table.breaks_h))
        self.breaks_next = xp.asarray(np.array([*table.breaks_h[1:], math.inf]))
        self.amb = xp.asarray(np.array(table._ambush_mult))  # noqa: SLF001 - same module family
        self.ied = xp.asarray(np.array(table._ied_mult))  # noqa: SLF001
        self.length = xp.asarray(np.array(plan.edge_length_km))
        self.speed = xp.asarray(np.array(plan.edge_speed_kmh))
        # checkpoint waits per node (destinations never wait)
        self.cp_fixed = np.zeros(len(self.itin.nodes))
        self.cp_random: dict[int, Any] = {}
        for node, cp in plan.checkpoints.items():
            if node in plan.dest_node_set:
                continue
            j = self.itin.node_id[node]
            self.cp_fixed[j] = cp.fixed_delay_h
            if cp.random_wait is not None:
                self.cp_random[j] = cp.random_wait
        # state
        z = lambda dt=np.float64: xp.zeros(size, dtype=dt)  # noqa: E731
        self.key = stream_keys_array(
            seed, (self.rep, STREAM_NAMES.index("movements"), MOVEMENT_KINDS["scheduled"],
                   self.conv, 0), xp)
        self.started = xp.asarray(depart[conv] <= self.horizon_h)
        self.mode = xp.where(self.started, PLAN, DONE).astype(np.int8)
        self.outcome = z(np.int8)
        self.now = xp.asarray(0.0 + depart[conv])
        self.end_h = xp.full(size, math.nan)
        # the timeout that last resumed each trajectory (a row of the log's resumes): SimPy
        # serves timeouts of equal time in the order they were scheduled, and so do the records
        self.resume = xp.full(size, -1, dtype=np.int64)
        self.n = xp.asarray(tankers[conv])
        self.e = xp.asarray(escort[conv])
        self.e_lost, self.dest_t, self.attacks, self.turn_backs = (z(np.int64) for _ in range(4))
        self.leg, self.i, self.hit_k, self.plan_leg = (z(np.int64) for _ in range(4))
        self.plan_leg -= 1
        self.f, self.hit_f = z(), z()
        self.retreat = z(bool)
        self.draw = xp.full(size, 2, dtype=np.int64)
        self.budget_a = -exact_map(xp, "log", uniforms_array(self.key, 0, xp))
        self.budget_i = -exact_map(xp, "log", uniforms_array(self.key, 1, xp))
        origin = np.array([self.itin.node_id[c.origin] for c in sc.convoys], dtype=np.int64)
        self.at = xp.asarray(origin[conv])
        self.via_bits = xp.asarray(np.array([self.itin.full_via(c) for c in range(n_conv)],
                                            dtype=np.int64)[conv])
        origin_bits = [sum(1 << j for j, v in enumerate(self.itin.vias[c]) if v == sc.convoys[c].origin)
                       for c in range(n_conv)]
        self.visited = xp.asarray(np.array(origin_bits, dtype=np.int64)[conv])
        go = xp.flatnonzero(self.started)
        self.log.resumed(self, go)
        self.log.event(self, go, "departure", node=self.at[go])
        self.log.append_node(self, go, self.at[go])

    # ------------------------------------------------------------------ helpers
    def _late(self, idx, new_now):
        """Set the clocks of ``idx`` to ``new_now``; those past the horizon stop in transit.

        Returns the indices still running."""
        self.now[idx] = new_now
        late = new_now > self.horizon_h
        gone = idx[late]
        self.mode[gone] = DONE
        self.outcome[gone] = IN_TRANSIT
        kept = idx[~late]
        self.log.resumed(self, kept)
        return kept

    def _wait(self, idx, wait_h) -> None:
        """Wait ``wait_h`` hours (a SimPy timeout when positive); past the horizon: stop."""
        pos = wait_h > 0
        moving = idx[pos]
        if moving.size:
            self._late(moving, self.now[moving] + wait_h[pos])

    def host(self, name: str) -> np.ndarray:
        """A NumPy copy of state array ``name``."""
        return to_host(getattr(self, name))

    def _host(self, fn, cols, n_out):
        outs = host_map(fn, [to_host(c) for c in cols], n_out)
        return [self.xp.asarray(o) for o in outs]

    # ------------------------------------------------------------------ steps
    def step_plan(self, idx) -> None:
        """At stop ``at``: deliver at the target, else take the leg towards it."""
        here = self.at[idx] == self.target[idx]
        done = idx[here]
        if done.size:
            self.log.event(self, done, "delivery", node=self.at[done])
            self.mode[done] = DONE
            self.outcome[done] = DELIVERED
            self.end_h[done] = self.now[done]
        idx = idx[~here]
        if not idx.size:
            return
        (leg,) = self._host(self.itin.forward, (self.conv[idx], self.at[idx], self.via_bits[idx]), 1)
        stuck = leg < 0
        self.mode[idx[stuck]] = DONE  # no road: waits for good (no closures ever reopen one)
        idx, leg = idx[~stuck], leg[~stuck]
        self.leg[idx] = leg
        self.plan_leg[idx] = leg
        self.i[idx] = 0
        self.f[idx] = 0.0
        self.retreat[idx] = False
        self.mode[idx] = DRIVE

    def step_turn_back(self, idx) -> None:
        """A turned-back convoy heads back for the stop the engine's retreat rule picks."""
        rleg, stop = self._host(self.itin.retreat, (self.leg[idx], self.hit_k[idx]), 2)
        self.turn_backs[idx] += 1
        self.log.event(self, idx, "turn_back", node=stop)
        k_end = self.hit_k[idx] + (self.hit_f[idx] >= 1.0 - END_TOL)
        self._walk(idx, self.leg[idx], k_end)
        self.at[idx] = stop
        back = rleg >= 0
        b = idx[back]
        self.leg[b] = rleg[back]
        self.i[b] = 0
        self.f[b] = 1.0 - self.hit_f[b]
        self.retreat[b] = True
        self.mode[b] = DRIVE
        self._regroup(idx[~back])

    def _regroup(self, idx) -> None:
        self.log.append_node(self, idx, self.at[idx])
        self.mode[idx] = PLAN
        self._wait(idx, self.regroup[idx])

    def _walk(self, idx, leg, k_end) -> None:
        self.log.walk(self, idx, leg, k_end)
        (mask,) = self._host(self.itin.via_mask, (self.conv[idx], leg, k_end), 1)
        self.visited[idx] |= mask

    def _arrive(self, idx) -> None:
        """End of a leg: the stop's checkpoint wait (forward legs) or regroup (retreats)."""
        xp = self.xp
        if not idx.size:
            return
        ret = self.retreat[idx]
        n_p = xp.asarray(self.itin.arrays()["n_pieces"])[self.leg[idx]]
        self._walk(idx, self.leg[idx], n_p)
        self._regroup(idx[ret])
        idx = idx[~ret]
        if not idx.size:
            return
        self.at[idx] = xp.asarray(self.itin.arrays()["end"])[self.leg[idx]]
        self.via_bits[idx] &= ~self.visited[idx]
        at = self.at[idx]
        wait = xp.asarray(self.cp_fixed)[at]
        for node, dist in self.cp_random.items():
            sel = at == node
            j = idx[sel]
            if j.size:
                u = to_host(uniforms_array(self.key[j], self.draw[j], xp))
                self.draw[j] += 1
                wait[sel] = wait[sel] + xp.asarray(durations(u, dist))
        self.mode[idx] = PLAN
        self._wait(idx, wait)

    def step_drive(self, idx) -> None:
        """Drive each trajectory of ``idx`` to its next attack or to the end of its leg.

        One pass drives every stretch up to there (the pieces, and their cuts at phase
        boundaries, :func:`.stretch.drive_stretches`): it loops over the stretch for the
        trajectories still driving, each round doing for them what
        :func:`~corridorsim.model.hazard.plan_stretch` does for one stretch, in the same
        floating-point operations and order. So a leg of many pieces costs one pass plus a few
        array operations per stretch, not a pass per stretch.
        """
        xp = self.xp
        arr = self.itin.arrays()
        n_p = xp.asarray(arr["n_pieces"])[self.leg[idx]]
        over = self.i[idx] >= n_p  # attacked at the very end of the leg: arrived
        if xp.any(over):
            self._arrive(idx[over])
            idx, n_p = idx[~over], n_p[~over]
        if not idx.size:
            return
        d = drive_stretches(self, idx, n_p)
        fired = d.fired
        # legs driven to their end
        ended = ~fired
        e_idx = idx[ended]
        if e_idx.size:
            self.i[e_idx] = d.i[ended]
            self.f[e_idx] = d.f[ended]
            self.budget_a[e_idx] = xp.maximum(d.budget_a[ended], 0.0)
            self.budget_i[e_idx] = xp.maximum(d.budget_i[ended], 0.0)
            now = self.now[e_idx]
            e_idx = self._late(e_idx, now + (d.t_h[ended] - now))
            self._arrive(e_idx)
        # stretches ending in an attack
        a = idx[fired]
        if a.size:
            fa, i_hit = d.fa[fired], d.i[fired]
            self.budget_a[a] = xp.maximum(d.budget_a[fired], 0.0)
            self.budget_i[a] = xp.maximum(d.budget_i[fired], 0.0)
            self.hit_k[a] = i_hit
            self.hit_f[a] = fa
            at_end = fa >= 1.0 - END_TOL
            self.i[a] = i_hit + at_end
            self.f[a] = xp.where(at_end, 0.0, fa)
            now = self.now[a]
            clock = now + (d.t_attack_h[fired] - now)
            keep = clock <= self.horizon_h
            self._late(a, clock)
            if xp.any(keep):
                self._attack(a[keep], d.is_amb[fired][keep])

    def _attack(self, idx, is_amb) -> None:
        """Apply one attack per trajectory of ``idx`` (ambush where ``is_amb``, else IED)."""
        xp = self.xp
        h_idx = to_host(idx)
        amb = to_host(is_amb)
        key, d = self.key[idx], self.draw[idx]
        u = to_host(uniforms_array(key[:, None], d[:, None] + xp.arange(1 + ATTACK_UNIFORMS), xp))
        budget = -exact_map(np, "log", np.ascontiguousarray(u[:, 0]))
        self.draw[idx] += 1 + ATTACK_UNIFORMS
        n0, e0 = to_host(self.n[idx]), to_host(self.e[idx])
        k = np.zeros(h_idx.size, dtype=np.int64)
        delay = np.zeros(h_idx.size)
        lost = np.zeros(h_idx.size, dtype=np.int64)
        turned = np.zeros(h_idx.size, dtype=bool)
        if amb.any():
            k[amb], delay[amb], lost[amb], turned[amb] = ambush_outcomes(
                u[amb, 1:], n0[amb], e0[amb], self.sc, self.cdfs)
        if (~amb).any():
            k[~amb], delay[~amb], lost[~amb], turned[~amb] = ied_outcomes(
                u[~amb, 1:], n0[~amb], e0[~amb], self.sc)
        ba, bi = to_host(self.budget_a[idx]), to_host(self.budget_i[idx])
        self.budget_a[idx] = xp.asarray(np.where(amb, budget, ba))
        self.budget_i[idx] = xp.asarray(np.where(amb, bi, budget))
        lost = np.minimum(lost, e0)
        n1 = n0 - k
        turned &= ~to_host(self.retreat[idx]) & (n1 > 0)
        self.n[idx] = xp.asarray(n1)
        self.e[idx] = xp.asarray(e0 - lost)
        self.e_lost[idx] += xp.asarray(lost)
        self.dest_t[idx] += xp.asarray(k)
        self.attacks[idx] += 1
        self.log.attack(self, idx, amb, n0, k, e0, lost, delay, turned)
        dead = n1 == 0
        gone = idx[xp.asarray(dead)]
        self.mode[gone] = DONE
        self.outcome[gone] = DESTROYED
        self.end_h[gone] = self.now[gone]
        live = xp.asarray(~dead)
        idx = idx[live]
        self.mode[idx] = xp.where(xp.asarray(turned)[live], TURNBACK, DRIVE)
        self._wait(idx, xp.asarray(delay)[live])

    # ------------------------------------------------------------------ the loop
    def run(self) -> None:
        xp = self.xp
        while True:
            mode = self.mode
            if not bool(xp.any(mode != DONE)):
                return
            self.log.tick()
            for code, step in ((PLAN, self.step_plan), (TURNBACK, self.step_turn_back),
                               (DRIVE, self.step_drive)):
                idx = xp.flatnonzero(self.mode == code)
                if idx.size:
                    step(idx)
                    self.log.tick()

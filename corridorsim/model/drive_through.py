"""Driving through the stops that do nothing to a movement (:mod:`.passages`), and a lot's whole
trip to its depot as one event when nothing can happen on the way.

Methods mixed into the engine's Replication (they use ``self.env`` and the engine's
bookkeeping, so this module need not import SimPy). May import the other model modules.

Both drive a :class:`~.passages.Passage` computed once per plan: each leg's hazard is
integrated as :meth:`~.driving.Driving._traverse` would (the movement's budgets carried from
leg to leg, clamped at zero), and each leg ends at the time the leg-by-leg run reaches
(``now + (end - now)``, as SimPy adds it).

* A movement's process drives the attack-free legs of a passage as one timeout to the last
  of them, without the stops' logic.
* A lot handed off a convoy, if its whole trip has no attack and no hold, is no process at all:
  one event at its arrival at the depot, where it delivers as the process would.

The legs' ends left out had no effect but on the movement's own route and plan (set on
arrival, or at the horizon as the legs due by then leave them), and leaving events out changes
no other event's order. The event at a passage's end is scheduled earlier than the last leg's
would have been, which matters only if another event is due at that very instant: then the
replication is run again in full (:class:`~.fastforward.Ambiguous`; none in 200 replications
of the blockade, the instants being float sums). Passage ends where the movement does not act
(an attack awaits it on the next leg: it only sets off there) are exempt from that check.
"""

from __future__ import annotations

from .entities import Movement
from .fastforward import Ambiguous
from .hazard import plan_stretch
from .passages import Passage, plan_passage
from .targeting import size_factor

__all__ = ["DriveThrough"]


class DriveThrough:
    """Passages and process-less lots, mixed into the engine's Replication."""

    def _passage(self, mv: Movement, at: str, via) -> Passage | None:
        if via and any(n in mv.route for n in via):  # (a retreat's stop: not cached)
            return None
        return plan_passage(self.plan, at, mv.target, tuple(via), mv.kind, mv.to_staging,
                            frozenset([lot.dest for lot in mv.lots]))

    def _chain(self, mv: Movement, ps: Passage) -> tuple[list[float], float, float]:
        """Arrival times (h) of the passage's legs from now up to the first leg with an attack
        (excluded), and the budgets left at the last arrival."""
        plan = self.plan
        counts = (mv.escort_units, mv.tankers)
        factors = self.traverse_factors.get(counts)
        if factors is None:
            factors = self.traverse_factors[counts] = (
                self.deterrence(mv), size_factor(mv.tankers, self.sc.threats.targeting))
        table, lengths, speeds = plan.threats, plan.edge_length_km, plan.edge_speed_kmh
        deterrence, ambush_factor = factors
        t, ba, bi = self.env.now, mv.budget_ambush, mv.budget_ied
        ends = []
        for pieces in ps.legs:
            sp = plan_stretch(pieces, 0, pieces[0].f0, t, ba, bi, table, deterrence, lengths,
                              speeds, ambush_factor)
            if sp.attack is not None:
                break
            ends.append(sp.end_h)
            ba, bi = max(sp.budget_ambush, 0.0), max(sp.budget_ied, 0.0)
            t = t + (sp.end_h - t)
        return ends, ba, bi

    def pass_through(self, mv: Movement, at: str, via):
        """Drive the stops from ``at`` on that do nothing to ``mv`` (module docstring).

        The legs before the first one with an attack are driven; that one is left to the
        general logic. Return (the stop reached, the via nodes still to pass, whether an
        attack cut the passage short), or None if there is nothing to pass through.
        """
        ps = self._passage(mv, at, via)
        if ps is None:
            return None
        ends, ba, bi = self._chain(mv, ps)
        if not ends:
            return None
        env, legs, walk = self.env, ps.legs, self.walk
        t, times = env.now, []
        for end in ends:
            t = t + (end - t)
            times.append(t)
        mv.replay, mv.leg_ends = ps, times  # (for the route walked so far at the horizon)
        mv.planned = ps.paths[0]
        driven = ps.legs[:len(ends)]
        complete = len(ends) == len(legs)
        arrival = env.timeout(self.delay_to(times[-1]))
        if not complete:  # an attack awaits on the next leg: it only sets off here
            arrival.hop = True
        yield arrival
        if complete and self.tied(env.now):
            raise Ambiguous(env.now, "an event at the instant a movement ends a passage")
        mv.replay = None
        for pieces in driven:
            walk(mv, pieces)
        mv.planned = ps.paths[len(ends) - 1]
        if via:
            via = [n for n in via if n not in mv.route]
        mv.budget_ambush, mv.budget_ied = ba, bi
        return ps.ends[len(ends) - 1], via, not complete

    # ------------------------------------------------------------------ lots
    def drive_lot(self, mv: Movement) -> bool:
        """Drive a lot gone on alone to its depot as one event at its arrival, if no attack can
        come on the way and nothing holds it; return False (nothing done) otherwise.

        Called where its process would be started, budgets drawn. The arrival time is the one
        the leg-by-leg run reaches (each leg ``t + (end - t)``, as SimPy adds it). Without the
        legs' events, the arrival's event is scheduled earlier than the last leg's would be,
        which could change its place among other events of that instant: if any is still due
        then, other than a leg driven through a stop that does nothing (no record, no id, no
        draw), the replication is run again in full (:class:`~.fastforward.Ambiguous`).
        """
        via = self.plan.router.via.get(mv.origin, ())
        if via and mv.origin in via:
            return False
        ps = self._passage(mv, mv.origin, via)
        if ps is None or ps.ends[-1] != mv.target:
            return False
        ends, _, _ = self._chain(mv, ps)
        if len(ends) < len(ps.legs):
            return False
        env = self.env
        t, times = env.now, []
        for end in ends:
            t = t + (end - t)
            times.append(t)
        mv.replay, mv.leg_ends = ps, times  # (for the route walked so far at the horizon)
        mv.depart_h = env.now
        mv.route.append(mv.origin)
        mv.planned = ps.paths[0]

        def arrive() -> None:
            if self.tied(env.now):
                raise Ambiguous(env.now, "an event at the instant of a lot's arrival")
            self.lot_so_far(mv, env.now)
            self._deliver(mv, list(mv.lots), mv.target)
            self.end_movement(mv, "delivered", mv.target)

        self.at(times[-1], arrive)
        return True

    def lot_so_far(self, mv: Movement, now: float) -> None:
        """Set the route walked and the path planned of a lot driven by :meth:`drive_lot` as
        its legs' events would have left them at ``now`` (each leg whose end is due)."""
        ps, walk = mv.replay, self.walk
        mv.replay = None
        done = sum(1 for t in mv.leg_ends if t <= now)
        for pieces in ps.legs[:done]:
            walk(mv, pieces)
        mv.planned = ps.paths[min(done, len(ps.paths) - 1)]

    def tied(self, t_h: float) -> bool:
        """Whether an event is still due at ``t_h`` (the instant being processed: such events
        are at the top of SimPy's heap), other than a passage's end where its movement does not
        act (marked ``hop``)."""
        queue = self.env._queue
        stack = [0] if queue else []
        while stack:
            i = stack.pop()
            entry = queue[i]
            if entry[0] != t_h:
                continue
            if not getattr(entry[3], "hop", False):
                return True
            stack.extend(j for j in (2 * i + 1, 2 * i + 2) if j < len(queue))
        return False

"""Driving through the stops that do nothing to a movement (:mod:`.passages`), and a lot's whole
trip to its depot without a process when nothing can happen on the way.

Methods mixed into the engine's Replication (they use ``self.env`` and the engine's
bookkeeping, so this module need not import SimPy). May import the other model modules.

Both drive a :class:`~.passages.Passage` computed once per plan: each leg's hazard is
integrated as :meth:`~.driving.Driving._traverse` would (the movement's budgets carried from
leg to leg, clamped at zero) and the leg is one timeout, ending at the time the leg-by-leg run
reaches (``now + (end - now)``, as SimPy adds it). The events are the ones the stop-by-stop
run schedules, at the same steps, so their order (and every record) is the same: only the
stops' logic is skipped. A lot's process ends with an event that nothing waits for; the lot
driven without a process leaves it out, which shifts the ids of later events all by one and
so changes no order.
"""

from __future__ import annotations

from .entities import Movement
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
        env, legs, paths, walk = self.env, ps.legs, ps.paths, self.walk
        for j, end in enumerate(ends):
            mv.planned = paths[j]
            yield env.timeout(end - env.now)
            walk(mv, legs[j])
            if via:
                via = [n for n in via if n not in mv.route]
        mv.budget_ambush, mv.budget_ied = ba, bi
        return ps.ends[len(ends) - 1], via, len(ends) < len(legs)

    # ------------------------------------------------------------------ lots
    def drive_lot(self, mv: Movement) -> bool:
        """Drive a lot gone on alone to its depot without a process, if no attack can come on
        the way and nothing holds it; return False (nothing done) otherwise.

        Called where its process would be started, budgets drawn: an event at this instant
        (the process's start, which comes before the other events of the instant) drives the
        passage's legs as callbacks and delivers at the depot, as the process would.
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
        env, legs, paths, walk = self.env, ps.legs, ps.paths, self.walk
        last = len(ends) - 1

        def leg(j: int) -> None:
            mv.planned = paths[j]
            env.timeout(ends[j] - env.now).callbacks.append(lambda _ev: arrive(j))

        def arrive(j: int) -> None:
            walk(mv, legs[j])
            if j < last:
                leg(j + 1)
                return
            self._deliver(mv, list(mv.lots), mv.target)
            self.end_movement(mv, "delivered", mv.target)

        def depart() -> None:
            mv.depart_h = env.now
            mv.route.append(mv.origin)
            leg(0)

        self.first_at(env.now, depart)
        return True

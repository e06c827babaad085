"""Driving a leg: the hazard along it, attacks and their costs, retreats, the trip's end.

Generator methods are SimPy processes' steps run by the engine's Replication (a mixin: they use
``self.env`` and the engine's ``Interrupt``, so this module need not import SimPy). Attack
outcomes come from :mod:`.threats` (``draw_ambush``, ``draw_ied``) so that other threat
mechanisms hook in there. May import the other model modules and networkx.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import networkx as nx

from .adversary import group_rate_per_h, opportunity_schedule, pick_target
from .entities import Movement
from .hazard import plan_stretch
from .plan import Piece
from .records import ConvoyRow
from .streams import STREAM_NAMES
from .targeting import size_factor
from .threats import deterrence_factor, draw_ambush, draw_ied, escort_strength

__all__ = ["Driving", "Suffered", "stops_behind"]

_new = tuple.__new__  # a NamedTuple from a tuple of its values (see .hazard)


class Suffered(NamedTuple):
    """What an attack cost a convoy: litres destroyed and escort units lost."""

    litres: int
    escort_units_lost: int


class Driving:
    """Leg traversal, attacks and retreats, mixed into the engine's Replication."""

    def _traverse(self, mv: Movement, pieces: tuple[Piece, ...], retreat: bool = False):
        """Drive along ``pieces``; return (result, pieces travelled, (piece, frac) of an attack).

        result is ``arrived``, ``destroyed``, ``turned_back`` or ``cut_off`` (a closure ahead).
        The pieces travelled (what a retreat drives back) are complete unless the result is
        ``arrived``, when nobody reads them: then they stop at the last attack.
        """
        env, plan = self.env, self.plan
        lengths, speeds = plan.edge_length_km, plan.edge_speed_kmh
        targeting, adversary = self.sc.threats.targeting, plan.threats.adversary
        travelled: list[Piece] = []
        factors_of = self.traverse_factors
        i = 0
        f = pieces[0].f0 if pieces else 0.0
        while i < len(pieces):
            if not retreat and self.closed.blocked(pieces, i):
                return "cut_off", travelled, None
            # the escort's deterrence and the targeting factor: functions of the counts only
            counts = (mv.escort_units, mv.tankers)
            factors = factors_of.get(counts)
            if factors is None:
                factors = factors_of[counts] = (self.deterrence(mv),
                                                size_factor(mv.tankers, targeting))
            # with an adversary process ambushes come from its opportunities, not from budgets
            ba = math.inf if adversary else mv.budget_ambush
            sp = plan_stretch(pieces, i, f, env.now, ba, mv.budget_ied, plan.threats, factors[0],
                              lengths, speeds, factors[1])
            mv.remaining = pieces[i:]
            mv.moving = not retreat
            if adversary:  # only the adversary reads the rows being driven
                mv.rows = [(pieces[r.index].edge, r.t_start_h, r.t_end_h, r.ambush_per_km)
                           for r in sp.stretches]
            mv.on_road = True
            try:
                yield env.timeout(sp.end_h - env.now)
                mv.on_road = False
            except self.Interrupt as stop:
                mv.moving = mv.on_road = False
                # where are we? consume the hazard up to now and stop at this position
                now = env.now
                for row in sp.stretches:
                    p = pieces[row.index]
                    if now >= row.t_end_h:
                        fpos = row.f_end
                    else:
                        share = (now - row.t_start_h) / (row.t_end_h - row.t_start_h) \
                            if row.t_end_h > row.t_start_h else 0.0
                        fpos = row.f_start + (row.f_end - row.f_start) * share
                    km = (fpos - row.f_start) * lengths[p.edge]
                    mv.budget_ambush -= row.ambush_per_km * km
                    mv.budget_ied -= row.ied_per_km * km
                    self._travelled(travelled, p, row.f_start, fpos)
                    i, f = row.index, fpos
                    if fpos >= p.f1 - 1e-12:
                        i, f = row.index + 1, (pieces[row.index + 1].f0
                                               if row.index + 1 < len(pieces) else 0.0)
                    if now < row.t_end_h:
                        break
                if stop.cause == "ambush":  # chosen by the adversary (see Replication.adversary)
                    k = min(i, len(pieces) - 1)
                    at_f = f if i < len(pieces) else pieces[k].f1
                    result = yield from self._attack(mv, "ambush", pieces[k], at_f, retreat)
                    if result is not None:
                        return result, travelled, (pieces[k], at_f)
                continue
            mv.moving = False
            if not adversary:
                mv.budget_ambush = max(sp.budget_ambush, 0.0)
            mv.budget_ied = max(sp.budget_ied, 0.0)
            if sp.attack is None:  # (what was travelled matters only to a retreat)
                return "arrived", travelled, None
            for row in sp.stretches:
                self._travelled(travelled, pieces[row.index], row.f_start, row.f_end)
            k = sp.stretches[-1].index
            i, f = k, sp.end_f
            if f >= pieces[k].f1 - 1e-12:
                i, f = k + 1, (pieces[k + 1].f0 if k + 1 < len(pieces) else 0.0)
            result = yield from self._attack(mv, sp.attack, pieces[k], sp.end_f, retreat)
            if result is not None:
                return result, travelled, (pieces[k], sp.end_f)
        return "arrived", travelled, None

    def deterrence(self, mv: Movement) -> float:
        """Deterrence factor on the attack rates a moving convoy faces, its escort as it is now."""
        spec = self.sc.threats.deterrence
        return deterrence_factor(escort_strength(mv.escort_units, mv.tankers),
                                 spec.rate_floor, spec.rate_scale)

    def adversary(self):
        """Ambush opportunities (:mod:`corridorsim.model.adversary`) meet the convoys on the road.

        At each opportunity of a group (corridor or region) the convoys driving that group's
        edges are the candidates, weighted by their ambush hazard per hour; the adversary attacks
        one with probability ``W / (nu + W)`` (:func:`~corridorsim.model.adversary.pick_target`)
        and the chosen convoy's process is interrupted with cause ``"ambush"``.
        """
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

    def suffer(self, mv: Movement, out) -> Suffered:
        """Apply an attack's outcome to ``mv`` (moving or standing): tankers destroyed, escort
        units lost, the attack counted for the day."""
        litres = self._destroy(mv, out.tankers_destroyed)
        lost = min(out.escort_units_lost, mv.escort_units)
        if lost:
            mv.escort_units -= lost
            mv.escort_units_lost += lost
            self.lose_escort(mv.escort_base, lost)
        mv.attacks += 1
        self.day_attacks[self.day_of(self.env.now)] += 1
        return Suffered(litres, lost)

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

    @staticmethod
    def walk(mv: Movement, pieces) -> None:
        """Add to the route the nodes reached at the end of whole pieces."""
        for p in pieces:
            if p.f1 >= 1.0 - 1e-12 and mv.route[-1] != p.v:
                mv.route.append(p.v)

    def _attack(self, mv: Movement, kind: str, piece: Piece, frac: float, retreat: bool):
        """Apply one attack at ``frac`` along ``piece``; return a traverse result or None."""
        n = mv.tankers
        if kind == "ambush":
            mv.budget_ambush = float(mv.rng.exponential())
            out = draw_ambush(mv.rng, self.sc, n, mv.escort_units)
            self.ambushes += 1
        else:
            mv.budget_ied = float(mv.rng.exponential())
            out = draw_ied(mv.rng, self.sc, n, mv.escort_units)
            self.ieds += 1
        litres, lost = self.suffer(mv, out)
        turned = out.turned_back and not retreat and mv.tankers > 0
        self.event(kind, mv, piece=piece, frac=frac, tankers=n, litres=mv.litres + litres,
                   destroyed_t=out.tankers_destroyed, destroyed_l=litres,
                   escort=mv.escort_units + lost, escort_lost=lost, delay_h=out.delay_h,
                   detail="turned back" if turned else "")
        if mv.tankers == 0:
            return "destroyed"
        if out.delay_h > 0:
            yield from self.uninterruptible(self.env.timeout(out.delay_h))
        return "turned_back" if turned else None

    def _destroy(self, mv: Movement, k: int) -> int:
        """Remove ``k`` tankers from the movement's lots (chosen at random across lots)."""
        if k <= 0:
            return 0
        litres = self.destroy_lots(mv.lots, k, mv.rng)
        mv.lots = [lot for lot in mv.lots if lot.tankers > 0]
        mv.tankers -= k
        mv.litres -= litres
        mv.destroyed_t += k
        mv.destroyed_l += litres
        return litres

    # ------------------------------------------------------------------ retreats
    def retreat(self, mv: Movement, travelled: list[Piece], hit) -> tuple[tuple[Piece, ...], str]:
        """Pieces to drive back and the stop they lead to.

        ``hit`` is the (piece, fraction) of the attack that turned the convoy back, or None for
        a closure ahead (always back to the last stop passed).
        """
        back = tuple(Piece(p.edge, p.v, p.u, 1.0 - p.f1, 1.0 - p.f0) for p in reversed(travelled))
        last_stop = mv.route[-1] if mv.route else mv.origin
        if hit is None or self.sc.threats.ambush.turn_back_to == "last_stop":
            return back, last_stop
        piece, frac = hit
        plan = self.plan
        behind = piece.u
        t_back = (frac - 0.0) * plan.edge_length_km[piece.edge] / plan.edge_speed_kmh[piece.edge]
        times, paths = stops_behind(plan, self.closed, behind, piece.edge)
        if not times:
            return back, last_stop
        stop = min(times, key=lambda s: (times[s], s != last_stop, s))
        first = Piece(piece.edge, piece.v, piece.u, 1.0 - frac, 1.0) if frac > 0 else None
        pieces = [first] if first is not None and t_back >= 0 else []
        path = paths[stop]
        for a, b in zip(path, path[1:]):
            pieces.append(Piece(plan.edge_index[(min(a, b), max(a, b))], a, b, 0.0, 1.0))
        return tuple(pieces), stop

    # ------------------------------------------------------------------ the end of a trip
    def end_movement(self, mv: Movement, outcome: str, at: str) -> None:
        self.active.discard(mv)
        if mv.escort_base is not None and mv.escort_units > 0:
            self._escort_home(mv.escort_base, mv.escort_units, at)
        self.convoy_row(mv, outcome)

    def _return_empty(self, source: int, tankers: int, node: str) -> None:
        """Empty tankers drive back (no threats) and reload after the turnaround."""
        self.fleet_returning[source] += tankers
        src = self.sc.sources[source]
        back = self.plan.static_time_h(node, src.node)

        def home() -> None:
            self.fleet_returning[source] -= tankers
            self.fleet_available[source] += tankers

        self.after(back + src.turnaround_h, home)

    def _escort_home(self, base: int, units: int, node: str) -> None:
        """The escort drives back to its base and is free again on arrival."""
        back = self.plan.static_time_h(node, self.plan.bases[base].node)
        self.escorts.head_home(base, units)

        def home() -> None:
            self.escorts.home(base, units, self.env.now)
            self.pools[base].put(units)

        self.after(back, home)

    def convoy_row(self, mv: Movement, outcome: str, censored: bool = False) -> None:
        if mv.kind not in ("batch", "lot"):
            self.convoys_formed += 1
        if not self.keep_convoys:
            return
        route = tuple(mv.route) if len(mv.route) > 1 else (mv.origin,)
        # corridor of the trip: as travelled if it ended at the target, else as last planned
        whole = route
        if route[-1] != mv.target and route[-1] in mv.planned:
            whole = route + mv.planned[mv.planned.index(route[-1]) + 1:]
        end_t = mv.tankers_start - mv.destroyed_t - mv.handed_t
        end_l = mv.litres_start - mv.destroyed_l - mv.handed_l
        # positional, in ConvoyRow's field order (a keyword call binds 28 names: 3 times dearer)
        self.records.convoys.append(_new(ConvoyRow, (
            self.rep, mv.id, mv.name, mv.kind,  # replication, convoy_id, convoy, kind
            mv.source, mv.origin, mv.target,  # source, origin, target
            self.plan.path_corridor(whole), ">".join(route),  # corridor, route
            round(mv.formed_h, 6), round(mv.depart_h, 6),  # formed_h, depart_h
            round(self.env.now, 6) if outcome != "in_transit" else math.nan,  # end_h
            mv.tankers_start, mv.litres_start, end_t, end_l,  # tankers/litres start, end
            mv.destroyed_t, mv.destroyed_l,  # tankers_destroyed, litres_destroyed
            mv.handed_t, mv.handed_l,  # tankers_handed_off, litres_handed_off
            mv.escort_units + mv.escort_units_lost, mv.escort_units_lost,  # escort_units, _lost
            round(mv.escort_wait_h, 6) if mv.escort_wait_h else mv.escort_wait_h,  # (0: as is)
            censored,  # escort_wait_censored
            mv.attacks, mv.turn_backs, outcome,  # attacks, turn_backs, outcome
        )))


def stops_behind(plan, closed, behind: str, attacked: int) -> tuple[dict, dict]:
    """Travel times (h) and paths from ``behind`` to the stops reachable over open roads other
    than edge ``attacked`` (where a turned-back convoy may go), in the order Dijkstra reaches
    them.

    The same for every turn-back at that node and edge while the same roads are closed:
    cached per plan and set of closures (a Dijkstra over the network per turn-back was a few
    per cent of a blockade replication).
    """
    key = (behind, attacked, closed.edge_idx, closed.nodes)
    hit = plan.retreat_stops.get(key)
    if hit is not None:
        return hit

    def weight(a, b, data):
        i = plan.edge_index[(min(a, b), max(a, b))]
        if i == attacked or i in closed.edge_idx or b in closed.nodes:
            return None
        return data["time_h"]

    times, paths = nx.single_source_dijkstra(plan.graph, behind, weight=weight)
    stops = plan.stops
    hit = ({s: t for s, t in times.items() if s in stops},
           {s: p for s, p in paths.items() if s in stops})
    plan.retreat_stops[key] = hit
    return hit

"""Where along a leg the next attack happens: exact integration of a piecewise-constant hazard.

The ambush and IED intensities per convoy-km are constant on each edge between two phase
boundaries (:class:`~corridorsim.model.threats.ThreatTable`), so along a leg driven at constant
speed per edge the integrated hazard is piecewise linear in time and in km. A movement holds a
unit-exponential budget per process; the attack happens where the integral reaches it. A phase
boundary that falls while the convoy is on an edge splits the stretch there, so the hazard is
exact in time and in space (not "rates as at the edge's entry").

Pure functions, no SimPy. May import :mod:`.plan` and :mod:`.threats`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

from .plan import Piece
from .threats import ThreatTable

__all__ = ["Stretch", "StretchPlan", "plan_stretch", "free_leg_end_h", "leg_arrays"]

#: ``tuple.__new__(Cls, values)`` makes the same NamedTuple as ``Cls(*values)`` without the
#: generated ``__new__``'s Python frame: half the cost, in loops run thousands of times.
_new = tuple.__new__


class Stretch(NamedTuple):
    """A stretch of one piece driven at constant rates."""

    index: int  # piece index in the leg
    f_start: float
    f_end: float
    t_start_h: float
    t_end_h: float
    ambush_per_km: float
    ied_per_km: float


class StretchPlan(NamedTuple):
    """What happens from a position until the next attack or the leg's end."""

    stretches: tuple[Stretch, ...]
    attack: str | None  # "ambush", "ied" or None (the leg ends first)
    end_f: float  # position of the attack on the last stretch's piece
    end_h: float  # time of the attack or of the arrival
    budget_ambush: float  # budgets left at that point (before a new draw)
    budget_ied: float


def plan_stretch(pieces: Sequence[Piece], i: int, f: float, t_h: float, budget_ambush: float,
                 budget_ied: float, table: ThreatTable, deterrence: float,
                 lengths_km: Sequence[float], speeds_kmh: Sequence[float],
                 ambush_factor: float = 1.0) -> StretchPlan:
    """Integrate the hazard from fraction ``f`` of piece ``i`` at time ``t_h``.

    Parameters
    ----------
    pieces : sequence of Piece
        The leg.
    i, f : int, float
        Start: piece index and fraction of its edge.
    t_h : float
        Start time, hours.
    budget_ambush, budget_ied : float
        Unit-exponential budgets left.
    table : ThreatTable
    deterrence : float
        Escort deterrence factor on the rates.
    lengths_km, speeds_kmh : sequence of float
        Per edge index.
    ambush_factor : float
        Further factor on the ambush rate only: the convoy's targeting factor
        (:func:`corridorsim.model.targeting.size_factor`).
    """
    ba, bi, t = budget_ambush, budget_ied, t_h
    rows: list[Stretch] = []
    va, vi, next_break = table.period_at(t)
    j, fj = i, f
    n = len(pieces)
    # the leg's pieces once per plan: no attribute look-ups in the loop (same arithmetic)
    hit = _LEGS.get((id(pieces), id(lengths_km), id(speeds_kmh)))
    edges, f0s, f1s, lens, spds = hit[3] if hit is not None else \
        leg_arrays(pieces, lengths_km, speeds_kmh)
    while j < n:
        e, length, speed = edges[j], lens[j], spds[j]
        if t >= next_break:
            va, vi, next_break = table.period_at(t)
        f_end = f1s[j]
        km = (f_end - fj) * length
        dt = km / speed
        split = t + dt > next_break  # a phase boundary falls on this stretch: cut it there
        if split:
            dt = next_break - t
            km = dt * speed
            f_end = fj + km / length
        ra, ri = va[e] * deterrence * ambush_factor, vi[e] * deterrence
        ha, hi = ra * km, ri * km
        if ha >= ba or hi >= bi:
            xa = ba / ra if ha >= ba else math.inf  # only the process that fires here
            xi = bi / ri if hi >= bi else math.inf
            x = min(xa, xi, km)
            dx = x / speed
            fa = fj + x / length
            rows.append(_new(Stretch, (j, fj, fa, t, t + dx, ra, ri)))
            return _new(StretchPlan, (tuple(rows), "ambush" if xa <= xi else "ied", fa, t + dx,
                                      ba - ra * x, bi - ri * x))
        rows.append(_new(Stretch, (j, fj, f_end, t, t + dt, ra, ri)))
        ba -= ha
        bi -= hi
        if split:
            t, fj = next_break, f_end
            continue
        t += dt
        j += 1
        fj = f0s[j] if j < n else 0.0
    return _new(StretchPlan, (tuple(rows), None, fj, t, ba, bi))


_LEGS: dict = {}  # ids of (pieces, lengths, speeds) -> (the three, arrays); see leg_arrays


def leg_arrays(pieces: Sequence[Piece], lengths_km: Sequence[float],
               speeds_kmh: Sequence[float]) -> tuple[tuple, tuple, tuple, tuple, tuple]:
    """The edge, start and end fractions, length (km) and speed (km/h) of each piece of a leg.

    Cached per leg and per pair of edge tables (a plan's ``edge_length_km`` and
    ``edge_speed_kmh``, which live as long as the plan): a movement drives the same few legs in
    every replication. Keyed by identity (hashing the pieces would cost as much as the lookups
    saved); the entry holds the three objects, so that their ids cannot be reused meanwhile.
    """
    key = (id(pieces), id(lengths_km), id(speeds_kmh))
    hit = _LEGS.get(key)
    if hit is not None:
        return hit[3]
    edges = tuple(p.edge for p in pieces)
    out = (edges, tuple(p.f0 for p in pieces), tuple(p.f1 for p in pieces),
           tuple(lengths_km[e] for e in edges), tuple(speeds_kmh[e] for e in edges))
    if type(pieces) is not tuple:  # a list could change under the same id: not cached
        return out
    if len(_LEGS) >= _LEGS_MAX:
        _LEGS.clear()
    _LEGS[key] = (pieces, lengths_km, speeds_kmh, out)
    return out


_LEGS_MAX = 20_000  # legs kept at most (retreats make new ones); cleared when full


def free_leg_end_h(pieces: Sequence[Piece], t_h: float, table: ThreatTable,
                   lengths_km: Sequence[float], speeds_kmh: Sequence[float]) -> float:
    """Arrival time (h) at the end of a whole leg started at ``t_h`` on which nothing can attack.

    The same floating-point operations as :func:`plan_stretch` with zero intensities (a phase
    boundary still cuts the stretch where it falls), so that a trip replayed without a process
    (:mod:`.feeders`) arrives at exactly the time the leg-by-leg run reaches.
    """
    t = t_h
    next_break = table.next_break_after(t)
    j, fj = 0, pieces[0].f0
    n = len(pieces)
    while j < n:
        p = pieces[j]
        length, speed = lengths_km[p.edge], speeds_kmh[p.edge]
        if t >= next_break:
            next_break = table.next_break_after(t)
        dt = (p.f1 - fj) * length / speed
        if t + dt > next_break:
            fj += (next_break - t) * speed / length
            t = next_break
            continue
        t += dt
        j += 1
        fj = pieces[j].f0 if j < n else 0.0
    return t

"""The stretch loop of a driving pass: every trajectory of the pass to its next attack or leg end.

What a stretch looks like (its edge, length, speed, phase cut, hazard rates, the clock and
position after it) depends only on a trajectory's leg, piece, fraction of it, clock, tankers
and escort units, not on its hazard budgets. Trajectories that share all six share every
stretch until one of them is attacked (and leaves the pass), so the loop works out each
stretch once per *group* of such trajectories and, per trajectory, only spends its budgets
and tests for an attack. Many replications of a convoy leave their origin in the same state,
so the first pass of a batch of thousands has as many groups as there are convoys. Each
stretch performs the operations of :func:`corridorsim.model.hazard.plan_stretch`, in its
order, so every trajectory's result is the engine's to the last bit. Runs on the array module
of the trajectories (:mod:`.arrays`). May import numpy and the model's pure modules.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from .arrays import to_host
from .outcomes import rate_factors

__all__ = ["Driven", "drive_stretches"]


class Driven(NamedTuple):
    """Where a driving pass leaves each of its trajectories (one element per trajectory)."""

    fired: Any  # bool: the pass ended in an attack
    is_amb: Any  # bool: that attack is an ambush (else an IED)
    i: Any  # int64: piece reached (leg end) or attacked on
    f: Any  # float64: fraction of the piece reached at the leg end
    t_h: Any  # float64: clock at the leg end (stretch arithmetic, before SimPy's clock)
    fa: Any  # float64: fraction of the piece at the attack
    t_attack_h: Any  # float64: clock at the attack
    budget_a: Any  # float64: ambush budget left (not yet floored at 0)
    budget_i: Any  # float64: IED budget left (not yet floored at 0)


def _groups(xp: Any, keys: tuple, conv: Any) -> tuple[Any, Any] | None:
    """The group of each element and one element of each group, or None for a group each.

    The groups tried are the convoys (the replications of a convoy leave its origin alike),
    kept when every element equals its group's first in every key."""
    m = keys[0].size
    if all(bool(xp.all(k == k[0])) for k in keys):
        return xp.zeros(m, dtype=np.int64), xp.zeros(1, dtype=np.int64)
    _, rep, g_of = xp.unique(conv, return_index=True, return_inverse=True)
    if rep.size * 2 > m:
        return None
    g_of = g_of.reshape(-1)
    if all(bool(xp.all(k == k[rep][g_of])) for k in keys):
        return g_of, rep
    return None


def drive_stretches(traj: Any, idx: Any, n_p: Any) -> Driven:
    """Drive the trajectories ``idx`` of ``traj`` (:class:`.run.Trajectories`) stretch by
    stretch to their next attack or the end of their leg (``n_p`` pieces)."""
    xp = traj.xp
    arr = traj.itin.arrays()
    leg, n, e = traj.leg[idx], traj.n[idx], traj.e[idx]
    grouped = _groups(xp, (leg, traj.i[idx], traj.f[idx], traj.now[idx], n, e), traj.conv[idx])
    m = idx.size
    own = grouped is None  # a group each, in the order of the trajectories
    g_of, rep = (xp.arange(m), xp.arange(m)) if own else grouped
    one = rep.size == 1  # every trajectory in one group: its values broadcast
    # the state of each group, advanced stretch by stretch
    g_idx = idx[rep]
    i_g, f_g, t_g = traj.i[g_idx], traj.f[g_idx], traj.now[g_idx]
    np_g = n_p[rep]
    det_g, sf_g = (xp.asarray(a) for a in rate_factors(to_host(n[rep]), to_host(e[rep]),
                                                       traj.sc, traj.factors))
    width = arr["edge"].shape[1]
    edges = xp.asarray(arr["edge"]).reshape(-1)  # piece j of leg g at g * width + j
    first_g = leg[rep] * width
    n_edges = traj.amb.shape[1]
    amb, ied = traj.amb.reshape(-1), traj.ied.reshape(-1)  # [period * n_edges + edge]
    # the trajectories' own state
    fired = xp.zeros(m, dtype=bool)
    is_amb = xp.zeros(m, dtype=bool)
    fa, t_att = xp.zeros(m), xp.zeros(m)
    i_hit = xp.zeros(m, dtype=np.int64)
    ba_out, bi_out = xp.empty(m), xp.empty(m)  # each trajectory's, written as it leaves
    rows = xp.arange(m)  # those still driving; their budgets and group's place in gl:
    bar, bir = traj.budget_a[idx], traj.budget_i[idx]
    slot = None if one or own else g_of  # where the groups' values are for each of rows
    gl = xp.arange(rep.size)  # the groups still driving
    while rows.size:
        fr, tr, ir = f_g[gl], t_g[gl], i_g[gl]
        edge = edges[first_g[gl] + ir]
        length, speed = traj.length[edge], traj.speed[edge]
        pos = xp.searchsorted(traj.breaks, tr, side="right") - 1
        nb = traj.breaks_next[pos]
        cell = pos * n_edges + edge
        va, vi = amb[cell], ied[cell]
        km = (1.0 - fr) * length
        dt = km / speed
        split = tr + dt > nb  # a phase boundary falls on this stretch: cut it there
        dt = xp.where(split, nb - tr, dt)
        km = xp.where(split, dt * speed, km)
        ra = va * det_g[gl] * sf_g[gl]
        ri = vi * det_g[gl]
        ha, hi = ra * km, ri * km
        i_next = ir + ~split
        go_g = i_next < np_g[gl]  # still on the leg
        # per trajectory: spend the budgets; an attack where one reaches its budget
        h_a, h_i = (ha, hi) if slot is None else (ha[slot], hi[slot])
        hit_a, hit_i = h_a >= bar, h_i >= bir
        fire = hit_a | hit_i
        go = (go_g if slot is None else go_g[slot]) & ~fire
        nba, nbi = bar - h_a, bir - h_i
        if bool(go.all()):  # none attacked, none at its leg's end
            bar, bir = nba, nbi
        else:
            w_loc = xp.flatnonzero(fire)
            if w_loc.size:
                w = rows[w_loc]
                q = xp.zeros(w_loc.size, dtype=np.int64) if one else w_loc if own else slot[w_loc]
                ra_w, ri_w, ba_w, bi_w = ra[q], ri[q], bar[w_loc], bir[w_loc]
                with np.errstate(divide="ignore", invalid="ignore"):
                    xa = xp.where(hit_a[w_loc], ba_w / ra_w, math.inf)
                    xi = xp.where(hit_i[w_loc], bi_w / ri_w, math.inf)
                x = xp.minimum(xp.minimum(xa, xi), km[q])
                fa[w] = fr[q] + x / length[q]
                t_att[w] = tr[q] + x / speed[q]
                ba_out[w] = ba_w - ra_w * x
                bi_out[w] = bi_w - ri_w * x
                i_hit[w] = ir[q]
                is_amb[w] = xa <= xi
                fired[w] = True
            end = ~(go | fire)  # at the end of the leg
            gone = rows[end]
            ba_out[gone] = nba[end]
            bi_out[gone] = nbi[end]
            rows, bar, bir = rows[go], nba[go], nbi[go]
            if slot is not None:
                slot = slot[go]
        # the groups' state after the stretch (those attacked on it have left)
        t_g[gl] = xp.where(split, nb, tr + dt)
        f_g[gl] = xp.where(split, fr + km / length, 0.0)
        i_g[gl] = i_next
        if own:  # a trajectory's group leaves with it
            if rows.size < gl.size:
                gl = gl[go]
        elif not one and not bool(go_g.all()):
            if slot is not None:  # renumber the places of the groups still driving
                slot = (xp.cumsum(go_g) - 1)[slot]
            gl = gl[go_g]
    if own:
        return Driven(fired, is_amb, xp.where(fired, i_hit, i_g), f_g, t_g, fa, t_att,
                      ba_out, bi_out)
    return Driven(fired, is_amb, xp.where(fired, i_hit, i_g[g_of]), f_g[g_of], t_g[g_of], fa,
                  t_att, ba_out, bi_out)

"""Convoy formation computed once per plan: the feeder chain's timeline, replayed when exact.

In a scenario whose sources release deterministic numbers of tankers (no Poisson releases, no
finite fleet) into staging points, over feeder roads with nothing random on them (the fixed
trips of :mod:`.feeders`), the *feeder chain* (the supply processes, the daily batches driving
to the staging points and the staging processes forming convoys) does the same thing in every
replication unless a batch is attacked on the one leg of its trip where an attack can come
(the last few km to the staging point). Nothing else in a replication feeds it: convoys never
join a staging queue (only batches, :attr:`.entities.Movement.to_staging`, do), formation does
not look at the escort pools, and the refusals of :func:`refusal` rule out what could (standing
attacks on queues, closures, an adversary process, fleets, random releases).

:class:`FormationTimeline` is that chain's record, taken from one run of the real supply,
staging and batch code with the batches' attack budgets set to infinity (the engine's
``simulate_chain``): the batches released at each release step, the convoys formed (time
and merged lots), the convoy rows of the batches, the tankers waiting in the queues at
each day's close and the state at the end. A replication then checks BEFORE it runs, from each
batch's own counter-based stream (its first two draws are its ambush and IED budgets,
:func:`.streams.movement_key`), which batches might be attacked on their last leg
(:func:`sources_at_risk`, with a relative margin of 1e-9 against the leg's integrated hazard:
in doubt, a batch counts as attacked). The staging points are independent of each other (each
source feeds one), so the engine replays the timeline of every staging point none of whose
batches might be attacked, and runs the others in full (:mod:`.fastforward`).

The timeline depends on the plan's sources, schedules, stops, routes and escort counts, and on
the threat table only through the fixed trips (which legs can be attacked) and the phase
boundaries (which cut the floating-point travel times), so replications that draw only threat
parameters, and sweep points that differ only in threat values, share the timeline of the plan
theirs derive from (:func:`plan_timeline`, :data:`.plan.CACHE_PARTS`); the hazards of the last
legs are computed per plan (:func:`last_leg_hazards`).

Pure, no SimPy. May import the other model modules.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .counters import stream_keys_array, uniforms_array
from .couplings import couplings
from .entities import Lot
from .feeders import plan_trip
from .hazard import plan_stretch
from .plan import ScenarioPlan
from .records import ConvoyRow
from .streams import MOVEMENT_KINDS, STREAM_NAMES
from .targeting import size_factor
from .threats import deterrence_factor, escort_strength

__all__ = ["ChainBatch", "ChainFormation", "FormationTimeline", "refusal", "plan_timeline",
           "last_leg_hazards", "sources_at_risk", "check_groups", "MARGIN"]

#: Relative margin between a batch's budget and its last leg's integrated hazard below which
#: the replication is run in full (the sums are taken in another order than the engine's).
MARGIN = 1e-9


class ChainBatch(NamedTuple):
    """One daily batch of the chain (in order of release)."""

    release_h: float
    source: int
    node: str  # its staging point
    ordinal: int  # its ordinal among the batches of its source (its stream's key)
    lots: tuple[Lot, ...]
    trip: tuple[str, str, tuple[str, ...]]  # (origin, staging point, via): the fixed trip's key
    last_start_h: float  # start of the leg where an attack can come (nan: none)
    arrival_h: float  # arrival at the staging point (the end of that leg)
    name: str  # its source's name: the batch is called name-id
    row: ConvoyRow  # its convoy row (replication, id and name filled in per replication)


class ChainFormation(NamedTuple):
    """A convoy formed at a staging point (:meth:`.formation.Formation.start_convoy`)."""

    node: str
    lots: tuple[Lot, ...]  # merged lots (copied for each replication)


@dataclass(slots=True)
class FormationTimeline:
    """The feeder chain of one plan, as :func:`plan_timeline` records it.

    Attributes
    ----------
    refusal : str or None
        Why the timeline cannot be replayed exactly (None: it can).
    interval_h : float
        The sources' common release interval, hours.
    ticks : tuple of tuple of int
        Per source, per release step, the index of the batch released (-1: none).
    batches : tuple of ChainBatch
    groups : tuple of (float, str, tuple of ChainFormation)
        Convoys formed, by the staging process's wake-up that formed them, in order: time
        (hours), staging point, convoys; each group at its own time.
    day_waiting : dict
        Per staging point, tankers waiting in its queue at each day's close, per destination
        and day.
    staged : dict
        Per staging point, (tankers, litres) per destination in its queue at the end.
    trips : dict
        The fixed trips the batches drove, by key (checked against a plan that shares it).
    leg_index : object
        What the hazards of the last legs depend on, batch by batch (:func:`last_leg_hazards`).
    """

    refusal: str | None
    interval_h: float
    ticks: tuple[tuple[int, ...], ...]
    batches: tuple[ChainBatch, ...]
    groups: tuple[tuple[float, str, tuple[ChainFormation, ...]], ...]
    trips: dict
    day_waiting: dict[str, list[list[int]]]
    staged: dict[str, tuple[tuple[int, int], ...]]
    leg_index: object = None
    #: per run of replayed sources, per release step: the batches released and the tankers and
    #: litres they load per destination (:meth:`.fastforward.FastForward._ticker`)
    tick_steps: dict = field(default_factory=dict)


def refusal(plan: ScenarioPlan) -> str | None:
    """Why the feeder chain of ``plan`` cannot be computed once and replayed (None: it can).

    Checked per plan, before the timeline: every source releases deterministic counts without a
    fleet into a staging point, at one common interval; no closures (routes would change);
    no standing attacks (queues could be attacked); no adversary process (it picks its targets
    among all movements on the road, batches included).
    """
    sc = plan.scenario
    if not sc.sources or not plan.staging:
        return "no staging points fed by sources"
    for src in sc.sources:
        if src.staging is None:
            return f"source {src.name!r} has no staging point"
        if src.release != "deterministic":
            return f"source {src.name!r} releases at random"
        if src.fleet_tankers is not None:
            return f"source {src.name!r} has a finite fleet"
    if len({src.release_interval_h for src in sc.sources}) > 1:
        return "sources release at different intervals"
    coupled = couplings(plan)
    return coupled[0] if coupled else None


def plan_timeline(plan: ScenarioPlan,
                  simulate_chain: Callable[[ScenarioPlan], FormationTimeline]) -> FormationTimeline:
    """The timeline of ``plan``'s chain, computed once (``simulate_chain``, the engine's) and
    cached in ``plan.formation_timelines``, which plans that differ only in threat values
    share (:data:`.plan.CACHE_PARTS`): the entries are keyed by what the timeline reads of
    the threat table, the phase boundaries and the edges that can be attacked, and a cached
    timeline is reused only if every fixed trip it drove is the plan's too."""
    cache = plan.formation_timelines
    key = (tuple(plan.threats.breaks_h), plan.threats.support)
    hit = cache.get(key)
    if hit is not None and all(plan_trip(plan, *k) == t for k, t in hit.trips.items()):
        return hit
    timeline = simulate_chain(plan)
    if len(cache) >= 8:  # drawn phase dates: do not grow without bound
        cache.clear()
    cache[key] = timeline
    return timeline


def check_groups(timeline: FormationTimeline, plan: ScenarioPlan) -> str | None:
    """Refuse a timeline whose formations could tie with other events at equal times.

    Two wake-ups forming convoys at one instant, or a formation at a release step, a day's
    close or the horizon, would need SimPy's order of equal-time events reproduced exactly;
    such instants are float sums that practically never coincide, and refusing them is exact.
    (Ties with the other movements' events are caught when they happen: :mod:`.fastforward`.)
    """
    times = [t for t, _, _ in timeline.groups]
    if len(set(times)) != len(times):
        return "two convoy formations at one instant"
    busy = {min(24.0 * (d + 1), plan.horizon_h) for d in range(plan.days)}
    t = 0.0
    for _ in timeline.ticks[0]:  # the release steps, summed as the supply loop sums them
        busy.add(t)
        t += timeline.interval_h
    tied = sorted(busy.intersection(times))
    return f"a convoy formation at {tied[0]} h, a release or a day's close" if tied else None


class LastLegHazards(NamedTuple):
    """Per batch with a last leg: its integrated ambush and IED hazard, and stream key parts."""

    source: np.ndarray
    ordinal: np.ndarray
    ambush: np.ndarray
    ied: np.ndarray


class _LegIndex(NamedTuple):
    """What the hazards of the batches' last legs depend on, per timeline (batch by batch)."""

    source: np.ndarray
    ordinal: np.ndarray
    legs: list[tuple]  # the distinct (trip key, phase period) of legs inside one period
    leg_of: np.ndarray  # index into legs (-1: the leg is cut by a phase boundary)
    sizes: list[int]  # the distinct sizes
    size_of: np.ndarray  # index into sizes
    cut: list[int]  # batches whose leg a phase boundary cuts


def _leg_index(timeline: FormationTimeline, breaks_h: list[float]) -> _LegIndex:
    if timeline.leg_index is not None:
        return timeline.leg_index
    src, ords, legs_of, sizes_of, cut = [], [], [], [], []
    legs: dict[tuple, int] = {}
    sizes: dict[int, int] = {}
    for b in timeline.batches:
        if math.isnan(b.last_start_h):
            continue
        period = bisect.bisect_right(breaks_h, b.last_start_h)
        inside = period >= len(breaks_h) or breaks_h[period] >= b.arrival_h
        if not inside:
            cut.append(len(src))
        legs_of.append(legs.setdefault((b.trip, period), len(legs)) if inside else -1)
        n = sum(lot.tankers for lot in b.lots)
        sizes_of.append(sizes.setdefault(n, len(sizes)))
        src.append(b.source)
        ords.append(b.ordinal)
    out = _LegIndex(np.array(src, dtype=np.uint64), np.array(ords, dtype=np.uint64), list(legs),
                    np.array(legs_of, dtype=np.intp), list(sizes),
                    np.array(sizes_of, dtype=np.intp), cut)
    timeline.leg_index = out
    return out


def last_leg_hazards(plan: ScenarioPlan, timeline: FormationTimeline) -> LastLegHazards:
    """The integrated hazards of every batch's last leg under ``plan``'s threats (cached).

    The same rates as :meth:`.formation.Formation.replay` integrates (unescorted deterrence
    and the targeting factor of the batch's size), per leg and phase period: a leg inside one
    period has the same hazard per unit of rate factor for every batch, so the sums are taken
    once per leg and period, and once per batch size for the factors. The timeline's phase
    boundaries are the plan's (:func:`plan_timeline`).
    """
    hit = plan.formation_hazards
    if hit is not None and hit[0] is timeline:
        return hit[1]
    table, lengths, speeds = plan.threats, plan.edge_length_km, plan.edge_speed_kmh
    det_spec, targeting = plan.scenario.threats.deterrence, plan.scenario.threats.targeting
    ix = _leg_index(timeline, table.breaks_h)
    det = np.array([deterrence_factor(escort_strength(0, n), det_spec.rate_floor,
                                      det_spec.rate_scale) for n in ix.sizes])
    size = np.array([size_factor(n, targeting) for n in ix.sizes])
    per_leg = np.zeros((len(ix.legs) + 1, 2))  # the last row: cut legs (filled in below)
    for k, (key, period) in enumerate(ix.legs):
        va, vi = table.intensities_at(table.breaks_h[period - 1] if period else 0.0)
        last = timeline.trips[key].last
        km = [(p.f1 - p.f0) * lengths[p.edge] for p in last]
        per_leg[k] = (sum(va[p.edge] * x for p, x in zip(last, km)),
                      sum(vi[p.edge] * x for p, x in zip(last, km)))
    d, z = det[ix.size_of], size[ix.size_of]
    ha = per_leg[ix.leg_of, 0] * d * z
    hi = per_leg[ix.leg_of, 1] * d
    batches = [b for b in timeline.batches if not math.isnan(b.last_start_h)]
    for j in ix.cut:  # a phase boundary cuts the leg: integrate it as the engine does
        b = batches[j]
        last = timeline.trips[b.trip].last
        sp = plan_stretch(last, 0, last[0].f0, b.last_start_h, math.inf, math.inf, table, d[j],
                          lengths, speeds, z[j])
        ha[j] = sum(r.ambush_per_km * (r.f_end - r.f_start) * lengths[last[r.index].edge]
                    for r in sp.stretches)
        hi[j] = sum(r.ied_per_km * (r.f_end - r.f_start) * lengths[last[r.index].edge]
                    for r in sp.stretches)
    out = LastLegHazards(ix.source, ix.ordinal, ha, hi)
    plan.formation_hazards = (timeline, out)
    return out


def sources_at_risk(hazards: LastLegHazards, seed: int, replication: int) -> set[int]:
    """The sources of which a batch may be attacked on its last leg in replication
    ``replication`` (empty: surely none).

    Each batch's budgets are the first two draws of its own stream (kind ``batch``, origin its
    source, its ordinal); an attack comes where the integrated hazard reaches a budget. A batch
    is safe only if both budgets exceed its leg's hazards by more than :data:`MARGIN`
    (relative).
    """
    if not len(hazards.source):
        return set()
    keys = stream_keys_array(seed, (replication, STREAM_NAMES.index("movements"),
                                    MOVEMENT_KINDS["batch"], hazards.source, hazards.ordinal))
    u = uniforms_array(keys[:, None], np.arange(2))
    budgets = -np.log(u)
    ok = (budgets[:, 0] - hazards.ambush > MARGIN * budgets[:, 0]) \
        & (budgets[:, 1] - hazards.ied > MARGIN * budgets[:, 1])
    return set() if ok.all() else {int(i) for i in hazards.source[~ok]}

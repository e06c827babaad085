"""Feeder flows that do not depend on chance, computed once per plan and replayed.

Most tankers of a blockade scenario spend their first days in unescorted daily batches driving
from a port to a staging point on roads where no attack is modelled. Nothing in such a trip is
random, so running it leg by leg in every replication (a SimPy process, a hazard integration
and a timeout per leg) repeats the same work. This module computes it once per plan:

release schedule (:func:`release_schedule`)
    A source with ``release: deterministic`` and no finite fleet releases the same numbers of
    tankers, split the same way among destinations (:func:`~.entities.split_by_shares`), at the
    same times in every replication.
fixed trip (:func:`fixed_trip`)
    In a scenario without closures (routes cannot change), the trip of a batch heading for its
    staging point is fixed up to the first leg on which an attack can happen (an edge with an
    ambush or IED intensity above zero in some phase) or whose end holds it (a checkpoint with
    a delay or a random wait). Those legs, the paths planned at each stop and the route walked
    are the same in every replication; the engine drives them as one callback
    (:meth:`.formation.Formation.replay`) at the time the leg-by-leg run reaches, computed with
    the same floating-point operations (:func:`.hazard.free_leg_end_h`). When what is left is
    one leg to the staging point (``FixedTrip.last``; usually the few km from the border to the
    staging point, in the threatened country), the engine integrates its hazard with the
    batch's budgets at once (:func:`.hazard.plan_stretch`, no adversary process): if no attack
    comes, the whole trip is one callback; otherwise the batch's process drives that leg.

The batch draws its two attack budgets (the first numbers of its stream,
:func:`.streams.movement_rng`) only when it drives a leg that can be attacked, as the leg-by-leg
run would, and the stream keys of the movements after it are counted as before: every
movement's numbers are the same as without the replay.

Pure, no SimPy. May import :mod:`.plan`, :mod:`.entities` and :mod:`.threats`.
"""

from __future__ import annotations

from typing import NamedTuple

from .couplings import CLOSURES, couplings
from .entities import split_by_shares
from .plan import Piece, ScenarioPlan

__all__ = ["FixedTrip", "fixed_trip", "release_schedule", "plan_trip", "plan_releases"]


class FixedTrip(NamedTuple):
    """The legs of a batch's trip with nothing random in them (see the module docstring).

    ``legs[j]`` are the pieces of leg ``j``; ``paths[j]`` the path planned at its start (the
    convoy row's ``planned``); ``route_len[j]`` the length of the route walked once leg ``j``
    has ended (``route[:route_len[j]]``). ``end`` is the stop the last leg reaches, ``via`` the
    via nodes still to pass there and ``complete`` whether ``end`` is the staging point. If
    not, and the next leg (``last``, planned as ``last_path``) ends at the staging point, which
    does not hold it, ``full_route`` is the route walked at the end of that leg.
    """

    legs: tuple[tuple[Piece, ...], ...]
    paths: tuple[tuple[str, ...], ...]
    route: tuple[str, ...]
    route_len: tuple[int, ...]
    end: str
    via: tuple[str, ...]
    complete: bool
    last: tuple[Piece, ...] = ()
    last_path: tuple[str, ...] = ()
    full_route: tuple[str, ...] = ()


def release_schedule(plan: ScenarioPlan, source: int) -> tuple[tuple[int, ...], ...] | None:
    """Tankers per destination of each release of ``source``, or None if they depend on chance.

    Follows the engine's supply loop step by step (release ``k`` at ``k * release_interval_h``,
    fractional tankers carried over to the next release), so that the engine can read the
    counts instead of computing them. None for ``release: poisson`` or a finite fleet (the
    fleet's returns depend on the replication).
    """
    src = plan.scenario.sources[source]
    if src.release != "deterministic" or src.fleet_tankers is not None:
        return None
    sched, shares = plan.supply[source], plan.source_shares[source]
    assigned = [0] * len(shares)
    out: list[tuple[int, ...]] = []
    carry, t = 0.0, 0.0
    while t < plan.horizon_h:
        carry += sched.at(t) * src.release_interval_h / 24.0
        n = int(carry + 1e-9)
        carry -= n
        out.append(tuple(split_by_shares(n, shares, assigned)) if n > 0 else ())
        t += src.release_interval_h
    return tuple(out)


def fixed_trip(plan: ScenarioPlan, origin: str, target: str,
               via: tuple[str, ...]) -> FixedTrip | None:
    """The fixed legs of a batch from ``origin`` to the staging point ``target``, or None.

    Follows the engine's journey loop (:meth:`.journeys.Journeys.movement`) without a clock:
    route from the current stop, drive the first leg of the route, drop the via nodes passed,
    stop at the leg's end; until the target or a leg that is not fixed (module docstring).
    None when not even the first leg is fixed.
    """
    if CLOSURES in couplings(plan):
        return None
    router, table = plan.router, plan.threats
    at, pending = origin, list(via)
    route = [origin]
    legs, paths, lens = [], [], []
    last, last_path, full_route = (), (), ()
    while at != target:
        path = router.route_on(at, target, pending)
        if path is None:
            break
        pieces, end = plan.first_leg(path)
        holds = end in plan.holding_nodes
        if not table.hazard_free(p.edge for p in pieces):
            if end == target and not holds:
                last, last_path = pieces, path
                full_route = tuple(_walk(list(route), pieces))
            break
        if holds:
            break
        at = end
        _walk(route, pieces)
        legs.append(pieces)
        paths.append(path)
        lens.append(len(route))
        if pending:
            pending = [n for n in pending if n not in route]
    if not legs and not last:
        return None
    return FixedTrip(tuple(legs), tuple(paths), tuple(route), tuple(lens), at, tuple(pending),
                     at == target, last, last_path, full_route)


def _walk(route: list[str], pieces: tuple[Piece, ...]) -> list[str]:
    """Add to ``route`` the nodes reached at the end of whole pieces (as the engine walks)."""
    for p in pieces:
        if p.f1 >= 1.0 - 1e-12 and route[-1] != p.v:
            route.append(p.v)
    return route


def plan_trip(plan: ScenarioPlan, origin: str, target: str,
              via: tuple[str, ...]) -> FixedTrip | None:
    """:func:`fixed_trip`, computed once per plan (cached in ``plan.fixed_trips``).

    The threat values enter a fixed trip only through the edges that can be attacked (which
    legs are free of hazard), so the entries are keyed by them (``ThreatTable.support``) and
    plans that differ in threat values share the cache (:data:`.plan.CACHE_PARTS`).
    """
    key = (origin, target, via, plan.threats.support)
    cache = plan.fixed_trips
    if key not in cache:
        cache[key] = fixed_trip(plan, origin, target, via)
    return cache[key]


def plan_releases(plan: ScenarioPlan, source: int) -> tuple[tuple[int, ...], ...] | None:
    """:func:`release_schedule`, computed once per plan (cached in ``plan.releases``)."""
    cache = plan.releases
    if source not in cache:
        cache[source] = release_schedule(plan, source)
    return cache[source]

"""Passages: the stops a movement drives through without doing anything there.

A movement re-plans at every stop (:meth:`.journeys.Journeys.movement`): it delivers the lots
for this node, hands off the lots that part here, re-targets, routes on and drives the route's
first leg. At most stops of a blockade replication none of this happens: a lot on its way to
its depot passes the junctions before it, a convoy the junctions and staging points of other
corridors. What such a stop does depends only on where the movement is, where it heads, the
via nodes still to pass and which destinations it carries, and in a scenario without closures
(routes cannot change) it is the same in every replication. So it is computed once per plan:
a :class:`Passage` is the run of legs from a stop through every stop that does nothing, up to
the first stop that delivers, hands off, re-targets, reaches the staging point or holds the
movement (a checkpoint with a delay or a random wait), following the engine's stop logic step
by step (:func:`passage`). The engine then drives those legs without that logic
(:meth:`.journeys.Journeys.pass_through`): one hazard integration per leg chained with the
movement's budgets, one timeout per leg at the time the leg-by-leg run reaches.

Pure, no SimPy. May import :mod:`.plan`.
"""

from __future__ import annotations

from typing import NamedTuple

from .plan import Piece, ScenarioPlan

__all__ = ["Passage", "passage", "plan_passage"]


class Passage(NamedTuple):
    """Legs driven through stops that do nothing (see the module docstring).

    ``legs[j]`` are the pieces of leg ``j``, ``paths[j]`` the path planned at its start (the
    movement's ``planned``) and ``ends[j]`` the stop it reaches; ``ends[-1]`` is the first stop
    where something may happen.
    """

    legs: tuple[tuple[Piece, ...], ...]
    paths: tuple[tuple[str, ...], ...]
    ends: tuple[str, ...]


def _path_here(plan: ScenarioPlan, at: str, target: str, via: tuple[str, ...], kind: str,
               to_staging: bool, dests: frozenset[int]):
    """The path on from stop ``at`` if the stop does nothing to the movement, else None.

    Follows :meth:`.journeys.Journeys.movement` and ``_serve_stop`` with nothing delivered,
    dropped or handed off and the target unchanged.
    """
    if to_staging:
        return None if at == target else plan.router.route_on(at, target, via)
    nodes = plan.dest_nodes
    if at in {nodes[k] for k in dests}:  # a delivery
        return None
    if kind != "lot":
        dests_of = plan.destinations
        if any(dests_of[k].drop_node == at for k in dests):  # lots handed off at their depot
            return None
        if target == at or target not in {nodes[k] for k in dests}:  # a new target
            return None
        path = plan.router.route_on(at, target, via)
        for k in dests:  # lots whose own route parts here leave the convoy
            if nodes[k] != target and dests_of[k].drop_node is None:
                own = plan.router.route(at, nodes[k], ())
                if own is not None and (path is None or len(path) < 2 or own[1] != path[1]):
                    return None
        return path
    return plan.router.route_on(at, target, via)


def passage(plan: ScenarioPlan, at: str, target: str, via: tuple[str, ...], kind: str,
            to_staging: bool, dests: frozenset[int]) -> Passage | None:
    """The passage of a movement at stop ``at`` (module docstring), or None if this stop acts.

    Parameters
    ----------
    plan : ScenarioPlan
        Its scenario must have no closures (the engine checks).
    at, target : str
        The stop the movement is at and the node it heads for.
    via : tuple of str
        Via nodes still to pass (none of them on the route walked so far).
    kind : str
        The movement's kind (a ``lot`` only delivers).
    to_staging : bool
        Heading for a staging point (drops nothing on the way).
    dests : frozenset of int
        The destinations of its lots.
    """
    legs, paths, ends = [], [], []
    pending = list(via)
    while True:
        path = _path_here(plan, at, target, tuple(pending), kind, to_staging, dests)
        if path is None:
            break
        pieces, end = plan.first_leg(path)
        legs.append(pieces)
        paths.append(path)
        ends.append(end)
        walked = [p.v for p in pieces if p.f1 >= 1.0 - 1e-12]
        if pending:
            pending = [n for n in pending if n not in walked and n != at]
        at = end
        if at in plan.holding_nodes:
            break  # it is held here: the engine's own arrival logic takes over
    if not legs:
        return None
    return Passage(tuple(legs), tuple(paths), tuple(ends))


def plan_passage(plan: ScenarioPlan, at: str, target: str, via: tuple[str, ...], kind: str,
                 to_staging: bool, dests: frozenset[int]) -> Passage | None:
    """:func:`passage`, computed once per plan (cached in ``plan.passages``)."""
    key = (at, target, via, kind, to_staging, dests)
    cache = plan.passages
    hit = cache.get(key, _MISSING)
    if hit is _MISSING:
        hit = cache[key] = passage(plan, at, target, via, kind, to_staging, dests)
    return hit


_MISSING = object()

"""Route choice on the corridor graph, cached per closure state.

A :class:`Router` answers "which path from A to B (through these via nodes)?" for the scenario's
policy. Answers are cached by ``(origin, target, via, closure state)``: a route is computed once
per scenario and again only when a closure changes the usable graph, never per event.

Policies
--------
``fastest``
    Least total ``time_h`` (length / speed).
``least_loss``
    Least expected share of cargo lost, using each edge's base rates (phases ignored, unescorted
    deterrence) plus ``loss_time_weight_per_h`` per hour to break ties::

        w_e = km_e / 1000 * (a_e * loss_share_mean + i_e * ied_mean / 25) + w_t * time_h

    (an IED destroys ``ied_mean`` tankers; the division by a typical 25-tanker batch turns that
    count into a share).
``fixed``
    Fastest path through the origin's ``via`` list (every policy honours an explicit via list).
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx

from ..scenario.network import edge_key
from ..scenario.schema import Scenario

__all__ = ["Router"]

#: Typical number of tankers used to turn an IED's tanker count into a cargo share.
_IED_REFERENCE_TANKERS = 25.0


_MISSING = object()  # a cache miss (None is a cached "no route")


class Router:
    """Shortest paths under the scenario's routing policy.

    Parameters
    ----------
    scenario : Scenario
    graph : networkx.Graph
        Network with ``time_h`` on every edge.
    ambush_per_1000km, ied_per_1000km : mapping
        Base rates per canonical edge key, for the ``least_loss`` policy.
    """

    def __init__(
        self,
        scenario: Scenario,
        graph: nx.Graph,
        ambush_per_1000km: dict[tuple[str, str], float],
        ied_per_1000km: dict[tuple[str, str], float],
    ):
        self.graph = graph
        self.policy = scenario.routing.policy
        self.via = {k: tuple(v) for k, v in scenario.routing.via.items()}
        amb = scenario.threats.ambush
        ied = scenario.threats.ied
        wt = scenario.routing.loss_time_weight_per_h
        for a, b, d in graph.edges(data=True):
            k = edge_key(a, b)
            share = d["length_km"] / 1000.0 * (
                ambush_per_1000km.get(k, 0.0) * amb.loss_share_mean
                + ied_per_1000km.get(k, 0.0) * ied.tankers_destroyed_mean / _IED_REFERENCE_TANKERS
            )
            d["loss_weight"] = share + wt * d["time_h"]
        self.weight = "loss_weight" if self.policy == "least_loss" else "time_h"
        self._cache: dict[tuple, tuple[str, ...] | None] = {}

    def _usable(self, closed_edges: frozenset, closed_nodes: frozenset) -> nx.Graph:
        if not closed_edges and not closed_nodes:
            return self.graph
        return nx.restricted_view(self.graph, closed_nodes, closed_edges)

    def route(
        self,
        origin: str,
        target: str,
        via: Sequence[str] | None = None,
        closed_edges: frozenset = frozenset(),
        closed_nodes: frozenset = frozenset(),
    ) -> tuple[str, ...] | None:
        """Path from ``origin`` to ``target`` as a node tuple, or ``None`` if cut off.

        Parameters
        ----------
        origin, target : str
            Node names.
        via : sequence of str, optional
            Nodes to pass in order; defaults to ``routing.via[origin]`` if given.
        closed_edges : frozenset of (str, str)
            Closed edges, both orientations included.
        closed_nodes : frozenset of str
            Closed nodes. A closed origin or target makes the route ``None``.
        """
        if via is None:
            via = self.via.get(origin, ())
        if via:
            via = tuple(v for v in via if v not in (origin, target))
        else:  # (the common case: no generator for nothing)
            via = ()
        key = (origin, target, via, closed_edges, closed_nodes)
        hit = self._cache.get(key, _MISSING)
        if hit is not _MISSING:
            return hit
        path: tuple[str, ...] | None
        if origin == target:
            path = (origin,)
        elif origin in closed_nodes or target in closed_nodes:
            path = None
        else:
            g = self._usable(closed_edges, closed_nodes)
            stops = (origin, *via, target)
            nodes: list[str] = [origin]
            try:
                for a, b in zip(stops, stops[1:]):
                    nodes.extend(nx.shortest_path(g, a, b, weight=self.weight)[1:])
                path = tuple(nodes)
            except (nx.NetworkXNoPath, nx.NodeNotFound):
                path = None
        self._cache[key] = path
        return path

    def route_on(self, at: str, target: str, via: Sequence[str],
                 closed_edges: frozenset = frozenset(),
                 closed_nodes: frozenset = frozenset()) -> tuple[str, ...] | None:
        """A movement's route on from stop ``at``: through the via nodes still to pass, else
        (when that is cut off) straight to ``target``; None if both are cut off."""
        path = self.route(at, target, tuple(via), closed_edges, closed_nodes)
        if path is None and via:
            path = self.route(at, target, (), closed_edges, closed_nodes)
        return path

    def travel_time_h(self, path: Sequence[str]) -> float:
        """Sum of ``time_h`` along a node path."""
        return sum(self.graph.edges[a, b]["time_h"] for a, b in zip(path, path[1:]))

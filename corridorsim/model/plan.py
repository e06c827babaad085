"""A scenario compiled for the engine: graph, routes, edge arrays and schedules in hours.

:class:`ScenarioPlan` is built once per scenario (:func:`compile_scenario`) and shared,
read-only, by every replication (it is pickled once per worker process). Everything that does
not depend on chance is here, computed once: edge arrays, the threat table, the router and its
cache of routes and legs, travel times of escorts and empty tankers, supply and demand schedules
in hours. The engine only looks things up.
"""

from __future__ import annotations

import bisect
import math
from typing import NamedTuple

import networkx as nx

from ..scenario.network import build_network, edge_key
from ..scenario.schema import Checkpoint, Scenario, StagingPoint
from .routing import Router
from .threats import ThreatTable

__all__ = ["ScenarioPlan", "Piece", "compile_scenario", "StepSchedule"]


class Piece(NamedTuple):
    """A stretch of one edge travelled from node ``u`` towards node ``v``.

    ``f0`` and ``f1`` are the start and end positions as fractions of the edge from ``u``
    (0 = at ``u``, 1 = at ``v``), ``f0 < f1``.
    """

    edge: int
    u: str
    v: str
    f0: float
    f1: float


class StepSchedule:
    """A piecewise-constant function of time (h): ``value`` from each ``start_h`` on."""

    def __init__(self, initial: float, steps: list[tuple[float, float]]):
        self.starts = [s for s, _ in steps]
        self.values = [v for _, v in steps]
        self.initial = initial

    def at(self, t_h: float) -> float:
        """Value at time ``t_h``."""
        i = bisect.bisect_right(self.starts, t_h) - 1
        return self.initial if i < 0 else self.values[i]


class ScenarioPlan:
    """Everything the engine needs from a scenario, precomputed.

    Parameters
    ----------
    scenario : Scenario
    graph : networkx.Graph, optional
        The scenario's network; built with :func:`~corridorsim.scenario.network.build_network` if not
        given.
    """

    def __init__(self, scenario: Scenario, graph: nx.Graph | None = None):
        self.scenario = scenario
        self.graph = graph if graph is not None else build_network(scenario)
        g = self.graph
        self.horizon_h = scenario.horizon_h
        self.days = scenario.days
        keys = sorted(edge_key(a, b) for a, b in g.edges)
        self.edge_index = {k: i for i, k in enumerate(keys)}
        self.edge_keys = keys
        self.edge_length_km = [float(g.edges[k]["length_km"]) for k in keys]
        self.edge_speed_kmh = [float(g.edges[k]["speed_kmh"]) for k in keys]
        self.edge_corridor = [str(g.edges[k].get("corridor", "")) for k in keys]
        self.node_latlon = {n: (float(d["lat"]), float(d["lon"])) for n, d in g.nodes(data=True)}
        self.threats = ThreatTable(scenario, g, self.edge_index)
        self.router = Router(
            scenario,
            g,
            {k: float(self.threats.ambush_rate_per_1000km[i]) for k, i in self.edge_index.items()},
            {k: float(self.threats.ied_rate_per_1000km[i]) for k, i in self.edge_index.items()},
        )
        self.destination = scenario.destination.node
        self.checkpoints: dict[str, Checkpoint] = {c.node: c for c in scenario.checkpoints}
        self.staging: dict[str, StagingPoint] = {s.node: s for s in scenario.staging}
        self.staging_index = {s.node: i for i, s in enumerate(scenario.staging)}
        #: Nodes where a movement ends a leg: it may wait there, retreat there, and re-plan.
        self.stops = frozenset(self.checkpoints) | frozenset(self.staging) | {self.destination}
        self._static_time: dict[tuple[str, str], float] = {}
        self._legs: dict[tuple[str, ...], tuple[tuple[Piece, ...], str]] = {}
        self._path_corridor: dict[tuple[str, ...], str] = {}
        self.bases = list(scenario.escorts.bases)
        self.base_index = {b.name: i for i, b in enumerate(self.bases)}
        self.staging_base = {node: self._base_for(sp) for node, sp in self.staging.items()}
        d = scenario.destination
        self.demand = StepSchedule(
            d.demand_l_per_day, [(scenario.hours(s.start), s.demand_l_per_day) for s in d.demand_schedule]
        )
        self.rationing = sorted(d.rationing, key=lambda r: r.below_cover_days)
        self.supply = [
            StepSchedule(s.tankers_per_day, [(scenario.hours(x.start), x.tankers_per_day) for x in s.schedule])
            for s in scenario.sources
        ]

    # ---------------------------------------------------------------------------------------
    def _base_for(self, sp: StagingPoint) -> int | None:
        if sp.escort_policy == "none" or not self.bases:
            return None
        if sp.escort_base is not None:
            return self.base_index[sp.escort_base]
        # nearest base by travel time (ties: first listed)
        best, best_t = None, math.inf
        for i, b in enumerate(self.bases):
            t = self.static_time_h(b.node, sp.node)
            if t < best_t:
                best, best_t = i, t
        return best

    def static_time_h(self, a: str, b: str) -> float:
        """Fastest travel time (h) from ``a`` to ``b`` on the full graph (no closures).

        Used for escorts deploying and returning and for empty tankers driving back; ``inf`` if
        there is no path.
        """
        key = (a, b)
        t = self._static_time.get(key)
        if t is None:
            try:
                t = nx.shortest_path_length(self.graph, a, b, weight="time_h") if a != b else 0.0
            except nx.NetworkXNoPath:
                t = math.inf
            self._static_time[key] = self._static_time[(b, a)] = t
        return t

    def first_leg(self, path: tuple[str, ...]) -> tuple[tuple[Piece, ...], str]:
        """Pieces from ``path[0]`` to the first stop after it (or the path's end), and that stop."""
        hit = self._legs.get(path)
        if hit is not None:
            return hit
        pieces = []
        end = path[-1]
        for a, b in zip(path, path[1:]):
            pieces.append(Piece(self.edge_index[edge_key(a, b)], a, b, 0.0, 1.0))
            if b in self.stops:
                end = b
                break
        out = (tuple(pieces), end)
        self._legs[path] = out
        return out

    def path_corridor(self, path: tuple[str, ...]) -> str:
        """Corridor label carrying most of the path's km (the path's 'corridor')."""
        hit = self._path_corridor.get(path)
        if hit is None:
            km: dict[str, float] = {}
            for a, b in zip(path, path[1:]):
                i = self.edge_index[edge_key(a, b)]
                km[self.edge_corridor[i]] = km.get(self.edge_corridor[i], 0.0) + self.edge_length_km[i]
            hit = max(sorted(km), key=lambda c: km[c]) if km else ""
            self._path_corridor[path] = hit
        return hit

    def position(self, piece: Piece, frac: float) -> tuple[float, float]:
        """(lat, lon) at fraction ``frac`` of the piece's edge from ``u``."""
        la1, lo1 = self.node_latlon[piece.u]
        la2, lo2 = self.node_latlon[piece.v]
        return la1 + (la2 - la1) * frac, lo1 + (lo2 - lo1) * frac


def compile_scenario(scenario: Scenario) -> ScenarioPlan:
    """Build the :class:`ScenarioPlan` of a scenario (network, routes, threat table)."""
    return ScenarioPlan(scenario)

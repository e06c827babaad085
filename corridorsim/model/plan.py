"""A scenario compiled for the engine: graph, routes, edge arrays and schedules in hours.

:class:`ScenarioPlan` is built once per scenario (:func:`compile_scenario`) and shared,
read-only, by every replication (it is pickled once per worker process). Everything that does
not depend on chance is here, computed once: edge arrays, the threat table, the router and its
cache of routes and legs, travel times of escorts and empty tankers, supply and demand schedules
in hours. The engine only looks things up.

A replication that draws uncertain parameters gets a plan of its own
(:meth:`ScenarioPlan.with_scenario`) that rebuilds only the parts the drawn values feed and
shares the rest (network, routes, caches) with the scenario's plan; a sweep's point derives its
plan from another point's (:meth:`ScenarioPlan.derive`, :class:`.plan_family.PlanFamily`). The
caches the engine fills lazily are listed in :data:`CACHE_PARTS` with the parts they are
computed from: a derived plan shares a cache with its parent exactly when none of those parts
was rebuilt, and the caches that also depend on threat values the rebuilt threat table does not
change (the phase boundaries, the edges that can be attacked) key their entries by them.

Part of the model layer: imports :mod:`corridorsim.scenario` and the other model modules,
never SimPy or anything above the model.
"""

from __future__ import annotations

import bisect
import copy
import math
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

import networkx as nx

from ..scenario.network import build_network, edge_key
from ..scenario.network_checks import check_references
from ..scenario.paths import parse_path
from ..scenario.schema import Checkpoint, Scenario, StagingPoint
from .routing import Router
from .standing import StandingTable
from .threats import ThreatTable

__all__ = ["ScenarioPlan", "Piece", "compile_scenario", "StepSchedule", "parts_fed_by",
           "changed_fields", "CACHE_PARTS"]

#: Top-level scenario fields -> the parts of a plan computed from them. ``threats`` feeds the
#: routes only under the ``least_loss`` policy (see :meth:`ScenarioPlan.with_scenario`); the
#: engine reads ``convoys`` and ``closures`` from the scenario itself (``closures`` is a part
#: with nothing to rebuild: caches depend on it, :data:`CACHE_PARTS`); the fields of the last
#: line feed nothing the plan holds. A value under a field not listed here (``network``,
#: ``start``, ``end``) rebuilds the whole plan.
PLAN_PARTS: dict[str, frozenset[str]] = {
    "threats": frozenset({"threats", "routes"}),
    "routing": frozenset({"routes"}),
    "checkpoints": frozenset({"stops"}),
    "staging": frozenset({"stops", "escorts"}),
    "destination": frozenset({"stops", "schedules"}),
    "destinations": frozenset({"stops", "schedules"}),
    "focus": frozenset({"stops", "schedules"}),
    "escorts": frozenset({"escorts"}),
    "sources": frozenset({"schedules"}),
    "convoys": frozenset(),
    "closures": frozenset({"closures"}),
    **dict.fromkeys(("name", "description", "sources_of_numbers", "seed", "replications",
                     "observations", "uncertainty"), frozenset()),
}
#: Every part: what :func:`parts_fed_by` answers for a path outside :data:`PLAN_PARTS`.
ALL_PARTS = frozenset({"network", "threats", "routes", "stops", "escorts", "schedules",
                       "closures"})
#: The caches a plan fills lazily (attribute -> the parts their entries are computed from, and
#: what a fresh one is). A plan derived by :meth:`ScenarioPlan.with_scenario` shares each with
#: its parent unless one of those parts is rebuilt (then it starts fresh). The threat table's
#: values are a part the fixed trips and timelines depend on only through what the rebuilt
#: table keeps when the values change: their entries are keyed by it (``ThreatTable.support``,
#: the edges that can be attacked, and ``breaks_h``, the phase boundaries).
CACHE_PARTS: dict[str, tuple[frozenset[str], type]] = {
    "_static_time": (frozenset({"network"}), dict),  # (a, b) -> fastest time
    "_path_corridor": (frozenset({"network"}), dict),  # path -> its corridor
    "_node_position_5": (frozenset({"network"}), dict),  # node -> (lat, lon) rounded (events)
    "_legs": (frozenset({"network", "stops"}), dict),  # path -> first leg (.first_leg)
    "releases": (frozenset({"network", "schedules"}), dict),  # source -> releases (.feeders)
    # (origin, target, via, support) -> FixedTrip or None (.feeders)
    "fixed_trips": (frozenset({"network", "routes", "stops", "closures"}), dict),
    # (phase boundaries, support) -> the feeder chain's timeline (.formation_schedule)
    "formation_timelines": (frozenset({"network", "routes", "stops", "escorts", "schedules",
                                       "closures"}), dict),
    # (timeline, hazards of its last legs) (.formation_schedule): threat values, per plan
    "formation_hazards": (frozenset({"network", "threats"}), type(None)),
    # (stop, target, via, kind, to staging, destinations) -> Passage or None (.passages)
    "passages": (frozenset({"network", "routes", "stops"}), dict),
    # (node, attacked edge, closed edges, closed nodes) -> stops behind a turn-back (.driving)
    "retreat_stops": (frozenset({"network", "stops"}), dict),
}


@lru_cache(maxsize=64)
def parts_fed_by(paths: frozenset[str]) -> frozenset[str]:
    """The plan parts that values at ``paths`` (dotted scenario paths) feed.

    Cached by the set of paths: a scenario draws the same paths in every replication.
    """
    parts: set[str] = set()
    for path in paths:
        top = parse_path(path)[0]
        parts |= PLAN_PARTS.get(top, ALL_PARTS) if isinstance(top, str) else ALL_PARTS
    return frozenset(parts)


def changed_fields(a: Scenario, b: Scenario) -> frozenset[str]:
    """The top-level fields in which two scenarios differ (frozen models: equality by value)."""
    return frozenset(f for f in type(a).model_fields if getattr(a, f) != getattr(b, f))


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
        self._midnights: tuple[float, ...] = ()

    def at(self, t_h: float) -> float:
        """Value at time ``t_h``."""
        if not self.starts:
            return self.initial
        i = bisect.bisect_right(self.starts, t_h) - 1
        return self.initial if i < 0 else self.values[i]

    def at_midnights(self, days: int) -> tuple[float, ...]:
        """``at(24 d)`` for each day ``d < days``, computed once (the daily rows read them)."""
        if len(self._midnights) != days:
            self._midnights = tuple(self.at(24.0 * d) for d in range(days))
        return self._midnights

    def next_change_after(self, t_h: float) -> float:
        """First step start strictly after ``t_h`` (``inf`` if none)."""
        if not self.starts:
            return math.inf
        i = bisect.bisect_right(self.starts, t_h)
        return self.starts[i] if i < len(self.starts) else math.inf


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
        for name, (_, fresh) in CACHE_PARTS.items():
            setattr(self, name, fresh())
        self._build_network(graph if graph is not None else build_network(scenario))
        self._build_threats()
        self._build_routes()
        self._build_stops()
        self._build_escorts()
        self._build_schedules()

    # ---- the parts, each computed from the fields PLAN_PARTS names ---------------------------
    def _build_network(self, g: nx.Graph) -> None:
        self.graph = g
        self.horizon_h = self.scenario.horizon_h
        self.days = self.scenario.days
        keys = sorted(edge_key(a, b) for a, b in g.edges)
        self.edge_index = {k: i for i, k in enumerate(keys)}
        self.edge_keys = keys
        self.edge_length_km = [float(g.edges[k]["length_km"]) for k in keys]
        self.edge_speed_kmh = [float(g.edges[k]["speed_kmh"]) for k in keys]
        self.edge_corridor = [str(g.edges[k].get("corridor", "")) for k in keys]
        self.node_latlon = {n: (float(d["lat"]), float(d["lon"])) for n, d in g.nodes(data=True)}

    def _build_threats(self, like: ThreatTable | None = None) -> None:
        self.threats = ThreatTable(self.scenario, self.graph, self.edge_index, like)
        self.standing = StandingTable(self.scenario, self.graph)

    def _build_routes(self) -> None:
        self.router = Router(
            self.scenario,
            self.graph,
            {k: float(self.threats.ambush_rate_per_1000km[i]) for k, i in self.edge_index.items()},
            {k: float(self.threats.ied_rate_per_1000km[i]) for k, i in self.edge_index.items()},
        )

    def _build_stops(self) -> None:
        scenario = self.scenario
        g = self.graph
        self.destination = scenario.destination.node  # the focus destination's node
        dests = scenario.destinations
        self.destinations = dests
        self.dest_nodes = [d.node for d in dests]
        self.dest_names = [d.label for d in dests]
        self.dest_node_set = frozenset(self.dest_nodes)
        self.focus_index = scenario.destination_index(None)
        self.checkpoints: dict[str, Checkpoint] = {c.node: c for c in scenario.checkpoints}
        #: checkpoints that hold an arriving movement (a delay or a random wait; not at a depot)
        self.holding_nodes = frozenset(n for n, c in self.checkpoints.items() if n not in
                                       self.dest_node_set and (c.fixed_delay_h > 0 or c.random_wait is not None))
        self.staging: dict[str, StagingPoint] = {s.node: s for s in scenario.staging}
        self.staging_index = {s.node: i for i, s in enumerate(scenario.staging)}
        #: Nodes where a movement ends a leg: it may wait there, retreat there, and re-plan.
        #: With several destinations, also every destination, named drop depot and junction
        #: (degree >= 3): routes to two destinations can only part at a junction, so lots for
        #: another destination see every place where they may leave the convoy.
        stops = set(self.checkpoints) | set(self.staging) | set(self.dest_nodes)
        if len(dests) > 1:
            stops |= {d.drop_node for d in dests if d.drop_node is not None}
            stops |= {n for n in g if g.degree(n) >= 3}
        self.stops = frozenset(stops)

    def _build_escorts(self) -> None:
        self.bases = list(self.scenario.escorts.bases)
        self.base_index = {b.name: i for i, b in enumerate(self.bases)}
        self.staging_base = {node: self._base_for(sp) for node, sp in self.staging.items()}

    def _build_schedules(self) -> None:
        scenario = self.scenario
        dests = scenario.destinations
        names = [d.label for d in dests]
        focus = scenario.destination_index(None)
        self.demands = [
            StepSchedule(d.demand_l_per_day,
                         [(scenario.hours(x.start), x.demand_l_per_day) for x in d.demand_schedule])
            for d in dests
        ]
        self.rationings = [sorted((r.below_cover_days, r.demand_cut_share) for r in d.rationing)
                           for d in dests]
        self.demand = self.demands[focus]
        #: Per source: destination shares (index -> share), the focus alone by default.
        self.source_shares = [
            [0.0] * len(dests) if s.shares else [1.0 if k == focus else 0.0 for k in range(len(dests))]
            for s in scenario.sources
        ]
        for i, s in enumerate(scenario.sources):
            for name, share in (s.shares or {}).items():
                self.source_shares[i][names.index(name)] = share
        self.supply = [
            StepSchedule(s.tankers_per_day, [(scenario.hours(x.start), x.tankers_per_day) for x in s.schedule])
            for s in scenario.sources
        ]

    def with_scenario(self, scenario: Scenario, paths: Iterable[str]) -> ScenarioPlan:
        """The plan of ``scenario``, which differs from this plan's only at ``paths``.

        Rebuilds the parts the changed fields feed (:func:`parts_fed_by`) and shares the others
        with this plan: the network, edge arrays and travel times always (unless ``network`` or
        the dates changed, which rebuilds everything), routes unless the routing or, under
        ``least_loss``, the threat rates changed; and every cache of :data:`CACHE_PARTS` none
        of whose parts is rebuilt (the others start empty). The result equals
        ``compile_scenario(scenario)`` in everything the engine reads.

        Parameters
        ----------
        scenario : Scenario
            This plan's scenario with other values at ``paths`` (e.g. from
            :func:`~corridorsim.scenario.priors.apply_parameters`).
        paths : iterable of str
            The dotted paths whose values changed.
        """
        paths = frozenset(paths)
        threat_paths = frozenset(p for p in paths if p == "threats" or p.startswith("threats."))
        parts = set(parts_fed_by(paths - threat_paths))
        if threat_paths:
            threat_parts = set(parts_fed_by(threat_paths))
            if scenario.routing.policy != "least_loss":
                threat_parts.discard("routes")  # threat rates weigh routes only under least_loss
            parts |= threat_parts
        if "network" in parts:
            return ScenarioPlan(scenario)
        if parts - {"threats"}:  # a drawn count or capacity could break a reference
            check_references(scenario, self.graph)
        new = copy.copy(self)
        new.scenario = scenario
        if "routes" in parts:
            # the router writes its weights on the graph's edges: give it a copy
            new.graph = self.graph.copy()
        if "threats" in parts:  # the edge and phase structure is reused if unchanged
            new._build_threats(like=self.threats)
        for part in ("routes", "stops", "escorts", "schedules"):
            if part in parts:
                getattr(new, f"_build_{part}")()
        for name, (needs, fresh) in CACHE_PARTS.items():
            if needs & parts:
                setattr(new, name, fresh())
        return new

    def derive(self, scenario: Scenario) -> ScenarioPlan:
        """The plan of ``scenario``, sharing with this plan what their equal fields determine.

        :meth:`with_scenario` with the top-level fields in which the two scenarios differ:
        e.g. a sweep's point whose threat values differ from this plan's shares its network,
        routes, feeder trips and convoy-formation timeline (the caches of
        :data:`CACHE_PARTS`), and its first replication costs what the others do. The result
        equals ``compile_scenario(scenario)`` in everything the engine reads.
        """
        if scenario is self.scenario:
            return self
        return self.with_scenario(scenario, changed_fields(self.scenario, scenario))

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

    def node_position_5(self, node: str) -> tuple[float, float]:
        """(lat, lon) of a node rounded to 5 decimals, as the events table holds them; nan for
        no node or an unknown one. Cached: the same few nodes recur in every replication."""
        hit = self._node_position_5.get(node)
        if hit is None:
            lat, lon = self.node_latlon.get(node, (math.nan, math.nan)) if node \
                else (math.nan, math.nan)
            hit = self._node_position_5[node] = (round(lat, 5), round(lon, 5))
        return hit

    def position(self, piece: Piece, frac: float) -> tuple[float, float]:
        """(lat, lon) at fraction ``frac`` of the piece's edge from ``u``."""
        la1, lo1 = self.node_latlon[piece.u]
        la2, lo2 = self.node_latlon[piece.v]
        return la1 + (la2 - la1) * frac, lo1 + (lo2 - lo1) * frac


def compile_scenario(scenario: Scenario) -> ScenarioPlan:
    """Build the :class:`ScenarioPlan` of a scenario (network, routes, threat table)."""
    return ScenarioPlan(scenario)

"""Checks of a scenario against its network: every node, edge and base it names exists.

:func:`check_references` runs when the network is built
(:func:`~corridorsim.scenario.network.build_network`) and again when a replication's drawn
parameters may change a reference (:meth:`corridorsim.model.plan.ScenarioPlan.with_scenario`).
Each failure is a :class:`~corridorsim.errors.ScenarioError` naming the field, the bad value
and what was expected.

Part of the scenario layer: imports NetworkX, the schema and the shared errors only.
"""

from __future__ import annotations

import networkx as nx

from ..errors import ScenarioError
from .schema import Scenario

__all__ = ["check_references", "need_node", "need_edge", "need_path", "node_names"]


def node_names(g: nx.Graph) -> str:
    names = sorted(g.nodes)
    shown = ", ".join(names[:12])
    return shown + (f", ... ({len(names)} nodes)" if len(names) > 12 else "")


def need_node(g: nx.Graph, name: str, field: str) -> None:
    if name not in g:
        raise ScenarioError(field, f"{name!r} is not a node of the network; expected one of: "
                                   f"{node_names(g)}")


def need_edge(g: nx.Graph, a: str, b: str, field: str) -> None:
    need_node(g, a, field)
    need_node(g, b, field)
    if not g.has_edge(a, b):
        nbrs = ", ".join(sorted(g.neighbors(a))) or "none"
        raise ScenarioError(field, f"[{a}, {b}] is not an edge of the network; {a} connects to: {nbrs}")


def need_path(g: nx.Graph, a: str, b: str, field: str) -> None:
    if a != b and not nx.has_path(g, a, b):
        raise ScenarioError(field, f"no path from {a!r} to {b!r} in the network: expected the "
                                   "two to be connected")


def check_references(scenario: Scenario, g: nx.Graph) -> None:
    """Check that every node, edge and base the scenario names exists and is reachable."""
    dest = scenario.destination.node
    need_node(g, dest, "destination.node")
    bases = {b.name: b for b in scenario.escorts.bases}
    for i, b in enumerate(scenario.escorts.bases):
        need_node(g, b.node, f"escorts.bases[{i}].node")
    for i, c in enumerate(scenario.checkpoints):
        need_node(g, c.node, f"checkpoints[{i}].node")
    for i, s in enumerate(scenario.staging):
        need_node(g, s.node, f"staging[{i}].node")
        if s.escort_base is not None and s.escort_base not in bases:
            raise ScenarioError(f"staging[{i}].escort_base",
                                f"{s.escort_base!r} is not an escort base; expected one of: "
                                f"{', '.join(bases) or '(no bases defined)'}")
    staging_nodes = {s.node for s in scenario.staging}
    for k, d in enumerate(scenario.destinations):
        field = "destination" if len(scenario.destinations) == 1 else f"destinations[{k}]"
        need_node(g, d.node, field + ".node")
        if d.drop_node is not None:
            need_node(g, d.drop_node, field + ".drop_node")
    for origin, via in scenario.routing.via.items():
        need_node(g, origin, f"routing.via.{origin}")
        for j, n in enumerate(via):
            need_node(g, n, f"routing.via.{origin}[{j}]")
    for i, s in enumerate(scenario.sources):
        need_node(g, s.node, f"sources[{i}].node")
        if s.staging is not None:
            need_node(g, s.staging, f"sources[{i}].staging")
            if s.staging not in staging_nodes:
                raise ScenarioError(f"sources[{i}].staging",
                                    f"{s.staging!r} has no entry in staging: expected one of: "
                                    f"{', '.join(sorted(staging_nodes)) or '(no staging points)'}")
        for j, n in enumerate(s.via or ()):
            need_node(g, n, f"sources[{i}].via[{j}]")
        target = s.staging or dest
        need_path(g, s.node, target, f"sources[{i}].node")
        if s.staging is not None:
            need_path(g, s.staging, dest, f"sources[{i}].staging")
        for d in scenario.destinations:
            if s.shares is not None and s.shares.get(d.label, 0.0) > 0:
                # loaded for it, and for a finite fleet back empty from there to the source
                need_path(g, d.node, s.node, f"sources[{i}].shares.{d.label}")
    for i, s in enumerate(scenario.staging):
        # the escort deploys from its base and drives back to it: the two must be connected
        if s.escort_policy == "none" or not bases:
            continue
        if s.escort_base is not None:
            need_path(g, bases[s.escort_base].node, s.node, f"staging[{i}].escort_base")
        elif not any(nx.has_path(g, b.node, s.node) for b in bases.values()):
            raise ScenarioError(f"staging[{i}].node",
                                f"no escort base can reach {s.node!r}: expected a path from one "
                                f"of {', '.join(b.node for b in bases.values())} (or "
                                "escort_policy: none)")
    for i, c in enumerate(scenario.convoys):
        need_node(g, c.origin, f"convoys[{i}].origin")
        for j, n in enumerate(c.via or ()):
            need_node(g, n, f"convoys[{i}].via[{j}]")
        if c.escort_base is not None and c.escort_base not in bases:
            raise ScenarioError(f"convoys[{i}].escort_base",
                                f"{c.escort_base!r} is not an escort base; expected one of: "
                                f"{', '.join(bases) or '(no bases defined)'}")
        if c.escort_base is not None:
            need_path(g, bases[c.escort_base].node, c.origin, f"convoys[{i}].escort_base")
        if c.escort_base is not None and c.escort_units > bases[c.escort_base].units:
            raise ScenarioError(f"convoys[{i}].escort_units",
                                f"{c.escort_units} is invalid: base {c.escort_base!r} has only "
                                f"{bases[c.escort_base].units} units")
        c_dest = scenario.destinations[scenario.destination_index(c.destination)].node
        need_path(g, c.origin, c_dest, f"convoys[{i}].origin")
    if scenario.routing.policy == "fixed":
        via = scenario.routing.via
        for i, s in enumerate(scenario.sources):
            if s.via is None and s.node not in via:
                raise ScenarioError(f"sources[{i}].via", f"missing: routing.policy is 'fixed', so "
                                    f"{s.name!r} needs a via list (here or in routing.via.{s.node})")
        for i, sp in enumerate(scenario.staging):
            if sp.node not in via:
                raise ScenarioError(f"routing.via.{sp.node}", "missing: routing.policy is 'fixed', "
                                    f"so convoys formed at staging[{i}] need a via list")
        for i, c in enumerate(scenario.convoys):
            if c.via is None and c.origin not in via:
                raise ScenarioError(f"convoys[{i}].via", "missing: routing.policy is 'fixed', so "
                                    f"{c.name!r} needs a via list (here or in routing.via.{c.origin})")
    for i, r in enumerate(scenario.threats.rules):
        for j, (a, b) in enumerate(r.edges or ()):
            need_edge(g, a, b, f"threats.rules[{i}].edges[{j}]")
    for kind, items in (("scheduled", scenario.closures.scheduled),
                        ("random", scenario.closures.random)):
        for i, c in enumerate(items):
            field = f"closures.{kind}[{i}]"
            if c.edge is not None:
                need_edge(g, c.edge[0], c.edge[1], field + ".edge")
            else:
                need_node(g, c.node, field + ".node")

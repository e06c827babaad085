"""Checks of the built network that a scenario could otherwise run through silently.

:func:`check_connectivity` refuses a network with a loop edge (a road from a node to itself),
a destination with no road at all, and an escort base that cannot reach the staging point or
convoy it serves (its units would never arrive, and convoys waiting for them would wait for
ever). Reference and path checks of sources and convoys are in
:func:`corridorsim.scenario.network.check_references`.

May import: :mod:`corridorsim.errors`, :mod:`corridorsim.scenario.schema`, networkx.
"""

from __future__ import annotations

import networkx as nx

from ..errors import ScenarioError
from .schema import Scenario

__all__ = ["check_connectivity", "check_escort_reach"]


def _loop_field(scenario: Scenario, node: str) -> str:
    for i, e in enumerate(scenario.network.add_edges):
        if e.from_ == node and e.to == node:
            return f"network.add_edges[{i}]"
    return "network"


def check_connectivity(scenario: Scenario, g: nx.Graph) -> None:
    """Refuse loops and an isolated destination.

    Raises
    ------
    ScenarioError
        Naming the field (edge, destination, base) and what was expected.
    """
    for a, _ in nx.selfloop_edges(g):
        raise ScenarioError(_loop_field(scenario, a), f"edge [{a}, {a}] is a loop: expected a "
                                                      "road between two distinct nodes")
    dest = scenario.destination.node
    if dest in g and g.number_of_nodes() > 1 and g.degree(dest) == 0:
        raise ScenarioError("destination.node", f"{dest!r} has no road (an isolated node): "
                                                "expected a node connected to the network")


def check_escort_reach(scenario: Scenario, g: nx.Graph) -> None:
    """Refuse an escort base that cannot reach the staging point or convoy it serves (run after
    the reference checks, whose messages are more precise for a broken route).

    Raises
    ------
    ScenarioError
        Naming the staging point or convoy and the base.
    """
    bases = {b.name: b for b in scenario.escorts.bases}
    for i, sp in enumerate(scenario.staging):
        if sp.escort_policy == "none" or not bases:
            continue
        if sp.node not in g or any(b.node not in g for b in bases.values()):
            continue  # check_references names the missing node
        if sp.escort_base is not None:
            base = bases.get(sp.escort_base)
            if base is not None and not nx.has_path(g, base.node, sp.node):
                raise ScenarioError(f"staging[{i}].escort_base",
                                    f"base {base.name!r} at {base.node!r} cannot reach "
                                    f"{sp.node!r}: expected a base connected to the staging point")
        elif not any(nx.has_path(g, b.node, sp.node) for b in bases.values()):
            raise ScenarioError(f"staging[{i}].node",
                                f"no escort base can reach {sp.node!r}: expected a base "
                                "connected to the staging point (or escort_policy: none)")
    for i, c in enumerate(scenario.convoys):
        base = bases.get(c.escort_base or "")
        if base is not None and c.escort_units > 0 and base.node in g and c.origin in g:
            if not nx.has_path(g, base.node, c.origin):
                raise ScenarioError(f"convoys[{i}].escort_base",
                                    f"base {base.name!r} at {base.node!r} cannot reach "
                                    f"{c.origin!r}: expected a base connected to the convoy's "
                                    "origin")

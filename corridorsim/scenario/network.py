"""The corridor graph: loading it from the built-in network or files, and editing it.

The network is an undirected :class:`networkx.Graph`. Nodes carry ``lat``, ``lon`` (degrees),
``country``, ``role`` and ``region``; edges carry ``length_km``, ``speed_kmh``, ``time_h``,
``road``, ``corridor`` and ``region``, plus any provenance columns of the source table (e.g.
``distance_basis``). The graph is built once per scenario by :func:`build_network`, which also
checks every node, edge and escort base that the scenario names: a broken network or a
dangling reference is a :class:`~corridorsim.errors.ScenarioError` naming the field.

Supported sources: the built-in ``mali`` network (shipped in ``corridorsim/data/mali``), node
and edge CSV tables, GraphML (as written by networkx or osmnx: ``x``/``y`` coordinates and
``length`` in metres are understood) and GeoJSON (Point features = nodes, LineString features =
edges).

The checks of the scenario's references are in :mod:`corridorsim.scenario.network_checks`.

Part of the scenario layer: imports NetworkX, the schema, geography and the shared errors.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

import networkx as nx

from ..errors import ScenarioError
from .geo import great_circle_km
from .network_checks import check_references, need_edge, need_node
from .network_reach import check_connectivity, check_escort_reach
from .safe_yaml import read_text
from .schema import EdgeSpec, NodeSpec, Scenario

__all__ = ["build_network", "load_base_graph", "builtin_tables", "corridor_label", "edge_key"]

_NODE_FIELDS = ("lat", "lon", "country", "role", "region")
_EDGE_FIELDS = ("length_km", "speed_kmh", "road", "corridor", "region")


def corridor_label(text: str) -> str:
    """Corridor label of an edge: the first word of the table's corridor column.

    ``"A Dakar-Bamako north"`` -> ``"A"``; ``"B-west"`` -> ``"B-west"``.
    """
    text = (text or "").strip()
    return text.split()[0] if text else ""


def edge_key(a: str, b: str) -> tuple[str, str]:
    """Canonical (sorted) key of the undirected edge between ``a`` and ``b``."""
    return (a, b) if a <= b else (b, a)


# --------------------------------------------------------------------------------------------
# Reading tables and files
# --------------------------------------------------------------------------------------------


def _read_csv_rows(text: str) -> list[dict[str, str]]:
    return [
        {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        for row in csv.DictReader(text.splitlines())
    ]


def builtin_tables(name: str = "mali") -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Node and edge rows of a network shipped with corridorsim."""
    folder = resources.files("corridorsim") / "data" / name
    nodes = _read_csv_rows((folder / "nodes.csv").read_text(encoding="utf-8"))
    edges = _read_csv_rows((folder / "edges.csv").read_text(encoding="utf-8"))
    return nodes, edges


def _number(value: Any, field: str, what: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ScenarioError(field, f"{value!r} is invalid: expected a number ({what})") from None
    if not math.isfinite(x):
        raise ScenarioError(field, f"{value!r} is invalid: expected a finite number ({what})")
    return x


def _graph_from_rows(
    nodes: Iterable[Mapping[str, Any]],
    edges: Iterable[Mapping[str, Any]],
    field: str,
    node_field: str | None = None,
) -> nx.Graph:
    """Build the graph from node and edge rows (CSV-like dicts), checking them.

    ``field`` names the source in error messages (``node_field`` for the node rows, if they
    come from a different file). Each edge remembers which end was its ``to`` column (in the
    private attribute ``_to``) until :func:`_finish_attributes` derives its region.
    """
    g = nx.Graph()
    for i, row in enumerate(nodes):
        where = f"{node_field or field} node row {i + 1}"
        name = str(row.get("node") or row.get("name") or "").strip()
        if not name:
            raise ScenarioError(where, "missing node name: expected a 'node' or 'name' column")
        if name in g:
            raise ScenarioError(where, f"duplicate node {name!r}: expected unique node names")
        attrs = {k: v for k, v in row.items() if k not in ("node", "name") and v not in (None, "")}
        lat = _number(row.get("lat", row.get("y")), where, "latitude in degrees")
        lon = _number(row.get("lon", row.get("x")), where, "longitude in degrees")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ScenarioError(where, f"({lat}, {lon}) is invalid: expected lat/lon in degrees")
        attrs.pop("x", None)
        attrs.pop("y", None)
        attrs.update(lat=lat, lon=lon)
        attrs.setdefault("country", "")
        attrs.setdefault("role", "town")
        g.add_node(name, **attrs)
    for i, row in enumerate(edges):
        where = f"{field} edge row {i + 1}"
        a = str(row.get("from") or row.get("source") or row.get("u") or "").strip()
        b = str(row.get("to") or row.get("target") or row.get("v") or "").strip()
        for end in (a, b):
            if end not in g:
                raise ScenarioError(
                    where, f"{end!r} is not a node: every edge end must be a listed node"
                )
        if a == b:
            raise ScenarioError(where, f"edge {a!r}-{b!r} is a loop: expected two distinct nodes")
        if g.has_edge(a, b):
            raise ScenarioError(where, f"duplicate edge {a!r}-{b!r}: expected one edge per pair")
        attrs = {k: v for k, v in row.items() if k not in ("from", "to", "source", "target", "u", "v")
                 and v not in (None, "")}
        if "length_km" in row and row["length_km"] not in (None, ""):
            length = _number(row["length_km"], where, "length_km")
        elif "road_km" in row and row["road_km"] not in (None, ""):
            length = _number(row["road_km"], where, "road_km")
            attrs.pop("road_km")
        elif "length" in row and row["length"] not in (None, ""):
            # osmnx writes metres
            length = _number(row["length"], where, "length in metres") / 1000.0
            attrs.pop("length")
        else:
            na, nb = g.nodes[a], g.nodes[b]
            length = great_circle_km(na["lat"], na["lon"], nb["lat"], nb["lon"])
            attrs["distance_basis"] = "great-circle"
        if length <= 0:
            raise ScenarioError(where, f"length {length:g} km is invalid: expected a length > 0")
        attrs["length_km"] = length
        if "speed_kmh" in attrs:
            attrs["speed_kmh"] = _number(attrs["speed_kmh"], where, "speed_kmh")
            if attrs["speed_kmh"] <= 0:
                raise ScenarioError(where, f"speed {attrs['speed_kmh']:g} km/h: expected > 0")
        attrs["corridor"] = corridor_label(str(attrs.get("corridor", "")))
        attrs.setdefault("road", "")
        attrs["_to"] = b
        g.add_edge(a, b, **attrs)
    return g


def _read_text(path: str, field: str) -> str:
    return read_text(path, field, "table")


def _graph_from_graphml(path: str) -> nx.Graph:
    field = "network.graphml"
    _read_text(path, field)  # clear error for a missing file
    try:
        raw = nx.read_graphml(path)
    except Exception as exc:  # networkx raises several parse error types
        raise ScenarioError(field, f"{path!r} is not valid GraphML: {exc}") from None
    nodes = []
    for n, d in raw.nodes(data=True):
        row = {"node": str(d.get("name", n)) if "name" in d else str(n)}
        row.update({k: v for k, v in d.items() if k != "name"})
        nodes.append(row)
    names = {n: (str(d["name"]) if "name" in d else str(n)) for n, d in raw.nodes(data=True)}
    edges = []
    for a, b, d in raw.edges(data=True):
        row = {"from": names[a], "to": names[b]}
        row.update({k: v for k, v in d.items() if k in ("length_km", "length", "speed_kmh",
                                                      "road", "corridor", "region", "ref")})
        if "road" not in row and "ref" in row:
            row["road"] = row.pop("ref")
        row.pop("ref", None)
        edges.append(row)
    # osmnx graphs are multi-digraphs: keep the first edge of each undirected pair
    seen, unique = set(), []
    for row in edges:
        k = edge_key(row["from"], row["to"])
        if k not in seen and row["from"] != row["to"]:
            seen.add(k)
            unique.append(row)
    return _graph_from_rows(nodes, unique, field)


def _graph_from_geojson(path: str) -> nx.Graph:
    field = "network.geojson"
    try:
        data = json.loads(_read_text(path, field))
    except json.JSONDecodeError as exc:
        raise ScenarioError(field, f"{path!r} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    feats = data.get("features") if isinstance(data, dict) else None
    if not isinstance(feats, list):
        raise ScenarioError(field, f"{path!r}: expected a FeatureCollection with 'features'")
    nodes, edges = [], []
    for i, f in enumerate(feats):
        geom = (f or {}).get("geometry") or {}
        props = dict((f or {}).get("properties") or {})
        kind = geom.get("type")
        if kind == "Point":
            lon, lat = geom["coordinates"][:2]
            props.setdefault("name", props.get("node"))
            props.update(lat=lat, lon=lon)
            nodes.append(props)
        elif kind == "LineString":
            coords = geom.get("coordinates") or []
            if props.get("length_km") in (None, "") and len(coords) >= 2:
                props["length_km"] = sum(
                    great_circle_km(p[1], p[0], q[1], q[0]) for p, q in zip(coords, coords[1:])
                )
                props.setdefault("distance_basis", "geometry")
            edges.append(props)
        else:
            raise ScenarioError(
                f"{field} feature {i + 1}", f"geometry {kind!r}: expected Point or LineString"
            )
    return _graph_from_rows(nodes, edges, field)


def load_base_graph(scenario: Scenario) -> nx.Graph:
    """The network the scenario starts from, before its edits."""
    spec = scenario.network
    if spec.builtin is not None:
        nodes, edges = builtin_tables(spec.builtin)
        return _graph_from_rows(nodes, edges, f"network.builtin ({spec.builtin})")
    if spec.nodes_csv:
        nodes = _read_csv_rows(_read_text(spec.nodes_csv, "network.nodes_csv"))
        edges = _read_csv_rows(_read_text(spec.edges_csv or "", "network.edges_csv"))
        return _graph_from_rows(nodes, edges, "network.edges_csv", "network.nodes_csv")
    if spec.graphml:
        return _graph_from_graphml(spec.graphml)
    return _graph_from_geojson(spec.geojson or "")


# --------------------------------------------------------------------------------------------
# Scenario edits
# --------------------------------------------------------------------------------------------


def _add_node(g: nx.Graph, spec: NodeSpec, field: str) -> None:
    if spec.name in g:
        raise ScenarioError(field, f"{spec.name!r} is already a node: expected a new name "
                                   "(use network.node_overrides to change a node)")
    g.add_node(spec.name, **spec.model_dump(exclude={"name", "region"}),
               **({"region": spec.region} if spec.region else {}))


def _add_edge(g: nx.Graph, spec: EdgeSpec, field: str) -> None:
    need_node(g, spec.from_, field)
    need_node(g, spec.to, field)
    if g.has_edge(spec.from_, spec.to):
        raise ScenarioError(field, f"[{spec.from_}, {spec.to}] is already an edge: expected a new "
                                   "pair (use network.edge_overrides to change an edge)")
    attrs = {k: v for k, v in spec.model_dump(exclude={"from_", "to"}).items() if v is not None}
    attrs["corridor"] = corridor_label(attrs.get("corridor", ""))
    attrs["_to"] = spec.to
    g.add_edge(spec.from_, spec.to, **attrs)


def _finish_attributes(g: nx.Graph, default_speed_kmh: float) -> None:
    """Fill derived attributes: regions, speeds and travel times."""
    for _, d in g.nodes(data=True):
        if not d.get("region"):
            d["region"] = d.get("country", "")
    for a, b, d in g.edges(data=True):
        # networkx does not keep the orientation of undirected edges: use the recorded 'to' end
        to = d.pop("_to", b)
        frm = a if to == b else b
        if not d.get("region"):
            # the 'to' end in the source table; for border edges that is the inland side
            d["region"] = g.nodes[to]["region"] or g.nodes[frm]["region"]
        d["speed_kmh"] = float(d.get("speed_kmh") or default_speed_kmh)
        d["length_km"] = float(d["length_km"])
        d["time_h"] = d["length_km"] / d["speed_kmh"]
        d.setdefault("road", "")
        d.setdefault("corridor", "")


def build_network(scenario: Scenario) -> nx.Graph:
    """Build the scenario's graph and check every reference the scenario makes.

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    networkx.Graph
        Undirected graph with the node and edge attributes described in the module docstring.

    Raises
    ------
    ScenarioError
        For a broken network or a reference to a node, edge or base that does not exist, or a
        source or convoy with no path to the destination.
    """
    spec = scenario.network
    g = load_base_graph(scenario)
    for i, (a, b) in enumerate(spec.remove_edges):
        field = f"network.remove_edges[{i}]"
        need_edge(g, a, b, field)
        g.remove_edge(a, b)
    for i, n in enumerate(spec.remove_nodes):
        field = f"network.remove_nodes[{i}]"
        need_node(g, n, field)
        g.remove_node(n)
    for i, node in enumerate(spec.add_nodes):
        _add_node(g, node, f"network.add_nodes[{i}]")
    for i, edge in enumerate(spec.add_edges):
        _add_edge(g, edge, f"network.add_edges[{i}]")
    for name, over in spec.node_overrides.items():
        field = f"network.node_overrides.{name}"
        need_node(g, name, field)
        g.nodes[name].update(over.model_dump(exclude_none=True))
    for i, over in enumerate(spec.edge_overrides):
        field = f"network.edge_overrides[{i}]"
        need_edge(g, over.from_, over.to, field)
        attrs = over.model_dump(exclude={"from_", "to"}, exclude_none=True)
        if "corridor" in attrs:
            attrs["corridor"] = corridor_label(attrs["corridor"])
        g.edges[over.from_, over.to].update(attrs)
    _finish_attributes(g, spec.default_speed_kmh)
    check_connectivity(scenario, g)
    check_references(scenario, g)
    check_escort_reach(scenario, g)
    return g

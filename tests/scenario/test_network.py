"""Network building (built-in, CSV, GraphML, GeoJSON), scenario edits, reference checks, routing."""

from __future__ import annotations

import csv
import json
import math

import networkx as nx
import pytest

from corridorsim.errors import ScenarioError, ScenarioErrors
from corridorsim.model.plan import ScenarioPlan
from corridorsim.model.routing import Router
from corridorsim.scenario.documents import scenario_from_dict
from corridorsim.scenario.geo import great_circle_km
from corridorsim.scenario.network import build_network, corridor_label, edge_key

from ..conftest import smoke_dict

# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


#: Corridor A from Dakar to Bamako through Kidira / Diboli / Kayes / Diema / Kati.
CORRIDOR_A = [
    "Dakar", "Kaolack", "Kaffrine", "Koungheul", "Tambacounda", "Kidira", "Diboli", "Kayes",
    "Sandare", "Lakamane", "Diema", "Diangounte_Camara", "Didieni", "Kolokani", "Kati", "Bamako",
]




def tiny_dict(network: dict, source: str = "A", destination: str = "C") -> dict:
    """A minimal scenario (one source, no staging) on a network loaded from files."""
    return {
        "name": "tiny",
        "start": "2025-09-01",
        "end": "2025-09-03",
        "destination": {"node": destination, "demand_l_per_day": 1000},
        "network": {"builtin": None, **network},
        "sources": [{"name": "s", "node": source, "tankers_per_day": 1}],
    }


def graph_of(data: dict) -> nx.Graph:
    return build_network(scenario_from_dict(data))


def path_km(g: nx.Graph, path) -> float:
    return sum(g.edges[a, b]["length_km"] for a, b in zip(path, path[1:]))


def edges_of(path) -> set[tuple[str, str]]:
    return {edge_key(a, b) for a, b in zip(path, path[1:])}


def write_csv(path, header: list[str], rows: list[list]) -> str:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return str(path)


TINY_NODES = [
    ["A", 12.0, -8.0, "ML", "depot"],
    ["B", 12.5, -8.0, "ML", "town"],
    ["C", 13.0, -8.5, "SN", "town"],
]
NODE_HEADER = ["node", "lat", "lon", "country", "role"]


def tiny_csv(tmp_path, edge_header: list[str], edge_rows: list[list], node_rows=None) -> dict:
    nodes = write_csv(tmp_path / "nodes.csv", NODE_HEADER, node_rows or TINY_NODES)
    edges = write_csv(tmp_path / "edges.csv", edge_header, edge_rows)
    return {"nodes_csv": nodes, "edges_csv": edges}


# --------------------------------------------------------------------------------------------
# The built-in Mali network
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mali() -> nx.Graph:
    return graph_of(smoke_dict())


def test_builtin_mali_size(mali):
    assert mali.number_of_nodes() == 61
    assert mali.number_of_edges() == 66
    assert nx.is_connected(mali)


def test_builtin_node_attributes(mali):
    dakar = mali.nodes["Dakar"]
    assert dakar["lat"] == pytest.approx(14.6937)
    assert dakar["lon"] == pytest.approx(-17.44406)
    assert dakar["country"] == "SN"
    assert dakar["region"] == "SN"
    assert mali.nodes["Bamako"]["region"] == "ML"


def test_corridor_a_length_dakar_bamako(mali):
    assert all(mali.has_edge(a, b) for a, b in zip(CORRIDOR_A, CORRIDOR_A[1:]))
    assert {mali.edges[a, b]["corridor"] for a, b in zip(CORRIDOR_A, CORRIDOR_A[1:])} == {"A"}
    # PROVENANCE.md quotes the sourced corridor total as 1,382 km; the shipped per-edge road
    # lengths (rounded to whole km, border bridge included) add up to 1,385 km.
    assert path_km(mali, CORRIDOR_A) == pytest.approx(1385.0)
    assert path_km(mali, CORRIDOR_A) == pytest.approx(1382.0, abs=5.0)


def test_fastest_route_on_builtin_takes_the_shorter_a_south(mali):
    # With one speed everywhere, fastest = shortest: A-south via Kedougou and Kita (1256 km).
    path = nx.shortest_path(mali, "Dakar", "Bamako", weight="time_h")
    assert path == ["Dakar", "Kaolack", "Kaffrine", "Koungheul", "Tambacounda", "Kedougou",
                    "Kita", "Kati", "Bamako"]
    assert path_km(mali, path) == pytest.approx(1256.0)


def slow_a_south(data: dict, speed_kmh: float = 5.0) -> dict:
    """Make the A-south road (Tambacounda-Kedougou-Kita) slow and drop the Kayes-Kita link."""
    net = data["network"]
    net["remove_edges"] = [["Kita", "Kayes"]]
    net["edge_overrides"] = [
        {"from": "Tambacounda", "to": "Kedougou", "speed_kmh": speed_kmh},
        {"from": "Kedougou", "to": "Kita", "speed_kmh": speed_kmh},
    ]
    return data


def test_fastest_route_follows_corridor_a_when_a_south_is_slow():
    g = graph_of(slow_a_south(smoke_dict()))
    path = nx.shortest_path(g, "Dakar", "Bamako", weight="time_h")
    assert path == CORRIDOR_A
    for town in ("Kidira", "Diboli", "Kayes", "Diema", "Kati"):
        assert town in path
    assert path_km(g, path) == pytest.approx(1385.0)


def test_corridor_label_normalisation(mali):
    assert corridor_label("A Dakar-Bamako north") == "A"
    assert corridor_label("  B-west ") == "B-west"
    assert corridor_label("") == ""
    assert mali.edges["Dakar", "Kaolack"]["corridor"] == "A"
    assert mali.edges["Abidjan", "Yamoussoukro"]["corridor"] == "B"
    assert mali.edges["Bamako", "Fana"]["corridor"] == "D"
    labels = {d["corridor"] for _, _, d in mali.edges(data=True)}
    assert labels == {"A", "A-south", "A-branch", "A-link", "B", "B-west", "C", "D", "D-north", "E"}


def test_border_edges_take_the_region_of_most_of_their_length(mali):
    # the built-in table states the region of its six border-crossing edges (PROVENANCE.md)
    assert mali.edges["Kidira", "Diboli"]["region"] == "ML"
    assert mali.edges["Pogo", "Zegoua"]["region"] == "ML"
    assert mali.edges["Siguiri", "Kouremale"]["region"] == "GN"
    assert mali.edges["Tengrela", "Kadiana"]["region"] == "CI"
    assert mali.edges["Kita", "Kedougou"]["region"] == "ML"
    assert mali.edges["Gao", "Niamey"]["region"] == "NE"
    assert mali.edges["Dakar", "Kaolack"]["region"] == "SN"


def test_edge_region_defaults_to_the_to_end_of_the_table(tmp_path):
    # Without a region column, a border edge takes the region of its 'to' node, whatever order
    # networkx keeps the two ends in ('to' listed before 'from' in the node table here).
    nodes = tmp_path / "n.csv"
    nodes.write_text("node,lat,lon,country\nB,1,1,ML\nA,0,0,CI\n")
    edges = tmp_path / "e.csv"
    edges.write_text("from,to,length_km\nA,B,10\n")
    data = smoke_dict()
    data["network"] = {"nodes_csv": str(nodes), "edges_csv": str(edges)}
    data["destination"]["node"] = "B"
    data["sources"] = [{"name": "s", "node": "A", "tankers_per_day": 1}]
    data.pop("staging", None)
    data.pop("checkpoints", None)
    data.pop("escorts", None)
    data["threats"] = {"enabled": False}
    assert graph_of(data).edges["A", "B"]["region"] == "ML"


def test_every_edge_has_time_from_length_and_speed():
    data = smoke_dict()
    data["network"]["default_speed_kmh"] = 12.5
    data["network"]["edge_overrides"] = [{"from": "Kati", "to": "Bamako", "speed_kmh": 30}]
    g = graph_of(data)
    for a, b, d in g.edges(data=True):
        assert d["length_km"] > 0
        assert d["time_h"] == pytest.approx(d["length_km"] / d["speed_kmh"]), (a, b)
    assert g.edges["Kati", "Bamako"]["speed_kmh"] == 30
    assert g.edges["Kati", "Bamako"]["time_h"] == pytest.approx(0.5)
    assert g.edges["Dakar", "Kaolack"]["speed_kmh"] == 12.5
    assert g.edges["Dakar", "Kaolack"]["time_h"] == pytest.approx(164 / 12.5)


# --------------------------------------------------------------------------------------------
# Loading from files
# --------------------------------------------------------------------------------------------


def test_load_from_csv(tmp_path):
    net = tiny_csv(
        tmp_path,
        ["from", "to", "length_km", "speed_kmh", "road", "corridor"],
        [["A", "B", "60", "30", "RN7", "Z Test corridor"], ["B", "C", "", "", "", ""]],
    )
    g = graph_of(tiny_dict(net))
    assert set(g.nodes) == {"A", "B", "C"}
    assert g.nodes["A"]["role"] == "depot"
    assert g.nodes["C"]["region"] == "SN"
    ab = g.edges["A", "B"]
    assert ab["length_km"] == 60.0
    assert ab["speed_kmh"] == 30.0
    assert ab["time_h"] == pytest.approx(2.0)
    assert ab["road"] == "RN7"
    assert ab["corridor"] == "Z"
    assert ab["region"] == "ML"
    bc = g.edges["B", "C"]
    # no length given: the great-circle distance between the two nodes
    assert bc["length_km"] == pytest.approx(great_circle_km(12.5, -8.0, 13.0, -8.5))
    assert bc["distance_basis"] == "great-circle"
    assert bc["speed_kmh"] == 10.0
    assert bc["region"] == "SN"


def test_load_from_csv_road_km_column(tmp_path):
    net = tiny_csv(tmp_path, ["from", "to", "road_km"], [["A", "B", "70"], ["B", "C", "80"]])
    g = graph_of(tiny_dict(net))
    assert g.edges["A", "B"]["length_km"] == 70.0
    assert g.edges["B", "C"]["length_km"] == 80.0
    assert "road_km" not in g.edges["A", "B"]


def test_load_from_networkx_graphml(tmp_path):
    src = nx.Graph()
    src.add_node("A", lat=12.0, lon=-8.0, country="ML")
    src.add_node("B", lat=12.5, lon=-8.0, country="ML")
    src.add_node("C", lat=13.0, lon=-8.5, country="SN")
    src.add_edge("A", "B", length_km=61.5, road="RN7", corridor="B south")
    src.add_edge("B", "C", length_km=75.0, speed_kmh=25.0)
    path = tmp_path / "net.graphml"
    nx.write_graphml(src, path)
    g = graph_of(tiny_dict({"graphml": str(path)}))
    assert set(g.nodes) == {"A", "B", "C"}
    assert g.nodes["C"]["lat"] == pytest.approx(13.0)
    assert g.nodes["C"]["country"] == "SN"
    assert g.edges["A", "B"]["length_km"] == pytest.approx(61.5)
    assert g.edges["A", "B"]["road"] == "RN7"
    assert g.edges["A", "B"]["corridor"] == "B"
    assert g.edges["B", "C"]["time_h"] == pytest.approx(3.0)


def test_load_from_osmnx_like_graphml(tmp_path):
    # osmnx: a MultiDiGraph with integer ids, x = lon / y = lat, length in metres, both
    # directions of each street, possibly parallel edges and self-loops.
    src = nx.MultiDiGraph()
    src.add_node(101, x=-8.0, y=12.0, street_count=1)
    src.add_node(102, x=-8.0, y=12.5, street_count=2)
    src.add_node(103, x=-8.5, y=13.0, street_count=1)
    for u, v in ((101, 102), (102, 101)):
        src.add_edge(u, v, length=55_500.0, ref="RN7", name="Route de Sikasso")
    for u, v in ((102, 103), (103, 102)):
        src.add_edge(u, v, length=72_250.0)
    src.add_edge(102, 102, length=300.0)
    path = tmp_path / "osm.graphml"
    nx.write_graphml(src, path)
    g = graph_of(tiny_dict({"graphml": str(path)}, source="101", destination="103"))
    assert set(g.nodes) == {"101", "102", "103"}
    assert g.number_of_edges() == 2
    assert g.nodes["101"]["lat"] == pytest.approx(12.0)
    assert g.nodes["101"]["lon"] == pytest.approx(-8.0)
    assert "x" not in g.nodes["101"] and "y" not in g.nodes["101"]
    assert g.edges["101", "102"]["length_km"] == pytest.approx(55.5)
    assert g.edges["102", "103"]["length_km"] == pytest.approx(72.25)
    assert g.edges["101", "102"]["road"] == "RN7"


def _point(name: str, lat: float, lon: float, **props) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"name": name, **props}}


def _line(coords: list[list[float]], **props) -> dict:
    return {"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords},
            "properties": props}


def _write_geojson(path, features: list[dict]) -> str:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return str(path)


def test_load_from_geojson(tmp_path):
    bend = [-7.5, 12.25]  # a detour east of the straight line A-B
    feats = [
        _point("A", 12.0, -8.0, country="ML"),
        _point("B", 12.5, -8.0, country="ML", role="junction"),
        _point("C", 13.0, -8.5, country="SN"),
        _line([[-8.0, 12.0], bend, [-8.0, 12.5]], **{"from": "A", "to": "B", "road": "RN7"}),
        _line([[-8.0, 12.5], [-8.5, 13.0]], **{"from": "B", "to": "C", "length_km": 99.0}),
    ]
    g = graph_of(tiny_dict({"geojson": _write_geojson(tmp_path / "net.geojson", feats)}))
    assert set(g.nodes) == {"A", "B", "C"}
    assert g.nodes["B"]["role"] == "junction"
    assert g.nodes["C"]["lat"] == pytest.approx(13.0)
    assert g.nodes["C"]["lon"] == pytest.approx(-8.5)
    expected = great_circle_km(12.0, -8.0, 12.25, -7.5) + great_circle_km(12.25, -7.5, 12.5, -8.0)
    assert g.edges["A", "B"]["length_km"] == pytest.approx(expected)
    assert g.edges["A", "B"]["length_km"] > great_circle_km(12.0, -8.0, 12.5, -8.0) + 10
    assert g.edges["A", "B"]["distance_basis"] == "geometry"
    assert g.edges["B", "C"]["length_km"] == 99.0


def test_geojson_null_length_uses_the_geometry(tmp_path):
    feats = [
        _point("A", 12.0, -8.0), _point("B", 12.5, -8.0), _point("C", 13.0, -8.5),
        _line([[-8.0, 12.0], [-7.5, 12.25], [-8.0, 12.5]], **{"from": "A", "to": "B", "length_km": None}),
        _line([[-8.0, 12.5], [-8.5, 13.0]], **{"from": "B", "to": "C"}),
    ]
    g = graph_of(tiny_dict({"geojson": _write_geojson(tmp_path / "net.geojson", feats)}))
    expected = great_circle_km(12.0, -8.0, 12.25, -7.5) + great_circle_km(12.25, -7.5, 12.5, -8.0)
    assert g.edges["A", "B"]["length_km"] == pytest.approx(expected)


def test_geojson_other_geometry_is_an_error(tmp_path):
    feats = [
        _point("A", 12.0, -8.0),
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": []}, "properties": {}},
    ]
    with pytest.raises(ScenarioError, match="Polygon") as exc:
        graph_of(tiny_dict({"geojson": _write_geojson(tmp_path / "net.geojson", feats)}))
    assert exc.value.path == "network.geojson feature 2"


def _lengths(g: nx.Graph) -> dict[tuple[str, str], float]:
    return {edge_key(a, b): d["length_km"] for a, b, d in g.edges(data=True)}


def test_builtin_round_trips_through_graphml(tmp_path, mali):
    path = tmp_path / "mali.graphml"
    nx.write_graphml(mali, path)
    data = smoke_dict()
    data["network"] = {"builtin": None, "graphml": str(path)}
    g = graph_of(data)
    assert set(g.nodes) == set(mali.nodes)
    assert _lengths(g) == pytest.approx(_lengths(mali))
    assert {k: g.edges[k]["corridor"] for k in _lengths(g)} == {
        k: mali.edges[k]["corridor"] for k in _lengths(mali)
    }
    assert g.edges["Pogo", "Zegoua"]["region"] == "ML"


def test_builtin_round_trips_through_geojson(tmp_path, mali):
    feats = [_point(n, d["lat"], d["lon"], country=d["country"], role=d["role"])
             for n, d in mali.nodes(data=True)]
    for a, b, d in mali.edges(data=True):
        coords = [[mali.nodes[n]["lon"], mali.nodes[n]["lat"]] for n in (a, b)]
        feats.append(_line(coords, **{"from": a, "to": b, "length_km": d["length_km"],
                                      "corridor": d["corridor"], "region": d["region"]}))
    data = smoke_dict()
    data["network"] = {"builtin": None, "geojson": _write_geojson(tmp_path / "mali.geojson", feats)}
    g = graph_of(data)
    assert set(g.nodes) == set(mali.nodes)
    assert _lengths(g) == pytest.approx(_lengths(mali))
    assert g.nodes["Kayes"]["lat"] == pytest.approx(mali.nodes["Kayes"]["lat"])


# --------------------------------------------------------------------------------------------
# Scenario edits
# --------------------------------------------------------------------------------------------


def test_add_nodes_and_edges():
    data = smoke_dict()
    data["network"]["add_nodes"] = [
        {"name": "Nara", "lat": 15.17, "lon": -7.29, "country": "ML", "role": "town"}
    ]
    data["network"]["add_edges"] = [
        {"from": "Diema", "to": "Nara", "length_km": 120, "speed_kmh": 20, "corridor": "X north"}
    ]
    g = graph_of(data)
    assert g.number_of_nodes() == 62
    assert g.number_of_edges() == 67
    assert g.nodes["Nara"]["lat"] == pytest.approx(15.17)
    assert g.nodes["Nara"]["region"] == "ML"
    e = g.edges["Nara", "Diema"]
    assert e["length_km"] == 120
    assert e["time_h"] == pytest.approx(6.0)
    assert e["corridor"] == "X"


def test_added_edge_region_is_its_to_node():
    data = smoke_dict()
    data["network"]["add_nodes"] = [{"name": "Outpost", "lat": 12.0, "lon": -9.0, "country": "GN"}]
    # 'from' is the new node (after Bamako in node order), 'to' is Bamako
    data["network"]["add_edges"] = [{"from": "Outpost", "to": "Bamako", "length_km": 50}]
    g = graph_of(data)
    assert g.edges["Outpost", "Bamako"]["region"] == "ML"


def test_remove_edges_and_nodes():
    data = smoke_dict()
    data["network"]["remove_edges"] = [["Kita", "Kayes"]]
    data["network"]["remove_nodes"] = ["Nioro_du_Sahel"]
    g = graph_of(data)
    assert not g.has_edge("Kayes", "Kita")
    assert "Nioro_du_Sahel" not in g
    assert g.number_of_nodes() == 60
    assert g.number_of_edges() == 64


def test_removed_edge_can_be_added_back_with_a_new_length():
    # edits apply in order: remove edges, remove nodes, add nodes, add edges, overrides
    data = smoke_dict()
    data["network"]["remove_edges"] = [["Kayes", "Kita"]]
    data["network"]["add_edges"] = [{"from": "Kayes", "to": "Kita", "length_km": 250}]
    g = graph_of(data)
    assert g.edges["Kita", "Kayes"]["length_km"] == 250


def test_node_overrides():
    data = smoke_dict()
    data["network"]["node_overrides"] = {"Kayes": {"region": "ML-west", "lat": 14.5}}
    g = graph_of(data)
    assert g.nodes["Kayes"]["region"] == "ML-west"
    assert g.nodes["Kayes"]["lat"] == 14.5
    assert g.nodes["Kayes"]["country"] == "ML"
    # edges whose 'to' end is Kayes take its new region
    assert g.edges["Diboli", "Kayes"]["region"] == "ML-west"
    assert g.edges["Kayes", "Sandare"]["region"] == "ML"


def test_edge_overrides():
    data = smoke_dict()
    data["network"]["edge_overrides"] = [
        {"from": "Bamako", "to": "Kati", "length_km": 20, "speed_kmh": 40,
         "corridor": "A-urban ring", "region": "BKO"}
    ]
    g = graph_of(data)
    e = g.edges["Kati", "Bamako"]
    assert e["length_km"] == 20
    assert e["time_h"] == pytest.approx(0.5)
    assert e["corridor"] == "A-urban"
    assert e["region"] == "BKO"
    assert e["road"] == "RN3/RN1"


# --------------------------------------------------------------------------------------------
# Broken networks and dangling references
# --------------------------------------------------------------------------------------------


def test_unknown_node_in_added_edge():
    data = smoke_dict()
    data["network"]["add_edges"] = [{"from": "Diema", "to": "Atlantis", "length_km": 10}]
    with pytest.raises(ScenarioError, match="Atlantis") as exc:
        graph_of(data)
    assert exc.value.path == "network.add_edges[0]"
    assert "network.add_edges[0]" in str(exc.value)


def test_unknown_node_in_csv_edge(tmp_path):
    net = tiny_csv(tmp_path, ["from", "to", "length_km"], [["A", "B", "5"], ["B", "Atlantis", "5"]])
    with pytest.raises(ScenarioError, match="'Atlantis' is not a node") as exc:
        graph_of(tiny_dict(net))
    assert exc.value.path == "network.edges_csv edge row 2"


def test_no_path_from_source_to_staging():
    data = smoke_dict()
    data["network"]["remove_edges"] = [["Abidjan", "Yamoussoukro"]]
    with pytest.raises(ScenarioError, match="no path from 'Abidjan' to 'Zegoua'") as exc:
        graph_of(data)
    assert exc.value.path == "sources[0].node"


def test_no_path_from_staging_to_destination():
    data = smoke_dict()
    # cut corridor B north of Zegoua and the B-west road: Zegoua still reaches Abidjan
    data["network"]["remove_edges"] = [["Zegoua", "Kadiolo"], ["Ferkessedougou", "Korhogo"]]
    with pytest.raises(ScenarioError, match="no path from 'Zegoua' to 'Bamako'") as exc:
        graph_of(data)
    assert exc.value.path == "sources[0].staging"


@pytest.mark.parametrize("length", ["0", "-5"])
def test_non_positive_csv_length(tmp_path, length):
    net = tiny_csv(tmp_path, ["from", "to", "length_km"], [["A", "B", length], ["B", "C", "5"]])
    with pytest.raises(ScenarioError, match=f"length {length} km is invalid") as exc:
        graph_of(tiny_dict(net))
    assert "network.edges_csv edge row 1" in str(exc.value)


def test_non_positive_added_edge_length():
    data = smoke_dict()
    data["network"]["add_edges"] = [{"from": "Diema", "to": "Kita", "length_km": -5}]
    with pytest.raises(ScenarioErrors) as exc:
        graph_of(data)
    [line] = exc.value.lines()
    assert "network.add_edges[0].length_km" in line
    assert "-5" in line


def test_duplicate_node_in_csv(tmp_path):
    rows = [*TINY_NODES, ["B", 12.6, -8.1, "ML", "town"]]
    net = tiny_csv(tmp_path, ["from", "to", "length_km"], [["A", "B", "5"]], node_rows=rows)
    with pytest.raises(ScenarioError, match="duplicate node 'B'") as exc:
        graph_of(tiny_dict(net))
    assert exc.value.path == "network.nodes_csv node row 4"


def test_duplicate_added_node():
    data = smoke_dict()
    data["network"]["add_nodes"] = [{"name": "Kayes", "lat": 14.4, "lon": -11.4}]
    with pytest.raises(ScenarioError, match="'Kayes' is already a node") as exc:
        graph_of(data)
    assert exc.value.path == "network.add_nodes[0]"


def test_duplicate_edge_in_csv(tmp_path):
    net = tiny_csv(tmp_path, ["from", "to", "length_km"],
                   [["A", "B", "5"], ["B", "C", "5"], ["B", "A", "6"]])
    with pytest.raises(ScenarioError, match="duplicate edge 'B'-'A'") as exc:
        graph_of(tiny_dict(net))
    assert exc.value.path == "network.edges_csv edge row 3"


def test_duplicate_added_edge():
    data = smoke_dict()
    data["network"]["add_edges"] = [{"from": "Bamako", "to": "Kati", "length_km": 16}]
    with pytest.raises(ScenarioError, match=r"\[Bamako, Kati\] is already an edge") as exc:
        graph_of(data)
    assert exc.value.path == "network.add_edges[0]"


def test_unknown_source_node():
    data = smoke_dict()
    data["sources"][0]["node"] = "Abidjann"
    with pytest.raises(ScenarioError) as exc:
        graph_of(data)
    assert "sources[0].node" in str(exc.value)
    assert "'Abidjann'" in str(exc.value)


def test_unknown_destination_and_removed_node_references():
    data = smoke_dict()
    data["destination"]["node"] = "Bamakoo"
    with pytest.raises(ScenarioError, match="'Bamakoo' is not a node") as exc:
        graph_of(data)
    assert exc.value.path == "destination.node"
    data = smoke_dict()
    data["network"]["remove_nodes"] = ["Sikasso"]  # the escort base's node
    with pytest.raises(ScenarioError, match="'Sikasso' is not a node") as exc:
        graph_of(data)
    assert exc.value.path == "escorts.bases[0].node"


def test_unknown_escort_base():
    data = smoke_dict()
    data["staging"][0]["escort_base"] = "kayes"
    with pytest.raises(ScenarioError, match="'kayes' is not an escort base") as exc:
        graph_of(data)
    assert exc.value.path == "staging[0].escort_base"
    assert "sikasso" in exc.value.message


def test_unknown_closure_edge():
    data = smoke_dict()
    data["closures"] = {"scheduled": [{"edge": ["Kayes", "Bamako"], "start": "2025-09-05"}]}
    with pytest.raises(ScenarioError, match=r"\[Kayes, Bamako\] is not an edge") as exc:
        graph_of(data)
    assert exc.value.path == "closures.scheduled[0].edge"


def test_unknown_threat_rule_edge():
    data = smoke_dict()
    data["threats"]["rules"].append({"edges": [["Kayes", "Kati"]], "ambush_rate_per_1000km": 5})
    with pytest.raises(ScenarioError, match=r"\[Kayes, Kati\] is not an edge") as exc:
        graph_of(data)
    assert exc.value.path == "threats.rules[1].edges[0]"


# --------------------------------------------------------------------------------------------
# Routing
# --------------------------------------------------------------------------------------------


def router_of(data: dict) -> Router:
    return ScenarioPlan(scenario_from_dict(data)).router


def test_least_loss_avoids_a_threatened_edge():
    data = slow_a_south(smoke_dict())
    data["threats"]["rules"] = [{"edges": [["Kayes", "Sandare"]], "ambush_rate_per_1000km": 50}]
    assert router_of(data).route("Dakar", "Bamako") == tuple(CORRIDOR_A)  # fastest ignores it
    data["routing"] = {"policy": "least_loss"}
    path = router_of(data).route("Dakar", "Bamako")
    assert path is not None
    assert edge_key("Kayes", "Sandare") not in edges_of(path)
    assert path == ("Dakar", "Kaolack", "Kaffrine", "Koungheul", "Tambacounda", "Kedougou",
                    "Kita", "Kati", "Bamako")


def test_least_loss_keeps_an_unavoidable_threatened_edge():
    data = smoke_dict()
    data["threats"]["rules"] = [{"edges": [["Tambacounda", "Koungheul"]], "ambush_rate_per_1000km": 50}]
    data["routing"] = {"policy": "least_loss"}
    path = router_of(data).route("Dakar", "Bamako")
    assert path is not None
    assert edge_key("Tambacounda", "Koungheul") in edges_of(path)


def test_least_loss_trades_threat_against_time():
    data = smoke_dict()
    data["routing"] = {"policy": "least_loss"}
    data["threats"]["rules"] = [{"edges": [["Kedougou", "Kita"]], "ambush_rate_per_1000km": 5}]
    path = router_of(data).route("Dakar", "Bamako")
    assert edge_key("Kedougou", "Kita") not in edges_of(path)
    # the next fastest way: through Kayes and the A-link road to Kita
    assert ("Kayes", "Kita") in set(zip(path, path[1:]))


def test_via_forces_a_path():
    router = router_of(smoke_dict())
    assert "Kedougou" in router.route("Dakar", "Bamako")
    path = router.route("Dakar", "Bamako", via=("Kayes", "Diema"))
    assert path[0] == "Dakar" and path[-1] == "Bamako"
    assert path.index("Kayes") < path.index("Diema")
    assert "Kedougou" not in path
    g = router.graph
    assert all(g.has_edge(a, b) for a, b in zip(path, path[1:]))
    assert router.travel_time_h(path) == pytest.approx(path_km(g, path) / 10.0)


def test_routing_via_from_the_scenario():
    data = smoke_dict()
    data["routing"] = {"policy": "fixed", "via": {"Dakar": ["Nioro_du_Sahel"], "Abidjan": [],
                                                  "Zegoua": []}}
    path = router_of(data).route("Dakar", "Bamako")
    assert "Nioro_du_Sahel" in path
    assert path.index("Diema") < path.index("Nioro_du_Sahel")


def _both(a: str, b: str) -> frozenset:
    return frozenset({(a, b), (b, a)})


def test_closures_reroute_or_cut_off():
    router = router_of(smoke_dict())
    open_path = router.route("Dakar", "Bamako")
    assert "Kedougou" in open_path
    rerouted = router.route("Dakar", "Bamako", closed_edges=_both("Kedougou", "Kita"))
    assert rerouted is not None
    assert edge_key("Kedougou", "Kita") not in edges_of(rerouted)
    assert "Kayes" in rerouted
    around_kita = router.route("Dakar", "Bamako", closed_nodes=frozenset({"Kita"}))
    assert "Kita" not in around_kita
    assert "Diema" in around_kita
    assert router.route("Dakar", "Bamako", closed_nodes=frozenset({"Tambacounda"})) is None
    assert router.route("Dakar", "Bamako", closed_edges=_both("Kaolack", "Kaffrine")) is None
    assert router.route("Dakar", "Bamako", closed_nodes=frozenset({"Dakar"})) is None
    # closures do not leak into the open-network answer
    assert router.route("Dakar", "Bamako") == open_path


def test_route_cache_returns_the_same_object():
    router = router_of(smoke_dict())
    first = router.route("Abidjan", "Bamako")
    assert router.route("Abidjan", "Bamako") is first
    closed = router.route("Abidjan", "Bamako", closed_edges=_both("Sikasso", "Bougouni"))
    again = router.route("Abidjan", "Bamako", closed_edges=frozenset({("Bougouni", "Sikasso"),
                                                                     ("Sikasso", "Bougouni")}))
    assert again is closed
    assert closed != first
    assert math.isfinite(router.travel_time_h(closed))

"""Observed incidents: reading ACLED-style files, classifying events, placing them on the network."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from corridorsim.errors import CorridorSimError, ScenarioError
from corridorsim.observed.incident_file import IncidentDataError, read_incidents
from corridorsim.observed.incident_kinds import classify
from corridorsim.observed.incident_matching import match_to_network
from corridorsim.observed.incidents import format_incident_table, incident_table, write_table_csv
from corridorsim.scenario.geo import great_circle_km
from corridorsim.scenario.loading import load_scenario
from corridorsim.scenario.network import build_network
from corridorsim.viz.incident_map import plot_incident_map

from ..conftest import SCENARIOS

BLOCKADE = SCENARIOS / "mali_blockade_2025.yaml"
SHIPPED = SCENARIOS / "data" / "incidents_2025-09_2025-10.csv"

HEADER = ("event_id_cnty,event_date,event_type,sub_event_type,actor1,admin1,location,latitude,"
          "longitude,geo_precision,fatalities,notes")


@pytest.fixture(scope="module")
def graph():
    return build_network(load_scenario(BLOCKADE))


def _write(tmp_path, *rows: str, header: str = HEADER):
    path = tmp_path / "events.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _events(*points, precision=1):
    """Events at (lat, lon) points, all of one geo precision."""
    return pd.DataFrame({
        "event_id": [f"E{i}" for i in range(len(points))],
        "latitude": [p[0] for p in points],
        "longitude": [p[1] for p in points],
        "geo_precision": [precision] * len(points),
    })


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def test_valid_file_parses(tmp_path):
    path = _write(
        tmp_path,
        'MLI1,2025-09-13,Battles,Armed clash,JNIM,Koulikoro,Didieni,13.7264,-8.057,2,3,'
        '"convoy attacked, escort returned fire"',
        "MLI2,2025-09-14,Explosions/Remote violence,Remote explosive/landmine/IED,JNIM,Kayes,"
        "Diema,14.48,-9.036,1,0,IED on the road",
    )
    df = read_incidents(path)
    assert list(df["event_id"]) == ["MLI1", "MLI2"]
    assert df["event_date"].tolist() == [pd.Timestamp("2025-09-13"), pd.Timestamp("2025-09-14")]
    assert df["latitude"].tolist() == [13.7264, 14.48]
    assert df["geo_precision"].tolist() == [2, 1]
    assert df["fatalities"].tolist() == [3.0, 0.0]
    assert df["notes"].iloc[0] == "convoy attacked, escort returned fire"
    assert df["line"].tolist() == [2, 3]


def test_acled_date_formats(tmp_path):
    path = _write(
        tmp_path,
        "A1,01 September 2025,Battles,Armed clash,X,K,L,14,-9,1,0,",
        "A2,2025-09-02,Battles,Armed clash,X,K,L,14,-9,1,0,",
        "A3,3 Sep 2025,Battles,Armed clash,X,K,L,14,-9,1,0,",
        "A4,04-Sep-2025,Battles,Armed clash,X,K,L,14,-9,1,0,",
        "A5,2025-09-05T14:30,Battles,Armed clash,X,K,L,14,-9,1,0,",
    )
    df = read_incidents(path)
    assert df["event_date"].dt.day.tolist() == [1, 2, 3, 4, 5]
    assert (df["event_date"].dt.month == 9).all()


def test_event_id_column_and_optional_columns(tmp_path):
    path = _write(tmp_path, "X1,2025-10-01,Battles,14.5,-9.5",
                  header="event_id,event_date,event_type,latitude,longitude")
    df = read_incidents(path)
    assert df["event_id"].tolist() == ["X1"]
    assert df["geo_precision"].tolist() == [1]  # absent column: town-level
    assert math.isnan(df["fatalities"].iloc[0])


def test_bad_rows_are_reported_with_their_line_numbers(tmp_path):
    path = _write(
        tmp_path,
        "B1,2025-09-01,Battles,Armed clash,X,K,L,14,-9,1,0,ok",          # line 2
        "B2,2025-09-01,Battles,Armed clash,X,K,L,abc,-9,1,0,",           # line 3
        "B3,2025-09-01,Battles,Armed clash,X,K,L,14,200,1,0,",           # line 4
        "B4,2025-09-01,Battles,Armed clash,X,K,L,14,-9,4,0,",            # line 5
        "B5,2025-09-01,Battles,Armed clash,X,K,L,14,-9,1,many,",         # line 6
        "B6,yesterday,Battles,Armed clash,X,K,L,14,-9,1,0,",             # line 7
        "B7,2025-09-01,Battles,Armed clash,X,K,L,,-9,1,0,",              # line 8
        "B1,2025-09-01,Battles,Armed clash,X,K,L,14,-9,1,0,",            # line 9: duplicate id
        "B8,2025-09-01,Battles,Armed clash,X,K,L,14,-9,1,0",             # line 10: 11 fields
    )
    with pytest.raises(IncidentDataError) as info:
        read_incidents(path)
    err = info.value
    assert isinstance(err, ScenarioError) and isinstance(err, CorridorSimError)
    assert err.problems == [
        "line 3: latitude 'abc' is not a number",
        "line 4: longitude 200 is out of range [-180, 180]",
        "line 5: geo_precision '4' is not 1, 2 or 3",
        "line 6: fatalities 'many' is not a number",
        "line 7: event_date 'yesterday' is not a date (expected e.g. 2025-09-03 or 03 September 2025)",
        "line 8: latitude is missing",
        "line 9: duplicate event id 'B1' (first on line 2)",
        "line 10: expected 12 fields, got 11",
    ]
    assert err.file == str(path)
    assert "8 bad rows: line 3: latitude 'abc' is not a number; line 4:" in err.line()

    table, problems = read_incidents(path, on_error="report")
    assert problems == err.problems
    assert table["event_id"].tolist() == ["B1"]  # the good row only


def test_line_numbers_count_multiline_fields(tmp_path):
    path = _write(
        tmp_path,
        'C1,2025-09-01,Battles,Armed clash,X,K,L,14,-9,1,0,"first line\nsecond line"',  # lines 2-3
        "C2,2025-09-01,Battles,Armed clash,X,K,L,14,-9,3.5,0,",                          # line 4
    )
    _, problems = read_incidents(path, on_error="report")
    assert problems == ["line 4: geo_precision '3.5' is not 1, 2 or 3"]


def test_missing_columns_and_files(tmp_path):
    path = _write(tmp_path, "1,2025-09-01,14", header="event_id,event_date,latitude")
    with pytest.raises(ScenarioError, match="missing column.*event_type, longitude"):
        read_incidents(path)
    with pytest.raises(ScenarioError, match="not found"):
        read_incidents(tmp_path / "nope.csv")
    with pytest.raises(ValueError):
        read_incidents(path, on_error="ignore")


def test_shipped_incidents_parse_and_classify():
    df = classify(read_incidents(SHIPPED))
    assert len(df) == 13
    kinds = dict(zip(df["event_id"], df["attack_kind"]))
    assert kinds["CS012"] == "ied"
    assert kinds["CS008"] == "ied"
    assert kinds["CS007"] == "ambush"
    assert kinds["CS013"] == "ambush"
    assert kinds["CS001"] == "closure"  # blockade announcement
    assert kinds["CS003"] == "closure"  # road blocked
    assert kinds["CS010"] == "closure"  # outpost overtaken
    cs007 = df.set_index("event_id").loc["CS007"]
    assert cs007["tankers_destroyed"] == 40 and cs007["convoy_size"] == 100
    assert bool(cs007["escorted"]) is True
    assert df["event_date"].min() == pd.Timestamp("2025-09-03")


def test_classify_rules():
    df = pd.DataFrame({
        "event_type": ["Explosions/Remote violence", "Explosions/Remote violence", "Battles",
                       "Battles", "Violence against civilians", "Strategic developments",
                       "Strategic developments", "Protests"],
        "sub_event_type": ["Remote explosive/landmine/IED", "Air/drone strike", "Armed clash",
                           "Armed clash", "Looting/property destruction", "Other", "Other",
                           "Peaceful protest"],
        "notes": ["", "drone strike on a camp", "fuel convoy ambushed near X",
                  "clashes at the army base", "trucks torched", "JNIM declares a blockade",
                  "new governor appointed", "drivers protest"],
    })
    assert classify(df)["attack_kind"].tolist() == [
        "ied", "other", "ambush", "other", "ambush", "closure", "other", "other"]
    loose = classify(df, require_road_context=False)["attack_kind"].tolist()
    assert loose[3] == "ambush"


# --------------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------------


def _node(graph, name):
    return graph.nodes[name]["lat"], graph.nodes[name]["lon"]


def test_event_at_edge_midpoint_matches_that_edge(graph):
    (la1, lo1), (la2, lo2) = _node(graph, "Kolondieba"), _node(graph, "Kadiana")
    m = match_to_network(_events(((la1 + la2) / 2, (lo1 + lo2) / 2)), graph).iloc[0]
    assert (m["edge_from"], m["edge_to"]) == ("Kadiana", "Kolondieba")
    assert m["corridor"] == "B-west" and m["region"] == "ML"
    assert m["share_along"] == pytest.approx(0.5, abs=0.01)
    assert m["distance_km"] == pytest.approx(0.0, abs=0.5)
    assert m["matched"] and m["match_level"] == "edge"


def test_distance_is_great_circle_to_the_foot_point(graph):
    # 30 km north of the midpoint of the (east-west) Kayes-Sandare edge, in a 50 km buffer
    (la1, lo1), (la2, lo2) = _node(graph, "Kayes"), _node(graph, "Sandare")
    lat, lon = (la1 + la2) / 2, (lo1 + lo2) / 2
    north = lat + 30.0 / 111.2
    m = match_to_network(_events((north, lon)), graph, buffer_km=50).iloc[0]
    assert (m["edge_from"], m["edge_to"]) == ("Kayes", "Sandare")
    # the edge is not exactly east-west, so the foot point is not straight south: <= 30 km
    assert 25.0 < m["distance_km"] <= great_circle_km(north, lon, lat, lon) + 0.01


def test_event_far_from_roads_is_unmatched(graph):
    m = match_to_network(_events((17.5, -7.0)), graph).iloc[0]  # desert north of Segou
    assert m["match_level"] == "unmatched" and not m["matched"]
    assert pd.isna(m["edge_from"]) and pd.isna(m["corridor"]) and pd.isna(m["region"])
    assert m["distance_km"] > 100


def test_precision_two_uses_a_larger_buffer(graph):
    (la1, lo1), (la2, lo2) = _node(graph, "Kayes"), _node(graph, "Sandare")
    point = ((la1 + la2) / 2 + 40.0 / 111.2, (lo1 + lo2) / 2)  # ~40 km off the road
    assert match_to_network(_events(point, precision=1), graph)["match_level"].iloc[0] == "unmatched"
    m = match_to_network(_events(point, precision=2), graph).iloc[0]
    assert m["match_level"] == "edge" and m["buffer_km"] == 50.0


def test_precision_three_events_are_region_level(graph):
    m = match_to_network(_events(_node(graph, "Sikasso"), precision=3), graph).iloc[0]
    assert m["match_level"] == "region" and not m["matched"]
    assert m["region"] == "ML" and pd.isna(m["edge_from"])
    assert m["nearest_node"] == "Sikasso"
    given = _events(_node(graph, "Sikasso"), precision=3).assign(region="Sikasso-region")
    assert match_to_network(given, graph)["region"].iloc[0] == "Sikasso-region"


def test_ties_at_a_junction_follow_the_edge_weight(graph):
    at_sikasso = _events(_node(graph, "Sikasso"))
    m = match_to_network(at_sikasso, graph).iloc[0]
    assert m["tied_edges"] == 3  # Bougouni, Koutiala and Loulouni roads meet there
    assert (m["edge_from"], m["edge_to"]) == ("Bougouni", "Sikasso")  # alphabetical first
    heavy = {("Koutiala", "Sikasso"): 10.0, ("Bougouni", "Sikasso"): 1.0}
    m = match_to_network(at_sikasso, graph, edge_weight=heavy).iloc[0]
    assert (m["edge_from"], m["edge_to"]) == ("Koutiala", "Sikasso")


def test_shipped_incidents_on_the_blockade_network(graph):
    m = match_to_network(classify(read_incidents(SHIPPED)), graph).set_index("event_id")
    cs007 = m.loc["CS007"]  # between Kaniera and Lakamane
    assert cs007["matched"] and cs007["corridor"] == "A"
    assert "Lakamane" in (cs007["edge_from"], cs007["edge_to"])
    cs013 = m.loc["CS013"]  # between Kolondieba and Kadiana
    assert (cs013["edge_from"], cs013["edge_to"]) == ("Kadiana", "Kolondieba")
    assert cs013["corridor"] == "B-west"
    assert cs013["share_along"] == pytest.approx(0.5, abs=0.01)
    assert m.loc["CS001", "match_level"] == "region"
    assert m.loc["CS004", "match_level"] == "region" and m.loc["CS004", "region"] == "ML"
    assert m.loc["CS012", "corridor"] == "D-north"


def test_incident_table_and_outputs(tmp_path):
    table = incident_table(None, BLOCKADE)  # the scenario's observations.incidents_csv
    assert len(table) == 13 and "attack_kind" in table and "match_level" in table
    text = format_incident_table(table)
    assert "CS013" in text and "Kadiana-Kolondieba" in text
    assert text.splitlines()[-1].startswith("13 events:")
    out = write_table_csv(table, tmp_path / "sub" / "matched.csv")
    back = pd.read_csv(out)
    assert len(back) == 13 and back["event_date"].iloc[0] == "2025-09-03"
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["matched.csv"]


def test_incident_map_is_written(tmp_path, graph):
    table = match_to_network(classify(read_incidents(SHIPPED)), graph)
    out = plot_incident_map(table, graph, tmp_path / "map.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["map.png"]

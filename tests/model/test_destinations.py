"""Several destinations: lots leave the convoy where their route parts, stocks kept apart.

Route Zegoua - Sikasso (110 km) - Bougouni - Bamako (375 km) at 10 km/h; Segou's route parts at
Sikasso: Koutiala (140) - Bla (80) - Segou (85) = 305 km.
"""

from __future__ import annotations

import pytest

from corridorsim.errors import CorridorSimError
from corridorsim.model.engine import run_replication
from corridorsim.scenario.documents import scenario_from_dict, scenario_to_dict

from ..conftest import make_dict, make_plan

TWO = {"destination": None,
       "destinations": [{"node": "Bamako", "demand_l_per_day": 0},
                        {"node": "Segou", "priority": 2, "demand_l_per_day": 0}]}


def _plan(**extra):
    return make_plan(**TWO, convoys=[], end="2025-09-04", staging=[
        {"node": "Zegoua", "min_tankers": 10, "escort_policy": "none"}], sources=[
        {"name": "s", "node": "Zegoua", "staging": "Zegoua", "tankers_per_day": 10,
         "payload_l": 1000, "shares": {"Bamako": 0.6, "Segou": 0.4}}], **extra)


def test_lots_leave_where_their_route_parts_exact_trace():
    rec = run_replication(_plan(), 1, 0)
    first = [(e.kind, e.node, e.time_h, e.tankers, e.detail) for e in rec.events
             if e.convoy_id in (2, 3)]  # the first convoy (id 2) and its Segou lot (id 3)
    assert first == [
        ("departure", "Zegoua", 0.0, 10, ""),
        ("hand_off", "Sikasso", 11.0, 4, "Segou"),
        ("delivery", "Segou", 41.5, 4, ""),
        ("delivery", "Bamako", 48.5, 6, ""),
    ]
    convoy = next(c for c in rec.convoys if c.convoy_id == 2)
    assert (convoy.tankers_start, convoy.tankers_end, convoy.tankers_handed_off) == (10, 6, 4)
    lot = next(c for c in rec.convoys if c.convoy_id == 3)
    assert (lot.kind, lot.origin, lot.target, lot.outcome) == ("lot", "Sikasso", "Segou", "delivered")


def test_named_drop_node_holds_lots_until_the_depot():
    plan = make_plan(**{**TWO, "destinations": [TWO["destinations"][0],
                                                {**TWO["destinations"][1], "drop_node": "Bamako"}]},
                     convoys=[], end="2025-09-04",
                     staging=[{"node": "Zegoua", "min_tankers": 10, "escort_policy": "none"}],
                     sources=[{"name": "s", "node": "Zegoua", "staging": "Zegoua",
                               "tankers_per_day": 10, "payload_l": 1000,
                               "shares": {"Bamako": 0.6, "Segou": 0.4}}])
    rec = run_replication(plan, 1, 0)
    offs = [(e.node, e.time_h) for e in rec.events if e.kind == "hand_off" and e.convoy_id == 2]
    assert offs == [("Bamako", 48.5)]


def test_daily_and_destination_tables_have_a_row_per_destination():
    rec = run_replication(_plan(), 1, 0)
    assert [(d.day, d.destination) for d in rec.daily] == [
        (0, "Bamako"), (0, "Segou"), (1, "Bamako"), (1, "Segou"), (2, "Bamako"), (2, "Segou")]
    by = {r.destination: r for r in rec.destinations}
    # Bamako gets the 0-h convoy's 6 (the 24-h one arrives at 72.5 h, after the end); Segou
    # the 4 of the 0-h and of the 24-h convoy (65.5 h)
    assert (by["Bamako"].tankers_delivered, by["Segou"].tankers_delivered) == (6, 8)
    assert rec.summary.tankers_delivered == 14


def test_shares_split_releases_by_cumulative_deficit():
    from corridorsim.model.entities import split_by_shares

    assigned = [0, 0, 0]
    got = [split_by_shares(1, [0.5, 0.3, 0.2], assigned) for _ in range(10)]
    assert assigned == [5, 3, 2]
    assert sum(x[0] for x in got[:2]) == 1


def test_shares_must_name_destinations_and_sum_to_one():
    with pytest.raises(CorridorSimError, match="Timbuktu"):
        scenario_from_dict(make_dict(**TWO, sources=[{"name": "s", "node": "Zegoua",
                                                      "shares": {"Timbuktu": 1.0}}]))
    with pytest.raises(CorridorSimError, match="sum to 1"):
        scenario_from_dict(make_dict(**TWO, sources=[{"name": "s", "node": "Zegoua",
                                                      "shares": {"Bamako": 0.5}}]))


def test_focus_fills_destination_and_the_dump_loads_again():
    sc = scenario_from_dict(make_dict(**TWO, focus="Segou"))
    assert sc.destination.node == "Segou" and len(sc.destinations) == 2
    again = scenario_from_dict(scenario_to_dict(sc))
    assert again == sc

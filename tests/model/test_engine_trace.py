"""Exact traces of deterministic cases (threats off): times follow from km / speed and waits.

Route used throughout: Zegoua - Kadiolo (15 km) - Loulouni (45) - Sikasso (50) - Bougouni (215)
- Sanankoroba (125) - Bamako (35) = 485 km, at 10 km/h = 48.5 h. The detour from Sikasso via
Koutiala (140) - Bla (80) - Segou (85) - Fana (110) - Bamako (125) is 540 km.
"""

from __future__ import annotations

import math

import pytest

from corridorsim.model.engine import Replication, run_replication

from ..conftest import make_plan

ROUTE = "Zegoua>Kadiolo>Loulouni>Sikasso>Bougouni>Sanankoroba>Bamako"


def convoys(rec):
    """Convoy rows as dicts keyed by column name."""
    return [row._asdict() for row in rec.convoys]


def trace(rec, kinds=("departure", "delivery", "closure", "reopening", "turn_back")):
    """(kind, time_h, node, convoy, tankers, litres) of the events of interest."""
    return [(e.kind, e.time_h, e.node, e.convoy, e.tankers, e.litres)
            for e in rec.events if e.kind in kinds]


def test_single_convoy_arrives_after_length_over_speed():
    rec = run_replication(make_plan(), seed=1, replication=0)
    assert trace(rec) == [
        ("departure", 0.0, "Zegoua", "c1", 10, 10_000),
        ("delivery", 48.5, "Bamako", "c1", 10, 10_000),
    ]
    (row,) = convoys(rec)
    assert row["route"] == ROUTE
    assert row["outcome"] == "delivered"


def test_checkpoint_fixed_delay_adds_to_arrival():
    plan = make_plan(checkpoints=[{"node": "Sikasso", "fixed_delay_h": 6}])
    rec = run_replication(plan, 1, 0)
    assert trace(rec)[-1] == ("delivery", 54.5, "Bamako", "c1", 10, 10_000)


def test_edge_speed_override_changes_arrival():
    plan = make_plan(network={"edge_overrides": [{"from": "Sikasso", "to": "Bougouni", "speed_kmh": 43}]})
    rec = run_replication(plan, 1, 0)
    # 215 km at 43 km/h = 5 h instead of 21.5 h
    assert trace(rec)[-1][1] == pytest.approx(48.5 - 21.5 + 5.0, abs=1e-9)


def test_escort_deploys_from_base_and_is_reused_after_returning():
    plan = make_plan(
        escorts={"bases": [{"name": "bgn", "node": "Bougouni", "units": 1}]},
        checkpoints=[{"node": "Sikasso", "fixed_delay_h": 6}],
        convoys=[
            {"name": "c1", "depart": "2025-09-01", "origin": "Zegoua", "tankers": 10,
             "payload_l": 1000, "escort_units": 1, "escort_base": "bgn"},
            {"name": "c2", "depart": "2025-09-03T02:00", "origin": "Zegoua", "tankers": 5,
             "payload_l": 1000, "escort_units": 1, "escort_base": "bgn"},
        ],
    )
    rec = run_replication(plan, 1, 0)
    # deploy Bougouni -> Zegoua: 215+50+45+15 = 325 km = 32.5 h; trip 48.5 h + 6 h checkpoint.
    # Escort back Bamako -> Bougouni: 160 km = 16 h -> free at 103 h; c2 leaves at 135.5 h.
    assert trace(rec) == [
        ("departure", 32.5, "Zegoua", "c1", 10, 10_000),
        ("delivery", 87.0, "Bamako", "c1", 10, 10_000),
        ("departure", 135.5, "Zegoua", "c2", 5, 5_000),
        ("delivery", 190.0, "Bamako", "c2", 5, 5_000),
    ]
    waits = {row["convoy"]: row["escort_wait_h"] for row in convoys(rec)}
    assert waits == {"c1": 32.5, "c2": pytest.approx(135.5 - 50.0)}


def test_staging_forms_convoy_at_min_size():
    plan = make_plan(
        convoys=[],
        sources=[{"name": "s", "node": "Zegoua", "staging": "Zegoua", "tankers_per_day": 10,
                  "payload_l": 1000}],
        staging=[{"node": "Zegoua", "min_tankers": 25, "max_tankers": 25, "max_wait_h": 1000,
                  "escort_policy": "none"}],
        end="2025-09-06",
    )
    rec = run_replication(plan, 1, 0)
    deps = [(t, n) for kind, t, _node, _c, n, _l in trace(rec) if kind == "departure"]
    # 10 at 0 h, 24 h, 48 h -> 25 leave at 48 h, 5 wait; +10 at 72 h, +10 at 96 h -> 25 at 96 h
    assert deps == [(48.0, 25), (96.0, 25)]


def test_staging_max_wait_releases_a_small_convoy():
    plan = make_plan(
        convoys=[],
        sources=[{"name": "s", "node": "Zegoua", "staging": "Zegoua", "tankers_per_day": 10,
                  "payload_l": 1000}],
        staging=[{"node": "Zegoua", "min_tankers": 25, "max_wait_h": 30, "escort_policy": "none"}],
        end="2025-09-05",
    )
    rec = run_replication(plan, 1, 0)
    deps = [(t, n) for kind, t, _node, _c, n, _l in trace(rec) if kind == "departure"]
    # first lot arrives at 0 h: at 30 h only 20 wait -> they leave; next 10 at 48 h wait until 78 h
    assert deps == [(30.0, 20), (78.0, 20)]


def test_daily_stock_with_rationing_exact():
    plan = make_plan(destination={"initial_stock_l": 5000, "demand_l_per_day": 2000,
                                  "rationing": [{"below_cover_days": 2, "demand_cut_share": 0.5}]},
                     end="2025-09-06")
    rec = run_replication(plan, 1, 0)
    got = [(r.day, r.delivered_l, r.stock_l, r.demand_l, r.consumed_l, r.rationed_share)
           for r in rec.daily]
    # (day, delivered, stock at end, demand, consumed, rationed share). Fluid stock: 2000 L/day
    # drains 5000 to 4000 (cover 2 days) by 12 h, then the tier halves the rate: 500 more by
    # 24 h. At 48.5 h, after 20.833 L more, 10 000 L arrive: cover > 2, full rate again.
    assert got == [
        (0, 0, 3500.0, 1500.0, 1500.0, 0.25),
        (1, 0, 2500.0, 1000.0, 1000.0, 0.5),
        (2, 10_000, 10_520.833, 1979.167, 1979.167, 0.010417),
        (3, 0, 8520.833, 2000.0, 2000.0, 0.0),
        (4, 0, 6520.833, 2000.0, 2000.0, 0.0),
    ]


def test_demand_drains_the_stock_continuously_between_deliveries():
    # empty stock, 2000 L/day: the first 48.5 h go unmet; the 10 000 L delivered at 48.5 h then
    # serve the rest of day 2 (23.5 h x 2000/24 = 1958.333 L). Taken once a day at midnight,
    # day 2's demand would be met in full.
    plan = make_plan(destination={"initial_stock_l": 0, "demand_l_per_day": 2000}, end="2025-09-04")
    rec = run_replication(plan, 1, 0)
    day2 = rec.daily[2]
    assert (day2.consumed_l, day2.unmet_l, day2.stock_l) == (1958.333, 41.667, 8041.667)
    assert rec.summary.unmet_l == pytest.approx(2000 + 2000 + 41.667, abs=1e-3)


def test_capacity_overflow_is_recorded_not_lost():
    plan = make_plan(destination={"initial_stock_l": 0, "capacity_l": 4000, "demand_l_per_day": 0},
                     end="2025-09-04")
    rec = run_replication(plan, 1, 0)
    day2 = rec.daily[2]
    assert (day2.delivered_l, day2.stock_l, day2.overflow_l) == (10_000, 4000.0, 6000.0)


def test_closure_before_departure_reroutes():
    plan = make_plan(
        convoys=[{"name": "c1", "depart": "2025-09-01T01:00", "origin": "Zegoua", "tankers": 10,
                  "payload_l": 1000}],
        closures={"scheduled": [{"edge": ["Sikasso", "Bougouni"], "start": "2025-09-01"}]},
    )
    rec = run_replication(plan, 1, 0)
    assert trace(rec, ("delivery",)) == [("delivery", 1.0 + 65.0, "Bamako", "c1", 10, 10_000)]
    assert convoys(rec)[0]["route"] == "Zegoua>Kadiolo>Loulouni>Sikasso>Koutiala>Bla>Segou>Fana>Bamako"


def test_closed_destination_makes_convoy_wait_for_reopening():
    plan = make_plan(
        convoys=[{"name": "c1", "depart": "2025-09-01T01:00", "origin": "Zegoua", "tankers": 10,
                  "payload_l": 1000}],
        closures={"scheduled": [{"node": "Bamako", "start": "2025-09-01", "end": "2025-09-01T10:00"}]},
    )
    rec = run_replication(plan, 1, 0)
    assert trace(rec, ("closure", "reopening", "delivery"))[1:] == [
        ("reopening", 10.0, "Bamako", "", 0, 0),
        ("delivery", 58.5, "Bamako", "c1", 10, 10_000),
    ]


def test_closure_ahead_interrupts_convoy_which_retreats_and_reroutes():
    plan = make_plan(
        checkpoints=[{"node": "Sikasso"}],
        closures={"scheduled": [{"edge": ["Bougouni", "Sanankoroba"], "start": "2025-09-01T20:00"}]},
    )
    rec = run_replication(plan, 1, 0)
    # at 20 h the convoy is 90 km past Sikasso (reached at 11 h): 9 h back, then 540 km detour
    assert trace(rec, ("delivery",)) == [("delivery", 29.0 + 54.0, "Bamako", "c1", 10, 10_000)]
    assert convoys(rec)[0]["route"].endswith("Sikasso>Koutiala>Bla>Segou>Fana>Bamako")


def test_finite_fleet_limits_releases():
    plan = make_plan(
        convoys=[],
        sources=[{"name": "s", "node": "Zegoua", "tankers_per_day": 10, "payload_l": 1000,
                  "fleet_tankers": 10, "turnaround_h": 0}],
    )
    rep = Replication(plan, 1, 0)
    rec = rep.run()
    # out 0 h, delivered 48.5 h, back 97 h -> next release 120 h, delivered 168.5 h, back 217 h
    assert [(e.time_h, e.tankers) for e in rec.events if e.kind == "delivery"] == [(48.5, 10), (168.5, 10)]
    assert rec.summary.tankers_loaded == 20
    assert rep.fleet_ledger(0) == {"at_source": 10, "loaded": 0, "returning": 0, "destroyed": 0}


def test_threats_off_means_no_attacks_and_full_delivery():
    plan = make_plan(threats={"enabled": False, "rules": [{"ambush_rate_per_1000km": 50}]})
    rec = run_replication(plan, 1, 0)
    assert [e for e in rec.events if e.kind in ("ambush", "ied")] == []
    assert rec.summary.delivered_l == 10_000


def test_in_transit_convoy_at_horizon_is_reported():
    plan = make_plan(end="2025-09-02T12:00")  # 36 h < 48.5 h
    rec = run_replication(plan, 1, 0)
    (row,) = convoys(rec)
    assert row["outcome"] == "in_transit" and math.isnan(row["end_h"])
    assert rec.summary.in_transit_l == 10_000


def test_origin_via_list_holds_after_intermediate_stops():
    plan = make_plan(
        routing={"via": {"Diboli": ["Diema"]}},
        checkpoints=[{"node": "Kayes", "fixed_delay_h": 1}],
        convoys=[{"name": "c", "depart": "2025-09-01", "origin": "Diboli", "tankers": 1, "payload_l": 1}],
    )
    rec = run_replication(plan, 1, 0)
    assert convoys(rec)[0]["route"] == "Diboli>Kayes>Sandare>Lakamane>Diema>Diangounte_Camara>Didieni>Kolokani>Kati>Bamako"


def test_in_transit_convoy_reports_its_planned_corridor():
    plan = make_plan(end="2025-09-01T12:00", checkpoints=[{"node": "Sikasso"}])
    rec = run_replication(plan, 1, 0)
    (row,) = convoys(rec)
    assert row["outcome"] == "in_transit" and row["corridor"] == "B"


def test_closure_events_name_their_edge():
    plan = make_plan(closures={"scheduled": [{"edge": ["Sikasso", "Bougouni"], "start": "2025-09-02",
                                              "end": "2025-09-03"}]})
    rec = run_replication(plan, 1, 0)
    rows = [(e.kind, e.time_h, e.edge_from, e.edge_to) for e in rec.events
            if e.kind in ("closure", "reopening")]
    assert rows == [("closure", 24.0, "Sikasso", "Bougouni"), ("reopening", 48.0, "Sikasso", "Bougouni")]


def test_available_policy_does_not_queue_behind_waiting_convoys():
    plan = make_plan(
        escorts={"bases": [{"name": "z", "node": "Zegoua", "units": 1}]},
        convoys=[],
        sources=[{"name": "s", "node": "Zegoua", "staging": "Zegoua", "tankers_per_day": 10,
                  "payload_l": 1000}],
        staging=[{"node": "Zegoua", "min_tankers": 10, "escort_policy": "available",
                  "tankers_per_escort_unit": 10}],
        end="2025-09-04",
    )
    rec = run_replication(plan, 1, 0)
    # one unit: the day-0 convoy takes it; later convoys leave at once without escort
    got = [(r["depart_h"], r["escort_units"]) for r in convoys(rec) if r["kind"] == "convoy"]
    assert got == [(0.0, 1), (24.0, 0), (48.0, 0)]

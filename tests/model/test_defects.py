"""The eight engine defects found in review, each pinned by a test that failed before its fix.

Route as in test_engine_trace.py: Zegoua - Kadiolo (15 km) - Loulouni (45) - Sikasso (50) -
Bougouni (215) - Sanankoroba (125) - Bamako (35) = 485 km at 10 km/h.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from corridorsim.errors import ScenarioError
from corridorsim.model.engine import Replication, run_replication
from corridorsim.model.threats import draw_ambush, draw_ied
from corridorsim.scenario.documents import scenario_from_dict

from ..conftest import make_dict, make_plan


def _kinds(rec, *kinds):
    return [e for e in rec.events if e.kind in kinds]


# 1 ------------------------------------------------------------------------------------------
def test_lot_arriving_a_few_ulp_after_the_deadline_leaves_with_the_convoy():
    # releases every 0.1 h reach the staging point at 0, 0.1, 0.2 and 0.1 * 3 =
    # 0.30000000000000004 h; the deadline is 0 + 0.3 h. All four leave together (tie rule).
    plan = make_plan(
        convoys=[], end="2025-09-01T06:00",
        sources=[{"name": "s", "node": "Zegoua", "staging": "Zegoua", "tankers_per_day": 240,
                  "release_interval_h": 0.1, "payload_l": 1000}],
        staging=[{"node": "Zegoua", "min_tankers": 100, "max_wait_h": 0.3, "escort_policy": "none"}],
    )
    rec = run_replication(plan, 1, 0)
    first = next(e for e in rec.events if e.kind == "departure")
    assert (first.time_h, first.tankers) == (0.3, 4)


# 2 ------------------------------------------------------------------------------------------
def _harmless(rate: float) -> dict:
    return {"enabled": True, "rules": [{"ambush_rate_per_1000km": rate}],
            "ambush": {"loss_share_mean": 0.0, "delay": {"dist": "fixed", "mean_h": 0},
                       "turn_back_prob": 0.0, "escort_unit_loss_prob": 0.0},
            "ied": {"tankers_destroyed_mean": 0.0}}


def _mean_ambushes(plan, reps: int) -> tuple[float, float]:
    counts = []
    for r in range(reps):
        rec = run_replication(plan, seed=3, replication=r)
        per = {c.convoy_id: 0 for c in rec.convoys}
        for e in _kinds(rec, "ambush"):
            per[e.convoy_id] += 1
        counts.extend(per.values())
    x = np.array(counts, dtype=float)
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(len(x)))


def test_phase_starting_mid_edge_takes_effect_mid_edge():
    # 0.5 ambushes per 1000 km; a x10 phase starts at 12 h, 1 h into the 215-km Sikasso-Bougouni
    # edge (entered at 11 h). Exact mean: 0.5/1000 * (120 km + 10 * 365 km) = 1.885 (rates as at
    # the edge's entry would give 0.5/1000 * (325 + 10 * 160) = 0.9625).
    threats = _harmless(0.5)
    threats["phases"] = [{"name": "x10", "start": "2025-09-01T12:00", "ambush_multiplier": 10}]
    convoys = [{"name": f"c{i}", "depart": "2025-09-01", "origin": "Zegoua", "tankers": 10,
                "payload_l": 1000} for i in range(200)]
    plan = make_plan(convoys=convoys, threats=threats)
    mean, se = _mean_ambushes(plan, 5)
    assert abs(mean - 1.885) <= 4 * se


def test_hazard_is_exact_when_rates_change_between_edges_and_mid_trip():
    # base 0.5 / 1000 km, 3 / 1000 km on Bougouni-Sanankoroba (125 km), x10 from 12 h:
    # 0.5e-3 * 120 + 0.5e-3 * 10 * 240 + 3e-3 * 10 * 125 = 0.06 + 1.2 + 3.75 = 5.01
    threats = _harmless(0.5)
    threats["rules"].append({"edges": [["Bougouni", "Sanankoroba"]], "ambush_rate_per_1000km": 3})
    threats["phases"] = [{"name": "x10", "start": "2025-09-01T12:00", "ambush_multiplier": 10}]
    convoys = [{"name": f"c{i}", "depart": "2025-09-01", "origin": "Zegoua", "tankers": 10,
                "payload_l": 1000} for i in range(200)]
    mean, se = _mean_ambushes(make_plan(convoys=convoys, threats=threats), 3)
    assert abs(mean - 5.01) <= 4 * se


# 3 ------------------------------------------------------------------------------------------
def test_convoy_still_waiting_for_its_escort_reports_a_censored_wait():
    plan = make_plan(
        escorts={"bases": [{"name": "z", "node": "Zegoua", "units": 1}]},
        convoys=[{"name": "first", "depart": "2025-09-01", "origin": "Zegoua", "tankers": 1,
                  "payload_l": 1, "escort_base": "z", "escort_units": 1},
                 {"name": "second", "depart": "2025-09-01T10:00", "origin": "Zegoua", "tankers": 1,
                  "payload_l": 1, "escort_base": "z", "escort_units": 1}],
        end="2025-09-03",  # 48 h: the escort is back only at 97 h
    )
    rec = run_replication(plan, 1, 0)
    row = next(c for c in rec.convoys if c.convoy == "second")
    assert row.outcome == "in_transit" and row.escort_wait_censored
    assert row.escort_wait_h == pytest.approx(38.0)
    assert rec.summary.censored_escort_waits == 1
    assert rec.summary.mean_escort_wait_h == pytest.approx((0.0 + 38.0) / 2)


# 4 ------------------------------------------------------------------------------------------
def test_escort_request_is_capped_at_units_in_service():
    threats = _harmless(0.0)
    threats["rules"] = [{"edges": [["Zegoua", "Kadiolo"]], "ambush_rate_per_1000km": 1e6}]
    threats["phases"] = [{"name": "calm", "start": "2025-09-01T00:30", "ambush_multiplier": 0}]
    threats["ambush"]["escort_unit_loss_prob"] = 1.0
    plan = make_plan(
        escorts={"bases": [{"name": "z", "node": "Zegoua", "units": 2,
                            "replacement_delay_h": 720}]},
        convoys=[{"name": "first", "depart": "2025-09-01", "origin": "Zegoua", "tankers": 1,
                  "payload_l": 1, "escort_base": "z", "escort_units": 2},
                 {"name": "second", "depart": "2025-09-02", "origin": "Zegoua", "tankers": 1,
                  "payload_l": 1, "escort_base": "z", "escort_units": 2}],
        threats=threats,
    )
    rep = Replication(plan, 1, 0)
    rec = rep.run()
    first, second = sorted(rec.convoys, key=lambda c: c.convoy_id)
    assert first.escort_units_lost == 2
    # both units lost, none in service until 720 h: the second convoy does not wait for them
    assert (second.depart_h, second.escort_units, second.outcome) == (24.0, 0, "delivered")
    assert rep.escort_ledger(0) == {"pool": 0, "with_convoys": 0, "returning": 0,
                                    "lost_awaiting_replacement": 2}


# 5: see test_engine_trace.py::test_demand_drains_the_stock_continuously_between_deliveries
# and ::test_daily_stock_with_rationing_exact (fluid stock).

# 6 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("draw", [draw_ambush, draw_ied])
def test_attack_outcomes_use_the_same_draws_whatever_the_escort(draw):
    sc = make_plan().scenario
    after = []
    for units in (0, 1, 7):
        rng = np.random.default_rng(5)
        draw(rng, sc, 30, units)
        after.append(rng.random())
    assert after[0] == after[1] == after[2]


def test_one_source_rate_does_not_change_another_sources_releases():
    def releases(rate_a: float) -> list[tuple[float, int]]:
        plan = make_plan(convoys=[], end="2025-09-06", sources=[
            {"name": "a", "node": "Zegoua", "tankers_per_day": rate_a, "release": "poisson",
             "payload_l": 1},
            {"name": "b", "node": "Zegoua", "tankers_per_day": 5, "release": "poisson",
             "payload_l": 1}])
        rec = run_replication(plan, 4, 2)
        return [(c.formed_h, c.tankers_start) for c in rec.convoys if c.source == "b"]

    assert releases(3.0) == releases(11.0)


# 7 ------------------------------------------------------------------------------------------
def test_escort_base_that_cannot_reach_its_staging_point_is_rejected():
    data = make_dict(
        network={"add_nodes": [{"name": "Island", "lat": 12.0, "lon": -8.0}]},
        escorts={"bases": [{"name": "far", "node": "Island", "units": 2}]},
        staging=[{"node": "Zegoua", "escort_base": "far"}],
    )
    from corridorsim.model.plan import compile_scenario

    with pytest.raises(ScenarioError) as exc:
        compile_scenario(scenario_from_dict(data))
    assert exc.value.path == "staging[0].escort_base"


# 8 ------------------------------------------------------------------------------------------
def _turn_back_plan(rule: str):
    threats = _harmless(0.0)
    # a certain ambush within metres of Bougouni; calm one second later (no attack on the way back)
    threats["rules"] = [{"edges": [["Bougouni", "Sanankoroba"]], "ambush_rate_per_1000km": 1e8}]
    threats["phases"] = [{"name": "calm", "start": "2025-09-02T08:30:01", "ambush_multiplier": 0}]
    # the attack costs 36 s, so the convoy sets off back in the calm (else it would meet the same
    # hazard over the same metres again)
    threats["ambush"].update(turn_back_prob=1.0, turn_back_to=rule,
                             delay={"dist": "fixed", "mean_h": 0.01})
    return make_plan(threats=threats, end="2025-09-09",
                     checkpoints=[{"node": "Sikasso"}, {"node": "Kolondieba"}])


def _trace(rec):
    return [(e.kind, e.node or f"{e.edge_from}-{e.edge_to}", round(e.time_h, 2)) for e in rec.events]


def test_turned_back_convoy_goes_to_the_nearest_stop_exact_trace():
    # at Bougouni (32.5 h) the convoy is ambushed a few metres into Bougouni-Sanankoroba and
    # turned back: Kolondieba (85 km) is nearer than Sikasso (215 km), the last stop passed.
    plan = _turn_back_plan("nearest_stop")
    rec = run_replication(plan, 1, 0)
    on = plan.static_time_h("Kolondieba", "Bamako")
    assert _trace(rec) == [
        ("departure", "Zegoua", 0.0),
        ("ambush", "Bougouni-Sanankoroba", 32.5),
        ("turn_back", "Kolondieba", 32.51),
        ("delivery", "Bamako", round(32.51 + 8.5 + 24.0 + on, 2)),
    ]
    (row,) = rec.convoys
    assert row.route.startswith("Zegoua>Kadiolo>Loulouni>Sikasso>Bougouni>Kolondieba>")
    assert row.turn_backs == 1


def test_turned_back_convoy_to_the_last_stop_exact_trace():
    rec = run_replication(_turn_back_plan("last_stop"), 1, 0)
    # back 215 km to Sikasso (54.01 h), regroup 24 h, then Sikasso - Bamako 37.5 h again
    assert _trace(rec) == [
        ("departure", "Zegoua", 0.0),
        ("ambush", "Bougouni-Sanankoroba", 32.5),
        ("turn_back", "Sikasso", 32.51),
        ("delivery", "Bamako", 115.51),
    ]


# attacks on standing convoys --------------------------------------------------------------
def test_attack_on_a_convoy_standing_at_a_checkpoint_exact_trace():
    threats = _harmless(0.0)
    threats["ambush"]["loss_share_mean"] = 1.0
    threats["stationary"] = {
        "rules": [{"node": "Sikasso", "attacks_per_day": 1e6}],
        "phases": [{"name": "calm", "start": "2025-09-01T11:01", "multiplier": 0}],
    }
    plan = make_plan(threats=threats, checkpoints=[{"node": "Sikasso", "fixed_delay_h": 10}])
    rec = run_replication(plan, 1, 0)
    assert _trace(rec) == [("departure", "Zegoua", 0.0), ("standing_attack", "Sikasso", 11.0)]
    (attack,) = _kinds(rec, "standing_attack")
    assert (attack.tankers, attack.tankers_destroyed, attack.litres_destroyed) == (10, 10, 10_000)
    (row,) = rec.convoys
    assert (row.outcome, row.tankers_destroyed, row.end_h) == ("destroyed", 10, pytest.approx(11.0, abs=1e-3))
    assert rec.summary.standing_attacks == 1


def test_standing_attack_rate_is_poisson_in_hours_with_phases():
    # 2 attacks/day at Sikasso, x3 in a phase covering the second half of a 24 h checkpoint wait:
    # expected attacks = 2/24 * 12 + 6/24 * 12 = 4 (outcomes harmless)
    threats = _harmless(0.0)
    threats["stationary"] = {"rules": [{"node": "Sikasso", "attacks_per_day": 2}],
                             "phases": [{"name": "p", "start": "2025-09-01T23:00", "multiplier": 3}]}
    convoys = [{"name": f"c{i}", "depart": "2025-09-01", "origin": "Zegoua", "tankers": 10,
                "payload_l": 1000} for i in range(200)]
    plan = make_plan(threats=threats, convoys=convoys,
                     checkpoints=[{"node": "Sikasso", "fixed_delay_h": 24}])
    counts = []
    for r in range(3):
        rec = run_replication(plan, 9, r)
        per = {c.convoy_id: 0 for c in rec.convoys}
        for e in _kinds(rec, "standing_attack"):
            per[e.convoy_id] += 1
        counts.extend(per.values())
    x = np.array(counts, dtype=float)
    assert abs(x.mean() - 4.0) <= 4 * x.std(ddof=1) / math.sqrt(len(x))

"""Feeder flows computed once per plan (:mod:`corridorsim.model.feeders`) and replayed.

The replay is a pure refactoring: a replication with fixed trips and release schedules gives
byte-for-byte the records of the same replication driven leg by leg by SimPy processes.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corridorsim.model import formation
from corridorsim.model.engine import run_replication
from corridorsim.model.feeders import fixed_trip, release_schedule
from corridorsim.model.hazard import free_leg_end_h, plan_stretch
from corridorsim.model.plan import Piece, compile_scenario
from corridorsim.scenario.documents import scenario_from_dict
from corridorsim.scenario.loading import load_scenario
from corridorsim.scenario.priors import apply_parameters

from ..conftest import SCENARIOS, make_plan, smoke_dict

BLOCKADE = SCENARIOS / "mali_blockade_2025.yaml"


def records(plan, reps=2, seed=5):
    return [run_replication(plan, seed, r) for r in range(reps)]


def rows(recs):
    """Every row of every table, as text (nan equals nan, and a float shows all its digits)."""
    return [repr((r.daily, r.events, r.convoys, r.destinations, r.summary)) for r in recs]


@pytest.fixture(scope="module")
def blockade():
    return compile_scenario(load_scenario(BLOCKADE))


def test_replayed_feeders_give_the_records_of_driving_leg_by_leg(blockade, monkeypatch):
    fast = rows(records(blockade))
    assert any(t is not None for t in blockade.fixed_trips.values())
    assert all(r is not None for r in blockade.releases.values())
    monkeypatch.setattr(formation, "plan_trip", lambda *a: None)
    monkeypatch.setattr(formation, "plan_releases", lambda *a: None)
    slow = rows(records(compile_scenario(blockade.scenario)))
    assert fast == slow


def test_batches_attacked_on_their_last_leg_are_driven_as_before(blockade, monkeypatch):
    # forty times the attack rates: batches are attacked on the few km before their staging point
    hot = compile_scenario(apply_parameters(blockade.scenario, {"threats.ambush_multiplier": 40,
                                                                "threats.ied_multiplier": 40}))
    fast = records(hot, reps=1)
    attacked = [r for r in fast[0].convoys if r.kind == "batch" and r.attacks]
    assert attacked
    monkeypatch.setattr(formation, "plan_trip", lambda *a: None)
    assert rows(fast) == rows(records(compile_scenario(hot.scenario), reps=1))


@pytest.mark.parametrize("rate", [0.5, 50.0])
def test_a_batch_whose_only_leg_can_be_attacked_is_driven_as_before(rate, monkeypatch):
    # Abidjan - Zegoua is one leg whose last edges lie in ML: integrated at release, and driven
    # by the process from the start when an attack comes (50 per 1000 km: most batches)
    plan = make_plan(
        end="2025-09-21", convoys=[],
        sources=[{"name": "abj", "node": "Abidjan", "staging": "Zegoua", "tankers_per_day": 10}],
        staging=[{"node": "Zegoua", "min_tankers": 10, "max_wait_h": 24}],
        threats={"enabled": True, "rules": [{"region": "ML", "ambush_rate_per_1000km": rate,
                                             "ied_rate_per_1000km": rate / 2}]})
    fast = records(plan, reps=3)
    trip = plan.fixed_trips[("Abidjan", "Zegoua", (), plan.threats.support)]
    assert trip.legs == () and trip.last and not trip.complete
    attacked = [r for rec in fast for r in rec.convoys if r.kind == "batch" and r.attacks]
    assert bool(attacked) == (rate > 1)
    assert all(r.route.startswith("Abidjan>Yamoussoukro>") for r in attacked)
    monkeypatch.setattr(formation, "plan_trip", lambda *a: None)
    assert rows(fast) == rows(records(compile_scenario(plan.scenario), reps=3))


def test_batches_still_on_the_road_at_the_horizon_keep_their_route_so_far(blockade, monkeypatch):
    # the last days' batches are replayed when the run ends: rows as if driven leg by leg
    (fast,) = records(blockade, reps=1)
    moving = [r for r in fast.convoys if r.kind == "batch" and r.outcome == "in_transit"]
    assert moving
    monkeypatch.setattr(formation, "plan_trip", lambda *a: None)
    (slow,) = records(compile_scenario(blockade.scenario), reps=1)
    assert moving == [r for r in slow.convoys if r.kind == "batch" and r.outcome == "in_transit"]


def test_fixed_trip_stops_at_the_first_leg_that_can_be_attacked(blockade):
    # Dakar - Diboli: hazard-free to Tambacounda (a junction stop), then Tambacounda - Kidira
    # free and the 3 km Kidira - Diboli edge in threat region ML
    trip = fixed_trip(blockade, "Dakar", "Diboli", ())
    assert trip.end == "Tambacounda" and not trip.complete
    assert trip.route == ("Dakar", "Kaolack", "Kaffrine", "Koungheul", "Tambacounda")
    # the last leg ends at the staging point: integrated at release, with the batch's budgets
    assert [p.v for p in trip.last] == ["Kidira", "Diboli"]
    assert trip.full_route == trip.route + ("Kidira", "Diboli")
    whole = fixed_trip(blockade, "Conakry", "Kouremale", ())
    assert whole.complete and whole.end == "Kouremale" and whole.last == ()


def test_no_fixed_trip_with_closures_or_a_holding_checkpoint():
    d = smoke_dict()
    d["threats"] = {"enabled": False}
    plan = compile_scenario(scenario_from_dict(d))  # smoke: a checkpoint at Zegoua holds batches
    assert fixed_trip(plan, "Abidjan", "Zegoua", ()) is None
    d["checkpoints"] = []
    assert fixed_trip(compile_scenario(scenario_from_dict(d)), "Abidjan", "Zegoua", ()).complete
    d["closures"] = {"scheduled": [{"node": "Sikasso", "start": "2025-09-05"}]}
    assert fixed_trip(compile_scenario(scenario_from_dict(d)), "Abidjan", "Zegoua", ()) is None


def test_release_schedule_is_only_for_deterministic_sources_without_a_fleet(blockade):
    d = smoke_dict()
    d["sources"][0].update(release="poisson")
    assert release_schedule(compile_scenario(scenario_from_dict(d)), 0) is None
    d["sources"][0].update(release="deterministic", fleet_tankers=100)
    assert release_schedule(compile_scenario(scenario_from_dict(d)), 0) is None
    sched = release_schedule(blockade, 0)  # dakar: 40.44 a day, then 14.55 from 3 Sep
    assert len(sched) == blockade.days
    assert [sum(x) for x in sched[:3]] == [40, 40, 15]  # fractions carried to the next day
    assert 0 <= 2 * 40.44 + 59 * 14.55 - sum(map(sum, sched)) < 1


class _Phases:
    """A threat table without attacks whose phase boundaries are ``breaks`` (h)."""

    def __init__(self, n_edges: int, breaks: list[float]):
        self.breaks_h = sorted({0.0, *breaks})
        self.zero = [0.0] * n_edges

    def intensities_at(self, t_h):
        return self.zero, self.zero

    def next_break_after(self, t_h):
        return next((b for b in self.breaks_h if b > t_h), math.inf)

    def period_at(self, t_h):
        return self.zero, self.zero, self.next_break_after(t_h)


@settings(max_examples=200, deadline=None)
@given(lengths=st.lists(st.floats(0.5, 400), min_size=1, max_size=6),
       speeds=st.lists(st.floats(3, 80), min_size=6, max_size=6),
       f0=st.floats(0, 0.9), t0=st.floats(0, 500),
       breaks=st.lists(st.floats(0, 700), max_size=4))
def test_free_leg_end_is_the_hazard_integration_without_attacks(lengths, speeds, f0, t0, breaks):
    n = len(lengths)
    pieces = tuple(Piece(k, f"n{k}", f"n{k + 1}", f0 if k == 0 else 0.0, 1.0) for k in range(n))
    table = _Phases(n, breaks)
    sp = plan_stretch(pieces, 0, f0, t0, math.inf, math.inf, table, 1.0, lengths, speeds[:n])
    assert sp.attack is None
    assert free_leg_end_h(pieces, t0, table, lengths, speeds[:n]) == sp.end_h  # to the bit


def test_a_batch_without_hazard_is_staged_after_its_travel_time():
    plan = make_plan(sources=[{"name": "abj", "node": "Abidjan", "staging": "Zegoua",
                               "tankers_per_day": 7, "payload_l": 1000}],
                     staging=[{"node": "Zegoua", "min_tankers": 10, "max_wait_h": 48}])
    (rec,) = records(plan, reps=1)
    assert any(t is not None and t.complete for t in plan.fixed_trips.values())
    batches = [r for r in rec.convoys if r.kind == "batch"]
    staged = [r for r in batches if r.outcome == "staged"]
    # released at 0, 24, ... h, staged after the fastest time (km / 10 km/h) from Abidjan
    trip_h = plan.static_time_h("Abidjan", "Zegoua")
    assert trip_h == pytest.approx(72.3)
    assert [r.end_h - r.depart_h for r in staged] == pytest.approx([trip_h] * len(staged))
    assert staged and all(r.route.startswith("Abidjan>") and r.route.endswith(">Zegoua")
                          for r in staged)
    assert {r.outcome for r in batches} == {"staged", "in_transit"}


def test_rows_are_built_only_for_the_tables_asked_for(blockade):
    full = run_replication(blockade, 3, 1)
    lean = run_replication(blockade, 3, 1, tables={"daily"})
    assert lean.summary == full.summary and lean.daily == full.daily
    assert full.events and full.convoys and full.destinations
    assert (lean.events, lean.convoys, lean.destinations) == ([], [], [])
    bare = run_replication(blockade, 3, 1, tables=())
    assert bare.summary == full.summary and bare.daily == []
    with pytest.raises(ValueError, match="unknown tables"):
        run_replication(blockade, 3, 1, tables={"summary"})


def test_merged_lots_keep_the_tankers_of_each_source_payload_and_destination():
    from corridorsim.model.entities import Lot, merge_lots

    lots = [Lot(0, 3, 100, 1), Lot(1, 2, 100, 1), Lot(0, 4, 100, 1), Lot(0, 5, 200, 1),
            Lot(0, 1, 100, 0)]
    merged = merge_lots(lots)
    assert [(x.source, x.tankers, x.payload_l, x.dest) for x in merged] == [
        (0, 7, 100, 1), (1, 2, 100, 1), (0, 5, 200, 1), (0, 1, 100, 0)]
    assert lots[0].tankers == 3  # the originals are left as they were

"""Plans that share the caches of the plan they derive from (ScenarioPlan.derive, PlanFamily).

A derived plan starts with its parent's lazily filled caches (feeder trips, the feeder chain's
timeline, legs, routes, travel times) for every cache none of whose inputs differs
(``CACHE_PARTS``). These tests change each input a cache depends on, one at a time and in
random combinations, and check that a plan derived from a warm parent gives exactly the records
of a plan compiled from scratch (every table, field by field), and that the caches are shared
where nothing they depend on changed and not otherwise.
"""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridorsim.model.engine import Replication, run_replication
from corridorsim.model.feeders import plan_trip
from corridorsim.model.formation_schedule import plan_timeline
from corridorsim.model.plan import CACHE_PARTS, changed_fields, compile_scenario
from corridorsim.model.plan_family import PlanFamily
from corridorsim.model.threats import ThreatTable
from corridorsim.scenario.documents import scenario_from_dict, scenario_to_dict
from corridorsim.scenario.loading import load_scenario

from ..conftest import SCENARIOS

BLOCKADE = SCENARIOS / "mali_blockade_2025.yaml"


#: One change per input the caches depend on (name -> edit of the scenario's dictionary).
CHANGES = {
    # threat values only: every cache shared
    "ambush_multiplier": lambda d: d["threats"].__setitem__("ambush_multiplier", 3.0),
    "loss_share": lambda d: d["threats"]["ambush"].__setitem__("loss_share_mean", 0.6),
    "phase_multiplier": lambda d: d["threats"]["phases"][0].__setitem__("ied_multiplier", 4.0),
    # threat values that change which edges can be attacked (the fixed trips' key):
    # the feeder roads of Cote d'Ivoire get a threat
    "support": lambda d: d["threats"]["rules"].append(
        {"region": "CI", "ambush_rate_per_1000km": 0.05, "ied_rate_per_1000km": 0.02}),
    # ... and the phase boundaries (the timeline's key: travel times cut at a boundary)
    "phase_start": lambda d: d["threats"]["phases"][0].__setitem__("start", "2025-09-04T07:00"),
    "stops": lambda d: d["staging"][0].__setitem__("max_wait_h", 48),
    "checkpoint": lambda d: d["checkpoints"].append({"node": "Kidira", "fixed_delay_h": 5}),
    "escorts": lambda d: d["escorts"]["bases"][0].__setitem__("units", 7),
    "schedules": lambda d: d["sources"][0].__setitem__("tankers_per_day", 30.0),
    "routing": lambda d: d["routing"]["via"].pop("Zegoua"),
    # under least_loss the threat rates weigh the routes: a threat change rebuilds them
    "least_loss": lambda d: d["routing"].__setitem__("policy", "least_loss"),
    "closures": lambda d: d.__setitem__("closures", {"scheduled": [
        {"edge": ["Kolokani", "Kati"], "start": "2025-09-20", "end": "2025-09-23"}]}),
    "convoys": lambda d: d["convoys"][0].__setitem__("tankers", 40),
    "name": lambda d: d.__setitem__("name", "renamed"),
}
#: Changes after which the timeline is still the parent's (the others must not reuse it).
TIMELINE_SHARED = {"ambush_multiplier", "loss_share", "phase_multiplier", "convoys", "name"}


@pytest.fixture(scope="module")
def data():
    return scenario_to_dict(load_scenario(BLOCKADE))


def warm(plan, reps=(0, 1)):
    for r in reps:
        run_replication(plan, 3, r)
    return plan


@pytest.fixture(scope="module")
def parent(data):
    return warm(compile_scenario(scenario_from_dict(data)))


def changed(data, *names):
    d = copy.deepcopy(data)
    for n in names:
        CHANGES[n](d)
    return scenario_from_dict(d)


def rows(plan, reps):
    return [repr(tuple(getattr(rec, t) for t in ("daily", "events", "convoys", "destinations",
                                                 "summary")))
            for rec in (run_replication(plan, 3, r) for r in reps)]


@pytest.mark.parametrize("name", list(CHANGES))
def test_a_derived_plan_runs_exactly_like_a_cold_one(parent, data, name):
    sc = changed(data, name)
    derived = parent.derive(sc)
    assert rows(derived, (0, 1, 2)) == rows(compile_scenario(sc), (0, 1, 2)), name
    # the parent is left alone
    assert parent.scenario.name == "mali_blockade_2025"


@pytest.mark.parametrize("name", list(CHANGES))
def test_the_timeline_is_shared_exactly_when_nothing_it_reads_changed(parent, data, name):
    sc = changed(data, name)
    derived = parent.derive(sc)
    mine = plan_timeline(parent, Replication.simulate_chain)
    if name == "closures":  # refused: no timeline at all
        assert derived.formation_timelines is not parent.formation_timelines
        assert all(plan_trip(derived, *k) is None for k in mine.trips)
        return
    theirs = plan_timeline(derived, Replication.simulate_chain)
    assert (theirs is mine) == (name in TIMELINE_SHARED), name
    if name not in TIMELINE_SHARED:  # recomputed: the same as a cold plan's
        cold = plan_timeline(compile_scenario(sc), Replication.simulate_chain)
        assert (theirs.groups, theirs.batches, theirs.day_waiting) == \
            (cold.groups, cold.batches, cold.day_waiting)


def test_threat_values_share_every_cache_and_the_fixed_trips(parent, data):
    derived = parent.derive(changed(data, "ambush_multiplier"))
    assert changed_fields(parent.scenario, derived.scenario) == {"threats"}
    for name in CACHE_PARTS:
        if name != "formation_hazards":  # the hazards of the last legs are the threat values'
            assert getattr(derived, name) is getattr(parent, name), name
    assert derived.threats.support == parent.threats.support
    # another support: another key in the shared cache, other trips
    other = parent.derive(changed(data, "support"))
    assert other.threats.support > parent.threats.support
    key = ("Abidjan", "Zegoua", ("Bougouni",))
    assert plan_trip(other, *key) != plan_trip(parent, *key)
    assert plan_trip(other, *key) == plan_trip(compile_scenario(other.scenario), *key)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(chain=st.lists(st.sets(st.sampled_from(sorted(CHANGES)), max_size=3), min_size=1,
                      max_size=3),
       multiplier=st.sampled_from([0.0, 0.5, 2.0, 7.5]),
       replication=st.integers(0, 30))
def test_chains_of_derived_plans_run_like_cold_ones(parent, data, chain, multiplier, replication):
    # a plan derived from a plan derived from ... (as a sweep worker's family does), each
    # step with some changes and a threat multiplier
    plan = parent
    for names in chain:
        d = copy.deepcopy(data)
        for n in sorted(names):
            CHANGES[n](d)
        d["threats"]["ied_multiplier"] = multiplier
        plan = warm(plan.derive(scenario_from_dict(d)), reps=(replication,))
    assert rows(plan, (replication, replication + 1)) == \
        rows(compile_scenario(plan.scenario), (replication, replication + 1))


@settings(max_examples=25, deadline=None)
@given(ambush=st.floats(0, 20), ied=st.floats(0, 20), phase=st.floats(0, 20),
       start_h=st.integers(0, 24 * 60), rule=st.booleans())
def test_a_threat_table_like_another_is_the_table_computed_again(ambush, ied, phase, start_h,
                                                                 rule):
    base = compile_scenario(load_scenario(BLOCKADE))
    d = scenario_to_dict(base.scenario)
    d["threats"].update(ambush_multiplier=ambush, ied_multiplier=ied)
    start = dt.datetime(2025, 9, 1) + dt.timedelta(hours=start_h)
    d["threats"]["phases"][0].update(ambush_multiplier=phase, start=start.isoformat())
    if rule:
        d["threats"]["rules"].append({"region": "SN", "ied_rate_per_1000km": 0.01})
    sc = scenario_from_dict(d)
    like = ThreatTable(sc, base.graph, base.edge_index, base.threats)
    cold = ThreatTable(sc, base.graph, base.edge_index)
    for attr in ("ambush_rate_per_1000km", "ied_rate_per_1000km", "ambush_per_km", "ied_per_km"):
        assert getattr(like, attr).tolist() == getattr(cold, attr).tolist(), attr
    for attr in ("breaks_h", "_ambush_mult", "_ied_mult", "support", "groups", "edge_group"):
        assert getattr(like, attr) == getattr(cold, attr), attr


def test_a_family_derives_points_and_compiles_another_network(data):
    fam = PlanFamily(size=3)
    first = fam.plan(scenario_from_dict(data), "a")
    assert fam.plan(scenario_from_dict(data), "a") is first
    warm(first, reps=(0,))
    second = fam.plan(changed(data, "ambush_multiplier"), "b")
    assert second.formation_timelines is first.formation_timelines
    assert plan_timeline(second, Replication.simulate_chain) is \
        plan_timeline(first, Replication.simulate_chain)
    # derived from the closest held plan: the second (only the convoys differ)
    both = fam.plan(changed(data, "ambush_multiplier", "convoys"), "c")
    assert both.threats.breaks_h is second.threats.breaks_h and both.router is first.router
    d = copy.deepcopy(data)
    d["network"]["default_speed_kmh"] = 15
    other = fam.plan(scenario_from_dict(d), "d")
    assert other.graph is not first.graph and (fam.derived, fam.compiled) == (2, 2)
    assert len(fam) == 3  # the least recently used dropped

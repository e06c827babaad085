"""The feeder chain computed once per plan and replayed (:mod:`corridorsim.model.fastforward`).

The replay is a pure refactoring: every replication gives, field by field, the records of the
same replication with the supply, staging and batch processes run in full, whether it is
replayed (no batch attacked) or not (a batch attacked on its last leg: the full run).
"""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridorsim.model import engine
from corridorsim.model.engine import Replication, run_replication
from corridorsim.model.formation_schedule import check_groups, last_leg_hazards, plan_timeline, refusal
from corridorsim.model.hazard import plan_stretch
from corridorsim.model.plan import compile_scenario
from corridorsim.model.replication import run_replication_with_uncertainty
from corridorsim.model.streams import replication_streams
from corridorsim.model.targeting import size_factor
from corridorsim.model.threats import deterrence_factor, escort_strength
from corridorsim.scenario.documents import scenario_from_dict, scenario_to_dict
from corridorsim.scenario.loading import load_scenario
from corridorsim.scenario.priors import apply_parameters, draw_parameters

from ..conftest import SCENARIOS, make_plan

BLOCKADE = SCENARIOS / "mali_blockade_2025.yaml"
HINDCAST = SCENARIOS / "mali" / "hindcast_calibrated.yaml"
TABLES = ("daily", "events", "convoys", "destinations")


def same_rows(a, b) -> bool:
    """Rows equal field by field (nan equals nan)."""
    return len(a) == len(b) and all(
        type(x) is type(y) and all(u == v or (u != u and v != v) for u, v in zip(x, y))
        for x, y in zip(a, b))


def assert_same_records(fast, full) -> None:
    for t in TABLES:
        assert same_rows(getattr(fast, t), getattr(full, t)), t
    assert same_rows([fast.summary], [full.summary])


def batch_attacked(rec) -> bool:
    return any(r.kind == "batch" and r.attacks for r in rec.convoys)


@pytest.fixture(scope="module")
def blockade():
    return compile_scenario(load_scenario(BLOCKADE))


@pytest.fixture(scope="module")
def hindcast():
    return compile_scenario(load_scenario(HINDCAST))


def test_blockade_replications_are_the_full_runs_field_by_field(blockade):
    replayed, attacked = 0, 0
    for r in range(60):
        fast = run_replication(blockade, 11, r)
        full = run_replication(blockade, 11, r, fast_forward=False)
        assert_same_records(fast, full)
        assert not full.fast_forwarded
        replayed += fast.fast_forwarded
        attacked += batch_attacked(full)
    assert attacked >= 1  # the partial replay is exercised too (about 1 in 4 here)
    assert replayed == 60


def test_hindcast_with_drawn_parameters_gives_the_full_runs(hindcast):
    replayed = attacked = 0
    for r in range(60):
        fast = run_replication_with_uncertainty(hindcast, 20251007, r)
        full = run_replication_with_uncertainty(hindcast, 20251007, r, fast_forward=False)
        assert fast.parameters == full.parameters
        assert_same_records(fast, full)
        replayed += fast.fast_forwarded
        attacked += batch_attacked(full)
    assert attacked >= 1 and replayed == 60


def test_replications_drawing_threat_values_share_their_scenarios_timeline(hindcast):
    timelines = []
    for r in range(3):
        values = draw_parameters(hindcast.scenario, replication_streams(7, r)["parameters"])
        drawn = hindcast.with_scenario(apply_parameters(hindcast.scenario, values), values)
        timelines.append(plan_timeline(drawn, Replication.simulate_chain))
    assert timelines[0] is timelines[1] is timelines[2]
    assert timelines[0].refusal is None
    # 37 convoys formed at the four staging points, 244 daily batches released
    assert sum(len(g) for _, _, g in timelines[0].groups) > 30 and len(timelines[0].batches) > 200


def test_a_replication_whose_batch_is_attacked_is_run_in_full(blockade):
    rep = next(r for r in range(200) if batch_attacked(run_replication(blockade, 11, r,
                                                                          fast_forward=False)))
    run = Replication(blockade, 11, rep)
    rec = run.run()
    node = next(r.target for r in rec.convoys if r.kind == "batch" and r.attacks)
    assert run.fast_forward_reason.startswith("a batch may be attacked: ")
    assert node in run.fast_forward_reason  # its staging point is run in full
    assert node not in run._ff_nodes and run._ff_nodes  # the others are replayed


def test_an_event_at_the_instant_of_a_formation_runs_the_replication_again(blockade, monkeypatch):
    full = run_replication(blockade, 11, 0, fast_forward=False)
    monkeypatch.setattr(engine.Replication, "pending_at", lambda self, t: True)
    run = Replication(blockade, 11, 0)
    rec = run.run()
    assert not rec.fast_forwarded
    assert run.fast_forward_reason == "an event at the instant of a formation"
    assert_same_records(rec, full)


def test_the_ledgers_balance_while_the_chain_is_replayed(blockade):
    run = Replication(blockade, 11, 0)
    failures = []

    def audit():
        while True:
            for dest in [None, *range(run.n_dest)]:
                led = run.ledger(dest)
                for u in ("t", "l"):
                    rhs = sum(led[f"{k}_{u}"] for k in ("delivered", "destroyed", "moving", "staged"))
                    if led[f"loaded_{u}"] != rhs or min(led.values()) < 0:
                        failures.append((run.env.now, dest, led))
            yield run.env.timeout(7.3)

    run.env.process(audit())
    rec = run.run()
    assert rec.fast_forwarded and failures == []
    full = run_replication(blockade, 11, 0, fast_forward=False)
    assert rec.summary.staged_l == full.summary.staged_l > 0
    assert rec.summary.in_transit_l == full.summary.in_transit_l


def variant(plan, edit) -> object:
    data = scenario_to_dict(plan.scenario)
    edit(data)
    return compile_scenario(scenario_from_dict(data))


def _set(key, value, index=0):
    def edit(d):
        d["sources"][index][key] = value
    return edit


@pytest.mark.parametrize("edit, reason", [
    (_set("release", "poisson"), "releases at random"),
    (_set("fleet_tankers", 200), "finite fleet"),
    (_set("staging", None), "has no staging point"),
    (_set("release_interval_h", 12.0, index=1), "different intervals"),
    (lambda d: d["closures"].update(
        scheduled=[{"node": "Kayes", "start": "2025-09-10", "end": "2025-09-12"}]), "closures"),
    (lambda d: d["threats"].update(
        stationary={"rules": [{"node": "Zegoua", "attacks_per_day": 0.2}]}), "standing attacks"),
    (lambda d: d["threats"].update(adversary={"process": "cox"}), "adversary"),
])
def test_what_the_chain_depends_on_refuses_the_replay(blockade, edit, reason):
    assert refusal(blockade) is None
    plan = variant(blockade, edit)
    why = refusal(plan)
    assert why is not None and reason in why
    run = Replication(plan, 3, 0)
    rec = run.run()
    assert not rec.fast_forwarded and reason in run.fast_forward_reason


def test_a_feeder_trip_with_random_legs_refuses_the_replay(blockade):
    # a random customs wait on the feeder road: the batches' trips are not fixed
    plan = variant(blockade, lambda d: d.update(checkpoints=[
        {"node": "Kidira", "random_wait": {"dist": "exponential", "mean_h": 5}}]))
    assert refusal(plan) is None
    timeline = plan_timeline(plan, Replication.simulate_chain)
    assert timeline.refusal == "a feeder trip with random legs"
    rec = run_replication(plan, 3, 0)
    assert not rec.fast_forwarded
    assert_same_records(rec, run_replication(plan, 3, 0, fast_forward=False))


def test_formations_at_a_days_close_refuse_the_replay(blockade, monkeypatch):
    timeline = plan_timeline(blockade, Replication.simulate_chain)
    assert timeline.refusal is None
    t0, node, group = timeline.groups[0]
    moved = [(math.ceil(t0 / 24) * 24.0, node, group), *timeline.groups[1:]]
    monkeypatch.setattr(timeline, "groups", tuple(moved))
    assert "day's close" in check_groups(timeline, blockade)
    monkeypatch.setattr(timeline, "groups", (timeline.groups[1], timeline.groups[1]))
    assert check_groups(timeline, blockade) == "two convoy formations at one instant"


def direct_hazards(plan, timeline):
    """Each last leg's hazards integrated by the engine's own function, batch by batch."""
    det_spec, targeting = plan.scenario.threats.deterrence, plan.scenario.threats.targeting
    out = []
    for b in timeline.batches:
        if math.isnan(b.last_start_h):
            continue
        last = timeline.trips[b.trip].last
        n = sum(lot.tankers for lot in b.lots)
        det = deterrence_factor(escort_strength(0, n), det_spec.rate_floor, det_spec.rate_scale)
        sp = plan_stretch(last, 0, last[0].f0, b.last_start_h, math.inf, math.inf, plan.threats,
                          det, plan.edge_length_km, plan.edge_speed_kmh, size_factor(n, targeting))
        assert sp.end_h == b.arrival_h
        out.append((sum(r.ambush_per_km * (r.f_end - r.f_start) * plan.edge_length_km[last[r.index].edge]
                        for r in sp.stretches),
                    sum(r.ied_per_km * (r.f_end - r.f_start) * plan.edge_length_km[last[r.index].edge]
                        for r in sp.stretches)))
    return out


def test_last_leg_hazards_are_the_engines_integrals(blockade):
    timeline = plan_timeline(blockade, Replication.simulate_chain)
    got = last_leg_hazards(blockade, timeline)
    want = direct_hazards(blockade, timeline)
    assert len(want) == len(got.ambush) > 100 and all(a > 0 for a, _ in want)
    for (a, i), ga, gi in zip(want, got.ambush, got.ied):
        assert math.isclose(a, ga, rel_tol=1e-12) and math.isclose(i, gi, rel_tol=1e-12)
    # a phase boundary while a batch drives its last leg: that leg is integrated in two pieces
    b = next(b for b in timeline.batches if b.release_h > 24 * 10 and not math.isnan(b.last_start_h))
    mid = blockade.scenario.start + dt.timedelta(hours=(b.last_start_h + b.arrival_h) / 2)
    plan = variant(blockade, lambda d: d["threats"]["phases"].append(
        {"name": "cut", "start": mid.replace(second=0, microsecond=0).isoformat(),
         "end": None, "region": "ML", "ambush_multiplier": 3, "ied_multiplier": 2}))
    timeline = plan_timeline(plan, Replication.simulate_chain)
    assert timeline.refusal is None
    got = last_leg_hazards(plan, timeline)
    ix = timeline.leg_index
    assert ix.cut  # the leg of at least that batch is cut
    for (a, i), ga, gi in zip(direct_hazards(plan, timeline), got.ambush, got.ied):
        assert math.isclose(a, ga, rel_tol=1e-12) and math.isclose(i, gi, rel_tol=1e-12)
    for r in range(20):
        assert_same_records(run_replication(plan, 5, r), run_replication(plan, 5, r, fast_forward=False))


@st.composite
def eligible_scenarios(draw):
    """Scenarios whose feeder chain can be replayed: deterministic releases into staging points,
    no closures, no standing attacks, no adversary; threats on Malian roads only, so that the
    batches' last leg into the border staging point can be attacked."""
    interval = draw(st.sampled_from([6.0, 24.0, 36.0]))
    sources = [
        {"name": name, "node": node, "staging": staging, "release_interval_h": interval,
         "tankers_per_day": draw(st.floats(0.5, 60)), "payload_l": draw(st.integers(1, 50_000))}
        for name, node, staging in (("abidjan", "Abidjan", "Zegoua"), ("dakar", "Dakar", "Diboli"),
                                    ("local", "Sikasso", "Zegoua"))[:draw(st.integers(1, 3))]]
    staging = []
    for node in ("Zegoua", "Diboli"):
        lo = draw(st.integers(1, 80))
        staging.append({"node": node, "min_tankers": lo, "max_tankers": lo + draw(st.integers(0, 100)),
                        "max_wait_h": draw(st.floats(0, 120)), "escort_base": "sik",
                        "tankers_per_escort_unit": draw(st.floats(1, 50)),
                        "escort_policy": draw(st.sampled_from(["wait", "available", "none"])),
                        "regroup_delay_h": draw(st.floats(0, 48))})
    destinations = [{"node": "Bamako", "initial_stock_l": 1e6, "demand_l_per_day": 1e6}]
    for node in draw(st.lists(st.sampled_from(["Kayes", "Sikasso", "Segou"]), unique=True, max_size=2)):
        destinations.append({"node": node, "priority": draw(st.integers(1, 3)),
                             "initial_stock_l": 1e5, "demand_l_per_day": 1e5,
                             "drop_node": draw(st.sampled_from([None, "Bamako"]))})
    if len(destinations) > 1:
        for src in sources:
            weights = [draw(st.integers(0, 5)) + (k == 0) for k in range(len(destinations))]
            src["shares"] = {d["node"]: w / sum(weights) for d, w in zip(destinations, weights)}
    convoys = [{"name": f"sched{i}", "depart": f"2025-09-0{1 + i}T0{i}:00", "origin": "Sikasso",
                "tankers": draw(st.integers(1, 100)), "payload_l": 30_000, "escort_units": 1,
                "escort_base": "sik"} for i in range(draw(st.integers(0, 2)))]
    return {
        "end": f"2025-09-{draw(st.integers(4, 25)):02d}", "destination": None,
        "destinations": destinations, "sources": sources, "staging": staging, "convoys": convoys,
        "escorts": {"bases": [{"name": "sik", "node": "Sikasso", "units": draw(st.integers(1, 6)),
                               "replacement_delay_h": 100}]},
        "threats": {"enabled": True,
                    "rules": [{"region": "ML", "ambush_rate_per_1000km": draw(st.floats(0, 100)),
                               "ied_rate_per_1000km": draw(st.floats(0, 100))}],
                    "phases": [{"name": "p", "start": "2025-09-03", "region": "ML",
                                "ambush_multiplier": draw(st.floats(0, 4))}],
                    "ambush": {"turn_back_prob": draw(st.floats(0, 1)),
                               "turn_back_to": draw(st.sampled_from(["nearest_stop", "last_stop"]))}},
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=eligible_scenarios(), replication=st.integers(0, 10_000))
def test_replayed_chains_give_the_full_runs_records(changes, replication):
    plan = make_plan(**changes)
    assert refusal(plan) is None
    for r in (replication, replication + 1):
        fast = run_replication(plan, 9, r)
        assert_same_records(fast, run_replication(plan, 9, r, fast_forward=False))

"""The feeder chain computed once per plan and replayed (:mod:`corridorsim.model.fastforward`).

The replay is a pure refactoring: every replication gives, field by field, the records of the
same replication with the supply, staging and batch processes run in full, whether it is
replayed (no batch attacked) or not (a batch attacked on its last leg: the full run).
"""

from __future__ import annotations

import math

import pytest

from corridorsim.model import engine
from corridorsim.model.engine import Replication, run_replication
from corridorsim.model.formation_schedule import check_groups, plan_timeline, refusal
from corridorsim.model.plan import compile_scenario
from corridorsim.model.replication import run_replication_with_uncertainty
from corridorsim.model.streams import replication_streams
from corridorsim.scenario.documents import scenario_from_dict, scenario_to_dict
from corridorsim.scenario.loading import load_scenario
from corridorsim.scenario.priors import apply_parameters, draw_parameters

from ..conftest import SCENARIOS

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
        if batch_attacked(full):  # then it cannot have been replayed
            attacked += 1
            assert not fast.fast_forwarded
    assert attacked >= 1  # the full run's path is exercised too (about 0.1 per replication)
    assert replayed >= 30  # about 3 in 4 here


def test_hindcast_with_drawn_parameters_gives_the_full_runs(hindcast):
    replayed = attacked = 0
    for r in range(60):
        fast = run_replication_with_uncertainty(hindcast, 20251007, r)
        full = run_replication_with_uncertainty(hindcast, 20251007, r, fast_forward=False)
        assert fast.parameters == full.parameters
        assert_same_records(fast, full)
        replayed += fast.fast_forwarded
        attacked += batch_attacked(full)
    assert attacked >= 1 and replayed >= 30


def test_replications_drawing_threat_values_share_their_scenarios_timeline(hindcast):
    timelines = []
    for r in range(3):
        values = draw_parameters(hindcast.scenario, replication_streams(7, r)["parameters"])
        drawn = hindcast.with_scenario(apply_parameters(hindcast.scenario, values), values)
        timelines.append(plan_timeline(drawn, Replication.simulate_chain))
    assert timelines[0] is timelines[1] is timelines[2]
    assert timelines[0].refusal is None
    # 37 convoys formed at the four staging points, 244 daily batches released
    assert sum(len(g) for _, g in timelines[0].groups) > 30 and len(timelines[0].batches) > 200


def test_a_replication_whose_batch_is_attacked_is_run_in_full(blockade):
    rep = next(r for r in range(200) if batch_attacked(run_replication(blockade, 11, r,
                                                                          fast_forward=False)))
    run = Replication(blockade, 11, rep)
    rec = run.run()
    assert not rec.fast_forwarded and run.fast_forward_reason == "a batch may be attacked"


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
    t0, group = timeline.groups[0]
    moved = [(math.ceil(t0 / 24) * 24.0, group), *timeline.groups[1:]]
    monkeypatch.setattr(timeline, "groups", tuple(moved))
    assert "day's close" in check_groups(timeline, blockade)
    monkeypatch.setattr(timeline, "groups", (timeline.groups[1], timeline.groups[1]))
    assert check_groups(timeline, blockade) == "two convoy formations at one instant"

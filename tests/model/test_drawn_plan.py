"""A replication's drawn plan (ScenarioPlan.with_scenario) against a full recompilation.

With an ``uncertainty`` block each replication runs on a plan that rebuilds only the parts the
drawn paths feed. These tests check, replication by replication, that its records equal those
of ``compile_scenario`` on the same drawn scenario (exact equality: same numbers, same order),
under the ``least_loss`` policy (where threat parameters change the routes) and with drawn
values in every block the partial rebuild handles; and that drawing never disturbs the
scenario's own plan.
"""

from __future__ import annotations

import pytest

from corridorsim import load_scenario
from corridorsim.model.engine import run_replication
from corridorsim.model.plan import ALL_PARTS, compile_scenario, parts_fed_by
from corridorsim.model.records import to_frames
from corridorsim.scenario.documents import scenario_from_dict
from corridorsim.scenario.priors import apply_parameters

from ..conftest import SCENARIOS, smoke_dict

#: Drawn values in every block a drawn plan rebuilds in part (threats, routing, stops,
#: escorts, schedules) and in one it only re-checks (convoys). An ambush multiplier of 0 takes
#: the threat off Kedougou-Kita, so under least_loss the Dakar tankers change route.
VALUES = {
    "threats.ambush_multiplier": 0.0,
    "threats.ied_multiplier": 0.6,
    "threats.ambush.loss_share_mean": 0.3,
    "routing.loss_time_weight_per_h": 0.002,
    "checkpoints[Zegoua].fixed_delay_h": 3.0,
    "staging[Zegoua].max_wait_h": 48.0,
    "destination.demand_l_per_day": 1_500_000.0,
    "escorts.bases[sikasso].units": 4.0,
    "sources[dakar].tankers_per_day": 12.0,
    "convoys[0].tankers": 12.0,
}


def frames(plan, replication: int):
    rec = run_replication(plan, 7, replication)
    return to_frames([rec], plan.scenario.start, tables=("daily", "events", "convoys"))


@pytest.fixture(scope="module")
def base_plan():
    data = smoke_dict()
    data["routing"] = {"policy": "least_loss"}
    data["threats"]["rules"].append({"edges": [["Kedougou", "Kita"]], "ambush_rate_per_1000km": 5})
    data["sources"].append({"name": "dakar", "node": "Dakar", "tankers_per_day": 8,
                            "payload_l": 45000})
    data["convoys"] = [{"name": "c1", "depart": "2025-09-02", "origin": "Dakar", "tankers": 20,
                        "payload_l": 45000}]
    return compile_scenario(scenario_from_dict(data))


@pytest.mark.parametrize("paths", [
    ["threats.ambush_multiplier", "threats.ied_multiplier", "threats.ambush.loss_share_mean"],
    ["threats.ambush_multiplier", "routing.loss_time_weight_per_h"],
    list(VALUES),
], ids=["threats", "threats-routing", "all-blocks"])
def test_drawn_plan_runs_exactly_like_a_recompiled_one(base_plan, paths):
    drawn = apply_parameters(base_plan.scenario, {p: VALUES[p] for p in paths})
    partial = base_plan.with_scenario(drawn, paths)
    full = compile_scenario(drawn)
    assert partial.graph is not base_plan.graph  # least_loss: the router got its own graph
    # the draw changes the Dakar route, so a stale router would show
    assert partial.router.route("Dakar", "Bamako") != base_plan.router.route("Dakar", "Bamako")
    for replication in (0, 1):
        a, b = frames(partial, replication), frames(full, replication)
        for name in ("daily", "events", "convoys"):
            assert getattr(a, name).equals(getattr(b, name)), (paths, replication, name)


def test_drawing_leaves_the_scenario_plan_alone(base_plan):
    before = frames(base_plan, 3)
    drawn = apply_parameters(base_plan.scenario, VALUES)
    run_replication(base_plan.with_scenario(drawn, VALUES), 7, 3)
    after = frames(base_plan, 3)
    for name in ("daily", "events", "convoys"):
        assert getattr(before, name).equals(getattr(after, name)), name


def test_threat_draws_share_the_network_and_routes_under_fastest():
    plan = compile_scenario(load_scenario(SCENARIOS / "mali_blockade_2025.yaml"))
    drawn = apply_parameters(plan.scenario, {"threats.ambush_multiplier": 2.0})
    new = plan.with_scenario(drawn, ["threats.ambush_multiplier"])
    assert new.graph is plan.graph and new.router is plan.router
    assert new.threats is not plan.threats
    assert new.threats.ambush_per_km.tolist() == compile_scenario(drawn).threats.ambush_per_km.tolist()


def test_parts_fed_by_paths():
    assert parts_fed_by(frozenset({"threats.ied.delay.mean_h"})) == {"threats", "routes"}
    assert parts_fed_by(frozenset({"sources[0].payload_l"})) == {"schedules"}
    assert parts_fed_by(frozenset({"convoys[0].tankers"})) == frozenset()
    assert parts_fed_by(frozenset({"network.default_speed_kmh"})) == ALL_PARTS
    assert parts_fed_by(frozenset({"end"})) == ALL_PARTS


def test_a_threat_draw_under_fastest_keeps_a_routing_draw_rebuilding_the_routes():
    # the routes stay shared for the threat path alone, but a via drawn beside it rebuilds them
    data = smoke_dict()
    data["routing"] = {"policy": "fastest", "via": {"Zegoua": ["Koutiala"]}}
    plan = compile_scenario(scenario_from_dict(data))
    paths = ["threats.ambush_multiplier", "routing.via.Zegoua[0]"]
    drawn = apply_parameters(plan.scenario, {paths[0]: 2.0, paths[1]: "Bougouni"})
    new = plan.with_scenario(drawn, paths)
    assert new.router is not plan.router
    assert new.router.route("Zegoua", "Bamako") == compile_scenario(drawn).router.route("Zegoua", "Bamako")
    only = plan.with_scenario(apply_parameters(plan.scenario, {paths[0]: 2.0}), paths[:1])
    assert only.router is plan.router

"""Drawn values set into a scenario: the block-only path equals validating the whole scenario.

``apply_parameters`` validates only the blocks the values fall in when those blocks are
self-contained (the scenario's cross-field check never reads them). These tests hold it to the
whole-scenario validation it shortcuts: the same scenario for every replication's draw of the
shipped calibrated hindcast and for generated values, the same error for invalid ones.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corridorsim.errors import ScenarioErrors
from corridorsim.model.streams import replication_stream
from corridorsim.scenario import priors
from corridorsim.scenario.loading import load_scenario
from corridorsim.scenario.priors import apply_parameters, draw_parameters

from ..conftest import SCENARIOS

HINDCAST = load_scenario(SCENARIOS / "mali" / "hindcast_calibrated.yaml")
BLOCKADE = load_scenario(SCENARIOS / "mali_blockade_2025.yaml")


def whole(scenario, values):
    """``apply_parameters`` with the shortcut switched off: the whole scenario validated."""
    saved = priors.SELF_CONTAINED_BLOCKS
    priors.SELF_CONTAINED_BLOCKS = frozenset()
    try:
        return apply_parameters(scenario, values)
    finally:
        priors.SELF_CONTAINED_BLOCKS = saved


def test_the_hindcasts_draws_give_the_same_scenario_as_validating_it_whole():
    for r in range(40):
        values = draw_parameters(HINDCAST, replication_stream(20251001, r, "parameters"))
        assert {p.split(".")[0] for p in values} <= priors.SELF_CONTAINED_BLOCKS
        fast = apply_parameters(HINDCAST, values)
        assert fast == whole(HINDCAST, values)
        assert not fast.uncertainty.active
        assert fast.threats.ambush_multiplier == values["threats.ambush_multiplier"]


@settings(max_examples=40, deadline=None)
@given(amb=st.floats(0.0, 50.0), loss=st.floats(0.01, 0.99), units=st.integers(0, 40),
       speed_share=st.sampled_from([None, 0.5]))
def test_generated_values_give_the_same_scenario_as_validating_it_whole(amb, loss, units,
                                                                           speed_share):
    values = {"threats.ambush_multiplier": amb, "threats.ambush.loss_share_mean": loss,
              "escorts.bases[0].units": float(units)}  # a float that is an integer: kept int
    if speed_share is not None:
        values["threats.deterrence.rate_floor"] = speed_share
    fast = apply_parameters(BLOCKADE, values)
    assert fast == whole(BLOCKADE, values)
    assert isinstance(fast.escorts.bases[0].units, int)


def test_values_outside_the_blocks_go_through_the_whole_scenario():
    values = {"threats.ambush_multiplier": 2.0, "destinations[0].initial_stock_l": 1.5e6}
    assert apply_parameters(BLOCKADE, values) == whole(BLOCKADE, values)


def test_an_invalid_value_is_refused_with_its_full_field_path_either_way():
    for fn in (apply_parameters, whole):
        with pytest.raises(ScenarioErrors, match=r"threats\.ambush_multiplier"):
            fn(BLOCKADE, {"threats.ambush_multiplier": -1.0})

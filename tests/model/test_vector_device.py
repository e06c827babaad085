"""The fast path on a device array module: a CPU stand-in for CuPy (``device_standin``).

No GPU is needed: the stand-in keeps arrays behind a device boundary and refuses what CuPy
refuses (a device array converted to NumPy implicitly, a host array mixed into device
arithmetic). The fast path run on it must give the NumPy path's tables exactly, which shows that
every host/device crossing goes through ``xp.asarray`` or ``to_host``. What it cannot show is
that every function called exists in CuPy, nor CuPy's numerics (docs/vector.md, "On a GPU").
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridorsim.model.plan import compile_scenario
from corridorsim.model.records import to_frames
from corridorsim.model.vector import ineligibility, run_replications_vector
from corridorsim.model.vector.arrays import exact_map, to_host
from corridorsim.scenario.loading import load_scenario

from .device_standin import DeviceArray, device_module
from .test_vector import ELIGIBLE_SHIPPED, ROOT, eligible_scenarios

TABLES = ("daily", "events", "convoys")


def assert_device_path_equals_numpy(plan, seed: int, reps) -> int:
    """Tables of the stand-in's run equal the NumPy run's, every field; the attack count."""
    start = plan.scenario.start
    host = to_frames(run_replications_vector(plan, seed, reps, xp=np, tables=TABLES), start, TABLES)
    dev = to_frames(run_replications_vector(plan, seed, reps, xp=device_module(), tables=TABLES),
                    start, TABLES)
    for name in (*TABLES, "destinations", "summary"):
        pd.testing.assert_frame_equal(getattr(dev, name), getattr(host, name), check_exact=True)
    return int(host.summary["ambushes"].sum() + host.summary["ieds"].sum())


def test_the_standin_refuses_what_cupy_refuses():
    xp = device_module()
    d = xp.asarray([1.0, 2.0, 3.0])
    host = np.array([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.asarray(d)
    with pytest.raises(TypeError, match="Unsupported type"):
        d + host  # noqa: B018
    with pytest.raises(TypeError, match="Unsupported type"):
        host * d  # noqa: B018
    with pytest.raises(TypeError, match="Unsupported type"):
        xp.where(d > 1, host, 0.0)
    with pytest.raises(TypeError, match="Implicit conversion"):
        host[xp.asarray([0, 1])]  # noqa: B018
    # what CuPy allows: scalars, host index arrays, host values assigned, explicit copies
    assert isinstance(d * 2.0 + np.float64(1.0), DeviceArray)
    assert to_host(d[np.array([0, 2])]).tolist() == [1.0, 3.0]
    d[np.array([1])] = np.array([5.0])
    assert to_host(d).tolist() == [1.0, 5.0, 3.0]
    assert isinstance(xp.sum(d), DeviceArray) and float(xp.sum(d)) == 9.0
    # exact_map off NumPy calls the module's own function
    assert to_host(exact_map(xp, "log", d)).tolist() == [0.0, np.log(5.0), np.log(3.0)]


@pytest.mark.parametrize("name", ELIGIBLE_SHIPPED)
def test_shipped_eligible_scenarios_run_on_a_device_module(name):
    plan = compile_scenario(load_scenario(ROOT / "scenarios" / name))
    assert ineligibility(plan) is None
    attacks = assert_device_path_equals_numpy(plan, 20251007, range(150))
    if "no_threats" not in name:
        assert attacks > 10  # attacks, their outcomes and turn-backs ran on the device


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(eligible_scenarios(), st.integers(0, 2**40))
def test_generated_eligible_scenarios_run_on_a_device_module(scenario, seed):
    plan = compile_scenario(scenario)
    assert ineligibility(plan) is None
    assert_device_path_equals_numpy(plan, seed, range(16))

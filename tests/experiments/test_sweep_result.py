"""The Python sweep API: run_sweep / read_sweep give the design joined with the tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import corridorsim
from corridorsim.errors import ScenarioError

from ..conftest import SCENARIOS

SMOKE = SCENARIOS / "smoke.yaml"
UNITS = "escorts.bases[sikasso].units"  # smoke.yaml has 6
AMBUSH = "threats.ambush_multiplier"


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("api") / "sw"
    return corridorsim.run_sweep(SMOKE, out, factors={UNITS: [2, 6], AMBUSH: [1, 2]},
                                 replications=3, seed=4)


def test_run_sweep_joins_design_and_tables(sweep):
    assert sweep.factors == [UNITS, AMBUSH]
    assert sweep.points.to_dict(orient="list") == {UNITS: [2, 2, 6, 6], AMBUSH: [1, 2, 1, 2]}
    assert sweep.reference == 2  # the scenario as written: 6 units, multiplier 1
    summary = sweep.tables["summary"]
    assert list(summary.columns[:4]) == ["point", UNITS, AMBUSH, "replication"]
    assert len(summary) == 12 and summary.groupby("point")[UNITS].first().tolist() == [2, 2, 6, 6]
    ps = sweep.summaries["points_summary"]
    mean = summary[summary.point == 1].delivered_l.mean()
    assert ps[(ps.point == 1) & (ps.metric == "delivered_l")]["mean"].iloc[0] == pytest.approx(mean)
    with pytest.raises(KeyError, match="kept summary"):
        sweep.tables["daily"]
    again = corridorsim.read_sweep(sweep.root)
    pd.testing.assert_frame_equal(again.summary, summary)
    assert "<b>smoke_sweep</b>: 4 points x 3 replications" in again._repr_html_()


def test_to_xarray_has_one_dimension_per_grid_factor(sweep):
    pytest.importorskip("xarray")
    data = sweep.to_xarray(["delivered_l", "tankers_destroyed"])
    assert dict(data.sizes) == {UNITS: 2, AMBUSH: 2, "replication": 3}
    summary = sweep.summary.set_index([UNITS, AMBUSH, "replication"])
    for (u, a, r), v in summary["delivered_l"].items():
        assert data["delivered_l"].sel({UNITS: u, AMBUSH: a, "replication": r}).item() == v
    means = data["delivered_l"].mean("replication")
    assert float(means.sel({UNITS: 6, AMBUSH: 1})) == pytest.approx(
        summary.loc[(6, 1), "delivered_l"].mean())
    assert np.all(data["delivered_l"].notnull())


def test_run_sweep_refuses_factors_with_a_sweep_file(tmp_path):
    with pytest.raises(ScenarioError, match="factors"):
        corridorsim.run_sweep(SCENARIOS / "sweeps" / "lhs_supply.yaml", tmp_path / "x",
                              factors={UNITS: [1]})
    with pytest.raises(ScenarioError, match="needs factors"):
        corridorsim.run_sweep(SMOKE, tmp_path / "y")

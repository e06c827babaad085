"""Parameter uncertainty (second-order Monte Carlo) and ABC calibration.

The ABC check is a recovery test on simulated data with a known parameter: the posterior must
concentrate near the truth (stated tolerances below), which a broken simulator, summary or
distance would not do.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from corridorsim import simulate
from corridorsim.errors import ScenarioError
from corridorsim.experiments.calibration import CalibrationSpec, abc_accept, run_calibration
from corridorsim.experiments.executors import InProcessExecutor
from corridorsim.model.plan import compile_scenario
from corridorsim.model.streams import replication_streams
from corridorsim.scenario.documents import scenario_from_dict
from corridorsim.scenario.loading import load_scenario
from corridorsim.scenario.priors import check_uncertainty, draw_parameters

from ..conftest import SCENARIOS, make_dict

SMOKE = SCENARIOS / "smoke.yaml"


def _smoke_with(**threats):
    sc = load_scenario(SMOKE)
    return sc.model_copy(update={"threats": sc.threats.model_copy(update=threats)})


def test_uncertain_parameters_are_drawn_per_replication_and_recorded():
    sc = scenario_from_dict(make_dict(uncertainty={"parameters": [
        {"path": "threats.ambush_multiplier", "prior": {"dist": "uniform", "low": 1, "high": 3}},
        {"path": "convoys[c1].tankers", "prior": {"dist": "uniform", "low": 5, "high": 9,
                                                  "integer": True}}]}))
    res = simulate(sc, replications=200, seed=2)
    amb = res.summary["param:threats.ambush_multiplier"]
    tankers = res.summary["param:convoys[c1].tankers"]
    # uniform(1, 3): mean 2, sd 0.577 -> standard error of the mean 0.041; allow 4 of them
    assert abs(amb.mean() - 2.0) < 4 * 0.577 / np.sqrt(200)
    assert set(tankers.unique()) <= {5.0, 6.0, 7.0, 8.0, 9.0} and tankers.nunique() == 5
    # the drawn convoy size is the one that ran (threats are off in the base)
    assert (res.summary.tankers_delivered == tankers.astype(int)).all()
    # reproducible and shared by replication index
    again = simulate(sc, replications=5, seed=2)
    pd.testing.assert_series_equal(again.summary["param:threats.ambush_multiplier"],
                                   amb.iloc[:5], check_names=False)
    assert (draw_parameters(sc, replication_streams(2, 3)["parameters"])
            == draw_parameters(sc, replication_streams(2, 3)["parameters"]))


def test_posterior_file_rows_are_drawn_jointly(tmp_path):
    post = tmp_path / "post.csv"
    pd.DataFrame({"threats.ambush_multiplier": [1.5, 2.5], "convoys[c1].tankers": [6, 8],
                  "weight": [1.0, 3.0]}).to_csv(post, index=False)
    sc = scenario_from_dict(make_dict(uncertainty={"posterior_csv": str(post)}))
    check_uncertainty(sc)
    res = simulate(sc, replications=400, seed=1)
    pairs = set(zip(res.summary["param:threats.ambush_multiplier"],
                    res.summary["param:convoys[c1].tankers"]))
    assert pairs == {(1.5, 6.0), (2.5, 8.0)}
    share = (res.summary["param:convoys[c1].tankers"] == 8).mean()
    assert abs(share - 0.75) < 4 * np.sqrt(0.75 * 0.25 / 400)


def test_invalid_uncertain_values_are_refused_when_loading():
    sc = scenario_from_dict(make_dict(uncertainty={"parameters": [
        {"path": "convoys[c1].tankers", "prior": {"dist": "uniform", "low": -5, "high": 3}}]}))
    with pytest.raises(ScenarioError, match=r"uncertainty\.parameters\[0\].*tankers"):
        check_uncertainty(sc)
    bad_path = scenario_from_dict(make_dict(uncertainty={"parameters": [
        {"path": "convoys[nope].tankers", "prior": {"dist": "uniform", "low": 1, "high": 3}}]}))
    with pytest.raises(ScenarioError, match="no item named 'nope'"):
        check_uncertainty(bad_path)


def test_abc_accept_keeps_the_closest_share():
    stats = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0, 10.0], "b": [5.0, 5.0, 5.0, 5.0, 5.0]})
    out = abc_accept(stats, {"a": 2.1, "b": 5.0}, {"a": 1.0, "b": 1.0}, 0.4)
    assert list(out.accepted) == [False, False, True, True, False]  # |a - 2.1| = 0.1, 0.9
    assert out.distance.idxmin() == 2


@pytest.mark.e2e
def test_abc_recovers_a_known_ambush_multiplier(tmp_path):
    truth = 2.0
    observed = simulate(_smoke_with(ambush_multiplier=truth), replications=300, seed=12345)
    spec = CalibrationSpec(
        name="recovery", base=str(SMOKE),
        parameters=[{"path": "threats.ambush_multiplier",
                     "prior": {"dist": "uniform", "low": 0.25, "high": 6.0}}],
        observed=[
            {"name": "ambushes", "value": float(observed.summary.ambushes.mean()),
             "statistic": {"table": "events", "kinds": ["ambush"]}},
            {"name": "destroyed", "value": float(observed.summary.tankers_destroyed.mean()),
             "statistic": {"table": "summary", "column": "tankers_destroyed"}},
        ],
        samples=80, replications=10, seed=3, accept_fraction=0.2,
    )
    out = run_calibration(spec, tmp_path / "abc", InProcessExecutor(), chunk_size=10)
    post = out["posterior"]["threats.ambush_multiplier"]
    prior_sd = (6.0 - 0.25) / np.sqrt(12)
    # tolerances: the posterior mean within 0.5 of the truth, its spread under 40 % of the prior's
    assert len(post) == 16
    assert abs(post.mean() - truth) < 0.5, post.describe()
    assert post.std() < 0.4 * prior_sd
    for name in ("samples.csv", "posterior.csv", "diagnostics.csv", "calibration.json"):
        assert (tmp_path / "abc" / name).is_file()
    # the posterior file feeds a forecast with parameter uncertainty
    sc = scenario_from_dict({**make_dict(), "uncertainty": {"posterior_csv": str(tmp_path / "abc" / "posterior.csv")}})
    check_uncertainty(sc)
    compile_scenario(sc)

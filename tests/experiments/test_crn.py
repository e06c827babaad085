"""Common random numbers: replication r meets the same streams at every point of a sweep, so a
paired difference between two points varies much less than a difference of independent runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from corridorsim.experiments.executors import InProcessExecutor
from corridorsim.experiments.summaries import paired_differences
from corridorsim.experiments.sweep_runner import SweepRunner, read_table
from corridorsim.experiments.sweep_spec import Factor, SweepSpec, resolve_sweep
from corridorsim.experiments.sweep_tasks import SweepTask, run_task

from ..conftest import SCENARIOS

REPS = 100
SEED = 1


@pytest.mark.e2e
@pytest.mark.parametrize(("scenario", "path", "reference", "other"), [
    ("smoke.yaml", "escorts.bases[sikasso].units", 6, 4),  # a third fewer escort units
    ("smoke.yaml", "threats.deterrence.rate_floor", 0.5, 0.3),  # escorts deter attacks more
    # the 61-day 2025 blockade: an ambush burns 0.35 instead of 0.45 of an unescorted convoy
    ("mali_blockade_2025.yaml", "threats.ambush.loss_share_mean", 0.45, 0.35),
])
def test_paired_difference_varies_at_least_3x_less_than_with_independent_streams(
        tmp_path, scenario, path, reference, other):
    spec = SweepSpec(name="crn", base=str(SCENARIOS / scenario), replications=REPS, seed=SEED,
                     factors=(Factor(path=path, values=(reference, other)),))
    sweep = resolve_sweep(spec)
    SweepRunner(sweep, tmp_path / "r", InProcessExecutor(), chunk_size=50).run()
    summary = read_table(tmp_path / "r")
    paired = paired_differences(summary, reference=0, metrics=["delivered_l"]).set_index("point")
    assert paired.loc[1, "n"] == REPS
    var_paired = paired.loc[1, "sd_diff"] ** 2
    # the same comparison on independent streams: the other point's replications 10000..
    indep = run_task(SweepTask(1, 10_000, REPS, sweep.scenarios[1], SEED))["summary"]
    ref = summary[summary.point == 0].delivered_l.to_numpy(dtype=float)
    var_indep = np.var(indep.delivered_l.to_numpy(dtype=float) - ref, ddof=1)
    assert var_paired > 0  # the points do differ replication by replication
    assert var_paired * 3 <= var_indep, (var_paired, var_indep)
    # both estimate the same mean difference; the paired interval is the narrower one
    d_indep = indep.delivered_l.mean() - ref.mean()
    half_indep = 1.96 * np.sqrt(var_indep / REPS)
    assert abs(paired.loc[1, "mean_diff"] - d_indep) < half_indep
    assert paired.loc[1, "ci95_high"] - paired.loc[1, "ci95_low"] < half_indep * 2 / np.sqrt(3)


def test_replication_streams_do_not_depend_on_the_point_or_the_task():
    spec = SweepSpec(name="crn", base=str(SCENARIOS / "smoke.yaml"), replications=6, seed=SEED,
                     factors=(Factor(path="escorts.bases[sikasso].units", values=(6, 6)),))
    sweep = resolve_sweep(spec)
    whole = run_task(SweepTask(0, 0, 6, sweep.scenarios[0], SEED))["summary"].drop(columns="point")
    parts = pd.concat([run_task(SweepTask(1, a, n, sweep.scenarios[1], SEED))["summary"]
                       for a, n in ((0, 1), (1, 4), (5, 1))], ignore_index=True)
    pd.testing.assert_frame_equal(whole, parts.drop(columns="point"))

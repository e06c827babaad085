"""Run directories: permissions, reading a run back as the result object, Parquet runs."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from corridorsim import load_scenario, simulate
from corridorsim.experiments.rundir import write_run

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT / "scenarios" / "smoke.yaml"


@pytest.fixture(scope="module")
def result():
    return simulate(load_scenario(SMOKE), replications=3, seed=5)


def test_run_directory_has_the_permissions_of_a_normal_directory(result, tmp_path):
    old = os.umask(0o022)
    try:
        out = write_run(result, tmp_path / "run")
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o644 for f in out.iterdir())

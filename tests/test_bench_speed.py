"""Smoke check of the speed benchmark: ``--quick`` runs every measurement and prints each of
its six figures beside its aim (the figures themselves are not checked: speed is no test)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import ROOT


@pytest.mark.slow
@pytest.mark.e2e
def test_quick_run_prints_every_figure_beside_its_aim():
    res = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_speed.py"), "--quick"],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    figures = {n: [ln for ln in lines if ln.strip().startswith(f"{n}. ")] for n in range(1, 7)}
    assert all(len(v) == 1 for v in figures.values()), res.stdout
    for n in (1, 2, 4, 5, 6):
        assert "aim " in figures[n][0] or "not available" in figures[n][0], figures[n][0]
    assert "aim >= 50x" in figures[3][0] or "not available" in figures[3][0] \
        or "not eligible" in figures[3][0]
    for phase in ("start-up", "pilot", "simulation", "writing parts", "canonical compaction",
                  "summaries"):
        assert any(phase in ln for ln in lines), phase

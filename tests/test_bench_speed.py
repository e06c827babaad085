"""Smoke check of the speed benchmark: ``--quick`` runs every measurement and prints each of
its six figures (and 4b, the sweep on the fast path's scenario) beside its aim (the figures themselves are not checked: speed is no test)."""

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
    fast_sweep = [ln for ln in lines if ln.strip().startswith("4b. ")]  # on the fast path
    assert len(fast_sweep) == 1 and ("aim " in fast_sweep[0] or "not available" in fast_sweep[0])
    for phase in ("start-up", "pilot", "simulation", "writing parts", "canonical compaction",
                  "summaries"):
        assert any(phase in ln for ln in lines), phase


@pytest.mark.slow
@pytest.mark.e2e
def test_only_fastpath_prints_figure_3_alone():
    res = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_speed.py"), "--quick",
                          "--only", "fastpath"], capture_output=True, text=True, cwd=ROOT,
                         timeout=600)
    assert res.returncode == 0, res.stderr
    lines = [ln.strip() for ln in res.stdout.splitlines()]
    assert [ln[:2] for ln in lines if ln[:2] in {f"{n}." for n in range(1, 7)}] == ["3."]
    assert sum("fast path speed-up" in ln and "aim >= 50x" in ln for ln in lines) == 2

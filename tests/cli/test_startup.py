"""What the command line imports: only what a command needs, so that its start-up stays small.

``scipy.stats`` and ``scipy.optimize`` (about 0.6 s together), matplotlib, Dask, SALib and EMA
Workbench are for some commands only; a sweep or a run must not import them, and ``--help``
must not even import numpy. Each check runs in a fresh interpreter (imports are per process).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
#: never needed by a run or a sweep of a scenario without negative-binomial severity
NOT_FOR_RUNS = ("scipy.stats", "scipy.optimize", "matplotlib", "dask", "distributed", "SALib",
                "ema_workbench", "sklearn")
#: heavy libraries ``--help`` does without
NOT_FOR_HELP = ("numpy", "pandas", "pyarrow", "networkx", "scipy", "pydantic", "simpy", "yaml")

_PROBE = """
import json, sys
from corridorsim.cli.launch import main
try:
    main(sys.argv[2:])
except SystemExit as exc:
    code = exc.code
sys.stderr.write("IMPORTED " + json.dumps([m for m in json.loads(sys.argv[1]) if m in sys.modules]
                                          + [code]) + "\\n")
"""


def imported(modules: tuple[str, ...], *args: str) -> tuple[list[str], int]:
    """Which of ``modules`` a ``corridorsim ARGS`` command imported, and its exit code."""
    res = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(modules), *args],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    line = [x for x in res.stderr.splitlines() if x.startswith("IMPORTED ")]
    assert line, res.stderr
    *names, code = json.loads(line[-1].removeprefix("IMPORTED "))
    return names, code


def test_help_imports_no_numerical_library():
    names, code = imported(NOT_FOR_HELP, "--help")
    assert code == 0 and names == []


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sweep_imports_only_what_it_needs(tmp_path, workers):
    names, code = imported(NOT_FOR_RUNS + ("pandas",), "sweep", "scenarios/mali_blockade_2025.yaml",
                           "--set", "threats.ambush_multiplier=1,2", "-n", "2",
                           "--workers", workers, "-o", str(tmp_path / "sweep"), "-q")
    assert code == 0
    assert names == ["pandas"]  # the probe works: pandas is imported, the others are not
    assert (tmp_path / "sweep" / "points_summary.csv").exists()  # summaries were computed


def test_run_imports_only_what_it_needs(tmp_path):
    names, code = imported(NOT_FOR_RUNS, "run", "scenarios/smoke.yaml", "-n", "2",
                           "--workers", "1", "-o", str(tmp_path / "run"), "-q")
    assert code == 0 and names == []


def test_a_plan_with_negative_binomial_severity_imports_scipy_stats_when_compiled():
    # imported while the plan compiles (before a command forks its workers), not at an ambush
    code = ("import sys\n"
            "from corridorsim.scenario.loading import load_scenario\n"
            "from corridorsim.model.plan import compile_scenario\n"
            "sc = load_scenario('scenarios/mali/hindcast_adversary.yaml')\n"
            "assert 'scipy.stats' not in sys.modules\n"
            "compile_scenario(sc)\n"
            "assert 'scipy.stats' in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=300)

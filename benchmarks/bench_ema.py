"""corridorsim sweep against EMA Workbench on the same design and model: figure 4 of
``bench_speed.py``.

Both sides run as subprocesses, as a user runs them: ``corridorsim sweep`` (interpreter start
to exit; its own ``sweep.json`` timings come back for the phases), and this file as a script
running the same design under EMA Workbench's ``MultiprocessingEvaluator`` (2 processes), one
experiment per point and replication, whose model function runs one replication as a sweep
task does and returns its summary row. EMA Workbench (``pip install ema-workbench``, in the
``test`` extra) is imported only by the child; the time it takes is reported apart.

    python benchmarks/bench_ema.py SCENARIO POINTS REPLICATIONS   # the EMA child, JSON timings
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from bench_sweep import make_sweep

from corridorsim.model.plan import compile_scenario
from corridorsim.model.records import SUMMARY_COLUMNS

ROOT = Path(__file__).resolve().parent.parent


def cli_sweep(scenario: Path, levels: list[float], reps: int, out: Path) -> tuple[float, dict]:
    """Wall seconds of ``corridorsim sweep`` as a user runs it, and its recorded timings."""
    cmd = [sys.executable, "-c", "from corridorsim.cli.launch import main; main()", "sweep",
           str(scenario), "--set",
           "threats.ambush_multiplier=" + ",".join(f"{v:g}" for v in levels), "-n", str(reps),
           "--workers", "2", "-o", str(out), "--force", "-q"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    wall = time.perf_counter() - t0
    return wall, json.loads((out / "sweep.json").read_text())["timings_s"]


_EMA_SWEEP = None  # the child's resolved sweep, inherited by EMA's forked workers
_EMA_PLANS: dict = {}  # compiled plan per point, per worker process


def ema_model(ambush_multiplier: float, replication: int) -> dict[str, float]:
    """One replication of the point with this multiplier, as an EMA user would write it: the
    point's plan compiled once per process, one replication, its summary row as outcomes.

    The replication is run as a sweep task runs it (``run_batch``, building only the records
    the summary needs), so that the two sides do the same simulation work and the figure
    measures what the sweep machinery saves. It runs on the SimPy engine, the cheaper for one
    replication (on the relief convoy 0.25 ms, against 1.5 ms for a fast-path batch of one:
    the fast path pays a fixed cost per batch), and the one the sweep uses on the blockade.
    """
    from corridorsim.experiments.engines import run_batch

    sweep = _EMA_SWEEP
    point = int(np.argmin(np.abs(sweep.design["threats.ambush_multiplier"].to_numpy()
                                 - ambush_multiplier)))
    plan = _EMA_PLANS.get(point)
    if plan is None:
        plan = _EMA_PLANS[point] = compile_scenario(sweep.scenarios[point])
    rec = run_batch(plan, sweep.spec.seed, [int(replication)], "des", tables=())[0]
    return {k: float(v) for k, v in rec.summary._asdict().items() if k != "replication"}


def ema_child(scenario: Path, points: int, reps: int) -> None:
    """Run the design under EMA Workbench's MultiprocessingEvaluator; print JSON timings."""
    t0 = time.perf_counter()
    import ema_workbench as ema

    t_import = time.perf_counter() - t0
    global _EMA_SWEEP
    _EMA_SWEEP = sweep = make_sweep(scenario, points, reps)
    levels = sweep.design["threats.ambush_multiplier"].tolist()
    columns = [c for c in SUMMARY_COLUMNS if c != "replication"]
    model = ema.Model("corridorsim", function=ema_model)
    model.uncertainties = [ema.RealParameter("ambush_multiplier", min(levels), max(levels)),
                           ema.IntegerParameter("replication", 0, reps)]
    model.outcomes = [ema.ScalarOutcome(c) for c in columns]
    scenarios = [ema.Scenario(f"p{p}r{r}", ambush_multiplier=v, replication=r)
                 for p, v in enumerate(levels) for r in range(reps)]
    with ema.MultiprocessingEvaluator(model, n_processes=2) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=scenarios)
    assert len(experiments) == points * reps
    print(json.dumps({"import_s": t_import, "total_s": time.perf_counter() - t0}))


def ema_sweep(scenario: Path, points: int, reps: int) -> tuple[float, float] | None:
    """(wall seconds without importing ema_workbench, its import seconds), or None."""
    if importlib.util.find_spec("ema_workbench") is None:
        return None
    cmd = [sys.executable, str(Path(__file__).resolve()), str(scenario), str(points),
           str(reps)]
    t0 = time.perf_counter()
    res = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    got = json.loads(res.stdout.strip().splitlines()[-1])
    return wall - got["import_s"], got["import_s"]


if __name__ == "__main__":
    ema_child(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))

"""Sweep benchmark: throughput, parallel efficiency, Dask overhead, driver memory, CRN gain.

Prints, from one run (all figures measured in the same run):

* replications per second of a sweep of ``--points`` points x ``--replications`` replications
  with 1 and with 2 local worker processes, and the parallel efficiency ``T1 / (2 T2)``
  (aim >= 0.95);
* the same sweep through a local Dask cluster of 2 workers, and its overhead per replication
  relative to the local pool (aim <= 5 %);
* the driver's peak Python memory (tracemalloc) for the sweep and for one with 10x more points
  (aim: flat, since results go to disk as they come);
* the variance reduction factor of common random numbers on one paired comparison:
  ``var(independent difference) / var(paired difference)``.

Usage::

    python benchmarks/bench_sweep.py [--scenario scenarios/smoke.yaml] [--points 20]
                                     [--replications 100] [--quick]

Run on an otherwise idle machine: every figure is a wall-clock time.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def make_sweep(scenario: Path, points: int, replications: int, seed: int = 1):
    """A grid over the scenario-wide ambush multiplier with ``points`` levels."""
    from corridorsim.experiments.sweep_spec import SweepSpec, resolve_sweep

    levels = tuple(float(x) for x in np.round(np.linspace(0.5, 3.0, points), 6))
    spec = SweepSpec(name="bench", base=str(scenario), replications=replications, seed=seed,
                     factors=[{"path": "threats.ambush_multiplier", "values": levels}])
    return resolve_sweep(spec)


def timed_sweep(sweep, executor, chunk, out: Path) -> float:
    """Wall time (s) of one sweep run (without memory tracing, which slows allocations)."""
    from corridorsim.experiments.sweep_runner import SweepRunner

    if out.exists():
        shutil.rmtree(out)
    t0 = time.perf_counter()
    SweepRunner(sweep, out, executor, chunk).run()
    return time.perf_counter() - t0


def traced_sweep(scenario: Path, points: int, replications: int, executor, chunk,
                 out: Path) -> float:
    """Driver's peak traced memory (MiB) to resolve and run a sweep of ``points`` points."""
    from corridorsim.experiments.sweep_runner import SweepRunner

    if out.exists():
        shutil.rmtree(out)
    tracemalloc.start()
    sweep = make_sweep(scenario, points, replications)
    SweepRunner(sweep, out, executor, chunk).run()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return peak


def crn_factor(scenario: Path, replications: int) -> tuple[float, float, float]:
    """Variance of a paired vs an independent difference of delivered litres."""
    from corridorsim import load_scenario, simulate

    sc = load_scenario(scenario)
    other = sc.model_copy(update={"threats": sc.threats.model_copy(update={"ambush_multiplier": 1.5})})
    a = simulate(sc, replications=replications, seed=1).summary.delivered_l.to_numpy(float)
    b_same = simulate(other, replications=replications, seed=1).summary.delivered_l.to_numpy(float)
    b_indep = simulate(other, replications=replications, seed=2).summary.delivered_l.to_numpy(float)
    v_paired = float(np.var(b_same - a, ddof=1))
    v_indep = float(np.var(b_indep - a, ddof=1))
    return v_paired, v_indep, v_indep / v_paired


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "smoke.yaml")
    ap.add_argument("--points", type=int, default=20)
    ap.add_argument("--replications", type=int, default=100)
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke check")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask figures")
    args = ap.parse_args(argv)
    if args.quick:
        args.points, args.replications = 6, 20

    from corridorsim.experiments.executors import DaskExecutor, InProcessExecutor, LocalPoolExecutor
    from corridorsim.experiments.sweep_tasks import TaskSizes, pilot_seconds_per_replication

    sweep = make_sweep(args.scenario, args.points, args.replications)
    per_rep = pilot_seconds_per_replication(sweep)
    chunk = TaskSizes.guided(per_rep, 2)  # what the command picks for 2 workers
    n = args.points * args.replications
    tmp = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    rows: list[tuple[str, str, str, str]] = []
    try:
        t_in = timed_sweep(sweep, InProcessExecutor(), chunk, tmp / "inproc")
        pools = {}
        for w in (1, 2):
            ex = LocalPoolExecutor(w)
            try:
                # warm the workers (process start, imports) outside the timing, as for Dask
                list(ex.map_unordered(abs, [1] * (2 * w)))
                pools[w] = timed_sweep(sweep, ex, chunk, tmp / f"pool{w}")
            finally:
                ex.close()
        eff = pools[1] / (2 * pools[2])
        rows += [
            ("sweep size", f"{args.points} x {args.replications}", "points x reps",
             f"tasks of {chunk.min_reps}-{chunk.max_reps} reps (guided), pilot {per_rep * 1e3:.2f} ms/rep"),
            ("in-process", f"{n / t_in:,.0f}", "rep/s", f"{t_in:.2f} s"),
            ("local pool, 1 worker", f"{n / pools[1]:,.0f}", "rep/s", f"{pools[1]:.2f} s"),
            ("local pool, 2 workers", f"{n / pools[2]:,.0f}", "rep/s", f"{pools[2]:.2f} s"),
            ("parallel efficiency T1/(2 T2)", f"{eff:.2f}", "", "aim >= 0.95: "
             + ("met" if eff >= 0.95 else "NOT met")),
        ]
        if not args.no_dask:
            try:
                ex = DaskExecutor(workers=2)
            except Exception as exc:  # optional extra missing
                rows.append(("dask", "-", "", f"skipped: {exc}"))
            else:
                try:
                    list(ex.map_unordered(abs, [1, 1, 1, 1]))
                    dask_chunk = TaskSizes.guided(per_rep, 2, dask=True)
                    t_dask = timed_sweep(sweep, ex, dask_chunk, tmp / "dask")
                finally:
                    ex.close()
                over = (t_dask - pools[2]) / pools[2]
                rows += [("Dask LocalCluster, 2 workers", f"{n / t_dask:,.0f}", "rep/s",
                          f"{t_dask:.2f} s, tasks of {dask_chunk.min_reps}-{dask_chunk.max_reps} reps"),
                         ("Dask overhead vs local pool", f"{100 * over:+.1f}", "%",
                          "aim <= 5 %: " + ("met" if over <= 0.05 else "NOT met"))]
        ex = LocalPoolExecutor(2)
        try:
            m_small = traced_sweep(args.scenario, args.points, max(2, args.replications // 10), ex,
                                   chunk, tmp / "mem-small")
            m_big = traced_sweep(args.scenario, 10 * args.points, max(2, args.replications // 10),
                                 ex, chunk, tmp / "mem-big")
        finally:
            ex.close()
        rows += [
            (f"driver peak memory, {args.points} points", f"{m_small:.2f}", "MiB",
             "tracemalloc: resolve + run"),
            (f"driver peak memory, {10 * args.points} points", f"{m_big:.2f}", "MiB",
             f"ratio {m_big / m_small:.2f} (aim: flat)"),
        ]
        vp, vi, factor = crn_factor(args.scenario, args.replications)
        rows += [("CRN variance reduction", f"{factor:.1f}", "x",
                  f"var paired {vp:.3g} vs independent {vi:.3g} (L^2), ambush x1 vs x1.5")]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    import platform

    import corridorsim

    print("corridorsim sweep benchmark")
    print(f"command:  python benchmarks/bench_sweep.py {' '.join(argv if argv is not None else sys.argv[1:])}".rstrip())
    print(f"scenario: {args.scenario.relative_to(ROOT) if args.scenario.is_relative_to(ROOT) else args.scenario}")
    print(f"corridorsim {corridorsim.__version__}, python {platform.python_version()}")
    print("-" * 100)
    for name, value, unit, note in rows:
        print(f"  {name:<38} {value:>12}  {unit:<14} {note}")
    print("-" * 100)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Every speed figure of the project's speed aims, from one run, each beside its aim.

1. time per replication of ``scenarios/mali_blockade_2025.yaml`` divided by the time of one bare
   SimPy timeout (aim <= 8,000);
2. the same for ``scenarios/mali/hindcast_calibrated.yaml``, whose ``uncertainty`` block draws
   parameters per replication (same aim);
3. the vectorised fast path's time per replication against the SimPy engine's on an eligible
   scenario (aim >= 50x), when ``corridorsim.model.vector`` exists;
4. sweep throughput of ``corridorsim sweep --workers 2`` against EMA Workbench's
   ``MultiprocessingEvaluator`` (2 processes) running the same model (one replication as a
   sweep task runs it, its summary row as outcomes) on the same design, 12 points x 50
   replications of the blockade (aim >= 1.5x), with the sweep's phases (start-up, pilot,
   simulation, writing, compaction, summaries) from its ``sweep.json``; 4b: the same on the
   fast path's scenario, 12 points x 1,000 replications (the sweep batches them onto the fast
   path; EMA calls the model once per replication, on the SimPy engine, the cheaper for one);
5. parallel efficiency of that sweep at 2 workers, ``T1 / (2 T2)``, both on the local pool
   (aim >= 0.95);
6. the same sweep on a Dask ``LocalCluster`` of 2 workers against the local pool, both started
   before the timing (aim: overhead <= 5 %).

Run from the repository root, on an otherwise idle machine (every figure is a wall-clock time)::

    python benchmarks/bench_speed.py            # a few minutes on 2 cores
    python benchmarks/bench_speed.py --quick    # smoke check: tiny sizes, figures meaningless
    python benchmarks/bench_speed.py --only fastpath   # figure 3 alone (about a minute)

EMA Workbench (``pip install ema-workbench``, part of the ``test`` extra) and Dask (the ``dask``
extra) are used only here; without them their figures read "not available".
See ``benchmarks/README.md`` for how each figure is measured.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_ema import cli_sweep, ema_sweep
from bench_engine import bare_simpy_round
from bench_sweep import make_sweep

from corridorsim import load_scenario
from corridorsim.experiments.executors import LocalPoolExecutor
from corridorsim.experiments.sweep_runner import SweepRunner
from corridorsim.experiments.sweep_tasks import TaskSizes, run_pilot, run_task
from corridorsim.model.plan import compile_scenario
from corridorsim.model.replication import run_replication_with_uncertainty

ROOT = Path(__file__).resolve().parent.parent
BLOCKADE = ROOT / "scenarios" / "mali_blockade_2025.yaml"
HINDCAST = ROOT / "scenarios" / "mali" / "hindcast_calibrated.yaml"
#: the shipped scenario the fast path covers (scheduled convoys only; docs/vector.md)
RELIEF = ROOT / "scenarios" / "relief_convoy_2025-10-07.yaml"
AIM_BARE_RATIO = 8_000  # time per replication / bare SimPy timeout, at most
AIM_VECTOR = 50.0  # engine / fast path time per replication, at least
AIM_EMA = 1.5  # EMA Workbench's time / corridorsim's, at least
#: replications per point of figure 4b (the eligible scenario: a sweep batches them onto the
#: fast path, EMA runs them one at a time)
FAST_SWEEP_REPS = 1_000
AIM_EFFICIENCY = 0.95  # T1 / (2 T2), at least
AIM_DASK = 0.05  # Dask's time / local pool's - 1, at most
#: Groups of figures ``--only`` can pick.
ONLY = ("engine", "fastpath", "sweep")


def met(ok: bool, by: str = "") -> str:
    return "met" if ok else f"NOT met{by}"


# ------------------------------------------------------------------------ 1, 2: engine vs SimPy
def per_replication_s(plan, seed: int, batch: int, repeats: int, bare_n: int) -> tuple[float, float]:
    """Median seconds per replication (through ``run_replication_with_uncertainty``, what every
    run and sweep calls) and per bare SimPy timeout, in rounds interleaved so that both see the
    same machine; two warm-up replications first (they fill the plan's caches)."""
    for r in range(2):
        run_replication_with_uncertainty(plan, seed, r)
    reps, bare = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for r in range(batch):
            run_replication_with_uncertainty(plan, seed, r)
        reps.append((time.perf_counter() - t0) / batch)
        bare.append(bare_simpy_round(bare_n))
    return statistics.median(reps), statistics.median(bare)


# ------------------------------------------------------------------------------ 3: fast path
def vector_speedup(path: Path, reps: int, repeats: int = 3) -> list[tuple[str, str, str]]:
    """Rows (label, value, note) of the fast path against the engine, or why there is none.

    Two figures: with every table (what ``corridorsim run`` writes) and with the summary only
    (what a sweep or a calibration keeps), each the SimPy engine's time per replication over
    the fast path's, both through :func:`corridorsim.experiments.engines.run_batch` followed by
    :func:`corridorsim.model.records.to_frames` (records to the DataFrames a run or a sweep
    task writes), the fast path in one batch of ``reps`` replications, in ``repeats``
    interleaved rounds after a warm-up (so that both engines see the same machine): the
    median of the rounds' ratios, and the median times.
    """
    from corridorsim.errors import CorridorSimError
    from corridorsim.experiments.engines import run_batch
    from corridorsim.model.records import to_frames

    plan = compile_scenario(load_scenario(path))
    seed, start = plan.scenario.seed, plan.scenario.start
    n_des = max(1, min(reps, 400))  # the engine's time per replication does not depend on it
    rows = []
    for label, tables in (("every table", ("daily", "events", "convoys")),
                          ("summary only (sweeps)", ())):
        def once(engine: str, n: int, tables=tables) -> float:
            t0 = time.perf_counter()
            to_frames(run_batch(plan, seed, range(n), engine, tables=tables), start, tables)
            return (time.perf_counter() - t0) / n
        try:
            once("vector", reps)  # warm-up: the plan's caches
            once("des", 3)
            # interleaved rounds, so that both engines see the same machine; median ratio
            rounds = [(once("des", n_des), once("vector", reps)) for _ in range(repeats)]
        except CorridorSimError as exc:
            return [("fast path speed-up vs engine", "-", f"not eligible: {exc}")]
        times = {"des": statistics.median(d for d, _ in rounds),
                 "vector": statistics.median(v for _, v in rounds)}
        ratio = statistics.median(d / v for d, v in rounds)
        rows.append((f"fast path speed-up, {label}", f"{ratio:,.1f}",
                     f"{times['des'] * 1e3:.2f} ms vs {times['vector'] * 1e6:.1f} us/rep, "
                     f"{reps} reps of {path.name}; aim >= {AIM_VECTOR:g}x: "
                     f"{met(ratio >= AIM_VECTOR)}"))
    return rows


# --------------------------------------------------------------- 4: the CLI against EMA Workbench
def sweep_vs_ema(tag: str, scenario: Path, points: int, reps: int, repeats: int, tmp: Path,
                 phases: bool) -> list[tuple[float, dict]]:
    """Print figure 4 for one scenario (and the sweep's phases if ``phases``); return the
    command's runs, ``(wall seconds, sweep.json timings)`` each."""
    levels = make_sweep(scenario, points, reps).design["threats.ambush_multiplier"].tolist()
    cli = [cli_sweep(scenario, levels, reps, tmp / "cli") for _ in range(repeats)]
    cli_s, timings = sorted(cli, key=lambda c: c[0])[len(cli) // 2]
    ema = [ema_sweep(scenario, points, reps) for _ in range(repeats)]
    n = points * reps
    label = f"{tag} sweep {points} x {reps} ({scenario.name}), 2 workers"
    if ema[0] is None:
        row(label, "-", "", "EMA Workbench not installed: pip install ema-workbench")
    else:
        ema_s = statistics.median(e[0] for e in ema)
        r = ema_s / cli_s
        row(label, f"{r:.2f}", "x", f"corridorsim sweep {cli_s:.2f} s ({n / cli_s:,.0f} rep/s), EMA "
            f"MultiprocessingEvaluator {ema_s:.2f} s + {ema[0][1]:.1f} s importing it; "
            f"aim >= {AIM_EMA:g}: " + met(r >= AIM_EMA))
    if not phases:
        return cli
    sim = timings["run_s"] - timings["write_s"] - timings["compaction_s"]
    parts = {"start-up (python, imports, pool start)": cli_s - timings["total_s"]
             + timings["imports_s"] + timings["executor_start_s"],
             "resolve the sweep": timings["resolve_s"], "pilot (its replications kept)":
             timings["pilot_s"], "simulation": sim, "writing parts": timings["write_s"],
             "canonical compaction": timings["compaction_s"],
             "summaries": timings["summaries_s"]}
    for name, sec in parts.items():
        row(f"     {name}", f"{sec:.2f}", "s", f"{100 * sec / cli_s:.1f} % of the command")
    return cli


# ---------------------------------------------------------------- 5, 6: pools and Dask
def runner_sweep(sweep, executor, workers: int, out: Path, dask: bool = False) -> float:
    """Wall seconds of pilot + run on a started executor, as the command does them."""
    if out.exists():
        shutil.rmtree(out)
    t0 = time.perf_counter()
    pilot = run_pilot(sweep)
    sizes = TaskSizes.guided(pilot.seconds_per_replication, workers, dask=dask)
    SweepRunner(sweep, out, executor, sizes, pilot=pilot).run()
    if isinstance(executor, BusyTimer):
        executor.busy_s += pilot.wall_s  # work the driver did for the workers
    return time.perf_counter() - t0


def timed_run_task(task) -> tuple[dict, float]:
    """``run_task`` and the wall seconds it took (on the worker)."""
    t0 = time.perf_counter()
    tables = run_task(task)
    return tables, time.perf_counter() - t0


class BusyTimer:
    """An executor that adds up how long its workers spent inside tasks."""

    def __init__(self, executor):
        self.executor, self.workers, self.busy_s = executor, executor.workers, 0.0

    def map_unordered(self, fn, tasks):
        assert fn is run_task
        for task, (tables, seconds) in self.executor.map_unordered(timed_run_task, tasks):
            self.busy_s += seconds
            yield task, tables


def local_pool_times(sweep, tmp: Path, repeats: int) -> tuple[list[float], list[float], list[float]]:
    """T1 and T2 runs (each starts its pool, like a command), alternating, and the workers'
    utilisation in the T2 runs: seconds inside tasks (and the pilot) / (2 T2)."""
    t1, t2, used = [], [], []
    for k in range(repeats):
        for w in ((1, 2) if k % 2 == 0 else (2, 1)):
            t0 = time.perf_counter()
            ex = BusyTimer(LocalPoolExecutor(w))
            try:
                runner_sweep(sweep, ex, w, tmp / f"pool{w}")
                t = time.perf_counter() - t0
            finally:
                ex.executor.close()
            (t1 if w == 1 else t2).append(t)
            if w == 2:
                used.append(ex.busy_s / (2 * t))
    return t1, t2, used


def dask_times(sweep, tmp: Path, repeats: int) -> tuple[list, list, float] | str:
    """Runs on a started local pool and a started Dask cluster (2 workers each), alternating,
    as ``(seconds, utilisation)`` pairs, and the cluster's start-up seconds; or why not."""
    pool = BusyTimer(LocalPoolExecutor(2))  # first: forked while this process has one thread
    try:
        from corridorsim.experiments.executors import DaskExecutor

        t0 = time.perf_counter()
        dask = BusyTimer(DaskExecutor(workers=2, preload=("corridorsim.experiments.sweep_tasks",)))
        start_s = time.perf_counter() - t0
    except Exception as exc:  # the optional extra is missing
        pool.executor.close()
        return f"not available ({exc})"
    local, remote = [], []
    try:
        for k in range(repeats):
            for ex, runs, is_dask in ((pool, local, False), (dask, remote, True))[::1 - 2 * (k % 2)]:
                ex.busy_s = 0.0
                t = runner_sweep(sweep, ex, 2, tmp / f"warm-{is_dask}", dask=is_dask)
                runs.append((t, ex.busy_s / (2 * t)))
    finally:
        pool.executor.close()
        dask.executor.close()
    return local, remote, start_s


# ------------------------------------------------------------------------------------ report
def row(label: str, value: str, unit: str = "", note: str = "") -> None:
    print(f"  {label:<46} {value:>10}  {unit:<7} {note}".rstrip())


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke check")
    ap.add_argument("--points", type=int, default=None, help="sweep points (12; --quick 3)")
    ap.add_argument("--replications", type=int, default=None,
                    help="replications per point (50; --quick 4)")
    ap.add_argument("--repeats", type=int, default=None, help="timed repeats, medians (3; 1)")
    ap.add_argument("--vector-scenario", type=Path, default=RELIEF,
                    help="scenario the fast path is compared on (default: the relief convoy, "
                         "the shipped scenario it covers)")
    ap.add_argument("--no-dask", action="store_true", help="skip figure 6")
    ap.add_argument("--only", choices=ONLY, action="append", default=None,
                    help="run only these figures (repeatable): engine (1, 2), fastpath (3), "
                         "sweep (4-6)")
    args = ap.parse_args(argv)
    only = set(args.only or ONLY)
    q = args.quick
    points = args.points or (3 if q else 12)
    reps = args.replications or (4 if q else 50)
    repeats = args.repeats or (1 if q else 3)
    batch, bare_n = (2, 20_000) if q else (20, 200_000)
    sweep_scenario = ROOT / "scenarios" / ("smoke.yaml" if q else "mali_blockade_2025.yaml")

    load = os.getloadavg()
    print("corridorsim speed benchmark (one run; every figure beside its aim)")
    print(f"command:  {shlex.join(['python', 'benchmarks/bench_speed.py', *argv])}")
    print(f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} cores; "
          f"load average at start {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1 / 5 / 15 min)")
    print("-" * 110)
    bare = None
    for i, path in ((1, BLOCKADE), (2, HINDCAST)) if "engine" in only else ():
        plan = compile_scenario(load_scenario(path))
        s_rep, bare_s = per_replication_s(plan, plan.scenario.seed, batch, repeats, bare_n)
        bare = bare_s if bare is None else bare
        ratio = s_rep / bare_s
        row(f"{i}. {path.name}: replication / bare timeout", f"{ratio:,.0f}", "x",
            f"{s_rep * 1e3:.2f} ms/rep, bare {bare_s * 1e6:.3f} us; aim <= {AIM_BARE_RATIO:,}: "
            + met(ratio <= AIM_BARE_RATIO, f" ({ratio / AIM_BARE_RATIO:.1f}x too slow)"))
    # 4,000 replications in one batch: the fast path's fixed cost per batch is spread as in
    # a run of 4,000 replications (a sweep task on the fast path is larger: 0.1 s of work)
    for k, (label, value, note) in enumerate(vector_speedup(args.vector_scenario,
                                                             20 if q else 4000, max(repeats, 5))
                                             if "fastpath" in only else ()):
        row(("3. " if k == 0 else "   ") + label, value, "x", note)
    if "sweep" not in only:
        print("-" * 110)
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="bench-speed-"))
    try:
        sweep = make_sweep(sweep_scenario, points, reps)
        cli = sweep_vs_ema("4. ", sweep_scenario, points, reps, repeats, tmp, phases=True)
        fast_reps = 40 if q else FAST_SWEEP_REPS
        sweep_vs_ema("4b.", args.vector_scenario, points, fast_reps, repeats, tmp, phases=False)

        t1, t2, used = local_pool_times(sweep, tmp, repeats)
        T1, T2 = statistics.median(t1), statistics.median(t2)
        eff = T1 / (2 * T2)
        row("5. parallel efficiency T1 / (2 T2)", f"{eff:.2f}", "", f"T1 {T1:.2f} s, T2 {T2:.2f} s "
            f"(pool start + pilot + run); aim >= {AIM_EFFICIENCY:g}: "
            + met(eff >= AIM_EFFICIENCY, f" by {AIM_EFFICIENCY - eff:.2f}"))
        row("     worker utilisation at 2 workers", f"{statistics.median(used):.2f}", "",
            "time inside tasks (and the pilot) / (2 T2): what the machinery loses, "
            "little disturbed by other load")
        got = "not run (--no-dask)" if args.no_dask else dask_times(sweep, tmp, repeats)
        if isinstance(got, str):
            row("6. Dask overhead vs local pool", "-", "", got)
        else:
            local, remote, start_s = got
            t_loc, t_dask = (statistics.median(t for t, _ in r) for r in (local, remote))
            u_loc, u_dask = (statistics.median(u for _, u in r) for r in (local, remote))
            over = u_loc / u_dask - 1
            row("6. Dask overhead vs local pool", f"{100 * over:+.1f}", "%",
                f"from utilisation: pool {u_loc:.3f}, Dask {u_dask:.3f}; aim <= "
                f"{100 * AIM_DASK:g} %: " + met(over <= AIM_DASK))
            row("     the same from wall times", f"{100 * (t_dask / t_loc - 1):+.1f}", "%",
                f"LocalCluster {t_dask:.2f} s vs pool {t_loc:.2f} s, both started "
                f"(cluster start {start_s:.1f} s, once per command)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("-" * 110)
    end = os.getloadavg()
    print(f"load average at the end {end[0]:.2f} / {end[1]:.2f} / {end[2]:.2f}; runs (s): "
          f"CLI {' '.join(f'{c[0]:.2f}' for c in cli)} | T1 {' '.join(f'{t:.2f}' for t in t1)} "
          f"| T2 {' '.join(f'{t:.2f}' for t in t2)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of the corridorsim engine: time per replication against a bare SimPy event, parallel
efficiency.

Every figure is measured in one run of this script, in the same process (the worker pools are
started from it), so the figures can be compared with each other:

* CPU ms per replication, in-process (median of ``--repeats`` batches, after a warm-up), of the
  scenario and of a scenario with parameter uncertainty (each replication draws its parameters);
* each divided by the CPU time of one bare SimPy ``yield env.timeout(1)`` event measured in
  rounds interleaved with them: the cost of a replication in bare events (aim <= 8,000);
* SimPy events per replication (mean of ``ReplicationRecords.sim_events``), and the share of
  replications whose feeder chain was replayed (``ReplicationRecords.fast_forwarded``, at every
  staging point or at some), for information;
* parallel efficiency of 2 workers against 1, both through the process pool (wall time);
* peak resident memory of this process.

In-process times are CPU times (``time.process_time``) so that other work on a shared machine
disturbs them less; the parallel figures are wall times by nature.

Run from the repository root::

    python benchmarks/bench_engine.py                 # default scenarios, 200 replications
    python benchmarks/bench_engine.py --quick         # smoke check, a few seconds
    python benchmarks/bench_engine.py --scenario scenarios/smoke.yaml --replications 400

See ``benchmarks/README.md`` for what each figure means.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import resource
import shlex
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import NamedTuple

import numpy as np
import simpy

from corridorsim.experiments import processes, replications
from corridorsim.model.engine import run_replication
from corridorsim.model.plan import ScenarioPlan, compile_scenario
from corridorsim.model.replication import run_replication_with_uncertainty
from corridorsim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCENARIO = "scenarios/mali_blockade_2025.yaml"
FALLBACK_SCENARIO = "scenarios/smoke.yaml"
UNCERTAINTY_SCENARIO = "scenarios/mali/hindcast_calibrated.yaml"

#: Aims (targets) the figures are compared with.
AIM_BARE_EVENTS_PER_REP = 8_000  # time per replication / time of one bare SimPy event, at most
AIM_PARALLEL_EFFICIENCY = 0.85  # T1 / (2 * T2), at least


# ----------------------------------------------------------------------------------- helpers
def _resolve(path: str) -> Path | None:
    """``path`` as given (relative to the working directory), else relative to the repository."""
    for cand in (Path(path), ROOT / path):
        if cand.is_file():
            return cand
    return None


def _display(path: Path) -> str:
    """A path for the report: relative to the repository when it is inside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _peak_rss_mib() -> float:
    """Peak resident set size of this process so far, MiB (ru_maxrss: KiB on Linux, B on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _command_line() -> str:
    argv = list(sys.argv)
    if argv and os.path.isabs(argv[0]):
        try:
            argv[0] = os.path.relpath(argv[0])
        except ValueError:  # another drive (Windows)
            pass
    return shlex.join(["python", *argv])


# ------------------------------------------------------------------------------ measurements
def _ticker(env: simpy.Environment, n: int):
    for _ in range(n):
        yield env.timeout(1.0)


def bare_simpy_round(n_events: int, clock=time.perf_counter) -> float:
    """Seconds per event of a bare SimPy loop: one process doing ``yield env.timeout(1.0)``.

    ``clock``: wall time by default (what ``bench_speed.py`` compares with wall times); this
    script passes ``time.process_time`` to compare CPU times.
    """
    env = simpy.Environment()
    env.process(_ticker(env, n_events))
    gc.collect()
    t0 = clock()
    env.run()
    return (clock() - t0) / n_events


def engine_round(run, plan: ScenarioPlan, seed: int, batch: int) -> tuple[float, tuple[float, float]]:
    """CPU seconds per replication of replications ``0 .. batch-1`` with ``run``; mean sim_events
    and share of replications with the feeder chain replayed."""
    gc.collect()  # every round starts from the same collector state (collections inside still count)
    t0 = time.process_time()
    recs = [run(plan, seed, r) for r in range(batch)]
    cpu = time.process_time() - t0
    return cpu / batch, (float(np.mean([rec.sim_events for rec in recs])),
                         float(np.mean([rec.fast_forwarded for rec in recs])))


def in_process(plans, seed: int, batch: int, bare_n: int, repeats: int):
    """Engine rounds of each (label, run, plan) and bare-SimPy rounds, interleaved so that all
    see the same machine state.

    Returns ({label: per-batch s/rep list}, {label: (mean sim_events per replication, share
    replayed)}, per-round bare s/event list).
    """
    for _, run, plan in plans:  # warm-up: route and leg caches of the plan, first-call costs
        for r in range(min(batch, 2)):
            run(plan, seed, r)
    bare_simpy_round(min(bare_n, 20_000), time.process_time)
    per_rep = {label: [] for label, _, _ in plans}
    events: dict[str, tuple[float, float]] = {}
    bare = []
    for _ in range(repeats):
        for label, run, plan in plans:
            s, events[label] = engine_round(run, plan, seed, batch)
            per_rep[label].append(s)
        bare.append(bare_simpy_round(bare_n, time.process_time))
    return per_rep, events, bare


def pool_run(plan: ScenarioPlan, seed: int, reps: list[int], workers: int, chunk_size: int) -> float:
    """Wall seconds to run ``reps`` on a pool of ``workers`` processes.

    Same machinery as :func:`corridorsim.experiments.replications.run_replications` (start method, initializer
    that ships the plan once per worker, chunk tasks), but also for a single worker, which
    ``run_replications`` would run in-process.
    """
    chunks = processes.chunked(reps, chunk_size)
    gc.collect()
    t0 = time.perf_counter()
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=processes.worker_context(),
        initializer=replications.init_worker,
        initargs=(plan,),
    ) as pool:
        results = list(pool.map(replications.run_chunk, [seed] * len(chunks), chunks))
    wall = time.perf_counter() - t0
    assert sum(len(c) for c in results) == len(reps)
    return wall


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def timed(fn, *args, **kwargs) -> float:
    gc.collect()
    t0 = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - t0


# ------------------------------------------------------------------------------------ report
def _row(label: str, value: str, unit: str = "", note: str = "") -> str:
    return f"  {label:<44} {value:>12}  {unit:<10} {note}".rstrip()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Benchmark the corridorsim engine (time per replication against a bare SimPy "
        "event, parallel efficiency, peak memory).")
    ap.add_argument("--scenario", default=None,
                    help=f"scenario YAML (default {DEFAULT_SCENARIO}; {FALLBACK_SCENARIO} if that "
                    "file does not exist)")
    ap.add_argument("--replications", type=int, default=None,
                    help="replications of the parallel runs (default 200; 20 with --quick)")
    ap.add_argument("--repeats", type=int, default=None,
                    help="timed repeats, the median is reported (default 5; 2 with --quick)")
    ap.add_argument("--batch", type=int, default=None,
                    help="replications per in-process repeat (default 20; 5 with --quick)")
    ap.add_argument("--bare-events", type=int, default=None,
                    help="events of the bare SimPy loop (default 200000; 50000 with --quick)")
    ap.add_argument("--uncertainty-scenario", default=UNCERTAINTY_SCENARIO,
                    help=f"scenario with an uncertainty block, run with its parameters drawn per "
                    f"replication (default {UNCERTAINTY_SCENARIO}; '' to leave it out)")
    ap.add_argument("--seed", type=int, default=None, help="root seed (default: the scenario's)")
    ap.add_argument("--no-parallel", action="store_true",
                    help="leave out the parallel runs (T0, T1, T2: most of the run time)")
    ap.add_argument("--quick", action="store_true", help="small numbers, for a smoke check")
    args = ap.parse_args(argv)

    replications = args.replications or (20 if args.quick else 200)
    repeats = args.repeats or (2 if args.quick else 5)
    batch = args.batch or (5 if args.quick else 20)
    bare_n = args.bare_events or (50_000 if args.quick else 200_000)
    for name, v in (("--replications", replications), ("--repeats", repeats), ("--batch", batch),
                    ("--bare-events", bare_n)):
        if v < 1:
            ap.error(f"{name} must be >= 1, got {v}")

    notes = []
    if args.scenario is None:
        path = _resolve(DEFAULT_SCENARIO)
        if path is None:
            path = _resolve(FALLBACK_SCENARIO)
            notes.append(f"NOTE: {DEFAULT_SCENARIO} does not exist yet; fell back to {FALLBACK_SCENARIO}.")
        if path is None:
            ap.error(f"neither {DEFAULT_SCENARIO} nor {FALLBACK_SCENARIO} found")
    else:
        path = _resolve(args.scenario)
        if path is None:
            ap.error(f"scenario file not found: {args.scenario}")

    t0 = time.perf_counter()
    plan = compile_scenario(load_scenario(path))
    compile_s = time.perf_counter() - t0
    seed = plan.scenario.seed if args.seed is None else args.seed
    plans = [("scenario", run_replication, plan)]
    upath = _resolve(args.uncertainty_scenario) if args.uncertainty_scenario else None
    if args.uncertainty_scenario and upath is None:
        ap.error(f"scenario file not found: {args.uncertainty_scenario}")
    if upath is not None:
        uplan = compile_scenario(load_scenario(upath))
        if not uplan.scenario.uncertainty.active:
            ap.error(f"{args.uncertainty_scenario}: no active uncertainty block")
        plans.append(("uncertainty", run_replication_with_uncertainty, uplan))

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")

    # 1. in-process speed and events, and 2. the bare SimPy loop, interleaved
    per_rep, events, bares = in_process(plans, seed, batch, bare_n, repeats)
    bare_s = statistics.median(bares)
    s_per_rep = {k: statistics.median(v) for k, v in per_rep.items()}
    spread = {k: (max(v) - min(v)) / s_per_rep[k] for k, v in per_rep.items()}
    skew = max(s_per_rep[k] / min(v) - 1 for k, v in per_rep.items())
    in_bare = {k: v / bare_s for k, v in s_per_rep.items()}
    rss_inproc = _peak_rss_mib()

    # 3. parallel efficiency, pool against pool (and in-process for reference)
    if args.no_parallel:
        _report(args, path, upath, plans, notes, load, compile_s, seed, repeats, batch, bare_n,
                s_per_rep, spread, skew, events, bare_s, in_bare, rss_inproc, None)
        return 0
    reps = list(range(replications))
    chunk = max(1, -(-len(reps) // (4 * 2)))  # what run_replications picks for 2 workers
    pool_run(plan, seed, [0, 1], 2, 1)  # warm-up: starts the forkserver (preloads the engine)
    t_inproc, t_pool1, t_pool2 = [], [], []
    for k in range(repeats):
        # alternate the order so that drifts (heat, other load) hit both sides alike
        order = ("1", "2") if k % 2 == 0 else ("2", "1")
        for which in order:
            if which == "1":
                t_pool1.append(pool_run(plan, seed, reps, 1, chunk))
            else:
                t_pool2.append(timed(replications.run_replications, plan, seed, reps, workers=2,
                                     chunk_size=None))
        t_inproc.append(timed(replications.run_replications, plan, seed, reps, workers=1))
    T1, T2, T0 = (statistics.median(t) for t in (t_pool1, t_pool2, t_inproc))
    par_runs = (t_pool1, t_pool2, t_inproc)
    par_skew = max(statistics.median(t) / min(t) - 1 for t in par_runs)  # median above the best run
    par_outlier = max(max(t) / min(t) - 1 for t in par_runs)
    eff = T1 / (2 * T2)
    eff_inproc = T0 / (2 * T2)

    parallel = Parallel(replications, chunk, T0, T1, T2, eff, eff_inproc, t_inproc, t_pool1,
                        t_pool2, par_skew, par_outlier)
    _report(args, path, upath, plans, notes, load, compile_s, seed, repeats, batch, bare_n,
            s_per_rep, spread, skew, events, bare_s, in_bare, rss_inproc, parallel)
    return 0


class Parallel(NamedTuple):
    """The parallel runs' figures (seconds, wall time)."""

    replications: int
    chunk: int
    T0: float
    T1: float
    T2: float
    eff: float
    eff_inproc: float
    t_inproc: list
    t_pool1: list
    t_pool2: list
    skew: float
    outlier: float


def _report(args, path, upath, plans, notes, load, compile_s, seed, repeats, batch, bare_n,
            s_per_rep, spread, skew, events, bare_s, in_bare, rss_inproc,
            par: Parallel | None) -> None:
    plan = plans[0][2]
    line = "-" * 100
    print("corridorsim engine benchmark")
    print(f"command:   {_command_line()}")
    print(f"scenario:  {_display(path)}  ({plan.scenario.name}, {plan.days} days, seed {seed})")
    if upath is not None:
        drawn = plans[1][2].scenario
        print(f"uncertainty: {_display(upath)}  ({drawn.name}, {drawn.days} days; parameters drawn "
              "per replication, run_replication_with_uncertainty)")
    for n in notes:
        print(n)
    print(f"python {platform.python_version()}, simpy {simpy.__version__}, numpy {np.__version__}, "
          f"{processes.default_workers()} usable cores, pool start method "
          f"{processes.worker_context().get_start_method()}")
    print(f"machine:   1-min load average {load:.2f} at start (other work on the machine skews every figure)")
    par_note = (f"parallel runs {par.replications} replications (chunks of {par.chunk})" if par
                else "no parallel runs")
    print(f"settings:  repeats {repeats} (medians), in-process batch {batch} replications, "
          f"{par_note}, bare loop {bare_n} events; in-process times are CPU times")
    print(line)
    print(_row("figure", "value", "unit", "aim / note"))
    print(line)
    print(_row("compile scenario (load + plan)", f"{compile_s * 1e3:.1f}", "ms", "once per run"))
    print(_row("bare SimPy event, CPU time", f"{bare_s * 1e6:.3f}", "us/event",
               "yield env.timeout(1.0) loop"))
    names = {"scenario": _display(path), "uncertainty": "with uncertainty"}
    for label in s_per_rep:
        print(_row(f"[{label}] time per replication", f"{s_per_rep[label] * 1e3:.3f}", "ms/rep",
                   f"CPU; median of {repeats} x {batch} reps; spread {spread[label]:.0%}"))
        print(_row(f"[{label}] replication / bare SimPy event", f"{in_bare[label]:,.0f}", "x",
                   f"aim <= {AIM_BARE_EVENTS_PER_REP:,}: "
                   f"{met(in_bare[label] <= AIM_BARE_EVENTS_PER_REP)}"
                   + (f" (x{in_bare[label] / AIM_BARE_EVENTS_PER_REP:.1f})"
                      if in_bare[label] > AIM_BARE_EVENTS_PER_REP else "")))
        print(_row(f"[{label}] SimPy events per replication", f"{events[label][0]:.1f}", "events",
                   f"mean of sim_events; {names[label]}"))
        print(_row(f"[{label}] feeder chain replayed", f"{events[label][1]:.0%}", "of reps",
                   "convoy formation computed once per plan (docs/model.md)"))
    if par is not None:
        print(_row(f"T0: {par.replications} reps, run_replications workers=1", f"{par.T0:.3f}", "s",
                   "in-process, no pool; wall"))
        print(_row(f"T1: {par.replications} reps, pool with 1 worker", f"{par.T1:.3f}", "s",
                   "same pool machinery as workers=2"))
        print(_row(f"T2: {par.replications} reps, run_replications workers=2", f"{par.T2:.3f}", "s",
                   "process pool"))
        print(_row("pool overhead T1 - T0", f"{par.T1 - par.T0:.3f}", "s",
                   "start workers, ship plan, return records"))
        print(_row("speed-up T1 / T2", f"{par.T1 / par.T2:.2f}", "x"))
        print(_row("parallel efficiency T1 / (2 T2)", f"{par.eff:.2f}", "",
                   f"aim >= {AIM_PARALLEL_EFFICIENCY:g}: {met(par.eff >= AIM_PARALLEL_EFFICIENCY)}"))
        print(_row("efficiency vs in-process T0 / (2 T2)", f"{par.eff_inproc:.2f}", "",
                   "workers=2 vs workers=1 as called"))
    print(_row("peak RSS, after the in-process part", f"{rss_inproc:.1f}", "MiB",
               f"ru_maxrss; holds {batch} replications' records"))
    if par is not None:
        print(_row("peak RSS of this process, whole run", f"{_peak_rss_mib():.1f}", "MiB",
                   f"ru_maxrss; parent holds {par.replications} records (workers not counted)"))
    print(line)
    if par is not None:
        print("runs (s):  T0 " + " ".join(f"{t:.3f}" for t in par.t_inproc) + " | T1 "
              + " ".join(f"{t:.3f}" for t in par.t_pool1) + " | T2 "
              + " ".join(f"{t:.3f}" for t in par.t_pool2))
        if par.skew > 0.10:
            print(f"WARNING: a median parallel time is {par.skew:.0%} above the best run of its kind: "
                  "other work was using the cores; the efficiency figure is unreliable, re-run on "
                  "an idle machine.")
        elif par.outlier > 0.25:
            print(f"note: some parallel runs were up to {par.outlier:.0%} slower than the best (other "
                  "work on the machine); the medians above leave such outliers out.")
    if skew > 0.10:
        print(f"WARNING: a median in-process batch is {skew:.0%} above the best one: the machine was "
              "busy; re-run on an idle machine, or with a larger --batch, for firm figures.")


if __name__ == "__main__":
    sys.exit(main())

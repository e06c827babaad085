"""Vectorised fast path against the SimPy engine: time per replication on an eligible scenario.

Prints, from one run, the time per replication of

* the SimPy engine (``run_replication``, one replication after another, in this process),
  with every table and with the summary and destination rows only;
* the fast path making every table (what ``corridorsim run --engine vector`` does), in batches
  of :data:`corridorsim.experiments.replications.VECTOR_BATCH` replications;
* the fast path making only the summary and destination rows (what a sweep keeps by default);
* the fast path's array work alone (the trajectories, no records),

each up to the DataFrames a run or a sweep task writes (``to_frames``), and the speed-up of
each against the engine with the same tables, beside the aim (>= 50x). The first
replications of both engines are compared field by field first: the figures are for
identical results.

Usage::

    python benchmarks/bench_vector.py [--scenario scenarios/relief_convoy_2025-10-07.yaml]
                                      [--replications 20480] [--des-replications 400]
                                      [--repeats 3] [--quick]

Every figure is the median of ``--repeats`` rounds (wall clock, in this process, after a
warm-up; each round times every figure once, so that all see the same machine); run it on an
otherwise idle machine.
"""

from __future__ import annotations

import argparse
import gc
import platform
import shlex
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from corridorsim.experiments.replications import VECTOR_BATCH
from corridorsim.model.engine import run_replication
from corridorsim.model.plan import compile_scenario
from corridorsim.model.records import to_frames
from corridorsim.model.vector import ineligibility, run_replications_vector
from corridorsim.model.vector.run import Trajectories
from corridorsim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SCENARIO = ROOT / "scenarios" / "relief_convoy_2025-10-07.yaml"
AIM_SPEEDUP = 50.0
ALL = ("daily", "events", "convoys")


def timed(fn, repeats: int) -> float:
    """Median seconds of ``fn()`` over ``repeats`` rounds (the collector emptied before each)."""
    times = []
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def in_batches(plan, seed: int, n: int, tables) -> None:
    for first in range(0, n, VECTOR_BATCH):
        recs = run_replications_vector(plan, seed, range(first, min(n, first + VECTOR_BATCH)),
                                       tables=tables)
        to_frames(recs, plan.scenario.start, tables)


def engine(plan, seed: int, n: int, tables) -> None:
    recs = [run_replication(plan, seed, r, tables={*tables, "destinations"}) for r in range(n)]
    to_frames(recs, plan.scenario.start, tables)


def core_only(plan, seed: int, n: int) -> None:
    for first in range(0, n, VECTOR_BATCH):
        reps = np.arange(first, min(n, first + VECTOR_BATCH))
        Trajectories(plan, seed, reps, np).run()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    ap.add_argument("--replications", type=int, default=20480,
                    help="replications per fast-path round [default: 20480]")
    ap.add_argument("--des-replications", type=int, default=400,
                    help="replications per SimPy-engine round [default: 400]")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--quick", action="store_true", help="small numbers: a smoke check")
    args = ap.parse_args(argv)
    if args.quick:
        args.replications, args.des_replications, args.repeats = 2048, 40, 1
    sc = load_scenario(args.scenario)
    plan = compile_scenario(sc)
    reason = ineligibility(plan)
    if reason is not None:
        print(f"error: {args.scenario} is not eligible for the fast path: {reason}",
              file=sys.stderr)
        return 2
    seed = sc.seed if args.seed is None else args.seed
    print("command   :", shlex.join(["python", *sys.argv]))
    print(f"scenario  : {args.scenario.name} ({len(sc.convoys)} convoy(s), "
          f"{plan.days} days)")
    print(f"python {platform.python_version()}, numpy {np.__version__}; batches of "
          f"{VECTOR_BATCH}; medians of {args.repeats} round(s)")
    # identical results first (the figures compare equal outputs)
    check = min(50, args.des_replications)
    vec = run_replications_vector(plan, seed, range(check))
    same = all(repr(v.summary) == repr(run_replication(plan, seed, r).summary)  # NaN-safe
               for r, v in enumerate(vec))
    print(f"check     : summaries of replications 0-{check - 1} identical on both engines: {same}")
    # warm-up: caches of the plan, first-call costs
    for r in range(3):
        run_replication(plan, seed, r)
    in_batches(plan, seed, min(args.replications, VECTOR_BATCH), ALL)
    n_des, n_vec = args.des_replications, args.replications
    figures = {  # label: (what it times, replications, the engine figure it is compared with)
        "SimPy engine (des), all tables": (lambda: engine(plan, seed, n_des, ALL), n_des, None),
        "SimPy engine (des), summary only": (lambda: engine(plan, seed, n_des, ()), n_des, None),
        "fast path, all tables (corridorsim run)":
            (lambda: in_batches(plan, seed, n_vec, ALL), n_vec, "SimPy engine (des), all tables"),
        "fast path, summary only (sweep default)":
            (lambda: in_batches(plan, seed, n_vec, ()), n_vec, "SimPy engine (des), summary only"),
        "fast path, arrays only (no records)":
            (lambda: core_only(plan, seed, n_vec), n_vec, "SimPy engine (des), summary only"),
    }
    rounds = {label: [] for label in figures}
    for _ in range(args.repeats):
        for label, (fn, n, _) in figures.items():
            rounds[label].append(timed(fn, 1) / n)
    per_rep = {label: statistics.median(times) for label, times in rounds.items()}
    print()
    print(f"{'figure':<44}{'us/rep':>10}{'speed-up':>10}   aim")
    for label, (_, _, against) in figures.items():
        t = per_rep[label]
        if against is None:
            print(f"{label:<44}{t * 1e6:>10.1f}{'1.0x':>10}")
            continue
        ratio = statistics.median(d / v for d, v in zip(rounds[against], rounds[label]))
        note = "" if "arrays" in label else \
            f">= {AIM_SPEEDUP:.0f}x: {'met' if ratio >= AIM_SPEEDUP else 'NOT met'}"
        print(f"{label:<44}{t * 1e6:>10.1f}{ratio:>9.1f}x   {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of parameter uncertainty: what drawing a replication's parameters costs.

A scenario with an ``uncertainty`` block draws, per replication, its uncertain parameters and
runs the engine on the plan they give. This script measures, in CPU time per replication:

* ``draw``: drawing the values (:func:`corridorsim.scenario.priors.draw_parameters`);
* ``full rebuild``: applying them and compiling the whole plan again (``compile_scenario``),
  what every replication did before plans were rebuilt in part;
* ``partial rebuild``: applying them and rebuilding only the plan parts the drawn paths feed
  (:meth:`corridorsim.model.plan.ScenarioPlan.with_scenario`), what a replication does now;
* ``engine``: one replication on a prebuilt, warm plan (for scale);
* ``with uncertainty``: one replication through ``run_replication_with_uncertainty``.

Run from the repository root::

    python benchmarks/bench_uncertainty.py             # hindcast_calibrated.yaml, 40 replications
    python benchmarks/bench_uncertainty.py --quick     # a few seconds
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
import time
from pathlib import Path

from corridorsim import load_scenario
from corridorsim.model.engine import run_replication
from corridorsim.model.plan import compile_scenario
from corridorsim.model.replication import run_replication_with_uncertainty
from corridorsim.model.streams import replication_streams
from corridorsim.scenario.priors import apply_parameters, draw_parameters

DEFAULT = Path("scenarios/mali/hindcast_calibrated.yaml")


def per_replication_ms(fn, replications: int, repeats: int) -> float:
    """Median over ``repeats`` of the CPU ms per call of ``fn(r)`` for r in 0..replications-1."""
    runs = []
    for _ in range(repeats):
        t = time.process_time()
        for r in range(replications):
            fn(r)
        runs.append((time.process_time() - t) / replications * 1000)
    return statistics.median(runs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", type=Path, default=DEFAULT, help="scenario with an uncertainty block")
    ap.add_argument("--replications", type=int, default=40, help="replications per timing round")
    ap.add_argument("--repeats", type=int, default=5, help="timing rounds (the median is reported)")
    ap.add_argument("--seed", type=int, default=1, help="root seed")
    ap.add_argument("--quick", action="store_true", help="10 replications, 3 rounds")
    args = ap.parse_args(argv)
    if args.quick:
        args.replications, args.repeats = 10, 3

    sc = load_scenario(args.scenario)
    if not sc.uncertainty.active:
        sys.stderr.write(f"{args.scenario}: no uncertainty block\n")
        return 2
    plan = compile_scenario(sc)
    n, k, seed = args.replications, args.repeats, args.seed
    values = [draw_parameters(sc, replication_streams(seed, r)["parameters"]) for r in range(n)]
    warm = [compile_scenario(apply_parameters(sc, v)) for v in values]
    for r, p in enumerate(warm):  # fill the route caches: the engine alone, at steady state
        run_replication(p, seed, r)
    run_replication_with_uncertainty(plan, seed, 0)

    figures = {
        "draw": per_replication_ms(
            lambda r: draw_parameters(sc, replication_streams(seed, r)["parameters"]), n, k),
        "full rebuild": per_replication_ms(
            lambda r: compile_scenario(apply_parameters(sc, values[r])), n, k),
        "partial rebuild": per_replication_ms(
            lambda r: plan.with_scenario(apply_parameters(sc, values[r]), values[r]), n, k),
        "engine": per_replication_ms(lambda r: run_replication(warm[r], seed, r), n, k),
        "with uncertainty": per_replication_ms(
            lambda r: run_replication_with_uncertainty(plan, seed, r), n, k),
    }
    print(f"command: {shlex.join(['python', *sys.argv])}")
    print(f"scenario: {args.scenario} (drawn paths: {', '.join(values[0])})")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}; CPU ms per replication, "
          f"median of {k} rounds of {n}")
    for name, ms in figures.items():
        print(f"  {name:17s} {ms:7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

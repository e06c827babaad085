"""Benchmark of the work plans share: a sweep's points and a replication's drawn parameters.

Two figures, in CPU time (``time.process_time``), so that other work on a shared machine
disturbs them less:

* **sweep points**: the 12 points of ``bench_speed.py``'s figure 4 (the blockade over
  ``threats.ambush_multiplier``), each point's plan made as a sweep worker makes it, then its
  first replication and 5 more (summary only, ``tables=()``, as a sweep task builds). Two ways,
  in interleaved rounds: every point compiled on its own (``compile_scenario``, what a worker
  did before plans were derived) and every point's plan from one ``PlanFamily`` (what a worker
  does now: derived from the closest plan held). Printed: the plan and first replication's CPU
  ms per point against the steady replication's, and the sum over the 12 points of what the
  first replication costs above the steady ones (plus making the plan): the fixed cost per
  point a worker pays;
* **drawn parameters**: on the calibrated hindcast (``uncertainty`` block), per replication,
  ``run_replication_with_uncertainty`` (draw, rebuild the plan's parts the draw feeds, run on
  the drawn plan) against ``run_replication`` on a warm plan of the same drawn values (the
  same simulation), one after the other, alternating which goes first; the median of the
  per-replication differences is what drawing costs.

Run from the repository root::

    python benchmarks/bench_plan_sharing.py          # about half a minute
    python benchmarks/bench_plan_sharing.py --quick  # smoke check
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
import time
from pathlib import Path

from bench_sweep import make_sweep

from corridorsim import load_scenario
from corridorsim.model.engine import run_replication
from corridorsim.model.plan import compile_scenario
from corridorsim.model.plan_family import PlanFamily
from corridorsim.model.replication import run_replication_with_uncertainty
from corridorsim.model.streams import replication_stream
from corridorsim.scenario.documents import scenario_hash
from corridorsim.scenario.priors import apply_parameters, draw_parameters

ROOT = Path(__file__).resolve().parent.parent
BLOCKADE = ROOT / "scenarios" / "mali_blockade_2025.yaml"
HINDCAST = ROOT / "scenarios" / "mali" / "hindcast_calibrated.yaml"
STEADY = 5  # replications after the first, per point


def sweep_round(points, family: bool, seed: int) -> tuple[list[float], list[float]]:
    """CPU ms of (plan + first replication) and of the median steady replication, per point."""
    fam = PlanFamily(16) if family else None
    first, steady = [], []
    for sc in points:
        t0 = time.process_time()
        plan = fam.plan(sc, scenario_hash(sc)) if fam is not None else compile_scenario(sc)
        run_replication(plan, seed, 0, tables=())
        first.append((time.process_time() - t0) * 1e3)
        times = []
        for r in range(1, 1 + STEADY):
            t0 = time.process_time()
            run_replication(plan, seed, r, tables=())
            times.append((time.process_time() - t0) * 1e3)
        steady.append(statistics.median(times))
    return first, steady


def drawing_cost(n: int, seed: int) -> tuple[float, float, float]:
    """Median CPU ms of a replication with uncertainty, of the engine on a warm plan of the
    same draw, and of the paired difference."""
    sc = load_scenario(HINDCAST)
    plan = compile_scenario(sc)
    values = [draw_parameters(sc, replication_stream(seed, r, "parameters")) for r in range(n)]
    warm = [compile_scenario(apply_parameters(sc, v)) for v in values]
    for r, p in enumerate(warm):
        run_replication(p, seed, r)
    run_replication_with_uncertainty(plan, seed, 0)
    drawn, engine = [], []
    for r in range(n):
        runs = [lambda r=r: run_replication_with_uncertainty(plan, seed, r),
                lambda r=r: run_replication(warm[r], seed, r)]
        got = []
        for fn in (runs if r % 2 else runs[::-1]):
            t0 = time.process_time()
            fn()
            got.append((time.process_time() - t0) * 1e3)
        a, b = got if r % 2 else got[::-1]
        drawn.append(a)
        engine.append(b)
    diff = statistics.median(a - b for a, b in zip(drawn, engine))
    return statistics.median(drawn), statistics.median(engine), diff


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=4, help="interleaved rounds of each way")
    ap.add_argument("--replications", type=int, default=120, help="drawn replications")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="1 round, 10 drawn replications")
    args = ap.parse_args(argv)
    if args.quick:
        args.rounds, args.replications = 1, 10
    points = list(make_sweep(BLOCKADE, 12, 1).scenarios)  # bench_speed's figure 4
    print(f"command: {shlex.join(['python', *sys.argv])}")
    print(f"load average at the start: {os.getloadavg()[0]:.1f}; CPU ms")
    got: dict[bool, list[tuple[list[float], list[float]]]] = {False: [], True: []}
    for _ in range(args.rounds):
        for family in (False, True):
            got[family].append(sweep_round(points, family, args.seed))
    print(f"sweep points: {len(points)} points of {BLOCKADE.name} over threats.ambush_multiplier, "
          f"median of {args.rounds} rounds")
    for family, label in ((False, "each point compiled"), (True, "plans from a PlanFamily")):
        rounds = got[family]
        first = [statistics.median(r[0][k] for r in rounds) for k in range(len(points))]
        steady = [statistics.median(r[1][k] for r in rounds) for k in range(len(points))]
        fixed = statistics.median(sum(f) - sum(s) for f, s in rounds)
        print(f"  {label:24s} plan + first replication per point: "
              f"{' '.join(f'{x:.0f}' for x in first)}")
        print(f"  {'':24s} steady replication per point:       "
              f"{' '.join(f'{x:.0f}' for x in steady)}")
        print(f"  {'':24s} fixed cost of the 12 points (plan + first - steady): {fixed:.0f} ms")
    drawn, engine, diff = drawing_cost(args.replications, args.seed)
    print(f"drawn parameters: {HINDCAST.name}, {args.replications} replications, every table")
    print(f"  with uncertainty {drawn:.2f}, engine on a warm plan of the same draw {engine:.2f}, "
          f"paired difference (what drawing costs) {diff:.2f}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

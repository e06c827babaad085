"""Commands on many variants of a scenario: ``sweep`` (points times replications, resumable,
local or Dask) and ``summarize`` (per-point tables of a finished sweep).
"""

from __future__ import annotations

import shlex
import time
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from ..atomic import check_output_dir
from .app import (
    engine_note,
    engine_option,
    fmt_value,
    importing,
    main,
    make_executor,
    out_console,
    resumable,
    say_engine,
    shown_unit,
    user_errors,
)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--set", "sets", multiple=True, metavar="PATH=V1,V2,...",
              help="With a scenario FILE: a factor and its values (repeat for a grid); "
                   "PATH=LOW:HIGH gives a range (Latin hypercube).")
@click.option("--reference", "reference", multiple=True, metavar="PATH=VALUE|POINT",
              help="Point that paired differences compare against: factor values (repeat) or a "
                   "point index [default: the sweep file's reference; with --set, the scenario "
                   "as written when its values are among the levels, else point 0].")
@click.option("-n", "--replications", type=click.IntRange(min=1), default=None,
              help="Replications per point [default: the sweep's (or scenario's)].")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Root seed.")
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Results directory [default: runs/<sweep name>].")
@click.option("-w", "--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes (local) or LocalCluster workers (dask) [default: every core "
                   "this process may use]; 1 runs in this process.")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="local worker processes, or Dask (a LocalCluster, or --scheduler).")
@click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
              help="Address of an existing Dask scheduler (implies --executor dask).")
@click.option("--chunk-size", type=click.IntRange(min=1), default=None,
              help="Replications per task [default: chosen from a pilot run].")
@click.option("--dry-run", is_flag=True, help="Print points, tasks and an estimated run time; "
                                              "run nothing.")
@click.option("--resume", is_flag=True, help="Continue an interrupted sweep in the same directory.")
@click.option("--checkpoint-s", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="Write finished tasks to disk at least this often (0: after every task), "
                   "so that --resume after a crash loses at most this much work. [default: 30]")
@click.option("--force", is_flag=True, help="Replace an existing results directory.")
@click.option("--target-halfwidth", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Add replications until the 95% CI of --metric is this narrow (relative).")
@click.option("--metric", default=None, help="Metric for --target-halfwidth [default: delivered_l].")
@click.option("--max-replications", type=click.IntRange(min=1), default=None,
              help="Cap on replications per point with --target-halfwidth [default: 10 x -n].")
@engine_option
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no tables.")
@user_errors
def sweep(file: Path, sets: tuple[str, ...], reference: tuple[str, ...], replications: int | None,
          seed: int | None, out_dir: Path | None, workers: int | None, executor: str, scheduler: str | None,
          chunk_size: int | None, dry_run: bool, resume: bool, force: bool,
          target_halfwidth: float | None, metric: str | None, max_replications: int | None,
          checkpoint_s: float | None, engine: str,
          quiet: bool) -> None:
    """Run a sweep: FILE is a sweep file, or a scenario file with --set options."""
    t_start = time.perf_counter()
    with importing():
        from ..errors import ScenarioError
        from ..experiments.processes import default_workers
        from ..experiments.rundir import package_versions
        from ..experiments.summaries import summarize_sweep, write_summaries
        from ..experiments.sweep_runner import SweepRunner
        from ..experiments.sweep_schema import Precision
        from ..experiments.sweep_spec import (
            is_sweep_file,
            load_sweep,
            parse_reference_option,
            resolve_sweep,
            sweep_from_sets,
        )
        from ..experiments.sweep_tasks import SweepPlanSummary, TaskSizes, run_pilot
        from ..scenario.loading import load_scenario

    timings = {"imports_s": time.perf_counter() - t_start}

    if is_sweep_file(file):
        if sets:
            raise ScenarioError("--set", "--set applies to a scenario file; put factors in the "
                                         "sweep file instead", str(file))
        spec = load_sweep(file)
    else:
        sc = load_scenario(file)
        spec = sweep_from_sets(file, sets, replications or sc.replications,
                               sc.seed if seed is None else seed)
    update: dict[str, Any] = {}
    ref = parse_reference_option(reference)
    if ref is not None:
        update["reference"] = ref
    if replications is not None:
        update["replications"] = replications
    if seed is not None:
        update["seed"] = seed
    if target_halfwidth is not None:
        n0 = replications or spec.replications
        update["precision"] = Precision(metric=metric or "delivered_l",
                                        target_halfwidth=target_halfwidth,
                                        max_replications=max_replications or 10 * n0)
    elif metric or max_replications:
        raise ScenarioError("--target-halfwidth", "--metric and --max-replications go with "
                                                  "--target-halfwidth")
    if update:
        spec = spec.model_copy(update=update)
    t0 = time.perf_counter()
    resolved = resolve_sweep(spec, str(file))
    timings["resolve_s"] = time.perf_counter() - t0
    out = out_dir if out_dir is not None else Path("runs") / spec.name
    if scheduler:
        executor = "dask"
    w = workers or default_workers()
    choice = say_engine([resolved.scenarios[resolved.reference],
                         *(s for i, s in enumerate(resolved.scenarios)
                           if i != resolved.reference)], engine, quiet=True)
    n_points = len(resolved.design)

    def task_sizes(pilot) -> TaskSizes:
        if chunk_size:
            return TaskSizes.fixed(chunk_size)
        if pilot is None:  # resuming: the directory's sizes
            return TaskSizes.fixed(spec.replications)
        return TaskSizes.guided(pilot.seconds_per_replication, w, dask=executor == "dask")

    if dry_run:
        per_rep = run_pilot(resolved, engine=engine).seconds_per_replication
        sizes = TaskSizes.fixed(chunk_size) if chunk_size else \
            TaskSizes.guided(per_rep, w, dask=executor == "dask")
        cut = [n for _, _, n in sizes.cut(list(range(n_points)), 0, spec.replications)]
        info = SweepPlanSummary(n_points, spec.replications, len(cut), max(cut), per_rep, w,
                                None if chunk_size else min(cut))
        out_console.print(f"sweep {spec.name}: {info.points} points x {info.replications} replications = "
                   f"{info.points * info.replications} replications in {info.tasks} tasks of "
                   f"{info.task_sizes}", markup=False)
        per = info.seconds_per_replication  # the fast path's are some microseconds
        per_text = f"{per * 1e3:.1f} ms" if per >= 1e-4 else f"{per * 1e6:.1f} µs"
        out_console.print(f"pilot: {per_text} per replication; "
                   f"estimated {info.estimated_s:.1f} s on {w} worker(s)"
                   + (" (before precision-driven replications)" if spec.precision else ""),
                   markup=False)
        out_console.print(f"results would go to {out}/", markup=False)
        engine_note(choice)
        return
    resuming = check_output_dir(out, force=force, resume=resume, what="results directory") \
        and resume
    t0 = time.perf_counter()
    ex = make_executor(executor, scheduler, w)  # the workers start while the pilot runs
    timings["executor_start_s"] = time.perf_counter() - t0
    args = ["corridorsim", "sweep", str(file), *[f"--set={s}" for s in sets],
            *[f"--reference={r}" for r in reference], "--replications",
            str(spec.replications), "--seed", str(spec.seed), "--out", str(out),
            "--engine", engine]
    flush = {} if checkpoint_s is None else {"flush_s": checkpoint_s}

    # the pilot's replications are the sweep's first task (none when resuming: the directory
    # fixes the task sizes); it runs before anything is written, while the workers start
    try:
        pilot = None if resuming else run_pilot(resolved, engine=engine)
    except BaseException:
        ex.close(abort=True)
        raise
    timings["pilot_s"] = pilot.wall_s if pilot else 0.0

    def work(progress):
        runner = SweepRunner(resolved, out, ex, task_sizes(pilot), resume=resume, force=force,
                             pilot=pilot, **flush, manifest_extra={
            "command": " ".join(shlex.quote(a) for a in args), "versions": package_versions(),
            "executor": executor, "workers": ex.workers,  # a cluster's size, with --scheduler
            "engine_used": choice.engine,
        }, engine=engine)
        return runner, runner.run(progress=progress)

    runner, counts = resumable(work, spec.name, n_points * spec.replications, ex, out, "tasks",
                               quiet)
    t0 = time.perf_counter()
    tables = summarize_sweep(out)
    write_summaries(out, tables)
    timings.update(counts["timings_s"], summaries_s=time.perf_counter() - t0)
    timings["total_s"] = time.perf_counter() - t_start
    runner.add_to_manifest(timings_s={k: round(v, 4) for k, v in timings.items()})
    if not quiet:
        _print_sweep_tables(tables, resolved.factor_columns, spec.precision.metric
                            if spec.precision else "delivered_l")
        ref_row = resolved.design.loc[resolved.reference, resolved.factor_columns].to_dict()
        out_console.print(f"paired differences against point {resolved.reference} "
                          f"({', '.join(f'{k}={v}' for k, v in ref_row.items())})", markup=False)
        reps = counts["replications"]
        out_console.print(f"{counts['tasks_run']} tasks run, {counts['tasks_skipped']} already done; "
                   f"replications per point: {min(reps.values())}-{max(reps.values())}",
                   markup=False)
        engine_note(choice)
    out_console.print(f"results written to {out}/", markup=False)


def _print_sweep_tables(tables, factors: list[str], metric: str, rows: int = 10) -> None:
    pm = tables["points_summary"]
    sel = pm[pm.metric == metric].sort_values("mean", ascending=False).head(rows)
    table = Table(title=f"{metric} by point (top {len(sel)})", title_justify="left",
                  show_edge=False, pad_edge=False)
    table.add_column("point", justify="right")
    for f in factors:
        table.add_column(escape(f))  # factor paths have [selectors]: not rich markup
    unit = "L" if metric.endswith("_l") or "_l_" in metric else ""
    shown = f" ({shown_unit(unit)})" if unit else ""
    for col in ("mean", "+-95%", "P5", "P95"):
        table.add_column(col + shown, justify="right")
    for d in sel.to_dict(orient="records"):
        table.add_row(str(d["point"]), *(escape(str(d[f])) if f in d else "" for f in factors),
                      *(fmt_value(d[c], unit) for c in ("mean", "ci95_halfwidth", "p5", "p95")))
    out_console.print(table)


@main.command()
@click.argument("results_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Write the CSV files here [default: RESULTS_DIR].")
@click.option("--metric", "metrics", multiple=True,
              help="Summary column to summarise (repeat) [default: the key metrics].")
@click.option("-q", "--quiet", is_flag=True, help="Do not print the top rows.")
@user_errors
def summarize(results_dir: Path, out_dir: Path | None, metrics: tuple[str, ...], quiet: bool) -> None:
    """Summarise a sweep: per-point metrics, paired differences to the reference point,
    stock-out probabilities by date and sensitivity indices, as CSV files."""

    from ..experiments.summaries import summarize_sweep, write_summaries

    tables = summarize_sweep(results_dir, list(metrics) or None)
    paths = write_summaries(results_dir, tables, out_dir)
    if not quiet:
        from ..manifests import read_manifest

        manifest = read_manifest(results_dir / "sweep.json", "a sweep results directory",
                                 ("factors",))
        _print_sweep_tables(tables, list(manifest["factors"]), metrics[0] if metrics else "delivered_l")
        if "sensitivity" in tables and not tables["sensitivity"].empty:
            out_console.print(tables["sensitivity"].head(20).to_string(index=False), markup=False)
    for p in paths:
        out_console.print(f"wrote {p}", markup=False)

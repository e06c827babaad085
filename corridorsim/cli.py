"""The ``corridorsim`` command line.

Commands: ``run`` (replications of one scenario to an output directory), ``sweep`` (many points
times replications, resumable, local or Dask), ``summarize`` (summary tables of a sweep),
``plot`` and ``report`` (figures and an HTML/PDF report of a run or sweep), ``incidents`` and
``rates`` (observed conflict events and threat rates), ``calibrate`` (ABC), ``validate`` (check
scenario files without running them), ``schema`` (print the JSON Schema of scenario files).

This is the only module that prints or sets exit codes. Every error a user can cause
(:class:`~corridorsim.errors.CorridorSimError`) becomes one line on standard error and exit
code 2, with no traceback and no partial output.
"""

from __future__ import annotations

import functools
import json
import math
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from . import __version__
from .errors import CorridorSimError, ScenarioErrors

__all__ = ["main"]

_err = Console(stderr=True, highlight=False, soft_wrap=True)
_out = Console(highlight=False, soft_wrap=True)


def _fail(message: str) -> None:
    _err.print(f"[bold red]error:[/] {message}", markup=True)


def _user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn user errors into one line each and exit code 2 (Ctrl-C into exit code 130)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ScenarioErrors as exc:
            for line in exc.lines():
                _err.print(f"error: {line}", markup=False)
            sys.exit(2)
        except CorridorSimError as exc:
            _err.print(f"error: {exc}", markup=False)
            sys.exit(2)
        except KeyboardInterrupt:
            _err.print("interrupted: nothing was written", markup=False)
            sys.exit(130)

    return wrapper


def _progress(quiet: bool) -> Progress:
    """The progress bar of long commands (on standard error; off with --quiet)."""
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TimeRemainingColumn(), console=_err, transient=True,
                    disable=quiet)


def _resumable(work: Callable[[Callable[[int, int], None]], Any], name: str, total: int,
               executor: Any, out: Path, what: str, quiet: bool) -> Any:
    """Run ``work(progress)`` under a progress bar; on Ctrl-C say what is kept (exit 130);
    always close the executor."""
    try:
        with _progress(quiet) as bar:
            task = bar.add_task(name, total=total)
            return work(lambda done, n: bar.update(task, completed=done, total=n))
    except KeyboardInterrupt:
        _err.print(f"interrupted: finished {what} are kept in {out}/; continue with --resume",
                   markup=False)
        sys.exit(130)
    finally:
        executor.close()


def _executor(kind: str, scheduler: str | None, workers: int):
    """Where sweep tasks run: Dask (a LocalCluster or --scheduler), local processes, or here."""
    from .executors import DaskExecutor, InProcessExecutor, LocalPoolExecutor

    if scheduler or kind == "dask":
        return DaskExecutor(scheduler=scheduler, workers=workers)
    if workers == 1:
        return InProcessExecutor()
    return LocalPoolExecutor(workers)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="corridorsim")
def main() -> None:
    """Simulate supply convoys on corridors under attack and report what reaches the
    destination."""


def _fmt(value: float, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if unit == "L":
        return f"{value / 1e6:,.2f} ML"
    if unit == "share":
        return f"{value:.2f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}"


def _metrics_table(metrics, title: str) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("metric")
    for col in ("mean", "P5", "P50", "P95"):
        table.add_column(col, justify="right")
    for row in metrics.itertuples(index=False):
        if row.metric == "p_stockout":
            table.add_row(row.label, _fmt(row.mean, "share"), "", "", "")
            continue
        table.add_row(row.label, *(_fmt(v, row.unit) for v in (row.mean, row.p5, row.p50, row.p95)))
    return table


@main.command()
@click.argument("scenario_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-n", "--replications", type=click.IntRange(min=1), default=None,
              help="Number of replications [default: the scenario's `replications`].")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Root seed [default: the scenario's `seed`].")
@click.option("-w", "--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes [default: all cores]; 1 runs in-process.")
@click.option("--chunk-size", type=click.IntRange(min=1), default=None,
              help="Replications per task [default: about 4 tasks per worker].")
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Output directory [default: runs/<scenario name>].")
@click.option("--force", is_flag=True, help="Replace the output directory if it exists.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no metrics table.")
@_user_errors
def run(scenario_file: Path, replications: int | None, seed: int | None, workers: int | None,
        chunk_size: int | None, out_dir: Path | None, force: bool, quiet: bool) -> None:
    """Run SCENARIO_FILE's replications and write daily, events, convoys, summary and metrics
    tables with a manifest to the output directory."""
    from .errors import OutputError
    from .executors import default_workers
    from .results_io import write_run
    from .scenario_io import load_scenario
    from .simulation import simulate

    scenario = load_scenario(scenario_file)
    out = out_dir if out_dir is not None else Path("runs") / scenario.name
    if out.exists() and not force:  # fail before simulating, not after
        raise OutputError(f"{out}: output directory exists; use --force to replace it")
    n = replications or scenario.replications
    w = workers or default_workers()
    with _progress(quiet) as bar:
        task = bar.add_task(f"{scenario.name}", total=n)
        result = simulate(scenario, replications=n, seed=seed, workers=w, chunk_size=chunk_size,
                          progress=lambda k: bar.advance(task, k))
    # the command that reproduces these files, with every default made explicit
    args = ["corridorsim", "run", str(scenario_file), "--replications", str(n), "--seed",
            str(result.seed), "--workers", str(w), "--out", str(out)]
    if chunk_size:
        args += ["--chunk-size", str(chunk_size)]
    command = " ".join(shlex.quote(a) for a in args)
    write_run(result, out, force=force, manifest_extra={
        "command": command, "scenario_file": str(scenario_file), "workers": w,
    })
    if not quiet:
        rate = n / result.wall_time_s if result.wall_time_s > 0 else float("inf")
        _out.print(_metrics_table(result.metrics, f"{scenario.name}: {n} replications, seed "
                                                  f"{result.seed} ({result.wall_time_s:.1f} s, "
                                                  f"{rate:,.0f} rep/s)"))
    _out.print(f"results written to {out}/", markup=False)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--set", "sets", multiple=True, metavar="PATH=V1,V2,...",
              help="With a scenario FILE: a factor and its values (repeat for a grid); "
                   "PATH=LOW:HIGH gives a range (Latin hypercube).")
@click.option("-n", "--replications", type=click.IntRange(min=1), default=None,
              help="Replications per point [default: the sweep's (or scenario's)].")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Root seed.")
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Results directory [default: runs/<sweep name>].")
@click.option("-w", "--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes (local) or LocalCluster workers (dask) [default: all cores].")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="local worker processes, or Dask (a LocalCluster, or --scheduler).")
@click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
              help="Address of an existing Dask scheduler (implies --executor dask).")
@click.option("--chunk-size", type=click.IntRange(min=1), default=None,
              help="Replications per task [default: chosen from a pilot run].")
@click.option("--dry-run", is_flag=True, help="Print points, tasks and an estimated run time; "
                                              "run nothing.")
@click.option("--resume", is_flag=True, help="Continue an interrupted sweep in the same directory.")
@click.option("--force", is_flag=True, help="Replace an existing results directory.")
@click.option("--target-halfwidth", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Add replications until the 95% CI of --metric is this narrow (relative).")
@click.option("--metric", default=None, help="Metric for --target-halfwidth [default: delivered_l].")
@click.option("--max-replications", type=click.IntRange(min=1), default=None,
              help="Cap on replications per point with --target-halfwidth [default: 10 x -n].")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no tables.")
@_user_errors
def sweep(file: Path, sets: tuple[str, ...], replications: int | None, seed: int | None,
          out_dir: Path | None, workers: int | None, executor: str, scheduler: str | None,
          chunk_size: int | None, dry_run: bool, resume: bool, force: bool,
          target_halfwidth: float | None, metric: str | None, max_replications: int | None,
          quiet: bool) -> None:
    """Run a sweep: FILE is a sweep file, or a scenario file with --set options."""
    from .errors import ScenarioError
    from .executors import default_workers
    from .results_io import package_versions
    from .scenario_io import load_scenario
    from .summaries import summarize_sweep, write_summaries
    from .sweep import (
        DASK_TARGET_TASK_S,
        TARGET_TASK_S,
        SweepPlanSummary,
        SweepRunner,
        choose_chunk_size,
        pilot_seconds_per_replication,
    )
    from .sweep_spec import Precision, is_sweep_file, load_sweep, resolve_sweep, sweep_from_sets

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
    resolved = resolve_sweep(spec, str(file))
    out = out_dir if out_dir is not None else Path("runs") / spec.name
    if scheduler:
        executor = "dask"
    w = workers or default_workers()
    per_rep = pilot_seconds_per_replication(resolved)
    target_s = DASK_TARGET_TASK_S if executor == "dask" else TARGET_TASK_S
    chunk = chunk_size or choose_chunk_size(per_rep, spec.replications, target_s)
    n_points = len(resolved.design)
    if dry_run:
        n_tasks = n_points * -(-spec.replications // chunk)
        info = SweepPlanSummary(n_points, spec.replications, n_tasks, chunk, per_rep, w)
        _out.print(f"sweep {spec.name}: {info.points} points x {info.replications} replications = "
                   f"{info.points * info.replications} replications in {info.tasks} tasks of "
                   f"{info.chunk_size}", markup=False)
        _out.print(f"pilot: {info.seconds_per_replication * 1000:.1f} ms per replication; "
                   f"estimated {info.estimated_s:.1f} s on {w} worker(s)"
                   + (" (before precision-driven replications)" if spec.precision else ""),
                   markup=False)
        _out.print(f"results would go to {out}/", markup=False)
        return
    if out.exists() and not (resume or force):
        from .errors import OutputError

        raise OutputError(f"{out}: results directory exists; use --resume to continue it or "
                          "--force to replace it")
    ex = _executor(executor, scheduler, w)
    args = ["corridorsim", "sweep", str(file), *[f"--set={s}" for s in sets], "--replications",
            str(spec.replications), "--seed", str(spec.seed), "--out", str(out)]
    runner = SweepRunner(resolved, out, ex, chunk, resume=resume, force=force, manifest_extra={
        "command": " ".join(shlex.quote(a) for a in args), "versions": package_versions(),
        "executor": executor, "workers": ex.workers,  # a cluster's size, with --scheduler
    })
    counts = _resumable(lambda progress: runner.run(progress=progress), spec.name,
                        n_points * spec.replications, ex, out, "tasks", quiet)
    tables = summarize_sweep(out)
    write_summaries(out, tables)
    if not quiet:
        _print_sweep_tables(tables, resolved.factor_columns, spec.precision.metric
                            if spec.precision else "delivered_l")
        reps = counts["replications"]
        _out.print(f"{counts['tasks_run']} tasks run, {counts['tasks_skipped']} already done; "
                   f"replications per point: {min(reps.values())}-{max(reps.values())}",
                   markup=False)
    _out.print(f"results written to {out}/", markup=False)


def _print_sweep_tables(tables, factors: list[str], metric: str, rows: int = 10) -> None:
    pm = tables["points_summary"]
    sel = pm[pm.metric == metric].sort_values("mean", ascending=False).head(rows)
    table = Table(title=f"{metric} by point (top {len(sel)})", title_justify="left",
                  show_edge=False, pad_edge=False)
    table.add_column("point", justify="right")
    for f in factors:
        table.add_column(escape(f))  # factor paths have [selectors]: not rich markup
    for col in ("mean", "+-95%", "P5", "P95"):
        table.add_column(col, justify="right")
    unit = "L" if metric.endswith("_l") or "_l_" in metric else ""
    for d in sel.to_dict(orient="records"):
        table.add_row(str(d["point"]), *(escape(str(d[f])) if f in d else "" for f in factors),
                      *(_fmt(d[c], unit) for c in ("mean", "ci95_halfwidth", "p5", "p95")))
    _out.print(table)


@main.command()
@click.argument("results_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Write the CSV files here [default: RESULTS_DIR].")
@click.option("--metric", "metrics", multiple=True,
              help="Summary column to summarise (repeat) [default: the key metrics].")
@click.option("-q", "--quiet", is_flag=True, help="Do not print the top rows.")
@_user_errors
def summarize(results_dir: Path, out_dir: Path | None, metrics: tuple[str, ...], quiet: bool) -> None:
    """Summarise a sweep: per-point metrics, paired differences to the reference point,
    stock-out probabilities by date and sensitivity indices, as CSV files."""
    import json as _json

    from .summaries import summarize_sweep, write_summaries

    tables = summarize_sweep(results_dir, list(metrics) or None)
    paths = write_summaries(results_dir, tables, out_dir)
    if not quiet:
        manifest = _json.loads((results_dir / "sweep.json").read_text(encoding="utf-8"))
        _print_sweep_tables(tables, list(manifest["factors"]), metrics[0] if metrics else "delivered_l")
        if "sensitivity" in tables and not tables["sensitivity"].empty:
            _out.print(tables["sensitivity"].head(20).to_string(index=False), markup=False)
    for p in paths:
        _out.print(f"wrote {p}", markup=False)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Output directory [default: runs/<calibration name>].")
@click.option("-w", "--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes [default: all cores].")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True)
@click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
              help="Address of an existing Dask scheduler (implies --executor dask).")
@click.option("--chunk-size", type=click.IntRange(min=1), default=None,
              help="Replications per task [default: all replications of a draw].")
@click.option("--resume", is_flag=True, help="Continue an interrupted calibration.")
@click.option("--force", is_flag=True, help="Replace an existing output directory.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no tables.")
@_user_errors
def calibrate(file: Path, out_dir: Path | None, workers: int | None, executor: str,
              scheduler: str | None, chunk_size: int | None, resume: bool, force: bool,
              quiet: bool) -> None:
    """Fit the parameters of a calibration FILE to observed summaries by approximate Bayesian
    computation (rejection ABC over prior draws, run as a resumable sweep)."""
    from .calibration import load_calibration, run_calibration
    from .executors import default_workers

    spec = load_calibration(file)
    out = out_dir if out_dir is not None else Path("runs") / spec.name
    if out.exists() and not (resume or force):
        from .errors import OutputError

        raise OutputError(f"{out}: output directory exists; use --resume to continue it or "
                          "--force to replace it")
    w = workers or default_workers()
    ex = _executor(executor, scheduler, w)
    result = _resumable(
        lambda progress: run_calibration(spec, out, ex, chunk_size or spec.replications,
                                         resume=resume, force=force, source=str(file),
                                         progress=progress),
        spec.name, spec.samples * spec.replications, ex, out, "runs", quiet)
    if not quiet:
        diag = result["diagnostics"]
        table = Table(title=f"{spec.name}: {int(result['samples'].accepted.sum())} of "
                            f"{len(result['samples'])} draws accepted (distance <= "
                            f"{result['threshold']:.3g})", title_justify="left", show_edge=False,
                      pad_edge=False)
        for col in ("name", "observed", "prior mean", "posterior mean", "P5", "P95"):
            table.add_column(col, justify="left" if col == "name" else "right")
        for r in diag.to_dict(orient="records"):
            obs = "" if pd_isna(r["observed"]) else f"{r['observed']:.4g}"
            table.add_row(escape(str(r["name"])), obs, f"{r['prior_mean']:.4g}",
                          f"{r['posterior_mean']:.4g}", f"{r['posterior_p5']:.4g}",
                          f"{r['posterior_p95']:.4g}")
        _out.print(table)
    from .plots import calibration_fit, save_figures

    observed = {o.name: float(v) for o, v in zip(spec.observed, result["observed"].values())}
    save_figures({"fit": calibration_fit(result["samples"], observed,
                                         title=f"{spec.name}: simulated summaries vs the record")},
                 out)
    _out.print(f"posterior samples written to {out}/posterior.csv; fit figure {out}/fit.png",
               markup=False)


def pd_isna(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-s", "--scenario", "scenario_file", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Scenario whose network the events are placed on.")
@click.option("-o", "--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the matched table as CSV.")
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Draw the events on the corridor map (PNG, SVG or PDF by extension).")
@click.option("--buffer-km", type=click.FloatRange(min=0, min_open=True), default=25.0,
              show_default=True, help="Largest distance from a road for an event to be placed on it.")
@_user_errors
def incidents(file: Path, scenario_file: Path, out_file: Path | None, plot_file: Path | None,
              buffer_km: float) -> None:
    """Read conflict events (ACLED export layout) from FILE, classify them and place them on
    the scenario's network."""
    from .incidents import (
        classify,
        format_incident_table,
        match_to_network,
        plot_incident_map,
        read_incidents,
        write_table_csv,
    )
    from .network import build_network
    from .scenario_io import load_scenario

    graph = build_network(load_scenario(scenario_file))
    table, problems = read_incidents(file, on_error="report")
    for line in problems:
        _err.print(f"error: {file}: {line}", markup=False)
    matched = match_to_network(classify(table), graph, buffer_km=buffer_km)
    _out.print(format_incident_table(matched), markup=False)
    if out_file is not None:
        write_table_csv(matched, out_file)
        _out.print(f"wrote {out_file}", markup=False)
    if plot_file is not None:
        plot_incident_map(matched, graph, plot_file)
        _out.print(f"wrote {plot_file}", markup=False)
    if problems:
        sys.exit(2)  # the good rows were used; the bad ones must be fixed


@main.command()
@click.option("-s", "--scenario", "scenario_file", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Scenario whose simulated traffic gives the exposure (convoy-km).")
@click.option("-i", "--incidents", "incidents_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Incident CSV [default: the scenario's observations.incidents_csv].")
@click.option("--by", default="corridor,region", show_default=True,
              help="Grouping: edge, corridor, region or corridor,region.")
@click.option("-n", "--replications", type=click.IntRange(min=1), default=20, show_default=True,
              help="Replications simulated for the exposure.")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Root seed.")
@click.option("-w", "--workers", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--correct-escort/--no-correct-escort", default=True, show_default=True,
              help="Divide out the escort deterrence of the observed traffic (base rates).")
@click.option("--correct-phases/--no-correct-phases", default=True, show_default=True,
              help="Divide out the scenario's phase multipliers (base rates).")
@click.option("--stat", type=click.Choice(["mean", "median"]), default="mean", show_default=True,
              help="Posterior statistic written to the threat block.")
@click.option("--buffer-km", type=click.FloatRange(min=0, min_open=True), default=25.0,
              show_default=True)
@click.option("-o", "--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write a threat block (YAML) that extends the scenario.")
@_user_errors
def rates(scenario_file: Path, incidents_file: Path | None, by: str, replications: int,
          seed: int | None, workers: int, correct_escort: bool, correct_phases: bool, stat: str,
          buffer_km: float, out_file: Path | None) -> None:
    """Estimate ambush and IED rates per 1000 convoy-km (Gamma-Poisson posterior) from observed
    incidents and the scenario's simulated traffic."""
    from .rates import estimate_from_scenario, format_rates_table, write_threat_block

    cal = estimate_from_scenario(scenario_file, incidents_file, by=by, replications=replications,
                                 seed=seed, workers=workers, buffer_km=buffer_km,
                                 correct_for_escort=correct_escort,
                                 correct_for_phases=correct_phases)
    _out.print(format_rates_table(cal.rates), markup=False)
    if out_file is not None:
        write_threat_block(out_file, cal.rates, kind=stat, extends=str(scenario_file.resolve()),
                           name=f"{cal.run.scenario.name}_calibrated")
        _out.print(f"wrote {out_file}", markup=False)


@main.command()
@click.argument("results_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory for the figures [default: RESULTS_DIR/figures].")
@click.option("--format", "fmt", type=click.Choice(["png", "svg", "pdf"]), default="png",
              show_default=True, help="File format of the figures.")
@_user_errors
def plot(results_dir: Path, out_dir: Path | None, fmt: str) -> None:
    """Write the standard figures of a run or sweep directory."""
    from .plots import save_figures, standard_figures

    figures = standard_figures(results_dir)
    for path in save_figures(figures, out_dir or results_dir / "figures", fmt):
        _out.print(f"wrote {path}", markup=False)


@main.command()
@click.argument("results_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("-o", "--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="HTML file to write [default: RESULTS_DIR/report.html].")
@click.option("--pdf", is_flag=True, help="Also write the same report as a PDF beside the HTML.")
@_user_errors
def report(results_dir: Path, out_file: Path | None, pdf: bool) -> None:
    """Write a self-contained HTML report (and optionally a PDF) of a run or sweep directory."""
    from .report import write_report

    files = write_report(results_dir, out_file or results_dir / "report.html", pdf=pdf)
    _out.print(f"wrote {files.html}", markup=False)
    if files.pdf is not None:
        _out.print(f"wrote {files.pdf}", markup=False)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@_user_errors
def validate(files: tuple[Path, ...]) -> None:
    """Check scenario FILES (schema, network and references) without running them."""
    from .errors import ScenarioError
    from .scenario_io import load_scenario

    bad = 0
    for f in files:
        try:
            sc = load_scenario(f)
        except ScenarioErrors as exc:
            bad += 1
            for line in exc.lines():
                _err.print(f"error: {line}", markup=False)
        except ScenarioError as exc:
            bad += 1
            _err.print(f"error: {exc.line()}", markup=False)
        else:
            _out.print(f"ok: {f} ({sc.name}, {sc.start:%Y-%m-%d} to {sc.end:%Y-%m-%d})",
                       markup=False)
    if bad:
        sys.exit(2)


@main.command()
@click.option("-o", "--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Write to this file instead of standard output.")
@_user_errors
def schema(out_file: Path | None) -> None:
    """Print the JSON Schema of scenario files (for editor completion and checks)."""
    from .scenario_io import json_schema

    text = json.dumps(json_schema(), indent=2) + "\n"
    if out_file is None:
        click.echo(text, nl=False)
    else:
        from .atomic import atomic_write_text
        from .errors import OutputError

        try:
            atomic_write_text(out_file, text)
        except OSError as exc:
            raise OutputError(f"{out_file}: cannot write ({exc.strerror})") from None


if __name__ == "__main__":  # pragma: no cover
    main()

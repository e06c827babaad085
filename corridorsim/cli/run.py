"""Commands on one scenario: ``run`` (replications to an output directory), ``validate`` (check
scenario, sweep and calibration files without running them) and ``schema`` (their JSON Schemas).
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import click

from ..errors import ScenarioErrors
from .app import (
    destinations_table,
    engine_option,
    err_console,
    importing,
    main,
    metrics_table,
    out_console,
    progress_bar,
    say_engine,
    user_errors,
)


@main.command()
@click.argument("scenario_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-n", "--replications", type=click.IntRange(min=1), default=None,
              help="Number of replications [default: the scenario's `replications`].")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Root seed [default: the scenario's `seed`].")
@click.option("-w", "--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes [default: every core this process may use, i.e. its CPU "
                   "affinity (taskset, container limits)]; 1 runs in this process.")
@click.option("--chunk-size", type=click.IntRange(min=1), default=None,
              help="Replications per task [default: about 4 tasks per worker].")
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Output directory [default: runs/<scenario name>].")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv",
              show_default=True, help="File format of the tables (Parquet: the column types of "
                                      "a sweep's tables, dates as timestamps).")
@click.option("--force", is_flag=True, help="Replace the output directory if it exists.")
@engine_option
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no metrics table.")
@user_errors
def run(scenario_file: Path, replications: int | None, seed: int | None, workers: int | None,
        chunk_size: int | None, out_dir: Path | None, fmt: str, force: bool, engine: str,
        quiet: bool) -> None:
    """Run SCENARIO_FILE's replications and write daily, events, convoys, summary and metrics
    tables (CSV or Parquet) with a manifest to the output directory."""
    with importing():
        from ..atomic import check_output_dir
        from ..experiments.processes import default_workers
        from ..experiments.rundir import write_run
        from ..experiments.simulate import simulate
        from ..model.plan import compile_scenario
        from ..scenario.loading import load_scenario

    scenario = load_scenario(scenario_file)
    out = out_dir if out_dir is not None else Path("runs") / scenario.name
    check_output_dir(out, force=force)  # fail before simulating, not after
    n = replications or scenario.replications
    w = workers or default_workers()
    plan = compile_scenario(scenario)
    say_engine([plan], engine, quiet)  # an engine that cannot run it fails here, before anything
    with progress_bar(quiet) as bar:
        task = bar.add_task(f"{scenario.name}", total=n)
        result = simulate(plan, replications=n, seed=seed, workers=w, chunk_size=chunk_size,
                          progress=lambda k: bar.advance(task, k), engine=engine)
    # the command that reproduces these files, with every default made explicit
    args = ["corridorsim", "run", str(scenario_file), "--replications", str(n), "--seed",
            str(result.seed), "--workers", str(w), "--out", str(out)]
    if chunk_size:
        args += ["--chunk-size", str(chunk_size)]
    args += ["--engine", engine]
    if fmt != "csv":
        args += ["--format", fmt]
    command = " ".join(shlex.quote(a) for a in args)
    write_run(result, out, force=force, fmt=fmt, manifest_extra={
        "command": command, "scenario_file": str(scenario_file), "workers": w,
    })
    if not quiet:
        rate = n / result.wall_time_s if result.wall_time_s > 0 else float("inf")
        out_console.print(metrics_table(result.metrics, f"{scenario.name}: {n} replications, seed "
                                                  f"{result.seed} ({result.wall_time_s:.1f} s, "
                                                  f"{rate:,.0f} rep/s)", scenario.start))
        if len(scenario.destinations) > 1:
            from ..experiments.metrics import destination_metrics

            out_console.print(destinations_table(
                destination_metrics(result.destinations), "each destination (means over "
                "replications; first day at zero: median where it ran out)", scenario.start))
    out_console.print(f"results written to {out}/", markup=False)




@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@user_errors
def validate(files: tuple[Path, ...]) -> None:
    """Check scenario, sweep and calibration FILES without running them: a scenario's schema,
    network and references; every point of a sweep; a calibration's base scenario, priors and
    statistics. Exit code 2 if any file is invalid."""
    from ..errors import ScenarioError
    from ..experiments.file_kinds import check_file

    bad = 0
    for f in files:
        try:
            checked = check_file(f)
        except ScenarioErrors as exc:
            bad += 1
            for line in exc.lines():
                err_console.print(f"error: {line}", markup=False)
        except ScenarioError as exc:
            bad += 1
            err_console.print(f"error: {exc.line()}", markup=False)
        else:
            out_console.print(f"ok: {f} ({checked.kind} {checked.name}, {checked.detail})",
                              markup=False)
    if bad:
        sys.exit(2)


@main.command()
@click.option("--kind", type=click.Choice(["scenario", "overlay", "sweep", "calibration"]),
              default="scenario", show_default=True,
              help="scenario: a complete scenario; overlay: a file with extends: (nothing "
                   "required); sweep or calibration file.")
@click.option("-o", "--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Write to this file instead of standard output.")
@user_errors
def schema(kind: str, out_file: Path | None) -> None:
    """Print the JSON Schema of a kind of file (for editor completion and checks)."""
    from ..experiments.file_kinds import json_schema

    text = json.dumps(json_schema(kind), indent=2) + "\n"
    if out_file is None:
        click.echo(text, nl=False)
    else:
        from ..atomic import atomic_write_text
        from ..errors import OutputError

        try:
            atomic_write_text(out_file, text)
        except OSError as exc:
            raise OutputError(f"{out_file}: cannot write ({exc.strerror})") from None


if __name__ == "__main__":  # pragma: no cover
    main()

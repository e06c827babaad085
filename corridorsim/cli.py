"""The ``corridorsim`` command line.

Commands: ``run`` (replications of one scenario to an output directory), ``validate`` (check
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
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TimeRemainingColumn(), console=_err, transient=True,
                  disable=quiet) as bar:
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
        from .errors import OutputError

        try:
            tmp = out_file.with_name(f".{out_file.name}.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(out_file)
        except OSError as exc:
            raise OutputError(f"{out_file}: cannot write ({exc.strerror})") from None


if __name__ == "__main__":  # pragma: no cover
    main()

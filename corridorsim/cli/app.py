"""The ``corridorsim`` command group and what every command shares.

This package is the only place that prints or sets exit codes. Every error a user can cause
(:class:`~corridorsim.errors.CorridorSimError`) becomes one line on standard error and exit code
2, with no traceback and no partial output (:func:`user_errors`); Ctrl-C gives exit code 130.
Commands live in one module per group (:mod:`.run`, :mod:`.sweeps`, :mod:`.observed`,
:mod:`.figures`) and register themselves on :func:`main`.
"""

from __future__ import annotations

import functools
import math
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

from ..version import __version__
from .failures import clear_kept, debug_enabled, keeping, print_traceback, report, set_debug

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


out_console = Console(highlight=False, soft_wrap=True)


def fail(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {message}", markup=True)


def user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn every failure into one line on standard error and its exit code: 2 for bad input,
    1 for a failure of the environment (saying what was kept), 130 for Ctrl-C; tracebacks only
    with ``--debug`` (see :mod:`.failures`)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (SystemExit, click.exceptions.Exit, click.ClickException):
            raise
        except BaseException as exc:  # noqa: B036 - every way out gets its line and exit code
            if not isinstance(exc, Exception | KeyboardInterrupt):
                raise
            if debug_enabled() and not isinstance(exc, KeyboardInterrupt):
                print_traceback(exc)
            lines, code = report(exc)
            for line in lines:
                err_console.print(line, markup=False)
            clear_kept()
            sys.exit(code)

    return wrapper


def progress_bar(quiet: bool) -> Progress:
    """The progress bar of long commands (on standard error; off with --quiet)."""
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TimeRemainingColumn(), console=err_console, transient=True,
                    disable=quiet)


def resumable(work: Callable[[Callable[[int, int], None]], Any], name: str, total: int,
               executor: Any, out: Path, what: str, quiet: bool) -> Any:
    """Run ``work(progress)`` under a progress bar, holding the write lock of ``out`` (a second
    writer is refused); on Ctrl-C or a failure say what is kept and how to continue
    (``--resume``); always close the executor."""
    from ..experiments.outlock import output_lock

    try:
        with output_lock(out, " ".join(sys.argv)[:500]), \
                keeping(f"finished {what} are kept in {out}/; continue with --resume"):
            with progress_bar(quiet) as bar:
                task = bar.add_task(name, total=total)
                result = work(lambda done, n: bar.update(task, completed=done, total=n))
    except BaseException:
        executor.close(abort=True)  # Ctrl-C or a failure: stop the workers now
        raise
    executor.close()
    return result


def make_executor(kind: str, scheduler: str | None, workers: int):
    """Where sweep tasks run: Dask (a LocalCluster or --scheduler), local processes, or here."""
    from ..experiments.executors import DaskExecutor, InProcessExecutor, LocalPoolExecutor

    preload = ("corridorsim.experiments.sweep_tasks",)  # the sweep's task code
    if scheduler or kind == "dask":
        return DaskExecutor(scheduler=scheduler, workers=workers, preload=preload)
    if workers == 1:
        return InProcessExecutor()
    return LocalPoolExecutor(workers, preload=preload)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="corridorsim")
@click.option("--debug", is_flag=True, help="Show the traceback of a failure (for bug reports).")
def main(debug: bool = False) -> None:
    """Simulate supply convoys on corridors under attack and report what reaches the
    destination."""
    set_debug(debug)


def fmt_value(value: float, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if unit == "L":
        return f"{value / 1e6:,.2f} ML"
    if unit == "share":
        return f"{value:.2f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}"


def metrics_table(metrics, title: str) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("metric")
    for col in ("mean", "P5", "P50", "P95"):
        table.add_column(col, justify="right")
    for row in metrics.itertuples(index=False):
        if row.metric == "p_stockout":
            table.add_row(row.label, fmt_value(row.mean, "share"), "", "", "")
            continue
        table.add_row(row.label, *(fmt_value(v, row.unit) for v in (row.mean, row.p5, row.p50, row.p95)))
    return table

"""The ``corridorsim`` command group and what every command shares.

This package is the only place that prints or sets exit codes. Every error a user can cause
(:class:`~corridorsim.errors.CorridorSimError`) becomes one line on standard error and exit code
2, with no traceback and no partial output (:func:`user_errors`); Ctrl-C gives exit code 130.
Commands live in one module per group (:mod:`.run`, :mod:`.sweeps`, :mod:`.observed`,
:mod:`.figures`) and register themselves on :func:`main`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import math
import os
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


def _width(stream) -> int | None:
    """Console width: the terminal's, or (piped into a file or another program) wide enough that
    tables are never cut or folded (rich would otherwise assume 80 columns)."""
    try:
        if stream.isatty():
            return None
    except (AttributeError, ValueError):
        pass
    return int(os.environ.get("COLUMNS") or 0) or 400


err_console = Console(stderr=True, highlight=False, soft_wrap=True, width=_width(sys.stderr))


out_console = Console(highlight=False, soft_wrap=True, width=_width(sys.stdout))


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


_first_import = [True]  # importing() acts once per process


@contextlib.contextmanager
def importing():
    """Import a command's libraries (numpy, pandas, the engine...) without garbage collection.

    They make some 200,000 objects that live as long as the process and almost no garbage, yet
    the collector would traverse them again and again as they grow (0.1 s of a command's
    start-up). Afterwards they are moved out of every later collection (``gc.freeze``), in this
    process and in the worker processes forked from it. Only the first time in a process (a
    command is one process; tests and notebooks that run several keep collecting as usual).
    """
    if not _first_import[0]:
        yield
        return
    _first_import[0] = False
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def engine_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """The ``--engine auto|des|vector`` option of ``run``, ``sweep`` and ``calibrate``."""
    return click.option(
        "--engine", type=click.Choice(["auto", "des", "vector"]), default="auto",
        show_default=True,
        help="auto: the vectorised fast path when the scenario is eligible (scheduled convoys "
             "only, see docs/vector.md), else the SimPy engine (des); vector: the fast path or "
             "an error. Same results either way.")(func)


def say_engine(scenarios: list[Any], engine: str, quiet: bool) -> Any:
    """Resolve ``engine`` for scenarios (or compiled plans; a sweep's reference first) before
    anything runs; return the :class:`~corridorsim.experiments.engines.EngineChoice` of the
    first. ``vector`` must cover every one (else an EngineError: exit 2); under ``auto``, unless
    ``quiet``, one line on standard output says why the SimPy engine runs the first one
    (:func:`engine_note`)."""
    from ..experiments.engines import choose_engine
    from ..model.plan import ScenarioPlan, compile_scenario

    def plan(x: Any) -> ScenarioPlan:
        return x if isinstance(x, ScenarioPlan) else compile_scenario(x)

    first = choose_engine(plan(scenarios[0]), engine)
    if engine == "vector":
        for sc in scenarios[1:]:
            choose_engine(plan(sc), engine)
    if not quiet:
        engine_note(first)
    return first


def engine_note(choice: Any) -> None:
    """The line saying why the SimPy engine runs under ``--engine auto`` (nothing otherwise)."""
    if choice.reason:
        out_console.print(f"engine: des ({choice.reason})", markup=False)


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


#: How a unit of the result tables is shown in a table header, and the divisor of its values.
_SHOWN_UNITS = {"L": ("ML", 1e6), "share": ("%", 0.01)}


def shown_unit(unit: str) -> str:
    """The unit as table headers show it (litres as ML = million litres, shares as %)."""
    return _SHOWN_UNITS.get(unit, (unit, 1.0))[0]


def fmt_value(value: float, unit: str) -> str:
    """A number in the unit a header shows (see :func:`shown_unit`), without the unit."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    value = value / _SHOWN_UNITS.get(unit, ("", 1.0))[1]
    if unit == "L":
        return f"{value:,.2f}"
    if unit == "share":
        return f"{value:.1f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}"


def fmt_day(day: float, start: dt.date) -> str:
    """A 0-based day of the scenario as its calendar date (the day it falls in)."""
    from ..experiments.metrics import day_date  # not at import: `--help` stays light

    date = day_date(day, start)
    return "-" if date is None else date.isoformat()


def metrics_table(metrics, title: str, start: dt.date | None = None) -> Table:
    """The key-metrics table of a run: one row per metric, its unit, mean, 95 % interval and
    percentiles. Day-of-scenario metrics are shown as dates when ``start`` is given."""
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("metric")
    table.add_column("unit")
    for col in ("mean", "95% CI", "P5", "P50", "P95"):
        table.add_column(col, justify="right")
    for row in metrics.itertuples(index=False):
        if row.unit == "day" and start is not None:
            f = functools.partial(fmt_day, start=start)
            unit = "date"
        else:
            f = functools.partial(fmt_value, unit=row.unit)
            unit = shown_unit(row.unit)
        ci = "-" if math.isnan(row.ci95_low) else f"{f(row.ci95_low)} to {f(row.ci95_high)}"
        if row.metric == "p_stockout":
            table.add_row(row.label, unit, f(row.mean), ci, "", "", "")
            continue
        table.add_row(row.label, unit, f(row.mean), ci, *(f(v) for v in (row.p5, row.p50, row.p95)))
    return table


def destinations_table(table, title: str, start: dt.date) -> Table:
    """Each destination's own outcomes (``destination_metrics`` of
    :mod:`corridorsim.experiments.metrics`): means over replications, the median first day at
    zero over the replications that ran out, and the share that ran out with its 95 % Wilson
    interval."""
    out = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    out.add_column("destination")
    for col in ("delivered ML", "unmet ML", "days at zero", "first day at zero", "ran out %",
                "95% CI"):
        out.add_column(col, justify="right")
    for r in table.itertuples(index=False):
        ci = f"{fmt_value(r.p_stockout_low, 'share')} to {fmt_value(r.p_stockout_high, 'share')}"
        out.add_row(str(r.destination), fmt_value(r.delivered_l, "L"), fmt_value(r.unmet_l, "L"),
                    fmt_value(r.days_at_zero, "days"), fmt_day(r.first_stockout_day, start),
                    fmt_value(r.p_stockout, "share"), ci)
    return out

"""Decision commands: ``criticality`` (which road segments matter), ``value`` (what one more
escort unit, day of stock or tanker a day is worth), ``discover`` (PRIM and CART on a sweep) and
``regret`` (which what-if is most robust across uncertainties). Each writes an output directory
(tables, ``study.json``, ``figures/``) that ``corridorsim report`` turns into report sections.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from .app import main, make_executor, out_console, resumable, user_errors

_RUN_OPTIONS = [
    click.option("-n", "--replications", type=click.IntRange(min=1), default=None,
                 help="Replications per variant [default: the scenario's]."),
    click.option("--seed", type=click.IntRange(min=0), default=None, help="Root seed [default: the scenario's]."),
    click.option("--by", "by_date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                 help="Date of P(stock-out by the date) [default: the last day]."),
    click.option("--target-halfwidth", type=click.FloatRange(min=0, min_open=True), default=None,
                 help="Add replications until the 95% CI of --metric is this narrow (relative)."),
    click.option("--metric", default=None, help="Metric for --target-halfwidth [default: unmet_l]."),
    click.option("--max-replications", type=click.IntRange(min=1), default=None,
                 help="Cap with --target-halfwidth [default: 10 x -n]."),
    click.option("-w", "--workers", type=click.IntRange(min=1), default=1, show_default=True,
                 help="Worker processes."),
    click.option("--resume", is_flag=True, help="Continue an interrupted study."),
    click.option("--force", is_flag=True, help="Replace an existing output directory."),
    click.option("-q", "--quiet", is_flag=True, help="No progress bar and no tables."),
]


def _run_options(func):
    for opt in reversed(_RUN_OPTIONS):
        func = opt(func)
    return func


def _precision(target: float | None, metric: str | None, max_reps: int | None, n: int):
    from ..errors import ScenarioError
    from ..experiments.sweep_schema import Precision

    if target is None:
        if metric or max_reps:
            raise ScenarioError("--target-halfwidth", "--metric and --max-replications go with "
                                                      "--target-halfwidth")
        return None
    return Precision(metric=metric or "unmet_l", target_halfwidth=target,
                     max_replications=max_reps or 10 * n)


def _save_figures(out: Path, quiet: bool) -> None:
    from ..viz.decision_report import study_figures

    fig_dir = out / "figures"
    fig_dir.mkdir(exist_ok=True)
    for cf in study_figures(out):
        path = fig_dir / f"{cf.name}.png"
        cf.figure.savefig(path, dpi=150)
        if not quiet:
            out_console.print(f"wrote {path}", markup=False)


def _ml(x: float) -> str:
    return f"{x / 1e6:+,.2f}"


def _ml_ci(col: str):
    """Mean and half-width of a (symmetric, Student-t) interval, in ML."""
    def fmt(r) -> str:
        half = (r[col + "_high"] - r[col + "_low"]) / 2e6
        return f"{_ml(r[col])} ± {half:.2f}" if half == half else _ml(r[col])
    return fmt


def _study(kind: str, scenario: Path, out_dir: Path | None, replications: int | None,
           seed: int | None, by_date: dt.datetime | None, target_halfwidth: float | None,
           metric: str | None, max_replications: int | None, workers: int, resume: bool,
           force: bool, quiet: bool, **extra: Any) -> Path:
    from ..decisions.studies import criticality_study, value_study
    from ..scenario.loading import load_scenario

    sc = load_scenario(scenario)
    n = replications or sc.replications
    precision = _precision(target_halfwidth, metric, max_replications, n)
    out = out_dir or Path("runs") / f"{sc.name}_{kind}"
    executor = make_executor("local", None, workers)
    study = criticality_study if kind == "criticality" else value_study
    total = n * 50

    def work(progress):
        return study(scenario, out, executor, replications=n, seed=seed, precision=precision,
                     by_date=by_date.date() if by_date else None, resume=resume, force=force,
                     progress=progress, **extra)

    resumable(work, kind, total, executor, out, "variants", quiet)
    _save_figures(out, quiet)
    return out


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output directory [default: runs/<scenario>_criticality].")
@click.option("--recovery-days", type=click.FloatRange(min=0, min_open=True), default=30.0,
              show_default=True, help="Time to recover of segments the scenario never closes "
                                      "(stress test).")
@_run_options
@user_errors
def criticality(scenario: Path, out_dir: Path | None, recovery_days: float, **kw: Any) -> None:
    """Rank the road segments of SCENARIO: losses on each, and what making it safe or closing it
    does to each destination (paired on common random numbers)."""
    import pandas as pd

    out = _study("criticality", scenario, out_dir, assumed_recovery_days=recovery_days, **kw)
    if kw["quiet"]:
        return
    t = pd.read_csv(out / "criticality.csv").head(10)
    table = Table(title="Most critical segments (mean ± 95% CI half-width, ML)", title_justify="left",
                  show_edge=False)
    for col in ("segment", "destination", "closed: more unmet", "safe: more delivered"):
        table.add_column(col, justify="left" if col in ("segment", "destination") else "right")
    for _, r in t.iterrows():
        table.add_row(escape(str(r["edge"])), escape(str(r["destination"])),
                      _ml_ci("closed_unmet_l")(r), _ml_ci("safe_delivered_l")(r))
    out_console.print(table)
    st = pd.read_csv(out / "stress_test.csv") if (out / "stress_test.csv").stat().st_size > 1 else None
    if st is not None and len(st):
        out_console.print(f"stress test: {int(st['flag'].sum())} of {len(st)} segment-destination pairs "
                          "run dry before the segment would reopen", markup=False)
    out_console.print(f"wrote {out}/", markup=False)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output directory [default: runs/<scenario>_value].")
@_run_options
@user_errors
def value(scenario: Path, out_dir: Path | None, **kw: Any) -> None:
    """What one more escort unit at each base, day of stock at each destination and tanker a day
    at each source is worth in SCENARIO (paired, with intervals)."""
    import pandas as pd

    out = _study("value", scenario, out_dir, **kw)
    if kw["quiet"]:
        return
    for s in pd.read_csv(out / "value.csv")["statement"]:
        out_console.print(f"- {s}", markup=False)
    out_console.print(f"wrote {out}/", markup=False)


@main.command()
@click.argument("sweep_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--metric", required=True, help="Summary column, or stockout_by:YYYY-MM-DD.")
@click.option("--threshold", type=float, required=True, help="Cases at or beyond it are bad.")
@click.option("--destination", default=None, metavar="NAME",
              help="Judge METRIC at this destination (the sweep must keep: [destinations]) "
                   "[default: the national summary].")
@click.option("--below", is_flag=True, help="Bad means at or below the threshold [default: above].")
@click.option("--level", type=click.Choice(["replication", "point"]), default="replication",
              show_default=True, help="Cases: each replication, or each point's mean.")
@click.option("--min-coverage", type=click.FloatRange(0, 1), default=0.5, show_default=True,
              help="Chosen box: the densest keeping at least this share of the bad cases.")
@click.option("--peel-alpha", type=click.FloatRange(0, 0.5, min_open=True, max_open=True),
              default=0.05, show_default=True, help="Share of the box peeled per step.")
@click.option("--mass-min", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.05, show_default=True, help="Smallest box (share of all cases).")
@click.option("--bootstrap", type=click.IntRange(min=0), default=100, show_default=True,
              help="Bootstrap resamples for the limits' intervals.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the bootstrap and the tree.")
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output directory [default: SWEEP_DIR/discovery].")
@click.option("--force", is_flag=True, help="Replace the files of an existing output directory.")
@user_errors
def discover(sweep_dir: Path, metric: str, threshold: float, destination: str | None, below: bool,
             level: str, min_coverage: float, peel_alpha: float, mass_min: float, bootstrap: int, seed: int,
             out_dir: Path | None, force: bool) -> None:
    """Scenario discovery on a finished sweep: PRIM boxes (and a CART tree) of the conditions
    under which METRIC is beyond THRESHOLD."""
    import pandas as pd

    from ..decisions.discovery import discover as run_discovery

    out = out_dir or sweep_dir / "discovery"
    man = run_discovery(sweep_dir, out, metric, threshold, "below" if below else "above", level,
                        min_coverage, peel_alpha, mass_min, bootstrap, seed, force, destination)
    out_console.print(f"{man['bad_cases']} of {man['cases']} cases are bad ({man['bad_share']:.0%}); "
                      f"box {man['box']}: coverage {man['coverage']:.2f}, density {man['density']:.2f}, "
                      f"mass {man['mass']:.2f}", markup=False)
    box = pd.read_csv(out / "box.csv")
    for _, r in box[box["restricted"]].iterrows():
        ci = (f"; 90% bootstrap: low {r['low_lo']:.4g}-{r['low_hi']:.4g}, high {r['high_lo']:.4g}-"
              f"{r['high_hi']:.4g}" if "low_lo" in box.columns else "")
        need = "needed" if r["qp"] < 0.05 else "not needed"
        out_console.print(f"  {r['input']}: {r['low']:.4g} to {r['high']:.4g} (quasi-p {r['qp']:.2g}, "
                          f"{need}{ci})", markup=False)
    _save_figures(out, False)


@main.command()
@click.argument("levers", nargs=-1, required=True,
                type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--set", "sets", multiple=True, metavar="PATH=V1,V2,...",
              help="An uncertainty and its values (repeat for a grid); PATH=LOW:HIGH for a range.")
@click.option("--sweep", "sweep_file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=None, help="Take the uncertainties and design from this sweep file instead.")
@click.option("--metric", default="unmet_l", show_default=True,
              help="Summary column, or stockout_by:YYYY-MM-DD.")
@click.option("--destination", default=None, metavar="NAME",
              help="Judge METRIC at this destination [default: the national summary].")
@click.option("-n", "--replications", type=click.IntRange(min=1), default=20, show_default=True,
              help="Replications per lever and point.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Root seed.")
@click.option("-w", "--workers", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("runs/regret"), show_default=True, help="Output directory.")
@click.option("--resume", is_flag=True, help="Continue an interrupted study.")
@click.option("--force", is_flag=True, help="Replace an existing output directory.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no table.")
@user_errors
def regret(levers: tuple[Path, ...], sets: tuple[str, ...], sweep_file: Path | None, metric: str,
           destination: str | None, replications: int, seed: int, workers: int, out_dir: Path, resume: bool, force: bool,
           quiet: bool) -> None:
    """Rank LEVERS (what-if scenario files) by regret across the uncertainties (minimax regret,
    regret percentiles), on common random numbers."""
    import pandas as pd

    from ..decisions.regret import regret_study

    executor = make_executor("local", None, workers)

    def work(progress):
        return regret_study(levers, out_dir, executor, metric, sets, sweep_file, replications, seed,
                            resume=resume, force=force, progress=progress, destination=destination)

    resumable(work, "regret", replications * len(levers), executor, out_dir, "levers", quiet)
    _save_figures(out_dir, quiet)
    if quiet:
        return
    r = pd.read_csv(out_dir / "regret.csv")
    where = f" at {destination}" if destination else ""
    table = Table(title=f"What-ifs ranked by maximum regret ({metric}{where})", title_justify="left",
                  show_edge=False)
    for col in ("rank", "what-if", "mean", "max regret", "P90 regret", "P50 regret"):
        table.add_column(col, justify="left" if col == "what-if" else "right")
    for _, x in r.iterrows():
        table.add_row(str(x["rank"]), escape(x["lever"]), *(f"{x[c]:,.4g}" for c in (
            "mean_outcome", "max_regret", "p90_regret", "p50_regret")))
    out_console.print(table)
    out_console.print(f"wrote {out_dir}/", markup=False)

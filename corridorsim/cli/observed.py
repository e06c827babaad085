"""Commands on the observed record: ``incidents`` (read and match conflict events), ``rates``
(threat rates from incidents and simulated exposure) and ``calibrate`` (ABC against the record).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from ..atomic import check_output_dir
from .app import (
    engine_option,
    err_console,
    main,
    make_executor,
    out_console,
    resumable,
    say_engine,
    user_errors,
)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Output directory [default: runs/<calibration name>].")
@click.option("-w", "--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes [default: every core this process may use]; 1 runs in this "
                   "process.")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True)
@click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
              help="Address of an existing Dask scheduler (implies --executor dask).")
@click.option("--chunk-size", type=click.IntRange(min=1), default=None,
              help="Replications per task [default: all replications of a draw].")
@click.option("--resume", is_flag=True, help="Continue an interrupted calibration.")
@click.option("--force", is_flag=True, help="Replace an existing output directory.")
@engine_option
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no tables.")
@user_errors
def calibrate(file: Path, out_dir: Path | None, workers: int | None, executor: str,
              scheduler: str | None, chunk_size: int | None, resume: bool, force: bool,
              engine: str, quiet: bool) -> None:
    """Fit the parameters of a calibration FILE to observed summaries by approximate Bayesian
    computation (rejection ABC over prior draws, or sequential Monte Carlo ABC with method: smc;
    each batch of draws runs as a resumable sweep)."""
    from ..experiments.calibration import load_calibration, run_calibration
    from ..experiments.processes import default_workers
    from ..experiments.smc_abc import run_smc_abc
    from ..experiments.sweep_spec import base_label
    from ..scenario.documents import read_scenario_dict, scenario_from_dict

    spec = load_calibration(file)
    out = out_dir if out_dir is not None else Path("runs") / spec.name
    check_output_dir(out, force=force, resume=resume)  # fail before simulating, not after
    base = scenario_from_dict(read_scenario_dict(spec.base, base_label(str(file), spec.base)),
                              spec.base)
    say_engine([base], engine, quiet)  # the draws' points are checked again as they run
    w = workers or default_workers()
    ex = make_executor(executor, scheduler, w)
    result = resumable(
        lambda progress: (run_smc_abc if spec.method == "smc" else run_calibration)(
            spec, out, ex, chunk_size or spec.replications, resume=resume, force=force,
            source=str(file), progress=progress, engine=engine),
        spec.name, spec.samples * spec.replications * (spec.generations if spec.method == "smc" else 1),
        ex, out, "runs", quiet)
    if not quiet:
        diag = result["diagnostics"]
        if spec.method == "smc":
            gens = result["generations"]
            w = result["posterior"].weight.to_numpy(float)
            title = (f"{spec.name}: posterior of {len(w)} particles (effective sample size "
                     f"{1.0 / float((w ** 2).sum()):.1f}) after {len(gens)} generations, "
                     f"tolerance {gens[0]['tolerance']:.3g} -> {result['threshold']:.3g}")
        else:
            title = (f"{spec.name}: {int(result['samples'].accepted.sum())} of "
                     f"{len(result['samples'])} draws accepted (distance <= "
                     f"{result['threshold']:.3g})")
        table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
        for col in ("name", "observed", "prior mean", "posterior mean", "P5", "P95"):
            table.add_column(col, justify="left" if col == "name" else "right")
        for r in diag.to_dict(orient="records"):
            obs = "" if pd_isna(r["observed"]) else f"{r['observed']:.4g}"
            table.add_row(escape(str(r["name"])), obs, f"{r['prior_mean']:.4g}",
                          f"{r['posterior_mean']:.4g}", f"{r['posterior_p5']:.4g}",
                          f"{r['posterior_p95']:.4g}")
        out_console.print(table)
    from ..viz.run_figures import calibration_fit, save_figures

    observed = {o.name: float(v) for o, v in zip(spec.observed, result["observed"].values())}
    save_figures({"fit": calibration_fit(result["samples"], observed,
                                         title=f"{spec.name}: simulated summaries vs the record")},
                 out)
    out_console.print(f"posterior samples written to {out}/posterior.csv; fit figure {out}/fit.png",
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
@user_errors
def incidents(file: Path, scenario_file: Path, out_file: Path | None, plot_file: Path | None,
              buffer_km: float) -> None:
    """Read conflict events (ACLED export layout) from FILE, classify them and place them on
    the scenario's network."""
    from ..observed.incident_file import read_incidents
    from ..observed.incident_kinds import classify
    from ..observed.incident_matching import match_to_network
    from ..observed.incidents import format_incident_table, write_table_csv
    from ..scenario.loading import load_scenario
    from ..scenario.network import build_network
    from ..viz.incident_map import plot_incident_map

    graph = build_network(load_scenario(scenario_file))
    table, problems = read_incidents(file, on_error="report")
    for line in problems:
        err_console.print(f"error: {file}: {line}", markup=False)
    matched = match_to_network(classify(table), graph, buffer_km=buffer_km)
    out_console.print(format_incident_table(matched), markup=False)
    if out_file is not None:
        write_table_csv(matched, out_file)
        out_console.print(f"wrote {out_file}", markup=False)
    if plot_file is not None:
        plot_incident_map(matched, graph, plot_file)
        out_console.print(f"wrote {plot_file}", markup=False)
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
@user_errors
def rates(scenario_file: Path, incidents_file: Path | None, by: str, replications: int,
          seed: int | None, workers: int, correct_escort: bool, correct_phases: bool, stat: str,
          buffer_km: float, out_file: Path | None) -> None:
    """Estimate ambush and IED rates per 1000 convoy-km (Gamma-Poisson posterior) from observed
    incidents and the scenario's simulated traffic."""
    from ..observed.estimate import estimate_from_scenario
    from ..observed.rate_table import format_rates_table
    from ..observed.threat_blocks import write_threat_block

    cal = estimate_from_scenario(scenario_file, incidents_file, by=by, replications=replications,
                                 seed=seed, workers=workers, buffer_km=buffer_km,
                                 correct_for_escort=correct_escort,
                                 correct_for_phases=correct_phases)
    out_console.print(format_rates_table(cal.rates), markup=False)
    if out_file is not None:
        write_threat_block(out_file, cal.rates, kind=stat, extends=str(scenario_file.resolve()),
                           name=f"{cal.run.scenario.name}_calibrated")
        out_console.print(f"wrote {out_file}", markup=False)

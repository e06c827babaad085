"""The block lists of the three kinds of report: a run, a sweep and a calibration.

May import :mod:`.contexts`, :mod:`.standard_sets` (the captioned figures),
:mod:`.destination_figures`, :mod:`.report_sections`, :mod:`.report_blocks` and the figure
helpers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from .contexts import calibration_context, run_context, sweep_context
from .destination_figures import destination_order
from .report_blocks import Block, Table, fmt_date
from .report_sections import (
    assumption_blocks,
    destination_rows,
    headline_run,
    manifest_rows,
    metrics_rows,
)
from .standard_sets import calibration_set, run_set, sweep_set
from .style import format_number

__all__ = ["run_blocks", "sweep_blocks", "calibration_blocks"]


def run_blocks(root: Path) -> tuple[list[Block], str]:
    """The report of a run directory: blocks and title."""
    ctx = run_context(root)
    sc, man, run = ctx.scenario, ctx.manifest, ctx.run
    blocks = [Block("h1", sc.name),
              Block("sub", f"Simulation of {fmt_date(sc.start)} to "
                            f"{fmt_date(pd.Timestamp(sc.end) - pd.Timedelta(seconds=1))}; "
                            f"{man['replications']} replications, seed {man['seed']}; "
                            f"run {ctx.run_date}.")]
    if sc.description:
        blocks.append(Block("p", sc.description))
    blocks.append(Block("h2", "At a glance"))
    blocks.append(Block("ul", items=headline_run(run["metrics"], sc,
                                                  run.get("daily_by_destination", run["daily"]),
                                                  run.get("destinations"))))
    blocks += assumption_blocks(sc, "Key assumptions")
    if ctx.obs_d is not None or ctx.obs_i is not None:
        blocks.append(Block("p", f"Observed data drawn beside the simulation: "
                                  f"{sc.observations.source or 'the scenario observations'}."))
    blocks.append(Block("h2", "Key metrics"))
    blocks.append(Block("p", f"Across {man['replications']} replications. ML = million litres. "
                              "P5, P50, P95: 5th, 50th (median) and 95th percentiles."))
    blocks.append(Block("table", table=metrics_rows(run["metrics"], sc.start)))
    figures = run_set(ctx)
    per_destination = {"stock_by_destination", "stockout_by_destination"}
    if "daily_by_destination" in run:
        blocks += destination_blocks(run["destinations"], run["daily_by_destination"],
                                     sc.destination.label, man["replications"],
                                     [cf for cf in figures if cf.name in per_destination])
    blocks.append(Block("h2", "Figures"))
    for cf in figures:
        if cf.name not in per_destination:
            blocks.append(Block("fig", text=cf.caption, figure=cf))
    keys = ["kind", "scenario_name", "scenario_hash", "seed", "replications", "start", "end",
            "command", "workers", "wall_time_s", "sim_events"]
    blocks.append(Block("manifest", table=Table(["item", "value"], manifest_rows(man, keys), "ll",
                                                  [1.6, 5.4])))
    return blocks, sc.name


def destination_blocks(destinations: pd.DataFrame, daily: pd.DataFrame, focus: str,
                       replications: int, figures: list[Any]) -> list[Block]:
    """The "Destinations" section of a run with several: a table per destination (when the
    run has its ``destinations`` table) and the figures that put the destinations side by
    side."""
    out = [Block("h2", "Destinations"),
           Block("p", f"The run supplies {daily['destination'].nunique()} destinations, each "
                      f"with its own stock and demand. The headline and the key metrics "
                      f"above cover all of them; the other figures show {focus}, "
                      "the focus destination.")]
    if destinations is not None and len(destinations) and "destination" in destinations:
        out.append(Block("p", f"Mean across {replications} replications, with its 95 % "
                              "confidence interval in brackets; ML = million litres; days dry: "
                              "days on which the destination's stock ran out; P(ran out): "
                              "share of replications in which it ran out at least once."))
        out.append(Block("table", table=destination_rows(
            destinations, destination_order(destinations, focus), focus)))
    out += [Block("fig", text=cf.caption, figure=cf) for cf in figures]
    return out


def _factor_text(f: dict[str, Any]) -> str:
    if f.get("values") is not None:
        return ", ".join(map(str, f["values"]))
    if f.get("range") is not None:
        lo, hi = f["range"]
        return f"{lo} to {hi}" + (" (integers)" if f.get("integer") else "")
    if f.get("alternatives") is not None:
        return "alternatives: " + ", ".join(f["alternatives"])
    return ""


def _points_table(ps: pd.DataFrame, factors: list[str], reference: int,
                  max_rows: int = 60) -> tuple[Table, int]:
    from .layout import _metric_label, _short_factor
    from .sweep_figures import _fmt_level

    wanted = [m for m in ("delivered_l", "tankers_destroyed", "unmet_l", "days_at_zero")
              if m in set(ps["metric"])]
    points = sorted(ps["point"].unique())
    header = ["point", *[_short_factor(f) for f in factors],
              *[_metric_label(m).replace(" (ML)", ", ML") for m in wanted]]
    rows, mark = [], set()
    for i, p in enumerate(points[:max_rows]):
        sub = ps[ps["point"] == p].set_index("metric")
        first = sub.iloc[0]
        row = [str(p) + (" (ref.)" if p == reference else ""),
               *[_fmt_level(first[f]) for f in factors]]
        for m in wanted:
            r = sub.loc[m]
            scale = 1e6 if m.endswith("_l") else 1.0
            row.append(f"{format_number(r['mean'] / scale, 3)} "
                       f"({format_number(r['p5'] / scale, 2)}–{format_number(r['p95'] / scale, 2)})")
        rows.append(row)
        if p == reference:
            mark.add(i)
    widths = [1.1] + [1.2] * len(factors) + [1.9] * len(wanted)
    return Table(header, rows, "l" + "r" * (len(header) - 1), widths, mark), len(points)


def sweep_blocks(root: Path) -> tuple[list[Block], str]:
    from ..scenario.documents import scenario_from_dict
    ctx = sweep_context(root)
    man, tables = ctx.manifest, ctx.tables
    spec = man.get("spec", {})
    base = man.get("base_scenario", {})
    blocks = [Block("h1", str(man.get("name"))),
              Block("sub", f"Sweep of scenario '{base.get('name', '?')}': {man.get('points')} "
                            f"points x {man.get('replications')} replications (common random "
                            f"numbers), seed {man.get('seed')}; run {ctx.run_date}.")]
    if spec.get("description"):
        blocks.append(Block("p", spec["description"]))
    if base.get("description"):
        blocks.append(Block("p", f"Base scenario: {base['description']}"))
    blocks.append(Block("h2", "Factors and design"))
    frows = [[f.get("name") or f["path"], _factor_text(f)] for f in spec.get("factors", [])]
    frows.append(["design", str(spec.get("design", {}).get("kind", ""))])
    frows.append(["reference point", str(man.get("reference_point", 0))])
    blocks.append(Block("table", table=Table(["factor", "levels"], frows, "ll", [2.6, 4.4])))
    try:
        sc = scenario_from_dict(base)
    except Exception:  # noqa: BLE001 - a base from another version: skip its assumptions
        sc = None
    if sc is not None:
        blocks += assumption_blocks(sc, "Key assumptions of the base scenario")
    ps = tables.get("points_summary")
    if ps is not None and not ps.empty:
        table, n_points = _points_table(ps, list(man["factors"]), int(man.get("reference_point", 0)))
        blocks.append(Block("h2", "Points summary"))
        more = f" The first {len(table.rows)} of {n_points} points are shown." if n_points > len(table.rows) else ""
        blocks.append(Block("p", "Mean (P5–P95) per point across its replications; ML = million "
                                  f"litres.{more}"))
        blocks.append(Block("table", table=table))
    figs = sweep_set(ctx)
    if figs:
        blocks.append(Block("h2", "Figures"))
        for cf in figs:
            blocks.append(Block("fig", text=cf.caption, figure=cf))
    keys = ["kind", "name", "design_hash", "seed", "replications", "points", "chunk_size",
            "reference_point", "command", "executor", "workers"]
    blocks.append(Block("manifest", table=Table(["item", "value"], manifest_rows(man, keys), "ll",
                                                  [1.6, 5.4])))
    return blocks, str(man.get("name"))



def calibration_blocks(root: Path) -> tuple[list[Block], str]:
    """The report of a calibration directory (``corridorsim calibrate``): what was calibrated
    against what, the fit per statistic and the posterior per parameter, the figures and the
    calibration's settings."""
    ctx = calibration_context(root)
    man, spec = ctx.manifest, ctx.manifest.get("spec", {})
    name = str(spec.get("name", root.name))
    blocks = [Block("h1", name),
              Block("sub", f"ABC rejection calibration of '{spec.get('base', '?')}': "
                           f"{man.get('accepted')} of {len(ctx.samples)} prior draws accepted "
                           f"(distance <= {format_number(float(man.get('threshold', float('nan'))), 3)}), "
                           f"{spec.get('replications', '?')} replications per draw, seed "
                           f"{spec.get('seed', '?')}; run {ctx.run_date}.")]
    if spec.get("description"):
        blocks.append(Block("p", str(spec["description"])))
    diag = ctx.diagnostics
    if not diag.empty:
        def fmt(v: Any) -> str:
            return format_number(float(v), 3) if pd.notna(v) else "–"

        stat = diag[diag["kind"] == "statistic"]
        if len(stat):
            blocks.append(Block("h2", "Fit to the record"))
            blocks.append(Block("p", "Each observed summary statistic against the same "
                                     "statistic simulated (mean per draw) over the prior draws "
                                     "and over the accepted draws."))
            rows = [[str(r["name"]), fmt(r["observed"]), fmt(r["prior_mean"]),
                     fmt(r["posterior_mean"]), f"{fmt(r['posterior_p5'])}–{fmt(r['posterior_p95'])}"]
                    for _, r in stat.iterrows()]
            blocks.append(Block("table", table=Table(
                ["statistic", "observed", "prior mean", "posterior mean", "posterior P5–P95"],
                rows, "lrrrr", [2.6, 1.1, 1.1, 1.2, 1.6])))
        par = diag[diag["kind"] == "parameter"]
        if len(par):
            blocks.append(Block("h2", "Calibrated parameters"))
            rows = [[str(r["name"]), fmt(r["prior_mean"]), fmt(r["posterior_mean"]),
                     f"{fmt(r['posterior_p5'])}–{fmt(r['posterior_p95'])}"]
                    for _, r in par.iterrows()]
            blocks.append(Block("table", table=Table(
                ["parameter", "prior mean", "posterior mean", "posterior P5–P95"], rows, "lrrr",
                [3.2, 1.1, 1.2, 1.6])))
    figs = calibration_set(ctx)
    if figs:
        blocks.append(Block("h2", "Figures"))
        for cf in figs:
            blocks.append(Block("fig", text=cf.caption, figure=cf))
    rows = [[k, str(spec[k])] for k in ("name", "base", "samples", "replications", "seed",
                                         "accept_fraction") if k in spec]
    rows.append(["accepted", str(man.get("accepted"))])
    blocks.append(Block("manifest", table=Table(["item", "value"], rows, "ll", [1.6, 5.4])))
    return blocks, name

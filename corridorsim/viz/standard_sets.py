"""The standard figure sets of a results directory, each figure with a one-line caption, and
saving figures to files.

:func:`captioned_figures` (and :func:`standard_figures`, by name) picks the set for a run,
sweep or calibration directory; :func:`save_figures` writes them atomically as PNG, SVG or PDF
with reproducible metadata. May import every figure module of :mod:`corridorsim.viz` and
:mod:`.contexts`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..atomic import atomic_write
from .calibration_figures import calibration_fit, posterior_parameters
from .contexts import (
    CalibrationContext,
    CaptionedFigure,
    RunContext,
    SweepContext,
    calibration_context,
    each_destination,
    kind_of,
    run_context,
    sweep_context,
)
from .corridor_figures import deliveries_by_corridor, losses_by_week
from .destination_figures import stock_by_destination, stockout_by_destination
from .escort_figures import attack_timeline, escort_use
from .layout import _metric_name, _short_factor
from .maps import corridor_map
from .stock_figures import fan_chart, stock_chart
from .style import plot_style
from .sweep_figures import sensitivity_bars, stockout_by_date, sweep_heatmap, sweep_lines

__all__ = ["captioned_figures", "standard_figures", "save_figures", "run_set", "sweep_set",
           "calibration_set"]


def run_set(ctx: RunContext) -> list[CaptionedFigure]:
    """The standard figures of a run, captioned (see :func:`captioned_figures`)."""
    run, sc, g = ctx.run, ctx.scenario, ctx.graph
    daily, events, convoys = run["daily"], run["events"], run["convoys"]
    n = int(ctx.manifest["replications"])
    dest = sc.destination.node
    foot = ctx.footer
    payloads = [s.payload_l for s in sc.sources] + [c.payload_l for c in sc.convoys]
    payload = float(np.median(payloads)) if payloads else 45_000.0
    start, end = pd.Timestamp(sc.start), pd.Timestamp(sc.end)
    units = sum(b.units for b in sc.escorts.bases)
    obs_d, obs_i = ctx.obs_d, ctx.obs_i
    out = [
        CaptionedFigure("fan_chart", fan_chart(daily, obs_d, destination=dest, payload_l=payload,
                                               footer=foot),
                        f"Cumulative fuel delivered to {dest}: median and P25–P75 / P5–P95 bands "
                        f"over {n} replications, against the unrationed demand"
                        + ("; points are reported arrivals (incomplete)." if obs_d is not None
                           else ".")),
        CaptionedFigure("stock_chart", stock_chart(daily, destination=dest, footer=foot,
                                                   rationing_cover_days=[t.below_cover_days for t in
                                                                        sc.destination.rationing]),
                        f"Stock at {dest} at the end of each day (bands across replications, "
                        "shaded where the median is zero) and the probability that it has run "
                        "out by each date."),
        CaptionedFigure("deliveries_by_corridor",
                        deliveries_by_corridor(events, convoys, daily, replications=n, start=start,
                                               end=end, freq="W", destination=dest, footer=foot),
                        f"Mean fuel delivered to {dest} per day (weekly averages), by the corridor "
                        "of the arriving convoy, against the unrationed daily demand."),
        CaptionedFigure("losses_by_week",
                        losses_by_week(events, replications=n, start=start, end=end, footer=foot),
                        "Tankers and fuel destroyed in ambushes and IED strikes per week, by "
                        "corridor (mean per replication)."),
        CaptionedFigure("attack_timeline",
                        attack_timeline(events, start=start, end=end, footer=foot),
                        f"Every simulated attack by date and corridor, pooled over {n} "
                        "replications: marker type = ambush or IED, area = tankers destroyed."),
        CaptionedFigure("escort_use",
                        escort_use(daily, convoys, units_total=units or None, footer=foot),
                        "Escort units busy per day against the units available, and how long "
                        "escorted convoys waited for their escort."),
    ]
    by_dest = run.get("daily_by_destination")
    if by_dest is not None:  # several destinations: side by side, after the focus figures
        focus = sc.destination.label
        out[2:2] = [
            CaptionedFigure("stock_by_destination",
                            stock_by_destination(by_dest, focus=focus, footer=foot),
                            f"Stock at each destination at the end of each day (median and "
                            f"P5–P95 over {n} replications, own scale per panel, shaded where "
                            f"the median is zero); {focus} is the focus of the other figures."),
            CaptionedFigure("stockout_by_destination",
                            stockout_by_destination(by_dest, focus=focus, footer=foot),
                            "Probability that each destination's stock has run out on or "
                            "before each date, with 95 % intervals."),
        ]
    if g is not None:
        places = {"destination": dest, "sources": [s.node for s in sc.sources],
                  "staging": [s.node for s in sc.staging], "replications": n, "footer": foot}
        out[-2:-2] = [  # before the attack timeline and escort use
            CaptionedFigure(
                "corridor_map",
                corridor_map(g, events, convoys, metric="loss_rate", observed_incidents=obs_i,
                             **places),
                "Road segments coloured and sized by tankers lost per 1000 convoy-km, with "
                "simulated attack locations" + (" and observed incidents." if obs_i is not None
                                                else ".")),
            CaptionedFigure(
                "traffic_map",
                corridor_map(g, events, convoys, metric="traffic", show_attacks=False, **places),
                "Road segments coloured and sized by the number of movements (convoys and tanker "
                "batches) using them, per replication."),
        ]
    return out



def sweep_set(ctx: SweepContext, metric: str = "delivered_l") -> list[CaptionedFigure]:
    """The standard figures of a sweep, captioned (see :func:`captioned_figures`)."""
    man, tables, design = ctx.manifest, ctx.tables, ctx.design
    foot = ctx.footer
    factors = list(man["factors"])
    ps = tables.get("points_summary")
    out: list[CaptionedFigure] = []
    if ps is None or ps.empty:
        return out
    if metric not in set(ps["metric"]):
        metric = str(ps["metric"].iloc[0])
    ref = int(man.get("reference_point", 0))
    label = _metric_name(metric)
    grid = man.get("spec", {}).get("design", {}).get("kind") in ("grid", "points")
    if len(factors) >= 2 and grid:
        x, y = factors[0], factors[1]
        out.append(CaptionedFigure(
            "sweep_heatmap", sweep_heatmap(ps, x, y, metric, reference=ref, footer=foot),
            f"Mean {label} at each combination of {_short_factor(x)} and {_short_factor(y)}"
            + (" (other factors averaged)." if len(factors) > 2 else ".")))
        if "paired_differences" in tables:
            out.append(CaptionedFigure(
                "sweep_heatmap_paired",
                sweep_heatmap(ps, x, y, metric, paired=tables["paired_differences"], reference=ref,
                              footer=foot),
                f"Mean paired difference in {label} to the reference point (same random numbers "
                "in every point, so differences are much more precise than the levels)."))
    if grid:
        for i, f in enumerate(factors[:3]):
            group = factors[1] if i == 0 and len(factors) > 1 else (
                factors[0] if len(factors) > 1 else None)
            out.append(CaptionedFigure(
                f"sweep_lines_{i}", sweep_lines(ps, f, metric, group=group, footer=foot),
                f"Mean {label} against {_short_factor(f)}"
                + (f", one line per {_short_factor(group)}" if group else "")
                + ", with 95 % confidence bands of the mean."))
    if "stockout_probability" in tables and not tables["stockout_probability"].empty:
        several = len(man.get("base_scenario", {}).get("destinations") or ()) > 1
        out.append(CaptionedFigure(
            "stockout_by_date", stockout_by_date(
                tables["stockout_probability"], design=design, footer=foot,
                title="Probability that a depot has run out by date" if several else None),
            ("Probability that some destination's stock has run out by each date (a day counts "
             "when any depot is dry)" if several else
             "Probability that the destination's stock has run out by each date")
            + ", per point, with 95 % intervals."))
        by_dest = tables.get("stockout_probability_by_destination")
        if by_dest is not None and by_dest["destination"].nunique() > 1:
            out += each_destination(
                by_dest, "stockout_by_date",
                lambda d: stockout_by_date(by_dest[by_dest["destination"].astype(str) == d],
                                           design=design, footer=foot,
                                           title=f"Probability that {d} has run out by date"),
                lambda d: f"Probability that {d}'s own stock has run out by each date, per "
                          "point, with 95 % intervals.")
    if "sensitivity" in tables and not tables["sensitivity"].empty:
        sens = tables["sensitivity"]
        m = metric if metric in set(sens["metric"]) else str(sens["metric"].iloc[0])
        out.append(CaptionedFigure(
            "sensitivity", sensitivity_bars(sens, m, footer=foot),
            f"Sensitivity of {_metric_name(m)} to each factor, with confidence intervals."))
    return out



def calibration_set(ctx: CalibrationContext) -> list[CaptionedFigure]:
    """The standard figures of a calibration: the fit of the simulated summaries to the
    record, and the prior and posterior of each calibrated parameter."""
    spec = ctx.manifest.get("spec", {})
    name = spec.get("name", ctx.root.name)
    out = [CaptionedFigure(
        "fit", calibration_fit(ctx.samples, ctx.observed,
                               title=f"{name}: simulated summaries against the record",
                               footer=ctx.footer),
        "Each observed summary statistic (diamond) against the same statistic simulated for "
        "every prior draw: rejected draws (light) and accepted draws (dark), with their "
        "P5–P95 ranges.")]
    params = [p["path"] for p in spec.get("parameters", []) if p.get("path") in ctx.samples]
    if params:
        out.append(CaptionedFigure(
            "posterior", posterior_parameters(ctx.samples, params, footer=ctx.footer),
            "Each calibrated parameter: the prior draws and the accepted draws (the posterior "
            "sample written to posterior.csv)."))
    return out


def captioned_figures(path: str | Path) -> list[CaptionedFigure]:
    """The standard figures of a run, sweep or calibration directory, each with a one-line
    caption.

    Run directory: fan chart, stock chart (of the focus destination), the stock and the
    stock-out probability of every destination (runs with several), deliveries by corridor, losses by week, loss map,
    traffic map, attack timeline, escort use. The network is built from the manifest's
    scenario; observed deliveries and incidents are drawn when the scenario's observation
    files exist. Sweep directory: heat maps of the mean and of the paired difference (first two
    factors of a grid), lines per factor, stock-out probability by date and sensitivity bars
    when the sweep has them. The summaries are read from the directory or computed.
    Calibration directory: the fit to the observed summaries and the parameters' prior and
    posterior.
    """
    root = Path(path)
    kind = kind_of(root)
    if kind == "run":
        return run_set(run_context(root))
    if kind == "sweep":
        return sweep_set(sweep_context(root))
    return calibration_set(calibration_context(root))


def standard_figures(path: str | Path) -> dict[str, Any]:
    """The standard figures of a results directory, by name (see :func:`captioned_figures`)."""
    return {c.name: c.figure for c in captioned_figures(path)}


def save_figures(figs: Mapping[str, Any], out_dir: str | Path, fmt: str = "png",
                 dpi: float = 150) -> list[Path]:
    """Write each figure to ``out_dir/<name>.<fmt>`` (png, svg or pdf), atomically (temporary
    file in the same directory, then rename). Returns the paths written."""
    fmt = fmt.lower().lstrip(".")
    if fmt not in ("png", "svg", "pdf"):
        raise ValueError(f"format {fmt!r}: expected png, svg or pdf")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, fig in figs.items():
        def write(tmp: Path, fig=fig) -> None:
            with plot_style():
                fig.savefig(tmp, format=fmt, dpi=dpi, facecolor="white", metadata=_metadata(fmt))

        paths.append(atomic_write(out / f"{name}.{fmt}", write))
    return paths


def _metadata(fmt: str) -> dict[str, Any]:
    """Reproducible files: no creation date in PDF/SVG/PNG metadata."""
    if fmt == "png":
        return {"Software": None}
    if fmt == "pdf":
        return {"CreationDate": None, "Creator": "corridorsim", "Producer": None}
    return {"Date": None, "Creator": "corridorsim"}

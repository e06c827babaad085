"""Summaries of a sweep: per-point metrics, paired differences, stock-out probability, sensitivity.

Pure functions of the per-replication summary table (one row per point and replication) and the
design table. Paired differences exploit common random numbers: replication ``r`` of two points
met the same random streams, so ``metric(point, r) - metric(reference, r)`` has a much smaller
variance than a difference of independent runs, and its 95 % confidence interval is the Student t
interval ``mean +- t_{n-1} sd / sqrt(n)`` over the ``n`` common replications. Stock-out
probabilities get Wilson score intervals. Every interval comes from
:mod:`corridorsim.experiments.statistics`.

Sensitivity indices come from SALib: Sobol first-order and total indices for ``sobol_sa``
designs, Morris elementary effects for ``morris`` designs, computed on the per-point mean of each
metric (first stock-out day censored at the horizon).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import OutputError
from ..manifests import read_manifest, read_results_csv
from .statistics import mean_interval, proportion_interval

__all__ = ["POINT_STAT_COLUMNS", "DEFAULT_METRICS", "point_metrics", "paired_differences", "stockout_probability",
           "sensitivity", "summarize_sweep", "write_summaries"]

#: Columns of ``points_summary`` besides the factor columns (one row per point and metric).
POINT_STAT_COLUMNS = ("point", "metric", "n", "mean", "sd", "p5", "p50", "p95",
                      "ci95_halfwidth", "ci95_low", "ci95_high")

#: Summary columns summarised by default (plus every ``delivered_l_by_day_*`` column).
DEFAULT_METRICS = ("delivered_l", "litres_destroyed", "tankers_destroyed", "unmet_l",
                   "days_at_zero", "first_stockout_day", "final_stock_l", "escort_utilisation",
                   "mean_escort_wait_h")


def _metrics_of(summary: pd.DataFrame, metrics: list[str] | None) -> list[str]:
    if metrics is None:
        metrics = [m for m in DEFAULT_METRICS if m in summary.columns]
        metrics += sorted(c for c in summary.columns if c.startswith("delivered_l_by_day_"))
    missing = [m for m in metrics if m not in summary.columns]
    if missing:
        raise OutputError(f"unknown metric(s) {missing}; expected summary columns: "
                          f"{', '.join(c for c in summary.columns if c not in ('point', 'replication'))}")
    return list(metrics)


def point_metrics(summary: pd.DataFrame, design: pd.DataFrame,
                  metrics: list[str] | None = None) -> pd.DataFrame:
    """Mean, sd, P5, P50, P95 and 95 % Student t interval of each metric at each point.

    Returns
    -------
    pandas.DataFrame
        One row per point and metric, with the factor values of the point; ``ci95_halfwidth``
        is the half-width of the mean's interval ``[ci95_low, ci95_high]`` (NaN with one
        replication).
    """
    metrics = _metrics_of(summary, metrics)
    rows = []
    for point, grp in summary.groupby("point", sort=True):
        for m in metrics:
            x = grp[m].to_numpy(dtype=float)
            x = x[np.isfinite(x)]
            n = len(x)
            if n:
                sd = float(np.std(x, ddof=1)) if n > 1 else np.nan
                p5, p50, p95 = np.percentile(x, [5, 50, 95])
                ci = mean_interval(x)
                rows.append((point, m, n, ci.estimate, sd, p5, p50, p95, ci.halfwidth, ci.low,
                             ci.high))
            else:
                rows.append((point, m, 0, *([np.nan] * 8)))
    out = pd.DataFrame(rows, columns=list(POINT_STAT_COLUMNS))
    return design.reset_index().merge(out, on="point", how="right")


def paired_differences(summary: pd.DataFrame, reference: int,
                       metrics: list[str] | None = None) -> pd.DataFrame:
    """Differences of each point to the reference point, paired by replication.

    Returns
    -------
    pandas.DataFrame
        Per point and metric: pairs ``n``, ``mean_diff``, ``sd_diff``, ``ci95_low``,
        ``ci95_high``, ``relative_diff`` (mean difference over the reference mean).
    """
    metrics = _metrics_of(summary, metrics)
    ref = summary[summary.point == reference].set_index("replication")
    rows = []
    for point, grp in summary.groupby("point", sort=True):
        g = grp.set_index("replication")
        common = g.index.intersection(ref.index)
        for m in metrics:
            d = (g.loc[common, m].to_numpy(dtype=float) - ref.loc[common, m].to_numpy(dtype=float))
            d = d[np.isfinite(d)]
            n = len(d)
            ci = mean_interval(d)
            mean = ci.estimate
            sd = float(d.std(ddof=1)) if n > 1 else np.nan
            if n and np.all(d == d[0]):
                # identical pairs (the reference against itself, or a factor that changes
                # nothing under common random numbers): the difference is known exactly
                ci = ci._replace(low=mean, high=mean)
                sd = 0.0
            ref_mean = float(np.nanmean(ref.loc[common, m].to_numpy(dtype=float))) if n else np.nan
            rel = mean / ref_mean if n and ref_mean not in (0.0,) and np.isfinite(ref_mean) else np.nan
            rows.append((point, reference, m, n, mean, sd, ci.low, ci.high, rel))
    return pd.DataFrame(rows, columns=["point", "reference", "metric", "n", "mean_diff", "sd_diff",
                                       "ci95_low", "ci95_high", "relative_diff"])


def stockout_probability(summary: pd.DataFrame, start: dt.date,
                         dates: list[dt.date]) -> pd.DataFrame:
    """Share of replications whose stock ran out on or before each date, per point.

    ``first_stockout_day`` counts days from the scenario start (day 0 = ``start``). The 95 %
    interval ``[ci95_low, ci95_high]`` is Wilson's, which stays open at 0 and 1. ``summary``
    is the national summary (a stock-out: *any* depot dry) or the sweep's destinations table,
    whose ``destination`` column then gives one row per point, destination and date.
    """
    keys = ["point", "destination"] if "destination" in summary.columns else ["point"]
    rows = []
    # points in order, destinations in the table's order within each
    for key, grp in summary.sort_values("point", kind="stable").groupby(keys, sort=False):
        first = grp["first_stockout_day"].to_numpy(dtype=float)
        n = len(first)
        for d in dates:
            day = (d - start).days
            ci = proportion_interval(int((np.isfinite(first) & (first <= day)).sum()), n)
            rows.append((*key, d.isoformat(), day, n, ci.estimate, ci.low, ci.high))
    return pd.DataFrame(rows, columns=[*keys, "date", "day", "n", "p_stockout", "ci95_low",
                                       "ci95_high"])


def sensitivity(summary: pd.DataFrame, design: pd.DataFrame, kind: str, factors: list[str],
                horizon_days: int, metrics: list[str] | None = None,
                morris_levels: int = 4) -> pd.DataFrame:
    """Sobol (``sobol_sa``) or Morris (``morris``) indices of each factor for each metric.

    Returns
    -------
    pandas.DataFrame
        Sobol: ``metric, factor, S1, S1_conf, ST, ST_conf``; Morris: ``metric, factor, mu,
        mu_star, sigma, mu_star_conf``. Empty for other designs.
    """
    if kind not in ("sobol_sa", "morris"):
        return pd.DataFrame()
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    from .designs import salib_problem

    metrics = _metrics_of(summary, metrics)
    problem = salib_problem([_Named(f) for f in factors])
    means = summary.copy()
    if "first_stockout_day" in means:
        means["first_stockout_day"] = means["first_stockout_day"].fillna(horizon_days)
    per_point = means.groupby("point", sort=True)[metrics].mean().reindex(design.index)
    rows: list[dict[str, Any]] = []
    unit = design[[f"_unit_{j}" for j in range(len(factors))]].to_numpy(dtype=float)
    for m in metrics:
        y = per_point[m].to_numpy(dtype=float)
        if not np.all(np.isfinite(y)):
            continue  # a point without results: the design is incomplete for this metric
        if kind == "sobol_sa":
            res = sobol_analyze.analyze(problem, y, calc_second_order=False, print_to_console=False,
                                        seed=1)  # SALib treats 0 as no seed
            for j, f in enumerate(factors):
                rows.append({"metric": m, "factor": f, "S1": res["S1"][j], "S1_conf": res["S1_conf"][j],
                             "ST": res["ST"][j], "ST_conf": res["ST_conf"][j]})
        else:
            res = morris_analyze.analyze(problem, unit, y, num_levels=morris_levels,
                                         print_to_console=False, seed=1)
            for j, f in enumerate(factors):
                rows.append({"metric": m, "factor": f, "mu": res["mu"][j], "mu_star": res["mu_star"][j],
                             "sigma": res["sigma"][j], "mu_star_conf": res["mu_star_conf"][j]})
    return pd.DataFrame(rows)


class _Named:
    def __init__(self, label: str):
        self.label = label


def summarize_sweep(root: str | Path, metrics: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """Every summary of a sweep directory, as DataFrames keyed by output file stem."""
    from .sweep_runner import read_table

    root = Path(root)
    manifest = read_manifest(root / "sweep.json", "a sweep results directory", ("spec", "factors"))
    design = read_results_csv(root / "design.csv", "a sweep results directory").set_index("point")
    summary = read_table(root, "summary")
    if summary.empty:
        raise OutputError(f"{root}: no finished tasks yet")
    spec = manifest["spec"]
    base = manifest["base_scenario"]
    start = dt.date.fromisoformat(str(base["start"])[:10])
    end = dt.date.fromisoformat(str(base["end"])[:10])
    factors = list(manifest["factors"])
    out = {
        "points_summary": point_metrics(summary, design[factors], metrics),
        "paired_differences": design[factors].reset_index().merge(
            paired_differences(summary, int(manifest["reference_point"]), metrics),
            on="point", how="right"),
    }
    dates = [dt.date.fromisoformat(str(d)) for d in spec.get("stockout_dates") or ()]
    if dates:
        out["stockout_probability"] = stockout_probability(summary, start, dates)
        if (root / "destinations").is_dir():  # kept: each destination's own probability
            out["stockout_probability_by_destination"] = stockout_probability(
                read_table(root, "destinations"), start, dates)
    kind = spec["design"]["kind"]
    if kind in ("sobol_sa", "morris"):
        out["sensitivity"] = sensitivity(summary, design, kind, factors, (end - start).days, metrics,
                                         spec["design"].get("morris_levels", 4))
    return out


def write_summaries(root: str | Path, tables: dict[str, pd.DataFrame],
                    out_dir: str | Path | None = None) -> list[Path]:
    """Write summary tables as CSV files (atomically) into ``out_dir`` (default ``root``)."""
    from ..atomic import atomic_write_text

    target = Path(out_dir) if out_dir is not None else Path(root)
    target.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, df in tables.items():
        p = target / f"{name}.csv"
        atomic_write_text(p, df.to_csv(index=False, lineterminator="\n"))
        paths.append(p)
    return paths

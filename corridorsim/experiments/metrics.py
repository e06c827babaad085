"""Key metrics across replications: pure functions of the result tables.

The metrics table has one row per metric with its unit, mean, standard deviation, P5, P50, P95
and the bounds of a 95 % confidence interval of the mean (Student t, see
:mod:`corridorsim.experiments.statistics`; NaN with a single replication). Metrics
that are undefined in some replications (the first stock-out day when the stock never ran out)
are summarised over the replications where they are defined, and ``p_stockout`` reports the
share of replications where the stock ran out, with a Wilson score interval (never the
zero-width ``1.0 +- 0.0`` of a Wald interval when every replication ran out).

With several destinations the summary is national (litres and stocks added up, a day at zero
when *any* depot is dry), and the labels say so (:data:`NATIONAL_LABELS`);
:func:`destination_metrics` gives each destination's own means and stock-out probability.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd

from .statistics import mean_interval, proportion_interval

__all__ = ["day_date", "KEY_METRICS", "NATIONAL_LABELS", "DESTINATION_MEANS", "key_metrics",
           "destination_metrics"]


#: (column of the summary table, unit, label) in display order.
KEY_METRICS = (
    ("delivered_l", "L", "litres delivered"),
    ("tankers_delivered", "tankers", "tankers delivered"),
    ("litres_destroyed", "L", "litres destroyed"),
    ("tankers_destroyed", "tankers", "tankers destroyed"),
    ("ambushes", "count", "ambushes"),
    ("ieds", "count", "IED strikes"),
    ("convoys", "count", "escorted/scheduled convoys"),
    ("unmet_l", "L", "unmet demand"),
    ("days_at_zero", "days", "days at zero stock"),
    ("first_stockout_day", "day", "first day at zero stock (if any)"),
    ("final_stock_l", "L", "stock at the end"),
    ("min_cover_days", "days", "lowest days of cover"),
    ("escort_utilisation", "share", "escort utilisation"),
    ("mean_escort_wait_h", "h", "mean wait for escort"),
)

#: Labels of the metrics whose meaning changes when a run has several destinations.
NATIONAL_LABELS = {
    "delivered_l": "litres delivered (all depots)",
    "tankers_delivered": "tankers delivered (all depots)",
    "unmet_l": "unmet demand (all depots)",
    "days_at_zero": "days with a depot at zero stock",
    "first_stockout_day": "first day a depot was at zero (if any)",
    "final_stock_l": "stock at the end (all depots)",
    "min_cover_days": "lowest days of cover (any depot)",
    "p_stockout": "probability that a depot ran out",
}
P_STOCKOUT_LABEL = "probability that the stock ran out"


def day_date(day: float | None, start: Any) -> dt.date | None:
    """The calendar date that day ``day`` of a scenario falls in (day 0 is the date of its
    ``start``; day 2.7 the date two days later), or None for a missing day (NaN, None).

    The one rule for showing a day of the scenario as a date: the command line's tables, the
    report's sentences and tables and the exported layers all use it.
    """
    if day is None or not math.isfinite(float(day)):
        return None
    start_date = start.date() if isinstance(start, dt.datetime) else pd.Timestamp(start).date()
    return start_date + dt.timedelta(days=math.floor(float(day)))


def key_metrics(summary: pd.DataFrame, destinations: int = 1) -> pd.DataFrame:
    """Summarise the per-replication summary table.

    Parameters
    ----------
    summary : pandas.DataFrame
        One row per replication (see :data:`corridorsim.model.records.SUMMARY_COLUMNS`).
    destinations : int
        Destinations of the scenario: with more than one, the labels say which metrics are
        national (:data:`NATIONAL_LABELS`).

    Returns
    -------
    pandas.DataFrame
        Columns ``metric, label, unit, n, mean, sd, p5, p50, p95, ci95_low, ci95_high``.
    """
    labels = dict(NATIONAL_LABELS) if destinations > 1 else {}
    rows = []
    for col, unit, label in KEY_METRICS:
        label = labels.get(col, label)
        x = summary[col].to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        n = len(x)
        if n:
            sd = float(np.std(x, ddof=1)) if n > 1 else np.nan
            p5, p50, p95 = (float(v) for v in np.percentile(x, [5, 50, 95]))
            ci = mean_interval(x)
            rows.append((col, label, unit, n, ci.estimate, sd, p5, p50, p95, ci.low, ci.high))
        else:
            rows.append((col, label, unit, 0, *([np.nan] * 7)))
    first = summary["first_stockout_day"].to_numpy(dtype=float)
    if len(first):
        ci = proportion_interval(int(np.isfinite(first).sum()), len(first))
        rows.append(("p_stockout", labels.get("p_stockout", P_STOCKOUT_LABEL), "share", len(first),
                     ci.estimate, np.nan, np.nan, np.nan, np.nan, ci.low, ci.high))
    return pd.DataFrame(rows, columns=["metric", "label", "unit", "n", "mean", "sd", "p5", "p50",
                                       "p95", "ci95_low", "ci95_high"])


#: Columns of the destinations table that :func:`destination_metrics` averages.
DESTINATION_MEANS = ("delivered_l", "unmet_l", "days_at_zero", "final_stock_l")


def destination_metrics(destinations: pd.DataFrame) -> pd.DataFrame:
    """Each destination's own outcomes across replications.

    Parameters
    ----------
    destinations : pandas.DataFrame
        The per-replication destinations table (one row per replication and destination, see
        :data:`corridorsim.model.records.DESTINATION_COLUMNS`).

    Returns
    -------
    pandas.DataFrame
        One row per destination, in the table's order: ``destination, n``; for each column of
        :data:`DESTINATION_MEANS` its mean and the bounds ``<col>_low``, ``<col>_high`` of the
        mean's 95 % Student t interval (NaN with one replication); the median of
        ``first_stockout_day`` over the replications where it ran out (NaN if none did); and
        ``p_stockout`` with its Wilson interval ``p_stockout_low``, ``p_stockout_high``.
    """
    rows = []
    for name, g in destinations.groupby("destination", sort=False):
        row = {"destination": name, "n": len(g)}
        for col in DESTINATION_MEANS:
            iv = mean_interval(g[col].to_numpy(dtype=float))
            row.update({col: iv.estimate, f"{col}_low": iv.low, f"{col}_high": iv.high})
        first = g["first_stockout_day"].to_numpy(dtype=float)
        ran_out = np.isfinite(first)
        ci = proportion_interval(int(ran_out.sum()), len(first))
        row.update({"first_stockout_day": float(np.median(first[ran_out])) if ran_out.any()
                    else np.nan, "p_stockout": ci.estimate, "p_stockout_low": ci.low,
                    "p_stockout_high": ci.high})
        rows.append(row)
    columns = ["destination", "n", *(f"{c}{s}" for c in DESTINATION_MEANS
                                     for s in ("", "_low", "_high")),
               "first_stockout_day", "p_stockout", "p_stockout_low", "p_stockout_high"]
    return pd.DataFrame(rows, columns=columns)

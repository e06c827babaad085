"""Key metrics across replications: pure functions of the result tables.

The metrics table has one row per metric with its unit, mean, standard deviation, P5, P50, P95
and the bounds of a 95 % confidence interval of the mean (Student t, see
:mod:`corridorsim.experiments.statistics`; NaN with a single replication). Metrics
that are undefined in some replications (the first stock-out day when the stock never ran out)
are summarised over the replications where they are defined, and ``p_stockout`` reports the
share of replications where the stock ran out, with a Wilson score interval (never the
zero-width ``1.0 +- 0.0`` of a Wald interval when every replication ran out).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .statistics import mean_interval, proportion_interval

__all__ = ["KEY_METRICS", "key_metrics"]

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


def key_metrics(summary: pd.DataFrame) -> pd.DataFrame:
    """Summarise the per-replication summary table.

    Parameters
    ----------
    summary : pandas.DataFrame
        One row per replication (see :data:`corridorsim.model.records.SUMMARY_COLUMNS`).

    Returns
    -------
    pandas.DataFrame
        Columns ``metric, label, unit, n, mean, sd, p5, p50, p95, ci95_low, ci95_high``.
    """
    rows = []
    for col, unit, label in KEY_METRICS:
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
        rows.append(("p_stockout", "probability that the stock ran out", "share", len(first),
                     ci.estimate, np.nan, np.nan, np.nan, np.nan, ci.low, ci.high))
    return pd.DataFrame(rows, columns=["metric", "label", "unit", "n", "mean", "sd", "p5", "p50",
                                       "p95", "ci95_low", "ci95_high"])

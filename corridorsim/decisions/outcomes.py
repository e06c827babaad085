"""The outcomes decisions are judged on, per destination and replication, and their paired
differences between sweep points.

Outcomes (from the per-replication summary table of a run or sweep): litres delivered
(``delivered_l``), unmet demand (``unmet_l``), days at zero stock (``days_at_zero``) and whether
the stock had run out by a date (``stockout_by``: ``first_stockout_day <= day``). A summary with
a ``destination`` column gives one row per destination; without one, every row belongs to the
scenario's single destination. Differences are paired: the same replication index of two points
met the same random numbers, so the interval of the mean difference (Student t, from
:mod:`corridorsim.experiments.statistics`) is that of the per-replication differences.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import CorridorSimError
from ..experiments.statistics import mean_interval, proportion_interval

__all__ = ["OUTCOMES", "destination_outcomes", "paired_effects"]

#: (column, unit, label, better) of the judged outcomes; better is +1 when more is better.
OUTCOMES = (
    ("delivered_l", "L", "litres delivered", +1),
    ("unmet_l", "L", "unmet demand", -1),
    ("days_at_zero", "days", "days at zero stock", -1),
    ("stockout_by", "share", "P(stock-out by the date)", -1),
)


def destination_outcomes(summary: pd.DataFrame, by_day: int, destination: str) -> pd.DataFrame:
    """One row per point, destination and replication with the judged outcomes.

    Parameters
    ----------
    summary : pandas.DataFrame
        Per-replication summary rows (with a ``point`` column for a sweep).
    by_day : int
        Day (0 = the scenario start) for ``stockout_by``.
    destination : str
        Destination (its name, as the destinations table labels it) of rows without a
        ``destination`` column.
    """
    need = {"replication", "delivered_l", "unmet_l", "days_at_zero", "first_stockout_day"}
    missing = need - set(summary.columns)
    if missing:
        raise CorridorSimError(f"summary table lacks {sorted(missing)}")
    df = summary.copy()
    if "point" not in df.columns:
        df["point"] = 0
    if "destination" not in df.columns:
        df["destination"] = destination
    first = df["first_stockout_day"].to_numpy(dtype=float)
    df["stockout_by"] = (np.isfinite(first) & (first <= by_day)).astype(float)
    cols = ["point", "destination", "replication", "delivered_l", "unmet_l", "days_at_zero",
            "stockout_by", "first_stockout_day"]
    return df[cols].sort_values(["point", "destination", "replication"]).reset_index(drop=True)


def paired_effects(outcomes: pd.DataFrame, reference: int = 0, level: float = 0.95) -> pd.DataFrame:
    """Mean paired difference (point minus reference) of each outcome, per point and destination.

    Returns
    -------
    pandas.DataFrame
        ``point, destination, outcome, unit, n, reference_mean, mean, diff, diff_low, diff_high,
        gain`` (``gain`` is the difference signed so that positive is better) and, for
        ``stockout_by``, the point's proportion interval ``p_low, p_high`` (Wilson).
    """
    ref = outcomes[outcomes["point"] == reference].set_index(["destination", "replication"])
    rows = []
    for (point, dest), grp in outcomes.groupby(["point", "destination"], sort=True):
        if point == reference:
            continue
        g = grp.set_index(["destination", "replication"])
        common = g.index.intersection(ref.index)
        if not len(common):
            continue
        for col, unit, _label, better in OUTCOMES:
            a = g.loc[common, col].to_numpy(dtype=float)
            b = ref.loc[common, col].to_numpy(dtype=float)
            iv = mean_interval(a - b, level)
            row = {"point": int(point), "destination": dest, "outcome": col, "unit": unit,
                   "n": len(common), "reference_mean": float(np.mean(b)), "mean": float(np.mean(a)),
                   "diff": iv.estimate, "diff_low": iv.low, "diff_high": iv.high,
                   "gain": better * iv.estimate + 0.0, "p_low": np.nan, "p_high": np.nan}
            if col == "stockout_by":
                p = proportion_interval(int(a.sum()), len(a), level)
                row["p_low"], row["p_high"] = p.low, p.high
            rows.append(row)
    return pd.DataFrame(rows, columns=["point", "destination", "outcome", "unit", "n",
                                       "reference_mean", "mean", "diff", "diff_low", "diff_high",
                                       "gain", "p_low", "p_high"])

"""One outcome per replication of a sweep, by name: a summary column or a derived indicator.

Names: any column of the sweep's summary table (``unmet_l``, ``days_at_zero``, ...), or
``stockout_by:YYYY-MM-DD`` (1 when the stock had run out on or before that date, else 0; from
``first_stockout_day`` and the base scenario's start). Which way is better follows the name
(:func:`better_sense`). Imports: pandas and numpy only.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..errors import CorridorSimError

__all__ = ["metric_values", "better_sense", "MORE_IS_BETTER"]

#: Summary columns where more is better; every other metric is better when smaller.
MORE_IS_BETTER = ("delivered_l", "tankers_delivered", "final_stock_l", "min_cover_days",
                  "litres_loaded", "tankers_loaded")


def better_sense(metric: str) -> int:
    """+1 when a larger value of ``metric`` is better, -1 when a smaller one is."""
    name = metric.split(":", 1)[0]
    return +1 if name in MORE_IS_BETTER or name.startswith("delivered_l_by_day_") else -1


def metric_values(summary: pd.DataFrame, metric: str, start: dt.datetime | str) -> np.ndarray:
    """Values of ``metric`` for each row of a summary table.

    Raises
    ------
    CorridorSimError
        An unknown column or a bad date, naming what is available.
    """
    if metric.startswith("stockout_by:"):
        text = metric.split(":", 1)[1]
        try:
            when = dt.date.fromisoformat(text)
        except ValueError:
            raise CorridorSimError(f"metric {metric!r}: {text!r} is not a date (YYYY-MM-DD)") from None
        day = (when - pd.Timestamp(start).date()).days
        first = summary["first_stockout_day"].to_numpy(dtype=float)
        return (np.isfinite(first) & (first <= day)).astype(float)
    if metric not in summary.columns:
        known = [c for c in summary.columns if c not in ("point", "replication")]
        raise CorridorSimError(f"metric {metric!r} is not a summary column; expected one of: "
                               f"{', '.join(known)}, or stockout_by:YYYY-MM-DD")
    return summary[metric].to_numpy(dtype=float)

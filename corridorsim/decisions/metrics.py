"""One outcome per replication of a sweep, by name: a summary column or a derived indicator.

Names: any column of the sweep's summary table (``unmet_l``, ``days_at_zero``, ...), or
``stockout_by:YYYY-MM-DD`` (1 when the stock had run out on or before that date, else 0; from
``first_stockout_day`` and the base scenario's start). Which way is better follows the name
(:func:`better_sense`).

The summary is national: its litres add up every destination, and its stock-outs are those of
*any* depot. :func:`outcome_rows` gives instead one destination's rows (from the sweep's
``destinations`` table, ``keep: [destinations]``) when a decision is about one place.
Imports: pandas, numpy and the experiments layer's sweep tables.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import CorridorSimError
from ..experiments.sweep_parts import read_table

__all__ = ["metric_values", "better_sense", "outcome_rows", "MORE_IS_BETTER"]

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


def outcome_rows(root: str | Path, destination: str | None = None) -> pd.DataFrame:
    """The per-replication rows of a sweep that a decision is judged on.

    Parameters
    ----------
    root : str or Path
        The sweep directory.
    destination : str, optional
        None: the national summary (one row per point and replication). A destination's name:
        its rows of the ``destinations`` table, with the summary's drawn-parameter columns
        (``param:...``) beside them.

    Raises
    ------
    CorridorSimError
        If the sweep kept no ``destinations`` table, or has no destination of that name
        (naming those it has).
    """
    root = Path(root)
    summary = read_table(root, "summary")
    if destination is None:
        return summary
    if not (root / "destinations").is_dir():
        raise CorridorSimError(f"{root}: the sweep kept no per-destination table; add "
                               "'keep: [destinations]' to its sweep file and run it again")
    rows = read_table(root, "destinations")
    names = list(dict.fromkeys(rows["destination"])) if not rows.empty else []
    if destination not in names:
        raise CorridorSimError(f"destination {destination!r} is not in {root}; expected one of: "
                               f"{', '.join(names) or '(none yet)'}")
    rows = rows[rows["destination"] == destination].reset_index(drop=True)
    params = [c for c in summary.columns if c.startswith("param:")]
    if params:
        rows = rows.merge(summary[["point", "replication", *params]], on=["point", "replication"],
                          how="left")
    return rows

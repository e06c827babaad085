"""Observed deliveries and incidents as drawn beside a run: the files a scenario's
``observations`` block names, read into tables with parsed dates.

Imports pandas and numpy only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .layout import (
    _dates,
)

__all__ = ["read_observed_deliveries", "read_observed_incidents"]


def read_observed_deliveries(path: str | Path) -> pd.DataFrame:
    """Observed arrivals (``date, tankers, litres, ...``) with ``date`` as datetime and the
    numbers as floats (NaN where not reported)."""
    df = pd.read_csv(path)
    df["date"] = _dates(df["date"])
    for col in ("tankers", "litres"):
        df[col] = pd.to_numeric(df[col], errors="coerce") if col in df else np.nan
    return df.dropna(subset=["date"]).sort_values("date").reset_index(drop=True)


def read_observed_incidents(path: str | Path) -> pd.DataFrame:
    """Observed incidents in ACLED-like columns (``event_date``, ``event_type``, ``latitude``,
    ``longitude``, ...), dates parsed, rows without coordinates dropped."""
    df = pd.read_csv(path)
    df["event_date"] = _dates(df["event_date"])
    for col in ("latitude", "longitude", "tankers_destroyed"):
        if col in df:
            df[col] = pd.to_numeric(df[col], errors="coerce")
    return df.dropna(subset=["latitude", "longitude"]).reset_index(drop=True)


"""What one replication leaves behind: flat, immutable rows in four tables.

The engine appends plain tuples (cheap, picklable) to a :class:`ReplicationRecords`; the run
layer turns many of them into pandas DataFrames (:func:`to_frames`). Column names carry units;
times are hours since the scenario start (``*_h``), dates are added by :func:`to_frames`.

Tables
------
daily
    One row per replication and day: litres delivered and cumulative, stock at the end of the
    day, demand (after rationing), unmet demand, losses, escort use.
events
    One row per attack, closure, reopening, departure, turn-back and delivery.
convoys
    One row per movement: an escorted convoy, an unescorted batch of tankers or a scheduled
    convoy, with its route, times, cargo at start and end and outcome.
summary
    One row per replication with the totals that sweeps and reports compare.

To add a column: add its name to the tuple here and the value at the same position where the
engine appends the row; every downstream table picks it up by name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "DAILY_COLUMNS",
    "EVENT_COLUMNS",
    "CONVOY_COLUMNS",
    "SUMMARY_COLUMNS",
    "ReplicationRecords",
    "to_frames",
    "Tables",
]

DAILY_COLUMNS = (
    "replication",
    "day",
    "delivered_l",
    "cumulative_delivered_l",
    "stock_l",
    "cover_days",
    "base_demand_l",
    "demand_l",
    "consumed_l",
    "unmet_l",
    "rationed_share",
    "overflow_l",
    "tankers_delivered",
    "tankers_destroyed",
    "litres_destroyed",
    "attacks",
    "escort_units_busy",
    "escort_units_lost",
    "tankers_waiting_staging",
)

EVENT_COLUMNS = (
    "replication",
    "time_h",
    "kind",
    "convoy_id",
    "convoy",
    "node",
    "edge_from",
    "edge_to",
    "corridor",
    "lat",
    "lon",
    "tankers",
    "litres",
    "tankers_destroyed",
    "litres_destroyed",
    "escort_units",
    "escort_units_lost",
    "delay_h",
    "detail",
)

CONVOY_COLUMNS = (
    "replication",
    "convoy_id",
    "convoy",
    "kind",
    "source",
    "origin",
    "target",
    "corridor",
    "route",
    "formed_h",
    "depart_h",
    "end_h",
    "tankers_start",
    "litres_start",
    "tankers_end",
    "litres_end",
    "tankers_destroyed",
    "litres_destroyed",
    "escort_units",
    "escort_units_lost",
    "escort_wait_h",
    "attacks",
    "turn_backs",
    "outcome",
)

SUMMARY_COLUMNS = (
    "replication",
    "delivered_l",
    "tankers_delivered",
    "tankers_loaded",
    "litres_loaded",
    "tankers_destroyed",
    "litres_destroyed",
    "ambushes",
    "ieds",
    "convoys",
    "first_stockout_day",
    "days_at_zero",
    "unmet_l",
    "rationed_l",
    "final_stock_l",
    "min_cover_days",
    "escort_utilisation",
    "mean_escort_wait_h",
    "in_transit_l",
    "staged_l",
)


@dataclass
class ReplicationRecords:
    """Rows of one replication, in the column orders above."""

    replication: int
    daily: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)
    convoys: list[tuple] = field(default_factory=list)
    summary: tuple = ()
    sim_events: int = 0  # SimPy events processed (for benchmarks)
    parameters: dict = field(default_factory=dict)  # path -> value drawn for this replication


@dataclass(frozen=True)
class Tables:
    """The four result tables of a run, as pandas DataFrames."""

    daily: pd.DataFrame
    events: pd.DataFrame
    convoys: pd.DataFrame
    summary: pd.DataFrame


def _frame(rows: Sequence[tuple], columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(rows), columns=list(columns))


def to_frames(records: Sequence[ReplicationRecords], start: dt.datetime,
              tables: Collection[str] = ("daily", "events", "convoys")) -> Tables:
    """Concatenate replications (in the order given) into DataFrames with calendar dates.

    Parameters
    ----------
    records : sequence of ReplicationRecords
        Usually sorted by replication index.
    start : datetime.datetime
        Scenario start, hour 0.
    tables : collection of str
        Which of ``daily``, ``events`` and ``convoys`` to build (the summary always is); the
        others come back empty, with their columns (sweeps keep only what they write).
    """
    def rows(name: str) -> list[tuple]:
        return [r for rec in records for r in getattr(rec, name)] if name in tables else []

    daily = _frame(rows("daily"), DAILY_COLUMNS)
    events = _frame(rows("events"), EVENT_COLUMNS)
    convoys = _frame(rows("convoys"), CONVOY_COLUMNS)
    summary = _frame([rec.summary for rec in records], SUMMARY_COLUMNS)
    drawn = sorted({k for rec in records for k in rec.parameters})
    for k in drawn:  # values of uncertain parameters, one column each: "param:<path>"
        summary[f"param:{k}"] = [rec.parameters.get(k, np.nan) for rec in records]
    start64 = np.datetime64(start, "s")

    def dates(hours: pd.Series, unit: str) -> pd.Series:
        vals = hours.to_numpy(dtype=float)
        out = np.full(len(vals), "", dtype=object)
        ok = np.isfinite(vals)
        secs = np.round(vals[ok] * 3600).astype("int64")
        stamps = start64 + secs.astype("timedelta64[s]")
        out[ok] = np.datetime_as_string(stamps, unit=unit)
        return pd.Series(out, index=hours.index, dtype=object)

    daily.insert(2, "date", dates(daily["day"] * 24.0, "D") if len(daily) else pd.Series(dtype=object))
    if len(events):
        events.insert(2, "datetime", dates(events["time_h"], "m"))
    else:
        events.insert(2, "datetime", pd.Series(dtype=object))
    for col in ("formed_h", "depart_h", "end_h"):
        pos = convoys.columns.get_loc(col) + 1
        name = col.replace("_h", "_datetime")
        convoys.insert(pos, name, dates(convoys[col], "m") if len(convoys) else pd.Series(dtype=object))
    return Tables(daily=daily, events=events, convoys=convoys, summary=summary)

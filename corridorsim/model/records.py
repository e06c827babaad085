"""What one replication leaves behind: flat, immutable named rows in five tables.

The engine appends named rows (:class:`DailyRow`, :class:`EventRow`, :class:`ConvoyRow`,
:class:`SummaryRow`, :class:`DestinationRow`; NamedTuples: cheap, picklable, read by name) to a
:class:`ReplicationRecords`; the run layer turns many of them into pandas DataFrames
(:func:`to_frames`). May import numpy and pandas only. Column names carry units;
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
    One row per replication with the national totals that sweeps and reports compare.
destinations
    One row per replication and destination: deliveries, losses and stock figures.

To add a column: add a field to the row type here and pass it by keyword where the engine
builds the row; every downstream table picks it up by name.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

__all__ = [
    "DailyRow",
    "EventRow",
    "ConvoyRow",
    "SummaryRow",
    "DestinationRow",
    "DESTINATION_COLUMNS",
    "DAILY_COLUMNS",
    "EVENT_COLUMNS",
    "CONVOY_COLUMNS",
    "SUMMARY_COLUMNS",
    "ROW_TYPES",
    "DATE_FORMATS",
    "DATE_COLUMNS",
    "CALENDAR",
    "calendar",
    "with_calendar",
    "TEXT_COLUMNS",
    "ReplicationRecords",
    "RECORD_TABLES",
    "to_frames",
    "Tables",
]

class DailyRow(NamedTuple):
    """One day at one destination (national columns repeat on each destination's row)."""

    replication: int
    day: int
    destination: str
    delivered_l: int
    cumulative_delivered_l: int
    stock_l: float
    cover_days: float
    base_demand_l: float
    demand_l: float
    consumed_l: float
    unmet_l: float
    rationed_share: float
    overflow_l: float
    tankers_delivered: int
    tankers_destroyed: int  # tankers bound for this destination destroyed on the day
    litres_destroyed: int
    attacks: int  # national
    escort_units_busy: float  # national
    escort_units_lost: int  # national
    tankers_waiting_staging: int  # bound for this destination, in queues or waiting for escort


class EventRow(NamedTuple):
    """One attack, closure, reopening, departure, turn-back, hand-off or delivery."""

    replication: int
    time_h: float
    kind: str
    convoy_id: int
    convoy: str
    node: str
    edge_from: str
    edge_to: str
    corridor: str
    lat: float
    lon: float
    tankers: int
    litres: int
    tankers_destroyed: int
    litres_destroyed: int
    escort_units: int
    escort_units_lost: int
    delay_h: float
    detail: str


class ConvoyRow(NamedTuple):
    """One movement: convoy, unescorted batch, scheduled convoy or lot gone on alone."""

    replication: int
    convoy_id: int
    convoy: str
    kind: str
    source: str
    origin: str
    target: str
    corridor: str
    route: str
    formed_h: float
    depart_h: float
    end_h: float
    tankers_start: int
    litres_start: int
    tankers_end: int
    litres_end: int
    tankers_destroyed: int
    litres_destroyed: int
    tankers_handed_off: int  # lots that left for another destination (a new movement)
    litres_handed_off: int
    escort_units: int
    escort_units_lost: int
    escort_wait_h: float
    escort_wait_censored: bool  # still waiting at the horizon: the wait is a lower bound
    attacks: int
    turn_backs: int
    outcome: str


class SummaryRow(NamedTuple):
    """National totals of one replication (stock columns: see :class:`DestinationRow`)."""

    replication: int
    delivered_l: int
    tankers_delivered: int
    tankers_loaded: int
    litres_loaded: int
    tankers_destroyed: int
    litres_destroyed: int
    ambushes: int
    ieds: int
    standing_attacks: int
    convoys: int
    first_stockout_day: float  # first day any destination was dry (nan: never)
    days_at_zero: int  # days on which some destination was dry
    unmet_l: float
    rationed_l: float
    final_stock_l: float
    min_cover_days: float
    escort_utilisation: float
    mean_escort_wait_h: float  # censored waits count with the time waited so far
    censored_escort_waits: int
    in_transit_l: int
    staged_l: int


class DestinationRow(NamedTuple):
    """Totals of one replication at one destination."""

    replication: int
    destination: str
    delivered_l: int
    tankers_delivered: int
    tankers_destroyed: int
    litres_destroyed: int
    first_stockout_day: float
    days_at_zero: int
    unmet_l: float
    rationed_l: float
    final_stock_l: float
    min_cover_days: float


#: The tables a replication can build rows for (the summary is always built). A run that keeps
#: only some (a sweep, a calibration) asks the engine for those alone and the others stay empty.
RECORD_TABLES = frozenset({"daily", "events", "convoys", "destinations"})

DAILY_COLUMNS = DailyRow._fields
EVENT_COLUMNS = EventRow._fields
CONVOY_COLUMNS = ConvoyRow._fields
SUMMARY_COLUMNS = SummaryRow._fields
DESTINATION_COLUMNS = DestinationRow._fields

#: Row type of each table, in the order the tables are built and written.
ROW_TYPES = {"daily": DailyRow, "events": EventRow, "convoys": ConvoyRow,
             "summary": SummaryRow, "destinations": DestinationRow}


@dataclass
class ReplicationRecords:
    """Rows of one replication, as the named rows above."""

    replication: int
    daily: list[DailyRow] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)
    convoys: list[ConvoyRow] = field(default_factory=list)
    destinations: list[DestinationRow] = field(default_factory=list)
    summary: SummaryRow | None = None
    sim_events: int = 0  # SimPy events processed (for benchmarks)
    fast_forwarded: bool = False  # the feeder chain was replayed, at some staging points or all
    parameters: dict = field(default_factory=dict)  # path -> value drawn for this replication


#: How the calendar columns of each table are written to text files (CSV): days as dates,
#: times to the minute, local time (the scenario's clock, no time zone).
DATE_FORMATS = {"daily": "%Y-%m-%d", "events": "%Y-%m-%dT%H:%M", "convoys": "%Y-%m-%dT%H:%M"}

#: Calendar columns of each table: (its name, the column it is made from, hours per unit of
#: that column); each comes right after the column it is made from.
CALENDAR = {"daily": (("date", "day", 24.0),), "events": (("datetime", "time_h", 1.0),),
            "convoys": tuple((col.replace("_h", "_datetime"), col, 1.0)
                             for col in ("formed_h", "depart_h", "end_h"))}

#: Calendar columns of each table.
DATE_COLUMNS = {name: tuple(date for date, _, _ in cals) for name, cals in CALENDAR.items()}

#: Text columns of each table (annotated ``str`` on its row type). A text file cannot tell an
#: empty text from a missing value, so readers of CSV need this to read "" back as "".
TEXT_COLUMNS = {name: tuple(f for f, t in typing.get_type_hints(row).items() if t is str)
                for name, row in ROW_TYPES.items()}


@dataclass(frozen=True)
class Tables:
    """The four result tables of a run, as pandas DataFrames (calendar columns as datetime64)."""

    daily: pd.DataFrame
    events: pd.DataFrame
    convoys: pd.DataFrame
    summary: pd.DataFrame
    destinations: pd.DataFrame = field(default_factory=lambda: _frame([], DESTINATION_COLUMNS))


def _frame(rows: Sequence[tuple], columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(rows), columns=list(columns))


def to_frames(records: Sequence[ReplicationRecords], start: dt.datetime,
              tables: Collection[str] = ("daily", "events", "convoys")) -> Tables:
    """Concatenate replications (in the order given) into DataFrames with calendar dates.

    Parameters
    ----------
    records : sequence of ReplicationRecords
        Usually sorted by replication index; a :class:`~corridorsim.model.columns.RecordBatch`
        (the fast path's) gives its frames straight from its columns, which they share
        (:meth:`~corridorsim.model.columns.RecordBatch.frames`).
    start : datetime.datetime
        Scenario start, hour 0.
    tables : collection of str
        Which of ``daily``, ``events`` and ``convoys`` to build (the summary always is); the
        others come back empty, with their columns (sweeps keep only what they write).
    """
    columnar = getattr(records, "frames", None)  # a model.columns.RecordBatch: no rows made
    start64 = np.datetime64(start, "s")
    made = columnar([t for t in _COLUMNS if t in (*tables, "summary", "destinations")],
                    start64) if columnar is not None else {}  # calendar columns included

    def table(name: str) -> pd.DataFrame:
        if name in made:
            return made[name]
        if name not in (*tables, "summary", "destinations"):
            return _empty(name)
        if name == "summary":
            frame = _frame([rec.summary for rec in records], SUMMARY_COLUMNS)
        else:
            frame = _frame([r for rec in records for r in getattr(rec, name)], _COLUMNS[name])
        return with_calendar(name, frame, start64)

    summary = table("summary")
    drawn = [] if columnar is not None else sorted({k for rec in records for k in rec.parameters})
    for k in drawn:  # values of uncertain parameters, one column each: "param:<path>"
        summary[f"param:{k}"] = [rec.parameters.get(k, np.nan) for rec in records]
    return Tables(daily=table("daily"), events=table("events"), convoys=table("convoys"),
                  summary=summary, destinations=table("destinations"))


_COLUMNS = {name: row._fields for name, row in ROW_TYPES.items()}
_EMPTY: dict[str, pd.DataFrame] = {}


def _empty(name: str) -> pd.DataFrame:
    """Table ``name`` with no rows, as :func:`to_frames` makes it (a copy of one made once:
    building an empty frame costs pandas far more than copying one)."""
    frame = _EMPTY.get(name)
    if frame is None:
        frame = _EMPTY[name] = with_calendar(name, _frame([], _COLUMNS[name]),
                                             np.datetime64(0, "s"))
    return frame.copy()


def calendar(hours: np.ndarray, start64: np.datetime64) -> np.ndarray:
    """Calendar times ``hours`` after ``start64``, to the second, as datetime64[ms] (NaT
    where the hour is undefined).

    datetime64: resample, dt accessors and plotting work on them directly; files format them
    with :data:`DATE_FORMATS`. Milliseconds: the finest unit Parquet stores as it is (a run
    read back is equal).
    """
    secs = np.round(np.asarray(hours, dtype=float) * 3600)
    ok = np.isfinite(secs)
    if ok.all():  # the usual case: no mask to apply
        return (start64 + secs.astype("int64").astype("timedelta64[s]")).astype("datetime64[ms]")
    out = np.full(secs.size, np.datetime64("NaT"), dtype="datetime64[ms]")
    out[ok] = start64 + secs[ok].astype("int64").astype("timedelta64[s]")
    return out


def with_calendar(name: str, frame: pd.DataFrame, start64: np.datetime64) -> pd.DataFrame:
    """``frame`` with the calendar columns of table ``name`` inserted (:data:`CALENDAR`)."""
    for date, col, per_h in CALENDAR.get(name, ()):
        hours = frame[col].to_numpy(dtype=float) * per_h
        frame.insert(frame.columns.get_loc(col) + 1, date,
                     pd.Series(calendar(hours, start64), index=frame.index))
    return frame

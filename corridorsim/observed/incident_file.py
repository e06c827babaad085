"""Reading and checking a conflict-event file (ACLED's export layout).

:func:`read_incidents` parses the file and checks every row: each bad row is reported with its
line number (``on_error="raise"``: one :class:`IncidentDataError` listing them all), nothing is
dropped silently. The result is the first step of :mod:`corridorsim.observed.incidents`.

Part of the observed-data layer: imports pandas, the standard library's csv reader and the
shared errors, nothing else of corridorsim.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import os
from typing import Literal

import pandas as pd

from ..errors import ScenarioError
from ..scenario.safe_yaml import check_input_file

__all__ = ["IncidentDataError", "REQUIRED_COLUMNS", "TEXT_COLUMNS", "NUMBER_COLUMNS",
           "FLAG_COLUMNS", "read_incidents"]

#: Columns every incident file must have (plus ``event_id_cnty`` or ``event_id``).
REQUIRED_COLUMNS = ("event_date", "event_type", "latitude", "longitude")
#: Text columns of ACLED's layout, kept as strings ("" when absent).
TEXT_COLUMNS = ("event_type", "sub_event_type", "actor1", "admin1", "location", "notes", "source")
#: Numeric columns: blank = missing (NaN), anything else must be a number >= 0.
NUMBER_COLUMNS = ("fatalities", "tankers_destroyed", "tankers_destroyed_low",
                  "tankers_destroyed_high", "convoy_size")
#: Yes/no columns: blank = unknown.
FLAG_COLUMNS = ("escorted",)

_DATE_FORMATS = ("%d %B %Y", "%d %b %Y", "%d-%b-%Y", "%d-%B-%Y", "%d-%b-%y", "%B %d, %Y",
                 "%b %d, %Y", "%Y/%m/%d")
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}
_MAX_LISTED = 25


class IncidentDataError(ScenarioError):
    """An incident file has bad rows; :attr:`problems` lists them as ``"line N: ..."``."""

    def __init__(self, problems: list[str], file: str | None = None):
        self.problems = list(problems)
        shown = "; ".join(self.problems[:_MAX_LISTED])
        more = len(self.problems) - _MAX_LISTED
        if more > 0:
            shown += f"; ... and {more} more"
        n = len(self.problems)
        super().__init__("", f"{n} bad row{'s' if n != 1 else ''}: {shown}", file)



def _parse_date(text: str) -> dt.datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
        return value.replace(tzinfo=None)
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _parse_float(text: str) -> float | None:
    try:
        x = float(text)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def read_incidents(
    path: str | os.PathLike,
    on_error: Literal["raise", "report"] = "raise",
) -> pd.DataFrame | tuple[pd.DataFrame, list[str]]:
    """Read a conflict-event CSV file in ACLED's export layout.

    Parameters
    ----------
    path : str or path-like
        CSV file (UTF-8, optionally with a byte-order mark). Columns: ``event_id_cnty`` or
        ``event_id``, ``event_date``, ``event_type``, ``latitude``, ``longitude`` (required);
        ``sub_event_type``, ``actor1``, ``admin1``, ``location``, ``geo_precision`` (1 = town,
        2 = near / between places, 3 = region; 1 if the column is absent), ``fatalities``,
        ``notes`` (optional); any other column is kept as text, except the numeric columns
        ``tankers_destroyed``, ``tankers_destroyed_low``, ``tankers_destroyed_high``,
        ``convoy_size`` and the yes/no column ``escorted``, which are parsed when present.
    on_error : {"raise", "report"}
        ``"raise"``: any bad row raises :class:`IncidentDataError`. ``"report"``: bad rows are
        left out of the table and returned as a list of messages.

    Returns
    -------
    pandas.DataFrame or (pandas.DataFrame, list of str)
        One row per event: ``event_id``, ``event_date`` (datetime64, a day in ACLED data),
        ``event_type``, ``sub_event_type``, ``actor1``, ``admin1``, ``location``,
        ``latitude``, ``longitude`` (degrees), ``geo_precision`` (int), ``fatalities`` (float,
        NaN if blank), ``notes``, the extra columns, and ``line`` (the line of the file the row
        starts on). With ``on_error="report"`` also the problems, e.g.
        ``"line 7: latitude 'abc' is not a number"``.

    Raises
    ------
    ScenarioError
        The file is missing, unreadable, empty or lacks a required column.
    IncidentDataError
        (``on_error="raise"``) Rows with an unparseable date (ISO ``2025-09-03`` and ACLED's
        ``03 September 2025`` styles are understood), a missing or out-of-range latitude or
        longitude, a ``geo_precision`` not in 1..3, a non-numeric or negative number, a flag
        other than yes/no, a duplicate event id or the wrong number of fields. The message
        lists the lines.
    """
    if on_error not in ("raise", "report"):
        raise ValueError(f"on_error must be 'raise' or 'report', got {on_error!r}")
    file = str(path)
    check_input_file(path, "", "table", file)  # a regular file under the size limit
    try:
        handle = open(path, encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise ScenarioError("", "incident file not found", file) from None
    except OSError as exc:
        raise ScenarioError("", f"cannot read incident file ({exc.strerror})", file) from None
    rows: list[tuple[int, list[str]]] = []
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise ScenarioError("", "incident file is empty: expected a header row", file) from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ScenarioError("", f"line 1: cannot parse the header ({exc})", file) from None
        last = reader.line_num
        try:
            for fields in reader:
                rows.append((last + 1, fields))
                last = reader.line_num
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ScenarioError("", f"line {last + 1}: cannot parse the file ({exc})", file) from None
    header = [h.strip() for h in header]
    id_col = next((c for c in ("event_id_cnty", "event_id") if c in header), None)
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if id_col is None:
        missing.insert(0, "event_id_cnty or event_id")
    if missing:
        raise ScenarioError("", f"line 1: missing column(s) {', '.join(missing)}; found: "
                                f"{', '.join(header)}", file)
    dup_cols = sorted({h for h in header if header.count(h) > 1})
    if dup_cols:
        raise ScenarioError("", f"line 1: duplicate column(s) {', '.join(dup_cols)}", file)

    problems: list[str] = []
    records: list[dict] = []
    seen_ids: dict[str, int] = {}
    for line, fields in rows:
        if not fields or all(not f.strip() for f in fields):
            continue  # blank line
        if len(fields) != len(header):
            problems.append(f"line {line}: expected {len(header)} fields, got {len(fields)}")
            continue
        raw = {h: f.strip() for h, f in zip(header, fields)}
        bad: list[str] = []
        rec: dict = {"line": line}
        event_id = raw[id_col]
        if not event_id:
            bad.append(f"{id_col} is missing")
        elif event_id in seen_ids:
            bad.append(f"duplicate event id {event_id!r} (first on line {seen_ids[event_id]})")
        else:
            seen_ids[event_id] = line
        rec["event_id"] = event_id
        date = _parse_date(raw["event_date"])
        if date is None:
            what = "is missing" if not raw["event_date"] else (
                f"{raw['event_date']!r} is not a date (expected e.g. 2025-09-03 or 03 September 2025)")
            bad.append(f"event_date {what}")
        rec["event_date"] = date
        for col, lim in (("latitude", 90.0), ("longitude", 180.0)):
            text = raw[col]
            x = _parse_float(text) if text else None
            if not text:
                bad.append(f"{col} is missing")
            elif x is None:
                bad.append(f"{col} {text!r} is not a number")
            elif not -lim <= x <= lim:
                bad.append(f"{col} {x:g} is out of range [-{lim:g}, {lim:g}]")
            rec[col] = x
        if "geo_precision" in raw:
            text = raw["geo_precision"]
            x = _parse_float(text) if text else None
            if x is None or x not in (1.0, 2.0, 3.0):
                bad.append(f"geo_precision {text!r} is not 1, 2 or 3")
            rec["geo_precision"] = int(x) if x in (1.0, 2.0, 3.0) else None
        else:
            rec["geo_precision"] = 1
        for col in header:
            if col in (id_col, "event_date", "latitude", "longitude", "geo_precision"):
                continue
            text = raw[col]
            if col in NUMBER_COLUMNS:
                x = _parse_float(text) if text else math.nan
                if x is None:
                    bad.append(f"{col} {text!r} is not a number")
                elif x < 0:
                    bad.append(f"{col} {x:g} is negative")
                rec[col] = x
            elif col in FLAG_COLUMNS:
                low = text.lower()
                if low in _YES:
                    rec[col] = True
                elif low in _NO:
                    rec[col] = False
                elif not low:
                    rec[col] = None
                else:
                    bad.append(f"{col} {text!r} is not yes or no")
            else:
                rec[col] = text
        if bad:
            problems.extend(f"line {line}: {b}" for b in bad)
            continue
        records.append(rec)

    if problems and on_error == "raise":
        raise IncidentDataError(problems, file)
    table = _frame(records, header, id_col)
    return (table, problems) if on_error == "report" else table


def _frame(records: list[dict], header: list[str], id_col: str) -> pd.DataFrame:
    """The incidents table with fixed leading columns and proper dtypes."""
    lead = ["event_id", "event_date", "event_type", "sub_event_type", "actor1", "admin1",
            "location", "latitude", "longitude", "geo_precision", "fatalities", "notes"]
    extra = [h for h in header if h not in lead and h not in (id_col, "event_id", "event_id_cnty")]
    df = pd.DataFrame.from_records(records, columns=[*lead, *extra, "line"])
    for col in ("event_id", *TEXT_COLUMNS):
        if col in df.columns:
            df[col] = df[col].astype(object).fillna("")
    df["event_date"] = pd.to_datetime(df["event_date"])
    for col in ("latitude", "longitude", *NUMBER_COLUMNS):
        if col in df.columns:
            df[col] = df[col].astype(float)
    df["geo_precision"] = df["geo_precision"].astype("int64")
    df["line"] = df["line"].astype("int64")
    for col in FLAG_COLUMNS:
        if col in df.columns:
            df[col] = df[col].astype("boolean")
    return df

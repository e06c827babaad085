"""Records of many replications held as columns: what the vectorised fast path returns.

A :class:`RecordBatch` holds the tables of a batch of replications as one array per field of
the row type (rows in replication order, then in the order the engine appends them), so that
:func:`~corridorsim.model.records.to_frames` makes the DataFrames straight from the arrays:
no named row per replication and day is made on the way to a sweep's summary or a run's
tables. It is also a sequence of :class:`~corridorsim.model.records.ReplicationRecords`,
whose rows are made on demand, equal to the engine's field for field and type for type, for
code that reads one replication at a time. May import numpy, pandas (and pyarrow, which holds
pandas' text columns) and :mod:`.records`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple, overload

import numpy as np
import pandas as pd

from .records import (
    CALENDAR,
    ROW_TYPES,
    ReplicationRecords,
    calendar,
    with_calendar,
)

__all__ = ["RecordBatch", "Labels", "text_dtype", "ROW_TYPES", "INT_OR_NAN", "concat_records"]

#: Integer fields that are ``math.nan`` where undefined (a day index that never came). They
#: are held as float64 with NaN; a row gets an ``int`` or ``math.nan``, a frame an int64
#: column when nothing is missing and float64 otherwise, as pandas infers from the rows.
INT_OR_NAN = frozenset({"first_stockout_day"})


class Labels(NamedTuple):
    """A text column held as codes into its values (``values[codes]``): a few distinct texts
    repeated over many rows (destinations, event kinds, routes), made and turned into a
    pandas string column without a Python string per row."""

    codes: np.ndarray  # int64, one per row
    values: tuple[str, ...]

    def texts(self) -> np.ndarray:
        """The column as an object array of ``str``."""
        return np.array(list(self.values), dtype=object).reshape(-1)[self.codes]

    def pandas(self, dtype: Any) -> Any:
        """The column as pandas makes it from the texts: its Arrow string array where pandas
        stores text that way, else the object array. ``dtype``: :func:`text_dtype`."""
        if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
            import pyarrow as pa  # noqa: PLC0415 - pandas' own string storage, present here

            taken = pa.array(self.values, type=pa.large_string()).take(self.codes)
            return pd.array(taken, dtype=dtype)
        return self.texts()


def text_dtype() -> Any:
    """The dtype pandas gives a column of ``str`` (its string dtype, or object)."""
    return pd.Series(np.array([""], dtype=object)).dtype


class RecordBatch(Sequence[ReplicationRecords]):
    """The records of ``replications`` as column arrays.

    Parameters
    ----------
    replications : array of int
        Replication indices, in the batch's order.
    columns : mapping
        Table name -> field name -> array with one element per row of that table (every
        field of the table's row type; a text field may be :class:`Labels`). A table left out
        was not made: its rows are empty.
    bounds : mapping
        Table name -> array of ``len(replications) + 1`` offsets: the rows of the ``j``-th
        replication are ``bounds[j]:bounds[j + 1]``.
    """

    sim_events = 0  # the fast path runs no SimPy events

    def __init__(self, replications: Iterable[int], columns: Mapping[str, Mapping[str, Any]],
                 bounds: Mapping[str, np.ndarray]):
        self.replications = np.asarray(list(replications) if not isinstance(
            replications, np.ndarray) else replications, dtype=np.int64)
        self.columns = {name: {f: cols[f] if isinstance(cols[f], Labels) else np.asarray(cols[f])
                               for f in ROW_TYPES[name]._fields}
                        for name, cols in columns.items()}
        self.bounds = {name: np.asarray(b, dtype=np.int64) for name, b in bounds.items()}
        self._lists: dict[str, list[list]] = {}

    def __getstate__(self) -> dict:
        return {"replications": self.replications, "columns": self.columns,
                "bounds": self.bounds}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lists = {}

    def __len__(self) -> int:
        return int(self.replications.size)

    @overload
    def __getitem__(self, j: int) -> ReplicationRecords: ...
    @overload
    def __getitem__(self, j: slice) -> list[ReplicationRecords]: ...

    def __getitem__(self, j):
        if isinstance(j, slice):
            return [self[i] for i in range(*j.indices(len(self)))]
        n = len(self)
        if not -n <= j < n:
            raise IndexError(f"replication position {j} out of range for a batch of {n}")
        j %= n
        rows = {name: self._rows(name, j) for name in ROW_TYPES}
        summary = rows.pop("summary")
        return ReplicationRecords(int(self.replications[j]),
                                  summary=summary[0] if summary else None, **rows)

    def _rows(self, name: str, j: int) -> list:
        """The named rows of replication position ``j`` in table ``name``."""
        if name not in self.columns:
            return []
        lists = self._lists.get(name)
        if lists is None:
            lists = self._lists[name] = [
                _int_or_nan(col) if f in INT_OR_NAN else
                col.texts().tolist() if isinstance(col, Labels) else col.tolist()
                for f, col in self.columns[name].items()]
        lo, hi = self.bounds[name][j], self.bounds[name][j + 1]
        return list(map(ROW_TYPES[name]._make, zip(*(values[lo:hi] for values in lists))))

    def frames(self, names: Iterable[str], start: Any) -> dict[str, pd.DataFrame]:
        """Tables ``names`` of the batch as DataFrames, column for column as pandas builds
        them from the rows (an empty table, or one not made, has object columns, as an empty
        list of rows gives).

        Parameters
        ----------
        names : iterable of str
            The tables.
        start : datetime.datetime or numpy.datetime64
            Hour 0 of the scenario, for the frames' calendar columns
            (:data:`~corridorsim.model.records.CALENDAR`), as
            :func:`~corridorsim.model.records.to_frames` makes them.

        Notes
        -----
        The frames hold the batch's arrays as they are, as ``pandas.DataFrame(columns,
        copy=False)`` does: tables of thousands of replications are made without copying
        them, but the frames and the batch share their numbers, so changing one in place
        changes the other. Only an array that is read-only, or that shares memory with
        another column of these frames or with the batch's replication numbers, is copied,
        so that each column can be changed in place on its own.
        """
        start64 = np.datetime64(start, "s")
        text = text_dtype()
        roots = {id(_root(self.replications))}  # arrays held so far: no two columns share one
        out = {}
        for name in names:
            fields = ROW_TYPES[name]._fields
            cols = self.columns.get(name)
            if cols is None or not self.bounds[name][-1]:
                frame = pd.DataFrame.from_records([], columns=list(fields))
                out[name] = with_calendar(name, frame, start64)
                continue
            dates = {col: (date, per_h) for date, col, per_h in CALENDAR.get(name, ())}
            data: dict[str, Any] = {}
            for f in fields:
                col = cols[f]
                if isinstance(col, Labels):
                    data[f] = col.pandas(text)
                    continue
                if f in INT_OR_NAN and not np.isnan(col).any():
                    col = col.astype(np.int64)
                data[f] = col = _own(col, roots)
                if f in dates:
                    date, per_h = dates[f]
                    data[date] = calendar(col * per_h, start64)
            out[name] = pd.DataFrame(data, copy=False)
        return out

    @classmethod
    def concat(cls, batches: Sequence[RecordBatch]) -> RecordBatch:
        """One batch of the replications of ``batches``, in their order (the tables that all
        of them made)."""
        names = set.intersection(*(set(b.columns) for b in batches)) if batches else set()
        columns, bounds = {}, {}
        for name in names:
            columns[name] = {f: _concat([b.columns[name][f] for b in batches])
                             for f in ROW_TYPES[name]._fields}
            offsets, start = [np.zeros(1, dtype=np.int64)], 0
            for b in batches:
                offsets.append(b.bounds[name][1:] + start)
                start += int(b.bounds[name][-1])
            bounds[name] = np.concatenate(offsets)
        reps = np.concatenate([b.replications for b in batches]) if batches else []
        return cls(reps, columns, bounds)


def _concat(parts: list) -> np.ndarray | Labels:
    """Columns of several batches, one after the other."""
    if all(isinstance(p, Labels) for p in parts) and len({p.values for p in parts}) == 1:
        return Labels(np.concatenate([p.codes for p in parts]), parts[0].values)
    return np.concatenate([p.texts() if isinstance(p, Labels) else p for p in parts])


def _root(col: np.ndarray) -> np.ndarray:
    """The array whose memory ``col`` views (``col`` itself if it owns its memory)."""
    while isinstance(col.base, np.ndarray):
        col = col.base
    return col


def _own(col: np.ndarray, roots: set[int]) -> np.ndarray:
    """``col``, or a copy of it if it is read-only or shares the memory of an array in
    ``roots`` (ids of the arrays the frames hold so far, to which ``col``'s is added)."""
    root = _root(col)
    if col.flags.writeable and id(root) not in roots:
        roots.add(id(root))
        return col
    col = col.copy()
    roots.add(id(col))
    return col


def _int_or_nan(col: np.ndarray) -> list:
    return [math.nan if v != v else int(v) for v in col.tolist()]


def concat_records(parts: Sequence[Sequence[ReplicationRecords]]) -> Sequence[ReplicationRecords]:
    """The records of ``parts`` in order: one :class:`RecordBatch` when every part is one,
    else a list of :class:`ReplicationRecords`."""
    if parts and all(isinstance(p, RecordBatch) for p in parts):
        return parts[0] if len(parts) == 1 else RecordBatch.concat(parts)  # type: ignore[arg-type]
    return [rec for part in parts for rec in part]

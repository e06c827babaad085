"""Records held as columns (RecordBatch): the same rows and the same frames as the named rows
they stand for, through pickling, slicing and concatenation."""

from __future__ import annotations

import datetime as dt
import math
import pickle

import numpy as np
import pandas as pd
import pytest

from corridorsim.model.columns import Labels, RecordBatch, concat_records
from corridorsim.model.records import DestinationRow, ReplicationRecords, SummaryRow, to_frames

START = dt.datetime(2025, 10, 7)


def _summary(rep: int, first) -> SummaryRow:
    return SummaryRow(rep, 10 * rep, 2, 3, 300, 1, 100, 1, 0, 0, 1, first, 0 if first != first
                      else 2, 1.5, 0.25, 1e6, math.inf, 0.0, math.nan, 0, 0, 0)


def _dest(rep: int, name: str, first) -> DestinationRow:
    return DestinationRow(rep, name, 10 * rep, 2, 1, 100, first, 1, 1.5, 0.25, 1e6, 2.5)


def _rows(reps, firsts) -> list[ReplicationRecords]:
    return [ReplicationRecords(r, destinations=[_dest(r, "Bamako", f), _dest(r, "Kayes", f)],
                               summary=_summary(r, f)) for r, f in zip(reps, firsts)]


def _batch(records: list[ReplicationRecords]) -> RecordBatch:
    """The columns of ``records`` (summary and destinations), as the fast path holds them."""
    def cols(rows, fields):
        out = {}
        for f in fields:
            values = [getattr(row, f) for row in rows]
            out[f] = np.array(values, dtype=object if isinstance(values[0], str) else
                              float if f == "first_stockout_day" else None)
        return out
    dests = [d for rec in records for d in rec.destinations]
    n = len(records)
    return RecordBatch([rec.replication for rec in records],
                       {"summary": cols([rec.summary for rec in records], SummaryRow._fields),
                        "destinations": cols(dests, DestinationRow._fields)},
                       {"summary": np.arange(n + 1), "destinations": 2 * np.arange(n + 1)})


def _same_rows(a, b) -> bool:
    def same(x, y):
        return type(x) is type(y) and (x == y or x != x and y != y)
    return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize("firsts", [(3, 4, 5), (3, math.nan, 5), (math.nan,) * 3])
def test_rows_and_frames_equal_those_of_the_named_rows(firsts):
    rows = _rows([7, 8, 9], firsts)
    batch = _batch(rows)
    for got, want in zip(batch, rows):
        assert got.replication == want.replication
        assert _same_rows(got.summary, want.summary)
        assert all(_same_rows(x, y) for x, y in zip(got.destinations, want.destinations))
        assert got.daily == got.events == got.convoys == []
    a, b = to_frames(batch, START), to_frames(rows, START)
    for name in ("summary", "destinations", "daily", "events", "convoys"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    # an integer column with a missing value is float64, as pandas infers from the rows
    want = "int64" if all(f == f for f in firsts) else "float64"
    assert a.summary["first_stockout_day"].dtype == want


def test_pickling_slicing_and_concatenation_keep_every_row():
    rows = _rows(range(5), (1, math.nan, 2, 3, math.nan))
    batch = pickle.loads(pickle.dumps(_batch(rows)))
    assert len(batch) == 5 and batch.sim_events == 0
    assert _same_rows(batch[-1].summary, rows[4].summary)
    assert [r.replication for r in batch[1:4]] == [1, 2, 3]
    with pytest.raises(IndexError):
        batch[5]
    joined = concat_records([_batch(rows[:2]), _batch(rows[2:])])
    assert isinstance(joined, RecordBatch)
    pd.testing.assert_frame_equal(to_frames(joined, START).destinations,
                                  to_frames(rows, START).destinations, check_exact=True)
    mixed = concat_records([_batch(rows[:2]), rows[2:]])
    assert [r.replication for r in mixed] == list(range(5))


def test_text_columns_held_as_labels_give_the_same_rows_and_frames():
    rows = _rows([1, 2], (3, math.nan))
    plain = _batch(rows)
    coded = _batch(rows)
    coded.columns["destinations"]["destination"] = Labels(np.array([0, 1, 0, 1]),
                                                          ("Bamako", "Kayes"))
    for got, want in zip(coded, rows):
        assert all(_same_rows(x, y) for x, y in zip(got.destinations, want.destinations))
    want = to_frames(rows, START).destinations
    pd.testing.assert_frame_equal(to_frames(coded, START).destinations, want, check_exact=True)
    # joined with the same values: still labels; with other values or plain texts: texts
    other = _batch(rows)
    other.columns["destinations"]["destination"] = Labels(np.array([1, 0, 1, 0]),
                                                          ("Kayes", "Bamako"))
    for parts, kind in (([coded, coded], Labels), ([coded, other], np.ndarray),
                        ([coded, plain], np.ndarray)):
        joined = RecordBatch.concat(parts)
        assert isinstance(joined.columns["destinations"]["destination"], kind)
        pd.testing.assert_frame_equal(to_frames(joined, START).destinations,
                                      pd.concat([want, want], ignore_index=True),
                                      check_exact=True)


def test_frames_hold_the_batchs_arrays_writable_and_one_per_column():
    """A frame holds the batch's arrays without copying them, but never a read-only one nor
    one array (or views of it) in two columns: every column can be changed in place alone."""
    rows = _rows([1, 2, 3], (3, 4, 5))
    batch = _batch(rows)
    cols = batch.columns["summary"]
    cols["ieds"] = cols["ambushes"]  # one array in two columns
    cols["convoys"] = np.broadcast_to(np.int64(1), (3,))  # read-only
    cols["standing_attacks"] = np.stack([cols["ambushes"], cols["ambushes"]])[0]  # a view
    frame = to_frames(batch, START).summary
    want = frame.copy()
    assert frame["ieds"].tolist() == frame["ambushes"].tolist() == cols["ambushes"].tolist()
    assert np.shares_memory(frame["delivered_l"].to_numpy(), cols["delivered_l"])  # no copy
    for col in ("ambushes", "convoys", "standing_attacks"):
        frame.loc[0, col] = 99
        want.loc[0, col] = 99
        pd.testing.assert_frame_equal(frame, want, check_exact=True)

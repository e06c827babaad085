"""Per-day, per-destination and summary rows of many replications, as columns.

The array forms of :func:`corridorsim.model.tally.daily_rows`, ``destination_rows`` and
``summary_row``: the same values, summed in the same order (running sums, never pairwise) and
rounded as Python's ``round`` does (:func:`py_round`), one array per field of the row type
(:class:`~corridorsim.model.columns.RecordBatch` holds them). Host NumPy. May import numpy and
the model's records.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..columns import Labels
from ..records import DailyRow, DestinationRow, SummaryRow
from .stock import StockArrays

__all__ = ["py_round", "daily_columns", "destination_columns", "summary_columns", "running_total",
           "least"]


def py_round(a, ndigits: int) -> np.ndarray:
    """Python's ``round(x, ndigits)`` of every element (correctly rounded, half to even).

    ``rint(x * 10**n) / 10**n`` is the same number unless the product was rounded next to a
    half; those few elements (and non-finite or huge ones) are rounded by Python itself.
    """
    a = np.asarray(a, dtype=np.float64)
    scale = 10.0 ** ndigits
    with np.errstate(invalid="ignore", over="ignore"):
        y = a * scale
        r = np.rint(y)
        # near a half (0.5 - |y - r| within 2**-50 |y|, more than 4 ulps), huge (|y| >= 2**52)
        # or infinite (NaN stays NaN); in place, as the tables' columns are long
        risky = np.subtract(y, r)
        np.abs(risky, out=risky)
        np.abs(y, out=y)
        y *= 2.0 ** -50
        risky += y
        risky = risky >= 0.5
        risky |= y == math.inf
        out = np.divide(r, scale, out=r)
    if risky.any():
        idx = np.flatnonzero(risky)
        flat = out.reshape(-1)
        flat[idx] = [round(float(v), ndigits) for v in a.reshape(-1)[idx].tolist()]
        out = flat.reshape(a.shape)
    return out


def running_total(a: np.ndarray, axis: int = -1) -> np.ndarray:
    """Sum along ``axis`` from the first element on, as Python's ``sum`` adds a list
    (booleans counted as integers).

    One whole-array addition per element of the axis (a day, a destination): far cheaper
    than a reduction along a short axis, in the same order as ``cumsum``.
    """
    a = np.asarray(a)
    if not a.shape[axis]:
        return np.zeros(np.delete(a.shape, axis))
    each = np.moveaxis(a, axis, 0)
    total = each[0].astype(np.int64 if a.dtype == bool else a.dtype)  # a copy
    for part in each[1:]:
        total += part
    return total


def least(a: np.ndarray, axis: int = -1) -> np.ndarray:
    """Smallest element along ``axis`` (NaN if any is), as :func:`running_total` goes."""
    each = np.moveaxis(np.asarray(a), axis, 0)
    low = each[0].copy()
    for part in each[1:]:
        np.minimum(low, part, out=low)
    return low


def _cumulative(a: np.ndarray) -> np.ndarray:
    """Running sums of integers along the last axis (``np.cumsum(a, axis=-1)``, one
    whole-array addition per element of a short axis)."""
    out = a.copy()
    for j in range(1, a.shape[-1]):
        out[..., j] += out[..., j - 1]
    return out


def daily_columns(reps: Sequence[int], names: Sequence[str], stocks: Sequence[StockArrays],
                  days: int, delivered_l, delivered_t, destroyed_t, destroyed_l, attacks,
                  escort_lost) -> dict[str, np.ndarray]:
    """Columns of the daily rows (replication, day, destination order; arrays: [rep,
    destination, day]; attacks [rep, day])."""
    n_rep, nd = len(reps), len(names)
    shape = (n_rep, days, nd)  # row order: day, then destination

    def per(x):  # [rep, dest, day] -> [rep, day, dest]
        return np.ascontiguousarray(np.swapaxes(x, 1, 2))

    def stacked(name):  # each destination's [rep, day] -> [rep, day, dest]
        parts = [getattr(s, name) for s in stocks]
        return parts[0][:, :, None] if nd == 1 else np.stack(parts, axis=2)

    base_rate = np.stack([s.midnight_demand_l for s in stocks], axis=1)  # [day, dest]
    stock, base, dem, used = (stacked(name) for name in
                              ("end_stock_l", "base_demand_l", "demand_l", "consumed_l"))
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = np.where(base_rate > 0, py_round(stock / base_rate, 6), math.inf)
        rationed = np.where(base > 0, py_round(1.0 - dem / base, 6), 0.0)
    cols = {
        "replication": np.asarray(reps)[:, None, None],
        "day": np.arange(days)[None, :, None],
        "delivered_l": per(delivered_l),
        "cumulative_delivered_l": per(_cumulative(delivered_l)),
        "stock_l": py_round(stock, 3), "cover_days": cover,
        "base_demand_l": py_round(base, 3), "demand_l": py_round(dem, 3),
        "consumed_l": py_round(used, 3), "unmet_l": py_round(dem - used, 3),
        "rationed_share": rationed,
        "overflow_l": py_round(stacked("overflow_l"), 3),
        "tankers_delivered": per(delivered_t), "tankers_destroyed": per(destroyed_t),
        "litres_destroyed": per(destroyed_l),
        "attacks": attacks[:, :, None],
        "escort_units_busy": np.zeros(shape),
        "escort_units_lost": escort_lost[:, :, None],
        "tankers_waiting_staging": np.zeros(shape, dtype=np.int64),
    }
    # whole columns are views of their arrays, the others are repeated into new ones
    out = {f: cols[f].reshape(-1) if cols[f].shape == shape else
           np.broadcast_to(cols[f], shape).reshape(-1) for f in DailyRow._fields
           if f != "destination"}
    out["destination"] = Labels(np.tile(np.arange(nd), n_rep * days), tuple(names))
    return out


def destination_columns(reps: Sequence[int], names: Sequence[str], stocks: Sequence[StockArrays],
                        delivered_l, delivered_t, destroyed_t, destroyed_l):
    """Columns of the destination rows (replication, destination order) and their values as
    arrays [rep, destination]."""
    n_rep, nd = len(reps), len(names)
    first = np.full((n_rep, nd), -1, dtype=np.int64)
    n_dry = np.zeros((n_rep, nd), dtype=np.int64)
    unmet = np.zeros((n_rep, nd))
    rationed = np.zeros((n_rep, nd))
    final = np.zeros((n_rep, nd))
    min_cover = np.full((n_rep, nd), math.inf)
    for k, s in enumerate(stocks):
        n_dry[:, k] = running_total(s.dry)
        first[:, k] = np.where(n_dry[:, k] > 0, s.dry.argmax(axis=1), -1)
        unmet[:, k] = py_round(running_total(s.demand_l) - running_total(s.consumed_l), 3)
        rationed[:, k] = py_round(running_total(s.base_demand_l) - running_total(s.demand_l), 3)
        final[:, k] = py_round(s.stock_l, 3)
        rate = s.midnight_demand_l
        open_ = rate > 0
        if open_.all():
            min_cover[:, k] = py_round(least(s.end_stock_l / rate), 6)
        elif open_.any():
            min_cover[:, k] = py_round(least(s.end_stock_l[:, open_] / rate[open_]), 6)
    cols = {
        "replication": np.repeat(np.asarray(reps), nd),
        "destination": Labels(np.tile(np.arange(nd), n_rep), tuple(names)),
        "delivered_l": running_total(delivered_l), "tankers_delivered": running_total(delivered_t),
        "tankers_destroyed": running_total(destroyed_t),
        "litres_destroyed": running_total(destroyed_l),
        "first_stockout_day": np.where(first >= 0, first, math.nan), "days_at_zero": n_dry,
        "unmet_l": unmet,
        "rationed_l": rationed, "final_stock_l": final, "min_cover_days": min_cover,
    }
    flat = {f: cols[f] if f == "destination" else np.asarray(cols[f]).reshape(-1)
            for f in DestinationRow._fields}
    return flat, {"unmet": unmet, "rationed": rationed, "final": final, "min_cover": min_cover}


def summary_columns(reps: Sequence[int], stocks: Sequence[StockArrays], dest: dict, *,
                    delivered_l, delivered_t, loaded_t, loaded_l, destroyed_t, destroyed_l,
                    ambushes, ieds, convoys: int, in_transit_l) -> dict[str, np.ndarray]:
    """Columns of the summary rows, one per replication (national totals)."""
    dry = np.zeros(stocks[0].dry.shape, dtype=bool)
    for s in stocks:
        dry |= s.dry
    n_dry = running_total(dry)
    n = len(reps)
    cols = {
        "replication": np.array(reps, dtype=np.int64), "delivered_l": delivered_l,
        "tankers_delivered": delivered_t, "tankers_loaded": loaded_t, "litres_loaded": loaded_l,
        "tankers_destroyed": destroyed_t, "litres_destroyed": destroyed_l, "ambushes": ambushes,
        "ieds": ieds, "standing_attacks": np.zeros(n, dtype=np.int64),
        "convoys": np.full(n, convoys, dtype=np.int64),
        "first_stockout_day": np.where(n_dry > 0, dry.argmax(axis=1), math.nan),
        "days_at_zero": n_dry,
        "unmet_l": py_round(running_total(dest["unmet"]), 3),
        "rationed_l": py_round(running_total(dest["rationed"]), 3),
        "final_stock_l": py_round(running_total(dest["final"]), 3),
        "min_cover_days": least(dest["min_cover"]),
        # no escort pools on the fast path: nothing busy, no waits
        "escort_utilisation": np.zeros(n), "mean_escort_wait_h": np.full(n, math.nan),
        "censored_escort_waits": np.zeros(n, dtype=np.int64), "in_transit_l": in_transit_l,
        "staged_l": np.zeros(n, dtype=np.int64),
    }
    return {f: np.asarray(cols[f]) for f in SummaryRow._fields}

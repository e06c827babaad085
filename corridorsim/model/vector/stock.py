"""The destinations' fluid stock for many replications at once (array form of FluidStock).

:class:`StockArrays` follows :class:`corridorsim.model.stock.FluidStock` operation for
operation: demand drains the stock at a rate that is constant between a delivery, a demand
step, the cover reaching a rationing tier, the stock running dry and midnight, and each
replication's segments are integrated with the same floating-point steps in the same order, so
the day totals equal the scalar object's. Replications advance together, one segment per pass.
Host NumPy (the stock is replayed from the logged deliveries after the convoys have run).
May import numpy and the model's plan.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Sequence

import numpy as np

from ..plan import ScenarioPlan, StepSchedule

__all__ = ["StockArrays", "Baseline", "baselines"]


class StockArrays:
    """Stock, demand and per-day totals of one destination in ``reps`` replications.

    Parameters
    ----------
    reps : int
        Number of replications (axis 0 of every array).
    initial_l, capacity_l, demand, tiers, horizon_h
        As for :class:`~corridorsim.model.stock.FluidStock`.
    state : bool
        Start every replication's state at the initial stock; False when :meth:`follow` sets it.
    """

    def __init__(self, reps: int, initial_l: float, capacity_l: float | None,
                 demand: StepSchedule, tiers: Sequence[tuple[float, float]], horizon_h: float,
                 *, state: bool = True):
        self.reps, self.capacity_l = reps, capacity_l
        self.starts = np.array(demand.starts, dtype=np.float64)
        self.values = np.array([demand.initial, *demand.values], dtype=np.float64)
        self.next_starts = np.array([*demand.starts, math.inf], dtype=np.float64)
        self.tiers = sorted(tiers)
        self._belows = np.array([below for below, _ in self.tiers], dtype=np.float64)
        self._shares = np.array([share for _, share in self.tiers] + [0.0], dtype=np.float64)
        self.horizon_h = horizon_h
        self.days = max(1, int(-(-horizon_h // 24)))
        self._day_starts = 24.0 * np.arange(1, self.days)
        #: Unrationed demand (litres per day) at each day's midnight, for the cover columns:
        #: the schedule's own values, computed once per plan (``demand_at`` of those hours)
        self.midnight_demand_l = np.array(demand.at_midnights(self.days), dtype=np.float64)
        if state:
            self._start(reps, initial_l)

    def _start(self, reps: int, initial_l: float) -> None:
        self.stock_l = np.full(reps, float(initial_l))
        self.t_h = np.zeros(reps)
        shape = (reps, self.days)
        self.base_demand_l = np.zeros(shape)
        self.demand_l = np.zeros(shape)
        self.consumed_l = np.zeros(shape)
        self.overflow_l = np.zeros(shape)
        self.end_stock_l = np.full(shape, math.nan)
        self.dry = np.zeros(shape, dtype=bool)

    def demand_at(self, t_h: np.ndarray) -> np.ndarray:
        """Unrationed demand (litres per day) at times ``t_h``."""
        return self.values[np.searchsorted(self.starts, t_h, side="right")]

    def _day_of(self, t_h: np.ndarray) -> np.ndarray:
        # min(t_h // 24, days - 1) for t_h >= 0: the number of day boundaries 24 k <= t_h
        # (exact: 24 k is), a search a few times cheaper than a float floor division
        return np.searchsorted(self._day_starts, t_h, side="right")

    def _cut(self, stock: np.ndarray, base: np.ndarray) -> np.ndarray:
        if not self.tiers:
            return np.zeros(stock.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            cover = stock / base
        # the tightest tier reached wins: the first (lowest threshold, then lowest share) with
        # cover <= threshold; none (the index past the last tier; NaN cover too): no cut
        tier = np.searchsorted(self._belows, cover)
        return np.where(base > 0, self._shares[tier], 0.0)

    def advance(self, rows: np.ndarray, t_h: np.ndarray) -> None:
        """Let demand drain the stock of replications ``rows`` up to times ``t_h``."""
        target = np.minimum(t_h, self.horizon_h)
        while self._segment(rows, target):
            pass

    def _segment(self, rows: np.ndarray, target: np.ndarray) -> bool:
        """Integrate one segment of every replication of ``rows`` short of ``target``; False
        when none was."""
        go = self.t_h[rows] < target
        if not go.any():
            return False
        r, tgt = rows[go], target[go]
        t, stock = self.t_h[r], self.stock_l[r]
        d = self._day_of(t)
        day_end = np.minimum(24.0 * (d + 1), self.horizon_h)
        nxt = self.next_starts[np.searchsorted(self.starts, t, side="right")]
        end = np.minimum(np.minimum(tgt, day_end), nxt)
        base = self.demand_at(t)
        rate = base * (1.0 - self._cut(stock, base)) / 24.0
        level = np.zeros(r.size)
        found = np.zeros(r.size, dtype=bool)
        for below, _share in reversed(self.tiers):
            hit = ~found & (base > 0) & (below * base < stock)
            level = np.where(hit, below * base, level)
            found |= hit
        draining = (rate > 0) & (stock > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            reach = t + (stock - level) / rate
        reached = draining & (reach <= end)
        end = np.where(reached, np.maximum(reach, t), end)
        used = np.where(reached, stock - level, np.where(draining, rate * (end - t), 0.0))
        stock = np.where(reached, level, np.where(draining, stock - used, stock))
        dt = end - t
        cell = r * self.days + d  # [rep, day] as flat indices: cheaper than pairs of them
        _cells(self.base_demand_l)[cell] += base / 24.0 * dt
        _cells(self.demand_l)[cell] += rate * dt
        _cells(self.consumed_l)[cell] += used
        dry = (stock <= 0) & (rate > 0) & (dt > 0)
        _cells(self.dry)[cell[dry]] = True
        self.stock_l[r] = stock
        self.t_h[r] = end
        closed = end >= day_end
        _cells(self.end_stock_l)[cell[closed]] = stock[closed]
        return True

    def add(self, rows: np.ndarray, t_h: np.ndarray, litres: np.ndarray) -> None:
        """Deliver ``litres`` at ``t_h`` to replications ``rows`` (one delivery per row)."""
        self.advance(rows, t_h)
        stock = self.stock_l[rows]
        room = np.inf if self.capacity_l is None else np.maximum(0.0, self.capacity_l - stock)
        accepted = np.minimum(room, litres)
        self.stock_l[rows] = stock + accepted
        _cells(self.overflow_l)[rows * self.days + self._day_of(t_h)] += litres - accepted

    def close(self, rows: np.ndarray | None = None) -> None:
        """Run replications ``rows`` (default: all) to the horizon; fix the last day's closing
        stock."""
        rows = np.arange(self.stock_l.size) if rows is None else rows
        self.advance(rows, np.full(rows.size, self.horizon_h))
        self.end_stock_l[rows, self.days - 1] = self.stock_l[rows]

    _STATE = ("t_h", "stock_l", "base_demand_l", "demand_l", "consumed_l", "overflow_l",
              "end_stock_l", "dry")

    def follow(self, base: Baseline, rows: np.ndarray, first_h: np.ndarray) -> None:
        """Start every replication from the stock without deliveries: those of ``rows`` where
        it stood at the start of the segment in which their first delivery (at ``first_h``)
        falls, the others at its end (run to the horizon and closed)."""
        at = np.full(self.reps, base.t_h.size - 1)
        at[rows] = np.searchsorted(base.t_h, first_h, side="right") - 1
        for name in self._STATE:
            setattr(self, name, getattr(base, name)[at])


def _cells(a: np.ndarray) -> np.ndarray:
    """A [rep, day] array's elements as a flat view (writes go to ``a``)."""
    if not a.flags.c_contiguous:  # made by zeros, full or indexing: never, but a copy would
        raise ValueError("stock arrays must be C-contiguous")  # lose the writes silently
    return a.reshape(-1)


class Baseline:
    """A destination's stock when nothing is delivered: its state at the start of each
    segment (rows of the arrays), and after closing at the horizon (the last row).

    It does not depend on the replication, so it is integrated once per plan; a replication
    follows it exactly (the same operations on the same numbers) up to its first delivery,
    and one that receives nothing ends as it does (:meth:`StockArrays.follow`).
    """

    def __init__(self, initial_l: float, capacity_l: float | None, demand: StepSchedule,
                 tiers: Sequence[tuple[float, float]], horizon_h: float):
        st = StockArrays(1, initial_l, capacity_l, demand, tiers, horizon_h)
        one, end = np.zeros(1, dtype=np.int64), np.full(1, st.horizon_h)
        states = [self._state(st)]
        while st._segment(one, end):
            states.append(self._state(st))
        st.close()
        states.append(self._state(st))
        for k, name in enumerate(StockArrays._STATE):
            setattr(self, name, np.stack([s[k] for s in states]))

    @staticmethod
    def _state(st: StockArrays) -> list[np.ndarray]:
        return [getattr(st, name)[0].copy() for name in StockArrays._STATE]


_BASELINES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def baselines(plan: ScenarioPlan) -> list[Baseline]:
    """The :class:`Baseline` of each destination of ``plan`` (made once per plan)."""
    got = _BASELINES.get(plan)
    if got is None:
        got = _BASELINES[plan] = [
            Baseline(d.initial_stock_l, d.capacity_l, plan.demands[k], plan.rationings[k],
                     plan.horizon_h) for k, d in enumerate(plan.destinations)]
    return got

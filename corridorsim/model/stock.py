"""A destination's stock as a fluid: demand drains it at a rate between events.

The unrationed demand ``D(t)`` (litres per day) is a step function of time; rationing cuts it by
the share of the tightest tier whose threshold the cover ``c = S / D`` has reached
(``c <= below_cover_days``). Between deliveries the stock follows ``dS/dt = -D(t) (1 - cut(c)) /
24`` per hour while ``S > 0``; at ``S = 0`` demand goes unmet at that rate. The rate is constant
between the events where it can change (a delivery, a demand step, a cover threshold reached,
the stock running dry, midnight), so :meth:`FluidStock.advance` integrates it exactly segment by
segment instead of taking a whole day's demand at midnight.

Tie rules: a cover exactly at a threshold is inside the tier (so a draining stock changes rate
exactly where it reaches the threshold); a delivery at exactly midnight counts for the new day.

Pure state, no SimPy. May import :mod:`.plan`.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

from .plan import StepSchedule

__all__ = ["FluidStock"]


class FluidStock:
    """Stock, demand and per-day totals of one destination.

    Parameters
    ----------
    initial_l : float
        Stock at hour 0, litres.
    capacity_l : float or None
        Storage capacity; deliveries beyond it overflow (recorded, not stocked).
    demand : StepSchedule
        Unrationed demand, litres per day, by hour.
    tiers : sequence of (below_cover_days, demand_cut_share)
        Rationing tiers.
    horizon_h : float
        End of the run, hours.
    """

    def __init__(self, initial_l: float, capacity_l: float | None, demand: StepSchedule,
                 tiers: Sequence[tuple[float, float]], horizon_h: float):
        self.stock_l = float(initial_l)
        self.capacity_l = capacity_l
        self.demand = demand
        self.tiers = sorted(tiers)
        self._tiers_desc = self.tiers[::-1]
        self.horizon_h = horizon_h
        self.days = max(1, int(-(-horizon_h // 24)))
        self.t_h = 0.0
        n = self.days
        self.base_demand_l = [0.0] * n
        self.demand_l = [0.0] * n
        self.consumed_l = [0.0] * n
        self.overflow_l = [0.0] * n
        self.end_stock_l = [math.nan] * n
        self.dry = [False] * n  # the stock was at zero with demand unmet at some moment

    def day_of(self, t_h: float) -> int:
        """Day index of an instant (midnight belongs to the new day)."""
        return min(int(t_h // 24), self.days - 1)

    def day_end_h(self, d: int) -> float:
        return min(24.0 * (d + 1), self.horizon_h)

    def cut(self, stock_l: float, base_l_per_day: float) -> float:
        """Share of demand rationed away at this stock and unrationed demand."""
        if base_l_per_day <= 0:
            return 0.0
        cover = stock_l / base_l_per_day
        for below, share in self.tiers:  # ascending thresholds: the tightest tier reached
            if cover <= below:
                return share
        return 0.0

    def cover_days(self) -> float:
        base = self.demand.at(self.t_h)
        return self.stock_l / base if base > 0 else math.inf

    def advance(self, t_h: float) -> None:
        """Let demand drain the stock up to ``t_h`` (exact for the piecewise-constant rate)."""
        t_h = min(t_h, self.horizon_h)
        t = self.t_h
        if t >= t_h:
            return
        # a hot loop: day_of, day_end_h, cut and the demand's look-ups inlined, state in locals
        # (the same arithmetic in the same order as those methods)
        last_day, horizon, tiers = self.days - 1, self.horizon_h, self.tiers
        tiers_desc = self._tiers_desc
        dry, end_stock = self.dry, self.end_stock_l
        starts, values, initial = self.demand.starts, self.demand.values, self.demand.initial
        n_steps = len(starts)
        k = bisect.bisect_right(starts, t)  # demand steps started by t; t only grows below
        stock = self.stock_l
        base_demand, demand_l, consumed = self.base_demand_l, self.demand_l, self.consumed_l
        while t < t_h:
            while k < n_steps and starts[k] <= t:
                k += 1
            # min() by comparisons (a builtin call per operand is dear in this loop)
            d = int(t // 24)
            if d > last_day:
                d = last_day
            day_end = 24.0 * (d + 1)
            if day_end > horizon:
                day_end = horizon
            end = t_h if t_h <= day_end else day_end
            if k < n_steps and starts[k] < end:
                end = starts[k]
            base = initial if k == 0 else values[k - 1]
            cut = 0.0
            level = 0.0  # the next stock level at which the rate changes
            if base > 0:
                cover = stock / base
                for below, share in tiers:  # ascending thresholds: the tightest tier reached
                    if cover <= below:
                        cut = share
                        break
                for below, _share in tiers_desc:
                    if below * base < stock:
                        level = below * base
                        break
            rate = base * (1.0 - cut) / 24.0  # litres per hour
            if rate > 0 and stock > 0:
                reach = t + (stock - level) / rate
                if reach <= end:
                    end = reach if reach > t else t
                    used = stock - level
                    stock = level
                else:
                    used = rate * (end - t)
                    stock -= used
            else:
                used = 0.0
            dt = end - t
            base_demand[d] += base / 24.0 * dt
            demand_l[d] += rate * dt
            consumed[d] += used
            if stock <= 0 and rate > 0 and dt > 0:
                dry[d] = True
            t = end
            if end >= day_end:
                end_stock[d] = stock
        self.stock_l, self.t_h = stock, t

    def add(self, t_h: float, litres: float) -> float:
        """Deliver ``litres`` at ``t_h``; return the litres stocked (the rest overflows)."""
        self.advance(t_h)
        room = math.inf if self.capacity_l is None else max(0.0, self.capacity_l - self.stock_l)
        accepted = min(room, litres)
        self.stock_l += accepted
        self.overflow_l[self.day_of(t_h)] += litres - accepted
        return accepted

    def close(self) -> None:
        """Run to the horizon and fix the last day's closing stock (after deliveries then)."""
        self.advance(self.horizon_h)
        self.end_stock_l[self.days - 1] = self.stock_l

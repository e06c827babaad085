"""The rows a replication leaves behind, built from the engine's state at the end.

Pure functions, no SimPy: the engine calls them once, after the run. May import
:mod:`.records`, :mod:`.stock` and numpy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .records import DailyRow, DestinationRow, SummaryRow
from .stock import FluidStock

__all__ = ["daily_rows", "destination_rows", "summary_row"]

_new = tuple.__new__  # a NamedTuple from a tuple of its values, without its __new__'s frame


def daily_rows(rep: int, names: Sequence[str], stocks: Sequence[FluidStock], days: int,
               horizon_h: float, delivered_l, delivered_t, destroyed_t, destroyed_l, attacks,
               busy_per_day, escort_lost, waiting) -> list[DailyRow]:
    """One row per day and destination (the per-day arrays are indexed [destination][day]).

    The rows are a large share of a short replication: they are built from tuples in
    :class:`~.records.DailyRow`'s field order by ``tuple.__new__`` (a keyword call binds 21
    names, 3.5 times dearer, and the NamedTuple's own ``__new__`` is a Python frame more), the
    national columns once per day, each day's demand rate once per plan
    (:meth:`~.plan.StepSchedule.at_midnights`), ``round`` (correctly rounded through decimal
    digits: about 0.3 us a call) skipped for zeros (it returns them unchanged, signed zeros
    included) and looked up for the values that repeat from day to day.
    """
    nd = len(names)
    national = []  # per day: attacks, escort busy share, escort units lost
    for d in range(days):
        t0, t1 = 24.0 * d, min(24.0 * (d + 1), horizon_h)
        busy = busy_per_day[d] / (t1 - t0) if t1 > t0 else 0.0
        national.append((int(attacks[d]), round(float(busy), 6), int(escort_lost[d])))
    # a destination's days from its columns side by side (no index per value), each row put
    # in its day-major place
    rows: list = [None] * (days * nd)
    r3: dict[float, float] = {}  # round(x, 3) and round(x, 6) of the values seen (see below)
    r6: dict[float, float] = {}
    for k, (name, st) in enumerate(zip(names, stocks)):
        cumulative = 0  # litres delivered so far
        columns = zip(st.demand.at_midnights(days), st.end_stock_l, st.base_demand_l,
                      st.demand_l, st.consumed_l, st.overflow_l, delivered_l[k], delivered_t[k],
                      destroyed_t[k], destroyed_l[k], waiting[k], national)
        for d, (base_rate, stock, base, dem, used, overflow, dl, dt, xt, xl, w,
                (n_attacks, busy, lost)) in enumerate(columns):
            cumulative += dl
            unmet = dem - used
            # a day's demand, rationed demand and consumption repeat from day to day: their
            # rounded values come from the memo (zeros are not rounded: -0.0 == 0.0 as keys)
            r_base = r3.get(base) if base else base
            if r_base is None:
                r_base = r3[base] = round(base, 3)
            r_dem = r3.get(dem) if dem else dem
            if r_dem is None:
                r_dem = r3[dem] = round(dem, 3)
            r_used = r3.get(used) if used else used
            if r_used is None:
                r_used = r3[used] = round(used, 3)
            if base > 0:
                share = 1.0 - dem / base
                r_share = r6.get(share)
                if r_share is None:
                    r_share = r6[share] = round(share, 6)
            else:
                r_share = 0.0
            rows[d * nd + k] = _new(DailyRow, (
                rep, d, name,  # replication, day, destination
                int(dl), int(cumulative),  # delivered_l, cumulative_delivered_l
                round(stock, 3) if stock else stock,  # stock_l
                round(stock / base_rate, 6) if base_rate > 0 else math.inf,  # cover_days
                r_base, r_dem, r_used,  # base_demand_l, demand_l, consumed_l
                round(unmet, 3) if unmet else unmet,  # unmet_l
                r_share,  # rationed_share
                round(overflow, 3) if overflow else overflow,  # overflow_l
                int(dt), int(xt),  # tankers_delivered, tankers_destroyed
                int(xl), n_attacks, busy, lost,  # litres_destroyed, attacks, escort..
                int(w),  # tankers_waiting_staging
            ))
    return rows


def _dry_days(st: FluidStock) -> tuple[float, int]:
    dry = [d for d, flag in enumerate(st.dry) if flag]
    return (dry[0] if dry else math.nan), len(dry)


def destination_rows(rep: int, names: Sequence[str], stocks: Sequence[FluidStock],
                     delivered_l, delivered_t, destroyed_t, destroyed_l) -> list[DestinationRow]:
    """One row per destination with its totals over the run."""
    rows = []
    for k, (name, st) in enumerate(zip(names, stocks)):
        first, n_dry = _dry_days(st)
        rates = st.demand.at_midnights(st.days)
        covers = [stock / rate for stock, rate in zip(st.end_stock_l, rates) if rate > 0]
        rows.append(DestinationRow(
            replication=rep, destination=name, delivered_l=int(sum(delivered_l[k])),
            tankers_delivered=int(sum(delivered_t[k])), tankers_destroyed=int(sum(destroyed_t[k])),
            litres_destroyed=int(sum(destroyed_l[k])), first_stockout_day=first,
            days_at_zero=n_dry,
            unmet_l=round(float(sum(st.demand_l) - sum(st.consumed_l)), 3),
            rationed_l=round(float(sum(st.base_demand_l) - sum(st.demand_l)), 3),
            final_stock_l=round(st.stock_l, 3),
            min_cover_days=round(min(covers), 6) if covers else math.inf,
        ))
    return rows


def summary_row(rep: int, dests: Sequence[DestinationRow], stocks: Sequence[FluidStock], *,
                delivered_l: int, delivered_t: int, loaded_t: int, loaded_l: int,
                destroyed_t: int, destroyed_l: int, ambushes: int, ieds: int, standing: int,
                convoys: int, utilisation: float, waits: Sequence[float], censored: int,
                in_transit_l: int, staged_l: int) -> SummaryRow:
    """National totals; a day counts as dry if some destination was dry that day."""
    days = stocks[0].days
    dry = [any(st.dry[d] for st in stocks) for d in range(days)]
    first = next((d for d, flag in enumerate(dry) if flag), math.nan)
    return SummaryRow(
        replication=rep, delivered_l=delivered_l, tankers_delivered=delivered_t,
        tankers_loaded=loaded_t, litres_loaded=loaded_l, tankers_destroyed=destroyed_t,
        litres_destroyed=destroyed_l, ambushes=ambushes, ieds=ieds, standing_attacks=standing,
        convoys=convoys, first_stockout_day=first, days_at_zero=int(sum(dry)),
        unmet_l=round(sum(r.unmet_l for r in dests), 3),
        rationed_l=round(sum(r.rationed_l for r in dests), 3),
        final_stock_l=round(sum(r.final_stock_l for r in dests), 3),
        min_cover_days=min(r.min_cover_days for r in dests),
        escort_utilisation=round(utilisation, 6),
        mean_escort_wait_h=round(sum(waits) / len(waits), 6) if waits else math.nan,
        censored_escort_waits=censored, in_transit_l=in_transit_l, staged_l=staged_l,
    )

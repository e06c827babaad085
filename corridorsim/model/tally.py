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
    (:meth:`~.plan.StepSchedule.at_midnights`), and ``round`` skipped for zeros (it returns
    them unchanged, signed zeros included).
    """
    rows = []
    append = rows.append
    cumulative = [0] * len(names)  # litres delivered so far, per destination
    per_dest = [(k, name, st, st.demand.at_midnights(days))
                for k, (name, st) in enumerate(zip(names, stocks))]
    for d in range(days):
        t0, t1 = 24.0 * d, min(24.0 * (d + 1), horizon_h)
        busy = busy_per_day[d] / (t1 - t0) if t1 > t0 else 0.0
        busy = round(float(busy), 6)
        n_attacks, lost = int(attacks[d]), int(escort_lost[d])
        for k, name, st, rates in per_dest:
            base_rate = rates[d]
            stock = st.end_stock_l[d]
            base, dem, used = st.base_demand_l[d], st.demand_l[d], st.consumed_l[d]
            unmet = dem - used
            overflow = st.overflow_l[d]
            cumulative[k] += delivered_l[k][d]
            append(_new(DailyRow, (
                rep, d, name,  # replication, day, destination
                int(delivered_l[k][d]), int(cumulative[k]),  # delivered_l, cumulative_...
                round(stock, 3) if stock else stock,  # stock_l
                round(stock / base_rate, 6) if base_rate > 0 else math.inf,  # cover_days
                round(base, 3) if base else base,  # base_demand_l
                round(dem, 3) if dem else dem,  # demand_l
                round(used, 3) if used else used,  # consumed_l
                round(unmet, 3) if unmet else unmet,  # unmet_l
                round(1.0 - dem / base, 6) if base > 0 else 0.0,  # rationed_share
                round(overflow, 3) if overflow else overflow,  # overflow_l
                int(delivered_t[k][d]), int(destroyed_t[k][d]),  # tankers_delivered, ..._destroyed
                int(destroyed_l[k][d]), n_attacks, busy, lost,  # litres_destroyed, attacks, escort..
                int(waiting[k][d]),  # tankers_waiting_staging
            )))
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

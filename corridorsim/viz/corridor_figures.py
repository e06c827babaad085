"""Flows by corridor over time: fuel delivered per day and losses per week, stacked by the
corridor label of the road (one fixed colour per corridor).

Tables in, :class:`matplotlib.figure.Figure` out; no pyplot. May import the figure helpers
(:mod:`.layout`, :mod:`.style`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .layout import (
    ATTACK_KINDS,
    OBS,
    _bins,
    _dates,
    _finish,
    _litres_axis,
    _n_reps,
    _outside_legend,
    _setup,
    _start_end,
    _titles,
)
from .style import (
    FIGSIZE,
    FIGSIZE_TALL,
    corridor_color,
    corridor_order,
    date_axis,
    date_label,
    plot_style,
)

__all__ = ["deliveries_by_corridor", "losses_by_week"]


def _delivery_corridors(events: pd.DataFrame, convoys: pd.DataFrame) -> pd.DataFrame:
    dl = events[events["kind"] == "delivery"][["replication", "convoy_id", "datetime", "litres"]]
    cv = convoys[["replication", "convoy_id", "corridor"]].drop_duplicates(["replication", "convoy_id"])
    out = dl.merge(cv, on=["replication", "convoy_id"], how="left")
    out["corridor"] = out["corridor"].fillna("").astype(str)
    return out


def _stacked_bars(ax: Any, table: pd.DataFrame, x: Any, width: Any, align: str = "center") -> None:
    bottom = np.zeros(len(table))
    for i, c in enumerate(table.columns):
        vals = table[c].to_numpy(dtype=float)
        ax.bar(x, vals, width=width, bottom=bottom, color=corridor_color(c, i), align=align,
               label=c or "(no corridor)", edgecolor="white", linewidth=0.3)
        bottom = bottom + vals


def deliveries_by_corridor(events: pd.DataFrame, convoys: pd.DataFrame,
                           daily: pd.DataFrame | None = None, *, replications: int | None = None,
                           start: Any = None, end: Any = None, freq: str = "D", ax: Any = None,
                           destination: str | None = None, title: str | None = None,
                           footer: str | None = None) -> Any:
    """Mean litres delivered per day, stacked by corridor.

    Delivery events are joined to the convoys table on ``(replication, convoy_id)`` for the
    corridor of the arriving movement (the corridor carrying most of its route's km); litres
    are summed per day (``freq="D"``) or per 7-day bin from ``start`` (``freq="W"``, shown as
    the mean per day of the bin) and divided by the number of replications. With ``daily``,
    the unrationed daily demand is drawn for comparison.

    Parameters
    ----------
    events, convoys : DataFrame
        The run's events and convoys tables.
    daily : DataFrame, optional
        For the demand line and the date range.
    replications : int, optional
        Number of replications (default: those present in the tables).
    start, end : date-like, optional
        Date range (end exclusive); default from ``daily`` or the events.
    freq : {"D", "W"}
        Daily bars, or weekly bars of the mean daily delivery.
    """
    if freq not in ("D", "W"):
        raise ValueError(f"freq {freq!r}: expected 'D' (days) or 'W' (weeks)")
    with plot_style():
        own = ax is None
        fig, (ax,) = _setup(ax, 1, FIGSIZE)
        n = _n_reps(events, convoys, daily, given=replications)
        s, e = _start_end(daily, start, end, events)
        dl = _delivery_corridors(events, convoys)
        dl["t"] = _dates(dl["datetime"])
        bins = _bins(s, e, 1 if freq == "D" else 7)
        nb = len(bins) - 1
        dl["bin"] = np.searchsorted(bins.to_numpy(), dl["t"].to_numpy(), side="right") - 1
        dl = dl[(dl["bin"] >= 0) & (dl["bin"] < nb)]
        days = np.diff(bins.to_numpy()).astype("timedelta64[s]").astype(float) / 86400.0
        table = (dl.pivot_table(index="bin", columns="corridor", values="litres", aggfunc="sum")
                 .reindex(range(nb)).fillna(0.0))
        table = table.div(days, axis=0) / n
        table = table[[c for c in corridor_order(table.columns) if c in table.columns]]
        _stacked_bars(ax, table, bins[:-1] + pd.to_timedelta(days * 0.06, unit="D"),
                      width=days * 0.88, align="edge")
        top = float(table.sum(axis=1).max()) if len(table.columns) else 0.0
        if daily is not None and len(daily):
            base = daily.groupby("date")["base_demand_l"].median()
            bx = _dates(base.index)
            ax.step(np.concatenate([bx.to_numpy(), [bx.iloc[-1] + pd.Timedelta(days=1)]]),
                    np.concatenate([base.to_numpy(), [base.iloc[-1]]]), where="post", color=OBS,
                    lw=1.8, ls=(0, (5, 3)), label="demand,\nunrationed")
            top = max(top, float(base.max()))
        _litres_axis(ax, "fuel delivered per day (ML/day)")
        ax.set_xlabel(date_label(s, e - pd.Timedelta(days=1),
                                 "date" if freq == "D" else "week starting"))
        _week_or_date_axis(ax, s, e, bins if freq == "W" else None)
        ax.set_ylim(0, top * 1.08 if top > 0 else 1.0)
        _titles(ax, title or f"Fuel delivered to {destination or 'the destination'} per day, "
                             "by corridor",
                f"mean of {n} replications" + ("; weekly averages" if freq == "W" else ""))
        _outside_legend(fig, ax, own, title="corridor", fontsize=11)
        return _finish(fig, footer, own)


def _week_or_date_axis(ax: Any, s: pd.Timestamp, e: pd.Timestamp,
                       bins: pd.DatetimeIndex | None) -> None:
    """Date ticks; with ``bins``, at the bin starts (thinned to at most 9)."""
    from matplotlib.ticker import NullLocator

    if bins is None:
        date_axis(ax, s, e)
        return
    starts = list(bins[:-1])
    width_in = ax.get_position().width * ax.get_figure(root=True).get_figwidth()
    step = max(1, math.ceil(len(starts) / max(3, int(width_in / 0.95))))
    date_axis(ax, s, e, ticks=starts[::step])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.grid(axis="x", visible=False)


def losses_by_week(events: pd.DataFrame, *, replications: int | None = None, start: Any = None,
                   end: Any = None, axes: Any = None, title: str | None = None,
                   footer: str | None = None) -> Any:
    """Tankers (top) and litres (bottom) destroyed per week, stacked by corridor.

    Attack events (ambushes and IED strikes) carry the corridor of the edge they happened on.
    Weeks are 7-day bins from ``start`` (default: the first day of the events); the last bin may
    be shorter and is drawn narrower. Values are means per replication.
    """
    with plot_style():
        own = axes is None
        fig, (ax1, ax2) = _setup(axes, 2, FIGSIZE_TALL, height_ratios=(1, 1))
        n = _n_reps(events, given=replications)
        s, e = _start_end(None, start, end, events)
        att = events[events["kind"].isin(ATTACK_KINDS)].copy()
        att["corridor"] = att["corridor"].fillna("").astype(str)
        att["t"] = _dates(att["datetime"])
        bins = _bins(s, e, 7)
        att["bin"] = np.searchsorted(bins.to_numpy(), att["t"].to_numpy(), side="right") - 1
        att = att[(att["bin"] >= 0) & (att["bin"] < len(bins) - 1)]
        widths = np.diff(bins.to_numpy()).astype("timedelta64[s]").astype(float) / 86400.0
        cols = corridor_order(att["corridor"].unique()) if len(att) else []
        for a, col, label in ((ax1, "tankers_destroyed", "tankers destroyed\nper week"),
                              (ax2, "litres_destroyed", "fuel destroyed\nper week (ML)")):
            table = (att.pivot_table(index="bin", columns="corridor", values=col, aggfunc="sum")
                     .reindex(range(len(bins) - 1)).fillna(0.0) / n)
            table = table.reindex(columns=cols).fillna(0.0)
            _stacked_bars(a, table, bins[:-1] + pd.to_timedelta(widths * 0.05, unit="D"),
                          width=widths * 0.9, align="edge")
            if col == "litres_destroyed":
                _litres_axis(a, label)
            else:
                a.set_ylabel(label)
            a.set_ylim(bottom=0)
            a.grid(axis="x", visible=False)
            if not len(att):
                a.text(0.5, 0.5, "no attacks in these results", transform=a.transAxes,
                       ha="center", va="center", color="#555555")
        _titles(ax1, title or "Tankers and fuel destroyed per week, by corridor",
                f"ambushes and IEDs; mean of {n} replications"
                + (f"; last bar: {widths[-1]:g} days" if widths[-1] < 7 - 1e-9 else ""))
        if cols:
            _outside_legend(fig, ax1, own, title="corridor", fontsize=11)
        ax2.set_xlabel(date_label(s, e - pd.Timedelta(days=1), "week starting"))
        _week_or_date_axis(ax2, s, e, bins)
        return _finish(fig, footer, own)


"""Figures of runs and sweeps: tables in, :class:`matplotlib.figure.Figure` out.

Every function takes result tables (pandas DataFrames as written by a run or a sweep, see
:mod:`corridorsim.model.records` and :mod:`corridorsim.experiments.summaries`) and returns a Figure built with
:class:`matplotlib.figure.Figure` directly: no pyplot, no global state, nothing shown, so they
are safe in threads, worker processes and on headless machines. Pass ``ax=`` (or a tuple of
axes for the two-panel figures) to draw into axes of your own figure.

Conventions: litres are shown in million litres (ML); daily values are the state at the end of
each day and are drawn at midnight after that day (so a cumulative curve starts at 0 at the
scenario start); bands are P5-P95 (light) and P25-P75 (darker) across replications, the line
is the median. Colours follow :mod:`corridorsim.viz.style` (one fixed colour per corridor).

Run figures (here): :func:`fan_chart`, :func:`stock_chart`, :func:`deliveries_by_corridor`,
:func:`losses_by_week`, :func:`attack_timeline`, :func:`escort_use`, and
:func:`calibration_fit` for ``corridorsim calibrate``. Maps live in :mod:`corridorsim.viz.maps`
(:func:`corridor_map`) and sweep figures in :mod:`corridorsim.viz.sweep_figures`
(:func:`sweep_heatmap`, :func:`sweep_lines`, :func:`stockout_by_date`,
:func:`sensitivity_bars`); both are re-exported here. The standard set of a run or sweep
directory: :func:`standard_figures` (and :func:`captioned_figures`, with a one-line caption
each), saved with :func:`save_figures`. Shared figure mechanics: :mod:`corridorsim.viz.layout`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..atomic import atomic_write
from .layout import (
    _ATTACK_STYLE,
    _STOCK_EPS_L,
    ATTACK_KINDS,
    OBS,
    SIM,
    WARN,
    _bands,
    _bins,
    _daily_quantiles,
    _dates,
    _finish,
    _is_litres,
    _legend,
    _litres_axis,
    _metric_name,
    _n_reps,
    _new_figure,
    _outside_legend,
    _setup,
    _short_factor,
    _start_end,
    _titles,
)
from .maps import (
    MAP_METRICS,
    corridor_map,
    edge_metrics,
    load_borders,
)
from .style import (
    BAND_ALPHA,
    FIGSIZE,
    FIGSIZE_TALL,
    OKABE_ITO,
    _day_tick,
    corridor_color,
    corridor_order,
    date_axis,
    date_label,
    format_litres,
    format_number,
    plot_style,
)
from .sweep_figures import (
    sensitivity_bars,
    stockout_by_date,
    sweep_heatmap,
    sweep_lines,
)

__all__ = [
    "fan_chart",
    "stock_chart",
    "deliveries_by_corridor",
    "losses_by_week",
    "corridor_map",
    "edge_metrics",
    "attack_timeline",
    "escort_use",
    "sweep_heatmap",
    "sweep_lines",
    "stockout_by_date",
    "sensitivity_bars",
    "read_observed_deliveries",
    "read_observed_incidents",
    "load_borders",
    "CaptionedFigure",
    "captioned_figures",
    "standard_figures",
    "save_figures",
    "calibration_fit",
    "MAP_METRICS",
]


# --------------------------------------------------------------------------------------------
# Observations
# --------------------------------------------------------------------------------------------


def read_observed_deliveries(path: str | Path) -> pd.DataFrame:
    """Observed arrivals (``date, tankers, litres, ...``) with ``date`` as datetime and the
    numbers as floats (NaN where not reported)."""
    df = pd.read_csv(path)
    df["date"] = _dates(df["date"])
    for col in ("tankers", "litres"):
        df[col] = pd.to_numeric(df[col], errors="coerce") if col in df else np.nan
    return df.dropna(subset=["date"]).sort_values("date").reset_index(drop=True)


def read_observed_incidents(path: str | Path) -> pd.DataFrame:
    """Observed incidents in ACLED-like columns (``event_date``, ``event_type``, ``latitude``,
    ``longitude``, ...), dates parsed, rows without coordinates dropped."""
    df = pd.read_csv(path)
    df["event_date"] = _dates(df["event_date"])
    for col in ("latitude", "longitude", "tankers_destroyed"):
        if col in df:
            df[col] = pd.to_numeric(df[col], errors="coerce")
    return df.dropna(subset=["latitude", "longitude"]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Run figures
# --------------------------------------------------------------------------------------------


def fan_chart(daily: pd.DataFrame, observed_deliveries: pd.DataFrame | None = None, *,
              ax: Any = None, destination: str | None = None, payload_l: float = 45_000,
              title: str | None = None, footer: str | None = None) -> Any:
    """Cumulative litres delivered over calendar time.

    Median line with P25-P75 and P5-P95 bands across replications, the cumulative unrationed
    demand (dashed), and, when given, observed deliveries as a cumulative step line with points
    (``litres``, else ``tankers x payload_l``; arrivals without a reported quantity are drawn as
    hollow markers at the running total). Observed reports usually cover only some convoys:
    their total is a lower bound.

    Parameters
    ----------
    daily : DataFrame
        The run's daily table (``replication, date, cumulative_delivered_l, base_demand_l``).
    observed_deliveries : DataFrame, optional
        See :func:`read_observed_deliveries`.
    ax : Axes, optional
    destination : str, optional
        Name used in the title.
    payload_l : float
        Litres per tanker for observed rows that give tankers but no litres.
    title, footer : str, optional
        Title (default: a description) and footer text (sources, scenario, run date).
    """
    with plot_style():
        own = ax is None
        fig, (ax,) = _setup(ax, 1, FIGSIZE)
        start, end = _start_end(daily, None, None)
        q = _daily_quantiles(daily, "cumulative_delivered_l")
        q.loc[start] = 0.0
        q = q.sort_index()
        demand = daily.groupby("date")["base_demand_l"].median()
        demand.index = _dates(demand.index).to_numpy() + np.timedelta64(1, "D")
        demand = demand.sort_index().cumsum()
        demand.loc[start] = 0.0
        demand = demand.sort_index()
        _bands(ax, q.index, q, SIM, "delivered")
        ax.plot(demand.index, demand.to_numpy(), color=OBS, lw=1.6, ls=(0, (5, 3)),
                label="demand (unrationed)")
        if observed_deliveries is not None and len(observed_deliveries):
            obs = observed_deliveries.copy()
            obs["date"] = _dates(obs["date"])
            tankers = pd.to_numeric(obs.get("tankers"), errors="coerce")
            litres = pd.to_numeric(obs.get("litres"), errors="coerce")
            obs["l"] = litres.where(litres.notna(), tankers * payload_l)
            obs["at"] = obs["date"] + pd.Timedelta(days=1)  # end of the arrival day
            obs = obs.sort_values("at")
            obs["cum"] = obs["l"].fillna(0.0).cumsum()
            known = obs[obs["l"].notna()]
            xs = [start, *known["at"].tolist(), end]
            ys = [0.0, *known["cum"].tolist(), known["cum"].iloc[-1] if len(known) else 0.0]
            ax.step(xs, ys, where="post", color=OBS, lw=1.4, alpha=0.8)
            ax.plot(known["at"], known["cum"], ls="none", marker="o", ms=8, color=OBS,
                    label="observed arrivals (reported only)")
            unknown = obs[obs["l"].isna()]
            if len(unknown):
                ax.plot(unknown["at"], unknown["cum"], ls="none", marker="o", ms=8, mfc="white",
                        mec=OBS, mew=1.6, label="observed arrival, size not reported")
        _litres_axis(ax, "fuel delivered, cumulative (ML)")
        ax.set_xlabel(date_label(start, end - pd.Timedelta(days=1), "date, end of day"))
        date_axis(ax, start, end)
        ax.set_ylim(bottom=0)
        last = q.iloc[-1]
        ax.annotate(f"median {format_litres(last[0.5])}\n(P5–P95: {format_number(last[0.05] / 1e6, 2)}"
                    f"–{format_litres(last[0.95], 2)})",
                    (q.index[-1], last[0.5]), xytext=(-8, -34), textcoords="offset points",
                    ha="right", va="top", fontsize=11.5, color=SIM, fontweight="bold",
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8})
        n = int(daily["replication"].nunique())
        _titles(ax, title or f"Fuel delivered to {destination or 'the destination'}, cumulative",
                f"simulated: median and bands over {n} replications")
        _legend(ax, loc="upper left", fontsize=10.5)
        return _finish(fig, footer, own)


def _stockout_share(daily: pd.DataFrame) -> tuple[pd.Series, int]:
    """Share of replications whose stock has been at zero (with demand) on or before each day."""
    cols = ["replication", "date", "stock_l", "demand_l"]
    d = daily[cols + (["unmet_l"] if "unmet_l" in daily else [])].copy()
    d["zero"] = (d["stock_l"] <= _STOCK_EPS_L) & (d["demand_l"] > 0)
    if "unmet_l" in d:  # the stock runs as a fluid: dry at some moment of the day
        d["zero"] |= d["unmet_l"] > _STOCK_EPS_L
    d = d.sort_values(["replication", "date"])
    d["ever"] = d.groupby("replication")["zero"].cummax()
    share = d.groupby("date")["ever"].mean()
    share.index = _dates(share.index).to_numpy() + np.timedelta64(1, "D")
    return share.sort_index(), int(d["replication"].nunique())


def _initial(daily: pd.DataFrame, metric: str,
             qs: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95)) -> list[float]:
    """Quantiles of the stock (or cover) at the scenario start: the end of day 0 plus what day 0
    consumed and diverted, minus what it delivered (the engine's stock balance)."""
    first = daily[daily["day"] == daily["day"].min()]
    need = {"stock_l", "consumed_l", "delivered_l", "overflow_l"}
    if not need <= set(first.columns) or first.empty:
        return [float(np.nan)] * len(qs)
    stock0 = first["stock_l"] + first["consumed_l"] - first["delivered_l"] + first["overflow_l"]
    if metric == "cover_days":
        stock0 = stock0 / first["base_demand_l"].where(first["base_demand_l"] > 0)
    return [float(v) for v in np.nanquantile(stock0.to_numpy(dtype=float), list(qs))]


def _wilson(p: np.ndarray, n: int, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def _spans(mask: np.ndarray, x: np.ndarray) -> list[tuple[Any, Any]]:
    """(start, end) of runs of True in ``mask``; each sample covers the day that ends at x."""
    out = []
    i = 0
    n = len(mask)
    while i < n:
        if mask[i]:
            j = i
            while j + 1 < n and mask[j + 1]:
                j += 1
            out.append((x[i] - np.timedelta64(1, "D"), x[j]))
            i = j + 1
        else:
            i += 1
    return out


def stock_chart(daily: pd.DataFrame, *, metric: str = "stock_l", axes: Any = None,
                rationing_cover_days: Sequence[float] = (), destination: str | None = None,
                title: str | None = None, footer: str | None = None) -> Any:
    """Stock (or days of cover) at the destination, and the probability of a stock-out.

    Top panel: end-of-day stock (``metric="stock_l"``, in ML) or days of cover
    (``"cover_days"``), median with P25-P75 and P5-P95 bands; days on which the median stock is
    zero are shaded; rationing thresholds (``rationing_cover_days``, days of cover, drawn as
    stock levels at the unrationed demand) as dotted lines. Bottom panel: the share of
    replications whose stock has been at zero on or before each date, with a 95 % (Wilson)
    interval.

    Parameters
    ----------
    daily : DataFrame
        The run's daily table.
    metric : {"stock_l", "cover_days"}
    axes : (Axes, Axes), optional
    rationing_cover_days : sequence of float
        Cover thresholds of the rationing tiers (``destination.rationing[].below_cover_days``).
    """
    if metric not in ("stock_l", "cover_days"):
        raise ValueError(f"metric {metric!r}: expected 'stock_l' or 'cover_days'")
    with plot_style():
        fig, (ax, ax2) = _setup(axes, 2, FIGSIZE_TALL, height_ratios=(2.1, 1.0))
        own = axes is None
        start, end = _start_end(daily, None, None)
        q = _daily_quantiles(daily, metric)
        x = q.index.to_numpy()
        xs = np.concatenate([[x[0] - np.timedelta64(1, "D")], x])
        q0 = _initial(daily, metric)  # the stock at the scenario start, from day 0's balance
        qs = pd.concat([pd.DataFrame([q0], columns=q.columns), q])
        _bands(ax, xs, qs, SIM, "stock" if metric == "stock_l" else "cover", step=False)
        med_zero = q[0.5].to_numpy() <= (_STOCK_EPS_L if metric == "stock_l" else 1e-9)
        for i, (a, b) in enumerate(_spans(med_zero, x)):
            ax.axvspan(a, b, color=WARN, alpha=0.14, lw=0,
                       label="median stock at zero" if i == 0 else None)
            ax2.axvspan(a, b, color=WARN, alpha=0.14, lw=0)
        if rationing_cover_days:
            base = daily.groupby("date")["base_demand_l"].median()
            base.index = _dates(base.index).to_numpy() + np.timedelta64(1, "D")
            for j, c in enumerate(sorted(rationing_cover_days, reverse=True)):
                level = base.sort_index() * c if metric == "stock_l" else pd.Series(c, index=base.index)
                ax.plot(level.index, level.to_numpy(), color="#555555", lw=1.1, ls=":",
                        label="rationing thresholds" if j == 0 else None)
                ax.annotate(f"{format_number(c, 2)} days", (level.index[-1], level.iloc[-1]),
                            xytext=(3, 0), textcoords="offset points", va="center", fontsize=10,
                            color="#555555", annotation_clip=False)
        if metric == "stock_l":
            _litres_axis(ax, "stock at end of day (ML)")
        else:
            ax.set_ylabel("days of cover (days)")
        ax.set_ylim(bottom=0)
        _titles(ax, title or f"Fuel stock at {destination or 'the destination'}",
                f"end of each day; median and bands over {int(daily['replication'].nunique())} "
                "replications")
        _legend(ax, loc="upper right", ncol=2, fontsize=10.5)

        share, n = _stockout_share(daily)
        share.loc[start] = 0.0
        share = share.sort_index()
        lo, hi = _wilson(share.to_numpy(dtype=float), n)
        ax2.fill_between(share.index, lo, hi, step="post", color=WARN, alpha=0.2, lw=0,
                         label="95 % interval")
        ax2.step(share.index, share.to_numpy(), where="post", color=WARN, lw=2.4,
                 label=f"share of {n} replications")
        from matplotlib.ticker import PercentFormatter

        ax2.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax2.set_ylim(0, 1.02)
        ax2.set_yticks([0, 0.5, 1.0])
        ax2.set_ylabel("P(stock-out\nso far) (%)")
        ax2.set_title("Probability that the stock has run out on or before each date",
                      fontsize=12.5)
        _legend(ax2, loc="upper left", fontsize=10.5)
        ax2.set_xlabel(date_label(start, end - pd.Timedelta(days=1), "date, end of day"))
        date_axis(ax2, start, end)
        return _finish(fig, footer, own)


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
    import matplotlib.dates as mdates
    from matplotlib.ticker import FixedLocator, FuncFormatter

    if bins is None:
        date_axis(ax, s, e)
        return
    ax.set_xlim(mdates.date2num(s.to_pydatetime()), mdates.date2num(e.to_pydatetime()))
    ticks = mdates.date2num(list(bins[:-1].to_pydatetime()))
    width_in = ax.get_position().width * ax.get_figure(root=True).get_figwidth()
    step = max(1, math.ceil(len(ticks) / max(3, int(width_in / 0.95))))
    ax.xaxis.set_major_locator(FixedLocator(ticks[::step]))
    ax.xaxis.set_major_formatter(FuncFormatter(_day_tick))
    ax.xaxis.set_minor_locator(FixedLocator([]))
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


# --------------------------------------------------------------------------------------------
# Attacks and escorts
# --------------------------------------------------------------------------------------------


def attack_timeline(events: pd.DataFrame, *, replication: int | None = None, ax: Any = None,
                    start: Any = None, end: Any = None, title: str | None = None,
                    footer: str | None = None) -> Any:
    """Attacks by date and corridor: marker = type (triangle ambush, cross IED), colour and row
    = corridor, marker area = tankers destroyed. Pooled over replications (rows jittered), or
    one ``replication``."""
    from matplotlib.lines import Line2D

    with plot_style():
        own = ax is None
        fig, (ax,) = _setup(ax, 1, FIGSIZE)
        s, e = _start_end(None, start, end, events)
        ev = events if replication is None else events[events["replication"] == replication]
        n = _n_reps(ev) if replication is None else 1
        att = ev[ev["kind"].isin(ATTACK_KINDS)].copy()
        att["corridor"] = att["corridor"].fillna("").astype(str)
        att["t"] = _dates(att["datetime"])
        rows = corridor_order(att["corridor"].unique())
        ypos = {c: i for i, c in enumerate(rows)}
        rng = np.random.default_rng(0)
        pooled = replication is None and n > 1
        alpha = 0.85 if not pooled else float(np.clip(6.0 / math.sqrt(max(1, len(att))), 0.2, 0.75))

        def area(t: Any) -> Any:
            return 18.0 + 9.0 * np.asarray(t, dtype=float)

        for kind, (marker, _label) in _ATTACK_STYLE.items():
            sub = att[att["kind"] == kind]
            if not len(sub):
                continue
            y = sub["corridor"].map(ypos).to_numpy(dtype=float)
            if pooled:
                y = y + rng.uniform(-0.32, 0.32, len(y))
            ax.scatter(sub["t"], y, s=area(sub["tankers_destroyed"]), marker=marker,
                       c=[corridor_color(c, ypos[c]) for c in sub["corridor"]], alpha=alpha,
                       edgecolors="none" if marker == "X" else "white", linewidths=0.4, zorder=3)
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([r or "(none)" for r in rows])
        for tick, r in zip(ax.get_yticklabels(), rows):
            tick.set_color(corridor_color(r, ypos[r]))
            tick.set_fontweight("bold")
        ax.set_ylim(-0.6, len(rows) - 0.4)
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
        ax.set_ylabel("corridor")
        ax.set_xlabel(date_label(s, e - pd.Timedelta(days=1)))
        date_axis(ax, s, e)
        if not len(att):
            ax.text(0.5, 0.5, "no attacks in these results", transform=ax.transAxes, ha="center",
                    va="center", color="#555555")
        who = f"pooled over {n} replications (rows jittered)" if pooled else (
            f"replication {replication}" if replication is not None else "one replication")
        _titles(ax, title or "Attacks on convoys by date and corridor",
                f"{who}; marker area = tankers destroyed")
        grey = "#555555"
        h = [Line2D([], [], ls="none", marker=_ATTACK_STYLE[k][0], color=grey, ms=9,
                    label=_ATTACK_STYLE[k][1]) for k in ATTACK_KINDS]
        for t in (0, 10, 40):
            h.append(Line2D([], [], ls="none", marker="o", color=grey, alpha=0.6,
                            ms=math.sqrt(area(t)), label=f"{t} tankers"))
        leg = _outside_legend(fig, ax, own, where="below", handles=h, ncol=5, fontsize=11,
                              frameon=False, columnspacing=1.4)
        return _finish(fig, footer, own, bottom_legend=leg if own else None)


def escort_use(daily: pd.DataFrame, convoys: pd.DataFrame, *, units_total: float | None = None,
               axes: Any = None, title: str | None = None, footer: str | None = None) -> Any:
    """Escort use and waits for an escort.

    Top: escort units busy (the daily mean number of units out with convoys), median and bands
    across replications, against the units available (``units_total``). Bottom: how long
    escorted convoys waited for their escort, by the week they formed: median and P25-P75 /
    P5-P95 of all convoys formed that week, pooled over replications.
    """
    with plot_style():
        own = axes is None
        fig, (ax, ax2) = _setup(axes, 2, FIGSIZE_TALL, height_ratios=(1.2, 1.0))
        s, e = _start_end(daily, None, None)
        n = int(daily["replication"].nunique())
        q = _daily_quantiles(daily, "escort_units_busy")
        x = q.index - pd.Timedelta(hours=12)  # daily means at the middle of the day
        _bands(ax, x, q, SIM, "units busy")
        if units_total:
            ax.axhline(units_total, color=OBS, lw=1.8, ls=(0, (5, 3)),
                       label=f"units available ({format_number(units_total, 3)})")
            ax.set_ylim(0, units_total * 1.3)
        else:
            ax.set_ylim(bottom=0)
        ax.set_ylabel("escort units busy\n(daily mean, units)")
        _titles(ax, title or "Escort use and waits for an escort",
                f"median and bands over {n} replications")
        _legend(ax, loc="upper left", ncol=2, fontsize=10.5)

        cv = convoys[(convoys["kind"] != "batch") & (pd.to_numeric(convoys["escort_units"]) > 0)]
        cv = cv[np.isfinite(pd.to_numeric(cv["escort_wait_h"], errors="coerce"))].copy()
        cv["t"] = _dates(cv["formed_datetime"])
        cv = cv.dropna(subset=["t"])
        bins = _bins(s, e, 7)
        cv["bin"] = np.searchsorted(bins.to_numpy(), cv["t"].to_numpy(), side="right") - 1
        cv = cv[(cv["bin"] >= 0) & (cv["bin"] < len(bins) - 1)]
        if len(cv):
            wq = cv.groupby("bin")["escort_wait_h"].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
            wq = wq.reindex(range(len(bins) - 1))
            wq.columns = [float(c) for c in wq.columns]
            # one flat step per week: repeat the last value at the end of the last bin
            wx = bins
            wqs = pd.concat([wq, wq.iloc[-1:]]).set_axis(range(len(bins)))
            ax2.fill_between(wx, wqs[0.05], wqs[0.95], step="post", color=SIM,
                             alpha=BAND_ALPHA[0], lw=0, label="P5–P95 of convoys")
            ax2.fill_between(wx, wqs[0.25], wqs[0.75], step="post", color=SIM,
                             alpha=BAND_ALPHA[1], lw=0, label="P25–P75")
            ax2.step(wx, wqs[0.5], where="post", color=SIM, lw=2.4, label="median wait")
            top = float(np.nanmax(wq[0.95].to_numpy())) if wq[0.95].notna().any() else 1.0
            ax2.set_ylim(0, max(1.0, top) * 1.35)
        else:
            ax2.text(0.5, 0.5, "no escorted convoys", transform=ax2.transAxes, ha="center",
                     va="center", color="#555555")
        ax2.set_ylabel("wait for escort\n(hours)")
        ax2.set_title(f"Wait for an escort, by week the convoy formed ({len(cv):,} convoys)",
                      fontsize=12.5)
        _legend(ax2, loc="upper left", ncol=3, fontsize=10.5)
        ax2.set_xlabel(date_label(s, e - pd.Timedelta(days=1)))
        date_axis(ax2, s, e)
        return _finish(fig, footer, own)


# --------------------------------------------------------------------------------------------
# Standard sets and saving
# --------------------------------------------------------------------------------------------


@dataclass
class CaptionedFigure:
    """A figure of a standard set, with its file stem and one-line caption."""

    name: str
    figure: Any
    caption: str


def _run_date(manifest: Mapping[str, Any], manifest_path: Path) -> str:
    for key in ("created", "created_utc", "finished", "date"):
        if manifest.get(key):
            try:
                ts = pd.Timestamp(manifest[key])
                return f"{ts.day} {ts:%b %Y}"
            except (ValueError, TypeError):
                pass
    try:
        ts = dt.datetime.fromtimestamp(manifest_path.stat().st_mtime, tz=dt.UTC)
        return f"{ts.day} {ts:%b %Y}"
    except OSError:
        return "unknown date"


def _existing(path: Any, folders: Sequence[Path]) -> Path | None:
    if not path:
        return None
    p = Path(str(path))
    if p.is_file():
        return p
    for f in folders:  # the run was made elsewhere: try the file name next to known folders
        for cand in (f / p.name, f / "data" / p.name):
            if cand.is_file():
                return cand
    return None


def _run_context(root: Path) -> dict[str, Any]:
    from ..errors import CorridorSimError
    from ..experiments.rundir import read_run
    from ..scenario.documents import scenario_from_dict
    from ..scenario.network import build_network
    from ..version import __version__

    run = read_run(root)
    man = run["manifest"]
    sc = scenario_from_dict(man["scenario"])
    daily = run["daily"]
    if "destination" in daily:  # several destinations: the figures show the focus one
        run["daily"] = daily[daily["destination"] == sc.destination.label].reset_index(drop=True)
    try:
        graph = build_network(sc)
    except CorridorSimError:  # network files of another machine: no maps
        graph = None
    folders = [root]
    if man.get("scenario_file"):
        folders.insert(0, Path(str(man["scenario_file"])).parent)
    deliveries = _existing(sc.observations.deliveries_csv, folders)
    incidents = _existing(sc.observations.incidents_csv, folders)
    obs_d = read_observed_deliveries(deliveries) if deliveries else None
    obs_i = read_observed_incidents(incidents) if incidents else None
    when = _run_date(man, root / "manifest.json")
    text = (f"Simulation: corridorsim {man.get('versions', {}).get('corridorsim', __version__)}, "
            f"scenario '{sc.name}' ({man['replications']} replications, seed {man['seed']}, "
            f"scenario hash {str(man.get('scenario_hash', ''))[:12]}), run {when}.")
    if obs_d is not None or obs_i is not None:
        text += f" Observed: {sc.observations.source or 'observations of the scenario'}."
    text += " Parameter sources: see the scenario's sources_of_numbers."
    return {"run": run, "manifest": man, "scenario": sc, "graph": graph, "obs_d": obs_d,
            "obs_i": obs_i, "footer": text, "run_date": when}


def _run_figures(ctx: dict[str, Any]) -> list[CaptionedFigure]:
    run, sc, g = ctx["run"], ctx["scenario"], ctx["graph"]
    daily, events, convoys = run["daily"], run["events"], run["convoys"]
    n = int(ctx["manifest"]["replications"])
    dest = sc.destination.node
    foot = ctx["footer"]
    payloads = [s.payload_l for s in sc.sources] + [c.payload_l for c in sc.convoys]
    payload = float(np.median(payloads)) if payloads else 45_000.0
    start, end = pd.Timestamp(sc.start), pd.Timestamp(sc.end)
    units = sum(b.units for b in sc.escorts.bases)
    obs_d, obs_i = ctx["obs_d"], ctx["obs_i"]
    out = [
        CaptionedFigure("fan_chart", fan_chart(daily, obs_d, destination=dest, payload_l=payload,
                                               footer=foot),
                        f"Cumulative fuel delivered to {dest}: median and P25–P75 / P5–P95 bands "
                        f"over {n} replications, against the unrationed demand"
                        + ("; points are reported arrivals (incomplete)." if obs_d is not None
                           else ".")),
        CaptionedFigure("stock_chart", stock_chart(daily, destination=dest, footer=foot,
                                                   rationing_cover_days=[t.below_cover_days for t in
                                                                        sc.destination.rationing]),
                        f"Stock at {dest} at the end of each day (bands across replications, "
                        "shaded where the median is zero) and the probability that it has run "
                        "out by each date."),
        CaptionedFigure("deliveries_by_corridor",
                        deliveries_by_corridor(events, convoys, daily, replications=n, start=start,
                                               end=end, freq="W", destination=dest, footer=foot),
                        f"Mean fuel delivered to {dest} per day (weekly averages), by the corridor "
                        "of the arriving convoy, against the unrationed daily demand."),
        CaptionedFigure("losses_by_week",
                        losses_by_week(events, replications=n, start=start, end=end, footer=foot),
                        "Tankers and fuel destroyed in ambushes and IED strikes per week, by "
                        "corridor (mean per replication)."),
        CaptionedFigure("attack_timeline",
                        attack_timeline(events, start=start, end=end, footer=foot),
                        f"Every simulated attack by date and corridor, pooled over {n} "
                        "replications: marker type = ambush or IED, area = tankers destroyed."),
        CaptionedFigure("escort_use",
                        escort_use(daily, convoys, units_total=units or None, footer=foot),
                        "Escort units busy per day against the units available, and how long "
                        "escorted convoys waited for their escort."),
    ]
    if g is not None:
        places = {"destination": dest, "sources": [s.node for s in sc.sources],
                  "staging": [s.node for s in sc.staging], "replications": n, "footer": foot}
        out[4:4] = [
            CaptionedFigure(
                "corridor_map",
                corridor_map(g, events, convoys, metric="loss_rate", observed_incidents=obs_i,
                             **places),
                "Road segments coloured and sized by tankers lost per 1000 convoy-km, with "
                "simulated attack locations" + (" and observed incidents." if obs_i is not None
                                                else ".")),
            CaptionedFigure(
                "traffic_map",
                corridor_map(g, events, convoys, metric="traffic", show_attacks=False, **places),
                "Road segments coloured and sized by the number of movements (convoys and tanker "
                "batches) using them, per replication."),
        ]
    return out


def _sweep_context(root: Path) -> dict[str, Any]:
    from ..version import __version__

    man = json.loads((root / "sweep.json").read_text(encoding="utf-8"))
    tables: dict[str, pd.DataFrame] = {}
    names = ("points_summary", "paired_differences", "stockout_probability", "sensitivity")
    if all((root / f"{n}.csv").is_file() for n in names[:2]):
        for n in names:
            p = root / f"{n}.csv"
            if p.is_file() and p.stat().st_size > 1:
                try:
                    tables[n] = pd.read_csv(p)
                except pd.errors.EmptyDataError:
                    pass
    else:
        from ..experiments.summaries import summarize_sweep

        tables = summarize_sweep(root)
    design = pd.read_csv(root / "design.csv")
    when = _run_date(man, root / "sweep.json")
    base = man.get("base_scenario", {})
    text = (f"Simulation: corridorsim {man.get('versions', {}).get('corridorsim', __version__)}, "
            f"sweep '{man.get('name')}' on scenario '{base.get('name', '?')}' "
            f"({man.get('points')} points x {man.get('replications')} replications, common random "
            f"numbers, seed {man.get('seed')}, design hash {str(man.get('design_hash', ''))[:12]}), "
            f"run {when}.")
    return {"manifest": man, "tables": tables, "design": design, "footer": text, "run_date": when}


def _sweep_figures(ctx: dict[str, Any], metric: str = "delivered_l") -> list[CaptionedFigure]:
    man, tables, design = ctx["manifest"], ctx["tables"], ctx["design"]
    foot = ctx["footer"]
    factors = list(man["factors"])
    ps = tables.get("points_summary")
    out: list[CaptionedFigure] = []
    if ps is None or ps.empty:
        return out
    if metric not in set(ps["metric"]):
        metric = str(ps["metric"].iloc[0])
    ref = int(man.get("reference_point", 0))
    label = _metric_name(metric)
    grid = man.get("spec", {}).get("design", {}).get("kind") in ("grid", "points")
    if len(factors) >= 2 and grid:
        x, y = factors[0], factors[1]
        out.append(CaptionedFigure(
            "sweep_heatmap", sweep_heatmap(ps, x, y, metric, reference=ref, footer=foot),
            f"Mean {label} at each combination of {_short_factor(x)} and {_short_factor(y)}"
            + (" (other factors averaged)." if len(factors) > 2 else ".")))
        if "paired_differences" in tables:
            out.append(CaptionedFigure(
                "sweep_heatmap_paired",
                sweep_heatmap(ps, x, y, metric, paired=tables["paired_differences"], reference=ref,
                              footer=foot),
                f"Mean paired difference in {label} to the reference point (same random numbers "
                "in every point, so differences are much more precise than the levels)."))
    if grid:
        for i, f in enumerate(factors[:3]):
            group = factors[1] if i == 0 and len(factors) > 1 else (
                factors[0] if len(factors) > 1 else None)
            out.append(CaptionedFigure(
                f"sweep_lines_{i}", sweep_lines(ps, f, metric, group=group, footer=foot),
                f"Mean {label} against {_short_factor(f)}"
                + (f", one line per {_short_factor(group)}" if group else "")
                + ", with 95 % confidence bands of the mean."))
    if "stockout_probability" in tables and not tables["stockout_probability"].empty:
        out.append(CaptionedFigure(
            "stockout_by_date", stockout_by_date(tables["stockout_probability"], design=design,
                                                 footer=foot),
            "Probability that the destination's stock has run out by each date, per point, with "
            "95 % intervals."))
    if "sensitivity" in tables and not tables["sensitivity"].empty:
        sens = tables["sensitivity"]
        m = metric if metric in set(sens["metric"]) else str(sens["metric"].iloc[0])
        out.append(CaptionedFigure(
            "sensitivity", sensitivity_bars(sens, m, footer=foot),
            f"Sensitivity of {_metric_name(m)} to each factor, with confidence intervals."))
    return out


def _kind_of(path: Path) -> str:
    if (path / "manifest.json").is_file():
        return "run"
    if (path / "sweep.json").is_file():
        return "sweep"
    from ..errors import OutputError

    raise OutputError(f"{path}: not a corridorsim run or sweep directory (no manifest.json or "
                      "sweep.json)")


def captioned_figures(path: str | Path) -> list[CaptionedFigure]:
    """The standard figures of a run or sweep directory, each with a one-line caption.

    Run directory: fan chart, stock chart, deliveries by corridor, losses by week, loss map,
    traffic map, attack timeline, escort use. The network is built from the manifest's
    scenario; observed deliveries and incidents are drawn when the scenario's observation
    files exist. Sweep directory: heat maps of the mean and of the paired difference (first two
    factors of a grid), lines per factor, stock-out probability by date and sensitivity bars
    when the sweep has them. The summaries are read from the directory or computed.
    """
    root = Path(path)
    if _kind_of(root) == "run":
        return _run_figures(_run_context(root))
    return _sweep_figures(_sweep_context(root))


def standard_figures(path: str | Path) -> dict[str, Any]:
    """The standard figures of a run or sweep directory, by name (see
    :func:`captioned_figures`)."""
    return {c.name: c.figure for c in captioned_figures(path)}


def calibration_fit(samples: pd.DataFrame, observed: Mapping[str, float], *,
                    title: str | None = None, footer: str | None = None) -> Any:
    """Observed summaries against the simulated ones of an ABC calibration.

    One panel per statistic: the per-draw mean statistic of every prior draw (light dots, the
    prior predictive) and of the accepted draws (dark dots, the posterior predictive), with
    their P5-P95 ranges, and the observed value (black diamond).

    Parameters
    ----------
    samples : DataFrame
        ``samples.csv`` of ``corridorsim calibrate``: ``summary:<name>`` columns and
        ``accepted``.
    observed : mapping
        Observed value of each statistic (``calibration.json``'s ``observed``).
    """
    names = list(observed)
    with plot_style():
        fig = _new_figure((max(6.0, 2.2 * len(names)), 4.2))
        fig._corridorsim_own = True
        axes = np.atleast_1d(fig.subplots(1, len(names)))
        rng = np.random.default_rng(0)  # jitter only
        acc = samples["accepted"].astype(bool).to_numpy()
        for ax, name in zip(axes, names):
            x = samples[f"summary:{name}"].to_numpy(float)
            scale = 1e6 if _is_litres(name) or abs(observed[name]) >= 1e5 else 1.0
            for group, xpos, colour, label in ((~acc, -0.25, "#9ecae1", "rejected draws"),
                                               (acc, 0.25, OKABE_ITO["blue"], "accepted draws")):
                vals = x[group] / scale
                vals = vals[np.isfinite(vals)]
                ax.scatter(xpos + rng.uniform(-0.08, 0.08, len(vals)), vals, s=10, color=colour,
                           alpha=0.7, label=label, lw=0)
                if len(vals):
                    lo, hi = np.percentile(vals, [5, 95])
                    ax.vlines(xpos + 0.14, lo, hi, color=colour, lw=3)
            ax.plot([0], [observed[name] / scale], "D", color="black", ms=9, label="observed")
            ax.set_xlim(-0.6, 0.6)
            ax.set_xticks([-0.25, 0.25], ["rejected", "accepted"])
            ax.set_title(name, fontsize=10)
            ax.set_ylabel("million litres" if scale > 1 else "value (mean over replications)")
        axes[0].legend(loc="best", fontsize=8, frameon=True)
        fig.suptitle(title or "calibration: simulated summaries (per draw) against the record")
        return _finish(fig, footer, True)


def save_figures(figs: Mapping[str, Any], out_dir: str | Path, fmt: str = "png",
                 dpi: float = 150) -> list[Path]:
    """Write each figure to ``out_dir/<name>.<fmt>`` (png, svg or pdf), atomically (temporary
    file in the same directory, then rename). Returns the paths written."""
    fmt = fmt.lower().lstrip(".")
    if fmt not in ("png", "svg", "pdf"):
        raise ValueError(f"format {fmt!r}: expected png, svg or pdf")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, fig in figs.items():
        def write(tmp: Path, fig=fig) -> None:
            with plot_style():
                fig.savefig(tmp, format=fmt, dpi=dpi, facecolor="white", metadata=_metadata(fmt))

        paths.append(atomic_write(out / f"{name}.{fmt}", write))
    return paths


def _metadata(fmt: str) -> dict[str, Any]:
    """Reproducible files: no creation date in PDF/SVG/PNG metadata."""
    if fmt == "png":
        return {"Software": None}
    if fmt == "pdf":
        return {"CreationDate": None, "Creator": "corridorsim", "Producer": None}
    return {"Date": None, "Creator": "corridorsim"}

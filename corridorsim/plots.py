"""Figures of runs and sweeps: tables in, :class:`matplotlib.figure.Figure` out.

Every function takes result tables (pandas DataFrames as written by a run or a sweep, see
:mod:`corridorsim.records` and :mod:`corridorsim.summaries`) and returns a Figure built with
:class:`matplotlib.figure.Figure` directly: no pyplot, no global state, nothing shown, so they
are safe in threads, worker processes and on headless machines. Pass ``ax=`` (or a tuple of
axes for the two-panel figures) to draw into axes of your own figure.

Conventions: litres are shown in million litres (ML); daily values are the state at the end of
each day and are drawn at midnight after that day (so a cumulative curve starts at 0 at the
scenario start); bands are P5-P95 (light) and P25-P75 (darker) across replications, the line
is the median. Colours follow :mod:`corridorsim.style` (one fixed colour per corridor).

Run figures: :func:`fan_chart`, :func:`stock_chart`, :func:`deliveries_by_corridor`,
:func:`losses_by_week`, :func:`corridor_map`, :func:`attack_timeline`, :func:`escort_use`.
Sweep figures: :func:`sweep_heatmap`, :func:`sweep_lines`, :func:`stockout_by_date`,
:func:`sensitivity_bars`. The standard set of a run or sweep directory:
:func:`standard_figures` (and :func:`captioned_figures`, with a one-line caption each), saved
with :func:`save_figures`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .style import (
    BAND_ALPHA,
    CYCLE,
    FIGSIZE,
    FIGSIZE_TALL,
    OKABE_ITO,
    RC,
    _day_tick,
    corridor_color,
    corridor_order,
    date_axis,
    date_label,
    footer,
    format_litres,
    format_number,
    litres_formatter,
    plot_style,
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
    "MAP_METRICS",
]

#: Colour of simulated quantities, of warnings (stock-outs, losses) and of observations.
SIM = OKABE_ITO["blue"]
WARN = OKABE_ITO["vermillion"]
OBS = OKABE_ITO["black"]

#: Attack kinds in the events table and how they are drawn.
ATTACK_KINDS = ("ambush", "ied")
_ATTACK_STYLE = {"ambush": ("^", "ambush"), "ied": ("X", "IED")}

#: Metrics of :func:`corridor_map`: (column of :func:`edge_metrics`, colour bar label).
MAP_METRICS = {
    "loss_rate": ("loss_rate", "tankers lost per 1000 convoy-km"),
    "traffic": ("traffic", "movements per replication"),
    "loss_share": ("loss_share", "share of all tankers lost (%)"),
    "corridor": ("corridor", "corridor"),
}

_SUMMARY_STATS = ("point", "metric", "n", "mean", "sd", "p5", "p50", "p95", "ci95_halfwidth")
_STOCK_EPS_L = 1e-6  # same threshold as the engine's first_stockout_day


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _new_figure(figsize: tuple[float, float]):
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def _setup(ax: Any, n: int, figsize: tuple[float, float], height_ratios: Sequence[float] | None = None,
           sharex: bool = True):
    """(figure, axes tuple): the given axes, or a new constrained-layout figure with ``n``
    stacked panels."""
    if ax is not None:
        axes = tuple(np.ravel(ax)) if isinstance(ax, (tuple, list, np.ndarray)) else (ax,)
        if len(axes) != n:
            raise ValueError(f"expected {n} axes, got {len(axes)}")
        return axes[0].get_figure(root=True), axes
    fig = _new_figure(figsize)
    fig._corridorsim_own = True  # titles align with the figure's left edge
    if n == 1:
        return fig, (fig.add_subplot(),)
    axs = fig.subplots(n, 1, sharex=sharex, gridspec_kw={"height_ratios": list(height_ratios or [1] * n)})
    return fig, tuple(np.ravel(axs))


def _finish(fig: Any, footer_text: str | None, own: bool, bottom_legend: Any = None) -> Any:
    """Fix tick styling (ticks are created lazily, maybe outside the style context), add the
    footer and a figure legend above it at the bottom, and run the layout once inside the
    style context."""
    for a in fig.axes:
        a.tick_params(axis="both", which="major", labelsize=RC["xtick.labelsize"], colors="#333333",
                      grid_color=RC["grid.color"], grid_linewidth=RC["grid.linewidth"])
        a.tick_params(axis="both", which="minor", grid_color=RC["grid.color"])
    base = 0.0
    if footer_text:
        footer(fig, footer_text)
        base = _layout_rect(fig)[1]
    if bottom_legend is not None:
        height = bottom_legend.get_window_extent().height / (fig.get_figheight() * fig.dpi)
        bottom_legend.set_bbox_to_anchor((0.5, base + 0.004), transform=fig.transFigure)
        engine = fig.get_layout_engine()
        if engine is not None and hasattr(engine, "set"):
            top = base + height + 0.012
            engine.set(rect=(0.0, top, 1.0, 1.0 - top))
    if own:
        fig.draw_without_rendering()
    return fig


def _layout_rect(fig: Any) -> tuple[float, float, float, float]:
    engine = fig.get_layout_engine()
    try:
        return tuple(engine.get()["rect"])  # type: ignore[union-attr]
    except (AttributeError, KeyError, TypeError):
        return (0.0, 0.0, 1.0, 1.0)


def _bottom_legend(fig: Any, handles: list, **kw: Any) -> Any:
    """A figure legend for the bottom of the figure, outside the layout (placed by
    :func:`_finish` above the footer)."""
    leg = fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.0), **kw)
    leg.set_in_layout(False)
    return leg


def _dates(values: Any) -> pd.Series:
    return pd.to_datetime(pd.Series(values), errors="coerce")


def _n_reps(*tables: pd.DataFrame | None, given: int | None = None) -> int:
    if given is not None:
        return int(given)
    reps: set = set()
    for t in tables:
        if t is not None and len(t) and "replication" in t.columns:
            reps.update(t["replication"].unique().tolist())
    return max(1, len(reps))


def _daily_quantiles(daily: pd.DataFrame, column: str,
                     qs: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95)) -> pd.DataFrame:
    """Quantiles of a daily column across replications, indexed by the end of each day."""
    d = daily[["replication", "date", column]].copy()
    d["at"] = _dates(d["date"]).to_numpy() + np.timedelta64(1, "D")
    q = d.groupby("at")[column].quantile(list(qs)).unstack()
    q.columns = [float(c) for c in q.columns]
    return q.sort_index()


def _bands(ax: Any, x: Any, q: pd.DataFrame, color: str, what: str, step: bool = False) -> None:
    """P5-P95 and P25-P75 bands and the median line."""
    kw = {"step": "post"} if step else {}
    ax.fill_between(x, q[0.05], q[0.95], color=color, alpha=BAND_ALPHA[0], lw=0,
                    label="P5–P95 of replications", **kw)
    ax.fill_between(x, q[0.25], q[0.75], color=color, alpha=BAND_ALPHA[1], lw=0,
                    label="P25–P75", **kw)
    if step:
        ax.step(x, q[0.5], where="post", color=color, lw=2.4, label=f"median {what}")
    else:
        ax.plot(x, q[0.5], color=color, lw=2.4, label=f"median {what}")


def _litres_axis(ax: Any, label: str, axis: str = "y") -> None:
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(litres_formatter())
    (ax.set_ylabel if axis == "y" else ax.set_xlabel)(label)


def _start_end(daily: pd.DataFrame | None, start: Any, end: Any,
               events: pd.DataFrame | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Scenario start and end (exclusive), from the arguments or the tables."""
    s = pd.Timestamp(start) if start is not None else None
    e = pd.Timestamp(end) if end is not None else None
    if (s is None or e is None) and daily is not None and len(daily):
        dates = _dates(daily["date"])
        s = s if s is not None else dates.min().normalize()
        e = e if e is not None else dates.max().normalize() + pd.Timedelta(days=1)
    if (s is None or e is None) and events is not None and len(events):
        times = _dates(events["datetime"])
        s = s if s is not None else times.min().normalize()
        e = e if e is not None else times.max().normalize() + pd.Timedelta(days=1)
    if s is None or e is None:
        raise ValueError("no dates in the tables: give start and end")
    return s, e


def _legend(ax: Any, **kw: Any) -> Any:
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    return ax.legend(**kw)


def _titles(ax: Any, title: str, subtitle: str | None = None) -> None:
    """Bold title with an optional plain subtitle under it, left-aligned: with the figure's
    left edge on figures made here, with the axes otherwise. Lines are wrapped to the
    figure width."""
    import textwrap

    from matplotlib.transforms import blended_transform_factory

    fig = ax.get_figure(root=True)
    flush = getattr(fig, "_corridorsim_own", False)
    title_size, sub_size = RC["axes.titlesize"], 11.5
    width_pt = fig.get_figwidth() * 72 * (0.97 if flush else ax.get_position().width)

    def wrap(text: str, size: float, bold: bool) -> str:
        chars = max(20, int(width_pt / (size * (0.62 if bold else 0.54))))
        return "\n".join(textwrap.fill(line, chars) for line in text.split("\n"))

    title = wrap(title, title_size, True)
    x = (blended_transform_factory(fig.transFigure, ax.transAxes), 0.012) if flush else (
        "axes fraction", 0.0)
    offset = 6.0
    texts = []
    if subtitle:
        subtitle = wrap(subtitle, sub_size, False)
        texts.append(ax.annotate(subtitle, xy=(x[1], 1), xycoords=x[0], xytext=(0, offset),
                                 textcoords="offset points", ha="left", va="bottom",
                                 fontsize=sub_size, color="#444444", annotation_clip=False))
        offset += 1.3 * sub_size * (subtitle.count("\n") + 1) + 2
    texts.append(ax.annotate(title, xy=(x[1], 1), xycoords=x[0], xytext=(0, offset),
                             textcoords="offset points", ha="left", va="bottom",
                             fontsize=title_size, fontweight="bold", annotation_clip=False))
    # The texts may be wider than the axes (they start at the figure's edge): kept out of the
    # layout, which would shrink the axes for them; an invisible axes title of the same height
    # reserves the room above the axes instead.
    for t in texts:
        t.set_in_layout(False)
    height = offset + 1.25 * title_size * (title.count("\n") + 1)
    ax.set_title("\n".join([" "] * max(1, math.ceil(height / (10 * 1.2)))), loc="left",
                 fontsize=10, pad=0)


def _outside_legend(fig: Any, ax: Any, own: bool, where: str = "right", **kw: Any) -> Any:
    """Legend outside the axes (right of them, or under them) on a figure we made; inside the
    given axes otherwise."""
    handles = kw.pop("handles", None)
    if handles is None:
        handles, _ = ax.get_legend_handles_labels()
    if not handles:
        return None
    if own and where == "right":
        return fig.legend(handles=handles, loc="outside right center", **kw)
    if own:
        return _bottom_legend(fig, handles, **kw)
    kw.pop("ncol", None)
    return ax.legend(handles=handles, loc="best", **kw)


def _bins(start: pd.Timestamp, end: pd.Timestamp, days: int) -> pd.DatetimeIndex:
    """Bin edges every ``days`` days from ``start``; the last bin ends at ``end``."""
    edges = list(pd.date_range(start, end, freq=f"{days}D"))
    if edges[-1] < end:
        edges.append(end)
    return pd.DatetimeIndex(edges)


def _is_litres(metric: str) -> bool:
    return metric.endswith("_l") or "_l_" in metric


def _metric_label(metric: str) -> str:
    labels = {
        "delivered_l": "fuel delivered (ML)",
        "litres_destroyed": "fuel destroyed (ML)",
        "tankers_destroyed": "tankers destroyed",
        "tankers_delivered": "tankers delivered",
        "unmet_l": "unmet demand (ML)",
        "rationed_l": "demand cut by rationing (ML)",
        "days_at_zero": "days at zero stock",
        "first_stockout_day": "first day at zero stock (day of scenario)",
        "final_stock_l": "stock at the end (ML)",
        "escort_utilisation": "escort utilisation (share of unit-hours)",
        "mean_escort_wait_h": "mean wait for escort (hours)",
        "ambushes": "ambushes",
        "ieds": "IED strikes",
        "min_cover_days": "lowest days of cover (days)",
    }
    if metric in labels:
        return labels[metric]
    if metric.startswith("delivered_l_by_day_"):
        return f"fuel delivered by day {metric.rsplit('_', 1)[1]} (ML)"
    return metric + (" (ML)" if _is_litres(metric) else "")


def _metric_name(metric: str) -> str:
    """The metric's label without its unit, for titles."""
    import re

    return re.sub(r" \([^)]*\)$", "", _metric_label(metric))


def _n_text(points_summary: pd.DataFrame, metric: str) -> str:
    n = points_summary.loc[points_summary["metric"] == metric, "n"]
    if n.empty:
        return ""
    lo, hi = int(n.min()), int(n.max())
    return f"{lo} replications per point" if lo == hi else f"{lo}-{hi} replications per point"


def _short_factor(name: str) -> str:
    """Short label of a factor path: the named selectors and the field, numeric selectors in
    brackets: ``escorts.bases[sikasso].units`` -> ``sikasso units``,
    ``sources[dakar].schedule[0].tankers_per_day`` -> ``dakar tankers per day (schedule[0])``,
    ``threats.ambush_multiplier`` -> ``ambush multiplier``."""
    import re

    segments = re.findall(r"([^.\[\]]+)(?:\[([^\]]*)\])?", str(name))
    if not segments:
        return str(name)
    field = segments[-1][0].replace("_", " ")
    named = [sel for _, sel in segments if sel and not sel.lstrip("-").isdigit()]
    numbered = [f"{seg}[{sel}]" for seg, sel in segments if sel and sel.lstrip("-").isdigit()]
    label = " ".join([*named, field])
    return label + (f" ({', '.join(numbered)})" if numbered else "")


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
    d = daily[["replication", "date", "stock_l", "demand_l"]].copy()
    d["zero"] = (d["stock_l"] <= _STOCK_EPS_L) & (d["demand_l"] > 0)
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
# Map
# --------------------------------------------------------------------------------------------


def load_borders(source: Any = None) -> dict:
    """Country outlines as GeoJSON: the shipped Natural Earth file (default), a path, or a
    GeoJSON mapping."""
    if isinstance(source, Mapping):
        return dict(source)
    if source is None or source is True:
        path = resources.files("corridorsim") / "data" / "mali" / "borders_west_africa.geojson"
        return json.loads(path.read_text(encoding="utf-8"))
    return json.loads(Path(source).read_text(encoding="utf-8"))


def _polygons(geom: Mapping) -> list[list]:
    kind = geom.get("type")
    if kind == "Polygon":
        return [geom["coordinates"]]
    if kind == "MultiPolygon":
        return list(geom["coordinates"])
    return []


def _edge_key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def edge_metrics(graph: Any, events: pd.DataFrame | None = None,
                 convoys: pd.DataFrame | None = None, replications: int | None = None) -> pd.DataFrame:
    """Per-edge traffic and losses of a run.

    Returns
    -------
    DataFrame
        One row per edge (``a, b`` sorted, ``corridor, length_km``) with ``passages`` (movements
        whose route uses the edge, all replications; routes as planned, so a convoy destroyed or
        turned back on the way counts for its whole route), ``traffic`` (passages per
        replication), ``convoy_km``, ``tankers_lost`` (all replications), ``loss_rate`` (tankers
        lost per 1000 convoy-km; NaN without traffic) and ``loss_share`` (share of all tankers
        lost, %).
    """
    rows = {}
    for a, b, d in graph.edges(data=True):
        rows[_edge_key(a, b)] = {"a": min(a, b), "b": max(a, b), "corridor": d.get("corridor", ""),
                                 "length_km": float(d.get("length_km", np.nan)),
                                 "passages": 0.0, "tankers_lost": 0.0}
    n = _n_reps(events, convoys, given=replications)
    if convoys is not None and len(convoys):
        moved = convoys[np.isfinite(pd.to_numeric(convoys["depart_h"], errors="coerce"))]
        for route, count in moved["route"].dropna().astype(str).value_counts().items():
            nodes = route.split(">")
            for u, v in zip(nodes, nodes[1:]):
                k = _edge_key(u, v)
                if k in rows:
                    rows[k]["passages"] += count
    if events is not None and len(events):
        att = events[events["kind"].isin(ATTACK_KINDS)]
        grp = att.groupby([att["edge_from"].astype(str), att["edge_to"].astype(str)])["tankers_destroyed"].sum()
        for (u, v), lost in grp.items():
            k = _edge_key(u, v)
            if k in rows:
                rows[k]["tankers_lost"] += float(lost)
    df = pd.DataFrame(list(rows.values()))
    df["traffic"] = df["passages"] / n
    df["convoy_km"] = df["passages"] * df["length_km"]
    with np.errstate(divide="ignore", invalid="ignore"):
        df["loss_rate"] = np.where(df["convoy_km"] > 0, df["tankers_lost"] / (df["convoy_km"] / 1000.0),
                                   np.nan)
    total = df["tankers_lost"].sum()
    df["loss_share"] = 100.0 * df["tankers_lost"] / total if total > 0 else 0.0
    return df


def _truncated_cmap(name: str, lo: float, hi: float):
    import matplotlib
    from matplotlib.colors import LinearSegmentedColormap

    base = matplotlib.colormaps[name]
    return LinearSegmentedColormap.from_list(f"{name}_{lo}_{hi}", base(np.linspace(lo, hi, 256)))


def _place_labels(ax: Any, items: list[tuple[float, float, str, dict]], avoid: list) -> None:
    """Greedy label placement: for each (x, y, text, style) try offsets around the point and
    keep the first whose box is inside the axes and overlaps no placed box."""
    offsets = [(7, 5, "left", "bottom"), (7, -5, "left", "top"), (-7, 5, "right", "bottom"),
               (-7, -5, "right", "top"), (0, 9, "center", "bottom"), (0, -9, "center", "top"),
               (16, 0, "left", "center"), (-16, 0, "right", "center"), (14, 14, "left", "bottom"),
               (-14, -14, "right", "top"), (14, -14, "left", "top"), (-14, 14, "right", "bottom")]
    axbox = ax.get_window_extent()
    placed = list(avoid)
    import matplotlib.patheffects as pe

    for x, y, text, style in items:
        best = None
        for dx, dy, ha, va in offsets:
            t = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha,
                            va=va, zorder=8, annotation_clip=False, **style)
            t.set_path_effects([pe.withStroke(linewidth=3.2, foreground="white")])
            t.set_in_layout(False)
            bb = t.get_window_extent().expanded(1.04, 1.08)
            inside = (bb.x0 >= axbox.x0 and bb.x1 <= axbox.x1 and bb.y0 >= axbox.y0
                      and bb.y1 <= axbox.y1)
            if inside and not any(bb.overlaps(o) for o in placed):
                best = (t, bb)
                break
            t.remove()
        if best is None:  # no free spot: first position, drawn anyway
            dx, dy, ha, va = offsets[0]
            t = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha,
                            va=va, zorder=8, annotation_clip=False, **style)
            t.set_path_effects([pe.withStroke(linewidth=3.2, foreground="white")])
            t.set_in_layout(False)
            best = (t, t.get_window_extent())
        placed.append(best[1])


def corridor_map(graph: Any, events: pd.DataFrame | None = None, convoys: pd.DataFrame | None = None,
                 *, metric: str = "loss_rate", borders: Any = True,
                 observed_incidents: pd.DataFrame | None = None, destination: str | None = None,
                 sources: Iterable[str] = (), staging: Iterable[str] = (),
                 labels: Iterable[str] | None = None, replications: int | None = None,
                 show_attacks: bool = True, ax: Any = None, title: str | None = None,
                 footer: str | None = None) -> Any:
    """The network on longitude/latitude with a run's traffic or losses.

    Edges are coloured and sized by ``metric`` (see :func:`edge_metrics`):
    ``"loss_rate"`` (tankers lost per 1000 convoy-km), ``"traffic"`` (movements per
    replication), ``"loss_share"`` (share of all tankers lost) or ``"corridor"`` (the corridor
    colours; the default when no convoys are given). Simulated attack locations (pooled over
    replications) and observed incidents are drawn when given. Country borders: the shipped
    Natural Earth outlines (``borders=True``), a GeoJSON path or mapping, or ``False``.

    Parameters
    ----------
    graph : networkx.Graph
        From :func:`corridorsim.network.build_network` (nodes with ``lat``/``lon``, edges with
        ``corridor``/``length_km``).
    events, convoys : DataFrame, optional
        The run's tables.
    destination, sources, staging : optional
        Nodes marked (star, squares, circles) and labelled; default: the nodes whose ``role``
        mentions "destination" or "origin".
    labels : iterable of str, optional
        More nodes to label.
    """
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D
    from matplotlib.transforms import Bbox

    if metric not in MAP_METRICS:
        raise ValueError(f"metric {metric!r}: expected one of {', '.join(MAP_METRICS)}")
    if metric != "corridor" and convoys is None and metric != "loss_share":
        metric = "corridor"
    if metric == "loss_share" and events is None:
        metric = "corridor"
    nodes = {n: (float(d["lon"]), float(d["lat"])) for n, d in graph.nodes(data=True)}
    lons = np.array([p[0] for p in nodes.values()])
    lats = np.array([p[1] for p in nodes.values()])
    pad = 0.7
    xlim = (lons.min() - pad, lons.max() + pad)
    ylim = (lats.min() - pad, lats.max() + pad)
    aspect = 1.0 / math.cos(math.radians(0.5 * (ylim[0] + ylim[1])))
    ratio = (ylim[1] - ylim[0]) * aspect / (xlim[1] - xlim[0])
    if destination is None:
        destination = next((n for n, d in graph.nodes(data=True)
                            if "destination" in str(d.get("role", ""))), None)
    sources = list(sources) or [n for n, d in graph.nodes(data=True)
                                if "origin" in str(d.get("role", ""))]
    staging = [s for s in staging if s in nodes]
    with plot_style():
        own = ax is None
        fig, (ax,) = _setup(ax, 1, (8.0, min(10.0, max(5.0, 6.4 * ratio + 2.8))))
        ax.set_facecolor("#EAF2F8")  # sea / outside the outlines
        ax.grid(False)
        country_labels = []
        if borders is not False:
            gj = load_borders(None if borders is True else borders)
            for feat in gj.get("features", []):
                polys = _polygons(feat.get("geometry") or {})
                for poly in polys:
                    ring = np.asarray(poly[0], dtype=float)
                    ax.fill(ring[:, 0], ring[:, 1], facecolor="#F6F3EC", edgecolor="#A39E93",
                            lw=0.8, zorder=0)
                name = (feat.get("properties") or {}).get("name", "")
                spot = _label_spot(polys, xlim, ylim)
                if spot is not None and name:
                    country_labels.append((*spot, name.upper()))
            for cx, cy, name in country_labels:
                ax.text(cx, cy, name, ha="center", va="center", fontsize=10, color="#8C877D",
                        zorder=1, style="italic")
            ax.text(0.995, 0.005, "Borders: Natural Earth (public domain)", transform=ax.transAxes,
                    ha="right", va="bottom", fontsize=9, color="#555555", zorder=9,
                    bbox={"fc": "white", "ec": "none", "alpha": 0.8, "pad": 1.5})
        em = edge_metrics(graph, events, convoys, replications)
        segs = [[nodes[a], nodes[b]] for a, b in zip(em["a"], em["b"])]
        ax.add_collection(LineCollection(segs, colors="#B0B0B0", linewidths=1.3, zorder=2,
                                         capstyle="round"))
        handles: list = []
        if metric == "corridor":
            cols = corridor_order(em["corridor"].unique())
            for i, c in enumerate(cols):
                sel = em["corridor"] == c
                lc = LineCollection([s for s, k in zip(segs, sel) if k], colors=corridor_color(c, i),
                                    linewidths=3.0, zorder=3, capstyle="round")
                ax.add_collection(lc)
                handles.append(Line2D([], [], color=corridor_color(c, i), lw=3, label=c or "(none)"))
        else:
            col, cbar_label = MAP_METRICS[metric]
            vals = em[col].to_numpy(dtype=float)
            ok = np.isfinite(vals) & (vals > 0)
            if ok.any():
                vmax = float(np.nanmax(vals[ok]))
                norm = Normalize(vmin=0.0, vmax=vmax)
                cmap = (_truncated_cmap("Blues", 0.35, 1.0) if metric == "traffic"
                        else _truncated_cmap("YlOrRd", 0.3, 1.0))
                order = np.argsort(vals[ok])
                sel_segs = [segs[i] for i in np.flatnonzero(ok)[order]]
                v = vals[ok][order]
                lc = LineCollection(sel_segs, cmap=cmap, norm=norm, linewidths=1.8 + 5.0 * v / vmax,
                                    zorder=3, capstyle="round")
                lc.set_array(v)
                ax.add_collection(lc)
                cb = fig.colorbar(lc, ax=ax, shrink=0.7, pad=0.01, aspect=28)
                cb.set_label(cbar_label)
                if metric == "loss_rate":
                    traffic_only = np.isfinite(em["loss_rate"]) & (em["loss_rate"] == 0)
                    if traffic_only.any():
                        zsegs = [s for s, k in zip(segs, traffic_only) if k]
                        ax.add_collection(LineCollection(zsegs, colors="#6E6E6E", linewidths=2.0,
                                                         zorder=2.5, capstyle="round"))
                        handles.append(Line2D([], [], color="#6E6E6E", lw=2.0,
                                              label="used, no tankers lost"))
            handles.append(Line2D([], [], color="#B0B0B0", lw=1.3, label="road, no traffic"
                                  if metric != "loss_share" else "road"))
        ax.scatter(lons, lats, s=10, color="#444444", zorder=4, lw=0)
        if show_attacks and events is not None and len(events):
            att = events[events["kind"].isin(ATTACK_KINDS)]
            for kind, (marker, label) in _ATTACK_STYLE.items():
                sub = att[att["kind"] == kind]
                if len(sub):
                    alpha = 0.6 if len(sub) < 60 else max(0.15, 0.6 * (60 / len(sub)) ** 0.5)
                    ax.scatter(sub["lon"], sub["lat"], marker=marker, s=9, color="#1A1A1A",
                               alpha=alpha, lw=0, zorder=5)
                    handles.append(Line2D([], [], ls="none", marker=marker, color="#1A1A1A", ms=6,
                                          label=f"simulated {label} ({len(sub)})"))
        if observed_incidents is not None and len(observed_incidents):
            oi = observed_incidents
            ax.scatter(oi["longitude"], oi["latitude"], marker="D", s=52,
                       facecolor=OKABE_ITO["yellow"], edgecolor="black", lw=1.3, zorder=7)
            handles.append(Line2D([], [], ls="none", marker="D", mfc=OKABE_ITO["yellow"], mec="black",
                                  mew=1.3, ms=8, label=f"observed incident ({len(oi)})"))
        if destination in nodes:
            x, y = nodes[destination]
            ax.scatter([x], [y], marker="*", s=420, color=WARN, edgecolor="black", lw=1.0, zorder=9)
            handles.append(Line2D([], [], ls="none", marker="*", color=WARN, mec="black", ms=16,
                                  label="destination"))
        src = [s for s in dict.fromkeys(sources) if s in nodes]
        if src:
            ax.scatter([nodes[s][0] for s in src], [nodes[s][1] for s in src], marker="s", s=90,
                       color="black", edgecolor="white", lw=1.0, zorder=9)
            handles.append(Line2D([], [], ls="none", marker="s", color="black", mec="white", ms=9,
                                  label="source (loading)"))
        if staging:
            ax.scatter([nodes[s][0] for s in staging], [nodes[s][1] for s in staging], marker="o",
                       s=70, facecolor="white", edgecolor="black", lw=1.6, zorder=9)
            handles.append(Line2D([], [], ls="none", marker="o", mfc="white", mec="black", mew=1.6,
                                  ms=8, label="staging point"))
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_aspect(aspect, adjustable="box")
        ax.xaxis.set_major_formatter(_degree_formatter("E", "W"))
        ax.yaxis.set_major_formatter(_degree_formatter("N", "S"))
        ax.set_xlabel("longitude (degrees)")
        ax.set_ylabel("latitude (degrees)")
        default_title = {
            "corridor": "Corridors of the network",
            "traffic": "Traffic by road segment",
            "loss_rate": "Tankers lost per 1000 convoy-km, by road segment",
            "loss_share": "Share of tankers lost, by road segment",
        }[metric]
        n_map = _n_reps(events, convoys, given=replications) if (events is not None or
                                                                 convoys is not None) else 0
        sub = {
            "corridor": "edge colour = corridor label",
            "traffic": f"edge colour and width = movements per replication (mean of {n_map})",
            "loss_rate": f"edge colour and width; {n_map} replications pooled",
            "loss_share": f"edge colour and width; {n_map} replications pooled",
        }[metric]
        if show_attacks and events is not None and metric != "corridor":
            sub += "; dots = simulated attacks"
        _titles(ax, title or default_title, sub)
        if own:
            leg = _bottom_legend(fig, handles, fontsize=10.5, frameon=False, columnspacing=1.2,
                                 ncol=3 if metric != "corridor" else 6,
                                 title="corridor" if metric == "corridor" else None)
        else:
            leg = ax.legend(handles=handles, loc="lower left", fontsize=9,
                            title="corridor" if metric == "corridor" else None)
        leg.set_zorder(10)
        _finish(fig, footer, own, bottom_legend=leg if own else None)
        # labels last, placed around the legend, the marked places, each other and the
        # country names
        fig.draw_without_rendering()
        avoid = [leg.get_window_extent()] + [t.get_window_extent() for t in ax.texts]
        marked = [destination] if destination in nodes else []
        marked += src + staging
        for m in marked:
            px, py = ax.transData.transform(nodes[m])
            r = 9.0 * fig.dpi / 72.0
            avoid.append(Bbox([[px - r, py - r], [px + r, py + r]]))
        items = []
        bold = {"fontsize": 11, "fontweight": "bold", "color": "#111111"}
        plain = {"fontsize": 10, "color": "#222222"}
        if destination in nodes:
            items.append((*nodes[destination], destination.replace("_", " "), bold))
        for s in src:
            items.append((*nodes[s], s.replace("_", " "), bold))
        for s in staging:
            items.append((*nodes[s], s.replace("_", " "), plain))
        for s in labels or ():
            if s in nodes and s not in (destination, *src, *staging):
                items.append((*nodes[s], s.replace("_", " "), plain))
        _place_labels(ax, items, avoid)
        return fig


def _label_spot(polys: list, xlim: tuple[float, float], ylim: tuple[float, float],
                min_area: float = 4.0) -> tuple[float, float] | None:
    """Where to write a country's name: the area centroid of its largest polygon, moved inside
    the view; None for small countries (area in square degrees) or ones mostly out of view."""
    best, area = None, 0.0
    for poly in polys:
        ring = np.asarray(poly[0], dtype=float)
        x, y = ring[:, 0], ring[:, 1]
        cross = x * np.roll(y, -1) - np.roll(x, -1) * y
        a = 0.5 * cross.sum()
        if abs(a) > abs(area):
            cx = ((x + np.roll(x, -1)) * cross).sum() / (6 * a)
            cy = ((y + np.roll(y, -1)) * cross).sum() / (6 * a)
            best, area = (cx, cy, ring), a
    if best is None or abs(area) < min_area:
        return None
    cx, cy, ring = best
    inside = ((ring[:, 0] > xlim[0]) & (ring[:, 0] < xlim[1]) & (ring[:, 1] > ylim[0])
              & (ring[:, 1] < ylim[1]))
    if inside.mean() < 0.25:
        return None
    mx, my = 1.2, 0.5
    cx = float(np.clip(cx, xlim[0] + mx * 2, xlim[1] - mx * 2))
    cy = float(np.clip(cy, ylim[0] + my, ylim[1] - my))
    return cx, cy


def _degree_formatter(pos_suffix: str, neg_suffix: str):
    from matplotlib.ticker import FuncFormatter

    def fmt(v: float, _pos: Any = None) -> str:
        if abs(v) < 1e-9:
            return "0°"
        return f"{abs(v):g}°{pos_suffix if v > 0 else neg_suffix}"

    return FuncFormatter(fmt)


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
# Sweep figures
# --------------------------------------------------------------------------------------------


def _factor_columns(points_summary: pd.DataFrame) -> list[str]:
    return [c for c in points_summary.columns if c not in _SUMMARY_STATS]


def _levels(values: pd.Series) -> list:
    uniq = list(dict.fromkeys(values.tolist()))
    try:
        return sorted(uniq, key=float)
    except (TypeError, ValueError):
        return uniq


def _fmt_level(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return f"{int(v)}"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _select(points_summary: pd.DataFrame, metric: str, keep: Sequence[str],
            fixed: Mapping[str, Any] | None, paired: pd.DataFrame | None,
            value: str = "mean") -> tuple[pd.DataFrame, list[str]]:
    """Rows of ``metric`` with other factors fixed (``fixed``) or averaged; the value column
    ``v`` (and ``h``, the CI half-width). Returns the table and the averaged factors."""
    ps = points_summary[points_summary["metric"] == metric].copy()
    if ps.empty:
        metrics = sorted(points_summary["metric"].unique())
        raise ValueError(f"metric {metric!r} not in the points summary; expected one of: "
                         f"{', '.join(metrics)}")
    factors = _factor_columns(ps)
    for k in keep:
        if k not in factors:
            raise ValueError(f"factor {k!r} not in the points summary; expected one of: "
                             f"{', '.join(factors)}")
    for k, v in (fixed or {}).items():
        if k not in factors:
            raise ValueError(f"fixed factor {k!r}: expected one of {', '.join(factors)}")
        ps = ps[ps[k].astype(str) == str(v)] if not isinstance(v, (int, float)) else ps[
            np.isclose(pd.to_numeric(ps[k], errors="coerce"), float(v))]
    if ps.empty:
        raise ValueError(f"no point matches fixed={dict(fixed or {})}")
    if paired is not None:
        pd_ = paired[paired["metric"] == metric][["point", "mean_diff", "ci95_low", "ci95_high"]]
        ps = ps.merge(pd_, on="point", how="left")
        ps["v"] = ps["mean_diff"]
        ps["h"] = (ps["ci95_high"] - ps["ci95_low"]) / 2
    else:
        ps["v"] = ps[value]
        ps["h"] = ps["ci95_halfwidth"]
    averaged = [f for f in factors if f not in keep and f not in (fixed or {})
                and ps[f].nunique() > 1]
    # averaging over other factors; the half-width of a mean of k means is at most the mean
    # of their half-widths whatever their correlation (common random numbers)
    out = ps.groupby(list(keep), sort=False).agg(v=("v", "mean"), h=("h", "mean"),
                                                 points=("point", "unique")).reset_index()
    return out, averaged


def sweep_heatmap(points_summary: pd.DataFrame, x: str, y: str, metric: str, *,
                  fixed: Mapping[str, Any] | None = None, paired: pd.DataFrame | None = None,
                  reference: int | None = None, stat: str = "mean", annotate: bool = True,
                  ax: Any = None, title: str | None = None, footer: str | None = None) -> Any:
    """A metric over two factors: one cell per (x level, y level).

    Factors other than ``x`` and ``y`` are fixed at ``fixed`` values or averaged over. With
    ``paired`` (the paired-differences table), cells show the mean paired difference to the
    reference point (diverging colours centred on zero; the reference cell is outlined).

    Parameters
    ----------
    points_summary : DataFrame
        ``points_summary.csv`` of a sweep (factor columns, ``point, metric, mean, p5, ...``).
    x, y : str
        Factor columns.
    metric : str
        e.g. ``"delivered_l"``.
    stat : str
        Column shown without ``paired``: ``mean`` (default), ``p5``, ``p50``, ``p95``.
    """
    from matplotlib.colors import TwoSlopeNorm

    with plot_style():
        own = ax is None
        fig, (ax,) = _setup(ax, 1, (8.0, 5.6))
        tab, averaged = _select(points_summary, metric, [x, y], fixed, paired, stat)
        xl, yl = _levels(tab[x]), _levels(tab[y])
        grid = np.full((len(yl), len(xl)), np.nan)
        half = np.full_like(grid, np.nan)
        ref_cell = None
        for _, r in tab.iterrows():
            i, j = yl.index(r[y]), xl.index(r[x])
            grid[i, j] = r["v"]
            half[i, j] = r["h"]
            if reference is not None and reference in set(r["points"]):
                ref_cell = (i, j)
        litres = _is_litres(metric)
        scale = 1e6 if litres else 1.0
        shown = grid / scale
        if paired is not None:
            lim = float(np.nanmax(np.abs(shown))) if np.isfinite(shown).any() else 1.0
            lim = lim or 1.0
            im = ax.imshow(shown, origin="lower", cmap="PuOr", norm=TwoSlopeNorm(0.0, -lim, lim),
                           aspect="auto")
        else:
            im = ax.imshow(shown, origin="lower", cmap="viridis", aspect="auto")
        ax.set_xticks(range(len(xl)), [_fmt_level(v) for v in xl])
        ax.set_yticks(range(len(yl)), [_fmt_level(v) for v in yl])
        ax.grid(False)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        label = _metric_label(metric)
        what = {"mean": "mean", "p5": "P5", "p50": "median", "p95": "P95"}.get(stat, stat)
        cb_label = (f"difference to reference: {label}" if paired is not None else f"{what} {label}")
        cb = fig.colorbar(im, ax=ax, shrink=0.9, pad=0.02)
        cb.set_label(cb_label)
        if annotate:
            norm = im.norm
            cmap = im.get_cmap()
            big = float(np.nanmax(np.abs(shown))) if np.isfinite(shown).any() else 1.0
            decimals = max(0, 2 - math.floor(math.log10(big))) if big > 0 else 0
            hs = half / scale
            cell_pt = min(ax.get_position().height * fig.get_figheight() / len(yl),
                          ax.get_position().width * fig.get_figwidth() / len(xl)) * 72
            size = float(np.clip(cell_pt / 4.2, 8.5, 13))
            for i in range(len(yl)):
                for j in range(len(xl)):
                    v = shown[i, j]
                    if not np.isfinite(v):
                        continue
                    rgb = cmap(norm(v))[:3]
                    lum = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
                    sign = "+" if v > 0 and paired is not None else ""
                    txt = f"{sign}{v:,.{decimals}f}".replace("-", "\u2212")
                    color = "white" if lum < 0.5 else "black"
                    ax.text(j, i + 0.04, txt, ha="center", va="bottom", fontsize=size, color=color,
                            fontweight="bold")
                    if np.isfinite(hs[i, j]) and hs[i, j] > 0:
                        ax.text(j, i - 0.02, f"±{hs[i, j]:,.{decimals}f}", ha="center", va="top",
                                fontsize=size * 0.8, color=color)
        if ref_cell is not None:
            from matplotlib.patches import Rectangle

            i, j = ref_cell
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="black", lw=2.5,
                                   zorder=5))
            ax.text(j, i - 0.42, "reference", ha="center", va="bottom", fontsize=9.5, zorder=6)
        name = _metric_name(metric)
        t = title or (f"Change in {name} against the reference point" if paired is not None
                      else f"{what.capitalize()} {name}")
        sub = ("mean paired difference, ± 95 % CI (common random numbers)" if paired is not None
               else f"{what} ± 95 % CI of the mean")
        sub += f"; {_n_text(points_summary, metric)}"
        if averaged:
            sub += f"\naveraged over {', '.join(_short_factor(a) for a in averaged)}"
        elif fixed:
            sub += "\n" + ", ".join(f"{_short_factor(k)} = {_fmt_level(v)}" for k, v in fixed.items())
        _titles(ax, t, sub)
        return _finish(fig, footer, own)


def sweep_lines(points_summary: pd.DataFrame, factor: str, metric: str, *,
                group: str | None = None, fixed: Mapping[str, Any] | None = None,
                ax: Any = None, title: str | None = None, footer: str | None = None) -> Any:
    """Mean of a metric against one factor, with 95 % confidence bands of the mean; one line
    per level of ``group`` (another factor). Other factors are fixed (``fixed``) or averaged."""
    with plot_style():
        own = ax is None
        fig, (ax,) = _setup(ax, 1, FIGSIZE)
        keep = [factor] + ([group] if group else [])
        tab, averaged = _select(points_summary, metric, keep, fixed, None)
        levels = _levels(tab[factor])
        numeric = all(isinstance(v, (int, float, np.integer, np.floating)) for v in levels)
        xpos = {v: (float(v) if numeric else i) for i, v in enumerate(levels)}
        litres = _is_litres(metric)
        groups = _levels(tab[group]) if group else [None]
        for k, gv in enumerate(groups):
            sub = tab if gv is None else tab[tab[group] == gv]
            sub = sub.assign(xp=sub[factor].map(xpos)).sort_values("xp")
            color = CYCLE[k % len(CYCLE)]
            lab = (f"{_short_factor(group)} = {_fmt_level(gv)}" if gv is not None else "mean")
            ax.fill_between(sub["xp"], sub["v"] - sub["h"], sub["v"] + sub["h"], color=color,
                            alpha=0.22, lw=0)
            ax.plot(sub["xp"], sub["v"], color=color, marker="o", ms=7, label=lab)
        if not numeric:
            ax.set_xticks(range(len(levels)), [_fmt_level(v) for v in levels])
        else:
            ax.set_xticks([float(v) for v in levels], [_fmt_level(v) for v in levels])
        ax.set_xlabel(factor)
        if litres:
            _litres_axis(ax, _metric_label(metric))
        else:
            ax.set_ylabel(_metric_label(metric))
        t = title or f"Mean {_metric_name(metric)} by {_short_factor(factor)}"
        sub = f"bands: 95 % CI of the mean; {_n_text(points_summary, metric)}"
        if averaged:
            sub += f"\naveraged over {', '.join(_short_factor(a) for a in averaged)}"
        _titles(ax, t, sub)
        from matplotlib.patches import Patch

        handles, labels = ax.get_legend_handles_labels()
        handles.append(Patch(color="#777777", alpha=0.3, label="95 % CI of the mean"))
        ax.legend(handles=handles, loc="best", fontsize=10.5)
        return _finish(fig, footer, own)


def _point_labels(design: pd.DataFrame | None, points: Sequence[int]) -> dict[int, str]:
    if design is None:
        return {p: f"point {p}" for p in points}
    d = design.drop_duplicates("point").set_index("point") if "point" in design.columns else design
    factors = [c for c in d.columns if c not in _SUMMARY_STATS and not str(c).startswith("_unit_")]
    out = {}
    for p in points:
        if p in d.index:
            out[p] = ", ".join(f"{_short_factor(f)} {_fmt_level(d.loc[p, f])}" for f in factors)
        else:
            out[p] = f"point {p}"
    return out


def stockout_by_date(stockout_probability: pd.DataFrame, *, points: Sequence[int] | None = None,
                     design: pd.DataFrame | None = None, labels: Mapping[int, str] | None = None,
                     ax: Any = None, title: str | None = None, footer: str | None = None) -> Any:
    """Probability of a stock-out by each date, one line per point with its 95 % interval.

    ``points`` defaults to every point if there are at most 6, else the points with the lowest
    and highest probability at the last date and four evenly between them. Lines are labelled
    by ``labels`` or by factor values from ``design`` (``design.csv`` or the points summary).
    """
    from matplotlib.ticker import PercentFormatter

    with plot_style():
        own = ax is None
        fig, (ax,) = _setup(ax, 1, FIGSIZE)
        sp = stockout_probability.copy()
        sp["d"] = _dates(sp["date"])
        all_points = sorted(sp["point"].unique())
        if points is None:
            if len(all_points) <= 6:
                points = all_points
            else:
                last = sp[sp["d"] == sp["d"].max()].sort_values("p_stockout")
                idx = np.unique(np.linspace(0, len(last) - 1, 6).round().astype(int))
                points = last["point"].iloc[idx].tolist()
        names = dict(labels or _point_labels(design, points))
        for k, p in enumerate(points):
            sub = sp[sp["point"] == p].sort_values("d")
            color = CYCLE[k % len(CYCLE)]
            lo = np.clip(sub["p_stockout"] - sub["ci95_halfwidth"], 0, 1)
            hi = np.clip(sub["p_stockout"] + sub["ci95_halfwidth"], 0, 1)
            ax.fill_between(sub["d"], lo, hi, color=color, alpha=0.15, lw=0)
            ax.plot(sub["d"], sub["p_stockout"], color=color, marker="o", ms=6,
                    label=names.get(p, f"point {p}"))
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel("P(stock-out by date) (%)")
        d0, d1 = sp["d"].min(), sp["d"].max()
        pad = max(pd.Timedelta(days=1), (d1 - d0) * 0.04)
        ax.set_xlabel(date_label(d0, d1))
        date_axis(ax, d0 - pad, d1 + pad)
        _titles(ax, title or "Probability of a stock-out by date",
                "share of replications whose stock ran out on or before the date; bands: 95 % CI")
        leg = _outside_legend(fig, ax, own, where="below", ncol=2, fontsize=10.5, frameon=False)
        return _finish(fig, footer, own, bottom_legend=leg if own else None)


def sensitivity_bars(sensitivity: pd.DataFrame, metric: str, *, ax: Any = None,
                     title: str | None = None, footer: str | None = None) -> Any:
    """Tornado chart of sensitivity indices of one metric: Sobol first-order (S1) and total
    (ST) indices, or Morris mu* (in the metric's units), with their confidence intervals as
    error bars; factors sorted by importance (largest at the top)."""
    with plot_style():
        sens = sensitivity[sensitivity["metric"] == metric].copy()
        if sens.empty:
            avail = sorted(sensitivity["metric"].unique()) if "metric" in sensitivity else []
            raise ValueError(f"metric {metric!r} not in the sensitivity table; expected one of: "
                             f"{', '.join(avail)}")
        n = len(sens)
        own = ax is None
        fig, (ax,) = _setup(ax, 1, (8.0, max(3.6, 1.6 + 0.62 * n)))
        sobol = "ST" in sens.columns and sens["ST"].notna().any()
        key = "ST" if sobol else "mu_star"
        sens = sens.sort_values(key, ascending=True)
        y = np.arange(n)
        names = [_short_factor(f) for f in sens["factor"]]
        err_kw = {"ecolor": "#333333", "capsize": 4, "elinewidth": 1.3}
        if sobol:
            h = 0.38
            ax.barh(y + h / 2, sens["ST"], height=h, xerr=sens["ST_conf"], color=OKABE_ITO["orange"],
                    label="total index ST", error_kw=err_kw)
            ax.barh(y - h / 2, sens["S1"], height=h, xerr=sens["S1_conf"], color=OKABE_ITO["blue"],
                    label="first-order index S1", error_kw=err_kw)
            ax.set_xlabel("Sobol index (share of the variance of the mean)")
            ax.axvline(0, color="#444444", lw=0.9)
            ax.legend(loc="lower right", fontsize=10.5)
        else:
            scale = 1e6 if _is_litres(metric) else 1.0
            ax.barh(y, sens["mu_star"] / scale, height=0.6, xerr=sens["mu_star_conf"] / scale,
                    color=OKABE_ITO["blue"], error_kw=err_kw, label="μ*")
            unit = " (ML)" if scale != 1.0 else ""
            ax.set_xlabel(f"Morris μ*: mean absolute elementary effect{unit}")
        ax.set_yticks(y, names)
        ax.grid(axis="y", visible=False)
        _titles(ax, title or f"Sensitivity of {_metric_name(metric)} to each factor",
                ("Sobol indices" if sobol else "Morris screening") + " with 95 % confidence "
                "intervals; most influential at the top")
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
    from . import __version__
    from .errors import CorridorSimError
    from .network import build_network
    from .results_io import read_run
    from .scenario_io import scenario_from_dict

    run = read_run(root)
    man = run["manifest"]
    sc = scenario_from_dict(man["scenario"])
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
    from . import __version__

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
        from .summaries import summarize_sweep

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
    from .errors import OutputError

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
        target = out / f"{name}.{fmt}"
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=out)
        os.close(fd)
        try:
            with plot_style():
                fig.savefig(tmp, format=fmt, dpi=dpi, facecolor="white",
                            metadata=_metadata(fmt))
            _chmod_default(tmp)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        paths.append(target)
    return paths


def _chmod_default(path: str | Path) -> None:
    """Give a temporary file the permissions of a normally created one (mkstemp makes it
    0600). The umask is read from /proc where there is one (changing it to read it would
    not be thread-safe), else 022 is assumed."""
    umask = 0o022
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    umask = int(line.split()[1], 8)
                    break
    except (OSError, ValueError):
        pass
    try:
        os.chmod(path, 0o666 & ~umask)
    except OSError:
        pass


def _metadata(fmt: str) -> dict[str, Any]:
    """Reproducible files: no creation date in PDF/SVG/PNG metadata."""
    if fmt == "png":
        return {"Software": None}
    if fmt == "pdf":
        return {"CreationDate": None, "Creator": "corridorsim", "Producer": None}
    return {"Date": None, "Creator": "corridorsim"}

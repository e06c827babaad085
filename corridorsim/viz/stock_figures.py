"""Fuel and stock over time: the cumulative fan chart of deliveries and the stock chart
with the probability of a stock-out by each date.

Tables in, :class:`matplotlib.figure.Figure` out; no pyplot. May import the figure helpers
(:mod:`.layout`, :mod:`.style`) and :mod:`corridorsim.experiments.statistics`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..experiments.statistics import proportion_interval
from .layout import (
    _STOCK_EPS_L,
    OBS,
    SIM,
    WARN,
    _bands,
    _daily_quantiles,
    _dates,
    _finish,
    _legend,
    _litres_axis,
    _setup,
    _start_end,
    _titles,
)
from .style import (
    FIGSIZE,
    FIGSIZE_TALL,
    date_axis,
    date_label,
    format_litres,
    format_number,
    plot_style,
)

__all__ = ["fan_chart", "stock_chart"]


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
    replications whose stock has been at zero on or before each date, with a 95 % Wilson
    interval (:func:`corridorsim.experiments.statistics.proportion_interval`).

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
        # counts, not shares: the interval is of a proportion of n replications
        hits = np.rint(share.to_numpy(dtype=float) * n)
        bounds = [proportion_interval(int(k), n) for k in hits]
        lo = np.array([b.low for b in bounds])
        hi = np.array([b.high for b in bounds])
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

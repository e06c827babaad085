"""Stocks of a run with several destinations, side by side: one small panel of stock per
destination, and the probability that each destination's stock has run out by each date.

Tables in, :class:`matplotlib.figure.Figure` out; no pyplot. May import the figure helpers
(:mod:`.layout`, :mod:`.style`, :mod:`.stock_figures`) and
:mod:`corridorsim.experiments.statistics`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..experiments.statistics import proportion_interval
from .layout import (
    _STOCK_EPS_L,
    SIM,
    WARN,
    _bottom_legend,
    _daily_quantiles,
    _finish,
    _legend,
    _litres_axis,
    _new_figure,
    _start_end,
    _titles,
)
from .stock_figures import _initial, _spans, _stockout_share
from .style import BAND_ALPHA, CYCLE, FIGSIZE, date_axis, date_label, plot_style

__all__ = ["destination_order", "stock_by_destination", "stockout_by_destination"]


def destination_order(table: pd.DataFrame, focus: str | None = None) -> list[str]:
    """The destinations of a table (``destination`` column), the focus first, the others in
    the table's order."""
    names = list(dict.fromkeys(table["destination"].astype(str)))
    if focus in names:
        names.remove(focus)
        names.insert(0, focus)
    return names


def stock_by_destination(daily: pd.DataFrame, *, focus: str | None = None,
                         ncols: int = 2, title: str | None = None,
                         footer: str | None = None) -> Any:
    """Small multiples of the end-of-day stock, one panel per destination (the focus first).

    Each panel: median stock and its P5-P95 band across replications (ML, own y scale: the
    destinations' stocks differ by orders of magnitude), with days on which the median stock is
    zero shaded.

    Parameters
    ----------
    daily : DataFrame
        The run's daily table with its ``destination`` column (every destination's rows).
    focus : str, optional
        The focus destination's label: drawn first and named in the title.
    ncols : int
        Panels per row.
    title, footer : str, optional
    """
    names = destination_order(daily, focus)
    with plot_style():
        ncols = max(1, min(ncols, len(names)))
        nrows = math.ceil(len(names) / ncols)
        fig = _new_figure((FIGSIZE[0], 1.25 + 2.05 * nrows))
        fig._corridorsim_own = True
        axs = np.atleast_1d(fig.subplots(nrows, ncols, sharex=True, squeeze=False)).ravel()
        start, end = _start_end(daily, None, None)
        dry_label = False
        for ax, name in zip(axs, names, strict=False):
            d = daily[daily["destination"].astype(str) == name]
            q = _daily_quantiles(d, "stock_l")
            x = q.index.to_numpy()
            xs = np.concatenate([[x[0] - np.timedelta64(1, "D")], x])
            qs = pd.concat([pd.DataFrame([_initial(d, "stock_l")], columns=q.columns), q])
            ax.fill_between(xs, qs[0.05], qs[0.95], color=SIM, alpha=BAND_ALPHA[0], lw=0,
                            label="P5–P95 of replications")
            ax.plot(xs, qs[0.5], color=SIM, lw=2.0, label="median stock")
            for a, b in _spans(q[0.5].to_numpy() <= _STOCK_EPS_L, x):
                ax.axvspan(a, b, color=WARN, alpha=0.14, lw=0,
                           label=None if dry_label else "median stock at zero")
                dry_label = True
            _litres_axis(ax, "")
            # headroom for the name, written inside the panel (titles above the panels would
            # collide with the figure's title)
            ax.set_ylim(0, 1.22 * max(float(np.nanmax(qs[0.95].to_numpy())), 1.0))
            ax.text(0.98, 0.95, f"{name} (focus)" if name == focus else name, ha="right",
                    va="top", transform=ax.transAxes, fontsize=12.5,
                    fontweight="bold" if name == focus else "normal",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                          "alpha": 0.85})
            date_axis(ax, start, end, max_ticks=4)
        for ax in axs[len(names):]:
            ax.set_visible(False)
        for i, ax in enumerate(axs[:len(names)]):
            if i % ncols == 0:
                ax.set_ylabel("stock (ML)")
            if i >= len(names) - ncols:  # lowest panel of its column: its dates are shown
                ax.xaxis.set_tick_params(labelbottom=True)
                ax.set_xlabel(date_label(start, end - pd.Timedelta(days=1), "date, end of day"))
        n = int(daily["replication"].nunique())
        where = f"; focus: {focus}" if focus in names else ""
        _titles(axs[0], title or "Fuel stock at each destination",
                f"end of each day; median and P5–P95 over {n} replications{where}")
        handles, labels = axs[0].get_legend_handles_labels()
        for ax in axs[1:len(names)]:
            h, lab = ax.get_legend_handles_labels()
            handles += [hh for hh, ll in zip(h, lab, strict=True) if ll not in labels]
            labels += [ll for ll in lab if ll not in labels]
        leg = _bottom_legend(fig, handles, ncol=len(handles), fontsize=10.5, frameon=False)
        return _finish(fig, footer, True, bottom_legend=leg)


def stockout_by_destination(daily: pd.DataFrame, *, focus: str | None = None,
                            intervals: bool = True, ax: Any = None, title: str | None = None,
                            footer: str | None = None) -> Any:
    """Probability that each destination's stock has run out on or before each date.

    One step line per destination (the share of replications whose stock has been at zero
    with demand, or has left demand unmet, on or before the date; the rule of
    :func:`~corridorsim.viz.stock_figures.stock_chart`), with its 95 % Wilson interval
    (:func:`corridorsim.experiments.statistics.proportion_interval`) as a light band for the
    focus destination (bands of every destination would hide each other). The focus
    destination is drawn first and thicker.

    Parameters
    ----------
    daily : DataFrame
        The run's daily table with its ``destination`` column.
    focus : str, optional
    intervals : bool
        Draw the 95 % interval of the focus destination.
    ax : Axes, optional
    title, footer : str, optional
    """
    from matplotlib.ticker import PercentFormatter

    names = destination_order(daily, focus)
    with plot_style():
        own = ax is None
        if own:
            fig = _new_figure(FIGSIZE)
            fig._corridorsim_own = True
            ax = fig.add_subplot()
        else:
            fig = ax.get_figure(root=True)
        start, end = _start_end(daily, None, None)
        n = 0
        for i, name in enumerate(names):
            share, n = _stockout_share(daily[daily["destination"].astype(str) == name])
            share.loc[start] = 0.0
            share = share.sort_index()
            color = CYCLE[i % len(CYCLE)]
            if intervals and name == focus:
                hits = np.rint(share.to_numpy(dtype=float) * n)
                bounds = [proportion_interval(int(k), n) for k in hits]
                ax.fill_between(share.index, [b.low for b in bounds], [b.high for b in bounds],
                                step="post", color=color, alpha=0.15, lw=0,
                                label=f"95 % interval, {name}")
            ax.step(share.index, share.to_numpy(), where="post", color=color,
                    lw=2.8 if name == focus else 1.8,
                    label=f"{name} (focus)" if name == focus else name)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_ylim(0, 1.02)
        ax.set_ylabel("P(stock-out so far) (%)")
        ax.set_xlabel(date_label(start, end - pd.Timedelta(days=1), "date, end of day"))
        date_axis(ax, start, end)
        _titles(ax, title or "Probability that each destination's stock has run out",
                f"on or before each date; share of {n} replications")
        if own:
            handles, _ = ax.get_legend_handles_labels()
            handles = handles[1:] + handles[:1] if intervals and focus in names else handles
            leg = _bottom_legend(fig, handles, ncol=min(4, len(handles)), fontsize=10.5,
                                 frameon=False)
            return _finish(fig, footer, own, bottom_legend=leg)
        _legend(ax, loc="upper left", fontsize=10.5)
        return _finish(fig, footer, own)


"""Attacks and escorts: the timeline of simulated attacks by corridor and the use of escort
units with the waits for them.

Tables in, :class:`matplotlib.figure.Figure` out; no pyplot. May import the figure helpers
(:mod:`.layout`, :mod:`.style`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .layout import (
    _ATTACK_STYLE,
    ATTACK_KINDS,
    OBS,
    SIM,
    _bands,
    _bins,
    _daily_quantiles,
    _dates,
    _finish,
    _legend,
    _n_reps,
    _outside_legend,
    _setup,
    _start_end,
    _titles,
)
from .style import (
    BAND_ALPHA,
    FIGSIZE,
    FIGSIZE_TALL,
    corridor_color,
    corridor_order,
    date_axis,
    date_label,
    format_number,
    plot_style,
)

__all__ = ["attack_timeline", "escort_use"]


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


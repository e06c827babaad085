"""Figures of an ABC calibration (``corridorsim calibrate``): the simulated summary statistics
of the prior draws against the record, and the prior and posterior of each parameter.

Tables in (``samples.csv``, ``calibration.json``'s ``observed``), :class:`matplotlib.figure.Figure`
out; no pyplot. May import the figure helpers (:mod:`.layout`, :mod:`.style`).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .layout import _bottom_legend, _finish, _is_litres, _new_figure, _short_factor
from .style import OKABE_ITO, plot_style

__all__ = ["calibration_fit", "posterior_parameters"]

_REJECTED = "#9ecae1"
_ACCEPTED = OKABE_ITO["blue"]


def _panels(n: int, row_height_in: float, max_cols: int = 3) -> tuple[Any, list[Any], int]:
    """(figure, axes, columns): ``n`` panels (at least one), at most ``max_cols`` a row, 8 in
    wide and ``row_height_in`` per row plus room for titles; call inside ``plot_style()``."""
    n = max(1, n)
    cols = min(max_cols, n)
    rows = math.ceil(n / cols)
    fig = _new_figure((8.0, 1.2 + row_height_in * rows))
    fig._corridorsim_own = True
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, list(axes[:n]), cols


def _panel_title(ax: Any, text: str, width_in: float) -> None:
    chars = max(14, int(width_in * 72 / (11.0 * 0.58)))
    ax.set_title(textwrap.fill(text, chars), fontsize=11.0, loc="left")


def calibration_fit(samples: pd.DataFrame, observed: Mapping[str, float], *,
                    title: str | None = None, footer: str | None = None) -> Any:
    """Observed summaries against the simulated ones of an ABC calibration.

    One panel per statistic (at most three a row): the per-draw mean statistic of every prior
    draw (light dots, the prior predictive) and of the accepted draws (dark dots, the posterior
    predictive), with their P5-P95 ranges, and the observed value (black diamond). Statistics
    in litres are shown in million litres.

    Parameters
    ----------
    samples : DataFrame
        ``samples.csv`` of ``corridorsim calibrate``: ``summary:<name>`` columns and
        ``accepted``.
    observed : mapping
        Observed value of each statistic (``calibration.json``'s ``observed``).
    """
    from matplotlib.lines import Line2D

    names = list(observed)
    with plot_style():
        fig, axes, cols = _panels(len(names), 3.2)
        rng = np.random.default_rng(0)  # jitter only
        acc = samples["accepted"].astype(bool).to_numpy()
        panel_w = 8.0 / cols
        for ax, name in zip(axes, names):
            x = samples[f"summary:{name}"].to_numpy(float)
            litres = _is_litres(name) or abs(observed[name]) >= 1e5
            scale = 1e6 if litres else 1.0
            for group, xpos, colour in ((~acc, -0.25, _REJECTED), (acc, 0.25, _ACCEPTED)):
                vals = x[group] / scale
                vals = vals[np.isfinite(vals)]
                ax.scatter(xpos + rng.uniform(-0.08, 0.08, len(vals)), vals, s=12, color=colour,
                           alpha=0.7, lw=0)
                if len(vals):
                    lo, hi = np.percentile(vals, [5, 95])
                    ax.vlines(xpos + 0.15, lo, hi, color=colour, lw=3.5)
            ax.plot([0], [observed[name] / scale], "D", color="black", ms=9, zorder=5)
            ax.set_xlim(-0.55, 0.55)
            ax.set_xticks([-0.25, 0.25], ["rejected", "accepted"], fontsize=10.5)
            ax.tick_params(axis="y", labelsize=10.5)
            ax.grid(axis="x", visible=False)
            shown = name.removesuffix("_l") if litres else name
            _panel_title(ax, shown.replace("_", " ") + (" (ML)" if litres else ""), panel_w)
        handles = [
            Line2D([], [], ls="none", marker="o", color=_REJECTED, ms=7, label="rejected draws"),
            Line2D([], [], ls="none", marker="o", color=_ACCEPTED, ms=7, label="accepted draws"),
            Line2D([], [], color="#777777", lw=3.5, label="P5–P95 of the draws"),
            Line2D([], [], ls="none", marker="D", color="black", ms=8, label="observed"),
        ]
        leg = _bottom_legend(fig, handles, ncol=4, fontsize=10.5, frameon=False,
                             columnspacing=1.2)
        fig.suptitle(textwrap.fill(title or "Calibration: simulated summaries (mean per draw) "
                                             "against the record", 70),
                     x=0.012, ha="left", fontsize=14)
        return _finish(fig, footer, True, bottom_legend=leg)


def posterior_parameters(samples: pd.DataFrame, parameters: Sequence[str], *,
                         title: str | None = None, footer: str | None = None) -> Any:
    """Histogram of each calibrated parameter over the prior draws (light) and the accepted
    draws (dark, the posterior sample), on common bins; one panel per parameter, at most three
    a row.
    """
    from matplotlib.patches import Patch

    params = [p for p in parameters if p in samples.columns]
    with plot_style():
        fig, axes, cols = _panels(len(params), 2.9)
        acc = samples["accepted"].astype(bool).to_numpy()
        for ax, p in zip(axes, params):
            x = pd.to_numeric(samples[p], errors="coerce").to_numpy(float)
            ok = np.isfinite(x)
            bins = np.histogram_bin_edges(x[ok], bins=min(20, max(5, int(ok.sum() ** 0.5))))
            ax.hist(x[ok], bins=bins, color=_REJECTED, label="prior draws")
            ax.hist(x[ok & acc], bins=bins, color=_ACCEPTED, label="accepted draws")
            ax.tick_params(labelsize=10.5)
            ax.set_ylabel("draws", fontsize=11)
            ax.grid(axis="x", visible=False)
            _panel_title(ax, _short_factor(p), 8.0 / cols)
        handles = [Patch(color=_REJECTED, label="prior draws"),
                   Patch(color=_ACCEPTED, label="accepted draws (posterior)")]
        leg = _bottom_legend(fig, handles, ncol=2, fontsize=10.5, frameon=False)
        fig.suptitle(title or "Calibrated parameters: prior and posterior draws", x=0.012,
                     ha="left", fontsize=14)
        return _finish(fig, footer, True, bottom_legend=leg)

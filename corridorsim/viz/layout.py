"""The mechanics shared by every corridorsim figure: new figures and panels, finishing
(ticks, footer, bottom legend), bands of quantiles, axes in litres and dates, legends, titles
and the labels of metrics and factors.

The look itself (palette, fonts, formatters) is :mod:`corridorsim.viz.style`; the figures are in
:mod:`corridorsim.viz.run_figures` (runs), :mod:`corridorsim.viz.maps` (corridor maps) and
:mod:`corridorsim.viz.sweep_figures` (sweeps). Change a helper here and every figure follows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .style import (
    BAND_ALPHA,
    OKABE_ITO,
    RC,
    footer,
    litres_formatter,
    litres_locator,
)

#: Colour of simulated quantities, of warnings (stock-outs, losses) and of observations.
SIM = OKABE_ITO["blue"]
WARN = OKABE_ITO["vermillion"]
OBS = OKABE_ITO["black"]

#: Attack kinds in the events table and how they are drawn.
ATTACK_KINDS = ("ambush", "ied")
_ATTACK_STYLE = {"ambush": ("^", "ambush"), "ied": ("X", "IED")}

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
    footer and figure legends above it at the bottom (``bottom_legend``: one legend or a list,
    stacked top to bottom), and run the layout once inside the style context."""
    for a in fig.axes:
        a.tick_params(axis="both", which="major", labelsize=RC["xtick.labelsize"], colors="#333333",
                      grid_color=RC["grid.color"], grid_linewidth=RC["grid.linewidth"])
        a.tick_params(axis="both", which="minor", grid_color=RC["grid.color"])
    base = 0.0
    if footer_text:
        footer(fig, footer_text)
        base = _layout_rect(fig)[1]
    legends = ([] if bottom_legend is None else
               list(bottom_legend) if isinstance(bottom_legend, (list, tuple)) else [bottom_legend])
    top = base
    gap = 0.06 / fig.get_figheight()  # 0.06 in between stacked blocks, whatever the height
    for leg in reversed(legends):  # the first legend on top, the last just above the footer
        height = leg.get_window_extent().height / (fig.get_figheight() * fig.dpi)
        leg.set_bbox_to_anchor((0.5, top + gap / 2), transform=fig.transFigure)
        top += height + gap
    if legends:
        engine = fig.get_layout_engine()
        if engine is not None and hasattr(engine, "set"):
            # tick labels of the lowest panels half overhang their axes: keep them clear too
            top += 2 * gap
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
    target.set_major_locator(litres_locator())
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

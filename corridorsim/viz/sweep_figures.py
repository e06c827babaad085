"""Figures of sweeps: a metric over two factors (heat map, optionally as paired differences to
the reference point), a metric against one factor, probability of stock-out by date for chosen
points, and sensitivity indices (Sobol or Morris) with their confidence intervals.

Every function takes the tables written by ``corridorsim summarize`` (see
:mod:`corridorsim.experiments.summaries`) and returns a :class:`matplotlib.figure.Figure`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..experiments.statistics import mean_interval_from_summary, proportion_interval
from ..experiments.summaries import POINT_STAT_COLUMNS
from .layout import (
    _dates,
    _finish,
    _is_litres,
    _litres_axis,
    _metric_label,
    _metric_name,
    _n_text,
    _outside_legend,
    _setup,
    _short_factor,
    _titles,
)
from .style import (
    CYCLE,
    FIGSIZE,
    OKABE_ITO,
    date_axis,
    date_label,
    plot_style,
)

__all__ = ["sweep_heatmap", "sweep_lines", "stockout_by_date", "sensitivity_bars"]

# --------------------------------------------------------------------------------------------
# Sweep figures
# --------------------------------------------------------------------------------------------


def _factor_columns(points_summary: pd.DataFrame) -> list[str]:
    return [c for c in points_summary.columns if c not in POINT_STAT_COLUMNS]


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
        ps = ps.drop(columns=["ci95_low", "ci95_high"], errors="ignore").merge(pd_, on="point",
                                                                               how="left")
        ps["v"] = ps["mean_diff"]
        ps["h"] = (ps["ci95_high"] - ps["ci95_low"]) / 2
    else:
        ps["v"] = ps[value]
        ps["h"] = [(iv.high - iv.low) / 2 for iv in (
            mean_interval_from_summary(m, sd, n) for m, sd, n in zip(ps["mean"], ps["sd"], ps["n"]))]
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
    factors = [c for c in d.columns if c not in POINT_STAT_COLUMNS and not str(c).startswith("_unit_")]
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
    and highest probability averaged over the dates and four evenly between them (the average,
    not the last date: by the last date every point may have run out). Lines are labelled
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
                mean = sp.groupby("point")["p_stockout"].mean().sort_values(kind="stable")
                idx = np.unique(np.linspace(0, len(mean) - 1, 6).round().astype(int))
                points = mean.index[idx].tolist()
        names = dict(labels or _point_labels(design, points))
        for k, p in enumerate(points):
            sub = sp[sp["point"] == p].sort_values("d")
            color = CYCLE[k % len(CYCLE)]
            n = sub["n"].to_numpy(dtype=float)
            bounds = [proportion_interval(int(k), int(m)) for k, m in
                      zip(np.rint(sub["p_stockout"].to_numpy(dtype=float) * n), n)]
            lo, hi = [b.low for b in bounds], [b.high for b in bounds]
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

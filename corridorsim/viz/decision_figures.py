"""Figures of the decision studies: criticality (bars and map), value of a unit, PRIM's peeling
trajectory and box, and regret. Each takes the study's tables (as written by
:mod:`corridorsim.decisions`) and returns a matplotlib Figure; none shows or saves anything.
Imports matplotlib lazily, and the viz helpers.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .layout import _finish, _setup, _titles
from .map_layers import load_borders, polygons
from .style import OKABE_ITO, corridor_color, format_litres, format_number, plot_style

__all__ = ["criticality_bars", "criticality_map", "stress_figure", "value_bars", "peeling_figure",
           "box_figure", "regret_figure"]

BETTER = OKABE_ITO["bluish_green"]
WORSE = OKABE_ITO["vermillion"]


def _errbars(ax: Any, y: np.ndarray, x: np.ndarray, lo: np.ndarray, hi: np.ndarray, color: str,
             label: str, offset: float = 0.0) -> None:
    err = np.vstack([np.clip(x - lo, 0, None), np.clip(hi - x, 0, None)])
    err = np.where(np.isfinite(err), err, 0.0)
    ax.barh(y + offset, x, height=0.38, color=color, alpha=0.85, label=label)
    ax.errorbar(x, y + offset, xerr=err, fmt="none", ecolor="#333333", elinewidth=1, capsize=2)


def _one_destination(table: pd.DataFrame, destination: str | None) -> tuple[pd.DataFrame, str]:
    """The rows of one destination (default: the first listed) and its name."""
    if destination is None and len(table):
        destination = str(table["destination"].iloc[0])
    return table[table["destination"].astype(str) == str(destination)], destination or ""


def criticality_bars(table: pd.DataFrame, destination: str | None = None, top: int = 15,
                     footer: str | None = None) -> Any:
    """Per segment: unmet demand added by closing it and litres gained by making it safe
    (paired means, 95 % intervals), the most critical first."""
    t, dest = _one_destination(table, destination)
    t = t.head(top).iloc[::-1]
    with plot_style():
        fig, (ax,) = _setup(None, 1, (8.0, 1.6 + 0.36 * max(4, len(t))))
        y = np.arange(len(t))
        for col, color, label, off in (("closed_unmet_l", WORSE, "closed: more unmet demand", 0.2),
                                       ("safe_delivered_l", BETTER, "made safe: more delivered", -0.2)):
            x = t[col].to_numpy(dtype=float) / 1e6
            _errbars(ax, y, x, t[f"{col}_low"].to_numpy(dtype=float) / 1e6,
                     t[f"{col}_high"].to_numpy(dtype=float) / 1e6, color, label, off)
        ax.set_yticks(y, t["edge"].tolist())
        ax.set_xlabel("million litres over the horizon (paired mean, 95 % CI)")
        ax.axvline(0, color="#555555", lw=0.8)
        ax.legend(loc="lower right", fontsize=9)
        _titles(ax, f"Which road segments matter for {dest}",
                "Change against the scenario as written when each segment is closed or made safe")
        return _finish(fig, footer, True)


def criticality_map(graph: Any, table: pd.DataFrame, column: str = "closed_unmet_l", destination: str | None = None,
                    footer: str | None = None) -> Any:
    """The network with each varied segment coloured and sized by ``column`` of the
    criticality table (million litres, summed over the destinations unless one is given);
    unvaried roads in grey."""
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize

    t = table if destination is None else table[table["destination"] == destination]
    per_edge = t.groupby("edge", sort=False)[column].sum(min_count=1) / 1e6  # over destinations
    vals = per_edge.to_dict()
    t = per_edge.sort_values(ascending=False).rename_axis("edge").reset_index()
    nodes = {n: (float(d["lon"]), float(d["lat"])) for n, d in graph.nodes(data=True)}
    lons = np.array([p[0] for p in nodes.values()])
    lats = np.array([p[1] for p in nodes.values()])
    with plot_style():
        fig, (ax,) = _setup(None, 1, (8.0, 7.0))
        ax.set_facecolor("#EAF2F8")
        ax.grid(False)
        for feat in load_borders().get("features", []):
            for poly in polygons(feat.get("geometry") or {}):
                ring = np.asarray(poly[0], dtype=float)
                ax.fill(ring[:, 0], ring[:, 1], facecolor="#F6F3EC", edgecolor="#A39E93", lw=0.8, zorder=0)
        segs, v = [], []
        for a, b in graph.edges():
            u, w = sorted((a, b))
            seg = [nodes[a], nodes[b]]
            x = vals.get(f"{u}-{w}")
            if x is None or not math.isfinite(x):
                ax.add_collection(LineCollection([seg], colors="#B0B0B0", linewidths=1.2, zorder=2))
            else:
                segs.append(seg)
                v.append(max(0.0, x))
        if segs:
            v_arr = np.array(v)
            vmax = max(float(v_arr.max()), 1e-9)
            order = np.argsort(v_arr)
            lc = LineCollection([segs[i] for i in order], cmap="YlOrRd", norm=Normalize(0, vmax),
                                linewidths=1.5 + 5.0 * v_arr[order] / vmax, zorder=3, capstyle="round")
            lc.set_array(v_arr[order])
            ax.add_collection(lc)
            cb = fig.colorbar(lc, ax=ax, shrink=0.7, pad=0.01, aspect=28)
            cb.set_label({"closed_unmet_l": "unmet demand added by closing it (ML)",
                          "safe_delivered_l": "litres gained by making it safe (ML)"}.get(column, column))
        ax.scatter(lons, lats, s=10, color="#444444", zorder=4, lw=0)
        top = t.head(5)
        for e in top["edge"]:
            a, b = str(e).split("-", 1)
            if a in nodes and b in nodes:
                (x0, y0), (x1, y1) = nodes[a], nodes[b]
                ax.annotate(e, ((x0 + x1) / 2, (y0 + y1) / 2), fontsize=8, zorder=6,
                            xytext=(4, 4), textcoords="offset points",
                            bbox={"fc": "white", "ec": "none", "alpha": 0.75, "pad": 1})
        pad = 0.7
        ax.set_xlim(lons.min() - pad, lons.max() + pad)
        ax.set_ylim(lats.min() - pad, lats.max() + pad)
        ax.set_aspect(1.0 / math.cos(math.radians(float(np.mean(lats)))))
        ax.set_xlabel("longitude")
        ax.set_ylabel("latitude")
        _titles(ax, "Criticality of each road segment",
                "Roads that carry traffic, coloured by what closing them costs the destination")
        return _finish(fig, footer, True)


def stress_figure(stress: pd.DataFrame, destination: str | None = None, top: int = 15,
                  footer: str | None = None) -> Any:
    """Time-to-survive (median, whisker to the 10th percentile) of one destination (default: the
    first listed) against each segment's time-to-recover; flagged segments (survival <
    recovery) in red."""
    t, dest = _one_destination(stress, destination)
    t = t.sort_values("tts_median_days", kind="stable").head(top).iloc[::-1]
    with plot_style():
        fig, (ax,) = _setup(None, 1, (8.0, 1.6 + 0.34 * max(4, len(t))))
        y = np.arange(len(t))
        med = np.minimum(t["tts_median_days"].to_numpy(dtype=float), 1e3)
        p10 = np.minimum(t["tts_p10_days"].to_numpy(dtype=float), 1e3)
        colors = [WORSE if f else BETTER for f in t["flag"]]
        ax.barh(y, med, color=colors, alpha=0.85, height=0.6)
        ax.errorbar(med, y, xerr=[np.clip(med - p10, 0, None), np.zeros_like(med)], fmt="none",
                    ecolor="#333333", capsize=2)
        assumed = set(t["ttr_source"].astype(str)) == {"assumed"}
        ax.scatter(t["ttr_days"], y, marker="|", s=220, color="black", zorder=5,
                   label="time to recover (" + ("assumed" if assumed else "closure length") + ")")
        if "base_tts_median_days" in t.columns and len(t):
            base = float(t["base_tts_median_days"].iloc[0])
            if math.isfinite(base):
                ax.axvline(base, color="#555555", ls="--", lw=1,
                           label=f"without the closure: {base:.0f} days (median)")
        ax.set_yticks(y, t["edge"].tolist())
        ax.set_xlabel("days from the start")
        ax.legend(loc="upper right", fontsize=9, framealpha=0.95)
        _titles(ax, f"Stress test at {dest}: time to survive against time to recover",
                "Bars: days until the stock runs out with the segment closed (red: before it "
                "would reopen)")
        return _finish(fig, footer, True)


def value_bars(value: pd.DataFrame, destination: str | None = None, footer: str | None = None) -> Any:
    """Litres delivered gained and days at zero stock avoided at one destination (default: the
    first listed) per extra unit (paired means, 95 % intervals)."""
    t, dest = _one_destination(value, destination)
    t = t.iloc[::-1]
    labels = t["variant"].astype(str).tolist()
    with plot_style():
        fig, axes = _setup(None, 2, (8.0, 2.2 + 0.5 * max(4, len(t))), sharex=False)
        y = np.arange(len(t))
        for ax, col, scale, unit in ((axes[0], "delivered_l", 1e6, "more litres delivered (ML)"),
                                     (axes[1], "days_at_zero", -1.0, "fewer days at zero stock")):
            x = t[col].to_numpy(dtype=float) / scale
            lo = t[f"{col}_low"].to_numpy(dtype=float) / scale
            hi = t[f"{col}_high"].to_numpy(dtype=float) / scale
            lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
            colors = [BETTER if v > 0 else WORSE for v in x]
            ax.barh(y, x, color=colors, alpha=0.85, height=0.6)
            err = np.vstack([np.clip(x - lo, 0, None), np.clip(hi - x, 0, None)])
            ax.errorbar(x, y, xerr=np.where(np.isfinite(err), err, 0), fmt="none", ecolor="#333333", capsize=2)
            ax.axvline(0, color="#555555", lw=0.8)
            ax.set_yticks(y, labels)
            ax.set_xlabel(f"{unit} per extra unit (95 % CI)")
        _titles(axes[0], f"What one more unit is worth at {dest}",
                "Paired on common random numbers against the scenario as written")
        return _finish(fig, footer, True)


def peeling_figure(trajectory: pd.DataFrame, chosen: int, footer: str | None = None) -> Any:
    """PRIM's peeling trajectory: density against coverage, coloured by the number of
    restricted inputs, the chosen box ringed."""
    t = trajectory
    nres = t["restricted"].map(lambda s: len([x for x in s.split(";") if x]) if isinstance(s, str) else 0)
    with plot_style():
        fig, (ax,) = _setup(None, 1, (8.0, 5.2))
        sc = ax.scatter(t["coverage"], t["density"], c=nres, cmap="viridis", s=28, zorder=3)
        ax.plot(t["coverage"], t["density"], color="#999999", lw=0.8, zorder=2)
        row = t[t["box"] == chosen].iloc[0]
        ax.scatter([row["coverage"]], [row["density"]], s=160, facecolors="none", edgecolors=WORSE,
                   lw=2, zorder=4, label=f"chosen box {chosen}: coverage {row['coverage']:.2f}, "
                                         f"density {row['density']:.2f}")
        cb = fig.colorbar(sc, ax=ax, shrink=0.8, pad=0.01)
        cb.set_label("inputs restricted")
        base = float(t["density"].iloc[0])
        ax.axhline(base, color="#777777", lw=0.8, ls="--")
        ax.annotate(f"share of bad cases overall: {base:.2f}", (0.01, base), xytext=(0, 4),
                    textcoords="offset points", fontsize=9, color="#555555")
        ax.set_xlabel("coverage (share of all bad cases inside the box)")
        ax.set_ylabel("density")
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(0, 1.02)
        ax.legend(loc="lower left", fontsize=9)
        _titles(ax, "PRIM peeling trajectory",
                "Each dot is a box, peeled from right to left; density = share of its cases that are bad")
        return _finish(fig, footer, True)


def box_figure(box: pd.DataFrame, footer: str | None = None) -> Any:
    """The chosen box's limits on each input's range (restricted inputs first), with the
    bootstrap intervals of each limit as whiskers."""
    b = box.sort_values("restricted", ascending=False, kind="stable").iloc[::-1]
    needed = (b["qp"] < 0.05) if "qp" in b.columns else b["restricted"]

    def fmt(name: str, v: float) -> str:
        return format_litres(v) if name.endswith("_l") or "_l_" in name else format_number(v, 3)

    with plot_style():
        fig, (ax,) = _setup(None, 1, (8.0, 1.8 + 0.55 * max(3, len(b))))
        for i, r in enumerate(b.itertuples(index=False)):
            span = (r.data_high - r.data_low) or 1.0

            def norm(v: float, r=r, span=span) -> float:
                return (v - r.data_low) / span

            ax.plot([0, 1], [i, i], color="#CCCCCC", lw=6, solid_capstyle="butt", zorder=1)
            color = (WORSE if needed.iloc[i] else "#F2B49B") if r.restricted else "#888888"
            ax.plot([norm(r.low), norm(r.high)], [i, i], color=color, lw=6, solid_capstyle="butt",
                    zorder=2)
            for lo_col, hi_col in (("low_lo", "low_hi"), ("high_lo", "high_hi")):
                if hasattr(r, lo_col) and np.isfinite(getattr(r, lo_col)):
                    ax.plot([norm(getattr(r, lo_col)), norm(getattr(r, hi_col))], [i + 0.22] * 2,
                            color="#333333", lw=1.2, marker="|", zorder=3)
            ax.text(norm(r.low), i - 0.3, fmt(r.input, r.low), ha="left", va="top", fontsize=8)
            ax.text(norm(r.high), i - 0.3, fmt(r.input, r.high), ha="right", va="top", fontsize=8)
        ax.set_yticks(range(len(b)), b["input"].tolist())
        ax.set_ylim(-0.8, len(b) - 0.4)
        ax.set_xlim(-0.05, 1.05)
        ax.set_xlabel("position in the sampled range (0 = lowest, 1 = highest)")
        _titles(ax, "Where the bad cases are: the PRIM box",
                "Red: restriction needed (quasi-p < 0.05); pale: restricted, not needed; "
                "whiskers: 90 % bootstrap intervals of each limit")
        return _finish(fig, footer, True)


def regret_figure(per_point: pd.DataFrame, ranking: pd.DataFrame, unit_scale: float = 1.0,
                  unit: str = "", footer: str | None = None) -> Any:
    """Regret of each lever at every uncertainty point (dots), its 90th percentile and maximum
    (bars), levers in the order of the minimax-regret ranking."""
    order = ranking["lever"].tolist()
    with plot_style():
        fig, (ax,) = _setup(None, 1, (8.0, 1.8 + 0.55 * max(3, len(order))))
        for i, lever in enumerate(order[::-1]):
            g = per_point[per_point["lever"] == lever]
            r = g["regret"].to_numpy(dtype=float) / unit_scale
            rk = ranking[ranking["lever"] == lever].iloc[0]
            ax.barh(i, rk["max_regret"] / unit_scale, height=0.6, color=corridor_color(None, i),
                    alpha=0.25)
            ax.plot([rk["p90_regret"] / unit_scale] * 2, [i - 0.3, i + 0.3], color="#333333", lw=1.5)
            jitter = (np.arange(len(r)) % 5 - 2) * 0.06
            ax.scatter(r, i + jitter, s=14, color="#333333", zorder=3)
        ax.set_yticks(range(len(order)), order[::-1])
        ax.set_xlabel(f"regret {unit}".strip())
        ax.axvline(0, color="#555555", lw=0.8)
        _titles(ax, "Robustness of the what-ifs: regret across the uncertainties",
                "Dots: each uncertainty point; bar: maximum regret; tick: 90th percentile")
        return _finish(fig, footer, True)

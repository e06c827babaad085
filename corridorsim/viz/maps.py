"""Corridor maps: the network drawn on lon/lat with country borders, edges coloured and sized
by a metric of the run (tankers lost per 1000 convoy-km, traffic, share of losses), simulated
attack locations and observed incidents.

:func:`corridor_map` returns a :class:`matplotlib.figure.Figure` (or draws into ``ax=``);
:func:`edge_metrics` is the per-edge table behind it; :func:`load_borders` reads the Natural
Earth borders shipped with the package (public domain).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..scenario.network import edge_key
from .layout import (
    _ATTACK_STYLE,
    ATTACK_KINDS,
    WARN,
    _bottom_legend,
    _finish,
    _n_reps,
    _setup,
    _titles,
)
from .style import (
    OKABE_ITO,
    corridor_color,
    corridor_order,
    plot_style,
)

__all__ = ["corridor_map", "edge_metrics", "load_borders", "MAP_METRICS"]

#: Metrics of :func:`corridor_map`: (column of :func:`edge_metrics`, colour bar label).
MAP_METRICS = {
    "loss_rate": ("loss_rate", "tankers lost per 1000 convoy-km"),
    "traffic": ("traffic", "movements per replication"),
    "loss_share": ("loss_share", "share of all tankers lost (%)"),
    "corridor": ("corridor", "corridor"),
}


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
        rows[edge_key(a, b)] = {"a": min(a, b), "b": max(a, b), "corridor": d.get("corridor", ""),
                                 "length_km": float(d.get("length_km", np.nan)),
                                 "passages": 0.0, "tankers_lost": 0.0}
    n = _n_reps(events, convoys, given=replications)
    if convoys is not None and len(convoys):
        moved = convoys[np.isfinite(pd.to_numeric(convoys["depart_h"], errors="coerce"))]
        for route, count in moved["route"].dropna().astype(str).value_counts().items():
            nodes = route.split(">")
            for u, v in zip(nodes, nodes[1:]):
                k = edge_key(u, v)
                if k in rows:
                    rows[k]["passages"] += count
    if events is not None and len(events):
        att = events[events["kind"].isin(ATTACK_KINDS)]
        grp = att.groupby([att["edge_from"].astype(str), att["edge_to"].astype(str)])["tankers_destroyed"].sum()
        for (u, v), lost in grp.items():
            k = edge_key(u, v)
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
        From :func:`corridorsim.scenario.network.build_network` (nodes with ``lat``/``lon``, edges with
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

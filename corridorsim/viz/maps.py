"""Corridor maps: the network drawn on lon/lat with country borders, edges coloured and sized
by a metric of the run (tankers lost per 1000 convoy-km, traffic, share of losses), simulated
attack locations on top of the roads, observed incidents, and a legend that says what each
corridor label is.

:func:`corridor_map` returns a :class:`matplotlib.figure.Figure` (or draws into ``ax=``); its
layers and the per-edge table are in :mod:`.map_layers`. May import :mod:`.layout`,
:mod:`.style` and :mod:`.map_layers`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

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
from .map_layers import (
    MAP_METRICS,
    corridor_chains,
    corridor_legend,
    degree_formatter,
    edge_metrics,
    label_spot,
    load_borders,
    place_labels,
    polygons,
    truncated_cmap,
)
from .style import OKABE_ITO, corridor_color, corridor_order, plot_style

__all__ = ["corridor_map", "edge_metrics", "load_borders", "MAP_METRICS"]

#: Drawing order of the map layers that must stay visible: simulated attacks above every road
#: layer (2-3) and the network's nodes (4), below observed incidents (7) and marked places (9).
_ATTACK_Z = 6
_TAG_Z = 5


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
        key = corridor_legend(graph, destination)
        # room under the map for the corridor key (two columns of 0.22 in lines), so that the
        # key does not shrink the map
        key_in = (0.22 * math.ceil(len(key) / 2) + (0.45 if metric != "corridor" else 0.0)
                  if key else 0.0)
        fig, (ax,) = _setup(ax, 1, (8.0, min(10.0, max(5.0, 6.4 * ratio + 2.8)) + key_in))
        ax.set_facecolor("#EAF2F8")  # sea / outside the outlines
        ax.grid(False)
        country_labels = []
        if borders is not False:
            gj = load_borders(None if borders is True else borders)
            for feat in gj.get("features", []):
                polys = polygons(feat.get("geometry") or {})
                for poly in polys:
                    ring = np.asarray(poly[0], dtype=float)
                    ax.fill(ring[:, 0], ring[:, 1], facecolor="#F6F3EC", edgecolor="#A39E93",
                            lw=0.8, zorder=0)
                name = (feat.get("properties") or {}).get("name", "")
                spot = label_spot(polys, xlim, ylim)
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
                what = key.get(c, "")
                handles.append(Line2D([], [], color=corridor_color(c, i), lw=3,
                                      label=f"{c}: {what}" if what else (c or "(none)")))
        else:
            col, cbar_label = MAP_METRICS[metric]
            vals = em[col].to_numpy(dtype=float)
            ok = np.isfinite(vals) & (vals > 0)
            if ok.any():
                vmax = float(np.nanmax(vals[ok]))
                norm = Normalize(vmin=0.0, vmax=vmax)
                cmap = (truncated_cmap("Blues", 0.35, 1.0) if metric == "traffic"
                        else truncated_cmap("YlOrRd", 0.3, 1.0))
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
            # on top of the roads (which are up to 7 pt wide): markers with a white rim, drawn
            # above every edge layer and below the marked places
            att = events[events["kind"].isin(ATTACK_KINDS)]
            for kind, (marker, label) in _ATTACK_STYLE.items():
                sub = att[att["kind"] == kind]
                if len(sub):
                    alpha = 0.9 if len(sub) < 60 else max(0.45, 0.9 * (60 / len(sub)) ** 0.5)
                    ax.scatter(sub["lon"], sub["lat"], marker=marker, s=34, color="#1A1A1A",
                               alpha=alpha, edgecolors="white", linewidths=0.6,
                               zorder=_ATTACK_Z)
                    handles.append(Line2D([], [], ls="none", marker=marker, color="#1A1A1A",
                                          mec="white", ms=8, label=f"simulated {label} ({len(sub)})"))
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
        from matplotlib.ticker import MaxNLocator

        # whole or half degrees, few enough that "12.5°W" labels never touch at 8 in
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_locator(MaxNLocator(nbins=7, steps=[1, 2, 5, 10]))
        ax.xaxis.set_major_formatter(degree_formatter("E", "W"))
        ax.yaxis.set_major_formatter(degree_formatter("N", "S"))
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
            sub += "; black markers = simulated attacks"
        if metric != "corridor":
            sub += "; letters = corridor labels"
            _corridor_tags(ax, graph, destination)
        _titles(ax, title or default_title, sub)
        legends = []
        if own:
            leg = _bottom_legend(fig, handles, fontsize=10.5, frameon=False, columnspacing=1.2,
                                 ncol=3 if metric != "corridor" else 2,
                                 title="corridor" if metric == "corridor" else None)
            legends.append(leg)
            if metric != "corridor" and key:
                blank = [Line2D([], [], alpha=0.0, label=f"{c}: {t}") for c, t in key.items()]
                kl = _bottom_legend(fig, blank, fontsize=9.5, frameon=False, ncol=2,
                                    handlelength=0, handletextpad=0, columnspacing=1.6,
                                    title="corridor labels", title_fontsize=10)
                kl._legend_box.align = "left"
                legends.append(kl)
        else:
            leg = ax.legend(handles=handles, loc="lower left", fontsize=9,
                            title="corridor" if metric == "corridor" else None)
        leg.set_zorder(10)
        _finish(fig, footer, own, bottom_legend=legends if own else None)
        # labels last, placed around the legend, the marked places, each other and the
        # country names
        fig.draw_without_rendering()
        avoid = [lg.get_window_extent() for lg in (legends or [leg])]
        avoid += [t.get_window_extent() for t in ax.texts]
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
        place_labels(ax, items, avoid)
        return fig




def _corridor_tags(ax: Any, graph: Any, destination: str | None) -> None:
    """The corridor label, in the corridor's colour, half-way along its longest road chain."""
    import matplotlib.patheffects as pe

    for i, c in enumerate(corridor_chains(graph, destination)):
        t = ax.text(c.mid_lon, c.mid_lat, c.label, ha="center", va="center", fontsize=10.5,
                    fontweight="bold", color=corridor_color(c.label, i), zorder=_TAG_Z)
        t.set_path_effects([pe.withStroke(linewidth=3.0, foreground="white")])

"""Map of observed incidents placed on the network (the ``incidents --plot`` figure).

Draws the network's edges, highlights those carrying a placed event, and marks each event by
its ``attack_kind`` (filled when placed on an edge, hollow when only the region is known). The
events come from :func:`corridorsim.observed.incident_matching.match_to_network`.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import networkx as nx
import pandas as pd

from ..atomic import atomic_write
from ..scenario.network import edge_key

__all__ = ["plot_incident_map"]

_KIND_STYLE = {"ambush": ("o", "crimson"), "ied": ("^", "darkorange"),
               "closure": ("s", "purple"), "other": ("D", "grey")}


def plot_incident_map(
    matched: pd.DataFrame,
    graph: nx.Graph,
    path: str | os.PathLike,
    title: str | None = None,
    label: bool = True,
) -> Path:
    """Map of the network and the events (written atomically as an image file).

    Edges are drawn grey with the edges carrying a placed event highlighted; events are marked
    by ``attack_kind`` (filled when placed on an edge, hollow for region-level and unplaced
    events) and labelled with their id. A thin line joins each placed event to its foot point.

    Parameters
    ----------
    matched : pandas.DataFrame
        From :func:`match_to_network` (with ``attack_kind`` if classified).
    graph : networkx.Graph
    path : str or path-like
        Image file; the format follows the extension (png, pdf, svg).
    title : str, optional
    label : bool
        Write the event ids next to the markers.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.0, 6.0))
    ax = fig.subplots()
    lons = [d["lon"] for _, d in graph.nodes(data=True)]
    lats = [d["lat"] for _, d in graph.nodes(data=True)]
    hit = set()
    if len(matched):
        sel = matched[matched["matched"].astype(bool)]
        hit = {(a, b) for a, b in zip(sel["edge_from"], sel["edge_to"])}
    for a, b in graph.edges:
        key = edge_key(a, b)
        ax.plot([graph.nodes[a]["lon"], graph.nodes[b]["lon"]],
                [graph.nodes[a]["lat"], graph.nodes[b]["lat"]],
                color="black" if key in hit else "#9a9a9a", lw=2.2 if key in hit else 1.2,
                zorder=1)
    ax.scatter(lons, lats, s=8, color="#444444", zorder=2)
    seen_kinds = set()
    for _, r in matched.iterrows():
        kind = r.get("attack_kind", "other") or "other"
        marker, colour = _KIND_STYLE.get(kind, _KIND_STYLE["other"])
        placed = bool(r.get("matched", False))
        x, y = r["longitude"], r["latitude"]
        if placed:
            a, b = r["edge_from"], r["edge_to"]
            t = float(r["share_along"])
            fx = graph.nodes[a]["lon"] + t * (graph.nodes[b]["lon"] - graph.nodes[a]["lon"])
            fy = graph.nodes[a]["lat"] + t * (graph.nodes[b]["lat"] - graph.nodes[a]["lat"])
            ax.plot([x, fx], [y, fy], color=colour, lw=0.8, zorder=3)
        ax.scatter([x], [y], marker=marker, s=70, zorder=4, linewidths=1.4,
                   facecolor=colour if placed else "none", edgecolor=colour,
                   label=kind if kind not in seen_kinds else None)
        seen_kinds.add(kind)
        if label:
            ax.annotate(str(r.get("event_id", "")), (x, y), xytext=(4, 4),
                        textcoords="offset points", fontsize=7, zorder=5)
        lons.append(x)
        lats.append(y)
    if lons:
        pad = 0.5
        ax.set_xlim(min(lons) - pad, max(lons) + pad)
        ax.set_ylim(min(lats) - pad, max(lats) + pad)
        mid = math.radians(0.5 * (min(lats) + max(lats)))
        ax.set_aspect(1.0 / max(math.cos(mid), 0.1))
    ax.set_xlabel("longitude (degrees)")
    ax.set_ylabel("latitude (degrees)")
    ax.set_title(title or "Observed events on the network (filled: placed on an edge)", fontsize=10)
    if seen_kinds:
        ax.legend(loc="best", fontsize=8, title="attack_kind", title_fontsize=8)
    ax.grid(alpha=0.25)
    fig.tight_layout()
    suffix = Path(path).suffix.lstrip(".") or "png"

    def write(tmp: Path) -> None:
        fig.savefig(tmp, dpi=110, format=suffix)

    return atomic_write(path, write)

"""The layers and helpers of corridor maps: country borders (the shipped Natural Earth
outlines), the per-edge traffic and loss table of a run, the corridor legend (each corridor
label with the places it joins), label placement and degree tick labels.

May import :mod:`.layout` and :mod:`.style`, numpy and pandas; matplotlib only inside
functions.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ..scenario.network import edge_key
from .layout import ATTACK_KINDS, _n_reps

__all__ = ["edge_metrics", "load_borders", "corridor_legend", "corridor_chains", "CorridorChain", "MAP_METRICS", "place_labels",
           "label_spot", "degree_formatter", "truncated_cmap", "polygons"]

#: Metrics of :func:`corridorsim.viz.maps.corridor_map`: (column of :func:`edge_metrics`,
#: colour bar label).
MAP_METRICS = {
    "loss_rate": ("loss_rate", "tankers lost per 1000 convoy-km"),
    "traffic": ("traffic", "movements per replication"),
    "loss_share": ("loss_share", "share of all tankers lost (%)"),
    "corridor": ("corridor", "corridor"),
}


def load_borders(source: Any = None) -> dict:
    """Country outlines as GeoJSON: the shipped Natural Earth file (default), a path, or a
    GeoJSON mapping."""
    if isinstance(source, Mapping):
        return dict(source)
    if source is None or source is True:
        path = resources.files("corridorsim") / "data" / "mali" / "borders_west_africa.geojson"
        return json.loads(path.read_text(encoding="utf-8"))
    return json.loads(Path(source).read_text(encoding="utf-8"))


def polygons(geom: Mapping) -> list[list]:
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


def truncated_cmap(name: str, lo: float, hi: float):
    import matplotlib
    from matplotlib.colors import LinearSegmentedColormap

    base = matplotlib.colormaps[name]
    return LinearSegmentedColormap.from_list(f"{name}_{lo}_{hi}", base(np.linspace(lo, hi, 256)))


def place_labels(ax: Any, items: list[tuple[float, float, str, dict]], avoid: list) -> None:
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


def label_spot(polys: list, xlim: tuple[float, float], ylim: tuple[float, float],
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


def degree_formatter(pos_suffix: str, neg_suffix: str):
    from matplotlib.ticker import FuncFormatter

    def fmt(v: float, _pos: Any = None) -> str:
        if abs(v) < 1e-9:
            return "0°"
        return f"{abs(v):g}°{pos_suffix if v > 0 else neg_suffix}"

    return FuncFormatter(fmt)


class CorridorChain(NamedTuple):
    """The longest road chain carrying a corridor label: its nodes in order (the end nearer
    the destination last), its length in km and the lon/lat of its half-way point."""

    label: str
    nodes: list
    length_km: float
    mid_lon: float
    mid_lat: float


def corridor_chains(graph: Any, destination: str | None = None) -> list[CorridorChain]:
    """For each corridor label of the network, its longest road chain (by ``length_km``).

    Edges without a label are left out; labels in the order of
    :func:`corridorsim.viz.style.corridor_order`. The chain's end nearer ``destination`` (by
    road) comes last; without one, the ends are in alphabetical order.
    """
    import networkx as nx

    from .style import corridor_order

    labels = corridor_order({d.get("corridor", "") for _, _, d in graph.edges(data=True)})
    to_dest: dict[str, float] = {}
    if destination is not None and destination in graph:
        to_dest = nx.single_source_dijkstra_path_length(graph, destination, weight="length_km")
    out = []
    for label in labels:
        if not label:
            continue
        sub = graph.edge_subgraph([(a, b) for a, b, d in graph.edges(data=True)
                                   if d.get("corridor", "") == label])
        best = (-1.0, None, None)
        for a, lengths in nx.all_pairs_dijkstra_path_length(sub, weight="length_km"):
            for b, km in lengths.items():
                if km > best[0]:
                    best = (float(km), a, b)
        km, a, b = best
        if a is None:
            continue
        if to_dest and to_dest.get(a, math.inf) < to_dest.get(b, math.inf):
            a, b = b, a
        elif not to_dest and str(a) > str(b):
            a, b = b, a
        path = nx.dijkstra_path(sub, a, b, weight="length_km")
        run = np.cumsum([0.0] + [float(sub.edges[u, v].get("length_km", 0.0))
                                 for u, v in zip(path, path[1:])])
        i = int(np.clip(np.searchsorted(run, km / 2) - 1, 0, max(0, len(path) - 2)))
        u, v = path[i], path[min(i + 1, len(path) - 1)]
        share = (km / 2 - run[i]) / (run[i + 1] - run[i]) if len(path) > 1 and run[i + 1] > run[i] else 0.5
        lon = graph.nodes[u]["lon"] + share * (graph.nodes[v]["lon"] - graph.nodes[u]["lon"])
        lat = graph.nodes[u]["lat"] + share * (graph.nodes[v]["lat"] - graph.nodes[u]["lat"])
        out.append(CorridorChain(label, path, km, float(lon), float(lat)))
    return out


def corridor_legend(graph: Any, destination: str | None = None) -> dict[str, str]:
    """What each corridor label of the network is:
    ``{"A": "Dakar – Bamako via Diboli", ...}``: the two ends of its longest road chain
    (:func:`corridor_chains`) and the stop nearest half-way along it (to tell parallel
    corridors apart).
    """
    out = {}
    for c in corridor_chains(graph, destination):
        a, b = c.nodes[0], c.nodes[-1]
        via = ""
        if len(c.nodes) > 2:
            lengths = np.cumsum([0.0] + [float(graph.edges[u, v].get("length_km", 0.0))
                                         for u, v in zip(c.nodes, c.nodes[1:])])
            mid = 1 + int(np.argmin(np.abs(lengths[1:-1] - c.length_km / 2)))
            via = f" via {_place(c.nodes[mid])}"
        out[c.label] = f"{_place(a)} – {_place(b)}{via}"
    return out


def _place(node: Any) -> str:
    return str(node).replace("_", " ")

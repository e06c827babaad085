"""Placing observed events on the corridor network: nearest edge, region, or nowhere.

:func:`match_to_network` puts each event on the nearest edge within a buffer (edge level), on a
threat region only (region-level events), or nowhere, and says which.

Geometry
--------
Geometry
--------
Edges are straight segments between their end nodes (the network has no road geometry). The
distance of an event to an edge is the great-circle distance from the event to its foot point
on the segment; the foot point is found by projecting the event on the segment in a local
equirectangular frame centred on the event (``x = R cos(lat0) dlon``, ``y = R dlat``), which is
exact to well under 1 % for segments of a few hundred km at these latitudes.

Part of the observed-data layer: imports NumPy, pandas, NetworkX and the scenario layer's
geography and edge keys.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import networkx as nx
import numpy as np
import pandas as pd

from ..scenario.geo import EARTH_RADIUS_KM
from ..scenario.network import edge_key

__all__ = ["MATCH_COLUMNS", "match_to_network"]

def _haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance, km, element-wise (degrees in, broadcasting)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def _point_segment(lat: np.ndarray, lon: np.ndarray, lat_a: np.ndarray, lon_a: np.ndarray,
                   lat_b: np.ndarray, lon_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance (km) of each point to each segment and the position on it (events x edges).

    Points have shape (n,), segment ends shape (m,); returns two (n, m) arrays: the
    great-circle distance to the foot point and the share of the way from end a to end b.
    """
    lat0 = lat[:, None]
    lon0 = lon[:, None]
    cos0 = np.cos(np.radians(lat0))
    k = math.pi / 180.0 * EARTH_RADIUS_KM

    def local(la, lo):
        dlon = (lo[None, :] - lon0 + 180.0) % 360.0 - 180.0
        return dlon * cos0 * k, (la[None, :] - lat0) * k

    ax, ay = local(lat_a, lon_a)
    bx, by = local(lat_b, lon_b)
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(length2 > 0, -(ax * dx + ay * dy) / length2, 0.0)
    t = np.clip(t, 0.0, 1.0) + 0.0  # no negative zero
    px, py = ax + t * dx, ay + t * dy
    foot_lat = lat0 + py / k
    foot_lon = lon0 + px / (k * np.maximum(cos0, 1e-12))
    return _haversine_km(lat0, lon0, foot_lat, foot_lon), t


MATCH_COLUMNS = ("edge_from", "edge_to", "corridor", "region", "distance_km", "share_along",
                  "matched", "match_level", "buffer_km", "tied_edges", "nearest_node",
                  "node_distance_km")


def match_to_network(
    df: pd.DataFrame,
    graph: nx.Graph,
    buffer_km: float = 25.0,
    precision2_factor: float = 2.0,
    tie_tolerance_km: float = 0.5,
    edge_weight: Mapping[tuple[str, str], float] | None = None,
) -> pd.DataFrame:
    """Place each event on the network: nearest edge within a buffer, or region only.

    Parameters
    ----------
    df : pandas.DataFrame
        Events with ``latitude``, ``longitude`` (degrees) and optionally ``geo_precision``
        (1 if absent) and ``region`` (a threat-region label given by the data).
    graph : networkx.Graph
        The scenario's network (:func:`~corridorsim.scenario.network.build_network`).
    buffer_km : float
        Largest distance from an edge for a precision-1 event to be placed on it, km.
    precision2_factor : float
        Precision-2 events (near a place, or placed at the midpoint between two places) use a
        buffer of ``precision2_factor * buffer_km``.
    tie_tolerance_km : float
        Edges within this distance of the nearest one count as tied (e.g. an event at a
        junction node is at distance 0 of every edge meeting there).
    edge_weight : mapping, optional
        Canonical edge key (:func:`~corridorsim.scenario.network.edge_key`) -> weight; among tied edges
        the one with the largest weight wins (e.g. the simulated traffic, so that an event at a
        junction goes to the busiest road). Without it, or on equal weights, the first edge in
        canonical (alphabetical) order wins.

    Returns
    -------
    pandas.DataFrame
        A copy of ``df`` with the columns:

        ``edge_from``, ``edge_to``
            The edge (canonical order: alphabetical), or missing.
        ``corridor``, ``region``
            The edge's corridor and threat region; region-level events have a region only.
        ``distance_km``
            Great-circle distance to the nearest edge (also for unplaced events).
        ``share_along``
            Position of the foot point on the edge, 0 at ``edge_from``, 1 at ``edge_to``.
        ``matched``
            True when the event is placed on an edge.
        ``match_level``
            ``"edge"``, ``"region"`` (precision-3 events: not forced onto an edge; region of
            the data's ``region`` column if given, else of the nearest node) or
            ``"unmatched"`` (farther than the buffer from every edge).
        ``buffer_km``
            The buffer used for the event.
        ``tied_edges``
            Number of edges within ``tie_tolerance_km`` of the nearest distance.
        ``nearest_node``, ``node_distance_km``
            The nearest node and its distance.
    """
    if buffer_km < 0 or precision2_factor <= 0 or tie_tolerance_km < 0:
        raise ValueError("buffer_km and tie_tolerance_km must be >= 0, precision2_factor > 0")
    out = df.copy()
    n = len(out)
    cols: dict[str, np.ndarray] = {
        "edge_from": np.full(n, None, dtype=object),
        "edge_to": np.full(n, None, dtype=object),
        "corridor": np.full(n, None, dtype=object),
        "region": np.full(n, None, dtype=object),
        "distance_km": np.full(n, np.nan),
        "share_along": np.full(n, np.nan),
        "matched": np.zeros(n, dtype=bool),
        "match_level": np.full(n, "unmatched", dtype=object),
        "buffer_km": np.full(n, np.nan),
        "tied_edges": np.zeros(n, dtype=np.int64),
        "nearest_node": np.full(n, None, dtype=object),
        "node_distance_km": np.full(n, np.nan),
    }
    given_region = (out["region"].fillna("").astype(str).str.strip().to_numpy(object)
                    if "region" in out.columns else np.full(n, "", dtype=object))
    if n:
        lat = out["latitude"].to_numpy(float)
        lon = out["longitude"].to_numpy(float)
        prec = (out["geo_precision"].to_numpy(np.int64) if "geo_precision" in out.columns
                else np.ones(n, dtype=np.int64))
        nodes = list(graph.nodes)
        if nodes:
            nlat = np.array([graph.nodes[v]["lat"] for v in nodes], dtype=float)
            nlon = np.array([graph.nodes[v]["lon"] for v in nodes], dtype=float)
            nd = _haversine_km(lat[:, None], lon[:, None], nlat[None, :], nlon[None, :])
            jn = np.argmin(nd, axis=1)
            cols["nearest_node"] = np.array([nodes[j] for j in jn], dtype=object)
            cols["node_distance_km"] = nd[np.arange(n), jn]
        keys = sorted(edge_key(a, b) for a, b in graph.edges)
        buffer = np.where(prec == 2, precision2_factor * buffer_km, buffer_km)
        cols["buffer_km"] = np.where(prec == 3, np.nan, buffer)
        if keys:
            la = np.array([graph.nodes[a]["lat"] for a, _ in keys], dtype=float)
            lo_a = np.array([graph.nodes[a]["lon"] for a, _ in keys], dtype=float)
            lb = np.array([graph.nodes[b]["lat"] for _, b in keys], dtype=float)
            lo_b = np.array([graph.nodes[b]["lon"] for _, b in keys], dtype=float)
            dist, share = _point_segment(lat, lon, la, lo_a, lb, lo_b)
            best = dist.min(axis=1)
            tied = dist <= best[:, None] + tie_tolerance_km
            cols["tied_edges"] = tied.sum(axis=1)
            if edge_weight is not None:
                w = np.array([float(edge_weight.get(k, 0.0)) for k in keys])
                score = np.where(tied, w[None, :], -np.inf)
                top = score.max(axis=1, keepdims=True)
                j = np.argmax(tied & (score == top), axis=1)
            else:
                j = np.argmax(tied, axis=1)
            rows = np.arange(n)
            cols["distance_km"] = dist[rows, j]
            on_edge = (prec != 3) & (dist[rows, j] <= buffer)
            for i in np.flatnonzero(on_edge):
                a, b = keys[j[i]]
                d = graph.edges[a, b]
                cols["edge_from"][i], cols["edge_to"][i] = a, b
                cols["corridor"][i] = d.get("corridor", "")
                cols["region"][i] = d.get("region", "")
                cols["share_along"][i] = share[i, j[i]]
            cols["matched"] = on_edge
            cols["match_level"] = np.where(on_edge, "edge", "unmatched").astype(object)
        for i in np.flatnonzero(prec == 3):
            region = given_region[i] or (
                graph.nodes[cols["nearest_node"][i]].get("region", "")
                if cols["nearest_node"][i] is not None else "")
            if region:
                cols["region"][i] = region
                cols["match_level"][i] = "region"
    for name in MATCH_COLUMNS:
        out[name] = cols[name]
    return out

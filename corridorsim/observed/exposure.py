"""Convoy-km of exposure from a simulated run: per edge, corridor or region, per period.

The denominator of an attack rate, the convoy-km driven on each edge, corridor or region in a
period, is not observed; it is taken from a simulated run of the scenario (its ``convoys``
table). :mod:`corridorsim.observed.rates` divides observed attacks by it.

Exposure from a run
-------------------
Each row of the convoys table has its ``route`` (``"A>B>C"``, the stops reached), ``depart_h``
and ``end_h``. Every consecutive pair of nodes is one traversal of that edge. Approximations:

* Only the legs a movement completed are in its route: the part of a leg driven before the
  movement was destroyed, turned back (and the drive back) or the run ended is not counted.
* To split exposure across calendar periods or clip it to a window, the movement's time from
  departure to end (delays included) is spread over its route edges in proportion to their
  travel times ``length_km / speed_kmh``, and each edge's km in proportion to time within it.
  In-transit movements (no ``end_h``) use the travel times alone.
* Exposure is summed over replications and divided by their number (the mean exposure of one
  run of the period).

Part of the observed-data layer: imports pandas, NumPy and the model layer's threat formulas,
never figures or the command line.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from ..errors import CorridorSimError
from ..model.threats import escort_strength
from ..scenario.network import edge_key

__all__ = [
    "DEFAULT_KINDS",
    "EDGE_KEYS",
    "parse_by",
    "count_replications",
    "infer_hour0",
    "hours_since",
    "edge_traversals",
    "split_at",
    "exposure_km",
]

#: Movement kinds of the convoys table counted as exposure by default: every loaded movement
#: that can be attacked, including the lots that leave a convoy for another destination.
DEFAULT_KINDS = ("convoy", "scheduled", "batch", "lot")
#: Grouping columns of a per-edge table.
EDGE_KEYS = ("edge_from", "edge_to", "corridor", "region")


def parse_by(by: str | Sequence[str]) -> tuple[str, ...]:
    """Grouping columns of ``by``: "edge", "corridor", "region" or "corridor,region"."""
    parts = re.split(r"[,+\s]+", by.strip()) if isinstance(by, str) else list(by)
    parts = [p for p in parts if p]
    bad = [p for p in parts if p not in ("edge", "corridor", "region")]
    if not parts or bad:
        raise ValueError(f"by={by!r}: expected 'edge', 'corridor', 'region' or "
                         "'corridor,region'")
    if "edge" in parts:
        return EDGE_KEYS
    return tuple(k for k in ("corridor", "region") if k in parts)



def count_replications(convoys: pd.DataFrame, replications: int | None) -> int:
    if replications is not None:
        if replications < 1:
            raise ValueError(f"replications must be >= 1, got {replications}")
        return int(replications)
    if "replication" in convoys.columns and len(convoys):
        return int(convoys["replication"].nunique())
    return 1


def infer_hour0(convoys: pd.DataFrame) -> pd.Timestamp | None:
    """Calendar time of hour 0 from the ``depart_datetime`` column of a run (to the minute)."""
    if "depart_datetime" not in convoys.columns or "depart_h" not in convoys.columns:
        return None
    stamps = pd.to_datetime(convoys["depart_datetime"], errors="coerce")
    hours = pd.to_numeric(convoys["depart_h"], errors="coerce")
    ok = stamps.notna() & hours.notna()
    if not ok.any():
        return None
    # the datetimes are truncated to the minute: the latest estimate is the closest one
    t0 = (stamps[ok] - pd.to_timedelta(hours[ok], unit="h")).max()
    return t0.round("min")


def edge_traversals(
    convoys: pd.DataFrame,
    graph: nx.Graph,
    kinds: Iterable[str] | None = DEFAULT_KINDS,
) -> pd.DataFrame:
    """One row per edge traversal in the routes of a convoys table.

    Parameters
    ----------
    convoys : pandas.DataFrame
        A run's convoys table (:mod:`corridorsim.model.records`). Needs ``route``; uses
        ``replication``, ``convoy_id``, ``kind``, ``depart_h``, ``end_h``, ``escort_units`` and
        ``tankers_start`` when present (defaults: 0, row number, all kinds, 0, none, 0, 1).
    graph : networkx.Graph
        The network the run used.
    kinds : iterable of str, optional
        Movement kinds kept (``None``: all).

    Returns
    -------
    pandas.DataFrame
        Columns ``replication``, ``convoy_id``, ``kind``, ``escorted`` (escort_units > 0),
        ``escort_strength`` (units per 10 tankers), ``edge_from``, ``edge_to`` (canonical,
        alphabetical order), ``corridor``, ``region``, ``km`` and ``t0_h``, ``t1_h`` (the time
        the movement is taken to spend on the edge, see the module docstring).

    Raises
    ------
    CorridorSimError
        A route names a pair of nodes that is not an edge of ``graph``.
    """
    if "route" not in convoys.columns:
        raise CorridorSimError("convoys table has no 'route' column")
    c = convoys
    if kinds is not None and "kind" in c.columns:
        c = c[c["kind"].isin(tuple(kinds))]
    n = len(c)

    def column(name: str, default) -> np.ndarray:
        if name in c.columns:
            return c[name].to_numpy()
        return np.full(n, default)

    routes = c["route"].fillna("").astype(str).to_numpy()
    edge_rows: dict[str, tuple[list[tuple[str, str]], np.ndarray, np.ndarray]] = {}
    for route in dict.fromkeys(routes):
        nodes = [v for v in route.split(">") if v]
        keys, kms, times = [], [], []
        for a, b in zip(nodes, nodes[1:]):
            if a == b:
                continue
            if not graph.has_edge(a, b):
                raise CorridorSimError(f"route {route!r}: {a}-{b} is not an edge of the network; "
                                       "was the run made on another network?")
            d = graph.edges[a, b]
            keys.append(edge_key(a, b))
            kms.append(float(d["length_km"]))
            times.append(float(d.get("time_h", d["length_km"] / d.get("speed_kmh", 1.0))))
        edge_rows[route] = (keys, np.array(kms, dtype=float), np.array(times, dtype=float))

    counts = np.array([len(edge_rows[r][0]) for r in routes], dtype=np.int64)
    rep = np.repeat(np.arange(n), counts)
    cols = [
        "replication", "convoy_id", "kind", "escorted", "escort_strength", *EDGE_KEYS,
        "km", "t0_h", "t1_h",
    ]
    if not len(rep):
        return pd.DataFrame({k: pd.Series(dtype=float if k in ("km", "t0_h", "t1_h",
                                                                "escort_strength") else object)
                             for k in cols})
    keys = [k for r in routes for k in edge_rows[r][0]]
    km = np.concatenate([edge_rows[r][1] for r in routes])
    time_h = np.concatenate([edge_rows[r][2] for r in routes])
    # position of each traversal in its route: cumulative travel time before and after it
    total = np.zeros(n)
    before = np.empty(len(rep))
    pos = 0
    for i, r in enumerate(routes):
        t = edge_rows[r][2]
        if len(t):
            total[i] = t.sum()
            before[pos:pos + len(t)] = np.concatenate(([0.0], np.cumsum(t)[:-1]))
            pos += len(t)
    depart = column("depart_h", 0.0).astype(float)
    end = column("end_h", np.nan).astype(float)
    duration = np.where(np.isfinite(end), end - depart, total)
    duration = np.where(duration > 0, duration, total)
    scale = np.divide(duration, total, out=np.ones(n), where=total > 0)
    t0 = depart[rep] + before * scale[rep]
    t1 = t0 + time_h * scale[rep]
    units = column("escort_units", 0).astype(float)
    strength = escort_strength(units, column("tankers_start", 1).astype(float))
    attrs = [graph.edges[k] for k in keys]
    out = pd.DataFrame({
        "replication": column("replication", 0)[rep],
        "convoy_id": column("convoy_id", 0)[rep] if "convoy_id" in c.columns else rep,
        "kind": column("kind", "")[rep],
        "escorted": units[rep] > 0,
        "escort_strength": strength[rep],
        "edge_from": [k[0] for k in keys],
        "edge_to": [k[1] for k in keys],
        "corridor": [str(d.get("corridor", "")) for d in attrs],
        "region": [str(d.get("region", "")) for d in attrs],
        "km": km,
        "t0_h": t0,
        "t1_h": t1,
    })
    return out


def split_at(trav: pd.DataFrame, bounds_h: Sequence[float]) -> pd.DataFrame:
    """Split traversals at the times ``bounds_h`` (sorted, hours), km in proportion to time.

    Adds ``bin``: 0 before ``bounds_h[0]``, ``i`` between ``bounds_h[i-1]`` and ``bounds_h[i]``,
    ``len(bounds_h)`` after the last bound. A traversal of zero duration goes whole to the bin
    holding its time.
    """
    edges = np.concatenate(([-np.inf], np.asarray(bounds_h, dtype=float), [np.inf]))
    t0 = trav["t0_h"].to_numpy(float)
    t1 = trav["t1_h"].to_numpy(float)
    if not np.all(np.isfinite(t0) & np.isfinite(t1)):
        raise CorridorSimError("convoys table: a movement with a route has no departure time")
    i0 = np.searchsorted(edges, t0, side="right") - 1
    i1 = np.maximum(np.searchsorted(edges, t1, side="left") - 1, i0)
    counts = i1 - i0 + 1
    rep = np.repeat(np.arange(len(trav)), counts)
    offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))
    b = i0[rep] + (np.arange(len(rep)) - offsets[rep])
    lo = np.maximum(t0[rep], edges[b])
    hi = np.minimum(t1[rep], edges[b + 1])
    dur = (t1 - t0)[rep]
    share = np.divide(hi - lo, dur, out=np.ones(len(rep)), where=dur > 0)
    out = trav.iloc[rep].reset_index(drop=True)
    out["km"] = out["km"].to_numpy(float) * share
    out["t0_h"], out["t1_h"] = lo, hi
    out["share"] = share
    out["bin"] = b
    return out


def hours_since(when: Any, t0: pd.Timestamp) -> float:
    return (pd.Timestamp(when) - t0) / pd.Timedelta(hours=1)



def exposure_km(
    convoys: pd.DataFrame,
    graph: nx.Graph,
    by: str | Sequence[str] = "edge",
    period: str | None = None,
    start: dt.datetime | str | None = None,
    kinds: Iterable[str] | None = DEFAULT_KINDS,
    escort: str = "all",
    window: tuple[Any, Any] | None = None,
    replications: int | None = None,
) -> pd.DataFrame:
    """Convoy-km of exposure per edge, corridor or region, mean per replication.

    Parameters
    ----------
    convoys : pandas.DataFrame
        A run's convoys table (see :func:`edge_traversals`).
    graph : networkx.Graph
        The network of the run.
    by : str or sequence of str
        ``"edge"``, ``"corridor"``, ``"region"`` or both of the last two
        (``"corridor,region"`` or ``("corridor", "region")``).
    period : str, optional
        A pandas period frequency (``"M"`` month, ``"W"`` week, ``"D"`` day): exposure per
        calendar period as well, split by the time-share approximation of the module docstring.
    start : datetime or str, optional
        Calendar time of hour 0 (the scenario start); needed for ``period`` and ``window``.
        Default: inferred from the table's ``depart_datetime`` column (to the minute).
    kinds : iterable of str, optional
        Movement kinds counted (default all: ``convoy``, ``scheduled``, ``batch``).
    escort : {"all", "escorted", "unescorted", "split"}
        Keep all movements, only those with an escort (``escort_units > 0``), only those
        without, or all with an ``escorted`` column in the grouping.
    window : (start, end), optional
        Only exposure in this calendar window (end exclusive).
    replications : int, optional
        Number of replications to average over; default the number of distinct values of the
        ``replication`` column (of the whole table, before filtering).

    Returns
    -------
    pandas.DataFrame
        Grouping columns (``edge_from``, ``edge_to``, ``corridor``, ``region``, ``length_km``
        for edges), ``period`` (e.g. ``"2025-09"``) with ``period``, ``escorted`` with
        ``escort="split"``, then ``exposure_km`` (convoy-km per replication) and
        ``traversals`` (edge traversals per replication, fractional when split). Only groups
        with exposure are listed.
    """
    keys = list(parse_by(by))
    if escort not in ("all", "escorted", "unescorted", "split"):
        raise ValueError(f"escort={escort!r}: expected all, escorted, unescorted or split")
    n_rep = count_replications(convoys, replications)
    trav = edge_traversals(convoys, graph, kinds)
    if escort == "escorted":
        trav = trav[trav["escorted"]]
    elif escort == "unescorted":
        trav = trav[~trav["escorted"]]
    trav = trav.assign(share=1.0)
    if period is not None or window is not None:
        t0 = pd.Timestamp(start) if start is not None else infer_hour0(convoys)
        if t0 is None:
            raise ValueError("period and window need start (the calendar time of hour 0)")
        if window is not None and len(trav):
            lo_h, hi_h = hours_since(window[0], t0), hours_since(window[1], t0)
            trav = split_at(trav, [lo_h, hi_h])
            trav = trav[trav["bin"] == 1].drop(columns="bin")
        if period is not None and len(trav):
            first = t0 + pd.to_timedelta(trav["t0_h"].min(), unit="h")
            last = t0 + pd.to_timedelta(trav["t1_h"].max(), unit="h")
            periods = pd.period_range(first, last, freq=period)
            bounds = [hours_since(p.start_time, t0) for p in periods[1:]]
            trav = split_at(trav.drop(columns="share"), bounds)
            trav["period"] = [str(periods[b]) for b in trav["bin"]]
        elif period is not None:
            trav = trav.assign(period=pd.Series(dtype=object))
        if period is not None:
            keys.append("period")
    if escort == "split":
        keys.append("escorted")
    grouped = (trav.groupby(keys, sort=True, dropna=False)
               .agg(exposure_km=("km", "sum"), traversals=("share", "sum"))
               .reset_index())
    grouped = grouped[grouped["exposure_km"] > 0].reset_index(drop=True)
    grouped["exposure_km"] /= n_rep
    grouped["traversals"] /= n_rep
    if keys[:4] == list(EDGE_KEYS):
        grouped.insert(4, "length_km", [float(graph.edges[a, b]["length_km"])
                                        for a, b in zip(grouped["edge_from"], grouped["edge_to"])])
    return grouped

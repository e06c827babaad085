"""Attack rates per 1000 convoy-km from observed incidents and simulated exposure.

The threat rules of a scenario (``ambush_rate_per_1000km``, ``ied_rate_per_1000km``) are
rates in convoy-km. Observed attacks give the numerator; the denominator, the convoy-km driven
on each edge, corridor or region in the same period, is not observed and is taken from a
simulated run of the scenario (its ``convoys`` table).

Model
-----
For a group ``g`` (an edge, a corridor, a region, or a corridor within a region) with ``k_g``
observed attacks of one kind and exposure ``E_g`` convoy-km::

    k_g ~ Poisson(lambda_g * E_g / 1000)          lambda_g: attacks per 1000 convoy-km
    lambda_g ~ Gamma(shape a0, rate b0)            prior, b0 in units of 1000 convoy-km
    lambda_g | k_g ~ Gamma(a0 + k_g, b0 + E_g / 1000)

The default prior ``a0 = 0.5``, ``b0 = 0.001`` is Jeffreys-like: shape 1/2 and a pseudo-exposure
of 1 convoy-km, so the data dominate as soon as a group has a few hundred convoy-km of traffic.
Posterior means, medians and equal-tailed 90 % and 95 % credible intervals are reported.

What the rate means
-------------------
Observed attacks hit the traffic as it was: mostly escorted convoys (whose attack rate the
escort lowers by the deterrence factor ``D(s)``) in a period with phase multipliers ``M(t)``.
By default the estimated rate is the *effective* rate for the traffic mix observed, an
approximation of the scenario's base rate (unescorted, multiplier 1) that is too low by the
mean deterrence factor and too high by the mean phase multiplier. With ``correct_for_escort``
and ``correct_for_phases`` the exposure of each edge traversal is weighted by the hazard factor
the engine applies to it, ``E_eff = sum(km * D(s) * M(t))``, which turns the estimate into a
base rate in the scenario's own sense (deterrence factor from each convoy's escort strength at
departure, via :func:`corridorsim.model.threats.deterrence_factor`).

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
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import yaml
from scipy import stats

from ..atomic import atomic_write
from ..errors import CorridorSimError, ScenarioError
from ..model.threats import deterrence_factor, escort_strength, phase_boundaries_h, phase_multipliers
from ..scenario.network import edge_key
from ..scenario.schema import Deterrence, Scenario
from .incidents import classify, match_to_network, read_incidents
from .text_table import format_text_table

__all__ = [
    "DEFAULT_KINDS",
    "STATISTICS",
    "edge_traversals",
    "exposure_km",
    "gamma_poisson_rates",
    "estimate_threat_rates",
    "threat_block",
    "write_threat_block",
    "format_rates_table",
    "Calibration",
    "estimate_from_scenario",
]

#: Movement kinds of the convoys table counted as exposure by default.
DEFAULT_KINDS = ("convoy", "scheduled", "batch")
#: Posterior statistics that :func:`threat_block` can write, and their column.
STATISTICS = {
    "mean": "mean_per_1000km",
    "median": "median_per_1000km",
    "ci90_low": "ci90_low_per_1000km",
    "ci90_high": "ci90_high_per_1000km",
    "ci95_low": "ci95_low_per_1000km",
    "ci95_high": "ci95_high_per_1000km",
}
_EDGE_KEYS = ("edge_from", "edge_to", "corridor", "region")
_ATTACKS = ("ambush", "ied")


def _parse_by(by: str | Sequence[str]) -> tuple[str, ...]:
    """Grouping columns of ``by``: "edge", "corridor", "region" or "corridor,region"."""
    parts = re.split(r"[,+\s]+", by.strip()) if isinstance(by, str) else list(by)
    parts = [p for p in parts if p]
    bad = [p for p in parts if p not in ("edge", "corridor", "region")]
    if not parts or bad:
        raise ValueError(f"by={by!r}: expected 'edge', 'corridor', 'region' or "
                         "'corridor,region'")
    if "edge" in parts:
        return _EDGE_KEYS
    return tuple(k for k in ("corridor", "region") if k in parts)


# --------------------------------------------------------------------------------------------
# Exposure
# --------------------------------------------------------------------------------------------


def _replications(convoys: pd.DataFrame, replications: int | None) -> int:
    if replications is not None:
        if replications < 1:
            raise ValueError(f"replications must be >= 1, got {replications}")
        return int(replications)
    if "replication" in convoys.columns and len(convoys):
        return int(convoys["replication"].nunique())
    return 1


def _infer_t0(convoys: pd.DataFrame) -> pd.Timestamp | None:
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
        "replication", "convoy_id", "kind", "escorted", "escort_strength", *_EDGE_KEYS,
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


def _split(trav: pd.DataFrame, bounds_h: Sequence[float]) -> pd.DataFrame:
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


def _hours(when: Any, t0: pd.Timestamp) -> float:
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
    keys = list(_parse_by(by))
    if escort not in ("all", "escorted", "unescorted", "split"):
        raise ValueError(f"escort={escort!r}: expected all, escorted, unescorted or split")
    n_rep = _replications(convoys, replications)
    trav = edge_traversals(convoys, graph, kinds)
    if escort == "escorted":
        trav = trav[trav["escorted"]]
    elif escort == "unescorted":
        trav = trav[~trav["escorted"]]
    trav = trav.assign(share=1.0)
    if period is not None or window is not None:
        t0 = pd.Timestamp(start) if start is not None else _infer_t0(convoys)
        if t0 is None:
            raise ValueError("period and window need start (the calendar time of hour 0)")
        if window is not None and len(trav):
            lo_h, hi_h = _hours(window[0], t0), _hours(window[1], t0)
            trav = _split(trav, [lo_h, hi_h])
            trav = trav[trav["bin"] == 1].drop(columns="bin")
        if period is not None and len(trav):
            first = t0 + pd.to_timedelta(trav["t0_h"].min(), unit="h")
            last = t0 + pd.to_timedelta(trav["t1_h"].max(), unit="h")
            periods = pd.period_range(first, last, freq=period)
            bounds = [_hours(p.start_time, t0) for p in periods[1:]]
            trav = _split(trav.drop(columns="share"), bounds)
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
    if keys[:4] == list(_EDGE_KEYS):
        grouped.insert(4, "length_km", [float(graph.edges[a, b]["length_km"])
                                        for a, b in zip(grouped["edge_from"], grouped["edge_to"])])
    return grouped


# --------------------------------------------------------------------------------------------
# Gamma-Poisson model
# --------------------------------------------------------------------------------------------


def gamma_poisson_rates(
    counts,
    exposure_km,
    prior_shape: float = 0.5,
    prior_rate_per_1000km: float = 1e-3,
) -> pd.DataFrame:
    """Gamma-Poisson posterior of attack rates per 1000 convoy-km.

    With ``k`` events in ``E`` convoy-km and the prior ``Gamma(a0, b0)``::

        posterior shape a = a0 + k,   posterior rate b = b0 + E / 1000
        mean = a / b,  median and credible bounds = gamma.ppf(q, a, scale=1 / b)

    Parameters
    ----------
    counts : int or array-like
        Observed events per group (integers >= 0).
    exposure_km : float or array-like
        Exposure per group, convoy-km (>= 0), broadcast against ``counts``.
    prior_shape : float
        Prior shape ``a0`` (> 0). The default 0.5 is the Jeffreys prior's shape.
    prior_rate_per_1000km : float
        Prior rate parameter ``b0`` (>= 0) in units of 1000 convoy-km, i.e. the prior is worth
        ``1000 * b0`` convoy-km of pseudo-exposure. The default 1e-3 (one convoy-km) makes the
        prior nearly flat: the posterior is the Jeffreys posterior for any real exposure. The
        prior mean of the rate is ``a0 / b0`` per 1000 convoy-km. To bring in earlier knowledge
        ("about r per 1000 km, worth E0 km of data") use ``a0 = r * E0 / 1000``,
        ``b0 = E0 / 1000``.

    Returns
    -------
    pandas.DataFrame
        Columns ``events``, ``exposure_km``, ``posterior_shape``, ``posterior_rate_1000km``,
        ``mean_per_1000km``, ``median_per_1000km``, ``ci90_low_per_1000km``,
        ``ci90_high_per_1000km``, ``ci95_low_per_1000km``, ``ci95_high_per_1000km``; the index
        of ``counts`` if it is a Series.

    Raises
    ------
    ValueError
        Negative or non-integer counts, negative exposure, a non-positive prior shape, a
        negative prior rate, or a group whose posterior rate is 0 (no exposure and ``b0 = 0``).
    """
    index = counts.index if isinstance(counts, pd.Series) else None
    k = np.asarray(counts, dtype=float)
    e = np.asarray(exposure_km, dtype=float)
    k, e = np.broadcast_arrays(np.atleast_1d(k), np.atleast_1d(e))
    if not (np.all(np.isfinite(k)) and np.all(k >= 0) and np.all(k == np.round(k))):
        raise ValueError("counts must be integers >= 0")
    if not (np.all(np.isfinite(e)) and np.all(e >= 0)):
        raise ValueError("exposure_km must be finite and >= 0")
    if not (prior_shape > 0 and math.isfinite(prior_shape)):
        raise ValueError(f"prior_shape must be > 0, got {prior_shape}")
    if not (prior_rate_per_1000km >= 0 and math.isfinite(prior_rate_per_1000km)):
        raise ValueError(f"prior_rate_per_1000km must be >= 0, got {prior_rate_per_1000km}")
    a = prior_shape + k
    b = prior_rate_per_1000km + e / 1000.0
    if np.any(b <= 0):
        raise ValueError("a group has no exposure and the prior rate is 0: the posterior is "
                         "improper; use prior_rate_per_1000km > 0")
    scale = 1.0 / b
    out = pd.DataFrame({
        "events": k.astype(np.int64),
        "exposure_km": e,
        "posterior_shape": a,
        "posterior_rate_1000km": b,
        "mean_per_1000km": a * scale,
        "median_per_1000km": stats.gamma.ppf(0.5, a, scale=scale),
        "ci90_low_per_1000km": stats.gamma.ppf(0.05, a, scale=scale),
        "ci90_high_per_1000km": stats.gamma.ppf(0.95, a, scale=scale),
        "ci95_low_per_1000km": stats.gamma.ppf(0.025, a, scale=scale),
        "ci95_high_per_1000km": stats.gamma.ppf(0.975, a, scale=scale),
    })
    if index is not None and len(index) == len(out):
        out.index = index
    return out


# --------------------------------------------------------------------------------------------
# Estimation
# --------------------------------------------------------------------------------------------


def _phase_multipliers(pieces: pd.DataFrame, scenario: Scenario, kind: str) -> np.ndarray:
    """Product of the phase multipliers (and the scenario-wide factor) at each piece's middle."""
    mid = 0.5 * (pieces["t0_h"].to_numpy(float) + pieces["t1_h"].to_numpy(float))
    return phase_multipliers(scenario, kind, mid, pieces["corridor"].to_numpy(object),
                             pieces["region"].to_numpy(object),
                             base=float(getattr(scenario.threats, f"{kind}_multiplier")))


def estimate_threat_rates(
    incidents: pd.DataFrame,
    convoys: pd.DataFrame,
    graph: nx.Graph,
    by: str | Sequence[str] = "corridor",
    start: dt.datetime | str | None = None,
    end: dt.datetime | str | None = None,
    *,
    scenario: Scenario | None = None,
    t0: dt.datetime | str | None = None,
    replications: int | None = None,
    kinds: Iterable[str] | None = DEFAULT_KINDS,
    correct_for_escort: bool = False,
    correct_for_phases: bool = False,
    deterrence: Deterrence | None = None,
    prior_shape: float = 0.5,
    prior_rate_per_1000km: float = 1e-3,
) -> pd.DataFrame:
    """Ambush and IED rates per 1000 convoy-km per group: observed counts over simulated exposure.

    The estimate is, by default, the *effective* rate for the traffic mix observed (escorted
    convoys with their deterrence, in the phases of the window): an approximation of the base
    rate that a threat rule means. ``correct_for_escort`` and ``correct_for_phases`` weight each
    traversal's km by the hazard factor the engine applies to it (deterrence factor of the
    movement's escort strength; phase and scenario-wide multipliers at its time), which makes
    the estimate a base rate (unescorted, multiplier 1) of the scenario's model.

    Parameters
    ----------
    incidents : pandas.DataFrame
        Matched events (:func:`~corridorsim.observed.incidents.match_to_network`), classified or not.
        Events of kind ``ambush`` and ``ied`` dated in the window are counted: for groupings by
        edge or corridor those placed on an edge, for ``by="region"`` also region-level events.
    convoys : pandas.DataFrame
        Convoys table of a run of the scenario (the exposure).
    graph : networkx.Graph
        The network of the run (and of the matching).
    by : str or sequence of str
        ``"edge"``, ``"corridor"``, ``"region"`` or ``"corridor,region"``.
    start, end : datetime or str, optional
        Window (end exclusive) for both the events and the exposure. Default: the scenario's
        start and end if ``scenario`` is given, else the span of the run.
    scenario : Scenario, optional
        The scenario of the run: gives hour 0, the default window, the deterrence parameters
        and the phases. Required for ``correct_for_phases``.
    t0 : datetime or str, optional
        Calendar time of hour 0 without ``scenario`` (default: inferred from the run).
    replications : int, optional
        Replications to average the exposure over (default: those in ``convoys``).
    kinds : iterable of str, optional
        Movement kinds counted as exposure.
    correct_for_escort : bool
        Weight exposure by the deterrence factor of each movement (see above).
    correct_for_phases : bool
        Weight exposure by the phase and scenario-wide multipliers (needs ``scenario``).
    deterrence : Deterrence, optional
        Deterrence parameters (default: the scenario's, else the engine defaults).
    prior_shape, prior_rate_per_1000km : float
        Prior of :func:`gamma_poisson_rates`.

    Returns
    -------
    pandas.DataFrame
        One row per group and attack kind: the grouping columns, ``kind`` (``ambush`` /
        ``ied``), ``events``, ``exposure_km`` (convoy-km per replication in the window),
        ``hazard_factor`` (mean factor applied to the exposure, 1 without corrections),
        ``effective_exposure_km`` (= exposure_km x hazard_factor, the exposure used) and the
        posterior columns of :func:`gamma_poisson_rates`. Groups with events but no exposure
        are listed (their posterior is the prior). ``attrs`` holds the window, prior,
        corrections, grouping and the ids of attack events not counted.
    """
    keys = list(_parse_by(by))
    if correct_for_phases and scenario is None:
        raise ValueError("correct_for_phases needs the scenario (its phases)")
    if scenario is not None:
        hour0 = pd.Timestamp(scenario.start)
    elif t0 is not None:
        hour0 = pd.Timestamp(t0)
    else:
        hour0 = _infer_t0(convoys)
        if hour0 is None:
            raise ValueError("give scenario or t0 (the calendar time of hour 0)")
    det = deterrence or (scenario.threats.deterrence if scenario is not None else Deterrence())
    n_rep = _replications(convoys, replications)
    trav = edge_traversals(convoys, graph, kinds)
    if start is None:
        start = scenario.start if scenario is not None else hour0 + pd.to_timedelta(
            float(trav["t0_h"].min()) if len(trav) else 0.0, unit="h")
    if end is None:
        end = scenario.end if scenario is not None else hour0 + pd.to_timedelta(
            float(trav["t1_h"].max()) if len(trav) else 0.0, unit="h")
    win_start, win_end = pd.Timestamp(start), pd.Timestamp(end)
    if win_end <= win_start:
        raise ValueError(f"end ({win_end}) must be after start ({win_start})")

    # ---- exposure in the window, with the hazard factor of each piece
    lo_h, hi_h = _hours(win_start, hour0), _hours(win_end, hour0)
    bounds = {lo_h, hi_h}
    if correct_for_phases:
        bounds.update(phase_boundaries_h(scenario))
    pieces = _split(trav, sorted(bounds)) if len(trav) else trav.assign(share=1.0)
    if len(pieces):
        mid = 0.5 * (pieces["t0_h"] + pieces["t1_h"])
        pieces = pieces[(mid >= lo_h) & (mid < hi_h) & (pieces["km"] > 0)]
    weight = {kind: pieces["km"].to_numpy(float).copy() for kind in _ATTACKS}
    if correct_for_escort and len(pieces):
        s = pieces["escort_strength"].to_numpy(float)
        factor = deterrence_factor(s, det.rate_floor, det.rate_scale)
        for kind in _ATTACKS:
            weight[kind] *= factor
    if correct_for_phases and len(pieces):
        for kind in _ATTACKS:
            weight[kind] *= _phase_multipliers(pieces, scenario, kind)
    pieces = pieces.assign(w_ambush=weight["ambush"], w_ied=weight["ied"])
    exposure = (pieces.groupby(keys, sort=True)[["km", "w_ambush", "w_ied"]].sum() / n_rep
                if len(pieces) else pd.DataFrame(columns=["km", "w_ambush", "w_ied"]))

    # ---- observed events in the window
    inc = incidents if "attack_kind" in incidents.columns else classify(incidents)
    if "match_level" not in inc.columns:
        raise ValueError("incidents are not matched to the network: use match_to_network first")
    attacks = inc[inc["attack_kind"].isin(_ATTACKS)]
    dates = pd.to_datetime(attacks["event_date"])
    in_window = (dates >= win_start) & (dates < win_end)
    levels = ("edge", "region") if keys == ["region"] else ("edge",)
    placed = attacks["match_level"].isin(levels)
    used = attacks[in_window & placed]
    counts = (used.groupby([*keys, "attack_kind"]).size().unstack("attack_kind", fill_value=0)
              if len(used) else pd.DataFrame())
    if len(counts) and len(exposure):
        groups = exposure.index.union(counts.index)
    else:
        groups = counts.index if len(counts) else exposure.index

    rows = []
    for g in groups:
        g_t = g if isinstance(g, tuple) else (g,)
        for kind in _ATTACKS:
            k = int(counts.loc[g, kind]) if len(counts) and g in counts.index and kind in counts else 0
            km = float(exposure.loc[g, "km"]) if g in exposure.index else 0.0
            eff = float(exposure.loc[g, f"w_{kind}"]) if g in exposure.index else 0.0
            rows.append((*g_t, kind, k, km, eff / km if km > 0 else 1.0, eff))
    table = pd.DataFrame(rows, columns=[*keys, "kind", "events", "exposure_km", "hazard_factor",
                                        "effective_exposure_km"])
    post = gamma_poisson_rates(table["events"].to_numpy(), table["effective_exposure_km"].to_numpy(),
                               prior_shape, prior_rate_per_1000km)
    table = pd.concat([table, post.drop(columns=["events", "exposure_km"])], axis=1)
    table.attrs.update({
        "by": keys,
        "window_start": win_start.isoformat(),
        "window_end": win_end.isoformat(),
        "replications": n_rep,
        "kinds": list(kinds) if kinds is not None else None,
        "prior_shape": prior_shape,
        "prior_rate_per_1000km": prior_rate_per_1000km,
        "correct_for_escort": bool(correct_for_escort),
        "correct_for_phases": bool(correct_for_phases),
        "events_counted": {kind: int((used["attack_kind"] == kind).sum()) for kind in _ATTACKS},
        "events_outside_window": sorted(map(str, attacks.loc[~in_window, "event_id"]))
        if "event_id" in attacks.columns else [],
        "events_not_placed": sorted(map(str, attacks.loc[in_window & ~placed, "event_id"]))
        if "event_id" in attacks.columns else [],
    })
    if scenario is not None:
        table.attrs["scenario"] = scenario.name
    return table


# --------------------------------------------------------------------------------------------
# Threat blocks
# --------------------------------------------------------------------------------------------


def _sig(x: float, digits: int = 4) -> float:
    """``x`` rounded to ``digits`` significant digits."""
    if x == 0 or not math.isfinite(x):
        return float(x)
    return float(round(x, digits - 1 - int(math.floor(math.log10(abs(x))))))


def _group_keys(rates: pd.DataFrame) -> list[str]:
    if all(k in rates.columns for k in _EDGE_KEYS):
        return list(_EDGE_KEYS)
    keys = [k for k in ("corridor", "region") if k in rates.columns]
    if not keys:
        raise ValueError("rates table has no grouping columns (edge_from/edge_to, corridor, region)")
    return keys


def _selector(keys: list[str], values: tuple) -> dict[str, Any]:
    if keys == list(_EDGE_KEYS):
        return {"edges": [[str(values[0]), str(values[1])]]}
    return {k: str(v) for k, v in zip(keys, values)}


def _rule_groups(rates: pd.DataFrame, kind: str):
    """(keys, [(group values, {attack kind: row})]) of the rates table, in table order."""
    if kind not in STATISTICS:
        raise ValueError(f"kind={kind!r}: expected one of {', '.join(STATISTICS)}")
    keys = _group_keys(rates)
    out: dict[tuple, dict[str, pd.Series]] = {}
    for _, row in rates.iterrows():
        g = tuple(row[k] for k in keys)
        out.setdefault(g, {})[row["kind"]] = row
    return keys, list(out.items())


def threat_block(rates: pd.DataFrame, kind: str = "mean") -> dict[str, Any]:
    """A ``threats`` block with one rule per group of an :func:`estimate_threat_rates` table.

    Parameters
    ----------
    rates : pandas.DataFrame
        From :func:`estimate_threat_rates`.
    kind : str
        The posterior statistic written: ``"mean"`` (default), ``"median"``, ``"ci90_low"``,
        ``"ci90_high"``, ``"ci95_low"`` or ``"ci95_high"``.

    Returns
    -------
    dict
        ``{"threats": {"rules": [...]}}``: rules select by ``corridor``, ``region``, both, or
        ``edges``, and set ``ambush_rate_per_1000km`` and ``ied_rate_per_1000km`` (4
        significant digits). Groups without exposure get no rule. Merged into a scenario with
        ``extends``, the rules replace the scenario's rules (lists are replaced), so edges of no
        group get rate 0; phases, deterrence and effects stay the scenario's.
    """
    keys, groups = _rule_groups(rates, kind)
    col = STATISTICS[kind]
    rules = []
    for g, by_kind in groups:
        if not any(r["exposure_km"] > 0 for r in by_kind.values()):
            continue
        rule = _selector(keys, g)
        for attack in _ATTACKS:
            if attack in by_kind:
                rule[f"{attack}_rate_per_1000km"] = _sig(float(by_kind[attack][col]))
        rules.append(rule)
    return {"threats": {"rules": rules}}


def _fmt(x: float) -> str:
    return f"{_sig(x, 3):g}"


def write_threat_block(
    path: str | os.PathLike,
    rates: pd.DataFrame,
    kind: str = "mean",
    extends: str | os.PathLike | None = None,
    name: str | None = None,
    data: str | None = None,
) -> Path:
    """Write :func:`threat_block` as a commented YAML file, atomically.

    The header states the data, the window, the exposure run, the prior, the corrections and
    that the rates are posterior means (or the chosen statistic); above each rule a comment
    gives the counts, the exposure and the 90 % and 95 % credible intervals.

    Parameters
    ----------
    path : str or path-like
        Output YAML file (replaced atomically if it exists).
    rates : pandas.DataFrame
        From :func:`estimate_threat_rates` (its ``attrs`` fill the header).
    kind : str
        Posterior statistic written (see :func:`threat_block`).
    extends : str or path-like, optional
        A scenario file: the block then starts with ``extends:`` (path relative to the
        block's folder) and is itself a runnable scenario.
    name : str, optional
        Scenario name written with ``extends`` (e.g. ``mali_blockade_2025_calibrated``).
    data : str, optional
        Description of the incident data for the header (default: ``attrs["incidents_file"]``).

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    block = threat_block(rates, kind)
    keys, groups = _rule_groups(rates, kind)
    a = rates.attrs
    stat = {"mean": "posterior means", "median": "posterior medians"}.get(
        kind, f"posterior {kind.replace('_', ' ')} bounds")
    counted = a.get("events_counted", {})
    lines = [
        "# Threat rates estimated from observed incidents (corridorsim.observed.rates, Gamma-Poisson).",
        f"# data: {data or a.get('incidents_file', 'incident table')}; counted: "
        + ", ".join(f"{counted.get(k, 0)} {k}" for k in _ATTACKS),
    ]
    if a.get("events_outside_window"):
        lines.append(f"#   attack events outside the window: {', '.join(a['events_outside_window'])}")
    if a.get("events_not_placed"):
        lines.append(f"#   attack events not placed at the {'/'.join(a.get('by', keys))} level: "
                     f"{', '.join(a['events_not_placed'])}")
    if "window_start" in a:
        lines.append(f"# window: {a['window_start'][:16]} to {a['window_end'][:16]} (end exclusive)")
    run = f"scenario {a['scenario']}" if "scenario" in a else "a simulated run"
    seed = f", seed {a['seed']}" if "seed" in a else ""
    lines.append(f"# exposure: convoy-km per replication of {run} ({a.get('replications', '?')} "
                 f"replications{seed}; movement kinds: {', '.join(a.get('kinds') or ['all'])})")
    lines.append(f"# grouping: {', '.join(a.get('by', keys))}")
    lines.append(f"# prior: Gamma(shape a0 = {a.get('prior_shape', 0.5):g}, rate b0 = "
                 f"{a.get('prior_rate_per_1000km', 1e-3):g} per 1000 convoy-km), near-flat; "
                 "posterior Gamma(a0 + k, b0 + E/1000)")
    lines.append(f"# rates: {stat} per 1000 convoy-km; credible intervals in the comments")
    if a.get("correct_for_escort"):
        lines.append("# escort: corrected (exposure weighted by each convoy's deterrence factor): "
                     "rates are for unescorted convoys")
    else:
        lines.append("# escort: NOT corrected: rates are effective rates for the traffic mix "
                     "observed (escorted convoys with deterrence); the engine applies the "
                     "deterrence factor again")
    if a.get("correct_for_phases"):
        lines.append("# phases: corrected (exposure weighted by the phase multipliers): rates are "
                     "base rates (multiplier 1)")
    else:
        lines.append("# phases: NOT corrected: rates include the multipliers of the window's "
                     "phases; a scenario with the same phases applies them again")
    skipped = [g for g, by_kind in groups if not any(r["exposure_km"] > 0 for r in by_kind.values())]
    if skipped:
        lines.append("# groups with events but no simulated exposure (no rule): "
                     + "; ".join(_label(keys, g) for g in skipped))
    body = []
    if extends is not None:
        target = Path(extends)
        try:
            rel = os.path.relpath(target.resolve(), path.resolve().parent)
        except ValueError:  # another drive
            rel = str(target.resolve())
        body.append(f"extends: {yaml.safe_dump(rel, default_style=None).splitlines()[0]}")
        if name:
            body.append(f"name: {yaml.safe_dump(name).splitlines()[0]}")
    body.append("threats:")
    body.append("  rules:")
    rules = iter(block["threats"]["rules"])
    for g, by_kind in groups:
        if g in skipped:
            continue
        rule = next(rules)
        notes = []
        for attack in _ATTACKS:
            r = by_kind.get(attack)
            if r is None:
                continue
            notes.append(f"{attack} {int(r['events'])} in {r['effective_exposure_km']:.0f} km: "
                         f"90% [{_fmt(r['ci90_low_per_1000km'])}, {_fmt(r['ci90_high_per_1000km'])}]"
                         f" 95% [{_fmt(r['ci95_low_per_1000km'])}, {_fmt(r['ci95_high_per_1000km'])}]")
        body.append(f"    # {_label(keys, g)}: " + "; ".join(notes))
        flow = yaml.safe_dump(rule, default_flow_style=True, sort_keys=False, width=10_000).strip()
        body.append(f"    - {flow}")
    text = "\n".join(lines + body) + "\n"

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    return atomic_write(path, write)


def _label(keys: list[str], g: tuple) -> str:
    if keys == list(_EDGE_KEYS):
        return f"{g[0]}-{g[1]} ({g[2]}, {g[3]})"
    return " ".join(f"{k} {v}" for k, v in zip(keys, g))


def format_rates_table(rates: pd.DataFrame) -> str:
    """Compact text table of an :func:`estimate_threat_rates` result (one line per group/kind)."""
    keys = _group_keys(rates)
    heads = ["group", "kind", "events", "exposure_km", "factor", "mean", "median", "90% CI"]
    rows = []
    for _, r in rates.iterrows():
        g = tuple(r[k] for k in keys)
        if r["exposure_km"] > 0:
            stats_ = [_fmt(r["mean_per_1000km"]), _fmt(r["median_per_1000km"]),
                      f"[{_fmt(r['ci90_low_per_1000km'])}, {_fmt(r['ci90_high_per_1000km'])}]"]
        else:
            stats_ = ["-", "-", "no exposure: prior only"]
        rows.append([_label(keys, g), str(r["kind"]), str(int(r["events"])),
                     f"{r['exposure_km']:.0f}", f"{r['hazard_factor']:.3f}", *stats_])
    numbers = {"events", "exposure_km", "factor", "mean", "median"}
    out = [format_text_table(heads, rows, right=numbers)]
    out.append("rates per 1000 convoy-km; exposure_km per replication in the window; factor = "
               "mean hazard factor applied to the exposure")
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# One call for the command line
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    """Result of :func:`estimate_from_scenario`.

    Attributes
    ----------
    rates : pandas.DataFrame
        The :func:`estimate_threat_rates` table (``attrs`` filled for the YAML header).
    incidents : pandas.DataFrame
        The matched incident table.
    edge_exposure : pandas.DataFrame
        Exposure per edge over the whole run (:func:`exposure_km`, ``by="edge"``).
    run : RunResult
        The simulated run that gave the exposure.
    graph : networkx.Graph
        The scenario's network.
    """

    rates: pd.DataFrame
    incidents: pd.DataFrame
    edge_exposure: pd.DataFrame
    run: Any
    graph: nx.Graph


def estimate_from_scenario(
    scenario: Scenario | str | os.PathLike,
    incidents: str | os.PathLike | None = None,
    *,
    by: str | Sequence[str] = "corridor",
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    buffer_km: float = 25.0,
    start: dt.datetime | str | None = None,
    end: dt.datetime | str | None = None,
    kinds: Iterable[str] | None = DEFAULT_KINDS,
    correct_for_escort: bool = False,
    correct_for_phases: bool = False,
    prior_shape: float = 0.5,
    prior_rate_per_1000km: float = 1e-3,
) -> Calibration:
    """Simulate a scenario for its exposure and estimate threat rates from an incident file.

    Runs the scenario (``replications``, ``seed``: the scenario's defaults unless given), reads,
    classifies and matches the incidents on its network (events at a junction go to the
    adjoining edge with the most simulated traffic), then calls :func:`estimate_threat_rates`
    over the window (default: the scenario's start to end).

    Parameters
    ----------
    scenario : Scenario or str or path-like
    incidents : str or path-like, optional
        Incident CSV file; default the scenario's ``observations.incidents_csv``.
    by, start, end, kinds, correct_for_escort, correct_for_phases, prior_shape, prior_rate_per_1000km
        See :func:`estimate_threat_rates`.
    replications, seed, workers
        See :func:`corridorsim.simulate`.
    buffer_km : float
        See :func:`~corridorsim.observed.incidents.match_to_network`.

    Returns
    -------
    Calibration
    """
    from ..experiments.simulate import simulate
    from ..model.plan import compile_scenario
    from ..scenario.loading import load_scenario

    if isinstance(scenario, (str, os.PathLike)):
        scenario = load_scenario(scenario)
    if incidents is None:
        incidents = scenario.observations.incidents_csv
        if incidents is None:
            raise ScenarioError("observations.incidents_csv",
                                "no incident file given and the scenario names none")
    table = classify(read_incidents(incidents))  # fail on bad data before simulating
    plan = compile_scenario(scenario)
    run = simulate(plan, replications=replications, seed=seed, workers=workers)
    graph = plan.graph
    edge_exp = exposure_km(run.convoys, graph, by="edge", kinds=kinds, replications=run.replications)
    weights = {(a, b): w for a, b, w in zip(edge_exp["edge_from"], edge_exp["edge_to"],
                                            edge_exp["exposure_km"])}
    matched = match_to_network(table, graph, buffer_km=buffer_km, edge_weight=weights)
    rates = estimate_threat_rates(
        matched, run.convoys, graph, by=by, start=start, end=end, scenario=scenario,
        replications=run.replications, kinds=kinds, correct_for_escort=correct_for_escort,
        correct_for_phases=correct_for_phases, prior_shape=prior_shape,
        prior_rate_per_1000km=prior_rate_per_1000km,
    )
    rates.attrs.update({"incidents_file": Path(incidents).name, "seed": run.seed,
                        "buffer_km": buffer_km})
    return Calibration(rates=rates, incidents=matched, edge_exposure=edge_exp, run=run,
                       graph=graph)

"""Criticality of road segments and corridors: what each loses, and what making it safe or
closing it does to the destinations.

Three parts, each a pure function of result tables:

* :func:`segment_losses` - per edge (and :func:`corridor_losses` per corridor) of the base run:
  expected litres and tankers lost and attacks per replication, with Student-t intervals across
  replications, the convoy-km driven on it (:func:`corridorsim.observed.rates.exposure_km`, routes
  as planned) and the attacks per 1000 convoy-km.
* :func:`criticality_table` - for each segment, the paired change in each destination's
  outcomes (:mod:`.outcomes`) when the segment is made safe and when it is closed, ranked by the
  unmet demand a closure adds.
* :func:`stress_test` - Simchi-Levi's time-to-survive against time-to-recover (Simchi-Levi,
  Schmidt and Wei 2014, "From superstorms to factory fires", Harvard Business Review 92:96-101;
  Simchi-Levi et al. 2015, Interfaces 45:375-390): a destination's time-to-survive a segment's
  loss is how long its stock lasts with the segment closed (days from the start to its first day
  at zero stock in the closed variant; censored at the horizon), the segment's time-to-recover is
  the closure duration the scenario gives it (scheduled closures: end minus start, open-ended =
  never; random closures: the mean duration) or, where it gives none, an assumed value. A
  segment is flagged where survival is shorter than recovery.

Imports: scenario, experiments, observed.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..experiments.statistics import mean_interval, proportion_interval
from ..observed.exposure import exposure_km
from ..scenario.network import edge_key
from ..scenario.schema import Scenario

__all__ = ["ATTACK_KINDS", "segment_losses", "corridor_losses", "criticality_table",
           "recovery_days", "stress_test", "edge_label"]

#: Event kinds that are attacks.
ATTACK_KINDS = ("ambush", "ied")


def edge_label(a: str, b: str) -> str:
    """``"A-B"`` with the two ends in alphabetical order (edges are undirected)."""
    u, v = edge_key(a, b)
    return f"{u}-{v}"


def _per_replication(events: pd.DataFrame, replications: list[int], key: list[str]) -> pd.DataFrame:
    """Per key and replication: litres and tankers destroyed and attacks (zeros filled in)."""
    att = events[events["kind"].isin(ATTACK_KINDS)].copy()
    att["attacks"] = 1
    sums = att.groupby([*key, "replication"])[["litres_destroyed", "tankers_destroyed", "attacks"]].sum()
    keys = sums.index.droplevel("replication").unique() if len(sums) else pd.Index([])
    full = pd.MultiIndex.from_tuples(
        [(*(k if isinstance(k, tuple) else (k,)), r) for k in keys for r in replications],
        names=[*key, "replication"])
    return sums.reindex(full, fill_value=0).reset_index()


def _summarise(per_rep: pd.DataFrame, key: list[str], level: float) -> pd.DataFrame:
    rows = []
    for k, grp in per_rep.groupby(key, sort=True):
        k = k if isinstance(k, tuple) else (k,)
        row = dict(zip(key, k))
        for col, name in (("litres_destroyed", "litres_lost"), ("tankers_destroyed", "tankers_lost"),
                          ("attacks", "attacks")):
            iv = mean_interval(grp[col].to_numpy(dtype=float), level)
            row[name], row[f"{name}_low"], row[f"{name}_high"] = iv
        rows.append(row)
    return pd.DataFrame(rows)


def segment_losses(events: pd.DataFrame, convoys: pd.DataFrame, graph, replications: int,
                   level: float = 0.95) -> pd.DataFrame:
    """Losses per edge of a run, per replication on average.

    Parameters
    ----------
    events, convoys : pandas.DataFrame
        The run's tables (all replications).
    graph : networkx.Graph
        The run's network.
    replications : int
        Replications of the run (those without an attack count as zero).

    Returns
    -------
    pandas.DataFrame
        One row per edge that carries traffic or saw an attack: ``edge`` (``"A-B"``),
        ``edge_from, edge_to, corridor, length_km, convoy_km`` (per replication), ``litres_lost``,
        ``tankers_lost``, ``attacks`` (means per replication, each with ``_low`` and ``_high``
        interval ends) and ``attacks_per_1000km``; sorted by litres lost, largest first.
    """
    reps = list(range(int(replications)))
    ev = events.copy()
    keys = [edge_key(str(a), str(b)) for a, b in zip(ev["edge_from"], ev["edge_to"])]
    ev["edge_from"] = [k[0] for k in keys]
    ev["edge_to"] = [k[1] for k in keys]
    losses = _summarise(_per_replication(ev, reps, ["edge_from", "edge_to"]),
                        ["edge_from", "edge_to"], level)
    expo = exposure_km(convoys, graph, by="edge", replications=int(replications))
    expo = expo.rename(columns={"exposure_km": "convoy_km"})[
        ["edge_from", "edge_to", "corridor", "length_km", "convoy_km"]]
    df = expo.merge(losses, on=["edge_from", "edge_to"], how="outer") if len(losses) else expo
    df["corridor"] = [str(graph.edges[a, b].get("corridor", "")) for a, b in zip(df["edge_from"], df["edge_to"])]
    df["length_km"] = [float(graph.edges[a, b]["length_km"]) for a, b in zip(df["edge_from"], df["edge_to"])]
    df["convoy_km"] = df["convoy_km"].fillna(0.0)
    for name in ("litres_lost", "tankers_lost", "attacks"):
        if name not in df.columns:
            df[name] = 0.0
            df[f"{name}_low"] = df[f"{name}_high"] = np.nan
        df[name] = df[name].fillna(0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        df["attacks_per_1000km"] = np.where(df["convoy_km"] > 0,
                                            df["attacks"] / (df["convoy_km"] / 1000.0), np.nan)
    df.insert(0, "edge", [f"{a}-{b}" for a, b in zip(df["edge_from"], df["edge_to"])])
    return df.sort_values(["litres_lost", "convoy_km"], ascending=False, kind="stable").reset_index(drop=True)


def corridor_losses(events: pd.DataFrame, convoys: pd.DataFrame, graph, replications: int,
                    level: float = 0.95) -> pd.DataFrame:
    """:func:`segment_losses` summed per corridor (intervals from per-replication corridor
    totals)."""
    reps = list(range(int(replications)))
    ev = events.copy()
    ev["corridor"] = [str(graph.edges[a, b].get("corridor", "")) if graph.has_edge(a, b) else ""
                      for a, b in zip(ev["edge_from"].astype(str), ev["edge_to"].astype(str))]
    losses = _summarise(_per_replication(ev, reps, ["corridor"]), ["corridor"], level)
    expo = exposure_km(convoys, graph, by="corridor", replications=int(replications))
    expo = expo.rename(columns={"exposure_km": "convoy_km"})[["corridor", "convoy_km"]]
    df = expo.merge(losses, on="corridor", how="outer") if len(losses) else expo
    df["convoy_km"] = df["convoy_km"].fillna(0.0)
    for name in ("litres_lost", "tankers_lost", "attacks"):
        if name not in df.columns:
            df[name] = 0.0
        df[name] = df[name].fillna(0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        df["attacks_per_1000km"] = np.where(df["convoy_km"] > 0,
                                            df["attacks"] / (df["convoy_km"] / 1000.0), np.nan)
    return df.sort_values("litres_lost", ascending=False, kind="stable").reset_index(drop=True)


def criticality_table(effects: pd.DataFrame, design: pd.DataFrame) -> pd.DataFrame:
    """Paired effects of making each segment safe and of closing it, one row per segment and
    destination, ranked by the unmet demand a closure adds (then by what safety gains).

    Parameters
    ----------
    effects : pandas.DataFrame
        :func:`corridorsim.decisions.outcomes.paired_effects` of the variant sweep.
    design : pandas.DataFrame
        The sweep's design (``point`` index order) with ``change`` and ``target`` columns.

    Returns
    -------
    pandas.DataFrame
        ``edge, destination`` and for each of ``safe`` and ``closed`` and each outcome the
        difference and its interval (``safe_delivered_l``, ``safe_delivered_l_low``, ...).
    """
    eff = effects.merge(design[["change", "target"]].rename_axis("point").reset_index(), on="point")
    eff = eff[eff["change"].isin(("safe", "closed"))]
    rows: dict[tuple[str, str], dict] = {}
    for r in eff.itertuples(index=False):
        row = rows.setdefault((r.target, r.destination), {"edge": r.target, "destination": r.destination})
        base = f"{r.change}_{r.outcome}"
        row[base], row[f"{base}_low"], row[f"{base}_high"] = r.diff, r.diff_low, r.diff_high
        row["n"] = r.n
    df = pd.DataFrame(list(rows.values()))
    if df.empty:
        return df
    for col in ("closed_unmet_l", "safe_delivered_l"):
        if col not in df.columns:
            df[col] = np.nan
    return df.sort_values(["closed_unmet_l", "safe_delivered_l"], ascending=False,
                          kind="stable").reset_index(drop=True)


def recovery_days(scenario: Scenario, a: str, b: str) -> float | None:
    """Time-to-recover of edge ``a-b`` from the scenario's closures, days: the longest scheduled
    closure of the edge or of one of its end nodes (``inf`` if one never ends), else the longest
    mean duration of its random closures; ``None`` if the scenario never closes it."""
    key = edge_key(a, b)
    out: list[float] = []

    def hits(c) -> bool:
        if c.edge is not None:
            return edge_key(*c.edge) == key
        return c.node in key

    for c in scenario.closures.scheduled:
        if hits(c):
            out.append(math.inf if c.end is None else (c.end - c.start).total_seconds() / 86400.0)
    if out:
        return max(out)
    for c in scenario.closures.random:
        if hits(c):
            out.append(c.duration.expected_h() / 24.0)
    return max(out) if out else None


def stress_test(outcomes: pd.DataFrame, design: pd.DataFrame, scenario: Scenario,
                assumed_recovery_days: float | None, level: float = 0.95) -> pd.DataFrame:
    """Time-to-survive of each destination against each segment's time-to-recover.

    Parameters
    ----------
    outcomes : pandas.DataFrame
        :func:`corridorsim.decisions.outcomes.destination_outcomes` of the variant sweep.
    design : pandas.DataFrame
        Its design with ``change`` and ``target`` (edges as ``"A-B"``).
    scenario : Scenario
        The base scenario (closures, horizon).
    assumed_recovery_days : float, optional
        Time-to-recover of segments the scenario never closes (``None``: not tested).

    Returns
    -------
    pandas.DataFrame
        ``edge, destination, n, tts_median_days`` (median over replications; ``inf`` when more
        than half never run dry), ``tts_p10_days``, ``base_tts_median_days`` (the same without
        the closure: point 0), ``ttr_days``, ``ttr_source``
        (``scenario``/``assumed``), ``p_tts_below_ttr`` with its Wilson interval and ``flag``
        (median time-to-survive shorter than time-to-recover).
    """
    horizon_days = scenario.horizon_h / 24.0
    base_tts = {}
    for dest, grp in outcomes[outcomes["point"] == 0].groupby("destination", sort=True):
        first = grp["first_stockout_day"].to_numpy(dtype=float)
        base_tts[dest] = float(np.median(np.where(np.isfinite(first), first, np.inf)))
    rows = []
    for point, row in design.iterrows():
        if row["change"] != "closed":
            continue
        a, b = str(row["target"]).split("-", 1)
        ttr = recovery_days(scenario, a, b)
        source = "scenario"
        if ttr is None:
            ttr, source = assumed_recovery_days, "assumed"
        sub = outcomes[outcomes["point"] == point]
        for dest, grp in sub.groupby("destination", sort=True):
            tts = grp["first_stockout_day"].to_numpy(dtype=float)
            tts = np.where(np.isfinite(tts), tts, np.inf)  # never ran dry within the horizon
            n = len(tts)
            med = float(np.median(tts))
            p10 = float(np.quantile(tts, 0.1, method="lower"))
            if ttr is None:
                k, iv = 0, proportion_interval(0, 0, level)
            else:
                k = int(np.sum(tts < min(ttr, horizon_days + 1)))
                iv = proportion_interval(k, n, level)
            rows.append({"edge": row["target"], "destination": dest, "n": n, "tts_median_days": med,
                         "tts_p10_days": p10, "base_tts_median_days": base_tts.get(dest, np.nan), "ttr_days": ttr if ttr is not None else np.nan,
                         "ttr_source": source if ttr is not None else "",
                         "p_tts_below_ttr": iv.estimate, "p_low": iv.low, "p_high": iv.high,
                         "flag": bool(ttr is not None and med < ttr)})
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    return df.sort_values(["flag", "tts_median_days"], ascending=[False, True],
                          kind="stable").reset_index(drop=True)

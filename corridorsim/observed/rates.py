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

Exposure comes from :mod:`corridorsim.observed.exposure`; the rules a rates table gives are
written by :mod:`corridorsim.observed.threat_blocks`.

Part of the observed-data layer: imports pandas, SciPy, the model layer's threat formulas and
its sibling modules, never figures or the command line.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence

import networkx as nx
import numpy as np
import pandas as pd
from scipy import stats

from ..model.threats import deterrence_factor, phase_boundaries_h, phase_multipliers
from ..scenario.schema import Deterrence, Scenario
from .exposure import (
    DEFAULT_KINDS,
    count_replications,
    edge_traversals,
    hours_since,
    infer_hour0,
    parse_by,
    split_at,
)
from .incident_kinds import classify

__all__ = ["ATTACKS", "gamma_poisson_rates", "estimate_threat_rates"]

#: Attack kinds a rate is estimated for.
ATTACKS = ("ambush", "ied")


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
        Matched events (:func:`~corridorsim.observed.incident_matching.match_to_network`), classified or not.
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
    keys = list(parse_by(by))
    if correct_for_phases and scenario is None:
        raise ValueError("correct_for_phases needs the scenario (its phases)")
    if scenario is not None:
        hour0 = pd.Timestamp(scenario.start)
    elif t0 is not None:
        hour0 = pd.Timestamp(t0)
    else:
        hour0 = infer_hour0(convoys)
        if hour0 is None:
            raise ValueError("give scenario or t0 (the calendar time of hour 0)")
    det = deterrence or (scenario.threats.deterrence if scenario is not None else Deterrence())
    n_rep = count_replications(convoys, replications)
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
    lo_h, hi_h = hours_since(win_start, hour0), hours_since(win_end, hour0)
    bounds = {lo_h, hi_h}
    if correct_for_phases:
        bounds.update(phase_boundaries_h(scenario))
    pieces = split_at(trav, sorted(bounds)) if len(trav) else trav.assign(share=1.0)
    if len(pieces):
        mid = 0.5 * (pieces["t0_h"] + pieces["t1_h"])
        pieces = pieces[(mid >= lo_h) & (mid < hi_h) & (pieces["km"] > 0)]
    weight = {kind: pieces["km"].to_numpy(float).copy() for kind in ATTACKS}
    if correct_for_escort and len(pieces):
        s = pieces["escort_strength"].to_numpy(float)
        factor = deterrence_factor(s, det.rate_floor, det.rate_scale)
        for kind in ATTACKS:
            weight[kind] *= factor
    if correct_for_phases and len(pieces):
        for kind in ATTACKS:
            weight[kind] *= _phase_multipliers(pieces, scenario, kind)
    pieces = pieces.assign(w_ambush=weight["ambush"], w_ied=weight["ied"])
    exposure = (pieces.groupby(keys, sort=True)[["km", "w_ambush", "w_ied"]].sum() / n_rep
                if len(pieces) else pd.DataFrame(columns=["km", "w_ambush", "w_ied"]))

    # ---- observed events in the window
    inc = incidents if "attack_kind" in incidents.columns else classify(incidents)
    if "match_level" not in inc.columns:
        raise ValueError("incidents are not matched to the network: use match_to_network first")
    attacks = inc[inc["attack_kind"].isin(ATTACKS)]
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
        for kind in ATTACKS:
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
        "events_counted": {kind: int((used["attack_kind"] == kind).sum()) for kind in ATTACKS},
        "events_outside_window": sorted(map(str, attacks.loc[~in_window, "event_id"]))
        if "event_id" in attacks.columns else [],
        "events_not_placed": sorted(map(str, attacks.loc[in_window & ~placed, "event_id"]))
        if "event_id" in attacks.columns else [],
    })
    if scenario is not None:
        table.attrs["scenario"] = scenario.name
    return table


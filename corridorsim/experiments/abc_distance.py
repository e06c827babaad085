"""ABC distances: scaled Euclidean distance of simulated summaries to the record, and acceptance.

Shared by the rejection calibration (:mod:`corridorsim.experiments.calibration`) and the
sequential one (:mod:`corridorsim.experiments.smc_abc`). Imports NumPy and pandas only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["abc_scales", "abc_distance", "abc_accept"]


def abc_scales(stats: pd.DataFrame, names: list[str]) -> dict[str, float]:
    """Scale of each statistic across points: 1.4826 MAD, else the sd, else 1."""
    scales = {}
    for name in names:
        s = stats[name].to_numpy(dtype=float)
        finite = s[np.isfinite(s)]
        scale = 1.4826 * np.median(np.abs(finite - np.median(finite))) if len(finite) else 0.0
        if not scale > 0:
            scale = float(np.std(finite)) if len(finite) > 1 else 0.0
        scales[name] = float(scale) if scale > 0 else 1.0
    return scales


def abc_distance(stats: pd.DataFrame, observed: dict[str, float], weights: dict[str, float],
                 scales: dict[str, float],
                 intervals: dict[str, tuple[float, float]] | None = None) -> np.ndarray:
    """Weighted, scaled Euclidean distance of each row's statistics to the observations.

    A statistic with an interval in ``intervals`` (interval-censored observation) contributes
    its distance to the nearest end of the interval, 0 inside it.
    """
    d2 = np.zeros(len(stats))
    intervals = intervals or {}
    for name, obs in observed.items():
        s = stats[name].to_numpy(dtype=float)
        if name in intervals:
            lo, hi = intervals[name]
            z = (np.maximum(lo - s, 0.0) + np.maximum(s - hi, 0.0)) / scales[name]
        else:
            z = (s - obs) / scales[name]
        z[~np.isfinite(z)] = 1e6  # a statistic the point cannot produce (e.g. no arrival)
        d2 += weights[name] * z * z
    return np.sqrt(d2)


def abc_accept(stats: pd.DataFrame, observed: dict[str, float], weights: dict[str, float],
               accept_fraction: float,
               intervals: dict[str, tuple[float, float]] | None = None) -> pd.DataFrame:
    """Distances of each point's mean statistics to the observations; mark the accepted ones.

    Parameters
    ----------
    stats : DataFrame
        One row per point (index) and one column per statistic (means over replications).
    observed : dict
        Observed value per statistic.
    weights : dict
        Weight per statistic.
    accept_fraction : float
        Share of points accepted (at least one).

    Returns
    -------
    DataFrame
        ``stats`` with ``distance`` and ``accepted`` columns.
    """
    scales = abc_scales(stats, list(observed))
    out = stats.copy()
    out["distance"] = abc_distance(stats, observed, weights, scales, intervals)
    out.attrs["scales"] = scales
    k = max(1, int(round(accept_fraction * len(out))))
    order = np.argsort(out["distance"].to_numpy(), kind="stable")
    accepted = np.zeros(len(out), dtype=bool)
    accepted[order[:k]] = True
    out["accepted"] = accepted
    return out

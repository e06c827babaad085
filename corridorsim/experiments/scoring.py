"""Proper scoring of probabilistic hindcasts and forecasts, as conflict forecasters do it.

A forecast of a quantity is an ensemble: the values of that quantity in the replications of a
run (draws from the predictive distribution). It is scored against what happened with

* the continuous ranked probability score (Gneiting and Raftery 2007, JASA 102:359, eq. 21),
  ``CRPS(F, y) = E|X - y| - E|X - X'| / 2``, computed exactly for the empirical distribution of
  the ensemble (sorted form, O(m log m)); lower is better, in the units of the quantity;
* the interval score of the central ``(1 - alpha)`` interval ``[l, u]`` (same paper, eq. 43),
  ``IS = (u - l) + 2 / alpha * ((l - y)+ + (y - u)+)``, for the P5-P95 (alpha 0.1) and P25-P75
  (alpha 0.5) bands, and whether ``y`` lies in each band (coverage);

against a naive baseline, as the VIEWS forecasting platform (Hegre et al. 2019, J. Peace Res.
56:155) scores models against no-change and historical-resampling benchmarks:
:func:`past_weeks_baseline` resamples the record's own past weekly values. The skill score
``1 - CRPS_model / CRPS_baseline`` is positive when the model beats the baseline.

An observation known only as an interval (e.g. tankers destroyed reported as "20 to 80") is
scored at its best estimate, and counts as inside a band when the two intervals overlap.
Imports NumPy and pandas only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["crps_ensemble", "interval_score", "past_weeks_baseline", "score_table", "skill"]


def crps_ensemble(samples: np.ndarray, observed: np.ndarray | float) -> np.ndarray:
    """CRPS of ensembles against observations.

    Parameters
    ----------
    samples : array, shape (m,) or (m, k)
        ``m`` draws for each of ``k`` quantities.
    observed : float or array, shape (k,)

    Returns
    -------
    numpy.ndarray, shape (k,)
        The CRPS per quantity (a 0-d array for one quantity), units of the quantity.
    """
    x = np.sort(np.asarray(samples, dtype=float), axis=0)
    if x.ndim == 1:
        x = x[:, None]
    y = np.broadcast_to(np.asarray(observed, dtype=float), (x.shape[1],))
    m = x.shape[0]
    first = np.mean(np.abs(x - y), axis=0)
    # E|X - X'| = 2 / m^2 * sum_i (2 i - m - 1) x_(i), i = 1..m, for the sorted sample
    i = np.arange(1, m + 1)[:, None]
    spread = 2.0 / m**2 * np.sum((2 * i - m - 1) * x, axis=0)
    out = first - 0.5 * spread
    return out[0] if np.ndim(observed) == 0 else out


def interval_score(lower: np.ndarray, upper: np.ndarray, observed: np.ndarray, alpha: float) -> np.ndarray:
    """Interval score of central ``(1 - alpha)`` intervals ``[lower, upper]`` (lower is better)."""
    lo, hi, y = (np.asarray(a, dtype=float) for a in (lower, upper, observed))
    return (hi - lo) + 2.0 / alpha * (np.maximum(lo - y, 0.0) + np.maximum(y - hi, 0.0))


def past_weeks_baseline(weekly: np.ndarray, draws: int, rng: np.random.Generator,
                        cumulative: bool = False) -> np.ndarray:
    """Naive forecasts that resample the record's own past weeks.

    For week ``w`` the forecast draws one of the observed values of weeks ``0 .. w-1`` (uniformly,
    with replacement); week 0 has no past and is forecast as 0. With ``cumulative`` the
    forecast of the running total at the end of week ``w`` is the observed total at the end of
    week ``w - 1`` plus one resampled past week (a one-week-ahead forecast, as the baseline
    would have been issued each week).

    Parameters
    ----------
    weekly : array, shape (k,)
        Observed values per week.
    draws : int
        Ensemble size.
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray, shape (draws, k)
    """
    y = np.asarray(weekly, dtype=float)
    out = np.zeros((draws, y.size))
    for w in range(1, y.size):
        out[:, w] = y[rng.integers(0, w, draws)]
    if cumulative:
        before = np.concatenate([[0.0], np.cumsum(y)[:-1]])
        out = out + before
    return out


def score_table(samples: np.ndarray, observed: np.ndarray, names: list[str],
                low: np.ndarray | None = None, high: np.ndarray | None = None) -> pd.DataFrame:
    """Score an ensemble forecast of several quantities; one row per quantity.

    Parameters
    ----------
    samples : array, shape (m, k)
    observed : array, shape (k,)
        Best estimates of what happened.
    names : list of str
        Names of the ``k`` quantities.
    low, high : array, shape (k,), optional
        Interval-censored observations (NaN where the observation is exact).

    Returns
    -------
    pandas.DataFrame
        ``name, observed, p5, p25, p50, p75, p95, percentile`` (of the observation in the
        ensemble, 0-100), ``crps``, ``is90``, ``is50``, ``in90``, ``in50``.
    """
    x = np.asarray(samples, dtype=float)
    y = np.asarray(observed, dtype=float)
    lo = y if low is None else np.where(np.isnan(low), y, low)
    hi = y if high is None else np.where(np.isnan(high), y, high)
    q = np.percentile(x, [5, 25, 50, 75, 95], axis=0)
    pct = 100.0 * (np.mean(x < y, axis=0) + 0.5 * np.mean(x == y, axis=0))
    return pd.DataFrame({
        "name": names, "observed": y, "p5": q[0], "p25": q[1], "p50": q[2], "p75": q[3], "p95": q[4],
        "percentile": pct, "crps": crps_ensemble(x, y),
        "is90": interval_score(q[0], q[4], y, 0.1), "is50": interval_score(q[1], q[3], y, 0.5),
        "in90": (hi >= q[0]) & (lo <= q[4]), "in50": (hi >= q[1]) & (lo <= q[3]),
    })


def skill(model: pd.DataFrame, baseline: pd.DataFrame) -> pd.DataFrame:
    """Mean scores of a model and a baseline scored on the same quantities, and the CRPS skill.

    Returns one row per forecaster (``model``, ``baseline``) with mean CRPS, interval scores and
    coverage of the two bands, and the column ``crps_skill`` = ``1 - CRPS_model / CRPS_baseline``.
    """
    rows = []
    for name, t in (("model", model), ("baseline", baseline)):
        rows.append({"forecaster": name, "crps": t.crps.mean(), "is90": t.is90.mean(),
                     "is50": t.is50.mean(), "coverage90": t.in90.mean(), "coverage50": t.in50.mean()})
    out = pd.DataFrame(rows)
    base = out.loc[1, "crps"]
    out["crps_skill"] = 1.0 - out.crps / base if base > 0 else np.nan
    return out

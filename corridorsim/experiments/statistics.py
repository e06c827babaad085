"""Confidence intervals used by every table and figure: one formula, one place.

``mean_interval`` is the Student-t interval of a mean (replications are independent draws),
``mean_interval_from_summary`` the same from a table's mean, sd and n;
``PointMoments`` keeps running sums per sweep point for the same mean interval;
``proportion_interval`` is an interval for a share of replications (Wilson score by default,
Jeffreys, Clopper-Pearson ``"exact"`` or the normal ``"wald"`` approximation on request). All
return an :class:`Interval` named tuple. Wilson and Jeffreys never collapse to a zero-width
interval at a share of 0 or 1 (Brown, Cai & DasGupta 2001, Statistical Science 16:101-133).
Imports: numpy and scipy only. The intervals every sweep computes (Student t, Wilson) use
``scipy.special``, the functions ``scipy.stats`` calls for them, so that a sweep does not
import ``scipy.stats`` (about half a second): the Jeffreys and exact intervals import it when
they are asked for.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from scipy import special

__all__ = ["Interval", "mean_interval", "mean_interval_from_summary", "mean_halfwidth",
           "proportion_interval", "PointMoments"]


class Interval(NamedTuple):
    """A point estimate and the ends of its confidence interval."""

    estimate: float
    low: float
    high: float

    @property
    def halfwidth(self) -> float:
        """Half the width of the interval (for a mean, the distance to the estimate)."""
        return (self.high - self.low) / 2


def mean_interval(values: Iterable[float], level: float = 0.95) -> Interval:
    """Student-t confidence interval of the mean of ``values`` (non-finite values dropped).

    Parameters
    ----------
    values : iterable of float
        Independent observations (one per replication; paired differences for paired runs).
    level : float
        Confidence level in (0, 1).

    Returns
    -------
    Interval
        ``(mean, mean - t * s / sqrt(n), mean + t * s / sqrt(n))`` with ``t`` the
        ``(1 + level) / 2`` quantile of Student's t on ``n - 1`` degrees of freedom; NaN ends
        with fewer than two values (NaN everywhere with none); both ends equal to the mean when
        all values are equal.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    x = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan)
    mean = float(np.mean(x))
    if n < 2:
        return Interval(mean, math.nan, math.nan)
    sd = float(np.std(x, ddof=1))
    half = _t_quantile(0.5 + level / 2.0, n - 1) * sd / math.sqrt(n)
    return Interval(mean, mean - half, mean + half)


def _t_quantile(q: float, df: float) -> float:
    """``scipy.stats.t.ppf(q, df)``: the ``scipy.special`` function it calls."""
    return float(special.stdtrit(df, q))


def _wilson(k: int, n: int, level: float) -> tuple[float, float]:
    """Two-sided Wilson score interval (Wilson 1927; the form of Newcombe 1998, Statistics in
    Medicine 17:857-872), written as ``scipy.stats.binomtest(k, n).proportion_ci(level,
    "wilson")`` computes it, operation for operation, so that the numbers are the same
    (``tests/experiments/test_statistics.py`` checks it)."""
    p = k / n
    z = special.ndtri(0.5 + 0.5 * level)
    denom = 2 * (n + z**2)
    center = (2 * n * p + z**2) / denom
    q = 1 - p
    delta = z / denom * math.sqrt(4 * n * p * q + z**2)
    lo = 0.0 if k == 0 else center - delta
    hi = 1.0 if k == n else center + delta
    return float(lo), float(hi)


def proportion_interval(successes: int, n: int, level: float = 0.95,
                        method: str = "wilson") -> Interval:
    """Confidence interval of a proportion ``successes / n``.

    Parameters
    ----------
    successes, n : int
        Count of replications with the event and number of replications.
    level : float
        Confidence level in (0, 1).
    method : {"wilson", "jeffreys", "exact", "wald"}
        Wilson score interval (good coverage down to small ``n`` and at 0 or 1), Jeffreys
        (equal-tailed Beta(k + 1/2, n - k + 1/2) interval, bound set to 0 at no successes and
        to 1 at all), Clopper-Pearson (conservative), or the normal approximation
        ``p +- z sqrt(p (1 - p) / n)`` clipped to [0, 1] (zero width at 0 or 1).

    Returns
    -------
    Interval
        NaN everywhere when ``n`` is 0.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got successes={successes}, n={n}")
    if n == 0:
        return Interval(math.nan, math.nan, math.nan)
    p = successes / n
    if method == "wilson":
        return Interval(p, *_wilson(int(successes), int(n), level))
    if method in ("exact", "jeffreys"):
        from scipy import stats  # local: these two need scipy.stats (see the module docstring)
    if method == "exact":
        res = stats.binomtest(int(successes), int(n)).proportion_ci(confidence_level=level,
                                                                    method=method)
        return Interval(p, float(res.low), float(res.high))
    if method == "jeffreys":
        a, b, tail = successes + 0.5, n - successes + 0.5, (1.0 - level) / 2.0
        low = float(stats.beta.ppf(tail, a, b)) if successes > 0 else 0.0
        high = float(stats.beta.ppf(1.0 - tail, a, b)) if successes < n else 1.0
        return Interval(p, low, high)
    if method == "wald":
        z = float(special.ndtri(0.5 + level / 2.0))  # scipy.stats.norm.ppf
        half = z * math.sqrt(p * (1 - p) / n)
        return Interval(p, max(0.0, p - half), min(1.0, p + half))
    raise ValueError(f"method must be 'wilson', 'jeffreys', 'exact' or 'wald', got {method!r}")


def mean_interval_from_summary(mean: float, sd: float, n: int, level: float = 0.95) -> Interval:
    """:func:`mean_interval` from a summary table's mean, sample sd (``ddof=1``) and ``n``;
    NaN ends when ``n < 2``."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    mean, sd, n = float(mean), float(sd), float(n)
    if not n >= 2 or not math.isfinite(sd):
        return Interval(mean, math.nan, math.nan)
    half = _t_quantile(0.5 + level / 2.0, n - 1) * sd / math.sqrt(n)
    return Interval(mean, mean - half, mean + half)


def mean_halfwidth(sd: float, n: int, level: float = 0.95) -> float:
    """Half-width of the Student-t interval of a mean from its sample sd (``ddof=1``) and size
    (the precision rule of sweeps); NaN when ``n < 2``."""
    return mean_interval_from_summary(0.0, sd, n, level).halfwidth


@dataclass
class PointMoments:
    """Running sums of a metric per point (bounded memory): how precise each point's mean is
    as replications come in (a sweep's precision rule)."""

    n: dict[int, int] = field(default_factory=dict)
    s: dict[int, float] = field(default_factory=dict)
    ss: dict[int, float] = field(default_factory=dict)

    def add(self, point: int, x: np.ndarray) -> None:
        x = x[np.isfinite(x)]
        self.n[point] = self.n.get(point, 0) + len(x)
        self.s[point] = self.s.get(point, 0.0) + float(x.sum())
        self.ss[point] = self.ss.get(point, 0.0) + float((x * x).sum())

    def relative_halfwidth(self, point: int) -> float:
        n = self.n.get(point, 0)
        if n < 2:
            return math.inf
        mean = self.s[point] / n
        var = max(0.0, (self.ss[point] - n * mean * mean) / (n - 1))
        half = mean_halfwidth(math.sqrt(var), n)  # the Student t interval of every table
        if mean == 0:
            return 0.0 if half == 0 else math.inf
        return half / abs(mean)

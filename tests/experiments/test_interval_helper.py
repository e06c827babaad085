"""The one statistics helper for intervals (corridorsim.experiments.statistics) against closed
forms and scipy's own distributions: what the figures rely on."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from corridorsim.experiments.statistics import (
    mean_interval,
    mean_interval_from_summary,
    proportion_interval,
)


def test_mean_interval_uses_student_t_not_z():
    est = mean_interval([0.0, 2.0])  # mean 1, sd sqrt(2), n 2: half-width t(0.975, 1) * 1
    assert est.estimate == 1.0
    assert est.high - 1.0 == pytest.approx(12.706204736, rel=1e-9)
    x = np.array([3.1, 2.7, 3.9, 3.3, 2.2])
    lo, hi = stats.t.interval(0.9, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    got = mean_interval(x, level=0.9)
    assert (got.low, got.high) == pytest.approx((lo, hi), rel=1e-12)
    from_summary = mean_interval_from_summary(x.mean(), x.std(ddof=1), len(x), 0.9)
    assert (from_summary.low, from_summary.high) == pytest.approx((lo, hi), rel=1e-12)
    assert np.isnan(mean_interval_from_summary(3.0, np.nan, 1).low)


@pytest.mark.parametrize("method", ["wilson", "jeffreys"])
@pytest.mark.parametrize("n", [5, 200])
def test_proportion_interval_never_collapses_at_zero_or_one(method, n):
    none, every = proportion_interval(0, n, method=method), proportion_interval(n, n, method=method)
    assert none.estimate == 0.0 and none.low == pytest.approx(0.0, abs=1e-12) and none.high > 0.0
    assert every.estimate == 1.0 and every.high == pytest.approx(1.0, abs=1e-12)
    assert every.low < 1.0
    assert every.low == pytest.approx(1.0 - none.high, abs=1e-12)  # symmetric in k <-> n - k


def test_proportion_interval_closed_forms():
    z = stats.norm.ppf(0.975)
    # Wilson at k = 0: upper bound z^2 / (n + z^2)
    assert proportion_interval(0, 5).high == pytest.approx(z * z / (5 + z * z), rel=1e-9)
    # Jeffreys: Beta(k + 1/2, n - k + 1/2) quantiles
    got = proportion_interval(3, 10, method="jeffreys")
    assert (got.low, got.high) == pytest.approx(tuple(stats.beta.ppf([0.025, 0.975], 3.5, 7.5)))
    with pytest.raises(ValueError, match="successes"):
        proportion_interval(6, 5)
    with pytest.raises(ValueError, match="jeffreys"):
        proportion_interval(1, 5, method="agresti")

"""The one statistics helper for intervals (corridorsim.experiments.statistics): Student t for
means, Wilson/Jeffreys for proportions, against closed forms, printed tables and scipy's own
distributions; never a zero-width interval at 0 or n successes (what the figures rely on)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from corridorsim.experiments.metrics import day_date, key_metrics
from corridorsim.experiments.statistics import (
    Interval,
    mean_interval,
    mean_interval_from_summary,
    proportion_interval,
)


def test_mean_interval_is_student_t():
    x = [1.0, 2.0, 4.0]
    ci = mean_interval(x)
    half = 4.303 * np.std(x, ddof=1) / math.sqrt(3)  # t_{0.975, 2} = 4.303 (printed tables)
    assert isinstance(ci, Interval) and ci.estimate == pytest.approx(7 / 3)
    assert (ci.low, ci.high) == pytest.approx((7 / 3 - half, 7 / 3 + half), rel=1e-3)
    # a 90 % interval is narrower; t_{0.95, 2} = 2.920
    ci90 = mean_interval(x, level=0.90)
    assert ci90.halfwidth == pytest.approx(2.920 * np.std(x, ddof=1) / math.sqrt(3), rel=1e-3)


@pytest.mark.parametrize("level", [0.5, 0.9, 0.95, 0.99])
def test_intervals_are_scipy_stats_to_the_last_bit(level):
    # scipy.special stands in for scipy.stats (not imported by sweeps): the same numbers
    from scipy import stats

    rng = np.random.default_rng(5)
    for n in (2, 3, 7, 30, 1000):
        x = rng.normal(10.0, 3.0, n)
        half = float(stats.t.ppf(0.5 + level / 2.0, n - 1)) * float(np.std(x, ddof=1)) / math.sqrt(n)
        mean = float(np.mean(x))
        assert mean_interval(x, level) == (mean, mean - half, mean + half)
        assert mean_interval_from_summary(4.0, 1.5, n, level).high == \
            4.0 + float(stats.t.ppf(0.5 + level / 2.0, n - 1)) * 1.5 / math.sqrt(n)
    for n in (1, 2, 5, 17, 50, 333):
        for k in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            ref = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
            assert proportion_interval(k, n, level) == (k / n, float(ref.low), float(ref.high))
        z = float(stats.norm.ppf(0.5 + level / 2.0))
        half = z * math.sqrt(0.2 * 0.8 / 5)
        assert proportion_interval(1, 5, level, "wald") == (0.2, max(0.0, 0.2 - half), 0.2 + half)


def test_mean_interval_with_one_or_no_value_is_undefined():
    one = mean_interval([5.0, np.nan])
    assert one.estimate == 5.0 and math.isnan(one.low) and math.isnan(one.high)
    assert all(math.isnan(v) for v in mean_interval([]))


def test_wilson_matches_its_closed_form_and_jeffreys_the_beta_quantiles():
    z = 1.959964
    for k, n in ((0, 5), (2, 6), (5, 5), (37, 200)):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        ci = proportion_interval(k, n)
        assert ci.estimate == p
        assert (ci.low, ci.high) == pytest.approx((centre - half, centre + half), abs=1e-6)
    # Jeffreys at 0 of 10: upper bound is the 97.5 % quantile of Beta(0.5, 10.5), 0.2172
    # (Brown, Cai & DasGupta 2001, table of Jeffreys limits gives 0.217)
    j = proportion_interval(0, 10, method="jeffreys")
    assert j.low == 0 and j.high == pytest.approx(0.2172, abs=1e-3)


@given(n=st.integers(1, 500), data=st.data(), method=st.sampled_from(["wilson", "jeffreys"]))
def test_proportion_intervals_contain_the_estimate_and_never_have_zero_width(n, data, method):
    k = data.draw(st.integers(0, n))
    ci = proportion_interval(k, n, method=method)
    assert 0 <= ci.low <= ci.estimate <= ci.high <= 1
    assert ci.high - ci.low > 0


def test_stockout_in_every_replication_is_not_reported_as_certain():
    import pandas as pd

    summary = pd.DataFrame({c: [1.0] * 5 for c in
                            ("delivered_l", "tankers_delivered", "litres_destroyed",
                             "tankers_destroyed", "ambushes", "ieds", "convoys", "unmet_l",
                             "days_at_zero", "final_stock_l", "min_cover_days",
                             "escort_utilisation", "mean_escort_wait_h")})
    summary["first_stockout_day"] = [3.0, 4.0, 2.0, 5.0, 3.0]
    m = key_metrics(summary).set_index("metric")
    p = m.loc["p_stockout"]
    assert p["mean"] == 1.0 and p.ci95_high == 1.0
    assert p.ci95_low == pytest.approx(5 / (5 + 1.959964 ** 2), abs=1e-5)  # Wilson at 5 of 5
    assert m.loc["first_stockout_day", "ci95_high"] - m.loc["first_stockout_day", "ci95_low"] > 0


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


def test_several_destinations_say_the_summary_is_national_and_each_gets_its_own_row():
    import pandas as pd

    from corridorsim.experiments.metrics import NATIONAL_LABELS, destination_metrics

    summary = pd.DataFrame({c: [1.0, 3.0] for c in
                            ("delivered_l", "tankers_delivered", "litres_destroyed",
                             "tankers_destroyed", "ambushes", "ieds", "convoys", "unmet_l",
                             "days_at_zero", "final_stock_l", "min_cover_days",
                             "escort_utilisation", "mean_escort_wait_h")})
    summary["first_stockout_day"] = [2.0, np.nan]
    one = key_metrics(summary).set_index("metric")["label"]
    six = key_metrics(summary, destinations=6).set_index("metric")["label"]
    assert one["days_at_zero"] == "days at zero stock"
    assert one["p_stockout"] == "probability that the stock ran out"
    for metric, label in NATIONAL_LABELS.items():
        assert six[metric] == label
    assert six["ambushes"] == one["ambushes"]  # counts of attacks are national either way
    # per destination: A ran out in 2 of 3 replications (days 4 and 6), B never
    dest = pd.DataFrame({
        "replication": [0, 0, 1, 1, 2, 2], "destination": ["A", "B"] * 3,
        "delivered_l": [10, 1, 20, 2, 30, 3], "unmet_l": [1.0, 0, 2.0, 0, 0.0, 0],
        "days_at_zero": [3, 0, 5, 0, 0, 0], "final_stock_l": [0.0, 9, 0.0, 9, 6.0, 9],
        "first_stockout_day": [4.0, np.nan, 6.0, np.nan, np.nan, np.nan]})
    m = destination_metrics(dest).set_index("destination")
    assert list(m.index) == ["A", "B"] and list(m["n"]) == [3, 3]
    assert m.loc["A", "delivered_l"] == 20 and m.loc["A", "unmet_l"] == 1.0
    assert m.loc["A", "days_at_zero"] == pytest.approx(8 / 3)
    assert m.loc["A", "first_stockout_day"] == 5.0  # median over the two that ran out
    assert m.loc["A", "p_stockout"] == pytest.approx(2 / 3)
    wilson = proportion_interval(2, 3)
    assert (m.loc["A", "p_stockout_low"], m.loc["A", "p_stockout_high"]) == (wilson.low, wilson.high)
    assert math.isnan(m.loc["B", "first_stockout_day"]) and m.loc["B", "p_stockout"] == 0


def test_a_day_of_the_scenario_is_shown_as_the_date_it_falls_in():
    start = dt.datetime(2025, 9, 1, 18, 30)  # a start after noon: day 0.6 is still 1 September
    assert day_date(0.0, start) == dt.date(2025, 9, 1)
    assert day_date(0.6, start) == dt.date(2025, 9, 1)
    assert day_date(25.5, start) == dt.date(2025, 9, 26)
    assert day_date(25.5, pd.Timestamp(start)) == dt.date(2025, 9, 26)
    assert day_date(3, dt.date(2025, 9, 1)) == dt.date(2025, 9, 4)
    assert day_date(float("nan"), start) is None and day_date(None, start) is None

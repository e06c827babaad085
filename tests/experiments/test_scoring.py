"""Scoring rules against closed forms (tolerances stated per check)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from corridorsim.experiments.scoring import (
    crps_ensemble,
    interval_score,
    past_weeks_baseline,
    score_table,
    skill,
)


def test_crps_of_a_large_normal_ensemble_matches_the_closed_form():
    # Gneiting et al. 2005: CRPS(N(mu, s), y) = s [z (2 Phi(z) - 1) + 2 phi(z) - 1 / sqrt(pi)]
    mu, s, y = 2.0, 3.0, 4.5
    z = (y - mu) / s
    exact = s * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / math.sqrt(math.pi))
    m = 20000
    sample = mu + s * stats.norm.ppf((np.arange(m) + 0.5) / m)  # quantile grid: error O(1/m)
    assert crps_ensemble(sample, y) == pytest.approx(exact, rel=2e-3)  # wrong by 1/2 spread: +40 %


def test_crps_equals_the_pairwise_definition_and_is_proper():
    rng = np.random.default_rng(1)
    x = rng.gamma(2.0, 3.0, size=(50, 3))
    y = np.array([1.0, 6.0, 30.0])
    direct = np.abs(x - y).mean(axis=0) - 0.5 * np.abs(x[:, None, :] - x[None, :, :]).mean(axis=(0, 1))
    assert np.allclose(crps_ensemble(x, y), direct, rtol=1e-12)
    assert crps_ensemble(np.full(5, 3.0), 3.0) == 0.0
    assert crps_ensemble(np.array([1.0, 5.0]), 3.0) == pytest.approx(1.0)  # 2 - 4 / 2 / 2 * 2


def test_interval_score_penalises_misses_by_two_over_alpha():
    assert interval_score(0, 10, 5, 0.1) == 10
    assert interval_score(0, 10, 12, 0.1) == pytest.approx(10 + 2 / 0.1 * 2)
    assert interval_score(0, 10, -1, 0.5) == pytest.approx(10 + 4)


def test_past_weeks_baseline_only_uses_the_past():
    weekly = np.array([0.0, 5.0, 1.0, 100.0])
    b = past_weeks_baseline(weekly, 1000, np.random.default_rng(0))
    assert (b[:, 0] == 0).all() and (b[:, 1] == 0).all()
    assert set(np.unique(b[:, 2])) == {0.0, 5.0}
    assert 100.0 not in b
    c = past_weeks_baseline(weekly, 10, np.random.default_rng(0), cumulative=True)
    assert (c[:, 3] >= 6.0).all()


def test_score_table_counts_interval_observations_that_overlap_the_band():
    x = np.tile(np.arange(100.0)[:, None], (1, 2))
    t = score_table(x, np.array([150.0, 150.0]), ["exact", "censored"],
                    low=np.array([np.nan, 80.0]), high=np.array([np.nan, 200.0]))
    assert list(t.in90) == [False, True]
    assert t.percentile.tolist() == [100.0, 100.0]
    s = skill(t, t.assign(crps=t.crps * 2))
    assert s.crps_skill.tolist() == pytest.approx([0.5, 0.0])

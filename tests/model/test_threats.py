"""Attack outcome quantiles: the engine's scalar functions and the fast path's array forms give
the numbers of ``scipy.stats``' ``ppf`` methods, which the model does not import (its import
costs every command about half a second of start-up)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from corridorsim.model.threats import _binomial_from_uniform, duration_from_uniform, poisson_quantile
from corridorsim.model.vector.outcomes import _binomial, durations
from corridorsim.model.vector.outcomes import _poisson as poisson_quantiles
from corridorsim.scenario.schema import Duration

#: uniforms at the ends of [0, 1) and just off them, where quantile functions go wrong first
EDGE_U = (0.0, 1e-300, 1e-17, 0.5, 1 - 2**-53, 1 - 1e-12)


def _draws(seed: int, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    u = np.concatenate([rng.random(size), np.repeat(EDGE_U, 40)])
    n = rng.integers(0, 60, u.size)
    p = np.where(rng.random(u.size) < 0.5, rng.random(u.size),
                 rng.choice([1e-9, 0.01, 0.05, 0.1, 0.5, 0.9, 1 - 1e-9], u.size))
    return u, n, p


def test_binomial_quantile_is_scipy_stats_binom_ppf():
    # the smallest k with P(X <= k) >= u, scipy's ppf clipped at 0 (its -1 at u = 0)
    u, n, p = _draws(1, 20_000)
    ref = np.maximum(stats.binom.ppf(u, n, p), 0)
    got = np.array([_binomial_from_uniform(a, int(b), c) for a, b, c in zip(u, n, p, strict=True)])
    assert np.array_equal(got, np.where(n > 0, ref, 0))


def test_binomial_quantile_at_the_ends_of_p():
    assert _binomial_from_uniform(0.99, 7, 0.0) == 0
    assert _binomial_from_uniform(0.01, 7, 1.0) == 7
    assert _binomial_from_uniform(0.5, 0, 0.5) == 0


@pytest.mark.parametrize("p", [0.0, 1e-9, 0.05, 0.3, 0.999, 1.0])
def test_array_binomial_quantile_equals_the_engines(p):
    u, n, _ = _draws(2, 5_000)
    got = _binomial(u, n, p)
    assert got.dtype == np.int64
    assert np.array_equal(got, [_binomial_from_uniform(a, int(b), p) for a, b in zip(u, n, strict=True)])


@pytest.mark.parametrize("mean", [0.3, 2.0, 14.5])
def testpoisson_quantiles_are_scipy_stats_poisson_ppf(mean):
    u = np.concatenate([np.random.default_rng(3).random(5_000), EDGE_U[1:]])
    ref = stats.poisson.ppf(u, mean)
    assert np.array_equal(poisson_quantiles(u, mean), ref)
    assert [poisson_quantile(x, mean) for x in u] == ref.astype(int).tolist()
    assert poisson_quantiles(np.array([0.0]), mean)[0] == 0  # ppf(0) is -1: no tanker


@pytest.mark.parametrize("dist", ["gamma", "lognormal"])
def test_duration_quantiles_are_scipy_stats_ppf_and_the_engines(dist):
    d = Duration(dist=dist, mean_h=6.0, cv=0.7)
    u = np.concatenate([np.random.default_rng(4).random(2_000), EDGE_U[:-1]])
    got = durations(u, d)
    assert got.tolist() == [duration_from_uniform(float(x), d) for x in u]
    if dist == "gamma":
        shape = 1 / 0.7**2
        assert np.array_equal(got, stats.gamma.ppf(u, shape, scale=6.0 / shape))
    else:
        sigma = np.sqrt(np.log1p(0.7**2))
        ref = stats.lognorm.ppf(u, sigma, scale=np.exp(np.log(6.0) - sigma**2 / 2))
        np.testing.assert_allclose(got, ref, rtol=1e-13)  # exp(mu + s z) vs scale * exp(s z)

"""Attack outcomes for many attacks at once, from the same uniforms as the engine's.

:func:`ambush_outcomes` and :func:`ied_outcomes` are the array forms of
:func:`corridorsim.model.threats.draw_ambush` and :func:`~corridorsim.model.threats.draw_ied`:
each maps the attack's :data:`~corridorsim.model.threats.ATTACK_UNIFORMS` uniforms by the same
quantile functions (the severity form's CDF per distinct convoy size and escort, the
``scipy.special`` functions that ``scipy.stats``' ``ppf`` methods call for the rest), so every
outcome equals the scalar one. Attacks are rare next to
the work of driving, so this runs on host NumPy arrays whatever the array module. May import
numpy, scipy and the model's threat modules.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import special

from ...scenario.schema import Duration, Scenario
from ..deterrence import deterrence_factor, escort_strength
from ..severity import loss_pmf
from ..targeting import size_factor

__all__ = ["Outcomes", "ambush_outcomes", "ied_outcomes", "durations", "rate_factors"]


class Outcomes(NamedTuple):
    """Outcomes of a batch of attacks (host arrays, one element per attack)."""

    tankers_destroyed: np.ndarray  # int64
    delay_h: np.ndarray  # float64
    escort_units_lost: np.ndarray  # int64, before the cap at the units present
    turned_back: np.ndarray  # bool


def durations(u: np.ndarray, d: Duration) -> np.ndarray:
    """:func:`~corridorsim.model.threats.duration_from_uniform` on an array of uniforms."""
    if d.dist == "fixed" or (d.mean_h == 0 and d.dist != "uniform"):
        return np.full(u.shape, float(d.mean_h))
    if d.dist == "exponential":
        return np.array([-d.mean_h * math.log1p(-x) for x in u.tolist()], dtype=np.float64)
    if d.dist == "uniform":
        return d.low_h + (d.high_h - d.low_h) * u
    if d.cv == 0:
        return np.full(u.shape, float(d.mean_h))
    if d.dist == "gamma":
        shape = 1.0 / d.cv**2
        return np.asarray(special.gammaincinv(shape, u) * (d.mean_h / shape), dtype=np.float64)
    sigma2 = math.log1p(d.cv**2)
    mu = math.log(d.mean_h) - sigma2 / 2
    z = special.ndtri(u)
    return np.array([math.exp(mu + math.sqrt(sigma2) * x) for x in z.tolist()], dtype=np.float64)


def _binomial(u: np.ndarray, n: np.ndarray, p: float) -> np.ndarray:
    if p <= 0.0:
        return np.zeros(u.shape, dtype=np.int64)
    if p >= 1.0:
        return np.maximum(n, 0).astype(np.int64)
    # the engine's search (threats._binomial_from_uniform), all attacks at once: the smallest k
    # with bdtr(k) >= u, 0 for no units
    n = np.maximum(n, 0).astype(np.int64)
    k = np.zeros(u.shape, dtype=np.int64)
    below = n > 0
    for j in range(int(n.max(initial=0))):
        below &= j < n
        if not below.any():
            break
        below[below] = special.bdtr(j, n[below], p) < u[below]
        k += below
    return k


def _poisson_quantile(u: np.ndarray, mean: float) -> np.ndarray:
    """``scipy.stats.poisson.ppf(u, mean)`` by the special functions it calls (the engine's
    ``threats._poisson_quantile`` on an array); 0 where ``u`` is 0 (where ``ppf`` gives -1)."""
    k = np.ceil(special.pdtrik(u, mean))
    below = np.maximum(k - 1, 0)
    q = np.where(special.pdtr(below, mean) >= u, below, k)
    return np.where(u > 0, q, 0.0)


def _groups(n: np.ndarray, e: np.ndarray):
    """Indices of the attacks sharing each distinct (tankers, escort units) pair."""
    pairs = n.astype(np.int64) * (1 << 32) + e.astype(np.int64)
    order = np.argsort(pairs, kind="stable")
    sorted_pairs = pairs[order]
    cuts = np.flatnonzero(np.diff(sorted_pairs)) + 1
    for chunk in np.split(order, cuts):
        if chunk.size:
            key = int(pairs[chunk[0]])
            yield key >> 32, key & 0xFFFFFFFF, chunk


def ambush_outcomes(u: np.ndarray, n: np.ndarray, e: np.ndarray, sc: Scenario,
                    cdfs: dict | None = None) -> Outcomes:
    """Outcomes of ambushes on convoys of ``n`` tankers with ``e`` escort units.

    ``u`` has shape (attacks, 4): turn-back, loss, delay, escort-loss uniforms, in the order
    :func:`~corridorsim.model.threats.draw_ambush` takes them. ``cdfs`` caches the severity
    CDF of each (tankers, escort units) pair across calls.
    """
    amb, det = sc.threats.ambush, sc.threats.deterrence
    k = np.zeros(n.shape, dtype=np.int64)
    cdfs = {} if cdfs is None else cdfs
    for tankers, units, idx in _groups(n, e):
        cdf = cdfs.get((tankers, units))
        if cdf is None:
            cdf = cdfs[(tankers, units)] = np.cumsum(loss_pmf(tankers, units, amb, det))
        hit = np.searchsorted(cdf, u[idx, 1] * cdf[-1], side="right")
        k[idx] = np.minimum(hit, max(tankers, 0))
    delay = durations(u[:, 2], amb.delay)
    lost = _binomial(u[:, 3], e, amb.escort_unit_loss_prob)
    turned = (u[:, 0] < amb.turn_back_prob) & (k < n)
    return Outcomes(k, delay, lost, turned)


def ied_outcomes(u: np.ndarray, n: np.ndarray, e: np.ndarray, sc: Scenario) -> Outcomes:
    """Outcomes of IED strikes (never a turn-back); ``u`` as for :func:`ambush_outcomes`."""
    ied = sc.threats.ied
    mean = ied.tankers_destroyed_mean
    if mean > 0:
        k = np.where(n > 0, np.minimum(n, _poisson_quantile(u[:, 1], mean)), 0)
    else:
        k = np.zeros(n.shape)
    k = np.maximum(k, 0).astype(np.int64)
    delay = durations(u[:, 2], ied.delay)
    lost = _binomial(u[:, 3], e, ied.escort_unit_loss_prob)
    return Outcomes(k, delay, lost, np.zeros(n.shape, dtype=bool))


def rate_factors(n: np.ndarray, e: np.ndarray, sc: Scenario,
                 cache: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Deterrence factor on the rates and targeting factor on the ambush rate, per convoy.

    Computed with the engine's scalar functions once per distinct (tankers, escort units)
    pair, so that the hazard agrees with the engine's to the last bit.
    """
    det_spec, targeting = sc.threats.deterrence, sc.threats.targeting
    det = np.empty(n.shape)
    sf = np.empty(n.shape)
    cache = {} if cache is None else cache
    for tankers, units, idx in _groups(n, e):
        hit = cache.get((tankers, units))
        if hit is None:
            hit = cache[(tankers, units)] = (
                deterrence_factor(escort_strength(units, tankers), det_spec.rate_floor,
                                  det_spec.rate_scale),
                size_factor(tankers, targeting))
        det[idx], sf[idx] = hit
    return det, sf

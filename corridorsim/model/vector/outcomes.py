"""Attack outcomes for many attacks at once, from the same uniforms as the engine's.

:func:`ambush_outcomes` and :func:`ied_outcomes` are the array forms of
:func:`corridorsim.model.threats.draw_ambush` and :func:`~corridorsim.model.threats.draw_ied`:
each maps the attack's :data:`~corridorsim.model.threats.ATTACK_UNIFORMS` uniforms by the same
quantile functions (the severity form's CDF per distinct convoy size and escort, the
``scipy.special`` functions the engine calls for the rest), so every outcome equals the scalar
one. Attacks are rare next to the work of driving, so this runs on host NumPy arrays whatever
the array module. May import numpy, scipy and the model's threat modules.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np
from scipy import special

from ...scenario.schema import Duration, Scenario
from ..deterrence import deterrence_factor, escort_strength
from ..severity import loss_pmf
from ..targeting import size_factor
from ..threats import binomial_cdf, poisson_quantile

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
    if d.dist == "gamma":  # the engine's special functions, elementwise
        shape = 1.0 / d.cv**2
        return np.asarray(special.gammaincinv(shape, u) * (d.mean_h / shape), dtype=np.float64)
    sigma2 = math.log1p(d.cv**2)
    mu = math.log(d.mean_h) - sigma2 / 2
    z = special.ndtri(u)
    return np.array([math.exp(mu + math.sqrt(sigma2) * x) for x in z.tolist()], dtype=np.float64)


#: Distance of a uniform to a step of a discrete CDF within which the quantile is left to
#: the engine's own function: farther away, the step the uniform falls in is the same
#: whatever the last bits of either evaluation of the CDF.
_NEAR_STEP = 1e-9


def _lookup(cdf: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The smallest ``j`` with ``cdf[j] >= x`` for each ``x``, and where ``x`` is within
    :data:`_NEAR_STEP` of a step of ``cdf`` or beyond its last value (there: ask the engine's
    function)."""
    j = np.searchsorted(cdf, x, side="left")
    top = cdf.size - 1
    at = np.minimum(j, top)
    below = cdf[np.maximum(j - 1, 0)]
    near = (j > top) | (np.abs(cdf[at] - x) <= _NEAR_STEP) | \
        ((j > 0) & (np.abs(x - below) <= _NEAR_STEP))
    return at.astype(np.int64), near


@functools.lru_cache(maxsize=256)
def _binomial_cdf(n: int, p: float) -> np.ndarray:
    # the engine's cached CDF as an array, so that a batch of uniforms is looked up at once
    return np.asarray(binomial_cdf(n, p))


@functools.lru_cache(maxsize=64)
def _poisson_cdf(mean: float) -> np.ndarray:
    # up to 20 standard deviations above the mean: uniforms beyond go to the engine's formula
    return special.pdtr(np.arange(int(mean + 20 * math.sqrt(mean)) + 30), mean)


def _binomial(u: np.ndarray, n: np.ndarray, p: float) -> np.ndarray:
    """:func:`~corridorsim.model.threats._binomial_from_uniform` elementwise (0 where
    ``n <= 0``): the smallest ``k`` with ``bdtr(k, n, p) >= u``. The engine evaluates the same
    ``scipy.special.bdtr`` values one ``k`` at a time, so looking ``u`` up in the CDF of each
    distinct ``n`` gives its answer exactly, next to a step as anywhere else."""
    if p <= 0.0:
        return np.zeros(u.shape, dtype=np.int64)
    if p >= 1.0:
        return np.maximum(n, 0).astype(np.int64)
    k = np.zeros(u.shape, dtype=np.int64)
    for units in np.unique(n[n > 0]).tolist():
        sel = np.flatnonzero(n == units)
        j = np.searchsorted(_binomial_cdf(units, p), u[sel], side="left")
        k[sel] = np.minimum(j, units)
    return k


def _poisson(u: np.ndarray, mean: float) -> np.ndarray:
    """:func:`~corridorsim.model.threats.poisson_quantile` elementwise: looked up in the CDF
    (:func:`_lookup`), the engine's formula next to a step."""
    k, near = _lookup(_poisson_cdf(mean), u)
    if near.any():
        k[near] = [poisson_quantile(x, mean) for x in u[near].tolist()]
    return k


def ambush_outcomes(u: np.ndarray, n: np.ndarray, e: np.ndarray, sc: Scenario,
                    cdfs: dict | None = None) -> Outcomes:
    """Outcomes of ambushes on convoys of ``n`` tankers with ``e`` escort units.

    ``u`` has shape (attacks, 4): turn-back, loss, delay, escort-loss uniforms, in the order
    :func:`~corridorsim.model.threats.draw_ambush` takes them. ``cdfs`` caches the severity
    CDF of each (tankers, escort units) pair across calls.
    """
    amb, det = sc.threats.ambush, sc.threats.deterrence
    cdfs = {} if cdfs is None else cdfs
    pairs, inverse = _pairs(n, e)
    rows = []
    for tankers, units in pairs:
        cdf = cdfs.get((tankers, units))
        if cdf is None:
            cdf = cdfs[(tankers, units)] = np.cumsum(loss_pmf(tankers, units, amb, det))
        rows.append(cdf)
    # the engine's searchsorted(cdf, x, side="right"), the attacks of each pair at once
    # (sorted by pair: a slice each)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(rows) + 1)).tolist()
    hit = np.empty(n.shape, dtype=np.int64)
    for j, cdf in enumerate(rows):
        at = order[bounds[j]:bounds[j + 1]]
        hit[at] = np.searchsorted(cdf, u[at, 1] * cdf[-1], side="right")
    k = np.minimum(hit, np.maximum(n, 0)).astype(np.int64)
    delay = durations(u[:, 2], amb.delay)
    lost = _binomial(u[:, 3], e, amb.escort_unit_loss_prob)
    turned = (u[:, 0] < amb.turn_back_prob) & (k < n)
    return Outcomes(k, delay, lost, turned)


def _pairs(n: np.ndarray, e: np.ndarray) -> tuple[list[tuple[int, int]], np.ndarray]:
    """The distinct (tankers, escort units) pairs and the pair of each element."""
    code = n.astype(np.int64) * (1 << 32) + e.astype(np.int64)
    keys, inverse = np.unique(code, return_inverse=True)
    return [(k >> 32, k & 0xFFFFFFFF) for k in keys.tolist()], inverse.reshape(-1)


def ied_outcomes(u: np.ndarray, n: np.ndarray, e: np.ndarray, sc: Scenario) -> Outcomes:
    """Outcomes of IED strikes (never a turn-back); ``u`` as for :func:`ambush_outcomes`."""
    ied = sc.threats.ied
    mean = ied.tankers_destroyed_mean
    if mean > 0:
        k = np.where(n > 0, np.minimum(n, _poisson(u[:, 1], mean)), 0)
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
    pair, so that the hazard agrees with the engine's to the last bit; ``cache`` keeps them
    across calls as tables indexed by tankers and escort units.
    """
    det_spec, targeting = sc.threats.deterrence, sc.threats.targeting
    cache = {} if cache is None else cache
    n, e = n.astype(np.int64), e.astype(np.int64)
    if not n.size:
        return np.zeros(0), np.zeros(0)
    table = cache.get("table")
    need = (int(n.max()) + 1, int(e.max()) + 1)
    if table is None or table.shape[1] < need[0] or table.shape[2] < need[1]:
        grown = np.full((3, max(need[0], 0 if table is None else table.shape[1]),
                         max(need[1], 0 if table is None else table.shape[2])), np.nan)
        if table is not None:
            grown[:, :table.shape[1], :table.shape[2]] = table
        table = cache["table"] = grown  # [known, deterrence, size factor][tankers, units]
    missing = np.isnan(table[0, n, e])
    if missing.any():
        pairs, _ = _pairs(n[missing], e[missing])
        for tankers, units in pairs:
            table[:, tankers, units] = (
                1.0, deterrence_factor(escort_strength(units, tankers), det_spec.rate_floor,
                                       det_spec.rate_scale), size_factor(tankers, targeting))
    return table[1, n, e], table[2, n, e]

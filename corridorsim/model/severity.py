"""Severity of an ambush: the number of tankers destroyed, drawn from ONE uniform.

Forms (``threats.ambush.severity.form``), for a convoy of ``n`` tankers with escort strength
``s`` (escort units per 10 tankers) and ``E`` escort units:

``beta_binomial``
    ``K ~ BetaBinomial(n, a, b)``, ``a = m k``, ``b = (1 - m) k``, mean share
    ``m = m0 D_loss(s) L(E)``, ``k`` = ``loss_share_concentration``. The expected share lost is
    the same whatever ``n``.
``saturating_share``
    As above with ``m = m0 h / (h + n) D_loss(s) L(E)``: ``E[K] = n m`` tends to ``m0 h`` tankers
    as ``n`` grows (losses per attack roughly independent of convoy size: Blackett's convoy
    analysis, Morse and Kimball, *Methods of Operations Research*, 1951, ch. 3).
``negative_binomial``
    ``K = min(n, X)``, ``X ~ NegBin`` with mean ``mu = mu0 D_loss(s) L(E)`` and size ``r``
    (variance ``mu + mu^2 / r``): an absolute loss with a heavy tail, capped by the convoy.

``D_loss(s) = f + (1 - f) exp(-s / c)`` acts on the ratio of escorts to tankers (see
:mod:`corridorsim.model.threats`); ``L(E) = sqrt(max(0, 1 - rho (E / A)^2))`` acts on the
attacking force: under Lanchester's square law an attacking force ``A`` that meets ``E``
escort units of relative effectiveness ``rho`` keeps ``sqrt(A^2 - rho E^2)`` of its strength
(none: the attack is repulsed), and the damage it does is taken proportional to that.

Every form maps one uniform ``u`` to ``K`` by its quantile function, so an ambush uses a fixed
number of uniforms whatever ``n`` and ``E`` (common random numbers stay aligned across sweep
points). Imports only the scenario schema and SciPy (``scipy.stats`` on first use of the
negative-binomial form only: :func:`negative_binomial`).
"""

from __future__ import annotations

import bisect
import functools
import math

import numpy as np
from scipy import special

from ..scenario.schema import AmbushEffects, Deterrence
from .deterrence import deterrence_factor, escort_strength

__all__ = ["lanchester_factor", "loss_mean_share", "tankers_lost", "loss_pmf",
           "negative_binomial"]


def negative_binomial():
    """``scipy.stats.nbinom``, imported on first use.

    Only the negative-binomial form needs ``scipy.stats``, whose import costs about half a
    second that every command would otherwise pay at start-up.
    :class:`~corridorsim.model.threats.ThreatTable` calls this when it compiles a scenario with
    that form, so that a command imports it before it forks the worker processes that inherit
    it, rather than each worker at its first ambush.
    """
    from scipy.stats import nbinom

    return nbinom


def lanchester_factor(escort_units: int, attacker_units: float | None, exchange_ratio: float) -> float:
    """Share of the attacking force left after meeting the escort (square law), in [0, 1].

    ``sqrt(max(0, 1 - rho (E / A)^2))``; 1 when ``attacker_units`` is None (effect off).
    """
    if attacker_units is None or escort_units <= 0:
        return 1.0
    left = 1.0 - exchange_ratio * (escort_units / attacker_units) ** 2
    return math.sqrt(left) if left > 0 else 0.0


def loss_mean_share(tankers: int, escort_units: int, amb: AmbushEffects, det: Deterrence) -> float:
    """Mean share ``m`` of a share form (beta_binomial, saturating_share), in [0, 1]."""
    sev = amb.severity
    strength = escort_strength(escort_units, tankers)
    m = amb.loss_share_mean * deterrence_factor(strength, det.loss_floor, det.loss_scale)
    m *= lanchester_factor(escort_units, sev.attacker_strength_units, sev.exchange_ratio)
    if sev.form == "saturating_share":
        h = sev.half_saturation_tankers
        m *= h / (h + tankers)
    return min(max(m, 0.0), 1.0)


def loss_pmf(tankers: int, escort_units: int, amb: AmbushEffects, det: Deterrence) -> np.ndarray:
    """Probabilities of ``K = 0, 1, ..., n`` tankers destroyed (the cap at ``n`` included).

    Parameters
    ----------
    tankers, escort_units : int
        Convoy size n and escort units E at the moment of the ambush.
    amb : AmbushEffects
        ``threats.ambush`` (its ``severity`` block selects the form).
    det : Deterrence
        ``threats.deterrence`` (loss_floor, loss_scale act on the escort ratio).
    """
    sev = amb.severity
    n = max(int(tankers), 0)
    k = np.arange(n + 1)
    none = np.zeros(n + 1)
    none[0] = 1.0
    if n == 0:
        return none
    if sev.form == "negative_binomial":
        strength = escort_strength(escort_units, n)
        mu = sev.mean_tankers * deterrence_factor(strength, det.loss_floor, det.loss_scale)
        mu *= lanchester_factor(escort_units, sev.attacker_strength_units, sev.exchange_ratio)
        if mu <= 0:
            return none
        r = sev.dispersion
        nbinom = negative_binomial()
        pmf = nbinom.pmf(k, r, r / (r + mu))  # scipy: n = size, p = r / (r + mu)
        pmf[n] = nbinom.sf(n - 1, r, r / (r + mu))  # P(X >= n): the whole convoy
        return pmf
    m = loss_mean_share(n, escort_units, amb, det)
    conc = amb.loss_share_concentration
    a, b = m * conc, (1.0 - m) * conc
    if a <= 1e-12:
        return none
    if b <= 1e-12:
        return none[::-1].copy()
    # scipy.stats.betabinom.pmf's own formula (the same numbers) without its argument handling
    kf = k.astype(float)
    combiln = -np.log(n + 1) - special.betaln(n - kf + 1, kf + 1)
    return np.exp(combiln + special.betaln(kf + a, n - kf + b) - special.betaln(a, b))


def tankers_lost(u: float, tankers: int, escort_units: int, amb: AmbushEffects,
                 det: Deterrence) -> int:
    """Tankers destroyed by one ambush, from one uniform ``u`` in [0, 1) (quantile method).

    Returns the smallest ``K`` with ``P(K' <= K) > u`` under :func:`loss_pmf`, in [0, n].
    """
    cdf = _loss_cdf(tankers, escort_units, amb, det)
    return min(bisect.bisect_right(cdf, u * cdf[-1]), max(int(tankers), 0))


@functools.lru_cache(maxsize=4096)
def _loss_cdf(tankers: int, escort_units: int, amb: AmbushEffects, det: Deterrence
              ) -> tuple[float, ...]:
    """Cumulative :func:`loss_pmf`, cached: a scenario's ambushes meet few (n, E) pairs, and
    the pmf's special functions cost more than the draw (the blocks are frozen, hashable)."""
    return tuple(np.cumsum(loss_pmf(tankers, escort_units, amb, det)).tolist())

"""The adversary in time: ambush opportunities per group of roads as a Cox or Hawkes process.

Model
-----
Each group ``g`` of edges (by corridor or by threat region, ``threats.adversary.group_by``) has
a stream of ambush *opportunities*: moments when its fighters are ready to strike. Their
conditional intensity, per hour, is

    nu_g(t) = mu_g * G_rep * G_{g,w(t)} + sum_{t_i < t} eta * delta * exp(-delta (t - t_i))

with ``mu_g = nu_g (1 - eta)``, ``nu_g`` the group's mean opportunity rate
(``opportunities_per_week / 168``), ``G_rep ~ Gamma(k_r, 1 / k_r)`` a multiplier drawn once per
replication, ``G_{g,w} ~ Gamma(k_w, 1 / k_w)`` one per group and week (a Cox process: the
doubly stochastic Poisson process of Cox 1955), and, for ``process: hawkes``, self-excitation
with branching ratio ``eta < 1`` (each opportunity triggers ``eta`` more on average, after
exponential delays of mean ``1 / delta`` = ``excitation_days``; Hawkes 1971; the exponential
kernel of Mohler et al. 2011, JASA 106:100; Lewis et al. 2012 found 37-50 % of attacks
triggered, with effects lasting 2-6 weeks; Zammit-Mangion et al. 2012, PNAS 109:12414). The
stationary mean rate is ``mu_g / (1 - eta) = nu_g`` (times ``E[G] = 1``); the stream starts a
burn-in before the horizon so it is stationary from time 0.

At an opportunity, the convoys on the group's roads, each with weight ``w_c`` (per hour: the
Poisson hazard it would face there, rule rate x phase x deterrence x targeting x speed), are
attacked with probability ``W / (nu_g + W)``, ``W = sum_c w_c``, and the target is drawn in
proportion to ``w_c``. A convoy's attack rate is thus ``nu(t) w_c / (nu_g + W)`` (Holling's
type II functional response, 1959): ``w_c`` at light traffic, where the Poisson model is
recovered, and at most ``nu(t)`` attacks per hour however many convoys drive (saturation).

Common random numbers: opportunity times and the two uniforms used at each opportunity
(accept, choose) come from the adversary's own streams, ``SeedSequence(seed, spawn_key=(r,
k_adversary, 1, crc32(group)))``, drawn before the run and independent of traffic, so
replication ``r`` meets the same adversary at every sweep point.

Estimation: :func:`hawkes_loglik` (exact log-likelihood of the exponential-kernel Hawkes process
with constant baseline, Ozaki 1979 recursion), :func:`fit_hawkes` (maximum likelihood incl. the
decay) and :func:`hawkes_compensator` (time-rescaling residuals, Ogata 1988). Imports the
scenario schema, NumPy and SciPy only (``scipy.optimize`` inside :func:`fit_hawkes`: the engine
never needs it, and it costs a quarter of a second to import).
"""

from __future__ import annotations

import math
import zlib
from typing import NamedTuple

import numpy as np

from ..scenario.schema import Adversary

__all__ = [
    "HOURS_PER_WEEK",
    "Opportunity",
    "HawkesFit",
    "group_rate_per_h",
    "simulate_opportunities",
    "opportunity_schedule",
    "pick_target",
    "hawkes_loglik",
    "hawkes_compensator",
    "fit_hawkes",
]

HOURS_PER_WEEK = 168.0


class Opportunity(NamedTuple):
    """One ambush opportunity: time (h), group, and its two uniforms (accept, choose)."""

    time_h: float
    group: str
    u_accept: float
    u_choose: float


class HawkesFit(NamedTuple):
    """Maximum-likelihood estimate of an exponential-kernel Hawkes process (rates per unit time)."""

    baseline: float
    branching_ratio: float
    decay: float
    loglik: float


def group_rate_per_h(spec: Adversary, group: str) -> float:
    """Mean opportunity rate ``nu_g`` of a group, per hour."""
    return spec.group_opportunities_per_week.get(group, spec.opportunities_per_week) / HOURS_PER_WEEK


def simulate_opportunities(rng: np.random.Generator, rate_per_h: float, horizon_h: float,
                           weekly_shape: float | None = None, multiplier: float = 1.0,
                           branching_ratio: float = 0.0, excitation_h: float = 336.0) -> np.ndarray:
    """Opportunity times in [0, horizon_h) of one group (sorted, hours).

    Cluster (branching) representation of the Hawkes process (Hawkes and Oakes 1974): immigrants
    from the Cox baseline ``rate (1 - eta) x multiplier x G_week``, each event begetting
    ``Poisson(eta)`` children after ``Exp(mean excitation_h)`` delays, generation by generation.
    With ``branching_ratio`` 0 this is the Cox process itself.
    """
    eta = branching_ratio
    burn = 0.0 if eta == 0 else HOURS_PER_WEEK * math.ceil(10 * excitation_h / HOURS_PER_WEEK)
    weeks = max(1, math.ceil((horizon_h + burn) / HOURS_PER_WEEK))
    if weekly_shape is None:
        g = np.ones(weeks)
    else:
        g = rng.gamma(weekly_shape, 1.0 / weekly_shape, weeks)
    base = rate_per_h * (1.0 - eta) * multiplier * HOURS_PER_WEEK
    counts = rng.poisson(base * g)
    starts = np.repeat(np.arange(weeks) * HOURS_PER_WEEK - burn, counts)
    gen = starts + HOURS_PER_WEEK * rng.random(starts.size)
    gen = gen[gen < horizon_h]
    found = [gen]
    while eta > 0 and gen.size:
        kids = rng.poisson(eta, gen.size)
        gen = np.repeat(gen, kids) + rng.exponential(excitation_h, int(kids.sum()))
        gen = gen[gen < horizon_h]
        found.append(gen)
    times = np.sort(np.concatenate(found))
    return times[times >= 0.0]


def _group_rng(seed: int, replication: int, stream: int, group: str) -> np.random.Generator:
    key = (replication, stream, 1, zlib.crc32(group.encode("utf-8")))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def opportunity_schedule(spec: Adversary, groups: list[str], seed: int, replication: int,
                         stream: int, horizon_h: float) -> list[Opportunity]:
    """Every group's opportunities of one replication, in time order.

    Parameters
    ----------
    spec : Adversary
        ``threats.adversary``.
    groups : list of str
        Names of the groups that carry ambush hazard.
    seed, replication : int
        Root seed and replication index.
    stream : int
        Index of the adversary in :data:`corridorsim.model.streams.STREAM_NAMES`.
    horizon_h : float
        Simulated horizon, hours.
    """
    multiplier = 1.0
    if spec.replication_shape is not None:
        ss = np.random.SeedSequence(seed, spawn_key=(replication, stream, 0))
        k = spec.replication_shape
        multiplier = float(np.random.Generator(np.random.PCG64(ss)).gamma(k, 1.0 / k))
    eta = spec.branching_ratio if spec.process == "hawkes" else 0.0
    out: list[Opportunity] = []
    for g in groups:
        rng = _group_rng(seed, replication, stream, g)
        times = simulate_opportunities(rng, group_rate_per_h(spec, g), horizon_h, spec.weekly_shape,
                                       multiplier, eta, 24.0 * spec.excitation_days)
        u = rng.random((times.size, 2))
        out.extend(Opportunity(float(t), g, float(a), float(b)) for t, (a, b) in zip(times, u))
    out.sort(key=lambda o: (o.time_h, o.group))
    return out


def pick_target(weights: list[float], rate_per_h: float, u_accept: float, u_choose: float) -> int | None:
    """Index of the convoy attacked at an opportunity, or None (no attack).

    Attack with probability ``W / (nu + W)``, ``W = sum(weights)`` (per hour), then the convoy
    ``c`` with probability ``weights[c] / W``.
    """
    total = float(sum(weights))
    if total <= 0 or u_accept >= total / (rate_per_h + total):
        return None
    acc = 0.0
    target = u_choose * total
    for i, w in enumerate(weights):
        acc += w
        if target < acc:
            return i
    return len(weights) - 1


def _excitation_sums(times: np.ndarray, decay: float) -> np.ndarray:
    """``A_i = sum_{j < i} exp(-decay (t_i - t_j))`` by the recursion of Ozaki (1979)."""
    a = np.zeros(times.size)
    for i in range(1, times.size):
        a[i] = math.exp(-decay * (times[i] - times[i - 1])) * (1.0 + a[i - 1])
    return a


def hawkes_loglik(times: np.ndarray, horizon: float, baseline: float, branching_ratio: float,
                  decay: float) -> float:
    """Log-likelihood of event times on [0, horizon] under ``lambda(t) = mu + eta delta sum exp(-delta
    (t - t_i))``: ``sum log lambda(t_i) - mu T - eta sum (1 - exp(-delta (T - t_i)))``."""
    t = np.asarray(times, dtype=float)
    lam = baseline + branching_ratio * decay * _excitation_sums(t, decay)
    comp = baseline * horizon + branching_ratio * np.sum(1.0 - np.exp(-decay * (horizon - t)))
    return float(np.sum(np.log(lam)) - comp)


def hawkes_compensator(times: np.ndarray, baseline: float, branching_ratio: float,
                       decay: float) -> np.ndarray:
    """``Lambda(t_i)``, the integrated intensity at each event; its increments are i.i.d.
    ``Exp(1)`` if the model is right (time-rescaling theorem)."""
    t = np.asarray(times, dtype=float)
    out = np.empty(t.size)
    for i in range(t.size):
        out[i] = baseline * t[i] + branching_ratio * np.sum(1.0 - np.exp(-decay * (t[i] - t[:i])))
    return out


def fit_hawkes(times: np.ndarray, horizon: float) -> HawkesFit:
    """Maximum-likelihood baseline, branching ratio and decay (L-BFGS-B on transformed values,
    three starting decays)."""
    from scipy import optimize  # local: only estimation needs it (see the module docstring)

    t = np.asarray(times, dtype=float)
    if t.size < 3:
        raise ValueError(f"need at least 3 events to fit a Hawkes process, got {t.size}")
    rate = t.size / horizon

    def nll(x: np.ndarray) -> float:
        mu, eta, dec = math.exp(x[0]), 1.0 / (1.0 + math.exp(-x[1])), math.exp(x[2])
        return -hawkes_loglik(t, horizon, mu, eta, dec)

    best = None
    for dec0 in (10.0 / horizon, 100.0 / horizon, 1000.0 / horizon):
        res = optimize.minimize(nll, np.array([math.log(0.5 * rate), 0.0, math.log(dec0)]),
                                method="L-BFGS-B")
        if best is None or res.fun < best.fun:
            best = res
    mu, eta, dec = math.exp(best.x[0]), 1.0 / (1.0 + math.exp(-best.x[1])), math.exp(best.x[2])
    return HawkesFit(mu, eta, dec, -float(best.fun))

"""Agreement with analytic results, within stated tolerances.

Each check compares a simulated frequency or mean with its closed form and allows four
standard errors (a false alarm has probability below 1e-4; seeds are fixed, so a run is
repeatable). Route: Zegoua - Bamako, 485 km (see test_engine_trace.py).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from corridorsim.model.engine import run_replication
from corridorsim.model.threats import deterrence_factor, draw_ambush

from ..conftest import make_plan

ROUTE_KM = 485.0


def _convoys(n: int, tankers: int = 10, escort_units: int = 0) -> list[dict]:
    # one convoy every 6 minutes: they never interact (no shared escort, no capacity limit)
    return [{"name": f"c{i}", "depart": f"2025-09-01T{(i // 10) % 24:02d}:{(i % 10) * 6:02d}",
             "origin": "Zegoua", "tankers": tankers, "payload_l": 1000, "escort_units": escort_units}
            for i in range(n)]


def _harmless_threats(ambush_rate: float, ied_rate: float = 0.0, **deterrence) -> dict:
    """Attacks that change nothing (no loss, no delay, no turn-back): counts stay Poisson."""
    return {
        "enabled": True,
        "rules": [{"ambush_rate_per_1000km": ambush_rate, "ied_rate_per_1000km": ied_rate}],
        "ambush": {"loss_share_mean": 0.0, "delay": {"dist": "fixed", "mean_h": 0},
                   "turn_back_prob": 0.0, "escort_unit_loss_prob": 0.0},
        "ied": {"tankers_destroyed_mean": 0.0, "delay": {"dist": "fixed", "mean_h": 0},
                "escort_unit_loss_prob": 0.0},
        "deterrence": deterrence or {"rate_floor": 0.5, "rate_scale": 1.0},
    }


def _attack_counts(plan, replications: int, kind: str = "ambush") -> np.ndarray:
    counts = []
    for r in range(replications):
        rec = run_replication(plan, seed=11, replication=r)
        per = {row.convoy_id: 0 for row in rec.convoys}
        for e in rec.events:
            if e.kind == kind:
                per[e.convoy_id] += 1
        counts.extend(per.values())
    return np.array(counts)


def _within(estimate: float, expected: float, se: float, k: float = 4.0) -> bool:
    return abs(estimate - expected) <= k * se


@pytest.mark.parametrize("rate", [0.5, 2.0])
def test_probability_of_no_ambush_is_exp_minus_rate_km(rate):
    plan = make_plan(convoys=_convoys(200), threats=_harmless_threats(rate))
    counts = _attack_counts(plan, replications=10)
    p = math.exp(-rate * ROUTE_KM / 1000.0)
    p_hat = float(np.mean(counts == 0))
    se = math.sqrt(p * (1 - p) / len(counts))
    assert len(counts) == 2000
    assert _within(p_hat, p, se), (p_hat, p, se)


def test_ambush_count_is_poisson_in_convoy_km():
    rate = 3.0
    plan = make_plan(convoys=_convoys(200), threats=_harmless_threats(rate))
    counts = _attack_counts(plan, replications=10)
    mu = rate * ROUTE_KM / 1000.0
    assert _within(counts.mean(), mu, math.sqrt(mu / len(counts)))
    # Poisson dispersion: variance equals the mean (standard error of s^2 ~ sqrt(2 mu^2 + mu) / sqrt(n))
    assert _within(counts.var(ddof=1), mu, math.sqrt((2 * mu**2 + mu) / len(counts)))


def test_ied_process_is_independent_and_poisson():
    plan = make_plan(convoys=_convoys(200), threats=_harmless_threats(0.0, ied_rate=1.5))
    counts = _attack_counts(plan, replications=10, kind="ied")
    mu = 1.5 * ROUTE_KM / 1000.0
    assert _within(counts.mean(), mu, math.sqrt(mu / len(counts)))


def test_escort_deterrence_scales_the_rate():
    rate, floor, scale = 2.0, 0.3, 1.5
    plan = make_plan(convoys=_convoys(200, tankers=10, escort_units=2),
                     threats=_harmless_threats(rate, rate_floor=floor, rate_scale=scale))
    counts = _attack_counts(plan, replications=10)
    s = 10.0 * 2 / 10  # escort units per 10 tankers
    p = math.exp(-rate * ROUTE_KM / 1000.0 * deterrence_factor(s, floor, scale))
    p_hat = float(np.mean(counts == 0))
    assert _within(p_hat, p, math.sqrt(p * (1 - p) / len(counts))), (p_hat, p)


def test_phase_multiplier_scales_the_rate():
    threats = _harmless_threats(1.0)
    threats["phases"] = [{"name": "blockade", "start": "2025-08-01", "ambush_multiplier": 3.0}]
    plan = make_plan(convoys=_convoys(200), threats=threats)
    counts = _attack_counts(plan, replications=10)
    p = math.exp(-3.0 * ROUTE_KM / 1000.0)
    assert _within(float(np.mean(counts == 0)), p, math.sqrt(p * (1 - p) / len(counts)))


def test_ambush_loss_share_has_the_beta_binomial_mean():
    m, k, n = 0.35, 4.0, 100
    threats = _harmless_threats(200.0)  # every convoy is ambushed almost at once
    threats["ambush"].update(loss_share_mean=m, loss_share_concentration=k)
    plan = make_plan(convoys=_convoys(100, tankers=n), threats=threats)
    shares = []
    for r in range(10):
        rec = run_replication(plan, seed=5, replication=r)
        first = {}
        for e in rec.events:
            if e.kind == "ambush" and e.convoy_id not in first:
                first[e.convoy_id] = e.tankers_destroyed / e.tankers
        shares.extend(first.values())
    shares = np.array(shares)
    # Var(K/n) for a beta-binomial: m(1-m) (1/n + (n-1)/n / (k+1))
    var = m * (1 - m) * (1 / n + (n - 1) / n / (k + 1))
    assert len(shares) == 1000
    assert _within(shares.mean(), m, math.sqrt(var / len(shares)))


def _bb_share_var(m: float, k: float, n: int) -> float:
    """Var(K/n) of a beta-binomial with mean share m and concentration k."""
    return m * (1 - m) * (1 / n + (n - 1) / n / (k + 1))


def test_ambush_loss_share_variance_pins_the_concentration():
    # 20 000 outcome draws; the variance estimate's standard error comes from the sample's
    # fourth central moment. A concentration 25 % off (k = 5 instead of 4) moves the variance
    # by ~16 %, about 10 standard errors: the check below would fail for it.
    m, k, n, size = 0.35, 4.0, 100, 20_000
    sc = make_plan(threats={"enabled": True, "ambush": {"loss_share_mean": m,
                                                        "loss_share_concentration": k}}).scenario
    rng = np.random.default_rng(2024)
    x = np.array([draw_ambush(rng, sc, n, 0).tankers_destroyed / n for _ in range(size)])
    s2 = x.var(ddof=1)
    mu4 = float(np.mean((x - x.mean()) ** 4))
    se = math.sqrt((mu4 - s2**2 * (size - 3) / (size - 1)) / size)
    assert _within(s2, _bb_share_var(m, k, n), se)
    for wrong in (k * 1.25, k / 1.25):
        assert not _within(s2, _bb_share_var(m, wrong, n), se)


def test_random_closure_is_closed_a_renewal_share_of_the_time():
    rate_per_day, mean_h = 0.5, 24.0
    plan = make_plan(end="2026-03-01", closures={"random": [
        {"edge": ["Kayes", "Sandare"], "rate_per_day": rate_per_day,
         "duration": {"dist": "exponential", "mean_h": mean_h}}]})
    closed_h, total_h, cycles = 0.0, 0.0, 0
    for r in range(10):
        rec = run_replication(plan, seed=3, replication=r)
        t_close = None
        for e in rec.events:
            if e.kind == "closure":
                t_close = e.time_h
                cycles += 1
            elif e.kind == "reopening":
                closed_h += e.time_h - t_close
                t_close = None
        if t_close is not None:
            closed_h += plan.horizon_h - t_close
        total_h += plan.horizon_h
    up_h = 24.0 / rate_per_day
    share = mean_h / (up_h + mean_h)
    # cycles of (up, down) are i.i.d.; the share's standard error is about
    # sqrt(var(D - share (U + D)) / cycles) / E[U + D]
    se = math.sqrt((mean_h**2 * (1 - share) ** 2 + up_h**2 * share**2) / cycles) / (up_h + mean_h)
    assert cycles > 500
    assert _within(closed_h / total_h, share, se), (closed_h / total_h, share)


@pytest.mark.slow
@pytest.mark.parametrize("rate", [0.25, 1.0, 4.0])
def test_no_ambush_probability_large_sample(rate):
    """The survival check with 20,000 convoys per rate (standard error below 0.004)."""
    plan = make_plan(convoys=_convoys(1000), threats=_harmless_threats(rate))
    counts = _attack_counts(plan, replications=20)
    p = math.exp(-rate * ROUTE_KM / 1000.0)
    se = math.sqrt(p * (1 - p) / len(counts))
    assert _within(float(np.mean(counts == 0)), p, se)

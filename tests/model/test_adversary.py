"""The calibrated adversary: targeting, severity and the opportunity process against analytic results.

Tolerances: a simulated mean or frequency must lie within four standard errors of its closed
form (false alarm below 1e-4 per check; seeds are fixed). Each check also names the wrong model
it rules out, with the size of the gap, so that the tolerance is seen to be tight enough.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from scipy import stats

from corridorsim.model.adversary import (
    fit_hawkes,
    hawkes_compensator,
    hawkes_loglik,
    opportunity_schedule,
    pick_target,
    simulate_opportunities,
)
from corridorsim.model.engine import run_replication
from corridorsim.model.records import EVENT_COLUMNS
from corridorsim.model.severity import lanchester_factor, tankers_lost
from corridorsim.model.streams import STREAM_NAMES
from corridorsim.model.threats import ATTACK_UNIFORMS, draw_ambush
from corridorsim.scenario.documents import scenario_from_dict
from corridorsim.scenario.schema import AmbushEffects, Deterrence

from ..conftest import make_dict, make_plan
from .test_analytic import ROUTE_KM, _attack_counts, _convoys, _harmless_threats, _within

NO_DETERRENCE = Deterrence(loss_floor=1.0, rate_floor=1.0)


# ----------------------------------------------------------------------------- targeting
@pytest.mark.parametrize("tankers", [10, 40])
def test_targeting_scales_the_ambush_rate_as_a_power_of_size(tankers):
    rate, n0, beta = 1.5, 20.0, 0.8
    threats = _harmless_threats(rate, rate_floor=1.0)
    threats["targeting"] = {"size_exponent": beta, "reference_tankers": n0}
    plan = make_plan(convoys=_convoys(200, tankers=tankers), threats=threats)
    counts = _attack_counts(plan, replications=10)
    mu = rate * ROUTE_KM / 1000.0 * (tankers / n0) ** beta
    # wrong model (size-blind): mu = 0.73 for both sizes, 0.42 and 1.27 here (> 15 SE away)
    assert _within(counts.mean(), mu, math.sqrt(mu / len(counts))), (counts.mean(), mu)


# ----------------------------------------------------------------------------- severity
def _moments(form: dict, n: int, escort: int = 0, draws: int = 10000) -> np.ndarray:
    amb = AmbushEffects(loss_share_mean=0.4, loss_share_concentration=3.0, severity=form)
    u = (np.arange(draws) + 0.5) / draws  # stratified uniforms: the sample IS the quantile grid
    rng = np.random.default_rng(3)
    u = rng.permutation(u)
    return np.array([tankers_lost(x, n, escort, amb, NO_DETERRENCE) for x in u])


def _check(sample: np.ndarray, mean: float, var: float) -> None:
    n = sample.size
    assert _within(sample.mean(), mean, math.sqrt(var / n)), (sample.mean(), mean)
    m4 = float(np.mean((sample - sample.mean()) ** 4))
    assert _within(sample.var(ddof=1), var, math.sqrt(max(m4 - var**2, 1e-12) / n)), (sample.var(), var)


def test_beta_binomial_severity_has_its_mean_and_variance():
    n, m, k = 80, 0.4, 3.0
    sample = _moments({"form": "beta_binomial"}, n)
    _check(sample, n * m, n * m * (1 - m) * (n + k) / (1 + k))


def test_saturating_share_severity_has_its_mean_and_variance():
    n, h, k = 200, 50.0, 3.0
    m = 0.4 * h / (h + n)
    sample = _moments({"form": "saturating_share", "half_saturation_tankers": h}, n)
    # wrong model (share not saturating): mean 80 instead of 16
    _check(sample, n * m, n * m * (1 - m) * (n + k) / (1 + k))


@pytest.mark.parametrize("n", [30, 400])
def test_negative_binomial_severity_is_capped_with_analytic_moments(n):
    mu, r = 25.0, 0.6
    dist = stats.nbinom(r, r / (r + mu))
    j = np.arange(n)
    tail = dist.sf(j)  # P(X > j)
    mean = float(tail.sum())  # E[min(n, X)] = sum_{j<n} P(X > j)
    second = float(((2 * j + 1) * tail).sum())  # E[min(n, X)^2]
    sample = _moments({"form": "negative_binomial", "mean_tankers": mu, "dispersion": r}, n)
    assert sample.max() <= n
    # n = 30: the cap matters (uncapped mean 25 vs 15.6); n = 400: heavy tail, var ~ mu^2 / r
    _check(sample, mean, second - mean**2)


def test_losses_per_attack_saturate_with_convoy_size():
    form = {"form": "negative_binomial", "mean_tankers": 20.0, "dispersion": 1.0}
    small, large = _moments(form, 100, draws=4000), _moments(form, 1000, draws=4000)
    assert small.mean() / 100 > 3 * large.mean() / 1000  # the share lost falls with size
    assert abs(large.mean() - 20.0) < 2.0


def test_lanchester_square_law_on_the_attacking_force():
    assert lanchester_factor(0, 10.0, 1.0) == 1.0
    assert lanchester_factor(6, 10.0, 1.0) == pytest.approx(0.8)  # sqrt(1 - 0.36)
    assert lanchester_factor(10, 10.0, 1.0) == 0.0  # repulsed
    assert lanchester_factor(5, None, 1.0) == 1.0
    amb = AmbushEffects(severity={"form": "negative_binomial", "mean_tankers": 30.0,
                                  "attacker_strength_units": 10.0})
    assert tankers_lost(0.999, 100, 12, amb, NO_DETERRENCE) == 0


@pytest.mark.parametrize("form", ["beta_binomial", "saturating_share", "negative_binomial"])
def test_an_ambush_uses_the_same_uniforms_whatever_the_escort(form):
    sc = scenario_from_dict(make_dict(threats={"enabled": True, "ambush": {
        "delay": {"dist": "gamma", "mean_h": 10, "cv": 0.7}, "severity": {"form": form}}}))
    for escort in (0, 3, 40):
        rng, ref = np.random.default_rng(9), np.random.default_rng(9)
        draw_ambush(rng, sc, 120, escort)
        ref.random(ATTACK_UNIFORMS)
        assert rng.random() == ref.random()


# ----------------------------------------------------------------------------- opportunity process
def test_hawkes_intensity_has_the_stationary_mean():
    rate, eta, excitation_h, horizon = 0.05, 0.5, 20.0, 400_000.0
    times = simulate_opportunities(np.random.default_rng(1), rate, horizon, branching_ratio=eta,
                                   excitation_h=excitation_h)
    # Var N(T) ~ T mu / (1 - eta)^3 = T rate / (1 - eta)^2; a model without the (1 - eta)
    # baseline would give twice the rate (25 SE away)
    se = math.sqrt(horizon * rate / (1 - eta) ** 2) / horizon
    assert _within(times.size / horizon, rate, se), (times.size / horizon, rate, se)


def test_cox_weekly_multiplier_gives_negative_binomial_weekly_counts():
    rate_w, shape, weeks = 6.0, 2.0, 4000
    times = simulate_opportunities(np.random.default_rng(2), rate_w / 168, weeks * 168.0,
                                   weekly_shape=shape)
    counts = np.bincount((times // 168).astype(int), minlength=weeks)
    var = rate_w + rate_w**2 / shape  # Poisson-gamma mixture; Poisson alone would give 6
    assert _within(counts.mean(), rate_w, math.sqrt(var / weeks))
    m4 = float(np.mean((counts - counts.mean()) ** 4))
    assert _within(counts.var(ddof=1), var, math.sqrt((m4 - var**2) / weeks))


def test_time_rescaled_hawkes_residuals_are_unit_exponential():
    mu, eta, decay, horizon = 0.02, 0.6, 0.05, 60_000.0
    times = simulate_opportunities(np.random.default_rng(4), mu / (1 - eta), horizon,
                                   branching_ratio=eta, excitation_h=1 / decay)
    gaps = np.diff(np.concatenate([[0.0], hawkes_compensator(times, mu, eta, decay)]))
    assert stats.kstest(gaps, "expon").pvalue > 1e-3
    # the same residuals under the wrong (Poisson) model are rejected
    wrong = np.diff(np.concatenate([[0.0], times * times.size / horizon]))
    assert stats.kstest(wrong, "expon").pvalue < 1e-3


def test_hawkes_maximum_likelihood_recovers_rate_branching_and_decay():
    mu, eta, decay, horizon = 0.02, 0.5, 0.05, 150_000.0
    times = simulate_opportunities(np.random.default_rng(5), mu / (1 - eta), horizon,
                                   branching_ratio=eta, excitation_h=1 / decay)
    fit = fit_hawkes(times, horizon)
    # ~6000 events: standard errors ~ 0.03 (eta), 10 % (decay, mu)
    assert abs(fit.branching_ratio - eta) < 0.1
    assert abs(math.log(fit.decay / decay)) < 0.3
    assert abs(math.log(fit.baseline / mu)) < 0.3
    assert fit.loglik >= hawkes_loglik(times, horizon, mu, eta, decay)


def test_loglik_and_fit_agree_with_the_hawkes_library():
    # the test extra installs it; skipping is allowed only outside CI
    if os.environ.get("CI"):
        import Hawkes as hawkes
    else:
        hawkes = pytest.importorskip("Hawkes")
    horizon = 20_000.0
    times = simulate_opportunities(np.random.default_rng(6), 0.03, horizon, branching_ratio=0.4,
                                   excitation_h=25.0)
    # the library's kernel alpha * beta * exp(-beta t) is ours with alpha = eta, beta = delta
    est = hawkes.estimator().set_kernel("exp").set_baseline("const")
    est.set_data({"T": times}, [0.0, horizon])
    ref, _ = est.LG({"mu": 0.018, "alpha": np.array([0.4]), "beta": np.array([0.04])}, only_L=True)
    assert hawkes_loglik(times, horizon, 0.018, 0.4, 0.04) == pytest.approx(ref, rel=1e-9)
    lib = hawkes.estimator().set_kernel("exp").set_baseline("const").fit(times, [0.0, horizon])
    ours = fit_hawkes(times, horizon)
    assert ours.loglik == pytest.approx(lib.L, abs=1e-3)
    assert ours.branching_ratio == pytest.approx(float(lib.para["alpha"]), abs=1e-3)
    assert ours.decay == pytest.approx(float(lib.para["beta"]), rel=1e-3)


def test_pick_target_is_holling_type_two():
    assert pick_target([], 1.0, 0.0, 0.0) is None
    assert pick_target([1.0, 3.0], 4.0, 0.49, 0.2) == 0  # P(attack) = 4 / 8, 0.2 * 4 < 1
    assert pick_target([1.0, 3.0], 4.0, 0.49, 0.3) == 1
    assert pick_target([1.0, 3.0], 4.0, 0.51, 0.3) is None


def _adversary_threats(rate: float, per_week: float, **adv) -> dict:
    threats = _harmless_threats(rate, rate_floor=1.0)
    threats["adversary"] = {"process": "cox", "opportunities_per_week": per_week, "group_by": "region",
                            **adv}
    return threats


def test_ample_opportunities_give_the_poisson_model_back():
    rate = 1.5
    plan = make_plan(convoys=_convoys(20), threats=_adversary_threats(rate, 5000.0),
                     end="2025-09-04")
    counts = _attack_counts(plan, replications=40)
    # 20 convoys on the road, W = 20 x 1.5e-3 /km x 10 km/h = 0.3 /h against nu = 30 /h: the
    # attack rate is 1 % below the Poisson hazard, 0.3 SE; with nu = 0.3 /h it would be half
    mu = rate * ROUTE_KM / 1000.0
    assert _within(counts.mean(), mu, math.sqrt(mu / len(counts))), (counts.mean(), mu)


def test_attacks_never_exceed_opportunities_and_saturate_with_traffic():
    per_week = 3.0
    ambushes = {}
    for convoys in (100, 400):
        plan = make_plan(convoys=_convoys(convoys), threats=_adversary_threats(50.0, per_week))
        total = 0
        for r in range(8):
            rec = run_replication(plan, seed=2, replication=r)
            n = sum(1 for e in rec.events if e[2] == "ambush")
            opp = opportunity_schedule(plan.scenario.threats.adversary, plan.threats.groups, 2, r,
                                       STREAM_NAMES.index("adversary"), plan.horizon_h)
            assert n <= len(opp)
            total += n
        ambushes[convoys] = total
    # Poisson model: 4 x the traffic, 4 x the ambushes; here both are near the opportunity count
    assert ambushes[400] < 1.5 * ambushes[100]


def test_the_same_replication_meets_the_same_adversary_whatever_the_traffic():
    spec_a = make_plan(convoys=_convoys(10), threats=_adversary_threats(1.0, 5.0, weekly_shape=1.0))
    spec_b = make_plan(convoys=_convoys(300, tankers=50),
                       threats=_adversary_threats(1.0, 5.0, weekly_shape=1.0))
    k = STREAM_NAMES.index("adversary")
    a = opportunity_schedule(spec_a.scenario.threats.adversary, spec_a.threats.groups, 7, 3, k, 240.0)
    b = opportunity_schedule(spec_b.scenario.threats.adversary, spec_b.threats.groups, 7, 3, k, 240.0)
    assert a == b and len(a) > 0


def test_adversary_attacks_land_on_the_group_roads():
    plan = make_plan(convoys=_convoys(100), threats=_adversary_threats(5.0, 30.0))
    rec = run_replication(plan, seed=1, replication=0)
    amb = [dict(zip(EVENT_COLUMNS, e)) for e in rec.events if e[2] == "ambush"]
    assert amb and all(e["edge_from"] and e["edge_to"] for e in amb)

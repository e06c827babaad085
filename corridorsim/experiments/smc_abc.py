"""Sequential Monte Carlo ABC (adaptive population Monte Carlo) on the sweep machinery.

Scheme: the adaptive ABC-PMC of Lenormand, Jabot and Deffuant (2013, "Adaptive approximate
Bayesian computation for complex models", Comput. Stat. 28:2777), which builds on the ABC-PMC of
Beaumont, Cornuet, Marin and Robert (2009, Biometrika 96:983). It keeps a population of fixed
size, so the posterior does not thin out as the tolerance falls. Each generation is one
resumable sweep:

1. Generation 0: ``samples`` draws from the prior, each run with ``replications`` replications
   (its own noise: no common random numbers across draws, nor across generations); distance ``d`` of the mean statistics to the record (weighted,
   scaled Euclidean; interval-censored observations count 0 inside their interval; the scales
   are fixed from generation 0 so that the tolerances are comparable). The
   ``N_a = accept_fraction x samples`` closest form the population, with weights 1.
2. Generation ``t``: ``samples`` proposals, each a population member drawn by weight and moved by
   a Gaussian kernel with twice the weighted covariance of the population (Beaumont et al.
   2009), in the space where the prior is flat for log-uniform priors (log) and as is
   otherwise; proposals outside the prior's support are redrawn. The old population and the
   proposals are pooled and the ``N_a`` closest are kept; the tolerance ``eps_t`` is the
   largest distance kept. The kept particles are weighted against the mixture of every
   proposal distribution so far, prior included (:func:`mixture_weights`: the balance
   heuristic of adaptive multiple importance sampling, Cornuet et al. 2012), so that particles
   of different generations can be pooled without a few dominating.
3. The scheme stops after ``generations`` generations, or earlier when fewer than
   ``min_acceptance`` of a generation's proposals enter the population (the tolerance has
   stopped falling: Lenormand et al.'s stopping rule), or when fewer than two do. The last
   population, with its weights, is the posterior (``posterior.csv``, usable as
   ``uncertainty.posterior_csv``).

Proposals of generation ``t`` depend only on the seed and on the results of the earlier
generations, which are on disk: an interrupted calibration re-run with ``--resume`` proposes
the same points and runs only what is missing. Imports the calibration module, NumPy, pandas
and SciPy.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..atomic import atomic_write_text, check_output_dir
from ..errors import OutputError
from ..scenario.documents import read_scenario_dict, scenario_from_dict
from ..scenario.schema import Prior
from .calibration import (
    CalibrationSpec,
    _draws,
    abc_distance,
    abc_scales,
    observed_intervals,
    observed_values,
    run_points,
)

__all__ = ["run_smc_abc", "prior_density", "to_kernel_space", "from_kernel_space",
           "pmc_weights", "mixture_weights", "propose"]


def to_kernel_space(prior: Prior, x: np.ndarray) -> np.ndarray:
    """Map values to the space the perturbation kernel works in (log for log-uniform priors)."""
    return np.log(x) if prior.dist == "loguniform" else np.asarray(x, dtype=float)


def from_kernel_space(prior: Prior, u: np.ndarray) -> np.ndarray:
    """Inverse of :func:`to_kernel_space`."""
    return np.exp(u) if prior.dist == "loguniform" else np.asarray(u, dtype=float)


def prior_density(prior: Prior, u: np.ndarray) -> np.ndarray:
    """Normalised prior density in kernel space, 0 outside the support.

    Normalised (a truncated normal is divided by its mass inside ``low``-``high``) so that the
    importance weights of proposals and the weight 1 of prior draws are on the same scale.
    """
    u = np.asarray(u, dtype=float)
    lo = -math.inf if prior.low is None else prior.low
    hi = math.inf if prior.high is None else prior.high
    if prior.dist == "loguniform":
        inside = (u >= math.log(lo)) & (u <= math.log(hi))
        return inside / (math.log(hi) - math.log(lo))
    inside = (u >= lo) & (u <= hi)
    if prior.dist == "uniform":
        dens = np.full_like(u, 1.0 / (hi - lo))
    elif prior.dist == "normal":
        mass = stats.norm.cdf(hi, prior.mean, prior.sd) - stats.norm.cdf(lo, prior.mean, prior.sd)
        dens = stats.norm.pdf(u, prior.mean, prior.sd) / mass
    elif prior.dist == "beta":
        lo_b = 0.0 if prior.low is None else prior.low
        hi_b = 1.0 if prior.high is None else prior.high
        dens = stats.beta.pdf((u - lo_b) / (hi_b - lo_b), prior.a, prior.b) / (hi_b - lo_b)
        inside = (u >= lo_b) & (u <= hi_b)
    else:  # triangular
        dens = stats.triang.pdf(u, (prior.mode - lo) / (hi - lo), lo, hi - lo)
    return np.where(inside, dens, 0.0)


def _joint_density(priors: list[Prior], u: np.ndarray) -> np.ndarray:
    out = np.ones(u.shape[0])
    for k, p in enumerate(priors):
        out *= prior_density(p, u[:, k])
    return out


def propose(rng: np.random.Generator, population: np.ndarray, weights: np.ndarray,
            cov: np.ndarray, priors: list[Prior], n: int) -> np.ndarray:
    """``n`` proposals in kernel space inside the prior's support (perturbed population members)."""
    out = np.empty((0, population.shape[1]))
    for _ in range(1000):
        idx = rng.choice(len(population), size=2 * n, p=weights)
        cand = population[idx] + rng.multivariate_normal(np.zeros(population.shape[1]), cov, 2 * n)
        cand = cand[_joint_density(priors, cand) > 0]
        out = np.vstack([out, cand])[:n]
        if len(out) == n:
            return out
    raise OutputError("SMC-ABC: the perturbation kernel keeps leaving the prior's support")


def pmc_weights(new: np.ndarray, population: np.ndarray, weights: np.ndarray, cov: np.ndarray,
                priors: list[Prior], normalise: bool = True) -> np.ndarray:
    """Importance weights ``pi(theta_j) / sum_i w_i K(theta_j | theta_i)``.

    ``weights`` (of the population) are normalised first. With ``normalise`` the result sums
    to 1; without, it is on the scale where a prior draw has weight 1 (for pooling proposals
    with an earlier population).
    """
    w_pop = np.asarray(weights, dtype=float) / np.sum(weights)
    kern = stats.multivariate_normal(np.zeros(new.shape[1]), cov, allow_singular=True)
    mix = np.array([np.sum(w_pop * kern.pdf(x - population).reshape(-1)) for x in new])
    w = _joint_density(priors, new) / np.maximum(mix, 1e-300)
    return w / w.sum() if normalise else w


def mixture_weights(u: np.ndarray, priors: list[Prior], n_prior: int,
                    proposals: list[tuple[np.ndarray, np.ndarray, np.ndarray, int]]) -> np.ndarray:
    """Importance weights of pooled particles against the mixture of every proposal so far.

    ``w(theta) = pi(theta) / sum_s (N_s / N) q_s(theta)``: the balance heuristic of multiple
    importance sampling (Veach and Guibas 1995), as in adaptive multiple importance sampling
    (Cornuet, Marin, Mira and Robert 2012, Scand. J. Stat. 39:798), with ``q_0 = pi`` for the
    ``n_prior`` prior draws and ``q_s(theta) = sum_i w_i K_s(theta | theta_i)`` for generation
    ``s`` (its population, weights and kernel covariance, and ``N_s`` proposals). Unlike the
    weight ``pi / q_s`` of each particle's own generation, these stay balanced when particles
    of several generations are pooled (prior draws would otherwise outweigh later proposals
    many times over). Normalised to sum to 1.
    """
    dens = _joint_density(priors, u)
    total = n_prior + sum(n for *_, n in proposals)
    mix = n_prior * dens
    for pop, w_pop, cov, n in proposals:
        kern = stats.multivariate_normal(np.zeros(u.shape[1]), cov, allow_singular=True)
        w_norm = w_pop / w_pop.sum()
        mix = mix + n * np.array([np.sum(w_norm * kern.pdf(x - pop).reshape(-1)) for x in u])
    w = dens * total / np.maximum(mix, 1e-300)
    return w / w.sum()


def _kernel_cov(u: np.ndarray, w: np.ndarray) -> np.ndarray:
    cov = 2.0 * np.atleast_2d(np.cov(u, rowvar=False, aweights=w))
    # a population collapsed on one value of a parameter still needs a kernel that moves
    return cov + np.diag(np.maximum(1e-9, 1e-6 * np.abs(np.diag(cov))))


def run_smc_abc(spec: CalibrationSpec, out_dir: str | Path, executor: Any, chunk_size: int,
                resume: bool = False, force: bool = False, source: str = "",
                progress=None, engine: str = "auto") -> dict[str, Any]:
    """Run the sequential ABC calibration; outputs as :func:`~.calibration.run_calibration`.

    Writes ``gen<t>/sweep/`` (one resumable sweep per generation), ``samples.csv`` (every
    proposal of every generation with its statistics, distance, ``accepted`` (entered the
    population in its generation), importance ``weight`` against its own generation's proposal
    (prior draws 1) and ``posterior``
    (a member of the final population)), ``posterior.csv`` (the final population, weights
    normalised), ``diagnostics.csv`` and
    ``calibration.json`` (tolerances, acceptances and effective sample sizes per generation).
    """
    root = Path(out_dir)
    if check_output_dir(root, force=force, resume=resume, what="calibration directory") and not resume:
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    start = scenario_from_dict(read_scenario_dict(spec.base), spec.base).start
    observed = observed_values(spec, start)
    intervals = observed_intervals(spec)
    weights_stat = {o.name: o.weight for o in spec.observed}
    priors = [p.prior for p in spec.parameters]
    paths = [p.path for p in spec.parameters]

    draws = _draws(spec)
    per_point = run_points(spec, draws, root / "gen0" / "sweep", executor, chunk_size, resume,
                           source, progress, engine=engine)
    scales = abc_scales(per_point, list(observed))
    dist = abc_distance(per_point, observed, weights_stat, scales, intervals)
    n_pop = max(2, int(round(spec.accept_fraction * len(dist))))
    keep = np.argsort(dist, kind="stable")[:n_pop]
    accepted = np.zeros(len(dist), dtype=bool)
    accepted[keep] = True
    eps = float(dist[keep].max())
    frames = [_frame(draws, per_point, dist, accepted, accepted.astype(float), 0, eps)]
    log = [{"generation": 0, "tolerance": eps, "proposals": len(dist),
            "accepted": int(accepted.sum()), "ess": float(accepted.sum())}]
    # the population: kernel-space values, raw weights (prior draws 1), distances, and where
    # each member came from (generation, row in that generation's frame)
    pop_u = np.column_stack([to_kernel_space(p, draws[path].to_numpy(float)[keep])
                             for p, path in zip(priors, paths)])
    pop_w = np.ones(n_pop)
    pop_d = dist[keep]
    pop_at = [(0, int(i)) for i in keep]
    stopped = ""
    proposals: list[tuple[np.ndarray, np.ndarray, np.ndarray, int]] = []
    for t in range(1, spec.generations):
        cov = _kernel_cov(pop_u, pop_w)
        rng = np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=(2**31 - 2, t)))
        new_u = propose(rng, pop_u, pop_w / pop_w.sum(), cov, priors, spec.samples)
        cand = pd.DataFrame({path: from_kernel_space(p, new_u[:, j])
                             for j, (p, path) in enumerate(zip(priors, paths))})
        for p, path in zip(priors, paths):
            if p.integer:
                cand[path] = np.rint(cand[path])
        per_point = run_points(spec, cand, root / f"gen{t}" / "sweep", executor, chunk_size, resume,
                               source, progress, generation=t, engine=engine)
        dist = abc_distance(per_point, observed, weights_stat, scales, intervals)
        w_new = pmc_weights(new_u, pop_u, pop_w, cov, priors, normalise=False)
        # pool the old population and the proposals; keep the n_pop closest (ties: old first)
        pool_d = np.concatenate([pop_d, dist])
        keep = np.argsort(pool_d, kind="stable")[:n_pop]
        fresh = keep[keep >= len(pop_d)] - len(pop_d)
        acceptance = len(fresh) / len(dist)
        if len(fresh) < 2 or acceptance < spec.min_acceptance:
            stopped = (f"generation {t}: {len(fresh)} of {len(dist)} proposals would enter the "
                       f"population (minimum share {spec.min_acceptance:g}); kept generation "
                       f"{log[-1]['generation']}")
            frames.append(_frame(cand, per_point, dist, np.zeros(len(dist), dtype=bool),
                                 np.zeros(len(dist)), t, math.nan))
            break
        eps = float(pool_d[keep].max())
        proposals.append((pop_u, pop_w, cov, len(dist)))
        pop_u = np.vstack([pop_u, new_u])[keep]
        pop_w = mixture_weights(pop_u, priors, len(draws), proposals)
        pop_d = pool_d[keep]
        pop_at = [(pop_at[i] if i < len(pop_at) else (t, int(i - len(pop_at)))) for i in keep]
        accepted = np.zeros(len(dist), dtype=bool)
        accepted[fresh] = True
        frames.append(_frame(cand, per_point, dist, accepted, np.where(accepted, w_new, 0.0), t, eps))
        w_norm = pop_w / pop_w.sum()
        log.append({"generation": t, "tolerance": eps, "proposals": len(dist),
                    "accepted": int(len(fresh)), "acceptance": acceptance,
                    "ess": float(1.0 / np.sum(w_norm**2))})

    samples = pd.concat(frames, ignore_index=True)
    # the final population, members of several generations, with normalised weights
    offsets = {g: int(np.flatnonzero(samples.generation.to_numpy() == g)[0])
               for g in sorted(set(samples.generation))}
    rows = [offsets[g] + i for g, i in pop_at]
    samples["posterior"] = False
    samples.loc[rows, "posterior"] = True
    final = samples.iloc[rows].copy()
    final["weight"] = pop_w / pop_w.sum()
    final = final.sort_values(["generation"], kind="stable")
    posterior = final[paths + ["distance", "weight"]].reset_index(drop=True)
    diagnostics = _weighted_diagnostics(spec, samples, final, observed)
    threshold = float(final.distance.max())
    atomic_write_text(root / "samples.csv", samples.to_csv(index=False, lineterminator="\n"))
    atomic_write_text(root / "posterior.csv", posterior.to_csv(index=False, lineterminator="\n"))
    atomic_write_text(root / "diagnostics.csv", diagnostics.to_csv(index=False, lineterminator="\n"))
    atomic_write_text(root / "calibration.json", json.dumps(
        {"kind": "calibration", "method": "smc", "spec": spec.model_dump(mode="json"),
         "accepted": len(final), "threshold": threshold, "observed": observed,
         "intervals": intervals, "scales": scales, "weights": weights_stat, "generations": log,
         "stopped": stopped}, indent=2, default=str) + "\n")
    # the rejection calibration's interface: the last generation's proposals and the members
    # of the final population, "accepted" meaning in the posterior
    last = samples[(samples.generation == samples.generation.max()) | samples.posterior]
    last = last.assign(accepted=last.posterior).reset_index(drop=True)
    last.index.name = "point"
    return {"samples": last, "posterior": posterior, "diagnostics": diagnostics,
            "threshold": threshold, "observed": observed, "generations": log}


def _frame(draws: pd.DataFrame, per_point: pd.DataFrame, dist: np.ndarray, accepted: np.ndarray,
           weight: np.ndarray, generation: int, eps: float) -> pd.DataFrame:
    out = draws.reset_index(drop=True).copy()
    out.insert(0, "generation", generation)
    out = out.join(per_point.reset_index(drop=True).add_prefix("summary:"))
    out["distance"] = dist
    out["tolerance"] = eps
    out["accepted"] = accepted
    out["weight"] = weight
    return out


def _wq(x: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(x)
    cw = np.cumsum(w[order])
    return float(x[order][min(np.searchsorted(cw, q * cw[-1]), len(x) - 1)])


def _weighted_diagnostics(spec: CalibrationSpec, samples: pd.DataFrame, final: pd.DataFrame,
                          observed: dict[str, float]) -> pd.DataFrame:
    prior = samples[samples.generation == 0]
    w = final.weight.to_numpy(float)
    rows = []
    names = [(p.path, p.path, math.nan, "parameter") for p in spec.parameters]
    names += [(n, f"summary:{n}", v, "statistic") for n, v in observed.items()]
    for name, col, obs, kind in names:
        x = final[col].to_numpy(float)
        ok = np.isfinite(x)
        mean = float(np.average(x[ok], weights=w[ok])) if ok.any() else math.nan
        sd = float(np.sqrt(np.average((x[ok] - mean) ** 2, weights=w[ok]))) if ok.any() else math.nan
        px = prior[col].to_numpy(float)
        rows.append({"kind": kind, "name": name, "observed": obs, "prior_mean": np.nanmean(px),
                     "prior_sd": np.nanstd(px, ddof=1), "posterior_mean": mean, "posterior_sd": sd,
                     "posterior_p5": _wq(x[ok], w[ok], 0.05) if ok.any() else math.nan,
                     "posterior_p95": _wq(x[ok], w[ok], 0.95) if ok.any() else math.nan})
    return pd.DataFrame(rows)

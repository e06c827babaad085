"""Sequential Monte Carlo ABC (population Monte Carlo) on the sweep machinery.

Scheme (ABC-PMC of Beaumont, Cornuet, Marin and Robert 2009, Biometrika 96:983, with the
adaptive tolerances of Del Moral, Doucet and Jasra 2012, Stat. Comput. 22:1009), run in
batches so that every generation is one resumable sweep:

1. Generation 0: ``samples`` draws from the prior, each run with ``replications`` replications
   (common random numbers); distance ``d`` of the mean statistics to the record (weighted,
   scaled Euclidean; interval-censored observations count 0 inside their interval; the scales
   are fixed from generation 0 so that the tolerances are comparable). The ``accept_fraction``
   closest form the population, weights 1.
2. Generation ``t``: tolerance ``eps_t`` = the ``quantile`` of the population's distances;
   ``samples`` proposals, each a population member drawn by weight and moved by a Gaussian
   kernel with twice the weighted covariance of the population (Beaumont et al. 2009), in the
   space where the prior is flat for log-uniform priors (log) and as is otherwise; proposals
   outside the prior's support are redrawn. Proposals with ``d <= eps_t`` form the new
   population, with weights ``w_j ∝ pi(theta_j) / sum_i w_i K(theta_j | theta_i)``.
3. The last population, with its weights, is the posterior (``posterior.csv``, usable as
   ``uncertainty.posterior_csv``).

Proposals of generation ``t`` depend only on the seed and on the results of the earlier
generations, which are on disk: an interrupted calibration re-run with ``--resume`` proposes
the same points and runs only what is missing. If fewer than two proposals of a generation are
accepted the scheme stops and keeps the previous population (reported in ``calibration.json``).
Imports the calibration module, NumPy, pandas and SciPy.
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
           "pmc_weights", "propose"]


def to_kernel_space(prior: Prior, x: np.ndarray) -> np.ndarray:
    """Map values to the space the perturbation kernel works in (log for log-uniform priors)."""
    return np.log(x) if prior.dist == "loguniform" else np.asarray(x, dtype=float)


def from_kernel_space(prior: Prior, u: np.ndarray) -> np.ndarray:
    """Inverse of :func:`to_kernel_space`."""
    return np.exp(u) if prior.dist == "loguniform" else np.asarray(u, dtype=float)


def prior_density(prior: Prior, u: np.ndarray) -> np.ndarray:
    """Prior density in kernel space (up to a constant factor), 0 outside the support."""
    u = np.asarray(u, dtype=float)
    lo = -math.inf if prior.low is None else prior.low
    hi = math.inf if prior.high is None else prior.high
    if prior.dist == "loguniform":
        return ((u >= math.log(lo)) & (u <= math.log(hi))).astype(float)
    inside = (u >= lo) & (u <= hi)
    if prior.dist == "uniform":
        dens = np.ones_like(u)
    elif prior.dist == "normal":
        dens = stats.norm.pdf(u, prior.mean, prior.sd)
    elif prior.dist == "beta":
        lo_b = 0.0 if prior.low is None else prior.low
        hi_b = 1.0 if prior.high is None else prior.high
        dens = stats.beta.pdf((u - lo_b) / (hi_b - lo_b), prior.a, prior.b)
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
                priors: list[Prior]) -> np.ndarray:
    """Importance weights ``pi(theta_j) / sum_i w_i K(theta_j | theta_i)``, normalised."""
    kern = stats.multivariate_normal(np.zeros(new.shape[1]), cov, allow_singular=True)
    mix = np.array([np.sum(weights * kern.pdf(x - population).reshape(-1)) for x in new])
    w = _joint_density(priors, new) / np.maximum(mix, 1e-300)
    return w / w.sum()


def _kernel_cov(u: np.ndarray, w: np.ndarray) -> np.ndarray:
    cov = 2.0 * np.atleast_2d(np.cov(u, rowvar=False, aweights=w))
    # a population collapsed on one value of a parameter still needs a kernel that moves
    return cov + np.diag(np.maximum(1e-9, 1e-6 * np.abs(np.diag(cov))))


def run_smc_abc(spec: CalibrationSpec, out_dir: str | Path, executor: Any, chunk_size: int,
                resume: bool = False, force: bool = False, source: str = "",
                progress=None) -> dict[str, Any]:
    """Run the sequential ABC calibration; outputs as :func:`~.calibration.run_calibration`.

    Writes ``gen<t>/sweep/`` (one resumable sweep per generation), ``samples.csv`` (every
    proposal of every generation with its statistics, distance, acceptance and weight),
    ``posterior.csv`` (last population with weights), ``diagnostics.csv`` and
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
                           source, progress)
    scales = abc_scales(per_point, list(observed))
    dist = abc_distance(per_point, observed, weights_stat, scales, intervals)
    k = max(2, int(round(spec.accept_fraction * len(dist))))
    eps = float(np.sort(dist)[k - 1])
    accepted = dist <= eps
    w = np.where(accepted, 1.0, 0.0)
    frames = [_frame(draws, per_point, dist, accepted, w / w.sum(), 0, eps)]
    log = [{"generation": 0, "tolerance": eps, "proposals": len(dist),
            "accepted": int(accepted.sum()), "ess": float(accepted.sum())}]
    pop_u = np.column_stack([to_kernel_space(p, draws.loc[accepted, path].to_numpy(float))
                             for p, path in zip(priors, paths)])
    pop_w = np.full(len(pop_u), 1.0 / len(pop_u))
    pop_d = dist[accepted]
    stopped = ""
    for t in range(1, spec.generations):
        eps = float(np.quantile(pop_d, spec.quantile))
        cov = _kernel_cov(pop_u, pop_w)
        rng = np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=(2**31 - 2, t)))
        new_u = propose(rng, pop_u, pop_w, cov, priors, spec.samples)
        cand = pd.DataFrame({path: from_kernel_space(p, new_u[:, j])
                             for j, (p, path) in enumerate(zip(priors, paths))})
        for p, path in zip(priors, paths):
            if p.integer:
                cand[path] = np.rint(cand[path])
        per_point = run_points(spec, cand, root / f"gen{t}" / "sweep", executor, chunk_size, resume,
                               source, progress)
        dist = abc_distance(per_point, observed, weights_stat, scales, intervals)
        accepted = dist <= eps
        if accepted.sum() < 2:
            stopped = f"generation {t}: {int(accepted.sum())} proposals within {eps:.4g}; kept generation {t - 1}"
            frames.append(_frame(cand, per_point, dist, accepted, np.zeros(len(dist)), t, eps))
            break
        w_new = np.zeros(len(dist))
        w_new[accepted] = pmc_weights(new_u[accepted], pop_u, pop_w, cov, priors)
        frames.append(_frame(cand, per_point, dist, accepted, w_new, t, eps))
        pop_u, pop_w, pop_d = new_u[accepted], w_new[accepted], dist[accepted]
        log.append({"generation": t, "tolerance": eps, "proposals": len(dist),
                    "accepted": int(accepted.sum()), "ess": float(1.0 / np.sum(pop_w**2))})

    samples = pd.concat(frames, ignore_index=True)
    final = samples[(samples.generation == log[-1]["generation"]) & samples.accepted]
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
    # the rejection calibration's interface: the last generation's rows, accepted flagged
    last = samples[samples.generation == log[-1]["generation"]].reset_index(drop=True)
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

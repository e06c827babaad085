"""Simulation-based calibration: approximate Bayesian computation (ABC) on the sweep machinery.

A calibration file names a base scenario, the uncertain parameters with their priors, and
observed summaries with the statistic that the simulation should reproduce::

    name: blockade_abc
    base: ../mali/hindcast_2025-09_2025-10.yaml
    parameters:
      - {path: threats.ambush_multiplier, prior: {dist: uniform, low: 2, high: 20}}
    observed:
      - {name: ambushes, value: 5, statistic: {table: events, kinds: [ambush]}}
      - {name: tankers_destroyed, value: 96, statistic: {table: summary, column: tankers_destroyed}}
    samples: 200
    replications: 8
    accept_fraction: 0.1

Rejection ABC: ``samples`` parameter vectors are drawn from the priors (seeded); each is a
point of a sweep (``design: points``) run with ``replications`` replications, resumable on
disk, locally or on Dask. Every draw meets its own simulation noise (no common random numbers
across draws: :func:`calibration_sweep` says why). For each point the simulated statistics are the
means over its replications; the distance to the observations is

    d = sqrt( sum_i ((s_i - o_i) / scale_i)^2 )

with ``scale_i`` the median absolute deviation (x 1.4826) of statistic ``i`` across all points
(the standard deviation if that is 0, 1 if both are). The ``accept_fraction`` closest points
form the posterior sample (``posterior.csv``, usable as ``uncertainty.posterior_csv`` in a
scenario). Diagnostics compare prior and posterior and the fit of each statistic.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..atomic import atomic_write_text, check_output_dir
from ..errors import ScenarioError
from ..scenario.documents import read_scenario_dict, scenario_from_dict
from ..scenario.priors import draw_prior
from ..scenario.schema import Prior
from ..scenario.schema.fields import IsoDate, Real
from .abc_distance import abc_accept, abc_distance, abc_scales
from .sweep_runner import SweepRunner, read_table
from .sweep_spec import Design, Factor, SweepSpec, base_label, load_spec_file, resolve_sweep
from .sweep_tasks import point_seed

__all__ = ["calibration_sweep", "CalibrationSpec", "Statistic", "ObservedSummary", "load_calibration", "run_calibration",
           "simulated_statistics", "statistics_from_tables", "abc_accept", "abc_scales",
           "abc_distance"]

#: Key of the generation seeds of a sequential calibration (apart from the point indices).
GENERATION_KEY = 1 << 40


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class CalibratedParameter(_Strict):
    """A parameter to calibrate: its path and prior."""

    path: str = Field(min_length=1, description="Dotted path into the scenario.")
    prior: Prior = Field(description="Prior distribution.")


class Statistic(_Strict):
    """How one summary is computed from a replication's tables.

    ``summary``: a column of the summary table. ``events``: over the events of ``kinds``
    (optionally on ``corridor`` and within ``start``..``end``), their number (``measure:
    count``), their tankers destroyed (``sum``) or the largest loss of one event (``max``).
    ``convoys``: ``column`` of the convoy named ``convoy`` (e.g. ``end_h`` for its arrival time,
    ``litres_end``), or without ``convoy`` the ``mean`` or ``max`` of ``column`` over the
    formed and scheduled convoys (e.g. ``tankers_start``: convoy sizes); with ``as_day: true``
    an hour value is turned into days since the scenario start.
    """

    table: Literal["summary", "events", "convoys"] = Field(description="Table the statistic "
                                                                       "comes from.")
    column: str | None = Field(None, description="Column (summary, convoys).")
    kinds: tuple[str, ...] | None = Field(None, description="Event kinds counted (events).")
    corridor: str | None = Field(None, description="Only events on this corridor (events).")
    start: IsoDate | None = Field(None, description="Only events from this date (events).")
    end: IsoDate | None = Field(None, description="Only events before this date (events).")
    convoy: str | None = Field(None, description="Convoy name (convoys).")
    measure: Literal["count", "sum", "max", "mean"] = Field(
        "count", description="events: count, or sum / max of tankers destroyed; convoys without "
        "a convoy name: mean or max of column.")
    as_day: bool = Field(False, description="Hours since start -> days since start.")

    @model_validator(mode="after")
    def _fields(self) -> Statistic:
        if self.table in ("summary", "convoys") and not self.column:
            raise ValueError(f"a {self.table} statistic needs column")
        if self.table == "events" and not self.kinds:
            raise ValueError("an events statistic needs kinds (e.g. [ambush, ied])")
        if self.table == "convoys" and not self.convoy and self.measure not in ("mean", "max"):
            raise ValueError("a convoys statistic needs convoy (the convoy's name) or measure "
                             "mean or max (over all convoys)")
        if self.table == "events" and self.measure == "mean":
            raise ValueError("an events statistic takes measure count, sum or max")
        return self


class ObservedSummary(_Strict):
    """An observed value and the statistic that should reproduce it."""

    name: str = Field(min_length=1, description="Name of the summary.")
    value: Real | IsoDate = Field(description="Observed value (a date for arrival days).")
    statistic: Statistic = Field(description="How the simulation computes it.")
    weight: float = Field(1.0, gt=0, le=1e6, description="Weight in the distance.")
    low: float | None = Field(None, description="Interval-censored observation: lowest value "
                                                "reported (the distance is 0 inside [low, high]).")
    high: float | None = Field(None, description="Highest value reported.")
    source: str = Field("", description="Where the observation comes from.")

    @model_validator(mode="after")
    def _interval(self) -> ObservedSummary:
        if (self.low is None) != (self.high is None):
            raise ValueError("give both low and high (an interval-censored observation) or neither")
        if self.low is not None and not self.low <= self.high:
            raise ValueError(f"low ({self.low}) must be <= high ({self.high})")
        return self


class CalibrationSpec(_Strict):
    """A calibration file."""

    name: str = Field(min_length=1, description="Calibration name.")
    description: str = Field("", description="What is calibrated against what.")
    base: str = Field(description="Base scenario file (relative to the calibration file).")
    parameters: tuple[CalibratedParameter, ...] = Field(min_length=1, description="Parameters "
                                                                                   "and priors.")
    observed: tuple[ObservedSummary, ...] = Field(min_length=1, description="Observed summaries.")
    samples: int = Field(200, ge=2, description="Draws from the prior (points of the sweep).")
    replications: int = Field(8, ge=1, description="Replications per draw.")
    seed: int = Field(0, ge=0, description="Seed of the prior draws and of the runs.")
    accept_fraction: float = Field(0.1, gt=0, le=1, description="Share of draws accepted "
                                                                "(rejection; smc: generation 0).")
    method: Literal["rejection", "smc"] = Field(
        "rejection", description="rejection: one batch of prior draws; smc: sequential Monte "
        "Carlo ABC (adaptive population Monte Carlo, Lenormand et al. 2013), see "
        "experiments/smc_abc.py.")
    generations: int = Field(4, ge=1, description="smc: generations (the first from the prior).")
    min_acceptance: float = Field(
        0.05, ge=0, lt=1, description="smc: stop when fewer than this share of a generation's "
        "proposals enter the population (Lenormand et al. 2013).")


def load_calibration(path: str | Path) -> CalibrationSpec:
    """Read and validate a calibration file (the base path is made absolute)."""
    return load_spec_file(path, CalibrationSpec, "calibration")


def _observed_value(obs: ObservedSummary, start: dt.datetime) -> float:
    if isinstance(obs.value, dt.date):
        return float((dt.datetime.combine(obs.value, dt.time()) - start).days)
    return float(obs.value)


def simulated_statistics(spec: CalibrationSpec, root: Path, start: dt.datetime) -> pd.DataFrame:
    """Per point and replication, the value of every statistic, from a sweep directory."""
    tables = {"summary": read_table(root, "summary")}
    for t in {o.statistic.table for o in spec.observed} - {"summary"}:
        tables[t] = read_table(root, t)
    return statistics_from_tables(spec.observed, tables, start)


def statistics_from_tables(observed: tuple[ObservedSummary, ...] | list[ObservedSummary],
                           tables: dict[str, pd.DataFrame], start: dt.datetime) -> pd.DataFrame:
    """Value of every statistic per (point, replication) from result tables.

    Parameters
    ----------
    observed : sequence of ObservedSummary
    tables : dict
        ``summary`` and, as the statistics need them, ``events`` and ``convoys`` tables; a
        missing ``point`` column (a plain run) counts as point 0.
    start : datetime
        Scenario start (hour 0).
    """
    tables = {k: (v if "point" in v.columns else v.assign(point=0)) for k, v in tables.items()}
    summary = tables["summary"]
    out = summary[["point", "replication"]].copy()
    idx = pd.MultiIndex.from_frame(summary[["point", "replication"]])
    for obs in observed:
        st = obs.statistic
        if st.table == "summary":
            if st.column not in summary.columns:
                raise ScenarioError(f"observed {obs.name}", f"{st.column!r} is not a summary column")
            vals = summary[st.column].to_numpy(dtype=float)
        elif st.table == "events":
            ev = tables["events"]
            measure = st.measure
            ev = ev[ev.kind.isin(st.kinds)]
            if st.corridor is not None:
                ev = ev[ev.corridor == st.corridor]
            if st.start is not None:
                ev = ev[ev.time_h >= (dt.datetime.combine(st.start, dt.time()) - start).total_seconds() / 3600]
            if st.end is not None:
                ev = ev[ev.time_h < (dt.datetime.combine(st.end, dt.time()) - start).total_seconds() / 3600]
            groups = ev.groupby(["point", "replication"])
            counts = (groups.size() if measure == "count" else
                      groups.tankers_destroyed.sum() if measure == "sum" else groups.tankers_destroyed.max())
            vals = counts.reindex(idx, fill_value=0).to_numpy(dtype=float)
        elif st.convoy is None:
            cv = tables["convoys"]
            cv = cv[cv.kind != "batch"]
            groups = cv.groupby(["point", "replication"])[st.column]
            vals = (groups.mean() if st.measure == "mean" else groups.max()).reindex(idx).to_numpy(float)
        else:
            cv = tables["convoys"]
            cv = cv[cv.convoy == st.convoy]
            if cv.empty:
                raise ScenarioError(f"observed {obs.name}", f"no convoy named {st.convoy!r} in the "
                                                            "simulated convoys")
            vals = cv.set_index(["point", "replication"])[st.column].astype(float).reindex(idx).to_numpy()
        if st.as_day:
            vals = vals / 24.0
        out[obs.name] = vals
    return out


def _draws(spec: CalibrationSpec) -> pd.DataFrame:
    rng = np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=(2**31 - 1,)))
    return pd.DataFrame({p.path: draw_prior(rng, p.prior, size=spec.samples) for p in spec.parameters})


def run_calibration(spec: CalibrationSpec, out_dir: str | Path, executor: Any, chunk_size: int,
                    resume: bool = False, force: bool = False, source: str = "",
                    progress=None, engine: str = "auto") -> dict[str, Any]:
    """Run the ABC calibration and write its outputs to ``out_dir``.

    Outputs: ``sweep/`` (the runs, resumable), ``samples.csv`` (every draw with its statistics,
    distance and acceptance), ``posterior.csv`` (accepted draws: one column per path, usable as
    ``uncertainty.posterior_csv``), ``diagnostics.csv`` (prior vs posterior per parameter; fit per
    statistic) and ``calibration.json``.

    Returns
    -------
    dict
        ``samples``, ``posterior``, ``diagnostics`` DataFrames, the acceptance ``threshold`` and
        the ``observed`` values (as numbers: dates become days since the start).
    """
    if spec.method == "smc":
        raise ScenarioError(f"calibration {spec.name}", "method: smc is run by "
                            "corridorsim.experiments.smc_abc.run_smc_abc (the CLI chooses it)")
    root = Path(out_dir)
    if check_output_dir(root, force=force, resume=resume, what="calibration directory") \
            and not resume:
        import shutil

        shutil.rmtree(root)
    base = scenario_from_dict(read_scenario_dict(spec.base, base_label(source, spec.base)),
                              spec.base)
    draws = _draws(spec)
    root.mkdir(parents=True, exist_ok=True)
    per_point = run_points(spec, draws, root / "sweep", executor, chunk_size, resume, source,
                           progress, engine=engine)
    observed = observed_values(spec, base.start)
    weights = {o.name: o.weight for o in spec.observed}
    scored = abc_accept(per_point, observed, weights, spec.accept_fraction, observed_intervals(spec))
    samples = draws.copy()
    samples.index.name = "point"
    samples = samples.join(scored.add_prefix("summary:").rename(
        columns={"summary:distance": "distance", "summary:accepted": "accepted"}))
    posterior = samples[samples.accepted][[p.path for p in spec.parameters] + ["distance"]].copy()
    posterior["weight"] = 1.0
    diagnostics = _diagnostics(spec, samples, observed)
    threshold = float(samples.loc[samples.accepted, "distance"].max())
    atomic_write_text(root / "samples.csv", samples.reset_index().to_csv(index=False, lineterminator="\n"))
    atomic_write_text(root / "posterior.csv", posterior.to_csv(index=False, lineterminator="\n"))
    atomic_write_text(root / "diagnostics.csv", diagnostics.to_csv(index=False, lineterminator="\n"))
    atomic_write_text(root / "calibration.json", json.dumps(
        {"kind": "calibration", "spec": spec.model_dump(mode="json"),
         "accepted": int(samples.accepted.sum()), "threshold": threshold, "observed": observed,
         "intervals": observed_intervals(spec), "scales": scored.attrs["scales"],
         "weights": weights}, indent=2, default=str) + "\n")
    return {"samples": samples, "posterior": posterior, "diagnostics": diagnostics,
            "threshold": threshold, "observed": observed}


def observed_values(spec: CalibrationSpec, start: dt.datetime) -> dict[str, float]:
    """Observed value of each statistic as a number (dates become days since ``start``)."""
    return {o.name: _observed_value(o, start) for o in spec.observed}


def observed_intervals(spec: CalibrationSpec) -> dict[str, tuple[float, float]]:
    """``(low, high)`` of the interval-censored observations."""
    return {o.name: (float(o.low), float(o.high)) for o in spec.observed if o.low is not None}


def run_points(spec: CalibrationSpec, draws: pd.DataFrame, root: Path, executor: Any,
               chunk_size: int, resume: bool, source: str, progress=None,
               generation: int = 0, engine: str = "auto") -> pd.DataFrame:
    """Run each row of ``draws`` as a sweep point (resumable in ``root``); mean statistics per point.

    Parameters
    ----------
    spec : CalibrationSpec
    draws : DataFrame
        One column per parameter path, one row per point.
    root : Path
        Sweep directory (its finished tasks are kept on ``resume``).
    generation : int
        Generation of a sequential calibration (0: the prior draws); each has its own seed.
    engine : {"auto", "des", "vector"}
        Engine of the runs (:mod:`corridorsim.experiments.engines`).

    Returns
    -------
    DataFrame
        Index ``point``, one column per observed statistic: its mean over the replications.
    """
    base_start = scenario_from_dict(read_scenario_dict(spec.base), spec.base).start
    resolved = resolve_sweep(calibration_sweep(spec, draws, generation), source)
    runner = SweepRunner(resolved, root, executor, chunk_size, resume=resume, force=False,
                         manifest_extra={"calibration": spec.model_dump(mode="json")},
                         engine=engine)
    runner.run(progress=progress)
    stats = simulated_statistics(spec, root, base_start)
    return stats.drop(columns="replication").groupby("point").mean()


def calibration_sweep(spec: CalibrationSpec, draws: pd.DataFrame | None = None,
                      generation: int = 0) -> SweepSpec:
    """The sweep that runs a calibration: one point per prior draw (``design: points``; default:
    the spec's own seeded draws), with the tables its statistics need kept.

    Without common random numbers: every draw meets its own simulation noise, as ABC requires
    (Beaumont et al. 2009). With the same streams at every draw, the draws accepted would be
    those that fit the record *under that one realisation of the noise*, and the posterior
    would be too narrow (the coverage tests of ``tests/experiments/test_smc_abc.py`` fail that
    way). Generation ``t`` of a sequential calibration runs under its own root seed.
    """
    draws = _draws(spec) if draws is None else draws
    keep = sorted({o.statistic.table for o in spec.observed} - {"summary"})
    factors = []
    for p in spec.parameters:
        lo, hi = float(draws[p.path].min()), float(draws[p.path].max())
        factors.append(Factor(path=p.path, range=(lo, hi)) if lo < hi else
                       Factor(path=p.path, values=(lo,)))
    sweep_spec = SweepSpec(
        name=f"{spec.name}_abc", description=spec.description, base=spec.base,
        factors=tuple(factors),
        design=Design(kind="points", points=tuple(draws.to_dict(orient="records"))),
        replications=spec.replications,
        seed=spec.seed if generation == 0 else point_seed(spec.seed, GENERATION_KEY + generation),
        common_random_numbers=False, keep=tuple(keep),
    )
    return _with_integers(sweep_spec, spec)


def _with_integers(sweep_spec: SweepSpec, spec: CalibrationSpec) -> SweepSpec:
    """Integer priors give integer factors (so that integer scenario fields validate)."""
    factors = []
    for f, p in zip(sweep_spec.factors, spec.parameters):
        factors.append(f.model_copy(update={"integer": p.prior.integer}) if f.range else f)
    points = tuple({k: (int(v) if p.prior.integer else v) for (k, v), p in zip(pt.items(), spec.parameters)}
                   for pt in sweep_spec.design.points or ())
    return sweep_spec.model_copy(update={"factors": tuple(factors),
                                         "design": sweep_spec.design.model_copy(update={"points": points})})


def _diagnostics(spec: CalibrationSpec, samples: pd.DataFrame, observed: dict[str, float]) -> pd.DataFrame:
    rows = []
    acc = samples[samples.accepted]
    for p in spec.parameters:
        prior, post = samples[p.path].to_numpy(float), acc[p.path].to_numpy(float)
        rows.append({"kind": "parameter", "name": p.path, "observed": np.nan,
                     "prior_mean": prior.mean(), "prior_sd": prior.std(ddof=1),
                     "posterior_mean": post.mean(), "posterior_sd": post.std(ddof=1) if len(post) > 1 else 0.0,
                     "posterior_p5": np.percentile(post, 5), "posterior_p95": np.percentile(post, 95)})
    for name, obs in observed.items():
        prior, post = samples[f"summary:{name}"].to_numpy(float), acc[f"summary:{name}"].to_numpy(float)
        rows.append({"kind": "statistic", "name": name, "observed": obs,
                     "prior_mean": np.nanmean(prior), "prior_sd": np.nanstd(prior, ddof=1),
                     "posterior_mean": np.nanmean(post),
                     "posterior_sd": np.nanstd(post, ddof=1) if len(post) > 1 else 0.0,
                     "posterior_p5": np.nanpercentile(post, 5), "posterior_p95": np.nanpercentile(post, 95)})
    return pd.DataFrame(rows)

"""Parameter uncertainty carried into a run (second-order Monte Carlo).

When a scenario has an ``uncertainty`` block, each replication first draws its own values of the
uncertain parameters (from stated distributions, or one joint row of a posterior sample file
written by ``corridorsim calibrate``), then runs the model with them. Fan charts of such a run
show parameter uncertainty as well as chance. The draws use the replication's own
``parameters`` stream, so they are reproducible and the same for a replication index in every
sweep point; the values drawn are recorded in the summary table as ``param:<path>`` columns.

This module draws and checks the values; :mod:`corridorsim.model.replication` runs a replication
with them, so the engine never knows whether its plan was drawn.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ScenarioError, ScenarioErrors
from .documents import scenario_from_dict, scenario_to_dict
from .paths import parse_path, set_path_in_place
from .schema import Prior, Scenario

__all__ = ["draw_prior", "draw_parameters", "apply_parameters", "check_uncertainty",
           "read_posterior", "SELF_CONTAINED_BLOCKS"]


def draw_prior(rng: np.random.Generator, prior: Prior, size: int | None = None) -> Any:
    """Draw from a :class:`~corridorsim.scenario.schema.Prior` (a float, or an array with ``size``)."""
    n = 1 if size is None else size
    if prior.dist == "uniform":
        x = rng.uniform(prior.low, prior.high, n)
    elif prior.dist == "loguniform":
        x = np.exp(rng.uniform(math.log(prior.low), math.log(prior.high), n))
    elif prior.dist == "beta":
        lo = 0.0 if prior.low is None else prior.low
        hi = 1.0 if prior.high is None else prior.high
        x = lo + (hi - lo) * rng.beta(prior.a, prior.b, n)
    elif prior.dist == "triangular":
        x = rng.triangular(prior.low, prior.mode, prior.high, n)
    else:  # normal, truncated by rejection to [low, high] when given
        lo = -math.inf if prior.low is None else prior.low
        hi = math.inf if prior.high is None else prior.high
        x = np.empty(n)
        filled = 0
        for _ in range(1000):
            y = rng.normal(prior.mean, prior.sd, max(8, 2 * (n - filled)))
            y = y[(y >= lo) & (y <= hi)][: n - filled]
            x[filled:filled + len(y)] = y
            filled += len(y)
            if filled == n:
                break
        else:
            raise ScenarioError("uncertainty", f"normal({prior.mean}, {prior.sd}) has almost no "
                                               f"mass in [{lo}, {hi}]")
    if prior.integer:
        x = np.rint(x)
    return float(x[0]) if size is None else x


@lru_cache(maxsize=16)
def read_posterior(path: str) -> pd.DataFrame:
    """A posterior sample file: one column per parameter path, optional ``weight``."""
    try:
        df = pd.read_csv(path)
    except FileNotFoundError:
        raise ScenarioError("uncertainty.posterior_csv", f"{path!r}: file not found") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ScenarioError("uncertainty.posterior_csv", f"{path!r}: not a CSV table ({exc})") from None
    if df.empty:
        raise ScenarioError("uncertainty.posterior_csv", f"{path!r}: no rows")
    return df


@lru_cache(maxsize=16)
def _posterior_arrays(path: str) -> tuple[tuple[str, ...], np.ndarray, np.ndarray | None]:
    """A posterior file's parameter columns, its values as floats (a row per sample) and its
    normalised weights (None: equal), made once per file rather than per replication."""
    post = read_posterior(path)
    columns = tuple(_posterior_columns(post))
    w = post["weight"].to_numpy(dtype=float) if "weight" in post else None
    if w is not None:
        w = w / w.sum()
    return columns, post[list(columns)].to_numpy(dtype=float), w


def _posterior_columns(df: pd.DataFrame) -> list[str]:
    """Parameter columns: everything that parses as a path, except bookkeeping columns."""
    skip = {"weight", "distance", "sample", "point", "accepted"}
    return [c for c in df.columns if c not in skip and not c.startswith("summary:")]


def draw_parameters(scenario: Scenario, rng: np.random.Generator) -> dict[str, float]:
    """Values of the uncertain parameters for one replication (path -> value).

    ``rng`` is the replication's own ``parameters`` stream (see
    :mod:`corridorsim.model.replication`), so a replication index draws the same values in every
    sweep point.
    """
    unc = scenario.uncertainty
    if not unc.active:
        return {}
    values: dict[str, float] = {}
    if unc.posterior_csv is not None:
        columns, table, w = _posterior_arrays(unc.posterior_csv)
        row = table[int(rng.choice(len(table), p=w))]
        for col, v in zip(columns, row.tolist()):
            values[col] = v
    for p in unc.parameters:  # stated distributions override posterior columns of the same path
        values[p.path] = draw_prior(rng, p.prior)
    return values


#: Top-level blocks that the scenario's own cross-field check (``Scenario._consistent``) never
#: reads: values drawn under them only need their block validated again.
SELF_CONTAINED_BLOCKS = frozenset({"threats", "escorts", "routing", "closures"})


def apply_parameters(scenario: Scenario, values: dict[str, Any]) -> Scenario:
    """The scenario with ``values`` set at their paths (and no uncertainty block left).

    Called once per replication under parameter uncertainty. When every path lies in one of
    :data:`SELF_CONTAINED_BLOCKS`, only those blocks are dumped, changed and validated (their
    own models' validators are the whole check: a tenth of the cost of the whole scenario's);
    otherwise, or if that validation fails, the whole scenario is validated again, which also
    words the error with its full field path.
    """
    tops = {parse_path(path)[0] for path in values}
    if tops <= SELF_CONTAINED_BLOCKS:
        data = {top: getattr(scenario, top).model_dump(mode="json", by_alias=True) for top in tops}
        _set_values(data, values)
        try:
            update = {top: type(getattr(scenario, top)).model_validate(data[top]) for top in tops}
        except ValueError:  # pydantic's ValidationError: let the whole check word it
            pass
        else:
            update["uncertainty"] = type(scenario.uncertainty)()
            return scenario.model_copy(update=update)
    data = scenario_to_dict(scenario)  # a fresh dict: set the values in it, no copies
    data.pop("uncertainty", None)
    _set_values(data, values)
    return scenario_from_dict(data)


def _set_values(data: dict, values: dict[str, Any]) -> None:
    """Set ``values`` at their paths in the scenario data ``data`` (integers kept integers)."""
    for path, v in values.items():
        if isinstance(v, float) and v.is_integer() and _is_int_field(data, path):
            v = int(v)
        set_path_in_place(data, path, v)


def _is_int_field(data: dict, path: str) -> bool:
    from .paths import get_path

    try:
        return isinstance(get_path(data, path), int) and not isinstance(get_path(data, path), bool)
    except ScenarioError:
        return False


def check_uncertainty(scenario: Scenario) -> None:
    """Check that every uncertain path exists and that drawn values give valid scenarios.

    Tries the bounds (or a few draws) of each distribution and the first posterior row.
    """
    unc = scenario.uncertainty
    if not unc.active:
        return
    trials: list[tuple[str, dict[str, Any]]] = []
    for i, p in enumerate(unc.parameters):
        parse_path(p.path)
        rng = np.random.default_rng(0)
        for v in draw_prior(rng, p.prior, size=3):
            trials.append((f"uncertainty.parameters[{i}]", {p.path: float(v)}))
        for bound in (p.prior.low, p.prior.high):
            if bound is not None:
                trials.append((f"uncertainty.parameters[{i}]", {p.path: float(bound)}))
    if unc.posterior_csv is not None:
        if not Path(unc.posterior_csv).is_file():
            raise ScenarioError("uncertainty.posterior_csv", f"{unc.posterior_csv!r}: file not found")
        post = read_posterior(unc.posterior_csv)
        cols = _posterior_columns(post)
        if not cols:
            raise ScenarioError("uncertainty.posterior_csv", "no parameter columns: expected one "
                                                             "column per parameter path")
        trials.append(("uncertainty.posterior_csv", {c: float(post[c].iloc[0]) for c in cols}))
    for where, values in trials:
        try:
            apply_parameters(scenario, values)
        except ScenarioErrors as exc:
            e = exc.errors[0]
            raise ScenarioError(where, f"drawn value(s) {values} give an invalid scenario: "
                                       f"{e.path}: {e.message}") from None
        except ScenarioError as exc:
            raise ScenarioError(where, exc.message) from None

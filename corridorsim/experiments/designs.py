"""Experimental designs: which parameter points a sweep runs.

Pure functions from factors to a table of points (one row per point, one column per factor),
each taking an explicit ``numpy.random.Generator`` or seed where it draws, so a design is
reproducible from the sweep file alone.

Designs
-------
``grid``      full factorial over every factor's ``values`` (or ``alternatives``).
``points``    an explicit list of points.
``lhs``       Latin hypercube over the factors' ``range`` (``scipy.stats.qmc.LatinHypercube``).
``sobol``     scrambled Sobol sequence over the ranges (``scipy.stats.qmc.Sobol``), n rounded up
              to a power of two.
``sobol_sa``  Saltelli's sample for Sobol first-order and total indices (SALib ``sample.sobol``,
              no second-order indices): n * (k + 2) points.
``morris``    Morris trajectories (SALib ``sample.morris``): n * (k + 1) points.

Factors with ``values`` or ``alternatives`` take part in space-filling designs as discrete
levels: the unit-interval coordinate picks a level, each with the same share of the interval.
Integer ranges work the same way over the integers in the range.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FactorLike", "build_design", "design_size", "salib_problem", "DESIGN_KINDS", "MAX_POINTS"]

DESIGN_KINDS = ("grid", "points", "lhs", "sobol", "sobol_sa", "morris")


class FactorLike:
    """What the design functions need of a factor (see :class:`corridorsim.experiments.sweep_spec.Factor`)."""

    label: str
    values: Sequence[Any] | None
    range: tuple[float, float] | None
    integer: bool
    alternatives: dict[str, Any] | None


def _levels(f: FactorLike) -> list[Any] | None:
    if f.values is not None:
        return list(f.values)
    if f.alternatives is not None:
        return list(f.alternatives)
    return None


def _from_unit(f: FactorLike, u: np.ndarray) -> list[Any]:
    """Map unit-interval coordinates to factor values."""
    levels = _levels(f)
    if levels is not None:
        idx = np.minimum((u * len(levels)).astype(int), len(levels) - 1)
        return [levels[i] for i in idx]
    lo, hi = f.range  # type: ignore[misc]
    if f.integer:
        # equal-width bins, one per integer in [ceil(lo), floor(hi)]: every integer is equally
        # likely (rounding to the nearest would give the two ends half the weight)
        first, k = math.ceil(lo), math.floor(hi) - math.ceil(lo) + 1
        return [first + int(i) for i in np.minimum(np.floor(u * k), k - 1)]
    return [float(v) for v in lo + u * (hi - lo)]


def salib_problem(factors: Sequence[FactorLike]) -> dict[str, Any]:
    """SALib problem definition over the unit hypercube (factors mapped afterwards)."""
    return {"num_vars": len(factors), "names": [f.label for f in factors],
            "bounds": [[0.0, 1.0]] * len(factors)}


#: Most points a design may have: every point is validated before anything runs, and a
#: hostile ``n`` or grid must not exhaust memory or time doing so (docs/reliability.md).
MAX_POINTS = 100_000


def design_size(kind: str, factors: Sequence[FactorLike], n: int | None = None,
                points: Sequence[dict[str, Any]] | None = None) -> int:
    """Number of points a design will have, computed without building it."""
    k = len(factors)
    if kind == "grid":
        return math.prod(len(_levels(f) or ()) or 1 for f in factors)
    if kind == "points":
        return len(points or ())
    n = int(n or 0)
    if kind == "sobol":
        return 2 ** max(0, math.ceil(math.log2(n))) if n > 0 else 0
    if kind == "sobol_sa":
        return n * (k + 2)
    if kind == "morris":
        return n * (k + 1)
    return n


def build_design(
    kind: str,
    factors: Sequence[FactorLike],
    n: int | None = None,
    points: Sequence[dict[str, Any]] | None = None,
    seed: int = 0,
    morris_levels: int = 4,
) -> pd.DataFrame:
    """Build the table of points of a design.

    Parameters
    ----------
    kind : str
        One of :data:`DESIGN_KINDS`.
    factors : sequence of FactorLike
        The factors, in column order.
    n : int, optional
        Size parameter: number of points (lhs, sobol), base sample size (sobol_sa) or number of
        trajectories (morris). Ignored by grid and points.
    points : sequence of dict, optional
        For ``points``: one mapping factor name -> value per point.
    seed : int
        Seed of the design's own random draws (scrambling, permutations).
    morris_levels : int
        Grid levels of the Morris design.

    Returns
    -------
    pandas.DataFrame
        One row per point, one column per factor name, index ``point`` = 0..N-1. Alternative
        factors hold the alternative's name.
    """
    names = [f.label for f in factors]
    size = design_size(kind, factors, n, points)
    if size > MAX_POINTS:
        raise ValueError(f"the design has {size:,} points, more than the limit of "
                         f"{MAX_POINTS:,}: split the sweep or use a smaller n")
    if kind == "grid":
        levels = []
        for f in factors:
            lv = _levels(f)
            if lv is None:
                raise ValueError(f"factor {f.label!r}: a grid needs 'values' or 'alternatives', "
                                 "not a range")
            levels.append(lv)
        rows = list(itertools.product(*levels)) if levels else [()]
        df = pd.DataFrame(rows, columns=names)
    elif kind == "points":
        if not points:
            raise ValueError("design 'points' needs a non-empty 'points' list")
        df = pd.DataFrame([{k: p.get(k) for k in names} for p in points], columns=names)
    else:
        if not n or n < 1:
            raise ValueError(f"design {kind!r} needs n >= 1")
        k = len(factors)
        if kind == "lhs":
            from scipy.stats import qmc

            unit = qmc.LatinHypercube(d=k, seed=np.random.default_rng(seed)).random(n)
        elif kind == "sobol":
            from scipy.stats import qmc

            m = max(0, math.ceil(math.log2(n)))
            unit = qmc.Sobol(d=k, scramble=True, seed=np.random.default_rng(seed)).random_base2(m)
        elif kind == "sobol_sa":
            from SALib.sample import sobol as salib_sobol

            unit = salib_sobol.sample(salib_problem(factors), n, calc_second_order=False,
                                      seed=seed)
        elif kind == "morris":
            from SALib.sample import morris as salib_morris

            unit = salib_morris.sample(salib_problem(factors), n, num_levels=morris_levels,
                                       seed=seed)
        else:
            raise ValueError(f"unknown design kind {kind!r}; expected one of {DESIGN_KINDS}")
        unit = np.clip(np.asarray(unit, dtype=float), 0.0, 1.0 - 1e-12)
        df = pd.DataFrame({f.label: _from_unit(f, unit[:, j]) for j, f in enumerate(factors)},
                          columns=names)
        if kind in ("sobol_sa", "morris"):
            # keep the unit-cube coordinates: SALib's analysers need the sample as drawn
            for j in range(k):
                df[f"_unit_{j}"] = unit[:, j]
    df.index.name = "point"
    return df.reset_index(drop=True).rename_axis("point")

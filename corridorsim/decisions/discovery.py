"""Scenario discovery on a finished sweep: under which conditions is the outcome bad?

The cases are the sweep's replications (inputs: the point's numeric factors and any parameter
drawn per replication, ``param:<path>``) or its points (inputs: the factors; outcome: the
point's mean). A case is bad when its metric is above (or below) the threshold. PRIM
(:mod:`.prim`) peels a box that concentrates the bad cases; its limits get bootstrap intervals.
As a second view, when scikit-learn is installed, a shallow classification tree (CART, Breiman
et al. 1984) splits the same cases; its leaves are listed with their rule, coverage and density.

Output directory::

    study.json       metric, threshold, direction, cases, bad share, chosen box and its numbers
    trajectory.csv   the peeling trajectory (box, coverage, density, mass, restricted inputs)
    box.csv          the chosen box's limits with bootstrap intervals and p_restricted
    cases.csv        the cases (inputs, metric, bad) the figures are drawn from
    cart.csv         leaves of the tree (rule, n, coverage, density), when scikit-learn is there

Imports: experiments (the sweep reader).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..atomic import atomic_write_text
from ..errors import CorridorSimError, OutputError
from ..manifests import read_manifest, read_results_csv
from .metrics import metric_values, outcome_rows
from .prim import bootstrap_limits, choose_box, prim_peel

__all__ = ["discovery_cases", "cart_leaves", "discover"]


def _manifest(root: Path) -> dict[str, Any]:
    return read_manifest(root / "sweep.json", "a sweep results directory")


def discovery_cases(sweep_dir: str | Path, metric: str, level: str = "replication",
                    destination: str | None = None) -> pd.DataFrame:
    """The cases of a sweep: numeric inputs and the metric, one row per replication or point.

    ``destination``: judge the metric on that destination's rows (the sweep must keep its
    ``destinations`` table) instead of the national summary. Constant inputs are dropped (PRIM
    cannot restrict them).
    """
    root = Path(sweep_dir)
    man = _manifest(root)
    design = read_results_csv(root / "design.csv", "a sweep results directory")
    summary = outcome_rows(root, destination)
    if summary.empty:
        raise OutputError(f"{root}: the sweep has no results yet")
    start = man.get("base_scenario", {}).get("start")
    summary = summary.assign(value=metric_values(summary, metric, start))
    factors = [f for f in man.get("factors", []) if f in design.columns]
    numeric = [f for f in factors if pd.api.types.is_numeric_dtype(design[f])]
    if level == "point":
        cases = summary.groupby("point", sort=True)["value"].mean().rename("metric").reset_index()
        cases = cases.merge(design[["point", *numeric]], on="point")
    elif level == "replication":
        params = [c for c in summary.columns if c.startswith("param:")]
        cases = summary[["point", "replication", *params, "value"]].rename(columns={"value": "metric"})
        cases = cases.merge(design[["point", *numeric]], on="point")
    else:
        raise CorridorSimError(f"level must be 'replication' or 'point', got {level!r}")
    inputs = [c for c in cases.columns if c not in ("point", "replication", "metric")]
    inputs = [c for c in inputs if cases[c].nunique(dropna=False) > 1]
    if not inputs:
        raise CorridorSimError(f"{root}: no numeric input varies across the cases: nothing to "
                               "discover (factors given as alternatives are not numeric)")
    cases = cases[[*(c for c in ("point", "replication") if c in cases.columns), *inputs, "metric"]]
    return cases.dropna(subset=inputs).reset_index(drop=True)


def cart_leaves(x: pd.DataFrame, bad: np.ndarray, max_depth: int = 3,
                min_leaf: float = 0.05, seed: int = 0) -> pd.DataFrame | None:
    """Leaves of a classification tree on the cases (``None`` without scikit-learn).

    Returns
    -------
    pandas.DataFrame or None
        ``leaf, rule, n, bad, coverage, density``, densest leaves first.
    """
    try:
        from sklearn.tree import DecisionTreeClassifier
    except ImportError:
        return None
    y = np.asarray(bad, dtype=bool)
    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=max(1, int(min_leaf * len(y))),
                                  random_state=seed).fit(x.to_numpy(dtype=float), y)
    t = tree.tree_
    cols = list(x.columns)
    leaf_of = tree.apply(x.to_numpy(dtype=float))
    rows = []

    def walk(node: int, rule: list[str]) -> None:
        if t.children_left[node] == -1:
            inside = leaf_of == node
            rows.append({"leaf": node, "rule": " and ".join(rule) or "(all cases)",
                         "n": int(inside.sum()), "bad": int(y[inside].sum()),
                         "coverage": float(y[inside].sum() / max(1, y.sum())),
                         "density": float(y[inside].mean()) if inside.any() else np.nan})
            return
        name, thr = cols[t.feature[node]], t.threshold[node]
        walk(t.children_left[node], [*rule, f"{name} <= {thr:.4g}"])
        walk(t.children_right[node], [*rule, f"{name} > {thr:.4g}"])

    walk(0, [])
    return pd.DataFrame(rows).sort_values(["density", "n"], ascending=False).reset_index(drop=True)


def _csv(df: pd.DataFrame, path: Path) -> None:
    atomic_write_text(path, df.to_csv(index=False, lineterminator="\n"))


def discover(sweep_dir: str | Path, out_dir: str | Path, metric: str, threshold: float,
             bad_when: str = "above", level: str = "replication", min_coverage: float = 0.5,
             peel_alpha: float = 0.05, mass_min: float = 0.05, bootstrap: int = 100,
             seed: int = 0, force: bool = False, destination: str | None = None) -> dict[str, Any]:
    """PRIM (and CART) on a sweep; writes the output directory and returns its manifest.

    Parameters
    ----------
    bad_when : {"above", "below"}
        A case is bad when its metric is ``>= threshold`` (above) or ``<= threshold`` (below).
    bootstrap : int
        Bootstrap resamples for the limits' intervals (0: none).
    seed : int
        Seed of the bootstrap and of the tree.
    destination : str, optional
        Judge the metric on this destination's rows (:func:`.metrics.outcome_rows`); default:
        the national summary.
    """
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()) and not force:
        raise OutputError(f"{out}: output directory exists; use --force to replace its files")
    if bad_when not in ("above", "below"):
        raise CorridorSimError(f"bad_when must be 'above' or 'below', got {bad_when!r}")
    cases = discovery_cases(sweep_dir, metric, level, destination)
    values = cases["metric"].to_numpy(dtype=float)
    bad = (values >= threshold) if bad_when == "above" else (values <= threshold)
    bad &= np.isfinite(values)
    inputs = [c for c in cases.columns if c not in ("point", "replication", "metric")]
    x = cases[inputs]
    kw = {"peel_alpha": peel_alpha, "mass_min": mass_min}
    res = prim_peel(x, bad, **kw)
    k = choose_box(res, min_coverage)
    box = res.limits(k, x, bad)
    if bootstrap > 0:
        boot = bootstrap_limits(x, bad, np.random.default_rng(seed), resamples=bootstrap,
                                min_coverage=min_coverage, **kw)
        box = box.merge(boot, on="input")
    out.mkdir(parents=True, exist_ok=True)
    _csv(res.trajectory, out / "trajectory.csv")
    _csv(box, out / "box.csv")
    _csv(cases.assign(bad=bad.astype(int)), out / "cases.csv")
    leaves = cart_leaves(x, bad, min_leaf=mass_min, seed=seed)
    if leaves is not None:
        _csv(leaves, out / "cart.csv")
    row = res.trajectory.iloc[k]
    manifest = {"kind": "discovery", "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
                "sweep": str(sweep_dir), "metric": metric, "destination": destination,
                "threshold": threshold,
                "bad_when": bad_when, "level": level, "cases": len(cases),
                "bad_cases": int(bad.sum()), "bad_share": res.bad_share, "box": k,
                "coverage": float(row["coverage"]), "density": float(row["density"]),
                "mass": float(row["mass"]), "restricted": [r for r in str(row["restricted"]).split(";") if r],
                "min_coverage": min_coverage, "peel_alpha": peel_alpha, "mass_min": mass_min,
                "bootstrap": bootstrap, "seed": seed, "cart": leaves is not None}
    atomic_write_text(out / "study.json", json.dumps(manifest, indent=2, default=str) + "\n")
    return manifest

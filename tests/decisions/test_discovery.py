"""Scenario discovery: PRIM must find a known box in a synthetic sweep, agree with the EMA
Workbench's PRIM, and the discover command's output must describe that box.

The synthetic sweep has three inputs drawn uniformly on [0, 1] (400 points, one replication
each); a case is bad exactly when a > 0.6 and b < 0.3 (12 % of the cases), c is irrelevant.
Tolerance: each limit of the chosen box within 0.05 of the true one (a peel removes 5 % of the
box, about 0.03 of an input's range near the end of the peeling), coverage and density >= 0.9,
and c left unrestricted.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from corridorsim.decisions.discovery import discover
from corridorsim.decisions.prim import bootstrap_limits, box_mask, choose_box, prim_peel

TOL = 0.05


def synthetic(n: int = 400, seed: int = 11) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"a": rng.uniform(0, 1, n), "b": rng.uniform(0, 1, n), "c": rng.uniform(0, 1, n)})
    return x, ((x["a"] > 0.6) & (x["b"] < 0.3)).to_numpy()


def test_prim_recovers_the_known_box():
    x, bad = synthetic()
    res = prim_peel(x, bad)
    k = choose_box(res, min_coverage=0.8)
    lim = res.limits(k).set_index("input")
    assert lim.loc["a", "low"] == pytest.approx(0.6, abs=TOL)
    assert lim.loc["b", "high"] == pytest.approx(0.3, abs=TOL)
    assert lim.loc["a", "high"] == lim.loc["a", "data_high"]
    assert lim.loc["b", "low"] == lim.loc["b", "data_low"]
    assert not lim.loc["c", "restricted"]
    row = res.trajectory.iloc[k]
    assert row["coverage"] >= 0.9 and row["density"] >= 0.9


def test_peeling_trajectory_invariants():
    x, bad = synthetic(300, seed=5)
    res = prim_peel(x, bad, peel_alpha=0.1, mass_min=0.1)
    t = res.trajectory
    assert t["box"].tolist() == list(range(len(t)))
    assert t.iloc[0]["mass"] == 1.0 and t.iloc[0]["coverage"] == 1.0
    assert (np.diff(t["n"]) < 0).all()               # every peel removes cases
    assert (np.diff(t["coverage"]) <= 1e-12).all()   # boxes are nested
    assert (np.diff(t["density"]) > 0).all()         # and each peel raises the density
    assert (t["mass"] >= 0.1 - 1e-12).all()
    assert (np.diff(res.lows, axis=0) >= 0).all() and (np.diff(res.highs, axis=0) <= 0).all()
    m = x.to_numpy()
    k = len(t) - 1
    inside = box_mask(m, res.lows[k], res.highs[k])
    assert inside.sum() == t.iloc[k]["n"]
    assert bad[inside].mean() == pytest.approx(t.iloc[k]["density"])


def test_prim_agrees_with_ema_workbench():
    prim_ema = pytest.importorskip("ema_workbench.analysis.prim")
    x, bad = synthetic()
    res = prim_peel(x, bad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = prim_ema.Prim(x, bad.astype(int), threshold=0.5, peel_alpha=0.05, mass_min=0.05)
        box = p.find_box()
    ours = res.trajectory
    theirs = box.peeling_trajectory
    # the same objective and peel size: trajectories of about the same length, ending at about
    # the same box (EMA cuts midway between data values, pastes back, and counts ties apart)
    assert abs(len(ours) - len(theirs)) <= 3
    last = ours.iloc[-1]
    assert last["coverage"] == pytest.approx(theirs["coverage"].iloc[-1], abs=0.05)
    assert last["density"] == pytest.approx(theirs["density"].iloc[-1], abs=0.05)
    ema_lims = box.box_lims[-1]
    for j, col in enumerate(res.columns):
        assert res.lows[-1][j] == pytest.approx(float(ema_lims.loc[0, col]), abs=0.03)
        assert res.highs[-1][j] == pytest.approx(float(ema_lims.loc[1, col]), abs=0.03)


def test_bootstrap_intervals_cover_the_true_limits():
    x, bad = synthetic()
    boot = bootstrap_limits(x, bad, np.random.default_rng(0), resamples=40, level=0.9,
                            min_coverage=0.8).set_index("input")
    assert boot.loc["a", "low_lo"] - TOL <= 0.6 <= boot.loc["a", "low_hi"] + TOL
    assert boot.loc["b", "high_lo"] - TOL <= 0.3 <= boot.loc["b", "high_hi"] + TOL
    assert boot.loc["a", "p_restricted"] == 1.0 and boot.loc["c", "p_restricted"] <= 0.2


def write_synthetic_sweep(root, x: pd.DataFrame, bad: np.ndarray) -> None:
    """A sweep directory as the sweep runner writes it: manifest, design, summary parquet."""
    root.mkdir()
    (root / "sweep.json").write_text(json.dumps({"kind": "sweep", "factors": ["a", "b", "c"],
                                                 "base_scenario": {"start": "2025-09-01"}}))
    design = x.copy()
    design.insert(0, "point", range(len(x)))
    design.to_csv(root / "design.csv", index=False)
    for p in range(len(x)):
        d = root / "summary" / f"point={p:06d}"
        d.mkdir(parents=True)
        unmet = 5e6 if bad[p] else 1e5
        first = 20.0 if bad[p] else np.nan
        pd.DataFrame({"replication": [0], "unmet_l": [unmet], "first_stockout_day": [first]}) \
            .to_parquet(d / "reps-000000-000000.parquet", index=False)


def test_discover_on_a_synthetic_sweep(tmp_path):
    x, bad = synthetic()
    sweep = tmp_path / "sweep"
    write_synthetic_sweep(sweep, x, bad)
    man = discover(sweep, tmp_path / "disc", "stockout_by:2025-09-30", 0.5, min_coverage=0.8,
                   bootstrap=10)
    assert man["bad_cases"] == int(bad.sum()) and man["cases"] == len(x)
    assert sorted(man["restricted"]) == ["a", "b"]
    box = pd.read_csv(tmp_path / "disc" / "box.csv").set_index("input")
    assert box.loc["a", "low"] == pytest.approx(0.6, abs=TOL)
    assert box.loc["b", "high"] == pytest.approx(0.3, abs=TOL)
    # the same cases with the litres metric and a threshold give the same box
    man2 = discover(sweep, tmp_path / "disc2", "unmet_l", 1e6, min_coverage=0.8, bootstrap=0)
    assert (man2["box"], man2["coverage"]) == (man["box"], man["coverage"])
    cart = pd.read_csv(tmp_path / "disc" / "cart.csv")
    top = cart.iloc[0]
    assert top["density"] == 1.0 and top["coverage"] >= 0.9
    assert "a >" in top["rule"] and "b <=" in top["rule"]

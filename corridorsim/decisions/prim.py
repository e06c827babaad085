"""PRIM, the Patient Rule Induction Method, for scenario discovery on numeric inputs.

Friedman and Fisher (1999, "Bump hunting in high-dimensional data", Statistics and Computing
9:123-143) as used for scenario discovery by Bryant and Lempert (2010, Technological
Forecasting and Social Change 77:34-49) and the EMA Workbench (Kwakkel 2017): start from the
box holding every case; at each step try to cut the ``peel_alpha`` share of the cases in the box
off the low or the high end of each input, and keep the cut that raises the share of "bad" cases
in the box (density) the most per case removed (EMA's default "lenient1" objective; the
"original" objective takes the cut with the highest density); stop when the box would hold less
than ``mass_min`` of all cases. Every box of the way is kept: the peeling trajectory of coverage
(share of all bad cases inside the box) against density.

Cuts are placed at empirical quantiles, taken as observed values (numpy ``"lower"`` and
``"higher"`` methods) so that a box limit is always a value present in the data, as in EMA.
:func:`bootstrap_limits` gives the uncertainty of the chosen box's limits by re-running the
peeling on bootstrap resamples (Efron and Tibshirani 1993). Each restriction of a box gets
Bryant and Lempert's quasi-p-value: the binomial probability of a density at least the box's
if the cases were drawn from the box without that restriction (a large value means the
restriction is not needed). Imports: numpy, pandas and scipy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import CorridorSimError

__all__ = ["PrimResult", "prim_peel", "choose_box", "bootstrap_limits", "box_mask"]

OBJECTIVES = ("lenient1", "original")


@dataclass(frozen=True)
class PrimResult:
    """A peeling trajectory.

    Attributes
    ----------
    columns : list of str
        Input names, in the order of the limit arrays.
    trajectory : pandas.DataFrame
        One row per box (box 0 = every case): ``box``, ``coverage``, ``density``, ``mass``
        (share of all cases in the box), ``n`` (cases in the box), ``restricted`` (inputs
        whose limits are narrower than the data's range, ``";"``-joined) and the peeled input.
    lows, highs : numpy.ndarray
        ``(boxes, inputs)`` lower and upper limits of each box (inclusive).
    bad_share : float
        Share of bad cases among all cases (the density of box 0).
    """

    columns: list[str]
    trajectory: pd.DataFrame
    lows: np.ndarray
    highs: np.ndarray
    bad_share: float

    def limits(self, box: int, x: pd.DataFrame | None = None,
               bad: np.ndarray | None = None) -> pd.DataFrame:
        """Limits of one box: ``input, low, high, data_low, data_high, restricted`` and, given
        the cases ``x`` and ``bad``, the quasi-p-value ``qp`` of each restriction (NaN where
        the input is not restricted)."""
        lo0, hi0 = self.lows[0], self.highs[0]
        lo, hi = self.lows[box], self.highs[box]
        restricted = (lo > lo0) | (hi < hi0)
        out = pd.DataFrame({"input": self.columns, "low": lo, "high": hi, "data_low": lo0,
                            "data_high": hi0, "restricted": restricted})
        if x is not None and bad is not None:
            m = _as_matrix(x)[0]
            y = np.asarray(bad, dtype=bool)
            inside = box_mask(m, lo, hi)
            qp = np.full(len(lo), np.nan)
            for j in np.flatnonzero(restricted):
                lo_j, hi_j = lo.copy(), hi.copy()
                lo_j[j], hi_j[j] = lo0[j], hi0[j]
                wider = box_mask(m, lo_j, hi_j)
                qp[j] = float(stats.binom.sf(int(y[inside].sum()) - 1, int(inside.sum()),
                                             float(y[wider].mean())))
            out["qp"] = qp
        return out


def box_mask(x: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Cases (rows of ``x``) inside the box ``low <= x <= high``."""
    return np.all((x >= low) & (x <= high), axis=1)


def _as_matrix(x: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    numeric = x.select_dtypes(include="number")
    if numeric.shape[1] == 0:
        raise CorridorSimError("PRIM needs at least one numeric input")
    m = numeric.to_numpy(dtype=float)
    if not np.all(np.isfinite(m)):
        raise CorridorSimError("PRIM inputs must be finite numbers (no missing values)")
    return m, [str(c) for c in numeric.columns]


def _peel(m: np.ndarray, y: np.ndarray, peel_alpha: float, mass_min: float,
          objective: str) -> tuple[list[np.ndarray], list[np.ndarray], list[str]]:
    n_all = len(y)
    low, high = m.min(axis=0), m.max(axis=0)
    lows, highs, peeled = [low.copy()], [high.copy()], [""]
    inside = np.ones(n_all, dtype=bool)
    while True:
        xin, yin = m[inside], y[inside]
        n_in = len(yin)
        mean_in = float(yin.mean())
        best = None
        for j in range(m.shape[1]):
            col = xin[:, j]
            for side in ("low", "high"):
                if side == "low":
                    cut = float(np.quantile(col, peel_alpha, method="higher"))
                    keep = col >= cut
                    if cut <= low[j] or keep.all():  # nothing below the quantile: try strictly above
                        keep = col > low[j]
                        cut = float(col[keep].min()) if keep.any() else np.inf
                else:
                    cut = float(np.quantile(col, 1.0 - peel_alpha, method="lower"))
                    keep = col <= cut
                    if cut >= high[j] or keep.all():
                        keep = col < high[j]
                        cut = float(col[keep].max()) if keep.any() else -np.inf
                kept = int(keep.sum())
                if kept == 0 or kept == n_in or kept < mass_min * n_all:
                    continue
                mean_new = float(yin[keep].mean())
                removed = n_in - kept
                score = (mean_new - mean_in) / removed if objective == "lenient1" else mean_new
                # ties: the cut leaving more inputs unrestricted (as EMA), then the larger box
                unrestricted = int(np.sum((low >= lows[0]) & (high <= highs[0])
                                          & (low <= lows[0]) & (high >= highs[0])))
                unrestricted -= int(low[j] <= lows[0][j] and high[j] >= highs[0][j])
                cand = (score, unrestricted, -removed, -j, side, cut, mean_new)
                if best is None or cand[:4] > best[:4]:
                    best = cand
        if best is None or best[6] <= mean_in:
            break
        _, _, _, negj, side, cut, _ = best
        j = -negj
        if side == "low":
            low[j] = cut
        else:
            high[j] = cut
        inside = box_mask(m, low, high)
        lows.append(low.copy())
        highs.append(high.copy())
        peeled.append(f"{side}:{j}")
    return lows, highs, peeled


def prim_peel(x: pd.DataFrame, bad: np.ndarray, peel_alpha: float = 0.05, mass_min: float = 0.05,
              objective: str = "lenient1") -> PrimResult:
    """Peel boxes that concentrate the bad cases.

    Parameters
    ----------
    x : pandas.DataFrame
        One row per case, one numeric column per input (non-numeric columns are left out).
    bad : array of bool
        Whether each case is "bad" (the outcome of interest).
    peel_alpha : float
        Share of the box's cases removed per peel, in (0, 0.5).
    mass_min : float
        Smallest box, as a share of all cases.
    objective : {"lenient1", "original"}
        Gain in density per case removed (EMA's default) or the density itself.

    Returns
    -------
    PrimResult
    """
    if not 0.0 < peel_alpha < 0.5:
        raise CorridorSimError(f"peel_alpha must be in (0, 0.5), got {peel_alpha}")
    if not 0.0 < mass_min < 1.0:
        raise CorridorSimError(f"mass_min must be in (0, 1), got {mass_min}")
    if objective not in OBJECTIVES:
        raise CorridorSimError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    m, columns = _as_matrix(x)
    y = np.asarray(bad, dtype=float)
    if len(y) != len(m) or len(y) == 0:
        raise CorridorSimError("PRIM needs one outcome per case and at least one case")
    n_bad = float(y.sum())
    if n_bad == 0:
        raise CorridorSimError("no case meets the threshold: nothing for PRIM to find")
    lows, highs, peeled = _peel(m, y, peel_alpha, mass_min, objective)
    rows = []
    for k, (lo, hi) in enumerate(zip(lows, highs)):
        inside = box_mask(m, lo, hi)
        n_in = int(inside.sum())
        restricted = [c for c, a, b, a0, b0 in zip(columns, lo, hi, lows[0], highs[0])
                      if a > a0 or b < b0]
        side, _, j = peeled[k].partition(":")
        rows.append({"box": k, "coverage": float(y[inside].sum()) / n_bad,
                     "density": float(y[inside].mean()), "mass": n_in / len(y), "n": n_in,
                     "restricted": ";".join(restricted),
                     "peeled": f"{columns[int(j)]} ({side})" if j else ""})
    return PrimResult(columns=columns, trajectory=pd.DataFrame(rows), lows=np.array(lows),
                      highs=np.array(highs), bad_share=n_bad / len(y))


def choose_box(result: PrimResult, min_coverage: float = 0.5) -> int:
    """The box of the trajectory with the highest density among those keeping at least
    ``min_coverage`` of the bad cases (the earliest such box on ties)."""
    t = result.trajectory
    ok = t[t["coverage"] >= min_coverage - 1e-12]
    if ok.empty:
        return 0
    return int(ok.loc[ok["density"].idxmax(), "box"])


def bootstrap_limits(x: pd.DataFrame, bad: np.ndarray, rng: np.random.Generator,
                     resamples: int = 200, level: float = 0.9, min_coverage: float = 0.5,
                     qp_max: float = 0.05, **prim_kw) -> pd.DataFrame:
    """Percentile-bootstrap intervals of the chosen box's limits.

    Each resample draws the cases with replacement, peels again and chooses its box with the
    same rule (:func:`choose_box`). A limit left at the data's range in a resample counts as
    unrestricted there; ``p_restricted`` is the share of resamples that restrict the input
    with a quasi-p-value below ``qp_max`` (a needed restriction, not a peel of a few cases).

    Returns
    -------
    pandas.DataFrame
        ``input, low_lo, low_hi, high_lo, high_hi, p_restricted`` (interval ends at
        ``(1 - level) / 2`` and ``(1 + level) / 2``).
    """
    m, columns = _as_matrix(x)
    y = np.asarray(bad, dtype=bool)
    frame = pd.DataFrame(m, columns=columns)
    lows, highs, restricted = [], [], []
    for _ in range(int(resamples)):
        idx = rng.integers(0, len(y), len(y))
        if not y[idx].any():
            continue
        sample = frame.iloc[idx].reset_index(drop=True)
        res = prim_peel(sample, y[idx], **prim_kw)
        k = choose_box(res, min_coverage)
        lim = res.limits(k, sample, y[idx])
        lows.append(lim["low"].to_numpy())
        highs.append(lim["high"].to_numpy())
        restricted.append((lim["restricted"] & (lim["qp"] < qp_max)).to_numpy())
    if not lows:
        raise CorridorSimError("no bootstrap resample held a bad case")
    lo, hi, rs = np.array(lows), np.array(highs), np.array(restricted)
    q = [(1 - level) / 2, (1 + level) / 2]
    return pd.DataFrame({
        "input": columns,
        "low_lo": np.quantile(lo, q[0], axis=0), "low_hi": np.quantile(lo, q[1], axis=0),
        "high_lo": np.quantile(hi, q[0], axis=0), "high_hi": np.quantile(hi, q[1], axis=0),
        "p_restricted": rs.mean(axis=0),
    })

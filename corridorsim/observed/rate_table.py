"""Text and labels of a rates table (:func:`corridorsim.observed.rates.estimate_threat_rates`).

The one-line-per-group table the ``rates`` command prints, and the group labels and rounding
that table and the threat-block comments share.

Part of the observed-data layer: imports pandas and its sibling modules only.
"""

from __future__ import annotations

import math

import pandas as pd

from .exposure import EDGE_KEYS
from .text_table import format_text_table

__all__ = ["format_rates_table", "group_keys", "group_label", "significant", "short"]


def significant(x: float, digits: int = 4) -> float:
    """``x`` rounded to ``digits`` significant digits."""
    if x == 0 or not math.isfinite(x):
        return float(x)
    return float(round(x, digits - 1 - int(math.floor(math.log10(abs(x))))))


def short(x: float) -> str:
    """``x`` to 3 significant digits, as text."""
    return f"{significant(x, 3):g}"


def group_keys(rates: pd.DataFrame) -> list[str]:
    """The grouping columns of a rates table (edge columns, or corridor and/or region)."""
    if all(k in rates.columns for k in EDGE_KEYS):
        return list(EDGE_KEYS)
    keys = [k for k in ("corridor", "region") if k in rates.columns]
    if not keys:
        raise ValueError("rates table has no grouping columns (edge_from/edge_to, corridor, region)")
    return keys


def group_label(keys: list[str], g: tuple) -> str:
    """How a group reads in tables and comments: ``A-B (corridor, region)`` or ``corridor X``."""
    if keys == list(EDGE_KEYS):
        return f"{g[0]}-{g[1]} ({g[2]}, {g[3]})"
    return " ".join(f"{k} {v}" for k, v in zip(keys, g))


def format_rates_table(rates: pd.DataFrame) -> str:
    """Compact text table of an :func:`~corridorsim.observed.rates.estimate_threat_rates` result (one line per group/kind)."""
    keys = group_keys(rates)
    heads = ["group", "kind", "events", "exposure_km", "factor", "mean", "median", "90% CI"]
    rows = []
    for _, r in rates.iterrows():
        g = tuple(r[k] for k in keys)
        if r["exposure_km"] > 0:
            stats_ = [short(r["mean_per_1000km"]), short(r["median_per_1000km"]),
                      f"[{short(r['ci90_low_per_1000km'])}, {short(r['ci90_high_per_1000km'])}]"]
        else:
            stats_ = ["-", "-", "no exposure: prior only"]
        rows.append([group_label(keys, g), str(r["kind"]), str(int(r["events"])),
                     f"{r['exposure_km']:.0f}", f"{r['hazard_factor']:.3f}", *stats_])
    numbers = {"events", "exposure_km", "factor", "mean", "median"}
    out = [format_text_table(heads, rows, right=numbers)]
    out.append("rates per 1000 convoy-km; exposure_km per replication in the window; factor = "
               "mean hazard factor applied to the exposure")
    return "\n".join(out)

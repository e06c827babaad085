"""The value of one more unit of a resource, stated in a decision-maker's units.

A unit is one escort unit at a base, one day of security stock at a destination (its unrationed
daily demand at the start, added to the initial stock) or one more loaded tanker a day at a
source. Its value is the paired mean change in each destination's outcomes
(:func:`corridorsim.decisions.outcomes.paired_effects`) with a Student-t interval, and a sentence
such as "one escort unit at kayes: +1.2 ML delivered (95 % CI +0.4 to +2.0), 0.8 fewer days at
zero stock (0.1 to 1.5) in Bamako". Imports: pandas only.
"""

from __future__ import annotations

import math

import pandas as pd

__all__ = ["UNIT_WORDS", "unit_statements"]

#: How each kind of unit reads in a sentence.
UNIT_WORDS = {
    "escort_unit": "one escort unit at {target}",
    "stock_day": "one more day of stock at {target}",
    "tanker_per_day": "one more tanker a day from {target}",
}


def _signed_ml(x: float) -> str:
    return f"{x / 1e6:+,.2f}"


def _fewer(x: float, digits: int = 1) -> str:
    """``x`` as "N fewer"/"N more" for a quantity where less is better."""
    if not math.isfinite(x):
        return "-"
    if round(abs(x), digits) == 0:
        return "no change in"
    return f"{abs(x):.{digits}f} {'fewer' if x <= 0 else 'more'}"


def _sentence(unit: str, rows: dict[str, pd.Series], dest: str, date: str) -> str:
    parts = []
    d = rows.get("delivered_l")
    if d is not None:
        parts.append(f"{_signed_ml(d['diff'])} ML delivered (95 % CI {_signed_ml(d['diff_low'])} "
                     f"to {_signed_ml(d['diff_high'])})")
    z = rows.get("days_at_zero")
    if z is not None:
        parts.append(f"{_fewer(z['diff'])} days at zero stock (CI {z['diff_low']:+.1f} to "
                     f"{z['diff_high']:+.1f})")
    p = rows.get("stockout_by")
    if p is not None:
        parts.append(f"P(run dry by {date}) {p['reference_mean']:.2f} -> {p['mean']:.2f}")
    return f"{unit} is worth " + ", ".join(parts) + f" in {dest}"


def unit_statements(effects: pd.DataFrame, date: str) -> pd.DataFrame:
    """One row per unit variant and destination: the effects side by side and a sentence,
    ranked by litres delivered gained.

    Parameters
    ----------
    effects : pandas.DataFrame
        Paired effects with the variant design columns (``variant, change, target``).
    date : str
        The stock-out date of ``stockout_by`` (ISO), for the sentence.
    """
    eff = effects[effects["change"].isin(tuple(UNIT_WORDS))]
    rows = []
    for (variant, change, target, dest), grp in eff.groupby(["variant", "change", "target", "destination"],
                                                             sort=False):
        by = {r["outcome"]: r for _, r in grp.iterrows()}
        row = {"variant": variant, "change": change, "target": target, "destination": dest,
               "n": int(grp["n"].iloc[0])}
        for outcome, r in by.items():
            row[outcome] = r["diff"]
            row[f"{outcome}_low"] = r["diff_low"]
            row[f"{outcome}_high"] = r["diff_high"]
        unit = UNIT_WORDS[change].format(target=target)
        row["statement"] = _sentence(unit, by, dest, date)
        rows.append(row)
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    return df.sort_values("delivered_l", ascending=False, kind="stable").reset_index(drop=True)

"""Threat blocks from estimated rates: a ``threats`` mapping, or a commented YAML file.

A rates table (:func:`corridorsim.observed.rates.estimate_threat_rates`) becomes one threat rule
per group; :func:`write_threat_block` writes it with a header stating the data, window,
exposure run, prior and corrections, and the counts and credible intervals above each rule, so
that the file can be merged into a scenario with ``extends``.

Part of the observed-data layer: imports pandas, PyYAML, the shared atomic writer and its
sibling modules, never figures or the command line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..atomic import atomic_write
from .exposure import EDGE_KEYS
from .rate_table import group_keys, group_label, short, significant
from .rates import ATTACKS

__all__ = ["STATISTICS", "threat_block", "write_threat_block"]

#: Posterior statistics that :func:`threat_block` can write, and their column.
STATISTICS = {
    "mean": "mean_per_1000km",
    "median": "median_per_1000km",
    "ci90_low": "ci90_low_per_1000km",
    "ci90_high": "ci90_high_per_1000km",
    "ci95_low": "ci95_low_per_1000km",
    "ci95_high": "ci95_high_per_1000km",
}


def _selector(keys: list[str], values: tuple) -> dict[str, Any]:
    if keys == list(EDGE_KEYS):
        return {"edges": [[str(values[0]), str(values[1])]]}
    return {k: str(v) for k, v in zip(keys, values)}


def _rule_groups(rates: pd.DataFrame, kind: str):
    """(keys, [(group values, {attack kind: row})]) of the rates table, in table order."""
    if kind not in STATISTICS:
        raise ValueError(f"kind={kind!r}: expected one of {', '.join(STATISTICS)}")
    keys = group_keys(rates)
    out: dict[tuple, dict[str, pd.Series]] = {}
    for _, row in rates.iterrows():
        g = tuple(row[k] for k in keys)
        out.setdefault(g, {})[row["kind"]] = row
    return keys, list(out.items())


def threat_block(rates: pd.DataFrame, kind: str = "mean") -> dict[str, Any]:
    """A ``threats`` block with one rule per group of an :func:`~corridorsim.observed.rates.estimate_threat_rates` table.

    Parameters
    ----------
    rates : pandas.DataFrame
        From :func:`~corridorsim.observed.rates.estimate_threat_rates`.
    kind : str
        The posterior statistic written: ``"mean"`` (default), ``"median"``, ``"ci90_low"``,
        ``"ci90_high"``, ``"ci95_low"`` or ``"ci95_high"``.

    Returns
    -------
    dict
        ``{"threats": {"rules": [...]}}``: rules select by ``corridor``, ``region``, both, or
        ``edges``, and set ``ambush_rate_per_1000km`` and ``ied_rate_per_1000km`` (4
        significant digits). Groups without exposure get no rule. Merged into a scenario with
        ``extends``, the rules replace the scenario's rules (lists are replaced), so edges of no
        group get rate 0; phases, deterrence and effects stay the scenario's.
    """
    keys, groups = _rule_groups(rates, kind)
    col = STATISTICS[kind]
    rules = []
    for g, by_kind in groups:
        if not any(r["exposure_km"] > 0 for r in by_kind.values()):
            continue
        rule = _selector(keys, g)
        for attack in ATTACKS:
            if attack in by_kind:
                rule[f"{attack}_rate_per_1000km"] = significant(float(by_kind[attack][col]))
        rules.append(rule)
    return {"threats": {"rules": rules}}



def write_threat_block(
    path: str | os.PathLike,
    rates: pd.DataFrame,
    kind: str = "mean",
    extends: str | os.PathLike | None = None,
    name: str | None = None,
    data: str | None = None,
) -> Path:
    """Write :func:`threat_block` as a commented YAML file, atomically.

    The header states the data, the window, the exposure run, the prior, the corrections and
    that the rates are posterior means (or the chosen statistic); above each rule a comment
    gives the counts, the exposure and the 90 % and 95 % credible intervals.

    Parameters
    ----------
    path : str or path-like
        Output YAML file (replaced atomically if it exists).
    rates : pandas.DataFrame
        From :func:`~corridorsim.observed.rates.estimate_threat_rates` (its ``attrs`` fill the header).
    kind : str
        Posterior statistic written (see :func:`threat_block`).
    extends : str or path-like, optional
        A scenario file: the block then starts with ``extends:`` (path relative to the
        block's folder) and is itself a runnable scenario.
    name : str, optional
        Scenario name written with ``extends`` (e.g. ``mali_blockade_2025_calibrated``).
    data : str, optional
        Description of the incident data for the header (default: ``attrs["incidents_file"]``).

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    block = threat_block(rates, kind)
    keys, groups = _rule_groups(rates, kind)
    a = rates.attrs
    stat = {"mean": "posterior means", "median": "posterior medians"}.get(
        kind, f"posterior {kind.replace('_', ' ')} bounds")
    counted = a.get("events_counted", {})
    lines = [
        "# Threat rates estimated from observed incidents (corridorsim.observed.rates, Gamma-Poisson).",
        f"# data: {data or a.get('incidents_file', 'incident table')}; counted: "
        + ", ".join(f"{counted.get(k, 0)} {k}" for k in ATTACKS),
    ]
    if a.get("events_outside_window"):
        lines.append(f"#   attack events outside the window: {', '.join(a['events_outside_window'])}")
    if a.get("events_not_placed"):
        lines.append(f"#   attack events not placed at the {'/'.join(a.get('by', keys))} level: "
                     f"{', '.join(a['events_not_placed'])}")
    if "window_start" in a:
        lines.append(f"# window: {a['window_start'][:16]} to {a['window_end'][:16]} (end exclusive)")
    run = f"scenario {a['scenario']}" if "scenario" in a else "a simulated run"
    seed = f", seed {a['seed']}" if "seed" in a else ""
    lines.append(f"# exposure: convoy-km per replication of {run} ({a.get('replications', '?')} "
                 f"replications{seed}; movement kinds: {', '.join(a.get('kinds') or ['all'])})")
    lines.append(f"# grouping: {', '.join(a.get('by', keys))}")
    lines.append(f"# prior: Gamma(shape a0 = {a.get('prior_shape', 0.5):g}, rate b0 = "
                 f"{a.get('prior_rate_per_1000km', 1e-3):g} per 1000 convoy-km), near-flat; "
                 "posterior Gamma(a0 + k, b0 + E/1000)")
    lines.append(f"# rates: {stat} per 1000 convoy-km; credible intervals in the comments")
    if a.get("correct_for_escort"):
        lines.append("# escort: corrected (exposure weighted by each convoy's deterrence factor): "
                     "rates are for unescorted convoys")
    else:
        lines.append("# escort: NOT corrected: rates are effective rates for the traffic mix "
                     "observed (escorted convoys with deterrence); the engine applies the "
                     "deterrence factor again")
    if a.get("correct_for_phases"):
        lines.append("# phases: corrected (exposure weighted by the phase multipliers): rates are "
                     "base rates (multiplier 1)")
    else:
        lines.append("# phases: NOT corrected: rates include the multipliers of the window's "
                     "phases; a scenario with the same phases applies them again")
    skipped = [g for g, by_kind in groups if not any(r["exposure_km"] > 0 for r in by_kind.values())]
    if skipped:
        lines.append("# groups with events but no simulated exposure (no rule): "
                     + "; ".join(group_label(keys, g) for g in skipped))
    body = []
    if extends is not None:
        target = Path(extends)
        try:
            rel = os.path.relpath(target.resolve(), path.resolve().parent)
        except ValueError:  # another drive
            rel = str(target.resolve())
        body.append(f"extends: {yaml.safe_dump(rel, default_style=None).splitlines()[0]}")
        if name:
            body.append(f"name: {yaml.safe_dump(name).splitlines()[0]}")
    body.append("threats:")
    body.append("  rules:")
    rules = iter(block["threats"]["rules"])
    for g, by_kind in groups:
        if g in skipped:
            continue
        rule = next(rules)
        notes = []
        for attack in ATTACKS:
            r = by_kind.get(attack)
            if r is None:
                continue
            notes.append(f"{attack} {int(r['events'])} in {r['effective_exposure_km']:.0f} km: "
                         f"90% [{short(r['ci90_low_per_1000km'])}, {short(r['ci90_high_per_1000km'])}]"
                         f" 95% [{short(r['ci95_low_per_1000km'])}, {short(r['ci95_high_per_1000km'])}]")
        body.append(f"    # {group_label(keys, g)}: " + "; ".join(notes))
        flow = yaml.safe_dump(rule, default_flow_style=True, sort_keys=False, width=10_000).strip()
        body.append(f"    - {flow}")
    text = "\n".join(lines + body) + "\n"

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    return atomic_write(path, write)

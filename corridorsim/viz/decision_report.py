"""Figures and report sections of the decision studies, read from their output directories.

A study directory holds ``study.json`` (kind ``criticality``, ``value``, ``discovery`` or
``regret``) and its CSV tables (see :mod:`corridorsim.decisions`). :func:`study_figures` draws
its figures; :func:`decision_sections` turns one study directory, or a folder of several, into
report blocks. The report module calls it through a one-line hook and passes its own block and
table types, so this module does not depend on how the report is laid out.
Imports: decisions (to read studies), scenario (the network of a criticality map).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from ..decisions.studies import read_study
from ..manifests import read_manifest
from .contexts import CaptionedFigure, each_destination
from .decision_figures import (
    box_figure,
    criticality_bars,
    criticality_map,
    peeling_figure,
    regret_figure,
    stress_figure,
    value_bars,
)

__all__ = ["is_study", "study_dirs", "study_figures", "decision_sections"]

KINDS = ("criticality", "value", "discovery", "regret")
_TITLES = {"criticality": "Which road segments matter", "value": "What one more unit is worth",
           "discovery": "Under which conditions the outcome is bad",
           "regret": "Which what-if is most robust"}


def is_study(path: str | Path) -> bool:
    """Whether ``path`` is a study directory or a folder holding study directories."""
    return bool(study_dirs(path))


def study_dirs(path: str | Path) -> list[Path]:
    """The study directories at ``path``: itself, or its subfolders, in the order criticality,
    value, discovery, regret (none when ``path`` is a run or sweep directory)."""
    root = Path(path)
    if (root / "study.json").is_file():
        return [root]
    if (root / "sweep.json").is_file() or (root / "manifest.json").is_file():
        return []  # a sweep or run directory (maybe with a discovery inside): its own report
    found = [d for d in sorted(root.iterdir()) if d.is_dir() and (d / "study.json").is_file()] \
        if root.is_dir() else []

    def kind(d: Path) -> int:
        k = read_manifest(d / "study.json", "a decisions study directory").get("kind", "")
        return KINDS.index(k) if k in KINDS else len(KINDS)

    return sorted(found, key=kind)


def _network(root: Path):
    from ..scenario.documents import scenario_from_dict
    from ..scenario.network import build_network

    man = read_manifest(root / "sweep" / "sweep.json", "a sweep results directory",
                        ("base_scenario",))
    return build_network(scenario_from_dict(man["base_scenario"]))


def study_figures(path: str | Path) -> list[CaptionedFigure]:
    """The figures of one study directory, each with a caption."""
    root = Path(path)
    man, t = read_study(root)
    kind = man.get("kind")
    what = man.get("scenario") or man.get("sweep") or (
        f"{len(man.get('levers', []))} what-ifs x {man.get('points')} uncertainty points")
    foot = f"corridorsim {kind}: {what}"
    figs: list[CaptionedFigure] = []
    if kind == "criticality" and not t["criticality"].empty:
        figs += each_destination(
            t["criticality"], "criticality_bars",
            lambda d: criticality_bars(t["criticality"], d, footer=foot),
            lambda d: f"Unmet demand at {d} added by closing each segment and litres gained by "
                      "making it safe (paired means, 95 % CI).")
        figs.append(CaptionedFigure("criticality_map",
                                    criticality_map(_network(root), t["criticality"], footer=foot),
                                    "Segments that carry traffic, coloured by the unmet demand their "
                                    "closure adds (summed over the destinations)."))
        figs += each_destination(
            t["stress_test"], "stress_test",
            lambda d: stress_figure(t["stress_test"], d, footer=foot),
            lambda d: f"Time for {d} to survive a closure (median days until its stock runs "
                      "out) against the segment's time to recover.")
    elif kind == "value" and not t["value"].empty:
        figs += each_destination(
            t["value"], "value", lambda d: value_bars(t["value"], d, footer=foot),
            lambda d: f"Marginal value at {d} of one more escort unit, day of stock or tanker a "
                      "day (paired means, 95 % CI).")
    elif kind == "discovery":
        figs.append(CaptionedFigure("peeling", peeling_figure(t["trajectory"], int(man["box"]), footer=foot),
                                    "PRIM peeling trajectory: coverage against density of each box."))
        figs.append(CaptionedFigure("prim_box", box_figure(t["box"], footer=foot),
                                    "Limits of the chosen box on each input, with bootstrap intervals."))
    elif kind == "regret":
        litres = man.get("metric", "").endswith("_l")
        figs.append(CaptionedFigure("regret", regret_figure(
            t["regret_by_point"], t["regret"], 1e6 if litres else 1.0,
            f"({man.get('metric')}{', ML' if litres else ''})", footer=foot),
            "Regret of each what-if at each uncertainty point; levers ranked by maximum regret."))
    return figs


def _fmt(x: Any, scale: float = 1.0, digits: int = 2) -> str:
    try:
        v = float(x) / scale
    except (TypeError, ValueError):
        return str(x)
    if not math.isfinite(v):
        return "never" if v > 0 else "–"
    return f"{v:,.{digits}f}"


def _ci(row: pd.Series, col: str, scale: float = 1e6, digits: int = 2) -> str:
    return (f"{_fmt(row[col], scale, digits)} ({_fmt(row[f'{col}_low'], scale, digits)} to "
            f"{_fmt(row[f'{col}_high'], scale, digits)})")


def _rows(kind: str, man: dict, t: dict[str, pd.DataFrame]) -> list[tuple[str, list[str], list[list[str]]]]:
    """(intro, header, rows) of the tables of a study."""
    out = []
    if kind == "criticality":
        c = t["criticality"].head(12)
        out.append((f"Ranked by the unmet demand a closure adds; ML, paired means with 95 % CI over "
                     f"{man.get('replications')} or more replications; P(stock-out by "
                     f"{man.get('stockout_date')}).",
                     ["segment", "destination", "closed: more unmet (ML)", "safe: more delivered (ML)",
                      "closed: ΔP(stock-out)"],
                     [[r["edge"], r["destination"], _ci(r, "closed_unmet_l"), _ci(r, "safe_delivered_l"),
                       _fmt(r.get("closed_stockout_by"), 1, 2)] for _, r in c.iterrows()]))
        s = t["segments"].head(8)
        out.append(("Losses of the scenario as written, per replication on average.",
                    ["segment", "corridor", "litres lost (ML)", "tankers lost", "attacks / 1000 convoy-km"],
                    [[r["edge"], str(r["corridor"]), _ci(r, "litres_lost"), _fmt(r["tankers_lost"], 1, 1),
                      _fmt(r["attacks_per_1000km"], 1, 3)] for _, r in s.iterrows()]))
        full = t["stress_test"]
        if not full.empty:
            st = full.head(10)
            base = (f" Without any closure the stock lasts {_fmt(full['base_tts_median_days'].iloc[0], 1, 0)} "
                    "days (median)." if "base_tts_median_days" in full.columns else "")
            out.append((f"Stress test: flagged segments first ({int(full['flag'].sum())} flagged of the "
                        f"{len(full)} listed). Time to recover from the scenario's closures, "
                        f"else assumed {man.get('assumed_recovery_days')} days.{base}",
                        ["segment", "destination", "time to survive (median days)", "time to recover (days)",
                         "flag"],
                        [[r["edge"], r["destination"], _fmt(r["tts_median_days"], 1, 0),
                          f"{_fmt(r['ttr_days'], 1, 0)} ({r['ttr_source']})", "yes" if r["flag"] else ""]
                         for _, r in st.iterrows()]))
    elif kind == "value":
        v = t["value"]
        out.append((f"Ranked by litres delivered gained. P(stock-out) by {man.get('stockout_date')}.",
                    ["unit", "destination", "more delivered (ML)", "days at zero (Δ)", "P(stock-out) (Δ)"],
                    [[r["variant"], r["destination"], _ci(r, "delivered_l"), _ci(r, "days_at_zero", 1, 1),
                      _fmt(r["stockout_by"], 1, 2)] for _, r in v.iterrows()]))
    elif kind == "discovery":
        b = t["box"]
        has_boot = "low_lo" in b.columns
        out.append((f"Bad: {man['metric']} {'>=' if man['bad_when'] == 'above' else '<='} "
                    f"{man['threshold']:g} ({man['bad_cases']} of {man['cases']} cases, "
                    f"{man['bad_share']:.0%}). Chosen box {man['box']}: coverage {man['coverage']:.2f}, "
                    f"density {man['density']:.2f}, mass {man['mass']:.2f}.",
                    ["input", "low", "high", "range of the data", "restricted"]
                    + (["quasi-p"] if "qp" in b.columns else [])
                    + (["low (90 % bootstrap)", "high (90 % bootstrap)", "P(restricted)"] if has_boot else []),
                    [[r["input"], f"{r['low']:.4g}", f"{r['high']:.4g}",
                      f"{r['data_low']:.4g} – {r['data_high']:.4g}", "yes" if r["restricted"] else ""]
                     + ([f"{r['qp']:.2g}" if r["restricted"] else ""] if "qp" in b.columns else [])
                     + ([f"{r['low_lo']:.4g} – {r['low_hi']:.4g}", f"{r['high_lo']:.4g} – {r['high_hi']:.4g}",
                         f"{r['p_restricted']:.2f}"] if has_boot else [])
                     for _, r in b.iterrows()]))
        if "cart" in t and not t["cart"].empty:
            c = t["cart"].head(4)
            out.append(("Second view, a classification tree: its densest leaves.",
                        ["rule", "cases", "coverage", "density"],
                        [[r["rule"], str(r["n"]), f"{r['coverage']:.2f}", f"{r['density']:.2f}"]
                         for _, r in c.iterrows()]))
    elif kind == "regret":
        r = t["regret"]
        litres = man.get("metric", "").endswith("_l")
        sc = 1e6 if litres else 1.0
        unit = " (ML)" if litres else ""
        out.append((f"Metric {man['metric']} ({man['sense']}); {man['points']} uncertainty points x "
                    f"{man['replications']} replications, paired on common random numbers.",
                    ["rank", "what-if", f"mean outcome{unit}", f"max regret{unit}", f"P90 regret{unit}",
                     f"P50 regret{unit}", "best at (points)"],
                    [[str(x["rank"]), x["lever"], _fmt(x["mean_outcome"], sc), _fmt(x["max_regret"], sc),
                      _fmt(x["p90_regret"], sc), _fmt(x["p50_regret"], sc), str(x["best_at"])]
                     for _, x in r.iterrows()]))
    return out


def decision_sections(path: str | Path, block: Callable[..., Any], table: Callable[..., Any]
                      ) -> tuple[list[Any], str]:
    """Report blocks for the study directories at ``path``.

    Parameters
    ----------
    block, table : callable
        The report's block and table constructors: ``block(kind, text=..., items=...,
        table=..., figure=...)`` and ``table(header, rows, align)``.
    """
    dirs = study_dirs(path)
    blocks = [block("h1", "Decisions: what would change the outcome"),
              block("sub", f"{len(dirs)} stud{'y' if len(dirs) == 1 else 'ies'} from {Path(path).name}")]
    for d in dirs:
        man, t = read_study(d)
        kind = man.get("kind", "")
        blocks.append(block("h2", _TITLES.get(kind, kind)))
        for intro, header, rows in _rows(kind, man, t):
            blocks.append(block("p", intro))
            blocks.append(block("table", table=table(header, rows, "l" * 2 + "r" * (len(header) - 2))))
        if kind == "value" and not t["value"].empty:
            blocks.append(block("ul", items=list(t["value"]["statement"].head(6))))
        for cf in study_figures(d):
            blocks.append(block("fig", text=cf.caption, figure=cf))
    return blocks, "Decisions"

"""What the standard figures and the report of a results directory need, read once: the kind
of directory (run, sweep or calibration), its tables and manifest, the scenario and network,
the observations it is compared with, the footer text and the run date.

May import the experiments and scenario layers (reading results), :mod:`.observations` and the
shared helpers; draws nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..manifests import read_manifest, read_results_csv
from .observations import read_observed_deliveries, read_observed_incidents

__all__ = ["CaptionedFigure", "each_destination", "RunContext", "SweepContext", "CalibrationContext", "kind_of",
           "run_context", "sweep_context", "calibration_context", "run_date"]


@dataclass
class CaptionedFigure:
    """A figure of a standard set, with its file stem and one-line caption."""

    name: str
    figure: Any
    caption: str


def each_destination(table: pd.DataFrame, stem: str, draw: Callable[[str], Any],
                     caption: Callable[[str], str]) -> list[CaptionedFigure]:
    """One figure per destination of ``table`` (its ``destination`` column, in order), named
    ``<stem>_<destination>`` when there are several (``<stem>`` alone for one)."""
    dests = list(dict.fromkeys(table["destination"].astype(str))) if not table.empty else []
    return [CaptionedFigure(stem + (f"_{d}" if len(dests) > 1 else ""), draw(d), caption(d))
            for d in dests]


@dataclass
class RunContext:
    """A run directory, read: tables (``run``; ``run["daily"]`` is the focus destination's,
    ``run["daily_by_destination"]`` every destination's when there are several), manifest, scenario, network (None when its
    files are not on this machine), observed deliveries and incidents (None when absent), the
    footer of its figures and the date of the run."""

    root: Path
    run: Any
    manifest: dict[str, Any]
    scenario: Any
    graph: Any
    obs_d: pd.DataFrame | None
    obs_i: pd.DataFrame | None
    footer: str
    run_date: str


@dataclass
class SweepContext:
    """A sweep directory, read: manifest, summary tables (by name), design, footer, date."""

    root: Path
    manifest: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    design: pd.DataFrame
    footer: str
    run_date: str


@dataclass
class CalibrationContext:
    """A calibration directory, read: ``calibration.json``, ``samples.csv``,
    ``diagnostics.csv``, footer and date."""

    root: Path
    manifest: dict[str, Any]
    samples: pd.DataFrame
    diagnostics: pd.DataFrame
    footer: str
    run_date: str
    observed: dict[str, float] = field(default_factory=dict)


def kind_of(path: Path) -> str:
    """``"run"``, ``"sweep"`` or ``"calibration"``; :class:`~corridorsim.errors.OutputError`
    for any other directory."""
    path = Path(path)
    if (path / "manifest.json").is_file():
        return "run"
    if (path / "sweep.json").is_file():
        return "sweep"
    if (path / "calibration.json").is_file():
        return "calibration"
    from ..errors import OutputError

    raise OutputError(f"{path}: not a corridorsim run, sweep or calibration directory (no "
                      "manifest.json, sweep.json or calibration.json)")


def run_date(manifest: Mapping[str, Any], manifest_path: Path) -> str:
    """The date a result was made (``"8 Sep 2025"``): from the manifest, else the file's
    modification time."""
    for key in ("created", "created_utc", "finished", "date"):
        if manifest.get(key):
            try:
                ts = pd.Timestamp(manifest[key])
                return f"{ts.day} {ts:%b %Y}"
            except (ValueError, TypeError):
                pass
    try:
        ts = dt.datetime.fromtimestamp(manifest_path.stat().st_mtime, tz=dt.UTC)
        return f"{ts.day} {ts:%b %Y}"
    except OSError:
        return "unknown date"


def _existing(path: Any, folders: Sequence[Path]) -> Path | None:
    if not path:
        return None
    p = Path(str(path))
    if p.is_file():
        return p
    for f in folders:  # the run was made elsewhere: try the file name next to known folders
        for cand in (f / p.name, f / "data" / p.name):
            if cand.is_file():
                return cand
    return None


def run_context(root: Path) -> RunContext:
    """Read a run directory for its figures and report."""
    from ..errors import CorridorSimError
    from ..experiments.rundir import read_run
    from ..scenario.documents import scenario_from_dict
    from ..scenario.network import build_network
    from ..version import __version__

    root = Path(root)
    result = read_run(root)  # the RunResult's tables, as the figures and report take them
    run = {"manifest": result.manifest, "daily": result.daily, "events": result.events,
           "convoys": result.convoys, "summary": result.summary, "metrics": result.metrics,
           "destinations": result.destinations}
    man = run["manifest"]
    sc = scenario_from_dict(man["scenario"])
    daily = run["daily"]
    if "destination" in daily:  # several destinations: most figures show the focus one
        run["daily"] = daily[daily["destination"] == sc.destination.label].reset_index(drop=True)
        if daily["destination"].nunique() > 1:  # and a few put every destination side by side
            run["daily_by_destination"] = daily
    try:
        graph = build_network(sc)
    except CorridorSimError:  # network files of another machine: no maps
        graph = None
    folders = [root]
    if man.get("scenario_file"):
        folders.insert(0, Path(str(man["scenario_file"])).parent)
    deliveries = _existing(sc.observations.deliveries_csv, folders)
    incidents = _existing(sc.observations.incidents_csv, folders)
    obs_d = read_observed_deliveries(deliveries) if deliveries else None
    obs_i = read_observed_incidents(incidents) if incidents else None
    when = run_date(man, root / "manifest.json")
    text = (f"Simulation: corridorsim {man.get('versions', {}).get('corridorsim', __version__)}, "
            f"scenario '{sc.name}' ({man['replications']} replications, seed {man['seed']}, "
            f"scenario hash {str(man.get('scenario_hash', ''))[:12]}), run {when}.")
    if obs_d is not None or obs_i is not None:
        text += f" Observed: {sc.observations.source or 'observations of the scenario'}."
    text += " Parameter sources: see the scenario's sources_of_numbers."
    return RunContext(root, run, man, sc, graph, obs_d, obs_i, text, when)


def sweep_context(root: Path) -> SweepContext:
    """Read a sweep directory (its summaries, computed when not written) for its figures and
    report."""
    from ..version import __version__

    root = Path(root)
    man = read_manifest(root / "sweep.json", "a sweep results directory")
    tables: dict[str, pd.DataFrame] = {}
    names = ("points_summary", "paired_differences", "stockout_probability",
             "stockout_probability_by_destination", "sensitivity")
    if all((root / f"{n}.csv").is_file() for n in names[:2]):
        for n in names:
            p = root / f"{n}.csv"
            if p.is_file() and p.stat().st_size > 1:
                try:
                    tables[n] = pd.read_csv(p)
                except pd.errors.EmptyDataError:
                    pass
    else:
        from ..experiments.summaries import summarize_sweep

        tables = summarize_sweep(root)
    design = read_results_csv(root / "design.csv", "a sweep results directory")
    when = run_date(man, root / "sweep.json")
    base = man.get("base_scenario", {})
    text = (f"Simulation: corridorsim {man.get('versions', {}).get('corridorsim', __version__)}, "
            f"sweep '{man.get('name')}' on scenario '{base.get('name', '?')}' "
            f"({man.get('points')} points x {man.get('replications')} replications, common random "
            f"numbers, seed {man.get('seed')}, design hash {str(man.get('design_hash', ''))[:12]}), "
            f"run {when}.")
    return SweepContext(root, man, tables, design, text, when)


def calibration_context(root: Path) -> CalibrationContext:
    """Read a calibration directory (``corridorsim calibrate``) for its figures and report."""
    from ..version import __version__

    root = Path(root)
    man = read_manifest(root / "calibration.json", "a calibration results directory")
    samples = read_results_csv(root / "samples.csv", "a calibration results directory")
    diag_path = root / "diagnostics.csv"
    diagnostics = pd.read_csv(diag_path) if diag_path.is_file() else pd.DataFrame()
    spec = man.get("spec", {})
    when = run_date(man, root / "calibration.json")
    text = (f"Calibration: corridorsim {__version__}, '{spec.get('name', root.name)}' "
            f"(ABC rejection: {man.get('accepted')} of {len(samples)} prior draws accepted, "
            f"{spec.get('replications', '?')} replications per draw, seed {spec.get('seed', '?')}),"
            f" run {when}.")
    observed = {str(k): float(v) for k, v in (man.get("observed") or {}).items()}
    return CalibrationContext(root, man, samples, diagnostics, text, when, observed)

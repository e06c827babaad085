"""Writing a run's results to a directory, atomically, with a manifest.

Layout of an output directory::

    daily.csv  events.csv  convoys.csv  summary.csv  metrics.csv  destinations.csv
    manifest.json

``daily.csv`` has one row per day and destination; ``destinations.csv`` one row per replication
and destination; ``summary.csv`` and ``metrics.csv`` hold national totals.

Everything is first written into a temporary sibling directory, then renamed into place, so an
interrupted or failed run never leaves a half-written output directory. An existing directory is
replaced only with ``force=True`` (and then only after the new one is complete).

The data files depend only on the scenario and the seed (byte-identical for any number of
workers); ``manifest.json`` also records the command, the wall time and the machine's versions.
"""

from __future__ import annotations

import json
import platform
import shutil
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from ..atomic import check_output_dir
from ..errors import OutputError, ResourceError
from ..scenario.documents import scenario_hash, scenario_to_dict
from .simulate import RunResult

__all__ = ["write_run", "read_run", "run_manifest", "package_versions", "DATA_FILES"]

#: Data files of a run directory, in writing order.
DATA_FILES = ("daily.csv", "events.csv", "convoys.csv", "summary.csv", "metrics.csv",
              "destinations.csv")

_DEPENDENCIES = ("corridorsim", "simpy", "numpy", "networkx", "pandas", "pydantic", "pyyaml",
                 "matplotlib", "click", "rich")


def _utc_now() -> str:
    """Current UTC time, ISO 8601 to the second (for manifests)."""
    import datetime as dt

    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def package_versions() -> dict[str, str]:
    """Versions of Python and of corridorsim's dependencies."""
    out = {"python": platform.python_version()}
    for name in _DEPENDENCIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def run_manifest(result: RunResult, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The manifest of a run: resolved scenario and its hash, seed, replications, versions."""
    manifest = {
        "kind": "run",
        "created": _utc_now(),
        "scenario_name": result.scenario.name,
        "scenario_hash": scenario_hash(result.scenario),
        "seed": result.seed,
        "replications": result.replications,
        "start": result.scenario.start.isoformat(),
        "end": result.scenario.end.isoformat(),
        "versions": package_versions(),
        "wall_time_s": round(result.wall_time_s, 3),
        "sim_events": result.sim_events,
        "files": list(DATA_FILES),
        "scenario": scenario_to_dict(result.scenario),
    }
    if extra:
        manifest.update(extra)
    return manifest


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, lineterminator="\n")


def write_run(result: RunResult, out_dir: str | Path, force: bool = False,
              manifest_extra: dict[str, Any] | None = None) -> Path:
    """Write a run's tables and manifest to ``out_dir`` atomically.

    Parameters
    ----------
    result : RunResult
    out_dir : str or Path
        Directory to create.
    force : bool
        Replace an existing directory (only once the new one is complete).
    manifest_extra : dict, optional
        More manifest entries (e.g. the command line).

    Raises
    ------
    OutputError
        If ``out_dir`` exists and ``force`` is false, or it cannot be written.
    """
    out = Path(out_dir)
    check_output_dir(out, force=force)
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    except OSError as exc:
        raise ResourceError(f"{out}: cannot create output directory ({exc.strerror})") from None
    try:
        tables = result.tables
        for name, df in zip(DATA_FILES, (tables.daily, tables.events, tables.convoys,
                                          tables.summary, result.metrics, tables.destinations)):
            _write_csv(df, tmp / name)
        manifest = run_manifest(result, manifest_extra)
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n",
                                           encoding="utf-8")
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=parent))
            old.rmdir()
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def read_run(run_dir: str | Path) -> dict[str, Any]:
    """Read a run directory back: the tables as DataFrames and the manifest as a dict."""
    d = Path(run_dir)
    if not (d / "manifest.json").is_file():
        raise OutputError(f"{d}: not a corridorsim run directory (no manifest.json)")
    out: dict[str, Any] = {"manifest": json.loads((d / "manifest.json").read_text(encoding="utf-8"))}
    for name in DATA_FILES:
        if (d / name).is_file() or name != "destinations.csv":  # (older runs lack it)
            out[name.removesuffix(".csv")] = pd.read_csv(d / name)
    return out

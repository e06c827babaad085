"""Writing a run's results to a directory, atomically, with a manifest.

Layout of an output directory::

    daily.csv  events.csv  convoys.csv  summary.csv  metrics.csv  destinations.csv
    manifest.json

``daily.csv`` has one row per day and destination; ``destinations.csv`` one row per replication
and destination; ``summary.csv`` and ``metrics.csv`` hold national totals.

or, with ``format="parquet"``, the same tables as ``.parquet`` files with the column names and
types of a sweep's tables (calendar columns as timestamps). :func:`read_run` reads either back
into the :class:`~corridorsim.experiments.simulate.RunResult` that ``simulate`` returns.

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

from ..atomic import check_output_dir, make_temp_dir
from ..errors import OutputError, ResourceError
from ..manifests import read_manifest
from ..model.columns import INT_OR_NAN
from ..model.records import DATE_COLUMNS, DATE_FORMATS, TEXT_COLUMNS, Tables
from ..scenario.documents import scenario_from_dict, scenario_hash, scenario_to_dict
from .simulate import RunResult

__all__ = ["write_run", "read_run", "run_manifest", "package_versions", "DATA_FILES", "TABLES",
           "RUN_FORMATS", "arrow_ready"]

#: Tables of a run directory, in writing order.
TABLES = ("daily", "events", "convoys", "summary", "metrics", "destinations")
#: File formats of a run directory.
RUN_FORMATS = ("csv", "parquet")
#: Data files of a CSV run directory, in writing order.
DATA_FILES = tuple(f"{t}.csv" for t in TABLES)

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


def run_manifest(result: RunResult, extra: dict[str, Any] | None = None,
                 fmt: str = "csv") -> dict[str, Any]:
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
        "engine": result.engine,
        "format": fmt,
        "files": [f"{t}.{fmt}" for t in TABLES],
        "scenario": scenario_to_dict(result.scenario),
    }
    if extra:
        manifest.update(extra)
    return manifest


def arrow_ready(df: pd.DataFrame) -> pd.DataFrame:
    """A table as it is stored in Parquet files (runs and sweeps alike).

    The whole-number columns that are NaN where undefined (``first_stockout_day``, in whichever
    table: :data:`~corridorsim.model.columns.INT_OR_NAN`) are floats whether or not a value is
    missing, so that every file of a sweep, and a run's file, has the same schema (pyarrow
    refuses to read an int64 column in one file and a double in another as one dataset).
    """
    cast = {c: df[c].astype("float64") for c in sorted(INT_OR_NAN) if c in df.columns}
    return df.assign(**cast) if cast else df


def _write_table(name: str, df: pd.DataFrame, path: Path, fmt: str) -> None:
    if fmt == "parquet":
        arrow_ready(df).to_parquet(path, index=False)
    else:
        # calendar columns as the text they always had (dates; local times to the minute)
        fmt_dates = {c: df[c].dt.strftime(DATE_FORMATS[name]).fillna("")
                     for c in DATE_COLUMNS.get(name, ()) if c in df.columns}
        df.assign(**fmt_dates).to_csv(path, index=False, lineterminator="\n")


def write_run(result: RunResult, out_dir: str | Path, force: bool = False,
              manifest_extra: dict[str, Any] | None = None, fmt: str = "csv") -> Path:
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
    fmt : {"csv", "parquet"}
        File format of the tables.

    Raises
    ------
    OutputError
        If ``out_dir`` exists and ``force`` is false, or it cannot be written.
    """
    out = Path(out_dir)
    if fmt not in RUN_FORMATS:
        raise OutputError(f"format {fmt!r} is not supported; expected one of: {', '.join(RUN_FORMATS)}")
    check_output_dir(out, force=force)
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = make_temp_dir(parent, f".{out.name}.tmp-")  # renamed into place: normal permissions
    except OSError as exc:
        raise ResourceError(f"{out}: cannot create output directory ({exc.strerror})") from None
    try:
        tables = result.tables
        for name, df in zip(TABLES, (tables.daily, tables.events, tables.convoys,
                                     tables.summary, result.metrics, tables.destinations)):
            _write_table(name, df, tmp / f"{name}.{fmt}", fmt)
        manifest = run_manifest(result, manifest_extra, fmt)
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


def read_run(run_dir: str | Path) -> RunResult:
    """Read a run directory (CSV or Parquet) back into the result object of ``simulate``.

    Parameters
    ----------
    run_dir : str or Path
        A directory written by :func:`write_run` (``corridorsim run``).

    Returns
    -------
    RunResult
        The scenario (from the manifest), seed, replications, the four tables with their
        calendar columns as ``datetime64`` (so that ``resample`` and ``.dt`` work), the metrics,
        and the ``manifest`` and ``source`` directory.
    """
    d = Path(run_dir)
    manifest = read_manifest(d / "manifest.json", "a corridorsim run directory")
    fmt = manifest.get("format", "csv")
    frames: dict[str, pd.DataFrame] = {}
    for name in TABLES:
        path = d / f"{name}.{fmt}"
        if not path.is_file():
            if name == "destinations":  # older runs lack it
                frames[name] = pd.DataFrame()
                continue
            raise OutputError(f"{d}: incomplete run directory ({path.name} is missing)")
        if fmt == "parquet":
            df = pd.read_parquet(path)
        else:
            df = pd.read_csv(path)
            # text columns: an empty field is empty text, even when every field is empty
            text = set(TEXT_COLUMNS.get(name, ())) | {
                c for c in df.columns if pd.api.types.is_string_dtype(df[c])}
            for col in [c for c in df.columns if c in text]:
                df[col] = df[col].astype(object).where(df[col].notna(), "").astype(str)
            for col in DATE_COLUMNS.get(name, ()):
                if col in df.columns:
                    df[col] = pd.to_datetime(df[col], format="ISO8601").astype("datetime64[ms]")
        frames[name] = df
    tables = Tables(daily=frames["daily"], events=frames["events"], convoys=frames["convoys"],
                    summary=frames["summary"], destinations=frames["destinations"])
    return RunResult(scenario=scenario_from_dict(manifest["scenario"]), seed=int(manifest["seed"]),
                     replications=int(manifest["replications"]), tables=tables,
                     metrics=frames["metrics"], wall_time_s=float(manifest.get("wall_time_s", 0.0)),
                     sim_events=int(manifest.get("sim_events", 0)), manifest=manifest, source=d,
                     engine=str(manifest.get("engine", "des")))

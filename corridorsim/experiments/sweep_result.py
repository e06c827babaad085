"""The Python API of sweeps: run one (or open a finished one) and get design and tables joined.

>>> from corridorsim.experiments.sweep_result import run_sweep
>>> sw = run_sweep("scenarios/smoke.yaml", factors={"escorts.bases[sikasso].units": [2, 4, 8]},
...                replications=20, out="runs/escorts")                      # doctest: +SKIP
>>> sw.points                      # one row per point: its factor values          # doctest: +SKIP
>>> sw.tables["summary"]           # per replication, with point and factor columns # doctest: +SKIP
>>> sw.summaries["points_summary"] # per point and metric: mean, interval, percentiles # doctest: +SKIP
>>> sw.to_xarray()                 # metrics over (factor..., replication)   # doctest: +SKIP

A :class:`SweepResult` reads its tables from the results directory when first asked for them, so
opening a large sweep is cheap. ``to_xarray`` needs the optional ``xarray`` package
(``pip install 'corridorsim[xarray]'``).

May import the scenario and model layers and the rest of the experiments layer.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import OutputError, ScenarioError
from ..manifests import read_manifest, read_results_csv

__all__ = ["SweepResult", "run_sweep", "read_sweep"]

_TABLES = ("summary", "daily", "events", "convoys", "destinations")


class _Tables(Mapping):
    """The per-replication tables of a sweep directory, read on first access."""

    def __init__(self, root: Path, names: Sequence[str]):
        self._root = root
        self._names = tuple(names)
        self._cache: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._names:
            raise KeyError(f"{name!r}: this sweep kept {', '.join(self._names)}")
        if name not in self._cache:
            from .sweep_runner import read_table

            self._cache[name] = read_table(self._root, name)
        return self._cache[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


class SweepResult:
    """A sweep's design and results.

    Attributes
    ----------
    root : Path
        The results directory.
    manifest : dict
        ``sweep.json``: spec, base scenario, seed, reference point, factors.
    factors : list of str
        Factor column names.
    points : pandas.DataFrame
        The design: one row per point (index ``point``), one column per factor.
    tables : Mapping[str, pandas.DataFrame]
        ``summary`` (one row per point and replication) and the kept ``daily``, ``events``,
        ``convoys`` tables, each with the point and its factor values as columns.
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.manifest: dict[str, Any] = read_manifest(self.root / "sweep.json", "a sweep results directory",
                                                      ("factors", "spec", "reference_point"))
        self.factors: list[str] = list(self.manifest["factors"])
        self.points = read_results_csv(self.root / "design.csv", "a sweep results directory").set_index("point")[self.factors]
        keep = self.manifest["spec"].get("keep") or ()
        self.tables: Mapping[str, pd.DataFrame] = _Tables(
            self.root, ["summary", *[t for t in _TABLES[1:] if t in keep]])
        self._summaries: dict[str, pd.DataFrame] | None = None

    @property
    def name(self) -> str:
        return str(self.manifest.get("name", self.root.name))

    @property
    def reference(self) -> int:
        """The point that paired differences compare against."""
        return int(self.manifest["reference_point"])

    @property
    def summary(self) -> pd.DataFrame:
        """``tables["summary"]``."""
        return self.tables["summary"]

    @property
    def summaries(self) -> dict[str, pd.DataFrame]:
        """Per-point metrics, paired differences, stock-out probabilities and sensitivity
        indices (:func:`corridorsim.experiments.summaries.summarize_sweep`), computed once."""
        if self._summaries is None:
            from .summaries import summarize_sweep

            self._summaries = summarize_sweep(self.root)
        return self._summaries

    def scenario(self, point: int):
        """The scenario of a point: the base scenario (as resolved when the sweep ran) with
        the point's factor values."""
        from .sweep_spec import PointScenarios, SweepSpec

        spec = SweepSpec.model_validate(self.manifest["spec"])
        design = self.points.copy()
        for f in spec.factors:  # alternatives by name; dict or list values were stored as JSON
            if f.alternatives is None:
                design[f.label] = design[f.label].map(
                    lambda v: json.loads(v) if isinstance(v, str) and v[:1] in "[{" else v)
        return PointScenarios(self.manifest["base_scenario"], spec.factors,
                              design.reset_index(drop=True))[int(point)]

    def to_xarray(self, metrics: Sequence[str] | None = None):
        """The per-replication summary as an :class:`xarray.Dataset`.

        One variable per metric (default: every numeric summary column). A grid design gets one
        dimension per factor plus ``replication``; other designs get ``point`` and
        ``replication`` dimensions with the factor values as coordinates along ``point``.

        Raises
        ------
        OutputError
            If xarray is not installed.
        """
        try:
            import xarray as xr
        except ImportError:
            raise OutputError("to_xarray needs xarray: pip install 'corridorsim[xarray]'") from None
        summary = self.summary
        skip = {"point", "replication", *self.factors}
        cols = list(metrics) if metrics is not None else [
            c for c in summary.columns if c not in skip and pd.api.types.is_numeric_dtype(summary[c])]
        missing = [c for c in cols if c not in summary.columns]
        if missing:
            raise OutputError(f"unknown metric(s) {missing}; expected summary columns")
        data = xr.Dataset.from_dataframe(summary.set_index(["point", "replication"])[cols])
        for f in self.factors:
            data = data.assign_coords({f: ("point", self.points[f].reindex(data["point"].values).to_numpy())})
        data.attrs.update({"sweep": self.name, "seed": self.manifest.get("seed"),
                           "reference_point": self.reference})
        if self.manifest["spec"]["design"]["kind"] == "grid" and self.factors:
            if len(self.factors) == 1:  # one factor: its values label the points
                data = data.swap_dims(point=self.factors[0]).drop_vars("point")
            else:
                data = data.set_index(point=self.factors).unstack("point")
            data = data.transpose(*self.factors, "replication")
        return data

    def __repr__(self) -> str:
        return (f"SweepResult({self.name!r}, points={len(self.points)}, factors={self.factors}, "
                f"replications={self.manifest.get('replications')}, root={str(self.root)!r})")

    def _repr_html_(self) -> str:
        head = (f"<p><b>{html.escape(self.name)}</b>: {len(self.points)} points x "
                f"{self.manifest.get('replications')} replications, seed "
                f"{self.manifest.get('seed')}, reference point {self.reference}; "
                f"<code>{html.escape(str(self.root))}</code></p>")
        return f"<div>{head}{self.points.head(20).to_html(border=0)}</div>"


def read_sweep(root: str | Path) -> SweepResult:
    """Open a finished (or partly finished) sweep directory."""
    return SweepResult(root)


def run_sweep(sweep: str | Path | Any, out: str | Path | None = None, *,
              factors: Mapping[str, Sequence[Any]] | None = None,
              replications: int | None = None, seed: int | None = None,
              reference: Mapping[str, Any] | int | None = None, workers: int = 1,
              executor: str = "local", scheduler: str | None = None,
              chunk_size: int | None = None, resume: bool = False, force: bool = False,
              progress: Callable[[int, int], None] | None = None) -> SweepResult:
    """Run a sweep and return its :class:`SweepResult` (the same files as ``corridorsim sweep``).

    Parameters
    ----------
    sweep : str, Path or SweepSpec
        A sweep file, a :class:`~corridorsim.experiments.sweep_spec.SweepSpec`, or a scenario
        file together with ``factors``.
    out : str or Path, optional
        Results directory [default: ``runs/<sweep name>``].
    factors : mapping, optional
        With a scenario file: factor path -> levels (a full grid), like ``--set``.
    replications, seed : int, optional
        Override the sweep's (or the scenario's).
    reference : mapping or int, optional
        Reference point of paired differences (factor values or a point index) [default: the
        sweep's; for ``factors``, the scenario as written when it is one of the points].
    workers : int
        Worker processes (1: in this process).
    executor : {"local", "dask"}
    scheduler : str, optional
        Address of a Dask scheduler.
    chunk_size : int, optional
        Replications per task [default: sizes guided by the remaining work, from a pilot].
    resume, force : bool
        Continue, or replace, an existing results directory.
    progress : callable, optional
        ``progress(replications_done, replications_total)``.
    """
    from ..scenario.loading import load_scenario
    from .executors import DaskExecutor, InProcessExecutor, LocalPoolExecutor
    from .summaries import summarize_sweep, write_summaries
    from .sweep_runner import SweepRunner
    from .sweep_spec import SweepSpec, is_sweep_file, load_sweep, resolve_sweep, sweep_from_sets
    from .sweep_tasks import TaskSizes, run_pilot

    source = ""
    if isinstance(sweep, SweepSpec):
        if factors:
            raise ScenarioError("factors", "factors go with a scenario file, not a sweep")
        spec = sweep
    elif is_sweep_file(sweep):
        if factors:
            raise ScenarioError("factors", "factors go with a scenario file; put them in the sweep "
                                           "file instead", str(sweep))
        spec, source = load_sweep(sweep), str(sweep)
    else:
        if not factors:
            raise ScenarioError("factors", "a sweep on a scenario file needs factors={path: levels}",
                                str(sweep))
        sc = load_scenario(sweep)
        sets = [f"{path}={','.join(json.dumps(v) for v in levels)}" for path, levels in factors.items()]
        spec = sweep_from_sets(sweep, sets, replications or sc.replications,
                               sc.seed if seed is None else seed)
        source = str(sweep)
    update: dict[str, Any] = {}
    if replications is not None:
        update["replications"] = int(replications)
    if seed is not None:
        update["seed"] = int(seed)
    if reference is not None:
        update["reference"] = dict(reference) if isinstance(reference, Mapping) else int(reference)
    if update:
        spec = spec.model_copy(update=update)
    resolved = resolve_sweep(spec, source)
    root = Path(out) if out is not None else Path("runs") / spec.name
    if scheduler or executor == "dask":
        ex: Any = DaskExecutor(scheduler=scheduler, workers=workers,
                               preload=("corridorsim.experiments.sweep_runner",))
    elif workers == 1:
        ex = InProcessExecutor()
    else:
        ex = LocalPoolExecutor(workers, preload=("corridorsim.experiments.sweep_runner",))
    try:
        # the pilot's replications are the first task (none when resuming: the directory
        # fixes the task sizes)
        pilot = None if resume and (root / "sweep.json").is_file() else run_pilot(resolved)
        if chunk_size:
            sizes = TaskSizes.fixed(chunk_size)
        elif pilot is None:
            sizes = TaskSizes.fixed(spec.replications)  # replaced by the directory's
        else:
            sizes = TaskSizes.guided(pilot.seconds_per_replication, ex.workers,
                                     dask=isinstance(ex, DaskExecutor))
        SweepRunner(resolved, root, ex, sizes, resume=resume, force=force, pilot=pilot,
                    manifest_extra={"executor": executor, "workers": ex.workers}).run(progress)
    finally:
        ex.close()
    write_summaries(root, summarize_sweep(root))
    return SweepResult(root)

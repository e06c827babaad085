"""Running a sweep: tasks of many replications, results on disk as they come, resumable.

A sweep is a set of points (validated scenarios, see :mod:`corridorsim.experiments.sweep_spec`) times
replications, run as tasks of consecutive replications of one point
(:mod:`corridorsim.experiments.sweep_tasks`) on an executor
(:mod:`corridorsim.experiments.executors`).

Results directory::

    sweep.json                         manifest: spec, base scenario, design hash, seed, versions
    design.csv                         one row per point: factor values
    summary/point=000012/reps-000000-000049.parquet   per-replication summary rows of a task
                                       (the point is in the directory name only: hive-style
                                       partitions that pyarrow, pandas and Dask read as such)
    daily/point=000012/...             (only with keep: [daily]) and likewise events, convoys

Each task's files are written atomically (temporary file, then rename), the summary file last:
a task is done when its summary file exists. ``resume=True`` skips done tasks, so an interrupted
sweep (Ctrl-C, a killed worker, a crashed machine) continues without redoing or duplicating
work, and ends with the same files as an uninterrupted run. The driver holds only running sums
per point, so its memory does not grow with the number of tasks.

Part of the experiments layer: imports the shared atomic writer, pandas/pyarrow for the
Parquet files and its sibling modules (tasks, resolved sweeps, run-directory stamps).
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..atomic import atomic_write, atomic_write_text, check_output_dir
from ..errors import OutputError, ScenarioError
from .rundir import _utc_now
from .statistics import mean_halfwidth
from .sweep_spec import ResolvedSweep
from .sweep_tasks import SweepTask, plan_tasks, run_task

__all__ = ["SweepRunner", "read_table"]


def _point_dir(root: Path, table: str, point: int) -> Path:
    return root / table / f"point={point:06d}"


def read_table(root: str | Path, table: str = "summary", points: list[int] | None = None) -> pd.DataFrame:
    """Read a table of a sweep directory (optionally only some points), sorted by point and
    replication, with the point (from the directory names) as the first column."""
    root = Path(root)
    base = root / table
    if not base.is_dir():
        raise OutputError(f"{root}: no {table!r} results (was it kept?)")
    dirs = sorted(base.glob("point=*")) if points is None else [
        _point_dir(root, table, p) for p in points]
    frames = [pd.read_parquet(f).assign(point=int(d.name.split("=", 1)[1]))
              for d in dirs for f in sorted(d.glob("reps-*.parquet"))]
    if not frames:
        return pd.DataFrame()
    df = pd.concat(frames, ignore_index=True)
    df.insert(0, "point", df.pop("point"))
    keys = ["point", "replication"] + (["day"] if "day" in df.columns else [])
    if table == "events":
        keys = ["point", "replication", "time_h"]
    elif table == "convoys":
        keys = ["point", "replication", "convoy_id"]
    return df.sort_values(keys, kind="stable").reset_index(drop=True)


@dataclass
class _Stats:
    """Running sums of a metric per point (bounded memory)."""

    n: dict[int, int] = field(default_factory=dict)
    s: dict[int, float] = field(default_factory=dict)
    ss: dict[int, float] = field(default_factory=dict)

    def add(self, point: int, x: np.ndarray) -> None:
        x = x[np.isfinite(x)]
        self.n[point] = self.n.get(point, 0) + len(x)
        self.s[point] = self.s.get(point, 0.0) + float(x.sum())
        self.ss[point] = self.ss.get(point, 0.0) + float((x * x).sum())

    def relative_halfwidth(self, point: int) -> float:
        n = self.n.get(point, 0)
        if n < 2:
            return math.inf
        mean = self.s[point] / n
        var = max(0.0, (self.ss[point] - n * mean * mean) / (n - 1))
        half = mean_halfwidth(math.sqrt(var), n)  # the Student t interval of every table
        if mean == 0:
            return 0.0 if half == 0 else math.inf
        return half / abs(mean)


class SweepRunner:
    """Runs a resolved sweep into a results directory.

    Parameters
    ----------
    sweep : ResolvedSweep
    out_dir : str or Path
        Results directory.
    executor : object
        Has ``map_unordered(fn, tasks)`` yielding ``(task, result)`` (see
        :mod:`corridorsim.experiments.executors`).
    chunk_size : int
        Replications per task.
    resume : bool
        Continue an existing directory of the same sweep.
    force : bool
        Replace an existing directory.
    manifest_extra : dict, optional
        More manifest entries (command line, versions).
    """

    def __init__(self, sweep: ResolvedSweep, out_dir: str | Path, executor: Any, chunk_size: int,
                 resume: bool = False, force: bool = False,
                 manifest_extra: dict[str, Any] | None = None):
        self.sweep = sweep
        self.root = Path(out_dir)
        self.executor = executor
        self.chunk_size = int(chunk_size)
        self.resume = resume
        self.force = force
        self.manifest_extra = manifest_extra or {}
        self.stats = _Stats()

    # ------------------------------------------------------------------ directory
    def _manifest(self) -> dict[str, Any]:
        sw = self.sweep
        return {
            "kind": "sweep",
            "created": _utc_now(),
            "name": sw.spec.name,
            "design_hash": sw.design_hash(),
            "seed": sw.spec.seed,
            "replications": sw.spec.replications,
            "chunk_size": self.chunk_size,
            "points": len(sw.design),
            "reference_point": sw.reference,
            "factors": sw.factor_columns,
            "spec": sw.spec.model_dump(mode="json"),
            "base_scenario": sw.base,
            "sweep_file": sw.source,
            **self.manifest_extra,
        }

    def prepare(self) -> None:
        """Create (or check, when resuming) the results directory and its manifest."""
        root = self.root
        manifest_path = root / "sweep.json"
        exists = check_output_dir(root, force=self.force, resume=self.resume,
                                  what="results directory")
        if exists and self.resume:
            if not manifest_path.is_file():
                raise OutputError(f"{root}: cannot resume: no sweep.json (not a sweep directory)")
            old = json.loads(manifest_path.read_text(encoding="utf-8"))
            if old.get("design_hash") != self.sweep.design_hash():
                raise OutputError(f"{root}: cannot resume: the sweep file, base scenario or design "
                                  "changed since this directory was written")
            self.chunk_size = int(old["chunk_size"])  # same task boundaries as before
            for tmp in root.rglob(".*.tmp"):  # half-written files of the interrupted run
                tmp.unlink(missing_ok=True)
            return
        if exists:  # and --force: the guard let it through
            shutil.rmtree(root)
        root.mkdir(parents=True)
        design = self.sweep.design.copy()
        design.insert(0, "point", design.index)
        for col in self.sweep.factor_columns:  # alternatives and dict values as JSON text
            design[col] = design[col].map(lambda v: v if isinstance(v, (int, float, str, bool))
                                          else json.dumps(v, default=str))
        atomic_write_text(root / "design.csv", design.to_csv(index=False, lineterminator="\n"))
        atomic_write_text(manifest_path, json.dumps(self._manifest(), indent=2, default=str) + "\n")

    def done_tasks(self) -> set[tuple[int, int, int]]:
        """(point, first, count) of tasks whose summary file exists."""
        done = set()
        base = self.root / "summary"
        if not base.is_dir():
            return done
        for d in base.glob("point=*"):
            p = int(d.name.split("=", 1)[1])
            for f in d.glob("reps-*.parquet"):
                a, b = f.stem.split("-")[1:3]
                done.add((p, int(a), int(b) - int(a) + 1))
        return done

    def _write(self, task: SweepTask, tables: dict[str, pd.DataFrame]) -> None:
        # kept tables first, summary last: the summary file marks the task as done. The point
        # is in the directory name (point=000012), not in the file: a hive-partitioned dataset
        for name in (*task.keep, "summary"):
            df = tables[name].drop(columns="point")
            atomic_write(_point_dir(self.root, name, task.point) / f"{task.stem}.parquet",
                         lambda tmp, df=df: df.to_parquet(tmp, index=False))

    # ------------------------------------------------------------------ running
    def run(self, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        """Run (or finish) the sweep.

        Parameters
        ----------
        progress : callable, optional
            ``progress(replications_done, replications_total)`` after each task.

        Returns
        -------
        dict
            Counts: tasks run and skipped, replications per point.
        """
        self.prepare()
        spec = self.sweep.spec
        points = list(range(len(self.sweep.design)))
        done = self.done_tasks()
        metric = spec.precision.metric if spec.precision else None
        reps = {p: spec.replications for p in points}
        first, count = 0, spec.replications
        todo_points = points
        ran = 0
        self._skipped = 0
        self._finished = 0
        self._total = len(points) * spec.replications
        while todo_points:
            tasks = plan_tasks(self.sweep, todo_points, first, count, self.chunk_size)
            if progress:
                progress(self._finished, self._total)
            for task, tables in self.executor.map_unordered(
                    run_task, self._not_done(tasks, done, metric, progress)):
                self._write(task, tables)
                ran += 1
                self._finished += task.count
                if metric:
                    self._absorb(task.point, tables["summary"], metric)
                if progress:
                    progress(self._finished, self._total)
            if not spec.precision:
                break
            # precision: another batch for the points whose interval is still too wide
            target = spec.precision.target_halfwidth
            todo_points = [p for p in todo_points
                           if self.stats.relative_halfwidth(p) > target
                           and reps[p] < spec.precision.max_replications]
            first += count
            count = spec.replications
            for p in todo_points:
                count = min(count, spec.precision.max_replications - reps[p])
            for p in todo_points:
                reps[p] += count
            self._total += count * len(todo_points)
        return {"tasks_run": ran, "tasks_skipped": self._skipped, "replications": reps}

    def _not_done(self, tasks: Iterator[SweepTask], done: set, metric: str | None,
                  progress: Callable[[int, int], None] | None) -> Iterator[SweepTask]:
        """The tasks still to run, lazily (the driver never holds the whole task list); done
        tasks are counted, and their metric absorbed for the precision rule."""
        for t in tasks:
            if (t.point, t.first, t.count) not in done:
                yield t
                continue
            self._skipped += 1
            self._finished += t.count
            if metric:
                self._absorb_existing(t, metric)
            if progress:
                progress(self._finished, self._total)

    def _absorb(self, point: int, summary: pd.DataFrame, metric: str) -> None:
        if metric not in summary.columns:
            raise ScenarioError("precision.metric", f"{metric!r} is not a summary column; expected "
                                                    f"one of: {', '.join(summary.columns)}")
        self.stats.add(point, summary[metric].to_numpy(dtype=float))

    def _absorb_existing(self, task: SweepTask, metric: str) -> None:
        path = _point_dir(self.root, "summary", task.point) / f"{task.stem}.parquet"
        self._absorb(task.point, pd.read_parquet(path, columns=[metric]), metric)

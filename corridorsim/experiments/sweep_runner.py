"""Running a sweep: tasks of many replications, results on disk as they come, resumable.

A sweep is a set of points (validated scenarios, see :mod:`corridorsim.experiments.sweep_spec`) times
replications, run as tasks of consecutive replications of one point, sized by the remaining work
(:mod:`corridorsim.experiments.sweep_tasks`), on an executor
(:mod:`corridorsim.experiments.executors`). The pilot that sized them is the first task: its
replications are written, not run again.

Results directory::

    sweep.json                         manifest: spec, base scenario, design hash, seed, versions
    design.csv                         one row per point: factor values
    summary/part-000000.parquet        per-replication summary rows of many tasks, with the
                                       point and its factor values as columns
    daily/part-000000.parquet          (only with keep: [daily]) and likewise events, convoys,
                                       destinations

Each table directory is one Parquet dataset (``pyarrow.dataset.dataset("summary")``,
``pandas.read_parquet``, Dask). The driver gathers finished tasks and writes them together, one
file per table, when a million rows are waiting, every 30 s, and at the end (or on Ctrl-C):
a sweep of hundreds of points writes a few large files, not one tiny file per point. Each part
is written atomically (temporary file, then rename), the summary part last, and the summary
part lists the tasks it holds in its metadata: a task is done when a summary part lists it.
``resume=True`` skips done tasks (and drops parts of other tables that no summary part
vouches for), so an interrupted sweep continues without redoing or duplicating work. When every
task is done the parts are rewritten in canonical form (:mod:`.sweep_parts`), so that a
finished sweep's files are byte-identical whatever the workers, chunk size, executor or
interruptions. The driver
holds only running sums per point and the rows not yet written, so its memory stays bounded.

Part of the experiments layer: imports the shared atomic writer, pandas/pyarrow for the
Parquet datasets and its sibling modules (tasks, resolved sweeps, run-directory stamps).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..atomic import atomic_write, atomic_write_text, check_output_dir
from ..errors import OutputError, ScenarioError
from ..manifests import read_manifest
from .rundir import _utc_now
from .statistics import PointMoments
from .sweep_parts import (
    TASKS_KEY,
    compact_parts,
    done_ranges,
    part_path,
    parts,
    read_table,
    recover_compaction,
    split_covered,
)
from .sweep_spec import ResolvedSweep
from .sweep_tasks import Pilot, SweepTask, TaskSizes, plan_tasks, run_task, task_seed

__all__ = ["SweepRunner", "read_table"]


#: Finished rows (all tables) the driver gathers before it writes them as one part per table.
FLUSH_ROWS = 1_000_000
#: ... or seconds since the last write: little finished work is lost to a crash.
FLUSH_S = 30.0
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
    chunk_size : int or TaskSizes
        Replications per task: a fixed number, or sizes guided by the remaining work.
    resume : bool
        Continue an existing directory of the same sweep.
    force : bool
        Replace an existing directory.
    manifest_extra : dict, optional
        More manifest entries (command line, versions).
    flush_rows, flush_s : int, float
        Write the finished tasks once this many rows wait, or this many seconds after the
        last write (defaults :data:`FLUSH_ROWS`, :data:`FLUSH_S`; 0 writes every task at once).
    pilot : Pilot, optional
        Replications already run (:func:`~corridorsim.experiments.sweep_tasks.run_pilot`):
        written as the first task unless the directory already holds them.
    engine : {"auto", "des", "vector"}
        Engine of every point (:mod:`corridorsim.experiments.engines`); same results.
    """

    def __init__(self, sweep: ResolvedSweep, out_dir: str | Path, executor: Any,
                 chunk_size: int | TaskSizes, resume: bool = False, force: bool = False,
                 manifest_extra: dict[str, Any] | None = None, flush_rows: int = FLUSH_ROWS,
                 flush_s: float = FLUSH_S, pilot: Pilot | None = None, engine: str = "auto"):
        self.sweep = sweep
        self.root = Path(out_dir)
        self.executor = executor
        self.sizes = (chunk_size if isinstance(chunk_size, TaskSizes)
                      else TaskSizes.fixed(chunk_size))
        self.chunk_size = self.sizes.max_reps
        self.pilot = pilot
        #: Seconds spent writing parts and compacting them in the last :meth:`run`.
        self.timings: dict[str, float] = {}
        self.resume = resume
        self.force = force
        self.manifest_extra = manifest_extra or {}
        self.stats = PointMoments()
        self.flush_rows = int(flush_rows)
        self.flush_s = float(flush_s)
        self._pending: list[tuple[SweepTask, dict[str, pd.DataFrame]]] = []
        self._pending_rows = 0
        self._last_flush = time.monotonic()
        self._next_part = 0
        self._factors = self._factor_columns()
        self._existing: pd.DataFrame | None = None
        self.engine = engine

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
            "task_sizes": {"min": self.sizes.min_reps, "max": self.sizes.max_reps},
            "points": len(sw.design),
            "reference_point": sw.reference,
            "factors": sw.factor_columns,
            "spec": sw.spec.model_dump(mode="json"),
            "base_scenario": sw.base,
            "sweep_file": sw.source,
            "engine": self.engine,
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
            old = read_manifest(manifest_path, "a sweep results directory to resume",
                                ("chunk_size",))
            if old.get("design_hash") != self.sweep.design_hash():
                raise OutputError(f"{root}: cannot resume: the sweep file, base scenario or design "
                                  "changed since this directory was written")
            # the same task sizes as before, so that fixed-size tasks keep their boundaries
            sizes = old.get("task_sizes", {})
            self.sizes = TaskSizes(int(sizes.get("min", old["chunk_size"])),
                                   int(sizes.get("max", old["chunk_size"])), self.sizes.workers)
            self.chunk_size = self.sizes.max_reps
            recover_compaction(root, (*self.sweep.spec.keep, "summary"))
            for tmp in root.rglob(".*.tmp"):  # half-written files of the interrupted run
                tmp.unlink(missing_ok=True)
            self._drop_unvouched_parts()
            self._next_part = max(parts(root, "summary"), default=-1) + 1
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

    def add_to_manifest(self, **entries: Any) -> None:
        """Add (or replace) entries of ``sweep.json``, e.g. the run's timings."""
        path = self.root / "sweep.json"
        manifest = {**json.loads(path.read_text(encoding="utf-8")), **entries}
        atomic_write_text(path, json.dumps(manifest, indent=2, default=str) + "\n")

    def done_tasks(self) -> set[tuple[int, int, int]]:
        """(point, first, count) of the tasks that the summary parts hold."""
        done: set[tuple[int, int, int]] = set()
        for d in (self.root / "summary").glob("point=*"):  # a directory of an older version
            p = int(d.name.split("=", 1)[1])
            for f in d.glob("reps-*.parquet"):
                a, b = f.stem.split("-")[1:3]
                done.add((p, int(a), int(b) - int(a) + 1))
        for path in parts(self.root, "summary").values():
            meta = pq.read_schema(path).metadata or {}
            done.update(tuple(t) for t in json.loads(meta.get(TASKS_KEY, b"[]")))
        return done

    def _factor_columns(self) -> pd.DataFrame:
        """The factor values of each point (index), as stored in the tables: scalars as they
        are, alternatives and dict values as JSON text (as in design.csv)."""
        cols = self.sweep.factor_columns
        design = self.sweep.design[cols].copy()
        for col in cols:
            if not all(isinstance(v, (int, float, str, bool, np.number)) for v in design[col]):
                design[col] = design[col].map(lambda v: v if isinstance(v, str)
                                              else json.dumps(v, default=str))
        return design

    def _write(self, task: SweepTask, tables: dict[str, pd.DataFrame]) -> None:
        """Gather a finished task; write the gathered ones when enough wait (see FLUSH_*)."""
        self._pending.append((task, tables))
        self._pending_rows += sum(len(df) for df in tables.values())
        if (self._pending_rows >= self.flush_rows
                or time.monotonic() - self._last_flush >= self.flush_s):
            self._flush()

    def _flush(self) -> None:
        """Write the gathered tasks: one part per table, kept tables first, the summary part
        (which lists the tasks and so marks them done) last."""
        self._last_flush = time.monotonic()
        if not self._pending:
            return
        t0 = time.perf_counter()
        pending, self._pending, self._pending_rows = self._pending, [], 0
        seq = self._next_part
        self._next_part += 1
        tasks = sorted((t.point, t.first, t.count) for t, _ in pending)
        factors = self._factors
        for name in (*self.sweep.spec.keep, "summary"):
            df = pd.concat([tables[name] for _, tables in pending], ignore_index=True)
            df = df.sort_values(["point", "replication"], kind="stable").reset_index(drop=True)
            at = df.columns.get_loc("point") + 1
            for j, col in enumerate(c for c in factors.columns if c not in df.columns):
                df.insert(at + j, col, factors[col].reindex(df["point"]).to_numpy())
            table = pa.Table.from_pandas(df, preserve_index=False)
            if name == "summary":
                table = table.replace_schema_metadata(
                    {**(table.schema.metadata or {}), TASKS_KEY: json.dumps(tasks).encode()})
            atomic_write(part_path(self.root, name, seq),
                         lambda tmp, table=table: pq.write_table(table, tmp))
        self.timings["write_s"] = self.timings.get("write_s", 0.0) + time.perf_counter() - t0

    def _drop_unvouched_parts(self) -> None:
        """Parts of kept tables that no summary part vouches for (an interrupted write): their
        tasks are not done and will run again."""
        summary = parts(self.root, "summary")
        for name in self.sweep.spec.keep:
            for seq, path in parts(self.root, name).items():
                if seq not in summary:
                    path.unlink(missing_ok=True)

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
        t_run = time.perf_counter()
        self.timings = {"write_s": 0.0}
        self.prepare()
        spec = self.sweep.spec
        points = list(range(len(self.sweep.design)))
        prior = done_ranges(self.done_tasks())
        metric = spec.precision.metric if spec.precision else None
        reps = {p: spec.replications for p in points}
        first, count = 0, spec.replications
        todo_points = points
        ran = 0
        self._skipped = 0
        self._finished = 0
        self._total = len(points) * spec.replications
        piloted: dict[int, list[tuple[int, int]]] = {}
        pilot = self._usable_pilot(prior)
        if pilot is not None:  # real work: the first task, written with the others
            t = pilot.task
            self._write(t, pilot.tables)
            piloted = {t.point: [(t.first, t.first + t.count)]}
            ran += 1
            self._finished += t.count
            if metric:
                self._absorb(t.point, pilot.tables["summary"], metric)
        while todo_points:
            tasks = plan_tasks(self.sweep, todo_points, first, count, self.sizes, self.engine)
            if progress:
                progress(self._finished, self._total)
            try:
                for task, tables in self.executor.map_unordered(
                        run_task, self._not_done(tasks, prior, piloted, metric, progress)):
                    self._write(task, tables)
                    ran += 1
                    self._finished += task.count
                    if metric:
                        self._absorb(task.point, tables["summary"], metric)
                    if progress:
                        progress(self._finished, self._total)
            finally:
                self._flush()  # finished tasks are kept, also on Ctrl-C or a failed task
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
        # every task is done: canonical parts, the same files however the work was cut and run
        t0 = time.perf_counter()
        compact_parts(self.root, (*spec.keep, "summary"), max(1, self.flush_rows))
        self.timings["compaction_s"] = time.perf_counter() - t0
        self.timings["run_s"] = time.perf_counter() - t_run
        return {"tasks_run": ran, "tasks_skipped": self._skipped, "replications": reps,
                "timings_s": dict(self.timings)}

    def _usable_pilot(self, done: dict[int, list[tuple[int, int]]]) -> Pilot | None:
        """The pilot, if it is replications of this sweep that the directory does not hold."""
        pilot, spec = self.pilot, self.sweep.spec
        if pilot is None:
            return None
        t = pilot.task
        same = (t.seed == task_seed(self.sweep, t.point) and t.keep == tuple(spec.keep)
                and t.delivered_by_days == tuple(spec.delivered_by_days)
                and t.first + t.count <= spec.replications
                and t.scenario == self.sweep.scenarios[t.point])
        held, _ = split_covered(done, t.point, t.first, t.count)
        return pilot if same and not held else None

    def _not_done(self, tasks: Iterator[SweepTask], prior: dict, piloted: dict,
                  metric: str | None,
                  progress: Callable[[int, int], None] | None) -> Iterator[SweepTask]:
        """The tasks still to run, lazily (the driver never holds the whole task list), less
        the replications that earlier runs wrote (counted, and their metric absorbed for the
        precision rule) or that the pilot ran (counted already)."""
        for t in tasks:
            held, todo = split_covered(prior, t.point, t.first, t.count)
            if held:
                self._skipped += not todo
                for a, n in held:
                    self._finished += n
                    if metric:
                        self._absorb_existing(dataclasses.replace(t, first=a, count=n), metric)
                if progress:
                    progress(self._finished, self._total)
            for a0, n0 in todo:
                for a, n in split_covered(piloted, t.point, a0, n0)[1]:
                    yield (t if (a, n) == (t.first, t.count)
                           else dataclasses.replace(t, first=a, count=n))

    def _absorb(self, point: int, summary: pd.DataFrame, metric: str) -> None:
        if metric not in summary.columns:
            raise ScenarioError("precision.metric", f"{metric!r} is not a summary column; expected "
                                                    f"one of: {', '.join(summary.columns)}")
        self.stats.add(point, summary[metric].to_numpy(dtype=float))

    def _absorb_existing(self, task: SweepTask, metric: str) -> None:
        if self._existing is None:  # read once: the metric of every written replication
            self._existing = read_table(self.root, "summary").set_index(["point", "replication"])
        rows = self._existing.loc[[(task.point, r) for r in range(task.first, task.first + task.count)]]
        self._absorb(task.point, rows[[metric]], metric)

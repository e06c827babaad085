"""Running sweeps: identical results whatever the executor, worker count and chunk size, and an
interrupted (killed) sweep resumed to the same results as an uninterrupted one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.dataset as pads
import pytest
from click.testing import CliRunner

from corridorsim.cli import main
from corridorsim.experiments.executors import InProcessExecutor, LocalPoolExecutor
from corridorsim.experiments.summaries import summarize_sweep, write_summaries
from corridorsim.experiments.sweep_runner import SweepRunner, read_table
from corridorsim.experiments.sweep_spec import load_sweep, resolve_sweep

from .conftest import ROOT, SCENARIOS

SWEEP = f"""name: runs
base: {SCENARIOS / "smoke.yaml"}
replications: 14
seed: 5
keep: [events, convoys]
delivered_by_days: [5, 19]
stockout_dates: [2025-09-10, 2025-09-20]
factors:
  - {{path: "escorts.bases[sikasso].units", values: [2, 8]}}
  - {{path: threats.ambush_multiplier, values: [1, 2]}}
reference: 1
"""
CSV = ("points_summary.csv", "paired_differences.csv", "stockout_probability.csv")


def run_sweep(sweep, out: Path, executor, chunk: int) -> Path:
    SweepRunner(sweep, out, executor, chunk).run()
    write_summaries(out, summarize_sweep(out))
    return out


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    path = tmp_path_factory.mktemp("spec") / "runs.yaml"
    path.write_text(SWEEP)
    return resolve_sweep(load_sweep(path), str(path))


@pytest.fixture(scope="module")
def in_process(sweep, tmp_path_factory):
    return run_sweep(sweep, tmp_path_factory.mktemp("in") / "r", InProcessExecutor(), 14)


def assert_same_results(a: Path, b: Path) -> None:
    for table in ("summary", "events", "convoys"):
        pd.testing.assert_frame_equal(read_table(a, table), read_table(b, table), check_exact=True)
    for name in CSV:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "design.csv").read_bytes() == (b / "design.csv").read_bytes()


@pytest.mark.e2e
def test_local_pool_matches_in_process_for_any_chunk_size(sweep, in_process, tmp_path):
    pool = LocalPoolExecutor(2)
    try:
        for chunk in (1, 3, 7):
            out = run_sweep(sweep, tmp_path / f"c{chunk}", pool, chunk)
            assert len(list((out / "summary").rglob("*.parquet"))) == 4 * -(-14 // chunk)
            assert_same_results(in_process, out)
    finally:
        pool.close()


@pytest.mark.dask
def test_dask_local_cluster_matches_in_process(sweep, in_process, tmp_path):
    pytest.importorskip("dask.distributed")
    from corridorsim.experiments.executors import DaskExecutor

    ex = DaskExecutor(workers=2)
    try:
        assert ex.workers == 2
        out = run_sweep(sweep, tmp_path / "dask", ex, 3)
    finally:
        ex.close()
    assert_same_results(in_process, out)


def test_results_are_a_hive_partitioned_dataset(in_process):
    summary = read_table(in_process)
    assert list(summary.columns[:2]) == ["point", "replication"] and len(summary) == 4 * 14
    # the point is in the directory names only: pyarrow and pandas read the tree as one dataset
    table = pads.dataset(in_process / "summary", format="parquet", partitioning="hive").to_table()
    df = table.to_pandas().sort_values(["point", "replication"]).reset_index(drop=True)
    assert df.point.tolist() == summary.point.tolist()
    pd.testing.assert_frame_equal(df.drop(columns="point"), summary.drop(columns="point"),
                                  check_dtype=False)
    one = pd.read_parquet(in_process / "summary" / "point=000003")
    assert one.replication.tolist() == list(range(14)) and "point" not in one.columns


@pytest.mark.e2e
def test_killed_sweep_resumes_to_the_uninterrupted_results(tmp_path):
    spec = tmp_path / "kill.yaml"
    spec.write_text(SWEEP.replace("replications: 14", "replications: 20").replace(
        "values: [1, 2]", "values: [1, 1.5, 2]"))
    out = tmp_path / "killed"
    total = 6 * 20  # points x replications, one task per replication
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "corridorsim", "sweep", str(spec), "-o", str(out), "-w", "2",
         "--chunk-size", "1", "-q"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(list((out / "summary").rglob("*.parquet"))) < 10:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the sweep wrote no results"
            time.sleep(0.005)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the driver and its worker processes
        except ProcessLookupError:  # it had already finished: the checks below say so
            pass
        proc.wait(timeout=30)
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    done_before = {p.relative_to(out) for p in (out / "summary").rglob("*.parquet")}
    assert 10 <= len(done_before) < total, "killed too late to test resuming"

    res = CliRunner().invoke(main, ["sweep", str(spec), "-o", str(out), "-w", "1", "--resume"],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert f"{total - len(done_before)} tasks run, {len(done_before)} already done" in res.output

    sweep = resolve_sweep(load_sweep(spec), str(spec))
    fresh = run_sweep(sweep, tmp_path / "fresh", InProcessExecutor(), 1)
    for table in ("summary", "events", "convoys"):
        files = sorted(p.relative_to(out) for p in (out / table).rglob("*"))
        assert files == sorted(p.relative_to(fresh) for p in (fresh / table).rglob("*"))
        assert len(files) == len(set(files))
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]  # no half-written files
    assert_same_results(fresh, out)


def _die_once(marker_dir: str, x: int) -> int:
    """Kill the worker process the first time each task runs (a worker that dies mid-task)."""
    import os
    from pathlib import Path

    marker = Path(marker_dir) / f"task-{x}"
    if not marker.exists():
        marker.write_text("died once")
        os._exit(1)
    return x * x


@pytest.mark.dask
def test_dask_retries_the_tasks_of_a_worker_that_dies(tmp_path):
    pytest.importorskip("dask.distributed")
    import functools

    from corridorsim.experiments.executors import DaskExecutor

    ex = DaskExecutor(workers=2, retries=3)
    try:
        fn = functools.partial(_die_once, str(tmp_path))
        got = sorted(r for _, r in ex.map_unordered(fn, [1, 2, 3]))
    finally:
        ex.close()
    assert got == [1, 4, 9]
    assert len(list(tmp_path.glob("task-*"))) == 3  # every task died once and was run again

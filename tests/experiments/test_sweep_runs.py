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
from corridorsim.experiments.sweep_tasks import TaskSizes, run_pilot

from ..conftest import ROOT, SCENARIOS

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
    # and the files themselves: a finished sweep's parts are canonical (sweep_parts.py)
    files = sorted(p.relative_to(a) for p in a.rglob("*.parquet"))
    assert files and files == sorted(p.relative_to(b) for p in b.rglob("*.parquet"))
    for rel in files:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    for name in CSV:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "design.csv").read_bytes() == (b / "design.csv").read_bytes()


@pytest.mark.e2e
def test_local_pool_matches_in_process_for_any_chunk_size(sweep, in_process, tmp_path):
    pool = LocalPoolExecutor(2)
    try:
        for chunk in (1, 3, 7):
            out = run_sweep(sweep, tmp_path / f"c{chunk}", pool, chunk)
            # 4 x ceil(14 / chunk) tasks, written together: one file per table
            assert [p.name for p in (out / "summary").iterdir()] == ["part-000000.parquet"]
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


def test_results_are_one_dataset_with_point_and_factor_columns(in_process):
    summary = read_table(in_process)
    factors = ["escorts.bases[sikasso].units", "threats.ambush_multiplier"]
    assert list(summary.columns[:4]) == ["point", *factors, "replication"]
    assert len(summary) == 4 * 14
    design = pd.read_csv(in_process / "design.csv").set_index("point")
    for f in factors:
        assert (summary[f].to_numpy() == design.loc[summary.point, f].to_numpy()).all()
    assert set(read_table(in_process, "events").columns[1:3]) == set(factors)
    # pyarrow and pandas read each table directory as one dataset
    table = pads.dataset(in_process / "summary", format="parquet").to_table()
    df = table.to_pandas().sort_values(["point", "replication"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(df, summary)
    pd.testing.assert_frame_equal(
        pd.read_parquet(in_process / "summary").sort_values(["point", "replication"],
                                                             ignore_index=True), summary)
    one = read_table(in_process, points=[3])
    assert one.replication.tolist() == list(range(14)) and set(one.point) == {3}


@pytest.mark.e2e
def test_killed_sweep_resumes_to_the_uninterrupted_results(tmp_path):
    spec = tmp_path / "kill.yaml"
    spec.write_text(SWEEP.replace("replications: 14", "replications: 20").replace(
        "values: [1, 2]", "values: [1, 1.5, 2]"))
    out = tmp_path / "killed"
    total = 6 * 20  # points x replications, one task per replication
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # the CLI writes finished tasks every 30 s; this driver writes each task as it finishes
    driver = ("import sys; from corridorsim.experiments.executors import LocalPoolExecutor;"
              "from corridorsim.experiments.sweep_runner import SweepRunner;"
              "from corridorsim.experiments.sweep_spec import load_sweep, resolve_sweep;"
              "sw = resolve_sweep(load_sweep(sys.argv[1]), sys.argv[1]);"
              "SweepRunner(sw, sys.argv[2], LocalPoolExecutor(2), 1, flush_s=0).run()")
    proc = subprocess.Popen(
        [sys.executable, "-c", driver, str(spec), str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(list((out / "summary").glob("*.parquet"))) < 10:
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
    done_before = len(SweepRunner(resolve_sweep(load_sweep(spec), str(spec)), out, None, 1)
                      .done_tasks())
    assert 10 <= done_before < total, "killed too late to test resuming"

    res = CliRunner().invoke(main, ["sweep", str(spec), "-o", str(out), "-w", "1", "--resume"],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert f"{total - done_before} tasks run, {done_before} already done" in res.output

    sweep = resolve_sweep(load_sweep(spec), str(spec))
    fresh = run_sweep(sweep, tmp_path / "fresh", InProcessExecutor(), 1)
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


def test_results_of_the_older_one_file_per_task_layout_still_read(in_process, tmp_path):
    old = tmp_path / "old"
    (old / "summary").mkdir(parents=True)
    summary = read_table(in_process)
    for p, grp in summary.groupby("point"):
        d = old / "summary" / f"point={p:06d}"
        d.mkdir()
        grp.drop(columns=["point", "escorts.bases[sikasso].units", "threats.ambush_multiplier"]) \
            .to_parquet(d / "reps-000000-000013.parquet", index=False)
    back = read_table(old)
    pd.testing.assert_frame_equal(back, summary.drop(columns=["escorts.bases[sikasso].units",
                                                              "threats.ambush_multiplier"]))


@pytest.mark.e2e
def test_pilot_kept_as_work_and_guided_task_sizes_give_the_same_files(sweep, in_process, tmp_path):
    pilot = run_pilot(sweep, replications=5)
    assert (pilot.task.point, pilot.task.first, pilot.task.count) == (sweep.reference, 0, 5)
    pool = LocalPoolExecutor(2)
    try:
        # guided sizes from 2 to 6 replications; and fixed tasks of 3, whose second task of the
        # reference point (replications 3-5) runs only replication 5: 0-4 are the pilot's
        for sizes, tasks in ((TaskSizes(2, 6, 2), None), (TaskSizes.fixed(3), 4 * 5 - 1 + 1)):
            out = tmp_path / f"s{sizes.min_reps}"
            counts = SweepRunner(sweep, out, pool, sizes, pilot=pilot).run()
            write_summaries(out, summarize_sweep(out))
            if tasks is not None:
                assert counts["tasks_run"] == tasks  # the pilot counts as one
            assert set(counts["timings_s"]) == {"write_s", "compaction_s", "run_s"}
            assert len(read_table(out)) == 4 * 14  # no replication twice
            assert_same_results(in_process, out)
    finally:
        pool.close()

"""Run directories: permissions, reading a run back as the result object, Parquet runs."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from corridorsim import load_scenario, simulate
from corridorsim.experiments.rundir import write_run

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scenarios" / "smoke.yaml"


@pytest.fixture(scope="module")
def result():
    return simulate(load_scenario(SMOKE), replications=3, seed=5)


def test_run_directory_has_the_permissions_of_a_normal_directory(result, tmp_path):
    old = os.umask(0o022)
    try:
        out = write_run(result, tmp_path / "run")
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o644 for f in out.iterdir())


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_read_run_gives_back_the_result_of_simulate(result, tmp_path, fmt):
    import pandas as pd

    from corridorsim import RunResult
    from corridorsim.experiments.rundir import read_run

    out = write_run(result, tmp_path / "run", fmt=fmt)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{t}.{fmt}" for t in ("daily", "events", "convoys", "summary", "metrics", "destinations")]
        + ["manifest.json"])
    back = read_run(out)
    assert isinstance(back, RunResult) and back.source == out
    assert back.scenario == result.scenario and (back.seed, back.replications) == (5, 3)
    assert back.manifest["format"] == fmt
    for name in ("daily", "events", "convoys", "summary", "destinations"):
        got, want = getattr(back, name), getattr(result, name)
        if fmt == "parquet" and name in ("summary", "destinations"):
            want = want.astype({"first_stockout_day": "float64"})  # the sweep tables' type
        if fmt == "csv" and name in ("events", "convoys"):
            # text files keep local times to the minute
            for c in [c for c in want.columns if c.endswith("datetime")]:
                want = want.assign(**{c: want[c].dt.floor("min")})
        pd.testing.assert_frame_equal(got, want, check_dtype=(fmt == "parquet"), check_exact=False,
                                      rtol=1e-12, obj=name)
    assert str(back.daily["date"].dtype) == "datetime64[ms]"
    assert str(back.events["datetime"].dtype) == "datetime64[ms]"
    # dates are datetime64: weekly resampling works on the tables as read
    weekly = back.daily.set_index("date").groupby("replication")["delivered_l"].resample("W").sum()
    assert weekly.groupby(level=0).sum().tolist() == back.daily.groupby("replication").delivered_l.sum().tolist()


def test_parquet_run_has_the_schema_of_a_sweep_table(result, tmp_path):
    import pyarrow.parquet as pq

    from corridorsim.experiments.sweep_tasks import SweepTask, run_task

    out = write_run(result, tmp_path / "run", fmt="parquet")
    task = SweepTask(0, 0, 2, result.scenario, 5, keep=("daily", "events", "convoys"))
    sweep_tables = run_task(task)
    for name in ("daily", "events", "convoys", "summary"):
        run_schema = pq.read_schema(out / f"{name}.parquet").remove_metadata()
        import pyarrow as pa

        sweep_schema = pa.Schema.from_pandas(sweep_tables[name].drop(columns="point"),
                                             preserve_index=False).remove_metadata()
        assert run_schema == sweep_schema, (name, set(run_schema) ^ set(sweep_schema))


def test_result_displays_as_html_in_a_notebook(result):
    html = result._repr_html_()
    assert "<b>smoke</b>: 3 replications, seed 5" in html
    assert "<table" in html and "litres delivered" in html and "probability that the stock" in html
    assert "smoke" in repr(result) and "replications=3" in repr(result)


def test_run_command_writes_parquet(tmp_path):
    from click.testing import CliRunner

    from corridorsim.cli import main
    from corridorsim.experiments.rundir import read_run

    res = CliRunner().invoke(main, ["run", str(SMOKE), "-n", "2", "-w", "1", "-o", str(tmp_path / "p"),
                                    "--format", "parquet", "-q"])
    assert res.exit_code == 0, res.output
    run = read_run(tmp_path / "p")
    assert run.manifest["command"].endswith("--format parquet") and len(run.summary) == 2

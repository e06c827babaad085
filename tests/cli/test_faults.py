"""Faults: Ctrl-C and SIGKILL at any moment, a read-only output folder, a full disk, two writers.

Guarantees tested (docs/reliability.md): Ctrl-C gives exit code 130 and one line, never a
traceback, and a run leaves no partial output; after SIGKILL of ``run`` or ``sweep`` no worker
process is left after 2 s (processes are found by session id, so a worker re-parented to init
is still found); an interrupted or killed sweep continued with ``--resume`` gives byte-identical
results; a failure of the environment exits with code 1 and one line saying what was kept; a
second writer of a sweep directory is refused with one line naming the holder.
"""

from __future__ import annotations

import errno
import filecmp
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from corridorsim.cli import main
from corridorsim.experiments.outlock import lock_path, output_lock

from ..conftest import SCENARIOS

SMOKE = SCENARIOS / "smoke.yaml"
# end to end: real processes, signals and worker pools
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="process checks read /proc")]


def session_processes(sid: int) -> list[int]:
    """Live (not zombie) processes of session ``sid``."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = Path(f"/proc/{d}/stat").read_bytes()
        except OSError:
            continue
        fields = stat.rsplit(b")", 1)[1].split()
        if int(fields[3]) == sid and fields[0] not in (b"Z", b"X"):
            found.append(int(d))
    return found


def start(*args: str) -> subprocess.Popen:
    """``corridorsim ARGS`` in a new session (its workers share the session id)."""
    return subprocess.Popen([sys.executable, "-m", "corridorsim", *args], start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(condition, timeout_s: float = 120.0) -> None:
    end = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def kill_and_count_survivors(proc: subprocess.Popen, grace_s: float = 2.0) -> list[int]:
    """SIGKILL the command, reap it, and return the session's processes still alive after
    ``grace_s`` seconds (then kill them, so that a failing test leaves nothing behind)."""
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    end = time.monotonic() + grace_s
    while session_processes(proc.pid) and time.monotonic() < end:
        time.sleep(0.05)
    left = session_processes(proc.pid)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return left


def sweep_file(tmp_path: Path) -> Path:
    f = tmp_path / "sweep.yaml"
    f.write_text(f"name: faults\nbase: {SMOKE}\nreplications: 6\nseed: 3\nfactors:\n"
                 "  - {path: 'escorts.bases[0].units', values: [2, 4, 6]}\n", encoding="utf-8")
    return f


def sweep_args(f: Path, out: Path, *more: str) -> list[str]:
    # every finished task is written at once, so that progress shows on disk task by task
    return ["sweep", str(f), "-o", str(out), "-w", "2", "--chunk-size", "1", "--checkpoint-s", "0",
            "-q", *more]


def done_tasks(out: Path) -> int:
    """Summary parts written (one per task with ``--checkpoint-s 0``)."""
    return len(list((out / "summary").glob("part-*.parquet"))) if out.exists() else 0


def same_results(a: Path, b: Path) -> None:
    """Every result file of sweep ``b`` is byte-identical to ``a``'s (manifests hold times)."""
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file()
                   and p.suffix in (".parquet", ".csv"))
    assert files and files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file()
                                     and p.suffix in (".parquet", ".csv"))
    for rel in files:
        assert filecmp.cmp(a / rel, b / rel, shallow=False), f"{rel} differs"


@pytest.fixture(scope="module")
def reference_sweep(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reference")
    out = tmp / "ref"
    res = CliRunner().invoke(main, sweep_args(sweep_file(tmp), out))
    assert res.exit_code == 0, res.output
    return out


def test_ctrl_c_during_start_up_is_exit_130_without_traceback(tmp_path):
    proc = start("run", str(SMOKE), "-n", "2", "-w", "1", "-o", str(tmp_path / "out"))
    time.sleep(0.3)  # Python is importing numpy, pandas and the engine
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.skip("the command finished before the interrupt")  # a very fast machine
    assert proc.returncode == 130, err
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("interrupted")
    assert not (tmp_path / "out").exists()


def test_ctrl_c_mid_run_leaves_nothing_and_no_worker(tmp_path):
    out = tmp_path / "out"
    proc = start("run", str(SCENARIOS / "mali_blockade_2025.yaml"), "-n", "200", "-w", "2",
                 "-o", str(out))
    wait_for(lambda: len(session_processes(proc.pid)) >= 3)  # workers started
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in a terminal reaches the whole group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert [ln for ln in err.splitlines() if ln.strip()] == ["interrupted: nothing was written"]
    assert not out.exists()
    wait_for(lambda: not session_processes(proc.pid), timeout_s=5)


def test_sigkill_mid_run_leaves_no_worker(tmp_path):
    proc = start("run", str(SCENARIOS / "mali_blockade_2025.yaml"), "-n", "200", "-w", "2",
                 "-o", str(tmp_path / "out"))
    wait_for(lambda: len(session_processes(proc.pid)) >= 4)
    time.sleep(0.5)
    assert kill_and_count_survivors(proc) == []
    assert not (tmp_path / "out").exists()


def test_sigkill_mid_sweep_then_resume_is_byte_identical(tmp_path, reference_sweep):
    f = sweep_file(tmp_path)
    out = tmp_path / "out"
    proc = start(*sweep_args(f, out))
    wait_for(lambda: done_tasks(out) >= 2)
    assert kill_and_count_survivors(proc) == []
    assert 2 <= done_tasks(out) < 18
    assert lock_path(out).exists()  # left by the dead holder: stale, taken over below
    res = CliRunner().invoke(main, sweep_args(f, out, "--resume"))
    assert res.exit_code == 0, res.output
    same_results(reference_sweep, out)
    assert not lock_path(out).exists()


def test_ctrl_c_mid_sweep_says_how_to_resume_and_resume_is_byte_identical(tmp_path,
                                                                           reference_sweep):
    f = sweep_file(tmp_path)
    out = tmp_path / "out"
    proc = start(*sweep_args(f, out))
    wait_for(lambda: done_tasks(out) >= 2)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert err.strip().splitlines() == [
        f"interrupted: finished tasks are kept in {out}/; continue with --resume"]
    wait_for(lambda: not session_processes(proc.pid), timeout_s=5)
    res = CliRunner().invoke(main, sweep_args(f, out, "--resume"))
    assert res.exit_code == 0, res.output
    same_results(reference_sweep, out)


@pytest.mark.slow
def test_sigkill_mid_sweep_on_a_local_dask_cluster_leaves_no_worker(tmp_path):
    pytest.importorskip("dask.distributed")
    out = tmp_path / "out"
    proc = start(*sweep_args(sweep_file(tmp_path), out, "--executor", "dask"))
    wait_for(lambda: done_tasks(out) >= 1, timeout_s=180)
    assert kill_and_count_survivors(proc) == []


def test_second_writer_is_refused_naming_the_holder(tmp_path):
    f = sweep_file(tmp_path)
    out = tmp_path / "out"
    with output_lock(out, "corridorsim sweep ..."):
        res = CliRunner().invoke(main, sweep_args(f, out, "--resume"))
    assert res.exit_code == 2
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in res.output
    assert lines[0].startswith(f"error: {out}: being written by pid {os.getpid()} on ")
    assert not out.exists()


def test_lock_is_taken_again_after_release(tmp_path):
    with output_lock(tmp_path / "out"):
        pass
    with output_lock(tmp_path / "out") as path:
        assert path.exists()
    assert not path.exists()


def _full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_full_disk_during_run_is_exit_1_and_keeps_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr("corridorsim.experiments.rundir._write_table", _full_disk)
    res = CliRunner().invoke(main, ["run", str(SMOKE), "-n", "2", "-w", "1", "-o",
                                    str(tmp_path / "out")])
    assert res.exit_code == 1
    assert res.stderr.strip() == "error: no space left on device; nothing was written"
    assert not (tmp_path / "out").exists() and list(tmp_path.iterdir()) == []


def test_full_disk_mid_sweep_says_what_is_kept_and_resume_finishes(tmp_path, monkeypatch,
                                                                    reference_sweep):
    from corridorsim.experiments.sweep_runner import SweepRunner

    f = sweep_file(tmp_path)
    out = tmp_path / "out"
    real = SweepRunner._write
    calls = []

    def write_until_full(self, task, tables):
        calls.append(task)
        if len(calls) > 4:
            _full_disk()
        real(self, task, tables)

    monkeypatch.setattr(SweepRunner, "_write", write_until_full)
    args = sweep_args(f, out)
    args[args.index("-w") + 1] = "1"
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 1, res.output
    assert res.stderr.strip() == (f"error: no space left on device; finished tasks are kept in "
                                  f"{out}/; continue with --resume")
    assert done_tasks(out) == 4
    monkeypatch.setattr(SweepRunner, "_write", real)
    res = CliRunner().invoke(main, args + ["--resume"])
    assert res.exit_code == 0, res.output
    same_results(reference_sweep, out)


def test_read_only_output_folder_is_exit_1_with_one_line(tmp_path, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() == 0:  # root writes anywhere: simulate the refusal of the file system
        real_mkdir = Path.mkdir

        def refuse(self, *a, **k):
            if str(self).startswith(str(folder)):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
            return real_mkdir(self, *a, **k)

        monkeypatch.setattr(Path, "mkdir", refuse)
        real_open = os.open
        monkeypatch.setattr(os, "open", lambda p, *a, **k: refuse(Path(p)) if str(p).startswith(
            str(folder)) else real_open(p, *a, **k))
    else:
        folder.chmod(0o555)
    try:
        for args in (sweep_args(sweep_file(tmp_path), folder / "out"),
                     ["run", str(SMOKE), "-n", "1", "-w", "1", "-o", str(folder / "out")]):
            res = CliRunner().invoke(main, args)
            assert res.exit_code == 1, res.output
            lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
            assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
            assert "Permission denied" in lines[0] and "Traceback" not in res.output
    finally:
        folder.chmod(0o755)


def test_a_bug_is_one_line_and_its_traceback_only_with_debug(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("corridorsim.experiments.simulate.simulate", broken)
    args = ["run", str(SMOKE), "-n", "1", "-w", "1", "-o", str(tmp_path / "out")]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 1
    assert res.stderr.strip().startswith("internal error: RuntimeError: boom (a bug")
    assert "Traceback" not in res.stderr
    res = CliRunner().invoke(main, ["--debug", *args])
    assert res.exit_code == 1 and "Traceback" in res.stderr and "RuntimeError: boom" in res.stderr
    assert not (tmp_path / "out").exists()


def test_missing_dependency_is_exit_1(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name.startswith("dask"):
            raise ImportError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    res = CliRunner().invoke(main, sweep_args(sweep_file(tmp_path), tmp_path / "out",
                                              "--executor", "dask"))
    assert res.exit_code == 1, res.output
    assert "pip install 'corridorsim[dask]'" in res.stderr and "Traceback" not in res.stderr

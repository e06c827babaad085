"""Worker processes: how many, how they start, and how work is cut into chunks.

Worker processes start with ``fork`` from a single-threaded parent, else with ``forkserver``
(forking a parent that runs a progress-bar thread is unsafe; the forkserver preloads the engine
once), else ``spawn``. Both :mod:`corridorsim.experiments.replications` (the replications of one
run) and :mod:`corridorsim.experiments.executors` (the tasks of a sweep) use these helpers, and
both call :func:`guard_worker` in every worker, so that workers die with the command that
started them, even when it is killed with SIGKILL.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

__all__ = ["default_workers", "chunked", "worker_context", "PRELOAD", "guard_worker", "stop_pool",
           "set_parent_death_signal", "COMMAND_PID_VAR"]

#: Environment variable giving helper processes the process id of the command that owns them.
COMMAND_PID_VAR = "CORRIDORSIM_COMMAND_PID"
#: First module the fork server imports: it makes the fork server die with the command.
_GUARD = "corridorsim.experiments.worker_guard"

#: Modules every worker process needs: imported once by the forkserver.
PRELOAD = ("corridorsim.model.engine", "corridorsim.model.plan", "corridorsim.model.replication")


def default_workers() -> int:
    """Number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def chunked(items: Sequence[int], size: int) -> list[list[int]]:
    """Split ``items`` into consecutive chunks of at most ``size`` elements."""
    size = max(1, int(size))
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def _start_helpers_ignoring_ctrl_c() -> None:
    """Start multiprocessing's resource tracker and fork server now, with Ctrl-C ignored:
    they inherit the ignored signal, so a Ctrl-C while they start (it reaches every process of
    the terminal's group) cannot print their start-up traceback; the command handles it."""
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be changed from the main thread
    from multiprocessing import forkserver, resource_tracker

    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        resource_tracker.ensure_running()
        forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, old)


def worker_context(preload: Sequence[str] = ()) -> mp.context.BaseContext:
    """Start method for worker processes.

    ``fork`` when this process runs a single thread (fast, and scripts need no
    ``if __name__ == "__main__"`` guard); ``forkserver`` when other threads run (a progress bar,
    a notebook kernel), because forking a multi-threaded process can deadlock the child;
    ``spawn`` where neither exists. The forkserver imports :data:`PRELOAD` and ``preload`` (module
    names) once, so that workers do not each pay for those imports.
    """
    methods = mp.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return mp.get_context("fork")
    if "forkserver" in methods:
        ctx = mp.get_context("forkserver")
        os.environ[COMMAND_PID_VAR] = str(os.getpid())  # inherited by the fork server
        ctx.set_forkserver_preload([_GUARD, *PRELOAD, *preload])
        _start_helpers_ignoring_ctrl_c()
        return ctx
    return mp.get_context("spawn")





def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, killed but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
        return state not in (b"Z", b"X")
    except (OSError, IndexError):
        return True


def set_parent_death_signal() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (prctl PR_SET_PDEATHSIG)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def guard_worker(command_pid: int, interval_s: float = 0.2) -> None:
    """Make this worker process die with the command that started it.

    Two mechanisms, because neither covers every case alone: the parent-death signal (immediate,
    Linux only; it fires when the worker's direct parent dies, which for forkserver workers is
    the fork server) and a daemon thread that checks every ``interval_s`` seconds that the
    command process ``command_pid`` is alive and that this process was not re-parented, and
    otherwise ends the worker at once (``os._exit``: no clean-up that could block on the dead
    parent's pipes).

    Parameters
    ----------
    command_pid : int
        Process id of the command (the sweep or run driver).
    interval_s : float
        Seconds between two checks of the watchdog thread.
    """
    if os.getpid() == command_pid:
        return  # tasks run in the command's own process: nothing to guard
    set_parent_death_signal()
    # Ctrl-C reaches every process of the terminal's group: the command alone handles it (and
    # stops the workers), so workers print no KeyboardInterrupt traceback of their own
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()
    if (parent == 1 and command_pid != 1) or not _alive(command_pid):  # command already gone
        os._exit(1)
    if getattr(guard_worker, "_started", False):
        return

    def watch() -> None:
        while True:
            time.sleep(interval_s)
            if os.getppid() != parent or not _alive(command_pid):
                os._exit(1)

    threading.Thread(target=watch, name="corridorsim-parent-watch", daemon=True).start()
    guard_worker._started = True  # type: ignore[attr-defined]


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop a process pool now: cancel waiting tasks and kill the workers (on Ctrl-C or an
    error, rather than waiting for the running tasks to finish)."""
    processes = list(getattr(pool, "_processes", {}).values())  # before shutdown clears it
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        try:
            proc.kill()
        except (OSError, AttributeError):
            pass
    for proc in processes:
        try:
            proc.join(timeout=5)
        except (OSError, AssertionError):
            pass

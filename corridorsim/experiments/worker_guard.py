"""Helper processes die with the command that started them, even after a SIGKILL.

Imported by processes that the command starts, never by the command itself:

* the multiprocessing **fork server** imports this module first among its preloads: it asks
  Linux for SIGKILL when the command dies (``PR_SET_PDEATHSIG``), at once, before the
  seconds it spends importing the engine, ignores Ctrl-C, and keeps quiet when a worker it
  forks cannot start because the command has just closed its pool; its workers are guarded by
  :func:`~corridorsim.experiments.processes.guard_worker` in their pool initializer;
* the workers of a Dask ``LocalCluster`` that the command started load it as their
  ``preload``: :func:`dask_setup` runs ``guard_worker`` as soon as a worker starts.

The command passes its process id in ``CORRIDORSIM_COMMAND_PID``.

May import: :mod:`corridorsim.experiments.processes` and the standard library.
"""

from __future__ import annotations

import os
import signal
import sys

from .processes import COMMAND_PID_VAR, guard_worker, set_parent_death_signal

__all__ = ["dask_setup"]


def _command_pid() -> int | None:
    pid = os.environ.get(COMMAND_PID_VAR, "")
    return int(pid) if pid.isdigit() else None


def dask_setup(worker: object = None) -> None:
    """Dask preload hook: guard this worker process (see :func:`guard_worker`)."""
    pid = _command_pid()
    if pid is not None:
        guard_worker(pid)


def _guard_fork_server() -> None:
    pid = _command_pid()
    if pid is not None and os.getpid() != pid and os.getppid() == pid:
        set_parent_death_signal()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the command handles Ctrl-C
        sys.excepthook = _quiet_start_up_failure  # inherited by the workers it forks


def _quiet_start_up_failure(kind, value, tb) -> None:
    """A worker that cannot start because the command just closed its pool (Ctrl-C, an error)
    finds the pool's pipes or semaphores gone: the command reports what happened, so the
    worker's own traceback would only be noise on the user's terminal. Anything else is shown."""
    if issubclass(kind, OSError | EOFError):
        return
    sys.__excepthook__(kind, value, tb)


_guard_fork_server()

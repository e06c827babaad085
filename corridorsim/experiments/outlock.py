"""One writer per output directory: an advisory lock beside sweep and calibration directories.

Two ``sweep --resume`` runs on the same ``--out`` would both do all the work and race on the
same files. :func:`output_lock` takes an exclusive ``flock`` on a hidden file next to the
directory (``.NAME.lock``, so that ``--force`` may delete and recreate the directory itself) and
writes the holder (pid, host, start time) into it. A second writer is refused at once with a
:class:`~corridorsim.errors.LockedError` naming the holder. The operating system releases a
``flock`` when its process dies, however it dies, so the lock of a killed run is never stale: the
next writer simply takes it (the file left behind is rewritten). The lock file is removed on a
normal release.

``flock`` is per machine: on a network file system shared by several hosts it may not exclude
a writer on another host (see ``docs/reliability.md``).

May import: :mod:`corridorsim.errors` and the standard library.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import LockedError, ResourceError

__all__ = ["output_lock", "lock_path"]

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no locking
    fcntl = None  # type: ignore[assignment]


def lock_path(out_dir: str | os.PathLike) -> Path:
    """The lock file of ``out_dir``: ``.NAME.lock`` in the same folder."""
    out = Path(out_dir).absolute()
    return out.parent / f".{out.name}.lock"


def _holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        info = json.loads(os.read(fd, 4096).decode("utf-8") or "{}")
        return (f"pid {int(info['pid'])} on {str(info['host'])[:100]} since "
                f"{str(info['started'])[:40]}")
    except (OSError, ValueError, KeyError, TypeError):
        return "another process (no holder information)"


@contextmanager
def output_lock(out_dir: str | os.PathLike, command: str = "") -> Iterator[Path]:
    """Hold the write lock of ``out_dir`` while the block runs.

    Parameters
    ----------
    out_dir : str or path-like
        The sweep or calibration directory (it need not exist yet).
    command : str
        What the holder runs, recorded in the lock file.

    Raises
    ------
    LockedError
        Another live process holds the lock: the message names it (pid, host, start time).
    ResourceError
        The lock file cannot be created (e.g. a read-only folder).
    """
    path = lock_path(out_dir)
    if fcntl is None:  # pragma: no cover
        yield path
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ResourceError(f"{path.parent}: cannot create the output folder "
                            f"({exc.strerror})") from None
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise ResourceError(f"{Path(out_dir)}: cannot create its lock file {path.name} "
                                f"({exc.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise LockedError(f"{Path(out_dir)}: being written by {holder}; wait for it to "
                              "finish or stop it first") from None
        # the previous holder may have removed the file between our open and our lock: then we
        # hold a lock on a deleted file, which excludes nobody; start again on the new file
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "command": command[:500]}
        os.ftruncate(fd, 0)
        os.write(fd, (json.dumps(info) + "\n").encode("utf-8"))
    except OSError:
        pass  # the lock holds without the holder's description
    try:
        yield path
    finally:
        try:
            path.unlink()  # while still locked: a waiting writer notices the new inode
        except OSError:
            pass
        os.close(fd)

"""Writing files atomically, and the one guard for output directories.

Every file corridorsim writes goes through here, so an interrupted or failed write never leaves
a half-written file under the final name (the rename is atomic on one file system), and the
finished file gets the permissions of a normally created one. Every command that writes a
directory checks it first with :func:`check_output_dir`, so "exists", ``--force``, ``--resume``
and "not a directory" mean the same everywhere.

A shared helper: any layer may import it; it imports only the standard library and
:mod:`corridorsim.errors`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import OutputError

__all__ = ["atomic_write", "atomic_write_text", "check_output_dir", "make_temp_dir"]


def _umask() -> int:
    """This process's umask.

    The umask is read from /proc where there is one (setting it to read it would not be
    thread-safe), else 022 is assumed.
    """
    umask = 0o022
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    umask = int(line.split()[1], 8)
                    break
    except (OSError, ValueError):
        pass
    return umask


def _default_mode() -> int:
    """Mode of a newly created file under this process's umask (mkstemp makes files 0600)."""
    return 0o666 & ~_umask()


def make_temp_dir(parent: str | os.PathLike, prefix: str) -> Path:
    """A new temporary directory in ``parent`` with the permissions of a normally created one
    (``tempfile.mkdtemp`` makes it 0700, which a directory renamed into place would keep)."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    try:
        os.chmod(tmp, 0o777 & ~_umask())
    except OSError:
        pass
    return tmp


def atomic_write(path: str | os.PathLike, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp_path)`` on a temporary sibling of ``path``, then rename it into place.

    Parameters
    ----------
    path : str or path-like
        Final file; its folder is created if needed.
    write : callable
        Writes the whole content to the path it is given.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        write(Path(tmp))
        try:
            os.chmod(tmp, _default_mode())
        except OSError:
            pass
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def check_output_dir(path: str | os.PathLike, *, force: bool = False, resume: bool | None = None,
                     what: str = "output directory") -> bool:
    """Check that ``path`` may be written as an output directory; say whether it exists.

    Parameters
    ----------
    path : str or path-like
        The directory a command is about to write.
    force : bool
        The caller will replace an existing directory.
    resume : bool or None
        ``None``: the command cannot resume (the message offers ``--force`` only); otherwise
        whether it will continue an existing directory.
    what : str
        How the message names the directory (``"results directory"``, ...).

    Returns
    -------
    bool
        Whether ``path`` exists (the caller then replaces or continues it).

    Raises
    ------
    OutputError
        ``path`` exists and is not a directory, or exists and neither ``force`` nor ``resume``.
    """
    path = Path(path)
    if not path.exists():
        return False
    if not path.is_dir():
        raise OutputError(f"{path}: exists and is not a directory")
    if not (force or resume):
        hint = ("use --force to replace it" if resume is None
                else "use --resume to continue it or --force to replace it")
        raise OutputError(f"{path}: {what} exists; {hint}")
    return True

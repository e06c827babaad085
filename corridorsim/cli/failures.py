"""How every command ends when something goes wrong: exit codes, one-line messages, ``--debug``.

* bad input (:class:`~corridorsim.errors.CorridorSimError`, a bad option): exit code 2 and one
  line on standard error, nothing written;
* a failure of the environment (a directory that cannot be written, a full disk, a missing
  dependency, memory exhausted): exit code 1 and one line saying what was kept and how to
  continue (``--resume``);
* Ctrl-C, at any moment: exit code 130 and one line, no traceback;
* anything else is a bug: exit code 1 and one line asking for a report.

Tracebacks are shown only with the global ``--debug`` option (or ``CORRIDORSIM_DEBUG=1``).
Commands say what a failure would leave behind with :func:`keeping`.

May import: :mod:`corridorsim.errors` and the standard library (it runs before anything heavy is
imported, so that Ctrl-C during start-up is handled too).
"""

from __future__ import annotations

import errno
import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import CorridorSimError, ResourceError

__all__ = ["set_debug", "debug_enabled", "keeping", "kept_note", "clear_kept", "exit_code_for", "report",
           "one_line", "EXIT_INPUT", "EXIT_ENVIRONMENT", "EXIT_INTERRUPTED"]

EXIT_INPUT = 2
EXIT_ENVIRONMENT = 1
EXIT_INTERRUPTED = 130

_STATE: dict[str, object] = {"debug": os.environ.get("CORRIDORSIM_DEBUG", "") not in ("", "0"),
                             "kept": None}

#: Longest line printed for an error; longer ones lose their middle.
MAX_LINE = 500


def set_debug(flag: bool) -> None:
    """Show tracebacks (the ``--debug`` option)."""
    _STATE["debug"] = bool(flag) or os.environ.get("CORRIDORSIM_DEBUG", "") not in ("", "0")


def debug_enabled() -> bool:
    return bool(_STATE["debug"])


@contextmanager
def keeping(note: str) -> Iterator[None]:
    """While the block runs, a failure reports ``note`` (what is kept, how to continue); the
    note stays set when the block fails, until the failure has been reported."""
    before = _STATE["kept"]
    _STATE["kept"] = note
    yield
    _STATE["kept"] = before  # only on success: a failure is reported with ``note``


def clear_kept() -> None:
    """Forget the note of a failed block (after reporting it)."""
    _STATE["kept"] = None


def kept_note() -> str:
    """What a failure now leaves behind, e.g. ``"nothing was written"``."""
    note = _STATE["kept"]
    return str(note) if note else "nothing was written"


def one_line(text: str) -> str:
    """``text`` on one line of at most :data:`MAX_LINE` characters."""
    text = " ".join(str(text).split())
    if len(text) > MAX_LINE:
        text = text[:MAX_LINE - 60] + " ... " + text[-55:]
    return text


def _os_error_text(exc: OSError) -> str:
    what = exc.strerror or str(exc)
    where = f"{exc.filename}: " if exc.filename else ""
    if exc.errno == errno.ENOSPC:
        what = "no space left on device"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        what = f"cannot write ({what})"
    return f"{where}{what}"


def exit_code_for(exc: BaseException) -> int:
    """The exit code of a command that ends with ``exc``."""
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(exc, ResourceError):
        return EXIT_ENVIRONMENT
    if isinstance(exc, CorridorSimError):
        return EXIT_INPUT
    return EXIT_ENVIRONMENT


def report(exc: BaseException) -> tuple[list[str], int]:
    """The lines to print on standard error for ``exc`` and the exit code."""
    code = exit_code_for(exc)
    if isinstance(exc, KeyboardInterrupt):
        return [f"interrupted: {kept_note()}"], code
    if isinstance(exc, ResourceError):
        return [f"error: {one_line(str(exc))}; {kept_note()}"], code
    if isinstance(exc, CorridorSimError):  # bad input, a locked directory, an ineligible engine
        return [f"error: {one_line(str(exc))}"], code
    if isinstance(exc, OSError):
        return [f"error: {one_line(_os_error_text(exc))}; {kept_note()}"], code
    if isinstance(exc, MemoryError):
        return [f"error: out of memory; {kept_note()}"], code
    if isinstance(exc, ImportError):
        name = getattr(exc, "name", None) or str(exc)
        return [f"error: missing dependency {one_line(name)!r} (pip install it, or reinstall "
                f"corridorsim); {kept_note()}"], code
    return [f"internal error: {type(exc).__name__}: {one_line(str(exc))[:200]} (a bug: please "
            f"report it with the output of --debug); {kept_note()}"], code


def print_traceback(exc: BaseException) -> None:
    """The traceback of ``exc`` on standard error (``--debug`` only)."""
    traceback.print_exception(exc, file=sys.stderr)

"""The ``corridorsim`` console command: the click group of :mod:`corridorsim.cli`, run so that
every way out has its exit code and one line, Ctrl-C included at any moment.

Ctrl-C while the command starts (Python importing numpy, pandas, the engine) raises
``KeyboardInterrupt`` out of an ``import`` statement, before any command code runs: this module
imports only the standard library at load time, and wraps the imports and the whole command, so
the user sees ``interrupted`` and exit code 130, never a traceback. Usage errors (a bad option)
exit with code 2 and click's message.

May import: anything (it is the top of the stack); at module load time only the standard library.
"""

from __future__ import annotations

import gc
import signal
import sys

__all__ = ["main"]


def _interrupted(note: str = "nothing was written") -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not print a traceback
    try:
        sys.stderr.write(f"\ninterrupted: {note}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    sys.exit(130)


def main(argv: list[str] | None = None) -> None:
    """Run the command line (``corridorsim ...``) and exit with its code."""
    try:
        import click

        from . import main as group
        from .failures import kept_note
    except KeyboardInterrupt:
        _interrupted()
    try:
        code = group.main(args=argv, prog_name="corridorsim", standalone_mode=False)
    except KeyboardInterrupt:
        _interrupted(kept_note())
    except click.exceptions.Abort:  # click turns a Ctrl-C during option parsing into Abort
        _interrupted(kept_note())
    except click.UsageError as exc:  # one line, like every other refusal
        command = exc.ctx.command_path if exc.ctx is not None else "corridorsim"
        sys.stderr.write(f"error: {exc.format_message()} (see {command} --help)\n")
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # finished: an interrupt now changes nothing
    # what is left is freed by the exit: without this, the collector traverses every object
    # of every imported library again as the interpreter clears its modules (0.2 s a command)
    gc.freeze()
    sys.exit(code if isinstance(code, int) else 0)

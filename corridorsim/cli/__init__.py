"""The ``corridorsim`` command line: one module per command group, all on one click group.

``main`` is the console-script entry point (``corridorsim = corridorsim.cli:main``). Importing
this package registers every command.
"""

from __future__ import annotations

from . import decisions, export, figures, observed, run, sweeps  # noqa: F401  (register the commands)
from .app import main

__all__ = ["main"]

"""The ``corridorsim`` command line: one module per command group, all on one click group.

``corridorsim.cli.launch:main`` is the console-script entry point; ``main`` here is the click
group with every command registered. It is imported on first use, so that the launcher can
catch Ctrl-C while the commands (and numpy, pandas, matplotlib) are being imported.

The command modules import only click, rich and the standard library at load time; each
command imports the libraries it needs inside its function, so that ``corridorsim --help``
starts in a tenth of a second and a sweep never imports matplotlib
(``tests/cli/test_startup.py``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["main"]


def __getattr__(name: str) -> Any:
    if name == "main":
        from . import decisions, export, figures, observed, run, sweeps  # noqa: F401  (register commands)
        from .app import main

        globals()["main"] = main
        return main
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

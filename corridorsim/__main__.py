"""``python -m corridorsim``: the same command line as ``corridorsim``."""

from .cli import main

main(prog_name="corridorsim")

"""``python -m corridorsim``: the same command line as ``corridorsim``."""

from .cli.launch import main

main()

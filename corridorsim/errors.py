"""Exception hierarchy of corridorsim.

Every error that a user can cause (a bad scenario, a missing file, an output directory that
would be overwritten) derives from :class:`CorridorSimError`, so the command line can turn it
into one clear line and exit code 2 while genuine bugs still surface with a traceback.
"""

from __future__ import annotations


class CorridorSimError(Exception):
    """Root of all errors that corridorsim raises on purpose."""


class ScenarioError(CorridorSimError):
    """A scenario (or a file it points to) is invalid.

    Parameters
    ----------
    path : str
        Dotted field path inside the scenario, e.g. ``"sources[0].node"``; empty for
        whole-file problems such as invalid YAML.
    message : str
        What is wrong and what was expected, e.g. ``"'Dakkar' is not a node of the network;
        expected one of: Bamako, Dakar, ..."``.
    file : str, optional
        The scenario file the error comes from, when known.
    """

    def __init__(self, path: str, message: str, file: str | None = None):
        self.path = path
        self.message = message
        self.file = file
        super().__init__(self.line())

    def line(self) -> str:
        """Return the error as one self-contained line."""
        where = f"{self.file}: " if self.file else ""
        field = f"{self.path}: " if self.path else ""
        return f"{where}{field}{self.message}"

    def with_file(self, file: str) -> ScenarioError:
        """Return a copy of this error attributed to ``file`` (if it has none yet)."""
        return ScenarioError(self.path, self.message, self.file or file)


class ScenarioErrors(CorridorSimError):
    """Several independent scenario errors found in one pass (e.g. by schema validation)."""

    def __init__(self, errors: list[ScenarioError]):
        self.errors = list(errors)
        first = self.errors[0].line() if self.errors else "invalid scenario"
        more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        super().__init__(first + more)

    def lines(self) -> list[str]:
        """Return one line per error."""
        return [e.line() for e in self.errors]


class OutputError(CorridorSimError):
    """An output location cannot be used (exists without ``force``, not writable, ...)."""


class ResourceError(OutputError):
    """The environment failed, not the input: a directory that cannot be written, a full disk,
    a missing optional dependency. The command line reports it with exit code 1 and says what
    was kept and how to continue."""


class LockedError(OutputError):
    """An output directory is being written by another corridorsim process."""


class EngineError(CorridorSimError):
    """The engine asked for cannot run this scenario (``--engine vector`` on a scenario the
    vectorised fast path does not cover, or an unknown engine name)."""

"""corridorsim: supply corridors under attack, simulated.

A scenario (YAML) describes a road network, loading points, escorted convoys, escorts, attack
hazards, closures and a destination's stock; :func:`simulate` runs Monte Carlo replications of
the SimPy model and returns tables of litres delivered, stock, losses and escort use.

Public API: :func:`load_scenario`, :func:`simulate`, :class:`Scenario`, :class:`RunResult`,
:func:`write_run`, :func:`read_run` (a run directory back as a :class:`RunResult`),
:func:`run_sweep` and :func:`read_sweep` (a :class:`SweepResult`), and the errors
:class:`CorridorSimError` and :class:`ScenarioError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import CorridorSimError, OutputError, ScenarioError, ScenarioErrors
from .version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from .experiments.rundir import read_run
    from .experiments.simulate import RunResult, simulate
    from .experiments.sweep_result import SweepResult, read_sweep, run_sweep
    from .scenario.loading import load_scenario
    from .scenario.schema import Scenario

# Imported on first use, so that ``import corridorsim`` (and the start of the command line,
# which must answer Ctrl-C at once) does not load numpy, pandas and the engine.
_LAZY = {"RunResult": "experiments.simulate", "simulate": "experiments.simulate",
         "load_scenario": "scenario.loading", "Scenario": "scenario.schema",
         "read_run": "experiments.rundir", "run_sweep": "experiments.sweep_result",
         "read_sweep": "experiments.sweep_result", "SweepResult": "experiments.sweep_result"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def write_run(*args, **kwargs):
    """Write a :class:`RunResult` to a directory (see :func:`corridorsim.experiments.rundir.write_run`)."""
    from .experiments.rundir import write_run as _write_run

    return _write_run(*args, **kwargs)


__all__ = [
    "__version__",
    "CorridorSimError",
    "OutputError",
    "ScenarioError",
    "ScenarioErrors",
    "Scenario",
    "RunResult",
    "load_scenario",
    "simulate",
    "write_run",
    "read_run",
    "run_sweep",
    "read_sweep",
    "SweepResult",
]

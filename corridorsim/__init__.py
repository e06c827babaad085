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

from .errors import CorridorSimError, OutputError, ScenarioError, ScenarioErrors  # noqa: E402
from .experiments.simulate import RunResult, simulate  # noqa: E402
from .scenario.loading import load_scenario  # noqa: E402
from .scenario.schema import Scenario  # noqa: E402
from .version import __version__  # noqa: E402


def write_run(*args, **kwargs):
    """Write a :class:`RunResult` to a directory (see :func:`corridorsim.experiments.rundir.write_run`)."""
    from .experiments.rundir import write_run as _write_run

    return _write_run(*args, **kwargs)


#: Names imported on first use (they pull in pyarrow and the sweep machinery).
_LAZY = {
    "read_run": "corridorsim.experiments.rundir",
    "run_sweep": "corridorsim.experiments.sweep_result",
    "read_sweep": "corridorsim.experiments.sweep_result",
    "SweepResult": "corridorsim.experiments.sweep_result",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'corridorsim' has no attribute {name!r}")


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

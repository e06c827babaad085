"""corridorsim: supply corridors under attack, simulated.

A scenario (YAML) describes a road network, loading points, escorted convoys, escorts, attack
hazards, closures and a destination's stock; :func:`simulate` runs Monte Carlo replications of
the SimPy model and returns tables of litres delivered, stock, losses and escort use.

Public API: :func:`load_scenario`, :func:`simulate`, :class:`Scenario`, :class:`RunResult`,
:func:`write_run`, and the errors :class:`CorridorSimError` and :class:`ScenarioError`.
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
]

"""corridorsim: supply corridors under attack, simulated.

A scenario (YAML) describes a road network, loading points, escorted convoys, escorts, attack
hazards, closures and a destination's stock; :func:`simulate` runs Monte Carlo replications of
the SimPy model and returns tables of litres delivered, stock, losses and escort use.

Public API: :func:`load_scenario`, :func:`simulate`, :class:`Scenario`, :class:`RunResult`,
:func:`write_run`, and the errors :class:`CorridorSimError` and :class:`ScenarioError`.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import CorridorSimError, OutputError, ScenarioError, ScenarioErrors  # noqa: E402
from .scenario import Scenario  # noqa: E402
from .scenario_io import load_scenario  # noqa: E402
from .simulation import RunResult, simulate  # noqa: E402


def write_run(*args, **kwargs):
    """Write a :class:`RunResult` to a directory (see :func:`corridorsim.results_io.write_run`)."""
    from .results_io import write_run as _write_run

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

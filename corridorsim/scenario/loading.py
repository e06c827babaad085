"""Loading a scenario file: read, merge ``extends:``, validate, then check its references.

:func:`load_scenario` is the one entry point for a scenario file. It reads the YAML document and
its ``extends:`` chain (:mod:`corridorsim.scenario.documents`), validates it against the schema
(:mod:`corridorsim.scenario.schema`), then builds the network to check every node and edge the
scenario names (:mod:`corridorsim.scenario.network`) and checks that its uncertain parameters
give valid scenarios (:mod:`corridorsim.scenario.priors`).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ScenarioError
from .documents import read_scenario_dict, scenario_from_dict
from .network import build_network
from .priors import check_uncertainty
from .schema import Scenario

__all__ = ["load_scenario"]


def load_scenario(path: str | Path, check_network: bool = True) -> Scenario:
    """Load, merge, validate and reference-check a scenario file.

    Parameters
    ----------
    path : str or Path
        Scenario YAML file.
    check_network : bool
        Also build the network and check every node and edge the scenario names (default).

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError, ScenarioErrors
        With the file, field path, bad value and what was expected.
    """
    data = read_scenario_dict(path)
    scenario = scenario_from_dict(data, str(path))
    for key in ("deliveries_csv", "incidents_csv"):
        obs = getattr(scenario.observations, key)
        if obs is not None and not Path(obs).is_file():
            raise ScenarioError(f"observations.{key}", f"{obs!r}: file not found", str(path))
    if check_network:
        try:
            build_network(scenario)
            check_uncertainty(scenario)
        except ScenarioError as exc:
            raise exc.with_file(str(path)) from None
    return scenario

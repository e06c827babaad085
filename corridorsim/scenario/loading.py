"""Loading a scenario file: read, merge ``extends:``, validate, then check its references.

:func:`load_scenario` is the one entry point for a scenario file. It reads the YAML document and
its ``extends:`` chain (:mod:`corridorsim.scenario.documents`), validates it against the schema
(:mod:`corridorsim.scenario.schema`), then builds the network to check every node and edge the
scenario names (:mod:`corridorsim.scenario.network`) and checks that its uncertain parameters
give valid scenarios (:mod:`corridorsim.scenario.priors`).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ScenarioError, ScenarioErrors
from .documents import read_scenario_document, scenario_from_dict
from .network import build_network
from .priors import check_uncertainty
from .safe_yaml import check_input_file
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
    doc = read_scenario_document(path)
    try:
        scenario = scenario_from_dict(doc.data)
    except ScenarioErrors as exc:  # name the file of the chain that set each bad field
        raise ScenarioErrors([ScenarioError(e.path, e.message, doc.origin(e.path))
                              for e in exc.errors]) from None
    try:
        for field in INPUT_FILE_FIELDS:
            block, key = field.split(".")
            named = getattr(getattr(scenario, block), key)
            if named is not None:
                check_input_file(named, field, "table", doc.origin(field))
        if check_network:
            build_network(scenario)
            check_uncertainty(scenario)
    except ScenarioError as exc:
        raise exc.with_file(doc.origin(exc.path)) from None
    return scenario


#: Fields naming input files, checked (regular file, size limit) before the run reads them.
INPUT_FILE_FIELDS = ("network.nodes_csv", "network.edges_csv", "network.graphml",
                     "network.geojson", "observations.deliveries_csv",
                     "observations.incidents_csv", "uncertainty.posterior_csv")

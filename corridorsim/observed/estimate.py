"""Threat rates of a scenario in one call: simulate for exposure, read incidents, estimate.

What the ``rates`` command runs: :func:`estimate_from_scenario` simulates the scenario, reads,
classifies and matches its incident file (:mod:`corridorsim.observed.incidents`), measures the
exposure (:mod:`corridorsim.observed.exposure`) and estimates the rates
(:mod:`corridorsim.observed.rates`).

Part of the observed-data layer: imports the experiments layer (to simulate) and its sibling
modules, never figures or the command line.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

from ..scenario.schema import Scenario
from .exposure import DEFAULT_KINDS, exposure_km
from .incident_matching import match_to_network
from .incidents import classified_incidents
from .rates import estimate_threat_rates

__all__ = ["Calibration", "estimate_from_scenario"]


@dataclass(frozen=True)
class Calibration:
    """Result of :func:`estimate_from_scenario`.

    Attributes
    ----------
    rates : pandas.DataFrame
        The :func:`estimate_threat_rates` table (``attrs`` filled for the YAML header).
    incidents : pandas.DataFrame
        The matched incident table.
    edge_exposure : pandas.DataFrame
        Exposure per edge over the whole run (:func:`exposure_km`, ``by="edge"``).
    run : RunResult
        The simulated run that gave the exposure.
    graph : networkx.Graph
        The scenario's network.
    """

    rates: pd.DataFrame
    incidents: pd.DataFrame
    edge_exposure: pd.DataFrame
    run: Any
    graph: nx.Graph


def estimate_from_scenario(
    scenario: Scenario | str | os.PathLike,
    incidents: str | os.PathLike | None = None,
    *,
    by: str | Sequence[str] = "corridor",
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    buffer_km: float = 25.0,
    start: dt.datetime | str | None = None,
    end: dt.datetime | str | None = None,
    kinds: Iterable[str] | None = DEFAULT_KINDS,
    correct_for_escort: bool = False,
    correct_for_phases: bool = False,
    prior_shape: float = 0.5,
    prior_rate_per_1000km: float = 1e-3,
) -> Calibration:
    """Simulate a scenario for its exposure and estimate threat rates from an incident file.

    Runs the scenario (``replications``, ``seed``: the scenario's defaults unless given), reads,
    classifies and matches the incidents on its network (events at a junction go to the
    adjoining edge with the most simulated traffic), then calls :func:`estimate_threat_rates`
    over the window (default: the scenario's start to end).

    Parameters
    ----------
    scenario : Scenario or str or path-like
    incidents : str or path-like, optional
        Incident CSV file; default the scenario's ``observations.incidents_csv``.
    by, start, end, kinds, correct_for_escort, correct_for_phases, prior_shape, prior_rate_per_1000km
        See :func:`estimate_threat_rates`.
    replications, seed, workers
        See :func:`corridorsim.simulate`.
    buffer_km : float
        See :func:`~corridorsim.observed.incident_matching.match_to_network`.

    Returns
    -------
    Calibration
    """
    from ..experiments.simulate import simulate
    from ..model.plan import compile_scenario

    # read first: fail on bad data before simulating
    scenario, table = classified_incidents(incidents, scenario)
    incidents = incidents if incidents is not None else scenario.observations.incidents_csv
    plan = compile_scenario(scenario)
    run = simulate(plan, replications=replications, seed=seed, workers=workers)
    graph = plan.graph
    edge_exp = exposure_km(run.convoys, graph, by="edge", kinds=kinds, replications=run.replications)
    weights = {(a, b): w for a, b, w in zip(edge_exp["edge_from"], edge_exp["edge_to"],
                                            edge_exp["exposure_km"])}
    matched = match_to_network(table, graph, buffer_km=buffer_km, edge_weight=weights)
    rates = estimate_threat_rates(
        matched, run.convoys, graph, by=by, start=start, end=end, scenario=scenario,
        replications=run.replications, kinds=kinds, correct_for_escort=correct_for_escort,
        correct_for_phases=correct_for_phases, prior_shape=prior_shape,
        prior_rate_per_1000km=prior_rate_per_1000km,
    )
    rates.attrs.update({"incidents_file": Path(incidents).name, "seed": run.seed,
                        "buffer_km": buffer_km})
    return Calibration(rates=rates, incidents=matched, edge_exposure=edge_exp, run=run,
                       graph=graph)

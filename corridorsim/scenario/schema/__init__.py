"""The scenario schema: everything a risk modeller can say about one corridor system.

A :class:`Scenario` is a typed, frozen description of the network, the supply, the convoys, the
escorts, the threats, the closures and the destination's stock. It is validated once, at the
boundary (see :mod:`corridorsim.scenario.documents`); nothing downstream re-checks types or ranges.

Conventions
-----------
* Field names carry their unit: ``_km``, ``_kmh``, ``_h`` (hours), ``_l`` (litres),
  ``_per_day``, ``_per_1000km`` (per 1000 convoy-km), ``_share`` (a fraction in [0, 1]).
* Times in the file are calendar dates or datetimes (naive, local time of the corridor); the
  engine converts them to hours since :attr:`Scenario.start`.
* Unknown keys are errors (``extra="forbid"``): a misspelt key never silently does nothing.

To add a field: add it here with a unit-carrying name, a default that keeps old scenarios
meaningful and a ``description`` (the scenario reference ``docs/scenario_reference.md`` is generated
from these descriptions by ``python -m corridorsim.scenario.reference``, and a test checks it is current), then use it in the engine.

One module per block: :mod:`.fields` (shared types), :mod:`.destination`,
:mod:`.network_spec`, :mod:`.supply`, :mod:`.threats`, :mod:`.closures`, :mod:`.uncertainty`
and :mod:`.scenario` (the whole file).
"""

from __future__ import annotations

from .closures import Closures, RandomClosure, ScheduledClosure
from .destination import DemandStep, Destination, RationingTier
from .fields import Duration, EdgeRef, NodeName, NonNeg, Positive, Share, StrictModel, Timestamp
from .network_spec import EdgeOverride, EdgeSpec, NetworkSpec, NodeOverride, NodeSpec, Routing
from .scenario import Observations, Scenario
from .supply import Checkpoint, EscortBase, Escorts, ScheduledConvoy, Source, StagingPoint, SupplyStep
from .threats import (
    Adversary,
    AmbushEffects,
    Deterrence,
    IedEffects,
    Severity,
    StationaryPhase,
    StationaryRule,
    StationaryThreats,
    Targeting,
    ThreatPhase,
    ThreatRule,
    Threats,
)
from .uncertainty import Prior, UncertainParameter, Uncertainty

__all__ = [
    "Scenario",
    "Duration",
    "Destination",
    "RationingTier",
    "DemandStep",
    "NetworkSpec",
    "NodeSpec",
    "EdgeSpec",
    "NodeOverride",
    "EdgeOverride",
    "Routing",
    "Checkpoint",
    "StagingPoint",
    "EscortBase",
    "Escorts",
    "SupplyStep",
    "Source",
    "ScheduledConvoy",
    "ThreatRule",
    "ThreatPhase",
    "Deterrence",
    "AmbushEffects",
    "IedEffects",
    "Threats",
    "StationaryRule",
    "StationaryPhase",
    "StationaryThreats",
    "Severity",
    "Targeting",
    "Adversary",
    "ScheduledClosure",
    "RandomClosure",
    "Closures",
    "Observations",
    "Prior",
    "UncertainParameter",
    "Uncertainty",
    "StrictModel",
    "Timestamp",
    "NonNeg",
    "Positive",
    "Share",
    "NodeName",
    "EdgeRef",
]

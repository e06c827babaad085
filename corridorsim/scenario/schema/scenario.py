"""The scenario: every block together, with the checks that span blocks.
"""

from __future__ import annotations

import datetime as dt

from pydantic import (
    Field,
    model_validator,
)

from .closures import Closures
from .destination import Destination
from .fields import MAX_SCENARIO_DAYS, Replications, Seed, StrictModel, Timestamp
from .network_spec import NetworkSpec, Routing
from .supply import Checkpoint, Escorts, ScheduledConvoy, Source, StagingPoint
from .threats import Threats
from .uncertainty import Uncertainty


class Observations(StrictModel):
    """Observed data to show beside the simulation (plots, reports, hindcasts)."""

    deliveries_csv: str | None = Field(
        None, description="Observed arrivals at the destination: date, tankers, litres, ... "
        "(relative to the scenario file)."
    )
    incidents_csv: str | None = Field(
        None, description="Observed attacks in ACLED-like columns: event_date, event_type, "
        "latitude, longitude, ... (relative to the scenario file)."
    )
    source: str = Field("", description="Citation of the observed data.")




class Scenario(StrictModel):
    """A complete, validated scenario."""

    name: str = Field(min_length=1, description="Short scenario name.")
    description: str = Field("", description="The question the scenario answers.")
    sources_of_numbers: tuple[str, ...] = Field(
        (), description="References for the parameter values (free text or URLs)."
    )
    start: Timestamp = Field(description="Scenario start (hour 0 of the engine).")
    end: Timestamp = Field(description="Scenario end (horizon).")
    seed: Seed = Field(
        0, description="Default root seed; the command line's --seed overrides it."
    )
    replications: Replications = Field(
        100, description="Default number of replications; --replications overrides it."
    )
    destination: Destination | None = Field(
        None,
        description="The destination and its stock (one-destination scenarios). With "
        "destinations given, this is filled in with the focus destination.",
    )
    destinations: tuple[Destination, ...] = Field(
        (),
        description="Several destinations, each with its own stock, demand, rationing and "
        "priority (give this or destination).",
    )
    focus: str | None = Field(
        None,
        description="Name of the destination that figures and reports focus on (default: the "
        "first destination).",
    )
    network: NetworkSpec = Field(NetworkSpec(), description="The corridor graph.")
    routing: Routing = Field(Routing(), description="Route choice.")
    checkpoints: tuple[Checkpoint, ...] = Field((), description="Stops with waits.")
    staging: tuple[StagingPoint, ...] = Field((), description="Convoy formation points.")
    escorts: Escorts = Field(Escorts(), description="Escort pools.")
    sources: tuple[Source, ...] = Field((), description="Loading points.")
    convoys: tuple[ScheduledConvoy, ...] = Field((), description="Scheduled convoys.")
    threats: Threats = Field(Threats(), description="Attack hazards and effects.")
    closures: Closures = Field(Closures(), description="Road and node closures.")
    observations: Observations = Field(
        Observations(), description="Observed data for plots and reports (not used by the model)."
    )
    uncertainty: Uncertainty = Field(
        Uncertainty(), description="Parameters drawn per replication (second-order Monte Carlo)."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        self._settle_destinations()
        if (self.end - self.start).days > MAX_SCENARIO_DAYS:
            raise ValueError(f"end ({self.end}) is more than {MAX_SCENARIO_DAYS} days after start "
                             f"({self.start}): expected a shorter horizon")
        if not self.sources and not self.convoys:
            raise ValueError("a scenario needs at least one source or scheduled convoy")
        for kind, items in (
            ("sources", [s.name for s in self.sources]),
            ("convoys", [c.name for c in self.convoys]),
            ("staging", [s.node for s in self.staging]),
            ("checkpoints", [c.node for c in self.checkpoints]),
        ):
            dup = sorted({n for n in items if items.count(n) > 1})
            if dup:
                raise ValueError(f"{kind}: duplicate names {dup}")
        return self

    def _settle_destinations(self) -> None:
        """Fill ``destinations`` from ``destination`` or ``destination`` from the focus."""
        dests = self.destinations
        if not dests:
            if self.destination is None:
                raise ValueError("give destination (one) or destinations (several)")
            dests = (self.destination,)
            object.__setattr__(self, "destinations", dests)
        names = [d.label for d in dests]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"destinations: duplicate names {dup}")
        focus = self.focus if self.focus is not None else names[0]
        if focus not in names:
            raise ValueError(f"focus {focus!r} is not a destination; expected one of: "
                             f"{', '.join(names)}")
        chosen = dests[names.index(focus)]
        if self.destination is not None and self.destination != chosen:
            raise ValueError("destination and destinations disagree: give one of them")
        object.__setattr__(self, "destination", chosen)
        for i, src in enumerate(self.sources):
            for name in src.shares or {}:
                if name not in names:
                    raise ValueError(f"sources[{i}].shares: {name!r} is not a destination; "
                                     f"expected one of: {', '.join(names)}")
        for i, c in enumerate(self.convoys):
            if c.destination is not None and c.destination not in names:
                raise ValueError(f"convoys[{i}].destination: {c.destination!r} is not a "
                                 f"destination; expected one of: {', '.join(names)}")

    def destination_index(self, name: str | None) -> int:
        """Index in :attr:`destinations` of the destination named ``name`` (None = focus)."""
        names = [d.label for d in self.destinations]
        return names.index(self.destination.label if name is None else name)

    def hours(self, when: dt.datetime) -> float:
        """Hours from :attr:`start` to ``when``."""
        return (when - self.start).total_seconds() / 3600.0

    @property
    def horizon_h(self) -> float:
        """Length of the simulated period in hours."""
        return self.hours(self.end)

    @property
    def days(self) -> int:
        """Number of (possibly partial) days simulated."""
        return int(-(-self.horizon_h // 24))

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
from .fields import StrictModel, Timestamp
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
    seed: int = Field(
        0, ge=0, description="Default root seed; the command line's --seed overrides it."
    )
    replications: int = Field(
        100, ge=1, description="Default number of replications; --replications overrides it."
    )
    destination: Destination = Field(description="The destination and its stock.")
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

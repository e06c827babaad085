"""Staging points, checkpoints, escort bases, supply sources and scheduled convoys.
"""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from .fields import (
    Duration,
    Hours,
    NodeName,
    NonNeg,
    Positive,
    PositiveHours,
    StrictModel,
    TankerPayloadL,
    Tankers,
    TankersPerDay,
    Timestamp,
    Units,
)


class Checkpoint(StrictModel):
    """A border post, customs office or checkpoint where every loaded movement stops."""

    node: NodeName = Field(description="Node of the checkpoint.")
    fixed_delay_h: Hours = Field(0.0, description="Fixed stop in hours.")
    random_wait: Duration | None = Field(None, description="Additional random wait.")


class StagingPoint(StrictModel):
    """A node where tankers gather and leave as an escorted convoy."""

    node: NodeName = Field(description="Node where convoys form.")
    min_tankers: Tankers = Field(1, description="A convoy leaves once this many wait.")
    max_tankers: Tankers = Field(10_000, description="Largest convoy; the rest wait.")
    max_wait_h: Hours = Field(
        72.0, description="A convoy leaves when its first tanker has waited this long."
    )
    tankers_per_escort_unit: Positive = Field(
        25.0, description="Escort units needed = ceil(tankers / this)."
    )
    max_escort_units: Units | None = Field(None, description="Cap on units per convoy.")
    escort_base: str | None = Field(
        None, description="Name of the escort base serving this point (default: the nearest)."
    )
    escort_policy: Literal["wait", "available", "none"] = Field(
        "wait",
        description="wait: leave only with the full escort; available: leave with whatever "
        "units are free now (maybe none); none: never escorted.",
    )
    regroup_delay_h: Hours = Field(
        24.0, description="Stop after a convoy turned back here, before it sets off again."
    )

    @model_validator(mode="after")
    def _sizes(self) -> StagingPoint:
        if self.max_tankers < self.min_tankers:
            raise ValueError(
                f"max_tankers ({self.max_tankers}) must be >= min_tankers ({self.min_tankers})"
            )
        return self


class EscortBase(StrictModel):
    """A pool of escort units stationed at a node."""

    name: str = Field(min_length=1, description="Unique base name.")
    node: NodeName = Field(description="Node where the units are based.")
    units: Units = Field(description="Number of escort units (platoons, sections, ...).")
    replacement_delay_h: Hours = Field(
        720.0, description="Time to replace a unit lost in an attack, hours."
    )


class Escorts(StrictModel):
    """All escort pools."""

    bases: tuple[EscortBase, ...] = Field((), description="Escort bases.")

    @field_validator("bases")
    @classmethod
    def _unique(cls, bases: tuple[EscortBase, ...]) -> tuple[EscortBase, ...]:
        seen: set[str] = set()
        for b in bases:
            if b.name in seen:
                raise ValueError(f"duplicate escort base name {b.name!r}")
            seen.add(b.name)
        return bases


class SupplyStep(StrictModel):
    """From ``start`` on, the source loads ``tankers_per_day``."""

    start: Timestamp = Field(description="Date from which the rate applies.")
    tankers_per_day: TankersPerDay = Field(description="Loading rate, tankers per day.")


class Source(StrictModel):
    """A loading point (port, depot) releasing loaded tankers."""

    name: str = Field(min_length=1, description="Unique source name (used in results).")
    node: NodeName = Field(description="Node where tankers load.")
    staging: NodeName | None = Field(
        None,
        description="Staging node where its tankers join escorted convoys; null = tankers "
        "drive to the destination in unescorted daily batches.",
    )
    tankers_per_day: TankersPerDay = Field(0.0, description="Loading rate, tankers per day.")
    schedule: tuple[SupplyStep, ...] = Field(
        (), description="Rate changes over time (dates ascending)."
    )
    release: Literal["deterministic", "poisson"] = Field(
        "deterministic",
        description="deterministic: rate x interval with fractions carried over; poisson: "
        "Poisson counts with that mean.",
    )
    release_interval_h: PositiveHours = Field(24.0, description="Time between releases, hours.")
    payload_l: TankerPayloadL = Field(45_000, description="Litres per loaded tanker.")
    fleet_tankers: int | None = Field(
        None,
        ge=0,
        description="Finite fleet: tankers return empty and reload; burned tankers are gone. "
        "null = unlimited.",
    )
    turnaround_h: Hours = Field(
        24.0, description="Unloading and reloading time of a fleet tanker, hours."
    )
    via: tuple[NodeName, ...] | None = Field(
        None, description="Nodes the tankers' route must pass, in order."
    )
    shares: dict[str, NonNeg] | None = Field(
        None,
        description="Share of the source's tankers bound for each destination (by destination "
        "name; shares sum to 1). null = every tanker for the focus destination.",
    )

    @field_validator("shares")
    @classmethod
    def _shares_sum_to_one(cls, shares: dict[str, float] | None) -> dict[str, float] | None:
        if shares is not None:
            total = sum(shares.values())
            if not shares or abs(total - 1.0) > 1e-9:
                raise ValueError(f"shares must sum to 1 (got {total:g})")
        return shares

    @field_validator("schedule")
    @classmethod
    def _ascending(cls, steps: tuple[SupplyStep, ...]) -> tuple[SupplyStep, ...]:
        for a, b in zip(steps, steps[1:]):
            if b.start <= a.start:
                raise ValueError(f"dates must ascend, but {b.start} follows {a.start}")
        return steps


class ScheduledConvoy(StrictModel):
    """A convoy that leaves a given node at a given time (e.g. a relief convoy)."""

    name: str = Field(min_length=1, description="Convoy name (used in results).")
    depart: Timestamp = Field(description="Departure date/time (before escort waits).")
    origin: NodeName = Field(description="Node the convoy leaves from.")
    tankers: Tankers = Field(description="Number of loaded tankers.")
    payload_l: TankerPayloadL = Field(description="Litres per tanker.")
    escort_units: Units = Field(0, description="Escort units the convoy travels with.")
    escort_base: str | None = Field(
        None,
        description="Base the escort is drawn from (the convoy waits for it); null = a "
        "dedicated escort outside the pools.",
    )
    via: tuple[NodeName, ...] | None = Field(
        None, description="Nodes the route must pass, in order."
    )
    destination: str | None = Field(
        None, description="Name of the destination the cargo is for (default: the focus)."
    )

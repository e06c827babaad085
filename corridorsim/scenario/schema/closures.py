"""Road closures: scheduled (a date range) and random (an outpost falls).
"""

from __future__ import annotations

from pydantic import (
    Field,
    model_validator,
)

from .fields import Duration, EdgeRef, NodeName, PerDay, StrictModel, Timestamp


class ClosureTarget(StrictModel):
    edge: EdgeRef | None = Field(None, description="Edge closed, as [from, to].")
    node: NodeName | None = Field(None, description="Node closed (all its edges).")

    @model_validator(mode="after")
    def _one_target(self):
        if (self.edge is None) == (self.node is None):
            raise ValueError("give exactly one of edge or node")
        return self


class ScheduledClosure(ClosureTarget):
    """A closure known in advance (a bridge down, a town besieged)."""

    name: str = Field("", description="Label used in results.")
    start: Timestamp = Field(description="Closure start.")
    end: Timestamp | None = Field(None, description="Reopening; null = stays closed.")

    @model_validator(mode="after")
    def _order(self):
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class RandomClosure(ClosureTarget):
    """Closures that strike at random (e.g. an outpost falls), a Poisson process in time."""

    name: str = Field("", description="Label used in results.")
    rate_per_day: PerDay = Field(description="Closures per day while open.")
    duration: Duration = Field(description="How long each closure lasts.")


class Closures(StrictModel):
    """Road and node closures."""

    scheduled: tuple[ScheduledClosure, ...] = Field((), description="Known closures.")
    random: tuple[RandomClosure, ...] = Field((), description="Random closures.")

"""The destination block: stock, capacity, demand schedule and rationing tiers.
"""

from __future__ import annotations

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from .fields import NodeName, NonNeg, Positive, Share, StrictModel, Timestamp


class RationingTier(StrictModel):
    """Below ``below_cover_days`` of stock cover, demand is cut by ``demand_cut_share``."""

    below_cover_days: Positive = Field(
        description="Days of cover (stock / unrationed daily demand) under which the tier applies."
    )
    demand_cut_share: Share = Field(description="Share of the day's demand that is not served.")


class DemandStep(StrictModel):
    """From ``start`` on, the unrationed daily demand is ``demand_l_per_day``."""

    start: Timestamp = Field(description="Date from which this demand applies.")
    demand_l_per_day: NonNeg = Field(description="Unrationed demand in litres per day.")


class Destination(StrictModel):
    """The node whose stock the scenario is about (Bamako's depots in the Mali scenarios)."""

    node: NodeName = Field(description="Destination node name.")
    initial_stock_l: NonNeg = Field(0.0, description="Stock at the scenario start, litres.")
    capacity_l: Positive | None = Field(
        None,
        description="Storage capacity in litres; deliveries beyond it are recorded as overflow "
        "(diverted elsewhere). None = unlimited.",
    )
    demand_l_per_day: NonNeg = Field(description="Unrationed demand in litres per day.")
    demand_schedule: tuple[DemandStep, ...] = Field(
        (), description="Changes of the unrationed demand over time (dates ascending)."
    )
    rationing: tuple[RationingTier, ...] = Field(
        (),
        description="Rationing tiers; the tier with the smallest threshold above the current "
        "cover applies.",
    )

    @field_validator("demand_schedule")
    @classmethod
    def _ascending(cls, steps: tuple[DemandStep, ...]) -> tuple[DemandStep, ...]:
        for a, b in zip(steps, steps[1:]):
            if b.start <= a.start:
                raise ValueError(f"dates must ascend, but {b.start} follows {a.start}")
        return steps

    @model_validator(mode="after")
    def _stock_fits(self) -> Destination:
        if self.capacity_l is not None and self.initial_stock_l > self.capacity_l:
            raise ValueError(
                f"initial_stock_l ({self.initial_stock_l:g}) exceeds capacity_l "
                f"({self.capacity_l:g})"
            )
        return self

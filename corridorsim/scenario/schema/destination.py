"""The destination block: stock, capacity, demand schedule and rationing tiers.
"""

from __future__ import annotations

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from .fields import (
    Days,
    Litres,
    LitresPerDay,
    NodeName,
    PositiveLitres,
    Share,
    StrictModel,
    Timestamp,
)


class RationingTier(StrictModel):
    """Below ``below_cover_days`` of stock cover, demand is cut by ``demand_cut_share``."""

    below_cover_days: Days = Field(
        description="Days of cover (stock / unrationed daily demand) under which the tier applies."
    )
    demand_cut_share: Share = Field(description="Share of the day's demand that is not served.")


class DemandStep(StrictModel):
    """From ``start`` on, the unrationed daily demand is ``demand_l_per_day``."""

    start: Timestamp = Field(description="Date from which this demand applies.")
    demand_l_per_day: LitresPerDay = Field(description="Unrationed demand in litres per day.")


class Destination(StrictModel):
    """A node whose stock the scenario follows (Bamako's depots, a regional depot, a town)."""

    node: NodeName = Field(description="Destination node name.")
    name: str | None = Field(
        None, min_length=1,
        description="Name used in results and in sources' shares (default: the node name).",
    )
    priority: int = Field(
        1, ge=1,
        description="Convoys carrying lots for several destinations head first for the one "
        "with the smallest priority number (ties: most litres aboard, then the order listed).",
    )
    drop_node: NodeName | None = Field(
        None,
        description="Depot where lots for this destination leave a convoy bound elsewhere and "
        "go on alone (default: where their route parts from the convoy's route).",
    )
    initial_stock_l: Litres = Field(0.0, description="Stock at the scenario start, litres.")
    capacity_l: PositiveLitres | None = Field(
        None,
        description="Storage capacity in litres; deliveries beyond it are recorded as overflow "
        "(diverted elsewhere). None = unlimited.",
    )
    demand_l_per_day: LitresPerDay = Field(description="Unrationed demand in litres per day.")
    demand_schedule: tuple[DemandStep, ...] = Field(
        (), description="Changes of the unrationed demand over time (dates ascending)."
    )
    rationing: tuple[RationingTier, ...] = Field(
        (),
        description="Rationing tiers; the tier with the smallest threshold above the current "
        "cover applies.",
    )

    @property
    def label(self) -> str:
        """Name used in results: :attr:`name`, or the node name."""
        return self.name or self.node

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

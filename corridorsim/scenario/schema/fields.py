"""Field types and the base model shared by every block of the scenario schema.

Unit-carrying aliases (``NonNeg``, ``Positive``, ``Share``), dates (``Timestamp``: ISO dates or
date-times), node and edge references, :class:`StrictModel` (unknown keys are errors, instances
are immutable) and :class:`Duration` (a delay distribution in hours).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)


def to_datetime(value: object) -> object:
    """Accept a bare date (``2025-09-03``) as midnight of that day; refuse time zones."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value  # pydantic reports it
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        raise ValueError("times must be local times without a time zone or UTC offset "
                         "(e.g. 2025-09-03T06:00)")
    return value


Timestamp = Annotated[dt.datetime, BeforeValidator(to_datetime)]
NonNeg = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
Share = Annotated[float, Field(ge=0, le=1)]
NodeName = Annotated[str, Field(min_length=1)]
EdgeRef = tuple[NodeName, NodeName]


class StrictModel(BaseModel):
    """Base of every schema block: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)




class Duration(StrictModel):
    """A random duration in hours.

    ``fixed``: always ``mean_h``. ``exponential``: mean ``mean_h``. ``lognormal`` and ``gamma``:
    mean ``mean_h`` and coefficient of variation ``cv``. ``uniform``: between ``low_h`` and
    ``high_h``.
    """

    dist: Literal["fixed", "exponential", "lognormal", "gamma", "uniform"] = Field(
        "fixed", description="Distribution family of the duration."
    )
    mean_h: NonNeg = Field(0.0, description="Mean duration in hours (all but uniform).")
    cv: NonNeg = Field(1.0, description="Coefficient of variation (lognormal, gamma).")
    low_h: NonNeg = Field(0.0, description="Lower bound in hours (uniform).")
    high_h: NonNeg = Field(0.0, description="Upper bound in hours (uniform).")

    @model_validator(mode="after")
    def _check_bounds(self) -> Duration:
        if self.dist == "uniform" and self.high_h < self.low_h:
            raise ValueError(f"high_h ({self.high_h}) must be >= low_h ({self.low_h})")
        return self

    @property
    def expected_h(self) -> float:
        """Expected value of the duration in hours."""
        if self.dist == "uniform":
            return 0.5 * (self.low_h + self.high_h)
        return self.mean_h

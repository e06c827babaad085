"""Field types and the base model shared by every block of the scenario schema.

Unit-carrying aliases (``NonNeg``, ``Positive``, ``Share``), dates (``Timestamp``: ISO dates or
date-times), node and edge references, the plausible range of each kind of quantity
(``SpeedKmh``, ``LengthKm``, ``Hours``, ``Litres``, ...: the one place where these bounds are
set, so that ``1e308`` km/h or ``1e30`` tankers per day are refused with the range expected), :class:`StrictModel` (unknown keys are errors, instances
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

#: Longest simulated period (ten years): the engine's work grows with the horizon.
MAX_SCENARIO_DAYS = 3_660
#: Years a date may fall in: wider than any corridor scenario, narrow enough to catch typos.
YEARS = (1900, 2200)


def _iso_only(value: object) -> object:
    """Refuse numbers where a date is expected (pydantic would read 20250901 as seconds since
    1970) and dates outside :data:`YEARS`."""
    if isinstance(value, bool | int | float):
        raise ValueError("expected an ISO date or date-time such as 2025-09-03 or "
                         "2025-09-03T06:00, not a number")
    if isinstance(value, dt.date) and not YEARS[0] <= value.year <= YEARS[1]:
        raise ValueError(f"year {value.year} is out of range: expected {YEARS[0]} to {YEARS[1]}")
    return value


def to_date(value: object) -> object:
    """An ISO date (``2025-09-03``) and nothing else."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return value  # pydantic reports it
    return _iso_only(value)


def to_datetime(value: object) -> object:
    """Accept a bare date (``2025-09-03``) as midnight of that day; refuse time zones."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return _iso_only(dt.datetime(value.year, value.month, value.day))
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value  # pydantic reports it
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        raise ValueError("times must be local times without a time zone or UTC offset "
                         "(e.g. 2025-09-03T06:00)")
    return _iso_only(value)


Timestamp = Annotated[dt.datetime, BeforeValidator(to_datetime)]
IsoDate = Annotated[dt.date, BeforeValidator(to_date)]

#: Largest magnitude of any number in a scenario: every float is also finite (no .inf, .nan).
MAX_MAGNITUDE = 1e12
NonNeg = Annotated[float, Field(ge=0, le=MAX_MAGNITUDE)]
Positive = Annotated[float, Field(gt=0, le=MAX_MAGNITUDE)]
Share = Annotated[float, Field(ge=0, le=1)]
Real = Annotated[float, Field(ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE)]

# Plausible ranges per kind of quantity. Generous (they catch typos and hostile values, not
# unusual scenarios); docs/reliability.md lists them.
SpeedKmh = Annotated[float, Field(gt=0, le=200)]
LengthKm = Annotated[float, Field(gt=0, le=20_000)]
Hours = Annotated[float, Field(ge=0, le=87_600)]  # ten years
PositiveHours = Annotated[float, Field(gt=0, le=87_600)]
Days = Annotated[float, Field(gt=0, le=3_660)]
Litres = Annotated[float, Field(ge=0, le=1e12)]
PositiveLitres = Annotated[float, Field(gt=0, le=1e12)]
LitresPerDay = Annotated[float, Field(ge=0, le=1e10)]
TankerPayloadL = Annotated[int, Field(gt=0, le=100_000)]
TankersPerDay = Annotated[float, Field(ge=0, le=10_000)]
Tankers = Annotated[int, Field(ge=1, le=100_000)]
Units = Annotated[int, Field(ge=0, le=100_000)]
PerDay = Annotated[float, Field(ge=0, le=1_000)]
RatePer1000Km = Annotated[float, Field(ge=0, le=1e9)]  # up to 1e9: a certain attack (tests)
Multiplier = Annotated[float, Field(ge=0, le=1_000)]
Seed = Annotated[int, Field(ge=0, le=2**63 - 1)]
Replications = Annotated[int, Field(ge=1, le=1_000_000)]
NodeName = Annotated[str, Field(min_length=1, max_length=200)]
EdgeRef = tuple[NodeName, NodeName]


class StrictModel(BaseModel):
    """Base of every schema block: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False,
                              str_max_length=100_000)




class Duration(StrictModel):
    """A random duration in hours.

    ``fixed``: always ``mean_h``. ``exponential``: mean ``mean_h``. ``lognormal`` and ``gamma``:
    mean ``mean_h`` and coefficient of variation ``cv``. ``uniform``: between ``low_h`` and
    ``high_h``.
    """

    dist: Literal["fixed", "exponential", "lognormal", "gamma", "uniform"] = Field(
        "fixed", description="Distribution family of the duration."
    )
    mean_h: Hours = Field(0.0, description="Mean duration in hours (all but uniform).")
    cv: Annotated[float, Field(ge=0, le=100)] = Field(
        1.0, description="Coefficient of variation (lognormal, gamma).")
    low_h: Hours = Field(0.0, description="Lower bound in hours (uniform).")
    high_h: Hours = Field(0.0, description="Upper bound in hours (uniform).")

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

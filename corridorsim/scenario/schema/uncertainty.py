"""Parameter uncertainty: prior distributions and posterior sample files of uncertain parameters.
"""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
    model_validator,
)

from .fields import Positive, Real, StrictModel


class Prior(StrictModel):
    """A distribution of an uncertain parameter value.

    ``uniform`` on [low, high]; ``loguniform`` on [low, high] (both > 0); ``normal`` with
    ``mean`` and ``sd``, truncated to [low, high] when given; ``beta`` with shapes ``a``, ``b``
    scaled to [low, high] (default [0, 1]); ``triangular`` on [low, high] with ``mode``.
    """

    dist: Literal["uniform", "loguniform", "normal", "beta", "triangular"] = Field(
        description="Distribution family."
    )
    low: Real | None = Field(None, description="Lower bound (uniform, loguniform, beta, "
                                                "triangular; truncation for normal).")
    high: Real | None = Field(None, description="Upper bound.")
    mean: Real | None = Field(None, description="Mean (normal).")
    sd: Positive | None = Field(None, description="Standard deviation (normal).")
    a: Positive | None = Field(None, description="First shape (beta).")
    b: Positive | None = Field(None, description="Second shape (beta).")
    mode: Real | None = Field(None, description="Mode (triangular).")
    integer: bool = Field(False, description="Round draws to the nearest integer.")

    @model_validator(mode="after")
    def _params(self) -> Prior:
        need = {"uniform": ("low", "high"), "loguniform": ("low", "high"), "normal": ("mean", "sd"),
                "beta": ("a", "b"), "triangular": ("low", "high", "mode")}[self.dist]
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"dist {self.dist!r} needs {', '.join(missing)}")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be < high ({self.high})")
        if self.dist == "loguniform" and self.low is not None and self.low <= 0:
            raise ValueError(f"loguniform needs low > 0, got {self.low}")
        if self.dist == "triangular" and not (self.low <= self.mode <= self.high):
            raise ValueError(f"mode ({self.mode}) must lie in [low, high]")
        return self


class UncertainParameter(StrictModel):
    """A scenario value drawn per replication (second-order Monte Carlo)."""

    path: str = Field(min_length=1, description="Dotted path of the value, e.g. "
                                                "'threats.ambush_multiplier'.")
    prior: Prior = Field(description="Its distribution.")


class Uncertainty(StrictModel):
    """Parameter uncertainty carried into the run: each replication draws its own values."""

    parameters: tuple[UncertainParameter, ...] = Field(
        (), description="Values drawn independently from stated distributions."
    )
    posterior_csv: str | None = Field(
        None, description="Joint samples (e.g. from corridorsim calibrate): one column per "
        "path, optional 'weight'; each replication draws one row (relative to the scenario file)."
    )

    @property
    def active(self) -> bool:
        """Whether any value is drawn per replication."""
        return bool(self.parameters) or self.posterior_csv is not None

"""The schema of sweep files: factors, design, precision target and the sweep itself.

Pydantic models, frozen and strict (unknown keys are errors). Reading a file, ``--set``
options and turning a sweep into validated scenario points are in
:mod:`corridorsim.experiments.sweep_spec`.

Part of the experiments layer: imports pydantic and the scenario layer's paths only.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..errors import ScenarioError
from ..scenario.paths import parse_path
from ..scenario.schema.fields import IsoDate

__all__ = ["Factor", "Design", "Precision", "SweepSpec"]



class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Factor(_Strict):
    """One varied parameter: a path and its values, range or named alternatives."""

    path: str = Field(description="Dotted path into the scenario, e.g. 'escorts.bases[kayes].units'.")
    name: str | None = Field(None, description="Column name in results; default: the path.")
    values: tuple[Any, ...] | None = Field(None, description="Levels (grid, points, and as "
                                                             "discrete levels in other designs).")
    range: tuple[float, float] | None = Field(None, description="[low, high] for lhs, sobol, "
                                                                "sobol_sa and morris designs.")
    integer: bool = Field(False, description="Draw whole numbers from the range (each integer "
                                            "in it equally likely).")
    alternatives: dict[str, Any] | None = Field(
        None, description="Named whole blocks to put at the path (e.g. two threat models).")

    @field_validator("path")
    @classmethod
    def _path(cls, path: str) -> str:
        try:
            parse_path(path)
        except ScenarioError as exc:  # a ValueError names the factor in the file's errors
            raise ValueError(exc.message) from None
        return path

    @model_validator(mode="after")
    def _one_kind(self) -> Factor:
        given = [k for k in ("values", "range", "alternatives") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of values, range or alternatives (got "
                             f"{', '.join(given) or 'none'})")
        if self.values is not None and not self.values:
            raise ValueError("values must not be empty")
        if self.alternatives is not None and not self.alternatives:
            raise ValueError("alternatives must not be empty")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError(f"range must be [low, high] with low < high, got {list(self.range)}")
        if self.range is not None and self.integer and math.ceil(self.range[0]) > math.floor(self.range[1]):
            raise ValueError(f"integer range {list(self.range)} holds no integer")
        return self

    @property
    def label(self) -> str:
        """Column name of the factor."""
        return self.name or self.path


class Design(_Strict):
    """How points are chosen."""

    kind: Literal["grid", "points", "lhs", "sobol", "sobol_sa", "morris"] = Field(
        "grid", description="Design family.")
    n: int | None = Field(None, ge=1, le=1_000_000, description="Points (lhs, sobol), base sample (sobol_sa) "
                                                  "or trajectories (morris).")
    points: tuple[dict[str, Any], ...] | None = Field(
        None, description="Explicit points (kind points): factor name -> value.")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="Seed of the design's own draws.")
    morris_levels: int = Field(4, ge=2, le=100, description="Grid levels of a Morris design.")

    @model_validator(mode="after")
    def _needs(self) -> Design:
        if self.kind in ("lhs", "sobol", "sobol_sa", "morris") and self.n is None:
            raise ValueError(f"design {self.kind!r} needs n")
        if self.kind == "points" and not self.points:
            raise ValueError("design 'points' needs a non-empty points list")
        return self


class Precision(_Strict):
    """Add replications until the confidence interval of a metric's mean is narrow enough."""

    metric: str = Field("delivered_l", description="Summary column whose mean must be precise.")
    target_halfwidth: float = Field(gt=0, description="Relative half-width of the 95 % CI of the "
                                                      "mean (e.g. 0.05 = +-5 %).")
    max_replications: int = Field(1000, ge=1, le=1_000_000, description="Stop adding replications here.")


class SweepSpec(_Strict):
    """A sweep file."""

    name: str = Field(min_length=1, description="Sweep name.")
    description: str = Field("", description="The question the sweep answers.")
    base: str = Field(description="Base scenario file (relative to the sweep file).")
    factors: tuple[Factor, ...] = Field(min_length=1, description="Varied parameters.")
    design: Design = Field(Design(), description="Design of the points.")
    replications: int = Field(100, ge=1, le=1_000_000, description="Replications per point (initial, with "
                                                      "precision).")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="Root seed; replication r meets the same streams at "
                                           "every point (common random numbers).")
    common_random_numbers: bool = Field(
        True, description="true: replication r meets the same streams at every point (paired "
        "comparisons). false: each point has its own root seed, derived from seed and the point "
        "index, so that points carry independent noise (what approximate Bayesian computation "
        "needs: with shared streams its accepted draws would ignore the simulation noise).")
    keep: tuple[Literal["daily", "events", "convoys", "destinations"], ...] = Field(
        (), description="Tables kept besides the per-replication summary (whose litres and "
        "stock-outs are national: every destination together); destinations: one row per "
        "replication and destination.")
    delivered_by_days: tuple[int, ...] = Field(
        (), description="Extra metrics: litres delivered by the end of these days (0-based).")
    stockout_dates: tuple[IsoDate, ...] = Field(
        (), description="Dates for the probability of a stock-out by that date.")
    reference: dict[str, Any] | int | None = Field(
        None, description="Reference point for paired differences: a point index or factor "
                          "values; default point 0.")
    precision: Precision | None = Field(None, description="Precision-driven replications.")

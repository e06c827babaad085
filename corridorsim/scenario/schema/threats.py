"""The threats block: hazard rules by edge, corridor or region, time phases, deterrence by
escorts, and the effects of ambushes and IEDs.
"""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
    model_validator,
)

from .fields import Duration, EdgeRef, NodeName, NonNeg, Positive, Share, StrictModel, Timestamp


class ThreatRule(StrictModel):
    """Sets base attack rates on the edges it selects.

    Rules apply in order; a later rule overrides earlier ones on the edges both select. A rule
    with no selector selects every edge. Selectors combine with AND.
    """

    corridor: str | None = Field(None, description="Select edges of this corridor label.")
    region: str | None = Field(None, description="Select edges of this threat region.")
    edges: tuple[EdgeRef, ...] | None = Field(None, description="Select these edges.")
    ambush_rate_per_1000km: NonNeg | None = Field(
        None, description="Ambushes per 1000 convoy-km (unescorted, phase multiplier 1)."
    )
    ied_rate_per_1000km: NonNeg | None = Field(
        None, description="IED strikes per 1000 convoy-km (unescorted, phase multiplier 1)."
    )


class ThreatPhase(StrictModel):
    """A period in which attack rates are multiplied (e.g. a declared blockade)."""

    name: str = Field(min_length=1, description="Phase name.")
    start: Timestamp = Field(description="First moment of the phase.")
    end: Timestamp | None = Field(None, description="End of the phase; null = open-ended.")
    corridor: str | None = Field(None, description="Only edges of this corridor.")
    region: str | None = Field(None, description="Only edges of this region.")
    ambush_multiplier: NonNeg = Field(1.0, description="Factor on ambush rates.")
    ied_multiplier: NonNeg = Field(1.0, description="Factor on IED rates.")

    @model_validator(mode="after")
    def _order(self) -> ThreatPhase:
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class Deterrence(StrictModel):
    """How escort strength reduces attack rates and ambush losses.

    With escort strength ``s`` = escort units per 10 tankers,
    ``rate factor = rate_floor + (1 - rate_floor) * exp(-s / rate_scale)`` and
    ``loss factor = loss_floor + (1 - loss_floor) * exp(-s / loss_scale)``.
    """

    rate_floor: Share = Field(0.5, description="Rate factor under an unlimited escort.")
    rate_scale: Positive = Field(1.0, description="Strength at which the rate effect is 63% done.")
    loss_floor: Share = Field(0.3, description="Loss factor under an unlimited escort.")
    loss_scale: Positive = Field(1.0, description="Strength at which the loss effect is 63% done.")


class AmbushEffects(StrictModel):
    """What an ambush does to a convoy."""

    loss_share_mean: Share = Field(
        0.35, description="Mean share of tankers destroyed in an unescorted ambush."
    )
    loss_share_concentration: Positive = Field(
        4.0, description="Beta concentration a+b of the loss share (higher = less spread)."
    )
    delay: Duration = Field(
        Duration(dist="exponential", mean_h=12.0), description="Time lost by the survivors."
    )
    escort_unit_loss_prob: Share = Field(
        0.1, description="Probability that each escort unit present is lost."
    )
    turn_back_prob: Share = Field(
        0.2,
        description="Probability that the convoy turns back (to the stop chosen by "
        "turn_back_to) and sets off again after regroup_delay_h.",
    )
    turn_back_to: Literal["nearest_stop", "last_stop"] = Field(
        "nearest_stop",
        description="nearest_stop: the stop (checkpoint, staging point, destination) reached "
        "soonest from the attack point, leaving the way it came but never back along the "
        "attacked edge beyond where it stands, by any open road; last_stop: back along the "
        "road travelled to the last stop passed.",
    )


class IedEffects(StrictModel):
    """What an IED strike does to a convoy."""

    tankers_destroyed_mean: NonNeg = Field(
        1.0, description="Mean tankers destroyed (Poisson, capped at the convoy size)."
    )
    delay: Duration = Field(
        Duration(dist="exponential", mean_h=6.0), description="Time lost (route clearance)."
    )
    escort_unit_loss_prob: Share = Field(
        0.05, description="Probability that each escort unit present is lost."
    )


class StationaryRule(StrictModel):
    """Attacks on convoys standing at a node (waiting to form, for an escort, at a checkpoint).

    Rules apply in order; a later rule overrides earlier ones on the nodes both select. A node
    selects by name or by the threat region of its node attribute ``region``.
    """

    node: NodeName | None = Field(None, description="Select this node.")
    region: str | None = Field(None, description="Select the nodes of this threat region.")
    attacks_per_day: NonNeg = Field(
        description="Attacks per day on a group of unescorted tankers standing at the node "
        "(phase multiplier 1)."
    )


class StationaryPhase(StrictModel):
    """A period in which attack rates on standing convoys are multiplied."""

    name: str = Field(min_length=1, description="Phase name.")
    start: Timestamp = Field(description="First moment of the phase.")
    end: Timestamp | None = Field(None, description="End of the phase; null = open-ended.")
    node: NodeName | None = Field(None, description="Only this node.")
    region: str | None = Field(None, description="Only nodes of this region.")
    multiplier: NonNeg = Field(1.0, description="Factor on the attack rate.")

    @model_validator(mode="after")
    def _order(self) -> StationaryPhase:
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class StationaryThreats(StrictModel):
    """Hazard per hour for tankers standing at nodes; outcomes as for an ambush (no turn-back)."""

    rules: tuple[StationaryRule, ...] = Field((), description="Base rates by node or region.")
    phases: tuple[StationaryPhase, ...] = Field((), description="Time-varying multipliers.")
    deterrence: Deterrence | None = Field(
        None, description="Escort effect on standing convoys (default: threats.deterrence)."
    )


class Threats(StrictModel):
    """Ambush and IED hazards along the edges, their phases and their effects."""

    enabled: bool = Field(True, description="false switches every attack off.")
    ambush_multiplier: NonNeg = Field(
        1.0, description="Factor on every edge's ambush rate (a handy sweep factor)."
    )
    ied_multiplier: NonNeg = Field(
        1.0, description="Factor on every edge's IED rate (a handy sweep factor)."
    )
    rules: tuple[ThreatRule, ...] = Field((), description="Base rates, applied in order.")
    phases: tuple[ThreatPhase, ...] = Field((), description="Time-varying multipliers.")
    deterrence: Deterrence = Field(Deterrence(), description="Escort effect.")
    ambush: AmbushEffects = Field(AmbushEffects(), description="Ambush outcome model.")
    ied: IedEffects = Field(IedEffects(), description="IED outcome model.")
    stationary: StationaryThreats = Field(
        StationaryThreats(), description="Attacks on convoys standing at nodes."
    )

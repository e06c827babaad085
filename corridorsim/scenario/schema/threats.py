"""The threats block: hazard rules by edge, corridor or region, time phases, deterrence by
escorts, the effects of ambushes and IEDs, size-dependent targeting, the severity of an ambush
and the adversary's opportunity process in time.
"""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
    model_validator,
)

from .fields import (
    Duration,
    EdgeRef,
    Multiplier,
    NodeName,
    NonNeg,
    Positive,
    RatePer1000Km,
    Share,
    StrictModel,
    Timestamp,
)


class ThreatRule(StrictModel):
    """Sets base attack rates on the edges it selects.

    Rules apply in order; a later rule overrides earlier ones on the edges both select. A rule
    with no selector selects every edge. Selectors combine with AND.
    """

    corridor: str | None = Field(None, description="Select edges of this corridor label.")
    region: str | None = Field(None, description="Select edges of this threat region.")
    edges: tuple[EdgeRef, ...] | None = Field(None, description="Select these edges.")
    ambush_rate_per_1000km: RatePer1000Km | None = Field(
        None, description="Ambushes per 1000 convoy-km (unescorted, phase multiplier 1)."
    )
    ied_rate_per_1000km: RatePer1000Km | None = Field(
        None, description="IED strikes per 1000 convoy-km (unescorted, phase multiplier 1)."
    )


class ThreatPhase(StrictModel):
    """A period in which attack rates are multiplied (e.g. a declared blockade)."""

    name: str = Field(min_length=1, description="Phase name.")
    start: Timestamp = Field(description="First moment of the phase.")
    end: Timestamp | None = Field(None, description="End of the phase; null = open-ended.")
    corridor: str | None = Field(None, description="Only edges of this corridor.")
    region: str | None = Field(None, description="Only edges of this region.")
    ambush_multiplier: Multiplier = Field(1.0, description="Factor on ambush rates.")
    ied_multiplier: Multiplier = Field(1.0, description="Factor on IED rates.")

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


class Severity(StrictModel):
    """How many of the ``n`` tankers of an ambushed convoy burn (see docs/model.md, Severity).

    ``beta_binomial``: ``K ~ BetaBinomial(n)`` with mean share ``loss_share_mean x D_loss(s)``
    (the share of the convoy lost does not depend on ``n``). ``saturating_share``: the same with
    mean share ``loss_share_mean x h / (h + n) x D_loss(s)``, ``h`` =
    ``half_saturation_tankers``, so the mean loss tends to ``loss_share_mean x h`` tankers for
    large convoys (Blackett; Morse and Kimball 1951: losses per attack roughly independent of
    convoy size). ``negative_binomial``: ``K = min(n, NegBin(mean mu, dispersion r))`` with
    ``mu = mean_tankers x D_loss(s)``: an absolute, heavy-tailed loss. In every form the mean is
    also multiplied by the Lanchester factor of the attacking force when
    ``attacker_strength_units`` is set.
    """

    form: Literal["beta_binomial", "saturating_share", "negative_binomial"] = Field(
        "beta_binomial", description="Loss distribution of an ambush."
    )
    half_saturation_tankers: Positive = Field(
        50.0, description="h of saturating_share: convoy size at which the share is halved."
    )
    mean_tankers: NonNeg = Field(
        10.0, description="Mean tankers destroyed by an unescorted ambush (negative_binomial, "
        "before the cap at the convoy size)."
    )
    dispersion: Positive = Field(
        1.0, description="Negative-binomial size r (variance mu + mu^2 / r; small = heavy tail)."
    )
    attacker_strength_units: Positive | None = Field(
        None, description="Strength A of the attacking force in escort-unit equivalents; null "
        "switches the Lanchester effect off. With E escort units the force that remains is "
        "sqrt(max(0, 1 - exchange_ratio x (E / A)^2)) (square law) and the mean loss is "
        "multiplied by it."
    )
    exchange_ratio: Positive = Field(
        1.0, description="Effectiveness of one escort unit against the attackers relative to "
        "one attacking unit (Lanchester square law)."
    )


class Targeting(StrictModel):
    """Which convoys the adversary goes for: ambush rate times ``(n / n0) ** size_exponent``."""

    size_exponent: float = Field(
        0.0, ge=-2.0, le=3.0, description="beta: 0 = rate independent of convoy size, 1 = "
        "proportional to the tankers (detectability, attractiveness)."
    )
    reference_tankers: Positive = Field(
        30.0, description="n0: convoy size (tankers) at which the rules' rates hold as written."
    )


class Adversary(StrictModel):
    """The adversary's ambush opportunities in time (see docs/model.md, Adversary).

    ``poisson``: every convoy faces its own Poisson hazard per convoy-km (no limit on attacks).
    ``cox`` and ``hawkes``: each group of edges (by ``group_by``) has a stream of ambush
    opportunities, ``opportunities_per_week`` on average, modulated by gamma multipliers (per
    replication and per week) and, for ``hawkes``, self-exciting with ``branching_ratio``. At an
    opportunity the convoys on the group's roads with hazard weights ``w_c`` (per hour: the
    Poisson model's hazard) are attacked with probability ``W / (nu + W)``, ``W = sum w_c``,
    ``nu`` the group's mean opportunity rate; the target is drawn in proportion to ``w_c``. Low
    traffic gives the Poisson model back; heavy traffic saturates at the opportunity rate.
    """

    process: Literal["poisson", "cox", "hawkes"] = Field(
        "poisson", description="Attack arrival model."
    )
    group_by: Literal["corridor", "region"] = Field(
        "corridor", description="Edges that share an opportunity stream."
    )
    opportunities_per_week: Positive = Field(
        2.0, description="Mean ambush opportunities per week per group (the adversary's capacity)."
    )
    group_opportunities_per_week: dict[str, Positive] = Field(
        default_factory=dict, description="Per-group overrides of opportunities_per_week."
    )
    weekly_shape: Positive | None = Field(
        None, description="Gamma shape of the weekly multiplier (mean 1, variance 1 / shape) per "
        "group; null = no weekly variation."
    )
    replication_shape: Positive | None = Field(
        None, description="Gamma shape of the multiplier drawn once per replication (all "
        "groups); null = none."
    )
    branching_ratio: float = Field(
        0.0, ge=0.0, lt=0.95, description="Hawkes: mean opportunities triggered by one (< 1)."
    )
    excitation_days: Positive = Field(
        14.0, description="Hawkes: mean delay of a triggered opportunity (exponential kernel)."
    )

    @model_validator(mode="after")
    def _hawkes_only(self) -> Adversary:
        if self.branching_ratio > 0 and self.process != "hawkes":
            raise ValueError(f"branching_ratio ({self.branching_ratio}) needs process: hawkes, "
                             f"got process: {self.process}")
        return self


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
    severity: Severity = Field(Severity(), description="Tankers destroyed per ambush.")


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
    ambush_multiplier: Multiplier = Field(
        1.0, description="Factor on every edge's ambush rate (a handy sweep factor)."
    )
    ied_multiplier: Multiplier = Field(
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
    targeting: Targeting = Field(Targeting(), description="Size-dependent ambush rate.")
    adversary: Adversary = Field(Adversary(), description="Ambush opportunities in time.")

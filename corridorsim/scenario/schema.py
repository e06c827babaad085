"""The scenario schema: everything a risk modeller can say about one corridor system.

A :class:`Scenario` is a typed, frozen description of the network, the supply, the convoys, the
escorts, the threats, the closures and the destination's stock. It is validated once, at the
boundary (see :mod:`corridorsim.scenario.documents`); nothing downstream re-checks types or ranges.

Conventions
-----------
* Field names carry their unit: ``_km``, ``_kmh``, ``_h`` (hours), ``_l`` (litres),
  ``_per_day``, ``_per_1000km`` (per 1000 convoy-km), ``_share`` (a fraction in [0, 1]).
* Times in the file are calendar dates or datetimes (naive, local time of the corridor); the
  engine converts them to hours since :attr:`Scenario.start`.
* Unknown keys are errors (``extra="forbid"``): a misspelt key never silently does nothing.

To add a field: add it here with a unit-carrying name, a default that keeps old scenarios
meaningful and a ``description`` (the scenario reference ``docs/scenario_reference.md`` is generated
from these descriptions by ``python -m corridorsim.scenario.reference``, and a test checks it is current), then use it in the engine.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

__all__ = [
    "Scenario",
    "Duration",
    "Destination",
    "RationingTier",
    "DemandStep",
    "NetworkSpec",
    "NodeSpec",
    "EdgeSpec",
    "NodeOverride",
    "EdgeOverride",
    "Routing",
    "Checkpoint",
    "StagingPoint",
    "EscortBase",
    "Escorts",
    "SupplyStep",
    "Source",
    "ScheduledConvoy",
    "ThreatRule",
    "ThreatPhase",
    "Deterrence",
    "AmbushEffects",
    "IedEffects",
    "Threats",
    "ScheduledClosure",
    "RandomClosure",
    "Closures",
    "Observations",
    "Prior",
    "UncertainParameter",
    "Uncertainty",
]


def _to_datetime(value: object) -> object:
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


Timestamp = Annotated[dt.datetime, BeforeValidator(_to_datetime)]
NonNeg = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
Share = Annotated[float, Field(ge=0, le=1)]
NodeName = Annotated[str, Field(min_length=1)]
EdgeRef = tuple[NodeName, NodeName]


class _Strict(BaseModel):
    """Base of every schema block: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------------------------
# Shared building blocks
# --------------------------------------------------------------------------------------------


class Duration(_Strict):
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


# --------------------------------------------------------------------------------------------
# Destination
# --------------------------------------------------------------------------------------------


class RationingTier(_Strict):
    """Below ``below_cover_days`` of stock cover, demand is cut by ``demand_cut_share``."""

    below_cover_days: Positive = Field(
        description="Days of cover (stock / unrationed daily demand) under which the tier applies."
    )
    demand_cut_share: Share = Field(description="Share of the day's demand that is not served.")


class DemandStep(_Strict):
    """From ``start`` on, the unrationed daily demand is ``demand_l_per_day``."""

    start: Timestamp = Field(description="Date from which this demand applies.")
    demand_l_per_day: NonNeg = Field(description="Unrationed demand in litres per day.")


class Destination(_Strict):
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


# --------------------------------------------------------------------------------------------
# Network
# --------------------------------------------------------------------------------------------


class NodeSpec(_Strict):
    """A place on the network."""

    name: NodeName = Field(description="Unique node name.")
    lat: float = Field(ge=-90, le=90, description="Latitude, degrees WGS84.")
    lon: float = Field(ge=-180, le=180, description="Longitude, degrees WGS84.")
    country: str = Field("", description="ISO 3166 alpha-2 country code.")
    role: str = Field("town", description="Free-text role (port, border post, staging, depot, ...).")
    region: str | None = Field(
        None, description="Threat region label; defaults to the node's country."
    )


class NodeOverride(_Strict):
    """Attributes to change on an existing node (unset fields keep their value)."""

    lat: float | None = Field(None, ge=-90, le=90, description="Latitude, degrees.")
    lon: float | None = Field(None, ge=-180, le=180, description="Longitude, degrees.")
    country: str | None = Field(None, description="ISO country code.")
    role: str | None = Field(None, description="Free-text role.")
    region: str | None = Field(None, description="Threat region label.")


class EdgeSpec(_Strict):
    """A road segment (undirected)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: NodeName = Field(alias="from", description="One end of the segment.")
    to: NodeName = Field(description="The other end of the segment.")
    length_km: Positive = Field(description="Road length in km.")
    speed_kmh: Positive | None = Field(
        None, description="Convoy speed on this segment in km/h; default network.default_speed_kmh."
    )
    road: str = Field("", description="Road number, e.g. 'RN7'.")
    corridor: str = Field("", description="Corridor label, e.g. 'A', 'B-west'.")
    region: str | None = Field(
        None, description="Threat region label; defaults to the country of the 'to' node."
    )


class EdgeOverride(_Strict):
    """Attributes to change on an existing edge (unset fields keep their value)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: NodeName = Field(alias="from", description="One end of the segment.")
    to: NodeName = Field(description="The other end of the segment.")
    length_km: Positive | None = Field(None, description="Road length in km.")
    speed_kmh: Positive | None = Field(None, description="Convoy speed in km/h.")
    road: str | None = Field(None, description="Road number.")
    corridor: str | None = Field(None, description="Corridor label.")
    region: str | None = Field(None, description="Threat region label.")


class NetworkSpec(_Strict):
    """Where the graph comes from and how the scenario changes it.

    Exactly one base: the built-in network (``builtin``), node/edge CSV files, a GraphML file or
    a GeoJSON file. Changes apply in this order: remove edges, remove nodes, add nodes, add
    edges, node overrides, edge overrides.
    """

    builtin: Literal["mali"] | None = Field(
        "mali",
        description="Name of a network shipped with corridorsim; omit it when a file is given "
        "(an extending file whose base names a builtin sets it to null).",
    )
    nodes_csv: str | None = Field(
        None, description="Node table (name/node, lat, lon, country, role[, region])."
    )
    edges_csv: str | None = Field(
        None, description="Edge table (from, to, length_km or road_km[, speed_kmh, road, corridor])."
    )
    graphml: str | None = Field(None, description="GraphML file (networkx or osmnx).")
    geojson: str | None = Field(
        None, description="GeoJSON: Point features are nodes, LineString features are edges."
    )
    default_speed_kmh: Positive = Field(
        10.0,
        description="Effective convoy speed in km/h (moving time and overnight stops) on edges "
        "without speed_kmh.",
    )
    remove_edges: tuple[EdgeRef, ...] = Field((), description="Edges to delete, as [from, to].")
    remove_nodes: tuple[NodeName, ...] = Field(
        (), description="Nodes to delete (with their edges)."
    )
    add_nodes: tuple[NodeSpec, ...] = Field((), description="Nodes to add.")
    add_edges: tuple[EdgeSpec, ...] = Field((), description="Edges to add.")
    node_overrides: dict[NodeName, NodeOverride] = Field(
        default_factory=dict, description="Attribute changes by node name."
    )
    edge_overrides: tuple[EdgeOverride, ...] = Field((), description="Attribute changes by edge.")

    @model_validator(mode="before")
    @classmethod
    def _files_without_builtin(cls, data: object) -> object:
        """Files given and ``builtin`` absent mean "no built-in network".

        ``extends`` turns ``builtin: null`` into an absent key (back to the default ``mali``),
        so without this an extending file could not switch from the built-in network to files.
        """
        files = ("nodes_csv", "edges_csv", "graphml", "geojson")
        if isinstance(data, dict) and "builtin" not in data and any(data.get(k) for k in files):
            return {**data, "builtin": None}
        return data

    @model_validator(mode="after")
    def _one_base(self) -> NetworkSpec:
        files = [
            k for k in ("nodes_csv", "edges_csv", "graphml", "geojson") if getattr(self, k)
        ]
        if self.builtin is not None and files:
            raise ValueError(
                f"give either builtin or files, not both (builtin={self.builtin!r}, "
                f"files: {', '.join(files)}); set builtin: null to load files"
            )
        if self.builtin is None:
            csv = bool(self.nodes_csv) + bool(self.edges_csv)
            if csv == 1:
                raise ValueError("nodes_csv and edges_csv must be given together")
            n_bases = (csv == 2) + bool(self.graphml) + bool(self.geojson)
            if n_bases != 1:
                raise ValueError(
                    "expected exactly one network source: builtin, nodes_csv+edges_csv, "
                    f"graphml or geojson (got {n_bases})"
                )
        return self


class Routing(_Strict):
    """How convoys choose their path."""

    policy: Literal["fastest", "least_loss", "fixed"] = Field(
        "fastest",
        description="fastest: least travel time; least_loss: least expected share of cargo lost "
        "(threat-weighted, base rates); fixed: every movement must have a via list (checked "
        "on loading) and follows the fastest path through it.",
    )
    via: dict[NodeName, tuple[NodeName, ...]] = Field(
        default_factory=dict,
        description="Per origin node, the nodes a route must pass in order (policy fixed, or any "
        "policy to force a path).",
    )
    loss_time_weight_per_h: NonNeg = Field(
        1e-4,
        description="least_loss only: weight of one hour of travel against a share of 1 of "
        "cargo lost (tie-breaker between equally safe paths).",
    )


# --------------------------------------------------------------------------------------------
# Staging, escorts, supply
# --------------------------------------------------------------------------------------------


class Checkpoint(_Strict):
    """A border post, customs office or checkpoint where every loaded movement stops."""

    node: NodeName = Field(description="Node of the checkpoint.")
    fixed_delay_h: NonNeg = Field(0.0, description="Fixed stop in hours.")
    random_wait: Duration | None = Field(None, description="Additional random wait.")


class StagingPoint(_Strict):
    """A node where tankers gather and leave as an escorted convoy."""

    node: NodeName = Field(description="Node where convoys form.")
    min_tankers: int = Field(1, ge=1, description="A convoy leaves once this many wait.")
    max_tankers: int = Field(10_000, ge=1, description="Largest convoy; the rest wait.")
    max_wait_h: NonNeg = Field(
        72.0, description="A convoy leaves when its first tanker has waited this long."
    )
    tankers_per_escort_unit: Positive = Field(
        25.0, description="Escort units needed = ceil(tankers / this)."
    )
    max_escort_units: int | None = Field(None, ge=0, description="Cap on units per convoy.")
    escort_base: str | None = Field(
        None, description="Name of the escort base serving this point (default: the nearest)."
    )
    escort_policy: Literal["wait", "available", "none"] = Field(
        "wait",
        description="wait: leave only with the full escort; available: leave with whatever "
        "units are free now (maybe none); none: never escorted.",
    )
    regroup_delay_h: NonNeg = Field(
        24.0, description="Stop after a convoy turned back here, before it sets off again."
    )

    @model_validator(mode="after")
    def _sizes(self) -> StagingPoint:
        if self.max_tankers < self.min_tankers:
            raise ValueError(
                f"max_tankers ({self.max_tankers}) must be >= min_tankers ({self.min_tankers})"
            )
        return self


class EscortBase(_Strict):
    """A pool of escort units stationed at a node."""

    name: str = Field(min_length=1, description="Unique base name.")
    node: NodeName = Field(description="Node where the units are based.")
    units: int = Field(ge=0, description="Number of escort units (platoons, sections, ...).")
    replacement_delay_h: NonNeg = Field(
        720.0, description="Time to replace a unit lost in an attack, hours."
    )


class Escorts(_Strict):
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


class SupplyStep(_Strict):
    """From ``start`` on, the source loads ``tankers_per_day``."""

    start: Timestamp = Field(description="Date from which the rate applies.")
    tankers_per_day: NonNeg = Field(description="Loading rate, tankers per day.")


class Source(_Strict):
    """A loading point (port, depot) releasing loaded tankers."""

    name: str = Field(min_length=1, description="Unique source name (used in results).")
    node: NodeName = Field(description="Node where tankers load.")
    staging: NodeName | None = Field(
        None,
        description="Staging node where its tankers join escorted convoys; null = tankers "
        "drive to the destination in unescorted daily batches.",
    )
    tankers_per_day: NonNeg = Field(0.0, description="Loading rate, tankers per day.")
    schedule: tuple[SupplyStep, ...] = Field(
        (), description="Rate changes over time (dates ascending)."
    )
    release: Literal["deterministic", "poisson"] = Field(
        "deterministic",
        description="deterministic: rate x interval with fractions carried over; poisson: "
        "Poisson counts with that mean.",
    )
    release_interval_h: Positive = Field(24.0, description="Time between releases, hours.")
    payload_l: int = Field(45_000, gt=0, description="Litres per loaded tanker.")
    fleet_tankers: int | None = Field(
        None,
        ge=0,
        description="Finite fleet: tankers return empty and reload; burned tankers are gone. "
        "null = unlimited.",
    )
    turnaround_h: NonNeg = Field(
        24.0, description="Unloading and reloading time of a fleet tanker, hours."
    )
    via: tuple[NodeName, ...] | None = Field(
        None, description="Nodes the tankers' route must pass, in order."
    )

    @field_validator("schedule")
    @classmethod
    def _ascending(cls, steps: tuple[SupplyStep, ...]) -> tuple[SupplyStep, ...]:
        for a, b in zip(steps, steps[1:]):
            if b.start <= a.start:
                raise ValueError(f"dates must ascend, but {b.start} follows {a.start}")
        return steps


class ScheduledConvoy(_Strict):
    """A convoy that leaves a given node at a given time (e.g. a relief convoy)."""

    name: str = Field(min_length=1, description="Convoy name (used in results).")
    depart: Timestamp = Field(description="Departure date/time (before escort waits).")
    origin: NodeName = Field(description="Node the convoy leaves from.")
    tankers: int = Field(ge=1, description="Number of loaded tankers.")
    payload_l: int = Field(gt=0, description="Litres per tanker.")
    escort_units: int = Field(0, ge=0, description="Escort units the convoy travels with.")
    escort_base: str | None = Field(
        None,
        description="Base the escort is drawn from (the convoy waits for it); null = a "
        "dedicated escort outside the pools.",
    )
    via: tuple[NodeName, ...] | None = Field(
        None, description="Nodes the route must pass, in order."
    )


# --------------------------------------------------------------------------------------------
# Threats
# --------------------------------------------------------------------------------------------


class ThreatRule(_Strict):
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


class ThreatPhase(_Strict):
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


class Deterrence(_Strict):
    """How escort strength reduces attack rates and ambush losses.

    With escort strength ``s`` = escort units per 10 tankers,
    ``rate factor = rate_floor + (1 - rate_floor) * exp(-s / rate_scale)`` and
    ``loss factor = loss_floor + (1 - loss_floor) * exp(-s / loss_scale)``.
    """

    rate_floor: Share = Field(0.5, description="Rate factor under an unlimited escort.")
    rate_scale: Positive = Field(1.0, description="Strength at which the rate effect is 63% done.")
    loss_floor: Share = Field(0.3, description="Loss factor under an unlimited escort.")
    loss_scale: Positive = Field(1.0, description="Strength at which the loss effect is 63% done.")


class AmbushEffects(_Strict):
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
        description="Probability that the convoy drives back to the last stop it passed (its "
        "origin, a staging point or a checkpoint) and sets off again after regroup_delay_h.",
    )


class IedEffects(_Strict):
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


class Threats(_Strict):
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


# --------------------------------------------------------------------------------------------
# Closures
# --------------------------------------------------------------------------------------------


class _ClosureTarget(_Strict):
    edge: EdgeRef | None = Field(None, description="Edge closed, as [from, to].")
    node: NodeName | None = Field(None, description="Node closed (all its edges).")

    @model_validator(mode="after")
    def _one_target(self):
        if (self.edge is None) == (self.node is None):
            raise ValueError("give exactly one of edge or node")
        return self


class ScheduledClosure(_ClosureTarget):
    """A closure known in advance (a bridge down, a town besieged)."""

    name: str = Field("", description="Label used in results.")
    start: Timestamp = Field(description="Closure start.")
    end: Timestamp | None = Field(None, description="Reopening; null = stays closed.")

    @model_validator(mode="after")
    def _order(self):
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class RandomClosure(_ClosureTarget):
    """Closures that strike at random (e.g. an outpost falls), a Poisson process in time."""

    name: str = Field("", description="Label used in results.")
    rate_per_day: NonNeg = Field(description="Closures per day while open.")
    duration: Duration = Field(description="How long each closure lasts.")


class Closures(_Strict):
    """Road and node closures."""

    scheduled: tuple[ScheduledClosure, ...] = Field((), description="Known closures.")
    random: tuple[RandomClosure, ...] = Field((), description="Random closures.")


# --------------------------------------------------------------------------------------------
# Parameter uncertainty
# --------------------------------------------------------------------------------------------


class Prior(_Strict):
    """A distribution of an uncertain parameter value.

    ``uniform`` on [low, high]; ``loguniform`` on [low, high] (both > 0); ``normal`` with
    ``mean`` and ``sd``, truncated to [low, high] when given; ``beta`` with shapes ``a``, ``b``
    scaled to [low, high] (default [0, 1]); ``triangular`` on [low, high] with ``mode``.
    """

    dist: Literal["uniform", "loguniform", "normal", "beta", "triangular"] = Field(
        description="Distribution family."
    )
    low: float | None = Field(None, description="Lower bound (uniform, loguniform, beta, "
                                                "triangular; truncation for normal).")
    high: float | None = Field(None, description="Upper bound.")
    mean: float | None = Field(None, description="Mean (normal).")
    sd: Positive | None = Field(None, description="Standard deviation (normal).")
    a: Positive | None = Field(None, description="First shape (beta).")
    b: Positive | None = Field(None, description="Second shape (beta).")
    mode: float | None = Field(None, description="Mode (triangular).")
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


class UncertainParameter(_Strict):
    """A scenario value drawn per replication (second-order Monte Carlo)."""

    path: str = Field(min_length=1, description="Dotted path of the value, e.g. "
                                                "'threats.ambush_multiplier'.")
    prior: Prior = Field(description="Its distribution.")


class Uncertainty(_Strict):
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


# --------------------------------------------------------------------------------------------
# Observations
# --------------------------------------------------------------------------------------------


class Observations(_Strict):
    """Observed data to show beside the simulation (plots, reports, hindcasts)."""

    deliveries_csv: str | None = Field(
        None, description="Observed arrivals at the destination: date, tankers, litres, ... "
        "(relative to the scenario file)."
    )
    incidents_csv: str | None = Field(
        None, description="Observed attacks in ACLED-like columns: event_date, event_type, "
        "latitude, longitude, ... (relative to the scenario file)."
    )
    source: str = Field("", description="Citation of the observed data.")


# --------------------------------------------------------------------------------------------
# The scenario
# --------------------------------------------------------------------------------------------


class Scenario(_Strict):
    """A complete, validated scenario."""

    name: str = Field(min_length=1, description="Short scenario name.")
    description: str = Field("", description="The question the scenario answers.")
    sources_of_numbers: tuple[str, ...] = Field(
        (), description="References for the parameter values (free text or URLs)."
    )
    start: Timestamp = Field(description="Scenario start (hour 0 of the engine).")
    end: Timestamp = Field(description="Scenario end (horizon).")
    seed: int = Field(
        0, ge=0, description="Default root seed; the command line's --seed overrides it."
    )
    replications: int = Field(
        100, ge=1, description="Default number of replications; --replications overrides it."
    )
    destination: Destination = Field(description="The destination and its stock.")
    network: NetworkSpec = Field(NetworkSpec(), description="The corridor graph.")
    routing: Routing = Field(Routing(), description="Route choice.")
    checkpoints: tuple[Checkpoint, ...] = Field((), description="Stops with waits.")
    staging: tuple[StagingPoint, ...] = Field((), description="Convoy formation points.")
    escorts: Escorts = Field(Escorts(), description="Escort pools.")
    sources: tuple[Source, ...] = Field((), description="Loading points.")
    convoys: tuple[ScheduledConvoy, ...] = Field((), description="Scheduled convoys.")
    threats: Threats = Field(Threats(), description="Attack hazards and effects.")
    closures: Closures = Field(Closures(), description="Road and node closures.")
    observations: Observations = Field(
        Observations(), description="Observed data for plots and reports (not used by the model)."
    )
    uncertainty: Uncertainty = Field(
        Uncertainty(), description="Parameters drawn per replication (second-order Monte Carlo)."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        if not self.sources and not self.convoys:
            raise ValueError("a scenario needs at least one source or scheduled convoy")
        for kind, items in (
            ("sources", [s.name for s in self.sources]),
            ("convoys", [c.name for c in self.convoys]),
            ("staging", [s.node for s in self.staging]),
            ("checkpoints", [c.node for c in self.checkpoints]),
        ):
            dup = sorted({n for n in items if items.count(n) > 1})
            if dup:
                raise ValueError(f"{kind}: duplicate names {dup}")
        return self

    def hours(self, when: dt.datetime) -> float:
        """Hours from :attr:`start` to ``when``."""
        return (when - self.start).total_seconds() / 3600.0

    @property
    def horizon_h(self) -> float:
        """Length of the simulated period in hours."""
        return self.hours(self.end)

    @property
    def days(self) -> int:
        """Number of (possibly partial) days simulated."""
        return int(-(-self.horizon_h // 24))

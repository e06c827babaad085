"""The network block: built-in or file network, node and edge edits, and routing policy.
"""

from __future__ import annotations

from typing import Literal

from pydantic import (
    ConfigDict,
    Field,
    model_validator,
)

from .fields import EdgeRef, LengthKm, NodeName, NonNeg, SpeedKmh, StrictModel


class NodeSpec(StrictModel):
    """A place on the network."""

    name: NodeName = Field(description="Unique node name.")
    lat: float = Field(ge=-90, le=90, description="Latitude, degrees WGS84.")
    lon: float = Field(ge=-180, le=180, description="Longitude, degrees WGS84.")
    country: str = Field("", description="ISO 3166 alpha-2 country code.")
    role: str = Field("town", description="Free-text role (port, border post, staging, depot, ...).")
    region: str | None = Field(
        None, description="Threat region label; defaults to the node's country."
    )


class NodeOverride(StrictModel):
    """Attributes to change on an existing node (unset fields keep their value)."""

    lat: float | None = Field(None, ge=-90, le=90, description="Latitude, degrees.")
    lon: float | None = Field(None, ge=-180, le=180, description="Longitude, degrees.")
    country: str | None = Field(None, description="ISO country code.")
    role: str | None = Field(None, description="Free-text role.")
    region: str | None = Field(None, description="Threat region label.")


class EdgeSpec(StrictModel):
    """A road segment (undirected)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: NodeName = Field(alias="from", description="One end of the segment.")
    to: NodeName = Field(description="The other end of the segment.")
    length_km: LengthKm = Field(description="Road length in km.")
    speed_kmh: SpeedKmh | None = Field(
        None, description="Convoy speed on this segment in km/h; default network.default_speed_kmh."
    )
    road: str = Field("", description="Road number, e.g. 'RN7'.")
    corridor: str = Field("", description="Corridor label, e.g. 'A', 'B-west'.")
    region: str | None = Field(
        None, description="Threat region label; defaults to the country of the 'to' node."
    )


class EdgeOverride(StrictModel):
    """Attributes to change on an existing edge (unset fields keep their value)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: NodeName = Field(alias="from", description="One end of the segment.")
    to: NodeName = Field(description="The other end of the segment.")
    length_km: LengthKm | None = Field(None, description="Road length in km.")
    speed_kmh: SpeedKmh | None = Field(None, description="Convoy speed in km/h.")
    road: str | None = Field(None, description="Road number.")
    corridor: str | None = Field(None, description="Corridor label.")
    region: str | None = Field(None, description="Threat region label.")


class NetworkSpec(StrictModel):
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
    default_speed_kmh: SpeedKmh = Field(
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


class Routing(StrictModel):
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

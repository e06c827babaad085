"""The layers of a GIS export, built from a run's (or one sweep point's) tables.

Layers (coordinates are WGS 84 longitude/latitude, degrees):

``routes`` (LineString per network edge, node to node)
    ``edge_from, edge_to, corridor, region, road, length_km``; traffic per replication (means
    over the replications): ``convoys`` (movements whose route uses the edge; routes as planned,
    see :func:`corridorsim.viz.maps.edge_metrics`), ``tankers`` (tankers those movements set out
    with), ``ambushes``, ``ieds``, ``attacks``, ``tankers_lost``, ``litres_lost``; and
    ``loss_rate_per_1000km`` (tankers lost per 1000 convoy-km, all replications).
``attacks`` (Point per simulated ambush or IED, all replications)
    ``replication, datetime, kind, convoy, corridor, edge_from, edge_to, tankers_destroyed,
    litres_destroyed, escort_units_lost``.
``incidents`` (Point per observed incident; only when the scenario names an incident file
    that exists here)
    the incident file's columns, its attack classification and the edge it was matched to.
``destinations`` (Point per destination)
    ``node``, means of ``delivered_l``, ``unmet_l``, ``final_stock_l``, ``days_at_zero``,
    ``p_stockout`` with its 95 % Wilson interval, and the median ``first_stockout_date``; with
    several destinations one point each (from the run's destinations table), with its ``name``
    and whether it is the ``focus``.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ..errors import OutputError
from ..experiments.metrics import day_date, key_metrics
from ..experiments.statistics import proportion_interval
from ..scenario.network import build_network, edge_key

__all__ = ["Feature", "Layer", "gis_layers", "LAYERS"]

#: Layer names in writing order.
LAYERS = ("routes", "attacks", "incidents", "destinations")
_ATTACKS = ("ambush", "ied")


class Feature(NamedTuple):
    """A GeoJSON geometry (``{"type": ..., "coordinates": ...}``) and its properties."""

    geometry: dict[str, Any]
    properties: dict[str, Any]


class Layer(NamedTuple):
    """Features of one geometry type."""

    name: str
    geometry_type: str
    features: list[Feature]


def _plain(value: Any) -> Any:
    """A property value as JSON has it: numpy scalars as Python numbers, missing as None,
    timestamps as ISO text."""
    if value is None:
        return None
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date, np.datetime64)):
        if pd.isna(value):
            return None
        ts = pd.Timestamp(value)
        return ts.date().isoformat() if ts == ts.normalize() else ts.isoformat(timespec="minutes")
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [float(lon), float(lat)]}


def _routes(graph: Any, events: pd.DataFrame, convoys: pd.DataFrame, n: int) -> Layer:
    from ..viz.maps import edge_metrics

    em = edge_metrics(graph, events, convoys, replications=n)
    rows = {edge_key(r["a"], r["b"]): r for r in em.to_dict(orient="records")}
    tankers = dict.fromkeys(rows, 0.0)
    moved = convoys[np.isfinite(pd.to_numeric(convoys["depart_h"], errors="coerce"))]
    for route, start in moved.groupby(moved["route"].astype(str))["tankers_start"].sum().items():
        nodes = route.split(">")
        for u, v in zip(nodes, nodes[1:]):
            if edge_key(u, v) in tankers:
                tankers[edge_key(u, v)] += float(start)
    att = events[events["kind"].isin(_ATTACKS)]
    keys = [edge_key(u, v) for u, v in zip(att["edge_from"].astype(str), att["edge_to"].astype(str))]
    counts: dict[tuple, dict[str, float]] = {}
    for k, kind, litres in zip(keys, att["kind"], att["litres_destroyed"].astype(float)):
        c = counts.setdefault(k, {"ambush": 0.0, "ied": 0.0, "litres": 0.0})
        c[kind] += 1
        c["litres"] += litres
    features = []
    for a, b, d in graph.edges(data=True):
        k = edge_key(a, b)
        row = rows[k]
        c = counts.get(k, {"ambush": 0.0, "ied": 0.0, "litres": 0.0})
        amb, ied = c["ambush"], c["ied"]
        props = {
            "edge_from": row["a"], "edge_to": row["b"], "corridor": d.get("corridor", ""),
            "region": d.get("region", ""), "road": d.get("road", ""),
            "length_km": float(d.get("length_km", np.nan)),
            "convoys": float(row["traffic"]), "tankers": tankers[k] / n,
            "ambushes": amb / n, "ieds": ied / n, "attacks": (amb + ied) / n,
            "tankers_lost": float(row["tankers_lost"]) / n,
            "litres_lost": c["litres"] / n,
            "loss_rate_per_1000km": row["loss_rate"],
        }
        na, nb = graph.nodes[row["a"]], graph.nodes[row["b"]]
        geom = {"type": "LineString", "coordinates": [[float(na["lon"]), float(na["lat"])],
                                                      [float(nb["lon"]), float(nb["lat"])]]}
        features.append(Feature(geom, {k2: _plain(v) for k2, v in props.items()}))
    return Layer("routes", "LineString", features)


def _attacks(events: pd.DataFrame) -> Layer:
    att = events[events["kind"].isin(_ATTACKS)]
    cols = ["replication", "datetime", "kind", "convoy", "corridor", "edge_from", "edge_to",
            "tankers_destroyed", "litres_destroyed", "escort_units_lost"]
    features = [Feature(_point(r["lon"], r["lat"]), {c: _plain(r[c]) for c in cols if c in r})
                for r in att.to_dict(orient="records")
                if np.isfinite(r["lat"]) and np.isfinite(r["lon"])]
    return Layer("attacks", "Point", features)


def _incidents(scenario: Any) -> Layer | None:
    from ..observed.incidents import incident_table

    path = scenario.observations.incidents_csv
    if path is None:
        return None
    from pathlib import Path

    if not Path(str(path)).is_file():
        return None  # a run made on another machine: no observed layer (the CLI says so)
    table = incident_table(path, scenario)
    features = [Feature(_point(r["longitude"], r["latitude"]),
                        {k: _plain(v) for k, v in r.items() if k not in ("latitude", "longitude")})
                for r in table.to_dict(orient="records")]
    return Layer("incidents", "Point", features)


def _each_destination(scenario: Any, graph: Any, table: pd.DataFrame) -> Layer:
    """One point per destination of a several-destination run (its destinations table)."""
    start = scenario.start
    focus = scenario.destination.label
    features = []
    for dest in scenario.destinations:
        rows = table[table["destination"] == dest.label]
        first = rows["first_stockout_day"].to_numpy(dtype=float)
        dry = first[np.isfinite(first)]
        p = proportion_interval(len(dry), len(rows))
        props = {
            "name": dest.label,
            "node": dest.node,
            "focus": dest.label == focus,
            "replications": len(rows),
            **{col: float(rows[col].mean()) for col in
               ("delivered_l", "unmet_l", "final_stock_l", "days_at_zero")},
            "p_stockout": p.estimate,
            "p_stockout_ci95_low": p.low,
            "p_stockout_ci95_high": p.high,
            "first_stockout_date": day_date(np.median(dry), start) if len(dry) else None,
        }
        attrs = graph.nodes[dest.node]
        features.append(Feature(_point(attrs["lon"], attrs["lat"]),
                                {k: _plain(v) for k, v in props.items()}))
    return Layer("destinations", "Point", features)


def _destinations(scenario: Any, graph: Any, summary: pd.DataFrame,
                  table: pd.DataFrame | None = None) -> Layer:
    if len(scenario.destinations) > 1 and table is not None and len(table):
        return _each_destination(scenario, graph, table)
    m = key_metrics(summary).set_index("metric")
    first = summary["first_stockout_day"].to_numpy(dtype=float)
    first = first[np.isfinite(first)]
    start = scenario.start
    node = scenario.destination.node
    props = {
        "node": node,
        "replications": len(summary),
        "delivered_l": m.loc["delivered_l", "mean"],
        "unmet_l": m.loc["unmet_l", "mean"],
        "final_stock_l": m.loc["final_stock_l", "mean"],
        "days_at_zero": m.loc["days_at_zero", "mean"],
        "p_stockout": m.loc["p_stockout", "mean"],
        "p_stockout_ci95_low": m.loc["p_stockout", "ci95_low"],
        "p_stockout_ci95_high": m.loc["p_stockout", "ci95_high"],
        "first_stockout_date": day_date(np.median(first), start) if len(first) else None,
    }
    attrs = graph.nodes[node]
    return Layer("destinations", "Point", [Feature(_point(attrs["lon"], attrs["lat"]),
                                                   {k: _plain(v) for k, v in props.items()})])


def gis_layers(result: Any, point: int | None = None) -> dict[str, Layer]:
    """The GIS layers of a run or of one point of a sweep.

    Parameters
    ----------
    result : RunResult or SweepResult
        A run (:func:`corridorsim.simulate` or :func:`corridorsim.read_run`) or a sweep
        (:func:`corridorsim.read_sweep`; it must have kept its ``events`` and ``convoys``).
    point : int, optional
        The sweep point [default: the sweep's reference point]; not for runs.

    Returns
    -------
    dict
        Layer name -> :class:`Layer`, in :data:`LAYERS` order (``incidents`` only when the
        scenario names an incident file).

    Raises
    ------
    OutputError
        A sweep without kept events and convoys, or an unknown point.
    """
    if hasattr(result, "tables") and hasattr(result, "points"):  # a SweepResult
        missing = [t for t in ("events", "convoys") if t not in result.tables]
        if missing:
            raise OutputError(f"{result.root}: the sweep kept no {' or '.join(missing)} table; "
                              "add 'keep: [events, convoys]' to the sweep file to export it")
        p = result.reference if point is None else int(point)
        if p not in result.points.index:
            raise OutputError(f"point {p} is not a point of the sweep (0..{len(result.points) - 1})")
        scenario = result.scenario(p)
        pick = {t: result.tables[t] for t in ("events", "convoys", "summary")}
        events, convoys, summary = (df[df["point"] == p] for df in pick.values())
        destinations = (result.tables["destinations"].query("point == @p")
                        if "destinations" in result.tables else None)
        n = int(summary["replication"].nunique())
    else:
        if point is not None:
            raise OutputError("--point applies to sweeps, not to runs")
        scenario, events, convoys, summary = result.scenario, result.events, result.convoys, result.summary
        destinations = getattr(result.tables, "destinations", None)
        n = int(result.replications)
    graph = build_network(scenario)
    layers = {"routes": _routes(graph, events, convoys, max(1, n)), "attacks": _attacks(events)}
    incidents = _incidents(scenario)
    if incidents is not None:
        layers["incidents"] = incidents
    layers["destinations"] = _destinations(scenario, graph, summary, destinations)
    return layers

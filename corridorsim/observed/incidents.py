"""Observed conflict events: reading, classifying and placing them on the corridor network.

The calibration of threat rates (:mod:`corridorsim.observed.rates`) needs the observed attacks as counts
per edge, corridor or region. This module turns a conflict-event CSV file in ACLED's export
layout into such a table in three steps:

1. :func:`read_incidents` parses and checks the file. Every bad row is reported with its line
   number; nothing is dropped silently.
2. :func:`classify` adds ``attack_kind``: ``"ambush"``, ``"ied"``, ``"closure"`` or ``"other"``.
3. :func:`match_to_network` places each event on the network: on the nearest edge within a
   buffer (edge level), on a threat region only (region-level events), or nowhere.

:func:`incident_table` does all three for a scenario's network. :func:`format_incident_table`,
:func:`write_table_csv` and :func:`corridorsim.viz.incident_map.plot_incident_map` are the pieces of the ``incidents``
command.

Geometry
--------
Edges are straight segments between their end nodes (the network has no road geometry). The
distance of an event to an edge is the great-circle distance from the event to its foot point
on the segment; the foot point is found by projecting the event on the segment in a local
equirectangular frame centred on the event (``x = R cos(lat0) dlon``, ``y = R dlat``), which is
exact to well under 1 % for segments of a few hundred km at these latitudes.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import networkx as nx
import numpy as np
import pandas as pd

from ..atomic import atomic_write
from ..errors import ScenarioError
from ..scenario.geo import EARTH_RADIUS_KM
from ..scenario.network import edge_key
from .text_table import format_text_table

__all__ = [
    "IncidentDataError",
    "ATTACK_KINDS",
    "read_incidents",
    "classify",
    "match_to_network",
    "incident_table",
    "format_incident_table",
    "write_table_csv",
]

#: Values of the ``attack_kind`` column.
ATTACK_KINDS = ("ambush", "ied", "closure", "other")

#: Columns every incident file must have (plus ``event_id_cnty`` or ``event_id``).
REQUIRED_COLUMNS = ("event_date", "event_type", "latitude", "longitude")
#: Text columns of ACLED's layout, kept as strings ("" when absent).
TEXT_COLUMNS = ("event_type", "sub_event_type", "actor1", "admin1", "location", "notes", "source")
#: Numeric columns: blank = missing (NaN), anything else must be a number >= 0.
NUMBER_COLUMNS = ("fatalities", "tankers_destroyed", "tankers_destroyed_low",
                  "tankers_destroyed_high", "convoy_size")
#: Yes/no columns: blank = unknown.
FLAG_COLUMNS = ("escorted",)

_DATE_FORMATS = ("%d %B %Y", "%d %b %Y", "%d-%b-%Y", "%d-%B-%Y", "%d-%b-%y", "%B %d, %Y",
                 "%b %d, %Y", "%Y/%m/%d")
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}
_MAX_LISTED = 25


class IncidentDataError(ScenarioError):
    """An incident file has bad rows; :attr:`problems` lists them as ``"line N: ..."``."""

    def __init__(self, problems: list[str], file: str | None = None):
        self.problems = list(problems)
        shown = "; ".join(self.problems[:_MAX_LISTED])
        more = len(self.problems) - _MAX_LISTED
        if more > 0:
            shown += f"; ... and {more} more"
        n = len(self.problems)
        super().__init__("", f"{n} bad row{'s' if n != 1 else ''}: {shown}", file)


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def _parse_date(text: str) -> dt.datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
        return value.replace(tzinfo=None)
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _parse_float(text: str) -> float | None:
    try:
        x = float(text)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def read_incidents(
    path: str | os.PathLike,
    on_error: Literal["raise", "report"] = "raise",
) -> pd.DataFrame | tuple[pd.DataFrame, list[str]]:
    """Read a conflict-event CSV file in ACLED's export layout.

    Parameters
    ----------
    path : str or path-like
        CSV file (UTF-8, optionally with a byte-order mark). Columns: ``event_id_cnty`` or
        ``event_id``, ``event_date``, ``event_type``, ``latitude``, ``longitude`` (required);
        ``sub_event_type``, ``actor1``, ``admin1``, ``location``, ``geo_precision`` (1 = town,
        2 = near / between places, 3 = region; 1 if the column is absent), ``fatalities``,
        ``notes`` (optional); any other column is kept as text, except the numeric columns
        ``tankers_destroyed``, ``tankers_destroyed_low``, ``tankers_destroyed_high``,
        ``convoy_size`` and the yes/no column ``escorted``, which are parsed when present.
    on_error : {"raise", "report"}
        ``"raise"``: any bad row raises :class:`IncidentDataError`. ``"report"``: bad rows are
        left out of the table and returned as a list of messages.

    Returns
    -------
    pandas.DataFrame or (pandas.DataFrame, list of str)
        One row per event: ``event_id``, ``event_date`` (datetime64, a day in ACLED data),
        ``event_type``, ``sub_event_type``, ``actor1``, ``admin1``, ``location``,
        ``latitude``, ``longitude`` (degrees), ``geo_precision`` (int), ``fatalities`` (float,
        NaN if blank), ``notes``, the extra columns, and ``line`` (the line of the file the row
        starts on). With ``on_error="report"`` also the problems, e.g.
        ``"line 7: latitude 'abc' is not a number"``.

    Raises
    ------
    ScenarioError
        The file is missing, unreadable, empty or lacks a required column.
    IncidentDataError
        (``on_error="raise"``) Rows with an unparseable date (ISO ``2025-09-03`` and ACLED's
        ``03 September 2025`` styles are understood), a missing or out-of-range latitude or
        longitude, a ``geo_precision`` not in 1..3, a non-numeric or negative number, a flag
        other than yes/no, a duplicate event id or the wrong number of fields. The message
        lists the lines.
    """
    if on_error not in ("raise", "report"):
        raise ValueError(f"on_error must be 'raise' or 'report', got {on_error!r}")
    file = str(path)
    try:
        handle = open(path, encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise ScenarioError("", "incident file not found", file) from None
    except OSError as exc:
        raise ScenarioError("", f"cannot read incident file ({exc.strerror})", file) from None
    rows: list[tuple[int, list[str]]] = []
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise ScenarioError("", "incident file is empty: expected a header row", file) from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ScenarioError("", f"line 1: cannot parse the header ({exc})", file) from None
        last = reader.line_num
        try:
            for fields in reader:
                rows.append((last + 1, fields))
                last = reader.line_num
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ScenarioError("", f"line {last + 1}: cannot parse the file ({exc})", file) from None
    header = [h.strip() for h in header]
    id_col = next((c for c in ("event_id_cnty", "event_id") if c in header), None)
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if id_col is None:
        missing.insert(0, "event_id_cnty or event_id")
    if missing:
        raise ScenarioError("", f"line 1: missing column(s) {', '.join(missing)}; found: "
                                f"{', '.join(header)}", file)
    dup_cols = sorted({h for h in header if header.count(h) > 1})
    if dup_cols:
        raise ScenarioError("", f"line 1: duplicate column(s) {', '.join(dup_cols)}", file)

    problems: list[str] = []
    records: list[dict] = []
    seen_ids: dict[str, int] = {}
    for line, fields in rows:
        if not fields or all(not f.strip() for f in fields):
            continue  # blank line
        if len(fields) != len(header):
            problems.append(f"line {line}: expected {len(header)} fields, got {len(fields)}")
            continue
        raw = {h: f.strip() for h, f in zip(header, fields)}
        bad: list[str] = []
        rec: dict = {"line": line}
        event_id = raw[id_col]
        if not event_id:
            bad.append(f"{id_col} is missing")
        elif event_id in seen_ids:
            bad.append(f"duplicate event id {event_id!r} (first on line {seen_ids[event_id]})")
        else:
            seen_ids[event_id] = line
        rec["event_id"] = event_id
        date = _parse_date(raw["event_date"])
        if date is None:
            what = "is missing" if not raw["event_date"] else (
                f"{raw['event_date']!r} is not a date (expected e.g. 2025-09-03 or 03 September 2025)")
            bad.append(f"event_date {what}")
        rec["event_date"] = date
        for col, lim in (("latitude", 90.0), ("longitude", 180.0)):
            text = raw[col]
            x = _parse_float(text) if text else None
            if not text:
                bad.append(f"{col} is missing")
            elif x is None:
                bad.append(f"{col} {text!r} is not a number")
            elif not -lim <= x <= lim:
                bad.append(f"{col} {x:g} is out of range [-{lim:g}, {lim:g}]")
            rec[col] = x
        if "geo_precision" in raw:
            text = raw["geo_precision"]
            x = _parse_float(text) if text else None
            if x is None or x not in (1.0, 2.0, 3.0):
                bad.append(f"geo_precision {text!r} is not 1, 2 or 3")
            rec["geo_precision"] = int(x) if x in (1.0, 2.0, 3.0) else None
        else:
            rec["geo_precision"] = 1
        for col in header:
            if col in (id_col, "event_date", "latitude", "longitude", "geo_precision"):
                continue
            text = raw[col]
            if col in NUMBER_COLUMNS:
                x = _parse_float(text) if text else math.nan
                if x is None:
                    bad.append(f"{col} {text!r} is not a number")
                elif x < 0:
                    bad.append(f"{col} {x:g} is negative")
                rec[col] = x
            elif col in FLAG_COLUMNS:
                low = text.lower()
                if low in _YES:
                    rec[col] = True
                elif low in _NO:
                    rec[col] = False
                elif not low:
                    rec[col] = None
                else:
                    bad.append(f"{col} {text!r} is not yes or no")
            else:
                rec[col] = text
        if bad:
            problems.extend(f"line {line}: {b}" for b in bad)
            continue
        records.append(rec)

    if problems and on_error == "raise":
        raise IncidentDataError(problems, file)
    table = _frame(records, header, id_col)
    return (table, problems) if on_error == "report" else table


def _frame(records: list[dict], header: list[str], id_col: str) -> pd.DataFrame:
    """The incidents table with fixed leading columns and proper dtypes."""
    lead = ["event_id", "event_date", "event_type", "sub_event_type", "actor1", "admin1",
            "location", "latitude", "longitude", "geo_precision", "fatalities", "notes"]
    extra = [h for h in header if h not in lead and h not in (id_col, "event_id", "event_id_cnty")]
    df = pd.DataFrame.from_records(records, columns=[*lead, *extra, "line"])
    for col in ("event_id", *TEXT_COLUMNS):
        if col in df.columns:
            df[col] = df[col].astype(object).fillna("")
    df["event_date"] = pd.to_datetime(df["event_date"])
    for col in ("latitude", "longitude", *NUMBER_COLUMNS):
        if col in df.columns:
            df[col] = df[col].astype(float)
    df["geo_precision"] = df["geo_precision"].astype("int64")
    df["line"] = df["line"].astype("int64")
    for col in FLAG_COLUMNS:
        if col in df.columns:
            df[col] = df[col].astype("boolean")
    return df


# --------------------------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------------------------

_IED_RE = re.compile(r"remote explosive|landmine|\bIEDs?\b|improvised explosive", re.IGNORECASE)
_CLOSURE_SUB = {"non-state actor overtakes territory"}
_BLOCK_RE = re.compile(r"\bblock|roadblock|\bclos(?:ed|ure|es)\b|\bsiege\b|besieg|\bbans?\b|\bbanned\b",
                       re.IGNORECASE)
_AMBUSH_TYPES = {"battles", "violence against civilians", "strategic developments"}
_AMBUSH_SUB = {"armed clash", "attack", "looting/property destruction"}
_ROAD_RE = re.compile(
    r"convoy|tanker|truck|lorr(?:y|ies)|vehicle|\bbus(?:es)?\b|\broad|\broute|highway|\baxis\b|ambush|"
    r"escort|patrol|camion|citerne|v[ée]hicule|\baxe\b",
    re.IGNORECASE,
)


def classify(df: pd.DataFrame, require_road_context: bool = True) -> pd.DataFrame:
    """Add ``attack_kind``: what an event means for traffic on the corridors.

    The first rule that applies wins:

    1. ``"ied"``: ``sub_event_type`` is *Remote explosive/landmine/IED*, or an
       *Explosions/Remote violence* event whose notes mention an IED or a landmine.
    2. ``"closure"``: ``sub_event_type`` is *Non-state actor overtakes territory*, or a
       *Strategic developments* event whose notes speak of a blockade, a road block, a closure,
       a siege or a ban (e.g. "JNIM announces a blockade", "road blocked for several hours").
    3. ``"ambush"``: an attack on road traffic. ``event_type`` is *Battles*, *Violence against
       civilians* or *Strategic developments* with ``sub_event_type`` *Armed clash*, *Attack*
       or *Looting/property destruction*, and (with ``require_road_context``) the notes or the
       location mention road traffic: convoy, tanker, truck, vehicle, bus, road, route,
       ambush, escort, patrol (also French camion, citerne, vehicule, axe).
    4. ``"other"``: everything else (e.g. shelling, drone strikes, clashes at a base).

    Parameters
    ----------
    df : pandas.DataFrame
        From :func:`read_incidents` (``event_type``, ``sub_event_type``, ``notes``; missing
        text columns count as blank).
    require_road_context : bool
        Require a road-traffic keyword for ``"ambush"`` (default). ``False`` counts every
        armed clash, attack and looting as an ambush.

    Returns
    -------
    pandas.DataFrame
        A copy of ``df`` with the ``attack_kind`` column.
    """
    out = df.copy()

    def col(name: str) -> pd.Series:
        if name in out.columns:
            return out[name].fillna("").astype(str).str.strip()
        return pd.Series([""] * len(out), index=out.index, dtype=object)

    etype, sub, notes = col("event_type").str.lower(), col("sub_event_type"), col("notes")
    context = notes + " " + col("location")
    sub_low = sub.str.lower()
    is_ied = sub.str.contains(_IED_RE) | (
        (etype == "explosions/remote violence") & notes.str.contains(_IED_RE))
    is_closure = sub_low.isin(_CLOSURE_SUB) | (
        (etype == "strategic developments") & notes.str.contains(_BLOCK_RE))
    is_ambush = etype.isin(_AMBUSH_TYPES) & sub_low.isin(_AMBUSH_SUB)
    if require_road_context:
        is_ambush &= context.str.contains(_ROAD_RE)
    kind = np.select([is_ied.to_numpy(bool), is_closure.to_numpy(bool), is_ambush.to_numpy(bool)],
                     ["ied", "closure", "ambush"], default="other")
    out["attack_kind"] = pd.Series(kind, index=out.index, dtype=object)
    return out


# --------------------------------------------------------------------------------------------
# Matching to the network
# --------------------------------------------------------------------------------------------


def _haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance, km, element-wise (degrees in, broadcasting)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def _point_segment(lat: np.ndarray, lon: np.ndarray, lat_a: np.ndarray, lon_a: np.ndarray,
                   lat_b: np.ndarray, lon_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance (km) of each point to each segment and the position on it (events x edges).

    Points have shape (n,), segment ends shape (m,); returns two (n, m) arrays: the
    great-circle distance to the foot point and the share of the way from end a to end b.
    """
    lat0 = lat[:, None]
    lon0 = lon[:, None]
    cos0 = np.cos(np.radians(lat0))
    k = math.pi / 180.0 * EARTH_RADIUS_KM

    def local(la, lo):
        dlon = (lo[None, :] - lon0 + 180.0) % 360.0 - 180.0
        return dlon * cos0 * k, (la[None, :] - lat0) * k

    ax, ay = local(lat_a, lon_a)
    bx, by = local(lat_b, lon_b)
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(length2 > 0, -(ax * dx + ay * dy) / length2, 0.0)
    t = np.clip(t, 0.0, 1.0) + 0.0  # no negative zero
    px, py = ax + t * dx, ay + t * dy
    foot_lat = lat0 + py / k
    foot_lon = lon0 + px / (k * np.maximum(cos0, 1e-12))
    return _haversine_km(lat0, lon0, foot_lat, foot_lon), t


_MATCH_COLUMNS = ("edge_from", "edge_to", "corridor", "region", "distance_km", "share_along",
                  "matched", "match_level", "buffer_km", "tied_edges", "nearest_node",
                  "node_distance_km")


def match_to_network(
    df: pd.DataFrame,
    graph: nx.Graph,
    buffer_km: float = 25.0,
    precision2_factor: float = 2.0,
    tie_tolerance_km: float = 0.5,
    edge_weight: Mapping[tuple[str, str], float] | None = None,
) -> pd.DataFrame:
    """Place each event on the network: nearest edge within a buffer, or region only.

    Parameters
    ----------
    df : pandas.DataFrame
        Events with ``latitude``, ``longitude`` (degrees) and optionally ``geo_precision``
        (1 if absent) and ``region`` (a threat-region label given by the data).
    graph : networkx.Graph
        The scenario's network (:func:`~corridorsim.scenario.network.build_network`).
    buffer_km : float
        Largest distance from an edge for a precision-1 event to be placed on it, km.
    precision2_factor : float
        Precision-2 events (near a place, or placed at the midpoint between two places) use a
        buffer of ``precision2_factor * buffer_km``.
    tie_tolerance_km : float
        Edges within this distance of the nearest one count as tied (e.g. an event at a
        junction node is at distance 0 of every edge meeting there).
    edge_weight : mapping, optional
        Canonical edge key (:func:`~corridorsim.scenario.network.edge_key`) -> weight; among tied edges
        the one with the largest weight wins (e.g. the simulated traffic, so that an event at a
        junction goes to the busiest road). Without it, or on equal weights, the first edge in
        canonical (alphabetical) order wins.

    Returns
    -------
    pandas.DataFrame
        A copy of ``df`` with the columns:

        ``edge_from``, ``edge_to``
            The edge (canonical order: alphabetical), or missing.
        ``corridor``, ``region``
            The edge's corridor and threat region; region-level events have a region only.
        ``distance_km``
            Great-circle distance to the nearest edge (also for unplaced events).
        ``share_along``
            Position of the foot point on the edge, 0 at ``edge_from``, 1 at ``edge_to``.
        ``matched``
            True when the event is placed on an edge.
        ``match_level``
            ``"edge"``, ``"region"`` (precision-3 events: not forced onto an edge; region of
            the data's ``region`` column if given, else of the nearest node) or
            ``"unmatched"`` (farther than the buffer from every edge).
        ``buffer_km``
            The buffer used for the event.
        ``tied_edges``
            Number of edges within ``tie_tolerance_km`` of the nearest distance.
        ``nearest_node``, ``node_distance_km``
            The nearest node and its distance.
    """
    if buffer_km < 0 or precision2_factor <= 0 or tie_tolerance_km < 0:
        raise ValueError("buffer_km and tie_tolerance_km must be >= 0, precision2_factor > 0")
    out = df.copy()
    n = len(out)
    cols: dict[str, np.ndarray] = {
        "edge_from": np.full(n, None, dtype=object),
        "edge_to": np.full(n, None, dtype=object),
        "corridor": np.full(n, None, dtype=object),
        "region": np.full(n, None, dtype=object),
        "distance_km": np.full(n, np.nan),
        "share_along": np.full(n, np.nan),
        "matched": np.zeros(n, dtype=bool),
        "match_level": np.full(n, "unmatched", dtype=object),
        "buffer_km": np.full(n, np.nan),
        "tied_edges": np.zeros(n, dtype=np.int64),
        "nearest_node": np.full(n, None, dtype=object),
        "node_distance_km": np.full(n, np.nan),
    }
    given_region = (out["region"].fillna("").astype(str).str.strip().to_numpy(object)
                    if "region" in out.columns else np.full(n, "", dtype=object))
    if n:
        lat = out["latitude"].to_numpy(float)
        lon = out["longitude"].to_numpy(float)
        prec = (out["geo_precision"].to_numpy(np.int64) if "geo_precision" in out.columns
                else np.ones(n, dtype=np.int64))
        nodes = list(graph.nodes)
        if nodes:
            nlat = np.array([graph.nodes[v]["lat"] for v in nodes], dtype=float)
            nlon = np.array([graph.nodes[v]["lon"] for v in nodes], dtype=float)
            nd = _haversine_km(lat[:, None], lon[:, None], nlat[None, :], nlon[None, :])
            jn = np.argmin(nd, axis=1)
            cols["nearest_node"] = np.array([nodes[j] for j in jn], dtype=object)
            cols["node_distance_km"] = nd[np.arange(n), jn]
        keys = sorted(edge_key(a, b) for a, b in graph.edges)
        buffer = np.where(prec == 2, precision2_factor * buffer_km, buffer_km)
        cols["buffer_km"] = np.where(prec == 3, np.nan, buffer)
        if keys:
            la = np.array([graph.nodes[a]["lat"] for a, _ in keys], dtype=float)
            lo_a = np.array([graph.nodes[a]["lon"] for a, _ in keys], dtype=float)
            lb = np.array([graph.nodes[b]["lat"] for _, b in keys], dtype=float)
            lo_b = np.array([graph.nodes[b]["lon"] for _, b in keys], dtype=float)
            dist, share = _point_segment(lat, lon, la, lo_a, lb, lo_b)
            best = dist.min(axis=1)
            tied = dist <= best[:, None] + tie_tolerance_km
            cols["tied_edges"] = tied.sum(axis=1)
            if edge_weight is not None:
                w = np.array([float(edge_weight.get(k, 0.0)) for k in keys])
                score = np.where(tied, w[None, :], -np.inf)
                top = score.max(axis=1, keepdims=True)
                j = np.argmax(tied & (score == top), axis=1)
            else:
                j = np.argmax(tied, axis=1)
            rows = np.arange(n)
            cols["distance_km"] = dist[rows, j]
            on_edge = (prec != 3) & (dist[rows, j] <= buffer)
            for i in np.flatnonzero(on_edge):
                a, b = keys[j[i]]
                d = graph.edges[a, b]
                cols["edge_from"][i], cols["edge_to"][i] = a, b
                cols["corridor"][i] = d.get("corridor", "")
                cols["region"][i] = d.get("region", "")
                cols["share_along"][i] = share[i, j[i]]
            cols["matched"] = on_edge
            cols["match_level"] = np.where(on_edge, "edge", "unmatched").astype(object)
        for i in np.flatnonzero(prec == 3):
            region = given_region[i] or (
                graph.nodes[cols["nearest_node"][i]].get("region", "")
                if cols["nearest_node"][i] is not None else "")
            if region:
                cols["region"][i] = region
                cols["match_level"][i] = "region"
    for name in _MATCH_COLUMNS:
        out[name] = cols[name]
    return out


def incident_table(
    path: str | os.PathLike | None,
    scenario,
    buffer_km: float = 25.0,
    **match_options,
) -> pd.DataFrame:
    """Read, classify and match an incident file on a scenario's network.

    Parameters
    ----------
    path : str or path-like, optional
        Incident CSV file; ``None`` uses the scenario's ``observations.incidents_csv``.
    scenario : Scenario or str or path-like
        A loaded scenario or the path of a scenario file.
    buffer_km : float
        See :func:`match_to_network`.
    **match_options
        Passed on to :func:`match_to_network`.

    Returns
    -------
    pandas.DataFrame
        :func:`read_incidents` columns, ``attack_kind`` and the matching columns.
    """
    from ..scenario.loading import load_scenario
    from ..scenario.network import build_network

    if isinstance(scenario, (str, os.PathLike)):
        scenario = load_scenario(scenario)
    if path is None:
        path = scenario.observations.incidents_csv
        if path is None:
            raise ScenarioError("observations.incidents_csv",
                                "no incident file given and the scenario names none")
    table = classify(read_incidents(path))
    return match_to_network(table, build_network(scenario), buffer_km=buffer_km, **match_options)


# --------------------------------------------------------------------------------------------
# Output helpers for the command line
# --------------------------------------------------------------------------------------------


def format_incident_table(matched: pd.DataFrame, max_note_chars: int = 0) -> str:
    """A compact fixed-width text table of matched events (one line per event).

    Columns: id, date, kind, geo precision, match level, edge, corridor, region, distance to
    the edge (km) and share along it; with ``max_note_chars`` > 0 also the start of the notes.
    A last line counts the events by kind and match level.
    """
    heads = ["id", "date", "kind", "prec", "level", "edge", "corridor", "region", "dist_km", "share"]
    lines = []
    for _, r in matched.iterrows():
        edge = f"{r['edge_from']}-{r['edge_to']}" if r.get("matched", False) else "-"
        share = r.get("share_along")
        row = [
            str(r.get("event_id", "")),
            pd.Timestamp(r["event_date"]).strftime("%Y-%m-%d") if pd.notna(r.get("event_date")) else "",
            str(r.get("attack_kind", "")),
            str(r.get("geo_precision", "")),
            str(r.get("match_level", "")),
            edge,
            str(r["corridor"]) if pd.notna(r.get("corridor")) else "-",
            str(r["region"]) if pd.notna(r.get("region")) else "-",
            f"{r['distance_km']:.1f}" if pd.notna(r.get("distance_km")) else "-",
            f"{share:.2f}" if share is not None and pd.notna(share) else "-",
        ]
        if max_note_chars > 0:
            note = str(r.get("notes", "") or "")
            row.append(note[: max_note_chars - 1] + "~" if len(note) > max_note_chars else note)
        lines.append(row)
    if max_note_chars > 0:
        heads.append("notes")
    text = [format_text_table(heads, lines, right={"prec", "dist_km", "share"})]
    if len(matched) and "attack_kind" in matched.columns:
        counts = matched.groupby(["attack_kind", "match_level"]).size()
        text.append("")
        text.append(f"{len(matched)} events: " + ", ".join(
            f"{k} {lvl} {n}" for (k, lvl), n in counts.items()))
    return "\n".join(text)


def write_table_csv(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a table as CSV (UTF-8, ``\\n`` line ends, no index) atomically; return the path."""

    def write(tmp: Path) -> None:
        df.to_csv(tmp, index=False, lineterminator="\n", date_format="%Y-%m-%d")

    return atomic_write(path, write)

"""Observed conflict events: reading, classifying and placing them on the corridor network.

The calibration of threat rates (:mod:`corridorsim.observed.rates`) needs the observed attacks
as counts per edge, corridor or region. A conflict-event CSV file in ACLED's export layout
becomes such a table in three steps, one module each:

1. :func:`~corridorsim.observed.incident_file.read_incidents` parses and checks the file. Every
   bad row is reported with its line number; nothing is dropped silently.
2. :func:`~corridorsim.observed.incident_kinds.classify` adds ``attack_kind``: ``"ambush"``,
   ``"ied"``, ``"closure"`` or ``"other"``.
3. :func:`~corridorsim.observed.incident_matching.match_to_network` places each event on the
   network: on the nearest edge within a buffer (edge level), on a threat region only
   (region-level events), or nowhere.

This module puts them together: :func:`incident_table` does all three for a scenario's network;
:func:`format_incident_table`, :func:`write_table_csv` and
:func:`corridorsim.viz.incident_map.plot_incident_map` are the pieces of the ``incidents``
command.

Part of the observed-data layer: imports pandas, the shared atomic writer, the scenario layer
(to load a scenario's network) and its sibling modules.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ..atomic import atomic_write
from ..errors import ScenarioError
from ..scenario.schema import Scenario
from .incident_file import read_incidents
from .incident_kinds import classify
from .incident_matching import match_to_network
from .text_table import format_text_table

__all__ = ["incident_table", "classified_incidents", "format_incident_table", "write_table_csv"]


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
        See :func:`~corridorsim.observed.incident_matching.match_to_network`.
    **match_options
        Passed on to :func:`~corridorsim.observed.incident_matching.match_to_network`.

    Returns
    -------
    pandas.DataFrame
        :func:`read_incidents` columns, ``attack_kind`` and the matching columns.
    """
    from ..scenario.network import build_network

    scenario, table = classified_incidents(path, scenario)
    return match_to_network(table, build_network(scenario), buffer_km=buffer_km, **match_options)


def classified_incidents(path: str | os.PathLike | None, scenario) -> tuple[Scenario, pd.DataFrame]:
    """A scenario (loaded if given as a path) and an incident file, read and classified.

    Parameters
    ----------
    path : str or path-like, optional
        Incident CSV file; ``None`` uses the scenario's ``observations.incidents_csv``.
    scenario : Scenario or str or path-like

    Returns
    -------
    (Scenario, pandas.DataFrame)
        The scenario, and :func:`read_incidents` columns with ``attack_kind``.

    Raises
    ------
    ScenarioError
        No incident file given and the scenario names none; or bad rows in the file.
    """
    from ..scenario.loading import load_scenario

    if isinstance(scenario, (str, os.PathLike)):
        scenario = load_scenario(scenario)
    if path is None:
        path = scenario.observations.incidents_csv
        if path is None:
            raise ScenarioError("observations.incidents_csv",
                                "no incident file given and the scenario names none")
    return scenario, classify(read_incidents(path))


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

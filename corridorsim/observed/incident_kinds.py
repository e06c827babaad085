"""What an observed event means for corridor traffic: ambush, IED, closure or other.

:func:`classify` adds ``attack_kind`` to an incident table (:mod:`corridorsim.observed.incident_file`)
by ordered rules on ACLED's event types, sub-types and notes.

Part of the observed-data layer: imports NumPy, pandas and the standard library only.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["ATTACK_KINDS", "classify"]

#: Values of the ``attack_kind`` column.
ATTACK_KINDS = ("ambush", "ied", "closure", "other")

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
        From :func:`~corridorsim.observed.incident_file.read_incidents` (``event_type``, ``sub_event_type``, ``notes``; missing
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

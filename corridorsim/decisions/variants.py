"""Named variants of a scenario, run side by side on common random numbers.

A decision question compares the scenario as written (the *base*) with changed copies: a road
segment made safe or closed, one more escort unit, one more day of stock, one more tanker a day.
Each change here is a pure function of the scenario document (a dict, as read from YAML); the
variants are then run as one sweep (:class:`~corridorsim.experiments.sweep_runner.SweepRunner`):
point 0 is the base, replication ``r`` of every point draws from the same streams (common random
numbers), results go to an ordinary, resumable sweep directory, and the sweeps' precision rule
(``target_halfwidth``) chooses the replications. Imports: scenario and experiments.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ScenarioError, ScenarioErrors
from ..experiments.sweep_schema import Design, Factor, Precision, SweepSpec
from ..experiments.sweep_spec import PointScenarios, ResolvedSweep
from ..scenario.documents import scenario_from_dict

__all__ = ["Variant", "make_safe", "make_closed", "add_escort_unit", "add_stock_day",
           "add_tanker_per_day", "variant_sweep", "destinations_of"]


@dataclass(frozen=True)
class Variant:
    """One changed copy of the base scenario.

    Attributes
    ----------
    name : str
        Unique label (``"safe:Kayes-Diboli"``, ``"escort+1:kayes"``).
    change : str
        Kind of change: ``base``, ``safe``, ``closed``, ``escort_unit``, ``stock_day``,
        ``tanker_per_day``.
    target : str
        What is changed: an edge ``"A-B"``, a base, a destination or a source name.
    data : dict
        The variant's scenario document.
    """

    name: str
    change: str
    target: str
    data: dict


def _edge_label(a: str, b: str) -> str:
    a, b = sorted((a, b))
    return f"{a}-{b}"


def make_safe(data: dict, a: str, b: str) -> dict:
    """The scenario with no ambush and no IED on edge ``a-b``: a last threat rule with zero
    rates (later rules override earlier ones; phase multipliers of a zero rate stay zero)."""
    out = copy.deepcopy(data)
    threats = out.setdefault("threats", {})
    threats["rules"] = [*threats.get("rules", []),
                        {"edges": [[a, b]], "ambush_rate_per_1000km": 0.0, "ied_rate_per_1000km": 0.0}]
    return out


def make_closed(data: dict, a: str, b: str) -> dict:
    """The scenario with edge ``a-b`` closed from the start to the end (a scheduled closure)."""
    out = copy.deepcopy(data)
    closures = out.setdefault("closures", {})
    closures["scheduled"] = [*closures.get("scheduled", []),
                             {"edge": [a, b], "name": f"closed {_edge_label(a, b)}",
                              "start": out["start"], "end": None}]
    return out


def add_escort_unit(data: dict, base: str) -> dict:
    """One more escort unit at the escort base named ``base``."""
    out = copy.deepcopy(data)
    for b in out.get("escorts", {}).get("bases", []):
        if b.get("name") == base:
            b["units"] = int(b["units"]) + 1
            return out
    raise ScenarioError("escorts.bases", f"no escort base named {base!r}")


def destinations_of(data: dict) -> list[dict]:
    """The destination blocks of a scenario document (``destination``, or each entry of a
    ``destinations`` list where the schema has one)."""
    if isinstance(data.get("destinations"), list):
        return list(data["destinations"])
    return [data["destination"]] if isinstance(data.get("destination"), dict) else []


def _demand_at_start(dest: dict, start: Any) -> float:
    """Unrationed demand in litres per day at the scenario start."""
    rate = float(dest.get("demand_l_per_day", 0.0))
    t0 = pd.Timestamp(start)
    for step in dest.get("demand_schedule", []) or []:
        if pd.Timestamp(step["start"]) <= t0:
            rate = float(step["demand_l_per_day"])
    return rate


def add_stock_day(data: dict, node: str) -> dict:
    """One more day of security stock at destination ``node``: its initial stock grows by its
    unrationed daily demand at the start (and its capacity, if set, by as much, so the day
    fits)."""
    out = copy.deepcopy(data)
    for dest in destinations_of(out):
        if dest.get("node") == node:
            day_l = _demand_at_start(dest, out["start"])
            dest["initial_stock_l"] = float(dest.get("initial_stock_l", 0.0)) + day_l
            if dest.get("capacity_l") is not None:
                dest["capacity_l"] = float(dest["capacity_l"]) + day_l
            return out
    raise ScenarioError("destination", f"no destination at node {node!r}")


def add_tanker_per_day(data: dict, source: str) -> dict:
    """One more loaded tanker a day at source ``source``, throughout (its base rate and every
    step of its schedule)."""
    out = copy.deepcopy(data)
    for s in out.get("sources", []):
        if s.get("name") == source:
            s["tankers_per_day"] = float(s.get("tankers_per_day", 0.0)) + 1.0
            for step in s.get("schedule", []) or []:
                step["tankers_per_day"] = float(step["tankers_per_day"]) + 1.0
            return out
    raise ScenarioError("sources", f"no source named {source!r}")


def variant_sweep(base_file: str | Path, base: dict, variants: Sequence[Variant], name: str,
                  replications: int, seed: int, precision: Precision | None = None,
                  keep: Sequence[str] = ()) -> ResolvedSweep:
    """A sweep whose points are the base (point 0) and the given variants.

    The design has one factor, ``variant`` (at the scenario's ``name`` path: each point's
    scenario is named ``<base name>+<variant>``), plus the ``what`` (the variant's own name),
    ``change`` and ``target`` columns.

    Raises
    ------
    ScenarioError
        A variant that does not validate (naming the variant).
    """
    all_variants = [Variant("base", "base", "", copy.deepcopy(base)), *variants]
    names = [v.name for v in all_variants]
    if len(set(names)) != len(names):
        raise ScenarioError("variants", f"duplicate variant names {names}")
    labels = [f"{base.get('name', 'scenario')}+{v.name}" if v.change != "base"
              else base.get("name", "scenario") for v in all_variants]
    docs = []
    for v, label in zip(all_variants, labels):
        doc = copy.deepcopy(v.data)
        doc["name"] = label
        try:
            scenario_from_dict(doc)
        except ScenarioErrors as exc:
            e = exc.errors[0]
            raise ScenarioError(f"variant {v.name}", f"{e.path}: {e.message}", str(base_file)) from None
        docs.append(doc)
    factor = Factor(path="name", name="variant", values=tuple(labels))
    spec = SweepSpec(name=name, base=str(base_file), factors=(factor,),
                     design=Design(kind="points", points=tuple({"variant": x} for x in labels)),
                     replications=replications, seed=seed, precision=precision, keep=tuple(keep))
    design = pd.DataFrame({"variant": labels, "what": names, "change": [v.change for v in all_variants],
                           "target": [v.target for v in all_variants]})
    return ResolvedSweep(spec=spec, base=base, design=design,
                         scenarios=_Points(docs), reference=0, source=str(base_file))


class _Points(PointScenarios):
    """Scenario of each variant point, built on demand from its document."""

    def __init__(self, docs: list[dict]):
        self._docs = docs
        self._cache = {}

    def __len__(self) -> int:
        return len(self._docs)

    def __getitem__(self, point: int):  # type: ignore[override]
        point %= len(self._docs)
        sc = self._cache.get(point)
        if sc is None:
            sc = scenario_from_dict(self._docs[point])
            if len(self._cache) >= 8:
                self._cache.pop(next(iter(self._cache)))
            self._cache[point] = sc
        return sc


def day_index(start: dt.datetime, when: dt.date | dt.datetime) -> int:
    """Day number of ``when`` counted from the scenario start (day 0)."""
    d = when.date() if isinstance(when, dt.datetime) else when
    return (d - start.date()).days


__all__ += ["day_index"]

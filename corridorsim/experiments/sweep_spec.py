"""Sweep files: reading them (and ``--set`` options), and resolving a sweep into scenario points.

A sweep file names a base scenario, the factors to vary (by dotted path into the scenario, see
:mod:`corridorsim.scenario.paths`), a design, replications per point and a seed::

    name: escorts_x_convoy_size
    base: ../mali_blockade_2025.yaml
    replications: 100
    seed: 1
    factors:
      - {path: "escorts.bases[kayes].units", values: [2, 4, 8]}
      - {path: "staging[Diboli].max_tankers", values: [50, 100, 200]}
    design: {kind: grid}
    reference: {"escorts.bases[kayes].units": 4, "staging[Diboli].max_tankers": 100}

Every factor value and every point is validated against the scenario schema and the network
before anything runs (:func:`resolve_sweep`); errors name the factor and the value.

The file's schema (:class:`SweepSpec` and its parts) is in
:mod:`corridorsim.experiments.sweep_schema`; this module reads files and ``--set`` options into
it and resolves a sweep into its points.

Part of the experiments layer: imports the scenario layer (documents, paths, network checks),
the design builders and the sweep schema.
"""

from __future__ import annotations

import gc
import hashlib
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ValidationError

from ..errors import ScenarioError, ScenarioErrors
from ..scenario.documents import (
    format_validation_error,
    read_scenario_dict,
    read_scenario_document,
    scenario_from_dict,
)
from ..scenario.paths import set_path
from ..scenario.safe_yaml import check_input_file, parse_yaml, read_yaml, short_name, shorten
from ..scenario.schema import Scenario
from .designs import build_design
from .sweep_reference import parse_reference_option, written_reference
from .sweep_schema import Design, Factor, SweepSpec

__all__ = ["Factor", "Design", "SweepSpec", "ResolvedSweep", "load_sweep", "sweep_from_sets",
           "resolve_sweep", "parse_set_option", "parse_reference_option", "written_reference",
           "is_sweep_file", "load_spec_file", "base_label"]


class PointScenarios(Sequence):
    """The scenario of each point, built on demand from the base and the design row.

    Points were validated once by :func:`resolve_sweep`; they are not all kept in memory
    (a scenario is tens of kB, a design may have many thousands of points), only the last few
    used (tasks of one point follow each other).
    """

    def __init__(self, base: dict[str, Any], factors: Sequence[Factor], design: pd.DataFrame):
        self._base = base
        self._factors = tuple(factors)
        self._design = design
        self._cache: dict[int, Scenario] = {}

    def __len__(self) -> int:
        return len(self._design)

    def __getitem__(self, point: int) -> Scenario:  # type: ignore[override]
        if isinstance(point, slice):
            return [self[i] for i in range(*point.indices(len(self)))]
        if not -len(self) <= point < len(self):
            raise IndexError(point)
        point %= len(self)
        sc = self._cache.get(point)
        if sc is None:
            row = self._design.iloc[point][[f.label for f in self._factors]].to_dict()
            sc = scenario_from_dict(_apply(self._base, self._factors, row))
            if len(self._cache) >= 8:
                self._cache.pop(next(iter(self._cache)))
            self._cache[point] = sc
        return sc


@dataclass(frozen=True)
class ResolvedSweep:
    """A sweep with its base scenario, design table and (lazily built) scenario per point."""

    spec: SweepSpec
    base: dict[str, Any]
    design: pd.DataFrame
    scenarios: PointScenarios
    reference: int
    source: str

    @property
    def factor_columns(self) -> list[str]:
        return [f.label for f in self.spec.factors]

    def design_hash(self) -> str:
        """Hash of everything that fixes the results (spec, base and points)."""
        blob = json.dumps({"spec": self.spec.model_dump(mode="json"), "base": self.base,
                           "design": self.design.to_dict(orient="list")},
                          sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()


def is_sweep_file(path: str | Path) -> bool:
    """Whether a YAML file is a sweep file (has ``base`` and ``factors``) or a scenario."""
    try:
        data = read_yaml(path, "sweep")
    except ScenarioError:
        return False  # loading it as a scenario reports the problem
    return "factors" in data and "base" in data


def load_spec_file(path: str | Path, model: type[BaseModel], what: str) -> Any:
    """Read a YAML file of ``model`` (a sweep or calibration spec) whose ``base`` names a
    scenario file: the base path is made absolute (relative to the file), errors are one line
    each with the file and field path."""
    p = Path(path)
    data = read_yaml(p, what)
    if isinstance(data.get("base"), str) and data["base"].strip():
        written = data["base"]
        base = Path(written)
        data["base"] = str(base if base.is_absolute() else (p.resolve().parent / base).resolve())
        check_input_file(data["base"], "base", "yaml", f"{p} -> base {short_name(written)}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errs = format_validation_error(exc, str(p))
        # this schema is not the scenario schema: drop the scenario-specific key hints
        raise ScenarioErrors([ScenarioError(e.path, e.message.split("; expected one of")[0], e.file)
                              for e in errs.errors]) from None


def base_label(source: str, base: str) -> str | None:
    """How errors name a spec file's base scenario: ``sweep.yaml -> base ../s.yaml``."""
    if not source:
        return None
    try:
        shown = os.path.relpath(base, Path(source).resolve().parent)
    except ValueError:  # another drive (Windows)
        shown = base
    return f"{short_name(source)} -> base {short_name(shown)}"


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file (the base scenario path is made absolute)."""
    return load_spec_file(path, SweepSpec, "sweep")


def _parse_scalar(text: str, path: str) -> Any:
    try:
        return parse_yaml(text, "")
    except ScenarioError:
        raise ScenarioError(f"--set {path}", f"{shorten(text)} is not a valid value") from None


def _first_message(exc: ValidationError) -> str:
    msg = str(exc.errors(include_url=False)[0]["msg"])
    return msg[len("Value error, "):] if msg.startswith("Value error, ") else msg


def parse_set_option(option: str) -> Factor:
    """``path=v1,v2,...`` (or ``path=low:high`` for a range) from ``--set``."""
    if "=" not in option:
        raise ScenarioError("--set", f"{option!r} is invalid: expected PATH=V1,V2,... "
                                     "(e.g. escorts.bases[0].units=2,4,8)")
    path, _, rhs = option.partition("=")
    path = path.strip()
    if ":" in rhs and "," not in rhs and not rhs.strip().startswith(("{", "[")):
        lo, _, hi = rhs.partition(":")
        try:
            bounds = (float(lo), float(hi))
        except ValueError:
            bounds = None  # not two numbers (e.g. a time of day): one value
        if bounds is not None:
            try:
                return Factor(path=path, range=bounds)
            except ValidationError as exc:
                raise ScenarioError(f"--set {path}", f"{rhs!r} is invalid: "
                                                     f"{_first_message(exc)}") from None
    values = tuple(_parse_scalar(v.strip(), path) for v in rhs.split(",") if v.strip() != "")
    if not values:
        raise ScenarioError(f"--set {path}", "no values given: expected PATH=V1,V2,...")
    try:
        return Factor(path=path, values=values)
    except ValidationError as exc:
        raise ScenarioError(f"--set {path}", _first_message(exc)) from None


def sweep_from_sets(scenario_file: str | Path, sets: Sequence[str], replications: int,
                    seed: int, reference: dict[str, Any] | int | None = None) -> SweepSpec:
    """A grid sweep over ``--set`` options on a scenario file (a Latin hypercube of 16 points
    if any option is a range; a range on an integer field is rounded to integers).

    Paired differences compare against ``reference`` (a point index or factor values); by
    default against the scenario as written, when each factor's value in the file (or its
    default) is one of the levels, else against point 0.
    """
    factors = tuple(parse_set_option(s) for s in sets)
    if not factors:
        raise ScenarioError("--set", "a sweep on a scenario file needs at least one --set "
                                     "PATH=V1,V2,...")
    if any(f.range is not None for f in factors):
        base = read_scenario_dict(scenario_file)
        factors = tuple(f.model_copy(update={"integer": True}) if _integer_field(base, f) else f
                        for f in factors)
    kind = "grid" if all(f.values is not None for f in factors) else "lhs"
    design = Design(kind=kind, n=None if kind == "grid" else 16)
    name = Path(scenario_file).stem + "_sweep"
    if reference is None and kind == "grid":
        reference = written_reference(read_scenario_dict(scenario_file), factors)
    return SweepSpec(name=name, base=str(Path(scenario_file).resolve()), factors=factors,
                     design=design, replications=replications, seed=seed, reference=reference)


def _integer_field(base: dict[str, Any], f: Factor) -> bool:
    """Whether a range factor with whole-number ends sets a field that only takes integers."""
    if f.range is None or not all(float(x).is_integer() for x in f.range):
        return False
    try:
        scenario_from_dict(set_path(base, f.path, math.floor(f.range[0]) + 0.5))
    except ScenarioErrors as exc:
        return "integer" in exc.errors[0].message
    except ScenarioError:
        return False
    return False


def _factor_value(f: Factor, value: Any) -> Any:
    if f.alternatives is not None:
        return f.alternatives[value]
    return value


def _apply(base: dict[str, Any], factors: Sequence[Factor], row: dict[str, Any]) -> dict[str, Any]:
    data = base
    for f in factors:
        data = set_path(data, f.path, _factor_value(f, row[f.label]))
    return data


def _levels_to_check(f: Factor) -> list[tuple[str, Any]]:
    """(description, value) of the levels of a factor that are validated on their own: every
    value or alternative, or a range's ends (rounded inwards for integers) and middle."""
    if f.values is not None:
        return [(f"value {v!r}", v) for v in f.values]
    if f.alternatives is not None:
        return [(f"alternative {k!r}", v) for k, v in f.alternatives.items()]
    lo, hi = f.range  # type: ignore[misc]
    if f.integer:
        return [(f"value {v!r}", v) for v in dict.fromkeys((math.ceil(lo), math.floor(hi)))]
    return [(f"value {v!r}", v) for v in (lo, (lo + hi) / 2, hi)]


def resolve_sweep(spec: SweepSpec, source: str = "") -> ResolvedSweep:
    """Build the design and validate every point against the schema and the network.

    Raises
    ------
    ScenarioError
        Naming the factor (or point) and the bad value.
    """
    from ..scenario.network import build_network

    doc = read_scenario_document(spec.base, base_label(source, spec.base))
    base = doc.data
    try:
        base_sc = scenario_from_dict(base)
        build_network(base_sc)
    except ScenarioErrors as exc:
        raise ScenarioErrors([e.with_file(doc.origin(e.path)) for e in exc.errors]) from None
    except ScenarioError as exc:
        raise exc.with_file(doc.origin(exc.path)) from None
    labels = [f.label for f in spec.factors]
    if len(set(labels)) != len(labels):
        raise ScenarioError("factors", f"duplicate factor names {labels}: give each a distinct "
                                       "'name'")
    if spec.precision is not None:
        from ..model.records import SUMMARY_COLUMNS

        columns = [c for c in SUMMARY_COLUMNS if c != "replication"]
        columns += [f"delivered_l_by_day_{d}" for d in spec.delivered_by_days]
        if spec.precision.metric not in columns:
            raise ScenarioError("precision.metric", f"{spec.precision.metric!r} is not a summary "
                                f"column; expected one of: {', '.join(columns)}", source or None)
    # each factor on its own: the path exists (or is a schema field) and each level is valid
    for i, f in enumerate(spec.factors):
        where = f"factors[{i}] ({f.label})"
        for what, v in _levels_to_check(f):
            try:
                data = set_path(base, f.path, v)
                scenario_from_dict(data)
            except ScenarioErrors as exc:
                e = exc.errors[0]
                hint = ("; set 'integer: true' for an integer field"
                        if f.range is not None and not f.integer and "integer" in e.message else "")
                raise ScenarioError(where, f"{what} gives an invalid scenario: "
                                           f"{e.path}: {e.message}{hint}", source or None) from None
            except ScenarioError as exc:
                raise ScenarioError(where, exc.message, source or None) from None
    try:
        design = build_design(spec.design.kind, spec.factors, n=spec.design.n,
                              points=spec.design.points, seed=spec.design.seed,
                              morris_levels=spec.design.morris_levels)
    except ValueError as exc:
        raise ScenarioError("design", str(exc), source or None) from None
    if spec.design.kind == "points":
        for j, p in enumerate(spec.design.points or ()):
            unknown = sorted(set(p) - set(labels))
            if unknown:
                raise ScenarioError(f"design.points[{j}]", f"unknown factor(s) {unknown}; "
                                    f"expected: {', '.join(labels)}", source or None)
            missing = sorted(set(labels) - set(p))
            if missing:
                raise ScenarioError(f"design.points[{j}]", f"missing factor(s) {missing}",
                                    source or None)
    checked: dict[str, None] = {}
    for j, row in enumerate(design[labels].to_dict(orient="records")):
        try:
            data = _apply(base, spec.factors, row)
            sc = scenario_from_dict(data)
            key = hashlib.sha1(json.dumps(
                {k: data.get(k) for k in ("network", "sources", "staging", "escorts", "convoys",
                                          "closures", "destination", "routing", "threats")},
                sort_keys=True, default=str).encode()).digest()  # a digest: memory stays flat
            if key not in checked:  # the network checks depend on these blocks only
                build_network(sc)
                checked[key] = None
                if len(checked) % 100 == 0:
                    # networkx graphs hold reference cycles (cached views): collect them now,
                    # or thousands of points pile up garbage until the next full collection
                    gc.collect()
        except ScenarioErrors as exc:
            e = exc.errors[0]
            raise ScenarioError(f"point {j} {row}", f"{e.path}: {e.message}", source or None) from None
        except ScenarioError as exc:
            raise ScenarioError(f"point {j} {row}", exc.line(), source or None) from None
        del sc  # validated; rebuilt on demand (PointScenarios) so that memory stays flat
    ref = _reference_index(spec, design, labels, source)
    return ResolvedSweep(spec=spec, base=base, design=design,
                         scenarios=PointScenarios(base, spec.factors, design), reference=ref,
                         source=source)


def _reference_index(spec: SweepSpec, design: pd.DataFrame, labels: list[str], source: str) -> int:
    ref = spec.reference
    if ref is None:
        return 0
    if isinstance(ref, int):
        if not 0 <= ref < len(design):
            raise ScenarioError("reference", f"{ref} is not a point index: expected 0..{len(design) - 1}",
                                source or None)
        return ref
    unknown = sorted(set(ref) - set(labels))
    if unknown:
        raise ScenarioError("reference", f"unknown factor(s) {unknown}; expected: {', '.join(labels)}",
                            source or None)
    mask = pd.Series(True, index=design.index)
    for k, v in ref.items():
        mask &= design[k].apply(lambda x, v=v: x == v)
    hits = list(design.index[mask])
    if not hits:
        raise ScenarioError("reference", f"{ref} matches no point of the design", source or None)
    return int(hits[0])

"""The four kinds of YAML file corridorsim reads, told apart, checked and described as JSON Schema.

- ``scenario``: a complete scenario;
- ``overlay``: a scenario that ``extends:`` another and overrides some of its fields (nothing
  is required in the file itself; the merged scenario is checked);
- ``sweep``: a sweep file (``base`` and ``factors``, :mod:`corridorsim.experiments.sweep_spec`);
- ``calibration``: a calibration file (``base``, ``parameters`` and ``observed``,
  :mod:`corridorsim.experiments.calibration`).

:func:`check_file` checks a file as completely as running it would, without running it: a
scenario's schema, network and references; every point of a sweep; a calibration's base
scenario, each prior draw and each statistic. :func:`json_schema` gives the JSON Schema
(draft 2020-12) of each kind, for editors and validators. Dates in files are ISO dates
(``2025-09-03``, format ``date``) or local date-times without a time zone (``2025-10-07T06:00``,
which the ``date-time`` format of RFC 3339 does not allow, so they are matched by a pattern).

May import the scenario layer and the rest of the experiments layer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, NamedTuple

from ..errors import CorridorSimError, ScenarioError
from ..scenario.documents import dates_as_written, schema_walk
from ..scenario.documents import json_schema as scenario_schema
from ..scenario.safe_yaml import read_yaml

__all__ = ["FILE_KINDS", "FileKind", "CheckedFile", "file_kind", "check_file", "check_calibration",
           "json_schema"]

FileKind = Literal["scenario", "overlay", "sweep", "calibration"]
FILE_KINDS: tuple[FileKind, ...] = ("scenario", "overlay", "sweep", "calibration")



class CheckedFile(NamedTuple):
    """A file that passed :func:`check_file`."""

    path: Path
    kind: FileKind
    name: str
    detail: str


def _kind_of(data: Any) -> FileKind:
    if isinstance(data, dict) and "base" in data:
        if "parameters" in data or "observed" in data:
            return "calibration"
        if "factors" in data:
            return "sweep"
    if isinstance(data, dict) and "extends" in data:
        return "overlay"
    return "scenario"


def file_kind(path: str | Path) -> FileKind:
    """Which kind of file ``path`` is, from its top-level keys (``scenario`` if unreadable:
    the scenario loader then reports what is wrong)."""
    try:  # the guarded reader: size, encoding, aliases, depth, bad numbers and dates
        data = read_yaml(path, "scenario")
    except CorridorSimError:
        return "scenario"
    return _kind_of(data)


def check_file(path: str | Path) -> CheckedFile:
    """Check a scenario, overlay, sweep or calibration file completely, without running it.

    Raises
    ------
    ScenarioError or ScenarioErrors
        Naming the file, the field and the bad value.
    """
    p = Path(path)
    kind = file_kind(p)
    if kind in ("scenario", "overlay"):
        from ..scenario.loading import load_scenario

        sc = load_scenario(p)
        return CheckedFile(p, kind, sc.name, f"{sc.start:%Y-%m-%d} to {sc.end:%Y-%m-%d}")
    if kind == "sweep":
        from .sweep_spec import load_sweep, resolve_sweep

        spec = load_sweep(p)
        resolved = resolve_sweep(spec, str(p))
        return CheckedFile(p, kind, spec.name, f"{len(resolved.design)} points x "
                                               f"{spec.replications} replications, "
                                               f"{spec.design.kind} design")
    from .calibration import load_calibration

    spec = load_calibration(p)
    check_calibration(spec, str(p))
    return CheckedFile(p, kind, spec.name, f"{len(spec.parameters)} parameters, "
                                           f"{len(spec.observed)} observed summaries, "
                                           f"{spec.samples} draws")


def check_calibration(spec: Any, source: str = "") -> Any:
    """Check a calibration file completely without running it.

    The base scenario is loaded and its network built; every prior draw becomes a sweep point
    that is validated like any sweep point (the path exists, each drawn value is valid there);
    each statistic names an existing column, corridor and convoy.

    Returns
    -------
    ResolvedSweep
        The calibration's sweep.

    Raises
    ------
    ScenarioError
        Naming the file, the field and the bad value.
    """
    from ..model.records import CONVOY_COLUMNS, SUMMARY_COLUMNS
    from ..scenario.documents import read_scenario_dict, scenario_from_dict
    from ..scenario.network import build_network
    from .calibration import calibration_sweep
    from .sweep_spec import resolve_sweep

    where = source or None
    base = scenario_from_dict(read_scenario_dict(spec.base), spec.base)
    graph = build_network(base)
    corridors = sorted({str(d.get("corridor")) for _, _, d in graph.edges(data=True)
                        if d.get("corridor")})
    convoys = sorted(c.name for c in base.convoys)
    columns = {"summary": SUMMARY_COLUMNS, "convoys": CONVOY_COLUMNS}
    for i, obs in enumerate(spec.observed):
        st = obs.statistic
        field = f"observed[{i}] ({obs.name}).statistic"
        if st.column is not None and st.table in columns and st.column not in columns[st.table]:
            raise ScenarioError(f"{field}.column", f"{st.column!r} is not a {st.table} column; "
                                f"expected one of: {', '.join(columns[st.table][1:])}", where)
        if st.corridor is not None and st.corridor not in corridors:
            raise ScenarioError(f"{field}.corridor", f"{st.corridor!r} is not a corridor of the "
                                f"network; expected one of: {', '.join(corridors)}", where)
        if st.convoy is not None and st.convoy not in convoys:
            raise ScenarioError(f"{field}.convoy", f"{st.convoy!r} is not a scheduled convoy of "
                                f"the base scenario; expected one of: {', '.join(convoys) or 'none'}",
                                where)
    names = [o.name for o in spec.observed]
    if len(set(names)) != len(names):
        raise ScenarioError("observed", f"duplicate names {names}", where)
    try:
        return resolve_sweep(calibration_sweep(spec), source)
    except ScenarioError as exc:
        if not exc.path.startswith("factors["):
            raise
        # the sweep's factors are the calibration's parameters, in the same order
        raise ScenarioError("parameters" + exc.path[len("factors"):], exc.message, where) from None


# ------------------------------------------------------------------------------ JSON Schema


def _nothing_required(node: dict[str, Any]) -> dict[str, Any]:
    # "required" as a keyword holds a list of names (a property named "required" would not)
    return {k: v for k, v in node.items() if not (k == "required" and isinstance(v, list))}


def _dated(model: Any) -> dict[str, Any]:
    """A model's schema with datetimes as files write them (see the scenario schema)."""
    return dates_as_written(model.model_json_schema(by_alias=True))


def _finish(schema: dict[str, Any], title: str, description: str) -> dict[str, Any]:
    out = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title,
           "description": description}
    out.update({k: v for k, v in schema.items() if k not in ("title", "description")})
    return out


def json_schema(kind: FileKind = "scenario") -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a kind of file.

    Parameters
    ----------
    kind : {"scenario", "overlay", "sweep", "calibration"}
        ``overlay`` is a scenario with ``extends:`` where no field is required (the merged
        scenario is checked when it is loaded).

    Returns
    -------
    dict
        A JSON-serialisable schema.
    """
    if kind in ("scenario", "overlay"):
        schema = scenario_schema()
        if kind == "scenario":
            return _finish(schema, "corridorsim scenario", "A complete corridorsim scenario.")
        schema = schema_walk(schema, _nothing_required)
        schema["required"] = ["extends"]
        return _finish(schema, "corridorsim scenario overlay",
                       "A scenario that extends another and overrides some of its fields.")
    if kind == "sweep":
        from .sweep_spec import SweepSpec

        return _finish(_dated(SweepSpec), "corridorsim sweep",
                       "A sweep: a base scenario, factors to vary and a design.")
    if kind == "calibration":
        from .calibration import CalibrationSpec

        return _finish(_dated(CalibrationSpec), "corridorsim calibration",
                       "An ABC calibration: a base scenario, priors and observed summaries.")
    raise ScenarioError("--kind", f"{kind!r} is not a kind of file; expected one of: "
                                  f"{', '.join(FILE_KINDS)}")

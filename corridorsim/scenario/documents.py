"""Reading scenario files: YAML, ``extends:`` inheritance, and errors a user can act on.

``load_scenario`` is the boundary where untrusted input becomes a :class:`~corridorsim.scenario.schema.Scenario`:
it parses YAML, merges ``extends:`` chains, resolves file paths relative to the file that names
them, validates against the schema and checks every node/edge reference against the network.
Every problem is raised as :class:`~corridorsim.errors.ScenarioError` (one line: file, field path,
bad value, what was expected).

Merging rule for ``extends``: mappings merge key by key (recursively), everything else (lists,
scalars) in the extending file replaces the base value. A key set to ``null`` in the extending
file resets the field to its schema default.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ..errors import ScenarioError, ScenarioErrors
from .schema import Scenario

__all__ = [
    "read_scenario_dict",
    "scenario_from_dict",
    "scenario_to_dict",
    "scenario_hash",
    "format_validation_error",
    "json_schema",
    "schema_walk",
    "dates_as_written",
    "LOCAL_DATETIME_PATTERN",
    "deep_merge",
]

#: Fields holding file paths, relative to the scenario file that names them.
_PATH_FIELDS = (("network", "nodes_csv"), ("network", "edges_csv"), ("network", "graphml"),
                ("network", "geojson"), ("observations", "deliveries_csv"),
                ("observations", "incidents_csv"), ("uncertainty", "posterior_csv"))


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError("", "file not found", str(path)) from None
    except IsADirectoryError:
        raise ScenarioError("", "is a directory, expected a YAML file", str(path)) from None
    except OSError as exc:
        raise ScenarioError("", f"cannot read file ({exc.strerror})", str(path)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise ScenarioError("", f"invalid YAML{where}: {problem}", str(path)) from None
    if data is None:
        raise ScenarioError("", "file is empty, expected a mapping of scenario fields", str(path))
    if not isinstance(data, dict):
        raise ScenarioError(
            "", f"expected a mapping of scenario fields, got a {type(data).__name__}", str(path)
        )
    return data


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``override`` into ``base``: mappings recursively, anything else replaced.

    A ``None`` value in ``override`` removes the key (the field falls back to its default).
    """
    out = dict(base)
    for key, value in override.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _absolutize_paths(data: dict[str, Any], folder: Path) -> None:
    for block, key in _PATH_FIELDS:
        sub = data.get(block)
        if isinstance(sub, dict) and isinstance(sub.get(key), str):
            p = Path(sub[key]).expanduser()
            sub[key] = str(p if p.is_absolute() else (folder / p).resolve())


def read_scenario_dict(path: str | Path, _chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a scenario file into a plain dict, following ``extends:`` chains.

    Parameters
    ----------
    path : str or Path
        The scenario file.

    Returns
    -------
    dict
        The merged, unvalidated mapping, with file paths made absolute.
    """
    path = Path(path).resolve()
    if path in _chain:
        cycle = " -> ".join(p.name for p in (*_chain, path))
        raise ScenarioError("extends", f"circular extends: {cycle}", str(_chain[0]))
    data = _read_yaml(path)
    _absolutize_paths(data, path.parent)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ScenarioError(
            "extends", f"{parent!r} is invalid: expected the path of a scenario file", str(path)
        )
    parent_path = Path(parent).expanduser()
    if not parent_path.is_absolute():
        parent_path = path.parent / parent_path
    try:
        base = read_scenario_dict(parent_path, (*_chain, path))
    except ScenarioError as exc:
        if exc.message == "file not found" and Path(exc.file or "") == parent_path.resolve():
            raise ScenarioError(
                "extends", f"{parent!r}: file not found", str(path)
            ) from None
        raise
    return deep_merge(base, data)


# --------------------------------------------------------------------------------------------
# Validation errors as one line each
# --------------------------------------------------------------------------------------------


def _loc_to_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The schema class that owns the field at ``loc`` (to list its allowed keys)."""
    cls: Any = Scenario
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)):
            # dict[str, Model]: part is a key of the mapping
            continue
        fields = {f.alias or n: f for n, f in cls.model_fields.items()}
        field = fields.get(part)
        if field is None:
            return cls
        cls = _model_in(field.annotation)
    return cls if isinstance(cls, type) and issubclass(cls, BaseModel) else None


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, tuple, dict, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def format_validation_error(exc: ValidationError, file: str | None = None) -> ScenarioErrors:
    """Turn a pydantic ``ValidationError`` into one-line :class:`ScenarioError` entries."""
    errors = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        kind = err["type"]
        if kind == "extra_forbidden":
            owner = _model_at(loc[:-1])
            allowed = (
                ", ".join(f.alias or n for n, f in owner.model_fields.items()) if owner else ""
            )
            msg = f"unknown key {loc[-1]!r}" + (f"; expected one of: {allowed}" if allowed else "")
            errors.append(ScenarioError(_loc_to_path(loc), msg, file))
            continue
        if kind == "missing":
            errors.append(ScenarioError(_loc_to_path(loc), "required field is missing", file))
            continue
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        # Union members add their type name to the location: drop it for readability.
        loc = tuple(p for p in loc if not (isinstance(p, str) and p.startswith(("function-",))))
        value = err.get("input")
        if kind == "value_error" and isinstance(value, dict):
            # a check across several fields of a block: the block itself is no useful value
            text = msg[0].lower() + msg[1:]
        else:
            text = f"{_short(value)} is invalid: {msg[0].lower() + msg[1:]}"
        errors.append(ScenarioError(_loc_to_path(loc), text, file))
    return ScenarioErrors(errors)


def scenario_from_dict(data: Mapping[str, Any], file: str | None = None) -> Scenario:
    """Validate a mapping against the schema (no network reference checks)."""
    try:
        return Scenario.model_validate(dict(data))
    except ValidationError as exc:
        raise format_validation_error(exc, file) from None


def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    """The resolved scenario as JSON-compatible data (dates as ISO strings, aliases used).

    One-destination scenarios come back with ``destination`` only, several-destination ones
    with ``destinations`` only (the other field is derived on loading), so that the data loads
    again after a change to either.
    """
    data = scenario.model_dump(mode="json", by_alias=True)
    if len(scenario.destinations) == 1:
        data.pop("destinations", None)
    else:
        data.pop("destination", None)
    return data


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the canonical JSON of the resolved scenario (seed and replications excluded).

    Two files that resolve to the same model get the same hash, whatever their layout.
    """
    import hashlib

    data = scenario_to_dict(scenario)
    data.pop("seed", None)
    data.pop("replications", None)
    blob = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()


#: Local date-times as scenario files write them (ISO 8601 without a time zone, seconds optional).
LOCAL_DATETIME_PATTERN = (r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[T ]([01]\d|2[0-3]):[0-5]\d"
                          r"(:[0-5]\d(\.\d+)?)?$")


def schema_walk(node: Any, fn: Any) -> Any:
    """Apply ``fn`` to every object (dict) of a JSON document, innermost first."""
    if isinstance(node, dict):
        return fn({k: schema_walk(v, fn) for k, v in node.items()})
    if isinstance(node, list):
        return [schema_walk(v, fn) for v in node]
    return node


def dates_as_written(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic JSON Schema with its datetimes as files write them (see :func:`json_schema`)."""
    return schema_walk(schema, _local_datetimes)


def _local_datetimes(node: dict[str, Any]) -> dict[str, Any]:
    # pydantic declares datetimes as RFC 3339 ``date-time``, which needs seconds and a time
    # zone; files write dates (2025-09-03) and local times (2025-10-07T06:00)
    if node.get("type") == "string" and node.get("format") == "date-time":
        node = {k: v for k, v in node.items() if k not in ("type", "format")}
        node["anyOf"] = [{"type": "string", "format": "date"},
                         {"type": "string", "pattern": LOCAL_DATETIME_PATTERN}]
    return node


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of complete scenario files (for editors), with ``extends``
    allowed on top; dates as ``format: date`` or local date-times (a pattern)."""
    schema = dates_as_written(Scenario.model_json_schema(by_alias=True))
    schema["properties"]["extends"] = {
        "type": "string",
        "description": "Path of a base scenario file that this file overrides (relative to it).",
    }
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "corridorsim scenario"
    return schema

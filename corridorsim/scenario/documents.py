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
import re
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ValidationError

from ..errors import ScenarioError, ScenarioErrors
from .safe_yaml import check_input_file, read_yaml, shorten
from .safe_yaml import short_name as shorten_path
from .schema import Scenario

__all__ = [
    "read_scenario_dict",
    "read_scenario_document",
    "ScenarioDocument",
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


def _read_yaml(path: Path, label: str) -> dict[str, Any]:
    return read_yaml(path, "scenario", label)


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


def read_scenario_dict(path: str | Path, label: str | None = None) -> dict[str, Any]:
    """Read a scenario file into a plain dict, following ``extends:`` chains.

    Parameters
    ----------
    path : str or Path
        The scenario file.
    label : str, optional
        How errors name the file (default: ``path``), e.g. ``"sweep.yaml -> base s.yaml"``.

    Returns
    -------
    dict
        The merged, unvalidated mapping, with file paths made absolute.
    """
    return read_scenario_document(path, label).data


class ScenarioDocument(NamedTuple):
    """A merged scenario mapping and, for each key path, the file (chain) that set it."""

    data: dict[str, Any]
    origins: dict[tuple[str, ...], str]

    def origin(self, field: str) -> str:
        """The file chain (``a.yaml -> extends b.yaml``) that set the dotted ``field``."""
        keys = tuple(re.findall(r"[^.\[\]]+", field))
        for n in range(len(keys), -1, -1):
            if keys[:n] in self.origins:
                return self.origins[keys[:n]]
        return self.origins[()]


def _key_paths(data: Mapping[str, Any], label: str, prefix: tuple[str, ...] = ()) -> dict:
    out = {prefix: label}
    for key, value in data.items():
        if isinstance(value, Mapping):
            out.update(_key_paths(value, label, (*prefix, str(key))))
        else:
            out[(*prefix, str(key))] = label
    return out


def read_scenario_document(path: str | Path, label: str | None = None,
                           _chain: tuple[Path, ...] = ()) -> ScenarioDocument:
    """Read a scenario file and its ``extends:`` chain, remembering which file set each key.

    Every error names the chain of files that led to it: ``a.yaml -> extends b.yaml: ...``.
    """
    label = label if label is not None else shorten_path(path)
    check_input_file(path, "", "yaml", label)
    path = Path(path).resolve()
    if path in _chain:
        cycle = " -> ".join(p.name for p in (*_chain, path))
        raise ScenarioError("extends", f"circular extends: {cycle}", label)
    data = _read_yaml(path, label)
    _absolutize_paths(data, path.parent)
    parent = data.pop("extends", None)
    if parent is None:
        return ScenarioDocument(data, _key_paths(data, label))
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError(
            "extends", f"{shorten(parent)} is invalid: expected the path of a scenario file", label
        )
    _check_null_keys(data, label)
    parent_path = Path(parent).expanduser()
    if not parent_path.is_absolute():
        parent_path = path.parent / parent_path
    try:
        check_input_file(parent_path, "", "yaml", label)
    except ScenarioError as exc:  # the file that names it is the one to fix
        raise ScenarioError("extends", f"{shorten(parent)}: {exc.message}", label) from None
    base = read_scenario_document(parent_path, f"{label} -> extends {shorten_path(parent)}",
                                  (*_chain, path))
    origins = {**base.origins, **_key_paths(data, label)}
    return ScenarioDocument(deep_merge(base.data, data), origins)


def _check_null_keys(data: Mapping[str, Any], label: str) -> None:
    """In an extending file, ``key: null`` resets a field: a key the schema does not know is a
    typo that merging would silently drop, so it is refused here."""
    def walk(block: Mapping[str, Any], owner: Any, loc: tuple[str, ...]) -> None:
        fields = {f.alias or n: f for n, f in owner.model_fields.items()}
        for key, value in block.items():
            field = fields.get(key)
            if field is None:
                if value is None:
                    where = ".".join((*loc, str(key)))
                    raise ScenarioError(where, f"unknown key {shorten(key)} set to null; expected "
                                               f"one of: {', '.join(fields)}", label)
                continue  # validation reports unknown keys with a value
            sub = _model_in(field.annotation)
            if isinstance(value, Mapping) and sub is not None and not _is_mapping_field(
                    field.annotation):
                walk(value, sub, (*loc, str(key)))

    walk(data, Scenario, ())


def _is_mapping_field(annotation: Any) -> bool:
    if typing.get_origin(annotation) is dict:
        return True
    return any(_is_mapping_field(a) for a in typing.get_args(annotation)
               if typing.get_origin(annotation) in (typing.Union, types.UnionType))


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
    return shorten(value)


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

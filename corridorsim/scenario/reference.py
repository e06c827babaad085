"""The scenario reference, generated from the schema.

``docs/scenario_reference.md`` is rendered from the pydantic models of
:mod:`corridorsim.scenario.schema`: one section per block, one table row per field with its dotted
path, type, default, constraints and description. A test compares the committed file with
:func:`scenario_reference_markdown`, so the reference cannot drift from the schema. After a
change to the schema, regenerate the file with::

    python -m corridorsim.scenario.reference > docs/scenario_reference.md

The walk starts at :class:`~corridorsim.scenario.schema.Scenario` and visits the blocks depth-first in
field order; a block used in several places (e.g. ``Duration``) gets a section at each place,
so every field path appears in full. The output depends only on the schema (no dates, versions
or machine details), so it is identical on every run.

Path notation: ``a.b`` is field ``b`` of block ``a``; ``a[]`` is an item of the list ``a``;
``a.<name>`` is the value stored under a key of the mapping ``a``. Field aliases (``from``) are
used where set.
"""

from __future__ import annotations

import datetime as dt
import enum
import inspect
import re
import sys
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from .schema import Scenario

__all__ = ["Block", "schema_blocks", "field_paths", "scenario_reference_markdown", "main"]

#: Constraint attributes read from field metadata, with the symbol used to show them.
_CONSTRAINTS = (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"))

_HEADER = """\
# Scenario reference

<!-- Generated from corridorsim/scenario.py by `python -m corridorsim.scenario.reference`; do not edit. -->

This page is generated from the scenario schema; do not edit it by hand. After a change to
the schema, regenerate it from the repository root with

```bash
python -m corridorsim.scenario.reference > docs/scenario_reference.md
```

A test fails while this file and the schema disagree. For how to write a scenario, with a worked
example, see [scenario.md](scenario.md); for what the fields mean in the model, see
[model.md](model.md).

How to read the tables:

- **Field** is the dotted path from the top of the file. `[]` marks an item of a list,
  `<name>` a key of a mapping (for example a node name).
- **Type**: `number` accepts integers and decimals; a *date or datetime* is written
  `2025-09-03` (midnight) or `2025-09-03T06:00`, local time of the corridor, without a time
  zone; `null` is YAML's null (`null`, `~` or an empty value).
- **Default**: *required* fields have none; *block defaults* means the block's own defaults,
  listed in its section.
- **Constraints** are checked when the file is loaded; a value outside them is an error naming
  the field.
- Units are part of the names: `_km`, `_kmh` (km/h), `_h` (hours), `_l` (litres), `_per_day`,
  `_per_1000km` (per 1000 convoy-km), `_share` (a fraction from 0 to 1).
- Unknown keys are errors. Besides the fields below, the top level of a file may hold
  `extends:`, the path of a base scenario that the file overrides (see
  [scenario.md](scenario.md#extends-building-on-another-scenario)).
"""


@dataclass(frozen=True)
class Block:
    """One place in the schema where a block (a pydantic model) is used.

    Attributes
    ----------
    path : str
        Dotted path of the block (``""`` for the top level), e.g. ``"destination.rationing[]"``.
    model : type of pydantic.BaseModel
        The block's model class.
    depth : int
        Nesting depth (0 for the top level).
    """

    path: str
    model: type[BaseModel]
    depth: int

    @property
    def anchor(self) -> str:
        """HTML anchor of the block's section."""
        return _anchor(self.path)

    @property
    def title(self) -> str:
        """Heading of the block's section."""
        if not self.path:
            return f"Top level (`{self.model.__name__}`)"
        return f"`{self.path}` ({self.model.__name__})"


# --------------------------------------------------------------------------------------------
# Walking the schema
# --------------------------------------------------------------------------------------------


def _anchor(path: str) -> str:
    if not path:
        return "top-level"
    text = path.replace("[]", "").replace("<name>", "name")
    return re.sub(r"[^a-z0-9_]+", "-", text.lower()).strip("-")


def _key(name: str, field: FieldInfo) -> str:
    return field.alias or name


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _strip_annotated(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def _child(annotation: Any, path: str) -> tuple[str, type[BaseModel]] | None:
    """The block nested in a field's type and its path, if the type holds a model."""
    annotation = _strip_annotated(annotation)
    if _is_model(annotation):
        return path, annotation
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if _is_union(annotation):
        for arg in args:
            found = _child(arg, path)
            if found is not None:
                return found
        return None
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _child(args[0], path + "[]")
    if origin in (list, set, frozenset) and args:
        return _child(args[0], path + "[]")
    if origin is dict and len(args) == 2:
        return _child(args[1], path + ".<name>")
    return None


def schema_blocks(model: type[BaseModel] = Scenario) -> list[Block]:
    """Every block of the schema, depth-first in field order, starting with ``model``.

    Parameters
    ----------
    model : type of pydantic.BaseModel
        The root block (default: :class:`~corridorsim.scenario.schema.Scenario`).

    Returns
    -------
    list of Block
    """
    out: list[Block] = []

    def walk(cls: type[BaseModel], path: str, depth: int) -> None:
        out.append(Block(path, cls, depth))
        for name, field in cls.model_fields.items():
            found = _child(field.annotation, _join(path, _key(name, field)))
            if found is not None:
                walk(found[1], found[0], depth + 1)

    walk(model, "", 0)
    return out


def field_paths(model: type[BaseModel] = Scenario) -> list[str]:
    """Dotted paths of every field of the schema, in the order of the reference."""
    return [
        _join(block.path, _key(name, field))
        for block in schema_blocks(model)
        for name, field in block.model.model_fields.items()
    ]


# --------------------------------------------------------------------------------------------
# Rendering cells
# --------------------------------------------------------------------------------------------


def _type_text(annotation: Any, path: str) -> str:
    """Readable type of a field whose value sits at ``path`` (for links to nested blocks)."""
    annotation = _strip_annotated(annotation)
    if annotation is type(None):
        return "null"
    if _is_model(annotation):
        return f"[{annotation.__name__}](#{_anchor(path)})"
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if _is_union(annotation):
        parts = [_type_text(a, path) for a in args if a is not type(None)]
        text = " or ".join(parts)
        return text + " or null" if type(None) in args else text
    if origin is typing.Literal:
        values = ", ".join(f"`{_plain(v)}`" for v in args)
        return f"one of {values}" if len(args) > 1 else values
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return "list of " + _type_text(args[0], path + "[]")
        return "[" + ", ".join(_type_text(a, path) for a in args) + "]"
    if origin in (list, set, frozenset) and args:
        return "list of " + _type_text(args[0], path + "[]")
    if origin is dict and len(args) == 2:
        return f"mapping of {_type_text(args[0], path)} to {_type_text(args[1], path + '.<name>')}"
    simple = {bool: "boolean", int: "integer", float: "number", str: "string",
              dt.datetime: "date or datetime", dt.date: "date"}
    if annotation in simple:
        return simple[annotation]
    return getattr(annotation, "__name__", str(annotation))


def _plain(value: Any) -> str:
    """A value as it would be written in a scenario file (YAML flow style)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value if value else '""'
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return _plain(value.model_dump(by_alias=True, exclude_defaults=True))
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_plain(k)}: {_plain(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_plain(v) for v in value) + "]"
    return str(value)


def _default_text(field: FieldInfo) -> str:
    if field.is_required():
        return "*required*"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel) and not value.model_dump(exclude_defaults=True):
        return "*block defaults*"
    return f"`{_plain(value)}`"


def _constraint_sources(field: FieldInfo) -> list[Any]:
    """Metadata of the field itself and of the non-null members of an optional type."""
    sources: list[Any] = list(field.metadata)
    annotation = field.annotation
    members = typing.get_args(annotation) if _is_union(annotation) else (annotation,)
    for member in members:
        if typing.get_origin(member) is typing.Annotated:
            for meta in typing.get_args(member)[1:]:
                sources.extend(meta.metadata if isinstance(meta, FieldInfo) else [meta])
    return sources


def _constraints_text(field: FieldInfo) -> str:
    found: dict[str, Any] = {}
    for meta in _constraint_sources(field):
        for attr in ("ge", "gt", "le", "lt", "min_length", "max_length"):
            value = getattr(meta, attr, None)
            if value is not None:
                found.setdefault(attr, value)
    parts = [f"{symbol} {_plain(found[attr])}" for attr, symbol in _CONSTRAINTS if attr in found]
    if found.get("min_length") == 1:
        parts.append("non-empty")
    elif "min_length" in found:
        parts.append(f"length >= {found['min_length']}")
    if "max_length" in found:
        parts.append(f"length <= {found['max_length']}")
    return ", ".join(parts)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _docstring(model: type[BaseModel]) -> str:
    doc = model.__dict__.get("__doc__")
    if not doc:
        return ""
    return inspect.cleandoc(doc).replace("``", "`")


# --------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------


def _section(block: Block) -> list[str]:
    lines = [f'<a id="{block.anchor}"></a>', "", f"## {block.title}", ""]
    doc = _docstring(block.model)
    if doc:
        lines += [doc, ""]
    lines += ["| Field | Type | Default | Constraints | Description |",
              "|---|---|---|---|---|"]
    for name, field in block.model.model_fields.items():
        path = _join(block.path, _key(name, field))
        lines.append(
            f"| `{path}` | {_cell(_type_text(field.annotation, path))} | "
            f"{_cell(_default_text(field))} | {_cell(_constraints_text(field))} | "
            f"{_cell(field.description or '')} |"
        )
    lines.append("")
    return lines


def scenario_reference_markdown() -> str:
    """The scenario reference as a markdown page (``docs/scenario_reference.md``).

    Returns
    -------
    str
        The page: a short header, a table of contents and one section per block with a table
        of its fields (dotted path, type, default, constraints, description). Deterministic:
        the text depends only on the schema.
    """
    blocks = schema_blocks(Scenario)
    lines = [_HEADER, "## Contents", ""]
    for block in blocks:
        indent = "  " * block.depth
        label = "Top level" if not block.path else f"`{block.path}`"
        lines.append(f"{indent}- [{label}](#{block.anchor}) ({block.model.__name__})")
    lines.append("")
    for block in blocks:
        lines += _section(block)
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    """Print the scenario reference to standard output.

    Usage: ``python -m corridorsim.scenario.reference > docs/scenario_reference.md``.
    """
    args = sys.argv[1:] if argv is None else argv
    if args:
        sys.stderr.write("usage: python -m corridorsim.scenario.reference > docs/scenario_reference.md\n")
        return 2
    sys.stdout.write(scenario_reference_markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())

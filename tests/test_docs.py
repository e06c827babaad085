"""The scenario reference in docs/ is generated from the schema and must not drift from it."""

from __future__ import annotations

import types
import typing
from pathlib import Path

from pydantic import BaseModel

from corridorsim.scenario.reference import field_paths, scenario_reference_markdown
from corridorsim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "scenario_reference.md"
REGENERATE = "python -m corridorsim.scenario.reference > docs/scenario_reference.md"


def _models_in(annotation, path: str):
    """(path, model) of every block held by a field type, walked independently of docgen."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield path, annotation
        return
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        yield from _models_in(args[0], path)
    elif origin in (typing.Union, types.UnionType):
        for arg in args:
            yield from _models_in(arg, path)
    elif origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        yield from _models_in(args[0], path + "[]")
    elif origin is dict:
        yield from _models_in(args[1], path + ".<name>")


def _schema_paths(model: type[BaseModel] = Scenario, prefix: str = "") -> list[str]:
    paths = []
    for name, field in model.model_fields.items():
        path = f"{prefix}.{field.alias or name}" if prefix else (field.alias or name)
        paths.append(path)
        for sub_path, sub_model in _models_in(field.annotation, path):
            paths.extend(_schema_paths(sub_model, sub_path))
    return paths


def test_reference_is_up_to_date():
    text = REFERENCE.read_text(encoding="utf-8")
    assert text == scenario_reference_markdown(), (
        f"{REFERENCE.relative_to(ROOT)} is out of date with the schema; regenerate it with "
        f"`{REGENERATE}`"
    )


def test_generation_is_deterministic():
    assert scenario_reference_markdown() == scenario_reference_markdown()


def test_every_field_path_is_documented():
    text = REFERENCE.read_text(encoding="utf-8")
    paths = _schema_paths()
    assert len(paths) > 100  # the walk reached the nested blocks
    missing = [p for p in paths if f"| `{p}` |" not in text]
    assert not missing, f"fields missing from {REFERENCE.name}: {missing}; regenerate with `{REGENERATE}`"


def test_docgen_walks_the_whole_schema():
    paths = field_paths()
    assert len(paths) == len(set(paths))
    assert sorted(paths) == sorted(_schema_paths())


def test_alias_and_nested_paths_are_used():
    paths = set(field_paths())
    assert "network.add_edges[].from" in paths  # alias, not the Python name from_
    assert "network.add_edges[].from_" not in paths
    assert "destination.rationing[].below_cover_days" in paths
    assert "network.node_overrides.<name>.lat" in paths
    assert "checkpoints[].random_wait.dist" in paths  # optional block
    assert "closures.random[].duration.mean_h" in paths


def test_every_field_has_a_description():
    missing = []

    def walk(model: type[BaseModel], prefix: str = "") -> None:
        for name, field in model.model_fields.items():
            path = f"{prefix}.{field.alias or name}" if prefix else (field.alias or name)
            if not (field.description or "").strip():
                missing.append(path)
            for sub_path, sub_model in _models_in(field.annotation, path):
                walk(sub_model, sub_path)

    walk(Scenario)
    assert not missing, f"fields without a description: {missing}"


def test_constraints_and_defaults_are_rendered():
    text = scenario_reference_markdown()
    row = next(line for line in text.splitlines()
               if line.startswith("| `destination.rationing[].demand_cut_share` |"))
    assert ">= 0, <= 1" in row and "*required*" in row
    row = next(line for line in text.splitlines()
               if line.startswith("| `destination.capacity_l` |"))
    assert "> 0" in row and "`null`" in row  # constraint inside an optional type
    row = next(line for line in text.splitlines() if line.startswith("| `threats.ambush.delay` |"))
    assert "`{dist: exponential, mean_h: 12}`" in row

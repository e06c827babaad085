"""The reference point of a sweep from the command line: ``--reference`` options, and the
scenario as written when its values are among the levels of ``--set`` factors.

Paired differences compare each point with the reference point. A sweep built from ``--set``
options on a scenario compares, by default, against the scenario as the file describes it,
when that is a point of the grid (not against the lowest levels).

Part of the experiments layer: imports the scenario layer and the sweep file schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import ScenarioError
from ..scenario.documents import scenario_from_dict
from ..scenario.safe_yaml import parse_yaml, shorten
from .sweep_schema import Factor

__all__ = ["parse_reference_option", "written_reference"]


def parse_reference_option(options: Sequence[str]) -> dict[str, Any] | int | None:
    """``--reference`` options: one point index (``--reference 3``) or factor values
    (``--reference PATH=VALUE``, repeated for several factors)."""
    if not options:
        return None
    if len(options) == 1 and options[0].strip().isdigit():
        return int(options[0])
    ref: dict[str, Any] = {}
    for option in options:
        if "=" not in option:
            raise ScenarioError("--reference", f"{option!r} is invalid: expected a point index or "
                                               "PATH=VALUE (repeat for each factor)")
        path, _, value = option.partition("=")
        try:  # the guarded parser: a CLI value is input like any file
            ref[path.strip()] = parse_yaml(value.strip(), "")
        except ScenarioError:
            raise ScenarioError(f"--reference {path.strip()}",
                                f"{shorten(value)} is not a valid value") from None
    return ref


def _same(a: Any, b: Any) -> bool:
    """Whether a level equals the scenario's value (2 and 2.0 are the same level; dates and
    times compare as written)."""
    try:
        if a == b:
            return True
    except Exception:  # noqa: BLE001 - incomparable types are simply different
        return False
    return str(a) == str(b)


def written_reference(base: dict[str, Any], factors: Sequence[Factor]) -> dict[str, Any] | None:
    """The factor values of the scenario as written (its explicit values or the schema's
    defaults), when each of them is one of its factor's levels; else ``None``."""
    from ..scenario.paths import get_path

    # JSON mode: tuples become lists (paths select from lists); dates become ISO text, which
    # _same compares with a level's text
    written = scenario_from_dict(base).model_dump(mode="json")
    ref: dict[str, Any] = {}
    for f in factors:
        if f.values is None:
            return None  # a range or alternatives: the scenario's value is not a level
        try:
            value = get_path(written, f.path)
        except ScenarioError:
            return None
        level = next((v for v in f.values if _same(v, value)), _MISSING)
        if level is _MISSING:
            return None
        ref[f.label] = level
    return ref


_MISSING = object()

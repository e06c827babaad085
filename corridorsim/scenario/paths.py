"""Dotted paths into scenario data: ``escorts.bases[kayes].units``, ``sources[0].payload_l``.

A path is a chain of mapping keys separated by dots, with list selectors in brackets: an integer
index (``[0]``) or the ``name`` (or, failing that, ``node``) of a list element (``[kayes]``).
Sweep factors and the ``--set`` option name scenario parameters this way.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ..errors import ScenarioError

__all__ = ["parse_path", "get_path", "set_path", "set_path_in_place"]

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")


def _bad(path: str, why: str) -> ScenarioError:
    return ScenarioError("", f"{path!r} is not a valid path ({why}): expected e.g. "
                             "'sources[0].payload_l' or 'escorts.bases[kayes].units'")


def parse_path(path: str) -> list[str | int | tuple[str]]:
    """Split a path into keys (str), list indices (int) and list selectors by name (1-tuple).

    Raises
    ------
    ScenarioError
        If the path is empty or malformed.
    """
    parts: list[str | int | tuple[str]] = []
    pos = 0
    while pos < len(path):
        if path[pos] == "[":
            end = path.find("]", pos)
            if end < 0 or end == pos + 1:
                raise _bad(path, f"unclosed or empty [ at position {pos}")
            sel = path[pos + 1:end]
            parts.append(int(sel) if sel.isdigit() else (sel,))
            pos = end + 1
            continue
        if parts:
            if path[pos] != ".":
                raise _bad(path, f"unexpected {path[pos]!r} at position {pos}")
            pos += 1
        m = _KEY.match(path, pos)
        if not m:
            raise _bad(path, f"expected a key at position {pos}")
        parts.append(m.group(0))
        pos = m.end()
    if not parts or not isinstance(parts[0], str):
        raise _bad(path, "it must start with a key")
    return parts


def _select(items: list, sel: int | tuple[str], path: str) -> int:
    if isinstance(sel, int):
        if not 0 <= sel < len(items):
            raise ScenarioError("", f"{path!r}: index {sel} is out of range (the list has {len(items)} "
                                    "items)")
        return sel
    name = sel[0]
    for key in ("name", "node"):
        for i, item in enumerate(items):
            if isinstance(item, dict) and item.get(key) == name:
                return i
    names = [str(it.get("name", it.get("node"))) for it in items if isinstance(it, dict)]
    raise ScenarioError("", f"{path!r}: no item named {name!r}; expected one of: {', '.join(names)}")


def get_path(data: Any, path: str) -> Any:
    """Value at ``path`` in nested dicts and lists (``ScenarioError`` if absent)."""
    cur = data
    for part in parse_path(path):
        if isinstance(part, str):
            if not isinstance(cur, dict) or part not in cur:
                raise ScenarioError("", f"{path!r}: no key {part!r} here")
            cur = cur[part]
        else:
            if not isinstance(cur, list):
                raise ScenarioError("", f"{path!r}: {part!r} selects from a list, but the value is "
                                        f"a {type(cur).__name__}")
            cur = cur[_select(cur, part, path)]
    return cur


def set_path(data: dict, path: str, value: Any) -> dict:
    """A deep copy of ``data`` with ``value`` at ``path``.

    Missing mapping keys along the path are created (the schema then decides whether they are
    valid); list elements must exist.
    """
    return set_path_in_place(copy.deepcopy(data), path, value)


def set_path_in_place(out: dict, path: str, value: Any) -> dict:
    """Set ``value`` (a deep copy of it) at ``path`` in ``out`` itself, and return ``out``.

    For data the caller owns (a fresh ``model_dump``); see :func:`set_path`.
    """
    parts = parse_path(path)
    cur: Any = out
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(part, str):
            if not isinstance(cur, dict):
                raise ScenarioError("", f"{path!r}: {part!r} is a key, but the value here is a "
                                        f"{type(cur).__name__}")
            if last:
                cur[part] = copy.deepcopy(value)
            else:
                nxt = parts[i + 1]
                if part not in cur or cur[part] is None:
                    if not isinstance(nxt, str):
                        raise ScenarioError("", f"{path!r}: {part!r} is not set in the base scenario")
                    cur[part] = {}
                cur = cur[part]
        else:
            if not isinstance(cur, list):
                raise ScenarioError("", f"{path!r}: {part!r} selects from a list, but the value is "
                                        f"a {type(cur).__name__}")
            j = _select(cur, part, path)
            if last:
                cur[j] = copy.deepcopy(value)
            else:
                cur = cur[j]
    return out

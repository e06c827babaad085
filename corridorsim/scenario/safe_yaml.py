"""The one guarded reader of every input file: scenarios, their ``extends:`` chain, sweep and
calibration files, and the CSV tables they name.

Input files are untrusted (they are passed around and edited by hand), so before anything is
parsed this module checks that the path names a regular file (not a directory, device or FIFO:
``/dev/zero`` would never end), that its name is not too long for the file system and that it is
smaller than a size limit; then that it is UTF-8 text (a byte order mark is allowed and dropped;
UTF-16, UTF-32 and binary files are refused by name). YAML documents are parsed by a safe loader
(no tags that run code) that also refuses

* duplicate keys in a mapping (YAML would silently keep the last one),
* nesting deeper than :data:`MAX_DEPTH` levels (Python's recursion limit would otherwise end the
  parse with a ``RecursionError``),
* aliases whose expansion holds more than :data:`MAX_NODES` values (a one-kilobyte "billion
  laughs" document expands to 10^9 strings and hangs every later step),
* impossible dates (``2025-02-30``) and numbers too long to convert.

Every refusal is a :class:`~corridorsim.errors.ScenarioError` naming the file and, where known, the
line. The limits are documented in ``docs/reliability.md``; the two size limits can be raised
with the environment variables ``CORRIDORSIM_MAX_YAML_MB`` and ``CORRIDORSIM_MAX_TABLE_MB``.

May import: :mod:`corridorsim.errors`, PyYAML and the standard library.
"""

from __future__ import annotations

import codecs
import copy
import datetime as dt
import os
import reprlib
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, SequenceNode

from ..errors import ScenarioError

__all__ = [
    "MAX_DEPTH",
    "MAX_NODES",
    "DEFAULT_MAX_YAML_MB",
    "DEFAULT_MAX_TABLE_MB",
    "max_bytes",
    "shorten",
    "short_name",
    "check_input_file",
    "read_text",
    "parse_yaml",
    "read_yaml",
]

#: Deepest nesting of lists and mappings accepted in a YAML file (scenarios need about 8).
MAX_DEPTH = 50
#: Most values (scalars, lists, mappings) a YAML document may hold once its aliases are expanded.
MAX_NODES = 250_000
#: Default size limit of YAML files in MiB (``CORRIDORSIM_MAX_YAML_MB`` overrides it).
DEFAULT_MAX_YAML_MB = 2.0
#: Default size limit of CSV, GraphML and GeoJSON inputs in MiB (``CORRIDORSIM_MAX_TABLE_MB``).
DEFAULT_MAX_TABLE_MB = 256.0
#: Longest file name component (bytes) and whole path (characters) accepted.
_MAX_NAME_BYTES = 255
_MAX_PATH_CHARS = 4096

_REPR = reprlib.Repr()
_REPR.maxstring = 60
_REPR.maxother = 60
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 4
_REPR.maxlevel = 2


def shorten(value: Any, limit: int = 80) -> str:
    """``repr`` of ``value`` cut to about ``limit`` characters, safe on huge or deeply nested
    values (it never builds the full representation)."""
    if isinstance(value, dt.date):  # dates as written in YAML, not as Python reprs
        return value.isoformat()
    try:
        text = _REPR.repr(value)
    except Exception:  # a value whose repr fails is still worth naming by type
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit - 3] + "..."


def short_name(path: str | os.PathLike) -> str:
    text = str(path)
    return text if len(text) <= 120 else text[:60] + "..." + text[-50:]


def max_bytes(kind: str) -> int:
    """The size limit in bytes of ``kind`` (``"yaml"`` or ``"table"``) input files.

    Read from ``CORRIDORSIM_MAX_YAML_MB`` / ``CORRIDORSIM_MAX_TABLE_MB`` (MiB, a positive
    number) when set, else :data:`DEFAULT_MAX_YAML_MB` / :data:`DEFAULT_MAX_TABLE_MB`.
    """
    var = f"CORRIDORSIM_MAX_{kind.upper()}_MB"
    default = DEFAULT_MAX_YAML_MB if kind == "yaml" else DEFAULT_MAX_TABLE_MB
    raw = os.environ.get(var, "")
    if not raw:
        return int(default * 2**20)
    try:
        mb = float(raw)
    except ValueError:
        mb = float("nan")
    if not (0 < mb < 2**40):
        raise ScenarioError("", f"{var}={shorten(raw)} is invalid: expected a size in MiB > 0")
    return int(mb * 2**20)


def check_input_file(path: str | os.PathLike, field: str = "", kind: str = "yaml",
                     file: str | None = None) -> int:
    """Check that ``path`` is a readable regular file under the size limit of ``kind``.

    Parameters
    ----------
    path : str or path-like
        The input file.
    field : str
        Field that names the file (for the message), empty for the file itself.
    kind : {"yaml", "table"}
        Which size limit applies.
    file : str, optional
        What the error is attributed to (default: ``path`` itself).

    Returns
    -------
    int
        The file's size in bytes.

    Raises
    ------
    ScenarioError
        For a missing file, a directory, a device or FIFO, a name too long or a file too big.
    """
    text = os.fspath(path)
    who = file if file is not None else short_name(text)
    shown = f"{short_name(text)!r}: " if field else ""
    if "\x00" in text:
        raise ScenarioError(field, f"{shown}file name contains a NUL byte", who)
    if len(text) > _MAX_PATH_CHARS or any(
            len(part.encode("utf-8", "surrogateescape")) > _MAX_NAME_BYTES
            for part in Path(text).parts):
        raise ScenarioError(field, f"{shown}file name too long: expected at most "
                                   f"{_MAX_NAME_BYTES} bytes per name", who)
    try:
        st = os.stat(text)
    except FileNotFoundError:
        raise ScenarioError(field, f"{shown}file not found", who) from None
    except OSError as exc:
        raise ScenarioError(field, f"{shown}cannot read file ({exc.strerror})", who) from None
    if stat.S_ISDIR(st.st_mode):
        raise ScenarioError(field, f"{shown}is a directory, expected a file", who)
    if not stat.S_ISREG(st.st_mode):
        raise ScenarioError(field, f"{shown}is not a regular file (a device, FIFO or socket): "
                                   "expected a file", who)
    limit = max_bytes(kind)
    if st.st_size > limit:
        raise ScenarioError(field, f"{shown}file is {st.st_size / 2**20:.1f} MiB, more than the "
                                   f"limit of {limit / 2**20:g} MiB (raise it with "
                                   f"CORRIDORSIM_MAX_{kind.upper()}_MB)", who)
    return st.st_size


_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
         (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))


def _decode(data: bytes, field: str, who: str) -> str:
    shown = "" if not field else "named file "
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    else:
        for bom, name in _BOMS:
            if data.startswith(bom):
                raise ScenarioError(field, f"{shown}is {name} text: expected UTF-8 (save it as "
                                           "UTF-8)", who)
    if b"\x00" in data[:8192]:
        raise ScenarioError(field, f"{shown}is a binary file (it holds NUL bytes): expected UTF-8 "
                                   "text", who)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ScenarioError(field, f"{shown}is not UTF-8 text: byte 0x{data[exc.start]:02x} at "
                                   f"line {line}, column {col} (save the file as UTF-8)",
                            who) from None


def read_text(path: str | os.PathLike, field: str = "", kind: str = "yaml",
              file: str | None = None) -> str:
    """Read a whole input file as text after :func:`check_input_file`.

    The file is read up to its size limit only (a file that grows while it is read, like a
    pipe behind a symbolic link, cannot exhaust memory). UTF-8 with or without a byte order mark
    is accepted; anything else is refused with the byte and line where decoding failed.
    """
    check_input_file(path, field, kind, file)
    who = file if file is not None else short_name(path)
    limit = max_bytes(kind)
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise ScenarioError(field, f"cannot read file ({exc.strerror})", who) from None
    if len(data) > limit:
        raise ScenarioError(field, f"file is more than the limit of {limit / 2**20:g} MiB (raise "
                                   f"it with CORRIDORSIM_MAX_{kind.upper()}_MB)", who)
    return _decode(data, field, who)


class _GuardedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with limits on depth and alias expansion, and no duplicate keys."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if not self.check_event(AliasEvent):
            self._depth += 1
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep", mark)
            try:
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1
        return super().compose_node(parent, index)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict:
        if isinstance(node, MappingNode):
            seen: set = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:
                    continue  # an unhashable key: the base constructor reports it
                if duplicate:
                    raise ConstructorError(None, None, f"duplicate key {shorten(key)}: each key "
                                           "may appear once in a mapping", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: Node) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            raise ConstructorError(None, None, f"{shorten(node.value)} is not a valid date or "
                                   "date-time", node.start_mark) from None

    def construct_yaml_int(self, node: Node) -> Any:
        try:
            return super().construct_yaml_int(node)
        except ValueError:
            raise ConstructorError(None, None, f"integer {shorten(node.value, 40)} has too many "
                                   "digits", node.start_mark) from None


_GuardedLoader.add_constructor("tag:yaml.org,2002:timestamp", _GuardedLoader.construct_yaml_timestamp)
_GuardedLoader.add_constructor("tag:yaml.org,2002:int", _GuardedLoader.construct_yaml_int)
_GuardedLoader.add_constructor("tag:yaml.org,2002:map", _GuardedLoader.construct_yaml_map)


class _Recursive(Exception):
    """An alias inside the node it refers to (``&a [*a]``): a value that contains itself."""

    def __init__(self, mark):
        self.mark = mark


def _expanded_size(root: Node) -> int:
    """Number of values in the document with every alias expanded, without expanding it:
    sizes are memoised per node, so shared (aliased) nodes are counted once per use in
    linear time."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()  # on the current path: meeting one again is a cycle
    # children before parents: an explicit post-order walk (no recursion)
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if id(node) in sizes:
            continue
        if not ready and id(node) in open_nodes:
            raise _Recursive(node.start_mark)
        if isinstance(node, SequenceNode):
            children = list(node.value)
        elif isinstance(node, MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            sizes[id(node)] = 1
            continue
        if ready:
            total = 1 + sum(sizes.get(id(c), 0) for c in children)
            sizes[id(node)] = min(total, MAX_NODES + 1)
            open_nodes.discard(id(node))
        else:
            open_nodes.add(id(node))
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


#: Documents parsed lately, by text: a command reads its scenario file several times (what kind
#: of file it is, the scenario, the sweep's base) and this pure-Python parse costs about 1 ms
#: per kB. Only successful parses are kept (the file label only matters to errors); callers
#: get deep copies.
_PARSED: dict[str, Any] = {}
_PARSED_KEEP = 8


def parse_yaml(text: str, file: str) -> Any:
    """Parse one YAML document with the guarded safe loader (a document parsed lately with the
    same text is not parsed again: a deep copy of it is returned).

    Raises
    ------
    ScenarioError
        Invalid YAML, a duplicate key, an impossible date, nesting deeper than
        :data:`MAX_DEPTH` or aliases expanding to more than :data:`MAX_NODES` values; the
        message gives the line and column.
    """
    if text not in _PARSED:
        data = _parse(text, file)
        if len(_PARSED) >= _PARSED_KEEP:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[text] = data
    return copy.deepcopy(_PARSED[text])


def _parse(text: str, file: str) -> Any:
    loader = None
    try:
        loader = _GuardedLoader(text)  # the reader refuses control characters here already
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            size = _expanded_size(node)
        except _Recursive as exc:
            raise ScenarioError("", f"invalid YAML at line {exc.mark.line + 1}, column "
                                    f"{exc.mark.column + 1}: an alias inside its own anchor (a "
                                    "value that contains itself)", file) from None
        if size > MAX_NODES:
            raise ScenarioError("", f"too many values: with its aliases (*name) expanded the file "
                                    f"holds more than {MAX_NODES:,} values", file)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise ScenarioError("", f"invalid YAML{where}: {problem}", file) from None
    except RecursionError:
        raise ScenarioError("", f"invalid YAML: nested more than {MAX_DEPTH} levels deep",
                            file) from None
    except (ValueError, TypeError, OverflowError) as exc:  # a tagged value that does not convert
        raise ScenarioError("", f"invalid YAML: {shorten(str(exc), 120)}", file) from None
    finally:
        if loader is not None:
            loader.dispose()


def read_yaml(path: str | os.PathLike, what: str, file: str | None = None) -> dict[str, Any]:
    """Read a YAML file that must hold a mapping (a scenario, sweep or calibration file).

    Parameters
    ----------
    path : str or path-like
        The file.
    what : str
        What kind of file it is, for messages (``"scenario"``, ``"sweep"``).
    file : str, optional
        What errors are attributed to, e.g. ``"a.yaml -> extends b.yaml"`` (default: ``path``).
    """
    who = file if file is not None else short_name(path)
    data = parse_yaml(read_text(path, "", "yaml", who), who)
    if data is None:
        raise ScenarioError("", f"file is empty, expected a mapping of {what} fields", who)
    if not isinstance(data, dict):
        raise ScenarioError("", f"expected a mapping of {what} fields, got a "
                                f"{type(data).__name__}", who)
    return data

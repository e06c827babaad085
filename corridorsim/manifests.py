"""Reading back what corridorsim wrote in a results directory (manifests and CSV tables), as
hostile input.

Every results directory carries one manifest: ``manifest.json`` (a run), ``sweep.json`` (a
sweep), ``calibration.json`` (a calibration), ``study.json`` (a decision study). Commands that
read a directory back (``summarize``, ``plot``, ``report``, ``export``, ``discover`` ...) may be
pointed at a directory whose manifest was truncated, edited by hand or replaced by something
else entirely, so the one reader here turns every way a manifest can be unusable (missing,
huge, binary, not JSON, nested past the parser's depth, not an object, lacking a field the
reader needs) into an :class:`~corridorsim.errors.OutputError` naming the file, what is wrong
and what was expected; the command line turns it into one line and exit code 2.
:func:`read_results_csv` does the same for the CSV tables beside a manifest (``design.csv``,
``samples.csv``): a missing or unreadable one is an incomplete directory, not a crash.

A shared helper: any layer may import it; it imports the standard library,
:mod:`corridorsim.errors`, and pandas when a table is read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import OutputError

__all__ = ["MAX_MANIFEST_BYTES", "read_manifest", "read_results_csv"]

#: Largest manifest read, bytes. The manifests corridorsim writes are a few kB to a few hundred
#: kB (a calibration's holds its tolerance path and particles); anything larger is not one.
MAX_MANIFEST_BYTES = 64 * 1024 * 1024


def read_manifest(path: str | Path, what: str, required: Sequence[str] = ()) -> dict[str, Any]:
    """The JSON object in ``path``, checked to be a manifest corridorsim could have written.

    Parameters
    ----------
    path : str or Path
        The manifest file.
    what : str
        What the directory holding it should be, for messages ("a sweep results directory").
    required : sequence of str
        Top-level fields the caller reads.

    Returns
    -------
    dict
        The parsed object.

    Raises
    ------
    OutputError
        If the file is missing, too large, not UTF-8 JSON, not an object or lacks a field of
        ``required``.
    """
    path = Path(path)
    expected = f"expected the JSON manifest that corridorsim writes in {what}"
    if not path.is_file():
        raise OutputError(f"{path.parent}: not {what} (no {path.name})")
    size_b = path.stat().st_size
    if size_b > MAX_MANIFEST_BYTES:
        raise OutputError(f"{path}: {size_b} bytes, larger than any manifest "
                          f"({MAX_MANIFEST_BYTES} at most); {expected}")
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise OutputError(f"{path}: not UTF-8 text (byte {exc.start}); {expected}") from None
    except json.JSONDecodeError as exc:
        raise OutputError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: "
                          f"{exc.msg}); {expected}") from None
    except RecursionError:
        raise OutputError(f"{path}: nested too deeply to be a manifest; {expected}") from None
    if not isinstance(data, dict):
        raise OutputError(f"{path}: top level is a JSON {type(data).__name__}, not an object; "
                          f"{expected}")
    missing = [key for key in required if key not in data]
    if missing:
        raise OutputError(f"{path}: field {missing[0]!r} is missing; {expected}")
    return data


def read_results_csv(path: str | Path, what: str):
    """The CSV table ``path`` of a results directory, as a pandas DataFrame.

    Parameters
    ----------
    path : str or Path
        The table (``design.csv``, ``samples.csv`` ...).
    what : str
        What the directory holding it should be, for messages ("a sweep results directory").

    Raises
    ------
    OutputError
        If the table is missing or is not a CSV table pandas can read.
    """
    import pandas as pd  # only commands that read results back need it

    path = Path(path)
    if not path.is_file():
        raise OutputError(f"{path.parent}: incomplete results ({path.name} is missing); "
                          f"expected {what}")
    try:
        return pd.read_csv(path)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        # EmptyDataError and the C parser's errors are ValueErrors; say only the first line
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise OutputError(f"{path}: not a table corridorsim wrote ({reason}); expected the "
                          f"CSV file of {what}") from None

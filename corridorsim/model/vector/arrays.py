"""Which array module the fast path computes with: NumPy by default, CuPy on request.

The fast path is written against an ``xp`` namespace (the NumPy API). ``CORRIDORSIM_ARRAY=cupy``
(or ``array_module("cupy")``) runs it on a GPU with CuPy (optional extra ``gpu``). Functions that
must agree bit for bit with the SimPy engine's scalar ``math`` calls (logarithms and
exponentials of random draws) go through :func:`exact_map`, which on NumPy applies the ``math``
function element by element (NumPy's vectorised ``log``/``exp`` may differ in the last bit)
and on CuPy uses the device function. Imports numpy only (cupy when asked for).
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from ...errors import CorridorSimError, ResourceError

__all__ = ["array_module", "exact_map", "to_host", "ENV_VARIABLE"]

#: Environment variable naming the array module (``numpy`` or ``cupy``).
ENV_VARIABLE = "CORRIDORSIM_ARRAY"


def array_module(name: str | None = None) -> Any:
    """The array module called ``name`` (default: ``$CORRIDORSIM_ARRAY``, else ``numpy``).

    Raises
    ------
    CorridorSimError
        For an unknown name.
    ResourceError
        For ``cupy`` when CuPy is not installed.
    """
    name = (name or os.environ.get(ENV_VARIABLE) or "numpy").strip().lower()
    if name == "numpy":
        return np
    if name == "cupy":
        try:
            import cupy  # noqa: PLC0415 - optional dependency, imported only on request
        except ImportError as exc:
            raise ResourceError(
                f"{ENV_VARIABLE}=cupy needs CuPy: pip install 'corridorsim[gpu]'") from exc
        return cupy
    raise CorridorSimError(f"{ENV_VARIABLE}: unknown array module {name!r}; expected numpy or cupy")


def to_host(a: Any) -> np.ndarray:
    """A NumPy copy of an array of any module."""
    if isinstance(a, np.ndarray):
        return a
    get = getattr(a, "get", None)
    return np.asarray(get() if get is not None else a)


_DEVICE = {"log": "log", "log1p": "log1p", "exp": "exp"}


def exact_map(xp: Any, name: str, a: Any) -> Any:
    """``math.<name>`` applied to every element of ``a`` (on NumPy bit-identical to the
    engine's scalar calls; on another module its own vectorised function)."""
    if xp is np:
        fn = getattr(math, name)
        return np.fromiter(map(fn, a.tolist()), dtype=np.float64, count=a.size)
    return getattr(xp, _DEVICE[name])(a)

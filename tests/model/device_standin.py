"""A CPU stand-in for CuPy: arrays that live "on a device" and refuse to mix with host arrays.

The fast path is written against an array module ``xp`` so that it runs unchanged on CuPy
(:mod:`corridorsim.model.vector.arrays`). Without a GPU the CuPy path cannot run, but the
mistakes that would break it can be caught on a CPU: a device array handed to a NumPy function
that converts it (``np.asarray``, ``np.fromiter``, a host array indexed or assigned with it), or a
device array mixed with a host array in arithmetic. CuPy refuses both with a ``TypeError``
("Implicit conversion to a NumPy array is not allowed", "Unsupported type"); so does this
stand-in. The arithmetic itself is NumPy's, so results equal the NumPy path's (except where the
fast path deliberately calls the device's own functions, :func:`~corridorsim.model.vector.arrays.
exact_map`).

What it does not check: that every function the fast path calls exists in CuPy (this namespace
has all of NumPy's), and CuPy's own numerics.
"""

from __future__ import annotations

import math
import types
from typing import Any

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

__all__ = ["DeviceArray", "device_module"]

_MESSAGE = "Implicit conversion to a NumPy array is not allowed (a device array, as on CuPy)"


class DeviceArray(NDArrayOperatorsMixin):
    """A NumPy array behind a device boundary: ``.get()`` copies it to the host."""

    __slots__ = ("_a",)

    def __init__(self, a: np.ndarray):
        self._a = a

    # -------------------------------------------------------------- the boundary
    def __array__(self, dtype=None, copy=None):
        raise TypeError(_MESSAGE)

    def get(self) -> np.ndarray:
        """A host copy (CuPy's ``ndarray.get``)."""
        return np.array(self._a)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        args = [_unwrap_operand(x) for x in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(_unwrap_operand(x) for x in kwargs["out"])
        return _wrap(getattr(ufunc, method)(*args, **kwargs))

    def __array_function__(self, func, types_, args, kwargs):
        return _wrap(func(*_unwrap_tree(args), **_unwrap_tree(kwargs)))

    # -------------------------------------------------------------- array protocol
    def __getitem__(self, key):
        return _wrap(self._a[_unwrap_index(key)])

    def __setitem__(self, key, value):
        self._a[_unwrap_index(key)] = _unwrap_value(value)

    def __len__(self) -> int:
        return len(self._a)

    def __iter__(self):
        return (_wrap(x) for x in self._a)

    def __float__(self) -> float:
        return float(self._a)

    def __int__(self) -> int:
        return int(self._a)

    def __index__(self) -> int:
        return self._a.__index__()

    def __bool__(self) -> bool:
        return bool(self._a)

    def __repr__(self) -> str:
        return f"DeviceArray({self._a!r})"

    def __getattr__(self, name: str):
        if name.startswith("__"):  # no __array_interface__ & co: NumPy would read the data
            raise AttributeError(name)
        attr = getattr(self._a, name)
        if callable(attr):
            return lambda *a, **k: _wrap(attr(*_unwrap_tree(a), **_unwrap_tree(k)))
        return _wrap(attr)

    @property
    def T(self):  # noqa: N802 - NumPy's name
        return _wrap(self._a.T)


def _wrap(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        return DeviceArray(x)
    if isinstance(x, np.generic):  # CuPy's reductions give 0-d device arrays
        return DeviceArray(np.asarray(x))
    if isinstance(x, tuple):
        return tuple(_wrap(v) for v in x)
    if isinstance(x, list):
        return [_wrap(v) for v in x]
    return x


def _unwrap_operand(x: Any) -> Any:
    """An operand of device arithmetic: device arrays and scalars only (CuPy refuses host
    arrays: ``TypeError: Unsupported type <class 'numpy.ndarray'>``)."""
    if isinstance(x, DeviceArray):
        return x._a  # noqa: SLF001
    if isinstance(x, np.ndarray) and x.ndim > 0:
        raise TypeError("Unsupported type <class 'numpy.ndarray'>: a host array mixed with "
                        "device arrays (as on CuPy)")
    return x


def _unwrap_tree(x: Any) -> Any:
    if isinstance(x, DeviceArray | np.ndarray):
        return _unwrap_operand(x)
    if isinstance(x, tuple):
        return tuple(_unwrap_tree(v) for v in x)
    if isinstance(x, list):
        return [_unwrap_tree(v) for v in x]
    if isinstance(x, dict):
        return {k: _unwrap_tree(v) for k, v in x.items()}
    return x


def _unwrap_index(key: Any) -> Any:
    """An index: device arrays, and host arrays (CuPy copies host index arrays over)."""
    if isinstance(key, DeviceArray):
        return key._a  # noqa: SLF001
    if isinstance(key, tuple):
        return tuple(_unwrap_index(k) for k in key)
    return key


def _unwrap_value(value: Any) -> Any:
    """A value assigned into a device array (CuPy copies a host array over)."""
    return value._a if isinstance(value, DeviceArray) else value  # noqa: SLF001


def _to_device(a: Any, dtype=None, **kwargs) -> DeviceArray:
    """``xp.asarray``: host data (arrays, lists, scalars) or device arrays to the device."""
    if isinstance(a, DeviceArray):
        a = a._a  # noqa: SLF001
    elif isinstance(a, list | tuple):
        a = _unwrap_tree(list(a)) if any(isinstance(v, DeviceArray) for v in a) else a
    return DeviceArray(np.array(a, dtype=dtype, copy=True) if kwargs.get("copy") else
                       np.asarray(a, dtype=dtype))


def device_module() -> types.SimpleNamespace:
    """An ``xp`` namespace whose functions take and give :class:`DeviceArray`.

    Every NumPy function is there, wrapped: its device-array arguments are unwrapped, a host
    array among them is refused (as CuPy's functions refuse NumPy arrays), and its array results
    are wrapped. ``asarray``/``array`` accept host data (the way onto the device); ``asnumpy``
    gives host copies.
    """
    ns: dict[str, Any] = {}
    for name in dir(np):
        obj = getattr(np, name)
        if name.startswith("_") or isinstance(obj, types.ModuleType):
            continue
        if isinstance(obj, type) or not callable(obj):
            ns[name] = obj  # dtypes, constants, scalar types
        else:
            ns[name] = _wrapped(obj)
    ns["asarray"] = ns["array"] = _to_device
    ns["ndarray"] = DeviceArray
    # the device's own log/log1p/exp (what exact_map calls off NumPy) as the C library's, so
    # that a comparison with the NumPy path checks the host/device plumbing, not libm's last bit
    for name in ("log", "log1p", "exp"):
        ns[name] = _exact(getattr(math, name))
    ns["asnumpy"] = lambda a: a.get() if isinstance(a, DeviceArray) else np.asarray(a)
    ns["__name__"] = "device_standin"
    return types.SimpleNamespace(**ns)


class _DeviceUfunc:
    """A NumPy ufunc as CuPy's: device arrays and scalars in (host arrays refused), device
    arrays out; its methods (``reduce``, ``accumulate``, ``at``...) likewise."""

    def __init__(self, ufunc: np.ufunc):
        self._u = ufunc

    def __call__(self, *args, **kwargs):
        return _wrap(self._u(*_unwrap_tree(args), **_unwrap_tree(kwargs)))

    def __getattr__(self, name: str):
        attr = getattr(self._u, name)
        if not callable(attr):
            return attr
        return lambda *a, **k: _wrap(attr(*_unwrap_tree(a), **_unwrap_tree(k)))


def _exact(fn):
    def call(a):
        host = _unwrap_operand(a)
        out = np.fromiter(map(fn, np.ravel(host).tolist()), dtype=np.float64, count=np.size(host))
        return _wrap(out.reshape(np.shape(host)))

    return call


def _wrapped(fn):
    if isinstance(fn, np.ufunc):
        return _DeviceUfunc(fn)

    def call(*args, **kwargs):
        return _wrap(fn(*_unwrap_tree(args), **_unwrap_tree(kwargs)))

    call.__name__ = getattr(fn, "__name__", "fn")
    return call

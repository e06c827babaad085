"""Counter-based random numbers: each uniform a pure function of (seed, key, draw index).

Building a ``numpy.random.Generator`` costs about 15 us (a ``SeedSequence`` hashes its entropy
and a PCG64 is seeded), which is too much for something created once per movement. A
counter-based generator (Salmon et al. 2011, "Parallel random numbers: as easy as 1, 2, 3")
derives the ``i``-th number of a stream directly from the stream's key and ``i``: nothing is
built, the numbers of one stream do not depend on how many were drawn from any other, and the
same numbers can be computed for many replications at once on arrays.

The mixing function is the SplitMix64 finaliser (Steele, Lea and Flood 2014, "Fast splittable
pseudorandom number generators"; the output function of Java's ``SplittableRandom``), a
bijection of 64-bit words with full avalanche. A stream key folds the root seed, the
replication and the parts of a key (stream code, kind, origin, ordinal...) one word at a time:

    k_0 = mix(seed_64 ^ G),    k_{j+1} = mix(k_j ^ (p_j * G + C))  (mod 2^64)

with ``G`` the 64-bit golden ratio and ``C`` an odd constant, and the ``i``-th uniform of a
stream is

    u_i = ((mix(k + (i + 1) G) >> 11) + 1/2) / 2^53,    0 < u_i < 1.

The scalar functions (Python integers) and the array functions (any array module with 64-bit
unsigned integers: NumPy, CuPy) give bit-identical results; the tests check it. This is not a
cryptographic generator and does not need to be: streams are used for simulation only.

Pure functions, no SimPy. May import numpy only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["MASK64", "mix64", "seed_word", "stream_key", "extend_key", "uniform", "exponential",
           "CounterStream", "mix64_array", "stream_keys_array", "uniforms_array"]

MASK64 = (1 << 64) - 1
_G = 0x9E3779B97F4A7C15  # 2^64 / golden ratio, odd
_C = 0xD1B54A32D192ED03  # odd constant separating key parts from draw counters
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_TWO_M53 = 2.0 ** -53


def mix64(z: int) -> int:
    """SplitMix64 finaliser of a 64-bit word (a bijection)."""
    z &= MASK64
    z = ((z ^ (z >> 30)) * _M1) & MASK64
    z = ((z ^ (z >> 27)) * _M2) & MASK64
    return z ^ (z >> 31)


def seed_word(seed: int) -> int:
    """Fold a non-negative root seed of any size into one 64-bit word."""
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    word, rest = seed & MASK64, seed >> 64
    while rest:
        word = mix64(word ^ (rest & MASK64) ^ _C)
        rest >>= 64
    return word


def stream_key(seed: int, parts: Sequence[int]) -> int:
    """The key of the stream named by ``parts`` (non-negative integers) under ``seed``."""
    k = mix64(seed_word(seed) ^ _G)
    for p in parts:
        k = mix64(k ^ ((p * _G + _C) & MASK64))
    return k


def extend_key(key: int, part: int) -> int:
    """The key of ``parts + (part,)`` from the key of ``parts``: ``stream_key`` one part on."""
    return mix64(key ^ ((part * _G + _C) & MASK64))


def uniform(key: int, index: int) -> float:
    """The ``index``-th uniform of stream ``key``, in the open interval (0, 1)."""
    return ((mix64(key + (index + 1) * _G) >> 11) + 0.5) * _TWO_M53


def exponential(key: int, index: int) -> float:
    """A unit exponential from the ``index``-th uniform: ``-log(u)`` (inverse CDF)."""
    return -math.log(uniform(key, index))


class CounterStream:
    """A stream read in order: the draw index advances with every number taken.

    Offers the few ``numpy.random.Generator`` methods the engine uses for its frequent draws
    (``random``, ``exponential``), so that it can stand where a generator stood. For the rare
    draws that need a full generator (a multivariate hypergeometric split of a loss across
    lots), :meth:`generator` builds one seeded from the stream's key and the current index,
    once, and advances the index so that later draws do not reuse its numbers.

    Parameters
    ----------
    key : int
        The stream's key (:func:`stream_key`).
    """

    __slots__ = ("key", "index")

    def __init__(self, key: int) -> None:
        self.key = key
        self.index = 0

    def random(self, size: int | None = None) -> Any:
        """One uniform (``size=None``) or a float64 array of ``size`` uniforms in (0, 1)."""
        if size is None:
            u = uniform(self.key, self.index)
            self.index += 1
            return u
        out = np.fromiter((uniform(self.key, self.index + j) for j in range(size)),
                          dtype=np.float64, count=size)
        self.index += size
        return out

    def exponential(self, scale: float = 1.0) -> float:
        """An exponential with mean ``scale`` by inverse CDF."""
        e = exponential(self.key, self.index)
        self.index += 1
        return scale * e

    def generator(self) -> np.random.Generator:
        """A NumPy generator for rare, complex draws, seeded from this stream's next word."""
        word = mix64(self.key + (self.index + 1) * _G)
        self.index += 1
        return np.random.Generator(np.random.PCG64(word))


# --------------------------------------------------------------------------- arrays
def _u64(xp: Any, value: int) -> Any:
    return xp.asarray(value & MASK64, dtype=xp.uint64)


def mix64_array(z: Any, xp: Any = np) -> Any:
    """:func:`mix64` on an array of 64-bit unsigned integers (wrapping arithmetic)."""
    z = xp.asarray(z, dtype=xp.uint64)
    z = (z ^ (z >> xp.uint64(30))) * _u64(xp, _M1)
    z = (z ^ (z >> xp.uint64(27))) * _u64(xp, _M2)
    return z ^ (z >> xp.uint64(31))


def stream_keys_array(seed: int, parts: Sequence[Any], xp: Any = np) -> Any:
    """:func:`stream_key` for broadcastable arrays of key parts (e.g. one per replication).

    Parameters
    ----------
    seed : int
        Root seed.
    parts : sequence of int or integer arrays
        The key parts in order; arrays broadcast against each other.
    xp : module
        Array module (``numpy`` or ``cupy``).
    """
    with np.errstate(over="ignore"):
        k = mix64_array(_u64(xp, seed_word(seed) ^ _G), xp)
        for p in parts:
            p = xp.asarray(p, dtype=xp.uint64)
            k = mix64_array(k ^ (p * _u64(xp, _G) + _u64(xp, _C)), xp)
    return k


def uniforms_array(keys: Any, index: Any, xp: Any = np) -> Any:
    """:func:`uniform` for arrays of keys and draw indices (broadcast), as float64."""
    with np.errstate(over="ignore"):
        keys = xp.asarray(keys, dtype=xp.uint64)
        i = xp.asarray(index, dtype=xp.uint64) + xp.uint64(1)
        z = mix64_array(keys + i * _u64(xp, _G), xp)
    return ((z >> xp.uint64(11)).astype(xp.float64) + 0.5) * _TWO_M53

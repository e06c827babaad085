"""Random number streams: explicit ``numpy.random.Generator`` objects, one per stochastic source.

Replication ``r`` of a run with root seed ``S`` draws from ``SeedSequence(S, spawn_key=(r, k))``
for the ``k``-th source in :data:`STREAM_NAMES` (the children of
``SeedSequence(S, spawn_key=(r,))``). Streams depend only on ``(S, r)``, so results do not depend
on how replications are spread over workers.

Common random numbers
---------------------
What happens to a convoy or batch of tankers (where it is attacked, what the attack costs, how
long it waits at checkpoints) comes from the movement's *own* counter-based stream (:mod:`.counters`), keyed by
``(S; r, k_movements, kind, origin, ordinal)``, i.e. by what the
movement is (e.g. "the 5th convoy formed at Diboli") rather than by the order in which events
happen. So replication ``r`` of two sweep points gives the same convoy the same draws even when
other convoys' fates differ between the points, which keeps paired differences between points
small. Each source's release counts, each random closure and each staging point's queue have their
own stream (:func:`keyed_rng`; staging queues: :func:`keyed_stream`): changing one source's rate
leaves every other source's releases as they were. Per-replication parameter draws have their
own stream.

Movements and staging queues draw from counter-based streams (:class:`.counters.CounterStream`)
rather than generators: there are hundreds of movements per replication and building a
generator costs about 15 us, while a counter-based stream costs nothing to build and its numbers
can be computed for many replications at once (the vectorised engine draws the same numbers).

Append new sources at the end of :data:`STREAM_NAMES` so that existing streams keep their seeds.
"""

from __future__ import annotations

import numpy as np

from .counters import CounterStream, extend_key, stream_key

__all__ = ["STREAM_NAMES", "MOVEMENT_KINDS", "replication_streams", "replication_stream",
           "movement_rng", "keyed_rng", "keyed_stream", "movement_key", "MovementStreams"]

#: Stochastic sources, each with its own stream (the order fixes the spawn keys: append only).
STREAM_NAMES = (
    "supply",  # Poisson release counts at sources
    "movements",  # root of the per-movement substreams (attack budgets, outcomes, waits)
    "closures",  # random closure arrivals and durations
    "parameters",  # per-replication draws of uncertain parameters (second-order Monte Carlo)
    "standing",  # root of the per-staging-point streams of attacks on waiting queues
    "adversary",  # ambush opportunities (model/adversary.py), independent of traffic
)

_MOVEMENTS = STREAM_NAMES.index("movements")

#: Codes of movement kinds in substream keys.
MOVEMENT_KINDS = {"batch": 1, "convoy": 2, "scheduled": 3, "lot": 4}


def replication_streams(seed: int, replication: int) -> dict[str, np.random.Generator]:
    """Generators for the replication-wide stochastic sources.

    Parameters
    ----------
    seed : int
        Root seed of the run (>= 0).
    replication : int
        Replication index (>= 0).

    Returns
    -------
    dict of str to numpy.random.Generator
        Keyed by the names in :data:`STREAM_NAMES`.
    """
    return {name: replication_stream(seed, replication, name) for name in STREAM_NAMES}


def replication_stream(seed: int, replication: int, name: str) -> np.random.Generator:
    """The generator ``replication_streams(seed, replication)[name]``, made alone (the same
    numbers; a replication drawing its parameters needs only ``parameters`` before it runs)."""
    k = STREAM_NAMES.index(name)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(replication, k))))


def movement_key(seed: int, replication: int, kind: str, origin: int, ordinal: int) -> int:
    """The counter-stream key of one movement (see :func:`movement_rng`)."""
    return stream_key(seed, (replication, _MOVEMENTS, MOVEMENT_KINDS[kind], origin, ordinal))


def movement_rng(seed: int, replication: int, kind: str, origin: int, ordinal: int) -> CounterStream:
    """The stream of one movement.

    Parameters
    ----------
    seed, replication : int
        As for :func:`replication_streams`.
    kind : str
        ``"batch"`` (released by a source), ``"convoy"`` (formed at a staging point) or
        ``"scheduled"``.
    origin : int
        Index of the source, staging point or scheduled convoy in the scenario.
    ordinal : int
        0 for the first movement of that kind and origin, 1 for the next, ...

    Returns
    -------
    CounterStream
        Its draws, in order: the ambush budget, the IED budget, then whatever the movement's
        journey asks for (checkpoint waits, per attack a new budget and the attack's uniforms).
    """
    return CounterStream(movement_key(seed, replication, kind, origin, ordinal))


class MovementStreams:
    """The streams of one replication's movements, handed out in order of creation.

    The ``ordinal``-th movement of a kind and origin gets :func:`movement_rng` of that ordinal;
    the key of ``(S; r, k_movements, kind, origin)`` is computed once per kind and origin and
    extended by the ordinal (:func:`~.counters.extend_key`), the same key for a fifth of the work.
    """

    __slots__ = ("seed", "replication", "_prefix", "_count")

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = seed
        self.replication = replication
        self._prefix: dict[tuple[str, int], int] = {}
        self._count: dict[tuple[str, int], int] = {}

    def next(self, kind: str, origin: int) -> CounterStream:
        """The stream of the next movement of ``kind`` from ``origin``."""
        key = (kind, origin)
        prefix = self._prefix.get(key)
        if prefix is None:
            prefix = self._prefix[key] = stream_key(
                self.seed, (self.replication, _MOVEMENTS, MOVEMENT_KINDS[kind], origin))
        ordinal = self._count.get(key, 0)
        self._count[key] = ordinal + 1
        return CounterStream(extend_key(prefix, ordinal))


def keyed_rng(seed: int, replication: int, name: str, index: int) -> np.random.Generator:
    """The stream of the ``index``-th member of a family of sources.

    ``SeedSequence(seed, spawn_key=(replication, k, index))`` with ``k`` the position of
    ``name`` (``"supply"``, ``"closures"`` or ``"standing"``) in :data:`STREAM_NAMES`: one
    stream per source, per random closure and per staging point.
    """
    ss = np.random.SeedSequence(seed, spawn_key=(replication, STREAM_NAMES.index(name), index))
    return np.random.Generator(np.random.PCG64(ss))


def keyed_stream(seed: int, replication: int, name: str, index: int) -> CounterStream:
    """Counter-based stream of the ``index``-th member of a family (key ``(S; r, k, index)``).

    Used for the staging queues' standing attacks (``name="standing"``).
    """
    return CounterStream(stream_key(seed, (replication, STREAM_NAMES.index(name), index)))

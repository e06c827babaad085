"""Random number streams: explicit ``numpy.random.Generator`` objects, one per stochastic source.

Replication ``r`` of a run with root seed ``S`` draws from ``SeedSequence(S, spawn_key=(r, k))``
for the ``k``-th source in :data:`STREAM_NAMES` (the children of
``SeedSequence(S, spawn_key=(r,))``). Streams depend only on ``(S, r)``, so results do not depend
on how replications are spread over workers.

Common random numbers
---------------------
What happens to a convoy or batch of tankers (where it is attacked, what the attack costs, how
long it waits at checkpoints) comes from the movement's *own* substream,
``SeedSequence(S, spawn_key=(r, k_movements, kind, origin, ordinal))``, keyed by what the
movement is (e.g. "the 5th convoy formed at Diboli") rather than by the order in which events
happen. So replication ``r`` of two sweep points gives the same convoy the same draws even when
other convoys' fates differ between the points, which keeps paired differences between points
small. Each source's release counts, each random closure and each staging point's queue have their
own stream (:func:`keyed_rng`): changing one source's rate leaves every other source's releases
as they were. Per-replication parameter draws have their own stream.

Append new sources at the end of :data:`STREAM_NAMES` so that existing streams keep their seeds.
"""

from __future__ import annotations

import numpy as np

__all__ = ["STREAM_NAMES", "MOVEMENT_KINDS", "replication_streams", "movement_rng", "keyed_rng"]

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
    return {
        name: np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(replication, k))))
        for k, name in enumerate(STREAM_NAMES)
    }


def movement_rng(seed: int, replication: int, kind: str, origin: int, ordinal: int) -> np.random.Generator:
    """The substream of one movement.

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
    """
    ss = np.random.SeedSequence(seed, spawn_key=(replication, _MOVEMENTS, MOVEMENT_KINDS[kind],
                                                 origin, ordinal))
    return np.random.Generator(np.random.PCG64(ss))


def keyed_rng(seed: int, replication: int, name: str, index: int) -> np.random.Generator:
    """The stream of the ``index``-th member of a family of sources.

    ``SeedSequence(seed, spawn_key=(replication, k, index))`` with ``k`` the position of
    ``name`` (``"supply"``, ``"closures"`` or ``"standing"``) in :data:`STREAM_NAMES`: one
    stream per source, per random closure and per staging point.
    """
    ss = np.random.SeedSequence(seed, spawn_key=(replication, STREAM_NAMES.index(name), index))
    return np.random.Generator(np.random.PCG64(ss))

"""Random number streams: one independent ``numpy.random.Generator`` per stochastic source.

Replication ``r`` of a run with root seed ``S`` uses ``SeedSequence(S, spawn_key=(r, k))`` for
its ``k``-th source, in the fixed order of :data:`STREAM_NAMES`. Because each source has its own
stream and the streams depend only on ``(S, r)``, replication ``r`` meets the same supply
draws, attack budgets, outcome draws, waits and closures at every point of a sweep (common
random numbers), and results do not depend on how replications are spread over workers.

Append new sources at the end of :data:`STREAM_NAMES` so existing streams keep their seeds.
"""

from __future__ import annotations

import numpy as np

__all__ = ["STREAM_NAMES", "replication_streams"]

#: Stochastic sources, each with its own stream (order fixes the spawn keys: append only).
STREAM_NAMES = (
    "supply",  # Poisson release counts at sources
    "ambush",  # unit-exponential hazard budgets for ambushes
    "ied",  # unit-exponential hazard budgets for IED strikes
    "ambush_outcome",  # losses, delays, escort losses, turn-backs of ambushes
    "ied_outcome",  # losses, delays and escort losses of IED strikes
    "delays",  # random waits at checkpoints
    "closures",  # random closure arrivals and durations
    "parameters",  # per-replication draws of uncertain parameters (second-order Monte Carlo)
)


def replication_streams(seed: int, replication: int) -> dict[str, np.random.Generator]:
    """Generators for every stochastic source of one replication.

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

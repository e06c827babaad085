"""Escorts against attacks: escort strength and the deterrence factor, in one place.

The engine (hazard rates, :mod:`.threats`), the severity of an ambush (:mod:`.severity`) and the
rate estimator (:mod:`corridorsim.observed`) all use these two formulas; they take numbers or
NumPy arrays. Imports only NumPy.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["STRENGTH_PER_TANKERS", "escort_strength", "deterrence_factor"]


#: Escort strength counts escort units per this many tankers.
STRENGTH_PER_TANKERS = 10.0


def escort_strength(escort_units, tankers):
    """Escort strength ``s``: escort units per 10 tankers (0 for an empty convoy).

    Parameters
    ----------
    escort_units, tankers : int or array-like
        Per convoy; arrays are broadcast against each other.

    Returns
    -------
    float or numpy.ndarray
        A float for numbers, an array for arrays.
    """
    if (type(tankers) is int and type(escort_units) is int) or \
            (np.ndim(tankers) == 0 and np.ndim(escort_units) == 0):  # (the engine's plain ints: fast)
        return STRENGTH_PER_TANKERS * escort_units / tankers if tankers > 0 else 0.0
    units, tankers = np.broadcast_arrays(np.asarray(escort_units, dtype=float),
                                         np.asarray(tankers, dtype=float))
    return np.divide(STRENGTH_PER_TANKERS * units, tankers, out=np.zeros(tankers.shape),
                     where=tankers > 0)


def _exp(x):
    # math.exp for a number (the engine's per-convoy call), numpy.exp for arrays
    return math.exp(x) if isinstance(x, (int, float)) else np.exp(x)


def deterrence_factor(strength, floor: float, scale: float):
    """``floor + (1 - floor) * exp(-strength / scale)``: 1 unescorted, ``floor`` in the limit.

    Parameters
    ----------
    strength : float or array-like
        Escort strength (:func:`escort_strength`), escort units per 10 tankers.
    floor, scale : float
        ``rate_floor``/``rate_scale`` (attack rate) or ``loss_floor``/``loss_scale`` (losses)
        of the scenario's ``threats.deterrence``.

    Returns
    -------
    float or numpy.ndarray
    """
    if not isinstance(strength, (int, float)):
        strength = np.asarray(strength, dtype=float)
    return floor + (1.0 - floor) * _exp(-strength / scale)

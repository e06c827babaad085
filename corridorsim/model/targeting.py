"""Size-dependent targeting: how a convoy's size scales the ambush rate it faces.

A convoy of ``n`` tankers faces the ambush rate of its edge times

    T(n) = (n / n0) ** beta        (0 for an empty convoy)

with ``beta`` = ``threats.targeting.size_exponent`` and ``n0`` =
``threats.targeting.reference_tankers``. ``beta = 0`` is the size-blind model; ``beta = 1``
makes the rate proportional to the tankers on the road (every tanker equally likely to be
spotted); values in between stand for detectability and attractiveness growing less than
proportionally with size (a larger column is seen from farther, but one ambush takes one
column). Imports only the scenario schema.
"""

from __future__ import annotations

from ..scenario.schema import Targeting

__all__ = ["size_factor"]


def size_factor(tankers: int, targeting: Targeting) -> float:
    """Targeting factor ``(n / n0) ** beta`` of a convoy of ``tankers`` (0 when empty).

    Parameters
    ----------
    tankers : int
        Tankers in the convoy, n.
    targeting : Targeting
        The scenario's ``threats.targeting`` block.

    Returns
    -------
    float
        Dimensionless factor on the edge's ambush rate (1 at ``n = n0`` or ``beta = 0``).
    """
    if tankers <= 0:
        return 0.0
    beta = targeting.size_exponent
    if beta == 0.0:
        return 1.0
    return (tankers / targeting.reference_tankers) ** beta

"""The per-leg arrays of the hazard integration (``hazard.leg_arrays``): what they cache."""

from __future__ import annotations

import math

from corridorsim.model.hazard import leg_arrays, plan_stretch
from corridorsim.model.plan import Piece


class _Flat:
    """A threat table with one phase: ambush intensity ``a`` per km on every edge, no IEDs."""

    def __init__(self, n_edges: int, a: float):
        self.a, self.i = [a] * n_edges, [0.0] * n_edges

    def period_at(self, t_h):
        return self.a, self.i, math.inf


def test_leg_arrays_follow_the_edge_tables_they_were_built_from():
    pieces = (Piece(0, "a", "b", 0.0, 1.0), Piece(1, "b", "c", 0.25, 1.0))
    lengths, speeds = [100.0, 40.0], [50.0, 20.0]
    assert leg_arrays(pieces, lengths, speeds) == ((0, 1), (0.0, 0.25), (1.0, 1.0),
                                                   (100.0, 40.0), (50.0, 20.0))
    other = [10.0, 4.0]  # another plan's lengths: other arrays, not the cached ones
    assert leg_arrays(pieces, other, speeds)[3] == (10.0, 4.0)
    assert leg_arrays(pieces, lengths, speeds)[3] == (100.0, 40.0)


def test_a_list_of_pieces_edited_in_place_is_read_anew():
    pieces = [Piece(0, "a", "b", 0.0, 1.0)]
    lengths, speeds = [100.0, 40.0], [50.0, 20.0]
    assert leg_arrays(pieces, lengths, speeds)[0] == (0,)
    pieces[0] = Piece(1, "a", "b", 0.0, 1.0)
    assert leg_arrays(pieces, lengths, speeds)[0] == (1,)


def test_the_attack_is_where_the_budget_runs_out():
    # 0.01 ambushes per km: a budget of 1.5 runs out 150 km in, 50 km into the second edge
    pieces = (Piece(0, "a", "b", 0.0, 1.0), Piece(1, "b", "c", 0.0, 1.0))
    sp = plan_stretch(pieces, 0, 0.0, 0.0, 1.5, math.inf, _Flat(2, 0.01), 1.0,
                      [100.0, 100.0], [50.0, 25.0])
    assert sp.attack == "ambush"
    assert [r.index for r in sp.stretches] == [0, 1]
    assert math.isclose(sp.end_f, 0.5) and math.isclose(sp.end_h, 2.0 + 2.0)
    assert math.isclose(sp.budget_ambush, 0.0, abs_tol=1e-12)

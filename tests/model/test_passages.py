"""Stops that do nothing driven through (:mod:`corridorsim.model.passages`,
:mod:`corridorsim.model.drive_through`).

A pure refactoring: a replication whose movements pass through such stops without their logic,
and whose lots drive to their depots without a process where nothing can stop them, gives,
field by field, the records of the same replication run stop by stop, attacks on the passed
legs included.
"""

from __future__ import annotations

import pytest

from corridorsim.model.engine import Replication
from corridorsim.model.passages import passage, plan_passage
from corridorsim.model.plan import compile_scenario
from corridorsim.scenario.loading import load_scenario

from ..conftest import SCENARIOS
from .test_fastforward import TABLES, assert_same_records

BLOCKADE = SCENARIOS / "mali_blockade_2025.yaml"


@pytest.fixture(scope="module")
def blockade():
    return compile_scenario(load_scenario(BLOCKADE))


def run(plan, seed: int, rep: int, passing: bool):
    r = Replication(plan, seed, rep, TABLES)
    assert r.passing  # no closures, no adversary process: passages apply
    r.passing = passing
    return r.run()


def test_blockade_with_passages_is_the_stop_by_stop_run(blockade):
    attacked_lots = 0
    for rep in range(40):
        fast, full = run(blockade, 5, rep, True), run(blockade, 5, rep, False)
        assert_same_records(fast, full)
        attacked_lots += sum(1 for c in full.convoys if c.kind == "lot" and c.attacks)
        # lots driven as one event at their arrival leave out their legs' events
        assert fast.sim_events < full.sim_events
    assert attacked_lots >= 1  # a passage cut short by an attack is exercised too


def test_an_event_at_the_instant_a_passage_ends_runs_the_replication_again(blockade,
                                                                          monkeypatch):
    full = run(blockade, 5, 0, False)
    monkeypatch.setattr(Replication, "tied", lambda self, t: True)
    rep = Replication(blockade, 5, 0, TABLES)
    rec = rep.run()
    assert rep.fast_forward_reason in ("an event at the instant of a lot's arrival",
                                       "an event at the instant a movement ends a passage")
    assert not rep.passing  # the second run drives every stop
    assert_same_records(rec, full)


def test_a_lot_passes_the_stops_before_its_depot(blockade):
    mopti = blockade.dest_nodes.index("Mopti")
    ps = passage(blockade, "Bamako", "Mopti", (), "lot", False, frozenset({mopti}))
    assert ps.ends[-1] == "Mopti"
    assert "Segou" in ps.ends[:-1]  # another destination's depot: nothing for this lot
    assert all(path[-1] == "Mopti" for path in ps.paths)
    assert [leg[0].u for leg in ps.legs] == ["Bamako", *ps.ends[:-1]]


def test_a_stop_that_delivers_or_hands_off_is_no_passage(blockade):
    segou = blockade.dest_nodes.index("Segou")
    mopti = blockade.dest_nodes.index("Mopti")
    assert passage(blockade, "Segou", "Segou", (), "lot", False, frozenset({segou})) is None
    # a convoy reaching Bamako with Mopti's lots hands them off there (their drop node)
    bamako = blockade.dest_nodes.index("Bamako")
    assert passage(blockade, "Bamako", "Bamako", (), "convoy", False,
                   frozenset({bamako, mopti})) is None


def test_passages_are_cached_per_plan(blockade):
    mopti = blockade.dest_nodes.index("Mopti")
    args = ("Bamako", "Mopti", (), "lot", False, frozenset({mopti}))
    assert plan_passage(blockade, *args) is plan_passage(blockade, *args)


def test_closures_turn_passages_off():
    sc = load_scenario(SCENARIOS / "mali" / "whatif_kayes_corridor_cut.yaml")
    if not (sc.closures.scheduled or sc.closures.random):
        pytest.skip("the scenario has no closures")
    assert not Replication(compile_scenario(sc), 1, 0).passing

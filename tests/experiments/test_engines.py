"""Choosing the engine: auto, des and vector give the same tables; vector refuses what it
does not cover; the choice travels through simulate, worker pools and sweep tasks."""

from __future__ import annotations

import pandas as pd
import pytest

from corridorsim.errors import EngineError
from corridorsim.experiments.engines import choose_engine, run_batch
from corridorsim.experiments.simulate import simulate
from corridorsim.experiments.sweep_spec import load_sweep, resolve_sweep
from corridorsim.experiments.sweep_tasks import SweepTask, run_pilot, run_task
from corridorsim.model.plan import compile_scenario
from corridorsim.scenario.loading import load_scenario

from ..conftest import SCENARIOS

RELIEF = SCENARIOS / "relief_convoy_2025-10-07.yaml"
SMOKE = SCENARIOS / "smoke.yaml"


def test_auto_picks_vector_when_eligible_and_says_why_not_otherwise():
    assert choose_engine(compile_scenario(load_scenario(RELIEF))) == ("vector", None)
    choice = choose_engine(compile_scenario(load_scenario(SMOKE)))
    assert choice.engine == "des" and "source" in choice.reason
    assert choose_engine(compile_scenario(load_scenario(RELIEF)), "des") == ("des", None)
    with pytest.raises(EngineError, match="not eligible"):
        choose_engine(compile_scenario(load_scenario(SMOKE)), "vector")
    with pytest.raises(EngineError, match="unknown engine"):
        choose_engine(compile_scenario(load_scenario(SMOKE)), "gpu")


def test_engines_give_identical_tables_for_any_workers_and_chunks():
    sc = load_scenario(RELIEF)
    des = simulate(sc, replications=24, seed=3, engine="des")
    assert des.engine == "des"
    for kwargs in ({}, {"workers": 2, "chunk_size": 5}):
        vec = simulate(sc, replications=24, seed=3, engine="vector", **kwargs)
        assert vec.engine == "vector"
        for name in ("daily", "events", "convoys", "summary", "destinations"):
            pd.testing.assert_frame_equal(getattr(vec.tables, name), getattr(des.tables, name))


def test_sweep_tasks_run_on_the_engine_they_carry():
    sc = load_scenario(RELIEF)
    frames = [run_task(SweepTask(0, 4, 6, sc, 11, ("events",), (2,), engine=e))
              for e in ("des", "vector", "auto")]
    for other in frames[1:]:
        for name in ("summary", "events"):
            pd.testing.assert_frame_equal(other[name], frames[0][name])
    assert len(run_batch(compile_scenario(sc), 1, [], "vector")) == 0


def test_the_pilot_runs_as_one_batch_on_the_fast_path_with_the_same_tables(tmp_path):
    spec = tmp_path / "pilot.yaml"
    spec.write_text(f"name: pilot\nbase: {RELIEF}\nreplications: 9\nseed: 4\nkeep: [events]\n"
                    "delivered_by_days: [3]\n"
                    "factors:\n  - {path: threats.ambush_multiplier, values: [1, 3]}\n")
    sweep = resolve_sweep(load_sweep(spec), str(spec))
    pilots = {e: run_pilot(sweep, replications=5, engine=e) for e in ("des", "vector")}
    again = run_task(pilots["vector"].task)  # the same replications, as any task runs them
    for name in ("summary", "events"):
        pd.testing.assert_frame_equal(pilots["vector"].tables[name], pilots["des"].tables[name])
        pd.testing.assert_frame_equal(pilots["vector"].tables[name], again[name])
    assert len(pilots["vector"].tables["summary"]) == 5

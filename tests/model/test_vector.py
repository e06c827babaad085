"""The vectorised fast path against the SimPy engine: the same records, replication by
replication, on the shipped eligible scenarios and on generated ones; eligibility reasons.

Both engines draw the same counter-based uniforms, so the comparison is exact (every field of
every row of every table), not statistical.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridorsim.errors import CorridorSimError, EngineError
from corridorsim.model.columns import RecordBatch
from corridorsim.model.engine import run_replication
from corridorsim.model.plan import compile_scenario
from corridorsim.model.records import to_frames
from corridorsim.model.vector import array_module, ineligibility, run_replications_vector
from corridorsim.scenario.documents import read_scenario_dict, scenario_from_dict
from corridorsim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parents[2]
RELIEF = ROOT / "scenarios" / "relief_convoy_2025-10-07.yaml"
TABLES = ("events", "convoys", "daily", "destinations")
#: The shipped scenarios the fast path covers (scheduled convoys only).
ELIGIBLE_SHIPPED = ["relief_convoy_2025-10-07.yaml", "relief_convoy_2025-10-07_no_threats.yaml"]


def _same(a, b) -> bool:
    def eq(x, y):
        return type(x) is type(y) and x == y or (isinstance(x, float) and isinstance(y, float)
                          and math.isnan(x) and math.isnan(y))
    return len(a) == len(b) and all(eq(x, y) for x, y in zip(a, b))


def assert_same_records(plan, seed: int, reps) -> int:
    """Run ``reps`` on both engines and compare every row, and the frames made straight from
    the fast path's columns (every table, and the summary alone); return the attacks seen."""
    vec = run_replications_vector(plan, seed, reps)
    des = [run_replication(plan, seed, r) for r in reps]
    start = plan.scenario.start
    every = ("daily", "events", "convoys")
    assert_same_frames(to_frames(vec, start, every), to_frames(des, start, every))
    alone = run_replications_vector(plan, seed, reps, tables=())
    assert_same_frames(to_frames(alone, start, ()), to_frames(des, start, ()))
    attacks = 0
    for r, v, d in zip(reps, vec, des):
        assert v.replication == d.replication == r
        for name in TABLES:
            rv, rd = getattr(v, name), getattr(d, name)
            assert len(rv) == len(rd), (r, name, rv, rd)
            for x, y in zip(rv, rd):
                assert _same(x, y), (r, name, x, y)
        assert _same(v.summary, d.summary), (r, v.summary, d.summary)
        attacks += d.summary.ambushes + d.summary.ieds
    return attacks


def assert_same_frames(a, b) -> None:
    """Every table equal: values bit for bit, dtypes, columns and index."""
    for name in (*TABLES, "summary"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)


@pytest.mark.parametrize("name", ELIGIBLE_SHIPPED)
def test_shipped_eligible_scenarios_agree_replication_by_replication(name):
    plan = compile_scenario(load_scenario(ROOT / "scenarios" / name))
    assert ineligibility(plan) is None
    attacks = assert_same_records(plan, 20251007, range(120))
    if "no_threats" not in name:
        assert attacks > 10  # the comparison covered attacks, outcomes and turn-backs


def test_a_replication_does_not_depend_on_its_batch():
    plan = compile_scenario(load_scenario(RELIEF))
    whole = run_replications_vector(plan, 5, range(40))
    parts = [run_replications_vector(plan, 5, [37]), run_replications_vector(plan, 5, [3, 11])]
    alone = [*parts[0], *parts[1]]
    assert [r.replication for r in alone] == [37, 3, 11]
    joined = to_frames(RecordBatch.concat(parts), plan.scenario.start)
    picked = to_frames([whole[37], whole[3], whole[11]], plan.scenario.start)
    assert_same_frames(joined, picked)
    for rec in alone:
        ref = whole[rec.replication]
        for name in (*TABLES, "summary"):
            assert getattr(rec, name) == getattr(ref, name) or name == "summary" and \
                _same(rec.summary, ref.summary)


def test_fast_path_frames_can_each_be_changed_in_place_on_their_own():
    """The frames hold the batch's arrays without copies, but no two columns of the tables
    of one run share numbers: writing into one column changes that column alone."""
    plan = compile_scenario(load_scenario(RELIEF))
    tables = to_frames(run_replications_vector(plan, 5, range(30)), plan.scenario.start)
    names = ("daily", "events", "convoys", "summary", "destinations")
    frames = {name: getattr(tables, name) for name in names}
    want = {name: frame.copy(deep=True) for name, frame in frames.items()}
    for name, frame in frames.items():
        assert len(frame) > 1, name
        for j, col in enumerate(frame.columns):
            if frame[col].dtype.kind not in "biuf":
                continue
            new = (not frame.iat[0, j]) if frame[col].dtype == bool else frame.iat[0, j] + 7
            frame.iat[0, j] = new
            want[name].iat[0, j] = new
    for name in names:
        pd.testing.assert_frame_equal(frames[name], want[name], check_exact=True)


# --------------------------------------------------------------------------- generated
ORIGINS = ("Zegoua", "Kadiana", "Loulouni", "Pogo", "Kolondieba")
CHECKPOINTS = ("Sikasso", "Bougouni", "Kadiolo", "Kolondieba")
DURATIONS = st.sampled_from([
    {"dist": "fixed", "mean_h": 3.0}, {"dist": "exponential", "mean_h": 5.0},
    {"dist": "gamma", "mean_h": 10.0, "cv": 0.7}, {"dist": "lognormal", "mean_h": 4.0, "cv": 1.2},
    {"dist": "uniform", "low_h": 1.0, "high_h": 9.0}])


@st.composite
def eligible_scenarios(draw):
    doc = copy.deepcopy(read_scenario_dict(RELIEF))
    doc.pop("observations", None)
    doc["end"] = draw(st.sampled_from(["2025-10-07", "2025-10-10", "2025-10-14T12:00"]))
    convoys = []
    for j in range(draw(st.integers(1, 4))):
        c = {"name": f"c{j}", "origin": draw(st.sampled_from(ORIGINS)),
             "depart": f"2025-10-0{draw(st.integers(4, 6))}T{draw(st.integers(0, 23)):02d}:00",
             "tankers": draw(st.integers(1, 300)), "payload_l": draw(st.sampled_from([28000, 36000])),
             "escort_units": draw(st.integers(0, 20))}
        if draw(st.booleans()):
            c["via"] = draw(st.sampled_from([["Sikasso"], ["Kolondieba", "Bougouni"], ["Bougouni"]]))
        convoys.append(c)
    doc["convoys"] = convoys
    if draw(st.booleans()):
        doc["checkpoints"] = [{"node": n, "fixed_delay_h": draw(st.sampled_from([0.0, 2.5])),
                               "random_wait": draw(st.one_of(st.none(), DURATIONS))}
                              for n in draw(st.lists(st.sampled_from(CHECKPOINTS), min_size=1,
                                                     max_size=3, unique=True))]
    if draw(st.booleans()):
        doc["destinations"] = [doc.pop("destination"),
                               {"node": "Sikasso", "initial_stock_l": 200000,
                                "demand_l_per_day": 300000, "priority": 2,
                                "rationing": [{"below_cover_days": 2, "demand_cut_share": 0.5}]}]
        for c in convoys:
            if draw(st.booleans()):
                c["destination"] = "Sikasso"
    th = doc["threats"]
    th["ambush_multiplier"] = draw(st.sampled_from([1.0, 4.0, 12.0]))
    th["ied_multiplier"] = draw(st.sampled_from([1.0, 6.0]))
    th["phases"].append({"name": "surge", "start": "2025-10-05T07:30",
                         "end": draw(st.sampled_from(["2025-10-06T03:00", None])),
                         "corridor": draw(st.sampled_from(["B", "B-west", None])),
                         "ambush_multiplier": 3.0, "ied_multiplier": 0.5})
    amb = th["ambush"]
    amb["turn_back_prob"] = draw(st.sampled_from([0.0, 0.3, 0.9]))
    amb["turn_back_to"] = draw(st.sampled_from(["nearest_stop", "last_stop"]))
    amb["escort_unit_loss_prob"] = draw(st.sampled_from([0.0, 0.1, 0.5, 1.0]))
    amb["delay"] = draw(DURATIONS)
    form = draw(st.sampled_from(["beta_binomial", "saturating_share", "negative_binomial"]))
    amb["severity"] = {"form": form, "half_saturation_tankers": 40, "mean_tankers": 12,
                       "dispersion": 0.6,
                       "attacker_strength_units": draw(st.sampled_from([None, 8.0])),
                       "exchange_ratio": 1.5}
    th["targeting"] = {"size_exponent": draw(st.sampled_from([0.0, 0.5, 1.0, -0.5])),
                       "reference_tankers": 30}
    th["ied"]["tankers_destroyed_mean"] = draw(st.sampled_from([0.0, 1.0, 4.0]))
    th["ied"]["escort_unit_loss_prob"] = draw(st.sampled_from([0.0, 0.2]))
    th["ied"]["delay"] = draw(DURATIONS)
    return scenario_from_dict(doc, "generated")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(eligible_scenarios(), st.integers(0, 2**40))
def test_generated_eligible_scenarios_agree_replication_by_replication(scenario, seed):
    plan = compile_scenario(scenario)
    assert ineligibility(plan) is None
    assert_same_records(plan, seed, range(12))


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(eligible_scenarios(), st.integers(0, 2**40))
def test_many_generated_eligible_scenarios_agree(scenario, seed):
    assert_same_records(compile_scenario(scenario), seed, range(30))


# --------------------------------------------------------------------------- eligibility
def _with(doc_update: dict):
    doc = copy.deepcopy(read_scenario_dict(RELIEF))
    doc.pop("observations", None)
    doc.update(doc_update)
    return compile_scenario(scenario_from_dict(doc, "variant"))


@pytest.mark.parametrize(("update", "words"), [
    ({"closures": {"scheduled": [{"node": "Sikasso", "start": "2025-10-05"}]}}, "closures"),
    ({"threats": {**read_scenario_dict(RELIEF)["threats"],
                  "adversary": {"process": "hawkes", "branching_ratio": 0.3}}}, "hawkes"),
    ({"threats": {**read_scenario_dict(RELIEF)["threats"],
                  "stationary": {"rules": [{"region": "ML", "attacks_per_day": 0.1}]}}},
     "standing"),
    ({"escorts": {"bases": [{"name": "b", "node": "Sikasso", "units": 10}]},
      "convoys": [{**read_scenario_dict(RELIEF)["convoys"][0], "escort_base": "b"}]}, "pool"),
])
def test_ineligible_mechanisms_give_a_one_line_reason(update, words):
    reason = ineligibility(_with(update))
    assert reason is not None and words in reason and "\n" not in reason


def test_scenarios_with_sources_are_not_eligible_and_vector_refuses_them():
    plan = compile_scenario(load_scenario(ROOT / "scenarios" / "smoke.yaml"))
    assert "source" in ineligibility(plan)
    with pytest.raises(EngineError, match="source"):
        run_replications_vector(plan, 1, range(2))


def test_array_module_is_numpy_by_default_and_names_are_checked(monkeypatch):
    monkeypatch.delenv("CORRIDORSIM_ARRAY", raising=False)
    assert array_module() is np
    monkeypatch.setenv("CORRIDORSIM_ARRAY", "numpy")
    assert array_module() is np
    with pytest.raises(CorridorSimError, match="unknown array module"):
        array_module("torch")


class _Uniforms:
    """A generator stand-in that hands out given uniforms (draw_ambush takes four)."""

    def __init__(self, u):
        self.u = u

    def random(self, n):
        return np.asarray(self.u[:n])


def test_attack_outcomes_equal_the_engines_at_and_between_the_quantile_steps():
    from scipy import special

    from corridorsim.model.threats import draw_ambush, draw_ied
    from corridorsim.model.vector.outcomes import ambush_outcomes, ied_outcomes

    sc = load_scenario(RELIEF)
    amb, ied = sc.threats.ambush, sc.threats.ied
    rng = np.random.default_rng(7)
    rows = []
    for units in range(0, 9):  # uniforms on, just below and just above each CDF step
        for p in (amb.escort_unit_loss_prob, ied.escort_unit_loss_prob):
            steps = special.bdtr(np.arange(units + 1), units, p)
            steps = steps[steps < 1]
            rows += [steps, np.nextafter(steps, 0), np.nextafter(steps, 1)]
    escort_u = np.concatenate([*rows, rng.random(2000), [0.0]])
    steps = special.pdtr(np.arange(12), ied.tankers_destroyed_mean)
    loss_u = np.concatenate([steps, np.nextafter(steps, 0), np.nextafter(steps, 1)])
    m = escort_u.size
    u = rng.random((m, 4))
    u[:, 3] = escort_u
    u[:loss_u.size, 1] = loss_u
    n = rng.integers(1, 40, m)
    e = rng.integers(0, 9, m)
    for vector, scalar in ((ambush_outcomes, draw_ambush), (ied_outcomes, draw_ied)):
        got = vector(u, n, e, sc)
        for j in range(m):
            want = scalar(_Uniforms(u[j]), sc, int(n[j]), int(e[j]))
            assert (int(got.tankers_destroyed[j]), float(got.delay_h[j]),
                    min(int(got.escort_units_lost[j]), int(e[j])), bool(got.turned_back[j])) \
                == (want.tankers_destroyed, want.delay_h, want.escort_units_lost,
                    want.turned_back), (vector.__name__, j, u[j], n[j], e[j])


@pytest.mark.parametrize("ndigits", [3, 5, 6])
def test_array_rounding_is_pythons_round_element_for_element(ndigits):
    from corridorsim.model.vector.tables import py_round

    rng = np.random.default_rng(ndigits)
    halves = (np.arange(20_000) + 0.5) / 10**ndigits  # ties and products next to them
    a = np.concatenate([rng.random(50_000) * 10.0 ** rng.integers(-3, 9, 50_000), halves,
                        -halves[:500], [np.inf, -np.inf, np.nan, 0.0, -0.0, 1e300, 2.0**53,
                                        1.7e308, -1e307]])  # the last two: the product overflows
    got = py_round(a, ndigits)
    want = np.array([round(x, ndigits) for x in a.tolist()])
    assert np.array_equal(got, want, equal_nan=True)
    assert np.array_equal(np.signbit(got), np.signbit(want))

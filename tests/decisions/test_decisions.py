"""Decision studies against cases with known answers.

* statistics: Student-t and Wilson intervals against tabulated values;
* criticality: a corridor made of one threatened edge, where making the edge safe must give
  back exactly the litres the attacks destroyed, replication by replication (common random
  numbers), and only that edge is varied (it is the only one with traffic);
* value of a unit: one more tanker a day at a safe, unconstrained source delivers exactly one
  tanker's payload a day more;
* regret: a table computed by hand on a 3-lever x 2-point grid.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from corridorsim.decisions.regret import rank_by_regret, regret_by_point
from corridorsim.decisions.studies import criticality_study, read_study, value_study
from corridorsim.experiments.executors import InProcessExecutor
from corridorsim.experiments.statistics import mean_interval, proportion_interval
from corridorsim.experiments.sweep_runner import read_table

NODES = "node,lat,lon,country,role\nDepot,12.0,-8.0,ML,origin\nTown,12.5,-8.0,ML,destination\n"
EDGES = "from,to,road_km,corridor,region\nDepot,Town,400,X,ML\n"


def one_edge_scenario(tmp_path, threats: bool = True, stem: str = "one_edge") -> str:
    """Ten convoys of 20 tankers cross one 400 km edge with ambushes and IEDs; no demand, no
    capacity limit, a horizon long enough for every survivor to arrive."""
    (tmp_path / "nodes.csv").write_text(NODES)
    (tmp_path / "edges.csv").write_text(EDGES)
    doc = {
        "name": "one_edge", "start": "2025-01-01", "end": "2025-02-15", "seed": 3, "replications": 12,
        "destination": {"node": "Town", "initial_stock_l": 1e6, "demand_l_per_day": 0},
        "network": {"nodes_csv": "nodes.csv", "edges_csv": "edges.csv", "default_speed_kmh": 20},
        "convoys": [{"name": f"c{i}", "depart": f"2025-01-{i + 1:02d}", "origin": "Depot",
                     "tankers": 20, "payload_l": 30000} for i in range(10)],
        "threats": {"enabled": threats,
                    "rules": [{"ambush_rate_per_1000km": 1.5, "ied_rate_per_1000km": 1.0}],
                    "ambush": {"turn_back_prob": 0.0}},
    }
    path = tmp_path / f"{stem}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return str(path)


def test_mean_interval_matches_student_t():
    # n = 4, mean 2.5, sd = 1.2910; t(0.975, 3) = 3.182446
    iv = mean_interval([1, 2, 3, 4], 0.95)
    half = 3.182446305 * 1.2909944 / 2
    assert iv.estimate == 2.5
    assert iv.low == pytest.approx(2.5 - half, abs=1e-6)
    assert iv.high == pytest.approx(2.5 + half, abs=1e-6)
    assert math.isnan(mean_interval([5.0]).low)
    assert mean_interval([3, 3, 3]) == (3.0, 3.0, 3.0)


def test_proportion_interval_wilson_and_exact():
    # Wilson 0/10 at 95 %: [0, 0.2775]; Clopper-Pearson 0/10: [0, 0.3085]
    w = proportion_interval(0, 10)
    assert (w.estimate, w.low) == (0.0, 0.0) and w.high == pytest.approx(0.27753, abs=1e-4)
    assert proportion_interval(0, 10, method="exact").high == pytest.approx(0.30850, abs=1e-4)
    wald = proportion_interval(5, 10, method="wald")
    assert wald.low == pytest.approx(0.5 - 1.959964 * math.sqrt(0.025), abs=1e-6)
    with pytest.raises(ValueError):
        proportion_interval(3, 2)


def test_making_the_only_threatened_edge_safe_recovers_exactly_its_losses(tmp_path):
    path = one_edge_scenario(tmp_path)
    out = tmp_path / "crit"
    criticality_study(path, out, InProcessExecutor(), replications=12, assumed_recovery_days=10)
    man, t = read_study(out)
    seg = t["segments"]
    assert list(seg["edge"]) == ["Depot-Town"]
    assert man["segments_varied"] == 1
    summary = read_table(out / "sweep", "summary")
    design = pd.read_csv(out / "sweep" / "design.csv")
    assert list(design["change"].fillna("base")) == ["base", "safe", "closed"]
    base = summary[summary["point"] == 0].set_index("replication")
    safe = summary[summary["point"] == 1].set_index("replication")
    assert base["litres_destroyed"].sum() > 0  # the test means something: attacks happened
    assert (safe["litres_destroyed"] == 0).all() and (safe["ambushes"] + safe["ieds"] == 0).all()
    # exact, replication by replication: what the attacks burnt is what safety delivers
    np.testing.assert_array_equal(safe["delivered_l"] - base["delivered_l"], base["litres_destroyed"])
    row = t["criticality"].iloc[0]
    assert row["safe_delivered_l"] == pytest.approx(seg["litres_lost"].iloc[0], rel=1e-12)
    assert row["safe_delivered_l"] == pytest.approx(base["litres_destroyed"].mean(), rel=1e-12)
    # closing the only road delivers nothing: the change is minus all base deliveries
    assert row["closed_delivered_l"] == pytest.approx(-base["delivered_l"].mean(), rel=1e-12)
    assert seg["attacks"].iloc[0] == pytest.approx((base["ambushes"] + base["ieds"]).mean(), rel=1e-12)
    assert seg["attacks_per_1000km"].iloc[0] == pytest.approx(
        seg["attacks"].iloc[0] / (seg["convoy_km"].iloc[0] / 1000.0), rel=1e-12)
    st = t["stress_test"]
    assert st["ttr_source"].iloc[0] == "assumed" and st["ttr_days"].iloc[0] == 10


def test_value_of_a_tanker_a_day_on_a_safe_road(tmp_path):
    (tmp_path / "nodes.csv").write_text(NODES)
    (tmp_path / "edges.csv").write_text(EDGES)
    doc = {
        "name": "one_source", "start": "2025-01-01", "end": "2025-01-31", "seed": 1,
        "destination": {"node": "Town", "initial_stock_l": 1e6, "demand_l_per_day": 0},
        "network": {"nodes_csv": "nodes.csv", "edges_csv": "edges.csv", "default_speed_kmh": 40},
        "sources": [{"name": "depot", "node": "Depot", "tankers_per_day": 3, "payload_l": 30000}],
        "threats": {"enabled": False},
    }
    path = tmp_path / "one_source.yaml"
    path.write_text(yaml.safe_dump(doc))
    value_study(path, tmp_path / "value", InProcessExecutor(), replications=3)
    _, t = read_study(tmp_path / "value")
    v = t["value"].set_index("variant")
    summary = read_table(tmp_path / "value" / "sweep", "summary")
    base = summary[summary["point"] == 0]
    per_day = base["tankers_loaded"].mean() / 3.0  # releases that arrive within the horizon
    gain = v.loc["tanker+1/day:depot", "delivered_l"]
    # deterministic release, no threats: every extra release arrives with the others
    assert gain == pytest.approx(base["tankers_delivered"].mean() / 3.0 * 30000, rel=1e-9)
    assert per_day > 0
    assert v.loc["stock+1day:Town", "delivered_l"] == 0
    assert "one more tanker a day from depot is worth +" in v.loc["tanker+1/day:depot", "statement"]


def test_regret_table_by_hand():
    # outcome: unmet litres (less is better); 3 levers x 2 points x 2 replications
    values = pd.DataFrame({
        "lever": ["a"] * 4 + ["b"] * 4 + ["c"] * 4,
        "point": [0, 0, 1, 1] * 3,
        "replication": [0, 1, 0, 1] * 3,
        "value": [10, 14, 30, 34,    # a: means 12 (p0), 32 (p1)
                  8, 8, 40, 44,      # b: means 8, 42
                  20, 20, 25, 25],   # c: means 20, 25
    })
    per = regret_by_point(values, sense=-1).set_index(["lever", "point"])
    # point 0: best b (8): regrets a 4, b 0, c 12; point 1: best c (25): a 7, b 17, c 0
    expected = {("a", 0): 4, ("b", 0): 0, ("c", 0): 12, ("a", 1): 7, ("b", 1): 17, ("c", 1): 0}
    for key, r in expected.items():
        assert per.loc[key, "regret"] == pytest.approx(r)
    assert per.loc[("a", 0), "best_lever"] == "b" and per.loc[("a", 1), "best_lever"] == "c"
    # paired interval of a's regret at point 0: differences a - b = 2, 6 -> mean 4, sd 2.828
    half = 12.7062047 * 2.8284271 / math.sqrt(2)
    assert per.loc[("a", 0), "regret_low"] == pytest.approx(4 - half, rel=1e-6)
    rank = rank_by_regret(per.reset_index()).set_index("lever")
    # max regrets a 7, b 17, c 12 -> a most robust (minimax regret), then c, then b
    assert list(rank.sort_values("rank").index) == ["a", "c", "b"]
    assert rank.loc["a", "max_regret"] == 7 and rank.loc["a", "worst_point"] == 1
    assert rank.loc["b", "mean_regret"] == pytest.approx(8.5)
    assert rank.loc["c", "p50_regret"] == pytest.approx(6.0)   # median of 12 and 0
    assert rank.loc["c", "p90_regret"] == pytest.approx(10.8)  # linear: 0 + 0.9 * 12
    assert rank.loc["c", "best_at"] == 1


def test_regret_maximising_sense():
    values = pd.DataFrame({"lever": ["x", "y"], "point": [0, 0], "replication": [0, 0],
                           "value": [5.0, 9.0]})
    per = regret_by_point(values, sense=+1).set_index("lever")
    assert per.loc["x", "regret"] == 4 and per.loc["y", "regret"] == 0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=12, max_size=12), st.sampled_from([1, -1]))
def test_regret_invariants(vals, sense):
    # 3 levers x 2 points x 2 replications: regret >= 0, zero for the best lever at each point,
    # and minimax ranking sorted by max regret
    values = pd.DataFrame({"lever": ["a"] * 4 + ["b"] * 4 + ["c"] * 4, "point": [0, 0, 1, 1] * 3,
                           "replication": [0, 1, 0, 1] * 3, "value": vals})
    per = regret_by_point(values, sense)
    assert (per["regret"] >= 0).all()
    assert (per.groupby("point")["regret"].min() == 0).all()
    rank = rank_by_regret(per)
    assert rank["max_regret"].is_monotonic_increasing


def test_outcomes_per_destination_when_the_summary_has_a_destination_column():
    from corridorsim.decisions.outcomes import destination_outcomes, paired_effects

    rows = []
    for point, extra in ((0, 0.0), (1, 10.0)):
        for dest, scale in (("A", 1.0), ("B", 2.0)):
            for r in range(3):
                rows.append({"point": point, "replication": r, "destination": dest,
                             "delivered_l": scale * (100 + r) + extra, "unmet_l": 5.0,
                             "days_at_zero": 0, "first_stockout_day": 4.0 if point else np.nan})
    out = destination_outcomes(pd.DataFrame(rows), by_day=4, destination="ignored")
    assert set(out["destination"]) == {"A", "B"}
    eff = paired_effects(out).set_index(["destination", "outcome"])
    assert eff.loc[("A", "delivered_l"), "diff"] == 10.0 and eff.loc[("B", "delivered_l"), "diff"] == 10.0
    assert eff.loc[("A", "delivered_l"), "diff_low"] == 10.0  # identical paired differences
    assert eff.loc[("B", "stockout_by"), "diff"] == 1.0 and eff.loc[("B", "stockout_by"), "gain"] == -1.0
    one = pd.DataFrame(rows).query("destination == 'A'").drop(columns="destination")
    single = destination_outcomes(one, 4, "Town")
    assert set(single["destination"]) == {"Town"} and len(single) == 6


def two_destination_scenario(tmp_path) -> str:
    """Convoys from Depot to two towns through Hub; only the branch to Town B is threatened."""
    (tmp_path / "nodes2.csv").write_text(
        "node,lat,lon,country,role\nDepot,12.0,-8.0,ML,origin\nHub,12.5,-8.0,ML,junction\n"
        "TownA,13.0,-8.0,ML,destination\nTownB,12.5,-7.5,ML,destination\n")
    (tmp_path / "edges2.csv").write_text(
        "from,to,road_km,corridor,region\nDepot,Hub,100,X,ML\nHub,TownA,100,X,ML\n"
        "Hub,TownB,400,Y,ML\n")
    doc = {
        "name": "two_towns", "start": "2025-01-01", "end": "2025-02-15", "seed": 5,
        "replications": 12,
        "destinations": [
            {"name": "A", "node": "TownA", "initial_stock_l": 1e6, "demand_l_per_day": 0},
            {"name": "B", "node": "TownB", "initial_stock_l": 1e6, "demand_l_per_day": 0}],
        "network": {"nodes_csv": "nodes2.csv", "edges_csv": "edges2.csv", "default_speed_kmh": 20},
        "convoys": [{"name": f"c{i}", "depart": f"2025-01-{i + 1:02d}", "origin": "Depot",
                     "destination": "A" if i % 2 else "B", "tankers": 20, "payload_l": 30000}
                    for i in range(10)],
        "threats": {"rules": [{"corridor": "Y", "ambush_rate_per_1000km": 1.5,
                               "ied_rate_per_1000km": 1.0}],
                    "ambush": {"turn_back_prob": 0.0}},
    }
    path = tmp_path / "two_towns.yaml"
    path.write_text(yaml.safe_dump(doc))
    return str(path)


def test_criticality_judges_each_destination_on_its_own_rows(tmp_path):
    """With two destinations the effects are per destination (the sweep's destinations table),
    not the national summary labelled with the first destination: making the only threatened
    branch safe changes nothing at A and gives B back exactly what its attacks burnt."""
    out = tmp_path / "crit"
    criticality_study(two_destination_scenario(tmp_path), out, InProcessExecutor(),
                      replications=12, assumed_recovery_days=10)
    _, t = read_study(out)
    rows = read_table(out / "sweep", "destinations")
    base = rows[rows["point"] == 0].set_index(["destination", "replication"])
    assert base.loc["B", "litres_destroyed"].sum() > 0 and base.loc["A", "litres_destroyed"].sum() == 0
    eff = t["effects"].set_index(["variant", "destination", "outcome"])
    assert set(t["effects"]["destination"]) == {"A", "B"}
    for dest in ("A", "B"):  # the reference is that destination's own mean, not the nation's
        ref = eff.loc[("safe:Hub-TownB", dest, "delivered_l"), "reference_mean"]
        assert ref == pytest.approx(base.loc[dest, "delivered_l"].mean(), rel=1e-12)
    assert eff.loc[("safe:Hub-TownB", "A", "delivered_l"), "diff"] == 0
    assert eff.loc[("safe:Hub-TownB", "B", "delivered_l"), "diff"] == pytest.approx(
        base.loc["B", "litres_destroyed"].mean(), rel=1e-12)
    # closing B's branch leaves A's deliveries alone and removes all of B's
    assert eff.loc[("closed:Hub-TownB", "A", "delivered_l"), "diff"] == 0
    assert eff.loc[("closed:Hub-TownB", "B", "delivered_l"), "diff"] == pytest.approx(
        -base.loc["B", "delivered_l"].mean(), rel=1e-12)


def test_study_figures_are_per_destination(tmp_path):
    """A study of two destinations draws each destination's bars, stress test and values
    apart, titled with its name (one figure mixing them was unreadable and mislabelled)."""
    from corridorsim.viz.decision_report import study_figures

    path = two_destination_scenario(tmp_path)
    criticality_study(path, tmp_path / "crit", InProcessExecutor(), replications=3,
                      assumed_recovery_days=10)
    value_study(path, tmp_path / "value", InProcessExecutor(), replications=3)
    figs = {f.name: f for f in study_figures(tmp_path / "crit")}
    figs.update({f.name: f for f in study_figures(tmp_path / "value")})
    assert set(figs) == {"criticality_bars_A", "criticality_bars_B", "criticality_map",
                         "stress_test_A", "stress_test_B", "value_A", "value_B"}
    for name, dest in (("stress_test_B", "B"), ("value_A", "A")):
        fig = figs[name].figure
        titles = " ".join(t.get_text() for ax in fig.axes for t in ax.texts)  # annotations
        assert f"at {dest}" in titles
        labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
        assert labels and not any("(" in label for label in labels)  # one destination: no tags
    _, t = read_study(tmp_path / "value")
    assert set(t["value"]["destination"]) == {"A", "B"}

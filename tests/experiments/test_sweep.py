"""Sweeps: factor paths, designs, validation before running, the command line, summaries,
precision-driven replications and sensitivity indices."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from corridorsim.cli import main
from corridorsim.errors import ScenarioError, ScenarioErrors
from corridorsim.experiments.designs import build_design
from corridorsim.experiments.executors import InProcessExecutor
from corridorsim.experiments.summaries import (
    paired_differences,
    point_metrics,
    stockout_probability,
    summarize_sweep,
)
from corridorsim.experiments.sweep_runner import SweepRunner, read_table
from corridorsim.experiments.sweep_schema import Precision
from corridorsim.experiments.sweep_spec import (
    Factor,
    SweepSpec,
    load_sweep,
    parse_set_option,
    resolve_sweep,
    sweep_from_sets,
)
from corridorsim.experiments.sweep_tasks import SweepTask, run_task
from corridorsim.scenario.documents import read_scenario_dict
from corridorsim.scenario.paths import get_path, parse_path, set_path

from ..conftest import SCENARIOS

SMOKE = SCENARIOS / "smoke.yaml"
UNITS = "escorts.bases[sikasso].units"  # smoke.yaml has 6
AMBUSH = "threats.ambush_multiplier"


def invoke(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def write_sweep(tmp_path: Path, text: str, name: str = "sweep.yaml") -> Path:
    p = tmp_path / name
    p.write_text(f"base: {SMOKE}\n" + text)
    return p


def spec(**fields) -> SweepSpec:
    fields.setdefault("name", "t")
    fields.setdefault("base", str(SMOKE))
    return SweepSpec(**fields)


# ------------------------------------------------------------------------------------ paths

SMOKE_DICT = read_scenario_dict(SMOKE)


@pytest.mark.parametrize(("path", "parts"), [
    ("escorts.bases[kayes].units", ["escorts", "bases", ("kayes",), "units"]),
    ("sources[0].payload_l", ["sources", 0, "payload_l"]),
    ("staging[Zegoua]", ["staging", ("Zegoua",)]),
    ("sources[abidjan-rn7].schedule[1].tankers_per_day",
     ["sources", ("abidjan-rn7",), "schedule", 1, "tankers_per_day"]),
    ("a[0][2]", ["a", 0, 2]),
    ("threats", ["threats"]),
])
def test_parse_path(path, parts):
    assert parse_path(path) == parts


@pytest.mark.parametrize("path", ["", "[0].units", "a..b", "a.", "a[", "a[]", "a[0]b", "a b",
                                  "1a", ".a"])
def test_malformed_paths_are_rejected_with_the_path(path):
    with pytest.raises(ScenarioError) as info:
        parse_path(path)
    assert repr(path) in str(info.value) and "not a valid path" in str(info.value)


def test_get_path_by_key_index_name_and_node():
    assert get_path(SMOKE_DICT, UNITS) == 6
    assert get_path(SMOKE_DICT, "escorts.bases[0].units") == 6
    assert get_path(SMOKE_DICT, "staging[Zegoua].max_tankers") == 120  # by node: no name
    assert get_path(SMOKE_DICT, "sources[abidjan].payload_l") == 45000
    assert get_path(SMOKE_DICT, "destination.demand_l_per_day") == 2_000_000


@pytest.mark.parametrize(("path", "expected"), [
    ("threats.ambush_multiplier", "no key 'ambush_multiplier'"),
    ("escorts.bases[3].units", "index 3 is out of range (the list has 1 items)"),
    ("escorts.bases[kayes].units", "no item named 'kayes'; expected one of: sikasso"),
    ("staging[Diboli].max_tankers", "no item named 'Diboli'; expected one of: Zegoua"),
    ("destination[0]", "selects from a list, but the value is a dict"),
])
def test_get_path_errors_name_the_path(path, expected):
    with pytest.raises(ScenarioError) as info:
        get_path(SMOKE_DICT, path)
    assert expected in str(info.value) and repr(path) in str(info.value)


def test_set_path_returns_a_modified_copy():
    before = json.dumps(SMOKE_DICT, default=str, sort_keys=True)
    out = set_path(SMOKE_DICT, UNITS, 2)
    assert get_path(out, UNITS) == 2
    assert json.dumps(SMOKE_DICT, default=str, sort_keys=True) == before  # input untouched
    out = set_path(SMOKE_DICT, "threats.deterrence.rate_floor", 0.2)  # keys created on the way
    assert out["threats"]["deterrence"] == {"rate_floor": 0.2}
    block = {"enabled": False}
    out = set_path(SMOKE_DICT, "threats", block)
    block["enabled"] = True
    assert out["threats"] == {"enabled": False}  # the value is copied in


@pytest.mark.parametrize(("path", "expected"), [
    ("convoys[0].tankers", "'convoys' is not set in the base scenario"),
    ("escorts.bases[2].units", "index 2 is out of range"),
    ("escorts.bases[nowhere].units", "no item named 'nowhere'"),
    ("staging.max_tankers", "'max_tankers' is a key, but the value here is a list"),
    ("destination[0].x", "selects from a list, but the value is a dict"),
])
def test_set_path_errors(path, expected):
    with pytest.raises(ScenarioError) as info:
        set_path(SMOKE_DICT, path, 1)
    assert expected in str(info.value)


# ---------------------------------------------------------------------------------- designs


def factor(path: str, **kw) -> Factor:
    return Factor(path=path, **kw)


def test_grid_is_the_full_product_in_order():
    fs = [factor("a", values=[1, 2, 3]), factor("b", values=["x", "y"]),
          factor("c", alternatives={"lo": {"k": 1}, "hi": {"k": 2}})]
    df = build_design("grid", fs)
    assert len(df) == 3 * 2 * 2 and list(df.columns) == ["a", "b", "c"]
    assert list(df.itertuples(index=False, name=None)) == list(
        itertools.product([1, 2, 3], ["x", "y"], ["lo", "hi"]))
    assert df.index.name == "point" and list(df.index) == list(range(12))


def test_grid_refuses_a_range():
    with pytest.raises(ValueError, match="factor 'b': a grid needs 'values'"):
        build_design("grid", [factor("a", values=[1]), factor("b", range=(0, 1))])


@pytest.mark.parametrize("kind", ["lhs", "sobol"])
def test_space_filling_designs_stay_in_range_and_round_integers(kind):
    fs = [factor("x", range=(0.5, 2.0)), factor("u", range=(1, 8), integer=True),
          factor("lv", values=[10, 20, 30, 40])]
    df = build_design(kind, fs, n=32, seed=3)
    assert len(df) == 32
    assert df.x.between(0.5, 2.0).all() and df.x.nunique() == 32
    assert df.u.map(type).eq(int).all() and set(df.u) <= set(range(1, 9))
    assert set(df.lv) <= {10, 20, 30, 40}
    # reproducible from the seed alone, and another seed gives another design
    pd.testing.assert_frame_equal(df, build_design(kind, fs, n=32, seed=3))
    assert not df.equals(build_design(kind, fs, n=32, seed=4))


def test_lhs_is_stratified_and_every_integer_and_level_is_equally_likely():
    n = 40
    fs = [factor("x", range=(0.0, 10.0)), factor("u", range=(1, 4), integer=True),
          factor("lv", values=["a", "b", "c", "d", "e"])]
    df = build_design("lhs", fs, n=n, seed=1)
    assert sorted(np.floor(df.x / 10.0 * n).astype(int)) == list(range(n))  # one per stratum
    assert df.u.value_counts().to_dict() == {1: 10, 2: 10, 3: 10, 4: 10}
    assert df.lv.value_counts().to_dict() == dict.fromkeys("abcde", 8)


def test_integer_range_with_fractional_ends_keeps_inside():
    df = build_design("lhs", [factor("u", range=(0.5, 3.5), integer=True)], n=30, seed=0)
    assert df.u.value_counts().to_dict() == {1: 10, 2: 10, 3: 10}


def test_sobol_rounds_n_up_to_a_power_of_two():
    assert len(build_design("sobol", [factor("x", range=(0, 1))], n=10)) == 16


def test_sobol_sa_has_n_times_k_plus_2_points_without_second_order():
    fs = [factor("a", range=(0, 1)), factor("b", range=(5, 6)), factor("c", values=[1, 2])]
    df = build_design("sobol_sa", fs, n=8, seed=2)
    assert len(df) == 8 * (3 + 2)
    assert [c for c in df.columns if c.startswith("_unit_")] == ["_unit_0", "_unit_1", "_unit_2"]
    assert df.b.between(5, 6).all() and set(df.c) <= {1, 2}
    np.testing.assert_allclose(df.b, 5 + df._unit_1)  # values map from the unit coordinates


def test_morris_has_n_times_k_plus_1_points_on_the_levels():
    fs = [factor("a", range=(0, 3)), factor("b", range=(10, 20)), factor("c", range=(0, 1))]
    df = build_design("morris", fs, n=5, seed=2, morris_levels=4)
    assert len(df) == 5 * (3 + 1)
    assert set(np.round(df.a, 9)) <= {0.0, 1.0, 2.0, 3.0}
    # each step of a trajectory moves exactly one factor
    for t in range(5):
        traj = df.iloc[t * 4:(t + 1) * 4][["_unit_0", "_unit_1", "_unit_2"]].to_numpy()
        assert ((np.abs(np.diff(traj, axis=0)) > 1e-9).sum(axis=1) == 1).all()


def test_points_design_keeps_the_given_points():
    fs = [factor("a", values=[1]), factor("b", values=[1])]
    df = build_design("points", fs, points=[{"a": 1, "b": 5}, {"b": 7, "a": 2}])
    assert df.to_dict(orient="records") == [{"a": 1, "b": 5}, {"a": 2, "b": 7}]


@pytest.mark.parametrize(("kw", "expected"), [
    ({}, "give exactly one of values, range or alternatives (got none)"),
    ({"values": [1], "range": (0, 1)}, "(got values, range)"),
    ({"values": []}, "values must not be empty"),
    ({"range": (2, 1)}, "low < high"),
    ({"range": (0.2, 0.8), "integer": True}, "holds no integer"),
])
def test_factor_checks(kw, expected):
    with pytest.raises(ValueError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        Factor(path="a", **kw)


# ------------------------------------------------------------- validation before running


def resolve_error(**fields) -> str:
    with pytest.raises(ScenarioError) as info:
        resolve_sweep(spec(**fields), "sweep.yaml")
    return str(info.value)


def test_every_level_is_validated_and_the_error_names_the_factor():
    msg = resolve_error(factors=(Factor(path=AMBUSH, values=(1, 2)),
                                 Factor(path=UNITS, values=(2, -1, 4))))
    assert msg.startswith("sweep.yaml: factors[1] (escorts.bases[sikasso].units): value -1 ")
    assert "greater than or equal to 0" in msg


def test_unknown_list_item_names_the_factor_and_the_choices():
    msg = resolve_error(factors=(Factor(path="staging[Diboli].max_tankers", values=(50,)),))
    assert "factors[0] (staging[Diboli].max_tankers)" in msg
    assert "no item named 'Diboli'; expected one of: Zegoua" in msg


def test_misspelt_field_names_the_factor_and_the_known_keys():
    msg = resolve_error(factors=(Factor(path="threats.ambush_multiplyer", values=(1,)),))
    assert "factors[0] (threats.ambush_multiplyer)" in msg
    assert "unknown key 'ambush_multiplyer'" in msg and "ambush_multiplier" in msg


def test_range_on_an_integer_field_needs_integer():
    msg = resolve_error(factors=(Factor(path=UNITS, range=(1, 8)),))
    assert "factors[0]" in msg and "value 4.5" in msg and "integer: true" in msg
    resolve_sweep(spec(factors=(Factor(path=UNITS, range=(1, 8), integer=True),),
                       design={"kind": "lhs", "n": 4}))


def test_bad_alternative_names_the_alternative():
    msg = resolve_error(factors=(Factor(path="threats.ambush", alternatives={
        "ok": {"loss_share_mean": 0.2}, "bad": {"loss_share_mean": 1.5}}),))
    assert "factors[0] (threats.ambush): alternative 'bad'" in msg
    assert "threats.ambush.loss_share_mean: 1.5 is invalid" in msg


def test_points_that_only_fail_together_are_named():
    # each level is valid alone (min 40, max 120 in the base); together 100 > 60 is not
    msg = resolve_error(factors=(Factor(path="staging[Zegoua].min_tankers", values=(40, 100)),
                                 Factor(path="staging[Zegoua].max_tankers", values=(120, 60))))
    assert msg.startswith("sweep.yaml: point 3 ")
    assert "max_tankers (60) must be >= min_tankers (100)" in msg


@pytest.mark.parametrize(("fields", "expected"), [
    ({"reference": {UNITS: 3}}, "reference: {'escorts.bases[sikasso].units': 3} matches no point"),
    ({"reference": {"foo": 3}}, "reference: unknown factor(s) ['foo']"),
    ({"reference": 7}, "reference: 7 is not a point index: expected 0..1"),
    ({"design": {"kind": "points", "points": [{UNITS: 2}, {"foo": 1}]}},
     "design.points[1]: unknown factor(s) ['foo']"),
])
def test_reference_and_points_errors(fields, expected):
    assert expected in resolve_error(factors=(Factor(path=UNITS, values=(2, 4)),), **fields)


def test_duplicate_factor_names():
    msg = resolve_error(factors=(Factor(path=UNITS, values=(2,)),
                                 Factor(path=AMBUSH, name=UNITS, values=(1,))))
    assert "duplicate factor names" in msg


def test_reference_by_values_and_validated_points():
    sw = resolve_sweep(spec(factors=(Factor(path=UNITS, values=(2, 4)), Factor(path=AMBUSH,
                                                                               values=(1, 3))),
                            reference={UNITS: 4, AMBUSH: 1}))
    assert sw.reference == 2
    assert [(s.escorts.bases[0].units, s.threats.ambush_multiplier) for s in sw.scenarios] == [
        (2, 1), (2, 3), (4, 1), (4, 3)]
    assert len(sw.design_hash()) == 64


def test_sweep_file_errors_name_the_file_and_field(tmp_path):
    p = write_sweep(tmp_path, "name: s\nfactors:\n  - {path: 'threats..x', values: [1]}\n")
    with pytest.raises(ScenarioErrors) as info:
        load_sweep(p)
    assert info.value.lines()[0].startswith(f"{p}: factors[0].path: ")
    assert "not a valid path" in info.value.lines()[0]
    p = write_sweep(tmp_path, "name: s\nfactors: [{path: a, values: [1]}]\ndesign: {kind: lhs}\n")
    with pytest.raises(ScenarioErrors, match="design 'lhs' needs n"):
        load_sweep(p)
    p = write_sweep(tmp_path, "name: s\nreplicates: 3\nfactors: [{path: a, values: [1]}]\n")
    with pytest.raises(ScenarioErrors, match="unknown key 'replicates'"):
        load_sweep(p)


def test_base_is_relative_to_the_sweep_file(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "base.yaml").write_text(SMOKE.read_text())
    p = tmp_path / "s.yaml"
    p.write_text("name: s\nbase: sub/base.yaml\nfactors: [{path: seed, values: [1]}]\n")
    assert load_sweep(p).base == str((tmp_path / "sub" / "base.yaml").resolve())


# ------------------------------------------------------------------------------ --set


def test_set_option_parsing():
    f = parse_set_option("escorts.bases[x].units=2,4,8")
    assert f.path == "escorts.bases[x].units" and f.values == (2, 4, 8)
    assert parse_set_option("a=1.5, 2").values == (1.5, 2)
    assert parse_set_option("a=wait,none").values == ("wait", "none")
    assert parse_set_option("a=0.5:2").range == (0.5, 2.0)
    assert parse_set_option("start=2025-09-01T12:00").values == ("2025-09-01T12:00",)


@pytest.mark.parametrize(("option", "expected"), [
    ("a", "--set: 'a' is invalid: expected PATH=V1,V2,..."),
    ("a=", "--set a: no values given"),
    ("a=2:1", "--set a: '2:1' is invalid: range must be [low, high] with low < high"),
    ("a..b=1", "--set a..b: 'a..b' is not a valid path"),
    ("a=[1", "--set a: '[1' is not a valid value"),
])
def test_set_option_errors_are_one_line(option, expected):
    with pytest.raises(ScenarioError) as info:
        parse_set_option(option)
    assert str(info.value).startswith(expected) and "\n" not in str(info.value)


def test_set_ranges_on_integer_fields_draw_integers():
    s = sweep_from_sets(SMOKE, [f"{UNITS}=1:8", f"{AMBUSH}=1:2"], replications=3, seed=1)
    assert s.design.kind == "lhs"
    assert [f.integer for f in s.factors] == [True, False]
    df = resolve_sweep(s).design
    assert df[UNITS].map(type).eq(int).all() and df[AMBUSH].map(type).eq(float).all()


# ------------------------------------------------------------------------- command line


def test_dry_run_prints_the_plan_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    res = invoke("sweep", SMOKE, "--set", f"{UNITS}=2,4,8", "--set", f"{AMBUSH}=1,2", "-n", "10",
                 "--chunk-size", "3", "--dry-run", "-o", out, "-w", "2")
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0] == ("sweep smoke_sweep: 6 points x 10 replications = 60 replications in 24 "
                        "tasks of 3")
    assert lines[1].startswith("pilot: ") and "ms per replication; estimated " in lines[1]
    assert lines[1].endswith(" s on 2 worker(s)")
    assert lines[2] == f"results would go to {out}/"
    assert not out.exists()


def test_bad_factor_on_the_command_line_is_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    res = invoke("sweep", SMOKE, "--set", f"{UNITS}=2,-4", "-o", out)
    assert res.exit_code == 2
    assert res.output.count("\n") == 1 and "Traceback" not in res.output
    assert f"factors[0] ({UNITS}): value -4" in res.output
    assert not out.exists()
    res = invoke("sweep", write_sweep(tmp_path, f"name: s\nfactors: [{{path: '{UNITS}', values: [1]}}]\n"),
                 "--set", f"{AMBUSH}=1", "-o", out)
    assert res.exit_code == 2 and "--set applies to a scenario file" in res.output
    assert not out.exists()


def test_sweep_then_summarize_writes_every_table(tmp_path):
    sweep = write_sweep(tmp_path, f"""name: s
replications: 4
seed: 3
factors:
  - {{path: "{UNITS}", values: [2, 6]}}
  - {{path: {AMBUSH}, values: [1, 2]}}
reference: {{"{UNITS}": 6, {AMBUSH}: 1}}
delivered_by_days: [10]
stockout_dates: [2025-09-10, 2025-09-20]
""")
    out = tmp_path / "res"
    res = invoke("sweep", sweep, "-o", out, "-w", "1")
    assert res.exit_code == 0, res.output
    assert "delivered_l by point" in res.output and f"results written to {out}/" in res.output
    assert sorted(p.name for p in out.iterdir()) == [
        "design.csv", "paired_differences.csv", "points_summary.csv", "stockout_probability.csv",
        "summary", "sweep.json"]
    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["reference_point"] == 2 and manifest["points"] == 4
    assert manifest["command"].startswith("corridorsim sweep ")
    summary = read_table(out)
    assert len(summary) == 16 and "delivered_l_by_day_10" in summary
    assert (summary.delivered_l_by_day_10 <= summary.delivered_l).all()
    pm = pd.read_csv(out / "points_summary.csv")
    assert list(pm.columns) == ["point", UNITS, AMBUSH, "metric", "n", "mean", "sd", "p5", "p50",
                                "p95", "ci95_halfwidth", "ci95_low", "ci95_high"]
    first = (out / "points_summary.csv").read_bytes()
    (out / "points_summary.csv").unlink()
    elsewhere = tmp_path / "csv"
    res = invoke("summarize", out, "-o", elsewhere, "--metric", "delivered_l", "-q")
    assert res.exit_code == 0, res.output
    assert set(pd.read_csv(elsewhere / "points_summary.csv").metric) == {"delivered_l"}
    res = invoke("summarize", out, "-q")
    assert res.exit_code == 0 and (out / "points_summary.csv").read_bytes() == first
    res = invoke("summarize", out, "--metric", "litres")
    assert res.exit_code == 2 and "unknown metric(s) ['litres']" in res.output
    res = invoke("summarize", tmp_path)
    assert res.exit_code == 2 and "not a sweep results directory" in res.output


def test_existing_directory_needs_resume_or_force_and_is_left_intact(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    res = invoke("sweep", SMOKE, "--set", f"{UNITS}=2", "-n", "2", "-o", out, "-w", "1")
    assert res.exit_code == 2 and "use --resume to continue it or --force" in res.output
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
    res = invoke("sweep", SMOKE, "--set", f"{UNITS}=2", "-n", "2", "-o", out, "-w", "1", "--resume")
    assert res.exit_code == 2 and "cannot resume: no sweep.json" in res.output
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
    res = invoke("sweep", SMOKE, "--set", f"{UNITS}=2", "-n", "2", "-o", out, "-w", "1", "--force",
                 "-q")
    assert res.exit_code == 0 and not (out / "mine.txt").exists()


def test_resume_refuses_a_changed_sweep_and_finishes_an_unchanged_one(tmp_path):
    text = f"name: s\nreplications: 6\nfactors: [{{path: '{UNITS}', values: [2, 6]}}]\n"
    sweep = write_sweep(tmp_path, text)
    out = tmp_path / "out"
    assert invoke("sweep", sweep, "-o", out, "-w", "1", "--chunk-size", "2", "-q").exit_code == 0
    before = {p: p.read_bytes() for p in (out / "summary").rglob("*.parquet")}
    write_sweep(tmp_path, text.replace("[2, 6]", "[2, 7]"))
    res = invoke("sweep", sweep, "-o", out, "-w", "1", "--resume")
    assert res.exit_code == 2
    assert "cannot resume: the sweep file, base scenario or design changed" in res.output
    res = invoke("sweep", sweep, "-o", out, "-w", "1", "--resume", "-n", "8")
    assert res.exit_code == 2 and "cannot resume" in res.output
    write_sweep(tmp_path, text)
    res = invoke("sweep", sweep, "-o", out, "-w", "1", "--resume", "--chunk-size", "5")
    assert res.exit_code == 0 and "0 tasks run, 6 already done" in res.output
    assert {p: p.read_bytes() for p in (out / "summary").rglob("*.parquet")} == before


# -------------------------------------------------------------------------------- summaries


def synthetic_summary() -> pd.DataFrame:
    rows = []
    rng = np.random.default_rng(0)
    for point in range(3):
        for rep in range(6):
            if point == 2 and rep == 5:
                continue  # a replication missing at one point: pairs use common ones only
            rows.append({"point": point, "replication": rep,
                         "delivered_l": float(rng.integers(0, 1000)) + 100 * point,
                         "first_stockout_day": [np.nan, 3, 10, 5, np.nan, 0][rep] + point})
    return pd.DataFrame(rows)


def test_paired_differences_match_a_hand_computation():
    s = synthetic_summary()
    out = paired_differences(s, reference=1, metrics=["delivered_l"]).set_index("point")
    ref = s[s.point == 1].set_index("replication").delivered_l
    for point in range(3):
        x = s[s.point == point].set_index("replication").delivered_l
        common = sorted(set(x.index) & set(ref.index))
        d = np.array([x[r] - ref[r] for r in common])
        row = out.loc[point]
        assert row.reference == 1 and row.metric == "delivered_l" and row.n == len(common)
        assert row.mean_diff == pytest.approx(d.mean())
        sd = math.sqrt(sum((v - d.mean()) ** 2 for v in d) / (len(d) - 1))
        assert row.sd_diff == pytest.approx(sd)
        half = T975[len(d) - 1] * sd / math.sqrt(len(d))
        assert (row.ci95_high - row.ci95_low) / 2 == pytest.approx(half, rel=2e-4)  # table rounding
        assert (row.ci95_high + row.ci95_low) / 2 == pytest.approx(d.mean())
        assert row.relative_diff == pytest.approx(d.mean() / np.mean([ref[r] for r in common]))
    assert out.loc[1, ["mean_diff", "sd_diff", "ci95_low", "ci95_high"]].tolist() == [0, 0, 0, 0]
    assert out.loc[2, "n"] == 5


def test_paired_differences_skip_undefined_values():
    s = synthetic_summary()
    out = paired_differences(s, reference=0, metrics=["first_stockout_day"]).set_index("point")
    assert out.loc[1, "n"] == 4 and out.loc[1, "mean_diff"] == 1.0 and out.loc[1, "sd_diff"] == 0


def test_point_metrics_match_numpy():
    s = synthetic_summary()
    design = pd.DataFrame({"f": [10, 20, 30]}, index=pd.Index([0, 1, 2], name="point"))
    pm = point_metrics(s, design, ["delivered_l", "first_stockout_day"])
    row = pm[(pm.point == 2) & (pm.metric == "delivered_l")].iloc[0]
    x = s[s.point == 2].delivered_l.to_numpy()
    assert row.f == 30 and row.n == 5
    assert row["mean"] == pytest.approx(x.mean()) and row.sd == pytest.approx(x.std(ddof=1))
    assert [row.p5, row.p50, row.p95] == pytest.approx(np.percentile(x, [5, 50, 95]))
    assert row.ci95_halfwidth == pytest.approx(T975[4] * x.std(ddof=1) / math.sqrt(5), rel=2e-4)
    assert (row.ci95_low, row.ci95_high) == pytest.approx((row["mean"] - row.ci95_halfwidth,
                                                           row["mean"] + row.ci95_halfwidth))
    row = pm[(pm.point == 0) & (pm.metric == "first_stockout_day")].iloc[0]
    assert row.n == 4 and row["mean"] == pytest.approx((3 + 10 + 5 + 0) / 4)  # defined ones


def test_stockout_probability_counts_stockouts_on_or_before_each_date():
    s = synthetic_summary()  # point 0 days: nan, 3, 10, 5, nan, 0
    start = dt.date(2025, 9, 1)
    out = stockout_probability(s, start, [dt.date(2025, 9, 1), dt.date(2025, 9, 4),
                                          dt.date(2025, 9, 30)])
    p0 = out[out.point == 0]
    assert p0.date.tolist() == ["2025-09-01", "2025-09-04", "2025-09-30"]
    assert p0.day.tolist() == [0, 3, 29] and (p0.n == 6).all()
    assert p0.p_stockout.tolist() == pytest.approx([1 / 6, 2 / 6, 4 / 6])
    assert (p0.ci95_low.iloc[1], p0.ci95_high.iloc[1]) == pytest.approx(wilson(2, 6), abs=1e-4)
    p2 = out[out.point == 2]  # days nan, 5, 12, 7, nan: shifted by 2, one replication fewer
    assert (p2.n == 5).all() and p2.p_stockout.tolist() == pytest.approx([0, 0, 3 / 5])
    # no zero-width interval at p = 0: Wilson's upper bound at 0 of 5 is z^2 / (n + z^2)
    assert p2.ci95_low.iloc[0] == 0 and p2.ci95_high.iloc[0] == pytest.approx(
        1.959964 ** 2 / (5 + 1.959964 ** 2), abs=1e-5)


#: Student t quantiles t_{0.975, df} (printed tables, e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2)
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 9: 2.262, 19: 2.093, 29: 2.045,
        39: 2.023}


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval from its closed form (Wilson 1927)."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


# ------------------------------------------------------------------------------ precision


def test_target_halfwidth_adds_replications_until_precise_or_capped(tmp_path):
    target, batch, cap = 0.06, 10, 40
    s = spec(replications=batch, seed=2, factors=(Factor(path=UNITS, values=(2, 8)),),
             precision=Precision(target_halfwidth=target, max_replications=cap))
    sw = resolve_sweep(s)
    counts = SweepRunner(sw, tmp_path / "r", InProcessExecutor(), chunk_size=4).run()
    reps = counts["replications"]
    summary = read_table(tmp_path / "r")
    # the files hold replications 0..n-1 of each point, n as reported
    assert summary.groupby("point").replication.apply(list).to_dict() == {
        p: list(range(n)) for p, n in reps.items()}
    assert counts["tasks_run"] == sum(3 * n // batch for n in reps.values())  # 4 + 4 + 2 a batch

    def rel_half(point: int, n: int) -> float:
        x = summary[(summary.point == point) & (summary.replication < n)].delivered_l
        return T975[n - 1] * x.std(ddof=1) / math.sqrt(n) / x.mean()

    for p, n in reps.items():
        assert n % batch == 0 and batch <= n <= cap
        assert all(rel_half(p, k) > target for k in range(batch, n, batch))  # not precise yet
        assert rel_half(p, n) <= target or n == cap  # then precise, or stopped at the cap
    # with 2 units delivery varies twice as much as with 8: the points stop at different counts
    assert reps[0] > reps[1]
    # common random numbers survive: the extra replications are the same indices at every point
    extra = run_task(SweepTask(0, batch, reps[0] - batch, sw.scenarios[0], 2))["summary"]
    pd.testing.assert_frame_equal(summary[(summary.point == 0) & (summary.replication >= batch)]
                                  .drop(columns=UNITS).reset_index(drop=True), extra)
    pairs = paired_differences(summary, 0, ["delivered_l"])
    assert pairs.set_index("point").loc[1, "n"] == reps[1]
    # resuming a finished precision sweep runs nothing and ends with the same counts
    again = SweepRunner(sw, tmp_path / "r", InProcessExecutor(), 4, resume=True).run()
    assert again["tasks_run"] == 0 and again["replications"] == reps


def test_target_halfwidth_on_the_command_line(tmp_path):
    out = tmp_path / "r"
    res = invoke("sweep", SMOKE, "--set", f"{UNITS}=8", "-n", "5", "--target-halfwidth", "0.01",
                 "--max-replications", "15", "-o", out, "-w", "1", "--chunk-size", "5")
    assert res.exit_code == 0, res.output
    assert "replications per point: 15-15" in res.output
    assert UNITS in res.output  # the [selector] is printed, not taken for markup
    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["spec"]["precision"] == {"metric": "delivered_l", "target_halfwidth": 0.01,
                                             "max_replications": 15}
    res = invoke("sweep", SMOKE, "--set", f"{UNITS}=8", "--metric", "unmet_l", "--dry-run")
    assert res.exit_code == 2 and "go with --target-halfwidth" in res.output
    res = invoke("sweep", SMOKE, "--set", f"{UNITS}=8", "-n", "2", "--target-halfwidth", "0.01",
                 "--metric", "litres", "-o", tmp_path / "bad", "-w", "1")
    assert res.exit_code == 2 and "precision.metric: 'litres' is not a summary column" in res.output
    assert not (tmp_path / "bad").exists()


# ---------------------------------------------------------------------------- sensitivity


@pytest.mark.e2e
def test_sobol_indices_find_the_factor_that_matters_and_the_one_that_cannot(tmp_path):
    # IED rates are zero in this base, so the IED multiplier cannot change anything
    base = tmp_path / "no_ied.yaml"
    base.write_text(f"extends: {SMOKE}\nname: smoke_no_ied\nthreats:\n  rules:\n"
                    "    - {region: ML, ambush_rate_per_1000km: 0.8, ied_rate_per_1000km: 0}\n")
    s = SweepSpec(name="sa", base=str(base), replications=8, seed=3, design={
        "kind": "sobol_sa", "n": 8}, factors=(
        Factor(path=UNITS, range=(1, 8), integer=True),
        Factor(path=AMBUSH, range=(0.5, 2.0)),
        Factor(path="threats.ied_multiplier", range=(0.0, 5.0))))
    sw = resolve_sweep(s)
    assert len(sw.design) == 8 * (3 + 2)
    SweepRunner(sw, tmp_path / "r", InProcessExecutor(), chunk_size=8).run()
    sens = summarize_sweep(tmp_path / "r")["sensitivity"]
    assert list(sens.columns) == ["metric", "factor", "S1", "S1_conf", "ST", "ST_conf"]
    d = sens[sens.metric == "delivered_l"].set_index("factor")
    assert d.loc["threats.ied_multiplier", ["S1", "ST"]].abs().max() < 1e-9
    assert d.ST.idxmax() == UNITS and d.loc[UNITS, "ST"] > 0.3
    assert (d.loc[UNITS, ["S1_conf", "ST_conf"]] > 0).all()  # bootstrap intervals are there


def test_morris_indices(tmp_path):
    s = spec(replications=4, seed=3, design={"kind": "morris", "n": 4}, factors=(
        Factor(path=UNITS, range=(1, 8), integer=True), Factor(path="seed", range=(0, 9),
                                                               integer=True)))
    SweepRunner(resolve_sweep(s), tmp_path / "r", InProcessExecutor(), chunk_size=4).run()
    sens = summarize_sweep(tmp_path / "r")["sensitivity"]
    assert list(sens.columns) == ["metric", "factor", "mu", "mu_star", "sigma", "mu_star_conf"]
    d = sens[sens.metric == "delivered_l"].set_index("factor")
    # the scenario's own seed is not used by sweeps (the sweep seed is): no effect at all
    assert d.loc["seed", "mu_star"] == 0 and d.loc[UNITS, "mu_star"] > 1e6


# ------------------------------------------------------------------------ shipped sweeps

SHIPPED_SWEEPS = sorted((SCENARIOS / "sweeps").glob("*.yaml"))


def test_example_sweeps_are_shipped():
    assert len(SHIPPED_SWEEPS) >= 2
    kinds = {load_sweep(p).design.kind for p in SHIPPED_SWEEPS}
    assert "grid" in kinds and "sobol_sa" in kinds


@pytest.mark.e2e
@pytest.mark.parametrize("path", SHIPPED_SWEEPS, ids=lambda p: p.name)
def test_shipped_sweep_resolves_and_dry_runs(path, tmp_path):
    assert path.read_text().startswith("#"), "every example sweep starts with its question"
    s = load_sweep(path)
    assert s.description.strip()
    sw = resolve_sweep(s, str(path))
    assert len(sw.scenarios) == len(sw.design) > 1
    out = tmp_path / "out"
    res = invoke("sweep", path, "--dry-run", "-o", out)
    assert res.exit_code == 0, res.output
    assert res.output.startswith(f"sweep {s.name}: {len(sw.design)} points x {s.replications} "
                                 "replications")
    assert not out.exists()


# ------------------------------------------------------------------------------ reference


def test_set_sweeps_compare_against_the_scenario_as_written(tmp_path):
    # smoke.yaml has 6 sikasso escort units and no ambush multiplier (default 1)
    spec = sweep_from_sets(SMOKE, [f"{UNITS}=2,4,6", f"{AMBUSH}=0.5,1,2"], 2, 1)
    assert spec.reference == {UNITS: 6, AMBUSH: 1}
    sw = resolve_sweep(spec)
    assert sw.design.loc[sw.reference, [UNITS, AMBUSH]].tolist() == [6, 1]
    # the written value is not a level: point 0, as for any sweep without a reference
    assert sweep_from_sets(SMOKE, [f"{UNITS}=2,4"], 2, 1).reference is None
    out = tmp_path / "o"
    res = invoke("sweep", SMOKE, "--set", f"{UNITS}=2,4,6", "--reference", f"{UNITS}=4", "-n", "2",
                 "-o", out, "-w", "1")
    assert res.exit_code == 0, res.output
    assert json.loads((out / "sweep.json").read_text())["reference_point"] == 1
    assert "paired differences against point 1" in res.output
    res = invoke("sweep", SMOKE, "--set", f"{UNITS}=2,4,6", "--reference", "2", "-n", "2",
                 "-o", out, "-w", "1", "--force", "-q")
    assert res.exit_code == 0 and json.loads((out / "sweep.json").read_text())["reference_point"] == 2
    res = invoke("sweep", SMOKE, "--set", f"{UNITS}=2,4,6", "--reference", f"{UNITS}=5", "-n", "2",
                 "-o", out, "-w", "1", "--force")
    assert res.exit_code == 2 and "matches no point" in res.output


def test_stockout_probability_per_destination_when_the_sweep_keeps_them(tmp_path):
    """A sweep that keeps the destinations table gets each destination's own probability of a
    stock-out by each date (the summary's is that of any depot), and a figure per destination."""
    import yaml

    from corridorsim.experiments.summaries import summarize_sweep
    from corridorsim.viz.contexts import sweep_context
    from corridorsim.viz.standard_sets import sweep_set

    from ..decisions.test_decisions import two_destination_scenario

    doc = yaml.safe_load(Path(two_destination_scenario(tmp_path)).read_text())
    for d in doc["destinations"]:  # demand, so that stocks run out at different times
        d["demand_l_per_day"] = 400_000 if d["name"] == "A" else 150_000
    base = tmp_path / "towns_demand.yaml"
    base.write_text(yaml.safe_dump(doc))
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(yaml.safe_dump({
        "name": "towns", "base": str(base), "replications": 4, "keep": ["destinations"],
        "stockout_dates": ["2025-01-05", "2025-01-20"],
        "factors": [{"path": "threats.ambush_multiplier", "values": [0.5, 2.0]}]}))
    r = invoke("sweep", str(sweep), "-w", "1", "-o", str(tmp_path / "sw"), "-q")
    assert r.exit_code == 0, r.output
    tables = summarize_sweep(tmp_path / "sw")
    by_dest = tables["stockout_probability_by_destination"]
    assert list(by_dest.columns[:3]) == ["point", "destination", "date"]
    rows = read_table(tmp_path / "sw", "destinations")
    for (point, dest, date), got in by_dest.set_index(["point", "destination", "date"])[
            "p_stockout"].items():
        g = rows[(rows["point"] == point) & (rows["destination"] == dest)]
        day = (dt.date.fromisoformat(date) - dt.date(2025, 1, 1)).days
        assert got == (g["first_stockout_day"] <= day).mean()
    national = tables["stockout_probability"].set_index(["point", "date"])["p_stockout"]
    assert (national.to_numpy() >= by_dest.groupby(["point", "date"])["p_stockout"].max()
            .to_numpy()).all()  # any depot: at least each destination's own
    names = {f.name for f in sweep_set(sweep_context(tmp_path / "sw"))}
    assert {"stockout_by_date", "stockout_by_date_A", "stockout_by_date_B"} <= names

"""The command line: the main job, its outputs, and every error path (one line, exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from corridorsim.cli import main
from corridorsim.experiments.rundir import DATA_FILES

from ..conftest import SCENARIOS

SMOKE = str(SCENARIOS / "smoke.yaml")


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> str:
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_run_writes_all_tables_and_manifest(tmp_path):
    out = tmp_path / "out"
    res = invoke("run", SMOKE, "-n", "3", "--seed", "4", "-w", "1", "-o", str(out))
    assert res.exit_code == 0, res.output
    assert "litres delivered" in res.output and "P95" in res.output
    assert sorted(p.name for p in out.iterdir()) == sorted([*DATA_FILES, "manifest.json"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 4 and manifest["replications"] == 3
    assert len(manifest["scenario_hash"]) == 64
    assert manifest["scenario"]["name"] == "smoke"
    assert {"python", "simpy", "numpy", "networkx", "pandas"} <= set(manifest["versions"])
    assert manifest["command"].startswith("corridorsim run")
    daily = pd.read_csv(out / "daily.csv")
    assert sorted(daily.replication.unique()) == [0, 1, 2]
    assert {"date", "delivered_l", "cumulative_delivered_l", "stock_l", "demand_l", "unmet_l",
            "tankers_destroyed", "litres_destroyed", "escort_units_busy"} <= set(daily.columns)
    assert len(pd.read_csv(out / "summary.csv")) == 3


def test_same_seed_gives_byte_identical_files_for_any_workers_and_chunks(tmp_path):
    outs = []
    for i, (w, chunk) in enumerate([("1", None), ("2", "1"), ("2", "3")]):
        out = tmp_path / f"o{i}"
        args = ["run", SMOKE, "-n", "6", "--seed", "9", "-w", w, "-o", str(out), "-q"]
        if chunk:
            args += ["--chunk-size", chunk]
        assert invoke(*args).exit_code == 0
        outs.append(out)
    for name in DATA_FILES:
        ref = (outs[0] / name).read_bytes()
        assert all((o / name).read_bytes() == ref for o in outs[1:]), name
    a = json.loads((outs[0] / "manifest.json").read_text())
    b = json.loads((outs[1] / "manifest.json").read_text())
    assert a["scenario"] == b["scenario"] and a["scenario_hash"] == b["scenario_hash"]


def test_run_of_several_destinations_prints_each_destination(tmp_path):
    """The national table says it is national; a second table gives each destination's own
    outcomes, equal to the means of its rows in destinations.csv."""
    out = tmp_path / "out"
    res = invoke("run", str(SCENARIOS / "mali_blockade_2025.yaml"), "-n", "2", "-w", "1",
                 "-o", str(out))
    assert res.exit_code == 0, res.output
    assert "days with a depot at zero stock" in res.output
    assert "probability that a depot ran out" in res.output
    assert "each destination (means over replications" in res.output
    dest = pd.read_csv(out / "destinations.csv")
    lines = {ln.split()[0]: ln for ln in res.output.splitlines() if ln.split()[:1] and
             ln.split()[0] in set(dest["destination"])}
    assert set(lines) == set(dest["destination"])
    for name, g in dest.groupby("destination"):
        assert f"{g['delivered_l'].mean() / 1e6:,.2f}" in lines[name]


def test_different_seed_gives_different_results(tmp_path):
    for s in ("1", "2"):
        invoke("run", SMOKE, "-n", "3", "--seed", s, "-w", "1", "-o", str(tmp_path / s), "-q")
    assert (tmp_path / "1" / "events.csv").read_bytes() != (tmp_path / "2" / "events.csv").read_bytes()


def test_existing_output_needs_force_and_is_left_intact(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    res = invoke("run", SMOKE, "-n", "2", "-w", "1", "-o", str(out))
    assert res.exit_code == 2
    assert "use --force" in res.output
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    res = invoke("run", SMOKE, "-n", "2", "-w", "1", "-o", str(out), "--force", "-q")
    assert res.exit_code == 0
    assert not (out / "keep.txt").exists() and (out / "daily.csv").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary leftovers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: x\nstart: [\n", "invalid YAML at line"),
        ("", "file is empty"),
        ("- a\n- b\n", "expected a mapping"),
        ("name: x\nstart: 2025-09-01\nend: 2025-09-05\ndestination: {node: Bamako, "
         "demand_l_per_day: 1, foo: 2}\nconvoys: []\n", "destination.foo: unknown key 'foo'"),
        ("name: x\nstart: 2025-09-01\nend: 2025-09-05\ndestination: {node: Bamako, "
         "demand_l_per_day: -5}\nsources: [{name: a, node: Dakar}]\n",
         "destination.demand_l_per_day: -5 is invalid"),
        ("name: x\nstart: 2025-09-01\nend: 2025-09-05\ndestination: {node: Bamako, "
         "demand_l_per_day: 5}\nsources: [{name: a, node: Dakkar}]\n",
         "sources[0].node: 'Dakkar' is not a node of the network"),
        ("name: x\nstart: 2025-09-01\nend: 2025-09-05\ndestination: {node: Bamako, "
         "demand_l_per_day: 5}\nsources: [{name: a, node: Dakar, tankers_per_day: lots}]\n",
         "sources[0].tankers_per_day: 'lots' is invalid"),
    ],
)
def test_bad_scenarios_give_one_line_and_exit_2(tmp_path, text, expected):
    path = write(tmp_path, text)
    out = tmp_path / "out"
    res = invoke("run", path, "-o", str(out))
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1, res.output
    assert expected in lines[0] and path in lines[0]
    assert "Traceback" not in res.output
    assert not out.exists()


def test_missing_file_is_a_clear_error(tmp_path):
    res = invoke("run", str(tmp_path / "nope.yaml"))
    assert res.exit_code == 2
    assert "file not found" in res.output


def test_validate_reports_each_file(tmp_path):
    bad = write(tmp_path, "name: x\n", "bad.yaml")
    res = invoke("validate", SMOKE, bad)
    assert res.exit_code == 2
    assert f"ok: {SMOKE}" in res.output
    assert "start: required field is missing" in res.output
    assert invoke("validate", SMOKE).exit_code == 0


def test_schema_is_json_schema_with_extends(tmp_path):
    res = invoke("schema")
    assert res.exit_code == 0
    schema = json.loads(res.output)
    assert "destination" in schema["properties"] and "extends" in schema["properties"]
    assert schema["additionalProperties"] is False
    out = tmp_path / "s.json"
    assert invoke("schema", "-o", str(out)).exit_code == 0
    assert json.loads(out.read_text()) == schema


@pytest.mark.e2e
def test_python_dash_m_and_no_traceback_in_a_real_process(tmp_path):
    bad = write(tmp_path, "name: x\nstart: 2025-09-01\nend: 2025-08-01\n")
    proc = subprocess.run([sys.executable, "-m", "corridorsim", "validate", bad],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") >= 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: ")
    ok = subprocess.run([sys.executable, "-m", "corridorsim", "--help"], capture_output=True,
                        text=True, timeout=60)
    assert ok.returncode == 0 and "run" in ok.stdout


def test_usage_errors_exit_2(tmp_path):
    assert invoke("run", SMOKE, "--replications", "0").exit_code == 2
    assert invoke("run", SMOKE, "--seed", "-1").exit_code == 2


INCIDENTS = str(SCENARIOS / "data" / "incidents_2025-09_2025-10.csv")
BLOCKADE = str(SCENARIOS / "mali_blockade_2025.yaml")


def test_incidents_command_matches_events_and_writes_outputs(tmp_path):
    out, png = tmp_path / "m.csv", tmp_path / "m.png"
    res = invoke("incidents", INCIDENTS, "-s", BLOCKADE, "-o", str(out), "--plot", str(png))
    assert res.exit_code == 0, res.output
    assert "CS013" in res.output and "Kadiana-Kolondieba" in res.output
    table = pd.read_csv(out)
    assert len(table) == 13 and png.stat().st_size > 10_000


def test_incidents_command_reports_bad_rows_with_line_numbers(tmp_path):
    text = Path(INCIDENTS).read_text().splitlines()
    text[2] = text[2].replace("11.3176", "abc")  # CS002, line 3 of the file
    bad = write(tmp_path, "\n".join(text) + "\n", "bad.csv")
    res = invoke("incidents", bad, "-s", BLOCKADE)
    assert res.exit_code == 2
    assert "line 3" in res.output and "latitude" in res.output


def test_rates_command_writes_a_threat_block_that_validates(tmp_path):
    out = tmp_path / "threats.yaml"
    res = invoke("rates", "-s", BLOCKADE, "-n", "3", "-o", str(out))
    assert res.exit_code == 0, res.output
    assert "corridor B-west region ML" in res.output
    assert invoke("validate", str(out)).exit_code == 0


def test_calibrate_command_writes_posterior(tmp_path):
    cal = write(tmp_path, f"""
name: tiny
base: {SMOKE}
parameters:
  - {{path: threats.ambush_multiplier, prior: {{dist: uniform, low: 0.5, high: 3}}}}
observed:
  - {{name: ambushes, value: 3, statistic: {{table: events, kinds: [ambush]}}}}
samples: 6
replications: 2
accept_fraction: 0.5
""", "cal.yaml")
    res = invoke("calibrate", cal, "-o", str(tmp_path / "out"), "-w", "1")
    assert res.exit_code == 0, res.output
    post = pd.read_csv(tmp_path / "out" / "posterior.csv")
    assert len(post) == 3 and "threats.ambush_multiplier" in post.columns
    assert (tmp_path / "out" / "fit.png").stat().st_size > 10_000
    # bad prior: one line naming the field, exit 2
    bad = write(tmp_path, Path(cal).read_text().replace("low: 0.5", "low: 5"), "bad.yaml")
    res = invoke("calibrate", bad, "-o", str(tmp_path / "out2"))
    assert res.exit_code == 2 and "parameters[0].prior" in res.output


@pytest.mark.e2e
def test_plot_and_report_commands(tmp_path):
    out = tmp_path / "run"
    assert invoke("run", SMOKE, "-n", "3", "-w", "1", "-o", str(out), "-q").exit_code == 0
    res = invoke("plot", str(out), "--format", "svg")
    assert res.exit_code == 0, res.output
    svgs = sorted(p.name for p in (out / "figures").glob("*.svg"))
    assert "fan_chart.svg" in svgs and "corridor_map.svg" in svgs
    res = invoke("report", str(out), "-o", str(tmp_path / "r.html"), "--pdf")
    assert res.exit_code == 0, res.output
    html = (tmp_path / "r.html").read_text()
    assert "smoke" in html and "<img" in html and (tmp_path / "r.pdf").read_bytes()[:4] == b"%PDF"
    bad = invoke("report", str(tmp_path))
    assert bad.exit_code == 2 and "not a corridorsim run, sweep or calibration directory" in bad.output

"""``--engine auto|des|vector`` on the command line: identical files, the engine in the
manifest, one line saying why not the fast path, one line and exit 2 when it cannot run."""

from __future__ import annotations

import json

from click.testing import CliRunner

from corridorsim.cli import main
from corridorsim.experiments.rundir import DATA_FILES

from ..conftest import SCENARIOS

RELIEF = str(SCENARIOS / "relief_convoy_2025-10-07.yaml")
SMOKE = str(SCENARIOS / "smoke.yaml")


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_run_gives_the_same_files_on_both_engines_and_records_the_engine(tmp_path):
    outs = {}
    for engine, workers in (("des", "1"), ("vector", "1"), ("auto", "2")):
        out = tmp_path / engine
        res = invoke("run", RELIEF, "-n", "30", "--seed", "3", "-w", workers, "--chunk-size", "7",
                     "-o", str(out), "-q", "--engine", engine)
        assert res.exit_code == 0, res.output
        outs[engine] = out
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["engine"] == ("des" if engine == "des" else "vector")
        assert manifest["command"].endswith(f"--engine {engine}")
    for name in DATA_FILES:
        if name == "metrics.csv":
            continue
        ref = (outs["des"] / name).read_bytes()
        assert (outs["vector"] / name).read_bytes() == ref, name
        assert (outs["auto"] / name).read_bytes() == ref, name


def test_auto_says_in_one_line_why_the_engine_is_des(tmp_path):
    res = CliRunner().invoke(main, ["run", SMOKE, "-n", "2", "-w", "1", "-o", str(tmp_path / "o")],
                             catch_exceptions=False)
    assert res.exit_code == 0
    lines = [ln for ln in res.output.splitlines() if ln.startswith("engine:")]
    assert len(lines) == 1 and "des" in lines[0] and "source" in lines[0]


def test_vector_on_an_ineligible_scenario_is_one_line_and_exit_2(tmp_path):
    out = tmp_path / "o"
    res = invoke("run", SMOKE, "-n", "2", "-o", str(out), "--engine", "vector")
    assert res.exit_code == 2
    assert res.output.count("\n") == 1 and res.output.startswith("error:")
    assert "not eligible" in res.output and "Traceback" not in res.output
    assert not out.exists()


def test_sweep_takes_the_engine_and_records_it(tmp_path):
    out = tmp_path / "sw"
    res = invoke("sweep", RELIEF, "--set", "threats.ambush_multiplier=1,2", "-n", "6", "-w", "1",
                 "-o", str(out), "-q", "--engine", "vector")
    assert res.exit_code == 0, res.output
    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["engine"] == "vector" and manifest["engine_used"] == "vector"
    res = invoke("sweep", SMOKE, "--set", "threats.ambush_multiplier=1,2", "-n", "2", "-w", "1",
                 "-o", str(tmp_path / "x"), "-q", "--engine", "vector")
    assert res.exit_code == 2 and "not eligible" in res.output

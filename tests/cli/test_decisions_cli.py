"""The decision commands end to end on a one-edge corridor: outputs, figures, report sections
and the one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from corridorsim.cli import main
from corridorsim.experiments.sweep_runner import read_table

from ..decisions.test_decisions import one_edge_scenario, two_destination_scenario

# end to end: the decision commands with their sweeps and reports
pytestmark = pytest.mark.e2e


def invoke(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_criticality_value_regret_and_report(tmp_path):
    threatened = one_edge_scenario(tmp_path)
    safe = one_edge_scenario(tmp_path, threats=False, stem="no_threats")
    runs = tmp_path / "runs"
    r = invoke("criticality", threatened, "-n", 4, "-o", runs / "criticality", "--recovery-days", 5)
    assert r.exit_code == 0, r.output
    assert "Depot-Town" in r.output
    crit = runs / "criticality"
    assert {p.name for p in (crit / "figures").iterdir()} == {
        "criticality_bars.png", "criticality_map.png", "stress_test.png"}
    again = invoke("criticality", threatened, "-n", 4, "-o", crit)
    assert again.exit_code == 2 and "--force" in again.output

    r = invoke("value", threatened, "-n", 3, "-o", runs / "value", "--by", "2025-01-20")
    assert r.exit_code == 0, r.output
    assert "one more day of stock at Town is worth" in r.output
    assert json.loads((runs / "value" / "study.json").read_text())["stockout_date"] == "2025-01-20"

    r = invoke("regret", threatened, safe, "--set", "threats.ambush_multiplier=0.5,2",
               "--metric", "delivered_l", "-n", 3, "-o", runs / "regret")
    assert r.exit_code == 0, r.output
    rank = pd.read_csv(runs / "regret" / "regret.csv")
    # the lever without threats delivers at least as much at every point: zero regret, first
    assert rank["lever"].iloc[0] == "no_threats"
    assert rank["max_regret"].iloc[0] == 0 and rank["best_at"].iloc[0] == 2
    assert rank["max_regret"].iloc[1] > 0

    r = invoke("report", runs, "-o", tmp_path / "report.html")
    assert r.exit_code == 0, r.output
    html = (tmp_path / "report.html").read_text()
    for heading in ("Which road segments matter", "What one more unit is worth",
                    "Which what-if is most robust"):
        assert heading in html
    assert html.count("<img") == 5


def test_discover_errors_are_one_line(tmp_path):
    threatened = one_edge_scenario(tmp_path)
    r = invoke("sweep", threatened, "--set", "threats.ambush_multiplier=0.5,1,2", "-n", 2, "-w", 1,
               "-o", tmp_path / "sw", "-q")
    assert r.exit_code == 0, r.output
    r = invoke("discover", tmp_path / "sw", "--metric", "nonsense", "--threshold", 1)
    assert r.exit_code == 2
    assert r.output.count("\n") == 1 and "not a summary column" in r.output
    r = invoke("discover", tmp_path / "sw", "--metric", "litres_destroyed", "--threshold", 1e12)
    assert r.exit_code == 2 and "no case" in r.output
    r = invoke("discover", tmp_path / "sw", "--metric", "litres_destroyed", "--threshold", 1,
               "--bootstrap", 5, "-o", tmp_path / "disc")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "disc" / "figures" / "peeling.png").is_file()
    # a discovery inside a sweep directory leaves the sweep's own report alone
    r = invoke("discover", tmp_path / "sw", "--metric", "litres_destroyed", "--threshold", 1,
               "--bootstrap", 0)
    assert r.exit_code == 0 and (tmp_path / "sw" / "discovery" / "study.json").is_file()
    r = invoke("report", tmp_path / "sw", "-o", tmp_path / "sweep.html")
    assert r.exit_code == 0, r.output
    assert "Under which conditions" not in (tmp_path / "sweep.html").read_text()
    r = invoke("report", tmp_path / "sw" / "discovery", "-o", tmp_path / "disc.html")
    assert r.exit_code == 0 and "Under which conditions" in (tmp_path / "disc.html").read_text()


def test_discover_and_regret_at_one_destination(tmp_path):
    """--destination judges the metric on that destination's rows of the destinations table
    (kept by the sweep), and says how to get them when the sweep did not keep them."""
    import yaml

    towns = two_destination_scenario(tmp_path)
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(yaml.safe_dump({
        "name": "towns", "base": towns, "replications": 3, "keep": ["destinations"],
        "factors": [{"path": "threats.ambush_multiplier", "values": [0.5, 1.0, 2.0]}]}))
    r = invoke("sweep", sweep, "-w", 1, "-o", tmp_path / "sw", "-q")
    assert r.exit_code == 0, r.output
    r = invoke("discover", tmp_path / "sw", "--metric", "litres_destroyed", "--threshold", 1,
               "--destination", "B", "--bootstrap", 0, "-o", tmp_path / "disc")
    assert r.exit_code == 0, r.output
    cases = pd.read_csv(tmp_path / "disc" / "cases.csv").set_index(["point", "replication"])
    b = read_table(tmp_path / "sw", "destinations").query("destination == 'B'")
    expected = b.set_index(["point", "replication"])["litres_destroyed"]
    assert cases["metric"].sort_index().tolist() == expected.sort_index().astype(float).tolist()
    assert json.loads((tmp_path / "disc" / "study.json").read_text())["destination"] == "B"
    r = invoke("discover", tmp_path / "sw", "--metric", "litres_destroyed", "--threshold", 1,
               "--destination", "C", "-o", tmp_path / "disc2")
    assert r.exit_code == 2 and "expected one of: A, B" in r.output
    assert not (tmp_path / "disc2").exists()
    r = invoke("sweep", towns, "--set", "threats.ambush_multiplier=1,2", "-n", 2, "-w", 1,
               "-o", tmp_path / "sw2", "-q")
    assert r.exit_code == 0, r.output
    r = invoke("discover", tmp_path / "sw2", "--metric", "litres_destroyed", "--threshold", 1,
               "--destination", "B", "-o", tmp_path / "disc3")
    assert r.exit_code == 2 and "keep: [destinations]" in r.output

    # regret at A, which no attack reaches: a lever without threats is no better there
    doc = yaml.safe_load(Path(towns).read_text())
    doc["threats"] = {"enabled": False}
    calm = tmp_path / "calm_towns.yaml"
    calm.write_text(yaml.safe_dump(doc))
    for dest, regrets in (("A", [0.0, 0.0]), (None, None)):
        extra = ["--destination", dest] if dest else []
        out = tmp_path / f"regret_{dest}"
        r = invoke("regret", towns, calm, "--set", "threats.ambush_multiplier=1,2", "--metric",
                   "delivered_l", *extra, "-n", 3, "-o", out, "-q")
        assert r.exit_code == 0, r.output
        rank = pd.read_csv(out / "regret.csv").set_index("lever")
        if regrets is not None:
            assert rank["max_regret"].tolist() == regrets
        else:  # nationally the calm lever wins: B's losses count
            assert rank.loc["calm_towns", "max_regret"] == 0 and rank.loc["two_towns", "max_regret"] > 0
    # a destination no lever has: refused before any lever's sweep runs, nothing written
    out = tmp_path / "regret_C"
    r = invoke("regret", towns, calm, "--set", "threats.ambush_multiplier=1,2", "--metric",
               "delivered_l", "--destination", "C", "-n", 3, "-o", out, "-q")
    assert r.exit_code == 2 and "expected one of: A, B" in r.output
    assert not out.exists()

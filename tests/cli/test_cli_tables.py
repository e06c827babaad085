"""Terminal tables: full width when piped, units in the headers, days of the scenario as dates,
interval columns that never claim certainty."""

from __future__ import annotations

import re

from click.testing import CliRunner

from corridorsim.cli import main

from ..conftest import SCENARIOS

SMOKE = SCENARIOS / "smoke.yaml"


def test_run_table_has_units_intervals_and_dates(tmp_path):
    res = CliRunner().invoke(main, ["run", str(SMOKE), "-n", "5", "--seed", "1", "-w", "1",
                                    "-o", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    header = next(line for line in lines if line.startswith("metric"))
    assert [c.strip() for c in re.split(r"[┃|]", header)] == [
        "metric", "unit", "mean", "95% CI", "P5", "P50", "P95"]
    row = {line.split("│")[0].strip(): [c.strip() for c in line.split("│")[1:]]
           for line in lines if "│" in line}
    assert row["litres delivered"][0] == "ML"
    first = row["first day at zero stock (if any)"]
    assert first[0] == "date" and all(re.fullmatch(r"2025-09-\d\d", v) for v in first[1:2] + first[3:])
    p = row["probability that the stock ran out"]  # smoke runs dry in every replication
    assert p[0] == "%" and p[1] == "100.0" and p[2] == "56.6 to 100.0"  # Wilson at 5 of 5
    assert "…" not in res.output


def test_sweep_table_is_not_cut_when_piped(tmp_path):
    res = CliRunner().invoke(main, [
        "sweep", str(SMOKE), "--set", "threats.ambush.loss_share_mean=0.2,0.4",
        "--set", "threats.ambush.loss_share_concentration=2,8", "-n", "2", "-w", "1",
        "-o", str(tmp_path / "s")])
    assert res.exit_code == 0, res.output
    assert "…" not in res.output
    header = next(line for line in res.output.splitlines() if line.startswith("point"))
    assert "threats.ambush.loss_share_mean" in header and "threats.ambush.loss_share_concentration" in header
    assert "mean (ML)" in header and "+-95% (ML)" in header

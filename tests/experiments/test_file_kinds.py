"""Scenario, overlay, sweep and calibration files: told apart, checked by ``validate``, and every
shipped file accepted by its JSON Schema (jsonschema, format checks on)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from corridorsim.cli import main
from corridorsim.experiments.file_kinds import check_file, file_kind, json_schema

from ..conftest import SCENARIOS

SHIPPED = sorted(SCENARIOS.rglob("*.yaml"))


class EditorLoader(yaml.SafeLoader):
    """YAML as an editor's schema check sees it: dates stay text (PyYAML would make them
    ``datetime.date`` objects, which no JSON Schema type matches)."""


EditorLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def validator(kind: str) -> Draft202012Validator:
    schema = json_schema(kind)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_every_shipped_file_is_found():
    kinds = {p.relative_to(SCENARIOS).as_posix(): file_kind(p) for p in SHIPPED}
    assert len(kinds) >= 20 and set(kinds.values()) == {"scenario", "overlay", "sweep", "calibration"}
    assert kinds["smoke.yaml"] == "scenario"
    assert kinds["mali/whatif_escorts_doubled.yaml"] == "overlay"
    assert kinds["sweeps/lhs_supply.yaml"] == "sweep"
    assert kinds["mali/calibration_2025.yaml"] == "calibration"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.relative_to(SCENARIOS).as_posix())
def test_every_shipped_file_validates_against_its_json_schema(path):
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=EditorLoader)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator(file_kind(path)).iter_errors(data)]
    assert errors == []


def test_schema_format_checks_are_on_and_dates_match_what_files_write():
    v = validator("scenario")
    base = yaml.load((SCENARIOS / "smoke.yaml").read_text(encoding="utf-8"), Loader=EditorLoader)
    assert v.is_valid(base)
    for good in ("2025-09-01", "2025-09-01T06:00", "2025-09-01T06:00:30"):
        assert v.is_valid({**base, "start": good}), good
    for bad in ("2025-13-01", "1 Sep 2025", "2025-09-01T06:00+02:00"):
        assert not v.is_valid({**base, "start": bad}), bad  # 2025-13-01: the date format check
    # an overlay needs only extends; a full scenario needs its required fields
    assert validator("overlay").is_valid({"extends": "smoke.yaml", "destination": {"node": "X"}})
    assert not validator("overlay").is_valid({"name": "x"})
    assert not validator("scenario").is_valid({"extends": "smoke.yaml"})
    assert not validator("sweep").is_valid({"name": "s", "base": "a.yaml", "factors": [],
                                            "stockout_dates": ["2025-02-30"]})


def test_schema_command_emits_each_kind():
    for kind in ("scenario", "overlay", "sweep", "calibration"):
        res = CliRunner().invoke(main, ["schema", "--kind", kind])
        assert res.exit_code == 0 and json.loads(res.output) == json_schema(kind)
    res = CliRunner().invoke(main, ["schema", "--kind", "nope"])
    assert res.exit_code == 2


@pytest.mark.e2e
def test_validate_accepts_every_shipped_file():
    # the README's command: scenarios/*.yaml scenarios/mali/*.yaml scenarios/sweeps/*.yaml
    res = CliRunner().invoke(main, ["validate", *map(str, SHIPPED)])
    assert res.exit_code == 0, res.output
    assert res.output.count("ok: ") == len(SHIPPED)
    assert "(calibration calibration_2025, 3 parameters" in res.output
    assert "(sweep sobol_threats_escorts, 384 points x 20 replications" in res.output


def _calibration(tmp_path: Path, old: str, new: str) -> Path:
    text = (SCENARIOS / "mali" / "calibration_2025.yaml").read_text(encoding="utf-8")
    assert old in text
    p = tmp_path / "mali" / "cal.yaml"
    p.parent.mkdir(exist_ok=True)
    p.write_text(text.replace(old, new).replace("base: hindcast", f"base: {SCENARIOS}/mali/hindcast")
                 .replace("samples: 300", "samples: 12"), encoding="utf-8")
    return p


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("threats.ied_multiplier,", "threats.ied_multiplierx,",
     "parameters[1] (threats.ied_multiplierx): value"),
    ("loss_share_mean, prior: {dist: uniform, low: 0.15, high: 0.8}",
     "loss_share_mean, prior: {dist: uniform, low: 0.15, high: 1.8}", "loss_share_mean"),
    ("corridor: B-west,", "corridor: Z,", "observed[2] (attacks_B-west).statistic.corridor: 'Z' is "
                                           "not a corridor of the network"),
    ("convoy: relief-2025-10-07,", "convoy: relief,", "'relief' is not a scheduled convoy"),
    ("column: tankers_destroyed}", "column: tankers_burnt}", "'tankers_burnt' is not a summary column"),
    ("base: hindcast_2025-09_2025-10.yaml", "base: nowhere.yaml", "nowhere.yaml"),
])
def test_validate_checks_a_calibration_file_fully(tmp_path, old, new, expected):
    bad = _calibration(tmp_path, old, new)
    res = CliRunner().invoke(main, ["validate", str(bad)])
    assert res.exit_code == 2 and expected in res.output, res.output
    assert res.output.startswith("error: ") and "Traceback" not in res.output


def test_validate_checks_a_sweep_file_and_names_the_factor(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text(f"name: s\nbase: {SCENARIOS / 'smoke.yaml'}\n"
                 "factors: [{path: 'escorts.bases[sikasso].units', values: [2, -1]}]\n",
                 encoding="utf-8")
    res = CliRunner().invoke(main, ["validate", str(p)])
    assert res.exit_code == 2 and "factors[0]" in res.output and "value -1" in res.output
    assert check_file(SCENARIOS / "smoke.yaml").kind == "scenario"

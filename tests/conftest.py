"""Shared test fixtures: small scenario builders on the built-in network."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from corridorsim.model.plan import compile_scenario
from corridorsim.scenario.documents import deep_merge, scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"

#: A minimal valid scenario: one scheduled convoy from Zegoua to Bamako, threats off.
BASE = {
    "name": "test",
    "start": "2025-09-01",
    "end": "2025-09-11",
    "destination": {"node": "Bamako", "initial_stock_l": 0, "demand_l_per_day": 0},
    "network": {"builtin": "mali", "default_speed_kmh": 10},
    "convoys": [
        {"name": "c1", "depart": "2025-09-01", "origin": "Zegoua", "tankers": 10, "payload_l": 1000},
    ],
    "threats": {"enabled": False},
}


def smoke_dict() -> dict:
    """A fresh copy of ``scenarios/smoke.yaml`` as a plain dict."""
    return yaml.safe_load((SCENARIOS / "smoke.yaml").read_text(encoding="utf-8"))


def make_dict(**changes) -> dict:
    """BASE merged with ``changes`` (mappings merge recursively, lists replace)."""
    return deep_merge(copy.deepcopy(BASE), changes)


def make_plan(**changes):
    """Compiled plan of BASE merged with ``changes``."""
    return compile_scenario(scenario_from_dict(make_dict(**changes)))


@pytest.fixture
def scenarios_dir() -> Path:
    return SCENARIOS

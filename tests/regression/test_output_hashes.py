"""REGRESSION SNAPSHOT (not validation): hashes of every shipped scenario's output tables.

Each shipped scenario is run at a fixed seed with a few replications and a short horizon; the
SHA-256 of each written data file (``daily``, ``events``, ``convoys``, ``summary``, ``metrics``)
is compared with the stored value in ``output_hashes.json``. A refactoring must keep them all;
a deliberate model change updates them in its own commit, saying why::

    CORRIDORSIM_UPDATE_HASHES=1 pytest tests/regression/test_output_hashes.py

A mismatch means the numbers a user would quote changed: check why before updating.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from corridorsim import load_scenario, simulate, write_run

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
HASHES = Path(__file__).with_name("output_hashes.json")
SEED = 20251007
REPLICATIONS = 3


def shipped_scenarios() -> list[Path]:
    """Every shipped scenario file (not sweep or calibration files)."""
    out = []
    for path in sorted(SCENARIOS.rglob("*.yaml")):
        rel = path.relative_to(SCENARIOS).as_posix()
        if rel.startswith("sweeps/") or "calibration" in path.name:
            continue
        out.append(path)
    return out


def output_hashes(path: Path, tmp_path: Path) -> dict[str, str]:
    result = simulate(load_scenario(path), replications=REPLICATIONS, seed=SEED)
    out = write_run(result, tmp_path / "run")
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest()
            for f in sorted(out.glob("*.csv"))}


def _stored() -> dict:
    return json.loads(HASHES.read_text(encoding="utf-8")) if HASHES.exists() else {}


@pytest.mark.e2e  # every shipped scenario, whole: in the default suite, not the inner loop
@pytest.mark.parametrize("path", shipped_scenarios(), ids=lambda p: p.relative_to(SCENARIOS).as_posix())
def test_outputs_are_byte_identical_to_the_stored_snapshot(path, tmp_path):
    key = path.relative_to(SCENARIOS).as_posix()
    got = output_hashes(path, tmp_path)
    if os.environ.get("CORRIDORSIM_UPDATE_HASHES"):
        stored = _stored()
        stored[key] = got
        HASHES.write_text(json.dumps(dict(sorted(stored.items())), indent=1) + "\n", encoding="utf-8")
        pytest.skip("hashes updated")
    stored = _stored()
    assert key in stored, f"no stored hashes for {key}: run with CORRIDORSIM_UPDATE_HASHES=1"
    assert got == stored[key]

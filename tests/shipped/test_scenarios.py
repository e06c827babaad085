"""Every shipped scenario validates and runs (short horizon), plus their stated facts.

These are smoke and regression checks of the shipped files, not validation of the model.
"""

from __future__ import annotations

import datetime as dt

import pytest

from corridorsim import load_scenario, simulate

from ..conftest import SCENARIOS

# end to end: whole shipped scenarios
pytestmark = pytest.mark.e2e


def _is_scenario(path) -> bool:
    """Scenario files, not sweep or calibration files (those name a `base` scenario)."""
    import yaml

    data = yaml.safe_load(path.read_text())
    return isinstance(data, dict) and "base" not in data


SHIPPED = sorted(p for p in SCENARIOS.rglob("*.yaml") if _is_scenario(p))


def test_the_core_scenarios_are_shipped():
    names = {p.name for p in SHIPPED}
    assert {"smoke.yaml", "mali_baseline.yaml", "mali_blockade_2025.yaml",
            "relief_convoy_2025-10-07.yaml"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenario_runs_on_a_short_horizon(path):
    sc = load_scenario(path)
    assert sc.description.strip(), "every shipped scenario states its question"
    short = sc.model_copy(update={"end": min(sc.end, sc.start + dt.timedelta(days=10))})
    res = simulate(short, replications=2, seed=1)
    assert len(res.summary) == 2
    # one row a day per destination (the Mali scenarios carry national traffic: six)
    assert (res.daily.groupby(["replication", "destination"]).size() == short.days).all()
    assert res.daily.destination.nunique() == len(short.destinations or [short.destination])
    loaded = res.summary.litres_loaded
    accounted = (res.summary.delivered_l + res.summary.litres_destroyed + res.summary.in_transit_l
                 + res.summary.staged_l)
    assert (loaded == accounted).all()


def test_relief_convoy_without_threats_delivers_exactly_seven_million_litres():
    sc = load_scenario(SCENARIOS / "relief_convoy_2025-10-07_no_threats.yaml")
    res = simulate(sc, replications=3, seed=1)
    assert (res.summary.delivered_l == 7_000_000).all()
    assert (res.summary.tankers_delivered == 250).all()
    assert (res.summary.tankers_destroyed == 0).all()
    # and the convoy reaches Bamako on 7 October 2025
    arrivals = res.convoys.loc[res.convoys.outcome == "delivered", "end_datetime"]
    assert (arrivals.dt.strftime("%Y-%m-%d") == "2025-10-07").all()

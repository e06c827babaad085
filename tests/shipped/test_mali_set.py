"""The Mali scenario set (scenarios/mali/): the directions its README states, checked with common
random numbers.

Every file in scenarios/mali/ is already validated and run for 2 replications on a 10-day horizon
by tests/test_scenarios.py (it globs scenarios/ recursively, sweeps excluded); the first test
here only makes sure that stays true. The other tests run the hindcast and three what-ifs with
the same root seed, so replication r of each meets the same random streams, over the full 61-day
period (about 1 s per scenario for 20 replications).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from corridorsim import load_scenario, simulate

from ..conftest import SCENARIOS
from .test_scenarios import SHIPPED

# end to end: whole shipped scenarios
pytestmark = pytest.mark.e2e

MALI = SCENARIOS / "mali"
HINDCAST = "hindcast_2025-09_2025-10"
REPS = 20
SEED = 1


def test_the_mali_set_is_shipped_and_covered_by_the_shipped_scenario_checks():
    names = {p.stem for p in MALI.glob("*.yaml")}
    assert {HINDCAST, "whatif_escorts_doubled", "whatif_kayes_corridor_cut",
            "whatif_abidjan_all_via_kadiana", "whatif_abidjan_all_via_zegoua",
            "whatif_conakry_more", "whatif_security_stock_60000m3",
            "whatif_fewer_larger_convoys", "whatif_more_smaller_convoys",
            "whatif_tankers_28000l"} <= names
    scenario_files = {p for p in MALI.glob("*.yaml") if not p.stem.startswith("calibration")}
    assert scenario_files <= set(SHIPPED)


_RUNS: dict[str, pd.DataFrame] = {}
_BAMAKO: dict[str, pd.DataFrame] = {}


def summary(name: str) -> pd.DataFrame:
    """Per-replication summary of REPS replications with SEED (cached across tests)."""
    if name not in _RUNS:
        res = simulate(load_scenario(MALI / f"{name}.yaml"), replications=REPS, seed=SEED)
        _RUNS[name] = res.summary.set_index("replication").sort_index()
        dest = res.tables.destinations
        _BAMAKO[name] = dest[dest.destination == "Bamako"].set_index("replication").sort_index()
    return _RUNS[name]


def bamako(name: str) -> pd.DataFrame:
    """Bamako's per-replication row of the destinations table (same runs as `summary`)."""
    summary(name)
    return _BAMAKO[name]


@pytest.fixture(scope="module")
def hindcast() -> pd.DataFrame:
    return summary(HINDCAST)


def test_security_stock_runs_dry_later_or_never_and_ends_with_more_stock():
    # The scenarios carry national traffic: the summary's stock columns are national (first
    # stock-out of any destination, total final stock). The security stock is Bamako's, so
    # its effect is read on Bamako's row of the destinations table.
    hindcast = bamako(HINDCAST)
    stock = bamako("whatif_security_stock_60000m3")
    never = np.inf  # a replication that never ran dry
    h_first = hindcast.first_stockout_day.fillna(never).to_numpy()
    s_first = stock.first_stockout_day.fillna(never).to_numpy()
    assert np.isfinite(h_first).any(), "the hindcast should run dry in some replications"
    assert (s_first >= h_first).all()
    assert (s_first > h_first).any()
    assert (stock.final_stock_l > hindcast.final_stock_l).all()


def test_doubling_the_escort_pools_shortens_the_mean_wait_for_an_escort(hindcast):
    doubled = summary("whatif_escorts_doubled")
    assert doubled.mean_escort_wait_h.mean() < hindcast.mean_escort_wait_h.mean()


def test_28000_litre_tankers_deliver_fewer_litres(hindcast):
    small = summary("whatif_tankers_28000l")
    assert (small.delivered_l < hindcast.delivered_l).all()
    assert small.delivered_l.mean() < hindcast.delivered_l.mean()

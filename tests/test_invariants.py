"""Invariants under hypothesis-generated scenarios: litres and tankers are conserved.

At every audited moment: loaded = delivered + destroyed + moving + waiting at staging (tankers
and litres), and for finite fleets: fleet = at source + loaded + driving back + destroyed.
After the run: each convoy's start = end + destroyed, the daily stock balance closes, and the
summary equals the sums of the daily and event tables.
"""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridorsim.model.engine import Replication
from corridorsim.model.records import CONVOY_COLUMNS, DAILY_COLUMNS, EVENT_COLUMNS, SUMMARY_COLUMNS

from .conftest import make_plan

SOURCES = [
    {"name": "abidjan", "node": "Abidjan", "staging": "Zegoua"},
    {"name": "dakar", "node": "Dakar", "staging": "Diboli"},
    {"name": "conakry", "node": "Conakry", "staging": None},
    {"name": "local", "node": "Sikasso", "staging": "Zegoua"},
]


@st.composite
def scenarios(draw):
    n_src = draw(st.integers(1, 4))
    sources = []
    for spec in SOURCES[:n_src]:
        fleet = draw(st.one_of(st.none(), st.integers(0, 120)))
        sources.append({
            **spec,
            "tankers_per_day": draw(st.floats(0, 60)),
            "payload_l": draw(st.integers(1, 50_000)),
            "release": draw(st.sampled_from(["deterministic", "poisson"])),
            "release_interval_h": draw(st.sampled_from([6.0, 24.0, 36.0])),
            "fleet_tankers": fleet,
            "turnaround_h": draw(st.floats(0, 48)),
        })
    staging = []
    for node in ("Zegoua", "Diboli"):
        lo = draw(st.integers(1, 80))
        staging.append({
            "node": node, "min_tankers": lo, "max_tankers": lo + draw(st.integers(0, 100)),
            "max_wait_h": draw(st.floats(0, 120)),
            "tankers_per_escort_unit": draw(st.floats(1, 50)),
            "escort_policy": draw(st.sampled_from(["wait", "available", "none"])),
            "regroup_delay_h": draw(st.floats(0, 48)),
        })
    convoys = [
        {"name": f"sched{i}", "depart": f"2025-09-0{1 + i}T0{i}:00", "origin": "Zegoua",
         "tankers": draw(st.integers(1, 300)), "payload_l": draw(st.integers(1, 45_000)),
         "escort_units": draw(st.integers(0, 3)),
         "escort_base": draw(st.sampled_from([None, "sik"]))}
        for i in range(draw(st.integers(0, 3)))
    ]
    threats = {
        "enabled": True,
        "rules": [{"ambush_rate_per_1000km": draw(st.floats(0, 20)),
                   "ied_rate_per_1000km": draw(st.floats(0, 20))},
                  {"region": "ML", "ambush_rate_per_1000km": draw(st.floats(0, 40))}],
        "phases": [{"name": "p", "start": "2025-09-03", "ambush_multiplier": draw(st.floats(0, 4))}],
        "ambush": {"loss_share_mean": draw(st.floats(0, 1)),
                   "loss_share_concentration": draw(st.floats(0.5, 50)),
                   "escort_unit_loss_prob": draw(st.floats(0, 1)),
                   "turn_back_prob": draw(st.floats(0, 1)),
                   "delay": {"dist": "exponential", "mean_h": draw(st.floats(0, 24))}},
        "ied": {"tankers_destroyed_mean": draw(st.floats(0, 10)),
                "escort_unit_loss_prob": draw(st.floats(0, 1))},
    }
    closures = {
        "random": [{"edge": ["Sikasso", "Bougouni"], "rate_per_day": draw(st.floats(0, 1)),
                    "duration": {"dist": "exponential", "mean_h": draw(st.floats(1, 96))}},
                   {"node": "Kayes", "rate_per_day": draw(st.floats(0, 0.5)),
                    "duration": {"dist": "uniform", "low_h": 1, "high_h": 200}}],
        "scheduled": [{"node": "Bamako", "start": "2025-09-04", "end": "2025-09-05"}]
        if draw(st.booleans()) else [],
    }
    capacity = draw(st.one_of(st.none(), st.floats(1e6, 1e8)))
    return {
        "end": f"2025-09-{draw(st.integers(3, 25)):02d}",
        "destination": {"initial_stock_l": draw(st.floats(0, 1e6)), "capacity_l": capacity,
                        "demand_l_per_day": draw(st.floats(0, 3e6)),
                        "rationing": [{"below_cover_days": 3, "demand_cut_share": 0.4}]},
        "sources": sources,
        "staging": staging,
        "checkpoints": [{"node": "Sikasso", "random_wait": {"dist": "exponential", "mean_h": 5}}],
        "escorts": {"bases": [{"name": "sik", "node": "Sikasso", "units": draw(st.integers(3, 6)),
                               "replacement_delay_h": draw(st.floats(0, 200))},
                              {"name": "kay", "node": "Kayes", "units": draw(st.integers(0, 4))}]},
        "convoys": convoys,
        "threats": threats,
        "closures": closures,
        "routing": {"policy": draw(st.sampled_from(["fastest", "least_loss"]))},
    }


def audit(rep: Replication, failures: list):
    """A SimPy process that checks the ledgers every few hours."""
    while True:
        led = rep.ledger()
        for unit in ("t", "l"):
            lhs = led[f"loaded_{unit}"]
            rhs = (led[f"delivered_{unit}"] + led[f"destroyed_{unit}"] + led[f"moving_{unit}"]
                   + led[f"staged_{unit}"])
            if lhs != rhs:
                failures.append((rep.env.now, unit, led))
        if (led["staged_t"], led["staged_l"]) != (rep.staged_t, rep.staged_l):
            failures.append((rep.env.now, "staged counters", led))
        for i, src in enumerate(rep.sc.sources):
            if src.fleet_tankers is not None:
                fl = rep.fleet_ledger(i)
                if sum(fl.values()) != src.fleet_tankers:
                    failures.append((rep.env.now, "fleet", src.name, fl))
        for mv in rep.active:
            if any(lot.tankers <= 0 for lot in mv.lots):
                failures.append((rep.env.now, "empty lot", mv.id))
            if (mv.tankers, mv.litres) != (sum(x.tankers for x in mv.lots), sum(x.litres for x in mv.lots)):
                failures.append((rep.env.now, "cached counts", mv.id))
        yield rep.env.timeout(7.3)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=scenarios(), replication=st.integers(0, 10_000))
def test_litres_and_tankers_are_conserved(changes, replication):
    plan = make_plan(**changes)
    rep = Replication(plan, seed=7, replication=replication)
    failures: list = []
    rep.env.process(audit(rep, failures))
    rec = rep.run()
    assert failures == []

    summary = dict(zip(SUMMARY_COLUMNS, rec.summary))
    led = rep.ledger()
    assert summary["litres_loaded"] == (summary["delivered_l"] + summary["litres_destroyed"]
                                        + summary["in_transit_l"] + summary["staged_l"])
    assert led["delivered_l"] <= led["loaded_l"]

    rows = [dict(zip(CONVOY_COLUMNS, r)) for r in rec.convoys]
    for r in rows:
        assert r["tankers_start"] == r["tankers_end"] + r["tankers_destroyed"]
        assert r["litres_start"] == r["litres_end"] + r["litres_destroyed"]
        assert r["tankers_end"] >= 0 and r["escort_units_lost"] <= r["escort_units"]
        assert (r["outcome"] == "destroyed") == (r["tankers_end"] == 0)

    events = [dict(zip(EVENT_COLUMNS, e)) for e in rec.events]
    attacks = [e for e in events if e["kind"] in ("ambush", "ied")]
    assert sum(e["tankers_destroyed"] for e in attacks) == summary["tankers_destroyed"]
    assert sum(e["litres_destroyed"] for e in attacks) == summary["litres_destroyed"]
    assert sum(e["litres"] for e in events if e["kind"] == "delivery") == summary["delivered_l"]

    daily = [dict(zip(DAILY_COLUMNS, d)) for d in rec.daily]
    assert len(daily) == plan.days
    stock = float(plan.scenario.destination.initial_stock_l)
    for d in daily:
        stock = stock + d["delivered_l"] - d["overflow_l"] - d["consumed_l"]
        assert math.isclose(d["stock_l"], stock, rel_tol=1e-9, abs_tol=0.01)
        stock = d["stock_l"]
        assert d["consumed_l"] <= d["demand_l"] + 1e-6
        assert math.isclose(d["unmet_l"], d["demand_l"] - d["consumed_l"], abs_tol=0.01)
        cap = plan.scenario.destination.capacity_l
        assert cap is None or d["stock_l"] <= cap + 1e-6
    assert sum(d["delivered_l"] for d in daily) == summary["delivered_l"]
    assert sum(d["tankers_destroyed"] for d in daily) == summary["tankers_destroyed"]

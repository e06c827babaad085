"""Invariants under hypothesis-generated scenarios: litres and tankers are conserved.

At every audited moment, for every destination and nationally: loaded = delivered + destroyed +
moving + waiting at staging (tankers and litres); for finite fleets: fleet = at source + loaded +
driving back + destroyed; for every escort base: units = pool + with convoys + driving home +
lost awaiting replacement. After the run: each movement's start = end + destroyed + handed off,
each destination's daily stock balance closes, and the summary equals the sums of the daily,
destination and event tables.
"""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridorsim.model.engine import Replication

from ..conftest import make_plan

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
    destinations = [{"node": "Bamako", "initial_stock_l": draw(st.floats(0, 1e6)),
                     "capacity_l": capacity, "demand_l_per_day": draw(st.floats(0, 3e6)),
                     "rationing": [{"below_cover_days": 3, "demand_cut_share": 0.4}]}]
    for node in draw(st.lists(st.sampled_from(["Kayes", "Sikasso", "Segou", "Sevare"]),
                              unique=True, max_size=3)):
        destinations.append({"node": node, "priority": draw(st.integers(1, 3)),
                             "initial_stock_l": draw(st.floats(0, 1e5)),
                             "demand_l_per_day": draw(st.floats(0, 5e5)),
                             "rationing": [{"below_cover_days": draw(st.floats(0.5, 5)),
                                            "demand_cut_share": draw(st.floats(0, 1))}]})
    if len(destinations) > 1:
        for src in sources:
            weights = [draw(st.integers(0, 5)) for _ in destinations]
            weights[0] += 1
            src["shares"] = {d["node"]: w / sum(weights) for d, w in zip(destinations, weights)}
        for c in convoys:
            c["destination"] = draw(st.sampled_from([d["node"] for d in destinations]))
    stationary = {"rules": [{"node": "Zegoua", "attacks_per_day": draw(st.floats(0, 2))},
                            {"region": "ML", "attacks_per_day": draw(st.floats(0, 0.5))}]}
    threats["stationary"] = stationary
    threats["ambush"]["turn_back_to"] = draw(st.sampled_from(["nearest_stop", "last_stop"]))
    return {
        "end": f"2025-09-{draw(st.integers(3, 25)):02d}",
        "destination": None,
        "destinations": destinations,
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
        for dest in [None, *range(rep.n_dest)]:
            led = rep.ledger(dest)
            for unit in ("t", "l"):
                lhs = led[f"loaded_{unit}"]
                rhs = (led[f"delivered_{unit}"] + led[f"destroyed_{unit}"] + led[f"moving_{unit}"]
                       + led[f"staged_{unit}"])
                if lhs != rhs:
                    failures.append((rep.env.now, dest, unit, led))
        for i, src in enumerate(rep.sc.sources):
            if src.fleet_tankers is not None:
                fl = rep.fleet_ledger(i)
                if sum(fl.values()) != src.fleet_tankers:
                    failures.append((rep.env.now, "fleet", src.name, fl))
        for b, base in enumerate(rep.plan.bases):
            where = rep.escort_ledger(b)
            if sum(where.values()) != base.units or min(where.values()) < 0:
                failures.append((rep.env.now, "escorts", base.name, where))
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

    summary = rec.summary
    assert summary.litres_loaded == (summary.delivered_l + summary.litres_destroyed
                                     + summary.in_transit_l + summary.staged_l)

    for r in rec.convoys:
        assert r.tankers_start == r.tankers_end + r.tankers_destroyed + r.tankers_handed_off
        assert r.litres_start == r.litres_end + r.litres_destroyed + r.litres_handed_off
        assert r.tankers_end >= 0
        if r.outcome == "destroyed":
            assert r.tankers_destroyed > 0
        if r.outcome in ("delivered", "handed_off", "staged"):
            assert r.tankers_end + r.tankers_handed_off > 0

    attacks = [e for e in rec.events if e.kind in ("ambush", "ied", "standing_attack")]
    assert sum(e.tankers_destroyed for e in attacks) == summary.tankers_destroyed
    assert sum(e.litres_destroyed for e in attacks) == summary.litres_destroyed
    assert sum(e.litres for e in rec.events if e.kind == "delivery") == summary.delivered_l
    assert len(attacks) == summary.ambushes + summary.ieds + summary.standing_attacks

    names = [d.label for d in plan.scenario.destinations]
    assert len(rec.daily) == plan.days * len(names)
    for k, dest in enumerate(plan.scenario.destinations):
        daily = [d for d in rec.daily if d.destination == names[k]]
        (total,) = [r for r in rec.destinations if r.destination == names[k]]
        led = rep.ledger(k)
        assert total.delivered_l == led["delivered_l"] == sum(d.delivered_l for d in daily)
        assert total.tankers_destroyed == led["destroyed_t"] == sum(d.tankers_destroyed for d in daily)
        stock = float(dest.initial_stock_l)
        for d in daily:
            stock = stock + d.delivered_l - d.overflow_l - d.consumed_l
            assert math.isclose(d.stock_l, stock, rel_tol=1e-9, abs_tol=0.01)
            stock = d.stock_l
            assert d.consumed_l <= d.demand_l + 1e-6 and d.demand_l <= d.base_demand_l + 1e-6
            assert math.isclose(d.unmet_l, d.demand_l - d.consumed_l, abs_tol=0.01)
            assert dest.capacity_l is None or d.stock_l <= dest.capacity_l + 1e-6
    assert sum(r.delivered_l for r in rec.destinations) == summary.delivered_l
    assert sum(r.tankers_destroyed for r in rec.destinations) == summary.tankers_destroyed

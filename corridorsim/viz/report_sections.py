"""The sections of a report that describe a scenario and a run: the key assumptions in plain
words, the metrics table, the headline numbers and the manifest table.

May import :mod:`.report_blocks`, :mod:`.style` and :mod:`.map_layers` (country names of threat
regions).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from .report_blocks import Block, Table, fmt_date, fmt_ml, fmt_num, fmt_pct
from .style import format_litres, format_number

__all__ = ["scenario_assumptions", "metrics_rows", "destination_rows", "headline_run",
           "manifest_rows", "assumption_blocks", "region_name"]


def scenario_assumptions(sc: Any) -> list[tuple[str, str]]:
    """The scenario's key assumptions as (topic, plain-language value) rows."""
    rows: list[tuple[str, str]] = []
    days = (pd.Timestamp(sc.end) - pd.Timestamp(sc.start)).days
    rows.append(("period", f"{fmt_date(sc.start)} to {fmt_date(pd.Timestamp(sc.end) - pd.Timedelta(seconds=1))}"
                           f" ({days} days)"))
    d = sc.destination
    cap = f", capacity {format_litres(d.capacity_l)}" if d.capacity_l else ""
    cover = d.initial_stock_l / d.demand_l_per_day if d.demand_l_per_day else math.inf
    rows.append(("destination", f"{d.node}: initial stock {format_litres(d.initial_stock_l)} "
                                f"({format_number(cover, 2)} days of demand){cap}"))
    demand = f"{format_litres(d.demand_l_per_day)}/day unrationed"
    for step in d.demand_schedule:
        demand += f"; from {fmt_date(step.start)}: {format_litres(step.demand_l_per_day)}/day"
    rows.append(("demand", demand))
    if d.rationing:
        tiers = "; ".join(f"below {format_number(t.below_cover_days, 2)} days of cover: "
                          f"{fmt_pct(t.demand_cut_share)} of demand cut"
                          for t in sorted(d.rationing, key=lambda t: -t.below_cover_days))
        rows.append(("rationing", tiers))
    for s in sc.sources:
        rate = f"{format_number(s.tankers_per_day, 3)} tankers/day"
        for step in s.schedule:
            rate += f", from {fmt_date(step.start)} {format_number(step.tankers_per_day, 3)}/day"
        dest = f"via staging at {s.staging}" if s.staging else "unescorted to the destination"
        fleet = f"; fleet of {s.fleet_tankers} tankers" if getattr(s, "fleet_tankers", None) else ""
        rows.append((f"source {s.name}", f"{s.node}, {dest}: {rate}, "
                                         f"{format_number(s.payload_l, 3)} L per tanker{fleet}"))
    if sc.convoys:
        t = sum(c.tankers for c in sc.convoys)
        rows.append(("scheduled convoys", f"{len(sc.convoys)} convoys, {t} tankers in all"))
    for st in sc.staging:
        esc = {"wait": "waits for its full escort", "available": "leaves with the units free",
               "none": "unescorted"}.get(st.escort_policy, st.escort_policy)
        rows.append((f"staging {st.node}", f"a convoy leaves with {st.min_tankers} tankers or after "
                                           f"{format_number(st.max_wait_h, 3)} h (max "
                                           f"{st.max_tankers}); 1 escort unit per "
                                           f"{format_number(st.tankers_per_escort_unit, 3)} tankers "
                                           f"from {st.escort_base or 'the nearest base'}; {esc}"))
    if sc.escorts.bases:
        rows.append(("escort units", ", ".join(f"{b.name} ({b.node}) {b.units}"
                                               for b in sc.escorts.bases)
                     + f"; a lost unit is replaced after "
                       f"{format_number(sc.escorts.bases[0].replacement_delay_h / 24, 2)} days"))
    th = sc.threats
    if not th.enabled:
        rows.append(("threats", "no attacks (threats disabled)"))
    else:
        rules = "; ".join(
            ", ".join(x for x in (f"corridor {r.corridor}" if r.corridor else "",
                                  f"in {region_name(r.region)}" if r.region else "",
                                  f"{len(r.edges)} edges" if r.edges else "") if x) + ": "
            + ", ".join(x for x in (
                f"ambush {format_number(r.ambush_rate_per_1000km, 3)}" if r.ambush_rate_per_1000km is not None else "",
                f"IED {format_number(r.ied_rate_per_1000km, 3)}" if r.ied_rate_per_1000km is not None else "")
                if x) for r in th.rules)
        rows.append(("attack rates", f"per 1000 convoy-km, unescorted: {rules or 'none'}"))
        if th.ambush_multiplier != 1 or th.ied_multiplier != 1:
            rows.append(("threat multipliers", f"ambush x{format_number(th.ambush_multiplier, 3)}, "
                                               f"IED x{format_number(th.ied_multiplier, 3)}"))
        for ph in th.phases:
            where = ", ".join(x for x in (f"corridor {ph.corridor}" if ph.corridor else "",
                                          f"in {region_name(ph.region)}" if ph.region else "") if x)
            end = f" to {fmt_date(ph.end)}" if ph.end else " on"
            rows.append((f"phase {ph.name}", f"from {fmt_date(ph.start)}{end}"
                                             f"{' in ' + where if where else ''}: ambush rates "
                                             f"x{format_number(ph.ambush_multiplier, 3)}, IED "
                                             f"x{format_number(ph.ied_multiplier, 3)}"))
        ied = format_number(th.ied.tankers_destroyed_mean, 2)
        rows.append(("attack outcomes", f"an unescorted ambush destroys "
                                        f"{fmt_pct(th.ambush.loss_share_mean)} of the convoy's tankers "
                                        f"on average, an IED {ied} tanker"
                                        f"{'' if ied == '1' else 's'}; escorts cut attack rates "
                                        f"to no less than {fmt_pct(th.deterrence.rate_floor)} and "
                                        f"losses to no less than {fmt_pct(th.deterrence.loss_floor)} "
                                        "of the unescorted values"))
    n_closures = len(sc.closures.scheduled) + len(sc.closures.random)
    if n_closures:
        rows.append(("closures", f"{len(sc.closures.scheduled)} scheduled, "
                                 f"{len(sc.closures.random)} random"))
    via = "; ".join(f"from {k} via {' > '.join(v)}" for k, v in sc.routing.via.items())
    rows.append(("routing", f"{sc.routing.policy} routes" + (f"; {via}" if via else "")))
    unc = getattr(sc, "uncertainty", None)
    if unc is not None and getattr(unc, "active", False):
        paths = [p.path for p in getattr(unc, "parameters", ())]
        rows.append(("parameter uncertainty", "drawn per replication: " + (", ".join(paths) or "")
                     + (" (and posterior samples)" if getattr(unc, "posterior_csv", None) else "")))
    return rows


def _scenario_date(day: float, start: Any) -> str:
    """The calendar date that day ``day`` (0 = the scenario's start) falls in."""
    from ..experiments.metrics import day_date

    return fmt_date(day_date(day, start))


def metrics_rows(metrics: pd.DataFrame, start: Any = None) -> Table:
    """The metrics table (mean, P5, P50, P95) with litres in ML, shares in % and, given the
    scenario's ``start``, days of the scenario as the calendar dates they fall in (as the
    command line shows them)."""
    rows = []
    for _, r in metrics.iterrows():
        unit = str(r["unit"])
        if unit == "L":
            f: Callable[[float], str] = fmt_ml
            shown = "ML"
        elif unit == "share":
            f, shown = fmt_pct, "%"
        elif unit == "day" and start is not None:
            f, shown = functools.partial(_scenario_date, start=start), "date"
        else:
            f, shown = fmt_num, unit
        vals = [r["mean"], r["p5"], r["p50"], r["p95"]]
        if r["metric"] == "p_stockout":
            cells = [fmt_pct(r["mean"]), "", "", ""]
        else:
            cells = [f(v) if pd.notna(v) else "–" for v in vals]
        label = str(r["label"])
        if r["metric"] == "first_stockout_day" and int(r["n"]) >= 0:
            label += f" (n = {int(r['n'])})"
        rows.append([label, shown.replace("%", "share") if shown == "%" else shown, *cells])
    return Table(["metric", "unit", "mean", "P5", "P50", "P95"], rows, "llrrrr",
                  [3.4, 1.0, 1.0, 1.0, 1.0, 1.0])


def destination_rows(destinations: pd.DataFrame, order: Sequence[str],
                     focus: str | None = None) -> Table:
    """Per destination (in ``order``; the focus row marked): mean and 95 % interval of the mean
    of the fuel delivered, the demand not met and the days dry across replications, and the
    share of replications whose stock ran out at least once, with its Wilson interval (all
    from :func:`~corridorsim.experiments.metrics.destination_metrics`).

    ``destinations`` is the run's ``destinations`` table (one row per replication and
    destination)."""
    from ..experiments.metrics import destination_metrics

    def cell(r: Any, col: str, f: Callable[[float], str]) -> str:
        est, low, high = r[col], r[f"{col}_low"], r[f"{col}_high"]
        return f(est) if not math.isfinite(low) else f"{f(est)} ({f(low)}–{f(high)})"

    columns = [("delivered_l", "delivered, ML", fmt_ml), ("unmet_l", "not met, ML", fmt_ml),
               ("days_at_zero", "days dry", fmt_num), ("p_stockout", "P(ran out)", fmt_pct)]
    stats = destination_metrics(destinations).set_index("destination")
    rows, mark = [], set()
    for i, name in enumerate(order):
        r = stats.loc[name]
        rows.append([f"{name} (focus)" if name == focus else name,
                     *(cell(r, col, f) for col, _, f in columns)])
        if name == focus:
            mark.add(i)
    return Table(["destination", *(c[1] for c in columns)], rows, "lrrrr",
                 [1.4, 1.8, 1.8, 1.8, 2.1], mark)


def headline_run(metrics: pd.DataFrame, sc: Any, daily: pd.DataFrame,
                 destinations: pd.DataFrame | None = None) -> list[str]:
    """Headline sentences of a run. The metrics of a run with several destinations are totals
    over all of them (``daily`` then holds every destination's rows); with the run's
    ``destinations`` table, a sentence gives the focus destination's own outcome."""
    m = metrics.set_index("metric")
    out = []
    keys = ["date", "destination"] if "destination" in daily else ["date"]
    demand = float(daily.groupby(keys)["base_demand_l"].median().sum())
    several = len(getattr(sc, "destinations", ()) or ()) > 1
    where = f"its {len(sc.destinations)} destinations" if several else sc.destination.node
    if "delivered_l" in m.index:
        r = m.loc["delivered_l"]
        share = f" ({fmt_pct(r['p50'] / demand)} of the unrationed demand)" if demand > 0 else ""
        out.append(f"Fuel delivered to {where}: median {format_litres(r['p50'])}"
                   f"{share}, 90 % of replications between {format_litres(r['p5'])} and "
                   f"{format_litres(r['p95'])}.")
    if "p_stockout" in m.index:
        r = m.loc["p_stockout"]
        first = m.loc["first_stockout_day"] if "first_stockout_day" in m.index else None
        when = ""
        if first is not None and pd.notna(first["p50"]):
            when = ("; when it does, the median first day at zero is "
                    + _scenario_date(first["p50"], sc.start))
        what = "some destination's stock" if several else "the stock"
        out.append(f"Probability that {what} runs out at least once: {fmt_pct(r['mean'])}{when}.")
    if several and destinations is not None and len(destinations):
        out += _focus_sentence(destinations, sc)
    if "tankers_destroyed" in m.index and "litres_destroyed" in m.index:
        t, l_ = m.loc["tankers_destroyed"], m.loc["litres_destroyed"]
        out.append(f"Tankers destroyed: mean {format_number(t['mean'], 3)} "
                   f"(P5–P95 {format_number(t['p5'], 2)}–{format_number(t['p95'], 2)}), "
                   f"{format_litres(l_['mean'])} of fuel.")
    if "unmet_l" in m.index:
        r = m.loc["unmet_l"]
        out.append(f"Demand not met (after rationing): mean {format_litres(r['mean'])}.")
    return out


def _focus_sentence(destinations: pd.DataFrame, sc: Any) -> list[str]:
    """The focus destination's own litres and stock-outs (the first listed)."""
    from ..experiments.metrics import destination_metrics

    focus = sc.destination.label
    rows = destination_metrics(destinations[destinations["destination"] == focus])
    if rows.empty:
        return []
    r = rows.iloc[0]
    when = ""
    if pd.notna(r["first_stockout_day"]):
        when = f", the median first day at zero {_scenario_date(r['first_stockout_day'], sc.start)}"
    return [f"{focus}, the focus destination: {format_litres(r['delivered_l'])} delivered on "
            f"average; its own stock runs out in {fmt_pct(r['p_stockout'])} of replications"
            f"{when}, {format_number(r['days_at_zero'], 2)} days at zero on average."]


def manifest_rows(man: dict[str, Any], keys: Sequence[str]) -> list[list[str]]:
    rows = []
    for k in keys:
        if k in man and man[k] not in (None, ""):
            v = man[k]
            rows.append([k.replace("_", " "), ", ".join(map(str, v)) if isinstance(v, list) else str(v)])
    vers = man.get("versions") or {}
    if vers:
        rows.append(["versions", ", ".join(f"{k} {v}" for k, v in vers.items())])
    return rows


def assumption_blocks(sc: Any, heading: str) -> list[Block]:
    """The scenario's key assumptions as a table, and the sources of its numbers."""
    rows = [[k, v] for k, v in scenario_assumptions(sc)]
    out = [Block("h2", heading),
           Block("table", table=Table(["topic", "assumption"], rows, "ll", [1.5, 5.5]))]
    if sc.sources_of_numbers:
        out += [Block("h2", "Sources of the numbers"),
                Block("ul", items=list(sc.sources_of_numbers))]
    return out



def region_name(code: str) -> str:
    """A threat region as readers know it: the country's name when the region is a country
    code of the shipped borders (``"ML"`` -> ``"Mali"``, which also keeps it apart from
    ML = million litres), else ``threat region "<code>"``."""
    names = _country_names()
    return names.get(str(code), f'threat region "{code}"')


@functools.cache
def _country_names() -> dict[str, str]:
    from .map_layers import load_borders

    out = {}
    for feat in load_borders().get("features", []):
        props = feat.get("properties") or {}
        if props.get("iso_a2") and props.get("name"):
            out[str(props["iso_a2"])] = str(props["name"])
    return out

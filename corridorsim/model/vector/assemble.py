"""Records of each replication of a vector batch, row for row as the SimPy engine writes them.

The trajectories' logs (:mod:`.log`) are put in SimPy's processing order
(:func:`~.log.processing_rank`), the destinations' stocks replayed from the deliveries
(:class:`~.stock.StockArrays`) and every table built column by column (:mod:`.tables`); only
the routes of the convoy table are walked one trajectory at a time (and cached). May import
numpy and the model's pure modules.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Collection
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..records import ConvoyRow, EventRow, ReplicationRecords
from .log import EVENT_KINDS, processing_rank
from .stock import StockArrays
from .tables import daily_rows, destination_rows, py_round, summary_rows

__all__ = ["assemble", "ALL_TABLES"]

_OUTCOMES = ("in_transit", "delivered", "destroyed")

#: The tables besides the summary and destination rows.
ALL_TABLES = ("daily", "events", "convoys")


class _Batch:
    """What every table needs: convoy order, destinations, replication of each trajectory."""

    def __init__(self, tr: Any, reps: np.ndarray):
        plan, sc = tr.plan, tr.sc
        self.n_rep, self.n_conv = reps.size, len(sc.convoys)
        self.nd, self.days = len(plan.destinations), plan.days
        depart = [max(0.0, sc.hours(c.depart)) for c in sc.convoys]
        self.depart = depart
        # the engine numbers movements as they start (departure time, then listing)
        self.started = [j for j in sorted(range(self.n_conv), key=lambda j: (depart[j], j))
                        if depart[j] <= plan.horizon_h]
        self.conv_id = np.zeros(max(self.n_conv, 1), dtype=np.int64)
        self.conv_id[self.started] = np.arange(1, len(self.started) + 1)
        self.dest_of = np.array([sc.destination_index(c.destination) for c in sc.convoys] or [0])
        self.payload = np.array([c.payload_l for c in sc.convoys] or [0], dtype=np.int64)


@contextmanager
def _no_cyclic_gc():
    """Pause the cyclic garbage collector while rows are made: the rows are tuples without
    cycles, and collections triggered by hundreds of thousands of new tuples would cost more
    than making them."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def assemble(tr: Any, reps: np.ndarray,
             tables: Collection[str] = ALL_TABLES) -> list[ReplicationRecords]:
    """One :class:`ReplicationRecords` per replication of the batch, in the order of ``reps``.

    ``tables`` says which of ``daily``, ``events`` and ``convoys`` to make (the summary and the
    destination rows always are); the others are left empty, as
    :func:`~corridorsim.model.records.to_frames` leaves the tables it is not asked for.
    """
    with _no_cyclic_gc():
        return _assemble(tr, reps, frozenset(tables))


def _assemble(tr: Any, reps: np.ndarray, tables: frozenset) -> list[ReplicationRecords]:
    plan = tr.plan
    bt = _Batch(tr, reps)
    ev, route, resumes = tr.log.frames()
    nc = max(bt.n_conv, 1)
    res_traj = resumes["traj"].astype(np.int64)
    rank = processing_rank(resumes, res_traj // nc, bt.conv_id[res_traj % nc])
    traj = ev["traj"].astype(np.int64)
    order = np.lexsort((ev["seq"], rank[ev["resume"].astype(np.int64)] if traj.size else traj,
                        traj // nc))
    ev = {k: v[order] for k, v in ev.items()}
    traj = traj[order]
    b, c = traj // nc, traj % nc
    kind = ev["kind"].astype(np.int64)
    payload, dest = bt.payload[c], bt.dest_of[c]
    k = ev["destroyed_t"].astype(np.int64)
    attack = (kind == 1) | (kind == 2)
    day = np.minimum((ev["time"] // 24).astype(np.int64), bt.days - 1)
    shape = (bt.n_rep, bt.nd, bt.days)
    del_l, del_t, des_t, des_l = (np.zeros(shape, dtype=np.int64) for _ in range(4))
    attacks = np.zeros((bt.n_rep, bt.days), dtype=np.int64)
    escort_lost = np.zeros((bt.n_rep, bt.days), dtype=np.int64)
    n = ev["tankers"].astype(np.int64)
    deliv = kind == 4
    np.add.at(del_l, (b[deliv], dest[deliv], day[deliv]), n[deliv] * payload[deliv])
    np.add.at(del_t, (b[deliv], dest[deliv], day[deliv]), n[deliv])
    np.add.at(des_t, (b[attack], dest[attack], day[attack]), k[attack])
    np.add.at(des_l, (b[attack], dest[attack], day[attack]), k[attack] * payload[attack])
    np.add.at(attacks, (b[attack], day[attack]), 1)
    np.add.at(escort_lost, (b[attack], day[attack]), ev["escort_lost"].astype(np.int64)[attack])
    stocks = _stocks(plan, bt, b[deliv], dest[deliv], ev["time"][deliv], n[deliv] * payload[deliv])
    names = plan.dest_names
    none: list[list] = [[] for _ in range(bt.n_rep)]
    daily = daily_rows(reps.tolist(), names, stocks, bt.days, del_l, del_t, des_t, des_l,
                       attacks, escort_lost) if "daily" in tables else none
    dests, dvals = destination_rows(reps.tolist(), names, stocks, del_l, del_t, des_t, des_l)
    events = _event_rows(tr, bt, reps, ev, b, c, kind, payload) if "events" in tables else none
    convoys, totals = _convoy_rows(tr, bt, reps, "convoys" in tables)
    ambushes = np.bincount(b[kind == 1], minlength=bt.n_rep)
    ieds = np.bincount(b[kind == 2], minlength=bt.n_rep)
    summaries = summary_rows(reps.tolist(), stocks, dvals, ambushes=ambushes, ieds=ieds,
                             convoys=len(bt.started), **totals)
    return [ReplicationRecords(rep, daily[j], events[j], convoys[j], dests[j], summaries[j])
            for j, rep in enumerate(reps.tolist())]


def _stocks(plan, bt: _Batch, b, dest, time, litres) -> list[StockArrays]:
    """Each destination's stock, fed its deliveries in the engine's order."""
    stocks = []
    for k, d in enumerate(plan.destinations):
        st = StockArrays(bt.n_rep, d.initial_stock_l, d.capacity_l, plan.demands[k],
                         plan.rationings[k], plan.horizon_h)
        sel = np.flatnonzero(dest == k)  # already in replication, then processing order
        rb = b[sel]
        starts = np.searchsorted(rb, np.arange(bt.n_rep))
        nth = np.arange(rb.size) - starts[rb]
        for j in range(int(nth.max()) + 1 if rb.size else 0):
            s = sel[nth == j]
            st.add(b[s], time[s], litres[s])
        st.close()
        stocks.append(st)
    return stocks


def _split(rows: list, owner: np.ndarray, n: int) -> list[list]:
    bounds = np.searchsorted(owner, np.arange(n + 1)).tolist()
    return [rows[bounds[j]:bounds[j + 1]] for j in range(n)]


def _event_rows(tr, bt: _Batch, reps, ev, b, c, kind, payload) -> list[list[EventRow]]:
    plan, itin = tr.plan, tr.itin
    size = kind.size
    node_names = np.array([*itin.nodes, ""], dtype=object)
    node = ev["node"].astype(np.int64)
    node_str = node_names[np.where(node >= 0, node, len(itin.nodes))]
    lat_n = np.array([plan.node_latlon.get(x, (math.nan, math.nan))[0] for x in itin.nodes] + [math.nan])
    lon_n = np.array([plan.node_latlon.get(x, (math.nan, math.nan))[1] for x in itin.nodes] + [math.nan])
    nodes_i = np.where(node >= 0, node, len(itin.nodes))
    lat, lon = lat_n[nodes_i], lon_n[nodes_i]
    edge_from = np.full(size, "", dtype=object)
    edge_to = np.full(size, "", dtype=object)
    corridor = np.full(size, "", dtype=object)
    att = np.flatnonzero((kind == 1) | (kind == 2))
    if att.size:
        leg, k = ev["leg"][att].astype(np.int64), ev["k"][att].astype(np.int64)
        pieces = [itin.legs[g].pieces[j] for g, j in zip(leg.tolist(), k.tolist())]
        u = np.array([itin.node_id[p.u] for p in pieces])
        v = np.array([itin.node_id[p.v] for p in pieces])
        frac = ev["frac"][att]
        lat[att] = lat_n[u] + (lat_n[v] - lat_n[u]) * frac
        lon[att] = lon_n[u] + (lon_n[v] - lon_n[u]) * frac
        edge_from[att] = node_names[u]
        edge_to[att] = node_names[v]
        corridor[att] = [plan.edge_corridor[p.edge] for p in pieces]
        node_str[att] = ""
    n = ev["tankers"].astype(np.int64)
    k_all = ev["destroyed_t"].astype(np.int64)
    names = np.array([cv.name for cv in tr.sc.convoys] or [""], dtype=object)
    cols = [reps[b], py_round(ev["time"], 6), np.array(EVENT_KINDS, dtype=object)[kind],
            bt.conv_id[c], names[c], node_str, edge_from, edge_to, corridor,
            py_round(lat, 5), py_round(lon, 5), n, n * payload, k_all, k_all * payload,
            ev["escort"].astype(np.int64), ev["escort_lost"].astype(np.int64),
            py_round(ev["delay"], 6),
            np.where(ev["turned"].astype(bool), "turned back", "").astype(object)]
    rows = list(map(EventRow._make, zip(*(np.asarray(col).tolist() for col in cols))))
    return _split(rows, b, bt.n_rep)


def _convoy_rows(tr, bt: _Batch, reps, rows_wanted: bool = True):
    """Convoy rows of each replication (if ``rows_wanted``) and the ledger totals the summary
    needs."""
    plan, sc, itin = tr.plan, tr.sc, tr.itin
    st = {name: tr.host(name).reshape(bt.n_rep, max(bt.n_conv, 1)) for name in
          ("n", "e", "e_lost", "dest_t", "attacks", "turn_backs", "outcome", "end_h",
           "plan_leg")}
    rows: list[list[ConvoyRow]] = [[] for _ in range(bt.n_rep)]
    cache: dict[tuple, tuple[str, str]] = {}
    outcome = st["outcome"]
    n_end = st["n"]
    tankers = np.array([cv.tankers for cv in sc.convoys] or [0], dtype=np.int64)
    started = np.zeros(max(bt.n_conv, 1), dtype=bool)
    started[bt.started] = True
    loaded = np.where(started, tankers, 0)
    delivered = np.where((outcome == 1) & started, n_end, 0)
    moving = np.where((outcome == 0) & started, n_end, 0)
    destroyed = np.where(started, st["dest_t"], 0)
    totals = {
        "loaded_t": loaded.sum() * np.ones(bt.n_rep, dtype=np.int64),
        "loaded_l": (loaded * bt.payload).sum() * np.ones(bt.n_rep, dtype=np.int64),
        "delivered_t": delivered.sum(axis=1), "delivered_l": (delivered * bt.payload).sum(axis=1),
        "destroyed_t": destroyed.sum(axis=1), "destroyed_l": (destroyed * bt.payload).sum(axis=1),
        "in_transit_l": (moving * bt.payload).sum(axis=1),
    }
    n_rep = bt.n_rep
    if not rows_wanted:
        return rows, totals
    routes = _routes(tr, bt)
    for c in sorted(bt.started, key=lambda j: bt.conv_id[j]):  # the engine's row order: ids
        cv = sc.convoys[c]
        target = plan.dest_nodes[int(bt.dest_of[c])]
        payload = cv.payload_l
        dep = round(bt.depart[c], 6)
        texts = []
        for j, leg in enumerate(st["plan_leg"][:, c].tolist()):
            key = (routes[j * bt.n_conv + c], leg)
            hit = cache.get(key)
            if hit is None:
                hit = cache[key] = _route_text(itin, plan, cv.origin, target, *key)
            texts.append(hit)
        des = st["dest_t"][:, c]
        e_lost = st["e_lost"][:, c]
        outcome = st["outcome"][:, c]
        end_h = np.where(outcome != 0, py_round(st["end_h"][:, c], 6), math.nan)
        const = {"convoy_id": int(bt.conv_id[c]), "convoy": cv.name, "kind": "scheduled",
                 "source": cv.name, "origin": cv.origin, "target": target, "formed_h": dep,
                 "depart_h": dep, "tankers_start": cv.tankers,
                 "litres_start": cv.tankers * payload, "tankers_handed_off": 0,
                 "litres_handed_off": 0, "escort_wait_h": 0.0, "escort_wait_censored": False}
        cols = {"replication": reps.tolist(), "corridor": [t[1] for t in texts],
                "route": [t[0] for t in texts], "end_h": end_h.tolist(),
                "tankers_end": (cv.tankers - des).tolist(),
                "litres_end": ((cv.tankers - des) * payload).tolist(),
                "tankers_destroyed": des.tolist(), "litres_destroyed": (des * payload).tolist(),
                "escort_units": (st["e"][:, c] + e_lost).tolist(),
                "escort_units_lost": e_lost.tolist(), "attacks": st["attacks"][:, c].tolist(),
                "turn_backs": st["turn_backs"][:, c].tolist(),
                "outcome": [_OUTCOMES[o] for o in outcome.tolist()]}
        fields = [cols[f] if f in cols else [const[f]] * n_rep for f in ConvoyRow._fields]
        for j, row in enumerate(map(ConvoyRow._make, zip(*fields))):
            rows[j].append(row)
    return rows, totals


def _routes(tr, bt: _Batch) -> list[tuple]:
    """Per trajectory, its route log as a hashable tuple of (leg, pieces, node) steps."""
    route = tr.log.frames()[1]
    traj = route["traj"].astype(np.int64)
    order = np.lexsort((route["seq"], traj))
    steps = list(zip(route["leg"][order].astype(np.int64).tolist(),
                     route["k_end"][order].astype(np.int64).tolist(),
                     route["node"][order].astype(np.int64).tolist()))
    bounds = np.searchsorted(traj[order], np.arange(bt.n_rep * bt.n_conv + 1)).tolist()
    return [tuple(steps[bounds[t]:bounds[t + 1]]) for t in range(bt.n_rep * bt.n_conv)]


def _route_text(itin, plan, origin: str, target: str, steps: tuple, plan_leg: int):
    """The route as ``A>B>C`` and the corridor of the trip, as the engine's convoy row."""
    path = [origin]
    for leg, k_end, node in steps:
        names = [p.v for p in itin.legs[leg].pieces[:k_end]] if leg >= 0 else [itin.nodes[node]]
        for x in names:
            if path[-1] != x:
                path.append(x)
    route = tuple(path) if len(path) > 1 else (origin,)
    planned = itin.legs[plan_leg].path if plan_leg >= 0 else ()
    whole = route
    if route[-1] != target and route[-1] in planned:
        whole = route + planned[planned.index(route[-1]) + 1:]
    return ">".join(route), plan.path_corridor(whole)

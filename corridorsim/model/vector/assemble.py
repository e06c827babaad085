"""Records of a vector batch as columns, row for row as the SimPy engine writes them.

The trajectories' logs (:mod:`.log`) are put in SimPy's processing order
(:func:`~.log.processing_rank`, needed only when a replication has several convoys), the
destinations' stocks replayed from the deliveries on top of the stock without deliveries
(:class:`~.stock.StockArrays`, :class:`~.stock.Baseline`) and every table made as arrays
across the batch's replications (:mod:`.tables`), returned as a
:class:`~corridorsim.model.columns.RecordBatch`; only the texts of the distinct routes of the
convoy table are made one at a time. May import numpy and the model's pure modules.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any

import numpy as np

from ..columns import Labels, RecordBatch
from ..records import ConvoyRow, EventRow
from .log import EVENT_KINDS, processing_rank
from .stock import StockArrays, baselines
from .tables import daily_columns, destination_columns, py_round, summary_columns

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


def assemble(tr: Any, reps: np.ndarray, tables: Collection[str] = ALL_TABLES) -> RecordBatch:
    """The records of the batch's replications, in the order of ``reps``, as columns.

    ``tables`` says which of ``daily``, ``events`` and ``convoys`` to make (the summary and the
    destination rows always are); the others are left empty, as
    :func:`~corridorsim.model.records.to_frames` leaves the tables it is not asked for.
    """
    tables = frozenset(tables)
    plan = tr.plan
    bt = _Batch(tr, reps)
    ev = tr.log.frame("events")
    nc = max(bt.n_conv, 1)
    traj = ev["traj"].astype(np.int64)
    if nc == 1:  # one trajectory per replication: its events in the order they were logged
        order = np.lexsort((ev["seq"], traj))
    else:  # among equal times, SimPy's order of the resumes
        resumes = tr.log.frame("resumes")
        res_traj = resumes["traj"].astype(np.int64)
        rank = processing_rank(resumes, res_traj // nc, bt.conv_id[res_traj % nc])
        order = np.lexsort((ev["seq"], rank[ev["resume"].astype(np.int64)] if traj.size
                            else traj, traj // nc))
    ev = {k: v[order] for k, v in ev.items()}
    traj = traj[order]
    b, c = traj // nc, traj % nc
    kind = ev["kind"].astype(np.int64)
    payload, dest = bt.payload[c], bt.dest_of[c]
    k = ev["destroyed_t"].astype(np.int64)
    attack = (kind == 1) | (kind == 2)
    day = np.minimum((ev["time"] // 24).astype(np.int64), bt.days - 1)
    shape = (bt.n_rep, bt.nd, bt.days)
    n = ev["tankers"].astype(np.int64)
    deliv = kind == 4
    at_d = (b[deliv], dest[deliv], day[deliv])
    at_a = (b[attack], dest[attack], day[attack])
    del_l = _tally(shape, at_d, n[deliv] * payload[deliv])
    del_t = _tally(shape, at_d, n[deliv])
    des_t = _tally(shape, at_a, k[attack])
    des_l = _tally(shape, at_a, k[attack] * payload[attack])
    attacks = _tally(shape[::2], at_a[::2], None)
    escort_lost = _tally(shape[::2], at_a[::2], ev["escort_lost"].astype(np.int64)[attack])
    stocks = _stocks(plan, bt, b[deliv], dest[deliv], ev["time"][deliv], n[deliv] * payload[deliv])
    names = plan.dest_names
    n_rep, nd = bt.n_rep, bt.nd
    steps = np.arange(n_rep + 1, dtype=np.int64)
    columns: dict[str, dict] = {}
    bounds: dict[str, np.ndarray] = {}
    if "daily" in tables:
        columns["daily"] = daily_columns(reps, names, stocks, bt.days, del_l, del_t, des_t,
                                         des_l, attacks, escort_lost)
        bounds["daily"] = steps * (bt.days * nd)
    columns["destinations"], dvals = destination_columns(reps, names, stocks, del_l, del_t,
                                                         des_t, des_l)
    bounds["destinations"] = steps * nd
    if "events" in tables:
        columns["events"] = _event_columns(tr, bt, reps, ev, b, c, kind, payload)
        bounds["events"] = np.searchsorted(b, steps)
    convoys, totals = _convoy_columns(tr, bt, reps, "convoys" in tables)
    if convoys is not None:
        columns["convoys"] = convoys
        bounds["convoys"] = steps * len(bt.started)
    ambushes = np.bincount(b[kind == 1], minlength=n_rep)
    ieds = np.bincount(b[kind == 2], minlength=n_rep)
    columns["summary"] = summary_columns(reps, stocks, dvals, ambushes=ambushes, ieds=ieds,
                                         convoys=len(bt.started), **totals)
    bounds["summary"] = steps
    return RecordBatch(reps, columns, bounds)


def _tally(shape: tuple, at: tuple, values: np.ndarray | None) -> np.ndarray:
    """Integer sums of ``values`` (None: counts) at the indices ``at`` of an array of
    ``shape`` (through float64: exact for the litres and counts of a day, far below 2**53)."""
    flat = np.ravel_multi_index(at, shape)
    size = math.prod(shape)
    got = np.bincount(flat, weights=values, minlength=size)
    return got.astype(np.int64).reshape(shape)


def _stocks(plan, bt: _Batch, b, dest, time, litres) -> list[StockArrays]:
    """Each destination's stock, fed its deliveries in the engine's order (a replication
    follows the stock without deliveries, integrated once per plan, up to its first one)."""
    stocks = []
    for k, (d, base) in enumerate(zip(plan.destinations, baselines(plan))):
        st = StockArrays(bt.n_rep, d.initial_stock_l, d.capacity_l, plan.demands[k],
                         plan.rationings[k], plan.horizon_h, state=False)
        sel = np.flatnonzero(dest == k)  # already in replication, then processing order
        rb = b[sel]
        starts = np.searchsorted(rb, np.arange(bt.n_rep + 1))
        fed = np.flatnonzero(starts[1:] > starts[:-1])
        st.follow(base, fed, time[sel[starts[fed]]])
        nth = np.arange(rb.size) - starts[rb]
        for j in range(int(nth.max()) + 1 if rb.size else 0):
            s = sel[nth == j]
            st.add(b[s], time[s], litres[s])
        st.close(fed)
        stocks.append(st)
    return stocks


def _event_columns(tr, bt: _Batch, reps, ev, b, c, kind, payload) -> dict[str, Any]:
    """Columns of the event rows (already in replication, then processing order)."""
    plan, itin = tr.plan, tr.itin
    nodes = (*itin.nodes, "")  # "": no node (an attack on the road)
    none = len(itin.nodes)
    node = ev["node"].astype(np.int64)
    nodes_i = np.where(node >= 0, node, none)
    lat_n = np.array([plan.node_latlon.get(x, (math.nan, math.nan))[0] for x in itin.nodes] + [math.nan])
    lon_n = np.array([plan.node_latlon.get(x, (math.nan, math.nan))[1] for x in itin.nodes] + [math.nan])
    lat, lon = lat_n[nodes_i], lon_n[nodes_i]
    edge_from = np.full(kind.size, none)
    edge_to = np.full(kind.size, none)
    corridors = (*plan.edge_corridor, "")
    corridor = np.full(kind.size, len(plan.edge_corridor))
    att = np.flatnonzero((kind == 1) | (kind == 2))
    if att.size:
        leg, k = ev["leg"][att].astype(np.int64), ev["k"][att].astype(np.int64)
        arr = itin.arrays()
        u, v = arr["u"][leg, k], arr["v"][leg, k]
        frac = ev["frac"][att]
        lat[att] = lat_n[u] + (lat_n[v] - lat_n[u]) * frac
        lon[att] = lon_n[u] + (lon_n[v] - lon_n[u]) * frac
        edge_from[att] = u
        edge_to[att] = v
        corridor[att] = arr["edge"][leg, k]
        nodes_i[att] = none
    n = ev["tankers"].astype(np.int64)
    k_all = ev["destroyed_t"].astype(np.int64)
    names = tuple(cv.name for cv in tr.sc.convoys) or ("",)
    cols = [reps[b], py_round(ev["time"], 6), Labels(kind, EVENT_KINDS),
            bt.conv_id[c], Labels(c, names), Labels(nodes_i, nodes),
            Labels(edge_from, nodes), Labels(edge_to, nodes), Labels(corridor, corridors),
            py_round(lat, 5), py_round(lon, 5), n, n * payload, k_all, k_all * payload,
            ev["escort"].astype(np.int64), ev["escort_lost"].astype(np.int64),
            py_round(ev["delay"], 6),
            Labels(ev["turned"].astype(bool).astype(np.int64), ("", "turned back"))]
    return dict(zip(EventRow._fields, (col if isinstance(col, Labels) else np.asarray(col)
                                       for col in cols)))


def _convoy_columns(tr, bt: _Batch, reps, wanted: bool = True):
    """Columns of the convoy rows (if ``wanted``, else None; replication, then convoy id order)
    and the ledger totals the summary needs."""
    plan, sc, itin = tr.plan, tr.sc, tr.itin
    st = {name: tr.host(name).reshape(bt.n_rep, max(bt.n_conv, 1)) for name in
          ("n", "e", "e_lost", "dest_t", "attacks", "turn_backs", "outcome", "end_h",
           "plan_leg")}
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
        "loaded_t": np.full(bt.n_rep, loaded.sum(), dtype=np.int64),
        "loaded_l": np.full(bt.n_rep, (loaded * bt.payload).sum(), dtype=np.int64),
        "delivered_t": delivered.sum(axis=1), "delivered_l": (delivered * bt.payload).sum(axis=1),
        "destroyed_t": destroyed.sum(axis=1), "destroyed_l": (destroyed * bt.payload).sum(axis=1),
        "in_transit_l": (moving * bt.payload).sum(axis=1),
    }
    if not wanted:
        return None, totals
    order = sorted(bt.started, key=lambda j: bt.conv_id[j])  # the engine's row order: ids
    n_rep, n_rows = bt.n_rep, len(order)
    shape = (n_rep, n_rows)
    route_code = np.zeros(shape, dtype=np.int64)  # into route_texts, as corridor_code
    corridor_code = np.zeros(shape, dtype=np.int64)
    route_texts: list[str] = []
    corridor_texts: list[str] = []
    if n_rows:
        logs, log_id = _route_logs(tr, bt)
        log_id = log_id.reshape(n_rep, bt.n_conv)
        for col, c in enumerate(order):  # one text per distinct (route log, planned leg)
            cv = sc.convoys[c]
            target = plan.dest_nodes[int(bt.dest_of[c])]
            plan_leg = st["plan_leg"][:, c]
            code = log_id[:, c] * (int(plan_leg.max()) + 2) + plan_leg + 1
            _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
            texts = [_route_text(itin, plan, cv.origin, target, logs[log_id[j, c]],
                                 int(plan_leg[j])) for j in first.tolist()]
            route_code[:, col] = len(route_texts) + inverse.reshape(-1)
            corridor_code[:, col] = len(corridor_texts) + inverse.reshape(-1)
            route_texts += [t[0] for t in texts]
            corridor_texts += [t[1] for t in texts]
    sel = np.asarray(order, dtype=np.int64)
    convs = [sc.convoys[c] for c in order]
    payload = bt.payload[sel]
    start_t = tankers[sel]
    dep = np.array([round(bt.depart[c], 6) for c in order])
    des = st["dest_t"][:, sel]
    e_lost = st["e_lost"][:, sel]
    out = outcome[:, sel]
    each = np.tile(np.arange(n_rows), n_rep)  # the row's convoy, for per-convoy texts
    per_convoy = {  # the same for every replication
        "convoy_id": bt.conv_id[sel], "formed_h": dep, "depart_h": dep,
        "tankers_start": start_t, "litres_start": start_t * payload,
        "tankers_handed_off": 0, "litres_handed_off": 0, "escort_wait_h": 0.0,
        "escort_wait_censored": False}
    cols = {"replication": np.broadcast_to(np.asarray(reps)[:, None], shape),
            "end_h": np.where(out != 0, py_round(st["end_h"][:, sel], 6), math.nan),
            "tankers_end": start_t - des, "litres_end": (start_t - des) * payload,
            "tankers_destroyed": des, "litres_destroyed": des * payload,
            "escort_units": st["e"][:, sel] + e_lost, "escort_units_lost": e_lost,
            "attacks": st["attacks"][:, sel], "turn_backs": st["turn_backs"][:, sel]}
    for f, v in per_convoy.items():
        cols[f] = np.broadcast_to(np.asarray(v), shape)
    cols = {f: np.ascontiguousarray(v).reshape(-1) for f, v in cols.items()}
    cols.update({
        "convoy": Labels(each, tuple(cv.name for cv in convs)),
        "kind": Labels(np.zeros(each.size, dtype=np.int64), ("scheduled",)),
        "source": Labels(each, tuple(cv.name for cv in convs)),
        "origin": Labels(each, tuple(cv.origin for cv in convs)),
        "target": Labels(each, tuple(plan.dest_nodes[int(bt.dest_of[c])] for c in order)),
        "corridor": Labels(corridor_code.reshape(-1), tuple(corridor_texts)),
        "route": Labels(route_code.reshape(-1), tuple(route_texts)),
        "outcome": Labels(out.reshape(-1).astype(np.int64), _OUTCOMES)})
    return {f: cols[f] for f in ConvoyRow._fields}, totals


def _route_logs(tr, bt: _Batch) -> tuple[list[tuple], np.ndarray]:
    """The distinct route logs of the batch (tuples of (leg, pieces, node) steps) and the
    index of each trajectory's among them."""
    route = tr.log.frame("route")
    n_traj = bt.n_rep * bt.n_conv
    traj = route["traj"].astype(np.int64)
    order = np.lexsort((route["seq"], traj))
    traj = traj[order]
    steps = np.stack([route[f][order].astype(np.int64) for f in ("leg", "k_end", "node")],
                     axis=1)
    count = np.bincount(traj, minlength=n_traj)
    width = max(int(count.max()) if traj.size else 0, 1)
    pos = np.arange(traj.size) - (np.cumsum(count) - count)[traj]  # step in its trajectory
    padded = np.full((n_traj * width, 3), -2, dtype=np.int64)  # -2: no step
    padded[traj * width + pos] = steps
    rows = padded.reshape(n_traj, -1)
    first, inverse = _first_of_equal_rows(rows)
    logs = [tuple(tuple(step) for step in rows[j].reshape(-1, 3).tolist() if step[0] != -2)
            for j in first.tolist()]
    return logs, inverse


def _first_of_equal_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first of each set of equal rows of ``rows`` (2-D), in order, and the number of the
    set each row is in (sets numbered in that order)."""
    n = rows.shape[0]
    order = np.lexsort(rows.T[::-1])  # stable: equal rows stay in their order
    srt = rows[order]
    new = np.ones(n, dtype=bool)
    new[1:] = (srt[1:] != srt[:-1]).any(axis=1)
    first = order[new]  # each set's first row, in the order of the sets' sorted rows
    by_row = np.argsort(first)
    number = np.empty(first.size, dtype=np.int64)
    number[by_row] = np.arange(first.size)
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = number[np.cumsum(new) - 1]
    return first[by_row], inverse


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

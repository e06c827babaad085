"""Records of each replication of a vector batch, row for row as the SimPy engine writes them.

The trajectories' logs (:mod:`.log`) are sorted per replication in the engine's order (time,
then the convoys' order of departure, then the order within a trajectory); the destinations'
stocks are replayed from the deliveries with the engine's
:class:`~corridorsim.model.stock.FluidStock`, and the rows are made by the engine's own
:mod:`~corridorsim.model.tally` functions. May import numpy and the model's pure modules.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..escorts import EscortLedger
from ..plan import Piece
from ..records import ConvoyRow, EventRow, ReplicationRecords
from ..stock import FluidStock
from ..tally import daily_rows, destination_rows, summary_row
from .arrays import to_host
from .log import EVENT_KINDS, processing_rank

__all__ = ["assemble"]

_OUTCOMES = ("in_transit", "delivered", "destroyed")


def _split(cols: dict[str, np.ndarray], order: np.ndarray, owner: np.ndarray, n: int):
    """Row indices (in ``order``) grouped by ``owner`` value 0..n-1."""
    owners = owner[order]
    bounds = np.searchsorted(owners, np.arange(n + 1))
    return [order[bounds[j]:bounds[j + 1]] for j in range(n)]


def assemble(tr: Any, reps: np.ndarray) -> list[ReplicationRecords]:
    """One :class:`ReplicationRecords` per replication of the batch, in the order of ``reps``."""
    plan, sc = tr.plan, tr.sc
    n_conv = len(sc.convoys)
    n_traj = reps.size * n_conv
    ev, route, resumes = tr.log.frames()
    # convoy ids: the engine numbers movements as they start (departure time, then listing)
    depart = [max(0.0, sc.hours(c.depart)) for c in sc.convoys]
    started = [j for j in sorted(range(n_conv), key=lambda j: (depart[j], j))
               if depart[j] <= plan.horizon_h]
    conv_id = np.zeros(n_conv, dtype=np.int64)
    conv_id[started] = np.arange(1, len(started) + 1)
    ev_traj = ev["traj"].astype(np.int64)
    ev_rep = ev_traj // max(n_conv, 1)
    # the engine's order: SimPy's processing order of the steps, then within a step
    res_traj = resumes["traj"].astype(np.int64)
    rank = processing_rank(resumes, res_traj // max(n_conv, 1),
                           conv_id[res_traj % max(n_conv, 1)])
    order = np.lexsort((ev["seq"], rank[ev["resume"].astype(np.int64)], ev_rep))
    ev_by_rep = _split(ev, order, ev_rep, reps.size)
    r_traj = route["traj"].astype(np.int64)
    r_order = np.lexsort((route["seq"], r_traj))
    route_by_traj = _split(route, r_order, r_traj, n_traj)
    state = {name: to_host(getattr(tr, name)) for name in
             ("n", "e", "e_lost", "dest_t", "attacks", "turn_backs", "outcome", "end_h",
              "plan_leg", "payload", "started")}
    out = []
    for b, rep in enumerate(reps.tolist()):
        out.append(_replication(tr, int(rep), b, ev, ev_by_rep[b], route, route_by_traj,
                                state, conv_id, started, depart))
    return out


def _route_nodes(tr: Any, route: dict, rows: np.ndarray, origin: str) -> list[str]:
    legs, nodes = tr.itin.legs, tr.itin.nodes
    path = [origin]
    for j in rows.tolist():
        leg = int(route["leg"][j])
        if leg >= 0:
            for p in legs[leg].pieces[:int(route["k_end"][j])]:
                if path[-1] != p.v:
                    path.append(p.v)
        else:
            node = nodes[int(route["node"][j])]
            if path[-1] != node:
                path.append(node)
    return path


def _replication(tr, rep, b, ev, rows, route, route_by_traj, st, conv_id, started, depart):
    plan, sc = tr.plan, tr.sc
    n_conv, nd, days = len(sc.convoys), len(plan.destinations), plan.days
    rec = ReplicationRecords(rep)
    names, nodes = plan.dest_names, tr.itin.nodes
    dest_of = [sc.destination_index(c.destination) for c in sc.convoys]
    stocks = [FluidStock(d.initial_stock_l, d.capacity_l, plan.demands[k], plan.rationings[k],
                         plan.horizon_h) for k, d in enumerate(plan.destinations)]
    zeros = lambda: [[0] * days for _ in range(nd)]  # noqa: E731
    day_del_l, day_del_t, day_des_t, day_des_l, waiting = zeros(), zeros(), zeros(), zeros(), zeros()
    day_attacks, day_escort_lost = [0] * days, [0] * days
    ambushes = ieds = 0

    def day_of(t: float) -> int:
        return min(int(t // 24), days - 1)

    for j in rows.tolist():
        traj = int(ev["traj"][j])
        c = traj % n_conv
        kind = EVENT_KINDS[int(ev["kind"][j])]
        t = float(ev["time"][j])
        n, payload = int(ev["tankers"][j]), int(st["payload"][traj])
        conv = sc.convoys[c]
        k_dest = dest_of[c]
        node = lat = lon = None
        a = v = corridor = ""
        dt = int(ev["destroyed_t"][j])
        if kind in ("ambush", "ied"):
            leg = tr.itin.legs[int(ev["leg"][j])]
            p = leg.pieces[int(ev["k"][j])]
            piece = Piece(p.edge, p.u, p.v, 0.0, 1.0)
            lat, lon = plan.position(piece, float(ev["frac"][j]))
            a, v, corridor = p.u, p.v, plan.edge_corridor[p.edge]
            node = ""
            d = day_of(t)
            day_attacks[d] += 1
            lost = int(ev["escort_lost"][j])
            if lost:
                day_escort_lost[d] += lost
            if dt:
                day_des_t[k_dest][d] += dt
                day_des_l[k_dest][d] += dt * payload
            if kind == "ambush":
                ambushes += 1
            else:
                ieds += 1
        else:
            node = nodes[int(ev["node"][j])]
            lat, lon = plan.node_latlon.get(node, (math.nan, math.nan))
            if kind == "delivery":
                d = day_of(t)
                day_del_l[k_dest][d] += n * payload
                day_del_t[k_dest][d] += n
                stocks[k_dest].add(t, n * payload)
        rec.events.append(_event_row(rep, t, kind, int(conv_id[c]), conv.name, node, a, v,
                                     corridor, lat, lon, n, payload, dt, ev, j))
    # convoys, in id order
    loaded_t, loaded_l = [0] * nd, [0] * nd
    delivered_t, delivered_l = [0] * nd, [0] * nd
    destroyed_t, destroyed_l = [0] * nd, [0] * nd
    moving_l = 0
    for c in started:
        traj = b * n_conv + c
        conv = sc.convoys[c]
        k_dest, payload = dest_of[c], conv.payload_l
        outcome = _OUTCOMES[int(st["outcome"][traj])]
        n_end = int(st["n"][traj])
        des = int(st["dest_t"][traj])
        loaded_t[k_dest] += conv.tankers
        loaded_l[k_dest] += conv.tankers * payload
        destroyed_t[k_dest] += des
        destroyed_l[k_dest] += des * payload
        if outcome == "delivered":
            delivered_t[k_dest] += n_end
            delivered_l[k_dest] += n_end * payload
        elif outcome == "in_transit":
            moving_l += n_end * payload
        path = _route_nodes(tr, route, route_by_traj[traj], conv.origin)
        route_t = tuple(path) if len(path) > 1 else (conv.origin,)
        target = plan.dest_nodes[k_dest]
        whole = route_t
        leg = int(st["plan_leg"][traj])
        planned = tr.itin.legs[leg].path if leg >= 0 else ()
        if route_t[-1] != target and route_t[-1] in planned:
            whole = route_t + planned[planned.index(route_t[-1]) + 1:]
        e_now, e_lost = int(st["e"][traj]), int(st["e_lost"][traj])
        rec.convoys.append(ConvoyRow(
            replication=rep, convoy_id=int(conv_id[c]), convoy=conv.name, kind="scheduled",
            source=conv.name, origin=conv.origin, target=target,
            corridor=plan.path_corridor(whole), route=">".join(route_t),
            formed_h=round(depart[c], 6), depart_h=round(depart[c], 6),
            end_h=round(float(st["end_h"][traj]), 6) if outcome != "in_transit" else math.nan,
            tankers_start=conv.tankers, litres_start=conv.tankers * payload,
            tankers_end=conv.tankers - des, litres_end=(conv.tankers - des) * payload,
            tankers_destroyed=des, litres_destroyed=des * payload, tankers_handed_off=0,
            litres_handed_off=0, escort_units=e_now + e_lost, escort_units_lost=e_lost,
            escort_wait_h=0.0, escort_wait_censored=False, attacks=int(st["attacks"][traj]),
            turn_backs=int(st["turn_backs"][traj]), outcome=outcome,
        ))
    for s in stocks:
        s.close()
    escorts = EscortLedger([bs.units for bs in plan.bases], days)
    escorts.busy.change(plan.horizon_h, 0.0)
    args = (day_del_l, day_del_t, day_des_t, day_des_l)
    rec.daily = daily_rows(rep, names, stocks, days, plan.horizon_h, *args, day_attacks,
                           escorts.busy.per_day, day_escort_lost, waiting)
    dests = destination_rows(rep, names, stocks, *args)
    rec.destinations = dests
    rec.summary = summary_row(
        rep, dests, stocks, delivered_l=sum(delivered_l), delivered_t=sum(delivered_t),
        loaded_t=sum(loaded_t), loaded_l=sum(loaded_l), destroyed_t=sum(destroyed_t),
        destroyed_l=sum(destroyed_l), ambushes=ambushes, ieds=ieds, standing=0,
        convoys=len(started), utilisation=0.0, waits=[], censored=0, in_transit_l=moving_l,
        staged_l=0)
    return rec


def _event_row(rep, t, kind, cid, name, node, a, v, corridor, lat, lon, n, payload, dt, ev, j):
    return EventRow(
        replication=rep, time_h=round(t, 6), kind=kind, convoy_id=cid, convoy=name,
        node=node, edge_from=a, edge_to=v, corridor=corridor, lat=round(lat, 5),
        lon=round(lon, 5), tankers=n, litres=n * payload, tankers_destroyed=dt,
        litres_destroyed=dt * payload, escort_units=int(ev["escort"][j]),
        escort_units_lost=int(ev["escort_lost"][j]), delay_h=round(float(ev["delay"][j]), 6),
        detail="turned back" if bool(ev["turned"][j]) else "")

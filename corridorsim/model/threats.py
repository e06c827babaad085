"""Attack hazards on the edges and the outcome of each attack.

Hazard model
------------
Ambushes and IED strikes on a moving convoy form two independent Poisson processes in
convoy-km. On edge ``e`` at time ``t`` with escort strength ``s`` the ambush intensity, per km,
is::

    lambda_A(e, t, s) = a_e / 1000 * M_A(e, t) * D_rate(s)

where ``a_e`` is the edge's base rate per 1000 convoy-km (from the ordered threat rules, times
the scenario-wide ``threats.ambush_multiplier``),
``M_A(e, t)`` the product of the multipliers of the phases active at ``t`` that select ``e``
and ``D_rate(s) = f + (1 - f) * exp(-s / c)`` the deterrence factor (``f`` = ``rate_floor``,
``c`` = ``rate_scale``, ``s`` = escort units per 10 tankers). IEDs alike with ``i_e`` and
``M_I``. The engine samples these processes by the unit-exponential budget method: a convoy
draws ``E ~ Exp(1)`` and the attack happens where the integrated hazard reaches ``E``; so the
probability of crossing a stretch without ambush is ``exp(-integral of lambda_A d km)``.

The ambush intensity is further multiplied by the targeting factor ``(n / n0) ** beta`` of the
convoy (:mod:`corridorsim.model.targeting`). With ``threats.adversary.process`` ``cox`` or
``hawkes`` ambushes do not come from these per-convoy budgets but from the adversary's
opportunity stream (:mod:`corridorsim.model.adversary`); the intensity above is then the
convoy's weight at an opportunity.

Outcomes
--------
An ambush destroys ``K`` of the ``n`` tankers (form chosen by ``ambush.severity``, see
:mod:`corridorsim.model.severity`; by default ``K ~ BetaBinomial(n, alpha, beta)`` with mean
share ``m(s) = loss_share_mean * D_loss(s)`` and ``alpha + beta = loss_share_concentration``);
costs a delay drawn from ``ambush.delay``; loses ``Binomial(E, escort_unit_loss_prob)`` escort
units; and turns the convoy back with ``turn_back_prob``. An IED destroys ``min(n,
Poisson(mu))`` tankers, costs a delay and may cost escort units. Each outcome is drawn by
inversion from a fixed number of uniforms.

Everything edge- or phase-related is compiled once per scenario into arrays (:class:`ThreatTable`).
The formulas (:func:`escort_strength`, :func:`deterrence_factor`, :func:`phase_multipliers`)
take numbers or NumPy arrays: the engine calls them per convoy, the rate estimator of
:mod:`corridorsim.observed` per edge traversal, and both get the same numbers.

Part of the model layer: imports :mod:`corridorsim.scenario`, NumPy and ``scipy.special``
(not ``scipy.stats``, half a second to import), never SimPy or pandas.
"""

from __future__ import annotations

import bisect
import functools
import math
from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy import special

from ..scenario.network import edge_key
from ..scenario.schema import Duration, Scenario
from .deterrence import STRENGTH_PER_TANKERS, deterrence_factor, escort_strength
from .severity import negative_binomial, tankers_lost

__all__ = [
    "ThreatTable",
    "AttackOutcome",
    "deterrence_factor",
    "escort_strength",
    "STRENGTH_PER_TANKERS",
    "phase_boundaries_h",
    "phase_multipliers",
    "draw_duration",
    "duration_from_uniform",
    "binomial_cdf",
    "poisson_quantile",
    "ATTACK_UNIFORMS",
    "draw_ambush",
    "draw_ied",
]


def phase_boundaries_h(scenario: Scenario) -> list[float]:
    """Start and end times (h since the scenario start, unclipped) of the threat phases, sorted."""
    times = set()
    for p in scenario.threats.phases:
        times.add(scenario.hours(p.start))
        if p.end is not None:
            times.add(scenario.hours(p.end))
    return sorted(times)


def phase_multipliers(scenario: Scenario, kind: str, t_h, corridor, region,
                      base: float = 1.0) -> np.ndarray:
    """``base`` times the multipliers ``M(e, t)`` of the phases active at ``t_h`` that select ``e``.

    A phase is active on ``start <= t < end`` (``end`` open if absent) and selects the stretches
    of its ``corridor`` and ``region`` (each when given). Multipliers apply in the order of the
    phases.

    Parameters
    ----------
    scenario : Scenario
    kind : {"ambush", "ied"}
        Which multiplier (``ambush_multiplier`` or ``ied_multiplier``).
    t_h : float or array-like
        Times, hours since the scenario start.
    corridor, region : str or array-like
        Corridor and region of the stretch at each time (broadcast against ``t_h``).
    base : float
        Starting value (the engine: 1; the rate estimator: the scenario-wide multiplier).

    Returns
    -------
    numpy.ndarray
        Float multipliers, the broadcast shape of the inputs.
    """
    t, corridor, region = np.broadcast_arrays(np.asarray(t_h, dtype=float),
                                              np.asarray(corridor, dtype=object),
                                              np.asarray(region, dtype=object))
    mult = np.full(t.shape, float(base))
    for p in scenario.threats.phases:
        start = scenario.hours(p.start)
        end = math.inf if p.end is None else scenario.hours(p.end)
        active = (t >= start) & (t < end)
        if p.corridor is not None:
            active &= corridor == p.corridor
        if p.region is not None:
            active &= region == p.region
        mult = np.where(active, mult * getattr(p, f"{kind}_multiplier"), mult)
    return mult


def duration_from_uniform(u: float, d: Duration) -> float:
    """The ``u``-quantile of a :class:`~corridorsim.scenario.schema.Duration`, hours (>= 0).

    Inverse-CDF sampling: one uniform per draw whatever the distribution, so that common random
    numbers stay aligned when a parameter changes.
    """
    if d.dist == "fixed" or (d.mean_h == 0 and d.dist != "uniform"):
        return d.mean_h
    if d.dist == "exponential":
        return float(-d.mean_h * math.log1p(-u))
    if d.dist == "uniform":
        return float(d.low_h + (d.high_h - d.low_h) * u)
    if d.cv == 0:
        return d.mean_h
    # scipy.special's inverse functions are what scipy.stats' ppf calls for these two laws,
    # without its argument checking (30x faster per call; the same numbers)
    if d.dist == "gamma":
        shape = 1.0 / d.cv**2
        return float(special.gammaincinv(shape, u) * (d.mean_h / shape))
    # lognormal with the given mean and coefficient of variation
    sigma2 = math.log1p(d.cv**2)
    mu = math.log(d.mean_h) - sigma2 / 2
    return float(math.exp(mu + math.sqrt(sigma2) * special.ndtri(u)))


def draw_duration(rng: np.random.Generator, d: Duration) -> float:
    """One draw of a :class:`~corridorsim.scenario.schema.Duration`, hours (one uniform used)."""
    return duration_from_uniform(float(rng.random()), d)


@dataclass(frozen=True, slots=True)
class AttackOutcome:
    """What one attack did: tankers destroyed, delay (h), escort units lost, turned back."""

    tankers_destroyed: int
    delay_h: float
    escort_units_lost: int
    turned_back: bool


def _binomial_from_uniform(u: float, n: int, p: float) -> int:
    """``scipy.stats.binom.ppf(u, n, p)`` (0 below its ``-1`` at ``u = 0``): the smallest ``k``
    with ``P(X <= k) >= u``, by the CDF ``scipy.special.bdtr``.

    ``scipy.stats`` computes the same quantile with Boost's CDF, which differs from ``bdtr`` in
    the last bits only: the two agree unless ``u`` falls within about 1e-15 of a step of the
    CDF (none in millions of draws; ``tests/model/test_threats.py`` compares them). Not
    importing ``scipy.stats`` saves about half a second of every command's start-up. The CDF
    at ``0..n`` is cached per ``(n, p)`` (escorts have few sizes), so that a draw scans a tuple.
    """
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    cdf = binomial_cdf(n, p)
    k = 0
    while k < n and cdf[k] < u:
        k += 1
    return k


@functools.lru_cache(maxsize=4096)
def binomial_cdf(n: int, p: float) -> tuple[float, ...]:
    """``scipy.special.bdtr(k, n, p)`` at ``k = 0..n``."""
    return tuple(float(special.bdtr(k, n, p)) for k in range(n + 1))


def poisson_quantile(u: float, mean: float) -> int:
    """``scipy.stats.poisson.ppf(u, mean)`` for ``0 < u < 1``, by the same special functions."""
    k = math.ceil(special.pdtrik(u, mean))
    below = max(k - 1, 0)
    return below if special.pdtr(below, mean) >= u else k


#: Uniforms one ambush or IED uses, whatever the convoy and its escort (common random numbers).
ATTACK_UNIFORMS = 4


def draw_ambush(
    rng: np.random.Generator, scenario: Scenario, tankers: int, escort_units: int
) -> AttackOutcome:
    """Draw the outcome of an ambush on a convoy of ``tankers`` with ``escort_units``.

    Exactly :data:`ATTACK_UNIFORMS` uniforms are drawn (turn-back, tankers destroyed, delay,
    escort units lost), each mapped by its quantile function, so that the same attack of the
    same replication uses the same numbers at every sweep point whatever the escort.
    """
    amb = scenario.threats.ambush
    u_turn, u_loss, u_delay, u_escort = rng.random(ATTACK_UNIFORMS).tolist()
    destroyed = tankers_lost(u_loss, tankers, escort_units, amb, scenario.threats.deterrence)
    delay = duration_from_uniform(u_delay, amb.delay)
    lost = _binomial_from_uniform(u_escort, escort_units, amb.escort_unit_loss_prob)
    turned = bool(u_turn < amb.turn_back_prob) and destroyed < tankers
    return AttackOutcome(destroyed, delay, lost, turned)


def draw_ied(
    rng: np.random.Generator, scenario: Scenario, tankers: int, escort_units: int
) -> AttackOutcome:
    """Draw the outcome of an IED strike (never turns a convoy back); fixed uniforms as above."""
    ied = scenario.threats.ied
    _, u_loss, u_delay, u_escort = rng.random(ATTACK_UNIFORMS).tolist()
    mean = ied.tankers_destroyed_mean
    destroyed = min(tankers, poisson_quantile(u_loss, mean)) if mean > 0 and tankers > 0 else 0
    delay = duration_from_uniform(u_delay, ied.delay)
    lost = _binomial_from_uniform(u_escort, escort_units, ied.escort_unit_loss_prob)
    return AttackOutcome(max(destroyed, 0), delay, lost, False)


def _rule_rates(scenario: Scenario, edges: list, edge_index: dict[tuple[str, str], int]
                ) -> tuple[np.ndarray, np.ndarray]:
    """Ambush and IED rates per 1000 convoy-km of each edge from the ordered threat rules (the
    last rule that selects an edge and gives a rate wins), before the scenario multipliers."""
    ambush = np.zeros(len(edges))
    ied = np.zeros(len(edges))
    for rule in scenario.threats.rules:
        chosen = {edge_key(a, b) for a, b in rule.edges} if rule.edges is not None else None
        for key, idx in edge_index.items():
            if chosen is not None and key not in chosen:
                continue
            if not _selects(edges[idx], rule.corridor, rule.region):
                continue
            if rule.ambush_rate_per_1000km is not None:
                ambush[idx] = rule.ambush_rate_per_1000km
            if rule.ied_rate_per_1000km is not None:
                ied[idx] = rule.ied_rate_per_1000km
    return ambush, ied


def _selects(edge: dict, corridor: str | None, region: str | None) -> bool:
    return (corridor is None or edge["corridor"] == corridor) and (
        region is None or edge["region"] == region
    )


class ThreatTable:
    """Per-edge base rates and per-phase multipliers, compiled once per scenario.

    Parameters
    ----------
    scenario : Scenario
    graph : networkx.Graph
        The scenario's network (from :func:`~corridorsim.scenario.network.build_network`).
    edge_index : dict
        Canonical edge key -> integer index used by the engine.
    like : ThreatTable, optional
        The table of a plan with the same network (the same ``edge_index`` object) whose
        scenario may differ in threat values: its rule rates and phase multipliers per edge
        are reused where the rules, or the phases and start date, are equal (the same numbers
        as computing them again; :meth:`~corridorsim.model.plan.ScenarioPlan.with_scenario`).

    Attributes
    ----------
    ambush_per_km, ied_per_km : numpy.ndarray
        Base intensity per convoy-km of each edge (rate per 1000 km / 1000).
    breaks_h : list of float
        Times (h) at which the set of active phases changes.
    support : frozenset of int
        Edges on which an ambush or IED can happen in some phase.
    """

    def __init__(self, scenario: Scenario, graph: nx.Graph, edge_index: dict[tuple[str, str], int],
                 like: ThreatTable | None = None):
        n = len(edge_index)
        self.enabled = scenario.threats.enabled
        if scenario.threats.ambush.severity.form == "negative_binomial":
            negative_binomial()  # imported now, so that workers forked after compiling inherit it
        edges = [None] * n
        for (a, b), idx in edge_index.items():
            edges[idx] = graph.edges[a, b]
        rules = (edge_index, scenario.threats.rules)
        if like is not None and like._rules[0] is edge_index and like._rules[1] == rules[1]:
            base_ambush, base_ied = like._base  # the same rules on the same edges
        else:
            base_ambush, base_ied = _rule_rates(scenario, edges, edge_index)
        self._rules, self._base = rules, (base_ambush, base_ied)
        ambush = base_ambush.copy()
        ied = base_ied.copy()
        ambush *= scenario.threats.ambush_multiplier
        ied *= scenario.threats.ied_multiplier
        if not self.enabled:
            ambush[:] = 0.0
            ied[:] = 0.0
        self.ambush_rate_per_1000km = ambush
        self.ied_rate_per_1000km = ied
        self.ambush_per_km = ambush / 1000.0
        self.ied_per_km = ied / 1000.0
        # the adversary's opportunity streams: one per group of edges that can see an ambush
        adv = scenario.threats.adversary
        self.adversary = adv.process != "poisson" and self.enabled
        key = "corridor" if adv.group_by == "corridor" else "region"
        self.edge_group = [str(e.get(key, "") or "") for e in edges]
        self.groups = sorted({g for g, r in zip(self.edge_group, ambush) if r > 0})
        self._compile_phases(scenario, edges, like if like is not None
                             and like._rules[0] is edge_index else None)

    def _compile_phases(self, scenario: Scenario, edges: list, like: ThreatTable | None) -> None:
        phases = (scenario.start, scenario.threats.phases)
        if like is not None and like._phases[0] == phases:
            self.breaks_h, mults = like.breaks_h, like._phases[1]  # the same phases
        else:
            self.breaks_h = sorted({0.0} | {max(0.0, t) for t in phase_boundaries_h(scenario)})
            corridor = np.array([e["corridor"] for e in edges], dtype=object)
            region = np.array([e["region"] for e in edges], dtype=object)
            mults = [(phase_multipliers(scenario, "ambush", t, corridor, region),
                      phase_multipliers(scenario, "ied", t, corridor, region))
                     for t in self.breaks_h]
        #: what the phase structure depends on, and each period's multipliers per edge
        self._phases = (phases, mults)
        amb = [ma * self.ambush_per_km for ma, _ in mults]
        ied = [mi * self.ied_per_km for _, mi in mults]
        # plain lists: the engine reads single elements, much faster than from arrays
        self._ambush_mult = [a.tolist() for a in amb]
        self._ied_mult = [a.tolist() for a in ied]
        #: The edges on which an ambush or IED can happen in some phase: what the fixed trips of
        #: :mod:`.feeders` depend on in the threat values (their caches are keyed by it).
        self.support = frozenset(np.flatnonzero(np.any(np.array(amb + ied) != 0.0, axis=0)).tolist())

    def hazard_free(self, edges) -> bool:
        """Whether no ambush or IED can happen on any of ``edges`` (indices) in any phase."""
        return self.support.isdisjoint(edges)

    def intensities_at(self, t_h: float) -> tuple[list[float], list[float]]:
        """Ambush and IED intensity per convoy-km of every edge at time ``t_h`` (unescorted)."""
        i = bisect.bisect_right(self.breaks_h, t_h) - 1
        i = max(i, 0)
        return self._ambush_mult[i], self._ied_mult[i]

    def period_at(self, t_h: float) -> tuple[list[float], list[float], float]:
        """:meth:`intensities_at` and :meth:`next_break_after` of ``t_h`` from one search."""
        i = bisect.bisect_right(self.breaks_h, t_h)
        k = i - 1 if i > 0 else 0
        nb = self.breaks_h[i] if i < len(self.breaks_h) else math.inf
        return self._ambush_mult[k], self._ied_mult[k], nb

    def next_break_after(self, t_h: float) -> float:
        """First phase boundary strictly after ``t_h`` (``inf`` if none)."""
        i = bisect.bisect_right(self.breaks_h, t_h)
        return self.breaks_h[i] if i < len(self.breaks_h) else math.inf

"""A self-contained report of a run or sweep directory: one HTML file, optionally a PDF.

The HTML file embeds every figure as a base64 PNG and carries its own CSS, so it opens
anywhere without network access and prints on A4 (``@page { size: A4 }``, figures kept whole
on a page). It holds, in order: the scenario's (or sweep's) name and description, headline
numbers, the key assumptions read from the resolved scenario, the sources of its numbers, the
metrics table (mean, P5, P50, P95; litres in ML), for a sweep the per-point summary, each
standard figure (:func:`corridorsim.viz.run_figures.captioned_figures`) with a one-line caption, and the
manifest (seed, replications, versions, scenario or design hash) at the end.

``pdf=True`` also writes the same content as an A4 PDF next to the HTML file (same name,
``.pdf``), drawn with matplotlib only (``PdfPages``): text pages, then one page per figure with
its caption, then the manifest. No browser or system library is needed.

Both files are written atomically (temporary file in the same directory, then rename).
"""

from __future__ import annotations

import base64
import html
import io
import math
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..atomic import atomic_write, atomic_write_text
from .run_figures import _kind_of
from .style import format_litres, format_number, plot_style

__all__ = ["write_report", "ReportFiles", "scenario_assumptions", "metrics_rows"]

#: A4 portrait in inches.
A4 = (8.27, 11.69)
_FIG_DPI_HTML = 110
_FIG_DPI_PDF = 200


@dataclass
class ReportFiles:
    """What :func:`write_report` wrote."""

    html: Path
    pdf: Path | None = None
    figures: list[str] = field(default_factory=list)
    pdf_pages: int | None = None


# --------------------------------------------------------------------------------------------
# Content: a list of blocks rendered to HTML or to PDF pages
# --------------------------------------------------------------------------------------------


@dataclass
class _Table:
    header: list[str]
    rows: list[list[str]]
    align: str  # one of "l"/"r" per column
    widths: list[float] | None = None  # relative column widths for the PDF
    mark: set[int] = field(default_factory=set)  # rows to emphasise


@dataclass
class _Block:
    kind: str  # h1, sub, h2, p, ul, table, fig, manifest
    text: str = ""
    items: list[str] = field(default_factory=list)
    table: _Table | None = None
    figure: Any = None


def _ml(x: float) -> str:
    return format_number(float(x) / 1e6, 3) if x is not None and math.isfinite(float(x)) else "–"


def _date(x: Any) -> str:
    d = pd.Timestamp(x)
    return f"{d.day} {d:%b %Y}"


def _num(x: float) -> str:
    return format_number(x, 3)


def _pct(x: float) -> str:
    return f"{100 * float(x):.0f} %" if x is not None and math.isfinite(float(x)) else "–"


def scenario_assumptions(sc: Any) -> list[tuple[str, str]]:
    """The scenario's key assumptions as (topic, plain-language value) rows."""
    rows: list[tuple[str, str]] = []
    days = (pd.Timestamp(sc.end) - pd.Timestamp(sc.start)).days
    rows.append(("period", f"{_date(sc.start)} to {_date(pd.Timestamp(sc.end) - pd.Timedelta(seconds=1))}"
                           f" ({days} days)"))
    d = sc.destination
    cap = f", capacity {format_litres(d.capacity_l)}" if d.capacity_l else ""
    cover = d.initial_stock_l / d.demand_l_per_day if d.demand_l_per_day else math.inf
    rows.append(("destination", f"{d.node}: initial stock {format_litres(d.initial_stock_l)} "
                                f"({format_number(cover, 2)} days of demand){cap}"))
    demand = f"{format_litres(d.demand_l_per_day)}/day unrationed"
    for step in d.demand_schedule:
        demand += f"; from {_date(step.start)}: {format_litres(step.demand_l_per_day)}/day"
    rows.append(("demand", demand))
    if d.rationing:
        tiers = "; ".join(f"below {format_number(t.below_cover_days, 2)} days of cover: "
                          f"{_pct(t.demand_cut_share)} of demand cut"
                          for t in sorted(d.rationing, key=lambda t: -t.below_cover_days))
        rows.append(("rationing", tiers))
    for s in sc.sources:
        rate = f"{format_number(s.tankers_per_day, 3)} tankers/day"
        for step in s.schedule:
            rate += f", from {_date(step.start)} {format_number(step.tankers_per_day, 3)}/day"
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
                                  f"region {r.region}" if r.region else "",
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
                                          f"region {ph.region}" if ph.region else "") if x)
            end = f" to {_date(ph.end)}" if ph.end else " on"
            rows.append((f"phase {ph.name}", f"from {_date(ph.start)}{end}"
                                             f"{' in ' + where if where else ''}: ambush rates "
                                             f"x{format_number(ph.ambush_multiplier, 3)}, IED "
                                             f"x{format_number(ph.ied_multiplier, 3)}"))
        ied = format_number(th.ied.tankers_destroyed_mean, 2)
        rows.append(("attack outcomes", f"an unescorted ambush destroys "
                                        f"{_pct(th.ambush.loss_share_mean)} of the convoy's tankers "
                                        f"on average, an IED {ied} tanker"
                                        f"{'' if ied == '1' else 's'}; escorts cut attack rates "
                                        f"to no less than {_pct(th.deterrence.rate_floor)} and "
                                        f"losses to no less than {_pct(th.deterrence.loss_floor)} "
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


def metrics_rows(metrics: pd.DataFrame) -> _Table:
    """The metrics table (mean, P5, P50, P95) with litres in ML and shares in %."""
    rows = []
    for _, r in metrics.iterrows():
        unit = str(r["unit"])
        if unit == "L":
            f: Callable[[float], str] = _ml
            shown = "ML"
        elif unit == "share":
            f, shown = _pct, "%"
        else:
            f, shown = _num, unit
        vals = [r["mean"], r["p5"], r["p50"], r["p95"]]
        if r["metric"] == "p_stockout":
            cells = [_pct(r["mean"]), "", "", ""]
        else:
            cells = [f(v) if pd.notna(v) else "–" for v in vals]
        label = str(r["label"])
        if r["metric"] == "first_stockout_day" and int(r["n"]) >= 0:
            label += f" (n = {int(r['n'])})"
        rows.append([label, shown.replace("%", "share") if shown == "%" else shown, *cells])
    return _Table(["metric", "unit", "mean", "P5", "P50", "P95"], rows, "llrrrr",
                  [3.4, 1.0, 1.0, 1.0, 1.0, 1.0])


def _headline_run(metrics: pd.DataFrame, sc: Any, daily: pd.DataFrame) -> list[str]:
    m = metrics.set_index("metric")
    out = []
    demand = float(daily.groupby("date")["base_demand_l"].median().sum())
    if "delivered_l" in m.index:
        r = m.loc["delivered_l"]
        share = f" ({_pct(r['p50'] / demand)} of the unrationed demand)" if demand > 0 else ""
        out.append(f"Fuel delivered to {sc.destination.node}: median {format_litres(r['p50'])}"
                   f"{share}, 90 % of replications between {format_litres(r['p5'])} and "
                   f"{format_litres(r['p95'])}.")
    if "p_stockout" in m.index:
        r = m.loc["p_stockout"]
        first = m.loc["first_stockout_day"] if "first_stockout_day" in m.index else None
        when = ""
        if first is not None and pd.notna(first["p50"]):
            d = pd.Timestamp(sc.start) + pd.Timedelta(days=float(first["p50"]))
            when = f"; when it does, the median first day at zero is {_date(d)}"
        out.append(f"Probability that the stock runs out at least once: {_pct(r['mean'])}{when}.")
    if "tankers_destroyed" in m.index and "litres_destroyed" in m.index:
        t, l_ = m.loc["tankers_destroyed"], m.loc["litres_destroyed"]
        out.append(f"Tankers destroyed: mean {format_number(t['mean'], 3)} "
                   f"(P5–P95 {format_number(t['p5'], 2)}–{format_number(t['p95'], 2)}), "
                   f"{format_litres(l_['mean'])} of fuel.")
    if "unmet_l" in m.index:
        r = m.loc["unmet_l"]
        out.append(f"Demand not met (after rationing): mean {format_litres(r['mean'])}.")
    return out


def _manifest_rows(man: dict[str, Any], keys: Sequence[str]) -> list[list[str]]:
    rows = []
    for k in keys:
        if k in man and man[k] not in (None, ""):
            v = man[k]
            rows.append([k.replace("_", " "), ", ".join(map(str, v)) if isinstance(v, list) else str(v)])
    vers = man.get("versions") or {}
    if vers:
        rows.append(["versions", ", ".join(f"{k} {v}" for k, v in vers.items())])
    return rows


def _assumption_blocks(sc: Any, heading: str) -> list[_Block]:
    """The scenario's key assumptions as a table, and the sources of its numbers."""
    rows = [[k, v] for k, v in scenario_assumptions(sc)]
    out = [_Block("h2", heading),
           _Block("table", table=_Table(["topic", "assumption"], rows, "ll", [1.5, 5.5]))]
    if sc.sources_of_numbers:
        out += [_Block("h2", "Sources of the numbers"),
                _Block("ul", items=list(sc.sources_of_numbers))]
    return out


def _run_blocks(root: Path) -> tuple[list[_Block], str]:
    from .run_figures import _run_context, _run_figures

    ctx = _run_context(root)
    sc, man, run = ctx["scenario"], ctx["manifest"], ctx["run"]
    blocks = [_Block("h1", sc.name),
              _Block("sub", f"Simulation of {_date(sc.start)} to "
                            f"{_date(pd.Timestamp(sc.end) - pd.Timedelta(seconds=1))}; "
                            f"{man['replications']} replications, seed {man['seed']}; "
                            f"run {ctx['run_date']}.")]
    if sc.description:
        blocks.append(_Block("p", sc.description))
    blocks.append(_Block("h2", "At a glance"))
    blocks.append(_Block("ul", items=_headline_run(run["metrics"], sc, run["daily"])))
    blocks += _assumption_blocks(sc, "Key assumptions")
    if ctx["obs_d"] is not None or ctx["obs_i"] is not None:
        blocks.append(_Block("p", f"Observed data drawn beside the simulation: "
                                  f"{sc.observations.source or 'the scenario observations'}."))
    blocks.append(_Block("h2", "Key metrics"))
    blocks.append(_Block("p", f"Across {man['replications']} replications. ML = million litres. "
                              "P5, P50, P95: 5th, 50th (median) and 95th percentiles."))
    blocks.append(_Block("table", table=metrics_rows(run["metrics"])))
    blocks.append(_Block("h2", "Figures"))
    for cf in _run_figures(ctx):
        blocks.append(_Block("fig", text=cf.caption, figure=cf))
    keys = ["kind", "scenario_name", "scenario_hash", "seed", "replications", "start", "end",
            "command", "workers", "wall_time_s", "sim_events"]
    blocks.append(_Block("manifest", table=_Table(["item", "value"], _manifest_rows(man, keys), "ll",
                                                  [1.6, 5.4])))
    return blocks, sc.name


def _factor_text(f: dict[str, Any]) -> str:
    if f.get("values") is not None:
        return ", ".join(map(str, f["values"]))
    if f.get("range") is not None:
        lo, hi = f["range"]
        return f"{lo} to {hi}" + (" (integers)" if f.get("integer") else "")
    if f.get("alternatives") is not None:
        return "alternatives: " + ", ".join(f["alternatives"])
    return ""


def _points_table(ps: pd.DataFrame, factors: list[str], reference: int,
                  max_rows: int = 60) -> tuple[_Table, int]:
    from .layout import _metric_label, _short_factor
    from .sweep_figures import _fmt_level

    wanted = [m for m in ("delivered_l", "tankers_destroyed", "unmet_l", "days_at_zero")
              if m in set(ps["metric"])]
    points = sorted(ps["point"].unique())
    header = ["point", *[_short_factor(f) for f in factors],
              *[_metric_label(m).replace(" (ML)", ", ML") for m in wanted]]
    rows, mark = [], set()
    for i, p in enumerate(points[:max_rows]):
        sub = ps[ps["point"] == p].set_index("metric")
        first = sub.iloc[0]
        row = [str(p) + (" (ref.)" if p == reference else ""),
               *[_fmt_level(first[f]) for f in factors]]
        for m in wanted:
            r = sub.loc[m]
            scale = 1e6 if m.endswith("_l") else 1.0
            row.append(f"{format_number(r['mean'] / scale, 3)} "
                       f"({format_number(r['p5'] / scale, 2)}–{format_number(r['p95'] / scale, 2)})")
        rows.append(row)
        if p == reference:
            mark.add(i)
    widths = [1.1] + [1.2] * len(factors) + [1.9] * len(wanted)
    return _Table(header, rows, "l" + "r" * (len(header) - 1), widths, mark), len(points)


def _sweep_blocks(root: Path) -> tuple[list[_Block], str]:
    from ..scenario.documents import scenario_from_dict
    from .run_figures import _sweep_context, _sweep_figures

    ctx = _sweep_context(root)
    man, tables = ctx["manifest"], ctx["tables"]
    spec = man.get("spec", {})
    base = man.get("base_scenario", {})
    blocks = [_Block("h1", str(man.get("name"))),
              _Block("sub", f"Sweep of scenario '{base.get('name', '?')}': {man.get('points')} "
                            f"points x {man.get('replications')} replications (common random "
                            f"numbers), seed {man.get('seed')}; run {ctx['run_date']}.")]
    if spec.get("description"):
        blocks.append(_Block("p", spec["description"]))
    if base.get("description"):
        blocks.append(_Block("p", f"Base scenario: {base['description']}"))
    blocks.append(_Block("h2", "Factors and design"))
    frows = [[f.get("name") or f["path"], _factor_text(f)] for f in spec.get("factors", [])]
    frows.append(["design", str(spec.get("design", {}).get("kind", ""))])
    frows.append(["reference point", str(man.get("reference_point", 0))])
    blocks.append(_Block("table", table=_Table(["factor", "levels"], frows, "ll", [2.6, 4.4])))
    try:
        sc = scenario_from_dict(base)
    except Exception:  # noqa: BLE001 - a base from another version: skip its assumptions
        sc = None
    if sc is not None:
        blocks += _assumption_blocks(sc, "Key assumptions of the base scenario")
    ps = tables.get("points_summary")
    if ps is not None and not ps.empty:
        table, n_points = _points_table(ps, list(man["factors"]), int(man.get("reference_point", 0)))
        blocks.append(_Block("h2", "Points summary"))
        more = f" The first {len(table.rows)} of {n_points} points are shown." if n_points > len(table.rows) else ""
        blocks.append(_Block("p", "Mean (P5–P95) per point across its replications; ML = million "
                                  f"litres.{more}"))
        blocks.append(_Block("table", table=table))
    figs = _sweep_figures(ctx)
    if figs:
        blocks.append(_Block("h2", "Figures"))
        for cf in figs:
            blocks.append(_Block("fig", text=cf.caption, figure=cf))
    keys = ["kind", "name", "design_hash", "seed", "replications", "points", "chunk_size",
            "reference_point", "command", "executor", "workers"]
    blocks.append(_Block("manifest", table=_Table(["item", "value"], _manifest_rows(man, keys), "ll",
                                                  [1.6, 5.4])))
    return blocks, str(man.get("name"))


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

_CSS = """
@page { size: A4; margin: 15mm 14mm 16mm 14mm; }
:root { --ink: #1a1a1a; --muted: #555; --rule: #d9d9d9; --accent: #0072B2; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       color: var(--ink); line-height: 1.45; max-width: 62rem; margin: 2rem auto;
       padding: 0 1.2rem; font-size: 16px; background: #fff; }
h1 { font-size: 1.9rem; margin: 0 0 .3rem 0; }
h2 { font-size: 1.3rem; margin: 2rem 0 .6rem 0; border-bottom: 2px solid var(--accent);
     padding-bottom: .2rem; break-after: avoid; page-break-after: avoid; }
p.sub { color: var(--muted); margin-top: 0; }
ul { padding-left: 1.3rem; }
li { margin: .25rem 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; margin: .4rem 0 1rem 0; }
th, td { padding: .3rem .55rem; border-bottom: 1px solid var(--rule); vertical-align: top; }
th { text-align: left; background: #f2f2f2; font-weight: 600; }
th:first-child, td:first-child { min-width: 8.5rem; }
td.r, th.r { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.mark td { font-weight: 600; background: #f6f9fc; }
tr { break-inside: avoid; page-break-inside: avoid; }
figure { margin: 1.4rem 0 2rem 0; break-inside: avoid; page-break-inside: avoid; }
figure img { display: block; max-width: 100%; height: auto; margin: 0 auto;
             border: 1px solid #eee; }
figcaption { font-size: .95rem; color: #333; margin-top: .4rem; }
figcaption b { color: var(--ink); }
section.manifest { font-size: .85rem; color: #333; }
section.manifest td { overflow-wrap: anywhere; }
footer { margin-top: 2rem; font-size: .8rem; color: var(--muted); }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  h1 { font-size: 18pt; } h2 { font-size: 13pt; margin-top: 14pt; }
  table { font-size: 8.5pt; }
  figure { margin: 8pt 0 12pt 0; }
  figure img { border: none; max-height: 230mm; width: auto; }
  section.manifest { break-before: page; page-break-before: always; }
}
"""


def _png_base64(fig: Any, dpi: float) -> tuple[str, int, int]:
    buf = io.BytesIO()
    with plot_style():
        fig.savefig(buf, format="png", dpi=dpi, facecolor="white", metadata={"Software": None})
    w, h = fig.get_figwidth() * dpi, fig.get_figheight() * dpi
    return base64.b64encode(buf.getvalue()).decode("ascii"), int(round(w)), int(round(h))


def _html_table(t: _Table, cls: str = "") -> str:
    e = html.escape
    head = "".join(f'<th class="{"r" if a == "r" else ""}">{e(h)}</th>'
                   for h, a in zip(t.header, t.align))
    body = []
    for i, row in enumerate(t.rows):
        cells = "".join(f'<td class="{"r" if a == "r" else ""}">{e(c)}</td>'
                        for c, a in zip(row, t.align))
        body.append(f'<tr class="mark">{cells}</tr>' if i in t.mark else f"<tr>{cells}</tr>")
    return (f'<table class="{cls}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def _render_html(blocks: list[_Block], title: str) -> str:
    e = html.escape
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{e(title)} – corridorsim report</title>", f"<style>{_CSS}</style>", "</head>",
           "<body>"]
    n_fig = 0
    for b in blocks:
        if b.kind == "h1":
            out.append(f"<h1>{e(b.text)}</h1>")
        elif b.kind == "sub":
            out.append(f'<p class="sub">{e(b.text)}</p>')
        elif b.kind == "h2":
            out.append(f"<h2>{e(b.text)}</h2>")
        elif b.kind == "p":
            out.append(f"<p>{e(b.text)}</p>")
        elif b.kind == "ul":
            out.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in b.items) + "</ul>")
        elif b.kind == "table" and b.table is not None:
            out.append(_html_table(b.table))
        elif b.kind == "fig":
            n_fig += 1
            data, w, h = _png_base64(b.figure.figure, _FIG_DPI_HTML)
            alt = e(b.text)
            out.append(f'<figure id="{e(b.figure.name)}"><img src="data:image/png;base64,{data}" '
                       f'width="{w}" height="{h}" alt="{alt}">'
                       f"<figcaption><b>Figure {n_fig}.</b> {e(b.text)}</figcaption></figure>")
        elif b.kind == "manifest" and b.table is not None:
            out.append('<section class="manifest"><h2>Manifest</h2>'
                       "<p>How these results were made: enough to reproduce them.</p>"
                       + _html_table(b.table) + "</section>")
    out.append("<footer>Made with corridorsim. Figures embedded; this file needs no network "
               "access.</footer>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------
# PDF (matplotlib only)
# --------------------------------------------------------------------------------------------


class _Pages:
    """Flowing text layout on A4 matplotlib pages."""

    margin = 0.75  # inches
    top = 0.8

    def __init__(self, pdf: Any):
        self.pdf = pdf
        self.fig = None
        self.y = 0.0
        self.count = 0

    @property
    def width(self) -> float:
        return A4[0] - 2 * self.margin

    def new_page(self) -> None:
        from matplotlib.figure import Figure

        self.close_page()
        self.fig = Figure(figsize=A4)
        self.y = A4[1] - self.top
        self.count += 1

    def close_page(self) -> None:
        if self.fig is not None:
            self.fig.text(0.5, 0.35 / A4[1], f"{self.count}", ha="center", va="bottom", fontsize=8,
                          color="#777777")
            self.pdf.savefig(self.fig)
            self.fig = None

    def need(self, height: float) -> None:
        if self.fig is None or self.y - height < self.margin:
            self.new_page()

    def text(self, s: str, size: float = 10, weight: str = "normal", color: str = "#1a1a1a",
             indent: float = 0.0, gap: float = 0.06, bullet: str | None = None) -> None:
        chars = max(20, int((self.width - indent) * 72 / (0.55 * size)))
        lines = textwrap.wrap(s, chars, break_long_words=True, break_on_hyphens=False) or [""]
        line_h = size * 1.35 / 72
        for i, line in enumerate(lines):
            self.need(line_h)
            x = (self.margin + indent) / A4[0]
            if bullet and i == 0:
                self.fig.text((self.margin + indent - 0.15) / A4[0], self.y / A4[1], bullet,
                              ha="left", va="top", fontsize=size, color=color)
            self.fig.text(x, self.y / A4[1], line, ha="left", va="top", fontsize=size,
                          fontweight=weight, color=color)
            self.y -= line_h
        self.y -= gap

    def table(self, t: _Table, size: float = 8.5) -> None:
        widths = np.array(t.widths or [1.0] * len(t.header), dtype=float)
        widths = widths / widths.sum() * self.width
        line_h = size * 1.3 / 72
        xs = self.margin + np.concatenate([[0], np.cumsum(widths)[:-1]])

        def wrap_row(row: list[str], bold: bool = False) -> list[list[str]]:
            out = []
            for c, w in zip(row, widths):
                chars = max(4, int((w - 0.12) * 72 / ((0.66 if bold else 0.56) * size)))
                out.append(textwrap.wrap(str(c), chars, break_long_words=not bold) or [""])
            return out

        def draw_row(cells: list[list[str]], bold: bool, shade: bool) -> None:
            n = max(len(c) for c in cells)
            h = n * line_h + 0.05
            self.need(h)
            if shade:
                from matplotlib.patches import Rectangle

                self.fig.patches.append(Rectangle(
                    (self.margin / A4[0], (self.y - h + 0.02) / A4[1]), self.width / A4[0],
                    h / A4[1], transform=self.fig.transFigure, facecolor="#EEEEEE", lw=0,
                    figure=self.fig))
            for k, (c, x, w) in enumerate(zip(cells, xs, widths)):
                right = t.align[k] == "r"
                for j, line in enumerate(c):
                    self.fig.text((x + (w - 0.04 if right else 0.04)) / A4[0],
                                  (self.y - j * line_h) / A4[1], line,
                                  ha="right" if right else "left", va="top", fontsize=size,
                                  fontweight="bold" if bold else "normal", color="#1a1a1a")
            self.y -= h
            self.fig.add_artist(_hline(self.fig, self.margin, self.margin + self.width, self.y + 0.02))

        wrapped = [wrap_row(r) for r in t.rows]
        total = sum(max(len(c) for c in cells) * line_h + 0.05 for cells in wrapped) + 2 * line_h
        page_room = A4[1] - self.top - self.margin
        if total < 0.6 * page_room and (self.fig is None or self.y - total < self.margin):
            self.new_page()  # a short table is not split over two pages
        draw_row(wrap_row(t.header, True), True, True)
        for i, row in enumerate(t.rows):
            if self.fig is None or self.y - line_h < self.margin:
                self.new_page()
                draw_row(wrap_row(t.header, True), True, True)
            draw_row(wrap_row(row), i in t.mark, False)
        self.y -= 0.1

    def figure_page(self, fig: Any, number: int, caption: str) -> None:
        self.new_page()
        buf = io.BytesIO()
        with plot_style():
            fig.savefig(buf, format="png", dpi=_FIG_DPI_PDF, facecolor="white")
        buf.seek(0)
        import matplotlib.image as mpimg

        img = mpimg.imread(buf, format="png")
        h_px, w_px = img.shape[:2]
        w = self.width
        h = w * h_px / w_px
        max_h = A4[1] - self.top - self.margin - 1.2
        if h > max_h:
            h = max_h
            w = h * w_px / h_px
        self.text(f"Figure {number}", size=12, weight="bold", gap=0.04)
        self.text(caption, size=10, gap=0.15)
        left = self.margin + (self.width - w) / 2
        ax = self.fig.add_axes([left / A4[0], (self.y - h) / A4[1], w / A4[0], h / A4[1]])
        ax.imshow(img, interpolation="antialiased")
        ax.set_axis_off()
        self.y -= h + 0.2


def _hline(fig: Any, x0: float, x1: float, y: float) -> Any:
    from matplotlib.lines import Line2D

    return Line2D([x0 / A4[0], x1 / A4[0]], [y / A4[1], y / A4[1]], transform=fig.transFigure,
                  color="#CCCCCC", lw=0.6)


def _render_pdf(blocks: list[_Block], target: Path, title: str) -> int:
    from matplotlib.backends.backend_pdf import PdfPages

    count = 0

    def write(tmp: Path) -> None:
        nonlocal count
        with plot_style(), PdfPages(tmp, metadata={"Title": f"{title} – corridorsim report",
                                                   "Creator": "corridorsim", "Producer": None,
                                                   "CreationDate": None}) as pdf:
            pages = _Pages(pdf)
            pages.new_page()
            n_fig = 0
            for b in blocks:
                if b.kind == "h1":
                    pages.text(b.text, size=18, weight="bold", gap=0.05)
                elif b.kind == "sub":
                    pages.text(b.text, size=10, color="#555555", gap=0.15)
                elif b.kind == "h2":
                    if b.text == "Figures":
                        continue  # each figure gets its own page
                    pages.need(0.9)
                    pages.y -= 0.1
                    pages.text(b.text, size=13, weight="bold", color="#0072B2", gap=0.08)
                elif b.kind == "p":
                    pages.text(b.text, size=10)
                elif b.kind == "ul":
                    for item in b.items:
                        pages.text(item, size=9.5, indent=0.2, bullet="•", gap=0.03)
                    pages.y -= 0.06
                elif b.kind == "table" and b.table is not None:
                    pages.table(b.table)
                elif b.kind == "fig":
                    n_fig += 1
                    pages.figure_page(b.figure.figure, n_fig, b.text)
                elif b.kind == "manifest" and b.table is not None:
                    pages.new_page()
                    pages.text("Manifest", size=13, weight="bold", color="#0072B2", gap=0.05)
                    pages.text("How these results were made: enough to reproduce them.", size=10)
                    pages.table(b.table, size=8)
            pages.close_page()
        count = pages.count

    atomic_write(target, write)
    return count


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def write_report(path: str | Path, out_html: str | Path, pdf: bool = False) -> ReportFiles:
    """Write the report of a run or sweep directory.

    Parameters
    ----------
    path : str or Path
        A run directory (``manifest.json``) or a sweep directory (``sweep.json``).
    out_html : str or Path
        The HTML file to write (its folder is created).
    pdf : bool
        Also write the same content as an A4 PDF at ``out_html`` with the suffix ``.pdf``.

    Returns
    -------
    ReportFiles
        The paths written, the figure names and the PDF's page count.
    """
    root = Path(path)
    from .decision_report import decision_sections, is_study

    if is_study(root):  # decision studies (criticality, value, discovery, regret)
        blocks, title = decision_sections(root, _Block, _Table)
    else:
        kind = _kind_of(root)
        blocks, title = _run_blocks(root) if kind == "run" else _sweep_blocks(root)
    target = Path(out_html)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, _render_html(blocks, title))
    names = [b.figure.name for b in blocks if b.kind == "fig"]
    files = ReportFiles(html=target, figures=names)
    if pdf:
        pdf_path = target.with_suffix(".pdf")
        files.pdf_pages = _render_pdf(blocks, pdf_path, title)
        files.pdf = pdf_path
    for b in blocks:  # free the figures' memory
        if b.kind == "fig":
            b.figure.figure.clear()
    return files


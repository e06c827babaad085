"""Figures and reports: what a reader relies on is drawn, labelled and sourced.

Small real results are made here: a run of scenarios/smoke.yaml (with observed deliveries and
incidents attached) and a 2 x 2 sweep through the Python API. Checks are on the figures'
artists: bands, lines, legend entries, units in axis labels, dates on x axes, map extent, the
totals behind bars, heat-map shape, and on the report files: every figure embedded, the
metrics table and manifest present, nothing loaded from the network, PDF page count.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import matplotlib
import matplotlib.text
import matplotlib.ticker
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

from corridorsim import load_scenario, simulate, write_run
from corridorsim.experiments.executors import InProcessExecutor
from corridorsim.experiments.summaries import summarize_sweep, write_summaries
from corridorsim.experiments.sweep_runner import SweepRunner
from corridorsim.experiments.sweep_spec import SweepSpec, resolve_sweep
from corridorsim.scenario.network import build_network
from corridorsim.viz import run_figures as plots
from corridorsim.viz.report import write_report
from corridorsim.viz.style import CORRIDOR_COLORS, OKABE_ITO, corridor_color, format_litres

# corridorsim never imports pyplot, so the backend can be chosen after the imports
matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scenarios" / "smoke.yaml"
DATA = ROOT / "scenarios" / "data"
DELIVERIES = DATA / "deliveries_2025-09_2025-10.csv"
INCIDENTS = DATA / "incidents_2025-09_2025-10.csv"
DATE_TICK = re.compile(r"^\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)$")
# anything the page would fetch (links to sources are fine: they are not loaded)
EXTERNAL = re.compile(r"""(?:src\s*=|<link[^>]*href\s*=|url\()\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)

pytestmark = pytest.mark.filterwarnings("error::UserWarning")


# --------------------------------------------------------------------------------------------
# Fixtures: one small run (in memory and on disk) and one tiny sweep, made once
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """A run of the smoke scenario with the shipped observation files attached."""
    tmp = tmp_path_factory.mktemp("run")
    scenario_file = tmp / "smoke_observed.yaml"
    scenario_file.write_text(
        f"extends: {SMOKE}\n"
        "observations:\n"
        f"  deliveries_csv: {DELIVERIES}\n"
        f"  incidents_csv: {INCIDENTS}\n"
        "  source: test observations\n"
        "sources_of_numbers:\n"
        "  - 'Observed deliveries: https://example.org/deliveries (test file)'\n",
        encoding="utf-8",
    )
    result = simulate(load_scenario(scenario_file), replications=6, seed=3)
    return write_run(result, tmp / "out", manifest_extra={"scenario_file": str(scenario_file)})


@pytest.fixture(scope="module")
def run(run_dir):
    from corridorsim.experiments.rundir import read_run
    from corridorsim.scenario.documents import scenario_from_dict

    result = read_run(run_dir)
    tables = {"daily": result.daily, "events": result.events, "convoys": result.convoys,
              "summary": result.summary, "metrics": result.metrics, "manifest": result.manifest}
    assert scenario_from_dict(tables["manifest"]["scenario"]) == result.scenario
    return tables, result.scenario


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sweep") / "sw"
    spec = SweepSpec(
        name="tiny", base=str(SMOKE), replications=4, seed=2,
        factors=({"path": "escorts.bases[sikasso].units", "values": [2, 6]},
                 {"path": "threats.ambush_multiplier", "values": [1, 3]}),
        stockout_dates=("2025-09-08", "2025-09-15"),
        reference={"escorts.bases[sikasso].units": 6, "threats.ambush_multiplier": 1},
    )
    resolved = resolve_sweep(spec, "tiny.yaml")
    SweepRunner(resolved, out, InProcessExecutor(), chunk_size=4).run()
    write_summaries(out, summarize_sweep(out))
    return out


@pytest.fixture(scope="module")
def sweep_tables(sweep_dir):
    return {name: pd.read_csv(sweep_dir / f"{name}.csv")
            for name in ("points_summary", "paired_differences", "stockout_probability")}


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def bands(ax) -> list[PolyCollection]:
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


def legend_texts(fig) -> list[str]:
    texts = []
    for leg in [*fig.legends, *(a.get_legend() for a in fig.axes)]:
        if leg is not None:
            texts += [t.get_text() for t in leg.get_texts()]
    return texts


def x_tick_texts(ax) -> list[str]:
    ax.get_figure(root=True).draw_without_rendering()
    return [t.get_text() for t in ax.get_xticklabels() if t.get_text()]


def assert_dates_on_x(ax, year: str = "2025"):
    ticks = x_tick_texts(ax)
    assert len(ticks) >= 3, ticks
    assert all(DATE_TICK.match(t) for t in ticks), ticks
    assert year in ax.get_xlabel()


def bar_heights(ax) -> np.ndarray:
    return np.array([p.get_height() for p in ax.patches if hasattr(p, "get_height")
                     and p.get_width() > 0 and type(p).__name__ == "Rectangle"])


def bar_days(ax) -> np.ndarray:
    return np.array([p.get_width() for p in ax.patches if type(p).__name__ == "Rectangle"
                     and p.get_width() > 0])


# --------------------------------------------------------------------------------------------
# Style
# --------------------------------------------------------------------------------------------


def test_every_corridor_label_has_a_fixed_distinct_colour():
    labels = ["A", "A-south", "A-branch", "A-link", "B", "B-west", "C", "D", "D-north", "E"]
    colours = [corridor_color(c) for c in labels]
    assert len(set(colours)) == len(labels)
    assert set(CORRIDOR_COLORS) == set(labels)
    assert corridor_color("B Abidjan-Bamako") == corridor_color("B")
    assert {OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["bluish_green"]} <= set(colours)
    assert format_litres(54_852_750) == "54.9 ML"


@pytest.mark.parametrize(("ticks_ml", "expected"), [
    ([0, 1.25, 2.5], ["0.00", "1.25", "2.50"]),
    ([40, 42.5, 45], ["40.0", "42.5", "45.0"]),
    ([55, 57.5, 60], ["55.0", "57.5", "60.0"]),
    ([0, 20, 40, 60], ["0", "20", "40", "60"]),
    ([1000, 1500], ["1,000", "1,500"]),
    ([-2.5, 0, 2.5], ["-2.5", "0.0", "2.5"]),
])
def test_litres_ticks_are_written_exactly(ticks_ml, expected):
    """Half steps are never rounded to even (1.25 ML is not "1.2", 42.5 not "42")."""
    from corridorsim.viz.style import litres_formatter

    fmt = litres_formatter()
    assert fmt.format_ticks([v * 1e6 for v in ticks_ml]) == expected


def test_litres_axis_ticks_render_exactly():
    """On a drawn axis whose ticks fall on 1.25 ML steps, every label equals its tick value."""
    from corridorsim.viz.layout import _litres_axis

    fig = Figure()
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 5e6])
    _litres_axis(ax, "ML")
    ax.set_ylim(0, 5e6)
    ax.yaxis.set_major_locator(matplotlib.ticker.MultipleLocator(1.25e6))
    fig.draw_without_rendering()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    values = ax.get_yticks()
    shown = [(float(t.replace(",", "")), v / 1e6) for t, v in zip(labels, values) if t]
    assert "1.25" in labels and "3.75" in labels
    assert all(a == pytest.approx(b, abs=1e-12) for a, b in shown)


def test_style_leaves_global_state_alone(run):
    tables, _ = run
    before = dict(matplotlib.rcParams)
    fig = plots.fan_chart(tables["daily"])
    assert isinstance(fig, Figure)
    assert dict(matplotlib.rcParams) == before
    assert "matplotlib.pyplot" not in sys.modules or not __import__("matplotlib.pyplot").pyplot.get_fignums()


# --------------------------------------------------------------------------------------------
# Run figures
# --------------------------------------------------------------------------------------------


def test_fan_chart_bands_lines_units_dates_and_observed(run):
    tables, scenario = run
    daily = tables["daily"]
    obs = plots.read_observed_deliveries(DELIVERIES)
    fig = plots.fan_chart(daily, obs, destination="Bamako", footer="Source: test")
    ax = fig.axes[0]
    assert len(bands(ax)) == 2  # P5-P95 and P25-P75
    labels = legend_texts(fig)
    for want in ("P5–P95", "P25–P75", "median", "demand", "observed"):
        assert any(want in t for t in labels), (want, labels)
    assert "(ML)" in ax.get_ylabel()
    assert_dates_on_x(ax)
    # the median ends at the median total delivered; the demand line at the summed demand
    med = next(line for line in ax.get_lines() if line.get_label().startswith("median"))
    final = daily.groupby("replication")["cumulative_delivered_l"].last().median()
    assert med.get_ydata()[-1] == pytest.approx(final)
    demand = next(line for line in ax.get_lines() if line.get_label().startswith("demand"))
    assert demand.get_ydata()[-1] == pytest.approx(daily[daily.replication == 0].base_demand_l.sum())
    # observed: both rows with a quantity as filled points, the row without as a hollow one
    points = next(line for line in ax.get_lines() if line.get_label().startswith("observed arrivals"))
    assert len(points.get_xdata()) == 2
    assert points.get_ydata()[-1] == pytest.approx(30 * 45_000 + 7_000_000)
    assert any("size not reported" in t for t in labels)
    assert any("Source: test" in t.get_text() for t in fig.texts)


def test_fan_chart_without_observations_has_no_observed_entry(run):
    fig = plots.fan_chart(run[0]["daily"])
    assert not any("observed" in t for t in legend_texts(fig))
    assert len(bands(fig.axes[0])) == 2


def test_fan_chart_draws_into_given_axes(run):
    fig = Figure()
    ax = fig.add_subplot()
    assert plots.fan_chart(run[0]["daily"], ax=ax) is fig
    assert len(bands(ax)) == 2


def test_stock_chart_bands_and_stockout_probability(run):
    tables, scenario = run
    fig = plots.stock_chart(tables["daily"], rationing_cover_days=[3])
    top, bottom = fig.axes
    assert len(bands(top)) == 2
    assert "(ML)" in top.get_ylabel()
    assert "%" in bottom.get_ylabel()
    assert_dates_on_x(bottom)
    share = next(line for line in bottom.get_lines() if line.get_label().startswith("share"))
    first = tables["summary"]["first_stockout_day"].to_numpy(dtype=float)
    assert share.get_ydata()[-1] == pytest.approx(np.mean(np.isfinite(first)))
    assert np.all(np.diff(share.get_ydata()) >= 0)  # "on or before": never decreases
    median = next(line for line in top.get_lines() if line.get_label().startswith("median"))
    assert median.get_ydata()[0] == pytest.approx(scenario.destination.initial_stock_l)
    assert any("rationing" in t for t in legend_texts(fig))


def test_stock_chart_in_days_of_cover(run):
    fig = plots.stock_chart(run[0]["daily"], metric="cover_days")
    assert "days" in fig.axes[0].get_ylabel()
    with pytest.raises(ValueError, match="cover_days"):
        plots.stock_chart(run[0]["daily"], metric="litres")


@pytest.mark.parametrize("freq", ["D", "W"])
def test_deliveries_by_corridor_add_up_to_mean_delivered(run, freq):
    tables, scenario = run
    fig = plots.deliveries_by_corridor(tables["events"], tables["convoys"], tables["daily"],
                                       freq=freq, start=scenario.start, end=scenario.end)
    ax = fig.axes[0]
    total = float((bar_heights(ax) * bar_days(ax) / 0.88).sum())  # bars are 88 % of their bin
    assert total == pytest.approx(tables["summary"]["delivered_l"].mean(), rel=1e-9)
    assert "ML/day" in ax.get_ylabel()
    corridors = set(tables["convoys"]["corridor"].dropna())
    assert corridors & set(legend_texts(fig))
    assert any("demand" in t for t in legend_texts(fig))


def test_losses_by_week_add_up_to_mean_losses(run):
    tables, scenario = run
    fig = plots.losses_by_week(tables["events"], replications=6, start=scenario.start,
                               end=scenario.end)
    tankers_ax, litres_ax = fig.axes[:2]
    assert float(bar_heights(tankers_ax).sum()) == pytest.approx(
        tables["summary"]["tankers_destroyed"].mean())
    assert float(bar_heights(litres_ax).sum()) == pytest.approx(
        tables["summary"]["litres_destroyed"].mean())
    assert "(ML)" in litres_ax.get_ylabel()
    assert "week" in litres_ax.get_xlabel()


def test_corridor_map_extent_markers_and_attribution(run):
    tables, scenario = run
    g = build_network(scenario)
    incidents = plots.read_observed_incidents(INCIDENTS)
    fig = plots.corridor_map(g, tables["events"], tables["convoys"], metric="loss_rate",
                             observed_incidents=incidents, destination="Bamako",
                             sources=["Abidjan"], staging=["Zegoua"])
    ax = fig.axes[0]
    lon = [d["lon"] for _, d in g.nodes(data=True)]
    lat = [d["lat"] for _, d in g.nodes(data=True)]
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    assert x0 < min(lon) and x1 > max(lon) and y0 < min(lat) and y1 > max(lat)
    sizes = [len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection)]
    assert len(incidents) in sizes  # observed incidents drawn
    n_attacks = int(tables["events"]["kind"].isin(["ambush", "ied"]).sum())
    assert sum(s for s in sizes if s != len(incidents)) >= n_attacks
    texts = [t.get_text() for t in ax.texts]
    assert any("Natural Earth" in t for t in texts)
    assert {"Bamako", "Abidjan", "Zegoua"} <= set(texts)
    cbar = fig.axes[1]
    assert "per 1000 convoy-km" in cbar.get_ylabel()
    assert any("observed incident" in t for t in legend_texts(fig))
    # simulated attacks are drawn above every road layer, visible (size, opacity, white rim)
    from matplotlib.collections import LineCollection

    road_z = max(c.get_zorder() for c in ax.collections if isinstance(c, LineCollection))
    attack_markers = [c for c in ax.collections if isinstance(c, PathCollection)
                      and len(c.get_offsets()) in (
                          int((tables["events"]["kind"] == k).sum()) for k in ("ambush", "ied"))
                      and c.get_zorder() > road_z]
    assert attack_markers, "attack markers must sit above the roads"
    for c in attack_markers:
        assert c.get_sizes().min() >= 25 and c.get_alpha() >= 0.45


def test_corridor_map_metrics_and_plain_network(run):
    tables, scenario = run
    g = build_network(scenario)
    em = plots.edge_metrics(g, tables["events"], tables["convoys"])
    assert em["tankers_lost"].sum() == pytest.approx(
        tables["events"].loc[tables["events"].kind.isin(["ambush", "ied"]), "tankers_destroyed"].sum())
    assert em["loss_share"].sum() == pytest.approx(100.0)
    assert (em.loc[em.passages > 0, "traffic"] > 0).all()
    fig = plots.corridor_map(g)  # no results: coloured by corridor
    # each corridor letter is explained in the legend by the places it joins
    key = plots.corridor_legend(g, "Bamako")
    assert key["A"].startswith("Dakar – Bamako") and key["B"].startswith("Abidjan – Bamako")
    texts = legend_texts(fig)
    for label in ("A", "B", "B-west", "C", "D", "E"):
        assert f"{label}: {key[label]}" in texts
    fig = plots.corridor_map(g, tables["events"], tables["convoys"], metric="traffic",
                             borders=False)
    assert "movements" in fig.axes[1].get_ylabel()
    # metric maps tag each corridor on the map and explain the tags in a legend
    tags = {t.get_text() for t in fig.axes[0].texts}
    assert {"A", "B", "B-west", "C"} <= tags
    assert any(t.startswith("B-west: ") for t in legend_texts(fig))
    with pytest.raises(ValueError, match="metric"):
        plots.corridor_map(g, metric="nonsense")


def test_attack_timeline_pools_every_attack(run):
    tables, _ = run
    events = tables["events"]
    attacks = events[events["kind"].isin(["ambush", "ied"])]
    fig = plots.attack_timeline(events)
    ax = fig.axes[0]
    drawn = sum(len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection))
    assert drawn == len(attacks)
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert set(attacks["corridor"]) <= set(rows)
    assert_dates_on_x(ax)
    assert {"ambush", "IED"} <= set(legend_texts(fig))
    one = plots.attack_timeline(events, replication=0)
    drawn = sum(len(c.get_offsets()) for c in one.axes[0].collections
                if isinstance(c, PathCollection))
    assert drawn == int((attacks["replication"] == 0).sum())


def test_escort_use_panels(run):
    tables, scenario = run
    units = sum(b.units for b in scenario.escorts.bases)
    fig = plots.escort_use(tables["daily"], tables["convoys"], units_total=units)
    top, bottom = fig.axes
    assert len(bands(top)) == 2 and len(bands(bottom)) == 2
    assert any(f"units available ({units})" in t for t in legend_texts(fig))
    assert "units" in top.get_ylabel() and "hours" in bottom.get_ylabel()
    assert_dates_on_x(bottom)


# --------------------------------------------------------------------------------------------
# Sweep figures
# --------------------------------------------------------------------------------------------

X, Y = "escorts.bases[sikasso].units", "threats.ambush_multiplier"


def test_sweep_heatmap_shape_values_and_paired(sweep_tables):
    ps = sweep_tables["points_summary"]
    fig = plots.sweep_heatmap(ps, X, Y, "delivered_l")
    ax = fig.axes[0]
    image = next(a for a in ax.get_children() if isinstance(a, AxesImage))
    grid = np.asarray(image.get_array())
    assert grid.shape == (ps[Y].nunique(), ps[X].nunique())
    cell = ps[(ps.metric == "delivered_l") & (ps[X] == 2) & (ps[Y] == 1)]["mean"].iloc[0]
    assert grid[0, 0] == pytest.approx(cell / 1e6)
    assert ax.get_xlabel() == X and ax.get_ylabel() == Y
    assert "(ML)" in fig.axes[1].get_ylabel()
    # both factors are on the axes: nothing is averaged over (the interval columns of the
    # points summary are not factors)
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    assert any("95 % CI of the mean" in t for t in texts)
    assert not any("averaged over" in t for t in texts), texts
    ref = 2  # point (6, 1) in a grid ordered 2/1, 2/3, 6/1, 6/3
    paired = plots.sweep_heatmap(ps, X, Y, "delivered_l",
                                 paired=sweep_tables["paired_differences"], reference=ref)
    pgrid = np.asarray(next(a for a in paired.axes[0].get_children()
                            if isinstance(a, AxesImage)).get_array())
    assert pgrid[0, 1] == pytest.approx(0.0)  # the reference cell: y=1, x=6
    assert any("reference" in t.get_text() for t in paired.axes[0].texts)
    with pytest.raises(ValueError, match="metric"):
        plots.sweep_heatmap(ps, X, Y, "nope")


def test_sweep_lines_one_line_and_band_per_group(sweep_tables):
    ps = sweep_tables["points_summary"]
    fig = plots.sweep_lines(ps, X, "delivered_l", group=Y)
    ax = fig.axes[0]
    assert len(ax.get_lines()) == ps[Y].nunique()
    assert len(bands(ax)) == ps[Y].nunique()
    assert "(ML)" in ax.get_ylabel()
    assert any("95 % CI" in t for t in legend_texts(fig))
    averaged = plots.sweep_lines(ps, X, "tankers_destroyed")  # other factor averaged
    assert len(averaged.axes[0].get_lines()) == 1
    said = [t.get_text() for t in averaged.findobj(matplotlib.text.Text) if "averaged over" in t.get_text()]
    assert len(said) == 1 and "ci95" not in said[0] and "ambush" in said[0], said


def test_stockout_by_date_lines_per_point(sweep_dir, sweep_tables):
    sp = sweep_tables["stockout_probability"]
    design = pd.read_csv(sweep_dir / "design.csv")
    fig = plots.stockout_by_date(sp, design=design)
    ax = fig.axes[0]
    assert len(ax.get_lines()) == sp["point"].nunique()
    assert "%" in ax.get_ylabel()
    assert_dates_on_x(ax)
    assert any("sikasso units 6" in t for t in legend_texts(fig))
    fig = plots.stockout_by_date(sp, points=[0])
    assert len(fig.axes[0].get_lines()) == 1


def test_sensitivity_bars_sobol_and_morris():
    factors = ["escorts.bases[kayes].units", "threats.ambush_multiplier", "staging[Diboli].max_wait_h"]
    sobol = pd.DataFrame({"metric": ["delivered_l"] * 3, "factor": factors,
                          "S1": [0.5, 0.1, 0.05], "S1_conf": [0.1, 0.05, 0.02],
                          "ST": [0.6, 0.2, 0.1], "ST_conf": [0.1, 0.05, 0.02]})
    fig = plots.sensitivity_bars(sobol, "delivered_l")
    ax = fig.axes[0]
    assert len(ax.patches) == 6
    assert {"total index ST", "first-order index S1"} <= set(legend_texts(fig))
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "kayes units"  # largest ST on top
    morris = pd.DataFrame({"metric": ["delivered_l"] * 2, "factor": factors[:2],
                           "mu": [1e6, -2e6], "mu_star": [1e6, 2e6], "sigma": [1.0, 1.0],
                           "mu_star_conf": [1e5, 2e5]})
    fig = plots.sensitivity_bars(morris, "delivered_l")
    assert len(fig.axes[0].patches) == 2
    assert "(ML)" in fig.axes[0].get_xlabel()


# --------------------------------------------------------------------------------------------
# Standard sets, saving, reports
# --------------------------------------------------------------------------------------------


@pytest.mark.e2e
def test_standard_figures_of_a_run_and_a_sweep(run_dir, sweep_dir):
    figs = plots.standard_figures(run_dir)
    assert set(figs) == {"fan_chart", "stock_chart", "deliveries_by_corridor", "losses_by_week",
                         "corridor_map", "traffic_map", "attack_timeline", "escort_use"}
    assert all(isinstance(f, Figure) for f in figs.values())
    # observation files of the scenario are found and drawn
    assert any("observed" in t for t in legend_texts(figs["fan_chart"]))
    assert any("observed incident" in t for t in legend_texts(figs["corridor_map"]))
    # each figure is sourced and dated
    man = json.loads((run_dir / "manifest.json").read_text())
    for fig in figs.values():
        foot = " ".join(t.get_text() for t in fig.texts)
        assert "smoke" in foot and man["scenario_hash"][:12] in foot and "run " in foot
    sweep = plots.standard_figures(sweep_dir)
    assert {"sweep_heatmap", "sweep_heatmap_paired", "stockout_by_date"} <= set(sweep)


def test_run_figures_without_the_network_skip_the_maps(run_dir, monkeypatch):
    import corridorsim.scenario.network
    from corridorsim.errors import ScenarioError

    def missing(_scenario):
        raise ScenarioError("network.nodes_csv", "'nodes.csv': file not found")

    monkeypatch.setattr(corridorsim.scenario.network, "build_network", missing)
    figs = plots.standard_figures(run_dir)
    assert "corridor_map" not in figs and "fan_chart" in figs and len(figs) == 6


def test_save_figures_atomic_in_each_format(run, tmp_path):
    fig = plots.fan_chart(run[0]["daily"])
    for fmt, magic in (("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")):
        (path,) = plots.save_figures({"fan": fig}, tmp_path / fmt, fmt)
        assert path.read_bytes().startswith(magic)
        assert [p.name for p in path.parent.iterdir()] == [f"fan.{fmt}"]  # no temp files left
    with pytest.raises(ValueError, match="png, svg or pdf"):
        plots.save_figures({"fan": fig}, tmp_path, "jpg")


def _pdf_pages(path: Path) -> int:
    try:
        from pypdf import PdfReader
    except ImportError:
        data = path.read_bytes()
        assert data.startswith(b"%PDF")
        return len(re.findall(rb"/Type\s*/Page(?!s)", data))
    return len(PdfReader(str(path)).pages)


@pytest.mark.e2e
def test_run_report_html_and_pdf(run_dir, tmp_path):
    files = write_report(run_dir, tmp_path / "report" / "run.html", pdf=True)
    text = files.html.read_text(encoding="utf-8")
    assert text.count("<img") + text.count("<svg") == len(files.figures) == 8
    assert text.count("<figcaption>") == 8
    assert not EXTERNAL.search(text)
    assert "@page { size: A4; " in text and "max-width: 100%" in text
    assert "Key metrics" in text and "litres delivered" in text and ">ML<" in text
    man = json.loads((run_dir / "manifest.json").read_text())
    assert text.index("Manifest") > text.rindex("<figure")
    assert man["scenario_hash"] in text and str(man["seed"]) in text
    assert "Key assumptions" in text and "test observations" in text
    pages = _pdf_pages(files.pdf)
    assert pages == files.pdf_pages
    assert 4 <= pages <= len(files.figures) + 4
    # web addresses are links in both files; the PDF's figures are vector drawings (no images)
    assert 'href="https://example.org/deliveries"' in text
    data = files.pdf.read_bytes()
    assert b"/URI (https://example.org/deliveries)" in data
    assert b"/Subtype /Image" not in data
    assert [p.name for p in files.html.parent.iterdir() if p.name.startswith(".")] == []


@pytest.mark.e2e
def test_sweep_report(sweep_dir, tmp_path):
    files = write_report(sweep_dir, tmp_path / "sweep.html", pdf=True)
    text = files.html.read_text(encoding="utf-8")
    assert text.count("<img") == len(files.figures) >= 4
    assert "Points summary" in text and "(ref.)" in text
    assert not EXTERNAL.search(text)
    assert _pdf_pages(files.pdf) == files.pdf_pages >= len(files.figures) + 2


def test_not_a_results_directory(tmp_path):
    from corridorsim.errors import OutputError

    with pytest.raises(OutputError, match="not a corridorsim run, sweep or calibration"):
        plots.standard_figures(tmp_path)


# --------------------------------------------------------------------------------------------
# Calibration directories
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def calibration_dir(tmp_path_factory) -> Path:
    """A small ABC calibration of the smoke scenario (two statistics, one parameter)."""
    from corridorsim.experiments.calibration import CalibrationSpec, run_calibration

    spec = CalibrationSpec(
        name="tiny-abc", base=str(SMOKE), description="ambush multiplier against the record",
        parameters=[{"path": "threats.ambush_multiplier",
                     "prior": {"dist": "uniform", "low": 0.5, "high": 4.0}}],
        observed=[{"name": "ambushes", "value": 4.0,
                   "statistic": {"table": "events", "kinds": ["ambush"]}},
                  {"name": "delivered_l", "value": 15e6,
                   "statistic": {"table": "summary", "column": "delivered_l"}}],
        samples=12, replications=2, seed=4, accept_fraction=0.25)
    out = tmp_path_factory.mktemp("calib") / "abc"
    run_calibration(spec, out, InProcessExecutor(), chunk_size=6)
    return out


def test_plot_and_report_accept_a_calibration_directory(calibration_dir, tmp_path):
    from click.testing import CliRunner

    from corridorsim.cli import main

    res = CliRunner().invoke(main, ["plot", str(calibration_dir), "-o", str(tmp_path / "f")],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (tmp_path / "f").iterdir()) == ["fit.png", "posterior.png"]
    res = CliRunner().invoke(main, ["report", str(calibration_dir), "-o", str(tmp_path / "c.html"),
                                    "--pdf"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    text = (tmp_path / "c.html").read_text(encoding="utf-8")
    assert "tiny-abc" in text and "Fit to the record" in text and "Calibrated parameters" in text
    assert text.count("<img") == 2 and "threats.ambush_multiplier" in text
    assert _pdf_pages(tmp_path / "c.pdf") >= 2


def test_calibration_fit_labels_do_not_overlap(calibration_dir):
    """Panel titles, tick labels and the legend of the fit figure keep apart."""
    from corridorsim.viz.contexts import calibration_context

    ctx = calibration_context(calibration_dir)
    fig = plots.calibration_fit(ctx.samples, ctx.observed, footer="footer text")
    fig.draw_without_rendering()
    renderer = fig._get_renderer()
    boxes = []
    for ax in fig.axes:
        boxes.append(ax.title.get_window_extent(renderer))
        for axis in (ax.xaxis, ax.yaxis):
            # only the labels drawn: matplotlib keeps labels for ticks just outside the limits
            lo, hi = sorted(axis.get_view_interval())
            boxes += [t.label1.get_window_extent(renderer) for t in axis.get_major_ticks()
                      if t.label1.get_text() and lo - 1e-9 <= t.get_loc() <= hi + 1e-9]
        boxes.append(ax.yaxis.label.get_window_extent(renderer))
    boxes += [leg.get_window_extent(renderer) for leg in fig.legends]
    boxes = [b for b in boxes if b.width > 0 and b.height > 0]
    assert len(boxes) > 2 * len(fig.axes)  # titles and tick labels were found
    clashes = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:] if a.overlaps(b)]
    assert clashes == []
    fig_box = fig.bbox
    assert all(b.x0 >= fig_box.x0 - 1 and b.x1 <= fig_box.x1 + 1 for b in boxes)


# --------------------------------------------------------------------------------------------
# PDF layout
# --------------------------------------------------------------------------------------------


class _Collect:
    """Stands in for PdfPages: keeps the finished pages."""

    def __init__(self):
        self.pages = []

    def savefig(self, fig):
        self.pages.append(fig)


def _page_of(pages, text: str) -> int:
    return next(i for i, p in enumerate(pages) if any(t.get_text() == text for t in p.texts))


@pytest.mark.parametrize("fill", range(24, 44, 2))
def test_pdf_heading_is_never_alone_at_a_page_foot(fill):
    from corridorsim.viz.report_blocks import Block, Table
    from corridorsim.viz.report_pdf import lay_out

    rows = [[f"row {i}", f"{i * 1.5:.1f}"] for i in range(8)]
    blocks = [Block("h1", "title"), *[Block("p", f"paragraph {i}") for i in range(fill)],
              Block("h2", "Key metrics"), Block("p", "Across 6 replications."),
              Block("table", table=Table(["metric", "value"], rows, "lr"))]
    sink = _Collect()
    lay_out(blocks, sink)
    assert _page_of(sink.pages, "Key metrics") == _page_of(sink.pages, "row 0")


def test_pdf_never_breaks_a_number():
    """A table too wide for the page is set smaller; every number stays on one line."""
    from corridorsim.viz.report_blocks import Block, Table
    from corridorsim.viz.report_pdf import lay_out

    numbers = [f"{7.0991 * 10 ** k:,.5f}" for k in range(9)]  # up to 709,910,000.00000
    table = Table(["point", *[f"metric {k}" for k in range(9)]],
                  [[f"point {r}", *numbers] for r in range(3)], "l" + "r" * 9)
    sink = _Collect()
    lay_out([Block("table", table=table)], sink)
    texts = [t.get_text() for p in sink.pages for t in p.texts]
    for n in numbers:
        assert texts.count(n) == 3
    assert all(t.get_fontsize() >= 6.5 for p in sink.pages for t in p.texts)


def test_report_metrics_table_shows_scenario_days_as_dates():
    """Day-of-scenario metrics read as the dates they fall in (day 9.6 of a run starting on
    1 Sep is 10 Sep), as on the command line; without a start they stay numbers."""
    from corridorsim.viz.report_sections import metrics_rows

    m = pd.DataFrame([{"metric": "first_stockout_day", "label": "first day at zero (if any)",
                       "unit": "day", "n": 20, "mean": 9.6, "p5": 9.0, "p50": 10.0, "p95": 30.2}])
    row = metrics_rows(m, "2025-09-01").rows[0]
    assert row[1] == "date" and row[2:] == ["10 Sep 2025", "10 Sep 2025", "11 Sep 2025",
                                            "1 Oct 2025"]
    assert metrics_rows(m).rows[0][1] == "day"

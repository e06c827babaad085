"""Runs with several destinations: the stock of every destination side by side, its stock-out
probability, and the "Destinations" section of the report; a single-destination run has none
of them.

The two-destination run is the smoke scenario with a second destination (Segou, supplied by a
share of the same tankers, parting from the Bamako convoys at Sikasso), few replications.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from corridorsim import simulate, write_run
from corridorsim.experiments.rundir import read_run
from corridorsim.experiments.statistics import mean_interval, proportion_interval
from corridorsim.scenario.documents import scenario_from_dict
from corridorsim.viz.destination_figures import stock_by_destination, stockout_by_destination
from corridorsim.viz.report import write_report
from corridorsim.viz.report_sections import destination_rows
from corridorsim.viz.run_figures import standard_figures
from corridorsim.viz.style import format_number, litres_formatter

from ..conftest import smoke_dict

matplotlib.use("Agg")

pytestmark = pytest.mark.filterwarnings("error::UserWarning")

NEW = {"stock_by_destination", "stockout_by_destination"}


def _two_destinations() -> dict:
    d = copy.deepcopy(smoke_dict())
    bamako = d.pop("destination")
    d["destinations"] = [bamako, {"node": "Segou", "initial_stock_l": 1_000_000,
                                  "demand_l_per_day": 400_000}]
    d["sources"][0]["shares"] = {"Bamako": 0.85, "Segou": 0.15}
    return d


@pytest.fixture(scope="module")
def two_dir(tmp_path_factory) -> Path:
    result = simulate(scenario_from_dict(_two_destinations()), replications=5, seed=4)
    return write_run(result, tmp_path_factory.mktemp("two") / "out")


@pytest.fixture(scope="module")
def one_dir(tmp_path_factory) -> Path:
    result = simulate(scenario_from_dict(smoke_dict()), replications=3, seed=4)
    return write_run(result, tmp_path_factory.mktemp("one") / "out")


def _texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def test_two_destinations_give_the_two_figures_after_the_focus_ones(two_dir):
    figs = standard_figures(two_dir)
    names = list(figs)
    assert names[:4] == ["fan_chart", "stock_chart", "stock_by_destination",
                         "stockout_by_destination"]


def test_stock_by_destination_one_panel_each_focus_first(two_dir):
    daily = read_run(two_dir).daily
    fig = stock_by_destination(daily, focus="Bamako")
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == 2
    assert "Bamako (focus)" in _texts(panels[0]) and "Segou" in _texts(panels[1])
    for ax, name in zip(panels, ["Bamako", "Segou"], strict=True):
        # the median line starts at the initial stock and follows the daily median, in litres
        sub = daily[daily["destination"] == name]
        median = sub.groupby("date")["stock_l"].median().to_numpy()
        y = ax.lines[0].get_ydata()
        assert len(y) == len(median) + 1
        np.testing.assert_allclose(y[1:], median)
        assert y[0] == pytest.approx({"Bamako": 10_000_000, "Segou": 1_000_000}[name])
        # ticks in ML, written exactly by the shared formatter
        formatter = ax.yaxis.get_major_formatter()
        assert type(formatter).__qualname__ == type(litres_formatter()).__qualname__
    assert panels[0].get_ylabel() == "stock (ML)"
    assert panels[1].get_xlabel().startswith("date, end of day")
    title = " ".join(t.get_text() for t in panels[0].texts)
    assert "focus: Bamako" in title


def test_stockout_by_destination_one_line_each_with_the_focus_interval(two_dir):
    daily = read_run(two_dir).daily
    dest = read_run(two_dir).destinations
    fig = stockout_by_destination(daily, focus="Bamako")
    (ax,) = fig.axes
    labels = [ln.get_label() for ln in ax.lines]
    assert labels == ["Bamako (focus)", "Segou"]
    n = daily["replication"].nunique()
    for line, name in zip(ax.lines, ["Bamako", "Segou"], strict=True):
        # the last value is the share of replications whose stock ran out at all
        ran_out = dest.loc[dest["destination"] == name, "first_stockout_day"].notna().sum()
        assert line.get_ydata()[-1] == pytest.approx(ran_out / n)
    assert len(ax.collections) == 1  # the focus destination's 95 % interval only


def test_destination_table_means_and_intervals(two_dir):
    dest = read_run(two_dir).destinations
    table = destination_rows(dest, ["Bamako", "Segou"], "Bamako")
    assert table.header == ["destination", "delivered, ML", "not met, ML", "days dry",
                            "P(ran out)"]
    assert [r[0] for r in table.rows] == ["Bamako (focus)", "Segou"] and table.mark == {0}
    seg = dest[dest["destination"] == "Segou"]
    iv = mean_interval(seg["delivered_l"].to_numpy(dtype=float))
    want = format_number(iv.estimate / 1e6, 3)
    if math.isfinite(iv.low) and iv.low != iv.high:
        want += f" ({format_number(iv.low / 1e6, 3)}–{format_number(iv.high / 1e6, 3)})"
    assert table.rows[1][1].startswith(want)
    p = proportion_interval(int(seg["first_stockout_day"].notna().sum()), len(seg))
    assert table.rows[1][4] == (f"{100 * p.estimate:.0f} % ({100 * p.low:.0f} %–"
                                f"{100 * p.high:.0f} %)")


@pytest.mark.e2e
def test_report_has_a_destinations_section(two_dir, tmp_path):
    files = write_report(two_dir, tmp_path / "two.html")
    text = files.html.read_text(encoding="utf-8")
    assert ">Destinations<" in text
    start, end = text.index(">Destinations<"), text.index(">Figures<")
    section = text[start:end]
    assert "Bamako (focus)" in section and "Segou" in section and "P(ran out)" in section
    assert section.count("<figure") == 2
    # every figure once: the two per-destination figures are not repeated under "Figures"
    assert text.count("<figure") == len(files.figures)


def test_at_a_glance_gives_the_focus_destination_its_own_sentence(two_dir, tmp_path):
    """The national headline says 'some destination'; the focus destination's own litres and
    stock-outs follow, from its rows of the destinations table."""
    import re

    text = write_report(two_dir, tmp_path / "glance.html").html.read_text(encoding="utf-8")
    glance = re.sub("<[^>]+>", " ", text[text.index("At a glance"):text.index("Key assumptions")])
    assert "some destination&#x27;s stock runs out" in glance or "some destination's stock" in glance
    run = read_run(two_dir)
    bamako = run.destinations[run.destinations["destination"] == "Bamako"]
    ran_out = np.isfinite(bamako["first_stockout_day"].to_numpy(dtype=float))
    sentence = next(s for s in glance.split("  ") if "Bamako, the focus destination" in s)
    assert f"{format_number(bamako['delivered_l'].mean() / 1e6, 3)} ML delivered" in sentence
    assert f"runs out in {100 * ran_out.mean():.0f} % of replications" in sentence


@pytest.mark.e2e
def test_single_destination_run_has_neither(one_dir, tmp_path):
    assert not NEW & set(standard_figures(one_dir))
    text = write_report(one_dir, tmp_path / "one.html").html.read_text(encoding="utf-8")
    assert ">Destinations<" not in text


def test_destination_order_keeps_the_table_order_focus_first():
    from corridorsim.viz.destination_figures import destination_order

    t = pd.DataFrame({"destination": ["Kayes", "Bamako", "Segou", "Kayes"]})
    assert destination_order(t, "Bamako") == ["Bamako", "Kayes", "Segou"]
    assert destination_order(t, "Timbuktu") == ["Kayes", "Bamako", "Segou"]

"""Figures and numbers of docs/validation.md: the 2025 hindcast beside the Sep-Oct 2025 record.

Runs the calibrated hindcast (scenarios/mali/hindcast_calibrated.yaml, parameters drawn from the
ABC posterior) and the hand-calibrated one, and writes:

* ``validation_attacks.png``: cumulative attacks on fuel traffic per corridor and cumulative
  tankers destroyed, simulated bands against the observed record;
* ``validation_fit.png``: each calibration statistic, simulated P5-P95 / P25-P75 / median against
  the observed value;
* ``validation_fan.png`` and ``validation_stock.png``: deliveries and Bamako's stock;
* the table of docs/validation.md (printed as markdown).

Usage: ``python docs/figures/make_validation_figures.py [--replications 200]``
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from corridorsim import load_scenario, simulate
from corridorsim.experiments.calibration import load_calibration, statistics_from_tables
from corridorsim.viz.run_figures import fan_chart, read_observed_deliveries, stock_chart
from corridorsim.viz.style import CORRIDOR_COLORS, date_axis, plot_style

ROOT = Path(__file__).resolve().parents[2]
MALI = ROOT / "scenarios" / "mali"
OUT = Path(__file__).resolve().parent

# Observed attacks on fuel traffic (scenarios/data/incidents_2025-09_2025-10.csv, matched with
# `corridorsim incidents`): date, corridor, tankers destroyed (best estimate, NaN = not reported)
OBSERVED = pd.DataFrame(
    [("2025-09-06", "B", 3), ("2025-09-13", "A", np.nan), ("2025-09-13", "B-west", np.nan),
     ("2025-09-14", "A", 40), ("2025-10-05", "A", np.nan), ("2025-10-05", "B", np.nan),
     ("2025-10-17", "B-west", 50)],
    columns=["date", "corridor", "tankers_destroyed"],
)
OBSERVED["date"] = pd.to_datetime(OBSERVED["date"])


def _cumulative(events: pd.DataFrame, start: pd.Timestamp, days: int, reps: int,
                value: str | None = None) -> np.ndarray:
    """Replications x days array of cumulative counts (or sums of ``value``)."""
    out = np.zeros((reps, days))
    if len(events):
        day = (events["time_h"] // 24).astype(int).clip(0, days - 1)
        w = events[value].to_numpy(float) if value else np.ones(len(events))
        np.add.at(out, (events["replication"].to_numpy(), day.to_numpy()), w)
    return out.cumsum(axis=1)


def attacks_figure(res, start: pd.Timestamp, days: int) -> Figure:
    reps = res.replications
    ev = res.events[res.events.kind.isin(["ambush", "ied"])]
    ev = ev[ev.time_h >= 48]  # from 3 Sep, as the record
    dates = pd.date_range(start, periods=days, freq="D")
    with plot_style():
        fig = Figure(figsize=(11, 6.6), constrained_layout=True)
        axes = fig.subplots(2, 2, sharex=True).ravel()
        for ax, corridor in zip(axes[:3], ["A", "B", "B-west"]):
            sim = _cumulative(ev[ev.corridor == corridor], start, days, reps)
            colour = CORRIDOR_COLORS.get(corridor, "C0")
            ax.fill_between(dates, *np.percentile(sim, [5, 95], axis=0), color=colour, alpha=0.2,
                            lw=0, label="simulated P5-P95")
            ax.plot(dates, np.median(sim, axis=0), color=colour, lw=2, label="simulated median")
            obs = OBSERVED[OBSERVED.corridor == corridor]
            steps = [(obs.date <= d).sum() for d in dates]
            ax.step(dates, steps, where="post", color="black", lw=1.6, label="reported")
            ax.set_title(f"attacks on fuel traffic, corridor {corridor}")
            ax.set_ylabel("attacks (cumulative)")
        sim = _cumulative(ev, start, days, reps, "tankers_destroyed")
        ax = axes[3]
        ax.fill_between(dates, *np.percentile(sim, [5, 95], axis=0), color="0.5", alpha=0.25, lw=0,
                        label="simulated P5-P95")
        ax.plot(dates, np.median(sim, axis=0), color="0.2", lw=2, label="simulated median")
        rep = OBSERVED.dropna()
        ax.step(dates, [rep[rep.date <= d].tankers_destroyed.sum() for d in dates], where="post",
                color="black", lw=1.6, ls="--", label="reported (lower bound)")
        ax.set_title("tankers destroyed, all corridors")
        ax.set_ylabel("tankers (cumulative)")
        for ax in axes:
            date_axis(ax, dates[0], dates[-1], max_ticks=6)
        axes[0].legend(loc="upper left", fontsize=9)
        axes[3].legend(loc="upper left", fontsize=9)
        fig.suptitle("2025 hindcast (calibrated) against the reported attacks, from 3 Sep")
    return fig


def fit_figure(stats: pd.DataFrame, observed: dict[str, float], labels: dict[str, str]) -> Figure:
    names = list(observed)
    with plot_style():
        fig = Figure(figsize=(11, 2.2 + 0.55 * len(names)), constrained_layout=True)
        axes = fig.subplots(1, len(names))
        for ax, name in zip(np.atleast_1d(axes), names):
            x = stats[name].to_numpy(float)
            x = x[np.isfinite(x)]
            p5, p25, p50, p75, p95 = np.percentile(x, [5, 25, 50, 75, 95])
            scale = 1e6 if "litres" in name else 1.0
            ax.vlines(0, p5 / scale, p95 / scale, color="C0", lw=6, alpha=0.35, label="P5-P95")
            ax.vlines(0, p25 / scale, p75 / scale, color="C0", lw=10, alpha=0.7, label="P25-P75")
            ax.plot([0], [p50 / scale], "o", color="white", mec="C0", ms=7, label="median")
            ax.plot([0], [observed[name] / scale], "D", color="black", ms=8, label="observed")
            ax.set_xticks([])
            ax.set_xlim(-1, 1)
            ax.set_title(labels[name], fontsize=10)
            ax.set_ylabel("ML" if scale > 1 else "count")
        np.atleast_1d(axes)[0].legend(loc="lower left", fontsize=8, frameon=True)
        fig.suptitle("calibration statistics: calibrated hindcast (per replication) vs the record")
    return fig


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--replications", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    spec = load_calibration(MALI / "calibration_2025.yaml")
    rows = []
    results = {}
    for label, file in (("calibrated", "hindcast_calibrated.yaml"),
                        ("hand-calibrated", "hindcast_2025-09_2025-10.yaml")):
        sc = load_scenario(MALI / file)
        res = simulate(sc, replications=args.replications, seed=args.seed, workers=2)
        results[label] = (sc, res)
        stats = statistics_from_tables(spec.observed, {"summary": res.summary, "events": res.events,
                                                       "convoys": res.convoys}, sc.start)
        for obs in spec.observed:
            x = stats[obs.name].to_numpy(float)
            x = x[np.isfinite(x)]
            p5, p50, p95 = np.percentile(x, [5, 50, 95])
            rows.append((label, obs.name, float(obs.value), p5, p50, p95,
                         "yes" if p5 <= float(obs.value) <= p95 else "no"))
        if label == "calibrated":
            cal_stats = stats
    table = pd.DataFrame(rows, columns=["hindcast", "statistic", "observed", "P5", "P50", "P95",
                                        "inside P5-P95"])
    print("| " + " | ".join(table.columns) + " |")
    print("|" + "---|" * len(table.columns))
    for row in table.itertuples(index=False):
        print("| " + " | ".join(f"{v:.3g}" if isinstance(v, float) else str(v) for v in row) + " |")
    sc, res = results["calibrated"]
    start = pd.Timestamp(sc.start)
    attacks_figure(res, start, sc.days).savefig(OUT / "validation_attacks.png", dpi=100)
    fit_figure(cal_stats, {o.name: float(o.value) for o in spec.observed},
               {"attacks_A": "attacks, A", "attacks_B": "attacks, B",
                "attacks_B-west": "attacks, B-west", "tankers_destroyed": "tankers destroyed",
                "relief_convoy_litres": "7 Oct convoy, litres"}).savefig(
        OUT / "validation_fit.png", dpi=100)
    observed = read_observed_deliveries(ROOT / "scenarios" / "data" / "deliveries_2025-09_2025-10.csv")
    fan_chart(res.daily, observed).savefig(OUT / "validation_fan.png", dpi=100)
    stock_chart(res.daily).savefig(OUT / "validation_stock.png", dpi=100)
    s = res.summary
    print(f"\ncalibrated hindcast, {args.replications} replications: delivered median "
          f"{s.delivered_l.median() / 1e6:.1f} ML (P5-P95 {s.delivered_l.quantile(.05) / 1e6:.1f}-"
          f"{s.delivered_l.quantile(.95) / 1e6:.1f}); P(stock-out) {s.first_stockout_day.notna().mean():.2f}; "
          f"first stock-out day median {s.first_stockout_day.median():.0f}")
    cv = res.convoys[res.convoys.convoy == "relief-2025-10-07"]
    print(f"relief convoy: arrival {cv.end_datetime.min()} .. {cv.end_datetime.max()}, "
          f"delivered on 7 Oct in {(cv.end_datetime.dt.strftime('%Y-%m-%d') == '2025-10-07').mean():.2f} of replications, "
          f"litres P5/P50 {cv.litres_end.quantile(.05):.0f}/{cv.litres_end.median():.0f}")


if __name__ == "__main__":
    main()
